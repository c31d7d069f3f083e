/** The strategy agent as stored, served and run. Field names are the API's (snake_case). */
import type { Symbol, Timeframe } from '@cte/shared';
import type { AgentStrategy } from '../engine/strategies';

export const AGENT_STATUSES = ['stopped', 'running', 'error'] as const;
export type AgentStatus = (typeof AGENT_STATUSES)[number];

export const AGENT_LOG_LEVELS = ['debug', 'info', 'warn', 'error'] as const;
export type AgentLogLevel = (typeof AGENT_LOG_LEVELS)[number];

export interface AgentCommon {
  /** UUID. */
  id: string;
  /** Unique, e.g. btc_trend_follower. */
  name: string;
  symbol: Symbol;
  timeframe: Timeframe;
  status: AgentStatus;
  /** Epoch ms. */
  created_at: number;
  /** Epoch ms. */
  updated_at: number;
  /** Optimistic-locking version; every change increments it. */
  version: number;
}

/** An agent: common fields plus its `type` and that type's validated `config`. */
export type Agent = AgentCommon & AgentStrategy;

export interface AgentLog {
  id: number;
  agent_id: string;
  level: AgentLogLevel;
  message: string;
  data: Record<string, unknown> | null;
  /** Epoch ms. */
  ts: number;
}

export interface AgentLogEntry {
  level: AgentLogLevel;
  message: string;
  data?: Record<string, unknown> | undefined;
}

export interface AgentList {
  agents: Agent[];
  /** Agents matching the filters, ignoring limit/offset. */
  total: number;
}

export interface AgentLogPage {
  /** Newest first. */
  logs: AgentLog[];
  total: number;
}

export interface AgentListQuery {
  type?: string | undefined;
  status?: AgentStatus | undefined;
  symbol?: string | undefined;
  limit: number;
  offset: number;
}

export interface AgentLogQuery {
  level?: AgentLogLevel | undefined;
  limit: number;
  offset: number;
}

/** How the service tells a runtime which agents run: AgentRuntime implements it. */
export interface AgentRuntimeHooks {
  /** (Re)arms a running agent with its current definition. */
  arm(agent: Agent): void;
  disarm(agentId: string): void;
}
