/**
 * Protobuf wire encoding of hostile field values: what a well-behaved client library would never
 * send (invalid UTF-8 in a string field, a string where a number belongs, -1 in a uint32), written
 * by hand and appended to a valid encoding of the rest of the request. For a scalar field the last
 * occurrence on the wire wins, so the hostile value replaces the baseline's.
 */
import type { FieldType } from './grpc-catalogue';
import type { H } from './hostile';

const WIRE_VARINT = 0;
const WIRE_FIXED64 = 1;
const WIRE_LEN = 2;
const U64 = (1n << 64n) - 1n;

function varint(v: bigint): Buffer {
  let x = v & U64;
  const out: number[] = [];
  while (x >= 0x80n) {
    out.push(Number((x & 0x7fn) | 0x80n));
    x >>= 7n;
  }
  out.push(Number(x));
  return Buffer.from(out);
}

const tag = (field: number, wire: number): Buffer => varint(BigInt((field << 3) | wire));
const lenDelimited = (field: number, payload: Buffer): Buffer => Buffer.concat([tag(field, WIRE_LEN), varint(BigInt(payload.length)), payload]);

/** The text a hostile value stands for when it goes into a string field. */
function text(h: H): Buffer {
  switch (h.t) {
    case 'str':
      return Buffer.from(h.v, 'utf8');
    case 'bytes':
      return h.v;
    case 'num':
      return Buffer.from(String(h.v), 'utf8');
    case 'raw':
      return Buffer.from(h.v, 'utf8');
    case 'list':
      return Buffer.from(JSON.stringify(h.v.map((x) => (x.t === 'str' ? x.v : x.t === 'num' ? x.v : null))), 'utf8');
    case 'wire':
      return Buffer.alloc(0);
  }
}

const INTEGER = /^-?\d+$/;

/** An integer value for a varint field, or undefined when `h` is no integer (then it goes out with the wrong wire type). */
function integer(h: H): bigint | undefined {
  if (h.t === 'num' && Number.isInteger(h.v)) return BigInt(h.v);
  if (h.t === 'num' && Number.isFinite(h.v) && Math.abs(h.v) >= 2 ** 53) return BigInt(Math.trunc(h.v));
  if (h.t === 'str' && INTEGER.test(h.v) && h.v.length < 40) return BigInt(h.v);
  return undefined;
}

function float64(h: H): number | undefined {
  if (h.t === 'num') return h.v;
  if (h.t === 'str' && h.v.trim() !== '' && Number.isFinite(Number(h.v))) return Number(h.v);
  return undefined;
}

/**
 * The wire bytes of field number `num` (of `type`) carrying `h`, or undefined when the value would
 * decode as the field's default (0, false), which a server cannot tell from "not set". With
 * `typed`, only what a client library could send: a value the field's type cannot carry (a word in
 * a number field, a wrong wire type) is undefined too.
 */
export function encodeField(num: number, type: FieldType, repeated: boolean, h: H, typed = false): Buffer | undefined {
  const mistyped = (): Buffer | undefined => (typed ? undefined : lenDelimited(num, text(h)));
  if (h.t === 'wire') {
    if (typed) return undefined;
    // A string or message gets a varint; a number gets a length-delimited blob.
    return type === 'TYPE_STRING' || type === 'TYPE_BYTES' || type === 'TYPE_MESSAGE' ? Buffer.concat([tag(num, WIRE_VARINT), varint(1n)]) : lenDelimited(num, Buffer.from('x'));
  }
  if (h.t === 'list') {
    if (!repeated) return encodeField(num, type, false, { t: 'raw', v: text(h).toString('utf8') }, typed);
    const parts = h.v.map((x) => encodeField(num, type, false, x, typed)).filter((b): b is Buffer => b !== undefined);
    if (parts.length === 0) return undefined;
    return Buffer.concat(parts);
  }
  switch (type) {
    case 'TYPE_STRING':
    case 'TYPE_BYTES':
      return lenDelimited(num, text(h));
    case 'TYPE_DOUBLE': {
      const v = float64(h);
      if (v === undefined) return mistyped();
      if (Object.is(v, 0)) return undefined;
      const b = Buffer.alloc(8);
      b.writeDoubleLE(v);
      return Buffer.concat([tag(num, WIRE_FIXED64), b]);
    }
    case 'TYPE_FLOAT': {
      const v = float64(h);
      if (v === undefined) return mistyped();
      if (Object.is(v, 0)) return undefined;
      const b = Buffer.alloc(4);
      b.writeFloatLE(v);
      return Buffer.concat([tag(num, 5), b]);
    }
    case 'TYPE_INT32':
    case 'TYPE_UINT32':
    case 'TYPE_INT64':
    case 'TYPE_UINT64':
    case 'TYPE_ENUM': {
      const v = integer(h);
      if (v === undefined) return mistyped();
      const width = type === 'TYPE_INT32' || type === 'TYPE_UINT32' || type === 'TYPE_ENUM' ? 32n : 64n;
      // What the decoder will see: uint32 keeps the low 32 bits, int32/int64 are two's complement.
      const seen = type === 'TYPE_UINT32' ? v & 0xffffffffn : v;
      if ((seen & U64) === 0n || (width === 32n && (seen & 0xffffffffn) === 0n)) return undefined;
      return Buffer.concat([tag(num, WIRE_VARINT), varint(type === 'TYPE_UINT32' ? seen : v)]);
    }
    case 'TYPE_BOOL':
      // Any varint is a valid bool; only a wrong wire type is hostile.
      return typed ? undefined : Buffer.concat([tag(num, WIRE_LEN), varint(1n), Buffer.from('x')]);
    default:
      return lenDelimited(num, text(h));
  }
}

/** Bytes that are not a protobuf message at all: a truncated varint, an invalid wire type, a length past the end. */
export const MALFORMED_MESSAGES: ReadonlyArray<Buffer> = [
  Buffer.from([0x0a, 0xff, 0xff, 0xff, 0xff, 0x0f]),
  Buffer.from([0x0f, 0x01]),
  Buffer.from([0x0a, 0x05, 0x41]),
  Buffer.from([0x08, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff]),
];
