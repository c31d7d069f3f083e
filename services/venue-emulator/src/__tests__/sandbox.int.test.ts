/**
 * The built service (run `npm run build` first) as `make sandbox` runs it: bundled bars only,
 * rebased into the past, replayed fast without looping, until /admin/venues reports every
 * venue's `replay.done`. And the new variables' bad values exit 2 naming them.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { freePort } from '@cte/testkit';

const MAIN = path.resolve(__dirname, '..', '..', 'dist', 'main.js');
const CSV = path.resolve(__dirname, '..', '..', '..', 'price-stream', 'data', 'replay', 'coinbase_btcusd_1h.csv');
const KEY = `emulator-sandbox-key-${Date.now()}`;

interface Proc {
  child: ChildProcess;
  out: () => string;
  exited: Promise<number | null>;
}

function start(env: Record<string, string>): Proc {
  if (!fs.existsSync(MAIN)) throw new Error(`${MAIN} missing: run \`npm run build\` first`);
  // No CTE_SHARED_DATA: with VENUE_EMULATOR_CAPTURES=false the captures are not needed.
  const child = spawn(process.execPath, [MAIN], { env: { PATH: process.env['PATH'] ?? '', VENUE_EMULATOR_DATA_DIR: '/nonexistent', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout?.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (out += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return { child, out: () => out, exited };
}

interface VenueReply {
  venue: string;
  markets: string[];
  replay: { done: boolean; events: number; replayed: number; last_event_ts: number | null };
}

describe('venue-emulator with bundled bars only', () => {
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
      VENUE_EMULATOR_CAPTURES: 'false',
      VENUE_EMULATOR_BARS: `binanceus:BTC/USDT=${CSV},coinbase:BTC/USD=${CSV},kucoin:BTC/USDT=${CSV}`,
      VENUE_EMULATOR_BARS_START: '2019-10-14T00:00:00Z',
      VENUE_EMULATOR_BARS_END: '2019-10-15T23:59:59Z',
      VENUE_EMULATOR_REBASE: 'end',
      VENUE_EMULATOR_SPEED: '86400',
      VENUE_EMULATOR_LOOP: 'false',
      LOG_LEVEL: 'warn',
    });
    admin = `http://127.0.0.1:${ports['http']}`;
  });

  afterAll(async () => {
    p.child.kill('SIGTERM');
    expect(await p.exited).toBe(0);
  });

  it('replays the window and reports replay.done on every venue, all of it in the past', async () => {
    const deadline = Date.now() + 60_000;
    let venues: VenueReply[] = [];
    while (Date.now() < deadline) {
      try {
        const res = await fetch(`${admin}/admin/venues`, { headers: { 'x-trading-api-key': KEY } });
        if (res.status === 200) venues = ((await res.json()) as { venues: VenueReply[] }).venues;
      } catch {
        // not listening yet
      }
      if (venues.length === 3 && venues.every((v) => v.replay.done)) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    if (!(venues.length === 3 && venues.every((v) => v.replay.done))) throw new Error(`not done: ${JSON.stringify(venues).slice(0, 600)} ${p.out().slice(-1500)}`);
    for (const v of venues) {
      expect(v.markets).toEqual([v.venue === 'coinbase' ? 'BTC/USD' : 'BTC/USDT']);
      expect(v.replay).toMatchObject({ events: 48 * 8, replayed: 48 * 8 });
      expect(v.replay.last_event_ts).toBeLessThanOrEqual(Date.now());
    }
    const klines = (await (await fetch(`http://127.0.0.1:${ports['binanceus']}/api/v3/klines?symbol=BTCUSDT&interval=1h&limit=1000`)).json()) as unknown[][];
    expect(klines).toHaveLength(48);
    expect(klines.every((k) => typeof k[0] === 'number' && k[0] % 3_600_000 === 0 && k[0] < Date.now())).toBe(true);
  });
});

describe('venue-emulator replay source configuration', () => {
  it('exits 2 naming every bad new variable', async () => {
    const p = start({
      TRADING_API_KEY: KEY,
      VENUE_EMULATOR_BARS: 'coinbase:BTC/USD=no/such.csv',
      VENUE_EMULATOR_BARS_START: 'soon',
      VENUE_EMULATOR_REBASE: 'sideways',
      VENUE_EMULATOR_SYNTHETIC_MARKETS: '5000',
      VENUE_EMULATOR_CAPTURES: 'perhaps',
    });
    expect(await p.exited).toBe(2);
    for (const name of ['VENUE_EMULATOR_BARS:', 'VENUE_EMULATOR_BARS_START', 'VENUE_EMULATOR_REBASE', 'VENUE_EMULATOR_SYNTHETIC_MARKETS', 'VENUE_EMULATOR_CAPTURES']) expect(p.out()).toContain(name);
  });

  it('exits 2 naming VENUE_EMULATOR_BARS when the window leaves a market without trades', async () => {
    const p = start({ TRADING_API_KEY: KEY, VENUE_EMULATOR_CAPTURES: 'false', VENUE_EMULATOR_VENUES: 'coinbase', VENUE_EMULATOR_BARS: `coinbase:BTC/USD=${CSV}`, VENUE_EMULATOR_BARS_START: '2030-01-01', VENUE_EMULATOR_PORT: '0', VENUE_EMULATOR_COINBASE_PORT: '0' });
    expect(await p.exited).toBe(2);
    expect(p.out()).toContain('VENUE_EMULATOR_BARS: coinbase:BTC/USD has no trades');
  });
});
