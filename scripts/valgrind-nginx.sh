#!/usr/bin/env bash
# nginx under valgrind's memcheck, every process followed (the master, its workers):
#   NGINX_BIN=scripts/valgrind-nginx.sh SMSCAMP_HEALTH_TIMEOUT=90 \
#       make test SUITES=http HTTP_TESTS="t/http/10-leads-crud.t t/http/84-metrics.t"
# then look at the ERROR SUMMARY lines of build/valgrind/nginx.<pid>.log. Leaks are reported
# when they are definite; nginx's own (a pcre2 context, ngx_set_environment) are known.
set -euo pipefail
out="${SMSCAMP_VALGRIND_DIR:-$(cd "$(dirname "$0")/.." && pwd -P)/build/valgrind}"
mkdir -p "$out"
exec valgrind --trace-children=yes --leak-check=full --show-leak-kinds=definite \
    --errors-for-leak-kinds=definite --num-callers=30 \
    --log-file="$out/nginx.%p.log" /usr/sbin/nginx "$@"
