#!/usr/bin/env perl
# The workflow against the fake providers (t/fakes): the LLM writes the
# messages (POST {openai_base_url}/chat/completions) and the Twilio-compatible
# API sends them. 300 leads with 50 ms latencies: every lead sent exactly
# once, the text is the LLM's, the provider's sid/segments are recorded, no
# secret in any log. Then the guardrails on what a model answers: quotes and
# markdown stripped; a too-long answer, a refusal, an answer cut off or
# filtered, a mock's "string", a placeholder left to fill or talk about the
# task are asked for once more, then the lead fails with the reason and
# nothing is sent (a message is never cut); emoji counted as UCS-2.
#
# The engine settings are changed with ALTER SYSTEM and restored at exit
# (Smscamp::Engine), the fake is reset before each part.
use strict;
use warnings;

use FindBin;
use lib "$FindBin::Bin/../lib";
use Test::More;
use Time::HiRes qw(time sleep);

use Smscamp::Test;
use Smscamp::Engine;

my $FOOTER = 'Reply STOP to opt out';
my $log_from = pg_log_size();

use_fake_providers();
is(psql('SHOW smscamp.sms_provider'), 'twilio', 'provider: twilio (the fake)');

# run a campaign of $leads with the fake configured by $cfg; returns its id
sub run_campaign {
    my ($leads, $cfg, %o) = @_;
    fake_reset();
    fake_config($cfg) if $cfg && %$cfg;
    my $cid = create_campaign(%o);
    add_leads($cid, $leads);
    my $t0 = time;
    start_campaign($cid);
    my $status = wait_campaign($cid, $o{timeout} // 45, qw(completed failed paused cancelled));
    is($status, 'completed', sprintf('campaign %s (%d leads) completed in %.1f s',
                                     $o{label} // $cid, scalar @$leads, time - $t0))
        or diag explain lead_counts($cid);
    return $cid;
}

# the LLM's answer for each first name, from the fake's record of requests
sub llm_answers {
    my %by_first;
    for my $r (@{ fake_llm_requests() }) {
        next unless ($r->{outcome} // '') eq 'ok';
        my ($user) = grep { $_->{role} eq 'user' } @{ $r->{messages} || [] };
        my ($first) = (($user->{content} // '') =~ /^name:\s*(\S+)/m);
        push @{ $by_first{$first // ''} }, $r;
    }
    return \%by_first;
}

# ---------------------------------------------------------------- 300 leads

my $leads = make_leads(300, company => sub { "Company $_[0]" });
my %lead_by_phone = map { $_->{phone} => $_ } @$leads;
my $cid = run_campaign($leads, { llm_latency_ms => 50, sms_latency_ms => 50 },
                       label => 'plain', prompt => 'You are a friendly rep for Sunny Roofs, promoting solar panels for homes.');

is_deeply(lead_counts($cid), { sent => 300 }, 'all 300 leads are sent');

my $msgs = fake_messages();
is(scalar @$msgs, 300, 'the fake provider accepted exactly 300 messages');
my %to_count;
$to_count{ $_->{to} }++ for @$msgs;
is(scalar(grep { $to_count{$_} > 1 } keys %to_count), 0, 'no recipient got two messages');
is(scalar(grep { !$lead_by_phone{$_} } keys %to_count), 0, 'every message went to a lead of the campaign');
is(scalar(grep { !$to_count{ $_->{phone} } } @$leads), 0, 'every lead got its message');
is(scalar @{ fake_sms_requests() }, 300, 'exactly 300 SMS requests: none was attempted twice');
is(scalar(grep { ($_->{from} // '') ne '+15005550006' } @$msgs), 0, 'From is smscamp.sms_from');

my $rows = leads_of($cid);
my %row_by_phone = map { $_->{phone} => $_ } @$rows;
my %msg_by_to = map { $_->{to} => $_ } @$msgs;
my (@bad_sid, @bad_body, @bad_seg, @bad_status);
for my $r (@$rows) {
    my $m = $msg_by_to{ $r->{phone} } or next;
    push @bad_sid, $r unless ($r->{sms_sid} // '') eq $m->{sid};
    push @bad_body, [$r->{sms_message}, $m->{body}] unless ($r->{sms_message} // '') eq $m->{body};
    push @bad_seg, $r unless ($r->{sms_segments} // -1) == $m->{num_segments};
    push @bad_status, $r unless ($r->{sms_provider_status} // '') eq 'queued';
}
is(scalar @bad_sid, 0, "every lead stores the provider's sid") or diag explain [ @bad_sid[0 .. 1] ];
is(scalar @bad_body, 0, 'the provider received the stored message') or diag explain [ @bad_body[0 .. 1] ];
is(scalar @bad_seg, 0, "sms_segments = the provider's num_segments");
is(scalar @bad_status, 0, "sms_provider_status = the provider's status (queued)");

# the text comes from the fake LLM: "Hi <first name>, ..." + the footer
my $answers = llm_answers();
my $llm_count = scalar @{ fake_llm_requests() };
is($llm_count, 300, 'one LLM request per lead');
my (@not_llm, @not_first);
for my $l (@$leads) {
    my $r = $row_by_phone{ $l->{phone} } or next;
    my $a = $answers->{ $l->{first} };
    push @not_first, $r->{sms_message} unless ($r->{sms_message} // '') =~ /^Hi \Q$l->{first}\E, /;
    push @not_llm, [$r->{sms_message}, $a && $a->[0]{content}]
        unless $a && @$a == 1 && ($r->{sms_message} // '') eq "$a->[0]{content} $FOOTER";
}
is(scalar @not_first, 0, 'every message greets its lead by first name (Hi <first name>, ...)')
    or diag explain [ @not_first[0 .. 1] ];
is(scalar @not_llm, 0, "every message is the LLM's answer + the opt-out footer")
    or diag explain [ @not_llm[0 .. 1] ];

# what the engine asked the LLM
my $req = fake_llm_requests(limit => 1)->[0];
is($req->{model}, 'gpt-4o-mini', 'the LLM request names smscamp.openai_model (gpt-4o-mini)');
cmp_ok(abs(($req->{temperature} // -1) - 0.7), '<', 1e-9, 'temperature 0.70 from the campaign');
my ($sys) = grep { $_->{role} eq 'system' } @{ $req->{messages} };
like($sys->{content} // '', qr/Sunny Roofs/, "the system message carries the campaign's prompt");

my $stats = fake_get('/_fake/stats');
cmp_ok($stats->{sms}{max_inflight}, '>=', 10, "SMS calls run concurrently (max $stats->{sms}{max_inflight} in flight)");
cmp_ok($stats->{llm}{max_inflight}, '>=', 10, "LLM calls run concurrently (max $stats->{llm}{max_inflight} in flight)");

# logs and their metadata
my $meta = psql_json(q{SELECT json_build_object(
        'gen', count(*) FILTER (WHERE p.message ILIKE 'Message generated%'
                                  AND p.metadata->>'model' = 'gpt-4o-mini'
                                  AND (p.metadata->>'prompt_tokens')::int > 0),
        'accepted', count(*) FILTER (WHERE p.metadata->>'sid' = cl.sms_sid),
        'nodes', count(DISTINCT p.campaign_lead_id::text || p.node_name))
      FROM processing_logs p JOIN campaign_leads cl ON cl.id = p.campaign_lead_id
     WHERE cl.campaign_id = (:'c')::bigint}, c => $cid);
is($meta->{gen}, 300, 'sms_agent logs the model and the tokens of each generation');
is($meta->{accepted}, 300, "sms_agent logs the provider's sid of each send");
is($meta->{nodes}, 900, 'each lead logged validate_lead, sms_agent and finalize');

# ---------------------------------------------------------------- guardrails

# quotes and markdown the model adds are stripped
my $q_leads = make_leads(20);
my $qid = run_campaign($q_leads, { llm_style => 'quoted' }, label => 'quoted');
my $q_rows = leads_of($qid);
is(scalar(grep { $_->{status} eq 'sent' } @$q_rows), 20, 'quoted: all sent');
ok(scalar(grep { ($_->{content} // '') =~ /^"\*\*Hi / } @{ fake_llm_requests() }) == 20,
   'quoted: the fake did answer with quotes and markdown');
is(scalar(grep { ($_->{sms_message} // '') =~ /["*`#]|__/ } @$q_rows), 0,
   'quoted: no quote or markdown mark in the stored messages')
    or diag explain [ map { $_->{sms_message} } @$q_rows[0 .. 1] ];
is(scalar(grep { ($_->{sms_message} // '') !~ /^Hi Ann\w+, .* \Q$FOOTER\E\z/ } @$q_rows), 0,
   'quoted: "Hi <name>, ... <footer>" once cleaned');
is(scalar(grep { $to_count{$_} } map { $_->{to} } @{ fake_messages() }), 0, 'quoted: fresh recipients only');
is(scalar(grep { $_->{body} =~ /["*]/ } @{ fake_messages() }), 0, 'quoted: the provider got the clean text');

# too long: asked once more ("shorter"); still too long, the lead fails, and nothing is cut
my $long_text = join ' ', map { "Sentence number $_ tells you even more about our wonderful solar panels." } 1 .. 12;
my $l_leads = make_leads(20, company => sub { $_[0] < 3 ? 'Hooli' : "Other $_[0]" });
my $lid = run_campaign($l_leads, { llm_style => 'long', llm_rules => { Hooli => { content => $long_text } } },
                       label => 'long');
my $l_rows = leads_of($lid);
is(scalar(grep { $_->{status} eq 'sent' } @$l_rows), 17, 'long: the 17 leads whose second answer fits are sent');
is(scalar(grep { ($_->{sms_segments} // 0) > 2 || smscamp_segments($_->{sms_message} // '') > 2 } @$l_rows), 0,
   'long: every message fits smscamp.max_segments (2)');
is(scalar(grep { $_->{status} eq 'sent' && ($_->{sms_message} // '') !~ / \Q$FOOTER\E\z/ } @$l_rows), 0,
   'long: the footer is kept');
my @hooli = grep { ($_->{company} // '') eq 'Hooli' } @$l_rows;
is(scalar @hooli, 3, 'long: three leads get a 900-character answer every time');
my %sent_to = map { $_->{to} => 1 } @{ fake_messages() };
for my $h (@hooli) {
    my ($first) = $h->{name} =~ /^(\S+)/;
    my $reqs = fake_llm_requests(contains => "name: $first ");
    is(scalar @$reqs, 2, "long ($first): asked exactly once more");
    like(join("\n", map { $_->{content} } grep { $_->{role} eq 'system' } @{ $reqs->[1]{messages} || [] }),
         qr/shorter/i, "long ($first): the second request asks for a shorter message");
    is($h->{status}, 'failed', "long ($first): the lead fails");
    like($h->{error_message} // '', qr/failed twice: the model's message is \d+ segments .*max_segments \(2\)/,
         "long ($first): ... saying why");
    ok(!$sent_to{ $h->{phone} }, "long ($first): nothing was sent to it");
}

# answers that are not messages: asked once more, then the lead fails with the reason
my @bad = (
    [refusal  => { refusal => "I'm sorry, I can't help with that request." }, qr/the model refused: I'm sorry/],
    [cutoff   => { finish_reason => 'length' },                               qr/cut off \(finish_reason length\)/],
    [filtered => { finish_reason => 'content_filter' },                       qr/content filter/],
    [mock     => { style => 'openapi_mock' },                                 qr/the model refused: string/],
    [fillme   => { content => 'Hi [First Name], our spring sale starts Monday!' }, qr/placeholder left to fill/],
    [meta     => { content => "Sure! Here's a friendly SMS for Ann: Hi Ann, our sale starts Monday." },
                 qr/about the task instead of with a message/],
    [empty    => { content => '   ' },                                        qr/not a message|empty/],
);
# (and one lead refuses only the first time: the second answer is used)
my $b_leads = make_leads(scalar @bad + 2,
                         company => sub { $_[0] < @bad ? "Bad$bad[$_[0]][0]" : $_[0] == @bad ? 'Fine' : 'Onceonly' });
my %rules = map { ("Bad$_->[0]" => $_->[1]) } @bad;
$rules{Onceonly} = { refusal => 'No.', times => 1 };
my $bid = run_campaign($b_leads, { llm_style => 'plain', llm_rules => \%rules }, label => 'not messages');
my %b_row = map { ($_->{company} // '') => $_ } @{ leads_of($bid) };
%sent_to = map { $_->{to} => 1 } @{ fake_messages() };
for my $b (@bad) {
    my $row = $b_row{"Bad$b->[0]"};
    my ($first) = $row->{name} =~ /^(\S+)/;
    is($row->{status}, 'failed', "$b->[0]: the lead fails");
    like($row->{error_message} // '', $b->[2], "$b->[0]: ... saying why") or diag $row->{error_message};
    is(scalar @{ fake_llm_requests(contains => "name: $first ") }, 2, "$b->[0]: the model was asked twice");
    ok(!$sent_to{ $row->{phone} }, "$b->[0]: nothing was sent");
}
is($b_row{Onceonly}{status}, 'sent', 'a refusal the first time only: the second answer is sent');
unlike($b_row{Onceonly}{sms_message} // '', qr/\bNo\.|string/, '... and it is the second answer');
is(scalar(grep { $_->{company} =~ /^Fine/ && $_->{status} eq 'sent' } values %b_row), 1, 'the other lead is sent');

# emoji: the message is UCS-2 and counted so
my $e_leads = make_leads(10);
my $eid = run_campaign($e_leads, { llm_style => 'emoji' }, label => 'emoji');
my $e_rows = leads_of($eid);
is(scalar(grep { ($_->{sms_encoding} // '') eq 'UCS-2' && ($_->{sms_message} // '') =~ /\x{1F600}/ } @$e_rows), 10,
   'emoji: the messages keep the emoji and are UCS-2');
my %e_msg = map { $_->{to} => $_ } @{ fake_messages() };
is(scalar(grep { ($e_msg{ $_->{phone} }{num_segments} // -1) != $_->{sms_segments} } @$e_rows), 0,
   "emoji: sms_segments agrees with the provider's count");
is(scalar(grep { ($e_msg{ $_->{phone} }{encoding} // '') ne 'UCS-2' } @$e_rows), 0,
   'emoji: the provider saw UCS-2 too');

# ---------------------------------------------------------------- send rates

# the most messages the provider received within any 1-second window
sub max_per_second {
    my @ts = sort { $a <=> $b } @_;
    my ($max, $j) = (0, 0);
    for my $i (0 .. $#ts) {
        $j++ while $ts[$i] - $ts[$j] >= 1000;
        $max = $i - $j + 1 if $i - $j + 1 > $max;
    }
    return $max;
}

# a campaign's messages_per_second
my $r_leads = make_leads(60);
my $rid = run_campaign($r_leads, {}, label => 'mps 20', messages_per_second => 20);
my @ts = map { $_->{ts} } @{ fake_messages() };
is(scalar @ts, 60, 'mps 20: 60 messages');
my $peak = max_per_second(@ts);
cmp_ok($peak, '<=', 22, "mps 20: at most 20 messages in any second, +2 for timing jitter (peak $peak)");
my $span = (@ts ? (sort { $b <=> $a } @ts)[0] - (sort { $a <=> $b } @ts)[0] : 0) / 1000;
cmp_ok($span, '>=', 2.6, sprintf('mps 20: 60 messages spread over %.1f s (about 3)', $span));
cmp_ok($span, '<', 8, 'mps 20: but not much slower than the rate allows');

# smscamp.global_mps caps all campaigns together
set_engine(global_mps => 10);
fake_reset();
my ($g1, $g2) = (make_leads(15), make_leads(15));
my @gid = map { my $c = create_campaign(); add_leads($c, $_); $c } $g1, $g2;
my $t0 = time;
start_campaign($_) for @gid;
my @st = map { wait_campaign($_, 30, qw(completed failed paused cancelled)) } @gid;
is("@st", 'completed completed', sprintf('global_mps 10: both campaigns completed (%.1f s)', time - $t0));
@ts = map { $_->{ts} } @{ fake_messages() };
is(scalar @ts, 30, 'global_mps 10: 30 messages');
$peak = max_per_second(@ts);
cmp_ok($peak, '<=', 12, "global_mps 10: at most 10 messages a second over both campaigns, +2 for jitter (peak $peak)");
set_engine(global_mps => 0);

# ---------------------------------------------------------------- secrets

my $log_rows = psql(q{SELECT count(*) FROM processing_logs
                       WHERE message LIKE '%sk-test%' OR message LIKE '%tok-test%'
                          OR metadata::text LIKE '%sk-test%' OR metadata::text LIKE '%tok-test%'});
is($log_rows, 0, 'no secret in processing_logs');
my $pglog = pg_log_since($log_from);
unlike($pglog, qr/sk-test|tok-test/, 'no secret in the PostgreSQL log');
is(psql(q{SELECT count(*) FROM campaign_leads WHERE sms_response LIKE '%tok-test%' OR error_message LIKE '%sk-test%'}),
   0, 'no secret stored with the leads');

fake_reset();
reset_engine();
is(psql('SHOW smscamp.sms_provider'), 'log', 'settings restored: provider log');
is(psql('SHOW smscamp.openai_api_key'), '', 'settings restored: no API key');

sub smscamp_segments { psql(q{SELECT smscamp_sms_segments(:'t')}, t => $_[0] // '') }

done_testing;
