#!/usr/bin/perl
# Campaigns API: create (each way of selecting leads), read, list, update,
# delete, add leads, list a campaign's leads; every error a precise 4xx JSON
# answer with nothing changed.
use strict;
use warnings;
use FindBin;
use lib ($ENV{SMSCAMP_ROOT} ? "$ENV{SMSCAMP_ROOT}/t/lib" : "$FindBin::Bin/../lib");
use Test::More;
use Smscamp::Test;

my $ISO = qr/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?(?:Z|[+-]\d\d(?::?\d\d)?)$/;
my @FIELDS = qw(id name description agent_type status sms_system_prompt sms_temperature
                messages_per_second send_window max_send_errors scheduled_at stats
                created_at updated_at started_at completed_at);
my @STATS = qw(total_leads leads_by_status total_messages_sent total_messages_failed
               total_messages_pending total_segments total_cost success_rate progress
               started_at completed_at);
my @LEAD_STATUSES = qw(pending processing sending sent delivered undelivered failed skipped
                       cancelled unknown);

sub campaigns_fp {    # every campaign and campaign-lead row
    return psql(q{SELECT count(*) || ' ' || coalesce(md5(string_agg(c::text, E'\n' ORDER BY c.id)), '-')
                    || ' ' || (SELECT count(*) || coalesce(md5(string_agg(cl::text, E'\n' ORDER BY cl.id)), '-')
                                 FROM campaign_leads cl)
                    FROM campaigns c});
}
sub campaign_rows_fp {    # which campaign and campaign-lead rows there are (not their values)
    return psql(q{SELECT (SELECT count(*) || md5(string_agg(id::text, ',' ORDER BY id)) FROM campaigns)
                    || ' ' || (SELECT count(*) || md5(string_agg(id::text, ',' ORDER BY id))
                                 FROM campaign_leads)});
}
my $missing_campaign = psql('SELECT coalesce(max(id), 0) + 1000000 FROM campaigns') + 0;

# ---------------------------------------------------------------- leads to use
my $tok = unique_token();
my @leads = map { create_lead(name => "Camp $tok Lead $_", company => ($_ <= 3 ? "Filterco $tok" : undef)) } 1 .. 6;
my @ids = map { $_->{id} } @leads;

# ---------------------------------------------------------------- create: lead_ids
my $res = api(POST => '/api/campaigns', {
    name => "  Spring $tok  ", description => 'Spring promotion', agent_type => 'sms',
    sms_system_prompt => 'Invite them to the spring sale', sms_temperature => 90,
    messages_per_second => 5, send_window => '09:00-20:00', max_send_errors => 4,
    lead_ids => [@ids[0 .. 3], $ids[0]],
});
is_json_response($res, 201, 'POST /api/campaigns with lead_ids: 201 JSON');
my $c = $res->{json};
ok(ref $c eq 'HASH' && $c->{id} && $c->{id} =~ /^[1-9]\d*$/, 'the campaign has a positive id')
    or BAIL_OUT('cannot create campaigns: ' . res_summary($res));
ok(exists $c->{$_}, "the campaign has '$_'") for @FIELDS;
is($c->{name}, "Spring $tok", 'name trimmed');
is($c->{status}, 'draft', 'a new campaign is a draft');
is($c->{agent_type}, 'sms', 'agent_type as sent');
is($c->{sms_temperature}, 90, 'sms_temperature as sent');
is($c->{messages_per_second}, 5, 'messages_per_second as sent');
is($c->{send_window}, '09:00-20:00', 'send_window as sent');
is($c->{max_send_errors}, 4, 'max_send_errors as sent');
like($c->{created_at} // '', $ISO, 'created_at is ISO 8601');
is($c->{scheduled_at}, undef, 'scheduled_at null');
is(ref $c->{stats}, 'HASH', 'stats is an object');
ok(exists $c->{stats}{$_}, "stats has '$_'") for @STATS;
is_deeply([sort keys %{ $c->{stats}{leads_by_status} || {} }], [sort @LEAD_STATUSES],
          'stats.leads_by_status has every campaign-lead status');
is($c->{stats}{total_leads}, 4, 'four leads assigned (a repeated id counts once)');
is($c->{stats}{leads_by_status}{pending}, 4, '... all pending');
is($c->{stats}{total_messages_pending}, 4, 'total_messages_pending 4');
is($c->{stats}{progress}, 0, 'progress 0');
is(psql(q{SELECT string_agg(lead_id::text, ',' ORDER BY lead_id) FROM campaign_leads WHERE campaign_id = :'c' AND status = 'pending'},
        c => $c->{id}), join(',', sort { $a <=> $b } @ids[0 .. 3]), 'one pending campaign_leads row per lead');

# ---------------------------------------------------------------- create: lead_filter, lead_count, none
$res = api(POST => '/api/campaigns', { name => "Filter $tok", lead_filter => "filterco $tok" });
is($res->{status}, 201, 'POST with lead_filter: 201') or diag res_summary($res);
is($res->{json}{stats}{total_leads}, 3, 'lead_filter selects the leads GET /api/leads?q= finds');
is($res->{json}{send_window}, '08:00-21:00', 'send_window defaults to 08:00-21:00');
is($res->{json}{sms_temperature}, 70, 'sms_temperature defaults to 70');
is($res->{json}{agent_type}, 'sms', 'agent_type defaults to sms');
my $filter_c = $res->{json};

$res = api(POST => '/api/campaigns', { name => "Count $tok", lead_count => 2, send_window => undef });
is($res->{status}, 201, 'POST with lead_count: 201') or diag res_summary($res);
is($res->{json}{stats}{total_leads}, 2, 'lead_count 2: two leads');
is($res->{json}{send_window}, undef, 'send_window null: no quiet hours');
is(psql(q{SELECT string_agg(lead_id::text, ',' ORDER BY lead_id) FROM campaign_leads WHERE campaign_id = :'c'},
        c => $res->{json}{id}),
   psql(q{SELECT string_agg(id::text, ',' ORDER BY id) FROM (SELECT id FROM leads ORDER BY created_at, id LIMIT 2) x}),
   'lead_count takes the N oldest leads');

$res = api(POST => '/api/campaigns', { name => "Bare $tok" });
is($res->{status}, 201, 'POST without leads: 201') or diag res_summary($res);
is($res->{json}{stats}{total_leads}, 0, 'a campaign without leads');
my $bare = $res->{json};

# ---------------------------------------------------------------- create: validation
my $fp = campaigns_fp();
sub create_422 {
    my ($body, $loc, $what, %opt) = @_;
    local $Test::Builder::Level = $Test::Builder::Level + 1;
    my $r = api(POST => '/api/campaigns', $body);
    my $e = is_fastapi_422($r, $loc, "POST $what: 422 at [" . join(',', @$loc) . ']', %opt);
    is(campaigns_fp(), $fp, "POST $what: nothing stored");
    return $e;
}
create_422({ description => 'x' }, [qw(body name)], 'without name', type => 'missing');
create_422({ name => '' }, [qw(body name)], 'with an empty name');
create_422({ name => '   ' }, [qw(body name)], 'with a blank name');
create_422({ name => 5 }, [qw(body name)], 'with a numeric name', type => 'string_type');
create_422({ name => 'x' x 256 }, [qw(body name)], 'with a 256-character name', type => 'string_too_long');
create_422({ name => 'x', agent_type => 'fax' }, [qw(body agent_type)], 'with agent_type fax', type => 'enum',
           msg_like => qr/'sms', 'voice' or 'both'/);
create_422({ name => 'x', agent_type => 'SMS' }, [qw(body agent_type)], 'with agent_type SMS', type => 'enum');
create_422({ name => 'x', sms_temperature => 201 }, [qw(body sms_temperature)], 'with temperature 201',
           type => 'less_than_equal');
create_422({ name => 'x', sms_temperature => -1 }, [qw(body sms_temperature)], 'with temperature -1',
           type => 'greater_than_equal');
create_422({ name => 'x', sms_temperature => 0.7 }, [qw(body sms_temperature)], 'with temperature 0.7',
           type => 'int_from_float');
create_422({ name => 'x', sms_temperature => 'hot' }, [qw(body sms_temperature)], 'with temperature "hot"',
           type => 'int_parsing');
create_422({ name => 'x', sms_system_prompt => 'p' x 4001 }, [qw(body sms_system_prompt)],
           'with a 4001-character prompt', type => 'string_too_long');
create_422({ name => 'x', sms_system_prompt => ['p'] }, [qw(body sms_system_prompt)], 'with a prompt list',
           type => 'string_type');
create_422({ name => 'x', messages_per_second => -1 }, [qw(body messages_per_second)], 'with messages_per_second -1');
create_422({ name => 'x', messages_per_second => 'fast' }, [qw(body messages_per_second)],
           'with messages_per_second "fast"');
create_422({ name => 'x', send_window => '8-21' }, [qw(body send_window)], 'with send_window 8-21');
create_422({ name => 'x', send_window => '25:00-26:00' }, [qw(body send_window)], 'with send_window 25:00-26:00');
create_422({ name => 'x', send_window => '10:00-10:00' }, [qw(body send_window)], 'with an empty send window');
create_422({ name => 'x', max_send_errors => 0 }, [qw(body max_send_errors)], 'with max_send_errors 0');
create_422({ name => 'x', lead_ids => 'all' }, [qw(body lead_ids)], 'with lead_ids a string', type => 'list_type');
create_422({ name => 'x', lead_ids => [$ids[0], 'abc'] }, ['body', 'lead_ids', 1], 'with lead_ids ["abc"]');
create_422({ name => 'x', lead_ids => [0] }, ['body', 'lead_ids', 0], 'with lead_ids [0]', type => 'greater_than_equal');
create_422({ name => 'x', lead_ids => [-3] }, ['body', 'lead_ids', 0], 'with lead_ids [-3]');
create_422({ name => 'x', lead_ids => [1.5] }, ['body', 'lead_ids', 0], 'with lead_ids [1.5]');
create_422({ name => 'x', lead_ids => [undef] }, ['body', 'lead_ids', 0], 'with lead_ids [null]');
{
    my $m1 = missing_lead_id();
    my $m2 = $m1 + 7;
    my $e = create_422({ name => 'x', lead_ids => [$ids[0], $m2, $m1] }, [qw(body lead_ids)],
                       'with unknown lead ids');
    like($e->{msg} // '', qr/\b$m1\b.*\b$m2\b/, 'the 422 names the unknown ids') or diag explain $e;
}
create_422({ name => 'x', lead_ids => [$ids[0]], lead_filter => 'a' }, ['body'],
           'with lead_ids and lead_filter', msg_like => qr/only one of/);
create_422({ name => 'x', lead_filter => 'a', lead_count => 3 }, ['body'], 'with lead_filter and lead_count');
create_422({ name => 'x', lead_count => 0 }, [qw(body lead_count)], 'with lead_count 0');
create_422({ name => 'x', lead_count => 'ten' }, [qw(body lead_count)], 'with lead_count "ten"');
create_422({ name => 'x', lead_filter => 7 }, [qw(body lead_filter)], 'with lead_filter 7', type => 'string_type');
create_422([{ name => 'x' }], ['body'], 'with an array body', type => 'dict_type');
create_422('null', ['body'], 'with a JSON null body');
{
    my $r = api(POST => '/api/campaigns', { name => '', agent_type => 'fax', sms_temperature => 999 });
    is_fastapi_422($r, [qw(body agent_type)], 'all errors are reported at once: agent_type');
    is_fastapi_422($r, [qw(body sms_temperature)], '... and sms_temperature');
    is_fastapi_422($r, [qw(body name)], '... and name');
}
$res = api(POST => '/api/campaigns', '{"name": ');
is_json_error($res, 400, 'POST malformed JSON: 400');
is(campaigns_fp(), $fp, 'malformed JSON: nothing stored');

# ---------------------------------------------------------------- get
$res = api(GET => "/api/campaigns/$c->{id}");
is_json_response($res, 200, 'GET /api/campaigns/{id}: 200');
is_deeply($res->{json}, $c, 'GET answers what POST answered');
$res = api(GET => "/api/campaigns/$missing_campaign");
is_json_error($res, 404, 'GET a missing campaign: 404');
is($res->{json}{detail}, "Campaign $missing_campaign not found", '... "Campaign N not found"');
for my $bad ('abc', '0', '-1', '1.5', '99999999999999999999') {
    is_fastapi_422(api(GET => "/api/campaigns/$bad"), [qw(path id)], "GET /api/campaigns/$bad: 422 at path id");
}

# ---------------------------------------------------------------- list
$res = api(GET => '/api/campaigns');
is_json_response($res, 200, 'GET /api/campaigns: 200');
is_deeply([sort keys %{ $res->{json} || {} }], [qw(has_more items limit next_after offset total)], 'the list envelope');
is($res->{json}{limit}, 50, 'default limit 50');
is($res->{json}{offset}, 0, 'default offset 0');
my @listed = map { $_->{id} } @{ $res->{json}{items} || [] };
is_deeply(\@listed, [sort { $b <=> $a } @listed], 'newest first');
ok(ref $res->{json}{items}[0]{stats} eq 'HASH', 'each item carries its stats');

$res = api(GET => "/api/campaigns?q=" . lc("SPRING%20$tok"));
is($res->{json}{total}, 1, '?q= finds by name, case-insensitively');
is($res->{json}{items}[0]{id}, $c->{id}, '... the right campaign');
$res = api(GET => "/api/campaigns?q=$tok&limit=2&offset=1");
is($res->{json}{total}, 4, '?q= total counts every match');
is(scalar @{ $res->{json}{items} || [] }, 2, 'limit=2');
is($res->{json}{offset}, 1, 'offset echoed');
$res = api(GET => '/api/campaigns?status=draft&limit=500');
ok(@{ $res->{json}{items} || [] } && !grep({ $_->{status} ne 'draft' } @{ $res->{json}{items} }),
   '?status=draft lists drafts only');
is_fastapi_422(api(GET => '/api/campaigns?status=running'), [qw(query status)], '?status=running: 422', type => 'enum');
is_fastapi_422(api(GET => '/api/campaigns?limit=-1'), [qw(query limit)], '?limit=-1: 422');
is_fastapi_422(api(GET => '/api/campaigns?offset=x'), [qw(query offset)], '?offset=x: 422');
# keyset pages: the four matches two by two, newest first, each once
my $first = api(GET => "/api/campaigns?q=$tok&limit=2")->{json};
ok($first->{has_more}, 'a first page of 2 of 4: has_more');
my $second = api(GET => "/api/campaigns?q=$tok&limit=2&after=$first->{next_after}")->{json};
is_deeply([map { $_->{id} } @{ $first->{items} }, @{ $second->{items} }],
          [map { $_->{id} } @{ api(GET => "/api/campaigns?q=$tok&limit=4")->{json}{items} }],
          'the page after next_after: the next two, newest first');
ok(!$second->{has_more} && !defined $second->{next_after}, 'the last page: no more');
is_fastapi_422(api(GET => '/api/campaigns?offset=10001'), [qw(query offset)], '?offset=10001: 422 (use after)');

# ---------------------------------------------------------------- update
$res = api(PUT => "/api/campaigns/$c->{id}", { name => "Renamed $tok", sms_temperature => 40,
                                               description => undef, send_window => undef });
is_json_response($res, 200, 'PUT: 200');
is($res->{json}{name}, "Renamed $tok", 'PUT: name changed');
is($res->{json}{sms_temperature}, 40, 'PUT: temperature changed while draft');
is($res->{json}{description}, undef, 'PUT: null clears description');
is($res->{json}{send_window}, undef, 'PUT: send_window null');
is($res->{json}{sms_system_prompt}, 'Invite them to the spring sale', 'PUT: absent fields unchanged');
is($res->{json}{stats}{total_leads}, 4, 'PUT: leads unchanged');

$fp = campaigns_fp();
is_fastapi_422(api(PUT => "/api/campaigns/$c->{id}", { agent_type => 'fax' }), [qw(body agent_type)], 'PUT bad agent_type: 422');
is_fastapi_422(api(PUT => "/api/campaigns/$c->{id}", { name => '' }), [qw(body name)], 'PUT empty name: 422');
is_fastapi_422(api(PUT => "/api/campaigns/$c->{id}", { sms_temperature => 500 }), [qw(body sms_temperature)],
               'PUT temperature 500: 422');
is_fastapi_422(api(PUT => "/api/campaigns/abc", { name => 'x' }), [qw(path id)], 'PUT /abc: 422');
is_json_error(api(PUT => "/api/campaigns/$missing_campaign", { name => 'x' }), 404, 'PUT a missing campaign: 404');
is(campaigns_fp(), $fp, 'refused PUTs changed nothing');

# prompt, temperature, agent type only while draft
psql(q{UPDATE campaigns SET status = 'scheduled', scheduled_at = now() + interval '1 day' WHERE id = :'c'}, c => $c->{id});
$fp = campaigns_fp();
$res = api(PUT => "/api/campaigns/$c->{id}", { sms_system_prompt => 'Something else' });
is_json_error($res, 409, 'PUT the prompt of a scheduled campaign: 409');
like($res->{json}{detail} // '', qr/sms_system_prompt.*scheduled.*draft/, '... says why');
is_json_error(api(PUT => "/api/campaigns/$c->{id}", { agent_type => 'both' }), 409, 'PUT agent_type when not draft: 409');
is_json_error(api(PUT => "/api/campaigns/$c->{id}", { sms_temperature => 41 }), 409, 'PUT temperature when not draft: 409');
is(campaigns_fp(), $fp, 'the 409s changed nothing');
$res = api(PUT => "/api/campaigns/$c->{id}", { name => "Later $tok", sms_temperature => 40, max_send_errors => 9 });
is($res->{status}, 200, 'PUT name (and an unchanged temperature) of a scheduled campaign: 200') or diag res_summary($res);
is($res->{json}{max_send_errors}, 9, '... max_send_errors changed');

# ---------------------------------------------------------------- add leads
$res = api(POST => "/api/campaigns/$bare->{id}/leads", { lead_ids => [@ids[3 .. 5]] });
is_json_response($res, 200, 'POST /api/campaigns/{id}/leads: 200');
is_deeply($res->{json}, { campaign_id => $bare->{id}, matched => 3, added => 3, duplicates => 0, total_leads => 3 },
          'the counts');
$res = api(POST => "/api/campaigns/$bare->{id}/leads", { lead_ids => [@ids[4 .. 5], $ids[0]] });
is_deeply([@{ $res->{json} }{qw(matched added duplicates total_leads)}], [3, 1, 2, 4], 'duplicates are ignored and counted');
$res = api(POST => "/api/campaigns/$bare->{id}/leads", { lead_filter => "filterco $tok" });
is_deeply([@{ $res->{json} }{qw(matched added total_leads)}], [3, 2, 6], 'add by lead_filter');
$fp = campaigns_fp();
is_fastapi_422(api(POST => "/api/campaigns/$bare->{id}/leads", {}), ['body'], 'add leads without a selection: 422');
is_fastapi_422(api(POST => "/api/campaigns/$bare->{id}/leads", { lead_ids => [missing_lead_id()] }),
               [qw(body lead_ids)], 'add an unknown lead: 422');
is_json_error(api(POST => "/api/campaigns/$c->{id}/leads", { lead_ids => [$ids[5]] }), 409,
              'add leads to a campaign that is not a draft: 409');
is_json_error(api(POST => "/api/campaigns/$missing_campaign/leads", { lead_ids => [$ids[5]] }), 404,
              'add leads to a missing campaign: 404');
is(campaigns_fp(), $fp, 'refused additions changed nothing');

# ---------------------------------------------------------------- a campaign's leads
$res = api(GET => "/api/campaigns/$bare->{id}/leads");
is_json_response($res, 200, 'GET /api/campaigns/{id}/leads: 200');
is_deeply([sort keys %{ $res->{json} || {} }], [qw(has_more items limit next_after offset total)], 'the list envelope');
is($res->{json}{total}, 6, 'total');
my $item = $res->{json}{items}[0] || {};
ok(exists $item->{$_}, "a campaign lead has '$_'")
    for qw(id lead_id name phone email company status sms_sent sms_message sms_segments sms_cost
           error_message trace_id processed_at);
my @cl_ids = map { $_->{id} } @{ $res->{json}{items} || [] };
is_deeply(\@cl_ids, [sort { $a <=> $b } @cl_ids], 'in campaign-lead id order');
ok(length($item->{trace_id} // '') >= 8, 'each campaign lead has a trace_id');
is($item->{status}, 'pending', 'status pending');
is(($item->{sms_sent} ? 1 : 0), 0, 'sms_sent false');
my %by_lead = map { $_->{id} => $_ } @leads;
is($item->{name}, $by_lead{ $item->{lead_id} }{name}, 'the lead fields come with it');
$res = api(GET => "/api/campaigns/$bare->{id}/leads?limit=2&offset=2");
is_deeply([map { $_->{id} } @{ $res->{json}{items} || [] }], [@cl_ids[2, 3]], 'limit and offset page');
psql(q{UPDATE campaign_leads SET status = 'skipped' WHERE id = :'id'}, id => $cl_ids[1]);
$res = api(GET => "/api/campaigns/$bare->{id}/leads?status=skipped");
is($res->{json}{total}, 1, '?status=skipped: total');
is($res->{json}{items}[0]{id}, $cl_ids[1], '?status=skipped: the skipped lead');
is_fastapi_422(api(GET => "/api/campaigns/$bare->{id}/leads?status=done"), [qw(query status)], '?status=done: 422');
is_json_error(api(GET => "/api/campaigns/$missing_campaign/leads"), 404, 'leads of a missing campaign: 404');
is_fastapi_422(api(GET => '/api/campaigns/x/leads'), [qw(path id)], 'leads of campaign x: 422');

# ---------------------------------------------------------------- delete
# the real workers run: slow this campaign to a message every 1000 s so it stays
# processing (instead of completing) until the test cancels it; with a template, so that
# its leads are written (without one the writer fails them at once, and the campaign
# completes when they are inside the send window)
psql(q{UPDATE campaigns SET messages_per_second = 0.001, sms_template = 'Hi {first_name}'
        WHERE id = :'c'}, c => $filter_c->{id});
psql(q{UPDATE campaigns SET status = 'pending' WHERE id = :'c'}, c => $filter_c->{id});
psql(q{UPDATE campaigns SET status = 'processing' WHERE id = :'c'}, c => $filter_c->{id});
# (the workers may send its first message meanwhile: the rows are compared, not their values)
$fp = campaign_rows_fp();
$res = api(DELETE => "/api/campaigns/$filter_c->{id}");
is_json_error($res, 409, 'DELETE a processing campaign: 409');
like($res->{json}{detail} // '', qr/processing.*pause or cancel/, '... "pause or cancel it first"');
is(campaign_rows_fp(), $fp, '... nothing deleted');
$res = api(DELETE => "/api/campaigns/$bare->{id}");
is($res->{status}, 204, 'DELETE: 204') or diag res_summary($res);
is($res->{body}, '', '... no body');
is(psql(q{SELECT count(*) FROM campaign_leads WHERE campaign_id = :'c'}, c => $bare->{id}), '0',
   '... its campaign leads are gone');
is(psql(q{SELECT count(*) FROM leads WHERE id = :'l'}, l => $ids[5]), '1', '... the leads stay');
is_json_error(api(GET => "/api/campaigns/$bare->{id}"), 404, 'GET after DELETE: 404');
is_json_error(api(DELETE => "/api/campaigns/$bare->{id}"), 404, 'DELETE again: 404');
is_fastapi_422(api(DELETE => '/api/campaigns/0'), [qw(path id)], 'DELETE /api/campaigns/0: 422');
psql(q{UPDATE campaigns SET status = 'cancelled' WHERE id = :'c'}, c => $filter_c->{id});
is(api(DELETE => "/api/campaigns/$filter_c->{id}")->{status}, 204, 'a cancelled campaign can be deleted');

done_testing();
