#!/usr/bin/env bash
# End-to-end test of docker-compose.yml on real containers.
#
#   CI=true bash tests/compose/compose_test.sh
#
# What it does:
#  1. Finds a usable Docker engine and Compose (v2 `docker compose` preferred,
#     else v1 `docker-compose`).  Without them it prints "SKIP: ..." and exits
#     77 -- unless CI=true, where it never skips: it installs docker.io,
#     docker-compose, debootstrap and curl with apt-get when missing, and
#     starts dockerd itself when no engine answers:
#       dockerd --bridge=none --iptables=false --ip-forward=false --ip-masq=false
#     That dockerd is LEFT RUNNING on purpose (its PID goes to
#     /run/fifogate-test-dockerd.pid, its log to /var/log/fifogate-test-dockerd.log)
#     so later runs reuse the engine and its layer cache.  Stop it with
#       kill "$(cat /run/fifogate-test-dockerd.pid)"
#  2. Makes sure the image debian:bookworm-slim exists.  No registry is
#     reachable here, so when the tag is absent it is built locally with
#     debootstrap (minbase, trimmed like the official slim image) and
#     imported; the root filesystem tarball is kept in /var/cache/fifogate/
#     so a later import takes seconds.  An existing tag is used as it is.
#  3. Brings the stack up (--build) under a unique project name with
#     tests/compose/docker-compose.ci.yml on top of docker-compose.yml: the web
#     on the host's network listening on 127.0.0.1:$FIFOGATE_TEST_PORT (14567),
#     the two processor kinds (spell: aspell -a, the default; markdown:
#     cmark-gfm) with no network at all.  All HTTP goes to 127.0.0.1 only.
#  4. Checks: every health check turns healthy and GET /healthz sees both
#     kinds; GET / is the form; POST /process (the default kind, spell)
#     equals `aspell -a` run inside the spell container; POST
#     /process/markdown (a table, ~~strike~~, <script>) equals the markdown
#     container's PROC_COMMAND (cmark-gfm) run inside it, as text/html;
#     GET /processors lists both kinds; invalid UTF-8 -> 400; GET /process
#     -> 405; an unknown kind -> 404; non-root users (web 4568, spell 4569,
#     markdown 4570, all gid 4567), the kind directories and the FIFO modes,
#     no network and a read-only root in both processors; isolation: each
#     processor container mounts its own kind's volume only, sees no FIFO of
#     the other kind and cannot open one, while the web sees both; the spell
#     processor killed mid-request -> 5xx, then the restart policy brings it
#     back and answers are right again; --scale spell=2 --scale markdown=1
#     gives 2 spell workers and 1 markdown worker (GET /processors,
#     /metrics), the two spell workers share the load, and when one dies the
#     other answers while the dead one is restarted.
#  5. `down -v`, then asserts no container, volume or network of the project
#     is left, and prints the time taken.
#
# Environment: CI (true = never skip), FIFOGATE_TEST_PORT (14567),
# FIFOGATE_TEST_KEEP=1 (leave the stack up after a failure, for debugging).
# Exit: 0 passed, 1 failed, 77 skipped.

# shellcheck disable=SC2317  # cleanup and dump_logs run from the EXIT trap
set -uo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
START=$(date +%s)
CI=${CI:-}
PORT=${FIFOGATE_TEST_PORT:-14567}
PROJECT="fifogate-ci-$$-$(date +%s)"
CACHE_DIR=/var/cache/fifogate
BASE_TAG=debian:bookworm-slim
BASE_TAR=$CACHE_DIR/debian-bookworm-slim-rootfs.tar
DOCKERD_PID_FILE=/run/fifogate-test-dockerd.pid
DOCKERD_LOG=/var/log/fifogate-test-dockerd.log
WORK=$(mktemp -d /tmp/fifogate-compose-test.XXXXXX)
BASE=http://127.0.0.1:$PORT

PASSED=0
FAILED=0
STACK_UP=0
COMPOSE=()
FILES=()

elapsed() { echo $(($(date +%s) - START)); }
log() { printf '[compose-test %4ss] %s\n' "$(elapsed)" "$*"; }
pass() { PASSED=$((PASSED + 1)); log "ok: $*"; }
fail() {
  FAILED=$((FAILED + 1))
  log "FAIL: $*"
  exit 1
}
skip() {
  echo "SKIP: $*"
  exit 77
}

# ---------------------------------------------------------------------------
# Engine, tools, base image
# ---------------------------------------------------------------------------

engine_answers() { timeout 20 docker info >/dev/null 2>&1; }

pick_compose() {
  if timeout 20 docker compose version >/dev/null 2>&1; then
    COMPOSE=(docker compose)
  elif command -v docker-compose >/dev/null 2>&1 && timeout 20 docker-compose version >/dev/null 2>&1; then
    COMPOSE=(docker-compose)
  else
    return 1
  fi
}

install_tools() {
  local need=()
  command -v dockerd >/dev/null 2>&1 || need+=(docker.io)
  command -v docker >/dev/null 2>&1 || need+=(docker.io)
  { timeout 20 docker compose version >/dev/null 2>&1 || command -v docker-compose >/dev/null 2>&1; } ||
    need+=(docker-compose)
  command -v debootstrap >/dev/null 2>&1 || need+=(debootstrap)
  command -v curl >/dev/null 2>&1 || need+=(curl)
  [ ${#need[@]} -eq 0 ] && return 0
  log "installing with apt-get: ${need[*]}"
  [ "$(id -u)" = 0 ] || fail "need root to install ${need[*]}"
  timeout 600 apt-get update -qq >"$WORK/apt.log" 2>&1 || { tail -20 "$WORK/apt.log"; fail "apt-get update"; }
  DEBIAN_FRONTEND=noninteractive timeout 900 apt-get install -y -qq --no-install-recommends \
    "${need[@]}" >>"$WORK/apt.log" 2>&1 || { tail -30 "$WORK/apt.log"; fail "apt-get install ${need[*]}"; }
}

start_dockerd() {
  [ "$(id -u)" = 0 ] || fail "no Docker engine answers and we are not root to start one"
  command -v dockerd >/dev/null 2>&1 || fail "dockerd not found"
  log "no Docker engine answers: starting dockerd (left running afterwards; PID in $DOCKERD_PID_FILE)"
  # setsid + nohup: the engine outlives this script and its process group.
  setsid nohup dockerd --bridge=none --iptables=false --ip-forward=false --ip-masq=false \
    >>"$DOCKERD_LOG" 2>&1 </dev/null &
  local pid=$!
  echo "$pid" >"$DOCKERD_PID_FILE"
  local i
  for i in $(seq 1 60); do
    engine_answers && { log "dockerd (pid $pid) answers after ${i}s"; return 0; }
    kill -0 "$pid" 2>/dev/null || { tail -30 "$DOCKERD_LOG"; fail "dockerd exited; see $DOCKERD_LOG"; }
    sleep 1
  done
  tail -30 "$DOCKERD_LOG"
  fail "dockerd (pid $pid) did not answer within 60 s; see $DOCKERD_LOG"
}

# The Debian mirror this machine's apt uses (deb822 or one-line sources).
debian_mirror() {
  local m
  m=$(grep -hs '^URIs:' /etc/apt/sources.list.d/*.sources 2>/dev/null | awk '{print $2}' |
    grep -v -- '-security' | head -1)
  [ -n "$m" ] || m=$(grep -hs '^deb ' /etc/apt/sources.list 2>/dev/null | awk '{print $2}' |
    grep -v -- '-security' | head -1)
  echo "${m:-http://deb.debian.org/debian}"
}

debian_security_mirror() {
  local m
  m=$(grep -hs '^URIs:' /etc/apt/sources.list.d/*.sources /dev/null 2>/dev/null | awk '{print $2}' |
    grep -- '-security' | head -1)
  [ -n "$m" ] || m=$(grep -hs '^deb ' /etc/apt/sources.list /dev/null 2>/dev/null | awk '{print $2}' |
    grep -- '-security' | head -1)
  echo "${m:-http://deb.debian.org/debian-security}"
}

# debootstrap a minbase bookworm, trim it like the official slim image, tar it.
make_base_tarball() {
  command -v debootstrap >/dev/null 2>&1 || fail "debootstrap not found (apt-get install debootstrap)"
  mkdir -p "$CACHE_DIR"
  local mirror sec dir
  mirror=$(debian_mirror)
  sec=$(debian_security_mirror)
  dir=$CACHE_DIR/rootfs.tmp
  rm -rf "$dir"
  log "building $BASE_TAG locally: debootstrap --variant=minbase bookworm from $mirror"
  timeout 900 debootstrap --variant=minbase bookworm "$dir" "$mirror" >"$WORK/debootstrap.log" 2>&1 ||
    { tail -30 "$WORK/debootstrap.log"; fail "debootstrap failed"; }
  cat >"$dir/etc/apt/sources.list.d/debian.sources" <<EOF
Types: deb
URIs: $mirror
Suites: bookworm bookworm-updates
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg

Types: deb
URIs: $sec
Suites: bookworm-security
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
EOF
  rm -f "$dir/etc/apt/sources.list"
  # What the official slim variant leaves out (docs, man pages, locales).
  cat >"$dir/etc/dpkg/dpkg.cfg.d/docker-slim" <<'EOF'
path-exclude /usr/share/doc/*
path-include /usr/share/doc/*/copyright
path-exclude /usr/share/man/*
path-exclude /usr/share/groff/*
path-exclude /usr/share/info/*
path-exclude /usr/share/locale/*
path-exclude /usr/share/lintian/*
path-exclude /usr/share/linda/*
EOF
  cat >"$dir/etc/apt/apt.conf.d/docker-clean" <<'EOF'
DPkg::Post-Invoke { "rm -f /var/cache/apt/archives/*.deb /var/cache/apt/archives/partial/*.deb /var/cache/apt/*.bin || true"; };
APT::Update::Post-Invoke { "rm -f /var/cache/apt/archives/*.deb /var/cache/apt/archives/partial/*.deb /var/cache/apt/*.bin || true"; };
Dir::Cache::pkgcache "";
Dir::Cache::srcpkgcache "";
EOF
  echo 'Acquire::Languages "none";' >"$dir/etc/apt/apt.conf.d/docker-no-languages"
  find "$dir/usr/share/doc" -mindepth 1 -not -name copyright -not -type d -delete 2>/dev/null
  find "$dir/usr/share/doc" -mindepth 1 -type d -empty -delete 2>/dev/null
  rm -rf "$dir"/usr/share/man/* "$dir"/usr/share/info/* "$dir"/usr/share/locale/* \
    "$dir"/var/lib/apt/lists/* "$dir"/var/cache/apt/*.bin "$dir"/var/cache/apt/archives/*.deb \
    "$dir"/var/log/*.log "$dir"/var/log/apt/* "$dir"/tmp/* "$dir"/root/.bash_history
  : >"$dir/etc/hostname"
  tar --numeric-owner -C "$dir" -cf "$BASE_TAR.tmp" . || fail "tar of the debootstrap tree"
  mv "$BASE_TAR.tmp" "$BASE_TAR"
  rm -rf "$dir"
  log "base root filesystem cached: $BASE_TAR ($(du -h "$BASE_TAR" | cut -f1))"
}

ensure_base_image() {
  if docker image inspect "$BASE_TAG" >/dev/null 2>&1; then
    log "base image $BASE_TAG present"
    return 0
  fi
  [ -s "$BASE_TAR" ] || make_base_tarball
  log "importing $BASE_TAR as $BASE_TAG"
  timeout 300 docker import \
    --change 'CMD ["bash"]' \
    --change 'LABEL org.fifogate.base="debootstrap minbase bookworm, made by tests/compose/compose_test.sh"' \
    "$BASE_TAR" "$BASE_TAG" >/dev/null || fail "docker import $BASE_TAR"
  timeout 120 docker run --rm --network none "$BASE_TAG" true ||
    fail "the imported $BASE_TAG does not run"
}

# ---------------------------------------------------------------------------
# Compose helpers
# ---------------------------------------------------------------------------

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

# http METHOD PATH [curl args...]: prints the status code, body to
# $WORK/body, the answer's Content-Type to $WORK/ctype.
http() {
  local method=$1 path=$2
  shift 2
  curl -sS --noproxy '*' --max-time 60 -o "$WORK/body" -w '%{http_code}\n%{content_type}' -X "$method" "$@" \
    "$BASE$path" 2>"$WORK/curl.err" >"$WORK/status" ||
    { echo "curl-error:$(tr -d '\n' <"$WORK/curl.err")"; return 0; }
  sed -n 2p "$WORK/status" >"$WORK/ctype"
  head -1 "$WORK/status"
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

command_running() {
  docker exec "$1" sh -c '
    for d in /proc/[0-9]*; do [ "$(cat "$d/comm" 2>/dev/null)" = aspell ] && exit 0; done
    exit 1' 2>/dev/null
}

any_command_running() { # service
  local id
  for id in $(ids_of "$1"); do command_running "$id" && return 0; done
  return 1
}

check_answer() { # label [quiet]
  local code
  code=$(http POST /process -H 'Content-Type: text/plain; charset=utf-8' --data-binary @"$WORK/sample.txt")
  [ "$code" = 200 ] || fail "$1: POST /process gave $code: $(head -c 300 "$WORK/body")"
  cmp -s "$WORK/body" "$WORK/expected.txt" || {
    diff -u "$WORK/expected.txt" "$WORK/body" | head -30
    fail "$1: POST /process differs from aspell -a in the processor container"
  }
  [ "${2:-}" = quiet ] || pass "$1: POST /process = aspell -a output ($(wc -c <"$WORK/body") bytes)"
}

# The markdown kind: the answer equals the container's own PROC_COMMAND
# (cmark-gfm) on the same bytes, labelled text/html.
check_markdown() { # label [quiet]
  local code
  code=$(http POST /process/markdown -H 'Content-Type: text/markdown; charset=utf-8' \
    --data-binary @"$WORK/sample.md")
  [ "$code" = 200 ] || fail "$1: POST /process/markdown gave $code: $(head -c 300 "$WORK/body")"
  cmp -s "$WORK/body" "$WORK/expected.html" || {
    diff -u "$WORK/expected.html" "$WORK/body" | head -30
    fail "$1: POST /process/markdown differs from cmark-gfm in the markdown container"
  }
  [ "$(cat "$WORK/ctype")" = 'text/html; charset=utf-8' ] ||
    fail "$1: POST /process/markdown has Content-Type '$(cat "$WORK/ctype")', want 'text/html; charset=utf-8'"
  [ "${2:-}" = quiet ] || pass "$1: POST /process/markdown = cmark-gfm output, text/html ($(wc -c <"$WORK/body") bytes)"
}

# isolated CONTAINER OTHER_KIND OWN_KIND: the container has no mount of the
# other kind's directory and no file in it, cannot open any of its FIFOs or
# locks, and has no FIFO outside its own kind's directory.
isolated() {
  docker exec "$1" sh -c '
    d=/run/fifogate/$1
    if grep -q " $d " /proc/self/mountinfo; then echo "$d is mounted"; exit 1; fi
    if [ -d "$d" ] && [ -n "$(ls -A "$d")" ]; then echo "$d holds: $(ls -A "$d" | tr "\n" " ")"; exit 1; fi
    for f in in out status lock lock.worker in.1 lock.1; do
      if (exec 3<>"$d/$f") 2>/dev/null; then echo "opened $d/$f"; exit 1; fi
    done
    if find /run/fifogate -type p | grep -v "^/run/fifogate/$2/"; then echo "FIFOs outside $2/"; exit 1; fi
    exit 0' isolated "$2" "$3" 2>&1
}

# The volumes a container mounts, "name:destination" words.
mounts_of() { docker inspect -f '{{range .Mounts}}{{.Name}}:{{.Destination}} {{end}}' "$1" 2>/dev/null; }

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
  if [ "$rc" -eq 0 ]; then
    log "PASS: compose end-to-end test in $(elapsed) s"
  else
    log "compose end-to-end test FAILED after $(elapsed) s"
  fi
  echo "compose: $PASSED passed, $FAILED failed"
  exit "$rc"
}

# ---------------------------------------------------------------------------
# 1. Engine and tools
# ---------------------------------------------------------------------------
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

if [ "$CI" = true ]; then
  install_tools
  engine_answers || start_dockerd
  pick_compose || fail "neither 'docker compose' nor 'docker-compose' works"
else
  command -v docker >/dev/null 2>&1 || skip "docker is not installed (CI=true installs and starts it)"
  engine_answers || skip "no Docker engine answers 'docker info' (CI=true starts one)"
  pick_compose || skip "neither 'docker compose' nor 'docker-compose' works"
  command -v curl >/dev/null 2>&1 || skip "curl is not installed"
fi
log "engine $(docker version -f '{{.Server.Version}}' 2>/dev/null), compose: ${COMPOSE[*]} ($("${COMPOSE[@]}" version --short 2>/dev/null | head -1))"
# Without the buildx plugin a new docker CLI falls back to the classic
# builder only when DOCKER_BUILDKIT is unset or 0.
if ! docker buildx version >/dev/null 2>&1; then export DOCKER_BUILDKIT=0; fi

# ---------------------------------------------------------------------------
# 2. Base image
# ---------------------------------------------------------------------------
ensure_base_image

# ---------------------------------------------------------------------------
# 3. Up
# ---------------------------------------------------------------------------
remove_stale_projects
code=$(curl -s --noproxy '*' --max-time 2 -o /dev/null -w '%{http_code}' "$BASE/" 2>/dev/null)
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

# ---------------------------------------------------------------------------
# 4. Checks
# ---------------------------------------------------------------------------
code=$(http GET /)
if [ "$code" != 200 ] || ! grep -q '<textarea' "$WORK/body"; then fail "GET / gave $code without a <textarea"; fi
pass "GET / is the form"

cat >"$WORK/sample.txt" <<'TXT'
Helo wrold, this is a smal tset of the fifogate pipline.
The quick brown fox jumps over the lazy dog.
Definately recieve teh mesage before tomorow.
TXT
docker exec -i "$SPELL" aspell -a <"$WORK/sample.txt" >"$WORK/expected.txt" ||
  fail "aspell -a in the spell container failed"
grep -q '^& Helo ' "$WORK/expected.txt" || fail "aspell -a output looks wrong: $(head -c 300 "$WORK/expected.txt")"
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
if ! grep -q '<table>' "$WORK/expected.html" || ! grep -q '<del>wrong</del>' "$WORK/expected.html" ||
  grep -qi '<script' "$WORK/expected.html"; then
  fail "cmark-gfm output lacks a table or <del>, or keeps <script>: $(head -c 600 "$WORK/expected.html")"
fi
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

# Production shape: non-root, shared group, directory and FIFO modes, no
# network, read-only root.
[ "$(docker exec "$SPELL" id -u):$(docker exec "$SPELL" id -g)" = 4569:4567 ] || fail "spell does not run as 4569:4567"
[ "$(docker exec "$MD" id -u):$(docker exec "$MD" id -g)" = 4570:4567 ] || fail "markdown does not run as 4570:4567"
[ "$(docker exec "$WEB" id -u):$(docker exec "$WEB" id -g)" = 4568:4567 ] || fail "web does not run as 4568:4567"
pass "spell runs as uid 4569, markdown as 4570, web as 4568, all gid 4567"
for c in "$SPELL:spell" "$MD:markdown" "$WEB:spell" "$WEB:markdown"; do
  got=$(docker exec "${c%%:*}" stat -c '%a %U %G' "/run/fifogate/${c#*:}" 2>/dev/null)
  [ "$got" = "2770 root fifogate" ] || fail "/run/fifogate/${c#*:} is '$got', want '2770 root fifogate'"
done
pass "the kind directories (fresh volumes) are root:fifogate 2770 in the web and in their processor"
for c in "$SPELL:spell" "$MD:markdown"; do
  for f in in out status lock lock.worker; do
    got=$(docker exec "${c%%:*}" stat -c '%a %G %F' "/run/fifogate/${c#*:}/$f" 2>/dev/null)
    case $f in lock*) want="660 fifogate regular empty file" ;; *) want="660 fifogate fifo" ;; esac
    [ "$f" = lock.worker ] && want="660 fifogate regular file"
    [ "$got" = "$want" ] || fail "/run/fifogate/${c#*:}/$f is '$got', want '$want'"
  done
done
pass "FIFOs and lock files under /run/fifogate/spell/ and /run/fifogate/markdown/ are 0660, group fifogate"
for c in "$SPELL:spell" "$MD:markdown"; do
  id=${c%%:*}
  [ "$(docker inspect -f '{{.HostConfig.NetworkMode}}' "$id")" = none ] || fail "${c#*:}: network_mode is not none"
  ifaces=$(docker exec "$id" sh -c 'tail -n +3 /proc/net/dev | cut -d: -f1 | tr -d " "' | tr '\n' ' ')
  [ "$ifaces" = "lo " ] || fail "${c#*:}: network interfaces: $ifaces"
  docker exec "$id" sh -c 'touch /usr/fifogate-rw-test' 2>/dev/null && fail "${c#*:}: root filesystem is writable"
  docker exec "$id" sh -c 'touch /tmp/x && rm /tmp/x' || fail "${c#*:}: /tmp is not writable"
done
pass "spell and markdown: no network but lo, read-only root, writable /tmp"

# Isolation: a volume per kind, mounted in the web and that kind only.
m=$(mounts_of "$SPELL")
[[ $m =~ ^[^\ ]*_fifogate-spell:/run/fifogate/spell\ $ ]] || fail "spell mounts '$m', want its own volume only"
m=$(mounts_of "$MD")
[[ $m =~ ^[^\ ]*_fifogate-markdown:/run/fifogate/markdown\ $ ]] || fail "markdown mounts '$m', want its own volume only"
m=$(mounts_of "$WEB")
[[ $m == *_fifogate-spell:/run/fifogate/spell\ * && $m == *_fifogate-markdown:/run/fifogate/markdown\ * ]] ||
  fail "web mounts '$m', want both kinds' volumes"
out=$(isolated "$MD" spell markdown) || fail "markdown container reaches spell's directory: $out"
out=$(isolated "$SPELL" markdown spell) || fail "spell container reaches markdown's directory: $out"
docker exec "$WEB" sh -c 'test -p /run/fifogate/spell/in && test -p /run/fifogate/markdown/in' ||
  fail "the web does not see both kinds' FIFOs"
pass "isolation: each processor mounts only its kind's volume, sees no FIFO of the other and cannot open one; the web sees both"

# ---------------------------------------------------------------------------
# 5. Kill the spell processor mid-request: 5xx, restart by policy, right
#    answers again.
# ---------------------------------------------------------------------------
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
until command_running "$SPELL"; do
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

# ---------------------------------------------------------------------------
# 6. Scale per kind: --scale spell=2 --scale markdown=1.  Each processor
#    claims its own worker slot of its kind (in.1, out.1, ... beside slot
#    0's); while one spell worker is busy the web sends requests to the
#    other.  One dies: the other carries on, and the dead one comes back by
#    policy.
# ---------------------------------------------------------------------------
timeout 300 "${COMPOSE[@]}" -p "$PROJECT" "${FILES[@]}" up -d --no-build --no-recreate \
  --scale spell=2 --scale markdown=1 >"$WORK/scale.log" 2>&1 ||
  { tail -30 "$WORK/scale.log"; fail "up --scale spell=2 --scale markdown=1"; }
wait_healthy spell 2 60 || fail "two spell processors not healthy within 60 s"
wait_healthy markdown 1 30 || fail "the markdown processor not healthy after scaling"
wait_workers 2 30 || fail "GET /healthz does not report 2 spell workers within 30 s"
wait_kinds "markdown=1 spell=2" 10 || fail "GET /processors does not count markdown=1 spell=2"
[ "$(http GET /metrics)" = 200 ] || fail "GET /metrics failed"
if ! grep -qx 'fifogate_workers_live{processor="spell"} 2' "$WORK/body" ||
  ! grep -qx 'fifogate_workers_live{processor="markdown"} 1' "$WORK/body"; then
  fail "/metrics fifogate_workers_live: $(grep '^fifogate_workers_live' "$WORK/body" | tr '\n' ' ')"
fi
pass "--scale spell=2 --scale markdown=1: all healthy; /processors and /metrics count spell=2 markdown=1"
since=$(date -u +%Y-%m-%dT%H:%M:%SZ)
# The web prefers the worker it used last, so sequential requests may all go
# to one: keep one busy with 128 KB of half-misspelled text (aspell suggests
# for every bad word: about 5 s here), and the others must go elsewhere.
head -c $((128 * 1024)) "$WORK/big.txt" >"$WORK/busy.txt"
curl -sS --noproxy '*' --max-time 90 -o /dev/null -w '%{http_code}' -H 'Content-Type: text/plain' \
  --data-binary @"$WORK/busy.txt" "$BASE/process" >"$WORK/busy.code" 2>"$WORK/busy.err" &
BG_PID=$!
t=0
until any_command_running spell; do
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

# ---------------------------------------------------------------------------
# 7. Down, and nothing of the project is left.
# ---------------------------------------------------------------------------
timeout 180 "${COMPOSE[@]}" -p "$PROJECT" "${FILES[@]}" down -v --remove-orphans -t 20 >"$WORK/down.log" 2>&1 ||
  { tail -30 "$WORK/down.log"; fail "compose down -v failed"; }
STACK_UP=0
left=$(leftovers)
[ -z "$left" ] || fail "left behind after down -v: $(echo "$left" | tr '\n' ' ')"
pass "down -v: no container, volume or network of $PROJECT left"
exit 0
