#!/usr/bin/env bash
# make run: start PostgreSQL + nginx for the instance in var/ and stay in the foreground;
# Ctrl-C (SIGINT) or SIGTERM stops both cleanly. Data in var/ is kept between runs.
# SMSCAMP_HTTPS=1 also serves HTTPS on SMSCAMP_HTTPS_PORT (8443), self-signed (lib.sh).
set -euo pipefail
# shellcheck source=scripts/lib.sh
source "$(dirname "$0")/lib.sh"

instance_setup "$ROOT/var" "${SMSCAMP_HTTP_PORT:-8080}" "${SMSCAMP_PG_PORT:-5433}" auto

STARTED=0
shutdown() {
    # Stop the servers even if the terminal or a pipe reading our output is gone.
    trap '' INT TERM HUP PIPE
    set +e
    ((STARTED)) && { echo; section "stopping"; } 2>/dev/null
    instance_stop 2>/dev/null
    rm -f "$INST_RUN/run.pid"
    ((STARTED)) && info "stopped; data kept in ${INST#"$ROOT"/}/" 2>/dev/null
    return 0
}

# Refuse to start twice: a stray instance of ours is reported, not killed.
if pg_running || [[ -n "$(nginx_pid)" ]]; then
    die "an smscamp instance in ${INST#"$ROOT"/}/ is already running (PostgreSQL pid $(pg_pid), port $(pg_running_port); nginx pid $(nginx_pid)). Another 'make run' is active, or one was not stopped: run 'make stop'."
fi

trap shutdown EXIT
mkdir -p "$INST_RUN"
echo $$ >"$INST_RUN/run.pid"   # lets `make stop` end this foreground run cleanly
# Ctrl-C / SIGTERM (or a closed terminal) is the normal way to stop: exit 0 once both servers are down.
trap 'exit 0' INT TERM HUP

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
if [[ -n "$new_key" ]]; then
    cat <<MSG
First start: an admin API key was created. It is shown only here and kept in
${KEY_FILE#"$ROOT"/} (readable by you only). The web UI asks for it once per session.
  $new_key
  curl -H "Authorization: Bearer \$(cat ${KEY_FILE#"$ROOT"/})" ${ui}api/leads

MSG
elif [[ -f "$KEY_FILE" ]]; then
    info "API key: ${KEY_FILE#"$ROOT"/} (Authorization: Bearer \$(cat ${KEY_FILE#"$ROOT"/}))"
else
    info "API keys exist already; a new one: make psql SQL=\"SELECT smscamp_create_key('me', 'admin')\""
fi

# Wait, but notice when a server dies on its own.
while true; do
    sleep 2 &
    wait $! || true
    if [[ -z "$(nginx_pid)" ]]; then
        tail_nginx_logs
        die "nginx exited unexpectedly"
    fi
    if ! pg_running; then
        tail_file postgresql.log "$PG_LOG"
        die "PostgreSQL exited unexpectedly"
    fi
done
