#!/usr/bin/env bash
# Build the web UI into static/dist (served by nginx; dist/ is gitignored).
#   npm ci      when node_modules is missing or older than package-lock.json
#   npm run build   tsc typecheck + vite build (hashed files in dist/assets/)
# Usage: static/build.sh            (from anywhere)
# Sourced (by openapi/build.sh), it only defines npm_ci_when_stale.

# npm_ci_when_stale WHO NODE_VERSION [npm ci options...]: in the current directory, npm ci when
# node_modules is missing or older than package.json or package-lock.json (its output in
# node_modules/.npm-ci.log, shown when it fails). WHO names the caller in the messages; without
# npm, the message asks for Node.js >= NODE_VERSION. Exits non-zero on failure.
npm_ci_when_stale() {
    local who=$1 node_version=$2 stamp=node_modules/.smscamp-npm-ci log
    shift 2
    if ! command -v npm >/dev/null 2>&1; then
        echo "$who/build.sh: npm not found (install Node.js >= $node_version and npm)" >&2
        exit 1
    fi
    if [[ ! -d node_modules || ! -f $stamp || package-lock.json -nt $stamp || package.json -nt $stamp ]]; then
        echo "$who: npm ci (log: $who/node_modules/.npm-ci.log)"
        log=$(mktemp)
        if ! npm ci --no-audit --no-fund "$@" >"$log" 2>&1; then
            cat "$log" >&2
            rm -f "$log"
            exit 1
        fi
        mv "$log" node_modules/.npm-ci.log
        touch "$stamp"
    fi
}

[[ "${BASH_SOURCE[0]}" == "$0" ]] || return 0

set -euo pipefail
cd "$(dirname "$0")"
npm_ci_when_stale static 20.19
npm run --silent build
