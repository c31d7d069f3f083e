/**
 * Pointing a ccxt client at another origin (the venue emulator, a sandbox or a proxy): every URL of
 * its `urls.api` tree keeps its path and gets the new scheme, host and port. Used by price-stream's
 * live feed and execution's live venues, configured by `VENUE_URL_<EXCHANGE>` (an origin only).
 */
import type { EnvReader } from './config';

/** Every URL string in a ccxt `urls.api` tree, with its origin replaced by `origin` (ws/wss follow http/https). */
export function rebaseUrls(v: unknown, origin: URL): unknown {
  if (typeof v === 'string') {
    const m = /^(https?|wss?):\/\/[^/]+(.*)$/.exec(v);
    if (!m) return v;
    const secure = origin.protocol === 'https:';
    const scheme = m[1]?.startsWith('ws') ? (secure ? 'wss' : 'ws') : secure ? 'https' : 'http';
    return `${scheme}://${origin.host}${m[2] ?? ''}`;
  }
  if (Array.isArray(v)) return v.map((x) => rebaseUrls(x, origin));
  if (typeof v === 'object' && v !== null) return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, rebaseUrls(x, origin)]));
  return v;
}

/**
 * Reads an optional origin (`http(s)://host:port`, nothing else) such as `VENUE_URL_BINANCEUS`.
 * A path, query or credentials are a problem of that variable. Returns the normalised origin.
 */
export function readOriginUrl(env: EnvReader, name: string): string | undefined {
  if (env.optionalString(name) === undefined) return undefined;
  const raw = env.url(name, { protocols: ['http:', 'https:'] });
  if (raw === '') return undefined; // env.url reported it
  const u = new URL(raw);
  if (u.pathname !== '/' || u.search !== '' || u.hash !== '' || u.username !== '' || u.password !== '') {
    env.problem(name, 'must be an origin only (scheme://host:port), without path, query or credentials');
    return undefined;
  }
  return u.origin;
}
