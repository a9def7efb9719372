#!/usr/bin/env bash
# make stop: stop the instance in var/ (or the directory given as $1), whether a
# foreground 'make run' left it behind or it is still running elsewhere.
set -euo pipefail
# shellcheck source=scripts/lib.sh
source "$(dirname "$0")/lib.sh"

dir=${1:-$ROOT/var}
[[ -d "$dir" ]] || { info "nothing to stop: no ${dir#"$ROOT"/}/"; exit 0; }
instance_setup "$dir" "${SMSCAMP_HTTP_PORT:-8080}" "${SMSCAMP_PG_PORT:-5433}" auto

# A foreground `make run` is asked to stop (it stops both servers and exits).
run_pid=$(cat "$INST_RUN/run.pid" 2>/dev/null || true)
asked=0
if [[ "$run_pid" =~ ^[0-9]+$ ]] && grep -qa 'run.sh' "/proc/$run_pid/cmdline" 2>/dev/null; then
    info "asking 'make run' (pid $run_pid) to stop"
    kill -TERM "$run_pid" 2>/dev/null || true
    asked=1
    for ((i = 0; i < 600; i++)); do
        kill -0 "$run_pid" 2>/dev/null || break
        sleep 0.1
    done
fi

if ! pg_running && [[ -z "$(nginx_pid)" ]]; then
    if ((asked)); then info "stopped ${INST#"$ROOT"/}/"; else info "nothing running in ${INST#"$ROOT"/}/"; fi
    exit 0
fi
if pg_running && [[ "$(pg_running_port)" != "$PG_PORT" ]]; then
    info "note: PostgreSQL of ${INST#"$ROOT"/}/ runs on port $(pg_running_port), not $PG_PORT; stopping it anyway"
fi
instance_stop
info "stopped ${INST#"$ROOT"/}/"
