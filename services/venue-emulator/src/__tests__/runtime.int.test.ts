/**
 * The emulator runs on the kit's service runtime like the fleet's services (run `npm run build`
 * first): TRADING_API_KEYS_ACCEPTED during a key rotation, and the drain period at SIGTERM
 * (SHUTDOWN_DRAIN_DELAY_MS: readiness off, everything still served, then a clean exit).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { freePort } from '@cte/testkit';

const MAIN = path.resolve(__dirname, '..', '..', 'dist', 'main.js');
/** The sandbox's data (make sandbox, the compose profile and the k8s overlay): the bundled bars only. */
const BARS = path.resolve(__dirname, '..', '..', '..', 'price-stream', 'data', 'replay', 'coinbase_btcusd_1h.csv');
const KEY = `emulator-runtime-key-${Date.now()}`;
const OLD_KEY = `emulator-previous-key-${Date.now()}`;

interface Proc {
  child: ChildProcess;
  out: () => string;
  exited: Promise<number | null>;
}

function start(env: Record<string, string>): Proc {
  if (!fs.existsSync(MAIN)) throw new Error(`${MAIN} missing: run \`npm run build\` first`);
  const sandbox = { VENUE_EMULATOR_CAPTURES: 'false', VENUE_EMULATOR_BARS: `coinbase:BTC/USD=${BARS}`, VENUE_EMULATOR_BARS_START: '2019-10-01T00:00:00Z', VENUE_EMULATOR_REBASE: 'end' };
  const child = spawn(process.execPath, [MAIN], { env: { PATH: process.env['PATH'] ?? '', LOG_LEVEL: 'warn', VENUE_EMULATOR_SPEED: '0', ...sandbox, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout?.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (out += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return { child, out: () => out, exited };
}

async function status(url: string, headers: Record<string, string> = {}): Promise<number> {
  try {
    return (await fetch(url, { headers })).status;
  } catch {
    return 0;
  }
}

async function until(what: string, check: () => Promise<boolean>, p: Proc, timeoutMs = 25_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`${what} not reached: ${p.out().slice(-2000)}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

async function ports(): Promise<Record<string, string>> {
  return {
    VENUE_EMULATOR_PORT: String(await freePort()),
    VENUE_EMULATOR_BINANCEUS_PORT: String(await freePort()),
    VENUE_EMULATOR_COINBASE_PORT: String(await freePort()),
    VENUE_EMULATOR_KUCOIN_PORT: String(await freePort()),
  };
}

describe('venue-emulator on the service runtime', () => {
  it('accepts the keys of a rotation in progress on the admin API, and no other', async () => {
    const env = await ports();
    const admin = `http://127.0.0.1:${env['VENUE_EMULATOR_PORT']}`;
    const p = start({ ...env, TRADING_API_KEY: KEY, TRADING_API_KEYS_ACCEPTED: OLD_KEY, SHUTDOWN_DRAIN_DELAY_MS: '0' });
    try {
      await until('ready', async () => (await status(`${admin}/ready`)) === 200, p);
      expect(await status(`${admin}/admin/venues`, { 'x-trading-api-key': KEY })).toBe(200);
      expect(await status(`${admin}/admin/venues`, { 'x-trading-api-key': OLD_KEY })).toBe(200);
      expect(await status(`${admin}/admin/venues`, { 'x-trading-api-key': `${OLD_KEY}-not` })).toBe(401);
    } finally {
      p.child.kill('SIGTERM');
    }
    expect(await p.exited).toBe(0);
  });

  it('keeps serving the admin API and the venues for the drain delay after SIGTERM with readiness off, then exits 0', async () => {
    const env = await ports();
    const admin = `http://127.0.0.1:${env['VENUE_EMULATOR_PORT']}`;
    const venue = `http://127.0.0.1:${env['VENUE_EMULATOR_COINBASE_PORT']}/api/v3/brokerage/time`;
    // Long enough that the checks below run well inside it; the exit is awaited, not timed.
    const p = start({ ...env, TRADING_API_KEY: KEY, SHUTDOWN_DRAIN_DELAY_MS: '3000', SHUTDOWN_GRACE_MS: '2000' });
    await until('ready', async () => (await status(`${admin}/ready`)) === 200, p);
    p.child.kill('SIGTERM');
    await until('readiness off', async () => (await status(`${admin}/ready`)) === 503, p);
    expect(await status(`${admin}/health`)).toBe(200);
    expect(await status(`${admin}/admin/venues`, { 'x-trading-api-key': KEY })).toBe(200);
    expect(await status(venue)).toBe(200);
    expect(await p.exited).toBe(0);
  }, 40_000);

  it('exits 2 naming TRADING_API_KEYS_ACCEPTED when an accepted key is too short (without quoting it)', async () => {
    const p = start({ ...(await ports()), TRADING_API_KEY: KEY, TRADING_API_KEYS_ACCEPTED: 'short-key' });
    expect(await p.exited).toBe(2);
    expect(p.out()).toContain('TRADING_API_KEYS_ACCEPTED');
    expect(p.out()).not.toContain('short-key');
  });
});
