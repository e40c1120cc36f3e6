# shellcheck shell=bash
# shellcheck disable=SC2034  # sets variables that other parts read
# Step 10 of tests/kubernetes/kube_test.sh: podman kube down of both
# replicas leaves no pod, container or volume.

timeout 120 "${PODMAN[@]}" kube down "$WORK/play.yaml" >"$WORK/down.log" 2>&1 ||
  { grep -v systemd "$WORK/down.log"; fail "podman kube down failed"; }
PLAYED=0
timeout 120 "${PODMAN[@]}" kube down "$WORK/play-b.yaml" >"$WORK/down-b.log" 2>&1 ||
  { grep -v systemd "$WORK/down-b.log"; fail "podman kube down of the second replica failed"; }
PLAYED_B=0
left=$(leftovers)
[ -z "$left" ] || {
  PLAYED=1
  fail "left behind after kube down: $(echo "$left" | tr '\n' ' ')"
}
pass "podman kube down: no pod, container or volume left"
