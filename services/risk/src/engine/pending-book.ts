/**
 * Opening quantities this service approved that the portfolio may not reflect yet. An approval
 * stays pending until it expires (a fixed TTL after approval) or is released (its order ended
 * without a fill). Sums are kept incrementally and exactly. Pure: times are arguments.
 */
import { Dec, type OrderSide } from '@cte/shared/core';
import type { PendingExposure } from './types';

interface Entry {
  symbol: string;
  side: OrderSide;
  qty: Dec;
  notional: Dec;
  expiresAt: number;
}

interface Sums {
  buyQty: Dec;
  sellQty: Dec;
}

const ZERO = new Dec(0);

export class PendingBook {
  /** Insertion order = expiry order (one TTL for all). */
  private readonly entries = new Map<string, Entry>();
  private readonly bySymbol = new Map<string, Sums>();
  private gross = ZERO;

  add(id: string, symbol: string, side: OrderSide, qty: Dec, notional: Dec, expiresAt: number): void {
    if (qty.lte(ZERO) || this.entries.has(id)) return;
    this.entries.set(id, { symbol, side, qty, notional, expiresAt });
    const s = this.bySymbol.get(symbol) ?? { buyQty: ZERO, sellQty: ZERO };
    if (side === 'buy') s.buyQty = s.buyQty.plus(qty);
    else s.sellQty = s.sellQty.plus(qty);
    this.bySymbol.set(symbol, s);
    this.gross = this.gross.plus(notional);
  }

  release(id: string): boolean {
    const e = this.entries.get(id);
    if (e === undefined) return false;
    this.entries.delete(id);
    const s = this.bySymbol.get(e.symbol) as Sums;
    if (e.side === 'buy') s.buyQty = s.buyQty.minus(e.qty);
    else s.sellQty = s.sellQty.minus(e.qty);
    if (s.buyQty.isZero() && s.sellQty.isZero()) this.bySymbol.delete(e.symbol);
    this.gross = this.gross.minus(e.notional);
    if (this.entries.size === 0) this.gross = ZERO;
    return true;
  }

  /** Drops every approval whose TTL has passed at `now`. */
  expire(now: number): void {
    for (const [id, e] of this.entries) {
      if (e.expiresAt > now) break;
      this.release(id);
    }
  }

  /** Pending exposure relevant to `symbol`; undefined when nothing is pending anywhere. */
  view(symbol: string): PendingExposure | undefined {
    if (this.entries.size === 0) return undefined;
    const s = this.bySymbol.get(symbol);
    return { buyQty: s?.buyQty ?? ZERO, sellQty: s?.sellQty ?? ZERO, grossNotional: this.gross };
  }

  get size(): number {
    return this.entries.size;
  }

  get grossNotional(): Dec {
    return this.gross;
  }
}
