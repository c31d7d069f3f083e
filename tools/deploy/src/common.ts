/** What every generator shares: names, labels, hardening, environment, YAML output. */
import { COMMON_ENV, DATASTORES, envPrefix, PROBES, SANDBOX_SERVICES, SERVICES, SHUTDOWN_TIMING, type ResourceSpec, type SandboxServiceName, type ServiceDeclaration, type ServiceName } from '@cte/shared';
import { stringify } from 'yaml';

export const NAMESPACE = 'crypto-trading';
export const PART_OF = 'crypto-trading-engine';
export const IMAGE_PREFIX = 'crypto-trading-engine';
export const IMAGE_TAG = '0.1.0';
export const SECRET_NAME = 'cte-secrets';
export const COMMON_CONFIGMAP = 'cte-common';
/** UID of the `node` user in node:20-bookworm-slim (the Dockerfile runs as it). */
export const RUN_AS_USER = 1000;
export const REDIS_URL = `redis://${DATASTORES.redis.host}:${DATASTORES.redis.port}`;

export const GENERATOR = 'node tools/deploy/dist/gen-deploy.js';
export const HEADER = `# GENERATED from shared/src/services.ts by \`make generate\` (${GENERATOR}). Do not edit.\n`;

export type Obj = Record<string, unknown>;

export const SERVICE_NAMES = Object.keys(SERVICES) as ServiceName[];
/** Sandbox-only services (shared/src/services.ts SANDBOX_SERVICES): compose profile `sandbox`, k8s/overlays/sandbox. */
export const SANDBOX_NAMES = Object.keys(SANDBOX_SERVICES) as SandboxServiceName[];
export const SANDBOX_PROFILE = 'sandbox';

export function yaml(doc: unknown): string {
  return stringify(doc, { lineWidth: 0, aliasDuplicateObjects: false });
}
export function yamlFile(...docs: unknown[]): string {
  return HEADER + docs.map(yaml).join('---\n');
}

export function sortKeys<T>(o: Record<string, T>): Record<string, T> {
  return Object.fromEntries(Object.entries(o).sort(([a], [b]) => a.localeCompare(b)));
}

export function imageFor(name: ServiceName | SandboxServiceName): string {
  return `${IMAGE_PREFIX}/${name}`;
}

/** `<PEER>_GRPC_ADDR` for every peer a service dials: the peer's Service/compose DNS name. */
export function peerEnv(decl: ServiceDeclaration): Record<string, string> {
  const out: Record<string, string> = {};
  for (const peer of decl.calls) out[`${envPrefix(peer)}_GRPC_ADDR`] = `${peer}:${SERVICES[peer].grpcPort}`;
  return out;
}

/** Non-secret environment of one service (common + declared + peers + NODE_OPTIONS). */
export function serviceEnv(name: ServiceName): Record<string, string> {
  const decl = SERVICES[name];
  const env: Record<string, string> = { ...COMMON_ENV, ...decl.env, ...peerEnv(decl) };
  if (decl.nodeOptions) env.NODE_OPTIONS = decl.nodeOptions;
  return sortKeys(env);
}

/** serviceEnv without what the common ConfigMap / commonEnv already carries. */
export function ownEnv(name: ServiceName): Record<string, string> {
  const env = serviceEnv(name);
  for (const k of Object.keys(COMMON_ENV)) delete env[k];
  return env;
}

/** Reverse of `calls`: who dials this service over gRPC. */
export function grpcCallers(name: ServiceName): ServiceName[] {
  return SERVICE_NAMES.filter((s) => SERVICES[s].calls.includes(name));
}

/** The services whose HTTP port `name` reads (its declared `readsHttp`; 'fleet' = every other service). */
export function httpReads(name: ServiceName): ServiceName[] {
  const r = SERVICES[name].readsHttp;
  if (r === undefined) return [];
  return r === 'fleet' ? SERVICE_NAMES.filter((s) => s !== name) : [...r];
}

/** Every declared HTTP read (`readsHttp`): reader → the read service's HTTP port. */
export function declaredHttpFlows(): { from: ServiceName; to: ServiceName; port: number }[] {
  return SERVICE_NAMES.flatMap((from) => httpReads(from).map((to) => ({ from, to, port: SERVICES[to].httpPort })));
}

/** Every declared flow: caller → callee gRPC port. */
export function declaredGrpcFlows(): { from: ServiceName; to: ServiceName; port: number }[] {
  return SERVICE_NAMES.flatMap((from) => SERVICES[from].calls.map((to) => ({ from, to, port: SERVICES[to].grpcPort })));
}

/**
 * Seconds an orchestrator waits after SIGTERM before SIGKILL: the drain delay, the grace period,
 * and a margin for the lifecycle's per-phase overrun allowance (1 s per phase) and process exit.
 */
export function killAfterSeconds(): number {
  return Math.ceil((SHUTDOWN_TIMING.drainDelayMs + SHUTDOWN_TIMING.graceMs) / 1000) + 5;
}

/**
 * The part of a compose service every declared process shares: readiness healthcheck, memory
 * limit, stop grace, and the hardening (read-only root, no privileges, no capabilities).
 */
export function composeRuntime(decl: { httpPort: number; startupSeconds: number; resources: ResourceSpec }): Obj {
  return {
    healthcheck: {
      test: ['CMD', 'node', '-e', `fetch('http://127.0.0.1:${decl.httpPort}${PROBES.readiness}').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))`],
      interval: '5s',
      timeout: '3s',
      retries: 5,
      start_period: `${decl.startupSeconds}s`,
    },
    mem_limit: `${decl.resources.limits.memoryMi}m`,
    // SIGKILL only after the drain delay and grace period (docker's default is 10 s).
    stop_grace_period: `${killAfterSeconds()}s`,
    read_only: true,
    tmpfs: ['/tmp'],
    security_opt: ['no-new-privileges:true'],
    cap_drop: ['ALL'],
    restart: 'unless-stopped',
  };
}

export function labels(name: string, component = 'service'): Record<string, string> {
  return { 'app.kubernetes.io/name': name, 'app.kubernetes.io/part-of': PART_OF, 'app.kubernetes.io/component': component };
}
export function selector(name: string): Record<string, string> {
  return { 'app.kubernetes.io/name': name, 'app.kubernetes.io/part-of': PART_OF };
}

export function containerSecurityContext(runAsUser: number | string): Obj {
  return {
    runAsNonRoot: true,
    runAsUser,
    runAsGroup: runAsUser,
    readOnlyRootFilesystem: true,
    allowPrivilegeEscalation: false,
    capabilities: { drop: ['ALL'] },
    seccompProfile: { type: 'RuntimeDefault' },
  };
}
export function podSecurityContext(runAsUser: number | string): Obj {
  return { runAsNonRoot: true, runAsUser, runAsGroup: runAsUser, fsGroup: runAsUser, seccompProfile: { type: 'RuntimeDefault' } };
}

export function resources(decl: { resources: ResourceSpec }): { requests: { cpu: string; memory: string }; limits: { cpu: string; memory: string } } {
  const r = decl.resources;
  return {
    requests: { cpu: r.requests.cpu, memory: `${r.requests.memoryMi}Mi` },
    limits: { cpu: r.limits.cpu, memory: `${r.limits.memoryMi}Mi` },
  };
}
