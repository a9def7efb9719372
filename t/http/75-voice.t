#!/usr/bin/env perl
# Voice campaigns over HTTP, through the workers and the fake Twilio's Calls API
# (sql/calls.sql, pg_extension/script.c, provider.c):
#   (a) a voice campaign end to end: every lead called once with its script in the
#       TwiML <Say>, every CallStatus outcome reported by signed callbacks, the
#       campaign's call figures; an unsigned callback refused;
#   (b) calls_per_second held, measured from the fake's arrival times;
#   (c) quiet hours hold calls;
#   (d) a worker SIGKILLed mid-campaign: no call placed twice;
#   (e) agent_type both: the SMS, then the call call_delay_seconds later, its script written
#       from the voice prompt, not placed when the SMS was answered (call_if_no_reply);
#   (f) the same with the model: each text from its own prompt, no script for a call not placed;
#   (g) a worker SIGKILLed while it holds a both campaign's calls: none placed twice, the
#       campaign completes.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/../lib";
use Test::More;
use Time::HiRes qw(sleep time);
use Smscamp::Test;
use Smscamp::Engine;

my $tok = unique_token();
my $callback = base_url() . '/api/webhooks/voice/status';
use_fake_providers(openai_api_key => '', voice_status_callback_url => $callback, voicemail => 'leave');
fake_reset();

sub voice_campaign {
    my ($name, $leads, %o) = @_;
    my $c = api(POST => '/api/campaigns', {
        name => "$name $tok", agent_type => 'voice', send_window => undef,
        voice_system_prompt => 'Invite them to our open day on Saturday at Acme Dental.',
        sender_name => 'Sam from Acme Dental',
        lead_ids => [ map { $_->{id} } @$leads ], %o });
    is($c->{status}, 201, "voice campaign '$name' created") or diag explain $c->{json};
    return $c->{json}{id};
}
sub start { is(api(POST => "/api/campaigns/$_[0]/start")->{status}, 202, '... started') }
sub calls_to { fake_get('/_fake/calls?to=' . $_[0])->{calls} }
sub rows_of { return { map { $_->{phone} => $_ } @{ leads_of($_[0]) } } }

# ---------------------------------------------------------------- (a) end to end
my $leads = make_leads(7);
my %outcome = (0 => undef, 1 => 'machine', 2 => 'busy', 3 => 'no-answer', 4 => 'failed', 5 => 'canceled', 6 => undef);
fake_config({ call_auto_status => 'completed', call_duration_s => 30,
              call_rules => { map { ($leads->[$_]{phone} => $outcome{$_}) } grep { defined $outcome{$_} } keys %outcome } });
my $cid = voice_campaign('Open day calls', $leads);
my $cur = api(GET => "/api/campaigns/$cid")->{json};
is($cur->{send_rate}{effective_messages_per_second}, 1, 'a voice campaign is paced at 1 call/s by default');
my $res = api(POST => "/api/campaigns/$cid/preview", { lead_id => $leads->[0]{id} });
is($res->{json}{kind}, 'call_script', 'the preview of a voice campaign is its call script');
like($res->{json}{message} // '', qr/\b$leads->[0]{first}\b.*To stop these calls, reply STOP to our text or say stop\.$/s,
     '... greeting the lead and ending with how to opt out');
cmp_ok($res->{json}{words}, '<=', 80, "... $res->{json}{words} words, about $res->{json}{spoken_seconds} s spoken");
start($cid);
$cur = campaign_finished($cid, 40);
is($cur->{status}, 'completed', 'the voice campaign completes');
ok(wait_for(15, sub { (api(GET => "/api/campaigns/$cid")->{json}{stats}{calls}{in_progress} // 1) == 0 }, 0.2),
   'every call reaches its final status through the signed callbacks');

my $rows = rows_of($cid);
for my $i (0 .. 6) {
    my $l = $leads->[$i];
    my $calls = calls_to($l->{phone});
    is(scalar @$calls, 1, "$l->{first}: called once");
    next unless @$calls;
    my $c = $calls->[0];
    my $row = $rows->{ $l->{phone} };
    is($c->{say_text}, $row->{call_script}, '... the fake heard the script stored on the lead');
    is($c->{sid}, $row->{call_sid}, '... and the lead has the call\'s sid') if $i == 0;
    if ($i == 0) {
        is($c->{from}, '+15005550006', '... from smscamp.sms_from');
        is($c->{machine_detection}, 'DetectMessageEnd', '... leaving voicemail after the beep (smscamp.voicemail leave)');
        is($c->{voice}, 'Polly.Joanna', '... in smscamp.voice');
        is($c->{language}, 'en-US', '... in the language of a +1 number');
        is($c->{status_callback}, $callback, '... with the voice status callback');
        is(join(' ', @{ $c->{status_callback_events} // [] }), 'initiated ringing answered completed', '... and its events');
    }
}
my %want = (0 => [qw(delivered completed)], 1 => [qw(delivered completed)], 2 => [qw(undelivered busy)],
            3 => [qw(undelivered no-answer)], 4 => [qw(undelivered failed)], 5 => [qw(undelivered canceled)],
            6 => [qw(delivered completed)]);
for my $i (sort keys %want) {
    my $row = $rows->{ $leads->[$i]{phone} };
    is("$row->{status} $row->{call_status}", "@{ $want{$i} }", "outcome " . ($outcome{$i} // 'answered') . ": $row->{status}, call $row->{call_status}");
}
is($rows->{ $leads->[0]{phone} }{call_duration}, 30, 'the duration of an answered call is stored');
is($rows->{ $leads->[0]{phone} }{call_answered_by}, 'human', '... and who answered');
like($rows->{ $leads->[1]{phone} }{call_answered_by} // '', qr/^machine/, 'voicemail: answered by a machine');
like($rows->{ $leads->[2]{phone} }{error_message} // '', qr/busy/, 'busy: the lead says why');
my $calls = api(GET => "/api/campaigns/$cid")->{json}{stats}{calls};
is_deeply({ map { $_ => $calls->{$_} } qw(placed answered voicemail busy no_answer failed) },
          { placed => 7, answered => 2, voicemail => 1, busy => 1, no_answer => 1, failed => 2 },
          'stats.calls: placed 7, answered 2, voicemail 1, busy 1, no answer 1, failed 2');
is($calls->{minutes}, 1.5, '... 90 s of calls: 1.5 minutes');
cmp_ok(api(GET => '/api/dashboard/stats')->{json}{calls}{placed}, '>=', 7, 'the dashboard counts the calls');

my $sid = $rows->{ $leads->[6]{phone} }{call_sid};
$res = webhook('/api/webhooks/voice/status', "CallSid=$sid&CallStatus=busy", 'X-Twilio-Signature' => 'bm9wZQ==');
is($res->{status}, 403, 'a callback with a bad signature: 403');
$res = webhook('/api/webhooks/voice/status', "CallSid=$sid&CallStatus=busy", 'X-Twilio-Signature' => undef);
is($res->{status}, 403, 'an unsigned callback: 403');
is(rows_of($cid)->{ $leads->[6]{phone} }{call_status}, 'completed', '... and the call is unchanged');

# ---------------------------------------------------------------- (b) calls_per_second
fake_config({ call_auto_status => undef, call_rules => {} });
my $cps_leads = make_leads(12);
my $c2 = voice_campaign('CPS', $cps_leads, calls_per_second => 4);
my $t0 = time;
start($c2);
$cur = campaign_finished($c2, 40);
my $took = time - $t0;
is($cur->{status}, 'completed', 'the 4 calls/s campaign completes');
my %to = map { $_->{phone} => 1 } @$cps_leads;
my @ts = sort { $a <=> $b } map { $_->{ts} } grep { $to{ $_->{to} } } @{ fake_get('/_fake/calls?limit=100000')->{calls} };
is(scalar @ts, 12, '12 calls placed, once each');
# Twilio's queue placing 4 calls a second in arrival order: over the rate a call waits there
# longer and longer; held, no longer than a send's lateness (a worker late for its slot by
# more than 200 ms takes a new one)
my ($free, $wait) = (-1e18, 0);
for my $t (@ts) {
    my $at = $t > $free ? $t : $free;
    $wait = $at - $t if $at - $t > $wait;
    $free = $at + 250;
}
cmp_ok($wait, '<', 300, "not over 4 calls/s: a 4 calls/s queue would hold a call at most $wait ms");
my $span = ($ts[-1] - $ts[0]) / 1000;
cmp_ok($span, '>=', 2.6, sprintf('12 calls over %.2f s: not over 4 calls/s (2.75 s, give or take the jitter)', $span));

# ---------------------------------------------------------------- (c) quiet hours
my $ny_hour = psql(q{SELECT extract(hour FROM now() AT TIME ZONE 'America/New_York')::int});
my $window = sprintf('%02d:00-%02d:00', ($ny_hour + 2) % 24, ($ny_hour + 3) % 24);
my $quiet = make_leads(2, npa => '212');
my $c3 = voice_campaign('Quiet', $quiet, send_window => $window);
start($c3);
ok(wait_for(10, sub { (api(GET => "/api/campaigns/$c3")->{json}{stats}{waiting}{reason} // '') eq 'quiet_hours' }, 0.2),
   "quiet hours ($window in New York, outside it now): the calls wait");
sleep 1;
is(scalar(map { @{ calls_to($_->{phone}) } } @$quiet), 0, '... and nobody is called');
cancel_campaign($c3);

# ---------------------------------------------------------------- (d) SIGKILL mid-campaign
use_fake_providers(openai_api_key => '', voice_status_callback_url => $callback, max_inflight => 32);
fake_config({ call_latency_ms => 200 });
my $many = make_leads(300);
my $c4 = voice_campaign('Crash', $many, calls_per_second => 100);
start($c4);
ok(wait_for(30, sub { psql(q{SELECT count(*) FROM campaign_leads WHERE campaign_id = (:'c')::bigint AND status = 'sent'},
                           c => $c4) >= 60 }, 0.05), 'the 300-lead voice campaign is calling');
my %w = map { $_ => 1 } worker_pids();
my @holders = grep { $w{$_} } split ' ', psql(q{SELECT string_agg(DISTINCT claimed_by::text, ' ')
      FROM campaign_leads WHERE campaign_id = (:'c')::bigint AND status IN ('processing', 'sending')}, c => $c4);
my $killed = $holders[0] // (keys %w)[0];
ok(kill('KILL', $killed), "SIGKILL to worker $killed while it holds calls");
is(wait_campaign($c4, 60, qw(completed failed paused cancelled)), 'completed', 'the campaign completes after the crash');
sleep 1;
my $counts = lead_counts($c4);
is(($counts->{sent} // 0) + ($counts->{unknown} // 0), 300,
   'every lead is called or unknown (' . join(', ', map { "$_ $counts->{$_}" } sort keys %$counts) . ')');
my %n;
my %mine = map { $_->{phone} => 1 } @$many;
$n{ $_->{to} }++ for grep { $mine{ $_->{to} } } @{ fake_get('/_fake/call-requests?limit=100000')->{requests} };
is(scalar(grep { $n{$_} > 1 } keys %n), 0, 'no number was called twice (counted at the fake)');
my $unk = psql(q{SELECT count(*) FROM campaign_leads WHERE campaign_id = (:'c')::bigint AND status = 'unknown'
                   AND call_status = 'unknown' AND error_message LIKE 'The worker stopped while calling%'}, c => $c4);
is($unk, $counts->{unknown} // 0, 'a call the killed worker may have placed is unknown, saying why');
ok(wait_health(10), 'nginx answers /api/health after the crash recovery');

# ---------------------------------------------------------------- (e) both: SMS, then a call
use_fake_providers(openai_api_key => '', voice_status_callback_url => $callback);
# (the callbacks 1 s after the call is accepted, as Twilio's come; (f) has them at once)
fake_config({ call_latency_ms => 0, call_auto_status => 'completed', call_duration_s => 15,
              call_auto_status_delay_ms => 1000 });
my $pair = make_leads(3);
my $c5 = api(POST => '/api/campaigns', {
    name => "Both $tok", agent_type => 'both', send_window => undef,
    sms_template => 'Hi {first_name}, our open day is on Saturday at acme.com.',
    voice_system_prompt => 'Invite them to our open day on Saturday at Acme Dental.',
    sender_name => 'Sam from Acme Dental',
    call_delay_seconds => 3, call_if_no_reply => JSON::PP::true,
    lead_ids => [ map { $_->{id} } @$pair ] })->{json}{id};
ok($c5, 'a "both" campaign: the SMS, then a call 3 s later unless the SMS was answered');
start($c5);
ok(wait_for(15, sub { @{ fake_messages(to => $pair->[0]{phone}) } == 1 }, 0.1), 'the SMS goes first');
my $sms_at = fake_messages(to => $pair->[0]{phone})->[0]{ts};
is(sms_inbound($pair->[0]{phone}, 'Sounds good, see you there', "SMboth$tok")->{status}, 200,
   'one lead answers the SMS');
$cur = campaign_finished($c5, 40);
is($cur->{status}, 'completed', 'the campaign completes once the calls are done');
my $called = calls_to($pair->[1]{phone});
is(scalar @$called, 1, 'a lead who did not answer is called');
cmp_ok($called->[0]{ts} - fake_messages(to => $pair->[1]{phone})->[0]{ts}, '>=', 2900,
       '... call_delay_seconds (3) after its SMS');
my $say = $called->[0]{say_text} // '';
like($say, qr/\bopen day\b/i, '... its script written from the voice prompt by the built-in writer');
unlike($say, qr/acme\.com|acme dot com/, '... not the SMS read aloud');
like($say, qr/To stop these calls, reply STOP to our text or say stop\.$/, '... ending with the call\'s opt-out');
like(join("\n", map { $_->{message} } @{ api(GET => "/api/campaigns/$c5/logs?node=voice_agent&limit=100")->{json}{items} // [] }),
     qr/Call script written \(\d+ words, built-in writer\)/, '... logged by the voice_agent node');
is(scalar @{ calls_to($pair->[0]{phone}) }, 0, 'the lead who answered is not called (call_if_no_reply)');
ok(wait_for(10, sub { (rows_of($c5)->{ $pair->[1]{phone} }{call_status} // '') eq 'completed' }, 0.2),
   'the call completes (signed callbacks)');
my $b = rows_of($c5);
is("$b->{ $pair->[1]{phone} }{status} $b->{ $pair->[1]{phone} }{call_status}", 'sent completed',
   'the lead keeps its SMS\'s status, the call has its own');
is($b->{ $pair->[0]{phone} }{call_status}, 'skipped', 'the answered lead\'s call: skipped');
is(api(GET => "/api/campaigns/$c5")->{json}{stats}{calls}{placed}, 2, 'stats.calls: two calls placed');

# ---------------------------------------------------------------- (f) both, with a model
# the SMS from the SMS prompt, the call's script from the voice prompt, each by the model; a
# lead who answered the SMS costs no second model call (its script is written when its call is due)
use_fake_providers(voice_status_callback_url => $callback);
fake_reset();
# the callbacks at once: they may come before the worker has recorded the call's SID (kept,
# then applied by the housekeeping: sql/callbacks.sql)
fake_config({ call_latency_ms => 0, call_auto_status => 'completed', call_duration_s => 20,
              call_auto_status_delay_ms => 0 });
my $trio = make_leads(3);
my $c6 = api(POST => '/api/campaigns', {
    name => "Both model $tok", agent_type => 'both', send_window => undef,
    sms_system_prompt => 'Write a friendly text about the spring sale at Acme Dental.',
    voice_system_prompt => 'Write a short call about our open day on Saturday at Acme Dental.',
    call_delay_seconds => 2, call_if_no_reply => JSON::PP::true,
    lead_ids => [ map { $_->{id} } @$trio ] })->{json}{id};
ok($c6, 'a "both" campaign written by the model');
start($c6);
ok(wait_for(15, sub { @{ fake_messages(to => $trio->[2]{phone}) } == 1 }, 0.1), 'the SMS goes first');
is(sms_inbound($trio->[2]{phone}, 'Yes, book me in', "SMmodel$tok")->{status}, 200, 'one lead answers it');
$cur = campaign_finished($c6, 40);
is($cur->{status}, 'completed', 'the campaign completes');
sub system_of { my ($r) = @_; join ' ', map { $_->{content} } grep { $_->{role} eq 'system' } @{ $r->{messages} } }
sub user_of { my ($r) = @_; join ' ', map { $_->{content} } grep { $_->{role} eq 'user' } @{ $r->{messages} } }
my @llm = @{ fake_llm_requests() };
for my $i (0, 1) {
    my $l = $trio->[$i];
    my @mine = grep { user_of($_) =~ /\Q$l->{name}\E/ } @llm;
    is(scalar(grep { system_of($_) =~ /spring sale/ } @mine), 1, "lead $i: one model call for its SMS (the SMS prompt)");
    is(scalar(grep { system_of($_) =~ /open day/ } @mine), 1, "lead $i: one for its call's script (the voice prompt)");
    my $call = calls_to($l->{phone});
    is(scalar @$call, 1, "lead $i: called once");
    like($call->[0]{say_text} // '', qr/open day on Saturday.*To stop these calls, reply STOP to our text or say stop\.$/s,
         "lead $i: the call says the model's script from the voice prompt, with the call's opt-out");
    unlike($call->[0]{say_text} // '', qr/spring sale/, "lead $i: not the SMS");
}
is(scalar(grep { user_of($_) =~ /\Q$trio->[2]{name}\E/ } @llm), 1,
   'the lead who answered: only its SMS was written (no script for a call not placed)');
ok(wait_for(10, sub { my $r = rows_of($c6);
                      2 == grep { ($r->{ $_->{phone} }{call_status} // '') eq 'completed' } @$trio[0, 1] }, 0.2),
   'both calls complete, though their callbacks came at once (before the SID may be recorded)')
    or diag explain [ map { rows_of($c6)->{ $_->{phone} }{call_status} } @$trio ];
my $r6 = rows_of($c6);
is($r6->{ $trio->[0]{phone} }{call_duration}, 20, '... with the duration the callback gave');
like($r6->{ $trio->[0]{phone} }{call_script} // '', qr/open day/, 'the campaign lead shows its call script');

# ---------------------------------------------------------------- (g) both: SIGKILL mid-calls
# the SMS go fast, the calls are slow to answer (1.5 s), so the workers hold calls in flight
use_fake_providers(openai_api_key => '', voice_status_callback_url => $callback, max_inflight => 32);
fake_reset();
fake_config({ call_latency_ms => 1500, sms_latency_ms => 0 });
my $crowd = make_leads(120);
my $c7 = api(POST => '/api/campaigns', {
    name => "Both crash $tok", agent_type => 'both', send_window => undef,
    sms_template => 'Hi {first_name}, our open day is on Saturday.',
    voice_system_prompt => 'Invite them to our open day on Saturday at Acme Dental.',
    calls_per_second => 40, lead_ids => [ map { $_->{id} } @$crowd ] })->{json}{id};
ok($c7, 'a 120-lead "both" campaign at 40 calls/s');
start($c7);
my $holder;
ok(wait_for(30, sub {
    $holder = psql(q{SELECT call_claimed_by FROM campaign_leads WHERE campaign_id = (:'c')::bigint
                      AND call_status = 'calling' GROUP BY 1 ORDER BY count(*) DESC LIMIT 1}, c => $c7);
    $holder && psql(q{SELECT count(*) FILTER (WHERE call_status = 'calling') >= 10 AND bool_and(sms_sent)
                        FROM campaign_leads WHERE campaign_id = (:'c')::bigint}, c => $c7) eq 't' }, 0.05),
   'every SMS sent, and calls after them in flight');
my %live = map { $_ => 1 } worker_pids();
ok($live{$holder} && kill('KILL', $holder), "SIGKILL to worker $holder while it holds calls");
is(wait_campaign($c7, 60, qw(completed failed paused cancelled)), 'completed', 'the campaign completes after the crash');
sleep 2;
my %calls;
my %ours = map { $_->{phone} => 1 } @$crowd;
$calls{ $_->{to} }++ for grep { $ours{ $_->{to} } } @{ fake_get('/_fake/call-requests?limit=100000')->{requests} };
is(scalar(grep { $calls{$_} > 1 } keys %calls), 0, 'no number was called twice (counted at the fake)');
my $states = psql(q{SELECT string_agg(s || ' ' || n, ', ' ORDER BY s) FROM
                      (SELECT coalesce(call_status, '-') AS s, count(*) AS n FROM campaign_leads
                        WHERE campaign_id = (:'c')::bigint GROUP BY 1) x}, c => $c7);
unlike($states, qr/scheduled|writing|calling|-/, "every call is done ($states)");
like($states, qr/unknown/, '... the calls the killed worker held are unknown (they may have been placed)');
is(psql(q{SELECT count(*) FROM campaign_leads WHERE campaign_id = (:'c')::bigint AND sms_sent}, c => $c7), 120,
   'every lead got its SMS, once');

done_testing();
