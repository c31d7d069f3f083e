#!/usr/bin/env node
/**
 * execution benchmarks (`make bench`): order latency through the live (ccxt) path against the
 * venue emulator, next to the paper venue and a bare HTTP round trip measured in the same run.
 * Prints tables and merges section "execution-live" into bench-results.json.
 * BENCH_ORDERS: measured orders per venue (default 50).
 */
import { benchRow as row, reportBench, type BenchRow as Row } from '@cte/bench';
import { startEmulatorProcess } from '@cte/testkit';
import { benchLiveOrders, type Percentiles, type VenueLatency } from './live-orders';

const ORDERS = Number(process.env.BENCH_ORDERS ?? 50);
const WARMUP = Math.min(10, Math.max(2, Math.round(ORDERS / 10)));

const ms = (x: number): string => (Number.isFinite(x) ? x.toFixed(2) : 'n/a');

/** One line per venue, path and stage, every percentile, and p50 over the floor's p50. */
function summary(results: readonly VenueLatency[]): string {
  const header = ['venue (market)', 'path', 'stage', 'p50 ms', 'p95 ms', 'p99 ms', 'p50 / floor p50'];
  const lines: string[][] = [];
  for (const r of results) {
    const add = (path: string, stage: string, p: Percentiles): void =>
      void lines.push([`${r.venue} (${r.symbol})`, path, stage, ms(p.p50), ms(p.p95), ms(p.p99), `${(p.p50 / r.floor.p50).toFixed(1)}x`]);
    add('floor', 'bare HTTP GET round trip', r.floor);
    add('ccxt', 'submit → ack', r.ccxt.submitAck);
    add('ccxt', 'ack → fill', r.ccxt.ackFill);
    add('ccxt', 'submit → fill', r.ccxt.submitFill);
    add('paper', 'submit → fill', r.paper.submitFill);
  }
  const widths = header.map((h, i) => Math.max(h.length, ...lines.map((l) => l[i]!.length)));
  const line = (cells: string[]): string => '| ' + cells.map((c, i) => c.padEnd(widths[i]!)).join(' | ') + ' |';
  return [line(header), '|' + widths.map((w) => '-'.repeat(w + 2)).join('|') + '|', ...lines.map(line)].join('\n');
}

/** ack→fill is in the summary and the JSON only: it is often 0 (the fill reached the handler with the ack), which has no ratio. */
function rows(results: readonly VenueLatency[]): Row[] {
  const out: Row[] = [];
  for (const r of results) {
    const floorName = `bare HTTP GET ${r.venue} time (same pct)`;
    for (const pct of ['p50', 'p95', 'p99'] as const) {
      const f = [r.floor[pct]];
      out.push(row(`${r.venue} ccxt submit→ack ${pct}`, 'ms', [r.ccxt.submitAck[pct]], floorName, f, 'lower', false));
      out.push(row(`${r.venue} ccxt submit→fill ${pct}`, 'ms', [r.ccxt.submitFill[pct]], floorName, f, 'lower', false));
      out.push(row(`${r.venue} paper submit→fill ${pct}`, 'ms', [r.paper.submitFill[pct]], floorName, f, 'n/a (in-process)', false));
    }
  }
  return out;
}

async function main(): Promise<void> {
  const emu = await startEmulatorProcess();
  let results: VenueLatency[];
  try {
    results = await benchLiveOrders(emu, ORDERS, WARMUP);
  } catch (err) {
    process.stderr.write(`venue emulator output (tail):\n${emu.logs().slice(-3000)}\n`);
    throw err;
  } finally {
    await emu.stop();
  }
  console.log(`\n## execution-live: ${ORDERS} market orders per venue, one at a time (${WARMUP} warm-up orders not counted)\n`);
  console.log(summary(results));
  for (const r of results) {
    if (r.ccxt.rejected + r.ccxt.unfilled > 0) console.log(`${r.venue}: ${r.ccxt.rejected} rejected, ${r.ccxt.unfilled} not filled in time (not in the figures)`);
  }
  reportBench('execution-live', rows(results), 1, {
    orders_per_venue: ORDERS,
    warmup_orders: WARMUP,
    percentiles_over: 'orders of one run',
    venues: results,
  });
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
