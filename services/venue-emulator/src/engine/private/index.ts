// The emulator's private (account) side: one matching exchange, the Binance.US, Coinbase and KuCoin APIs and wires.
export * from './types';
export * from './exchange';
export * from './rules';
export * from './dec';
export * from './rate-limit';
export * from './binanceus-api';
export * from './binanceus-wire';
export * from './coinbase-api';
export * from './coinbase-wire';
export * from './kucoin-api';
export * from './kucoin-wire';
