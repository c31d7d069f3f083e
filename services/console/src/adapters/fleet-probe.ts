/**
 * Fleet view: each service's /health (version, uptime) and /ready (failed checks and why), probed
 * in parallel with a timeout. An absent or hung service is reported unreachable, never an error.
 */
import type { ServiceName } from '@cte/shared';
import { processSample, type ProcessSample } from '../engine/prom-text';

export interface ServiceStatus {
  service: ServiceName;
  url: string;
  reachable: boolean;
  ready: boolean;
  version: string;
  uptime_s: number | null;
  /** Readiness checks: name → ok, and the reason or detail. */
  checks: Record<string, { ok: boolean; reason: string }>;
  /** Why it is not ready or unreachable, in one line. */
  reason: string;
}

async function getJson(url: string, timeoutMs: number): Promise<{ status: number; body: unknown }> {
  const res = await fetch(url, { signal: AbortSignal.timeout(timeoutMs), redirect: 'error' });
  const text = await res.text();
  let body: unknown;
  try {
    body = JSON.parse(text.slice(0, 65536));
  } catch {
    body = undefined;
  }
  return { status: res.status, body };
}

/** Largest /metrics body read (a service with many symbols exposes a lot). */
const MAX_METRICS_BYTES = 8 * 1024 * 1024;

export interface SystemSample extends ProcessSample {
  service: ServiceName;
  reachable: boolean;
}

const str = (v: unknown, max = 200): string => (typeof v === 'string' ? v.slice(0, max) : '');

export class FleetProbe {
  constructor(
    private readonly targets: ReadonlyArray<{ service: ServiceName; url: string }>,
    private readonly timeoutMs: number,
  ) {}

  probeAll(): Promise<ServiceStatus[]> {
    return Promise.all(this.targets.map((t) => this.probe(t.service, t.url)));
  }

  /** CPU seconds, memory and event-loop lag of every service, from its /metrics. */
  sampleAll(): Promise<SystemSample[]> {
    return Promise.all(
      this.targets.map(async ({ service, url }) => {
        try {
          const res = await fetch(`${url}/metrics`, { signal: AbortSignal.timeout(this.timeoutMs), redirect: 'error' });
          const length = Number(res.headers.get('content-length') ?? 0);
          if (!res.ok || length > MAX_METRICS_BYTES) throw new Error('no metrics');
          const text = await res.text();
          return { service, reachable: true, ...processSample(text.slice(0, MAX_METRICS_BYTES)) };
        } catch {
          return { service, reachable: false, cpu_seconds: null, rss_bytes: null, heap_used_bytes: null, eventloop_lag_p99_s: null };
        }
      }),
    );
  }

  private async probe(service: ServiceName, url: string): Promise<ServiceStatus> {
    const status: ServiceStatus = { service, url, reachable: false, ready: false, version: '', uptime_s: null, checks: {}, reason: '' };
    try {
      const [health, ready] = await Promise.all([getJson(`${url}/health`, this.timeoutMs), getJson(`${url}/ready`, this.timeoutMs)]);
      status.reachable = true;
      const h = (health.body ?? {}) as Record<string, unknown>;
      status.version = str(h.version, 40);
      status.uptime_s = typeof h.uptime_s === 'number' && Number.isFinite(h.uptime_s) ? h.uptime_s : null;
      const r = (ready.body ?? {}) as Record<string, unknown>;
      status.ready = ready.status === 200 && r.status === 'ready';
      const checks = typeof r.checks === 'object' && r.checks !== null ? (r.checks as Record<string, unknown>) : {};
      for (const [name, c] of Object.entries(checks).slice(0, 50)) {
        const cc = (typeof c === 'object' && c !== null ? c : {}) as Record<string, unknown>;
        status.checks[name.slice(0, 60)] = { ok: cc.ok === true, reason: str(cc.error) || str(cc.detail) };
      }
      if (!status.ready) {
        const failed = Object.entries(status.checks).filter(([, c]) => !c.ok);
        status.reason =
          r.status === 'shutting_down'
            ? 'shutting down'
            : failed.length > 0
              ? failed.map(([n, c]) => (c.reason ? `${n}: ${c.reason}` : n)).join('; ')
              : `/ready answered ${ready.status}`;
      }
    } catch (err) {
      const e = err as Error;
      status.reason = e.name === 'TimeoutError' ? `no answer within ${this.timeoutMs} ms` : 'unreachable';
    }
    return status;
  }
}
