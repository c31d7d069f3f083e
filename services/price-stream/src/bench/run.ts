#!/usr/bin/env node
/**
 * price-stream benchmarks (`make bench`). Prints a table and writes bench-results.json.
 * Each figure is the median of several runs, shown next to a floor measured in the same
 * run on the same machine, so a reader sees how close to the limit the code is.
 */
import { spawn } from 'node:child_process';
import Redis from 'ioredis';
import path from 'node:path';
import { createLogger, RedisBus, SERVICES } from '@cte/shared';
import { benchRow as row, reportBench, type BenchRow as Row } from '@cte/bench';
import { MarketDataEngine } from '../engine/market-data-engine';
import { tickChannel } from '../adapters/channels';
import { toPriceMessage } from '../adapters/dto/messages';
import { makeTickMessages, parseTickMessage } from './workload';
import { benchLive, benchSelected } from './live';

const RUNS = Number(process.env.BENCH_RUNS ?? 5);
const TICKS = Number(process.env.BENCH_TICKS ?? 1_000_000);
const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const TIMEFRAMES = ['1m', '5m', '15m', '1h', '4h', '1d'] as const;

const seconds = (start: bigint): number => Number(process.hrtime.bigint() - start) / 1e9;

function benchParseFloor(messages: string[]): number {
  const start = process.hrtime.bigint();
  let sink = 0;
  for (const m of messages) sink += (JSON.parse(m) as { ts: number }).ts;
  if (sink === 42) console.log('');
  return messages.length / seconds(start);
}

function benchEngineIngest(messages: string[]): number {
  const engine = new MarketDataEngine(TIMEFRAMES);
  const start = process.hrtime.bigint();
  let n = 0;
  for (const m of messages) {
    engine.onTick(parseTickMessage(m));
    if (++n % 10_000 === 0) engine.conflator.drain();
  }
  return messages.length / seconds(start);
}

/** Raw ioredis PUBLISH of a pre-serialised ~200-byte message, 1,000 in flight: what Redis itself allows. */
async function benchRedisPublishFloor(redis: Redis, payload: string, count: number): Promise<number> {
  const start = process.hrtime.bigint();
  for (let i = 0; i < count; i += 1000) {
    const batch: Promise<number>[] = [];
    for (let j = 0; j < 1000; j++) batch.push(redis.publish('bench.floor', payload));
    await Promise.all(batch);
  }
  return count / seconds(start);
}

/** Engine + conflated publish of prices every `conflateMs` and of every closed bar, as the service does. */
async function benchIngestWithPublish(bus: RedisBus, messages: string[], conflateMs: number): Promise<{ ticksPerS: number; published: number }> {
  const engine = new MarketDataEngine(TIMEFRAMES);
  const inFlight: Promise<void>[] = [];
  let published = 0;
  const flush = () => {
    for (const t of engine.conflator.drain()) {
      inFlight.push(bus.publish(tickChannel(t.symbol), { type: 'tick', data: toPriceMessage(t) }));
      published++;
    }
  };
  const timer = setInterval(flush, conflateMs);
  const start = process.hrtime.bigint();
  for (let i = 0; i < messages.length; i++) {
    const { bars } = engine.onTick(parseTickMessage(messages[i]!));
    for (const b of bars) {
      inFlight.push(bus.publish(`data.bars.${b.timeframe}.x`, { type: 'bar', data: b }));
      published++;
    }
    if (i % 2048 === 2047) {
      await new Promise<void>((r) => setImmediate(r));
      if (inFlight.length > 10_000) await Promise.all(inFlight.splice(0));
    }
  }
  flush();
  await Promise.all(inFlight);
  clearInterval(timer);
  return { ticksPerS: messages.length / seconds(start), published };
}

/** RedisBus.publish of every tick (no conflation): the bus's own cost (envelope, trace id, JSON) over raw PUBLISH. */
async function benchBusPublishEveryTick(bus: RedisBus, messages: string[]): Promise<number> {
  const start = process.hrtime.bigint();
  for (let i = 0; i < messages.length; i += 1000) {
    const batch: Promise<void>[] = [];
    for (let j = i; j < Math.min(i + 1000, messages.length); j++) {
      const t = parseTickMessage(messages[j]!);
      batch.push(bus.publish(tickChannel(t.symbol), { type: 'tick', data: toPriceMessage(t) }));
    }
    await Promise.all(batch);
  }
  return messages.length / seconds(start);
}

/** RSS of a child process streaming `symbols` symbols (or only loading modules when symbols = 0). */
function measureRss(symbols: number, nodeFlags: string[]): Promise<number> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [...nodeFlags, path.join(__dirname, 'rss-child.js'), String(symbols)], {
      env: { ...process.env, REDIS_URL },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.on('exit', (code) => {
      const m = /peak_rss_bytes=(\d+)/.exec(out);
      if (code === 0 && m) resolve(Number(m[1]));
      else reject(new Error(`rss child exited ${code}: ${out}`));
    });
  });
}

async function main(): Promise<void> {
  if (benchSelected('engine')) await benchEngine();
  await benchLive(RUNS);
}

async function benchEngine(): Promise<void> {
  const logger = createLogger({ service: 'bench', level: 'warn' });
  const messages = makeTickMessages(TICKS, 10);
  const sample = parseTickMessage(messages[0]!);
  const rows: Row[] = [];

  const parseFloor: number[] = [];
  const engineRuns: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    parseFloor.push(benchParseFloor(messages));
    engineRuns.push(benchEngineIngest(messages));
  }
  rows.push(row('engine ingest: parse + aggregate 6 timeframes + conflate', 'ticks/s', engineRuns, 'JSON.parse only', parseFloor, '>= 200,000'));

  const bus = new RedisBus({ url: REDIS_URL, logger });
  const raw = new Redis(REDIS_URL, { enableAutoPipelining: true });
  const payload = JSON.stringify({ v: 1, type: 'tick', trace_id: 'f'.repeat(32), ts: Date.now(), data: toPriceMessage(sample) });
  const publishFloor: number[] = [];
  const publishRuns: number[] = [];
  const everyTickRuns: number[] = [];
  let published = 0;
  const redisTicks = Math.min(TICKS, 500_000);
  for (let i = 0; i < RUNS; i++) {
    publishFloor.push(await benchRedisPublishFloor(raw, payload, 50_000));
    const r = await benchIngestWithPublish(bus, messages.slice(0, redisTicks), 100);
    publishRuns.push(r.ticksPerS);
    published = r.published;
    everyTickRuns.push(await benchBusPublishEveryTick(bus, messages.slice(0, 50_000)));
  }
  await bus.close();
  raw.disconnect();
  rows.push(row('RedisBus.publish of every tick (no conflation)', 'msgs/s', everyTickRuns, 'raw ioredis PUBLISH loop', publishFloor, 'n/a (shows bus overhead)'));
  rows.push(
    row(`ingest + Redis publish (100 ms conflation; ${published} msgs/run)`, 'ticks/s', publishRuns, 'raw ioredis PUBLISH loop (msgs/s)', publishFloor, '>= 200,000 ticks/s'),
  );

  // The service runs with the flags of its declaration (SERVICES), so the budget is measured with them too.
  const serviceFlags = SERVICES['price-stream'].nodeOptions.split(' ').filter(Boolean);
  const baseRss: number[] = [];
  const rss: number[] = [];
  const uncappedRss: number[] = [];
  for (let i = 0; i < Math.min(RUNS, 3); i++) {
    baseRss.push((await measureRss(0, serviceFlags)) / 2 ** 20);
    rss.push((await measureRss(1000, serviceFlags)) / 2 ** 20);
    uncappedRss.push((await measureRss(1000, [])) / 2 ** 20);
  }
  const flagsLabel = serviceFlags.join(' ') || 'no flags';
  rows.push(row(`peak RSS, 1,000 symbols x 20 ticks/s, 6 tfs (${flagsLabel})`, 'MB', rss, 'same process, 0 symbols', baseRss, '<= 120 MB', false));
  rows.push(row('peak RSS, same, without the heap cap', 'MB', uncappedRss, 'same process, 0 symbols', baseRss, 'n/a (why the cap)', false));

  reportBench('price-stream', rows, RUNS, { ticks: TICKS });
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
