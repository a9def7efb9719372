#!/usr/bin/env bash
# Build the web UI into static/dist (served by nginx; dist/ is gitignored).
#   npm ci      when node_modules is missing or older than package-lock.json
#   npm run build   tsc typecheck + vite build (hashed files in dist/assets/)
# Usage: static/build.sh            (from anywhere)
set -euo pipefail
cd "$(dirname "$0")"

if ! command -v npm >/dev/null 2>&1; then
    echo "static/build.sh: npm not found (install Node.js >= 20.19 and npm)" >&2
    exit 1
fi

stamp=node_modules/.smscamp-npm-ci
if [[ ! -d node_modules || ! -f $stamp || package-lock.json -nt $stamp || package.json -nt $stamp ]]; then
    echo "static: npm ci (log: static/node_modules/.npm-ci.log)"
    log=$(mktemp)
    if ! npm ci --no-audit --no-fund >"$log" 2>&1; then
        cat "$log" >&2
        rm -f "$log"
        exit 1
    fi
    mv "$log" node_modules/.npm-ci.log
    touch "$stamp"
fi

npm run --silent build
