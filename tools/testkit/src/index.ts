export * from './needs';
export * from './service-process';
export * from './shared-data';
export * from './test-database';
export * from './quarantine';
export * from './restart-any-state';
export * from './oversized-request';
export * from './decimal-columns';
