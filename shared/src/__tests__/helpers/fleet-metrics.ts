/**
 * Test support for the monitoring config: runs the whole fleet as real processes (built
 * `dist/main.js`, run `make build` first) against a throw-away database and a random bus
 * namespace, drives a short replay through price-stream so labelled series appear, and
 * collects every service's live /metrics exposition.
 */
import path from 'node:path';
import Redis from 'ioredis';
import { createLogger, SERVICES, type ServiceName } from '@cte/shared';
import { createTestDatabase, freePort, peerAddressEnv, startService, waitFor, type RunningService, type TestDatabase } from '@cte/testkit';
import { consoleProbeEnv, throwawayConsoleCredentials } from '@cte/fleet';

const REPO = path.resolve(__dirname, '..', '..', '..', '..');
const HOURLY = path.join(REPO, 'services', 'price-stream', 'data', 'replay', 'coinbase_btcusd_1h.csv');
const MODEL_DIR = path.join(REPO, 'services', 'signal-generator', 'models');

/** Start order: everything a service calls at start is already up (see SERVICES[..].dependsOn). */
const START_ORDER: ServiceName[] = ['portfolio', 'risk', 'execution', 'signals-aggregator', 'signal-generator', 'recommendations', 'price-stream', 'console'];

export interface FleetMetrics {
  /** /metrics text of each service. */
  texts: Map<ServiceName, string>;
  stop(): Promise<void>;
}

export async function collectFleetMetrics(): Promise<FleetMetrics> {
  const logger = createLogger({ service: 'test', level: 'silent' });
  const tdb: TestDatabase = await createTestDatabase(logger);
  const busNamespace = `test-monitoring-${Math.random().toString(36).slice(2)}:`;
  const apiKey = `monitoring-key-${Date.now()}`;
  const ports = new Map<ServiceName, { http: number; grpc: number }>();
  for (const n of Object.keys(SERVICES) as ServiceName[]) ports.set(n, { http: await freePort(), grpc: await freePort() });
  const running: RunningService[] = [];
  const stop = async () => {
    await Promise.all(running.map((s) => s.stop()));
    const redis = new Redis(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379');
    const keys = await redis.keys(`${busNamespace}*`);
    if (keys.length) await redis.del(...keys);
    redis.disconnect();
    await tdb.drop();
  };
  try {
    for (const name of START_ORDER) {
      const p = ports.get(name)!;
      const env: Record<string, string> = {
        MYSQL_URL: tdb.url,
        BUS_NAMESPACE: busNamespace,
        ...peerAddressEnv((n) => ports.get(n)?.grpc),
        ...(name === 'price-stream'
          ? { REPLAY_FILES: HOURLY, TIMEFRAMES: '1h', BAR_FLUSH_MS: '50', REPLAY_START: '2019-06-01T00:00:00Z', REPLAY_END: '2019-06-03T00:00:00Z', REPLAY_SPEED: '0' }
          : {}),
        ...(name === 'signal-generator' ? { MODEL_DIR, SIGNAL_TIMEFRAMES: '1h' } : {}),
        ...(name === 'signals-aggregator' ? { PRICE_TIMEFRAME: '1h' } : {}),
        ...(name === 'recommendations' ? { REC_TIMEFRAME: '1h' } : {}),
        ...(name === 'console' ? { ...throwawayConsoleCredentials().env, ...consoleProbeEnv((n) => ports.get(n)?.http) } : {}),
      };
      running.push(await startService(name, { apiKey, httpPort: p.http, grpcPort: p.grpc, env, readyTimeoutMs: 60_000 }));
    }
    const priceStream = running.find((s) => s.name === 'price-stream')!;
    await waitFor('replay finished', () => priceStream.logs().includes('"replay finished"') || undefined, 60_000);
    // One HTTP request and one gRPC-served peer call are enough for the request histograms to have series.
    const texts = new Map<ServiceName, string>();
    for (const s of running) {
      await fetch(`${s.httpUrl}/health`).catch(() => undefined);
      texts.set(s.name, await (await fetch(`${s.httpUrl}/metrics`)).text());
    }
    return { texts, stop };
  } catch (err) {
    await stop();
    throw err;
  }
}
