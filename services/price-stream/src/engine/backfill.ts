import type { Symbol, Tick } from '@cte/shared/core';

/**
 * Pure pieces of the live feed's repair after a reconnect: which stretch of time the REST trade
 * history covers, which minutes must come from 1-minute candles instead, and how a candle enters
 * the bar engine without counting a minute twice. Every decision is a function of trade and
 * candle timestamps, never of arrival time.
 *
 * Coverage is described by two points:
 * - `knownBefore` (G): every trade with ts < G is known (accepted before the outage, or recovered
 *   over REST, or already claimed by candles); trades at ts == G may be partly known.
 * - `knownAfter` (E): every trade with ts > E is known (a REST page reaching the present, then the
 *   stream); trades at ts == E may be partly known.
 * There is a gap when G <= E; it is filled with the candles of minute(G) .. minute(E).
 */

export const MINUTE_MS = 60_000;

export function minuteOf(ts: number): number {
  return ts - (((ts % MINUTE_MS) + MINUTE_MS) % MINUTE_MS);
}

/** A trade as coverage sees it: its dedup key and time. */
export interface KeyedTrade {
  key: string;
  ts: number;
}

/** One minute of OHLCV; `trades` only when the venue says how many trades it had. */
export interface MinuteCandle {
  openTime: number;
  open: number;
  high: number;
  low: number;
  close: number;
  volume: number;
  trades?: number;
}

/** What the engine already holds of one minute: its accepted trades folded (time of the newest included). */
export interface MinuteSummary extends MinuteCandle {
  trades: number;
  lastTs: number;
}

/**
 * The accepted trades of the newest minute of one feed, folded like the bar engine folds them
 * (open/close by trade time). A candle for that minute is merged against it, not added to it.
 */
export class MinuteTally {
  private s: MinuteSummary | undefined;
  private firstTs = 0;

  add(ts: number, price: number, qty: number): void {
    const minute = minuteOf(ts);
    const s = this.s;
    if (s === undefined || minute > s.openTime) {
      this.s = { openTime: minute, open: price, high: price, low: price, close: price, volume: qty, trades: 1, lastTs: ts };
      this.firstTs = ts;
      return;
    }
    if (minute < s.openTime) return; // older than the newest minute: the bar engine drops it as late too
    if (price > s.high) s.high = price;
    if (price < s.low) s.low = price;
    if (ts < this.firstTs) {
      s.open = price;
      this.firstTs = ts;
    }
    if (ts >= s.lastTs) {
      s.close = price;
      s.lastTs = ts;
    }
    s.volume += qty;
    s.trades++;
  }

  /** After a candle has been applied: the engine now holds the whole minute. */
  setFromCandle(c: MinuteCandle, ticks: number, prior: MinuteSummary | undefined): void {
    const merged = prior?.openTime === c.openTime;
    this.s = { ...c, trades: (merged ? prior.trades : 0) + ticks, lastTs: c.openTime + MINUTE_MS - 1 };
    if (!merged) this.firstTs = c.openTime;
  }

  /** The summary of `minute`, when that is the minute being tallied. */
  of(minute: number): MinuteSummary | undefined {
    return this.s?.openTime === minute ? { ...this.s } : undefined;
  }
}

const finitePositive = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v) && v > 0;

/**
 * A ccxt OHLCV row ([ms, open, high, low, close, volume], an optional 7th element = trade count)
 * checked at the boundary: minute-aligned, positive prices, high/low enclosing open and close.
 */
export function parseMinuteCandle(row: unknown): MinuteCandle | undefined {
  if (!Array.isArray(row) || row.length < 6) return undefined;
  const [t, o, h, l, c, v, n] = row as unknown[];
  if (typeof t !== 'number' || !Number.isSafeInteger(t) || minuteOf(t) !== t) return undefined;
  if (!finitePositive(o) || !finitePositive(h) || !finitePositive(l) || !finitePositive(c)) return undefined;
  if (typeof v !== 'number' || !Number.isFinite(v) || v < 0) return undefined;
  if (h < Math.max(o, c, l) || l > Math.min(o, c)) return undefined;
  const out: MinuteCandle = { openTime: t, open: o, high: h, low: l, close: c, volume: v };
  if (typeof n === 'number' && Number.isSafeInteger(n) && n > 0) out.trades = n;
  return out;
}

/** Synthetic points per candle when the venue gives a count: never more than this. */
const MAX_PAD_TICKS = 10_000;

/**
 * The ticks that make the bar engine's bars of `c.openTime` equal the candle, given what the
 * engine already holds of that minute (`have`, from the tally). Without `have`: up to four points
 * (open at the minute's first ms, high, low, close at its last ms) with the whole volume on the
 * last one. With `have` (the minute the outage started in): only the remainder — a new high or
 * low just after the newest held trade, and the close with the missing volume at the last ms — so
 * what the engine holds is never counted twice. When the candle gives a trade count, zero-volume
 * points at the close price pad the minute to that count; otherwise the minute's trade count is
 * the number of points (at most four), not the venue's.
 */
export function candleTicks(c: MinuteCandle, have: MinuteSummary | undefined, feed: { exchange: string; symbol: Symbol }): Tick[] {
  const last = c.openTime + MINUTE_MS - 1;
  const tick = (ts: number, price: number, qty: number): Tick => ({ exchange: feed.exchange, symbol: feed.symbol, ts, price, qty });
  const out: Tick[] = [];
  if (have !== undefined && have.openTime === c.openTime) {
    const at = Math.min(have.lastTs, last);
    const volume = Math.max(0, c.volume - have.volume);
    const rest = c.trades === undefined ? undefined : c.trades - have.trades;
    // Nothing beyond what is held (same extremes, close and volume): the minute is complete already.
    if (c.high <= have.high && c.low >= have.low && c.close === have.close && volume <= 1e-12 * Math.max(1, c.volume) && (rest === undefined || rest <= 0)) return [];
    // A new extreme that is also the close needs no point of its own (so a one-trade remainder is one tick).
    if (c.high > have.high && c.high !== c.close) out.push(tick(at, c.high, 0));
    if (c.low < have.low && c.low !== c.close) out.push(tick(at, c.low, 0));
    out.push(tick(last, c.close, volume));
    if (rest !== undefined) pad(out, rest, c.close, Math.max(at, last - 1), tick);
    return out;
  }
  const t0 = c.openTime;
  out.push(tick(t0, c.open, 0));
  if (c.high !== c.open && c.high !== c.close) out.push(tick(t0 + 1, c.high, 0));
  if (c.low !== c.open && c.low !== c.close) out.push(tick(t0 + 2, c.low, 0));
  if (out.length === 1 && c.close === c.open && (c.trades ?? 1) <= 1) {
    out[0]!.qty = c.volume;
  } else {
    out.push(tick(last, c.close, c.volume));
  }
  if (c.trades !== undefined) pad(out, c.trades, c.close, last - 1, tick);
  return out;
}

/** Inserts zero-volume points at `price` before the final tick until there are `total` ticks. */
function pad(out: Tick[], total: number, price: number, ts: number, tick: (ts: number, price: number, qty: number) => Tick): void {
  const n = Math.min(MAX_PAD_TICKS, total - out.length);
  if (n <= 0) return;
  const final = out.pop()!;
  for (let i = 0; i < n; i++) out.push(tick(Math.max(ts, out.at(-1)?.ts ?? ts), price, 0));
  out.push(final);
}

/**
 * Whether a REST page connects to what is known: it holds a trade already known (by key) or one
 * older than `cursor`, or it is shorter than the limit asked (so it is the whole window asked for).
 * A full page that does not connect may be the newest trades of a longer stretch: what lies
 * between is unknown.
 */
export function pageConnects(page: readonly KeyedTrade[], cursor: number, full: boolean, known: (key: string) => boolean): boolean {
  if (!full) return true;
  return page.some((t) => t.ts < cursor || known(t.key));
}

export interface GapInput {
  /** G: trades before it are known (see the module comment). */
  knownBefore: number;
  /** Earliest streamed trade after the reconnect (S). */
  streamFrom: number;
  /** A REST page of the newest trades that did not connect, if any: its oldest and newest time. */
  tail: { minTs: number; maxTs: number } | undefined;
  /** Newest trade time known from any source (REST or stream), for whether the last minute has closed. */
  newestTs: number;
}

export interface GapPlan {
  /** Minutes minute(G) .. minute(E) (open times), both included, come from candles. */
  fromMinute: number;
  toMinute: number;
  /** Trades before this are covered by those candles (and dropped from REST and stream). */
  claimedUntil: number;
  /** Whether the venue has already moved past `toMinute` (a known trade is later), so its candle is final. */
  lastMinuteClosed: boolean;
}

/**
 * The minutes to fill from candles, or undefined when the trades cover everything (G > E).
 * E is the oldest trade of a newest-trades page that reaches the stream, else the stream's first trade.
 */
export function planGap(i: GapInput): GapPlan | undefined {
  const knownAfter = i.tail !== undefined && i.tail.maxTs >= i.streamFrom ? Math.min(i.tail.minTs, i.streamFrom) : i.streamFrom;
  if (i.knownBefore > knownAfter) return undefined;
  const fromMinute = minuteOf(i.knownBefore);
  const toMinute = minuteOf(knownAfter);
  const claimedUntil = toMinute + MINUTE_MS;
  return { fromMinute, toMinute, claimedUntil, lastMinuteClosed: i.newestTs >= claimedUntil };
}

/** The open times of minutes from..to, both included. */
export function minutesBetween(from: number, to: number): number[] {
  const out: number[] = [];
  for (let m = minuteOf(from); m <= to; m += MINUTE_MS) out.push(m);
  return out;
}

/**
 * The key a venue's trades are deduplicated by, the same on the stream and over REST. KuCoin's REST
 * `market/histories` rows carry no trade id, but they and the `/market/match` messages both carry
 * the trade's `sequence`, so KuCoin trades are keyed by that (copied into `id`). Other venues keep
 * ccxt's `id`. Anything unexpected is returned as is, for the boundary check to reject.
 */
export function withDedupId(exchange: string, raw: unknown): unknown {
  if (exchange !== 'kucoin' || typeof raw !== 'object' || raw === null) return raw;
  const info = (raw as { info?: unknown }).info;
  const seq = typeof info === 'object' && info !== null ? (info as { sequence?: unknown }).sequence : undefined;
  if (typeof seq !== 'string' || !/^\d{1,40}$/.test(seq)) return { ...raw, id: undefined };
  return { ...raw, id: seq };
}
