import { startOrder } from '../fleet';

describe('fleet start order', () => {
  it('starts dependencies first and only those that are built', () => {
    const all = () => true;
    expect(startOrder(['recommendations'], all)).toEqual(['signals-aggregator', 'portfolio', 'risk', 'execution', 'recommendations']);
    const built = new Set(['recommendations', 'execution']);
    expect(startOrder(['recommendations'], (n) => built.has(n))).toEqual(['execution', 'recommendations']);
    expect(startOrder(['execution', 'price-stream'], all)).toEqual(['portfolio', 'risk', 'execution', 'price-stream']);
  });
});
