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

if [[ -n "$(nginx_pid)" ]]; then
    die "nginx of ${INST#"$ROOT"/}/ is already running (pid $(nginx_pid)): run 'make stop'"
fi
foreground_traps ha_stop "the formation"

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
foreground_key_message "$KEY_FILE" "$new_key" "$ui"

# Wait; nginx dying ends the run, a node dying is the formation's to handle.
foreground_wait
