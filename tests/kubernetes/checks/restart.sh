# shellcheck shell=bash
# Step 7 of tests/kubernetes/kube_test.sh: a processor dies; the other
# spell worker answers meanwhile, and the restart policy restarts it.

# Killed from the host by its PID: the processor is PID 1 of its container
# (no init), which ignores a SIGKILL sent from inside; `podman kill` counts
# as stopped by the user and is not restarted.
pid=$(state_of spell-0 '{{.State.Pid}}')
restarts0=$(state_of spell-0 '{{.RestartCount}}')
[ "${pid:-0}" -gt 1 ] || fail "no PID for spell-0"
kill -KILL "$pid"
log "killed spell-0's processor (host pid $pid)"
check_answer "right after spell-0 was killed"
t=0
while :; do
  restarts=$(state_of spell-0 '{{.RestartCount}}')
  [ "$restarts" -gt "$restarts0" ] && [ "$(state_of spell-0 '{{.State.Status}}')" = running ] && break
  t=$((t + 1))
  [ "$t" -le 60 ] || fail "spell-0 not restarted within 30 s (RestartCount $restarts0 -> $restarts)"
  sleep 0.5
done
wait_kinds "markdown=1 spell=2" 30 || fail "spell-0 back, but GET /healthz does not count spell=2 again"
check_answer "after spell-0's restart"
pass "spell-0 restarted by the restart policy (RestartCount $restarts0 -> $restarts) in about $((t / 2)) s"
