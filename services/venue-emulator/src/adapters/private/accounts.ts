/**
 * Trading accounts to create: from the admin API (`POST /admin/venues/{venue}/accounts`) or from
 * VENUE_EMULATOR_ACCOUNTS (a JSON array of the same objects, each with a `venue`). Validated
 * here, credentials in each venue's own format; errors name the field, never echo a secret.
 */
import { createPublicKey } from 'node:crypto';
import { decFromNumber } from '../../engine/decimal';
import { isKeyName } from '../../engine/private/coinbase-api';
import { DECIMAL_RE } from '../../engine/private/dec';
import { VENUE_IDS, type VenueId } from '../../engine/types';
import type { AccountRequest } from './types';

export interface AccountConfig extends AccountRequest {
  venue: VenueId;
  balances: Record<string, string>;
}

/** Venues with a private side. */
export const PRIVATE_VENUES: readonly VenueId[] = ['binanceus', 'coinbase', 'kucoin'];

interface CredentialRule {
  test: (v: string) => boolean;
  what: string;
}

const PEM_MAX = 1000;
const BINANCE_KEY: CredentialRule = { test: (v) => /^[A-Za-z0-9]{64}$/.test(v), what: 'must be 64 letters or digits (Binance key format)' };
const BINANCE_SECRET: CredentialRule = { test: (v) => /^[A-Za-z0-9]{16,128}$/.test(v), what: 'must be 16 to 128 letters or digits' };
const CDP_KEY: CredentialRule = { test: isKeyName, what: 'must be a CDP key name: organizations/{uuid}/apiKeys/{uuid}' };
const CDP_SECRET: CredentialRule = { test: isP256Pem, what: 'must be an EC P-256 private key in PEM' };
const KUCOIN_KEY: CredentialRule = { test: (v) => /^[0-9a-f]{24}$/.test(v), what: 'must be 24 lowercase hex digits (KuCoin key format)' };
const KUCOIN_SECRET: CredentialRule = { test: (v) => /^[A-Za-z0-9-]{16,64}$/.test(v), what: 'must be 16 to 64 letters, digits or dashes (a UUID)' };
const KUCOIN_PASSPHRASE: CredentialRule = { test: (v) => /^[\x21-\x7e]{1,64}$/.test(v), what: 'must be 1 to 64 printable ASCII characters without spaces' };

/** Credential fields each venue takes (absent ones are generated). */
const CREDENTIALS: Record<VenueId, { api_key: CredentialRule; secret: CredentialRule; passphrase?: CredentialRule }> = {
  binanceus: { api_key: BINANCE_KEY, secret: BINANCE_SECRET },
  coinbase: { api_key: CDP_KEY, secret: CDP_SECRET },
  kucoin: { api_key: KUCOIN_KEY, secret: KUCOIN_SECRET, passphrase: KUCOIN_PASSPHRASE },
};

function isP256Pem(v: string): boolean {
  if (v.length > PEM_MAX || !v.startsWith('-----BEGIN ')) return false;
  try {
    return createPublicKey(v).asymmetricKeyDetails?.namedCurve === 'prime256v1';
  } catch {
    return false;
  }
}

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
  const v2 = venue ?? o['venue'];
  if (!VENUE_IDS.includes(v2 as VenueId)) throw new Error(`venue must be one of ${VENUE_IDS.join(', ')}`);
  if (!PRIVATE_VENUES.includes(v2 as VenueId)) throw new Error(`${String(v2)} has no private side (only ${PRIVATE_VENUES.join(', ')})`);
  const rules = CREDENTIALS[v2 as VenueId];
  const known = new Set(['venue', ...Object.keys(rules), 'balances', 'maker_fee', 'taker_fee']);
  const extra = Object.keys(o).find((k) => !known.has(k));
  if (extra !== undefined) throw new Error(`unknown field ${extra.slice(0, 40)} (${String(v2)} takes ${[...known].join(', ')})`);
  if (venue !== undefined && o['venue'] !== undefined && o['venue'] !== venue) throw new Error('venue in the body differs from the route');
  const credential = (name: 'api_key' | 'secret' | 'passphrase'): string | undefined => {
    const c = o[name];
    const rule = rules[name];
    if (c === undefined || rule === undefined) return undefined;
    if (typeof c !== 'string' || !rule.test(c)) throw new Error(`${name} ${rule.what}`);
    return c;
  };
  const apiKey = credential('api_key');
  const secret = credential('secret');
  const passphrase = credential('passphrase');
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
  if (apiKey !== undefined) cfg.apiKey = apiKey;
  if (secret !== undefined) cfg.secret = secret;
  if (passphrase !== undefined) cfg.passphrase = passphrase;
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
