/**
 * The fleet's API key check (DESIGN.md, principle 8). Both sides are hashed
 * with SHA-256 and compared with timingSafeEqual, so neither the content nor
 * the length of the expected key leaks through timing.
 */
import { createHash, timingSafeEqual } from 'node:crypto';

/** HTTP header and gRPC metadata key (HTTP headers are case-insensitive). */
export const API_KEY_HEADER = 'x-trading-api-key';

export type ApiKeyMatcher = (candidate: unknown) => boolean;

const digest = (s: string): Buffer => createHash('sha256').update(s, 'utf8').digest();

export function apiKeyMatcher(apiKey: string): ApiKeyMatcher {
  if (typeof apiKey !== 'string' || apiKey === '') throw new Error('an API key is required');
  const expected = digest(apiKey);
  return (candidate) => {
    if (typeof candidate !== 'string' || candidate === '') return false;
    return timingSafeEqual(digest(candidate), expected);
  };
}
