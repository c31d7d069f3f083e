/**
 * `data.feeds`: the health of each live market feed (one venue's stream of one symbol), from
 * price-stream (MARKET_SOURCE=ccxt) to whoever prices orders on it (risk). Published on every
 * live↔stale transition and re-sent for every feed each interval, so a subscriber that starts
 * later learns the state within one interval. Pub/sub: a lost status is repaired by the next one.
 */
import { describeValue } from './describe';
import { InvalidArgumentError } from './errors';
import { parseSymbol, type Symbol } from './domain/symbol';

export const FEED_CHANNELS = {
  /** Feed status messages (FeedStatusMessage). Pub/sub. */
  status: 'data.feeds',
} as const;

/** The envelope `type` of a feed status on the bus. */
export const FEED_STATUS_TYPE = 'feed_status';

/** `data.feeds`: the state of one (exchange, symbol) feed at `ts`. */
export interface FeedStatusMessage {
  /** The venue (ccxt id, e.g. `coinbase`). */
  exchange: string;
  /** The fleet symbol the feed's trades are filed under. */
  symbol: Symbol;
  /** No accepted trade for longer than `threshold_ms`. */
  stale: boolean;
  /** Wall ms of the last accepted trade; null before the first. */
  last_message_ms: number | null;
  /** Wall ms since the last accepted trade (since the feed started, before the first). */
  age_ms: number;
  /** The staleness threshold the publisher applies (FEED_STALE_MS). */
  threshold_ms: number;
  /** How often the publisher re-sends every feed's status (FEED_STATUS_INTERVAL_MS). */
  interval_ms: number;
  /** Wall ms when the status was decided. */
  ts: number;
}

const EXCHANGE = /^[a-z0-9_]{1,32}$/;
/** A day: no staleness threshold or re-send interval is longer (the publisher's config caps both lower). */
const MAX_PERIOD_MS = 86_400_000;

/** Validates a feed status from the bus; throws InvalidArgumentError naming the field. */
export function parseFeedStatusMessage(raw: unknown): FeedStatusMessage {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) throw new InvalidArgumentError('feed status must be an object');
  const r = raw as Record<string, unknown>;
  const int = (k: string, min: number, max = Number.MAX_SAFE_INTEGER): number => {
    const v = r[k];
    if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < min || v > max) {
      throw new InvalidArgumentError(`feed_status.${k} must be an integer in [${min}, ${max}], got ${describeValue(v)}`);
    }
    return v;
  };
  if (typeof r.exchange !== 'string' || !EXCHANGE.test(r.exchange)) throw new InvalidArgumentError(`feed_status.exchange is invalid: ${describeValue(r.exchange)}`);
  if (typeof r.stale !== 'boolean') throw new InvalidArgumentError(`feed_status.stale must be a boolean, got ${describeValue(r.stale)}`);
  const msg: FeedStatusMessage = {
    exchange: r.exchange,
    symbol: parseSymbol(r.symbol),
    stale: r.stale,
    last_message_ms: r.last_message_ms === null ? null : int('last_message_ms', 1),
    age_ms: int('age_ms', 0),
    threshold_ms: int('threshold_ms', 1, MAX_PERIOD_MS),
    interval_ms: int('interval_ms', 1, MAX_PERIOD_MS),
    ts: int('ts', 1),
  };
  if (msg.last_message_ms !== null && msg.last_message_ms > msg.ts) throw new InvalidArgumentError('feed_status.last_message_ms is after ts');
  if (msg.stale !== (msg.age_ms > msg.threshold_ms)) throw new InvalidArgumentError(`feed_status.stale is ${msg.stale} but age_ms ${msg.age_ms} is ${msg.stale ? 'within' : 'over'} threshold_ms ${msg.threshold_ms}`);
  return msg;
}
