export * from './service-process';
export * from './shared-data';
