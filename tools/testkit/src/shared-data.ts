import fs from 'node:fs';
import path from 'node:path';

/**
 * The real-market-data folder (`../shared/data` beside the repository; see its PROVENANCE.md).
 * Files there are read in place by tests, never copied into the project (some are GPL).
 */
const REPO_ROOT = path.resolve(__dirname, '..', '..', '..');

/** CTE_SHARED_DATA, else `shared/data` beside the repository or beside any ancestor (a CI clone may sit deeper), else /work/shared/data. */
export function findSharedDataDir(): string {
  const env = process.env['CTE_SHARED_DATA'];
  if (env) return env;
  const candidates: string[] = [];
  for (let dir = REPO_ROOT; ; dir = path.dirname(dir)) {
    candidates.push(path.join(path.dirname(dir), 'shared', 'data'));
    if (path.dirname(dir) === dir) break;
  }
  candidates.push('/work/shared/data');
  const found = candidates.find((c) => fs.existsSync(path.join(c, 'PROVENANCE.md')));
  if (!found) throw new Error(`real market data not found (looked in ${candidates.join(', ')}); set CTE_SHARED_DATA`);
  return found;
}

/** A path inside the real-market-data folder. */
export function sharedData(...parts: string[]): string {
  return path.join(findSharedDataDir(), ...parts);
}
