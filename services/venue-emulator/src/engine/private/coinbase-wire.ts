/**
 * Coinbase Advanced Trade private wire format: historical orders, fills, accounts (v3 brokerage
 * and v2), the `user` channel's order objects, the create-order failure bodies
 * (`success:false` + `error_response`) and the market rules read back from the emulator's own
 * products reply. Pure functions over the engine's types.
 */
import { decAdd, decCmp, decDiv, decIsZero, decMul, decSub } from '../decimal';
import { isMultiple } from './dec';
import type { BalanceLine, Fill, MarketRules, Order, OrderRequest, RejectReason } from './types';

export interface CoinbaseIds {
  /** Coinbase order id (UUID) of an engine order. */
  orderUuid(o: Order): string;
  tradeUuid(f: Fill): string;
  /** The account's user id (UUID). */
  userId: string;
  marketId(symbol: string): string;
}

export const iso = (ms: number): string => new Date(ms).toISOString();
const isoMicros = (ms: number): string => `${new Date(ms).toISOString().slice(0, -1)}000Z`;
const ZERO_TIME = '0001-01-01T00:00:00Z';

export type CoinbaseStatus = 'OPEN' | 'FILLED' | 'CANCELLED' | 'EXPIRED';

export function statusOf(o: Order): CoinbaseStatus {
  switch (o.status) {
    case 'NEW':
    case 'PARTIALLY_FILLED':
      return 'OPEN';
    case 'FILLED':
      return 'FILLED';
    case 'CANCELED':
      return 'CANCELLED';
    case 'EXPIRED':
      return 'EXPIRED';
  }
}

const TIF: Record<Order['timeInForce'], string> = { GTC: 'GOOD_UNTIL_CANCELLED', IOC: 'IMMEDIATE_OR_CANCEL', FOK: 'FILL_OR_KILL' };

/** The order_configuration the order was created with. */
export function orderConfiguration(o: Pick<Order, 'type' | 'timeInForce' | 'origQty' | 'origQuoteQty' | 'price'>, quoteSized: boolean): Record<string, unknown> {
  if (o.type === 'MARKET') return { market_market_ioc: quoteSized ? { quote_size: o.origQuoteQty } : { base_size: o.origQty } };
  if (o.timeInForce === 'IOC') return { sor_limit_ioc: { base_size: o.origQty, limit_price: o.price } };
  if (o.timeInForce === 'FOK') return { limit_limit_fok: { base_size: o.origQty, limit_price: o.price } };
  return { limit_limit_gtc: { base_size: o.origQty, limit_price: o.price, post_only: o.type === 'LIMIT_MAKER' } };
}

export interface OrderExtras {
  quoteSized: boolean;
  fees: string;
  fills: number;
  lastFillTime: number | undefined;
}

function avg(o: Order): string {
  return decIsZero(o.executedQty) ? '0' : decDiv(o.cumQuote, o.executedQty, 12);
}

/** GET orders/historical/{id} (`order`), historical/batch entries. */
export function historicalOrder(ids: CoinbaseIds, o: Order, x: OrderExtras): Record<string, unknown> {
  const buy = o.side === 'BUY';
  const status = statusOf(o);
  const pct = x.quoteSized ? (decIsZero(o.origQuoteQty) ? '0' : decDiv(decMul(o.cumQuote, '100'), o.origQuoteQty, 2)) : decIsZero(o.origQty) ? '0' : decDiv(decMul(o.executedQty, '100'), o.origQty, 2);
  return {
    order_id: ids.orderUuid(o),
    product_id: ids.marketId(o.symbol),
    user_id: ids.userId,
    order_configuration: orderConfiguration(o, x.quoteSized),
    side: o.side,
    client_order_id: o.clientOrderId,
    status,
    time_in_force: o.type === 'MARKET' ? 'IMMEDIATE_OR_CANCEL' : TIF[o.timeInForce],
    created_time: isoMicros(o.time),
    completion_percentage: pct,
    filled_size: o.executedQty,
    average_filled_price: avg(o),
    fee: '',
    number_of_fills: String(x.fills),
    filled_value: o.cumQuote,
    pending_cancel: false,
    size_in_quote: x.quoteSized,
    total_fees: x.fees,
    size_inclusive_of_fees: false,
    total_value_after_fees: buy ? decAdd(o.cumQuote, x.fees) : decSub(o.cumQuote, x.fees),
    trigger_status: 'INVALID_ORDER_TYPE',
    order_type: o.type === 'MARKET' ? 'MARKET' : 'LIMIT',
    reject_reason: 'REJECT_REASON_UNSPECIFIED',
    settled: status !== 'OPEN',
    product_type: 'SPOT',
    reject_message: '',
    cancel_message: status === 'CANCELLED' ? 'User requested cancel' : '',
    order_placement_source: 'RETAIL_ADVANCED',
    outstanding_hold_amount: o.locked,
    is_liquidation: false,
    last_fill_time: x.lastFillTime === undefined ? null : iso(x.lastFillTime),
    edit_history: [],
    leverage: '',
    margin_type: 'UNKNOWN_MARGIN_TYPE',
    retail_portfolio_id: ids.userId,
  };
}

/** Coinbase charges its fee in the quote currency on both sides (the engine runs with `feeInQuote`). */
export function quoteFee(f: Fill): string {
  return f.commission;
}

/** GET orders/historical/fills entry. */
export function fillEntry(ids: CoinbaseIds, f: Fill, order: Order): Record<string, unknown> {
  return {
    entry_id: ids.tradeUuid(f).replace(/-/g, '').padEnd(64, '0'),
    trade_id: ids.tradeUuid(f),
    order_id: ids.orderUuid(order),
    trade_time: iso(f.time),
    trade_type: 'FILL',
    price: f.price,
    size: f.qty,
    commission: quoteFee(f),
    product_id: ids.marketId(f.symbol),
    sequence_timestamp: isoMicros(f.time),
    liquidity_indicator: f.isMaker ? 'MAKER' : 'TAKER',
    size_in_quote: false,
    user_id: ids.userId,
    side: f.side,
    retail_portfolio_id: ids.userId,
  };
}

/** The `user` channel's order object (documented field set). */
export function wsOrder(ids: CoinbaseIds, o: Order, x: OrderExtras): Record<string, unknown> {
  const buy = o.side === 'BUY';
  return {
    avg_price: avg(o),
    cancel_reason: statusOf(o) === 'CANCELLED' ? 'User requested cancel' : '',
    client_order_id: o.clientOrderId,
    completion_percentage: decIsZero(o.origQty) ? '0' : decDiv(decMul(o.executedQty, '100'), o.origQty, 2),
    contract_expiry_type: 'UNKNOWN_CONTRACT_EXPIRY_TYPE',
    cumulative_quantity: o.executedQty,
    filled_value: o.cumQuote,
    leaves_quantity: statusOf(o) === 'OPEN' ? decSub(o.origQty, o.executedQty) : '0',
    limit_price: o.type === 'MARKET' ? '0' : o.price,
    number_of_fills: String(x.fills),
    order_id: ids.orderUuid(o),
    order_side: o.side,
    order_type: o.type === 'MARKET' ? 'Market' : 'Limit',
    outstanding_hold_amount: o.locked,
    post_only: o.type === 'LIMIT_MAKER' ? 'true' : 'false',
    product_id: ids.marketId(o.symbol),
    product_type: 'SPOT',
    reject_Reason: '',
    retail_portfolio_id: ids.userId,
    risk_managed_by: 'UNKNOWN_RISK_MANAGEMENT_TYPE',
    status: statusOf(o),
    stop_price: '',
    time_in_force: o.type === 'MARKET' ? 'IMMEDIATE_OR_CANCEL' : TIF[o.timeInForce],
    total_fees: x.fees,
    total_value_after_fees: buy ? `-${decAdd(o.cumQuote, x.fees)}` : decSub(o.cumQuote, x.fees),
    trigger_status: 'INVALID_ORDER_TYPE',
    creation_time: isoMicros(o.time),
    end_time: ZERO_TIME,
    start_time: ZERO_TIME,
  };
}

/** GET /api/v3/brokerage/accounts. */
export function v3Accounts(balances: readonly BalanceLine[], uuidOf: (asset: string) => string, portfolio: string, created: number): Record<string, unknown> {
  const accounts = balances.map((b) => ({
    uuid: uuidOf(b.asset),
    name: `${b.asset} Wallet`,
    currency: b.asset,
    available_balance: { value: b.free, currency: b.asset },
    default: true,
    active: true,
    created_at: iso(created),
    updated_at: iso(created),
    deleted_at: null,
    type: 'ACCOUNT_TYPE_CRYPTO',
    ready: true,
    hold: { value: b.locked, currency: b.asset },
    retail_portfolio_id: portfolio,
    platform: 'ACCOUNT_PLATFORM_CONSUMER',
  }));
  return { accounts, has_next: false, cursor: '', size: accounts.length };
}

/** GET /v2/accounts (totals only, as v2 reports them). */
export function v2Accounts(balances: readonly BalanceLine[], uuidOf: (asset: string) => string, created: number, limit: number): Record<string, unknown> {
  const data = balances.map((b, i) => ({
    id: uuidOf(b.asset),
    name: `${b.asset} Wallet`,
    primary: true,
    type: 'wallet',
    currency: { asset_id: uuidOf(`asset:${b.asset}`), code: b.asset, color: '#000000', exponent: '8', name: b.asset, slug: b.asset.toLowerCase(), type: 'crypto', rewards: null, sort_index: i, address_regex: '^.+$' },
    balance: { amount: decAdd(b.free, b.locked), currency: b.asset },
    created_at: iso(created).replace(/\.\d+Z$/, 'Z'),
    updated_at: iso(created).replace(/\.\d+Z$/, 'Z'),
    resource: 'account',
    resource_path: `/v2/accounts/${uuidOf(b.asset)}`,
    allow_deposits: true,
    allow_withdrawals: true,
  }));
  return {
    pagination: { ending_before: null, starting_after: null, previous_ending_before: null, next_starting_after: null, limit: String(limit), order: 'desc', previous_uri: null, next_uri: null },
    data,
  };
}

/** GET /api/v3/brokerage/transaction_summary (fee tier from the account's rates). */
export function transactionSummary(makerRate: string, takerRate: string): Record<string, unknown> {
  return {
    total_volume: 0,
    total_fees: 0,
    fee_tier: { pricing_tier: 'Advanced 1', usd_from: '0', usd_to: '1000', taker_fee_rate: takerRate, maker_fee_rate: makerRate, aop_from: '', aop_to: '' },
    margin_rate: null,
    goods_and_services_tax: null,
    advanced_trade_only_volume: 0,
    advanced_trade_only_fees: 0,
    coinbase_pro_volume: 0,
    coinbase_pro_fees: 0,
    total_balance: '',
    has_promo_fee: false,
  };
}

export interface CoinbaseFailure {
  error: string;
  message: string;
  preview: string;
}

const F = (error: string, message: string, preview: string): CoinbaseFailure => ({ error, message, preview });

/** Create-order refusals as Advanced Trade words them (error, message, preview_failure_reason). */
export function failureOf(reason: RejectReason, req: OrderRequest, r: MarketRules | undefined): CoinbaseFailure {
  switch (reason.kind) {
    case 'insufficient_balance':
      return F('INSUFFICIENT_FUND', 'Insufficient balance in source account', 'PREVIEW_INSUFFICIENT_FUND');
    case 'would_take':
      return F('INVALID_LIMIT_PRICE_POST_ONLY', 'Limit price would take liquidity on a post-only order', 'PREVIEW_INVALID_LIMIT_PRICE_POST_ONLY');
    case 'unknown_symbol':
      return F('INVALID_PRODUCT_ID', 'Product ID is invalid', 'PREVIEW_INVALID_PRODUCT_ID');
    case 'duplicate_order':
      return F('UNKNOWN_FAILURE_REASON', 'duplicate client order id', 'UNKNOWN_PREVIEW_FAILURE_REASON');
    case 'unknown_order':
      return F('UNKNOWN_FAILURE_REASON', 'order not found', 'UNKNOWN_PREVIEW_FAILURE_REASON');
    case 'precision':
      return precisionFailure(req, r);
    case 'filter':
      switch (reason.filter) {
        case 'PRICE_FILTER':
        case 'PERCENT_PRICE':
          if (r && req.price !== undefined && !isMultiple(req.price, r.tickSize)) return F('INVALID_LIMIT_PRICE_PRECISION', 'Too many decimals in order price', 'PREVIEW_INVALID_LIMIT_PRICE_PRECISION');
          return F('INVALID_LIMIT_PRICE', 'Limit price is out of bounds', 'PREVIEW_INVALID_LIMIT_PRICE');
        case 'LOT_SIZE':
        case 'MARKET_LOT_SIZE':
          if (r && req.qty !== undefined && !isMultiple(req.qty, r.stepSize)) return F('INVALID_SIZE_PRECISION', 'Too many decimals in order amount', 'PREVIEW_INVALID_BASE_SIZE_PRECISION');
          if (r && req.qty !== undefined && decCmp(req.qty, r.minQty) < 0) return F('UNKNOWN_FAILURE_REASON', `Order size is too small. Minimum size is ${r.minQty}`, 'PREVIEW_INVALID_BASE_SIZE_TOO_SMALL');
          return F('UNKNOWN_FAILURE_REASON', `Order size is too large. Maximum size is ${r?.maxQty ?? ''}`, 'PREVIEW_INVALID_BASE_SIZE_TOO_LARGE');
        case 'NOTIONAL':
          return F('UNKNOWN_FAILURE_REASON', `Order value is too small. Minimum value is ${r?.minNotional ?? ''}`, 'PREVIEW_INVALID_QUOTE_SIZE_TOO_SMALL');
        case 'MAX_NUM_ORDERS':
          return F('UNKNOWN_FAILURE_REASON', 'Too many open orders', 'PREVIEW_TOO_MANY_OPEN_ORDERS');
      }
  }
}

function precisionFailure(req: OrderRequest, r: MarketRules | undefined): CoinbaseFailure {
  if (r && req.price !== undefined && !isMultiple(req.price, r.tickSize)) return F('INVALID_LIMIT_PRICE_PRECISION', 'Too many decimals in order price', 'PREVIEW_INVALID_LIMIT_PRICE_PRECISION');
  if (req.quoteQty !== undefined) return F('INVALID_PRICE_PRECISION', 'Too many decimals in order value', 'PREVIEW_INVALID_QUOTE_SIZE_PRECISION');
  return F('INVALID_SIZE_PRECISION', 'Too many decimals in order amount', 'PREVIEW_INVALID_BASE_SIZE_PRECISION');
}

/** POST /api/v3/brokerage/orders refusal (HTTP 200, as Advanced Trade answers it). */
export function createFailure(f: CoinbaseFailure, configuration: unknown): Record<string, unknown> {
  return {
    success: false,
    failure_reason: 'UNKNOWN_FAILURE_REASON',
    order_id: '',
    error_response: { error: f.error, message: f.message, error_details: f.message, preview_failure_reason: f.preview, new_order_failure_reason: f.error },
    order_configuration: configuration ?? null,
  };
}

/** Errors outside the order flow ({error, error_details, message}; ccxt maps `error`). */
export function apiError(status: number, error: string, message: string): { status: number; body: Record<string, unknown> } {
  return { status, body: { error, error_details: message, message } };
}

interface ProductFilters {
  product_id: string;
  base_increment?: string;
  quote_increment?: string;
  price_increment?: string;
  base_min_size?: string;
  base_max_size?: string;
  quote_min_size?: string;
}

/** Market rules from the emulator's own products reply, keyed by canonical symbol. */
export function rulesFromProducts(body: unknown, symbolOf: (productId: string) => string | undefined): Map<string, MarketRules> {
  const out = new Map<string, MarketRules>();
  for (const p of (body as { products?: ProductFilters[] }).products ?? []) {
    const symbol = symbolOf(p.product_id);
    if (!symbol) continue;
    const [base = '', quote = ''] = symbol.split('/');
    out.set(symbol, {
      symbol,
      base,
      quote,
      tickSize: p.price_increment ?? p.quote_increment ?? '0.00000001',
      minPrice: '0',
      maxPrice: '1000000000',
      stepSize: p.base_increment ?? '0.00000001',
      minQty: p.base_min_size ?? '0',
      maxQty: p.base_max_size ?? '1000000000',
      marketMaxQty: '0',
      minNotional: p.quote_min_size ?? '0',
      notionalAppliesToMarket: true,
      percentUp: '0',
      percentDown: '0',
      maxOpenOrders: 500,
      maxDecimals: 18,
    });
  }
  return out;
}
