/**
 * The fuzz suite's own premises: every value it calls hostile for a kind really is invalid for that
 * kind (else a correct service would fail the suite), the deep values fit a 100 KB body, and the
 * hand-written protobuf encoding decodes to what it claims.
 */
import { DEFAULT_TRADABLE_SYMBOLS, ID_RE, parseSymbol } from '@cte/shared';
import { BIG, deepArray, hostileValues, textHostileValues, toJsonBytes, toUrlValues, type H } from './hostile';
import { encodeField } from './proto-wire';
import { rpcTargets } from './grpc-catalogue';

const asText = (h: H): string | undefined => (h.t === 'str' ? h.v : h.t === 'num' ? String(h.v) : h.t === 'raw' ? h.v : undefined);

describe('hostile values', () => {
  it('no hostile symbol is a tradable symbol, however it is normalised', () => {
    for (const h of hostileValues({ k: 'symbol' })) {
      const text = asText(h);
      if (text === undefined) continue;
      let parsed: string | undefined;
      try {
        parsed = parseSymbol(text);
      } catch {
        parsed = undefined;
      }
      expect([text.slice(0, 40), DEFAULT_TRADABLE_SYMBOLS.includes(parsed as never)]).toEqual([text.slice(0, 40), false]);
    }
  });

  it('no hostile identifier sent as text is a well-formed id', () => {
    for (const kind of [{ k: 'new-id' }, { k: 'ref-id' }] as const) {
      for (const h of textHostileValues(kind)) expect([asText(h)?.slice(0, 40), ID_RE.test(asText(h) ?? '')]).toEqual([asText(h)?.slice(0, 40), false]);
    }
  });

  it('no hostile amount is a positive decimal of at most 18 places and 1e15', () => {
    const valid = (s: string) => /^\d{1,16}(\.\d{1,18})?$/.test(s) && Number(s) > 0 && Number(s) <= 1e15;
    for (const h of hostileValues({ k: 'decimal' })) {
      const text = asText(h);
      if (text !== undefined) expect([text.slice(0, 40), valid(h.t === 'num' ? Number(text).toFixed(18).replace(/\.?0+$/, '') : text)]).toEqual([text.slice(0, 40), false]);
    }
  });

  it('a value nested 45,000 levels deep fits in a 100 KB body, and 90 KB strings do too', () => {
    expect(toJsonBytes({ t: 'raw', v: deepArray(45_000) }).length).toBeLessThan(100 * 1024);
    expect(toJsonBytes({ t: 'str', v: 'A'.repeat(BIG) }).length).toBeLessThan(100 * 1024);
  });

  it('renders lone surrogates and invalid UTF-8 without losing them', () => {
    expect(toJsonBytes({ t: 'str', v: '\ud800' }).toString('latin1')).toBe('"\\ud800"');
    expect(toJsonBytes({ t: 'bytes', v: Buffer.from([0xff, 0xfe]) })).toEqual(Buffer.from([0x22, 0xff, 0xfe, 0x22]));
    expect(toUrlValues({ t: 'bytes', v: Buffer.from([0xff]) })).toEqual(['%FF']);
    expect(toUrlValues({ t: 'str', v: '\ud800' })).toEqual(['%EF%BF%BD']);
  });
});

describe('hand-written protobuf fields', () => {
  const targets = rpcTargets();
  const submit = targets.find((t) => t.method === 'Submit')!;
  const listOrders = targets.find((t) => t.method === 'ListOrders')!;

  it('replace a baseline field (the last occurrence wins), as the server decodes it', () => {
    const base = submit.serialize({ symbol: 'BTC/USD', qty: '1' });
    const decoded = submit.deserialize(Buffer.concat([base, encodeField(2, 'TYPE_STRING', false, { t: 'str', v: 'FOO/BAR' })!]));
    expect([decoded.symbol, decoded.qty]).toEqual(['FOO/BAR', '1']);
    const bad = Buffer.concat([base, encodeField(2, 'TYPE_STRING', false, { t: 'bytes', v: Buffer.from([0xff]) })!]);
    expect(bad.subarray(bad.length - 3)).toEqual(Buffer.from([0x12, 0x01, 0xff]));
    expect(submit.deserialize(bad).symbol).not.toBe('BTC/USD');
  });

  it('write -1 into a uint32 as 4294967295, and leave out what decodes as "not set"', () => {
    expect(listOrders.deserialize(encodeField(3, 'TYPE_UINT32', false, { t: 'num', v: -1 })!).limit).toBe(4294967295);
    expect(encodeField(3, 'TYPE_UINT32', false, { t: 'num', v: 2 ** 32 })).toBeUndefined();
    expect(encodeField(3, 'TYPE_DOUBLE', false, { t: 'num', v: 0 })).toBeUndefined();
    // 1e308 is a multiple of 2^64: on the wire, an int64 of it is 0.
    expect(encodeField(4, 'TYPE_INT64', false, { t: 'num', v: 1e308 })).toBeUndefined();
    expect(encodeField(3, 'TYPE_UINT32', false, { t: 'str', v: 'abc' }, true)).toBeUndefined();
    expect(() => listOrders.deserialize(encodeField(3, 'TYPE_UINT32', false, { t: 'wire' })!)).toThrow();
  });
});
