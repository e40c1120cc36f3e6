#!/usr/bin/env bash
# The HTTP edge benchmark: builds (Release) into $BUILD, starts 2 processors in
# warm mode and one web on a free 127.0.0.1 port in a temporary directory, then
#   a. bench/slow_clients.py (slow heads, slow bodies and a normal client) for
#      SLOW_SECONDS, sampling the web's RSS every second;
#   b. wrk, POST /process with a small body (bench/post_small.lua), for
#      WRK_SECONDS at -c8, -c256 and -c1024 (-t2), in WRK_ROUNDS rounds.
# Prints plain key=value lines. Everything it starts is stopped, by PID, on exit.
#   BUILD          build directory                               [build-release]
#   SLOW_SECONDS   length of the slow-client run                 [30]
#   SLOW_HEAD      slow-head connections                         [1000]
#   SLOW_BODY      slow-body connections                         [1000]
#   NORMAL_RATE    requests/s of the normal client               [20]
#   WRK_SECONDS    length of each wrk run                        [10]
#   WRK_TIMEOUT    wrk's per-request timeout, seconds            [10]
#   WRK_ROUNDS     rounds of the three wrk runs                  [3]
#   SKIP_DEPS=1    do not run scripts/deps.sh bench
#   FIFOGATE_HTTPLIB_DIR   passed to cmake when set
# Other variables of the README (WEB_THREADS, WEB_HEAD_TIMEOUT_MS, ...) reach
# the web and the processors unchanged. The line cache is off unless
# WEB_CACHE_BYTES is set: wrk sends one small body again and again, and every
# request is to reach a worker (the cache is measured by bench/editor_bench.py).
set -euo pipefail
cd "$(dirname "$0")/.."
[[ ${SKIP_DEPS:-} == 1 ]] || scripts/deps.sh bench
bin=${BUILD:-build-release}
slow_secs=${SLOW_SECONDS:-30}
wrk_secs=${WRK_SECONDS:-10}
wrk_rounds=${WRK_ROUNDS:-3}
cmake -S . -B "$bin" -DCMAKE_BUILD_TYPE=Release -DFIFOGATE_TESTS=OFF \
  ${FIFOGATE_HTTPLIB_DIR:+-DFIFOGATE_HTTPLIB_DIR="$FIFOGATE_HTTPLIB_DIR"} >/dev/null
cmake --build "$bin" -j"$(nproc)" >/dev/null

# wrk -c1024 and 2000 slow connections need many descriptors (children inherit).
ulimit -n "$(ulimit -Hn)"

tmp=$(mktemp -d "${TMPDIR:-/tmp}/fifogate-edge.XXXXXX")
pids=()
stop_all() {
  local p
  for p in "${pids[@]:-}"; do [[ -n $p ]] && kill -TERM "$p" 2>/dev/null || true; done
  for _ in $(seq 50); do
    local alive=0
    for p in "${pids[@]:-}"; do [[ -n $p ]] && kill -0 "$p" 2>/dev/null && alive=1; done
    ((alive)) || break
    sleep 0.1
  done
  for p in "${pids[@]:-}"; do [[ -n $p ]] && kill -KILL "$p" 2>/dev/null || true; done
  for p in "${pids[@]:-}"; do [[ -n $p ]] && wait "$p" 2>/dev/null || true; done
  pids=()
}
forget() { # PID: a child already reaped, never to be signalled again (its PID may be reused)
  local keep=() p
  for p in "${pids[@]:-}"; do [[ -n $p && $p != "$1" ]] && keep+=("$p"); done
  pids=("${keep[@]:-}")
}
on_exit() {
  local rc=$?
  trap - EXIT INT TERM
  stop_all
  rm -rf "$tmp"
  exit "$rc"
}
trap on_exit EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
fail() {
  echo "edge_bench: $*" >&2
  for f in "$tmp"/*.log; do [[ -f $f ]] && { echo "--- $f (last lines)" >&2; tail -n 20 "$f" >&2; }; done
  exit 1
}

port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
export PROC_DIR=$tmp
export PROC_MODE=warm HOST=127.0.0.1 PORT=$port WEB_CACHE_BYTES=${WEB_CACHE_BYTES:-0}
for _ in 1 2; do
  "$bin/processor/fifogate-processor" 2>>"$tmp/processor.log" & pids+=($!)
done
for _ in $(seq 100); do
  [[ $(grep -c 'ready:' "$tmp/processor.log" 2>/dev/null) -ge 2 ]] && break
  sleep 0.1
done
"$bin/web/fifogate-web" >>"$tmp/web.out" 2>>"$tmp/web.log" & web_pid=$!; pids+=($!)

workers() { # the worker count /healthz reports, or -1
  python3 - "$port" <<'PY'
import json, re, sys, urllib.request
try:
    req = urllib.request.Request("http://127.0.0.1:%s/healthz" % sys.argv[1], headers={"Accept": "application/json"})
    with urllib.request.urlopen(req, timeout=3) as r:
        body = r.read().decode("utf-8", "replace")
    try:
        print(int(json.loads(body)["workers"]))
    except (ValueError, KeyError, TypeError):
        m = re.search(r"(\d+) worker", body)
        print(m.group(1) if m else -1)
except Exception:
    print(-1)
PY
}
wait_healthy() {
  local w=-1
  for _ in $(seq 150); do
    kill -0 "$web_pid" 2>/dev/null || fail "the web exited"
    w=$(workers)
    [[ $w -ge 2 ]] && return 0
    sleep 0.2
  done
  fail "/healthz did not report 2 workers (last: $w)"
}
wait_healthy

rss_kb() { awk '/^VmRSS/ {print $2}' "/proc/$1/status" 2>/dev/null || echo 0; }

echo "edge_bench_date=$(date -u +%Y-%m-%dT%H:%M:%SZ)"
echo "cores=$(nproc)"
echo "git_rev=$(git rev-parse --short HEAD 2>/dev/null || echo unknown)$(git diff --quiet HEAD -- 2>/dev/null || echo -dirty)"
echo "ulimit_n=$(ulimit -n)"
echo "web_cache_bytes=$WEB_CACHE_BYTES"
echo "web_rss_start_kb=$(rss_kb "$web_pid")"

# a. Slow clients, with the web's RSS sampled every second.
( while kill -0 "$web_pid" 2>/dev/null; do rss_kb "$web_pid" >>"$tmp/rss"; sleep 1; done ) &
sampler=$!; pids+=($sampler)
python3 bench/slow_clients.py --port "$port" --seconds "$slow_secs" \
  --slow-head "${SLOW_HEAD:-1000}" --slow-body "${SLOW_BODY:-1000}" \
  --normal-rate "${NORMAL_RATE:-20}" >"$tmp/slow.out" 2>"$tmp/slow.log" & slow_pid=$!; pids+=($slow_pid)
slow_rc=0
wait "$slow_pid" || slow_rc=$?
forget "$slow_pid"
kill -TERM "$sampler" 2>/dev/null || true
wait "$sampler" 2>/dev/null || true
forget "$sampler"
rss_kb "$web_pid" >>"$tmp/rss"
((slow_rc == 0)) || fail "bench/slow_clients.py failed ($slow_rc)"
cat "$tmp/slow.out"
echo "web_rss_peak_kb=$(sort -n "$tmp/rss" | tail -n 1)"
echo "web_rss_after_slow_kb=$(rss_kb "$web_pid")"
if ! kill -0 "$web_pid" 2>/dev/null; then
  echo "web_alive_after_slow=0"
  fail "the web died during the slow-client run"
fi
echo "web_alive_after_slow=1"

# b. wrk at three concurrency levels, once the server answers /healthz again.
wait_healthy
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.3f", a / b; else print "nan" }'; }
median() { printf '%s\n' "$@" | sort -g | awk '{v[NR] = $1} END {
  if (NR % 2) print v[(NR + 1) / 2]; else printf "%.3f\n", (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
to_ms() { # wrk's "12.34ms" / "1.20s" / "850.00us" / "1.50m"
  awk -v v="$1" 'BEGIN {
    n = v + 0; u = v; sub(/^[0-9.]+/, "", u)
    if (u == "us") n /= 1000; else if (u == "s") n *= 1000; else if (u == "m") n *= 60000
    printf "%.2f", n }'
}
# WRK_ROUNDS rounds, each at the three levels in a rotated order, so a drift
# of the machine falls on every level alike; each round gives its own ratios,
# and the median round is reported (per-level sums for the counts).
declare -A sum rps_of
ratios256=() ratios1024=()
levels=(8 256 1024)
for ((r = 0; r < wrk_rounds; r++)); do
  for ((k = 0; k < 3; k++)); do
    c=${levels[$(((r + k) % 3))]}
    sleep 1
    w=$tmp/wrk-r$r-c$c.out
    wrk -t2 -c"$c" -d"${wrk_secs}s" --timeout "${WRK_TIMEOUT:-10}s" --latency -s bench/post_small.lua \
      "http://127.0.0.1:$port/process" >"$w" 2>&1 & wrk_pid=$!; pids+=($wrk_pid)
    wrk_rc=0
    wait "$wrk_pid" || wrk_rc=$?
    forget "$wrk_pid"
    ((wrk_rc == 0)) || { cat "$w" >&2; fail "wrk -c$c failed ($wrk_rc)"; }
    rr=$(awk '/^Requests\/sec:/ {print $2}' "$w")
    [[ -n $rr ]] || { cat "$w" >&2; fail "no Requests/sec in wrk's output"; }
    non2xx=$(awk '/Non-2xx or 3xx responses:/ {print $NF}' "$w")
    read -r e_conn e_read e_write e_timeout < <(awk '/Socket errors:/ {
        gsub(",", ""); print $4, $6, $8, $10; f = 1 } END { if (!f) print 0, 0, 0, 0 }' "$w")
    p99=$(awk '$1 == "99%" {print $2}' "$w")
    p99=$([[ -n $p99 ]] && to_ms "$p99" || echo nan)
    echo "wrk_round${r}_c${c}_rps=$rr"
    echo "wrk_round${r}_c${c}_p99_ms=$p99"
    rps_of[$r,$c]=$rr
    sum[$c,requests]=$((${sum[$c,requests]:-0} + $(awk '/requests in/ {print $1}' "$w")))
    sum[$c,non2xx]=$((${sum[$c,non2xx]:-0} + ${non2xx:-0}))
    for e in conn read write timeout; do
      v=e_$e
      sum[$c,$e]=$((${sum[$c,$e]:-0} + ${!v}))
    done
    sum[$c,p99]="${sum[$c,p99]:-} $p99"
    sum[$c,rps]="${sum[$c,rps]:-} $rr"
    kill -0 "$web_pid" 2>/dev/null || fail "the web died during wrk -c$c"
  done
  ratios256+=("$(ratio "${rps_of[$r,256]}" "${rps_of[$r,8]}")")
  ratios1024+=("$(ratio "${rps_of[$r,1024]}" "${rps_of[$r,8]}")")
done
for c in 8 256 1024; do
  echo "wrk_c${c}_rps=$(median ${sum[$c,rps]})"
  echo "wrk_c${c}_requests=${sum[$c,requests]}"
  echo "wrk_c${c}_non2xx=${sum[$c,non2xx]}"
  echo "wrk_c${c}_socket_errors=$((sum[$c,conn] + sum[$c,read] + sum[$c,write] + sum[$c,timeout]))"
  echo "wrk_c${c}_err_connect=${sum[$c,conn]}"
  echo "wrk_c${c}_err_read=${sum[$c,read]}"
  echo "wrk_c${c}_err_write=${sum[$c,write]}"
  echo "wrk_c${c}_err_timeout=${sum[$c,timeout]}"
  echo "wrk_c${c}_p99_ms=$(median ${sum[$c,p99]})"
done
echo "wrk_rounds=$wrk_rounds"
echo "wrk_rps_ratio_c256_c8=$(median "${ratios256[@]}")"
echo "wrk_rps_ratio_c1024_c8=$(median "${ratios1024[@]}")"
echo "web_rss_end_kb=$(rss_kb "$web_pid")"
echo "web_rss_hwm_kb=$(awk '/^VmHWM/ {print $2}' "/proc/$web_pid/status")"
