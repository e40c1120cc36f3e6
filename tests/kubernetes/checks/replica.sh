# shellcheck shell=bash
# shellcheck disable=SC2034  # sets variables that other parts read
# Step 8a of tests/kubernetes/kube_test.sh: a second replica, a Pod of
# its own with FIFOs of its own; both Pods answer.

# On a cluster the Deployment's replicas are Pods like this one behind one
# Service, each on its own node or network namespace. Here every Pod is on
# the host's network and podman names an emptyDir's volume after it, so the
# copy gets its own port and volume names; nothing else of it changes.
sed -e "s/\b$PORT\b/$PORT_B/g" -e 's/^\(  name: \)fifogate$/\1fifogate-b/' \
  -e 's/\bfifogate-\(spell\|markdown\|tmp-\)/fifogate-b-\1/g' "$WORK/play.yaml" >"$WORK/play-b.yaml"
code=$(probe "$BASE_B/")
[ "$code" = 000 ] || fail "something already answers on 127.0.0.1:$PORT_B"
PLAYED_B=1
timeout 180 "${PODMAN[@]}" kube play --network host "$WORK/play-b.yaml" >"$WORK/play-b.log" 2>&1 ||
  { grep -v systemd "$WORK/play-b.log" | tail -30; fail "podman kube play of the second replica failed"; }
t=0
until curl -s --noproxy '*' --max-time 2 "$BASE_B/healthz" 2>/dev/null |
  grep -q 'workers per processor: markdown=1 spell=2$'; do
  t=$((t + 1))
  [ "$t" -le 300 ] || fail "the second replica's /healthz does not count markdown=1 spell=2 within 60 s"
  sleep 0.2
done
batch replicas spell 2
for b in "$BASE" "$BASE_B"; do
  i=$([ "$b" = "$BASE" ] && echo 1 || echo 2)
  code=$(curl -sS --noproxy '*' --max-time 60 -o "$WORK/replicas/$i.out" -w '%{http_code}' \
    --data-binary @"$WORK/replicas/$i.in" "$b/process")
  [ "$code" = 200 ] || fail "replica $b: POST /process gave $code"
  cmp -s "$WORK/replicas/$i.out" "$WORK/replicas/$i.exp" || fail "replica $b: POST /process differs from aspell -a"
done
pm exec "$POD_B-web" sh -c 'test -p /run/fifogate/spell/in' || fail "the second replica has no FIFOs of its own"
[ "$(pm volume inspect fifogate-b-spell --format '{{.Mountpoint}}')" != "$(pm volume inspect fifogate-spell --format '{{.Mountpoint}}')" ] ||
  fail "the two replicas share their FIFO volume"
pass "a second replica ($POD_B, 127.0.0.1:$PORT_B, its own FIFO volumes): both Pods answer POST /process as aspell -a does"
