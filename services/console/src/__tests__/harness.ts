/**
 * Test support: a real console process on free ports over a fresh database and a unique bus
 * namespace, with operators of every role. Its peers point at ports nothing listens on, so the
 * other services are absent (unless a test passes their addresses). Every response a test reads
 * through `ConsoleClient` is kept, so a test can check the fleet's API key never reached a browser.
 */
import { randomBytes } from 'node:crypto';
import { envPrefix, SERVICES, type ServiceName } from '@cte/shared';
import { createTestDatabase, freePort, startService, type RunningService, type TestDatabase } from '@cte/testkit';
import { formatScryptHash } from '../engine/operators';
import { hashPassword } from '../adapters/passwords';
import { SESSION_COOKIE } from '../adapters/session';

export const PASSWORDS = { vera: 'viewer-password-1', tom: 'trader-password-1', alice: 'admin-password-1' } as const;
export type OperatorName = keyof typeof PASSWORDS;
const ROLE: Record<OperatorName, string> = { vera: 'viewer', tom: 'trader', alice: 'admin' };

export interface ConsoleRig {
  svc: RunningService;
  tdb: TestDatabase;
  url: string;
  origin: string;
  secret: string;
  busNamespace: string;
  /** Every response body and header block read through a client. */
  seen: string[];
  close(): Promise<void>;
}

export async function operatorsJson(): Promise<string> {
  const cheap = { n: 16384, r: 8, p: 1 };
  const ops = await Promise.all(
    (Object.keys(PASSWORDS) as OperatorName[]).map(async (name) => ({ name, role: ROLE[name], password_hash: formatScryptHash(await hashPassword(PASSWORDS[name], cheap)) })),
  );
  return JSON.stringify(ops);
}

/** Environment pointing every peer of the console at a port nothing listens on. */
export async function absentPeersEnv(): Promise<Record<string, string>> {
  const env: Record<string, string> = {};
  for (const name of Object.keys(SERVICES) as ServiceName[]) {
    if (name === 'console') continue;
    env[`${envPrefix(name)}_GRPC_ADDR`] = `127.0.0.1:${await freePort()}`;
    env[`${envPrefix(name)}_HTTP_URL`] = `http://127.0.0.1:${await freePort()}`;
  }
  return env;
}

export async function startConsole(extraEnv: Record<string, string> = {}, apiKey?: string): Promise<ConsoleRig> {
  const tdb = await createTestDatabase();
  const secret = randomBytes(48).toString('base64');
  const busNamespace = extraEnv.BUS_NAMESPACE ?? `console-test-${randomBytes(4).toString('hex')}:`;
  const svc = await startService('console', {
    env: {
      MYSQL_URL: tdb.url,
      BUS_NAMESPACE: busNamespace,
      CONSOLE_OPERATORS: await operatorsJson(),
      CONSOLE_SESSION_SECRET: secret,
      CONSOLE_COOKIE_SECURE: 'false',
      CONSOLE_PROBE_TIMEOUT_MS: '1000',
      CONSOLE_PEER_DEADLINE_MS: '1000',
      ...(await absentPeersEnv()),
      ...extraEnv,
    },
    readyLog: 'console ready',
    ...(apiKey !== undefined ? { apiKey } : {}),
  });
  return {
    svc,
    tdb,
    url: svc.httpUrl,
    origin: svc.httpUrl,
    secret,
    busNamespace,
    seen: [],
    close: async () => {
      await svc.stop();
      await tdb.drop();
    },
  };
}

export interface Reply<T = unknown> {
  status: number;
  headers: Headers;
  body: T;
  text: string;
}

/** A browser-like client: keeps the session cookie, sends Origin and the CSRF token like the app does. */
export class ConsoleClient {
  cookie = '';
  csrf = '';

  constructor(private readonly rig: ConsoleRig) {}

  async request<T = unknown>(method: string, path: string, o: { body?: unknown; origin?: string | null; csrf?: string | null; cookie?: string } = {}): Promise<Reply<T>> {
    const headers: Record<string, string> = {};
    const cookie = o.cookie ?? this.cookie;
    if (cookie) headers.Cookie = cookie;
    if (o.body !== undefined) headers['Content-Type'] = 'application/json';
    const origin = o.origin === undefined ? this.rig.origin : o.origin;
    if (origin !== null) headers.Origin = origin;
    const csrf = o.csrf === undefined ? this.csrf : o.csrf;
    if (csrf !== null && csrf !== '') headers['X-CSRF-Token'] = csrf;
    const res = await fetch(`${this.rig.url}${path}`, { method, headers, body: o.body === undefined ? undefined : JSON.stringify(o.body), redirect: 'manual' });
    const text = await res.text();
    this.rig.seen.push(`${res.status} ${path}\n${[...res.headers].map(([k, v]) => `${k}: ${v}`).join('\n')}\n\n${text}`);
    let body: unknown = undefined;
    try {
      body = JSON.parse(text);
    } catch {
      body = undefined;
    }
    const set = res.headers.get('set-cookie');
    if (set?.startsWith(`${SESSION_COOKIE}=`)) this.cookie = set.split(';')[0] as string;
    return { status: res.status, headers: res.headers, body: body as T, text };
  }

  async signIn(name: string, password: string = PASSWORDS[name as OperatorName] ?? ''): Promise<Reply<{ csrf_token: string; role: string; name: string }>> {
    const r = await this.request<{ csrf_token: string; role: string; name: string }>('POST', '/dashboard/api/session', { body: { name, password } });
    if (r.status === 200) this.csrf = r.body.csrf_token;
    return r;
  }
}
