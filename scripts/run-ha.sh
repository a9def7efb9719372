#!/usr/bin/env bash
# make run-ha: start the high-availability formation in var/ha/ (scripts/ha-lib.sh: a
# pg_auto_failover monitor, three smscamp data nodes, nginx following the primary) and stay
# in the foreground; Ctrl-C (SIGINT) or SIGTERM stops it all. Data in var/ha/ is kept.
set -euo pipefail
# shellcheck source=scripts/lib.sh
source "$(dirname "$0")/lib.sh"
# shellcheck source=scripts/ha-lib.sh
source "$(dirname "$0")/ha-lib.sh"

ha_setup "$ROOT/var/ha" "${SMSCAMP_HTTP_PORT:-8080}" "${SMSCAMP_PG_PORT:-5433}" auto

STARTED=0
shutdown() {
    trap '' INT TERM HUP PIPE
    set +e
    ((STARTED)) && { echo; section "stopping the formation"; } 2>/dev/null
    ha_stop 2>/dev/null
    rm -f "$INST_RUN/run.pid"
    ((STARTED)) && info "stopped; data kept in ${INST#"$ROOT"/}/" 2>/dev/null
    return 0
}

if [[ -n "$(nginx_pid)" ]]; then
    die "nginx of ${INST#"$ROOT"/}/ is already running (pid $(nginx_pid)): run 'make stop'"
fi
trap shutdown EXIT
mkdir -p "$INST/run"
echo $$ >"$INST/run/run.pid"   # lets `make stop` end this foreground run cleanly
trap 'exit 0' INT TERM HUP

ha_start
STARTED=1

KEY_FILE="$INST/admin.key"
new_key=$(admin_key_ensure "$KEY_FILE")
ui="http://127.0.0.1:$HTTP_PORT/"
cat <<MSG

smscamp is running on a formation of $HA_NODES nodes (pg_auto_failover)
  web UI   $ui
  health   $(health_url)
  state    make ha-state   (monitor on 127.0.0.1:$HA_MONITOR_PORT, nodes on ${HA_PORTS[*]})
  primary  127.0.0.1:$PG_PORT   (psql -h 127.0.0.1 -p $PG_PORT -U postgres smscamp)
  logs     ${INST_LOG#"$ROOT"/}/ (keepers), ${INST#"$ROOT"/}/nodeN/log/ (PostgreSQL)
Ctrl-C to stop.

MSG
if [[ -n "$new_key" ]]; then
    printf 'First start: an admin API key, kept in %s:\n  %s\n\n' "${KEY_FILE#"$ROOT"/}" "$new_key"
elif [[ -f "$KEY_FILE" ]]; then
    info "API key: ${KEY_FILE#"$ROOT"/}"
fi

# Wait; nginx dying is fatal, a node dying is the formation's to handle.
while true; do
    sleep 2 &
    wait $! || true
    if [[ -z "$(nginx_pid)" ]]; then
        tail_nginx_logs
        die "nginx exited unexpectedly"
    fi
done
