# shellcheck shell=bash
# The stack under test: Compose commands on the test's project, its
# containers and their health, and what the web reports of its workers.
#
# Needs ROOT, PORT, PROJECT, WORK, COMPOSE and FILES (set here) from
# tests/compose/compose_test.sh, and tests/e2e_lib/{report,http,answers}.sh.

compose() { "${COMPOSE[@]}" -p "$PROJECT" "${FILES[@]}" "$@"; }

# Compose v1 (docker-py) refuses published ports together with host
# networking, and an override cannot take a list entry away, so for v1 the
# merged configuration is written out with the web's ports removed.
# Compose v2 takes both files as they are (the engine drops the ports).
setup_files() {
  local base=(-f "$ROOT/docker-compose.yml" -f "$ROOT/tests/compose/docker-compose.ci.yml")
  if [ "${COMPOSE[0]}" = docker-compose ]; then
    FIFOGATE_TEST_PORT=$PORT docker-compose -p "$PROJECT" "${base[@]}" config >"$WORK/merged.yml" ||
      fail "docker-compose config"
    python3 - "$WORK/merged.yml" <<'EOF' || fail "dropping the web's ports from the merged configuration"
import sys, yaml
path = sys.argv[1]
with open(path) as f:
    cfg = yaml.safe_load(f)
web = cfg["services"]["web"]
assert web.get("network_mode") == "host", "the CI override must put the web on the host network"
web.pop("ports", None)
with open(path, "w") as f:
    yaml.safe_dump(cfg, f, default_flow_style=False)
EOF
    FILES=(-f "$WORK/merged.yml" --project-directory "$ROOT")
  else
    FILES=("${base[@]}")
  fi
}

# Containers of a service, one id per line.
ids_of() { compose ps -q "$1" 2>/dev/null | grep -v '^$'; }
one_of() { ids_of "$1" | head -1; }
health_of() { docker inspect -f '{{if .State.Health}}{{.State.Health.Status}}{{else}}none{{end}}' "$1" 2>/dev/null; }

# wait_healthy SERVICE COUNT SECONDS: COUNT containers of SERVICE all healthy.
wait_healthy() {
  local svc=$1 want=$2 limit=$3 t=0 ids n ok id
  while [ "$t" -lt "$limit" ]; do
    ids=$(ids_of "$svc")
    n=$(printf '%s\n' "$ids" | grep -c .)
    ok=0
    for id in $ids; do [ "$(health_of "$id")" = healthy ] && ok=$((ok + 1)); done
    [ "$n" -eq "$want" ] && [ "$ok" -eq "$want" ] && return 0
    sleep 1
    t=$((t + 1))
  done
  for id in $(ids_of "$svc"); do log "  $svc $id: $(health_of "$id")"; done
  return 1
}

# wait_workers N SECONDS [KIND]: GET /healthz (?processor=KIND) answers 200
# with "ok: N worker(s)" (N empty: any number; no KIND: the default kind).
wait_workers() {
  local want=${1:+$1 worker} limit=$2 path=/healthz${3:+?processor=$3} t=0
  while [ "$t" -lt $((limit * 5)) ]; do
    [ "$(http GET "$path")" = 200 ] && grep -q "^ok: $want" "$WORK/body" && return 0
    sleep 0.2
    t=$((t + 1))
  done
  log "  GET $path: $(head -c 200 "$WORK/body" 2>/dev/null)"
  return 1
}

# kind_workers: GET /processors as "name=workers" words, by name
# ("markdown=1 spell=2").
kind_workers() {
  [ "$(http GET /processors)" = 200 ] || return 1
  python3 -c '
import json, sys
j = json.load(open(sys.argv[1]))
print(" ".join("%s=%d" % (p["name"], p["workers"]) for p in sorted(j["processors"], key=lambda p: p["name"])))
' "$WORK/body"
}

# wait_kinds WANT SECONDS: kind_workers says WANT.
wait_kinds() {
  local want=$1 limit=$2 t=0 got=
  while [ "$t" -lt $((limit * 5)) ]; do
    got=$(kind_workers 2>/dev/null)
    [ "$got" = "$want" ] && return 0
    sleep 0.2
    t=$((t + 1))
  done
  log "  GET /processors workers: '$got', want '$want'"
  return 1
}

# PID (inside the container) of the processor proper: the child of docker-init,
# not a --healthcheck run (those are exec'd, their parent is outside).
processor_pid() {
  docker exec "$1" sh -c '
    for d in /proc/[0-9]*; do
      [ "$(cat "$d/comm" 2>/dev/null)" = fifogate-proces ] || continue
      ppid=$(sed -n "s/^PPid:[[:space:]]*//p" "$d/status" 2>/dev/null)
      [ "$ppid" = 1 ] && { echo "${d#/proc/}"; exit 0; }
    done
    exit 1' 2>/dev/null
}

# in_container CONTAINER COMMAND...: how tests/e2e_lib/container.sh
# looks inside a container of the stack.
in_container() { docker exec "$@"; }

# any_aspell_running SERVICE: one of the service's containers runs aspell.
any_aspell_running() {
  local id
  for id in $(ids_of "$1"); do aspell_running "$id" && return 0; done
  return 1
}

# The default kind, spell: the answer equals `aspell -a` run in the spell
# container on the same sample ($WORK/expected.txt).
check_answer() { # label [quiet]
  expect_answer "$1" "" "$WORK/sample.txt" "$WORK/expected.txt" "${2:-}"
}

# The markdown kind: the answer equals the container's own PROC_COMMAND
# (cmark-gfm) on the same bytes ($WORK/expected.html), labelled text/html.
check_markdown() { # label [quiet]
  expect_answer "$1" markdown "$WORK/sample.md" "$WORK/expected.html" "${2:-}"
}

# The volumes a container mounts, "name:destination" words.
mounts_of() { docker inspect -f '{{range .Mounts}}{{.Name}}:{{.Destination}} {{end}}' "$1" 2>/dev/null; }
