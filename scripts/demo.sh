#!/usr/bin/env bash
# make demo: price-stream replays two days of real Coinbase BTC/USD and ETH/USD minute bars
# (bundled, Apache-2.0) at DEMO_SPEED x real time, while this script shows what it publishes
# and serves. Ctrl-C stops it early; the service always shuts down gracefully.
set -euo pipefail
cd "$(dirname "$0")/.."

export TRADING_API_KEY=${TRADING_API_KEY:-$(node -e "process.stdout.write(require('crypto').randomBytes(24).toString('hex'))")}
export PRICE_STREAM_PORT=${PRICE_STREAM_PORT:-8023} PRICE_STREAM_GRPC_PORT=${PRICE_STREAM_GRPC_PORT:-9023}
export REPLAY_SPEED=${DEMO_SPEED:-3600}
export LOG_LEVEL=${LOG_LEVEL:-info}
# Runtime flags come from the one declaration of the fleet (shared/src/services.ts).
export NODE_OPTIONS="$(node -p "require('./shared/dist/services').SERVICES['price-stream'].nodeOptions") ${NODE_OPTIONS:-}"
url="http://127.0.0.1:${PRICE_STREAM_PORT}"
key=(-H "X-TRADING-API-KEY: ${TRADING_API_KEY}")
mkdir -p .cache/demo
log=.cache/demo/price-stream.log

node shared/dist/bin/watch.js 'data.bars.1h.*' 'data.alerts' &
watch_pid=$!
node services/price-stream/dist/main.js >"$log" 2>&1 &
svc_pid=$!
monitor_id="demo-$(date +%s)"
cleanup() {
  curl -fs "${key[@]}" -X DELETE "$url/monitors/$monitor_id" >/dev/null 2>&1 || true
  kill -TERM "$svc_pid" 2>/dev/null && wait "$svc_pid" && echo "price-stream exited cleanly (code 0)" || true
  kill "$watch_pid" 2>/dev/null || true
}
trap cleanup EXIT

for _ in $(seq 1 100); do curl -fs "$url/ready" >/dev/null 2>&1 && break; sleep 0.2; done
curl -fs "$url/ready" >/dev/null || { echo "price-stream did not become ready; log:"; tail -20 "$log"; exit 1; }
echo "== price-stream ready on :${PRICE_STREAM_PORT} (gRPC :${PRICE_STREAM_GRPC_PORT}); replaying at ${REPLAY_SPEED}x; log in $log"
# Monitors persist across restarts; stop any a previous, interrupted demo left active.
for old in $(curl -fs "${key[@]}" "$url/monitors" | node -e "let s='';process.stdin.on('data',d=>s+=d).on('end',()=>console.log(JSON.parse(s).monitors.map(m=>m.id).filter(i=>i.startsWith('demo-')).join(' ')))"); do
  curl -fs "${key[@]}" -X DELETE "$url/monitors/$old" >/dev/null || true
done
echo "== monitor: alert when BTC/USD moves more than 1.5% within an hour"
curl -fs "${key[@]}" -H 'content-type: application/json' -X POST "$url/monitors" \
  -d "{\"id\":\"$monitor_id\",\"symbol\":\"BTC/USD\",\"thresholdPct\":1.5,\"windowMs\":3600000}"; echo
echo "== 1h bars and alerts as they are published (Redis data.bars.1h.*, data.alerts):"

while kill -0 "$svc_pid" 2>/dev/null && ! grep -q '"replay finished"' "$log"; do sleep 1; done
sleep 1
echo "== GET /prices"; curl -fs "${key[@]}" "$url/prices"; echo
echo "== GET /bars/BTC-USD?timeframe=4h&limit=3 (from MySQL)"; curl -fs "${key[@]}" "$url/bars/BTC-USD?timeframe=4h&limit=3"; echo
echo "== GET /alerts?limit=2"; curl -fs "${key[@]}" "$url/alerts?limit=2"; echo
echo "== a few metrics"; curl -fs "$url/metrics" | grep -E '^cte_(ticks_ingested_total|bars_closed_total|alerts_total)' | head -12
