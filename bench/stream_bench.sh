#!/usr/bin/env bash
# The streaming benchmark: builds (Release) into $BUILD, starts one processor
# whose command writes STREAM_BYTES of random bytes and one web on a free
# 127.0.0.1 port in a temporary directory, then fetches the answer with curl
#   a. streamed (?stream=1), ROUNDS times;
#   b. whole (no stream; MAX_OUTPUT_BYTES raised to fit), ROUNDS times;
# each with a fresh web, and prints per row: seconds, bytes received, and the
# web's peak RSS (VmHWM) in KiB. The streamed/whole ratios compare rows of
# the same run. Everything it starts is stopped, by PID, on exit.
#   BUILD          build directory                       [build-release]
#   STREAM_BYTES   the command's output                  [200000000]
#   ROUNDS         rounds per row                        [3]
#   SKIP_DEPS=1    do not run scripts/deps.sh bench
set -euo pipefail
cd "$(dirname "$0")/.."
[[ ${SKIP_DEPS:-} == 1 ]] || scripts/deps.sh bench
bin=${BUILD:-build-release}
bytes=${STREAM_BYTES:-200000000}
rounds=${ROUNDS:-3}
cmake -S . -B "$bin" -DCMAKE_BUILD_TYPE=Release -DFIFOGATE_TESTS=OFF \
  ${FIFOGATE_HTTPLIB_DIR:+-DFIFOGATE_HTTPLIB_DIR="$FIFOGATE_HTTPLIB_DIR"} >/dev/null
cmake --build "$bin" -j"$(nproc)" >/dev/null

tmp=$(mktemp -d "${TMPDIR:-/tmp}/fifogate-stream.XXXXXX")
pids=()
stop_all() {
  local p
  for p in "${pids[@]:-}"; do [[ -n $p ]] && kill -TERM "$p" 2>/dev/null || true; done
  for p in "${pids[@]:-}"; do [[ -n $p ]] && wait "$p" 2>/dev/null || true; done
  pids=()
}
trap 'rc=$?; trap - EXIT; stop_all; rm -rf "$tmp"; exit $rc' EXIT INT TERM

free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

export PROC_DIR="$tmp/run" PROC_TIMEOUT_MS=300000 MAX_OUTPUT_BYTES=$((bytes + 1048576))
export PROC_COMMAND="head -c $bytes /dev/urandom"
"$bin/processor/fifogate-processor" 2>"$tmp/processor.log" &
pids+=($!)
for _ in $(seq 100); do grep -q "ready:" "$tmp/processor.log" && break; sleep 0.1; done

one() { # query: seconds bytes peak_kib, from a fresh web
  local port web out
  port=$(free_port)
  HOST=127.0.0.1 PORT=$port "$bin/web/fifogate-web" 2>>"$tmp/web.log" &
  web=$!
  for _ in $(seq 100); do curl -s -o /dev/null "http://127.0.0.1:$port/healthz" && break; sleep 0.05; done
  out=$(curl -s -o /dev/null -w '%{time_total} %{size_download}' -X POST --data-binary '' \
    "http://127.0.0.1:$port/process$1")
  echo "$out $(awk '/VmHWM/ {print $2}' "/proc/$web/status")"
  kill -TERM "$web"
  wait "$web" 2>/dev/null || true
}

echo "# bench/stream_bench.sh, $(date -u +%Y-%m-%dT%H:%M:%SZ), commit $(git rev-parse --short HEAD 2>/dev/null || echo '?')"
echo "# $(nproc) cores; output $bytes bytes of /dev/urandom; curl to /dev/null on 127.0.0.1"
printf '%-9s %5s %9s %12s %13s\n' row round seconds bytes peak_rss_kib
declare -A secs rss
for r in $(seq "$rounds"); do
  for row in streamed whole; do
    q=""
    [[ $row == streamed ]] && q="?stream=1"
    read -r s b k < <(one "$q")
    printf '%-9s %5s %9s %12s %13s\n' "$row" "$r" "$s" "$b" "$k"
    [[ $b == "$bytes" ]] || { echo "bad: $row round $r got $b bytes" >&2; exit 1; }
    secs[$row]+="$s "
    rss[$row]+="$k "
  done
done
median() { tr ' ' '\n' | grep -v '^$' | sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
ms=$(echo "${secs[streamed]}" | median); mw=$(echo "${secs[whole]}" | median)
ks=$(echo "${rss[streamed]}" | median); kw=$(echo "${rss[whole]}" | median)
echo "median streamed: ${ms} s, peak RSS ${ks} KiB; whole: ${mw} s, peak RSS ${kw} KiB"
echo "streamed/whole: time $(echo "scale=2; $ms / $mw" | bc), peak RSS $(echo "scale=3; $ks / $kw" | bc)"
