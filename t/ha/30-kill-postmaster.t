# Only the primary's postmaster dies (SIGKILL), in the middle of a campaign: its keeper
# starts PostgreSQL again; the workers of the old postmaster have exited, the new ones
# recover their leads (a lead that was "sending" becomes unknown, never sent again), the
# campaign completes, and no recipient gets two messages.
#
# "No failover" is a TODO test: pg_auto_failover 2.0 fails over when the keeper looks at
# PostgreSQL before it has restarted it. The keeper reports "not running" to the monitor
# until its first restart attempt (ReportPgIsRunning in src/bin/pg_autoctl/keeper.c: the
# grace of timeout.postgresql_restart_failure_timeout starts only after a failed start),
# and the monitor takes a primary that is not running as failed (IsUnhealthy in
# src/monitor/node_metadata.c). Here the restart takes about 0.8 s and the keeper looks
# every second, so most runs fail over; both outcomes must keep every lead sent once.
use strict;
use warnings;
use Test::More;
use Time::HiRes qw(time sleep);

use Smscamp::Test;
use Smscamp::Engine;
use Smscamp::HA;

ok(wait_settled(120), 'the formation is settled: one primary, two secondaries') or BAIL_OUT('no formation');
my $p = use_primary();
my $timeline = q{SELECT substr(pg_walfile_name(pg_current_wal_lsn()), 1, 8)};
my $tli = node_sql($p, $timeline);

fake_reset();
fake_config({ sms_latency_ms => 200 });
my $n = 2000;
my $leads = make_leads($n);
my $cid = create_campaign(messages_per_second => 100, name => 'ha kill the postmaster');
add_leads($cid, $leads);
start_campaign($cid);

ok(wait_for(60, sub { (fake_get('/_fake/stats')->{messages} // 0) >= 300 }, 0.05),
   'about 300 leads sent before the kill') or BAIL_OUT('the campaign did not get going');
my $pm = postmaster_pid($p);
ok(kill_postmaster($p), "node$p: postmaster $pm killed");
my $t_kill = time;

my $took = wait_health_ok(60);
ok(defined $took, sprintf('/api/health answers 200 again (%.1f s)', $took // -1));
ok(wait_for(60, sub { my $q = postmaster_pid($p); $q && $q != $pm }), "node$p runs a new postmaster (its keeper started it)");
sleep 5;    # the monitor decides on what the keeper reported around the restart
ok(wait_settled(120), 'the formation is settled again: ' . join(', ', map { "node$_->{node} $_->{reported}" } @{ node_states() }));
TODO: {
    local $TODO = 'pg_auto_failover 2.0 fails over when its keeper sees PostgreSQL down before restarting it';
    is(primary_node(), $p, "node$p is still the primary: no failover");
    is(node_sql(primary_node(), $timeline), $tli, "the same timeline ($tli)");
}
use_primary();

my $status = wait_campaign($cid, 120, qw(completed failed paused cancelled));
is($status, 'completed', sprintf('the campaign completed (%.1f s after the kill)', time - $t_kill));
my $counts = lead_counts($cid);
my ($sent, $unknown) = ($counts->{sent} // 0, $counts->{unknown} // 0);
is($sent + $unknown, $n, 'every lead sent or unknown (' .
   join(', ', map { "$_ $counts->{$_}" } sort keys %$counts) . ')');
my @twice = fake_recipients_twice();
is(scalar @twice, 0, 'no recipient got two messages') or diag "twice: @twice[0 .. ($#twice < 4 ? $#twice : 4)]";
cmp_ok(scalar @{ fake_messages() }, '>=', $sent, 'every lead recorded sent was received by the fake');

done_testing;
