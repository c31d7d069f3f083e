#!/usr/bin/env node
/**
 * cte-watch: prints what the fleet publishes, one readable line per message.
 *   cte-watch [pattern ...]        pub/sub patterns, default: data.bars.1h.* data.alerts signals.consensus
 *   cte-watch --stream signals.raw tails a durable stream too (XREAD from now; no consumer group)
 *   cte-watch --skip-hold          leaves out HOLD signals and HOLD consensus
 * Reads REDIS_URL (default redis://127.0.0.1:6379). Stops on SIGINT/SIGTERM.
 */
import Redis from 'ioredis';
import {
  createLogger,
  decodeEnvelope,
  DEFAULT_REDIS_URL,
  ENVELOPE_FIELD,
  RedisBus,
  type AlertMessage,
  type BarMessage,
  type ConsensusMessage,
  type Envelope,
  type OrderEventMessage,
  type PriceMessage,
  type SignalMessage,
} from '@cte/shared';

const iso = (ms: number) => new Date(ms).toISOString().replace('.000Z', 'Z');

/** HOLD signals and consensus: the quiet majority that --skip-hold leaves out. */
export function isHold(env: Envelope<unknown>): boolean {
  return (env.type === 'signal' || env.type === 'consensus') && (env.data as { side?: string }).side === 'HOLD';
}

export function formatMessage(channel: string, env: Envelope<unknown>): string {
  switch (env.type) {
    case 'bar': {
      const b = env.data as BarMessage;
      return `bar       ${b.timeframe.padEnd(3)} ${b.symbol.padEnd(9)} ${iso(b.open_time)}  O ${b.open}  H ${b.high}  L ${b.low}  C ${b.close}  V ${b.volume}`;
    }
    case 'alert': {
      const a = env.data as AlertMessage;
      const sign = a.change_pct > 0 ? '+' : '';
      return `ALERT     ${a.symbol.padEnd(9)} ${iso(a.ts)}  ${a.direction} ${sign}${a.change_pct.toFixed(2)}% (${a.reference_price} → ${a.price}) monitor ${a.monitor_id}`;
    }
    case 'tick': {
      const p = env.data as PriceMessage;
      return `price     ${p.symbol.padEnd(9)} ${iso(p.ts)}  ${p.price}`;
    }
    case 'signal': {
      const s = env.data as SignalMessage;
      return `signal    ${s.symbol.padEnd(9)} ${iso(s.bar_time)}  ${s.side.padEnd(4)} ${s.confidence.toFixed(3)}  ${s.source_type}${s.model_version ? ` ${s.model_version}` : ''} (${s.agent_id.slice(0, 8)})`;
    }
    case 'consensus': {
      const c = env.data as ConsensusMessage;
      return `CONSENSUS ${c.symbol.padEnd(9)} ${iso(c.ts)}  ${c.side.padEnd(4)} conf ${c.confidence.toFixed(3)} agreement ${c.agreement.toFixed(2)} from ${c.sources} source(s)`;
    }
    case 'order': {
      const o = env.data as OrderEventMessage;
      return `ORDER     ${o.symbol.padEnd(9)} ${o.event.padEnd(16)} ${o.side} ${o.qty}${o.avg_fill_price ? ` @ ${o.avg_fill_price}` : ''}${o.reason ? ` (${o.reason})` : ''}`;
    }
    default:
      return `${channel} ${JSON.stringify(env.data)}`;
  }
}

let skipHold = false;
const print = (channel: string, env: Envelope<unknown>): void => {
  if (!(skipHold && isHold(env))) process.stdout.write(formatMessage(channel, env) + '\n');
};

async function tailStream(url: string, stream: string, stop: () => boolean): Promise<void> {
  const redis = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 3 });
  let last = '$';
  while (!stop()) {
    const res = await redis.xread('COUNT', 100, 'BLOCK', 1000, 'STREAMS', stream, last);
    for (const [, entries] of res ?? []) {
      for (const [id, fields] of entries) {
        last = id;
        const i = fields.indexOf(ENVELOPE_FIELD);
        const decoded = decodeEnvelope(i >= 0 ? fields[i + 1] : undefined);
        if (decoded.ok) print(stream, decoded.envelope);
      }
    }
  }
  redis.disconnect();
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const streams: string[] = [];
  const patterns: string[] = [];
  for (let i = 0; i < args.length; i++) {
    if (args[i] === '--stream') streams.push(args[++i] ?? '');
    else if (args[i] === '--skip-hold') skipHold = true;
    else patterns.push(args[i]!);
  }
  const url = process.env.REDIS_URL ?? DEFAULT_REDIS_URL;
  const namespace = process.env.BUS_NAMESPACE ?? '';
  const bus = new RedisBus({ url, logger: createLogger({ service: 'cte-watch', level: 'warn' }), namespace });
  for (const pattern of patterns.length > 0 || streams.length > 0 ? patterns : ['data.bars.1h.*', 'data.alerts', 'signals.consensus']) {
    await bus.subscribe(pattern, (env, channel) => print(channel, env));
  }
  let stopping = false;
  const tails = streams.filter(Boolean).map((s) => tailStream(url, namespace + s, () => stopping));
  const stop = () => {
    stopping = true;
    void Promise.all([bus.close(), ...tails]).then(() => process.exit(0));
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}

if (require.main === module) {
  main().catch((err: unknown) => {
    process.stderr.write(`cte-watch: ${(err as Error).message}\n`);
    process.exit(1);
  });
}
