/**
 * Hostile input against the kit (issue 10, defects 2, 3 and 5): the bounded value description,
 * the JSON depth limit on HTTP bodies and JSON-in-a-string fields, the cap on what an error
 * message or `details` echoes over HTTP and gRPC, and the one trace_id rule.
 */
import http from 'node:http';
import path from 'node:path';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import fc from 'fast-check';
import { boundDetails, boundMessage, describeValue, MAX_ERROR_DETAILS_CHARS, MAX_ERROR_MESSAGE_CHARS, truncateText } from '../describe';
import { InvalidArgumentError } from '../errors';
import { bidiStream, createGrpcServer, fromGrpcError, serverStream, toGrpcStatus, unary, type GrpcServerKit } from '../grpc';
import { createHttpApp, toErrorReply, type HttpServerHandle } from '../http';
import { assertJsonDepth, findJsonDepthViolation, MAX_JSON_DEPTH, parseJsonField } from '../json-input';
import { createLogger } from '../logger';
import { createMetrics } from '../metrics';
import { Readiness } from '../readiness';
import { messageTraceId, parseTraceIdField } from '../trace';

const KEY = 'hostile-input-key-0123456789';
const logger = createLogger({ service: 'hostile-test', level: 'silent' });

/** `[[[…0…]]]` nested `depth` levels deep, built without recursion. */
function nestedArray(depth: number): unknown {
  let v: unknown = 0;
  for (let i = 0; i < depth; i++) v = [v];
  return v;
}
const nestedJson = (depth: number): string => `${'['.repeat(depth)}0${']'.repeat(depth)}`;

/** No lone surrogate (encodeURIComponent throws on one). */
function wellFormed(s: string): boolean {
  try {
    encodeURIComponent(s);
    return true;
  } catch {
    return false;
  }
}

/** The message would overflow the stack in JSON.stringify; the point of these tests is that nothing does. */
function expectStringifyOverflows(v: unknown): void {
  expect(() => JSON.stringify(v)).toThrow(RangeError);
}

describe('describeValue', () => {
  it('describes ordinary values like JSON, with quotes around strings', () => {
    expect(describeValue('abc')).toBe('"abc"');
    expect(describeValue('')).toBe('""');
    expect(describeValue(12.5)).toBe('12.5');
    expect(describeValue(null)).toBe('null');
    expect(describeValue(undefined)).toBe('undefined');
    expect(describeValue({ a: [1, 'x'], b: true })).toBe('{"a":[1,"x"],"b":true}');
  });

  it('shows what JSON would hide: NaN, Infinity, -0, BigInt, symbols, functions', () => {
    expect(describeValue(NaN)).toBe('NaN');
    expect(describeValue(-Infinity)).toBe('-Infinity');
    expect(describeValue(-0)).toBe('-0');
    expect(describeValue(10n ** 30n)).toBe('1000000000000000000000000000000n');
    expect(describeValue(Symbol('s'))).toBe('Symbol("s")');
    expect(describeValue(() => 1)).toBe('[function]');
  });

  it('never throws and stays short for a value nested 45,000 levels deep (JSON.stringify overflows)', () => {
    const deep = nestedArray(45_000);
    expectStringifyOverflows(deep);
    const d = describeValue({ parameters: deep });
    expect(d).toBe('{"parameters":[[[…]]]}');
  });

  it('handles cycles, throwing getters, revoked proxies and throwing proxy traps', () => {
    const cyclic: Record<string, unknown> = { a: 1 };
    cyclic.self = cyclic;
    expect(describeValue(cyclic)).toBe('{"a":1,"self":[circular]}');

    const getter = Object.defineProperty({ ok: 1 }, 'bad', {
      enumerable: true,
      get() {
        throw new Error('boom');
      },
    });
    expect(describeValue(getter)).toBe('{"ok":1,"bad":[throws]}');

    const { proxy, revoke } = Proxy.revocable({}, {});
    revoke();
    expect(describeValue(proxy)).toBe('[object]');

    const trap = new Proxy(
      {},
      {
        ownKeys() {
          throw new Error('trap');
        },
      },
    );
    expect(() => describeValue(trap)).not.toThrow();
  });

  it('cuts a huge string or array to the bound, fast', () => {
    const big = 'x'.repeat(5_000_000);
    const d = describeValue(big);
    expect(d.length).toBeLessThanOrEqual(80);
    expect(d.startsWith('"xxxx')).toBe(true);
    expect(d.endsWith('…')).toBe(true);
    expect(describeValue(new Array(1_000_000).fill(7), 20)).toBe('[7,7,7,7,7,7,7,7,7,…');
  });

  it('escapes control characters and lone surrogates, and never splits a surrogate pair', () => {
    expect(describeValue('a\nb\u0000')).toBe('"a\\nb\\u0000"');
    expect(describeValue('\ud800x')).toBe('"\\ud800x"');
    const emoji = '😀'.repeat(100);
    for (const max of [9, 10, 11, 12]) {
      const d = describeValue(emoji, max);
      expect(d.length).toBeLessThanOrEqual(max);
      expect(wellFormed(d)).toBe(true);
    }
  });

  it('property: any value, any bound → a well-formed string within the bound, no throw', () => {
    fc.assert(
      fc.property(fc.anything({ withBigInt: true, withMap: true, withSet: true, withTypedArray: true, withSparseArray: true, withNullPrototype: true }), fc.integer({ min: 8, max: 300 }), (v, max) => {
        const d = describeValue(v, max);
        return typeof d === 'string' && d.length <= max && wellFormed(d);
      }),
      { seed: 20261207, numRuns: 500 },
    );
  });
});

describe('boundMessage / boundDetails', () => {
  it('cuts messages to MAX_ERROR_MESSAGE_CHARS', () => {
    expect(boundMessage('short')).toBe('short');
    const m = boundMessage(`qty is invalid: ${'9'.repeat(200_000)}`);
    expect(m.length).toBe(MAX_ERROR_MESSAGE_CHARS);
    expect(truncateText('abcdef', 4)).toBe('abc…');
  });

  it('keeps small plain details as they are', () => {
    const d = { field: 'qty', max_decimals: 8, fields: ['a', 'b'] };
    expect(boundDetails(d)).toBe(d);
  });

  it('rebuilds details that are large, deep, cyclic or BigInt into a bounded plain object', () => {
    const cyclic: Record<string, unknown> = {};
    cyclic.me = cyclic;
    const d = boundDetails({ field: 'parameters', value: nestedArray(45_000), big: 'y'.repeat(300_000), n: 10n, cyclic });
    expect(d).toBeDefined();
    const json = JSON.stringify(d);
    expect(json.length).toBeLessThanOrEqual(MAX_ERROR_DETAILS_CHARS);
    expect(d?.field).toBe('parameters');
    expect(typeof d?.value).toBe('string');
  });

  it('property: any details → JSON-serialisable within the bound', () => {
    fc.assert(
      fc.property(fc.dictionary(fc.string(), fc.anything({ withBigInt: true, maxDepth: 6 })), (details) => {
        const d = boundDetails(details);
        if (d === undefined) return true;
        return JSON.stringify(d).length <= MAX_ERROR_DETAILS_CHARS;
      }),
      { seed: 20261207, numRuns: 300 },
    );
  });
});

describe('JSON depth limit', () => {
  it(`accepts exactly ${MAX_JSON_DEPTH} levels and refuses ${MAX_JSON_DEPTH + 1}, naming the top-level field`, () => {
    expect(findJsonDepthViolation({ a: nestedArray(MAX_JSON_DEPTH - 1) })).toBeUndefined();
    expect(findJsonDepthViolation({ ok: 1, a: nestedArray(MAX_JSON_DEPTH) })).toEqual({ field: 'a', depth: MAX_JSON_DEPTH + 1 });
    expect(findJsonDepthViolation(nestedArray(MAX_JSON_DEPTH + 1))?.field).toBe('0');
    expect(findJsonDepthViolation('scalar')).toBeUndefined();
  });

  it('walks 45,000 and 1,000,000 levels without recursion, and ends on a cycle', () => {
    expect(() => assertJsonDepth({ targets: nestedArray(45_000) }, undefined)).toThrow(/^targets is nested deeper than 32 levels$/);
    expect(findJsonDepthViolation(JSON.parse(nestedJson(1_000_000)))?.depth).toBe(MAX_JSON_DEPTH + 1);
    const cyclic: Record<string, unknown> = {};
    cyclic.me = cyclic;
    expect(findJsonDepthViolation(cyclic)?.field).toBe('me');
  });

  it('parseJsonField: absent, valid, not JSON, too deep', () => {
    expect(parseJsonField(undefined, 'parameters_json')).toBeUndefined();
    expect(parseJsonField('', 'parameters_json')).toBeUndefined();
    expect(parseJsonField('{"a":[1]}', 'parameters_json')).toEqual({ a: [1] });
    expect(() => parseJsonField('{', 'parameters_json')).toThrow(new InvalidArgumentError('parameters_json is not valid JSON'));
    let caught: unknown;
    try {
      parseJsonField(`{"x":${nestedJson(45_000)}}`, 'parameters_json');
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(InvalidArgumentError);
    expect((caught as InvalidArgumentError).message).toBe('parameters_json is nested deeper than 32 levels');
    expect((caught as InvalidArgumentError).details).toEqual({ field: 'parameters_json', max_depth: 32 });
  });
});

describe('trace_id: one rule for every service', () => {
  it('absent → undefined; valid → kept; anything else → InvalidArgumentError naming the field', () => {
    expect(parseTraceIdField(undefined)).toBeUndefined();
    expect(parseTraceIdField(null)).toBeUndefined();
    expect(parseTraceIdField('')).toBeUndefined();
    expect(parseTraceIdField('abcd-1234')).toBe('abcd-1234');
    for (const bad of ['short', 'has space in it', 'x'.repeat(65), 'a.b.c.d.e.f', 12345678, {}, ['abcdefgh']]) {
      expect(() => parseTraceIdField(bad)).toThrow(InvalidArgumentError);
    }
    expect(() => parseTraceIdField('bad id!', 'trace')).toThrow(/^trace must be 8-64 of A-Z a-z 0-9 -, got "bad id!"$/);
  });

  it('messageTraceId keeps an edge id that fits the message form, else makes one', () => {
    expect(messageTraceId('abcdef12')).toBe('abcdef12');
    expect(messageTraceId('has.dots.in.it')).toMatch(/^[0-9a-f]{32}$/);
    expect(messageTraceId(undefined)).toMatch(/^[0-9a-f]{32}$/);
  });
});

describe('error mapping caps what a reply echoes', () => {
  it('toErrorReply and toGrpcStatus cut a 200 KB message and bound the details', () => {
    const err = new InvalidArgumentError(`qty must be a decimal, got "${'1'.repeat(200_000)}"`, { field: 'qty', got: 'z'.repeat(200_000) });
    const reply = toErrorReply(err);
    expect(reply.status).toBe(400);
    expect(reply.message.length).toBeLessThanOrEqual(MAX_ERROR_MESSAGE_CHARS);
    expect(JSON.stringify(reply.details).length).toBeLessThanOrEqual(MAX_ERROR_DETAILS_CHARS);
    const status = toGrpcStatus(err);
    expect(status.code).toBe(grpc.status.INVALID_ARGUMENT);
    expect(status.details.length).toBeLessThanOrEqual(MAX_ERROR_MESSAGE_CHARS);
    expect(toGrpcStatus({ code: grpc.status.INVALID_ARGUMENT, details: 'd'.repeat(100_000) }).details.length).toBeLessThanOrEqual(MAX_ERROR_MESSAGE_CHARS);
  });

  it('fromGrpcError bounds a peer’s message too', () => {
    const e = fromGrpcError({ code: grpc.status.INVALID_ARGUMENT, details: 'p'.repeat(100_000), metadata: new grpc.Metadata() });
    expect(e).toBeInstanceOf(InvalidArgumentError);
    expect(e.message.length).toBeLessThanOrEqual(MAX_ERROR_MESSAGE_CHARS);
  });
});

// ---------------------------------------------------------------------------
// Over real sockets
// ---------------------------------------------------------------------------

interface Reply {
  status: number;
  body: { error?: { code: string; message: string; details?: Record<string, unknown> } } & Record<string, unknown>;
}

function post(port: number, p: string, body: string): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = http.request(
      { host: '127.0.0.1', port, path: p, method: 'POST', agent: false, headers: { 'x-trading-api-key': KEY, 'content-type': 'application/json' } },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: JSON.parse(Buffer.concat(chunks).toString('utf8')) as Reply['body'] }));
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

describe('HTTP app with hostile bodies', () => {
  let handle: HttpServerHandle;
  let routeCalls = 0;

  beforeAll(async () => {
    const app = createHttpApp({
      service: 'hostile-test',
      version: '0',
      apiKey: KEY,
      logger,
      registry: createMetrics('hostile-test'),
      readiness: new Readiness(),
      bodyLimit: '1mb',
    });
    // Validates the way services used to: echoing the input with JSON.stringify.
    app.router.post('/echo-invalid', (req) => {
      routeCalls++;
      const body = req.body as Record<string, unknown>;
      throw new InvalidArgumentError(`qty is invalid: ${String(body.qty)}`, { field: 'qty', got: body.qty });
    });
    handle = await app.listen(0, '127.0.0.1');
  });
  afterAll(async () => {
    await handle.close(1_000);
  });

  it('a value nested 45,000 deep in any field is a 400 naming the field; the route never runs', async () => {
    const before = routeCalls;
    const body = `{"symbol":"BTC/USDT","parameters":{"x":${nestedJson(45_000)}}}`;
    expect(body.length).toBeLessThan(100 * 1024);
    const r = await post(handle.port, '/echo-invalid', body);
    expect(r.status).toBe(400);
    expect(r.body.error).toEqual({
      code: 'INVALID_ARGUMENT',
      message: 'parameters is nested deeper than 32 levels',
      details: { field: 'parameters', max_depth: 32 },
    });
    expect(routeCalls).toBe(before);
  });

  it('a top-level array nested too deep names the request body’s index', async () => {
    const r = await post(handle.port, '/echo-invalid', nestedJson(40));
    expect(r.status).toBe(400);
    expect(r.body.error?.message).toBe('0 is nested deeper than 32 levels');
  });

  it('an error echoing a 200 KB field answers 400 with a bounded message and bounded details', async () => {
    const r = await post(handle.port, '/echo-invalid', JSON.stringify({ qty: '9'.repeat(200_000) }));
    expect(r.status).toBe(400);
    expect(r.body.error?.code).toBe('INVALID_ARGUMENT');
    expect(r.body.error?.message.length).toBeLessThanOrEqual(MAX_ERROR_MESSAGE_CHARS);
    expect(r.body.error?.message.startsWith('qty is invalid: 9999')).toBe(true);
    expect(JSON.stringify(r.body.error?.details).length).toBeLessThanOrEqual(MAX_ERROR_DETAILS_CHARS);
    expect(r.body.error?.details?.field).toBe('qty');
  });
});

interface EchoRequest {
  message?: string;
  fail?: string;
}
interface EchoReply {
  message: string;
}
type EchoClient = grpc.Client & {
  Echo(r: EchoRequest, md: grpc.Metadata, o: grpc.CallOptions, cb: grpc.requestCallback<EchoReply>): grpc.ClientUnaryCall;
};
const echoPkg = grpc.loadPackageDefinition(
  protoLoader.loadSync(path.join(__dirname, 'fixtures', 'echo.proto'), { keepCase: true, longs: String, enums: String, defaults: true, oneofs: true }),
);
const Echo = ((echoPkg.cte as grpc.GrpcObject).test as grpc.GrpcObject).v1 as grpc.GrpcObject;
const EchoCtor = Echo.Echo as grpc.ServiceClientConstructor;

describe('gRPC server with a large invalid field', () => {
  let kit: GrpcServerKit;
  let client: EchoClient;
  let address: string;
  const handled: string[] = [];

  beforeAll(async () => {
    kit = createGrpcServer({ service: 'hostile-test', apiKey: KEY, logger, registry: createMetrics('hostile-grpc') });
    kit.addService(EchoCtor.service, {
      Echo: unary<EchoRequest, EchoReply>((req) => {
        if (req.fail === 'echo') throw new InvalidArgumentError(`message is invalid: ${req.message ?? ''}`);
        if (req.fail === 'status') throw Object.assign(new Error('x'), { code: grpc.status.INVALID_ARGUMENT, details: `raw ${req.message ?? ''}` });
        if (req.fail === 'json') return { message: JSON.stringify(parseJsonField(req.message, 'message')) };
        handled.push('Echo');
        return { message: 'ok' };
      }),
      Count: serverStream<EchoRequest, EchoReply>((call) => {
        handled.push('Count');
        call.write({ message: 'one' });
      }),
      Chat: bidiStream<EchoRequest, EchoReply>(async (call) => {
        for await (const m of call) {
          handled.push('Chat');
          call.write({ message: (m as EchoRequest).message ?? '' });
        }
      }),
    });
    const port = await kit.listen(0, '127.0.0.1');
    address = `127.0.0.1:${port}`;
    client = new EchoCtor(address, grpc.credentials.createInsecure()) as unknown as EchoClient;
  });
  afterAll(async () => {
    client.close();
    await kit.shutdown(1_000);
  });

  const call = (req: EchoRequest, deadlineMs: number): Promise<{ code: grpc.status; details: string; message?: string }> =>
    new Promise((resolve) => {
      const md = new grpc.Metadata();
      md.set('x-trading-api-key', KEY);
      client.Echo(req, md, { deadline: Date.now() + deadlineMs }, (err, res) =>
        resolve(err ? { code: err.code, details: err.details } : { code: grpc.status.OK, details: '', message: res?.message }),
      );
    });

  it.each(['echo', 'status'])('a 200 KB invalid field (%s) gets INVALID_ARGUMENT, and a concurrent call on the same connection is not held up', async (fail) => {
    // Before the cap: the status trailer never arrived, both calls ended in DEADLINE_EXCEEDED.
    const big = call({ message: 'x'.repeat(200 * 1024), fail }, 4_000);
    const small = call({ message: 'hi' }, 4_000);
    const [b, s] = await Promise.all([big, small]);
    expect(b.code).toBe(grpc.status.INVALID_ARGUMENT);
    expect(b.details.length).toBeLessThanOrEqual(MAX_ERROR_MESSAGE_CHARS);
    expect(s).toEqual({ code: grpc.status.OK, details: '', message: 'ok' });
  });

  describe('bytes that are no protobuf message (grpc-js alone answers INTERNAL "Error deserializing request")', () => {
    // An unknown field with wire type 7, a tag with no length after it, an unknown field claiming 5 bytes of 0.
    const garbage = [Buffer.from('7f01', 'hex'), Buffer.from('0a', 'hex'), Buffer.from('fa0f05', 'hex')];
    const identity = (b: Buffer): Buffer => b;
    const keyed = (key = KEY): grpc.Metadata => {
      const md = new grpc.Metadata();
      md.set('x-trading-api-key', key);
      return md;
    };
    type Outcome = { code: grpc.status; details: string };

    function rawUnary(bytes: Buffer, md: grpc.Metadata): Promise<Outcome> {
      const c = new grpc.Client(address, grpc.credentials.createInsecure());
      return new Promise<Outcome>((resolve) => {
        c.makeUnaryRequest('/cte.test.v1.Echo/Echo', identity, identity, bytes, md, { deadline: Date.now() + 4_000 }, (err) => {
          resolve(err ? { code: err.code, details: err.details } : { code: grpc.status.OK, details: '' });
        });
      }).finally(() => c.close());
    }

    function rawStream(method: 'Count' | 'Chat', bytes: Buffer): Promise<Outcome> {
      const c = new grpc.Client(address, grpc.credentials.createInsecure());
      return new Promise<Outcome>((resolve) => {
        const opts = { deadline: Date.now() + 4_000 };
        const stream =
          method === 'Count'
            ? c.makeServerStreamRequest('/cte.test.v1.Echo/Count', identity, identity, bytes, keyed(), opts)
            : c.makeBidiStreamRequest('/cte.test.v1.Echo/Chat', identity, identity, keyed(), opts);
        stream.on('data', () => undefined);
        stream.on('error', (err: grpc.ServiceError) => resolve({ code: err.code, details: err.details }));
        stream.on('end', () => resolve({ code: grpc.status.OK, details: '' }));
        if (method === 'Chat') {
          const duplex = stream as grpc.ClientDuplexStream<Buffer, Buffer>;
          duplex.write(bytes);
          duplex.end();
        }
      }).finally(() => c.close());
    }

    it.each(garbage.map((b) => [b.toString('hex'), b] as const))('unary %s → INVALID_ARGUMENT, and the handler never runs', async (_hex, bytes) => {
      const before = handled.length;
      expect(await rawUnary(bytes, keyed())).toEqual({
        code: grpc.status.INVALID_ARGUMENT,
        details: 'the request to /cte.test.v1.Echo/Echo is not a valid protobuf message of its type',
      });
      expect(handled.length).toBe(before);
    });

    it('the key is still checked first: garbage without a key is UNAUTHENTICATED', async () => {
      expect((await rawUnary(garbage[0]!, keyed('wrong-key-0123456789'))).code).toBe(grpc.status.UNAUTHENTICATED);
    });

    it('server-streaming and bidi calls refuse garbage the same way', async () => {
      const before = handled.length;
      expect((await rawStream('Count', garbage[1]!)).code).toBe(grpc.status.INVALID_ARGUMENT);
      expect((await rawStream('Chat', garbage[1]!)).code).toBe(grpc.status.INVALID_ARGUMENT);
      expect(handled.length).toBe(before);
      // A valid message still goes through on a raw client.
      expect(await rawUnary(Buffer.from('0a026869', 'hex'), keyed())).toEqual({ code: grpc.status.OK, details: '' });
    });
  });

  it('a JSON-in-a-string field nested 45,000 deep is INVALID_ARGUMENT naming the field, not INTERNAL', async () => {
    const r = await call({ message: nestedJson(45_000), fail: 'json' }, 4_000);
    expect(r).toEqual({ code: grpc.status.INVALID_ARGUMENT, details: 'message is nested deeper than 32 levels' });
    expect(await call({ message: '{"a":[1]}', fail: 'json' }, 4_000)).toEqual({ code: grpc.status.OK, details: '', message: '{"a":[1]}' });
  });
});
