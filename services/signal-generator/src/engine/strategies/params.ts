/**
 * Validation of strategy parameters: each parameter has a default and bounds;
 * a value out of bounds, of the wrong type, or an unknown key is an
 * InvalidArgumentError naming the field (400 / INVALID_ARGUMENT at the edges).
 */
import { describeValue, InvalidArgumentError } from '@cte/shared/core';

export type RawParams = Readonly<Record<string, unknown>>;

export interface NumberBounds {
  default: number;
  min: number;
  max: number;
  /** Reject `min` itself. */
  exclusiveMin?: boolean;
  /** Reject `max` itself. */
  exclusiveMax?: boolean;
  integer?: boolean;
}

/** Documentation of one parameter: default and bounds, as served by the API. */
export interface ParamSpec {
  type: 'number' | 'integer' | 'boolean' | 'string';
  default?: number | boolean | string;
  min?: number;
  max?: number;
  exclusive_min?: boolean;
  exclusive_max?: boolean;
  pattern?: string;
  description: string;
}

export function describeNumber(b: NumberBounds, description: string): ParamSpec {
  const spec: ParamSpec = { type: b.integer ? 'integer' : 'number', default: b.default, min: b.min, max: b.max, description };
  if (b.exclusiveMin) spec.exclusive_min = true;
  if (b.exclusiveMax) spec.exclusive_max = true;
  return spec;
}

export function readNumber(raw: RawParams, key: string, b: NumberBounds, prefix = 'config'): number {
  const v = raw[key];
  if (v === undefined || v === null) return b.default;
  const field = `${prefix}.${key}`;
  if (typeof v !== 'number' || !Number.isFinite(v)) throw new InvalidArgumentError(`${field} must be a number, got ${describeValue(v)}`);
  if (b.integer && !Number.isInteger(v)) throw new InvalidArgumentError(`${field} must be an integer, got ${v}`);
  const lowOk = b.exclusiveMin ? v > b.min : v >= b.min;
  const highOk = b.exclusiveMax ? v < b.max : v <= b.max;
  if (!lowOk || !highOk) {
    const lo = b.exclusiveMin ? `(${b.min}` : `[${b.min}`;
    const hi = b.exclusiveMax ? `${b.max})` : `${b.max}]`;
    throw new InvalidArgumentError(`${field} must be in ${lo}, ${hi}, got ${v}`, { field, value: v, min: b.min, max: b.max });
  }
  return v;
}

export function readBoolean(raw: RawParams, key: string, dflt: boolean, prefix = 'config'): boolean {
  const v = raw[key];
  if (v === undefined || v === null) return dflt;
  if (typeof v !== 'boolean') throw new InvalidArgumentError(`${prefix}.${key} must be true or false, got ${describeValue(v)}`);
  return v;
}

export function readOptionalString(raw: RawParams, key: string, pattern: RegExp, prefix = 'config'): string | undefined {
  const v = raw[key];
  if (v === undefined || v === null || v === '') return undefined;
  if (typeof v !== 'string' || !pattern.test(v)) {
    throw new InvalidArgumentError(`${prefix}.${key} must match ${pattern.source}, got ${describeValue(v)}`);
  }
  return v;
}

/** Throws for keys not in `allowed` (a typo must not silently become a default). */
export function rejectUnknownKeys(raw: RawParams, allowed: readonly string[], what: string): void {
  const extra = Object.keys(raw).filter((k) => !allowed.includes(k));
  if (extra.length > 0) {
    throw new InvalidArgumentError(`unknown ${what} key(s): ${extra.join(', ')}; allowed: ${allowed.join(', ')}`, { unknown: extra });
  }
}

export function isPlainObject(x: unknown): x is Record<string, unknown> {
  return typeof x === 'object' && x !== null && !Array.isArray(x);
}
