/**
 * `agents` and `agent_logs` (owned by signal-generator). Every change of an
 * agent is an optimistic-locked UPDATE (`WHERE version = ?`) committed in one
 * transaction with its log line, so the audit trail never disagrees with the state.
 */
import { describeValue, ConflictError, isDuplicateKeyError, textColumn, type Database, type Queryable, type SqlParam } from '@cte/shared';
import type { Agent, AgentListQuery, AgentLog, AgentLogEntry, AgentLogLevel, AgentLogPage, AgentLogQuery, AgentStatus } from '../agents/types';

/** A row of `agents` as stored; the service validates it into an Agent. */
export interface AgentRow {
  id: string;
  name: string;
  type: string;
  symbol: string;
  timeframe: string;
  config: unknown;
  status: string;
  created_at: number;
  updated_at: number;
  version: number;
}

const MAX_MESSAGE = 1024;
/**
 * JSON columns are read as text and parsed here: drivers differ (mysql2 parses
 * MySQL JSON and MariaDB JSON with extended metadata, but not older MariaDB),
 * and a parsed JSON string cannot be told from unparsed JSON text.
 */
const AGENT_COLUMNS = 'id, name, type, symbol, timeframe, CAST(config AS CHAR) AS config, status, created_at, updated_at, version';
const LOG_COLUMNS = 'id, agent_id, level, message, CAST(data AS CHAR) AS data, ts';
const MAX_DATA_JSON = 64 * 1024;

/** What AgentService needs from storage (AgentRepository implements it over MySQL). */
export interface AgentStore {
  insert(agent: Agent, log: AgentLogEntry, ts: number): Promise<void>;
  get(id: string): Promise<AgentRow | undefined>;
  list(q: AgentListQuery): Promise<{ rows: AgentRow[]; total: number }>;
  listByStatus(status: AgentStatus): Promise<AgentRow[]>;
  /** Writes `agent` if the stored version is still `expectedVersion`; false otherwise. */
  update(agent: Agent, expectedVersion: number, log: AgentLogEntry | undefined, ts: number): Promise<boolean>;
  /** Sets only the status (for rows that no longer validate); false on a version mismatch. */
  setStatus(id: string, status: AgentStatus, expectedVersion: number, log: AgentLogEntry, ts: number): Promise<boolean>;
  /** Deletes the agent and its logs if the version still matches. */
  delete(id: string, expectedVersion: number): Promise<boolean>;
  appendLog(agentId: string, log: AgentLogEntry, ts: number): Promise<void>;
  listLogs(agentId: string, q: AgentLogQuery): Promise<AgentLogPage>;
}

export class AgentRepository implements AgentStore {
  constructor(private readonly db: Database) {}

  async insert(agent: Agent, log: AgentLogEntry, ts: number): Promise<void> {
    try {
      await this.db.transaction(async (tx) => {
        await tx.execute(
          `INSERT INTO agents (id, name, type, symbol, timeframe, config, status, created_at, updated_at, version)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
          [agent.id, agent.name, agent.type, agent.symbol, agent.timeframe, JSON.stringify(agent.config), agent.status, agent.created_at, agent.updated_at, agent.version],
        );
        await insertLog(tx, agent.id, log, ts);
      });
    } catch (err) {
      throw nameConflict(err, agent.name);
    }
  }

  async get(id: string): Promise<AgentRow | undefined> {
    const rows = await this.db.query<Record<string, unknown>>(`SELECT ${AGENT_COLUMNS} FROM agents WHERE id = ?`, [id]);
    return rows[0] ? toRow(rows[0]) : undefined;
  }

  async list(q: AgentListQuery): Promise<{ rows: AgentRow[]; total: number }> {
    const where: string[] = [];
    const params: SqlParam[] = [];
    if (q.type !== undefined) {
      where.push('type = ?');
      params.push(q.type);
    }
    if (q.status !== undefined) {
      where.push('status = ?');
      params.push(q.status);
    }
    if (q.symbol !== undefined) {
      where.push('symbol = ?');
      params.push(q.symbol);
    }
    const clause = where.length > 0 ? `WHERE ${where.join(' AND ')}` : '';
    const [rows, count] = await Promise.all([
      this.db.query<Record<string, unknown>>(`SELECT ${AGENT_COLUMNS} FROM agents ${clause} ORDER BY seq LIMIT ? OFFSET ?`, [...params, q.limit, q.offset]),
      this.db.query<{ n: number }>(`SELECT COUNT(*) AS n FROM agents ${clause}`, params),
    ]);
    return { rows: rows.map(toRow), total: Number(count[0]?.n ?? 0) };
  }

  async listByStatus(status: AgentStatus): Promise<AgentRow[]> {
    const rows = await this.db.query<Record<string, unknown>>(`SELECT ${AGENT_COLUMNS} FROM agents WHERE status = ? ORDER BY seq`, [status]);
    return rows.map(toRow);
  }

  async update(agent: Agent, expectedVersion: number, log: AgentLogEntry | undefined, ts: number): Promise<boolean> {
    try {
      return await this.db.transaction(async (tx) => {
        const res = await tx.execute(
          `UPDATE agents SET name = ?, type = ?, symbol = ?, timeframe = ?, config = ?, status = ?, updated_at = ?, version = ?
           WHERE id = ? AND version = ?`,
          [agent.name, agent.type, agent.symbol, agent.timeframe, JSON.stringify(agent.config), agent.status, agent.updated_at, agent.version, agent.id, expectedVersion],
        );
        if (res.affectedRows !== 1) return false;
        if (log) await insertLog(tx, agent.id, log, ts);
        return true;
      });
    } catch (err) {
      throw nameConflict(err, agent.name);
    }
  }

  async setStatus(id: string, status: AgentStatus, expectedVersion: number, log: AgentLogEntry, ts: number): Promise<boolean> {
    return this.db.transaction(async (tx) => {
      const res = await tx.execute('UPDATE agents SET status = ?, updated_at = ?, version = version + 1 WHERE id = ? AND version = ?', [
        status,
        ts,
        id,
        expectedVersion,
      ]);
      if (res.affectedRows !== 1) return false;
      await insertLog(tx, id, log, ts);
      return true;
    });
  }

  async delete(id: string, expectedVersion: number): Promise<boolean> {
    return this.db.transaction(async (tx) => {
      const res = await tx.execute('DELETE FROM agents WHERE id = ? AND version = ?', [id, expectedVersion]);
      if (res.affectedRows !== 1) return false;
      await tx.execute('DELETE FROM agent_logs WHERE agent_id = ?', [id]);
      return true;
    });
  }

  async appendLog(agentId: string, log: AgentLogEntry, ts: number): Promise<void> {
    await insertLog(this.db, agentId, log, ts);
  }

  async listLogs(agentId: string, q: AgentLogQuery): Promise<AgentLogPage> {
    const where = ['agent_id = ?'];
    const params: SqlParam[] = [agentId];
    if (q.level !== undefined) {
      where.push('level = ?');
      params.push(q.level);
    }
    const clause = `WHERE ${where.join(' AND ')}`;
    const [rows, count] = await Promise.all([
      this.db.query<Record<string, unknown>>(`SELECT ${LOG_COLUMNS} FROM agent_logs ${clause} ORDER BY ts DESC, id DESC LIMIT ? OFFSET ?`, [...params, q.limit, q.offset]),
      this.db.query<{ n: number }>(`SELECT COUNT(*) AS n FROM agent_logs ${clause}`, params),
    ]);
    return { logs: rows.map(toLog), total: Number(count[0]?.n ?? 0) };
  }
}

async function insertLog(db: Queryable, agentId: string, log: AgentLogEntry, ts: number): Promise<void> {
  const message = log.message.length > MAX_MESSAGE ? `${log.message.slice(0, MAX_MESSAGE - 1)}…` : log.message;
  let data: string | null = null;
  if (log.data !== undefined) {
    data = JSON.stringify(log.data);
    if (data.length > MAX_DATA_JSON) data = JSON.stringify({ truncated: true, bytes: data.length });
  }
  await db.execute('INSERT INTO agent_logs (agent_id, level, message, data, ts) VALUES (?, ?, ?, ?, ?)', [agentId, log.level, message, data, ts]);
}

function nameConflict(err: unknown, name: string): unknown {
  return isDuplicateKeyError(err) ? new ConflictError(`an agent named ${describeValue(name)} already exists`, { name }) : err;
}

/** A JSON column selected as text (`CAST(col AS CHAR)`), parsed; NULL stays null. */
export function parseJsonColumn(v: unknown): unknown {
  if (v === null || v === undefined) return null;
  return JSON.parse(textColumn(v, 'JSON')) as unknown;
}

function toRow(r: Record<string, unknown>): AgentRow {
  return {
    id: String(r.id),
    name: String(r.name),
    type: String(r.type),
    symbol: String(r.symbol),
    timeframe: String(r.timeframe),
    config: parseJsonColumn(r.config),
    status: String(r.status),
    created_at: Number(r.created_at),
    updated_at: Number(r.updated_at),
    version: Number(r.version),
  };
}

function toLog(r: Record<string, unknown>): AgentLog {
  const data = parseJsonColumn(r.data);
  return {
    id: Number(r.id),
    agent_id: String(r.agent_id),
    level: String(r.level) as AgentLogLevel,
    message: String(r.message),
    data: typeof data === 'object' && data !== null && !Array.isArray(data) ? (data as Record<string, unknown>) : null,
    ts: Number(r.ts),
  };
}
