/**
 * The HTTP app over real sockets (port 0): open probes, API key, JSON errors,
 * body limits, trace ids, metrics, and the graceful close.
 */
import { spawnSync } from 'node:child_process';
import { once } from 'node:events';
import http from 'node:http';
import { findPromtool } from '@cte/testkit';
import { ConflictError, InvalidArgumentError, NotFoundError, UnavailableError } from '../errors';
import { createHttpApp, type HttpServerHandle } from '../http';
import { createLogger, type Logger } from '../logger';
import { createMetrics, lintMetricsText } from '../metrics';
import { Readiness } from '../readiness';

const KEY = 'test-key-0123456789abcdef';
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

interface LogCapture {
  logger: Logger;
  lines: Array<Record<string, unknown>>;
}

function captureLogs(): LogCapture {
  const lines: Array<Record<string, unknown>> = [];
  const logger = createLogger({
    service: 'http-test',
    level: 'debug',
    destination: { write: (s: string) => void lines.push(JSON.parse(s) as Record<string, unknown>) },
  });
  return { logger, lines };
}

interface Reply {
  status: number;
  headers: http.IncomingHttpHeaders;
  text: string;
  json: () => { error?: { code: string; message: string; details?: unknown } } & Record<string, unknown>;
}

/** A raw node:http request on a fresh connection, so tests control every header and byte. */
function request(
  port: number,
  path: string,
  opts: { method?: string; headers?: Record<string, string>; body?: string | Buffer } = {},
): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = http.request(
      { host: '127.0.0.1', port, path, method: opts.method ?? 'GET', headers: opts.headers, agent: false },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          resolve({ status: res.statusCode ?? 0, headers: res.headers, text, json: () => JSON.parse(text) as ReturnType<Reply['json']> });
        });
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    if (opts.body !== undefined) req.write(opts.body);
    req.end();
  });
}

const withKey = (extra: Record<string, string> = {}): Record<string, string> => ({ 'x-trading-api-key': KEY, ...extra });

interface Fixture {
  handle: HttpServerHandle;
  logs: LogCapture;
  readiness: Readiness;
  state: { dbOk: boolean; hang: boolean };
}

async function start(): Promise<Fixture> {
  const logs = captureLogs();
  const readiness = new Readiness({ timeoutMs: 100 });
  const state = { dbOk: true, hang: false };
  readiness.addCheck('db', () => {
    if (!state.dbOk) throw new Error('db down');
  });
  readiness.addCheck('redis', async () => {
    if (state.hang) await new Promise((r) => setTimeout(r, 1_000).unref());
  });
  const registry = createMetrics('http-test');
  const { router, listen } = createHttpApp({
    service: 'http-test',
    version: '1.2.3',
    apiKey: KEY,
    logger: logs.logger,
    registry,
    readiness,
    bodyLimit: '1kb',
  });
  router.get('/items/:id', (req, res) => {
    res.json({ id: req.params.id, trace_id: req.traceId });
  });
  router.post('/echo', (req, res) => {
    res.json({ body: req.body as unknown });
  });
  router.get('/fail/:kind', async (req) => {
    await sleep(1);
    switch (req.params.kind) {
      case 'not_found':
        throw new NotFoundError('no such item', { id: 'x' });
      case 'conflict':
        throw new ConflictError('already exists');
      case 'invalid':
        throw new InvalidArgumentError('qty must be positive');
      case 'unavailable':
        throw new UnavailableError('exchange unreachable');
      default:
        throw new Error('db password=hunter2 exploded');
    }
  });
  router.get('/slow', async (req, res) => {
    // Sleeps, but stops early if the connection is cut, so no timer outlives the test.
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, Number(req.query.ms ?? 300));
      res.once('close', () => {
        clearTimeout(timer);
        resolve();
      });
    });
    if (!res.destroyed) res.json({ done: true });
  });
  const handle = await listen(0, '127.0.0.1');
  return { handle, logs, readiness, state };
}

describe('HTTP app', () => {
  let f: Fixture;
  let port: number;

  beforeAll(async () => {
    f = await start();
    port = f.handle.port;
  });
  afterAll(async () => {
    await f.handle.close(1_000);
  });

  it('binds an ephemeral port', () => {
    expect(port).toBeGreaterThan(0);
  });

  it('GET /health needs no key and reports service, version and uptime', async () => {
    const r = await request(port, '/health');
    expect(r.status).toBe(200);
    expect(r.json()).toEqual({ status: 'ok', service: 'http-test', version: '1.2.3', uptime_s: expect.any(Number) });
    expect(r.headers['x-powered-by']).toBeUndefined();
    expect(r.headers['x-trace-id']).toMatch(/^[0-9a-f]{32}$/);
  });

  it('GET /ready is 200 when every check passes and 503 naming the failed one', async () => {
    const ok = await request(port, '/ready');
    expect(ok.status).toBe(200);
    expect(ok.json()).toMatchObject({ status: 'ready', checks: { db: { ok: true }, redis: { ok: true } } });

    f.state.dbOk = false;
    try {
      const bad = await request(port, '/ready');
      expect(bad.status).toBe(503);
      expect(bad.json()).toMatchObject({
        status: 'not_ready',
        failed: ['db'],
        checks: { db: { ok: false, error: 'db down' }, redis: { ok: true } },
      });
    } finally {
      f.state.dbOk = true;
    }
  });

  it('a check that hangs fails by timeout instead of hanging /ready', async () => {
    f.state.hang = true;
    try {
      const t0 = Date.now();
      const r = await request(port, '/ready');
      expect(Date.now() - t0).toBeLessThan(900);
      expect(r.status).toBe(503);
      expect(r.json()).toMatchObject({ failed: ['redis'], checks: { redis: { ok: false, error: 'timed out after 100 ms' } } });
    } finally {
      f.state.hang = false;
    }
  });

  it('requires X-TRADING-API-KEY: 401 without, 401 with a wrong one, 200 with the right one', async () => {
    const missing = await request(port, '/items/1');
    expect(missing.status).toBe(401);
    expect(missing.json()).toEqual({ error: { code: 'UNAUTHENTICATED', message: 'missing or invalid API key' } });

    const wrong = await request(port, '/items/1', { headers: { 'x-trading-api-key': 'nope' } });
    expect(wrong.status).toBe(401);
    expect(wrong.json().error?.code).toBe('UNAUTHENTICATED');

    const prefix = await request(port, '/items/1', { headers: { 'x-trading-api-key': KEY.slice(0, -1) } });
    expect(prefix.status).toBe(401);

    const right = await request(port, '/items/1', { headers: withKey() });
    expect(right.status).toBe(200);
    expect(right.json()).toMatchObject({ id: '1' });
  });

  it('unknown routes: 401 without a key (no probing), 404 JSON with one', async () => {
    const anon = await request(port, '/nope');
    expect(anon.status).toBe(401);
    const authed = await request(port, '/nope', { headers: withKey() });
    expect(authed.status).toBe(404);
    expect(authed.headers['content-type']).toMatch(/application\/json/);
    expect(authed.json().error?.code).toBe('NOT_FOUND');
    // The open probes are GET only; other methods fall through to auth.
    expect((await request(port, '/health', { method: 'POST' })).status).toBe(401);
  });

  it('keeps a valid x-trace-id, replaces an invalid one, and puts it on the request', async () => {
    const kept = await request(port, '/items/7', { headers: withKey({ 'x-trace-id': 'abc-123.def' }) });
    expect(kept.headers['x-trace-id']).toBe('abc-123.def');
    expect(kept.json()).toMatchObject({ trace_id: 'abc-123.def' });

    const replaced = await request(port, '/items/7', { headers: withKey({ 'x-trace-id': 'not a valid id; drop table' }) });
    expect(replaced.headers['x-trace-id']).toMatch(/^[0-9a-f]{32}$/);
    expect(replaced.json()).toMatchObject({ trace_id: replaced.headers['x-trace-id'] });
  });

  it('parses JSON bodies; invalid JSON is 400 INVALID_ARGUMENT', async () => {
    const good = await request(port, '/echo', {
      method: 'POST',
      headers: withKey({ 'content-type': 'application/json' }),
      body: JSON.stringify({ a: 1 }),
    });
    expect(good.status).toBe(200);
    expect(good.json()).toEqual({ body: { a: 1 } });

    const bad = await request(port, '/echo', {
      method: 'POST',
      headers: withKey({ 'content-type': 'application/json' }),
      body: '{"a": 1,',
    });
    expect(bad.status).toBe(400);
    expect(bad.json()).toEqual({ error: { code: 'INVALID_ARGUMENT', message: 'request body is not valid JSON' } });
  });

  it('a body over the limit is 413 PAYLOAD_TOO_LARGE', async () => {
    const big = JSON.stringify({ pad: 'x'.repeat(4_096) });
    const r = await request(port, '/echo', {
      method: 'POST',
      headers: withKey({ 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(big)) }),
      body: big,
    });
    expect(r.status).toBe(413);
    expect(r.json().error?.code).toBe('PAYLOAD_TOO_LARGE');
  });

  it.each([
    ['not_found', 404, 'NOT_FOUND', 'no such item'],
    ['conflict', 409, 'CONFLICT', 'already exists'],
    ['invalid', 400, 'INVALID_ARGUMENT', 'qty must be positive'],
    ['unavailable', 503, 'UNAVAILABLE', 'exchange unreachable'],
  ])('a thrown %s DomainError becomes %d %s', async (kind, status, code, message) => {
    const r = await request(port, `/fail/${kind}`, { headers: withKey() });
    expect(r.status).toBe(status);
    expect(r.json().error).toMatchObject({ code, message });
  });

  it('DomainError details reach the client', async () => {
    const r = await request(port, '/fail/not_found', { headers: withKey() });
    expect(r.json().error).toEqual({ code: 'NOT_FOUND', message: 'no such item', details: { id: 'x' } });
  });

  it('an unknown error is 500 INTERNAL with a generic message; the stack is logged, never sent', async () => {
    const r = await request(port, '/fail/boom', { headers: withKey({ 'x-trace-id': 'trace-boom-1' }) });
    expect(r.status).toBe(500);
    expect(r.json()).toEqual({ error: { code: 'INTERNAL', message: 'internal error' } });
    expect(r.text).not.toMatch(/hunter2|at .*\.ts|Error:/);
    const logged = f.logs.lines.find((l) => l.msg === 'unhandled error' && l.trace_id === 'trace-boom-1');
    expect(logged).toBeDefined();
    const err = logged?.err as { stack?: string; message?: string } | undefined;
    expect(err?.message).toContain('exploded');
    expect(err?.stack).toMatch(/at /);
  });

  it('logs each request with its trace id (probes at debug) and never logs the key', async () => {
    await request(port, '/items/9', { headers: withKey({ 'x-trace-id': 'trace-log-1' }) });
    await request(port, '/health', { headers: { 'x-trace-id': 'trace-log-2' } });
    await sleep(20);
    const line = f.logs.lines.find((l) => l.msg === 'request' && l.trace_id === 'trace-log-1');
    expect(line).toMatchObject({ level: 'info', method: 'GET', route: '/items/:id', status: 200, service: 'http-test' });
    const probe = f.logs.lines.find((l) => l.msg === 'request' && l.trace_id === 'trace-log-2');
    expect(probe).toMatchObject({ level: 'debug', route: '/health' });
    expect(JSON.stringify(f.logs.lines)).not.toContain(KEY);
  });

  it('GET /metrics needs no key and serves Prometheus text with default and request metrics', async () => {
    await request(port, '/items/42', { headers: withKey() });
    await request(port, '/items/43', { headers: withKey() });
    await request(port, '/really/unknown', { headers: withKey() });
    const r = await request(port, '/metrics');
    expect(r.status).toBe(200);
    expect(r.headers['content-type']).toBe('text/plain; version=0.0.4; charset=utf-8');
    expect(r.text).toContain('# TYPE process_cpu_user_seconds_total counter');
    expect(r.text).toContain('# TYPE cte_http_request_duration_seconds histogram');
    // Route pattern, never the raw URL; unknown paths collapse into one label value.
    const count = r.text.split('\n').find((l) => l.startsWith('cte_http_request_duration_seconds_count{') && l.includes('route="/items/:id"') && l.includes('status="200"'));
    expect(count).toContain('service="http-test"');
    expect(Number(count?.split(' ').pop())).toBeGreaterThanOrEqual(2);
    expect(r.text).not.toContain('route="/items/42"');
    expect(r.text).not.toContain('/really/unknown');
    expect(r.text).toMatch(/route="unmatched",status="404"/);
    expect(r.text).toMatch(/route="unmatched",status="401"/);
  });

  it('the exposition passes the metric lint (HELP/TYPE, names, _total, cte_<noun>_<unit>)', async () => {
    const r = await request(port, '/metrics');
    expect(lintMetricsText(r.text)).toEqual([]);
  });

  it('promtool check metrics finds nothing beyond prom-client default-metric warnings', async () => {
    const promtool = findPromtool();
    if (!promtool) return;
    const r = await request(port, '/metrics');
    const out = spawnSync(promtool, ['check', 'metrics'], { input: r.text, encoding: 'utf8' });
    const problems = `${out.stdout}\n${out.stderr}`
      .split('\n')
      .map((l) => l.trim())
      .filter((l) => l !== '');
    const ours = problems.filter((l) => !/^(process|nodejs)_/.test(l));
    expect(ours).toEqual([]);
  });
});

describe('metric lint', () => {
  it('reports missing HELP/TYPE, bad names, counters without _total and non-conforming cte_ names', () => {
    const text = [
      '# HELP cte_orders counter without total',
      '# TYPE cte_orders counter',
      'cte_orders 1',
      '# TYPE cte_fill_latency_ms gauge',
      'cte_fill_latency_ms 3',
      'cte_orphan_seconds 1',
      '# HELP cte_positions_total gauge with total',
      '# TYPE cte_positions_total gauge',
      'cte_positions_total 2',
      '# HELP cte_ok_seconds fine',
      '# TYPE cte_ok_seconds histogram',
      'cte_ok_seconds_bucket{le="+Inf"} 1',
      'cte_ok_seconds_sum 0.1',
      'cte_ok_seconds_count 1',
    ].join('\n');
    const problems = lintMetricsText(text);
    expect(problems).toEqual(
      expect.arrayContaining([
        'cte_orders: counter name must end in _total',
        'cte_fill_latency_ms: missing HELP',
        expect.stringMatching(/^cte_fill_latency_ms: must be lower snake case cte_<noun>_<unit>/),
        'cte_orphan_seconds: missing HELP',
        'cte_orphan_seconds: missing TYPE',
        'cte_positions_total: only counters may end in _total',
      ]),
    );
    expect(problems.filter((p) => p.startsWith('cte_ok_seconds'))).toEqual([]);
    expect(lintMetricsText('# HELP cte_depth_levels x\n# TYPE cte_depth_levels gauge\ncte_depth_levels 1', { units: ['levels'] })).toEqual([]);
  });
});

describe('Readiness', () => {
  it('reports every check and flips for good on setShuttingDown', async () => {
    const r = new Readiness({ timeoutMs: 50 });
    r.addCheck('a', () => undefined).addCheck('b', () => Promise.reject(new Error('b is down')));
    expect(await r.check()).toEqual({
      ready: false,
      shuttingDown: false,
      checks: { a: { ok: true }, b: { ok: false, error: 'b is down' } },
    });
    r.removeCheck('b');
    expect((await r.check()).ready).toBe(true);
    r.setShuttingDown();
    expect(await r.check()).toMatchObject({ ready: false, shuttingDown: true });
  });
});

describe('HTTP shutdown', () => {
  it('/ready is 503 shutting_down once shutdown starts, /health stays 200', async () => {
    const f = await start();
    try {
      f.readiness.setShuttingDown();
      const r = await request(f.handle.port, '/ready');
      expect(r.status).toBe(503);
      expect(r.json()).toEqual({ status: 'shutting_down' });
      expect((await request(f.handle.port, '/health')).status).toBe(200);
    } finally {
      await f.handle.close(1_000);
    }
  });

  it('close() stops accepting, waits for an in-flight request to finish, then resolves', async () => {
    const f = await start();
    const port = f.handle.port;
    const slow = request(port, '/slow?ms=300', { headers: withKey() });
    await sleep(50);
    expect(f.handle.inFlight()).toBe(1);
    const t0 = Date.now();
    let closedAt = 0;
    const closing = f.handle.close(5_000).then(() => {
      closedAt = Date.now();
    });
    await sleep(20);
    // No new connections once closing.
    await expect(request(port, '/health')).rejects.toThrow(/ECONNREFUSED/);
    const r = await slow;
    const respondedAt = Date.now();
    expect(r.status).toBe(200);
    expect(r.json()).toEqual({ done: true });
    await closing;
    expect(closedAt).toBeGreaterThanOrEqual(respondedAt - 5);
    expect(closedAt - t0).toBeLessThan(2_000);
    expect(f.handle.inFlight()).toBe(0);
  });

  it('close(graceMs) cuts requests still running after the grace period', async () => {
    const f = await start();
    const slow = request(f.handle.port, '/slow?ms=5000', { headers: withKey() });
    const failed = slow.then(
      () => 'completed',
      (err: Error) => err.message,
    );
    await sleep(50);
    const t0 = Date.now();
    await f.handle.close(150);
    const took = Date.now() - t0;
    expect(took).toBeGreaterThanOrEqual(140);
    expect(took).toBeLessThan(1_500);
    expect(await failed).toMatch(/socket hang up|ECONNRESET/);
  });

  it('close() with idle keep-alive connections resolves promptly', async () => {
    const f = await start();
    const agent = new http.Agent({ keepAlive: true });
    const res = await new Promise<http.IncomingMessage>((resolve) =>
      http.get({ host: '127.0.0.1', port: f.handle.port, path: '/health', agent }, resolve),
    );
    res.resume();
    await once(res, 'end');
    const t0 = Date.now();
    await f.handle.close(5_000);
    expect(Date.now() - t0).toBeLessThan(500);
    agent.destroy();
  });

  it('rejects an empty API key at construction', () => {
    const registry = createMetrics('x');
    expect(() =>
      createHttpApp({ service: 'x', version: '0', apiKey: '', logger: captureLogs().logger, registry, readiness: new Readiness() }),
    ).toThrow(/API key/);
  });

  it('reports EADDRINUSE from listen', async () => {
    const f = await start();
    try {
      const registry = createMetrics('y');
      const other = createHttpApp({ service: 'y', version: '0', apiKey: KEY, logger: captureLogs().logger, registry, readiness: new Readiness() });
      await expect(other.listen(f.handle.port, '127.0.0.1')).rejects.toThrow(/EADDRINUSE/);
    } finally {
      await f.handle.close(1_000);
    }
  });
});
