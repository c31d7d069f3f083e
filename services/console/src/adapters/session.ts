/**
 * Sessions: a short-lived HS256 JWT (jose) in an HttpOnly, SameSite=Strict cookie. The token also
 * carries the session's CSRF token, which the page learns from GET /dashboard/api/session and sends
 * back in a header on every write (the cookie alone never authorises a write).
 */
import { randomBytes, timingSafeEqual } from 'node:crypto';
import { errors as joseErrors, jwtVerify, SignJWT } from 'jose';
import { isRole, type Role } from '../engine/roles';

export const SESSION_COOKIE = 'cte_console_session';
export const CSRF_HEADER = 'x-csrf-token';
const ISSUER = 'cte-console';
const AUDIENCE = 'cte-console';

export interface Session {
  name: string;
  role: Role;
  csrf: string;
  /** Epoch seconds. */
  exp: number;
}

export class SessionKeys {
  private readonly key: Uint8Array;

  constructor(
    secret: string,
    private readonly ttlSeconds: number,
    private readonly secureCookie: boolean,
  ) {
    this.key = new TextEncoder().encode(secret);
  }

  async issue(name: string, role: Role): Promise<{ token: string; session: Session }> {
    const csrf = randomBytes(24).toString('base64url');
    const now = Math.floor(Date.now() / 1000);
    const exp = now + this.ttlSeconds;
    const token = await new SignJWT({ role, csrf })
      .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
      .setSubject(name)
      .setIssuer(ISSUER)
      .setAudience(AUDIENCE)
      .setIssuedAt(now)
      .setExpirationTime(exp)
      .sign(this.key);
    return { token, session: { name, role, csrf, exp } };
  }

  /** The session of a token, or undefined when it is missing, forged, expired or malformed. */
  async verify(token: string | undefined): Promise<Session | undefined> {
    if (token === undefined || token.length === 0 || token.length > 4096) return undefined;
    try {
      const { payload } = await jwtVerify(token, this.key, { algorithms: ['HS256'], issuer: ISSUER, audience: AUDIENCE });
      const { sub, role, csrf, exp } = payload;
      if (typeof sub !== 'string' || !isRole(role) || typeof csrf !== 'string' || typeof exp !== 'number') return undefined;
      return { name: sub, role, csrf, exp };
    } catch (err) {
      if (err instanceof joseErrors.JOSEError) return undefined;
      throw err;
    }
  }

  cookie(token: string): string {
    return `${SESSION_COOKIE}=${token}; Path=/dashboard; Max-Age=${this.ttlSeconds}; HttpOnly; SameSite=Strict${this.secureCookie ? '; Secure' : ''}`;
  }

  clearCookie(): string {
    return `${SESSION_COOKIE}=; Path=/dashboard; Max-Age=0; HttpOnly; SameSite=Strict${this.secureCookie ? '; Secure' : ''}`;
  }
}

export function csrfMatches(session: Session, header: string | undefined): boolean {
  if (header === undefined) return false;
  const a = Buffer.from(session.csrf);
  const b = Buffer.from(header);
  return a.length === b.length && timingSafeEqual(a, b);
}

/** The value of one cookie from a Cookie header. */
export function readCookie(header: string | undefined, name: string): string | undefined {
  if (!header) return undefined;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq < 0) continue;
    if (part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return undefined;
}
