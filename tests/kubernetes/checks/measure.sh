# shellcheck shell=bash
# Step 8 of tests/kubernetes/kube_test.sh: measurements, logged (no check):
# the Pod's start time (START_S, from checks/play.sh) and the peak memory
# of each container's process and cgroup, after the load.

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
