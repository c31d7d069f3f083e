import { InvalidArgumentError, parseSymbol, restoreRows, type Logger, type Quarantine } from '@cte/shared';
import type { BarDecider } from '../engine/bar-decider';
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
  repo: Pick<AggregatorRepository, 'loadSourceStats' | 'loadSignalsForRestore' | 'loadLatestConsensus' | 'loadDecidedBars'>;
  engine: ConsensusEngine;
  /** Given: decided bars are marked, and stored signals of undecided bars collect again. */
  decider?: BarDecider;
  board: ConsensusBoard;
  logger: Logger;
  quarantine: Quarantine;
  /** Wall clock, for the shared contract's future-timestamp check. */
  now?: () => number;
}): Promise<{ sources: number; signals: number; pending: number; consensus: number }> {
  const now = o.now ?? Date.now;
  const decider = o.decider;
  const decidedSeries = new Set<string>();
  if (decider) {
    for (const d of await o.repo.loadDecidedBars()) {
      decider.markDecided(d.symbol, d.timeframe, d.barTime);
      decidedSeries.add(`${d.symbol}|${d.timeframe}`);
    }
  }
  const stats = await restoreRows(await o.repo.loadSourceStats(), {
    table: 'source_stats',
    quarantine: o.quarantine,
    idOf: (s) => s.agentId,
    restore: (s) => o.engine.trackRecord.load(checkStats(s)),
  });
  const stored = await o.repo.loadSignalsForRestore(o.engine.options.maxAgeMs);
  if (decider) {
    // A series with no bar decision stored (signals from before per-bar decisions): only its
    // newest bar may still be open; older bars count as decided, so nothing old trades now.
    const newest = new Map<string, { symbol: string; timeframe: StoredSignal['timeframe']; barTime: number }>();
    for (const s of stored) {
      const k = `${s.symbol}|${s.timeframe}`;
      if (!decidedSeries.has(k) && (newest.get(k)?.barTime ?? -Infinity) < s.bar_time) newest.set(k, { symbol: s.symbol, timeframe: s.timeframe, barTime: s.bar_time });
    }
    for (const n of newest.values()) decider.markDecided(n.symbol, n.timeframe, n.barTime - 1);
  }
  const signals = await restoreRows(stored, {
    table: 'aggregator_signals',
    quarantine: o.quarantine,
    idOf: (s) => s.id,
    restore: (s) => {
      const signal = checkSignal(s, now(), o.engine.options.maxClockSkewMs);
      if (!decider) return o.engine.restore(signal, s.outcome === 'pending');
      if (decider.isLate(signal)) {
        o.engine.restore(signal, s.outcome === 'pending');
        o.engine.restoreDecided(signal);
      } else {
        // Its bar was not decided before the stop: it collects again; the next signal or deadline decides it.
        if (s.outcome === 'pending') o.engine.track(signal);
        decider.hold(signal);
      }
    },
  });
  const latest = await restoreRows(await o.repo.loadLatestConsensus(), {
    table: 'consensus_signals',
    quarantine: o.quarantine,
    idOf: (c) => c.id,
    restore: checkConsensus,
  });
  o.board.restore(latest);
  const summary = { sources: stats.length, signals: signals.length, pending: o.engine.trackRecord.pendingCount(), consensus: latest.length };
  o.logger.info({ ...summary, undecided: decider?.pendingBars() ?? 0 }, 'state restored from mysql');
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
