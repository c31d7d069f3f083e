/**
 * The HTTP side of the service kit: one express app per service with
 * `/health`, `/ready` and `/metrics` open, everything else behind the
 * `X-TRADING-API-KEY` header, JSON errors from one error middleware, trace
 * ids, access logs, request metrics and a graceful close.
 *
 * Order of the middleware (it matters):
 *   context (trace id, child logger, metrics, access log)
 *   → GET /health, /ready, /metrics (no key)
 *   → API key check (so unauthenticated probing of any other path gets 401,
 *     and no body is parsed for an unauthenticated caller)
 *   → JSON body parser (size limited)
 *   → `router` (the service's own routes)
 *   → 404 → error middleware.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import express, { type ErrorRequestHandler, type NextFunction, type Request, type RequestHandler, type Response } from 'express';
import type { Registry } from 'prom-client';
import { API_KEY_HEADER, apiKeyMatcher } from '../api-key';
import { boundDetails, boundMessage } from '../describe';
import { DomainError, type ErrorCode, HTTP_STATUS, NotFoundError, UnauthenticatedError } from '../errors';
import type { Logger } from '../logger';
import { httpRequestDuration } from '../metrics';
import { assertJsonDepth } from '../json-input';
import type { Readiness } from '../readiness';
import { acceptTraceId, TRACE_ID_HEADER } from '../trace';

declare global {
  // eslint-disable-next-line @typescript-eslint/no-namespace
  namespace Express {
    interface Request {
      /** This request's trace id (from a valid `x-trace-id` header, else generated); echoed in the response header. */
      traceId: string;
      /** The service logger with `trace_id` bound. */
      log: Logger;
    }
  }
}

export interface HttpAppOptions {
  service: string;
  version: string;
  /** The accepted key, or every accepted key during a rotation (BaseConfig.apiKeys). */
  apiKey: string | readonly string[];
  logger: Logger;
  registry: Registry;
  readiness: Readiness;
  /** Largest accepted JSON body, in bytes or as '100kb'. Default '100kb'. */
  bodyLimit?: string | number;
}

export interface HttpServerHandle {
  readonly server: http.Server;
  /** The port actually bound (useful with port 0). */
  readonly port: number;
  /** Requests received and not yet finished or aborted. */
  inFlight(): number;
  /**
   * Stops accepting connections, lets in-flight requests finish for up to
   * `graceMs` (default 10 s), then destroys every remaining socket. Resolves
   * once the server is closed. Idempotent.
   */
  close(graceMs?: number): Promise<void>;
}

export interface HttpApp {
  app: express.Application;
  /** Protected routes go here: it sits behind the API key check and the JSON body parser. */
  router: express.Router;
  listen: (port: number, host?: string) => Promise<HttpServerHandle>;
}

/** Routes logged at debug instead of info: probes and scrapes. */
const QUIET_ROUTES = new Set(['/health', '/ready', '/metrics']);
const UNMATCHED_ROUTE = 'unmatched';

interface ErrorReply {
  status: number;
  code: ErrorCode;
  message: string;
  details?: Record<string, unknown>;
}

/** body-parser / http-errors shape: `status` plus, for body-parser, a `type`. */
interface HttpLikeError {
  status?: unknown;
  statusCode?: unknown;
  expose?: unknown;
  type?: unknown;
  message?: unknown;
}

function codeForStatus(status: number): ErrorCode {
  switch (status) {
    case 401:
      return 'UNAUTHENTICATED';
    case 404:
      return 'NOT_FOUND';
    case 409:
      return 'CONFLICT';
    case 413:
      return 'PAYLOAD_TOO_LARGE';
    default:
      return 'INVALID_ARGUMENT';
  }
}

/**
 * Decides what a client sees for an error. Only DomainErrors and framework 4xx errors keep their
 * message, cut to MAX_ERROR_MESSAGE_CHARS; `details` are bounded too (see boundDetails), so no
 * reply echoes a large or deeply nested input. Never throws.
 */
export function toErrorReply(err: unknown, bodyLimit: string | number = '100kb'): ErrorReply {
  if (err instanceof DomainError) {
    const reply: ErrorReply = { status: HTTP_STATUS[err.code] ?? 500, code: err.code, message: boundMessage(err.message) };
    const details = err.details !== undefined ? boundDetails(err.details) : undefined;
    if (details !== undefined) reply.details = details;
    return reply;
  }
  if (typeof err === 'object' && err !== null) {
    const e = err as HttpLikeError;
    const status = typeof e.status === 'number' ? e.status : typeof e.statusCode === 'number' ? e.statusCode : undefined;
    if (status !== undefined && status >= 400 && status < 500) {
      if (e.type === 'entity.too.large') {
        return { status: 413, code: 'PAYLOAD_TOO_LARGE', message: `request body is larger than ${String(bodyLimit)}` };
      }
      if (e.type === 'entity.parse.failed') return { status: 400, code: 'INVALID_ARGUMENT', message: 'request body is not valid JSON' };
      if (typeof e.type === 'string') {
        // Other body-parser failures (unsupported charset/encoding, aborted, bad length): a fixed message per type.
        return { status: 400, code: 'INVALID_ARGUMENT', message: `invalid request body (${e.type})` };
      }
      const code = codeForStatus(status);
      const message = e.expose === true && typeof e.message === 'string' ? boundMessage(e.message) : 'invalid request';
      return { status: HTTP_STATUS[code], code, message };
    }
  }
  return { status: 500, code: 'INTERNAL', message: 'internal error' };
}

/**
 * The metrics/log label for a request: the matched route pattern (`/orders/:id`),
 * prefixed by the mount path of a sub-router. Mount sub-routers on static paths
 * (`router.use('/agents', agents)`): a parameterised mount path would put raw
 * URL segments into `req.baseUrl`. Requests that matched no route are `unmatched`.
 */
function routeOf(req: Request): string {
  const route = req.route as { path?: unknown } | undefined;
  if (!route || route.path === undefined) return UNMATCHED_ROUTE;
  const p = route.path;
  const pattern = typeof p === 'string' ? p : Array.isArray(p) ? p.map(String).join('|') : p instanceof RegExp ? p.toString() : UNMATCHED_ROUTE;
  return `${req.baseUrl ?? ''}${pattern}`;
}

export function createHttpApp(opts: HttpAppOptions): HttpApp {
  const { service, version, logger, registry, readiness } = opts;
  const bodyLimit = opts.bodyLimit ?? '100kb';
  const keyMatches = apiKeyMatcher(opts.apiKey);
  const duration = httpRequestDuration(registry);

  const app = express();
  app.disable('x-powered-by');
  app.set('etag', false);
  app.set('query parser', 'simple');

  // Context: trace id, child logger, access log, metrics.
  app.use((req: Request, res: Response, next: NextFunction) => {
    const started = process.hrtime.bigint();
    const traceId = acceptTraceId(req.get(TRACE_ID_HEADER));
    req.traceId = traceId;
    req.log = logger.child({ trace_id: traceId });
    res.setHeader(TRACE_ID_HEADER, traceId);
    res.once('close', () => {
      const seconds = Number(process.hrtime.bigint() - started) / 1e9;
      const route = routeOf(req);
      const status = res.writableFinished ? String(res.statusCode) : '499'; // 499: the client went away first
      duration.observe({ method: req.method, route, status }, seconds);
      const line = {
        method: req.method,
        path: req.originalUrl.split('?')[0],
        route,
        status: Number(status),
        duration_ms: Math.round(seconds * 1e6) / 1e3,
      };
      if (QUIET_ROUTES.has(route)) req.log.debug(line, 'request');
      else req.log.info(line, 'request');
    });
    next();
  });

  const noStore: RequestHandler = (_req, res, next) => {
    res.setHeader('Cache-Control', 'no-store');
    next();
  };

  app.get('/health', noStore, (_req, res) => {
    res.json({ status: 'ok', service, version, uptime_s: Math.floor(process.uptime()) });
  });

  app.get('/ready', noStore, async (_req, res) => {
    if (readiness.isShuttingDown) {
      res.status(503).json({ status: 'shutting_down' });
      return;
    }
    const report = await readiness.check();
    if (report.shuttingDown) {
      res.status(503).json({ status: 'shutting_down' });
      return;
    }
    const failed = Object.entries(report.checks)
      .filter(([, r]) => !r.ok)
      .map(([name]) => name);
    if (report.ready) res.json({ status: 'ready', checks: report.checks });
    else res.status(503).json({ status: 'not_ready', failed, checks: report.checks });
  });

  app.get('/metrics', noStore, async (_req, res) => {
    const text = await registry.metrics();
    res.setHeader('Content-Type', registry.contentType);
    res.send(text);
  });

  // Everything below needs the API key.
  app.use((req: Request, _res: Response, next: NextFunction) => {
    if (keyMatches(req.get(API_KEY_HEADER))) {
      next();
      return;
    }
    req.log.warn({ method: req.method, path: req.originalUrl.split('?')[0], ip: req.ip }, 'rejected request without a valid API key');
    next(new UnauthenticatedError());
  });

  app.use(express.json({ limit: bodyLimit }));
  // Before any route sees the body: a value nested deeper than MAX_JSON_DEPTH is a 400 naming its field.
  app.use((req: Request, _res: Response, next: NextFunction) => {
    try {
      assertJsonDepth(req.body, undefined);
    } catch (err) {
      next(err);
      return;
    }
    next();
  });

  const router = express.Router();
  app.use(router);

  app.use((req: Request, _res: Response, next: NextFunction) => {
    next(new NotFoundError(`no route for ${req.method} ${req.path}`));
  });

  const errorHandler: ErrorRequestHandler = (err: unknown, req, res, _next) => {
    const reply = toErrorReply(err, bodyLimit);
    const log = req.log ?? logger;
    if (reply.code === 'INTERNAL' && !(err instanceof DomainError)) {
      log.error({ err }, 'unhandled error');
    } else if (reply.status >= 500) {
      log.warn({ code: reply.code, message: reply.message }, 'request failed');
    } else if (reply.code !== 'UNAUTHENTICATED') {
      log.debug({ code: reply.code, message: reply.message }, 'request rejected');
    }
    if (res.headersSent) {
      // Part of a response is already out: cut the connection rather than end a truncated body as if complete.
      res.destroy();
      return;
    }
    const body: { code: ErrorCode; message: string; details?: Record<string, unknown> } = {
      code: reply.code,
      message: reply.message,
    };
    if (reply.details !== undefined) body.details = reply.details;
    res.status(reply.status).json({ error: body });
  };
  app.use(errorHandler);

  const listen = (port: number, host?: string): Promise<HttpServerHandle> =>
    new Promise((resolve, reject) => {
      let inFlight = 0;
      let closing = false;
      let drainWaiters: Array<() => void> = [];
      let closed: Promise<void> | undefined;

      const server = http.createServer((req, res) => {
        inFlight++;
        if (closing) res.setHeader('Connection', 'close');
        res.once('close', () => {
          inFlight--;
          if (inFlight === 0 && drainWaiters.length > 0) {
            const waiters = drainWaiters;
            drainWaiters = [];
            for (const w of waiters) w();
          }
        });
        app(req, res);
      });

      const close = (graceMs = 10_000): Promise<void> => {
        if (closed) return closed;
        closing = true;
        closed = new Promise<void>((done) => {
          server.close(() => done());
          server.closeIdleConnections();
          let timer: NodeJS.Timeout | undefined;
          const drained = new Promise<void>((r) => {
            if (inFlight === 0) r();
            else drainWaiters.push(r);
          });
          const expired = new Promise<void>((r) => {
            timer = setTimeout(() => {
              if (inFlight > 0) logger.warn({ in_flight: inFlight, grace_ms: graceMs }, 'http grace period over; closing remaining connections');
              r();
            }, graceMs);
          });
          void Promise.race([drained, expired]).then(() => {
            if (timer) clearTimeout(timer);
            server.closeAllConnections();
          });
        });
        return closed;
      };

      server.once('error', reject);
      server.listen(port, host, () => {
        server.off('error', reject);
        server.on('error', (err) => logger.error({ err }, 'http server error'));
        const address = server.address() as AddressInfo;
        logger.info({ port: address.port, host: host ?? address.address }, 'http listening');
        resolve({ server, port: address.port, inFlight: () => inFlight, close });
      });
    });

  return { app, router, listen };
}
