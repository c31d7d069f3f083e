/**
 * Test support for fleet.e2e.test.ts: every declared service as a process on a fresh database and a
 * PRIVATE redis-server (so the test can stop and start Redis without touching the shared one).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import Redis from 'ioredis';
import type { PortfolioApi } from '../../../services/portfolio/src/adapters/portfolio-api';
import { Dec, type Logger, type ServiceName } from '@cte/shared';
import { createTestDatabase, freePort, startService, waitFor, type RunningService, type TestDatabase, peerAddressEnv } from '@cte/testkit';
import { consoleProbeEnv, throwawayConsoleCredentials, type ConsoleCredentials } from '@cte/fleet';
import { countRows, settleCount } from './shared';

const REPO = path.resolve(__dirname, '..', '..', '..');
export const HOURLY = path.join(REPO, 'services', 'price-stream', 'data', 'replay', 'coinbase_btcusd_1h.csv');
const MODEL_DIR = path.join(REPO, 'services', 'signal-generator', 'models');
const REDIS_SERVER = process.env.REDIS_SERVER_BIN ?? '/usr/bin/redis-server';

export const ALL_SERVICES: ServiceName[] = ['price-stream', 'signal-generator', 'signals-aggregator', 'recommendations', 'risk', 'execution', 'portfolio', 'console'];

/** A redis-server child process that keeps nothing on disk; stop() then start() gives an EMPTY Redis on the same port. */
export class PrivateRedis {
  private child: ChildProcess | undefined;
  private exited: Promise<void> | undefined;
  constructor(readonly port: number) {}

  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  async start(): Promise<void> {
    const child = spawn(REDIS_SERVER, ['--port', String(this.port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--daemonize', 'no'], {
      stdio: 'ignore',
    });
    this.child = child;
    this.exited = new Promise((resolve) => child.on('exit', () => resolve()));
    await waitFor('private redis up', async () => {
      if (child.exitCode !== null) throw new Error(`redis-server on port ${this.port} exited with ${child.exitCode}`);
      const r = new Redis(this.url, { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
      r.on('error', () => undefined);
      try {
        await r.connect();
        return (await r.ping()) === 'PONG';
      } catch {
        return false;
      } finally {
        r.disconnect();
      }
    }, 10_000);
  }

  async stop(): Promise<void> {
    if (this.child && this.child.exitCode === null) this.child.kill('SIGTERM');
    await this.exited;
    this.child = undefined;
  }
}

export class Fleet {
  readonly busNamespace = `test-fleet-${Math.random().toString(36).slice(2)}:`;
  readonly apiKey = `fleet-key-${Date.now()}`;
  readonly ports = new Map<ServiceName, { http: number; grpc: number }>();
  readonly running = new Map<ServiceName, RunningService>();
  /** The console's operator for this run (made up, like its session secret). */
  consoleCredentials!: ConsoleCredentials;
  tdb!: TestDatabase;
  redis!: PrivateRedis;

  async init(logger: Logger): Promise<void> {
    this.tdb = await createTestDatabase(logger);
    // A free port can be taken by someone else before redis-server binds it: try another.
    for (let attempt = 1; ; attempt++) {
      this.redis = new PrivateRedis(await freePort());
      try {
        await this.redis.start();
        break;
      } catch (err) {
        await this.redis.stop();
        if (attempt >= 3) throw err;
      }
    }
    for (const n of ALL_SERVICES) this.ports.set(n, { http: await freePort(), grpc: await freePort() });
    this.consoleCredentials = throwawayConsoleCredentials();
  }

  env(name: ServiceName, extra: Record<string, string> = {}): Record<string, string> {
    return {
      MYSQL_URL: this.tdb.url,
      REDIS_URL: this.redis.url,
      BUS_NAMESPACE: this.busNamespace,
      ...peerAddressEnv((n) => this.ports.get(n)?.grpc),
      ...(name === 'price-stream' ? { REPLAY_FILES: HOURLY, TIMEFRAMES: '1h', BAR_FLUSH_MS: '50' } : {}),
      ...(name === 'signal-generator' ? { MODEL_DIR, WARM_START_BARS: '300', SIGNAL_TIMEFRAMES: '1h' } : {}),
      ...(name === 'signals-aggregator' ? { PRICE_TIMEFRAME: '1h' } : {}),
      ...(name === 'recommendations' ? { ALLOW_SHORT: 'true', REC_TIMEFRAME: '1h' } : {}),
      ...(name === 'console' ? { ...this.consoleCredentials.env, ...consoleProbeEnv((n) => this.ports.get(n)?.http) } : {}),
      ...extra,
    };
  }

  async start(name: ServiceName, extra: Record<string, string> = {}): Promise<RunningService> {
    const p = this.ports.get(name)!;
    const svc = await startService(name, { apiKey: this.apiKey, httpPort: p.http, grpcPort: p.grpc, env: this.env(name, extra), readyTimeoutMs: 60_000 });
    this.running.set(name, svc);
    return svc;
  }

  url(name: ServiceName, p: string): string {
    return `http://127.0.0.1:${this.ports.get(name)!.http}${p}`;
  }

  api(name: ServiceName, p: string, init: RequestInit = {}): Promise<Response> {
    return fetch(this.url(name, p), {
      ...init,
      signal: AbortSignal.timeout(10_000),
      headers: { 'X-TRADING-API-KEY': this.apiKey, 'content-type': 'application/json', ...(init.headers ?? {}) },
    });
  }

  /** A market order straight to execution; resolves with the HTTP status and body (status 0 when unreachable). */
  async order(clientOrderId: string, side: 'buy' | 'sell' = 'buy', qty = '0.001'): Promise<{ status: number; body: unknown }> {
    try {
      const r = await this.api('execution', '/orders', {
        method: 'POST',
        body: JSON.stringify({ client_order_id: clientOrderId, symbol: 'BTC/USD', side, type: 'market', qty }),
      });
      return { status: r.status, body: await r.json().catch(() => undefined) };
    } catch {
      return { status: 0, body: undefined };
    }
  }

  count(sql: string): Promise<number> {
    return countRows(this.tdb.db, sql);
  }

  /** Polls until `sql`'s count stops changing for `quietMs`. */
  settle(sql: string, quietMs = 2000, timeoutMs = 60_000): Promise<number> {
    return settleCount(this.tdb.db, sql, quietMs, timeoutMs);
  }

  /** Waits until portfolio has applied exactly the fills in `trades`, then returns the differences (both empty when consistent). */
  async fillsConsistency(timeoutMs = 30_000): Promise<{ missing: string[]; extra: string[]; duplicated: string[] }> {
    const diff = async () => {
      const missing = await this.tdb.db.query<{ id: string }>(
        'SELECT CAST(t.id AS CHAR) AS id FROM trades t LEFT JOIN applied_fills a ON a.fill_id = t.id WHERE a.fill_id IS NULL',
      );
      const extra = await this.tdb.db.query<{ id: string }>(
        'SELECT CAST(a.fill_id AS CHAR) AS id FROM applied_fills a LEFT JOIN trades t ON t.id = a.fill_id WHERE t.id IS NULL',
      );
      const duplicated = await this.tdb.db.query<{ id: string }>(
        'SELECT CAST(fill_id AS CHAR) AS id FROM applied_fills GROUP BY fill_id HAVING COUNT(*) > 1',
      );
      return { missing: missing.map((r) => r.id), extra: extra.map((r) => r.id), duplicated: duplicated.map((r) => r.id) };
    };
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const d = await diff();
      if ((d.missing.length === 0 && d.extra.length === 0 && d.duplicated.length === 0) || Date.now() > deadline) return d;
      await new Promise((r) => setTimeout(r, 250));
    }
  }

  /** Portfolio's positions and USD balance against an independent SQL recomputation from `trades`. */
  async booksVsTrades(): Promise<{ positions: Array<{ symbol: string; book: string; trades: string }>; cash: { book: string; trades: string } }> {
    const bySymbol = await this.tdb.db.query<{ symbol: string; qty: string }>(
      "SELECT symbol, SUM(CASE WHEN side = 'buy' THEN qty ELSE -qty END) AS qty FROM trades GROUP BY symbol",
    );
    const [cashRow] = await this.tdb.db.query<{ cash: string | null }>(
      "SELECT 100000 + COALESCE(SUM(CASE WHEN side = 'sell' THEN qty * price ELSE -(qty * price) END), 0) - COALESCE(SUM(fee), 0) AS cash FROM trades",
    );
    const list = ((await (await this.api('portfolio', '/positions')).json()) as ReturnType<PortfolioApi['positions']>).positions;
    const balances = (await (await this.api('portfolio', '/balances')).json()) as ReturnType<PortfolioApi['balances']>;
    const usd = balances.balances.find((b) => b.asset === 'USD');
    return {
      positions: bySymbol.map((row) => ({
        symbol: row.symbol,
        book: new Dec(list.find((p) => p.symbol === row.symbol)?.qty ?? '0').toFixed(),
        trades: new Dec(row.qty).toFixed(),
      })),
      cash: { book: new Dec(usd?.total ?? '0').toFixed(), trades: new Dec(cashRow!.cash ?? '100000').toFixed() },
    };
  }

  /** Every `stream group` pair in the private Redis under this fleet's namespace. */
  async consumerGroups(): Promise<string[]> {
    const r = new Redis(this.redis.url, { maxRetriesPerRequest: 1 });
    try {
      const out: string[] = [];
      let cursor = '0';
      do {
        const [next, keys] = await r.scan(cursor, 'MATCH', `${this.busNamespace}*`, 'COUNT', 1000, 'TYPE', 'stream');
        cursor = next;
        for (const key of keys) {
          const groups = (await r.call('XINFO', 'GROUPS', key)) as unknown[][];
          for (const g of groups) out.push(`${key} ${String(g[g.indexOf('name') + 1])}`);
        }
      } while (cursor !== '0');
      return out.sort();
    } finally {
      r.disconnect();
    }
  }

  async shutdown(): Promise<void> {
    await Promise.all([...this.running.values()].map((s) => s.stop()));
    await this.redis?.stop();
    await this.tdb?.drop();
  }
}
