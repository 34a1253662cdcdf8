#!/usr/bin/env bash
# Jaeger v2 all-in-one (in-memory storage) as the local trace backend, built from the Go module proxy.
#   deploy/local/jaeger.sh install|start|stop|status
# Listens on loopback only: OTLP 127.0.0.1:4317 (gRPC) and :4318 (HTTP), UI and API on :16686.
# The first install compiles Jaeger (about 10-20 minutes on 2 cores); later runs reuse the binary.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
state="${LOCAL_STATE_DIR:-$root/.local}/jaeger"
version="${JAEGER_MODULE_VERSION:-v1.76.0}"  # the Go module version that carries the Jaeger v2 backend
binary="$state/bin/jaeger"
pidfile="$state/jaeger.pid"

log() { echo "[jaeger] $*"; }
port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
running() { [ -f "$pidfile" ] && kill -0 "$(cat "$pidfile")" 2>/dev/null; }

install() {
  if [ -x "$binary" ]; then return 0; fi
  if ! command -v go >/dev/null; then
    log "installing Go from Debian's packages"
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq golang-go >/dev/null
  fi
  log "building github.com/jaegertracing/jaeger/cmd/jaeger@$version (Go module proxy); this takes a while"
  # `go install pkg@version` refuses modules with replace directives, so build inside the downloaded module.
  local dir
  dir=$(go mod download -json "github.com/jaegertracing/jaeger@$version" | sed -n 's/^\t"Dir": "\(.*\)",$/\1/p')
  mkdir -p "$state/bin"
  (cd "$dir" && GOFLAGS=-mod=mod go build -o "$binary" ./cmd/jaeger)
}

start() {
  if running && port_open 16686; then log "already up: UI http://127.0.0.1:16686"; return 0; fi
  install
  mkdir -p "$state"
  JAEGER_LISTEN_HOST=127.0.0.1 nohup "$binary" >"$state/jaeger.log" 2>&1 &
  echo $! >"$pidfile"
  for _ in $(seq 1 60); do
    if port_open 16686 && port_open 4318; then log "up: UI http://127.0.0.1:16686, OTLP http://127.0.0.1:4318"; return 0; fi
    sleep 0.5
  done
  log "did not start; see $state/jaeger.log" >&2
  return 1
}

stop() {
  if running; then kill "$(cat "$pidfile")"; rm -f "$pidfile"; log "stopped"; else log "not running"; fi
}

status() { if running && port_open 16686; then log "up"; else log "down"; return 1; fi; }

"${1:-start}"
