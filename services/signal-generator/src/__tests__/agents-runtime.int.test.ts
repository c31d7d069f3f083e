/**
 * AgentRuntime (pure: running agents by market → SignalMessages) and the
 * SignalRepository it feeds (real MariaDB: one signal per source and bar).
 */
import { createLogger, parseSignalMessage, type SignalMessage } from '@cte/shared';
import { createTestDatabase, type TestDatabase } from '@cte/testkit';
import { SignalRepository } from '../adapters/signal-repository';
import { agentFromStored } from '../agents/agent-input';
import { AgentRuntime } from '../agents/agent-runtime';
import type { Agent } from '../agents/types';
import { featureViewFrom, type ModelPredictor, type StrategyDecision } from '../engine/strategies';

const H = 3_600_000;
const T0 = Date.UTC(2024, 0, 1);

function agent(id: string, type: string, symbol = 'BTC/USDT', timeframe = '1h', config: Record<string, unknown> = {}): Agent {
  return agentFromStored({ id, name: `n_${id}`, type, symbol, timeframe, config, status: 'running', created_at: 1, updated_at: 1, version: 1 });
}

const below = featureViewFrom({ close: 100, ema_12: 99, ema_26: 100, adx_14: 30, pdi_14: 30, mdi_14: 10, rsi_14: 50, bb_pctb_20_2: 0.5, donchian_high_20_prev: 120, donchian_low_20_prev: 80, atr_14: 2 });
const above = featureViewFrom({ close: 101, ema_12: 101, ema_26: 100, adx_14: 30, pdi_14: 30, mdi_14: 10, rsi_14: 50, bb_pctb_20_2: 0.5, donchian_high_20_prev: 120, donchian_low_20_prev: 80, atr_14: 2 });

describe('AgentRuntime', () => {
  it('evaluates only the agents on the bar’s (symbol, timeframe) and emits SignalMessages the fleet accepts', () => {
    let n = 0;
    const rt = new AgentRuntime({ now: () => T0 + 5 * H, newId: () => `sig-${++n}` });
    rt.arm(agent('a1', 'trend_follower', 'BTC/USDT', '1h', { leverage: 5 }));
    rt.arm(agent('a2', 'trend_follower', 'ETH/USDT', '1h'));
    rt.arm(agent('a3', 'trend_follower', 'BTC/USDT', '4h'));
    expect(rt.markets()).toHaveLength(3);

    expect(rt.onFeatures('BTC/USDT', '1h', { openTime: T0, close: 100 }, below)).toEqual([]); // no previous relation yet
    const out = rt.onFeatures('BTC/USDT', '1h', { openTime: T0 + H, close: 101.25, traceId: 'trace-0001' }, above);
    expect(out).toEqual([
      {
        id: 'sig-1',
        agent_id: 'a1',
        source_type: 'trend_follower',
        symbol: 'BTC/USDT',
        timeframe: '1h',
        side: 'BUY',
        confidence: expect.any(Number),
        horizon_ms: 4 * H,
        price: '101.25',
        bar_time: T0 + H,
        created_at: T0 + 5 * H,
        trace_id: 'trace-0001',
      },
    ]);
    expect(parseSignalMessage(out[0], { nowMs: T0 + 5 * H })).toEqual(out[0]);
    // The other markets' agents did not move: ETH's first bar only records its relation.
    expect(rt.onFeatures('ETH/USDT', '1h', { openTime: T0 + H, close: '101' }, above)).toEqual([]);
  });

  it('ignores a bar that is not newer than the last one (replay), so state and signals do not repeat', () => {
    const rt = new AgentRuntime();
    rt.arm(agent('a1', 'trend_follower'));
    rt.onFeatures('BTC/USDT', '1h', { openTime: T0, close: 100 }, below);
    expect(rt.onFeatures('BTC/USDT', '1h', { openTime: T0 + H, close: 101 }, above)).toHaveLength(1);
    expect(rt.onFeatures('BTC/USDT', '1h', { openTime: T0 + H, close: 101 }, above)).toEqual([]);
    expect(rt.onFeatures('BTC/USDT', '1h', { openTime: T0, close: 100 }, below)).toEqual([]);
    // Next bar crosses back down: the state followed the real bars only.
    const down = featureViewFrom({ ema_12: 98, ema_26: 100, adx_14: 30, pdi_14: 10, mdi_14: 30 });
    expect(rt.onFeatures('BTC/USDT', '1h', { openTime: T0 + 2 * H, close: 98 }, down).map((s) => s.side)).toEqual(['SELL']);
  });

  it('ml_model agents use the injected predictor and stamp its version; no model → no signal', () => {
    const decisions: StrategyDecision[] = [];
    const rt = new AgentRuntime({ onDecision: (_a, d) => decisions.push(d) });
    rt.arm(agent('m1', 'ml_model', 'BTC/USDT', '1h', { threshold: 0.65 }));
    const predictor: ModelPredictor = { version: 'btc-1h-v3', predictProba: (f) => (f.get('rsi_14') > 40 ? 0.2 : 0.5) };
    const [s] = rt.onFeatures('BTC/USDT', '1h', { openTime: T0, close: 100 }, below, () => predictor);
    expect(s).toMatchObject({ side: 'SELL', confidence: 0.8, model_version: 'btc-1h-v3', source_type: 'ml_model' });
    expect(rt.onFeatures('BTC/USDT', '1h', { openTime: T0 + H, close: 100 }, below, () => undefined)).toEqual([]);
    expect(decisions.map((d) => d.side)).toEqual(['SELL', 'HOLD']);
  });

  it('emitHold emits HOLDs; a throwing strategy is reported and skipped; disarm and re-arm', () => {
    const errors: string[] = [];
    const rt = new AgentRuntime({ emitHold: true, onError: (a, err) => errors.push(`${a.id}: ${(err as Error).message}`) });
    rt.arm(agent('b1', 'breakout'));
    rt.arm(agent('m1', 'ml_model'));
    const out = rt.onFeatures('BTC/USDT', '1h', { openTime: T0, close: 100 }, below, () => ({
      version: 'v1',
      predictProba: () => {
        throw new Error('bad tree');
      },
    }));
    expect(out.map((s) => [s.agent_id, s.side, s.confidence])).toEqual([['b1', 'HOLD', 0]]);
    expect(errors).toEqual(['m1: bad tree']);
    rt.disarm('b1');
    expect(rt.agentsFor('BTC/USDT', '1h').map((a) => a.id)).toEqual(['m1']);
    rt.arm(agent('b1', 'breakout', 'ETH/USDT'));
    expect(rt.agentsFor('ETH/USDT', '1h').map((a) => a.id)).toEqual(['b1']);
    expect(rt.size).toBe(2);
  });

  it('re-arming keeps state for a leverage change but resets it for a new strategy config', () => {
    const rt = new AgentRuntime();
    rt.arm(agent('a1', 'trend_follower'));
    rt.onFeatures('BTC/USDT', '1h', { openTime: T0, close: 100 }, below);
    rt.arm(agent('a1', 'trend_follower', 'BTC/USDT', '1h', { leverage: 3 }));
    expect(rt.onFeatures('BTC/USDT', '1h', { openTime: T0 + H, close: 101 }, above)).toHaveLength(1);
    const down = featureViewFrom({ ema_12: 98, ema_26: 100, adx_14: 30, pdi_14: 10, mdi_14: 30 });
    const kept = new AgentRuntime();
    kept.arm(agent('a1', 'trend_follower'));
    kept.onFeatures('BTC/USDT', '1h', { openTime: T0 + H, close: 101 }, above);
    kept.arm(agent('a1', 'trend_follower', 'BTC/USDT', '1h', { horizon_ms: 2 * H }));
    expect(kept.onFeatures('BTC/USDT', '1h', { openTime: T0 + 2 * H, close: 98 }, down).map((s) => [s.side, s.horizon_ms])).toEqual([['SELL', 2 * H]]);
    rt.arm(agent('a1', 'trend_follower', 'BTC/USDT', '1h', { adx_min: 10 }));
    expect(rt.onFeatures('BTC/USDT', '1h', { openTime: T0 + 2 * H, close: 98 }, down)).toEqual([]); // fresh state: no cross yet
  });
});

describe('SignalRepository (real MariaDB)', () => {
  const logger = createLogger({ service: 'test', level: 'silent' });
  let tdb: TestDatabase;
  beforeAll(async () => {
    tdb = await createTestDatabase(logger);
  });
  afterAll(async () => {
    await tdb?.drop();
  });

  it('stores signals once per (source, symbol, timeframe, bar): a replayed bar is reported as not new', async () => {
    const repo = new SignalRepository(tdb.db);
    const rt = new AgentRuntime();
    rt.arm(agent('a1', 'trend_follower'));
    rt.arm(agent('m1', 'ml_model'));
    const p = { version: 'v7', predictProba: () => 0.9 };
    rt.onFeatures('BTC/USDT', '1h', { openTime: T0, close: 100 }, below, () => p);
    const signals = rt.onFeatures('BTC/USDT', '1h', { openTime: T0 + H, close: '101.123456789012345678' }, above, () => p);
    expect(signals).toHaveLength(2);
    expect(await repo.insert(signals)).toEqual(signals);

    // The same bar again (a fresh runtime, e.g. after a restart, replays it): new ids, same bar → nothing new.
    const rt2 = new AgentRuntime();
    rt2.arm(agent('m1', 'ml_model'));
    const again = rt2.onFeatures('BTC/USDT', '1h', { openTime: T0 + H, close: 101 }, above, () => p);
    expect(again).toHaveLength(1);
    expect(again[0]!.id).not.toBe(signals[1]!.id);
    expect(await repo.insert(again)).toEqual([]);

    const stored = await repo.list({ symbol: 'BTC/USDT', limit: 10, offset: 0 });
    expect(stored.total).toBe(2);
    const byAgent = new Map<string, SignalMessage>(stored.signals.map((s) => [s.agent_id, s]));
    expect(byAgent.get('m1')).toEqual(signals.find((s) => s.agent_id === 'm1'));
    expect(byAgent.get('a1')?.price).toBe('101.123456789012345678'); // exact DECIMAL
    expect(byAgent.get('m1')?.model_version).toBe('v7');
  });
});
