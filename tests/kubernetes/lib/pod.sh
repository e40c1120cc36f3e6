# shellcheck shell=bash
# shellcheck disable=SC2016  # sh -c '...' scripts expand inside the containers
# The Pod under test on podman: its containers, their state, the reference
# answers of the kinds' own commands, and the manifests as rendered.
#
# Needs ROOT, POD, PODMAN, KUBECTL, RUN_FILE and WORK from
# tests/kubernetes/kube_test.sh, and tests/e2e_lib/{report,http,answers}.sh.

# pm ARGS...: podman as the test runs it, its stderr without podman's
# lines about systemd.
pm() { "${PODMAN[@]}" "$@" 2> >(grep -v 'systemd' >&2); }
# ctr NAME: podman's name of the Pod's container NAME (web, spell-0, ...).
ctr() { echo "$POD-$1"; }

# in_container CONTAINER COMMAND...: how tests/e2e_lib/container.sh looks
# inside a container of the Pod (CONTAINER: web, spell-0, ...).
in_container() {
  local c=$1
  shift
  pm exec "$(ctr "$c")" "$@"
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

# check_answer LABEL [quiet]: a fresh spell body answers as aspell -a does.
check_answer() {
  local b
  batch "one$SEQ" spell 1
  b=$WORK/one$((SEQ - 1))/1
  expect_answer "$1" "" "$b.in" "$b.exp" "${2:-}"
}

# check_markdown LABEL [quiet]: a fresh markdown body answers as the
# markdown container's PROC_COMMAND (cmark-gfm) does, as text/html.
check_markdown() {
  local b
  batch "md$SEQ" markdown 1
  b=$WORK/md$((SEQ - 1))/1
  expect_html_output "$b.exp"
  expect_answer "$1" markdown "$b.in" "$b.exp" "${2:-}"
}

# The spell container whose aspell runs now (empty when none).
busy_spell() {
  local c
  for c in spell-0 spell-1; do
    aspell_running "$c" && { echo "$c"; return 0; }
  done
  return 1
}

# render DIR OUT: the kustomization DIR (from the repository root) as
# kubectl renders it.
render() {
  "$KUBECTL" kustomize "$ROOT/$1" >"$2" 2>"$WORK/kustomize.err" ||
    { cat "$WORK/kustomize.err"; fail "kubectl kustomize $1 failed"; }
}
# kinds FILE: the kinds of the objects in FILE, sorted, one line.
kinds() { grep '^kind:' "$1" | awk '{print $2}' | sort | tr '\n' ' '; }

# Only one run at a time: the Pod's name and the port are fixed.
take_run_lock() {
  if [ -s "$RUN_FILE" ] && kill -0 "$(cat "$RUN_FILE")" 2>/dev/null; then
    fail "another run of this test (pid $(cat "$RUN_FILE")) is going on"
  fi
  echo $$ >"$RUN_FILE"
}
