/**
 * Coinbase Advanced Trade private REST: CDP API-key authentication as the venue does it (a
 * short-lived ES256 JWT per request, `kid` = key name, verified with jose against the key's public
 * key, with its `uri` claim naming method, host and path), the per-key request limit, and the
 * order, fill and account endpoints over the private exchange. Pure apart from the signature
 * check: time and ids are passed in.
 */
import type { KeyObject } from 'node:crypto';
import { decAdd as addDec } from '../decimal';
import { DECIMAL_RE } from './dec';
import type { Account, PrivateExchange } from './exchange';
import { WindowLimiter } from './rate-limit';
import type { Fill, Order, OrderRequest, UserEvent } from './types';
import {
  apiError,
  createFailure,
  failureOf,
  fillEntry,
  historicalOrder,
  statusOf,
  transactionSummary,
  v2Accounts,
  v3Accounts,
  type CoinbaseIds,
  type OrderExtras,
} from './coinbase-wire';

export interface CoinbaseHttpRequest {
  method: string;
  path: string;
  query: URLSearchParams;
  body: string;
  authorization: string | undefined;
  /** The Host header the client sent (the emulator's own address). */
  host: string | undefined;
  ip: string;
}

export interface CoinbaseReply {
  status: number;
  /** JSON, or raw text (Coinbase answers a failed authentication with a plain-text 401). */
  body: unknown;
  text?: string;
  headers: Record<string, string>;
  events: UserEvent[];
  accepted: boolean;
}

export interface CoinbaseKey {
  publicKey: KeyObject;
  userId: string;
}

export interface CoinbasePrivateApiOptions {
  exchange: PrivateExchange;
  /** Public key and user id per key name. */
  keyOf: (keyName: string) => CoinbaseKey | undefined;
  symbolOf: (productId: string) => string | undefined;
  marketIdOf: (symbol: string) => string;
  /** The host name real clients put in the `uri` claim (api.coinbase.com). */
  publicHost: string;
  uuid: () => string;
  /** Private REST requests per second per key (Coinbase publishes 30). */
  requestsPerSecond: number;
}

/** jose is ESM-only: loaded once, on first use, with a dynamic import (this package compiles to CommonJS). */
// eslint-disable-next-line @typescript-eslint/no-unsafe-assignment -- the lint parser cannot read import attributes in a type query
type Jose = typeof import('jose', { with: { 'resolution-mode': 'import' } });
let jose: Promise<Jose> | undefined;
function loadJose(): Promise<Jose> {
  return (jose ??= import('jose'));
}

/** JWTs may live at most this long (Coinbase: two minutes). */
const MAX_JWT_LIFETIME_S = 120;
const CLOCK_SKEW_S = 5;
const KEY_NAME_RE = /^organizations\/[0-9a-f-]{36}\/apiKeys\/[0-9a-f-]{36}$/;
const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const ORDER_STATUSES = new Set(['OPEN', 'FILLED', 'CANCELLED', 'EXPIRED', 'FAILED', 'PENDING', 'QUEUED', 'CANCEL_QUEUED', 'UNKNOWN_ORDER_STATUS']);

const ROUTES = new Set(['POST /api/v3/brokerage/orders', 'POST /api/v3/brokerage/orders/batch_cancel', 'GET /api/v3/brokerage/orders/historical/batch', 'GET /api/v3/brokerage/orders/historical/fills', 'GET /api/v3/brokerage/accounts', 'GET /v2/accounts', 'GET /api/v3/brokerage/transaction_summary']);
const ORDER_PATH_RE = /^\/api\/v3\/brokerage\/orders\/historical\/([^/]+)$/;

export class CoinbasePrivateApi {
  readonly limiter: WindowLimiter;
  private readonly orderUuids = new Map<number, string>();
  private readonly orderIds = new Map<string, number>();
  private readonly tradeUuids = new WeakMap<Fill, string>();
  private readonly assetUuids = new Map<string, string>();

  constructor(private readonly o: CoinbasePrivateApiOptions) {
    this.limiter = new WindowLimiter(o.requestsPerSecond, 1000);
  }

  isPrivate(method: string, path: string): boolean {
    return ROUTES.has(`${method} ${path}`) || (method === 'GET' && ORDER_PATH_RE.test(path));
  }

  async handle(req: CoinbaseHttpRequest, now: number): Promise<CoinbaseReply> {
    const token = /^Bearer ([A-Za-z0-9_.-]+)$/.exec(req.authorization ?? '')?.[1];
    const { decodeProtectedHeader } = await loadJose();
    const limitKey = token ? (kidOf(decodeProtectedHeader, token) ?? req.ip) : req.ip;
    const v = this.limiter.take(limitKey, now);
    if (!v.ok) return { ...this.fail(apiError(429, 'rate_limit_exceeded', 'Too many requests')), headers: { 'Retry-After': String(v.retryAfterS) } };
    const a = token ? await this.verify(token, now, { method: req.method, path: req.path, host: req.host }) : undefined;
    if (!a) return unauthorized();
    const route = `${req.method} ${req.path}`;
    if (route === 'POST /api/v3/brokerage/orders') return this.create(a, req.body, now);
    if (route === 'POST /api/v3/brokerage/orders/batch_cancel') return this.cancel(a, req.body, now);
    if (route === 'GET /api/v3/brokerage/orders/historical/batch') return this.listOrders(a, req.query);
    if (route === 'GET /api/v3/brokerage/orders/historical/fills') return this.listFills(a, req.query);
    if (route === 'GET /api/v3/brokerage/accounts') return this.ok(v3Accounts(this.o.exchange.balances(a), (x) => this.assetUuid(a, x), this.userId(a), a.updateTime));
    if (route === 'GET /v2/accounts') {
      const limit = Math.min(Math.max(Number(req.query.get('limit') ?? '25') || 25, 1), 300);
      return this.ok(v2Accounts(this.o.exchange.balances(a), (x) => this.assetUuid(a, x), a.updateTime, limit));
    }
    if (route === 'GET /api/v3/brokerage/transaction_summary') return this.ok(transactionSummary(a.makerRate, a.takerRate));
    const id = ORDER_PATH_RE.exec(req.path)?.[1] ?? '';
    const o = this.orderByUuid(a, decodeURIComponent(id));
    if (!o) return this.fail(apiError(404, 'NOT_FOUND', 'order with this orderID was not found'));
    return this.ok({ order: historicalOrder(this.ids(a), o, this.extras(a, o)) });
  }

  /**
   * The account a JWT authenticates, or undefined. `request` is given for REST (the `uri` claim
   * must name it); the `user` WebSocket channel's JWT carries no uri.
   */
  async verify(token: string, now: number, request?: { method: string; path: string; host: string | undefined }): Promise<Account | undefined> {
    const { decodeProtectedHeader, errors: joseErrors, jwtVerify } = await loadJose();
    let header;
    try {
      header = decodeProtectedHeader(token);
    } catch {
      return undefined;
    }
    const kid = header.kid;
    if (header.alg !== 'ES256' || typeof kid !== 'string' || typeof header['nonce'] !== 'string' || header['nonce'] === '') return undefined;
    const key = this.o.keyOf(kid);
    const a = this.o.exchange.account(kid);
    if (!key || !a) return undefined;
    let payload;
    try {
      ({ payload } = await jwtVerify(token, key.publicKey, { algorithms: ['ES256'], issuer: ['cdp', 'coinbase-cloud'], subject: kid, currentDate: new Date(now), clockTolerance: CLOCK_SKEW_S, requiredClaims: ['nbf', 'exp'] }));
    } catch (e) {
      if (e instanceof joseErrors.JOSEError) return undefined;
      throw e;
    }
    const { nbf, exp } = payload;
    if (nbf === undefined || exp === undefined || exp - nbf > MAX_JWT_LIFETIME_S || exp > now / 1000 + MAX_JWT_LIFETIME_S + CLOCK_SKEW_S) return undefined;
    if (request) {
      const uris: unknown = payload['uris'];
      const uri: unknown = payload['uri'] ?? (Array.isArray(uris) ? (uris as unknown[])[0] : undefined);
      if (typeof uri !== 'string' || !this.uriMatches(uri, request)) return undefined;
    }
    return a;
  }

  /** `METHOD host/path`: the public host, or the address the client really used (with its scheme, as a client pointed at http:// writes it). */
  private uriMatches(uri: string, r: { method: string; path: string; host: string | undefined }): boolean {
    const allowed = [`${r.method} ${this.o.publicHost}${r.path}`];
    if (r.host) allowed.push(`${r.method} ${r.host}${r.path}`, `${r.method} http://${r.host}${r.path}`);
    return allowed.includes(uri);
  }

  userId(a: Account): string {
    return this.o.keyOf(a.apiKey)?.userId ?? '';
  }

  ids(a: Account): CoinbaseIds {
    return { orderUuid: (o) => this.orderUuid(o), tradeUuid: (f) => this.tradeUuid(f), userId: this.userId(a), marketId: this.o.marketIdOf };
  }

  extras(a: Account, o: Order): OrderExtras {
    const fills = a.trades.filter((t) => t.orderId === o.id);
    let fees = '0';
    for (const f of fills) fees = addDec(fees, f.commission);
    return { quoteSized: o.origQuoteQty !== '0', fees, fills: fills.length, lastFillTime: fills[fills.length - 1]?.time };
  }

  orderUuid(o: Order): string {
    let u = this.orderUuids.get(o.id);
    if (!u) {
      u = this.o.uuid();
      this.orderUuids.set(o.id, u);
      this.orderIds.set(u, o.id);
    }
    return u;
  }

  private tradeUuid(f: Fill): string {
    let u = this.tradeUuids.get(f);
    if (!u) {
      u = this.o.uuid();
      this.tradeUuids.set(f, u);
    }
    return u;
  }

  private assetUuid(a: Account, asset: string): string {
    const k = `${a.id}:${asset}`;
    let u = this.assetUuids.get(k);
    if (!u) {
      u = this.o.uuid();
      this.assetUuids.set(k, u);
    }
    return u;
  }

  private orderByUuid(a: Account, uuid: string): Order | undefined {
    const id = this.orderIds.get(uuid);
    const o = id === undefined ? undefined : a.orders.get(id);
    return o;
  }

  private create(a: Account, body: string, now: number): CoinbaseReply {
    const parsed = parseCreate(body);
    if ('status' in parsed) return this.fail(parsed);
    const symbol = this.o.symbolOf(parsed.productId);
    const configuration = parsed.configuration;
    if (!symbol) return this.ok(createFailure(failureOf({ kind: 'unknown_symbol' }, parsed.req('?'), undefined), configuration));
    const req = parsed.req(symbol);
    const r = this.o.exchange.submit(a, req, now);
    if (!r.ok) {
      // A repeated client_order_id answers with the order it created (the engine refuses it as a duplicate).
      const existing = r.reason.kind === 'duplicate_order' ? this.o.exchange.byClientOrderId(a, req.clientOrderId) : undefined;
      if (existing) return this.ok(this.success(existing, configuration));
      return this.ok(createFailure(failureOf(r.reason, req, this.o.exchange.market(symbol)), configuration));
    }
    return { status: 200, body: this.success(r.order, configuration), headers: {}, events: r.events, accepted: true };
  }

  private success(o: Order, configuration: unknown): Record<string, unknown> {
    const id = this.orderUuid(o);
    return {
      success: true,
      failure_reason: 'UNKNOWN_FAILURE_REASON',
      order_id: id,
      success_response: { order_id: id, product_id: this.o.marketIdOf(o.symbol), side: o.side, client_order_id: o.clientOrderId },
      order_configuration: configuration,
    };
  }

  private cancel(a: Account, body: string, now: number): CoinbaseReply {
    const b = jsonObject(body);
    const ids = b?.['order_ids'];
    if (!Array.isArray(ids) || ids.length === 0 || ids.length > 100 || !ids.every((i) => typeof i === 'string')) return this.fail(apiError(400, 'INVALID_ARGUMENT', 'order_ids must be a list of 1 to 100 order ids'));
    const events: UserEvent[] = [];
    const results = (ids).map((id) => {
      const o = this.orderByUuid(a, id);
      if (!o) return { success: false, failure_reason: 'UNKNOWN_CANCEL_ORDER', order_id: id };
      if (statusOf(o) !== 'OPEN') return { success: false, failure_reason: 'DUPLICATE_CANCEL_REQUEST', order_id: id };
      const r = this.o.exchange.cancel(a, o.symbol, { orderId: o.id }, now);
      if (!r.ok) return { success: false, failure_reason: 'UNKNOWN_CANCEL_FAILURE_REASON', order_id: id };
      events.push(...r.events);
      return { success: true, failure_reason: 'UNKNOWN_CANCEL_FAILURE_REASON', order_id: id };
    });
    return { ...this.ok({ results }), events };
  }

  private listOrders(a: Account, q: URLSearchParams): CoinbaseReply {
    const statuses = q.getAll('order_status');
    if (statuses.some((s) => !ORDER_STATUSES.has(s))) return this.fail(apiError(400, 'INVALID_ARGUMENT', 'invalid order_status'));
    const products = [...q.getAll('product_id'), ...q.getAll('product_ids')];
    const symbols = new Set<string>();
    for (const p of products) {
      const s = this.o.symbolOf(p);
      if (!s) return this.fail(apiError(400, 'INVALID_ARGUMENT', 'invalid product_id'));
      symbols.add(s);
    }
    const range = timeRange(q, 'start_date', 'end_date');
    if (!range) return this.fail(apiError(400, 'INVALID_ARGUMENT', 'start_date and end_date must be RFC3339 times'));
    const limit = pageLimit(q);
    if (limit === undefined) return this.fail(apiError(400, 'INVALID_ARGUMENT', 'limit must be a positive integer'));
    const side = q.get('order_side');
    const list = [...a.orders.values()]
      .filter((o) => (symbols.size === 0 || symbols.has(o.symbol)) && (statuses.length === 0 || statuses.includes(statusOf(o))) && (side === null || o.side === side) && o.time >= range.from && o.time <= range.to)
      .sort((x, y) => y.id - x.id);
    const page = pageOf(list, q.get('cursor'), limit);
    if (!page) return this.fail(apiError(400, 'INVALID_ARGUMENT', 'invalid cursor'));
    const ids = this.ids(a);
    const orders = page.items.map((o, i) => ({ ...historicalOrder(ids, o, this.extras(a, o)), cursor: String(page.start + i + 1) }));
    return this.ok({ orders, sequence: '0', has_next: page.next !== '', cursor: page.next });
  }

  private listFills(a: Account, q: URLSearchParams): CoinbaseReply {
    const products = [...q.getAll('product_id'), ...q.getAll('product_ids')];
    const symbols = new Set<string>();
    for (const p of products) {
      const s = this.o.symbolOf(p);
      if (!s) return this.fail(apiError(400, 'INVALID_ARGUMENT', 'invalid product_id'));
      symbols.add(s);
    }
    const orderIds = new Set<number>();
    for (const id of [...q.getAll('order_id'), ...q.getAll('order_ids')]) {
      const n = this.orderIds.get(id);
      orderIds.add(n ?? -1);
    }
    const range = timeRange(q, 'start_sequence_timestamp', 'end_sequence_timestamp');
    if (!range) return this.fail(apiError(400, 'INVALID_ARGUMENT', 'start_sequence_timestamp and end_sequence_timestamp must be RFC3339 times'));
    const limit = pageLimit(q);
    if (limit === undefined) return this.fail(apiError(400, 'INVALID_ARGUMENT', 'limit must be a positive integer'));
    const list = a.trades.filter((t) => (symbols.size === 0 || symbols.has(t.symbol)) && (orderIds.size === 0 || orderIds.has(t.orderId)) && t.time >= range.from && t.time <= range.to).reverse();
    const page = pageOf(list, q.get('cursor'), limit);
    if (!page) return this.fail(apiError(400, 'INVALID_ARGUMENT', 'invalid cursor'));
    const ids = this.ids(a);
    const fills = page.items.map((f, i) => ({ ...fillEntry(ids, f, a.orders.get(f.orderId) ?? orderStub(f)), cursor: String(page.start + i + 1) }));
    return this.ok({ fills, cursor: page.next });
  }

  private ok(body: unknown): CoinbaseReply {
    return { status: 200, body, headers: {}, events: [], accepted: false };
  }

  private fail(e: { status: number; body: unknown }): CoinbaseReply {
    return { status: e.status, body: e.body, headers: {}, events: [], accepted: false };
  }
}

function unauthorized(): CoinbaseReply {
  return { status: 401, body: undefined, text: 'Unauthorized\n', headers: { 'content-type': 'text/plain; charset=utf-8' }, events: [], accepted: false };
}

function kidOf(decodeProtectedHeader: Jose['decodeProtectedHeader'], token: string): string | undefined {
  try {
    const kid = decodeProtectedHeader(token).kid;
    return typeof kid === 'string' && KEY_NAME_RE.test(kid) ? kid : undefined;
  } catch {
    return undefined;
  }
}

function jsonObject(body: string): Record<string, unknown> | undefined {
  try {
    const v: unknown = JSON.parse(body);
    return typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

const CLIENT_ID_RE = /^[A-Za-z0-9_.:-]{1,128}$/;

interface ParsedCreate {
  productId: string;
  configuration: Record<string, unknown>;
  req: (symbol: string) => OrderRequest;
}

/** POST /api/v3/brokerage/orders body → an order request (market, limit GTC/IOC/FOK, post-only). */
export function parseCreate(body: string): ParsedCreate | { status: number; body: Record<string, unknown> } {
  const bad = (m: string): { status: number; body: Record<string, unknown> } => apiError(400, 'INVALID_ARGUMENT', m);
  const b = jsonObject(body);
  if (!b) return bad('request body must be a JSON object');
  const cid = b['client_order_id'];
  if (typeof cid !== 'string' || !CLIENT_ID_RE.test(cid)) return bad('client_order_id is required');
  const productId = b['product_id'];
  if (typeof productId !== 'string' || productId === '') return bad('product_id is required');
  const side = b['side'];
  if (side !== 'BUY' && side !== 'SELL') return bad('side must be BUY or SELL');
  const cfg = b['order_configuration'];
  if (typeof cfg !== 'object' || cfg === null || Array.isArray(cfg)) return bad('order_configuration is required');
  const entries = Object.entries(cfg as Record<string, unknown>);
  if (entries.length !== 1) return bad('order_configuration must hold exactly one order type');
  const [kind, rawSpec] = entries[0] as [string, unknown];
  if (typeof rawSpec !== 'object' || rawSpec === null) return bad(`order_configuration.${kind.slice(0, 40)} must be an object`);
  const spec = rawSpec as Record<string, unknown>;
  const dec = (name: string): string | undefined | false => {
    const v = spec[name];
    if (v === undefined || v === '') return undefined;
    return typeof v === 'string' && DECIMAL_RE.test(v) ? v : false;
  };
  const base = dec('base_size');
  const quote = dec('quote_size');
  const price = dec('limit_price');
  if (base === false || quote === false || price === false) return bad('sizes and prices must be decimal strings');
  const common: Pick<OrderRequest, 'side' | 'clientOrderId'> = { side, clientOrderId: cid };
  let make: (symbol: string) => OrderRequest;
  switch (kind) {
    case 'market_market_ioc':
      if ((base === undefined) === (quote === undefined)) return bad('market_market_ioc needs exactly one of base_size and quote_size');
      make = (symbol) => ({ ...common, symbol, type: 'MARKET', timeInForce: 'IOC', qty: base, quoteQty: quote, price: undefined });
      break;
    case 'limit_limit_gtc':
    case 'sor_limit_ioc':
    case 'limit_limit_fok': {
      if (base === undefined || price === undefined) return bad(`${kind} needs base_size and limit_price`);
      const postOnly = spec['post_only'] === true;
      if (postOnly && kind !== 'limit_limit_gtc') return bad('post_only is only valid for limit_limit_gtc');
      const tif = kind === 'sor_limit_ioc' ? 'IOC' : kind === 'limit_limit_fok' ? 'FOK' : 'GTC';
      make = (symbol) => ({ ...common, symbol, type: postOnly ? 'LIMIT_MAKER' : 'LIMIT', timeInForce: tif, qty: base, quoteQty: undefined, price });
      break;
    }
    default:
      return { status: 200, body: createFailure({ error: 'UNSUPPORTED_ORDER_CONFIGURATION', message: 'order configuration is not supported by the emulator', preview: 'PREVIEW_UNSUPPORTED_ORDER_CONFIGURATION' }, cfg) };
  }
  return { productId, configuration: cfg as Record<string, unknown>, req: make };
}

function timeRange(q: URLSearchParams, from: string, to: string): { from: number; to: number } | undefined {
  const t = (name: string, def: number): number | undefined => {
    const v = q.get(name);
    if (v === null || v === '') return def;
    const ms = Date.parse(v);
    return Number.isFinite(ms) && /^\d{4}-\d{2}-\d{2}T/.test(v) ? ms : undefined;
  };
  const f = t(from, -Infinity);
  const e = t(to, Infinity);
  return f === undefined || e === undefined ? undefined : { from: f, to: e };
}

function pageLimit(q: URLSearchParams): number | undefined {
  const v = q.get('limit');
  if (v === null || v === '') return 100;
  if (!/^\d{1,6}$/.test(v) || Number(v) < 1) return undefined;
  return Math.min(Number(v), 1000);
}

/** Cursor pagination: the cursor is the offset of the next page ('' = none). */
function pageOf<T>(list: T[], cursor: string | null, limit: number): { items: T[]; next: string; start: number } | undefined {
  let start = 0;
  if (cursor !== null && cursor !== '') {
    if (!/^\d{1,9}$/.test(cursor)) return undefined;
    start = Number(cursor);
  }
  const items = list.slice(start, start + limit);
  return { items, next: start + limit < list.length ? String(start + limit) : '', start };
}

function orderStub(f: Fill): Order {
  return { id: f.orderId, accountId: f.accountId, clientOrderId: '', symbol: f.symbol, side: f.side, type: 'LIMIT', timeInForce: 'GTC', origQty: '0', origQuoteQty: '0', price: '0', executedQty: '0', cumQuote: '0', status: 'FILLED', time: f.time, updateTime: f.time, workingTime: f.time, locked: '0' };
}

export function isUuid(s: string): boolean {
  return UUID_RE.test(s);
}

export function isKeyName(s: string): boolean {
  return KEY_NAME_RE.test(s);
}

