#!/usr/bin/env bash
# Brings up what the services need: the local Kafka and PostgreSQL unless endpoints were given.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/env.sh"
"$here/python.sh"
if [ "${START_LOCAL_KAFKA:-}" = 1 ]; then "$here/kafka.sh" start; else echo "[kafka] using $KAFKA_BOOTSTRAP_SERVERS"; fi
if [ "${START_LOCAL_POSTGRES:-}" = 1 ]; then "$here/postgres.sh" start; else echo "[postgres] using the given DATABASE_URL"; fi
