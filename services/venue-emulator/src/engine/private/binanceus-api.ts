/**
 * Binance.US private REST (api/v3) and WebSocket API requests: authentication as the venue does
 * it (X-MBX-APIKEY, HMAC-SHA256 `signature` over query + body, `timestamp` within `recvWindow`),
 * request weight and order counts, listen keys, and the order endpoints over the private
 * exchange. Pure apart from HMAC: time and random ids are passed in.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import { URLSearchParams } from 'node:url';
import type { Account, OrderRef, PrivateExchange } from './exchange';
import { DECIMAL_RE } from './dec';
import type { RateLimiter } from './rate-limit';
import type { OrderRequest, OrderSide, OrderType, TimeInForce, UserEvent } from './types';
import {
  accountInfo,
  banned,
  cancelReply,
  ERRORS,
  illegal,
  mandatory,
  myTrade,
  newOrderReply,
  notRequired,
  orderInfo,
  rejection,
  tooManyOrders,
  tooMuchWeight,
  type BinanceError,
  type RespType,
} from './binanceus-wire';

export interface PrivateHttpRequest {
  method: string;
  path: string;
  /** The raw query string without '?'. */
  rawQuery: string;
  body: string;
  apiKey: string | undefined;
  ip: string;
}

export interface PrivateReply {
  status: number;
  body: unknown;
  headers: Record<string, string>;
  events: UserEvent[];
  /** A new order was accepted (the order faults act on these replies). */
  accepted: boolean;
}

const KEY_RE = /^[A-Za-z0-9]{64}$/;
const CLIENT_ID_RE = /^[.A-Z:/a-z0-9_-]{1,36}$/;
const CLIENT_ID_LEGAL = '^[\\.A-Z\\:/a-z0-9_-]{1,36}$';
const DECIMAL_LEGAL = '^([0-9]{1,20})(\\.[0-9]{1,20})?$';
const LISTEN_KEY_TTL = 60 * 60_000;
const MAX_RECV_WINDOW = 60_000;

type Security = 'SIGNED' | 'USER_STREAM';
interface Route {
  security: Security;
  weight: (q: URLSearchParams) => number;
}

const PRIVATE_ROUTES: Record<string, Route> = {
  'POST /api/v3/order': { security: 'SIGNED', weight: () => 1 },
  'POST /api/v3/order/test': { security: 'SIGNED', weight: () => 1 },
  'GET /api/v3/order': { security: 'SIGNED', weight: () => 2 },
  'DELETE /api/v3/order': { security: 'SIGNED', weight: () => 1 },
  'DELETE /api/v3/openOrders': { security: 'SIGNED', weight: () => 1 },
  'GET /api/v3/openOrders': { security: 'SIGNED', weight: (q) => (q.has('symbol') ? 3 : 40) },
  'GET /api/v3/allOrders': { security: 'SIGNED', weight: () => 10 },
  'GET /api/v3/myTrades': { security: 'SIGNED', weight: () => 10 },
  'GET /api/v3/account': { security: 'SIGNED', weight: () => 10 },
  'POST /api/v3/userDataStream': { security: 'USER_STREAM', weight: () => 1 },
  'PUT /api/v3/userDataStream': { security: 'USER_STREAM', weight: () => 1 },
  'DELETE /api/v3/userDataStream': { security: 'USER_STREAM', weight: () => 1 },
};

/** Published weights of the public endpoints (Binance.US api/v3). */
export function publicWeight(path: string, q: URLSearchParams): number {
  const p = path.replace(/^\/api\/v1\//, '/api/v3/');
  const all = !q.has('symbol') && !q.has('symbols');
  switch (p) {
    case '/api/v3/exchangeInfo':
      return 10;
    case '/api/v3/depth': {
      const limit = Number(q.get('limit') ?? '100');
      return limit <= 100 ? 1 : limit <= 500 ? 5 : limit <= 1000 ? 10 : 50;
    }
    case '/api/v3/ticker/24hr':
      return all ? 40 : 1;
    case '/api/v3/ticker/price':
    case '/api/v3/ticker/bookTicker':
      return all ? 2 : 1;
    default:
      return 1;
  }
}

export interface BinanceUsPrivateOptions {
  exchange: PrivateExchange;
  limiter: RateLimiter;
  /** Binance market id (COMPUSDT) → canonical symbol, and back. */
  symbolOf: (marketId: string) => string | undefined;
  marketIdOf: (symbol: string) => string;
  notionalFilter: string;
  /** Random [A-Za-z0-9] string of `len` characters (listen keys, generated client order ids). */
  randomId: (len: number) => string;
}

interface ListenKey {
  accountId: number;
  expiresAt: number;
}

export type WsApiAction = { kind: 'subscribe'; subscriptionId: number; account: Account } | { kind: 'unsubscribe'; subscriptionId: number | undefined };

export class BinanceUsPrivateApi {
  private readonly listenKeys = new Map<string, ListenKey>();
  private nextSubscriptionId = 0;
  private executionId = 4_644_480_641;

  constructor(private readonly o: BinanceUsPrivateOptions) {}

  isPrivate(method: string, path: string): boolean {
    return `${method} ${path}` in PRIVATE_ROUTES;
  }

  /**
   * Counts the request's weight for its IP. Returns the refusal (429/418) or the headers every
   * reply carries.
   */
  gate(ip: string, method: string, path: string, query: URLSearchParams, now: number): { headers: Record<string, string>; refusal: BinanceError | undefined } {
    const route = PRIVATE_ROUTES[`${method} ${path}`];
    const v = this.o.limiter.weigh(ip, route ? route.weight(query) : publicWeight(path, query), now);
    const headers: Record<string, string> = { 'X-MBX-USED-WEIGHT-1M': String(v.used), 'X-MBX-USED-WEIGHT': String(v.used) };
    if (v.ok) return { headers, refusal: undefined };
    headers['Retry-After'] = String(v.retryAfterS);
    return { headers, refusal: v.status === 418 ? banned(v.bannedUntil) : tooMuchWeight(this.o.limiter.options.weightPerMinute) };
  }

  /** Answers a private route (after the gate let it through). */
  handle(req: PrivateHttpRequest, now: number): PrivateReply {
    const route = PRIVATE_ROUTES[`${req.method} ${req.path}`];
    if (!route) return this.fail(ERRORS.unknownRoute);
    const params = new URLSearchParams(req.rawQuery);
    for (const [k, v] of new URLSearchParams(req.body)) params.set(k, v);
    const auth = this.authenticate(req, params, route.security, now);
    if ('status' in auth) return this.fail(auth);
    const a = auth;
    switch (`${req.method} ${req.path}`) {
      case 'POST /api/v3/order':
      case 'POST /api/v3/order/test':
        return this.newOrder(a, params, req.path.endsWith('/test'), now);
      case 'GET /api/v3/order':
        return this.queryOrder(a, params);
      case 'DELETE /api/v3/order':
        return this.cancelOrder(a, params, now);
      case 'DELETE /api/v3/openOrders':
        return this.cancelAll(a, params, now);
      case 'GET /api/v3/openOrders':
        return this.openOrders(a, params);
      case 'GET /api/v3/allOrders':
        return this.allOrders(a, params);
      case 'GET /api/v3/myTrades':
        return this.myTrades(a, params);
      case 'GET /api/v3/account':
        return this.ok(accountInfo(this.o.exchange.balances(a), a.makerRate, a.takerRate, a.updateTime));
      case 'POST /api/v3/userDataStream':
        return this.ok({ listenKey: this.startListenKey(a, now) });
      default: {
        const key = params.get('listenKey');
        if (!key) return this.fail(mandatory('listenKey'));
        const lk = this.listenKeys.get(key);
        if (!lk || lk.accountId !== a.id || lk.expiresAt <= now) return this.fail(ERRORS.noListenKey);
        if (req.method === 'PUT') lk.expiresAt = now + LISTEN_KEY_TTL;
        else this.listenKeys.delete(key);
        return this.ok({});
      }
    }
  }

  /** The account a live listen key belongs to. */
  listenKeyAccount(key: string, now: number): number | undefined {
    const lk = this.listenKeys.get(key);
    return lk && lk.expiresAt > now ? lk.accountId : undefined;
  }

  /** Listen keys that expired or were deleted since they were handed out are gone. */
  isListenKeyLive(key: string, now: number): boolean {
    return this.listenKeyAccount(key, now) !== undefined;
  }

  nextExecutionId(): number {
    this.executionId += 1;
    return this.executionId;
  }

  /**
   * One WebSocket API request (`{id, method, params}`): the reply frame and what it asks the
   * connection to do.
   */
  wsApi(text: string, ip: string, now: number): { frame: string; action: WsApiAction | undefined } {
    let msg: unknown;
    try {
      msg = JSON.parse(text);
    } catch {
      msg = undefined;
    }
    const m = typeof msg === 'object' && msg !== null && !Array.isArray(msg) ? (msg as Record<string, unknown>) : undefined;
    const rawId = m?.['id'];
    const id = typeof rawId === 'string' || typeof rawId === 'number' ? rawId : null;
    const method = m?.['method'];
    const rawParams = m?.['params'] ?? {};
    const weight = method === 'userDataStream.subscribe.signature' ? 2 : 1;
    const v = this.o.limiter.weigh(ip, weight, now);
    const rateLimits = [{ rateLimitType: 'REQUEST_WEIGHT', interval: 'MINUTE', intervalNum: 1, limit: this.o.limiter.options.weightPerMinute, count: v.used }];
    const reply = (result: unknown, action?: WsApiAction): { frame: string; action: WsApiAction | undefined } => ({ frame: JSON.stringify({ id, status: 200, result, rateLimits }), action });
    const failure = (e: BinanceError, extra: Record<string, unknown> = {}): { frame: string; action: undefined } => ({ frame: JSON.stringify({ id, status: e.status, error: e.body, ...extra, rateLimits }), action: undefined });
    if (!v.ok) return failure(v.status === 418 ? banned(v.bannedUntil) : tooMuchWeight(this.o.limiter.options.weightPerMinute), { retryAfter: now + v.retryAfterS * 1000 });
    if (!m || typeof method !== 'string') return failure({ status: 400, body: { code: -1000, msg: 'Invalid request: expected an object with id, method and params.' } });
    if (typeof rawParams !== 'object' || rawParams === null || Array.isArray(rawParams)) return failure({ status: 400, body: { code: -1000, msg: "Invalid request: 'params' must be an object." } });
    const params = new Map<string, string>();
    for (const [k, val] of Object.entries(rawParams as Record<string, unknown>)) if (typeof val === 'string' || typeof val === 'number' || typeof val === 'boolean') params.set(k, String(val));
    switch (method) {
      case 'ping':
        return reply({});
      case 'time':
        return reply({ serverTime: now });
      case 'userDataStream.subscribe.signature': {
        const a = this.wsAuthenticate(params, now);
        if ('status' in a) return failure(a);
        const subscriptionId = this.nextSubscriptionId++;
        return reply({ subscriptionId }, { kind: 'subscribe', subscriptionId, account: a });
      }
      case 'userDataStream.unsubscribe': {
        const sid = params.get('subscriptionId');
        return reply({}, { kind: 'unsubscribe', subscriptionId: sid === undefined ? undefined : Number(sid) });
      }
      case 'userDataStream.start':
      case 'userDataStream.ping':
      case 'userDataStream.stop': {
        const key = params.get('apiKey');
        if (key === undefined || !KEY_RE.test(key)) return failure(ERRORS.badKeyFormat);
        const a = this.o.exchange.account(key);
        if (!a) return failure(ERRORS.unknownKey);
        if (method === 'userDataStream.start') return reply({ listenKey: this.startListenKey(a, now) });
        const lk = this.listenKeys.get(params.get('listenKey') ?? '');
        if (!lk || lk.accountId !== a.id || lk.expiresAt <= now) return failure(ERRORS.noListenKey);
        if (method === 'userDataStream.ping') lk.expiresAt = now + LISTEN_KEY_TTL;
        else this.listenKeys.delete(params.get('listenKey') ?? '');
        return reply({});
      }
      default:
        return failure({ status: 400, body: { code: -1000, msg: `Unknown method '${method.slice(0, 60)}'.` } });
    }
  }

  private startListenKey(a: Account, now: number): string {
    for (const [k, lk] of this.listenKeys) {
      if (lk.accountId === a.id && lk.expiresAt > now) {
        lk.expiresAt = now + LISTEN_KEY_TTL;
        return k;
      }
    }
    const key = this.o.randomId(60);
    this.listenKeys.set(key, { accountId: a.id, expiresAt: now + LISTEN_KEY_TTL });
    return key;
  }

  private authenticate(req: PrivateHttpRequest, params: URLSearchParams, security: Security, now: number): Account | BinanceError {
    const key = req.apiKey;
    if (key === undefined || !KEY_RE.test(key)) return ERRORS.badKeyFormat;
    const a = this.o.exchange.account(key);
    if (!a) return ERRORS.unknownKey;
    if (security === 'USER_STREAM') return a;
    const time = this.checkTime(params.get('timestamp'), params.get('recvWindow'), now);
    if (time) return time;
    const signature = params.get('signature');
    if (!signature) return mandatory('signature');
    // totalParams = query string + body, each without its signature parameter (Binance's rule).
    const strip = (s: string): string => s.split('&').filter((kv) => kv !== '' && !kv.startsWith('signature=')).join('&');
    const payload = strip(req.rawQuery) + strip(req.body);
    return hmacMatches(a.secret, payload, signature) ? a : ERRORS.badSignature;
  }

  private wsAuthenticate(params: Map<string, string>, now: number): Account | BinanceError {
    const key = params.get('apiKey');
    if (key === undefined || !KEY_RE.test(key)) return ERRORS.badKeyFormat;
    const a = this.o.exchange.account(key);
    if (!a) return ERRORS.unknownKey;
    const time = this.checkTime(params.get('timestamp') ?? null, params.get('recvWindow') ?? null, now);
    if (time) return time;
    const signature = params.get('signature');
    if (!signature) return mandatory('signature');
    const payload = [...params.keys()].filter((k) => k !== 'signature').sort().map((k) => `${k}=${params.get(k) ?? ''}`).join('&');
    return hmacMatches(a.secret, payload, signature) ? a : ERRORS.badSignature;
  }

  private checkTime(timestamp: string | null, recvWindow: string | null, now: number): BinanceError | undefined {
    if (!timestamp || !/^\d{1,16}$/.test(timestamp)) return mandatory('timestamp');
    let window = 5000;
    if (recvWindow !== null) {
      if (!/^\d{1,8}$/.test(recvWindow)) return illegal('recvWindow', '^[0-9]{1,8}$');
      window = Number(recvWindow);
      if (window > MAX_RECV_WINDOW) return ERRORS.badRecvWindow;
    }
    const ts = Number(timestamp);
    if (ts >= now + 1000) return ERRORS.aheadOfServer;
    if (now - ts > window) return ERRORS.outsideRecvWindow;
    return undefined;
  }

  private symbolParam(params: URLSearchParams): string | BinanceError {
    const id = params.get('symbol');
    if (!id) return mandatory('symbol');
    return this.o.symbolOf(id) ?? ERRORS.invalidSymbol;
  }

  private newOrder(a: Account, params: URLSearchParams, test: boolean, now: number): PrivateReply {
    const symbol = this.symbolParam(params);
    if (typeof symbol !== 'string') return this.fail(symbol);
    const parsed = parseNewOrder(params, symbol, this.o.randomId);
    if ('status' in parsed) return this.fail(parsed);
    const counts = this.o.limiter.countOrder(a.apiKey, now);
    const countHeaders = { 'X-MBX-ORDER-COUNT-10S': String(counts.count10s), 'X-MBX-ORDER-COUNT-1D': String(counts.countDay) };
    if (!counts.ok) return { ...this.fail(tooManyOrders(counts.limit, counts.interval)), headers: { ...countHeaders, 'Retry-After': String(counts.retryAfterS) } };
    if (test) return { ...this.ok({}), headers: countHeaders };
    const r = this.o.exchange.submit(a, parsed.req, now);
    if (!r.ok) return { ...this.fail(rejection(r.reason, this.o.notionalFilter)), headers: countHeaders };
    const resp = parsed.resp ?? 'FULL';
    return { status: 200, body: newOrderReply(this.o.marketIdOf(symbol), r.order, r.fills, resp), headers: countHeaders, events: r.events, accepted: true };
  }

  private orderRef(params: URLSearchParams): OrderRef | BinanceError {
    const id = params.get('orderId');
    if (id) return /^\d{1,18}$/.test(id) ? { orderId: Number(id) } : illegal('orderId', '^[0-9]{1,18}$');
    const cid = params.get('origClientOrderId');
    if (cid) return { clientOrderId: cid };
    return ERRORS.orderIdOrClientId;
  }

  private queryOrder(a: Account, params: URLSearchParams): PrivateReply {
    const symbol = this.symbolParam(params);
    if (typeof symbol !== 'string') return this.fail(symbol);
    const ref = this.orderRef(params);
    if ('status' in ref) return this.fail(ref);
    const o = this.o.exchange.find(a, symbol, ref);
    return o ? this.ok(orderInfo(this.o.marketIdOf(symbol), o)) : this.fail(ERRORS.noSuchOrder);
  }

  private cancelOrder(a: Account, params: URLSearchParams, now: number): PrivateReply {
    const symbol = this.symbolParam(params);
    if (typeof symbol !== 'string') return this.fail(symbol);
    const ref = this.orderRef(params);
    if ('status' in ref) return this.fail(ref);
    const cid = this.cancelClientId(params);
    if (typeof cid !== 'string') return this.fail(cid);
    const r = this.o.exchange.cancel(a, symbol, ref, now, cid);
    if (!r.ok) return this.fail(rejection(r.reason, this.o.notionalFilter));
    return { ...this.ok(cancelReply(this.o.marketIdOf(symbol), r.orders[0] as NonNullable<(typeof r.orders)[0]>, cid, now)), events: r.events };
  }

  private cancelAll(a: Account, params: URLSearchParams, now: number): PrivateReply {
    const symbol = this.symbolParam(params);
    if (typeof symbol !== 'string') return this.fail(symbol);
    const ids = new Map<number, string>();
    const r = this.o.exchange.cancelAll(a, symbol, now, (o) => {
      const id = this.o.randomId(22);
      ids.set(o.id, id);
      return id;
    });
    if (!r.ok) return this.fail(rejection(r.reason, this.o.notionalFilter));
    const market = this.o.marketIdOf(symbol);
    return { ...this.ok(r.orders.map((o) => cancelReply(market, o, ids.get(o.id) ?? '', now))), events: r.events };
  }

  private cancelClientId(params: URLSearchParams): string | BinanceError {
    const cid = params.get('newClientOrderId');
    if (cid === null) return this.o.randomId(22);
    return CLIENT_ID_RE.test(cid) ? cid : illegal('newClientOrderId', CLIENT_ID_LEGAL);
  }

  private openOrders(a: Account, params: URLSearchParams): PrivateReply {
    let symbol: string | undefined;
    if (params.has('symbol')) {
      const s = this.symbolParam(params);
      if (typeof s !== 'string') return this.fail(s);
      symbol = s;
    }
    return this.ok(this.o.exchange.openOrders(a, symbol).map((o) => orderInfo(this.o.marketIdOf(o.symbol), o)));
  }

  private allOrders(a: Account, params: URLSearchParams): PrivateReply {
    const symbol = this.symbolParam(params);
    if (typeof symbol !== 'string') return this.fail(symbol);
    const range = parseRange(params);
    if ('status' in range) return this.fail(range);
    const fromId = params.get('orderId');
    let list = this.o.exchange.allOrders(a, symbol).filter((o) => (fromId === null || o.id >= Number(fromId)) && inRange(o.time, range));
    list = range.startTime === undefined && fromId === null ? list.slice(-range.limit) : list.slice(0, range.limit);
    const market = this.o.marketIdOf(symbol);
    return this.ok(list.map((o) => orderInfo(market, o)));
  }

  private myTrades(a: Account, params: URLSearchParams): PrivateReply {
    const symbol = this.symbolParam(params);
    if (typeof symbol !== 'string') return this.fail(symbol);
    const range = parseRange(params);
    if ('status' in range) return this.fail(range);
    const orderId = params.get('orderId');
    const fromId = params.get('fromId');
    let list = this.o.exchange.trades(a, symbol).filter((t) => (orderId === null || t.orderId === Number(orderId)) && (fromId === null || t.tradeId >= Number(fromId)) && inRange(t.time, range));
    list = range.startTime === undefined && fromId === null ? list.slice(-range.limit) : list.slice(0, range.limit);
    const market = this.o.marketIdOf(symbol);
    return this.ok(list.map((t) => myTrade(market, t)));
  }

  private ok(body: unknown): PrivateReply {
    return { status: 200, body, headers: {}, events: [], accepted: false };
  }

  private fail(e: BinanceError): PrivateReply {
    return { status: e.status, body: e.body, headers: {}, events: [], accepted: false };
  }
}

function hmacMatches(secret: string, payload: string, signature: string): boolean {
  const expected = createHmac('sha256', secret).update(payload).digest();
  if (!/^[0-9a-fA-F]{64}$/.test(signature)) return false;
  return timingSafeEqual(expected, Buffer.from(signature, 'hex'));
}

interface Range {
  startTime: number | undefined;
  endTime: number | undefined;
  limit: number;
}

function parseRange(params: URLSearchParams): Range | BinanceError {
  const num = (name: string): number | undefined | BinanceError => {
    const v = params.get(name);
    if (v === null) return undefined;
    return /^\d{1,16}$/.test(v) ? Number(v) : illegal(name, '^[0-9]{1,16}$');
  };
  const startTime = num('startTime');
  const endTime = num('endTime');
  const limit = num('limit');
  for (const v of [startTime, endTime, limit]) if (typeof v === 'object') return v;
  for (const name of ['orderId', 'fromId']) {
    const v = params.get(name);
    if (v !== null && !/^\d{1,18}$/.test(v)) return illegal(name, '^[0-9]{1,18}$');
  }
  return { startTime: startTime as number | undefined, endTime: endTime as number | undefined, limit: Math.min(Math.max((limit as number | undefined) ?? 500, 1), 1000) };
}

function inRange(t: number, r: Range): boolean {
  return (r.startTime === undefined || t >= r.startTime) && (r.endTime === undefined || t <= r.endTime);
}

const SIDES: readonly OrderSide[] = ['BUY', 'SELL'];
const TYPES: readonly OrderType[] = ['LIMIT', 'MARKET', 'LIMIT_MAKER'];
/** Binance order types this emulator does not implement: refused as an unsupported combination. */
const UNSUPPORTED_TYPES = ['STOP_LOSS', 'STOP_LOSS_LIMIT', 'TAKE_PROFIT', 'TAKE_PROFIT_LIMIT'];
const TIFS: readonly TimeInForce[] = ['GTC', 'IOC', 'FOK'];
const RESP_TYPES: readonly RespType[] = ['ACK', 'RESULT', 'FULL'];

/** POST /api/v3/order parameters → an order request, with Binance's parameter errors. */
export function parseNewOrder(params: URLSearchParams, symbol: string, randomId: (len: number) => string): { req: OrderRequest; resp: RespType | undefined } | BinanceError {
  const side = params.get('side');
  if (!side) return mandatory('side');
  if (!SIDES.includes(side as OrderSide)) return ERRORS.invalidSide;
  const type = params.get('type');
  if (!type) return mandatory('type');
  if (UNSUPPORTED_TYPES.includes(type)) return ERRORS.unsupported;
  if (!TYPES.includes(type as OrderType)) return ERRORS.invalidType;
  const dec = (name: string): string | undefined | BinanceError => {
    const v = params.get(name);
    if (v === null || v === '') return undefined;
    return DECIMAL_RE.test(v) ? v : illegal(name, DECIMAL_LEGAL);
  };
  const qty = dec('quantity');
  const quoteQty = dec('quoteOrderQty');
  const price = dec('price');
  for (const v of [qty, quoteQty, price]) if (typeof v === 'object') return v;
  const tif = params.get('timeInForce');
  if (type === 'LIMIT') {
    if (!tif) return mandatory('timeInForce');
    if (!TIFS.includes(tif as TimeInForce)) return ERRORS.invalidTif;
    if (qty === undefined) return mandatory('quantity');
    if (price === undefined) return mandatory('price');
    if (quoteQty !== undefined) return notRequired('quoteOrderQty');
  } else if (type === 'LIMIT_MAKER') {
    if (tif) return notRequired('timeInForce');
    if (qty === undefined) return mandatory('quantity');
    if (price === undefined) return mandatory('price');
    if (quoteQty !== undefined) return notRequired('quoteOrderQty');
  } else {
    if (tif) return notRequired('timeInForce');
    if (price !== undefined) return notRequired('price');
    if (qty === undefined && quoteQty === undefined) return ERRORS.qtyOrQuote;
    if (qty !== undefined && quoteQty !== undefined) return notRequired('quoteOrderQty');
  }
  let clientOrderId = params.get('newClientOrderId');
  if (clientOrderId === null || clientOrderId === '') clientOrderId = randomId(22);
  else if (!CLIENT_ID_RE.test(clientOrderId)) return illegal('newClientOrderId', CLIENT_ID_LEGAL);
  const resp = params.get('newOrderRespType');
  if (resp !== null && !RESP_TYPES.includes(resp as RespType)) return illegal('newOrderRespType', 'ACK, RESULT, FULL');
  return {
    req: { symbol, side: side as OrderSide, type: type as OrderType, timeInForce: type === 'LIMIT' ? (tif as TimeInForce) : 'GTC', qty: qty as string | undefined, quoteQty: quoteQty as string | undefined, price: price as string | undefined, clientOrderId },
    resp: resp === null ? undefined : (resp as RespType),
  };
}
