#!/usr/bin/env bash
# Runs every test: installs what is missing, then builds and runs the suite
#   1. with -Wall -Wextra -Werror             (build/), plus the page in
#      headless Chromium (tests/browser/page_test.py; CI=true never skips it)
#   2. under AddressSanitizer + UBSan         (build-asan/)
#   3. under ThreadSanitizer                  (build-tsan/)
#   4. the compose end-to-end test on real containers (skips without Docker
#      unless CI=true, where it installs and starts Docker itself)
#   5. the Kubernetes manifests played by podman kube play (skips without
#      podman unless CI=true), on the images the compose test just built
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

echo "=== compose end-to-end"
set +e
bash tests/compose/compose_test.sh
rc=$?
set -e
if [[ $rc -eq 77 ]]; then
  echo "compose test skipped (see above)"
elif [[ $rc -ne 0 ]]; then
  echo "compose test FAILED"
  exit 1
fi
echo "=== kubernetes end-to-end (podman kube play)"
set +e
bash tests/kubernetes/kube_test.sh
rc=$?
set -e
if [[ $rc -eq 77 ]]; then
  echo "kubernetes test skipped (see above)"
elif [[ $rc -ne 0 ]]; then
  echo "kubernetes test FAILED"
  exit 1
fi
echo "=== all tests passed in $(( $(date +%s) - start )) s"
