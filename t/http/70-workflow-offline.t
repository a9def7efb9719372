#!/usr/bin/env perl
# The workflow end to end with the default settings: built-in writer (no
# API key), "log" SMS provider (sms_outbox). 200 leads (a few through the
# HTTP API, the rest in SQL; one opted out before it was added to the
# campaign, one after), a campaign started, the background workers run it:
# every lead ends sent or skipped, one outbox row per sent lead, logs of
# every node, a trace_id on every campaign lead, the campaign's counters.
# Then quiet hours with the workers: a campaign whose send window is closed
# in New York right now waits, without attempts.
use strict;
use warnings;

use FindBin;
use lib "$FindBin::Bin/../lib";
use Test::More;
use Time::HiRes qw(time sleep);

use Smscamp::Test;
use Smscamp::Engine;

# ---------------------------------------------------------------- defaults

is(psql('SHOW smscamp.sms_provider'), 'log', 'default SMS provider: log');
is(psql('SHOW smscamp.openai_api_key'), '', 'no API key: the built-in writer');
is(psql(q{SELECT column_default FROM information_schema.columns
           WHERE table_name = 'campaigns' AND column_name = 'messages_per_second'}),
   '0', 'messages_per_second defaults to 0 (unlimited)');

my @workers = worker_pids();
is(scalar @workers, 2, 'two smscamp workers by default (pg_stat_activity.backend_type)');
for my $pid (@workers) {
    my $cmd = '';
    if (open(my $fh, '<', "/proc/$pid/cmdline")) { local $/; $cmd = <$fh> // '' }
    like($cmd, qr/smscamp worker \d/, "worker $pid: its process title says smscamp worker");
}

# ---------------------------------------------------------------- leads

my @api_leads = map { create_lead(company => "Api Co $_") } 1 .. 3;
is(scalar @api_leads, 3, 'three leads created through POST /api/leads');
my $sql_leads = make_leads(197, company => sub { $_[0] % 3 ? "Company $_[0]" : undef });
my @leads = (
    (map { { id => $_->{id}, name => $_->{name}, phone => $_->{phone} } } @api_leads),
    @$sql_leads,
);
is(scalar @leads, 200, '200 leads');
for (@leads) { ($_->{first}) = $_->{name} =~ /^(\S+)/ }

my $opted_before = $leads[10];
my $opted_after = $leads[150];
psql(q{INSERT INTO opt_outs (phone, keyword) VALUES (:'p', 'STOP')}, p => $opted_before->{phone});

my $cid = create_campaign(prompt => 'You are a friendly rep for Sunny Roofs. Keep it short. '
                                    . 'Our spring sale on solar panels starts Monday!');
add_leads($cid, \@leads);
# opted out after it was assigned: validation must still catch it
psql(q{INSERT INTO opt_outs (phone, keyword, source) VALUES (:'p', 'STOP', 'test')}, p => $opted_after->{phone});

is(psql(q{SELECT count(*) FROM campaign_leads WHERE campaign_id = (:'c')::bigint}, c => $cid), 200,
   'the campaign has 200 leads');

# ---------------------------------------------------------------- run

my $t0 = time;
start_campaign($cid);
my $status = wait_campaign($cid, 30, qw(completed failed paused cancelled));
my $elapsed = time - $t0;
is($status, 'completed', sprintf('the campaign completed (%.1f s)', $elapsed))
    or diag explain lead_counts($cid);

my $counts = lead_counts($cid);
is_deeply($counts, { sent => 198, skipped => 2 }, 'every lead is sent, but the two opted out are skipped')
    or diag explain $counts;

my $rows = leads_of($cid);
my %by_lead = map { $_->{lead_id} => $_ } @$rows;
my $skip_b = $by_lead{ $opted_before->{id} };
my $skip_a = $by_lead{ $opted_after->{id} };
is($skip_b->{status}, 'skipped', 'the lead opted out before assignment is skipped');
is($skip_a->{status}, 'skipped', 'the lead opted out after assignment is skipped');
like(json_encode($skip_a->{validation_errors} // []), qr/opted out/i, 'validation_errors says opted out');
like($skip_a->{error_message} // '', qr/opted out/i, 'error_message says opted out');

my @sent = grep { $_->{status} eq 'sent' } @$rows;
my %first_of = map { $_->{id} => $_->{first} } @leads;
my @bad_msg = grep {
    my $m = $_->{sms_message} // '';
    !(index($m, $first_of{ $_->{lead_id} } . ',') >= 0
      && $m =~ /spring sale/ && $m =~ /Reply STOP to opt out\z/
      && ($_->{sms_segments} // 0) >= 1 && $_->{sms_segments} <= 2)
} @sent;
is(scalar @bad_msg, 0, 'every sent message greets its lead by first name, says the offer, '
                       . 'ends with the footer, fits 2 segments')
    or diag explain [ @bad_msg[0 .. ($#bad_msg < 2 ? $#bad_msg : 2)] ];
is(scalar(grep { !$_->{sms_sent} } @sent), 0, 'sms_sent is true on every sent lead');
is(scalar(grep { !defined $_->{processed_at} } @$rows), 0, 'processed_at is set on every lead');
is(scalar(grep { ($_->{attempts} // 0) != 1 } @sent), 0, 'every sent lead took exactly one attempt');
is(scalar(grep { defined $_->{claimed_by} } @$rows), 0, 'no lead is still claimed by a worker');

# costs and segments agree with the counting functions
is(psql(q{SELECT count(*) FROM campaign_leads
           WHERE campaign_id = (:'c')::bigint AND status = 'sent'
             AND (sms_segments IS DISTINCT FROM smscamp_sms_segments(sms_message)
                  OR sms_cost IS DISTINCT FROM smscamp_sms_cost(sms_message)
                  OR sms_encoding IS DISTINCT FROM smscamp_sms_encoding(sms_message))}, c => $cid),
   0, 'sms_segments, sms_cost, sms_encoding match the message');

# ---------------------------------------------------------------- outbox

my $outbox = psql_json(q{SELECT json_build_object(
        'rows', count(*), 'leads', count(DISTINCT b.campaign_lead_id),
        'phones', count(DISTINCT b.to_phone),
        'mismatch', count(*) FILTER (WHERE b.to_phone <> l.phone OR b.body <> cl.sms_message
                                       OR b.segments <> cl.sms_segments OR cl.status <> 'sent'))
      FROM sms_outbox b JOIN campaign_leads cl ON cl.id = b.campaign_lead_id
      JOIN leads l ON l.id = cl.lead_id
     WHERE cl.campaign_id = (:'c')::bigint}, c => $cid);
is($outbox->{rows}, 198, 'sms_outbox: 198 rows');
is($outbox->{leads}, 198, 'sms_outbox: exactly one row per sent lead');
is($outbox->{phones}, 198, 'sms_outbox: no phone twice');
is($outbox->{mismatch}, 0, 'sms_outbox rows carry the lead\'s phone, message and segments');
is(psql(q{SELECT count(*) FROM sms_outbox b JOIN leads l ON l.phone = b.to_phone
           WHERE l.id IN ((:'a')::bigint, (:'b')::bigint)},
        a => $opted_before->{id}, b => $opted_after->{id}), 0, 'nothing was sent to the opted-out leads');

# ---------------------------------------------------------------- logs, traces

my $logs = psql_json(q{SELECT json_object_agg(node_name, n) FROM (
        SELECT p.node_name, count(DISTINCT p.campaign_lead_id) AS n
          FROM processing_logs p JOIN campaign_leads cl ON cl.id = p.campaign_lead_id
         WHERE cl.campaign_id = (:'c')::bigint GROUP BY p.node_name) s}, c => $cid);
is($logs->{validate_lead}, 200, 'every lead has a validate_lead log');
is($logs->{sms_agent}, 198, 'every sent lead has an sms_agent log');
is($logs->{finalize}, 200, 'every lead has a finalize log');
is(psql(q{SELECT count(*) FROM processing_logs p JOIN campaign_leads cl ON cl.id = p.campaign_lead_id
           WHERE cl.campaign_id = (:'c')::bigint AND cl.status = 'skipped' AND p.node_name = 'sms_agent'}, c => $cid),
   0, 'a skipped lead never reaches sms_agent');
is(psql(q{SELECT count(*) FROM processing_logs p JOIN campaign_leads cl ON cl.id = p.campaign_lead_id
           WHERE cl.campaign_id = (:'c')::bigint AND p.metadata IS NULL}, c => $cid),
   0, 'every log row has metadata');
is(psql(q{SELECT count(*) FROM campaign_leads cl
           WHERE cl.campaign_id = (:'c')::bigint AND cl.status = 'sent'
             AND (SELECT array_agg(node_name ORDER BY id) FROM processing_logs p
                   WHERE p.campaign_lead_id = cl.id AND node_name IN ('validate_lead', 'finalize'))
                 IS DISTINCT FROM ARRAY['validate_lead', 'finalize']}, c => $cid),
   0, 'validate_lead is logged before finalize, once each');

my $traces = psql_json(q{SELECT json_build_object('missing', count(*) FILTER (WHERE coalesce(trace_id, '') = ''),
                                                  'distinct', count(DISTINCT trace_id))
                          FROM campaign_leads WHERE campaign_id = (:'c')::bigint}, c => $cid);
is($traces->{missing}, 0, 'every campaign lead has a trace_id');
is($traces->{distinct}, 200, 'the trace_ids are all different');

# ---------------------------------------------------------------- campaign totals

my $camp = campaign_row($cid);
ok(defined $camp->{started_at} && defined $camp->{completed_at}, 'started_at and completed_at are set');
my $totals = psql_json(q{SELECT json_build_object('sent', count(*) FILTER (WHERE status = 'sent'),
                                                  'segments', coalesce(sum(sms_segments) FILTER (WHERE sms_sent), 0),
                                                  'cost', coalesce(sum(sms_cost) FILTER (WHERE sms_sent), 0))
                          FROM campaign_leads WHERE campaign_id = (:'c')::bigint}, c => $cid);
if (psql(q{SELECT EXISTS (SELECT FROM pg_proc WHERE proname = 'smscamp_campaign_json')}) eq 't') {
    my $j = psql_json(q{SELECT smscamp_campaign_json((:'c')::bigint)}, c => $cid);
    my $s = $j->{stats};
    is($s->{total_leads}, 200, 'campaign stats: total_leads 200');
    is($s->{leads_by_status}{sent}, 198, 'campaign stats: 198 sent');
    is($s->{leads_by_status}{skipped}, 2, 'campaign stats: 2 skipped');
    is($s->{total_messages_pending}, 0, 'campaign stats: nothing pending');
    is($s->{total_segments}, $totals->{segments}, 'campaign stats: segments = the sum over the leads');
    cmp_ok(abs($s->{total_cost} - $totals->{cost}), '<', 0.00005, 'campaign stats: cost = the sum over the leads');
}
my $res = api(GET => "/api/campaigns/$cid");
if ($res->{status} == 200 && ref $res->{json} eq 'HASH') {
    is($res->{json}{status}, 'completed', 'GET /api/campaigns/{id}: completed');
    is($res->{json}{stats}{total_messages_sent}, 198, 'GET /api/campaigns/{id}: 198 messages sent');
} else {
    note("GET /api/campaigns/$cid answers $res->{status}: the campaign routes are not there yet");
}
$res = api(GET => '/api/dashboard/stats');
if ($res->{status} == 200 && ref $res->{json} eq 'HASH') {
    cmp_ok($res->{json}{total_messages_sent} // 0, '>=', 198, 'dashboard: total_messages_sent counts this campaign');
    cmp_ok($res->{json}{total_leads} // 0, '>=', 200, 'dashboard: total_leads counts these leads');
} else {
    note("GET /api/dashboard/stats answers $res->{status}: no dashboard route yet");
}

# ---------------------------------------------------------------- preview over HTTP

my $fp_before = psql(q{SELECT (SELECT count(*) FROM processing_logs) || '/' || (SELECT count(*) FROM sms_outbox)
                        || '/' || (SELECT md5(string_agg(cl::text, ',' ORDER BY id)) FROM campaign_leads cl)});
$res = api(POST => "/api/campaigns/$cid/preview", { lead_id => $leads[42]{id} + 0 });
if ($res->{status} == 404 && ($res->{body} // '') !~ /campaign|lead/i) {
    note("POST /api/campaigns/$cid/preview answers 404: no preview route yet");
} else {
    is_json_response($res, 200, 'POST /api/campaigns/{id}/preview {lead_id}: 200');
    my $p = $res->{json} // {};
    like($p->{message} // '', qr/\Q$leads[42]{first}\E,.*spring sale.*Reply STOP to opt out$/,
         'preview: the message for that lead');
    is($p->{encoding}, 'GSM-7', 'preview: encoding');
    is($p->{segments}, psql(q{SELECT smscamp_sms_segments(:'m')}, m => $p->{message} // ''), 'preview: segments');
    cmp_ok(abs(($p->{cost} // -1) - psql(q{SELECT smscamp_sms_cost(:'m')}, m => $p->{message} // '')), '<', 1e-9,
           'preview: cost');
    $res = api(POST => "/api/campaigns/$cid/preview", {});
    is_json_response($res, 200, 'POST /api/campaigns/{id}/preview without a lead: 200 (the first lead)');
    like($res->{json}{message} // '', qr/Reply STOP to opt out$/, 'preview without a lead: a message');
    is(psql(q{SELECT (SELECT count(*) FROM processing_logs) || '/' || (SELECT count(*) FROM sms_outbox)
               || '/' || (SELECT md5(string_agg(cl::text, ',' ORDER BY id)) FROM campaign_leads cl)}),
       $fp_before, 'preview writes nothing (logs, outbox, campaign leads unchanged)');
}

# ---------------------------------------------------------------- agent types, scheduling

# agent_type both: the SMS is sent, then each lead is called (the log provider: call_outbox),
# the call's script the SMS as spoken; the campaign completes once the calls are placed
my $both_leads = make_leads(3);
my $bid = create_campaign(agent_type => 'both');
add_leads($bid, $both_leads);
start_campaign($bid);
is(wait_campaign($bid, 20, qw(completed failed paused cancelled)), 'completed', 'agent_type both: completed');
is_deeply(lead_counts($bid), { sent => 3 }, 'agent_type both: the SMS are sent');
is(psql(q{SELECT count(*) FROM campaign_leads cl JOIN call_outbox b ON b.campaign_lead_id = cl.id
           WHERE cl.campaign_id = (:'c')::bigint AND cl.call_status = 'logged' AND cl.voice_call_made
             AND b.script LIKE '%To stop these calls, reply STOP to our text or say stop.'
             AND b.script NOT LIKE '%Reply STOP to opt out%'}, c => $bid),
   3, 'agent_type both: then each lead is called, the SMS as spoken with the call\'s opt-out');

# agent_type voice: each lead is called instead (the log provider: call_outbox), with a
# script written offline from the voice prompt
my $voice_leads = make_leads(3);
my $vid = create_campaign(agent_type => 'voice');
psql(q{UPDATE campaigns SET voice_system_prompt = 'Invite them to our open day on Saturday at Acme Dental.'
        WHERE id = (:'c')::bigint}, c => $vid);
add_leads($vid, $voice_leads);
start_campaign($vid);
is(wait_campaign($vid, 15, qw(completed failed paused cancelled)), 'completed', 'agent_type voice: completed');
is_deeply(lead_counts($vid), { sent => 3 }, 'agent_type voice: every lead called (sent)');
is(psql(q{SELECT count(*) FROM call_outbox b JOIN campaign_leads cl ON cl.id = b.campaign_lead_id
           WHERE cl.campaign_id = (:'c')::bigint}, c => $vid), 3, '... three calls in call_outbox');
is(psql(q{SELECT count(*) FROM sms_outbox b JOIN campaign_leads cl ON cl.id = b.campaign_lead_id
           WHERE cl.campaign_id = (:'c')::bigint}, c => $vid), 0, '... and no SMS');
is(psql(q{SELECT count(*) FROM campaign_leads cl JOIN leads l ON l.id = cl.lead_id
           WHERE cl.campaign_id = (:'c')::bigint AND cl.voice_call_made AND cl.call_status = 'logged'
             AND cl.call_script ~ ('^\w+ ' || split_part(l.name, ' ', 1) || '\M')
             AND cl.call_script LIKE '%To stop these calls, reply STOP to our text or say stop.'}, c => $vid),
   3, '... each with its script: the lead greeted by name, the opt-out at the end');

# scheduled_at: started on time by the housekeeping
my $sid = create_campaign();
add_leads($sid, make_leads(3));
my $at = psql(q{SELECT (now() + interval '2 seconds')::text});
my $ok = eval { psql(q{SELECT smscamp_schedule((:'c')::bigint, (:'at')::timestamptz)}, c => $sid, at => $at); 1 };
ok($ok, 'smscamp_schedule(id, now + 2 s)') or diag $@;
is(psql(q{SELECT status FROM campaigns WHERE id = (:'c')::bigint}, c => $sid), 'scheduled', 'the campaign is scheduled');
is(wait_campaign($sid, 20, qw(completed failed paused cancelled)), 'completed',
   'the scheduled campaign starts on time and completes');
ok(psql(q{SELECT started_at >= scheduled_at - interval '1 second' FROM campaigns WHERE id = (:'c')::bigint}, c => $sid) eq 't',
   'it did not start before its time');

# ---------------------------------------------------------------- idle workers

sub cpu_ticks {
    my $t = 0;
    for my $pid (@_) {
        open(my $fh, '<', "/proc/$pid/stat") or next;
        my @f = split ' ', (<$fh> =~ s/^.*\)\s//r);
        $t += $f[11] + $f[12];    # utime + stime (fields 14, 15)
    }
    return $t;
}
my @w = worker_pids();
my $before = cpu_ticks(@w);
sleep 3;
my $used = cpu_ticks(@w) - $before;
cmp_ok($used, '<=', 30, "idle workers sleep: $used CPU ticks in 3 s (at most 30)");

# ---------------------------------------------------------------- quiet hours

# closed now in New York: it opens in 2 hours (at $opens), for an hour
my ($window, $opens) = split /\|/, psql(q{
    SELECT to_char((now() AT TIME ZONE 'America/New_York') + interval '2 hours', 'HH24:MI')
           || '-' || to_char((now() AT TIME ZONE 'America/New_York') + interval '3 hours', 'HH24:MI')
           || '|' || (date_trunc('minute', (now() AT TIME ZONE 'America/New_York') + interval '2 hours')
                      AT TIME ZONE 'America/New_York')});
# (New York numbers: quiet hours are read in the phone's zone, by area code)
my $quiet_leads = make_leads(5, npa => '212');
my $qid = create_campaign(send_window => $window, prompt => 'Spring sale Monday!');
add_leads($qid, $quiet_leads);
my $out_before = psql(q{SELECT count(*) FROM sms_outbox});
start_campaign($qid);
my $deferred = wait_for(10, sub {
    psql(q{SELECT count(*) FROM campaign_leads WHERE campaign_id = (:'c')::bigint
            AND status = 'pending' AND next_attempt_at > now()}, c => $qid) == 5;
});
ok($deferred, "quiet hours ($window in New York): the 5 leads are deferred");
sleep 2;
my $q = psql_json(q{SELECT json_build_object(
        'statuses', json_agg(DISTINCT cl.status), 'attempts', max(cl.attempts),
        'wrong_time', count(*) FILTER (WHERE cl.next_attempt_at IS DISTINCT FROM (:'opens')::timestamptz),
        'campaign', min(c.status))
      FROM campaign_leads cl JOIN campaigns c ON c.id = cl.campaign_id
     WHERE cl.campaign_id = (:'c')::bigint}, c => $qid, opens => $opens);
is_deeply($q->{statuses}, ['pending'], 'quiet hours: the leads stay pending');
is($q->{attempts}, 0, 'quiet hours: no attempt is counted');
is($q->{wrong_time}, 0, 'quiet hours: next_attempt_at is the window\'s start in New York');
is($q->{campaign}, 'processing', 'quiet hours: the campaign waits (not completed)');
is(psql(q{SELECT count(*) FROM sms_outbox}), $out_before, 'quiet hours: nothing is sent');
is(psql(q{SELECT count(*) FROM processing_logs p JOIN campaign_leads cl ON cl.id = p.campaign_lead_id
           WHERE cl.campaign_id = (:'c')::bigint AND p.node_name = 'sms_agent'}, c => $qid),
   0, 'quiet hours: no message is written yet');
cancel_campaign($qid);
is(psql(q{SELECT status FROM campaigns WHERE id = (:'c')::bigint}, c => $qid), 'cancelled',
   'the waiting campaign can be cancelled');

done_testing;
