#!/usr/bin/perl
# End to end over HTTP, with the background workers, the built-in writer and
# the "log" SMS provider (the defaults: offline): leads (one opted out by an
# inbound STOP), a campaign without quiet hours, start, wait until completed,
# then every lead's status, message, segments and cost, the processing logs
# (validate_lead, sms_agent, finalize) and the dashboard totals.
use strict;
use warnings;
use FindBin;
use lib ($ENV{SMSCAMP_ROOT} ? "$ENV{SMSCAMP_ROOT}/t/lib" : "$FindBin::Bin/../lib");
use Test::More;
use Time::HiRes qw(sleep time);
use Smscamp::Test;

my $TIMEOUT = 30;    # seconds for the campaign to complete
my $FOOTER = psql(q{SELECT coalesce(current_setting('smscamp.optout_footer', true), 'Reply STOP to opt out')});
my $PRICE = psql(q{SELECT current_setting('smscamp.price_per_segment', true)});

my $d0 = api(GET => '/api/dashboard/stats')->{json} or BAIL_OUT('no dashboard');

# ---------------------------------------------------------------- leads
my $tok = unique_token();
my @people = (['Grace', 'Hopper', 'Navy Labs'], ['Alan', 'Turing', 'Bletchley Park'],
              ['Edsger', 'Dijkstra', 'Mathematisch Centrum']);
my @leads = map { create_lead(name => "$_->[0] $_->[1] $tok", company => $_->[2],
                              email => lc("$_->[0].$tok\@example.com")) } @people;
my $stop = create_lead(name => "Opted Out $tok");
(my $from = $stop->{phone}) =~ s/\+/%2B/;
my $res = webhook('/api/webhooks/sms/inbound', "From=$from&To=%2B15005550006&Body=STOP&MessageSid=SM$tok");
is($res->{status}, 200, 'the opted-out lead texts STOP: 200') or diag res_summary($res);
is($res->{json}{action}, 'opt_out', '... recorded as an opt-out');

# ---------------------------------------------------------------- campaign
$res = api(POST => '/api/campaigns', {
    name => "E2E $tok", description => 'end to end', agent_type => 'sms',
    sms_system_prompt => 'Invite them to the launch of our new scheduling app next Tuesday.',
    sms_temperature => 70, send_window => undef,
    lead_ids => [(map { $_->{id} } @leads), $stop->{id}],
});
is($res->{status}, 201, 'campaign created') or BAIL_OUT('cannot create the campaign: ' . res_summary($res));
my $c = $res->{json};
is($c->{send_window}, undef, 'no quiet hours (send_window null)');
is($c->{stats}{total_leads}, 4, 'four leads');

$res = api(POST => "/api/campaigns/$c->{id}/start");
is($res->{status}, 202, 'POST /start: 202') or diag res_summary($res);

my $t0 = time;
my $cur = campaign_finished($c->{id}, $TIMEOUT);
is($cur->{status}, 'completed', sprintf('the campaign completes (%.1f s)', time - $t0))
    or diag explain $cur, psql(q{SELECT string_agg(id || ' ' || status || ' ' || coalesce(error_message, ''), E'\n')
                                   FROM campaign_leads WHERE campaign_id = :'c'}, c => $c->{id});

# ---------------------------------------------------------------- each lead
$res = api(GET => "/api/campaigns/$c->{id}/leads?limit=500");
is($res->{json}{total}, 4, 'GET /leads: four campaign leads');
my %by_lead = map { $_->{lead_id} => $_ } @{ $res->{json}{items} || [] };
my ($segments, $cost) = (0, 0);
for my $i (0 .. $#leads) {
    my $first = $people[$i][0];
    my $cl = $by_lead{ $leads[$i]{id} } || {};
    is($cl->{status}, 'sent', "$first: sent");
    ok($cl->{sms_sent}, "$first: sms_sent");
    my $msg = $cl->{sms_message} // '';
    ok(length $msg, "$first: a message was written") or next;
    like($msg, qr/\Q$first\E/, "$first: the message is personalised (has the first name)");
    like($msg, qr/\Q$FOOTER\E/, "$first: the message has the opt-out footer");
    is($cl->{sms_segments}, psql(q{SELECT smscamp_sms_segments(:'m')}, m => $msg), "$first: segments as counted");
    cmp_ok($cl->{sms_segments}, '>=', 1, "$first: at least one segment");
    cmp_ok($cl->{sms_segments}, '<=', 2, "$first: at most smscamp.max_segments (2)");
    is(sprintf('%.4f', $cl->{sms_cost} // -1), sprintf('%.4f', $cl->{sms_segments} * $PRICE),
       "$first: cost = segments x price_per_segment");
    ok(defined $cl->{processed_at}, "$first: processed_at");
    ok(length($cl->{trace_id} // ''), "$first: trace_id");
    is($cl->{error_message}, undef, "$first: no error");
    is(psql(q{SELECT count(*) || ' ' || bool_and(body = :'m' AND to_phone = :'p')
                FROM sms_outbox WHERE campaign_lead_id = :'id'}, id => $cl->{id}, m => $msg, p => $leads[$i]{phone}),
       '1 true', "$first: exactly one SMS in the outbox, to the lead, with the message");
    $segments += $cl->{sms_segments};
    $cost += $cl->{sms_cost};
}
my $skipped = $by_lead{ $stop->{id} } || {};
is($skipped->{status}, 'skipped', 'the opted-out lead is skipped');
ok(!$skipped->{sms_sent}, '... not sent');
like($skipped->{error_message} // '', qr/opted out/, '... because it opted out');
is(psql(q{SELECT count(*) FROM sms_outbox WHERE campaign_lead_id = :'id'}, id => $skipped->{id} // 0), '0',
   '... nothing in the outbox');

# ---------------------------------------------------------------- logs
$res = api(GET => "/api/campaigns/$c->{id}/logs?limit=500");
is($res->{status}, 200, 'GET /logs: 200') or diag res_summary($res);
my %nodes;
push @{ $nodes{ $_->{campaign_lead_id} } }, $_ for @{ $res->{json}{items} || [] };
for my $i (0 .. $#leads) {
    my $first = $people[$i][0];
    my @n = map { $_->{node_name} } @{ $nodes{ $by_lead{ $leads[$i]{id} }{id} // 0 } || [] };
    is($n[0], 'validate_lead', "$first: the first log is validate_lead");
    ok((grep { $_ eq 'sms_agent' } @n), "$first: sms_agent logged");
    is($n[-1], 'finalize', "$first: the last log is finalize");
}
{
    my @logs = @{ $nodes{ $skipped->{id} // 0 } || [] };
    my ($v) = grep { $_->{node_name} eq 'validate_lead' } @logs;
    is($v->{level}, 'warning', 'opted-out lead: validate_lead logs a warning');
    ok(!grep({ $_->{node_name} eq 'sms_agent' } @logs), 'opted-out lead: no sms_agent step');
    ok((grep { $_->{node_name} eq 'finalize' } @logs), 'opted-out lead: finalize logged');
}
is(api(GET => "/api/campaigns/$c->{id}/logs?node=validate_lead")->{json}{total}, 4, '?node=validate_lead: one per lead');
is(api(GET => "/api/campaigns/$c->{id}/logs?campaign_lead_id=$skipped->{id}")->{json}{total},
   scalar @{ $nodes{ $skipped->{id} // 0 } || [] }, '?campaign_lead_id= filters');

# ---------------------------------------------------------------- campaign stats
my $s = $cur->{stats} || {};
is($s->{total_leads}, 4, 'stats: total_leads 4');
is($s->{leads_by_status}{sent}, 3, 'stats: 3 sent');
is($s->{leads_by_status}{skipped}, 1, 'stats: 1 skipped');
is($s->{total_messages_sent}, 3, 'stats: total_messages_sent 3');
is($s->{total_messages_failed}, 0, 'stats: total_messages_failed 0');
is($s->{total_messages_pending}, 0, 'stats: total_messages_pending 0');
is($s->{total_segments}, $segments, 'stats: total_segments = the sum of the leads');
is(sprintf('%.4f', $s->{total_cost}), sprintf('%.4f', $cost), 'stats: total_cost = the sum of the leads');
is($s->{success_rate}, 100, 'stats: success_rate 100');
is($s->{progress}, 100, 'stats: progress 100');
ok(defined $cur->{started_at} && defined $cur->{completed_at}, 'started_at and completed_at set');
is(psql(q{SELECT (:'a')::timestamptz <= (:'b')::timestamptz}, a => $cur->{started_at} // 'epoch',
        b => $cur->{completed_at} // 'epoch'), 't', 'started before completed');

# ---------------------------------------------------------------- dashboard
my $d1 = api(GET => '/api/dashboard/stats')->{json} || {};
is($d1->{total_leads} - $d0->{total_leads}, 4, 'dashboard: +4 leads');
is($d1->{total_campaigns} - $d0->{total_campaigns}, 1, 'dashboard: +1 campaign');
is($d1->{campaigns_by_status}{completed} - $d0->{campaigns_by_status}{completed}, 1, 'dashboard: +1 completed campaign');
is($d1->{total_messages_sent} - $d0->{total_messages_sent}, 3, 'dashboard: +3 messages sent');
is($d1->{total_messages_failed} - $d0->{total_messages_failed}, 0, 'dashboard: no more failed');
is($d1->{total_messages_pending} - $d0->{total_messages_pending}, 0, 'dashboard: nothing left pending');
is($d1->{total_segments} - $d0->{total_segments}, $segments, 'dashboard: + the segments');
is(sprintf('%.4f', $d1->{total_cost} - $d0->{total_cost}), sprintf('%.4f', $cost), 'dashboard: + the cost');
my @h0 = @{ $d0->{messages_per_hour} || [] };
my @h1 = @{ $d1->{messages_per_hour} || [] };
is(($h1[23] // 0) + ($h1[22] // 0) - ($h0[23] // 0) - ($h0[22] // 0)
       + ($d1->{messages_per_hour_from} eq $d0->{messages_per_hour_from} ? 0 : ($h0[22] // 0)),
   3, 'dashboard: messages_per_hour counts the 3 messages in the current hour');

# ---------------------------------------------------------------- a delivery receipt
my $sid = psql(q{SELECT sms_sid FROM campaign_leads WHERE id = :'id'}, id => $by_lead{ $leads[0]{id} }{id} // 0);
ok(length $sid, "the sent lead has the provider's sid ($sid)");
$res = webhook('/api/webhooks/sms/status', "MessageSid=$sid&MessageStatus=delivered");
is($res->{json}{status}, 'delivered', 'a delivery receipt marks it delivered');
my $d2 = api(GET => '/api/dashboard/stats')->{json} || {};
is($d2->{total_messages_sent}, $d1->{total_messages_sent}, 'delivered messages still count as sent');
is(api(GET => "/api/campaigns/$c->{id}")->{json}{stats}{leads_by_status}{delivered}, 1, 'the campaign counts it delivered');

done_testing();
