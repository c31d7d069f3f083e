export * from './types';
export * from './limits';
export * from './risk-engine';
export * from './price-book';
export * from './trade-counter';
export * from './pending-book';
export * from './feed-book';
