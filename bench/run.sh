#!/usr/bin/env bash
# make bench: the API benchmark of issue 7.
#
# Starts its own instance (build/bench-api-<pid>, free ports, nginx workers `auto` as in
# production), seeds 100,000 leads, 1,000 campaigns and 1,000,000 campaign leads, then
# measures with wrk (-t2 -c64, a warm-up then 10 s per scenario) and, in the same run,
# pgbench -S -M prepared -c 8 -j 2 over the unix socket (database `pgbench`, scale 10).
# Then each route against its own SQL (issue 17): pgbench with the same options runs the
# route's function (bench/pgbench/<scenario>.fn.sql) and the plain SQL it wraps
# (<scenario>.sql.sql). Prints the table (req/s, p50/p99/p99.9, ratio to pgbench, CPU
# split), the API/function, function/plain SQL and API/pgbench -S of each route, and the
# targets, and writes it to bench/results/latest.md. See bench/README.md.
#
# Knobs (environment): BENCH_DURATION (10 s), BENCH_WARMUP (3 s), BENCH_CONNECTIONS (64),
# BENCH_THREADS (2), BENCH_LEADS (100000), BENCH_CAMPAIGNS (1000), BENCH_PER_CAMPAIGN
# (1000 campaign leads each), BENCH_NGINX_WORKERS (auto), BENCH_SCENARIOS (names, default
# all), BENCH_OUT (bench/results/latest.md), BENCH_KEEP=1 keeps the instance directory,
# BENCH_PERF=1 adds perf profiles (bench/results/perf-<scenario>.txt) after the measurements.
set -euo pipefail
# shellcheck source=bench/common.sh
source "$(dirname "$0")/common.sh"

DURATION=${BENCH_DURATION:-10}
WARMUP=${BENCH_WARMUP:-3}
CONNS=${BENCH_CONNECTIONS:-64}
THREADS=${BENCH_THREADS:-2}
LEADS=${BENCH_LEADS:-100000}
CAMPAIGNS=${BENCH_CAMPAIGNS:-1000}
PER_CAMPAIGN=${BENCH_PER_CAMPAIGN:-1000}
NGINX_WORKERS=${BENCH_NGINX_WORKERS:-auto}
OUT=${BENCH_OUT:-$RESULTS/latest.md}
PGB_CLIENTS=8 PGB_JOBS=2 PGB_SCALE=10
ALL_SCENARIOS=(lead_by_id lead_by_id_close leads_page leads_after leads_search leads_search_name
               leads_search_phone leads_search_company lead_create campaign_by_id dashboard dashboard_c4)
read -r -a SCENARIOS <<<"${BENCH_SCENARIOS:-${ALL_SCENARIOS[*]}}"

command -v wrk >/dev/null || die "wrk not found (Debian package wrk: apt-get install wrk)"
[[ -x "$PGBIN/pgbench" ]] || die "$PGBIN/pgbench not found (postgresql-15)"
((PER_CAMPAIGN <= LEADS)) || die "BENCH_PER_CAMPAIGN must not exceed BENCH_LEADS"

bench_instance api "$NGINX_WORKERS"
bench_rate_limit_off
LOGDIR="$INST/bench"

# at exit (bench_traps, bench/common.sh): wrk and pgbench, then the instance
bench_cleanup() {
    [[ -n "${WRK_PID:-}" ]] && kill "$WRK_PID" 2>/dev/null
    [[ -n "${PGB_PID:-}" ]] && kill "$PGB_PID" 2>/dev/null
    return 0
}
bench_traps instance_stop

section "bench instance ${INST#"$ROOT"/}: http $HTTP_PORT, postgres $PG_PORT, nginx workers $NGINX_WORKERS"
info "$RATE_LIMIT_NOTE"
LOAD_BEFORE=$(machine_load)
instance_start
mkdir -p "$LOGDIR"
URL="http://127.0.0.1:$HTTP_PORT"
export BENCH_LUA="$BENCH/lua"
bench_api_key
info "$AUTH_NOTE"
AUTH_OPTS=()
[[ -z "$AUTH_HEADER" ]] || AUTH_OPTS=(-H "$AUTH_HEADER")

# ---------------------------------------------------------------- data

section "seeding $LEADS leads, $CAMPAIGNS campaigns, $((CAMPAIGNS * PER_CAMPAIGN)) campaign leads"
t0=$SECONDS
psql_db -v leads="$LEADS" -v campaigns="$CAMPAIGNS" -v per_campaign="$PER_CAMPAIGN" \
    -f "$BENCH/seed.sql" >"$LOGDIR/seed.log" 2>&1 || { cat "$LOGDIR/seed.log" >&2; die "seeding failed"; }
read -r N_LEADS N_CAMPAIGNS N_CL MAX_LEAD MIN_CAMP MAX_CAMP < <(sql_value \
    "SELECT (SELECT count(*) FROM leads), (SELECT count(*) FROM campaigns),
            (SELECT count(*) FROM campaign_leads), (SELECT max(id) FROM leads),
            (SELECT min(id) FROM campaigns), (SELECT max(id) FROM campaigns)" | tr '|' ' ')
info "seeded in $((SECONDS - t0)) s: $N_LEADS leads (ids up to $MAX_LEAD), $N_CAMPAIGNS campaigns, $N_CL campaign leads"
export BENCH_MAX_ID="$MAX_LEAD" BENCH_CAMPAIGN_MIN="$MIN_CAMP" BENCH_CAMPAIGN_MAX="$MAX_CAMP"
# the search terms drawn from the data (seed.sql), a file of each kind for wrk
for kind in name phone company fixed; do
    sql_value "SELECT term FROM bench_search_terms WHERE kind = '$kind' ORDER BY n" \
        >"$LOGDIR/terms-$kind.txt"
done
# what the search knows of the leads (pg_cron refreshes it every 5 minutes)
psql_db -c 'SELECT smscamp_search_stats_refresh()' >/dev/null

section "pgbench database (scale $PGB_SCALE)"
t0=$SECONDS
psql_su -d postgres -v ON_ERROR_STOP=1 -c 'CREATE DATABASE pgbench' >/dev/null
"$PGBIN/pgbench" -i -q -s "$PGB_SCALE" -h "$INST_RUN" -p "$PG_PORT" -U "$DB_SUPERUSER" pgbench \
    >"$LOGDIR/pgbench-init.log" 2>&1 || { cat "$LOGDIR/pgbench-init.log" >&2; die "pgbench -i failed"; }
info "initialised in $((SECONDS - t0)) s"

# ---------------------------------------------------------------- measuring helpers

# CPU accounting over one run, sampled inside it (from 1 s after the start to 1 s before
# the end, so that connections pgbench opens and closes are counted): jiffies of the whole
# machine (/proc/stat), CPU seconds of the nginx workers, of PostgreSQL (postmaster and
# children) and of the load generator (wrk or pgbench; its threads included).
CLK_TCK=$(getconf CLK_TCK)
children_of() { cat "/proc/$1/task/$1/children" 2>/dev/null | tr ' ' '\n' | grep -E '^[0-9]+$' || true; }
pg_pids() {
    local m
    m=$(pg_pid)
    [[ -n "$m" ]] || return 0
    echo "$m"
    children_of "$m"
}
machine_busy() {   # busy and total jiffies of all CPUs
    awk '/^cpu / {idle = $5 + $6; t = 0; for (i = 2; i <= 9; i++) t += $i; printf "%d %d\n", t - idle, t}' /proc/stat
}
# cpu_snapshot LOADGEN_PID -> "nginx pg loadgen busy total" (the pg figure is per pid:
# the sets of backends at both ends are the same as long as no connection comes or goes)
cpu_snapshot() {
    local n p b
    mapfile -t n < <(nginx_worker_pids)
    mapfile -t p < <(pg_pids)
    b=$(machine_busy)
    echo "$(cpu_seconds "${n[@]}") $(cpu_seconds "${p[@]}") $(cpu_seconds "$1") $b"
}
# cpu_split BEFORE AFTER: "nginx/pg/loadgen/other" in % of one core
cpu_split() {
    awk -v tck="$CLK_TCK" -v ncpu="$(nproc)" 'BEGIN {
        split(ARGV[1], a, " "); split(ARGV[2], b, " "); ARGV[1] = ""; ARGV[2] = "";
        wall = (b[5] - a[5]) / tck / ncpu;            # seconds of wall time
        if (wall <= 0) { print "-"; exit }
        ng = (b[1] - a[1]) / wall * 100; pg = (b[2] - a[2]) / wall * 100;
        lg = (b[3] - a[3]) / wall * 100; busy = (b[4] - a[4]) / tck / wall * 100;
        other = busy - ng - pg - lg; if (other < 0) other = 0;
        printf "%.0f/%.0f/%.0f/%.0f", ng, pg, lg, other }' "$1" "$2"
}
# measure_window PID NAME: while PID runs (DURATION s), sample the CPU from 1 s in to
# 1 s before its end, and top once in the middle; sets WINDOW_CPU.
measure_window() {
    local pid=$1 name=$2 before after inner t0
    t0=$(date +%s.%N)
    inner=$(awk -v d="$DURATION" 'BEGIN {print (d > 3) ? d - 2.5 : d / 2}')
    sleep 1
    before=$(cpu_snapshot "$pid")
    top -b -n2 -d "$(awk -v i="$inner" 'BEGIN {print i / 3}')" -w 200 2>/dev/null |
        awk '/^top -/ {n++} n == 2' | head -n 30 >"$LOGDIR/$name.top" || true
    # the second sample 1.5 s before the end, whatever top took
    sleep "$(awk -v t0="$t0" -v now="$(date +%s.%N)" -v i="$inner" 'BEGIN {
        s = t0 + 1 + i - now; print (s > 0) ? s : 0 }')"
    after=$(cpu_snapshot "$pid")
    kill -0 "$pid" 2>/dev/null || warn "$name: the load generator ended before the CPU sample (CPU split is off)"
    WINDOW_CPU=$(cpu_split "$before" "$after")
}

declare -A RPS P50 P99 P999 ERRS CPU LABEL
rss_line() {   # "pid:KB pid:KB"
    local p out=()
    for p in $(nginx_worker_pids); do out+=("$p:$(rss_kb "$p")"); done
    echo "${out[*]}"
}

# run_wrk NAME LABEL SCRIPT PATH [WRK_OPTIONS...] [-- SCRIPT_ARGS...]: warm-up, then the
# measured run; fills RPS/P50/P99/P999/ERRS/CPU[NAME].
run_wrk() {
    local name=$1 label=$2 script=$3 path=$4
    shift 4
    local opts=("${AUTH_OPTS[@]}") args=() seen=0 a
    for a in "$@"; do
        if [[ "$a" == -- ]]; then seen=1; continue; fi
        if ((seen)); then args+=("$a"); else opts+=("$a"); fi
    done
    LABEL[$name]=$label
    info "  $name: $label"
    # the warm-up may get its own script arguments (WARM_ARGS), so POSTs never collide
    local wargs=("${args[@]}")
    [[ -n "${WARM_ARGS:-}" ]] && read -r -a wargs <<<"$WARM_ARGS"
    # a scenario may use fewer connections (RUN_CONNS, RUN_THREADS): latency without queueing
    local threads=${RUN_THREADS:-$THREADS} conns=${RUN_CONNS:-$CONNS}
    wrk -t"$threads" -c"$conns" -d"${WARMUP}s" --timeout 10s -s "$BENCH/lua/$script" "${opts[@]}" \
        "$URL$path" "${wargs[@]}" >"$LOGDIR/$name.warmup.log" 2>&1 || true
    [[ $name == lead_by_id ]] && RSS_BEFORE=$(rss_line)
    local log="$LOGDIR/$name.log" line
    wrk -t"$threads" -c"$conns" -d"${DURATION}s" --latency --timeout 10s \
        -s "$BENCH/lua/$script" "${opts[@]}" "$URL$path" "${args[@]}" >"$log" 2>&1 &
    WRK_PID=$!
    measure_window "$WRK_PID" "$name"
    wait "$WRK_PID" || warn "wrk exited non-zero for $name (see $log)"
    WRK_PID=
    [[ $name == lead_by_id ]] && RSS_AFTER=$(rss_line)
    CPU[$name]=$WINDOW_CPU
    line=$(grep '^BENCH ' "$log" | tail -n1 || true)
    if [[ -z "$line" ]]; then
        warn "no result from wrk for $name:"
        cat "$log" >&2
        RPS[$name]=0 P50[$name]=0 P99[$name]=0 P999[$name]=0 ERRS[$name]="wrk failed"
        return 0
    fi
    get() { sed -n "s/.* $1=\([^ ]*\).*/\1/p" <<<"$line"; }
    RPS[$name]=$(get rps)
    P50[$name]=$(get p50) P99[$name]=$(get p99) P999[$name]=$(get p999)
    local st co rd wr to
    st=$(get status_errors) co=$(get connect_errors) rd=$(get read_errors)
    wr=$(get write_errors) to=$(get timeouts)
    if ((st + co + rd + wr + to == 0)); then
        ERRS[$name]=0
    else
        ERRS[$name]="non-2xx $st, connect $co, read $rd, write $wr, timeout $to"
    fi
    printf '    %10.0f req/s  p50 %6s ms  p99 %6s ms  p99.9 %6s ms  errors: %s  cpu ng/pg/wrk/other %%: %s\n' \
        "${RPS[$name]}" "$(fmt_ms "${P50[$name]}")" "$(fmt_ms "${P99[$name]}")" \
        "$(fmt_ms "${P999[$name]}")" "${ERRS[$name]}" "${CPU[$name]}"
}

# Every pgbench of the run (the reference and the route scripts): prepared statements,
# the same clients and threads, over the unix socket as the superuser.
PGB=("$PGBIN/pgbench" -M prepared -c "$PGB_CLIENTS" -j "$PGB_JOBS" -n
     -h "$INST_RUN" -p "$PG_PORT" -U "$DB_SUPERUSER")
pgbench_tps() {   # pgbench_tps LOG: the tps pgbench printed (without connection time)
    local tps
    tps=$(sed -n 's/^tps = \([0-9.]*\) (without initial connection time)/\1/p' "$1")
    [[ -n "$tps" ]] || tps=$(sed -n 's/^tps = \([0-9.]*\).*/\1/p' "$1" | tail -n1)
    echo "$tps"
}

# pgbench -S -M prepared -c 8 -j 2 over the unix socket, with per-transaction logs for
# the latency percentiles.
PGB_TPS=0
run_pgbench() {
    local dir="$LOGDIR/pgbench"
    mkdir -p "$dir"
    info "  pgbench: ${PGB[*]:1} -S -T $DURATION pgbench"
    "${PGB[@]}" -S -T "$WARMUP" pgbench >"$LOGDIR/pgbench.warmup.log" 2>&1 || true
    (cd "$dir" && exec "${PGB[@]}" -S -T "$DURATION" -l pgbench) >"$LOGDIR/pgbench.log" 2>&1 &
    PGB_PID=$!
    measure_window "$PGB_PID" pgbench
    wait "$PGB_PID" || { cat "$LOGDIR/pgbench.log" >&2; die "pgbench failed"; }
    PGB_PID=
    PGB_TPS=$(pgbench_tps "$LOGDIR/pgbench.log")
    [[ -n "$PGB_TPS" ]] || { cat "$LOGDIR/pgbench.log" >&2; die "no tps in the pgbench output"; }
    # column 3 of pgbench's per-transaction log: latency in microseconds
    local pct
    pct=$(cat "$dir"/pgbench_log.* | awk '{print $3}' | sort -n | awk '
        { v[NR] = $1 } END {
            if (NR == 0) { print "0 0 0"; exit }
            i50 = int(NR * 0.50); i99 = int(NR * 0.99); i999 = int(NR * 0.999);
            if (i50 < 1) i50 = 1; if (i99 < 1) i99 = 1; if (i999 < 1) i999 = 1;
            print v[i50], v[i99], v[i999] }')
    rm -rf "$dir"
    read -r "P50[pgbench]" "P99[pgbench]" "P999[pgbench]" <<<"$pct"
    RPS[pgbench]=$PGB_TPS ERRS[pgbench]=0
    CPU[pgbench]=$WINDOW_CPU
    LABEL[pgbench]="pgbench -S -M prepared -c $PGB_CLIENTS -j $PGB_JOBS (unix socket, scale $PGB_SCALE)"
    printf '    %10.0f tps    p50 %6s ms  p99 %6s ms  p99.9 %6s ms  cpu ng/pg/pgbench/other %%: %s\n' \
        "$PGB_TPS" "$(fmt_ms "${P50[pgbench]}")" "$(fmt_ms "${P99[pgbench]}")" \
        "$(fmt_ms "${P999[pgbench]}")" "${CPU[pgbench]}"
}

# ---------------------------------------------------------------- warm-up and runs

section "warm-up"
for p in /api/health /api/leads/1 "/api/leads?limit=50" /api/dashboard/stats "/api/campaigns/$MIN_CAMP"; do
    curl -fsS -o /dev/null "${AUTH_OPTS[@]}" "$URL$p" ||
        die "GET $p failed: $(curl -sS "${AUTH_OPTS[@]}" "$URL$p" | head -c 300)"
done
code=$(curl -sS -o "$LOGDIR/post-check.json" -w '%{http_code}' -X POST "${AUTH_OPTS[@]}" "$URL/api/leads" \
    -H 'Content-Type: application/json' -d '{"name":"Bench Check","phone":"+16990000001"}')
[[ "$code" == 201 ]] || die "POST /api/leads answered $code: $(cat "$LOGDIR/post-check.json")"
wrk -t"$THREADS" -c"$CONNS" -d"${WARMUP}s" -s "$BENCH/lua/lead_by_id.lua" "${AUTH_OPTS[@]}" "$URL/api/leads/1" \
    >"$LOGDIR/warmup.log" 2>&1 || true
RSS_START=$(rss_line)

section "pgbench reference"
run_pgbench

section "wrk -t$THREADS -c$CONNS, ${WARMUP} s warm-up + ${DURATION} s per scenario"
for s in "${SCENARIOS[@]}"; do
    case $s in
        lead_by_id)       run_wrk "$s" 'GET /api/leads/{id} (random id, keep-alive)' lead_by_id.lua /api/leads/1 ;;
        lead_by_id_close) run_wrk "$s" 'GET /api/leads/{id}, new connection per request (Connection: close)' \
                              lead_by_id.lua /api/leads/1 -H 'Connection: close' ;;
        leads_page)       run_wrk "$s" 'GET /api/leads?limit=50&offset=<random 0..10,000>' leads_page.lua '/api/leads?limit=50' ;;
        leads_after)      run_wrk "$s" 'GET /api/leads?limit=50&after=<random id> (keyset)' leads_after.lua '/api/leads?limit=50' ;;
        leads_search)     run_wrk "$s" 'GET /api/leads?q=<term> (19 fixed terms)' leads_search_terms.lua \
                              '/api/leads?q=x' -- "$LOGDIR/terms-fixed.txt" ;;
        leads_search_name|leads_search_phone|leads_search_company)
                          run_wrk "$s" "GET /api/leads?q=<a ${s#leads_search_} fragment drawn from the data>" \
                              leads_search_terms.lua '/api/leads?q=x' -- "$LOGDIR/terms-${s#leads_search_}.txt" ;;
        lead_create)      WARM_ARGS=700 run_wrk "$s" 'POST /api/leads (unique phones)' lead_create.lua /api/leads -- 701 ;;
        campaign_by_id)   run_wrk "$s" 'GET /api/campaigns/{id} (random id)' campaign_by_id.lua /api/campaigns/1 ;;
        dashboard)        run_wrk "$s" 'GET /api/dashboard/stats' static_path.lua /api/dashboard/stats ;;
        dashboard_c4)     RUN_THREADS=1 RUN_CONNS=4 run_wrk "$s" 'GET /api/dashboard/stats, 4 connections (wrk -t1 -c4)' \
                              static_path.lua /api/dashboard/stats ;;
        *) die "unknown scenario '$s' (known: ${ALL_SCENARIOS[*]})" ;;
    esac
done
RSS_END=$(rss_line)
N_LEADS_END=$(sql_value 'SELECT count(*) FROM leads')

# Each route against its own SQL (issue 17): bench/pgbench/<scenario>.fn.sql calls the
# route's function with the wrk script's parameters, <scenario>.sql.sql runs the plain SQL
# it wraps; each a warm-up, then DURATION s, on the bench database with the reference's
# pgbench options (PGB). -D: the seeded ranges, a per-client counter (n) and an area
# code for lead_create's phones, its own in every run (702 and up; wrk has 700 and 701).
declare -A FN_TPS SQL_TPS
declare -A SAME_AS=([lead_by_id_close]=lead_by_id [dashboard_c4]=dashboard)
# scenarios whose scripts are another's with variables of their own (the searches: which
# terms of bench_search_terms, seed.sql)
declare -A SCRIPT_OF=([leads_search]=leads_search_terms [leads_search_name]=leads_search_terms
                      [leads_search_phone]=leads_search_terms [leads_search_company]=leads_search_terms)
declare -A SCRIPT_VARS=([leads_search]="-D tfirst=301 -D tlast=319"
                        [leads_search_name]="-D tfirst=1 -D tlast=100"
                        [leads_search_phone]="-D tfirst=101 -D tlast=200"
                        [leads_search_company]="-D tfirst=201 -D tlast=300")
script_of() { echo "$BENCH/pgbench/${SCRIPT_OF[$1]:-$1}.$2.sql"; }
ROUTES=()
PGB_AREA=702
pct() { awk -v a="$1" -v b="$2" 'BEGIN { if (a != "" && b > 0) printf "%.1f%%", 100 * a / b; else print "-" }'; }
pgbench_script() {   # pgbench_script SCENARIO KIND (fn, sql): sets SCRIPT_TPS ("" if it failed)
    local log="$LOGDIR/$1.$2.pgbench.log"
    local opts=(-D maxid="$MAX_LEAD" -D cmin="$MIN_CAMP" -D cmax="$MAX_CAMP" -D n=0
                ${SCRIPT_VARS[$1]:-} -f "$(script_of "$1" "$2")")
    "${PGB[@]}" "${opts[@]}" -D area="$PGB_AREA" -T "$WARMUP" "$DB_NAME" \
        >"$LOGDIR/$1.$2.pgbench.warmup.log" 2>&1 || true
    SCRIPT_TPS=
    if "${PGB[@]}" "${opts[@]}" -D area=$((PGB_AREA + 1)) -T "$DURATION" "$DB_NAME" >"$log" 2>&1; then
        SCRIPT_TPS=$(pgbench_tps "$log")
    fi
    PGB_AREA=$((PGB_AREA + 2))
    [[ -n "$SCRIPT_TPS" ]] || { warn "pgbench of $(script_of "$1" "$2") failed:"; tail -n 5 "$log" >&2; }
}
route_sql() {   # route_sql SCENARIO: FN_TPS and SQL_TPS of its two scripts
    pgbench_script "$1" fn
    FN_TPS[$1]=$SCRIPT_TPS
    pgbench_script "$1" sql
    SQL_TPS[$1]=$SCRIPT_TPS
    ROUTES+=("$1")
    printf '    %-15s function %8.0f tps   plain SQL %8.0f tps   function/plain %s\n' "$1" \
        "${FN_TPS[$1]:-0}" "${SQL_TPS[$1]:-0}" "$(pct "${FN_TPS[$1]}" "${SQL_TPS[$1]}")"
}

section "each route against its function and its plain SQL (bench/pgbench/)"
info "  pgbench ${PGB[*]:1:7} -T $DURATION -f bench/pgbench/<scenario>.{fn,sql}.sql $DB_NAME, as $DB_SUPERUSER over the unix socket: the clients of the pgbench -S reference"
# the reads meet the table as the wrk runs did, fresh from the seed's VACUUM ANALYZE, not
# with lead_create's inserts unvacuumed (pending GIN entries, visibility map)
psql_db -c 'VACUUM (ANALYZE) leads' >/dev/null
for s in "${SCENARIOS[@]}"; do
    own=${SAME_AS[$s]:-$s}
    if [[ -f "$(script_of "$own" fn)" && -z "${FN_TPS[$own]+x}" ]]; then route_sql "$own"; fi
done
LOAD_AFTER=$(machine_load)

# BENCH_PERF=1: after the measurements, profile some scenarios again (system-wide perf,
# 5 s inside a 8 s wrk run) into bench/results/perf-<scenario>.txt: the table's figures
# are not disturbed.
perf_report() {   # perf_report DATA ARGS...: trimmed lines with a percentage
    perf report -i "$1" --stdio "${@:2}" 2>/dev/null | grep '%' | grep -v '^#' |
        sed -E 's/[[:space:]]+-[[:space:]]+-[[:space:]]*$//; s/[[:space:]]+$//' || true
}
perf_profile() {
    local name=$1 script=$2 path=$3 data="$LOGDIR/$1.perf.data" out="$RESULTS/perf-$1.txt" pids
    info "  perf: $name"
    wrk -t"$THREADS" -c"$CONNS" -d8s --timeout 10s -s "$BENCH/lua/$script" "${AUTH_OPTS[@]}" \
        "$URL$path" >"$LOGDIR/$name.perf-wrk.log" 2>&1 &
    WRK_PID=$!
    sleep 1.5
    # only our processes: nginx workers, PostgreSQL, wrk (other work on the machine is left out)
    pids=$( { nginx_worker_pids; pg_pids; echo "$WRK_PID"; } | paste -sd, -)
    perf record -g -p "$pids" -o "$data" -- sleep 5 >"$LOGDIR/$name.perf-record.log" 2>&1 || true
    wait "$WRK_PID" || true
    WRK_PID=
    {
        echo "# perf record -g of nginx workers + PostgreSQL + wrk, 5 s inside an 8 s run of $name"
        echo "# $(date -u '+%Y-%m-%d %H:%M UTC'), $(machine_line)"
        echo "# $(grep -E '^BENCH' "$LOGDIR/$name.perf-wrk.log" | cut -d' ' -f2-7) (latencies in µs; slowed by perf)"
        echo
        echo "## share of the samples by process"
        perf_report "$data" --no-children --sort comm -g none | head -n 8
        echo
        echo "## top symbols (self)"
        perf_report "$data" --no-children --sort comm,dso,symbol -g none | head -n 50
        echo
        echo "## postgres: inclusive (self + callees) by symbol"
        perf_report "$data" --children --comm postgres --sort symbol -g none | head -n 70
    } >"$out" || true
    rm -f "$data"
}
if [[ "${BENCH_PERF:-}" == 1 ]] && command -v perf >/dev/null; then
    section "perf profiles (bench/results/perf-*.txt)"
    perf_profile lead_by_id lead_by_id.lua /api/leads/1
    perf_profile dashboard static_path.lua /api/dashboard/stats
    perf_profile campaign_by_id campaign_by_id.lua /api/campaigns/1
fi

# a crashed nginx worker or backend makes the figures meaningless
CRASHES=$( { grep -hE 'exited on signal' $(nginx_error_logs) 2>/dev/null || true
             grep -hE 'terminated by signal' "$PG_LOG" 2>/dev/null || true; } | head -n 5)

section "stopping the bench instance"
instance_stop
STOPPED=1

# ---------------------------------------------------------------- report

ratio() { pct "$1" "$PGB_TPS"; }
rss_growth() {   # rss_growth BEFORE AFTER: "pid: a -> b KB (+d)" per worker
    local b=$1 a=$2 item pid kb akb out=()
    for item in $b; do
        pid=${item%%:*} kb=${item#*:}
        akb=$(tr ' ' '\n' <<<"$a" | sed -n "s/^$pid://p")
        [[ -n "$akb" ]] || akb="(gone)"
        if [[ "$akb" =~ ^[0-9]+$ ]]; then
            out+=("pid $pid: $kb → $akb kB ($(printf '%+d' $((akb - kb))) kB)")
        else
            out+=("pid $pid: $kb kB → $akb")
        fi
    done
    local IFS=';'
    echo "${out[*]}"
}

NGX_POOL=$(sed -n 's/^[[:space:]]*smscamp_pool_size[[:space:]]*\([0-9]*\);.*/\1/p' "$ROOT/ngx_smscamp_module/nginx.conf.in" | head -n1)
NGX_WORKERS_REAL=$(wc -w <<<"$RSS_START")
TARGETS=()
target() {   # target TEXT OK(0/1) DETAIL
    local mark=MET
    (($2)) || mark=MISSED
    TARGETS+=("| $1 | $mark | $3 |")
}
# target_p99_5ms SCENARIO TEXT: a "p99 < 5 ms" target, when the scenario ran
target_p99_5ms() {
    [[ -n "${P99[$1]:-}" ]] || return 0
    local p99=${P99[$1]} p99_ms
    p99_ms=$(fmt_ms "$p99")
    if ((p99 < 5000)); then
        target "$2" 1 "p99 $p99_ms ms"
    else
        target "$2" 0 "p99 $p99_ms ms (missed by $(fmt_ms $((p99 - 5000))) ms)"
    fi
}
# the table of each route against its function and its plain SQL, and issue 17's targets
met70() { awk -v a="$1" -v b="$2" 'BEGIN { exit !(a != "" && b > 0 && 100 * a / b >= 70) }'; }
target70() {   # target70 A B: "x% (target 70 %: met)"
    local r
    r=$(pct "$1" "$2")
    [[ $r != - ]] || { echo -; return 0; }
    if met70 "$1" "$2"; then echo "$r (target 70 %: met)"; else echo "$r (target 70 %: missed)"; fi
}
tps_cell() { if [[ -n "$1" ]]; then printf '%.0f' "$1"; else echo failed; fi; }
# target_70 api|fn TEXT: API/function or function/plain SQL of every route measured
target_70() {
    local s a b count=0 met=0 missed=()
    for s in "${ROUTES[@]}"; do
        if [[ $1 == api ]]; then
            [[ -n "${RPS[$s]:-}" ]] || continue
            a=${RPS[$s]} b=${FN_TPS[$s]}
        else
            a=${FN_TPS[$s]} b=${SQL_TPS[$s]}
        fi
        count=$((count + 1))
        if met70 "$a" "$b"; then met=$((met + 1)); else missed+=("$s $(pct "$a" "$b")"); fi
    done
    ((count)) || return 0
    local detail="met by $met of $count"
    ((${#missed[@]} == 0)) || detail+="; missed: $(printf '%s, ' "${missed[@]}" | sed 's/, $//')"
    target "$2" $((met == count)) "$detail"
}
route_rows() {
    local s own fn same
    for s in "${SCENARIOS[@]}"; do
        own=${SAME_AS[$s]:-$s}
        [[ -n "${FN_TPS[$own]+x}" ]] || continue
        fn=$(grep -o 'api\.[a-z_]*' "$(script_of "$own" fn)" | head -n1)
        same=
        [[ $own == "$s" ]] || same=" ($own's)"
        printf '| %s (%s) | %.0f | %s%s | %s%s | %s | %s | %s |\n' "$s" "$fn" "${RPS[$s]}" \
            "$(tps_cell "${FN_TPS[$own]}")" "$same" "$(tps_cell "${SQL_TPS[$own]}")" "$same" \
            "$(target70 "${RPS[$s]}" "${FN_TPS[$own]}")" "$(target70 "${FN_TPS[$own]}" "${SQL_TPS[$own]}")" \
            "$(ratio "${RPS[$s]}")"
    done
}
check_targets() {
    local r p99 p99_ms need
    if [[ -n "${RPS[lead_by_id]:-}" ]]; then
        r=$(awk -v a="${RPS[lead_by_id]}" -v b="$PGB_TPS" 'BEGIN {printf "%.1f", 100 * a / b}')
        need=$(awk -v b="$PGB_TPS" 'BEGIN {printf "%.0f", b / 2}')
        if awk -v r="$r" 'BEGIN {exit !(r >= 50)}'; then
            target "GET /api/leads/{id} ≥ 50% of pgbench tps" 1 "$r% ($(printf '%.0f' "${RPS[lead_by_id]}") req/s vs ${need} needed)"
        else
            target "GET /api/leads/{id} ≥ 50% of pgbench tps" 0 \
                "$r%: $(printf '%.0f' "${RPS[lead_by_id]}") req/s, needs ≥ ${need} req/s (missed by $(awk -v n="$need" -v a="${RPS[lead_by_id]}" 'BEGIN {printf "%.0f req/s, %.1fx short", n - a, n / a}'))"
        fi
        p99=${P99[lead_by_id]} p99_ms=$(fmt_ms "$p99")
        if ((p99 < 5000)); then
            target "GET /api/leads/{id} p99 < 5 ms at $CONNS connections" 1 "p99 $p99_ms ms"
        else
            target "GET /api/leads/{id} p99 < 5 ms at $CONNS connections" 0 "p99 $p99_ms ms (missed by $(fmt_ms $((p99 - 5000))) ms, $(awk -v p="$p99" 'BEGIN {printf "%.1fx", p / 5000}') the limit)"
        fi
    fi
    if [[ -n "${RSS_BEFORE:-}" && -n "${RSS_AFTER:-}" ]]; then
        local grow
        grow=$(for item in $RSS_BEFORE; do
                   a=$(tr ' ' '\n' <<<"$RSS_AFTER" | sed -n "s/^${item%%:*}://p")
                   echo $(( ${a:-0} - ${item#*:} ))
               done | sort -n | tail -n1)
        if ((grow <= 100)); then
            target "nginx worker RSS does not grow (GET /api/leads/{id}, ${DURATION} s; the issue asks 60 s)" 1 "largest growth +${grow} kB"
        else
            target "nginx worker RSS does not grow (GET /api/leads/{id}, ${DURATION} s; the issue asks 60 s)" 0 "a worker grew by ${grow} kB (more than the 100 kB allowed for allocator slack)"
        fi
    fi
    target_p99_5ms dashboard "GET /api/dashboard/stats p99 < 5 ms ($N_CL campaign leads)"
    target_p99_5ms dashboard_c4 "GET /api/dashboard/stats p99 < 5 ms at 4 connections (no queueing)"
    target_70 api "every route: API req/s ≥ 70% of its function's tps (issue 17)"
    target_70 fn "every route: function tps ≥ 70% of its plain SQL's (issue 17)"
}
check_targets

mkdir -p "$(dirname "$OUT")"
{
    echo "# API benchmark — $(date -u '+%Y-%m-%d %H:%M UTC')"
    echo
    echo "* machine: $(machine_line)"
    echo "* load average before / after: $LOAD_BEFORE / $LOAD_AFTER (other processes on this machine share the cores)"
    echo "* commit: $(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo '?')$(git -C "$ROOT" diff --quiet 2>/dev/null || echo ' + uncommitted changes')"
    echo "* instance: nginx worker_processes $NGINX_WORKERS ($NGX_WORKERS_REAL workers), smscamp_pool_size ${NGX_POOL:-?} per worker, PostgreSQL 15 (shared_buffers 256MB), access log on as in production"
    echo "* $RATE_LIMIT_NOTE"
    echo "* $AUTH_NOTE"
    echo "* data: $N_LEADS leads ($N_LEADS_END after the POST run), $N_CAMPAIGNS campaigns, $N_CL campaign leads"
    echo "* load: wrk -t$THREADS -c$CONNS, ${WARMUP} s warm-up then ${DURATION} s per scenario, on the same cores; reference: pgbench -S -M prepared -c $PGB_CLIENTS -j $PGB_JOBS -T $DURATION over the unix socket (scale $PGB_SCALE)"
    echo
    echo "| scenario | req/s | p50 ms | p99 ms | p99.9 ms | vs pgbench | errors | CPU % nginx/pg/loadgen/other |"
    echo "|---|---:|---:|---:|---:|---:|---|---|"
    printf '| %s | %.0f | %s | %s | %s | 100%% | 0 | %s |\n' "${LABEL[pgbench]}" "$PGB_TPS" \
        "$(fmt_ms "${P50[pgbench]}")" "$(fmt_ms "${P99[pgbench]}")" "$(fmt_ms "${P999[pgbench]}")" "${CPU[pgbench]}"
    for s in "${SCENARIOS[@]}"; do
        printf '| %s | %.0f | %s | %s | %s | %s | %s | %s |\n' "${LABEL[$s]//|/\\|}" "${RPS[$s]}" \
            "$(fmt_ms "${P50[$s]}")" "$(fmt_ms "${P99[$s]}")" "$(fmt_ms "${P999[$s]}")" \
            "$(ratio "${RPS[$s]}")" "${ERRS[$s]}" "${CPU[$s]}"
    done
    echo
    echo "CPU: percent of one core over the measured run (200 = both cores), from /proc: nginx workers,"
    echo "PostgreSQL (postmaster and children), the load generator (wrk or pgbench), everything else."
    echo
    if ((${#ROUTES[@]})); then
        echo "## Each route against its function and its plain SQL"
        echo
        echo "After the wrk runs: pgbench -M prepared -c $PGB_CLIENTS -j $PGB_JOBS -T $DURATION (after a ${WARMUP} s warm-up) over the unix"
        echo "socket as the superuser, on the bench database ($DB_NAME). *function*: \`bench/pgbench/<scenario>.fn.sql\`,"
        echo "the route's call as the module makes it (\`SELECT status, body FROM api.<fn>(\$1, ...)\`) with the wrk"
        echo "script's parameters; *plain SQL*: \`<scenario>.sql.sql\`, the SQL the function wraps (the same body,"
        echo "without the function's checks). $PGB_CLIENTS client connections, as in the pgbench -S reference, so that"
        echo "function, plain SQL and pgbench -S compare like with like (the API: wrk's $CONNS connections, and"
        echo "$NGX_WORKERS_REAL nginx workers × ${NGX_POOL:-?} pooled connections to PostgreSQL). Targets (issue 17): API ≥ 70 % of"
        echo "the function, function ≥ 70 % of its plain SQL."
        echo
        echo "| scenario (function) | API req/s | function tps | plain SQL tps | API/function | function/plain SQL | API/pgbench -S |"
        echo "|---|---:|---:|---:|---:|---:|---:|"
        route_rows
        echo
    fi
    echo "## Targets (issues 7 and 17)"
    echo
    echo "| target | | measured |"
    echo "|---|---|---|"
    printf '%s\n' "${TARGETS[@]}"
    echo
    echo "## nginx worker memory (VmRSS)"
    echo
    echo "* GET /api/leads/{id} run (${DURATION} s, after its warm-up): $(rss_growth "${RSS_BEFORE:-}" "${RSS_AFTER:-}" | sed 's/;/; /g')"
    echo "* whole benchmark (after the first warm-up → end): $(rss_growth "$RSS_START" "$RSS_END" | sed 's/;/; /g')"
    if [[ -n "$CRASHES" ]]; then
        echo
        echo "## Crashes during the run (figures not trustworthy)"
        echo
        echo '```'
        echo "$CRASHES"
        echo '```'
    fi
} >"$OUT"

section "results (${OUT#"$ROOT"/})"
cat "$OUT"
[[ -z "$CRASHES" ]] || die "a server process crashed during the benchmark (see above)"
