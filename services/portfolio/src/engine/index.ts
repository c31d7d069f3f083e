export * from './money';
export * from './ledger';
export * from './fill';
export * from './portfolio';
export * from './rebalance';
export * from './reconciliation';
