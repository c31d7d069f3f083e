/**
 * The repository against the real MariaDB: status changes are compare-and-set on the current
 * status, checked against the state machine, and written with their history atomically;
 * consensus ids and idempotency keys are unique.
 */
import { randomUUID } from 'node:crypto';
import { createLogger } from '@cte/shared';
import { createTestDatabase, type TestDatabase } from '@cte/testkit';
import { RecommendationRepository } from '../adapters/repository';
import type { NewRecommendation } from '../adapters/records';
import { IllegalTransitionError } from '../engine/state-machine';

let tdb: TestDatabase;
let repo: RecommendationRepository;

beforeAll(async () => {
  tdb = await createTestDatabase(createLogger({ service: 'test', level: 'silent' }));
  repo = new RecommendationRepository(tdb.db);
});
afterAll(() => tdb?.drop());

const rec = (over: Partial<NewRecommendation> = {}): NewRecommendation => ({
  id: randomUUID(),
  symbol: 'BTC/USD',
  side: 'buy',
  source: 'consensus',
  consensusId: randomUUID(),
  consensusTs: 1_700_000_000_000,
  idempotencyKey: null,
  confidence: '0.8',
  hitRate: '0.75',
  calibration: 'track_record',
  winProbability: '0.7',
  payoffRatio: '1.5',
  kellyFraction: '-0.123456789012345678',
  fraction: '0.05',
  equity: '10000',
  qty: '0.02',
  price: '25000',
  notional: '500',
  atr: null,
  stopLoss: null,
  takeProfit: null,
  reasons: [],
  note: null,
  traceId: 'trace-1',
  createdAt: 1000,
  ...over,
});

it('stores exact decimals and returns them without padding', async () => {
  const r = (await repo.insert(rec(), 'sized'))!;
  expect(r).toMatchObject({ status: 'pending', qty: '0.02', price: '25000', kellyFraction: '-0.123456789012345678', approvedQty: null, reasons: [] });
  expect(await repo.history(r.id)).toEqual([{ from: null, status: 'pending', reason: 'sized', ts: 1000 }]);
});

it('moves only from the expected status, through legal edges, with one history row per step', async () => {
  const r = (await repo.insert(rec(), 'sized'))!;
  expect(await repo.transition(r.id, 'pending', [{ to: 'approved', reason: 'ok' }], { approvedQty: '0.02', clientOrderId: `rec-${r.id}` }, 2000)).toBe(true);
  // A second mover that still thinks it is pending loses, and writes nothing.
  expect(await repo.transition(r.id, 'pending', [{ to: 'rejected', reason: 'late' }], { approvedQty: '0' }, 2001)).toBe(false);
  await expect(repo.transition(r.id, 'approved', [{ to: 'filled', reason: 'skip' }], {}, 2002)).rejects.toBeInstanceOf(IllegalTransitionError);
  await expect(repo.transition(r.id, 'approved', [{ to: 'rejected', reason: 'no' }], {}, 2002)).rejects.toBeInstanceOf(IllegalTransitionError);
  expect(await repo.transition(r.id, 'approved', [{ to: 'submitted', reason: 'ack' }, { to: 'filled', reason: 'fill' }], { orderId: 'ord-1', orderStatus: 'FILLED' }, 3000)).toBe(true);
  const after = (await repo.get(r.id))!;
  expect(after).toMatchObject({ status: 'filled', approvedQty: '0.02', clientOrderId: `rec-${r.id}`, orderId: 'ord-1', orderStatus: 'FILLED', updatedAt: 3000 });
  expect((await repo.history(r.id)).map((h) => [h.from, h.status])).toEqual([
    [null, 'pending'],
    ['pending', 'approved'],
    ['approved', 'submitted'],
    ['submitted', 'filled'],
  ]);
  // Terminal: nothing moves it any more.
  await expect(repo.transition(r.id, 'filled', [{ to: 'failed', reason: 'x' }], {}, 4000)).rejects.toBeInstanceOf(IllegalTransitionError);
});

it('deduplicates consensus ids and idempotency keys', async () => {
  const a = rec({ idempotencyKey: 'key-1', consensusId: null, source: 'manual' });
  expect(await repo.insert(a, 'proposed')).toBeDefined();
  expect(await repo.insert(rec({ idempotencyKey: 'key-1', consensusId: null, source: 'manual' }), 'proposed')).toBeUndefined();
  const b = rec();
  expect(await repo.insert(b, 'sized')).toBeDefined();
  expect(await repo.insert(rec({ consensusId: b.consensusId }), 'sized')).toBeUndefined();
  expect(await repo.consensusExists(b.consensusId!)).toBe(true);
  expect((await repo.getByIdempotencyKey('key-1'))!.id).toBe(a.id);
});

it("finds open recommendations per symbol and side, and the sweeper's due work", async () => {
  const symbol = 'OPEN/USD';
  expect(await repo.hasOpen(symbol, 'buy')).toBe(false);
  const r = (await repo.insert(rec({ symbol, createdAt: 10 }), 'sized'))!;
  expect(await repo.hasOpen(symbol, 'buy')).toBe(true);
  expect(await repo.hasOpen(symbol, 'sell')).toBe(false);
  expect((await repo.due('pending', 10, 100)).map((x) => x.id)).toContain(r.id);
  expect((await repo.due('pending', 9, 100)).map((x) => x.id)).not.toContain(r.id);
  await repo.touch(r.id, 50);
  expect((await repo.due('pending', 10, 100)).map((x) => x.id)).not.toContain(r.id);
  await repo.transition(r.id, 'pending', [{ to: 'rejected', reason: 'no' }], { approvedQty: '0' }, 60);
  expect(await repo.hasOpen(symbol, 'buy')).toBe(false);
});
