/**
 * Parity with the fleet: the seven services as real processes (real MariaDB, Redis, gRPC), with
 * make demo's settings (scripts/demo.sh) over ten days of its bars at its replay speed, against a
 * backtest of the same window and environment. Every consensus decision must be the same: side,
 * confidence, agreement, sources, bar (signals and consensus are a function of the bars, whatever
 * the pipeline's timing). Needs the services built (make test builds first).
 *
 * The fills are compared too and the result is printed, but not asserted yet. Orders now carry the
 * consensus's data time and the paper venue fills at the first price it sees at or after it, but
 * two wall-time effects remain (seen as a different qty and fill time on each run): price-stream
 * conflates ticks per TICK_CONFLATE_MS, so at this replay speed execution may never see the tick at
 * the data time; and recommendations sizes with the aggregator's track record and ATR as of the
 * moment it asks (GetSourceStats, GetBars), not as of the consensus. Once both are data-time
 * based, assert `fills.equal` here as well.
 */
import path from 'node:path';
import Redis from 'ioredis';
import type { ServiceName } from '@cte/shared';
import { createTestDatabase, freePort, peerAddressEnv, startService, waitFor, type RunningService, type TestDatabase } from '@cte/testkit';
import { compareDecisions, compareFills, formatComparison, readFleetConfig, readFleetDecisions, readFleetTrades, runBacktest } from '../index';

const REPO = path.resolve(__dirname, '..', '..', '..', '..');
const DEMO_ENV = {
  REPLAY_FILES: path.join(REPO, 'services', 'price-stream', 'data', 'replay', 'coinbase_btcusd_1h.csv'),
  REPLAY_START: '2019-08-20T00:00:00Z',
  REPLAY_END: '2019-08-30T00:00:00Z',
  TIMEFRAMES: '1h,4h,1d',
  SIGNAL_TIMEFRAMES: '1h',
  PRICE_TIMEFRAME: '1h',
  ALLOW_SHORT: 'true',
  TRADING_MODE: 'mock',
};
const ORDER: ServiceName[] = ['portfolio', 'risk', 'execution', 'signals-aggregator', 'signal-generator', 'recommendations', 'price-stream'];
const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const namespace = `test-parity-${Math.random().toString(36).slice(2)}:`;
const apiKey = `parity-key-${Date.now()}`;
const running: RunningService[] = [];
let tdb: TestDatabase | undefined;

afterAll(async () => {
  for (const s of running.reverse()) await s.stop();
  const r = new Redis(REDIS_URL);
  try {
    const keys = await r.keys(`${namespace}*`);
    if (keys.length > 0) await r.del(...keys);
  } finally {
    r.disconnect();
  }
  await tdb?.drop();
}, 60_000);

it('makes every consensus decision the fleet makes over the demo data', async () => {
  const { report, backtest } = await runBacktest({ config: readFleetConfig(DEMO_ENV) });
  expect(report.decisions.length).toBeGreaterThan(0);

  tdb = await createTestDatabase();
  const ports = new Map<ServiceName, { http: number; grpc: number }>();
  for (const n of ORDER) ports.set(n, { http: await freePort(), grpc: await freePort() });
  const env = { ...DEMO_ENV, REPLAY_SPEED: '86400', MYSQL_URL: tdb.url, REDIS_URL, BUS_NAMESPACE: namespace, ...peerAddressEnv((n) => ports.get(n)?.grpc) };
  // price-stream last: everyone listens before the replay starts (scripts/demo.sh's order).
  for (const name of ORDER) {
    const p = ports.get(name)!;
    running.push(await startService(name, { apiKey, httpPort: p.http, grpcPort: p.grpc, env, readyTimeoutMs: 60_000 }));
  }
  const url = tdb.url;
  const fleetDecisions = await waitFor(
    'the fleet to decide every bar the backtest decided',
    async () => {
      const d = await readFleetDecisions(url);
      return d.length >= backtest.decisions.length ? d : undefined;
    },
    120_000,
  );
  const decisions = compareDecisions(backtest.decisions, fleetDecisions);
  expect(decisions).toEqual({ equal: true, backtest: backtest.decisions.length, fleet: backtest.decisions.length });

  // Fills: reported (see the header), not yet asserted.
  const fills = compareFills(report.fills, await readFleetTrades(url));
  process.stdout.write(`${formatComparison(fills)}\n`);
}, 240_000);
