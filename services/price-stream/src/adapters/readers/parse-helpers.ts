import { describeValue, InvalidArgumentError, timeframeMs } from '@cte/shared';
import type { Bar, Symbol, Timeframe } from '@cte/shared';

/** Where a value came from, for error messages: `file:line`. */
export function at(file: string, line: number): string {
  return `${file}:${line}`;
}

export function rowError(file: string, line: number, message: string): InvalidArgumentError {
  return new InvalidArgumentError(`${at(file, line)}: ${message}`, { file, line });
}

/** Splits text into lines (LF or CRLF), dropping trailing blank lines. */
export function splitLines(text: string): string[] {
  const lines = text.split(/\r?\n/);
  while (lines.length > 0 && lines[lines.length - 1]!.trim() === '') lines.pop();
  return lines;
}

const NUMBER = /^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/;

/** Parses a plain numeric CSV field; throws with file:line when it is not a finite number. */
export function parseNumberField(raw: string | undefined, name: string, file: string, line: number): number {
  const s = raw?.trim() ?? '';
  if (!NUMBER.test(s)) throw rowError(file, line, `${name} is not a number: ${describeValue(raw ?? '')}`);
  const n = Number(s);
  if (!Number.isFinite(n)) throw rowError(file, line, `${name} is not finite: ${describeValue(raw)}`);
  return n;
}

export function isNumeric(raw: string): boolean {
  return NUMBER.test(raw.trim());
}

export interface OhlcvValues {
  open: number;
  high: number;
  low: number;
  close: number;
  volume: number;
}

/** Prices positive, volume non-negative, low <= open,close <= high. */
export function checkOhlcv(v: OhlcvValues, file: string, line: number): void {
  if (!(v.open > 0 && v.high > 0 && v.low > 0 && v.close > 0)) throw rowError(file, line, 'prices must be > 0');
  if (!(v.volume >= 0)) throw rowError(file, line, `volume must be >= 0, got ${v.volume}`);
  if (v.low > v.high || v.open > v.high || v.close > v.high || v.open < v.low || v.close < v.low) {
    throw rowError(file, line, `inconsistent bar: open ${v.open} high ${v.high} low ${v.low} close ${v.close}`);
  }
}

export function makeBar(
  exchange: string,
  symbol: Symbol,
  timeframe: Timeframe,
  openTime: number,
  v: OhlcvValues,
  trades = 0,
): Bar {
  return {
    exchange,
    symbol,
    timeframe,
    openTime,
    closeTime: openTime + timeframeMs(timeframe),
    open: v.open,
    high: v.high,
    low: v.low,
    close: v.close,
    volume: v.volume,
    trades,
  };
}

/**
 * Epoch number in seconds, milliseconds, microseconds or nanoseconds, told
 * apart by magnitude (any date from 1973 to 5138), converted to milliseconds.
 */
export function epochToMs(value: number): number {
  const abs = Math.abs(value);
  if (abs < 1e11) return Math.round(value * 1_000);
  if (abs < 1e14) return Math.round(value);
  if (abs < 1e17) return Math.round(value / 1_000);
  return Math.round(value / 1_000_000);
}

const DATE_TIME = /^(\d{4})-(\d{2})-(\d{2})(?:[ T](\d{2}):(\d{2})(?::(\d{2})(\.\d+)?)?)?(Z|[+-]00:?00)?$/;

/** `YYYY-MM-DD[ HH:MM[:SS[.fff…]]][Z|+00:00]`, read as UTC; undefined when it does not match. */
export function parseUtcDateTime(raw: string): number | undefined {
  const m = DATE_TIME.exec(raw.trim());
  if (m === null) return undefined;
  const [, y, mo, d, h, mi, s, frac] = m;
  const ms = frac === undefined ? 0 : Math.round(Number(frac) * 1_000);
  const t = Date.UTC(Number(y), Number(mo) - 1, Number(d), Number(h ?? 0), Number(mi ?? 0), Number(s ?? 0), ms);
  const check = new Date(t);
  // Reject 2019-02-30 and friends, which Date.UTC silently rolls over.
  if (check.getUTCDate() !== Number(d) || check.getUTCMonth() !== Number(mo) - 1) return undefined;
  if (Number(h ?? 0) > 23 || Number(mi ?? 0) > 59 || Number(s ?? 0) > 59) return undefined;
  return t;
}

export interface Timed {
  openTime: number;
}

/**
 * Sorts rows oldest first (files may run newest first) and rejects duplicate
 * times, naming both lines. `lines[i]` is the source line of `rows[i]`.
 */
export function sortByTimeUnique<T extends Timed>(rows: T[], lines: number[], file: string): T[] {
  const order = rows.map((_, i) => i);
  order.sort((a, b) => rows[a]!.openTime - rows[b]!.openTime || a - b);
  for (let k = 1; k < order.length; k++) {
    const prev = order[k - 1]!;
    const cur = order[k]!;
    if (rows[prev]!.openTime === rows[cur]!.openTime) {
      throw rowError(file, lines[cur]!, `duplicate time ${new Date(rows[cur]!.openTime).toISOString()} (also at line ${lines[prev]})`);
    }
  }
  return order.map((i) => rows[i]!);
}
