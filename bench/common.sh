# shellcheck shell=bash
# Shared helpers of bench/run.sh and bench/campaign.sh, on top of scripts/lib.sh.
#
# A benchmark has its own instance, build/bench-<kind>-<pid>, on free ports (never
# 8080/5433), stopped and removed when the script exits (kept with BENCH_KEEP=1).

# shellcheck source=scripts/lib.sh
source "$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd -P)/scripts/lib.sh"

BENCH="$ROOT/bench"
RESULTS="$BENCH/results"

# Instances of benchmark runs that are gone (interrupted) are stopped and wiped.
bench_wipe_stale() {
    local d pid
    for d in "$ROOT"/build/bench-*-*/; do
        [[ -d "$d" ]] || continue
        d=${d%/}
        pid=${d##*-}
        if [[ "$pid" =~ ^[0-9]+$ ]] && kill -0 "$pid" 2>/dev/null; then continue; fi
        (instance_setup "$d" 0 0 1 && instance_stop) >/dev/null 2>&1 || true
        rm -rf "$d"
    done
}

# bench_instance KIND NGINX_WORKERS: set up build/bench-KIND-<pid> on two free ports.
bench_instance() {
    local kind=$1 workers=$2 ports
    bench_wipe_stale
    mapfile -t ports < <(free_ports 2)
    ((${#ports[@]} == 2)) || die "could not find two free ports"
    instance_setup "$ROOT/build/bench-$kind-$$" "${ports[0]}" "${ports[1]}" "$workers"
    export PGHOST="$INST_RUN" PGPORT="$PG_PORT" PGUSER="$DB_SUPERUSER" PGDATABASE="$DB_NAME"
}

# bench_traps STOP: at exit, bench_cleanup (the script's own function: its children), then STOP
# (pg_stop or instance_stop) unless the script stopped the instance itself (STOPPED=1); the
# instance directory is kept after a failure, or with BENCH_KEEP=1 (scripts/lib.sh's
# instance_traps).
bench_traps() {
    instance_traps bench bench_cleanup "$1" "${BENCH_KEEP:-0}"
}

# The issue turns rate limiting off for the bench instance: smscamp_rate_limit off (rendered
# into its site.conf by scripts/lib.sh from SMSCAMP_RATE_LIMIT), so that wrk measures the API,
# not the limiter's 429s. Everything else is the template as make run uses it.
bench_rate_limit_off() {
    export SMSCAMP_RATE_LIMIT=off
    RATE_LIMIT_NOTE="rate limiting: off for this instance (smscamp_rate_limit off; make run has it on: 100 r/s per key, burst 200)"
}

# pg_conf_append LINE...: settings at the end of postgresql.conf (they win over smscamp.conf).
pg_conf_append() {
    printf '%s\n' "$@" >>"$INST_PG/postgresql.conf"
}

# bench_api_key: when the API wants keys (smscamp_create_key exists), make an admin key
# for the load generators and set AUTH_HEADER (and AUTH_NOTE); else leave it empty.
AUTH_HEADER=
AUTH_NOTE="API keys: not implemented in this tree (no Authorization header sent)"
bench_api_key() {
    local key
    [[ "$(sql_value "SELECT to_regproc('smscamp_create_key') IS NOT NULL")" == t ]] || return 0
    key=$(sql_value "SELECT smscamp_create_key('bench (bench/)', 'admin')")
    [[ "$key" == smc_* ]] || die "could not create an API key for the benchmark"
    AUTH_HEADER="Authorization: Bearer $key"
    AUTH_NOTE="API keys: on (nginx smscamp_auth ${SMSCAMP_AUTH:-on}); every request sends an admin key (the module caches a key's lookup)"
}

psql_db() { psql_su -d "$DB_NAME" -v ON_ERROR_STOP=1 "$@"; }
sql_value() { psql_su -d "$DB_NAME" -v ON_ERROR_STOP=1 -tA -c "$1"; }

# ---------------------------------------------------------------- the machine

machine_cpu() { sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n1; }
machine_mem() { awk '/^MemTotal/ {printf "%.1f GiB", $2 / 1048576}' /proc/meminfo; }
machine_line() {
    printf '%s CPUs (nproc), %s, %s RAM, %s' "$(nproc)" "$(machine_cpu)" "$(machine_mem)" \
        "$(uname -r)"
}
# Load from other processes on this shared machine skews every figure: record it.
machine_load() { cut -d' ' -f1-3 /proc/loadavg; }

# ---------------------------------------------------------------- /proc

rss_kb() { awk '/^VmRSS/ {print $2}' "/proc/$1/status" 2>/dev/null || echo 0; }
anon_kb() { awk '/^RssAnon/ {print $2}' "/proc/$1/status" 2>/dev/null || echo 0; }
hwm_kb() { awk '/^VmHWM/ {print $2}' "/proc/$1/status" 2>/dev/null || echo 0; }

# The nginx workers of this instance: children of its master.
nginx_worker_pids() {
    local master
    master=$(nginx_pid)
    [[ -n "$master" ]] || return 0
    cat "/proc/$master/task/$master/children" 2>/dev/null | tr ' ' '\n' | grep -E '^[0-9]+$' || true
}

# cpu_seconds PID...: the total CPU seconds (utime + stime, all threads) of these
# processes; gone ones count 0. One number, always.
cpu_seconds() {
    local p f=()
    for p in "$@"; do f+=("/proc/$p/stat"); done
    ((${#f[@]})) || { echo 0; return 0; }
    # the fields after the last ")": the command name may contain spaces
    cat "${f[@]}" 2>/dev/null | sed 's/.*) //' |
        awk -v hz="$(getconf CLK_TCK)" '{t += $12 + $13} END {printf "%.2f\n", t / hz}'
}

fmt_ms() { awk -v us="$1" 'BEGIN { printf "%.2f", us / 1000 }'; }

# bench_pg_against_fake [SETTING ...]: the engine pointed at the fake Twilio already started
# (fake_start: FAKE_URL), the offline writer, and the extra settings given ('smscamp.x = 1')
bench_pg_against_fake() {
    local s
    for s in "smscamp.sms_provider = 'twilio'" "smscamp.twilio_base_url = '$FAKE_URL'" \
             "smscamp.twilio_account_sid = 'ACtest'" "smscamp.twilio_auth_token = 'tok-test'" \
             "smscamp.sms_from = '+15005550006'" "smscamp.openai_api_key = ''" "$@"; do
        psql_db -c "ALTER SYSTEM SET $s" >/dev/null
    done
    psql_db -tA -c 'SELECT pg_reload_conf()' >/dev/null
    sleep 1
}

# bench_pg_up: the bench instance's PostgreSQL (no nginx) initialised, started, its database
# created and loaded; LOAD_BEFORE the machine's load before it
bench_pg_up() {
    section "bench instance ${INST#"$ROOT"/}: postgres $PG_PORT"
    LOAD_BEFORE=$(machine_load)
    ports_check
    instance_dirs
    mkdir -p "$LOGDIR"
    pg_init
    pg_start
    db_create
    db_load
}
