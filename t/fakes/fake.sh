# shellcheck shell=bash
# Starting and stopping the fake providers (fake_providers.js) for a script that has sourced
# scripts/lib.sh and set up an instance (INST, INST_LOG): scripts/test.sh (make test) and
# bench/campaign.sh.
#
# fake_start [fake_providers.js options...]: start it on a free loopback port, its log in
#   $INST_LOG/fake-providers.log; sets FAKE_PID and FAKE_URL (http://127.0.0.1:PORT). Dies
#   when it does not start.
# fake_stop: stop it and wait for it, if it runs.
# fake_pg_settings: the server settings that make a cluster send through it (after
#   fake_start): the twilio provider at FAKE_URL with the account the fake accepts
#   (t/fakes/fake_config.js), no LLM key (the built-in writer), one line each.

FAKE_PID=
FAKE_URL=

fake_start() {
    local portfile="$INST/fake.port" i
    command -v node >/dev/null 2>&1 || die "node not found: it runs the fake providers (t/fakes; run: make deps)"
    rm -f "$portfile"
    node "$ROOT/t/fakes/fake_providers.js" --port 0 --portfile "$portfile" "$@" \
        </dev/null >"$INST_LOG/fake-providers.log" 2>&1 &
    FAKE_PID=$!
    for ((i = 0; i < 100; i++)); do
        [[ -s "$portfile" ]] && break
        kill -0 "$FAKE_PID" 2>/dev/null || break
        sleep 0.1
    done
    if [[ ! -s "$portfile" ]]; then
        tail_file fake-providers.log "$INST_LOG/fake-providers.log"
        die "the fake providers (t/fakes/fake_providers.js) did not start"
    fi
    FAKE_URL="http://127.0.0.1:$(cat "$portfile")"
    info "fake providers on $FAKE_URL (pid $FAKE_PID)"
}

fake_pg_settings() {
    printf '%s\n' "smscamp.sms_provider = 'twilio'" "smscamp.twilio_base_url = '$FAKE_URL'" \
        "smscamp.twilio_account_sid = 'ACtest'" "smscamp.twilio_auth_token = 'tok-test'" \
        "smscamp.sms_from = '+15005550006'" "smscamp.openai_api_key = ''"
}

fake_stop() {
    [[ -n "$FAKE_PID" ]] || return 0
    kill -TERM "$FAKE_PID" 2>/dev/null || true
    wait "$FAKE_PID" 2>/dev/null || true
    FAKE_PID=
}
