#!/usr/bin/perl
# POST /api/campaigns/{id}/preview (the message for one lead, nothing sent or
# stored) and GET /api/campaigns/{id}/logs (filters, paging, oldest first).
use strict;
use warnings;
use FindBin;
use lib ($ENV{SMSCAMP_ROOT} ? "$ENV{SMSCAMP_ROOT}/t/lib" : "$FindBin::Bin/../lib");
use Test::More;
use Smscamp::Test;

my $tok = unique_token();
my $ada = create_lead(name => "Ada $tok", company => 'Analytical Engines');
my $bob = create_lead(name => "Bob $tok");
my $missing = psql('SELECT coalesce(max(id), 0) + 1000000 FROM campaigns') + 0;
my $c = api(POST => '/api/campaigns', { name => "Preview $tok", sms_system_prompt => 'Invite them to our spring sale',
                                        lead_ids => [$ada->{id}, $bob->{id}] })->{json};
my $empty = api(POST => '/api/campaigns', { name => "Preview empty $tok" })->{json};
sub cl_fp { psql(q{SELECT md5(string_agg(cl::text, ',' ORDER BY cl.id)) || (SELECT count(*) FROM sms_outbox)
                     FROM campaign_leads cl WHERE cl.campaign_id = :'c'}, c => $c->{id}) }

# ---------------------------------------------------------------- preview
my $fp = cl_fp();
my $res = api(POST => "/api/campaigns/$c->{id}/preview");
is_json_response($res, 200, 'POST /preview without a body: 200');
my $p = $res->{json} || {};
is($p->{lead_id}, $ada->{id}, "the campaign's first lead");
ok(exists $p->{$_}, "the preview has '$_'") for qw(message encoding segments characters cost model truncated
                                                     validation_errors valid);
ok(length($p->{message} // ''), 'a message is written');
like($p->{message} // '', qr/Ada/, 'personalised with the name');
like($p->{encoding} // '', qr/^(GSM-7|UCS-2)$/, 'encoding GSM-7 or UCS-2');
is($p->{segments}, psql(q{SELECT smscamp_sms_segments(:'m')}, m => $p->{message} // ''), 'segments as the database counts them');
is(sprintf('%.4f', $p->{cost} // -1), psql(q{SELECT smscamp_sms_cost(:'m')}, m => $p->{message} // ''), 'cost = segments x price');
is_deeply($p->{validation_errors}, [], 'no validation errors');
is(cl_fp(), $fp, 'a preview stores and sends nothing');

inbound_stop($bob->{phone});
$res = api(POST => "/api/campaigns/$c->{id}/preview", { lead_id => $bob->{id} });
is($res->{status}, 200, 'preview for a given lead_id: 200') or diag res_summary($res);
is($res->{json}{lead_id}, $bob->{id}, '... that lead');
ok((grep { /opted out/ } @{ $res->{json}{validation_errors} || [] }), '... shows that the recipient opted out');
ok(!$res->{json}{valid}, '... and is not valid');

is_json_error(api(POST => "/api/campaigns/$c->{id}/preview", { lead_id => missing_lead_id() }), 404,
              'preview for a missing lead: 404');
is_fastapi_422(api(POST => "/api/campaigns/$c->{id}/preview", { lead_id => 'abc' }), [qw(body lead_id)],
               'preview with lead_id "abc": 422');
is_fastapi_422(api(POST => "/api/campaigns/$c->{id}/preview", [1]), ['body'], 'preview with a list body: 422');
is_json_error(api(POST => "/api/campaigns/$empty->{id}/preview"), 409, 'preview of a campaign without leads: 409');
is_json_error(api(POST => "/api/campaigns/$missing/preview"), 404, 'preview of a missing campaign: 404');
is_fastapi_422(api(POST => '/api/campaigns/0/preview'), [qw(path id)], 'preview of campaign 0: 422');

sub inbound_stop {
    my ($phone) = @_;
    (my $enc = $phone) =~ s/\+/%2B/;
    my $r = webhook('/api/webhooks/sms/inbound', "From=$enc&Body=STOP");
    $r->{status} == 200 or diag 'inbound STOP failed: ' . res_summary($r);
}

# ---------------------------------------------------------------- logs
my @cl = split /\n/, psql(q{SELECT id FROM campaign_leads WHERE campaign_id = :'c' ORDER BY id}, c => $c->{id});
psql(q{INSERT INTO processing_logs (campaign_lead_id, level, node_name, message, metadata)
       SELECT cl.id, x.level, x.node, x.msg || ' ' || cl.id, jsonb_build_object('step', x.o, 'ms', 12.5)
         FROM campaign_leads cl,
              (VALUES (1, 'info', 'validate_lead', 'Lead validated'),
                      (2, 'info', 'sms_agent', 'Message generated'),
                      (3, 'warning', 'finalize', 'Lead finished')) AS x(o, level, node, msg)
        WHERE cl.campaign_id = :'c'
        ORDER BY cl.id, x.o}, c => $c->{id});
$res = api(GET => "/api/campaigns/$c->{id}/logs");
is_json_response($res, 200, 'GET /logs: 200');
is_deeply([sort keys %{ $res->{json} || {} }], [qw(has_more items limit next_after offset total)], 'the list envelope');
is($res->{json}{total}, 6, 'every log of the campaign');
my @items = @{ $res->{json}{items} || [] };
is_deeply([map { $_->{node_name} } @items[0 .. 2]], [qw(validate_lead sms_agent finalize)], 'oldest first');
my @log_ids = map { $_->{id} } @items;
is_deeply(\@log_ids, [sort { $a <=> $b } @log_ids], 'in id order');
ok(exists $items[0]{$_}, "a log has '$_'") for qw(id campaign_lead_id lead_id node_name level message metadata created_at);
is_deeply($items[0]{metadata}, { step => 1, ms => 12.5 }, 'metadata is JSON');
is($items[0]{campaign_lead_id}, $cl[0], 'campaign_lead_id');
is($items[0]{lead_id}, $ada->{id}, 'lead_id');
is(api(GET => "/api/campaigns/$c->{id}/logs?level=warning")->{json}{total}, 2, '?level=warning');
is(api(GET => "/api/campaigns/$c->{id}/logs?node=sms_agent")->{json}{total}, 2, '?node=sms_agent');
$res = api(GET => "/api/campaigns/$c->{id}/logs?campaign_lead_id=$cl[1]");
is($res->{json}{total}, 3, '?campaign_lead_id=');
ok(!grep({ $_->{campaign_lead_id} != $cl[1] } @{ $res->{json}{items} || [] }), '... only that lead\'s logs');
$res = api(GET => "/api/campaigns/$c->{id}/logs?limit=2&offset=2");
is_deeply([map { $_->{id} } @{ $res->{json}{items} || [] }], [@log_ids[2, 3]], 'limit and offset');
is(api(GET => "/api/campaigns/$empty->{id}/logs")->{json}{total}, 0, 'a campaign without logs: total 0');
is_fastapi_422(api(GET => "/api/campaigns/$c->{id}/logs?level=loud"), [qw(query level)], '?level=loud: 422', type => 'enum');
is_fastapi_422(api(GET => "/api/campaigns/$c->{id}/logs?campaign_lead_id=x"), [qw(query campaign_lead_id)],
               '?campaign_lead_id=x: 422');
is_fastapi_422(api(GET => "/api/campaigns/$c->{id}/logs?offset=-1"), [qw(query offset)], '?offset=-1: 422');
is_json_error(api(GET => "/api/campaigns/$missing/logs"), 404, 'logs of a missing campaign: 404');
is_fastapi_422(api(GET => '/api/campaigns/1.5/logs'), [qw(path id)], 'logs of campaign 1.5: 422');

done_testing();
