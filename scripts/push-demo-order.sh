#!/usr/bin/env bash
# Plays the web shop of `make run`: sends an order pending collection for the demo store to the
# local till-server with the demo merchant key, and prints the platform's answer with the
# customer's pickup code. The till's header shows it within 15 s (Alt+C, or F5 on the Pending
# collection screen to ask at once). docs/pending-orders.md explains the rest.
#
#   scripts/push-demo-order.sh [ORDER_NUMBER]     (default: WEB-<seconds since 1970>)
#   TILL_DEMO_PORT, TILL_DEMO_DIR as for scripts/run-demo.sh
set -euo pipefail
cd "$(dirname "$0")/.."

PORT=${TILL_DEMO_PORT:-8787}
DIR=${TILL_DEMO_DIR:-.run}
MERCHANT="$DIR/demo-merchant.json"
NUMBER=${1:-WEB-$(date +%s)}

if [ ! -s "$MERCHANT" ]; then
  echo "push-demo-order: no $MERCHANT yet; start the demo with 'make run' first" >&2
  exit 1
fi
KEY=$(sed -n 's/^ *"api_key": *"\([^"]*\)".*/\1/p' "$MERCHANT")
if [ -z "$KEY" ]; then
  echo "push-demo-order: $MERCHANT holds no api_key; delete it and start 'make run' again" >&2
  exit 1
fi

# Two demo catalogue items at the prices the web shop promised (the till charges these).
BODY=$(cat <<JSON
{
  "order_number": "$NUMBER",
  "store": "main",
  "customer": {"name": "Li Na", "phone": "+86 138 0013 8000"},
  "currency": "CNY",
  "lines": [
    {"sku": "TEA-01", "name": "Organic green tea 250g", "quantity": 2, "unit_price_minor": 3500},
    {"sku": "SNK-002", "name": "Dark chocolate 100g", "quantity": 1, "unit_price_minor": 1500}
  ],
  "total_minor": 8500
}
JSON
)

curl --silent --show-error --fail-with-body \
  -H "Authorization: Bearer $KEY" -H "Content-Type: application/json" \
  --data "$BODY" "http://127.0.0.1:$PORT/v1/merchant/orders"
echo
