#!/usr/bin/env bash
# `make run`: starts a local till-server on 127.0.0.1, registers a demo terminal the first time
# (its credentials kept next to the server's database, readable by this user only), points the
# app at it through TILL_SYNC_*, runs the app in demo mode (`--demo`) on a data directory of its
# own (.run/till, so a real till's data directory never holds demo data), and stops the server
# when the app exits.
#
# It makes an HQ console admin `hq` once (password in .run/console-admin.password, 0600).
#
# It also starts the reference service provider (till-provider, answering from
# crates/till-provider/responses.toml) and registers it on the server once as `demo-services`,
# with a shared secret made the first time (mode 0600), so the Services screen (Alt+S) can top
# up a phone or pay a bill (docs/services.md).
#
#   TILL_DEMO_PORT   the server's port (default 8787)
#   TILL_DEMO_PROVIDER_PORT  the reference provider's port (default 8788)
#   TILL_DEMO_DIR    where the server's database, credentials and log live (default .run)
set -euo pipefail
cd "$(dirname "$0")/.."

CARGO=${CARGO:-cargo}
PORT=${TILL_DEMO_PORT:-8787}
DIR=${TILL_DEMO_DIR:-.run}
DB="$DIR/till-server.db"
CREDS="$DIR/demo-terminal.json"
LOG="$DIR/till-server.log"

mkdir -p "$DIR"
chmod 700 "$DIR"

"$CARGO" build --bin till
"$CARGO" build -p till-server --bin till-server
"$CARGO" build -p till-provider --bin till-provider
SERVER="${CARGO_TARGET_DIR:-target}/debug/till-server"
PROVIDER="${CARGO_TARGET_DIR:-target}/debug/till-provider"
PROVIDER_PORT=${TILL_DEMO_PROVIDER_PORT:-8788}
PROVIDER_SECRET="$DIR/demo-provider.secret"
PROVIDER_LOG="$DIR/till-provider.log"

# The terminal is registered once; its secret is printed only then, so keep it (mode 0600).
if [ ! -s "$CREDS" ]; then
  (umask 077 && "$SERVER" terminals add --db "$DB" --name "demo till" >"$CREDS.new" && mv "$CREDS.new" "$CREDS")
  echo "run-demo: registered a demo terminal (credentials in $CREDS)"
fi
field() { sed -n "s/^ *\"$1\": *\"\([^\"]*\)\".*/\1/p" "$CREDS"; }
TERMINAL_ID=$(field terminal_id)
SECRET=$(field secret)
if [ -z "$TERMINAL_ID" ] || [ -z "$SECRET" ]; then
  echo "run-demo: $CREDS does not hold a terminal id and secret; delete $DIR to start afresh" >&2
  exit 1
fi

# A demo web shop's merchant key for the store `main` (the demo terminal's), also kept once
# (mode 0600): scripts/push-demo-order.sh sends orders pending collection with it.
MERCHANT="$DIR/demo-merchant.json"
if [ ! -s "$MERCHANT" ]; then
  (umask 077 && "$SERVER" merchants add --db "$DB" "Demo web shop" --store main >"$MERCHANT.new" && mv "$MERCHANT.new" "$MERCHANT")
  echo "run-demo: registered a demo web shop (merchant key in $MERCHANT; scripts/push-demo-order.sh sends an order)"
fi

# An admin of the HQ console (/console) for the demo merchant, its password made once (0600).
CONSOLE_PASSWORD="$DIR/console-admin.password"
if [ ! -s "$CONSOLE_PASSWORD" ]; then
  (umask 077 && od -An -N12 -tx1 /dev/urandom | tr -d ' \n' >"$CONSOLE_PASSWORD.new" && mv "$CONSOLE_PASSWORD.new" "$CONSOLE_PASSWORD")
  "$SERVER" admins add --db "$DB" hq --merchant default --password-file "$CONSOLE_PASSWORD" >/dev/null
  echo "run-demo: made the HQ console admin hq (password in $CONSOLE_PASSWORD)"
fi

if (exec 3<>"/dev/tcp/127.0.0.1/$PORT") 2>/dev/null; then
  echo "run-demo: port $PORT is already in use; stop what listens there or set TILL_DEMO_PORT" >&2
  exit 1
fi

# The demo provider: a shared secret made once (0600), registered once on the server.
if [ ! -s "$PROVIDER_SECRET" ]; then
  (umask 077 && od -An -N32 -tx1 /dev/urandom | tr -d ' \n' >"$PROVIDER_SECRET.new" && mv "$PROVIDER_SECRET.new" "$PROVIDER_SECRET")
fi
if ! "$SERVER" providers list --db "$DB" | grep -q '"account_id": "demo-services"'; then
  "$SERVER" providers add --db "$DB" --name "Demo services" --account demo-services \
    --endpoint "http://127.0.0.1:$PROVIDER_PORT/relay" --secret-file "$PROVIDER_SECRET" >/dev/null
  echo "run-demo: registered the reference provider demo-services"
fi
"$PROVIDER" serve --listen "127.0.0.1:$PROVIDER_PORT" --account demo-services --secret-file "$PROVIDER_SECRET" \
  --table crates/till-provider/responses.toml --paid-log "$DIR/demo-provider-paid.jsonl" >>"$PROVIDER_LOG" 2>&1 &
PROVIDER_PID=$!
trap 'kill "$PROVIDER_PID" 2>/dev/null || true' EXIT INT TERM

"$SERVER" serve --db "$DB" --listen "127.0.0.1:$PORT" >>"$LOG" 2>&1 &
SERVER_PID=$!
stop_server() {
  kill "$SERVER_PID" "$PROVIDER_PID" 2>/dev/null || true
  wait "$SERVER_PID" "$PROVIDER_PID" 2>/dev/null || true
}
trap stop_server EXIT INT TERM

for _ in $(seq 1 100); do
  if (exec 3<>"/dev/tcp/127.0.0.1/$PORT") 2>/dev/null; then break; fi
  if ! kill -0 "$SERVER_PID" 2>/dev/null; then
    echo "run-demo: till-server did not start; see $LOG" >&2
    exit 1
  fi
  sleep 0.1
done
echo "run-demo: till-server on http://127.0.0.1:$PORT (log: $LOG); terminal $TERMINAL_ID"
echo "run-demo: HQ console on http://127.0.0.1:$PORT/console (user hq, password in $CONSOLE_PASSWORD)"
echo "run-demo: reference provider on http://127.0.0.1:$PROVIDER_PORT/relay (log: $PROVIDER_LOG)"

export TILL_DATA_DIR="${TILL_DATA_DIR:-$DIR/till}"
export TILL_SYNC_URL="http://127.0.0.1:$PORT"
export TILL_SYNC_TERMINAL_ID="$TERMINAL_ID"
export TILL_SYNC_SECRET="$SECRET"
status=0
"$CARGO" run --bin till -- --demo || status=$?
exit "$status"
