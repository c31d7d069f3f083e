/**
 * Parity with the fleet: the backtest's fills against a fleet run's `trades` table (e.g. the
 * database `make demo` leaves behind, crypto_trading_demo), fill by fill, in the demo report's
 * order (ORDER BY ts, seq) and with its fingerprint.
 */
import { createLogger, createPool } from '@cte/shared';
import { tradesFingerprint } from '@cte/fleet';
import type { DecisionRecord } from './backtest';

/** A `trades` row as the demo report reads it. */
export type TradeRow = Parameters<typeof tradesFingerprint>[0][number];

export interface FillLine {
  symbol: string;
  side: string;
  qty: string;
  price: string;
  fee: string;
  ts: number;
}

export interface Comparison {
  equal: boolean;
  backtestFingerprint: string;
  fleetFingerprint: string;
  backtestFills: number;
  fleetFills: number;
  /** The first fill (0-based position) where they differ, with both sides (absent past an end). */
  firstDifference?: { index: number; backtest?: FillLine; fleet?: FillLine };
}

/** Decimals without trailing zeros ("0.2140" and "0.214" are the same amount). */
function canonical(v: string): string {
  const s = v.trim();
  if (!s.includes('.')) return s.replace(/^0+(?=\d)/, '');
  return s.replace(/^0+(?=\d)/, '').replace(/0+$/, '').replace(/\.$/, '');
}

function line(r: TradeRow): FillLine {
  return { symbol: r.symbol, side: r.side, qty: canonical(String(r.qty)), price: canonical(String(r.price)), fee: canonical(String(r.fee)), ts: Number(r.ts) };
}

const same = (a: FillLine, b: FillLine): boolean => a.symbol === b.symbol && a.side === b.side && a.qty === b.qty && a.price === b.price && a.fee === b.fee && a.ts === b.ts;

/** Compares two ordered fill lists (each as the demo report reads them). */
export function compareFills(backtest: readonly TradeRow[], fleet: readonly TradeRow[]): Comparison {
  const out: Comparison = {
    equal: false,
    backtestFingerprint: tradesFingerprint(backtest),
    fleetFingerprint: tradesFingerprint(fleet),
    backtestFills: backtest.length,
    fleetFills: fleet.length,
  };
  const n = Math.max(backtest.length, fleet.length);
  for (let i = 0; i < n; i++) {
    const b = backtest[i] === undefined ? undefined : line(backtest[i]!);
    const f = fleet[i] === undefined ? undefined : line(fleet[i]!);
    if (b === undefined || f === undefined || !same(b, f)) {
      out.firstDifference = { index: i, ...(b ? { backtest: b } : {}), ...(f ? { fleet: f } : {}) };
      return out;
    }
  }
  out.equal = out.backtestFingerprint === out.fleetFingerprint;
  return out;
}

export interface DecisionComparison {
  equal: boolean;
  backtest: number;
  fleet: number;
  firstDifference?: { index: number; backtest?: DecisionRecord; fleet?: DecisionRecord };
}

/** Compares consensus decisions in data-time order (symbol, side, confidence, agreement, sources, as-of time). */
export function compareDecisions(backtest: readonly DecisionRecord[], fleet: readonly DecisionRecord[]): DecisionComparison {
  const order = (a: DecisionRecord, b: DecisionRecord): number => a.ts - b.ts || a.symbol.localeCompare(b.symbol);
  const bs = [...backtest].sort(order);
  const fs = [...fleet].sort(order);
  const key = (d: DecisionRecord): string => `${d.symbol}|${d.side}|${d.confidence}|${d.agreement}|${d.sources}|${d.ts}`;
  for (let i = 0; i < Math.max(bs.length, fs.length); i++) {
    const b = bs[i];
    const f = fs[i];
    if (b === undefined || f === undefined || key(b) !== key(f)) {
      return { equal: false, backtest: bs.length, fleet: fs.length, firstDifference: { index: i, ...(b ? { backtest: b } : {}), ...(f ? { fleet: f } : {}) } };
    }
  }
  return { equal: true, backtest: bs.length, fleet: fs.length };
}

/** A fleet run's consensus decisions (`consensus_signals`). */
export async function readFleetDecisions(mysqlUrl: string): Promise<DecisionRecord[]> {
  const db = createPool({ url: mysqlUrl, logger: createLogger({ service: 'backtest', level: 'silent' }) });
  try {
    const rows = await db.query<Record<string, unknown>>('SELECT symbol, side, confidence, agreement, sources, price, ts, reason FROM consensus_signals ORDER BY ts, seq');
    return rows.map((r) => ({
      symbol: String(r.symbol),
      side: String(r.side),
      confidence: Number(r.confidence),
      agreement: Number(r.agreement),
      sources: Number(r.sources),
      price: String(r.price),
      ts: Number(r.ts),
      reason: String(r.reason),
    }));
  } finally {
    await db.close();
  }
}

export function formatDecisionComparison(c: DecisionComparison): string {
  const head = `== consensus decisions vs the fleet: ${c.equal ? 'SAME' : 'DIFFERENT'} (backtest ${c.backtest}, fleet ${c.fleet})`;
  if (!c.firstDifference) return head;
  const show = (d: DecisionRecord | undefined): string =>
    d ? `${new Date(d.ts).toISOString()} ${d.symbol} ${d.side} confidence ${d.confidence} agreement ${d.agreement} sources ${d.sources} (${d.reason})` : '(none)';
  return `${head}
  first difference at decision ${c.firstDifference.index + 1}:
    backtest ${show(c.firstDifference.backtest)}
    fleet    ${show(c.firstDifference.fleet)}`;
}

/** A fleet run's fills from its database, in the demo report's order. */
export async function readFleetTrades(mysqlUrl: string): Promise<TradeRow[]> {
  const db = createPool({ url: mysqlUrl, logger: createLogger({ service: 'backtest', level: 'silent' }) });
  try {
    return await db.query<TradeRow>('SELECT symbol, side, qty, price, fee, ts FROM trades ORDER BY ts, seq');
  } finally {
    await db.close();
  }
}

export function formatComparison(c: Comparison): string {
  const head = `== parity with the fleet: ${c.equal ? 'SAME FILLS' : 'DIFFERENT'} (backtest ${c.backtestFills} fills, ${c.backtestFingerprint}; fleet ${c.fleetFills} fills, ${c.fleetFingerprint})`;
  if (!c.firstDifference) return head;
  const show = (l: FillLine | undefined): string => (l ? `${new Date(l.ts).toISOString()} ${l.symbol} ${l.side} ${l.qty} @ ${l.price} fee ${l.fee}` : '(none)');
  return `${head}\n  first difference at fill ${c.firstDifference.index + 1}:\n    backtest ${show(c.firstDifference.backtest)}\n    fleet    ${show(c.firstDifference.fleet)}`;
}
