#!/usr/bin/env bash
# The benchmark: builds in release mode, starts fifogate on 127.0.0.1 in each
# configuration and prints requests/s and p50/p99 latency for small, medium and
# large bodies at concurrency 1 and 8, next to the floor (aspell -a started per
# request with no server), plus peak memory. Every answer is checked.
#   BENCH_SECONDS  length of each measurement   [10]
#   WORKERS        workers for the pool rows     [2 x nproc: a worker idles while its
#                  next request is handed over, so twice the cores keep them busy]
#   SOAK_SECONDS   if set, also a web-RSS soak run of that length (warm, small, c=8)
#   PAIRED_ROUNDS  rounds of the paired comparisons (small and medium, c=8;
#                  warm c=1 against a running aspell -a; large, c=1) [9]
#   PAIRED_SECONDS length of each measurement in a round           [4]
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/deps.sh bench
scripts/deps.sh
secs=${BENCH_SECONDS:-10}
workers=${WORKERS:-$((2 * $(nproc)))}
cmake -S . -B build-release -DCMAKE_BUILD_TYPE=Release -DFIFOGATE_TESTS=OFF >/dev/null
cmake --build build-release -j"$(nproc)" >/dev/null
bin=build-release
out=$PWD/bench/out
rm -rf "$out"
mkdir -p "$out/run"

# Bodies and their reference answers (what aspell -a prints).
printf 'This sentense has two speling mistakes.\n' >"$out/small.txt"
cp /usr/share/common-licenses/GPL-3 "$out/medium.txt"
: >"$out/large.txt"
while [ "$(stat -c %s "$out/large.txt")" -lt 1048576 ]; do cat /usr/share/common-licenses/GPL-3 >>"$out/large.txt"; done
head -c 1048576 "$out/large.txt" >"$out/large.tmp" && mv "$out/large.tmp" "$out/large.txt"
for s in small medium large; do LC_ALL=C.UTF-8 aspell -a <"$out/$s.txt" >"$out/$s.expected"; done

pids=()
cleanup() { for p in "${pids[@]:-}"; do [ -n "$p" ] && kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; pids=(); }
trap cleanup EXIT

peak_kb() { awk '/VmHWM/ {print $2}' "/proc/$1/status" 2>/dev/null || echo 0; }

start_stack() { # mode workers port
  local mode=$1 n=$2 port=$3 dir="$out/run/$1-$2"
  rm -rf "$dir" && mkdir -p "$dir"
  export PROC_DIR=$dir
  # No line cache: these rows measure the exchange (bench/editor_bench.py measures the cache).
  export PROC_MODE=$mode HOST=127.0.0.1 PORT=$port WEB_THREADS=32 PROC_WAIT_MS=60000 WEB_CACHE_BYTES=0
  proc_pids=()
  for _ in $(seq "$n"); do
    "$bin/processor/fifogate-processor" 2>>"$dir/processor.log" & pids+=($!); proc_pids+=($!)
  done
  for _ in $(seq 100); do
    [ "$(grep -c 'ready:' "$dir/processor.log" 2>/dev/null)" -ge "$n" ] && break
    sleep 0.1
  done
  "$bin/web/fifogate-web" 2>>"$dir/web.log" & web_pid=$!; pids+=($!)
  for _ in $(seq 100); do "$bin/web/fifogate-web" --healthcheck >/dev/null 2>&1 && break; sleep 0.1; done
  if ! "$bin/web/fifogate-web" --healthcheck >/dev/null 2>&1 || [ "$(grep -c 'ready:' "$dir/processor.log")" -lt "$n" ]; then
    echo "bench: the $mode stack did not start:" >&2
    cat "$dir/processor.log" "$dir/web.log" >&2
    exit 1
  fi
}

row() { # label size c result
  local r=$4
  printf '| %-26s | %-6s | %2s | %8s | %8s | %8s | %s |\n' "$1" "$2" "$3" \
    "$(sed 's/.*rps=\([^ ]*\).*/\1/' <<<"$r")" "$(sed 's/.*p50_ms=\([^ ]*\).*/\1/' <<<"$r")" \
    "$(sed 's/.*p99_ms=\([^ ]*\).*/\1/' <<<"$r")" "$(sed 's/.*ok=\([^ ]*\) bad=\([^ ]*\).*/\1 ok, \2 bad/' <<<"$r")"
}

echo "fifogate benchmark — $(date -u +%Y-%m-%d), $(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo), ${secs}s per cell, workers=$workers"
echo
echo "| configuration              | body   |  c |    req/s |  p50 ms  |  p99 ms  | answers |"
echo "|----------------------------|--------|----|----------|----------|----------|---------|"
for s in small medium large; do
  for c in 1 8; do
    row "floor: aspell -a per run" "$s" "$c" "$("$bin/bench/fifogate-loadgen" floor "$out/$s.txt" "$out/$s.expected" "$c" "$secs" || true)"
  done
done
port=14600
mem=""
for cfg in "per-request 1" "per-request $workers" "warm $workers"; do
  set -- $cfg
  port=$((port + 1))
  start_stack "$1" "$2" "$port"
  for s in small medium large; do
    for c in 1 8; do
      row "fifogate $1, $2 worker(s)" "$s" "$c" "$("$bin/bench/fifogate-loadgen" http "$port" "$out/$s.txt" "$out/$s.expected" "$c" "$secs" || true)"
    done
  done
  wkb=0
  for p in "${proc_pids[@]}"; do k=$(peak_kb "$p"); [ "$k" -gt "$wkb" ] && wkb=$k; done
  mem+="$(printf '| fifogate %-11s %2s worker(s) | %6.1f MB | %6.1f MB |' "$1," "$2" "$(bc -l <<<"$(peak_kb "$web_pid")/1024" 2>/dev/null || echo 0)" "$(bc -l <<<"$wkb/1024" 2>/dev/null || echo 0)")"$'\n'
  cleanup
done
echo
echo "| peak RSS (VmHWM)                  | web       | largest worker (without its command) |"
echo "|-----------------------------------|-----------|-----------|"
printf '%s' "$mem"

# The targets are ratios to the floor, and the floor alone moves by 20% from
# minute to minute on a shared machine. So the small, c=8 cells are measured
# again in rounds, floor and fifogate back to back, and each round's ratio
# is printed with the median over the rounds. Every other round runs in the
# opposite order, so a slow drift of the machine favours neither side.
rounds=${PAIRED_ROUNDS:-9}
psecs=${PAIRED_SECONDS:-4}
if [ "$rounds" -gt 0 ]; then
  port=$((port + 1)); start_stack per-request "$workers" "$port"; per_port=$port
  per_web=$web_pid per_procs=("${proc_pids[@]}")
  port=$((port + 1)); start_stack warm "$workers" "$port"; warm_port=$port
  rps() { sed 's/.*rps=\([^ ]*\).*/\1/' <<<"$1"; }
  echo
  echo "Paired rounds, small body, c=8, ${psecs}s each, $workers workers:"
  echo
  echo "| round | floor req/s | per-request req/s | ratio | warm req/s | ratio |"
  echo "|-------|-------------|-------------------|-------|------------|-------|"
  # Where the CPU goes, per request: with every core busy, requests/s is the
  # cores' time over the CPU one request costs, so these ratios say what the
  # req/s ratio would be without the machine's minute-to-minute drift.
  tck=$(getconf CLK_TCK)
  ticks() { # self|kids PID... : utime+stime of the processes, or of their reaped children
    local t=0 p
    for p in "${@:2}"; do
      [ -r "/proc/$p/stat" ] || { echo "bench: process $p of the stack is gone" >&2; exit 1; }
      t=$((t + $(awk -v f="$1" '{print (f == "self") ? $14 + $15 : $16 + $17}' "/proc/$p/stat")))
    done
    echo "$t"
  }
  # A measurement whose every answer was right, or the run stops here.
  checked() {
    [[ $1 =~ ok=[1-9][0-9]*\ bad=0\  ]] || { echo "bench: a measurement failed or had wrong answers: '$1'" >&2; exit 1; }
    printf '%s' "$1"
  }
  field() { sed -n "s/.*$1=\([^ ]*\).*/\1/p" <<<"$2"; }
  ms_per() { bc -l <<<"$1 * 1000 / $tck / $2"; } # ticks requests
  pr=() wr=() fa=() fl=() ca=() cp=() cw=() cc=() cr=()
  for i in $(seq "$rounds"); do
    measure_floor() {
      rf=$(checked "$("$bin/bench/fifogate-loadgen" floor "$out/small.txt" "$out/small.expected" 8 "$psecs" || true)")
      f=$(rps "$rf")
    }
    measure_fifogate() {
      local w0 p0 k0
      w0=$(ticks self "$per_web") p0=$(ticks self "${per_procs[@]}") k0=$(ticks kids "${per_procs[@]}")
      rp=$(checked "$("$bin/bench/fifogate-loadgen" http "$per_port" "$out/small.txt" "$out/small.expected" 8 "$psecs" || true)")
      n=$(field ok "$rp")
      cw+=("$(ms_per $(($(ticks self "$per_web") - w0)) "$n")")
      cp+=("$(ms_per $(($(ticks self "${per_procs[@]}") - p0)) "$n")")
      ca+=("$(ms_per $(($(ticks kids "${per_procs[@]}") - k0)) "$n")")
      cc+=("$(field client_cpu_ms "$rp")")
      p=$(rps "$rp")
      rw8=$(checked "$("$bin/bench/fifogate-loadgen" http "$warm_port" "$out/small.txt" "$out/small.expected" 8 "$psecs" || true)")
      w=$(rps "$rw8")
    }
    if [ $((i % 2)) -eq 1 ]; then measure_floor; measure_fifogate; else measure_fifogate; measure_floor; fi
    pr+=("$(bc -l <<<"$p / $f")") wr+=("$(bc -l <<<"$w / $f")")
    fa+=("$(field child_cpu_ms "$rf")") fl+=("$(field client_cpu_ms "$rf")")
    cr+=("$(bc -l <<<"(${fa[-1]} + ${fl[-1]}) / (${ca[-1]} + ${cp[-1]} + ${cw[-1]} + ${cc[-1]})")")
    printf '| %5s | %11s | %17s | %5.2f | %10s | %5.2f |\n' "$i" "$f" "$p" "${pr[-1]}" "$w" "${wr[-1]}"
  done
  median() { printf '%s\n' "$@" | sort -g | awk '{a[NR]=$1} END {m=(NR%2)?a[(NR+1)/2]:(a[NR/2]+a[NR/2+1])/2; printf "%.2f", m}'; }
  median3() { printf '%s\n' "$@" | sort -g | awk '{a[NR]=$1} END {m=(NR%2)?a[(NR+1)/2]:(a[NR/2]+a[NR/2+1])/2; printf "%.3f", m}'; }
  echo
  echo "median ratio to the floor: per-request $(median "${pr[@]}")x, warm $(median "${wr[@]}")x"
  echo
  echo "CPU per request in the rounds above (ms, median over rounds):"
  echo "  floor:                aspell -a $(median3 "${fa[@]}") + launching it $(median3 "${fl[@]}")"
  echo "  fifogate per-request: aspell -a $(median3 "${ca[@]}") + processor $(median3 "${cp[@]}") + web $(median3 "${cw[@]}") + HTTP client $(median3 "${cc[@]}")"
  echo "  floor's CPU per request over fifogate's, median of the rounds' ratios: $(median "${cr[@]}")"

  # The medium-body target (warm against the floor at c=8) gets its own
  # back-to-back rounds too: its table cells are minutes apart as well.
  echo
  echo "Paired rounds, medium body, c=8, ${psecs}s each, $workers workers:"
  echo
  echo "| round | floor req/s | warm req/s | ratio |"
  echo "|-------|-------------|------------|-------|"
  mr=()
  for i in $(seq "$rounds"); do
    measure_floor() { f=$(rps "$("$bin/bench/fifogate-loadgen" floor "$out/medium.txt" "$out/medium.expected" 8 "$psecs" || true)"); }
    measure_warm() { w=$(rps "$("$bin/bench/fifogate-loadgen" http "$warm_port" "$out/medium.txt" "$out/medium.expected" 8 "$psecs" || true)"); }
    if [ $((i % 2)) -eq 1 ]; then measure_floor; measure_warm; else measure_warm; measure_floor; fi
    mr+=("$(bc -l <<<"$w / $f")")
    printf '| %5s | %11s | %10s | %5.2f |\n' "$i" "$f" "$w" "${mr[-1]}"
  done
  echo
  echo "median ratio to the floor: warm $(median "${mr[@]}")x"

  # Warm mode's c=1 latency next to what a running aspell -a needs on its
  # own for the same line (no server, plain pipes), measured back to back,
  # every other round in the opposite order.
  number() { [[ $1 =~ ^[0-9]+(\.[0-9]+)?$ ]] || { echo "bench: not a measurement: '$2'" >&2; exit 1; }; }
  echo
  echo "Warm latency, small body, c=1, ${psecs}s each: a running aspell -a on its own, and fifogate warm:"
  echo
  echo "| round | aspell -a p50 ms | fifogate warm p50 ms | added ms |"
  echo "|-------|------------------|----------------------|----------|"
  added=() wp=()
  for i in $(seq "$rounds"); do
    measure_aspell() { ra=$(python3 bench/aspell_warm_direct.py "$psecs" "$(cat "$out/small.txt")"); }
    measure_warm() { rw=$("$bin/bench/fifogate-loadgen" http "$warm_port" "$out/small.txt" "$out/small.expected" 1 "$psecs" || true); }
    if [ $((i % 2)) -eq 1 ]; then measure_aspell; measure_warm; else measure_warm; measure_aspell; fi
    [[ $rw == *" bad=0 "* ]] || { echo "bench: fifogate warm gave wrong answers: $rw" >&2; exit 1; }
    a=$(sed 's/.*p50_ms=\([^ ]*\).*/\1/' <<<"$ra") w=$(sed 's/.*p50_ms=\([^ ]*\).*/\1/' <<<"$rw")
    number "$a" "$ra"
    number "$w" "$rw"
    added+=("$(bc -l <<<"$w - $a")") wp+=("$w")
    printf '| %5s | %16.2f | %20.2f | %8.2f |\n' "$i" "$a" "$w" "${added[-1]}"
  done
  echo
  echo "median: fifogate warm p50 $(median "${wp[@]}") ms, of which fifogate adds $(median "${added[@]}") ms"

  # The large-body target is about one request's time, and a 1 MiB request
  # takes about a second: a table cell holds only about ten of them, minutes
  # apart from the floor's. So: back-to-back rounds at c=1, floor, per
  # request and warm, every other round in the opposite order.
  echo
  echo "Paired rounds, large body (1 MiB), c=1, ${psecs}s each, $workers workers:"
  echo
  echo "| round | floor p50 ms | per-request p50 ms | ratio | warm p50 ms | ratio |"
  echo "|-------|--------------|--------------------|-------|-------------|-------|"
  lp=() lw=()
  p50() { sed 's/.*p50_ms=\([^ ]*\).*/\1/' <<<"$1"; }
  for i in $(seq "$rounds"); do
    measure_floor() { rf=$(checked "$("$bin/bench/fifogate-loadgen" floor "$out/large.txt" "$out/large.expected" 1 "$psecs" || true)"); }
    measure_fifogate() {
      rp=$(checked "$("$bin/bench/fifogate-loadgen" http "$per_port" "$out/large.txt" "$out/large.expected" 1 "$psecs" || true)")
      rw=$(checked "$("$bin/bench/fifogate-loadgen" http "$warm_port" "$out/large.txt" "$out/large.expected" 1 "$psecs" || true)")
    }
    if [ $((i % 2)) -eq 1 ]; then measure_floor; measure_fifogate; else measure_fifogate; measure_floor; fi
    f=$(p50 "$rf") p=$(p50 "$rp") w=$(p50 "$rw")
    number "$f" "$rf"; number "$p" "$rp"; number "$w" "$rw"
    lp+=("$(bc -l <<<"$p / $f")") lw+=("$(bc -l <<<"$w / $f")")
    printf '| %5s | %12.1f | %18.1f | %5.2f | %11.1f | %5.2f |\n' "$i" "$f" "$p" "${lp[-1]}" "$w" "${lw[-1]}"
  done
  echo
  echo "median time of one large request over the floor's: per-request $(median "${lp[@]}")x, warm $(median "${lw[@]}")x"
  cleanup
fi

if [ -n "${SOAK_SECONDS:-}" ]; then
  port=$((port + 1))
  start_stack warm "$workers" "$port"
  # RSS climbs for the first 15-30 s under load (the pool's thread stacks and
  # malloc's arenas reach their working size), then stays flat: measure after.
  "$bin/bench/fifogate-loadgen" http "$port" "$out/small.txt" "$out/small.expected" 8 30 >/dev/null || true
  before=$(awk '/VmRSS/ {print $2}' "/proc/$web_pid/status")
  r=$("$bin/bench/fifogate-loadgen" http "$port" "$out/small.txt" "$out/small.expected" 8 "$SOAK_SECONDS" || true)
  after=$(awk '/VmRSS/ {print $2}' "/proc/$web_pid/status")
  echo
  echo "soak: warm, small, c=8, ${SOAK_SECONDS}s: $r; web RSS ${before} kB after warm-up -> ${after} kB at the end"
  cleanup
fi
