#!/usr/bin/env bash
# Installs the Debian packages fifogate needs, only those missing.
#   scripts/deps.sh          build + run dependencies
#   scripts/deps.sh test     ... plus what the test suite needs
#   scripts/deps.sh bench    ... plus what bench/run.sh needs
# The README lists every package and why it is needed.
set -euo pipefail

pkgs=(
  g++ cmake make                 # compiler and build
  xz-utils debian-archive-keyring  # cpp-httplib's source tarball, fetched by apt (fetch-httplib.sh)
  libboost-dev libboost-filesystem-dev  # Boost.Process (processor)
  nlohmann-json3-dev             # JSON answers (web)
  aspell aspell-en               # the default command
)
if [[ "${1:-}" == bench ]]; then
  pkgs+=(python3 bc wrk) # the warm-latency reference (bench/aspell_warm_direct.py); ratios; bench/edge_bench.sh
fi
if [[ "${1:-}" == test ]]; then
  pkgs+=(libgtest-dev curl clang-format)  # GoogleTest; curl for the compose test; format check
  pkgs+=(hunspell hunspell-en-us)         # the other -a checker, tested in warm mode
  pkgs+=(ispell iamerican)                # ispell itself: its '?' answer lines
  # The page test (tests/browser/page_test.py): headless Chromium driven over
  # WebDriver by a standard-library Python script; a font to render the page with.
  pkgs+=(chromium chromium-driver python3 fonts-dejavu-core)
  # The editor-API test (tests/editors/): the LanguageTool client gramma, an
  # npm package, run by Node.js. A Node.js that brings its own npm (as
  # NodeSource's does) is left alone.
  pkgs+=(nodejs)
  command -v npm >/dev/null || pkgs+=(npm)
fi

missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  echo "deps: installing ${missing[*]}"
  sudo=""
  [[ $(id -u) -eq 0 ]] || sudo="sudo"
  $sudo apt-get update -q
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -q --no-install-recommends "${missing[@]}"
fi
# cpp-httplib, header-only, in the version the web is written for: from
# Debian's archive (trixie-backports source package), verified by apt and by
# its pinned SHA-256; cached outside the tree.
"$(dirname "$0")/fetch-httplib.sh" >/dev/null
