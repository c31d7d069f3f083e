#!/usr/bin/env bash
# make demo: the whole fleet in paper mode (price-stream → signal-generator → signals-aggregator →
# recommendations → risk → execution's mock venue → portfolio) replays the bundled real Coinbase
# BTC/USD hourly bars (Apache-2.0) from DEMO_START at DEMO_SPEED x real time. It shows closed
# bars, alerts, ML and strategy signals, the consensus and orders as they are published, then what
# the REST APIs and MySQL hold. Ctrl-C stops it early; every service shuts down gracefully.
set -euo pipefail
cd "$(dirname "$0")/.."

# Every run gets a fresh database and bus namespace: signals are idempotent per bar, so replaying
# the same bars into yesterday's tables would (correctly) publish nothing new.
base_url=${MYSQL_URL:-mysql://cte:cte@127.0.0.1:3306/crypto_trading}
export MYSQL_URL="${base_url%/*}/crypto_trading_demo"
export BUS_NAMESPACE="demo-$(date +%s):"
node scripts/reset-demo-db.js
node shared/dist/bin/migrate.js >/dev/null
export TRADING_API_KEY=${TRADING_API_KEY:-$(node -e "process.stdout.write(require('crypto').randomBytes(24).toString('hex'))")}
export REPLAY_FILES=${REPLAY_FILES:-services/price-stream/data/replay/coinbase_btcusd_1h.csv}
export REPLAY_START=${DEMO_START:-2019-08-20T00:00:00Z}
export REPLAY_SPEED=${DEMO_SPEED:-86400}
export TIMEFRAMES=${TIMEFRAMES:-1h,4h,1d}
export SIGNAL_TIMEFRAMES=${SIGNAL_TIMEFRAMES:-1h}
export PRICE_TIMEFRAME=${PRICE_TIMEFRAME:-1h}
# Paper trading may go short, so SELL consensus trades too (the model mostly says SELL or HOLD).
export ALLOW_SHORT=${ALLOW_SHORT:-true}
export TRADING_MODE=mock
export LOG_LEVEL=${LOG_LEVEL:-info}
export FLEET_LOG_DIR=.cache/demo
ps_url="http://127.0.0.1:${PRICE_STREAM_PORT:-8023}"
sg_url="http://127.0.0.1:${SIGNAL_GENERATOR_PORT:-8025}"
sa_url="http://127.0.0.1:${SIGNALS_AGGREGATOR_PORT:-8028}"
rec_url="http://127.0.0.1:${RECOMMENDATIONS_PORT:-8022}"
ex_url="http://127.0.0.1:${EXECUTION_PORT:-8024}"
pf_url="http://127.0.0.1:${PORTFOLIO_PORT:-8026}"
risk_url="http://127.0.0.1:${RISK_PORT:-8027}"
key=(-H "X-TRADING-API-KEY: ${TRADING_API_KEY}")
mkdir -p "$FLEET_LOG_DIR"
rm -f "$FLEET_LOG_DIR"/*.log

node shared/dist/bin/watch.js --skip-hold 'data.bars.1d.*' 'data.alerts' 'signals.consensus' 'events.orders' --stream signals.raw &
watch_pid=$!
# price-stream last: everyone else listens before the replay starts.
node shared/dist/bin/fleet.js portfolio risk execution signals-aggregator signal-generator recommendations price-stream &
fleet_pid=$!
monitor_id="demo-$(date +%s)"
cleanup() {
  curl -fs "${key[@]}" -X DELETE "$ps_url/monitors/$monitor_id" >/dev/null 2>&1 || true
  kill -TERM "$fleet_pid" 2>/dev/null && wait "$fleet_pid" || true
  kill "$watch_pid" 2>/dev/null || true
  node -e "
const Redis=require('ioredis');const r=new Redis(process.env.REDIS_URL||'redis://127.0.0.1:6379');
r.keys(process.env.BUS_NAMESPACE+'*').then(k=>k.length?r.del(...k):0).finally(()=>r.disconnect());" || true
}
trap cleanup EXIT

for _ in $(seq 1 300); do curl -fs "$ps_url/ready" >/dev/null 2>&1 && break; kill -0 "$fleet_pid" 2>/dev/null || exit 1; sleep 0.2; done
echo "== fleet ready; replaying from ${REPLAY_START} at ${REPLAY_SPEED}x; logs in ${FLEET_LOG_DIR}/"
# Monitors persist across restarts; stop any a previous, interrupted demo left active.
for old in $(curl -fs "${key[@]}" "$ps_url/monitors" | node -e "let s='';process.stdin.on('data',d=>s+=d).on('end',()=>console.log(JSON.parse(s).monitors.map(m=>m.id).filter(i=>i.startsWith('demo-')).join(' ')))"); do
  curl -fs "${key[@]}" -X DELETE "$ps_url/monitors/$old" >/dev/null || true
done
curl -fs "${key[@]}" -H 'content-type: application/json' -X POST "$ps_url/monitors" \
  -d "{\"id\":\"$monitor_id\",\"symbol\":\"BTC/USD\",\"thresholdPct\":3,\"windowMs\":14400000}" >/dev/null
echo "== monitor $monitor_id: alert when BTC/USD moves more than 3% within 4 hours"
echo "== daily bars, alerts, BUY/SELL signals (signals.raw), BUY/SELL consensus (signals.consensus) and orders (events.orders) as they are published:"

while kill -0 "$fleet_pid" 2>/dev/null && ! grep -q '"replay finished"' "$FLEET_LOG_DIR/price-stream.log" 2>/dev/null; do sleep 1; done
sleep 2
echo "== GET price-stream /prices"; curl -fs "${key[@]}" "$ps_url/prices"; echo
echo "== GET signal-generator /models"; curl -fs "${key[@]}" "$sg_url/models" | head -c 600; echo
echo "== GET signal-generator /agents"; curl -fs "${key[@]}" "$sg_url/agents" | node -e "let s='';process.stdin.on('data',d=>s+=d).on('end',()=>{const r=JSON.parse(s);for(const a of r.agents)console.log('  '+a.name.padEnd(28)+a.type.padEnd(16)+a.status)})"
echo "== GET signals-aggregator /sources"; curl -fs "${key[@]}" "$sa_url/sources"; echo
echo "== GET signals-aggregator /consensus/BTC-USD"; curl -fs "${key[@]}" "$sa_url/consensus/BTC-USD"; echo
echo "== GET recommendations /recommendations?limit=3"; curl -fs "${key[@]}" "$rec_url/recommendations?limit=3" | head -c 900; echo
echo "== GET execution /orders?limit=2"; curl -fs "${key[@]}" "$ex_url/orders?limit=2" | head -c 700; echo
echo "== GET risk /limits"; curl -fs "${key[@]}" "$risk_url/limits" | head -c 500; echo
echo "== GET portfolio /portfolio"; curl -fs "${key[@]}" "$pf_url/portfolio" | head -c 900; echo
echo "== MySQL: signals per source"
node -e "
const mysql=require('mysql2/promise');
(async()=>{const c=await mysql.createConnection(process.env.MYSQL_URL);
const [r]=await c.query('SELECT source_type, side, COUNT(*) n FROM ml_signals GROUP BY source_type, side ORDER BY source_type, side');
for(const x of r)console.log('  '+x.source_type.padEnd(16)+x.side.padEnd(5)+x.n);
const [k]=await c.query('SELECT side, COUNT(*) n FROM consensus_signals GROUP BY side');
console.log('  consensus: '+k.map(x=>x.side+' '+x.n).join(', '));
const [rs]=await c.query('SELECT status, COUNT(*) n FROM trade_recommendations GROUP BY status');
console.log('  recommendations: '+rs.map(x=>x.status+' '+x.n).join(', '));
const [rk]=await c.query('SELECT decision, COUNT(*) n FROM risk_events WHERE decision IS NOT NULL GROUP BY decision');
console.log('  risk decisions: '+rk.map(x=>x.decision+' '+x.n).join(', '));
const [os]=await c.query('SELECT status, COUNT(*) n FROM orders GROUP BY status');
console.log('  orders: '+os.map(x=>x.status+' '+x.n).join(', '));
const [[t]]=await c.query('SELECT COUNT(*) n, COALESCE(SUM(fee),0) fees FROM trades');
console.log('  fills: '+t.n+', fees '+t.fees);await c.end();})().catch(e=>{console.error(e.message);process.exit(1)});"
