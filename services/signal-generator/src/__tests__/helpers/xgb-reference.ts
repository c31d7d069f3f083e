import fs from 'node:fs';
import path from 'node:path';

/** A reference case: `<case>.model.json`, `<case>.input.json`, `<case>.expected.json` side by side. */
export interface XgbReferenceCase {
  name: string;
  model: unknown;
  /** Rows with null (missing) turned into NaN. */
  rows: Float64Array[];
  /** Row-major margins and transformed predictions. */
  margins: Float64Array;
  transformed: Float64Array;
  numOutputs: number;
}

function readJson(file: string): unknown {
  return JSON.parse(fs.readFileSync(file, 'utf8')) as unknown;
}

function flatten(x: unknown, what: string): { values: Float64Array; width: number } {
  if (!Array.isArray(x)) throw new Error(`${what}: expected an array`);
  const width = Array.isArray(x[0]) ? (x[0] as unknown[]).length : 1;
  const flat = (x as unknown[]).flatMap((v): unknown[] => (Array.isArray(v) ? (v as unknown[]) : [v]));
  if (flat.some((v) => typeof v !== 'number')) throw new Error(`${what}: expected numbers`);
  return { values: Float64Array.from(flat as number[]), width };
}

export function toRow(values: readonly unknown[]): Float64Array {
  return Float64Array.from(values, (v) => (typeof v === 'number' ? v : NaN));
}

/** Every `<case>.model.json` under `dir` (recursively), by case name. */
export function findReferenceCases(dir: string): Map<string, string> {
  const out = new Map<string, string>();
  const walk = (d: string): void => {
    for (const e of fs.readdirSync(d, { withFileTypes: true })) {
      const p = path.join(d, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.name.endsWith('.model.json')) out.set(e.name.slice(0, -'.model.json'.length), p.slice(0, -'.model.json'.length));
    }
  };
  walk(dir);
  return out;
}

export function readReferenceCase(name: string, prefix: string): XgbReferenceCase {
  const model = readJson(`${prefix}.model.json`);
  const input = readJson(`${prefix}.input.json`) as { features?: unknown };
  const expected = readJson(`${prefix}.expected.json`) as { predictions?: unknown; predictions_transformed?: unknown };
  if (!Array.isArray(input.features)) throw new Error(`${name}: input has no features array`);
  const rows = (input.features as unknown[]).map((r) => toRow(r as unknown[]));
  const m = flatten(expected.predictions, `${name} predictions`);
  const t = flatten(expected.predictions_transformed, `${name} predictions_transformed`);
  return { name, model, rows, margins: m.values, transformed: t.values, numOutputs: m.width };
}

export function maxAbsDiff(a: Float64Array, b: Float64Array): number {
  if (a.length !== b.length) return Infinity;
  let max = 0;
  for (let i = 0; i < a.length; i++) {
    const d = Math.abs(a[i]! - b[i]!);
    if (!(d <= max)) max = Number.isNaN(d) ? Infinity : d;
  }
  return max;
}
