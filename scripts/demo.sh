#!/usr/bin/env bash
# make demo: the fleet so far (price-stream → signal-generator → signals-aggregator) replays the
# bundled real Coinbase BTC/USD hourly bars (Apache-2.0) from DEMO_START at DEMO_SPEED x real
# time. It shows closed bars, alerts, ML and strategy signals and the consensus as they are
# published, then what the REST APIs and MySQL hold. Ctrl-C stops it early; every service always
# shuts down gracefully.
set -euo pipefail
cd "$(dirname "$0")/.."

export TRADING_API_KEY=${TRADING_API_KEY:-$(node -e "process.stdout.write(require('crypto').randomBytes(24).toString('hex'))")}
export REPLAY_FILES=${REPLAY_FILES:-services/price-stream/data/replay/coinbase_btcusd_1h.csv}
export REPLAY_START=${DEMO_START:-2019-08-20T00:00:00Z}
export REPLAY_SPEED=${DEMO_SPEED:-86400}
export TIMEFRAMES=${TIMEFRAMES:-1h,4h,1d}
export SIGNAL_TIMEFRAMES=${SIGNAL_TIMEFRAMES:-1h}
export PRICE_TIMEFRAME=${PRICE_TIMEFRAME:-1h}
export LOG_LEVEL=${LOG_LEVEL:-info}
export FLEET_LOG_DIR=.cache/demo
ps_url="http://127.0.0.1:${PRICE_STREAM_PORT:-8023}"
sg_url="http://127.0.0.1:${SIGNAL_GENERATOR_PORT:-8025}"
sa_url="http://127.0.0.1:${SIGNALS_AGGREGATOR_PORT:-8028}"
key=(-H "X-TRADING-API-KEY: ${TRADING_API_KEY}")
mkdir -p "$FLEET_LOG_DIR"
rm -f "$FLEET_LOG_DIR"/*.log

node shared/dist/bin/watch.js --skip-hold 'data.bars.1d.*' 'data.alerts' 'signals.consensus' --stream signals.raw &
watch_pid=$!
# price-stream last: everyone else listens before the replay starts.
node shared/dist/bin/fleet.js signals-aggregator signal-generator price-stream &
fleet_pid=$!
monitor_id="demo-$(date +%s)"
cleanup() {
  curl -fs "${key[@]}" -X DELETE "$ps_url/monitors/$monitor_id" >/dev/null 2>&1 || true
  kill -TERM "$fleet_pid" 2>/dev/null && wait "$fleet_pid" || true
  kill "$watch_pid" 2>/dev/null || true
}
trap cleanup EXIT

for _ in $(seq 1 300); do curl -fs "$sa_url/ready" >/dev/null 2>&1 && break; kill -0 "$fleet_pid" 2>/dev/null || exit 1; sleep 0.2; done
echo "== fleet ready; replaying from ${REPLAY_START} at ${REPLAY_SPEED}x; logs in ${FLEET_LOG_DIR}/"
# Monitors persist across restarts; stop any a previous, interrupted demo left active.
for old in $(curl -fs "${key[@]}" "$ps_url/monitors" | node -e "let s='';process.stdin.on('data',d=>s+=d).on('end',()=>console.log(JSON.parse(s).monitors.map(m=>m.id).filter(i=>i.startsWith('demo-')).join(' ')))"); do
  curl -fs "${key[@]}" -X DELETE "$ps_url/monitors/$old" >/dev/null || true
done
curl -fs "${key[@]}" -H 'content-type: application/json' -X POST "$ps_url/monitors" \
  -d "{\"id\":\"$monitor_id\",\"symbol\":\"BTC/USD\",\"thresholdPct\":3,\"windowMs\":14400000}" >/dev/null
echo "== monitor $monitor_id: alert when BTC/USD moves more than 3% within 4 hours"
echo "== daily bars, alerts, BUY/SELL signals (signals.raw) and BUY/SELL consensus (signals.consensus) as they are published:"

while kill -0 "$fleet_pid" 2>/dev/null && ! grep -q '"replay finished"' "$FLEET_LOG_DIR/price-stream.log" 2>/dev/null; do sleep 1; done
sleep 2
echo "== GET price-stream /prices"; curl -fs "${key[@]}" "$ps_url/prices"; echo
echo "== GET signal-generator /models"; curl -fs "${key[@]}" "$sg_url/models" | head -c 600; echo
echo "== GET signal-generator /agents"; curl -fs "${key[@]}" "$sg_url/agents" | node -e "let s='';process.stdin.on('data',d=>s+=d).on('end',()=>{const r=JSON.parse(s);for(const a of r.agents)console.log('  '+a.name.padEnd(28)+a.type.padEnd(16)+a.status)})"
echo "== GET signals-aggregator /sources"; curl -fs "${key[@]}" "$sa_url/sources"; echo
echo "== GET signals-aggregator /consensus/BTC-USD"; curl -fs "${key[@]}" "$sa_url/consensus/BTC-USD"; echo
echo "== MySQL: signals per source"
node -e "
const mysql=require('mysql2/promise');
(async()=>{const c=await mysql.createConnection(process.env.MYSQL_URL);
const [r]=await c.query('SELECT source_type, side, COUNT(*) n FROM ml_signals GROUP BY source_type, side ORDER BY source_type, side');
for(const x of r)console.log('  '+x.source_type.padEnd(16)+x.side.padEnd(5)+x.n);
const [k]=await c.query('SELECT side, COUNT(*) n FROM consensus_signals GROUP BY side');
console.log('  consensus: '+k.map(x=>x.side+' '+x.n).join(', '));await c.end();})().catch(e=>{console.error(e.message);process.exit(1)});"
