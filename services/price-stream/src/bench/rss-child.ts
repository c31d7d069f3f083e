/**
 * Child process for the RSS benchmark: streams ticks for N symbols through the engine with
 * conflated Redis publishing for a fixed number of rounds, then reports its RSS.
 */
import { createLogger, RedisBus, type Symbol } from '@cte/shared';
import { MarketDataEngine } from '../engine/market-data-engine';
import { tickChannel } from '../adapters/channels';
import { toPriceMessage } from '../adapters/dto/messages';

async function main(): Promise<void> {
  const symbols = Number(process.argv[2] ?? 1000);
  const bus = new RedisBus({ url: process.env.REDIS_URL ?? 'redis://127.0.0.1:6379', logger: createLogger({ service: 'bench', level: 'warn' }) });
  const engine = new MarketDataEngine(['1m', '5m', '15m', '1h', '4h', '1d']);
  const names: Symbol[] = Array.from({ length: symbols }, (_, i) => `SYM${i}/USDT`);
  let ts = Date.UTC(2024, 0, 1);
  // An hour of data time, one tick per symbol per second, so every 1m/5m/15m bar closes many times.
  for (let second = 0; second < 3600 && symbols > 0; second++) {
    ts += 1000;
    for (let s = 0; s < symbols; s++) {
      const price = 100 + s + Math.sin(second / 60 + s) * 2;
      engine.onTick({ exchange: 'bench', symbol: names[s]!, ts, price, qty: 0.5 });
    }
    if (second % 10 === 0) {
      await Promise.all(engine.conflator.drain().map((t) => bus.publish(tickChannel(t.symbol), { type: 'tick', data: toPriceMessage(t) })));
    }
  }
  await bus.ping();
  (global as { gc?: () => void }).gc?.();
  const rss = process.memoryUsage().rss;
  await bus.close();
  process.stdout.write(`rss_bytes=${rss} heap_used_bytes=${process.memoryUsage().heapUsed}\n`);
}

void main();
