# shellcheck shell=bash
# The tools the test runs: podman (with runc), kubectl for kustomize, curl,
# and what tests/kubernetes/images.sh needs to build the images.
#
# Needs CI, PODMAN and KUBECTL (set here) from tests/kubernetes/kube_test.sh,
# and tests/e2e_lib/{report,apt}.sh and lib/pod.sh.

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
  apt_install "${need[@]}"
}

# use_tools: the tools are there and podman works, or a skip (CI=true:
# installed instead, never a skip).
use_tools() {
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
}
