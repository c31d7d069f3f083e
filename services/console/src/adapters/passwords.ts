/** scrypt password hashing (node:crypto) for operator accounts. */
import { randomBytes, scrypt, timingSafeEqual, type ScryptOptions } from 'node:crypto';
import type { Operator, ScryptHash } from '../engine/operators';

function derive(password: string, salt: Buffer, keylen: number, o: ScryptOptions): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    scrypt(password.normalize('NFC'), salt, keylen, o, (err, key) => (err ? reject(err) : resolve(key)));
  });
}

const options = (h: Pick<ScryptHash, 'n' | 'r' | 'p'>): ScryptOptions => ({ N: h.n, r: h.r, p: h.p, maxmem: 256 * h.n * h.r + 1024 * 1024 });

export const DEFAULT_COST = { n: 32768, r: 8, p: 1 } as const;

export async function hashPassword(password: string, cost: { n: number; r: number; p: number } = DEFAULT_COST): Promise<ScryptHash> {
  const salt = randomBytes(16);
  const hash = await derive(password, salt, 32, options(cost));
  return { ...cost, salt, hash };
}

export async function verifyPassword(password: string, h: ScryptHash): Promise<boolean> {
  const key = await derive(password, h.salt, h.hash.length, options(h));
  return timingSafeEqual(key, h.hash);
}

/**
 * Checks a name and password against the accounts. An unknown name costs the same scrypt as a
 * known one, so response times do not tell which names exist.
 */
export class Authenticator {
  private readonly byName: Map<string, Operator>;
  private decoy: Promise<ScryptHash> | undefined;

  constructor(operators: readonly Operator[]) {
    this.byName = new Map(operators.map((o) => [o.name, o]));
  }

  async authenticate(name: string, password: string): Promise<Operator | undefined> {
    const op = this.byName.get(name);
    if (!op) {
      this.decoy ??= hashPassword('decoy', DEFAULT_COST);
      await verifyPassword(password, await this.decoy);
      return undefined;
    }
    return (await verifyPassword(password, op.hash)) ? op : undefined;
  }

  /** The current account of a session's operator (removed or re-roled accounts take effect at once). */
  get(name: string): Operator | undefined {
    return this.byName.get(name);
  }
}
