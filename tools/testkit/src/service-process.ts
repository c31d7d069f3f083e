/**
 * Test support: runs a compiled service of the fleet as a real process (as deployed: its declared
 * Node flags, its env) on free ports, and waits for /ready. Used by the services' integration tests.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { envPrefix, SERVICES, type ServiceName } from '@cte/shared';

const REPO_ROOT = path.resolve(__dirname, '..', '..', '..');

export function serviceMainPath(name: ServiceName): string {
  return path.join(REPO_ROOT, 'services', name, 'dist', 'main.js');
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const port = (srv.address() as net.AddressInfo).port;
      srv.close(() => resolve(port));
    });
  });
}

export interface RunningService {
  name: ServiceName;
  child: ChildProcess;
  httpUrl: string;
  grpcAddress: string;
  apiKey: string;
  logs(): string;
  /** Resolves with the exit code. */
  exited: Promise<number | null>;
  /** SIGTERM and wait; resolves with the exit code. */
  stop(): Promise<number | null>;
}

export interface StartServiceOptions {
  env?: Record<string, string>;
  apiKey?: string;
  /** Reuse ports (e.g. for a restart). */
  httpPort?: number;
  grpcPort?: number;
  readyTimeoutMs?: number;
  /** Also wait for this text in the service's output (e.g. its 'ready' log, written once every consumer runs). */
  readyLog?: string;
}

/** Starts `services/<name>/dist/main.js` (run `make build` first) and waits until /ready answers 200. */
export async function startService(name: ServiceName, o: StartServiceOptions = {}): Promise<RunningService> {
  const main = serviceMainPath(name);
  if (!fs.existsSync(main)) throw new Error(`${main} missing: run \`make build\` (make test does) before these tests`);
  const httpPort = o.httpPort ?? (await freePort());
  const grpcPort = o.grpcPort ?? (await freePort());
  const apiKey = o.apiKey ?? `test-key-${Math.random().toString(36).slice(2)}-${Date.now()}`;
  const prefix = envPrefix(name);
  let out = '';
  const flags = SERVICES[name].nodeOptions.split(' ').filter(Boolean);
  const child = spawn(process.execPath, [...flags, main], {
    env: { ...process.env, [`${prefix}_PORT`]: String(httpPort), [`${prefix}_GRPC_PORT`]: String(grpcPort), TRADING_API_KEY: apiKey, LOG_LEVEL: 'info', SHUTDOWN_DRAIN_DELAY_MS: '0', ...o.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr.on('data', (d: Buffer) => (out += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  const httpUrl = `http://127.0.0.1:${httpPort}`;
  const deadline = Date.now() + (o.readyTimeoutMs ?? 30_000);
  for (;;) {
    if (child.exitCode !== null) throw new Error(`${name} exited with ${child.exitCode}:\n${out}`);
    try {
      if ((await fetch(`${httpUrl}/ready`)).status === 200 && (o.readyLog === undefined || out.includes(o.readyLog))) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`${name} not ready in time:\n${out}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    name,
    child,
    httpUrl,
    grpcAddress: `127.0.0.1:${grpcPort}`,
    apiKey,
    logs: () => out,
    exited,
    stop: async () => {
      if (child.exitCode === null) child.kill('SIGTERM');
      return exited;
    },
  };
}

/** Polls `fn` until it returns something other than undefined/false. */
export async function waitFor<T>(what: string, fn: () => Promise<T | undefined | false> | T | undefined | false, timeoutMs = 15_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v !== undefined && v !== false) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** The value of one sample in a Prometheus exposition (labels must match), 0 when absent. */
export function metricValue(text: string, name: string, labels: Record<string, string> = {}): number {
  for (const line of text.split('\n')) {
    if (!line.startsWith(name)) continue;
    const m = /^([a-zA-Z_:][\w:]*)(\{(.*)\})?\s+(\S+)$/.exec(line);
    if (!m || m[1] !== name) continue;
    const have = new Map([...(m[3] ?? '').matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)].map((x) => [x[1], x[2]]));
    if (Object.entries(labels).every(([k, v]) => have.get(k) === v)) return Number(m[4]);
  }
  return 0;
}

/** `<SERVICE>_GRPC_ADDR` for every service that has a gRPC port here: how a local fleet finds its peers. */
export function peerAddressEnv(grpcPortOf: (name: ServiceName) => number | undefined, host = '127.0.0.1'): Record<string, string> {
  const env: Record<string, string> = {};
  for (const name of Object.keys(SERVICES) as ServiceName[]) {
    const port = grpcPortOf(name);
    if (port !== undefined) env[`${envPrefix(name)}_GRPC_ADDR`] = `${host}:${port}`;
  }
  return env;
}
