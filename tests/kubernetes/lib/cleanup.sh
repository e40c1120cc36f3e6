# shellcheck shell=bash
# What the test leaves behind: no pod, container or volume of either
# replica after a run.
#
# Needs POD, POD_B, BASE, CONTAINERS, VOLUMES, PODMAN, WORK, RUN_FILE,
# PLAYED, PLAYED_B and BG_PID from tests/kubernetes/kube_test.sh,
# tests/e2e_lib/report.sh and lib/pod.sh.

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
  local rc=$? v
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
    for v in "${VOLUMES[@]}"; do "${PODMAN[@]}" volume rm "$v" >/dev/null 2>&1; done
  fi
  if [ "$PLAYED_B" = 1 ]; then
    timeout 120 "${PODMAN[@]}" kube down "$WORK/play-b.yaml" >/dev/null 2>&1
    for v in "${VOLUMES[@]}"; do "${PODMAN[@]}" volume rm "${v/fifogate-/fifogate-b-}" >/dev/null 2>&1; done
  fi
  [ "$(cat "$RUN_FILE" 2>/dev/null)" = $$ ] && rm -f "$RUN_FILE"
  rm -rf "$WORK"
  [ "$rc" -eq 77 ] && exit 77
  report_end "$rc" kubernetes "kubernetes (podman kube play) test" "kubernetes test"
  exit "$rc"
}
