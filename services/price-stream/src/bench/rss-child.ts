/**
 * Child process for the RSS benchmark: N symbols streaming as a busy live market would,
 * 20 ticks per symbol per second of wall time for RSS_SECONDS (data time runs 60x faster so
 * bars of every timeframe close), with conflated prices published to Redis every 100 ms.
 * Reports the peak and final RSS. N = 0 measures the process with the same modules loaded.
 */
import { createLogger, RedisBus, type Symbol } from '@cte/shared';
import { MarketDataEngine } from '../engine/market-data-engine';
import { tickChannel } from '../adapters/channels';
import { toPriceMessage } from '../adapters/dto/messages';

const TICKS_PER_SYMBOL_PER_S = 20;
const SLICE_MS = 50;

async function main(): Promise<void> {
  const symbols = Number(process.argv[2] ?? 1000);
  const seconds = Number(process.env.RSS_SECONDS ?? 8);
  const bus = new RedisBus({ url: process.env.REDIS_URL ?? 'redis://127.0.0.1:6379', logger: createLogger({ service: 'bench', level: 'warn' }) });
  const engine = new MarketDataEngine(['1m', '5m', '15m', '1h', '4h', '1d']);
  const names: Symbol[] = Array.from({ length: symbols }, (_, i) => `SYM${i}/USDT`);
  const publisher = setInterval(() => {
    for (const t of engine.conflator.drain()) void bus.publish(tickChannel(t.symbol), { type: 'tick', data: toPriceMessage(t) });
  }, 100);
  let peak = process.memoryUsage().rss;
  const start = Date.now();
  const dataStart = Date.UTC(2024, 0, 1);
  let n = 0;
  const ticksPerSlice = Math.round((symbols * TICKS_PER_SYMBOL_PER_S * SLICE_MS) / 1000);
  while (Date.now() - start < seconds * 1000) {
    const sliceStart = Date.now();
    for (let i = 0; i < ticksPerSlice; i++, n++) {
      const s = n % symbols;
      const ts = dataStart + (Date.now() - start) * 60;
      engine.onTick({ exchange: 'bench', symbol: names[s]!, ts, price: 100 + s + Math.sin(n / 1000) * 2, qty: 0.5 });
    }
    const mu = process.memoryUsage();
    peak = Math.max(peak, mu.rss);
    await new Promise((r) => setTimeout(r, Math.max(0, SLICE_MS - (Date.now() - sliceStart))));
  }
  clearInterval(publisher);
  await bus.ping();
  const rss = process.memoryUsage().rss;
  await bus.close();
  process.stdout.write(`rss_bytes=${rss} peak_rss_bytes=${Math.max(peak, rss)} ticks=${n}\n`);
}

void main();
