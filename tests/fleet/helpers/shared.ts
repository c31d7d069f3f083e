/**
 * Test support shared by the fleet tests (trading-path, submission-safety, fleet-rig): counting
 * rows, waiting for a count to settle, and tearing down services run against the shared Redis.
 */
import Redis from 'ioredis';
import type { Database } from '@cte/shared';
import type { RunningService, TestDatabase } from '@cte/testkit';

/** The `n` of a `SELECT COUNT(*) AS n ...` query. */
export async function countRows(db: Database, sql: string, params: string[] = []): Promise<number> {
  return Number((await db.query<{ n: number }>(sql, params))[0]!.n);
}

/** Polls until `sql`'s count stops changing for `quietMs`; returns it. */
export async function settleCount(db: Database, sql: string, quietMs: number, timeoutMs: number): Promise<number> {
  const deadline = Date.now() + timeoutMs;
  let last = -1;
  let since = Date.now();
  for (;;) {
    const n = await countRows(db, sql);
    if (n !== last) {
      last = n;
      since = Date.now();
    } else if (Date.now() - since >= quietMs) return n;
    if (Date.now() > deadline) throw new Error(`${sql} did not settle`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

/** Stops the services, deletes the bus namespace's keys from the shared Redis and drops the database. */
export async function tearDownOnSharedRedis(running: Iterable<RunningService>, busNamespace: string, tdb: TestDatabase | undefined): Promise<void> {
  await Promise.all([...running].map((s) => s.stop()));
  const redis = new Redis(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379');
  const keys = await redis.keys(`${busNamespace}*`);
  if (keys.length) await redis.del(...keys);
  redis.disconnect();
  await tdb?.drop();
}
