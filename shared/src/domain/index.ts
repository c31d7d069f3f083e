export * from './symbol';
export * from './timeframe';
export * from './decimal';
export * from './market';
