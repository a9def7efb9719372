#!/usr/bin/env perl
# The upgrade test: a database of the previous release, full of data, upgraded to this tree
# exactly as every start does (scripts/lib.sh's db_load), must keep every row, agree with its
# kept statistics, answer its routes, survive a second load unchanged, and end up with the
# same schema as a fresh install of this tree.  It fails when a schema change comes without
# its migration, or when a migration loses or rewrites data.
#
#   1. smscamp_upgrade_<pid>: the baseline release (BASELINE below) installed the way its own
#      db_load did it: CREATE EXTENSION smscamp VERSION '<its default_version>' (the older
#      install scripts are installed alongside the new ones), then its sql/ files, from
#      `git archive`, loaded by its own scripts/lib.sh db_load (so in its own load order).
#      pg_cron is not created there (it lives only in the instance's database; the files
#      guard their cron jobs), and its ALTER EXTENSION ... UPDATE is left out (that is the
#      upgrade, step 4).
#   2. Data, through the baseline's own functions: leads (API, CSV import, an update, a
#      delete), campaigns in every status (draft, scheduled, processing with leads held
#      mid-send, paused by provider errors with a retry pending, cancelled, completed with
#      sent/delivered/undelivered/failed/skipped/unknown leads), processing logs, opt-outs
#      and delivery receipts through signed webhooks, sms_outbox rows (the log provider),
#      API keys (revoked, rotating, expiring).  Background workers never touch it: they
#      work in the instance's own database only.
#   3. A canonical snapshot of every table's rows, column by column, for the columns the
#      baseline has (per-backend counter shards are summed per key: compaction may fold
#      them), the sequences, smscamp_campaign_stats_current() and the answers of the GET
#      routes (the dashboard's numbers, lists' totals, items' ids).
#   4. The upgrade: the current scripts/lib.sh `db_load <database>`, i.e. ALTER EXTENSION
#      smscamp UPDATE and the current files in the current load order.
#   5. Every old row still there with the same values in the old columns (only the changes
#      in %ALLOWED_CHANGES below may differ), smscamp_stats_diff() empty, the kept statistics
#      and the dashboard unchanged, every GET route answering 200 with JSON (as smscamp_api,
#      the role nginx logs in as).
#   6. db_load a second time (a restart): data, sequences and schema unchanged.
#   7. smscamp_upgrade_<pid>_fresh: a fresh install of this tree; its schema (pg_dump
#      --schema-only, normalised, plus the extensions' versions and members) must equal the
#      upgraded one.  A difference is printed as a diff: that is the missing migration
#      (or the CREATE TABLE that does not say what the migration does).  The tables' column
#      order is a test of its own: row types (SELECT * INTO, INSERT ... SELECT *) depend on it.
#   8. Both databases dropped, also on failure (END block).
#
# Moving the baseline when a release lands: set $BASELINE to the release's commit (the only
# place it is named), empty %ALLOWED_CHANGES (its entries were about the old baseline), and
# run the test; if the new baseline's functions changed, adapt t/http/upgrade/fill.sql to them (it runs
# against the baseline's functions, not the current ones).  The commit must be in the
# repository: CI needs a full clone (a shallow one fails here, it is not skipped).
#
# Run: make test SUITES=http HTTP_TESTS=t/http/95-upgrade.t
#   SMSCAMP_UPGRADE_KEEP=<dir>    also writes the snapshots, route answers and normalised
#                                 schemas there, to read in full
#   SMSCAMP_UPGRADE_INJECT=<sql>  runs that on the upgraded database right after the upgrade,
#                                 to see the test catch it (e.g. 'ALTER TABLE leads DROP COLUMN notes')

use strict;
use warnings;

use Test::More;
use File::Temp ();
use JSON::PP ();
use POSIX ();
use Time::HiRes ();
use Time::Local ();

# ---------------------------------------------------------------- configuration

# The previous release: the database every upgrade starts from.  (SMSCAMP_UPGRADE_BASELINE=
# <commit> tries another one, e.g. a release candidate; CI uses this one.)
my $BASELINE = $ENV{SMSCAMP_UPGRADE_BASELINE} || 'f82e932';

# Intentional changes to old data, each with its reason (and the change that made it).
# Keys: 'table.column' (values of that column may change or it may go), 'table.*' (rows of
# that table may change or go), 'dashboard.<key>' / 'campaign_stats.<key>' (a kept number's
# meaning changed on purpose).  Tables are named schema.table, e.g. 'public.leads.notes'.
# Start empty; every entry is a data migration someone decided on.
my %ALLOWED_CHANGES = (
    # 'public.campaign_leads.sms_provider_status' => 'lower-cased by the 0.4 migration (abc1234)',
    'dashboard.total_messages_pending' =>
        'issue 11: only leads of running or paused campaigns are waiting to send (drafts, '
      . 'scheduled and finished campaigns are not)',
);

my $ROOT = $ENV{SMSCAMP_ROOT} // do { require FindBin; no warnings "once"; "$FindBin::Bin/../.." };
my $PGBIN = $ENV{PGBIN} // '/usr/lib/postgresql/15/bin';
my $PSQL = -x "$PGBIN/psql" ? "$PGBIN/psql" : 'psql';
my $PG_DUMP = -x "$PGBIN/pg_dump" ? "$PGBIN/pg_dump" : 'pg_dump';
my $DB = "smscamp_upgrade_$$";
my $FRESH = "smscamp_upgrade_${$}_fresh";
my $T0 = Time::HiRes::time();

my $JSON = JSON::PP->new->utf8->canonical->allow_nonref;

# ---------------------------------------------------------------- processes

my $TMP = File::Temp->newdir('smscamp-upgrade-XXXXXX', TMPDIR => 1);
my $CHILD;                  # the running child, killed on a timeout
my @CREATED;                # databases to drop at the end
my $MAIN_PID = $$;

# run([cmd...], env => {...}): (exit code, stdout, stderr); never dies for a failing command
sub run {
    my ($cmd, %o) = @_;
    my $out = File::Temp->new(DIR => $TMP);
    my $err = File::Temp->new(DIR => $TMP);
    my $pid = fork // die "fork: $!\n";
    if (!$pid) {
        eval {
            $ENV{$_} = $o{env}{$_} for keys %{ $o{env} || {} };
            open STDIN, '<', '/dev/null' or die;
            open STDOUT, '>', $out->filename or die;
            open STDERR, '>', $err->filename or die;
            exec { $cmd->[0] } @$cmd;
        };
        POSIX::_exit(127);  # no END blocks in the child: they would drop the databases
    }
    $CHILD = $pid;
    waitpid $pid, 0;
    my $rc = $? == -1 ? 127 : ($? & 127 ? 128 + ($? & 127) : $? >> 8);
    $CHILD = undef;
    my $slurp = sub { open my $fh, '<:raw', $_[0] or return ''; local $/; my $s = <$fh> // ''; $s };
    return ($rc, $slurp->($out->filename), $slurp->($err->filename));
}

my %PSQL_ENV = (PGOPTIONS => '-c client_min_messages=warning', PGCLIENTENCODING => 'UTF8',
                PGCONNECT_TIMEOUT => 10);

# sql($db, $sql): the unaligned, tuples-only output (bytes), without the final newline;
# dies with psql's message when it fails.
sub sql {
    my ($db, $text) = @_;
    my $f = File::Temp->new(DIR => $TMP, SUFFIX => '.sql');
    binmode $f;
    my $bytes = $text;
    utf8::encode($bytes) if utf8::is_utf8($bytes);
    print $f "SET TimeZone = 'UTC';\n", $bytes;
    close $f;
    my ($rc, $out, $err) = run([$PSQL, '-X', '-q', '-A', '-t', '-v', 'ON_ERROR_STOP=1',
                                '-d', $db, '-f', $f->filename], env => \%PSQL_ENV);
    die "psql on $db failed (exit $rc):\n$err" if $rc;
    $out =~ s/\n\z//;
    return $out;
}

sub sql_json { my $out = sql(@_); return length $out ? $JSON->decode($out) : undef }

sub lit { my ($s) = @_; return 'NULL' unless defined $s; $s =~ s/'/''/g; return "'$s'" }
sub ident { my ($s) = @_; $s =~ s/"/""/g; return qq{"$s"} }
sub qualified { my ($t) = @_; my ($s, $n) = split /\./, $t, 2; return ident($s) . '.' . ident($n) }

# SMSCAMP_UPGRADE_KEEP: write $name there (a string, or a reference written as JSON)
sub keep {
    my ($name, $data) = @_;
    my $dir = $ENV{SMSCAMP_UPGRADE_KEEP};
    return unless length($dir // '');
    mkdir $dir unless -d $dir;
    open my $fh, '>:raw', "$dir/$name" or return diag("cannot write $dir/$name: $!");
    print $fh ref $data ? JSON::PP->new->utf8->canonical->pretty->encode($data) : $data;
    close $fh;
}

sub elapsed { sprintf '%.1fs', Time::HiRes::time() - $T0 }

sub drop_databases {
    for my $db (reverse @CREATED) {
        my ($rc, undef, $err) = run([$PSQL, '-X', '-q', '-d', 'postgres', '-c',
                                     "DROP DATABASE IF EXISTS $db WITH (FORCE)"], env => \%PSQL_ENV);
        warn "could not drop database $db: $err" if $rc;
    }
    @CREATED = ();
    my ($rc, $left) = run([$PSQL, '-X', '-q', '-A', '-t', '-d', 'postgres', '-c',
                           "SELECT datname FROM pg_database WHERE datname IN ('$DB', '$FRESH')"],
                          env => \%PSQL_ENV);
    warn "databases left behind: $left" if !$rc && $left =~ /\S/;
}

END {
    if ($$ == $MAIN_PID) {
        my $rc = $?;
        kill 'TERM', $CHILD if $CHILD;
        drop_databases();
        $? = $rc;
    }
}
$SIG{INT} = $SIG{TERM} = sub { die "interrupted\n" };
# well under a minute normally; a stuck step must not hang the suite
$SIG{ALRM} = sub { kill 'TERM', $CHILD if $CHILD; die "timed out after 300 s\n" };
alarm 300;

# A failure the rest cannot go on from: report it, stop (END drops the databases).
sub fatal {
    my ($name, @diag) = @_;
    fail($name);
    diag($_) for grep { defined && length } @diag;
    done_testing();
    exit 1;
}

sub create_db {
    my ($db) = @_;
    my ($rc, undef, $err) = run([$PSQL, '-X', '-q', '-v', 'ON_ERROR_STOP=1', '-d', 'postgres',
                                 '-c', "CREATE DATABASE $db"], env => \%PSQL_ENV);
    fatal("create database $db", $err) if $rc;
    push @CREATED, $db;
}

# The current tree's loader, as every start runs it: scripts/lib.sh's db_load <db>.
sub current_db_load {
    my ($db) = @_;
    my ($rc, $out, $err) = run(['bash', '-c', 'set -euo pipefail; source "$1/scripts/lib.sh"; '
                                . 'INST_RUN=$PGHOST PG_PORT=$PGPORT; db_load "$2"',
                                'db_load', $ROOT, $db], env => \%PSQL_ENV);
    return ($rc, "$out$err");
}

# ---------------------------------------------------------------- 0. the baseline commit

for my $v (qw(PGHOST PGPORT PGUSER)) {
    fatal("environment: $v is set (make test sets it)") unless defined $ENV{$v};
}

sub git { return run(['git', '-C', $ROOT, @_]) }

{
    my ($rc, $out, $err) = git('rev-parse', '--verify', '--quiet', "$BASELINE^{commit}");
    if ($rc) {
        my (undef, $shallow) = git('rev-parse', '--is-shallow-repository');
        fatal("the baseline release $BASELINE is in the repository",
              $rc == 127 ? 'git is not installed: the upgrade test reads the baseline with it'
                         : "git cannot find commit $BASELINE in $ROOT" . ($err ? ": $err" : ''),
              ($shallow // '') =~ /true/
                  ? 'This is a shallow clone: the upgrade test needs the history. Fetch it '
                    . '(git fetch --unshallow) or clone in full (CI: fetch-depth: 0).'
                  : 'Is this a git checkout with its full history? (git fetch --unshallow)');
    }
    pass("baseline release $BASELINE is in the repository");
}

# the baseline's tree (sql/, scripts/, the extension's control file) under $TMP/base
my $BASE_DIR = "$TMP/base";
{
    mkdir $BASE_DIR or die "mkdir $BASE_DIR: $!";
    my $tar = "$TMP/base.tar";
    my ($rc, undef, $err) = git('archive', '--format=tar', "--output=$tar", $BASELINE,
                                'sql', 'scripts', 'pg_extension/smscamp.control');
    fatal("git archive $BASELINE", $err) if $rc;
    ($rc, undef, $err) = run(['tar', '-xf', $tar, '-C', $BASE_DIR]);
    fatal("unpack $BASELINE", $err) if $rc;
}
my ($BASE_EXT_VERSION) = do {
    open my $fh, '<', "$BASE_DIR/pg_extension/smscamp.control"
        or fatal("the baseline's pg_extension/smscamp.control", $!);
    local $/;
    (<$fh> // '') =~ /^\s*default_version\s*=\s*'([^']+)'/m;
};
fatal("the baseline's default_version", 'no default_version in its smscamp.control')
    unless defined $BASE_EXT_VERSION;

# ---------------------------------------------------------------- 1. the baseline installed

create_db($DB);
{
    my $avail = sql($DB, 'SELECT string_agg(version, \' \' ORDER BY version) '
                         . "FROM pg_available_extension_versions WHERE name = 'smscamp'");
    fatal("extension smscamp $BASE_EXT_VERSION (the baseline's) can be installed",
          "installed versions: " . ($avail || 'none'),
          "Keep smscamp--$BASE_EXT_VERSION.sql (or a script chain to it) in pg_extension/Makefile's "
          . 'DATA: databases of the previous release are at that version.')
        unless grep { $_ eq $BASE_EXT_VERSION } split ' ', $avail;
    eval { sql($DB, 'CREATE EXTENSION smscamp VERSION ' . lit($BASE_EXT_VERSION)); 1 }
        or fatal("CREATE EXTENSION smscamp VERSION '$BASE_EXT_VERSION'", $@);

    # the baseline's own db_load, on its own files; only the statements the upgrade makes
    # (ALTER EXTENSION smscamp UPDATE) and pg_cron (not in this database) are left out
    my $script = <<'EOS';
set -euo pipefail
source "$1/scripts/lib.sh"
INST_RUN=$PGHOST PG_PORT=$PGPORT DB_NAME=$2
eval "real_$(declare -f psql_su)"
psql_su() {
    local a=() keep=0
    while (($#)); do
        if [[ "$1" == -c && ( "${2:-}" == *'ALTER EXTENSION smscamp UPDATE'* || "${2:-}" == *pg_cron* ) ]]; then
            shift 2
            continue
        fi
        [[ "$1" == -c || "$1" == -f ]] && keep=1
        a+=("$1")
        shift
    done
    ((keep)) || return 0
    real_psql_su "${a[@]}"
}
db_load "$2"
EOS
    my ($rc, $out, $err) = run(['bash', '-c', $script, 'db_load', $BASE_DIR, $DB], env => \%PSQL_ENV);
    fatal("baseline $BASELINE installed by its own db_load", $out . $err) if $rc;
    my $v = sql($DB, "SELECT extversion FROM pg_extension WHERE extname = 'smscamp'");
    is($v, $BASE_EXT_VERSION, "baseline $BASELINE installed (extension smscamp $v) [" . elapsed() . ']');
}

# ---------------------------------------------------------------- 2. data, the baseline's way

# t/http/upgrade/fill.sql: psql, against the baseline's functions
sub fill_sql {
    my $file = "$ROOT/t/http/upgrade/fill.sql";
    open my $fh, '<:raw', $file or die "$file: $!\n";
    local $/;
    return scalar <$fh>;
}

eval { sql($DB, fill_sql()); 1 }
    or fatal("data filled in through the baseline's functions", $@,
             "t/http/upgrade/fill.sql runs against the functions of $BASELINE: adapt it when the baseline moves");
pass('data filled in through the baseline\'s functions [' . elapsed() . ']');

# ---------------------------------------------------------------- 3. snapshots

# Every table that is not an extension's, with its columns (in order), their kinds and
# its primary key.
sub tables {
    my ($db) = @_;
    return sql_json($db, <<'EOS') // [];
SELECT json_agg(json_build_object('table', t.name, 'cols', t.cols, 'pk', t.pk) ORDER BY t.name)
  FROM (SELECT format('%s.%s', n.nspname, c.relname) AS name,
               (SELECT json_agg(json_build_object('name', a.attname,
                                                  'numeric', ty.typcategory = 'N')
                                ORDER BY a.attnum)
                  FROM pg_attribute a JOIN pg_type ty ON ty.oid = a.atttypid
                 WHERE a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped) AS cols,
               (SELECT json_agg(a.attname ORDER BY k.ord)
                  FROM pg_index i
                 CROSS JOIN unnest(i.indkey) WITH ORDINALITY AS k(attnum, ord)
                  JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = k.attnum
                 WHERE i.indrelid = c.oid AND i.indisprimary) AS pk
          FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
         WHERE c.relkind IN ('r', 'p') AND NOT c.relispartition
           AND n.nspname NOT IN ('pg_catalog', 'information_schema')
           AND n.nspname NOT LIKE 'pg\_%'
           AND NOT EXISTS (SELECT FROM pg_depend d
                            WHERE d.classid = 'pg_class'::regclass AND d.objid = c.oid
                              AND d.deptype = 'e')) AS t
EOS
}

# The rows of the tables in $meta (as the baseline had them), only the columns in $meta that
# $db still has: { table => { cols => [...], key => [...], rows => { key => {col => text} } } }.
# A table whose primary key has a "shard" column keeps per-backend counter shards: its rows
# are summed per key over the shards (and all-zero sums dropped), as its readers see it.
sub snapshot {
    my ($db, $meta) = @_;
    my %have = map { $_->{table} => { map { $_->{name} => 1 } @{ $_->{cols} } } } @{ tables($db) };
    my (@queries, %snap);
    for my $t (@$meta) {
        my $name = $t->{table};
        next unless $have{$name};
        my @cols = grep { $have{$name}{ $_->{name} } } @{ $t->{cols} };
        my @pk = @{ $t->{pk} || [] };
        @pk = () if grep { !$have{$name}{$_} } @pk;
        my $sharded = grep { $_ eq 'shard' } @pk;
        my ($select, $tail, @key);
        if ($sharded) {
            @key = grep { $_ ne 'shard' } @pk;
            my %is_key = map { $_ => 1 } @key;
            @cols = grep { $_->{name} ne 'shard' } @cols;
            my @vals = map {
                my $c = 't.' . ident($_->{name});
                $is_key{ $_->{name} } ? "$c\::text"
                    : $_->{numeric} ? "sum($c)::text" : "min($c\::text)"
            } @cols;
            my @nums = map { 'coalesce(sum(t.' . ident($_->{name}) . '), 0) = 0' }
                grep { !$is_key{ $_->{name} } && $_->{numeric} } @cols;
            $select = 'json_object(ARRAY[' . join(', ', map { lit($_->{name}) } @cols) . ']::text[], ARRAY['
                . join(', ', @vals) . ']::text[])';
            $tail = ' GROUP BY ' . (@key ? join(', ', map { 't.' . ident($_) } @key) : '()')
                . (@nums ? ' HAVING NOT (' . join(' AND ', @nums) . ')' : '');
        } else {
            @key = @pk;
            $select = 'json_object(ARRAY[' . join(', ', map { lit($_->{name}) } @cols) . ']::text[], ARRAY['
                . join(', ', map { 't.' . ident($_->{name}) . '::text' } @cols) . ']::text[])';
            $tail = '';
        }
        push @queries, 'SELECT ' . lit($name) . " || E'\\t' || coalesce(json_agg(x.o)::text, '[]') "
            . "FROM (SELECT $select AS o FROM " . qualified($name) . " t$tail) AS x;\n";
        $snap{$name} = { cols => [map { $_->{name} } @cols], key => \@key, rows => {},
                         multiset => !$sharded && !@pk };
    }
    return \%snap unless @queries;
    for my $line (split /\n/, sql($db, join '', @queries)) {
        my ($name, $json) = split /\t/, $line, 2;
        for my $row (@{ $JSON->decode($json) }) {
            my $s = $snap{$name};
            my $k = $JSON->encode([map { $row->{$_} } @{ $s->{multiset} ? $s->{cols} : $s->{key} }]);
            if (!$s->{multiset}) {
                $s->{rows}{$k} = $row;
            } else {                                  # no primary key: a multiset of rows
                $s->{rows}{$k} //= { %$row, '#count' => 0 };
                $s->{rows}{$k}{'#count'}++;
            }
        }
    }
    return \%snap;
}

sub sequences {
    my ($db) = @_;
    my $s = sql_json($db, q{SELECT coalesce(json_object_agg(format('%s.%s', schemaname, sequencename),
                                                         last_value), '{}') FROM pg_sequences});
    return $s // {};
}

# smscamp_campaign_stats_current(): every kept campaign counter, as text, per campaign
sub kept_stats {
    my ($db) = @_;
    my $rows = sql_json($db, <<'EOS') // [];
SELECT coalesce(json_agg(x.o), '[]')
  FROM (SELECT (SELECT json_object_agg(e.key, e.value) FROM jsonb_each_text(to_jsonb(s) - 'shard') e) AS o
          FROM smscamp_campaign_stats_current() s) AS x
EOS
    return { map { $_->{campaign_id} => $_ } @$rows };
}

# The GET routes of a routes.conf (text): [{ method, pattern, function, args }].
sub get_routes {
    my ($text) = @_;
    my @r;
    for (split /\n/, $text) {
        s/#.*//;
        my ($method, $pattern, $fn, @args) = /^\s*smscamp_route\s+(\S+)\s+(\S+)\s+([\w.]+)\s*([^;]*);/
            ? ($1, $2, $3, split ' ', $4) : next;
        push @r, { method => $method, pattern => $pattern, function => $fn, args => \@args }
            if $method eq 'GET';
    }
    return \@r;
}

# The GET routes' answers on $db, called as nginx calls them (as smscamp_api): for every
# route with :id, once per row of the resource it names (/api/leads/:id: every lead).
# { "GET pattern id" => { status, body (decoded or undef), raw } }
sub route_answers {
    my ($db, $routes, $ids) = @_;
    my @calls;
    for my $r (@$routes) {
        my @cap = $r->{pattern} =~ /:(\w+)/g;
        my @idsets = ([]);
        if (@cap) {
            my ($resource) = $r->{pattern} =~ m{/([^/]+)/:\w+};
            my $list = $ids->{$resource} // $ids->{"api_$resource"};
            if (!($list && @$list && @cap == 1)) {
                note("GET $r->{pattern}: no ids to call it with (which table are its :ids of?)");
                next;
            }
            @idsets = map { [$_] } @$list;
        }
        for my $set (@idsets) {
            my @idv = @$set;
            my @params = map {
                /^:/ ? lit($idv[0]) : $_ eq 'args' ? q{'{}'::jsonb}
                    : /^(?:json|body|content_type|url|header:.*)$/ ? 'NULL' : ()
            } @{ $r->{args} };
            my $label = "GET $r->{pattern}" . (@idv ? " $idv[0]" : '');
            push @calls, [$label, "SELECT status, body FROM $r->{function}(" . join(', ', @params) . ')'];
        }
    }
    my $sql = <<'EOS';
CREATE FUNCTION pg_temp.call(p_sql text) RETURNS json LANGUAGE plpgsql AS $$
DECLARE
    s integer;
    b text;
BEGIN
    EXECUTE p_sql INTO s, b;
    RETURN json_build_object('status', s, 'body', b);
EXCEPTION WHEN OTHERS THEN
    RETURN json_build_object('status', CASE WHEN SQLSTATE LIKE 'SC%' THEN substr(SQLSTATE, 3)::int
                                            ELSE 500 END,
                             'body', SQLERRM, 'sqlstate', SQLSTATE);
END
$$;
SET ROLE smscamp_api;
EOS
    $sql .= 'SELECT ' . lit($_->[0]) . " || E'\\t' || pg_temp.call(" . lit($_->[1]) . ");\n" for @calls;
    my %ans;
    for my $line (split /\n/, sql($db, $sql)) {
        my ($label, $json) = split /\t/, $line, 2;
        my $a = $JSON->decode($json);
        my $raw = $a->{body};
        my $body = defined $raw ? eval { my $b = $raw; utf8::encode($b); $JSON->decode($b) } : undef;
        $ans{$label} = { status => $a->{status}, body => $body, raw => $raw,
                         sqlstate => $a->{sqlstate} };
    }
    return \%ans;
}

sub allowed {
    my ($table, $col) = @_;
    return 1 if exists $ALLOWED_CHANGES{"$table.*"};
    return defined $col && exists $ALLOWED_CHANGES{"$table.$col"};
}

sub show { my ($v) = @_; return 'NULL' unless defined $v; $v = substr($v, 0, 120) . '...' if length $v > 120; return "'$v'" }

# Differences between two snapshots: old rows gone, old values changed (what %ALLOWED_CHANGES
# does not excuse); with strict, also rows that are new.
sub compare_snapshots {
    my ($old, $new, %o) = @_;
    my @p;
    for my $t (sort keys %$old) {
        my $ot = $old->{$t};
        if (!$new->{$t}) {
            push @p, "table $t is gone (it had " . keys(%{ $ot->{rows} }) . ' rows)'
                unless !$o{strict} && allowed($t);
            next;
        }
        my $nt = $new->{$t};
        my %ncol = map { $_ => 1 } @{ $nt->{cols} };
        for my $c (@{ $ot->{cols} }) {
            push @p, "column $t.$c is gone" unless $ncol{$c} || (!$o{strict} && allowed($t, $c));
        }
        my $n = 0;
        for my $k (sort keys %{ $ot->{rows} }) {
            my $or = $ot->{rows}{$k};
            my $nr = $nt->{rows}{$k};
            if (!$nr) {
                push @p, "$t: the row with " . keystr($ot, $k) . ' is gone'
                    unless !$o{strict} && allowed($t);
                next;
            }
            for my $c (@{ $ot->{cols} }, '#count') {
                next unless exists $or->{$c} && $ncol{$c} || $c eq '#count' && exists $or->{$c};
                next if !defined $or->{$c} && !defined $nr->{$c}
                    || defined $or->{$c} && defined $nr->{$c} && $or->{$c} eq $nr->{$c};
                next if !$o{strict} && allowed($t, $c);
                push @p, "$t, row " . keystr($ot, $k) . ": $c was " . show($or->{$c})
                    . ', is now ' . show($nr->{$c});
            }
        }
        if ($o{strict}) {
            push @p, "$t: a new row " . keystr($nt, $_)
                for grep { !$ot->{rows}{$_} } sort keys %{ $nt->{rows} };
        }
    }
    if ($o{strict}) {
        push @p, "table $_ is new" for grep { !$old->{$_} } sort keys %$new;
    }
    return @p;
}

sub keystr {
    my ($t, $k) = @_;
    my @names = @{ $t->{key} };
    my @vals = @{ $JSON->decode($k) };
    return '(' . join(', ', map { show($_) } @vals) . ')' if $t->{multiset};
    return 'the sums over its shards' unless @names;
    return join(', ', map { "$names[$_] = " . show($vals[$_]) } 0 .. $#names);
}

sub problems_ok {
    my ($name, @p) = @_;
    local $Test::Builder::Level = $Test::Builder::Level + 1;
    ok(!@p, $name) or diag(join "\n", (@p > 60 ? (@p[0 .. 59], '... and ' . (@p - 60) . ' more') : @p));
}

# flatten a JSON document into { "a.b" => canonical JSON text }
sub flatten {
    my ($v, $prefix, $out) = @_;
    $out //= {};
    if (ref $v eq 'HASH') {
        flatten($v->{$_}, length $prefix ? "$prefix.$_" : $_, $out) for keys %$v;
    } else {
        $out->{$prefix} = $JSON->encode($v);
    }
    return $out;
}

sub hour_of {
    my ($ts) = @_;
    my ($y, $m, $d, $h) = ($ts // '') =~ /^(\d{4})-(\d\d)-(\d\d)[T ](\d\d)/ or return undef;
    return Time::Local::timegm(0, 0, $h, $d, $m - 1, $y) / 3600;
}

# The dashboard's numbers before and after: every old key the same.  messages_per_hour is
# "the last 24 hours": when an hour boundary passed between the two answers, the hours both
# cover are compared.
sub compare_dashboard {
    my ($old, $new) = @_;
    return ('the dashboard did not answer JSON before the upgrade') unless ref $old eq 'HASH';
    return ('the dashboard did not answer JSON after the upgrade') unless ref $new eq 'HASH';
    my (%o, %n);
    %o = %{ flatten({ %$old, messages_per_hour => undef, messages_per_hour_from => undef }, '') };
    %n = %{ flatten({ %$new, messages_per_hour => undef, messages_per_hour_from => undef }, '') };
    my @p;
    if (ref $old->{messages_per_hour} eq 'ARRAY') {
        my ($ho, $hn) = (hour_of($old->{messages_per_hour_from}), hour_of($new->{messages_per_hour_from}));
        if (!defined $ho || !defined $hn || ref $new->{messages_per_hour} ne 'ARRAY') {
            push @p, 'messages_per_hour / messages_per_hour_from changed shape'
                unless allowed('dashboard', 'messages_per_hour');
        } else {
            my $shift = $hn - $ho;
            for my $i (0 .. $#{ $old->{messages_per_hour} }) {
                my $j = $i - $shift;
                next if $j < 0 || $j > $#{ $new->{messages_per_hour} };
                my ($a, $b) = map { $JSON->encode($_) } $old->{messages_per_hour}[$i], $new->{messages_per_hour}[$j];
                push @p, "dashboard messages_per_hour, the hour starting "
                    . gmtime(($ho + $i) * 3600) . ": was $a, is now $b"
                    if $a ne $b && !allowed('dashboard', 'messages_per_hour');
            }
        }
    }
    for my $k (sort keys %o) {
        next if $k =~ /^messages_per_hour/;
        next if defined $n{$k} && $n{$k} eq $o{$k};
        next if allowed('dashboard', $k) || allowed('dashboard', (split /\./, $k)[0]);
        push @p, "dashboard $k: was $o{$k}, is now " . ($n{$k} // '(gone)');
    }
    return @p;
}

my $OLD_META = tables($DB);
my $OLD = snapshot($DB, $OLD_META);
my $OLD_SEQ = sequences($DB);
my $OLD_STATS = kept_stats($DB);
my $OLD_ROUTES = do {
    my ($rc, $text, $err) = git('show', "$BASELINE:ngx_smscamp_module/routes.conf");
    fatal("the baseline's routes.conf", $err) if $rc;
    get_routes($text);
};
my %IDS;
for my $t (keys %$OLD) {
    my ($short) = $t =~ /\.(.*)/;
    next unless ($OLD->{$t}{key}[0] // '') eq 'id' && @{ $OLD->{$t}{key} } == 1;
    $IDS{$short} = [sort { $a <=> $b } map { $_->{id} } values %{ $OLD->{$t}{rows} }];
}
my $OLD_ANS = route_answers($DB, $OLD_ROUTES, \%IDS);
keep('1-baseline-rows.json', $OLD);
keep('1-baseline-routes.json', $OLD_ANS);
{
    my @empty = grep { !keys %{ $OLD->{$_}{rows} } } sort keys %$OLD;
    note("tables of $BASELINE: " . join(', ', map { "$_ (" . keys(%{ $OLD->{$_}{rows} }) . ')' } sort keys %$OLD));
    diag("tables the fill left empty (add rows in t/http/upgrade/fill.sql): @empty") if @empty;
    my @bad = grep { $OLD_ANS->{$_}{status} != 200 } sort keys %$OLD_ANS;
    ok(keys %$OLD_ANS && !@bad, 'the baseline\'s GET routes answer 200 on its data ('
       . keys(%$OLD_ANS) . ' calls) [' . elapsed() . ']')
        or diag(join "\n", map { "$_: HTTP $OLD_ANS->{$_}{status} " . ($OLD_ANS->{$_}{raw} // '') } @bad);
}

# ---------------------------------------------------------------- 4. the upgrade

{
    my ($rc, $log) = current_db_load($DB);
    fatal('upgrade: the current db_load on the baseline\'s database', $log,
          "The current sql/ files cannot upgrade a database of $BASELINE (above: the file and "
          . 'statement that fail). Every file must load on an existing database too.',
          $log =~ /because (?:function|column) .* uses its row type/
              ? 'Here the table\'s row type is used by a function (or column) the baseline '
                . 'created: a new column with a constraint to check cannot be added then. The '
                . 'migration must deal with it, e.g. drop that function before the ALTER TABLE '
                . '(its file creates it again later in the load).'
              : undef) if $rc;
    my $v = sql($DB, "SELECT extversion FROM pg_extension WHERE extname = 'smscamp'");
    pass("upgraded by the current db_load (extension smscamp $BASE_EXT_VERSION -> $v) [" . elapsed() . ']');
}

if (length($ENV{SMSCAMP_UPGRADE_INJECT} // '')) {
    eval { sql($DB, $ENV{SMSCAMP_UPGRADE_INJECT}); 1 } or diag("SMSCAMP_UPGRADE_INJECT failed: $@");
    diag("SMSCAMP_UPGRADE_INJECT ran on the upgraded database: $ENV{SMSCAMP_UPGRADE_INJECT}");
}

# ---------------------------------------------------------------- 5. data kept

my $NEW = snapshot($DB, $OLD_META);
keep('2-upgraded-rows.json', $NEW);
problems_ok('every row of the baseline is kept, with the same values in its columns',
            compare_snapshots($OLD, $NEW));
{
    my $now = sequences($DB);
    my @p;
    for my $s (sort keys %$OLD_SEQ) {
        next unless defined $OLD_SEQ->{$s};
        if (!exists $now->{$s}) { push @p, "sequence $s is gone"; next }
        push @p, "sequence $s went back from $OLD_SEQ->{$s} to " . ($now->{$s} // 'unused')
            if ($now->{$s} // 0) < $OLD_SEQ->{$s};
    }
    problems_ok('sequences did not go back (new rows get new ids)', @p);
}
{
    my $d = eval { sql($DB, 'SELECT coalesce(json_agg(d), \'[]\') FROM smscamp_stats_diff() d') };
    ok(defined $d && $d eq '[]', 'smscamp_stats_diff(): the kept statistics agree with a recount')
        or diag($d // $@);
    my $now = eval { kept_stats($DB) };
    my @p;
    if (!$now) {
        push @p, "smscamp_campaign_stats_current() failed: $@";
    } else {
        for my $c (sort { $a <=> $b } keys %$OLD_STATS) {
            my $n = $now->{$c};
            if (!$n) { push @p, "campaign $c: its kept statistics are gone"; next }
            for my $k (sort keys %{ $OLD_STATS->{$c} }) {
                next if ($OLD_STATS->{$c}{$k} // '') eq ($n->{$k} // '') || allowed('campaign_stats', $k);
                push @p, "campaign $c: $k was " . show($OLD_STATS->{$c}{$k}) . ', is now ' . show($n->{$k});
            }
        }
    }
    problems_ok('smscamp_campaign_stats_current() unchanged', @p);
}

my $ROUTES = do {
    open my $fh, '<', "$ROOT/ngx_smscamp_module/routes.conf" or fatal('routes.conf', $!);
    local $/;
    get_routes(<$fh>);
};
my $NEW_ANS = route_answers($DB, $ROUTES, \%IDS);
keep('2-upgraded-routes.json', $NEW_ANS);
{
    my @p;
    for my $label (sort keys %$NEW_ANS) {
        my $a = $NEW_ANS->{$label};
        if ($a->{status} != 200) {
            push @p, "$label: HTTP $a->{status} " . ($a->{sqlstate} ? "($a->{sqlstate}) " : '') . ($a->{raw} // '');
        } elsif ($label =~ m{^GET /api/} && ref $a->{body} ne 'HASH'
                 && !(grep { "@{ $_->{args} }" =~ /\banswer:text\/csv\b/ && index($label, "GET $_->{pattern}") == 0 } @$ROUTES)) {
            push @p, "$label: the body is not a JSON object: " . show($a->{raw});
        }
    }
    problems_ok('every GET route answers 200 with JSON on the upgraded data as smscamp_api ('
                . keys(%$NEW_ANS) . ' calls)', @p);
}
{
    my @p;
    for my $label (sort keys %$OLD_ANS) {
        my ($o, $n) = ($OLD_ANS->{$label}{body}, $NEW_ANS->{$label} && $NEW_ANS->{$label}{body});
        next unless ref $o eq 'HASH' && ref $n eq 'HASH';
        for my $k (qw(id total)) {
            next unless defined $o->{$k} && !ref $o->{$k};
            push @p, "$label: $k was $o->{$k}, is now " . ($n->{$k} // '(none)')
                unless ($n->{$k} // '') eq $o->{$k};
        }
    }
    push @p, compare_dashboard($OLD_ANS->{'GET /api/dashboard/stats'}{body},
                               $NEW_ANS->{'GET /api/dashboard/stats'}{body});
    problems_ok('the same answers: items, list totals and the dashboard\'s numbers', @p);
}
note('checks on the upgraded data done [' . elapsed() . ']');

# ---------------------------------------------------------------- 6. a restart: load again

# the whole schema as pg_dump sees it, normalised (blocks sorted, version lines out), plus
# the extensions' versions and members (pg_dump leaves those out)
sub schema_text {
    my ($db) = @_;
    my ($rc, $dump, $err) = run([$PG_DUMP, '--schema-only', '-d', $db], env => \%PSQL_ENV);
    die "pg_dump $db failed: $err" if $rc;
    $dump =~ s/^--\s*Dumped (?:from database|by pg_dump) version.*\n//mg;
    $dump =~ s/^\\(?:un)?restrict .*\n//mg;
    my @blocks = split /\n(?=--\n-- (?:Name|TOC entry)[^\n]*\n--\n)/, $dump;
    s/\s+\z/\n/ for @blocks;
    # column order is checked on its own (column_orders): here the columns are sorted, so that
    # a column in another place shows as that, not as a difference in everything else
    for (@blocks) {
        s{^(CREATE (?:UNLOGGED )?TABLE [^\n]* \(\n)(.*?)(\n\)[^\n]*;)$}{
            my ($open, $body, $close) = ($1, $2, $3);
            $open . join(",\n", sort map { s/,\z//r } split /\n/, $body) . $close
        }mse;
    }
    my $head = shift @blocks;
    my $ext = sql($db, <<'EOS');
SELECT '-- extension ' || e.extname || ' ' || e.extversion || E'\n'
       || coalesce(string_agg('--   ' || replace(m.descr, E'\n', E'\n--   '), E'\n' ORDER BY m.descr), '')
  FROM pg_extension e
  LEFT JOIN LATERAL (
        SELECT pg_describe_object(d.classid, d.objid, 0)
               || CASE WHEN d.classid = 'pg_proc'::regclass
                            AND (SELECT prokind FROM pg_proc WHERE oid = d.objid) IN ('f', 'p')
                       THEN E'\n' || pg_get_functiondef(d.objid)
                            || coalesce(E'\nACL ' || (SELECT proacl::text FROM pg_proc WHERE oid = d.objid), '')
                       ELSE '' END AS descr
          FROM pg_depend d
         WHERE d.refclassid = 'pg_extension'::regclass AND d.refobjid = e.oid AND d.deptype = 'e') m ON true
 GROUP BY e.extname, e.extversion
 ORDER BY e.extname;
EOS
    return join("\n", $head, sort(@blocks), "--\n-- Extensions and their members (catalog)\n--\n$ext\n");
}

# the tables' columns in order, for a hint when only the order differs
sub column_orders {
    my ($db) = @_;
    return { map { $_->{table} => [map { $_->{name} } @{ $_->{cols} }] } @{ tables($db) } };
}

my $UP_META = tables($DB);
my $UP = snapshot($DB, $UP_META);
my $UP_SEQ = sequences($DB);
my $UP_SCHEMA = schema_text($DB);
keep('2-upgraded-schema.sql', $UP_SCHEMA);
{
    my ($rc, $log) = current_db_load($DB);
    fatal('a second db_load (a restart) on the upgraded database', $log) if $rc;
    my @p = compare_snapshots($UP, snapshot($DB, $UP_META), strict => 1);
    my $seq = sequences($DB);
    push @p, "sequence $_: " . ($UP_SEQ->{$_} // 'unused') . ' -> ' . ($seq->{$_} // 'unused')
        for grep { ($UP_SEQ->{$_} // '') ne ($seq->{$_} // '') } sort keys %{ { %$UP_SEQ, %$seq } };
    problems_ok('a second db_load (a restart) changes no data [' . elapsed() . ']', @p);
    my $again = schema_text($DB);
    ok($again eq $UP_SCHEMA, 'a second db_load (a restart) changes no schema')
        or diag(schema_diff($UP_SCHEMA, $again, 'after the first load', 'after the second load'));
}

# ---------------------------------------------------------------- 7. fresh install, same schema

sub schema_diff {
    my ($a, $b, $la, $lb) = @_;
    my ($fa, $fb) = map { File::Temp->new(DIR => $TMP) } 1 .. 2;
    binmode $_ for $fa, $fb;
    print $fa $a;
    print $fb $b;
    close $_ for $fa, $fb;
    my (undef, $out) = run(['diff', '-u', '--label', $la, '--label', $lb, $fa->filename, $fb->filename]);
    my @lines = split /\n/, $out;
    @lines = (@lines[0 .. 399], '... (' . (@lines - 400) . ' more lines)') if @lines > 400;
    return join "\n", @lines;
}

create_db($FRESH);
{
    my ($rc, $log) = current_db_load($FRESH);
    fatal('a fresh install of the current tree (db_load)', $log) if $rc;
    my $fresh = schema_text($FRESH);
    keep('3-fresh-schema.sql', $fresh);
    ok($UP_SCHEMA eq $fresh, 'the upgraded schema is the schema of a fresh install'
       . ' (pg_dump --schema-only, extensions) [' . elapsed() . ']')
        or diag("A difference means a schema change without its migration (or a migration that\n"
                . "does something else than the fresh CREATE): '-' lines are only in the database\n"
                . "upgraded from $BASELINE, '+' lines only in a fresh install of this tree.\n"
                . schema_diff($UP_SCHEMA, $fresh, "upgraded from $BASELINE", 'fresh install'));

    # the same columns in another order: row types differ (SELECT * INTO, INSERT ... SELECT *,
    # COPY without a column list, composite values), so code behaves differently in the two
    my ($up, $fr) = (column_orders($DB), column_orders($FRESH));
    my @p;
    for my $t (sort keys %$up) {
        next unless $fr->{$t};
        my ($x, $y) = map { join ', ', @$_ } $up->{$t}, $fr->{$t};
        next if $x eq $y || join(',', sort @{ $up->{$t} }) ne join(',', sort @{ $fr->{$t} });
        push @p, "$t:\n  upgraded: $x\n  fresh:    $y";
    }
    push @p, 'An upgrade appends a new column after every column the table has; a fresh install '
        . 'must put it there too: add it after the columns that later files in the load order '
        . 'add to that table (e.g. in the last of those files), not in CREATE TABLE or an '
        . 'earlier file.' if @p;
    problems_ok('the tables\' columns are in the same order as in a fresh install', @p);
}

alarm 0;
note('total ' . elapsed());
done_testing();
