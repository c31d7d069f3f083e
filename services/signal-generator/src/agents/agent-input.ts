/**
 * Validation of untrusted agent input (REST bodies, gRPC requests, stored rows).
 * Pure; throws InvalidArgumentError naming the field.
 */
import { describeValue, InvalidArgumentError, parseSymbol, parseTimeframe, type Symbol, type Timeframe, type TradableSymbols } from '@cte/shared';
import {
  defaultHorizonMs,
  isAgentType,
  parseAgentStrategy,
  type AgentStrategy,
  type AgentType,
} from '../engine/strategies';
import { isPlainObject } from '../engine/strategies/params';
import {
  AGENT_LOG_LEVELS,
  AGENT_STATUSES,
  type Agent,
  type AgentListQuery,
  type AgentLogLevel,
  type AgentLogQuery,
  type AgentStatus,
} from './types';

export const AGENT_NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/;
export const MAX_LIST_LIMIT = 500;
export const DEFAULT_LIST_LIMIT = 50;
export const MAX_LOG_LIMIT = 1000;
export const DEFAULT_LOG_LIMIT = 100;
const MAX_OFFSET = 10_000_000;

export interface NewAgentInput {
  name: string;
  symbol: Symbol;
  timeframe: Timeframe;
  strategy: AgentStrategy;
}

export function parseAgentName(raw: unknown): string {
  if (typeof raw !== 'string' || !AGENT_NAME.test(raw)) {
    throw new InvalidArgumentError(`name must be 1-64 letters, digits, '_', '.' or '-' (starting with a letter or digit), got ${describeValue(raw)}`);
  }
  return raw;
}

/** An id from a path or request: any non-empty string up to 128 characters (unknown ones are a 404 later). */
export function parseId(raw: unknown, what = 'id'): string {
  if (typeof raw !== 'string' || raw.length === 0 || raw.length > 128) throw new InvalidArgumentError(`${what} is required (a string of at most 128 characters)`);
  return raw;
}

function rejectUnknown(raw: Record<string, unknown>, allowed: readonly string[], what: string): void {
  const extra = Object.keys(raw).filter((k) => !allowed.includes(k));
  if (extra.length > 0) throw new InvalidArgumentError(`unknown ${what} field(s): ${extra.join(', ')}; allowed: ${allowed.join(', ')}`);
}

const CREATE_FIELDS = ['name', 'type', 'symbol', 'timeframe', 'config'] as const;
const PATCH_FIELDS = ['name', 'type', 'symbol', 'timeframe', 'config', 'version'] as const;

/** `{name, type, symbol, timeframe, config?}` → a validated new agent. */
export function parseNewAgent(raw: unknown, symbols: TradableSymbols): NewAgentInput {
  if (!isPlainObject(raw)) throw new InvalidArgumentError('body must be a JSON object {name, type, symbol, timeframe, config?}');
  rejectUnknown(raw, CREATE_FIELDS, 'agent');
  const name = parseAgentName(raw.name);
  const symbol = symbols.require(raw.symbol);
  const timeframe = parseTimeframe(raw.timeframe);
  const strategy = parseAgentStrategy(raw.type, timeframe, raw.config);
  return { name, symbol, timeframe, strategy };
}

export interface AgentPatch {
  /** The agent with the patch applied (id, status, times and version unchanged). */
  next: Agent;
  /** Names of the fields that changed. */
  changes: string[];
  /** The `version` the client said it edits, when it did. */
  expectedVersion?: number | undefined;
}

/**
 * Applies `{name?, type?, symbol?, timeframe?, config?, version?}` to `current`.
 * `config` is merged into the current config (a key set to null goes back to
 * its default). On a type change only the common keys carry over. On a
 * timeframe change a defaulted horizon_ms follows the new timeframe.
 */
export function applyAgentPatch(current: Agent, raw: unknown, symbols: TradableSymbols): AgentPatch {
  if (!isPlainObject(raw)) throw new InvalidArgumentError('body must be a JSON object');
  rejectUnknown(raw, PATCH_FIELDS, 'agent');
  let expectedVersion: number | undefined;
  if (raw.version !== undefined && raw.version !== null) {
    if (typeof raw.version !== 'number' || !Number.isInteger(raw.version) || raw.version < 1) {
      throw new InvalidArgumentError(`version must be a positive integer, got ${describeValue(raw.version)}`);
    }
    expectedVersion = raw.version;
  }
  const name = raw.name === undefined ? current.name : parseAgentName(raw.name);
  const symbol = raw.symbol === undefined ? current.symbol : symbols.require(raw.symbol);
  const timeframe = raw.timeframe === undefined ? current.timeframe : parseTimeframe(raw.timeframe);
  const type: unknown = raw.type === undefined ? current.type : raw.type;
  if (raw.config !== undefined && !isPlainObject(raw.config)) throw new InvalidArgumentError('config must be a JSON object');

  const currentConfig = current.config as unknown as Record<string, unknown>;
  const base: Record<string, unknown> =
    type === current.type ? { ...currentConfig } : { leverage: current.config.leverage, horizon_ms: current.config.horizon_ms };
  if (timeframe !== current.timeframe && base.horizon_ms === defaultHorizonMs(current.timeframe)) delete base.horizon_ms;
  const merged = { ...base, ...(isPlainObject(raw.config) ? raw.config : {}) };
  const strategy = parseAgentStrategy(type, timeframe, merged);

  const next = { ...current, name, symbol, timeframe, ...strategy };
  const changes: string[] = [];
  if (name !== current.name) changes.push('name');
  if (strategy.type !== current.type) changes.push('type');
  if (symbol !== current.symbol) changes.push('symbol');
  if (timeframe !== current.timeframe) changes.push('timeframe');
  if (stableJson(strategy.config) !== stableJson(current.config)) changes.push('config');
  return { next, changes, expectedVersion };
}

/** A stored row back into an Agent, re-validated (and new defaults filled). */
export function agentFromStored(row: {
  id: string;
  name: string;
  type: string;
  symbol: string;
  timeframe: string;
  config: unknown;
  status: string;
  created_at: number;
  updated_at: number;
  version: number;
}): Agent {
  const timeframe = parseTimeframe(row.timeframe);
  const strategy = parseAgentStrategy(row.type, timeframe, row.config);
  return {
    id: row.id,
    name: row.name,
    symbol: parseSymbol(row.symbol),
    timeframe,
    status: parseStatus(row.status),
    created_at: row.created_at,
    updated_at: row.updated_at,
    version: row.version,
    ...strategy,
  };
}

export function parseStatus(raw: unknown): AgentStatus {
  if (typeof raw !== 'string' || !(AGENT_STATUSES as readonly string[]).includes(raw)) {
    throw new InvalidArgumentError(`status must be one of ${AGENT_STATUSES.join(', ')}, got ${describeValue(raw)}`);
  }
  return raw as AgentStatus;
}

export function parseLogLevel(raw: unknown): AgentLogLevel {
  if (typeof raw !== 'string' || !(AGENT_LOG_LEVELS as readonly string[]).includes(raw)) {
    throw new InvalidArgumentError(`level must be one of ${AGENT_LOG_LEVELS.join(', ')}, got ${describeValue(raw)}`);
  }
  return raw as AgentLogLevel;
}

/** Untrusted list filters, as query strings or proto fields (''/0 = not given). */
export interface RawAgentListQuery {
  type?: unknown;
  status?: unknown;
  symbol?: unknown;
  limit?: unknown;
  offset?: unknown;
}

export interface RawAgentLogQuery {
  level?: unknown;
  limit?: unknown;
  offset?: unknown;
}

const given = (v: unknown): boolean => v !== undefined && v !== null && v !== '';

export function parseAgentListQuery(q: RawAgentListQuery, symbols: TradableSymbols): AgentListQuery {
  let type: AgentType | undefined;
  if (given(q.type)) {
    if (!isAgentType(q.type)) throw new InvalidArgumentError(`type must be one of ml_model, trend_follower, mean_reversion, breakout, got ${describeValue(q.type)}`);
    type = q.type;
  }
  return {
    type,
    status: given(q.status) ? parseStatus(q.status) : undefined,
    symbol: given(q.symbol) ? symbols.require(q.symbol) : undefined,
    limit: optionalInt(q.limit, 'limit', 1, MAX_LIST_LIMIT) ?? DEFAULT_LIST_LIMIT,
    offset: optionalInt(q.offset, 'offset', 0, MAX_OFFSET) ?? 0,
  };
}

export function parseAgentLogQuery(q: RawAgentLogQuery): AgentLogQuery {
  return {
    level: given(q.level) ? parseLogLevel(q.level) : undefined,
    limit: optionalInt(q.limit, 'limit', 1, MAX_LOG_LIMIT) ?? DEFAULT_LOG_LIMIT,
    offset: optionalInt(q.offset, 'offset', 0, MAX_OFFSET) ?? 0,
  };
}

export function optionalInt(raw: unknown, field: string, min: number, max: number): number | undefined {
  if (!given(raw)) return undefined;
  const n = typeof raw === 'number' ? raw : typeof raw === 'string' && /^-?\d+$/.test(raw.trim()) ? Number(raw) : Number.NaN;
  if (!Number.isInteger(n) || n < min || n > max) {
    throw new InvalidArgumentError(`${field} must be an integer from ${min} to ${max}, got ${describeValue(raw)}`);
  }
  return n;
}

/** JSON with sorted keys, for comparing configs. */
export function stableJson(v: unknown): string {
  return JSON.stringify(v, (_k, val: unknown) =>
    isPlainObject(val) ? Object.fromEntries(Object.keys(val).sort().map((k) => [k, val[k]])) : val,
  );
}
