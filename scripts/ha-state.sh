#!/usr/bin/env bash
# make ha-state: pg_autoctl show state of the formation in var/ha/ (or the directory given).
set -euo pipefail
# shellcheck source=scripts/lib.sh
source "$(dirname "$0")/lib.sh"
# shellcheck source=scripts/ha-lib.sh
source "$(dirname "$0")/ha-lib.sh"

ha_setup "${1:-$ROOT/var/ha}" "${SMSCAMP_HTTP_PORT:-8080}" "${SMSCAMP_PG_PORT:-5433}" auto
[[ -f "$HA_MONITOR_DIR/PG_VERSION" ]] || die "no formation in ${INST#"$ROOT"/}/: start one with make run-ha"
[[ -n "$(keeper_pid "$HA_MONITOR_DIR")" ]] || die "the formation's monitor is not running: make run-ha"
ha_state
