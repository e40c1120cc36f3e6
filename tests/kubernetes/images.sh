#!/usr/bin/env bash
# Makes sure fifogate-web:local and fifogate-processor:local exist in podman's
# image store, for tests/kubernetes/kube_test.sh (which sources this file).
#
#   bash tests/kubernetes/images.sh          # on its own: the same, then exits
#
# No registry can be reached here, so nothing is pulled.  The images are the
# ones docker/web.Dockerfile and docker/processor.Dockerfile make:
#  - when a Docker engine answers, `docker build --network host` of both
#    Dockerfiles, as the compose test builds them (from its layer cache: a
#    few seconds when the sources did not change), and `docker save |
#    podman load` when podman's image differs from Docker's -- so the
#    images played are those of the current sources;
#  - otherwise podman's own store as it is (loaded by an earlier run);
#    FIFOGATE_KUBE_REBUILD=1 refuses that.
# With CI=true and no engine answering, dockerd is started the way
# tests/compose/compose_test.sh starts it (same flags, same PID file, left
# running so the layer cache is kept):
#   dockerd --bridge=none --iptables=false --ip-forward=false --ip-masq=false
# and when debian:bookworm-slim is missing it is built with debootstrap
# (minbase, trimmed like the official slim image) and `docker import`ed,
# with the root filesystem cached in /var/cache/fifogate/ -- the same steps
# and cache file as the compose test, so either test reuses the other's work.
#
# Functions return non-zero with a message on stderr; the caller decides
# whether that is a failure or a skip.

KIMG_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
KIMG_CACHE_DIR=/var/cache/fifogate
KIMG_BASE_TAG=debian:bookworm-slim
KIMG_BASE_TAR=$KIMG_CACHE_DIR/debian-bookworm-slim-rootfs.tar
KIMG_DOCKERD_PID_FILE=/run/fifogate-test-dockerd.pid
KIMG_DOCKERD_LOG=/var/log/fifogate-test-dockerd.log
KIMG_WEB=fifogate-web:local
KIMG_PROC=fifogate-processor:local
KIMG_LOG=${KIMG_LOG:-/tmp/fifogate-kube-images.log}

kimg_say() { printf '[kube-images] %s\n' "$*" >&2; }

kimg_docker_answers() { command -v docker >/dev/null 2>&1 && timeout 20 docker info >/dev/null 2>&1; }

# Starts dockerd like the compose test does, and leaves it running.
kimg_start_dockerd() {
  [ "$(id -u)" = 0 ] || { kimg_say "no Docker engine answers and we are not root to start one"; return 1; }
  command -v dockerd >/dev/null 2>&1 || { kimg_say "dockerd not found (apt-get install docker.io)"; return 1; }
  kimg_say "no Docker engine answers: starting dockerd (left running afterwards; PID in $KIMG_DOCKERD_PID_FILE)"
  setsid nohup dockerd --bridge=none --iptables=false --ip-forward=false --ip-masq=false \
    >>"$KIMG_DOCKERD_LOG" 2>&1 </dev/null &
  local pid=$! i
  echo "$pid" >"$KIMG_DOCKERD_PID_FILE"
  for i in $(seq 1 60); do
    kimg_docker_answers && { kimg_say "dockerd (pid $pid) answers after ${i}s"; return 0; }
    kill -0 "$pid" 2>/dev/null || { tail -30 "$KIMG_DOCKERD_LOG" >&2; kimg_say "dockerd exited"; return 1; }
    sleep 1
  done
  kimg_say "dockerd (pid $pid) did not answer within 60 s; see $KIMG_DOCKERD_LOG"
  return 1
}

kimg_mirror() { # [security]
  local m files=(/etc/apt/sources.list.d/*.sources /dev/null) sel=(grep -v -- -security)
  [ "${1:-}" = security ] && sel=(grep -- -security)
  m=$(grep -hs '^URIs:' "${files[@]}" 2>/dev/null | awk '{print $2}' | "${sel[@]}" | head -1)
  [ -n "$m" ] || m=$(grep -hs '^deb ' /etc/apt/sources.list /dev/null 2>/dev/null | awk '{print $2}' |
    "${sel[@]}" | head -1)
  if [ -z "$m" ]; then
    [ "${1:-}" = security ] && m=http://deb.debian.org/debian-security || m=http://deb.debian.org/debian
  fi
  echo "$m"
}

# debootstrap a minbase bookworm trimmed like the official slim image (the
# same tree tests/compose/compose_test.sh makes, into the same cache file).
kimg_make_base_tarball() {
  command -v debootstrap >/dev/null 2>&1 || { kimg_say "debootstrap not found"; return 1; }
  mkdir -p "$KIMG_CACHE_DIR"
  local mirror sec dir=$KIMG_CACHE_DIR/rootfs.tmp
  mirror=$(kimg_mirror)
  sec=$(kimg_mirror security)
  rm -rf "$dir"
  kimg_say "building $KIMG_BASE_TAG locally: debootstrap --variant=minbase bookworm from $mirror"
  timeout 900 debootstrap --variant=minbase bookworm "$dir" "$mirror" >>"$KIMG_LOG" 2>&1 ||
    { tail -30 "$KIMG_LOG" >&2; kimg_say "debootstrap failed"; return 1; }
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
  tar --numeric-owner -C "$dir" -cf "$KIMG_BASE_TAR.tmp" . || { kimg_say "tar of the debootstrap tree"; return 1; }
  mv "$KIMG_BASE_TAR.tmp" "$KIMG_BASE_TAR"
  rm -rf "$dir"
}

kimg_docker_base() {
  docker image inspect "$KIMG_BASE_TAG" >/dev/null 2>&1 && return 0
  [ -s "$KIMG_BASE_TAR" ] || kimg_make_base_tarball || return 1
  kimg_say "importing $KIMG_BASE_TAR as $KIMG_BASE_TAG"
  timeout 300 docker import --change 'CMD ["bash"]' \
    --change 'LABEL org.fifogate.base="debootstrap minbase bookworm, made by tests/kubernetes/images.sh"' \
    "$KIMG_BASE_TAR" "$KIMG_BASE_TAG" >/dev/null || { kimg_say "docker import failed"; return 1; }
}

# Builds the two images with docker, as the compose test's `up --build` does
# (same Dockerfiles, same tags, host network for apt-get in the build).
kimg_docker_build() {
  local f tag
  docker buildx version >/dev/null 2>&1 || export DOCKER_BUILDKIT=0
  for f in web processor; do
    tag=fifogate-$f:local
    docker image inspect "$tag" >/dev/null 2>&1 || kimg_say "docker build $tag (the first build compiles the C++: minutes; log $KIMG_LOG)"
    timeout 2400 docker build --network host -f "$KIMG_ROOT/docker/$f.Dockerfile" -t "$tag" "$KIMG_ROOT" \
      >>"$KIMG_LOG" 2>&1 || { tail -40 "$KIMG_LOG" >&2; kimg_say "docker build $tag failed"; return 1; }
  done
}

# kimg_ensure PODMAN...: the command line to run podman with (an array's
# words).  Returns 0 when both images are in podman's store.
kimg_ensure() {
  local pod=("$@") img have=1 did pid
  for img in "$KIMG_WEB" "$KIMG_PROC"; do
    "${pod[@]}" image exists "localhost/$img" 2>/dev/null || have=0
  done
  if ! kimg_docker_answers; then
    if [ "$have" = 1 ] && [ "${FIFOGATE_KUBE_REBUILD:-}" != 1 ]; then
      kimg_say "no Docker engine answers: using podman's images as they are"
      return 0
    fi
    if [ "${CI:-}" = true ]; then
      kimg_start_dockerd || return 1
    else
      kimg_say "the images are not in podman's store and no Docker engine answers to build them (CI=true starts one)"
      return 1
    fi
  fi
  kimg_docker_base || return 1
  kimg_docker_build || return 1
  for img in "$KIMG_WEB" "$KIMG_PROC"; do
    did=$(docker image inspect --format '{{.Id}}' "$img" 2>/dev/null)
    pid=$("${pod[@]}" image inspect --format '{{.Id}}' "localhost/$img" 2>/dev/null)
    [ -n "$did" ] && [ "${did#sha256:}" = "$pid" ] && continue
    kimg_say "docker save $img | podman load"
    docker save "$img" | "${pod[@]}" load >>"$KIMG_LOG" 2>&1 ||
      { tail -10 "$KIMG_LOG" >&2; kimg_say "podman load $img failed"; return 1; }
    pid=$("${pod[@]}" image inspect --format '{{.Id}}' "localhost/$img" 2>/dev/null)
    [ "${did#sha256:}" = "$pid" ] || { kimg_say "podman's localhost/$img is not docker's $img after load"; return 1; }
  done
}

if [ "${BASH_SOURCE[0]}" = "$0" ]; then
  set -uo pipefail
  conf=$(mktemp /tmp/fifogate-kube-containers.XXXXXX.conf)
  printf '[containers]\ndefault_ulimits = []\n' >"$conf"
  CONTAINERS_CONF=$conf kimg_ensure podman --runtime runc --cgroup-manager=cgroupfs
  rc=$?
  rm -f "$conf"
  exit "$rc"
fi
