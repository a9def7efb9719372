#!/usr/bin/env bash
# make run: start PostgreSQL + nginx for the instance in var/ and stay in the foreground;
# Ctrl-C (SIGINT) or SIGTERM stops both cleanly. Data in var/ is kept between runs.
# SMSCAMP_HTTPS=1 also serves HTTPS on SMSCAMP_HTTPS_PORT (8443), self-signed (lib.sh).
set -euo pipefail
# shellcheck source=scripts/lib.sh
source "$(dirname "$0")/lib.sh"

instance_setup "$ROOT/var" "${SMSCAMP_HTTP_PORT:-8080}" "${SMSCAMP_PG_PORT:-5433}" auto

# Refuse to start twice: a stray instance of ours is reported, not killed.
if pg_running || [[ -n "$(nginx_pid)" ]]; then
    die "an smscamp instance in ${INST#"$ROOT"/}/ is already running (PostgreSQL pid $(pg_pid), port $(pg_running_port); nginx pid $(nginx_pid)). Another 'make run' is active, or one was not stopped: run 'make stop'."
fi

foreground_traps instance_stop

instance_start
STARTED=1

# a new user is never locked out: the first start makes an admin key
KEY_FILE="$INST/admin.key"
new_key=$(admin_key_ensure "$KEY_FILE")

ui="http://127.0.0.1:$HTTP_PORT/"
https_line=
if ((HTTPS)); then
    https_line=$'\n'"  https    $(https_url)   (self-signed certificate ${INST_TLS#"$ROOT"/}/cert.pem: curl --cacert it; HSTS on)"
fi
cat <<MSG

smscamp is running
  web UI   $ui
  API      ${ui}api/leads
  health   $(health_url)${https_line}
  psql     make psql$( [[ "$PG_PORT" == 5433 ]] || printf ' SMSCAMP_PG_PORT=%s' "$PG_PORT")   (PostgreSQL on 127.0.0.1:$PG_PORT, socket dir ${INST_RUN#"$ROOT"/})
  logs     ${INST_LOG#"$ROOT"/}/
Ctrl-C to stop.

MSG
foreground_key_message "$KEY_FILE" "$new_key" "$ui"

# Wait, but notice when a server dies on its own.
pg_alive() {
    pg_running && return 0
    tail_file postgresql.log "$PG_LOG"
    die "PostgreSQL exited unexpectedly"
}
foreground_wait pg_alive
