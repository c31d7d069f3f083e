/**
 * Fidelity against ccxt's own static fixtures (../shared/data/ccxt-static, MIT): unmodified ccxt,
 * pointed only at 127.0.0.1, calls every public method the project uses against the emulator.
 *  - response/<venue>.json: what ccxt parses from the emulator has exactly the structure and
 *    types of the fixture's parsedResponse, and the raw reply (`info`) has the fixture
 *    httpResponse's shape.
 *  - request/<venue>.json: the URL (and body) ccxt sends match the fixture, minus skipKeys.
 * Fixture symbols (BTC/USDT…) are replaced by a symbol the venue's capture holds.
 */
import fs from 'node:fs';
import { sharedData } from '@cte/testkit';
import type { VenueId } from '../engine/types';
import { client, shapeOf, type CcxtExchange } from './helpers/ccxt';
import { startEmulator, type RunningEmulator } from './helpers/emulator';

interface Case {
  description: string;
  method: string;
  input: unknown[];
  url?: string;
  output?: unknown;
  httpResponse?: unknown;
  parsedResponse?: unknown;
}
interface Fixture {
  skipKeys?: string[];
  methods: Record<string, Case[]>;
}

/** The public methods the project uses (market data only; orders are issue 12). */
const PUBLIC = ['fetchTime', 'fetchTicker', 'fetchTickers', 'fetchOrderBook', 'fetchTrades', 'fetchOHLCV', 'fetchLastPrices', 'fetchBidsAsks'];
const VENUES: VenueId[] = ['binanceus', 'coinbase', 'kucoin'];
/** Emulator symbols standing in for the fixture's: [primary, secondary]. */
const STAND_IN: Record<VenueId, [string, string]> = { binanceus: ['OMG/BUSD', 'XRP/ETH'], coinbase: ['SKL/USD', 'SKL/BTC'], kucoin: ['DAPPT/BTC', 'SNX/BTC'] };
const marketIdOf = (venue: VenueId, symbol: string): string => (venue === 'binanceus' ? symbol.replace('/', '') : symbol.replace('/', '-'));

/**
 * Known, documented differences between a fixture and what this ccxt version sends without
 * credentials. Each is asserted exactly (so a change shows up), never skipped.
 */
const REQUEST_DEVIATIONS: Record<string, { why: string; expectedPath?: string; extraQuery?: [string, string][] }> = {
  // ccxt now reads last prices from api/v3 (the fixture has v1); the emulator serves both.
  'binanceus fetchLastPrices': { why: 'v3 path', expectedPath: '/api/v3/ticker/price' },
  // ccxt now asks for spot products explicitly.
  'coinbase fetchTickers': { why: 'public market/ path and product_type', expectedPath: '/api/v3/brokerage/market/products', extraQuery: [['product_type', 'SPOT']] },
  // ccxt >= 4.4 calls Advanced Trade's public market/ endpoints unless options.usePrivate; the fixtures predate that.
  'coinbase fetchTrades': { why: 'public market/ path', expectedPath: '/api/v3/brokerage/market/products/{id}/ticker' },
  'coinbase fetchOHLCV': { why: 'public market/ path', expectedPath: '/api/v3/brokerage/market/products/{id}/candles' },
  'coinbase fetchTicker': { why: 'public market/ path', expectedPath: '/api/v3/brokerage/market/products/{id}/ticker' },
  'coinbase fetchOrderBook': { why: 'public market/ path', expectedPath: '/api/v3/brokerage/market/product_book' },
  // Recorded with credentials: authenticated KuCoin clients read the full v3 book; without keys ccxt reads level2_100.
  'kucoin fetchOrderBook spot orderbook': { why: 'unauthenticated book', expectedPath: '/api/v1/market/orderbook/level2_100' },
};

function load(kind: 'request' | 'response', venue: VenueId): Fixture {
  return JSON.parse(fs.readFileSync(sharedData('ccxt-static', kind, `${venue}.json`), 'utf8')) as Fixture;
}

/** Fixture input with its symbols replaced by the stand-ins. */
function substitute(venue: VenueId, input: unknown[], replayStart?: number): { args: unknown[]; ids: Map<string, string> } {
  const ids = new Map<string, string>();
  const seen: string[] = [];
  const swap = (s: string): string => {
    if (!/^[A-Z0-9]+\/[A-Z0-9]+$/.test(s)) return s;
    if (!seen.includes(s)) seen.push(s);
    const stand = STAND_IN[venue][Math.min(seen.indexOf(s), 1)] as string;
    ids.set(marketIdOf(venue, s), marketIdOf(venue, stand));
    return stand;
  };
  // A fixture's `since` is a date of its recording; the emulator's data starts at the replay start
  // (passed in rounded down to the hour, so the first hourly bar is inside the range).
  const time = (a: unknown): unknown => (replayStart !== undefined && typeof a === 'number' && a > 1e12 ? replayStart : a);
  const args = input.map((a) => (typeof a === 'string' ? swap(a) : Array.isArray(a) ? (a as unknown[]).map((x) => (typeof x === 'string' ? swap(x) : x)) : a === null ? undefined : time(a)));
  return { args, ids };
}

function withoutInfo(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(withoutInfo);
  if (typeof v === 'object' && v !== null) return Object.fromEntries(Object.entries(v).filter(([k]) => k !== 'info').map(([k, x]) => [k, withoutInfo(x)]));
  return v;
}

function infos(v: unknown): unknown[] {
  if (Array.isArray(v)) return v.flatMap(infos);
  if (typeof v === 'object' && v !== null && 'info' in v) return [v.info];
  if (typeof v === 'object' && v !== null) return Object.values(v).flatMap(infos);
  return [];
}

async function call(ex: CcxtExchange, method: string, args: unknown[]): Promise<unknown> {
  const fn = (ex as unknown as Record<string, (...a: unknown[]) => Promise<unknown>>)[method];
  if (typeof fn !== 'function') throw new Error(`ccxt ${ex.id} has no ${method}`);
  return fn.apply(ex, args);
}

let run: RunningEmulator;
const clients = new Map<VenueId, CcxtExchange>();

beforeAll(async () => {
  run = await startEmulator();
  // The whole capture of every venue is replayed before the first call.
  run.emu.step(undefined, 100_000);
  for (const v of VENUES) {
    const ex = client(v, run.ports[v]);
    await ex.loadMarkets();
    clients.set(v, ex);
  }
});

afterAll(async () => {
  for (const ex of clients.values()) await ex.close();
  await run.close();
});

describe('loadMarkets', () => {
  it.each(VENUES)('%s: every captured market loads as an active spot market', (venue) => {
    const ex = clients.get(venue) as CcxtExchange;
    const listed = run.emu.venue(venue)?.state.markets.size ?? 0;
    expect(listed).toBeGreaterThan(3);
    expect(Object.keys(ex.markets ?? {})).toHaveLength(listed);
    for (const s of STAND_IN[venue]) {
      const m = ex.market(s);
      expect(m.spot).toBe(true);
      expect(m.active).toBe(true);
      expect(m.id).toBe(marketIdOf(venue, s));
    }
  });
});

describe.each(VENUES)('%s replies parse like the ccxt fixtures', (venue) => {
  const fixture = load('response', venue);
  const cases = Object.entries(fixture.methods)
    .filter(([m]) => PUBLIC.includes(m))
    .flatMap(([, cs]) => cs.map((c) => [`${c.method}: ${c.description}`, c] as const));
  it('has public response cases', () => expect(cases.length).toBeGreaterThan(0));
  it.each(cases)('%s', async (_name, c) => {
    const ex = clients.get(venue) as CcxtExchange;
    const { args } = substitute(venue, c.input, Math.floor(run.emu.start / 3_600_000) * 3_600_000);
    const got = await call(ex, c.method, args);
    expect(ex.last_request_url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\//);
    expect(shapeOf(withoutInfo(got))).toEqual(shapeOf(withoutInfo(c.parsedResponse)));
    // The raw reply ccxt keeps as `info` has the venue's shape too (Binance's is checked against real captures in wire-shapes.test.ts).
    if (venue !== 'binanceus') {
      const mine = infos(got);
      const theirs = infos(c.parsedResponse);
      if (theirs.length > 0) expect(shapeOf(mine)).toEqual(shapeOf(theirs));
      else expect(shapeOf(got)).toEqual(shapeOf(c.parsedResponse)); // OHLCV: no info, the rows are the reply
    }
  });
});

/**
 * ccxt's unified structures do not depend on the venue, so a method that has a response fixture for
 * one venue gives the expected structure for the others, where ccxt has no fixture of its own.
 */
describe('methods without a fixture for the venue parse to the unified structure of another venue', () => {
  const fixtures = Object.fromEntries(VENUES.map((v) => [v, load('response', v)])) as Record<VenueId, Fixture>;
  const cases: [string, VenueId, string, Case][] = [];
  for (const venue of VENUES) {
    for (const method of ['fetchTicker', 'fetchTrades', 'fetchOHLCV', 'fetchOrderBook']) {
      if (fixtures[venue].methods[method]?.length) continue;
      const donor = VENUES.find((v) => fixtures[v].methods[method]?.length);
      const c = donor && fixtures[donor].methods[method]?.[0];
      if (donor && c) cases.push([`${venue} ${method} (structure of ${donor}'s fixture)`, venue, method, c]);
    }
  }
  /** Fields the venue's real reply does not carry, so ccxt leaves them null (Binance's depth has no time, Coinbase's book no sequence). */
  const ABSENT_AT_VENUE: Record<string, string[]> = { 'binanceus fetchOrderBook': ['timestamp', 'datetime'], 'coinbase fetchOrderBook': ['nonce'] };
  it('covers the venues missing fixtures', () =>
    expect(cases.map((c) => c[0].split(' (')[0])).toEqual(['binanceus fetchOrderBook', 'coinbase fetchTrades', 'coinbase fetchOHLCV', 'coinbase fetchOrderBook']));
  it.each(cases)('%s', async (_name, venue, method, c) => {
    const ex = clients.get(venue) as CcxtExchange;
    const { args } = substitute(venue, c.input, Math.floor(run.emu.start / 3_600_000) * 3_600_000);
    const got = (await call(ex, method, args)) as Record<string, unknown>;
    const expected = shapeOf(withoutInfo(c.parsedResponse)) as Record<string, unknown>;
    for (const k of ABSENT_AT_VENUE[`${venue} ${method}`] ?? []) {
      expect(got[k]).toBeUndefined();
      expected[k] = 'null';
    }
    expect(shapeOf(withoutInfo(got))).toEqual(expected);
  });
});

describe('fetchTickers and fetchTime', () => {
  it.each(VENUES)("%s: fetchTickers gives each requested symbol a ticker with the structure of the venue's fetchTicker fixture", async (venue) => {
    const ex = clients.get(venue) as CcxtExchange;
    const tickers = await ex.fetchTickers([...STAND_IN[venue]]);
    expect(Object.keys(tickers).sort()).toEqual([...STAND_IN[venue]].sort());
    const fixture = load('response', venue).methods['fetchTicker']?.[0];
    const mine = Object.values(tickers).map((t) => shapeOf(withoutInfo(t)) as Record<string, unknown>);
    const want = shapeOf(withoutInfo(fixture?.parsedResponse)) as Record<string, unknown>;
    // Values a venue's batch endpoint does not carry are null: compare keys, and types where both have a value.
    for (const m of mine) {
      expect(Object.keys(m).sort()).toEqual(Object.keys(want).sort());
      for (const k of Object.keys(m)) if (m[k] !== 'null' && want[k] !== 'null') expect([k, m[k]]).toEqual([k, want[k]]);
    }
  });

  it.each(VENUES)('%s: fetchTime is the emulator clock', async (venue) => {
    const before = Date.now();
    const t = await (clients.get(venue) as CcxtExchange).fetchTime();
    expect(t).toBeGreaterThanOrEqual(Math.floor(before / 1000) * 1000);
    expect(t).toBeLessThanOrEqual(Date.now());
  });
});

function normalize(url: string, ids: Map<string, string>, skip: readonly string[]): { path: string; query: [string, string][] } {
  const u = new URL(url);
  let path = u.pathname;
  const query = [...u.searchParams.entries()].filter(([k]) => !skip.includes(k)).map(([k, v]) => [k, ids.get(v) ?? v] as [string, string]);
  for (const [from, to] of ids) path = path.split(from).join(to);
  return { path, query: query.sort((a, b) => a[0].localeCompare(b[0]) || a[1].localeCompare(b[1])) };
}

describe.each(VENUES)('%s requests match the ccxt request fixtures', (venue) => {
  const fixture = load('request', venue);
  const skip = fixture.skipKeys ?? [];
  const cases = Object.entries(fixture.methods)
    .filter(([m]) => PUBLIC.includes(m))
    .flatMap(([, cs]) => cs.filter((c) => c.url !== undefined).map((c) => [`${c.method}: ${c.description}`, c] as const));
  it('has public request cases', () => expect(cases.length).toBeGreaterThan(0));
  it.each(cases)('%s', async (_name, c) => {
    const ex = clients.get(venue) as CcxtExchange;
    const { args, ids } = substitute(venue, c.input);
    await call(ex, c.method, args);
    const sent = ex.last_request_url as string;
    expect(sent).toMatch(/^http:\/\/127\.0\.0\.1:\d+\//);
    // The emulator saw exactly that request.
    const seen = run.emu.venue(venue)?.server.requests.at(-1);
    expect(sent.endsWith(seen?.url ?? '-')).toBe(true);
    const got = normalize(sent, ids, skip);
    const want = normalize(c.url as string, ids, skip);
    const deviation = REQUEST_DEVIATIONS[`${venue} ${c.method} ${c.description}`] ?? REQUEST_DEVIATIONS[`${venue} ${c.method}`];
    if (deviation?.expectedPath) {
      const id = [...ids.values()][0] ?? '';
      expect(got.path).toBe(deviation.expectedPath.replace('{id}', id));
      expect(got.path).not.toBe(want.path);
    } else {
      expect(got.path).toBe(want.path);
    }
    const extra = deviation?.extraQuery ?? [];
    expect(got.query).toEqual([...want.query, ...extra].sort((a, b) => a[0].localeCompare(b[0]) || a[1].localeCompare(b[1])));
    if (c.output !== undefined) expect(ex.last_request_body).toEqual(c.output);
  });
});
