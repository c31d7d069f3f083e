/**
 * Ledger throughput: fills/s through the pure Ledger (plan + commit, with position flips), and
 * through validation + Ledger (the kit's `parseFillMessage` plus `toLedgerFill`, from a
 * FillMessage object). The baseline, measured in the same run on the same fills, is the least any
 * exact ledger pays: one `Dec` multiplication (qty × price) and one addition per fill.
 * Not part of `make bench`; call it from a REPL or script:
 *   node -e "console.log(require('./services/portfolio/dist/engine/bench').benchmarkLedger())"
 */
import type { FillMessage } from '@cte/shared/core';
import { parseLedgerFill } from './fill';
import { Ledger, type LedgerFill } from './ledger';
import { Exact, ZERO } from './money';

export interface LedgerBenchOptions {
  fills?: number;
  symbols?: number;
  runs?: number;
}

export interface LedgerBenchResult {
  /** Median fills/s through Ledger.plan + Ledger.commit. */
  fillsPerSec: number;
  /** Median fills/s through parseFillMessage + toLedgerFill + Ledger.plan + commit. */
  parsedFillsPerSec: number;
  /** Median fills/s of one Dec multiply + add per fill. */
  baselinePerSec: number;
  fills: number;
  symbols: number;
  runs: number;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

/** Deterministic random fills: buys and sells of 0.00000001..2 units at prices around 100..10,000. */
export function benchFills(n: number, symbols: number, seed = 42): FillMessage[] {
  let s = seed;
  const rnd = (): number => {
    s = (s * 1103515245 + 12345) % 2147483648;
    return s / 2147483648;
  };
  const out = new Array<FillMessage>(n);
  for (let i = 0; i < n; i++) {
    const sym = i % symbols;
    const base = 100 * (sym + 1);
    out[i] = {
      fill_id: `f-${i}`,
      venue: 'paper',
      venue_trade_id: `t-${i}`,
      order_id: `o-${i}`,
      client_order_id: `c-${i}`,
      symbol: `B${sym}/USD`,
      side: rnd() < 0.5 ? 'buy' : 'sell',
      qty: ((Math.floor(rnd() * 2e8) + 1) / 1e8).toFixed(8),
      price: (base * (0.9 + 0.2 * rnd())).toFixed(2),
      fee: (rnd() * 2).toFixed(6),
      fee_currency: 'USD',
      liquidity: 'taker',
      ts: 1_566_000_000_000 + i * 1000,
      trace_id: `trace-${String(i).padStart(8, '0')}`,
    };
  }
  return out;
}

export function benchmarkLedger(opts: LedgerBenchOptions = {}): LedgerBenchResult {
  const n = opts.fills ?? 100_000;
  const symbols = opts.symbols ?? 10;
  const runs = opts.runs ?? 5;
  const messages = benchFills(n, symbols);
  const fills: LedgerFill[] = messages.map((m) => parseLedgerFill(m).fill);
  const ledgerRates: number[] = [];
  const parsedRates: number[] = [];
  const baseRates: number[] = [];
  let sink = ZERO;
  for (let r = 0; r < runs; r++) {
    let t = process.hrtime.bigint();
    const ledger = new Ledger();
    ledger.credit('USD', new Exact(1_000_000));
    for (const f of fills) ledger.commit(ledger.plan(f));
    ledgerRates.push(n / (Number(process.hrtime.bigint() - t) / 1e9));

    t = process.hrtime.bigint();
    const ledger2 = new Ledger();
    for (const m of messages) ledger2.commit(ledger2.plan(parseLedgerFill(m).fill));
    parsedRates.push(n / (Number(process.hrtime.bigint() - t) / 1e9));

    t = process.hrtime.bigint();
    let acc = ZERO;
    for (const f of fills) acc = acc.plus(f.qty.times(f.price));
    baseRates.push(n / (Number(process.hrtime.bigint() - t) / 1e9));
    sink = sink.plus(acc).plus(ledger.balance('USD')).plus(ledger2.balance('USD'));
  }
  if (sink.isNaN()) throw new Error('unreachable');
  return { fillsPerSec: Math.round(median(ledgerRates)), parsedFillsPerSec: Math.round(median(parsedRates)), baselinePerSec: Math.round(median(baseRates)), fills: n, symbols, runs };
}
