export * from './url';
export * from './errors';
export * from './pool';
export * from './batch';
export * from './migrate';
export * from './columns';
export * from './text-column';
