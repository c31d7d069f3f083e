/**
 * API key rotation without downtime: a service accepts a set of keys (TRADING_API_KEY plus
 * TRADING_API_KEYS_ACCEPTED), over HTTP and gRPC alike, so a key can be rolled through the fleet
 * one service at a time while old and new processes keep calling each other.
 */
import crypto from 'node:crypto';
import http from 'node:http';
import path from 'node:path';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import { API_KEY_HEADER, apiKeyMatcher } from '../api-key';
import { ConfigError, EnvReader, readBaseConfig } from '../config';
import { createGrpcServer, unary } from '../grpc';
import { createHttpApp } from '../http';
import { createLogger } from '../logger';
import { createMetrics } from '../metrics';
import { Readiness } from '../readiness';

const OLD = 'old-key-0123456789abcdef';
const NEW = 'new-key-fedcba9876543210';
const logger = createLogger({ service: 'key-test', level: 'silent' });

function config(env: Record<string, string>) {
  const reader = new EnvReader(env);
  const cfg = readBaseConfig(reader, 'risk');
  reader.done();
  return cfg;
}

describe('apiKeyMatcher with a set of keys', () => {
  it('accepts every key of the set and nothing else', () => {
    const matches = apiKeyMatcher([OLD, NEW]);
    expect([matches(OLD), matches(NEW)]).toEqual([true, true]);
    for (const bad of ['', 'old-key', `${OLD} `, OLD.toUpperCase(), undefined, null, 42, [OLD], { toString: () => OLD }]) {
      expect({ bad, ok: matches(bad) }).toEqual({ bad, ok: false });
    }
    expect(apiKeyMatcher(OLD)(OLD)).toBe(true);
    expect(apiKeyMatcher(OLD)(NEW)).toBe(false);
  });

  it('refuses an empty set or an empty key', () => {
    expect(() => apiKeyMatcher([])).toThrow(/API key is required/);
    expect(() => apiKeyMatcher([OLD, ''])).toThrow(/API key is required/);
    expect(() => apiKeyMatcher('')).toThrow(/API key is required/);
  });

  it('compares a candidate with every key of the set, whichever one matches (time does not tell which)', () => {
    const matches = apiKeyMatcher([OLD, NEW, 'third-key-000000000000']);
    const spy = jest.spyOn(crypto, 'timingSafeEqual');
    try {
      for (const candidate of [OLD, NEW, 'nobody-0000000000000000']) {
        spy.mockClear();
        matches(candidate);
        expect({ candidate, comparisons: spy.mock.calls.length }).toEqual({ candidate, comparisons: 3 });
      }
    } finally {
      spy.mockRestore();
    }
  });
});

describe('TRADING_API_KEYS_ACCEPTED', () => {
  it('adds keys to accept, after TRADING_API_KEY (the one sent), without duplicates', () => {
    expect(config({ TRADING_API_KEY: OLD }).apiKeys).toEqual([OLD]);
    const cfg = config({ TRADING_API_KEY: OLD, TRADING_API_KEYS_ACCEPTED: ` ${NEW} ,, ${OLD},${NEW}` });
    expect(cfg.apiKey).toBe(OLD);
    expect(cfg.apiKeys).toEqual([OLD, NEW]);
  });

  it('rejects a short key by its position, never quoting it', () => {
    let err: unknown;
    try {
      config({ TRADING_API_KEY: OLD, TRADING_API_KEYS_ACCEPTED: `${NEW},short-secret` });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as ConfigError).problems).toEqual(['TRADING_API_KEYS_ACCEPTED: key 2 must be at least 16 characters']);
    expect((err as Error).message).not.toContain('short-secret');
  });

  it('are redacted from logs', () => {
    const lines: string[] = [];
    const log = createLogger({ service: 'x', destination: { write: (s: string) => void lines.push(s) } });
    log.info({ apiKeys: [OLD, NEW], config: { TRADING_API_KEYS_ACCEPTED: NEW } }, 'cfg');
    expect(lines.join('')).not.toMatch(new RegExp(`${OLD}|${NEW}`));
  });
});

// ---------------------------------------------------------------- a rotation across two services

const OPTS: protoLoader.Options = { keepCase: true, longs: String, enums: String, defaults: true, oneofs: true };
const echoPkg = grpc.loadPackageDefinition(protoLoader.loadSync(path.join(__dirname, 'fixtures', 'echo.proto'), OPTS));
interface EchoClient extends grpc.Client {
  Echo(req: { message: string }, md: grpc.Metadata, o: grpc.CallOptions, cb: grpc.requestCallback<{ message: string }>): grpc.ClientUnaryCall;
}
const Echo = (((echoPkg.cte as grpc.GrpcObject).test as grpc.GrpcObject).v1 as grpc.GrpcObject).Echo as unknown as {
  new (address: string, creds: grpc.ChannelCredentials): EchoClient;
  service: grpc.ServiceDefinition;
};

/** A service as main.ts wires one: HTTP and gRPC both guarded by cfg.apiKeys. */
async function startService(env: Record<string, string>) {
  const cfg = config(env);
  const registry = createMetrics('key-test');
  const app = createHttpApp({ service: 'key-test', version: '0', apiKey: cfg.apiKeys, logger, registry, readiness: new Readiness() });
  app.router.get('/whoami', (_req, res) => void res.json({ ok: true }));
  const kit = createGrpcServer({ service: 'key-test', apiKey: cfg.apiKeys, logger, registry });
  kit.addService(Echo.service, { Echo: unary((req: { message?: string }) => ({ message: req.message ?? '', seq: 0, trace_id: '', deadline_left_ms: 0 })) });
  const handle = await app.listen(0, '127.0.0.1');
  const address = `127.0.0.1:${await kit.listen(0, '127.0.0.1')}`;
  return {
    cfg,
    port: handle.port,
    address,
    stop: () => Promise.all([handle.close(1000), kit.shutdown(1000)]),
  };
}
type Svc = Awaited<ReturnType<typeof startService>>;

function httpStatus(svc: Svc, key: string): Promise<number> {
  return new Promise((resolve, reject) => {
    http
      .get({ host: '127.0.0.1', port: svc.port, path: '/whoami', agent: false, headers: { 'x-trading-api-key': key } }, (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      })
      .on('error', reject);
  });
}

/** `from` calls `to` over gRPC with the one key it sends (cfg.apiKey), as peers' clients do: the reply or the status name. */
function grpcOutcome(from: Svc, to: Svc): Promise<string> {
  const client = new Echo(to.address, grpc.credentials.createInsecure());
  const md = new grpc.Metadata();
  md.set(API_KEY_HEADER, from.cfg.apiKey);
  return new Promise((resolve) => {
    client.Echo({ message: 'hi' }, md, { deadline: Date.now() + 2_000 }, (err, reply) => {
      client.close();
      resolve(err ? grpc.status[err.code] : (reply?.message ?? ''));
    });
  });
}

describe('a rolling rotation', () => {
  const running: Svc[] = [];
  afterAll(async () => {
    await Promise.all(running.map((s) => s.stop()));
  });
  const start = async (env: Record<string, string>) => {
    const s = await startService(env);
    running.push(s);
    return s;
  };

  it('keeps every pair of old and new processes talking, over HTTP and gRPC, at every step', async () => {
    // Before: everyone on OLD.
    const before = await start({ TRADING_API_KEY: OLD });
    // Step 1 (rolled out to some services): also accept NEW.
    const step1 = await start({ TRADING_API_KEY: OLD, TRADING_API_KEYS_ACCEPTED: NEW });
    // Step 2: send NEW, still accept OLD.
    const step2 = await start({ TRADING_API_KEY: NEW, TRADING_API_KEYS_ACCEPTED: OLD });
    // Step 3: NEW only.
    const step3 = await start({ TRADING_API_KEY: NEW });

    // Neighbouring steps coexist during each rolling update.
    for (const [a, b] of [[before, step1], [step1, step2], [step2, step3]] as const) {
      expect(await grpcOutcome(a, b)).toBe('hi');
      expect(await grpcOutcome(b, a)).toBe('hi');
    }
    // Steps two apart never run together, and indeed could not talk.
    expect(await grpcOutcome(before, step2)).toBe('hi');
    expect(await grpcOutcome(step2, before)).toBe('UNAUTHENTICATED');
    expect(await grpcOutcome(before, step3)).toBe('UNAUTHENTICATED');

    // HTTP clients switch from OLD to NEW any time during step 2.
    expect([await httpStatus(step1, OLD), await httpStatus(step1, NEW)]).toEqual([200, 200]);
    expect([await httpStatus(step2, OLD), await httpStatus(step2, NEW)]).toEqual([200, 200]);
    expect([await httpStatus(step3, OLD), await httpStatus(step3, NEW)]).toEqual([401, 200]);
    expect([await httpStatus(before, OLD), await httpStatus(before, NEW)]).toEqual([200, 401]);
  });
});
