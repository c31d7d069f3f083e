/**
 * Sequence continuity of the venues' order-book streams, read from raw WebSocket frames before
 * ccxt parses them. ccxt 4.5.84 checks continuity itself only for Binance, and only once a book is
 * synchronised; Coinbase's `sequence_num` and KuCoin's `sequenceStart`/`sequenceEnd` it does not
 * check at all. Pure: no I/O; a connection is an opaque identity supplied by the caller.
 */

export type BookVenue = 'binanceus' | 'coinbase' | 'kucoin';

/**
 * The sequence numbers one frame carries.
 * - `market`: numbers of one market's book, `first`..`last` (Binance depthUpdate `U`/`u`, KuCoin
 *   `/market/level2` `sequenceStart`/`sequenceEnd`); the next frame of that market starts at `last + 1`.
 * - `connection`: Coinbase's `sequence_num`, one per frame over every channel of the connection.
 */
export type BookSequence = { scope: 'market'; market: string; first: number; last: number } | { scope: 'connection'; first: number; last: number };

export interface SequenceGap {
  venue: BookVenue;
  /** The venue's market id (`OMGBUSD`, `DAPPT-BTC`); undefined when the whole connection has the gap (Coinbase). */
  market: string | undefined;
  expected: number;
  got: number;
}

const seqInt = (v: unknown): number | undefined => (typeof v === 'number' && Number.isSafeInteger(v) && v >= 0 ? v : undefined);
const record = (v: unknown): Record<string, unknown> | undefined => (typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : undefined);

function marketRange(market: unknown, first: unknown, last: unknown): BookSequence | undefined {
  const f = seqInt(first);
  const l = seqInt(last);
  if (typeof market !== 'string' || market === '' || f === undefined || l === undefined || l < f) return undefined;
  return { scope: 'market', market, first: f, last: l };
}

/**
 * The book sequence numbers of one raw frame, or undefined when it carries none (other channels,
 * acks) or they are malformed (ccxt's own parser deals with those frames; they never count as gaps).
 */
export function readBookSequence(venue: BookVenue, frame: unknown): BookSequence | undefined {
  const f = record(frame);
  if (f === undefined) return undefined;
  switch (venue) {
    case 'binanceus': {
      // A raw stream (`/ws`) frame, or a combined stream (`/stream?streams=`) one with the event in `data`.
      const e = f['e'] === 'depthUpdate' ? f : record(f['data']);
      if (e === undefined || e['e'] !== 'depthUpdate') return undefined;
      return marketRange(e['s'], e['U'], e['u']);
    }
    case 'kucoin': {
      if (f['subject'] !== 'trade.l2update') return undefined;
      const d = record(f['data']);
      const topic = typeof f['topic'] === 'string' ? f['topic'] : '';
      const market = d?.['symbol'] ?? topic.slice(topic.indexOf(':') + 1);
      return marketRange(market, d?.['sequenceStart'], d?.['sequenceEnd']);
    }
    case 'coinbase': {
      const n = seqInt(f['sequence_num']);
      return n === undefined ? undefined : { scope: 'connection', first: n, last: n };
    }
  }
}

/**
 * Follows the book sequence numbers of one venue's frames and reports each gap: a frame whose
 * first number is past the previous frame's last + 1 (of the same market, or of the connection for
 * Coinbase). A frame from a new connection restarts the count without a gap: the venue numbers
 * connections afresh (Coinbase) or ccxt resubscribes and resynchronises the book anyway. A frame
 * at or below what was already seen (a duplicate) is not a gap and moves nothing.
 */
export class BookSequenceTracker {
  /** Per connection: last number seen per market (`''` = the connection's own number). */
  private readonly byConnection = new WeakMap<object, Map<string, number>>();
  /** Last number seen per market, on whichever connection carried it last. */
  private readonly latest = new Map<string, number>();

  constructor(readonly venue: BookVenue) {}

  observe(connection: object, frame: unknown): SequenceGap | undefined {
    const s = readBookSequence(this.venue, frame);
    if (s === undefined) return undefined;
    let seen = this.byConnection.get(connection);
    if (seen === undefined) {
      seen = new Map();
      this.byConnection.set(connection, seen);
    }
    const key = s.scope === 'market' ? s.market : '';
    const prev = seen.get(key);
    if (prev !== undefined && s.last <= prev) return undefined;
    seen.set(key, s.last);
    if (s.scope === 'market') this.latest.set(s.market, s.last);
    if (prev === undefined || s.first <= prev + 1) return undefined;
    return { venue: this.venue, market: s.scope === 'market' ? s.market : undefined, expected: prev + 1, got: s.first };
  }

  /** The last book sequence number seen of `market` (Binance, KuCoin), on the connection that carried it last. */
  lastSeen(market: string): number | undefined {
    return this.latest.get(market);
  }
}

/**
 * True when a synchronised book has not taken in every update the stream delivered: its sequence
 * (`nonce`) is below the last number seen on the wire. ccxt resolves a book right after applying a
 * frame, and replays its buffered deltas after a REST snapshot, so a consistent book is never
 * behind; one that is behind has missed updates (a snapshot older than the buffer, deltas skipped). Venues
 * without a book sequence (Coinbase) are never behind by this test.
 */
export function bookBehindStream(nonce: unknown, lastSeen: number | undefined): boolean {
  return typeof nonce === 'number' && Number.isFinite(nonce) && lastSeen !== undefined && nonce < lastSeen;
}
