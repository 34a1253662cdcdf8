#!/usr/bin/env bash
# Installs vegeta (HTTP load generator: constant-rate, open-loop attacks; latency percentiles as JSON) into
# .local/bin for `make bench`. Built from source through the Go module proxy: `go install ...@version`.
# Idempotent: does nothing when the pinned version is already there. Go comes from Debian when missing.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
version="${VEGETA_VERSION:-v12.12.0}"
bin_dir="${LOCAL_STATE_DIR:-$root/.local}/bin"
target="$bin_dir/vegeta"
stamp="$bin_dir/.vegeta-version"
if [ -x "$target" ] && [ "$(cat "$stamp" 2>/dev/null)" = "$version" ]; then
  exit 0
fi
if ! command -v go >/dev/null; then
  echo "[vegeta] installing Go from Debian's packages"
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq golang-go >/dev/null
fi
echo "[vegeta] building github.com/tsenart/vegeta/v12@${version} into $bin_dir (Go module proxy)"
mkdir -p "$bin_dir"
GOBIN="$bin_dir" GOTOOLCHAIN=local GOFLAGS=-buildvcs=false go install "github.com/tsenart/vegeta/v12@${version}"
echo "$version" >"$stamp"
"$target" -version
