/// <reference types="jest" />
/**
 * For tests that need a program from outside npm (python3-xgboost, promtool, kubectl): `make test`
 * installs them. Where one is missing anyway, the test says what it did not check; in CI (`CI` set)
 * it fails instead, since a check that silently does not run there proves nothing.
 */
import { spawnSync } from 'node:child_process';
import path from 'node:path';

const REPO_ROOT = path.resolve(__dirname, '..', '..', '..');

function inCi(): boolean {
  const ci = process.env['CI'];
  return ci !== undefined && ci !== '' && ci !== '0' && ci !== 'false';
}

/** `what` is missing: prints why the check does not run, or throws in CI. */
export function missingTool(what: string, howToGet: string): void {
  const why = `${what} is not available (${howToGet})`;
  if (inCi()) throw new Error(`${why}; in CI every check must run, so this fails instead of skipping`);
  console.log(`not checked: ${why}`);
}

/** `describe` when `available`, else (having said why, or thrown in CI) `describe.skip`. */
export function describeNeeding(what: string, available: boolean, howToGet: string): jest.Describe {
  if (available) return describe;
  missingTool(what, howToGet);
  return describe.skip;
}

/** promtool from PATH or .cache/bin (where `scripts/ensure-debian-tool.sh prometheus promtool` puts it); undefined, having said so, when missing. */
export function findPromtool(): string | undefined {
  const found = ['promtool', path.join(REPO_ROOT, '.cache', 'bin', 'promtool')].find((p) => spawnSync(p, ['--version']).status === 0);
  if (found === undefined) missingTool('promtool', 'make test fetches it with `scripts/ensure-debian-tool.sh prometheus promtool`');
  return found;
}
