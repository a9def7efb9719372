#!/usr/bin/perl
# Dashboard: GET /api/dashboard/stats (totals kept by triggers, not counted
# per request) and GET /api/dashboard/recent-campaigns.
use strict;
use warnings;
use FindBin;
use lib ($ENV{SMSCAMP_ROOT} ? "$ENV{SMSCAMP_ROOT}/t/lib" : "$FindBin::Bin/../lib");
use Test::More;
use Time::HiRes qw(time);
use Smscamp::Test;

my @KEYS = qw(total_leads total_campaigns campaigns_by_status total_campaign_leads
              total_messages_sent total_messages_failed total_messages_pending total_segments
              total_cost success_rate messages_per_hour messages_per_hour_from);
my @CAMPAIGN_STATUSES = qw(draft scheduled pending processing paused completed failed cancelled);
my $NUM = qr/^-?\d+(?:\.\d+)?$/;

my $res = api(GET => '/api/dashboard/stats');
is_json_response($res, 200, 'GET /api/dashboard/stats: 200 JSON');
my $d0 = $res->{json} || {};
ok(exists $d0->{$_}, "has '$_'") for @KEYS;
is_deeply([sort keys %{ $d0->{campaigns_by_status} || {} }], [sort @CAMPAIGN_STATUSES],
          'campaigns_by_status has every campaign status');
like($d0->{$_} // '', $NUM, "$_ is a number")
    for grep { $_ ne 'campaigns_by_status' && $_ ne 'success_rate' && $_ !~ /^messages_per_hour/ } @KEYS;
my $outcomes = psql(q{SELECT count(*) FROM campaign_leads WHERE status IN ('sent', 'delivered', 'failed', 'undelivered')});
if ($outcomes > 0) {
    like($d0->{success_rate} // '', $NUM, 'success_rate is a number once a message has an outcome');
} else {
    is($d0->{success_rate}, undef, 'success_rate is null while no message has an outcome (the UI shows "—")');
}
is(ref $d0->{messages_per_hour}, 'ARRAY', 'messages_per_hour is a list');
is(scalar @{ $d0->{messages_per_hour} || [] }, 24, '... of 24 numbers');
ok(!grep({ !defined $_ || $_ !~ /^\d+$/ } @{ $d0->{messages_per_hour} || [] }), '... each a count');
my $sum = 0;
$sum += $_ for values %{ $d0->{campaigns_by_status} || {} };
is($d0->{total_campaigns}, $sum, 'total_campaigns is the sum of campaigns_by_status');
cmp_ok($d0->{success_rate} // 0, '>=', 0, 'success_rate >= 0');
cmp_ok($d0->{success_rate} // 0, '<=', 100, 'success_rate <= 100');

# the numbers are the database's
is($d0->{total_leads}, psql('SELECT count(*) FROM leads'), 'total_leads = the leads in the table');
is($d0->{total_campaigns}, psql('SELECT count(*) FROM campaigns'), 'total_campaigns = the campaigns in the table');
is($d0->{total_campaign_leads}, psql('SELECT count(*) FROM campaign_leads'), 'total_campaign_leads');
is($d0->{total_messages_sent}, psql(q{SELECT count(*) FROM campaign_leads WHERE status IN ('sent', 'delivered')}),
   'total_messages_sent = campaign leads sent or delivered');
is($d0->{total_messages_failed}, psql(q{SELECT count(*) FROM campaign_leads WHERE status IN ('failed', 'undelivered')}),
   'total_messages_failed = failed or undelivered');
my $PENDING_SQL = q{SELECT count(*) FROM campaign_leads cl JOIN campaigns c ON c.id = cl.campaign_id
                     WHERE cl.status IN ('pending', 'processing', 'sending')
                       AND c.status IN ('pending', 'processing', 'paused')};
is($d0->{total_messages_pending}, psql($PENDING_SQL),
   'total_messages_pending = pending, processing or sending leads of running or paused campaigns');

# it follows changes
my $tok = unique_token();
my @leads = map { create_lead(name => "Dash $tok $_") } 1 .. 3;
my $c = api(POST => '/api/campaigns', { name => "Dash $tok", lead_ids => [map { $_->{id} } @leads] })->{json};
my $dd = api(GET => '/api/dashboard/stats')->{json} || {};
is($dd->{total_messages_pending}, $d0->{total_messages_pending},
   "a draft's three pending leads are not pending messages: the draft is not sending");
# (the status alone, past the transition rules: a draft is not paused through the API)
my $set_status = sub {
    psql(q{BEGIN;
           ALTER TABLE campaigns DISABLE TRIGGER campaigns_status_transition;
           UPDATE campaigns SET status = :'s' WHERE id = :'c';
           ALTER TABLE campaigns ENABLE TRIGGER campaigns_status_transition;
           COMMIT;}, c => $c->{id}, s => $_[0]);
};
$set_status->('paused');
$dd = api(GET => '/api/dashboard/stats')->{json} || {};
is($dd->{total_messages_pending} - $d0->{total_messages_pending}, 3, '... once paused, they are');
is($dd->{total_messages_pending}, psql($PENDING_SQL), '... as the database counts them');
$set_status->('draft');
psql(q{UPDATE campaign_leads SET status = 'processing' WHERE campaign_id = :'c'}, c => $c->{id});
psql(q{UPDATE campaign_leads SET status = 'sent', sms_sent = true, sms_segments = 2, sms_cost = 0.0158,
              processed_at = now() WHERE campaign_id = :'c' AND lead_id <> :'l'}, c => $c->{id}, l => $leads[2]{id});
psql(q{UPDATE campaign_leads SET status = 'failed', processed_at = now() WHERE campaign_id = :'c' AND lead_id = :'l'},
     c => $c->{id}, l => $leads[2]{id});
my $d1 = api(GET => '/api/dashboard/stats')->{json} || {};
is($d1->{total_leads} - $d0->{total_leads}, 3, 'three more leads');
is($d1->{total_campaigns} - $d0->{total_campaigns}, 1, 'one more campaign');
is($d1->{campaigns_by_status}{draft} - $d0->{campaigns_by_status}{draft}, 1, 'one more draft');
is($d1->{total_messages_sent} - $d0->{total_messages_sent}, 2, 'two more messages sent');
is($d1->{total_messages_failed} - $d0->{total_messages_failed}, 1, 'one more failed');
is($d1->{total_segments} - $d0->{total_segments}, 4, 'four more segments');
is(sprintf('%.4f', $d1->{total_cost} - $d0->{total_cost}), '0.0316', 'cost of the two messages');
my $hour_delta = ($d1->{messages_per_hour}[23] + $d1->{messages_per_hour}[22])
               - ($d0->{messages_per_hour}[23] + $d0->{messages_per_hour}[22]);
is($hour_delta, 2, 'messages_per_hour: the current hour counts the two messages');
is($d1->{success_rate}, psql(q{SELECT round(100.0 * count(*) FILTER (WHERE status IN ('sent', 'delivered'))
                                      / nullif(count(*) FILTER (WHERE status IN ('sent', 'delivered', 'failed', 'undelivered')), 0), 1)
                                 FROM campaign_leads}),
   'success_rate = sent / (sent + failed), percent');
my $cs = api(GET => "/api/campaigns/$c->{id}")->{json}{stats} || {};
is_deeply([@$cs{qw(total_leads total_messages_sent total_messages_failed total_messages_pending total_segments success_rate progress)}],
          [3, 2, 1, 0, 4, '66.7', 100], "the campaign's stats use the same names");

# fast: read from counters
my $t = time;
api(GET => '/api/dashboard/stats') for 1 .. 20;
my $avg_ms = (time - $t) * 1000 / 20;
cmp_ok($avg_ms, '<', 100, sprintf('GET /api/dashboard/stats answers quickly (%.1f ms average over HTTP)', $avg_ms));

# ---------------------------------------------------------------- recent campaigns
my @more = map { api(POST => '/api/campaigns', { name => "Recent $tok $_" })->{json}{id} } 1 .. 6;
$res = api(GET => '/api/dashboard/recent-campaigns');
is_json_response($res, 200, 'GET /api/dashboard/recent-campaigns: 200');
is_deeply([sort keys %{ $res->{json} || {} }], [qw(items limit offset total)], 'the list envelope');
is($res->{json}{limit}, 5, 'default limit 5');
is_deeply([map { $_->{id} } @{ $res->{json}{items} || [] }], [reverse @more[1 .. 5]], 'the 5 latest, newest first');
ok(ref $res->{json}{items}[0]{stats} eq 'HASH', 'each with its stats');
is($res->{json}{total}, psql('SELECT count(*) FROM campaigns'), 'total = every campaign');
$res = api(GET => '/api/dashboard/recent-campaigns?limit=2');
is_deeply([map { $_->{id} } @{ $res->{json}{items} || [] }], [reverse @more[4 .. 5]], '?limit=2');
is(api(GET => '/api/dashboard/recent-campaigns?limit=1000')->{json}{limit}, 100, 'limit is clamped to 100');
is_fastapi_422(api(GET => '/api/dashboard/recent-campaigns?limit=abc'), [qw(query limit)], '?limit=abc: 422');
is_fastapi_422(api(GET => '/api/dashboard/recent-campaigns?limit=-2'), [qw(query limit)], '?limit=-2: 422');

done_testing();
