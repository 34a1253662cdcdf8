#!/usr/bin/env bash
# Fetches the official AsyncAPI JSON Schemas (the AsyncAPI Initiative's @asyncapi/specs package, pinned) from
# the npm registry into .local/asyncapi-specs, for the test that validates each service's /asyncapi.json.
# Idempotent: does nothing when the pinned version is already there. Node and npm come from Debian when missing.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
version="${ASYNCAPI_SPECS_VERSION:-6.11.1}"
target="${LOCAL_STATE_DIR:-$root/.local}/asyncapi-specs"
if [ -f "$target/$version/package/schemas/3.0.0-without-\$id.json" ]; then
  exit 0
fi
if ! command -v npm >/dev/null; then
  echo "[asyncapi] installing npm from Debian's packages"
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq npm >/dev/null
fi
echo "[asyncapi] fetching @asyncapi/specs@${version} (npm registry)"
mkdir -p "$target/$version"
tarball=$(cd "$target/$version" && npm pack --silent "@asyncapi/specs@${version}")
tar -xzf "$target/$version/$tarball" -C "$target/$version"
rm -f "$target/$version/$tarball"
