#!/usr/bin/env bash
# make bench-pacing: per-sender pacing (issue 14) at 50 senders x 1 segment/s.
#
# Its own PostgreSQL instance (build/bench-pacing-<pid>, free port; no nginx: the campaigns
# are started from SQL), the fake Twilio of t/fakes (SMS latency BENCH_SMS_LATENCY_MS, 50 ms),
# BENCH_SENDERS long codes at 1 segment/s, and two campaigns over the same senders at the same
# time: one of 1-segment messages, one of 2-segment messages (so that the workers' shared pacing
# is measured across campaigns and across workers, in segments). The fake records every
# message's arrival time and From. Reported: the aggregate segments/s over the run (the target:
# the senders' sum, 50), per sender the closest two messages relative to the first one's
# segments (a 2-segment message must be followed 2 s later at the earliest) and the longest wait
# in a carrier queue that sends 1 segment/s (a sender over its rate makes it grow; pacing keeps
# it at the arrival jitter, under 500 ms), and the messages sent twice (none). Appended to
# bench/results/pacing-latest.md.
#
# Knobs (environment): BENCH_SENDERS (50), BENCH_PACING_SECONDS (40: the campaigns are sized to
# take that long at the senders' rate), BENCH_SMS_LATENCY_MS (50), BENCH_OUT, BENCH_KEEP=1.
set -euo pipefail
# shellcheck source=bench/common.sh
source "$(dirname "$0")/common.sh"

N_SENDERS=${BENCH_SENDERS:-50}
SECONDS_AT_RATE=${BENCH_PACING_SECONDS:-40}
SMS_MS=${BENCH_SMS_LATENCY_MS:-50}
OUT=${BENCH_OUT:-$RESULTS/pacing-latest.md}
# segments to send: the senders' rate for that long; two thirds in 1-segment messages,
# one third in 2-segment messages
TOTAL_SEG=$((N_SENDERS * SECONDS_AT_RATE))
N_SHORT=$((TOTAL_SEG * 2 / 3))
N_LONG=$(((TOTAL_SEG - N_SHORT) / 2))

command -v node >/dev/null || die "node not found: it runs the fake providers (t/fakes; run: make deps)"
command -v jq >/dev/null || die "jq not found"
# shellcheck source=t/fakes/fake.sh
source "$ROOT/t/fakes/fake.sh"

bench_instance pacing 1
LOGDIR="$INST/bench"
bench_cleanup() { fake_stop; }
bench_traps pg_stop

bench_pg_up

section "fake providers (SMS ${SMS_MS} ms)"
fake_start --sms-latency-ms "$SMS_MS" --record-llm-messages false
bench_pg_against_fake

section "$N_SENDERS senders at 1 segment/s; campaigns of $N_SHORT 1-segment and $N_LONG 2-segment messages"
psql_db >/dev/null <<SQL
INSERT INTO senders (phone, kind, segments_per_second)
SELECT '+1212555' || lpad(g::text, 4, '0'), 'long_code', 1 FROM generate_series(1, $N_SENDERS) g;
INSERT INTO leads (name, phone)
SELECT 'Pace ' || g, '+1303555' || lpad(g::text, 4, '0') FROM generate_series(1, $N_SHORT + $N_LONG) g;
INSERT INTO campaigns (name, send_window, sms_template)
VALUES ('pacing: 1 segment', NULL, 'Hi {first_name}, our open day is on Saturday.'),
       ('pacing: 2 segments', NULL,
        'Hi {first_name}, our open day is on Saturday from ten until four. Come and see the new '
        || 'showroom, meet the team and try the demo units; there is coffee and cake for everyone '
        || 'who comes along.');
INSERT INTO campaign_leads (campaign_id, lead_id)
SELECT (SELECT c.id FROM campaigns c WHERE c.name = 'pacing: 1 segment'), l.id
  FROM leads l WHERE l.name ~ '^Pace ' ORDER BY l.id LIMIT $N_SHORT;
INSERT INTO campaign_leads (campaign_id, lead_id)
SELECT (SELECT c.id FROM campaigns c WHERE c.name = 'pacing: 2 segments'), l.id
  FROM leads l WHERE l.name ~ '^Pace ' ORDER BY l.id OFFSET $N_SHORT;
SQL
SEG_LONG=$(sql_value "SELECT smscamp_sms_segments(replace(sms_template, '{first_name}', 'Pace') || ' Reply STOP to opt out')
                        FROM campaigns WHERE name = 'pacing: 2 segments'")

section "start"
T_START=$(date +%s.%N)
psql_db -c "SELECT smscamp_start(id) FROM campaigns WHERE name LIKE 'pacing:%'" >/dev/null
while :; do
    sleep 1
    read -r LEFT < <(sql_value "SELECT sum(s.unfinished) FROM campaigns c, smscamp_campaign_counts(c.id) s
                                 WHERE c.name LIKE 'pacing:%'")
    t=$(awk -v a="$(date +%s.%N)" -v b="$T_START" 'BEGIN {printf "%.0f", a - b}')
    printf '  %4s s  leads left %s\n' "$t" "$LEFT"
    ((LEFT > 0)) || break
    ((t < SECONDS_AT_RATE * 3 + 60)) || { warn "not finished after $t s"; break; }
done
WALL=$(awk -v a="$(date +%s.%N)" -v b="$T_START" 'BEGIN {printf "%.1f", a - b}')

section "figures"
curl -fsS --max-time 60 "$FAKE_URL/_fake/messages?limit=10000000" >"$LOGDIR/messages.json"
node - "$LOGDIR/messages.json" "$N_SENDERS" >"$LOGDIR/figures.json" <<'JS'
// Per sender (From), in arrival order at the fake:
//   gap      the time after a message minus its segments x 1 s (1 segment/s): what the
//            workers reserve; negative = the next one came early (a late send before it)
//   backlog  the carrier's queue, sending 1 segment/s in arrival order: how long a message
//            waits there. Pacing holds when it stays at the arrival jitter (ms); a sender over
//            its rate makes it grow without bound (Twilio's queue overflows, error 30001).
// The aggregate rate: all segments over first arrival -> the end of the last one's segments.
const fs = require('fs');
const msgs = JSON.parse(fs.readFileSync(process.argv[2], 'utf8')).messages;
const nSenders = Number(process.argv[3]);
const byFrom = new Map();
for (const m of msgs) {
    if (!byFrom.has(m.from)) byFrom.set(m.from, []);
    byFrom.get(m.from).push(m);
}
const segOf = (m) => Number(m.num_segments) || 1;
let worstGap = Infinity, early100 = 0, segTotal = 0, maxBacklog = 0;
let first = Infinity, end = -Infinity;
const perSender = [];
for (const [from, list] of byFrom) {
    list.sort((a, b) => a.ts - b.ts);
    let segs = 0, free = -Infinity;
    for (let i = 0; i < list.length; i++) {
        const seg = segOf(list[i]);
        segs += seg;
        if (i > 0) {
            const g = list[i].ts - list[i - 1].ts - segOf(list[i - 1]) * 1000;
            worstGap = Math.min(worstGap, g);
            if (g < -100) early100++;
        }
        const startAt = Math.max(list[i].ts, free);
        maxBacklog = Math.max(maxBacklog, startAt - list[i].ts);
        free = startAt + seg * 1000;
        end = Math.max(end, list[i].ts + seg * 1000);
    }
    segTotal += segs;
    first = Math.min(first, list[0].ts);
    perSender.push({ from, messages: list.length, segments: segs });
}
const tos = msgs.map((m) => m.to);
const span = (end - first) / 1000;
perSender.sort((a, b) => a.segments - b.segments);
console.log(JSON.stringify({
    messages: msgs.length, segments: segTotal, senders_used: byFrom.size, senders: nSenders,
    span_s: Math.round(span * 10) / 10,
    segments_per_s: Math.round(segTotal / span * 10) / 10,
    worst_gap_ms: worstGap, gaps_early_100ms: early100, max_backlog_ms: maxBacklog,
    duplicates: tos.length - new Set(tos).size,
    least_busy: perSender[0], busiest: perSender[perSender.length - 1],
}));
JS
F=$(cat "$LOGDIR/figures.json")
get() { jq -r ".$1" <<<"$F"; }
RATE=$(get segments_per_s)
TARGET=$N_SENDERS
RATE_OK=$(awk -v r="$RATE" -v t="$TARGET" 'BEGIN {print (r >= 0.95 * t) ? 1 : 0}')
OVER_OK=$(awk -v b="$(get max_backlog_ms)" 'BEGIN {print (b < 500) ? 1 : 0}')
LOAD_AFTER=$(machine_load)

mkdir -p "$(dirname "$OUT")"
[[ -s "$OUT" ]] || printf '# Pacing benchmark results (bench/pacing.sh, newest last)\n' >"$OUT"
{
    echo
    echo "## $(date -u '+%Y-%m-%d %H:%M UTC') — $N_SENDERS long codes x 1 segment/s, two campaigns at once"
    echo
    echo "* machine: $(machine_line); load average before / after: $LOAD_BEFORE / $LOAD_AFTER"
    echo "* commit: $(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo '?')$(git -C "$ROOT" diff --quiet 2>/dev/null || echo ' + uncommitted changes')"
    echo "* fake Twilio: SMS ${SMS_MS} ms; campaigns: $N_SHORT leads x 1 segment and $N_LONG leads x $SEG_LONG segments, the same $N_SENDERS senders, send_window NULL"
    echo
    echo "| figure | value |"
    echo "|---|---|"
    echo "| messages / segments at the fake | $(get messages) / $(get segments) (duplicates: $(get duplicates)) |"
    echo "| senders used | $(get senders_used) of $N_SENDERS (segments per sender: $(get least_busy.segments) to $(get busiest.segments)) |"
    echo "| first arrival → the end of the last one's segments | $(get span_s) s (wall, start → done: $WALL s) |"
    echo "| aggregate rate | **$(get segments_per_s) segments/s** (the senders' sum: $TARGET; $( ((RATE_OK)) && echo "MET, ≥ 95%" || echo "MISSED") ) |"
    echo "| per sender: the closest gap after a message, minus its segments x 1 s | $(get worst_gap_ms) ms (arrival jitter: a send late by that much; gaps over 100 ms early: $(get gaps_early_100ms)) |"
    echo "| per sender: the longest wait in a carrier queue sending 1 segment/s | **$(get max_backlog_ms) ms** ($( ((OVER_OK)) && echo "none over its rate: the queue never holds more than the jitter" || echo "OVER THE RATE: the queue grows") ) |"
} >>"$OUT"

section "results (appended to ${OUT#"$ROOT"/})"
awk '/^## /{buf = ""} {buf = buf $0 "\n"} END {printf "%s", buf}' "$OUT"

section "stopping"
fake_stop
pg_stop
STOPPED=1
[[ "$(get duplicates)" == 0 ]] || die "messages were sent twice"
