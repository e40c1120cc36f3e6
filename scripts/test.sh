#!/usr/bin/env bash
# Runs every test: installs what is missing, then builds and runs the suite
#   1. with -Wall -Wextra -Werror             (build/), plus the page in
#      headless Chromium (tests/browser/page_test.py; CI=true never skips it)
#   2. under AddressSanitizer + UBSan         (build-asan/)
#   3. under ThreadSanitizer                  (build-tsan/)
#   4. the compose end-to-end test on real containers (skips without Docker
#      unless CI=true, where it installs and starts Docker itself), then the
#      Kubernetes manifests played by podman kube play (skips without podman
#      unless CI=true), on the images the compose test just built: ctest's
#      labels compose and kubernetes, in the test preset e2e
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/deps.sh test
jobs=$(nproc)
start=$(date +%s)

echo "=== clang-format"
{ git ls-files '*.cpp' '*.hpp' 2>/dev/null || find common processor web tests bench -name '*.[ch]pp'; } |
  xargs clang-format --dry-run -Werror

suite() { # a preset of CMakePresets.json: its build directory, options and test settings
  echo "=== preset $1"
  cmake --preset "$1" >/dev/null
  cmake --build --preset "$1" -j"$jobs"
  ctest --preset "$1" -j"$jobs"
}

# Only in dev: the page in headless Chromium (tests/browser/), not again under the sanitizers.
suite dev
suite asan
# The web is the threaded part; the processor runs under it as well.
suite tsan

echo "=== end to end: compose, then kubernetes (podman kube play)"
ctest --preset e2e
echo "=== all tests passed in $(( $(date +%s) - start )) s"
