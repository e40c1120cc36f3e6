#!/usr/bin/env bash
# The Kubernetes manifests (deploy/kubernetes/) run for real on an engine
# that plays Kubernetes YAML: `podman kube play`.
#
#   CI=true bash tests/kubernetes/kube_test.sh
#
# What it does:
#  1. Tools.  Without podman (or kubectl, curl) it prints "SKIP: ..." and
#     exits 77 -- unless CI=true, where it never skips: as root it installs
#     what is missing with apt-get (podman catatonit runc curl, and
#     kubernetes-client when no kubectl is installed), never touching the
#     apt sources.  podman runs as
#       podman --runtime runc --cgroup-manager=cgroupfs
#     with CONTAINERS_CONF pointing at a temporary containers.conf holding
#     `default_ulimits = []` (the default ulimits are not permitted here;
#     crun refuses this machine's cgroup layout).  /etc is left alone.
#  2. Images.  No registry is reachable: fifogate-web:local and
#     fifogate-processor:local come from podman's store, else from Docker
#     (built there like the compose test builds them when missing, then
#     `docker save | podman load`): tests/kubernetes/images.sh.
#  3. Renders every kustomization with `kubectl kustomize` (base, overlays
#     warm and scaled, and the test overlay tests/kubernetes/overlay: the
#     base with one replica, hostNetwork and the web on 127.0.0.1:4599), and
#     plays the test overlay's output as it is -- Service, PodDisruptionBudget
#     and NetworkPolicy included (podman ignores them).
#  4. Checks: the Pod's containers run and pass their probe commands
#     (`podman healthcheck run`: the livenessProbe), GET /healthz 200 lists
#     both kinds (readinessProbe); POST /process equals `aspell -a` in the
#     spell container; POST /process/markdown equals the markdown
#     container's PROC_COMMAND, as text/html; 24 concurrent requests all
#     right, served by both spell workers; /metrics counts the workers; the
#     securityContext as applied (uids 4568/4569/4570, gid 4567, read-only
#     root, writable /tmp, no capabilities, no_new_privs); isolation: a
#     processor of one kind mounts, sees and opens none of the other kind's
#     FIFOs, the web sees both; a spell processor killed -> the other spell
#     worker answers meanwhile, the restart policy (Always) restarts it,
#     answers right again; a second replica (the same Pod, played again on
#     port 4600 with volumes of its own) answers too; the first Pod stopped
#     while a request is in flight -> that request still gets its whole 200
#     answer, every container exits 0 (the SIGTERM drain), and the second
#     replica answers every request sent meanwhile; the first Pod started
#     again answers right; `podman kube down` leaves no pod, container or
#     volume.  It prints the measured Pod start time and each container's
#     peak memory.
#
# All HTTP goes to 127.0.0.1 only; no network is created.
# Environment: CI (true = never skip, install), FIFOGATE_KUBE_KEEP=1 (leave
# the Pod up after a failure), FIFOGATE_KUBE_REBUILD=1 (reload the images).
# Exit: 0 passed, 1 failed, 77 skipped.

# shellcheck disable=SC2317  # cleanup runs from the EXIT trap
# shellcheck disable=SC2016  # sh -c '...' scripts expand inside the containers
set -uo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
START=$(date +%s)
CI=${CI:-}
# Fixed in tests/kubernetes/overlay/host-network.yaml (the web's PORT).
PORT=4599
BASE=http://127.0.0.1:$PORT
POD=fifogate-pod-0
# The second replica (step 8b): the same Pod again, on a port of its own.
PORT_B=4600
BASE_B=http://127.0.0.1:$PORT_B
POD_B=fifogate-b-pod-0
PLAYED_B=0
CONTAINERS=(web spell-0 spell-1 markdown-0)
VOLUMES=(fifogate-spell fifogate-markdown fifogate-tmp-web fifogate-tmp-spell-0 fifogate-tmp-spell-1
  fifogate-tmp-markdown-0)
RUN_FILE=/tmp/fifogate-kube-test.pid
WORK=$(mktemp -d /tmp/fifogate-kube-test.XXXXXX)
export CONTAINERS_CONF=$WORK/containers.conf
printf '[containers]\ndefault_ulimits = []\n' >"$CONTAINERS_CONF"
PODMAN=(podman --runtime runc --cgroup-manager=cgroupfs)
export KIMG_LOG=$WORK/images.log

PASSED=0
PLAYED=0
BG_PID=
KUBECTL=

elapsed() { echo $(($(date +%s) - START)); }
log() { printf '[kube-test %4ss] %s\n' "$(elapsed)" "$*"; }
pass() { PASSED=$((PASSED + 1)); log "ok: $*"; }
fail() {
  log "FAIL: $*"
  exit 1
}
skip() {
  echo "SKIP: $*"
  exit 77
}
pm() { "${PODMAN[@]}" "$@" 2> >(grep -v 'systemd' >&2); }
ctr() { echo "$POD-$1"; }

# ---------------------------------------------------------------------------
# Helpers
# ---------------------------------------------------------------------------

# http METHOD PATH [curl args...]: prints the status code; body in
# $WORK/body, Content-Type in $WORK/ctype.
http() {
  local method=$1 path=$2
  shift 2
  curl -sS --noproxy '*' --max-time 60 -o "$WORK/body" -w '%{http_code}\n%{content_type}' -X "$method" "$@" \
    "$BASE$path" 2>"$WORK/curl.err" >"$WORK/status" ||
    { echo "curl-error:$(tr -d '\n' <"$WORK/curl.err")"; return 0; }
  sed -n 2p "$WORK/status" >"$WORK/ctype"
  head -1 "$WORK/status"
}

# wait_kinds WANT SECONDS: GET /healthz is 200 and counts WANT
# ("markdown=1 spell=2").
wait_kinds() {
  local want=$1 limit=$2 t=0
  while [ "$t" -lt $((limit * 5)) ]; do
    [ "$(http GET /healthz)" = 200 ] && grep -q "workers per processor: $want\$" "$WORK/body" && return 0
    sleep 0.2
    t=$((t + 1))
  done
  log "  GET /healthz: $(head -c 300 "$WORK/body" 2>/dev/null)"
  return 1
}

state_of() { pm inspect "$(ctr "$1")" --format "$2" 2>/dev/null; }

# batch NAME KIND N: N request bodies $WORK/NAME/1.in .. N.in of KIND (spell:
# sample.txt, markdown: sample.md), each with a first line of its own -- the
# web may answer lines or bodies it has seen from a cache, and these must
# reach a worker -- and next to each, N.exp: what the kind's command itself
# answers to it, run in one of the kind's containers (one exec per batch).
SEQ=0
batch() {
  local name=$1 kind=$2 n=$3 i c cmd
  mkdir -p "$WORK/$name"
  for i in $(seq 1 "$n"); do
    SEQ=$((SEQ + 1))
    if [ "$kind" = spell ]; then
      { echo "Requst $SEQ of tset $$ throgh the pipline."; cat "$WORK/sample.txt"; } >"$WORK/$name/$i.in"
    else
      { echo "## Request $SEQ of run $$"; echo; cat "$WORK/sample.md"; } >"$WORK/$name/$i.in"
    fi
  done
  if [ "$kind" = spell ]; then c=spell-1 cmd='aspell -a'; else c=markdown-0 cmd='$PROC_COMMAND'; fi
  tar -C "$WORK/$name" -cf - . | pm exec -i "$(ctr "$c")" sh -c '
    d=$(mktemp -d) && cd "$d" && tar xf - || exit 1
    for f in *.in; do '"$cmd"' <"$f" >"${f%.in}.exp" || exit 1; done
    tar cf - ./*.exp && cd / && rm -rf "$d"' | tar -C "$WORK/$name" -xf - ||
    fail "running $cmd in $c on the $name bodies"
  [ -s "$WORK/$name/$n.exp" ] || fail "no output of $cmd in $c for the $name bodies"
}

# post KIND FILE: POST FILE to the kind ("" = the default kind); prints the
# status code, the answer in $WORK/body.
post() {
  local type='text/plain; charset=utf-8'
  [ "$1" = markdown ] && type='text/markdown; charset=utf-8'
  http POST "/process${1:+/$1}" -H "Content-Type: $type" --data-binary @"$2"
}

check_answer() { # label [quiet]
  local code b
  batch "one$SEQ" spell 1
  b=$WORK/one$((SEQ - 1))/1
  code=$(post "" "$b.in")
  [ "$code" = 200 ] || fail "$1: POST /process gave $code: $(head -c 300 "$WORK/body")"
  cmp -s "$WORK/body" "$b.exp" || {
    diff -u "$b.exp" "$WORK/body" | head -30
    fail "$1: POST /process differs from aspell -a in the spell container"
  }
  [ "${2:-}" = quiet ] || pass "$1: POST /process = aspell -a output ($(wc -c <"$WORK/body") bytes)"
}

check_markdown() { # label [quiet]
  local code b
  batch "md$SEQ" markdown 1
  b=$WORK/md$((SEQ - 1))/1
  code=$(post markdown "$b.in")
  [ "$code" = 200 ] || fail "$1: POST /process/markdown gave $code: $(head -c 300 "$WORK/body")"
  cmp -s "$WORK/body" "$b.exp" || {
    diff -u "$b.exp" "$WORK/body" | head -30
    fail "$1: POST /process/markdown differs from cmark-gfm in the markdown container"
  }
  [ "$(cat "$WORK/ctype")" = 'text/html; charset=utf-8' ] ||
    fail "$1: POST /process/markdown has Content-Type '$(cat "$WORK/ctype")'"
  if ! grep -q '<table>' "$b.exp" || ! grep -q '<del>wrong</del>' "$b.exp" || grep -qi '<script' "$b.exp"; then
    fail "cmark-gfm output lacks a table or <del>, or keeps <script>: $(head -c 600 "$b.exp")"
  fi
  [ "${2:-}" = quiet ] || pass "$1: POST /process/markdown = cmark-gfm output, text/html ($(wc -c <"$WORK/body") bytes)"
}

# isolated CONTAINER OTHER_KIND OWN_KIND: no mount of the other kind's
# directory, nothing in it, none of its FIFOs or locks opens, and no FIFO
# outside the own kind's directory.
isolated() {
  pm exec "$(ctr "$1")" sh -c '
    d=/run/fifogate/$1
    if grep -q " $d " /proc/self/mountinfo; then echo "$d is mounted"; exit 1; fi
    if [ -d "$d" ] && [ -n "$(ls -A "$d")" ]; then echo "$d holds: $(ls -A "$d" | tr "\n" " ")"; exit 1; fi
    for f in in out status lock lock.worker in.1 lock.1; do
      if (exec 3<>"$d/$f") 2>/dev/null; then echo "opened $d/$f"; exit 1; fi
    done
    if find /run/fifogate -type p | grep -v "^/run/fifogate/$2/"; then echo "FIFOs outside $2/"; exit 1; fi
    exit 0' isolated "$2" "$3" 2>&1
}

# The spell container whose aspell runs now (empty when none).
busy_spell() {
  local c
  for c in spell-0 spell-1; do
    pm exec "$(ctr "$c")" sh -c '
      for d in /proc/[0-9]*; do [ "$(cat "$d/comm" 2>/dev/null)" = aspell ] && exit 0; done
      exit 1' 2>/dev/null && { echo "$c"; return 0; }
  done
  return 1
}

leftovers() {
  local v
  pm pod exists "$POD" 2>/dev/null && echo "pod $POD"
  pm pod exists "$POD_B" 2>/dev/null && echo "pod $POD_B"
  pm ps -a --format '{{.Names}}' 2>/dev/null | grep -E "^($POD|$POD_B)-" | sed 's/^/container /'
  for v in "${VOLUMES[@]}"; do
    pm volume exists "$v" 2>/dev/null && echo "volume $v"
    pm volume exists "${v/fifogate-/fifogate-b-}" 2>/dev/null && echo "volume ${v/fifogate-/fifogate-b-}"
  done
  return 0
}

dump_logs() {
  local c
  log "---- podman pod ps / ps ----"
  pm pod ps 2>/dev/null
  pm ps -a --format '{{.Names}}\t{{.Status}}' 2>/dev/null | grep "^$POD"
  for c in "${CONTAINERS[@]}"; do
    log "---- logs of $(ctr "$c") (last 30 lines) ----"
    pm logs --tail 30 "$(ctr "$c")" 2>&1 | grep -v systemd
  done
}

cleanup() {
  local rc=$?
  trap - EXIT INT TERM
  [ -n "$BG_PID" ] && kill "$BG_PID" 2>/dev/null
  if [ "$PLAYED" = 1 ]; then
    [ "$rc" -ne 0 ] && dump_logs
    if [ "$rc" -ne 0 ] && [ "${FIFOGATE_KUBE_KEEP:-}" = 1 ]; then
      log "FIFOGATE_KUBE_KEEP=1: $POD left up (web on $BASE); remove it with"
      log "  CONTAINERS_CONF=... ${PODMAN[*]} kube down $WORK/play.yaml   (kept: $WORK)"
      exit "$rc"
    fi
    timeout 120 "${PODMAN[@]}" kube down "$WORK/play.yaml" >/dev/null 2>&1
    local v
    for v in "${VOLUMES[@]}"; do "${PODMAN[@]}" volume rm "$v" >/dev/null 2>&1; done
  fi
  if [ "$PLAYED_B" = 1 ]; then
    timeout 120 "${PODMAN[@]}" kube down "$WORK/play-b.yaml" >/dev/null 2>&1
    for v in "${VOLUMES[@]}"; do "${PODMAN[@]}" volume rm "${v/fifogate-/fifogate-b-}" >/dev/null 2>&1; done
  fi
  [ "$(cat "$RUN_FILE" 2>/dev/null)" = $$ ] && rm -f "$RUN_FILE"
  rm -rf "$WORK"
  [ "$rc" -eq 77 ] && exit 77
  if [ "$rc" -eq 0 ]; then
    log "PASS: kubernetes (podman kube play) test in $(elapsed) s"
  else
    log "kubernetes test FAILED after $(elapsed) s"
  fi
  echo "kubernetes: $PASSED passed, $([ "$rc" -eq 0 ] && echo 0 || echo 1) failed"
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# ---------------------------------------------------------------------------
# 1. Tools
# ---------------------------------------------------------------------------
install_tools() {
  local need=()
  command -v podman >/dev/null 2>&1 || need+=(podman)
  command -v catatonit >/dev/null 2>&1 || [ -x /usr/libexec/podman/catatonit ] || need+=(catatonit)
  command -v runc >/dev/null 2>&1 || need+=(runc)
  command -v curl >/dev/null 2>&1 || need+=(curl)
  # Debian's kubectl (1.20, with kustomize built in); any kubectl will do.
  command -v kubectl >/dev/null 2>&1 || need+=(kubernetes-client)
  # To build the images when podman does not have them yet.
  if ! command -v podman >/dev/null 2>&1 || ! podman image exists localhost/fifogate-web:local 2>/dev/null ||
    ! podman image exists localhost/fifogate-processor:local 2>/dev/null; then
    command -v dockerd >/dev/null 2>&1 || need+=(docker.io)
    command -v debootstrap >/dev/null 2>&1 || need+=(debootstrap)
  fi
  [ ${#need[@]} -eq 0 ] && return 0
  [ "$(id -u)" = 0 ] || fail "need root to install ${need[*]}"
  log "installing with apt-get: ${need[*]}"
  timeout 600 apt-get update -qq >"$WORK/apt.log" 2>&1 || { tail -20 "$WORK/apt.log"; fail "apt-get update"; }
  DEBIAN_FRONTEND=noninteractive timeout 900 apt-get install -y -qq --no-install-recommends \
    "${need[@]}" >>"$WORK/apt.log" 2>&1 || { tail -30 "$WORK/apt.log"; fail "apt-get install ${need[*]}"; }
}

if [ "$CI" = true ]; then
  install_tools
else
  command -v podman >/dev/null 2>&1 || skip "podman is not installed (CI=true installs it: apt-get install podman catatonit)"
  command -v runc >/dev/null 2>&1 || skip "runc is not installed"
  command -v kubectl >/dev/null 2>&1 || skip "kubectl is not installed (CI=true installs kubernetes-client)"
  command -v curl >/dev/null 2>&1 || skip "curl is not installed"
  [ "$(id -u)" = 0 ] || skip "needs root (rootful podman with host networking and cgroupfs)"
fi
[ "$(id -u)" = 0 ] || fail "needs root (rootful podman with host networking and cgroupfs)"
KUBECTL=$(command -v kubectl)
pm info >/dev/null 2>&1 || fail "'${PODMAN[*]} info' fails"
log "$(podman --version), $KUBECTL $("$KUBECTL" version --client 2>/dev/null | head -1 | tr -s ' ' | cut -c1-80)"

# Only one run at a time: the Pod's name and the port are fixed.
if [ -s "$RUN_FILE" ] && kill -0 "$(cat "$RUN_FILE")" 2>/dev/null; then
  fail "another run of this test (pid $(cat "$RUN_FILE")) is going on"
fi
echo $$ >"$RUN_FILE"

# ---------------------------------------------------------------------------
# 2. Images
# ---------------------------------------------------------------------------
# shellcheck source=images.sh disable=SC1091  # checked on its own
. "$ROOT/tests/kubernetes/images.sh"
if ! kimg_ensure "${PODMAN[@]}"; then
  [ "$CI" = true ] && fail "the images could not be made (log: $KIMG_LOG)"
  skip "fifogate-web:local / fifogate-processor:local are not in podman's store and cannot be built here"
fi
pass "images in podman: $(for i in fifogate-web fifogate-processor; do
  pm image inspect "localhost/$i:local" --format "$i {{.Id}}" | cut -c1-40
done | tr '\n' ' ')"

# ---------------------------------------------------------------------------
# 3. Render
# ---------------------------------------------------------------------------
render() { # DIR OUT
  "$KUBECTL" kustomize "$ROOT/$1" >"$2" 2>"$WORK/kustomize.err" ||
    { cat "$WORK/kustomize.err"; fail "kubectl kustomize $1 failed"; }
}
kinds() { grep '^kind:' "$1" | awk '{print $2}' | sort | tr '\n' ' '; }
render deploy/kubernetes/base "$WORK/base.yaml"
[ "$(kinds "$WORK/base.yaml")" = "Deployment NetworkPolicy PodDisruptionBudget Service " ] ||
  fail "base renders kinds '$(kinds "$WORK/base.yaml")'"
grep -q 'prometheus.io/scrape: "true"' "$WORK/base.yaml" || fail "base: no prometheus.io/scrape annotation"
render deploy/kubernetes/overlays/warm "$WORK/warm.yaml"
[ "$(grep -c 'value: warm' "$WORK/warm.yaml")" = 2 ] || fail "overlays/warm does not make both spell workers warm"
render deploy/kubernetes/overlays/scaled "$WORK/scaled.yaml"
[ "$(grep -cE '^ +(- )?name: spell-[0-9]+$' "$WORK/scaled.yaml")" = 4 ] ||
  fail "overlays/scaled does not have 4 spell containers"
grep -q '^kind: HorizontalPodAutoscaler' "$WORK/scaled.yaml" || fail "overlays/scaled has no HPA"
render tests/kubernetes/overlay "$WORK/play.yaml"
grep -q 'hostNetwork: true' "$WORK/play.yaml" || fail "the test overlay is not on the host network"
pass "kubectl kustomize renders base ($(kinds "$WORK/base.yaml")), overlays/warm, overlays/scaled (+HPA, 4 spell workers) and the test overlay"

# ---------------------------------------------------------------------------
# 4. Play
# ---------------------------------------------------------------------------
if [ -n "$(leftovers)" ]; then
  log "removing what an earlier run left: $(leftovers | tr '\n' ' ')"
  pm pod rm -f "$POD" "$POD_B" >/dev/null 2>&1
  for v in "${VOLUMES[@]}"; do pm volume rm -f "$v" "${v/fifogate-/fifogate-b-}" >/dev/null 2>&1; done
  [ -z "$(leftovers)" ] || fail "cannot remove the leftovers of an earlier run: $(leftovers | tr '\n' ' ')"
fi
code=$(curl -s --noproxy '*' --max-time 2 -o /dev/null -w '%{http_code}' "$BASE/" 2>/dev/null)
[ "$code" = 000 ] || fail "something already answers on 127.0.0.1:$PORT"

nets0=$(pm network ls -q | sort | tr '\n' ' ')
t0=$(date +%s.%N)
PLAYED=1
# --network host as well as the overlay's hostNetwork: without it kube play
# defines its "podman-default-kube-network" bridge, even though it is unused.
timeout 180 "${PODMAN[@]}" kube play --network host "$WORK/play.yaml" >"$WORK/play.log" 2>&1 ||
  { grep -v systemd "$WORK/play.log" | tail -30; fail "podman kube play failed"; }
[ "$(pm network ls -q | sort | tr '\n' ' ')" = "$nets0" ] || fail "kube play created a network: $(pm network ls -q | tr '\n' ' ')"
for c in "${CONTAINERS[@]}"; do
  [ "$(state_of "$c" '{{.State.Status}}')" = running ] || fail "$(ctr "$c") is not running"
done
wait_kinds "markdown=1 spell=2" 60 || fail "GET /healthz does not count markdown=1 spell=2 within 60 s"
t1=$(date +%s.%N)
START_S=$(awk "BEGIN { printf \"%.1f\", $t1 - $t0 }")
pass "kube play: $POD runs ${CONTAINERS[*]}; GET /healthz 200 with markdown=1 spell=2 after ${START_S} s"
for c in "${CONTAINERS[@]}"; do
  out=$(pm healthcheck run "$(ctr "$c")" 2>&1) || fail "$(ctr "$c"): its probe command fails: $out"
done
pass "every container's probe command passes (podman healthcheck run = the livenessProbe)"
[ "$(http GET /healthz -H 'Accept: application/json')" = 200 ] || fail "GET /healthz JSON"
grep -q '"processors":{"markdown":1,"spell":2}' "$WORK/body" || fail "GET /healthz JSON: $(head -c 300 "$WORK/body")"
pass "GET /healthz JSON lists both kinds: markdown 1 worker, spell 2"

# ---------------------------------------------------------------------------
# 5. Answers
# ---------------------------------------------------------------------------
cat >"$WORK/sample.txt" <<'TXT'
Helo wrold, this is a smal tset of the fifogate pipline.
The quick brown fox jumps over the lazy dog.
Definately recieve teh mesage before tomorow.
TXT
check_answer "first request (default kind spell)"
grep -q '^& Helo ' "$WORK/one0/1.exp" || fail "aspell -a output looks wrong: $(head -c 300 "$WORK/one0/1.exp")"

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
[ "$(http GET /metrics)" = 200 ] || fail "GET /metrics"
if ! grep -qx 'fifogate_workers_live{processor="spell"} 2' "$WORK/body" ||
  ! grep -qx 'fifogate_workers_live{processor="markdown"} 1' "$WORK/body"; then
  fail "/metrics: $(grep '^fifogate_workers_live' "$WORK/body" | tr '\n' ' ')"
fi
pass "GET /metrics: fifogate_workers_live spell 2, markdown 1"

# ---------------------------------------------------------------------------
# 6. The securityContext as the engine applied it, and isolation
# ---------------------------------------------------------------------------
declare -A UID_OF=([web]=4568 [spell-0]=4569 [spell-1]=4569 [markdown-0]=4570)
for c in "${CONTAINERS[@]}"; do
  got=$(pm exec "$(ctr "$c")" sh -c 'echo "$(id -u):$(id -g)"')
  [ "$got" = "${UID_OF[$c]}:4567" ] || fail "$c runs as $got, want ${UID_OF[$c]}:4567"
  pm exec "$(ctr "$c")" sh -c 'touch /usr/fifogate-rw-test' 2>/dev/null && fail "$c: root filesystem is writable"
  pm exec "$(ctr "$c")" sh -c 'touch /tmp/x && rm /tmp/x' || fail "$c: /tmp is not writable"
  st=$(pm exec "$(ctr "$c")" sh -c 'grep -E "^(CapEff|CapBnd|NoNewPrivs):" /proc/self/status' | tr -s '\t ' ' ')
  [[ $st == *"CapEff: 0000000000000000"* && $st == *"CapBnd: 0000000000000000"* && $st == *"NoNewPrivs: 1"* ]] ||
    fail "$c: capabilities or no_new_privs: $st"
done
pass "web 4568, spell 4569, markdown 4570, all gid 4567; read-only root, writable /tmp, no capabilities, no_new_privs"
out=$(isolated markdown-0 spell markdown) || fail "markdown-0 reaches spell's directory: $out"
for c in spell-0 spell-1; do
  out=$(isolated "$c" markdown spell) || fail "$c reaches markdown's directory: $out"
done
pm exec "$(ctr web)" sh -c 'test -p /run/fifogate/spell/in && test -p /run/fifogate/spell/in.1 && test -p /run/fifogate/markdown/in' ||
  fail "the web does not see both kinds' FIFOs"
pass "isolation: the processors see and open only their own kind's FIFOs (podman exec ls/open), the web sees both"

# ---------------------------------------------------------------------------
# 7. A processor dies: the other spell worker answers, the engine restarts it
# ---------------------------------------------------------------------------
# Killed from the host by its PID: the processor is PID 1 of its container
# (no init), which ignores a SIGKILL sent from inside; `podman kill` counts
# as stopped by the user and is not restarted.
pid=$(state_of spell-0 '{{.State.Pid}}')
restarts0=$(state_of spell-0 '{{.RestartCount}}')
[ "${pid:-0}" -gt 1 ] || fail "no PID for spell-0"
kill -KILL "$pid"
log "killed spell-0's processor (host pid $pid)"
check_answer "right after spell-0 was killed"
t=0
while :; do
  restarts=$(state_of spell-0 '{{.RestartCount}}')
  [ "$restarts" -gt "$restarts0" ] && [ "$(state_of spell-0 '{{.State.Status}}')" = running ] && break
  t=$((t + 1))
  [ "$t" -le 60 ] || fail "spell-0 not restarted within 30 s (RestartCount $restarts0 -> $restarts)"
  sleep 0.5
done
wait_kinds "markdown=1 spell=2" 30 || fail "spell-0 back, but GET /healthz does not count spell=2 again"
check_answer "after spell-0's restart"
pass "spell-0 restarted by the restart policy (RestartCount $restarts0 -> $restarts) in about $((t / 2)) s"

# ---------------------------------------------------------------------------
# 8a. A second replica: a Pod of its own, with FIFOs of its own; both answer
# ---------------------------------------------------------------------------
# On a cluster the Deployment's replicas are Pods like this one behind one
# Service, each on its own node or network namespace. Here every Pod is on
# the host's network and podman names an emptyDir's volume after it, so the
# copy gets its own port and volume names; nothing else of it changes.
sed -e "s/\b$PORT\b/$PORT_B/g" -e 's/^\(  name: \)fifogate$/\1fifogate-b/' \
  -e 's/\bfifogate-\(spell\|markdown\|tmp-\)/fifogate-b-\1/g' "$WORK/play.yaml" >"$WORK/play-b.yaml"
code=$(curl -s --noproxy '*' --max-time 2 -o /dev/null -w '%{http_code}' "$BASE_B/" 2>/dev/null)
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

# ---------------------------------------------------------------------------
# 8. Measurements: peak memory of each container's process (after the load)
# ---------------------------------------------------------------------------
mem=()
for c in "${CONTAINERS[@]}"; do
  hwm=$(pm exec "$(ctr "$c")" sh -c 'sed -n "s/^VmHWM:[[:space:]]*//p" /proc/1/status')
  cg=$(state_of "$c" '{{.State.CgroupPath}}')
  peak=$(cat "/sys/fs/cgroup/memory$cg/memory.max_usage_in_bytes" 2>/dev/null ||
    cat "/sys/fs/cgroup$cg/memory.peak" 2>/dev/null || echo 0)
  mem+=("$c: process peak RSS $hwm, cgroup peak $((peak / 1024)) kB")
done
log "measured: Pod start (kube play -> /healthz 200) ${START_S} s; $(
  IFS=';'
  echo "${mem[*]}"
)"

# ---------------------------------------------------------------------------
# 9. Stop the Pod with a request in flight: it is answered in full (drain)
# ---------------------------------------------------------------------------
# 50 KB of letter-shifted text, every line different (a cache in the web
# must not shorten it) and starting with a letter (aspell -a run directly
# takes other first characters as commands): aspell works on it for seconds.
{
  echo "Slwo request of tset $$."
  for i in $(seq 1 330); do sed "s/^/Lnie $i /" "$WORK/sample.txt"; done | tr 'a-y' 'b-z'
} >"$WORK/slow.txt"
pm exec -i "$(ctr spell-1)" aspell -a <"$WORK/slow.txt" >"$WORK/slow.expected" || fail "aspell -a on the slow body"
curl -sS --noproxy '*' --max-time 90 -o "$WORK/slow.out" -w '%{http_code}' -H 'Content-Type: text/plain' \
  --data-binary @"$WORK/slow.txt" "$BASE/process" >"$WORK/slow.code" 2>"$WORK/slow.err" &
BG_PID=$!
t=0
until busy=$(busy_spell); do
  t=$((t + 1))
  [ "$t" -le 100 ] || fail "the slow request's aspell never started"
  kill -0 "$BG_PID" 2>/dev/null || fail "the slow request ended before it was seen running: $(cat "$WORK/slow.code")"
  sleep 0.1
done
# podman 4.3 does not apply terminationGracePeriodSeconds (a container's
# stop timeout stays podman's default), nor preStop: give the drain its 60 s
# here; all containers get SIGTERM at once.
log "the containers' stop timeout as played: $(state_of web '{{.Config.StopTimeout}}') s (terminationGracePeriodSeconds: 60); stopping with -t 60"
# Meanwhile the other replica takes requests, as the Service would send them.
: >"$WORK/b-codes"
# Each body has a line of its own, so no answer comes from the web's cache.
(
  n=0
  while [ ! -e "$WORK/stopped" ]; do
    n=$((n + 1))
    { echo "Meanwhile requst $n of $$."; cat "$WORK/sample.txt"; } |
      curl -sS --noproxy '*' --max-time 30 -o /dev/null -w '%{http_code}\n' \
        --data-binary @- "$BASE_B/process" >>"$WORK/b-codes" 2>&1
  done
) &
B_LOOP=$!
timeout 90 "${PODMAN[@]}" pod stop -t 60 "$POD" >"$WORK/stop.log" 2>&1 || { cat "$WORK/stop.log"; fail "pod stop"; }
touch "$WORK/stopped"
wait "$B_LOOP"
wait "$BG_PID"
BG_PID=
b_total=$(wc -l <"$WORK/b-codes")
b_ok=$(grep -cx 200 "$WORK/b-codes")
[ "$b_total" -gt 0 ] && [ "$b_ok" = "$b_total" ] ||
  fail "the other replica, while the first stopped: $b_ok of $b_total requests 200 ($(sort "$WORK/b-codes" | uniq -c | tr '\n' ' '))"
[ "$(cat "$WORK/slow.code")" = 200 ] || fail "the request in flight when the Pod stopped gave $(cat "$WORK/slow.code") $(cat "$WORK/slow.err")"
cmp -s "$WORK/slow.out" "$WORK/slow.expected" || fail "the request in flight when the Pod stopped got a wrong or cut answer"
for c in "${CONTAINERS[@]}"; do
  [ "$(state_of "$c" '{{.State.ExitCode}}')" = 0 ] || fail "$c exited $(state_of "$c" '{{.State.ExitCode}}') on SIGTERM"
done
pm logs "$(ctr web)" 2>&1 | grep -q 'finishing requests in flight' || fail "the web did not log its drain"
pass "Pod stopped while $busy ran a request: it got its whole 200 answer ($(wc -c <"$WORK/slow.out") bytes), every container exited 0; the other replica answered all $b_total requests sent meanwhile"
# The rolling restart's other half: the stopped Pod starts again and serves.
timeout 120 "${PODMAN[@]}" pod start "$POD" >"$WORK/start.log" 2>&1 || { cat "$WORK/start.log"; fail "pod start"; }
wait_kinds "markdown=1 spell=2" 60 || fail "the restarted Pod's /healthz does not count markdown=1 spell=2"
check_answer "the first Pod, started again"
pass "the first Pod started again and answers right: a stop and start of one Pod at a time loses no request"

# ---------------------------------------------------------------------------
# 10. Down: nothing left
# ---------------------------------------------------------------------------
timeout 120 "${PODMAN[@]}" kube down "$WORK/play.yaml" >"$WORK/down.log" 2>&1 ||
  { grep -v systemd "$WORK/down.log"; fail "podman kube down failed"; }
PLAYED=0
timeout 120 "${PODMAN[@]}" kube down "$WORK/play-b.yaml" >"$WORK/down-b.log" 2>&1 ||
  { grep -v systemd "$WORK/down-b.log"; fail "podman kube down of the second replica failed"; }
PLAYED_B=0
left=$(leftovers)
[ -z "$left" ] || {
  PLAYED=1
  fail "left behind after kube down: $(echo "$left" | tr '\n' ' ')"
}
pass "podman kube down: no pod, container or volume left"
exit 0
