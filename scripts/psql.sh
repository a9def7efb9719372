#!/usr/bin/env bash
# make psql: psql as the superuser on the database of the instance in var/.
# With SQL set (make psql SQL='SELECT …'), run that one statement and exit with psql's status.
# Extra arguments go to psql (make seed uses them).
set -euo pipefail
# shellcheck source=scripts/lib.sh
source "$(dirname "$0")/lib.sh"

instance_setup "$ROOT/var" "${SMSCAMP_HTTP_PORT:-8080}" "${SMSCAMP_PG_PORT:-5433}" auto
[[ -S "$(pg_socket)" ]] ||
    die "no PostgreSQL on port $PG_PORT in ${INST#"$ROOT"/}/ (start it with 'make run'; set SMSCAMP_PG_PORT if it runs on another port)"

args=(-h "$INST_RUN" -p "$PG_PORT" -U "$DB_SUPERUSER" -d "$DB_NAME")
if [[ -n "${SQL:-}" ]]; then
    exec "$PGBIN/psql" "${args[@]}" -v ON_ERROR_STOP=1 -X -c "$SQL" "$@"
fi
exec "$PGBIN/psql" "${args[@]}" "$@"
