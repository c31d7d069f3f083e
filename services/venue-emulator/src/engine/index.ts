// The venue emulator's engine (pure, no I/O): order books, market state, replay and synthetic
// series, faults, wire encoders, and the private side's matching and rate limits.
// `@cte/venue-emulator/engine`; imports only `@cte/shared/core` and the price-stream engine.
export * from './types';
export * from './decimal';
export * from './order-book';
export * from './market-state';
export * from './replay';
export * from './synthetic';
export * from './candles';
export * from './bar-events';
export * from './faults';
export * from './encoders';
export * as privateSide from './private';
