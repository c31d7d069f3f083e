/**
 * The backend-neutral message bus. Services depend on `Bus` only; `RedisBus` is
 * the first implementation.
 *
 * Mapping onto Kafka (kafkajs), for a later `KafkaBus`:
 * - `append(stream)` → `producer.send({ topic: stream })`; the returned id is
 *   `<partition>-<offset>`. Stream trimming maps to the topic's retention.
 * - `consume(stream, group, consumer)` → a consumer with `groupId: group` and
 *   `clientId: consumer`, subscribed to topic `stream`; `startId` '0' / '$' map to
 *   `fromBeginning` true / false. "Ack after the handler resolves" is committing
 *   the offset after `eachMessage` resolves; a failed handler is retried in place
 *   (`deliveries` counted by the wrapper); the DLQ is the topic `<stream>.dlq`.
 *   `claimIdleMs` corresponds to the session timeout: a dead member's partitions
 *   are reassigned by a rebalance rather than claimed entry by entry.
 * - `publish` / `subscribe` → a short-retention topic read by a consumer with a
 *   unique, throwaway groupId and `fromBeginning: false`; a `*` pattern becomes a
 *   topic regex.
 * The envelope travels as the message value in both backends, so handlers see
 * the same `Envelope` whichever backend delivers it.
 */

/** What every message on the bus carries. */
export interface Envelope<T = unknown> {
  /** Schema version of `data` for this `type`. */
  v: number;
  type: string;
  trace_id: string;
  /** Epoch milliseconds when published. */
  ts: number;
  data: T;
}

/** What a producer hands to the bus; the bus fills in `ts`, and `v`/`trace_id` when absent. */
export interface OutgoingMessage<T = unknown> {
  type: string;
  data: T;
  /** Defaults to 1. */
  v?: number;
  /** Propagate the trace id of the message that caused this one; a fresh one is generated when absent. */
  trace_id?: string;
}

export type MessageHandler<T = unknown> = (env: Envelope<T>, channel: string) => void | Promise<void>;

export interface Subscription {
  unsubscribe(): Promise<void>;
}

export interface DeliveryMeta {
  /** Backend id of the entry (Redis stream id). */
  id: string;
  /** How many times this entry has been delivered to the group, this delivery included. */
  deliveries: number;
}

export type StreamHandler<T = unknown> = (env: Envelope<T>, meta: DeliveryMeta) => Promise<void>;

export interface ConsumeOptions {
  /** Entries read per round trip. Default 10. */
  batchSize?: number;
  /** How long one read waits for new entries. Default 5000. */
  blockMs?: number;
  /** An entry pending (unacked) longer than this is taken over by a live consumer of the group. Default 30000. */
  claimIdleMs?: number;
  /** Failed attempts after which an entry goes to `<stream>.dlq`. Default 5. */
  maxDeliveries?: number;
  /** How long after a failure this consumer retries its own pending entries. Default 1000. */
  retryDelayMs?: number;
  /** Where a group created by this call starts: '0' = everything retained, '$' = only new entries. Default '0'. */
  startId?: '0' | '$';
}

export interface Consumer {
  /**
   * Stops reading and waits for the in-flight handler. Entries already read
   * but not yet handled stay pending: this consumer name re-reads them on
   * restart, or another consumer claims them after `claimIdleMs`.
   */
  stop(): Promise<void>;
}

export interface Bus {
  /** Ephemeral pub/sub: delivered to whoever is subscribed right now, else lost. */
  publish<T>(channel: string, msg: OutgoingMessage<T>): Promise<void>;
  /** `pattern` may contain `*` (glob, as Redis PSUBSCRIBE). Malformed messages are logged and dropped. */
  subscribe<T>(pattern: string, handler: MessageHandler<T>): Promise<Subscription>;
  /** Durable stream append; returns the entry id. */
  append<T>(stream: string, msg: OutgoingMessage<T>): Promise<string>;
  /**
   * Consumer-group read. An entry is acked only after `handler` resolves; a
   * rejected handler leaves it pending for retry, and after `maxDeliveries`
   * deliveries it moves to `<stream>.dlq`. Malformed entries go to the DLQ at once.
   * Resolves once the group exists and the consumer is running.
   */
  consume<T>(
    stream: string,
    group: string,
    consumer: string,
    handler: StreamHandler<T>,
    opts?: ConsumeOptions,
  ): Promise<Consumer>;
  /** For readiness: resolves when the backend answers, throws otherwise. */
  ping(): Promise<void>;
  /** Stops every consumer (draining in-flight handlers), drops subscriptions, closes connections. */
  close(): Promise<void>;
}

export const DLQ_SUFFIX = '.dlq';

export function dlqName(stream: string): string {
  return stream + DLQ_SUFFIX;
}
