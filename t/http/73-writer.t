#!/usr/bin/env perl
# Who writes the messages, through the server (issue 11): GET /api/settings names the writer;
# the make seed campaigns preview good messages out of the box; a prompt the built-in writer
# does not understand is a 422 on preview and on start, with the two ways out, and nothing
# is sent; a template is checked when saved and sent as written; with a model configured
# (the fake OpenAI), the settings and the preview name it, and a template is its starting
# point.
use strict;
use warnings;

use FindBin;
use lib "$FindBin::Bin/../lib";
use Test::More;

use Smscamp::Test;
use Smscamp::Engine;

my $FOOTER = 'Reply STOP to opt out';
my $tok = unique_token();

# ---------------------------------------------------------------- settings, offline

my $res = api(GET => '/api/settings');
is_json_response($res, 200, 'GET /api/settings: 200');
is($res->{json}{writer}{kind}, 'builtin', 'offline: the built-in writer');
is($res->{json}{writer}{label}, 'Built-in writer (offline)', '... labelled so');
ok(!exists $res->{json}{openai_api_key} && ($res->{body} // "") !~ /sk-|tok-/, 'no secret in the settings');

# ---------------------------------------------------------------- make seed

my $root = $ENV{SMSCAMP_ROOT} // "$FindBin::Bin/../..";
open(my $fh, '<', "$root/sql/seed.sql") or die "sql/seed.sql: $!";
my $seed = do { local $/; <$fh> };
close $fh;
psql($seed);
for my $name ('Spring open day', 'Trial ending') {
    my $id = psql(q{SELECT id FROM campaigns WHERE name = :'n' ORDER BY id LIMIT 1}, n => $name);
    my $p = api(POST => "/api/campaigns/$id/preview", {});
    is_json_response($p, 200, "make seed, \"$name\": the preview writes a message");
    my $m = $p->{json}{message} // '';
    # (Hi or Hello: the writer varies its phrasing by a hash of the lead and campaign ids)
    like($m, qr/^(Hi|Hello) Ada, (it's|this is) (Sam|Priya) from Acme\. /, "... greeting Ada and naming the sender: $m");
    unlike($m, qr/You are|in a short|friendly SMS|Ask them|\{/, '... with no instruction or placeholder in it');
    like($m, qr/\Q$FOOTER\E\z/, '... and the footer');
}
is(api(POST => '/api/campaigns/' . psql(q{SELECT id FROM campaigns WHERE name = 'Spring open day' LIMIT 1}) . '/preview', {})
       ->{json}{writer}{label}, 'Built-in writer (offline)', 'the seed prompt is written by the built-in writer');
is(api(POST => '/api/campaigns/' . psql(q{SELECT id FROM campaigns WHERE name = 'Trial ending' LIMIT 1}) . '/preview', {})
       ->{json}{writer}{label}, 'Template (offline)', 'the seed template is sent as a template');

# ---------------------------------------------------------------- a prompt it does not understand

my $lead = create_lead(name => "Ada Writer$tok", company => 'Analytical Engines');
my $c = api(POST => '/api/campaigns', { name => "Vague $tok", sms_system_prompt => 'Make them buy.',
                                        send_window => undef, lead_ids => [ $lead->{id} ] });
is_json_response($c, 201, 'a campaign with a vague prompt can be saved as a draft');
my $cid = $c->{json}{id};
$res = api(POST => "/api/campaigns/$cid/preview", {});
is_json_response($res, 422, 'preview: 422');
like($res->{json}{detail} // '', qr/did not understand "Make them buy"/, '... quoting the words it did not understand');
like($res->{json}{detail} // '', qr/template.*AI model/s, '... and offering a template or an AI model');
$res = api(POST => "/api/campaigns/$cid/start");
is_json_response($res, 422, 'start: 422');
like($res->{json}{detail} // '', qr/Nothing was sent/, '... nothing is sent');
is(psql(q{SELECT status FROM campaigns WHERE id = :'id'}, id => $cid), 'draft', 'the campaign is still a draft');
is(psql(q{SELECT count(*) FROM campaign_leads WHERE campaign_id = :'id' AND sms_message IS NOT NULL}, id => $cid), 0,
   'no message was written');
$res = api(POST => "/api/campaigns/$cid/schedule", { scheduled_at => '2999-01-01T09:00:00Z' });
is($res->{status}, 422, 'schedule: 422 too');

# nothing to say at all
my $e = api(POST => '/api/campaigns', { name => "Empty $tok", send_window => undef, lead_ids => [ $lead->{id} ] });
$res = api(POST => "/api/campaigns/$e->{json}{id}/start");
is_json_response($res, 422, 'a campaign with neither a template nor a prompt: start is 422');
like($res->{json}{detail} // '', qr/nothing to send/, '... saying it has nothing to send');

# ---------------------------------------------------------------- templates

$res = api(POST => '/api/campaigns', { name => "Bad tpl $tok", sms_template => 'Hi {firstname}, sale.' });
is_json_error($res, 422, [qw(body sms_template)], 'an unknown placeholder: 422 at sms_template');
like($res->{json}{detail}[0]{msg} // '', qr/unknown placeholder \{firstname\}/, '... naming it');
$res = api(POST => '/api/campaigns', { name => "Open tpl $tok", sms_template => 'Hi {first_name, sale.' });
is_json_error($res, 422, [qw(body sms_template)], 'a brace left open: 422');

$res = api(PUT => "/api/campaigns/$cid", { sms_template => 'Hi {first_name}, {company|your team} is invited to our open day on Saturday.',
                                           sender_name => 'Sam from Acme' });
is_json_response($res, 200, 'a draft gets a template');
is($res->{json}{sender_name}, 'Sam from Acme', '... and a sender');
$res = api(POST => "/api/campaigns/$cid/preview", {});
is_json_response($res, 200, 'with a template, the vague prompt no longer matters: preview 200');
is($res->{json}{message}, "Hi Ada, Analytical Engines is invited to our open day on Saturday. $FOOTER",
   '... the template filled in');
is($res->{json}{writer}{kind}, 'template', '... written by the template');
$res = api(POST => "/api/campaigns/$cid/start");
is($res->{status}, 202, 'and it starts');
my $st = wait_campaign($cid, 30, qw(completed failed paused cancelled));
is($st, 'completed', 'the template campaign completes');
is(psql(q{SELECT body FROM sms_outbox WHERE campaign_lead_id = (SELECT id FROM campaign_leads WHERE campaign_id = :'id')},
        id => $cid),
   "Hi Ada, Analytical Engines is invited to our open day on Saturday. $FOOTER", 'the outbox holds exactly the template filled in');
$res = api(PUT => "/api/campaigns/$cid", { sms_template => 'Other words {first_name}.' });
is($res->{status}, 409, 'the template of a campaign that ran cannot change');

# ---------------------------------------------------------------- with a model

use_fake_providers();
fake_reset();
$res = api(GET => '/api/settings');
is($res->{json}{writer}{kind}, 'llm', 'with an API key: a model writes');
like($res->{json}{writer}{label}, qr/^\S+ at 127\.0\.0\.1$/, "... labelled with the model and host: $res->{json}{writer}{label}");
unlike($res->{body} // "", qr/sk-test/, '... never the key');
my $m = api(POST => '/api/campaigns', { name => "Model $tok", sms_system_prompt => 'Make them buy.', send_window => undef,
                                        sms_template => 'Hi {first_name}, our sale starts Monday.', sender_name => 'Sam from Acme',
                                        lead_ids => [ $lead->{id} ] });
$res = api(POST => "/api/campaigns/$m->{json}{id}/preview", {});
is_json_response($res, 200, 'with a model, the prompt is the model\'s to follow: preview 200');
is($res->{json}{writer}{kind}, 'llm', '... written by the model');
my ($req) = @{ fake_llm_requests() };
my ($system) = map { $_->{content} } grep { $_->{role} eq 'system' } @{ $req->{messages} || [] };
like($system // '', qr/Make them buy\./, 'the model gets the prompt');
like($system // '', qr/Base the message on this one.*Hi Ada, our sale starts Monday\./s,
     'and the template, filled in, as its starting point');
like($system // '', qr/The message is from Sam from Acme\./, 'and the sender');

done_testing;
