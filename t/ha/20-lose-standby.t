# A standby dies, whole, in the middle of a campaign: with two standbys and
# number-sync-standbys 1 the other one acknowledges the commits, so sending goes on at the
# campaign's pace (the rate after the kill at least 0.8 times the rate before), every lead
# is sent once, and the standby rejoins when its keeper starts again.
use strict;
use warnings;
use Test::More;
use Time::HiRes qw(time sleep);

use Smscamp::Test;
use Smscamp::Engine;
use Smscamp::HA;

ok(wait_settled(120), 'the formation is settled: one primary, two secondaries') or BAIL_OUT('no formation');
my $p = use_primary();
my ($standby) = grep { $_ != $p } 1 .. scalar(ha_ports());

fake_reset();
fake_config({ sms_latency_ms => 200 });
my $n = 2500;
my $leads = make_leads($n);
my $cid = create_campaign(messages_per_second => 100, name => 'ha lose a standby');
add_leads($cid, $leads);
start_campaign($cid);

sub sent_count { fake_get('/_fake/stats')->{messages} // 0 }

# messages per second at the fake over $secs
sub rate_over {
    my ($secs) = @_;
    my ($c0, $t0) = (sent_count(), time);
    sleep $secs;
    return (sent_count() - $c0) / (time - $t0);
}

ok(wait_for(60, sub { sent_count() >= 200 }, 0.05), 'the campaign is sending') or BAIL_OUT('no sends');
my $before = rate_over(5);
my $killed = kill_node($standby);
note sprintf "killed node$standby (%d processes) at %.0f messages/s", $killed, $before;
my $after = rate_over(5);
cmp_ok($after, '>=', 0.8 * $before,
       sprintf('sending goes on at the same pace: %.0f messages/s after, %.0f before', $after, $before));
is(primary_node(), $p, "node$p is still the primary");

my $status = wait_campaign($cid, 120, qw(completed failed paused cancelled));
is($status, 'completed', 'the campaign completed');
my $counts = lead_counts($cid);
is($counts->{sent} // 0, $n, 'every lead sent (' . join(', ', map { "$_ $counts->{$_}" } sort keys %$counts) . ')');
my @twice = fake_recipients_twice();
is(scalar @twice, 0, 'no recipient got two messages') or diag "twice: @twice[0 .. ($#twice < 4 ? $#twice : 4)]";
is(scalar @{ fake_messages() }, $n, "the fake received $n messages");

start_node($standby);
ok(wait_settled(120), "node$standby rejoined: " . node_state($standby));

done_testing;
