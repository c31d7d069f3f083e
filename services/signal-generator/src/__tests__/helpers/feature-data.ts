import fs from 'node:fs';
import path from 'node:path';
import type { Bar } from '@cte/shared';
import { readCoinbaseCddCsv } from '../../../../price-stream/src/adapters/readers';
import { sharedData } from './shared-data';

/** quantedge-ta fixtures (talipp reference values over real Binance BTCUSDT 1h bars), read in place. */
export const QUANTEDGE_DIR = sharedData('indicators', 'quantedge-ta');

/** The bundled replay data of price-stream (Apache-2.0, 20k Coinbase BTC/USD hourly bars). */
export const REPLAY_BTCUSD_1H = path.resolve(__dirname, '..', '..', '..', '..', 'price-stream', 'data', 'replay', 'coinbase_btcusd_1h.csv');

/** A CSV with a header row → one record per row, numeric fields. */
export function readNumericCsv(file: string): Array<Record<string, number>> {
  const lines = fs.readFileSync(file, 'utf8').split(/\r?\n/).filter((x) => x.trim() !== '');
  const header = lines[0]!.split(',').map((h) => h.trim());
  return lines.slice(1).map((line, k) => {
    const fields = line.split(',');
    if (fields.length !== header.length) throw new Error(`${file}:${k + 2}: expected ${header.length} fields, got ${fields.length}`);
    const row: Record<string, number> = {};
    header.forEach((h, i) => {
      const x = Number(fields[i]);
      if (!Number.isFinite(x)) throw new Error(`${file}:${k + 2}: ${h} is not a number: ${fields[i]}`);
      row[h] = x;
    });
    return row;
  });
}

/** btcusdt-1h.csv as Bars (open_time is in microseconds). */
export function readQuantedgeBars(): Bar[] {
  return readNumericCsv(path.join(QUANTEDGE_DIR, 'btcusdt-1h.csv')).map((r) => {
    const openTime = r['open_time']! / 1000;
    return {
      exchange: 'binance',
      symbol: 'BTC/USDT',
      timeframe: '1h',
      openTime,
      closeTime: openTime + 3_600_000,
      open: r['open']!,
      high: r['high']!,
      low: r['low']!,
      close: r['close']!,
      volume: r['volume']!,
      trades: 0,
    };
  });
}

export function readReplayBars(): Bar[] {
  return readCoinbaseCddCsv(REPLAY_BTCUSD_1H);
}
