import { assertTransition, canTransition, IllegalTransitionError, isTerminal, STATUSES, type RecommendationStatus } from '../engine/state-machine';
import { clientOrderIdFor, orderOutcome, orderTransitions, recommendationIdOf } from '../engine/orders';

const LEGAL: Array<[RecommendationStatus, RecommendationStatus]> = [
  ['pending', 'approved'],
  ['pending', 'resized'],
  ['pending', 'rejected'],
  ['pending', 'expired'],
  ['approved', 'submitted'],
  ['approved', 'failed'],
  ['approved', 'expired'],
  ['resized', 'submitted'],
  ['resized', 'failed'],
  ['resized', 'expired'],
  ['submitted', 'filled'],
  ['submitted', 'partially_filled'],
  ['submitted', 'failed'],
  ['submitted', 'expired'],
  ['partially_filled', 'filled'],
];

describe('recommendation state machine', () => {
  it('allows exactly the lifecycle edges', () => {
    const legal = new Set(LEGAL.map(([a, b]) => `${a}>${b}`));
    for (const from of STATUSES) {
      for (const to of STATUSES) {
        expect([from, to, canTransition(from, to)]).toEqual([from, to, legal.has(`${from}>${to}`)]);
      }
    }
  });

  it.each([
    ['pending', 'submitted'],
    ['pending', 'filled'],
    ['rejected', 'submitted'],
    ['rejected', 'approved'],
    ['approved', 'rejected'],
    ['approved', 'filled'],
    ['submitted', 'approved'],
    ['filled', 'failed'],
    ['expired', 'submitted'],
    ['failed', 'submitted'],
    ['pending', 'pending'],
  ] as Array<[RecommendationStatus, RecommendationStatus]>)('refuses %s → %s', (from, to) => {
    expect(() => assertTransition(from, to)).toThrow(IllegalTransitionError);
  });

  it('has rejected, filled, failed and expired as terminal states', () => {
    expect(STATUSES.filter(isTerminal).sort()).toEqual(['expired', 'failed', 'filled', 'rejected']);
  });
});

describe('orders of a recommendation', () => {
  it('derive the client order id from the recommendation id, and back', () => {
    expect(clientOrderIdFor('abc-1')).toBe('rec-abc-1');
    expect(recommendationIdOf('rec-abc-1')).toBe('abc-1');
    expect(recommendationIdOf('other-1')).toBeUndefined();
    expect(recommendationIdOf('rec-')).toBeUndefined();
  });

  it('map execution order statuses to recommendation statuses', () => {
    expect(orderOutcome('NEW', '0')).toMatchObject({ status: 'submitted', final: false });
    expect(orderOutcome('SUBMITTED', '0')).toMatchObject({ status: 'submitted', final: false });
    expect(orderOutcome('PARTIALLY_FILLED', '0.5')).toMatchObject({ status: 'partially_filled', final: false });
    expect(orderOutcome('FILLED', '1')).toMatchObject({ status: 'filled', final: true });
    expect(orderOutcome('CANCELED', '0.5')).toMatchObject({ status: 'partially_filled', final: true });
    expect(orderOutcome('CANCELED', '0')).toMatchObject({ status: 'failed', final: true });
    expect(orderOutcome('REJECTED', '0', 'insufficient funds')).toMatchObject({ status: 'failed', reason: 'order_rejected: insufficient funds' });
    expect(orderOutcome('FAILED', '0')).toMatchObject({ status: 'failed' });
    expect(orderOutcome('EXPIRED', '0')).toMatchObject({ status: 'expired', final: true });
    expect(orderOutcome('EXPIRED', '0.1')).toMatchObject({ status: 'partially_filled', final: true });
  });

  it('plan legal transitions only, never backwards', () => {
    expect(orderTransitions('approved', 'filled')).toEqual(['submitted', 'filled']);
    expect(orderTransitions('resized', 'submitted')).toEqual(['submitted']);
    expect(orderTransitions('submitted', 'submitted')).toEqual([]);
    expect(orderTransitions('submitted', 'partially_filled')).toEqual(['partially_filled']);
    expect(orderTransitions('partially_filled', 'filled')).toEqual(['filled']);
    expect(orderTransitions('partially_filled', 'submitted')).toEqual([]);
    expect(orderTransitions('filled', 'submitted')).toEqual([]);
    expect(orderTransitions('pending', 'filled')).toEqual([]);
    expect(orderTransitions('rejected', 'filled')).toEqual([]);
    // every planned path is legal
    for (const from of STATUSES) {
      for (const to of ['submitted', 'partially_filled', 'filled', 'failed', 'expired'] as const) {
        let at = from;
        for (const s of orderTransitions(from, to)) {
          assertTransition(at, s);
          at = s;
        }
      }
    }
  });
});
