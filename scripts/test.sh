#!/usr/bin/env bash
# Runs every test: installs what is missing, then builds and runs the suite
#   1. with -Wall -Wextra -Werror             (build/), plus the page in
#      headless Chromium (tests/browser/page_test.py; CI=true never skips it)
#   2. under AddressSanitizer + UBSan         (build-asan/)
#   3. under ThreadSanitizer                  (build-tsan/)
#   4. the compose end-to-end test on real containers (skips without Docker
#      unless CI=true, where it installs and starts Docker itself)
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/deps.sh test
jobs=$(nproc)
start=$(date +%s)

echo "=== clang-format"
{ git ls-files '*.cpp' '*.hpp' 2>/dev/null || find common processor web tests bench -name '*.[ch]pp'; } |
  xargs clang-format --dry-run -Werror

suite() { # name, cmake args...
  local dir=$1
  shift
  echo "=== $dir: $*"
  cmake -S . -B "$dir" -DFIFOGATE_WERROR=ON "$@" >/dev/null
  cmake --build "$dir" -j"$jobs"
  (cd "$dir" && ctest --output-on-failure -j"$jobs" --timeout 120)
}

# Only here: the page in headless Chromium (tests/browser/), not again under the sanitizers.
suite build -DCMAKE_BUILD_TYPE=RelWithDebInfo -DFIFOGATE_BROWSER_TEST=ON
suite build-asan -DCMAKE_BUILD_TYPE=Debug -DFIFOGATE_SANITIZE=address,undefined
# The web is the threaded part; the processor runs under it as well.
TSAN_OPTIONS="halt_on_error=1 second_deadlock_stack=1 suppressions=$PWD/tests/tsan.supp" \
  suite build-tsan -DCMAKE_BUILD_TYPE=RelWithDebInfo -DFIFOGATE_SANITIZE=thread

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
echo "=== all tests passed in $(( $(date +%s) - start )) s"
