# shellcheck shell=bash
# What the test leaves behind: nothing of its project after a run, and
# nothing of earlier runs whose script is gone.
#
# Needs PROJECT, BASE, WORK, COMPOSE, FILES, STACK_UP and BG_PID from
# tests/compose/compose_test.sh, and tests/e2e_lib/report.sh.

dump_logs() {
  [ "$STACK_UP" = 1 ] || return 0
  log "---- docker ps (project $PROJECT) ----"
  docker ps -a --filter "label=com.docker.compose.project=$PROJECT" \
    --format '{{.Names}}\t{{.Status}}' 2>/dev/null
  log "---- compose logs (last 60 lines per service) ----"
  timeout 60 "${COMPOSE[@]}" -p "$PROJECT" "${FILES[@]}" logs --no-color --tail=60 2>&1 | tail -150
}

leftovers() {
  local f="label=com.docker.compose.project=$PROJECT"
  {
    docker ps -aq --filter "$f" | sed 's/^/container /'
    docker volume ls -q --filter "$f" | sed 's/^/volume /'
    docker volume ls -q --filter "name=${PROJECT}_" | sed 's/^/volume /'
    docker network ls -q --filter "$f" | sed 's/^/network /'
  } 2>/dev/null | sort -u
}

# Removes the containers and volumes of one project (by its compose label).
remove_project() {
  local f="label=com.docker.compose.project=$1" ids=()
  mapfile -t ids < <(docker ps -aq --filter "$f" 2>/dev/null)
  [ ${#ids[@]} -gt 0 ] && docker rm -f "${ids[@]}" >/dev/null 2>&1
  mapfile -t ids < <(docker volume ls -q --filter "$f" 2>/dev/null)
  [ ${#ids[@]} -gt 0 ] && docker volume rm "${ids[@]}" >/dev/null 2>&1
  return 0
}

# Stacks of earlier runs of this test whose script is gone (killed before its
# trap ran, or kept with FIFOGATE_TEST_KEEP=1): they would hold the test port.
remove_stale_projects() {
  local p pid
  for p in $(docker ps -a --filter label=com.docker.compose.project \
    --format '{{.Label "com.docker.compose.project"}}' 2>/dev/null | sort -u); do
    [[ $p =~ ^fifogate-ci-([0-9]+)-[0-9]+$ ]] || continue
    pid=${BASH_REMATCH[1]}
    kill -0 "$pid" 2>/dev/null && continue
    log "removing the stale test project $p (its script, pid $pid, is gone)"
    remove_project "$p"
  done
}

cleanup() {
  local rc=$?
  trap - EXIT INT TERM
  [ -n "${BG_PID:-}" ] && kill "$BG_PID" 2>/dev/null
  if [ "$STACK_UP" = 1 ]; then
    if [ "$rc" -ne 0 ]; then
      dump_logs
    fi
    if [ "$rc" -ne 0 ] && [ "${FIFOGATE_TEST_KEEP:-}" = 1 ]; then
      log "FIFOGATE_TEST_KEEP=1: project $PROJECT left up (web on $BASE); the next run removes it, or:"
      log "  docker rm -f \$(docker ps -aq --filter label=com.docker.compose.project=$PROJECT)"
    else
      timeout 120 "${COMPOSE[@]}" -p "$PROJECT" "${FILES[@]}" down -v --remove-orphans -t 10 >/dev/null 2>&1
      remove_project "$PROJECT"
    fi
  fi
  rm -rf "$WORK"
  [ "$rc" -eq 77 ] && exit 77
  report_end "$rc" compose "compose end-to-end test" "compose end-to-end test"
  exit "$rc"
}

