/**
 * Binance.US private wire format: the shapes of order, trade and account replies, the user-data
 * events (`executionReport`, `outboundAccountPosition`), the error bodies, and the market rules
 * read back from the emulator's own exchangeInfo (so the filters it enforces are the ones it
 * publishes). Pure functions over the engine's types.
 */
import { decFixed, decIsZero } from '../decimal';
import type { MarketRules, Order, Fill, RejectReason, UserEvent, BalanceLine } from './types';

const f8 = (s: string): string => decFixed(s, 8);

export interface BinanceError {
  status: number;
  body: { code: number; msg: string };
}

export const err = (status: number, code: number, msg: string): BinanceError => ({ status, body: { code, msg } });
export const mandatory = (name: string): BinanceError => err(400, -1102, `Mandatory parameter '${name}' was not sent, was empty/null, or malformed.`);
export const illegal = (name: string, legal: string): BinanceError => err(400, -1100, `Illegal characters found in parameter '${name}'; legal range is '${legal}'.`);
export const notRequired = (name: string): BinanceError => err(400, -1106, `Parameter '${name}' sent when not required.`);

export const ERRORS = {
  badKeyFormat: err(401, -2014, 'API-key format invalid.'),
  unknownKey: err(401, -2015, 'Invalid API-key, IP, or permissions for action.'),
  badSignature: err(400, -1022, 'Signature for this request is not valid.'),
  outsideRecvWindow: err(400, -1021, 'Timestamp for this request is outside of the recvWindow.'),
  aheadOfServer: err(400, -1021, "Timestamp for this request was 1000ms ahead of the server's time."),
  badRecvWindow: err(400, -1131, 'recvWindow must be less than 60000'),
  invalidSymbol: err(400, -1121, 'Invalid symbol.'),
  invalidSide: err(400, -1117, 'Invalid side.'),
  invalidType: err(400, -1116, 'Invalid orderType.'),
  invalidTif: err(400, -1115, 'Invalid timeInForce.'),
  unsupported: err(400, -1014, 'Unsupported order combination.'),
  unknownOrder: err(400, -2011, 'Unknown order sent.'),
  noSuchOrder: err(400, -2013, 'Order does not exist.'),
  noListenKey: err(400, -1125, 'This listenKey does not exist.'),
  unknownRoute: err(404, -1000, 'Unknown route.'),
  internal: err(500, -1001, 'Internal error; unable to process your request. Please try again.'),
  unknownStatus: err(503, -1007, 'Timeout waiting for response from backend server. Send status unknown; execution status unknown.'),
  orderIdOrClientId: err(400, -1102, "Param 'origClientOrderId' or 'orderId' must be sent, but both were empty/null!"),
  qtyOrQuote: err(400, -1102, "Param 'quantity' or 'quoteOrderQty' must be sent, but both were empty/null!"),
} as const;

export function tooMuchWeight(limit: number): BinanceError {
  return err(429, -1003, `Too much request weight used; current limit is ${limit} request weight per 1 MINUTE. Please use WebSocket Streams for live updates to avoid polling the API.`);
}

export function banned(until: number): BinanceError {
  return err(418, -1003, `Way too much request weight used; IP banned until ${until}. Please use WebSocket Streams for live updates to avoid bans.`);
}

export function tooManyOrders(limit: number, interval: '10s' | '1d'): BinanceError {
  return err(429, -1015, `Too many new orders; current limit is ${limit} orders per ${interval === '10s' ? '10 SECOND' : 'DAY'}.`);
}

/** A refused order or cancel, as Binance words it. `notionalFilter` is the name exchangeInfo publishes. */
export function rejection(r: RejectReason, notionalFilter: string, forQuery = false): BinanceError {
  switch (r.kind) {
    case 'filter':
      return err(400, -1013, `Filter failure: ${r.filter === 'NOTIONAL' ? notionalFilter : r.filter}`);
    case 'precision':
      return err(400, -1111, 'Precision is over the maximum defined for this asset.');
    case 'insufficient_balance':
      return err(400, -2010, 'Account has insufficient balance for requested action.');
    case 'duplicate_order':
      return err(400, -2010, 'Duplicate order sent.');
    case 'would_take':
      return err(400, -2010, 'Order would immediately match and take.');
    case 'unknown_symbol':
      return ERRORS.invalidSymbol;
    case 'unknown_order':
      return forQuery ? ERRORS.noSuchOrder : ERRORS.unknownOrder;
  }
}

/** Self-trade prevention mode Binance.US reports (its default). */
const STP = 'EXPIRE_MAKER';

function isWorking(o: Order): boolean {
  return o.status === 'NEW' || o.status === 'PARTIALLY_FILLED';
}

export type RespType = 'ACK' | 'RESULT' | 'FULL';

/** POST /api/v3/order reply. */
export function newOrderReply(marketId: string, o: Order, fills: readonly Fill[], resp: RespType): Record<string, unknown> {
  const ack = { symbol: marketId, orderId: o.id, orderListId: -1, clientOrderId: o.clientOrderId, transactTime: o.time };
  if (resp === 'ACK') return ack;
  const result = {
    ...ack,
    price: f8(o.price),
    origQty: f8(o.origQty),
    executedQty: f8(o.executedQty),
    origQuoteOrderQty: f8(o.origQuoteQty),
    cummulativeQuoteQty: f8(o.cumQuote),
    status: o.status,
    timeInForce: o.timeInForce,
    type: o.type,
    side: o.side,
    workingTime: o.workingTime,
    selfTradePreventionMode: STP,
  };
  if (resp === 'RESULT') return result;
  return { ...result, fills: fills.map((f) => ({ price: f8(f.price), qty: f8(f.qty), commission: f8(f.commission), commissionAsset: f.commissionAsset, tradeId: f.tradeId })) };
}

/** GET /api/v3/order, openOrders and allOrders entries. */
export function orderInfo(marketId: string, o: Order): Record<string, unknown> {
  return {
    symbol: marketId,
    orderId: o.id,
    orderListId: -1,
    clientOrderId: o.clientOrderId,
    price: f8(o.price),
    origQty: f8(o.origQty),
    executedQty: f8(o.executedQty),
    cummulativeQuoteQty: f8(o.cumQuote),
    status: o.status,
    timeInForce: o.timeInForce,
    type: o.type,
    side: o.side,
    stopPrice: f8('0'),
    icebergQty: f8('0'),
    time: o.time,
    updateTime: o.updateTime,
    isWorking: isWorking(o),
    workingTime: o.workingTime,
    origQuoteOrderQty: f8(o.origQuoteQty),
    selfTradePreventionMode: STP,
  };
}

/** DELETE /api/v3/order (and each entry of DELETE openOrders). */
export function cancelReply(marketId: string, o: Order, cancelClientOrderId: string, now: number): Record<string, unknown> {
  return {
    symbol: marketId,
    origClientOrderId: o.clientOrderId,
    orderId: o.id,
    orderListId: -1,
    clientOrderId: cancelClientOrderId,
    transactTime: now,
    price: f8(o.price),
    origQty: f8(o.origQty),
    executedQty: f8(o.executedQty),
    origQuoteOrderQty: f8(o.origQuoteQty),
    cummulativeQuoteQty: f8(o.cumQuote),
    status: o.status,
    timeInForce: o.timeInForce,
    type: o.type,
    side: o.side,
    selfTradePreventionMode: STP,
  };
}

/** GET /api/v3/myTrades entry. */
export function myTrade(marketId: string, f: Fill): Record<string, unknown> {
  return {
    symbol: marketId,
    id: f.tradeId,
    orderId: f.orderId,
    orderListId: -1,
    price: f8(f.price),
    qty: f8(f.qty),
    quoteQty: f8(f.quoteQty),
    commission: f8(f.commission),
    commissionAsset: f.commissionAsset,
    time: f.time,
    isBuyer: f.side === 'BUY',
    isMaker: f.isMaker,
    isBestMatch: true,
  };
}

/** GET /api/v3/account: the keys of the real reply (exchange-messages/binance/http_responses/http_spot_wallet_account.json). */
export function accountInfo(balances: readonly BalanceLine[], makerRate: string, takerRate: string, updateTime: number): Record<string, unknown> {
  const bps = (rate: string): number => Math.round(Number(rate) * 10_000);
  return {
    makerCommission: bps(makerRate),
    takerCommission: bps(takerRate),
    buyerCommission: 0,
    sellerCommission: 0,
    canTrade: true,
    canWithdraw: true,
    canDeposit: true,
    updateTime,
    accountType: 'SPOT',
    balances: balances.map((b) => ({ asset: b.asset, free: f8(b.free), locked: f8(b.locked) })),
    permissions: ['SPOT'],
  };
}

/**
 * One user event on the wire. Every key of the real Binance.US executionReport capture is present
 * with its type: `N` is null unless the event charged a commission, `t` is -1 without a fill.
 */
export function encodeUserEvent(e: UserEvent, marketId: string, executionId: number): Record<string, unknown> {
  if (e.kind === 'balances') {
    return { e: 'outboundAccountPosition', E: e.ts, u: e.ts, B: e.balances.map((b) => ({ a: b.asset, f: f8(b.free), l: f8(b.locked) })) };
  }
  const o = e.order;
  const f = e.fill;
  const canceledByRequest = e.cancelClientOrderId !== undefined;
  const charged = f !== undefined && !decIsZero(f.commission);
  return {
    e: 'executionReport',
    E: e.ts,
    s: marketId,
    c: canceledByRequest ? e.cancelClientOrderId : o.clientOrderId,
    S: o.side,
    o: o.type,
    f: o.timeInForce,
    q: f8(o.origQty),
    p: f8(o.price),
    P: f8('0'),
    F: f8('0'),
    g: -1,
    C: canceledByRequest ? o.clientOrderId : '',
    x: e.exec,
    X: o.status,
    r: 'NONE',
    i: o.id,
    l: f8(f?.qty ?? '0'),
    z: f8(o.executedQty),
    L: f8(f?.price ?? '0'),
    // Like the captures: "0" and null when no commission was charged (no fill, or a zero fee).
    n: charged ? f8(f.commission) : '0',
    N: charged ? f.commissionAsset : null,
    T: e.ts,
    t: f ? f.tradeId : -1,
    I: executionId,
    w: isWorking(o) && o.type !== 'MARKET',
    m: f ? f.isMaker : false,
    M: f !== undefined,
    O: o.time,
    Z: f8(o.cumQuote),
    Y: f8(f?.quoteQty ?? '0'),
    Q: f8(o.origQuoteQty),
    W: o.workingTime,
    V: STP,
  };
}

interface SymbolFilters {
  symbol: string;
  baseAsset: string;
  quoteAsset: string;
  baseAssetPrecision?: number;
  filters: Record<string, unknown>[];
}

/**
 * Market rules from an exchangeInfo reply (the emulator's own), keyed by Binance market id, and
 * the name of the notional filter it publishes (MIN_NOTIONAL or NOTIONAL).
 */
export function rulesFromExchangeInfo(body: unknown, symbolOf: (marketId: string) => string | undefined): { rules: Map<string, MarketRules>; notionalFilter: string } {
  const out = new Map<string, MarketRules>();
  let notionalFilter = 'NOTIONAL';
  const symbols = (body as { symbols?: SymbolFilters[] }).symbols ?? [];
  for (const s of symbols) {
    const symbol = symbolOf(s.symbol);
    if (!symbol) continue;
    const by = (t: string): Record<string, unknown> => s.filters.find((x) => x['filterType'] === t) ?? {};
    const str = (o: Record<string, unknown>, k: string, d = '0'): string => {
      const v = o[k];
      return typeof v === 'string' ? v : d;
    };
    const price = by('PRICE_FILTER');
    const lot = by('LOT_SIZE');
    const mlot = by('MARKET_LOT_SIZE');
    const pct = by('PERCENT_PRICE');
    const notional = s.filters.find((x) => x['filterType'] === 'MIN_NOTIONAL' || x['filterType'] === 'NOTIONAL') ?? {};
    if (typeof notional['filterType'] === 'string') notionalFilter = notional['filterType'];
    const maxOrders = by('MAX_NUM_ORDERS')['maxNumOrders'];
    out.set(symbol, {
      symbol,
      base: s.baseAsset,
      quote: s.quoteAsset,
      tickSize: str(price, 'tickSize'),
      minPrice: str(price, 'minPrice'),
      maxPrice: str(price, 'maxPrice', '1000000000'),
      stepSize: str(lot, 'stepSize'),
      minQty: str(lot, 'minQty'),
      maxQty: str(lot, 'maxQty', '1000000000'),
      marketMaxQty: str(mlot, 'maxQty'),
      minNotional: str(notional, 'minNotional'),
      notionalAppliesToMarket: notional['applyToMarket'] === true || notional['applyMinToMarket'] === true,
      percentUp: typeof pct['multiplierUp'] === 'string' ? pct['multiplierUp'] : '0',
      percentDown: typeof pct['multiplierDown'] === 'string' ? pct['multiplierDown'] : '0',
      maxOpenOrders: typeof maxOrders === 'number' ? maxOrders : 200,
      maxDecimals: s.baseAssetPrecision ?? 8,
    });
  }
  return { rules: out, notionalFilter };
}
