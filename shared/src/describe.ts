/**
 * Bounded descriptions of untrusted values, for error messages and logs.
 *
 * An error message that echoes its input is itself an attack surface: `JSON.stringify` of a
 * value nested 45,000 deep overflows the stack (a 500 instead of a 400), and a message that
 * repeats a 200 KB field makes a gRPC status trailer too large to deliver. Everything that
 * describes caller, peer or venue input therefore goes through `describeValue`, and every
 * message and `details` object leaving the kit goes through `boundMessage` / `boundDetails`.
 * None of these functions throws, whatever it is given.
 */

/** Longest error message the kit sends (HTTP `error.message`, gRPC status details). */
export const MAX_ERROR_MESSAGE_CHARS = 512;
/** Largest `details` object the kit sends, as JSON characters. */
export const MAX_ERROR_DETAILS_CHARS = 2048;

const ELLIPSIS = '…';
/** How deep a description looks into objects and arrays; deeper levels print as `{…}` / `[…]`. */
const DESCRIBE_DEPTH = 3;

function isHighSurrogate(code: number): boolean {
  return code >= 0xd800 && code <= 0xdbff;
}

/** `s` cut to at most `max` UTF-16 units (ending in `…` when cut), never splitting a surrogate pair. */
export function truncateText(s: string, max: number): string {
  if (s.length <= max) return s;
  if (max <= 0) return '';
  let end = max - 1;
  if (end > 0 && isHighSurrogate(s.charCodeAt(end - 1))) end--;
  return s.slice(0, end) + ELLIPSIS;
}

class Budget {
  private readonly parts: string[] = [];
  private length = 0;
  constructor(private readonly max: number) {}
  get full(): boolean {
    return this.length > this.max;
  }
  push(s: string): boolean {
    if (this.full) return false;
    // Only as much of `s` as can still matter (one unit more than the budget marks the cut).
    const room = this.max + 1 - this.length;
    const piece = s.length > room ? s.slice(0, room) : s;
    this.parts.push(piece);
    this.length += piece.length;
    return !this.full;
  }
  text(): string {
    return truncateText(this.parts.join(''), this.max);
  }
}

function quote(s: string, budget: number): string {
  // JSON.stringify of a string cannot throw, escapes control characters and lone surrogates.
  return JSON.stringify(s.length > budget ? s.slice(0, budget + 1) : s);
}

function describeInto(value: unknown, out: Budget, depth: number, seen: Set<object>, maxChars: number): void {
  switch (typeof value) {
    case 'string':
      out.push(quote(value, maxChars));
      return;
    case 'number':
      out.push(Object.is(value, -0) ? '-0' : String(value));
      return;
    case 'bigint':
      out.push(`${truncateText(value.toString(), maxChars + 1)}n`);
      return;
    case 'boolean':
      out.push(String(value));
      return;
    case 'undefined':
      out.push('undefined');
      return;
    case 'symbol':
      out.push('Symbol(');
      out.push(quote(value.description ?? '', maxChars));
      out.push(')');
      return;
    case 'function':
      out.push('[function]');
      return;
    default:
      break;
  }
  if (value === null) {
    out.push('null');
    return;
  }
  const obj = value as object;
  let isArray = false;
  try {
    isArray = Array.isArray(obj);
  } catch {
    // A revoked Proxy.
    out.push('[object]');
    return;
  }
  if (seen.has(obj)) {
    out.push('[circular]');
    return;
  }
  if (depth >= DESCRIBE_DEPTH) {
    out.push(isArray ? '[…]' : '{…}');
    return;
  }
  seen.add(obj);
  try {
    if (isArray) {
      const arr = obj as unknown[];
      const n = arr.length;
      out.push('[');
      for (let i = 0; i < n && !out.full; i++) {
        if (i > 0) out.push(',');
        describeInto(arr[i], out, depth + 1, seen, maxChars);
      }
      out.push(']');
      return;
    }
    if (obj instanceof Error) {
      out.push(`[${truncateText(String(obj.name), 40)}: `);
      out.push(quote(String(obj.message), maxChars));
      out.push(']');
      return;
    }
    out.push('{');
    let first = true;
    // for...in stops as soon as the budget is used up, unlike Object.keys on a huge object.
    for (const key in obj) {
      if (out.full) break;
      if (!Object.prototype.hasOwnProperty.call(obj, key)) continue;
      if (!first) out.push(',');
      first = false;
      out.push(quote(key, maxChars));
      out.push(':');
      let v: unknown;
      try {
        v = (obj as Record<string, unknown>)[key];
      } catch {
        out.push('[throws]');
        continue;
      }
      describeInto(v, out, depth + 1, seen, maxChars);
    }
    out.push('}');
  } catch {
    // A Proxy trap or a getter threw in the middle: what was described so far stands.
    out.push('…');
  } finally {
    seen.delete(obj);
  }
}

/**
 * A short, JSON-like description of any value for an error message or a log line: at most
 * `maxChars` characters (cut with `…`), looking at most three levels deep, escaping control
 * characters and lone surrogates. Never throws (deep nesting, cycles, BigInt, throwing
 * getters, Proxies, huge strings). `describeValue('abc')` is `"abc"`, with quotes, so an empty
 * or blank string is visible.
 */
export function describeValue(value: unknown, maxChars = 80): string {
  const max = Math.max(8, Math.floor(Number.isFinite(maxChars) ? maxChars : 80));
  try {
    const out = new Budget(max);
    describeInto(value, out, 0, new Set(), max);
    return out.text();
  } catch {
    return '[value]';
  }
}

/** An error message fit to send: a string of at most `max` characters. Never throws. */
export function boundMessage(message: unknown, max = MAX_ERROR_MESSAGE_CHARS): string {
  if (typeof message === 'string') return truncateText(message, max);
  return describeValue(message, max);
}

const MAX_DETAIL_KEYS = 20;
const MAX_DETAIL_KEY_CHARS = 64;
const MAX_DETAIL_STRING_CHARS = 256;

function isPlainScalar(v: unknown): v is string | number | boolean | null {
  return v === null || typeof v === 'string' || typeof v === 'boolean' || (typeof v === 'number' && Number.isFinite(v));
}

/**
 * A `details` object fit to send: kept as is when it is small plain JSON (at most
 * `maxChars` as JSON, at most 8 levels deep); otherwise rebuilt from at most 20 keys, with
 * strings cut and every non-scalar replaced by its description. Never throws; `undefined`
 * when nothing is left.
 */
export function boundDetails(details: unknown, maxChars = MAX_ERROR_DETAILS_CHARS): Record<string, unknown> | undefined {
  try {
    if (typeof details !== 'object' || details === null || Array.isArray(details)) return undefined;
    if (jsonFits(details, maxChars)) return details as Record<string, unknown>;
    const out: Record<string, unknown> = {};
    let used = 2;
    let n = 0;
    for (const key in details) {
      if (!Object.prototype.hasOwnProperty.call(details, key)) continue;
      if (n >= MAX_DETAIL_KEYS || used >= maxChars) break;
      let v: unknown;
      try {
        v = (details as Record<string, unknown>)[key];
      } catch {
        continue;
      }
      const k = truncateText(key, MAX_DETAIL_KEY_CHARS);
      const room = Math.max(16, Math.min(MAX_DETAIL_STRING_CHARS, maxChars - used - k.length - 6));
      const bounded = typeof v === 'string' ? truncateText(v, room) : isPlainScalar(v) ? v : describeValue(v, room);
      const size = k.length + 6 + (typeof bounded === 'string' ? bounded.length * 2 : 24);
      if (used + size > maxChars && n > 0) break;
      out[k] = bounded;
      used += size;
      n++;
    }
    return n > 0 ? out : undefined;
  } catch {
    return undefined;
  }
}

/** Whether `v` is plain JSON data (no cycles, BigInt, Proxies or getters that throw) of at most `maxChars`, at most 8 levels deep. */
function jsonFits(v: unknown, maxChars: number): boolean {
  // Walk iteratively first, so JSON.stringify below never meets anything deep or cyclic.
  const stack: Array<{ value: unknown; depth: number }> = [{ value: v, depth: 0 }];
  let nodes = 0;
  while (stack.length > 0) {
    const { value, depth } = stack.pop()!;
    if (++nodes > maxChars) return false;
    if (isPlainScalar(value)) continue;
    if (typeof value !== 'object' || depth >= 8) return false;
    const proto: unknown = Object.getPrototypeOf(value);
    if (!Array.isArray(value) && proto !== Object.prototype && proto !== null) return false;
    for (const key of Object.keys(value)) {
      const d = Object.getOwnPropertyDescriptor(value, key);
      if (d === undefined || d.get !== undefined || d.set !== undefined) return false;
      stack.push({ value: d.value as unknown, depth: depth + 1 });
    }
  }
  const json = JSON.stringify(v);
  return json.length <= maxChars;
}
