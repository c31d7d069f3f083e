import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Bar } from '@cte/shared';
import { createTestDatabase, type TestDatabase } from '@cte/testkit';
import { MarketDataEngine } from '@cte/price-stream/engine';
import { readAnyFile } from '@cte/price-stream/dist/adapters/readers';
import { BarRepository } from '@cte/price-stream/dist/adapters/bar-repository';
import { FeaturePipeline } from '@cte/signal-generator/engine';
import { AgentRuntime } from '@cte/signal-generator/dist/agents/agent-runtime';
import { BarDecider, ConsensusEngine } from '@cte/signals-aggregator/engine';
import { AtrBook, KellySizer } from '@cte/recommendations/engine';
import { RiskEngine } from '@cte/risk/engine';
import { OrderManager, PaperExchange } from '@cte/execution/engine';
import { Portfolio } from '@cte/portfolio/engine';
import { compareDecisions, compareFills, fileInput, mysqlInput, readFleetConfig, runBacktest, type BacktestReport } from '../index';
import { parseAgents } from '../cli';

const REPO = path.resolve(__dirname, '..', '..', '..', '..');
const CSV = path.join(REPO, 'services', 'price-stream', 'data', 'replay', 'coinbase_btcusd_1h.csv');
const START = '2019-08-01T00:00:00Z';
const END = '2019-08-25T00:00:00Z';
/** make demo's settings (scripts/demo.sh) over a 24-day window of its data. */
const ENV = {
  REPLAY_FILES: CSV,
  REPLAY_START: START,
  REPLAY_END: END,
  TIMEFRAMES: '1h,4h,1d',
  SIGNAL_TIMEFRAMES: '1h',
  PRICE_TIMEFRAME: '1h',
  ALLOW_SHORT: 'true',
  TRADING_MODE: 'mock',
};
const config = readFleetConfig(ENV);

function windowBars(): Bar[] {
  const data = readAnyFile(CSV, { exchange: 'coinbase' });
  if (data.kind !== 'bars') throw new Error('expected bars');
  return data.bars.filter((b) => b.openTime >= Date.parse(START) && b.openTime <= Date.parse(END));
}

function tradeLines(r: BacktestReport): string[] {
  return r.fills.map((f) => `${f.ts} ${f.side} ${f.qty} ${f.price} ${f.fee}`);
}

describe('cte-backtest', () => {
  let first: BacktestReport;

  beforeAll(async () => {
    first = (await runBacktest({ config })).report;
  });

  it('trades a window of the demo data end to end, and the same input gives the same fills and fingerprint', async () => {
    expect(first.trades.fills).toBeGreaterThan(0);
    expect((first.pipeline.consensus.BUY ?? 0) + (first.pipeline.consensus.SELL ?? 0)).toBeGreaterThan(0);
    expect(first.pipeline.riskDecisions.APPROVED ?? 0).toBeGreaterThan(0);
    expect(first.fingerprint).toMatch(/^[0-9a-f]{16}$/);
    expect(first.window.from).toBe('2019-08-01T00:00:00.000Z');
    const again = (await runBacktest({ config })).report;
    expect(again.fingerprint).toBe(first.fingerprint);
    expect(tradeLines(again)).toEqual(tradeLines(first));
    expect(again.pnl).toEqual(first.pnl);
  });

  it('accounts for every fill: fees, per-symbol rows and equity agree with the fills', () => {
    const feeSum = first.fills.reduce((s, f) => s + Number(f.fee), 0);
    expect(Number(first.trades.fees)).toBeCloseTo(feeSum, 8);
    expect(Number(first.pnl.fees)).toBeCloseTo(feeSum, 8);
    const row = first.perSymbol.find((r) => r.symbol === 'BTC/USD');
    expect(row?.fills).toBe(first.trades.fills);
    const net = first.fills.reduce((s, f) => s + (f.side === 'buy' ? 1 : -1) * Number(f.qty), 0);
    expect(Number(row?.position)).toBeCloseTo(net, 8);
    // Equity = capital + realised + unrealised − fees (ledger identity).
    const p = first.pnl;
    expect(Number(p.equity)).toBeCloseTo(Number(p.initialCapital) + Number(p.realized) + Number(p.unrealized) - Number(p.fees), 6);
    expect(Number(first.maxDrawdownPct)).toBeGreaterThanOrEqual(0);
  });

  it('gives the same fills for the same bars as a pandas JSON file as for the CSV', async () => {
    const bars = windowBars();
    const dir = mkdtempSync(path.join(os.tmpdir(), 'cte-backtest-'));
    try {
      const col = (f: (b: Bar) => number): Record<string, number> => Object.fromEntries(bars.map((b, i) => [String(i), f(b)]));
      const file = path.join(dir, 'coinbase_btcusd_1h.json');
      writeFileSync(
        file,
        JSON.stringify({ date: col((b) => b.openTime), open: col((b) => b.open), high: col((b) => b.high), low: col((b) => b.low), close: col((b) => b.close), volume: col((b) => b.volume) }),
      );
      const input = fileInput({ files: [file], startMs: Date.parse(START), endMs: Date.parse(END), symbols: ['BTC/USD'], exchange: 'coinbase' });
      const fromJson = (await runBacktest({ config, input })).report;
      expect(fromJson.window.ticks).toBe(first.window.ticks);
      expect(tradeLines(fromJson)).toEqual(tradeLines(first));
      expect(fromJson.fingerprint).toBe(first.fingerprint);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  describe('from crypto_prices', () => {
    let tdb: TestDatabase;
    beforeAll(async () => {
      tdb = await createTestDatabase();
    });
    afterAll(async () => {
      await tdb.drop();
    });

    it('gives the same fills for bars stored in MySQL as for the file', async () => {
      await new BarRepository(tdb.db).upsertBars(windowBars());
      const input = mysqlInput({ url: tdb.url, exchange: 'coinbase', symbols: ['BTC/USD'], timeframe: '1h', startMs: Date.parse(START), endMs: Date.parse(END) });
      const fromDb = (await runBacktest({ config, input })).report;
      expect(fromDb.window.ticks).toBe(first.window.ticks);
      expect(tradeLines(fromDb)).toEqual(tradeLines(first));
      expect(fromDb.fingerprint).toBe(first.fingerprint);
    });
  });

  it('runs the services’ own engine classes', async () => {
    const { backtest } = await runBacktest({ config: readFleetConfig({ ...ENV, REPLAY_END: '2019-08-02T00:00:00Z' }) });
    expect(backtest.market).toBeInstanceOf(MarketDataEngine);
    expect(backtest.runtime).toBeInstanceOf(AgentRuntime);
    expect(backtest.consensus).toBeInstanceOf(ConsensusEngine);
    expect(backtest.decider).toBeInstanceOf(BarDecider);
    expect(backtest.sizer).toBeInstanceOf(KellySizer);
    expect(backtest.atr).toBeInstanceOf(AtrBook);
    expect(backtest.risk).toBeInstanceOf(RiskEngine);
    expect(backtest.orderManager).toBeInstanceOf(OrderManager);
    expect(backtest.venue).toBeInstanceOf(PaperExchange);
    expect(backtest.portfolio).toBeInstanceOf(Portfolio);
    // The default agents are signal-generator's seeded set for the market.
    expect(backtest.runtime.agents().map((a) => a.name).sort()).toEqual(['btc_breakout_1h', 'btc_mean_reversion_1h', 'btc_ml_model_1h', 'btc_trend_follower_1h']);
    expect(new FeaturePipeline().names.length).toBeGreaterThan(0);
  });

  it('runs only the agents it is given', async () => {
    const agents = parseAgents([{ name: 'trend', type: 'trend_follower', symbol: 'BTC/USD', timeframe: '1h' }]);
    const { backtest, report } = await runBacktest({ config, agents });
    expect(backtest.runtime.agents().map((a) => a.type)).toEqual(['trend_follower']);
    expect(report.pipeline.signals.BUY ?? 0).toBeLessThanOrEqual(first.pipeline.signals.BUY ?? 0);
    expect(() => parseAgents([{ name: 'x', type: 'nope', symbol: 'BTC/USD', timeframe: '1h' }])).toThrow();
    expect(() => parseAgents({})).toThrow('expected a JSON list');
  });

  it('compares its fills and decisions with a fleet run and points at the first difference', () => {
    const rows = first.fills.map((f) => ({ symbol: f.symbol, side: f.side, qty: `${f.qty}000`, price: f.price, fee: f.fee, ts: String(f.ts) }));
    const same = compareFills(first.fills, rows);
    expect(same).toMatchObject({ equal: true, backtestFingerprint: first.fingerprint, fleetFingerprint: first.fingerprint });
    const moved = rows.map((r, i) => (i === 1 ? { ...r, price: '1' } : r));
    const diff = compareFills(first.fills, moved);
    expect(diff.equal).toBe(false);
    expect(diff.firstDifference?.index).toBe(1);
    expect(diff.firstDifference?.fleet?.price).toBe('1');
    expect(compareFills(first.fills, rows.slice(0, -1)).firstDifference?.index).toBe(rows.length - 1);
    const decisions = first.decisions;
    expect(decisions.length).toBeGreaterThan(0);
    expect(compareDecisions(decisions, [...decisions].reverse()).equal).toBe(true);
    const other = compareDecisions(decisions, decisions.map((d, i) => (i === 0 ? { ...d, side: d.side === 'BUY' ? 'SELL' : 'BUY' } : d)));
    expect(other).toMatchObject({ equal: false, firstDifference: { index: 0 } });
  });

  it('holds no strategy or sizing logic: it imports only the kit, service engines and listed service glue', () => {
    // Service modules outside the engines that the backtest may use: configuration readers,
    // readers of market data, the model registry, and message mappings (no decisions).
    const allowed = new Set([
      '@cte/shared',
      '@cte/fleet',
      '@cte/execution/dist/config',
      '@cte/portfolio/dist/config',
      '@cte/price-stream/dist/config',
      '@cte/recommendations/dist/config',
      '@cte/risk/dist/config',
      '@cte/signal-generator/dist/config',
      '@cte/signals-aggregator/dist/config',
      '@cte/price-stream/dist/adapters/bar-repository',
      '@cte/price-stream/dist/adapters/sources/replay-source',
      '@cte/signal-generator/dist/adapters/model-registry',
      '@cte/signal-generator/dist/agents/agent-runtime',
      '@cte/signal-generator/dist/agents/types',
      '@cte/signals-aggregator/dist/adapters/signal-intake',
      '@cte/signals-aggregator/dist/adapters/records',
      '@cte/risk/dist/adapters/portfolio.gateway',
      '@cte/execution/dist/adapters/repository',
    ]);
    const src = path.join(__dirname, '..');
    const bad: string[] = [];
    for (const f of readdirSync(src).filter((n) => n.endsWith('.ts'))) {
      const text = readFileSync(path.join(src, f), 'utf8');
      for (const m of text.matchAll(/from '([^']+)'/g)) {
        const spec = m[1]!;
        if (spec.startsWith('node:') || spec.startsWith('./')) continue;
        if (/^@cte\/[a-z-]+\/engine$/.test(spec) || allowed.has(spec)) continue;
        bad.push(`${f}: ${spec}`);
      }
    }
    expect(bad).toEqual([]);
  });
});
