/**
 * What a backtest reports: the fills and their fingerprint (the demo report's, so a backtest and
 * `make demo` over the same bars can be compared), trades, win rate, PnL, fees, max drawdown, a
 * per-symbol table and the pipeline's counts. Text for people, JSON for tools.
 */
import { tradesFingerprint, winRate } from '@cte/fleet';
import { Dec } from '@cte/shared';
import { fmt } from '@cte/portfolio/engine';
import type { Backtest, BacktestCounters, DecisionRecord, EquityPoint, FillRecord } from './backtest';

export interface SymbolRow {
  symbol: string;
  fills: number;
  buys: number;
  sells: number;
  /** Σ qty × price, quote currency. */
  volume: string;
  fees: string;
  realizedPnl: string;
  unrealizedPnl: string;
  /** Signed base quantity held at the end. */
  position: string;
}

export interface BacktestReport {
  input: string;
  window: { from: string | null; to: string | null; ticks: number; barsClosed: Record<string, number> };
  /** sha256 over the ordered fills, as tools/fleet's demo report computes it. */
  fingerprint: string;
  trades: { fills: number; buys: number; sells: number; reducingFills: number; winningFills: number; winRatePct: number | null; volume: string; fees: string };
  pnl: { initialCapital: string; equity: string; realized: string; unrealized: string; fees: string; total: string; returnPct: string };
  maxDrawdownPct: string;
  perSymbol: SymbolRow[];
  pipeline: BacktestCounters;
  /** Orders accepted by the paper venue that no price had filled when the data ended. */
  openOrders: number;
  fills: FillRecord[];
  /** The BUY and SELL consensus decisions (HOLDs are only counted). */
  decisions: DecisionRecord[];
  equityCurve: EquityPoint[];
}

const iso = (ms: number | undefined): string | null => (ms === undefined ? null : new Date(ms).toISOString());

export function buildReport(bt: Backtest, input: string): BacktestReport {
  // Fill order by data time, then generation order: the demo report's ORDER BY ts, seq.
  const fills = bt.fills.map((f, i) => ({ f, i })).sort((a, b) => a.f.ts - b.f.ts || a.i - b.i).map((x) => x.f);
  const wr = winRate(fills);
  const v = bt.portfolio.valuation();
  const bySymbol = new Map<string, SymbolRow & { vol: Dec; fee: Dec }>();
  let volume = new Dec(0);
  let fees = new Dec(0);
  for (const f of fills) {
    let row = bySymbol.get(f.symbol);
    if (!row) {
      row = { symbol: f.symbol, fills: 0, buys: 0, sells: 0, volume: '0', fees: '0', realizedPnl: '0', unrealizedPnl: '0', position: '0', vol: new Dec(0), fee: new Dec(0) };
      bySymbol.set(f.symbol, row);
    }
    const notional = new Dec(f.qty).mul(f.price);
    row.fills++;
    if (f.side === 'buy') row.buys++;
    else row.sells++;
    row.vol = row.vol.plus(notional);
    row.fee = row.fee.plus(f.fee);
    volume = volume.plus(notional);
    fees = fees.plus(f.fee);
  }
  for (const p of v.positions) {
    const row = bySymbol.get(p.position.symbol);
    if (!row) continue;
    row.realizedPnl = fmt(p.position.realized);
    row.unrealizedPnl = fmt(p.unrealized);
    row.position = fmt(p.position.qty);
  }
  const perSymbol: SymbolRow[] = [...bySymbol.values()]
    .sort((a, b) => a.symbol.localeCompare(b.symbol))
    .map(({ vol, fee, ...r }) => ({ ...r, volume: fmt(vol), fees: fmt(fee) }));
  const total = v.equity.minus(v.initialCapital);
  return {
    input,
    window: { from: iso(bt.firstTs), to: iso(bt.lastTs), ticks: bt.counters.ticks, barsClosed: bt.counters.barsClosed },
    fingerprint: tradesFingerprint(fills),
    trades: {
      fills: fills.length,
      buys: fills.filter((f) => f.side === 'buy').length,
      sells: fills.filter((f) => f.side === 'sell').length,
      reducingFills: wr.reducing,
      winningFills: wr.wins,
      winRatePct: wr.reducing > 0 ? Math.round((10_000 * wr.wins) / wr.reducing) / 100 : null,
      volume: fmt(volume),
      fees: fmt(fees),
    },
    pnl: {
      initialCapital: fmt(v.initialCapital),
      equity: fmt(v.equity),
      realized: fmt(v.realized),
      unrealized: fmt(v.unrealized),
      fees: fmt(v.fees),
      total: fmt(total),
      returnPct: v.initialCapital.gt(0) ? total.div(v.initialCapital).mul(100).toDecimalPlaces(4).toFixed() : '0',
    },
    maxDrawdownPct: bt.maxDrawdown.mul(100).toDecimalPlaces(4).toFixed(),
    perSymbol,
    pipeline: bt.counters,
    openOrders: bt.openOrders(),
    fills,
    decisions: bt.decisions.filter((d) => d.side !== 'HOLD'),
    equityCurve: bt.equityCurve,
  };
}

const money = (s: string): string => Number(s).toLocaleString('en-US', { minimumFractionDigits: 2, maximumFractionDigits: 2 });
const counts = (c: Record<string, number>): string =>
  Object.entries(c)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([k, n]) => `${k} ${n}`)
    .join(', ') || 'none';

function table(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: readonly string[]): string => cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ');
  return [line(header), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line)].join('\n');
}

/** The report for a terminal. */
export function formatReport(r: BacktestReport): string {
  const p = r.pipeline;
  const out = [
    `== backtest: ${r.input}`,
    `  window ${r.window.from ?? '-'} → ${r.window.to ?? '-'}; ticks ${r.window.ticks}; bars closed: ${counts(r.window.barsClosed)}`,
    `  signals: ${counts(p.signals)}; rejected: ${counts(p.signalsRejected)}; late ${p.lateSignals}`,
    ...(Object.keys(p.agentErrors).length > 0 ? [`  agents stopped in error: ${counts(p.agentErrors)}`] : []),
    `  consensus: ${counts(p.consensus)}`,
    `  recommendations: ${counts(p.recommendations)}`,
    `  risk decisions: ${counts(p.riskDecisions)}; rejections by reason: ${counts(p.riskRejections)}`,
    `  orders: ${counts(p.orders)}; still open at the end ${r.openOrders}`,
    `  trades fingerprint: ${r.fingerprint} (sha256 over the ordered fills, as make demo's report computes it)`,
    `  trades (fills): ${r.trades.fills} (buy ${r.trades.buys} / sell ${r.trades.sells}); win rate ${r.trades.winRatePct === null ? '-' : r.trades.winRatePct.toFixed(1) + '%'} (${r.trades.winningFills} of ${r.trades.reducingFills} position-reducing fills realised PnL > 0 net of fee)`,
    `  PnL: realised ${money(r.pnl.realized)}, unrealised ${money(r.pnl.unrealized)}, fees ${money(r.pnl.fees)}, total ${money(r.pnl.total)} (${r.pnl.returnPct}%); equity ${money(r.pnl.equity)} of ${money(r.pnl.initialCapital)}`,
    `  max drawdown: ${Number(r.maxDrawdownPct).toFixed(2)}% (equity sampled at every closed bar of the first TIMEFRAMES entry)`,
  ];
  if (r.perSymbol.length > 0) {
    out.push(
      table(
        ['symbol', 'fills', 'buys', 'sells', 'volume', 'fees', 'realised', 'unrealised', 'position'],
        r.perSymbol.map((s) => [s.symbol, String(s.fills), String(s.buys), String(s.sells), money(s.volume), money(s.fees), money(s.realizedPnl), money(s.unrealizedPnl), s.position]),
      )
        .split('\n')
        .map((l) => '  ' + l)
        .join('\n'),
    );
  }
  return out.join('\n');
}
