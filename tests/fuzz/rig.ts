/**
 * The fleet the fuzz suite attacks: the seven services as real processes (their real HTTP and gRPC
 * servers) on one throw-away MariaDB database, as deployed, and the shared Redis under a private
 * bus namespace. Nothing is seeded that would make the fleet busy: no agents run, the price replay
 * is a few bars long, so between two requests no table changes unless a request changed it (the
 * suite sends one request at a time, so a change is the last request's doing).
 */
import path from 'node:path';
import * as grpc from '@grpc/grpc-js';
import type { ServiceName } from '@cte/shared';
import { createTestDatabase, freePort, peerAddressEnv, startService, type RunningService, type TestDatabase } from '@cte/testkit';

const REPO = path.resolve(__dirname, '..', '..');
const HOURLY = path.join(REPO, 'services', 'price-stream', 'data', 'replay', 'coinbase_btcusd_1h.csv');
const MODEL_DIR = path.join(REPO, 'services', 'signal-generator', 'models');

/**
 * The services fuzzed: every declared one but the console. The console's API sits behind an
 * operator session, a CSRF token and a same-origin check (not the fleet's API key this rig signs
 * with), and its gRPC port serves only the health service; its input validation is tested in
 * services/console/src/__tests__ (console-api.test.ts).
 */
export type FuzzedService = Exclude<ServiceName, 'console'>;
export const ALL_SERVICES: readonly FuzzedService[] = ['price-stream', 'signal-generator', 'signals-aggregator', 'recommendations', 'risk', 'execution', 'portfolio'];

export interface FuzzTarget {
  name: ServiceName;
  svc: RunningService;
}

export class FuzzFleet {
  readonly apiKey = `fuzz-key-${Date.now()}-${Math.random().toString(36).slice(2)}`;
  readonly busNamespace = `fuzz-${Math.random().toString(36).slice(2)}:`;
  readonly targets = new Map<ServiceName, FuzzTarget>();
  private readonly ports = new Map<ServiceName, { http: number; grpc: number }>();
  private tdb: TestDatabase | undefined;
  /** Base tables of the database (schema_migrations aside). */
  private tables: string[] = [];

  private env(name: ServiceName, tdb: TestDatabase): Record<string, string> {
    return {
      MYSQL_URL: tdb.url,
      BUS_NAMESPACE: this.busNamespace,
      LOG_LEVEL: 'warn',
      ...peerAddressEnv((n) => this.ports.get(n)?.grpc),
      // A short replay as fast as possible: BTC/USD gets a price, then the feed is quiet.
      ...(name === 'price-stream' ? { REPLAY_FILES: HOURLY, TIMEFRAMES: '1h', REPLAY_START: '2019-06-01T00:00:00Z', REPLAY_END: '2019-06-01T05:59:59Z', REPLAY_SPEED: '0' } : {}),
      ...(name === 'signal-generator' ? { MODEL_DIR, SEED_AGENTS: 'false', SIGNAL_TIMEFRAMES: '1h' } : {}),
      ...(name === 'signals-aggregator' ? { PRICE_TIMEFRAME: '1h' } : {}),
      ...(name === 'recommendations' ? { REC_TIMEFRAME: '1h' } : {}),
      // Snapshots are written on a timer: far beyond the run, so only requests could write one.
      ...(name === 'portfolio' ? { SNAPSHOT_INTERVAL_MS: '86400000' } : {}),
    };
  }

  async start(): Promise<void> {
    for (const n of ALL_SERVICES) this.ports.set(n, { http: await freePort(), grpc: await freePort() });
    const tdb = await createTestDatabase();
    this.tdb = tdb;
    const rows = await tdb.db.query<{ t: string }>(
      "SELECT TABLE_NAME AS t FROM information_schema.TABLES WHERE TABLE_SCHEMA = DATABASE() AND TABLE_TYPE = 'BASE TABLE' AND TABLE_NAME <> 'schema_migrations' ORDER BY TABLE_NAME",
    );
    this.tables = rows.map((r) => r.t);
    const started = await Promise.allSettled(
      ALL_SERVICES.map(async (name) => {
        const p = this.ports.get(name)!;
        const svc = await startService(name, { apiKey: this.apiKey, httpPort: p.http, grpcPort: p.grpc, env: this.env(name, tdb), readyTimeoutMs: 60_000 });
        this.targets.set(name, { name, svc });
      }),
    );
    const failed = started.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failed.length > 0) throw new Error(failed.map((f) => String((f.reason as Error).message ?? f.reason)).join('\n'));
  }

  target(name: ServiceName): FuzzTarget {
    const t = this.targets.get(name);
    if (!t) throw new Error(`${name} is not running`);
    return t;
  }

  /**
   * A fingerprint of every row the fleet stores: CHECKSUM TABLE (content, so an UPDATE shows as
   * well as an INSERT) and the row count of each table.
   */
  async fingerprint(): Promise<Record<string, string>> {
    const db = this.tdb!.db;
    const quoted = this.tables.map((x) => `\`${x}\``);
    const sums = await db.query<{ Table: string; Checksum: string | number | null }>(`CHECKSUM TABLE ${quoted.join(', ')}`);
    const counts = await db.query<Record<string, number | string>>(`SELECT ${quoted.map((q, i) => `(SELECT COUNT(*) FROM ${q}) AS c${i}`).join(', ')}`);
    const out: Record<string, string> = {};
    for (const row of sums) out[row.Table.split('.').pop()!] = `sum=${String(row.Checksum)}`;
    this.tables.forEach((x, i) => (out[x] = `${out[x] ?? ''} rows=${String(counts[0]![`c${i}`])}`));
    return out;
  }

  http(name: ServiceName): string {
    return this.target(name).svc.httpUrl;
  }

  grpcAddress(name: ServiceName): string {
    return this.target(name).svc.grpcAddress;
  }

  /** GET /ready of every service; the statuses by name. */
  async readiness(): Promise<Record<string, number>> {
    const out: Record<string, number> = {};
    for (const [name, t] of this.targets) {
      try {
        out[name] = (await fetch(`${t.svc.httpUrl}/ready`, { signal: AbortSignal.timeout(5_000) })).status;
      } catch {
        out[name] = 0;
      }
    }
    return out;
  }

  /** Lines of every service's output that look like crashes or unhandled errors. */
  crashLines(): string[] {
    const out: string[] = [];
    for (const [name, t] of this.targets) {
      for (const line of t.svc.logs().split('\n')) {
        if (/unhandled|uncaught|RangeError|Maximum call stack|FATAL|heap out of memory/i.test(line)) out.push(`${name}: ${line.slice(0, 300)}`);
      }
    }
    return out;
  }

  async stop(): Promise<void> {
    await Promise.all([...this.targets.values()].map((t) => t.svc.stop()));
    await this.tdb?.drop();
  }
}

/** A raw gRPC client (bytes in, bytes out) for one service, with the fleet's key on every call. */
export class RawGrpc {
  readonly client: grpc.Client;
  constructor(
    address: string,
    private readonly apiKey: string,
  ) {
    this.client = new grpc.Client(address, grpc.credentials.createInsecure(), { 'grpc.max_receive_message_length': 16 * 1024 * 1024 });
  }

  private metadata(): grpc.Metadata {
    const md = new grpc.Metadata();
    md.set('x-trading-api-key', this.apiKey);
    return md;
  }

  /** A unary call; resolves with the status (never rejects). */
  unary(methodPath: string, request: Buffer, deadlineMs: number): Promise<{ code: grpc.status; details: string; ms: number }> {
    const started = Date.now();
    return new Promise((resolve) => {
      this.client.makeUnaryRequest(
        methodPath,
        (b: Buffer) => b,
        (b: Buffer) => b,
        request,
        this.metadata(),
        { deadline: Date.now() + deadlineMs },
        (err: grpc.ServiceError | null) => {
          resolve({ code: err ? err.code : grpc.status.OK, details: err ? err.details : '', ms: Date.now() - started });
        },
      );
    });
  }

  /**
   * A server-streaming call: resolves with its status once it ends, or with `streaming: true`
   * when it was still open (or had sent messages) after `openMs` (then it is cancelled).
   */
  stream(methodPath: string, request: Buffer, openMs: number, deadlineMs: number): Promise<{ code: grpc.status; details: string; ms: number; streaming: boolean; messages: number }> {
    const started = Date.now();
    return new Promise((resolve) => {
      let messages = 0;
      let done = false;
      const call = this.client.makeServerStreamRequest(methodPath, (b: Buffer) => b, (b: Buffer) => b, request, this.metadata(), { deadline: Date.now() + deadlineMs });
      const timer = setTimeout(() => {
        if (done) return;
        done = true;
        call.cancel();
        resolve({ code: grpc.status.OK, details: '', ms: Date.now() - started, streaming: true, messages });
      }, openMs);
      call.on('data', () => messages++);
      call.on('error', () => undefined);
      call.on('status', (st: grpc.StatusObject) => {
        if (done) return;
        done = true;
        clearTimeout(timer);
        resolve({ code: st.code, details: st.details, ms: Date.now() - started, streaming: messages > 0, messages });
      });
    });
  }

  close(): void {
    this.client.close();
  }
}
