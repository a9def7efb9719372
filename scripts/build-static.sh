#!/usr/bin/env bash
# make static: build the web UI into static/dist (served by nginx as @STATIC_ROOT@).
# Today static/index.html is a placeholder copied as is; once static/package.json
# exists (the React app), this runs `npm ci` (when package-lock.json changed) and
# `npm run build` (Vite, output in static/dist). Then openapi/build.sh adds the API docs
# (static/dist/api-docs/: openapi.json and the offline docs page, served at /api/openapi.json
# and /api/docs/); after the UI's build, which empties static/dist.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd -P)"
cd "$ROOT/static"

if [[ -f package.json ]]; then
    stamp=node_modules/.smscamp-npm-ci
    if [[ ! -f $stamp || package-lock.json -nt $stamp || package.json -nt $stamp ]]; then
        npm ci --no-audit --no-fund
        touch "$stamp"
    fi
    npm run build
else
    mkdir -p dist
    cp -p index.html dist/index.html
fi

"$ROOT/openapi/build.sh" "$ROOT/static/dist/api-docs"
