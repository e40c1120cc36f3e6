# shellcheck shell=bash
# shellcheck disable=SC2016  # sh -c '...' scripts expand inside the containers
# Step 6 of tests/kubernetes/kube_test.sh: the securityContext as the
# engine applied it, and isolation of the kinds' FIFOs.

declare -A UID_OF=([web]=4568 [spell-0]=4569 [spell-1]=4569 [markdown-0]=4570)
for c in "${CONTAINERS[@]}"; do
  got=$(pm exec "$(ctr "$c")" sh -c 'echo "$(id -u):$(id -g)"')
  [ "$got" = "${UID_OF[$c]}:4567" ] || fail "$c runs as $got, want ${UID_OF[$c]}:4567"
  pm exec "$(ctr "$c")" sh -c 'touch /usr/fifogate-rw-test' 2>/dev/null && fail "$c: root filesystem is writable"
  pm exec "$(ctr "$c")" sh -c 'touch /tmp/x && rm /tmp/x' || fail "$c: /tmp is not writable"
  st=$(pm exec "$(ctr "$c")" sh -c 'grep -E "^(CapEff|CapBnd|NoNewPrivs):" /proc/self/status' | tr -s '\t ' ' ')
  [[ $st == *"CapEff: 0000000000000000"* && $st == *"CapBnd: 0000000000000000"* && $st == *"NoNewPrivs: 1"* ]] ||
    fail "$c: capabilities or no_new_privs: $st"
done
pass "web 4568, spell 4569, markdown 4570, all gid 4567; read-only root, writable /tmp, no capabilities, no_new_privs"
out=$(isolated markdown-0 spell markdown) || fail "markdown-0 reaches spell's directory: $out"
for c in spell-0 spell-1; do
  out=$(isolated "$c" markdown spell) || fail "$c reaches markdown's directory: $out"
done
pm exec "$(ctr web)" sh -c 'test -p /run/fifogate/spell/in && test -p /run/fifogate/spell/in.1 && test -p /run/fifogate/markdown/in' ||
  fail "the web does not see both kinds' FIFOs"
pass "isolation: the processors see and open only their own kind's FIFOs (podman exec ls/open), the web sees both"
