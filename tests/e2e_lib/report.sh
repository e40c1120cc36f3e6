# shellcheck shell=bash
# Progress lines, the pass count and the closing summary of an end-to-end
# test (tests/compose/compose_test.sh, tests/kubernetes/kube_test.sh).
#
# The test sets, before it sources this file:
#   E2E_TAG  the prefix of its log lines (compose-test, kube-test)
#   START    its start, in seconds since the epoch
# A check that fails ends the test at once (exit 1): the EXIT trap of the
# test cleans up and prints the summary.

PASSED=0
FAILED=0

elapsed() { echo $(($(date +%s) - START)); }
log() { printf '[%s %4ss] %s\n' "$E2E_TAG" "$(elapsed)" "$*"; }
pass() { PASSED=$((PASSED + 1)); log "ok: $*"; }
fail() {
  FAILED=$((FAILED + 1))
  log "FAIL: $*"
  exit 1
}
skip() {
  echo "SKIP: $*"
  exit 77
}

# report_end RC SUITE PASS_TITLE FAIL_TITLE: the closing lines of a run
# that ended with RC (not a skip), the last one "SUITE: N passed, N failed".
# A run that ended otherwise than through fail (a signal, an unset
# variable) counts as one failure: a non-zero exit never reads "0 failed".
report_end() {
  local rc=$1 failed=$FAILED
  [ "$rc" -ne 0 ] && [ "$failed" -eq 0 ] && failed=1
  if [ "$rc" -eq 0 ]; then
    log "PASS: $3 in $(elapsed) s"
  else
    log "$4 FAILED after $(elapsed) s"
  fi
  echo "$2: $PASSED passed, $failed failed"
}
