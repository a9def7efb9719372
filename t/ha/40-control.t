# The control case: the formation made asynchronous (number-sync-standbys 0, every standby
# replication-quorum false), so a COMMIT returns before any standby has the WAL.
#  (a) With smscamp.durable_marks on, the workers see that their "sending" marks are on no
#      synchronous standby and hold the provider calls: nothing is sent, and the log says
#      why; with the check off the held calls go.
#  (b) With the check off (what smscamp did before it), replication stopped for 3 s (the
#      primary's WAL senders SIGSTOPped) in the middle of a 2,000-lead campaign and then
#      the primary killed: the promoted standby lacks the last marks, so their leads are
#      claimed and sent again. The test requires duplicates: it proves that
#      10-kill-primary.t would see the failure it guards against.
# The formation is made synchronous again at the end.
use strict;
use warnings;
use Test::More;
use Time::HiRes qw(time sleep);

use Smscamp::Test;
use Smscamp::Engine;
use Smscamp::HA;

ok(wait_settled(120), 'the formation is settled: one primary, two secondaries') or BAIL_OUT('no formation');
my $old = use_primary();
my @standbys = grep { $_ != $old } 1 .. scalar(ha_ports());

autoctl_set($old, qw(formation number-sync-standbys 0));
autoctl_set($_, qw(node replication-quorum false)) for @standbys;
ok(wait_for(30, sub { node_sql($old, 'SHOW synchronous_standby_names') eq '' }),
   'the formation is asynchronous: synchronous_standby_names is empty');

sub sent_count { fake_get('/_fake/stats')->{messages} // 0 }

# (a) the durability check holds the calls
fake_reset();
fake_config({ sms_latency_ms => 50 });
my $cid_a = create_campaign(name => 'ha control (a)');
add_leads($cid_a, make_leads(50));
my $log_from = node_sql($old, q{SELECT pg_current_logfile()});
start_campaign($cid_a);
ok(wait_for(20, sub {
       psql(q{SELECT count(*) FROM campaign_leads WHERE campaign_id = :'c' AND status = 'sending'},
            c => $cid_a) == 50 }),
   '(a) the 50 leads are marked "sending"');
sleep 2;
is(sent_count(), 0, '(a) none is sent: their marks are on no synchronous standby');
my $logf = "$ENV{SMSCAMP_HA_DIR}/node$old/" . $log_from;
ok(wait_for(15, sub { open(my $fh, '<', $logf) or return 0; local $/; (<$fh> // '') =~ /holding \d+ provider calls?/ }),
   '(a) the log says the worker holds them') or diag "log: $logf";
# off on every node: a promoted standby would check its marks too (ALTER SYSTEM works on a
# standby: it writes postgresql.auto.conf, no WAL)
for my $i (1 .. scalar(ha_ports())) {
    node_sql($i, q{ALTER SYSTEM SET smscamp.durable_marks = off});
    node_sql($i, q{SELECT pg_reload_conf()});
}
is(wait_campaign($cid_a, 60, qw(completed failed paused cancelled)), 'completed',
   '(a) with the check off, the held calls go and the campaign completes');
is(sent_count(), 50, '(a) 50 sent');

# (b) without the check, a failover sends some leads twice
fake_reset();
fake_config({ sms_latency_ms => 200 });
my $cid = create_campaign(messages_per_second => 100, name => 'ha control (b)');
add_leads($cid, make_leads(2000));
start_campaign($cid);
ok(wait_for(60, sub { sent_count() >= 300 }, 0.05), '(b) about 300 leads sent') or BAIL_OUT('no sends');
# the primary's WAL senders stopped, not the standbys' receivers: a stopped receiver would
# still read, once continued, the WAL waiting in its socket (loopback buffers hold seconds
# of it), and the standbys would miss nothing
my @senders = signal_children($old, 'STOP', qr/walsender/);
is(scalar @senders, 2, '(b) the WAL senders to both standbys stopped');
sleep 3;
my @workers = signal_children($old, 'STOP', qr/smscamp worker/);
my $sent_before = sent_count();
my $killed = kill_node($old);
note "killed node$old ($killed processes) with $sent_before messages sent";

my $took = wait_health_ok(60);
ok(defined $took, sprintf('(b) a standby is promoted: /api/health answers 200 (%.1f s)', $took // -1));
my $new = use_primary();
isnt($new, $old, "(b) node$new is the primary now");
is(wait_campaign($cid, 120, qw(completed failed paused cancelled)), 'completed', '(b) the campaign completed');
my @twice = fake_recipients_twice();
cmp_ok(scalar @twice, '>', 0, sprintf('(b) %d recipients got two messages: the failure the main test guards against',
                                      scalar @twice));

# the formation as it was: synchronous, the check on everywhere
start_node($old);
ok(wait_settled(120), "node$old rejoined: " . node_state($old));
for my $i (1 .. scalar(ha_ports())) {
    node_sql($i, q{ALTER SYSTEM RESET smscamp.durable_marks});
    node_sql($i, q{SELECT pg_reload_conf()});
}
autoctl_set($_, qw(node replication-quorum true)) for @standbys, $old;
autoctl_set($new, qw(formation number-sync-standbys 1));
ok(wait_for(30, sub { node_sql($new, 'SHOW synchronous_standby_names') =~ /^ANY 1 / }),
   'the formation is synchronous again: ' . node_sql($new, 'SHOW synchronous_standby_names'));
ok(wait_settled(60), 'and settled');
ok(wait_for(10, sub { node_sql($_, 'SHOW smscamp.durable_marks') eq 'on' }), "node$_ checks its marks again")
    for 1 .. scalar(ha_ports());

done_testing;
