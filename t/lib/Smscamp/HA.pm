package Smscamp::HA;

# Helpers for the failover tests (t/ha/*.t): the formation that scripts/test-ha.sh
# started (scripts/ha-lib.sh), its monitor's view, and killing and restarting its nodes.
#
#   SMSCAMP_HA_DIR           the formation's directory (nodeI/ are the data directories)
#   SMSCAMP_HA_BASE_PORT     its base port; SMSCAMP_HA_MONITOR_PORT, SMSCAMP_HA_PORTS (a,b,c)
#
# Nodes are numbered from 1, as in the formation (node1, node2, node3).

use strict;
use warnings;

use Exporter 'import';
use HTTP::Tiny;
use Time::HiRes ();

use Smscamp::Test qw(psql base_url);

our @EXPORT = qw(
    ha_ports node_states node_state primary_node use_primary wait_settled
    node_pids postmaster_pid kill_node kill_postmaster signal_children start_node
    health_code wait_health_ok formation_sql node_sql standby_sql_caught_up autoctl_set
);

my @PORTS = split /,/, ($ENV{SMSCAMP_HA_PORTS} // '');
my $DIR = $ENV{SMSCAMP_HA_DIR} // die "SMSCAMP_HA_DIR is not set (run: make test-ha)\n";

sub ha_ports { @PORTS }

sub _psql_at {
    my ($port, $db, $sql) = @_;
    local $ENV{PGPORT} = $port;
    local $ENV{PGDATABASE} = $db;
    local $ENV{PGHOST} = '127.0.0.1';
    local $ENV{PGCONNECT_TIMEOUT} = 3;
    return psql($sql);
}

# formation_sql($sql): on the monitor's database
sub formation_sql { _psql_at($ENV{SMSCAMP_HA_MONITOR_PORT}, 'pg_auto_failover', $_[0]) }

# node_sql($i, $sql): on node $i's smscamp database
sub node_sql { _psql_at($PORTS[$_[0] - 1], 'smscamp', $_[1]) }

# [ { node => i, name, reported, goal } ... ] in node order
sub node_states {
    my $out = formation_sql(q{SELECT nodeport, nodename, reportedstate, goalstate
                                FROM pgautofailover.node ORDER BY nodeid});
    my @s;
    for my $line (split /\n/, $out) {
        my ($port, $name, $rep, $goal) = split /\|/, $line;
        my ($i) = grep { $PORTS[$_] == $port } 0 .. $#PORTS;
        push @s, { node => $i + 1, name => $name, reported => $rep, goal => $goal };
    }
    return \@s;
}

sub node_state {
    my ($i) = @_;
    my ($s) = grep { $_->{node} == $i } @{ node_states() };
    return $s ? "$s->{reported}/$s->{goal}" : 'none';
}

# the node the monitor has as primary (reported and assigned), or undef
sub primary_node {
    my ($p) = grep { $_->{reported} eq $_->{goal} && $_->{reported} =~ /^(primary|wait_primary|single)$/ }
              @{ node_states() };
    return $p ? $p->{node} : undef;
}

# PGPORT to the primary, for psql() and the Engine helpers; returns its node number. Waits
# up to 15 s for one: a promoted node may answer (/api/health 200) a moment before the
# monitor has its report of the new state (reported and goal still differ).
sub use_primary {
    my $deadline = Time::HiRes::time() + 15;
    my $p;
    until (defined($p = eval { primary_node() }) || Time::HiRes::time() > $deadline) {
        Time::HiRes::sleep(0.2);
    }
    defined $p or die "no primary in the formation\n";
    $ENV{PGHOST} = '127.0.0.1';
    $ENV{PGPORT} = $PORTS[$p - 1];
    return $p;
}

# until one node is primary and every other one secondary, each in its assigned state
sub wait_settled {
    my ($timeout) = @_;
    my $deadline = Time::HiRes::time() + $timeout;
    while (Time::HiRes::time() < $deadline) {
        my $s = eval { node_states() } // [];
        my $primaries = grep { $_->{reported} eq 'primary' && $_->{goal} eq 'primary' } @$s;
        my $secondaries = grep { $_->{reported} eq 'secondary' && $_->{goal} eq 'secondary' } @$s;
        return 1 if @$s == @PORTS && $primaries == 1 && $secondaries == @PORTS - 1;
        Time::HiRes::sleep(0.5);
    }
    return 0;
}

# standby_sql_caught_up($primary, $sql, $timeout): $sql on a standby once every standby
# has replayed all the WAL the primary has written (its workers frozen: a commit that a
# frozen worker has flushed but not yet made visible on the primary counts, as it will on
# a promoted standby); the largest answer of the standbys, or undef on a timeout
sub standby_sql_caught_up {
    my ($primary, $sql, $timeout) = @_;
    my $lsn = node_sql($primary, 'SELECT pg_current_wal_lsn()');
    my @standbys = grep { $_ != $primary } 1 .. @PORTS;
    my $deadline = Time::HiRes::time() + ($timeout // 10);
    while (Time::HiRes::time() < $deadline) {
        my $behind = grep {
            (eval { node_sql($_, "SELECT pg_last_wal_replay_lsn() >= '$lsn'::pg_lsn") } // '') ne 't'
        } @standbys;
        if (!$behind) {
            my ($max) = sort { $b <=> $a } map { node_sql($_, $sql) + 0 } @standbys;
            return $max;
        }
        Time::HiRes::sleep(0.05);
    }
    return undef;
}

sub postmaster_pid {
    my ($i) = @_;
    open(my $fh, '<', "$DIR/node$i/postmaster.pid") or return undef;
    my $pid = <$fh>;
    chomp $pid if defined $pid;
    return ($pid && $pid =~ /^\d+$/ && kill(0, $pid)) ? $pid : undef;
}

sub _children {
    my ($ppid) = @_;
    my @c;
    for my $stat (glob '/proc/[0-9]*/stat') {
        open(my $fh, '<', $stat) or next;
        my $line = <$fh> // next;
        # pid (comm) state ppid ...
        next unless $line =~ /^(\d+) \(.*\) \S (\d+) /s;
        push @c, $1 if $2 == $ppid;
    }
    return @c;
}

sub _cmdline {
    my ($pid) = @_;
    open(my $fh, '<', "/proc/$pid/cmdline") or return '';
    local $/;
    my $c = <$fh> // '';
    $c =~ tr/\0/ /;
    return $c;
}

sub _keeper_session {
    my ($i) = @_;
    my $f = "$DIR/autoctl/run/pg_autoctl$DIR/node$i/pg_autoctl.pid";
    open(my $fh, '<', $f) or return ();
    my $pid = <$fh> // return ();
    chomp $pid;
    return () unless $pid =~ /^\d+$/ && kill(0, $pid);
    my $sid = getsid_of($pid) // return ();
    my @s;
    for my $stat (glob '/proc/[0-9]*/stat') {
        open(my $sfh, '<', $stat) or next;
        my $line = <$sfh> // next;
        # pid (comm) state ppid pgrp session ...
        next unless $line =~ /^(\d+) \(.*\) \S \d+ \d+ (\d+) /s;
        push @s, $1 if $2 == $sid;
    }
    return @s;
}

sub getsid_of {
    my ($pid) = @_;
    open(my $fh, '<', "/proc/$pid/stat") or return undef;
    my $line = <$fh> // return undef;
    return $line =~ /^\d+ \(.*\) \S \d+ \d+ (\d+) /s ? $1 : undef;
}

# every process of node $i: its pg_autoctl (the keeper's session), its postmaster and
# the postmaster's children
sub node_pids {
    my ($i) = @_;
    my $pm = postmaster_pid($i);
    my %p = map { $_ => 1 } _keeper_session($i), ($pm ? ($pm, _children($pm)) : ());
    return sort { $a <=> $b } keys %p;
}

# SIGKILL every process of node $i at once; returns how many
sub kill_node {
    my ($i) = @_;
    my @p = node_pids($i);
    kill 'KILL', @p;
    return scalar @p;
}

# SIGKILL node $i's postmaster only: the keeper and the backends stay
sub kill_postmaster {
    my ($i) = @_;
    my $pm = postmaster_pid($i) // return 0;
    return kill 'KILL', $pm;
}

# signal_children($i, $sig, qr/walreceiver/): $sig to the children of node $i's postmaster
# whose title matches; returns their pids
sub signal_children {
    my ($i, $sig, $re) = @_;
    my $pm = postmaster_pid($i) // return ();
    my @p = grep { _cmdline($_) =~ $re } _children($pm);
    kill $sig, @p if @p;
    return @p;
}

# start node $i's keeper again (scripts/ha-node.sh)
sub start_node {
    my ($i) = @_;
    my $root = $ENV{SMSCAMP_ROOT} // '.';
    system("$root/scripts/ha-node.sh", $DIR, $ENV{SMSCAMP_HA_BASE_PORT}, 'start', $i) == 0
        or die "could not start node$i again\n";
}

# autoctl_set($i, qw(node replication-quorum false)): pg_autoctl set ... on node $i, and
# until the formation has applied it (the monitor refuses a change while the primary is
# in apply_settings)
sub autoctl_set {
    my ($i, @args) = @_;
    my $root = $ENV{SMSCAMP_ROOT} // '.';
    wait_settled(60) or die "the formation is not settled before pg_autoctl set @args\n";
    # its answer (the new value) is not TAP, and pg_autoctl 2.0 logs errors of its own
    # (a get_nodes call with a garbage group) on every set: both into log/autoctl-set.log
    my $log = "$DIR/log/autoctl-set.log";
    open(my $saved_out, '>&', \*STDOUT) or die "dup STDOUT: $!\n";
    open(my $saved_err, '>&', \*STDERR) or die "dup STDERR: $!\n";
    open(STDOUT, '>>', $log) or die "$log: $!\n";
    open(STDERR, '>&', \*STDOUT) or die "STDERR: $!\n";
    my $rc = system("$root/scripts/ha-node.sh", $DIR, $ENV{SMSCAMP_HA_BASE_PORT}, 'set', $i, @args);
    open(STDOUT, '>&', $saved_out) or die "restore STDOUT: $!\n";
    open(STDERR, '>&', $saved_err) or die "restore STDERR: $!\n";
    $rc == 0 or die "pg_autoctl set @args on node$i failed (see $log)\n";
    Time::HiRes::sleep(0.5);
    wait_settled(60) or die "the formation did not settle after pg_autoctl set @args\n";
}

my $http = HTTP::Tiny->new(timeout => 2);

sub health_code {
    my $r = $http->get(base_url() . '/api/health');
    return $r->{status};
}

# until /api/health answers 200 through nginx; returns the seconds it took, or undef
sub wait_health_ok {
    my ($timeout) = @_;
    my $t0 = Time::HiRes::time();
    while (Time::HiRes::time() - $t0 < $timeout) {
        return Time::HiRes::time() - $t0 if health_code() == 200;
        Time::HiRes::sleep(0.2);
    }
    return undef;
}

1;
