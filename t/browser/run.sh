#!/usr/bin/env bash
# Run the browser end-to-end tests against a running smscamp (SMSCAMP_URL).
#   t/browser/run.sh                      # SMSCAMP_URL defaults to http://127.0.0.1:8080
# Installs what it needs first: playwright-core (npm ci here, from package-lock.json) and
# Debian's chromium (apt-get, when /usr/bin/chromium is missing and we are root).
# Never downloads a browser of its own.
set -euo pipefail
cd "$(dirname "$0")"

: "${SMSCAMP_URL:=http://127.0.0.1:8080}"
export SMSCAMP_URL

chromium=${SMSCAMP_CHROMIUM:-/usr/bin/chromium}
if [[ ! -x $chromium ]]; then
    if [[ $(id -u) -eq 0 ]] && command -v apt-get >/dev/null; then
        echo "# installing Debian's chromium (apt-get)"
        apt-get update -qq >/dev/null
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
    else
        echo "not ok 1 - chromium is not installed at $chromium (apt-get install chromium)"
        echo "0 passed, 1 failed"
        exit 1
    fi
fi

stamp=node_modules/.smscamp-npm-ci
if [[ ! -f $stamp || package-lock.json -nt $stamp ]]; then
    npm ci --no-audit --no-fund --loglevel=error >/dev/null
    touch "$stamp"
fi

exec node e2e.mjs "$@"
