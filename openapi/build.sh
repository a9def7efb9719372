#!/usr/bin/env bash
# Build the API docs that nginx serves: openapi.yaml as openapi.json, and the offline docs
# page (Swagger UI from the swagger-ui-dist npm package), into static/dist/api-docs/ (or $1).
#   GET /api/openapi.json  ->  <out>/openapi.json
#   GET /api/docs/         ->  <out>/index.html (+ its assets)
# Runs `npm ci` here when node_modules is missing or older than package.json/package-lock.json.
# Called by scripts/build-static.sh (make static) after the web UI's build, which empties static/dist.
set -euo pipefail
cd "$(dirname "$0")"

if ! command -v npm >/dev/null 2>&1; then
    echo "openapi/build.sh: npm not found (install Node.js >= 20 and npm)" >&2
    exit 1
fi

stamp=node_modules/.smscamp-npm-ci
if [[ ! -f $stamp || package-lock.json -nt $stamp || package.json -nt $stamp ]]; then
    echo "openapi: npm ci (log: openapi/node_modules/.npm-ci.log)"
    log=$(mktemp)
    # --ignore-scripts: nothing here needs an install script (swagger-ui-dist's only one is analytics)
    if ! SCARF_ANALYTICS=false npm ci --no-audit --no-fund --ignore-scripts >"$log" 2>&1; then
        cat "$log" >&2
        rm -f "$log"
        exit 1
    fi
    mv "$log" node_modules/.npm-ci.log
    touch "$stamp"
fi

exec node build.mjs "$@"
