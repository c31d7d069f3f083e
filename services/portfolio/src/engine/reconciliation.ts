/**
 * Reconciliation of the ledger's books with the venues' balances: per asset, the ledger's
 * balance (base assets, quote cash and fee currencies alike) against the venues' totals summed.
 * The drift is venue − ledger in asset units; relative to the larger of the two magnitudes.
 * Only meaningful when the ledger was seeded to the venue's balances (it starts from
 * INITIAL_CAPITAL in the quote currency and nothing else).
 */
import { Exact, ZERO, type Decimal } from './money';

export interface VenueAssetTotal {
  asset: string;
  /** Decimal string >= 0 (validated by execution at its boundary; parsed again here). */
  total: string;
}

export interface DriftTolerance {
  /** Absolute tolerance, in asset units: a drift at or under it is dust. */
  absolute: Decimal;
  /** Relative tolerance (0.01 = 1 %). */
  relative: Decimal;
}

export interface AssetDrift {
  asset: string;
  ledger: Decimal;
  venue: Decimal;
  /** venue − ledger. */
  drift: Decimal;
  /** |drift| / max(|ledger|, |venue|); 0 when both are 0. */
  relative: Decimal;
  /** Over both tolerances (absolute and relative). */
  exceeds: boolean;
}

/** Drift per asset over the union of the ledger's and the venues' assets, sorted by asset. */
export function reconcileBalances(ledger: ReadonlyArray<{ asset: string; total: Decimal }>, venues: ReadonlyArray<readonly VenueAssetTotal[]>, tolerance: DriftTolerance): AssetDrift[] {
  const books = new Map<string, Decimal>();
  for (const b of ledger) books.set(b.asset, (books.get(b.asset) ?? ZERO).plus(b.total));
  const held = new Map<string, Decimal>();
  for (const list of venues) for (const b of list) held.set(b.asset, (held.get(b.asset) ?? ZERO).plus(new Exact(b.total)));
  const assets = [...new Set([...books.keys(), ...held.keys()])].sort();
  return assets.map((asset) => {
    const l = books.get(asset) ?? ZERO;
    const v = held.get(asset) ?? ZERO;
    const drift = v.minus(l);
    const scale = Exact.max(l.abs(), v.abs());
    const relative = scale.isZero() ? ZERO : drift.abs().div(scale);
    return { asset, ledger: l, venue: v, drift, relative, exceeds: drift.abs().gt(tolerance.absolute) && relative.gt(tolerance.relative) };
  });
}
