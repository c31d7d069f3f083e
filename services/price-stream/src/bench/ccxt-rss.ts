/**
 * Live-path memory (section "price-stream-live" of `make bench`): the built price-stream
 * (dist/main.js, with its declared Node flags) with MARKET_SOURCE=ccxt against the venue emulator
 * serving BENCH_RSS_MARKETS synthetic markets on each of the three venues (1,002 feeds), replayed in
 * step with the wall clock at the captures' own rates. Once every feed has accepted a trade (from the
 * service's metrics, with a deadline) its RSS is sampled for RSS_SECONDS (peak) and its used heap read
 * at the end. The floor is the same binary with the
 * replay source at real-time speed (idle), measured the same way in the same run. Real MariaDB
 * (a throw-away migrated database) and Redis, as the service runs.
 */
import fs from 'node:fs';
import { createLogger, SERVICES } from '@cte/shared';
import { benchRow as row, type BenchRow as Row } from '@cte/bench';
import { createTestDatabase, metricValue, startService, type RunningService, type TestDatabase } from '@cte/testkit';
import { withCcxtNames } from './ccxt-path';
import { startEmulatorProcess, type EmulatorProcess, type EmulatorVenue } from './emulator-process';

/** Synthetic markets per venue: 3 x 334 = 1,002 feeds. */
const MARKETS_PER_VENUE = Number(process.env.BENCH_RSS_MARKETS ?? 334);
const RSS_SECONDS = Number(process.env.RSS_SECONDS ?? 8);
const LIVE_TIMEOUT_MS = Number(process.env.BENCH_RSS_LIVE_TIMEOUT_MS ?? 180_000);
const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const MB = 2 ** 20;

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Resident set of a process from /proc (what the kernel charges it, as a container limit sees it). */
function rssBytes(pid: number): number {
  const m = /^VmRSS:\s+(\d+) kB$/m.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
  if (!m) throw new Error(`no VmRSS for pid ${pid}`);
  return Number(m[1]) * 1024;
}

async function metricsText(svc: RunningService): Promise<string> {
  const res = await fetch(`${svc.httpUrl}/metrics`, { headers: { 'X-TRADING-API-KEY': svc.apiKey } });
  if (res.status !== 200) throw new Error(`price-stream /metrics: HTTP ${res.status}`);
  return res.text();
}

/** Feeds (cte_feed_trades_total series) and how many of them have accepted at least one trade. */
function liveFeeds(metrics: string): { feeds: number; live: number } {
  let feeds = 0;
  let live = 0;
  for (const m of metrics.matchAll(/^cte_feed_trades_total\{[^}]*\} (\S+)$/gm)) {
    feeds++;
    if (Number(m[1]) >= 1) live++;
  }
  return { feeds, live };
}

/** Peak RSS over RSS_SECONDS and the used heap at the end. */
async function sample(svc: RunningService): Promise<{ rssMb: number; heapMb: number }> {
  const pid = svc.child.pid;
  if (pid === undefined) throw new Error('price-stream has no pid');
  let peak = rssBytes(pid);
  const end = Date.now() + RSS_SECONDS * 1000;
  while (Date.now() < end) {
    await sleep(250);
    if (svc.child.exitCode !== null) throw new Error(`price-stream exited with ${svc.child.exitCode} while measured:\n${svc.logs().slice(-3000)}`);
    peak = Math.max(peak, rssBytes(pid));
  }
  const heap = metricValue(await metricsText(svc), 'nodejs_heap_size_used_bytes');
  return { rssMb: peak / MB, heapMb: heap / MB };
}

function baseEnv(db: TestDatabase): Record<string, string> {
  return { MYSQL_URL: db.url, REDIS_URL, BUS_NAMESPACE: `bench-live-${Math.random().toString(36).slice(2)}:`, LOG_LEVEL: 'warn' };
}

/**
 * The env that makes price-stream follow every market the emulator lists on all three venues, each
 * filed under its own fleet symbol (the venue's initial before the base: S0001/USDT on KuCoin is
 * KS0001/USDT), so there are as many fleet symbols as feeds.
 */
export function liveServiceEnv(venues: readonly EmulatorVenue[]): Record<string, string> {
  const env: Record<string, string> = { MARKET_SOURCE: 'ccxt', EXCHANGES: venues.map((v) => v.venue).join(',') };
  const fleet: string[] = [];
  for (const v of venues) {
    const upper = v.venue.toUpperCase();
    const items = v.markets.map((m) => {
      const symbol = `${upper[0]}${m}`;
      fleet.push(symbol);
      return `${m}=${symbol}`;
    });
    env[`SYMBOLS_${upper}`] = items.join(',');
    env[`VENUE_URL_${upper}`] = `http://127.0.0.1:${v.port}`;
  }
  env['TRADABLE_SYMBOLS'] = fleet.sort().join(',');
  return env;
}

/**
 * Replays the emulator (manual mode) in step with the wall clock, every 100 ms, from where the
 * last run left it, so trades arrive at the captures' own rates and never with a future time (the
 * replay started before this run). Starting from where it was, not from "now", avoids a burst of
 * everything the emulator would have replayed while nobody was listening.
 */
class RealTimePump {
  /** Milliseconds of replay time handed out so far. */
  private positionMs = 0;
  private running: Promise<void> | undefined;
  private stopped = false;

  constructor(private readonly emu: EmulatorProcess) {}

  start(): void {
    this.stopped = false;
    const from = this.positionMs;
    const t0 = Date.now();
    this.running = (async () => {
      while (!this.stopped) {
        const to = from + (Date.now() - t0);
        await this.emu.advanceToMs(to);
        this.positionMs = to;
        await sleep(100);
      }
    })();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await this.running;
  }
}

/** Waits until each venue has a socket open and the count has not changed for 2 s (every watch has subscribed). */
async function waitForSockets(emu: EmulatorProcess, timeoutMs = 60_000): Promise<number> {
  const deadline = Date.now() + timeoutMs;
  let last = '';
  let since = Date.now();
  for (;;) {
    const info = (await emu.info()) as { venues: { venue: string; connections: number }[] };
    const key = info.venues.map((v) => v.connections).join(',');
    if (key !== last) {
      last = key;
      since = Date.now();
    } else if (info.venues.every((v) => v.connections > 0) && Date.now() - since >= 2000) return info.venues.reduce((a, v) => a + v.connections, 0);
    if (Date.now() > deadline) throw new Error(`venue sockets not settled: ${key}`);
    await sleep(200);
  }
}

interface LiveRun {
  rssMb: number;
  heapMb: number;
  feeds: number;
  sockets: number;
  /** From the start of the first replayed data to every feed having accepted a trade. */
  liveAfterS: number;
}

async function liveRun(emu: EmulatorProcess, pump: RealTimePump, venues: readonly EmulatorVenue[], db: TestDatabase): Promise<LiveRun> {
  const svc = await startService('price-stream', { env: { ...baseEnv(db), ...liveServiceEnv(venues) }, readyTimeoutMs: 120_000 });
  try {
    const sockets = await waitForSockets(emu);
    const pumping = Date.now();
    pump.start();
    const deadline = Date.now() + LIVE_TIMEOUT_MS;
    let state = { feeds: 0, live: 0 };
    for (;;) {
      state = liveFeeds(await metricsText(svc));
      if (state.feeds > 0 && state.live === state.feeds) break;
      if (Date.now() > deadline) throw new Error(`only ${state.live} of ${state.feeds} feeds had a trade after ${LIVE_TIMEOUT_MS} ms`);
      await sleep(500);
    }
    const liveAfterS = (Date.now() - pumping) / 1000;
    return { ...(await sample(svc)), feeds: state.feeds, sockets, liveAfterS };
  } catch (err) {
    process.stderr.write(`price-stream output (tail):\n${svc.logs().slice(-3000)}\n`);
    throw err;
  } finally {
    await pump.stop();
    await svc.stop();
  }
}

async function idleReplayRun(db: TestDatabase): Promise<{ rssMb: number; heapMb: number }> {
  const svc = await startService('price-stream', { env: { ...baseEnv(db), MARKET_SOURCE: 'replay', REPLAY_SPEED: '1' } });
  try {
    return await sample(svc);
  } finally {
    await svc.stop();
  }
}

export async function benchLiveRss(runs: number): Promise<{ rows: Row[]; notes: string[]; extra: Record<string, unknown> }> {
  const logger = createLogger({ service: 'bench', level: 'warn' });
  const db = await createTestDatabase(logger);
  let emu: EmulatorProcess | undefined;
  try {
    // Synthetic markets only (each derived from a captured market that trades), replayed by hand.
    emu = await startEmulatorProcess({ VENUE_EMULATOR_SYNTHETIC_MARKETS: String(MARKETS_PER_VENUE), VENUE_EMULATOR_CAPTURES: 'false' });
    const venues = await withCcxtNames(emu.venues, logger);
    const pump = new RealTimePump(emu);
    const live: LiveRun[] = [];
    const idle: { rssMb: number; heapMb: number }[] = [];
    for (let i = 0; i < runs; i++) {
      idle.push(await idleReplayRun(db));
      live.push(await liveRun(emu, pump, venues, db));
    }
    const feeds = live[0]!.feeds;
    const flags = SERVICES['price-stream'].nodeOptions || 'no flags';
    const rows = [
      row(`price-stream peak RSS, MARKET_SOURCE=ccxt, ${feeds.toLocaleString('en-US')} live feeds on 3 venues (${flags})`, 'MB', live.map((r) => r.rssMb), 'same binary, replay source, idle', idle.map((r) => r.rssMb), '<= 256 MB (pod limit)', false),
      row('price-stream used heap, same', 'MB', live.map((r) => r.heapMb), 'same binary, replay source, idle', idle.map((r) => r.heapMb), 'n/a (heap cap 96 MB)', false),
    ];
    const notes = [
      `live RSS MB per run: ${live.map((r) => r.rssMb.toFixed(1)).join(', ')}; idle: ${idle.map((r) => r.rssMb.toFixed(1)).join(', ')}; live heap MB: ${live.map((r) => r.heapMb.toFixed(1)).join(', ')}`,
      `${feeds} feeds (${emu.venues.map((v) => `${v.venue} ${v.markets.length}`).join(', ')}), one fleet symbol each, over ${live[0]!.sockets} venue sockets; every feed had a trade ${live.map((r) => r.liveAfterS.toFixed(1)).join(', ')} s after the replay started`,
    ];
    return { rows, notes, extra: { rss_markets_per_venue: MARKETS_PER_VENUE, rss_feeds: feeds, rss_seconds: RSS_SECONDS } };
  } catch (err) {
    if (emu) process.stderr.write(`venue emulator output (tail):\n${emu.logs().slice(-3000)}\n`);
    throw err;
  } finally {
    await emu?.stop();
    await db.drop();
  }
}
