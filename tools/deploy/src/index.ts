/**
 * Deployment generators (tooling, not shipped in any image): the Dockerfile, docker compose,
 * kustomize base and overlays, the Helm chart and Prometheus' scrape config, all derived from the
 * one declaration of the fleet (shared/src/services.ts; its SANDBOX_SERVICES only in the compose
 * `sandbox` profile, the k8s/overlays/sandbox overlay and the chart's `sandbox.enabled`). Pure functions of the declaration and
 * the npm workspace list: each returns file contents; ./gen-deploy.ts writes them, and the drift
 * test compares them with the committed files.
 */
import { composeFile } from './compose';
import { dockerfile } from './dockerfile';
import { CHART_YAML, HELM_TEMPLATES, helmValues, helmValuesSchema } from './helm';
import { k8sBase, overlays, topKustomization } from './k8s';
import { prometheusConfig } from './monitoring';
import { yamlFile } from './common';

export * from './common';
export { COMPOSE_SHELL_SWITCHES, composeFile, composeSecretEnvFile } from './compose';
export { dockerfile, npmWorkspaces, serviceWorkspaceDeps } from './dockerfile';
export { CHART_YAML, HELM_TEMPLATES, helmSandboxTemplate, helmValues, helmValuesSchema } from './helm';
export { DEFAULT_OVERLAY, k8sBase, overlays, ownSecretExampleFile, ownSecrets, topKustomization } from './k8s';
export { ALERTMANAGER_IMAGE, ALERTMANAGER_PORT, prometheusConfig } from './monitoring';
export { BARS_FILE, BARS_MOUNT, BARS_SOURCE_DIR, CAPTURES_CLAIM, CAPTURES_MOUNT, declaredSandboxFlows, emulatorEnv, SANDBOX_OVERLAY, sandboxClientEnvs, sandboxObjects } from './sandbox';
export { deploymentObject, helmDeploymentTemplate, k8sDeploymentParams, type DeploymentParams } from './workload';

export const CHART = 'charts/crypto-trading-engine';

/** Every generated file, by path relative to the repository root. `workspaces`: npmWorkspaces(root); `deps`: serviceWorkspaceDeps(root, workspaces). */
export function generateAll(workspaces: readonly string[], deps: Readonly<Record<string, readonly string[]>> = {}): Record<string, string> {
  const files: Record<string, string> = {
    Dockerfile: dockerfile(workspaces, deps),
    'docker-compose.trading-complete.yml': composeFile(),
    'k8s/monitoring/prometheus.yml': prometheusConfig(),
    ...k8sBase(),
    ...overlays(),
    ...topKustomization(),
    [`${CHART}/Chart.yaml`]: CHART_YAML,
    [`${CHART}/values.yaml`]: yamlFile(helmValues()),
    [`${CHART}/values.schema.json`]: JSON.stringify(helmValuesSchema(), null, 2) + '\n',
  };
  for (const [f, text] of Object.entries(HELM_TEMPLATES)) files[`${CHART}/templates/${f}`] = text;
  return files;
}
