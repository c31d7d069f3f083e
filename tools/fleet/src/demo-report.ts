#!/usr/bin/env node
/**
 * The `make demo` summary, read from the running fleet's /metrics and REST APIs (ports as in
 * services.ts, overridable by `<SERVICE>_PORT`, API key from TRADING_API_KEY):
 *
 *   demo-report --live     one compact line every DEMO_REPORT_INTERVAL_MS (2 s) until killed
 *   demo-report            the final report: trades, win rate, PnL, fees, max drawdown, risk
 *                          rejections by reason, pipeline latency percentiles per stage
 *
 * Win rate: a "trade" is a fill; a fill that reduces or closes a position (average-cost basis,
 * recomputed here over the fills in the `trades` table, in fill order) realises
 * PnL, and it is a win when that realised PnL, net of its own fee, is > 0. Win rate = winning
 * reducing fills / reducing fills. Max drawdown: the largest `drawdown_ratio` in portfolio's
 * snapshots (and its current one). Latency percentiles are interpolated from the
 * `cte_pipeline_latency_seconds{stage}` histogram buckets, as Prometheus' histogram_quantile does.
 */
import { createHash } from 'node:crypto';
import { envPrefix, SERVICES, type ServiceName } from '@cte/shared';
import type { PnlJson } from '../../../services/portfolio/src/adapters/portfolio-api';

// ---------------------------------------------------------------- Prometheus exposition helpers

export interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

export function parseMetrics(text: string): Sample[] {
  const out: Sample[] = [];
  for (const line of text.split('\n')) {
    if (!line || line.startsWith('#')) continue;
    const m = /^([a-zA-Z_:][\w:]*)(\{(.*)\})?\s+(\S+)$/.exec(line);
    if (!m) continue;
    const labels = Object.fromEntries([...(m[3] ?? '').matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)].map((x) => [x[1]!, x[2]!]));
    out.push({ name: m[1]!, labels, value: Number(m[4]) });
  }
  return out;
}

/** Sum of every sample of `name` whose labels include `labels`. */
export function sumOf(samples: readonly Sample[], name: string, labels: Record<string, string> = {}): number {
  let s = 0;
  for (const x of samples) if (x.name === name && Object.entries(labels).every(([k, v]) => x.labels[k] === v)) s += x.value;
  return s;
}

/** Sums of `name` grouped by one label. */
export function byLabel(samples: readonly Sample[], name: string, label: string, where: Record<string, string> = {}): Map<string, number> {
  const m = new Map<string, number>();
  for (const x of samples) {
    if (x.name !== name || !Object.entries(where).every(([k, v]) => x.labels[k] === v)) continue;
    const k = x.labels[label] ?? '';
    m.set(k, (m.get(k) ?? 0) + x.value);
  }
  return m;
}

export interface Buckets {
  /** [upper bound, cumulative count], ascending, +Inf last. */
  buckets: Array<[number, number]>;
  count: number;
  sum: number;
}

export function histogram(samples: readonly Sample[], name: string, labels: Record<string, string>): Buckets | undefined {
  const buckets: Array<[number, number]> = [];
  let count = 0;
  let sum = 0;
  const match = (x: Sample) => Object.entries(labels).every(([k, v]) => x.labels[k] === v);
  for (const x of samples) {
    if (!match(x)) continue;
    if (x.name === `${name}_bucket`) buckets.push([x.labels.le === '+Inf' ? Infinity : Number(x.labels.le), x.value]);
    else if (x.name === `${name}_count`) count = x.value;
    else if (x.name === `${name}_sum`) sum = x.value;
  }
  if (buckets.length === 0) return undefined;
  buckets.sort((a, b) => a[0] - b[0]);
  return { buckets, count, sum };
}

/** The q-quantile, linearly interpolated within its bucket (histogram_quantile); NaN when empty. */
export function quantile(h: Buckets, q: number): number {
  const total = h.buckets[h.buckets.length - 1]![1];
  if (total === 0) return NaN;
  const rank = q * total;
  let prevBound = 0;
  let prevCount = 0;
  for (const [bound, cum] of h.buckets) {
    if (cum >= rank) {
      if (bound === Infinity) return prevBound; // beyond the last finite bucket: its bound is all we know
      if (cum === prevCount) return bound;
      return prevBound + ((bound - prevBound) * (rank - prevCount)) / (cum - prevCount);
    }
    prevBound = bound;
    prevCount = cum;
  }
  return prevBound;
}

/** Where each service records which `cte_pipeline_latency_seconds` stage, and what it measures. */
export const STAGES: ReadonlyArray<{ service: ServiceName; stage: string; what: string }> = [
  { service: 'signal-generator', stage: 'signal', what: 'bar published → its signals published' },
  { service: 'signals-aggregator', stage: 'consensus', what: 'bar published → consensus published' },
  { service: 'recommendations', stage: 'decision', what: 'consensus published → risk decision stored' },
  { service: 'execution', stage: 'fill', what: 'bar published → fill committed (end to end)' },
  { service: 'portfolio', stage: 'portfolio', what: "fill's ts → fill applied to the books" },
];

export interface StageLatency {
  service: ServiceName;
  stage: string;
  what: string;
  count: number;
  p50_ms: number;
  p95_ms: number;
  p99_ms: number;
  mean_ms: number;
}

export function stageLatencies(metricsByService: ReadonlyMap<ServiceName, readonly Sample[]>): StageLatency[] {
  const out: StageLatency[] = [];
  for (const s of STAGES) {
    const samples = metricsByService.get(s.service);
    const h = samples && histogram(samples, 'cte_pipeline_latency_seconds', { stage: s.stage });
    const count = h?.count ?? 0;
    out.push({
      ...s,
      count,
      p50_ms: h ? quantile(h, 0.5) * 1000 : NaN,
      p95_ms: h ? quantile(h, 0.95) * 1000 : NaN,
      p99_ms: h ? quantile(h, 0.99) * 1000 : NaN,
      mean_ms: h && count > 0 ? (h.sum / count) * 1000 : NaN,
    });
  }
  return out;
}

/** Why a stage has no observations, for the lines under the table. */
export function emptyStageNotes(rows: readonly StageLatency[]): string[] {
  return rows
    .filter((r) => r.count === 0)
    .map((r) =>
      r.stage === 'portfolio'
        ? "portfolio: none recorded: the paper venue stamps a fill's ts with the replayed data time, which portfolio rightly does not measure from"
        : `${r.stage}: none recorded by ${r.service}`,
    );
}

export function formatStageTable(rows: readonly StageLatency[]): string {
  const f = (n: number) => (Number.isNaN(n) ? '-' : n.toFixed(2));
  const header = ['stage', 'service', 'measures', 'n', 'p50 ms', 'p95 ms', 'p99 ms', 'mean ms'];
  const lines = rows.map((r) => [r.stage, r.service, r.what, String(r.count), f(r.p50_ms), f(r.p95_ms), f(r.p99_ms), f(r.mean_ms)]);
  const widths = header.map((h, i) => Math.max(h.length, ...lines.map((l) => l[i]!.length)));
  const line = (cells: string[]) => '| ' + cells.map((c, i) => c.padEnd(widths[i]!)).join(' | ') + ' |';
  return [line(header), '|' + widths.map((w) => '-'.repeat(w + 2)).join('|') + '|', ...lines.map(line)].join('\n');
}

// ---------------------------------------------------------------- the demo fleet

const urlOf = (n: ServiceName) => `http://127.0.0.1:${process.env[`${envPrefix(n)}_PORT`] ?? SERVICES[n].httpPort}`;
const apiKey = () => process.env.TRADING_API_KEY ?? '';

async function metrics(n: ServiceName): Promise<Sample[]> {
  try {
    const r = await fetch(`${urlOf(n)}/metrics`, { signal: AbortSignal.timeout(2000) });
    return r.ok ? parseMetrics(await r.text()) : [];
  } catch {
    return [];
  }
}

async function api<T>(n: ServiceName, p: string): Promise<T | undefined> {
  try {
    const r = await fetch(`${urlOf(n)}${p}`, { headers: { 'X-TRADING-API-KEY': apiKey() }, signal: AbortSignal.timeout(3000) });
    return r.ok ? ((await r.json()) as T) : undefined;
  } catch {
    return undefined;
  }
}

async function allMetrics(): Promise<Map<ServiceName, Sample[]>> {
  const names = Object.keys(SERVICES) as ServiceName[];
  const got = await Promise.all(names.map((n) => metrics(n)));
  return new Map(names.map((n, i) => [n, got[i]!]));
}

const num = (s: string | undefined) => (s === undefined ? NaN : Number(s));
const money = (n: number) => (Number.isNaN(n) ? '-' : n.toFixed(2));

function topReasons(m: Map<string, number>, k: number): string {
  return [...m.entries()]
    .filter(([, v]) => v > 0)
    .sort((a, b) => b[1] - a[1])
    .slice(0, k)
    .map(([r, v]) => `${r || '-'} ${v}`)
    .join(', ');
}

async function liveLine(started: number): Promise<string> {
  const m = await allMetrics();
  const g = (n: ServiceName) => m.get(n) ?? [];
  const pnl = await api<PnlJson>('portfolio', '/pnl');
  const consensus = byLabel(g('signals-aggregator'), 'cte_consensus_total', 'side');
  const decisions = byLabel(g('risk'), 'cte_risk_decisions_total', 'decision');
  const rejected = byLabel(g('risk'), 'cte_risk_decisions_total', 'reason', { decision: 'REJECTED' });
  const rejTop = topReasons(rejected, 2);
  const t = ((Date.now() - started) / 1000).toFixed(0).padStart(3);
  return (
    `[${t}s] ticks ${sumOf(g('price-stream'), 'cte_ticks_ingested_total')} bars ${sumOf(g('price-stream'), 'cte_bars_closed_total')}` +
    ` | signals ${sumOf(g('signal-generator'), 'cte_signals_emitted_total')}` +
    ` | consensus BUY ${consensus.get('BUY') ?? 0} SELL ${consensus.get('SELL') ?? 0}` +
    ` | recs ${sumOf(g('recommendations'), 'cte_recommendations_total', { status: 'pending' }) || sumOf(g('recommendations'), 'cte_recommendations_total')}` +
    ` | risk ok ${(decisions.get('APPROVED') ?? 0) + (decisions.get('RESIZED') ?? 0)} rej ${decisions.get('REJECTED') ?? 0}${rejTop ? ` (${rejTop})` : ''}` +
    ` | orders ${sumOf(g('execution'), 'cte_orders_total', { status: 'NEW' }) || sumOf(g('execution'), 'cte_orders_total')} fills ${sumOf(g('execution'), 'cte_fills_total')}` +
    ` | equity ${money(num(pnl?.equity))} PnL ${money(num(pnl?.total_pnl))}`
  );
}

interface TradeRow {
  symbol: string;
  side: 'buy' | 'sell';
  qty: string;
  price: string;
  fee: string;
  /** Data time of the fill (epoch ms); absent in rows read by older reports. */
  ts?: number | string;
}

/** A decimal string without trailing zeros ("0.2140" and "0.214" are the same amount). */
function canonicalDecimal(v: string): string {
  const s = String(v).trim();
  if (!s.includes('.')) return s.replace(/^0+(?=\d)/, '');
  return s.replace(/^0+(?=\d)/, '').replace(/0+$/, '').replace(/\.$/, '');
}

/**
 * The trades' fingerprint: sha256 over the ordered fills, one line `symbol|side|qty|price|fee|ts`
 * each (decimals without trailing zeros), first 16 hex digits. Two runs over the same bars give
 * the same fingerprint exactly when they made the same fills.
 */
export function tradesFingerprint(trades: readonly TradeRow[]): string {
  const h = createHash('sha256');
  for (const t of trades) {
    h.update(`${t.symbol}|${t.side}|${canonicalDecimal(t.qty)}|${canonicalDecimal(t.price)}|${canonicalDecimal(t.fee)}|${String(t.ts ?? '')}\n`);
  }
  return h.digest('hex').slice(0, 16);
}

/** Average-cost realised PnL per reducing fill (see the header for the definition). */
export function winRate(trades: readonly TradeRow[]): { reducing: number; wins: number } {
  const pos = new Map<string, { qty: number; avg: number }>();
  let reducing = 0;
  let wins = 0;
  for (const t of trades) {
    const p = pos.get(t.symbol) ?? { qty: 0, avg: 0 };
    const q = Number(t.qty) * (t.side === 'buy' ? 1 : -1);
    const price = Number(t.price);
    if (p.qty !== 0 && Math.sign(q) !== Math.sign(p.qty)) {
      const closed = Math.min(Math.abs(q), Math.abs(p.qty));
      const realised = closed * (price - p.avg) * Math.sign(p.qty) - Number(t.fee);
      reducing++;
      if (realised > 0) wins++;
      const rest = p.qty + q;
      if (rest !== 0 && Math.sign(rest) !== Math.sign(p.qty)) p.avg = price; // flipped: the remainder opens at this price
      p.qty = rest;
    } else {
      const qty = p.qty + q;
      p.avg = qty === 0 ? 0 : (p.avg * p.qty + price * q) / qty;
      p.qty = qty;
    }
    pos.set(t.symbol, p);
  }
  return { reducing, wins };
}

async function finalReport(): Promise<void> {
  const m = await allMetrics();
  const g = (n: ServiceName) => m.get(n) ?? [];
  const pnl = await api<PnlJson>('portfolio', '/pnl');
  const snaps = await api<{ snapshots: Array<{ drawdown_ratio: string }> }>('portfolio', '/snapshots?limit=10000');
  let maxDd = num(pnl?.drawdown.drawdown_ratio);
  for (const s of snaps?.snapshots ?? []) maxDd = Math.max(Number.isNaN(maxDd) ? 0 : maxDd, Number(s.drawdown_ratio));
  let trades: TradeRow[] = [];
  if (process.env.MYSQL_URL) {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const mysql = require('mysql2/promise') as typeof import('mysql2/promise');
    const c = await mysql.createConnection(process.env.MYSQL_URL);
    try {
      // Fill order by data time (then the fill's own sequence): the ordered fills of the fingerprint.
      const [rows] = await c.query('SELECT symbol, side, qty, price, fee, ts FROM trades ORDER BY ts, seq');
      trades = rows as TradeRow[];
    } finally {
      await c.end();
    }
  }
  const wr = winRate(trades);
  const consensus = byLabel(g('signals-aggregator'), 'cte_consensus_total', 'side');
  const decisions = byLabel(g('risk'), 'cte_risk_decisions_total', 'decision');
  const rejected = byLabel(g('risk'), 'cte_risk_decisions_total', 'reason', { decision: 'REJECTED' });
  console.log('== final report');
  console.log(`  bars ${sumOf(g('price-stream'), 'cte_bars_closed_total')}, signals ${sumOf(g('signal-generator'), 'cte_signals_emitted_total')}, consensus BUY ${consensus.get('BUY') ?? 0} / SELL ${consensus.get('SELL') ?? 0} / HOLD ${consensus.get('HOLD') ?? 0}`);
  console.log(`  risk decisions: ${[...decisions.entries()].map(([k, v]) => `${k} ${v}`).join(', ') || 'none'}`);
  const nonZero = (m: Map<string, number>) => [...m.entries()].filter(([, v]) => v > 0).map(([k, v]) => `${k} ${v}`).join(', ') || 'none';
  console.log(`  recommendations (transitions by status): ${nonZero(byLabel(g('recommendations'), 'cte_recommendations_total', 'status'))}`);
  console.log(`  orders (transitions by status): ${nonZero(byLabel(g('execution'), 'cte_orders_total', 'status'))}`);
  console.log(`  risk rejections by reason: ${topReasons(rejected, 20) || 'none'}`);
  console.log(`  trades fingerprint: ${tradesFingerprint(trades)} (sha256 over the ordered fills: symbol, side, qty, price, fee, data time; compare runs with it — not yet stable across runs, see README "Deterministic decisions")`);
  console.log(`  trades (fills): ${trades.length}; win rate ${wr.reducing ? ((100 * wr.wins) / wr.reducing).toFixed(1) + '%' : '-'} (${wr.wins} of ${wr.reducing} position-reducing fills realised PnL > 0 net of fee, average-cost basis)`);
  console.log(
    `  PnL: realised ${money(num(pnl?.realized_pnl))}, unrealised ${money(num(pnl?.unrealized_pnl))}, fees ${money(num(pnl?.fees))}, total ${money(num(pnl?.total_pnl))}; equity ${money(num(pnl?.equity))} of ${money(num(pnl?.initial_capital))}`,
  );
  console.log(`  max drawdown: ${Number.isNaN(maxDd) ? '-' : (maxDd * 100).toFixed(2) + '%'} (largest drawdown_ratio in portfolio's snapshots)`);
  console.log('  pipeline latency (cte_pipeline_latency_seconds, interpolated from histogram buckets):');
  console.log(
    formatStageTable(stageLatencies(m))
      .split('\n')
      .map((l) => '  ' + l)
      .join('\n'),
  );
  for (const n of emptyStageNotes(stageLatencies(m))) console.log(`  ${n}`);
}

async function main(): Promise<void> {
  if (process.argv.includes('--live')) {
    const every = Number(process.env.DEMO_REPORT_INTERVAL_MS ?? 2000);
    const started = Date.now();
    for (;;) {
      await new Promise((r) => setTimeout(r, every));
      console.log(await liveLine(started));
    }
  }
  await finalReport();
}

if (require.main === module) {
  main().catch((err: unknown) => {
    process.stderr.write(`demo-report: ${(err as Error).message}\n`);
    process.exit(1);
  });
}
