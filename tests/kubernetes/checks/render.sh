# shellcheck shell=bash
# Step 3 of tests/kubernetes/kube_test.sh: every kustomization renders
# (base, overlays warm and scaled, the test overlay) with what each adds.

render deploy/kubernetes/base "$WORK/base.yaml"
[ "$(kinds "$WORK/base.yaml")" = "Deployment NetworkPolicy PodDisruptionBudget Service " ] ||
  fail "base renders kinds '$(kinds "$WORK/base.yaml")'"
grep -q 'prometheus.io/scrape: "true"' "$WORK/base.yaml" || fail "base: no prometheus.io/scrape annotation"
render deploy/kubernetes/overlays/warm "$WORK/warm.yaml"
[ "$(grep -c 'value: warm' "$WORK/warm.yaml")" = 2 ] || fail "overlays/warm does not make both spell workers warm"
render deploy/kubernetes/overlays/scaled "$WORK/scaled.yaml"
[ "$(grep -cE '^ +(- )?name: spell-[0-9]+$' "$WORK/scaled.yaml")" = 4 ] ||
  fail "overlays/scaled does not have 4 spell containers"
grep -q '^kind: HorizontalPodAutoscaler' "$WORK/scaled.yaml" || fail "overlays/scaled has no HPA"
render tests/kubernetes/overlay "$WORK/play.yaml"
grep -q 'hostNetwork: true' "$WORK/play.yaml" || fail "the test overlay is not on the host network"
pass "kubectl kustomize renders base ($(kinds "$WORK/base.yaml")), overlays/warm, overlays/scaled (+HPA, 4 spell workers) and the test overlay"

