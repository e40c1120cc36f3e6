# shellcheck shell=bash
# shellcheck disable=SC2034  # sets variables that other parts read
# Step 7 of tests/compose/compose_test.sh: down -v, and nothing of the
# project is left.

timeout 180 "${COMPOSE[@]}" -p "$PROJECT" "${FILES[@]}" down -v --remove-orphans -t 20 >"$WORK/down.log" 2>&1 ||
  { tail -30 "$WORK/down.log"; fail "compose down -v failed"; }
STACK_UP=0
left=$(leftovers)
[ -z "$left" ] || fail "left behind after down -v: $(echo "$left" | tr '\n' ' ')"
pass "down -v: no container, volume or network of $PROJECT left"
