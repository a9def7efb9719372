# A campaign across two PL/Proxy shards, through nginx on the router (make test-shards,
# sql/shard/router.sql): leads go to the shard of their phone's hash and are read back
# through the shard their id names; a shard's error keeps its status and JSON through
# the router (PL/Proxy's remote-error prefix stripped by the module); the campaign is
# created, started and read on both shards under one id, each shard's workers send its own
# leads, the router's counts are the sums of the shards' own, and every lead is sent once.
use strict;
use warnings;
use Test::More;
use File::Temp ();
use JSON::PP qw(decode_json);
use Time::HiRes qw(time sleep);

use Smscamp::Test;
use Smscamp::Engine qw(fake_reset fake_config fake_recipients wait_for);

my @SHARDS = split /,/, ($ENV{SMSCAMP_SHARD_PORTS} // die "SMSCAMP_SHARD_PORTS is not set (make test-shards)\n");

# $sql on shard $k's database
sub shard_sql {
    my ($k, $sql) = @_;
    local $ENV{PGPORT} = $SHARDS[$k];
    local $ENV{PGHOST} = '127.0.0.1';
    return psql($sql);
}

fake_reset();
fake_config({ sms_latency_ms => 20 });

my $N = 200;
my $tag = 'Shard' . int(time) % 100000;
my (@ids, %phone_of);
for my $i (1 .. $N) {
    my $phone = sprintf '+1415%03d%04d', 201 + $i % 7, $i;     # San Francisco, exchanges 201-207
    my $r = api(POST => '/api/leads', { name => "$tag Lead $i", phone => $phone, company => 'Shard Co' });
    if ($r->{status} != 201) { diag "lead $i: $r->{status} $r->{body}"; last }
    push @ids, $r->{json}{id};
    $phone_of{ $r->{json}{id} } = $r->{json}{phone};
}
is(scalar @ids, $N, "$N leads created through the router");
my @per_shard = map { shard_sql($_, "SELECT count(*) FROM leads WHERE name LIKE '$tag %'") + 0 } 0 .. $#SHARDS;
cmp_ok($per_shard[$_], '>', 0, "shard$_ holds some of them ($per_shard[$_])") for 0 .. $#SHARDS;
is($per_shard[0] + $per_shard[1], $N, "every lead is on one shard ($per_shard[0] + $per_shard[1])");
is(shard_sql($_, "SELECT count(*) FROM leads WHERE name LIKE '$tag %' AND (id - 1) % 2 <> $_") + 0, 0,
   "the lead ids of shard$_ name it") for 0 .. $#SHARDS;

my $ok = 1;
for my $id (@ids[0 .. 19]) {
    my $r = api(GET => "/api/leads/$id");
    $ok &&= $r->{status} == 200 && $r->{json}{phone} eq $phone_of{$id};
}
ok($ok, 'GET /api/leads/{id} finds each lead on the shard its id names');

# a shard's errors through the router: the same status and JSON as on one database
my $dup = api(POST => '/api/leads', { name => 'Twin', phone => $phone_of{ $ids[0] } });
is($dup->{status}, 409, 'a phone that exists: 409 from its shard');
my $bad = api(POST => '/api/leads', { name => 'Bad', phone => 'not a phone' });
is($bad->{status}, 422, 'an invalid lead: 422 (SQLSTATE SC422 raised by the shard)');
is(ref $bad->{json}{detail}, 'ARRAY', '... with its JSON body, not PL/Proxy\'s "REMOTE ERROR" text')
    or diag $bad->{body};
# what the module gets from the router: the shard's JSON behind PL/Proxy's prefix
my $sqlf = File::Temp->new(SUFFIX => '.sql');
print $sqlf q{SELECT * FROM api.leads_create('{"name": "Bad", "phone": "not a phone"}');};
close $sqlf;
my $raw = `psql -X -q -d smscamp -f @{[ $sqlf->filename ]} 2>&1`;
like($raw, qr/\[smscamp\] REMOTE ERROR: \{/, 'the router raises it as "...: [smscamp] REMOTE ERROR: {...}"')
    or diag $raw;
is(api(GET => '/api/leads/abc')->{status}, 422, 'a bad lead id: 422');
is(api(GET => '/api/leads/999999999')->{status}, 404, 'an unknown lead id: 404');

# the campaign: on both shards under one id
my $c = api(POST => '/api/campaigns', { name => "$tag campaign", sms_template => 'Hi {first_name}, we open on Monday.',
                                         send_window => undef, lead_filter => "$tag Lead" });
is($c->{status}, 201, 'campaign created on every shard') or diag $c->{body};
my $cid = $c->{json}{id};
is($c->{json}{stats}{total_leads}, $N, "its leads: the sum of the shards' ($N)");
is(shard_sql($_, "SELECT count(*) FROM campaigns WHERE id = $cid AND name = '$tag campaign'") + 0, 1,
   "shard$_ has campaign $cid") for 0 .. $#SHARDS;

my $s = api(POST => "/api/campaigns/$cid/start");
is($s->{status}, 202, 'started on every shard') or diag $s->{body};

my $last;
ok(wait_for(90, sub { $last = api(GET => "/api/campaigns/$cid"); ($last->{json}{status} // '') eq 'completed' }, 0.5),
   'the campaign completes on both shards') or diag $last->{body};
my $st = $last->{json}{stats};
my @sent = map { shard_sql($_, "SELECT count(*) FROM campaign_leads WHERE campaign_id = $cid AND status IN ('sent', 'delivered')") + 0 } 0 .. $#SHARDS;
is($st->{leads_by_status}{sent} + $st->{leads_by_status}{delivered}, $sent[0] + $sent[1],
   "the router's sent count is the shards' sum ($sent[0] + $sent[1])");
is($sent[0] + $sent[1], $N, "every lead sent");
is($st->{total_leads}, $N, 'total_leads summed');
cmp_ok($st->{progress}, '==', 100, 'progress from the sums: 100');

# the dashboard: each shard's counters summed, the campaigns (global) counted once
my $dash = api(GET => '/api/dashboard/stats');
is($dash->{status}, 200, 'GET /api/dashboard/stats through the router');
my @own = map { decode_json(shard_sql($_, q{SELECT (api.dashboard_stats()).body})) } 0 .. $#SHARDS;
is($dash->{json}{total_leads}, $own[0]{total_leads} + $own[1]{total_leads},
   "total_leads: the shards' sum ($own[0]{total_leads} + $own[1]{total_leads})");
is($dash->{json}{total_messages_sent}, $own[0]{total_messages_sent} + $own[1]{total_messages_sent},
   'total_messages_sent: the sum');
is($dash->{json}{total_campaigns}, $own[0]{total_campaigns}, 'total_campaigns: once, not once per shard');
my ($h0, $h1, $h) = map { my $t = 0; $t += $_ for @{ $_->{messages_per_hour} }; $t } @own, $dash->{json};
is($h, $h0 + $h1, "messages_per_hour: summed hour by hour ($h0 + $h1)");

my %n = %{ fake_recipients() };
is(scalar(keys %n), $N, "the fake received $N recipients");
is(scalar(grep { $n{$_} > 1 } keys %n), 0, 'each once');
is(scalar(grep { !$n{ $phone_of{$_} } } @ids), 0, 'each lead\'s phone among them');

done_testing;
