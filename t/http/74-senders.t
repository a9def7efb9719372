#!/usr/bin/env perl
# Senders and the provider's error codes over HTTP, through the workers and
# the fake Twilio (sql/senders.sql, pg_extension/shmem.c):
#   - Twilio's error codes acted on: 21610 an opt-out (source carrier, never
#     retried), 21211 / 21614 the lead's phone_status (a later campaign skips
#     it), 30007 delivery callbacks past max_filtered pause the campaign;
#   - two long codes at 1 segment/s: a 40-lead campaign takes about 19 s
#     at least, and no number is ever sent faster than its rate (the fake's
#     arrival times);
#   - the sticky sender: a second campaign and a person's reply go from the
#     number each lead already heard from.
# The senders made here are deleted at the end: every later test would be
# paced by them.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/../lib";
use Test::More;
use Time::HiRes qw(sleep time);
use Smscamp::Test;
use Smscamp::Engine;

my $tok = unique_token();
sub clear_senders { psql('UPDATE campaigns SET sender_ids = NULL WHERE sender_ids IS NOT NULL; DELETE FROM senders') }
END { my $rc = $?; eval { clear_senders(); 1 }; $? = $rc; }
clear_senders();

use_fake_providers(openai_api_key => '');
fake_reset();

sub campaign {
    my ($name, $leads, %o) = @_;
    my $c = api(POST => '/api/campaigns', {
        name => "$name $tok", send_window => undef,
        sms_template => 'Hi {first_name}, our open day is on Saturday.',
        lead_ids => [ map { $_->{id} } @$leads ], %o });
    is($c->{status}, 201, "campaign '$name' created") or diag explain $c->{json};
    return $c->{json}{id};
}
sub start { is(api(POST => "/api/campaigns/$_[0]/start")->{status}, 202, "... started") }
sub cl_of {
    my ($cid) = @_;
    return { map { $_->{lead_id} => $_ } @{ api(GET => "/api/campaigns/$cid/leads?limit=200")->{json}{items} } };
}

# ---------------------------------------------------------------- error codes
my $err = make_leads(3);
fake_config({ sms_rules => { $err->[0]{phone} => '21610', $err->[1]{phone} => '21211',
                             $err->[2]{phone} => '21614' } });
my $c1 = campaign('Errors', $err);
start($c1);
my $cur = campaign_finished($c1, 30);
is($cur->{status}, 'completed', 'the campaign with three refused numbers completes');
my $cl = cl_of($c1);
is($cl->{ $err->[0]{id} }{status}, 'failed', '21610: the send failed');
is(scalar @{ fake_sms_requests(to => $err->[0]{phone}) }, 1, '... and was never retried');
my $lead = api(GET => "/api/leads/$err->[0]{id}")->{json};
ok($lead->{opted_out} && $lead->{opt_out_source} eq 'carrier', '... the lead is opted out, source carrier');
is(api(GET => "/api/leads/$err->[1]{id}")->{json}{phone_status}, 'invalid', '21211: phone_status invalid');
is(api(GET => "/api/leads/$err->[2]{id}")->{json}{phone_status}, 'not_mobile', '21614: phone_status not_mobile');
is_deeply($cur->{stats}{error_codes}, { 21610 => 1, 21211 => 1, 21614 => 1 }, 'the campaign stats count each code');

fake_config({ sms_rules => {} });
my $c2 = campaign('Errors again', [ $err->[1], $err->[2] ]);
start($c2);
$cur = campaign_finished($c2, 30);
$cl = cl_of($c2);
is_deeply([ map { $cl->{ $_->{id} }{status} } @$err[1, 2] ], [qw(skipped skipped)],
          'a later campaign skips the invalid and the landline numbers');
like($cl->{ $err->[1]{id} }{error_message} // '', qr/invalid \(error 21211\)/, '... saying why');
is(scalar @{ fake_sms_requests(to => $err->[1]{phone}) }, 1, '... and sends them nothing');

# 30007: carrier filtering pauses the campaign past max_filtered
my $filt = make_leads(12);
my %filt_phone = map { $_->{phone} => 1 } @$filt;
sub filt_sent { [ grep { $filt_phone{ $_->{to} } } @{ fake_messages(outcome => 'ok') } ] }
my $c3 = campaign('Filtered', $filt, max_filtered => 2, messages_per_second => 1);
start($c3);
ok(wait_for(20, sub { @{ filt_sent() } >= 3 }, 0.1), 'the paced campaign is sending');
my $base = base_url();
my @first = @{ filt_sent() };
for my $m (@first[0 .. 2]) {
    my $r = fake_post('/_fake/deliver', { sid => $m->{sid}, status => 'undelivered', error_code => 30007,
                                          url => "$base/api/webhooks/sms/status" });
    ok($r->{delivered}, "a signed 30007 callback for $m->{to} is accepted");
}
ok(wait_for(10, sub { api(GET => "/api/campaigns/$c3")->{json}{status} eq 'paused' }, 0.2),
   'three filtered messages with max_filtered 2: the campaign pauses itself');
$cur = api(GET => "/api/campaigns/$c3")->{json};
like($cur->{paused_reason} // '', qr/3 messages were filtered by the carriers \(error 30007\), more than its max_filtered \(2\)/,
     '... with the reason shown');
is($cur->{stats}{error_codes}{30007}, 3, '... and 30007 counted in its stats');
sleep 2;   # leads a worker held go back to pending at their send slot
$cur = api(GET => "/api/campaigns/$c3")->{json};
cmp_ok($cur->{stats}{leads_by_status}{pending}, '>', 0, '... leads are left unsent');
cmp_ok(scalar @{ filt_sent() }, '<', 12, '... and the fake got fewer than all 12');
cancel_campaign($c3);

# ---------------------------------------------------------------- pacing
my @senders;
for my $n (1, 2) {
    my $r = api(POST => '/api/senders', { phone => "+1212555019$n", kind => 'long_code', name => "Line $n" });
    is($r->{status}, 201, "long code $n created");
    is($r->{json}{segments_per_second}, 1, '... at 1 segment/s');
    push @senders, $r->{json};
}
my @from = map { $_->{phone} } @senders;
my $paced = make_leads(40);
my $c4 = campaign('Paced', $paced, sender_ids => [ map { $_->{id} } @senders ]);
$cur = api(GET => "/api/campaigns/$c4")->{json};
is($cur->{send_rate}{segments_per_second}, 2, 'the campaign shows its senders\' 2 segments/s');
is($cur->{eta_seconds}, 20, '... and 20 s to send 40 leads');
is_deeply([ map { $_->{phone} } @{ $cur->{senders} } ], \@from, '... and its two senders');
my $t0 = time;
start($c4);
$cur = campaign_finished($c4, 90);
my $took = time - $t0;
is($cur->{status}, 'completed', 'the 40-lead campaign completes');
cmp_ok($took, '>=', 18.5, sprintf('... in %.1f s: at least about 19 s at 2 x 1 segment/s', $took));

my %to = map { $_->{phone} => 1 } @$paced;
my %by_from;
push @{ $by_from{ $_->{from} // '' } }, $_ for grep { $to{ $_->{to} } } @{ fake_messages(limit => 1000) };
is_deeply([ sort keys %by_from ], [ sort @from ], 'every message went from one of the two long codes');
is(scalar(map { @$_ } values %by_from), 40, '... 40 messages, once each');
for my $f (sort keys %by_from) {
    my @ts = sort { $a <=> $b } map { $_->{ts} } @{ $by_from{$f} };
    my $closest = 1e9;
    $closest = ($ts[$_] - $ts[$_ - 1] < $closest ? $ts[$_] - $ts[$_ - 1] : $closest) for 1 .. $#ts;
    my $span = @ts > 1 ? ($ts[-1] - $ts[0]) / 1000 : 0;
    cmp_ok($closest, '>=', 900, sprintf('%s: %d messages, never two within a second (closest %d ms)',
                                        $f, scalar @ts, $closest));
    cmp_ok($span, '>=', @ts - 1.1, sprintf('... %d messages over %.1f s: not over 1 segment/s', scalar @ts, $span));
}

# ---------------------------------------------------------------- sticky sender
my %first_from = map { $_->{to} => $_->{from} } map { @$_ } values %by_from;
my @again = @$paced[0 .. 5];
my $c5 = campaign('Sticky', \@again, sender_ids => [ map { $_->{id} } @senders ]);
start($c5);
$cur = campaign_finished($c5, 30);
is($cur->{status}, 'completed', 'a second campaign to six of the leads completes');
my @second = grep { my $m = $_; grep { $_->{phone} eq $m->{to} } @again } @{ fake_messages(limit => 1000) };
is(scalar @second, 12, '... each of them has had two messages');
is(scalar(grep { $_->{from} ne $first_from{ $_->{to} } } @second), 0,
   '... each from the number of its first campaign (sticky sender)');
my $r = api(POST => "/api/leads/$again[0]{id}/messages", { body => 'Did you get our invitation?' });
is($r->{status}, 202, 'a person\'s reply to one of them is queued');
ok(wait_for(15, sub { @{ fake_messages(to => $again[0]{phone}) } == 3 }, 0.2), '... and sent');
is(fake_messages(to => $again[0]{phone})->[-1]{from}, $first_from{ $again[0]{phone} },
   '... from the same number');

# a sender of an unreachable kind: an alphanumeric ID never texts a +1 number
my $alpha = api(POST => '/api/senders', { phone => 'ACME', kind => 'alphanumeric' });
is($alpha->{status}, 201, 'an alphanumeric sender');
my $us = make_leads(1);
my $c6 = campaign('Alpha', $us, sender_ids => [ $alpha->{json}{id} ]);
start($c6);
$cur = campaign_finished($c6, 30);
$cl = cl_of($c6);
is($cl->{ $us->[0]{id} }{status}, 'skipped', 'a +1 lead of an alphanumeric-only campaign is skipped');
like($cl->{ $us->[0]{id} }{error_message} // '', qr/alphanumeric sender cannot send to US or Canadian/, '... saying why');

clear_senders();
done_testing();
