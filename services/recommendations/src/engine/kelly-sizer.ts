/**
 * KellySizer: position size of a BUY/SELL consensus as a fraction of equity, then a quantity.
 * Pure and exact: every step is decimal.js (`Dec`); float inputs (confidence, hit rates) are
 * converted to decimals first.
 *
 * 1. Calibration of the win probability p from the consensus confidence c and the sources'
 *    track record h (their weighted hit rate, weights = base_weight × scored signals):
 *        p = clip(0.5 + (h − 0.5) × c, 0, maxWinProbability)
 *    With no track record (no source scored yet, or signals-aggregator unreachable) h is the
 *    configured prior. A coin-flip record (h = 0.5) or zero confidence gives p = 0.5.
 * 2. Kelly: f* = p − (1 − p) / b, b = payoff ratio (take-profit / stop-loss distance).
 *    f* ≤ 0 → no trade (`no_edge`).
 * 3. Scaling: f = f* × kellyFraction × c (fractional Kelly, weighted by confidence), capped by
 *    the per-asset limit maxPositionPct minus what is already held on that side
 *    (`max_position` when nothing is left).
 * 4. Quantity: f × equity / price, rounded DOWN to the market's quantity precision
 *    (`below_min_qty` when that is 0).
 * SELL without ALLOW_SHORT only reduces a long: nothing held → `no_position`; the quantity is at
 * most the long position. With ALLOW_SHORT a SELL may close the long and open a short up to the
 * cap. A BUY against a short simply buys (the cover counts like any buy).
 */
import { Dec, numberToDecimalString } from '@cte/shared/core';

export type ConsensusSide = 'BUY' | 'SELL';
export type OrderSideName = 'buy' | 'sell';

export interface SourceTrack {
  /** Bayesian-smoothed hit rate, 0..1. */
  hitRate: number;
  baseWeight: number;
  /** Signals scored so far. */
  scored: number;
}

export interface KellyConfig {
  /** Fractional Kelly multiplier, (0, 1]. */
  kellyFraction: number;
  /** Per-asset cap, percent of equity, (0, 100]. */
  maxPositionPct: number;
  /** b: expected win / loss. */
  payoffRatio: number;
  /** Hit rate assumed without a track record, 0..1. */
  priorHitRate: number;
  /** Upper clip of the calibrated p, (0, 1]. */
  maxWinProbability: number;
  allowShort: boolean;
  /** Quantity decimals when the symbol has no entry in qtyDecimals. */
  defaultQtyDecimals: number;
  qtyDecimals: Readonly<Record<string, number>>;
  /** Decimals of stop-loss and take-profit prices. */
  priceDecimals: number;
  stopAtrMult: number;
  takeProfitAtrMult: number;
}

export interface SizingInput {
  symbol: string;
  side: ConsensusSide;
  /** Consensus confidence, 0..1. */
  confidence: number;
  /** Reference price (> 0). */
  price: Dec;
  equity: Dec;
  /** Signed position in the symbol (< 0 short), 0 when none. */
  positionQty: Dec;
  /** The sources' track records; undefined = unavailable (use the prior). */
  sources?: readonly SourceTrack[] | undefined;
  /** ATR of the symbol; undefined = not known yet (no levels). */
  atr?: Dec | undefined;
}

export type CalibrationBasis = 'track_record' | 'prior';

export interface Calibration {
  /** Calibrated win probability. */
  p: Dec;
  /** The hit rate used (weighted track record, or the prior). */
  hitRate: Dec;
  basis: CalibrationBasis;
}

export const NO_TRADE_REASONS = ['no_edge', 'no_position', 'no_equity', 'no_price', 'max_position', 'below_min_qty'] as const;
export type NoTradeReason = (typeof NO_TRADE_REASONS)[number];

export interface Sizing {
  /** False: record the recommendation as rejected with `reason`. */
  trade: boolean;
  reason?: NoTradeReason;
  side: OrderSideName;
  calibration: Calibration;
  /** b */
  payoffRatio: Dec;
  /** f* before scaling (may be ≤ 0). */
  kelly: Dec;
  /** Fraction of equity after fractional Kelly, confidence and caps (0 without a trade). */
  fraction: Dec;
  /** Base quantity, rounded down (0 without a trade). */
  qty: Dec;
  notional: Dec;
  stopLoss?: Dec;
  takeProfit?: Dec;
}

const ZERO = new Dec(0);
const ONE = new Dec(1);
const HALF = new Dec('0.5');

export const dec = (x: number): Dec => new Dec(numberToDecimalString(x));

export class KellySizer {
  private readonly kellyFraction: Dec;
  private readonly cap: Dec;
  private readonly b: Dec;
  private readonly prior: Dec;
  private readonly maxP: Dec;

  constructor(readonly config: KellyConfig) {
    const c = config;
    if (!(c.kellyFraction > 0 && c.kellyFraction <= 1)) throw new RangeError('kellyFraction must be in (0, 1]');
    if (!(c.maxPositionPct > 0 && c.maxPositionPct <= 100)) throw new RangeError('maxPositionPct must be in (0, 100]');
    if (!(c.payoffRatio > 0)) throw new RangeError('payoffRatio must be > 0');
    if (!(c.priorHitRate >= 0 && c.priorHitRate <= 1)) throw new RangeError('priorHitRate must be in [0, 1]');
    if (!(c.maxWinProbability > 0 && c.maxWinProbability <= 1)) throw new RangeError('maxWinProbability must be in (0, 1]');
    this.kellyFraction = dec(c.kellyFraction);
    this.cap = dec(c.maxPositionPct).div(100);
    this.b = dec(c.payoffRatio);
    this.prior = dec(c.priorHitRate);
    this.maxP = dec(c.maxWinProbability);
  }

  /** p from confidence and track record (see the module comment). */
  calibrate(confidence: number, sources?: readonly SourceTrack[]): Calibration {
    const c = clip(dec(confidence), ZERO, ONE);
    const record = sources ? weightedHitRate(sources) : undefined;
    const hitRate = record ?? this.prior;
    const p = clip(HALF.plus(hitRate.minus(HALF).times(c)), ZERO, this.maxP);
    return { p, hitRate, basis: record ? 'track_record' : 'prior' };
  }

  /** f* = p − (1 − p) / b */
  static kelly(p: Dec, b: Dec): Dec {
    return p.minus(ONE.minus(p).div(b));
  }

  qtyDecimals(symbol: string): number {
    return this.config.qtyDecimals[symbol] ?? this.config.defaultQtyDecimals;
  }

  size(input: SizingInput): Sizing {
    const side: OrderSideName = input.side === 'BUY' ? 'buy' : 'sell';
    const confidence = clip(dec(input.confidence), ZERO, ONE);
    const calibration = this.calibrate(input.confidence, input.sources);
    const kelly = KellySizer.kelly(calibration.p, this.b);
    const base = { side, calibration, payoffRatio: this.b, kelly };
    const none = (reason: NoTradeReason): Sizing => ({ ...base, trade: false, reason, fraction: ZERO, qty: ZERO, notional: ZERO });

    if (kelly.lte(0)) return none('no_edge');
    if (input.equity.lte(0)) return none('no_equity');
    if (input.price.lte(0)) return none('no_price');

    const raw = kelly.times(this.kellyFraction).times(confidence);
    const pos = input.positionQty;
    const longQty = Dec.max(pos, ZERO);
    const shortQty = Dec.max(pos.neg(), ZERO);
    const pctOf = (qty: Dec) => qty.times(input.price).div(input.equity);

    let limit: Dec;
    let maxQty: Dec | undefined;
    if (side === 'buy') {
      limit = this.cap.minus(pctOf(longQty));
      if (limit.lte(0)) return none('max_position');
    } else if (!this.config.allowShort) {
      if (longQty.lte(0)) return none('no_position');
      limit = pctOf(longQty);
      maxQty = longQty;
    } else {
      limit = pctOf(longQty).plus(Dec.max(this.cap.minus(pctOf(shortQty)), ZERO));
      if (limit.lte(0)) return none('max_position');
    }
    const fraction = Dec.min(raw, limit);
    let qty = fraction.times(input.equity).div(input.price).toDecimalPlaces(this.qtyDecimals(input.symbol), Dec.ROUND_DOWN);
    if (maxQty !== undefined && qty.gt(maxQty)) qty = maxQty;
    if (qty.lte(0)) return { ...none('below_min_qty'), fraction };
    const sizing: Sizing = { ...base, trade: true, fraction, qty, notional: qty.times(input.price) };
    if (input.atr !== undefined && input.atr.gt(0)) Object.assign(sizing, this.levels(side, input.price, input.atr));
    return sizing;
  }

  /**
   * Stop-loss and take-profit at ATR multiples from the price (below/above for a buy, the other
   * way for a sell), rounded to priceDecimals; a stop that would be ≤ 0 is left out.
   */
  levels(side: OrderSideName, price: Dec, atr: Dec): { stopLoss?: Dec; takeProfit?: Dec } {
    const d = this.config.priceDecimals;
    const stopDist = atr.times(dec(this.config.stopAtrMult));
    const tpDist = atr.times(dec(this.config.takeProfitAtrMult));
    const stop = (side === 'buy' ? price.minus(stopDist) : price.plus(stopDist)).toDecimalPlaces(d);
    const tp = (side === 'buy' ? price.plus(tpDist) : price.minus(tpDist)).toDecimalPlaces(d);
    const out: { stopLoss?: Dec; takeProfit?: Dec } = {};
    if (stop.gt(0)) out.stopLoss = stop;
    if (tp.gt(0)) out.takeProfit = tp;
    return out;
  }
}

/**
 * Σ(base_weight × scored × hit_rate) / Σ(base_weight × scored) over sources with valid numbers;
 * undefined when no source has been scored (no track record yet).
 */
export function weightedHitRate(sources: readonly SourceTrack[]): Dec | undefined {
  let num = ZERO;
  let den = ZERO;
  for (const s of sources) {
    if (![s.hitRate, s.baseWeight, s.scored].every(Number.isFinite)) continue;
    if (s.baseWeight <= 0 || s.scored <= 0 || s.hitRate < 0 || s.hitRate > 1) continue;
    const w = dec(s.baseWeight).times(dec(s.scored));
    num = num.plus(w.times(dec(s.hitRate)));
    den = den.plus(w);
  }
  return den.gt(0) ? num.div(den) : undefined;
}

function clip(x: Dec, lo: Dec, hi: Dec): Dec {
  return Dec.min(Dec.max(x, lo), hi);
}
