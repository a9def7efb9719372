#!/usr/bin/env bash
# Install the Debian packages smscamp needs to build, run and test (only when one is missing).
# `make deps` runs this once per version of this file (stamp: build/.deps-<hash>);
# every other make target depends on it.
#
# npm packages for the web UI are not installed here: `make static` runs `npm ci` in
# static/ (scripts/build-static.sh) once static/package.json exists.
set -euo pipefail

PACKAGES=(
    build-essential pkg-config                      # C toolchain
    nginx nginx-dev                                 # nginx 1.22 + sources to build the dynamic module
    libpq-dev                                       # libpq for the nginx module
    postgresql-15 postgresql-server-dev-15          # server + PGXS for pg_extension/
    postgresql-15-cron                              # pg_cron (shared_preload_libraries)
    postgresql-15-auto-failover                     # pg_auto_failover: make run-ha, make test-ha
    postgresql-15-plproxy                           # PL/Proxy: make test-shards (a router over two shards)
    postgresql-15-pgtap libtap-parser-sourcehandler-pgtap-perl  # pgTAP + pg_prove
    libjansson-dev libcurl4-openssl-dev             # JSON and HTTP client in C
    wrk curl ca-certificates perl                   # load tests, health checks, prove
    clang-14 libclang-rt-14-dev libssl-dev          # fuzzing harnesses (t/fuzz: libFuzzer, ASan, UBSan)
    openssl libio-socket-ssl-perl                   # HTTPS: self-signed certificate, TLS tests
    chromium                                        # browser tests (driven by playwright-core)
)
# Node.js and npm build the web UI; the machine image has them, a bare Debian gets its own.
command -v npm >/dev/null 2>&1 || PACKAGES+=(nodejs npm)

missing_packages() {
    local p
    for p in "${PACKAGES[@]}"; do
        dpkg-query -W -f='${db:Status-Status}' "$p" 2>/dev/null | grep -qx installed || echo "$p"
    done
}

# The packages start services of their own (cluster 15/main on :5432, nginx on :80).
# smscamp never uses them; stop them so they take no ports or memory.
stop_system_services() {
    if command -v pg_lsclusters >/dev/null 2>&1 &&
        pg_lsclusters -h 2>/dev/null | awk '$1 == 15 && $2 == "main" && $4 == "online" {f=1} END {exit !f}'; then
        echo "stopping the Debian cluster 15/main (smscamp does not use it)"
        pg_ctlcluster 15 main stop || true
    fi
    if [[ -s /run/nginx.pid ]] && kill -0 "$(cat /run/nginx.pid)" 2>/dev/null; then
        echo "stopping the system nginx (smscamp runs its own)"
        nginx -s stop 2>/dev/null || kill "$(cat /run/nginx.pid)" 2>/dev/null || true
    fi
}

main() {
    local missing
    mapfile -t missing < <(missing_packages)
    ((${#missing[@]})) || return 0
    echo "smscamp: installing missing packages: ${missing[*]}"
    if [[ $EUID -ne 0 ]]; then
        echo "smscamp: error: installing packages needs root; run as root or install them yourself:" >&2
        echo "  apt-get install ${missing[*]}" >&2
        exit 1
    fi
    apt-get update
    DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "${missing[@]}"
    stop_system_services
    local still
    mapfile -t still < <(missing_packages)
    ((${#still[@]} == 0)) || { echo "smscamp: error: still missing: ${still[*]}" >&2; exit 1; }
}

main "$@"
