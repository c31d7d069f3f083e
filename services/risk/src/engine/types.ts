/**
 * The risk engine's vocabulary. Quantities, prices and money are exact decimals (`Dec`);
 * times are epoch ms. No I/O.
 */
import type { Dec, OrderSide, Symbol, TradingStateName } from '@cte/shared/core';

export type Decision = 'APPROVED' | 'RESIZED' | 'REJECTED';
export const DECISIONS: readonly Decision[] = ['APPROVED', 'RESIZED', 'REJECTED'];

/**
 * Machine-readable reason codes (CheckResponse.reasons, the `reason` label of
 * cte_risk_decisions_total). Limit breaches are named after the limit.
 */
export const REASONS = [
  'max_position_pct',
  'max_gross_exposure_pct',
  'max_trades_per_day',
  'max_trades_per_day_per_symbol',
  'max_order_notional',
  'min_order_notional',
  'max_daily_loss_pct',
  'max_drawdown_pct',
  'stale_price',
  'no_price',
  'symbol_not_allowed',
  'halted',
  'reducing_only',
  'portfolio_unavailable',
] as const;
export type ReasonCode = (typeof REASONS)[number];

/** One proposed order. */
export interface CheckInput {
  symbol: Symbol;
  side: OrderSide;
  /** Base quantity, > 0. */
  qty: Dec;
  /** Reference price from the caller; when absent the latest tick price is used. */
  price?: Dec | undefined;
}

/** Exposure of one symbol as the portfolio reports it. */
export interface SymbolPosition {
  /** Signed base quantity: < 0 is short. */
  qty: Dec;
  /** |qty| × mark price, quote currency (>= 0). */
  notional: Dec;
}

/** The portfolio's view the engine decides on (from Portfolio.GetExposure). */
export interface ExposureSnapshot {
  equity: Dec;
  /** Σ |notional| over every symbol. */
  grossExposure: Dec;
  symbols: ReadonlyMap<Symbol, SymbolPosition>;
  /** Equity at the start of the UTC day; zero when unknown (daily-loss breaker off). */
  startOfDayEquity: Dec;
  /** Highest equity seen; zero when unknown (drawdown breaker off). */
  peakEquity: Dec;
}

/**
 * Opening orders this service approved that the portfolio may not show yet (approved, not yet
 * filled or not yet applied). They count against position and exposure limits so two orders in
 * quick succession cannot each use the same headroom.
 */
export interface PendingExposure {
  /** Σ qty of pending approved buys of the symbol. */
  buyQty: Dec;
  /** Σ qty of pending approved sells of the symbol. */
  sellQty: Dec;
  /** Σ notional of every pending approval (all symbols). */
  grossNotional: Dec;
}

export interface PriceView {
  /** Latest tick price of the symbol. */
  price: Dec;
  /** How far (ms of data time) this tick is behind the newest tick of any symbol. */
  ageMs: number;
  /** Wall ms since the newest tick of any symbol arrived (feed silence); 0 in backtests. */
  feedSilenceMs: number;
}

/** Limits as the engine uses them (see limits.ts for validation and the wire form). */
export interface RiskLimits {
  /** Percent of equity, e.g. 5. */
  maxPositionPct: Dec;
  maxGrossExposurePct: Dec;
  maxTradesPerDay: number;
  maxTradesPerDayPerSymbol: number;
  /** Quote currency. */
  maxOrderNotional: Dec;
  minOrderNotional: Dec;
  /** Percent of start-of-day equity. */
  maxDailyLossPct: Dec;
  /** Percent of peak equity. */
  maxDrawdownPct: Dec;
  /** 0 = the stale-price guard is off. */
  maxPriceAgeMs: number;
  /** Empty = every symbol. */
  allowedSymbols: readonly Symbol[];
}

/** Everything a check depends on besides the order. */
export interface CheckContext {
  limits: PreparedLimits;
  state: TradingStateName;
  exposure: ExposureSnapshot;
  /** Undefined when no tick of the symbol has been seen. */
  price: PriceView | undefined;
  /** Every live market feed of the symbol reports stale (price-stream's `data.feeds`, see FeedBook); absent = false. */
  feedStale?: boolean | undefined;
  /** Opening trades approved today (UTC day of data time), all symbols / this symbol. */
  tradesToday: number;
  tradesTodaySymbol: number;
  /** Undefined = nothing pending. */
  pending?: PendingExposure | undefined;
}

export interface CheckResult {
  decision: Decision;
  /** Zero when rejected. */
  approvedQty: Dec;
  reasons: ReasonCode[];
  /** The order only reduces an existing position (opposite side, qty <= |position|). */
  reducesPosition: boolean;
  /** The price the order was valued at (undefined when none was known). */
  price: Dec | undefined;
  /** The state the order was judged under (HALTED when a breaker tripped during this check). */
  state: TradingStateName;
  /** Breakers found breached: the caller must switch the fleet to HALTED (updated_by circuit_breaker). */
  trip: ReasonCode[];
  /** The part of the approved quantity that opens exposure (approved − reducible, >= 0). */
  openingQty: Dec;
}

/** Limits with the derived values a check needs precomputed (fractions, the allow-set). */
export interface PreparedLimits {
  readonly limits: RiskLimits;
  readonly positionFraction: Dec;
  readonly grossFraction: Dec;
  readonly dailyLossFraction: Dec;
  readonly drawdownFraction: Dec;
  /** Undefined = every symbol allowed. */
  readonly allowed: ReadonlySet<string> | undefined;
}
