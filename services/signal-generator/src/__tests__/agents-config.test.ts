/** Agent config validation: types, defaults, bounds, unknown keys, and patch merging. Pure. */
import { InvalidArgumentError, TradableSymbols } from '@cte/shared';
import { agentFromStored, applyAgentPatch, parseAgentListQuery, parseAgentLogQuery, parseNewAgent } from '../agents/agent-input';
import type { Agent } from '../agents/types';
import { AGENT_TYPE_SPECS, AGENT_TYPES, commonParamSpecs, defaultHorizonMs, parseAgentStrategy } from '../engine/strategies';
import { parseTaskRequest } from '../tasks/task-input';

const SYMBOLS = TradableSymbols.of(['BTC/USDT', 'ETH/USDT'], 'test');

const bad = (fn: () => unknown, pattern: RegExp): void => {
  let thrown: unknown;
  try {
    fn();
  } catch (err) {
    thrown = err;
  }
  expect(thrown).toBeInstanceOf(InvalidArgumentError);
  expect((thrown as Error).message).toMatch(pattern);
};

describe('new agent', () => {
  it('accepts the seed example and fills every default', () => {
    const a = parseNewAgent({ name: 'btc_trend_follower', type: 'trend_follower', symbol: 'BTC-USDT', timeframe: '1h', config: { leverage: 5 } }, SYMBOLS);
    expect(a).toEqual({
      name: 'btc_trend_follower',
      symbol: 'BTC/USDT',
      timeframe: '1h',
      strategy: { type: 'trend_follower', config: { leverage: 5, horizon_ms: 4 * 3_600_000, adx_min: 20, di_confirm: true } },
    });
  });

  it('defaults horizon_ms to 4 bars of the timeframe and leverage to 1', () => {
    expect(parseAgentStrategy('breakout', '5m', undefined).config).toMatchObject({ leverage: 1, horizon_ms: 4 * 300_000 });
    expect(defaultHorizonMs('1d')).toBe(4 * 86_400_000);
    for (const t of AGENT_TYPES) expect(parseAgentStrategy(t, '15m', {}).type).toBe(t);
  });

  it('rejects a bad name, type, symbol, timeframe, or unknown fields', () => {
    const ok = { name: 'a1', type: 'breakout', symbol: 'ETH/USDT', timeframe: '4h' };
    bad(() => parseNewAgent({ ...ok, name: '' }, SYMBOLS), /name/);
    bad(() => parseNewAgent({ ...ok, name: 'has space' }, SYMBOLS), /name/);
    bad(() => parseNewAgent({ ...ok, name: 'x'.repeat(65) }, SYMBOLS), /name/);
    bad(() => parseNewAgent({ ...ok, type: 'martingale' }, SYMBOLS), /agent type/);
    bad(() => parseNewAgent({ ...ok, symbol: 'BTCUSDT' }, SYMBOLS), /symbol/);
    bad(() => parseNewAgent({ ...ok, symbol: 'FOO/BAR' }, SYMBOLS), /^unknown symbol FOO\/BAR: tradable symbols are BTC\/USDT, ETH\/USDT \(test\)/);
    bad(() => parseNewAgent({ ...ok, timeframe: '2h' }, SYMBOLS), /timeframe/);
    bad(() => parseNewAgent({ ...ok, status: 'running' }, SYMBOLS), /unknown agent field/);
    bad(() => parseNewAgent({ ...ok, config: [] }, SYMBOLS), /config must be a JSON object/);
    bad(() => parseNewAgent('nope', SYMBOLS), /JSON object/);
  });

  it('enforces bounds: leverage 1..10, threshold in (0.5, 1), horizon, and each type’s params', () => {
    bad(() => parseAgentStrategy('trend_follower', '1h', { leverage: 0 }), /config\.leverage must be in \[1, 10\]/);
    bad(() => parseAgentStrategy('trend_follower', '1h', { leverage: 11 }), /leverage/);
    bad(() => parseAgentStrategy('trend_follower', '1h', { leverage: '5' }), /leverage must be a number/);
    expect(parseAgentStrategy('trend_follower', '1h', { leverage: 10 }).config.leverage).toBe(10);
    bad(() => parseAgentStrategy('ml_model', '1h', { threshold: 0.5 }), /threshold must be in \(0\.5, 1\)/);
    bad(() => parseAgentStrategy('ml_model', '1h', { threshold: 1 }), /threshold/);
    expect(parseAgentStrategy('ml_model', '1h', { threshold: 0.55 }).config).toMatchObject({ threshold: 0.55 });
    bad(() => parseAgentStrategy('ml_model', '1h', { model: '../../etc' }), /model/);
    bad(() => parseAgentStrategy('breakout', '1h', { horizon_ms: 1000 }), /horizon_ms/);
    bad(() => parseAgentStrategy('breakout', '1h', { horizon_ms: 3_600_000.5 }), /integer/);
    bad(() => parseAgentStrategy('breakout', '1h', { buffer_pct: 6 }), /buffer_pct/);
    bad(() => parseAgentStrategy('trend_follower', '1h', { adx_min: -1 }), /adx_min/);
    bad(() => parseAgentStrategy('trend_follower', '1h', { di_confirm: 'yes' }), /di_confirm/);
    bad(() => parseAgentStrategy('mean_reversion', '1h', { rsi_oversold: 45, rsi_overbought: 45 }), /(rsi_overbought|rsi_oversold)/);
    bad(() => parseAgentStrategy('mean_reversion', '1h', { rsi_oversold: 40, rsi_overbought: 55, bb_pctb_low: 0.5, bb_pctb_high: 0.5 }), /bb_pctb_low/);
  });

  it('rejects keys of another type (a typo must not become a default)', () => {
    bad(() => parseAgentStrategy('breakout', '1h', { threshold: 0.7 }), /unknown breakout config key\(s\): threshold/);
    bad(() => parseAgentStrategy('trend_follower', '1h', { adx_mn: 20 }), /adx_mn/);
  });

  it('documents every parameter with its default and bounds', () => {
    for (const t of AGENT_TYPES) {
      const cfg = parseAgentStrategy(t, '1h', {}).config as unknown as Record<string, unknown>;
      for (const [k, spec] of Object.entries(AGENT_TYPE_SPECS[t].params)) {
        if (spec.default !== undefined) expect(cfg[k]).toBe(spec.default);
      }
    }
    expect(commonParamSpecs('1h').horizon_ms.default).toBe(4 * 3_600_000);
  });
});

describe('patch', () => {
  const stored = (): Agent =>
    agentFromStored({
      id: '1',
      name: 'eth_mr',
      type: 'mean_reversion',
      symbol: 'ETH/USDT',
      timeframe: '1h',
      config: { leverage: 3, rsi_oversold: 25 },
      status: 'stopped',
      created_at: 1,
      updated_at: 1,
      version: 4,
    });

  it('merges config, reports what changed, and re-validates', () => {
    const p = applyAgentPatch(stored(), { config: { rsi_overbought: 80 }, version: 4 }, SYMBOLS);
    expect(p.changes).toEqual(['config']);
    expect(p.expectedVersion).toBe(4);
    expect(p.next.config).toMatchObject({ leverage: 3, rsi_oversold: 25, rsi_overbought: 80 });
    bad(() => applyAgentPatch(stored(), { config: { rsi_overbought: 120 } }, SYMBOLS), /rsi_overbought/);
    bad(() => applyAgentPatch(stored(), { status: 'running' }, SYMBOLS), /unknown agent field/);
    bad(() => applyAgentPatch(stored(), { version: 0 }, SYMBOLS), /version/);
    bad(() => applyAgentPatch(stored(), { symbol: 'FOO/BAR' }, SYMBOLS), /unknown symbol FOO\/BAR/);
  });

  it('a null key goes back to its default; an identical patch changes nothing', () => {
    expect(applyAgentPatch(stored(), { config: { rsi_oversold: null } }, SYMBOLS).next.config).toMatchObject({ rsi_oversold: 30 });
    expect(applyAgentPatch(stored(), { name: 'eth_mr', config: { leverage: 3 } }, SYMBOLS).changes).toEqual([]);
  });

  it('on a type change only leverage and horizon carry over', () => {
    const p = applyAgentPatch(stored(), { type: 'breakout' }, SYMBOLS);
    expect(p.changes).toEqual(['type', 'config']);
    expect(p.next).toMatchObject({ type: 'breakout', config: { leverage: 3, horizon_ms: 4 * 3_600_000, buffer_pct: 0 } });
  });

  it('a defaulted horizon follows a timeframe change; an explicit one stays', () => {
    expect(applyAgentPatch(stored(), { timeframe: '4h' }, SYMBOLS).next.config.horizon_ms).toBe(4 * 14_400_000);
    const explicit = applyAgentPatch(stored(), { config: { horizon_ms: 7_200_000 } }, SYMBOLS).next;
    expect(applyAgentPatch(explicit, { timeframe: '4h' }, SYMBOLS).next.config.horizon_ms).toBe(7_200_000);
  });
});

describe('queries and task requests', () => {
  it('list and log queries: defaults, bounds and enums', () => {
    expect(parseAgentListQuery({}, SYMBOLS)).toEqual({ type: undefined, status: undefined, symbol: undefined, limit: 50, offset: 0 });
    expect(parseAgentListQuery({ type: 'breakout', status: 'running', limit: '10', offset: '5' }, SYMBOLS)).toMatchObject({ type: 'breakout', status: 'running', limit: 10, offset: 5 });
    bad(() => parseAgentListQuery({ status: 'paused' }, SYMBOLS), /status/);
    bad(() => parseAgentListQuery({ type: 'x' }, SYMBOLS), /type/);
    bad(() => parseAgentListQuery({ symbol: 'FOO/BAR' }, SYMBOLS), /unknown symbol FOO\/BAR/);
    bad(() => parseAgentListQuery({ limit: '0' }, SYMBOLS), /limit/);
    bad(() => parseAgentListQuery({ limit: '501' }, SYMBOLS), /limit/);
    expect(parseAgentLogQuery({ level: 'warn' })).toEqual({ level: 'warn', limit: 100, offset: 0 });
    bad(() => parseAgentLogQuery({ level: 'fatal' }), /level/);
    bad(() => parseAgentLogQuery({ offset: '-1' }), /offset/);
  });

  it('task requests: defaults from the engine, bounds, JSON types', () => {
    const d = { timeoutMs: 30_000, maxAttempts: 3 };
    expect(parseTaskRequest(undefined, d)).toEqual({ parameters: {}, priority: 5, timeoutMs: 30_000, maxAttempts: 3 });
    expect(parseTaskRequest({ parameters: { a: 1 }, priority: 9, timeout_ms: 500, max_attempts: 1 }, d)).toEqual({ parameters: { a: 1 }, priority: 9, timeoutMs: 500, maxAttempts: 1 });
    bad(() => parseTaskRequest({ priority: 11 }, d), /priority/);
    bad(() => parseTaskRequest({ priority: '5' }, d), /priority/);
    bad(() => parseTaskRequest({ timeout_ms: 0 }, d), /timeout_ms/);
    bad(() => parseTaskRequest({ max_attempts: 0 }, d), /max_attempts/);
    bad(() => parseTaskRequest({ parameters: [1] }, d), /parameters/);
    bad(() => parseTaskRequest({ parameters: { s: 'x'.repeat(70_000) } }, d), /parameters/);
    bad(() => parseTaskRequest({ prio: 1 }, d), /unknown field/);
  });
});
