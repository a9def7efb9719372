#!/usr/bin/env bash
# make bench-voice: a voice campaign (issue 15) of BENCH_VOICE_LEADS (10,000) leads at
# BENCH_CPS (50) calls a second against the fake Twilio's Calls API.
#
# Its own PostgreSQL instance (build/bench-voice-<pid>, free port; no nginx: the campaign is
# started from SQL), the fake with BENCH_CALL_LATENCY_MS (100 ms) per Calls request, the
# built-in writer (offline) writing each lead's script. The fake records every call's arrival
# time. Reported: the total time, the calls a second over the run, the longest wait in a queue
# placing BENCH_CPS calls a second (Twilio's: over the rate it grows; held, it stays at the
# arrival jitter, under 500 ms), the most calls in any one second and the closest two, and the
# numbers called twice (none). Appended to bench/results/voice-latest.md.
set -euo pipefail
# shellcheck source=bench/common.sh
source "$(dirname "$0")/common.sh"

N_LEADS=${BENCH_VOICE_LEADS:-10000}
CPS=${BENCH_CPS:-50}
CALL_MS=${BENCH_CALL_LATENCY_MS:-100}
OUT=${BENCH_OUT:-$RESULTS/voice-latest.md}

command -v node >/dev/null || die "node not found: it runs the fake providers (t/fakes; run: make deps)"
command -v jq >/dev/null || die "jq not found"
# shellcheck source=t/fakes/fake.sh
source "$ROOT/t/fakes/fake.sh"

bench_instance voice 1
LOGDIR="$INST/bench"
bench_cleanup() { fake_stop; }
bench_traps pg_stop

bench_pg_up

section "fake providers (calls ${CALL_MS} ms)"
fake_start --call-latency-ms "$CALL_MS" --record-llm-messages false
bench_pg_against_fake

section "$N_LEADS leads, one voice campaign at $CPS calls/s"
psql_db >/dev/null <<SQL
INSERT INTO leads (name, phone)
SELECT 'Caller ' || g, '+1303' || lpad(g::text, 7, '0') FROM generate_series(1, $N_LEADS) g;
INSERT INTO campaigns (name, agent_type, send_window, sender_name, voice_system_prompt, calls_per_second)
VALUES ('voice bench', 'voice', NULL, 'Sam from Acme Dental',
        'Invite them to our open day on Saturday at Acme Dental.', $CPS);
INSERT INTO campaign_leads (campaign_id, lead_id)
SELECT (SELECT c.id FROM campaigns c WHERE c.name = 'voice bench'), l.id
  FROM leads l WHERE l.name ~ '^Caller ' ORDER BY l.id;
VACUUM ANALYZE leads, campaign_leads;
SQL
CID=$(sql_value "SELECT id FROM campaigns WHERE name = 'voice bench'")

section "start"
T_START=$(date +%s.%N)
psql_db -c "SELECT smscamp_start($CID)" >/dev/null
while :; do
    sleep 2
    LEFT=$(sql_value "SELECT unfinished FROM smscamp_campaign_counts($CID)")
    t=$(awk -v a="$(date +%s.%N)" -v b="$T_START" 'BEGIN {printf "%.0f", a - b}')
    printf '  %4s s  leads left %s\n' "$t" "$LEFT"
    ((LEFT > 0)) || break
    ((t < N_LEADS / CPS * 3 + 60)) || { warn "not finished after $t s"; break; }
done
WALL=$(awk -v a="$(date +%s.%N)" -v b="$T_START" 'BEGIN {printf "%.1f", a - b}')
read -r DB_SECONDS N_SENT N_OTHER < <(sql_value "
    SELECT round(extract(epoch FROM c.completed_at - c.started_at)::numeric, 1),
           count(*) FILTER (WHERE cl.status = 'sent' AND cl.voice_call_made),
           count(*) FILTER (WHERE cl.status <> 'sent')
      FROM campaigns c JOIN campaign_leads cl ON cl.campaign_id = c.id
     WHERE c.id = $CID GROUP BY c.completed_at, c.started_at" | tr '|' ' ')

section "figures"
curl -fsS --max-time 120 "$FAKE_URL/_fake/call-requests?limit=10000000" >"$LOGDIR/call-requests.json"
node - "$LOGDIR/call-requests.json" "$CPS" >"$LOGDIR/figures.json" <<'JS'
// From the fake's record of every Calls request: arrival times (ts, ms) and To.
//   max_in_1s   the most requests in any second (arrival jitter adds a few)
//   backlog     Twilio's queue placing CPS calls a second in arrival order: the longest a
//               call waits there. Over the rate it grows without bound; held, it stays at
//               the jitter (the check: under 500 ms)
const fs = require('fs');
const reqs = JSON.parse(fs.readFileSync(process.argv[2], 'utf8')).requests;
const cps = Number(process.argv[3]);
const ts = reqs.map((r) => r.ts).sort((a, b) => a - b);
let maxWin = 0, closest = Infinity, free = -Infinity, backlog = 0;
for (let i = 0, j = 0; i < ts.length; i++) {
    while (ts[i] - ts[j] >= 1000) j++;
    maxWin = Math.max(maxWin, i - j + 1);
    if (i > 0) closest = Math.min(closest, ts[i] - ts[i - 1]);
    const at = Math.max(ts[i], free);
    backlog = Math.max(backlog, at - ts[i]);
    free = at + 1000 / cps;
}
const tos = reqs.map((r) => r.to);
const span = (ts[ts.length - 1] - ts[0]) / 1000;
console.log(JSON.stringify({
    requests: reqs.length, span_s: Math.round(span * 10) / 10,
    per_second: Math.round((reqs.length - 1) / span * 10) / 10,
    max_in_1s: maxWin, closest_ms: closest, backlog_ms: Math.round(backlog),
    twice: tos.length - new Set(tos).size,
}));
JS
F=$(cat "$LOGDIR/figures.json")
get() { jq -r ".$1" <<<"$F"; }
RATE_OK=$(awk -v r="$(get per_second)" -v c="$CPS" -v b="$(get backlog_ms)" 'BEGIN {print (r <= c * 1.01 && r >= c * 0.95 && b < 500) ? 1 : 0}')
LOAD_AFTER=$(machine_load)

mkdir -p "$(dirname "$OUT")"
[[ -s "$OUT" ]] || printf '# Voice benchmark results (bench/voice.sh, newest last)\n' >"$OUT"
{
    echo
    echo "## $(date -u '+%Y-%m-%d %H:%M UTC') — $N_LEADS leads, one voice campaign at $CPS calls/s"
    echo
    echo "* machine: $(machine_line); load average before / after: $LOAD_BEFORE / $LOAD_AFTER"
    echo "* commit: $(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo '?')$(git -C "$ROOT" diff --quiet 2>/dev/null || echo ' + uncommitted changes')"
    echo "* fake Twilio Calls API: ${CALL_MS} ms a request; the built-in writer (offline) writes each script; send_window NULL"
    echo
    echo "| figure | value |"
    echo "|---|---|"
    echo "| total time (started_at → completed_at) | ${DB_SECONDS} s (wall ${WALL} s; at $CPS calls/s the floor is $(( (N_LEADS - 1) / CPS )) s) |"
    echo "| leads called / other | $N_SENT / $N_OTHER |"
    echo "| Calls requests at the fake / numbers called twice | $(get requests) / **$(get twice)** |"
    echo "| calls a second, first → last request | **$(get per_second)** over $(get span_s) s |"
    echo "| the longest wait in a queue placing $CPS calls/s | **$(get backlog_ms) ms** ($( ((RATE_OK)) && echo "the rate is held: no more than the arrival jitter" || echo "NOT HELD: the queue grows")) |"
    echo "| most calls in any one second; the closest two | $(get max_in_1s); $(get closest_ms) ms (at $CPS calls/s: $((1000 / CPS)) ms apart) |"
} >>"$OUT"

section "results (appended to ${OUT#"$ROOT"/})"
awk '/^## /{buf = ""} {buf = buf $0 "\n"} END {printf "%s", buf}' "$OUT"

section "stopping"
fake_stop
pg_stop
STOPPED=1
[[ "$(get twice)" == 0 ]] || die "numbers were called twice"
