#!/usr/bin/env bash
# make stop: stop the instance in var/ and the formation in var/ha/ (or the directory given
# as $1), whether a foreground 'make run' / 'make run-ha' left them behind or they still run.
set -euo pipefail
# shellcheck source=scripts/lib.sh
source "$(dirname "$0")/lib.sh"
# shellcheck source=scripts/ha-lib.sh
source "$(dirname "$0")/ha-lib.sh"

# ask_foreground_run RUNDIR: a foreground run is asked to stop (it stops its servers and
# exits); true when one was asked
ask_foreground_run() {
    local run_pid i
    run_pid=$(cat "$1/run.pid" 2>/dev/null || true)
    [[ "$run_pid" =~ ^[0-9]+$ ]] && grep -qa 'run' "/proc/$run_pid/cmdline" 2>/dev/null || return 1
    info "asking the foreground run (pid $run_pid) to stop"
    kill -TERM "$run_pid" 2>/dev/null || true
    for ((i = 0; i < 900; i++)); do
        kill -0 "$run_pid" 2>/dev/null || break
        sleep 0.1
    done
    return 0
}

stop_instance() {
    local dir=$1 asked=0
    instance_setup "$dir" "${SMSCAMP_HTTP_PORT:-8080}" "${SMSCAMP_PG_PORT:-5433}" auto
    ask_foreground_run "$INST_RUN" && asked=1
    if ! pg_running && [[ -z "$(nginx_pid)" ]]; then
        if ((asked)); then info "stopped ${INST#"$ROOT"/}/"; else info "nothing running in ${INST#"$ROOT"/}/"; fi
        return 0
    fi
    if pg_running && [[ "$(pg_running_port)" != "$PG_PORT" ]]; then
        info "note: PostgreSQL of ${INST#"$ROOT"/}/ runs on port $(pg_running_port), not $PG_PORT; stopping it anyway"
    fi
    instance_stop
    info "stopped ${INST#"$ROOT"/}/"
}

stop_formation() {
    local d running=0
    ha_setup "$1" "${SMSCAMP_HTTP_PORT:-8080}" "${SMSCAMP_PG_PORT:-5433}" auto
    ask_foreground_run "$INST_RUN" && running=1
    for d in "$HA_MONITOR_DIR" "$INST"/node*; do
        [[ -n "$(keeper_pid "$d")" || -f "$d/postmaster.pid" ]] && running=1
    done
    [[ -n "$(nginx_pid)" ]] && running=1
    if ((!running)); then
        info "nothing running in ${INST#"$ROOT"/}/"
        return 0
    fi
    ha_stop
    info "stopped the formation in ${INST#"$ROOT"/}/"
}

if [[ -n "${1:-}" ]]; then
    [[ -d "$1" ]] || { info "nothing to stop: no ${1#"$ROOT"/}/"; exit 0; }
    if [[ -d "$1/monitor" ]]; then stop_formation "$1"; else stop_instance "$1"; fi
    exit 0
fi
if [[ -d "$ROOT/var/pg" ]]; then stop_instance "$ROOT/var"; fi
if [[ -d "$ROOT/var/ha/monitor" ]]; then stop_formation "$ROOT/var/ha"; fi
[[ -d "$ROOT/var/pg" || -d "$ROOT/var/ha/monitor" ]] || info "nothing to stop: no var/"
