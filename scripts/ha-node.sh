#!/usr/bin/env bash
# ha-node.sh DIR BASE_PORT start I: start data node I's pg_autoctl service again (t/ha: a
# node the tests killed rejoins the formation in DIR; the keeper decides how).
# ha-node.sh DIR BASE_PORT set I ARGS...: pg_autoctl set ARGS on data node I (t/ha: the
# control case makes the formation asynchronous: "set node replication-quorum false",
# "set formation number-sync-standbys 0"), with that node's environment.
set -euo pipefail
# shellcheck source=scripts/lib.sh
source "$(dirname "$0")/lib.sh"
# shellcheck source=scripts/ha-lib.sh
source "$(dirname "$0")/ha-lib.sh"

usage() { die "usage: $0 DIR BASE_PORT start NODE | $0 DIR BASE_PORT set NODE ARGS..."; }
[[ $# -ge 4 && "$4" =~ ^[1-9]$ ]] || usage
ha_setup "$1" 0 "$2" 1
case "$3" in
start) [[ $# -eq 4 ]] || usage; keeper_run "$(ha_node_dir "$4")" "node$4" ;;
set) [[ $# -gt 4 ]] || usage; node=$4; shift 4; autoctl set "$@" --pgdata "$(ha_node_dir "$node")" ;;
*) usage ;;
esac
