/**
 * DomainError ⇄ gRPC status, in one place for both directions.
 *
 * Server side (`toGrpcStatus`):
 *   INVALID_ARGUMENT → INVALID_ARGUMENT     NOT_FOUND → NOT_FOUND
 *   CONFLICT → ALREADY_EXISTS               FAILED_PRECONDITION → FAILED_PRECONDITION
 *   UNAVAILABLE → UNAVAILABLE               UNAUTHENTICATED → UNAUTHENTICATED
 *   PAYLOAD_TOO_LARGE → RESOURCE_EXHAUSTED  INTERNAL → INTERNAL
 *   anything else → INTERNAL "internal error" (never its message or stack)
 *
 * CONFLICT maps to ALREADY_EXISTS, not ABORTED: in this fleet a conflict is a
 * duplicate (the same client order id, a monitor that already runs), which a
 * client must not blindly retry; ABORTED would invite a retry loop. The exact
 * domain code also travels in the trailer `x-cte-error-code`, so a kit client
 * gets back the very same DomainError subclass.
 *
 * Client side (`fromGrpcError`): the trailer's code when present, else by
 * status: INVALID_ARGUMENT/OUT_OF_RANGE → InvalidArgumentError;
 * NOT_FOUND → NotFoundError; ALREADY_EXISTS/ABORTED → ConflictError;
 * FAILED_PRECONDITION → FailedPreconditionError; UNAVAILABLE,
 * DEADLINE_EXCEEDED, RESOURCE_EXHAUSTED, CANCELLED → UnavailableError
 * (a dependency that is down, slow or overloaded is "unavailable" to our own
 * caller: 503). UNAUTHENTICATED/PERMISSION_DENIED from a peer mean *our* key is
 * wrong, a deployment fault, so they become INTERNAL rather than a 401 that
 * would blame our caller's key. Everything else → INTERNAL.
 */
import * as grpc from '@grpc/grpc-js';
import { boundMessage } from '../describe';
import {
  ConflictError,
  DomainError,
  type ErrorCode,
  FailedPreconditionError,
  HTTP_STATUS,
  InvalidArgumentError,
  NotFoundError,
  UnavailableError,
} from '../errors';

/** Trailer carrying the DomainError code next to the gRPC status. */
export const ERROR_CODE_TRAILER = 'x-cte-error-code';

export const GRPC_CODE_FOR: Readonly<Record<ErrorCode, grpc.status>> = {
  INVALID_ARGUMENT: grpc.status.INVALID_ARGUMENT,
  NOT_FOUND: grpc.status.NOT_FOUND,
  CONFLICT: grpc.status.ALREADY_EXISTS,
  FAILED_PRECONDITION: grpc.status.FAILED_PRECONDITION,
  UNAVAILABLE: grpc.status.UNAVAILABLE,
  UNAUTHENTICATED: grpc.status.UNAUTHENTICATED,
  PAYLOAD_TOO_LARGE: grpc.status.RESOURCE_EXHAUSTED,
  INTERNAL: grpc.status.INTERNAL,
};

export interface GrpcStatus {
  code: grpc.status;
  details: string;
  metadata: grpc.Metadata;
}

/** The enum name of a status code (`NOT_FOUND`), for metrics and logs. */
export function statusName(code: number): string {
  return grpc.status[code] ?? String(code);
}

interface StatusLike {
  /** isGrpcStatusLike checks it is an integer 0..16, i.e. a grpc.status. */
  code: grpc.status;
  details: string;
  metadata?: unknown;
}

/** A gRPC status object or ServiceError (integer `code` 0..16 and string `details`). */
export function isGrpcStatusLike(err: unknown): err is StatusLike {
  if (typeof err !== 'object' || err === null) return false;
  const e = err as { code?: unknown; details?: unknown };
  return typeof e.code === 'number' && Number.isInteger(e.code) && e.code >= 0 && e.code <= 16 && typeof e.details === 'string';
}

/**
 * What a gRPC client is told about `err`. Pure: logging unknown errors is the caller's job.
 * The details are cut to MAX_ERROR_MESSAGE_CHARS: they travel in the `grpc-message` trailer,
 * and a trailer larger than the peer's header-list limit never arrives, leaving the call (and,
 * with grpc-js, every other call on the connection) waiting for its deadline.
 */
export function toGrpcStatus(err: unknown): GrpcStatus {
  if (err instanceof DomainError) {
    const metadata = new grpc.Metadata();
    metadata.set(ERROR_CODE_TRAILER, err.code);
    return { code: GRPC_CODE_FOR[err.code] ?? grpc.status.INTERNAL, details: boundMessage(err.message), metadata };
  }
  if (isGrpcStatusLike(err)) {
    return {
      code: err.code,
      details: boundMessage(err.details),
      metadata: err.metadata instanceof grpc.Metadata ? err.metadata : new grpc.Metadata(),
    };
  }
  return { code: grpc.status.INTERNAL, details: 'internal error', metadata: new grpc.Metadata() };
}

const isErrorCode = (v: unknown): v is ErrorCode => typeof v === 'string' && Object.prototype.hasOwnProperty.call(HTTP_STATUS, v);

export interface FromGrpcErrorContext {
  /** The full method path, for messages. */
  method?: string;
  /** The deadline that was set, for the DEADLINE_EXCEEDED message. */
  deadlineMs?: number;
}

/** Maps a gRPC client error to a DomainError (see the table at the top of this file). */
export function fromGrpcError(err: unknown, ctx: FromGrpcErrorContext = {}): DomainError {
  if (err instanceof DomainError) return err;
  if (!isGrpcStatusLike(err)) return new DomainError('INTERNAL', 'internal error');
  const grpcCode = statusName(err.code);
  const details = { grpc_code: grpcCode };
  const where = ctx.method ? ` calling ${ctx.method}` : '';
  // A peer's message is input like any other: bounded before it is kept or passed on.
  const message = err.details !== '' ? boundMessage(err.details) : `${grpcCode}${where}`;

  if (err.code === grpc.status.UNAUTHENTICATED || err.code === grpc.status.PERMISSION_DENIED) {
    return new DomainError('INTERNAL', `peer rejected this service's API key${where}`, details);
  }
  if (err.code === grpc.status.DEADLINE_EXCEEDED) {
    const ms = ctx.deadlineMs !== undefined ? ` of ${ctx.deadlineMs} ms` : '';
    return new UnavailableError(`deadline${ms} exceeded${where}`, details);
  }

  const trailer = err.metadata instanceof grpc.Metadata ? err.metadata.get(ERROR_CODE_TRAILER)[0] : undefined;
  const domainCode = isErrorCode(trailer) && trailer !== 'UNAUTHENTICATED' ? trailer : undefined;
  if (domainCode !== undefined) {
    switch (domainCode) {
      case 'INVALID_ARGUMENT':
        return new InvalidArgumentError(message, details);
      case 'NOT_FOUND':
        return new NotFoundError(message, details);
      case 'CONFLICT':
        return new ConflictError(message, details);
      case 'FAILED_PRECONDITION':
        return new FailedPreconditionError(message, details);
      case 'UNAVAILABLE':
        return new UnavailableError(message, details);
      default:
        return new DomainError(domainCode, message, details);
    }
  }

  switch (err.code) {
    case grpc.status.INVALID_ARGUMENT:
    case grpc.status.OUT_OF_RANGE:
      return new InvalidArgumentError(message, details);
    case grpc.status.NOT_FOUND:
      return new NotFoundError(message, details);
    case grpc.status.ALREADY_EXISTS:
    case grpc.status.ABORTED:
      return new ConflictError(message, details);
    case grpc.status.FAILED_PRECONDITION:
      return new FailedPreconditionError(message, details);
    case grpc.status.UNAVAILABLE:
    case grpc.status.RESOURCE_EXHAUSTED:
    case grpc.status.CANCELLED:
      return new UnavailableError(message, details);
    default:
      return new DomainError('INTERNAL', err.code === grpc.status.INTERNAL ? 'internal error in a dependency' : message, details);
  }
}
