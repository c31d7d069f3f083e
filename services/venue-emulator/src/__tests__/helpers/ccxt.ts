/**
 * Unmodified ccxt clients pointed at the emulator: every URL in `exchange.urls.api` is rewritten
 * to 127.0.0.1:<venue port>, and `assertLocalOnly` proves none still points anywhere else, so no
 * test can reach a real venue.
 */
import * as ccxt from 'ccxt';
import type { VenueId } from '../../engine/types';

export type CcxtExchange = InstanceType<(typeof ccxt.pro)['binanceus']>;

function rewrite(v: unknown, port: number): unknown {
  if (typeof v === 'string') {
    const m = /^(https?|wss?):\/\/[^/]+(.*)$/.exec(v);
    if (!m) return v;
    const scheme = m[1]?.startsWith('ws') ? 'ws' : 'http';
    return `${scheme}://127.0.0.1:${port}${m[2] ?? ''}`;
  }
  if (Array.isArray(v)) return v.map((x) => rewrite(x, port));
  if (typeof v === 'object' && v !== null) return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, rewrite(x, port)]));
  return v;
}

function urlsOf(v: unknown, out: string[] = []): string[] {
  if (typeof v === 'string' && /^[a-z]+:\/\//.test(v)) out.push(v);
  else if (Array.isArray(v)) v.forEach((x) => urlsOf(x, out));
  else if (typeof v === 'object' && v !== null) Object.values(v).forEach((x) => urlsOf(x, out));
  return out;
}

export function assertLocalOnly(ex: { urls: Record<string, unknown> }): void {
  const bad = urlsOf(ex.urls['api']).filter((u) => !/^(http|ws):\/\/127\.0\.0\.1:\d+(\/|$)/.test(u));
  if (bad.length > 0) throw new Error(`ccxt still points at ${bad.join(', ')}`);
}

const CLASSES = { binanceus: ccxt.pro.binanceus, coinbase: ccxt.pro.coinbase, kucoin: ccxt.pro.kucoin } as const;

export function client(venue: VenueId, port: number, options: Record<string, unknown> = {}): CcxtExchange {
  const opts: Record<string, unknown> = { enableRateLimit: false, timeout: 5000, ...options };
  if (venue === 'kucoin') opts['options'] = { fetchMarkets: { types: ['spot'], fetchTickersFees: true }, ...(options['options'] as object | undefined) };
  const ex = new CLASSES[venue](opts) as CcxtExchange;
  ex.urls['api'] = rewrite(ex.urls['api'], port) as typeof ex.urls['api'];
  assertLocalOnly(ex);
  return ex;
}

/** Structure and types of a value: what the fidelity test compares (values differ by design). */
export function shapeOf(v: unknown): unknown {
  if (v === null) return 'null';
  if (v === undefined) return 'null'; // ccxt's undefined is the fixture's null (JSON has no undefined)
  if (Array.isArray(v)) {
    const seen = new Map<string, unknown>();
    for (const x of v) {
      const s = shapeOf(x);
      seen.set(JSON.stringify(s), s);
    }
    return [...seen.values()];
  }
  if (typeof v === 'object') {
    const o = v as Record<string, unknown>;
    return Object.fromEntries(Object.keys(o).sort().map((k) => [k, shapeOf(o[k])]));
  }
  return typeof v;
}
