/**
 * signals-aggregator as a real process against real MariaDB and Redis: signals in on a durable
 * stream, prices in over pub/sub, consensus out to MySQL, pub/sub, REST and gRPC; bad signals
 * counted and kept out; source stats and pending scorings surviving a restart; SIGTERM → 0.
 * Needs `npm run build` first (make test does it).
 */
import { randomBytes } from 'node:crypto';
import { spawnSync } from 'node:child_process';
import * as grpc from '@grpc/grpc-js';
import Redis from 'ioredis';
import mysql from 'mysql2/promise';
import {
  createGrpcClient,
  createLogger,
  lintMetricsText,
  loadProto,
  RedisBus,
  type ConsensusMessage,
  type ConsensusProtoGrpcType,
  type SignalMessage,
  type SignalsAggregatorClient,
} from '@cte/shared';
import { findPromtool, createTestDatabase, expectOversizedRefusedAlongside, type TestDatabase } from '@cte/testkit';
import { metricValue, startAggregator, waitFor, type RunningService } from './helpers/service-process';
import type { AggregatorApi } from '../adapters/aggregator-api';

const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const logger = createLogger({ service: 'test', level: 'silent' });
const MIN = 60_000;
const T0 = Date.UTC(2018, 3, 4, 12);
const tag = randomBytes(4).toString('hex').toUpperCase();
/** Symbols nobody else publishes, so concurrent tests (price-stream replays BTC/USD) cannot interfere. */
const SYM = `QA${tag}/USD`;
const SYM_KEY = `QA${tag}-USD`;
const SYM2 = `QB${tag}/USD`;
/** Tradable, but nothing ever arrives for it. */
const SYM3 = `QC${tag}/USD`;
const STREAM = `test.signals.${tag}`;
const CONSENSUS = `test.consensus.${tag}`;
/** Its own bus namespace as well, so parallel test files sharing the machine's Redis never hear each other. */
const BUS_NAMESPACE = `test-sa-${tag.toLowerCase()}:`;

let tdb: TestDatabase;
let bus: RedisBus;
let redis: Redis;
let svc: RunningService;
let client: ReturnType<typeof createGrpcClient<SignalsAggregatorClient>>;
const seen: ConsensusMessage[] = [];
let n = 0;

const env = (): Record<string, string> => ({
  MYSQL_URL: tdb.url,
  REDIS_URL,
  BUS_NAMESPACE,
  SIGNALS_STREAM: STREAM,
  CONSENSUS_CHANNEL: CONSENSUS,
  SOURCE_WEIGHTS: 'ml_model=1.5,trend_follower=1',
  CONSENSUS_MIN_QUORUM: '2',
  CONSENSUS_MIN_AGREEMENT: '0.6',
  STATS_FLUSH_MS: '50',
  TRADABLE_SYMBOLS: `${SYM},${SYM2},${SYM3}`,
  // This suite drives the per-signal mode (a consensus per accepted signal); the default, one
  // decision per bar, is covered by bar-decisions.int.test.ts.
  CONSENSUS_DECISION: 'signal',
});

const api = (p: string) => fetch(`${svc.httpUrl}${p}`, { headers: { 'X-TRADING-API-KEY': svc.apiKey } });
/** What each route answers: the return type of the AggregatorApi method behind it (adapters/http.ts). */
type RouteBody<P extends string> = P extends `/consensus/${string}`
  ? ReturnType<AggregatorApi['getConsensus']>
  : P extends `/consensus${string}`
    ? Awaited<ReturnType<AggregatorApi['listConsensus']>>
    : P extends `/signals${string}`
      ? Awaited<ReturnType<AggregatorApi['listSignals']>>
      : P extends `/sources${string}`
        ? { sources: ReturnType<AggregatorApi['listSources']> }
        : unknown;
const json = async <P extends string>(p: P): Promise<RouteBody<P>> => (await (await api(p)).json()) as RouteBody<P>;
const metrics = async () => (await fetch(`${svc.httpUrl}/metrics`)).text();

function signal(over: Partial<SignalMessage> = {}): SignalMessage {
  n++;
  return {
    id: `it-${tag}-${n}`,
    agent_id: 'agent_ml',
    source_type: 'ml_model',
    symbol: SYM,
    timeframe: '1m',
    side: 'BUY',
    confidence: 0.8,
    horizon_ms: MIN,
    price: '100',
    bar_time: T0,
    created_at: Date.now(),
    trace_id: `trace-${tag}-${String(n).padStart(4, '0')}`,
    ...over,
  };
}

const append = (data: unknown, traceId = `t-${tag}-${++n}`) => bus.append(STREAM, { type: 'signal', data, trace_id: traceId });

async function publishBar(closeTime: number, close: string, traceId?: string, symbol = SYM): Promise<void> {
  const data = {
    exchange: 'test',
    symbol,
    timeframe: '1m',
    open_time: closeTime - MIN,
    close_time: closeTime,
    open: close,
    high: close,
    low: close,
    close,
    volume: '1',
    trades: 1,
  };
  await bus.publish(`data.bars.1m.${symbol.replace('/', '-')}`, traceId ? { type: 'bar', data, trace_id: traceId } : { type: 'bar', data });
}

async function consensusRows(): Promise<Array<{ id: string; side: string; signal_ids: string | string[]; trace_id: string; price: string; reason: string }>> {
  return tdb.db.query('SELECT id, side, signal_ids, trace_id, price, reason FROM consensus_signals WHERE symbol = ? ORDER BY seq', [SYM]);
}

/** Appends a valid sentinel signal and waits for its consensus: everything appended before it has been handled. */
async function barrier(over: Partial<SignalMessage> = {}): Promise<SignalMessage> {
  const s = signal({ agent_id: `sentinel_${n}`, source_type: 'trend_follower', side: 'HOLD', confidence: 0.1, ...over });
  await append(s, s.trace_id);
  await waitFor(`consensus of ${s.id}`, () => seen.some((c) => c.trace_id === s.trace_id));
  return s;
}

beforeAll(async () => {
  tdb = await createTestDatabase(logger);
  bus = new RedisBus({ url: REDIS_URL, logger, namespace: BUS_NAMESPACE });
  redis = new Redis(REDIS_URL, { lazyConnect: true, maxRetriesPerRequest: 1 });
  await bus.subscribe<ConsensusMessage>(CONSENSUS, (e) => void seen.push(e.data));
  svc = await startAggregator(env());
  const proto = loadProto<ConsensusProtoGrpcType>('cte/consensus/v1/consensus.proto');
  client = createGrpcClient<SignalsAggregatorClient>(proto.cte.consensus.v1.SignalsAggregator, svc.grpcAddress, { apiKey: svc.apiKey, deadlineMs: 3000 });
}, 60_000);

afterAll(async () => {
  client?.close();
  if (svc && svc.child.exitCode === null) svc.child.kill('SIGKILL');
  await bus?.close();
  if (redis) {
    await redis.del(BUS_NAMESPACE + STREAM, `${BUS_NAMESPACE}${STREAM}.dlq`).catch(() => undefined);
    redis.disconnect();
  }
  await tdb?.drop();
});

describe('probes and auth', () => {
  it('health and ready need no key; ready checks mysql and redis', async () => {
    expect(await (await fetch(`${svc.httpUrl}/health`)).json()).toMatchObject({ status: 'ok', service: 'signals-aggregator' });
    const ready = (await (await fetch(`${svc.httpUrl}/ready`)).json()) as { checks: Record<string, unknown> };
    expect(Object.keys(ready.checks).sort()).toEqual(['mysql', 'redis']);
  });

  it('every API route needs the key', async () => {
    for (const p of ['/consensus', `/consensus/${SYM_KEY}`, '/signals', '/sources']) {
      expect((await fetch(`${svc.httpUrl}${p}`)).status).toBe(401);
    }
  });
});

describe('consensus', () => {
  const a = signal({ agent_id: 'agent_ml', source_type: 'ml_model', side: 'BUY', confidence: 0.8 });
  const b = signal({ agent_id: 'agent_trend', source_type: 'trend_follower', side: 'BUY', confidence: 0.6 });
  const c = signal({ agent_id: 'agent_contra', source_type: 'trend_follower', side: 'SELL', confidence: 0.9 });

  it('signals for a symbol outside TRADABLE_SYMBOLS are rejected as unknown_symbol, and stored nowhere (issue 10)', async () => {
    const early = signal({ agent_id: 'early', symbol: 'FOO/BAR' });
    await append(early, early.trace_id);
    await waitFor('unknown_symbol counted', async () => metricValue(await metrics(), 'cte_signals_rejected_total', { reason: 'unknown_symbol' }) >= 1);
    expect(await tdb.db.query("SELECT id FROM aggregator_signals WHERE symbol = 'FOO/BAR'")).toEqual([]);
    expect(seen.some((m) => m.symbol === 'FOO/BAR')).toBe(false);
  });

  it('a consensus per accepted signal, in MySQL, on the bus, over REST and gRPC', async () => {
    // The symbol's data time and price come from its first closed bar (T0 + 1 min, price 100).
    await publishBar(T0 + MIN, '100', `bar-trace-${tag}`);
    await waitFor('the bar', async () => {
      const probe = signal({ agent_id: 'probe', side: 'HOLD', confidence: 0 });
      await append(probe, probe.trace_id);
      await new Promise((r) => setTimeout(r, 100));
      return seen.some((m) => m.trace_id === probe.trace_id && m.price === '100');
    });
    const before = seen.length;
    for (const s of [a, b, c]) await append(s, s.trace_id);
    await waitFor('three consensus messages', () => seen.length >= before + 3);
    const [ca, cb, cc] = seen.slice(before);
    expect(ca).toMatchObject({ symbol: SYM, side: 'HOLD', trace_id: a.trace_id, sources: 1 });
    expect(cb).toMatchObject({ side: 'BUY', agreement: 1, sources: 2, trace_id: b.trace_id });
    // ml_model 1.5 × 0.8 = 1.2 and 1 × 0.6 BUY against 1 × 0.9 SELL: agreement 1.8 / 2.7, confidence 1.8 / 3.5.
    expect(cc).toMatchObject({ side: 'BUY', sources: 3, price: '100', ts: T0 + MIN, trace_id: c.trace_id });
    expect(cc!.agreement).toBeCloseTo(1.8 / 2.7, 7);
    expect(cc!.confidence).toBeCloseTo(1.8 / 3.5, 7);
    expect([...cc!.signal_ids].sort()).toEqual([a.id, b.id, c.id].sort());

    const rows = await consensusRows();
    const last = rows[rows.length - 1]!;
    expect(last).toMatchObject({ id: cc!.id, side: 'BUY', trace_id: c.trace_id, reason: 'consensus' });
    expect(Number(last.price)).toBe(100);
    // MariaDB's JSON column: mysql2 may hand it back parsed or as text.
    const ids = typeof last.signal_ids === 'string' ? (JSON.parse(last.signal_ids) as string[]) : last.signal_ids;
    expect([...ids].sort()).toEqual([a.id, b.id, c.id].sort());

    const rest = await json(`/consensus/${SYM_KEY}`);
    expect(rest).toMatchObject({ ...cc, reason: 'consensus' });
    expect(await json(`/consensus/${encodeURIComponent(SYM)}`)).toEqual(rest);
    const g = await client.unary('GetConsensus', { symbol: SYM });
    expect(g).toMatchObject({ id: cc!.id, side: 'BUY', sources: 3, price: '100', ts: String(T0 + MIN), trace_id: c.trace_id, reason: 'consensus' });
    expect(g.confidence).toBeCloseTo(cc!.confidence, 8);

    const history = await json(`/consensus?symbol=${SYM_KEY}&limit=2`);
    expect(history.consensus.map((x) => x.id)).toEqual([cc!.id, cb!.id]);
    const signals = await json(`/signals?symbol=${SYM_KEY}&agent=agent_contra`);
    expect(signals.signals).toHaveLength(1);
    expect(signals.signals[0]).toMatchObject({ id: c.id, side: 'SELL', confidence: 0.9, price: '100', outcome: 'pending', as_of: T0 + MIN, due_at: T0 + 2 * MIN });
    const page = await json(`/signals?symbol=${SYM_KEY}&limit=1&offset=1`);
    expect(page.signals[0]?.id).toBe(b.id);
  });

  it('gRPC StreamConsensus sends the snapshot, then new consensus as it is made', async () => {
    const stream = client.serverStream('StreamConsensus', { symbols: [SYM], snapshot: true });
    const got: Array<{ trace_id: string; side: string }> = [];
    stream.on('data', (m: { trace_id: string; side: string }) => got.push(m));
    const ended = new Promise((resolve) => stream.on('error', resolve));
    await waitFor('snapshot', () => got.length >= 1);
    expect(got[0]).toMatchObject({ trace_id: c.trace_id, side: 'BUY' });
    const s = await barrier();
    await waitFor('streamed consensus', () => got.some((m) => m.trace_id === s.trace_id));
    stream.cancel();
    await ended;
  });

  it('REST 400/404 and gRPC INVALID_ARGUMENT/NOT_FOUND', async () => {
    for (const p of ['/consensus/NOT$A$SYMBOL', '/consensus?limit=0', '/consensus?limit=abc', '/signals?agent=%20bad', '/signals?offset=-1', '/signals?symbol=nope']) {
      const res = await api(p);
      expect([p, res.status]).toEqual([p, 400]);
      expect(((await res.json()) as { error: { code: string } }).error.code).toBe('INVALID_ARGUMENT');
    }
    // A well-formed symbol outside TRADABLE_SYMBOLS is 400 naming it; a tradable one without consensus is 404.
    const unknown = await api('/consensus/ZZZ-USD');
    expect(unknown.status).toBe(400);
    expect(((await unknown.json()) as { error: { message: string } }).error.message).toMatch(/unknown symbol ZZZ\/USD: tradable symbols are/);
    expect((await api('/signals?symbol=ZZZ/USD')).status).toBe(400);
    expect((await api(`/consensus/${SYM3.replace('/', '-')}`)).status).toBe(404);
    await expect(client.unary('GetConsensus', { symbol: '???' })).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
    await expect(client.unary('GetConsensus', { symbol: 'ZZZ/USD' })).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
    await expect(client.unary('GetConsensus', { symbol: SYM3 })).rejects.toMatchObject({ code: 'NOT_FOUND' });
    const proto = loadProto<ConsensusProtoGrpcType>('cte/consensus/v1/consensus.proto');
    const raw = new proto.cte.consensus.v1.SignalsAggregator(svc.grpcAddress, grpc.credentials.createInsecure());
    const md = new grpc.Metadata();
    md.set('x-trading-api-key', 'wrong-key-wrong-key');
    const code = await new Promise<number>((resolve) => raw.GetConsensus({ symbol: SYM }, md, (err) => resolve(err?.code ?? 0)));
    raw.close();
    expect(code).toBe(grpc.status.UNAUTHENTICATED);
  });
});

describe('hostile input (issue 10)', () => {
  it('GetConsensus with a 200 KB symbol: a bounded INVALID_ARGUMENT, and a concurrent call on the connection is served', async () => {
    await expectOversizedRefusedAlongside(client.unary('GetConsensus', { symbol: 'S'.repeat(200 * 1024) }), client.unary('ListSources', {}), /symbol/);
  });
});

describe('bad signals', () => {
  it('are counted by reason, acked, kept out of MySQL and the consensus, and never crash the service', async () => {
    const m0 = await metrics();
    const count = (text: string, reason: string) => metricValue(text, 'cte_signals_rejected_total', { reason });
    const bad: Array<[string, unknown]> = [
      ['confidence', signal({ agent_id: 'bad_conf', confidence: 1.5 })],
      ['confidence', { ...signal({ agent_id: 'bad_nan' }), confidence: null }],
      ['unknown_symbol', signal({ agent_id: 'bad_sym', symbol: 'NOPE/USD' })],
      ['future', signal({ agent_id: 'bad_future', bar_time: Date.now() + 3_600_000 })],
      ['future', signal({ agent_id: 'bad_lead', bar_time: T0 + 30 * 86_400_000 })],
      ['stale', signal({ agent_id: 'bad_stale', bar_time: T0 - 2 * 3_600_000 })],
      ['malformed', 'garbage'],
      ['duplicate', signal({ id: `it-${tag}-dup`, agent_id: 'agent_ml', side: 'SELL' })],
    ];
    // The duplicate: the same id a second time.
    const dup = bad[bad.length - 1]![1] as SignalMessage;
    await append(dup, dup.trace_id);
    for (const [, data] of bad) await append(data);
    // Envelope-level garbage is the bus's business: straight to the dead-letter stream.
    await redis.connect().catch(() => undefined);
    await redis.xadd(BUS_NAMESPACE + STREAM, '*', 'envelope', '{not json');
    const sentinel = await barrier();

    const m1 = await metrics();
    const want: Record<string, number> = {};
    for (const [reason] of bad) want[reason] = (want[reason] ?? 0) + 1;
    for (const [reason, k] of Object.entries(want)) expect([reason, count(m1, reason) - count(m0, reason)]).toEqual([reason, k]);
    expect(await redis.xlen(`${BUS_NAMESPACE}${STREAM}.dlq`)).toBe(1);

    const badIds = bad.map(([, d]) => (typeof d === 'object' && d !== null ? (d as SignalMessage).id : undefined)).filter(Boolean);
    const consensus = seen.find((x) => x.trace_id === sentinel.trace_id)!;
    expect(consensus.signal_ids.filter((id) => badIds.includes(id) && id !== dup.id)).toEqual([]);
    const stored = await tdb.db.query<{ id: string; side: string }>('SELECT id, side FROM aggregator_signals WHERE id IN (?)', [badIds]);
    // Only the first copy of the duplicate is stored.
    expect(stored).toEqual([{ id: dup.id, side: 'SELL' }]);
    expect(svc.child.exitCode).toBeNull();
    expect(svc.logs()).toContain('rejected signal');
  });
});

describe('track record', () => {
  it('scores signals on the first bar at or after their due time; GET /sources and ListSources show it', async () => {
    // The BUY/SELL signals above were made at 100 (as-of T0+1m, due T0+2m). The price rises.
    await publishBar(T0 + 2 * MIN, '101');
    const sources = await waitFor('scored sources', async () => {
      const body = await json('/sources');
      const byId = Object.fromEntries(body.sources.map((s) => [s.agent_id, s]));
      return byId.agent_contra?.scored === 1 && byId.agent_trend?.scored === 1 ? byId : undefined;
    });
    // agent_ml: its BUY hit; its later SELL (the "duplicate" test signal, same bar, so it replaced the BUY) missed.
    expect(sources.agent_trend).toMatchObject({ source_type: 'trend_follower', base_weight: 1, hits: 1, scored: 1 });
    expect(sources.agent_trend?.hit_rate).toBeCloseTo(6 / 11, 6);
    expect(sources.agent_trend?.multiplier).toBeCloseTo(12 / 11, 6);
    expect(sources.agent_contra).toMatchObject({ hits: 0, scored: 1 });
    expect(sources.agent_contra?.hit_rate).toBeCloseTo(5 / 11, 6);
    expect(sources.agent_ml).toMatchObject({ source_type: 'ml_model', base_weight: 1.5, hits: 1, scored: 2 });
    expect(sources.agent_ml?.effective_weight).toBeCloseTo(1.5 * 2 * (6 / 12), 6);
    const g = await client.unary('ListSources', {});
    const gml = g.sources.find((s) => s.agent_id === 'agent_ml')!;
    expect(gml).toMatchObject({ hits: '1', scored: '2', base_weight: 1.5, last_scored_at: String(T0 + 2 * MIN) });

    await waitFor('source_stats in MySQL', async () => {
      const rows = await tdb.db.query<{ agent_id: string; hits: number; scored: number }>('SELECT agent_id, hits, scored FROM source_stats WHERE agent_id IN (?)', [['agent_ml', 'agent_trend', 'agent_contra']]);
      const m = Object.fromEntries(rows.map((r) => [r.agent_id, [Number(r.hits), Number(r.scored)]]));
      return m.agent_ml?.[1] === 2 && m.agent_trend?.[1] === 1 && m.agent_contra?.[1] === 1 ? m : undefined;
    });
    const outcomes = await json(`/signals?symbol=${SYM_KEY}&agent=agent_contra`);
    expect(outcomes.signals[0]).toMatchObject({ outcome: 'miss', exit_price: '101', scored_at: T0 + 2 * MIN });
  });

  it('exports the issue-named metrics, lint-clean', async () => {
    const text = await metrics();
    for (const name of ['cte_signals_received_total', 'cte_signals_rejected_total', 'cte_consensus_total', 'cte_consensus_seconds', 'cte_pipeline_latency_seconds']) {
      expect(text).toContain(`# TYPE ${name}`);
    }
    expect(metricValue(text, 'cte_signals_received_total', { source_type: 'ml_model' })).toBeGreaterThanOrEqual(3);
    expect(metricValue(text, 'cte_consensus_total', { side: 'BUY' })).toBeGreaterThanOrEqual(2);
    expect(metricValue(text, 'cte_consensus_seconds_count')).toBeGreaterThanOrEqual(4);
    expect(metricValue(text, 'cte_pipeline_latency_seconds_count', { stage: 'consensus' })).toBeGreaterThanOrEqual(4);
    expect(metricValue(text, 'cte_signals_scored_total', { outcome: 'hit' })).toBeGreaterThanOrEqual(2);
    expect(lintMetricsText(text, { units: ['signals'] })).toEqual([]);
    const promtool = findPromtool();
    if (promtool) {
      const res = spawnSync(promtool, ['check', 'metrics'], { input: text, encoding: 'utf8' });
      const problems = `${res.stdout}${res.stderr}`.split('\n').filter((l) => l.trim() !== '' && !/^(process_|nodejs_)/.test(l));
      expect(problems).toEqual([]);
    }
  });
});

describe('MySQL slow', () => {
  it('a signal is acked only after it is stored: while the table is locked it stays pending, then goes through', async () => {
    const pendingCount = async () => Number(((await redis.xpending(BUS_NAMESPACE + STREAM, 'signals-aggregator')) as [number])[0]);
    expect(await pendingCount()).toBe(0);
    const locker = await mysql.createConnection(tdb.url);
    const s = signal({ agent_id: 'agent_slow', source_type: 'trend_follower', side: 'SELL', bar_time: T0 + MIN, price: '101' });
    try {
      await locker.query('LOCK TABLES aggregator_signals WRITE, consensus_signals WRITE');
      await append(s, s.trace_id);
      await waitFor('the entry delivered and unacked', async () => (await pendingCount()) === 1);
      await new Promise((r) => setTimeout(r, 300));
      expect(seen.some((x) => x.trace_id === s.trace_id)).toBe(false);
      expect(await pendingCount()).toBe(1);
    } finally {
      await locker.query('UNLOCK TABLES');
      await locker.end();
    }
    await waitFor('consensus after unlock', () => seen.some((x) => x.trace_id === s.trace_id));
    await waitFor('acked', async () => (await pendingCount()) === 0);
  });
});

describe('restart', () => {
  it('on SIGTERM exits 0; after a restart source stats, the latest consensus and pending scorings are back, and signals sent meanwhile are consumed', async () => {
    // A BUY made at 101 (as-of T0+2m), due at T0+3m: still pending at shutdown.
    const pending = signal({ agent_id: 'agent_late', source_type: 'trend_follower', side: 'BUY', price: '101', bar_time: T0 + MIN });
    await append(pending, pending.trace_id);
    await waitFor('pending signal stored', () => seen.some((x) => x.trace_id === pending.trace_id));
    // A second symbol that gets no signal after the restart: its latest consensus must come back as it was.
    await publishBar(T0 + MIN, '50', undefined, SYM2);
    let other: SignalMessage | undefined;
    await waitFor('a consensus on the second symbol', async () => {
      other = signal({ symbol: SYM2, agent_id: 'agent_other', price: '50' });
      await append(other, other.trace_id);
      await new Promise((r) => setTimeout(r, 100));
      return seen.some((x) => x.trace_id === other!.trace_id);
    });
    const before = await json('/sources');
    const latest = await json(`/consensus/QB${tag}-USD`);
    expect(latest).toMatchObject({ symbol: SYM2, trace_id: other!.trace_id });

    svc.child.kill('SIGTERM');
    expect(await svc.exited).toBe(0);
    expect(svc.logs()).toContain('shutdown: readiness off');
    expect(svc.logs()).toContain('shutdown complete');

    // Sent while the aggregator is down: the durable stream keeps it.
    const whileDown = signal({ agent_id: 'agent_trend', source_type: 'trend_follower', side: 'BUY', price: '101', bar_time: T0 + MIN, confidence: 0.7 });
    await append(whileDown, whileDown.trace_id);

    const apiKey = svc.apiKey;
    client.close();
    svc = await startAggregator(env(), apiKey);
    const proto = loadProto<ConsensusProtoGrpcType>('cte/consensus/v1/consensus.proto');
    client = createGrpcClient<SignalsAggregatorClient>(proto.cte.consensus.v1.SignalsAggregator, svc.grpcAddress, { apiKey, deadlineMs: 3000 });

    const after = await json('/sources');
    const pick = (body: { sources: Array<{ agent_id: string; hits: number; scored: number }> }) =>
      Object.fromEntries(body.sources.map((s) => [s.agent_id, [s.hits, s.scored]]));
    expect(pick(after)).toEqual(pick(before));
    expect(after.sources.find((s) => s.agent_id === 'agent_late')).toMatchObject({ pending: 1 });
    expect(await json(`/consensus/QB${tag}-USD`)).toEqual(latest);

    const next = await waitFor('consensus of the signal sent while down', () => seen.find((x) => x.trace_id === whileDown.trace_id));
    expect(next.signal_ids).toContain(whileDown.id);
    expect(next.signal_ids).toContain(pending.id);

    // The pending signal is scored by the first bar after restart: the price fell.
    await publishBar(T0 + 3 * MIN, '100.5');
    const late = await waitFor('late signal scored', async () => {
      const s = (await json('/sources')).sources.find((x) => x.agent_id === 'agent_late');
      return s?.scored === 1 ? s : undefined;
    });
    expect(late).toMatchObject({ hits: 0, scored: 1, pending: 0 });

    svc.child.kill('SIGTERM');
    expect(await svc.exited).toBe(0);
    const rows = await tdb.db.query<{ outcome: string }>('SELECT outcome FROM aggregator_signals WHERE id = ?', [pending.id]);
    expect(rows).toEqual([{ outcome: 'miss' }]);
  }, 60_000);
});
