/**
 * Bundled bars (and trade files) as a venue feed: each bar becomes four trades along the same
 * intrabar path price-stream's offline replay uses (open → low → high → close for a rising bar,
 * open → high → low → close for a falling one, at +0, +¼, +½, +¾ of the bar), each preceded by a
 * book around its price. Aggregating the trades at the bar's timeframe gives the bar back.
 */
import type { Bar, Tick } from '@cte/shared/core';
import { barToTicks } from '@cte/price-stream/engine';
import { decAdd, decDiv, decFromNumber, decLadder, decMul, decSub } from './decimal';
import type { EventSeries } from './replay';
import type { BookEvent, FeedEvent, Level, Side, TradeEvent } from './types';

/** One trade to replay, before ids and books are attached. */
export interface Print {
  ts: number;
  price: string;
  size: string;
  side: Side;
}

const UNIT = '0.00000001';
/** Price levels per side of the generated book. */
export const BOOK_LEVELS = 5;

const sumInOrder = (parts: readonly string[]): number => parts.reduce((acc, p, i) => (i === 0 ? Number(p) : acc + Number(p)), 0);

/**
 * Splits `total` into `parts` decimal sizes (at most 8 decimals when `total` has at most 6) that
 * add up to `total` exactly, and whose doubles, summed in order the way a float aggregator
 * (price-stream's) sums them, land exactly on Number(total) too: the bar volume comes back the
 * same whether the client adds decimals or doubles. The even split is tried first, then a few
 * nearby ones moving one unit (1e-8) at a time between the last two parts.
 */
export function splitVolume(total: string, parts = 4): string[] {
  if (parts < 1) throw new Error('parts must be >= 1');
  const q = decDiv(total, String(parts), 8);
  const rest = decSub(total, decMul(q, String(parts - 1)));
  const even = [...Array<string>(parts - 1).fill(q), rest];
  const target = Number(total);
  if (parts < 2 || sumInOrder(even) === target) return even;
  for (let k = 1; k <= 64; k++) {
    const d = decMul(UNIT, String(k));
    for (const [a, b] of [
      [decSub(q, d), decAdd(rest, d)],
      [decAdd(q, d), decSub(rest, d)],
    ] as const) {
      if (a.startsWith('-') || b.startsWith('-')) continue;
      const tryParts = [...Array<string>(parts - 2).fill(q), a, b];
      if (sumInOrder(tryParts) === target) return tryParts;
    }
  }
  return even;
}

/** The taker's side: a rise is a buy, a fall a sell, unchanged keeps the previous side. */
function sideOf(price: number, prev: number | undefined, prevSide: Side): Side {
  if (prev === undefined || price === prev) return prevSide;
  return price > prev ? 'buy' : 'sell';
}

/** Four prints per bar (price-stream's `barToTicks` path and times), volumes split by `splitVolume`. */
export function barPrints(bars: readonly Bar[]): Print[] {
  const out: Print[] = [];
  let prev: number | undefined;
  let side: Side = 'buy';
  for (const bar of bars) {
    const sizes = splitVolume(decFromNumber(bar.volume), 4);
    barToTicks(bar).forEach((t, i) => {
      side = sideOf(t.price, prev, side);
      prev = t.price;
      out.push({ ts: t.ts, price: decFromNumber(t.price), size: sizes[i] as string, side });
    });
  }
  return out;
}

/** Trades read from a trade file, in time order; a tick without a side gets one from the price move. */
export function tickPrints(ticks: readonly Tick[]): Print[] {
  const out: Print[] = [];
  let prev: number | undefined;
  let side: Side = 'buy';
  for (const t of [...ticks].sort((a, b) => a.ts - b.ts)) {
    side = t.side ?? sideOf(t.price, prev, side);
    prev = t.price;
    out.push({ ts: t.ts, price: decFromNumber(t.price), size: decFromNumber(t.qty), side });
  }
  return out;
}

/** A power of ten about 1/10,000 of the price (at least 1e-8): the generated book's tick. */
export function tickFor(price: string): string {
  const p = Number(price);
  const e = Math.max(-8, (p > 0 ? Math.floor(Math.log10(p)) : 0) - 4);
  return e >= 0 ? `1${'0'.repeat(e)}` : `0.${'0'.repeat(-e - 1)}1`;
}

/** A whole book around `price`: BOOK_LEVELS levels per side, one tick apart, sizes growing outwards. */
export function bookAround(symbol: string, ts: number, price: string, size: string): BookEvent {
  const tick = tickFor(price);
  const sizes = decLadder('0', decAdd(decDiv(size, '4', 8), '0.01'), BOOK_LEVELS);
  const bidPrices = decLadder(price, `-${tick}`, BOOK_LEVELS);
  const askPrices = decLadder(price, tick, BOOK_LEVELS);
  const bids: Level[] = [];
  const asks: Level[] = [];
  for (let k = 0; k < BOOK_LEVELS; k++) {
    const bid = bidPrices[k] as string;
    if (!bid.startsWith('-') && bid !== '0') bids.push([bid, sizes[k] as string]);
    asks.push([askPrices[k] as string, sizes[k] as string]);
  }
  return { kind: 'book', symbol, ts, bids, asks, snapshot: true };
}

/**
 * The feed of one market built from prints: event 2i is the book around print i (replacing the
 * previous book, so clients see removals at size 0 and new levels, each with its own sequence
 * number), event 2i+1 is the trade, with id `firstId + i`. Events are generated on demand.
 */
export class PrintSeries implements EventSeries {
  readonly length: number;
  readonly tradeIds: { lo: number; hi: number } | undefined;

  constructor(
    private readonly symbol: string,
    private readonly prints: readonly Print[],
    readonly alignMs: number,
    private readonly firstId = 1,
  ) {
    for (let i = 1; i < prints.length; i++) if ((prints[i] as Print).ts < (prints[i - 1] as Print).ts) throw new Error('prints must be sorted by ts');
    this.length = prints.length * 2;
    this.tradeIds = prints.length > 0 ? { lo: firstId, hi: firstId + prints.length - 1 } : undefined;
  }

  ts(i: number): number {
    return (this.prints[i >> 1] as Print).ts;
  }

  event(i: number): FeedEvent {
    const p = this.prints[i >> 1] as Print;
    if (i % 2 === 0) return bookAround(this.symbol, p.ts, p.price, p.size);
    const t: TradeEvent = { kind: 'trade', symbol: this.symbol, ts: p.ts, id: this.firstId + (i >> 1), price: p.price, size: p.size, side: p.side };
    return t;
  }
}
