# shellcheck shell=bash
# The Docker engine, Compose and the base image the stack is built on.
#
# Needs CI, WORK, CACHE_DIR, BASE_TAG, BASE_TAR, DOCKERD_PID_FILE,
# DOCKERD_LOG and COMPOSE (set here) from tests/compose/compose_test.sh,
# and tests/e2e_lib/{report,apt}.sh.

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
  apt_install "${need[@]}"
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

# use_engine: an engine that answers and a Compose to drive it, or a skip
# (CI=true: installed and started instead, never a skip).
use_engine() {
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
}
