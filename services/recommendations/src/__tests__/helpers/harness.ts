/**
 * Integration-test harness: a throw-away migrated database, the real Redis with a random bus
 * namespace, the peer doubles (one in-test gRPC server) and the compiled recommendations
 * service as a real process (build first: `npx tsc -b services/recommendations`).
 */
import { randomBytes } from 'node:crypto';
import {
  CHANNELS,
  createGrpcClient,
  createLogger,
  loadProto,
  RedisBus,
  TRADING_CHANNELS,
  type ConsensusMessage,
  type GrpcClient,
  type OrderEventMessage,
  type RecommendationsClient,
  type RecommendationsProtoGrpcType,
} from '@cte/shared';
import {
  createTestDatabase,
  startService,
  waitFor,
  type RunningService,
  type TestDatabase,
} from '@cte/testkit';
import { PeerDoubles, type BarDouble } from './peers';
import type { RecommendationsApi } from '../../adapters/api';

type RouteBody<P extends string> = P extends `/recommendations/${string}`
  ? Awaited<ReturnType<RecommendationsApi['get']>>
  : P extends `/recommendations${string}`
    ? Awaited<ReturnType<RecommendationsApi['list']>> & { error?: { code: string; message: string } }
    : unknown;

export const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
/** Tradable test symbols each harness declares in TRADABLE_SYMBOLS (symbol() hands them out). */
const SYMBOL_POOL = 100;
const HOUR = 3_600_000;

export interface RecRow {
  id: string;
  symbol: string;
  side: string;
  status: string;
  source: string;
  consensus_id: string | null;
  qty: string;
  approved_qty: string | null;
  price: string | null;
  client_order_id: string | null;
  order_id: string | null;
  order_status: string | null;
  win_probability: string | null;
  kelly_fraction: string | null;
  fraction: string | null;
  stop_loss: string | null;
  take_profit: string | null;
  atr: string | null;
  reasons: string | string[];
  submit_attempts: number;
}

/** 20 hourly bars before `ts`, each with high − low = 500 around 25000: ATR = 500 exactly. */
export function flatBars(ts: number): BarDouble[] {
  const last = ts - (ts % HOUR) - HOUR;
  return Array.from({ length: 20 }, (_, i) => ({ open_time: last - (19 - i) * HOUR, high: '25250', low: '24750', close: '25000' }));
}

export class Harness {
  readonly tag = randomBytes(3).toString('hex').toUpperCase();
  readonly namespace = `test-rec-${this.tag.toLowerCase()}:`;
  readonly apiKey = `test-key-${randomBytes(8).toString('hex')}`;
  readonly logger = createLogger({ service: 'test', level: 'silent' });
  tdb!: TestDatabase;
  bus!: RedisBus;
  peers!: PeerDoubles;
  svc!: RunningService;
  client!: GrpcClient<RecommendationsClient>;
  private n = 0;
  private symbols = 0;
  private ports: { httpPort?: number; grpcPort?: number } = {};

  constructor(private readonly envOverrides: Record<string, string> = {}) {}

  async setUp(): Promise<void> {
    this.tdb = await createTestDatabase(this.logger);
    this.bus = new RedisBus({ url: REDIS_URL, logger: this.logger, namespace: this.namespace });
    this.peers = new PeerDoubles(this.apiKey);
    await this.peers.start();
    this.peers.bars = () => flatBars(Date.now());
    await this.startService();
  }

  env(): Record<string, string> {
    const peer = this.peers.address;
    return {
      MYSQL_URL: this.tdb.url,
      REDIS_URL,
      BUS_NAMESPACE: this.namespace,
      RISK_GRPC_ADDR: peer,
      EXECUTION_GRPC_ADDR: peer,
      PORTFOLIO_GRPC_ADDR: peer,
      SIGNALS_AGGREGATOR_GRPC_ADDR: peer,
      PRICE_STREAM_GRPC_ADDR: peer,
      PEER_DEADLINE_MS: '1000',
      SOURCES_CACHE_MS: '0',
      REC_COOLDOWN_MS: '0',
      REC_TTL_MS: '5000',
      SUBMIT_RETRY_AFTER_MS: '300',
      ORDER_POLL_AFTER_MS: '500',
      SWEEP_INTERVAL_MS: '100',
      SHUTDOWN_GRACE_MS: '5000',
      TRADABLE_SYMBOLS: ['BTC/USD', 'ETH/USD', ...Array.from({ length: SYMBOL_POOL }, (_, i) => this.poolSymbol(i + 1))].join(','),
      ...this.envOverrides,
    };
  }

  async startService(): Promise<void> {
    this.svc = await startService('recommendations', { env: this.env(), apiKey: this.apiKey, ...this.ports });
    this.ports = { httpPort: Number(new URL(this.svc.httpUrl).port), grpcPort: Number(this.svc.grpcAddress.split(':')[1]) };
    await waitFor('recommendations ready', () => this.svc.logs().includes('recommendations ready'));
    this.client?.close();
    const proto = loadProto<RecommendationsProtoGrpcType>('cte/recommendations/v1/recommendations.proto');
    this.client = createGrpcClient<RecommendationsClient>(proto.cte.recommendations.v1.Recommendations, this.svc.grpcAddress, { apiKey: this.apiKey, deadlineMs: 5000 });
  }

  async tearDown(): Promise<void> {
    this.client?.close();
    if (this.svc && this.svc.child.exitCode === null) this.svc.child.kill('SIGKILL');
    await this.peers?.stop();
    await this.bus?.close();
    await this.tdb?.drop();
  }

  /** A tradable symbol no other test uses (from the pool the service is started with). */
  symbol(): string {
    if (this.symbols >= SYMBOL_POOL) throw new Error(`more than ${SYMBOL_POOL} test symbols: raise SYMBOL_POOL`);
    return this.poolSymbol(++this.symbols);
  }

  private poolSymbol(i: number): string {
    return `R${this.tag}S${i}/USD`;
  }

  consensus(over: Partial<ConsensusMessage> = {}): ConsensusMessage {
    const n = ++this.n;
    return {
      id: `cons-${this.tag}-${n}`,
      symbol: 'BTC/USD',
      side: 'BUY',
      confidence: 0.8,
      agreement: 0.9,
      sources: 2,
      signal_ids: [`sig-${n}-a`, `sig-${n}-b`],
      price: '25000',
      ts: Date.now() - 1000,
      trace_id: `trace-${this.tag}-${String(n).padStart(6, '0')}`,
      ...over,
    };
  }

  async publishConsensus(data: unknown, traceId = `trace-${this.tag}-raw-${++this.n}`): Promise<void> {
    await this.bus.publish(CHANNELS.signalsConsensus, { type: 'consensus', data, trace_id: traceId });
  }

  async publishOrderEvent(e: Partial<OrderEventMessage> & Pick<OrderEventMessage, 'order_id' | 'client_order_id' | 'recommendation_id' | 'status'>): Promise<void> {
    const data: OrderEventMessage = {
      event: 'filled',
      symbol: 'BTC/USD',
      side: 'buy',
      qty: '1',
      filled_qty: '0',
      avg_fill_price: '',
      reason: '',
      ts: Date.now(),
      trace_id: `trace-${this.tag}-oe-${++this.n}`,
      ...e,
    };
    await this.bus.publish(TRADING_CHANNELS.orders, { type: 'order', data, trace_id: data.trace_id });
  }

  async rowByConsensus(consensusId: string): Promise<RecRow | undefined> {
    const rows = await this.tdb.db.query<RecRow>('SELECT * FROM trade_recommendations WHERE consensus_id = ?', [consensusId]);
    return rows[0];
  }

  async row(id: string): Promise<RecRow> {
    const rows = await this.tdb.db.query<RecRow>('SELECT * FROM trade_recommendations WHERE id = ?', [id]);
    if (!rows[0]) throw new Error(`no recommendation ${id}`);
    return rows[0];
  }

  async rowsOf(symbol: string): Promise<RecRow[]> {
    return this.tdb.db.query<RecRow>('SELECT * FROM trade_recommendations WHERE symbol = ? ORDER BY seq', [symbol]);
  }

  async history(id: string): Promise<Array<{ from_status: string | null; to_status: string; reason: string }>> {
    return this.tdb.db.query('SELECT from_status, to_status, reason FROM recommendation_events WHERE recommendation_id = ? ORDER BY seq', [id]);
  }

  /** Waits for the consensus' recommendation to be stored and reach one of `statuses`. */
  async waitStatus(consensusId: string, ...statuses: string[]): Promise<RecRow> {
    return waitFor(`recommendation of ${consensusId} in ${statuses.join('|')}`, async () => {
      const r = await this.rowByConsensus(consensusId);
      return r && statuses.includes(r.status) ? r : undefined;
    });
  }

  async waitIdStatus(id: string, ...statuses: string[]): Promise<RecRow> {
    return waitFor(`recommendation ${id} in ${statuses.join('|')}`, async () => {
      const r = await this.row(id);
      return statuses.includes(r.status) ? r : undefined;
    });
  }

  api(path: string, key = this.apiKey): Promise<Response> {
    return fetch(`${this.svc.httpUrl}${path}`, { headers: { 'X-TRADING-API-KEY': key } });
  }

  /** The body of a GET, typed as the RecommendationsApi method behind the route (adapters/http.ts) answers it. */
  async json<P extends string>(path: P): Promise<RouteBody<P>> {
    return (await (await this.api(path)).json()) as RouteBody<P>;
  }

  async metrics(): Promise<string> {
    return (await fetch(`${this.svc.httpUrl}/metrics`)).text();
  }
}

/** The value of one sample in a Prometheus exposition, 0 when absent. */
export { metricValue } from '@cte/testkit';

/** A DECIMAL column as a plain decimal string without trailing zeros. */
export const dec = (s: string | null): string | null => (s === null ? null : s.includes('.') ? s.replace(/\.?0+$/, '') : s);
