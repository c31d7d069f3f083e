/**
 * The venue-independent private side: accounts, orders, fills and the user events they produce.
 * Venue codecs (Binance.US now; Coinbase and KuCoin later) translate requests into these and these
 * into their own wire formats. All amounts are decimal strings (see ../decimal.ts).
 */

export type OrderSide = 'BUY' | 'SELL';
/** LIMIT_MAKER is a post-only limit: rejected instead of taking liquidity. */
export type OrderType = 'LIMIT' | 'MARKET' | 'LIMIT_MAKER';
export type TimeInForce = 'GTC' | 'IOC' | 'FOK';
export type OrderStatus = 'NEW' | 'PARTIALLY_FILLED' | 'FILLED' | 'CANCELED' | 'EXPIRED';
/** What happened to an order in one event (Binance's execution type; the others map onto it). */
export type ExecType = 'NEW' | 'TRADE' | 'CANCELED' | 'EXPIRED';

/** Trading rules of one market; every venue's filters are expressible with these. */
export interface MarketRules {
  /** Canonical BASE/QUOTE. */
  symbol: string;
  base: string;
  quote: string;
  tickSize: string;
  minPrice: string;
  maxPrice: string;
  stepSize: string;
  minQty: string;
  maxQty: string;
  /** Quantity limits for market orders ('0' = none). */
  marketMaxQty: string;
  /** price × qty must reach this ('0' = none); for market orders only when `notionalAppliesToMarket`. */
  minNotional: string;
  notionalAppliesToMarket: boolean;
  /** Limit price within [last × down, last × up] ('0' = no check). */
  percentUp: string;
  percentDown: string;
  maxOpenOrders: number;
  /** Decimals accepted in a quantity or price at all (more is a precision error, not a filter failure). */
  maxDecimals: number;
}

export interface OrderRequest {
  symbol: string;
  side: OrderSide;
  type: OrderType;
  timeInForce: TimeInForce;
  /** Base quantity; undefined only for a market order by quote amount. */
  qty: string | undefined;
  /** Quote amount to spend (buy) or receive (sell): market orders only. */
  quoteQty: string | undefined;
  price: string | undefined;
  clientOrderId: string;
}

export interface Order {
  id: number;
  accountId: number;
  clientOrderId: string;
  symbol: string;
  side: OrderSide;
  type: OrderType;
  timeInForce: TimeInForce;
  /** '0' for a market order by quote amount until it fills. */
  origQty: string;
  origQuoteQty: string;
  price: string;
  executedQty: string;
  cumQuote: string;
  status: OrderStatus;
  time: number;
  updateTime: number;
  /** When it started working (on the book or matching). */
  workingTime: number;
  /** Funds still reserved for it: quote for a buy, base for a sell. */
  locked: string;
}

export interface Fill {
  tradeId: number;
  orderId: number;
  accountId: number;
  symbol: string;
  side: OrderSide;
  price: string;
  qty: string;
  quoteQty: string;
  commission: string;
  commissionAsset: string;
  time: number;
  isMaker: boolean;
}

export interface BalanceLine {
  asset: string;
  free: string;
  locked: string;
}

/** Events a user-data stream publishes; `order` is a snapshot taken when it happened. */
export type UserEvent =
  | {
      kind: 'execution';
      accountId: number;
      exec: ExecType;
      order: Order;
      fill: Fill | undefined;
      ts: number;
      /** The client id the cancel request carried (Binance reports it as the event's client id). */
      cancelClientOrderId?: string;
    }
  | { kind: 'balances'; accountId: number; balances: BalanceLine[]; ts: number };

/** Why an order or cancel was refused; each venue maps these to its own codes and messages. */
export type RejectReason =
  | { kind: 'filter'; filter: 'PRICE_FILTER' | 'LOT_SIZE' | 'MARKET_LOT_SIZE' | 'NOTIONAL' | 'PERCENT_PRICE' | 'MAX_NUM_ORDERS' }
  | { kind: 'precision' }
  | { kind: 'insufficient_balance' }
  | { kind: 'duplicate_order' }
  | { kind: 'would_take' }
  | { kind: 'unknown_symbol' }
  | { kind: 'unknown_order' };
