/** The write-behind queue against a real MariaDB that is made slow (table lock) or unreachable. */
import mysql from 'mysql2/promise';
import { createLogger, createPool, type Bar } from '@cte/shared';
import { createTestDatabase, type TestDatabase } from '@cte/testkit';
import { BarRepository } from '../adapters/bar-repository';
import { BarWriter } from '../adapters/bar-writer';
import { waitFor } from './helpers/service-process';

const logger = createLogger({ service: 'test', level: 'silent' });
let tdb: TestDatabase;

beforeAll(async () => {
  tdb = await createTestDatabase(logger);
});
afterAll(async () => {
  await tdb?.drop();
});

function bars(n: number, symbol = 'BTC/USDT', start = Date.UTC(2024, 0, 1)): Bar[] {
  return Array.from({ length: n }, (_, i) => ({
    exchange: 'binance',
    symbol,
    timeframe: '1m' as const,
    openTime: start + i * 60_000,
    closeTime: start + (i + 1) * 60_000,
    open: 100 + i,
    high: 101 + i,
    low: 99 + i,
    close: 100.5 + i,
    volume: 0.000000000000000001 + i,
    trades: 3,
  }));
}

const count = async (symbol: string) =>
  Number((await tdb.db.query<{ n: number }>('SELECT COUNT(*) AS n FROM crypto_prices WHERE symbol = ?', [symbol]))[0]!.n);

it('writes in batches, upserts idempotently and keeps DECIMAL exact', async () => {
  const writer = new BarWriter({ store: new BarRepository(tdb.db), logger, batchSize: 100, flushMs: 20, maxQueue: 1000 });
  writer.start();
  for (const b of bars(250, 'ETH/USDT')) writer.enqueue(b);
  for (const b of bars(250, 'ETH/USDT')) writer.enqueue({ ...b, close: b.close + 1 });
  await writer.drain(5000);
  expect(await count('ETH/USDT')).toBe(250);
  const [row] = await tdb.db.query<{ close: string; volume: string }>(
    "SELECT close, volume FROM crypto_prices WHERE symbol = 'ETH/USDT' ORDER BY open_time LIMIT 1",
  );
  expect(row!.close).toBe('101.500000000000000000');
  expect(row!.volume).toBe('0.000000000000000001');
});

it('applies backpressure and reports lag while MySQL is blocked, then loses nothing', async () => {
  const locker = await mysql.createConnection(tdb.url);
  await locker.query('LOCK TABLES crypto_prices WRITE');
  const writer = new BarWriter({ store: new BarRepository(tdb.db), logger, batchSize: 50, flushMs: 20, maxQueue: 100 });
  writer.start();
  const input = bars(300, 'SOL/USDT');
  const accepted: boolean[] = input.map((b) => writer.enqueue(b));
  // Every bar is kept, but producers are told to slow down past the bound.
  expect(writer.pending()).toBe(300);
  expect(accepted.slice(0, 99).every(Boolean)).toBe(true);
  expect(accepted.slice(100).some(Boolean)).toBe(false);
  let writable = false;
  const waiting = writer.whenWritable().then(() => (writable = true));
  await new Promise((r) => setTimeout(r, 300));
  expect(writable).toBe(false);
  expect(writer.lagMs()).toBeGreaterThanOrEqual(250);
  // (No count here: reading a WRITE-locked table would wait for the lock too.)

  await locker.query('UNLOCK TABLES');
  await locker.end();
  await waiting;
  await writer.drain(10_000);
  expect(await count('SOL/USDT')).toBe(300);
  expect(writer.lagMs()).toBe(0);
});

it('retries while MySQL is unreachable and drain() fails loudly at the deadline instead of dropping bars', async () => {
  const down = createPool({ url: 'mysql://root@127.0.0.1:1/nowhere', logger, connectTimeoutMs: 200 });
  const failures: Error[] = [];
  const writer = new BarWriter({ store: new BarRepository(down), logger, batchSize: 10, flushMs: 20, maxQueue: 100, onWriteFailed: (e) => failures.push(e) });
  writer.start();
  for (const b of bars(5, 'ADA/USDT')) writer.enqueue(b);
  await waitFor('a failed write', () => (failures.length > 0 ? true : undefined));
  await expect(writer.drain(300)).rejects.toThrow(/5 closed bar\(s\) not persisted/);
  expect(writer.pending()).toBe(5);
  await down.close();
});
