export { loadProto, PROTO_LOADER_OPTIONS, PROTO_ROOT } from './proto';
export type { LoadProtoOptions } from './proto';
export {
  bidiStream,
  callContext,
  clientStream,
  createGrpcServer,
  serverStream,
  unary,
  untilAborted,
} from './server';
export type {
  BidiStreamHandler,
  CallContext,
  ClientStreamHandler,
  GrpcServerKit,
  GrpcServerOptions,
  ServerCallLike,
  ServerStreamHandler,
  UnaryHandler,
} from './server';
export {
  backoffDelay,
  callUnary,
  createGrpcClient,
  GrpcClient,
  DEFAULT_BACKOFF_MS,
  DEFAULT_DEADLINE_MS,
  DEFAULT_MAX_BACKOFF_MS,
  DEFAULT_RETRIES,
  RETRYABLE_CODES,
} from './client';
export type {
  GrpcCallOptions,
  GrpcClientConstructor,
  GrpcClientOptions,
  RetryOptions,
  ServerStreamMethodName,
  ServerStreamRequest,
  ServerStreamResponse,
  UnaryCallOptions,
  UnaryMethodName,
  UnaryRequest,
  UnaryResponse,
} from './client';
export { ERROR_CODE_TRAILER, fromGrpcError, GRPC_CODE_FOR, isGrpcStatusLike, statusName, toGrpcStatus } from './status';
export type { FromGrpcErrorContext, GrpcStatus } from './status';
