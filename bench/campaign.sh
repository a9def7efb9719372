#!/usr/bin/env bash
# make bench-campaign: the 100,000-lead campaign benchmark of issue 4.
#
# Its own PostgreSQL instance (build/bench-campaign-<pid>, free port; no nginx: the
# campaign is started from SQL), the fake OpenAI + Twilio server of t/fakes with 300 ms
# LLM and 100 ms SMS latency, settings through ALTER SYSTEM + pg_reload_conf(), one
# campaign (send_window NULL) over every lead, started with smscamp_start(). Progress,
# worker memory, wait events and the fake's in-flight requests are sampled every second.
# Reports total time, sustained leads/s (10% → 90% of the leads, i.e. without ramp-up
# and tail), per-lead latency p50/p99 (claimed_at → processed_at), peak worker RSS and
# the fake's message count (must equal the sent count), and appends them to
# bench/results/campaign-latest.md. Target: ≥ 1,000 leads/s with bounded memory.
#
# Knobs (environment): BENCH_CAMPAIGN_LEADS (100000), BENCH_WORKERS (smscamp.workers,
# default: the extension's), BENCH_MAX_INFLIGHT, BENCH_BATCH_SIZE (default: the
# extension's), BENCH_LLM_LATENCY_MS (300), BENCH_SMS_LATENCY_MS (100),
# BENCH_CAMPAIGN_TIMEOUT (240 s, then the campaign is cancelled and the run reported as
# incomplete; pausing, so that the leads left stay pending and can be looked at),
# BENCH_PGSS=1 (pg_stat_statements, nested statements included), BENCH_AUTO_EXPLAIN=<ms> (plans
# of slower statements in the server log, with BENCH_KEEP=1), BENCH_PERF=1 (perf record of the workers for 5 s at ~30%), BENCH_NOTE
# (a line for the results), BENCH_OUT (bench/results/campaign-latest.md), BENCH_KEEP=1.
set -euo pipefail
# shellcheck source=bench/common.sh
source "$(dirname "$0")/common.sh"

N_LEADS=${BENCH_CAMPAIGN_LEADS:-100000}
SMS_WORKERS=${BENCH_WORKERS:-}
MAX_INFLIGHT=${BENCH_MAX_INFLIGHT:-}
BATCH_SIZE=${BENCH_BATCH_SIZE:-}
LLM_MS=${BENCH_LLM_LATENCY_MS:-300}
SMS_MS=${BENCH_SMS_LATENCY_MS:-100}
TIMEOUT=${BENCH_CAMPAIGN_TIMEOUT:-240}
OUT=${BENCH_OUT:-$RESULTS/campaign-latest.md}

command -v node >/dev/null || die "node not found: it runs the fake providers (t/fakes; run: make deps)"
command -v jq >/dev/null || die "jq not found"

# shellcheck source=t/fakes/fake.sh
source "$ROOT/t/fakes/fake.sh"

bench_instance campaign 1
LOGDIR="$INST/bench"

# at exit (bench_traps, bench/common.sh): perf and the fake providers, then PostgreSQL
bench_cleanup() {
    [[ -n "${PERF_PID:-}" ]] && kill "$PERF_PID" 2>/dev/null
    fake_stop
}
bench_traps pg_stop

# ---------------------------------------------------------------- PostgreSQL (no nginx)

section "bench instance ${INST#"$ROOT"/}: postgres $PG_PORT"
LOAD_BEFORE=$(machine_load)
ports_check
instance_dirs
mkdir -p "$LOGDIR"
pg_init
# smscamp.workers is read at server start only: set before the first start (the same
# as ALTER SYSTEM + a restart)
pg_conf_append "# bench/campaign.sh"
[[ -z "$SMS_WORKERS" ]] || pg_conf_append "smscamp.workers = $SMS_WORKERS"
# max_inflight and batch_size reload with pg_reload_conf(), but a worker sizes its curl
# multi handle (CURLMOPT_MAX_TOTAL_CONNECTIONS) from max_inflight only when it starts:
# set them before the start too, so that the workers really get them
[[ -z "$MAX_INFLIGHT" ]] || pg_conf_append "smscamp.max_inflight = $MAX_INFLIGHT"
[[ -z "$BATCH_SIZE" ]] || pg_conf_append "smscamp.batch_size = $BATCH_SIZE"
# BENCH_PGSS=1: pg_stat_statements (nested statements too) to see where the workers' time goes
PRELOAD=pg_cron,smscamp
if [[ "${BENCH_PGSS:-}" == 1 ]]; then
    PRELOAD+=,pg_stat_statements
    pg_conf_append "pg_stat_statements.track = all" "pg_stat_statements.track_planning = on" \
        "pg_stat_statements.max = 2000"
fi
# BENCH_AUTO_EXPLAIN=<ms>: the plans of the statements (nested too) slower than that, in the
# server log (build/bench-campaign-*/log/postgresql.log; keep it with BENCH_KEEP=1)
if [[ -n "${BENCH_AUTO_EXPLAIN:-}" ]]; then
    PRELOAD+=,auto_explain
    pg_conf_append "auto_explain.log_min_duration = ${BENCH_AUTO_EXPLAIN}" \
        "auto_explain.log_nested_statements = on" "auto_explain.log_analyze = on" \
        "auto_explain.log_buffers = on"
fi
[[ "$PRELOAD" == pg_cron,smscamp ]] || pg_conf_append "shared_preload_libraries = '$PRELOAD'"
pg_start
db_create
db_load
[[ "${BENCH_PGSS:-}" != 1 ]] || psql_db -c 'CREATE EXTENSION IF NOT EXISTS pg_stat_statements' >/dev/null

# ---------------------------------------------------------------- fake providers

section "fake providers (LLM ${LLM_MS} ms, SMS ${SMS_MS} ms)"
fake_start --llm-latency-ms "$LLM_MS" --sms-latency-ms "$SMS_MS" --record-llm-messages false
FAKE=$FAKE_URL

# ---------------------------------------------------------------- settings

section "settings (ALTER SYSTEM + pg_reload_conf)"
settings=(
    "smscamp.openai_api_key = 'sk-test'"
    "smscamp.openai_base_url = '$FAKE/v1'"
    "smscamp.sms_provider = 'twilio'"
    "smscamp.twilio_base_url = '$FAKE'"
    "smscamp.twilio_account_sid = 'ACtest'"
    "smscamp.twilio_auth_token = 'tok-test'"
    "smscamp.sms_from = '+15005550006'"
)
[[ -z "$MAX_INFLIGHT" ]] || settings+=("smscamp.max_inflight = $MAX_INFLIGHT")
[[ -z "$BATCH_SIZE" ]] || settings+=("smscamp.batch_size = $BATCH_SIZE")
for s in "${settings[@]}"; do
    psql_db -c "ALTER SYSTEM SET $s" >/dev/null
done
psql_db -tA -c 'SELECT pg_reload_conf()' >/dev/null
sleep 1
read -r EFF_WORKERS EFF_INFLIGHT EFF_BATCH EFF_PROVIDER < <(sql_value \
    "SELECT current_setting('smscamp.workers'), current_setting('smscamp.max_inflight'),
            current_setting('smscamp.batch_size'), current_setting('smscamp.sms_provider')" | tr '|' ' ')
info "smscamp.workers $EFF_WORKERS, max_inflight $EFF_INFLIGHT, batch_size $EFF_BATCH, sms_provider $EFF_PROVIDER"
[[ "$EFF_PROVIDER" == twilio ]] || die "smscamp.sms_provider did not become twilio"

# ---------------------------------------------------------------- data

section "seeding $N_LEADS leads and one campaign over all of them"
t0=$SECONDS
psql_db -v leads="$N_LEADS" -v campaigns=0 -v per_campaign=1 -f "$BENCH/seed.sql" \
    >"$LOGDIR/seed.log" 2>&1 || { cat "$LOGDIR/seed.log" >&2; die "seeding failed"; }
CID=$(sql_value "INSERT INTO campaigns (name, agent_type, sms_system_prompt, send_window)
                 VALUES ('Bench: $N_LEADS leads', 'sms',
                         'You write one short friendly SMS about Acme Solar panels.', NULL)
                 RETURNING id" | head -n1)
psql_db -c "INSERT INTO campaign_leads (campaign_id, lead_id) SELECT $CID, id FROM leads ORDER BY id" >/dev/null
psql_db -c 'VACUUM (ANALYZE) campaign_leads, campaigns, leads' >/dev/null
info "seeded in $((SECONDS - t0)) s: campaign $CID with $(sql_value "SELECT count(*) FROM campaign_leads WHERE campaign_id = $CID") leads"

# ---------------------------------------------------------------- sampling helpers

worker_pids() {
    sql_value "SELECT pid FROM pg_stat_activity WHERE backend_type = 'smscamp worker' ORDER BY pid"
}
mapfile -t WPIDS < <(worker_pids)
((${#WPIDS[@]} > 0)) || die "no smscamp worker is running (pg_stat_activity)"
RSS0=() ANON0=()
for p in "${WPIDS[@]}"; do RSS0+=("$(rss_kb "$p")"); ANON0+=("$(anon_kb "$p")"); done
info "workers: ${WPIDS[*]} (RSS before: ${RSS0[*]} kB)"

CLK_TCK=$(getconf CLK_TCK)
pg_children() { local m; m=$(pg_pid); cat "/proc/$m/task/$m/children" 2>/dev/null | tr ' ' '\n' | grep -E '^[0-9]+$' || true; }
machine_busy() { awk '/^cpu / {idle = $5 + $6; t = 0; for (i = 2; i <= 9; i++) t += $i; printf "%d %d\n", t - idle, t}' /proc/stat; }
# -> "workers other_pg fake busy total" (CPU seconds; jiffies)
cpu_snapshot() {
    local w a
    mapfile -t kids < <(pg_children)
    w=$(cpu_seconds "${WPIDS[@]}")
    a=$(cpu_seconds "${kids[@]}")
    echo "$w $(awk -v a="$a" -v w="$w" 'BEGIN {printf "%.2f", a - w}') $(cpu_seconds "$FAKE_PID") $(machine_busy)"
}
cpu_split() {   # "workers/other pg/fake/other" in % of one core
    awk -v tck="$CLK_TCK" -v ncpu="$(nproc)" 'BEGIN {
        split(ARGV[1], a, " "); split(ARGV[2], b, " "); ARGV[1] = ""; ARGV[2] = "";
        wall = (b[5] - a[5]) / tck / ncpu; if (wall <= 0) { print "-"; exit }
        w = (b[1] - a[1]) / wall * 100; o = (b[2] - a[2]) / wall * 100; f = (b[3] - a[3]) / wall * 100;
        busy = (b[4] - a[4]) / tck / wall * 100; x = busy - w - o - f; if (x < 0) x = 0;
        printf "%.0f/%.0f/%.0f/%.0f", w, o, f, x }' "$1" "$2"
}

# ---------------------------------------------------------------- run

section "campaign $CID: start"
SAMPLES="$LOGDIR/samples.tsv"     # t  done  sent  unfinished  processing  sending  rss...  fake_llm_inflight  fake_sms_inflight
WAITS="$LOGDIR/wait-events.txt"
: >"$WAITS"
printf 't\tdone\tsent\tunfinished\tprocessing\tsending\tworker_rss/anon_kb\tfake_llm_inflight\tfake_sms_inflight\n' >"$SAMPLES"
if [[ "$(sql_value "SELECT to_regproc('smscamp_start') IS NOT NULL")" == t ]]; then
    START_HOW="SELECT smscamp_start($CID)"
else
    START_HOW="UPDATE campaigns SET status = 'pending' WHERE id = $CID; SELECT smscamp_wake()"
fi
[[ "${BENCH_PGSS:-}" != 1 ]] || psql_db -c 'SELECT pg_stat_statements_reset()' >/dev/null
CPU_START=$(cpu_snapshot)
T_START=$(date +%s.%N)
psql_db -c "$START_HOW" >/dev/null
info "started with: $START_HOW"

STATUS=
TIMED_OUT=0
PEAK_RSS_SUM=0
PEAK_ANON=()
TOP_TAKEN=0
CPU_MID_A='' CPU_MID_B=''
while :; do
    sleep 1
    now=$(date +%s.%N)
    t=$(awk -v a="$now" -v b="$T_START" 'BEGIN {printf "%.2f", a - b}')
    read -r STATUS total unfinished sent processing sending < <(sql_value "
        SELECT c.status, s.total_leads, s.unfinished, s.sent + s.delivered, f.processing, f.sending
          FROM campaigns c, smscamp_campaign_counts(c.id) s, smscamp_campaign_in_flight(c.id) f
         WHERE c.id = $CID" | tr '|' ' ')
    sql_value "SELECT coalesce(wait_event_type, 'CPU') || ':' || coalesce(wait_event, '-') || ' ' || state
                 FROM pg_stat_activity WHERE backend_type = 'smscamp worker'" >>"$WAITS" || true
    rss=() sum=0
    for i in "${!WPIDS[@]}"; do
        k=$(rss_kb "${WPIDS[$i]}") a=$(anon_kb "${WPIDS[$i]}")
        rss+=("$k/$a") sum=$((sum + ${k:-0}))
        ((${a:-0} > ${PEAK_ANON[$i]:-0})) && PEAK_ANON[$i]=$a
    done
    ((sum > PEAK_RSS_SUM)) && PEAK_RSS_SUM=$sum
    fstats=$(curl -fsS --max-time 2 "$FAKE/_fake/stats" 2>/dev/null || echo '{}')
    fl=$(jq -r '.llm.inflight // "-"' <<<"$fstats") fs=$(jq -r '.sms.inflight // "-"' <<<"$fstats")
    done_n=$((total - unfinished))
    printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$t" "$done_n" "$sent" "$unfinished" \
        "$processing" "$sending" "$(IFS=,; echo "${rss[*]}")" "$fl" "$fs" >>"$SAMPLES"
    printf '  %6.1f s  done %6d / %d  sent %6d  processing %4d  sending %4d  fake in flight llm %4s sms %4s  worker RSS/anon %s kB\n' \
        "$t" "$done_n" "$total" "$sent" "$processing" "$sending" "$fl" "$fs" "${rss[*]}"
    # at ~30%: top, a CPU window (until ~60%) and optionally perf
    if ((!TOP_TAKEN && done_n * 10 >= total * 3)); then
        TOP_TAKEN=1
        CPU_MID_A=$(cpu_snapshot)
        top -b -n2 -d 1 -w 200 2>/dev/null | awk '/^top -/ {n++} n == 2' | head -n 25 >"$LOGDIR/top.txt" || true
        if [[ "${BENCH_PERF:-}" == 1 ]] && command -v perf >/dev/null; then
            perf record -g -o "$LOGDIR/perf.data" -p "$(IFS=,; echo "${WPIDS[*]}")" -- sleep 5 \
                >"$LOGDIR/perf-record.log" 2>&1 &
            PERF_PID=$!
        fi
    fi
    if [[ -n "$CPU_MID_A" && -z "$CPU_MID_B" ]] && ((done_n * 10 >= total * 6)); then
        CPU_MID_B=$(cpu_snapshot)
    fi
    [[ "$STATUS" == processing || "$STATUS" == pending ]] || break
    ((unfinished > 0)) || break
    if awk -v t="$t" -v m="$TIMEOUT" 'BEGIN {exit !(t > m)}'; then
        TIMED_OUT=1
        warn "not finished after $TIMEOUT s: pausing campaign $CID"
        psql_db -c "SELECT smscamp_pause($CID)" >/dev/null ||
            psql_db -c "UPDATE campaigns SET status = 'paused' WHERE id = $CID" >/dev/null || true
        break
    fi
done
T_END=$(date +%s.%N)
CPU_END=$(cpu_snapshot)
[[ -n "$CPU_MID_B" ]] || CPU_MID_B=$CPU_END
[[ -n "$CPU_MID_A" ]] || CPU_MID_A=$CPU_START
if [[ -n "${PERF_PID:-}" ]]; then wait "$PERF_PID" 2>/dev/null || true; PERF_PID=; fi
# the last sends may still be recorded: give the workers a moment
for ((i = 0; i < 10; i++)); do
    [[ "$(sql_value "SELECT count(*) FROM campaign_leads WHERE campaign_id = $CID AND status IN ('processing', 'sending')")" == 0 ]] && break
    sleep 1
done

# ---------------------------------------------------------------- figures

section "figures"
read -r DB_SECONDS N_SENT N_FAILED N_SKIPPED N_UNKNOWN N_CANCELLED N_PENDING N_ATTEMPTS2 < <(sql_value "
    SELECT round(extract(epoch FROM coalesce(c.completed_at, now()) - c.started_at)::numeric, 1),
           count(*) FILTER (WHERE cl.status IN ('sent', 'delivered')),
           count(*) FILTER (WHERE cl.status IN ('failed', 'undelivered')),
           count(*) FILTER (WHERE cl.status = 'skipped'),
           count(*) FILTER (WHERE cl.status = 'unknown'),
           count(*) FILTER (WHERE cl.status = 'cancelled'),
           count(*) FILTER (WHERE cl.status IN ('pending', 'processing', 'sending')),
           count(*) FILTER (WHERE cl.attempts > 1)
      FROM campaigns c JOIN campaign_leads cl ON cl.campaign_id = c.id
     WHERE c.id = $CID
     GROUP BY c.completed_at, c.started_at" | tr '|' ' ')
read -r LAT_P50 LAT_P99 LAT_MAX < <(sql_value "
    SELECT round(percentile_cont(0.5) WITHIN GROUP (ORDER BY x)::numeric * 1000),
           round(percentile_cont(0.99) WITHIN GROUP (ORDER BY x)::numeric * 1000),
           round(max(x)::numeric * 1000)
      FROM (SELECT extract(epoch FROM processed_at - claimed_at) AS x
              FROM campaign_leads
             WHERE campaign_id = $CID AND processed_at IS NOT NULL AND claimed_at IS NOT NULL) s" | tr '|' ' ')
# leads/s sustained: between the samples where 10% and 90% of the leads were done (an
# incomplete run: from 10% to the last sample)
read -r SUSTAINED RAMP_T T10 T90 < <(awk -F'\t' -v n="$N_LEADS" 'NR > 1 {
        if (t10 == "" && $2 >= n * 0.1) { t10 = $1; d10 = $2 }
        if (t90 == "" && $2 >= n * 0.9) { t90 = $1; d90 = $2 }
        if (first == "" && $2 > 0) first = $1
        lt = $1; ld = $2 }
    END {
        if (first == "") first = "-"
        if (t10 != "" && t90 == "") { t90 = lt; d90 = ld }
        if (t10 != "" && t90 > t10) printf "%.0f %s %s %s\n", (d90 - d10) / (t90 - t10), first, t10, t90;
        else printf "- %s - -\n", first }' "$SAMPLES")
WALL=$(awk -v a="$T_END" -v b="$T_START" 'BEGIN {printf "%.1f", a - b}')
OVERALL=$(awk -v n="$((N_SENT + N_FAILED + N_SKIPPED + N_UNKNOWN))" -v s="$DB_SECONDS" 'BEGIN { if (s > 0) printf "%.0f", n / s; else print "-" }')
PEAK_HWM=() PEAK_END=() ANON_END=()
for p in "${WPIDS[@]}"; do PEAK_HWM+=("$(hwm_kb "$p")"); PEAK_END+=("$(rss_kb "$p")"); ANON_END+=("$(anon_kb "$p")"); done
# leads/s per 30 s of the run: shows whether the rate holds as the table fills with done leads
RATES=$(awk -F'\t' 'NR > 1 { w = int($1 / 30); last[w] = $2; lt[w] = $1; if (!(w in first)) { first[w] = $2; ft[w] = $1 } ; if (w > max) max = w }
    END { prev = 0; pt = 0
          for (w = 0; w <= max; w++) { if (!(w in last)) continue
              r = (last[w] - prev) / (lt[w] - pt); printf "%s%d–%ds: %.0f", (w ? ", " : ""), w * 30, lt[w], r
              prev = last[w]; pt = lt[w] } }' "$SAMPLES")
FAKE_STATS=$(curl -fsS --max-time 5 "$FAKE/_fake/stats" || echo '{}')
FAKE_MSGS=$(jq -r '.messages // .sms.outcomes.ok // "-"' <<<"$FAKE_STATS")
FAKE_SMS_REQ=$(jq -r '.sms.requests // "-"' <<<"$FAKE_STATS")
FAKE_LLM_REQ=$(jq -r '.llm.requests // "-"' <<<"$FAKE_STATS")
FAKE_MAX_INFL=$(jq -r '"llm \(.llm.max_inflight // "-"), sms \(.sms.max_inflight // "-")"' <<<"$FAKE_STATS")
jq . <<<"$FAKE_STATS" >"$LOGDIR/fake-stats.json" 2>/dev/null || true
DUPES=$(curl -fsS --max-time 60 "$FAKE/_fake/messages?limit=10000000" |
    jq '[.messages[].to] | length - (unique | length)' 2>/dev/null || echo '?')
FAKE_RSS=$(rss_kb "$FAKE_PID")
CPU_ALL=$(cpu_split "$CPU_START" "$CPU_END")
CPU_MID=$(cpu_split "$CPU_MID_A" "$CPU_MID_B")
WAIT_SUMMARY=$(sort "$WAITS" | uniq -c | sort -rn | head -n 8 | awk '{c = $1; $1 = ""; printf "%s%s×%s", (NR > 1 ? ", " : ""), substr($0, 2), c}')
LOAD_AFTER=$(machine_load)
CRASHES=$(grep -E 'terminated by signal|smscamp: campaign lead' "$PG_LOG" 2>/dev/null | head -n 5 || true)
if [[ "${BENCH_PERF:-}" == 1 && -s "$LOGDIR/perf.data" ]]; then
    { echo "## self, by symbol"
      perf report -i "$LOGDIR/perf.data" --stdio --no-children --sort dso,symbol -g none 2>/dev/null |
          grep '%' | grep -v '^#' | head -n 30
      echo "## inclusive (self + callees), by symbol"
      perf report -i "$LOGDIR/perf.data" --stdio --children --sort symbol -g none 2>/dev/null |
          grep '%' | grep -v '^#' | grep -v ' 0x0000' | head -n 60
    } | sed -E 's/[[:space:]]+-[[:space:]]+-[[:space:]]*$//; s/[[:space:]]+$//' >"$LOGDIR/perf-top.txt" || true
fi

if [[ "${BENCH_PGSS:-}" == 1 ]]; then
    psql_db -P pager=off -c "
        SELECT calls, round(total_exec_time) AS exec_ms, round(total_plan_time) AS plan_ms,
               round((total_exec_time + total_plan_time) / nullif(calls, 0) * 1000) AS us_per_call,
               toplevel AS top, left(regexp_replace(query, '\s+', ' ', 'g'), 110) AS query
          FROM pg_stat_statements
         WHERE dbid = (SELECT oid FROM pg_database WHERE datname = current_database())
         ORDER BY total_exec_time + total_plan_time DESC LIMIT 25" >"$LOGDIR/pg-stat-statements.txt" 2>&1 || true
fi

OK_COUNT=1
[[ "$FAKE_MSGS" == "$N_SENT" && "$DUPES" == 0 ]] || OK_COUNT=0
TARGET_OK=0
[[ "$SUSTAINED" =~ ^[0-9]+$ ]] && ((SUSTAINED >= 1000)) && TARGET_OK=1

mkdir -p "$(dirname "$OUT")"
[[ -s "$OUT" ]] || printf '# Campaign benchmark results (bench/campaign.sh, newest last)\n' >"$OUT"
{
    echo
    echo "## $(date -u '+%Y-%m-%d %H:%M UTC') — $N_LEADS leads, workers $EFF_WORKERS, max_inflight $EFF_INFLIGHT, batch_size $EFF_BATCH"
    echo
    echo "* machine: $(machine_line); load average before / after: $LOAD_BEFORE / $LOAD_AFTER"
    echo "* commit: $(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo '?')$(git -C "$ROOT" diff --quiet 2>/dev/null || echo ' + uncommitted changes')"
    echo "* fake providers: LLM ${LLM_MS} ms, SMS ${SMS_MS} ms, record_llm_messages off; provider twilio → fake; send_window NULL"
    [[ -z "${BENCH_NOTE:-}" ]] || echo "* note: $BENCH_NOTE"
    echo
    echo "| figure | value |"
    echo "|---|---|"
    if ((TIMED_OUT)); then
        echo "| result | **INCOMPLETE**: paused after ${TIMEOUT} s (BENCH_CAMPAIGN_TIMEOUT), figures over the leads done by then |"
    fi
    echo "| total time (started_at → completed_at) | ${DB_SECONDS} s (wall, start → last poll: ${WALL} s) |"
    echo "| leads/s sustained (10% → $( ((TIMED_OUT)) && echo "the last sample" || echo "90%") of the leads, t = ${T10} s → ${T90} s) | **${SUSTAINED}** (target ≥ 1,000: $( ((TARGET_OK)) && echo MET || echo "MISSED$( [[ "$SUSTAINED" =~ ^[0-9]+$ ]] && echo ", $((1000 - SUSTAINED)) leads/s short ($(awk -v s="$SUSTAINED" 'BEGIN {printf "%.0f", 100 * s / 1000}')% of it)")")) |"
    echo "| leads/s overall (finished leads / total time) | ${OVERALL} |"
    echo "| first lead done after | ${RAMP_T} s |"
    echo "| per-lead latency claimed_at → processed_at | p50 ${LAT_P50} ms, p99 ${LAT_P99} ms, max ${LAT_MAX} ms |"
    echo "| outcome | sent $N_SENT, failed $N_FAILED, skipped $N_SKIPPED, unknown $N_UNKNOWN, cancelled $N_CANCELLED, unfinished $N_PENDING; leads with > 1 attempt: $N_ATTEMPTS2 |"
    echo "| fake: messages accepted / SMS requests / LLM requests | $FAKE_MSGS / $FAKE_SMS_REQ / $FAKE_LLM_REQ ($( ((OK_COUNT)) && echo "= sent count, 0 duplicate recipients" || echo "MISMATCH: sent $N_SENT, duplicate recipients $DUPES")) |"
    echo "| fake: peak requests in flight | $FAKE_MAX_INFL |"
    echo "| leads/s per 30 s window | $RATES |"
    echo "| worker RSS before → peak (VmHWM) → end, kB (includes the shared_buffers pages touched, ≤ 256 MB) | $(for i in "${!WPIDS[@]}"; do printf '%s%s → %s → %s' "$( ((i)) && echo '; ')" "${RSS0[$i]}" "${PEAK_HWM[$i]}" "${PEAK_END[$i]}"; done) |"
    echo "| worker private memory (RssAnon) before → peak → end, kB | $(for i in "${!WPIDS[@]}"; do printf '%s%s → %s → %s' "$( ((i)) && echo '; ')" "${ANON0[$i]}" "${PEAK_ANON[$i]:-?}" "${ANON_END[$i]}"; done) |"
    echo "| fake providers RSS at the end | $FAKE_RSS kB |"
    echo "| CPU % of one core, whole run / 30%→60% window: workers/other PostgreSQL/fake (node)/everything else | $CPU_ALL / $CPU_MID |"
    echo "| worker wait events (1 s samples) | $WAIT_SUMMARY |"
    if [[ -n "$CRASHES" ]]; then
        echo "| server log | $(tr '\n|' '; ' <<<"$CRASHES") |"
    fi
} >>"$OUT"

section "results (appended to ${OUT#"$ROOT"/})"
awk '/^## /{buf = ""} {buf = buf $0 "\n"} END {printf "%s", buf}' "$OUT"
if [[ -s "$LOGDIR/top.txt" ]]; then
    info "top at ~30%:"
    head -n 20 "$LOGDIR/top.txt"
fi
if [[ -s "$LOGDIR/perf-top.txt" ]]; then
    info "perf (workers, 5 s at ~30%; also in bench/results/campaign-perf-latest.txt):"
    head -n 30 "$LOGDIR/perf-top.txt"
    cp "$LOGDIR/perf-top.txt" "$RESULTS/campaign-perf-latest.txt"
fi
if [[ -s "$LOGDIR/pg-stat-statements.txt" ]]; then
    info "pg_stat_statements (top 25, nested included; also in bench/results/campaign-pgss-latest.txt):"
    cat "$LOGDIR/pg-stat-statements.txt"
    { echo "# pg_stat_statements of a $N_LEADS-lead campaign run ($(date -u '+%Y-%m-%d %H:%M UTC'), workers $EFF_WORKERS, max_inflight $EFF_INFLIGHT, batch_size $EFF_BATCH)"
      echo "# track = all: nested statements are listed too and their time is included in their callers'"
      cat "$LOGDIR/pg-stat-statements.txt"; } >"$RESULTS/campaign-pgss-latest.txt"
fi

section "stopping"
fake_stop
pg_stop
STOPPED=1
((OK_COUNT)) || die "the fake's message count ($FAKE_MSGS) differs from the sent count ($N_SENT) or there are duplicates ($DUPES)"
