# syntax=docker/dockerfile:1
# GENERATED from shared/src/services.ts and package.json's workspaces by `make generate` (node tools/deploy/dist/gen-deploy.js). Do not edit.
# One image per service from one file. Build context: the repository root.
#   docker build --build-arg SERVICE=risk -t crypto-trading-engine/risk:0.1.0 .
# docker-compose.trading-complete.yml and k8s/ (generated from shared/src/services.ts) use these images.
ARG NODE_IMAGE=node:20-bookworm-slim

# ---- build: full install, proto generation, tsc -b of every workspace
FROM ${NODE_IMAGE} AS build
WORKDIR /app
COPY package.json package-lock.json ./
COPY services/console/package.json services/console/
COPY services/execution/package.json services/execution/
COPY services/portfolio/package.json services/portfolio/
COPY services/price-stream/package.json services/price-stream/
COPY services/recommendations/package.json services/recommendations/
COPY services/risk/package.json services/risk/
COPY services/signal-generator/package.json services/signal-generator/
COPY services/signals-aggregator/package.json services/signals-aggregator/
COPY services/venue-emulator/package.json services/venue-emulator/
COPY shared/package.json shared/
COPY tools/backtest/package.json tools/backtest/
COPY tools/bench/package.json tools/bench/
COPY tools/deploy/package.json tools/deploy/
COPY tools/fleet/package.json tools/fleet/
COPY tools/lint/package.json tools/lint/
COPY tools/testkit/package.json tools/testkit/
RUN npm ci --no-audit --no-fund
COPY . .
RUN npm run build

# ---- prod-deps: production dependencies of shared and the one service only
FROM ${NODE_IMAGE} AS prod-deps
ARG SERVICE
RUN test -n "$SERVICE" || { echo "--build-arg SERVICE=<name> is required" >&2; exit 1; }
WORKDIR /app
COPY --from=build /app/package.json /app/package-lock.json ./
COPY --from=build /app/services/console/package.json services/console/
COPY --from=build /app/services/execution/package.json services/execution/
COPY --from=build /app/services/portfolio/package.json services/portfolio/
COPY --from=build /app/services/price-stream/package.json services/price-stream/
COPY --from=build /app/services/recommendations/package.json services/recommendations/
COPY --from=build /app/services/risk/package.json services/risk/
COPY --from=build /app/services/signal-generator/package.json services/signal-generator/
COPY --from=build /app/services/signals-aggregator/package.json services/signals-aggregator/
COPY --from=build /app/services/venue-emulator/package.json services/venue-emulator/
COPY --from=build /app/shared/package.json shared/
COPY --from=build /app/tools/backtest/package.json tools/backtest/
COPY --from=build /app/tools/bench/package.json tools/bench/
COPY --from=build /app/tools/deploy/package.json tools/deploy/
COPY --from=build /app/tools/fleet/package.json tools/fleet/
COPY --from=build /app/tools/lint/package.json tools/lint/
COPY --from=build /app/tools/testkit/package.json tools/testkit/
RUN npm ci --omit=dev --no-audit --no-fund --workspace shared --workspace "services/${SERVICE}" \
      $(for d in $(case "$SERVICE" in signal-generator) echo services/price-stream ;; venue-emulator) echo services/price-stream ;; esac); do printf -- '--workspace %s ' "$d"; done) \
 && npm cache clean --force

# ---- bundle: the one service (dist plus bundled data: price-stream replay files, signal-generator
# models; no sources) and the compiled output of the workspaces it imports at run time
FROM build AS bundle
ARG SERVICE
RUN mkdir -p /bundle/services && cp -a "services/${SERVICE}" /bundle/services/ \
 && rm -rf "/bundle/services/${SERVICE}/src" "/bundle/services/${SERVICE}/node_modules/.cache" \
 && for d in $(case "$SERVICE" in signal-generator) echo services/price-stream ;; venue-emulator) echo services/price-stream ;; esac); do mkdir -p "/bundle/$d" && cp -a "$d/package.json" "$d/dist" "/bundle/$d/"; done

# ---- runtime: same Node major, non-root, compiled output only (no tools/ workspace: generators,
# test support, fleet runner and benchmarks are not shipped)
FROM ${NODE_IMAGE} AS runtime
ARG SERVICE
# The declared nodeOptions (shared/src/services.ts) as the image default; deployments set it too.
ARG NODE_OPTIONS=""
ENV NODE_ENV=production \
    SERVICE=${SERVICE} \
    NODE_OPTIONS=${NODE_OPTIONS}
WORKDIR /app
COPY --from=prod-deps --chown=root:root /app/node_modules ./node_modules
COPY --from=build --chown=root:root /app/package.json ./
COPY --from=build --chown=root:root /app/proto ./proto
COPY --from=build --chown=root:root /app/shared/package.json ./shared/package.json
COPY --from=build --chown=root:root /app/shared/dist ./shared/dist
COPY --from=build --chown=root:root /app/shared/migrations ./shared/migrations
COPY --from=bundle --chown=root:root /bundle/services ./services
# Files are owned by root and read-only for the app user (uid 1000, `node` in the base image).
USER node
# The shell form expands $SERVICE, exec replaces the shell so node is PID 1 and receives SIGTERM.
CMD exec node "services/${SERVICE}/dist/main.js"
