import type Redis from 'ioredis';
import type { Logger } from '../logger';
import { decodeEnvelope } from './envelope';
import { dlqName, type ConsumeOptions, type Consumer, type StreamHandler } from './types';

/** The stream entry field holding the JSON envelope. */
export const ENVELOPE_FIELD = 'envelope';

export const CONSUME_DEFAULTS: Required<ConsumeOptions> = {
  batchSize: 10,
  blockMs: 5000,
  claimIdleMs: 30000,
  maxDeliveries: 5,
  retryDelayMs: 1000,
  startId: '0',
};

interface RawEntry {
  id: string;
  /** null when the entry was trimmed/deleted while pending. */
  fields: string[] | null;
}

export interface RedisStreamConsumerParams {
  /** Dedicated connection (XREADGROUP BLOCK ties it up); owned and closed by the consumer. */
  conn: Redis;
  /** Shared command connection, used only to CLIENT UNBLOCK `conn` on stop. */
  control: Redis;
  logger: Logger;
  stream: string;
  group: string;
  name: string;
  handler: StreamHandler<unknown>;
  opts: Required<ConsumeOptions>;
}

/**
 * One consumer of a Redis consumer group. Each loop turn does one of:
 * reclaim entries idle on any consumer (XAUTOCLAIM) → retry this consumer's
 * own pending entries (history read) → block for new entries. Entries are
 * handled one at a time, so at most one handler is in flight.
 */
export class RedisStreamConsumer implements Consumer {
  private readonly p: RedisStreamConsumerParams;
  private readonly log: Logger;
  private readonly claimEveryMs: number;
  private loop: Promise<void> | undefined;
  private stopping = false;
  private blocked = false;
  private clientId: string | undefined;
  private wake: (() => void) | undefined;
  private nextClaimAt = 0;
  private claimCursor = '0-0';
  // Starts true so a restarted consumer with the same name resumes its own pending entries.
  private ownPending = true;
  private retryAt = 0;

  constructor(params: RedisStreamConsumerParams) {
    this.p = params;
    this.log = params.logger.child({ stream: params.stream, group: params.group, consumer: params.name });
    this.claimEveryMs = Math.max(50, Math.floor(params.opts.claimIdleMs / 2));
    params.conn.on('close', () => {
      this.clientId = undefined;
    });
  }

  /** Creates the group if needed, then starts the loop in the background. */
  async start(): Promise<void> {
    await this.ensureGroup(this.p.opts.startId);
    this.loop = this.run();
  }

  async stop(): Promise<void> {
    if (!this.stopping) {
      this.stopping = true;
      this.wake?.();
      await this.unblock();
    }
    await this.loop;
    this.p.conn.disconnect();
  }

  private async run(): Promise<void> {
    let backoffMs = 0;
    while (!this.stopping) {
      try {
        await this.turn();
        backoffMs = 0;
      } catch (err) {
        if (this.stopping) break;
        backoffMs = Math.min(backoffMs ? backoffMs * 2 : 100, 5000);
        this.log.error({ err, retryInMs: backoffMs }, 'stream consumer failed; retrying');
        await this.sleep(backoffMs);
        if (errorMessage(err).includes('NOGROUP')) await this.ensureGroup('0').catch(() => undefined);
      }
    }
  }

  private async turn(): Promise<void> {
    const now = Date.now();
    if (now >= this.nextClaimAt) {
      const claimed = await this.autoclaim();
      this.nextClaimAt = this.claimCursor === '0-0' ? now + this.claimEveryMs : 0;
      if (claimed.length > 0) {
        await this.handleBatch(claimed, await this.pendingCounts(claimed));
        return;
      }
    }
    if (this.ownPending && now >= this.retryAt) {
      this.ownPending = false;
      const mine = await this.read('0');
      const failed = mine.length ? await this.handleBatch(mine, await this.pendingCounts(mine)) : 0;
      if (failed === 0 && mine.length === this.p.opts.batchSize) this.ownPending = true;
      return;
    }
    let blockMs = Math.min(this.p.opts.blockMs, this.nextClaimAt - now);
    if (this.ownPending) blockMs = Math.min(blockMs, this.retryAt - now);
    const fresh = await this.read('>', Math.max(1, blockMs));
    await this.handleBatch(fresh, () => 1);
  }

  /** Returns how many entries failed; those stay pending and are retried after retryDelayMs. */
  private async handleBatch(entries: RawEntry[], deliveries: (id: string) => number): Promise<number> {
    let failed = 0;
    for (const entry of entries) {
      if (this.stopping) break;
      const n = deliveries(entry.id);
      if (n === 0) continue; // no longer in our PEL: another consumer took it over
      if (!(await this.handleEntry(entry, n))) failed++;
    }
    if (failed > 0) {
      this.ownPending = true;
      this.retryAt = Date.now() + this.p.opts.retryDelayMs;
    }
    return failed;
  }

  private async handleEntry(entry: RawEntry, deliveries: number): Promise<boolean> {
    const { stream, group, opts } = this.p;
    if (entry.fields === null) {
      this.log.warn({ id: entry.id }, 'pending entry was deleted from the stream before it was handled');
      await this.p.conn.call('XACK', stream, group, entry.id);
      return true;
    }
    const decoded = decodeEnvelope(fieldValue(entry.fields, ENVELOPE_FIELD));
    if (!decoded.ok) {
      await this.deadLetter(entry.id, entry.fields, deliveries, `malformed envelope: ${decoded.reason}`);
      return true;
    }
    const env = decoded.envelope;
    // Exceeded without a recorded failure: consumers died while handling it (a poison message).
    if (deliveries > opts.maxDeliveries) {
      await this.deadLetter(entry.id, entry.fields, deliveries, 'max deliveries exceeded', env.trace_id);
      return true;
    }
    try {
      await this.p.handler(env, { id: entry.id, deliveries });
    } catch (err) {
      if (deliveries >= opts.maxDeliveries) {
        await this.deadLetter(entry.id, entry.fields, deliveries, `handler failed: ${errorMessage(err)}`, env.trace_id);
        return true;
      }
      this.log.warn({ err, id: entry.id, deliveries, trace_id: env.trace_id }, 'stream handler failed; will retry');
      return false;
    }
    await this.p.conn.call('XACK', stream, group, entry.id);
    return true;
  }

  /** Copies the entry (original fields plus dlq_* metadata) to `<stream>.dlq` and acks it, atomically. */
  private async deadLetter(id: string, fields: string[], deliveries: number, reason: string, traceId?: string): Promise<void> {
    const { stream, group, name } = this.p;
    const meta = ['dlq_stream', stream, 'dlq_id', id, 'dlq_group', group, 'dlq_consumer', name,
      'dlq_deliveries', String(deliveries), 'dlq_reason', reason, 'dlq_at', String(Date.now())];
    const results = await this.p.conn
      .multi()
      .call('XADD', dlqName(stream), '*', ...fields, ...meta)
      .call('XACK', stream, group, id)
      .exec();
    const err = results?.find(([e]) => e)?.[0];
    if (!results || err) throw err ?? new Error('dead-letter transaction aborted');
    this.log.error({ id, deliveries, reason, trace_id: traceId, dlq: dlqName(stream) }, 'message moved to dead-letter stream');
  }

  private async read(id: '0' | '>', blockMs?: number): Promise<RawEntry[]> {
    const { conn, group, name, stream, opts } = this.p;
    const args: (string | number)[] = ['GROUP', group, name, 'COUNT', opts.batchSize];
    if (blockMs !== undefined) {
      if (this.clientId === undefined) this.clientId = String(await conn.client('ID'));
      if (this.stopping) return [];
      args.push('BLOCK', blockMs);
    }
    args.push('STREAMS', stream, id);
    this.blocked = blockMs !== undefined;
    try {
      return parseReadReply(await conn.call('XREADGROUP', ...args));
    } finally {
      this.blocked = false;
    }
  }

  private async autoclaim(): Promise<RawEntry[]> {
    const { conn, stream, group, name, opts } = this.p;
    const reply = await conn.call('XAUTOCLAIM', stream, group, name, opts.claimIdleMs, this.claimCursor, 'COUNT', opts.batchSize);
    if (!Array.isArray(reply) || typeof reply[0] !== 'string') throw new Error('unexpected XAUTOCLAIM reply');
    this.claimCursor = reply[0];
    const deleted: unknown = reply[2];
    if (Array.isArray(deleted) && deleted.length > 0) {
      this.log.warn({ ids: deleted }, 'pending entries were deleted from the stream before they were handled');
    }
    return parseEntries(reply[1]);
  }

  /** Delivery counts from the PEL; 0 for entries not (or no longer) pending on this consumer. */
  private async pendingCounts(entries: RawEntry[]): Promise<(id: string) => number> {
    const { conn, stream, group, name } = this.p;
    const pipeline = conn.pipeline();
    for (const e of entries) pipeline.call('XPENDING', stream, group, e.id, e.id, 1, name);
    const results = (await pipeline.exec()) ?? [];
    const counts = new Map<string, number>();
    for (const [err, row] of results) {
      if (err) throw err;
      const first: unknown = Array.isArray(row) ? row[0] : undefined;
      if (Array.isArray(first) && typeof first[0] === 'string') counts.set(first[0], Number(first[3]));
    }
    return (id) => counts.get(id) ?? 0;
  }

  private async ensureGroup(startId: string): Promise<void> {
    try {
      await this.p.conn.call('XGROUP', 'CREATE', this.p.stream, this.p.group, startId, 'MKSTREAM');
    } catch (err) {
      if (!errorMessage(err).includes('BUSYGROUP')) throw err;
    }
  }

  /** Makes a blocked XREADGROUP return at once (as if it timed out) so stop() need not wait blockMs. */
  private async unblock(): Promise<void> {
    for (let attempt = 0; attempt < 50 && this.blocked && this.clientId !== undefined; attempt++) {
      try {
        // 0 means not blocked yet: the read is still on its way to Redis.
        if (Number(await this.p.control.client('UNBLOCK', this.clientId)) === 1) return;
      } catch {
        return;
      }
      await new Promise((r) => setTimeout(r, 10));
    }
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const done = (): void => {
        clearTimeout(timer);
        this.wake = undefined;
        resolve();
      };
      const timer = setTimeout(done, ms);
      this.wake = done;
    });
  }
}

function parseReadReply(reply: unknown): RawEntry[] {
  if (reply === null) return [];
  if (!Array.isArray(reply)) throw new Error('unexpected XREADGROUP reply');
  const out: RawEntry[] = [];
  for (const streamReply of reply) {
    if (!Array.isArray(streamReply)) throw new Error('unexpected XREADGROUP reply');
    out.push(...parseEntries(streamReply[1]));
  }
  return out;
}

function parseEntries(list: unknown): RawEntry[] {
  if (!Array.isArray(list)) throw new Error('unexpected stream entries reply');
  return list.map((item: unknown) => {
    if (!Array.isArray(item) || typeof item[0] !== 'string') throw new Error('unexpected stream entry');
    const fields: unknown = item[1];
    if (fields === null) return { id: item[0], fields: null };
    if (!Array.isArray(fields)) throw new Error('unexpected stream entry fields');
    return { id: item[0], fields: fields.map(String) };
  });
}

function fieldValue(fields: string[], name: string): string | undefined {
  for (let i = 0; i + 1 < fields.length; i += 2) if (fields[i] === name) return fields[i + 1];
  return undefined;
}

function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
