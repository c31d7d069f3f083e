/**
 * The sandbox: services declared in SANDBOX_SERVICES (shared/src/services.ts), never part of the
 * production fleet. compose gets them under the `sandbox` profile, Kubernetes in the
 * k8s/overlays/sandbox overlay (dev plus the sandbox services, their NetworkPolicies, and the
 * clients pointed at them).
 *
 * The venue emulator's data: the bundled BTC/USD hourly bars (Apache-2.0, shipped in the
 * price-stream image) are copied by an init container into a volume the emulator mounts
 * read-only. The real venue captures (../shared/data, partly GPL/LGPL) are never baked into an
 * image: compose bind-mounts them read-only; in Kubernetes they live in a PersistentVolumeClaim
 * the operator fills (with captures-loader.yaml) before turning VENUE_EMULATOR_CAPTURES on.
 */
import { COMMON_ENV, SANDBOX_SERVICES, sandboxClientEnv, type SandboxServiceName, type ServiceName } from '@cte/shared';
import {
  composeRuntime,
  containerSecurityContext,
  HEADER,
  IMAGE_TAG,
  imageFor,
  killAfterSeconds,
  labels,
  NAMESPACE,
  type Obj,
  podSecurityContext,
  resources,
  RUN_AS_USER,
  SANDBOX_NAMES,
  SECRET_NAME,
  selector,
  SERVICE_NAMES,
  sortKeys,
  yaml,
  yamlFile,
} from './common';
import { deploymentObject, type DeploymentParams } from './workload';

export const SANDBOX_OVERLAY = 'k8s/overlays/sandbox';
const EMULATOR: SandboxServiceName = 'venue-emulator';

/** Where the emulator's data is mounted, in compose and Kubernetes alike. */
export const CAPTURES_MOUNT = '/data/captures';
export const BARS_MOUNT = '/data/bars';
/** The bundled bars, in the repository and (under /app) in the price-stream image. */
export const BARS_SOURCE_DIR = 'services/price-stream/data/replay';
export const BARS_FILE = 'coinbase_btcusd_1h.csv';
export const CAPTURES_CLAIM = 'venue-emulator-captures';
export const CAPTURES_LOADER = 'venue-emulator-captures-loader';

/** The emulator's own environment in a deployment (besides COMMON_ENV and the secret). */
export function emulatorEnv(): Record<string, string> {
  const decl = SANDBOX_SERVICES[EMULATOR];
  const env: Record<string, string> = {
    // Inside a container the venue ports must be reachable from the other containers.
    VENUE_EMULATOR_HOST: '0.0.0.0',
    VENUE_EMULATOR_DATA_DIR: CAPTURES_MOUNT,
    VENUE_EMULATOR_BARS: `coinbase:BTC/USD=${BARS_MOUNT}/${BARS_FILE}`,
    // The captures (other markets than the fleet's) only once the operator has provided them.
    VENUE_EMULATOR_CAPTURES: 'false',
    ...decl.env,
  };
  if (decl.nodeOptions) env.NODE_OPTIONS = decl.nodeOptions;
  return sortKeys(env);
}

/** Every flow the sandbox opens: client → sandbox service port. */
export function declaredSandboxFlows(): { from: ServiceName; to: SandboxServiceName; port: number }[] {
  return SANDBOX_NAMES.flatMap((to) => {
    const decl = SANDBOX_SERVICES[to];
    return (Object.keys(decl.clients) as ServiceName[]).flatMap((from) => Object.values(decl.ports).map((port) => ({ from, to, port })));
  });
}

/** The sandbox environment of each client, pointing it at the sandbox services at `host(name)`. */
export function sandboxClientEnvs(host: (name: SandboxServiceName) => string): Map<ServiceName, Record<string, string>> {
  const out = new Map<ServiceName, Record<string, string>>();
  for (const name of SANDBOX_NAMES) {
    for (const client of Object.keys(SANDBOX_SERVICES[name].clients) as ServiceName[]) {
      out.set(client, sortKeys({ ...out.get(client), ...sandboxClientEnv(name, client, host(name)) }));
    }
  }
  return out;
}

// ---------------------------------------------------------------- compose

const COMPOSE_KIT_SECRETS = {
  TRADING_API_KEY: '${TRADING_API_KEY:?set TRADING_API_KEY (at least 16 characters)}',
  TRADING_API_KEYS_ACCEPTED: '${TRADING_API_KEYS_ACCEPTED:-}',
};

/** The emulator as a compose service of the `sandbox` profile. */
export function composeEmulator(profile: string): Obj {
  const decl = SANDBOX_SERVICES[EMULATOR];
  const ports = [decl.httpPort, ...Object.values(decl.ports)];
  return {
    image: `${imageFor(EMULATOR)}:${IMAGE_TAG}`,
    profiles: [profile],
    build: { context: '.', args: decl.nodeOptions ? { SERVICE: EMULATOR, NODE_OPTIONS: decl.nodeOptions } : { SERVICE: EMULATOR } },
    environment: { ...COMMON_ENV, ...emulatorEnv(), ...COMPOSE_KIT_SECRETS },
    // Read-only: the captures beside the repository (never copied into an image) and the bundled bars.
    volumes: [`../shared/data:${CAPTURES_MOUNT}:ro`, `./${BARS_SOURCE_DIR}:${BARS_MOUNT}:ro`],
    ports: ports.map((p) => `127.0.0.1:${p}:${p}`),
    ...composeRuntime(decl),
  };
}

/**
 * A client's compose environment: its sandbox variables default to the sandbox values, except
 * MARKET_SOURCE-like switches, which keep the production default unless set in the shell
 * (`MARKET_SOURCE=ccxt docker compose --profile sandbox up`). `${VAR-default}`: set-but-empty
 * means empty (e.g. VENUE_URL_COINBASE= for the real venue).
 */
export function composeClientEnv(client: ServiceName, productionEnv: Readonly<Record<string, string>>): Record<string, string> {
  const sandbox = sandboxClientEnvs((name) => name).get(client) ?? {};
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(sandbox)) out[k] = productionEnv[k] !== undefined ? `\${${k}:-${productionEnv[k]}}` : `\${${k}-${v}}`;
  return out;
}

// ---------------------------------------------------------------- Kubernetes

/** An image reference: kustomize's `<prefix>/<name>:<tag>`, or Helm template actions. */
export type ImageOf = (name: ServiceName | SandboxServiceName) => string;
const kustomizeImage: ImageOf = (name) => `${imageFor(name)}:${IMAGE_TAG}`;

function emulatorDeployment(image: ImageOf): Obj {
  const decl = SANDBOX_SERVICES[EMULATOR];
  const barsVolume = 'bars';
  const params: DeploymentParams = {
    name: EMULATOR,
    labels: labels(EMULATOR, 'sandbox'),
    selector: selector(EMULATOR),
    replicas: 1,
    strategyType: 'Recreate',
    image: image(EMULATOR),
    pullPolicy: 'IfNotPresent',
    httpPort: decl.httpPort,
    httpPortText: String(decl.httpPort),
    grpcPort: undefined,
    extraPorts: Object.entries(decl.ports).map(([name, port]) => ({ name, port })),
    dataVolumes: [
      { name: barsVolume, mountPath: BARS_MOUNT, volume: { emptyDir: { sizeLimit: '16Mi' } } },
      { name: 'captures', mountPath: CAPTURES_MOUNT, volume: { persistentVolumeClaim: { claimName: CAPTURES_CLAIM, readOnly: true } } },
    ],
    // The bundled bars ship in the price-stream image (Apache-2.0): copy them into the emulator's volume.
    initContainers: [
      {
        name: 'bars',
        image: image('price-stream'),
        imagePullPolicy: 'IfNotPresent',
        command: ['cp', `/app/${BARS_SOURCE_DIR}/${BARS_FILE}`, `${BARS_MOUNT}/`],
        resources: { requests: { cpu: '10m', memory: '16Mi' }, limits: { cpu: '100m', memory: '32Mi' } },
        securityContext: containerSecurityContext(RUN_AS_USER),
        volumeMounts: [{ name: barsVolume, mountPath: BARS_MOUNT }],
      },
    ],
    resources: resources(decl),
    startupFailureThreshold: Math.ceil(decl.startupSeconds / 5),
    runAsUser: RUN_AS_USER,
    secretName: SECRET_NAME,
    terminationGracePeriodSeconds: killAfterSeconds(),
  };
  return deploymentObject(params);
}

function emulatorService(): Obj {
  const decl = SANDBOX_SERVICES[EMULATOR];
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name: EMULATOR, labels: labels(EMULATOR, 'sandbox') },
    spec: {
      selector: selector(EMULATOR),
      ports: [
        { name: 'http', port: decl.httpPort, targetPort: 'http', protocol: 'TCP' },
        ...Object.entries(decl.ports).map(([name, port]) => ({ name, port, targetPort: name, protocol: 'TCP' })),
      ],
    },
  };
}

/** Ingress of the emulator: kit port as for every service, venue ports from its clients only; the clients' egress to it. */
function sandboxPolicies(name: SandboxServiceName): Obj[] {
  const decl = SANDBOX_SERVICES[name];
  const clients = Object.keys(decl.clients) as ServiceName[];
  const venuePorts = Object.values(decl.ports).map((port) => ({ port, protocol: 'TCP' }));
  const own = {
    apiVersion: 'networking.k8s.io/v1',
    kind: 'NetworkPolicy',
    metadata: { name, labels: labels(name, 'sandbox') },
    spec: {
      podSelector: { matchLabels: selector(name) },
      policyTypes: ['Ingress', 'Egress'],
      ingress: [
        {
          from: [{ podSelector: {} }, { namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'monitoring' } } }],
          ports: [{ port: decl.httpPort, protocol: 'TCP' }],
        },
        { from: clients.map((c) => ({ podSelector: { matchLabels: selector(c) } })), ports: venuePorts },
      ],
      // It calls nothing (DNS and the shared policies aside).
      egress: [],
    },
  };
  const egress = clients.map((c) => ({
    apiVersion: 'networking.k8s.io/v1',
    kind: 'NetworkPolicy',
    metadata: { name: `${c}-to-${name}`, labels: labels(c) },
    spec: {
      podSelector: { matchLabels: selector(c) },
      policyTypes: ['Egress'],
      egress: [{ to: [{ podSelector: { matchLabels: selector(name) } }], ports: venuePorts }],
    },
  }));
  return [own, ...egress];
}

function capturesClaim(): Obj {
  return {
    apiVersion: 'v1',
    kind: 'PersistentVolumeClaim',
    metadata: { name: CAPTURES_CLAIM, labels: labels(EMULATOR, 'sandbox') },
    spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1Gi' } } },
  };
}

/** A pod that mounts the captures claim writable, for `kubectl cp` (not part of the overlay). */
function capturesLoader(): Obj {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: CAPTURES_LOADER, namespace: NAMESPACE, labels: labels(CAPTURES_LOADER, 'sandbox') },
    spec: {
      restartPolicy: 'Never',
      automountServiceAccountToken: false,
      securityContext: podSecurityContext(RUN_AS_USER),
      containers: [
        {
          name: 'loader',
          image: `${imageFor(EMULATOR)}:${IMAGE_TAG}`,
          command: ['sleep', '3600'],
          resources: { requests: { cpu: '10m', memory: '32Mi' }, limits: { cpu: '500m', memory: '128Mi' } },
          securityContext: containerSecurityContext(RUN_AS_USER),
          volumeMounts: [{ name: 'captures', mountPath: CAPTURES_MOUNT }],
        },
      ],
      volumes: [{ name: 'captures', persistentVolumeClaim: { claimName: CAPTURES_CLAIM } }],
    },
  };
}

const LOADER_HEADER = `# Fills the ${CAPTURES_CLAIM} claim with the real venue captures (../shared/data beside the
# repository; some are GPL/LGPL, so they are never baked into an image). Not part of the overlay:
#   kubectl apply -f ${SANDBOX_OVERLAY}/captures-loader.yaml
#   kubectl -n ${NAMESPACE} wait --for=condition=Ready pod/${CAPTURES_LOADER}
#   kubectl -n ${NAMESPACE} cp ../shared/data/. ${CAPTURES_LOADER}:${CAPTURES_MOUNT}
#   kubectl -n ${NAMESPACE} delete pod ${CAPTURES_LOADER}
# then set VENUE_EMULATOR_CAPTURES=true in the venue-emulator ConfigMap and restart the emulator.
`;

/** The sandbox services' objects (everything but the clients' environment, which patches their ConfigMaps). */
export function sandboxObjects(image: ImageOf = kustomizeImage): Obj[] {
  return [
    { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: EMULATOR, labels: labels(EMULATOR, 'sandbox') }, automountServiceAccountToken: false },
    { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: EMULATOR, labels: labels(EMULATOR, 'sandbox') }, data: emulatorEnv() },
    capturesClaim(),
    emulatorDeployment(image),
    emulatorService(),
    ...SANDBOX_NAMES.flatMap(sandboxPolicies),
  ];
}

/** `devOverlay` and its image tag: the overlay this one is based on. */
export function sandboxOverlay(devOverlay: string, devTag: string): Record<string, string> {
  const clientEnvs = sandboxClientEnvs((name) => name);
  const kustomization = {
    apiVersion: 'kustomize.config.k8s.io/v1beta1',
    kind: 'Kustomization',
    namespace: NAMESPACE,
    resources: [`../${devOverlay}`, 'venue-emulator.yaml'],
    labels: [{ pairs: { 'cte.dev/environment': 'sandbox' } }],
    // dev's images transformer does not reach this overlay's own objects (the init container's price-stream image among them).
    images: [...SERVICE_NAMES, ...SANDBOX_NAMES].map((s) => ({ name: imageFor(s), newTag: devTag })),
    // The clients talk to the sandbox services instead of their production sources.
    patches: [...clientEnvs].map(([client, env]) => ({
      patch: yaml({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: client }, data: env }),
    })),
  };
  return {
    [`${SANDBOX_OVERLAY}/kustomization.yaml`]: yamlFile(kustomization),
    [`${SANDBOX_OVERLAY}/venue-emulator.yaml`]: yamlFile(...sandboxObjects()),
    [`${SANDBOX_OVERLAY}/captures-loader.yaml`]: HEADER + LOADER_HEADER + yaml(capturesLoader()),
  };
}
