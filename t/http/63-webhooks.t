#!/usr/bin/perl
# SMS webhooks, Twilio's form-encoded fields: inbound STOP/START keywords
# record opt-outs and opt-ins; status callbacks record delivery outcomes.
# Every call is signed (X-Twilio-Signature) as Twilio does; unsigned or wrongly
# signed calls are refused with 403 and change nothing.
use strict;
use warnings;
use FindBin;
use lib ($ENV{SMSCAMP_ROOT} ? "$ENV{SMSCAMP_ROOT}/t/lib" : "$FindBin::Bin/../lib");
use Test::More;
use Smscamp::Test;
use Time::HiRes qw(time sleep);

my $FORM = 'application/x-www-form-urlencoded';
sub enc {
    my ($s) = @_;
    utf8::encode($s) if utf8::is_utf8($s);
    $s =~ s/([^A-Za-z0-9\-._~ ])/sprintf('%%%02X', ord $1)/ge;
    $s =~ tr/ /+/;
    return $s;
}
sub form { my (%f) = @_; join '&', map { enc($_) . '=' . enc($f{$_}) } sort keys %f }
sub inbound { webhook('/api/webhooks/sms/inbound', form(@_), 'Content-Type' => "$FORM; charset=UTF-8") }
sub status_cb { webhook('/api/webhooks/sms/status', form(@_)) }
sub opted_out { psql(q{SELECT count(*) FROM opt_outs WHERE phone = :'p'}, p => $_[0]) + 0 }

# ---------------------------------------------------------------- inbound
my ($npa, $nxx, $line) = unique_phone_parts();
my $phone = "+1$npa$nxx$line";
my %twilio = (ToCountry => 'US', SmsMessageSid => 'SM' . unique_token(), NumMedia => 0, To => '+15005550006',
              AccountSid => 'AC' . unique_token(), ApiVersion => '2010-04-01');

my $res = inbound(%twilio, From => $phone, Body => 'STOP');
is_json_response($res, 200, 'inbound STOP: 200 JSON');
is_deeply($res->{json}, { received => JSON::PP::true, action => 'opt_out', phone => $phone,
                          message_id => psql(q{SELECT max(id) FROM messages WHERE phone = :'p'
                                                AND direction = 'inbound'}, p => $phone),
                          duplicate => JSON::PP::false },
          '{"received":true,"action":"opt_out","message_id":...,"duplicate":false}');
is(opted_out($phone), 1, 'the phone is opted out');
is(psql(q{SELECT keyword FROM opt_outs WHERE phone = :'p'}, p => $phone), 'STOP', 'the keyword is kept');

$res = inbound(From => $phone, Body => 'stop');
is($res->{json}{action}, 'opt_out', 'STOP again: opt_out, no error');
is(opted_out($phone), 1, '... still one opt-out');

$res = inbound(From => $phone, Body => ' Start ');
is($res->{json}{action}, 'opt_in', 'START: opt_in');
is(opted_out($phone), 0, 'the opt-out is gone');

for my $kw ('STOPALL', 'unsubscribe', 'Cancel', 'END', 'quit', 'OptOut', "stop\n") {
    my $p = unique_phone();
    my $r = inbound(From => $p, Body => $kw);
    (my $shown = $kw) =~ s/\n/\\n/;
    is($r->{json}{action}, 'opt_out', "'$shown' is an opt-out keyword");
    is(opted_out($p), 1, "... '$shown' recorded");
}
{
    my $p = unique_phone();
    inbound(From => $p, Body => 'STOP');
    is(inbound(From => $p, Body => 'UNSTOP')->{json}{action}, 'opt_in', 'UNSTOP: opt_in');
    is(opted_out($p), 0, '... removed');
}
{
    my ($a, $b, $c) = unique_phone_parts();
    my $r = inbound(From => "+1 ($a) $b-$c", Body => 'STOP');
    is($r->{json}{phone}, "+1$a$b$c", 'the From number is normalised to E.164');
    is(opted_out("+1$a$b$c"), 1, '... and recorded so');
}
{
    # not a keyword: the webhook only stores it; the reply agent (the workers)
    # reads it as a plain-language opt-out and records it (sql/reply_agent.sql)
    my $p = unique_phone();
    my $r = inbound(From => $p, Body => 'Please stop sending me these');
    is($r->{json}{action}, 'none', 'a plain-language opt-out: no keyword action in the webhook');
    my $t0 = time;
    sleep 0.1 while !opted_out($p) && time - $t0 < 10;
    is(opted_out($p), 1, '... the reply agent records it');
}
for my $body ('Thanks!', '', "caf\x{e9} \x{2603} \x{1F600}") {
    my $p = unique_phone();
    my $r = inbound(From => $p, Body => $body);
    is($r->{status}, 200, "a reply that is no keyword: 200") or diag res_summary($r);
    is($r->{json}{action}, 'none', '... action none');
    is(opted_out($p), 0, '... nothing recorded');
}

# bad requests
is_fastapi_422(inbound(Body => 'STOP'), [qw(body From)], 'inbound without From: 422', type => 'missing');
is_fastapi_422(inbound(From => 'not a phone', Body => 'STOP'), [qw(body From)], 'inbound with a bad From: 422');
is_json_error(webhook('/api/webhooks/sms/inbound', 'From=%2B1415%ZZ&Body=STOP'), 400,
              'a malformed percent-escape: 400');
is_json_error(webhook('/api/webhooks/sms/inbound', 'From=%2B14155550100&Body=%C3%28'), 400,
              'an escape that is not UTF-8: 400');
is_json_error(webhook('/api/webhooks/sms/inbound', 'From=%2B14155550100&Body=%00STOP'), 400,
              'an escaped NUL byte: 400');
is_json_error(webhook('/api/webhooks/sms/inbound', json_encode({ From => $phone, Body => 'STOP' }),
                      'Content-Type' => 'application/json'), 415, 'a JSON body: 415');
is_json_error(webhook('/api/webhooks/sms/inbound', form(From => $phone, Body => 'STOP'), 'Content-Type' => 'text/plain'),
              415, 'text/plain: 415');
is(opted_out($phone), 0, 'the refused requests recorded nothing');
is_json_error(api(GET => '/api/webhooks/sms/inbound'), 405, 'GET on the webhook: 405');

# ---------------------------------------------------------------- status callbacks
my $tok = unique_token();
my @leads = map { create_lead(name => "Hook $tok $_") } 1 .. 4;
my $c = api(POST => '/api/campaigns', { name => "Hook $tok", lead_ids => [map { $_->{id} } @leads] })->{json};
# as the twilio provider leaves them: sent, with the provider's sid
psql(q{UPDATE campaign_leads SET status = 'processing' WHERE campaign_id = :'c'}, c => $c->{id});
psql(q{UPDATE campaign_leads SET status = CASE WHEN lead_id = :'u' THEN 'unknown' ELSE 'sent' END,
              sms_sent = lead_id <> :'u', sms_sid = 'SM' || :'t' || id, processed_at = now()
        WHERE campaign_id = :'c'}, c => $c->{id}, t => $tok, u => $leads[3]{id});
my %sid = map { $_->[0] => $_->[1] }
          map { [split /\|/] } split /\n/,
          psql(q{SELECT lead_id || '|' || sms_sid FROM campaign_leads WHERE campaign_id = :'c'}, c => $c->{id});
sub cl { psql_json(q{SELECT row_to_json(cl) FROM campaign_leads cl WHERE sms_sid = :'s'}, s => $_[0]) }

$res = status_cb(MessageSid => $sid{ $leads[0]{id} }, MessageStatus => 'delivered', SmsStatus => 'delivered',
                 AccountSid => 'AC1', To => $leads[0]{phone});
is_json_response($res, 200, 'status callback delivered: 200');
is($res->{json}{matched}, JSON::PP::true, 'matched');
is($res->{json}{status}, 'delivered', 'the campaign lead is delivered');
is(cl($sid{ $leads[0]{id} })->{status}, 'delivered', '... in the database');
ok(defined cl($sid{ $leads[0]{id} })->{delivered_at}, '... with delivered_at');

$res = status_cb(MessageSid => $sid{ $leads[1]{id} }, MessageStatus => 'undelivered', ErrorCode => '30003');
is($res->{json}{status}, 'undelivered', 'undelivered');
like(cl($sid{ $leads[1]{id} })->{error_message} // '', qr/undelivered.*30003/, '... error_message has the ErrorCode');

$res = status_cb(MessageSid => $sid{ $leads[2]{id} }, MessageStatus => 'failed', ErrorCode => '30007');
is($res->{json}{status}, 'failed', 'failed');
like(cl($sid{ $leads[2]{id} })->{error_message} // '', qr/failed.*30007/, '... with the ErrorCode');

$res = status_cb(MessageSid => $sid{ $leads[0]{id} }, MessageStatus => 'sent');
is($res->{json}{status}, 'delivered', 'a late "sent" does not move a delivered lead back');
$res = status_cb(MessageSid => $sid{ $leads[3]{id} }, MessageStatus => 'sent');
is($res->{json}{status}, 'sent', 'an unknown lead the provider reports sent becomes sent');

$res = status_cb(MessageSid => 'SMnosuchsid' . $tok, MessageStatus => 'delivered');
is_json_response($res, 200, 'an unknown sid: 200');
is_deeply($res->{json}, { received => JSON::PP::true, matched => JSON::PP::false }, '{"received":true,"matched":false}');

my $stats = api(GET => "/api/campaigns/$c->{id}")->{json}{stats} || {};
is_deeply([@{ $stats->{leads_by_status} }{qw(sent delivered undelivered failed)}], [1, 1, 1, 1],
          "the campaign's stats follow the callbacks");
$res = api(GET => "/api/campaigns/$c->{id}/logs?node=status_callback");
is($res->{json}{total}, 5, 'every matched callback is in the logs (node status_callback)');

is_fastapi_422(status_cb(MessageStatus => 'delivered'), [qw(body MessageSid)], 'a callback without MessageSid: 422');
is_fastapi_422(status_cb(MessageSid => 'SM1'), [qw(body MessageStatus)], 'a callback without MessageStatus: 422');
is_json_error(webhook('/api/webhooks/sms/status', 'MessageSid=%G1'), 400, 'a malformed callback body: 400');
is_json_error(webhook('/api/webhooks/sms/status', json_encode({ MessageSid => 'x' }), 'Content-Type' => 'application/json'),
              415, 'a JSON callback: 415');

# ---------------------------------------------------------------- signatures
{
    my $p = unique_phone();
    my $body = form(From => $p, Body => 'STOP', To => '+15005550006');
    my $url = base_url() . '/api/webhooks/sms/inbound';
    my $good = twilio_signature($url, $body);
    my @refused = (
        ['no X-Twilio-Signature', undef],
        ['an empty signature', ''],
        ['a signature made with another token', twilio_signature($url, $body, 'not-the-token')],
        ['a signature of another URL', twilio_signature('https://evil.example/api/webhooks/sms/inbound', $body)],
        ['a signature of the status URL', twilio_signature(base_url() . '/api/webhooks/sms/status', $body)],
        ['a signature of other fields', twilio_signature($url, form(From => $p, Body => 'START', To => '+15005550006'))],
        ['a signature with one character changed', do { (my $x = $good) =~ s/^(.)/$1 eq 'A' ? 'B' : 'A'/e; $x }],
        ['the signature in lower case', lc $good],
        ['a signature of the URL only', twilio_signature($url, '')],
    );
    for my $case (@refused) {
        my ($what, $sig) = @$case;
        my $r = webhook('/api/webhooks/sms/inbound', $body, 'X-Twilio-Signature' => $sig);
        is_json_error($r, 403, "inbound with $what: 403");
        is(opted_out($p), 0, '... and nothing recorded');
    }
    # the unsigned request is refused before its body is looked at
    is_json_error(webhook('/api/webhooks/sms/inbound', 'From=%ZZ', 'X-Twilio-Signature' => undef), 403,
                  'an unsigned malformed body: 403, not 400');
    is_json_error(webhook('/api/webhooks/sms/status', form(MessageSid => $sid{ $leads[2]{id} }, MessageStatus => 'delivered'),
                          'X-Twilio-Signature' => 'bm90IGEgc2lnbmF0dXJl'), 403, 'a status callback with a bad signature: 403');
    is(cl($sid{ $leads[2]{id} })->{status}, 'failed', '... and the lead is unchanged');

    # fields in any order, repeated and empty, with escapes: the signature is over the decoded, sorted fields
    my $odd = 'To=%2B15005550006&Body=Stop&From=' . do { (my $e = $p) =~ s/\+/%2B/; $e } . '&Empty=&Note=a+b%26c&Note=%C3%A9';
    my $r = webhook('/api/webhooks/sms/inbound', $odd);
    is($r->{status}, 200, 'fields in any order, repeated, empty and escaped: the signature matches') or diag res_summary($r);
    is(opted_out($p), 1, '... and the opt-out is recorded');

    # a query string is part of the signed URL
    my $qbody = form(From => unique_phone(), Body => 'hello');
    $r = api(POST => '/api/webhooks/sms/inbound?source=twilio', $qbody, 'Content-Type' => $FORM, Authorization => undef,
             'X-Twilio-Signature' => twilio_signature(base_url() . '/api/webhooks/sms/inbound?source=twilio', $qbody));
    is($r->{status}, 200, 'the URL with its query string is what is signed') or diag res_summary($r);
    $r = api(POST => '/api/webhooks/sms/inbound?source=twilio', $qbody, 'Content-Type' => $FORM, Authorization => undef,
             'X-Twilio-Signature' => twilio_signature($url, $qbody));
    is_json_error($r, 403, '... so a signature without it is refused');

    # without an auth token nothing can be verified: every call is refused
    psql(q{ALTER SYSTEM SET smscamp.twilio_auth_token = ''; SELECT pg_reload_conf();});
    my $gone;
    for (1 .. 50) {
        $r = webhook('/api/webhooks/sms/inbound', form(From => unique_phone(), Body => 'hi'), 'X-Twilio-Signature' => 'eA==');
        last if ($gone = ($r->{status} == 403 && ($r->{json}{detail} // '') =~ /not configured/));
        select undef, undef, undef, 0.1;
    }
    ok($gone, 'no auth token configured: 403 "... not configured"') or diag res_summary($r);
    psql(q{ALTER SYSTEM RESET smscamp.twilio_auth_token; SELECT pg_reload_conf();});
    my $back;
    for (1 .. 50) {
        $r = webhook('/api/webhooks/sms/inbound', form(From => unique_phone(), Body => 'hi'));
        last if ($back = $r->{status} == 200);
        select undef, undef, undef, 0.1;
    }
    ok($back, '... and signed calls work again once it is back') or diag res_summary($r);
}

done_testing();
