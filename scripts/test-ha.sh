#!/usr/bin/env bash
# make test-ha: the failover tests (t/ha/*.t, through prove) on a throwaway formation
# (scripts/ha-lib.sh) in build/test-ha-<pid>, on spare loopback ports, with the fake
# providers (t/fakes) as the SMS provider of every node. The tests run one after the
# other on the same formation; each leaves it whole (one primary, two secondaries).
# Tests get what t/http's get (SMSCAMP_URL, PG*, SMSCAMP_API_KEY, SMSCAMP_FAKE_URL) and
# SMSCAMP_HA_DIR, SMSCAMP_HA_BASE_PORT, SMSCAMP_HA_MONITOR_PORT, SMSCAMP_HA_PORTS (a,b,c).
# Only some: make test-ha HA_TESTS="t/ha/10-kill-primary.t".
set -euo pipefail
# shellcheck source=scripts/lib.sh
source "$(dirname "$0")/lib.sh"
# shellcheck source=scripts/ha-lib.sh
source "$(dirname "$0")/ha-lib.sh"

ha_throwaway test-ha 1

# shellcheck source=t/fakes/fake.sh
source "$ROOT/t/fakes/fake.sh"
ha_exit_stop() { ha_stop >/dev/null 2>&1 || true; }
instance_traps test-ha fake_stop ha_exit_stop 0

section "fake providers"
fake_start
export SMSCAMP_FAKE_URL="$FAKE_URL"
# every node sends through the fake: a promoted standby too (ALTER SYSTEM would stay on one node)
HA_EXTRA_CONF=$(fake_pg_settings)

section "formation ${INST#"$ROOT"/}: monitor $HA_MONITOR_PORT, nodes ${HA_PORTS[*]}, http $HTTP_PORT"
ha_start

export SMSCAMP_URL="http://127.0.0.1:$HTTP_PORT" SMSCAMP_INSTANCE="$INST" SMSCAMP_ROOT="$ROOT"
export SMSCAMP_HA_DIR="$INST" SMSCAMP_HA_BASE_PORT="$HA_BASE_PORT" SMSCAMP_HA_MONITOR_PORT="$HA_MONITOR_PORT"
SMSCAMP_HA_PORTS=$(IFS=,; echo "${HA_PORTS[*]}")
export SMSCAMP_HA_PORTS
export PGHOST=127.0.0.1 PGPORT="$PG_PORT" PGUSER="$DB_SUPERUSER" PGDATABASE="$DB_NAME"
admin_key_ensure "$INST/admin.key" 1000000 >/dev/null
SMSCAMP_API_KEY=$(cat "$INST/admin.key")
export SMSCAMP_API_KEY

# what tells why the formation failed a test: the states, nginx, each node's logs
ha_failure_logs() {
    local i f
    ha_states >&2 || true
    tail_nginx_logs 30
    for ((i = 1; i <= HA_NODES; i++)); do
        f=$(ls -t "$(ha_node_dir "$i")"/log/*.log 2>/dev/null | head -n1 || true)
        [[ -z "$f" ]] || tail_file "node$i postgresql" "$f" 30
        tail_file "node$i keeper" "$INST_LOG/node$i.log" 20
    done
    tail_file monitor "$INST_LOG/monitor.log" 30
}
prove_suite ha "${HA_TESTS:-t/ha}" ha_failure_logs
