export * from './symbol';
export * from './tradable-symbols';
export * from './timeframe';
export * from './decimal';
export * from './market';
export * from './decimal-column';
export * from './fields';
