#!/usr/bin/env bash
# Runs fifogate locally: installs what is missing, builds (Release), starts the
# processors and the web sharing one directory, prints the URL. Ctrl+C stops all.
#   WORKERS       processors to start                    [nproc]
#   FIFOGATE_DIR  where the FIFOs and lock files live   [./.run/fifogate]
#   PORT, HOST and every other variable of the README are passed through.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/deps.sh
cmake --preset release >/dev/null
cmake --build --preset release -j"$(nproc)"

dir=${FIFOGATE_DIR:-$PWD/.run/fifogate}
mkdir -p "$dir"
export PROC_DIR=${PROC_DIR:-$dir}
export PORT=${PORT:-4567} HOST=${HOST:-0.0.0.0}

pids=()
stop() {
  trap - INT TERM EXIT
  for p in "${pids[@]}"; do kill -TERM "$p" 2>/dev/null || true; done
  wait || true
}
trap stop INT TERM EXIT

workers=${WORKERS:-$(nproc)}
for _ in $(seq "$workers"); do
  build-release/processor/fifogate-processor & pids+=($!)
done
for _ in $(seq 100); do
  build-release/processor/fifogate-processor --healthcheck >/dev/null 2>&1 && break
  sleep 0.1
done
build-release/web/fifogate-web & pids+=($!)
for _ in $(seq 100); do
  build-release/web/fifogate-web --healthcheck >/dev/null 2>&1 && break
  sleep 0.1
done
echo
echo "fifogate is running: http://127.0.0.1:${PORT}/   ($workers worker(s), FIFOs in $dir; Ctrl+C stops)"
echo "  try: curl --data-binary 'helo wrld' http://127.0.0.1:${PORT}/process"
wait -n "${pids[@]}"
