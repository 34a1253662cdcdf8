#!/usr/bin/env bash
# Local Apache Kafka 4.x (KRaft, single node) from Maven Central jars.
#   deploy/local/kafka.sh install|start|stop|status
# State lives in .local/kafka (git-ignored). Idempotent: start does nothing when the broker is up.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
state="${LOCAL_STATE_DIR:-$root/.local}/kafka"
port="${KAFKA_PORT:-9092}"
controller_port="${KAFKA_CONTROLLER_PORT:-9093}"
heap="${KAFKA_HEAP:-768m}"
# Jars are shared by every broker of this checkout (tests start private brokers with their own state).
libs="${KAFKA_LIBS_DIR:-$root/.local/kafka/libs}"
data="$state/data"
pidfile="$state/kafka.pid"

log() { echo "[kafka] $*"; }

port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

install() {
  if ! command -v java >/dev/null || ! command -v mvn >/dev/null; then
    log "installing Java 17 and Maven from Debian's packages"
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq openjdk-17-jre-headless maven >/dev/null
  fi
  if ls "$libs"/kafka_2.13-*.jar >/dev/null 2>&1; then
    return 0
  fi
  log "resolving the broker's jars from Maven Central (deploy/local/kafka/pom.xml)"
  mkdir -p "$libs"
  mvn -q -B -f "$here/kafka/pom.xml" dependency:copy-dependencies \
    -DoutputDirectory="$libs" -DincludeScope=runtime
}

classpath() { printf '%s:' "$libs"/*.jar; }

java_run() {
  java -Xms256m -Xmx"$heap" -XX:+UseG1GC -Djava.awt.headless=true \
    -Dlog4j2.configurationFile="$here/kafka/log4j2.properties" -Dkafka.logs.dir="$state/logs" \
    -cp "$(classpath)" "$@"
}

write_config() {
  mkdir -p "$state/logs" "$data"
  {
    cat "$here/kafka/server.properties"
    echo "log.dirs=$data"
    echo "listeners=PLAINTEXT://127.0.0.1:$port,CONTROLLER://127.0.0.1:$controller_port"
    echo "advertised.listeners=PLAINTEXT://127.0.0.1:$port"
    echo "controller.quorum.voters=1@127.0.0.1:$controller_port"
  } >"$state/server.properties"
}

running() { [ -f "$pidfile" ] && kill -0 "$(cat "$pidfile")" 2>/dev/null; }

start() {
  if running && port_open "$port"; then
    log "already up on 127.0.0.1:$port"
    return 0
  fi
  if port_open "$port"; then
    log "something else listens on 127.0.0.1:$port; set KAFKA_BOOTSTRAP_SERVERS to use it, or free the port" >&2
    return 1
  fi
  install
  write_config
  if [ ! -f "$data/meta.properties" ]; then
    log "formatting KRaft storage"
    java_run kafka.tools.StorageTool format -t "$(java_run kafka.tools.StorageTool random-uuid)" \
      -c "$state/server.properties" >"$state/logs/format.log" 2>&1
  fi
  log "starting broker on 127.0.0.1:$port"
  nohup java -Xms256m -Xmx"$heap" -XX:+UseG1GC -Djava.awt.headless=true \
    -Dlog4j2.configurationFile="$here/kafka/log4j2.properties" -Dkafka.logs.dir="$state/logs" \
    -cp "$(classpath)" kafka.Kafka "$state/server.properties" >"$state/logs/stdout.log" 2>&1 &
  echo $! >"$pidfile"
  for _ in $(seq 1 120); do
    if port_open "$port"; then log "up"; return 0; fi
    if ! running; then log "broker exited; see $state/logs/stdout.log" >&2; tail -20 "$state/logs/stdout.log" >&2; return 1; fi
    sleep 0.5
  done
  log "broker did not open its port in 60 s; see $state/logs" >&2
  return 1
}

stop() {
  if ! running; then log "not running"; rm -f "$pidfile"; return 0; fi
  local pid; pid=$(cat "$pidfile")
  kill "$pid" 2>/dev/null || true
  for _ in $(seq 1 60); do kill -0 "$pid" 2>/dev/null || break; sleep 0.5; done
  kill -9 "$pid" 2>/dev/null || true
  rm -f "$pidfile"
  log "stopped"
}

status() { if running && port_open "$port"; then log "up on 127.0.0.1:$port"; else log "down"; return 1; fi; }

"${1:-start}"
