import { describeValue, ConflictError, InvalidArgumentError, parseSymbol } from '@cte/shared/core';
import type { Symbol, Tick, TradableSymbols } from '@cte/shared/core';
import { MonotonicDeque } from './monotonic-deque';

export const MIN_WINDOW_MS = 1_000;
export const MAX_WINDOW_MS = 7 * 24 * 3_600_000;
/** A larger threshold is a typo, not a monitor (a down-move can never exceed 100%). */
export const MAX_THRESHOLD_PCT = 1_000;

/** A price monitor: alert when `symbol` moves by more than `thresholdPct` within `windowMs`. */
export interface MonitorSpec {
  id: string;
  symbol: Symbol;
  thresholdPct: number;
  windowMs: number;
  /** Only ticks from this exchange; all exchanges when absent. */
  exchange?: string;
}

export type AlertDirection = 'up' | 'down';

export interface Alert {
  monitorId: string;
  symbol: Symbol;
  exchange: string;
  direction: AlertDirection;
  /** Signed: positive for up, negative for down, in percent of `referencePrice`. */
  changePct: number;
  /** The window minimum for an up-move, the window maximum for a down-move. */
  referencePrice: number;
  price: number;
  windowMs: number;
  /** Time of the tick that fired, epoch ms. */
  ts: number;
}

export interface MonitorValidationOptions {
  /** The fleet's tradable symbols (TRADABLE_SYMBOLS): any other is refused, naming it. */
  tradable?: TradableSymbols;
  /** When given, the symbol must also be one this price-stream follows (its SYMBOLS). */
  knownSymbols?: ReadonlySet<string>;
}

const MONITOR_ID = /^[A-Za-z0-9][A-Za-z0-9_.:-]{0,127}$/;
export const EXCHANGE_ID = /^[a-z][a-z0-9_-]{0,31}$/;
const DECIMAL = /^\d+(\.\d+)?$/;
const INTEGER = /^\d+$/;

function isRecord(x: unknown): x is Record<string, unknown> {
  return typeof x === 'object' && x !== null && !Array.isArray(x);
}

/** A finite number, or a plain decimal string (how numbers travel between services). */
function toNumber(value: unknown, pattern: RegExp): number | undefined {
  if (typeof value === 'number') return Number.isFinite(value) ? value : undefined;
  if (typeof value === 'string' && pattern.test(value.trim())) return Number(value.trim());
  return undefined;
}

/**
 * Checks an untrusted monitor definition (REST body, gRPC request) and returns
 * it normalised. Throws InvalidArgumentError naming the first bad field.
 */
export function validateMonitorInput(raw: unknown, options: MonitorValidationOptions = {}): MonitorSpec {
  if (!isRecord(raw)) throw new InvalidArgumentError('monitor must be an object {id, symbol, thresholdPct, windowMs}');

  const id = raw['id'];
  if (typeof id !== 'string' || !MONITOR_ID.test(id)) {
    throw new InvalidArgumentError(
      `monitor id must be 1-128 characters of letters, digits, '_', '.', ':' or '-', got ${describeValue(id)}`,
      { field: 'id' },
    );
  }

  const symbol = options.tradable !== undefined ? options.tradable.require(raw['symbol'], 'symbol') : parseSymbol(raw['symbol']);
  if (options.knownSymbols !== undefined && !options.knownSymbols.has(symbol)) {
    throw new InvalidArgumentError(`symbol ${symbol} is not followed by this price-stream (SYMBOLS)`, { field: 'symbol' });
  }

  const thresholdPct = toNumber(raw['thresholdPct'], DECIMAL);
  if (thresholdPct === undefined || !(thresholdPct > 0) || thresholdPct > MAX_THRESHOLD_PCT) {
    throw new InvalidArgumentError(
      `thresholdPct must be a number > 0 and <= ${MAX_THRESHOLD_PCT}, got ${describeValue(raw['thresholdPct'])}`,
      { field: 'thresholdPct' },
    );
  }

  const windowMs = toNumber(raw['windowMs'], INTEGER);
  if (windowMs === undefined || !Number.isInteger(windowMs) || windowMs < MIN_WINDOW_MS || windowMs > MAX_WINDOW_MS) {
    throw new InvalidArgumentError(
      `windowMs must be an integer number of milliseconds from ${MIN_WINDOW_MS} (1s) to ${MAX_WINDOW_MS} (7d), got ${describeValue(raw['windowMs'])}`,
      { field: 'windowMs' },
    );
  }

  const spec: MonitorSpec = { id, symbol, thresholdPct, windowMs };
  const exchange = raw['exchange'];
  if (exchange !== undefined && exchange !== null && exchange !== '') {
    if (typeof exchange !== 'string' || !EXCHANGE_ID.test(exchange.toLowerCase())) {
      throw new InvalidArgumentError(`exchange must be an exchange id such as "binance", got ${describeValue(exchange)}`, {
        field: 'exchange',
      });
    }
    spec.exchange = exchange.toLowerCase();
  }
  return spec;
}

const NO_ALERTS: readonly Alert[] = Object.freeze([]);

class MonitorState {
  readonly windowMin = new MonotonicDeque('min');
  readonly windowMax = new MonotonicDeque('max');
  lastTs = -Infinity;
  constructor(readonly spec: Readonly<MonitorSpec>) {}

  /** Feeds one tick; returns the alert it fires, if any. */
  observe(tick: Tick): Alert | undefined {
    const { ts, price } = tick;
    // Stale ticks would break the window's time order; a late price is no news anyway.
    if (ts < this.lastTs || !(price > 0)) return undefined;
    this.lastTs = ts;
    const oldest = ts - this.spec.windowMs;
    this.windowMin.evictBefore(oldest);
    this.windowMax.evictBefore(oldest);
    const min = this.windowMin.front();
    const max = this.windowMax.front();
    let alert: Alert | undefined;
    if (min !== undefined && max !== undefined) {
      const upPct = ((price - min) * 100) / min;
      const downPct = ((max - price) * 100) / max;
      const threshold = this.spec.thresholdPct;
      if (upPct > threshold || downPct > threshold) {
        const up = upPct >= downPct;
        alert = {
          monitorId: this.spec.id,
          symbol: this.spec.symbol,
          exchange: tick.exchange,
          direction: up ? 'up' : 'down',
          changePct: up ? upPct : -downPct,
          referencePrice: up ? min : max,
          price,
          windowMs: this.spec.windowMs,
          ts,
        };
        // Debounce: the window restarts from this tick, so one move fires once.
        this.windowMin.clear();
        this.windowMax.clear();
      }
    }
    this.windowMin.push(ts, price);
    this.windowMax.push(ts, price);
    return alert;
  }
}

/**
 * Evaluates price monitors against ticks. A monitor fires when the price is
 * more than `thresholdPct` above the minimum (up) or below the maximum (down)
 * of the ticks in the last `windowMs` (ticks with ts >= now - windowMs), then
 * its window restarts from the firing tick. Amortised O(1) per tick per monitor.
 */
export class MonitorEngine {
  private readonly byId = new Map<string, MonitorState>();
  private readonly bySymbol = new Map<string, MonitorState[]>();

  /** Adds a monitor (validated again here); ConflictError if the id is taken. */
  add(input: MonitorSpec): MonitorSpec {
    const spec = validateMonitorInput(input);
    if (this.byId.has(spec.id)) throw new ConflictError(`monitor ${spec.id} already exists`);
    const state = new MonitorState(spec);
    this.byId.set(spec.id, state);
    const list = this.bySymbol.get(spec.symbol);
    if (list === undefined) this.bySymbol.set(spec.symbol, [state]);
    else list.push(state);
    return { ...spec };
  }

  /** Removes a monitor; false if there was none with that id. */
  remove(id: string): boolean {
    const state = this.byId.get(id);
    if (state === undefined) return false;
    this.byId.delete(id);
    const list = this.bySymbol.get(state.spec.symbol)!;
    const remaining = list.filter((s) => s !== state);
    if (remaining.length === 0) this.bySymbol.delete(state.spec.symbol);
    else this.bySymbol.set(state.spec.symbol, remaining);
    return true;
  }

  has(id: string): boolean {
    return this.byId.has(id);
  }

  get(id: string): MonitorSpec | undefined {
    const state = this.byId.get(id);
    return state === undefined ? undefined : { ...state.spec };
  }

  /** All monitors in insertion order, or those of one symbol. */
  list(symbol?: Symbol): MonitorSpec[] {
    const states = symbol === undefined ? [...this.byId.values()] : (this.bySymbol.get(symbol) ?? []);
    return states.map((s) => ({ ...s.spec }));
  }

  get size(): number {
    return this.byId.size;
  }

  /** Feeds a tick to the monitors of its symbol; returns the alerts fired, usually none. */
  onTick(tick: Tick): readonly Alert[] {
    const states = this.bySymbol.get(tick.symbol);
    if (states === undefined) return NO_ALERTS;
    let alerts: Alert[] | undefined;
    for (let i = 0; i < states.length; i++) {
      const state = states[i]!;
      if (state.spec.exchange !== undefined && state.spec.exchange !== tick.exchange) continue;
      const alert = state.observe(tick);
      if (alert !== undefined) (alerts ??= []).push(alert);
    }
    return alerts ?? NO_ALERTS;
  }
}
