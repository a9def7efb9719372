#!/usr/bin/env perl
# Replies and the reply agent over HTTP, with the workers and the fake
# providers (t/fakes: the Twilio-compatible API, the OpenAI-compatible model):
#   (a) without a model: inbound webhooks in a row classified by the built-in
#       classifier; reply_mode draft: a draft per answerable reply, approved
#       (edited) or rejected; a wrong number and a plain-language opt-out
#       never answered (the opt-out recorded); a person's reply (POST
#       /api/leads/{id}/messages) sent through the fake Twilio exactly once,
#       its delivery callback followed; 409 for an opted-out lead, 422s
#   (b) with the model: it classifies (JSON; garbage is "other") and, in
#       reply_mode auto, answers once per reply and never past
#       smscamp.max_auto_replies
#   (c) a worker SIGKILLed while replies are sending: none is sent twice,
#       every one ends sent or unknown
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/../lib";
use Test::More;
use Time::HiRes qw(time sleep);
use Smscamp::Test;
use Smscamp::Engine;

my $tok = unique_token();

my $sid_n = 0;
sub inbound { my ($phone, $body) = @_; $sid_n++; return sms_inbound($phone, $body, "SM$tok$sid_n") }
sub thread { api(GET => "/api/leads/$_[0]{id}/messages?limit=200")->{json}{items} || [] }
sub inbound_of { my @m = grep { $_->{direction} eq 'inbound' } @{ thread($_[0]) }; return $m[-1] }
sub autos_of { [ grep { $_->{kind} eq 'auto' } @{ thread($_[0]) } ] }
# wait until the lead's last inbound message has an intent and no agent work left
sub settled {
    my ($lead) = @_;
    wait_for(15, sub { my $m = inbound_of($lead); $m && defined $m->{intent} && !$m->{agent_pending} }, 0.1);
    return inbound_of($lead);
}
sub campaign_for {
    my ($leads, %o) = @_;
    my $res = api(POST => '/api/campaigns', {
        name => "Replies $tok " . ($o{label} // ''), send_window => undef,
        sms_template => 'Hi {first_name}, our open day is on Saturday. Any question? Just reply.',
        sender_name => 'Acme Dental', reply_mode => $o{reply_mode},
        (defined $o{reply_prompt} ? (reply_prompt => $o{reply_prompt}) : ()),
        lead_ids => [map { $_->{id} } @$leads],
    });
    is($res->{status}, 201, "campaign ($o{label}) created") or BAIL_OUT(res_summary($res));
    is($res->{json}{reply_mode}, $o{reply_mode}, "reply_mode $o{reply_mode}");
    is(api(POST => "/api/campaigns/$res->{json}{id}/start")->{status}, 202, 'started');
    my $cur = campaign_finished($res->{json}{id}, 30);
    is($cur->{status}, 'completed', 'the campaign sends and completes') or diag explain $cur;
    return $cur;
}
sub sent_at_fake { scalar @{ fake_messages(to => $_[0]) } }

# ---------------------------------------------------------------- (a) without a model
subtest '(a) the built-in classifier, drafts, replies from a person' => sub {
    use_fake_providers(openai_api_key => '', max_auto_replies => 3,
                       status_callback_url => base_url() . '/api/webhooks/sms/status');
    fake_reset();
    fake_config({ sms_auto_status => 'delivered', sms_auto_status_delay_ms => 50 });
    my $leads = make_leads(6);
    my ($ann, $bob, $cat, $dan, $eve, $fay) = @$leads;
    my $c = campaign_for($leads, label => 'draft', reply_mode => 'draft');
    is(sent_at_fake($_->{phone}), 1, "$_->{first}: the campaign's message, once") for $ann;

    # several webhooks in a row
    my %body = (
        $ann->{id} => 'Sounds good, what time does it start?',
        $bob->{id} => 'Yes please, count me in',
        $cat->{id} => 'wrong number',
        $dan->{id} => 'please take me off your list',
        $eve->{id} => 'Is there parking?',
    );
    for my $l ($ann, $bob, $cat, $dan, $eve) {
        my $res = inbound($l->{phone}, $body{ $l->{id} });
        is($res->{status}, 200, "$l->{first}: inbound webhook 200");
    }
    my %want = ($ann->{id} => 'question', $bob->{id} => 'interested', $cat->{id} => 'wrong_number',
                $dan->{id} => 'opt_out', $eve->{id} => 'question');
    for my $l ($ann, $bob, $cat, $dan, $eve) {
        is(settled($l)->{intent}, $want{ $l->{id} }, "$l->{first}: classified $want{ $l->{id} }");
    }
    is(api(GET => "/api/leads/$dan->{id}")->{json}{opt_out_source}, 'reply',
       'a plain-language opt-out is recorded (source reply)');
    is(scalar @{ autos_of($cat) }, 0, 'a wrong number is never answered');
    is_deeply([map { $_->{purpose} // 'answer' } @{ autos_of($dan) }], ['opt_out_confirmation'],
              'an opt-out is never answered, only confirmed once');
    my ($draft) = @{ autos_of($ann) };
    ok($draft && $draft->{status} eq 'draft', 'a question: a draft') or diag explain autos_of($ann);
    like($draft->{body} // '', qr/^Thanks for your question, Ann\w*\. Someone from Acme Dental/,
         'the built-in answer: a handover');
    is($draft->{reply_to_id}, inbound_of($ann)->{id}, 'it answers the reply');
    is(sent_at_fake($ann->{phone}), 1, 'a draft is not sent');

    my $conv = api(GET => '/api/conversations?state=needs_reply&limit=200')->{json}{items} || [];
    my %needs = map { $_->{phone} => $_ } @$conv;
    ok($needs{ $ann->{phone} } && !$needs{ $cat->{phone} } && !$needs{ $dan->{phone} },
       'the inbox: a question needs a reply; a wrong number and an opt-out do not');
    is($needs{ $ann->{phone} }{drafts}, 1, '... with its draft counted');

    # approve (edited) and reject
    my $res = api(POST => "/api/messages/$draft->{id}/approve", { body => 'Hi! Doors open at 10am.' });
    is($res->{status}, 202, 'approve an edited draft: 202');
    is($res->{json}{status}, 'queued', '... queued');
    ok(wait_for(10, sub { sent_at_fake($ann->{phone}) == 2 }, 0.1), 'the fake Twilio gets it');
    my @to_ann = @{ fake_messages(to => $ann->{phone}) };
    is($to_ann[-1]{body}, 'Hi! Doors open at 10am.', '... with the edited body');
    ok(wait_for(10, sub { (autos_of($ann)->[0]{status} // '') eq 'delivered' }, 0.1),
       'its delivery callback: delivered');
    is(api(POST => "/api/messages/$draft->{id}/approve")->{status}, 409, 'approve it again: 409');
    my ($bob_draft) = @{ autos_of($bob) };
    is(api(POST => "/api/messages/$bob_draft->{id}/reject")->{status}, 204, 'reject a draft: 204');
    is(scalar @{ autos_of($bob) }, 0, '... it is gone');
    sleep 1;
    is(sent_at_fake($bob->{phone}), 1, '... and never sent');

    # a person's reply
    $res = api(POST => "/api/leads/$eve->{id}/messages", { body => 'Yes, free parking behind us.' });
    is_json_response($res, 202, 'POST /api/leads/{id}/messages: 202');
    is_deeply([@{ $res->{json} }{qw(status kind direction lead_id campaign_id)}],
              ['queued', 'reply', 'outbound', $eve->{id}, $c->{id}], '... queued, kind reply, of the campaign');
    my $mid = $res->{json}{id};
    ok(wait_for(10, sub {
        my ($m) = grep { $_->{id} == $mid } @{ thread($eve) };
        $m && $m->{status} =~ /^(sent|delivered)$/ }, 0.1), 'the workers send it');
    my @to_eve = grep { $_->{body} eq 'Yes, free parking behind us.' } @{ fake_messages(to => $eve->{phone}) };
    is(scalar @to_eve, 1, 'the fake Twilio got it exactly once');
    my ($m) = grep { $_->{id} == $mid } @{ thread($eve) };
    is($m->{provider_sid}, $to_eve[0]{sid}, 'with the provider\'s SID');

    is_json_error(api(POST => "/api/leads/$dan->{id}/messages", { body => 'Hello?' }), 409,
                  'an opted-out lead: 409');
    is_fastapi_422(api(POST => "/api/leads/$eve->{id}/messages", { body => '   ' }),
                   ['body', 'body'], 'an empty body: 422');
    is_fastapi_422(api(POST => "/api/leads/$eve->{id}/messages", { body => 'x' x 400 }),
                   ['body', 'body'], 'longer than smscamp.max_segments: 422');
    is_fastapi_422(api(POST => "/api/leads/$eve->{id}/messages", [1]), ['body'], 'not an object: 422');
    is(api(POST => "/api/leads/999999999/messages", { body => 'Hi' })->{status}, 404, 'an unknown lead: 404');
    ok(wait_for(10, sub { sent_at_fake($dan->{phone}) == 2 }, 0.1),
       'the opted-out lead got its confirmation...');
    sleep 0.5;
    is(sent_at_fake($dan->{phone}), 2, '... and nothing more');
};

# ---------------------------------------------------------------- (b) with the model
subtest '(b) the model classifies and, in auto mode, answers (at most max_auto_replies)' => sub {
    use_fake_providers(max_auto_replies => 2);
    fake_reset();
    fake_config({ llm_rules => { GARBLE => { content => 'I reckon they are keen!!' } } });
    my $leads = make_leads(3);
    my ($ann, $bob, $cat) = @$leads;
    campaign_for($leads, label => 'auto', reply_mode => 'auto',
                 reply_prompt => 'We are Acme Dental. Parking is free. Hand over pricing questions.');

    inbound($ann->{phone}, 'Is there parking?');
    is(settled($ann)->{intent}, 'question', 'the model: question');
    ok(wait_for(10, sub { sent_at_fake($ann->{phone}) == 2 }, 0.1), 'auto: the answer is sent');
    my ($answer) = @{ autos_of($ann) };
    like($answer->{body} // '', qr/^Thanks for your message! About "Is there parking\?"/,
         'the model\'s answer, through the guardrails');
    is($answer->{sent_by}, psql('SHOW smscamp.openai_model'), 'written by the model');
    my @asks = grep { grep({ ($_->{content} // '') =~ /Parking is free/ } @{ $_->{messages} || [] }) }
               @{ fake_llm_requests() };
    is(scalar @asks, 1, 'one answer request, with the campaign\'s reply_prompt');
    my ($sent) = grep { $_->{kind} eq 'campaign' } @{ thread($ann) };
    ok((grep { $_->{role} eq 'assistant' && $_->{content} eq ($sent->{body} // '') }
        @{ $asks[0]{messages} || [] }), '... and the thread as context (the campaign\'s message)')
        or diag explain $asks[0]{messages};

    inbound($ann->{phone}, 'Great, and is it free?');
    settled($ann);
    ok(wait_for(10, sub { sent_at_fake($ann->{phone}) == 3 }, 0.1), 'a second reply: answered');
    inbound($ann->{phone}, 'What should I bring?');
    settled($ann);
    sleep 1.5;
    is(scalar @{ autos_of($ann) }, 2, 'a third: not answered (smscamp.max_auto_replies 2)');
    is(sent_at_fake($ann->{phone}), 3, '... nothing more sent');

    inbound($bob->{phone}, 'GARBLE yes maybe');
    is(settled($bob)->{intent}, 'other', 'a model answering garbage: other');
    inbound($cat->{phone}, "don't text me again");
    is(settled($cat)->{intent}, 'opt_out', 'a plain-language opt-out, by the model');
    is(api(GET => "/api/leads/$cat->{id}")->{json}{opt_out_source}, 'reply', '... recorded');
    sleep 1;
    is_deeply([map { $_->{purpose} // 'answer' } @{ autos_of($cat) }], ['opt_out_confirmation'],
              '... never answered, only confirmed once');
};

# ---------------------------------------------------------------- (c) SIGKILL
subtest '(c) a worker SIGKILLed while replies are sending' => sub {
    use_fake_providers(openai_api_key => '');
    fake_reset();
    fake_config({ sms_latency_ms => 400 });
    my $leads = make_leads(40);
    # each lead wrote first: a direct reply is not held by quiet hours
    is(inbound($_->{phone}, 'Hi, who is this?')->{status}, 200, "$_->{first} writes") for @$leads;
    for my $l (@$leads) {
        is(api(POST => "/api/leads/$l->{id}/messages", { body => "Hello $l->{first}" })->{status}, 202,
           "queued for $l->{first}") or last;
    }
    my $ids = join ',', map { $_->{id} } @$leads;
    my $q = "FROM messages WHERE lead_id = ANY (string_to_array(:'ids', ',')::bigint[]) AND kind = 'reply'";
    ok(wait_for(10, sub { psql("SELECT count(*) $q AND status = 'sending'", ids => $ids) > 0 }, 0.02),
       'some are sending');
    my $holder = psql("SELECT claimed_by $q AND status = 'sending' LIMIT 1", ids => $ids);
    ok($holder && kill('KILL', $holder), "SIGKILL to worker $holder (it holds sends)");
    ok(wait_for(60, sub { psql("SELECT count(*) $q AND status IN ('queued', 'sending')", ids => $ids) == 0 }, 0.2),
       'every reply settles');
    ok(wait_health(20), 'nginx answers /api/health after the crash recovery');
    sleep 1;
    my %n;
    $n{ $_->{to} }++ for grep { ($_->{body} // '') =~ /^Hello / } @{ fake_messages() };
    is(scalar(grep { $n{$_} > 1 } keys %n), 0, 'no lead got a reply twice');
    my %status = map { split /=/ } split ' ',
        psql("SELECT string_agg(phone || '=' || status, ' ') $q", ids => $ids);
    is(scalar(grep { $status{$_} !~ /^(sent|delivered|unknown)$/ } keys %status), 0,
       'every reply is sent or unknown') or diag explain \%status;
    is(scalar(grep { $status{$_} =~ /^(sent|delivered)$/ && !$n{$_} } keys %status), 0,
       'every one recorded sent is at the provider');
    note('unknown after the crash: ' . scalar(grep { $status{$_} eq 'unknown' } keys %status));
};

done_testing();
