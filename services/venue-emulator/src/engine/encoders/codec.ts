import type { URLSearchParams } from 'node:url';
import type { VenueState, VenueUpdate } from '../market-state';
import type { MarketDef, VenueId } from '../types';

export interface RestRequest {
  method: string;
  /** Path without the query string. */
  path: string;
  query: URLSearchParams;
  /** Raw body text ('' when none). */
  body: string;
  headers: Readonly<Record<string, string | undefined>>;
}

export interface RestReply {
  status: number;
  body: unknown;
  headers?: Record<string, string>;
}

/** A canonical subscription: `trades|ticker|book|bookTicker|candles:<tf>|heartbeats` + symbol. */
export interface Subscription {
  channel: string;
  symbol: string;
  /** The venue's own name for it (Binance stream name, KuCoin topic), echoed in frames. */
  name?: string;
}

/**
 * A session's subscriptions by `subKey`, also indexed by symbol: an update is encoded only for
 * the subscriptions of its market, so one connection can carry hundreds of markets.
 */
export class SubscriptionMap extends Map<string, Subscription> {
  private readonly bySymbol = new Map<string, Map<string, Subscription>>();

  override set(key: string, sub: Subscription): this {
    const old = super.get(key);
    if (old) this.bySymbol.get(old.symbol)?.delete(key);
    super.set(key, sub);
    let m = this.bySymbol.get(sub.symbol);
    if (!m) {
      m = new Map();
      this.bySymbol.set(sub.symbol, m);
    }
    m.set(key, sub);
    return this;
  }

  override delete(key: string): boolean {
    const old = super.get(key);
    if (!old) return false;
    const m = this.bySymbol.get(old.symbol);
    m?.delete(key);
    if (m?.size === 0) this.bySymbol.delete(old.symbol);
    return super.delete(key);
  }

  override clear(): void {
    this.bySymbol.clear();
    super.clear();
  }

  /** The subscriptions of one market (empty when none). */
  forSymbol(symbol: string): Iterable<Subscription> {
    return this.bySymbol.get(symbol)?.values() ?? [];
  }
}

/** Per-connection protocol state (pure data; the adapter owns the socket). */
export interface WsSession {
  readonly venue: VenueId;
  readonly subs: SubscriptionMap;
  /** Binance combined-stream framing (`/stream`): messages wrapped as {stream, data}. */
  combined: boolean;
  /** Coinbase `sequence_num`, per connection. */
  outSeq: number;
}

export interface WsOpenResult {
  session: WsSession;
  /** Frames to send right after the upgrade (KuCoin's welcome). */
  frames: string[];
}

export interface VenueCodec {
  readonly venue: VenueId;
  /** The venue's market id for a canonical market (BTCUSDT, BTC-USD, BTC-USDT). */
  marketId(def: MarketDef): string;
  rest(req: RestRequest, state: VenueState, now: number): RestReply;
  /** Undefined when the path is not this venue's WebSocket endpoint. */
  wsOpen(path: string, query: URLSearchParams, state: VenueState, now: number): WsOpenResult | undefined;
  /** Replies to one client frame (subscription acks, snapshots, pongs). */
  wsMessage(session: WsSession, text: string, state: VenueState, now: number): string[];
  /** Frames this session gets for one update. */
  encodeUpdate(session: WsSession, update: VenueUpdate, now: number): string[];
  /** Periodic frames (Coinbase heartbeats); empty for venues without them. */
  heartbeat(session: WsSession, now: number): string[];
}

export function subKey(s: Subscription): string {
  return `${s.channel}|${s.symbol}`;
}

export function newSession(venue: VenueId, combined = false): WsSession {
  return { venue, subs: new SubscriptionMap(), combined, outSeq: 0 };
}

export function errorReply(status: number, body: unknown): RestReply {
  return { status, body };
}

/** Parses a client frame as a JSON object, or undefined. */
export function parseFrame(text: string): Record<string, unknown> | undefined {
  try {
    const v: unknown = JSON.parse(text);
    return typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

export function intParam(q: URLSearchParams, name: string): number | undefined {
  const v = q.get(name);
  if (v === null || !/^\d{1,16}$/.test(v)) return undefined;
  return Number(v);
}

export function findByVenueId(state: VenueState, codec: Pick<VenueCodec, 'marketId'>, id: string | null | undefined): MarketDef | undefined {
  if (!id) return undefined;
  return state.byVenueId(codec.marketId, id);
}
