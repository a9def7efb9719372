# shellcheck shell=bash
# Shared helpers for scripts/*.sh: one smscamp instance = one directory
#
#   <instance>/pg/      PostgreSQL data directory (owned by the `postgres` OS user)
#   <instance>/run/     unix socket of PostgreSQL, pid files
#   <instance>/log/     postgresql.log, nginx error/access logs
#   <instance>/nginx/   rendered nginx.conf, tls.conf (+ nginx temp dirs, created by nginx)
#   <instance>/tls/     self-signed certificate and key for HTTPS (made once, when on)
#
# PostgreSQL refuses to run as root, so when we are root it runs as `postgres`.
# Usage: source this file, call instance_setup DIR HTTP_PORT PG_PORT WORKERS, then
# instance_start / instance_stop (or the smaller functions below).
# HTTPS: SMSCAMP_HTTPS=1 adds a TLS listener on SMSCAMP_HTTPS_PORT (default 8443).

set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd -P)"

PG_MAJOR=15
PGBIN="${PGBIN:-/usr/lib/postgresql/$PG_MAJOR/bin}"
NGINX_BIN="${NGINX_BIN:-/usr/sbin/nginx}"
PG_OS_USER=postgres        # runs the cluster when we are root
DB_NAME=smscamp
DB_SUPERUSER=postgres
MODULE_SO="$ROOT/build/nginx/ngx_smscamp_module.so"
STATIC_ROOT="$ROOT/static/dist"
# The template is written with the module; SMSCAMP_NGINX_TEMPLATE overrides it (for experiments).
NGINX_TEMPLATE="${SMSCAMP_NGINX_TEMPLATE:-$ROOT/ngx_smscamp_module/nginx.conf.in}"
HEALTH_TIMEOUT="${SMSCAMP_HEALTH_TIMEOUT:-10}"   # seconds to wait for /api/health

# ---------------------------------------------------------------- messages

info() { printf '%s\n' "$*"; }
warn() { printf 'smscamp: warning: %s\n' "$*" >&2; }
die()  { printf 'smscamp: error: %s\n' "$*" >&2; exit 1; }

# A section header: loud in CI logs, a short arrow for humans.
section() {
    if [[ "${CI:-}" == "true" ]]; then
        printf '\n========== %s ==========\n' "$*"
    else
        printf '==> %s\n' "$*"
    fi
}

# tail_file TITLE FILE [LINES]: show the end of a log file, if it exists.
tail_file() {
    local title=$1 file=$2 lines=${3:-40}
    [[ -s "$file" ]] || return 0
    printf -- '----- %s (last %s lines of %s) -----\n' "$title" "$lines" "$file" >&2
    tail -n "$lines" "$file" >&2 || true
    printf -- '----- end of %s -----\n' "$title" >&2
}

# ---------------------------------------------------------------- users and ports

# as_pg CMD...: run a command as the OS user that owns the cluster.
as_pg() {
    if [[ $EUID -eq 0 ]]; then
        (cd / && runuser -u "$PG_OS_USER" -- "$@")
    else
        (cd / && "$@")
    fi
}

# can_user USER TEST PATH: `test TEST PATH` as USER (always true when not root).
can_user() {
    local user=$1 op=$2 path=$3
    [[ $EUID -ne 0 ]] && return 0
    (cd / && runuser -u "$user" -- test "$op" "$path")
}

# port_free PORT: true if 127.0.0.1:PORT can be bound (SO_REUSEADDR, as nginx and PG do).
port_free() {
    perl -MIO::Socket::INET -e '
        my $s = IO::Socket::INET->new(LocalAddr => "127.0.0.1", LocalPort => $ARGV[0],
                                      Proto => "tcp", ReuseAddr => 1, Listen => 1);
        exit($s ? 0 : 1);' "$1"
}

# free_ports N: print N distinct free TCP ports from 20000-40000, one per line.
free_ports() {
    perl -MIO::Socket::INET -e '
        my ($n, @held, %seen) = ($ARGV[0]);
        for (1 .. 1000) {
            last if @held >= $n;
            my $p = 20000 + int(rand(20000));
            next if $seen{$p}++;
            my $s = IO::Socket::INET->new(LocalAddr => "127.0.0.1", LocalPort => $p,
                                          Proto => "tcp", ReuseAddr => 1, Listen => 1) or next;
            push @held, [$p, $s];
        }
        die "no free ports found\n" if @held < $n;
        print "$_->[0]\n" for @held;' "$1"
}

# describe_port PORT: who listens there, and whether it is an smscamp instance
# (best effort: needs `ss` from iproute2).
describe_port() {
    command -v ss >/dev/null 2>&1 || return 0
    local out pid cmd dir=
    out=$(ss -Hltnp "sport = :$1" 2>/dev/null) || return 0
    printf '    %s\n' "$out" >&2
    for pid in $(grep -o 'pid=[0-9]*' <<<"$out" | cut -d= -f2 | sort -u | tr '\n' ' '); do
        cmd=$(tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null) || continue
        if [[ "$cmd" =~ -p\ (/[^ ]*)/nginx/?\  ]] || [[ "$cmd" =~ -D\ (/[^ ]*)/pg( |$) ]]; then
            dir=${BASH_REMATCH[1]}
            break
        fi
    done
    [[ -n "$dir" ]] || return 0
    printf '    that is an earlier smscamp instance in %s: stop it with %s/scripts/stop.sh %s\n' \
        "$dir" "$ROOT" "$dir" >&2
}

# ports_check: fail early, before starting anything, when a port is taken.
ports_check() {
    local name port
    local names=(HTTP PG)
    ((HTTPS)) && names+=(HTTPS)
    for name in "${names[@]}"; do
        case $name in HTTP) port=$HTTP_PORT ;; PG) port=$PG_PORT ;; HTTPS) port=$HTTPS_PORT ;; esac
        port_free "$port" && continue
        warn "port $port ($name) is already in use:"
        describe_port "$port"
        die "stop that, or choose another port, e.g. SMSCAMP_${name}_PORT=$((port + 1))"
    done
}

# ---------------------------------------------------------------- instance layout

# instance_setup DIR HTTP_PORT PG_PORT WORKERS: set the globals the other functions use.
instance_setup() {
    INST=$1 HTTP_PORT=$2 PG_PORT=$3 WORKERS=$4
    INST="$(realpath -m "$INST")"
    INST_PG="$INST/pg"
    INST_RUN="$INST/run"
    INST_LOG="$INST/log"
    INST_NGINX="$INST/nginx"
    NGINX_CONF="$INST_NGINX/nginx.conf"
    PG_LOG="$INST_LOG/postgresql.log"
    [[ "$HTTP_PORT" =~ ^[0-9]+$ ]] || die "HTTP port '$HTTP_PORT' is not a number"
    [[ "$PG_PORT" =~ ^[0-9]+$ ]] || die "PostgreSQL port '$PG_PORT' is not a number"
    # HTTPS (optional): SMSCAMP_HTTPS=1 (or on/true/yes), port SMSCAMP_HTTPS_PORT
    INST_TLS="$INST/tls"
    HTTPS_PORT="${SMSCAMP_HTTPS_PORT:-8443}"
    case "${SMSCAMP_HTTPS:-0}" in
        1 | on | true | yes) HTTPS=1 ;;
        0 | off | false | no | '') HTTPS=0 ;;
        *) die "SMSCAMP_HTTPS='$SMSCAMP_HTTPS': use 1 (HTTPS on) or 0" ;;
    esac
    [[ "$HTTPS_PORT" =~ ^[0-9]+$ ]] || die "HTTPS port '$HTTPS_PORT' is not a number"
    ((!HTTPS)) || [[ "$HTTPS_PORT" != "$HTTP_PORT" ]] || die "SMSCAMP_HTTPS_PORT must differ from the HTTP port ($HTTP_PORT)"
    local sock="$INST_RUN/.s.PGSQL.$PG_PORT"
    (( ${#sock} < 100 )) || die "path too long for a unix socket: $sock (move the checkout to a shorter path)"
}

# instance_dirs: create the directories with the owners PostgreSQL and nginx need.
instance_dirs() {
    mkdir -p "$INST_PG" "$INST_RUN" "$INST_LOG" "$INST_NGINX"
    chmod 755 "$INST" "$INST_RUN" "$INST_LOG" "$INST_NGINX"
    chmod 700 "$INST_PG"
    if [[ $EUID -eq 0 ]]; then
        id "$PG_OS_USER" >/dev/null 2>&1 || die "OS user '$PG_OS_USER' missing (is postgresql-$PG_MAJOR installed? run: make deps)"
        chown "$PG_OS_USER:" "$INST_PG" "$INST_RUN" "$INST_LOG"
        can_user "$PG_OS_USER" -w "$INST_RUN" ||
            die "the '$PG_OS_USER' user cannot reach $INST_RUN: every directory above it must be searchable by others (chmod o+x), or move the checkout (e.g. under /srv or /tmp)"
    fi
}

# ---------------------------------------------------------------- PostgreSQL

pg_socket() { printf '%s/.s.PGSQL.%s' "$INST_RUN" "$PG_PORT"; }

# Our psql, as the superuser, on the instance's unix socket; NOTICEs silenced.
psql_su() {
    PGOPTIONS="${PGOPTIONS:-} -c client_min_messages=warning" \
        "$PGBIN/psql" -X -q -h "$INST_RUN" -p "$PG_PORT" -U "$DB_SUPERUSER" "$@"
}

pg_running() {
    [[ -f "$INST_PG/PG_VERSION" ]] || return 1
    as_pg "$PGBIN/pg_ctl" -D "$INST_PG" status >/dev/null 2>&1
}

pg_pid() { head -n1 "$INST_PG/postmaster.pid" 2>/dev/null || true; }

# The port a running cluster listens on (line 4 of postmaster.pid).
pg_running_port() { sed -n 4p "$INST_PG/postmaster.pid" 2>/dev/null || true; }

pg_init() {
    [[ -f "$INST_PG/PG_VERSION" ]] && return 0
    section "initdb $INST_PG"
    as_pg "$PGBIN/initdb" -D "$INST_PG" -U "$DB_SUPERUSER" --auth=trust -E UTF8 \
        --locale=C.UTF-8 >"$INST_LOG/initdb.log" 2>&1 || {
        tail_file initdb "$INST_LOG/initdb.log"; die "initdb failed"; }
    # Create the database now, in single-user mode, so that pg_cron (preloaded,
    # cron.database_name = smscamp) finds it at the first start.
    echo "CREATE DATABASE $DB_NAME" |
        as_pg "$PGBIN/postgres" --single -D "$INST_PG" postgres >>"$INST_LOG/initdb.log" 2>&1 || {
        tail_file initdb "$INST_LOG/initdb.log"; die "creating database $DB_NAME failed"; }
    # Our settings live in smscamp.conf (rewritten on every start); anything appended
    # below this line in postgresql.conf, or set with ALTER SYSTEM, overrides them.
    printf "\n# smscamp: generated settings (scripts/lib.sh)\ninclude 'smscamp.conf'\n" \
        >>"$INST_PG/postgresql.conf"
}

# pg_settings: the server settings every smscamp cluster has, one node or a formation's
# (scripts/ha-lib.sh adds its own; the port and sockets are each cluster's).
pg_settings() {
    cat <<EOF
shared_preload_libraries = 'pg_cron,smscamp'
cron.database_name = '$DB_NAME'
max_connections = 200
shared_buffers = 256MB
log_line_prefix = '%m [%p] %q%u@%d '
log_timezone = 'UTC'
EOF
}

# pg_write_conf: settings and access rules, regenerated on every start.
pg_write_conf() {
    {
        printf '# Generated by scripts/lib.sh on every start: edit the script, not this file.\n'
        printf "port = %s\nlisten_addresses = '127.0.0.1'\nunix_socket_directories = '%s'\n" "$PG_PORT" "$INST_RUN"
        printf 'logging_collector = off          # pg_ctl -l writes %s\n' "$PG_LOG"
        pg_settings
    } >"$INST_PG/smscamp.conf"
    # A loopback development instance: every local connection is trusted.
    # Nothing listens beyond 127.0.0.1 (see README, Security).
    cat >"$INST_PG/pg_hba.conf" <<'EOF'
# Generated by scripts/lib.sh on every start.
# TYPE  DATABASE  USER  ADDRESS        METHOD
local   all       all                  trust
host    all       all   127.0.0.1/32   trust
EOF
    chown "$PG_OS_USER:" "$INST_PG/smscamp.conf" "$INST_PG/pg_hba.conf" 2>/dev/null || true
}

pg_start() {
    if pg_running; then
        die "PostgreSQL of this instance ($INST_PG) is already running (pid $(pg_pid), port $(pg_running_port)): an earlier run was not stopped. Stop it first (make stop)."
    fi
    pg_write_conf
    section "PostgreSQL on port $PG_PORT (log: $PG_LOG)"
    if ! as_pg "$PGBIN/pg_ctl" -D "$INST_PG" -l "$PG_LOG" -w -t 60 start >/dev/null; then
        tail_file postgresql.log "$PG_LOG"
        die "PostgreSQL did not start"
    fi
}

pg_stop() {
    [[ -f "$INST_PG/PG_VERSION" ]] || return 0
    pg_running || return 0
    info "stopping PostgreSQL (pid $(pg_pid))"
    as_pg "$PGBIN/pg_ctl" -D "$INST_PG" -m fast -w -t 60 stop >/dev/null ||
        as_pg "$PGBIN/pg_ctl" -D "$INST_PG" -m immediate -w -t 30 stop >/dev/null ||
        warn "could not stop PostgreSQL in $INST_PG"
}

db_create() {
    local exists
    exists=$(psql_su -d postgres -tA -c "SELECT 1 FROM pg_database WHERE datname = '$DB_NAME'")
    [[ "$exists" == 1 ]] && return 0
    info "creating database $DB_NAME"
    psql_su -d postgres -v ON_ERROR_STOP=1 -c "CREATE DATABASE $DB_NAME"
}

# db_load [DATABASE]: extensions, schema, API functions, in the order sql/README.md gives,
# into DATABASE (default $DB_NAME; t/http/95-upgrade.t loads databases of its own with it).
# Every file is idempotent, so this runs on every start without losing data.
db_load() {
    local db=${1:-$DB_NAME}
    # pg_cron lives only in its own database (cron.database_name = $DB_NAME): elsewhere
    # it is left out, and the files' cron guards skip their jobs
    local cron=(-c 'CREATE EXTENSION IF NOT EXISTS pg_cron')
    [[ "$db" == "$DB_NAME" ]] || cron=()
    section "loading SQL into $db"
    psql_su -d "$db" -v ON_ERROR_STOP=1 \
        -c 'CREATE EXTENSION IF NOT EXISTS smscamp' \
        -c 'ALTER EXTENSION smscamp UPDATE' \
        "${cron[@]}" || die "could not create the extensions"
    local files=() f
    [[ -f "$ROOT/sql/schema.sql" ]] || die "sql/schema.sql not found"
    # the tables, then the functions in the order they use each other (sql/README.md),
    # then the API: sql/api/*.sql in name order
    for f in schema helpers senders calls workflow campaign_rules campaign_stats campaign_progress \
             campaign_lifecycle messages outbound callbacks keywords reply_agent jobs; do
        [[ -f "$ROOT/sql/$f.sql" ]] || die "sql/$f.sql not found"
        files+=("$ROOT/sql/$f.sql")
    done
    local api=()
    mapfile -t api < <(find "$ROOT/sql/api" -maxdepth 1 -name '*.sql' -type f 2>/dev/null | LC_ALL=C sort)
    files+=("${api[@]}")
    for f in "${files[@]}"; do
        info "  ${f#"$ROOT"/}"
        psql_su -d "$db" -v ON_ERROR_STOP=1 -1 -f "$f" || die "loading ${f#"$ROOT"/} failed"
    done
}

# ---------------------------------------------------------------- nginx

# pg_dsn: how nginx reaches the database: the instance's socket, or SMSCAMP_PG_DSN when set
# (a formation's multi-host URI, scripts/ha-lib.sh).
pg_dsn() {
    printf '%s' "${SMSCAMP_PG_DSN:-host=$INST_RUN port=$PG_PORT dbname=$DB_NAME user=smscamp_api application_name=smscamp-nginx}"
}

sed_escape() { printf '%s' "$1" | sed -e 's/[\\|&]/\\&/g'; }

# render_template TEMPLATE OUT: fill in the @NAME@ placeholders.
render_template() {
    local tpl=$1 out=$2 s=() k v
    local -A vals=(
        [ROOT]="$ROOT" [INSTANCE]="$INST" [HTTP_PORT]="$HTTP_PORT" [PG_PORT]="$PG_PORT"
        [PG_SOCKET_DIR]="$INST_RUN" [MODULE]="$MODULE_SO" [WORKERS]="$WORKERS"
        [STATIC_ROOT]="$STATIC_ROOT" [AUTH]="${SMSCAMP_AUTH:-on}"
        [HTTPS_PORT]="$HTTPS_PORT" [TLS_DIR]="$INST_TLS" [PG_DSN]="$(pg_dsn)"
    )
    for k in "${!vals[@]}"; do
        v=$(sed_escape "${vals[$k]}")
        s+=(-e "s|@$k@|$v|g")
    done
    sed "${s[@]}" "$tpl" >"$out.tmp"
    local left
    left=$(grep -v '^[[:space:]]*#' "$out.tmp" | grep -o '@[A-Z_][A-Z_]*@' | sort -u | tr '\n' ' ' || true)
    [[ -z "$left" ]] || { rm -f "$out.tmp"; die "unknown placeholders in ${tpl#"$ROOT"/}: $left"; }
    mv "$out.tmp" "$out"
}

# tls_cert_ensure: a self-signed certificate for localhost, 127.0.0.1 and ::1 in
# <instance>/tls/ (key mode 600), made once and kept; made again only when it is missing,
# unreadable or expires within a day. Browsers warn about it: it is for local use.
tls_cert_ensure() {
    local key="$INST_TLS/key.pem" cert="$INST_TLS/cert.pem"
    mkdir -p "$INST_TLS"
    chmod 700 "$INST_TLS"
    if [[ -s "$key" && -s "$cert" ]] && openssl x509 -in "$cert" -noout -checkend 86400 >/dev/null 2>&1; then
        chmod 600 "$key"
        return 0
    fi
    command -v openssl >/dev/null 2>&1 || die "openssl not found: it makes the HTTPS certificate (apt-get install openssl)"
    info "making a self-signed certificate for localhost in ${INST_TLS#"$ROOT"/}/"
    rm -f "$key" "$cert"
    (umask 077 && openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes \
        -sha256 -days 825 -subj "/CN=localhost/O=smscamp (self-signed, local use)" \
        -addext "subjectAltName=DNS:localhost,IP:127.0.0.1,IP:::1" \
        -addext "extendedKeyUsage=serverAuth" \
        -keyout "$key" -out "$cert" >"$INST_LOG/openssl.log" 2>&1) || {
        tail_file openssl.log "$INST_LOG/openssl.log"; die "could not make the HTTPS certificate"; }
    chmod 600 "$key"
    chmod 644 "$cert"
}

# tls_render: <instance>/nginx/tls.conf, included by the server block: the TLS listener
# (ngx_smscamp_module/tls.conf.in) when HTTPS is on, else only a comment.
tls_render() {
    local out="$INST_NGINX/tls.conf"
    if ((HTTPS)); then
        tls_cert_ensure
        render_template "$ROOT/ngx_smscamp_module/tls.conf.in" "$out"
    else
        printf '# HTTPS is off (SMSCAMP_HTTPS=1 turns it on): see ngx_smscamp_module/tls.conf.in\n' >"$out"
    fi
}

# site_render: <instance>/nginx/site.conf, the settings an instance takes from the
# environment: SMSCAMP_RATE_LIMIT (on|off, default on), SMSCAMP_CORS_ORIGINS (origins
# allowed to call the API from a browser, space-separated, default none) and
# SMSCAMP_PUBLIC_URL (the scheme and host the SMS provider calls, for webhook signatures).
site_render() {
    local out="$INST_NGINX/site.conf" rate=${SMSCAMP_RATE_LIMIT:-on}
    local cors=${SMSCAMP_CORS_ORIGINS:-} url=${SMSCAMP_PUBLIC_URL:-}
    [[ "$rate" == on || "$rate" == off ]] || die "SMSCAMP_RATE_LIMIT must be on or off"
    [[ "$cors" =~ ^[A-Za-z0-9:/.\ -]*$ ]] || die "SMSCAMP_CORS_ORIGINS: origins like https://app.example.com, space-separated"
    [[ "$url" =~ ^(https?://[A-Za-z0-9:/._~%-]+)?$ ]] || die "SMSCAMP_PUBLIC_URL: a URL like https://sms.example.com"
    {
        printf '# rendered by scripts/lib.sh from the environment\n'
        printf 'smscamp_rate_limit %s;\n' "$rate"
        [[ -z "${cors// /}" ]] || printf 'smscamp_cors_origins %s;\n' "$cors"
        [[ -z "$url" ]] || printf 'smscamp_public_url %s;\n' "$url"
    } >"$out"
}

nginx_render() {
    [[ -f "$NGINX_TEMPLATE" ]] || die "nginx template $NGINX_TEMPLATE not found"
    [[ -f "$MODULE_SO" ]] || die "$MODULE_SO not built (run: make)"
    tls_render
    site_render
    render_template "$NGINX_TEMPLATE" "$NGINX_CONF"
    if ((HTTPS)) && ! grep -qF "$INST_NGINX/tls.conf" "$NGINX_CONF"; then
        warn "HTTPS is on but ${NGINX_TEMPLATE#"$ROOT"/} does not include $INST_NGINX/tls.conf: no TLS listener"
    fi
}

# nginx_conf_paths DIRECTIVE: the file arguments of a directive in the rendered config
# (e.g. pid, error_log), made absolute against the nginx prefix.
nginx_conf_paths() {
    [[ -f "$NGINX_CONF" ]] || return 0
    local p
    sed -n -E "s/^[[:space:]]*$1[[:space:]]+([^[:space:];]+).*/\1/p" "$NGINX_CONF" |
        while read -r p; do
            [[ "$p" == stderr || "$p" == syslog:* || "$p" == off ]] && continue
            [[ "$p" == /* ]] || p="$INST_NGINX/$p"
            printf '%s\n' "$p"
        done
}

nginx_pid_file() {
    local f
    f=$(nginx_conf_paths pid | head -n1)
    printf '%s' "${f:-$INST_RUN/nginx.pid}"
}

# nginx_pid: pid of this instance's nginx master if it is alive, else nothing.
nginx_pid() {
    local f pid
    f=$(nginx_pid_file)
    [[ -f "$f" ]] || return 0
    pid=$(tr -dc '0-9' <"$f")
    [[ -n "$pid" ]] && grep -qa nginx "/proc/$pid/cmdline" 2>/dev/null && printf '%s' "$pid"
    return 0
}

nginx_error_logs() {
    { nginx_conf_paths error_log; ls "$INST_LOG"/*error*.log 2>/dev/null; } | sort -u
}

tail_nginx_logs() {
    local f
    for f in $(nginx_error_logs); do tail_file "nginx $(basename "$f")" "$f" "${1:-40}"; done
}

nginx_start() {
    local pid
    pid=$(nginx_pid)
    [[ -z "$pid" ]] || die "nginx of this instance is already running (pid $pid): an earlier run was not stopped. Stop it first (make stop)."
    if [[ $EUID -eq 0 ]] && ! can_user www-data -r "$STATIC_ROOT/index.html"; then
        warn "www-data cannot read $STATIC_ROOT: the web UI will answer 403 (make the checkout's parent directories world-searchable)"
    fi
    local also=
    if ((HTTPS)); then also=" and $(https_url)"; fi
    section "nginx on http://127.0.0.1:$HTTP_PORT$also (workers: $WORKERS)"
    if ! "$NGINX_BIN" -p "$INST_NGINX/" -c "$NGINX_CONF"; then
        tail_nginx_logs 40
        die "nginx did not start (config: $NGINX_CONF)"
    fi
}

nginx_stop() {
    local pid i
    pid=$(nginx_pid)
    [[ -n "$pid" ]] || return 0
    info "stopping nginx (pid $pid)"
    kill -TERM "$pid" 2>/dev/null || return 0
    for ((i = 0; i < 100; i++)); do
        kill -0 "$pid" 2>/dev/null || return 0
        sleep 0.1
    done
    warn "nginx (pid $pid) did not stop in 10 s: killing it"
    kill -KILL "$pid" 2>/dev/null || true
}

health_url() { printf 'http://127.0.0.1:%s/api/health' "$HTTP_PORT"; }

# https_url: the HTTPS base URL (with a trailing slash) when HTTPS is on, else nothing.
https_url() { if ((HTTPS)); then printf 'https://127.0.0.1:%s/' "$HTTPS_PORT"; fi; }

wait_health() {
    local url deadline up=0
    url=$(health_url)
    deadline=$((SECONDS + HEALTH_TIMEOUT))
    while ((SECONDS < deadline)); do
        curl -fsS -o /dev/null --max-time 2 "$url" 2>/dev/null && { up=1; break; }
        sleep 0.2
    done
    if ((!up)); then
        curl -sS --max-time 2 -i "$url" >&2 || true
        tail_nginx_logs 40
        tail_file postgresql.log "$PG_LOG" 20
        die "$url did not answer within ${HEALTH_TIMEOUT}s"
    fi
    ((HTTPS)) || return 0
    # the same nginx answers on the TLS listener, with our certificate
    url="$(https_url)api/health"
    curl -fsS -o /dev/null --max-time 5 --cacert "$INST_TLS/cert.pem" "$url" && return 0
    tail_nginx_logs 20
    die "$url did not answer (HTTPS, certificate $INST_TLS/cert.pem)"
}

# ---------------------------------------------------------------- whole instance

instance_start() {
    ports_check
    instance_dirs
    pg_init
    pg_start
    db_create
    db_load
    nginx_render
    nginx_start
    wait_health
}

instance_stop() {
    nginx_stop
    pg_stop
}

# instance_traps KIND CLEANUP STOP KEEP: what happens when a script with an instance of its own
# (make test, make bench) exits.  CLEANUP (the script's own children) runs, then STOP
# (instance_stop or pg_stop) unless the script stopped the instance itself and set STOPPED=1;
# the instance directory is removed after a run that succeeded unless KEEP is 1, else kept for
# its logs ("<KIND> instance kept ...").  INT, TERM and HUP exit 128 + the signal.
STOPPED=0
instance_traps() {
    INSTANCE_EXIT=("$@")
    trap instance_exit EXIT
    trap 'exit 130' INT
    trap 'exit 143' TERM
    trap 'exit 129' HUP
}
instance_exit() {
    local rc=$?
    trap '' INT TERM HUP PIPE
    set +e
    "${INSTANCE_EXIT[1]}"
    if ((!STOPPED)); then
        section "stopping the ${INSTANCE_EXIT[0]} instance"
        "${INSTANCE_EXIT[2]}"
    fi
    if ((rc == 0)) && [[ "${INSTANCE_EXIT[3]}" != 1 ]]; then
        rm -rf "$INST"
    else
        info "${INSTANCE_EXIT[0]} instance kept for its logs: ${INST#"$ROOT"/}/log/ (wiped by the next ${INSTANCE_EXIT[0]} run)"
    fi
    exit "$rc"
}

# ---------------------------------------------------------------- test suites

# failed_tests OUTPUT: every failed test of a prove or pg_prove output (subtests too,
# indented), with the diagnostics that follow it
failed_tests() {
    grep -E -A6 '^\s*#\s+Failed test' "$1" | grep -E '^\s*#' | head -80 || true
}

# prove_suite NAME FILES ON_FAILURE: a suite of *.t files through prove (t/lib on @INC,
# PROVE_FLAGS=-v shows every test), its output in $INST_LOG/suite-NAME.out; when it fails,
# ON_FAILURE shows the logs that tell why, then the failed tests, and the script dies
# (make test-ha, make test-shards)
prove_suite() {
    local name=$1 on_failure=$3 files flags
    read -r -a files <<<"$2"
    read -r -a flags <<<"${PROVE_FLAGS:-}"
    section "suite $name"
    if prove -I t/lib "${flags[@]}" -r "${files[@]}" 2>&1 | tee "$INST_LOG/suite-$name.out"; then
        info "suite $name passed"
        return 0
    fi
    section "what failed"
    "$on_failure"
    failed_tests "$INST_LOG/suite-$name.out"
    die "suite $name FAILED"
}

# ---------------------------------------------------------------- foreground runs

# foreground_traps STOP [WHAT]: what make run (STOP instance_stop) and make run-ha (ha_stop,
# WHAT "the formation") do when they end: Ctrl-C, SIGTERM, a closed terminal or make stop
# (which finds run.pid) exit 0, and once the servers were started (STARTED=1) STOP stops
# them, even if the terminal or a pipe reading our output is gone.
STARTED=0
foreground_traps() {
    FOREGROUND_STOP=$1 FOREGROUND_WHAT=${2:-}
    trap foreground_shutdown EXIT
    mkdir -p "$INST_RUN"
    echo $$ >"$INST_RUN/run.pid"
    trap 'exit 0' INT TERM HUP
}
foreground_shutdown() {
    trap '' INT TERM HUP PIPE
    set +e
    ((STARTED)) && { echo; section "stopping${FOREGROUND_WHAT:+ $FOREGROUND_WHAT}"; } 2>/dev/null
    "$FOREGROUND_STOP" 2>/dev/null
    rm -f "$INST_RUN/run.pid"
    ((STARTED)) && info "stopped; data kept in ${INST#"$ROOT"/}/" 2>/dev/null
    return 0
}

# foreground_key_message KEY_FILE NEW_KEY UI: how to authenticate, after the start banner
foreground_key_message() {
    local file=$1 key=$2 ui=$3
    if [[ -n "$key" ]]; then
        cat <<MSG
First start: an admin API key was created. It is shown only here and kept in
${file#"$ROOT"/} (readable by you only). The web UI asks for it once per session.
  $key
  curl -H "Authorization: Bearer \$(cat ${file#"$ROOT"/})" ${ui}api/leads

MSG
    elif [[ -f "$file" ]]; then
        info "API key: ${file#"$ROOT"/} (Authorization: Bearer \$(cat ${file#"$ROOT"/}))"
    else
        info "API keys exist already; a new one: make psql SQL=\"SELECT smscamp_create_key('me', 'admin')\""
    fi
}

# foreground_wait [CHECK]: until a signal ends the run; nginx dying ends it with its log,
# and so does CHECK (a function) failing
foreground_wait() {
    while true; do
        sleep 2 &
        wait $! || true
        if [[ -z "$(nginx_pid)" ]]; then
            tail_nginx_logs
            die "nginx exited unexpectedly"
        fi
        [[ -z "${1:-}" ]] || "$1"
    done
}

# ---------------------------------------------------------------- API keys

# admin_key_ensure FILE [RATE]: the first admin key, created (and written to FILE, mode 600)
# when the database has no active admin key; prints the key when it made one. RATE: its
# own rate limit in requests/s (default: nginx's smscamp_rate_limit_key).
admin_key_ensure() {
    local file=$1 rate=${2:-NULL} have key
    [[ "$rate" =~ ^([1-9][0-9]*|NULL)$ ]] || die "admin_key_ensure: bad rate '$rate'"
    have=$(psql_su -d "$DB_NAME" -tA -c "SELECT count(*) FROM api_keys WHERE role = 'admin'
        AND (revoked_at IS NULL OR revoked_at > now()) AND (expires_at IS NULL OR expires_at > now())")
    [[ "$have" == 0 ]] || return 0
    key=$(psql_su -d "$DB_NAME" -tA -c "SELECT smscamp_create_key('admin (first key, made by make run)', 'admin', NULL, $rate)")
    [[ "$key" == smc_* ]] || die "could not create the first admin key"
    (umask 077 && printf '%s\n' "$key" >"$file")
    printf '%s' "$key"
}
