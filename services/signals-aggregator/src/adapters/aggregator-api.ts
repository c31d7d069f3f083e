import { describeValue, ID_RE, InvalidArgumentError, NotFoundError, type Symbol, type TradableSymbols } from '@cte/shared';
import type { ConsensusEngine, SourceWeight } from '../engine/consensus-engine';
import type { ConsensusBoard } from './consensus-board';
import type { ConsensusRecord, StoredSignal } from './records';
import type { AggregatorRepository } from './repository';

export const DEFAULT_LIST_LIMIT = 100;
export const MAX_LIST_LIMIT = 1000;
export const MAX_OFFSET = 1_000_000;
export const MAX_STREAM_SYMBOLS = 500;

export interface RawListQuery {
  symbol?: unknown;
  agent?: unknown;
  limit?: unknown;
  offset?: unknown;
}

/** Each source as served by GET /sources and ListSources. */
export interface SourceInfo {
  agent_id: string;
  source_type: string;
  base_weight: number;
  hit_rate: number;
  hits: number;
  scored: number;
  multiplier: number;
  effective_weight: number;
  pending: number;
  last_scored_at: number | null;
}

/**
 * The use cases behind the REST and gRPC APIs, so validation and errors are the same on both:
 * bad input is InvalidArgumentError (400 / INVALID_ARGUMENT), missing things NotFoundError
 * (404 / NOT_FOUND).
 */
export class AggregatorApi {
  constructor(
    private readonly o: {
      engine: ConsensusEngine;
      board: ConsensusBoard;
      /** The fleet's tradable symbols: a query naming another is refused (400) naming it. */
      symbols: TradableSymbols;
      repo: Pick<AggregatorRepository, 'listConsensus' | 'listSignals'>;
    },
  ) {}

  getConsensus(rawSymbol: unknown): ConsensusRecord {
    const symbol = this.o.symbols.require(rawSymbol);
    const c = this.o.board.get(symbol);
    if (!c) throw new NotFoundError(`no consensus for ${symbol}`);
    return c;
  }

  /** Consensus history (every stored consensus), newest first. */
  async listConsensus(q: RawListQuery): Promise<{ consensus: ConsensusRecord[]; limit: number; offset: number }> {
    const symbol = this.optionalSymbol(q.symbol);
    const limit = optionalInt(q.limit, 'limit', 1, MAX_LIST_LIMIT) ?? DEFAULT_LIST_LIMIT;
    const offset = optionalInt(q.offset, 'offset', 0, MAX_OFFSET) ?? 0;
    return { consensus: await this.o.repo.listConsensus({ symbol, limit, offset }), limit, offset };
  }

  /** Stored signals, newest first. */
  async listSignals(q: RawListQuery): Promise<{ signals: StoredSignal[]; limit: number; offset: number }> {
    const symbol = this.optionalSymbol(q.symbol);
    let agentId: string | undefined;
    if (q.agent !== undefined && q.agent !== '') {
      if (typeof q.agent !== 'string' || !ID_RE.test(q.agent)) throw new InvalidArgumentError(`invalid agent ${describeValue(q.agent)}`);
      agentId = q.agent;
    }
    const limit = optionalInt(q.limit, 'limit', 1, MAX_LIST_LIMIT) ?? DEFAULT_LIST_LIMIT;
    const offset = optionalInt(q.offset, 'offset', 0, MAX_OFFSET) ?? 0;
    return { signals: await this.o.repo.listSignals({ symbol, agentId, limit, offset }), limit, offset };
  }

  listSources(): SourceInfo[] {
    return this.o.engine.sources().map(toSourceView);
  }

  /** Symbols filter of a stream; empty = all. */
  parseStreamSymbols(raw: unknown): Set<Symbol> {
    if (raw === undefined || raw === null) return new Set();
    if (!Array.isArray(raw)) throw new InvalidArgumentError('symbols must be a list');
    if (raw.length > MAX_STREAM_SYMBOLS) throw new InvalidArgumentError(`at most ${MAX_STREAM_SYMBOLS} symbols`);
    return new Set(raw.map((s) => this.o.symbols.require(s, 'symbols')));
  }

  private optionalSymbol(raw: unknown): Symbol | undefined {
    if (raw === undefined || raw === '') return undefined;
    return this.o.symbols.require(raw);
  }

  snapshot(filter: ReadonlySet<string>): ConsensusRecord[] {
    return this.o.board.all().filter((c) => filter.size === 0 || filter.has(c.symbol));
  }
}

function toSourceView(s: SourceWeight): SourceInfo {
  return {
    agent_id: s.agentId,
    source_type: s.sourceType,
    base_weight: s.baseWeight,
    hit_rate: round6(s.hitRate),
    hits: s.hits,
    scored: s.scored,
    multiplier: round6(s.multiplier),
    effective_weight: round6(s.effectiveWeight),
    pending: s.pending,
    last_scored_at: s.lastScoredAt,
  };
}

const round6 = (x: number): number => Math.round(x * 1e6) / 1e6;

function optionalInt(raw: unknown, name: string, min: number, max: number): number | undefined {
  if (raw === undefined || raw === '') return undefined;
  const s = typeof raw === 'number' ? String(raw) : raw;
  if (typeof s !== 'string' || !/^\d{1,9}$/.test(s)) throw new InvalidArgumentError(`${name} must be an integer in [${min}, ${max}], got ${describeValue(raw)}`);
  const n = Number(s);
  if (n < min || n > max) throw new InvalidArgumentError(`${name} must be an integer in [${min}, ${max}], got ${n}`);
  return n;
}
