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

/** Starts the compiled price-stream (`npm run build` first) as a real process and waits for /ready. */
export async function startPriceStream(env: Record<string, string>): Promise<RunningService> {
  if (!fs.existsSync(MAIN_JS)) throw new Error(`${MAIN_JS} missing: run \`make build\` (make test does) before these tests`);
  const httpPort = await freePort();
  const grpcPort = await freePort();
  const apiKey = `test-key-${Math.random().toString(36).slice(2)}-${Date.now()}`;
  let out = '';
  // Run with the runtime flags of the fleet declaration, as demo and deployments do.
  const flags = SERVICES['price-stream'].nodeOptions.split(' ').filter(Boolean);
  const child = spawn(process.execPath, [...flags, MAIN_JS], {
    env: {
      ...process.env,
      PRICE_STREAM_PORT: String(httpPort),
      PRICE_STREAM_GRPC_PORT: String(grpcPort),
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
    if (child.exitCode !== null) throw new Error(`price-stream exited with ${child.exitCode}:\n${out}`);
    try {
      const res = await fetch(`${httpUrl}/ready`);
      if (res.status === 200) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`price-stream not ready within 20 s:\n${out}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  return { child, httpUrl, grpcAddress: `127.0.0.1:${grpcPort}`, apiKey, logs: () => out, exited };
}

export async function waitFor<T>(what: string, fn: () => Promise<T | undefined> | T | undefined, timeoutMs = 15_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v !== undefined && v !== false) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}
