#!/usr/bin/env bash
# Paired A/B of two builds of fifogate, warm mode, small body, c=8: the same
# load against a stack of each, in alternating rounds, so the machine's drift
# falls on both alike. Prints each round's requests/s and the median ratio
# B/A, and each web's peak RSS. The web's line cache is off (WEB_CACHE_BYTES=0;
# a build without it ignores the variable): one small body, sent again and
# again, would otherwise be answered from the cache, and this compares the
# exchange with the worker. AB_CACHE_BYTES=<n> turns it on for both.
#   bench/ab.sh <commit-A> [rounds] [seconds]     B is the working tree
#   B=<commit-B> bench/ab.sh <commit-A> ...        B is that commit (checked
#                                                  out apart: edits made while
#                                                  it builds do not reach it)
set -euo pipefail
cd "$(dirname "$0")/.."
base=${1:?usage: bench/ab.sh <commit> [rounds] [seconds]}
rounds=${2:-8}
secs=${3:-4}
workers=${WORKERS:-$((2 * $(nproc)))}
tmp=$(mktemp -d /tmp/fifogate-ab.XXXXXX)
pids=()
cleanup() { for p in "${pids[@]:-}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; rm -rf "$tmp"; }
trap cleanup EXIT

git worktree add -q --detach "$tmp/a" "$base"
b_src=$PWD
if [ -n "${B:-}" ]; then
  git worktree add -q --detach "$tmp/b" "$B"
  b_src=$tmp/b
fi
for side in a b; do
  src=$([ "$side" = a ] && echo "$tmp/a" || echo "$b_src")
  cmake -S "$src" -B "$tmp/build-$side" -DCMAKE_BUILD_TYPE=Release -DFIFOGATE_TESTS=OFF >/dev/null
  cmake --build "$tmp/build-$side" -j"$(nproc)" --target fifogate-web fifogate-processor fifogate-loadgen >/dev/null
done
git worktree remove --force "$tmp/a"
[ -z "${B:-}" ] || git worktree remove --force "$tmp/b"

printf 'This sentense has two speling mistakes.\n' >"$tmp/small.txt"
LC_ALL=C.UTF-8 aspell -a <"$tmp/small.txt" >"$tmp/small.expected"
free_port() { python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
declare -A port web
for side in a b; do
  dir=$tmp/run-$side
  mkdir -p "$dir"
  port[$side]=$(free_port)
  # Both the old (PROC_INPUT...) and the new (PROC_DIR) layouts.
  if ! "$tmp/build-$side/web/fifogate-web" --help | grep -q PROC_DIR; then
    envs=(PROC_INPUT="$dir/in" PROC_OUTPUT="$dir/out" PROC_STATUS="$dir/status" PROC_LOCK="$dir/lock")
  else
    envs=(PROC_DIR="$dir")
  fi
  for _ in $(seq "$workers"); do
    env "${envs[@]}" PROC_MODE=warm "$tmp/build-$side/processor/fifogate-processor" 2>>"$dir/p.log" &
    pids+=($!)
  done
  env "${envs[@]}" PROC_MODE=warm WEB_CACHE_BYTES="${AB_CACHE_BYTES:-0}" HOST=127.0.0.1 PORT="${port[$side]}" WEB_THREADS=32 PROC_WAIT_MS=60000 \
    "$tmp/build-$side/web/fifogate-web" 2>>"$dir/w.log" &
  web[$side]=$!
  pids+=($!)
  for _ in $(seq 100); do [ "$(grep -c 'ready:' "$dir/p.log" 2>/dev/null)" -ge "$workers" ] && break; sleep 0.1; done
  sleep 0.5
done
rps() { sed -n 's/.*rps=\([0-9.]*\).*/\1/p' <<<"$1" | head -1; }
echo "| round | A req/s | B req/s | B/A |"
echo "|-------|---------|---------|-----|"
ratios=()
for r in $(seq "$rounds"); do
  order=(a b)
  [ $((r % 2)) -eq 0 ] && order=(b a)
  declare -A got
  for side in "${order[@]}"; do
    out=$("$tmp/build-$side/bench/fifogate-loadgen" http "${port[$side]}" "$tmp/small.txt" "$tmp/small.expected" 8 "$secs" 2>&1) || true
    # A wrong or failed answer is not a fast one: the run is void.
    if ! grep -q ' bad=0 ' <<<"$out" || ! grep -q ' ok=[1-9]' <<<"$out"; then
      echo "ab: side $side: $out" >&2
      tail -n 5 "$tmp/run-$side/w.log" "$tmp/run-$side/p.log" >&2
      exit 1
    fi
    got[$side]=$(rps "$out")
  done
  ratio=$(echo "scale=3; ${got[b]} / ${got[a]}" | bc)
  ratios+=("$ratio")
  printf '| %5d | %7.1f | %7.1f | %.2f |\n' "$r" "${got[a]}" "${got[b]}" "$ratio"
done
median=$(printf '%s\n' "${ratios[@]}" | sort -n | awk '{a[NR]=$1} END {print (NR % 2) ? a[(NR+1)/2] : (a[NR/2] + a[NR/2+1]) / 2}')
echo
echo "A = $base, B = ${B:-working tree ($(git rev-parse --short HEAD)+)}, warm, $workers workers, small body, c=8, ${secs}s rounds, WEB_CACHE_BYTES=${AB_CACHE_BYTES:-0}"
echo "median B/A: ${median}x"
for side in a b; do
  echo "web $side peak RSS: $(awk '/VmHWM/ {print $2}' "/proc/${web[$side]}/status") kB"
done
