#!/usr/bin/env bash
# make bench-replies: the conversations benchmark of issue 13.
#
# Its own instance (build/bench-replies-<pid>: PostgreSQL and nginx on free ports), the fake
# OpenAI + Twilio server of t/fakes with 300 ms LLM and 100 ms SMS latency, whose recipients
# answer 20 % of the messages (a signed inbound webhook to nginx, 200 ms after acceptance). One
# campaign of 10,000 leads in reply_mode auto: every reply is classified by the model and
# answered. Reports the inbound webhooks (count, answers, rate as offered by the fake), the
# classification latency (the webhook's message stored -> its intent recorded) and the reply
# latency (stored -> the answer accepted by the provider), p50/p99; then a burst of signed
# webhooks from unknown numbers (bench/webhook_burst.js, 32 at a time) for the webhooks/s the
# route sustains. Appends to bench/results/replies-latest.md.
#
# Knobs: BENCH_REPLY_LEADS (10000), BENCH_REPLY_RATE (0.2), BENCH_LLM_LATENCY_MS (300),
# BENCH_SMS_LATENCY_MS (100), BENCH_BURST (5000 webhooks), BENCH_TIMEOUT (300 s), BENCH_KEEP=1.
set -euo pipefail
# shellcheck source=bench/common.sh
source "$(dirname "$0")/common.sh"

N_LEADS=${BENCH_REPLY_LEADS:-10000}
REPLY_RATE=${BENCH_REPLY_RATE:-0.2}
LLM_MS=${BENCH_LLM_LATENCY_MS:-300}
SMS_MS=${BENCH_SMS_LATENCY_MS:-100}
BURST=${BENCH_BURST:-5000}
TIMEOUT=${BENCH_TIMEOUT:-300}
OUT=${BENCH_OUT:-$RESULTS/replies-latest.md}

command -v node >/dev/null || die "node not found: it runs the fake providers (t/fakes)"
# shellcheck source=t/fakes/fake.sh
source "$ROOT/t/fakes/fake.sh"

bench_instance replies 1
bench_rate_limit_off
LOGDIR="$INST/bench"
bench_cleanup() { fake_stop; }
bench_traps instance_stop

section "bench instance ${INST#"$ROOT"/}: http $HTTP_PORT, postgres $PG_PORT"
LOAD_BEFORE=$(machine_load)
instance_start
mkdir -p "$LOGDIR"
URL="http://127.0.0.1:$HTTP_PORT"
INBOUND="$URL/api/webhooks/sms/inbound"

section "fake providers (LLM ${LLM_MS} ms, SMS ${SMS_MS} ms, ${REPLY_RATE} of the messages answered)"
fake_start --llm-latency-ms "$LLM_MS" --sms-latency-ms "$SMS_MS" --record-llm-messages false \
    --config "{\"sms_reply_rate\": $REPLY_RATE, \"sms_reply_url\": \"$INBOUND\", \"sms_reply_delay_ms\": 200}"
for s in "smscamp.openai_api_key = 'sk-test'" "smscamp.openai_base_url = '$FAKE_URL/v1'" \
         "smscamp.sms_provider = 'twilio'" "smscamp.twilio_base_url = '$FAKE_URL'" \
         "smscamp.twilio_account_sid = 'ACtest'" "smscamp.twilio_auth_token = 'tok-test'" \
         "smscamp.sms_from = '+15005550006'" "smscamp.max_auto_replies = 3"; do
    psql_db -c "ALTER SYSTEM SET $s" >/dev/null
done
psql_db -tA -c 'SELECT pg_reload_conf()' >/dev/null
sleep 1

section "seeding $N_LEADS leads and one campaign (reply_mode auto)"
psql_db -v leads="$N_LEADS" -v campaigns=0 -v per_campaign=1 -f "$BENCH/seed.sql" \
    >"$LOGDIR/seed.log" 2>&1 || { cat "$LOGDIR/seed.log" >&2; die "seeding failed"; }
CID=$(sql_value "INSERT INTO campaigns (name, sms_system_prompt, send_window, reply_mode, reply_prompt)
                 VALUES ('Bench: replies', 'You write one short friendly SMS about Acme Solar panels.',
                         NULL, 'auto', 'We are Acme Solar. A survey is free. Hand price questions to a person.')
                 RETURNING id" | head -n1)
psql_db -c "INSERT INTO campaign_leads (campaign_id, lead_id) SELECT $CID, id FROM leads ORDER BY id" >/dev/null
psql_db -c 'VACUUM (ANALYZE) campaign_leads, campaigns, leads' >/dev/null

section "campaign $CID: start, and wait for every reply to be answered"
T_START=$(date +%s)
psql_db -c "SELECT smscamp_start($CID)" >/dev/null
settled=0
while (($(date +%s) - T_START < TIMEOUT)); do
    sleep 2
    read -r status inbound pending queued < <(sql_value "
        SELECT (SELECT status FROM campaigns WHERE id = $CID),
               (SELECT count(*) FROM messages WHERE direction = 'inbound'),
               (SELECT count(*) FROM messages WHERE agent_state IS NOT NULL),
               (SELECT count(*) FROM messages WHERE status IN ('queued', 'sending'))" | tr '|' ' ')
    info "t=$(($(date +%s) - T_START)) s: campaign $status, inbound $inbound, agent work left $pending, replies queued/sending $queued"
    if [[ "$status" == completed ]] && ((pending == 0 && queued == 0)); then
        sleep 3     # the fake's last replies (200 ms after the last sends)
        read -r pending queued < <(sql_value "
            SELECT (SELECT count(*) FROM messages WHERE agent_state IS NOT NULL),
                   (SELECT count(*) FROM messages WHERE status IN ('queued', 'sending'))" | tr '|' ' ')
        if ((pending == 0 && queued == 0)); then settled=1; break; fi
    fi
done
T_RUN=$(($(date +%s) - T_START))
FAKE_STATS=$(curl -fsS "$FAKE_URL/_fake/stats")

read -r N_IN N_CLASSIFIED N_ANSWERED N_OPTOUT RATE CL50 CL99 RE50 RE99 < <(sql_value "
    WITH i AS (SELECT * FROM messages WHERE direction = 'inbound' AND campaign_id = $CID),
         c AS (SELECT (p.created_at - i.created_at) AS d FROM i
                 JOIN processing_logs p ON p.node_name = 'classify_reply'
                  AND (p.metadata ->> 'message_id')::bigint = i.id),
         r AS (SELECT (a.sent_at - i.created_at) AS d FROM i JOIN messages a ON a.reply_to_id = i.id
                WHERE a.kind = 'auto' AND a.sent_at IS NOT NULL)
    SELECT (SELECT count(*) FROM i), (SELECT count(*) FROM i WHERE intent IS NOT NULL),
           (SELECT count(*) FROM r), (SELECT count(*) FROM i WHERE intent = 'opt_out'),
           (SELECT round(count(*) / greatest(extract(epoch FROM max(created_at) - min(created_at)), 1))
              FROM i),
           (SELECT round(1000 * extract(epoch FROM percentile_cont(0.5) WITHIN GROUP (ORDER BY d))) FROM c),
           (SELECT round(1000 * extract(epoch FROM percentile_cont(0.99) WITHIN GROUP (ORDER BY d))) FROM c),
           (SELECT round(1000 * extract(epoch FROM percentile_cont(0.5) WITHIN GROUP (ORDER BY d))) FROM r),
           (SELECT round(1000 * extract(epoch FROM percentile_cont(0.99) WITHIN GROUP (ORDER BY d))) FROM r)" | tr '|' ' ')
TWICE=$(sql_value "SELECT count(*) FROM (SELECT reply_to_id FROM messages WHERE kind = 'auto'
                   GROUP BY reply_to_id HAVING count(*) > 1) x")

section "burst: $BURST signed webhooks from unknown numbers, 32 at a time"
BURST_JSON=$(node "$BENCH/webhook_burst.js" "$INBOUND" tok-test "$BURST" 32 +1555010)
info "$BURST_JSON"

mkdir -p "$(dirname "$OUT")"
[[ -s "$OUT" ]] || printf '# Conversations benchmark results (bench/replies.sh, newest last)\n' >"$OUT"
{
    echo
    echo "## $(date -u '+%Y-%m-%d %H:%M UTC') — $(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo '?')"
    echo
    echo "$(machine_line); load before: $LOAD_BEFORE; LLM ${LLM_MS} ms, SMS ${SMS_MS} ms"
    echo
    echo "| measure | value |"
    echo "| --- | --- |"
    echo "| campaign | $N_LEADS leads, reply_mode auto, the fake answers ${REPLY_RATE} of the messages; $( ((settled)) && echo "settled in ${T_RUN} s" || echo "**NOT SETTLED** after ${T_RUN} s") |"
    echo "| inbound webhooks stored | $N_IN (fake: $(jq -c '.replies' <<<"$FAKE_STATS")), at the fake's pace: $RATE/s |"
    echo "| classified | $N_CLASSIFIED of $N_IN (opt-outs $N_OPTOUT) |"
    echo "| answered (auto, accepted by the provider) | $N_ANSWERED; answered twice: $TWICE |"
    echo "| classification latency (stored → intent), p50 / p99 | ${CL50} ms / ${CL99} ms |"
    echo "| reply latency (stored → answer accepted), p50 / p99 | ${RE50} ms / ${RE99} ms |"
    echo "| webhook burst (32 concurrent, unknown numbers) | $(jq -r '"\(.per_second) webhooks/s, p50 \(.p50_ms) ms, p99 \(.p99_ms) ms, \(.ok) of \(.sent) answered 200"' <<<"$BURST_JSON") |"
} >>"$OUT"
section "results (appended to ${OUT#"$ROOT"/})"
awk '/^## /{buf = ""} {buf = buf $0 "\n"} END {printf "%s", buf}' "$OUT"
