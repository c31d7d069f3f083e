/**
 * Fault injection through the admin operations, seen from the client side: dropped sockets (clean
 * and abrupt), a stalled feed on an open socket, skipped sequence numbers (Binance U/u, KuCoin
 * sequenceStart/End, Coinbase sequence_num), malformed frames, and REST 429/418/5xx/delay.
 * Every fault is counted in venue_emulator_faults_injected_total.
 */
import { client, type CcxtExchange } from './helpers/ccxt';
import { faultCount, startEmulator, type RunningEmulator } from './helpers/emulator';
import { sleep } from './helpers/pump';
import { RawClients, type RawClient } from './helpers/raw-ws';

let run: RunningEmulator;
const raws = new RawClients();
const raw = (url: string): Promise<RawClient> => raws.open(url);

beforeEach(async () => {
  run = await startEmulator();
});
afterEach(async () => {
  raws.closeAll();
  await run.close();
});

async function binanceDepth(symbol = 'compusdt'): Promise<RawClient> {
  const r = await raw(`ws://127.0.0.1:${run.ports.binanceus}/ws`);
  r.send({ method: 'SUBSCRIBE', params: [`${symbol}@depth@100ms`], id: 1 });
  await r.until(() => r.frames.some((f) => f === '{"result":null,"id":1}'), 3000, 'subscribe ack');
  return r;
}

/** Replays `events` Binance events one at a time, a millisecond apart. */
async function stepSlowly(events: number): Promise<void> {
  for (let i = 0; i < events; i++) {
    run.emu.step('binanceus', 1);
    await sleep(1);
  }
}

/** A ccxt Binance client that has received its first order book of `symbol` within `events` replayed events. */
async function ccxtWithBook(symbol: string, events: number): Promise<CcxtExchange> {
  const ex = client('binanceus', run.ports.binanceus);
  await ex.loadHttpProxyAgent();
  await ex.loadMarkets();
  run.emu.step('binanceus', 20);
  const first = ex.watchOrderBook(symbol);
  await stepSlowly(events);
  await first;
  return ex;
}

type Depth = { e: string; U: number; u: number };
const depthUpdates = (r: RawClient): Depth[] => r.json().filter((m): m is Depth => (m as Depth).e === 'depthUpdate');

describe('dropping a WebSocket', () => {
  it('closes cleanly with 1001 and counts it', async () => {
    const r = await binanceDepth();
    expect(run.emu.drop('binanceus', 'close')).toBe(1);
    await r.until(() => r.closed !== undefined, 3000, 'close');
    expect(r.closed?.code).toBe(1001);
    expect(await faultCount(run.registry, 'binanceus', 'ws_close')).toBe(1);
  });

  it('resets abruptly (no close frame: 1006) and counts it', async () => {
    const r = await binanceDepth();
    expect(run.emu.drop('binanceus', 'reset')).toBe(1);
    await r.until(() => r.closed !== undefined, 3000, 'reset');
    expect(r.closed?.code).toBe(1006);
    expect(await faultCount(run.registry, 'binanceus', 'ws_reset')).toBe(1);
  });

  it('makes a pending ccxt watcher fail with a network error', async () => {
    const ex = await ccxtWithBook('COMP/USDT', 300);
    const pending = ex.watchOrderBook('COMP/USDT');
    pending.catch(() => undefined);
    await sleep(50);
    expect(run.emu.drop('binanceus', 'reset')).toBe(1);
    await expect(pending).rejects.toThrow(/NetworkError|closed|1006|Connection/i);
    await ex.close();
  });
});

describe('stalling a feed', () => {
  it('keeps the socket open but sends nothing until the stall ends, then resumes', async () => {
    const r = await binanceDepth('omgbusd');
    run.emu.stall('binanceus', 400);
    const before = r.frames.length;
    run.emu.step('binanceus', 100);
    await sleep(100);
    expect(r.frames.length).toBe(before);
    expect(r.closed).toBeUndefined();
    await sleep(400);
    run.emu.step('binanceus', 100);
    await r.until(() => depthUpdates(r).length > 0, 3000, 'updates after the stall');
    expect(await faultCount(run.registry, 'binanceus', 'ws_stall')).toBe(1);
  });
});

describe('skipping sequence numbers', () => {
  it('Binance: the next depthUpdate starts past the last one (U > previous u + 1)', async () => {
    const r = await binanceDepth('omgbusd');
    run.emu.step('binanceus', 60);
    await r.until(() => depthUpdates(r).length >= 2, 3000, 'two updates');
    await r.quiet();
    expect(run.emu.skipSequence('binanceus', 'OMG/BUSD', 5)).toBe(1);
    const before = depthUpdates(r).length;
    for (let i = 0; i < 50 && depthUpdates(r).length <= before; i++) {
      run.emu.step('binanceus', 10);
      await sleep(10);
    }
    const us = depthUpdates(r);
    // Contiguous (U = previous u + 1) everywhere except exactly one jump of 5.
    const gaps = us.slice(1).map((m, i) => m.U - ((us[i] as Depth).u + 1)).filter((g) => g !== 0);
    expect(gaps).toEqual([5]);
    expect(await faultCount(run.registry, 'binanceus', 'ws_skip_sequence')).toBe(1);
  });

  it('Binance: ccxt detects the gap in watchOrderBook', async () => {
    const ex = await ccxtWithBook('OMG/BUSD', 200);
    run.emu.skipSequence('binanceus', 'OMG/BUSD', 3);
    const next = ex.watchOrderBook('OMG/BUSD');
    next.catch(() => undefined);
    await stepSlowly(100);
    await expect(next).rejects.toThrow(/checksum|ChecksumError|gap|resync/i);
    await ex.close();
  });

  it('KuCoin: sequenceStart jumps past the previous sequenceEnd', async () => {
    const r = await raw(`ws://127.0.0.1:${run.ports.kucoin}/endpoint?token=emulator-public-x&connectId=t1`);
    await r.until(() => r.frames.length > 0, 3000, 'welcome');
    expect(JSON.parse(r.frames[0] as string)).toEqual({ id: 't1', type: 'welcome' });
    r.send({ id: 7, type: 'subscribe', topic: '/market/level2:BCHSV-USDT', privateChannel: false, response: true });
    await r.until(() => r.frames.includes('{"id":"7","type":"ack"}'), 3000, 'ack');
    type L2 = { subject: string; data: { sequenceStart: number; sequenceEnd: number } };
    const l2 = (): L2[] => r.json().filter((m): m is L2 => (m as L2).subject === 'trade.l2update');
    run.emu.step('kucoin', 50);
    await r.until(() => l2().length >= 2, 3000, 'two l2 updates');
    await r.quiet();
    run.emu.skipSequence('kucoin', 'BCHSV/USDT', 10);
    const before = l2().length;
    for (let i = 0; i < 50 && l2().length <= before; i++) {
      run.emu.step('kucoin', 10);
      await sleep(10);
    }
    const us = l2();
    const gaps = us.slice(1).map((m, i) => m.data.sequenceStart - ((us[i] as L2).data.sequenceEnd + 1)).filter((g) => g !== 0);
    expect(gaps).toEqual([10]);
  });

  it('Coinbase: sequence_num jumps on the connection', async () => {
    const r = await raw(`ws://127.0.0.1:${run.ports.coinbase}/`);
    r.send({ type: 'subscribe', product_ids: ['SKL-USD'], channel: 'level2' });
    type Env = { channel: string; sequence_num: number };
    const env = (): Env[] => r.json() as Env[];
    await r.until(() => env().some((e) => e.channel === 'l2_data'), 3000, 'snapshot');
    run.emu.step('coinbase', 2000);
    await r.until(() => env().filter((e) => e.channel === 'l2_data').length >= 3, 3000, 'l2 frames');
    await r.quiet();
    run.emu.skipSequence('coinbase', 'SKL/USD', 4);
    const before = env().length;
    for (let i = 0; i < 50 && env().length <= before; i++) {
      run.emu.step('coinbase', 200);
      await sleep(10);
    }
    const seqs = env().map((e) => e.sequence_num);
    expect(seqs[0]).toBe(0);
    const gaps = seqs.slice(1).map((n, i) => n - ((seqs[i] as number) + 1)).filter((g) => g !== 0);
    expect(gaps).toEqual([4]);
  });
});

describe('malformed frames', () => {
  it.each(['truncated', 'not_json', 'wrong_types'] as const)('%s frames reach the client and are counted', async (kind) => {
    const r = await binanceDepth('omgbusd');
    run.emu.step('binanceus', 60);
    await r.until(() => depthUpdates(r).length > 0, 3000, 'an update');
    const before = r.frames.length;
    const isBad = (f: string): boolean => f.includes('"NaN"') || !f.startsWith('{') || !f.endsWith('}');
    expect(run.emu.malformed('binanceus', kind, 2)).toBe(2);
    await r.until(() => r.frames.slice(before).filter(isBad).length === 2, 3000, 'malformed frames');
    const bad = r.frames.slice(before).filter(isBad);
    if (kind === 'wrong_types') {
      const m = JSON.parse(bad[0] as string) as { U: unknown; b: unknown };
      expect(typeof m.U).toBe('string');
    } else {
      for (const f of bad) expect(() => JSON.parse(f) as unknown).toThrow();
    }
    expect(await faultCount(run.registry, 'binanceus', 'ws_malformed')).toBe(2);
  });
});

describe('REST faults', () => {
  const url = (): string => `http://127.0.0.1:${run.ports.binanceus}/api/v3/time`;

  it('429 with Retry-After, then normal service', async () => {
    run.emu.armRest('binanceus', { kind: 'rest_429', retryAfterS: 7 }, 2);
    for (let i = 0; i < 2; i++) {
      const res = await fetch(url());
      expect(res.status).toBe(429);
      expect(res.headers.get('retry-after')).toBe('7');
      expect(await res.json()).toEqual({ code: -1003, msg: expect.stringContaining('Too many requests') as unknown });
    }
    expect((await fetch(url())).status).toBe(200);
    expect(await faultCount(run.registry, 'binanceus', 'rest_429')).toBe(2);
  });

  it("Binance's 418 ban, which ccxt reports as a DDoS protection error", async () => {
    run.emu.armRest('binanceus', { kind: 'rest_418', retryAfterS: 120 }, 1);
    const ex = client('binanceus', run.ports.binanceus);
    await expect(ex.fetchTime()).rejects.toThrow(/418|banned|DDoS|RateLimit/i);
    expect(await faultCount(run.registry, 'binanceus', 'rest_418')).toBe(1);
  });

  it('5xx on one path only, then normal service', async () => {
    run.emu.armRest('kucoin', { kind: 'rest_5xx', status: 503 }, 1, '/api/v1/timestamp');
    const ex = client('kucoin', run.ports.kucoin);
    const other = await fetch(`http://127.0.0.1:${run.ports.kucoin}/api/v2/symbols`);
    expect(other.status).toBe(200);
    await expect(ex.fetchTime()).rejects.toThrow(/Internal Server Error/);
    expect(await ex.fetchTime()).toBeGreaterThan(0);
    expect(await faultCount(run.registry, 'kucoin', 'rest_5xx')).toBe(1);
  });

  it('a delay holds the reply at least that long', async () => {
    run.emu.armRest('coinbase', { kind: 'rest_delay', delayMs: 300 }, 1);
    const t0 = Date.now();
    const res = await fetch(`http://127.0.0.1:${run.ports.coinbase}/api/v3/brokerage/time`);
    expect(res.status).toBe(200);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(290);
    expect(await faultCount(run.registry, 'coinbase', 'rest_delay')).toBe(1);
  });
});
