# shellcheck shell=bash
# shellcheck disable=SC2034  # sets variables that other parts read
# Step 3 of tests/compose/compose_test.sh: the stack comes up from the
# sources (--build), on no network of its own, every health check turns
# healthy and the web sees both kinds.  Sets SPELL, MD and WEB: one
# container of each service, for the checks that follow.

remove_stale_projects
code=$(probe "$BASE/")
[ "$code" = 000 ] || fail "something already answers on 127.0.0.1:$PORT; set FIFOGATE_TEST_PORT to a free port"
export FIFOGATE_TEST_PORT=$PORT
setup_files
log "project $PROJECT: ${COMPOSE[*]} up -d --build (first run builds the images: minutes)"
STACK_UP=1
timeout 2400 "${COMPOSE[@]}" -p "$PROJECT" "${FILES[@]}" up -d --build >"$WORK/up.log" 2>&1 ||
  { tail -60 "$WORK/up.log"; fail "compose up --build failed"; }
pass "compose up --build ($(elapsed) s so far)"
[ -z "$(docker network ls -q --filter "label=com.docker.compose.project=$PROJECT")" ] ||
  fail "compose created a network for the project; the test must not create networks"

wait_healthy spell 1 120 || fail "spell processor not healthy within 120 s"
wait_healthy markdown 1 60 || fail "markdown processor not healthy within 60 s"
wait_healthy web 1 60 || fail "web not healthy within 60 s"
pass "every health check healthy (spell, markdown, web)"
wait_workers "" 30 || fail "GET /healthz not 200 within 30 s"
wait_workers "" 30 markdown || fail "GET /healthz?processor=markdown not 200 within 30 s"
pass "GET /healthz 200 (default kind spell) and ?processor=markdown 200: the web sees both kinds"

SPELL=$(one_of spell)
MD=$(one_of markdown)
WEB=$(one_of web)
