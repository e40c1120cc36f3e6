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

# shellcheck disable=SC2034  # the parts sourced below use these variables
set -uo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
HERE=$ROOT/tests/compose
START=$(date +%s)
E2E_TAG=compose-test
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

STACK_UP=0
BG_PID=
COMPOSE=()
FILES=()

# The helpers, then the checks, run in this shell: a failed check exits
# at once and the EXIT trap takes the stack down.  `.` of a missing file
# would only warn, and its checks would be skipped without a word.
for part in "$ROOT"/tests/e2e_lib/{report,apt,http,answers,container}.sh "$HERE"/lib/{engine,stack,cleanup}.sh; do
  [ -r "$part" ] || { echo "compose test: cannot read $part" >&2; exit 1; }
  # shellcheck source=/dev/null  # each part is checked on its own
  . "$part"
done

trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# 1. Engine and tools; 2. base image.
use_engine
ensure_base_image
# 3. Up; 4. checks; 5. a processor killed; 6. scaled; 7. down.
for part in up answers shape restart scale down; do
  [ -r "$HERE/checks/$part.sh" ] || fail "cannot read $HERE/checks/$part.sh"
  # shellcheck source=/dev/null  # each part is checked on its own
  . "$HERE/checks/$part.sh"
done
exit 0
