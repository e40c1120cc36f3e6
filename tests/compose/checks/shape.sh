# shellcheck shell=bash
# Step 4 of tests/compose/compose_test.sh, continued: the containers have
# the production shape (non-root users, one group, directory and FIFO
# modes, no network and a read-only root for the processors), and each
# processor kind is isolated from the other.

# Production shape: non-root, shared group, directory and FIFO modes, no
# network, read-only root.
[ "$(docker exec "$SPELL" id -u):$(docker exec "$SPELL" id -g)" = 4569:4567 ] || fail "spell does not run as 4569:4567"
[ "$(docker exec "$MD" id -u):$(docker exec "$MD" id -g)" = 4570:4567 ] || fail "markdown does not run as 4570:4567"
[ "$(docker exec "$WEB" id -u):$(docker exec "$WEB" id -g)" = 4568:4567 ] || fail "web does not run as 4568:4567"
pass "spell runs as uid 4569, markdown as 4570, web as 4568, all gid 4567"
for c in "$SPELL:spell" "$MD:markdown" "$WEB:spell" "$WEB:markdown"; do
  got=$(docker exec "${c%%:*}" stat -c '%a %U %G' "/run/fifogate/${c#*:}" 2>/dev/null)
  [ "$got" = "2770 root fifogate" ] || fail "/run/fifogate/${c#*:} is '$got', want '2770 root fifogate'"
done
pass "the kind directories (fresh volumes) are root:fifogate 2770 in the web and in their processor"
for c in "$SPELL:spell" "$MD:markdown"; do
  for f in in out status lock lock.worker; do
    got=$(docker exec "${c%%:*}" stat -c '%a %G %F' "/run/fifogate/${c#*:}/$f" 2>/dev/null)
    case $f in lock*) want="660 fifogate regular empty file" ;; *) want="660 fifogate fifo" ;; esac
    [ "$f" = lock.worker ] && want="660 fifogate regular file"
    [ "$got" = "$want" ] || fail "/run/fifogate/${c#*:}/$f is '$got', want '$want'"
  done
done
pass "FIFOs and lock files under /run/fifogate/spell/ and /run/fifogate/markdown/ are 0660, group fifogate"
for c in "$SPELL:spell" "$MD:markdown"; do
  id=${c%%:*}
  [ "$(docker inspect -f '{{.HostConfig.NetworkMode}}' "$id")" = none ] || fail "${c#*:}: network_mode is not none"
  ifaces=$(docker exec "$id" sh -c 'tail -n +3 /proc/net/dev | cut -d: -f1 | tr -d " "' | tr '\n' ' ')
  [ "$ifaces" = "lo " ] || fail "${c#*:}: network interfaces: $ifaces"
  docker exec "$id" sh -c 'touch /usr/fifogate-rw-test' 2>/dev/null && fail "${c#*:}: root filesystem is writable"
  docker exec "$id" sh -c 'touch /tmp/x && rm /tmp/x' || fail "${c#*:}: /tmp is not writable"
done
pass "spell and markdown: no network but lo, read-only root, writable /tmp"

# Isolation: a volume per kind, mounted in the web and that kind only.
m=$(mounts_of "$SPELL")
[[ $m =~ ^[^\ ]*_fifogate-spell:/run/fifogate/spell\ $ ]] || fail "spell mounts '$m', want its own volume only"
m=$(mounts_of "$MD")
[[ $m =~ ^[^\ ]*_fifogate-markdown:/run/fifogate/markdown\ $ ]] || fail "markdown mounts '$m', want its own volume only"
m=$(mounts_of "$WEB")
[[ $m == *_fifogate-spell:/run/fifogate/spell\ * && $m == *_fifogate-markdown:/run/fifogate/markdown\ * ]] ||
  fail "web mounts '$m', want both kinds' volumes"
out=$(isolated "$MD" spell markdown) || fail "markdown container reaches spell's directory: $out"
out=$(isolated "$SPELL" markdown spell) || fail "spell container reaches markdown's directory: $out"
docker exec "$WEB" sh -c 'test -p /run/fifogate/spell/in && test -p /run/fifogate/markdown/in' ||
  fail "the web does not see both kinds' FIFOs"
pass "isolation: each processor mounts only its kind's volume, sees no FIFO of the other and cannot open one; the web sees both"
