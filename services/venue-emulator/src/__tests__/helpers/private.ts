/**
 * Binance.US private-side fixtures: accounts created in the running emulator, ccxt clients with
 * their credentials (pointed only at 127.0.0.1), signed raw requests for what ccxt does not send,
 * and a replayed book deep enough to trade against.
 */
import { createHmac } from 'node:crypto';
import type { BinanceUsPrivate } from '../../adapters/private/binanceus';
import { client, type CcxtExchange } from './ccxt';
import type { RunningEmulator } from './emulator';

export interface Creds {
  apiKey: string;
  secret: string;
}

export function privateSide(run: RunningEmulator): BinanceUsPrivate {
  const side = run.emu.binanceusPrivate;
  if (!side) throw new Error('binanceus has no private side');
  return side;
}

export function newAccount(run: RunningEmulator, balances: Record<string, string> = { USDT: '100000', COMP: '100', CRV: '10000' }): Creds {
  const { credentials } = privateSide(run).createAccount({ balances });
  return { apiKey: credentials.apiKey, secret: credentials.secret };
}

export async function privateClient(run: RunningEmulator, creds: Creds, options: Record<string, unknown> = {}): Promise<CcxtExchange> {
  const ex = client('binanceus', run.ports.binanceus, { apiKey: creds.apiKey, secret: creds.secret, ...options });
  await ex.loadHttpProxyAgent();
  await ex.loadMarkets();
  return ex;
}

/** Replays Binance.US events until `symbol` has at least `depth` levels on both sides. */
export function primeBook(run: RunningEmulator, symbol = 'COMP/USDT', depth = 5): void {
  const book = run.emu.venue('binanceus')?.state.market(symbol)?.book;
  if (!book) throw new Error(`${symbol} is not listed`);
  for (let i = 0; i < 20_000; i++) {
    const s = book.snapshot(depth);
    if (s.bids.length >= depth && s.asks.length >= depth) return;
    if (run.emu.step('binanceus', 1) === 0) break;
  }
  throw new Error(`${symbol}: the book never reached ${depth} levels per side`);
}

export function sign(secret: string, payload: string): string {
  return createHmac('sha256', secret).update(payload).digest('hex');
}

export interface SignedOptions {
  timestamp?: number;
  recvWindow?: number;
  /** Sign with this secret instead (a wrong signature). */
  signWith?: string;
  /** Send this API key header instead (undefined: none). */
  apiKeyHeader?: string | null;
  /** Parameters in the body (POST) instead of the query. */
  inBody?: boolean;
}

export interface RawReply {
  status: number;
  headers: Headers;
  body: unknown;
}

/** A signed request exactly as Binance documents it (totalParams = query + body). */
export async function signed(run: RunningEmulator, creds: Creds, method: string, path: string, params: Record<string, string>, o: SignedOptions = {}): Promise<RawReply> {
  const q = new URLSearchParams(params);
  q.set('timestamp', String(o.timestamp ?? Date.now()));
  if (o.recvWindow !== undefined) q.set('recvWindow', String(o.recvWindow));
  q.set('signature', sign(o.signWith ?? creds.secret, q.toString()));
  const headers: Record<string, string> = {};
  const key = o.apiKeyHeader === undefined ? creds.apiKey : o.apiKeyHeader;
  if (key !== null) headers['X-MBX-APIKEY'] = key;
  let url = `http://127.0.0.1:${run.ports.binanceus}${path}`;
  let body: string | undefined;
  if (o.inBody) {
    body = q.toString();
    headers['Content-Type'] = 'application/x-www-form-urlencoded';
  } else url += `?${q.toString()}`;
  const res = await fetch(url, { method, headers, body });
  const text = await res.text();
  return { status: res.status, headers: res.headers, body: text === '' ? undefined : (JSON.parse(text) as unknown) };
}

/** A request with only the API key header (USER_STREAM endpoints). */
export async function keyed(run: RunningEmulator, apiKey: string, method: string, path: string, params: Record<string, string> = {}): Promise<RawReply> {
  const q = new URLSearchParams(params).toString();
  const res = await fetch(`http://127.0.0.1:${run.ports.binanceus}${path}${q ? `?${q}` : ''}`, { method, headers: { 'X-MBX-APIKEY': apiKey } });
  const text = await res.text();
  return { status: res.status, headers: res.headers, body: text === '' ? undefined : (JSON.parse(text) as unknown) };
}

/** Polls `pred` until it holds or `ms` pass. */
export async function until(pred: () => boolean | Promise<boolean>, ms = 3000, what = 'condition'): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await pred())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}
