// The pure core (no I/O package reachable; what engines import as `@cte/shared/core`), then the I/O kit.
export * from './core';
export * from './logger';
export * from './config';
export * from './services';
export * from './lifecycle';
export * from './db';
export * from './bus';
export * from './http';
export * from './grpc';
export * from './contracts';
export * from './cache';
export * from './service-runtime';
export * from './quarantine';
export * from './venue-urls';
export * from './sleeper';
export * from './rate-budget';
