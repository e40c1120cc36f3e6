# shellcheck shell=bash
# Step 6 of tests/compose/compose_test.sh: scale per kind, --scale spell=2
# --scale markdown=1.  Each processor claims its own worker slot of its
# kind (in.1, out.1, ... beside slot 0's); while one spell worker is busy
# the web sends requests to the other.  One dies: the other carries on,
# and the dead one comes back by policy.

timeout 300 "${COMPOSE[@]}" -p "$PROJECT" "${FILES[@]}" up -d --no-build --no-recreate \
  --scale spell=2 --scale markdown=1 >"$WORK/scale.log" 2>&1 ||
  { tail -30 "$WORK/scale.log"; fail "up --scale spell=2 --scale markdown=1"; }
wait_healthy spell 2 60 || fail "two spell processors not healthy within 60 s"
wait_healthy markdown 1 30 || fail "the markdown processor not healthy after scaling"
wait_workers 2 30 || fail "GET /healthz does not report 2 spell workers within 30 s"
wait_kinds "markdown=1 spell=2" 10 || fail "GET /processors does not count markdown=1 spell=2"
out=$(metrics_workers 2 1) || fail "/metrics fifogate_workers_live: $out"
pass "--scale spell=2 --scale markdown=1: all healthy; /processors and /metrics count spell=2 markdown=1"
since=$(date -u +%Y-%m-%dT%H:%M:%SZ)
# The web prefers the worker it used last, so sequential requests may all go
# to one: keep one busy with 128 KB of half-misspelled text (aspell suggests
# for every bad word: about 5 s here), and the others must go elsewhere.
# The text is the start of checks/restart.sh's 5 MB body.
head -c $((128 * 1024)) "$WORK/big.txt" >"$WORK/busy.txt"
curl -sS --noproxy '*' --max-time 90 -o /dev/null -w '%{http_code}' -H 'Content-Type: text/plain' \
  --data-binary @"$WORK/busy.txt" "$BASE/process" >"$WORK/busy.code" 2>"$WORK/busy.err" &
BG_PID=$!
t=0
until any_aspell_running spell; do
  t=$((t + 1))
  [ "$t" -le 150 ] || fail "the command never started for the 128 KB request"
  kill -0 "$BG_PID" 2>/dev/null || fail "the 128 KB request ended before its command was seen: $(cat "$WORK/busy.code")"
  sleep 0.2
done
for i in 1 2 3; do check_answer "scaled, request $i" quiet; done
check_markdown "scaled, markdown" quiet
kill -0 "$BG_PID" 2>/dev/null || log "note: the 128 KB request ended before the 3 small ones did"
wait "$BG_PID"
BG_PID=
[ "$(cat "$WORK/busy.code")" = 200 ] || fail "scaled: the 128 KB request gave $(cat "$WORK/busy.code") $(cat "$WORK/busy.err")"
sleep 1 # the processors log after they answer
served=0
for id in $(ids_of spell); do
  n=$(docker logs --since "$since" "$id" 2>&1 | grep -c 'outcome=ok')
  [ "$n" -gt 0 ] && served=$((served + 1))
done
[ "$served" -eq 2 ] || fail "requests were not spread over both spell processors (only $served served)"
pass "scaled: 3 spell requests and 1 markdown request right while the other spell processor ran a 128 KB body: both spell processors served"
victim=$(ids_of spell | grep -v "^$SPELL" | head -1)
[ -n "$victim" ] || fail "cannot find the second spell container"
vpid=$(processor_pid "$victim") || fail "cannot find the second spell processor's PID"
docker exec "$victim" sh -c "kill -KILL $vpid" >/dev/null 2>&1
log "killed one of the two spell processors (${victim:0:12})"
sleep 0.5 # past the web's 100 ms cache of which slots are live
check_answer "one of two spell processors dead: the other answers"
wait_healthy spell 2 60 || fail "the killed spell processor did not come back healthy within 60 s"
wait_workers 2 30 || fail "GET /healthz does not report 2 spell workers again within 30 s"
check_answer "both spell processors back"
wait_kinds "markdown=1 spell=2" 10 || fail "GET /processors does not count markdown=1 spell=2 at the end"
