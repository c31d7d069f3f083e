/**
 * The Ledger: per-asset balances and per-symbol positions, moved by fills. Pure and deterministic
 * (no I/O, no clock): the same fills in the same order give the same books, digit for digit, live,
 * after a restart or in a backtest.
 *
 * A fill is applied in two steps so that the adapter can make it durable in between:
 *   const update = ledger.plan(fill);   // computes the new rows, changes nothing
 *   ...commit update to MySQL...
 *   ledger.commit(update);              // now the in-memory books move
 *
 * Rules (qty is signed: < 0 is short; a buy adds +qty, a sell −qty):
 * - **Opening or adding** (flat, or the fill goes the position's way): the average entry becomes
 *   the quantity-weighted average `(|q|·avg + qty·price) / (|q| + qty)`, rounded to 18 decimals
 *   (half away from zero). From flat it is the fill price.
 * - **Reducing, closing or flipping** (the fill goes against the position): the closed part
 *   `min(|q|, qty)` realises `closed × (price − avg)` for a long, `closed × (avg − price)` for a
 *   short (rounded to 18 decimals). What is left over flips the position, whose average entry is
 *   the fill price; a partial reduction keeps the average entry; flat means average entry 0.
 * - **Cash**: the quote asset moves by −qty×price for a buy and +qty×price for a sell (rounded to
 *   18 decimals); the base asset by ±qty.
 * - **Fees** are debited from the balance of `fee_currency` and accumulated on the position in the
 *   quote currency: as they are when `fee_currency` is the quote, times the fill price when it is
 *   the base asset; a fee in a third currency is debited from that balance only.
 * - Realised PnL is gross of fees (net = realised − fees).
 * Every resulting amount must fit DECIMAL(36,18); a fill that would overflow is refused whole
 * (`LedgerRejection`) and changes nothing.
 */
import { InvalidArgumentError, type OrderSide, type Symbol } from '@cte/shared/core';
import { COLUMN_LIMIT, Exact, ZERO, fitsColumn, round18, sign, type Decimal } from './money';

/** A validated fill in ledger terms (see `toLedgerFill`). */
export interface LedgerFill {
  fillId: string;
  symbol: Symbol;
  base: string;
  quote: string;
  side: OrderSide;
  /** > 0, at most 18 decimals. */
  qty: Decimal;
  /** > 0, at most 18 decimals. */
  price: Decimal;
  /** >= 0, at most 18 decimals. */
  fee: Decimal;
  feeCurrency: string;
  /** Epoch ms of the fill at the venue. */
  ts: number;
}

export interface PositionState {
  symbol: Symbol;
  /** Signed: < 0 is short. */
  qty: Decimal;
  /** 0 when flat. */
  avgEntry: Decimal;
  /** Gross of fees, in the symbol's quote currency. */
  realized: Decimal;
  /** In the symbol's quote currency. */
  fees: Decimal;
  /** Fills applied to this symbol. */
  fills: number;
  lastFillId: string;
  /** Venue time of the last fill. */
  updatedAt: number;
}

export interface BalanceState {
  asset: string;
  total: Decimal;
}

/** Everything the ledger holds; what MySQL stores and a restart loads. */
export interface LedgerState {
  /** Fills applied so far. */
  seq: number;
  balances: BalanceState[];
  positions: PositionState[];
}

/** The effect of one fill, computed by `plan` and made real by `commit`. */
export interface LedgerUpdate {
  fill: LedgerFill;
  /** The ledger's seq before and after this fill. */
  prevSeq: number;
  seq: number;
  /** The symbol's position after the fill. */
  position: PositionState;
  /** New totals of every asset the fill moved (quote, base and fee currency). */
  balances: BalanceState[];
  /** Realised PnL booked by this fill (gross of fees). */
  realized: Decimal;
  /** The fee valued in the quote currency (what the position's fees grew by). */
  feeInQuote: Decimal;
  /** Signed quantity change: +qty for a buy, −qty for a sell. */
  delta: Decimal;
}

/** A fill the ledger cannot apply (an amount would not fit DECIMAL(36,18)). */
export class LedgerRejection extends InvalidArgumentError {
  constructor(
    message: string,
    readonly reason: 'overflow' | 'order',
  ) {
    super(message);
  }
}

/** `BTC/USD` → ['BTC', 'USD']. */
export function splitSymbol(symbol: Symbol): [string, string] {
  const i = symbol.indexOf('/');
  return [symbol.slice(0, i), symbol.slice(i + 1)];
}

export function emptyPosition(symbol: Symbol): PositionState {
  return { symbol, qty: ZERO, avgEntry: ZERO, realized: ZERO, fees: ZERO, fills: 0, lastFillId: '', updatedAt: 0 };
}

export class Ledger {
  private seqValue: number;
  private readonly balanceMap = new Map<string, Decimal>();
  private readonly positionMap = new Map<Symbol, PositionState>();

  constructor(state?: LedgerState) {
    this.seqValue = 0;
    if (state) this.load(state);
  }

  /** Fills applied so far. */
  get seq(): number {
    return this.seqValue;
  }

  /** Replaces everything with `state` (start-up, or after another writer moved the books). */
  load(state: LedgerState): void {
    this.seqValue = state.seq;
    this.balanceMap.clear();
    this.positionMap.clear();
    for (const b of state.balances) this.balanceMap.set(b.asset, b.total);
    for (const p of state.positions) this.positionMap.set(p.symbol, { ...p });
  }

  /** A copy of everything (for persistence checks and tests). */
  state(): LedgerState {
    return { seq: this.seqValue, balances: this.balances(), positions: this.positions() };
  }

  /** Adds `amount` to an asset's balance (seeding the initial capital). */
  credit(asset: string, amount: Decimal): void {
    this.balanceMap.set(asset, this.balance(asset).plus(amount));
  }

  balance(asset: string): Decimal {
    return this.balanceMap.get(asset) ?? ZERO;
  }

  /** Every balance, by asset name. */
  balances(): BalanceState[] {
    return [...this.balanceMap.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([asset, total]) => ({ asset, total }));
  }

  position(symbol: Symbol): PositionState | undefined {
    const p = this.positionMap.get(symbol);
    return p ? { ...p } : undefined;
  }

  /** Every position ever opened (flat ones keep their realised PnL), by symbol. */
  positions(): PositionState[] {
    return [...this.positionMap.values()].sort((a, b) => (a.symbol < b.symbol ? -1 : a.symbol > b.symbol ? 1 : 0)).map((p) => ({ ...p }));
  }

  /** Read-only iteration without copies (valuation on every tick). */
  forEachPosition(fn: (p: Readonly<PositionState>) => void): void {
    for (const p of this.positionMap.values()) fn(p);
  }

  /** Computes what `fill` does to the books without changing them. Throws LedgerRejection on overflow. */
  plan(fill: LedgerFill): LedgerUpdate {
    const prev = this.positionMap.get(fill.symbol) ?? emptyPosition(fill.symbol);
    const delta = fill.side === 'buy' ? fill.qty : fill.qty.negated();
    const q = prev.qty;
    let qty = q.plus(delta);
    let avgEntry = prev.avgEntry;
    let realized = ZERO;

    if (q.isZero() || sign(q) === sign(delta)) {
      // Opening or adding: quantity-weighted average entry.
      const held = q.abs();
      avgEntry = held.isZero() ? fill.price : round18(held.times(prev.avgEntry).plus(fill.qty.times(fill.price)).div(held.plus(fill.qty)));
    } else {
      // Reducing, closing or flipping.
      const held = q.abs();
      const closed = fill.qty.lt(held) ? fill.qty : held;
      const perUnit = q.isPositive() ? fill.price.minus(prev.avgEntry) : prev.avgEntry.minus(fill.price);
      realized = round18(closed.times(perUnit));
      if (qty.isZero()) {
        qty = ZERO;
        avgEntry = ZERO;
      } else if (fill.qty.gt(held)) {
        avgEntry = fill.price; // flipped: the remainder opened at the fill price
      }
    }

    const notional = round18(fill.qty.times(fill.price));
    const feeInQuote = fill.feeCurrency === fill.quote ? fill.fee : fill.feeCurrency === fill.base ? round18(fill.fee.times(fill.price)) : ZERO;
    const position: PositionState = {
      symbol: fill.symbol,
      qty,
      avgEntry,
      realized: prev.realized.plus(realized),
      fees: prev.fees.plus(feeInQuote),
      fills: prev.fills + 1,
      lastFillId: fill.fillId,
      updatedAt: fill.ts,
    };

    const moved = new Map<string, Decimal>();
    const move = (asset: string, by: Decimal): void => {
      moved.set(asset, (moved.get(asset) ?? this.balance(asset)).plus(by));
    };
    move(fill.quote, fill.side === 'buy' ? notional.negated() : notional);
    move(fill.base, delta);
    if (!fill.fee.isZero()) move(fill.feeCurrency, fill.fee.negated());
    const balances = [...moved.entries()].map(([asset, total]) => ({ asset, total: total.isZero() ? ZERO : total }));

    const check = (what: string, v: Decimal): void => {
      if (!fitsColumn(v)) throw new LedgerRejection(`fill ${fill.fillId} would make ${what} ${v.toFixed()} (limit ±${COLUMN_LIMIT.toFixed()})`, 'overflow');
    };
    check(`${fill.symbol} qty`, position.qty);
    check(`${fill.symbol} realised PnL`, position.realized);
    check(`${fill.symbol} fees`, position.fees);
    check(`${fill.symbol} average entry`, position.avgEntry);
    for (const b of balances) check(`the ${b.asset} balance`, b.total);

    return { fill, prevSeq: this.seqValue, seq: this.seqValue + 1, position, balances, realized, feeInQuote, delta };
  }

  /** Makes a planned update real. It must have been planned against the current state. */
  commit(update: LedgerUpdate): void {
    if (update.prevSeq !== this.seqValue) {
      throw new LedgerRejection(`update for fill ${update.fill.fillId} was planned at seq ${update.prevSeq}, ledger is at ${this.seqValue}`, 'order');
    }
    this.positionMap.set(update.position.symbol, update.position);
    for (const b of update.balances) this.balanceMap.set(b.asset, b.total);
    this.seqValue = update.seq;
  }

  /** plan + commit, for backtests and tests. */
  apply(fill: LedgerFill): LedgerUpdate {
    const u = this.plan(fill);
    this.commit(u);
    return u;
  }
}

/** Makes sure every amount in a loaded state has the `Exact` precision (values from MySQL strings). */
export function exactState(state: { seq: number; balances: Array<{ asset: string; total: string }>; positions: Array<Omit<PositionState, 'qty' | 'avgEntry' | 'realized' | 'fees'> & { qty: string; avgEntry: string; realized: string; fees: string }> }): LedgerState {
  return {
    seq: state.seq,
    balances: state.balances.map((b) => ({ asset: b.asset, total: new Exact(b.total) })),
    positions: state.positions.map((p) => ({ ...p, qty: new Exact(p.qty), avgEntry: new Exact(p.avgEntry), realized: new Exact(p.realized), fees: new Exact(p.fees) })),
  };
}
