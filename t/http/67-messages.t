#!/usr/bin/perl
# A lead's thread over HTTP, with the background workers and the "log" SMS
# provider: a campaign's sends become messages, signed inbound webhooks are
# kept once per MessageSid (a retried webhook is answered and not stored
# again), attached to the lead and the campaign that messaged it; a number
# that is no lead is kept too; a delivery callback moves the message's status;
# GET /api/leads/{id}/messages pages the thread oldest first.
use strict;
use warnings;
use FindBin;
use lib ($ENV{SMSCAMP_ROOT} ? "$ENV{SMSCAMP_ROOT}/t/lib" : "$FindBin::Bin/../lib");
use Test::More;
use Smscamp::Test;

my $TIMEOUT = 30;    # seconds for the campaign to complete
my $tok = unique_token();

sub inbound { sms_inbound(@_) }
sub thread {
    my ($lead, $query) = @_;
    return api(GET => "/api/leads/$lead->{id}/messages" . ($query // ''));
}

# ---------------------------------------------------------------- a campaign's sends
my @leads = map { create_lead(name => "Thread $_ $tok") } qw(Ada Grace);
my $res = api(POST => '/api/campaigns', {
    name => "Threads $tok", send_window => undef,
    sms_template => 'Hi {first_name}, our spring sale starts Monday. Reply with any question.',
    lead_ids => [map { $_->{id} } @leads],
});
is($res->{status}, 201, 'campaign created') or BAIL_OUT(res_summary($res));
my $c = $res->{json};
is(thread($leads[0])->{json}{total}, 0, 'no message before the campaign runs');
is(api(POST => "/api/campaigns/$c->{id}/start")->{status}, 202, 'started');
my $cur = campaign_finished($c->{id}, $TIMEOUT);
is($cur->{status}, 'completed', 'the campaign completes') or diag explain $cur;
my %cl = map { $_->{lead_id} => $_ } @{ api(GET => "/api/campaigns/$c->{id}/leads")->{json}{items} || [] };

$res = thread($leads[0]);
is_json_response($res, 200, 'GET /api/leads/{id}/messages: 200');
is($res->{json}{total}, 1, 'the send is one message');
my $sent = $res->{json}{items}[0] || {};
is_deeply([@$sent{qw(direction kind status campaign_id campaign_lead_id lead_id phone)}],
          ['outbound', 'campaign', 'sent', $c->{id}, $cl{ $leads[0]{id} }{id}, $leads[0]{id}, $leads[0]{phone}],
          'outbound, kind campaign, sent, of its campaign and campaign lead, to the lead');
is($sent->{body}, $cl{ $leads[0]{id} }{sms_message}, 'its body is the message sent');
like($sent->{provider_sid} // '', qr/^LOG\d+$/, 'the log provider\'s SID');

# ---------------------------------------------------------------- inbound
my $sid = "SM$tok" . 'a1';
$res = inbound($leads[0]{phone}, 'Yes please, what time?', $sid);
is_json_response($res, 200, 'a reply: 200');
ok($res->{json} && exists $res->{json}{duplicate} && !$res->{json}{duplicate}, '... not a duplicate');
my $reply_id = $res->{json}{message_id};
$res = inbound($leads[0]{phone}, 'Yes please, what time?', $sid);
is_json_response($res, 200, 'the same MessageSid again (a retried webhook): 200');
ok($res->{json}{duplicate}, '... a duplicate');
is($res->{json}{message_id}, $reply_id, '... answered with the message kept the first time');

$res = thread($leads[0]);
is($res->{json}{total}, 2, 'the thread: the send and the reply, once');
my $reply = $res->{json}{items}[1] || {};
is_deeply([@$reply{qw(id direction kind status lead_id campaign_id body provider_sid)}],
          [$reply_id, 'inbound', 'reply', undef, $leads[0]{id}, $c->{id}, 'Yes please, what time?', $sid],
          'the reply: inbound, the lead\'s, of the campaign that messaged it');
ok($res->{json}{items}[0]{id} < $reply->{id}, 'oldest first');

# a STOP is kept in the thread too, and still opts out
$res = inbound($leads[1]{phone}, 'STOP', "SM$tok" . 'b1');
is($res->{json}{action}, 'opt_out', 'STOP: an opt-out');
my @kw = grep { $_->{direction} eq 'inbound' } @{ thread($leads[1])->{json}{items} };
is($kw[-1]{body}, 'STOP', '... and a message of the thread');
my @conf = grep { ($_->{purpose} // '') eq 'opt_out_confirmation' } @{ thread($leads[1])->{json}{items} };
is(scalar @conf, 1, '... answered by its one confirmation (kind auto, sql/keywords.sql)');

# a number that is no lead
my $stranger = unique_phone();
$res = inbound($stranger, 'who is this?', "SM$tok" . 'c1');
is_json_response($res, 200, 'from an unknown number: 200');
is(psql(q{SELECT coalesce(lead_id::text, 'none') || ' ' || direction FROM messages WHERE id = :'id'},
        id => $res->{json}{message_id}), 'none inbound', '... kept without a lead');

# ---------------------------------------------------------------- the inbox
sub inbox_item {
    my ($state, $phone) = @_;
    my $r = api(GET => "/api/conversations?state=$state&q=" . substr($phone, 2) . '&limit=200');
    return (grep { $_->{phone} eq $phone } @{ $r->{json}{items} || [] })[0];
}
my $conv = inbox_item('needs_reply', $leads[0]{phone});
ok($conv, 'the inbox: the lead who replied needs a reply');
is_deeply([@$conv{qw(lead_id unread message_count)}], [$leads[0]{id}, 1, 2], '... one unread of two messages')
    if $conv;
$res = api(POST => "/api/conversations/$leads[0]{id}/read");
is_deeply($res->{json}, { lead_id => $leads[0]{id}, marked => 1 }, 'read: one message marked');
is(inbox_item('open', $leads[0]{phone})->{unread}, 0, '... unread 0');
ok(inbox_item('open', $stranger), 'an unknown sender is a conversation too');

# ---------------------------------------------------------------- delivery callback
$res = webhook('/api/webhooks/sms/status', "MessageSid=$sent->{provider_sid}&MessageStatus=delivered");
is($res->{json}{status}, 'delivered', 'a delivery callback: the campaign lead is delivered');
is(thread($leads[0])->{json}{items}[0]{status}, 'delivered', '... and so is the message');

# ---------------------------------------------------------------- pages and errors
$res = thread($leads[0], '?limit=1');
is(scalar @{ $res->{json}{items} || [] }, 1, 'limit=1: one message');
is($res->{json}{next_after}, $sent->{id}, '... next_after is its id');
$res = thread($leads[0], "?limit=1&after=$sent->{id}");
is($res->{json}{items}[0]{id}, $reply_id, 'after: the next message');
is_json_error(api(GET => '/api/leads/' . missing_lead_id() . '/messages'), 404, 'a missing lead: 404');
is_fastapi_422(api(GET => '/api/leads/x/messages'), [qw(path id)], 'lead x: 422');
is_fastapi_422(thread($leads[0], '?offset=1'), [qw(query offset)], 'offset: 422 (keyset pages)');
is_fastapi_422(thread($leads[0], '?after=-1'), [qw(query after)], 'after=-1: 422');

done_testing();
