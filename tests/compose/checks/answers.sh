# shellcheck shell=bash
# Step 4 of tests/compose/compose_test.sh: the answers.  The form, both
# kinds answering exactly as their commands do inside their containers,
# GET /processors, and the errors a client can cause.

code=$(http GET /)
if [ "$code" != 200 ] || ! grep -q '<textarea' "$WORK/body"; then fail "GET / gave $code without a <textarea"; fi
pass "GET / is the form"

write_spell_sample "$WORK/sample.txt"
docker exec -i "$SPELL" aspell -a <"$WORK/sample.txt" >"$WORK/expected.txt" ||
  fail "aspell -a in the spell container failed"
expect_spell_output "$WORK/expected.txt"
check_answer "first request (default kind spell)"

cat >"$WORK/sample.md" <<'MD'
# fifogate kinds

| kind | command |
|------|---------|
| spell | `aspell -a` |
| markdown | cmark-gfm |

This is ~~wrong~~ right: see https://example.org/docs.

- [x] tables
- [ ] more

<script>alert("raw HTML")</script>

Inline <script>alert(1)</script> and a [link](javascript:alert(1)).
MD
# The command exactly as the processor runs it: its PROC_COMMAND, split on
# spaces (it has no quotes).
docker exec -i "$MD" sh -c 'exec $PROC_COMMAND' <"$WORK/sample.md" >"$WORK/expected.html" ||
  fail "PROC_COMMAND in the markdown container failed"
expect_html_output "$WORK/expected.html"
check_markdown "first request"

code=$(http GET /processors)
[ "$code" = 200 ] || fail "GET /processors gave $code"
python3 - "$WORK/body" <<'PY' || fail "GET /processors: $(head -c 600 "$WORK/body")"
import json, sys
j = json.load(open(sys.argv[1]))
assert j["default"] == "spell", j["default"]
k = {p["name"]: p for p in j["processors"]}
assert sorted(k) == ["markdown", "spell"], sorted(k)
s, m = k["spell"], k["markdown"]
assert s["default"] is True and m["default"] is False
assert s["command"] == "aspell -a" and s["protocol"] == "ispell", s
assert m["command"].startswith("cmark-gfm ") and m["protocol"] == "raw", m
assert m["content_type"] == "text/html; charset=utf-8", m["content_type"]
assert s["workers"] == 1 and m["workers"] == 1, (s["workers"], m["workers"])
PY
pass "GET /processors: spell (default, ispell) and markdown (raw, text/html), 1 worker each"

printf 'abc \xff\xfe def\n' >"$WORK/bad.txt"
code=$(http POST /process --data-binary @"$WORK/bad.txt")
[ "$code" = 400 ] || fail "invalid UTF-8 gave $code, want 400: $(head -c 200 "$WORK/body")"
pass "invalid UTF-8 body -> 400"

code=$(http GET /process)
[ "$code" = 405 ] || fail "GET /process gave $code, want 405"
pass "GET /process -> 405"

code=$(http POST /process/nosuchkind --data-binary 'x')
[ "$code" = 404 ] || fail "POST /process/nosuchkind gave $code, want 404"
pass "POST /process/nosuchkind -> 404"
