/**
 * Section "price-stream-live" of `make bench`: the ccxt path's throughput (ccxt-path.ts) and the
 * service's memory with 1,000+ live feeds (ccxt-rss.ts), each next to its floor.
 * BENCH_ONLY (comma-separated: engine, ccxt, ccxt-rss) runs a subset of price-stream's benches.
 */
import { reportBench, type BenchRow } from '@cte/bench';

const ONLY = new Set((process.env.BENCH_ONLY ?? '').split(',').map((s) => s.trim()).filter(Boolean));
const KNOWN = ['engine', 'ccxt', 'ccxt-rss'];
for (const name of ONLY) if (!KNOWN.includes(name)) throw new Error(`BENCH_ONLY: ${JSON.stringify(name)} is not one of ${KNOWN.join(', ')}`);

export function benchSelected(name: 'engine' | 'ccxt' | 'ccxt-rss'): boolean {
  return ONLY.size === 0 || ONLY.has(name);
}

export async function benchLive(runs: number): Promise<void> {
  const rows: BenchRow[] = [];
  const notes: string[] = [];
  let extra: Record<string, unknown> = {};
  if (benchSelected('ccxt')) {
    // Loaded only when selected: ccxt takes a while to load.
    const { benchLivePath } = await import('./ccxt-path.js');
    const r = await benchLivePath(runs);
    rows.push(...r.rows);
    notes.push(...r.notes);
    extra = { ...extra, ...r.extra };
  }
  if (benchSelected('ccxt-rss')) {
    const { benchLiveRss } = await import('./ccxt-rss.js');
    const r = await benchLiveRss(Math.min(runs, 3));
    rows.push(...r.rows);
    notes.push(...r.notes);
    extra = { ...extra, ...r.extra };
  }
  if (rows.length === 0) return;
  reportBench('price-stream-live', rows, runs, { ...extra, notes });
  for (const n of notes) console.log(n);
}
