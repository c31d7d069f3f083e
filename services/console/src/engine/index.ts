export * from './roles';
export * from './operators';
export * from './validate';
export * from './login-throttle';
export * from './prom-text';
