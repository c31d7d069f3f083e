// The emulator's private (account) side: one matching exchange, Binance.US and Coinbase APIs and wires.
export * from './types';
export * from './exchange';
export * from './rules';
export * from './dec';
export * from './rate-limit';
export * from './coinbase-rate-limit';
export * from './binanceus-api';
export * from './binanceus-wire';
export * from './coinbase-api';
export * from './coinbase-wire';
