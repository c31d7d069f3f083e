import { numberToDecimalString, type BookTopMessage, type Symbol } from '@cte/shared/core';

/**
 * The top of a venue order book as ccxt keeps it (bids best first, asks best first, levels
 * `[price, size]`), checked before it is published, and the conflation of published tops. Pure.
 */

/** `empty`: a side has no level; `crossed`: best bid >= best ask; `malformed`: a top level is not two positive finite numbers. */
export type BookTopRejection = 'empty' | 'crossed' | 'malformed';
export const BOOK_TOP_REJECTIONS: readonly BookTopRejection[] = ['empty', 'crossed', 'malformed'];

export interface BookTop {
  bid: number;
  bidQty: number;
  ask: number;
  askQty: number;
}

export type BookTopCheck = { ok: true; top: BookTop } | { ok: false; reason: BookTopRejection };

/** Prices and sizes beyond this are not a real market (as for trades). */
const MAX_VALUE = 1e15;

const positive = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v) && v > 0 && v <= MAX_VALUE;

function best(side: unknown): { level: [number, number] } | 'empty' | 'malformed' {
  if (!Array.isArray(side)) return 'malformed';
  if (side.length === 0) return 'empty';
  const l: unknown = side[0];
  if (!Array.isArray(l) || !positive(l[0]) || !positive(l[1])) return 'malformed';
  return { level: [l[0], l[1]] };
}

/** The best bid and ask of `book` (anything with `bids` and `asks`), or why it must not be published. */
export function bookTopOf(book: unknown): BookTopCheck {
  const b = typeof book === 'object' && book !== null ? (book as { bids?: unknown; asks?: unknown }) : {};
  const bid = best(b.bids);
  const ask = best(b.asks);
  if (bid === 'malformed' || ask === 'malformed') return { ok: false, reason: 'malformed' };
  if (bid === 'empty' || ask === 'empty') return { ok: false, reason: 'empty' };
  if (bid.level[0] >= ask.level[0]) return { ok: false, reason: 'crossed' };
  return { ok: true, top: { bid: bid.level[0], bidQty: bid.level[1], ask: ask.level[0], askQty: ask.level[1] } };
}

export function sameTop(a: BookTop, b: BookTop): boolean {
  return a.bid === b.bid && a.bidQty === b.bidQty && a.ask === b.ask && a.askQty === b.askQty;
}

export function toBookTopMessage(exchange: string, symbol: Symbol, top: BookTop, ts: number, seq: number | undefined): BookTopMessage {
  const msg: BookTopMessage = {
    exchange,
    symbol,
    bid: numberToDecimalString(top.bid),
    bid_qty: numberToDecimalString(top.bidQty),
    ask: numberToDecimalString(top.ask),
    ask_qty: numberToDecimalString(top.askQty),
    ts,
  };
  if (seq !== undefined) msg.seq = seq;
  return msg;
}

/**
 * Keeps only the latest top per (exchange, symbol) between drains, so a publisher flushing every
 * N ms sends at most one top per book per flush (like TickConflator for prices). Arrival order is
 * book order: a book only moves forward, so the latest offered is the newest.
 */
export class BookTopConflator {
  private readonly pending = new Map<string, BookTopMessage>();
  private readonly counters = { received: 0, conflated: 0, discarded: 0 };

  add(msg: BookTopMessage): void {
    this.counters.received++;
    const k = key(msg.exchange, msg.symbol);
    if (this.pending.has(k)) this.counters.conflated++;
    this.pending.set(k, msg);
  }

  /** Drops the pending top of one book (its book turned out inconsistent before it was published). */
  discard(exchange: string, symbol: Symbol): void {
    if (this.pending.delete(key(exchange, symbol))) this.counters.discarded++;
  }

  /** The latest top of every book that changed since the last drain, in the order the books first changed. */
  drain(): BookTopMessage[] {
    if (this.pending.size === 0) return [];
    const out = [...this.pending.values()];
    this.pending.clear();
    return out;
  }

  get size(): number {
    return this.pending.size;
  }

  stats(): { received: number; conflated: number; discarded: number } {
    return { ...this.counters };
  }
}

const key = (exchange: string, symbol: string): string => `${exchange}\u0000${symbol}`;
