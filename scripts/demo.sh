#!/usr/bin/env bash
# make demo: the whole fleet in paper mode (price-stream → signal-generator → signals-aggregator →
# recommendations → risk → execution's mock venue → portfolio) replays the bundled real Coinbase
# BTC/USD hourly bars (Apache-2.0) from DEMO_START at DEMO_SPEED x real time. It shows alerts and
# BUY/SELL consensus as they are published and a compact summary line every 2 s (demo-report
# --live), then, when the replay ends, a final report (trades, win rate, PnL, fees, max drawdown,
# risk rejections, pipeline latency per stage). Ctrl-C stops it early; every service shuts down
# gracefully.
#
# make fleet (demo.sh --fleet): the same fleet without end for development: the replay loops
# (REPLAY_LOOP=true, time shifted forward each pass) at FLEET_SPEED (3600x: a bar a second), every
# service's log on stdout prefixed by its name; Ctrl-C stops it cleanly.
#
# make sandbox (demo.sh --sandbox): the demo, but the market data comes over the wire: the venue
# emulator (services/venue-emulator) serves the same bars as Coinbase's public REST and WebSocket
# API, and price-stream reads it with ccxt (MARKET_SOURCE=ccxt, VENUE_URL_COINBASE at the
# emulator). Orders stay on execution's paper venue. The emulator starts paused; once price-stream
# has subscribed, this script moves its replay forward at DEMO_SPEED, waits until the emulator
# reports the replay done and the pipeline has settled, then prints the same final report.
set -euo pipefail
cd "$(dirname "$0")/.."
mode=demo
case "${1:-}" in
  --fleet) mode=fleet ;;
  --sandbox) mode=sandbox ;;
  "") ;;
  *) echo "usage: $0 [--fleet|--sandbox]" >&2; exit 2 ;;
esac

# Every run gets a fresh database and bus namespace: signals are idempotent per bar, so replaying
# the same bars into yesterday's tables would (correctly) publish nothing new.
base_url=${MYSQL_URL:-mysql://cte:cte@127.0.0.1:3306/crypto_trading}
export MYSQL_URL="${base_url%/*}/crypto_trading_demo"
export BUS_NAMESPACE="demo-$(date +%s):"
node scripts/reset-demo-db.js
node shared/dist/bin/migrate.js >/dev/null
export TRADING_API_KEY=${TRADING_API_KEY:-$(node -e "process.stdout.write(require('crypto').randomBytes(24).toString('hex'))")}
# The operator console (services/console, when built): an admin with a password made up for this run.
console_svc=
if [ -f services/console/dist/main.js ]; then
  console_svc=console
  export CONSOLE_DEMO_PASSWORD=${CONSOLE_DEMO_PASSWORD:-$(node -e "process.stdout.write(require('crypto').randomBytes(12).toString('base64url'))")}
  export CONSOLE_OPERATORS="[{\"name\":\"admin\",\"role\":\"admin\",\"password_hash\":\"$(printf '%s' "$CONSOLE_DEMO_PASSWORD" | node services/console/dist/bin/hash-password.js)\"}]"
  export CONSOLE_SESSION_SECRET=${CONSOLE_SESSION_SECRET:-$(node -e "process.stdout.write(require('crypto').randomBytes(48).toString('base64'))")}
  export CONSOLE_COOKIE_SECURE=false
fi
export REPLAY_FILES=${REPLAY_FILES:-services/price-stream/data/replay/coinbase_btcusd_1h.csv}
export REPLAY_START=${DEMO_START:-2019-08-20T00:00:00Z}
if [ "$mode" = fleet ]; then
  export REPLAY_SPEED=${FLEET_SPEED:-3600}
  export REPLAY_LOOP=true
else
  export REPLAY_SPEED=${DEMO_SPEED:-86400}
fi
export TIMEFRAMES=${TIMEFRAMES:-1h,4h,1d}
export SIGNAL_TIMEFRAMES=${SIGNAL_TIMEFRAMES:-1h}
export PRICE_TIMEFRAME=${PRICE_TIMEFRAME:-1h}
# One consensus decision per bar once all four default sources (the ML model and the three strategy
# agents signal-generator seeds per market) have reported on it: decisions depend on the data only.
export CONSENSUS_EXPECTED_SOURCES=${CONSENSUS_EXPECTED_SOURCES:-4}
# Paper trading may go short, so SELL consensus trades too (the model mostly says SELL or HOLD).
export ALLOW_SHORT=${ALLOW_SHORT:-true}
export TRADING_MODE=mock
export LOG_LEVEL=${LOG_LEVEL:-info}
# No load balancer in front of a local fleet: nothing to wait for before closing the listeners at Ctrl-C.
export SHUTDOWN_DRAIN_DELAY_MS=${SHUTDOWN_DRAIN_DELAY_MS:-0}
if [ "$mode" = sandbox ]; then
  # price-stream reads the emulator's Coinbase API with ccxt (MARKET_SOURCE=ccxt, EXCHANGES,
  # SYMBOLS_COINBASE, VENUE_URL_*: what shared/src/services.ts declares for the sandbox) and
  # EMULATOR_URL is its admin port.
  eval "$(node -e "
const s = require('./shared/dist'); const d = s.SANDBOX_SERVICES['venue-emulator'];
const env = { EMULATOR_URL: 'http://127.0.0.1:' + d.httpPort, ...s.sandboxClientEnv('venue-emulator', 'price-stream', '127.0.0.1') };
for (const [k, v] of Object.entries(env)) console.log('export ' + k + '=' + JSON.stringify(v));")"
  # The emulator replays the demo's bars as Coinbase trades, paused (speed 0) until price-stream
  # has subscribed; its timestamps end now (rebase=end), so every bar is in the past.
  export VENUE_EMULATOR_VENUES=coinbase
  export VENUE_EMULATOR_BARS=${VENUE_EMULATOR_BARS:-coinbase:BTC/USD=${REPLAY_FILES}}
  export VENUE_EMULATOR_BARS_START=${REPLAY_START}
  export VENUE_EMULATOR_REBASE=end
  export VENUE_EMULATOR_CAPTURES=false
  export VENUE_EMULATOR_LOOP=false
  export VENUE_EMULATOR_SPEED=0
fi
ps_url="http://127.0.0.1:${PRICE_STREAM_PORT:-8023}"
sg_url="http://127.0.0.1:${SIGNAL_GENERATOR_PORT:-8025}"
sa_url="http://127.0.0.1:${SIGNALS_AGGREGATOR_PORT:-8028}"
rec_url="http://127.0.0.1:${RECOMMENDATIONS_PORT:-8022}"
ex_url="http://127.0.0.1:${EXECUTION_PORT:-8024}"
pf_url="http://127.0.0.1:${PORTFOLIO_PORT:-8026}"
risk_url="http://127.0.0.1:${RISK_PORT:-8027}"
key=(-H "X-TRADING-API-KEY: ${TRADING_API_KEY}")
# What to type in another terminal while the fleet runs: the key and one curl per service.
explore() {
  local k="curl -s -H 'X-TRADING-API-KEY: ${TRADING_API_KEY}'"
  echo "== API key (TRADING_API_KEY): ${TRADING_API_KEY}"
  echo "== explore the fleet from another terminal while it runs:"
  echo "   $k ${ps_url}/prices"
  echo "   $k '${sg_url}/signals?symbol=BTC-USD&limit=5'"
  echo "   $k ${sa_url}/consensus/BTC-USD"
  echo "   $k '${rec_url}/recommendations?limit=5'"
  echo "   $k ${risk_url}/kill-switch"
  echo "   $k '${ex_url}/orders?limit=5'"
  echo "   $k ${pf_url}/portfolio"
  echo "   $k ${pf_url}/pnl"
  [ "$mode" = sandbox ] && echo "   $k ${EMULATOR_URL}/admin/venues     (the venue emulator; Coinbase API on ${VENUE_URL_COINBASE})"
  echo "   curl -s ${pf_url}/metrics     (/health, /ready and /metrics need no key)"
  [ -n "$console_svc" ] && echo "== operator console: http://127.0.0.1:${CONSOLE_PORT:-8029}/dashboard/  (sign in as admin, password ${CONSOLE_DEMO_PASSWORD})"
  return 0
}
delete_bus_keys() {
  node -e "
const Redis=require('ioredis');const r=new Redis(process.env.REDIS_URL||'redis://127.0.0.1:6379');
r.keys(process.env.BUS_NAMESPACE+'*').then(k=>k.length?r.del(...k):0).finally(()=>r.disconnect());" || true
}

if [ "$mode" = fleet ]; then
  unset FLEET_LOG_DIR
  echo "== fleet: replaying ${REPLAY_FILES} from ${REPLAY_START} at ${REPLAY_SPEED}x in a loop; database ${MYSQL_URL##*/}, bus namespace ${BUS_NAMESPACE}"
  explore
  echo "== Ctrl-C stops the fleet"
  # Job control puts cte-fleet (and its services) in a process group of its own, so Ctrl-C reaches
  # only this script, which hands cte-fleet one SIGTERM: it stops the services in reverse order.
  set -m
  node tools/fleet/dist/fleet.js portfolio risk execution signals-aggregator signal-generator recommendations $console_svc price-stream &
  fleet_pid=$!
  DEMO_REPORT_INTERVAL_MS=${FLEET_REPORT_INTERVAL_MS:-10000} node tools/fleet/dist/demo-report.js --live &
  live_pid=$!
  trap 'kill -TERM "$fleet_pid" 2>/dev/null || true' INT TERM
  trap 'kill "$live_pid" 2>/dev/null || true; delete_bus_keys' EXIT
  while kill -0 "$fleet_pid" 2>/dev/null; do wait "$fleet_pid" || true; done
  exit 0
fi

export FLEET_LOG_DIR=.cache/$mode
mkdir -p "$FLEET_LOG_DIR"
rm -f "$FLEET_LOG_DIR"/*.log

emu_pid=
if [ "$mode" = sandbox ]; then
  node services/venue-emulator/dist/main.js >"$FLEET_LOG_DIR/venue-emulator.log" 2>&1 &
  emu_pid=$!
  trap 'kill -TERM "$emu_pid" 2>/dev/null || true' EXIT
  for _ in $(seq 1 150); do curl -fs "$EMULATOR_URL/ready" >/dev/null 2>&1 && break; kill -0 "$emu_pid" 2>/dev/null || { tail -5 "$FLEET_LOG_DIR/venue-emulator.log" >&2; exit 1; }; sleep 0.2; done
  curl -fs "$EMULATOR_URL/ready" >/dev/null || { echo "venue-emulator not ready; see $FLEET_LOG_DIR/venue-emulator.log" >&2; exit 1; }
  echo "== venue emulator ready: Coinbase API on ${VENUE_URL_COINBASE}, replaying ${REPLAY_FILES} from ${REPLAY_START}"
fi

node tools/fleet/dist/watch.js --skip-hold 'data.alerts' 'signals.consensus' &
watch_pid=$!
live_pid=
replay_pid=
# price-stream last: everyone else listens before the replay starts.
node tools/fleet/dist/fleet.js portfolio risk execution signals-aggregator signal-generator recommendations $console_svc price-stream &
fleet_pid=$!
monitor_id="demo-$(date +%s)"
cleanup() {
  curl -fs "${key[@]}" -X DELETE "$ps_url/monitors/$monitor_id" >/dev/null 2>&1 || true
  [ -n "$live_pid" ] && kill "$live_pid" 2>/dev/null || true
  [ -n "$replay_pid" ] && kill "$replay_pid" 2>/dev/null || true
  kill -TERM "$fleet_pid" 2>/dev/null && wait "$fleet_pid" || true
  # The emulator after the fleet: price-stream's feed must not see its venue vanish first.
  [ -n "$emu_pid" ] && { kill -TERM "$emu_pid" 2>/dev/null && wait "$emu_pid" || true; }
  kill "$watch_pid" 2>/dev/null || true
  delete_bus_keys
}
trap cleanup EXIT

for _ in $(seq 1 300); do curl -fs "$ps_url/ready" >/dev/null 2>&1 && break; kill -0 "$fleet_pid" 2>/dev/null || exit 1; sleep 0.2; done
if [ "$mode" = sandbox ]; then
  echo "== fleet ready, price-stream on ccxt at the venue emulator; replaying from ${REPLAY_START} at ${REPLAY_SPEED}x; logs in ${FLEET_LOG_DIR}/"
else
  echo "== fleet ready; replaying from ${REPLAY_START} at ${REPLAY_SPEED}x; logs in ${FLEET_LOG_DIR}/"
fi
explore
echo "   (at the default DEMO_SPEED=86400 the replay takes about a minute; DEMO_SPEED=3600 gives you 24 minutes, make fleet runs without end)"
# Monitors persist across restarts; stop any a previous, interrupted demo left active.
for old in $(curl -fs "${key[@]}" "$ps_url/monitors" | node -e "let s='';process.stdin.on('data',d=>s+=d).on('end',()=>console.log(JSON.parse(s).monitors.map(m=>m.id).filter(i=>i.startsWith('demo-')).join(' ')))"); do
  curl -fs "${key[@]}" -X DELETE "$ps_url/monitors/$old" >/dev/null || true
done
curl -fs "${key[@]}" -H 'content-type: application/json' -X POST "$ps_url/monitors" \
  -d "{\"id\":\"$monitor_id\",\"symbol\":\"BTC/USD\",\"thresholdPct\":3,\"windowMs\":14400000}" >/dev/null
echo "== monitor $monitor_id: alert when BTC/USD moves more than 3% within 4 hours"
echo "== alerts and BUY/SELL consensus as they are published, and a summary line every 2 s:"
node tools/fleet/dist/demo-report.js --live &
live_pid=$!

if [ "$mode" = sandbox ]; then
  # Moves the emulator's replay at REPLAY_SPEED once price-stream has subscribed; exits when the
  # emulator reports the replay done.
  node scripts/sandbox-replay.js coinbase &
  replay_pid=$!
  while kill -0 "$fleet_pid" 2>/dev/null && kill -0 "$replay_pid" 2>/dev/null; do sleep 1; done
  kill -0 "$fleet_pid" 2>/dev/null || { echo "sandbox: the fleet stopped; see ${FLEET_LOG_DIR}/" >&2; exit 1; }
  wait "$replay_pid" || { echo "sandbox: the replay driver failed" >&2; exit 1; }
  replay_pid=
else
  while kill -0 "$fleet_pid" 2>/dev/null && ! grep -q '"replay finished"' "$FLEET_LOG_DIR/price-stream.log" 2>/dev/null; do sleep 1; done
fi
# Let the pipeline drain before the report: signal-generator may still be working through bars the
# replay published faster than it computes them, and every bar gets its one decision. Settled = the
# signal, consensus, recommendation and fill counters unchanged for 5 s (at most DEMO_SETTLE_MAX_S).
pipeline_count() {
  { curl -fs "$sg_url/metrics"; curl -fs "$sa_url/metrics"; curl -fs "$rec_url/metrics"; curl -fs "$ex_url/metrics"; } 2>/dev/null |
    awk '/^(cte_signals_emitted_total|cte_consensus_total|cte_recommendations_total|cte_fills_total)[{ ]/ { s += $NF } END { print s + 0 }'
}
last=-1 still=0
for _ in $(seq 1 "${DEMO_SETTLE_MAX_S:-300}"); do
  now=$(pipeline_count)
  if [ "$now" = "$last" ]; then still=$((still + 1)); else still=0 last=$now; fi
  [ "$still" -ge 5 ] && break
  sleep 1
done
kill "$live_pid" 2>/dev/null || true
live_pid=
kill "$watch_pid" 2>/dev/null || true
node tools/fleet/dist/demo-report.js
echo "== per-service logs in ${FLEET_LOG_DIR}/; stopping the fleet (make fleet keeps it running)"
