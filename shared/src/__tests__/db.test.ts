/**
 * The MySQL kit against the real MariaDB (never mocked). Every database this
 * file touches is a throw-away `cte_test_<random>`, dropped in afterAll.
 */
import * as fs from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { Dec } from '../domain/decimal';
import { ConflictError, FailedPreconditionError, InvalidArgumentError, UnavailableError } from '../errors';
import { createLogger } from '../logger';
import {
  batchInsert,
  batchUpsert,
  migrationChecksum,
  createPool,
  DEFAULT_MIGRATIONS_DIR,
  isDuplicateKeyError,
  migrate,
  withDatabase,
  type Database,
} from '../db';
import { createTestDatabase, dropTestDatabase, randomTestDatabaseUrl, type TestDatabase } from '@cte/testkit';

const BASE_URL = process.env.MYSQL_URL ?? 'mysql://root@127.0.0.1:3306/crypto_trading';
const logger = createLogger({ service: 'db-test', level: 'silent' });
// Every migration in shared/migrations, read from the folder so new migrations need no test edit.
const ALL = fs
  .readdirSync(DEFAULT_MIGRATIONS_DIR)
  .filter((f) => /^\d{3}_[\w-]+\.sql$/.test(f))
  .map((f) => f.replace(/\.sql$/, ''))
  .sort();

const toDrop: string[] = [];
const pools: Database[] = [];
const tmpDirs: string[] = [];

function freshUrl(): string {
  const url = randomTestDatabaseUrl(BASE_URL);
  toDrop.push(url);
  return url;
}

function pool(url: string): Database {
  const db = createPool({ url, logger, connectionLimit: 4 });
  pools.push(db);
  return db;
}

async function tmpMigrations(files: Record<string, string>): Promise<string> {
  const dir = await mkdtemp(path.join(tmpdir(), 'cte-migrations-'));
  tmpDirs.push(dir);
  for (const [name, sql] of Object.entries(files)) await writeFile(path.join(dir, name), sql);
  return dir;
}

async function tableNames(db: Database): Promise<string[]> {
  const rows = await db.query<{ t: string }>(
    'SELECT TABLE_NAME AS t FROM information_schema.TABLES WHERE TABLE_SCHEMA = DATABASE() ORDER BY TABLE_NAME',
  );
  return rows.map((r) => r.t);
}

afterAll(async () => {
  await Promise.all(pools.map((p) => p.close()));
  await Promise.all(toDrop.map((u) => dropTestDatabase(u)));
  await Promise.all(tmpDirs.map((d) => rm(d, { recursive: true, force: true })));
});

describe('migrate', () => {
  it('creates the database, applies the migrations in order and records them', async () => {
    const url = freshUrl();
    const res = await migrate({ url, logger });
    expect(res).toEqual({ applied: ALL, skipped: 0 });

    const db = pool(url);
    const recorded = await db.query<{ version: number; name: string; checksum: string; applied_at: number }>(
      'SELECT version, name, checksum, applied_at FROM schema_migrations ORDER BY version',
    );
    expect(recorded.map((r) => [r.version, r.name])).toEqual(ALL.map((id) => [Number(id.slice(0, 3)), id.slice(4)]));
    expect(recorded.slice(0, 2).map((r) => r.name)).toEqual(['crypto_prices', 'price_monitors']);
    const onDisk = await readFile(path.join(DEFAULT_MIGRATIONS_DIR, '001_crypto_prices.sql'), 'utf8');
    expect(recorded[0]!.checksum).toBe(migrationChecksum(onDisk));
    expect(recorded[0]!.checksum).toMatch(/^[0-9a-f]{64}$/);
    expect(typeof recorded[0]!.applied_at).toBe('number');

    expect(await tableNames(db)).toEqual(expect.arrayContaining(['crypto_prices', 'price_alerts', 'price_monitors', 'schema_migrations']));
    const [schema] = await db.query<{ cs: string }>(
      'SELECT DEFAULT_CHARACTER_SET_NAME AS cs FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = DATABASE()',
    );
    expect(schema!.cs).toBe('utf8mb4');
  });

  it('applies nothing on a second run', async () => {
    const url = freshUrl();
    await migrate({ url, logger });
    expect(await migrate({ url, logger })).toEqual({ applied: [], skipped: ALL.length });
    const [row] = await pool(url).query<{ n: number }>('SELECT COUNT(*) AS n FROM schema_migrations');
    expect(Number(row!.n)).toBe(ALL.length);
  });

  it('two concurrent runs on a fresh database both succeed and apply each migration exactly once', async () => {
    const url = freshUrl();
    const results = await Promise.all([migrate({ url, logger }), migrate({ url, logger })]);
    expect(results.flatMap((r) => r.applied).sort()).toEqual(ALL);
    expect(results.map((r) => r.skipped).sort()).toEqual([0, ALL.length]);
    const rows = await pool(url).query<{ version: number }>('SELECT version FROM schema_migrations ORDER BY version');
    expect(rows.map((r) => r.version)).toEqual(ALL.map((id) => Number(id.slice(0, 3))));
    expect(ALL.length).toBeGreaterThanOrEqual(2);
  });

  it('refuses to run when an applied file changed, naming the file, and applies nothing after it', async () => {
    const url = freshUrl();
    const dir = await tmpMigrations({ '001_first.sql': 'CREATE TABLE IF NOT EXISTS first_t (id INT PRIMARY KEY);\n' });
    expect((await migrate({ url, logger, dir })).applied).toEqual(['001_first']);

    await writeFile(path.join(dir, '001_first.sql'), 'CREATE TABLE IF NOT EXISTS first_t (id BIGINT PRIMARY KEY);\n');
    await writeFile(path.join(dir, '002_second.sql'), 'CREATE TABLE second_t (id INT PRIMARY KEY);\n');
    const err = await migrate({ url, logger, dir }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(FailedPreconditionError);
    expect((err as Error).message).toContain('001_first.sql');
    expect(await tableNames(pool(url))).not.toContain('second_t');
  });

  it('runs multi-statement files; a failing file is named, not recorded, and stops the run', async () => {
    const url = freshUrl();
    const dir = await tmpMigrations({
      '001_multi.sql': `-- two tables and a row
CREATE TABLE a_t (id INT PRIMARY KEY);
CREATE TABLE b_t (id INT PRIMARY KEY);
INSERT INTO a_t VALUES (1);
`,
      '002_broken.sql': 'CREATE TABLE c_t (id INT PRIMARY KEY);\nTHIS IS NOT SQL;\n',
      '003_never.sql': 'CREATE TABLE d_t (id INT PRIMARY KEY);',
      'notes.txt': 'ignored',
    });
    const err = await migrate({ url, logger, dir }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(FailedPreconditionError);
    expect((err as Error).message).toContain('002_broken.sql');
    const db = pool(url);
    expect(await tableNames(db)).toEqual(['a_t', 'b_t', 'c_t', 'schema_migrations']);
    const rows = await db.query<{ version: number }>('SELECT version FROM schema_migrations');
    expect(rows.map((r) => r.version)).toEqual([1]);
  });

  it('rejects misnamed or duplicate-version files before touching the database', async () => {
    const url = freshUrl();
    const misnamed = await tmpMigrations({ 'first.sql': 'SELECT 1;' });
    await expect(migrate({ url, logger, dir: misnamed })).rejects.toThrow(/first\.sql must be named NNN_name\.sql/);
    const dup = await tmpMigrations({ '001_a.sql': 'SELECT 1;', '1_b.sql': 'SELECT 1;' });
    await expect(migrate({ url, logger, dir: dup })).rejects.toThrow(/share version 1/);
  });

  it('fails with UnavailableError when the server is unreachable', async () => {
    await expect(migrate({ url: 'mysql://root@127.0.0.1:1/x', logger, connectTimeoutMs: 2000 })).rejects.toBeInstanceOf(
      UnavailableError,
    );
  });
});

describe('Database (pool)', () => {
  let t: TestDatabase;
  let db: Database;

  beforeAll(async () => {
    t = await createTestDatabase(logger);
    db = t.db;
  });
  afterAll(async () => {
    await t?.drop();
  });

  const monitor = (id: string, active = 1): (string | number)[] => [id, 'BTC/USDT', '1.5', 60_000, active, 1_700_000_000_000];
  const insertMonitor = (q: Pick<Database, 'execute'>, id: string) =>
    q.execute(
      'INSERT INTO price_monitors (id, symbol, threshold_pct, window_ms, active, created_at) VALUES (?, ?, ?, ?, ?, ?)',
      monitor(id),
    );

  it('createTestDatabase gives a migrated cte_test_* database', async () => {
    expect(t.name).toMatch(/^cte_test_[0-9a-f]{12}$/);
    expect(t.url).toBe(withDatabase(BASE_URL, t.name));
    expect(await tableNames(db)).toContain('crypto_prices');
    expect(await db.query('SELECT @@session.time_zone AS tz')).toEqual([{ tz: '+00:00' }]);
    await expect(db.ping()).resolves.toBeUndefined();
  });

  it('transaction commits', async () => {
    const result = await db.transaction(async (tx) => {
      await insertMonitor(tx, 'tx-commit');
      const rows = await tx.query<{ id: string }>('SELECT id FROM price_monitors WHERE id = ?', ['tx-commit']);
      return rows.length;
    });
    expect(result).toBe(1);
    const rows = await db.query<{ id: string; threshold_pct: string; window_ms: number }>(
      'SELECT id, threshold_pct, window_ms FROM price_monitors WHERE id = ?',
      ['tx-commit'],
    );
    expect(rows).toEqual([{ id: 'tx-commit', threshold_pct: '1.500000', window_ms: 60000 }]);
  });

  it('transaction rolls back on throw and rethrows the error', async () => {
    const boom = new Error('boom');
    await expect(
      db.transaction(async (tx) => {
        await insertMonitor(tx, 'tx-rollback');
        throw boom;
      }),
    ).rejects.toBe(boom);
    expect(await db.query('SELECT id FROM price_monitors WHERE id = ?', ['tx-rollback'])).toEqual([]);
  });

  it('the transaction handle is unusable after the transaction ends', async () => {
    let leaked: Pick<Database, 'query'> | undefined;
    await db.transaction(async (tx) => {
      leaked = tx;
    });
    await expect(leaked!.query('SELECT 1')).rejects.toThrow(/after the transaction ended/);
  });

  it('retries a deadlocked transaction and both transactions end up committed', async () => {
    await db.execute('DELETE FROM price_monitors WHERE id IN (?)', [['dl-a', 'dl-b']]);
    await insertMonitor(db, 'dl-a');
    await insertMonitor(db, 'dl-b');

    // Each transaction locks its first row, waits until the other has locked its
    // first row too (first attempt only), then asks for the other's row: a real deadlock.
    let arrived = 0;
    let release!: () => void;
    const bothLocked = new Promise<void>((r) => (release = r));
    let attempts = 0;
    const worker = (first: string, second: string, window: number) =>
      db.transaction(async (tx) => {
        attempts++;
        const firstAttempt = attempts <= 2;
        await tx.execute('UPDATE price_monitors SET window_ms = ? WHERE id = ?', [window, first]);
        if (firstAttempt) {
          if (++arrived === 2) release();
          await bothLocked;
        }
        await tx.execute('UPDATE price_monitors SET window_ms = ? WHERE id = ?', [window, second]);
      });
    await Promise.all([worker('dl-a', 'dl-b', 1), worker('dl-b', 'dl-a', 2)]);
    expect(attempts).toBe(3);
    const rows = await db.query<{ window_ms: number }>('SELECT window_ms FROM price_monitors WHERE id IN (?)', [
      ['dl-a', 'dl-b'],
    ]);
    // Whoever committed last wrote both rows.
    expect(new Set(rows.map((r) => r.window_ms)).size).toBe(1);
  });

  it('maps a duplicate key to ConflictError', async () => {
    await insertMonitor(db, 'dup-1');
    const err = await insertMonitor(db, 'dup-1').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConflictError);
    expect(isDuplicateKeyError(err)).toBe(true);
  });

  it('query() refuses writes and execute() refuses reads', async () => {
    await expect(db.query('UPDATE price_monitors SET active = 1 WHERE id = ?', ['none'])).rejects.toBeInstanceOf(
      InvalidArgumentError,
    );
    await expect(db.execute('SELECT 1')).rejects.toBeInstanceOf(InvalidArgumentError);
  });

  const BAR_COLUMNS = ['exchange', 'symbol', 'timeframe', 'open_time', 'close_time', 'open', 'high', 'low', 'close', 'volume', 'trades'];
  interface BarRow {
    open_time: number;
    open: string;
    high: string;
    low: string;
    close: string;
    volume: string;
    trades: number | null;
  }
  const readBars = () =>
    db.query<BarRow>(
      `SELECT open_time, open, high, low, close, volume, trades FROM crypto_prices
       WHERE exchange = ? AND symbol = ? AND timeframe = ? ORDER BY open_time`,
      ['binance', 'BTC/USDT', '1m'],
    );

  it('batchUpsert inserts, then updates on the unique key, keeping DECIMAL values exact', async () => {
    const t0 = 1_700_000_000_000;
    const bar = (i: number, close: string | InstanceType<typeof Dec>, volume: string) =>
      ['binance', 'BTC/USDT', '1m', t0 + i * 60_000, t0 + (i + 1) * 60_000 - 1, '100', '101', '99', close, volume, 7];

    const inserted = await batchUpsert(
      db,
      'crypto_prices',
      BAR_COLUMNS,
      [bar(0, '100.5', '0.000000000000000001'), bar(1, '123456789012345678.123456789012345678', '2'), bar(2, '1', '3')],
      { chunkSize: 2, updateColumns: ['close', 'volume', 'trades'] },
    );
    expect(inserted).toBe(3);
    let rows = await readBars();
    expect(rows.map((r) => r.open_time)).toEqual([t0, t0 + 60_000, t0 + 120_000]);
    expect(rows[0]!.volume).toBe('0.000000000000000001');
    expect(rows[0]!.close).toBe('100.500000000000000000');
    expect(rows[1]!.close).toBe('123456789012345678.123456789012345678');

    // Same keys: two rows change, one is identical (affectedRows: 2 + 2 + 1).
    const affected = await batchUpsert(
      db,
      'crypto_prices',
      BAR_COLUMNS,
      [bar(0, new Dec('1e-18'), '5'), bar(1, '42', '0.1'), bar(2, '1', '3')],
      { chunkSize: 2, updateColumns: ['close', 'volume', 'trades'] },
    );
    expect(affected).toBe(5);
    rows = await readBars();
    expect(rows).toHaveLength(3);
    expect(rows[0]!.close).toBe('0.000000000000000001');
    expect(rows[0]!.volume).toBe('5.000000000000000000');
    expect(rows[1]!.close).toBe('42.000000000000000000');
    expect(rows[1]!.volume).toBe('0.100000000000000000');
    expect(rows[0]!.trades).toBe(7);
  });

  it('batchInsert inserts many rows in chunks and fails on a duplicate key', async () => {
    const rows = Array.from({ length: 25 }, (_, i) => [`bi-${i}`, 'ETH/USDT', '0.25', 1000, 1, 1_700_000_000_000 + i]);
    const cols = ['id', 'symbol', 'threshold_pct', 'window_ms', 'active', 'created_at'];
    expect(await batchInsert(db, 'price_monitors', cols, rows, { chunkSize: 10 })).toBe(25);
    const [count] = await db.query<{ n: number }>("SELECT COUNT(*) AS n FROM price_monitors WHERE id LIKE 'bi-%'");
    expect(Number(count!.n)).toBe(25);
    await expect(batchInsert(db, 'price_monitors', cols, [rows[3]!])).rejects.toBeInstanceOf(ConflictError);
    expect(await batchInsert(db, 'price_monitors', cols, [])).toBe(0);
  });

  it('batch helpers validate identifiers and row widths', async () => {
    await expect(batchUpsert(db, 'crypto_prices; DROP TABLE x', ['a'], [[1]])).rejects.toBeInstanceOf(InvalidArgumentError);
    await expect(batchInsert(db, 'price_monitors', ['id`'], [['x']])).rejects.toBeInstanceOf(InvalidArgumentError);
    await expect(batchInsert(db, 'price_monitors', ['id', 'symbol'], [['x']])).rejects.toThrow(/row 0 has 1 values, expected 2/);
    await expect(batchUpsert(db, 'price_monitors', ['id'], [['x']], { updateColumns: ['symbol'] })).rejects.toThrow(
      /not among the inserted columns/,
    );
  });

  it('ping fails fast with UnavailableError when the server is unreachable', async () => {
    const down = createPool({ url: 'mysql://root@127.0.0.1:1/x', logger, connectTimeoutMs: 1000 });
    pools.push(down);
    const started = Date.now();
    await expect(down.ping()).rejects.toBeInstanceOf(UnavailableError);
    expect(Date.now() - started).toBeLessThan(3000);
    await expect(down.query('SELECT 1')).rejects.toBeInstanceOf(UnavailableError);
  });
});
