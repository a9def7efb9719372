#!/usr/bin/env bash
# Self-test of t/fakes/fake_providers.js: starts it on a free loopback port, exercises every
# endpoint with curl (LLM, SMS, calls, status callbacks, control plane), checks the answers, stops
# it. Exit status 0 = all checks passed.
#
#   t/fakes/selftest.sh            (needs node ≥ 18 and curl)
set -uo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
FAKE=$HERE/fake_providers.js
TMP=$(mktemp -d "${TMPDIR:-/tmp}/fake-selftest.XXXXXX")
FAKE_PID= CB_PID=
PASS=0 FAIL=0

cleanup() {
    [ -n "$CB_PID" ] && kill "$CB_PID" 2>/dev/null
    [ -n "$FAKE_PID" ] && kill "$FAKE_PID" 2>/dev/null
    wait 2>/dev/null
    rm -rf "$TMP"
}
trap cleanup EXIT

ok()   { PASS=$((PASS + 1)); printf 'ok   %s\n' "$1"; }
nok()  { FAIL=$((FAIL + 1)); printf 'FAIL %s\n' "$1"; [ -n "${2:-}" ] && printf '     %s\n' "$2"; }
# is GOT WANT NAME
is()   { if [ "$1" == "$2" ]; then ok "$3"; else nok "$3" "got [$1], want [$2]"; fi; }
# like GOT REGEX NAME
like() { if [[ "$1" =~ $2 ]]; then ok "$3"; else nok "$3" "got [$1], want /$2/"; fi; }

# j FILE EXPR → evaluates the JS expression EXPR with `d` = the JSON in FILE (prints strings raw)
j() {
    node -e '
        const fs = require("fs");
        let d; try { d = JSON.parse(fs.readFileSync(process.argv[1], "utf8")); } catch (e) { console.log("<not json>"); process.exit(0); }
        const v = eval(process.argv[2]);
        console.log(typeof v === "string" ? v : JSON.stringify(v));
    ' "$1" "$2"
}

# req METHOD PATH [curl args…] → sets $CODE; body in $TMP/body, headers in $TMP/hdr
req() {
    local method=$1 path=$2; shift 2
    CODE=$(curl -sS -o "$TMP/body" -D "$TMP/hdr" -w '%{http_code}' -X "$method" "$@" "$BASE$path")
}
llm() {  # llm JSON [key]
    req POST /v1/chat/completions -H "Authorization: Bearer ${2:-sk-test}" -H 'Content-Type: application/json' --data-binary "$1"
}
sms() {  # sms TO BODY [user:pass] [account]
    req POST "/2010-04-01/Accounts/${4:-ACtest}/Messages.json" -u "${3:-ACtest:tok-test}" \
        --data-urlencode "To=$1" --data-urlencode 'From=+15550000001' --data-urlencode "Body=$2"
}
config() { req POST /_fake/config -H 'Content-Type: application/json' --data-binary "$1"; is "$CODE" 200 "config $1"; }
reset()  { req POST /_fake/reset; is "$CODE" 200 "reset"; }
header() { tr -d '\r' <"$TMP/hdr" | awk -v h="$(echo "$1" | tr A-Z a-z)" 'BEGIN{FS=": "} tolower($1)==h {print $2}'; }

# ------------------------------------------------------------------ start

node "$FAKE" --port 0 --portfile "$TMP/port" --llm-latency-ms 0 >"$TMP/stdout" 2>"$TMP/stderr" &
FAKE_PID=$!
for _ in $(seq 100); do [ -s "$TMP/port" ] && break; sleep 0.05; done
PORT=$(cat "$TMP/port" 2>/dev/null)
[ -n "$PORT" ] || { echo "fake did not start"; cat "$TMP/stderr"; exit 1; }
BASE=http://127.0.0.1:$PORT
sleep 0.1
like "$(cat "$TMP/stdout")" "^listening on 127\.0\.0\.1:$PORT" "prints listening line"

req GET /_fake/health
is "$CODE" 200 "health 200"; is "$(j "$TMP/body" d.ok)" true "health ok"

# ------------------------------------------------------------------ OpenAI

CHAT='{"model":"gpt-4o-mini","temperature":0.7,"messages":[{"role":"system","content":"You are a friendly rep for Acme Solar panels. Write a short SMS."},{"role":"user","content":"Write an SMS for this lead.\nname: Jane Doe\ncompany: Initech"}]}'
llm "$CHAT"
is "$CODE" 200 "chat 200"
is "$(j "$TMP/body" d.object)" chat.completion "chat object"
like "$(j "$TMP/body" d.id)" '^chatcmpl-' "chat id"
is "$(j "$TMP/body" d.model)" gpt-4o-mini "chat model echoed"
is "$(j "$TMP/body" 'd.choices[0].message.role + "/" + d.choices[0].finish_reason + "/" + d.choices[0].index')" assistant/stop/0 "chat choice shape"
like "$(j "$TMP/body" 'd.choices[0].message.content')" '^Hi Jane, .*Acme Solar panels' "chat content personalised"
is "$(j "$TMP/body" 'd.usage.total_tokens === d.usage.prompt_tokens + d.usage.completion_tokens && d.usage.completion_tokens > 0')" true "chat usage"
FIRST=$(j "$TMP/body" 'd.choices[0].message.content')
llm "$CHAT"
is "$(j "$TMP/body" 'd.choices[0].message.content')" "$FIRST" "chat content deterministic"
llm '{"model":"m","messages":[{"role":"user","content":"Name: bob smith"}]}'
like "$(j "$TMP/body" 'd.choices[0].message.content')" '^Hi bob, ' "chat Name: (capitalised key)"
llm '{"model":"m","messages":[{"role":"user","content":"no name here"}]}'
like "$(j "$TMP/body" 'd.choices[0].message.content')" '^Hi there, ' "chat without a name"

llm "$CHAT" sk-wrong
is "$CODE" 401 "chat wrong key 401"
is "$(j "$TMP/body" 'd.error.code + "/" + d.error.type + "/" + d.error.message + "/" + d.error.param')" "invalid_api_key/invalid_request_error/Incorrect API key provided/null" "chat 401 shape"
req POST /v1/chat/completions -H 'Content-Type: application/json' --data-binary "$CHAT"
is "$CODE" 401 "chat without key 401"
llm '{"model": "gpt-4o-mini", "messages": ['
is "$CODE" 400 "chat malformed JSON 400"; is "$(j "$TMP/body" d.error.type)" invalid_request_error "chat 400 shape"
llm '{"model":"gpt-4o-mini"}'
is "$CODE" 400 "chat missing messages 400"; is "$(j "$TMP/body" d.error.param)" messages "chat 400 param"
llm '{"model":"gpt-4o-mini","messages":[{"role":"user","content":"x"}],"temperature":3}'
is "$CODE" 400 "chat temperature > 2 → 400"

config '{"llm_style":"quoted"}'
llm "$CHAT"; like "$(j "$TMP/body" 'd.choices[0].message.content')" '^"\*\*Hi Jane\*\*, .*"$' "style quoted"
config '{"llm_style":"emoji"}'
llm "$CHAT"; is "$(j "$TMP/body" '/\p{Extended_Pictographic}/u.test(d.choices[0].message.content)')" true "style emoji"
config '{"llm_style":"long"}'
llm "$CHAT"; is "$(j "$TMP/body" 'd.choices[0].message.content.length')" 600 "style long: 600 characters"
llm '{"model":"m","messages":[{"role":"system","content":"Sell Acme."},{"role":"user","content":"name: Jane\nPlease make it shorter."}]}'
like "$(j "$TMP/body" 'd.choices[0].message.content.length < 160')" true "style long + shorter → short"
llm '{"model":"m","messages":[{"role":"system","content":"Use at most 40 characters."},{"role":"user","content":"name: Jane"}]}'
is "$(j "$TMP/body" 'd.choices[0].message.content.length <= 40')" true "style long + at most 40 characters"
llm '{"model":"m","max_tokens":5,"messages":[{"role":"user","content":"name: Jane"}]}'
is "$(j "$TMP/body" 'd.choices[0].finish_reason')" length "max_tokens → finish_reason length"

config '{"llm_style":"plain","llm_429_rate":1,"retry_after_s":3}'
llm "$CHAT"
is "$CODE" 429 "chat 429"; is "$(header Retry-After)" 3 "chat 429 Retry-After"
is "$(j "$TMP/body" d.error.code)" rate_limit_exceeded "chat 429 shape"
config '{"llm_429_rate":0,"llm_error_rate":1}'
llm "$CHAT"; is "$CODE" 500 "chat 500"; is "$(j "$TMP/body" d.error.type)" server_error "chat 500 shape"
config '{"llm_error_rate":0,"llm_garbage_rate":1}'
llm "$CHAT"; is "$CODE" 200 "chat garbage 200"; is "$(cat "$TMP/body")" '<html>oops' "chat garbage body"
config '{"llm_garbage_rate":0,"llm_timeout_rate":1}'
curl -s -o /dev/null --max-time 1 -H 'Authorization: Bearer sk-test' -d "$CHAT" "$BASE/v1/chat/completions"
is "$?" 28 "chat timeout: held until the client gives up"
config '{"llm_timeout_rate":0,"llm_rules":{"Initech":"500","Globex":{"behaviour":"429","times":1,"retry_after_s":9},"Hooli":{"content":"fixed text"}}}'
llm "$CHAT"; is "$CODE" 500 "llm rule by user-message substring"
G='{"model":"m","messages":[{"role":"user","content":"name: Al\ncompany: Globex"}]}'
llm "$G"; is "$CODE/$(header Retry-After)" 429/9 "llm rule times=1: first 429"
llm "$G"; is "$CODE" 200 "llm rule times=1: then 200"
llm '{"model":"m","messages":[{"role":"user","content":"company: Hooli"}]}'
is "$(j "$TMP/body" 'd.choices[0].message.content')" "fixed text" "llm rule with literal content"
config '{"llm_rules":{},"llm_latency_ms":300}'
T0=$(date +%s%N); llm "$CHAT"; T1=$(date +%s%N)
is "$(( (T1 - T0) / 1000000 >= 300 ))" 1 "llm latency 300 ms"
config '{"llm_latency_ms":0}'

req GET /_fake/llm-requests
is "$(j "$TMP/body" 'd.count === d.requests.length && d.count >= 20')" true "llm-requests recorded"
is "$(j "$TMP/body" 'd.requests[0].model + "/" + d.requests[0].temperature + "/" + d.requests[0].messages.length + "/" + d.requests[0].outcome')" gpt-4o-mini/0.7/2/ok "llm-request record fields"
req GET '/_fake/llm-requests?outcome=401'
is "$(j "$TMP/body" d.count)" 2 "llm-requests ?outcome= filter"

# ------------------------------------------------------------------ Twilio

sms +15551230001 'Hello Jane, reply STOP to opt out'
is "$CODE" 201 "sms 201"
like "$(j "$TMP/body" d.sid)" '^SM[0-9a-f]{32}$' "sms sid"
SID=$(j "$TMP/body" d.sid)
is "$(j "$TMP/body" '[d.account_sid,d.to,d.from,d.status,d.num_segments,d.num_media,d.direction,d.price,d.price_unit,d.error_code,d.api_version].join("|")')" \
   'ACtest|+15551230001|+15550000001|queued|1|0|outbound-api||USD||2010-04-01' "sms resource fields"
is "$(j "$TMP/body" 'typeof d.num_segments')" string "sms num_segments is a string"
like "$(j "$TMP/body" d.date_created)" '^[A-Z][a-z]{2}, [0-9]{2} [A-Z][a-z]{2} [0-9]{4} [0-9:]{8} \+0000$' "sms date RFC 2822"
is "$(j "$TMP/body" d.uri)" "/2010-04-01/Accounts/ACtest/Messages/$SID.json" "sms uri"
sms +15551230002 "$(printf 'a%.0s' {1..160})"; is "$(j "$TMP/body" d.num_segments)" 1 "160 GSM chars → 1"
sms +15551230002 "$(printf 'a%.0s' {1..161})"; is "$(j "$TMP/body" d.num_segments)" 2 "161 GSM chars → 2"
sms +15551230002 "$(printf '€%.0s' {1..80})"; is "$(j "$TMP/body" d.num_segments)" 1 "80 € (extension, 160 septets) → 1"
sms +15551230002 "$(printf '{%.0s' {1..81})"; is "$(j "$TMP/body" d.num_segments)" 2 "81 { → 2"
sms +15551230002 "$(printf 'a%.0s' {1..306})"; is "$(j "$TMP/body" d.num_segments)" 2 "306 GSM → 2"
sms +15551230002 "$(printf 'a%.0s' {1..152}){$(printf 'a%.0s' {1..152})"; is "$(j "$TMP/body" d.num_segments)" 3 "escape pair never split (152+2+152 septets → 3)"
sms +15551230002 "$(printf 'ж%.0s' {1..66})😀$(printf 'ж%.0s' {1..66})"; is "$(j "$TMP/body" d.num_segments)" 3 "surrogate pair never split (66+2+66 units → 3)"
sms +15551230002 "$(printf 'ж%.0s' {1..70})"; is "$(j "$TMP/body" d.num_segments)" 1 "70 UCS-2 → 1"
sms +15551230002 "$(printf 'ж%.0s' {1..71})"; is "$(j "$TMP/body" d.num_segments)" 2 "71 UCS-2 → 2"
sms +15551230002 "Hi 😀 $(printf 'a%.0s' {1..64})"; is "$(j "$TMP/body" d.num_segments)" 1 "emoji counts 2 units (70 → 1)"
sms +15551230002 "Hi 😀 $(printf 'a%.0s' {1..65})"; is "$(j "$TMP/body" d.num_segments)" 2 "emoji 71 units → 2"

sms +15551230003 hi ACtest:wrong
is "$CODE" 401 "sms wrong token 401"
is "$(j "$TMP/body" '[d.code,d.message,d.more_info,d.status].join("|")')" '20003|Authenticate|https://www.twilio.com/docs/errors/20003|401' "sms 401 shape"
sms +15551230003 hi ACtest:tok-test ACother
is "$CODE" 401 "sms URL AccountSid mismatch 401"
req POST /2010-04-01/Accounts/ACtest/Messages.json -u ACtest:tok-test --data-urlencode 'From=+15550000001' --data-urlencode 'Body=x'
is "$CODE/$(j "$TMP/body" d.code)" 400/21604 "sms missing To → 21604"
is "$(j "$TMP/body" d.message)" "A 'To' phone number is required." "sms 21604 message"
sms 5551234 hi
is "$CODE/$(j "$TMP/body" d.code)" 400/21211 "sms To not E.164 → 21211"
is "$(j "$TMP/body" d.message)" "The 'To' number 5551234 is not a valid phone number." "sms 21211 message"
sms +15551230003 ''
is "$CODE/$(j "$TMP/body" d.code)" 400/21602 "sms empty Body → 21602"

config '{"sms_429_rate":1,"retry_after_s":7}'
sms +15551230004 hi
is "$CODE/$(header Retry-After)" 429/7 "sms 429 + Retry-After"
is "$(j "$TMP/body" '[d.code,d.status].join("|")')" '20429|429' "sms 429 shape"
config '{"sms_429_rate":0,"sms_error_rate":1}'
sms +15551230004 hi; is "$CODE/$(j "$TMP/body" d.code)" 500/20500 "sms 500"
config '{"sms_error_rate":0,"sms_garbage_rate":1}'
sms +15551230004 hi; is "$CODE/$(cat "$TMP/body")" '200/<html>oops' "sms garbage"
config '{"sms_garbage_rate":0,"sms_timeout_rate":1}'
curl -s -o /dev/null --max-time 1 -u ACtest:tok-test --data-urlencode To=+15551230004 --data-urlencode From=+1555 --data-urlencode Body=hi "$BASE/2010-04-01/Accounts/ACtest/Messages.json"
is "$?" 28 "sms timeout: held until the client gives up"
config '{"sms_timeout_rate":0}'
req GET '/_fake/messages?to=%2B15551230004'
is "$(j "$TMP/body" d.count)" 0 "failed sends are not recorded as messages"
req GET '/_fake/sms-requests?to=+15551230004'
is "$(j "$TMP/body" 'd.requests.map(r => r.outcome).join(",")')" '429,500,garbage,timeout' "sms-requests records every attempt"

config '{"sms_rules":{"0000":"500","10000":"ok","7777":"accept_then_500","8888":{"behaviour":"429","times":2},"9999":"400"}}'
sms +15551230000 hi; is "$CODE" 500 "sms rule by To suffix"
sms +15551110001 hi; is "$CODE" 201 "sms rule does not touch other numbers"
sms +15550010000 hi; is "$CODE" 201 "sms rule: longest suffix wins"
sms +15551117777 hi; is "$CODE" 500 "sms accept_then_500 answers 500"
sms +15551118888 hi; is "$CODE" 429 "sms rule times=2: 1st 429"
sms +15551118888 hi; is "$CODE" 429 "sms rule times=2: 2nd 429"
sms +15551118888 hi; is "$CODE" 201 "sms rule times=2: then 201"
sms +15551119999 hi; is "$CODE/$(j "$TMP/body" d.code)" 400/21610 "sms rule 400"
req GET '/_fake/messages?to=+15551117777'
is "$(j "$TMP/body" 'd.count + "/" + d.messages[0].outcome')" 1/accept_then_500 "accept_then_500 is recorded as accepted"
req GET '/_fake/messages?to=+15551230000'
is "$(j "$TMP/body" d.count)" 0 "500 rule not recorded"

req GET /_fake/messages
N=$(j "$TMP/body" d.count)
is "$(j "$TMP/body" 'd.count === d.messages.length && d.messages.every(m => /^SM[0-9a-f]{32}$/.test(m.sid) && m.to && m.body !== undefined && m.time)')" true "messages list shape"
req GET "/2010-04-01/Accounts/ACtest/Messages/$SID.json" -u ACtest:tok-test
is "$CODE/$(j "$TMP/body" d.sid)" "200/$SID" "fetch message resource"
req GET '/2010-04-01/Accounts/ACtest/Messages.json?To=%2B15551230001' -u ACtest:tok-test
is "$(j "$TMP/body" 'd.messages.length + "/" + d.messages[0].sid')" "1/$SID" "list messages by To"

# deterministic PRNG: same seed → same fault sequence
seq_of() {
    local out=
    for i in $(seq 20); do sms "+1555200$(printf %04d "$i")" hi; out+="$CODE "; done
    echo "$out"
}
config '{"sms_rules":{},"seed":42,"sms_error_rate":0.5}'
S1=$(seq_of)
config '{"seed":42}'
S2=$(seq_of)
is "$S1" "$S2" "seeded random faults repeat"
like "$S1" '201.*500|500.*201' "rate 0.5 gives both outcomes"

# ------------------------------------------------------------------ status callbacks

cat >"$TMP/cb.js" <<'EOF'
const http = require('http'), fs = require('fs');
const out = process.argv[2];
const s = http.createServer((req, res) => {
    let b = '';
    req.on('data', (c) => b += c);
    req.on('end', () => {
        fs.writeFileSync(out, JSON.stringify({ url: req.url, sig: req.headers['x-twilio-signature'], body: b }));
        fs.appendFileSync(out + '.all', JSON.stringify({ url: req.url, sig: req.headers['x-twilio-signature'], body: b }) + '\n');
        res.writeHead(204); res.end();
    });
});
s.listen(0, '127.0.0.1', () => fs.writeFileSync(out + '.port', String(s.address().port)));
process.on('SIGTERM', () => process.exit(0));
EOF
node "$TMP/cb.js" "$TMP/cb.json" & CB_PID=$!
for _ in $(seq 100); do [ -s "$TMP/cb.json.port" ] && break; sleep 0.05; done
CBURL="http://127.0.0.1:$(cat "$TMP/cb.json.port")/api/webhooks/sms/status?x=1"
config '{"sms_error_rate":0}'
req POST /2010-04-01/Accounts/ACtest/Messages.json -u ACtest:tok-test --data-urlencode To=+15553334444 \
    --data-urlencode From=+15550000001 --data-urlencode Body=hello --data-urlencode "StatusCallback=$CBURL"
is "$CODE" 201 "sms with StatusCallback"
CSID=$(j "$TMP/body" d.sid)
req POST /_fake/deliver -H 'Content-Type: application/json' --data-binary "{\"sid\":\"$CSID\",\"status\":\"delivered\"}"
is "$CODE/$(j "$TMP/body" d.callback_status)" 200/204 "deliver posts the callback"
# independent check of Twilio's signature algorithm
VERIFY=$(node -e '
    const c = require("crypto"), fs = require("fs");
    const r = JSON.parse(fs.readFileSync(process.argv[1], "utf8"));
    const p = new URLSearchParams(r.body);
    const keys = [...p.keys()].sort();
    const data = process.argv[2] + keys.map((k) => k + p.get(k)).join("");
    const want = c.createHmac("sha1", "tok-test").update(data).digest("base64");
    console.log([r.sig === want, p.get("MessageSid") === process.argv[3], p.get("MessageStatus"), p.get("To"), p.get("From"), p.get("AccountSid")].join("|"));
' "$TMP/cb.json" "$CBURL" "$CSID")
is "$VERIFY" 'true|true|delivered|+15553334444|+15550000001|ACtest' "callback fields + X-Twilio-Signature"
req GET "/_fake/messages?sid=$CSID"
is "$(j "$TMP/body" 'd.messages[0].status')" delivered "delivered status recorded"
req POST /_fake/deliver -H 'Content-Type: application/json' --data-binary "{\"sid\":\"$CSID\",\"status\":\"undelivered\"}"
is "$(j "$TMP/body" 'd.params.ErrorCode')" 30003 "undelivered carries an ErrorCode"

# ------------------------------------------------------------------ Twilio calls

TWIML='<Response><Say voice="Polly.Joanna" language="en-US">Hi Jane, Acme &amp; Co calling.</Say></Response>'
call() {  # call TO [curl args…] (the Twiml, Url, … in the args)
    local to=$1; shift
    req POST /2010-04-01/Accounts/ACtest/Calls.json -u "${CALL_AUTH:-ACtest:tok-test}" --data-urlencode "To=$to" \
        --data-urlencode 'From=+15550000001' "$@"
}
call +15554440001 --data-urlencode "Twiml=$TWIML"
is "$CODE" 201 "call 201"
like "$(j "$TMP/body" d.sid)" '^CA[0-9a-f]{32}$' "call sid"
CASID=$(j "$TMP/body" d.sid)
is "$(j "$TMP/body" '[d.account_sid,d.to,d.from,d.status,d.direction,d.price,d.price_unit,d.duration,d.answered_by,d.api_version].join("|")')" \
   'ACtest|+15554440001|+15550000001|queued|outbound-api||USD|||2010-04-01' "call resource fields"
like "$(j "$TMP/body" d.date_created)" '^[A-Z][a-z]{2}, [0-9]{2} [A-Z][a-z]{2} [0-9]{4} [0-9:]{8} \+0000$' "call date RFC 2822"
is "$(j "$TMP/body" 'd.uri + " " + d.subresource_uris.recordings')" \
   "/2010-04-01/Accounts/ACtest/Calls/$CASID.json /2010-04-01/Accounts/ACtest/Calls/$CASID/Recordings.json" "call uri, subresource_uris"
req GET "/_fake/calls?sid=$CASID"
is "$(j "$TMP/body" '[d.count, d.calls[0].say_text, d.calls[0].voice, d.calls[0].language, d.calls[0].outcome, d.calls[0].status_history.join(">")].join("|")')" \
   '1|Hi Jane, Acme & Co calling.|Polly.Joanna|en-US|ok|queued' "call record: say_text decoded, voice, language"
req GET "/2010-04-01/Accounts/ACtest/Calls/$CASID.json" -u ACtest:tok-test
is "$CODE/$(j "$TMP/body" d.sid)" "200/$CASID" "fetch call resource"
req GET "/2010-04-01/Accounts/ACtest/Calls/CA0000.json" -u ACtest:tok-test
is "$CODE/$(j "$TMP/body" d.code)" 404/20404 "fetch unknown call → 404/20404"

CALL_AUTH=ACtest:wrong call +15554440001 --data-urlencode "Twiml=$TWIML"
is "$CODE/$(j "$TMP/body" d.code)" 401/20003 "call wrong token → 401/20003"
call +15554440001 --data-urlencode "Twiml=$TWIML" -u ACother:tok-test
is "$CODE" 401 "call wrong user → 401"
req POST /2010-04-01/Accounts/ACtest/Calls.json -u ACtest:tok-test --data-urlencode 'From=+15550000001' --data-urlencode "Twiml=$TWIML"
is "$CODE/$(j "$TMP/body" d.code)" 400/21201 "call missing To → 21201"
call 5551234 --data-urlencode "Twiml=$TWIML"
is "$CODE/$(j "$TMP/body" d.code)/$(j "$TMP/body" d.message)" \
   "400/21211/The phone number you are attempting to call, 5551234, is not valid." "call To not E.164 → 21211"
req POST /2010-04-01/Accounts/ACtest/Calls.json -u ACtest:tok-test --data-urlencode 'To=+15554440001' --data-urlencode "Twiml=$TWIML"
is "$CODE/$(j "$TMP/body" d.code)" 400/21213 "call missing From → 21213"
call +15554440001
is "$CODE/$(j "$TMP/body" d.code)/$(j "$TMP/body" d.message)" '400/21205/Url parameter is required' "call without Twiml or Url → 21205"
call +15554440001 --data-urlencode "Twiml=<Response><Say>$(printf 'a%.0s' {1..3968})</Say></Response>"
is "$CODE" 201 "Twiml of 4000 characters accepted"
call +15554440001 --data-urlencode "Twiml=<Response><Say>$(printf 'a%.0s' {1..3969})</Say></Response>"
is "$CODE/$(j "$TMP/body" d.code)" 400/21218 "Twiml over 4000 characters → 21218"
call +15554440001 --data-urlencode 'Twiml=Hello there'
is "$CODE/$(j "$TMP/body" d.code)/$(j "$TMP/body" d.message)" '400/12100/Document parse failure' "Twiml not XML → 12100"
call +15554440001 --data-urlencode 'Twiml=<Response><Say>R & D</Say></Response>'
is "$CODE/$(j "$TMP/body" d.code)" 400/12100 "Twiml with a bare & → 12100"
call +15554440001 --data-urlencode "Twiml=<Response><Say>bell $(printf '\007')</Say></Response>"
is "$CODE/$(j "$TMP/body" d.code)" 400/12100 "Twiml with a control character → 12100"
call +15554440001 --data-urlencode 'Twiml=<Say>hi</Say>'
is "$CODE/$(j "$TMP/body" d.code)" 400/12100 "Twiml without a <Response> root → 12100"
call +15554440001 --data-urlencode "Twiml=$TWIML" --data-urlencode MachineDetection=Yes
is "$CODE/$(j "$TMP/body" d.code)" 400/21219 "bad MachineDetection → 400"
call +15554440002 --data-urlencode 'Url=https://example.com/twiml.xml'
is "$CODE" 201 "call with a Url"

config '{"call_rules":{"0000":"500","10000":"ok","8888":{"behaviour":"429","times":1,"retry_after_s":5},"9999":"400","7777":"accept_then_500"}}'
call +15554440000 --data-urlencode "Twiml=$TWIML"; is "$CODE/$(j "$TMP/body" d.code)" 500/20500 "call rule by To suffix"
call +15550010000 --data-urlencode "Twiml=$TWIML"; is "$CODE" 201 "call rule: longest suffix wins"
call +15554448888 --data-urlencode "Twiml=$TWIML"; is "$CODE/$(header Retry-After)" 429/5 "call rule times=1: first 429"
call +15554448888 --data-urlencode "Twiml=$TWIML"; is "$CODE" 201 "call rule times=1: then 201"
call +15554449999 --data-urlencode "Twiml=$TWIML"; is "$CODE/$(j "$TMP/body" d.code)" 400/21211 "call rule 400 → 21211"
call +15554447777 --data-urlencode "Twiml=$TWIML"; is "$CODE" 500 "call accept_then_500 answers 500"
req GET '/_fake/calls?to=+15554447777'
is "$(j "$TMP/body" 'd.count + "/" + d.calls[0].outcome')" 1/accept_then_500 "call accept_then_500 recorded as accepted"
req GET '/_fake/call-requests?to=+15554448888'
is "$(j "$TMP/body" 'd.requests.map(r => r.outcome).join(",")')" '429,ok' "call-requests records every attempt"
config '{"call_rules":{},"call_timeout_rate":1}'
curl -s -o /dev/null --max-time 1 -u ACtest:tok-test --data-urlencode To=+15554440003 --data-urlencode From=+1555 \
    --data-urlencode "Twiml=$TWIML" "$BASE/2010-04-01/Accounts/ACtest/Calls.json"
is "$?" 28 "call timeout: held until the client gives up"
config '{"call_timeout_rate":0}'

# call progress callbacks (the listener above appends every callback to cb.json.all)
wait_cbs() {  # wait_cbs N: until N callbacks arrived (≤ 3 s)
    for _ in $(seq 60); do [ "$(wc -l <"$TMP/cb.json.all" 2>/dev/null || echo 0)" -ge "$1" ] && break; sleep 0.05; done
}
# cbs SID → "CallStatus:SequenceNumber:CallDuration:AnsweredBy,…" of that call's callbacks, "BADSIG" when one is mis-signed
cbs() {
    node -e '
        const c = require("crypto"), fs = require("fs");
        const lines = fs.readFileSync(process.argv[1], "utf8").trim().split("\n").map(JSON.parse);
        const out = [];
        for (const l of lines) {
            const p = new URLSearchParams(l.body);
            if (p.get("CallSid") !== process.argv[3]) continue;
            const keys = [...p.keys()].sort();
            const want = c.createHmac("sha1", "tok-test").update(process.argv[2] + keys.map((k) => k + p.get(k)).join("")).digest("base64");
            if (l.sig !== want) { console.log("BADSIG"); process.exit(0); }
            out.push([p.get("CallStatus"), p.get("SequenceNumber"), p.get("CallDuration") || "", p.get("AnsweredBy") || ""].join(":"));
        }
        console.log(out.join(","));
    ' "$TMP/cb.json.all" "$CBURL" "$1"
}
rm -f "$TMP/cb.json.all"
config '{"call_auto_status":"completed","call_auto_status_delay_ms":10,"call_status_step_ms":10,"call_rules":{"0002":"busy"}}'
call +15554440010 --data-urlencode "Twiml=$TWIML" --data-urlencode "StatusCallback=$CBURL" \
    --data-urlencode 'StatusCallbackEvent=initiated ringing answered completed' --data-urlencode MachineDetection=Enable
ASID=$(j "$TMP/body" d.sid)
wait_cbs 4
is "$(cbs "$ASID")" 'initiated:0::,ringing:1::,in-progress:2::,completed:3:20:human' "call_auto_status completed: 4 signed callbacks in order"
call +15554440002 --data-urlencode "Twiml=$TWIML" --data-urlencode "StatusCallback=$CBURL" \
    --data-urlencode StatusCallbackEvent=ringing --data-urlencode StatusCallbackEvent=completed
BSID=$(j "$TMP/body" d.sid)
wait_cbs 6
is "$(cbs "$BSID")" 'ringing:0::,busy:1:0:' "call_rules outcome busy; repeated StatusCallbackEvent; CallDuration 0"
config '{"call_auto_status":"machine","call_rules":{}}'
call +15554440011 --data-urlencode "Twiml=$TWIML" --data-urlencode "StatusCallback=$CBURL" --data-urlencode MachineDetection=DetectMessageEnd
MSID=$(j "$TMP/body" d.sid)
wait_cbs 7
is "$(cbs "$MSID")" 'completed:0:20:machine_end_beep' "machine + DetectMessageEnd; no StatusCallbackEvent: the final one only"
req GET "/_fake/calls?sid=$ASID"
is "$(j "$TMP/body" '[d.calls[0].status, d.calls[0].answered_by, d.calls[0].duration, d.calls[0].status_history.join(">")].join("|")')" \
   'completed|human|20|queued>initiated>ringing>in-progress>completed' "call record follows the callbacks"
req GET "/2010-04-01/Accounts/ACtest/Calls/$BSID.json" -u ACtest:tok-test
is "$(j "$TMP/body" 'd.status + "/" + d.duration')" busy/0 "call resource follows the callbacks"
config '{"call_auto_status":null}'
req POST /_fake/call-status -H 'Content-Type: application/json' \
    --data-binary "{\"sid\":\"$CASID\",\"status\":\"completed\",\"duration\":12,\"answered_by\":\"human\",\"price\":\"-0.0130\",\"url\":\"$CBURL\"}"
is "$CODE/$(j "$TMP/body" 'd.delivered + "/" + d.callback_status + "/" + d.params.CallDuration + "/" + d.params.Price + "/" + d.params.PriceUnit')" \
   200/true/204/12/-0.0130/USD "call-status posts one callback"
is "$(cbs "$CASID")" 'completed:0:12:human' "call-status callback signed"
req POST /_fake/call-status -H 'Content-Type: application/json' --data-binary "{\"sid\":\"$CASID\",\"status\":\"busy\"}"
is "$CODE/$(j "$TMP/body" d.reason)" '502/no StatusCallback for this call' "call-status without a StatusCallback → 502"
req POST /_fake/call-status -H 'Content-Type: application/json' --data-binary '{"sid":"CA0000","status":"completed"}'
is "$CODE" 404 "call-status unknown sid → 404"
req POST /_fake/call-status -H 'Content-Type: application/json' --data-binary "{\"sid\":\"$CASID\",\"status\":\"delivered\"}"
is "$CODE" 400 "call-status bad status → 400"
req GET /_fake/stats
is "$(j "$TMP/body" 'd.calls.requests >= 20 && d.calls.outcomes.ok >= 8 && d.call_callbacks.sent === 8 && d.accepted_calls >= 9 && d.callbacks.sent === 2')" true "stats: calls, call_callbacks"
req POST /_fake/config -H 'Content-Type: application/json' --data-binary '{"call_auto_status":"delivered"}'
is "$CODE" 400 "unknown call_auto_status → 400"

# ------------------------------------------------------------------ stats, config errors, reset

req GET /_fake/stats
is "$(j "$TMP/body" 'd.sms.outcomes["429"] >= 3 && d.llm.outcomes.ok >= 5 && d.callbacks.sent === 2 && typeof d.sms.max_inflight')" number "stats per endpoint/outcome"
req POST /_fake/config -H 'Content-Type: application/json' --data-binary '{"no_such_knob":1}'
is "$CODE" 400 "unknown config key → 400"
req POST /_fake/config -H 'Content-Type: application/json' --data-binary '{"sms_rules":{"0":"explode"}}'
is "$CODE" 400 "unknown rule behaviour → 400"

reset
req GET /_fake/messages;      is "$(j "$TMP/body" d.count)" 0 "reset clears messages"
req GET /_fake/llm-requests;  is "$(j "$TMP/body" d.count)" 0 "reset clears llm requests"
req GET /_fake/calls;         is "$(j "$TMP/body" d.count)" 0 "reset clears calls"
req GET /_fake/call-requests; is "$(j "$TMP/body" d.count)" 0 "reset clears call requests"
req GET /_fake/stats;         is "$(j "$TMP/body" 'd.sms.requests + d.llm.requests + d.calls.requests + d.call_callbacks.sent')" 0 "reset clears counters"
req GET /_fake/config;        is "$(j "$TMP/body" 'd.seed + "/" + d.sms_error_rate + "/" + JSON.stringify(d.sms_rules)')" '1/0/{}' "reset restores the startup config"
sms +15551110000 hi;          is "$CODE" 201 "rules gone after reset"

# ------------------------------------------------------------------ env / CLI config and shutdown

kill -TERM "$FAKE_PID"; wait "$FAKE_PID"; RC=$?
FAKE_PID=
is "$RC" 0 "SIGTERM exits 0"
[ -e "$TMP/port" ] && nok "portfile removed on exit" || ok "portfile removed on exit"

FAKE_CONFIG='{"sms_rules":{"0000":"garbage"},"seed":5}' node "$FAKE" --port 0 --portfile "$TMP/port2" \
    --sms-429-rate 1 --retry-after-s 2 --quiet >"$TMP/stdout2" 2>&1 &
FAKE_PID=$!
for _ in $(seq 100); do [ -s "$TMP/port2" ] && break; sleep 0.05; done
BASE=http://127.0.0.1:$(cat "$TMP/port2")
req GET /_fake/config
is "$(j "$TMP/body" 'd.sms_429_rate + "/" + d.retry_after_s + "/" + d.seed + "/" + d.sms_rules["0000"]')" '1/2/5/garbage' "CLI flags + FAKE_CONFIG"
sms +15551110001 hi; is "$CODE/$(header Retry-After)" 429/2 "CLI knob in effect"
sms +15551110000 hi; is "$CODE" 200 "FAKE_CONFIG rule in effect (before random faults)"
kill -INT "$FAKE_PID"; wait "$FAKE_PID"; is "$?" 0 "SIGINT exits 0"
FAKE_PID=

node "$FAKE" --bogus 1 >/dev/null 2>&1; is "$?" 2 "unknown flag → exit 2"

echo
echo "$PASS passed, $FAIL failed"
[ "$FAIL" -eq 0 ]
