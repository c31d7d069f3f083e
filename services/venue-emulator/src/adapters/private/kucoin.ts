/**
 * KuCoin private side on the venue's port: signed REST order, fill and account endpoints, the
 * private bullet token (`POST /api/v1/bullet-private`) and its WebSocket with the
 * `/spotMarket/tradeOrders` and `/account/balance` topics, the per-key resource pool, and the order
 * and user-stream faults armed in the fault book.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import type http from 'node:http';
import type { Socket } from 'node:net';
import { URL, URLSearchParams } from 'node:url';
import { WebSocketServer, WebSocket, type RawData } from 'ws';
import { Sleeper, type Logger } from '@cte/shared';
import type { VenueCodec } from '../../engine/encoders';
import type { FaultBook } from '../../engine/faults';
import type { VenueState, VenueUpdate } from '../../engine/market-state';
import { PrivateExchange, type AccountSpec } from '../../engine/private/exchange';
import { KucoinPrivateApi } from '../../engine/private/kucoin-api';
import { encodeKucoinEvent, rulesFromSymbols } from '../../engine/private/kucoin-wire';
import type { UserEvent } from '../../engine/private/types';
import type { EmulatorMetrics } from '../metrics';
import { deliverWithFaults } from './coinbase-delivery';
import type { AccountRequest, CreatedAccount, LimitField, PrivateRestContext, PrivateRestResult, PrivateVenue } from './types';

const VENUE = 'kucoin';
/** KuCoin VIP0 spot resource pool: 4000 per 30 s. */
export const KUCOIN_POOL_PER_30S = 4000;
const TOKEN_PREFIX = 'kcpriv-';
const TOKEN_TTL_MS = 24 * 60 * 60_000;
const MAX_FRAME = 64 * 1024;
const TOPICS = new Set(['/spotMarket/tradeOrders', '/spotMarket/tradeOrdersV2', '/account/balance']);

export function randomHex(len: number): string {
  return randomBytes(Math.ceil(len / 2)).toString('hex').slice(0, len);
}

export interface KucoinPrivateOptions {
  state: VenueState;
  codec: VenueCodec;
  faults: FaultBook;
  metrics: EmulatorMetrics;
  logger: Logger;
  now: () => number;
  poolPer30s?: number;
}

interface Stream {
  ws: WebSocket;
  accountId: number;
  topics: Set<string>;
}

const LIMITS: readonly LimitField[] = [{ name: 'pool_per_30s', min: 1, max: 100_000_000 }];

export class KucoinPrivate implements PrivateVenue {
  readonly venue = VENUE;
  readonly limitFields = LIMITS;
  readonly exchange: PrivateExchange;
  readonly api: KucoinPrivateApi;
  private readonly passphrases = new Map<string, string>();
  private readonly tokens = new Map<string, { accountId: number; expiresAt: number }>();
  private readonly marketIds = new Map<string, string>();
  private readonly wss = new WebSocketServer({ noServer: true, maxPayload: MAX_FRAME, perMessageDeflate: false });
  private readonly streams = new Set<Stream>();
  /** Replies held back by order_timeout; woken at close so shutdown never waits for them. */
  private readonly held = new Sleeper();

  constructor(private readonly o: KucoinPrivateOptions) {
    for (const m of o.state.markets.values()) this.marketIds.set(o.codec.marketId(m.def), m.def.symbol);
    const symbols = o.codec.rest({ method: 'GET', path: '/api/v2/symbols', query: new URLSearchParams(), body: '', headers: {} }, o.state, o.now());
    this.exchange = new PrivateExchange(o.state, rulesFromSymbols(symbols.body, (id) => this.marketIds.get(id)), { uniqueClientOrderIds: 'all' });
    this.api = new KucoinPrivateApi({
      exchange: this.exchange,
      passphraseOf: (k) => this.passphrases.get(k),
      symbolOf: (id) => this.marketIds.get(id),
      marketIdOf: (s) => this.marketIdOf(s),
      randomHex,
      poolPer30s: o.poolPer30s ?? KUCOIN_POOL_PER_30S,
    });
  }

  marketIdOf(symbol: string): string {
    const m = this.o.state.market(symbol);
    return m ? this.o.codec.marketId(m.def) : symbol.replace('/', '-');
  }

  get connections(): number {
    return this.streams.size;
  }

  /** Private topic subscriptions open. */
  get subscribed(): number {
    let n = 0;
    for (const s of this.streams) n += s.topics.size;
    return n;
  }

  /** An API key (24 hex), its secret (a UUID) and passphrase, as KuCoin issues them. */
  createAccount(spec: AccountRequest): CreatedAccount {
    const full: AccountSpec = { apiKey: spec.apiKey ?? randomHex(24), secret: spec.secret ?? randomUUID(), balances: spec.balances };
    if (spec.makerRate !== undefined) full.makerRate = spec.makerRate;
    if (spec.takerRate !== undefined) full.takerRate = spec.takerRate;
    const passphrase = spec.passphrase ?? randomHex(16);
    const a = this.exchange.createAccount(full, this.o.now());
    this.passphrases.set(a.apiKey, passphrase);
    return { account: a, credentials: { apiKey: a.apiKey, secret: a.secret, password: passphrase } };
  }

  limits(): Record<string, number> {
    return this.api.limiter.limitsAs('pool_per_30s');
  }

  setLimits(patch: Readonly<Record<string, number>>): Record<string, number> {
    return this.api.limiter.limitsAs('pool_per_30s', patch);
  }

  async rest(ctx: PrivateRestContext): Promise<PrivateRestResult> {
    if (!this.api.isPrivate(ctx.method, ctx.path)) return { kind: 'public', headers: {} };
    const now = this.o.now();
    const r = this.api.handle({ method: ctx.method, path: ctx.path, rawQuery: ctx.rawQuery, body: ctx.body, headers: ctx.headers }, now);
    if (r.account && r.status === 200) {
      const token = `${TOKEN_PREFIX}${randomHex(48)}`;
      this.tokens.set(token, { accountId: r.account.id, expiresAt: now + TOKEN_TTL_MS });
      const host = typeof ctx.headers['host'] === 'string' ? ctx.headers['host'] : '127.0.0.1';
      return { kind: 'reply', status: 200, body: { code: '200000', data: { token, instanceServers: [{ endpoint: `ws://${host}/endpoint`, encrypt: false, protocol: 'websocket', pingInterval: 18000, pingTimeout: 10000 }] } }, headers: r.headers };
    }
    this.deliver(r.events);
    if (r.accepted) {
      const fault = this.o.faults.takePrivate(VENUE, ['order_lost_ack', 'order_timeout', 'order_5xx_after_accept']);
      if (fault) {
        this.o.metrics.fault(VENUE, fault.kind);
        if (fault.kind === 'order_lost_ack') return { kind: 'destroy' };
        if (fault.kind === 'order_5xx_after_accept') return { kind: 'reply', status: fault.status, body: { code: '500000', msg: 'Internal Server Error' }, headers: r.headers };
        await this.held.sleep(fault.delayMs);
      }
    }
    return { kind: 'reply', status: r.status, body: r.body, headers: r.headers };
  }

  upgrade(req: http.IncomingMessage, socket: Socket, head: Buffer): boolean {
    const url = new URL(req.url ?? '/', 'http://emulator');
    if (url.pathname !== '/endpoint') return false;
    const token = url.searchParams.get('token') ?? '';
    if (!token.startsWith(TOKEN_PREFIX)) return false;
    const t = this.tokens.get(token);
    if (!t || t.expiresAt <= this.o.now()) {
      socket.end('HTTP/1.1 401 Unauthorized\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
      return true;
    }
    const connectId = url.searchParams.get('connectId') ?? randomHex(8);
    this.wss.handleUpgrade(req, socket, head, (ws) => {
      const stream: Stream = { ws, accountId: t.accountId, topics: new Set() };
      this.streams.add(stream);
      ws.on('error', () => undefined);
      ws.on('close', () => this.streams.delete(stream));
      ws.on('message', (data: RawData) => this.onMessage(stream, rawText(data)));
      this.send(stream, { id: connectId, type: 'welcome' });
    });
    return true;
  }

  onUpdate(u: VenueUpdate): void {
    this.deliver(this.exchange.onUpdate(u, this.o.now()));
  }

  close(): void {
    this.held.wakeAll();
    for (const s of this.streams) s.ws.terminate();
    this.streams.clear();
    this.wss.close();
  }

  private onMessage(s: Stream, text: string): void {
    let m: Record<string, unknown> | undefined;
    try {
      const v: unknown = JSON.parse(text);
      m = typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : undefined;
    } catch {
      m = undefined;
    }
    const id = typeof m?.['id'] === 'string' || typeof m?.['id'] === 'number' ? m['id'] : '';
    const type = m?.['type'];
    if (type === 'ping') return this.send(s, { id, type: 'pong', timestamp: this.o.now() * 1000 });
    const topic = m?.['topic'];
    if ((type !== 'subscribe' && type !== 'unsubscribe') || typeof topic !== 'string') return this.send(s, { id, type: 'error', code: 400, data: 'Invalid message' });
    const name = topic.split(':')[0] ?? '';
    if (!TOPICS.has(name)) return this.send(s, { id, type: 'error', code: 404, data: `topic ${topic.slice(0, 60)} is not found` });
    if (type === 'subscribe') s.topics.add(name);
    else s.topics.delete(name);
    if (m?.['response'] !== false) this.send(s, { id, type: 'ack' });
  }

  private deliver(events: readonly UserEvent[]): void {
    deliverWithFaults(
      {
        venue: VENUE,
        faults: this.o.faults,
        metrics: this.o.metrics,
        streams: (id) => this.streamsOf(id).length,
        drop: (id) => {
          const dropped = this.streamsOf(id);
          for (const s of dropped) {
            s.ws.terminate();
            this.streams.delete(s);
          }
          return dropped.length;
        },
        publish: (e) => this.publish(e),
      },
      events,
    );
  }

  private streamsOf(accountId: number): Stream[] {
    return [...this.streams].filter((s) => s.accountId === accountId && s.topics.size > 0);
  }

  private publish(e: UserEvent): void {
    const ids = this.api.ids();
    for (const m of encodeKucoinEvent(ids, e)) {
      for (const s of this.streamsOf(e.accountId)) {
        if (!s.topics.has(m.topic) && !(m.topic === '/spotMarket/tradeOrders' && s.topics.has('/spotMarket/tradeOrdersV2'))) continue;
        this.send(s, { type: 'message', topic: m.topic, subject: m.subject, channelType: 'private', data: m.data });
      }
    }
  }

  private send(s: Stream, msg: unknown): void {
    if (s.ws.readyState === WebSocket.OPEN) s.ws.send(JSON.stringify(msg));
  }
}

function rawText(data: RawData): string {
  if (Buffer.isBuffer(data)) return data.toString('utf8');
  if (Array.isArray(data)) return Buffer.concat(data).toString('utf8');
  return Buffer.from(data).toString('utf8');
}
