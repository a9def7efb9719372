#!/usr/bin/perl
# Campaign lifecycle over HTTP: start, pause, resume, cancel, schedule; every
# refused transition is a 409 that changes nothing; psql's smscamp_* functions
# and the routes are one code path.
#
# The background workers are running: campaigns here get a send window that
# is closed right now for their recipients, so the workers claim them
# (pending -> processing) but send nothing, and each state stays put.
use strict;
use warnings;
use FindBin;
use lib ($ENV{SMSCAMP_ROOT} ? "$ENV{SMSCAMP_ROOT}/t/lib" : "$FindBin::Bin/../lib");
use Test::More;
use Time::HiRes qw(sleep time);
use Smscamp::Test;

my $tok = unique_token();
my @leads = map { create_lead(name => "Life $tok $_") } 1 .. 3;
my @ids = map { $_->{id} } @leads;
my $missing = psql('SELECT coalesce(max(id), 0) + 1000000 FROM campaigns') + 0;

# a window that opens in 2 hours in the recipients' time zone: closed now
my $closed = psql(q{SELECT to_char(t + interval '2 hours', 'HH24:MI') || '-' || to_char(t + interval '3 hours', 'HH24:MI')
                      FROM (SELECT now() AT TIME ZONE smscamp_phone_timezone(:'p') AS t) x},
                  p => $leads[0]{phone});
like($closed, qr/^\d\d:\d\d-\d\d:\d\d$/, "a send window closed now: $closed");

sub campaign {
    my (%f) = @_;
    my $r = api(POST => '/api/campaigns', { name => "Life $tok " . unique_token(), send_window => $closed,
                                            sms_template => 'Hi {first_name}, our spring sale starts Monday.',
                                            lead_ids => \@ids, %f });
    $r->{status} == 201 or BAIL_OUT('cannot create a campaign: ' . res_summary($r));
    return $r->{json};
}
sub state_of { psql(q{SELECT status FROM campaigns WHERE id = :'id'}, id => $_[0]) }
sub lead_states {
    psql(q{SELECT string_agg(status, ',' ORDER BY id) FROM campaign_leads WHERE campaign_id = :'id'}, id => $_[0]);
}
sub fp { psql(q{SELECT md5(c::text) || (SELECT md5(coalesce(string_agg(cl::text, ',' ORDER BY cl.id), ''))
                                           FROM campaign_leads cl WHERE cl.campaign_id = c.id)
                  FROM campaigns c WHERE c.id = :'id'}, id => $_[0]) }
sub refused {    # POST $action on campaign $id: 409 with a message matching $re, nothing changed
    my ($id, $action, $re, $what) = @_;
    local $Test::Builder::Level = $Test::Builder::Level + 1;
    my $before = fp($id);
    my $r = api(POST => "/api/campaigns/$id/$action", $action eq 'schedule' ? { scheduled_at => '2999-01-01T00:00:00Z' } : undef);
    is_json_error($r, 409, "$what: 409");
    like($r->{json}{detail} // '', $re, "$what: the message says why") if $re;
    is(fp($id), $before, "$what: nothing changed");
}
sub wait_status {    # until the campaign's status is one of @want (10 s)
    my ($id, @want) = @_;
    my $deadline = time + 10;
    my $s;
    while (time < $deadline) {
        $s = state_of($id);
        return $s if grep { $_ eq $s } @want;
        sleep 0.1;
    }
    return $s;
}

# ---------------------------------------------------------------- start
my $c = campaign();
my $res = api(POST => "/api/campaigns/$c->{id}/start");
is_json_response($res, 202, 'POST /start: 202');
is($res->{json}{status}, 'pending', 'the answer is the campaign, pending');
is($res->{json}{id}, $c->{id}, '... the same campaign');
ok(ref $res->{json}{stats} eq 'HASH', '... with its stats');
my $s = wait_status($c->{id}, 'processing');
is($s, 'processing', 'a worker takes the started campaign (pending -> processing)');
is(lead_states($c->{id}), 'pending,pending,pending', 'outside its send window nothing is sent: leads stay pending');
refused($c->{id}, 'start', qr/Cannot start a campaign that is processing/, 'start a processing campaign');
refused($c->{id}, 'resume', qr/Cannot resume a campaign that is processing/, 'resume a processing campaign');

# ---------------------------------------------------------------- pause / resume
$res = api(POST => "/api/campaigns/$c->{id}/pause");
is_json_response($res, 200, 'POST /pause: 200');
is($res->{json}{status}, 'paused', 'paused');
is(state_of($c->{id}), 'paused', 'paused in the database');
is(lead_states($c->{id}), 'pending,pending,pending', 'a paused campaign keeps its unsent leads pending');
refused($c->{id}, 'pause', qr/Cannot pause a campaign that is paused/, 'pause a paused campaign');
$res = api(POST => "/api/campaigns/$c->{id}/resume");
is_json_response($res, 202, 'POST /resume: 202');
is($res->{json}{status}, 'pending', 'resumed: pending');
is(wait_status($c->{id}, 'processing'), 'processing', 'a worker takes it again');
refused($c->{id}, 'resume', qr/Cannot resume/, 'resume a campaign that is not paused');

# start of a paused campaign resumes it
api(POST => "/api/campaigns/$c->{id}/pause");
$res = api(POST => "/api/campaigns/$c->{id}/start");
is($res->{status}, 202, 'POST /start on a paused campaign: 202 (resume)') or diag res_summary($res);
is($res->{json}{status}, 'pending', '... pending');

# psql and HTTP: one code path
psql(q{SELECT smscamp_pause(:'id')}, id => $c->{id});
is(api(GET => "/api/campaigns/$c->{id}")->{json}{status}, 'paused', 'SELECT smscamp_pause(id) from psql: GET shows paused');
like(psql(q{SELECT smscamp_resume(:'id')::jsonb ->> 'status'}, id => $c->{id}), qr/^pending$/,
     'SELECT smscamp_resume(id) answers the campaign JSON');
is(psql(q{CREATE FUNCTION pg_temp.try(p bigint) RETURNS text LANGUAGE plpgsql AS $$
           BEGIN PERFORM smscamp_resume(p); RETURN 'ok'; EXCEPTION WHEN OTHERS THEN RETURN SQLSTATE; END $$;
           SELECT pg_temp.try(:'id')}, id => $c->{id}),
   'SC409', 'smscamp_resume from psql refuses a campaign that is not paused too (SQLSTATE SC409)');

# ---------------------------------------------------------------- cancel
$res = api(POST => "/api/campaigns/$c->{id}/cancel");
is_json_response($res, 200, 'POST /cancel: 200');
is($res->{json}{status}, 'cancelled', 'cancelled');
is(lead_states($c->{id}), 'cancelled,cancelled,cancelled', 'its unsent leads are cancelled');
is($res->{json}{stats}{leads_by_status}{cancelled}, 3, 'the stats count them');
ok(defined $res->{json}{completed_at}, 'completed_at is set');
$res = api(GET => "/api/campaigns/$c->{id}/leads?status=cancelled");
is($res->{json}{total}, 3, 'GET leads?status=cancelled lists them');
refused($c->{id}, 'cancel', qr/Cannot cancel a campaign that is cancelled/, 'cancel a cancelled campaign');
refused($c->{id}, 'start', qr/Cannot start a campaign that is cancelled/, 'start a cancelled campaign');
refused($c->{id}, 'pause', qr/Cannot pause a campaign that is cancelled/, 'pause a cancelled campaign');
refused($c->{id}, 'resume', qr/Cannot resume a campaign that is cancelled/, 'resume a cancelled campaign');
refused($c->{id}, 'schedule', qr/Cannot schedule a campaign that is cancelled/, 'schedule a cancelled campaign');

# ---------------------------------------------------------------- a draft
my $d = campaign();
refused($d->{id}, 'pause', qr/Cannot pause a campaign that is draft/, 'pause a draft');
refused($d->{id}, 'resume', qr/Cannot resume a campaign that is draft/, 'resume a draft');
refused($d->{id}, 'cancel', qr/Cannot cancel a campaign that is draft/, 'cancel a draft');

# completed: final
psql(q{UPDATE campaigns SET status = 'pending' WHERE id = :'id'}, id => $d->{id});
psql(q{UPDATE campaigns SET status = 'paused' WHERE id = :'id'}, id => $d->{id});
psql(q{UPDATE campaign_leads SET status = 'skipped' WHERE campaign_id = :'id'}, id => $d->{id});
psql(q{UPDATE campaigns SET status = 'pending' WHERE id = :'id'}, id => $d->{id});
is(wait_status($d->{id}, 'completed'), 'completed', 'a campaign with nothing left to send is completed by the workers');
refused($d->{id}, 'start', qr/Cannot start a campaign that is completed/, 'start a completed campaign');
refused($d->{id}, 'cancel', qr/Cannot cancel a campaign that is completed/, 'cancel a completed campaign');
refused($d->{id}, 'pause', qr/Cannot pause a campaign that is completed/, 'pause a completed campaign');

# ---------------------------------------------------------------- what cannot start
my $empty = api(POST => '/api/campaigns', { name => "Empty $tok" })->{json};
refused($empty->{id}, 'start', qr/no leads/, 'start a campaign without leads');
my $voice = api(POST => '/api/campaigns', { name => "Voice, no leads $tok", agent_type => 'voice',
                                             voice_system_prompt => 'Invite them to our open day.' })->{json};
refused($voice->{id}, 'start', qr/no leads/, 'start a voice campaign without leads');
is(state_of($voice->{id}), 'draft', 'the voice campaign is still a draft');

# ---------------------------------------------------------------- schedule
my $sc = campaign();
my $at = psql(q{SELECT to_char(now() + interval '1 day', 'YYYY-MM-DD"T"HH24:MI:SS"Z"') FROM (SELECT set_config('timezone', 'UTC', true)) x});
$res = api(POST => "/api/campaigns/$sc->{id}/schedule", { scheduled_at => $at });
is_json_response($res, 200, 'POST /schedule: 200');
is($res->{json}{status}, 'scheduled', 'scheduled');
is(psql(q{SELECT scheduled_at = (:'at')::timestamptz FROM campaigns WHERE id = :'id'}, id => $sc->{id}, at => $at), 't',
   'scheduled_at stored');
ok(defined $res->{json}{scheduled_at}, 'scheduled_at in the answer');
refused($sc->{id}, 'start', qr/Cannot start a campaign that is scheduled/, 'start a scheduled campaign');
my $before = fp($sc->{id});
is_fastapi_422(api(POST => "/api/campaigns/$sc->{id}/schedule", { scheduled_at => '2001-01-01T00:00:00Z' }),
               [qw(body scheduled_at)], 'schedule in the past: 422', msg_like => qr/future/);
is_fastapi_422(api(POST => "/api/campaigns/$sc->{id}/schedule", { scheduled_at => 'next week' }),
               [qw(body scheduled_at)], 'schedule "next week": 422');
is_fastapi_422(api(POST => "/api/campaigns/$sc->{id}/schedule", { scheduled_at => 20300101 }),
               [qw(body scheduled_at)], 'schedule a number: 422');
is_fastapi_422(api(POST => "/api/campaigns/$sc->{id}/schedule", {}), [qw(body scheduled_at)],
               'schedule without scheduled_at: 422', type => 'missing');
is_fastapi_422(api(POST => "/api/campaigns/$sc->{id}/schedule"), ['body'], 'schedule without a body: 422');
is(fp($sc->{id}), $before, 'the refused schedules changed nothing');
$res = api(POST => "/api/campaigns/$sc->{id}/schedule", { scheduled_at => undef });
is($res->{status}, 200, 'schedule null: 200') or diag res_summary($res);
is($res->{json}{status}, 'draft', '... back to draft');
is($res->{json}{scheduled_at}, undef, '... scheduled_at cleared');
refused($empty->{id}, 'schedule', qr/no leads/, 'schedule a campaign without leads');

# the housekeeping starts it on time
my $soon = psql(q{SELECT to_char(now() + interval '2 seconds', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') FROM (SELECT set_config('timezone', 'UTC', true)) x});
$res = api(POST => "/api/campaigns/$sc->{id}/schedule", { scheduled_at => $soon });
is($res->{status}, 200, 'schedule in 2 seconds: 200') or diag res_summary($res);
my $deadline = time + 75;    # the workers' housekeeping runs every second, pg_cron every minute
$s = state_of($sc->{id});
while (time < $deadline && $s eq 'scheduled') { sleep 0.2; $s = state_of($sc->{id}) }
like($s, qr/^(pending|processing)$/, "a scheduled campaign is started when its time comes ($s)");
is(api(POST => "/api/campaigns/$sc->{id}/cancel")->{status}, 200, 'and can be cancelled');

# ---------------------------------------------------------------- 404 / 422 on every action
for my $action (qw(start pause resume cancel schedule)) {
    my $body = $action eq 'schedule' ? { scheduled_at => '2999-01-01T00:00:00Z' } : undef;
    my $r = api(POST => "/api/campaigns/$missing/$action", $body);
    is_json_error($r, 404, "POST /$action on a missing campaign: 404");
    is($r->{json}{detail}, "Campaign $missing not found", "... Campaign $missing not found");
    is_fastapi_422(api(POST => "/api/campaigns/abc/$action", $body), [qw(path id)], "POST /$action on campaign abc: 422");
}

done_testing();
