import path from 'node:path';
import type { Symbol, Tick } from '@cte/shared';
import { barToTicks } from '../engine/replay-path';
import { readAnyFile } from '../adapters/readers';

const BUNDLED = path.resolve(__dirname, '..', '..', 'data', 'replay', 'lean', 'coinbase', 'minute', 'btcusd', '20180404_trade.zip');

/**
 * `count` tick messages (JSON, as they would arrive on a wire) built from a real day of
 * Coinbase BTC/USD minute bars, spread over `symbols` symbols and moving forward in time.
 */
export function makeTickMessages(count: number, symbols: number): string[] {
  const data = readAnyFile(BUNDLED, { exchange: 'coinbase' });
  const base: Tick[] = data.kind === 'ticks' ? data.ticks : data.bars.flatMap((b) => barToTicks(b));
  const span = base.at(-1)!.ts - base[0]!.ts + 60_000;
  const out: string[] = new Array(count);
  for (let i = 0; i < count; i++) {
    const t = base[i % base.length]!;
    const loop = Math.floor(i / base.length);
    const sym = `S${i % symbols}/USD`;
    out[i] = JSON.stringify({ exchange: 'coinbase', symbol: sym, ts: t.ts + loop * span, price: String(t.price), qty: String(t.qty) });
  }
  return out;
}

/** The parse step of ingest: wire JSON to a Tick. */
export function parseTickMessage(raw: string): Tick {
  const m = JSON.parse(raw) as { exchange: string; symbol: string; ts: number; price: string; qty: string };
  return { exchange: m.exchange, symbol: m.symbol as Symbol, ts: m.ts, price: Number(m.price), qty: Number(m.qty) };
}
