import { InvalidArgumentError, parseSymbol, restoreRows, type Logger, type Quarantine } from '@cte/shared';
import type { ConsensusEngine } from '../engine/consensus-engine';
import type { SourceRecord } from '../engine/track-record';
import { validateSignalShape } from '../engine/validation';
import type { ConsensusBoard } from './consensus-board';
import type { ConsensusRecord, StoredSignal } from './records';
import type { AggregatorRepository } from './repository';

/**
 * Start-up: rebuilds the engine from MySQL before any signal is read — source stats (the
 * track record), the signals inside the consensus window and every unscored signal (which
 * resume waiting for their due price), and the latest consensus per symbol. A stored row that
 * no longer validates is quarantined (skipped, left as stored) instead of failing the start.
 */
export async function restoreState(o: {
  repo: Pick<AggregatorRepository, 'loadSourceStats' | 'loadSignalsForRestore' | 'loadLatestConsensus'>;
  engine: ConsensusEngine;
  board: ConsensusBoard;
  logger: Logger;
  quarantine: Quarantine;
  /** Wall clock, for the shared contract's future-timestamp check. */
  now?: () => number;
}): Promise<{ sources: number; signals: number; pending: number; consensus: number }> {
  const now = o.now ?? Date.now;
  const stats = await restoreRows(await o.repo.loadSourceStats(), {
    table: 'source_stats',
    quarantine: o.quarantine,
    idOf: (s) => s.agentId,
    restore: (s) => o.engine.trackRecord.load(checkStats(s)),
  });
  const signals = await restoreRows(await o.repo.loadSignalsForRestore(o.engine.options.maxAgeMs), {
    table: 'aggregator_signals',
    quarantine: o.quarantine,
    idOf: (s) => s.id,
    restore: (s) => o.engine.restore(checkSignal(s, now(), o.engine.options.maxClockSkewMs), s.outcome === 'pending'),
  });
  const latest = await restoreRows(await o.repo.loadLatestConsensus(), {
    table: 'consensus_signals',
    quarantine: o.quarantine,
    idOf: (c) => c.id,
    restore: checkConsensus,
  });
  o.board.restore(latest);
  const summary = { sources: stats.length, signals: signals.length, pending: o.engine.trackRecord.pendingCount(), consensus: latest.length };
  o.logger.info(summary, 'state restored from mysql');
  return summary;
}

function checkStats(s: SourceRecord): SourceRecord {
  if (!Number.isSafeInteger(s.hits) || !Number.isSafeInteger(s.scored) || s.hits < 0 || s.hits > s.scored) {
    throw new InvalidArgumentError(`source_stats hits ${s.hits} / scored ${s.scored} are not counts with hits <= scored`);
  }
  return s;
}

function checkSignal(s: StoredSignal, nowMs: number, skewMs: number): StoredSignal {
  const v = validateSignalShape(s, nowMs, skewMs);
  if (!v.ok) throw new InvalidArgumentError(v.message);
  return s;
}

function checkConsensus(c: ConsensusRecord): ConsensusRecord {
  parseSymbol(c.symbol);
  if (!(c.confidence >= 0 && c.confidence <= 1) || !(c.agreement >= 0 && c.agreement <= 1)) {
    throw new InvalidArgumentError(`consensus confidence ${c.confidence} / agreement ${c.agreement} outside 0..1`);
  }
  return c;
}
