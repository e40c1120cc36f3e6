# shellcheck shell=bash
# Step 9 of tests/kubernetes/kube_test.sh: the first Pod stopped with a
# request in flight answers it in full (the drain) while the second
# replica takes the requests sent meanwhile; started again, it serves: a
# stop and start of one Pod at a time loses no request.

# 50 KB of letter-shifted text, every line different (a cache in the web
# must not shorten it) and starting with a letter (aspell -a run directly
# takes other first characters as commands): aspell works on it for seconds.
{
  echo "Slwo request of tset $$."
  for i in $(seq 1 330); do sed "s/^/Lnie $i /" "$WORK/sample.txt"; done | tr 'a-y' 'b-z'
} >"$WORK/slow.txt"
pm exec -i "$(ctr spell-1)" aspell -a <"$WORK/slow.txt" >"$WORK/slow.expected" || fail "aspell -a on the slow body"
curl -sS --noproxy '*' --max-time 90 -o "$WORK/slow.out" -w '%{http_code}' -H 'Content-Type: text/plain' \
  --data-binary @"$WORK/slow.txt" "$BASE/process" >"$WORK/slow.code" 2>"$WORK/slow.err" &
BG_PID=$!
t=0
until busy=$(busy_spell); do
  t=$((t + 1))
  [ "$t" -le 100 ] || fail "the slow request's aspell never started"
  kill -0 "$BG_PID" 2>/dev/null || fail "the slow request ended before it was seen running: $(cat "$WORK/slow.code")"
  sleep 0.1
done
# podman 4.3 does not apply terminationGracePeriodSeconds (a container's
# stop timeout stays podman's default), nor preStop: give the drain its 60 s
# here; all containers get SIGTERM at once.
log "the containers' stop timeout as played: $(state_of web '{{.Config.StopTimeout}}') s (terminationGracePeriodSeconds: 60); stopping with -t 60"
# Meanwhile the other replica takes requests, as the Service would send them.
: >"$WORK/b-codes"
# Each body has a line of its own, so no answer comes from the web's cache.
(
  n=0
  while [ ! -e "$WORK/stopped" ]; do
    n=$((n + 1))
    { echo "Meanwhile requst $n of $$."; cat "$WORK/sample.txt"; } |
      curl -sS --noproxy '*' --max-time 30 -o /dev/null -w '%{http_code}\n' \
        --data-binary @- "$BASE_B/process" >>"$WORK/b-codes" 2>&1
  done
) &
B_LOOP=$!
timeout 90 "${PODMAN[@]}" pod stop -t 60 "$POD" >"$WORK/stop.log" 2>&1 || { cat "$WORK/stop.log"; fail "pod stop"; }
touch "$WORK/stopped"
wait "$B_LOOP"
wait "$BG_PID"
BG_PID=
b_total=$(wc -l <"$WORK/b-codes")
b_ok=$(grep -cx 200 "$WORK/b-codes")
{ [ "$b_total" -gt 0 ] && [ "$b_ok" = "$b_total" ]; } ||
  fail "the other replica, while the first stopped: $b_ok of $b_total requests 200 ($(sort "$WORK/b-codes" | uniq -c | tr '\n' ' '))"
[ "$(cat "$WORK/slow.code")" = 200 ] || fail "the request in flight when the Pod stopped gave $(cat "$WORK/slow.code") $(cat "$WORK/slow.err")"
cmp -s "$WORK/slow.out" "$WORK/slow.expected" || fail "the request in flight when the Pod stopped got a wrong or cut answer"
for c in "${CONTAINERS[@]}"; do
  [ "$(state_of "$c" '{{.State.ExitCode}}')" = 0 ] || fail "$c exited $(state_of "$c" '{{.State.ExitCode}}') on SIGTERM"
done
pm logs "$(ctr web)" 2>&1 | grep -q 'finishing requests in flight' || fail "the web did not log its drain"
pass "Pod stopped while $busy ran a request: it got its whole 200 answer ($(wc -c <"$WORK/slow.out") bytes), every container exited 0; the other replica answered all $b_total requests sent meanwhile"
# The rolling restart's other half: the stopped Pod starts again and serves.
timeout 120 "${PODMAN[@]}" pod start "$POD" >"$WORK/start.log" 2>&1 || { cat "$WORK/start.log"; fail "pod start"; }
wait_kinds "markdown=1 spell=2" 60 || fail "the restarted Pod's /healthz does not count markdown=1 spell=2"
check_answer "the first Pod, started again"
pass "the first Pod started again and answers right: a stop and start of one Pod at a time loses no request"
