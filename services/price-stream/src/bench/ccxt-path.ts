/**
 * Live-path throughput (section "price-stream-live" of `make bench`): trades per second from the
 * venue emulator (a child process, replay stepped through its admin API as fast as it answers)
 * through ccxt.pro `watchTrades` and CcxtSource (boundary checks, dedupe by trade id) into the
 * engine, for the three venues at once. Next to it, in the same run:
 *  - the floor: the same emulator pushing the same kind of load to a raw WebSocket client that only
 *    counts trade frames (RawWsCounter), i.e. what the emulator can send at all;
 *  - the replay path: ReplaySource over the bundled files into the same engine sink.
 * A rate is trades received after the first advance divided by the time from the first advance to
 * the last trade received, so waiting for the stream to go quiet does not count.
 */
import { createLogger, type Logger, type Tick } from '@cte/shared';
import { benchRow as row, type BenchRow as Row } from '@cte/bench';
import { DEFAULT_REPLAY_FILES, type LiveConfig, type LiveExchangeId } from '../config';
import { MarketDataEngine } from '../engine/market-data-engine';
import { CcxtSource } from '../adapters/sources/ccxt-source';
import { ReplaySource } from '../adapters/sources/replay-source';
import { startEmulatorProcess, type EmulatorProcess, type EmulatorVenue } from '@cte/testkit';
import { RawWsCounter } from './raw-ws-counter';

const TIMEFRAMES = ['1m', '5m', '15m', '1h', '4h', '1d'] as const;
/** Replay events per venue per measured run, stepped BATCH at a time. */
const EVENTS = Number(process.env.BENCH_LIVE_EVENTS ?? 60_000);
const BATCH = Number(process.env.BENCH_LIVE_BATCH ?? 1000);
/** Warm-up per consumer: JIT, connections and subscriptions, not measured. */
const WARMUP_EVENTS = 5000;
const REPLAY_TICKS = Number(process.env.BENCH_REPLAY_TICKS ?? 500_000);
/** The stream counts as finished once no trade arrived for this long after the last advance. */
const QUIET_MS = 500;
/**
 * The emulator replays far faster than real time, so trade times run ahead of the wall clock (each
 * replay lap adds the capture's span). CcxtSource rejects trades more than 5 minutes in the future;
 * its clock (replaceable for tests and here) is moved ahead so the bench measures accepted trades.
 */
const CLOCK_AHEAD_MS = 365 * 86_400_000;

/** What marks one trade in a venue's frames (one per frame, except Coinbase snapshots). */
const TRADE_MARKER: Record<LiveExchangeId, string> = {
  binanceus: '"e":"aggTrade"',
  coinbase: '"trade_id"',
  kucoin: '"subject":"trade.l3match"',
};

const seconds = (startNs: bigint, endNs: bigint): number => Number(endNs - startNs) / 1e9;
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** The sink price-stream's ingest puts around the engine, less its I/O: every tick aggregated, prices conflated. */
function engineSink(engine: MarketDataEngine): { sink: (t: Tick) => void; count: () => number; lastNs: () => bigint } {
  let n = 0;
  let last = 0n;
  return {
    sink: (t: Tick) => {
      engine.onTick(t);
      if (++n % 10_000 === 0) engine.conflator.drain();
      last = process.hrtime.bigint();
    },
    count: () => n,
    lastNs: () => last,
  };
}

/** Waits until `count` has not moved for QUIET_MS (the stream has drained), with a deadline. */
async function settle(what: string, count: () => number, timeoutMs = 180_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last = count();
  let since = Date.now();
  for (;;) {
    await sleep(50);
    const n = count();
    if (n !== last) {
      last = n;
      since = Date.now();
    } else if (Date.now() - since >= QUIET_MS) return;
    if (Date.now() > deadline) throw new Error(`${what}: still receiving after ${timeoutMs} ms`);
  }
}

/** Steps every venue's replay `events` events, BATCH at a time, each step once the previous was answered. */
async function drive(emu: EmulatorProcess, events: number): Promise<void> {
  for (let done = 0; done < events; done += BATCH) await emu.advance(Math.min(BATCH, events - done));
}

async function sumFrames(emu: EmulatorProcess): Promise<number> {
  return Object.values(await emu.framesSent()).reduce((a, b) => a + b, 0);
}

/** One raw client per venue, subscribed to the trades of every market it lists. */
async function openRawClients(venues: readonly EmulatorVenue[]): Promise<RawWsCounter[]> {
  const clients: RawWsCounter[] = [];
  try {
    for (const v of venues) {
      const marker = TRADE_MARKER[v.venue];
      if (v.venue === 'binanceus') {
        const c = await RawWsCounter.connect(`ws://127.0.0.1:${v.port}/ws`, marker);
        clients.push(c);
        const acked = c.waitForText('"id":1');
        c.send(JSON.stringify({ method: 'SUBSCRIBE', params: v.markets.map((m) => `${m.replace('/', '').toLowerCase()}@aggTrade`), id: 1 }));
        await acked;
      } else if (v.venue === 'coinbase') {
        const c = await RawWsCounter.connect(`ws://127.0.0.1:${v.port}/`, marker);
        clients.push(c);
        const acked = c.waitForText('"subscriptions"');
        c.send(JSON.stringify({ type: 'subscribe', product_ids: v.markets.map((m) => m.replace('/', '-')), channel: 'market_trades' }));
        await acked;
      } else {
        const res = await fetch(`http://127.0.0.1:${v.port}/api/v1/bullet-public`, { method: 'POST' });
        const bullet = (await res.json()) as { data?: { token?: string; instanceServers?: { endpoint?: string }[] } };
        const endpoint = bullet.data?.instanceServers?.[0]?.endpoint;
        const token = bullet.data?.token;
        if (typeof endpoint !== 'string' || typeof token !== 'string') throw new Error('kucoin bullet-public: no endpoint or token');
        const c = await RawWsCounter.connect(`${endpoint}?token=${encodeURIComponent(token)}&connectId=bench`, marker);
        clients.push(c);
        const acked = c.waitForText('"ack"');
        c.send(JSON.stringify({ id: '1', type: 'subscribe', topic: `/market/match:${v.markets.map((m) => m.replace('/', '-')).join(',')}`, response: true }));
        await acked;
      }
    }
    return clients;
  } catch (err) {
    for (const c of clients) c.close();
    throw err;
  }
}

export interface PathRun {
  tradesPerS: number;
  trades: number;
  /** Emulator frames sent during the measured window (all venues). */
  frames: number;
  /** ccxt only: trades dropped at the boundary (rejected or duplicate). */
  dropped: number;
  /** Trades received per venue. */
  byVenue: Record<string, number>;
}

/** The floor: the emulator's send rate to raw counting clients (which speak the venues' own names). */
async function floorRun(emu: EmulatorProcess): Promise<PathRun> {
  const clients = await openRawClients(emu.venues);
  const total = (): number => clients.reduce((a, c) => a + c.trades, 0);
  try {
    await drive(emu, WARMUP_EVENTS);
    await settle('floor warm-up', total);
    for (const c of clients) c.reset();
    const frames0 = await sumFrames(emu);
    const t0 = process.hrtime.bigint();
    await drive(emu, EVENTS);
    await settle('floor run', total);
    const last = clients.reduce((m, c) => (c.lastTradeNs > m ? c.lastTradeNs : m), 0n);
    const trades = total();
    const byVenue = Object.fromEntries(emu.venues.map((v, i) => [v.venue, clients[i]!.trades]));
    return { tradesPerS: trades / seconds(t0, last), trades, frames: (await sumFrames(emu)) - frames0, dropped: 0, byVenue };
  } finally {
    for (const c of clients) c.close();
  }
}

/** Every market the emulator lists, under its own name as the symbol (unified ccxt names are resolved by `withCcxtNames`). */
export function liveConfigFor(venues: readonly EmulatorVenue[]): LiveConfig {
  return {
    exchanges: venues.map((v) => ({
      id: v.venue,
      symbols: v.markets.map((m) => ({ venue: m, symbol: m })),
      symbolsVar: 'bench',
      baseUrl: `http://127.0.0.1:${v.port}`,
    })),
    staleMs: 60_000,
    reconnectBaseMs: 500,
    reconnectMaxMs: 30_000,
  };
}

/**
 * The emulator's markets under the names ccxt gives them: ccxt renames some currencies (KuCoin's
 * BCHSV is BSV/USDT to ccxt), and SYMBOLS_<EXCHANGE> takes ccxt's name. Markets are loaded through
 * the clients CcxtSource builds, so the mapping is the one the service sees.
 */
export async function withCcxtNames(venues: readonly EmulatorVenue[], logger: Logger): Promise<EmulatorVenue[]> {
  const probe = new CcxtSource({ live: liveConfigFor(venues), logger });
  try {
    const out: EmulatorVenue[] = [];
    for (const v of venues) {
      const ex = probe.client(v.venue);
      if (!ex) throw new Error(`no ccxt client for ${v.venue}`);
      await ex.loadHttpProxyAgent();
      const markets = await ex.loadMarkets();
      const byIds = new Map(Object.values(markets).map((m) => [`${m?.baseId ?? ''}/${m?.quoteId ?? ''}`, m?.symbol]));
      out.push({ ...v, markets: v.markets.map((m) => byIds.get(m) ?? m) });
    }
    return out;
  } finally {
    probe.stop();
  }
}

/** The ccxt path: CcxtSource as price-stream builds it, into the engine. */
async function ccxtRun(emu: EmulatorProcess, venues: readonly EmulatorVenue[], logger: Logger): Promise<PathRun> {
  const source = new CcxtSource({ live: liveConfigFor(venues), logger, clock: () => Date.now() + CLOCK_AHEAD_MS });
  const s = engineSink(new MarketDataEngine(TIMEFRAMES));
  const dropped = (): number => source.health().reduce((a, f) => a + f.rejected + f.duplicates, 0);
  await source.connect();
  const running = source.run(s.sink);
  try {
    // Warm up until every venue has delivered (its subscriptions are live), then let the stream go quiet.
    const deadline = Date.now() + 60_000;
    for (;;) {
      await drive(emu, WARMUP_EVENTS);
      await settle('ccxt warm-up', s.count);
      const silent = emu.venues.filter((v) => !source.health().some((f) => f.exchange === v.venue && f.accepted > 0)).map((v) => v.venue);
      if (silent.length === 0) break;
      if (Date.now() > deadline) throw new Error(`ccxt path: no trade from ${silent.join(', ')} after warm-up`);
    }
    const perVenue = (): Record<string, number> => {
      const out: Record<string, number> = {};
      for (const f of source.health()) out[f.exchange] = (out[f.exchange] ?? 0) + f.accepted;
      return out;
    };
    const v0 = perVenue();
    const n0 = s.count();
    const d0 = dropped();
    const frames0 = await sumFrames(emu);
    const t0 = process.hrtime.bigint();
    await drive(emu, EVENTS);
    await settle('ccxt run', s.count);
    const trades = s.count() - n0;
    const byVenue = Object.fromEntries(Object.entries(perVenue()).map(([k, n]) => [k, n - (v0[k] ?? 0)]));
    return { tradesPerS: trades / seconds(t0, s.lastNs()), trades, frames: (await sumFrames(emu)) - frames0, dropped: dropped() - d0, byVenue };
  } finally {
    source.stop();
    await running;
  }
}

/** The replay path: ReplaySource (bundled minute bars as ticks, as fast as possible) into the same sink. */
async function replayRun(logger: Logger): Promise<number> {
  const source = new ReplaySource({ files: DEFAULT_REPLAY_FILES, speed: 0, loop: true, symbols: [], exchange: 'coinbase', logger });
  const s = engineSink(new MarketDataEngine(TIMEFRAMES));
  const t0 = process.hrtime.bigint();
  await source.run((t) => {
    s.sink(t);
    if (s.count() >= REPLAY_TICKS) source.stop();
  });
  return s.count() / seconds(t0, s.lastNs());
}

const range = (xs: readonly number[]): string => `${Math.round(Math.min(...xs)).toLocaleString('en-US')}–${Math.round(Math.max(...xs)).toLocaleString('en-US')}`;

export async function benchLivePath(runs: number): Promise<{ rows: Row[]; notes: string[]; extra: Record<string, unknown> }> {
  const logger = createLogger({ service: 'bench', level: 'error' });
  const emu = await startEmulatorProcess();
  const floor: PathRun[] = [];
  const ccxt: PathRun[] = [];
  const replay: number[] = [];
  try {
    const named = await withCcxtNames(emu.venues, logger);
    for (let i = 0; i < runs; i++) {
      floor.push(await floorRun(emu));
      ccxt.push(await ccxtRun(emu, named, logger));
      replay.push(await replayRun(logger));
    }
  } catch (err) {
    process.stderr.write(`venue emulator output (tail):\n${emu.logs().slice(-3000)}\n`);
    throw err;
  } finally {
    await emu.stop();
  }
  const markets = emu.venues.map((v) => `${v.venue} ${v.markets.length}`).join(', ');
  const floorRates = floor.map((r) => r.tradesPerS);
  const ccxtRates = ccxt.map((r) => r.tradesPerS);
  const rows = [
    row(`live: emulator -> ccxt.pro watchTrades -> CcxtSource -> engine (${markets} markets)`, 'trades/s', ccxtRates, 'emulator -> raw WS client that counts', floorRates, 'n/a (shows ccxt cost)'),
    row('replay: ReplaySource (bundled files, speed 0) -> same engine sink', 'ticks/s', replay, 'emulator -> raw WS client that counts', floorRates, 'n/a (for comparison)'),
  ];
  const sum = (xs: readonly PathRun[], k: 'trades' | 'frames' | 'dropped'): number => xs.reduce((a, r) => a + r[k], 0);
  const venueShare = (xs: readonly PathRun[]): string =>
    emu.venues.map((v) => `${v.venue} ${xs.reduce((a, r) => a + (r.byVenue[v.venue] ?? 0), 0)}`).join(', ');
  const notes = [
    `live ccxt trades/s: min–max ${range(ccxtRates)}; floor: ${range(floorRates)}; replay ticks/s: ${range(replay)}`,
    `ccxt path / replay path (medians): ${((rows[0]!.median / rows[1]!.median) * 100).toFixed(1)}%`,
    `trades per venue, all runs: raw client ${venueShare(floor)}; ccxt ${venueShare(ccxt)}`,
    `delivered: raw client ${sum(floor, 'trades')} trades of ${sum(floor, 'frames')} frames sent; ccxt ${sum(ccxt, 'trades')} trades of ${sum(ccxt, 'frames')} frames sent, ${sum(ccxt, 'dropped')} dropped at the boundary`,
  ];
  return { rows, notes, extra: { live_events_per_venue_per_run: EVENTS, live_batch: BATCH, replay_ticks_per_run: REPLAY_TICKS, venues: emu.venues.map((v) => ({ venue: v.venue, markets: v.markets.length })) } };
}
