/**
 * KuCoin spot private wire format (classic, non-HF account): order and fill objects, accounts,
 * the `{code, msg}` error bodies (codes from KuCoin's docs, as ccxt's `exceptions` table maps
 * them), the `/spotMarket/tradeOrders` and `/account/balance` messages, and the market rules read
 * back from the emulator's own symbols reply. Pure functions over the engine's types.
 */
import { decAdd, decCmp, decIsZero, decSub } from '../decimal';
import type { BalanceLine, Fill, MarketRules, Order, RejectReason, UserEvent } from './types';

export interface KucoinError {
  status: number;
  body: { code: string; msg: string };
}

const err = (status: number, code: string, msg: string): KucoinError => ({ status, body: { code, msg } });

export const KC_ERRORS = {
  missingHeaders: err(401, '400001', 'Please check the header of your request for KC-API-KEY, KC-API-SIGN, KC-API-TIMESTAMP, KC-API-PASSPHRASE'),
  badTimestamp: err(401, '400002', 'KC-API-TIMESTAMP Invalid -- Time differs from server time by more than 5 seconds'),
  unknownKey: err(401, '400003', 'KC-API-KEY not exists'),
  badPassphrase: err(401, '400004', 'Invalid KC-API-PASSPHRASE'),
  badSign: err(401, '400005', 'Invalid KC-API-SIGN'),
  badKeyVersion: err(401, '400001', 'Please check the header of your request for KC-API-KEY-VERSION'),
  tooMany: err(429, '429000', 'Too Many Requests'),
  notFound: err(404, '404000', 'Not Found'),
  orderNotFound: err(404, '400100', 'order not exist.'),
  cancelNotAllowed: err(400, '400100', 'order_not_exist_or_not_allow_to_cancel'),
  balance: err(200, '200004', 'Balance insufficient!'),
  unknownStatus: err(500, '500000', 'Internal Server Error'),
} as const;

export const param = (msg: string): KucoinError => err(400, '400100', msg);

export function kucoinRejection(r: RejectReason, req: { qty?: string | undefined; price?: string | undefined }, rules: MarketRules | undefined): KucoinError {
  switch (r.kind) {
    case 'insufficient_balance':
      return KC_ERRORS.balance;
    case 'duplicate_order':
      return param('The clientOid is duplicated.');
    case 'would_take':
      return err(200, '400200', 'Post only order would take liquidity.');
    case 'unknown_symbol':
      return param('Unsupported trading pair.');
    case 'unknown_order':
      return KC_ERRORS.cancelNotAllowed;
    case 'precision':
      return req.price !== undefined ? param('Price increment invalid.') : param('Order size increment invalid.');
    case 'filter':
      switch (r.filter) {
        case 'PRICE_FILTER':
        case 'PERCENT_PRICE':
          return param('Price increment invalid.');
        case 'LOT_SIZE':
        case 'MARKET_LOT_SIZE':
          if (rules && req.qty !== undefined && !belowMin(req.qty, rules.minQty)) return param('Order size increment invalid.');
          return param('Order size below the minimum requirement.');
        case 'NOTIONAL':
          return param('Order funds below the minimum requirement.');
        case 'MAX_NUM_ORDERS':
          return err(200, '200001', 'The total number of active orders exceeds the limit.');
      }
  }
}

function belowMin(q: string, min: string): boolean {
  return decCmp(q, min) < 0;
}

export interface KucoinIds {
  orderId(o: Order): string;
  tradeId(f: Fill): string;
  counterOrderId(f: Fill): string;
  marketId(symbol: string): string;
  /** The account id KuCoin reports for one currency of the user. */
  accountId(accountId: number, asset: string): string;
}

/** GET /api/v1/orders/{id} and list entries (every key of the real reply). */
export function orderObject(ids: KucoinIds, o: Order, fee: string, feeCurrency: string, active: boolean): Record<string, unknown> {
  return {
    id: ids.orderId(o),
    symbol: ids.marketId(o.symbol),
    opType: 'DEAL',
    type: o.type === 'MARKET' ? 'market' : 'limit',
    side: o.side === 'BUY' ? 'buy' : 'sell',
    price: o.type === 'MARKET' ? '0' : o.price,
    size: o.origQuoteQty !== '0' ? '0' : o.origQty,
    funds: o.origQuoteQty,
    dealFunds: o.cumQuote,
    dealSize: o.executedQty,
    fee,
    feeCurrency,
    stp: '',
    stop: '',
    stopTriggered: false,
    stopPrice: '0',
    timeInForce: o.timeInForce,
    postOnly: o.type === 'LIMIT_MAKER',
    hidden: false,
    iceberg: false,
    visibleSize: '0',
    cancelAfter: 0,
    channel: 'API',
    clientOid: o.clientOrderId,
    remark: null,
    tags: null,
    isActive: active,
    cancelExist: o.status === 'CANCELED' || (o.status === 'EXPIRED' && !decIsZero(decSub(o.origQty, o.executedQty))),
    createdAt: o.time,
    tradeType: 'TRADE',
  };
}

/** GET /api/v1/fills entry. */
export function fillObject(ids: KucoinIds, f: Fill, order: Order | undefined, rate: string): Record<string, unknown> {
  return {
    symbol: ids.marketId(f.symbol),
    tradeId: ids.tradeId(f),
    orderId: order ? ids.orderId(order) : '',
    counterOrderId: ids.counterOrderId(f),
    side: f.side === 'BUY' ? 'buy' : 'sell',
    liquidity: f.isMaker ? 'maker' : 'taker',
    forceTaker: false,
    price: f.price,
    size: f.qty,
    funds: f.quoteQty,
    fee: f.commission,
    feeRate: rate,
    feeCurrency: f.commissionAsset,
    stop: '',
    tradeType: 'TRADE',
    type: order?.type === 'MARKET' ? 'market' : 'limit',
    createdAt: f.time,
  };
}

/** GET /api/v1/accounts?type=trade. */
export function accountsReply(balances: readonly BalanceLine[], idOf: (asset: string) => string): Record<string, unknown>[] {
  return balances.map((b) => ({ id: idOf(b.asset), currency: b.asset, type: 'trade', balance: decAdd(b.free, b.locked), available: b.free, holds: b.locked }));
}

/** A paged list as KuCoin pages it. */
export function page<T>(items: readonly T[], currentPage: number, pageSize: number): Record<string, unknown> {
  const start = (currentPage - 1) * pageSize;
  return { currentPage, pageSize, totalNum: items.length, totalPage: Math.max(1, Math.ceil(items.length / pageSize)), items: items.slice(start, start + pageSize) };
}

/**
 * One user event as its `/spotMarket/tradeOrders` (type open/match/filled/canceled/update) or
 * `/account/balance` messages.
 */
export function encodeKucoinEvent(ids: KucoinIds, e: UserEvent): { topic: string; subject: string; data: Record<string, unknown> }[] {
  if (e.kind === 'balances') {
    return e.balances.map((b) => ({
      topic: '/account/balance',
      subject: 'account.balance',
      data: { accountId: ids.accountId(e.accountId, b.asset), available: b.free, availableChange: '0', currency: b.asset, hold: b.locked, holdChange: '0', relationContext: {}, relationEvent: 'trade.setted', relationEventId: '', time: String(e.ts), total: decAdd(b.free, b.locked) },
    }));
  }
  const o = e.order;
  const f = e.fill;
  let type: string;
  let status: string;
  if (e.exec === 'NEW') {
    type = 'open';
    status = 'open';
  } else if (e.exec === 'TRADE') {
    type = o.status === 'FILLED' ? 'filled' : 'match';
    status = o.status === 'FILLED' ? 'done' : 'match';
  } else {
    type = 'canceled';
    status = 'done';
  }
  const base: Record<string, unknown> = {
    symbol: ids.marketId(o.symbol),
    orderType: o.type === 'MARKET' ? 'market' : 'limit',
    side: o.side === 'BUY' ? 'buy' : 'sell',
    orderId: ids.orderId(o),
    type,
    orderTime: Number(`${o.time}000000`),
    size: o.origQty,
    filledSize: o.executedQty,
    price: o.type === 'MARKET' ? '' : o.price,
    clientOid: o.clientOrderId,
    remainSize: o.status === 'NEW' || o.status === 'PARTIALLY_FILLED' ? decSub(o.origQty, o.executedQty) : '0',
    status,
    ts: Number(`${e.ts}000000`),
  };
  if (o.origQuoteQty !== '0') base['funds'] = o.origQuoteQty;
  if (f) {
    base['liquidity'] = f.isMaker ? 'maker' : 'taker';
    base['matchPrice'] = f.price;
    base['matchSize'] = f.qty;
    base['tradeId'] = ids.tradeId(f);
  }
  // A fill that completes the order is one `filled` message, as KuCoin sends it; a partial is `match`.
  return [{ topic: '/spotMarket/tradeOrders', subject: 'orderChange', data: base }];
}

interface SymbolFilters {
  symbol: string;
  baseCurrency: string;
  quoteCurrency: string;
  baseMinSize?: string;
  baseMaxSize?: string;
  baseIncrement?: string;
  priceIncrement?: string;
  minFunds?: string;
}

/** Market rules from the emulator's own /api/v2/symbols reply, keyed by canonical symbol. */
export function rulesFromSymbols(body: unknown, symbolOf: (id: string) => string | undefined): Map<string, MarketRules> {
  const out = new Map<string, MarketRules>();
  for (const s of (body as { data?: SymbolFilters[] }).data ?? []) {
    const symbol = symbolOf(s.symbol);
    if (!symbol) continue;
    out.set(symbol, {
      symbol,
      base: s.baseCurrency,
      quote: s.quoteCurrency,
      tickSize: s.priceIncrement ?? '0',
      minPrice: '0',
      maxPrice: '1000000000',
      stepSize: s.baseIncrement ?? '0',
      minQty: s.baseMinSize ?? '0',
      maxQty: s.baseMaxSize ?? '1000000000',
      marketMaxQty: '0',
      minNotional: s.minFunds ?? '0',
      notionalAppliesToMarket: true,
      percentUp: '0',
      percentDown: '0',
      maxOpenOrders: 200,
      maxDecimals: 18,
    });
  }
  return out;
}
