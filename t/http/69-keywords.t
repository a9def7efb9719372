#!/usr/bin/env perl
# The SMS keywords over HTTP, through the workers and the fake Twilio
# (sql/keywords.sql): HELP gets exactly one answer; STOP exactly one
# confirmation and then silence, even from a campaign started afterwards and
# a reply a person queues; START one welcome back; a second STOP nothing.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/../lib";
use Test::More;
use Time::HiRes qw(sleep);
use Smscamp::Test;
use Smscamp::Engine;

my $tok = unique_token();
my $sid_n = 0;
sub inbound { my ($phone, $body) = @_; $sid_n++; return sms_inbound($phone, $body, "SMkw$tok$sid_n") }
sub at_fake { [ map { $_->{body} } @{ fake_messages(to => $_[0]) } ] }
sub settle { sleep 1.5 }   # the workers claim replies every 250 ms

use_fake_providers(openai_api_key => '', business_name => 'Acme Dental',
                   help_contact => 'help@acme.example');
fake_reset();
my ($ann, $bob) = @{ make_leads(2) };

# HELP: one answer
my $res = inbound($ann->{phone}, 'help');
is($res->{status}, 200, 'HELP: 200');
is($res->{json}{action}, 'help', '... action help');
ok(wait_for(10, sub { @{ at_fake($ann->{phone}) } == 1 }, 0.1), 'the fake Twilio gets one answer');
is_deeply(at_fake($ann->{phone}), ['Acme Dental: Reply STOP to opt out. Help: help@acme.example.'],
          '... the HELP answer: business, STOP, contact');
settle();
is(scalar @{ at_fake($ann->{phone}) }, 1, 'exactly one');

# STOP: one confirmation, then silence
$res = inbound($bob->{phone}, 'Stop.');
is($res->{json}{action}, 'opt_out', '"Stop.": opt_out');
ok(wait_for(10, sub { @{ at_fake($bob->{phone}) } == 1 }, 0.1), 'one confirmation reaches the phone');
like(at_fake($bob->{phone})->[0], qr/unsubscribed/, '... smscamp.optout_confirmation');
my $lead = api(GET => "/api/leads/$bob->{id}")->{json};
ok($lead->{opted_out} && $lead->{opt_out_source} eq 'sms', 'the lead shows opted_out (source sms)');
is(inbound($bob->{phone}, 'STOP')->{json}{action}, 'opt_out', 'STOP again: opt_out');
is(inbound($bob->{phone}, 'HELP')->{json}{action}, 'help', 'HELP from the opted-out phone: help');
is(api(POST => "/api/leads/$bob->{id}/messages", { body => 'Are you sure?' })->{status}, 409,
   'a person cannot write to it: 409');
my $c = api(POST => '/api/campaigns', {
    name => "Keywords $tok", send_window => undef,
    sms_template => 'Hi {first_name}, our open day is on Saturday.',
    lead_ids => [$ann->{id}, $bob->{id}] });
is($c->{status}, 201, 'a campaign to both, created after the STOP');
is(api(POST => "/api/campaigns/$c->{json}{id}/start")->{status}, 202, '... started');
my $cur = campaign_finished($c->{json}{id}, 30);
is($cur->{status}, 'completed', '... and completes');
settle();
is(scalar @{ at_fake($bob->{phone}) }, 1, 'the opted-out phone got its one confirmation and nothing else');
is(scalar @{ at_fake($ann->{phone}) }, 2, 'the other lead got the campaign');

# START: one welcome back
is(inbound($bob->{phone}, 'START')->{json}{action}, 'opt_in', 'START: opt_in');
ok(wait_for(10, sub { @{ at_fake($bob->{phone}) } == 2 }, 0.1), 'one welcome back');
like(at_fake($bob->{phone})->[1], qr/subscribed again/, '... smscamp.optin_confirmation');
ok(!api(GET => "/api/leads/$bob->{id}")->{json}{opted_out}, 'the lead is no longer opted out');
is(inbound($ann->{phone}, 'START')->{json}{action}, 'none', 'START from a phone never opted out: an ordinary reply');
settle();
is(scalar @{ at_fake($ann->{phone}) }, 2, '... no welcome back for it');

done_testing();
