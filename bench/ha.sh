#!/usr/bin/env bash
# make bench-ha: what synchronous replication costs, measured on one formation in one run.
#
# A throwaway formation (scripts/ha-lib.sh: a monitor, three data nodes, number-sync-standbys
# 1, nginx on the multi-host URI) in build/bench-ha-<pid> on spare ports, the fake providers
# of t/fakes as the SMS provider of every node (BENCH_SMS_LATENCY_MS, 100), the built-in
# writer. Each figure is measured twice with synchronous commit and once without, in the
# order sync, local, sync, so that drift shows:
#   API writes/s   wrk -t2 -c32, POST /api/leads (bench/lua/lead_create.lua, a unique
#                  phone each), BENCH_DURATION (10) s after a 3 s warm-up; "local" is
#                  ALTER ROLE smscamp_api SET synchronous_commit = local (nginx restarted,
#                  so that its connections take it)
#   campaign leads/s  BENCH_HA_LEADS (20,000) leads, unpaced, sustained rate from 10 % to
#                  90 % of the leads (processed_at); "local" is smscamp.durable_marks = off
#                  (the workers always commit locally; with the check on, a provider call
#                  waits until a synchronous standby has flushed its lead's mark)
# Results: a table on stdout and in bench/results/ha-latest.md (BENCH_OUT).
set -euo pipefail
# shellcheck source=bench/common.sh
source "$(dirname "$0")/common.sh"
# shellcheck source=scripts/ha-lib.sh
source "$ROOT/scripts/ha-lib.sh"
# shellcheck source=t/fakes/fake.sh
source "$ROOT/t/fakes/fake.sh"

N_LEADS=${BENCH_HA_LEADS:-20000}
DURATION=${BENCH_DURATION:-10}
SMS_MS=${BENCH_SMS_LATENCY_MS:-100}
OUT=${BENCH_OUT:-$RESULTS/ha-latest.md}
command -v wrk >/dev/null || die "wrk not found (make deps)"

ha_throwaway bench-ha 2
bench_rate_limit_off
bench_cleanup() { [[ -n "${WRK_PID:-}" ]] && kill "$WRK_PID" 2>/dev/null; fake_stop; }
ha_exit_stop() { ha_stop >/dev/null 2>&1 || true; }
instance_traps bench-ha bench_cleanup ha_exit_stop "${BENCH_KEEP:-0}"

LOAD_BEFORE=$(machine_load)
section "fake providers (SMS latency $SMS_MS ms)"
fake_start
HA_EXTRA_CONF=$(fake_pg_settings)
section "formation ${INST#"$ROOT"/}: monitor $HA_MONITOR_PORT, nodes ${HA_PORTS[*]}, http $HTTP_PORT"
ha_start
curl -fsS -X POST "$FAKE_URL/_fake/config" -H 'Content-Type: application/json' \
    -d "{\"sms_latency_ms\": $SMS_MS}" >/dev/null
KEY=$(admin_key_ensure "$INST/admin.key" 1000000)
[[ -n "$KEY" ]] || KEY=$(cat "$INST/admin.key")
URL="http://127.0.0.1:$HTTP_PORT"
export BENCH_LUA="$BENCH/lua"
sql() { psql_su -d "$DB_NAME" -qtAX -v ON_ERROR_STOP=1 -c "$1"; }

# api_writes AREA: POST /api/leads per second (wrk), phones +1 AREA ...
api_writes() {
    local area=$1 log="$INST_LOG/wrk-$1.log" line
    wrk -t2 -c32 -d3s --timeout 10s -s "$BENCH/lua/lead_create.lua" -H "Authorization: Bearer $KEY" \
        "$URL" "${area}9" >/dev/null 2>&1 || true
    wrk -t2 -c32 -d"${DURATION}s" --latency --timeout 10s -s "$BENCH/lua/lead_create.lua" \
        -H "Authorization: Bearer $KEY" "$URL" "$area" >"$log" 2>&1 &
    WRK_PID=$!
    wait "$WRK_PID" || true
    WRK_PID=
    line=$(grep '^BENCH ' "$log" | tail -n1) || die "no result from wrk (see $log)"
    [[ "$(sed -n 's/.* status_errors=\([0-9]*\).*/\1/p' <<<"$line")" == 0 ]] || warn "non-2xx answers in $log"
    printf '%s %s\n' "$(sed -n 's/.* rps=\([0-9.]*\).*/\1/p' <<<"$line")" \
        "$(sed -n 's/.* p99=\([0-9]*\).*/\1/p' <<<"$line")"
}

# api_commit on|local: the API role's synchronous_commit, for nginx's new connections
api_commit() {
    if [[ $1 == local ]]; then
        sql "ALTER ROLE smscamp_api SET synchronous_commit = local"
    else
        sql "ALTER ROLE smscamp_api RESET synchronous_commit"
    fi
    nginx_stop >/dev/null
    nginx_start >/dev/null
    wait_health >/dev/null
}

# campaign_rate PREFIX: N_LEADS leads (phones +1 PREFIX ...) in an unpaced campaign;
# prints the sustained leads/s (10 % to 90 % of processed_at) and the seconds in all
campaign_rate() {
    local prefix=$1 cid t0 status
    cid=$(sql "WITH l AS (INSERT INTO leads (name, phone, company)
                          SELECT 'HA Bench ' || g, '+1${prefix}' || lpad(g::text, 7, '0'), 'Bench Co'
                            FROM generate_series(1, $N_LEADS) g RETURNING id),
                    c AS (INSERT INTO campaigns (name, sms_template, send_window)
                          VALUES ('bench-ha $prefix', 'Hi {first_name}, our spring sale starts Monday.', NULL)
                          RETURNING id),
                    cl AS (INSERT INTO campaign_leads (campaign_id, lead_id) SELECT c.id, l.id FROM c, l)
               SELECT id FROM c")
    t0=$(date +%s.%N)
    sql "SELECT smscamp_start($cid)" >/dev/null
    for ((i = 0; i < 1200; i++)); do
        status=$(sql "SELECT status FROM campaigns WHERE id = $cid")
        [[ $status == completed || $status == failed || $status == cancelled ]] && break
        sleep 0.5
    done
    [[ $status == completed ]] || die "campaign $cid: $status"
    sql "SELECT round(0.8 * count(*) / greatest(extract(epoch FROM
                percentile_disc(0.9) WITHIN GROUP (ORDER BY processed_at)
              - percentile_disc(0.1) WITHIN GROUP (ORDER BY processed_at)), 0.001))::text
            || ' ' || round(extract(epoch FROM max(processed_at)) - $t0, 1)::text
            || ' ' || count(*) FILTER (WHERE status = 'sent')::text
           FROM campaign_leads WHERE campaign_id = $cid"
}

durable_marks() {
    sql "ALTER SYSTEM SET smscamp.durable_marks = $1"
    sql "SELECT pg_reload_conf()" >/dev/null
    sleep 1
}

section "API writes/s: POST /api/leads, wrk -t2 -c32, ${DURATION} s"
declare -A W
read -r W[sync1] W[sync1_p99] < <(api_writes 701)
info "  synchronous commit:        ${W[sync1]} req/s"
api_commit local
read -r W[local] W[local_p99] < <(api_writes 702)
info "  synchronous_commit=local:  ${W[local]} req/s"
api_commit on
read -r W[sync2] W[sync2_p99] < <(api_writes 703)
info "  synchronous commit again:  ${W[sync2]} req/s"

section "campaign leads/s: $N_LEADS leads, unpaced, SMS latency $SMS_MS ms"
declare -A C
read -r C[sync1] C[sync1_s] C[sync1_sent] < <(campaign_rate 704)
info "  marks checked on a standby:  ${C[sync1]} leads/s (${C[sync1]:+${C[sync1_s]} s})"
durable_marks off
read -r C[local] C[local_s] C[local_sent] < <(campaign_rate 705)
info "  durable_marks off (local):   ${C[local]} leads/s (${C[local_s]} s)"
durable_marks on
read -r C[sync2] C[sync2_s] C[sync2_sent] < <(campaign_rate 706)
info "  marks checked again:         ${C[sync2]} leads/s (${C[sync2_s]} s)"

ratio() { awk -v a="$1" -v b="$2" -v c="$3" 'BEGIN { printf "%.2f", (a + c) / 2 / b }'; }
W_RATIO=$(ratio "${W[sync1]}" "${W[local]}" "${W[sync2]}")
C_RATIO=$(ratio "${C[sync1]}" "${C[local]}" "${C[sync2]}")
LOAD_AFTER=$(machine_load)

{
    printf '# make bench-ha: the cost of synchronous replication\n\n'
    printf '%s, %s; a formation of three nodes (number-sync-standbys 1) on one machine, loopback.\n' \
        "$(date -u '+%Y-%m-%d %H:%M UTC')" "$(machine_line)"
    printf 'Load before/after: %s / %s. %s.\n\n' "$LOAD_BEFORE" "$LOAD_AFTER" "$RATE_LIMIT_NOTE"
    printf '| figure | synchronous (1st) | local | synchronous (2nd) | synchronous / local |\n|---|---:|---:|---:|---:|\n'
    printf '| API writes/s (POST /api/leads, wrk -t2 -c32, %s s) | %.0f (p99 %.1f ms) | %.0f (p99 %.1f ms) | %.0f (p99 %.1f ms) | %s |\n' \
        "$DURATION" "${W[sync1]}" "$(awk -v x="${W[sync1_p99]}" 'BEGIN{print x/1000}')" \
        "${W[local]}" "$(awk -v x="${W[local_p99]}" 'BEGIN{print x/1000}')" \
        "${W[sync2]}" "$(awk -v x="${W[sync2_p99]}" 'BEGIN{print x/1000}')" "$W_RATIO"
    printf '| campaign leads/s (%s leads, unpaced, SMS %s ms) | %s | %s | %s | %s |\n\n' \
        "$N_LEADS" "$SMS_MS" "${C[sync1]}" "${C[local]}" "${C[sync2]}" "$C_RATIO"
    printf 'Synchronous: the API role commits with synchronous_commit on (each write waits for a standby); '
    printf 'the workers check each mark on a standby before its SMS (smscamp.durable_marks on). '
    printf 'Local: ALTER ROLE smscamp_api SET synchronous_commit = local; smscamp.durable_marks off.\n'
} >"$OUT"
section "results (${OUT#"$ROOT"/})"
cat "$OUT"
