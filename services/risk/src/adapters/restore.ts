/**
 * What a restart rebuilds from risk_events: the idempotency index (every recommendation_id with
 * a final decision into the Bloom filter, the newest decisions into memory) and today's (and
 * yesterday's) trade counts, by the data-time day stored with each decision.
 */
import { InvalidArgumentError, restoreRows, type Logger, type Quarantine } from '@cte/shared';
import type { DecisionIndex } from './decision-index';
import type { RiskRepository } from './repository';
import { storedFromRow } from './risk-service';

const SCAN_CHUNK = 50_000;
const PRELOAD_MAX = 10_000;
const MIN_FILTER_CAPACITY = 1_000_000;

export interface Restored {
  decisions: DecisionIndex;
  loaded: number;
  tradeCounts: Array<{ day: number; symbol: string; n: number }>;
}

export async function restoreDecisions(o: {
  repo: Pick<RiskRepository, 'countCheckKeys' | 'scanCheckKeys' | 'loadRecentDecisions' | 'latestCheckDay' | 'loadTradeCounts'>;
  cacheSize: number;
  logger: Logger;
  build: (filterCapacity: number) => DecisionIndex;
  quarantine?: Quarantine;
}): Promise<Restored> {
  const count = await o.repo.countCheckKeys();
  const decisions = o.build(Math.max(MIN_FILTER_CAPACITY, count * 2));
  let after = 0;
  let loaded = 0;
  for (;;) {
    const rows = await o.repo.scanCheckKeys(after, SCAN_CHUNK);
    for (const r of rows) decisions.markSeen(r.key);
    loaded += rows.length;
    if (rows.length < SCAN_CHUNK) break;
    after = rows[rows.length - 1]!.seq;
  }
  const recent = await o.repo.loadRecentDecisions(Math.min(o.cacheSize, PRELOAD_MAX));
  const remember = (r: (typeof recent)[number]): void => {
    if (r.recommendation_id === null || r.decision === null) throw new InvalidArgumentError('a final check decision without recommendation_id or decision');
    decisions.remember(r.recommendation_id, storedFromRow(r));
  };
  // An invalid decision row is not preloaded (a repeated Check then reads it from MySQL); it never stops the start.
  if (o.quarantine) await restoreRows(recent.reverse(), { table: 'risk_events', quarantine: o.quarantine, idOf: (r) => r.id, restore: remember });
  else for (const r of recent.reverse()) remember(r);
  const latest = await o.repo.latestCheckDay();
  const tradeCounts = latest === undefined ? [] : await o.repo.loadTradeCounts(latest - 1);
  o.logger.debug({ ids: loaded, preloaded: recent.length, latest_day: latest }, 'decision index restored');
  return { decisions, loaded, tradeCounts };
}
