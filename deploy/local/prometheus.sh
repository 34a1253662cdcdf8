#!/usr/bin/env bash
# Prometheus and promtool from Debian's packages; a Prometheus of the project's own under .local/prometheus.
#   deploy/local/prometheus.sh install|start|stop|status|check
# start: 127.0.0.1:9090 only, with deploy/prometheus/prometheus.yaml (the three services on 8001-8003, Jaeger's
# own metrics, the alert rules of deploy/prometheus/rules/). Debian's own service is never started.
# check: promtool checks the configuration and the rules and runs the rules' unit tests.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
state="${LOCAL_STATE_DIR:-$root/.local}/prometheus"
config="$root/deploy/prometheus/prometheus.yaml"
listen="${PROMETHEUS_LISTEN:-127.0.0.1:9090}"
pidfile="$state/prometheus.pid"

log() { echo "[prometheus] $*"; }
running() { [ -f "$pidfile" ] && kill -0 "$(cat "$pidfile")" 2>/dev/null; }
ready() { curl -fsS "http://$listen/-/ready" >/dev/null 2>&1; }

install() {
  if command -v prometheus >/dev/null && command -v promtool >/dev/null; then return 0; fi
  log "installing Prometheus (and promtool) from Debian's packages"
  apt-get update -qq
  if [ -z "$(apt-cache policy prometheus | sed -n 's/^ *Candidate: *//p' | grep -v '(none)')" ]; then
    log "Debian's package 'prometheus' is not available from this machine's apt sources" >&2
    return 1
  fi
  # policy-rc.d 101: the package must not start Debian's own Prometheus; ours is started below.
  local own_policy=0
  if [ ! -e /usr/sbin/policy-rc.d ]; then
    printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d && chmod +x /usr/sbin/policy-rc.d
    own_policy=1
  fi
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends prometheus >/dev/null
  if [ "$own_policy" = 1 ]; then rm -f /usr/sbin/policy-rc.d; fi
}

check() {
  install
  promtool check config "$config"
  promtool check rules "$root"/deploy/prometheus/rules/*.yaml
  promtool test rules "$root"/deploy/prometheus/tests/*.yaml
}

start() {
  if running && ready; then log "already up: http://$listen"; return 0; fi
  install
  promtool check config "$config" >/dev/null
  mkdir -p "$state/data"
  nohup prometheus --config.file="$config" --storage.tsdb.path="$state/data" \
    --storage.tsdb.retention.time=2d --web.listen-address="$listen" >"$state/prometheus.log" 2>&1 &
  echo $! >"$pidfile"
  for _ in $(seq 1 60); do
    if ready; then log "up: http://$listen (targets: http://$listen/targets, alerts: http://$listen/alerts)"; return 0; fi
    sleep 0.5
  done
  log "did not start; see $state/prometheus.log" >&2
  return 1
}

stop() {
  if running; then kill "$(cat "$pidfile")"; rm -f "$pidfile"; log "stopped"; else log "not running"; fi
}

status() { if running && ready; then log "up: http://$listen"; else log "down"; return 1; fi; }

"${1:-start}"
