#!/usr/bin/env bash
# make test: start a throwaway instance (build/test-<pid>) on spare ports,
# run every test suite against it, stop it, exit non-zero if any suite failed.
#
# A suite is two functions: suite_NAME_found (true if it has tests) and suite_NAME (runs
# them from the repository root, non-zero on failure). Add a suite (t/browser, t/openapi…)
# by writing both and adding NAME to ALL_SUITES. Tests get SMSCAMP_URL, SMSCAMP_HTTPS_URL
# (the same server over TLS) and SMSCAMP_TLS_CERT (its self-signed certificate), SMSCAMP_INSTANCE,
# SMSCAMP_ROOT, PGHOST/PGPORT/PGUSER/PGDATABASE and SMSCAMP_FAKE_URL (the fake OpenAI +
# Twilio server of t/fakes, started for the run).
# Run only some: make test SUITES="http" (and only some files:
# HTTP_TESTS="t/http/80-auth.t", SQL_TESTS="t/sql/31-nodes.sql").
set -euo pipefail
# shellcheck disable=SC2153  # PG_PORT etc. come from lib.sh
# shellcheck source=scripts/lib.sh
source "$(dirname "$0")/lib.sh"

ALL_SUITES=(ui sql http openapi browser fuzz)
read -r -a SUITES <<<"${SUITES:-${ALL_SUITES[*]}}"

# pgTAP files, through pg_prove.
suite_sql_found() { compgen -G "$ROOT/t/sql/*.sql" >/dev/null; }
suite_sql() {
    psql_su -d "$DB_NAME" -v ON_ERROR_STOP=1 -c 'CREATE EXTENSION IF NOT EXISTS pgtap' || return 1
    local files=()
    read -r -a files <<<"${SQL_TESTS:-$(echo t/sql/*.sql)}"
    pg_prove -h "$INST_RUN" -p "$PG_PORT" -U "$DB_SUPERUSER" -d "$DB_NAME" "${files[@]}"
}

# Perl HTTP tests (*.t), through prove; t/lib is on @INC.  PROVE_FLAGS=-v shows every test.
suite_http_found() { [[ -d "$ROOT/t/http" ]] && [[ -n "$(find "$ROOT/t/http" -name '*.t' -print -quit)" ]]; }
suite_http() {
    local inc=()
    [[ -d "$ROOT/t/lib" ]] && inc=(-I t/lib)
    local files=()
    read -r -a files <<<"${HTTP_TESTS:-t/http}"
    local flags=()
    read -r -a flags <<<"${PROVE_FLAGS:-}"
    prove "${inc[@]}" "${flags[@]}" -r "${files[@]}"
}

# The OpenAPI document (openapi/openapi.yaml) against the running server: Redocly lint, and every
# route's real answers validated against it (t/openapi/run.sh: npm ci there, then node).
suite_openapi_found() { [[ -f "$ROOT/t/openapi/validate.mjs" ]]; }
suite_openapi() { t/openapi/run.sh; }

# The web UI's component tests (Vitest, jsdom): no server needed.
suite_ui_found() { [[ -f "$ROOT/static/package.json" ]]; }
suite_ui() { (cd static && npx --no-install vitest run --reporter=dot); }

# End-to-end in Debian's Chromium (playwright-core), screenshots in build/artifacts/browser.
suite_browser_found() { [[ -f "$ROOT/t/browser/e2e.mjs" ]]; }
# BROWSER_SPECS="leads keys" runs only the specs whose file names contain one of the words.
suite_browser() {
    local specs=()
    read -r -a specs <<<"${BROWSER_SPECS:-}"
    SMSCAMP_ARTIFACTS="${SMSCAMP_ARTIFACTS:-$ROOT/build/artifacts/browser}" t/browser/run.sh "${specs[@]}"
}

# libFuzzer harnesses (t/fuzz): each target's committed corpus replayed, then fuzzed for
# FUZZ_TEST_SECONDS (10) each; no server needed. make fuzz runs them longer.
suite_fuzz_found() { [[ -x "$ROOT/t/fuzz/run.sh" ]]; }
suite_fuzz() { t/fuzz/run.sh -t "${FUZZ_TEST_SECONDS:-10}"; }

# A crashed nginx worker or PostgreSQL backend fails the run even if every test passed.
check_crashes() {
    local bad=0 f
    for f in $(nginx_error_logs); do
        if grep -E 'exited on signal (4|6|7|8|11)\b' "$f" >&2; then bad=1; fi
    done
    if [[ -f "$PG_LOG" ]] && grep -E 'terminated by signal (4|6|7|8|11)\b' "$PG_LOG" >&2; then bad=1; fi
    ((bad == 0)) || warn "a server process crashed during the tests (see above)"
    return "$bad"
}

# ---------------------------------------------------------------- instance

# Each run has its own instance, build/test-<pid>, so runs in one checkout do not
# collide. Instances of runs that are gone (interrupted, or failed and kept for their
# logs) are stopped and wiped here; a passing run removes its own.
wipe_stale_instances() {
    local d pid
    for d in "$ROOT"/build/test-*/; do
        [[ -d "$d" ]] || continue
        d=${d%/}
        pid=${d##*/test-}
        if [[ "$pid" =~ ^[0-9]+$ ]] && kill -0 "$pid" 2>/dev/null; then continue; fi
        (instance_setup "$d" 0 0 1 && instance_stop) || true
        rm -rf "$d"
    done
}
wipe_stale_instances

mapfile -t ports < <(free_ports 3)
((${#ports[@]} == 3)) || die "could not find three free ports"
# the test instance always serves HTTPS too (self-signed, on the third port): t/http/83-https.t
export SMSCAMP_HTTPS=1 SMSCAMP_HTTPS_PORT="${ports[2]}"
instance_setup "$ROOT/build/test-$$" "${ports[0]}" "${ports[1]}" 1

# ---------------------------------------------------------------- fake providers

# t/fakes/fake_providers.js (fake OpenAI + Twilio) on a free loopback port for the
# workflow tests (fake_start, fake_stop): SMSCAMP_FAKE_URL=http://127.0.0.1:PORT.
# Its log: <instance>/log/fake-providers.log.
# shellcheck source=t/fakes/fake.sh
source "$ROOT/t/fakes/fake.sh"

# at exit: the fakes, then the instance (scripts/lib.sh's instance_traps)
instance_traps test fake_stop instance_stop 0

# one browser origin may call the API cross-origin (t/http/86-cors.t)
export SMSCAMP_CORS_ORIGINS="https://app.smscamp.test"

section "test instance ${INST#"$ROOT"/}: http $HTTP_PORT, postgres $PG_PORT"
instance_start

# Webhooks are signed with the provider's auth token: the test instance has one of its own
# (in postgresql.conf, so a test's ALTER SYSTEM SET/RESET of it falls back to it).
printf "smscamp.twilio_auth_token = 'whsec-%s'\n" "$(od -An -N12 -tx1 /dev/urandom | tr -d ' \n')" \
    >>"$INST_PG/postgresql.conf"
psql_su -d "$DB_NAME" -tA -c 'SELECT pg_reload_conf()' >/dev/null

export SMSCAMP_URL="http://127.0.0.1:$HTTP_PORT"
# HTTPS base URL (no trailing slash) and the self-signed certificate to trust for it
export SMSCAMP_HTTPS_URL="https://127.0.0.1:$HTTPS_PORT" SMSCAMP_TLS_CERT="$INST_TLS/cert.pem"
export SMSCAMP_INSTANCE="$INST" SMSCAMP_ROOT="$ROOT"
export PGHOST="$INST_RUN" PGPORT="$PG_PORT" PGUSER="$DB_SUPERUSER" PGDATABASE="$DB_NAME"
# the tests call the API with an admin key (auth is on, as in make run), whose own rate
# limit is far above the default so that fast tests are not throttled (t/http/85-rate-limit.t
# checks the default with keys of its own)
admin_key_ensure "$INST/admin.key" 1000000 >/dev/null
SMSCAMP_API_KEY=$(cat "$INST/admin.key")
export SMSCAMP_API_KEY

section "fake providers"
fake_start
export SMSCAMP_FAKE_URL="$FAKE_URL"

# ---------------------------------------------------------------- suites

failed=() passed=() skipped=()
for s in "${SUITES[@]}"; do
    declare -F "suite_$s" >/dev/null || die "unknown suite '$s' (known: ${ALL_SUITES[*]})"
    if ! "suite_${s}_found"; then
        skipped+=("$s")
        continue
    fi
    section "suite $s"
    # Each suite's output is also kept, so that the summary can repeat what failed at the very
    # end, below the server logs (CI shows only the last lines).
    if (cd "$ROOT" && "suite_$s") 2>&1 | tee "$INST_LOG/suite-$s.out"; then
        passed+=("$s")
    else
        failed+=("$s")
    fi
done
section "crash check"
if check_crashes; then info "no crashed server processes"; else failed+=(crash-check); fi

section "stopping the test instance"
fake_stop
instance_stop
STOPPED=1

section "summary"
info "suites passed: ${passed[*]:-none}"
((${#skipped[@]} == 0)) || info "suites without tests: ${skipped[*]}"
if ((${#failed[@]})); then
    tail_nginx_logs 60
    tail_file postgresql.log "$PG_LOG" 60
    for s in "${failed[@]}"; do
        [[ -f "$INST_LOG/suite-$s.out" ]] || continue
        echo "----- what failed in suite $s -----"
        # prove and pg_prove end with a "Test Summary Report"; other suites: their last lines.
        if grep -q '^Test Summary Report' "$INST_LOG/suite-$s.out"; then
            sed -n '/^Test Summary Report/,$p' "$INST_LOG/suite-$s.out" | head -40
        else
            grep -E 'not ok|FAIL|✗|Error' "$INST_LOG/suite-$s.out" | head -20
            tail -n 15 "$INST_LOG/suite-$s.out"
        fi
        failed_tests "$INST_LOG/suite-$s.out"
    done
    info "suites FAILED: ${failed[*]}"
    exit 1
fi
((${#passed[@]})) || warn "no test suite had any tests"
info "all test suites passed"
