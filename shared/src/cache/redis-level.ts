/**
 * The Redis side (L2) of the multi-level cache: key layout, the two Lua
 * scripts, the dependency walk and the invalidation channel. Every method may
 * throw; MultiLevelCache turns failures into degraded (L1-only) operation.
 *
 * Layout under the prefix P:
 *   P v:<key>        the serialized value (string, PX ttl)
 *   P tag:<tag>      set of keys carrying the tag (TTL >= its longest-lived member)
 *   P dep:<key>      set of keys that declared dependsOn <key> (same TTL rule)
 *   P invalidate     pub/sub channel of invalidations
 */
import { createHash } from 'node:crypto';
import Redis, { type RedisOptions } from 'ioredis';
import type { Logger } from '../logger';

export interface RedisConnectionSettings {
  connectTimeoutMs: number;
  commandTimeoutMs: number;
  maxRetriesPerRequest: number;
}

/** The message broadcast on `<prefix>invalidate`. */
export interface InvalidationMessage {
  /** Origin: the sending instance, so it can ignore its own messages. */
  o: string;
  /** Keys to drop (already expanded through tags and dependencies by the sender). */
  k: string[];
  /** Tags invalidated; receivers also drop what their own L1 index has under them. */
  t: string[];
  /** Cascade: receivers also drop their local dependents of `k` (false for a plain overwrite by set). */
  c: boolean;
}

export function isInvalidationMessage(m: unknown): m is InvalidationMessage {
  if (typeof m !== 'object' || m === null) return false;
  const r = m as Record<string, unknown>;
  const strings = (a: unknown): boolean => Array.isArray(a) && a.every((x) => typeof x === 'string');
  return typeof r.o === 'string' && strings(r.k) && strings(r.t) && typeof r.c === 'boolean';
}

class LuaScript {
  readonly sha: string;
  constructor(readonly source: string) {
    this.sha = createHash('sha1').update(source).digest('hex');
  }
}

/**
 * KEYS[1] value key, KEYS[2..] tag and dependency sets; ARGV payload, ttl ms, member.
 * Sets only ever get longer-lived: a member must stay findable as long as it lives.
 */
const SET_SCRIPT = new LuaScript(`
local ttl = tonumber(ARGV[2])
redis.call('SET', KEYS[1], ARGV[1], 'PX', ttl)
for i = 2, #KEYS do
  redis.call('SADD', KEYS[i], ARGV[3])
  if redis.call('PTTL', KEYS[i]) < ttl then redis.call('PEXPIRE', KEYS[i], ttl) end
end
return 1
`);

/** The value and its remaining TTL in one round trip, so L1 never outlives L2. */
const GET_SCRIPT = new LuaScript(`
local v = redis.call('GET', KEYS[1])
if not v then return nil end
return {v, redis.call('PTTL', KEYS[1])}
`);

const DEL_CHUNK = 500;

export class RedisLevel {
  readonly cmd: Redis;
  readonly sub: Redis;
  readonly channel: string;
  private readonly ownsCmd: boolean;

  constructor(
    redis: Redis | string,
    private readonly prefix: string,
    role: string,
    private readonly log: Logger,
    settings: RedisConnectionSettings,
  ) {
    this.channel = `${prefix}invalidate`;
    const common: RedisOptions = {
      lazyConnect: true,
      // Reply shapes (script arrays, SMEMBERS) are read as RESP2.
      protocol: 2,
      connectTimeout: settings.connectTimeoutMs,
      maxRetriesPerRequest: settings.maxRetriesPerRequest,
      retryStrategy: (times) => Math.min(times * 200, 2000),
      // disconnect() while reconnecting arms a timer for the already-dead socket; keep it short so exit is prompt.
      disconnectTimeout: 500,
    };
    const subOptions: RedisOptions = {
      ...common,
      connectionName: connectionName(role, 'sub'),
      // The cache re-subscribes itself on 'ready', then clears L1 (invalidations may have been missed).
      autoResubscribe: false,
      commandTimeout: settings.commandTimeoutMs,
    };
    if (typeof redis === 'string') {
      this.ownsCmd = true;
      this.cmd = new Redis(redis, {
        ...common,
        connectionName: connectionName(role, 'cmd'),
        commandTimeout: settings.commandTimeoutMs,
        // Commands issued in the same tick go out in one write.
        enableAutoPipelining: true,
      });
      this.watch(this.cmd, 'cmd');
      this.sub = new Redis(redis, subOptions);
    } else {
      // The caller's connection stays theirs: no listeners added, not closed by close().
      this.ownsCmd = false;
      this.cmd = redis;
      this.sub = redis.duplicate(subOptions);
    }
    this.watch(this.sub, 'sub');
  }

  valueKey(key: string): string {
    return `${this.prefix}v:${key}`;
  }
  tagKey(tag: string): string {
    return `${this.prefix}tag:${tag}`;
  }
  depKey(key: string): string {
    return `${this.prefix}dep:${key}`;
  }

  /** True when the command connection is up (commands would not wait for a reconnect). */
  connected(): boolean {
    return this.cmd.status === 'ready';
  }

  async get(key: string): Promise<{ text: string; pttl: number } | undefined> {
    const reply = await this.script(GET_SCRIPT, [this.valueKey(key)], []);
    if (reply === null || reply === undefined) return undefined;
    if (!Array.isArray(reply) || typeof reply[0] !== 'string' || typeof reply[1] !== 'number') {
      throw new Error('unexpected reply from the cache GET script');
    }
    return { text: reply[0], pttl: reply[1] };
  }

  async set(key: string, text: string, ttlMs: number, tags: readonly string[], dependsOn: readonly string[]): Promise<void> {
    const keys = [this.valueKey(key), ...tags.map((t) => this.tagKey(t)), ...dependsOn.map((d) => this.depKey(d))];
    await this.script(SET_SCRIPT, keys, [text, ttlMs, key]);
  }

  async tagMembers(tag: string): Promise<string[]> {
    return this.cmd.smembers(this.tagKey(tag));
  }

  /** For each key, the keys that declared a dependency on it (one round trip). */
  async dependents(keys: readonly string[]): Promise<string[][]> {
    const pipe = this.cmd.pipeline();
    for (const k of keys) pipe.smembers(this.depKey(k));
    return ((await pipe.exec()) ?? []).map(([err, members]) => {
      if (err) throw err;
      return Array.isArray(members) ? members.filter((m): m is string => typeof m === 'string') : [];
    });
  }

  /** Deletes the values and dependency sets of `keys` and the sets of `tags`. */
  async remove(keys: readonly string[], tags: readonly string[]): Promise<void> {
    const all = [...keys.flatMap((k) => [this.valueKey(k), this.depKey(k)]), ...tags.map((t) => this.tagKey(t))];
    if (all.length === 0) return;
    const pipe = this.cmd.pipeline();
    for (let i = 0; i < all.length; i += DEL_CHUNK) pipe.del(...all.slice(i, i + DEL_CHUNK));
    for (const [err] of (await pipe.exec()) ?? []) if (err) throw err;
  }

  async publish(msg: InvalidationMessage): Promise<void> {
    await this.cmd.publish(this.channel, JSON.stringify(msg));
  }

  async close(): Promise<void> {
    await Promise.all([shutdown(this.sub), this.ownsCmd ? shutdown(this.cmd) : undefined]);
  }

  private async script(s: LuaScript, keys: readonly string[], args: readonly (string | number)[]): Promise<unknown> {
    try {
      return await this.cmd.evalsha(s.sha, keys.length, ...keys, ...args);
    } catch (err) {
      // First use on this server (or after SCRIPT FLUSH / a failover): send the body once.
      if (!(err instanceof Error) || !err.message.startsWith('NOSCRIPT')) throw err;
      return this.cmd.eval(s.source, keys.length, ...keys, ...args);
    }
  }

  private watch(conn: Redis, role: string): void {
    let lastError = '';
    conn.on('error', (err: Error) => {
      // Reconnect attempts repeat the same error; log each distinct one once per outage.
      if (err.message === lastError) return;
      lastError = err.message;
      this.log.warn({ err, role }, 'cache redis connection error');
    });
    conn.on('ready', () => {
      lastError = '';
    });
  }
}

function connectionName(role: string, kind: string): string {
  return `cte-cache-${role}-${kind}`.replace(/[^\w:.-]/g, '_');
}

async function shutdown(conn: Redis): Promise<void> {
  if (conn.status === 'ready') {
    try {
      await conn.quit();
      return;
    } catch {
      // fall through: drop the socket
    }
  }
  conn.disconnect();
}
