#!/usr/bin/env bash
# Installs kustomize (the real tool, pinned) into .local/bin for the offline Kubernetes manifest tests
# (tests/deploy). Built from source through the Go module proxy: `go install sigs.k8s.io/kustomize/...`.
# Idempotent: does nothing when the pinned version is already there. Go comes from Debian when missing.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
version="${KUSTOMIZE_VERSION:-v5.7.1}"
bin_dir="${LOCAL_STATE_DIR:-$root/.local}/bin"
target="$bin_dir/kustomize"
if [ -x "$target" ] && "$target" version 2>/dev/null | grep -q "${version}"; then
  exit 0
fi
if ! command -v go >/dev/null; then
  echo "[kustomize] installing Go from Debian's packages"
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq golang-go >/dev/null
fi
echo "[kustomize] building sigs.k8s.io/kustomize/kustomize/v5@${version} into $bin_dir (Go module proxy)"
mkdir -p "$bin_dir"
GOBIN="$bin_dir" GOTOOLCHAIN=local GOFLAGS=-buildvcs=false \
  go install -ldflags "-X sigs.k8s.io/kustomize/api/provenance.version=${version}" \
  "sigs.k8s.io/kustomize/kustomize/v5@${version}"
"$target" version
