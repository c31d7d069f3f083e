/**
 * Engine throughput: wire JSON → validate → ConsensusEngine.ingest (consensus recomputed for
 * every signal), with a closing bar per symbol every round so scoring runs too. The baseline,
 * measured in the same run on the same messages, is the parse step alone (JSON.parse plus the
 * shared contract's `parseSignalMessage`), i.e. what any consumer of `signals.raw` pays anyway.
 * Not part of `make bench`; call it from a REPL or script:
 *   node -e "console.log(require('./services/signals-aggregator/dist/engine/bench').benchmarkConsensus())"
 */
import { parseSignalMessage, type SignalMessage } from '@cte/shared/core';
import { ConsensusEngine } from './consensus-engine';

export interface ConsensusBenchOptions {
  signals?: number;
  symbols?: number;
  agents?: number;
  runs?: number;
}

export interface ConsensusBenchResult {
  /** Median signals/s through validate + apply + track (+ the bars that score them). */
  signalsPerSec: number;
  /** Median signals/s of JSON.parse + parseSignalMessage alone. */
  baselinePerSec: number;
  signals: number;
  symbols: number;
  agents: number;
  runs: number;
}

const T0 = Date.UTC(2018, 3, 4);
const MINUTE = 60_000;

function makeWorkload(n: number, symbols: number, agents: number): { messages: string[]; bars: Array<{ symbol: string; close: string; ts: number } | undefined> } {
  const messages = new Array<string>(n);
  const bars = new Array<{ symbol: string; close: string; ts: number } | undefined>(n);
  const perRound = symbols * agents;
  let seed = 42;
  const rnd = (): number => {
    seed = (seed * 1103515245 + 12345) % 2147483648;
    return seed / 2147483648;
  };
  for (let i = 0; i < n; i++) {
    const round = Math.floor(i / perRound);
    const sym = Math.floor((i % perRound) / agents);
    const agent = i % agents;
    const barTime = T0 + round * MINUTE;
    const price = (6800 + 50 * Math.sin(round / 30) + sym).toFixed(2);
    const side = rnd() < 0.45 ? 'BUY' : rnd() < 0.8 ? 'SELL' : 'HOLD';
    const s: SignalMessage = {
      id: `s-${i}`,
      agent_id: `agent_${agent}`,
      source_type: agent % 2 === 0 ? 'ml_model' : 'trend_follower',
      symbol: `B${sym}/USD`,
      timeframe: '1m',
      side,
      confidence: Math.round(rnd() * 1000) / 1000,
      horizon_ms: 5 * MINUTE,
      price,
      bar_time: barTime,
      created_at: barTime + MINUTE,
      trace_id: `trace${String(i).padStart(8, '0')}`,
    };
    messages[i] = JSON.stringify(s);
    // After the last agent of a symbol in a round: the next bar closes for that symbol.
    bars[i] = agent === agents - 1 ? { symbol: s.symbol, close: (Number(price) + (rnd() - 0.5) * 10).toFixed(2), ts: barTime + 2 * MINUTE } : undefined;
  }
  return { messages, bars };
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

export function benchmarkConsensus(opts: ConsensusBenchOptions = {}): ConsensusBenchResult {
  const n = opts.signals ?? 200_000;
  const symbols = opts.symbols ?? 20;
  const agents = opts.agents ?? 8;
  const runs = opts.runs ?? 5;
  const { messages, bars } = makeWorkload(n, symbols, agents);
  const symbolList = Array.from({ length: symbols }, (_, i) => `B${i}/USD`);
  // Wall "now" after every bar_time, so the contract's future check passes as it would live.
  const now = T0 + (n / (symbols * agents) + 10) * MINUTE;

  const engineRuns: number[] = [];
  const baselineRuns: number[] = [];
  let sink = 0;
  for (let r = 0; r < runs; r++) {
    let t = process.hrtime.bigint();
    for (let i = 0; i < n; i++) {
      const s = parseSignalMessage(JSON.parse(messages[i]!), { nowMs: now });
      sink += s.confidence;
    }
    baselineRuns.push(n / (Number(process.hrtime.bigint() - t) / 1e9));

    const engine = new ConsensusEngine({ halfLifeMs: 15 * MINUTE, maxAgeMs: 60 * MINUTE, minQuorum: 2, minAgreement: 0.6, symbols: symbolList });
    t = process.hrtime.bigint();
    for (let i = 0; i < n; i++) {
      const v = engine.validate(JSON.parse(messages[i]!), now);
      if (v.ok) sink += engine.ingest(v.signal).consensus.confidence;
      const bar = bars[i];
      if (bar) sink += engine.onPrice(bar.symbol, bar.close, bar.ts).length;
    }
    engineRuns.push(n / (Number(process.hrtime.bigint() - t) / 1e9));
  }
  if (sink === -1) console.log(sink); // keep the work observable
  return { signalsPerSec: Math.round(median(engineRuns)), baselinePerSec: Math.round(median(baselineRuns)), signals: n, symbols, agents, runs };
}

if (require.main === module) console.log(JSON.stringify(benchmarkConsensus(), null, 2));
