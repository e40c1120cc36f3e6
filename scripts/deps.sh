#!/usr/bin/env bash
# Installs the Debian packages fifogate needs, only those missing.
#   scripts/deps.sh          build + run dependencies
#   scripts/deps.sh test     ... plus what the test suite needs
#   scripts/deps.sh bench    ... plus what bench/run.sh needs
# The README lists every package and why it is needed.
set -euo pipefail

pkgs=(
  g++ cmake make pkg-config      # compiler and build
  libcpp-httplib-dev             # HTTP server (web)
  libboost-dev libboost-filesystem-dev  # Boost.Process (processor)
  nlohmann-json3-dev             # JSON answers (web)
  aspell aspell-en               # the default command
)
if [[ "${1:-}" == bench ]]; then
  pkgs+=(python3 bc) # the warm-latency reference (bench/aspell_warm_direct.py); ratios
fi
if [[ "${1:-}" == test ]]; then
  pkgs+=(libgtest-dev curl clang-format)  # GoogleTest; curl for the compose test; format check
  pkgs+=(hunspell hunspell-en-us)         # the other -a checker, tested in warm mode
  pkgs+=(ispell iamerican)                # ispell itself: its '?' answer lines
  # The page test (tests/browser/page_test.py): headless Chromium driven over
  # WebDriver by a standard-library Python script; a font to render the page with.
  pkgs+=(chromium chromium-driver python3 fonts-dejavu-core)
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
