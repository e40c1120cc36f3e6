# shellcheck shell=bash
# shellcheck disable=SC2034  # sets variables that other parts read
# Step 4 of tests/kubernetes/kube_test.sh: the test overlay's output
# played as it is, on no network of its own; every container runs and
# passes its probe command, and GET /healthz counts both kinds.  Sets
# START_S, the Pod's start time, for the measurements.

if [ -n "$(leftovers)" ]; then
  log "removing what an earlier run left: $(leftovers | tr '\n' ' ')"
  pm pod rm -f "$POD" "$POD_B" >/dev/null 2>&1
  for v in "${VOLUMES[@]}"; do pm volume rm -f "$v" "${v/fifogate-/fifogate-b-}" >/dev/null 2>&1; done
  [ -z "$(leftovers)" ] || fail "cannot remove the leftovers of an earlier run: $(leftovers | tr '\n' ' ')"
fi
code=$(probe "$BASE/")
[ "$code" = 000 ] || fail "something already answers on 127.0.0.1:$PORT"

nets0=$(pm network ls -q | sort | tr '\n' ' ')
t0=$(date +%s.%N)
PLAYED=1
# --network host as well as the overlay's hostNetwork: without it kube play
# defines its "podman-default-kube-network" bridge, even though it is unused.
timeout 180 "${PODMAN[@]}" kube play --network host "$WORK/play.yaml" >"$WORK/play.log" 2>&1 ||
  { grep -v systemd "$WORK/play.log" | tail -30; fail "podman kube play failed"; }
[ "$(pm network ls -q | sort | tr '\n' ' ')" = "$nets0" ] || fail "kube play created a network: $(pm network ls -q | tr '\n' ' ')"
for c in "${CONTAINERS[@]}"; do
  [ "$(state_of "$c" '{{.State.Status}}')" = running ] || fail "$(ctr "$c") is not running"
done
wait_kinds "markdown=1 spell=2" 60 || fail "GET /healthz does not count markdown=1 spell=2 within 60 s"
t1=$(date +%s.%N)
START_S=$(awk "BEGIN { printf \"%.1f\", $t1 - $t0 }")
pass "kube play: $POD runs ${CONTAINERS[*]}; GET /healthz 200 with markdown=1 spell=2 after ${START_S} s"
for c in "${CONTAINERS[@]}"; do
  out=$(pm healthcheck run "$(ctr "$c")" 2>&1) || fail "$(ctr "$c"): its probe command fails: $out"
done
pass "every container's probe command passes (podman healthcheck run = the livenessProbe)"
[ "$(http GET /healthz -H 'Accept: application/json')" = 200 ] || fail "GET /healthz JSON"
grep -q '"processors":{"markdown":1,"spell":2}' "$WORK/body" || fail "GET /healthz JSON: $(head -c 300 "$WORK/body")"
pass "GET /healthz JSON lists both kinds: markdown 1 worker, spell 2"
