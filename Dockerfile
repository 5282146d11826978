# syntax=docker/dockerfile:1
# Switchyard: one image for every role (start | api | worker | migrate | keys | admin).
# The root `prepare` script builds the web app and the server bundle (apps/server/dist)
# during `npm ci`; bin/switchyard.js runs the bundle while it matches the sources.
#   docker build -t switchyard .

FROM node:20-bookworm-slim AS build
WORKDIR /app
# The whole context (see .dockerignore): npm ci needs every workspace's package.json,
# and its prepare script needs the web app's sources.
COPY . .
RUN --mount=type=cache,target=/root/.npm \
    npm ci --omit=dev --no-audit --no-fund \
    && test -f apps/web/dist/index.html \
    && test -f apps/server/dist/cli.js \
    && rm -rf /root/.cache

FROM node:20-bookworm-slim AS runtime
# The PostgreSQL major the deployment files run (postgres:16 in deploy/): `switchyard backup` and
# `restore` in server mode need its pg_dump / pg_restore (an older pg_dump refuses a newer server).
# Debian bookworm ships 15, so they come from the PostgreSQL project's apt repository (PGDG).
ARG POSTGRES_CLIENT_MAJOR=16
ENV NODE_ENV=production \
    HOST=0.0.0.0 \
    PORT=8080 \
    SWITCHYARD_DATA_DIR=/data
SHELL ["/bin/bash", "-o", "pipefail", "-c"]
RUN apt-get update \
    && apt-get install -y --no-install-recommends ca-certificates \
    && install -d /usr/share/postgresql-common/pgdg \
    && node -e "fetch('https://www.postgresql.org/media/keys/ACCC4CF8.asc').then(async (r) => { if (!r.ok) throw new Error('PGDG key: ' + r.status); require('fs').writeFileSync('/usr/share/postgresql-common/pgdg/apt.postgresql.org.asc', await r.text()); })" \
    && echo "deb [signed-by=/usr/share/postgresql-common/pgdg/apt.postgresql.org.asc] https://apt.postgresql.org/pub/repos/apt bookworm-pgdg main" \
        > /etc/apt/sources.list.d/pgdg.list \
    && apt-get update \
    && apt-get install -y --no-install-recommends "postgresql-client-${POSTGRES_CLIENT_MAJOR}" \
    && rm -rf /var/lib/apt/lists/* \
    && pg_dump --version | grep -q " ${POSTGRES_CLIENT_MAJOR}\." \
    && pg_restore --version | grep -q " ${POSTGRES_CLIENT_MAJOR}\."
RUN groupadd --system --gid 10001 switchyard \
    && useradd --system --uid 10001 --gid switchyard --home-dir /home/switchyard --create-home switchyard \
    && mkdir -p /data \
    && chown switchyard:switchyard /data
WORKDIR /app
# Owned by root and read-only to the server: only /data (and /tmp) are written.
COPY --from=build /app /app
# The bin falls back to the TypeScript source (slower start, more memory) when the bundle does not
# match the files: refuse to build such an image.
RUN node --input-type=module -e "const { currentBundle } = await import('/app/apps/server/bin/current-bundle.js'); if (!currentBundle()) { console.error('apps/server/dist does not match the sources'); process.exit(1); }"
USER switchyard
VOLUME ["/data"]
EXPOSE 8080
# Only the HTTP roles answer here: compose disables it for worker and migrate.
HEALTHCHECK --interval=15s --timeout=5s --start-period=30s --retries=3 \
    CMD ["node", "-e", "fetch('http://127.0.0.1:'+(process.env.PORT||8080)+'/health').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"]
ENTRYPOINT ["node", "apps/server/bin/switchyard.js"]
CMD ["start"]
