/**
 * Child of the live memory bench, run with --expose-gc: the heap that one feed's bounded buffers
 * take once full, which a short live run never reaches (a feed fills them after 1,000 and 10,000
 * trades). Measured on SAMPLE feeds and printed per feed:
 *  - ccxt's trade cache: `tradesLimit` trades (ccxt's option, 1,000 by default) as ccxt parses them,
 *    by the client class CcxtSource builds (Binance.US aggTrade frames);
 *  - CcxtSource's TradeIdWindow at its default capacity.
 */
import { createLogger } from '@cte/shared';
import type { Market } from 'ccxt';
import { CcxtSource, TRADE_ID_WINDOW } from '../adapters/sources/ccxt-source';
import { TradeIdWindow } from '../engine/live-feed';

const SAMPLE = 20;

function heapAfterGc(): number {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (!gc) throw new Error('run with --expose-gc');
  gc();
  gc();
  return process.memoryUsage().heapUsed;
}

function main(): void {
  const source = new CcxtSource({
    live: { exchanges: [{ id: 'binanceus', symbols: [], symbolsVar: 'bench', baseUrl: undefined }], staleMs: 60_000, reconnectBaseMs: 500, reconnectMaxMs: 30_000 },
    logger: createLogger({ service: 'bench', level: 'error' }),
  });
  const ex = source.client('binanceus');
  if (!ex) throw new Error('no binanceus client');
  const tradesLimit = Number((ex.options as Record<string, unknown>)['tradesLimit'] ?? 1000);
  const market = { id: 'S0001USDT', symbol: 'S0001/USDT', base: 'S0001', quote: 'USDT', spot: true, type: 'spot', precision: {}, limits: {} } as unknown as Market;

  const before = heapAfterGc();
  const caches: unknown[][] = [];
  for (let f = 0; f < SAMPLE; f++) {
    const cache: unknown[] = [];
    for (let i = 0; i < tradesLimit; i++) {
      const id = 1_000_000_000 + f * 1_000_000 + i;
      cache.push(ex.parseWsTrade({ e: 'aggTrade', E: 1_700_000_000_000 + i, s: 'S0001USDT', a: id, p: '1.23400000', q: '5.00000000', f: id, l: id, T: 1_700_000_000_000 + i, m: false, M: true }, market));
    }
    caches.push(cache);
  }
  const afterTrades = heapAfterGc();
  const windows: TradeIdWindow[] = [];
  let capacity = 0;
  for (let f = 0; f < SAMPLE; f++) {
    const w = new TradeIdWindow(TRADE_ID_WINDOW);
    for (let i = 0; w.size === i; i++) w.offer(String(1_000_000_000 + f * 1_000_000 + i));
    capacity = w.size;
    windows.push(w);
  }
  const afterIds = heapAfterGc();
  source.stop();
  if (caches.length + windows.length === 0) return;
  process.stdout.write(
    `trades_limit=${tradesLimit} trade_cache_bytes=${Math.round((afterTrades - before) / SAMPLE)} id_window=${capacity} id_window_bytes=${Math.round((afterIds - afterTrades) / SAMPLE)}\n`,
  );
}

main();
