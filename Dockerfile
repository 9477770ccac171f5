# exechealthz: the exec-over-HTTP liveness bridge, as a sidecar image.
#
#   docker build -t exechealthz:latest .
#   docker run --rm -p 8080:8080 exechealthz:latest -cmd "ls /tmp/test"
#
# Everything after the image name is a flag of exechealthz (the CLI is part of the
# ENTRYPOINT), and a pod's `args:` are flags too. `docker stop` sends SIGTERM: tini forwards
# it, the server drains (kills running probes, finishes in-flight responses) and exits 0.

# ---- build: compile TypeScript, then drop the dev dependencies -------------------------
FROM node:20-alpine AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json ./
COPY src ./src
COPY workers ./workers
# package.json has pre* hooks for start/test only; build explicitly.
RUN npm run build && npm prune --omit=dev --no-audit --no-fund

# ---- runtime ----------------------------------------------------------------------------
# node:20-alpine: busybox gives probes sh, nslookup, wget, nc; the server walks /proc to
# kill probe trees, so busybox ps (no --ppid) is never needed.
FROM node:20-alpine
# tini reaps orphaned probe grandchildren (Node as PID 1 never does) and forwards signals.
RUN apk add --no-cache tini
# TINI_SUBREAPER: tini still reaps when it is not PID 1 (docker run --init, or a pod with
# shareProcessNamespace: true), instead of warning that it cannot.
ENV NODE_ENV=production \
    TINI_SUBREAPER=1
WORKDIR /app
# Owned by root and read-only for the user that runs the server.
COPY --from=build /app/package.json ./
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist/src ./dist/src
COPY --from=build /app/dist/workers ./dist/workers
COPY LICENSE ./
# The image's "node" user, by number so that a pod's runAsNonRoot can verify it.
USER 1000:1000
EXPOSE 8080
STOPSIGNAL SIGTERM
ENTRYPOINT ["/sbin/tini", "--", "node", "/app/dist/src/cli.js"]
