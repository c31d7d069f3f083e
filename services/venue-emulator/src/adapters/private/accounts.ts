/**
 * Trading accounts to create: from the admin API (`POST /admin/venues/{venue}/accounts`) or from
 * VENUE_EMULATOR_ACCOUNTS (a JSON array of the same objects, each with a `venue`). Validated
 * here; errors name the field, never echo a secret.
 */
import { decFromNumber } from '../../engine/decimal';
import { DECIMAL_RE } from '../../engine/private/dec';
import { VENUE_IDS, type VenueId } from '../../engine/types';

export interface AccountConfig {
  venue: VenueId;
  apiKey?: string;
  secret?: string;
  balances: Record<string, string>;
  makerRate?: string;
  takerRate?: string;
}

/** Venues whose private side exists so far. */
export const PRIVATE_VENUES: readonly VenueId[] = ['binanceus'];

const KEY_RE = /^[A-Za-z0-9]{64}$/;
const SECRET_RE = /^[A-Za-z0-9]{16,128}$/;
const ASSET_RE = /^[A-Z0-9]{1,20}$/;
const RATE_RE = /^0(\.\d{1,8})?$/;

function amount(v: unknown, name: string): string {
  if (typeof v === 'number' && Number.isFinite(v) && v >= 0) return decFromNumber(v);
  if (typeof v === 'string' && DECIMAL_RE.test(v)) return v;
  throw new Error(`${name} must be a non-negative decimal (string or number)`);
}

/** One account object (snake_case keys, as the admin API takes them); `venue` from the route or the object. */
export function parseAccount(v: unknown, venue?: VenueId): AccountConfig {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new Error('an account must be a JSON object');
  const o = v as Record<string, unknown>;
  const known = new Set(['venue', 'api_key', 'secret', 'balances', 'maker_fee', 'taker_fee']);
  const extra = Object.keys(o).find((k) => !known.has(k));
  if (extra !== undefined) throw new Error(`unknown field ${extra.slice(0, 40)} (expected ${[...known].join(', ')})`);
  const v2 = venue ?? o['venue'];
  if (!VENUE_IDS.includes(v2 as VenueId)) throw new Error(`venue must be one of ${VENUE_IDS.join(', ')}`);
  if (!PRIVATE_VENUES.includes(v2 as VenueId)) throw new Error(`${String(v2)} has no private side yet (only ${PRIVATE_VENUES.join(', ')})`);
  if (venue !== undefined && o['venue'] !== undefined && o['venue'] !== venue) throw new Error('venue in the body differs from the route');
  const apiKey = o['api_key'];
  if (apiKey !== undefined && (typeof apiKey !== 'string' || !KEY_RE.test(apiKey))) throw new Error('api_key must be 64 letters or digits (Binance key format)');
  const secret = o['secret'];
  if (secret !== undefined && (typeof secret !== 'string' || !SECRET_RE.test(secret))) throw new Error('secret must be 16 to 128 letters or digits');
  const b = o['balances'] ?? {};
  if (typeof b !== 'object' || b === null || Array.isArray(b)) throw new Error('balances must be an object of asset: amount');
  const balances: Record<string, string> = {};
  for (const [asset, amt] of Object.entries(b as Record<string, unknown>)) {
    if (!ASSET_RE.test(asset)) throw new Error('balances keys must be asset codes (A-Z, 0-9)');
    balances[asset] = amount(amt, `balances.${asset}`);
  }
  const rate = (name: string): string | undefined => {
    const r = o[name];
    if (r === undefined) return undefined;
    if (typeof r !== 'string' || !RATE_RE.test(r)) throw new Error(`${name} must be a fraction below 1 as a string, e.g. "0.001"`);
    return r;
  };
  const cfg: AccountConfig = { venue: v2 as VenueId, balances };
  if (typeof apiKey === 'string') cfg.apiKey = apiKey;
  if (typeof secret === 'string') cfg.secret = secret;
  const maker = rate('maker_fee');
  const taker = rate('taker_fee');
  if (maker !== undefined) cfg.makerRate = maker;
  if (taker !== undefined) cfg.takerRate = taker;
  return cfg;
}

/** VENUE_EMULATOR_ACCOUNTS: a JSON array of account objects, each with its venue. */
export function parseAccountsEnv(text: string): AccountConfig[] {
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch {
    throw new Error('must be a JSON array of accounts');
  }
  if (!Array.isArray(v)) throw new Error('must be a JSON array of accounts');
  const out = v.map((a, i) => {
    try {
      return parseAccount(a);
    } catch (e) {
      throw new Error(`account ${i}: ${e instanceof Error ? e.message : 'invalid'}`);
    }
  });
  const keys = out.flatMap((a) => (a.apiKey ? [`${a.venue}:${a.apiKey}`] : []));
  if (new Set(keys).size !== keys.length) throw new Error('two accounts have the same api_key');
  return out;
}
