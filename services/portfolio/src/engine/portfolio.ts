/**
 * The portfolio as a whole: the Ledger (balances, positions) plus market prices (marks) and the
 * equity watermarks (peak for drawdown, start of the UTC day for daily PnL). Pure: no I/O and no
 * clock; every time it sees is data time (prices' and fills' own timestamps).
 *
 * Valuation (in `quoteCurrency`, e.g. USD):
 * - A position is marked at the latest price seen for its symbol. **A position without a price
 *   yet** (no tick since start) is marked at its own average entry price: it counts at cost in
 *   equity and exposure, and its unrealised PnL is 0 until the first price arrives.
 * - `unrealized = qty × (mark − avg_entry)`, `notional = |qty| × mark`.
 * - `equity = cash + Σ qty × mark`, where cash is the quote-currency balance. Positions whose
 *   symbol is quoted in another currency (not expected: the fleet trades one quote currency) are
 *   reported but are not part of equity, exposure or the totals.
 * - Equity and the other derived amounts are rounded to 18 decimals (half away from zero).
 * - Peak equity only rises; it starts at the initial capital. `drawdown = (peak − equity) / peak`
 *   (0 when equity is at or above the peak).
 * - The day follows **price data time**: the first price of a later UTC day than the current one
 *   starts a new day, whose start-of-day equity is the equity just before that price (the last
 *   equity of the previous day). In replay the day therefore follows the replayed market, live it
 *   follows the exchange's clock. Before the first price there is no day and daily PnL is 0.
 *   Fills do not advance the day (a venue clock may differ from the data clock).
 */
import type { Symbol } from '@cte/shared/core';
import { Ledger, type LedgerFill, type LedgerState, type LedgerUpdate, type PositionState, type BalanceState } from './ledger';
import { HUNDRED, ZERO, max, round18, type Decimal } from './money';

export const DAY_MS = 86_400_000;

/** UTC midnight of the day `ts` falls in. */
export function utcDayStart(ts: number): number {
  return Math.floor(ts / DAY_MS) * DAY_MS;
}

export interface Mark {
  price: Decimal;
  /** Data time of the price. */
  ts: number;
}

/** What survives a restart besides the ledger. */
export interface Watermarks {
  peak: Decimal;
  /** Data time the peak was reached (null: the seeded capital). */
  peakAt: number | null;
  /** UTC midnight of the current day (data time); null before the first price. */
  dayStart: number | null;
  startOfDayEquity: Decimal | null;
  /** Newest price time seen. */
  dataTs: number | null;
}

export interface PositionValue {
  position: PositionState;
  /** The latest price, when one was seen. */
  mark: Mark | undefined;
  /** The price it is valued at: the mark, else its average entry. */
  valuationPrice: Decimal;
  unrealized: Decimal;
  /** |qty| × valuation price. */
  notional: Decimal;
  /** qty × valuation price (signed). */
  marketValue: Decimal;
  /** Quoted in the portfolio's currency, hence part of equity and exposure. */
  inEquity: boolean;
}

export interface Valuation {
  seq: number;
  quoteCurrency: string;
  initialCapital: Decimal;
  cash: Decimal;
  equity: Decimal;
  realized: Decimal;
  unrealized: Decimal;
  fees: Decimal;
  /** Σ |notional| over open positions. */
  grossExposure: Decimal;
  /** Σ qty × mark over open positions. */
  netExposure: Decimal;
  peak: Decimal;
  peakAt: number | null;
  /** (peak − equity) / peak, 0..1 (above 1 when equity is negative); 0 at or above the peak. */
  drawdown: Decimal;
  /** The same in percent, computed from the exact ratio. */
  drawdownPct: Decimal;
  dayStart: number | null;
  startOfDayEquity: Decimal | null;
  /** equity − start-of-day equity; 0 before the first price. */
  dailyPnl: Decimal;
  dataTs: number | null;
  /** Every position, flat ones included. */
  positions: PositionValue[];
  balances: BalanceState[];
  openPositions: number;
}

export interface SymbolExposure {
  symbol: Symbol;
  qty: Decimal;
  notional: Decimal;
  /** notional / equity × 100; null when equity <= 0. */
  pctOfEquity: Decimal | null;
}

export interface ExposureView {
  equity: Decimal;
  grossExposure: Decimal;
  /** null when equity <= 0. */
  grossExposurePct: Decimal | null;
  netExposure: Decimal;
  symbols: SymbolExposure[];
  startOfDayEquity: Decimal;
  dailyPnl: Decimal;
  peak: Decimal;
  drawdownPct: Decimal;
}

export interface PortfolioOptions {
  quoteCurrency: string;
  initialCapital: Decimal;
  ledger?: LedgerState;
  watermarks?: Watermarks;
}

/** Percent of `whole`, rounded to 18 decimals; null when whole <= 0. */
export function pctOf(part: Decimal, whole: Decimal): Decimal | null {
  return whole.gt(0) ? round18(part.div(whole).times(HUNDRED)) : null;
}

export class Portfolio {
  readonly ledger: Ledger;
  readonly quoteCurrency: string;
  readonly initialCapital: Decimal;
  private readonly marks = new Map<Symbol, Mark>();
  private wm: Watermarks;
  private versionValue = 0;
  private cached: Valuation | undefined;
  private equityCache: Decimal | undefined;

  constructor(o: PortfolioOptions) {
    this.quoteCurrency = o.quoteCurrency;
    this.initialCapital = o.initialCapital;
    this.ledger = new Ledger(o.ledger);
    this.wm = o.watermarks ? { ...o.watermarks } : { peak: o.initialCapital, peakAt: null, dayStart: null, startOfDayEquity: null, dataTs: null };
  }

  /** Bumped by every change (fill, price, reload); views are cached per version. */
  get version(): number {
    return this.versionValue;
  }

  /** Replaces the books and watermarks (start-up, or after another writer moved them). Marks stay. */
  load(ledger: LedgerState, watermarks: Watermarks): void {
    this.ledger.load(ledger);
    this.wm = { ...watermarks };
    this.changed();
  }

  watermarks(): Watermarks {
    return { ...this.wm };
  }

  mark(symbol: Symbol): Mark | undefined {
    return this.marks.get(symbol);
  }

  /**
   * A market price (data time `ts`). Rolls the day when `ts` is in a later UTC day, then marks the
   * symbol and raises the peak if equity reached a new high.
   */
  onPrice(symbol: Symbol, price: Decimal, ts: number): void {
    const day = utcDayStart(ts);
    if (this.wm.dayStart === null || day > this.wm.dayStart) {
      this.wm.startOfDayEquity = this.equity();
      this.wm.dayStart = day;
    }
    if (this.wm.dataTs === null || ts > this.wm.dataTs) this.wm.dataTs = ts;
    this.marks.set(symbol, { price, ts });
    this.changed();
    this.observePeak(this.wm.dataTs);
  }

  /** The ledger's plan for a fill (changes nothing). */
  planFill(fill: LedgerFill): LedgerUpdate {
    return this.ledger.plan(fill);
  }

  /** Commits a planned (and persisted) fill, then raises the peak if equity reached a new high. */
  commitFill(update: LedgerUpdate): void {
    this.ledger.commit(update);
    this.changed();
    this.observePeak(this.wm.dataTs ?? update.fill.ts);
  }

  /** plan + commit (backtests, tests). */
  applyFill(fill: LedgerFill): LedgerUpdate {
    const u = this.planFill(fill);
    this.commitFill(u);
    return u;
  }

  /** cash + Σ qty × mark over positions quoted in the portfolio's currency, rounded to 18 decimals. */
  equity(): Decimal {
    if (this.equityCache) return this.equityCache;
    let value = this.ledger.balance(this.quoteCurrency);
    this.ledger.forEachPosition((p) => {
      if (p.qty.isZero() || !this.inEquity(p.symbol)) return;
      value = value.plus(p.qty.times(this.marks.get(p.symbol)?.price ?? p.avgEntry));
    });
    this.equityCache = round18(value);
    return this.equityCache;
  }

  valuation(): Valuation {
    if (this.cached) return this.cached;
    const cash = this.ledger.balance(this.quoteCurrency);
    const equity = this.equity();
    let realized = ZERO;
    let unrealized = ZERO;
    let fees = ZERO;
    let gross = ZERO;
    let net = ZERO;
    let open = 0;
    const positions: PositionValue[] = this.ledger.positions().map((p) => {
      const mark = this.marks.get(p.symbol);
      const valuationPrice = mark?.price ?? p.avgEntry;
      const unreal = p.qty.isZero() ? ZERO : round18(p.qty.times(valuationPrice.minus(p.avgEntry)));
      const marketValue = round18(p.qty.times(valuationPrice));
      const notional = marketValue.abs();
      const inEquity = this.inEquity(p.symbol);
      if (inEquity) {
        realized = realized.plus(p.realized);
        unrealized = unrealized.plus(unreal);
        fees = fees.plus(p.fees);
        if (!p.qty.isZero()) {
          gross = gross.plus(notional);
          net = net.plus(marketValue);
          open++;
        }
      }
      return { position: p, mark, valuationPrice, unrealized: unreal, notional, marketValue, inEquity };
    });
    const wm = this.wm;
    const ratio = wm.peak.gt(0) ? max(ZERO, wm.peak.minus(equity).div(wm.peak)) : ZERO;
    this.cached = {
      seq: this.ledger.seq,
      quoteCurrency: this.quoteCurrency,
      initialCapital: this.initialCapital,
      cash,
      equity,
      realized,
      unrealized,
      fees,
      grossExposure: gross,
      netExposure: net,
      peak: wm.peak,
      peakAt: wm.peakAt,
      drawdown: round18(ratio),
      drawdownPct: round18(ratio.times(HUNDRED)),
      dayStart: wm.dayStart,
      startOfDayEquity: wm.startOfDayEquity,
      dailyPnl: wm.startOfDayEquity === null ? ZERO : equity.minus(wm.startOfDayEquity),
      dataTs: wm.dataTs,
      positions,
      balances: this.ledger.balances(),
      openPositions: open,
    };
    return this.cached;
  }

  /** What risk and recommendations need: equity, exposure per open symbol, daily PnL, drawdown. */
  exposure(): ExposureView {
    const v = this.valuation();
    const symbols: SymbolExposure[] = [];
    for (const pv of v.positions) {
      if (!pv.inEquity || pv.position.qty.isZero()) continue;
      symbols.push({ symbol: pv.position.symbol, qty: pv.position.qty, notional: pv.notional, pctOfEquity: pctOf(pv.notional, v.equity) });
    }
    return {
      equity: v.equity,
      grossExposure: v.grossExposure,
      grossExposurePct: pctOf(v.grossExposure, v.equity),
      netExposure: v.netExposure,
      symbols,
      startOfDayEquity: v.startOfDayEquity ?? v.equity,
      dailyPnl: v.dailyPnl,
      peak: v.peak,
      drawdownPct: v.drawdownPct,
    };
  }

  private inEquity(symbol: Symbol): boolean {
    return symbol.endsWith(`/${this.quoteCurrency}`);
  }

  private observePeak(at: number | null): void {
    const equity = this.equity();
    if (equity.gt(this.wm.peak)) {
      this.wm.peak = equity;
      this.wm.peakAt = at;
    }
  }

  private changed(): void {
    this.versionValue++;
    this.cached = undefined;
    this.equityCache = undefined;
  }
}
