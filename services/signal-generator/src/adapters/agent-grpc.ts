/**
 * gRPC handlers of `cte.signals.v1.SignalGenerator` over the same use cases as
 * REST (AgentService, TaskEngine). JSON payloads travel as JSON strings; int64
 * as strings; an unset proto3 scalar ('' or 0) means "not given".
 *
 *   grpcKit.addService(proto.cte.signals.v1.SignalGenerator.service, agentGrpcHandlers(agents, tasks));
 */
import { parseJsonField, unary, type AgentLogProto, type AgentProto, type SignalGeneratorHandlers, type TaskProto } from '@cte/shared';
import type { AgentService } from '../agents/agent-service';
import type { Agent, AgentLog } from '../agents/types';
import type { TaskEngine } from '../tasks/task-engine';
import type { Task } from '../tasks/types';

const given = (v: string | number): string | number | undefined => (v === '' || v === 0 || v === '0' ? undefined : v);
/** A string filter is unset only when empty ("0" is a value, and an invalid one). */
const givenText = (v: string): string | undefined => (v === '' ? undefined : v);

export function agentGrpcHandlers(agents: AgentService, tasks: TaskEngine): SignalGeneratorHandlers {
  return {
    CreateAgent: unary(async (req) =>
      toAgentProto(
        await agents.create({
          name: req.name,
          type: req.type,
          symbol: req.symbol,
          timeframe: req.timeframe,
          config: parseJsonField(req.config_json, 'config_json'),
        }),
      ),
    ),
    ListAgents: unary(async (req) => {
      const page = await agents.list({ type: givenText(req.type), status: givenText(req.status), symbol: givenText(req.symbol), limit: given(req.limit), offset: given(req.offset) });
      return { agents: page.agents.map(toAgentProto), total: page.total };
    }),
    GetAgent: unary(async (req) => toAgentProto(await agents.get(req.id))),
    UpdateAgent: unary(async (req) => {
      const patch: Record<string, unknown> = {};
      if (req.name !== undefined) patch.name = req.name;
      if (req.type !== undefined) patch.type = req.type;
      if (req.symbol !== undefined) patch.symbol = req.symbol;
      if (req.timeframe !== undefined) patch.timeframe = req.timeframe;
      if (req.config_json !== undefined) patch.config = parseJsonField(req.config_json, 'config_json') ?? {};
      if (req.expected_version !== undefined) patch.version = Number(req.expected_version);
      return toAgentProto(await agents.update(req.id, patch));
    }),
    DeleteAgent: unary(async (req) => toAgentProto(await agents.delete(req.id))),
    StartAgent: unary(async (req) => toAgentProto(await agents.start(req.id))),
    StopAgent: unary(async (req) => toAgentProto(await agents.stop(req.id))),
    GetAgentLogs: unary(async (req) => {
      const page = await agents.logs(req.id, { level: givenText(req.level), limit: given(req.limit), offset: given(req.offset) });
      return { logs: page.logs.map(toLogProto), total: page.total };
    }),
    ExecuteAgent: unary(async (req) => {
      const body: Record<string, unknown> = {};
      const parameters = parseJsonField(req.parameters_json, 'parameters_json');
      if (parameters !== undefined) body.parameters = parameters;
      if (req.priority !== undefined) body.priority = req.priority;
      if (req.timeout_ms !== undefined) body.timeout_ms = req.timeout_ms;
      if (req.max_attempts !== undefined) body.max_attempts = req.max_attempts;
      const { taskId } = await tasks.submit(req.id, body);
      return { task_id: taskId };
    }),
    GetTask: unary(async (req) => toTaskProto(await tasks.get(req.id))),
    CancelTask: unary(async (req) => toTaskProto(await tasks.cancel(req.id))),
  };
}

export function toAgentProto(a: Agent): AgentProto {
  return {
    id: a.id,
    name: a.name,
    type: a.type,
    symbol: a.symbol,
    timeframe: a.timeframe,
    config_json: JSON.stringify(a.config),
    status: a.status,
    created_at: String(a.created_at),
    updated_at: String(a.updated_at),
    version: String(a.version),
  };
}

export function toLogProto(l: AgentLog): AgentLogProto {
  return { id: String(l.id), agent_id: l.agent_id, level: l.level, message: l.message, data_json: l.data === null ? '' : JSON.stringify(l.data), ts: String(l.ts) };
}

export function toTaskProto(t: Task): TaskProto {
  return {
    id: t.id,
    agent_id: t.agent_id,
    status: t.status,
    priority: t.priority,
    parameters_json: JSON.stringify(t.parameters),
    result_json: t.status === 'succeeded' ? JSON.stringify(t.result) : '',
    error: t.error ?? '',
    attempts: t.attempts,
    max_attempts: t.max_attempts,
    timeout_ms: t.timeout_ms,
    queued_at: String(t.queued_at),
    started_at: String(t.started_at ?? 0),
    finished_at: String(t.finished_at ?? 0),
    duration_ms: String(t.duration_ms ?? 0),
    next_attempt_at: String(t.next_attempt_at ?? 0),
  };
}
