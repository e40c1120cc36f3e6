# shellcheck shell=bash
# Step 5 of tests/compose/compose_test.sh: the spell processor killed
# mid-request gives a 5xx, the restart policy brings it back, and the
# answers are right again.

# 5 MB of text, half of it misspelled (letters shifted) so aspell works on
# it for well over a minute: the request is surely in flight when we kill.
lic=/usr/share/common-licenses/GPL-3
[ -r "$lic" ] || lic=${BASH_SOURCE[0]}
{ cat "$lic"; tr 'a-y' 'b-z' <"$lic"; } >"$WORK/chunk.txt"
: >"$WORK/big.txt"
while [ "$(stat -c %s "$WORK/big.txt")" -lt $((5 * 1024 * 1024)) ]; do cat "$WORK/chunk.txt" >>"$WORK/big.txt"; done
restarts0=$(docker inspect -f '{{.RestartCount}}' "$SPELL")
started0=$(docker inspect -f '{{.State.StartedAt}}' "$SPELL")
ppid_in=$(processor_pid "$SPELL") || fail "cannot find the spell processor's PID in its container"
curl -sS --noproxy '*' --max-time 90 -o "$WORK/big.out" -w '%{http_code}' -H 'Content-Type: text/plain' \
  --data-binary @"$WORK/big.txt" "$BASE/process" >"$WORK/big.code" 2>"$WORK/big.err" &
BG_PID=$!
t=0
until aspell_running "$SPELL"; do
  t=$((t + 1))
  [ "$t" -le 150 ] || fail "the command never started for the 5 MB request"
  kill -0 "$BG_PID" 2>/dev/null || fail "the 5 MB request ended before the command was seen: $(cat "$WORK/big.code")"
  sleep 0.2
done
# The exec's own status is meaningless here: it dies with the container.
docker exec "$SPELL" sh -c "kill -KILL $ppid_in" >/dev/null 2>&1
log "killed the spell fifogate-processor (pid $ppid_in in its container) while aspell ran the 5 MB request"
wait "$BG_PID"
BG_PID=
code=$(cat "$WORK/big.code")
case $code in 502 | 503 | 504) ;; *) fail "request in flight when the processor died gave '$code', want 502/503/504: $(head -c 200 "$WORK/big.out")" ;; esac
pass "spell processor killed mid-request -> $code ($(head -c 120 "$WORK/big.out" | tr '\n' ' '))"

t=0
while :; do
  restarts=$(docker inspect -f '{{.RestartCount}}' "$SPELL" 2>/dev/null)
  started=$(docker inspect -f '{{.State.StartedAt}}' "$SPELL" 2>/dev/null)
  [ "$restarts" -gt "$restarts0" ] && [ "$started" != "$started0" ] && break
  t=$((t + 1))
  [ "$t" -le 60 ] || fail "spell container not restarted within 60 s (restarts $restarts0 -> $restarts)"
  sleep 1
done
pass "restart policy restarted the spell container (RestartCount $restarts0 -> $restarts)"
wait_healthy spell 1 60 || fail "spell not healthy again within 60 s"
wait_workers "" 30 || fail "GET /healthz not 200 again within 30 s"
check_answer "after the restart"
check_markdown "markdown, after spell's restart"
