// The execution engine (pure, no I/O): order states and validation, the order manager, the paper
// venue, venue rules and outcomes. `@cte/execution/engine`; imports only `@cte/shared/core`.
export * from './types';
export * from './order-state';
export * from './validation';
export * from './stored-order';
export * from './order-manager';
export * from './paper-exchange';
export * from './precision';
export * from './redact';
export * from './venue-rules';
export * from './venue-outcome';
export * from './venue-trades';
export * from './venue-update';
export * from './venue-balances';
