/**
 * Rebalancing: from target weights of equity to the orders that reach them. Pure.
 *
 * For each target symbol, at its latest price:
 *   target notional  = weight × equity
 *   current notional = qty × price          (signed: a short is negative)
 *   order qty        = (target − current) / price, rounded toward zero to `qtyDecimals` (8)
 * A positive difference is a buy, a negative one a sell. Orders whose |qty| × price is below the
 * minimum notional (or whose qty rounds to 0) are skipped and reported. Symbols not named in the
 * targets are left alone (a weight of 0 closes a position).
 */
import { describeValue, FailedPreconditionError, InvalidArgumentError, numberToDecimalString, parseSymbol, type OrderSide, type Symbol, type TradableSymbols } from '@cte/shared/core';
import { Exact, ONE, ZERO, round18, type Decimal } from './money';

export interface RebalanceTarget {
  symbol: Symbol;
  /** 0..1 of equity. */
  weight: Decimal;
}

export interface RebalanceRequest {
  targets: RebalanceTarget[];
  execute: boolean;
  /** Client-chosen id: repeating a request with the same id proposes nothing twice. */
  rebalanceId: string | undefined;
}

export interface RebalanceOrder {
  symbol: Symbol;
  side: OrderSide;
  /** > 0, at most qtyDecimals decimals. */
  qty: Decimal;
  price: Decimal;
  /** qty × price */
  notional: Decimal;
  targetWeight: Decimal;
  currentWeight: Decimal;
  targetNotional: Decimal;
  currentNotional: Decimal;
}

export interface RebalanceSkip {
  symbol: Symbol;
  reason: 'below_min_notional' | 'at_target';
  /** The qty that would have been ordered (signed, before skipping). */
  qty: Decimal;
  notional: Decimal;
  targetWeight: Decimal;
  currentWeight: Decimal;
}

export interface RebalancePlan {
  equity: Decimal;
  orders: RebalanceOrder[];
  skipped: RebalanceSkip[];
}

export interface RebalanceInputs {
  targets: readonly RebalanceTarget[];
  equity: Decimal;
  /** Signed quantity held. */
  qtyOf(symbol: Symbol): Decimal;
  /** Latest market price, undefined when none was seen yet. */
  priceOf(symbol: Symbol): Decimal | undefined;
  minNotional: Decimal;
  qtyDecimals: number;
}

const ID = /^[A-Za-z0-9][A-Za-z0-9_.:-]{0,63}$/;
const DECIMAL = /^(?:0|[1-9]\d*)(?:\.\d+)?$/;
export const MAX_TARGETS = 100;

function weightOf(symbol: string, v: unknown): Decimal {
  let d: Decimal | undefined;
  if (typeof v === 'number' && Number.isFinite(v)) d = new Exact(numberToDecimalString(v));
  else if (typeof v === 'string' && DECIMAL.test(v)) d = new Exact(v);
  if (d === undefined || d.lt(0) || d.gt(1)) {
    throw new InvalidArgumentError(`targets.${symbol} must be a number from 0 to 1, got ${describeValue(v)}`);
  }
  return d;
}

/** Validates a `POST /rebalance` body. Symbols must be quoted in `quoteCurrency`. */
export function parseRebalanceRequest(body: unknown, quoteCurrency: string, tradable: TradableSymbols): RebalanceRequest {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) throw new InvalidArgumentError('body must be a JSON object');
  const b = body as Record<string, unknown>;
  for (const k of Object.keys(b)) {
    if (k !== 'targets' && k !== 'execute' && k !== 'rebalance_id') throw new InvalidArgumentError(`unknown field ${describeValue(k)} (expected targets, execute, rebalance_id)`);
  }
  const raw = b.targets;
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) throw new InvalidArgumentError('targets must be an object of symbol → weight, e.g. {"BTC/USD": 0.3}');
  const entries = Object.entries(raw as Record<string, unknown>);
  if (entries.length === 0) throw new InvalidArgumentError('targets must name at least one symbol');
  if (entries.length > MAX_TARGETS) throw new InvalidArgumentError(`targets may name at most ${MAX_TARGETS} symbols`);
  const seen = new Set<string>();
  const targets: RebalanceTarget[] = [];
  let sum = ZERO;
  for (const [key, value] of entries) {
    let symbol: Symbol;
    try {
      symbol = parseSymbol(key);
    } catch {
      throw new InvalidArgumentError(`targets: ${describeValue(key)} is not a symbol such as BTC/${quoteCurrency}`);
    }
    if (!symbol.endsWith(`/${quoteCurrency}`)) throw new InvalidArgumentError(`targets.${key}: only symbols quoted in ${quoteCurrency} can be weighted against equity`);
    tradable.check(symbol, 'targets');
    if (seen.has(symbol)) throw new InvalidArgumentError(`targets names ${symbol} twice`);
    seen.add(symbol);
    const weight = weightOf(key, value);
    sum = sum.plus(weight);
    targets.push({ symbol, weight });
  }
  if (sum.gt(ONE)) throw new InvalidArgumentError(`targets must sum to at most 1, got ${sum.toFixed()}`);
  if (b.execute !== undefined && typeof b.execute !== 'boolean') throw new InvalidArgumentError('execute must be true or false');
  let rebalanceId: string | undefined;
  if (b.rebalance_id !== undefined) {
    if (typeof b.rebalance_id !== 'string' || !ID.test(b.rebalance_id)) throw new InvalidArgumentError('rebalance_id must be 1-64 characters of A-Z a-z 0-9 _ . : -');
    rebalanceId = b.rebalance_id;
  }
  return { targets, execute: b.execute === true, rebalanceId };
}

/** The orders that move each target symbol to its weight of equity. */
export function planRebalance(i: RebalanceInputs): RebalancePlan {
  if (!i.equity.gt(0)) throw new FailedPreconditionError(`cannot rebalance: equity is ${i.equity.toFixed()}`);
  const orders: RebalanceOrder[] = [];
  const skipped: RebalanceSkip[] = [];
  const missing = i.targets.filter((t) => i.priceOf(t.symbol) === undefined).map((t) => t.symbol);
  if (missing.length > 0) throw new FailedPreconditionError(`no price yet for ${missing.join(', ')}: cannot size the orders`);
  for (const t of i.targets) {
    const price = i.priceOf(t.symbol) as Decimal;
    const held = i.qtyOf(t.symbol);
    const currentNotional = held.times(price);
    const targetNotional = t.weight.times(i.equity);
    const qty = targetNotional.minus(currentNotional).div(price).toDecimalPlaces(i.qtyDecimals, Exact.ROUND_DOWN);
    const notional = round18(qty.abs().times(price));
    const currentWeight = round18(currentNotional.div(i.equity));
    if (qty.isZero()) {
      skipped.push({ symbol: t.symbol, reason: 'at_target', qty: ZERO, notional: ZERO, targetWeight: t.weight, currentWeight });
      continue;
    }
    if (notional.lt(i.minNotional)) {
      skipped.push({ symbol: t.symbol, reason: 'below_min_notional', qty, notional, targetWeight: t.weight, currentWeight });
      continue;
    }
    orders.push({
      symbol: t.symbol,
      side: qty.isPositive() ? 'buy' : 'sell',
      qty: qty.abs(),
      price,
      notional,
      targetWeight: t.weight,
      currentWeight,
      targetNotional: round18(targetNotional),
      currentNotional: round18(currentNotional),
    });
  }
  return { equity: i.equity, orders, skipped };
}
