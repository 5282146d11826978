# syntax=docker/dockerfile:1
# Switchyard: one image for every role (start | api | worker | migrate | keys | admin).
# The server runs its TypeScript through tsx, so the only build step is the web app,
# which the root `prepare` script builds during `npm ci`.
#   docker build -t switchyard .

FROM node:20-bookworm-slim AS build
WORKDIR /app
# The whole context (see .dockerignore): npm ci needs every workspace's package.json,
# and its prepare script needs the web app's sources.
COPY . .
RUN --mount=type=cache,target=/root/.npm \
    npm ci --omit=dev --no-audit --no-fund \
    && test -f apps/web/dist/index.html \
    && rm -rf /root/.cache

FROM node:20-bookworm-slim AS runtime
ENV NODE_ENV=production \
    HOST=0.0.0.0 \
    PORT=8080 \
    SWITCHYARD_DATA_DIR=/data
RUN groupadd --system --gid 10001 switchyard \
    && useradd --system --uid 10001 --gid switchyard --home-dir /home/switchyard --create-home switchyard \
    && mkdir -p /data \
    && chown switchyard:switchyard /data
WORKDIR /app
# Owned by root and read-only to the server: only /data (and /tmp) are written.
COPY --from=build /app /app
USER switchyard
VOLUME ["/data"]
EXPOSE 8080
# Only the HTTP roles answer here: compose disables it for worker and migrate.
HEALTHCHECK --interval=15s --timeout=5s --start-period=30s --retries=3 \
    CMD ["node", "-e", "fetch('http://127.0.0.1:'+(process.env.PORT||8080)+'/health').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"]
ENTRYPOINT ["node", "apps/server/bin/switchyard.js"]
CMD ["start"]
