/**
 * RiskEngine: decides on one proposed order against the limits, the trading state, the
 * portfolio's exposure, the latest price and today's trade counts. Pure and deterministic: no
 * I/O, no clock (ages come in the context), exact decimal math. The same engine runs in the
 * service and in a backtest.
 *
 * Vocabulary, for an order of side s and quantity q on a symbol held at signed position p:
 *   reducible r  = |p| when the order is on the opposite side of p, else 0
 *   reducing     = r > 0 and q <= r          (the order only shrinks the position)
 *   flip         = r > 0 and q > r           (closes the position and opens the other way)
 *   opening part = q - r (the whole order when r = 0)
 *
 * Order of judgement:
 *  1. Circuit breakers (unless already HALTED): daily loss = start-of-day equity − equity >=
 *     max_daily_loss_pct of start-of-day equity; drawdown = peak − equity >= max_drawdown_pct of
 *     peak. Either one is reported in `trip` (the caller switches the fleet to HALTED) and the
 *     order is judged as under HALTED.
 *  2. Rules that only stop new exposure cut the order to its reducible part r (a pure opening
 *     order to 0): HALTED (`halted`), REDUCING (`reducing_only`), the allow-list
 *     (`symbol_not_allowed`), trades per day overall and per symbol. With
 *     `haltedAllowsReducing: false`, HALTED rejects everything.
 *  3. Rules for every order: a price must be known (`no_price`) and fresh (`stale_price`: the
 *     symbol's tick lags the newest tick of any symbol by more than max_price_age_ms of data
 *     time, or the whole feed has been silent for longer than maxFeedSilenceMs of wall time, or
 *     every live market feed of the symbol reports stale: `ctx.feedStale`);
 *     max_order_notional caps q × price.
 *  4. For orders that are not purely reducing, and not already cut by 2: the position after the
 *     order (plus pending approvals the same way) may not exceed max_position_pct of equity, and
 *     gross exposure after the order (plus all pending approvals) may not exceed
 *     max_gross_exposure_pct of equity. Each gives the largest q that fits.
 *  5. q is cut to the smallest cap (rounded down to `qtyDecimals`); the caps that bound it are the
 *     reasons. Nothing left → REJECTED. An order that still opens exposure and is worth less
 *     than min_order_notional → REJECTED (`min_order_notional`); reducing orders are exempt so
 *     dust positions can be closed.
 *
 * So a reducing order is subject only to: the price guard (no_price, stale_price),
 * max_order_notional, and HALTED when haltedAllowsReducing is false. It is never blocked by
 * position, exposure, trade-count, allow-list, min-notional limits, REDUCING or (by default) HALTED.
 */
import { Dec } from '@cte/shared/core';
import type { CheckContext, CheckInput, CheckResult, ExposureSnapshot, PreparedLimits, ReasonCode } from './types';

export interface RiskEngineOptions {
  /** Resized quantities are rounded down to this many decimals. Default 8. */
  qtyDecimals?: number;
  /** Position-reducing orders pass under HALTED. Default true. */
  haltedAllowsReducing?: boolean;
  /** Wall ms of feed silence after which every price counts as stale; 0 = off (backtests). Default 0. */
  maxFeedSilenceMs?: number;
}

const ZERO = new Dec(0);

export class RiskEngine {
  readonly qtyDecimals: number;
  readonly haltedAllowsReducing: boolean;
  readonly maxFeedSilenceMs: number;

  constructor(opts: RiskEngineOptions = {}) {
    this.qtyDecimals = opts.qtyDecimals ?? 8;
    this.haltedAllowsReducing = opts.haltedAllowsReducing ?? true;
    this.maxFeedSilenceMs = opts.maxFeedSilenceMs ?? 0;
    if (!Number.isInteger(this.qtyDecimals) || this.qtyDecimals < 0 || this.qtyDecimals > 18) throw new RangeError('qtyDecimals must be an integer in [0, 18]');
  }

  /** The circuit breakers breached by `exposure` (empty when none). */
  breaches(exposure: ExposureSnapshot, limits: PreparedLimits): ReasonCode[] {
    const out: ReasonCode[] = [];
    const { equity, startOfDayEquity: sod, peakEquity: peak } = exposure;
    if (sod.gt(ZERO) && sod.minus(equity).gte(sod.mul(limits.dailyLossFraction))) out.push('max_daily_loss_pct');
    if (peak.gt(ZERO) && peak.minus(equity).gte(peak.mul(limits.drawdownFraction))) out.push('max_drawdown_pct');
    return out;
  }

  check(input: CheckInput, ctx: CheckContext): CheckResult {
    const prepared = ctx.limits;
    const L = prepared.limits;
    const q = input.qty;
    const trip = ctx.state === 'HALTED' ? [] : this.breaches(ctx.exposure, prepared);
    const state = trip.length > 0 ? 'HALTED' : ctx.state;

    const position = ctx.exposure.symbols.get(input.symbol);
    const buy = input.side === 'buy';
    // The position measured in the order's direction: > 0 same side, < 0 opposite side.
    const posDir = position ? (buy ? position.qty : position.qty.neg()) : ZERO;
    const reducible = posDir.lt(ZERO) ? posDir.neg() : ZERO;
    const reducing = reducible.gt(ZERO) && q.lte(reducible);
    const price = input.price ?? ctx.price?.price;

    const reasons: ReasonCode[] = [...trip];
    const reject = (...more: ReasonCode[]): CheckResult => ({
      decision: 'REJECTED',
      approvedQty: ZERO,
      reasons: [...reasons, ...more],
      reducesPosition: reducing,
      price,
      state,
      trip,
      openingQty: ZERO,
    });

    // 2. Rules that stop new exposure only.
    const blockOpen: ReasonCode[] = [];
    let rejectAll = false;
    if (state === 'HALTED') {
      blockOpen.push('halted');
      if (!this.haltedAllowsReducing) rejectAll = true;
    } else if (state === 'REDUCING') {
      blockOpen.push('reducing_only');
    }
    if (prepared.allowed !== undefined && !prepared.allowed.has(input.symbol)) blockOpen.push('symbol_not_allowed');
    if (!reducing) {
      if (ctx.tradesToday >= L.maxTradesPerDay) blockOpen.push('max_trades_per_day');
      if (ctx.tradesTodaySymbol >= L.maxTradesPerDayPerSymbol) blockOpen.push('max_trades_per_day_per_symbol');
    }

    // 3. Rules for every order: a known, fresh price.
    const priceProblems: ReasonCode[] = [];
    if (price === undefined) priceProblems.push('no_price');
    else if (
      (L.maxPriceAgeMs > 0 && (ctx.price === undefined || ctx.price.ageMs > L.maxPriceAgeMs)) ||
      (this.maxFeedSilenceMs > 0 && ctx.price !== undefined && ctx.price.feedSilenceMs > this.maxFeedSilenceMs) ||
      ctx.feedStale === true
    ) {
      priceProblems.push('stale_price');
    }
    if (rejectAll || price === undefined || priceProblems.length > 0) {
      // Opening-only rules are listed too when they would have stopped an opening order.
      return reject(...(reducing && !rejectAll ? [] : blockOpen), ...priceProblems);
    }

    // Caps on q, each with the reason it stands for.
    const capCodes: ReasonCode[] = [];
    const capValues: Dec[] = [];
    const cap = (code: ReasonCode, value: Dec): void => {
      capCodes.push(code);
      capValues.push(value);
    };
    for (const code of blockOpen) cap(code, reducible);
    cap('max_order_notional', L.maxOrderNotional.div(price));
    if (!reducing && blockOpen.length === 0) {
      // 4. Position and gross exposure after the order.
      const equity = ctx.exposure.equity;
      const pending = ctx.pending;
      const pendingDir = pending ? (buy ? pending.buyQty : pending.sellQty) : ZERO;
      const openDir = (posDir.gt(ZERO) ? posDir : ZERO).plus(pendingDir);
      const maxPositionQty = equity.mul(prepared.positionFraction).div(price);
      cap('max_position_pct', reducible.plus(Dec.max(ZERO, maxPositionQty.minus(openDir))));
      const gross = pending ? ctx.exposure.grossExposure.plus(pending.grossNotional) : ctx.exposure.grossExposure;
      // A flip first closes the whole position, freeing its notional.
      const freed = reducible.gt(ZERO) && position ? position.notional.abs() : ZERO;
      const room = equity.mul(prepared.grossFraction).minus(gross).plus(freed);
      cap('max_gross_exposure_pct', reducible.plus(Dec.max(ZERO, room.div(price))));
    }

    // 5. The smallest cap wins.
    let bound = q;
    for (const v of capValues) if (v.lt(bound)) bound = v;
    for (let i = 0; i < capValues.length; i++) if ((capValues[i] as Dec).lt(q) && (capValues[i] as Dec).lte(bound)) reasons.push(capCodes[i] as ReasonCode);
    const approved = bound.lt(q) ? bound.toDecimalPlaces(this.qtyDecimals, Dec.ROUND_DOWN) : q;
    if (approved.lte(ZERO)) return reject();
    if (approved.gt(reducible) && approved.mul(price).lt(L.minOrderNotional)) return reject('min_order_notional');
    return {
      decision: approved.eq(q) ? 'APPROVED' : 'RESIZED',
      approvedQty: approved,
      reasons,
      reducesPosition: reducible.gt(ZERO) && approved.lte(reducible),
      price,
      state,
      trip,
      openingQty: approved.gt(reducible) ? approved.minus(reducible) : ZERO,
    };
  }
}
