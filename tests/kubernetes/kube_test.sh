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

# shellcheck disable=SC2034  # the parts sourced below use these variables
set -uo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
HERE=$ROOT/tests/kubernetes
START=$(date +%s)
E2E_TAG=kube-test
CI=${CI:-}
# Fixed in tests/kubernetes/overlay/host-network.yaml (the web's PORT).
PORT=4599
BASE=http://127.0.0.1:$PORT
POD=fifogate-pod-0
# The second replica (step 8a): the same Pod again, on a port of its own.
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

PLAYED=0
BG_PID=
KUBECTL=

# The helpers, then the checks, run in this shell: a failed check exits
# at once and the EXIT trap takes the Pods down.  `.` of a missing file
# would only warn, and its checks would be skipped without a word.
for part in "$ROOT"/tests/e2e_lib/{report,apt,http,answers,container}.sh "$HERE"/lib/{pod,tools,cleanup}.sh; do
  [ -r "$part" ] || { echo "kubernetes test: cannot read $part" >&2; exit 1; }
  # shellcheck source=/dev/null  # each part is checked on its own
  . "$part"
done

trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# 1. Tools.
use_tools
take_run_lock
# 2. Images; 3. render; 4. play; 5. answers; 6. securityContext and
# isolation; 7. a processor dies; 8a. a second replica; 8. measurements;
# 9. the drain; 10. down.
for part in images render play answers security restart replica measure drain down; do
  [ -r "$HERE/checks/$part.sh" ] || fail "cannot read $HERE/checks/$part.sh"
  # shellcheck source=/dev/null  # each part is checked on its own
  . "$HERE/checks/$part.sh"
done
exit 0
