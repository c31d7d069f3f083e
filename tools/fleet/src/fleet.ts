#!/usr/bin/env node
/**
 * cte-fleet: runs services of the fleet as local processes, from the one declaration in
 * services.ts (ports, dependencies, Node flags). Starts them in dependency order, each once
 * the ones it depends on are ready, writes each one's log to FLEET_LOG_DIR (or prefixes it on
 * stdout), and on SIGINT/SIGTERM stops them in reverse order, gracefully.
 *
 *   cte-fleet [service ...]      default: every service that has been built
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { envPrefix, SERVICES, type ServiceName } from '@cte/shared';
import { throwawayConsoleCredentials } from './console-credentials';

const REPO_ROOT = path.resolve(__dirname, '..', '..', '..');
const mainOf = (name: ServiceName) => path.join(REPO_ROOT, 'services', name, 'dist', 'main.js');

/** Requested services plus what they depend on (when built), in dependency order. */
export function startOrder(requested: readonly ServiceName[], isBuilt: (n: ServiceName) => boolean): ServiceName[] {
  const order: ServiceName[] = [];
  const visiting = new Set<ServiceName>();
  const visit = (n: ServiceName) => {
    if (order.includes(n)) return;
    if (visiting.has(n)) throw new Error(`dependency cycle at ${n}`);
    visiting.add(n);
    for (const dep of SERVICES[n].dependsOn) if (isBuilt(dep)) visit(dep);
    visiting.delete(n);
    order.push(n);
  };
  for (const n of requested) visit(n);
  return order;
}

interface Running {
  name: ServiceName;
  child: ChildProcess;
  exited: Promise<number | null>;
}

async function waitReady(name: ServiceName, port: number, child: ChildProcess, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`${name} exited with code ${child.exitCode} before it was ready`);
    try {
      if ((await fetch(`http://127.0.0.1:${port}/ready`)).status === 200) return;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) throw new Error(`${name} not ready on :${port} within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const known = Object.keys(SERVICES) as ServiceName[];
  for (const a of args) if (!known.includes(a as ServiceName)) throw new Error(`unknown service ${a}; known: ${known.join(', ')}`);
  const isBuilt = (n: ServiceName) => fs.existsSync(mainOf(n));
  const requested = (args.length > 0 ? (args as ServiceName[]) : known).filter(isBuilt);
  if (requested.length === 0) throw new Error('no service is built: run `make build`');
  if (!process.env.TRADING_API_KEY) throw new Error('TRADING_API_KEY is required (make demo generates one)');
  const logDir = process.env.FLEET_LOG_DIR;
  if (logDir) fs.mkdirSync(logDir, { recursive: true });

  const running: Running[] = [];
  let stopping = false;
  const stopAll = async (code: number) => {
    if (stopping) return;
    stopping = true;
    for (const r of [...running].reverse()) {
      if (r.child.exitCode === null) r.child.kill('SIGTERM');
      const exit = await r.exited;
      process.stdout.write(`[fleet] ${r.name} exited with code ${exit}\n`);
      if (exit !== 0) code = 1;
    }
    process.exit(code);
  };
  process.on('SIGINT', () => void stopAll(0));
  process.on('SIGTERM', () => void stopAll(0));

  const order = startOrder(requested, isBuilt);
  // The console exits without operators and a session secret: a run that brings none gets throwaway ones.
  let childEnv: NodeJS.ProcessEnv = process.env;
  if (order.includes('console') && !process.env.CONSOLE_OPERATORS && !process.env.CONSOLE_OPERATORS_FILE) {
    const creds = throwawayConsoleCredentials();
    childEnv = { ...process.env, ...creds.env, CONSOLE_SESSION_SECRET: process.env.CONSOLE_SESSION_SECRET || creds.env.CONSOLE_SESSION_SECRET };
    process.stdout.write(`[fleet] console: sign in as ${creds.operator}, password ${creds.password} (made up for this run)\n`);
  }

  for (const name of order) {
    const decl = SERVICES[name];
    const prefix = envPrefix(name);
    const port = Number(process.env[`${prefix}_PORT`] ?? decl.httpPort);
    const flags = decl.nodeOptions.split(' ').filter(Boolean);
    const out = logDir ? fs.openSync(path.join(logDir, `${name}.log`), 'a') : 'pipe';
    const child = spawn(process.execPath, [...flags, mainOf(name)], { env: childEnv, stdio: ['ignore', out, out] });
    if (!logDir) {
      for (const stream of [child.stdout, child.stderr]) {
        stream?.on('data', (d: Buffer) => {
          for (const line of d.toString().split('\n')) if (line) process.stdout.write(`[${name}] ${line}\n`);
        });
      }
    }
    const exited = new Promise<number | null>((resolve) => child.on('exit', (c) => resolve(c)));
    running.push({ name, child, exited });
    void exited.then((c) => {
      if (!stopping) {
        process.stderr.write(`[fleet] ${name} stopped unexpectedly (code ${c}); stopping the fleet\n`);
        void stopAll(1);
      }
    });
    await waitReady(name, port, child, 60_000);
    process.stdout.write(`[fleet] ${name} ready on :${port}\n`);
  }
  process.stdout.write(`[fleet] all ready: ${running.map((r) => r.name).join(', ')}\n`);
}

if (require.main === module) {
  main().catch((err: unknown) => {
    process.stderr.write(`cte-fleet: ${(err as Error).message}\n`);
    process.exit(1);
  });
}
