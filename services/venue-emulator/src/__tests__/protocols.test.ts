/**
 * Protocol details ccxt does not exercise: Coinbase's candles and heartbeats channels, Binance's
 * combined streams, KuCoin's ping/pong and token check, error replies to bad subscriptions, and
 * replay driven by the wall clock at a speed.
 */
import { startEmulator, type RunningEmulator } from './helpers/emulator';
import { RawClient, RawClients } from './helpers/raw-ws';

let run: RunningEmulator;
const raws = new RawClients();
const raw = (url: string): Promise<RawClient> => raws.open(url);
afterEach(async () => {
  raws.closeAll();
  await run.close();
});
type Env = { channel: string; events: Record<string, unknown>[] };

describe('manual replay', () => {
  beforeEach(async () => {
    run = await startEmulator({ heartbeatMs: 50 });
  });

  it('Coinbase: heartbeats every interval and candles built from the replayed trades', async () => {
    const r = await raw(`ws://127.0.0.1:${run.ports.coinbase}/`);
    r.send({ type: 'subscribe', product_ids: ['SKL-USD'], channel: 'heartbeats' });
    r.send({ type: 'subscribe', product_ids: ['SKL-USD'], channel: 'candles' });
    const env = (ch: string): Env[] => (r.json() as Env[]).filter((e) => e.channel === ch);
    await r.until(() => env('heartbeats').length >= 2, 3000, 'heartbeats');
    const counters = env('heartbeats').map((e) => Number(e.events[0]?.['heartbeat_counter']));
    expect(counters.slice(0, 2)).toEqual([1, 2]);
    run.emu.step('coinbase', 10_000);
    const mine = run.emu.venue('coinbase')?.state.market('SKL/USD')?.candles(300_000).at(-1);
    const expected = { start: String((mine?.start ?? 0) / 1000), high: mine?.high, low: mine?.low, open: mine?.open, close: mine?.close, volume: mine?.volume, product_id: 'SKL-USD' };
    const lastUpdate = (): Record<string, string> | undefined => (env('candles').filter((e) => e.events[0]?.['type'] === 'update').at(-1)?.events[0]?.['candles'] as Record<string, string>[] | undefined)?.[0];
    // Updates are still on their way when step() returns: wait for the one of the final state.
    const canonical = (o: object | undefined): string => JSON.stringify(Object.entries(o ?? {}).sort());
    await r.until(() => canonical(lastUpdate()) === canonical(expected), 3000, 'the candle update of the replayed state');
    expect(lastUpdate()).toEqual(expected);
  });

  it('Coinbase: unknown channels and products get an error message', async () => {
    const r = await raw(`ws://127.0.0.1:${run.ports.coinbase}/`);
    r.send({ type: 'subscribe', product_ids: ['SKL-USD'], channel: 'full' });
    r.send({ type: 'subscribe', product_ids: ['BTC-XYZ'], channel: 'ticker' });
    r.send('not json');
    await r.until(() => r.frames.length >= 3, 3000, 'errors');
    expect((r.json() as { type: string }[]).map((m) => m.type)).toEqual(['error', 'error', 'error']);
  });

  it('Binance: a combined stream wraps frames as {stream, data}; bad requests get an error with their id', async () => {
    const r = await raw(`ws://127.0.0.1:${run.ports.binanceus}/stream?streams=omgbusd@depth@100ms/omgbusd@aggTrade`);
    run.emu.step('binanceus', 347);
    await r.until(() => (r.json() as { stream: string }[]).some((m) => m.stream === 'omgbusd@aggTrade'), 3000, 'an aggTrade');
    const streams = new Set((r.json() as { stream: string }[]).map((m) => m.stream));
    expect([...streams].sort()).toEqual(['omgbusd@aggTrade', 'omgbusd@depth@100ms']);
    r.send({ method: 'SUBSCRIBE', params: ['nosuch@trade'], id: 9 });
    r.send({ method: 'LIST_SUBSCRIPTIONS', id: 10 });
    const replies = (): { id: number; error?: unknown; result?: unknown }[] => r.json().filter((m): m is { id: number } => typeof (m as { id?: unknown }).id === 'number');
    await r.until(() => replies().length >= 2, 3000, 'replies');
    expect(replies()[0]?.id).toBe(9);
    expect(replies()[0]?.error).toBeDefined();
    expect(replies()[1]).toEqual({ result: ['omgbusd@depth@100ms', 'omgbusd@aggTrade'], id: 10 });
  });

  it('KuCoin: the endpoint needs a bullet token; ping gets pong', async () => {
    await expect(RawClient.open(`ws://127.0.0.1:${run.ports.kucoin}/endpoint?token=forged`)).rejects.toThrow(/404/);
    const bullet = (await (await fetch(`http://127.0.0.1:${run.ports.kucoin}/api/v1/bullet-public`, { method: 'POST' })).json()) as {
      data: { token: string; instanceServers: { endpoint: string; pingInterval: number }[] };
    };
    const server = bullet.data.instanceServers[0];
    expect(server?.endpoint).toBe(`ws://127.0.0.1:${run.ports.kucoin}/endpoint`);
    const r = await raw(`${server?.endpoint}?token=${bullet.data.token}&connectId=abc`);
    r.send({ id: 'p1', type: 'ping' });
    await r.until(() => r.frames.length >= 2, 3000, 'welcome and pong');
    expect((r.json()[1] as { id: string; type: string }).type).toBe('pong');
    expect((r.json()[1] as { id: string }).id).toBe('p1');
  });
});

describe('replay at a speed', () => {
  it('sends the capture by the wall clock', async () => {
    run = await startEmulator({ speed: 50, venues: ['kucoin'] });
    const r = await raw(`ws://127.0.0.1:${run.ports.kucoin}/endpoint?token=emulator-public-x`);
    r.send({ id: 1, type: 'subscribe', topic: '/market/level2:BCHSV-USDT', response: true });
    // 30 s of capture at 50x: updates arrive within a second, with nothing stepped by hand.
    await r.until(() => r.json().filter((m) => (m as { subject?: string }).subject === 'trade.l2update').length >= 5, 5000, 'updates');
    expect(run.emu.info()[0]?.replayed).toBeGreaterThan(0);
  });
});
