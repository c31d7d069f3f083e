/**
 * The fleet's API key check (DESIGN.md, principle 8). Both sides are hashed
 * with SHA-256 and compared with timingSafeEqual, so neither the content nor
 * the length of an expected key leaks through timing.
 *
 * A service accepts a set of keys (the current one, plus the next or previous
 * one while a rotation rolls through the fleet). A candidate is compared with
 * every key of the set, always all of them, and the answer is one boolean: the
 * time taken and the result do not tell which key matched.
 */
import { createHash, timingSafeEqual } from 'node:crypto';

/** HTTP header and gRPC metadata key (HTTP headers are case-insensitive). */
export const API_KEY_HEADER = 'x-trading-api-key';

export type ApiKeyMatcher = (candidate: unknown) => boolean;

const digest = (s: string): Buffer => createHash('sha256').update(s, 'utf8').digest();

/** `apiKeys`: the accepted key, or every accepted key (BaseConfig.apiKeys). */
export function apiKeyMatcher(apiKeys: string | readonly string[]): ApiKeyMatcher {
  const keys: readonly unknown[] = typeof apiKeys === 'string' ? [apiKeys] : Array.isArray(apiKeys) ? apiKeys : [];
  if (keys.length === 0 || keys.some((k) => typeof k !== 'string' || k === '')) throw new Error('at least one non-empty API key is required');
  const expected = (keys as readonly string[]).map(digest);
  return (candidate) => {
    if (typeof candidate !== 'string' || candidate === '') return false;
    const got = digest(candidate);
    let matched = false;
    // No early exit: every key is compared whichever matches.
    for (const e of expected) matched = timingSafeEqual(got, e) || matched;
    return matched;
  };
}
