/**
 * Live-path memory (section "price-stream-live" of `make bench`): the built price-stream
 * (dist/main.js) with MARKET_SOURCE=ccxt (trades; LIVE_BOOK=false) against the venue emulator
 * serving BENCH_RSS_MARKETS synthetic markets on each of the three venues (1,002 feeds), replayed in
 * step with the wall clock at the captures' own rates. Once every feed has accepted a trade (from the
 * service's metrics, with a deadline) its RSS is sampled for RSS_SECONDS (peak) with its used heap.
 * The floor is the same binary with the replay source at real-time speed (idle), measured the same
 * way in the same run. Real MariaDB (a throw-away migrated database) and Redis, as the service runs.
 *
 * Each run goes once with the declared Node flags (SERVICES' --max-old-space-size: 1,002 feeds fill
 * that heap, and a run that dies of it is reported as such) and once without the heap cap.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { createLogger, SERVICES } from '@cte/shared';
import { benchRow as row, type BenchRow as Row } from '@cte/bench';
import { createTestDatabase, freePort, metricValue, serviceMainPath, startEmulatorProcess, type EmulatorProcess, type EmulatorVenue, type TestDatabase } from '@cte/testkit';
import { withCcxtNames } from './ccxt-path';

/** Synthetic markets per venue: 3 x 334 = 1,002 feeds. */
const MARKETS_PER_VENUE = Number(process.env.BENCH_RSS_MARKETS ?? 334);
const RSS_SECONDS = Number(process.env.RSS_SECONDS ?? 8);
const LIVE_TIMEOUT_MS = Number(process.env.BENCH_RSS_LIVE_TIMEOUT_MS ?? 180_000);
const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const MB = 2 ** 20;

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const DECLARED_FLAGS = SERVICES['price-stream'].nodeOptions.split(' ').filter(Boolean);

interface Svc {
  child: ChildProcess;
  httpUrl: string;
  apiKey: string;
  startedMs: number;
  logs(): string;
  stop(): Promise<void>;
}

/** price-stream's dist/main.js with the given Node flags (testkit's startService always uses the declared ones), up to /ready. */
async function startPriceStream(env: Record<string, string>, flags: readonly string[]): Promise<Svc> {
  const main = serviceMainPath('price-stream');
  if (!fs.existsSync(main)) throw new Error(`${main} missing: run make build first`);
  const httpPort = await freePort();
  const grpcPort = await freePort();
  const apiKey = randomBytes(24).toString('hex');
  const startedMs = Date.now();
  const child = spawn(process.execPath, [...flags, main], {
    env: { ...process.env, PRICE_STREAM_PORT: String(httpPort), PRICE_STREAM_GRPC_PORT: String(grpcPort), TRADING_API_KEY: apiKey, SHUTDOWN_DRAIN_DELAY_MS: '0', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  // Never outlive the bench (an error or exit mid-run would leave it running).
  const reap = (): void => void child.kill('SIGKILL');
  process.once('exit', reap);
  child.once('exit', () => process.off('exit', reap));
  let out = '';
  const keep = (d: Buffer): void => {
    out = (out + d.toString()).slice(-20_000);
  };
  child.stdout.on('data', keep);
  child.stderr.on('data', keep);
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const svc: Svc = {
    child,
    httpUrl: `http://127.0.0.1:${httpPort}`,
    apiKey,
    startedMs,
    logs: () => out,
    stop: async () => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      const killer = setTimeout(() => child.kill('SIGKILL'), 20_000);
      await exited;
      clearTimeout(killer);
    },
  };
  const deadline = Date.now() + 120_000;
  for (;;) {
    if (child.exitCode !== null || child.signalCode !== null) throw new Error(`price-stream exited (${child.exitCode ?? child.signalCode}) before ready:\n${out.slice(-3000)}`);
    try {
      if ((await fetch(`${svc.httpUrl}/ready`)).status === 200) return svc;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      await svc.stop();
      throw new Error(`price-stream not ready in 120 s:\n${out.slice(-3000)}`);
    }
    await sleep(200);
  }
}

const gone = (svc: Svc): boolean => svc.child.exitCode !== null || svc.child.signalCode !== null;

/** Resident set of a process from /proc (what the kernel charges it, as a container limit sees it). */
function rssBytes(pid: number): number {
  const m = /^VmRSS:\s+(\d+) kB$/m.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
  if (!m) throw new Error(`no VmRSS for pid ${pid}`);
  return Number(m[1]) * 1024;
}

async function metricsText(svc: Svc): Promise<string> {
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

/**
 * Peak RSS over RSS_SECONDS, and the used heap sampled every 2 s: its lowest sample is about the
 * live set (just after a collection), its highest what the collector lets accumulate.
 */
async function sample(svc: Svc): Promise<{ rssMb: number; heapMb: number; heapMaxMb: number }> {
  const pid = svc.child.pid;
  if (pid === undefined) throw new Error('price-stream has no pid');
  let peak = rssBytes(pid);
  const heap: number[] = [];
  const end = Date.now() + RSS_SECONDS * 1000;
  for (let i = 0; Date.now() < end; i++) {
    await sleep(250);
    if (gone(svc)) throw new DiedError(svc);
    peak = Math.max(peak, rssBytes(pid));
    if (i % 8 === 7) heap.push(metricValue(await metricsText(svc), 'nodejs_heap_size_used_bytes'));
  }
  heap.push(metricValue(await metricsText(svc), 'nodejs_heap_size_used_bytes'));
  return { rssMb: peak / MB, heapMb: Math.min(...heap) / MB, heapMaxMb: Math.max(...heap) / MB };
}

function baseEnv(db: TestDatabase): Record<string, string> {
  return { MYSQL_URL: db.url, REDIS_URL, BUS_NAMESPACE: `bench-live-${Math.random().toString(36).slice(2)}:`, LOG_LEVEL: 'error' };
}

/**
 * The env that makes price-stream follow every market the emulator lists on all three venues, each
 * filed under its own fleet symbol (the venue's initial before the base: S0001/USDT on KuCoin is
 * KS0001/USDT), so there are as many fleet symbols as feeds.
 */
export function liveServiceEnv(venues: readonly EmulatorVenue[]): Record<string, string> {
  // Trades only: live order books (LIVE_BOOK, on by default with ccxt) for 1,002 markets in real time are more than the emulator serves on 2 cores.
  const env: Record<string, string> = { MARKET_SOURCE: 'ccxt', LIVE_BOOK: 'false', EXCHANGES: venues.map((v) => v.venue).join(',') };
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
  heapMaxMb: number;
  feeds: number;
  sockets: number;
  /** From the start of the replay to every feed having accepted a trade. */
  liveAfterS: number;
}

type Sampled = Awaited<ReturnType<typeof sample>>;

/**
 * One live run: start, wait for the sockets, replay in real time until every feed has a trade,
 * sample. A process that exits on its own meanwhile throws DiedError (with the heap cap: an outcome).
 */
async function liveRun(emu: EmulatorProcess, pump: RealTimePump, venues: readonly EmulatorVenue[], db: TestDatabase, flags: readonly string[]): Promise<LiveRun> {
  const svc = await startPriceStream({ ...baseEnv(db), ...liveServiceEnv(venues) }, flags);
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
      // /metrics with 1,002 feeds is about a megabyte: not scraped more often than a Prometheus would.
      await sleep(2000);
    }
    const liveAfterS = (Date.now() - pumping) / 1000;
    return { ...(await sample(svc)), feeds: state.feeds, sockets, liveAfterS };
  } catch (err) {
    // A request that failed because the process died: give its exit a moment to be seen.
    for (let i = 0; i < 20 && !gone(svc); i++) await sleep(100);
    if (gone(svc)) throw new DiedError(svc);
    process.stderr.write(`price-stream output (tail):\n${svc.logs().slice(-3000)}\n`);
    throw err;
  } finally {
    await pump.stop();
    await svc.stop();
  }
}

/** The service exited on its own during a live run (with the heap cap: out of memory). */
class DiedError extends Error {
  constructor(readonly svc: Svc) {
    const oom = /heap out of memory|Reached heap limit/.test(svc.logs());
    super(`exited (${svc.child.exitCode ?? svc.child.signalCode})${oom ? ' out of heap' : ''} ${((Date.now() - svc.startedMs) / 1000).toFixed(0)} s after start`);
  }
}

async function idleReplayRun(db: TestDatabase, flags: readonly string[]): Promise<Sampled> {
  const svc = await startPriceStream({ ...baseEnv(db), MARKET_SOURCE: 'replay', REPLAY_SPEED: '1' }, flags);
  try {
    return await sample(svc);
  } finally {
    await svc.stop();
  }
}

/** Per-feed bytes of the bounded buffers once full (feed-capacity-child.ts), for the steady-state note. */
function feedCapacity(): Promise<{ tradesLimit: number; tradeCacheBytes: number; idWindow: number; idWindowBytes: number }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--expose-gc', path.join(__dirname, 'feed-capacity-child.js')], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.on('exit', (code) => {
      const m = /trades_limit=(\d+) trade_cache_bytes=(\d+) id_window=(\d+) id_window_bytes=(\d+)/.exec(out);
      if (code === 0 && m) resolve({ tradesLimit: Number(m[1]), tradeCacheBytes: Number(m[2]), idWindow: Number(m[3]), idWindowBytes: Number(m[4]) });
      else reject(new Error(`feed capacity child exited ${code}: ${out}`));
    });
  });
}

const mb = (xs: readonly number[]): string => xs.map((x) => x.toFixed(1)).join(', ');

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
    const uncapped: LiveRun[] = [];
    const idle: Sampled[] = [];
    const died: string[] = [];
    const declared = DECLARED_FLAGS.join(' ') || 'no flags';
    for (let i = 0; i < runs; i++) {
      idle.push(await idleReplayRun(db, DECLARED_FLAGS));
      // As deployed, with the declared heap cap: a run that dies of it is a result, reported as such.
      try {
        live.push(await liveRun(emu, pump, venues, db, DECLARED_FLAGS));
      } catch (err) {
        if (!(err instanceof DiedError)) throw err;
        died.push(err.message);
        if (!/out of heap/.test(err.message)) process.stderr.write(`price-stream output (tail):\n${err.svc.logs().slice(-3000)}\n`);
      }
      uncapped.push(await liveRun(emu, pump, venues, db, []));
    }
    const feeds = uncapped[0]!.feeds;
    const idleRss = idle.map((r) => r.rssMb);
    const rows: Row[] = [];
    if (live.length > 0) {
      rows.push(row(`price-stream peak RSS, MARKET_SOURCE=ccxt, ${feeds.toLocaleString('en-US')} live feeds on 3 venues (${declared})`, 'MB', live.map((r) => r.rssMb), 'same binary, replay source, idle', idleRss, '<= 256 MB (pod limit)', false));
      rows.push(row(`price-stream used heap, same (highest sample)`, 'MB', live.map((r) => r.heapMaxMb), 'same binary, replay source, idle', idle.map((r) => r.heapMaxMb), `< 96 MB (${declared})`, false));
    }
    rows.push(row(`price-stream peak RSS, MARKET_SOURCE=ccxt, ${feeds.toLocaleString('en-US')} live feeds, without the heap cap`, 'MB', uncapped.map((r) => r.rssMb), 'same binary, replay source, idle', idleRss, 'n/a (why the cap)', false));
    const cap = await feedCapacity();
    const perFeed = cap.tradeCacheBytes + cap.idWindowBytes;
    const notes = [
      `full per-feed buffers (not reached in a short run): ccxt trade cache ${(cap.tradeCacheBytes / 1024).toFixed(0)} KB (${cap.tradesLimit} trades) + TradeIdWindow ${(cap.idWindowBytes / 1024).toFixed(0)} KB (${cap.idWindow} ids) = ${(perFeed / 1024).toFixed(0)} KB; x ${feeds} feeds = ${((perFeed * feeds) / MB).toFixed(0)} MB of heap once every feed has seen ${cap.idWindow.toLocaleString('en-US')} trades`,
      `with ${declared}: ${live.length} of ${runs} runs measured${died.length > 0 ? `; ${died.length} ${died.join('; ')}` : ''}${live.length > 0 ? `; peak RSS MB ${mb(live.map((r) => r.rssMb))}, used heap MB ${live.map((r) => `${r.heapMb.toFixed(1)}-${r.heapMaxMb.toFixed(1)}`).join(', ')}` : ''}`,
      `without the cap: peak RSS MB ${mb(uncapped.map((r) => r.rssMb))}, used heap MB ${uncapped.map((r) => `${r.heapMb.toFixed(1)}-${r.heapMaxMb.toFixed(1)}`).join(', ')}; idle replay: RSS MB ${mb(idleRss)}`,
      `${feeds} feeds (${emu.venues.map((v) => `${v.venue} ${v.markets.length}`).join(', ')}), one fleet symbol each, over ${uncapped[0]!.sockets} venue sockets; every feed had a trade ${[...live, ...uncapped].map((r) => r.liveAfterS.toFixed(1)).join(', ')} s after the real-time replay started`,
    ];
    return { rows, notes, extra: { rss_markets_per_venue: MARKETS_PER_VENUE, rss_feeds: feeds, rss_seconds: RSS_SECONDS, rss_runs_died_with_declared_flags: died, full_feed_buffers_bytes_per_feed: perFeed } };
  } catch (err) {
    if (emu) process.stderr.write(`venue emulator output (tail):\n${emu.logs().slice(-3000)}\n`);
    throw err;
  } finally {
    await emu?.stop();
    await db.drop();
  }
}
