/**
 * Binance.US private side on the venue's port: signed REST order endpoints, listen-key user-data
 * streams (`/ws/<listenKey>`) and the WebSocket API's signature subscription (`/ws-api/v3`,
 * which ccxt 4.5 uses for spot `watchOrders`), request weight on every reply, and the order and
 * user-stream faults armed in the fault book.
 */
import { randomBytes } from 'node:crypto';
import type http from 'node:http';
import type { Socket } from 'node:net';
import { URL, URLSearchParams } from 'node:url';
import { WebSocketServer, WebSocket, type RawData } from 'ws';
import { Sleeper, type Logger } from '@cte/shared';
import type { VenueCodec } from '../../engine/encoders';
import type { FaultBook } from '../../engine/faults';
import type { VenueState, VenueUpdate } from '../../engine/market-state';
import { BinanceUsPrivateApi } from '../../engine/private/binanceus-api';
import { encodeUserEvent, ERRORS, rulesFromExchangeInfo } from '../../engine/private/binanceus-wire';
import { PrivateExchange } from '../../engine/private/exchange';
import { RateLimiter, DEFAULT_RATE_LIMITS, type RateLimitOptions } from '../../engine/private/rate-limit';
import type { UserEvent } from '../../engine/private/types';
import type { EmulatorMetrics } from '../metrics';
import type { AccountRequest, CreatedAccount, LimitField, PrivateRestContext, PrivateRestResult, PrivateVenue } from './types';

const VENUE = 'binanceus';
const ALNUM = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
const MAX_FRAME = 64 * 1024;

export function randomAlnum(len: number): string {
  const bytes = randomBytes(len);
  let s = '';
  for (const b of bytes) s += ALNUM[b % ALNUM.length];
  return s;
}

interface Stream {
  ws: WebSocket;
  /** Listen-key stream: the account it follows. */
  accountId: number | undefined;
  /** WebSocket API connection: subscriptionId → account id. */
  subs: Map<number, number>;
}

export interface BinanceUsPrivateOptions {
  state: VenueState;
  codec: VenueCodec;
  faults: FaultBook;
  metrics: EmulatorMetrics;
  logger: Logger;
  now: () => number;
  rateLimits?: Partial<RateLimitOptions>;
}

/** Limit fields of the admin API (snake_case) and the limiter option each one sets. */
const LIMITS: readonly (LimitField & { key: keyof RateLimitOptions })[] = [
  { name: 'weight_per_minute', key: 'weightPerMinute', min: 1, max: 1_000_000 },
  { name: 'orders_per_10s', key: 'ordersPer10s', min: 1, max: 1_000_000 },
  { name: 'orders_per_day', key: 'ordersPerDay', min: 1, max: 100_000_000 },
  { name: 'ban_after_429s', key: 'banAfter429s', min: 0, max: 1_000_000 },
  { name: 'ban_ms', key: 'banMs', min: 1, max: 3 * 86_400_000 },
];

export class BinanceUsPrivate implements PrivateVenue {
  readonly venue = VENUE;
  readonly limitFields: readonly LimitField[] = LIMITS;
  readonly exchange: PrivateExchange;
  readonly api: BinanceUsPrivateApi;
  readonly limiter: RateLimiter;
  private readonly wss = new WebSocketServer({ noServer: true, maxPayload: MAX_FRAME, perMessageDeflate: false });
  private readonly streams = new Set<Stream>();
  private readonly marketIds = new Map<string, string>();
  /** Replies held back by order_timeout; released at close so shutdown never waits for them. */
  private readonly held = new Sleeper();

  constructor(private readonly o: BinanceUsPrivateOptions) {
    for (const m of o.state.markets.values()) this.marketIds.set(o.codec.marketId(m.def), m.def.symbol);
    const info = o.codec.rest({ method: 'GET', path: '/api/v3/exchangeInfo', query: new URLSearchParams(), body: '', headers: {} }, o.state, o.now());
    const { rules, notionalFilter } = rulesFromExchangeInfo(info.body, (id) => this.marketIds.get(id));
    this.exchange = new PrivateExchange(o.state, rules);
    this.limiter = new RateLimiter({ ...DEFAULT_RATE_LIMITS, ...o.rateLimits });
    this.api = new BinanceUsPrivateApi({
      exchange: this.exchange,
      limiter: this.limiter,
      symbolOf: (id) => this.marketIds.get(id),
      marketIdOf: (symbol) => this.marketIdOf(symbol),
      notionalFilter,
      randomId: randomAlnum,
    });
  }

  marketIdOf(symbol: string): string {
    const m = this.o.state.market(symbol);
    return m ? this.o.codec.marketId(m.def) : symbol.replace('/', '');
  }

  get connections(): number {
    return this.streams.size;
  }

  /** User-data subscriptions open (listen-key streams and WebSocket API subscriptions). */
  get subscribed(): number {
    let n = 0;
    for (const s of this.streams) n += (s.accountId !== undefined ? 1 : 0) + s.subs.size;
    return n;
  }

  /** An API key (64 letters or digits) and its HMAC secret. */
  createAccount(spec: AccountRequest): CreatedAccount {
    if (spec.passphrase !== undefined) throw new Error('passphrase is not used by binanceus');
    const account = this.exchange.createAccount({ ...spec, apiKey: spec.apiKey ?? randomAlnum(64), secret: spec.secret ?? randomAlnum(64) }, this.o.now());
    return { account, credentials: { apiKey: account.apiKey, secret: account.secret } };
  }

  limits(): Record<string, number> {
    return Object.fromEntries(LIMITS.map((l) => [l.name, this.limiter.options[l.key]]));
  }

  setLimits(patch: Readonly<Record<string, number>>): Record<string, number> {
    const next: Partial<RateLimitOptions> = {};
    for (const l of LIMITS) {
      const v = patch[l.name];
      if (v !== undefined) next[l.key] = v;
    }
    this.setRateLimits(next);
    return this.limits();
  }

  setRateLimits(patch: Partial<RateLimitOptions>): RateLimitOptions {
    this.limiter.options = { ...this.limiter.options, ...patch };
    this.limiter.reset();
    return this.limiter.options;
  }

  async rest(ctx: PrivateRestContext): Promise<PrivateRestResult> {
    const now = this.o.now();
    const query = new URLSearchParams(ctx.rawQuery);
    const gate = this.api.gate(ctx.ip, ctx.method, ctx.path, query, now);
    if (gate.refusal) return { kind: 'reply', status: gate.refusal.status, body: gate.refusal.body, headers: gate.headers };
    if (!this.api.isPrivate(ctx.method, ctx.path)) return { kind: 'public', headers: gate.headers };
    const apiKey = ctx.headers['x-mbx-apikey'];
    const r = this.api.handle({ method: ctx.method, path: ctx.path, rawQuery: ctx.rawQuery, body: ctx.body, apiKey: typeof apiKey === 'string' ? apiKey : undefined, ip: ctx.ip }, now);
    this.deliver(r.events);
    const headers = { ...gate.headers, ...r.headers };
    if (r.accepted) {
      const fault = this.o.faults.takePrivate(VENUE, ['order_lost_ack', 'order_timeout', 'order_5xx_after_accept']);
      if (fault) {
        this.o.metrics.fault(VENUE, fault.kind);
        if (fault.kind === 'order_lost_ack') return { kind: 'destroy' };
        if (fault.kind === 'order_5xx_after_accept') return { kind: 'reply', status: fault.status, body: ERRORS.unknownStatus.body, headers };
        await this.sleep(fault.delayMs);
      }
    }
    return { kind: 'reply', status: r.status, body: r.body, headers };
  }

  upgrade(req: http.IncomingMessage, socket: Socket, head: Buffer): boolean {
    const url = new URL(req.url ?? '/', 'http://emulator');
    const now = this.o.now();
    const ip = req.socket.remoteAddress ?? 'unknown';
    let accountId: number | undefined;
    if (url.pathname.startsWith('/ws/')) {
      accountId = this.api.listenKeyAccount(url.pathname.slice('/ws/'.length), now);
      if (accountId === undefined) return false;
    } else if (url.pathname !== '/ws-api/v3') return false;
    this.wss.handleUpgrade(req, socket, head, (ws) => {
      const stream: Stream = { ws, accountId, subs: new Map() };
      this.streams.add(stream);
      ws.on('error', () => undefined);
      ws.on('close', () => this.streams.delete(stream));
      if (accountId !== undefined) return;
      ws.on('message', (data: RawData) => {
        const { frame, action } = this.api.wsApi(rawText(data), ip, this.o.now());
        if (action?.kind === 'subscribe') stream.subs.set(action.subscriptionId, action.account.id);
        else if (action?.kind === 'unsubscribe') {
          if (action.subscriptionId === undefined) stream.subs.clear();
          else stream.subs.delete(action.subscriptionId);
        }
        this.send(stream, frame);
      });
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

  /**
   * Publishes user events to the account's streams, applying the armed stream faults: a dropped
   * stream (the events are lost to it), a trade delivered twice, or a trade delivered after the
   * event that followed it.
   */
  private deliver(events: readonly UserEvent[]): void {
    const frames = events.map((e) => ({ e, wire: encodeUserEvent(e, e.kind === 'execution' ? this.marketIdOf(e.order.symbol) : '', this.api.nextExecutionId()) }));
    let held: (typeof frames)[number] | undefined;
    for (const f of frames) {
      const isTrade = f.e.kind === 'execution' && f.e.exec === 'TRADE';
      if (isTrade && this.streamsOf(f.e.accountId).length > 0) {
        const fault = this.o.faults.takePrivate(VENUE, ['user_stream_drop', 'fill_duplicate', 'fill_out_of_order']);
        if (fault?.kind === 'user_stream_drop') {
          const dropped = this.streamsOf(f.e.accountId);
          for (const s of dropped) {
            s.ws.terminate();
            this.streams.delete(s);
          }
          this.o.metrics.fault(VENUE, 'user_stream_drop', dropped.length);
          continue;
        }
        if (fault?.kind === 'fill_duplicate') {
          this.o.metrics.fault(VENUE, 'fill_duplicate');
          this.publish(f.e.accountId, f.wire);
        } else if (fault?.kind === 'fill_out_of_order' && !held) {
          this.o.metrics.fault(VENUE, 'fill_out_of_order');
          held = f;
          continue;
        }
      }
      this.publish(f.e.accountId, f.wire);
      if (held && held !== f) {
        this.publish(held.e.accountId, held.wire);
        held = undefined;
      }
    }
    if (held) this.publish(held.e.accountId, held.wire);
  }

  private sleep(ms: number): Promise<void> {
    return this.held.sleep(ms);
  }

  private streamsOf(accountId: number): Stream[] {
    return [...this.streams].filter((s) => s.accountId === accountId || [...s.subs.values()].includes(accountId));
  }

  private publish(accountId: number, event: Record<string, unknown>): void {
    for (const s of this.streams) {
      if (s.accountId === accountId) this.send(s, JSON.stringify(event));
      for (const [sid, acc] of s.subs) if (acc === accountId) this.send(s, JSON.stringify({ subscriptionId: sid, event }));
    }
  }

  private send(s: Stream, frame: string): void {
    if (s.ws.readyState === WebSocket.OPEN) s.ws.send(frame);
  }
}

function rawText(data: RawData): string {
  if (Buffer.isBuffer(data)) return data.toString('utf8');
  if (Array.isArray(data)) return Buffer.concat(data).toString('utf8');
  return Buffer.from(data).toString('utf8');
}
