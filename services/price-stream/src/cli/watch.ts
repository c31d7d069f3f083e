#!/usr/bin/env node
/**
 * cte-watch: prints what price-stream publishes, one readable line per message.
 *   cte-watch [pattern ...]     default patterns: data.bars.1h.* data.alerts
 * Reads REDIS_URL (default redis://127.0.0.1:6379). Stops on SIGINT/SIGTERM.
 */
import { createLogger, DEFAULT_REDIS_URL, RedisBus, type Envelope } from '@cte/shared';
import type { AlertMessage, BarMessage, PriceMessage } from '../adapters/dto/messages';

export function formatMessage(channel: string, env: Envelope<unknown>): string {
  const iso = (ms: number) => new Date(ms).toISOString().replace('.000Z', 'Z');
  if (env.type === 'bar') {
    const b = env.data as BarMessage;
    return `bar   ${b.timeframe.padEnd(3)} ${b.symbol.padEnd(9)} ${iso(b.open_time)}  O ${b.open}  H ${b.high}  L ${b.low}  C ${b.close}  V ${b.volume}`;
  }
  if (env.type === 'alert') {
    const a = env.data as AlertMessage;
    const sign = a.change_pct > 0 ? '+' : '';
    return `ALERT ${a.symbol.padEnd(9)} ${iso(a.ts)}  ${a.direction} ${sign}${a.change_pct.toFixed(2)}% (${a.reference_price} → ${a.price}) monitor ${a.monitor_id} trace ${a.trace_id}`;
  }
  if (env.type === 'tick') {
    const p = env.data as PriceMessage;
    return `price ${p.symbol.padEnd(9)} ${iso(p.ts)}  ${p.price}`;
  }
  return `${channel} ${JSON.stringify(env.data)}`;
}

async function main(): Promise<void> {
  const patterns = process.argv.slice(2);
  const bus = new RedisBus({ url: process.env.REDIS_URL ?? DEFAULT_REDIS_URL, logger: createLogger({ service: 'cte-watch', level: 'warn' }) });
  for (const pattern of patterns.length > 0 ? patterns : ['data.bars.1h.*', 'data.alerts']) {
    await bus.subscribe(pattern, (env, channel) => void process.stdout.write(formatMessage(channel, env) + '\n'));
  }
  const stop = () => void bus.close().then(() => process.exit(0));
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}

if (require.main === module) {
  main().catch((err: unknown) => {
    process.stderr.write(`cte-watch: ${(err as Error).message}\n`);
    process.exit(1);
  });
}
