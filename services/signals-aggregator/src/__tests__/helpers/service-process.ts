import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { SERVICES } from '@cte/shared';

export const MAIN_JS = path.resolve(__dirname, '..', '..', '..', 'dist', 'main.js');

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
  child: ChildProcess;
  httpUrl: string;
  grpcAddress: string;
  apiKey: string;
  logs(): string;
  /** Resolves with the exit code. */
  exited: Promise<number | null>;
}

/** Starts the compiled signals-aggregator (`npm run build` first) as a real process and waits for /ready. */
export async function startAggregator(env: Record<string, string>, apiKey = `test-key-${Math.random().toString(36).slice(2)}-${Date.now()}`): Promise<RunningService> {
  if (!fs.existsSync(MAIN_JS)) throw new Error(`${MAIN_JS} missing: run \`make build\` (make test does) before these tests`);
  const httpPort = await freePort();
  const grpcPort = await freePort();
  let out = '';
  const flags = SERVICES['signals-aggregator'].nodeOptions.split(' ').filter(Boolean);
  const child = spawn(process.execPath, [...flags, MAIN_JS], {
    env: {
      ...process.env,
      SIGNALS_AGGREGATOR_PORT: String(httpPort),
      SIGNALS_AGGREGATOR_GRPC_PORT: String(grpcPort),
      TRADING_API_KEY: apiKey,
      LOG_LEVEL: 'info',
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  const httpUrl = `http://127.0.0.1:${httpPort}`;
  const deadline = Date.now() + 20_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`signals-aggregator exited with ${child.exitCode}:\n${out}`);
    try {
      const res = await fetch(`${httpUrl}/ready`);
      // Ready, and the stream consumer (started right after the listeners) is running.
      if (res.status === 200 && out.includes('signals-aggregator ready')) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`signals-aggregator not ready within 20 s:\n${out}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  return { child, httpUrl, grpcAddress: `127.0.0.1:${grpcPort}`, apiKey, logs: () => out, exited };
}

export async function waitFor<T>(what: string, fn: () => Promise<T | undefined | false> | T | undefined | false, timeoutMs = 15_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v !== undefined && v !== false) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** The value of one sample in a Prometheus exposition, 0 when absent. */
export function metricValue(text: string, name: string, labels: Record<string, string> = {}): number {
  for (const line of text.split('\n')) {
    if (!line.startsWith(name)) continue;
    const m = /^([a-zA-Z_:][\w:]*)(\{(.*)\})?\s+(\S+)$/.exec(line);
    if (!m || m[1] !== name) continue;
    const have = Object.fromEntries([...(m[3] ?? '').matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)].map((x) => [x[1], x[2]]));
    if (Object.entries(labels).every(([k, v]) => have[k] === v)) return Number(m[4]);
  }
  return 0;
}
