import { Counter, Gauge, type Registry } from 'prom-client';
import type { FeedHealth } from '../engine/live-feed';
import type { DropReason, LiveFeedEvents } from './sources/ccxt-source';
import { BOOK_TOP_REJECTIONS } from '../engine/book-top';
import type { BookFeedEvents } from './sources/ccxt-book';

/**
 * Metrics of the live (ccxt) source, per (exchange, symbol). The label sets are bounded by the
 * configured feeds (EXCHANGES × SYMBOLS_<EXCHANGE>); frames ccxt could not parse carry symbol `*`.
 */
export function createLiveFeedMetrics(registry: Registry, probe: { health(): readonly FeedHealth[]; staleMs: number; now(): number }): LiveFeedEvents {
  const trades = new Counter({ name: 'cte_feed_trades_total', help: 'Venue trades accepted into the engine.', labelNames: ['exchange', 'symbol'], registers: [registry] });
  const dropped = new Counter({
    name: 'cte_feed_dropped_total',
    help: 'Venue messages dropped at the boundary: malformed, out_of_range or duplicate (by trade id).',
    labelNames: ['exchange', 'symbol', 'reason'],
    registers: [registry],
  });
  const reconnects = new Counter({ name: 'cte_feed_reconnects_total', help: 'Live feed reconnects after a failed or dropped watch.', labelNames: ['exchange', 'symbol'], registers: [registry] });
  const backfilled = new Counter({ name: 'cte_feed_backfilled_trades_total', help: 'Trades recovered over REST after a reconnect.', labelNames: ['exchange', 'symbol'], registers: [registry] });
  const backfilledBars = new Counter({
    name: 'cte_feed_backfilled_bars_total',
    help: 'Minutes filled from 1-minute candles (fetchOHLCV) after a reconnect that REST trade history could not cover.',
    labelNames: ['exchange', 'symbol'],
    registers: [registry],
  });
  new Gauge({
    name: 'cte_feed_last_message_age_seconds',
    help: 'Seconds since the feed last delivered an accepted trade (since start before the first).',
    labelNames: ['exchange', 'symbol'],
    registers: [registry],
    collect() {
      const now = probe.now();
      for (const f of probe.health()) this.set({ exchange: f.exchange, symbol: f.symbol }, f.ageMs(now) / 1000);
    },
  });
  new Gauge({
    name: 'cte_feed_stale_info',
    help: '1 when the feed has been silent for longer than FEED_STALE_MS.',
    labelNames: ['exchange', 'symbol'],
    registers: [registry],
    collect() {
      const now = probe.now();
      for (const f of probe.health()) this.set({ exchange: f.exchange, symbol: f.symbol }, f.isStale(now, probe.staleMs) ? 1 : 0);
    },
  });
  const reasons: DropReason[] = ['malformed', 'out_of_range', 'duplicate'];
  for (const f of probe.health()) {
    const l = { exchange: f.exchange, symbol: f.symbol };
    trades.inc(l, 0);
    reconnects.inc(l, 0);
    backfilled.inc(l, 0);
    backfilledBars.inc(l, 0);
    for (const reason of reasons) dropped.inc({ ...l, reason }, 0);
  }
  return {
    accepted: (exchange, symbol) => trades.inc({ exchange, symbol }),
    dropped: (exchange, symbol, reason) => dropped.inc({ exchange, symbol, reason }),
    reconnected: (exchange, symbol) => reconnects.inc({ exchange, symbol }),
    backfilled: (exchange, symbol, n) => backfilled.inc({ exchange, symbol }, n),
    backfilledBars: (exchange, symbol, n) => backfilledBars.inc({ exchange, symbol }, n),
  };
}

/**
 * Metrics of the order-book tops (LIVE_BOOK), per (exchange, symbol) of `books`; every series
 * exists from the start at 0. Replay (or LIVE_BOOK=false) registers the families without series.
 */
export function createBookFeedMetrics(registry: Registry, books: ReadonlyArray<{ exchange: string; symbol: string }>): BookFeedEvents {
  const labelNames = ['exchange', 'symbol'] as const;
  const gaps = new Counter({ name: 'cte_feed_book_gaps_total', help: 'Order book sequence gaps (or books found behind their stream); each starts a resync.', labelNames, registers: [registry] });
  const resyncs = new Counter({ name: 'cte_feed_book_resyncs_total', help: 'Order books consistent again after a gap.', labelNames, registers: [registry] });
  const updates = new Counter({ name: 'cte_feed_book_updates_total', help: 'Changed book tops handed to the publisher (before conflation).', labelNames, registers: [registry] });
  const rejected = new Counter({
    name: 'cte_feed_book_rejected_total',
    help: 'Book updates whose top was not published: empty, crossed or malformed.',
    labelNames: ['exchange', 'symbol', 'reason'],
    registers: [registry],
  });
  for (const l of books) {
    gaps.inc(l, 0);
    resyncs.inc(l, 0);
    updates.inc(l, 0);
    for (const reason of BOOK_TOP_REJECTIONS) rejected.inc({ ...l, reason }, 0);
  }
  return {
    gap: (exchange, symbol) => gaps.inc({ exchange, symbol }),
    resynced: (exchange, symbol) => resyncs.inc({ exchange, symbol }),
    updated: (exchange, symbol) => updates.inc({ exchange, symbol }),
    rejected: (exchange, symbol, reason) => rejected.inc({ exchange, symbol, reason }),
  };
}
