/**
 * Deployment files are generated from the one declaration (shared/src/services.ts): they must not
 * drift, must render with kustomize (overlays and `kubectl apply -k k8s/`), validate against the
 * Kubernetes schemas (kubernetes-models), be hardened, open exactly the declared network flows,
 * give shutdown its drain delay and grace period, and render the Deployment once for kustomize
 * and Helm.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import Ajv from 'ajv';
import { parse, parseAllDocuments } from 'yaml';
import { DATASTORES, envPrefix, SANDBOX_SERVICES, sandboxClientEnv, SERVICES, SHUTDOWN_TIMING, type SandboxServiceName, type ServiceName } from '@cte/shared';
import { describeNeeding } from '@cte/testkit';
import {
  ALERTMANAGER_PORT,
  BARS_FILE,
  BARS_MOUNT,
  BARS_SOURCE_DIR,
  CAPTURES_CLAIM,
  CAPTURES_MOUNT,
  COMPOSE_SHELL_SWITCHES,
  composeSecretEnvFile,
  declaredGrpcFlows,
  declaredHttpFlows,
  declaredSandboxFlows,
  DEFAULT_OVERLAY,
  generateAll,
  helmDeploymentTemplate,
  helmSandboxTemplate,
  helmValues,
  helmValuesSchema,
  killAfterSeconds,
  npmWorkspaces,
  SANDBOX_NAMES,
  SANDBOX_OVERLAY,
  sandboxClientEnvs,
  ownSecretExampleFile,
  ownSecrets,
  SERVICE_NAMES,
  serviceWorkspaceDeps,
} from '../index';

const ROOT = path.resolve(__dirname, '..', '..', '..', '..');

/** The parts of Kubernetes objects these tests read. */
interface Probe {
  httpGet: { path: string; port: string };
}
interface Container {
  name: string;
  ports: Array<{ name: string; containerPort: number }>;
  resources: Record<'requests' | 'limits', { cpu?: string; memory?: string }>;
  securityContext: {
    runAsNonRoot?: boolean;
    readOnlyRootFilesystem?: boolean;
    allowPrivilegeEscalation?: boolean;
    capabilities?: { drop?: string[] };
    seccompProfile?: { type: string };
  };
  livenessProbe: Probe;
  readinessProbe: Probe;
  startupProbe: Probe;
  lifecycle?: { preStop?: unknown };
  image: string;
  command?: string[];
  volumeMounts?: Array<{ name: string; mountPath: string; readOnly?: boolean }>;
}
interface PodSpec {
  securityContext: { runAsNonRoot?: boolean; seccompProfile?: { type: string } };
  automountServiceAccountToken?: boolean;
  terminationGracePeriodSeconds?: number;
  containers: Container[];
  initContainers?: Container[];
  volumes?: Array<{ name: string; emptyDir?: object; persistentVolumeClaim?: { claimName: string; readOnly?: boolean }; hostPath?: object }>;
}
interface Selector {
  matchLabels: Record<string, string>;
}
interface PolicyPeer {
  podSelector: Selector;
  namespaceSelector?: Selector;
}
interface PolicyRule {
  from: PolicyPeer[];
  to?: PolicyPeer[];
  ports: Array<{ port: number; protocol: string }>;
}
interface K8sObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string> };
  spec: {
    replicas?: number;
    strategy?: { type: string };
    template: { metadata: { labels: Record<string, string> }; spec: PodSpec };
    ports: Array<{ name: string; port: number }>;
    podSelector?: Selector;
    policyTypes?: string[];
    ingress?: PolicyRule[];
    egress?: PolicyRule[];
  };
  data?: Record<string, string>;
  stringData?: Record<string, string>;
}
interface ComposeService {
  image?: string;
  profiles?: string[];
  environment?: Record<string, string>;
  build?: { context: string; args: Record<string, string> };
  depends_on?: Record<string, { condition: string }>;
  healthcheck?: { test?: unknown };
  mem_limit?: string;
  stop_grace_period?: string;
  volumes?: string[];
  ports?: string[];
}
interface Compose {
  services: Record<string, ComposeService>;
}

const parseObjects = (text: string): K8sObject[] => parseAllDocuments(text).map((d) => d.toJS() as K8sObject).filter(Boolean);

const workspaces = npmWorkspaces(ROOT);
const workspaceDeps = serviceWorkspaceDeps(ROOT, workspaces);
const generated = generateAll(workspaces, workspaceDeps);

function listFiles(dir: string): string[] {
  const abs = path.join(ROOT, dir);
  if (!fs.existsSync(abs)) return [];
  return fs.readdirSync(abs, { recursive: true, withFileTypes: true })
    .filter((d) => d.isFile())
    .map((d) => path.relative(ROOT, path.join(d.parentPath, d.name)));
}

describe('generated deployment files', () => {
  it('equal the committed files byte for byte (run `make generate` after changing services.ts)', () => {
    const drifted = Object.entries(generated)
      .filter(([rel, text]) => !fs.existsSync(path.join(ROOT, rel)) || fs.readFileSync(path.join(ROOT, rel), 'utf8') !== text)
      .map(([rel]) => rel);
    expect(drifted).toEqual([]);
  });

  it('leave no stale file behind in the generated folders', () => {
    const topOfK8s = fs.readdirSync(path.join(ROOT, 'k8s'), { withFileTypes: true }).filter((d) => d.isFile()).map((d) => `k8s/${d.name}`);
    const onDisk = [...topOfK8s, ...listFiles('k8s/base'), ...listFiles('k8s/overlays'), ...listFiles('charts/crypto-trading-engine')];
    expect(onDisk.filter((f) => !(f in generated))).toEqual([]);
  });

  it('include the Dockerfile, Prometheus scrape config and k8s/kustomization.yaml', () => {
    expect(Object.keys(generated)).toEqual(expect.arrayContaining(['Dockerfile', 'k8s/monitoring/prometheus.yml', 'k8s/kustomization.yaml']));
  });
});

// ---------------------------------------------------------------- Dockerfile

describe('Dockerfile', () => {
  const text = generated.Dockerfile!;
  const stages = text.split(/^FROM /m).slice(1);
  const stage = (name: string) => stages.find((s) => s.split('\n')[0]!.endsWith(` AS ${name}`))!;
  const copiedManifests = (body: string) => [...body.matchAll(/^COPY (?:--from=build \/app\/)?(\S+)\/package\.json \1\/$/gm)].map((m) => m[1]);

  it('copies the manifest of every npm workspace before `npm ci`, in the build and prod-deps stages', () => {
    expect(workspaces).toEqual(expect.arrayContaining(['shared', 'tools/deploy', ...[...SERVICE_NAMES, ...SANDBOX_NAMES].map((n) => `services/${n}`)]));
    for (const name of ['build', 'prod-deps']) {
      const body = stage(name);
      expect({ name, manifests: copiedManifests(body) }).toEqual({ name, manifests: workspaces });
      expect(body.indexOf('package.json services/')).toBeLessThan(body.indexOf('RUN npm ci'));
    }
  });

  it('ships the compiled output of every workspace a service imports (the emulator and signal-generator: price-stream)', () => {
    expect(workspaceDeps['venue-emulator']).toEqual(['services/price-stream']);
    expect(workspaceDeps['signal-generator']).toEqual(['services/price-stream']);
    for (const name of [...SERVICE_NAMES, ...SANDBOX_NAMES]) {
      const pkg = JSON.parse(fs.readFileSync(path.join(ROOT, 'services', name, 'package.json'), 'utf8')) as { dependencies?: Record<string, string> };
      const imported = Object.keys(pkg.dependencies ?? {}).filter((d) => d.startsWith('@cte/') && d !== '@cte/shared').map((d) => `services/${d.slice(5)}`);
      expect({ name, deps: workspaceDeps[name] ?? [] }).toEqual({ name, deps: expect.arrayContaining(imported) });
    }
    const arms = [...generated.Dockerfile!.matchAll(/case "\$SERVICE" in(.*?) esac/g)].map((m) => m[1]);
    expect(arms).toHaveLength(2);
    for (const arm of arms) expect(arm).toContain(' venue-emulator) echo services/price-stream ;;');
    expect(stage('runtime')).toContain('COPY --from=bundle --chown=root:root /bundle/services ./services');
    expect(stage('bundle')).toMatch(/rm -rf "\/bundle\/services\/\$\{SERVICE\}\/src"/);
  });

  it('ships no tooling: the runtime stage copies shared and the one service, nothing from tools/', () => {
    const runtime = stage('runtime');
    expect(runtime).not.toMatch(/tools\//);
    expect(runtime).toMatch(/COPY --from=build --chown=root:root \/app\/shared\/dist \.\/shared\/dist/);
    expect(fs.existsSync(path.join(ROOT, 'shared', 'src', 'deploy'))).toBe(false);
    expect(fs.existsSync(path.join(ROOT, 'shared', 'src', 'bin', 'gen-deploy.ts'))).toBe(false);
  });
});

// ---------------------------------------------------------------- shutdown timing

describe('shutdown timing in the deployments', () => {
  it('keeps serving longer than endpoint removal takes, and lets the orchestrators wait for drain delay + grace', () => {
    // Endpoint removal reaches kube-proxy and ingress controllers within 1-3 s.
    expect(SHUTDOWN_TIMING.drainDelayMs).toBeGreaterThanOrEqual(3_000);
    expect(killAfterSeconds() * 1000).toBeGreaterThanOrEqual(SHUTDOWN_TIMING.drainDelayMs + SHUTDOWN_TIMING.graceMs + 3_000);
    const common = parseObjects(generated['k8s/base/configmap.yaml']!).find((o) => o.metadata.name === 'cte-common')!;
    expect(common.data).toMatchObject({ SHUTDOWN_DRAIN_DELAY_MS: String(SHUTDOWN_TIMING.drainDelayMs), SHUTDOWN_GRACE_MS: String(SHUTDOWN_TIMING.graceMs) });
    for (const name of SERVICE_NAMES) {
      const deployment = parseObjects(generated[`k8s/base/${name}.yaml`]!).find((o) => o.kind === 'Deployment')!;
      const pod = deployment.spec.template.spec;
      expect({ name, grace: pod.terminationGracePeriodSeconds }).toEqual({ name, grace: killAfterSeconds() });
      // The process drains by itself after SIGTERM: a preStop sleep would only add to the wait.
      expect({ name, preStop: pod.containers[0]!.lifecycle?.preStop }).toEqual({ name, preStop: undefined });
    }
    expect(helmValues().terminationGracePeriodSeconds).toBe(killAfterSeconds());
  });
});

describe('the declaration', () => {
  it('lists as `calls` exactly the peers each service reads a <PEER>_GRPC_ADDR for', () => {
    for (const name of SERVICE_NAMES) {
      const srcDir = path.join(ROOT, 'services', name, 'src');
      const used = new Set<ServiceName>();
      for (const rel of listFiles(path.relative(ROOT, srcDir))) {
        if (rel.includes('__tests__') || !rel.endsWith('.ts')) continue;
        const text = fs.readFileSync(path.join(ROOT, rel), 'utf8');
        for (const peer of SERVICE_NAMES) if (text.includes(`'${envPrefix(peer)}_GRPC_ADDR'`)) used.add(peer);
      }
      expect({ name, calls: [...SERVICES[name].calls].sort() }).toEqual({ name, calls: [...used].sort() });
    }
  });

  it('gives every heap cap room below the memory limit', () => {
    for (const name of SERVICE_NAMES) {
      const { nodeOptions, resources } = SERVICES[name];
      const heap = Number(/--max-old-space-size=(\d+)/.exec(nodeOptions)?.[1] ?? 0);
      expect(resources.limits.memoryMi).toBeGreaterThanOrEqual(heap + 128);
      expect(resources.requests.memoryMi).toBeLessThanOrEqual(resources.limits.memoryMi);
    }
  });

  it('keeps the stateful singletons at one replica', () => {
    for (const name of ['risk', 'execution', 'portfolio', 'signals-aggregator'] as const) expect(SERVICES[name].replicas).toBe(1);
  });
});

// ---------------------------------------------------------------- Kubernetes

const hasKubectl = spawnSync('kubectl', ['version', '--client'], { encoding: 'utf8' }).status === 0;
const TARGETS = ['k8s/base', 'k8s/overlays/dev', 'k8s/overlays/prod', SANDBOX_OVERLAY, 'k8s'];
const isSandbox = (t: string) => t === SANDBOX_OVERLAY;
const isSandboxName = (n: string): n is SandboxServiceName => (SANDBOX_NAMES as string[]).includes(n);

/** Declared container ports of a workload, by name. */
function declaredPorts(name: ServiceName | SandboxServiceName): Array<[string, number]> {
  if (isSandboxName(name)) return [['http', SANDBOX_SERVICES[name].httpPort], ...Object.entries(SANDBOX_SERVICES[name].ports)];
  return [['http', SERVICES[name].httpPort], ['grpc', SERVICES[name].grpcPort]];
}

function render(dir: string): K8sObject[] {
  const out = execFileSync('kubectl', ['kustomize', path.join(ROOT, dir)], { encoding: 'utf8', maxBuffer: 64 << 20 });
  return parseObjects(out);
}

/**
 * Validates objects against the Kubernetes OpenAPI schemas bundled in kubernetes-models (ESM-only,
 * so it runs in a child node process). Returns one message per invalid object.
 */
function validateK8s(objects: K8sObject[]): string[] {
  const script = `
    const objects = JSON.parse(require('node:fs').readFileSync(0, 'utf8'));
    const errors = [];
    for (const o of objects) {
      try {
        const mod = await import('kubernetes-models/' + o.apiVersion + '/' + o.kind);
        new mod[o.kind](o).validate();
      } catch (e) { errors.push(o.kind + '/' + (o.metadata && o.metadata.name) + ': ' + e.message); }
    }
    process.stdout.write(JSON.stringify(errors));`;
  const r = spawnSync(process.execPath, ['--input-type=module', '-e', `import { createRequire } from 'node:module'; const require = createRequire(process.cwd() + '/'); ${script}`], {
    cwd: ROOT,
    input: JSON.stringify(objects),
    encoding: 'utf8',
  });
  if (r.status !== 0) throw new Error(`validator failed: ${r.stderr}`);
  return JSON.parse(r.stdout) as string[];
}

const describeK8s = describeNeeding('kubectl (kustomize)', hasKubectl, 'install kubectl: it renders `kubectl kustomize` offline');

describeK8s('kustomize base and overlays', () => {
  const rendered = new Map<string, K8sObject[]>();
  beforeAll(() => {
    for (const t of TARGETS) rendered.set(t, render(t));
  });

  it(`\`kubectl apply -k k8s/\` applies the ${DEFAULT_OVERLAY} overlay`, () => {
    expect(rendered.get('k8s')).toEqual(rendered.get(`k8s/overlays/${DEFAULT_OVERLAY}`));
  });

  it('render, and every object validates against the Kubernetes schemas', () => {
    for (const t of TARGETS) {
      const objects = rendered.get(t)!;
      expect(objects.length).toBeGreaterThan(30);
      expect({ t, errors: validateK8s(objects) }).toEqual({ t, errors: [] });
    }
  });

  it('the validator rejects an invalid object (it is not a no-op)', () => {
    const bad = { apiVersion: 'v1', kind: 'Service', metadata: { name: 'x' }, spec: { ports: [{ port: 'eighty' }] } };
    expect(validateK8s([bad as unknown as K8sObject])).toHaveLength(1);
  });

  it('put everything in one namespace, ship only placeholder Secrets in base and none in prod', () => {
    for (const t of TARGETS) {
      for (const o of rendered.get(t)!) if (o.kind !== 'Namespace') expect(o.metadata).toHaveProperty('namespace', 'crypto-trading');
    }
    const secrets = rendered.get('k8s/base')!.filter((o) => o.kind === 'Secret');
    expect(secrets.map((s) => s.metadata.name).sort()).toEqual(['cte-secrets', ...ownSecrets().map((s) => s.name)].sort());
    for (const secret of secrets) {
      expect(secret.data).toBeUndefined();
      for (const v of Object.values(secret.stringData as Record<string, string>)) expect(v).toContain('CHANGE_ME');
    }
    expect(rendered.get('k8s/overlays/prod')!.filter((o) => o.kind === 'Secret')).toEqual([]);
  });

  it('harden every workload: non-root, read-only root fs, no escalation, caps dropped, seccomp, probes, requests/limits', () => {
    for (const t of TARGETS) {
      const workloads = rendered.get(t)!.filter((o) => o.kind === 'Deployment' || o.kind === 'Job');
      expect(workloads.map((w) => w.metadata.name).sort()).toEqual([...SERVICE_NAMES, 'migrate', ...(isSandbox(t) ? SANDBOX_NAMES : [])].sort());
      for (const w of workloads) {
        const pod = w.spec.template.spec;
        expect(pod.securityContext.runAsNonRoot).toBe(true);
        expect(pod.automountServiceAccountToken).toBe(false);
        // Pod security `restricted` (the namespace enforces it) forbids hostPath.
        expect((pod.volumes ?? []).filter((v) => v.hostPath)).toEqual([]);
        for (const c of [...pod.containers, ...(pod.initContainers ?? [])]) {
          const sc = c.securityContext;
          const where = `${t} ${w.kind}/${w.metadata.name}`;
          expect({ where, runAsNonRoot: sc.runAsNonRoot, ro: sc.readOnlyRootFilesystem, esc: sc.allowPrivilegeEscalation, drop: sc.capabilities?.drop, seccomp: sc.seccompProfile?.type ?? pod.securityContext.seccompProfile?.type })
            .toEqual({ where, runAsNonRoot: true, ro: true, esc: false, drop: ['ALL'], seccomp: 'RuntimeDefault' });
          for (const k of ['requests', 'limits'] as const) {
            expect(c.resources[k].cpu).toBeDefined();
            expect(c.resources[k].memory).toBeDefined();
          }
          if (w.kind === 'Deployment' && pod.containers.includes(c)) {
            const name = w.metadata.name as ServiceName | SandboxServiceName;
            const decl = isSandboxName(name) ? { ...SANDBOX_SERVICES[name], replicas: 1 } : SERVICES[name];
            expect(c.livenessProbe.httpGet.path).toBe('/health');
            expect(c.readinessProbe.httpGet.path).toBe('/ready');
            expect(c.startupProbe.httpGet).toBeDefined();
            expect(w.spec.replicas).toBe(decl.replicas);
            expect(c.ports.map((p) => [p.name, p.containerPort])).toEqual(declaredPorts(name));
            expect(c.resources.limits.memory).toBe(`${decl.resources.limits.memoryMi}Mi`);
            // Only /tmp is writable; every data volume is mounted read-only.
            for (const m of c.volumeMounts ?? []) expect({ where, m: m.name, ro: m.mountPath === '/tmp' || m.readOnly === true }).toEqual({ where, m: m.name, ro: true });
          }
        }
      }
    }
  });

  it('give every service a ServiceAccount, a Service with named http and grpc ports, and a PodDisruptionBudget', () => {
    const objects = rendered.get('k8s/base')!;
    for (const name of SERVICE_NAMES) {
      const of = (kind: string) => objects.filter((o) => o.kind === kind && o.metadata.name === name);
      expect(of('ServiceAccount')).toHaveLength(1);
      expect(of('PodDisruptionBudget')).toHaveLength(1);
      const [svc] = of('Service');
      expect(svc!.spec.ports.map((p) => [p.name, p.port])).toEqual([['http', SERVICES[name].httpPort], ['grpc', SERVICES[name].grpcPort]]);
    }
  });

  it('wire peers through <PEER>_GRPC_ADDR at their Service DNS names', () => {
    const cms = rendered.get('k8s/base')!.filter((o) => o.kind === 'ConfigMap');
    for (const name of SERVICE_NAMES) {
      const data = cms.find((c) => c.metadata.name === name)!.data ?? {};
      const addrs = Object.entries(data).filter(([k]) => k.endsWith('_GRPC_ADDR'));
      expect(addrs.sort()).toEqual(SERVICES[name].calls.map((p) => [`${envPrefix(p)}_GRPC_ADDR`, `${p}:${SERVICES[p].grpcPort}`]).sort());
    }
  });

  it('NetworkPolicies deny by default and allow exactly the declared flows', () => {
    for (const t of TARGETS) {
      const policies = rendered.get(t)!.filter((o) => o.kind === 'NetworkPolicy');
      const deny = policies.find((p) => p.metadata.name === 'default-deny')!;
      expect(deny.spec).toEqual({ podSelector: {}, policyTypes: ['Ingress', 'Egress'] });

      const grpcPorts = new Map(SERVICE_NAMES.map((n) => [SERVICES[n].grpcPort, n]));
      const egress = new Set<string>();
      const ingress = new Set<string>();
      const sharedEgressPorts = new Set<string>();
      for (const p of policies) {
        const self = p.spec.podSelector?.matchLabels?.['app.kubernetes.io/name'];
        for (const rule of p.spec.egress ?? []) {
          const ports = rule.ports.map((x) => `${x.protocol}/${x.port}`);
          if (!rule.to) {
            // Destination-free egress is only allowed for DNS and the datastores, for the whole fleet.
            expect(p.spec.podSelector).toEqual({ matchLabels: { 'app.kubernetes.io/part-of': 'crypto-trading-engine' } });
            for (const x of ports) sharedEgressPorts.add(x);
            continue;
          }
          for (const to of rule.to) for (const x of rule.ports) egress.add(`${self}->${to.podSelector.matchLabels['app.kubernetes.io/name']}:${x.port}`);
        }
        for (const rule of p.spec.ingress ?? []) {
          for (const x of rule.ports) {
            const sandboxPort = self !== undefined && isSandboxName(self) && Object.values(SANDBOX_SERVICES[self].ports).includes(x.port);
            if (grpcPorts.get(x.port) === self || sandboxPort) {
              for (const from of rule.from) ingress.add(`${from.podSelector.matchLabels['app.kubernetes.io/name']}->${self}:${x.port}`);
            } else {
              // The only other ingress: the service's own HTTP port (REST API, /metrics).
              expect(x.port).toBe(self !== undefined && isSandboxName(self) ? SANDBOX_SERVICES[self].httpPort : SERVICES[self as ServiceName].httpPort);
            }
          }
        }
      }
      const flows = [...declaredGrpcFlows(), ...(isSandbox(t) ? declaredSandboxFlows() : [])];
      const expected = flows.map((f) => `${f.from}->${f.to}:${f.port}`).sort();
      // HTTP reads (readsHttp: the console's Fleet view) need an egress flow only: every HTTP port admits the namespace.
      const httpFlows = declaredHttpFlows().map((f) => `${f.from}->${f.to}:${f.port}`);
      expect(httpFlows.length).toBe(SERVICE_NAMES.length - 1);
      expect([...egress].sort()).toEqual([...expected, ...httpFlows].sort());
      expect([...ingress].sort()).toEqual(expected);
      expect([...sharedEgressPorts].sort()).toEqual(
        ['UDP/53', 'TCP/53', `TCP/${DATASTORES.mysql.port}`, `TCP/${DATASTORES.redis.port}`].sort(),
      );
    }
  });
});

describeK8s('the sandbox overlay', () => {
  let sandbox: K8sObject[];
  let dev: K8sObject[];
  beforeAll(() => {
    sandbox = render(SANDBOX_OVERLAY);
    dev = render(`k8s/overlays/${DEFAULT_OVERLAY}`);
  });
  const named = (objects: K8sObject[], kind: string, name: string) => objects.find((o) => o.kind === kind && o.metadata.name === name);

  it('is the dev overlay plus the sandbox services; no other target runs them', () => {
    const key = (o: K8sObject) => `${o.kind}/${o.metadata.name}`;
    const added = sandbox.map(key).filter((k) => !dev.map(key).includes(k)).sort();
    const policies = declaredSandboxFlows().map((f) => `NetworkPolicy/${f.from}-to-${f.to}`);
    const perService = SANDBOX_NAMES.flatMap((n) => ['ServiceAccount', 'ConfigMap', 'Deployment', 'Service', 'NetworkPolicy'].map((k) => `${k}/${n}`));
    expect(added).toEqual([...new Set([...perService, ...policies, `PersistentVolumeClaim/${CAPTURES_CLAIM}`])].sort());
    for (const t of ['k8s/base', 'k8s/overlays/dev', 'k8s/overlays/prod', 'k8s']) {
      const objects = t === `k8s/overlays/${DEFAULT_OVERLAY}` ? dev : render(t);
      expect({ t, sandbox: objects.filter((o) => (SANDBOX_NAMES as string[]).includes(o.metadata.name)).map(key) }).toEqual({ t, sandbox: [] });
    }
    for (const o of sandbox) expect({ o: key(o), env: o.metadata.labels?.['cte.dev/environment'] }).toEqual({ o: key(o), env: 'sandbox' });
  });

  it('points each client at the sandbox services by their Service names (price-stream: MARKET_SOURCE=ccxt at the emulator)', () => {
    for (const name of SANDBOX_NAMES) {
      for (const client of Object.keys(SANDBOX_SERVICES[name].clients) as ServiceName[]) {
        const want = sandboxClientEnv(name, client, name);
        expect(named(sandbox, 'ConfigMap', client)!.data).toMatchObject(want);
        // dev keeps the production values.
        const devData = named(dev, 'ConfigMap', client)!.data ?? {};
        for (const k of Object.keys(want)) expect({ k, dev: devData[k] }).toEqual({ k, dev: SERVICES[client].env[k] });
      }
    }
    const ps = named(sandbox, 'ConfigMap', 'price-stream')!.data!;
    expect(ps).toMatchObject({ MARKET_SOURCE: 'ccxt', VENUE_URL_COINBASE: `http://venue-emulator:${SANDBOX_SERVICES['venue-emulator'].ports.coinbase}` });
    const svc = named(sandbox, 'Service', 'venue-emulator')!;
    expect(svc.spec.ports.map((p) => [p.name, p.port])).toEqual(declaredPorts('venue-emulator'));
  });

  it('gives the emulator its data read-only: bundled bars copied from the price-stream image, captures from a claim, nothing baked in', () => {
    const pod = named(sandbox, 'Deployment', 'venue-emulator')!.spec.template.spec;
    const [main] = pod.containers;
    expect(main!.image).toBe('crypto-trading-engine/venue-emulator:dev');
    const mounts = Object.fromEntries((main!.volumeMounts ?? []).map((m) => [m.mountPath, m]));
    expect(mounts[BARS_MOUNT]?.readOnly).toBe(true);
    expect(mounts[CAPTURES_MOUNT]?.readOnly).toBe(true);
    const volume = (mountPath: string) => pod.volumes!.find((v) => v.name === mounts[mountPath]!.name)!;
    expect(volume(CAPTURES_MOUNT).persistentVolumeClaim).toEqual({ claimName: CAPTURES_CLAIM, readOnly: true });
    expect(volume(BARS_MOUNT).emptyDir).toBeDefined();
    const [init] = pod.initContainers!;
    expect(init!.image).toBe('crypto-trading-engine/price-stream:dev');
    expect(init!.command).toEqual(['cp', `/app/${BARS_SOURCE_DIR}/${BARS_FILE}`, `${BARS_MOUNT}/`]);
    expect(fs.existsSync(path.join(ROOT, BARS_SOURCE_DIR, BARS_FILE))).toBe(true);
    // The Dockerfile ships services/<name> with its data: the bars are in the price-stream image.
    expect(generated.Dockerfile).toContain('cp -a "services/${SERVICE}" /bundle/services/');
    const env = named(sandbox, 'ConfigMap', 'venue-emulator')!.data!;
    expect(env).toMatchObject({ VENUE_EMULATOR_HOST: '0.0.0.0', VENUE_EMULATOR_DATA_DIR: CAPTURES_MOUNT });
    expect(env['VENUE_EMULATOR_BARS']).toContain(`${BARS_MOUNT}/${BARS_FILE}`);
    // Same kit environment and secret as every service (drain delay, key rotation).
    expect(main!).toMatchObject({ envFrom: [{ configMapRef: { name: 'cte-common' } }, { configMapRef: { name: 'venue-emulator' } }, { secretRef: { name: 'cte-secrets' } }] });
    expect(pod.terminationGracePeriodSeconds).toBe(killAfterSeconds());
  });

  it('ships a captures loader pod that validates and mounts the same claim', () => {
    const [loader] = parseObjects(generated[`${SANDBOX_OVERLAY}/captures-loader.yaml`]!);
    expect(validateK8s([loader!])).toEqual([]);
    expect(loader!.metadata.namespace).toBe('crypto-trading');
    expect((loader as unknown as { spec: PodSpec }).spec.volumes).toEqual([{ name: 'captures', persistentVolumeClaim: { claimName: CAPTURES_CLAIM } }]);
    const kustomization = parse(generated[`${SANDBOX_OVERLAY}/kustomization.yaml`]!) as { resources: string[] };
    expect(kustomization.resources).not.toContain('captures-loader.yaml');
  });
});

// ---------------------------------------------------------------- compose

describe('docker-compose.trading-complete.yml', () => {
  const compose = parse(fs.readFileSync(path.join(ROOT, 'docker-compose.trading-complete.yml'), 'utf8')) as Compose;

  it('runs the seven services, the datastores, migrate, Prometheus, Alertmanager and Grafana, and the sandbox services only in the sandbox profile', () => {
    expect(Object.keys(compose.services).sort()).toEqual([...SERVICE_NAMES, ...SANDBOX_NAMES, 'mysql', 'redis', 'migrate', 'prometheus', 'alertmanager', 'grafana'].sort());
    const profiled = Object.entries(compose.services).filter(([, s]) => s.profiles !== undefined);
    expect(profiled.map(([n, s]) => [n, s.profiles])).toEqual(SANDBOX_NAMES.map((n) => [n, ['sandbox']]));
  });

  it('runs the emulator hardened, on its declared ports, with its data bind-mounted read-only', () => {
    const emu = compose.services['venue-emulator']!;
    const decl = SANDBOX_SERVICES['venue-emulator'];
    expect(emu.image).toBe('crypto-trading-engine/venue-emulator:0.1.0');
    expect(emu.build).toMatchObject({ context: '.', args: { SERVICE: 'venue-emulator' } });
    expect(emu.ports).toEqual([decl.httpPort, ...Object.values(decl.ports)].map((p) => `127.0.0.1:${p}:${p}`));
    expect(emu.volumes).toEqual([`../shared/data:${CAPTURES_MOUNT}:ro`, `./${BARS_SOURCE_DIR}:${BARS_MOUNT}:ro`]);
    expect(emu.environment).toMatchObject({ VENUE_EMULATOR_HOST: '0.0.0.0', VENUE_EMULATOR_DATA_DIR: CAPTURES_MOUNT, SHUTDOWN_DRAIN_DELAY_MS: String(SHUTDOWN_TIMING.drainDelayMs) });
    expect(emu.environment!['TRADING_API_KEYS_ACCEPTED']).toBe('${TRADING_API_KEYS_ACCEPTED:-}');
    expect(emu.stop_grace_period).toBe(`${killAfterSeconds()}s`);
    expect(emu).toMatchObject({ read_only: true, cap_drop: ['ALL'], security_opt: ['no-new-privileges:true'] });
  });

  it('keeps price-stream on replay unless MARKET_SOURCE=ccxt is set, then at the emulator (or VENUE_URL_<EX>= for the venue itself)', () => {
    const env = compose.services['price-stream']!.environment!;
    expect(env['MARKET_SOURCE']).toBe(`\${MARKET_SOURCE:-${SERVICES['price-stream'].env['MARKET_SOURCE']}}`);
    const sandbox = sandboxClientEnv('venue-emulator', 'price-stream', 'venue-emulator');
    for (const [k, v] of Object.entries(sandbox)) if (k !== 'MARKET_SOURCE') expect(env[k]).toBe(`\${${k}-${v}}`);
    expect(env['VENUE_URL_COINBASE']).toBe(`\${VENUE_URL_COINBASE-http://venue-emulator:${SANDBOX_SERVICES['venue-emulator'].ports.coinbase}}`);
  });

  it('gives services time to drain before SIGKILL, and Prometheus sends alerts to the Alertmanager', () => {
    for (const name of SERVICE_NAMES) expect({ name, stop: compose.services[name]!.stop_grace_period }).toEqual({ name, stop: `${killAfterSeconds()}s` });
    const prometheus = parse(generated['k8s/monitoring/prometheus.yml']!) as { alerting: { alertmanagers: Array<{ static_configs: Array<{ targets: string[] }> }> } };
    expect(prometheus.alerting.alertmanagers.flatMap((a) => a.static_configs.flatMap((c) => c.targets))).toEqual([`alertmanager:${ALERTMANAGER_PORT}`]);
    expect(compose.services.alertmanager!.volumes).toContain('./k8s/monitoring/alertmanager.yml:/etc/alertmanager/alertmanager.yml:ro');
    expect(compose.services.alertmanager!.ports).toEqual([`127.0.0.1:${ALERTMANAGER_PORT}:${ALERTMANAGER_PORT}`]);
  });

  it('gives every service a memory limit, and every long-running one a healthcheck', () => {
    for (const [name, s] of Object.entries(compose.services)) {
      expect({ name, mem: typeof s.mem_limit }).toEqual({ name, mem: 'string' });
      if (name !== 'migrate') expect({ name, hc: Array.isArray(s.healthcheck?.test) }).toEqual({ name, hc: true });
    }
  });

  it('starts services only after their dependencies are healthy (and migrations done)', () => {
    for (const name of [...SERVICE_NAMES, 'grafana', 'migrate']) {
      const deps = compose.services[name]!.depends_on!;
      expect(Object.keys(deps).length).toBeGreaterThan(0);
      for (const [dep, { condition }] of Object.entries(deps)) {
        expect({ name, dep, condition }).toEqual({ name, dep, condition: dep === 'migrate' ? 'service_completed_successfully' : 'service_healthy' });
      }
    }
    for (const name of SERVICE_NAMES) {
      const s = compose.services[name]!;
      for (const peer of SERVICES[name].dependsOn) expect(s.depends_on![peer]).toEqual({ condition: 'service_healthy' });
      expect(s.build).toMatchObject({ context: '.', args: { SERVICE: name } });
      expect(s.mem_limit).toBe(`${SERVICES[name].resources.limits.memoryMi}m`);
    }
  });
});

describe('docker-compose.trading-complete.yml mounts', () => {
  it('refer only to files that exist in the repository (k8s/monitoring)', () => {
    const compose = parse(fs.readFileSync(path.join(ROOT, 'docker-compose.trading-complete.yml'), 'utf8')) as Compose;
    const binds = Object.values(compose.services).flatMap((s) => s.volumes ?? []).filter((v) => v.startsWith('./'));
    expect(binds.length).toBeGreaterThan(0);
    for (const v of binds) expect({ v, exists: fs.existsSync(path.join(ROOT, v.split(':')[0]!)) }).toEqual({ v, exists: true });
  });
});

// ---------------------------------------------------------------- Helm

/**
 * Renders the few Go-template constructs the generated Deployment template uses (no helm binary
 * here): `$name`, `$svc.<path>`, `$.Values.<path>`, `$.Release.Name`, string literals, `int`, `add`,
 * `div`, `eq`, `quote`, `hasKey`, pipes, parentheses, `if eq … else … end` within a line and
 * `{{- if … }}` … `{{- end }}` blocks over lines. Anything else throws, so a template change
 * beyond this subset fails the test instead of passing unrendered.
 */
interface HelmValuesView {
  services: Record<string, Record<string, unknown>>;
}

function renderHelmDeployment(template: string, values: HelmValuesView, release: string): Map<string, K8sObject> {
  const head = '{{- range $name, $svc := .Values.services }}\n---\n';
  const tail = '{{- end }}\n';
  if (!template.startsWith(head) || !template.endsWith(tail)) throw new Error('unexpected range around the Deployment template');
  const body = template.slice(head.length, -tail.length);
  const out = new Map<string, K8sObject>();
  for (const [name, svc] of Object.entries(values.services)) {
    const lookup = (ref: string): unknown => {
      const [root, ...rest] = ref.split('.');
      let v: unknown = root === '$name' ? name : root === '$svc' ? svc : root === '$' ? { Values: values, Release: { Name: release } } : undefined;
      if (v === undefined) throw new Error(`unknown variable ${ref}`);
      for (const k of rest) v = (v as Record<string, unknown>)[k];
      if (v === undefined) throw new Error(`${ref} is not set`);
      return v;
    };
    const evaluate = (expr: string): unknown => {
      const tokens = expr.match(/\(|\)|\||[^\s()|]+/g) ?? [];
      let i = 0;
      const operand = (): unknown => {
        const t = tokens[i++];
        if (t === '(') {
          const v = pipeline();
          if (tokens[i++] !== ')') throw new Error(`unbalanced ( in ${expr}`);
          return v;
        }
        if (t === undefined) throw new Error(`incomplete ${expr}`);
        if (/^-?\d+$/.test(t)) return Number(t);
        if (/^"[^"]*"$/.test(t)) return JSON.parse(t) as string;
        if (t.startsWith('$')) return lookup(t);
        throw new Error(`unsupported operand ${t} in ${expr}`);
      };
      const call = (fn: string, args: unknown[]): unknown => {
        const n = (x: unknown) => {
          if (typeof x !== 'number' || !Number.isInteger(x)) throw new Error(`${fn}: ${String(x)} is not an integer`);
          return x;
        };
        switch (fn) {
          case 'int': return n(args[0]);
          case 'add': return n(args[0]) + n(args[1]);
          case 'div': return Math.trunc(n(args[0]) / n(args[1]));
          case 'eq': return args[0] === args[1];
          case 'quote': return JSON.stringify(String(args[0]));
          case 'hasKey': return Object.hasOwn(args[0] as object, String(args[1]));
          default: throw new Error(`unsupported function ${fn}`);
        }
      };
      const command = (piped: unknown[] = []): unknown => {
        const t = tokens[i];
        if (t !== undefined && /^[a-z][A-Za-z]*$/.test(t)) {
          i++;
          const args: unknown[] = [];
          while (i < tokens.length && tokens[i] !== ')' && tokens[i] !== '|') args.push(operand());
          return call(t, [...args, ...piped]);
        }
        if (piped.length) throw new Error(`cannot pipe into ${t}`);
        return operand();
      };
      const pipeline = (): unknown => {
        let v = command();
        while (tokens[i] === '|') {
          i++;
          v = command([v]);
        }
        return v;
      };
      const v = pipeline();
      if (i !== tokens.length) throw new Error(`trailing tokens in ${expr}`);
      return v;
    };
    const text = body
      // `{{- if … }} … {{- end }}` over lines; `{{-` trims the whitespace (newline included) before it.
      .replace(/\s*\{\{- if (.+?) \}\}(.*?)\s*\{\{- end \}\}/gs, (_m, cond: string, inner: string) => (evaluate(cond) ? inner : ''))
      .replace(/\{\{ if (.+?) \}\}(.*?)\{\{ else \}\}(.*?)\{\{ end \}\}/g, (_m, cond: string, a: string, b: string) => (evaluate(cond) ? a : b))
      .replace(/\{\{ (.+?) \}\}/g, (_m, expr: string) => String(evaluate(expr)));
    if (text.includes('{{')) throw new Error(`unrendered action in ${text}`);
    out.set(name, parse(text) as K8sObject);
  }
  return out;
}

describe('Helm chart', () => {
  it('renders the Deployment kustomize gets, from the same object (plus the release label)', () => {
    const template = fs.readFileSync(path.join(ROOT, 'charts/crypto-trading-engine/templates/deployment.yaml'), 'utf8');
    expect(template).toBe(helmDeploymentTemplate());
    const values = parse(fs.readFileSync(path.join(ROOT, 'charts/crypto-trading-engine/values.yaml'), 'utf8')) as HelmValuesView;
    const rendered = renderHelmDeployment(template, values, 'cte');
    expect([...rendered.keys()].sort()).toEqual([...SERVICE_NAMES].sort());
    for (const name of SERVICE_NAMES) {
      const fromKustomize = parseObjects(generated[`k8s/base/${name}.yaml`]!).find((o) => o.kind === 'Deployment')!;
      const expected = structuredClone(fromKustomize);
      expected.metadata.labels!['app.kubernetes.io/instance'] = 'cte';
      expected.spec.template.metadata.labels['app.kubernetes.io/instance'] = 'cte';
      expect(rendered.get(name)).toEqual(expected);
    }
    // The renderer is not a no-op: other values give another Deployment.
    const scaled = structuredClone(values);
    scaled.services['price-stream']!.replicas = 2;
    expect(renderHelmDeployment(template, scaled, 'cte').get('price-stream')!.spec.strategy).toEqual({ type: 'RollingUpdate' });
  });

  const chart = path.join(ROOT, 'charts/crypto-trading-engine');

  it('renders the sandbox (sandbox.enabled, off by default) from the objects of the kustomize overlay, and points its clients at it', () => {
    const template = fs.readFileSync(path.join(ROOT, 'charts/crypto-trading-engine/templates/sandbox.yaml'), 'utf8');
    expect(template).toBe(helmSandboxTemplate());
    const head = '{{- if .Values.sandbox.enabled }}\n';
    const tail = '{{- end }}\n';
    expect(template.startsWith(head) && template.endsWith(tail)).toBe(true);
    const values = parse(fs.readFileSync(path.join(ROOT, 'charts/crypto-trading-engine/values.yaml'), 'utf8')) as { image: { repositoryPrefix: string; tag: string }; sandbox: { enabled: boolean; clientEnv: Record<string, Record<string, string>> } };
    expect(values.sandbox.enabled).toBe(false);
    expect(values.sandbox.clientEnv).toEqual(Object.fromEntries(sandboxClientEnvs((n) => n)));
    const body = template
      .slice(head.length, -tail.length)
      .replace(/\{\{ \$\.Values\.image\.repositoryPrefix \}\}/g, values.image.repositoryPrefix)
      .replace(/\{\{ \$\.Values\.image\.tag \}\}/g, values.image.tag);
    expect(body).not.toContain('{{');
    expect(parseObjects(body)).toEqual(parseObjects(generated[`${SANDBOX_OVERLAY}/venue-emulator.yaml`]!));
    const configmaps = fs.readFileSync(path.join(ROOT, 'charts/crypto-trading-engine/templates/configmap.yaml'), 'utf8');
    expect(configmaps).toContain('{{- if and $.Values.sandbox.enabled (hasKey $.Values.sandbox.clientEnv $name) }}');
    expect(configmaps).toContain('{{- $env = merge (dict) (index $.Values.sandbox.clientEnv $name) $svc.env }}');
  });

  it('values.yaml equals the generator output and validates against values.schema.json', () => {
    const values = parse(fs.readFileSync(path.join(chart, 'values.yaml'), 'utf8')) as HelmValuesView;
    expect(values).toEqual(helmValues());
    const schema = JSON.parse(fs.readFileSync(path.join(chart, 'values.schema.json'), 'utf8')) as object;
    expect(schema).toEqual(helmValuesSchema());
    const validate = new Ajv({ allErrors: true, strict: false }).compile(schema);
    expect(validate(values) ? [] : validate.errors).toEqual([]);
    // The schema is not a no-op: a string replica count is rejected.
    const bad = structuredClone(values);
    bad.services.risk!.replicas = 'one';
    expect(validate(bad)).toBe(false);
  });
});

// ---------------------------------------------------------------- a service's own Secret (execution's venue keys)

describe("a service's own Secret (execution's venue keys: least privilege)", () => {
  const VENUE_SECRET = 'cte-venue-keys';
  const venueKeys = SERVICES.execution.ownSecret?.keys ?? [];
  const CONSOLE_SECRET = 'cte-console-operators';
  const consoleKeys = SERVICES.console.ownSecret?.keys ?? [];
  /** Deployments and Jobs of a set of objects, with the Secrets their containers take their environment from. */
  const secretRefs = (objects: K8sObject[]) =>
    objects
      .filter((o) => o.kind === 'Deployment' || o.kind === 'Job')
      .flatMap((w) => [...w.spec.template.spec.containers, ...(w.spec.template.spec.initContainers ?? [])].map((c) => ({ w, c })))
      .flatMap(({ w, c }) => ((c as unknown as { envFrom?: Array<{ secretRef?: { name: string; optional?: boolean } }> }).envFrom ?? []).flatMap((e) => (e.secretRef ? [{ workload: `${w.kind}/${w.metadata.name}`, ...e.secretRef }] : [])));

  it('is declared for execution and the console only; execution\'s holds exactly the variables it reads for live trading', () => {
    expect(ownSecrets()).toEqual([
      { service: 'execution', name: VENUE_SECRET, keys: venueKeys },
      { service: 'console', name: CONSOLE_SECRET, keys: consoleKeys },
    ]);
    const read = new Set<string>();
    for (const rel of listFiles('services/execution/src')) {
      if (rel.includes('__tests__') || !rel.endsWith('.ts')) continue;
      const text = fs.readFileSync(path.join(ROOT, rel), 'utf8');
      for (const m of text.matchAll(/'((?:BINANCEUS|COINBASE|KUCOIN)_API_(?:KEY|SECRET|PASSPHRASE))'/g)) read.add(m[1]!);
      for (const m of text.matchAll(/LIVE_ACK_ENV = '([A-Z_]+)'/g)) read.add(m[1]!);
    }
    expect(read.size).toBeGreaterThanOrEqual(8);
    expect([...venueKeys].sort()).toEqual([...read].sort());
  });

  it("the console's holds exactly its sign-in variables: operators and the session key", () => {
    const config = fs.readFileSync(path.join(ROOT, 'services/console/src/config.ts'), 'utf8');
    const read = new Set<string>();
    for (const m of config.matchAll(/'(CONSOLE_OPERATORS|CONSOLE_SESSION_SECRET)'/g)) read.add(m[1]!);
    expect([...read].sort()).toEqual(['CONSOLE_OPERATORS', 'CONSOLE_SESSION_SECRET']);
    expect([...consoleKeys].sort()).toEqual([...read].sort());
  });

  describeK8s('in kustomize', () => {
    const rendered = new Map<string, K8sObject[]>();
    beforeAll(() => {
      for (const t of TARGETS) rendered.set(t, render(t));
    });

    it('only execution references it, optional (it starts in TRADING_MODE=mock without it); every workload keeps the shared Secret', () => {
      for (const t of TARGETS) {
        const refs = secretRefs(rendered.get(t)!);
        expect({ t, venue: refs.filter((r) => r.name === VENUE_SECRET) }).toEqual({ t, venue: [{ workload: 'Deployment/execution', name: VENUE_SECRET, optional: true }] });
        const workloads = rendered.get(t)!.filter((o) => o.kind === 'Deployment' || o.kind === 'Job').map((w) => `${w.kind}/${w.metadata.name}`);
        expect({ t, shared: refs.filter((r) => r.name === 'cte-secrets').map((r) => r.workload).sort() }).toEqual({ t, shared: workloads.sort() });
        // The shared Secret stays required: a missing cte-secrets must stop the pod, not run it keyless.
        expect(refs.filter((r) => r.name === 'cte-secrets' && r.optional !== undefined)).toEqual([]);
      }
    });

    it('ships a placeholder example in base (dev and sandbox apply it) and none in prod', () => {
      const file = `k8s/base/${ownSecretExampleFile(VENUE_SECRET)}`;
      expect(parse(generated['k8s/base/kustomization.yaml']!)).toMatchObject({ resources: expect.arrayContaining([ownSecretExampleFile(VENUE_SECRET)]) });
      expect(generated[file]).toContain(`kubectl -n crypto-trading create secret generic ${VENUE_SECRET}`);
      for (const t of ['k8s/base', 'k8s/overlays/dev', SANDBOX_OVERLAY, 'k8s']) {
        const example = rendered.get(t)!.find((o) => o.kind === 'Secret' && o.metadata.name === VENUE_SECRET);
        expect({ t, keys: Object.keys(example?.stringData ?? {}).sort() }).toEqual({ t, keys: [...venueKeys].sort() });
        expect({ t, values: [...new Set(Object.values(example!.stringData!))] }).toEqual({ t, values: ['CHANGE_ME'] });
      }
      const prod = rendered.get('k8s/overlays/prod')!;
      expect(prod.filter((o) => o.kind === 'Secret')).toEqual([]);
      // prod still references it (optional), so the Deployment is the same apart from the patched requests.
      expect(secretRefs(prod).filter((r) => r.name === VENUE_SECRET)).toEqual([{ workload: 'Deployment/execution', name: VENUE_SECRET, optional: true }]);
    });

    it('the example validates, and no variable of it reaches a ConfigMap', () => {
      const example = rendered.get('k8s/base')!.find((o) => o.kind === 'Secret' && o.metadata.name === VENUE_SECRET)!;
      expect(validateK8s([example])).toEqual([]);
      for (const t of TARGETS) {
        for (const cm of rendered.get(t)!.filter((o) => o.kind === 'ConfigMap')) {
          expect({ t, cm: cm.metadata.name, leaked: Object.keys(cm.data ?? {}).filter((k) => venueKeys.includes(k)) }).toEqual({ t, cm: cm.metadata.name, leaked: [] });
        }
      }
    });
  });

  it('Helm: values give only execution ownSecretName; the template renders the optional reference for it alone, and drops it when the value is removed', () => {
    const template = fs.readFileSync(path.join(ROOT, 'charts/crypto-trading-engine/templates/deployment.yaml'), 'utf8');
    const values = parse(fs.readFileSync(path.join(ROOT, 'charts/crypto-trading-engine/values.yaml'), 'utf8')) as HelmValuesView;
    expect(Object.fromEntries(Object.entries(values.services).filter(([, v]) => 'ownSecretName' in v).map(([n, v]) => [n, v['ownSecretName']]))).toEqual({ execution: VENUE_SECRET, console: CONSOLE_SECRET });
    const refsOf = (rendered: Map<string, K8sObject>) => secretRefs([...rendered.values()]).filter((r) => r.name === VENUE_SECRET);
    expect(refsOf(renderHelmDeployment(template, values, 'cte'))).toEqual([{ workload: 'Deployment/execution', name: VENUE_SECRET, optional: true }]);
    // Helm drops a key set to null (`--set services.execution.ownSecretName=null`).
    const without = structuredClone(values);
    delete without.services.execution!['ownSecretName'];
    const rendered = renderHelmDeployment(template, without, 'cte');
    expect(refsOf(rendered)).toEqual([]);
    expect(rendered.get('execution')!.spec.template.spec.containers[0]).toMatchObject({ envFrom: [{ configMapRef: { name: 'cte-common' } }, { configMapRef: { name: 'execution' } }, { secretRef: { name: 'cte-secrets' } }] });
    // The schema takes a name, not an empty string.
    const validate = new Ajv({ allErrors: true, strict: false }).compile(helmValuesSchema());
    const empty = structuredClone(values);
    empty.services.execution!['ownSecretName'] = '';
    expect(validate(empty)).toBe(false);
  });

  it('compose: only execution reads the optional env file, which the image build context ignores; the file holds no key', () => {
    const text = fs.readFileSync(path.join(ROOT, 'docker-compose.trading-complete.yml'), 'utf8');
    const compose = parse(text) as { services: Record<string, ComposeService & { env_file?: unknown }> };
    const withEnvFile = Object.entries(compose.services).filter(([, s]) => s.env_file !== undefined).map(([n, s]) => [n, s.env_file]);
    const envFile = composeSecretEnvFile(VENUE_SECRET);
    expect(Object.fromEntries(withEnvFile)).toEqual({ execution: [{ path: envFile, required: false }], console: [{ path: composeSecretEnvFile(CONSOLE_SECRET), required: false }] });
    // `COPY . .` in the build stage: the key file must be excluded by .dockerignore.
    const globToRegExp = (g: string) => new RegExp(`^${g.split('*').map((p) => p.replace(/[.+?^${}()|[\]\\]/g, '\\$&')).join('[^/]*')}$`);
    const ignored = fs.readFileSync(path.join(ROOT, '.dockerignore'), 'utf8').split('\n').map((l) => l.trim()).filter((l) => l && !l.startsWith('#'));
    expect(ignored.some((g) => globToRegExp(g).test(path.posix.normalize(envFile)))).toBe(true);
    for (const k of [...venueKeys, ...consoleKeys]) expect({ k, inCompose: text.includes(k) }).toEqual({ k, inCompose: false });
    // Live trading is switched on from the shell: `environment` would win over the env file.
    expect(compose.services.execution!.environment!['TRADING_MODE']).toBe(`\${TRADING_MODE:-${SERVICES.execution.env['TRADING_MODE']}}`);
    expect(COMPOSE_SHELL_SWITCHES).toEqual(['TRADING_MODE']);
  });
});
