# The primary dies, whole (SIGKILL of its postmaster, its backends and its pg_autoctl),
# in the middle of a 2,000-lead campaign against the fake providers (SMS latency 200 ms):
# a standby is promoted, nginx answers /api/health within 30 s, the campaign completes
# with every lead sent or unknown (unknown at most the leads that were "sending" when the
# node died), no recipient gets two messages, and the old node rejoins as a standby.
use strict;
use warnings;
use Test::More;
use Time::HiRes qw(time sleep);

use Smscamp::Test;
use Smscamp::Engine;
use Smscamp::HA;

ok(wait_settled(120), 'the formation is settled: one primary, two secondaries') or BAIL_OUT('no formation');
my $old = use_primary();
is(node_sql($old, 'SHOW smscamp.durable_marks'), 'on', "node$old checks that its marks are on a standby");

fake_reset();
fake_config({ sms_latency_ms => 200 });
my $leads = make_leads(2000);
my $cid = create_campaign(messages_per_second => 100, name => 'ha kill primary');
add_leads($cid, $leads);
start_campaign($cid);

ok(wait_for(60, sub { (fake_get('/_fake/stats')->{messages} // 0) >= 300 }, 0.05),
   'about 300 leads sent before the kill') or BAIL_OUT('the campaign did not get going');

# freeze the workers so that what is "sending" can be counted, then kill the whole node
my @workers = signal_children($old, 'STOP', qr/smscamp worker/);
is(scalar @workers, 2, "node$old: its two workers frozen");
# on the standbys, once they have all the primary wrote: a mark whose commit a frozen
# worker had flushed, but not yet made visible on the primary, is "sending" there
my $sending = standby_sql_caught_up($old,
    "SELECT count(*) FROM campaign_leads WHERE campaign_id = $cid AND status = 'sending'");
ok(defined $sending, 'the standbys have replayed all the primary wrote') or $sending = 0;
my $sent_before = fake_get('/_fake/stats')->{messages};
my $killed = kill_node($old);
my $t_kill = time;
note "killed node$old ($killed processes) with $sent_before messages sent and $sending leads sending";

my $took = wait_health_ok(30);
ok(defined $took, sprintf('/api/health answers 200 through nginx within 30 s (%.1f s)', $took // -1));
my $new = use_primary();
isnt($new, $old, "node$new is the primary now");

my $status = wait_campaign($cid, 120, qw(completed failed paused cancelled));
is($status, 'completed', sprintf('the campaign completed (%.1f s after the kill)', time - $t_kill));
sleep 1;
my $counts = lead_counts($cid);
my $sent = $counts->{sent} // 0;
my $unknown = $counts->{unknown} // 0;
is($sent + $unknown, 2000, 'every lead sent or unknown (' .
   join(', ', map { "$_ $counts->{$_}" } sort keys %$counts) . ')');
cmp_ok($unknown, '<=', $sending, "unknown ($unknown) at most the leads sending at the kill ($sending)");

my %n = %{ fake_recipients() };
my @twice = grep { $n{$_} > 1 } keys %n;
is(scalar @twice, 0, 'no recipient got two messages') or diag "twice: @twice[0 .. ($#twice < 4 ? $#twice : 4)]";
cmp_ok(scalar(keys %n), '>=', $sent, 'every lead recorded sent was received by the fake');

start_node($old);
ok(wait_settled(120), "node$old rejoined: " . node_state($old));
is(node_state($old), 'secondary/secondary', "node$old is a standby now");
ok(node_sql($new, q{SELECT count(*) FROM pg_stat_activity WHERE backend_type = 'pg_cron launcher'}) == 1
   && node_sql($old, q{SELECT count(*) FROM pg_stat_activity WHERE backend_type IN ('pg_cron launcher', 'smscamp worker')}) == 0,
   "pg_cron and the workers run on the primary (node$new) only");
# its jobs run there: smscamp_stats_compact every minute, since the kill
ok(wait_for(70, sub {
       node_sql($new, q{SELECT count(*) FROM cron.job_run_details WHERE status = 'succeeded'
                        AND start_time > now() - interval '65 seconds'}) > 0 }, 1),
   "node$new runs the pg_cron jobs") or
   diag node_sql($new, q{SELECT string_agg(status || ': ' || coalesce(return_message, ''), '; ')
                         FROM (SELECT * FROM cron.job_run_details ORDER BY start_time DESC LIMIT 3) d});

done_testing;
