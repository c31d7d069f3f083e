export { createHttpApp, toErrorReply } from './app';
export type { HttpApp, HttpAppOptions, HttpServerHandle } from './app';
export { Readiness } from '../readiness';
export type { ReadinessCheck, ReadinessCheckResult, ReadinessOptions, ReadinessReport } from '../readiness';
export {
  createMetrics,
  grpcRequestDuration,
  httpRequestDuration,
  lintMetricsText,
  GRPC_REQUEST_DURATION,
  HTTP_REQUEST_DURATION,
  LATENCY_BUCKETS_SECONDS,
  METRIC_UNITS,
} from '../metrics';
export type { GrpcDurationLabels, HttpDurationLabels, MetricsLintOptions } from '../metrics';
export { API_KEY_HEADER, apiKeyMatcher } from '../api-key';
export type { ApiKeyMatcher } from '../api-key';
export { TRACE_ID_HEADER, acceptTraceId, isValidTraceId } from '../trace';
