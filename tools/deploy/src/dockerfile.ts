/**
 * The Dockerfile. Its COPY lists of workspace manifests (what `npm ci` needs before the sources
 * arrive, for layer caching) are the npm workspaces: root package.json's `workspaces` globs,
 * expanded on disk. Every declared service must be one of them (checked by the tests).
 */
import fs from 'node:fs';
import path from 'node:path';
import { GENERATOR } from './common';

/** Workspace folders (relative, sorted) matched by root package.json's `workspaces`; `dir/*` globs only. */
export function npmWorkspaces(root: string): string[] {
  const pkg = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8')) as { workspaces?: unknown };
  const patterns = Array.isArray(pkg.workspaces) ? pkg.workspaces.filter((p): p is string => typeof p === 'string') : [];
  const out: string[] = [];
  for (const pattern of patterns) {
    if (pattern.endsWith('/*')) {
      const parent = pattern.slice(0, -2);
      const abs = path.join(root, parent);
      if (!fs.existsSync(abs)) continue;
      for (const d of fs.readdirSync(abs, { withFileTypes: true })) {
        if (d.isDirectory() && fs.existsSync(path.join(abs, d.name, 'package.json'))) out.push(`${parent}/${d.name}`);
      }
    } else if (!/[*?[{]/.test(pattern)) {
      if (fs.existsSync(path.join(root, pattern, 'package.json'))) out.push(pattern);
    } else {
      throw new Error(`workspace pattern ${pattern} is not supported by the Dockerfile generator (use dir/* or a plain path)`);
    }
  }
  return out.sort();
}

/**
 * For each service workspace (services/<name>), the other workspaces it imports at run time
 * (its `@cte/*` dependencies besides shared, transitively), as folders. Their compiled output
 * goes into the service's image (e.g. price-stream's readers, which the venue emulator uses).
 */
export function serviceWorkspaceDeps(root: string, workspaces: readonly string[]): Record<string, string[]> {
  const byName = new Map<string, { folder: string; deps: string[] }>();
  for (const w of workspaces) {
    const pkg = JSON.parse(fs.readFileSync(path.join(root, w, 'package.json'), 'utf8')) as { name?: unknown; dependencies?: unknown };
    const deps = typeof pkg.dependencies === 'object' && pkg.dependencies !== null ? Object.keys(pkg.dependencies).filter((d) => d.startsWith('@cte/')) : [];
    if (typeof pkg.name === 'string') byName.set(pkg.name, { folder: w, deps });
  }
  const out: Record<string, string[]> = {};
  for (const { folder, deps } of byName.values()) {
    if (!folder.startsWith('services/')) continue;
    const found = new Set<string>();
    const visit = (names: readonly string[]) => {
      for (const n of names) {
        const dep = byName.get(n);
        if (!dep || dep.folder === 'shared' || found.has(dep.folder)) continue;
        found.add(dep.folder);
        visit(dep.deps);
      }
    };
    visit(deps);
    if (found.size > 0) out[folder.slice('services/'.length)] = [...found].sort();
  }
  return out;
}

/** A shell `case` printing the workspace folders $SERVICE depends on (see serviceWorkspaceDeps). */
function depsCase(deps: Readonly<Record<string, readonly string[]>>): string {
  const arms = Object.entries(deps).sort(([a], [b]) => a.localeCompare(b)).map(([svc, folders]) => ` ${svc}) echo ${folders.join(' ')} ;;`);
  return `case "$SERVICE" in${arms.join('')} esac`;
}

export function dockerfile(workspaces: readonly string[], deps: Readonly<Record<string, readonly string[]>> = {}): string {
  const manifests = (from: string) => workspaces.map((w) => `COPY ${from}${from ? `/app/${w}` : w}/package.json ${w}/`).join('\n');
  return `# syntax=docker/dockerfile:1
# GENERATED from shared/src/services.ts and package.json's workspaces by \`make generate\` (${GENERATOR}). Do not edit.
# One image per service from one file. Build context: the repository root.
#   docker build --build-arg SERVICE=risk -t crypto-trading-engine/risk:0.1.0 .
# docker-compose.trading-complete.yml and k8s/ (generated from shared/src/services.ts) use these images.
ARG NODE_IMAGE=node:20-bookworm-slim

# ---- build: full install, proto generation, tsc -b of every workspace
FROM \${NODE_IMAGE} AS build
WORKDIR /app
COPY package.json package-lock.json ./
${manifests('')}
RUN npm ci --no-audit --no-fund
COPY . .
RUN npm run build

# ---- prod-deps: production dependencies of shared and the one service only
FROM \${NODE_IMAGE} AS prod-deps
ARG SERVICE
RUN test -n "$SERVICE" || { echo "--build-arg SERVICE=<name> is required" >&2; exit 1; }
WORKDIR /app
COPY --from=build /app/package.json /app/package-lock.json ./
${manifests('--from=build ')}
RUN npm ci --omit=dev --no-audit --no-fund --workspace shared --workspace "services/\${SERVICE}" \\
      $(for d in $(${depsCase(deps)}); do printf -- '--workspace %s ' "$d"; done) \\
 && npm cache clean --force

# ---- bundle: the one service (dist plus bundled data: price-stream replay files, signal-generator
# models; no sources) and the compiled output of the workspaces it imports at run time
FROM build AS bundle
ARG SERVICE
RUN mkdir -p /bundle/services && cp -a "services/\${SERVICE}" /bundle/services/ \\
 && rm -rf "/bundle/services/\${SERVICE}/src" "/bundle/services/\${SERVICE}/node_modules/.cache" \\
 && for d in $(${depsCase(deps)}); do mkdir -p "/bundle/$d" && cp -a "$d/package.json" "$d/dist" "/bundle/$d/"; done

# ---- runtime: same Node major, non-root, compiled output only (no tools/ workspace: generators,
# test support, fleet runner and benchmarks are not shipped)
FROM \${NODE_IMAGE} AS runtime
ARG SERVICE
# The declared nodeOptions (shared/src/services.ts) as the image default; deployments set it too.
ARG NODE_OPTIONS=""
ENV NODE_ENV=production \\
    SERVICE=\${SERVICE} \\
    NODE_OPTIONS=\${NODE_OPTIONS}
WORKDIR /app
COPY --from=prod-deps --chown=root:root /app/node_modules ./node_modules
COPY --from=build --chown=root:root /app/package.json ./
COPY --from=build --chown=root:root /app/proto ./proto
COPY --from=build --chown=root:root /app/shared/package.json ./shared/package.json
COPY --from=build --chown=root:root /app/shared/dist ./shared/dist
COPY --from=build --chown=root:root /app/shared/migrations ./shared/migrations
COPY --from=bundle --chown=root:root /bundle/services ./services
# Files are owned by root and read-only for the app user (uid 1000, \`node\` in the base image).
USER node
# The shell form expands $SERVICE, exec replaces the shell so node is PID 1 and receives SIGTERM.
CMD exec node "services/\${SERVICE}/dist/main.js"
`;
}
