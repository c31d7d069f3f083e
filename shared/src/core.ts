/**
 * The kit's pure core (`@cte/shared/core`): domain types, decimals, errors, value description,
 * untrusted-JSON limits, the bus message contracts and their parsers, trace-id rules. Nothing
 * reachable from here loads an I/O package (datastores, HTTP, gRPC, metrics, logging), so the
 * services' engines (src/engine/) import this and can run in one process with no network, as
 * the backtester does. The I/O kit is the rest of `@cte/shared`, whose barrel re-exports this
 * core too. ESLint (tools/lint) and tests/engine-isolation.test.ts hold the line.
 */
export * from './errors';
export * from './describe';
export * from './json-input';
export * from './domain';
export * from './channels';
export * from './book-channel';
export * from './feed-channel';
export { TraceTimes, MESSAGE_TRACE_ID_RE, isMessageTraceId, parseTraceIdField, messageTraceId } from './trace';
