#!/usr/bin/env bash
# Starts, stops and reports the three services and the MDT console as background uvicorn processes.
#   deploy/local/services.sh start|stop|status
# Configuration comes from the environment (see deploy/local/env.sh). Logs: .local/logs/<service>.log
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
cd "$root"
state="${LOCAL_STATE_DIR:-$root/.local}"
mkdir -p "$state/run" "$state/logs"
declare -A ports=([intake]="${INTAKE_PORT:-8001}" [eligibility]="${ELIGIBILITY_PORT:-8002}" [scheduler]="${SCHEDULER_PORT:-8003}" [console]="${CONSOLE_PORT:-8004}")
services=(intake eligibility scheduler console)

running() { local f="$state/run/$1.pid"; [ -f "$f" ] && kill -0 "$(cat "$f")" 2>/dev/null; }

ready() { curl -sf -o /dev/null "http://127.0.0.1:${ports[$1]}/readyz"; }

start() {
  # With the local Jaeger up (make jaeger) and no OTEL_* given, the services send their traces to it.
  if [ -z "${OTEL_TRACES_EXPORTER:-}" ] && (exec 3<>/dev/tcp/127.0.0.1/4318) 2>/dev/null; then
    export OTEL_TRACES_EXPORTER=otlp OTEL_EXPORTER_OTLP_ENDPOINT=http://127.0.0.1:4318
    echo "[services] tracing to the local Jaeger (UI http://127.0.0.1:16686)"
  fi
  # The console calls the three services where this script starts them.
  export INTAKE_URL="${INTAKE_URL:-http://127.0.0.1:${ports[intake]}}" \
    ELIGIBILITY_URL="${ELIGIBILITY_URL:-http://127.0.0.1:${ports[eligibility]}}" \
    SCHEDULER_URL="${SCHEDULER_URL:-http://127.0.0.1:${ports[scheduler]}}"
  for s in "${services[@]}"; do
    if running "$s"; then echo "[services] $s already running on :${ports[$s]}"; continue; fi
    echo "[services] starting $s on 127.0.0.1:${ports[$s]}"
    if [ "$s" = console ]; then
      OTEL_SERVICE_NAME="${OTEL_SERVICE_NAME_PREFIX:-}$s" nohup .venv/bin/uvicorn --factory "services.$s.main:create_application" \
        --host 127.0.0.1 --port "${ports[$s]}" --loop uvloop --no-access-log --timeout-graceful-shutdown 20 \
        >>"$state/logs/$s.log" 2>&1 &
    else
      # API_WORKERS and CONSUMER_PROCESSES (default 1 and 1: one process does both) for every service, or
      # per service as <SERVICE>_API_WORKERS / <SERVICE>_CONSUMER_PROCESSES (shared/serve.py).
      local workers_of="${s^^}_API_WORKERS" consumers_of="${s^^}_CONSUMER_PROCESSES"
      local workers=${!workers_of:-${API_WORKERS:-1}} consumers=${!consumers_of:-${CONSUMER_PROCESSES:-1}}
      API_WORKERS=$workers CONSUMER_PROCESSES=$consumers OTEL_SERVICE_NAME="${OTEL_SERVICE_NAME_PREFIX:-}$s" \
        nohup .venv/bin/python -m shared.serve "$s" --host 127.0.0.1 --port "${ports[$s]}" \
        >>"$state/logs/$s.log" 2>&1 &
    fi
    echo $! >"$state/run/$s.pid"
  done
  for s in "${services[@]}"; do
    for _ in $(seq 1 120); do
      if ready "$s"; then break; fi
      if ! running "$s"; then echo "[services] $s exited; last lines of $state/logs/$s.log:" >&2; tail -20 "$state/logs/$s.log" >&2; return 1; fi
      sleep 0.5
    done
    if ! ready "$s"; then echo "[services] $s not ready after 60 s; see $state/logs/$s.log" >&2; return 1; fi
    if [ "$s" = console ]; then echo "[services] console ready: http://127.0.0.1:${ports[$s]}"; continue; fi
    echo "[services] $s ready: http://127.0.0.1:${ports[$s]}  (docs: /docs)"
  done
}

stop() {
  for s in "${services[@]}"; do
    if running "$s"; then
      local pid; pid=$(cat "$state/run/$s.pid")
      kill -TERM "$pid" 2>/dev/null || true
      for _ in $(seq 1 60); do kill -0 "$pid" 2>/dev/null || break; sleep 0.5; done
      kill -9 "$pid" 2>/dev/null || true
      echo "[services] $s stopped"
    fi
    rm -f "$state/run/$s.pid"
  done
}

status() {
  for s in "${services[@]}"; do
    if running "$s" && ready "$s"; then echo "[services] $s ready on :${ports[$s]}"; else echo "[services] $s down"; fi
  done
}

"${1:-start}"
