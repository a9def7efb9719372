# shellcheck shell=bash
# The high-availability formation: a pg_auto_failover monitor and three smscamp data nodes
# on loopback, and nginx following the primary (make run-ha, make test-ha). Source
# scripts/lib.sh first.
#
#   <dir>/monitor/      the monitor's data directory (pg_auto_failover's own cluster)
#   <dir>/node1..3/     the data nodes' data directories: each a full smscamp cluster
#                       (extension, pg_cron, workers); one primary, two standbys
#   <dir>/autoctl/      pg_autoctl's configuration, state and pid files (its XDG dirs)
#   <dir>/run/ log/ nginx/   as an instance's (scripts/lib.sh); the keepers' logs in log/
#
# Ports follow the base port P (SMSCAMP_PG_PORT): the monitor on P+10, node i on P+10+i.
# Replication: every node has replication-quorum true and the formation
# number-sync-standbys 1, so a commit is on a standby before it returns, and losing one of
# the two standbys does not stop writes. The workers check, before each provider call,
# that a standby has flushed the lead's "sending" mark (smscamp.durable_marks = on).
#
# Usage: ha_setup DIR HTTP_PORT BASE_PORT WORKERS, then ha_start / ha_stop, ha_state.

HA_NODES=3
AUTOCTL="${AUTOCTL:-/usr/bin/pg_autoctl}"

# ha_setup DIR HTTP_PORT BASE_PORT WORKERS: the globals (an instance's, plus the formation's).
ha_setup() {
    local base=$3 i
    [[ "$base" =~ ^[0-9]+$ ]] || die "PostgreSQL port '$base' is not a number"
    instance_setup "$1" "$2" "$((base + 11))" "$4"
    HA_BASE_PORT=$base
    HA_MONITOR_PORT=$((base + 10))
    HA_PORTS=()
    for ((i = 1; i <= HA_NODES; i++)); do HA_PORTS+=("$((base + 10 + i))"); done
    HA_AUTOCTL="$INST/autoctl"
    HA_MONITOR_DIR="$INST/monitor"
    # pg_autoctl's environment: the formation's own XDG dirs, our PostgreSQL first
    HA_AUTOCTL_ENV=(env XDG_CONFIG_HOME="$HA_AUTOCTL/config" XDG_DATA_HOME="$HA_AUTOCTL/share"
                    XDG_RUNTIME_DIR="$HA_AUTOCTL/run" PG_CONFIG="$PGBIN/pg_config" PATH="$PGBIN:$PATH")
    # the monitor's timeouts: a dead primary is noticed and replaced within seconds
    HA_MONITOR_SETTINGS=(
        "pgautofailover.health_check_period = 1000"
        "pgautofailover.health_check_timeout = 1000"
        "pgautofailover.health_check_max_retries = 1"
        "pgautofailover.health_check_retry_delay = 500"
        "pgautofailover.node_considered_unhealthy_timeout = 3000"
        "pgautofailover.startup_grace_period = 3000"
        "pgautofailover.primary_demote_timeout = 10000"
    )
}

ha_node_dir() { printf '%s/node%s' "$INST" "$1"; }

# autoctl ARGS...: pg_autoctl as the clusters' OS user, with the formation's own XDG dirs
autoctl() { as_pg "${HA_AUTOCTL_ENV[@]}" "$AUTOCTL" "$@"; }

# autoctl_detached ARGS...: the same in a session of its own, in the background: a Ctrl-C
# of make run-ha reaches our shell, which stops the keepers in order
autoctl_detached() {
    local user=()
    [[ $EUID -ne 0 ]] || user=(runuser -u "$PG_OS_USER" --)
    (cd / && exec setsid "${user[@]}" "${HA_AUTOCTL_ENV[@]}" "$AUTOCTL" "$@") &
}

# psql_at PORT ARGS...: our psql, as the superuser, on 127.0.0.1:PORT
psql_at() {
    local port=$1
    shift
    PGOPTIONS="${PGOPTIONS:-} -c client_min_messages=warning" \
        "$PGBIN/psql" -X -q -h 127.0.0.1 -p "$port" -U "$DB_SUPERUSER" "$@"
}

monitor_sql() { psql_at "$HA_MONITOR_PORT" -d pg_auto_failover -tA -c "$1"; }

# keeper_pid DIR: the pid of the pg_autoctl service of a data directory, if it runs
keeper_pid() {
    local f="$HA_AUTOCTL/run/pg_autoctl$1/pg_autoctl.pid" pid
    [[ -f "$f" ]] || return 0
    pid=$(head -n1 "$f" | tr -dc '0-9')
    [[ -n "$pid" ]] && grep -qa pg_autoctl "/proc/$pid/cmdline" 2>/dev/null && printf '%s' "$pid"
    return 0
}

ha_dirs() {
    mkdir -p "$INST_RUN" "$INST_LOG" "$INST_NGINX" "$HA_AUTOCTL"/{config,share,run}
    chmod 755 "$INST" "$INST_RUN" "$INST_LOG" "$INST_NGINX"
    if [[ $EUID -eq 0 ]]; then
        id "$PG_OS_USER" >/dev/null 2>&1 || die "OS user '$PG_OS_USER' missing (run: make deps)"
        # pg_autoctl creates the data directories here
        chown "$PG_OS_USER:" "$INST" "$INST_RUN" "$INST_LOG"
        chown -R "$PG_OS_USER:" "$HA_AUTOCTL"
        can_user "$PG_OS_USER" -w "$INST_RUN" ||
            die "the '$PG_OS_USER' user cannot reach $INST_RUN: every directory above it must be searchable by others (chmod o+x)"
    fi
    [[ -x "$AUTOCTL" ]] || die "$AUTOCTL not found (postgresql-$PG_MAJOR-auto-failover; run: make deps)"
}

ha_ports_check() {
    local p
    for p in "$HTTP_PORT" "$HA_MONITOR_PORT" "${HA_PORTS[@]}"; do
        port_free "$p" && continue
        warn "port $p is already in use:"
        describe_port "$p"
        die "stop that, or choose another base port, e.g. SMSCAMP_PG_PORT=$((HA_MONITOR_PORT + 10))"
    done
}

# keeper_run DIR NAME: start the pg_autoctl service of DIR in the background, in a session of
# its own (its log: log/NAME.log); it starts, watches and restarts the node's PostgreSQL.
keeper_run() {
    local dir=$1 name=$2 i
    [[ -z "$(keeper_pid "$dir")" ]] || return 0
    autoctl_detached run --pgdata "$dir" </dev/null >>"$INST_LOG/$name.log" 2>&1
    for ((i = 0; i < 100; i++)); do
        [[ -n "$(keeper_pid "$dir")" ]] && return 0
        sleep 0.1
    done
    tail_file "$name.log" "$INST_LOG/$name.log"
    die "pg_autoctl did not start for $dir"
}

# wait_port PORT SECONDS: until a PostgreSQL answers there
wait_port() {
    local deadline=$((SECONDS + $2))
    until "$PGBIN/pg_isready" -q -h 127.0.0.1 -p "$1"; do
        ((SECONDS < deadline)) || return 1
        sleep 0.2
    done
}

ha_monitor_start() {
    if [[ ! -f "$HA_MONITOR_DIR/PG_VERSION" ]]; then
        section "pg_auto_failover monitor on port $HA_MONITOR_PORT"
        autoctl create monitor --pgdata "$HA_MONITOR_DIR" --pgport "$HA_MONITOR_PORT" \
            --hostname 127.0.0.1 --auth trust --no-ssl >>"$INST_LOG/monitor.log" 2>&1 || {
            tail_file monitor.log "$INST_LOG/monitor.log"; die "creating the monitor failed"; }
        printf '\n# smscamp (scripts/ha-lib.sh): fail over within seconds\n%s\n' \
            "$(printf '%s\n' "${HA_MONITOR_SETTINGS[@]}")" >>"$HA_MONITOR_DIR/postgresql.conf"
    fi
    keeper_run "$HA_MONITOR_DIR" monitor
    wait_port "$HA_MONITOR_PORT" 30 || { tail_file monitor.log "$INST_LOG/monitor.log"; die "the monitor did not start"; }
}

# ha_throwaway KIND NGINX_WORKERS: a formation of this script's own, build/KIND-<pid>, on
# spare ports (make test-ha, make bench-ha), after stopping and wiping those of KIND whose
# script is gone (interrupted runs); set up, not started (ha_start)
ha_throwaway() {
    local kind=$1 workers=$2 d pid base http
    for d in "$ROOT"/build/"$kind"-*/; do
        [[ -d "$d" ]] || continue
        d=${d%/}
        pid=${d##*/"$kind"-}
        if [[ "$pid" =~ ^[0-9]+$ ]] && kill -0 "$pid" 2>/dev/null; then continue; fi
        (ha_setup "$d" 0 20000 1 && ha_stop) >/dev/null 2>&1 || true
        rm -rf "$d"
    done
    base=$(ha_pick_base) || die "no free ports for a formation"
    http=$(free_ports 1)
    ha_setup "$ROOT/build/$kind-$$" "$http" "$base" "$workers"
    mkdir -p "$INST_LOG"
}

# ha_pick_base: a base port whose +10..+13 are free
ha_pick_base() {
    local b i p ok
    for ((i = 0; i < 200; i++)); do
        b=$((20000 + RANDOM % 20000))
        ok=1
        for p in $((b + 10)) $((b + 11)) $((b + 12)) $((b + 13)); do port_free "$p" || ok=0; done
        ((ok)) && { echo "$b"; return 0; }
    done
    return 1
}

# ha_write_conf DIR: a data node's smscamp settings (every start; a new standby's copy comes
# from the primary's base backup, and is rewritten here too)
ha_write_conf() {
    local dir=$1
    {
        printf '# Generated by scripts/ha-lib.sh on every start: edit the script, not this file.\n'
        printf '# pg_auto_failover sets the port, listen_addresses and replication (postgresql-auto-failover.conf).\n'
        printf "unix_socket_directories = '/var/run/postgresql, %s'\n" "$INST_RUN"
        pg_settings
        printf "shared_preload_libraries = 'pg_stat_statements,pg_cron,smscamp'\n"
        printf 'shared_buffers = 128MB\n'
        # pg_cron runs its jobs in background workers: a job keeps the port of the node
        # that scheduled it (cron.job.nodeport), and the nodes of a formation on one
        # machine have different ports, so a connection would go to the old primary
        printf 'cron.use_background_workers = on\nmax_worker_processes = 16\n'
        printf 'smscamp.durable_marks = on   # a sending mark is on a standby before the provider call\n'
        # a standby reconnects within half a second of its primary's restart
        printf 'wal_receiver_status_interval = 1s\nwal_retrieve_retry_interval = 500ms\n'
        # more settings for every node (make test-ha: the fake providers)
        [[ -z "${HA_EXTRA_CONF:-}" ]] || printf '%s\n' "$HA_EXTRA_CONF"
    } >"$dir/smscamp.conf"
    grep -qx "include 'smscamp.conf'" "$dir/postgresql.conf" ||
        printf "\n# smscamp: generated settings (scripts/ha-lib.sh)\ninclude 'smscamp.conf'\n" >>"$dir/postgresql.conf"
    chown "$PG_OS_USER:" "$dir/smscamp.conf" "$dir/postgresql.conf" 2>/dev/null || true
}

# ha_node_create I: a new data node, the first one an empty primary (initdb, database
# smscamp), the next ones standbys of it (base backup)
ha_node_create() {
    local i=$1 dir
    dir=$(ha_node_dir "$i")
    [[ -f "$dir/PG_VERSION" ]] && return 0
    info "creating node$i on port ${HA_PORTS[i - 1]}"
    autoctl create postgres --pgdata "$dir" --pgport "${HA_PORTS[i - 1]}" --hostname 127.0.0.1 \
        --listen 127.0.0.1 --auth trust --no-ssl --name "node$i" --dbname "$DB_NAME" \
        --monitor "postgres://autoctl_node@127.0.0.1:$HA_MONITOR_PORT/pg_auto_failover?sslmode=disable" \
        --replication-quorum true --candidate-priority 50 >>"$INST_LOG/node$i.log" 2>&1 &
    local pid=$! rc=0
    # a standby's base backup starts with a spread checkpoint (minutes): ask the primary
    # for an immediate one meanwhile
    while kill -0 "$pid" 2>/dev/null; do
        sleep 1
        ((i == 1)) || psql_su -d postgres -c CHECKPOINT >/dev/null 2>&1 || true
    done
    wait "$pid" || rc=$?
    ((rc == 0)) || { tail_file "node$i.log" "$INST_LOG/node$i.log"; die "creating node$i failed"; }
}

# ha_node_start I
ha_node_start() {
    local dir
    dir=$(ha_node_dir "$1")
    ha_node_create "$1"
    ha_write_conf "$dir"
    keeper_run "$dir" "node$1"
}

# ha_states: "name reported assigned" per node, from the monitor
ha_states() { monitor_sql "SELECT nodename, reportedstate, goalstate FROM pgautofailover.node ORDER BY nodeid" | tr '|' ' '; }

# ha_primary_port: the port of the node the monitor has as primary (reported and assigned)
ha_primary_port() {
    monitor_sql "SELECT nodeport FROM pgautofailover.node
                  WHERE reportedstate IN ('single', 'primary', 'wait_primary')
                    AND goalstate = reportedstate ORDER BY nodeid LIMIT 1"
}

# ha_wait_state SECONDS STATE...: until every node reports (and is assigned) one of STATEs
ha_wait_state() {
    local deadline=$((SECONDS + $1)) want
    shift
    want=$(printf "'%s'," "$@")
    while ((SECONDS < deadline)); do
        [[ "$(monitor_sql "SELECT count(*) FROM pgautofailover.node
                            WHERE reportedstate <> goalstate OR reportedstate NOT IN (${want%,})")" == 0 ]] && return 0
        sleep 0.5
    done
    ha_states >&2
    return 1
}

# ha_dsn: the formation's URI for nginx: every node, the writable one wanted
ha_dsn() {
    local hosts= p
    for p in "${HA_PORTS[@]}"; do hosts+="127.0.0.1:$p,"; done
    printf 'postgresql://%s/%s?target_session_attrs=read-write&user=smscamp_api&application_name=smscamp-nginx' \
        "${hosts%,}" "$DB_NAME"
}

# ha_start: the monitor, the nodes (created the first time), the SQL on the primary, nginx
ha_start() {
    local i n=0 existing=0
    ha_dirs
    for ((i = 1; i <= HA_NODES; i++)); do [[ -n "$(keeper_pid "$(ha_node_dir "$i")")" ]] && n=$((n + 1)); done
    [[ -z "$(keeper_pid "$HA_MONITOR_DIR")" ]] && ((n == 0)) || die "the formation in ${INST#"$ROOT"/}/ is already running (make ha-state shows it; make stop stops it)"
    ha_ports_check
    ha_monitor_start
    section "data nodes on ports ${HA_PORTS[*]}"
    [[ -f "$(ha_node_dir 1)/PG_VERSION" ]] && existing=1
    if ((existing)); then
        # a formation that exists: every node first (a commit on its primary waits for a
        # synchronous standby), then the SQL on whichever node is the primary now
        for ((i = 1; i <= HA_NODES; i++)); do ha_node_start "$i"; done
    else
        # a new one: node1 alone (single) gets the SQL, the others are its base backups
        ha_node_start 1
        ha_wait_state 60 single primary wait_primary secondary || die "node1 did not come up"
        PG_PORT=$(ha_primary_port)
        wait_port "$PG_PORT" 30 || die "the primary (port $PG_PORT) does not answer"
        db_load
        for ((i = 2; i <= HA_NODES; i++)); do ha_node_start "$i"; done
        autoctl set formation number-sync-standbys 1 --pgdata "$(ha_node_dir 1)" >>"$INST_LOG/node1.log" 2>&1 || true
    fi
    ha_wait_state 120 primary secondary || die "the formation did not settle (one primary, $((HA_NODES - 1)) secondaries)"
    PG_PORT=$(ha_primary_port)
    if ((existing)); then db_load; fi
    # The superuser's own commits (pg_cron's launcher and jobs, make psql, db_load) do not
    # wait for a standby: pg_cron's launcher stops on SIGTERM only between transactions,
    # so one waiting in a commit for a standby that is gone (make stop stops the standbys
    # first) kept the primary from shutting down. The API's writes (smscamp_api) wait.
    psql_su -d "$DB_NAME" -qc "ALTER ROLE $DB_SUPERUSER IN DATABASE $DB_NAME SET synchronous_commit = local" ||
        die "could not set the superuser's synchronous_commit"
    SMSCAMP_PG_DSN=$(ha_dsn)
    export SMSCAMP_PG_DSN
    nginx_render
    nginx_start
    wait_health
}

# ha_stop: nginx, then each node's keeper (it stops its PostgreSQL), the standbys before the
# primary (a primary stopped first would be failed over), then the monitor
ha_stop() {
    local d pid i primary
    nginx_stop
    local dirs=()
    primary=$(ha_primary_port 2>/dev/null || true)
    for ((i = HA_NODES; i >= 1; i--)); do
        [[ "${HA_PORTS[i - 1]}" == "$primary" ]] || dirs+=("$(ha_node_dir "$i")")
    done
    for ((i = HA_NODES; i >= 1; i--)); do
        [[ "${HA_PORTS[i - 1]}" != "$primary" ]] || dirs+=("$(ha_node_dir "$i")")
    done
    for d in "${dirs[@]}" "$HA_MONITOR_DIR"; do
        pid=$(keeper_pid "$d")
        if [[ -n "$pid" ]]; then
            info "stopping pg_autoctl of ${d#"$INST"/} (pid $pid)"
            autoctl stop --pgdata "$d" >/dev/null 2>&1 || kill -TERM "$pid" 2>/dev/null || true
            for ((i = 0; i < 300; i++)); do
                kill -0 "$pid" 2>/dev/null || break
                sleep 0.1
            done
            kill -0 "$pid" 2>/dev/null && { warn "pg_autoctl $pid did not stop: killing it"; kill -KILL "$pid" 2>/dev/null || true; }
        fi
        # a PostgreSQL the keeper left behind (a shutdown that waits on a backend stuck
        # in a commit for a synchronous standby that is gone: immediate, then)
        if [[ -f "$d/postmaster.pid" ]]; then
            as_pg "$PGBIN/pg_ctl" -D "$d" -m fast -w -t 10 stop >/dev/null 2>&1 ||
                as_pg "$PGBIN/pg_ctl" -D "$d" -m immediate -w -t 10 stop >/dev/null 2>&1 || true
        fi
    done
}

# ha_state: what pg_autoctl show state prints
ha_state() { autoctl show state --pgdata "$HA_MONITOR_DIR"; }
