/**
 * Operator accounts (CONSOLE_OPERATORS / CONSOLE_OPERATORS_FILE): a JSON array of
 * `{ "name", "role", "password_hash" }`. Only hashes are accepted, in the form written by
 * `console-hash-password`: `scrypt$<N>$<r>$<p>$<salt base64>$<hash base64>`. Anything that looks
 * like a plain password is refused, so a deployment cannot run with one by mistake.
 */
import { isRole, type Role } from './roles';

export interface ScryptHash {
  n: number;
  r: number;
  p: number;
  salt: Buffer;
  hash: Buffer;
}

export interface Operator {
  name: string;
  role: Role;
  hash: ScryptHash;
}

export const OPERATOR_NAME_RE = /^[A-Za-z0-9][A-Za-z0-9._@-]{0,63}$/;
const B64 = /^[A-Za-z0-9+/]+={0,2}$/;

/** Parses `scrypt$N$r$p$salt$hash`; returns a message instead when it is not one. */
export function parseScryptHash(text: string): ScryptHash | string {
  const parts = text.split('$');
  if (parts.length !== 6 || parts[0] !== 'scrypt') return 'must be a scrypt hash scrypt$N$r$p$salt$hash (make one with console-hash-password)';
  const [, nText, rText, pText, saltText, hashText] = parts as [string, string, string, string, string, string];
  const n = Number(nText);
  const r = Number(rText);
  const p = Number(pText);
  // N a power of two from 2^14 (OWASP's floor for scrypt) to 2^20; r and p small.
  if (!Number.isInteger(n) || n < 16384 || n > 1_048_576 || (n & (n - 1)) !== 0) return 'scrypt N must be a power of two from 16384 to 1048576';
  if (!Number.isInteger(r) || r < 1 || r > 32) return 'scrypt r must be 1..32';
  if (!Number.isInteger(p) || p < 1 || p > 16) return 'scrypt p must be 1..16';
  if (!B64.test(saltText) || !B64.test(hashText)) return 'salt and hash must be base64';
  const salt = Buffer.from(saltText, 'base64');
  const hash = Buffer.from(hashText, 'base64');
  if (salt.length < 16) return 'salt must be at least 16 bytes';
  if (hash.length < 32 || hash.length > 128) return 'hash must be 32..128 bytes';
  return { n, r, p, salt, hash };
}

export function formatScryptHash(h: ScryptHash): string {
  return `scrypt$${h.n}$${h.r}$${h.p}$${h.salt.toString('base64')}$${h.hash.toString('base64')}`;
}

/** Validates the operator list; throws an Error whose message lists every problem (never a hash or password). */
export function parseOperators(raw: unknown): Operator[] {
  if (!Array.isArray(raw)) throw new Error('must be a JSON array of {name, role, password_hash}');
  if (raw.length === 0) throw new Error('must list at least one operator');
  if (raw.length > 1000) throw new Error('lists more than 1000 operators');
  const problems: string[] = [];
  const out: Operator[] = [];
  const seen = new Set<string>();
  raw.forEach((item: unknown, i) => {
    const at = `operator ${i + 1}`;
    if (typeof item !== 'object' || item === null || Array.isArray(item)) {
      problems.push(`${at}: must be an object`);
      return;
    }
    const o = item as Record<string, unknown>;
    const unknownKeys = Object.keys(o).filter((k) => !['name', 'role', 'password_hash'].includes(k));
    if (unknownKeys.length > 0) {
      // A `password` key is the mistake this guards against: say so without echoing it.
      problems.push(`${at}: unknown field(s) ${unknownKeys.slice(0, 5).map((k) => k.slice(0, 32)).join(', ')} (only name, role, password_hash; passwords are never accepted in plain)`);
      return;
    }
    if (typeof o.name !== 'string' || !OPERATOR_NAME_RE.test(o.name)) {
      problems.push(`${at}: name must match ${OPERATOR_NAME_RE}`);
      return;
    }
    const label = `operator ${o.name}`;
    if (seen.has(o.name)) problems.push(`${label}: listed twice`);
    seen.add(o.name);
    if (!isRole(o.role)) {
      problems.push(`${label}: role must be viewer, trader or admin`);
      return;
    }
    if (typeof o.password_hash !== 'string') {
      problems.push(`${label}: password_hash is required`);
      return;
    }
    const hash = parseScryptHash(o.password_hash);
    if (typeof hash === 'string') {
      problems.push(`${label}: password_hash ${hash}`);
      return;
    }
    out.push({ name: o.name, role: o.role, hash });
  });
  if (problems.length > 0) throw new Error(problems.join('; '));
  return out;
}
