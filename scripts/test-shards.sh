#!/usr/bin/env bash
# make test-shards: smscamp sharded with PL/Proxy, proven small (docs/SCALING.md).
#
# In build/test-shards-<pid>, on spare loopback ports: two shards (shard0/, shard1/), each a
# full smscamp cluster (sql/, the extension, pg_cron, its own workers, the fake providers
# of t/fakes as its SMS provider) with sql/shard/shard.sql; a router (router/: PostgreSQL
# with PL/Proxy and sql/shard/router.sql, no data, no workers: the instance itself, pg/ and
# log/ at the top); nginx on the router, as
# make run has it on one database. Then t/shards/*.t through prove, with what t/http's
# tests get (SMSCAMP_URL, SMSCAMP_API_KEY, SMSCAMP_FAKE_URL, PG* on the router) and
# SMSCAMP_SHARD_PORTS (a,b). SHARDS_TESTS="t/shards/10-campaign.t" runs some.
set -euo pipefail
# shellcheck source=scripts/lib.sh
source "$(dirname "$0")/lib.sh"
# shellcheck source=t/fakes/fake.sh
source "$ROOT/t/fakes/fake.sh"

NSHARDS=2
TOP="$ROOT/build/test-shards-$$"

for d in "$ROOT"/build/test-shards-*/; do
    [[ -d "$d" ]] || continue
    d=${d%/}
    pid=${d##*/test-shards-}
    if [[ "$pid" =~ ^[0-9]+$ ]] && kill -0 "$pid" 2>/dev/null; then continue; fi
    for s in "$d"/shard* "$d"; do
        [[ -d "$s" ]] && (instance_setup "$s" 0 0 1 && instance_stop) >/dev/null 2>&1 || true
    done
    rm -rf "$d"
done

mapfile -t ports < <(free_ports $((NSHARDS + 2)))
((${#ports[@]} == NSHARDS + 2)) || die "could not find $((NSHARDS + 2)) free ports"
SHARD_PORTS=("${ports[@]:2}")

# shard K: instance_setup for it (in a subshell: the instance globals are its own)
shard_setup() { instance_setup "$TOP/shard$1" 0 "${SHARD_PORTS[$1]}" 1; }

shards_stop() {
    local k
    for ((k = 0; k < NSHARDS; k++)); do (shard_setup "$k" && pg_stop) >/dev/null 2>&1 || true; done
}
cleanup() { fake_stop; shards_stop; }

# the router is the instance of this script (nginx on it); the shards are in its directory
instance_setup "$TOP" "${ports[0]}" "${ports[1]}" 1
instance_traps test-shards cleanup instance_stop 0

mkdir -p "$INST_LOG"
section "fake providers"
fake_start
export SMSCAMP_FAKE_URL="$FAKE_URL"

for ((k = 0; k < NSHARDS; k++)); do
    section "shard$k on port ${SHARD_PORTS[k]}"
    (
        shard_setup "$k"
        ports_check
        instance_dirs
        pg_init
        { echo "# scripts/test-shards.sh: the fake providers"; fake_pg_settings; } >>"$INST_PG/postgresql.conf"
        pg_start
        db_create
        db_load >/dev/null
        psql_su -d "$DB_NAME" -v ON_ERROR_STOP=1 -v shard="$k" -v shards="$NSHARDS" \
            -f "$ROOT/sql/shard/shard.sql" >/dev/null || die "sql/shard/shard.sql failed on shard$k"
    )
done

section "router on port $PG_PORT (PL/Proxy), nginx on http://127.0.0.1:$HTTP_PORT"
ports_check
instance_dirs
pg_init
# no workers, no pg_cron: the router keeps no data
printf '%s\n' "# scripts/test-shards.sh: a router" "shared_preload_libraries = ''" >>"$INST_PG/postgresql.conf"
pg_start
db_create
args=()
for ((k = 0; k < NSHARDS; k++)); do
    args+=(-v "p$k=host=127.0.0.1 port=${SHARD_PORTS[k]} dbname=$DB_NAME")
done
psql_su -d "$DB_NAME" -v ON_ERROR_STOP=1 "${args[@]}" -f "$ROOT/sql/shard/router.sql" >/dev/null ||
    die "sql/shard/router.sql failed on the router"
SMSCAMP_PG_DSN="host=127.0.0.1 port=$PG_PORT dbname=$DB_NAME user=smscamp_api application_name=smscamp-nginx"
export SMSCAMP_PG_DSN
nginx_render
nginx_start
wait_health

# keys are global: on shard 0
KEY=$( (shard_setup 0 && psql_su -d "$DB_NAME" -tA -c \
    "SELECT smscamp_create_key('test-shards admin', 'admin', NULL, 1000000)") )
[[ "$KEY" == smc_* ]] || die "could not create a key on shard0"

export SMSCAMP_URL="http://127.0.0.1:$HTTP_PORT" SMSCAMP_INSTANCE="$INST" SMSCAMP_ROOT="$ROOT"
export SMSCAMP_API_KEY="$KEY" SMSCAMP_SHARD_PORTS
SMSCAMP_SHARD_PORTS=$(IFS=,; echo "${SHARD_PORTS[*]}")
export PGHOST=127.0.0.1 PGPORT="$PG_PORT" PGUSER="$DB_SUPERUSER" PGDATABASE="$DB_NAME"

# what tells why a test failed: nginx, the router's log and the shards'
shards_failure_logs() {
    local k
    tail_nginx_logs 30
    tail_file "router postgresql" "$PG_LOG" 30
    for ((k = 0; k < NSHARDS; k++)); do tail_file "shard$k postgresql" "$TOP/shard$k/log/postgresql.log" 30; done
}
prove_suite shards "${SHARDS_TESTS:-t/shards}" shards_failure_logs
