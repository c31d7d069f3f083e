export * from './types';
export { newTraceId, toEnvelope, decodeEnvelope, type DecodeResult } from './envelope';
export { RedisBus, type RedisBusOptions } from './redis-bus';
export { ENVELOPE_FIELD, CONSUME_DEFAULTS } from './redis-consumer';
