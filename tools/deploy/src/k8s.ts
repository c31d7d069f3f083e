/** Kubernetes: kustomize base, the dev, prod and sandbox overlays, and k8s/kustomization.yaml (what `kubectl apply -k k8s/` applies). */
import { COMMON_ENV, DATASTORES, SERVICES, type ServiceName } from '@cte/shared';
import {
  COMMON_CONFIGMAP,
  containerSecurityContext,
  grpcCallers,
  httpReads,
  HEADER,
  IMAGE_TAG,
  imageFor,
  labels,
  NAMESPACE,
  type Obj,
  ownEnv,
  PART_OF,
  podSecurityContext,
  REDIS_URL,
  RUN_AS_USER,
  SECRET_NAME,
  selector,
  SERVICE_NAMES,
  sortKeys,
  yaml,
  yamlFile,
} from './common';
import { sandboxOverlay } from './sandbox';
import { deploymentObject, k8sDeploymentParams } from './workload';

function service(name: ServiceName): Obj {
  const decl = SERVICES[name];
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name, labels: labels(name) },
    spec: {
      selector: selector(name),
      ports: [
        { name: 'http', port: decl.httpPort, targetPort: 'http', protocol: 'TCP' },
        { name: 'grpc', port: decl.grpcPort, targetPort: 'grpc', protocol: 'TCP' },
      ],
    },
  };
}

function networkPolicy(name: ServiceName): Obj {
  const decl = SERVICES[name];
  const callers = grpcCallers(name);
  const ingress: Obj[] = [
    // REST API and /metrics: from the namespace and from Prometheus in the monitoring namespace.
    {
      from: [{ podSelector: {} }, { namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'monitoring' } } }],
      ports: [{ port: decl.httpPort, protocol: 'TCP' }],
    },
  ];
  if (callers.length) {
    ingress.push({
      from: callers.map((c) => ({ podSelector: { matchLabels: selector(c) } })),
      ports: [{ port: decl.grpcPort, protocol: 'TCP' }],
    });
  }
  const spec: Obj = { podSelector: { matchLabels: selector(name) }, policyTypes: ['Ingress', 'Egress'], ingress };
  spec.egress = [
    ...decl.calls.map((peer) => ({
      to: [{ podSelector: { matchLabels: selector(peer) } }],
      ports: [{ port: SERVICES[peer].grpcPort, protocol: 'TCP' }],
    })),
    ...httpReads(name).map((peer) => ({
      to: [{ podSelector: { matchLabels: selector(peer) } }],
      ports: [{ port: SERVICES[peer].httpPort, protocol: 'TCP' }],
    })),
  ];
  return { apiVersion: 'networking.k8s.io/v1', kind: 'NetworkPolicy', metadata: { name, labels: labels(name) }, spec };
}

function sharedPolicies(): Obj[] {
  const partOf = { matchLabels: { 'app.kubernetes.io/part-of': PART_OF } };
  return [
    {
      apiVersion: 'networking.k8s.io/v1',
      kind: 'NetworkPolicy',
      metadata: { name: 'default-deny', labels: labels(PART_OF, 'network') },
      spec: { podSelector: {}, policyTypes: ['Ingress', 'Egress'] },
    },
    {
      apiVersion: 'networking.k8s.io/v1',
      kind: 'NetworkPolicy',
      metadata: { name: 'allow-dns', labels: labels(PART_OF, 'network') },
      spec: {
        podSelector: partOf,
        policyTypes: ['Egress'],
        egress: [{ ports: [{ port: 53, protocol: 'UDP' }, { port: 53, protocol: 'TCP' }] }],
      },
    },
    {
      apiVersion: 'networking.k8s.io/v1',
      kind: 'NetworkPolicy',
      metadata: { name: 'allow-datastores', labels: labels(PART_OF, 'network') },
      spec: {
        podSelector: partOf,
        policyTypes: ['Egress'],
        egress: [{ ports: [{ port: DATASTORES.mysql.port, protocol: 'TCP' }, { port: DATASTORES.redis.port, protocol: 'TCP' }] }],
      },
    },
  ];
}

function migrationJob(): Obj {
  return {
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: { name: 'migrate', labels: labels('migrate', 'migration') },
    spec: {
      backoffLimit: 6,
      ttlSecondsAfterFinished: 3600,
      template: {
        metadata: { labels: labels('migrate', 'migration') },
        spec: {
          restartPolicy: 'OnFailure',
          automountServiceAccountToken: false,
          securityContext: podSecurityContext(RUN_AS_USER),
          containers: [
            {
              name: 'migrate',
              image: `${imageFor('portfolio')}:${IMAGE_TAG}`,
              command: ['node', 'shared/dist/bin/migrate.js'],
              envFrom: [{ secretRef: { name: SECRET_NAME } }],
              resources: { requests: { cpu: '50m', memory: '64Mi' }, limits: { cpu: '500m', memory: '128Mi' } },
              securityContext: containerSecurityContext(RUN_AS_USER),
            },
          ],
        },
      },
    },
  };
}

/** The services' own Secrets (the declaration's `ownSecret`), each referenced by its service only. */
export function ownSecrets(): Array<{ service: ServiceName; name: string; keys: readonly string[] }> {
  return SERVICE_NAMES.flatMap((service) => {
    const s = SERVICES[service].ownSecret;
    return s ? [{ service, name: s.name, keys: s.keys }] : [];
  });
}

export const ownSecretExampleFile = (name: string): string => `${name}.example.yaml`;

function ownSecretNote(service: ServiceName, name: string, keys: readonly string[]): string {
  return `${HEADER}# Placeholder values only: the dev overlay applies them (and re-applying resets them), prod deletes
# this object. Real values never go into the repository; create the Secret out of band:
#   kubectl -n ${NAMESPACE} create secret generic ${name} \\
${keys.map((k) => `#     --from-literal=${k}=...`).join(' \\\n')}
# (or --from-file=<KEY>=<file>). Only ${service} mounts it, with optional: true: the Pod starts without it
# (whether ${service} runs without these keys: services/${service}/README.md).
`;
}

function ownSecretExample(service: ServiceName, name: string, keys: readonly string[]): Obj {
  return {
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: { name, labels: labels(service, 'config'), annotations: { 'cte.dev/example': `placeholder values only: replace before use; mounted by ${service} only` } },
    type: 'Opaque',
    stringData: Object.fromEntries(keys.map((k) => [k, 'CHANGE_ME'])),
  };
}

export function k8sBase(): Record<string, string> {
  const files: Record<string, string> = {};
  files['k8s/base/namespace.yaml'] = yamlFile({
    apiVersion: 'v1',
    kind: 'Namespace',
    metadata: {
      name: NAMESPACE,
      labels: { 'pod-security.kubernetes.io/enforce': 'restricted', 'app.kubernetes.io/part-of': PART_OF },
    },
  });
  files['k8s/base/configmap.yaml'] = yamlFile(
    { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: COMMON_CONFIGMAP, labels: labels(PART_OF, 'config') }, data: sortKeys({ ...COMMON_ENV, REDIS_URL }) },
    ...SERVICE_NAMES.map((name) => ({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, labels: labels(name) }, data: ownEnv(name) })),
  );
  files['k8s/base/secret.example.yaml'] = yamlFile({
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: { name: SECRET_NAME, labels: labels(PART_OF, 'config'), annotations: { 'cte.dev/example': 'placeholder values only: replace before use' } },
    type: 'Opaque',
    stringData: {
      MYSQL_URL: 'mysql://cte:CHANGE_ME@mysql:3306/crypto_trading',
      TRADING_API_KEY: 'CHANGE_ME_AT_LEAST_16_CHARS',
    },
  });
  for (const secret of ownSecrets()) files[`k8s/base/${ownSecretExampleFile(secret.name)}`] = ownSecretNote(secret.service, secret.name, secret.keys) + yaml(ownSecretExample(secret.service, secret.name, secret.keys));
  files['k8s/base/migration-job.yaml'] = yamlFile(migrationJob());
  files['k8s/base/network-policies.yaml'] = yamlFile(...sharedPolicies(), ...SERVICE_NAMES.map(networkPolicy));
  for (const name of SERVICE_NAMES) {
    files[`k8s/base/${name}.yaml`] = yamlFile(
      { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name, labels: labels(name) }, automountServiceAccountToken: false },
      deploymentObject(k8sDeploymentParams(name)),
      service(name),
      {
        apiVersion: 'policy/v1',
        kind: 'PodDisruptionBudget',
        metadata: { name, labels: labels(name) },
        // maxUnavailable 1: singletons may still be drained (they restart elsewhere), never two at once.
        spec: { maxUnavailable: 1, selector: { matchLabels: selector(name) } },
      },
    );
  }
  const resources = Object.keys(files).map((f) => f.slice('k8s/base/'.length));
  files['k8s/base/kustomization.yaml'] = yamlFile({
    apiVersion: 'kustomize.config.k8s.io/v1beta1',
    kind: 'Kustomization',
    namespace: NAMESPACE,
    resources,
  });
  return files;
}

export function overlays(): Record<string, string> {
  const images = (tag: string) => SERVICE_NAMES.map((s) => ({ name: imageFor(s), newTag: tag }));
  const dev = {
    apiVersion: 'kustomize.config.k8s.io/v1beta1',
    kind: 'Kustomization',
    resources: ['../../base'],
    labels: [{ pairs: { 'cte.dev/environment': 'dev' } }],
    images: images('dev'),
    patches: [
      { target: { kind: 'ConfigMap', name: COMMON_CONFIGMAP }, patch: yaml([{ op: 'replace', path: '/data/LOG_LEVEL', value: 'debug' }]) },
    ],
  };
  // Production: pinned tags, larger limits, and no example Secrets (provide cte-secrets, and cte-venue-keys for live trading, out of band).
  const prod = {
    apiVersion: 'kustomize.config.k8s.io/v1beta1',
    kind: 'Kustomization',
    resources: ['../../base'],
    labels: [{ pairs: { 'cte.dev/environment': 'prod' } }],
    images: images(IMAGE_TAG),
    patches: [
      ...[SECRET_NAME, ...ownSecrets().map((s) => s.name)].map((name) => ({ patch: yaml({ $patch: 'delete', apiVersion: 'v1', kind: 'Secret', metadata: { name } }) })),
      ...SERVICE_NAMES.map((name) => {
        const r = SERVICES[name].resources;
        return {
          target: { kind: 'Deployment', name },
          patch: yaml([
            { op: 'replace', path: '/spec/template/spec/containers/0/resources/requests/cpu', value: r.limits.cpu === '1' ? '250m' : '500m' },
            { op: 'replace', path: '/spec/template/spec/containers/0/resources/requests/memory', value: `${r.limits.memoryMi}Mi` },
          ]),
        };
      }),
    ],
  };
  // Sandbox: dev plus the sandbox-only services (the venue emulator), with their clients pointed at them.
  return { 'k8s/overlays/dev/kustomization.yaml': yamlFile(dev), 'k8s/overlays/prod/kustomization.yaml': yamlFile(prod), ...sandboxOverlay('dev', 'dev') };
}

/**
 * The overlay `kubectl apply -k k8s/` applies. dev: it is the one that comes up without anything
 * provided out of band (it keeps base's placeholder Secret, which prod deletes), with debug logs.
 */
export const DEFAULT_OVERLAY = 'dev';

export function topKustomization(): Record<string, string> {
  return {
    'k8s/kustomization.yaml': yamlFile({
      apiVersion: 'kustomize.config.k8s.io/v1beta1',
      kind: 'Kustomization',
      resources: [`overlays/${DEFAULT_OVERLAY}`],
    }),
  };
}
