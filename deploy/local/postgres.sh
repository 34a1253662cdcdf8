#!/usr/bin/env bash
# Local PostgreSQL from Debian's packages, in a cluster of the project's own under .local/postgres.
#   deploy/local/postgres.sh install|start|stop|status|psql
# Listens on 127.0.0.1:${PGPORT:-5432} only. Idempotent: start does nothing when the server is up, and
# creates the product's role and database (and the btree_gist extension) when they are missing.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
state="${LOCAL_STATE_DIR:-$root/.local}/postgres"
port="${PGPORT:-5432}"
db_user="${PG_APP_USER:-bonemets}"
db_password="${PG_APP_PASSWORD:-bonemets}"
db_name="${PG_APP_DB:-bonemets}"

# The postgres user must reach the data folder; a checkout under a private folder (mode 700) is not
# reachable, so the cluster then lives under /var/tmp, named after the checkout.
resolve_state() {
  mkdir -p "$state"
  chown postgres:postgres "$state"
  if ! runuser -u postgres -- test -x "$state" 2>/dev/null; then
    state="/var/tmp/bonemets-postgres-$(echo "$state" | sha256sum | cut -c1-12)"
    mkdir -p "$state"
    chown postgres:postgres "$state"
  fi
  data="$state/data"
  sock="$state/run"
}

log() { echo "[postgres] $*"; }

bindir() {
  local d
  d=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1 || true)
  [ -n "$d" ] && [ -x "$d/initdb" ] && echo "$d"
}

install() {
  if [ -z "$(bindir)" ]; then
    log "installing PostgreSQL from Debian's packages"
    apt-get update -qq
    # policy-rc.d 101: the package must not start Debian's own cluster; ours is started below.
    printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d && chmod +x /usr/sbin/policy-rc.d
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql postgresql-contrib >/dev/null
    rm -f /usr/sbin/policy-rc.d
  fi
}

as_pg() { runuser -u postgres -- "$@"; }

running() { [ -n "$(bindir)" ] && [ -f "${data:?}/PG_VERSION" ] && as_pg "$(bindir)/pg_ctl" -D "$data" status >/dev/null 2>&1; }

psql_admin() { as_pg "$(bindir)/psql" -h "$sock" -p "$port" -U postgres -v ON_ERROR_STOP=1 -qtA "$@"; }

ensure_database() {
  psql_admin -d postgres <<SQL
SELECT 'CREATE ROLE $db_user LOGIN PASSWORD ''$db_password'''
  WHERE NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '$db_user') \gexec
SELECT 'CREATE DATABASE $db_name OWNER $db_user'
  WHERE NOT EXISTS (SELECT FROM pg_database WHERE datname = '$db_name') \gexec
-- Tests create a database per run; the role may create them, and drop them WITH (FORCE) even while an
-- autovacuum worker (a process of no role) is in one: that needs pg_signal_backend.
ALTER ROLE $db_user CREATEDB;
GRANT pg_signal_backend TO $db_user;
SQL
  # btree_gist backs the scheduler's exclusion constraint; extensions need a superuser to create.
  psql_admin -d "$db_name" -c "SET client_min_messages = warning; CREATE EXTENSION IF NOT EXISTS btree_gist" >/dev/null
  psql_admin -d template1 -c "SET client_min_messages = warning; CREATE EXTENSION IF NOT EXISTS btree_gist" >/dev/null
}

start() {
  install
  resolve_state
  local bin; bin=$(bindir)
  mkdir -p "$sock"
  chown postgres:postgres "$sock"
  if [ ! -f "$data/PG_VERSION" ]; then
    log "creating the cluster in $data"
    as_pg "$bin/initdb" -D "$data" -U postgres --auth-local=peer --auth-host=scram-sha-256 \
      -E UTF8 --locale=C.UTF-8 >"$state/initdb.log"
    cat >>"$data/postgresql.conf" <<CONF
listen_addresses = '127.0.0.1'
port = $port
unix_socket_directories = '$sock'
max_connections = 200
shared_buffers = 256MB
fsync = on
synchronous_commit = on
CONF
  fi
  if running; then
    log "already up on 127.0.0.1:$port"
  else
    log "starting on 127.0.0.1:$port"
    as_pg "$bin/pg_ctl" -D "$data" -l "$state/server.log" -w -t 60 start >/dev/null
  fi
  ensure_database
  log "database $db_name ready (user $db_user)"
}

stop() {
  if ! id postgres >/dev/null 2>&1; then log "not installed"; return 0; fi
  resolve_state
  if running; then as_pg "$(bindir)/pg_ctl" -D "$data" -m fast -w stop >/dev/null; log "stopped"; else log "not running"; fi
}

status() { resolve_state; if running; then log "up on 127.0.0.1:$port"; else log "down"; return 1; fi; }

psql_cmd() { resolve_state; psql_admin "$@"; }

case "${1:-start}" in
  psql) shift; psql_cmd "$@" ;;
  *) "${1:-start}" ;;
esac
