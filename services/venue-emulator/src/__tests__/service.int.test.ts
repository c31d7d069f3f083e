/**
 * The built service as a process (run `npm run build` first): kit probes and metrics, the admin
 * API behind X-TRADING-API-KEY, an env-armed fault, accounts of every venue from
 * VENUE_EMULATOR_ACCOUNTS, and fail-fast configuration.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createHmac, generateKeyPairSync, randomUUID } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { findSharedDataDir, freePort } from '@cte/testkit';

const MAIN = path.resolve(__dirname, '..', '..', 'dist', 'main.js');
const KEY = `emulator-test-key-${Date.now()}`;
const CDP_KEY = `organizations/${randomUUID()}/apiKeys/${randomUUID()}`;
/** One account per venue, created at start from VENUE_EMULATOR_ACCOUNTS. */
const ACCOUNTS = [
  { venue: 'binanceus', api_key: 'A'.repeat(64), secret: 'S'.repeat(64), balances: { USDT: '1000' } },
  { venue: 'coinbase', api_key: CDP_KEY, secret: generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey.export({ type: 'sec1', format: 'pem' }).toString(), balances: { EUR: '2000' } },
  { venue: 'kucoin', api_key: 'abcdefabcdefabcdefabcdef', secret: randomUUID(), passphrase: 'service-int', balances: { USDT: '3000' } },
];

interface Proc {
  child: ChildProcess;
  out: () => string;
  exited: Promise<number | null>;
}

function start(env: Record<string, string>): Proc {
  if (!fs.existsSync(MAIN)) throw new Error(`${MAIN} missing: run \`npm run build\` first`);
  const child = spawn(process.execPath, [MAIN], { env: { PATH: process.env['PATH'] ?? '', CTE_SHARED_DATA: findSharedDataDir(), ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout?.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (out += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return { child, out: () => out, exited };
}

async function waitReady(url: string, p: Proc): Promise<void> {
  for (let i = 0; i < 200; i++) {
    try {
      if ((await fetch(`${url}/ready`)).status === 200) return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`not ready: ${p.out().slice(-2000)}`);
}

describe('venue-emulator process', () => {
  let p: Proc;
  let admin: string;
  let ports: Record<string, number>;

  beforeAll(async () => {
    ports = { http: await freePort(), binanceus: await freePort(), coinbase: await freePort(), kucoin: await freePort() };
    p = start({
      TRADING_API_KEY: KEY,
      VENUE_EMULATOR_PORT: String(ports['http']),
      VENUE_EMULATOR_BINANCEUS_PORT: String(ports['binanceus']),
      VENUE_EMULATOR_COINBASE_PORT: String(ports['coinbase']),
      VENUE_EMULATOR_KUCOIN_PORT: String(ports['kucoin']),
      VENUE_EMULATOR_SPEED: '0',
      VENUE_EMULATOR_FAULTS: 'coinbase:rest_5xx:1',
      VENUE_EMULATOR_ACCOUNTS: JSON.stringify(ACCOUNTS),
      LOG_LEVEL: 'warn',
      SHUTDOWN_DRAIN_DELAY_MS: '0',
    });
    admin = `http://127.0.0.1:${ports['http']}`;
    await waitReady(admin, p);
  });

  afterAll(async () => {
    p.child.kill('SIGTERM');
    expect(await p.exited).toBe(0);
  });

  it('serves /health, /ready and the fault metric without a key', async () => {
    expect((await fetch(`${admin}/health`)).status).toBe(200);
    const metrics = await (await fetch(`${admin}/metrics`)).text();
    expect(metrics).toContain('venue_emulator_faults_injected_total{venue="kucoin",fault="ws_reset",service="venue-emulator"} 0');
  });

  it('keeps the admin API behind X-TRADING-API-KEY', async () => {
    expect((await fetch(`${admin}/admin/venues`)).status).toBe(401);
    expect((await fetch(`${admin}/admin/venues`, { headers: { 'x-trading-api-key': 'wrong-key-wrong-key' } })).status).toBe(401);
    const res = await fetch(`${admin}/admin/venues`, { headers: { 'x-trading-api-key': KEY } });
    expect(res.status).toBe(200);
    const body = (await res.json()) as { manual: boolean; venues: { venue: string; port: number; markets: string[] }[] };
    expect(body.manual).toBe(true);
    expect(body.venues.map((v) => [v.venue, v.port])).toEqual([
      ['binanceus', ports['binanceus']],
      ['coinbase', ports['coinbase']],
      ['kucoin', ports['kucoin']],
    ]);
  });

  it('arms the env fault at start, and injects and counts faults through the admin API', async () => {
    const cb = `http://127.0.0.1:${ports['coinbase']}/api/v3/brokerage/time`;
    expect((await fetch(cb)).status).toBe(503);
    expect((await fetch(cb)).status).toBe(200);
    const post = (venue: string, body: unknown): Promise<Response> =>
      fetch(`${admin}/admin/venues/${venue}/faults`, { method: 'POST', headers: { 'x-trading-api-key': KEY, 'content-type': 'application/json' }, body: JSON.stringify(body) });
    const armed = await post('binanceus', { fault: 'rest_429', count: 1, retry_after_s: 3 });
    expect(armed.status).toBe(202);
    const limited = await fetch(`http://127.0.0.1:${ports['binanceus']}/api/v3/ping`);
    expect(limited.status).toBe(429);
    expect(limited.headers.get('retry-after')).toBe('3');
    const metrics = await (await fetch(`${admin}/metrics`)).text();
    expect(metrics).toContain('venue_emulator_faults_injected_total{venue="binanceus",fault="rest_429",service="venue-emulator"} 1');
    expect(metrics).toContain('venue_emulator_faults_injected_total{venue="coinbase",fault="rest_5xx",service="venue-emulator"} 1');
    // Bad input is a 400 naming the field; an unknown venue is a 404.
    expect((await post('binanceus', { fault: 'rest_999' })).status).toBe(400);
    expect((await post('binanceus', { fault: 'rest_5xx', status: 200 })).status).toBe(400);
    expect((await post('nasdaq', { fault: 'ws_close' })).status).toBe(404);
    const advanced = await fetch(`${admin}/admin/replay/advance`, { method: 'POST', headers: { 'x-trading-api-key': KEY, 'content-type': 'application/json' }, body: JSON.stringify({ venue: 'kucoin', events: 10 }) });
    expect(await advanced.json()).toEqual({ replayed: 10 });
  });

  it('creates the VENUE_EMULATOR_ACCOUNTS accounts of every venue, which answer signed requests', async () => {
    for (const a of ACCOUNTS) {
      const res = await fetch(`${admin}/admin/venues/${a.venue}/accounts/${encodeURIComponent(a.api_key)}`, { headers: { 'x-trading-api-key': KEY } });
      expect(res.status).toBe(200);
      const text = await res.text();
      expect(JSON.parse(text)).toMatchObject({ venue: a.venue, api_key: a.api_key, balances: [{ asset: Object.keys(a.balances)[0], free: Object.values(a.balances)[0], locked: '0' }], open_orders: [] });
      expect(text).not.toContain('secret');
    }
    // A KuCoin v2 signature with the configured secret and passphrase is accepted.
    const kc = ACCOUNTS[2] as { api_key: string; secret: string; passphrase: string };
    const ts = String(Date.now());
    const b64 = (payload: string): string => createHmac('sha256', kc.secret).update(payload).digest('base64');
    const path = '/api/v1/accounts?type=trade';
    const res = await fetch(`http://127.0.0.1:${ports['kucoin']}${path}`, { headers: { 'KC-API-KEY': kc.api_key, 'KC-API-SIGN': b64(`${ts}GET${path}`), 'KC-API-TIMESTAMP': ts, 'KC-API-PASSPHRASE': b64(kc.passphrase), 'KC-API-KEY-VERSION': '2' } });
    expect(res.status).toBe(200);
    expect(((await res.json()) as { data: { currency: string; available: string }[] }).data).toEqual(expect.arrayContaining([expect.objectContaining({ currency: 'USDT', available: '3000' })]));
  });
});

describe('venue-emulator configuration', () => {
  it('exits 2 naming every bad variable', async () => {
    const p = start({ VENUE_EMULATOR_SPEED: 'fast', VENUE_EMULATOR_FAULTS: 'kraken:rest_429', VENUE_EMULATOR_COINBASE_PORT: '8031' });
    expect(await p.exited).toBe(2);
    for (const name of ['TRADING_API_KEY', 'VENUE_EMULATOR_SPEED', 'VENUE_EMULATOR_FAULTS', 'VENUE_EMULATOR_COINBASE_PORT']) expect(p.out()).toContain(name);
  });
});
