import path from 'node:path';
import type { Tick } from '@cte/shared';
import { barToTicks } from '../engine/replay-path';
import { readAnyFile } from '../adapters/readers';

const BUNDLED = path.resolve(__dirname, '..', '..', 'data', 'replay', 'lean', 'coinbase', 'minute', 'btcusd', '20180404_trade.zip');

/**
 * `count` tick messages (JSON, as they would arrive on a wire) whose prices and sizes follow a
 * real day of Coinbase BTC/USD, spread round-robin over `symbols` symbols, one tick every
 * `stepMs` of data time: a busy market where a 1m bar collects hundreds of ticks.
 */
export function makeTickMessages(count: number, symbols: number, stepMs = 10): string[] {
  const data = readAnyFile(BUNDLED, { exchange: 'coinbase' });
  const base: Tick[] = data.kind === 'ticks' ? data.ticks : data.bars.flatMap((b) => barToTicks(b));
  const start = base[0]!.ts;
  const out = new Array<string>(count);
  for (let i = 0; i < count; i++) {
    const t = base[i % base.length]!;
    const sym = `S${i % symbols}/USD`;
    out[i] = JSON.stringify({ exchange: 'coinbase', symbol: sym, ts: start + i * stepMs, price: String(t.price), qty: String(t.qty) });
  }
  return out;
}

/** The parse step of ingest: wire JSON to a Tick. */
export function parseTickMessage(raw: string): Tick {
  const m = JSON.parse(raw) as { exchange: string; symbol: string; ts: number; price: string; qty: string };
  return { exchange: m.exchange, symbol: m.symbol, ts: m.ts, price: Number(m.price), qty: Number(m.qty) };
}
