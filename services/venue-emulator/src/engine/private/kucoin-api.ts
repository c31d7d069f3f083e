/**
 * KuCoin spot private REST (classic account): API-key v2 authentication as the venue does it
 * (KC-API-SIGN = base64 HMAC-SHA256 of timestamp + method + endpoint + body, KC-API-PASSPHRASE
 * itself HMAC-signed with the secret, KC-API-TIMESTAMP within 5 s), the per-key resource pool,
 * and the order, fill and account endpoints over the private exchange. Pure apart from HMAC: time
 * and ids are passed in.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import { decAdd as addDec } from '../decimal';
import { DECIMAL_RE } from './dec';
import type { Account, PrivateExchange } from './exchange';
import { WindowLimiter } from './rate-limit';
import type { Fill, Order, OrderRequest, TimeInForce, UserEvent } from './types';
import { accountsReply, fillObject, KC_ERRORS, kucoinRejection, orderObject, page, param, type KucoinError, type KucoinIds } from './kucoin-wire';

export interface KucoinHttpRequest {
  method: string;
  path: string;
  rawQuery: string;
  body: string;
  headers: Readonly<Record<string, string | string[] | undefined>>;
}

export interface KucoinReply {
  status: number;
  body: unknown;
  headers: Record<string, string>;
  events: UserEvent[];
  accepted: boolean;
  /** The account the request authenticated (bullet-private hands it a token). */
  account?: Account;
}

export interface KucoinPrivateApiOptions {
  exchange: PrivateExchange;
  passphraseOf: (apiKey: string) => string | undefined;
  symbolOf: (marketId: string) => string | undefined;
  marketIdOf: (symbol: string) => string;
  /** Random lowercase hex of `len` characters (order ids). */
  randomHex: (len: number) => string;
  /** The spot resource pool per key per 30 s (KuCoin VIP0: 4000). */
  poolPer30s: number;
}

const TIMESTAMP_WINDOW_MS = 5000;
const POOL_WINDOW_MS = 30_000;
const CLIENT_OID_RE = /^[A-Za-z0-9_-]{1,40}$/;

/** Resource-pool weight per private route (KuCoin's published weights for the spot pool). */
const WEIGHTS: Record<string, number> = {
  'POST /api/v1/orders': 2,
  'DELETE /api/v1/orders/{id}': 3,
  'DELETE /api/v1/order/client-order/{id}': 5,
  'DELETE /api/v1/orders': 20,
  'GET /api/v1/orders/{id}': 2,
  'GET /api/v1/order/client-order/{id}': 3,
  'GET /api/v1/orders': 2,
  'GET /api/v1/fills': 10,
  'GET /api/v1/accounts': 5,
  'GET /api/v1/hf/accounts/opened': 2,
  'GET /api/ua/v1/account/mode': 2,
  'POST /api/v1/bullet-private': 10,
  // ccxt asks for these while loading markets with credentials; the emulator has no margin trading.
  'GET /api/v3/margin/symbols': 3,
  'GET /api/v1/isolated/symbols': 20,
};

function routeOf(method: string, path: string): { route: string; id: string | undefined } | undefined {
  const byId = /^\/api\/v1\/(orders|order\/client-order)\/([^/]+)$/.exec(path);
  if (byId && (method === 'GET' || method === 'DELETE')) return { route: `${method} /api/v1/${byId[1] ?? ''}/{id}`, id: decodeURIComponent(byId[2] ?? '') };
  const route = `${method} ${path}`;
  return route in WEIGHTS ? { route, id: undefined } : undefined;
}

export class KucoinPrivateApi {
  readonly limiter: WindowLimiter;
  private readonly orderHex = new Map<number, string>();
  private readonly hexOrder = new Map<string, number>();
  private readonly tradeIds = new WeakMap<Fill, string>();
  private readonly counterIds = new WeakMap<Fill, string>();
  private readonly accountIds = new Map<string, string>();
  private nextTrade = 3_607_194_733_924_353;

  constructor(private readonly o: KucoinPrivateApiOptions) {
    this.limiter = new WindowLimiter(o.poolPer30s, POOL_WINDOW_MS);
  }

  isPrivate(method: string, path: string): boolean {
    return routeOf(method, path) !== undefined;
  }

  handle(req: KucoinHttpRequest, now: number): KucoinReply {
    const r = routeOf(req.method, req.path);
    if (!r) return this.fail(KC_ERRORS.notFound);
    const auth = this.authenticate(req, now);
    if ('status' in auth) return this.fail(auth);
    const a = auth;
    const v = this.limiter.take(a.apiKey, now, WEIGHTS[r.route] ?? 1);
    const rl = { 'gw-ratelimit-limit': String(this.limiter.limit), 'gw-ratelimit-remaining': String(v.remaining), 'gw-ratelimit-reset': String(v.resetMs) };
    if (!v.ok) return { ...this.fail(KC_ERRORS.tooMany), headers: rl };
    const q = new URLSearchParams(req.rawQuery);
    const reply = this.route(a, r.route, r.id, q, req.body, now);
    return { ...reply, headers: { ...rl, ...reply.headers } };
  }

  ids(): KucoinIds {
    return {
      orderId: (o) => this.orderId(o),
      tradeId: (f) => this.tradeId(f),
      counterOrderId: (f) => this.counterId(f),
      marketId: (s) => this.o.marketIdOf(s),
      accountId: (accountId, asset) => this.accountId(`${accountId}:${asset}`),
    };
  }

  orderId(o: Order): string {
    let h = this.orderHex.get(o.id);
    if (!h) {
      h = this.o.randomHex(24);
      this.orderHex.set(o.id, h);
      this.hexOrder.set(h, o.id);
    }
    return h;
  }

  private tradeId(f: Fill): string {
    let t = this.tradeIds.get(f);
    if (!t) {
      t = String(this.nextTrade++);
      this.tradeIds.set(f, t);
    }
    return t;
  }

  private counterId(f: Fill): string {
    let t = this.counterIds.get(f);
    if (!t) {
      t = this.o.randomHex(24);
      this.counterIds.set(f, t);
    }
    return t;
  }

  private accountId(asset: string): string {
    let id = this.accountIds.get(asset);
    if (!id) {
      id = this.o.randomHex(24);
      this.accountIds.set(asset, id);
    }
    return id;
  }

  private route(a: Account, route: string, id: string | undefined, q: URLSearchParams, body: string, now: number): KucoinReply {
    switch (route) {
      case 'GET /api/v1/accounts': {
        const type = q.get('type');
        const currency = q.get('currency');
        const lines = type === null || type === 'trade' ? this.o.exchange.balances(a).filter((b) => currency === null || b.asset === currency) : [];
        return this.ok(accountsReply(lines, (x) => this.accountId(`${a.id}:${x}`)));
      }
      case 'GET /api/v1/hf/accounts/opened':
        return this.ok(false);
      case 'GET /api/ua/v1/account/mode':
        return this.ok({ selfAccountMode: 'CLASSIC' });
      case 'GET /api/v3/margin/symbols':
        return this.ok({ timestamp: now, items: [] });
      case 'GET /api/v1/isolated/symbols':
        return this.ok([]);
      case 'POST /api/v1/bullet-private':
        return { ...this.ok(undefined), account: a };
      case 'POST /api/v1/orders':
        return this.create(a, body, now);
      case 'GET /api/v1/orders/{id}':
      case 'GET /api/v1/order/client-order/{id}': {
        const o = route.includes('client-order') ? this.byClientOid(a, id ?? '') : this.byHex(a, id ?? '');
        return o ? this.ok(this.orderInfo(a, o)) : this.fail(KC_ERRORS.orderNotFound);
      }
      case 'DELETE /api/v1/orders/{id}':
      case 'DELETE /api/v1/order/client-order/{id}': {
        const byClient = route.includes('client-order');
        const o = byClient ? this.byClientOid(a, id ?? '') : this.byHex(a, id ?? '');
        if (!o) return this.fail(KC_ERRORS.cancelNotAllowed);
        const r = this.o.exchange.cancel(a, o.symbol, { orderId: o.id }, now);
        if (!r.ok) return this.fail(KC_ERRORS.cancelNotAllowed);
        const hex = this.orderId(o);
        return { ...this.ok(byClient ? { cancelledOrderId: hex, clientOid: o.clientOrderId } : { cancelledOrderIds: [hex] }), events: r.events };
      }
      case 'DELETE /api/v1/orders': {
        const symbolId = q.get('symbol');
        const symbols = symbolId === null ? [...new Set(this.o.exchange.openOrders(a).map((o) => o.symbol))] : [this.o.symbolOf(symbolId)];
        if (symbols.some((s) => s === undefined)) return this.fail(param('Unsupported trading pair.'));
        const cancelled: string[] = [];
        const events: UserEvent[] = [];
        for (const s of symbols as string[]) {
          const r = this.o.exchange.cancelAll(a, s, now);
          if (!r.ok) continue;
          cancelled.push(...r.orders.map((o) => this.orderId(o)));
          events.push(...r.events);
        }
        return { ...this.ok({ cancelledOrderIds: cancelled }), events };
      }
      case 'GET /api/v1/orders':
        return this.listOrders(a, q);
      default:
        return this.listFills(a, q);
    }
  }

  private authenticate(req: KucoinHttpRequest, now: number): Account | KucoinError {
    const h = (name: string): string | undefined => {
      const v = req.headers[name];
      return typeof v === 'string' && v !== '' ? v : undefined;
    };
    const key = h('kc-api-key');
    const sign = h('kc-api-sign');
    const ts = h('kc-api-timestamp');
    const passphrase = h('kc-api-passphrase');
    if (!key || !sign || !ts || !passphrase) return KC_ERRORS.missingHeaders;
    const a = this.o.exchange.account(key);
    const expected = this.o.passphraseOf(key);
    if (!a || expected === undefined) return KC_ERRORS.unknownKey;
    if (!/^\d{13}$/.test(ts) || Math.abs(now - Number(ts)) > TIMESTAMP_WINDOW_MS) return KC_ERRORS.badTimestamp;
    const version = h('kc-api-key-version') ?? '1';
    if (version !== '2') return KC_ERRORS.badKeyVersion;
    if (!base64Equal(hmac(a.secret, expected), passphrase)) return KC_ERRORS.badPassphrase;
    const endpoint = req.path + (req.rawQuery === '' ? '' : `?${req.rawQuery}`);
    return base64Equal(hmac(a.secret, ts + req.method + endpoint + req.body), sign) ? a : KC_ERRORS.badSign;
  }

  private create(a: Account, body: string, now: number): KucoinReply {
    const p = parseOrder(body);
    if ('status' in p) return this.fail(p);
    const symbol = this.o.symbolOf(p.symbolId);
    if (!symbol) return this.fail(param('Unsupported trading pair.'));
    const req = p.req(symbol);
    const r = this.o.exchange.submit(a, req, now);
    if (!r.ok) return this.fail(kucoinRejection(r.reason, req, this.o.exchange.market(symbol)));
    return { status: 200, body: { code: '200000', data: { orderId: this.orderId(r.order) } }, headers: {}, events: r.events, accepted: true };
  }

  private orderInfo(a: Account, o: Order): Record<string, unknown> {
    const fills = a.trades.filter((t) => t.orderId === o.id);
    let fee = '0';
    for (const f of fills) fee = addDec(fee, f.commission);
    const r = this.o.exchange.market(o.symbol);
    const feeCurrency = fills[0]?.commissionAsset ?? (o.side === 'BUY' ? (r?.base ?? '') : (r?.quote ?? ''));
    return orderObject(this.ids(), o, fee, feeCurrency, o.status === 'NEW' || o.status === 'PARTIALLY_FILLED');
  }

  private listOrders(a: Account, q: URLSearchParams): KucoinReply {
    const status = q.get('status');
    if (status !== null && status !== 'active' && status !== 'done') return this.fail(param('status not in the given range!'));
    const filters = this.filters(q);
    if ('status' in filters) return this.fail(filters);
    const list = [...a.orders.values()]
      .filter((o) => {
        const active = o.status === 'NEW' || o.status === 'PARTIALLY_FILLED';
        return (status === null || (status === 'active') === active) && filters.match(o.symbol, o.side, o.time) && (filters.type === null || filters.type === (o.type === 'MARKET' ? 'market' : 'limit'));
      })
      .sort((x, y) => y.id - x.id);
    return this.ok(page(list.map((o) => this.orderInfo(a, o)), filters.currentPage, filters.pageSize));
  }

  private listFills(a: Account, q: URLSearchParams): KucoinReply {
    const filters = this.filters(q);
    if ('status' in filters) return this.fail(filters);
    const orderHex = q.get('orderId');
    const orderId = orderHex === null ? undefined : (this.hexOrder.get(orderHex) ?? -1);
    const list = a.trades.filter((t) => filters.match(t.symbol, t.side, t.time) && (orderId === undefined || t.orderId === orderId)).reverse();
    const ids = this.ids();
    return this.ok(page(list.map((f) => { const o = a.orders.get(f.orderId); return fillObject(ids, f, o, f.isMaker ? a.makerRate : a.takerRate); }), filters.currentPage, filters.pageSize));
  }

  private filters(q: URLSearchParams): { match: (symbol: string, side: string, t: number) => boolean; type: string | null; currentPage: number; pageSize: number } | KucoinError {
    const ids = (q.get('symbol') ?? '').split(',').filter((s) => s !== '');
    const symbols = new Set<string>();
    for (const id of ids) {
      const s = this.o.symbolOf(id);
      if (!s) return param('Unsupported trading pair.');
      symbols.add(s);
    }
    const side = q.get('side');
    if (side !== null && side !== 'buy' && side !== 'sell') return param('side not in the given range!');
    const int = (name: string, def: number, min: number, max: number): number | undefined => {
      const v = q.get(name);
      if (v === null || v === '') return def;
      if (!/^\d{1,16}$/.test(v)) return undefined;
      return Math.min(Math.max(Number(v), min), max);
    };
    const startAt = int('startAt', 0, 0, Number.MAX_SAFE_INTEGER);
    const endAt = int('endAt', Number.MAX_SAFE_INTEGER, 0, Number.MAX_SAFE_INTEGER);
    const currentPage = int('currentPage', 1, 1, 1_000_000);
    const pageSize = int('pageSize', 50, 10, 500);
    if (startAt === undefined || endAt === undefined || currentPage === undefined || pageSize === undefined) return param('Invalid numeric parameter.');
    return {
      match: (symbol, s, t) => (symbols.size === 0 || symbols.has(symbol)) && (side === null || side.toUpperCase() === s) && t >= startAt && t <= endAt,
      type: q.get('type'),
      currentPage,
      pageSize,
    };
  }

  private byHex(a: Account, hex: string): Order | undefined {
    const id = this.hexOrder.get(hex);
    return id === undefined ? undefined : a.orders.get(id);
  }

  private byClientOid(a: Account, cid: string): Order | undefined {
    let found: Order | undefined;
    for (const o of a.orders.values()) if (o.clientOrderId === cid) found = o;
    return found;
  }

  private ok(data: unknown): KucoinReply {
    return { status: 200, body: data === undefined ? { code: '200000' } : { code: '200000', data }, headers: {}, events: [], accepted: false };
  }

  private fail(e: KucoinError): KucoinReply {
    return { status: e.status, body: e.body, headers: {}, events: [], accepted: false };
  }
}

function hmac(secret: string, payload: string): string {
  return createHmac('sha256', secret).update(payload).digest('base64');
}

function base64Equal(expected: string, got: string): boolean {
  const a = Buffer.from(expected);
  const b = Buffer.from(got);
  return a.length === b.length && timingSafeEqual(a, b);
}

const TIFS: readonly string[] = ['GTC', 'IOC', 'FOK'];

/** POST /api/v1/orders body → an order request (limit GTC/IOC/FOK, post-only, market by size or funds). */
export function parseOrder(body: string): { symbolId: string; req: (symbol: string) => OrderRequest } | KucoinError {
  let v: unknown;
  try {
    v = JSON.parse(body);
  } catch {
    return param('Invalid request body.');
  }
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return param('Invalid request body.');
  const b = v as Record<string, unknown>;
  const str = (k: string): string | undefined => (typeof b[k] === 'string' && b[k] !== '' ? (b[k]) : typeof b[k] === 'number' ? String(b[k]) : undefined);
  const clientOid = str('clientOid');
  if (clientOid === undefined || !CLIENT_OID_RE.test(clientOid)) return param('clientOid should not be empty and at most 40 characters.');
  const side = str('side');
  if (side !== 'buy' && side !== 'sell') return param('side not in the given range!');
  const symbolId = str('symbol');
  if (symbolId === undefined) return param('symbol should not be empty.');
  const type = str('type') ?? 'limit';
  if (type !== 'limit' && type !== 'market') return param('type not in the given range!');
  const size = str('size');
  const price = str('price');
  const funds = str('funds');
  for (const d of [size, price, funds]) if (d !== undefined && !DECIMAL_RE.test(d)) return param('Invalid numeric parameter.');
  const tif = str('timeInForce') ?? 'GTC';
  if (!TIFS.includes(tif)) return param('timeInForce not in the given range!');
  const postOnly = b['postOnly'] === true;
  const s: 'BUY' | 'SELL' = side === 'buy' ? 'BUY' : 'SELL';
  if (type === 'limit') {
    if (price === undefined) return param('price should not be empty.');
    if (size === undefined) return param('size should not be empty.');
    return { symbolId, req: (symbol) => ({ symbol, side: s, type: postOnly ? 'LIMIT_MAKER' : 'LIMIT', timeInForce: tif as TimeInForce, qty: size, quoteQty: undefined, price, clientOrderId: clientOid }) };
  }
  if ((size === undefined) === (funds === undefined)) return param('size or funds should not be empty, but not both.');
  return { symbolId, req: (symbol) => ({ symbol, side: s, type: 'MARKET', timeInForce: 'IOC', qty: size, quoteQty: funds, price: undefined, clientOrderId: clientOid }) };
}

