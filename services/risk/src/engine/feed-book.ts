/**
 * What risk knows of the live market feeds (price-stream's `data.feeds`): per (exchange, symbol),
 * the last status received. The rule: a symbol is stale when it has at least one known feed and
 * every known feed of it is stale. The latest price of a symbol is one value whichever venue
 * delivered it last, so one live venue keeps it fresh; only when all of them fell silent is there
 * no fresh price to decide on.
 *
 * A status is known until three of its publisher's intervals pass without a newer one (price-stream
 * restarted without that feed, or stopped publishing); a symbol without known feeds is not stale by
 * this rule, as after a risk restart. The price guards of the engine (no_price, max_price_age_ms,
 * the feed silence) apply either way. Pure: times come in as arguments.
 */
import type { FeedStatusMessage, Symbol } from '@cte/shared/core';

interface Entry {
  stale: boolean;
  ts: number;
  ageMs: number;
  expiresAt: number;
}

/** Statuses older than this many publisher intervals are forgotten. */
export const FEED_STATUS_INTERVALS_KEPT = 3;

export interface StaleSymbol {
  symbol: Symbol;
  /** `exchange` of each stale feed of the symbol. */
  exchanges: string[];
  /** The longest silence among them at the time of its status, ms. */
  ageMs: number;
}

export class FeedBook {
  private readonly bySymbol = new Map<Symbol, Map<string, Entry>>();

  /**
   * Applies a status received at wall time `receivedAt`. An older status of the same feed than the
   * one held is ignored (returns false).
   */
  apply(msg: FeedStatusMessage, receivedAt: number): boolean {
    let feeds = this.bySymbol.get(msg.symbol);
    if (feeds === undefined) {
      feeds = new Map();
      this.bySymbol.set(msg.symbol, feeds);
    }
    const cur = feeds.get(msg.exchange);
    if (cur !== undefined && msg.ts < cur.ts && cur.expiresAt > receivedAt) return false;
    feeds.set(msg.exchange, { stale: msg.stale, ts: msg.ts, ageMs: msg.age_ms, expiresAt: receivedAt + FEED_STATUS_INTERVALS_KEPT * msg.interval_ms });
    return true;
  }

  /** The symbol is stale at wall time `now` (see the rule above). */
  isStale(symbol: Symbol, now: number): boolean {
    const feeds = this.bySymbol.get(symbol);
    if (feeds === undefined) return false;
    let known = 0;
    for (const e of feeds.values()) {
      if (e.expiresAt <= now) continue;
      if (!e.stale) return false;
      known++;
    }
    return known > 0;
  }

  /** Every stale symbol at `now`, sorted. Forgets expired statuses. */
  staleSymbols(now: number): StaleSymbol[] {
    this.expire(now);
    const out: StaleSymbol[] = [];
    for (const [symbol, feeds] of this.bySymbol) {
      if (!this.isStale(symbol, now)) continue;
      const entries = [...feeds];
      out.push({ symbol, exchanges: entries.map(([x]) => x).sort(), ageMs: Math.max(...entries.map(([, e]) => e.ageMs)) });
    }
    return out.sort((a, b) => (a.symbol < b.symbol ? -1 : a.symbol > b.symbol ? 1 : 0));
  }

  /** Symbols with at least one known feed at `now`. */
  knownSymbols(now: number): Symbol[] {
    this.expire(now);
    return [...this.bySymbol.keys()].sort();
  }

  private expire(now: number): void {
    for (const [symbol, feeds] of this.bySymbol) {
      for (const [exchange, e] of feeds) if (e.expiresAt <= now) feeds.delete(exchange);
      if (feeds.size === 0) this.bySymbol.delete(symbol);
    }
  }
}
