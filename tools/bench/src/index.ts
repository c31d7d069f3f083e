/**
 * Benchmark reporting for `make bench`: medians, a table next to the floor measured in the same
 * run, and one bench-results.json (git-ignored) with a section per service.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

export interface BenchRow {
  name: string;
  unit: string;
  median: number;
  runs: number[];
  floor_name: string;
  floor: number;
  target: string;
  /** median / floor, or floor / median when lower is better. */
  ratio_to_floor: number;
}

export const BENCH_RESULTS_FILE = path.resolve(__dirname, '..', '..', '..', 'bench-results.json');

export function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

export function benchRow(name: string, unit: string, runs: number[], floorName: string, floors: number[], target: string, higherIsBetter = true): BenchRow {
  const m = median(runs);
  const f = median(floors);
  return { name, unit, median: m, runs, floor_name: floorName, floor: f, target, ratio_to_floor: higherIsBetter ? m / f : f / m };
}

export function formatBenchTable(rows: readonly BenchRow[]): string {
  const fmt = (n: number) => (n >= 1000 ? Math.round(n).toLocaleString('en-US') : n >= 10 ? n.toFixed(1) : n.toPrecision(3));
  const header = ['benchmark', 'median', 'unit', 'floor (same run)', 'floor', 'vs floor', 'target'];
  const lines = rows.map((r) => [r.name, fmt(r.median), r.unit, r.floor_name, fmt(r.floor), `${(r.ratio_to_floor * 100).toFixed(0)}%`, r.target]);
  const widths = header.map((h, i) => Math.max(h.length, ...lines.map((l) => l[i]!.length)));
  const line = (cells: string[]) => '| ' + cells.map((c, i) => c.padEnd(widths[i]!)).join(' | ') + ' |';
  return [line(header), '|' + widths.map((w) => '-'.repeat(w + 2)).join('|') + '|', ...lines.map(line)].join('\n');
}

/** Prints the table and the JSON, and merges this service's section into bench-results.json. */
export function reportBench(service: string, rows: readonly BenchRow[], runs: number, extra: Record<string, unknown> = {}): void {
  let commit = 'unknown';
  try {
    commit = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  } catch {
    // not a git checkout
  }
  const machine = { node: process.version, cpus: os.cpus().length, runs, commit, ...extra };
  const section = { service, machine, results: rows };
  console.log(`\n## ${service}\n`);
  console.log(formatBenchTable(rows));
  console.log(`\nmedians of ${runs} runs; "vs floor" = median / floor (for lower-is-better figures: floor / median).`);
  console.log(JSON.stringify(section));
  let all: Record<string, unknown> = {};
  try {
    all = JSON.parse(fs.readFileSync(BENCH_RESULTS_FILE, 'utf8')) as Record<string, unknown>;
    if (Array.isArray(all) || typeof all !== 'object' || all === null || 'results' in all) all = {};
  } catch {
    all = {};
  }
  all[service] = section;
  fs.writeFileSync(BENCH_RESULTS_FILE, JSON.stringify(all, null, 2) + '\n');
}
