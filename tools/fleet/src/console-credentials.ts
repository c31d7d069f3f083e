/**
 * Throwaway sign-in for the operator console (services/console) in local runs and tests: one admin
 * with a random password, hashed by the console's own `console-hash-password` bin (so the hash
 * format lives in one place), and a random session secret. Never for a deployment.
 */
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { envPrefix, SERVICES, type ServiceName } from '@cte/shared';

const REPO_ROOT = path.resolve(__dirname, '..', '..', '..');

export interface ConsoleCredentials {
  operator: string;
  password: string;
  /** CONSOLE_OPERATORS, CONSOLE_SESSION_SECRET and CONSOLE_COOKIE_SECURE=false (plain http on loopback). */
  env: Record<string, string>;
}

export function throwawayConsoleCredentials(operator = 'admin'): ConsoleCredentials {
  const bin = path.join(REPO_ROOT, 'services', 'console', 'dist', 'bin', 'hash-password.js');
  if (!fs.existsSync(bin)) throw new Error(`${bin} missing: build the console first (make build)`);
  const password = randomBytes(18).toString('base64url');
  const hash = execFileSync(process.execPath, [bin], { input: password, encoding: 'utf8', timeout: 30_000 }).trim();
  return {
    operator,
    password,
    env: {
      CONSOLE_OPERATORS: JSON.stringify([{ name: operator, role: 'admin', password_hash: hash }]),
      CONSOLE_SESSION_SECRET: randomBytes(48).toString('base64'),
      CONSOLE_COOKIE_SECURE: 'false',
    },
  };
}

/** `<NAME>_HTTP_URL` of each service the console's Fleet view probes, for fleets on ports other than the declared ones. */
export function consoleProbeEnv(httpPortOf: (name: ServiceName) => number | undefined, host = '127.0.0.1'): Record<string, string> {
  const env: Record<string, string> = {};
  for (const name of Object.keys(SERVICES) as ServiceName[]) {
    const port = httpPortOf(name);
    if (name !== 'console' && port !== undefined) env[`${envPrefix(name)}_HTTP_URL`] = `http://${host}:${port}`;
  }
  return env;
}
