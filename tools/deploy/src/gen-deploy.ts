#!/usr/bin/env node
/**
 * gen-deploy: writes the Dockerfile, docker-compose.trading-complete.yml, k8s/ (base, overlays,
 * kustomization.yaml, monitoring/prometheus.yml) and the Helm chart from the one declaration of
 * the fleet (shared/src/services.ts). `--check` only reports drift (exit 1) without writing.
 */
import fs from 'node:fs';
import path from 'node:path';
import { generateAll, npmWorkspaces, serviceWorkspaceDeps } from './index';

const root = path.resolve(__dirname, '..', '..', '..');
const check = process.argv.includes('--check');
let drift = 0;
const workspaces = npmWorkspaces(root);
for (const [rel, text] of Object.entries(generateAll(workspaces, serviceWorkspaceDeps(root, workspaces)))) {
  const file = path.join(root, rel);
  const current = fs.existsSync(file) ? fs.readFileSync(file, 'utf8') : undefined;
  if (current === text) continue;
  drift++;
  if (check) {
    console.error(`drift: ${rel}`);
  } else {
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, text);
    console.log(`wrote ${rel}`);
  }
}
if (check && drift) process.exit(1);
if (!drift) console.log('deployment files are up to date');
