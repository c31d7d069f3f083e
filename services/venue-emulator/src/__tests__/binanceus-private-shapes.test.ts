/**
 * The private side's wire shapes against real Binance captures (../shared/data/exchange-messages/
 * binance, read in place):
 * - every one of the 19 spot executionReport variants: the emulator's event of the same kind
 *   (same execution type, and a commission charged or not) has each of its keys with the same JSON type; the only
 *   keys it may add are W and V, which Binance added after the older captures were taken; and
 *   against the newest, real Binance.US capture the key set is exactly equal;
 * - GET /api/v3/account against the real account reply.
 * The captures wrap each event as {stream, data} (the recorder's framing); the listen-key stream
 * sends the bare event, as Binance does.
 */
import fs from 'node:fs';
import path from 'node:path';
import { sharedData } from '@cte/testkit';
import { shapeOf } from './helpers/ccxt';
import { startEmulator, type RunningEmulator } from './helpers/emulator';
import { keyed, newAccount, primeBook, signed, type Creds } from './helpers/private';
import { RawClients, type RawClient } from './helpers/raw-ws';

const DIR = sharedData('exchange-messages', 'binance', 'ws_messages');
const VARIANTS = fs
  .readdirSync(DIR)
  .filter((f) => f.startsWith('ws_spot_execution_report_'))
  .sort();
/** Fields Binance added to executionReport after the older captures were recorded. */
const NEWER_FIELDS = ['W', 'V'];
const NEWEST = 'ws_spot_execution_report_binance_us.json';

type Event = Record<string, unknown>;
const jsonType = (v: unknown): string => (v === null ? 'null' : Array.isArray(v) ? 'array' : Number.isInteger(v) ? 'integer' : typeof v);
/** Whether the event charged a commission: what decides between `N` a string and `N` null. */
const charged = (e: Event): boolean => Number(e['n']) > 0;

let run: RunningEmulator;
let creds: Creds;
const raws = new RawClients();
let stream: RawClient;
let events: Event[] = [];

async function order(params: Record<string, string>): Promise<Record<string, unknown>> {
  const r = await signed(run, creds, 'POST', '/api/v3/order', { symbol: 'COMPUSDT', ...params }, { inBody: true });
  if (r.status !== 200) throw new Error(`order refused: ${JSON.stringify(r.body)}`);
  return r.body as Record<string, unknown>;
}

beforeAll(async () => {
  run = await startEmulator({ venues: ['binanceus'] });
  primeBook(run, 'COMP/USDT', 5);
  creds = newAccount(run);
  const lk = await keyed(run, creds.apiKey, 'POST', '/api/v3/userDataStream');
  stream = await raws.open(`ws://127.0.0.1:${run.ports.binanceus}/ws/${(lk.body as { listenKey: string }).listenKey}`);
  const book = run.emu.venue('binanceus')?.state.market('COMP/USDT')?.book.snapshot(1);
  const bid = Number(book?.bids[0]?.[0]);
  const [askPrice, askQty] = [book?.asks[0]?.[0] ?? '0', Number(book?.asks[0]?.[1])];
  // NEW, then CANCELED.
  const resting = await order({ side: 'BUY', type: 'LIMIT', timeInForce: 'GTC', quantity: '0.1', price: (bid * 0.9).toFixed(2) });
  await signed(run, creds, 'DELETE', '/api/v3/order', { symbol: 'COMPUSDT', orderId: String(resting['orderId']) });
  // TRADE (PARTIALLY_FILLED), resting remainder, then CANCELED with a fill behind it.
  const partial = await order({ side: 'BUY', type: 'LIMIT', timeInForce: 'GTC', quantity: (askQty + 1).toFixed(5), price: askPrice });
  await signed(run, creds, 'DELETE', '/api/v3/order', { symbol: 'COMPUSDT', orderId: String(partial['orderId']) });
  // TRADE (FILLED).
  await order({ side: 'BUY', type: 'MARKET', quantity: '0.05' });
  // EXPIRED: an IOC below the ask takes nothing.
  await order({ side: 'BUY', type: 'LIMIT', timeInForce: 'IOC', quantity: '0.1', price: (bid * 0.9).toFixed(2) });
  await stream.until(() => stream.json().filter((m) => (m as Event)['X'] === 'EXPIRED').length > 0, 3000, 'all events');
  await stream.quiet(50);
  events = (stream.json() as Event[]).filter((m) => m['e'] === 'executionReport');
});

afterAll(async () => {
  raws.closeAll();
  await run.close();
});

it('produced every kind the emulator has: NEW, TRADE (partial and filled), CANCELED (with and without fills), EXPIRED', () => {
  const kinds = new Set(events.map((e) => `${String(e['x'])}/${String(e['X'])}`));
  expect([...kinds].sort()).toEqual(['CANCELED/CANCELED', 'EXPIRED/EXPIRED', 'NEW/NEW', 'TRADE/FILLED', 'TRADE/PARTIALLY_FILLED']);
});

// The folder holds 19 spot executionReport variants (new, trade, canceled, expired, rejected, …).
it('has the real executionReport variants', () => expect(VARIANTS).toHaveLength(19));

describe.each(VARIANTS)('%s', (file) => {
  const real = (JSON.parse(fs.readFileSync(path.join(DIR, file), 'utf8')) as { data: Event }).data;

  it('the emulator event of the same kind has its keys, with the same types', () => {
    const mine = events.find((e) => e['x'] === real['x'] && charged(e) === charged(real)) ?? events.find((e) => charged(e) === charged(real));
    expect(mine).toBeDefined();
    const m = mine as Event;
    const types = (e: Event, keys: string[]): Record<string, string> => Object.fromEntries(keys.map((k) => [k, jsonType(e[k])]));
    const realKeys = Object.keys(real).sort();
    expect(types(m, realKeys)).toEqual(types(real, realKeys));
    const added = Object.keys(m).filter((k) => !(k in real));
    expect(added.every((k) => NEWER_FIELDS.includes(k))).toBe(true);
    if (file === NEWEST) expect(Object.keys(m).sort()).toEqual(realKeys);
  });
});

it('GET /api/v3/account has the shape of the real reply', async () => {
  const real: unknown = JSON.parse(fs.readFileSync(sharedData('exchange-messages', 'binance', 'http_responses', 'http_spot_wallet_account.json'), 'utf8'));
  const mine = await signed(run, creds, 'GET', '/api/v3/account', {});
  expect(mine.status).toBe(200);
  expect(shapeOf(mine.body)).toEqual(shapeOf(real));
});

it('outboundAccountPosition has the documented keys and types', () => {
  const positions = (stream.json() as Event[]).filter((m) => m['e'] === 'outboundAccountPosition');
  expect(positions.length).toBeGreaterThan(0);
  expect(shapeOf(positions[0])).toEqual({ B: [{ a: 'string', f: 'string', l: 'string' }], E: 'number', e: 'string', u: 'number' });
});
