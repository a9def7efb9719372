#!/usr/bin/env bash
# Build the API docs that nginx serves: openapi.yaml as openapi.json, and the offline docs
# page (Swagger UI from the swagger-ui-dist npm package), into static/dist/api-docs/ (or $1).
#   GET /api/openapi.json  ->  <out>/openapi.json
#   GET /api/docs/         ->  <out>/index.html (+ its assets)
# Runs `npm ci` here when node_modules is missing or older than package.json/package-lock.json
# (npm_ci_when_stale, from static/build.sh).
# Called by scripts/build-static.sh (make static) after the web UI's build, which empties static/dist.
set -euo pipefail
cd "$(dirname "$0")"
# shellcheck source=static/build.sh
source ../static/build.sh

# --ignore-scripts: nothing here needs an install script (swagger-ui-dist's only one is analytics)
SCARF_ANALYTICS=false npm_ci_when_stale openapi 20 --ignore-scripts

exec node build.mjs "$@"
