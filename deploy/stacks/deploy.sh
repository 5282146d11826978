#!/bin/sh
# Zero-downtime deploy of the apps stack: pull (or build) the new image, migrate once, then replace
# api-1 and api-2 one at a time; Caddy (ingress stack) stops sending to an API process as soon as its
# /ready answers 503 (it drains on SIGTERM) and retries refused connections on the other one.
# Workers are replaced after the API. Run from deploy/stacks: ./deploy.sh [image-tag]
set -eu
cd "$(dirname "$0")"
COMPOSE="${COMPOSE:-docker compose}"
FILE="-f docker-compose.apps.yml --env-file ${ENV_FILE:-.env}"
if [ "${1:-}" != "" ]; then export SWITCHYARD_IMAGE="$1"; fi
$COMPOSE $FILE pull --ignore-pull-failures api-1 api-2 worker || true
$COMPOSE $FILE run --rm migrate
node rolling-deploy.mjs --instance api-1 --instance api-2 \
  --replace "$COMPOSE $FILE up -d --no-deps --force-recreate {name}" \
  --health-cmd "$COMPOSE $FILE exec -T {name} node -e \"fetch('http://127.0.0.1:8080/ready').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))\""
$COMPOSE $FILE up -d --no-deps worker
