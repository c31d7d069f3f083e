import { randomUUID } from 'node:crypto';
import {
  describeValue,
  ConflictError,
  FailedPreconditionError,
  InvalidArgumentError,
  NotFoundError,
  parseDecimalColumn,
  parseSymbol,
  parseTimeframe,
  restoreRows,
  type Quarantine,
  type Symbol,
  type TradableSymbols,
} from '@cte/shared';
import type { MarketDataEngine } from '../engine/market-data-engine';
import { EXCHANGE_ID, validateMonitorInput, type MonitorSpec } from '../engine/price-monitor';
import type { BarPage, BarRepository } from './bar-repository';
import { MONITOR_ID_MAX_LENGTH, PRICE_MONITORS } from './columns';
import { toPriceMessage, type PriceMessage } from './dto/messages';
import type { MonitorRepository, StoredAlert, StoredMonitor } from './monitor-repository';

export const MAX_BARS_LIMIT = 5000;
export const DEFAULT_BARS_LIMIT = 500;
export const MAX_ALERTS_LIMIT = 1000;
export const MAX_SYMBOLS_PER_REQUEST = 500;

export interface PriceStreamApiOptions {
  engine: MarketDataEngine;
  bars: BarRepository;
  monitors: MonitorRepository;
  /** The fleet's tradable symbols (TRADABLE_SYMBOLS): a request naming any other is refused (400). */
  tradable: TradableSymbols;
  /** The tradable symbols this price-stream follows (SYMBOLS, or all tradable ones). */
  symbols: readonly Symbol[];
  defaultExchange: string;
  maxMonitors: number;
}

/** Untrusted query values as they arrive from REST or gRPC. */
export interface RawBarsQuery {
  symbol: unknown;
  timeframe: unknown;
  from?: unknown;
  to?: unknown;
  limit?: unknown;
  cursor?: unknown;
  exchange?: unknown;
}

export interface RawAlertsQuery {
  symbol?: unknown;
  monitorId?: unknown;
  from?: unknown;
  to?: unknown;
  limit?: unknown;
  offset?: unknown;
}

/**
 * The use cases behind price-stream's REST and gRPC APIs. Both transports call
 * this, so validation and error semantics are the same whichever one a client uses.
 */
export class PriceStreamApi {
  constructor(private readonly o: PriceStreamApiOptions) {}

  /** Symbols the service follows (tradable ones; the source is filtered to them). */
  knownSymbols(): Set<string> {
    return new Set<string>(this.o.symbols);
  }

  getPrice(rawSymbol: unknown): PriceMessage {
    const symbol = this.requireKnown(rawSymbol);
    const tick = this.o.engine.latestPrice(symbol);
    if (!tick) throw new NotFoundError(`no price yet for ${symbol}`);
    return toPriceMessage(tick);
  }

  getPrices(rawSymbols: unknown): { prices: PriceMessage[]; missing: string[] } {
    const list = parseSymbolList(rawSymbols).map((s) => this.o.tradable.check(s, 'symbols'));
    const symbols = list.length > 0 ? list : [...this.knownSymbols()].sort();
    const prices: PriceMessage[] = [];
    const missing: string[] = [];
    for (const s of symbols) {
      const tick = this.o.engine.latestPrice(s);
      if (tick) prices.push(toPriceMessage(tick));
      else missing.push(s);
    }
    return { prices, missing };
  }

  async getBars(q: RawBarsQuery): Promise<BarPage> {
    const symbol = this.requireKnown(q.symbol);
    const timeframe = parseTimeframe(q.timeframe);
    const fromMs = optionalEpochMs(q.from, 'from');
    const toMs = optionalEpochMs(q.to, 'to');
    if (fromMs !== undefined && toMs !== undefined && fromMs > toMs) {
      throw new InvalidArgumentError(`from (${fromMs}) must not be after to (${toMs})`);
    }
    const limit = optionalInt(q.limit, 'limit', 1, MAX_BARS_LIMIT) ?? DEFAULT_BARS_LIMIT;
    const cursor = optionalString(q.cursor, 'cursor', 64);
    const exchangeRaw = optionalString(q.exchange, 'exchange', 32)?.toLowerCase();
    if (exchangeRaw !== undefined && !EXCHANGE_ID.test(exchangeRaw)) throw new InvalidArgumentError(`exchange must be an exchange id such as "coinbase", got ${describeValue(q.exchange)}`, { field: 'exchange' });
    const exchange = exchangeRaw ?? this.o.engine.latestPrice(symbol)?.exchange ?? this.o.defaultExchange;
    return this.o.bars.getBars({ exchange, symbol, timeframe, fromMs, toMs, limit, cursor });
  }

  async startMonitor(raw: unknown): Promise<StoredMonitor> {
    const input = typeof raw === 'object' && raw !== null ? { id: randomUUID(), ...(raw as Record<string, unknown>) } : raw;
    const spec: MonitorSpec = validateMonitorInput(input, { tradable: this.o.tradable, knownSymbols: this.knownSymbols() });
    // What the columns hold: a threshold that DECIMAL(12,6) would round (to 0, at worst) is refused here.
    parseDecimalColumn((input as Record<string, unknown>)['thresholdPct'], 'thresholdPct', PRICE_MONITORS.threshold_pct, { positive: true });
    if (spec.id.length > MONITOR_ID_MAX_LENGTH) {
      throw new InvalidArgumentError(`monitor id must be at most ${MONITOR_ID_MAX_LENGTH} characters, got ${spec.id.length}`, { field: 'id' });
    }
    if (this.o.engine.monitors.size >= this.o.maxMonitors) {
      throw new FailedPreconditionError(`monitor limit reached (${this.o.maxMonitors}); stop one first`);
    }
    if (this.o.engine.monitors.has(spec.id) || (await this.o.monitors.getMonitor(spec.id))) {
      throw new ConflictError(`monitor ${spec.id} already exists`);
    }
    const createdAt = Date.now();
    await this.o.monitors.insertMonitor(spec, createdAt);
    this.o.engine.monitors.add(spec);
    return { ...spec, active: true, createdAt, stoppedAt: null };
  }

  async stopMonitor(rawId: unknown): Promise<StoredMonitor> {
    const id = requireId(rawId);
    const stopped = await this.o.monitors.stopMonitor(id, Date.now());
    this.o.engine.monitors.remove(id);
    const m = await this.o.monitors.getMonitor(id);
    if (!m) throw new NotFoundError(`monitor ${id} not found`);
    if (!stopped && m.active) throw new ConflictError(`monitor ${id} could not be stopped`);
    return m;
  }

  async isMonitorActive(rawId: unknown): Promise<boolean> {
    const id = requireId(rawId);
    const m = await this.o.monitors.getMonitor(id);
    if (!m) throw new NotFoundError(`monitor ${id} not found`);
    return m.active && this.o.engine.monitors.has(id);
  }

  async getMonitor(rawId: unknown): Promise<StoredMonitor> {
    const id = requireId(rawId);
    const m = await this.o.monitors.getMonitor(id);
    if (!m) throw new NotFoundError(`monitor ${id} not found`);
    return m;
  }

  listMonitors(includeInactive: boolean): Promise<StoredMonitor[]> {
    return this.o.monitors.listMonitors(includeInactive);
  }

  /** Loads active monitors from MySQL into the engine (on start, so monitors survive restarts). */
  /** Loads the active monitors; one that no longer validates is quarantined (deactivated), never fatal. */
  async restoreMonitors(quarantine: Quarantine): Promise<number> {
    const active = await this.o.monitors.listMonitors(false);
    const restored = await restoreRows(active, {
      table: 'price_monitors',
      quarantine,
      idOf: (m) => m.id,
      restore: (m) => {
        if (!this.o.engine.monitors.has(m.id)) this.o.engine.monitors.add({ id: m.id, symbol: m.symbol, thresholdPct: m.thresholdPct, windowMs: m.windowMs });
      },
      deactivate: async (m) => void (await this.o.monitors.stopMonitor(m.id, Date.now())),
    });
    return restored.length;
  }

  listAlerts(q: RawAlertsQuery): Promise<{ alerts: StoredAlert[]; total: number }> {
    const symbol = q.symbol === undefined || q.symbol === '' ? undefined : this.o.tradable.require(q.symbol);
    const monitorId = q.monitorId === undefined || q.monitorId === '' ? undefined : requireId(q.monitorId);
    const fromMs = optionalEpochMs(q.from, 'from');
    const toMs = optionalEpochMs(q.to, 'to');
    if (fromMs !== undefined && toMs !== undefined && fromMs > toMs) {
      throw new InvalidArgumentError(`from (${fromMs}) must not be after to (${toMs})`);
    }
    const limit = optionalInt(q.limit, 'limit', 1, MAX_ALERTS_LIMIT) ?? 100;
    const offset = optionalInt(q.offset, 'offset', 0, 1_000_000) ?? 0;
    return this.o.monitors.listAlerts({ symbol, monitorId, fromMs, toMs, limit, offset });
  }

  /** Parses the symbol filter of a stream request; empty = all. */
  parseStreamSymbols(raw: unknown): Set<string> {
    return new Set(parseSymbolList(raw).map((s) => this.o.tradable.check(s, 'symbols')));
  }

  /** Not tradable: 400 naming the symbol. Tradable but not followed here: 404, like a symbol with no data yet. */
  private requireKnown(raw: unknown): Symbol {
    const symbol = this.o.tradable.require(raw);
    if (!this.knownSymbols().has(symbol)) throw new NotFoundError(`price-stream does not follow ${symbol} (SYMBOLS)`);
    return symbol;
  }
}

function parseSymbolList(raw: unknown): Symbol[] {
  if (raw === undefined || raw === null || raw === '') return [];
  const items: unknown[] | undefined = Array.isArray(raw) ? raw : typeof raw === 'string' ? raw.split(',') : undefined;
  if (!items) throw new InvalidArgumentError('symbols must be a comma-separated list such as BTC/USDT,ETH/USDT');
  const cleaned = items.map((s) => (typeof s === 'string' ? s.trim() : s)).filter((s) => s !== '');
  if (cleaned.length > MAX_SYMBOLS_PER_REQUEST) throw new InvalidArgumentError(`at most ${MAX_SYMBOLS_PER_REQUEST} symbols per request`);
  return [...new Set(cleaned.map(parseSymbol))];
}

function optionalInt(raw: unknown, field: string, min: number, max: number): number | undefined {
  if (raw === undefined || raw === null || raw === '') return undefined;
  const n = typeof raw === 'number' ? raw : typeof raw === 'string' && /^-?\d+$/.test(raw.trim()) ? Number(raw) : NaN;
  if (!Number.isInteger(n) || n < min || n > max) {
    throw new InvalidArgumentError(`${field} must be an integer from ${min} to ${max}, got ${describeValue(raw)}`);
  }
  return n;
}

function optionalEpochMs(raw: unknown, field: string): number | undefined {
  // An ISO date (Date.parse alone also takes "-1" as the year -1, and much else).
  if (typeof raw === 'string' && /^\d{4}-\d{2}-\d{2}/.test(raw)) {
    const ms = Date.parse(raw);
    if (Number.isFinite(ms) && ms >= 0) return ms;
  }
  return optionalInt(raw, field, 0, 8_640_000_000_000);
}

function optionalString(raw: unknown, field: string, maxLen: number): string | undefined {
  if (raw === undefined || raw === null || raw === '') return undefined;
  if (typeof raw !== 'string' || raw.length > maxLen) throw new InvalidArgumentError(`${field} must be a string of at most ${maxLen} characters`);
  return raw;
}

function requireId(raw: unknown): string {
  if (typeof raw !== 'string' || !/^[A-Za-z0-9][A-Za-z0-9_.:-]{0,127}$/.test(raw)) {
    throw new InvalidArgumentError(`invalid monitor id ${describeValue(raw)}`);
  }
  return raw;
}
