/**
 * The Deployment of a service, written once. kustomize's base gets it with the declared values;
 * the Helm chart gets the very same object with Helm template actions in place of the values
 * (see HelmActions), rendered inside a `range` over `.Values.services`.
 */
import { PROBES, SERVICES, type ServiceName } from '@cte/shared';
import {
  COMMON_CONFIGMAP,
  containerSecurityContext,
  IMAGE_TAG,
  imageFor,
  killAfterSeconds,
  labels,
  type Obj,
  podSecurityContext,
  resources,
  RUN_AS_USER,
  SECRET_NAME,
  selector,
  yaml,
} from './common';

/** A concrete value (kustomize) or a placeholder for a Helm template action. */
export type Value = string | number;

export interface DeploymentParams {
  name: Value;
  /** Labels of the Deployment and its pods, beyond the selector's. */
  labels: Record<string, Value>;
  selector: Record<string, Value>;
  replicas: Value;
  strategyType: Value;
  image: Value;
  pullPolicy: Value;
  httpPort: Value;
  /** The HTTP port as a string (annotation values are strings). */
  httpPortText: Value;
  /** Absent for a service without gRPC (the sandbox's venue emulator). */
  grpcPort: Value | undefined;
  /** Further named container ports (the venue emulator's venue ports). */
  extraPorts?: ReadonlyArray<{ name: string; port: Value }>;
  /** Data volumes, each mounted read-only. */
  dataVolumes?: ReadonlyArray<{ name: string; mountPath: string; volume: Obj }>;
  /** Run before the service's container (e.g. to fill a data volume). */
  initContainers?: readonly Obj[];
  resources: { requests: { cpu: Value; memory: Value }; limits: { cpu: Value; memory: Value } };
  startupFailureThreshold: Value;
  runAsUser: Value;
  /** The fleet's shared Secret (cte-secrets). */
  secretName: Value;
  /** A Secret only this workload mounts (the declaration's `ownSecret`), optional at run time. */
  ownSecretName?: Value;
  /** Helm: puts the ownSecretName entry of envFrom under a template condition (HelmActions.optionalItem). */
  optionalItem?: (item: Obj) => Value;
  terminationGracePeriodSeconds: Value;
}

export function deploymentObject(p: DeploymentParams): Obj {
  const probe = (path: string) => ({ httpGet: { path, port: 'http' } });
  const data = p.dataVolumes ?? [];
  // optional: the pod starts without it (e.g. execution in TRADING_MODE=mock needs no venue keys).
  const own: Obj[] = p.ownSecretName === undefined ? [] : [{ secretRef: { name: p.ownSecretName, optional: true } }];
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: p.name, labels: p.labels },
    spec: {
      replicas: p.replicas,
      // Singletons must never run twice, even during a rollout.
      strategy: { type: p.strategyType },
      selector: { matchLabels: p.selector },
      template: {
        // Scraped by a cluster Prometheus with kubernetes_sd_configs (k8s/monitoring/prometheus.yml explains).
        metadata: { labels: p.labels, annotations: { 'prometheus.io/scrape': 'true', 'prometheus.io/port': p.httpPortText, 'prometheus.io/path': '/metrics' } },
        spec: {
          serviceAccountName: p.name,
          automountServiceAccountToken: false,
          securityContext: podSecurityContext(p.runAsUser),
          // Covers the drain delay and grace period of SHUTDOWN_TIMING. No preStop hook: the process
          // itself keeps serving for the drain delay after SIGTERM (shared/src/lifecycle.ts).
          terminationGracePeriodSeconds: p.terminationGracePeriodSeconds,
          ...(p.initContainers ? { initContainers: p.initContainers } : {}),
          containers: [
            {
              name: p.name,
              image: p.image,
              imagePullPolicy: p.pullPolicy,
              ports: [
                { name: 'http', containerPort: p.httpPort, protocol: 'TCP' },
                ...(p.grpcPort === undefined ? [] : [{ name: 'grpc', containerPort: p.grpcPort, protocol: 'TCP' }]),
                ...(p.extraPorts ?? []).map((x) => ({ name: x.name, containerPort: x.port, protocol: 'TCP' })),
              ],
              envFrom: [{ configMapRef: { name: COMMON_CONFIGMAP } }, { configMapRef: { name: p.name } }, { secretRef: { name: p.secretName } }, ...own.map((x) => (p.optionalItem ? p.optionalItem(x) : x))],
              resources: p.resources,
              startupProbe: { ...probe(PROBES.liveness), periodSeconds: 5, failureThreshold: p.startupFailureThreshold },
              livenessProbe: { ...probe(PROBES.liveness), periodSeconds: 10, timeoutSeconds: 3, failureThreshold: 3 },
              readinessProbe: { ...probe(PROBES.readiness), periodSeconds: 5, timeoutSeconds: 3, failureThreshold: 2 },
              securityContext: containerSecurityContext(p.runAsUser),
              volumeMounts: [{ name: 'tmp', mountPath: '/tmp' }, ...data.map((v) => ({ name: v.name, mountPath: v.mountPath, readOnly: true }))],
            },
          ],
          volumes: [{ name: 'tmp', emptyDir: { sizeLimit: '64Mi' } }, ...data.map((v) => ({ name: v.name, ...v.volume }))],
        },
      },
    },
  };
}

/** kustomize base: the declared values. */
export function k8sDeploymentParams(name: ServiceName): DeploymentParams {
  const decl = SERVICES[name];
  return {
    name,
    labels: labels(name),
    selector: selector(name),
    replicas: decl.replicas,
    strategyType: decl.replicas === 1 ? 'Recreate' : 'RollingUpdate',
    image: `${imageFor(name)}:${IMAGE_TAG}`,
    pullPolicy: 'IfNotPresent',
    httpPort: decl.httpPort,
    httpPortText: String(decl.httpPort),
    grpcPort: decl.grpcPort,
    resources: resources(decl),
    startupFailureThreshold: Math.ceil(decl.startupSeconds / 5),
    runAsUser: RUN_AS_USER,
    secretName: SECRET_NAME,
    ...(decl.ownSecret ? { ownSecretName: decl.ownSecret.name } : {}),
    terminationGracePeriodSeconds: killAfterSeconds(),
  };
}

/**
 * Placeholders for Helm template actions: plain YAML scalars (so the YAML writer neither quotes
 * nor escapes them) that `render` replaces with the action text.
 */
export class HelmActions {
  private readonly actions: string[] = [];
  private readonly items: Array<{ condition: string; item: Obj }> = [];

  /** `text` is the action as it must appear in the template, e.g. `{{ $svc.replicas }}`. */
  action(text: string): string {
    this.actions.push(text);
    return `__helm_action_${this.actions.length - 1}__`;
  }

  /**
   * A list item present only when `condition` (a template pipeline) holds. Stands for the item in
   * a YAML sequence; `render` writes the item between `{{- if condition }}` and `{{- end }}`.
   */
  optionalItem(condition: string, item: Obj): string {
    this.items.push({ condition, item });
    return `__helm_item_${this.items.length - 1}__`;
  }

  render(doc: unknown): string {
    return yaml(doc)
      .replace(/^( *)- __helm_item_(\d+)__$/gm, (_m, indent: string, i: string) => {
        const { condition, item } = this.items[Number(i)]!;
        const lines = [`{{- if ${condition} }}`, ...yaml([item]).trimEnd().split('\n'), '{{- end }}'];
        return lines.map((l) => indent + l).join('\n');
      })
      .replace(/__helm_action_(\d+)__/g, (_m, i: string) => this.actions[Number(i)]!);
  }
}

/** The Helm chart: the same Deployment, values from `.Values` (inside `range $name, $svc := .Values.services`). */
export function helmDeploymentTemplate(): string {
  const h = new HelmActions();
  const name = h.action('{{ $name }}');
  const svc = (path: string, quote = false) => h.action(`{{ $svc.${path}${quote ? ' | quote' : ''} }}`);
  const params: DeploymentParams = {
    name,
    labels: { ...labels(name), 'app.kubernetes.io/instance': h.action('{{ $.Release.Name }}') },
    selector: selector(name),
    replicas: svc('replicas'),
    strategyType: h.action('{{ if eq (int $svc.replicas) 1 }}Recreate{{ else }}RollingUpdate{{ end }}'),
    image: h.action('"{{ $.Values.image.repositoryPrefix }}/{{ $name }}:{{ $.Values.image.tag }}"'),
    pullPolicy: h.action('{{ $.Values.image.pullPolicy }}'),
    httpPort: svc('httpPort'),
    httpPortText: svc('httpPort', true),
    grpcPort: svc('grpcPort'),
    resources: {
      requests: { cpu: svc('resources.requests.cpu', true), memory: svc('resources.requests.memory', true) },
      limits: { cpu: svc('resources.limits.cpu', true), memory: svc('resources.limits.memory', true) },
    },
    // ceil(startupSeconds / 5), as for kustomize.
    startupFailureThreshold: h.action('{{ div (add $svc.startupSeconds 4) 5 }}'),
    runAsUser: h.action('{{ $.Values.runAsUser }}'),
    secretName: h.action('{{ $.Values.secretName }}'),
    // Only services whose values carry ownSecretName (execution: its venue keys); null it to drop the reference.
    ownSecretName: h.action('{{ $svc.ownSecretName }}'),
    optionalItem: (item) => h.optionalItem('hasKey $svc "ownSecretName"', item),
    terminationGracePeriodSeconds: h.action('{{ $.Values.terminationGracePeriodSeconds }}'),
  };
  return `{{- range $name, $svc := .Values.services }}\n---\n${h.render(deploymentObject(params))}{{- end }}\n`;
}
