import { describeValue, InvalidArgumentError } from '@cte/shared/core';

/** Small typed accessors over parsed JSON; every failure names the JSON path. */

export type JsonObject = Readonly<Record<string, unknown>>;

export function isObject(x: unknown): x is JsonObject {
  return typeof x === 'object' && x !== null && !Array.isArray(x);
}

function describe(x: unknown): string {
  if (x === null) return 'null';
  if (Array.isArray(x)) return 'array';
  return typeof x;
}

export function fail(path: string, message: string): never {
  throw new InvalidArgumentError(`invalid XGBoost model JSON: ${path}: ${message}`, { path });
}

export function obj(parent: JsonObject, key: string, path: string): JsonObject {
  const v = parent[key];
  if (!isObject(v)) fail(`${path}.${key}`, `expected an object, got ${describe(v)}`);
  return v;
}

export function optObj(parent: JsonObject, key: string, path: string): JsonObject | undefined {
  return parent[key] === undefined ? undefined : obj(parent, key, path);
}

export function str(parent: JsonObject, key: string, path: string): string {
  const v = parent[key];
  if (typeof v !== 'string') fail(`${path}.${key}`, `expected a string, got ${describe(v)}`);
  return v;
}

/** XGBoost writes most parameters as strings ("3", "5E-1"); accept numbers too. */
export function numLike(parent: JsonObject, key: string, path: string): number {
  const v = parent[key];
  const n = typeof v === 'number' ? v : typeof v === 'string' && v.trim() !== '' ? Number(v) : NaN;
  if (!Number.isFinite(n)) fail(`${path}.${key}`, `expected a number, got ${describeValue(v)}`);
  return n;
}

export function intLike(parent: JsonObject, key: string, path: string, min = 0): number {
  const n = numLike(parent, key, path);
  if (!Number.isInteger(n) || n < min) fail(`${path}.${key}`, `expected an integer >= ${min}, got ${n}`);
  return n;
}

export function arr(parent: JsonObject, key: string, path: string): readonly unknown[] {
  const v = parent[key];
  if (!Array.isArray(v)) fail(`${path}.${key}`, `expected an array, got ${describe(v)}`);
  return v;
}

export function numArray(parent: JsonObject, key: string, path: string, length?: number): number[] {
  const a = arr(parent, key, path);
  if (length !== undefined && a.length !== length) fail(`${path}.${key}`, `expected ${length} entries, got ${a.length}`);
  const out = new Array<number>(a.length);
  for (let i = 0; i < a.length; i++) {
    const v = a[i];
    // Old XGBoost versions write default_left as booleans.
    const n = typeof v === 'number' ? v : typeof v === 'boolean' ? (v ? 1 : 0) : NaN;
    if (!Number.isFinite(n)) fail(`${path}.${key}[${i}]`, `expected a finite number, got ${describeValue(v)}`);
    out[i] = n;
  }
  return out;
}

export function intArray(parent: JsonObject, key: string, path: string, length?: number): number[] {
  const a = numArray(parent, key, path, length);
  for (let i = 0; i < a.length; i++) {
    if (!Number.isInteger(a[i])) fail(`${path}.${key}[${i}]`, `expected an integer, got ${a[i]}`);
  }
  return a;
}

export function optStrArray(parent: JsonObject, key: string, path: string): string[] | undefined {
  const v = parent[key];
  if (v === undefined) return undefined;
  if (!Array.isArray(v) || v.some((s) => typeof s !== 'string')) fail(`${path}.${key}`, 'expected an array of strings');
  return v as string[];
}
