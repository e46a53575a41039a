# syntax=docker/dockerfile:1
# kingdee-dingtalk-bridge: the compiled service on Node 20, production dependencies only, as a non-root user.
#   docker build -t kingdee-dingtalk-bridge .
#   docker run --env-file .env -e TEMPORAL_ADDRESS=temporal.example:7233 kingdee-dingtalk-bridge      (role all)
#   … kingdee-dingtalk-bridge node dist/scripts/start.js --role worker | --role api                  (split roles)
# docker-compose.yml runs it as bridge-worker and bridge-api. The image never runs the demo: DEMO=off, so it starts
# only with the Kingdee and DingTalk settings (see .env.example) and a Temporal at TEMPORAL_ADDRESS.

ARG NODE_VERSION=20

# ── build: compile TypeScript to dist/ (tsconfig.build.json: no tests) ──────────────────────────────────────────
FROM node:${NODE_VERSION}-bookworm-slim AS build
WORKDIR /src
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY common ./common
COPY domain ./domain
COPY rules ./rules
COPY config ./config
COPY integrations ./integrations
COPY temporal ./temporal
COPY activities ./activities
COPY workflows ./workflows
COPY api ./api
COPY workers ./workers
COPY emulators ./emulators
COPY scripts ./scripts
# scripts/start.js loads scripts/demo.js (and with it the emulators' code) at start-up, so their compiled code stays;
# DEMO=off below means they never run, and their demo data and the developer-only scripts are left out.
RUN npm run build \
 && rm -rf dist/emulators/*/seeds dist/scripts/bench-kingdee.js* dist/scripts/replay-histories.js*

# ── deps: production dependencies only ──────────────────────────────────────────────────────────────────────────
FROM node:${NODE_VERSION}-bookworm-slim AS deps
WORKDIR /app
COPY package.json package-lock.json ./
# tsx is a dependency only for `npm start` from the TypeScript sources; the image runs compiled JavaScript, so it
# goes (with its esbuild binary). The Temporal core bridge ships native builds for every platform: keep Linux's.
RUN npm ci --omit=dev --no-audit --no-fund \
 && npm uninstall --no-save --omit=dev --no-audit --no-fund tsx \
 && { [ -d node_modules/esbuild ] || rm -rf node_modules/@esbuild; } \
 && rm -rf node_modules/@temporalio/core-bridge/releases/*-apple-darwin \
           node_modules/@temporalio/core-bridge/releases/*-windows-msvc \
 && npm cache clean --force

# ── runtime ─────────────────────────────────────────────────────────────────────────────────────────────────────
FROM node:${NODE_VERSION}-bookworm-slim AS runtime
# MALLOC_ARENA_MAX: the worker's native Temporal core runs many threads, each of which would get a malloc arena of
# its own; two arenas keep the worker's memory from fragmenting (README "Capacity": measured with it, not alone).
ENV NODE_ENV=production \
    NODE_OPTIONS=--enable-source-maps \
    MALLOC_ARENA_MAX=2 \
    DEMO=off \
    API_HOST=0.0.0.0 \
    API_PORT=3000 \
    DATA_DIR=/var/lib/kingdee-dingtalk-bridge \
    RULES_FILE=/app/config/rules.yaml
WORKDIR /app
# Code and dependencies belong to root and are read-only for the service; only DATA_DIR (the decision journal) is
# writable. Mount your rules file at /app/config/rules.yaml: without it the start stops and says so (the demo
# company's rules.example.yaml is there to read, never used unless RULES_FILE points at it).
RUN mkdir -p /var/lib/kingdee-dingtalk-bridge && chown 1000:1000 /var/lib/kingdee-dingtalk-bridge
COPY package.json ./
COPY --from=deps /app/node_modules ./node_modules
COPY --from=build /src/dist ./dist
COPY config/rules.example.yaml ./config/rules.example.yaml
COPY deploy/docker/healthcheck.js ./deploy/docker/healthcheck.js
# The base image's unprivileged user "node", by number so Kubernetes' runAsNonRoot can verify it.
USER 1000:1000
EXPOSE 3000
# Roles all and api: GET /readyz. Role worker (no HTTP API): the worker's metrics endpoint shows it polling.
HEALTHCHECK --interval=30s --timeout=10s --start-period=60s --retries=3 \
  CMD ["node", "deploy/docker/healthcheck.js"]
CMD ["node", "dist/scripts/start.js"]
