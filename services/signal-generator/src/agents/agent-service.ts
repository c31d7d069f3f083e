/**
 * The use cases of the agent registry, shared by REST and gRPC so validation
 * and errors are the same on both: create, list, get, update, delete, start,
 * stop, logs, and restore on boot.
 *
 * Every lifecycle change is committed to MySQL together with its agent_logs
 * line (optimistic locking on `version`), logged with pino, and then passed
 * to the runtime (arm/disarm), so a running agent runs its current definition.
 */
import { randomUUID } from 'node:crypto';
import { ConflictError, NotFoundError, restoreRows, type Logger, type Quarantine, type TradableSymbols } from '@cte/shared';
import type { AgentRow, AgentStore } from '../adapters/agent-repository';
import {
  agentFromStored,
  applyAgentPatch,
  parseAgentLogQuery,
  parseId,
  parseNewAgent,
  parseAgentListQuery,
  type RawAgentListQuery,
  type RawAgentLogQuery,
} from './agent-input';
import type { Agent, AgentList, AgentLogEntry, AgentLogLevel, AgentLogPage, AgentRuntimeHooks, AgentStatus } from './types';

export interface AgentServiceOptions {
  store: AgentStore;
  /** The fleet's tradable symbols: agents are created for, moved to, started and executed on these only. */
  symbols: TradableSymbols;
  logger: Logger;
  /** Told about every agent that starts, changes while running, or stops. */
  runtime?: AgentRuntimeHooks | undefined;
  now?: () => number;
  newId?: () => string;
}

/** Optimistic-lock retries for internal read-modify-write cycles (a client's explicit `version` is never retried). */
const MAX_LOCK_RETRIES = 5;

type Mutation = { next: Agent; log: AgentLogEntry; after?: (agent: Agent) => void } | undefined;

export class AgentService {
  private readonly store: AgentStore;
  private readonly symbols: TradableSymbols;
  private readonly logger: Logger;
  private readonly now: () => number;
  private readonly newId: () => string;
  private runtime: AgentRuntimeHooks | undefined;

  constructor(opts: AgentServiceOptions) {
    this.store = opts.store;
    this.symbols = opts.symbols;
    this.logger = opts.logger.child({ component: 'agents' });
    this.runtime = opts.runtime;
    this.now = opts.now ?? Date.now;
    this.newId = opts.newId ?? randomUUID;
  }

  /** Sets (or replaces) the runtime told about lifecycle changes. */
  attachRuntime(runtime: AgentRuntimeHooks | undefined): void {
    this.runtime = runtime;
  }

  /** `{name, type, symbol, timeframe, config?}` → the stored agent (status stopped). 400 invalid, 409 duplicate name. */
  async create(raw: unknown): Promise<Agent> {
    const input = parseNewAgent(raw, this.symbols);
    const ts = this.now();
    const agent = {
      id: this.newId(),
      name: input.name,
      symbol: input.symbol,
      timeframe: input.timeframe,
      status: 'stopped',
      created_at: ts,
      updated_at: ts,
      version: 1,
      ...input.strategy,
    } as Agent;
    await this.store.insert(agent, { level: 'info', message: 'agent created', data: { type: agent.type, symbol: agent.symbol, timeframe: agent.timeframe, config: agent.config } }, ts);
    this.logger.info({ agent_id: agent.id, name: agent.name, type: agent.type, symbol: agent.symbol, timeframe: agent.timeframe }, 'agent created');
    return agent;
  }

  async list(raw: RawAgentListQuery = {}): Promise<AgentList> {
    const q = parseAgentListQuery(raw, this.symbols);
    const { rows, total } = await this.store.list(q);
    return { agents: rows.map((r) => this.hydrate(r)), total };
  }

  async get(rawId: unknown): Promise<Agent> {
    return this.hydrate(await this.getRow(parseId(rawId)));
  }

  /** Applies a patch (see applyAgentPatch). 409 when the name is taken, a running agent's type changes, or `version` is stale. */
  async update(rawId: unknown, raw: unknown): Promise<Agent> {
    const id = parseId(rawId);
    let clientVersion: number | undefined;
    const agent = await this.mutate(id, (current) => {
      const patch = applyAgentPatch(current, raw, this.symbols);
      clientVersion = patch.expectedVersion;
      if (patch.expectedVersion !== undefined && patch.expectedVersion !== current.version) {
        throw new ConflictError(`agent ${id} is at version ${current.version}, not ${patch.expectedVersion}; reload and retry`, {
          version: current.version,
        });
      }
      if (patch.changes.includes('type') && current.status === 'running') {
        throw new ConflictError(`agent ${current.name} is running: stop it before changing its type`);
      }
      if (patch.changes.length === 0) return undefined;
      return {
        next: patch.next,
        log: { level: 'info', message: `agent updated: ${patch.changes.join(', ')}`, data: { changes: patch.changes, config: patch.next.config } },
        after: (a) => {
          if (a.status === 'running') this.runtime?.arm(a);
        },
      };
    }, () => clientVersion !== undefined);
    return agent;
  }

  /** Starts an agent (idempotent): status running in MySQL, then armed in the runtime. */
  async start(rawId: unknown): Promise<Agent> {
    const id = parseId(rawId);
    const arm = (a: Agent): void => this.runtime?.arm(a);
    return this.mutate(
      id,
      (current) => {
        if (current.status === 'running') return undefined;
        this.checkExecutable(current);
        return { next: { ...current, status: 'running' }, log: { level: 'info', message: 'agent started', data: { previous_status: current.status } }, after: arm };
      },
      undefined,
      arm,
    );
  }

  /**
   * An agent stored before its symbol left TRADABLE_SYMBOLS can still be read, stopped and deleted,
   * but not started or executed: throws InvalidArgumentError naming the symbol.
   */
  checkExecutable(agent: Agent): void {
    this.symbols.check(agent.symbol, `agent ${agent.name} symbol`);
  }

  /** Stops an agent (idempotent): status stopped in MySQL, and disarmed. */
  async stop(rawId: unknown): Promise<Agent> {
    const id = parseId(rawId);
    const disarm = (): void => this.runtime?.disarm(id);
    return this.mutate(
      id,
      (current) =>
        current.status === 'stopped'
          ? undefined
          : { next: { ...current, status: 'stopped' }, log: { level: 'info', message: 'agent stopped', data: { previous_status: current.status } }, after: disarm },
      undefined,
      disarm,
    );
  }

  /** Marks an agent failed (status error) with the reason, and disarms it. Used by the runtime's error path. */
  async markError(rawId: unknown, message: string, data?: Record<string, unknown>): Promise<Agent> {
    const id = parseId(rawId);
    this.runtime?.disarm(id);
    return this.mutate(id, (current) => ({
      next: { ...current, status: 'error' },
      log: { level: 'error', message: `agent error: ${message}`, data: { ...data, previous_status: current.status } },
    }));
  }

  /** Deletes an agent (running or not) and its logs; returns it as it was. */
  async delete(rawId: unknown): Promise<Agent> {
    const id = parseId(rawId);
    for (let attempt = 0; attempt < MAX_LOCK_RETRIES; attempt++) {
      const row = await this.getRow(id);
      if (await this.store.delete(id, row.version)) {
        this.runtime?.disarm(id);
        this.logger.info({ agent_id: id, name: row.name, previous_status: row.status }, 'agent deleted');
        return this.hydrateLenient(row);
      }
    }
    throw new ConflictError(`agent ${id} kept changing while being deleted; retry`);
  }

  /** The agent's logs, newest first, with the total for pagination. 404 for an unknown agent. */
  async logs(rawId: unknown, raw: RawAgentLogQuery = {}): Promise<AgentLogPage> {
    const id = parseId(rawId);
    const q = parseAgentLogQuery(raw);
    await this.getRow(id);
    return this.store.listLogs(id, q);
  }

  /** Appends a line to an agent's log (agent_logs) and to pino. */
  async log(agentId: string, level: AgentLogLevel, message: string, data?: Record<string, unknown>): Promise<void> {
    this.logger[level]({ agent_id: agentId, ...(data ? { data } : {}) }, message);
    await this.store.appendLog(agentId, { level, message, data }, this.now());
  }

  /**
   * Agents whose stored status is running, for the runtime to re-arm after a restart (armed here
   * too when a runtime is attached). One whose stored definition no longer validates, or whose
   * symbol is no longer tradable, is quarantined: set to status error (with an agent log line),
   * counted and shown in /ready.
   */
  async restore(quarantine: Quarantine): Promise<Agent[]> {
    const rows = await this.store.listByStatus('running');
    const restored = await restoreRows(rows, {
      table: 'agents',
      quarantine,
      idOf: (row) => row.id,
      restore: (row) => {
        const agent = agentFromStored(row);
        this.checkExecutable(agent);
        this.runtime?.arm(agent);
        return agent;
      },
      deactivate: async (row, reason) => {
        await this.store.setStatus(row.id, 'error', row.version, { level: 'error', message: `agent not restored: ${reason}` }, this.now());
      },
    });
    this.logger.info({ agents: restored.length }, 'running agents restored');
    return restored;
  }

  // -------------------------------------------------------------------------

  private async getRow(id: string): Promise<AgentRow> {
    const row = await this.store.get(id);
    if (!row) throw new NotFoundError(`agent ${id} not found`);
    return row;
  }

  private hydrate(row: AgentRow): Agent {
    return agentFromStored(row);
  }

  /** For answers about an agent being deleted: its stored form even if it no longer validates. */
  private hydrateLenient(row: AgentRow): Agent {
    try {
      return agentFromStored(row);
    } catch {
      return { ...row, status: row.status as AgentStatus } as unknown as Agent;
    }
  }

  /**
   * Read-modify-write with optimistic locking. `fn` returns the new state and
   * its log line, or undefined for "nothing to change" (the current agent is
   * returned, after `unchanged`). A lost race is retried unless `strict()` says
   * the caller pinned a version, in which case it is a 409. `after` runs right
   * after the commit, so runtime changes follow the order of the commits.
   */
  private async mutate(
    id: string,
    fn: (current: Agent) => Mutation,
    strict: () => boolean = () => false,
    unchanged?: (current: Agent) => void,
  ): Promise<Agent> {
    for (let attempt = 0; attempt < MAX_LOCK_RETRIES; attempt++) {
      const current = this.hydrate(await this.getRow(id));
      const m = fn(current);
      if (!m) {
        unchanged?.(current);
        return current;
      }
      const ts = this.now();
      const next = { ...m.next, updated_at: Math.max(ts, current.updated_at), version: current.version + 1 };
      if (await this.store.update(next, current.version, m.log, ts)) {
        this.logger[m.log.level]({ agent_id: id, name: next.name, status: next.status, version: next.version, ...(m.log.data ? { data: m.log.data } : {}) }, m.log.message);
        m.after?.(next);
        return next;
      }
      if (strict()) throw new ConflictError(`agent ${id} was changed concurrently; reload and retry`);
    }
    throw new ConflictError(`agent ${id} kept changing concurrently; retry`);
  }
}
