/**
 * The fuzz suite's catalogues cover the whole API surface: every route the services' express
 * routers register is in rest-catalogue.ts (and nothing else is), every route-mounting call in a
 * service's main.ts is one walked here, and every RPC and request field in proto/ has a spec in
 * grpc-catalogue.ts. A route or RPC added without a catalogue entry fails here, not silently.
 */
import fs from 'node:fs';
import path from 'node:path';
import { Router } from 'express';
import { mountExecutionRoutes } from '../../services/execution/src/adapters/http';
import { mountPortfolioRoutes } from '../../services/portfolio/src/adapters/http';
import { mountPriceStreamRoutes } from '../../services/price-stream/src/adapters/http';
import { mountRecommendationRoutes } from '../../services/recommendations/src/adapters/http';
import { mountRiskRoutes } from '../../services/risk/src/adapters/http';
import { agentRoutes, taskRoutes } from '../../services/signal-generator/src/adapters/agent-http';
import { modelRoutes } from '../../services/signal-generator/src/adapters/models-http';
import { signalRoutes } from '../../services/signal-generator/src/adapters/signals-http';
import { mountAggregatorRoutes } from '../../services/signals-aggregator/src/adapters/http';
import { PROTO_FILES, rpcTargets } from './grpc-catalogue';
import { REST_ROUTES } from './rest-catalogue';
import { ALL_SERVICES, type FuzzedService } from './rig';

const REPO = path.resolve(__dirname, '..', '..');

/** Route registration never calls its dependencies, so stand-ins do (any call on one would throw). */
const stub = new Proxy({}, { get: () => { throw new Error('a route factory used its dependency while registering routes'); } });
type AnyFn = (...args: unknown[]) => unknown;
const withStubs = (fn: AnyFn, ...first: unknown[]): unknown => fn(...first, ...Array.from({ length: Math.max(0, fn.length - first.length) }, () => stub));

/** A service's routes as its main.ts mounts them: the mount functions (on the kit's router) and the router factories. */
const MOUNTERS: Record<FuzzedService, { mount?: AnyFn[]; routers?: AnyFn[] }> = {
  execution: { mount: [mountExecutionRoutes as AnyFn] },
  portfolio: { mount: [mountPortfolioRoutes as AnyFn] },
  'price-stream': { mount: [mountPriceStreamRoutes as AnyFn] },
  recommendations: { mount: [mountRecommendationRoutes as AnyFn] },
  risk: { mount: [mountRiskRoutes as AnyFn] },
  'signal-generator': { routers: [agentRoutes as AnyFn, taskRoutes as AnyFn, modelRoutes as AnyFn, signalRoutes as AnyFn] },
  'signals-aggregator': { mount: [mountAggregatorRoutes as AnyFn] },
};

interface LayerLike {
  route?: { path: string | string[]; methods: Record<string, boolean> };
  handle?: { stack?: LayerLike[] };
}

/** `METHOD /path` of every route in an express router, sub-routers included (mounted at '/'). */
function walk(stack: LayerLike[]): string[] {
  const out: string[] = [];
  for (const layer of stack) {
    if (layer.route) {
      const paths = Array.isArray(layer.route.path) ? layer.route.path : [layer.route.path];
      for (const p of paths) for (const [m, on] of Object.entries(layer.route.methods)) if (on && m !== '_all') out.push(`${m.toUpperCase()} ${p}`);
    } else if (layer.handle?.stack) {
      out.push(...walk(layer.handle.stack));
    }
  }
  return out;
}

function registeredRoutes(name: FuzzedService): string[] {
  const router = Router();
  const m = MOUNTERS[name];
  for (const fn of m.mount ?? []) withStubs(fn, router);
  for (const fn of m.routers ?? []) router.use(withStubs(fn) as Router);
  return walk((router as unknown as { stack: LayerLike[] }).stack).sort();
}

describe('the REST catalogue', () => {
  it.each(ALL_SERVICES)('%s: names exactly the routes its routers register', (name) => {
    const catalogued = REST_ROUTES.filter((r) => r.service === name).map((r) => `${r.method} ${r.path}`).sort();
    expect(catalogued).toEqual(registeredRoutes(name));
  });

  it.each(ALL_SERVICES)('%s: main.ts mounts routes only through the functions walked here', (name) => {
    const main = fs.readFileSync(path.join(REPO, 'services', name, 'src', 'main.ts'), 'utf8');
    const mounted = [...main.matchAll(/\b(mount\w+Routes)\(\s*http\.router\b/g)].map((x) => x[1]);
    const routers = [...main.matchAll(/http\.router\.use\(\s*(\w+)\(/g)].map((x) => x[1]);
    const m = MOUNTERS[name];
    expect({ mounted: mounted.sort(), routers: routers.sort() }).toEqual({ mounted: (m.mount ?? []).map((f) => f.name).sort(), routers: (m.routers ?? []).map((f) => f.name).sort() });
    // Nothing registered on the app or the router any other way.
    expect(main.match(/http\.(app|router)\.(get|post|put|patch|delete|all|route)\(/g) ?? []).toEqual([]);
    expect((main.match(/http\.router\b/g) ?? []).length).toBe(mounted.length + routers.length);
  });

  it('gives each route a baseline for every path parameter it does not always make hostile', () => {
    for (const r of REST_ROUTES) {
      const params = [...r.path.matchAll(/:(\w+)/g)].map((x) => x[1]!);
      expect([`${r.method} ${r.path}`, params.sort()]).toEqual([`${r.method} ${r.path}`, Object.keys(r.params ?? {}).sort()]);
      const inputs = Object.keys({ ...r.params, ...r.query, ...r.body }).length;
      if (inputs > 1) for (const p of params) expect([`${r.method} ${r.path}`, p, typeof r.baseline.params?.[p]]).toEqual([`${r.method} ${r.path}`, p, 'string']);
    }
  });
});

describe('the gRPC catalogue', () => {
  it('covers every RPC and every request field of proto/ (rpcTargets throws naming what it lacks)', () => {
    const targets = rpcTargets();
    for (const name of ALL_SERVICES) expect([name, targets.filter((t) => t.service === name).length > 0]).toEqual([name, true]);
    const rpcCount = Object.values(PROTO_FILES)
      .map((f) => fs.readFileSync(path.join(REPO, 'proto', f), 'utf8'))
      .reduce((n, text) => n + (text.match(/^\s*rpc\s+\w+/gm) ?? []).length, 0);
    expect(targets.length).toBe(rpcCount);
  });

  it('knows every service each main.ts adds to its gRPC server', () => {
    for (const name of ALL_SERVICES) {
      const main = fs.readFileSync(path.join(REPO, 'services', name, 'src', 'main.ts'), 'utf8');
      const added = [...main.matchAll(/addService\(\s*proto\.([\w.]+)\.service/g)].map((x) => x[1]);
      const served = rpcTargets().filter((t) => t.service === name).map((t) => t.protoService);
      expect([name, added]).toEqual([name, [...new Set(served)]]);
    }
  });
});
