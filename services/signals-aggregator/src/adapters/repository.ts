/**
 * MySQL access of signals-aggregator. It owns consensus_signals, aggregator_signals and
 * source_stats (shared/migrations/004_consensus.sql).
 */
import { batchUpsert, isDuplicateKeyError, isTimeframe, type Database, type Queryable, type SignalMessage, type SignalSide, type Timeframe } from '@cte/shared';
import type { ScoredSignal, SourceRecord } from '../engine/track-record';
import { normalizeDecimal } from '../engine/decimal';
import { signalAsOf, signalDueAt, type ConsensusReason } from '../engine/consensus-engine';
import type { ConsensusRecord, SignalOutcome, StoredSignal } from './records';

const SIGNAL_COLUMNS = [
  'id', 'agent_id', 'source_type', 'symbol', 'timeframe', 'side', 'confidence', 'horizon_ms', 'price', 'bar_time',
  'as_of', 'due_at', 'created_at', 'received_at', 'trace_id', 'model_version', 'features_ref', 'outcome',
] as const;

interface SignalRow {
  seq: number;
  id: string;
  agent_id: string;
  source_type: string;
  symbol: string;
  timeframe: string;
  side: SignalSide;
  confidence: number;
  horizon_ms: number;
  price: string;
  bar_time: number;
  as_of: number;
  due_at: number;
  created_at: number;
  received_at: number;
  trace_id: string;
  model_version: string | null;
  features_ref: string | null;
  outcome: SignalOutcome;
  exit_price: string | null;
  scored_at: number | null;
}

interface ConsensusRow {
  seq: number;
  id: string;
  symbol: string;
  timeframe: string | null;
  bar_time: number | string | null;
  side: SignalSide;
  confidence: string;
  agreement: string;
  sources: number;
  signal_ids: string | string[];
  price: string;
  ts: number;
  reason: ConsensusReason;
  trace_id: string;
  created_at: number;
}

interface StatsRow {
  agent_id: string;
  source_type: string;
  hits: number | string;
  scored: number | string;
  last_scored_at: number | null;
}

export interface StoreSignalInput {
  signal: SignalMessage;
  receivedAt: number;
  /** The consensus it triggered; none when its bar is still collecting signals or was decided. */
  consensus?: ConsensusRecord | undefined;
  /** First signal of this agent: its source_stats row is created (zero counts). */
  newSource: boolean;
}

export interface Page {
  limit: number;
  offset: number;
}

export class AggregatorRepository {
  constructor(private readonly db: Database) {}

  async signalExists(id: string): Promise<boolean> {
    const rows = await this.db.query('SELECT 1 AS x FROM aggregator_signals WHERE id = ? LIMIT 1', [id]);
    return rows.length > 0;
  }

  /**
   * Stores an accepted signal and the consensus it triggered, atomically. Returns false (and
   * writes nothing) when the signal id is already stored.
   */
  async storeSignal(input: StoreSignalInput): Promise<boolean> {
    const { signal: s, receivedAt, consensus: c } = input;
    try {
      await this.db.transaction(async (tx) => {
        await tx.execute(
          `INSERT INTO aggregator_signals (${SIGNAL_COLUMNS.join(',')}) VALUES (${SIGNAL_COLUMNS.map(() => '?').join(',')})`,
          [
            s.id, s.agent_id, s.source_type, s.symbol, s.timeframe, s.side, s.confidence, s.horizon_ms, s.price, s.bar_time,
            signalAsOf(s), signalDueAt(s), s.created_at, receivedAt, s.trace_id, s.model_version ?? null, s.features_ref ?? null,
            s.side === 'HOLD' ? 'unscored' : 'pending',
          ],
        );
        if (input.newSource) {
          await tx.execute('INSERT IGNORE INTO source_stats (agent_id, source_type, hits, scored, updated_at) VALUES (?, ?, 0, 0, ?)', [
            s.agent_id, s.source_type, receivedAt,
          ]);
        }
        if (c) await insertConsensus(tx, c);
      });
      return true;
    } catch (err) {
      if (isDuplicateKeyError(err)) return false;
      throw err;
    }
  }

  /**
   * Stores the decision of a bar. Returns false (and writes nothing) when that bar, or that id,
   * is already decided: a bar is decided once.
   */
  async storeConsensus(c: ConsensusRecord): Promise<boolean> {
    try {
      await insertConsensus(this.db, c);
      return true;
    } catch (err) {
      if (isDuplicateKeyError(err)) return false;
      throw err;
    }
  }

  /** The newest decided bar per (symbol, timeframe). */
  async loadDecidedBars(): Promise<Array<{ symbol: string; timeframe: Timeframe; barTime: number }>> {
    const rows = await this.db.query<{ symbol: string; timeframe: string; bar_time: number | string }>(
      'SELECT symbol, timeframe, MAX(bar_time) AS bar_time FROM consensus_signals WHERE bar_time IS NOT NULL GROUP BY symbol, timeframe',
    );
    return rows.map((r) => ({ symbol: r.symbol, timeframe: r.timeframe as Timeframe, barTime: Number(r.bar_time) }));
  }

  /** Records scoring outcomes and the sources' absolute counts in one transaction. */
  async saveScores(scored: readonly ScoredSignal[], stats: readonly SourceRecord[], now: number): Promise<void> {
    await this.db.transaction(async (tx) => {
      for (let i = 0; i < scored.length; i += 200) {
        const chunk = scored.slice(i, i + 200);
        const cases = chunk.map(() => 'WHEN ? THEN ?').join(' ');
        const params: Array<string | number> = [];
        for (const s of chunk) params.push(s.id, s.hit ? 'hit' : 'miss');
        for (const s of chunk) params.push(s.id, s.exitPrice);
        for (const s of chunk) params.push(s.id, s.scoredAt);
        await tx.execute(
          `UPDATE aggregator_signals SET outcome = CASE id ${cases} END, exit_price = CASE id ${cases} END, scored_at = CASE id ${cases} END
           WHERE id IN (?) AND outcome = 'pending'`,
          [...params, chunk.map((s) => s.id)],
        );
      }
      await batchUpsert(
        tx,
        'source_stats',
        ['agent_id', 'source_type', 'hits', 'scored', 'last_scored_at', 'updated_at'],
        stats.map((r) => [r.agentId, r.sourceType, r.hits, r.scored, r.lastScoredAt, now]),
        { chunkSize: 200 },
      );
    });
  }

  async loadSourceStats(): Promise<SourceRecord[]> {
    const rows = await this.db.query<StatsRow>('SELECT agent_id, source_type, hits, scored, last_scored_at FROM source_stats ORDER BY agent_id');
    return rows.map((r) => ({
      agentId: r.agent_id,
      sourceType: r.source_type,
      hits: Number(r.hits),
      scored: Number(r.scored),
      lastScoredAt: r.last_scored_at === null ? null : Number(r.last_scored_at),
    }));
  }

  /**
   * What a restart needs, oldest first: every signal within `maxAgeMs` of its symbol's newest
   * one (the consensus window), and every signal still waiting to be scored.
   */
  async loadSignalsForRestore(maxAgeMs: number): Promise<StoredSignal[]> {
    const recent = await this.db.query<SignalRow>(
      `SELECT s.* FROM aggregator_signals s
         JOIN (SELECT symbol, MAX(as_of) AS latest FROM aggregator_signals GROUP BY symbol) m
           ON s.symbol = m.symbol AND s.as_of >= m.latest - ?`,
      [maxAgeMs],
    );
    const pending = await this.db.query<SignalRow>("SELECT * FROM aggregator_signals WHERE outcome = 'pending'");
    const bySeq = new Map<number, SignalRow>();
    for (const r of [...recent, ...pending]) bySeq.set(Number(r.seq), r);
    return [...bySeq.entries()].sort((a, b) => a[0] - b[0]).map(([, r]) => toStoredSignal(r));
  }

  /** The newest consensus of every symbol. */
  async loadLatestConsensus(): Promise<ConsensusRecord[]> {
    const rows = await this.db.query<ConsensusRow>(
      `SELECT c.* FROM consensus_signals c
         JOIN (SELECT symbol, MAX(seq) AS seq FROM consensus_signals GROUP BY symbol) m ON c.seq = m.seq
        ORDER BY c.symbol`,
    );
    return rows.map(toConsensusRecord);
  }

  /** Consensus history, newest first. */
  async listConsensus(q: Page & { symbol?: string | undefined }): Promise<ConsensusRecord[]> {
    const where = q.symbol !== undefined ? 'WHERE symbol = ?' : '';
    const params = q.symbol !== undefined ? [q.symbol, q.limit, q.offset] : [q.limit, q.offset];
    const rows = await this.db.query<ConsensusRow>(`SELECT * FROM consensus_signals ${where} ORDER BY seq DESC LIMIT ? OFFSET ?`, params);
    return rows.map(toConsensusRecord);
  }

  /** Stored signals, newest first. */
  async listSignals(q: Page & { symbol?: string | undefined; agentId?: string | undefined }): Promise<StoredSignal[]> {
    const conds: string[] = [];
    const params: Array<string | number> = [];
    if (q.symbol !== undefined) {
      conds.push('symbol = ?');
      params.push(q.symbol);
    }
    if (q.agentId !== undefined) {
      conds.push('agent_id = ?');
      params.push(q.agentId);
    }
    const where = conds.length > 0 ? `WHERE ${conds.join(' AND ')}` : '';
    const rows = await this.db.query<SignalRow>(`SELECT * FROM aggregator_signals ${where} ORDER BY seq DESC LIMIT ? OFFSET ?`, [
      ...params,
      q.limit,
      q.offset,
    ]);
    return rows.map(toStoredSignal);
  }

  /** Deletes all but the newest `retain` signals, in bounded chunks. Returns rows deleted. */
  async trimSignals(retain: number, chunk = 5000): Promise<number> {
    const [top] = await this.db.query<{ max_seq: number | null }>('SELECT MAX(seq) AS max_seq FROM aggregator_signals');
    const maxSeq = top?.max_seq === null || top?.max_seq === undefined ? 0 : Number(top.max_seq);
    const cutoff = maxSeq - retain;
    if (cutoff <= 0) return 0;
    let deleted = 0;
    for (;;) {
      const res = await this.db.execute('DELETE FROM aggregator_signals WHERE seq <= ? ORDER BY seq LIMIT ?', [cutoff, chunk]);
      deleted += res.affectedRows;
      if (res.affectedRows < chunk) return deleted;
    }
  }
}

async function insertConsensus(tx: Queryable, c: ConsensusRecord): Promise<void> {
  await tx.execute(
    `INSERT INTO consensus_signals (id, symbol, timeframe, bar_time, side, confidence, agreement, sources, signal_ids, price, ts, reason, trace_id, created_at)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    [c.id, c.symbol, c.timeframe ?? null, c.bar_time ?? null, c.side, c.confidence.toFixed(8), c.agreement.toFixed(8), c.sources, JSON.stringify(c.signal_ids), c.price, c.ts, c.reason, c.trace_id, c.created_at],
  );
}

function toStoredSignal(r: SignalRow): StoredSignal {
  const s: StoredSignal = {
    id: r.id,
    agent_id: r.agent_id,
    source_type: r.source_type,
    symbol: r.symbol,
    timeframe: r.timeframe as Timeframe,
    side: r.side,
    confidence: Number(r.confidence),
    horizon_ms: Number(r.horizon_ms),
    price: normalizeDecimal(r.price),
    bar_time: Number(r.bar_time),
    created_at: Number(r.created_at),
    trace_id: r.trace_id,
    as_of: Number(r.as_of),
    due_at: Number(r.due_at),
    received_at: Number(r.received_at),
    outcome: r.outcome,
    exit_price: r.exit_price === null ? null : normalizeDecimal(r.exit_price),
    scored_at: r.scored_at === null ? null : Number(r.scored_at),
  };
  if (r.model_version !== null) s.model_version = r.model_version;
  if (r.features_ref !== null) s.features_ref = r.features_ref;
  return s;
}

function toConsensusRecord(r: ConsensusRow): ConsensusRecord {
  const ids: unknown = typeof r.signal_ids === 'string' ? JSON.parse(r.signal_ids) : r.signal_ids;
  const out: ConsensusRecord = {
    id: r.id,
    symbol: r.symbol,
    side: r.side,
    confidence: Number(r.confidence),
    agreement: Number(r.agreement),
    sources: Number(r.sources),
    signal_ids: Array.isArray(ids) ? ids.map(String) : [],
    price: normalizeDecimal(r.price),
    ts: Number(r.ts),
    trace_id: r.trace_id,
    reason: r.reason,
    created_at: Number(r.created_at),
  };
  if (r.timeframe !== null && r.timeframe !== undefined && isTimeframe(r.timeframe)) out.timeframe = r.timeframe;
  if (r.bar_time !== null && r.bar_time !== undefined) out.bar_time = Number(r.bar_time);
  return out;
}
