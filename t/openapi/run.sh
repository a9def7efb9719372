#!/usr/bin/env bash
# Hold the running server to openapi/openapi.yaml (suite "openapi" of make test):
#   t/openapi/run.sh        # SMSCAMP_URL (default http://127.0.0.1:8080), SMSCAMP_API_KEY (an admin key)
# Installs its npm packages first (npm ci here, from package-lock.json): @redocly/cli to lint
# the document, ajv + ajv-formats to validate the answers, yaml to read the document.
set -euo pipefail
cd "$(dirname "$0")"

: "${SMSCAMP_URL:=http://127.0.0.1:8080}"
export SMSCAMP_URL

if [[ -z ${SMSCAMP_API_KEY:-} && -z ${SMSCAMP_ROOT:-} && -r ../../var/admin.key ]]; then
    SMSCAMP_API_KEY=$(cat ../../var/admin.key)    # make run's first admin key
fi
if [[ -z ${SMSCAMP_API_KEY:-} ]]; then
    echo "not ok 1 - SMSCAMP_API_KEY is not set (an admin key)"
    echo "openapi: 0 passed, 1 failed"
    exit 1
fi
export SMSCAMP_API_KEY

stamp=node_modules/.smscamp-npm-ci
if [[ ! -f $stamp || package-lock.json -nt $stamp || package.json -nt $stamp ]]; then
    if ! npm ci --no-audit --no-fund --ignore-scripts --loglevel=error >/dev/null; then
        echo "not ok 1 - npm ci in t/openapi failed"
        echo "openapi: 0 passed, 1 failed"
        exit 1
    fi
    touch "$stamp"
fi

exec node validate.mjs
