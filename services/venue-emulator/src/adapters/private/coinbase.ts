/**
 * Coinbase Advanced Trade private side on the venue's port: JWT-authenticated order, fill and
 * account endpoints, the `user` WebSocket channel on the public socket (JWT in the subscribe
 * message), the per-key request limit, and the order and user-stream faults armed in the fault book.
 */
import { createPublicKey, generateKeyPairSync, randomUUID, type KeyObject } from 'node:crypto';
import { URLSearchParams } from 'node:url';
import { Sleeper, type Logger } from '@cte/shared';
import type { VenueCodec } from '../../engine/encoders';
import type { FaultBook } from '../../engine/faults';
import type { VenueState, VenueUpdate } from '../../engine/market-state';
import { CoinbasePrivateApi, isKeyName, type CoinbaseKey } from '../../engine/private/coinbase-api';
import { rulesFromProducts, wsOrder } from '../../engine/private/coinbase-wire';
import { PrivateExchange, type Account, type AccountSpec } from '../../engine/private/exchange';
import type { UserEvent } from '../../engine/private/types';
import type { EmulatorMetrics } from '../metrics';
import type { PrivateWsConn, PrivateWsHook } from '../venue-server';
import { deliverWithFaults } from './coinbase-delivery';
import type { AccountRequest, CreatedAccount, LimitField, PrivateRestContext, PrivateRestResult, PrivateVenue } from './types';

const VENUE = 'coinbase';
/** Coinbase publishes 30 private REST requests per second per key. */
export const COINBASE_REQUESTS_PER_SECOND = 30;
/** What Coinbase's proxy answers when the backend fails after taking the order. */
const UPSTREAM_FAILURE = 'upstream connect error or disconnect/reset before headers. reset reason: connection termination';

export interface CoinbasePrivateOptions {
  state: VenueState;
  codec: VenueCodec;
  faults: FaultBook;
  metrics: EmulatorMetrics;
  logger: Logger;
  now: () => number;
  /** Host name clients put in the JWT `uri` claim (default api.coinbase.com). */
  publicHost?: string;
  requestsPerSecond?: number;
}

interface UserSub {
  conn: PrivateWsConn;
  accountId: number;
  /** Symbols followed ('' set = all). */
  symbols: Set<string>;
}

const LIMITS: readonly LimitField[] = [{ name: 'requests_per_second', min: 1, max: 1_000_000 }];

export class CoinbasePrivate implements PrivateVenue, PrivateWsHook {
  readonly venue = VENUE;
  readonly limitFields = LIMITS;
  readonly exchange: PrivateExchange;
  readonly api: CoinbasePrivateApi;
  private readonly keys = new Map<string, CoinbaseKey>();
  private readonly marketIds = new Map<string, string>();
  private readonly subs = new Set<UserSub>();
  /** Replies held back by order_timeout; woken at close so shutdown never waits for them. */
  private readonly held = new Sleeper();

  constructor(private readonly o: CoinbasePrivateOptions) {
    for (const m of o.state.markets.values()) this.marketIds.set(o.codec.marketId(m.def), m.def.symbol);
    const products = o.codec.rest({ method: 'GET', path: '/api/v3/brokerage/market/products', query: new URLSearchParams(), body: '', headers: {} }, o.state, o.now());
    this.exchange = new PrivateExchange(o.state, rulesFromProducts(products.body, (id) => this.marketIds.get(id)), { feeInQuote: true, uniqueClientOrderIds: 'all' });
    this.api = new CoinbasePrivateApi({
      exchange: this.exchange,
      keyOf: (k) => this.keys.get(k),
      symbolOf: (id) => this.marketIds.get(id),
      marketIdOf: (s) => this.marketIdOf(s),
      publicHost: o.publicHost ?? 'api.coinbase.com',
      uuid: randomUUID,
      requestsPerSecond: o.requestsPerSecond ?? COINBASE_REQUESTS_PER_SECOND,
    });
  }

  marketIdOf(symbol: string): string {
    const m = this.o.state.market(symbol);
    return m ? this.o.codec.marketId(m.def) : symbol.replace('/', '-');
  }

  get connections(): number {
    return new Set([...this.subs].map((s) => s.conn)).size;
  }

  /** `user` channel subscriptions open. */
  get subscribed(): number {
    return this.subs.size;
  }

  /** A CDP API key: key name `organizations/{uuid}/apiKeys/{uuid}` and EC P-256 private key (PEM, the `secret` a client signs with). */
  createAccount(spec: AccountRequest): CreatedAccount {
    if (spec.passphrase !== undefined) throw new Error('passphrase is not used by coinbase');
    const apiKey = spec.apiKey ?? `organizations/${randomUUID()}/apiKeys/${randomUUID()}`;
    if (!isKeyName(apiKey)) throw new Error('api_key must be a CDP key name: organizations/{uuid}/apiKeys/{uuid}');
    let secret = spec.secret;
    let publicKey: KeyObject;
    if (secret === undefined) {
      const pair = generateKeyPairSync('ec', { namedCurve: 'P-256' });
      secret = pair.privateKey.export({ type: 'sec1', format: 'pem' }).toString();
      publicKey = pair.publicKey;
    } else {
      try {
        publicKey = createPublicKey(secret);
      } catch {
        throw new Error('secret must be an EC P-256 private key in PEM');
      }
      if (publicKey.asymmetricKeyDetails?.namedCurve !== 'prime256v1') throw new Error('secret must be an EC P-256 private key in PEM');
    }
    const full: AccountSpec = { apiKey, secret, balances: spec.balances };
    if (spec.makerRate !== undefined) full.makerRate = spec.makerRate;
    if (spec.takerRate !== undefined) full.takerRate = spec.takerRate;
    const a = this.exchange.createAccount(full, this.o.now());
    this.keys.set(apiKey, { publicKey, userId: randomUUID() });
    return { account: a, credentials: { apiKey, secret } };
  }

  limits(): Record<string, number> {
    return this.api.limiter.limitsAs('requests_per_second');
  }

  setLimits(patch: Readonly<Record<string, number>>): Record<string, number> {
    return this.api.limiter.limitsAs('requests_per_second', patch);
  }

  async rest(ctx: PrivateRestContext): Promise<PrivateRestResult> {
    if (!this.api.isPrivate(ctx.method, ctx.path)) return { kind: 'public', headers: {} };
    const auth = ctx.headers['authorization'];
    const host = ctx.headers['host'];
    const r = await this.api.handle({ method: ctx.method, path: ctx.path, query: new URLSearchParams(ctx.rawQuery), body: ctx.body, authorization: typeof auth === 'string' ? auth : undefined, host: typeof host === 'string' ? host : undefined, ip: ctx.ip }, this.o.now());
    this.deliver(r.events);
    if (r.accepted) {
      const fault = this.o.faults.takePrivate(VENUE, ['order_lost_ack', 'order_timeout', 'order_5xx_after_accept']);
      if (fault) {
        this.o.metrics.fault(VENUE, fault.kind);
        if (fault.kind === 'order_lost_ack') return { kind: 'destroy' };
        if (fault.kind === 'order_5xx_after_accept') return { kind: 'reply', status: fault.status, body: Buffer.from(UPSTREAM_FAILURE), headers: { 'content-type': 'text/plain' } };
        await this.held.sleep(fault.delayMs);
      }
    }
    if (r.text !== undefined) return { kind: 'reply', status: r.status, body: Buffer.from(r.text), headers: r.headers };
    return { kind: 'reply', status: r.status, body: r.body, headers: r.headers };
  }

  upgrade(): boolean {
    return false;
  }

  /** A `user` channel subscribe/unsubscribe on the public socket; other channels go to the codec. */
  message(conn: PrivateWsConn, text: string): boolean {
    let msg: unknown;
    try {
      msg = JSON.parse(text);
    } catch {
      return false;
    }
    if (typeof msg !== 'object' || msg === null || (msg as Record<string, unknown>)['channel'] !== 'user') return false;
    const m = msg as Record<string, unknown>;
    const type = m['type'];
    const ids = m['product_ids'] ?? [];
    const jwt = m['jwt'];
    const fail = (message: string): void => conn.send(JSON.stringify({ type: 'error', message }));
    if (type !== 'subscribe' && type !== 'unsubscribe') {
      fail('Failed to parse message: expected type subscribe or unsubscribe');
      return true;
    }
    if (!Array.isArray(ids) || !ids.every((i) => typeof i === 'string')) {
      fail('product_ids must be a list of strings');
      return true;
    }
    const symbols = new Set<string>();
    for (const id of ids) {
      const s = this.marketIds.get(id);
      if (!s) {
        fail(`Failed to subscribe: product ${id.slice(0, 40)} not found`);
        return true;
      }
      symbols.add(s);
    }
    if (typeof jwt !== 'string' || jwt.length > 4096) {
      fail('authentication failure');
      return true;
    }
    this.api
      .verify(jwt, this.o.now())
      .then((a) => {
        if (!a) return fail('authentication failure');
        if (type === 'unsubscribe') {
          for (const s of [...this.subs]) if (s.conn === conn && s.accountId === a.id) this.subs.delete(s);
          conn.send(this.envelope(conn, 'subscriptions', [{ subscriptions: {} }]));
          return;
        }
        this.subs.add({ conn, accountId: a.id, symbols });
        const userId = this.api.userId(a);
        conn.send(this.envelope(conn, 'subscriptions', [{ subscriptions: { user: [userId] } }]));
        const open = this.exchange.openOrders(a).filter((o) => symbols.size === 0 || symbols.has(o.symbol));
        const ids2 = this.api.ids(a);
        conn.send(this.envelope(conn, 'user', [{ type: 'snapshot', orders: open.map((o) => wsOrder(ids2, o, this.api.extras(a, o))), positions: { perpetual_futures_positions: [], expiring_futures_positions: [] } }]));
      })
      .catch((err: unknown) => {
        this.o.logger.error({ err: err instanceof Error ? err.message : 'unknown', venue: VENUE }, 'user channel subscribe failed');
        fail('internal error');
      });
    return true;
  }

  closed(conn: PrivateWsConn): void {
    for (const s of [...this.subs]) if (s.conn === conn) this.subs.delete(s);
  }

  onUpdate(u: VenueUpdate): void {
    this.deliver(this.exchange.onUpdate(u, this.o.now()));
  }

  close(): void {
    this.held.wakeAll();
    this.subs.clear();
  }

  private deliver(events: readonly UserEvent[]): void {
    deliverWithFaults(
      {
        venue: VENUE,
        faults: this.o.faults,
        metrics: this.o.metrics,
        streams: (id) => this.subsOf(id).length,
        drop: (id) => {
          const conns = new Set(this.subsOf(id).map((s) => s.conn));
          for (const c of conns) c.terminate();
          for (const s of [...this.subs]) if (conns.has(s.conn)) this.subs.delete(s);
          return conns.size;
        },
        publish: (e) => this.publish(e),
      },
      events,
    );
  }

  private subsOf(accountId: number): UserSub[] {
    return [...this.subs].filter((s) => s.accountId === accountId);
  }

  /** One order update on the `user` channel (balances have no Coinbase user event). */
  private publish(e: UserEvent): void {
    if (e.kind !== 'execution') return;
    const a = [...this.subs].find((s) => s.accountId === e.accountId);
    if (!a) return;
    const account = this.accountById(e.accountId);
    if (!account) return;
    const order = wsOrder(this.api.ids(account), e.order, this.api.extras(account, e.order));
    for (const s of this.subsOf(e.accountId)) {
      if (s.symbols.size > 0 && !s.symbols.has(e.order.symbol)) continue;
      s.conn.send(this.envelope(s.conn, 'user', [{ type: 'update', orders: [order] }]));
    }
  }

  private accountById(id: number): Account | undefined {
    for (const k of this.keys.keys()) {
      const a = this.exchange.account(k);
      if (a?.id === id) return a;
    }
    return undefined;
  }

  private envelope(conn: PrivateWsConn, channel: string, events: unknown[]): string {
    const seq = conn.session.outSeq;
    conn.session.outSeq += 1;
    return JSON.stringify({ channel, client_id: '', timestamp: `${new Date(this.o.now()).toISOString().slice(0, -1)}000Z`, sequence_num: seq, events });
  }
}
