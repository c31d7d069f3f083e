/**
 * Property-based fuzzing of every REST route and every RPC of the seven services (real processes,
 * real MariaDB, real Redis). Each generated request is an otherwise valid request with one to three
 * inputs replaced by values that input must refuse (see hostile.ts), and each must get:
 *   - an answer from the route's allowed set (REST: a 4xx such as 400/404/413; gRPC:
 *     INVALID_ARGUMENT/NOT_FOUND, or ALREADY_EXISTS where a stale version means it), never a 5xx
 *     or INTERNAL; routes and RPCs without inputs must answer 200/OK whatever extra they get;
 *   - an error message of at most 1 KB (REST `error.message`, gRPC status details);
 *   - the answer well within the deadline, and (gRPC) a probe call on the same client right after;
 *   - no row written or changed in the service's database;
 * and at the end every service is still ready.
 *
 * FUZZ_RUNS (default 10) requests per route and per RPC, FUZZ_SEED (default fixed) for fast-check:
 *   FUZZ_RUNS=2000 FUZZ_SEED=$RANDOM npx jest tests/fuzz
 * Needs `make build` first (the services run from dist/).
 */
import * as grpc from '@grpc/grpc-js';
import fc from 'fast-check';
import type { ServiceName } from '@cte/shared';
import { describeH, HOSTILE_BODIES, mustReject, mustRejectText, percentEncode, plainJsonBytes, POLLUTION_KEYS, toJsonBytes, toUrlValues, type H } from './hostile';
import { encodeField, MALFORMED_MESSAGES } from './proto-wire';
import { AGENT_ID, inputsOf, REST_ROUTES, URL_TOO_LONG, type RestRoute } from './rest-catalogue';
import { rpcTargets, type RpcTarget } from './grpc-catalogue';
import { ALL_SERVICES, FuzzFleet, RawGrpc, type FuzzedService } from './rig';

const RUNS = Number(process.env.FUZZ_RUNS ?? 10);
const SEED = Number(process.env.FUZZ_SEED ?? 20261207);
/** Longest error message a hostile request may get back. */
const MAX_MESSAGE = 1024;
/** Every answer must come well within this (ms); the call's own deadline is twice as long. */
const ANSWER_WITHIN_MS = 4_000;
const PROBE_WITHIN_MS = 2_000;
/** Time for asynchronous writers (risk's event batcher flushes every 20 ms) before the last row check. */
const SETTLE_MS = 60;
const TEST_TIMEOUT_MS = 120_000 + RUNS * 2_000;
/** Routes whose writes land after the answer (risk's decisions go through its event batcher, EVENTS_FLUSH_MS 20 ms): the row check waits this long after each request. */
const ASYNC_WRITES_MS: Record<string, number> = { 'risk POST /check': 60, 'risk Check': 60 };

const fleet = new FuzzFleet();
const ids: Record<string, string> = {};
const grpcClients = new Map<ServiceName, RawGrpc>();

const PROBES: Record<FuzzedService, string> = {
  'price-stream': '/cte.market.v1.PriceStream/ListMonitors',
  'signal-generator': '/cte.signals.v1.SignalGenerator/ListAgents',
  'signals-aggregator': '/cte.consensus.v1.SignalsAggregator/ListSources',
  recommendations: '/cte.recommendations.v1.Recommendations/ListRecommendations',
  risk: '/cte.risk.v1.Risk/GetTradingState',
  execution: '/cte.execution.v1.Execution/ListOrders',
  portfolio: '/cte.portfolio.v1.Portfolio/GetPortfolio',
};

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const fcParams = { numRuns: RUNS, seed: SEED, verbose: 0 as const };

function diff(before: Record<string, string>, after: Record<string, string>): string[] {
  return Object.keys({ ...before, ...after }).filter((k) => before[k] !== after[k]).map((k) => `${k}: ${before[k]} → ${after[k]}`);
}

async function quiet(): Promise<void> {
  // The fleet settles after start (replay, restore, first flushes): wait until two looks a second apart agree.
  let last = await fleet.fingerprint();
  for (let i = 0; i < 20; i++) {
    await sleep(500);
    const now = await fleet.fingerprint();
    if (diff(last, now).length === 0) return;
    last = now;
  }
  throw new Error(`the fleet's tables keep changing without requests: ${diff(last, await fleet.fingerprint()).join('; ')}`);
}

beforeAll(async () => {
  await fleet.start();
  const sg = fleet.http('signal-generator');
  const r = await fetch(`${sg}/agents`, {
    method: 'POST',
    headers: { 'x-trading-api-key': fleet.apiKey, 'content-type': 'application/json' },
    body: JSON.stringify({ name: 'fuzz-agent', type: 'trend_follower', symbol: 'BTC/USD', timeframe: '1h' }),
  });
  if (r.status !== 201) throw new Error(`creating the baseline agent: ${r.status} ${await r.text()}`);
  ids[AGENT_ID] = ((await r.json()) as { id: string }).id;
  for (const name of ALL_SERVICES) grpcClients.set(name, new RawGrpc(fleet.grpcAddress(name), fleet.apiKey));
  await quiet();
}, 180_000);

afterAll(async () => {
  for (const c of grpcClients.values()) c.close();
  await fleet.stop();
}, 60_000);

// ---------------------------------------------------------------------------------------------
// REST
// ---------------------------------------------------------------------------------------------

type Where = 'params' | 'query' | 'body';
interface RestCase {
  hostile: Array<{ where: Where; name: string; h: H }>;
  pollution?: readonly [string, string] | null;
  /** Replaces the whole body. */
  body?: Buffer;
  /** An unknown query parameter (routes without inputs). */
  extra?: H;
}

function restCases(r: RestRoute): fc.Arbitrary<RestCase> {
  const inputs = inputsOf(r);
  if (inputs.length === 0) {
    const extra = mustReject({ k: 'ref-id' }).map((h): RestCase => ({ hostile: [], extra: h }));
    if (r.method === 'GET' || r.method === 'DELETE') return extra;
    return fc.oneof(extra, fc.constantFrom(...HOSTILE_BODIES).map((body): RestCase => ({ hostile: [], body })));
  }
  const fields = fc
    .subarray(inputs, { minLength: 1, maxLength: Math.min(3, inputs.length) })
    .chain((sel) => fc.tuple(...sel.map((i) => (i.where === 'body' ? mustReject(i.kind) : mustRejectText(i.kind)).map((h) => ({ where: i.where, name: i.name, h })))));
  const withFields = fc.record({ hostile: fields, pollution: r.body ? fc.option(fc.constantFrom(...POLLUTION_KEYS), { freq: 3 }) : fc.constant(null) });
  if (!r.body) return withFields;
  return fc.oneof({ weight: 5, arbitrary: withFields }, { weight: 1, arbitrary: fc.constantFrom(...HOSTILE_BODIES).map((body): RestCase => ({ hostile: [], body })) });
}

function restRequest(r: RestRoute, c: RestCase): { url: string; init: RequestInit } {
  const hostileOf = (where: Where, name: string) => c.hostile.find((x) => x.where === where && x.name === name)?.h;
  const path = r.path.replace(/:(\w+)/g, (_, name: string) => {
    const h = hostileOf('params', name);
    if (h) return toUrlValues(h)[0] ?? '';
    const v = r.baseline.params?.[name];
    if (v === undefined) throw new Error(`${r.method} ${r.path}: no baseline for :${name}`);
    return percentEncode(Buffer.from(ids[v] ?? v, 'utf8'));
  });
  const query: string[] = [];
  for (const [name, v] of Object.entries(r.baseline.query ?? {})) if (!hostileOf('query', name)) query.push(`${name}=${percentEncode(Buffer.from(v, 'utf8'))}`);
  for (const x of c.hostile.filter((h) => h.where === 'query')) for (const v of toUrlValues(x.h)) query.push(`${x.name}=${v}`);
  if (c.extra) for (const v of toUrlValues(c.extra)) query.push(`fuzz_extra=${v}`);
  const url = `${fleet.http(r.service)}${path}${query.length > 0 ? `?${query.join('&')}` : ''}`;
  const headers: Record<string, string> = { 'x-trading-api-key': fleet.apiKey };
  let body: Buffer | undefined = c.body;
  if (!body && r.body) {
    const parts: Buffer[] = [];
    for (const [name, v] of Object.entries(r.baseline.body ?? {})) if (!hostileOf('body', name)) parts.push(Buffer.concat([plainJsonBytes(name), Buffer.from(':'), plainJsonBytes(v)]));
    for (const x of c.hostile.filter((h) => h.where === 'body')) parts.push(Buffer.concat([plainJsonBytes(x.name), Buffer.from(':'), toJsonBytes(x.h)]));
    if (c.pollution) parts.push(Buffer.from(`${JSON.stringify(c.pollution[0])}:${c.pollution[1]}`));
    body = Buffer.concat([Buffer.from('{'), ...parts.flatMap((p, i) => (i === 0 ? [p] : [Buffer.from(','), p])), Buffer.from('}')]);
  }
  if (body) headers['content-type'] = 'application/json';
  return { url, init: { method: r.method, headers, body: r.method === 'GET' ? undefined : body, signal: AbortSignal.timeout(ANSWER_WITHIN_MS * 2) } };
}

function describeRestCase(c: RestCase): string {
  const parts = c.hostile.map((x) => `${x.where}.${x.name} = ${describeH(x.h)}`);
  if (c.pollution) parts.push(`+ key ${c.pollution[0]}`);
  if (c.body) parts.push(`body = ${describeH({ t: 'bytes', v: c.body.subarray(0, 40) })}… (${c.body.length} bytes)`);
  if (c.extra) parts.push(`?fuzz_extra = ${describeH(c.extra)}`);
  return parts.join('; ');
}

/** The last fingerprint taken: the "before" of the next request. */
let lastSeen: Record<string, string> | undefined;

/** Compares the fleet's rows with the last look, and remembers this one. */
async function rowChanges(): Promise<string[]> {
  const before = lastSeen ?? (await fleet.fingerprint());
  const after = await fleet.fingerprint();
  lastSeen = after;
  return diff(before, after);
}

async function checkRest(r: RestRoute, c: RestCase): Promise<void> {
  const { url, init } = restRequest(r, c);
  const started = Date.now();
  let status: number;
  let text: string;
  try {
    const res = await fetch(url, init);
    status = res.status;
    text = await res.text();
  } catch (err) {
    await rowChanges();
    throw new Error(`${r.method} ${r.path} [${describeRestCase(c)}]: no answer within ${ANSWER_WITHIN_MS * 2} ms (${(err as Error).message})`);
  }
  const ms = Date.now() - started;
  // Rows first: every case leaves the fingerprint current, so a write is blamed on the request that made it.
  await sleep(ASYNC_WRITES_MS[`${r.service} ${r.method} ${r.path}`] ?? 0);
  const changed = await rowChanges();
  const where = `${r.method} ${r.path} [${describeRestCase(c)}] → ${status} ${text.slice(0, 300)}`;
  if (changed.length > 0) throw new Error(`${where}: rows changed: ${changed.join('; ')}`);
  const urlCarriesHostile = c.hostile.some((x) => x.where !== 'body') || c.extra !== undefined;
  const allowed = [...r.allowed, ...(urlCarriesHostile ? URL_TOO_LONG : [])];
  if (!allowed.includes(status)) throw new Error(`${where}: status not in ${allowed.join('/')}`);
  if (ms > ANSWER_WITHIN_MS) throw new Error(`${where}: answered after ${ms} ms`);
  if (status >= 400 && !URL_TOO_LONG.includes(status)) {
    let message: unknown;
    try {
      message = (JSON.parse(text) as { error?: { message?: unknown } }).error?.message;
    } catch {
      throw new Error(`${where}: error body is not JSON`);
    }
    if (typeof message !== 'string') throw new Error(`${where}: no error.message`);
    if (message.length > MAX_MESSAGE) throw new Error(`${where}: error message of ${message.length} characters`);
  }
}

describe.each(ALL_SERVICES)('REST fuzz: %s', (service) => {
  const routes = REST_ROUTES.filter((r) => r.service === service);
  it.each(routes.map((r) => [`${r.method} ${r.path}`, r] as const))('%s refuses hostile input without harm', async (_label, route) => {
    const start = await fleet.fingerprint();
    await fc.assert(
      fc.asyncProperty(restCases(route), (c) => checkRest(route, c)),
      fcParams,
    );
    await sleep(SETTLE_MS);
    expect(diff(start, await fleet.fingerprint())).toEqual([]);
  }, TEST_TIMEOUT_MS);
});

// ---------------------------------------------------------------------------------------------
// gRPC
// ---------------------------------------------------------------------------------------------

interface RpcCase {
  hostile: Array<{ field: string; h: H }>;
}

const TARGETS = rpcTargets();

/** Fields a client library can put a hostile value in (any varint is a valid bool, so bools only take part in the wire-level test). */
const fuzzable = (t: RpcTarget) => t.fields.filter((f) => f.kind.k !== 'bool');

function rpcCases(t: RpcTarget): fc.Arbitrary<RpcCase> {
  const fields = fuzzable(t);
  if (fields.length === 0) return mustReject({ k: 'ref-id' }).map((h) => ({ hostile: [{ field: '#99', h }] }));
  return fc
    .subarray(fields, { minLength: 1, maxLength: Math.min(3, fields.length) })
    .chain((sel) => fc.tuple(...sel.map((f) => mustRejectText(f.kind).map((h) => ({ field: f.name, h })))))
    .map((hostile) => ({ hostile }));
}

function resolveIds(v: unknown): unknown {
  if (typeof v === 'string') return ids[v] ?? v;
  if (Array.isArray(v)) return v.map(resolveIds);
  return v;
}

/**
 * The request bytes (the baseline with the hostile fields replaced), or undefined when every
 * hostile value would decode as "not set". Not `typed`: the hostile fields alone, since a lenient
 * decoder may read a mistyped field as unset and the baseline is a valid request.
 */
function rpcRequest(t: RpcTarget, c: RpcCase, typed = true): Buffer | undefined {
  const base: Record<string, unknown> = {};
  if (typed) for (const [k, v] of Object.entries(t.spec.baseline)) if (!c.hostile.some((x) => x.field === k)) base[k] = resolveIds(v);
  const extra: Buffer[] = [];
  for (const x of c.hostile) {
    if (x.field === '#99') {
      // No fields: an unknown field 99 carrying the value, which a server must skip.
      const b = encodeField(99, 'TYPE_STRING', false, x.h, typed);
      if (b) extra.push(b);
      continue;
    }
    const f = t.fields.find((ff) => ff.name === x.field)!;
    const b = encodeField(f.number, f.type, f.repeated, x.h, typed);
    if (b) extra.push(b);
  }
  if (extra.length === 0) return undefined;
  return Buffer.concat([t.serialize(base), ...extra]);
}

async function probe(service: FuzzedService, client: RawGrpc, where: string): Promise<void> {
  const p = await client.unary(PROBES[service], Buffer.alloc(0), PROBE_WITHIN_MS * 5);
  if (p.code !== grpc.status.OK || p.ms > PROBE_WITHIN_MS) throw new Error(`${where}: the probe call on the same client then got ${grpc.status[p.code]} after ${p.ms} ms (${p.details.slice(0, 200)})`);
}

async function checkRpc(t: RpcTarget, c: RpcCase): Promise<boolean> {
  const request = rpcRequest(t, c);
  if (!request) return false;
  const client = grpcClients.get(t.service)!;
  const label = `${t.method} [${c.hostile.map((x) => `${x.field} = ${describeH(x.h)}`).join('; ')}]`;
  const res = t.streaming ? await client.stream(t.path, request, 1_500, ANSWER_WITHIN_MS * 2) : { ...(await client.unary(t.path, request, ANSWER_WITHIN_MS * 2)), streaming: false };
  await sleep(ASYNC_WRITES_MS[`${t.service} ${t.method}`] ?? 0);
  const changed = await rowChanges();
  const where = `${label} → ${grpc.status[res.code]} "${res.details.slice(0, 300)}" after ${res.ms} ms`;
  if (changed.length > 0) throw new Error(`${where}: rows changed: ${changed.join('; ')}`);
  if (res.streaming) throw new Error(`${where}: the stream was accepted and kept open`);
  if (!t.spec.allowed.includes(res.code)) throw new Error(`${where}: code not in ${t.spec.allowed.map((x) => grpc.status[x]).join('/')}`);
  if (res.ms > ANSWER_WITHIN_MS) throw new Error(`${where}: answered too late`);
  if (res.details.length > MAX_MESSAGE) throw new Error(`${where}: status details of ${res.details.length} characters`);
  await probe(t.service, client, where);
  return true;
}

describe.each(ALL_SERVICES)('gRPC fuzz: %s', (service) => {
  const targets = TARGETS.filter((t) => t.service === service);
  it.each(targets.map((t) => [t.method, t] as const))('%s refuses hostile input without harm', async (_label, target) => {
    const start = await fleet.fingerprint();
    let sent = 0;
    await fc.assert(
      fc.asyncProperty(rpcCases(target), async (c) => {
        if (await checkRpc(target, c)) sent++;
      }),
      fcParams,
    );
    expect(sent).toBeGreaterThan(0);
    await sleep(SETTLE_MS);
    expect(diff(start, await fleet.fingerprint())).toEqual([]);
  }, TEST_TIMEOUT_MS);

  // What no client library sends: each field with a wrong wire type, and bytes that are no protobuf
  // message. protobufjs decodes some of it leniently (then the decoded request is judged like any
  // other), the rest fails to decode: either way the caller's fault, never INTERNAL, never a stall.
  it('wrong wire types and bytes that are no protobuf message get the caller\'s fault, and the connection keeps working', async () => {
    const client = grpcClients.get(service)!;
    const failures: string[] = [];
    for (const t of targets) {
      const requests: Array<[string, Buffer]> = MALFORMED_MESSAGES.map((b) => [b.toString('hex'), b]);
      for (const f of t.fields.length > 0 ? t.fields.map((x) => x.name) : ['#99']) {
        requests.push([`${f} with a wrong wire type`, rpcRequest(t, { hostile: [{ field: f, h: { t: 'wire' } }] }, false)!]);
      }
      for (const [what, bytes] of requests) {
        const res = t.streaming ? await client.stream(t.path, bytes, 150, ANSWER_WITHIN_MS * 2) : { ...(await client.unary(t.path, bytes, ANSWER_WITHIN_MS * 2)), streaming: false };
        // Undecodable: INVALID_ARGUMENT, even where the message has no fields; leniently decoded: judged as the request it became.
        const allowed = [...t.spec.allowed, grpc.status.OK, grpc.status.INVALID_ARGUMENT];
        if (!allowed.includes(res.code) || res.details.length > MAX_MESSAGE || res.ms > ANSWER_WITHIN_MS) {
          failures.push(`${t.method} ${what} → ${grpc.status[res.code]} "${res.details.slice(0, 120)}" after ${res.ms} ms`);
        }
        const changed = await rowChanges();
        await probe(service, client, `${t.method} ${what}`);
        if (changed.length > 0) failures.push(`${t.method} ${what}: rows changed: ${changed.join('; ')}`);
      }
    }
    expect(failures).toEqual([]);
  }, TEST_TIMEOUT_MS);
});

// ---------------------------------------------------------------------------------------------
// The fleet afterwards
// ---------------------------------------------------------------------------------------------

describe('after the fuzzing', () => {
  it('every service is still ready and none logged a crash', async () => {
    const ready = await fleet.readiness();
    expect(ready).toEqual(Object.fromEntries(ALL_SERVICES.map((n) => [n, 200])));
    expect(fleet.crashLines()).toEqual([]);
    for (const name of ALL_SERVICES) expect([name, fleet.target(name).svc.child.exitCode]).toEqual([name, null]);
  });
});
