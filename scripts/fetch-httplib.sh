#!/usr/bin/env bash
# Fetches cpp-httplib's single header, httplib.h, from Debian's archive and
# unpacks it into a cache outside the tree; prints the directory holding it.
#   scripts/fetch-httplib.sh [CACHE_DIR]   [${XDG_CACHE_HOME:-~/.cache}/fifogate]
#
# The web compiles httplib.h into its own objects (header-only), so the
# sanitizers see it; the version is pinned here and checked by a static_assert
# in web/httplib.hpp. Bookworm's package is 0.11.4 (2022); this is the
# trixie-backports source package. apt fetches the orig tarball with a private
# sources list (the system's apt sources are not touched) and checks it against
# the archive's signed Sources index; the SHA-256 below pins it as well. The
# package's .dsc and Debian tarball are not needed (and not always mirrored).
set -euo pipefail

version=0.41.0
package_version=0.41.0+ds-3~bpo13+1
orig=cpp-httplib_0.41.0+ds.orig.tar.xz
sha256=7acb492bffdd95165677d22145c2c4890e6432c5ef53d0f781defe8dec48f567
suite_line="deb-src [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] http://deb.debian.org/debian trixie-backports main"

cache=${1:-${XDG_CACHE_HOME:-$HOME/.cache}/fifogate}
dest=$cache/cpp-httplib-$version
if [[ -f $dest/httplib.h ]] && grep -q "CPPHTTPLIB_VERSION \"$version\"" "$dest/httplib.h"; then
  echo "$dest"
  exit 0
fi

fail() {
  echo "fetch-httplib: $*" >&2
  echo "fetch-httplib: cpp-httplib $version is required; there is no fallback to another version" >&2
  exit 1
}
command -v apt-get >/dev/null || fail "apt-get not found (a Debian machine is needed)"
[[ -f /usr/share/keyrings/debian-archive-keyring.gpg ]] || fail "debian-archive-keyring is not installed"
command -v xz >/dev/null || fail "xz-utils is not installed"

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/lists/partial" "$work/get"
echo "$suite_line" >"$work/sources.list"
apt_opts=(-o "Dir::Etc::sourcelist=$work/sources.list" -o "Dir::Etc::sourceparts=-"
  -o "Dir::State::Lists=$work/lists" -o "APT::Get::List-Cleanup=0" -o "APT::Sandbox::User=root")
echo "fetch-httplib: reading the trixie-backports source index" >&2
apt-get "${apt_opts[@]}" -q update >&2 || fail "apt-get update of the private trixie-backports list failed"
# --download-only also asks for the .dsc and Debian tarball, which the mirror
# may lack: the exit code is not the test, the orig tarball's checksum is.
(cd "$work/get" && apt-get "${apt_opts[@]}" -q source --download-only "cpp-httplib=$package_version" >&2) || true
[[ -f $work/get/$orig ]] || fail "apt-get source did not fetch $orig"
echo "$sha256  $work/get/$orig" | sha256sum --check --quiet - >&2 || fail "$orig: SHA-256 mismatch"
tar -xJf "$work/get/$orig" -C "$work" --strip-components=1 "cpp-httplib-$version+ds/httplib.h" \
  "cpp-httplib-$version+ds/LICENSE"
grep -q "CPPHTTPLIB_VERSION \"$version\"" "$work/httplib.h" || fail "httplib.h is not version $version"
mkdir -p "$dest"
install -m 0644 "$work/httplib.h" "$work/LICENSE" "$dest/"
echo "fetch-httplib: cpp-httplib $version in $dest" >&2
echo "$dest"
