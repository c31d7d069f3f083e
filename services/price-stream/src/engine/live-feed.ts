import { isSide, type Symbol, type Tick } from '@cte/shared/core';

/**
 * Pure pieces of the live (ccxt) source: boundary validation of a venue trade, duplicate
 * suppression by trade id, reconnect backoff and per-feed health. No I/O and no wall clock:
 * callers pass `nowMs` and a random number.
 */

/** Earliest plausible trade time (2009-01-03, the first Bitcoin block). */
const MIN_TRADE_MS = 1_230_940_800_000;
/** A venue trade stamped further in the future than this (venue clock skew) is rejected. */
const MAX_FUTURE_SKEW_MS = 5 * 60_000;
/** Prices and amounts beyond this are not a real market (guards against unit or parsing errors). */
const MAX_VALUE = 1e15;

export type TradeRejection = 'not_object' | 'symbol' | 'id' | 'timestamp' | 'price' | 'amount' | 'side';

/** `malformed`: missing or of the wrong type (NaN included); `out_of_range`: a number no real trade has. */
export type RejectionKind = 'malformed' | 'out_of_range';

export type TradeCheck = { ok: true; tick: Tick } | { ok: false; reason: TradeRejection; kind: RejectionKind };

const bad = (reason: TradeRejection, kind: RejectionKind = 'malformed'): TradeCheck => ({ ok: false, reason, kind });

function numberCheck(v: unknown, min: number, max: number, inclusiveMin: boolean, reason: TradeRejection): TradeCheck | undefined {
  if (typeof v !== 'number' || !Number.isFinite(v)) return bad(reason);
  if (v > max || (inclusiveMin ? v < min : v <= min)) return bad(reason, 'out_of_range');
  return undefined;
}

/**
 * Checks one trade as ccxt parsed it (`unknown`: a venue can send anything, and ccxt passes
 * through what it cannot parse as undefined or NaN) and turns it into a Tick under the canonical
 * symbol. Anything missing, non-finite, out of range or for another market is rejected.
 */
export function checkVenueTrade(raw: unknown, feed: { exchange: string; venueSymbol: string; symbol: Symbol }, nowMs: number): TradeCheck {
  if (typeof raw !== 'object' || raw === null) return bad('not_object');
  const t = raw as Record<string, unknown>;
  if (t['symbol'] !== feed.venueSymbol) return bad('symbol');
  const id = t['id'];
  if (typeof id !== 'string' || id.length === 0 || id.length > 128) return bad('id');
  const ts = t['timestamp'];
  if (typeof ts !== 'number' || !Number.isSafeInteger(ts)) return bad('timestamp');
  if (ts < MIN_TRADE_MS || ts > nowMs + MAX_FUTURE_SKEW_MS) return bad('timestamp', 'out_of_range');
  const price = t['price'];
  const amount = t['amount'];
  const wrong = numberCheck(price, 0, MAX_VALUE, false, 'price') ?? numberCheck(amount, 0, MAX_VALUE, false, 'amount');
  if (wrong) return wrong;
  const side = t['side'];
  if (side !== undefined && side !== null && !isSide(side)) return bad('side');
  const tick: Tick = { exchange: feed.exchange, symbol: feed.symbol, ts, price: price as number, qty: amount as number, tradeId: id };
  if (isSide(side)) tick.side = side;
  return { ok: true, tick };
}

/**
 * Remembers the last `capacity` trade ids of one feed. ccxt hands back trades it already
 * delivered (its cache after a reconnect, or a REST backfill overlapping the stream): those are
 * dropped here. Insertion order is eviction order, so memory stays bounded.
 */
export class TradeIdWindow {
  private readonly seen = new Set<string>();

  constructor(private readonly capacity = 10_000) {}

  /** True the first time `id` is offered (and remembers it); false for a duplicate. */
  offer(id: string): boolean {
    if (this.seen.has(id)) return false;
    this.seen.add(id);
    if (this.seen.size > this.capacity) {
      const oldest = this.seen.values().next().value;
      if (oldest !== undefined) this.seen.delete(oldest);
    }
    return true;
  }

  /** Whether `id` is remembered (without remembering it). */
  has(id: string): boolean {
    return this.seen.has(id);
  }

  get size(): number {
    return this.seen.size;
  }
}

/**
 * Capped exponential backoff with jitter: attempt 0 waits between base/2 and base, each later
 * attempt doubles that, never beyond `maxMs`. The jitter (random half) keeps many feeds that
 * dropped together from reconnecting in lockstep.
 */
export function reconnectDelayMs(attempt: number, baseMs: number, maxMs: number, random: number): number {
  const ceiling = Math.min(maxMs, baseMs * 2 ** Math.min(attempt, 30));
  const r = Math.min(1, Math.max(0, random));
  return Math.round(ceiling / 2 + (ceiling / 2) * r);
}

export interface FeedSnapshot {
  exchange: string;
  symbol: Symbol;
  venueSymbol: string;
  /** Wall ms of the last accepted trade; undefined before the first. */
  lastMessageMs: number | undefined;
  startedMs: number;
  reconnects: number;
  /** Trades rejected at the boundary (malformed or out of range). */
  rejected: number;
  duplicates: number;
  accepted: number;
}

/** Health of one (exchange, symbol) feed. Stale = no accepted trade for longer than the threshold (counted from start before the first). */
export class FeedHealth implements FeedSnapshot {
  lastMessageMs: number | undefined;
  reconnects = 0;
  rejected = 0;
  duplicates = 0;
  accepted = 0;

  constructor(
    readonly exchange: string,
    readonly symbol: Symbol,
    readonly venueSymbol: string,
    readonly startedMs: number,
  ) {}

  ageMs(nowMs: number): number {
    return nowMs - (this.lastMessageMs ?? this.startedMs);
  }

  isStale(nowMs: number, thresholdMs: number): boolean {
    return this.ageMs(nowMs) > thresholdMs;
  }
}

/** The readiness detail for a set of feeds: which are stale, and for how long. */
export function describeStaleFeeds(feeds: readonly FeedHealth[], nowMs: number, thresholdMs: number): { stale: FeedHealth[]; text: string } {
  const stale = feeds.filter((f) => f.isStale(nowMs, thresholdMs));
  const text =
    stale.length === 0
      ? `${feeds.length} feeds live`
      : `stale: ${stale
          .slice(0, 10)
          .map((f) => `${f.exchange} ${f.symbol} (${Math.round(f.ageMs(nowMs) / 1000)} s)`)
          .join(', ')}${stale.length > 10 ? ` and ${stale.length - 10} more` : ''}; ${feeds.length - stale.length} of ${feeds.length} live`;
  return { stale, text };
}
