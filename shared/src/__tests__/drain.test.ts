/**
 * Shutdown drain period (issue 10, defect 6): once readiness turns false, HTTP and gRPC keep
 * serving for the drain delay — new connections included — so requests routed by a load
 * balancer that has not yet seen the endpoint removal still succeed; then the listeners close.
 */
import http from 'node:http';
import path from 'node:path';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import { createTestDatabase, startService as startServiceProcess, type RunningService, type TestDatabase } from '@cte/testkit';
import { protoPath as healthProtoPath } from 'grpc-health-check';
import { createGrpcServer, unary } from '../grpc';
import { createHttpApp } from '../http';
import { Lifecycle } from '../lifecycle';
import { createLogger } from '../logger';
import { createMetrics } from '../metrics';
import { Readiness } from '../readiness';

const KEY = 'drain-test-key-0123456789';
const DRAIN_MS = 1_500;
const logger = createLogger({ service: 'drain-test', level: 'silent' });

const OPTS: protoLoader.Options = { keepCase: true, longs: String, enums: String, defaults: true, oneofs: true };
const echoPkg = grpc.loadPackageDefinition(protoLoader.loadSync(path.join(__dirname, 'fixtures', 'echo.proto'), OPTS));
const Echo = (((echoPkg.cte as grpc.GrpcObject).test as grpc.GrpcObject).v1 as grpc.GrpcObject).Echo as grpc.ServiceClientConstructor;
const healthPkg = grpc.loadPackageDefinition(protoLoader.loadSync(healthProtoPath, OPTS));
const Health = (((healthPkg.grpc as grpc.GrpcObject).health as grpc.GrpcObject).v1 as grpc.GrpcObject).Health as grpc.ServiceClientConstructor;

/** One request on a connection of its own (no keep-alive agent), so "a new connection" is what is tested. */
function get(port: number, p: string, key = KEY): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = http.get({ host: '127.0.0.1', port, path: p, agent: false, headers: { 'x-trading-api-key': key } }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
  });
}

/** A unary call on a fresh channel; resolves with the reply or the error code. */
function grpcCall(address: string, ctor: grpc.ServiceClientConstructor, method: string, req: object, key = KEY): Promise<{ code: number; value?: unknown }> {
  const client = new ctor(address, grpc.credentials.createInsecure());
  const md = new grpc.Metadata();
  md.set('x-trading-api-key', key);
  return new Promise((resolve) => {
    const fn = (client as unknown as Record<string, (...a: unknown[]) => void>)[method]!;
    fn.call(client, req, md, { deadline: Date.now() + 1_000 }, (err: grpc.ServiceError | null, value?: unknown) => {
      client.close();
      resolve(err ? { code: err.code } : { code: grpc.status.OK, value });
    });
  });
}

async function startService(drainDelayMs: number) {
  const registry = createMetrics('drain-test');
  const readiness = new Readiness();
  const lifecycle = new Lifecycle({ logger, graceMs: 2_000, drainDelayMs, readiness });
  const app = createHttpApp({ service: 'drain-test', version: '0', apiKey: [KEY], logger, registry, readiness });
  app.router.get('/work', (_req, res) => {
    res.json({ ok: true });
  });
  const kit = createGrpcServer({ service: 'drain-test', apiKey: [KEY], logger, registry, readiness });
  kit.addService(Echo.service, { Echo: unary((req: { message?: string }) => ({ message: req.message ?? '', seq: 0, trace_id: '', deadline_left_ms: 0 })) });
  const handle = await app.listen(0, '127.0.0.1');
  const grpcAddress = `127.0.0.1:${await kit.listen(0, '127.0.0.1')}`;
  lifecycle.onShutdown('drain', 'http', (grace) => handle.close(grace));
  lifecycle.onShutdown('drain', 'grpc', (grace) => kit.shutdown(grace));
  return { lifecycle, port: handle.port, grpcAddress };
}

describe('shutdown drain period', () => {
  it('keeps serving HTTP and gRPC on new connections while /ready answers 503, then closes the listeners', async () => {
    const svc = await startService(DRAIN_MS);
    expect((await get(svc.port, '/ready')).status).toBe(200);

    const t0 = Date.now();
    const done = svc.lifecycle.shutdown('test');
    let finishedAt = 0;
    void done.then(() => (finishedAt = Date.now()));
    await new Promise((r) => setTimeout(r, 200));

    // Inside the drain period: not ready, yet every kind of request on a new connection succeeds.
    expect(await get(svc.port, '/ready')).toEqual({ status: 503, body: JSON.stringify({ status: 'shutting_down' }) });
    expect(await get(svc.port, '/work')).toEqual({ status: 200, body: JSON.stringify({ ok: true }) });
    const echoed = await grpcCall(svc.grpcAddress, Echo, 'Echo', { message: 'still here' });
    expect(echoed.code).toBe(grpc.status.OK);
    expect((echoed.value as { message: string }).message).toBe('still here');
    expect(await grpcCall(svc.grpcAddress, Health, 'Check', { service: '' })).toEqual({ code: grpc.status.OK, value: { status: 'NOT_SERVING' } });
    expect(finishedAt).toBe(0);

    expect(await done).toBe(0);
    expect(finishedAt - t0).toBeGreaterThanOrEqual(DRAIN_MS - 20);
    // After it: the listeners are closed.
    await expect(get(svc.port, '/work')).rejects.toMatchObject({ code: 'ECONNREFUSED' });
    expect((await grpcCall(svc.grpcAddress, Echo, 'Echo', { message: 'late' })).code).toBe(grpc.status.UNAVAILABLE);
  });

  it('without a drain delay the listeners close at once', async () => {
    const svc = await startService(0);
    const t0 = Date.now();
    expect(await svc.lifecycle.shutdown('test')).toBe(0);
    expect(Date.now() - t0).toBeLessThan(DRAIN_MS / 2);
    await expect(get(svc.port, '/work')).rejects.toMatchObject({ code: 'ECONNREFUSED' });
  });
});

describe('shutdown drain period of a service process (portfolio, as main.ts wires it)', () => {
  let tdb: TestDatabase | undefined;
  let running: RunningService | undefined;
  afterAll(async () => {
    if (running && running.child.exitCode === null) running.child.kill('SIGKILL');
    await tdb?.drop();
  });

  it('SIGTERM: /ready 503 at once, REST and gRPC still served for SHUTDOWN_DRAIN_DELAY_MS, then exit 0', async () => {
    tdb = await createTestDatabase();
    const key = 'drain-e2e-key-0123456789';
    const svc = await startServiceProcess('portfolio', {
      apiKey: key,
      env: { MYSQL_URL: tdb.url, BUS_NAMESPACE: `drain-${Date.now()}:`, SHUTDOWN_DRAIN_DELAY_MS: String(DRAIN_MS), RECOMMENDATIONS_GRPC_ADDR: '127.0.0.1:1' },
      readyLog: 'portfolio ready',
    });
    running = svc;
    const port = Number(new URL(svc.httpUrl).port);
    const t0 = Date.now();
    svc.child.kill('SIGTERM');
    let exitedAt = 0;
    void svc.exited.then(() => (exitedAt = Date.now()));
    await new Promise((r) => setTimeout(r, 300));

    expect((await get(port, '/ready', key)).status).toBe(503);
    expect((await get(port, '/portfolio', key)).status).toBe(200);
    expect(await grpcCall(svc.grpcAddress, Health, 'Check', { service: '' }, key)).toEqual({ code: grpc.status.OK, value: { status: 'NOT_SERVING' } });
    expect(exitedAt).toBe(0);

    expect(await svc.exited).toBe(0);
    expect(exitedAt - t0).toBeGreaterThanOrEqual(DRAIN_MS);
    await expect(get(port, '/portfolio', key)).rejects.toMatchObject({ code: 'ECONNREFUSED' });
  }, 30_000);
});
