import type { Logger } from '@cte/shared';
import type { ConsensusEngine } from '../engine/consensus-engine';
import type { ConsensusBoard } from './consensus-board';
import type { AggregatorRepository } from './repository';

/**
 * Start-up: rebuilds the engine from MySQL before any signal is read — source stats (the
 * track record), the signals inside the consensus window and every unscored signal (which
 * resume waiting for their due price), and the latest consensus per symbol.
 */
export async function restoreState(o: {
  repo: Pick<AggregatorRepository, 'loadSourceStats' | 'loadSignalsForRestore' | 'loadLatestConsensus'>;
  engine: ConsensusEngine;
  board: ConsensusBoard;
  logger: Logger;
}): Promise<{ sources: number; signals: number; pending: number; consensus: number }> {
  const stats = await o.repo.loadSourceStats();
  for (const s of stats) o.engine.trackRecord.load(s);
  const signals = await o.repo.loadSignalsForRestore(o.engine.options.maxAgeMs);
  for (const s of signals) o.engine.restore(s, s.outcome === 'pending');
  const latest = await o.repo.loadLatestConsensus();
  o.board.restore(latest);
  const summary = { sources: stats.length, signals: signals.length, pending: o.engine.trackRecord.pendingCount(), consensus: latest.length };
  o.logger.info(summary, 'state restored from mysql');
  return summary;
}
