/**
 * Untrusted JSON: a nesting-depth limit checked before any validation, for HTTP bodies (the
 * HTTP app runs `assertJsonDepth` right after the body parser) and for every JSON value that
 * travels inside a string field (`parseJsonField`, e.g. gRPC `parameters_json`).
 *
 * JSON.parse itself copes with deep nesting, but almost everything after it recurses
 * (JSON.stringify, structured clone, validators, the logger), so a 100 KB body of 45,000
 * nested arrays would overflow the stack somewhere downstream. No value this fleet accepts
 * comes close to 32 levels, so deeper input is refused at the edge with a 400 /
 * INVALID_ARGUMENT naming the field.
 */
import { truncateText } from './describe';
import { InvalidArgumentError } from './errors';

/** Deepest nesting accepted in untrusted JSON: `{}` and `[]` are depth 1, `{"a":[1]}` depth 2. */
export const MAX_JSON_DEPTH = 32;

export interface JsonDepthViolation {
  /** The top-level key (or array index) under which the limit was exceeded; undefined when the value itself is the top. */
  field: string | undefined;
  /** How deep the walk had got when it stopped (MAX + 1). */
  depth: number;
}

/**
 * The first place where `value` nests deeper than `maxDepth`, or undefined. Iterative (no
 * recursion, so it cannot overflow the stack itself) and linear in the size of the value; cycles
 * end the walk as soon as they pass the depth limit.
 */
export function findJsonDepthViolation(value: unknown, maxDepth = MAX_JSON_DEPTH): JsonDepthViolation | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  const stack: Array<{ v: object; depth: number; field: string | undefined }> = [{ v: value, depth: 1, field: undefined }];
  while (stack.length > 0) {
    const { v, depth, field } = stack.pop()!;
    if (depth > maxDepth) return { field, depth };
    if (Array.isArray(v)) {
      for (let i = 0; i < v.length; i++) {
        const child: unknown = v[i];
        if (typeof child === 'object' && child !== null) stack.push({ v: child, depth: depth + 1, field: field ?? String(i) });
      }
    } else {
      for (const key of Object.keys(v)) {
        const child: unknown = (v as Record<string, unknown>)[key];
        if (typeof child === 'object' && child !== null) stack.push({ v: child, depth: depth + 1, field: field ?? key });
      }
    }
  }
  return undefined;
}

/**
 * Throws InvalidArgumentError when `value` nests deeper than `maxDepth`. `field` names the
 * value itself (e.g. `parameters_json`); for a request body pass `undefined` and the message
 * names the top-level field the deep value sits under.
 */
export function assertJsonDepth(value: unknown, field: string | undefined, maxDepth = MAX_JSON_DEPTH): void {
  const v = findJsonDepthViolation(value, maxDepth);
  if (v === undefined) return;
  const where = field !== undefined ? field : v.field !== undefined ? v.field : 'request body';
  const named = truncateText(where, 64);
  throw new InvalidArgumentError(`${named} is nested deeper than ${maxDepth} levels`, { field: named, max_depth: maxDepth });
}

/**
 * Parses a JSON value carried in a string field (gRPC `config_json`, `parameters_json`, ...).
 * `undefined` or `''` → undefined (not given). Not JSON, or nested deeper than `maxDepth` →
 * InvalidArgumentError naming `field`.
 */
export function parseJsonField(raw: string | undefined, field: string, maxDepth = MAX_JSON_DEPTH): unknown {
  if (raw === undefined || raw === '') return undefined;
  let value: unknown;
  try {
    value = JSON.parse(raw) as unknown;
  } catch {
    throw new InvalidArgumentError(`${field} is not valid JSON`, { field });
  }
  assertJsonDepth(value, field, maxDepth);
  return value;
}
