# shellcheck shell=bash
# Step 5 of tests/kubernetes/kube_test.sh: the answers, one by one and 24
# at once (served by both spell workers), and the workers /metrics counts.

write_spell_sample "$WORK/sample.txt"
check_answer "first request (default kind spell)"
expect_spell_output "$WORK/one0/1.exp"

cat >"$WORK/sample.md" <<'MD'
# fifogate on Kubernetes

| kind | command |
|------|---------|
| spell | `aspell -a` |
| markdown | cmark-gfm |

This is ~~wrong~~ right.

<script>alert("raw HTML")</script>
MD
check_markdown "first request"

since=$(date -u +%Y-%m-%dT%H:%M:%SZ)
sleep 1 # podman logs --since has a resolution of seconds
batch conc-s spell 16
batch conc-m markdown 8
for i in $(seq 1 16); do
  curl -sS --noproxy '*' --max-time 60 -o "$WORK/conc-s/$i.out" -w '%{http_code}' \
    --data-binary @"$WORK/conc-s/$i.in" "$BASE/process" >"$WORK/conc-s/$i.code" 2>&1 &
done
for i in $(seq 1 8); do
  curl -sS --noproxy '*' --max-time 60 -o "$WORK/conc-m/$i.out" -w '%{http_code}' \
    --data-binary @"$WORK/conc-m/$i.in" "$BASE/process/markdown" >"$WORK/conc-m/$i.code" 2>&1 &
done
wait
for f in "$WORK"/conc-[sm]/*.in; do
  [ "$(cat "${f%.in}.code")" = 200 ] || fail "concurrent request ${f#"$WORK"/} gave $(cat "${f%.in}.code")"
  cmp -s "${f%.in}.out" "${f%.in}.exp" || fail "concurrent request ${f#"$WORK"/}: wrong answer"
done
sleep 1
served=()
for c in spell-0 spell-1; do
  n=$(pm logs --since "$since" "$(ctr "$c")" 2>&1 | grep -c 'outcome=ok')
  served+=("$c=$n")
  [ "$n" -gt 0 ] || fail "concurrent requests: $c served none (${served[*]})"
done
pass "24 concurrent requests (16 spell, 8 markdown) all 200 and right; served by both spell workers (${served[*]})"
out=$(metrics_workers 2 1) || fail "/metrics: $out"
pass "GET /metrics: fifogate_workers_live spell 2, markdown 1"
