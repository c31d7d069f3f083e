#!/usr/bin/env node
/**
 * Pipeline latency benchmark (`make bench`, section "pipeline" of bench-results.json).
 *
 * Starts all seven services as processes on loopback (a throw-away MariaDB database, a random
 * BUS_NAMESPACE), loads warm-start history, then replays BENCH_DAYS (14) days of the bundled BTC/USD
 * hourly bars at BENCH_REPLAY_SPEED (50 000x: a bar every 72 ms, 4 ticks per bar) so the fleet is
 * never backlogged and queueing is not what gets measured. It then reads every service's
 * `cte_pipeline_latency_seconds{stage}` histogram and prints p50/p95/p99 per stage (interpolated
 * within buckets). Floors measured in the same run: a Redis pub/sub delivery (publish on one
 * connection, receive on another; median) and a bare grpc-js unary call on loopback (median).
 *
 * Hops, i.e. what each stage cannot go below:
 *   signal    (bar → signals)           1 pub/sub (bar to signal-generator) + feature/model work
 *   consensus (bar → consensus)         signal + 1 stream hop (signals.raw, counted as 1 pub/sub)
 *   decision  (consensus → decision)    1 pub/sub (signals.consensus) + 2 gRPC (portfolio exposure, risk Check)
 *   fill      (bar → fill, end to end)  consensus + decision + 1 gRPC (execution Submit) + mock venue (0)
 *                                       = 3 pub/sub + 3 gRPC
 *   portfolio (fill ts → applied)       1 pub/sub (events.fills) + a MySQL transaction
 * Plus MySQL commits on the way, which are work, not floors. "vs floor" = floor sum / measured.
 */
import path from 'node:path';
import * as grpc from '@grpc/grpc-js';
import Redis from 'ioredis';
import { createLogger, type ServiceName } from '@cte/shared';
import { emptyStageNotes, formatStageTable, parseMetrics, stageLatencies, type Sample, type StageLatency } from '@cte/fleet';
import { createTestDatabase, freePort, peerAddressEnv, startService, waitFor, type RunningService, type TestDatabase } from '@cte/testkit';
import { benchRow, median, reportBench, type BenchRow } from './index';

const REPO = path.resolve(__dirname, '..', '..', '..');
const HOURLY = path.join(REPO, 'services', 'price-stream', 'data', 'replay', 'coinbase_btcusd_1h.csv');
const MODEL_DIR = path.join(REPO, 'services', 'signal-generator', 'models');
const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const HISTORY_START = Date.UTC(2019, 5, 1);
const HISTORY_END = Date.UTC(2019, 5, 15);
const DAYS = Number(process.env.BENCH_DAYS ?? 14);
const SPEED = Number(process.env.BENCH_REPLAY_SPEED ?? 50_000);
const FLOOR_N = 500;

const logger = createLogger({ service: 'bench-pipeline', level: 'silent' });

/** Median of Redis pub/sub deliveries: publish on one connection, receive on another. */
async function pubsubFloorMs(): Promise<number> {
  const pub = new Redis(REDIS_URL);
  const sub = new Redis(REDIS_URL);
  const channel = `bench-floor-${Math.random().toString(36).slice(2)}`;
  try {
    await sub.subscribe(channel);
    const times: number[] = [];
    for (let i = 0; i < FLOOR_N; i++) {
      const t0 = process.hrtime.bigint();
      const got = new Promise<void>((resolve) => sub.once('message', () => resolve()));
      await pub.publish(channel, `{"i":${i}}`);
      await got;
      times.push(Number(process.hrtime.bigint() - t0) / 1e6);
    }
    return median(times.slice(50));
  } finally {
    pub.disconnect();
    sub.disconnect();
  }
}

/** Median of bare grpc-js unary calls on loopback (raw bytes, no proto work). */
async function grpcFloorMs(): Promise<number> {
  const id = (b: Buffer) => b;
  const def: grpc.ServiceDefinition = {
    Echo: { path: '/bench.Floor/Echo', requestStream: false, responseStream: false, requestSerialize: id, requestDeserialize: id, responseSerialize: id, responseDeserialize: id },
  };
  const server = new grpc.Server();
  server.addService(def, { Echo: (call: grpc.ServerUnaryCall<Buffer, Buffer>, cb: grpc.sendUnaryData<Buffer>) => cb(null, call.request) });
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (err, p) => (err ? reject(err) : resolve(p))),
  );
  const Client = grpc.makeGenericClientConstructor(def, 'Floor');
  const client = new Client(`127.0.0.1:${port}`, grpc.credentials.createInsecure()) as unknown as grpc.Client & {
    Echo(req: Buffer, cb: (err: grpc.ServiceError | null, res?: Buffer) => void): void;
  };
  const call = () => new Promise<void>((resolve, reject) => client.Echo(Buffer.from('x'.repeat(64)), (err) => (err ? reject(err) : resolve())));
  try {
    const times: number[] = [];
    for (let i = 0; i < FLOOR_N; i++) {
      const t0 = process.hrtime.bigint();
      await call();
      times.push(Number(process.hrtime.bigint() - t0) / 1e6);
    }
    return median(times.slice(50));
  } finally {
    client.close();
    server.forceShutdown();
  }
}

async function main(): Promise<void> {
  const namespace = `bench-pipeline-${Math.random().toString(36).slice(2)}:`;
  const apiKey = `bench-key-${Date.now()}`;
  const services: ServiceName[] = ['portfolio', 'risk', 'execution', 'signals-aggregator', 'signal-generator', 'recommendations'];
  const ports = new Map<ServiceName, { http: number; grpc: number }>();
  const running = new Map<ServiceName, RunningService>();
  let tdb: TestDatabase | undefined;
  const cleanup = async () => {
    await Promise.all([...running.values()].map((s) => s.stop()));
    const redis = new Redis(REDIS_URL);
    const keys = await redis.keys(`${namespace}*`);
    if (keys.length) await redis.del(...keys);
    redis.disconnect();
    await tdb?.drop();
  };
  process.on('SIGINT', () => void cleanup().finally(() => process.exit(130)));
  try {
    tdb = await createTestDatabase(logger);
    const db = tdb;
    for (const n of [...services, 'price-stream'] as ServiceName[]) ports.set(n, { http: await freePort(), grpc: await freePort() });
    const envFor = (name: ServiceName, extra: Record<string, string> = {}): Record<string, string> => ({
      MYSQL_URL: db.url,
      BUS_NAMESPACE: namespace,
      LOG_LEVEL: 'warn',
      TRADING_MODE: 'mock',
      ...peerAddressEnv((n) => ports.get(n)?.grpc),
      ...(name === 'price-stream' ? { LOG_LEVEL: 'info', REPLAY_FILES: HOURLY, TIMEFRAMES: '1h', BAR_FLUSH_MS: '50' } : {}),
      ...(name === 'signal-generator' ? { MODEL_DIR, WARM_START_BARS: '300', SIGNAL_TIMEFRAMES: '1h' } : {}),
      ...(name === 'signals-aggregator' ? { PRICE_TIMEFRAME: '1h' } : {}),
      ...(name === 'recommendations' ? { ALLOW_SHORT: 'true', REC_TIMEFRAME: '1h' } : {}),
      ...extra,
    });
    const start = async (name: ServiceName, extra: Record<string, string> = {}) => {
      const p = ports.get(name)!;
      const svc = await startService(name, { apiKey, httpPort: p.http, grpcPort: p.grpc, env: envFor(name, extra), readyTimeoutMs: 60_000 });
      running.set(name, svc);
      return svc;
    };
    const count = async (sql: string) => Number((await db.db.query<{ n: number }>(sql))[0]!.n);

    console.log(`pipeline bench: warm-start history ${new Date(HISTORY_START).toISOString().slice(0, 10)}..${new Date(HISTORY_END).toISOString().slice(0, 10)}`);
    const history = await start('price-stream', { REPLAY_START: String(HISTORY_START), REPLAY_END: String(HISTORY_END - 1), REPLAY_SPEED: '0' });
    await waitFor('history', async () => ((await count("SELECT COUNT(*) AS n FROM crypto_prices WHERE timeframe = '1h'")) >= 300 ? true : undefined), 60_000);
    await history.stop();
    running.delete('price-stream');
    for (const n of services) await start(n);
    const barMs = 3_600_000 / SPEED;
    console.log(`pipeline bench: replaying ${DAYS} days of 1h bars at ${SPEED}x (a bar every ${barMs.toFixed(0)} ms, 4 ticks per bar)`);
    const t0 = Date.now();
    const ps = await start('price-stream', { REPLAY_START: String(HISTORY_END), REPLAY_END: String(HISTORY_END + DAYS * 86_400_000 - 1), REPLAY_SPEED: String(SPEED) });
    await waitFor('replay finished', () => ps.logs().includes('"replay finished"') || undefined, DAYS * 86_400_000 / SPEED + 120_000);
    // Let the last bars' consensus, decisions and fills land.
    let last = -1;
    for (;;) {
      await new Promise((r) => setTimeout(r, 1500));
      const n = await count('SELECT COUNT(*) AS n FROM trades');
      if (n === last) break;
      last = n;
    }
    const replayS = (Date.now() - t0) / 1000;

    const metricsBy = new Map<ServiceName, Sample[]>();
    for (const [n, s] of running) metricsBy.set(n, parseMetrics(await (await fetch(`${s.httpUrl}/metrics`)).text()));
    const stages = stageLatencies(metricsBy);
    console.log(`pipeline bench: measuring floors (${FLOOR_N} each)`);
    const pubsub = await pubsubFloorMs();
    const grpcMs = await grpcFloorMs();
    report(stages, pubsub, grpcMs, { replay_seconds: replayS, replay_speed: SPEED, days: DAYS, trades: last });
  } finally {
    await cleanup();
  }
}

/** Pub/sub and gRPC hops per stage (see the header). */
const HOPS: Record<string, { pubsub: number; grpc: number }> = {
  signal: { pubsub: 1, grpc: 0 },
  consensus: { pubsub: 2, grpc: 0 },
  decision: { pubsub: 1, grpc: 2 },
  fill: { pubsub: 3, grpc: 3 },
  portfolio: { pubsub: 1, grpc: 0 },
};

function report(stages: StageLatency[], pubsubMs: number, grpcMs: number, extra: Record<string, unknown>): void {
  console.log('\n## pipeline latency per stage (cte_pipeline_latency_seconds)\n');
  console.log(formatStageTable(stages));
  for (const n of emptyStageNotes(stages)) console.log(n);
  console.log(`\nfloors (same run, medians of ${FLOOR_N - 50}): Redis pub/sub delivery ${pubsubMs.toFixed(3)} ms, grpc-js unary call ${grpcMs.toFixed(3)} ms`);
  const rows: BenchRow[] = [];
  for (const s of stages) {
    const h = HOPS[s.stage]!;
    const floor = h.pubsub * pubsubMs + h.grpc * grpcMs;
    const floorName = `${h.pubsub} pub/sub${h.grpc ? ` + ${h.grpc} gRPC` : ''}`;
    if (s.count === 0) continue;
    const isE2e = s.stage === 'fill';
    rows.push(benchRow(`${s.stage} p50 (${s.what})`, 'ms', [s.p50_ms], floorName, [floor], isE2e ? '≤ 3 ms' : 'lower', false));
    rows.push(benchRow(`${s.stage} p99`, 'ms', [s.p99_ms], floorName, [floor], isE2e ? '≤ 15 ms' : 'lower', false));
  }
  rows.push(benchRow('floor: Redis pub/sub delivery', 'ms', [pubsubMs], 'itself', [pubsubMs], 'floor', false));
  rows.push(benchRow('floor: grpc-js unary call', 'ms', [grpcMs], 'itself', [grpcMs], 'floor', false));
  reportBench('pipeline', rows, 1, { stages, floors_ms: { pubsub: pubsubMs, grpc_unary: grpcMs }, hops: HOPS, ...extra });

  const fill = stages.find((s) => s.stage === 'fill');
  if (!fill || fill.count === 0) return;
  const ok50 = fill.p50_ms <= 3;
  const ok99 = fill.p99_ms <= 15;
  console.log(`\nend to end (bar → fill): p50 ${fill.p50_ms.toFixed(2)} ms (target ≤ 3: ${ok50 ? 'met' : 'missed'}), p99 ${fill.p99_ms.toFixed(2)} ms (target ≤ 15: ${ok99 ? 'met' : 'missed'})`);
  if (!ok50 || !ok99) {
    const by = (st: string) => stages.find((s) => s.stage === st);
    const sig = by('signal')?.p50_ms ?? NaN;
    const con = by('consensus')?.p50_ms ?? NaN;
    const dec = by('decision')?.p50_ms ?? NaN;
    const parts: Array<[string, number]> = [
      ['bar → signals (features + models)', sig],
      ['signals → consensus (stream + aggregation + MySQL)', con - sig],
      ['consensus → risk decision (sizing, 2 gRPC, MySQL)', dec],
      ['decision → fill (submit, venue, MySQL commit)', fill.p50_ms - con - dec],
    ];
    const worst = parts.filter(([, v]) => !Number.isNaN(v)).sort((a, b) => b[1] - a[1])[0];
    console.log(
      `where the time goes (p50s): ${parts.map(([k, v]) => `${k} ${Number.isNaN(v) ? '-' : v.toFixed(1)} ms`).join('; ')}` +
        (worst ? `; the largest is ${worst[0]}` : ''),
    );
  }
}

if (require.main === module) {
  main().then(
    () => process.exit(0),
    (err: unknown) => {
      process.stderr.write(`bench-pipeline: ${(err as Error).stack ?? String(err)}\n`);
      process.exit(1);
    },
  );
}
