# shellcheck shell=bash
# Installs what a test needs from Debian's packages (CI=true only: a test
# run by hand skips instead).  Needs WORK and report.sh.

# apt_install PACKAGE...: as root, apt-get update and install, quietly;
# the tail of $WORK/apt.log is shown when either fails.
apt_install() {
  [ "$(id -u)" = 0 ] || fail "need root to install $*"
  log "installing with apt-get: $*"
  timeout 600 apt-get update -qq >"$WORK/apt.log" 2>&1 || { tail -20 "$WORK/apt.log"; fail "apt-get update"; }
  DEBIAN_FRONTEND=noninteractive timeout 900 apt-get install -y -qq --no-install-recommends \
    "$@" >>"$WORK/apt.log" 2>&1 || { tail -30 "$WORK/apt.log"; fail "apt-get install $*"; }
}
