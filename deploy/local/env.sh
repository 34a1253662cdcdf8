# Sourced by the Makefile's targets: the local defaults, unless the environment gives its own.
# KAFKA_BOOTSTRAP_SERVERS / DATABASE_URL given from outside mean "use those, start nothing".
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
state="${LOCAL_STATE_DIR:-$root/.local}"
mkdir -p "$state"
if [ -z "${KAFKA_BOOTSTRAP_SERVERS:-}" ]; then
  export START_LOCAL_KAFKA=1 KAFKA_BOOTSTRAP_SERVERS="127.0.0.1:${KAFKA_PORT:-9092}"
fi
if [ -z "${DATABASE_URL:-}" ]; then
  export START_LOCAL_POSTGRES=1
  export DATABASE_URL="postgresql+asyncpg://${PG_APP_USER:-bonemets}:${PG_APP_PASSWORD:-bonemets}@127.0.0.1:${PGPORT:-5432}/${PG_APP_DB:-bonemets}"
fi
if [ -z "${API_TOKENS:-}" ]; then
  tokens_file="$state/api-tokens.env"
  if [ ! -f "$tokens_file" ]; then
    umask 077
    {
      printf 'API_TOKENS='
      for role in integration coordinator clinician ops; do
        printf '%s:%s,' "$role" "$(head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n')"
      done | sed 's/,$//'
      echo
    } >"$tokens_file"
    echo "[env] made local API tokens in $tokens_file"
  fi
  set -a; . "$tokens_file"; set +a
  export API_TOKENS_FILE="$tokens_file"
fi
if [ -z "${CONSOLE_SESSION_SECRET:-}" ]; then
  # The MDT console's cookie-signing key: made once, kept beside the tokens.
  secret_file="$state/console-secret.env"
  if [ ! -f "$secret_file" ]; then
    (umask 077; echo "CONSOLE_SESSION_SECRET=$(head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n')" >"$secret_file")
  fi
  set -a; . "$secret_file"; set +a
fi
export ENVIRONMENT="${ENVIRONMENT:-development}"
