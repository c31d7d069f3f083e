export * from './errors';
export * from './logger';
export * from './config';
export * from './services';
export * from './domain';
export * from './lifecycle';
export * from './db';
