/**
 * A venue's account balances as ccxt's fetchBalance reports them, validated at the boundary:
 * the `total` map (free + used per asset) as exact decimal strings. Zero balances are dropped
 * (venues list every asset they know); a negative, non-numeric or unnamed entry is refused.
 */
import { InvalidArgumentError, parseDecimal } from '@cte/shared/core';

export interface VenueBalance {
  asset: string;
  /** Free + used, a plain decimal string (>= 0). */
  total: string;
}

const ASSET = /^[A-Za-z0-9._-]{1,32}$/;
const MAX_ASSETS = 10_000;

/** Parses ccxt's fetchBalance result into non-zero totals sorted by asset. */
export function parseVenueBalances(raw: unknown): VenueBalance[] {
  if (typeof raw !== 'object' || raw === null) throw new InvalidArgumentError('fetchBalance returned no object');
  const total = (raw as Record<string, unknown>)['total'];
  if (typeof total !== 'object' || total === null || Array.isArray(total)) throw new InvalidArgumentError('fetchBalance returned no total map');
  const entries = Object.entries(total as Record<string, unknown>);
  if (entries.length > MAX_ASSETS) throw new InvalidArgumentError(`fetchBalance listed ${entries.length} assets (more than ${MAX_ASSETS})`);
  const out: VenueBalance[] = [];
  for (const [asset, value] of entries) {
    if (!ASSET.test(asset)) throw new InvalidArgumentError(`fetchBalance listed an invalid asset name (${asset.length} chars)`);
    // ccxt reports undefined for an asset it could not total: nothing known, not zero.
    if (value === undefined || value === null) continue;
    const d = parseDecimal(value, `balance ${asset}`);
    if (d.isNegative()) throw new InvalidArgumentError(`balance ${asset} is negative`);
    if (d.isZero()) continue;
    out.push({ asset, total: d.toFixed() });
  }
  return out.sort((a, b) => (a.asset < b.asset ? -1 : a.asset > b.asset ? 1 : 0));
}

/** One venue's balances, or why they could not be read (a redacted message). */
export interface VenueAccountBalances {
  venue: string;
  balances: VenueBalance[];
  error?: string;
}
