/** Validation of `POST /agents/:id/execute` bodies (and the gRPC ExecuteAgent request). Pure. */
import { describeValue, InvalidArgumentError } from '@cte/shared';
import { optionalInt } from '../agents/agent-input';
import { isPlainObject } from '../engine/strategies/params';
import type { TaskParameters } from './types';

export const MIN_TASK_PRIORITY = 0;
export const MAX_TASK_PRIORITY = 10;
export const DEFAULT_TASK_PRIORITY = 5;
export const MIN_TASK_TIMEOUT_MS = 10;
export const MAX_TASK_TIMEOUT_MS = 3_600_000;
export const MAX_TASK_ATTEMPTS = 20;
export const MAX_PARAMETERS_JSON = 64 * 1024;

export interface TaskRequest {
  parameters: TaskParameters;
  priority: number;
  timeoutMs: number;
  maxAttempts: number;
}

const FIELDS = ['parameters', 'priority', 'timeout_ms', 'max_attempts'];

/** `{parameters?, priority?, timeout_ms?, max_attempts?}` with the engine's defaults. */
export function parseTaskRequest(raw: unknown, defaults: { timeoutMs: number; maxAttempts: number }): TaskRequest {
  if (raw === undefined || raw === null) raw = {};
  if (!isPlainObject(raw)) throw new InvalidArgumentError('body must be a JSON object {parameters?, priority?, timeout_ms?, max_attempts?}');
  const extra = Object.keys(raw).filter((k) => !FIELDS.includes(k));
  if (extra.length > 0) throw new InvalidArgumentError(`unknown field(s): ${extra.join(', ')}; allowed: ${FIELDS.join(', ')}`);
  const p = raw.parameters;
  if (p !== undefined && p !== null && !isPlainObject(p)) throw new InvalidArgumentError('parameters must be a JSON object');
  const parameters: TaskParameters = isPlainObject(p) ? p : {};
  if (JSON.stringify(parameters).length > MAX_PARAMETERS_JSON) {
    throw new InvalidArgumentError(`parameters must be at most ${MAX_PARAMETERS_JSON} bytes of JSON`);
  }
  return {
    parameters,
    priority: strictInt(raw.priority, 'priority', MIN_TASK_PRIORITY, MAX_TASK_PRIORITY) ?? DEFAULT_TASK_PRIORITY,
    timeoutMs: strictInt(raw.timeout_ms, 'timeout_ms', MIN_TASK_TIMEOUT_MS, MAX_TASK_TIMEOUT_MS) ?? defaults.timeoutMs,
    maxAttempts: strictInt(raw.max_attempts, 'max_attempts', 1, MAX_TASK_ATTEMPTS) ?? defaults.maxAttempts,
  };
}

/** Like optionalInt, but a JSON body must carry numbers, not numeric strings. */
function strictInt(v: unknown, field: string, min: number, max: number): number | undefined {
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'number') throw new InvalidArgumentError(`${field} must be an integer from ${min} to ${max}, got ${describeValue(v)}`);
  return optionalInt(v, field, min, max);
}
