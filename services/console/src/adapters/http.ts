/**
 * The browser-facing side of the console, all under /dashboard: the static app, the JSON API it
 * calls and the live event stream. Every response carries a strict CSP (scripts and styles from
 * this origin only, nothing inline) and no-sniff/no-frame headers. Reads need a session; each write
 * needs a session whose role allows it, a matching Origin, and the session's CSRF token in a header.
 */
import path from 'node:path';
import express, { type NextFunction, type Request, type RequestHandler, type Response } from 'express';
import type { Registry } from 'prom-client';
import { DomainError, httpRequestDuration, isTimeframe, parseSymbol, type Logger, type TradableSymbols } from '@cte/shared';
import { allowedActions, may, type Action } from '../engine/roles';
import { LoginThrottle } from '../engine/login-throttle';
import { processSample } from '../engine/prom-text';
import { InputError, LIMIT_NAMES, parseCancel, parseLimitsUpdate, parseOrderId, parseSignIn, parseTradingStateChange } from '../engine/validate';
import type { AuditLog } from './audit';
import type { FleetProbe } from './fleet-probe';
import type { LiveHub } from './live';
import type { Authenticator } from './passwords';
import type { Peers } from './peers';
import { CSRF_HEADER, csrfMatches, readCookie, SESSION_COOKIE, type Session, type SessionKeys } from './session';

export const BASE = '/dashboard';

export const CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "font-src 'self'",
  "connect-src 'self'",
  "manifest-src 'self'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ');

export interface ConsoleDeps {
  sessions: SessionKeys;
  auth: Authenticator;
  audit: AuditLog;
  peers: Pick<Peers, 'risk' | 'execution' | 'portfolio' | 'priceStream'>;
  probe: FleetProbe;
  live: LiveHub;
  logger: Logger;
  symbols: TradableSymbols;
  version: string;
  /** Origins allowed to write; empty = the request's own Host. */
  allowedOrigins: readonly string[];
  /** The browser app (index.html, app/*.js, *.css). */
  publicDir: string;
  /** The kit's registry: console requests count in the fleet's request-duration histogram. */
  registry: Registry;
  /** Browser libraries served from node_modules as they are (no bundler): URL file name → absolute path. */
  vendorFiles: Readonly<Record<string, string>>;
}

class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

declare module 'express-serve-static-core' {
  interface Request {
    session?: Session;
  }
}

const asyncRoute =
  (fn: (req: Request, res: Response) => Promise<void>): RequestHandler =>
  (req, res, next) => {
    fn(req, res).catch(next);
  };

function securityHeaders(_req: Request, res: Response, next: NextFunction): void {
  res.setHeader('Content-Security-Policy', CSP);
  res.setHeader('X-Content-Type-Options', 'nosniff');
  res.setHeader('X-Frame-Options', 'DENY');
  res.setHeader('Referrer-Policy', 'no-referrer');
  res.setHeader('Cross-Origin-Opener-Policy', 'same-origin');
  res.setHeader('Cross-Origin-Resource-Policy', 'same-origin');
  res.setHeader('Permissions-Policy', 'camera=(), microphone=(), geolocation=(), payment=()');
  next();
}

/** A peer's failure as the browser sees it: the service and a bounded message, never internals. */
function peerError(service: string, err: unknown): HttpError {
  if (err instanceof DomainError) {
    if (err.code === 'UNAVAILABLE') return new HttpError(503, 'UNAVAILABLE', `${service} is unavailable`);
    if (err.code === 'INTERNAL' || err.code === 'UNAUTHENTICATED') return new HttpError(502, 'BAD_GATEWAY', `${service} failed`);
    return new HttpError(err.code === 'NOT_FOUND' ? 404 : err.code === 'INVALID_ARGUMENT' ? 400 : 409, err.code, `${service}: ${err.message.slice(0, 300)}`);
  }
  return new HttpError(502, 'BAD_GATEWAY', `${service} failed`);
}

async function fromPeer<T>(service: string, call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (err) {
    throw peerError(service, err);
  }
}

/** A read that may fail without failing the whole view: the value, or the error for that part. */
async function part<T>(service: string, call: () => Promise<T>): Promise<{ ok: true; value: T } | { ok: false; error: { code: string; message: string } }> {
  try {
    return { ok: true, value: await call() };
  } catch (err) {
    const e = peerError(service, err);
    return { ok: false, error: { code: e.code, message: e.message } };
  }
}

export function createConsoleApp(d: ConsoleDeps): express.Application {
  const app = express();
  app.disable('x-powered-by');
  app.set('etag', false);
  app.set('query parser', 'simple');
  app.set('trust proxy', false);
  const throttle = new LoginThrottle(5, 15 * 60_000);
  const duration = httpRequestDuration(d.registry);
  app.use((req, res, next) => {
    // Other paths fall through to the kit's app, which counts them itself.
    if (!req.originalUrl.startsWith(BASE)) {
      next();
      return;
    }
    const started = process.hrtime.bigint();
    res.once('close', () => {
      const route = req.route as { path?: unknown } | undefined;
      // The matched pattern only (never raw URL segments), as the kit labels its routes.
      // req.baseUrl is not reliable once the request has left the routers, so the prefix comes from the router a route lives in.
      const prefix = req.originalUrl.startsWith(`${BASE}/api/`) ? `${BASE}/api` : BASE;
      const label = typeof route?.path === 'string' ? `${prefix}${route.path}` : req.originalUrl.startsWith(`${BASE}/app/`) ? `${BASE}/app` : 'unmatched';
      const status = res.writableFinished ? String(res.statusCode) : '499';
      duration.observe({ method: req.method, route: label, status }, Number(process.hrtime.bigint() - started) / 1e9);
    });
    next();
  });

  const router = express.Router();
  router.use(securityHeaders);

  const expectedOrigins = (req: Request): string[] => {
    if (d.allowedOrigins.length > 0) return [...d.allowedOrigins];
    const host = req.get('host');
    return host ? [`http://${host}`, `https://${host}`] : [];
  };
  /** Login CSRF and cross-site writes: the Origin must be ours, and the browser must not call it cross-site. */
  const sameOrigin = (req: Request): void => {
    const origin = req.get('origin');
    if (!origin || !expectedOrigins(req).includes(origin)) throw new HttpError(403, 'FORBIDDEN', 'cross-origin or origin-less write refused');
    const site = req.get('sec-fetch-site');
    if (site !== undefined && site !== 'same-origin') throw new HttpError(403, 'FORBIDDEN', 'cross-site write refused');
  };

  const loadSession: RequestHandler = (req, _res, next) => {
    d.sessions
      .verify(readCookie(req.get('cookie'), SESSION_COOKIE))
      .then((s) => {
        // The account as configured now: a removed operator's tokens stop working, a changed role applies at once.
        const op = s ? d.auth.get(s.name) : undefined;
        if (s && op) req.session = { ...s, role: op.role };
        next();
      })
      .catch(next);
  };
  const requireSession: RequestHandler = (req, _res, next) => {
    next(req.session ? undefined : new HttpError(401, 'UNAUTHENTICATED', 'sign in first'));
  };
  const requireWrite =
    (action: Action | 'session'): RequestHandler =>
    (req, _res, next) => {
      try {
        const s = req.session;
        if (!s) throw new HttpError(401, 'UNAUTHENTICATED', 'sign in first');
        sameOrigin(req);
        if (!csrfMatches(s, req.get(CSRF_HEADER))) throw new HttpError(403, 'FORBIDDEN', 'missing or wrong CSRF token');
        if (action !== 'session' && !may(s.role, action)) throw new HttpError(403, 'FORBIDDEN', `role ${s.role} may not ${action}`);
        next();
      } catch (err) {
        next(err);
      }
    };
  const requireJson: RequestHandler = (req, _res, next) => {
    next(req.is('application/json') ? undefined : new HttpError(415, 'UNSUPPORTED_MEDIA_TYPE', 'send application/json'));
  };

  /** Records the action (before it runs) and its outcome. An action that cannot be recorded is not taken. */
  const audited = async <T>(req: Request, action: string, target: string, detail: unknown, run: () => Promise<T>): Promise<T> => {
    const s = req.session as Session;
    let id: number;
    try {
      id = await d.audit.begin({ operator: s.name, role: s.role, action, target, detail, traceId: req.get('x-trace-id')?.slice(0, 64) ?? '' });
    } catch (err) {
      d.logger.error({ err, action }, 'audit log write failed; action not taken');
      throw new HttpError(503, 'UNAVAILABLE', 'the audit log cannot be written; the action was not taken');
    }
    try {
      const out = await run();
      await d.audit.finish(id, 'ok').catch((err: unknown) => d.logger.error({ err, id }, 'audit outcome not recorded'));
      d.logger.info({ operator: s.name, role: s.role, action, target, audit_id: id }, 'operator action');
      return out;
    } catch (err) {
      const message = err instanceof HttpError ? err.message : 'failed';
      await d.audit.finish(id, 'failed', message).catch((e: unknown) => d.logger.error({ err: e, id }, 'audit outcome not recorded'));
      d.logger.warn({ operator: s.name, action, target, audit_id: id, message }, 'operator action failed');
      throw err;
    }
  };

  // ---- the app
  router.get('/', (req, res) => {
    if (req.originalUrl === BASE) {
      res.redirect(308, `${BASE}/`);
      return;
    }
    res.setHeader('Cache-Control', 'no-store');
    res.sendFile(path.join(d.publicDir, 'index.html'));
  });
  router.use('/app', express.static(path.join(d.publicDir, 'app'), { index: false, fallthrough: false, maxAge: 0 }));
  router.get('/vendor/:file', (req, res, next) => {
    const file = Object.hasOwn(d.vendorFiles, req.params.file) ? d.vendorFiles[req.params.file] : undefined;
    if (file === undefined) {
      next(new HttpError(404, 'NOT_FOUND', 'not found'));
      return;
    }
    res.setHeader('Cache-Control', 'public, max-age=3600');
    res.type('text/javascript').sendFile(file);
  });

  // ---- API
  const api = express.Router();
  api.use((_req, res, next) => {
    res.setHeader('Cache-Control', 'no-store');
    next();
  });
  api.use(express.json({ limit: '16kb' }));
  api.use(loadSession);

  api.post(
    '/session',
    requireJson,
    asyncRoute(async (req, res) => {
      sameOrigin(req);
      const { name, password } = parseSignIn(req.body);
      const key = name.toLowerCase();
      const now = Date.now();
      const wait = throttle.retryAfterMs(key, now);
      if (wait > 0) {
        res.setHeader('Retry-After', String(Math.ceil(wait / 1000)));
        throw new HttpError(429, 'TOO_MANY_ATTEMPTS', 'too many failed sign-ins; try again later');
      }
      const op = await d.auth.authenticate(name, password);
      if (!op) {
        throttle.fail(key, now);
        d.logger.warn({ ip: req.socket.remoteAddress }, 'failed sign-in');
        throw new HttpError(401, 'UNAUTHENTICATED', 'wrong name or password');
      }
      throttle.succeed(key);
      const { token, session } = await d.sessions.issue(op.name, op.role);
      res.setHeader('Set-Cookie', d.sessions.cookie(token));
      d.logger.info({ operator: op.name, role: op.role }, 'operator signed in');
      res.json(sessionView(session));
    }),
  );
  api.get('/session', requireSession, (req, res) => {
    res.json(sessionView(req.session as Session));
  });
  api.delete('/session', requireWrite('session'), (req, res) => {
    res.setHeader('Set-Cookie', d.sessions.clearCookie());
    d.logger.info({ operator: req.session?.name }, 'operator signed out');
    res.json({ signed_out: true });
  });

  api.use(requireSession);

  api.get(
    '/fleet',
    asyncRoute(async (_req, res) => {
      res.json({ console: { version: d.version, uptime_s: Math.floor(process.uptime()), live_clients: d.live.size }, services: await d.probe.probeAll() });
    }),
  );
  api.get(
    '/system',
    asyncRoute(async (_req, res) => {
      const own = processSample(await d.registry.metrics());
      res.json({ at: Date.now(), services: [{ service: 'console', reachable: true, ...own }, ...(await d.probe.sampleAll())] });
    }),
  );
  api.get('/symbols', (_req, res) => {
    res.json({ symbols: d.symbols.list() });
  });
  api.get(
    '/bars',
    asyncRoute(async (req, res) => {
      const symbol = parseQuerySymbol(req.query.symbol, d.symbols);
      const timeframe = req.query.timeframe ?? '1h';
      if (!isTimeframe(timeframe)) throw new HttpError(400, 'INVALID_ARGUMENT', 'timeframe is invalid');
      const limit = queryInt(req.query.limit, 300, 1, 1000);
      const r = await fromPeer('price-stream', () => d.peers.priceStream.unary('GetBars', { symbol, timeframe, limit }));
      res.json({ symbol, timeframe, bars: r.bars });
    }),
  );
  api.get(
    '/portfolio',
    asyncRoute(async (_req, res) => {
      const [summary, exposure] = await Promise.all([
        part('portfolio', () => d.peers.portfolio.unary('GetPortfolio', {})),
        part('portfolio', () => d.peers.portfolio.unary('GetExposure', {})),
      ]);
      res.json({ summary, exposure });
    }),
  );
  api.get(
    '/orders',
    asyncRoute(async (req, res) => {
      const status = req.query.status;
      if (status !== undefined && (typeof status !== 'string' || !/^[A-Z_]{1,20}$/.test(status))) throw new HttpError(400, 'INVALID_ARGUMENT', 'status is invalid');
      const symbol = req.query.symbol === undefined ? '' : parseQuerySymbol(req.query.symbol, d.symbols);
      const limit = queryInt(req.query.limit, 50, 1, 500);
      const r = await fromPeer('execution', () => d.peers.execution.unary('ListOrders', { status: status ?? '', symbol, limit, offset: 0 }));
      res.json(r);
    }),
  );
  api.post(
    '/orders/:id/cancel',
    requireWrite('orders.cancel'),
    requireJson,
    asyncRoute(async (req, res) => {
      const id = parseOrderId(req.params.id);
      const { reason } = parseCancel(req.body);
      const order = await audited(req, 'orders.cancel', id, { reason }, () => fromPeer('execution', () => d.peers.execution.unary('Cancel', { id })));
      res.json(order);
    }),
  );
  api.get(
    '/risk',
    asyncRoute(async (_req, res) => {
      const [state, limits] = await Promise.all([part('risk', () => d.peers.risk.unary('GetTradingState', {})), part('risk', () => d.peers.risk.unary('GetLimits', {}))]);
      res.json({ trading_state: state, limits, editable_limits: LIMIT_NAMES });
    }),
  );
  api.post(
    '/risk/trading-state',
    requireWrite('trading.state'),
    requireJson,
    asyncRoute(async (req, res) => {
      const { state, reason } = parseTradingStateChange(req.body);
      const s = req.session as Session;
      const out = await audited(req, 'trading.state', state, { state, reason }, () =>
        fromPeer('risk', () => d.peers.risk.unary('SetTradingState', { state, reason: `${reason} [console: ${s.name}]` })),
      );
      res.json(out);
    }),
  );
  api.put(
    '/risk/limits',
    requireWrite('risk.limits'),
    requireJson,
    asyncRoute(async (req, res) => {
      const { limits, reason } = parseLimitsUpdate(req.body);
      const out = await audited(req, 'risk.limits', Object.keys(limits).join(','), { limits, reason }, () => fromPeer('risk', () => d.peers.risk.unary('UpdateLimits', limits)));
      res.json(out);
    }),
  );
  api.get(
    '/audit',
    asyncRoute(async (req, res) => {
      const limit = queryInt(req.query.limit, 100, 1, 500);
      const before = req.query.before === undefined ? undefined : queryInt(req.query.before, 0, 1, Number.MAX_SAFE_INTEGER);
      res.json({ entries: await d.audit.recent(limit, before) });
    }),
  );
  api.get('/stream', (_req, res, next) => {
    if (!d.live.attach(res)) next(new HttpError(503, 'UNAVAILABLE', 'too many live connections'));
  });

  api.use((req, _res, next) => next(new HttpError(404, 'NOT_FOUND', `no route for ${req.method} ${req.path}`)));
  router.use('/api', api);
  app.use(BASE, router);

  app.use((err: unknown, req: Request, res: Response, next: NextFunction) => {
    if (!req.originalUrl.startsWith(BASE)) {
      next(err);
      return;
    }
    const e = toHttpError(err);
    if (e.status >= 500 && !(err instanceof HttpError)) d.logger.error({ err }, 'console request failed');
    if (res.headersSent) {
      res.destroy();
      return;
    }
    res.setHeader('Cache-Control', 'no-store');
    res.status(e.status).json({ error: { code: e.code, message: e.message } });
  });
  return app;
}

function toHttpError(err: unknown): HttpError {
  if (err instanceof HttpError) return err;
  if (err instanceof InputError) return new HttpError(400, 'INVALID_ARGUMENT', err.message);
  if (err instanceof DomainError && err.code === 'INVALID_ARGUMENT') return new HttpError(400, 'INVALID_ARGUMENT', err.message.slice(0, 300));
  const e = err as { status?: unknown; type?: unknown };
  if (typeof e?.status === 'number' && e.status >= 400 && e.status < 500) {
    if (e.type === 'entity.too.large') return new HttpError(413, 'PAYLOAD_TOO_LARGE', 'request body too large');
    if (e.type === 'entity.parse.failed') return new HttpError(400, 'INVALID_ARGUMENT', 'request body is not valid JSON');
    return new HttpError(e.status, e.status === 404 ? 'NOT_FOUND' : 'INVALID_ARGUMENT', e.status === 404 ? 'not found' : 'invalid request');
  }
  return new HttpError(500, 'INTERNAL', 'internal error');
}

function sessionView(s: Session): Record<string, unknown> {
  return { name: s.name, role: s.role, actions: allowedActions(s.role), csrf_token: s.csrf, expires_at: s.exp * 1000 };
}

function queryInt(v: unknown, def: number, min: number, max: number): number {
  if (v === undefined) return def;
  if (typeof v !== 'string' || !/^\d{1,16}$/.test(v)) throw new HttpError(400, 'INVALID_ARGUMENT', 'a numeric query parameter is invalid');
  const n = Number(v);
  if (n < min || n > max) throw new HttpError(400, 'INVALID_ARGUMENT', `a numeric query parameter must be ${min}..${max}`);
  return n;
}

function parseQuerySymbol(v: unknown, symbols: TradableSymbols): string {
  let s: string;
  try {
    s = parseSymbol(typeof v === 'string' ? v.replace('-', '/') : v);
  } catch {
    throw new HttpError(400, 'INVALID_ARGUMENT', 'symbol is invalid');
  }
  if (!symbols.has(s)) throw new HttpError(400, 'INVALID_ARGUMENT', `symbol ${s} is not tradable`);
  return s;
}
