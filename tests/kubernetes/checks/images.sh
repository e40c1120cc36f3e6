# shellcheck shell=bash
# Step 2 of tests/kubernetes/kube_test.sh: fifogate-web:local and
# fifogate-processor:local are in podman's store, loaded from Docker's
# build of the current sources where an engine answers (../images.sh).

# shellcheck source=/dev/null  # ../images.sh is checked on its own
. "$ROOT/tests/kubernetes/images.sh"
if ! kimg_ensure "${PODMAN[@]}"; then
  [ "$CI" = true ] && fail "the images could not be made (log: $KIMG_LOG)"
  skip "fifogate-web:local / fifogate-processor:local are not in podman's store and cannot be built here"
fi
pass "images in podman: $(for i in fifogate-web fifogate-processor; do
  pm image inspect "localhost/$i:local" --format "$i {{.Id}}" | cut -c1-40
done | tr '\n' ' ')"
