/**
 * Hostile values for the fuzz suite, by the kind of input they attack. Every value an arbitrary of
 * `mustReject(kind)` produces is invalid for that kind, so a request carrying one must be refused:
 * the suite never needs to guess whether a generated request "should" have worked.
 *
 * A value is kept abstract (`H`) and rendered per transport: as JSON text (REST bodies, where NaN,
 * 1e999 or 45,000 levels of nesting can be written verbatim), as a query or path segment, or as
 * protobuf wire bytes (gRPC, where a string field can carry invalid UTF-8 or the wrong wire type).
 */
import fc from 'fast-check';

export type H =
  /** A string (may hold lone surrogates, CRLF, NUL). */
  | { t: 'str'; v: string }
  /** String contents that are not valid UTF-8. */
  | { t: 'bytes'; v: Buffer }
  /** A number; NaN and ±Infinity render as bare (invalid) JSON tokens. */
  | { t: 'num'; v: number }
  /** Raw JSON text: huge or deep structures, objects, arrays, booleans, null, 1e999. */
  | { t: 'raw'; v: string }
  /** An array / repeated field / repeated query parameter. */
  | { t: 'list'; v: H[] }
  /** gRPC only: the field sent with a wire type its declaration does not have. */
  | { t: 'wire' };

/** The input kinds of the catalogues. */
export type Kind =
  /** A tradable symbol (BTC/USD); unknown but well-formed ones (FOO/BAR) must be refused too. */
  | { k: 'symbol' }
  /** A list of symbols (JSON array, repeated field, or comma-separated query value). */
  | { k: 'symbols' }
  /** An identifier the caller chooses for something new (client_order_id, idempotency_key, agent name). */
  | { k: 'new-id' }
  /** An identifier that looks something up (order id, monitor id); unknown ones may be NOT_FOUND. */
  | { k: 'ref-id' }
  /** One of a fixed set of words (side, type, state, status, level, timeframe). */
  | { k: 'enum' }
  /** A decimal amount (string, or a JSON number where accepted); zero allowed only with zeroOk. */
  | { k: 'decimal'; zeroOk?: boolean }
  /** An integer in a bounded range; 0 is not generated (often "unset"). */
  | { k: 'int' }
  /** A floating-point number that must be finite, positive and storable. */
  | { k: 'number' }
  /** A time: epoch ms or an ISO date. */
  | { k: 'time' }
  /** Free text, limited in length; only oversize text and wrong types are hostile. `required`: blank is hostile too. */
  | { k: 'text'; required?: boolean }
  /** A trace id (8-64 of A-Z a-z 0-9 -). */
  | { k: 'trace_id' }
  /** A JSON object field (REST) or a JSON-text string field (gRPC `*_json`). */
  | { k: 'json' }
  /** A boolean. */
  | { k: 'bool' }
  /** A map of symbol → weight (POST /rebalance targets). */
  | { k: 'weights' };

export const s = (v: string): H => ({ t: 'str', v });
export const n = (v: number): H => ({ t: 'num', v });
export const raw = (v: string): H => ({ t: 'raw', v });
export const bytes = (...b: number[]): H => ({ t: 'bytes', v: Buffer.from(b) });
export const list = (...v: H[]): H => ({ t: 'list', v });

/** Sizes: a body limit is 100 KB, so 90 KB fits in one and 200 KB does not. */
export const BIG = 90_000;
export const HUGE = 200_000;

/** `[[[…]]]` nested `depth` levels: 45,000 levels are 90 KB of text, inside a 100 KB body. */
export function deepArray(depth: number): string {
  return '['.repeat(depth) + ']'.repeat(depth);
}
/** `{"a":{"a":…}}` nested `depth` levels. */
export function deepObject(depth: number): string {
  return '{"a":'.repeat(depth) + '1' + '}'.repeat(depth);
}

const DEEP: H[] = [raw(deepArray(45_000)), raw(deepObject(15_000)), raw(deepArray(1_000))];

/** Strings no identifier, number, symbol or enum accepts: injection, control characters, bad Unicode. */
const GARBAGE: string[] = [
  "' OR '1'='1",
  "1'; DROP TABLE orders; --",
  '" OR ""="',
  '$(reboot)',
  '`id`',
  '| cat /etc/passwd',
  'a\r\nX-Injected: 1',
  '\r\n\r\nHTTP/1.1 200 OK\r\n',
  '../../../etc/passwd',
  '<script>alert(1)</script>',
  '${jndi:ldap://x.invalid/a}',
  '{{7*7}}',
  '__proto__',
  '__proto__.polluted',
  'constructor.prototype',
  '%00',
  '\u0000',
  'a\u0000b',
  '\ud800',
  'a\udfffb',
  '\u202e\u0041',
  ' ',
  '\t\n',
  '１２３',
  '١٢٣',
  '😀',
  '*',
  '%',
  '?x=1#',
];
/** Words that numeric parsers have been known to take. */
const NUMERIC_WORDS = ['NaN', 'Infinity', '-Infinity', 'null', 'undefined', 'true', '0x10', '1_000', '1,5', '+-1', '--1', '1e', 'e1', '.', '-'];
/** Bytes that are not UTF-8: a lone continuation byte, an overlong NUL, a CESU-8 surrogate, 0xFF. */
const BAD_UTF8: H[] = [bytes(0xff, 0xfe), bytes(0x41, 0xc3, 0x28), bytes(0xc0, 0x80), bytes(0xed, 0xa0, 0x80), bytes(0x80), bytes(0xf4, 0x90, 0x80, 0x80)];
const HUGE_STRINGS: H[] = [s('A'.repeat(BIG)), s('A'.repeat(HUGE)), s('9'.repeat(BIG))];
/** A value of each JSON type but string. */
const NOT_STRING: H[] = [n(0), n(1), n(-1), raw('true'), raw('false'), raw('[]'), raw('{}'), raw('["BTC/USD"]'), raw('{"$gt":""}'), raw('{"__proto__":{"polluted":true}}')];
const NOT_NUMBER: H[] = [raw('true'), raw('[]'), raw('{}'), raw('[1]'), raw('{"$gt":0}')];
const BAD_NUMBERS: H[] = [n(NaN), n(Infinity), n(-Infinity), raw('1e999'), raw('-1e999'), n(1e308), n(-1e308), n(5e-324), n(-5e-324), n(-1), n(-0.5)];

const garbage = (): H[] => GARBAGE.map(s);

/** The hostile values of each kind (a finite list; fast-check picks and combines them). */
export function hostileValues(kind: Kind): H[] {
  switch (kind.k) {
    case 'symbol':
      return [
        ...garbage(),
        ...['FOO/BAR', 'XRP/EUR', 'BTC/EUR', 'DOGE/USDT', 'USD/BTC', 'BTC', 'BTC/', '/USD', 'BTC//USD', 'BTC/USD/ETH', 'BTC\u0000/USD', 'A'.repeat(41), `${'A'.repeat(20)}/${'B'.repeat(20)}`].map(s),
        ...BAD_UTF8,
        ...HUGE_STRINGS,
        ...NOT_STRING,
        ...DEEP,
      ];
    case 'symbols':
      return [
        list(s('FOO/BAR')),
        list(s('BTC/USD'), s("' OR 1=1 --")),
        list(s('BTC/USD'), s('\ud800')),
        list(...Array.from({ length: 1000 }, (_, i) => s(`X${i}/USD`))),
        list(s('A'.repeat(BIG))),
        list(raw('{}')),
        list(n(1)),
        list(bytes(0xff)),
        s('FOO/BAR'),
        s("BTC/USD,' OR 1=1 --"),
        ...DEEP,
      ];
    case 'new-id':
    case 'ref-id':
      return [...garbage(), ...BAD_UTF8, ...HUGE_STRINGS, s('A'.repeat(129)), ...NOT_STRING, ...DEEP];
    case 'enum':
      return [...garbage(), ...['buyy', 'b uy', 'FOO', 'DROP'].map(s), ...BAD_UTF8, ...HUGE_STRINGS, ...NOT_STRING, ...DEEP];
    case 'decimal':
      return [
        ...(kind.zeroOk ? [] : [s('0'), s('0.0'), s('000'), n(0), n(-0)]),
        s('-1'),
        s('-0.5'),
        s('1e308'),
        s('1E3'),
        s('5e-324'),
        s('9'.repeat(40)),
        s('9'.repeat(40) + '.5'),
        s(`0.${'0'.repeat(40)}1`),
        s('1.'),
        s('1.2.3'),
        s('0x1A'),
        ...NUMERIC_WORDS.map(s),
        ...garbage(),
        ...BAD_UTF8,
        ...BAD_NUMBERS,
        ...HUGE_STRINGS,
        ...NOT_NUMBER,
        ...DEEP,
      ];
    case 'int':
      return [
        s('-1'),
        s('1.5'),
        s('99999999999999999999'),
        s('1e400'),
        s('9'.repeat(BIG)),
        ...NUMERIC_WORDS.map(s),
        ...garbage(),
        ...BAD_UTF8,
        ...BAD_NUMBERS,
        n(1.5),
        n(2 ** 64),
        ...NOT_NUMBER,
        ...DEEP,
      ];
    case 'number':
      return [s('-1'), s('1e308'), s('9'.repeat(400)), ...NUMERIC_WORDS.map(s), ...garbage(), n(0), n(-0), ...BAD_NUMBERS, ...NOT_NUMBER, ...DEEP];
    case 'time':
      return [s('-1'), s('99999999999999999999'), s('1e400'), s('2019-13-45'), s('yesterday'), ...garbage(), ...BAD_UTF8, n(-1), n(1e308), raw('1e999'), ...NOT_NUMBER, ...DEEP];
    case 'text':
      return [...(kind.required ? [s(''), s('   ')] : []), s('x'.repeat(BIG)), s('x'.repeat(HUGE)), n(1), raw('true'), raw('[]'), raw('{"a":1}'), ...DEEP];
    case 'trace_id':
      return [s('abc'), s('x'.repeat(65)), s('abc def ghi'), s('0123456789abcdef\r\nX: 1'), ...garbage(), ...BAD_UTF8, ...HUGE_STRINGS, ...NOT_STRING, ...DEEP];
    case 'json':
      return [s('x'), n(1), raw('[]'), raw('[1,2]'), raw('true'), raw(`{"a":${deepArray(45_000)}}`), raw(`{"a":${deepObject(10_000)}}`), raw(`{"a":${deepArray(1_000)}}`), ...DEEP];
    case 'bool':
      return [s('yes'), s('TRUE '), s('1'), n(1), raw('[]'), raw('{}'), ...garbage(), ...DEEP];
    case 'weights':
      return [
        raw('{"FOO/BAR":0.5}'),
        raw('{"BTC/USD":1.5}'),
        raw('{"BTC/USD":-0.1}'),
        raw('{"BTC/USD":1e999}'),
        raw('{"BTC/USD":"NaN"}'),
        raw('{"__proto__":0.5}'),
        raw('{"constructor":0.5}'),
        raw('{"BTC/USD":0.6,"btc-usd":0.6}'),
        raw(`{${Array.from({ length: 150 }, (_, i) => `"X${i}/USD":0.001`).join(',')}}`),
        raw(`{"BTC/USD":${deepArray(45_000)}}`),
        raw('{}'),
        s('BTC/USD'),
        raw('[]'),
        ...DEEP,
      ];
  }
}

/** One hostile value of `kind` for a JSON body (where a number is a wrong type, but "constructor.prototype" is a fine id). */
export function mustReject(kind: Kind): fc.Arbitrary<H> {
  const all = hostileValues(kind);
  return fc.constantFrom(...(kind.k === 'new-id' || kind.k === 'ref-id' ? all.filter((h) => h.t !== 'str' || !IDENTIFIER.test(h.v)) : all));
}

/** What a value becomes in a protobuf string field: its text (a number 1 is the string "1"). */
function protoText(h: H): string | undefined {
  return h.t === 'str' || h.t === 'raw' ? h.v : h.t === 'num' ? String(h.v) : undefined;
}
const IDENTIFIER = /^[A-Za-z0-9][A-Za-z0-9_.:@-]{0,127}$/;

/**
 * The hostile values of `kind` that stay hostile as text (a protobuf string field, a query or path
 * value), where there are no JSON types: the number 1 sent as a name is the valid name "1", and
 * `true` is fine text.
 */
export function textHostileValues(kind: Kind): H[] {
  const all = hostileValues(kind);
  if (kind.k === 'text') {
    return all.filter((h) => {
      const t = protoText(h);
      return t !== undefined && (t.length > 1_000 || (kind.required === true && t.trim() === ''));
    });
  }
  // A lookup by a well-formed id that names nothing is NOT_FOUND (or, as a filter, an empty list).
  if (kind.k === 'new-id' || kind.k === 'ref-id') return all.filter((h) => !IDENTIFIER.test(protoText(h) ?? '\u0000'));
  return all;
}

/** One hostile value of `kind` for a gRPC field, a query parameter or a path segment. */
export function mustRejectText(kind: Kind): fc.Arbitrary<H> {
  return fc.constantFrom(...textHostileValues(kind));
}

/** Keys that pollute prototypes when merged carelessly; added to JSON bodies next to the hostile field. */
export const POLLUTION_KEYS: ReadonlyArray<[string, string]> = [
  ['__proto__', '{"polluted":true,"isAdmin":true}'],
  ['constructor', '{"prototype":{"polluted":true}}'],
  ['prototype', '{"polluted":true}'],
];

/** Whole request bodies that are hostile by themselves (not a JSON object, not JSON, not UTF-8, too big, too deep). */
export const HOSTILE_BODIES: ReadonlyArray<Buffer> = [
  '[]',
  '"x"',
  'null',
  '1e999',
  'NaN',
  '{',
  '{"a":1,}',
  "{'a':1}",
  deepArray(45_000),
  deepObject(15_000),
  `{"x":"${'A'.repeat(HUGE)}"}`,
].map((b) => Buffer.from(b, 'utf8')).concat([Buffer.from([0x7b, 0x22, 0xff, 0xfe, 0x22, 0x3a, 0x31, 0x7d]), Buffer.from([0xef, 0xbb, 0xbf, 0x7b, 0x7d, 0xff])]);

// ---------------------------------------------------------------------------------------------
// Rendering
// ---------------------------------------------------------------------------------------------

/** JSON text (as bytes, since invalid UTF-8 must survive). */
export function toJsonBytes(h: H): Buffer {
  switch (h.t) {
    case 'str':
      return Buffer.from(JSON.stringify(h.v), 'utf8');
    case 'bytes':
      return Buffer.concat([Buffer.from('"'), h.v, Buffer.from('"')]);
    case 'num':
      return Buffer.from(Number.isNaN(h.v) ? 'NaN' : h.v === Infinity ? 'Infinity' : h.v === -Infinity ? '-Infinity' : Object.is(h.v, -0) ? '-0' : String(h.v), 'utf8');
    case 'raw':
      return Buffer.from(h.v, 'utf8');
    case 'list':
      return Buffer.concat([Buffer.from('['), ...h.v.flatMap((x, i) => (i === 0 ? [toJsonBytes(x)] : [Buffer.from(','), toJsonBytes(x)])), Buffer.from(']')]);
    case 'wire':
      return Buffer.from('null');
  }
}

/** Any JS value as JSON text (baseline values). */
export function plainJsonBytes(v: unknown): Buffer {
  return Buffer.from(JSON.stringify(v), 'utf8');
}

/** Percent-encodes bytes (unlike encodeURIComponent, it accepts lone surrogates and raw bytes). */
export function percentEncode(b: Buffer): string {
  let out = '';
  for (const byte of b) {
    const c = String.fromCharCode(byte);
    out += /[A-Za-z0-9\-_.~]/.test(c) ? c : `%${byte.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  return out;
}

/** A query or path value: the text a URL carries (percent-encoded). Lists give several values. */
export function toUrlValues(h: H): string[] {
  switch (h.t) {
    case 'str':
      return [percentEncode(Buffer.from(h.v, 'utf8'))];
    case 'bytes':
      return [percentEncode(h.v)];
    case 'num':
      return [percentEncode(Buffer.from(String(h.v), 'utf8'))];
    case 'raw':
      return [percentEncode(Buffer.from(h.v, 'utf8'))];
    case 'list':
      return h.v.flatMap(toUrlValues);
    case 'wire':
      return [''];
  }
}

/** Short, printable description of a hostile value for failure reports. */
export function describeH(h: H): string {
  const cut = (x: string) => (x.length > 80 ? `${x.slice(0, 60)}…(${x.length} chars)` : x);
  switch (h.t) {
    case 'str':
      return `str ${cut(JSON.stringify(h.v))}`;
    case 'bytes':
      return `bytes ${h.v.toString('hex')}`;
    case 'num':
      return `num ${String(h.v)}`;
    case 'raw':
      return `raw ${cut(h.v)}`;
    case 'list':
      return `list[${h.v.length}] ${h.v.slice(0, 3).map(describeH).join(', ')}`;
    case 'wire':
      return 'wrong wire type';
  }
}
