/**
 * Prometheus metrics for a service. One Registry per service process, with the
 * prom-client default process/nodejs metrics under their usual names (so stock
 * Node.js dashboards work) and a `service` label on every series.
 *
 * Our own metrics follow `cte_<noun>_<unit>` (DESIGN.md, principle 9);
 * `lintMetricsText` checks an exposition against those rules and is meant to
 * be called from each service's tests.
 */
import { collectDefaultMetrics, Histogram, Registry } from 'prom-client';

/** Latency buckets in seconds: sub-millisecond floors (loopback gRPC ≈ 0.4 ms) up to 10 s. */
export const LATENCY_BUCKETS_SECONDS: readonly number[] = [
  0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10,
];

export const HTTP_REQUEST_DURATION = 'cte_http_request_duration_seconds';
export const GRPC_REQUEST_DURATION = 'cte_grpc_request_duration_seconds';

export type HttpDurationLabels = 'method' | 'route' | 'status';
export type GrpcDurationLabels = 'method' | 'code';

/** A registry with prom-client's default metrics and the default label `service`. */
export function createMetrics(service: string): Registry {
  const registry = new Registry();
  registry.setDefaultLabels({ service });
  collectDefaultMetrics({ register: registry });
  return registry;
}

function histogram<L extends string>(registry: Registry, name: string, help: string, labelNames: readonly L[]): Histogram<L> {
  const existing = registry.getSingleMetric(name);
  if (existing) {
    if (!(existing instanceof Histogram)) throw new Error(`metric ${name} is registered but is not a histogram`);
    return existing;
  }
  return new Histogram<L>({ name, help, labelNames, buckets: [...LATENCY_BUCKETS_SECONDS], registers: [registry] });
}

/**
 * `cte_http_request_duration_seconds{method,route,status}`; `route` is the
 * express route pattern (for example `/orders/:id`), never the raw URL, so the
 * number of series stays bounded. Idempotent per registry.
 */
export function httpRequestDuration(registry: Registry): Histogram<HttpDurationLabels> {
  return histogram(registry, HTTP_REQUEST_DURATION, 'HTTP request duration in seconds, by route pattern', [
    'method',
    'route',
    'status',
  ]);
}

/**
 * `cte_grpc_request_duration_seconds{method,code}`; `method` is the full gRPC
 * path (`/cte.market.v1.PriceStream/GetPrice`), `code` the status name (`OK`,
 * `NOT_FOUND`, ...). For streaming calls it is the lifetime of the stream.
 */
export function grpcRequestDuration(registry: Registry): Histogram<GrpcDurationLabels> {
  return histogram(registry, GRPC_REQUEST_DURATION, 'gRPC server call duration in seconds, by method and status code', [
    'method',
    'code',
  ]);
}

// ---------------------------------------------------------------------------
// Exposition lint
// ---------------------------------------------------------------------------

/** Units accepted as the last segment of a `cte_*` metric name. */
export const METRIC_UNITS: readonly string[] = ['seconds', 'bytes', 'ratio', 'total', 'info'];

const NAME_RE = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const SAMPLE_RE = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{.*\})?\s+(\S+)(\s+-?\d+)?$/;

export interface MetricsLintOptions {
  /** Extra units allowed at the end of `cte_*` names (besides METRIC_UNITS). */
  units?: readonly string[];
}

/**
 * Checks Prometheus text exposition (format 0.0.4) and returns the problems
 * found (empty when clean): every family has HELP and TYPE, names are valid,
 * counters end in `_total`, and `cte_*` names are lower snake case
 * `cte_<noun>_<unit>` with a known unit (and only counters end in `_total`).
 */
export function lintMetricsText(text: string, opts: MetricsLintOptions = {}): string[] {
  const problems: string[] = [];
  const help = new Set<string>();
  const types = new Map<string, string>();
  const sampled = new Set<string>();
  const units = [...METRIC_UNITS, ...(opts.units ?? [])];
  const cteRe = new RegExp(`^cte_[a-z][a-z0-9]*(?:_[a-z0-9]+)*_(?:${units.join('|')})$`);

  const familyOf = (sample: string): string => {
    if (types.has(sample)) return sample;
    for (const suffix of ['_bucket', '_sum', '_count', '_created']) {
      if (sample.endsWith(suffix)) {
        const base = sample.slice(0, -suffix.length);
        const t = types.get(base);
        if (t === 'histogram' || t === 'summary') return base;
      }
    }
    return sample;
  };

  for (const [i, raw] of text.split('\n').entries()) {
    const line = raw.trim();
    if (line === '') continue;
    if (line.startsWith('#')) {
      const m = /^#\s+(HELP|TYPE)\s+(\S+)(?:\s+(.*))?$/.exec(line);
      if (!m) continue; // a plain comment
      const kind = m[1];
      const name = m[2] as string;
      const rest = m[3] ?? '';
      if (!NAME_RE.test(name)) problems.push(`line ${i + 1}: invalid metric name "${name}"`);
      if (kind === 'HELP') {
        if (rest.trim() === '') problems.push(`${name}: empty HELP`);
        help.add(name);
      } else {
        const type = rest.trim();
        if (!['counter', 'gauge', 'histogram', 'summary', 'untyped'].includes(type)) {
          problems.push(`${name}: unknown TYPE "${type}"`);
        }
        if (types.has(name)) problems.push(`${name}: TYPE declared twice`);
        types.set(name, type);
      }
      continue;
    }
    const m = SAMPLE_RE.exec(line);
    if (!m) {
      problems.push(`line ${i + 1}: unparseable sample "${line}"`);
      continue;
    }
    const value = m[3] as string;
    if (!/^(?:[+-]?(?:\d+\.?\d*(?:[eE][+-]?\d+)?|\.\d+(?:[eE][+-]?\d+)?)|[+-]?Inf|NaN)$/i.test(value)) {
      problems.push(`line ${i + 1}: invalid sample value "${value}"`);
    }
    sampled.add(familyOf(m[1] as string));
  }

  for (const name of new Set([...help, ...types.keys(), ...sampled])) {
    if (!help.has(name)) problems.push(`${name}: missing HELP`);
    if (!types.has(name)) problems.push(`${name}: missing TYPE`);
    const type = types.get(name);
    if (type === 'counter' && !name.endsWith('_total')) problems.push(`${name}: counter name must end in _total`);
    if (name.startsWith('cte_')) {
      if (!cteRe.test(name)) {
        problems.push(`${name}: must be lower snake case cte_<noun>_<unit> with unit one of ${units.join(', ')}`);
      }
      if (type !== undefined && type !== 'counter' && name.endsWith('_total')) {
        problems.push(`${name}: only counters may end in _total`);
      }
    }
  }
  return problems;
}
