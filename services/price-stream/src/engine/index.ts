// The market-data engine (pure, no I/O): bar aggregation, tick conflation, price monitors, replay
// paths, live-feed and book checks, backfill planning. `@cte/price-stream/engine`; imports only
// `@cte/shared/core`.
export * from './market-data-engine';
export * from './bar-aggregator';
export * from './tick-conflator';
export * from './monotonic-deque';
export * from './price-monitor';
export * from './replay-path';
export * from './live-feed';
export * from './feed-status';
export * from './book-top';
export * from './book-sequence';
export * from './backfill';
