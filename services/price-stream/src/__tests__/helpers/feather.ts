/**
 * Test-only reader for the freqtrade feather (Arrow IPC v2, LZ4-frame
 * compressed) candle files. apache-arrow decodes the IPC; its compression
 * registry is given lz4js for the LZ4_FRAME body buffers.
 */
import { readFileSync } from 'node:fs';
import { CompressionType, TimeUnit, Type, compressionRegistry, tableFromIPC } from 'apache-arrow';

interface Lz4js {
  decompress(src: Uint8Array, maxSize?: number): Uint8Array;
}
// lz4js ships no types.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const lz4 = require('lz4js') as Lz4js;

compressionRegistry.set(CompressionType.LZ4_FRAME, { decode: (data: Uint8Array) => lz4.decompress(data) });

export interface FeatherCandle {
  /** Epoch ms (from the ns timestamp, which must be whole ms). */
  openTime: number;
  open: number;
  high: number;
  low: number;
  close: number;
  volume: number;
}

export function readFeatherCandles(filePath: string): FeatherCandle[] {
  const table = tableFromIPC(readFileSync(filePath));
  const date = table.getChild('date');
  if (date === null) throw new Error(`${filePath}: no date column`);
  const type = date.type as { typeId: Type; unit: TimeUnit; timezone?: string | null };
  if (type.typeId !== Type.Timestamp || type.unit !== TimeUnit.NANOSECOND || type.timezone !== 'UTC') {
    throw new Error(`${filePath}: date is not timestamp[ns, UTC]`);
  }
  // Raw int64 nanoseconds, chunk by chunk, so no unit conversion is taken on trust.
  const nanos: bigint[] = [];
  for (const chunk of date.data) {
    const values = chunk.values as BigInt64Array;
    for (let i = 0; i < chunk.length; i++) nanos.push(values[chunk.offset + i]!);
  }
  const column = (name: string): number[] => {
    const vector = table.getChild(name);
    if (vector === null) throw new Error(`${filePath}: no ${name} column`);
    return Array.from(vector.toArray() as Float64Array);
  };
  const [open, high, low, close, volume] = ['open', 'high', 'low', 'close', 'volume'].map(column) as [
    number[], number[], number[], number[], number[],
  ];
  return nanos.map((ns, i) => {
    if (ns % 1_000_000n !== 0n) throw new Error(`${filePath}: row ${i} date ${ns} ns is not whole milliseconds`);
    return { openTime: Number(ns / 1_000_000n), open: open[i]!, high: high[i]!, low: low[i]!, close: close[i]!, volume: volume[i]! };
  });
}
