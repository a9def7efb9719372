#!/usr/bin/perl
# Progress that tells the truth, over HTTP, with the background workers, the
# built-in writer and the "log" SMS provider (the test instance's defaults):
#   * a campaign whose send window is closed now for its recipients: processing,
#     stats.waiting says quiet hours and when it will send (the leads'
#     next_attempt_at), GET /leads says wait_reason quiet_hours; nothing sent,
#     no rate; deleting a lead that was never messaged takes its campaign lead
#     away; cancelled: 0 sent, N cancelled, 0 processed, progress 0, no rate,
#     no success rate;
#   * a campaign run to completion: its counts, success_rate 100, and an average
#     rate only when its sends span 5 s or more (3 sends at least);
#   * deleting a lead after it was sent: the campaign's numbers unchanged, its
#     campaign lead listed as lead_deleted with the name, phone and message it
#     was sent, its logs with the name it had;
#   * pause while running (150 leads at 5 msg/s): once the workers gave back what
#     they held, pending > 0 and nothing processing, no current rate, the average
#     over the sends so far; nothing sent while paused; cancelled afterwards;
#   * the dashboard's total_messages_pending: a draft's leads do not count, a
#     running or paused campaign's do, a cancelled one's do not (differences,
#     read while the other campaigns' pending leads hold still).
# Other test files run in parallel against the same database: names are unique
# to this run and no global total is compared as such.
use strict;
use warnings;
use FindBin;
use lib ($ENV{SMSCAMP_ROOT} ? "$ENV{SMSCAMP_ROOT}/t/lib" : "$FindBin::Bin/../lib");
use Test::More;
use Time::HiRes qw(sleep time);
use Smscamp::Test;

my $TEMPLATE = 'Hi {first_name}, see you Saturday.';
my %active;    # campaign id => 1 while it may still be running (cancelled at the end)

END {
    for my $id (sort keys %active) {
        my $r = api(POST => "/api/campaigns/$id/cancel");
        diag("cleanup: cancel campaign $id: HTTP $r->{status}") unless $r->{status} == 200 || $r->{status} == 409;
    }
}

sub create_campaign_http {
    my (%f) = @_;
    my $r = api(POST => '/api/campaigns', { sms_template => $TEMPLATE, %f });
    $r->{status} == 201 && ref $r->{json} eq 'HASH'
        or die('cannot create a campaign: ' . res_summary($r) . "\n");
    return $r->{json};
}

sub campaign { my $r = api(GET => "/api/campaigns/$_[0]"); return $r->{status} == 200 ? $r->{json} : undef }

sub campaign_leads {
    my ($id, $query) = @_;
    my $r = api(GET => "/api/campaigns/$id/leads?limit=500" . ($query ? "&$query" : ''));
    return $r->{status} == 200 ? $r->{json} : undef;
}

sub start {
    my ($id) = @_;
    my $r = api(POST => "/api/campaigns/$id/start");
    is($r->{status}, 202, "POST /api/campaigns/$id/start: 202") or diag res_summary($r);
    $active{$id} = 1;
}

# poll $code (true ends it) every $every s for $timeout s; the last true value or undef
sub poll {
    my ($timeout, $code, $every) = @_;
    my $deadline = time + $timeout;
    while (1) {
        my $v = $code->();
        return $v if $v;
        return undef if time > $deadline;
        sleep($every // 0.25);
    }
}

sub same_time {
    my ($a, $b) = @_;
    return 0 unless defined $a && defined $b;
    return psql(q{SELECT (:'a')::timestamptz = (:'b')::timestamptz}, a => $a, b => $b) eq 't';
}

sub in_future {
    my ($t) = @_;
    return defined $t && psql(q{SELECT (:'t')::timestamptz > now()}, t => $t) eq 't';
}

# How much of the dashboard's total_messages_pending these campaigns make up:
# the dashboard's number minus the unfinished leads of every other running or
# paused campaign (counted in the table), read while those hold still (the same
# count before and after the request). undef if they never held still.
sub pending_share {
    my @ids = @_;
    my $others = sub {
        psql(q{SELECT count(*) FROM campaign_leads cl JOIN campaigns c ON c.id = cl.campaign_id
                WHERE c.status IN ('pending', 'processing', 'paused')
                  AND cl.status IN ('pending', 'processing', 'sending')
                  AND c.id <> ALL (string_to_array(:'ids', ',')::bigint[])}, ids => join(',', @ids)) + 0;
    };
    for (1 .. 40) {
        my $o1 = $others->();
        my $r = api(GET => '/api/dashboard/stats');
        my $o2 = $others->();
        if ($r->{status} == 200 && $o1 == $o2) {
            return $r->{json}{total_messages_pending} - $o1;
        }
        sleep 0.25;
    }
    diag('the other campaigns\' pending leads never held still');
    return undef;
}

# ================================================================ quiet hours
my $qtok = unique_token();
my @qleads = map { create_lead(name => "Quinn$_ Quiet $qtok") } 1 .. 3;
# a window that opens in 2 hours in the recipients' time zone (closed now), when it opens, the zone
my ($window, $opens, $tz) = split /\|/, psql(q{
    SELECT to_char(t + interval '2 hours', 'HH24:MI') || '-' || to_char(t + interval '3 hours', 'HH24:MI')
           || '|' || (date_trunc('minute', t + interval '2 hours') AT TIME ZONE z)
           || '|' || z
      FROM (SELECT now() AT TIME ZONE smscamp_phone_timezone(:'p') AS t, smscamp_phone_timezone(:'p') AS z) x},
    p => $qleads[0]{phone});
like($window, qr/^\d\d:\d\d-\d\d:\d\d$/, "a send window closed now in $tz: $window");

my $q = create_campaign_http(name => "Quiet $qtok", send_window => $window,
                             lead_ids => [map { $_->{id} } @qleads]);
is($q->{status}, 'draft', 'the quiet-hours campaign is a draft');
is($q->{stats}{total_leads}, 3, '... with 3 leads');
is($q->{stats}{success_rate}, undef, '... success_rate null (nothing has an outcome)');
is($q->{stats}{processed}, 0, '... 0 processed');
is(pending_share($q->{id}), 0, 'dashboard: a draft\'s 3 leads are not in total_messages_pending');

start($q->{id});
my $qc = poll(20, sub {
    my $c = campaign($q->{id}) or return;
    my $l = campaign_leads($q->{id}) or return;
    return unless $c->{status} eq 'processing' && $c->{stats}{waiting};
    return unless 3 == grep { ($_->{wait_reason} // '') eq 'quiet_hours' } @{ $l->{items} };
    return [$c, $l];
});
ok($qc, 'a worker takes it and defers its 3 leads for quiet hours') or die('the campaign never waited');
my ($qcamp, $ql) = @$qc;
my $w = $qcamp->{stats}{waiting};
is($qcamp->{status}, 'processing', 'GET /api/campaigns/{id}: processing');
is($w->{reason}, 'quiet_hours', 'stats.waiting.reason: quiet_hours');
ok(in_future($w->{next_send_at}), "stats.waiting.next_send_at is in the future ($w->{next_send_at})");
ok(same_time($w->{next_send_at}, $opens), "... it is when the window opens in $tz ($opens)")
    or diag "next_send_at $w->{next_send_at}";
is($w->{window}, $window, 'stats.waiting.window: the send window');
is($w->{window}, $qcamp->{send_window}, '... the campaign\'s send_window');
is($w->{time_zone}, $tz, "stats.waiting.time_zone: the recipients' ($tz)");
is($qcamp->{stats}{processed}, 0, 'nothing processed');
is($qcamp->{stats}{total_messages_sent}, 0, 'nothing sent');
cmp_ok($qcamp->{stats}{progress}, '==', 0, 'progress 0');
is($qcamp->{stats}{leads_by_status}{pending}, 3, '3 pending');
is($qcamp->{stats}{rate}{current}, undef, 'rate.current null (no sends)');
is($qcamp->{stats}{rate}{average}, undef, 'rate.average null');
is($qcamp->{stats}{success_rate}, undef, 'success_rate null');
is($ql->{total}, 3, 'GET /leads: 3 campaign leads');
for my $cl (@{ $ql->{items} }) {
    is($cl->{status}, 'pending', "campaign lead $cl->{id}: pending");
    is($cl->{wait_reason}, 'quiet_hours', "campaign lead $cl->{id}: wait_reason quiet_hours");
    ok(same_time($cl->{next_attempt_at}, $w->{next_send_at}),
       "campaign lead $cl->{id}: next_attempt_at = stats.waiting.next_send_at")
        or diag "next_attempt_at " . ($cl->{next_attempt_at} // 'null');
    ok(!$cl->{lead_deleted}, "campaign lead $cl->{id}: lead_deleted false");
    is($cl->{attempts}, 0, "campaign lead $cl->{id}: no attempt counted");
}
is(psql(q{SELECT count(*) FROM sms_outbox b JOIN campaign_leads cl ON cl.id = b.campaign_lead_id
           WHERE cl.campaign_id = :'c'}, c => $q->{id}), 0, 'nothing in the outbox');
is(pending_share($q->{id}), 3, 'dashboard: the running campaign\'s 3 pending leads are in total_messages_pending');

# a lead that was never messaged, deleted: its campaign lead goes with it
my $gone = $qleads[2];
my $res = api(DELETE => "/api/leads/$gone->{id}");
is($res->{status}, 204, 'DELETE a waiting lead (never messaged): 204') or diag res_summary($res);
$ql = campaign_leads($q->{id});
is($ql->{total}, 2, 'GET /leads: its campaign lead is gone (never started)');
ok(!grep({ ($_->{lead_id} // 0) == $gone->{id} || ($_->{phone} // '') eq $gone->{phone} } @{ $ql->{items} }),
   '... not listed, not even as deleted');
is(campaign($q->{id})->{stats}{total_leads}, 2, 'stats.total_leads 2');

# cancel it
$res = api(POST => "/api/campaigns/$q->{id}/cancel");
is($res->{status}, 200, 'POST /cancel: 200') or diag res_summary($res);
delete $active{ $q->{id} };
my $cs = campaign($q->{id})->{stats};
is(campaign($q->{id})->{status}, 'cancelled', 'cancelled');
is($cs->{total_messages_sent}, 0, 'cancelled: 0 sent');
is($cs->{leads_by_status}{cancelled}, 2, 'cancelled: 2 cancelled');
is($cs->{leads_by_status}{pending}, 0, 'cancelled: 0 pending');
is($cs->{processed}, 0, 'cancelled: processed 0 (cancelled is not processed)');
cmp_ok($cs->{progress}, '==', 0, 'cancelled: progress 0');
is($cs->{rate}{average}, undef, 'cancelled: rate.average null');
is($cs->{rate}{current}, undef, 'cancelled: rate.current null');
is($cs->{success_rate}, undef, 'cancelled: success_rate null');
is($cs->{waiting}, undef, 'cancelled: not waiting');
is($cs->{total_messages_pending}, 0, 'cancelled: no pending messages');
$ql = campaign_leads($q->{id});
is_deeply([map { $_->{status} } @{ $ql->{items} }], ['cancelled', 'cancelled'], 'GET /leads: both cancelled');
is_deeply([grep { defined } map { ($_->{wait_reason}, $_->{next_attempt_at}) } @{ $ql->{items} }], [],
          'GET /leads: no wait_reason, no next_attempt_at once cancelled');
is(pending_share($q->{id}), 0, 'dashboard: a cancelled campaign\'s leads are not in total_messages_pending');

# ================================================================ run to completion
my $dtok = unique_token();
my @people = qw(Ada Grace Alan Edsger);
my @dleads = map { create_lead(name => "$_ Done $dtok") } @people;
my $d = create_campaign_http(name => "Done $dtok", send_window => undef,
                             lead_ids => [map { $_->{id} } @dleads]);
start($d->{id});
my $t0 = time;
my $dc = poll(30, sub { my $c = campaign($d->{id}); $c && $c->{status} =~ /^(completed|failed|cancelled|paused)$/ ? $c : undef });
is($dc && $dc->{status}, 'completed', sprintf('the 4-lead campaign completes (%.1f s)', time - $t0))
    or die('the campaign did not complete: ' . json_encode($dc // {}));
delete $active{ $d->{id} };
my $ds = $dc->{stats};
is($ds->{total_leads}, 4, 'completed: total_leads 4');
is($ds->{leads_by_status}{sent}, 4, 'completed: 4 sent');
is($ds->{total_messages_sent}, 4, 'completed: total_messages_sent 4');
is($ds->{processed}, 4, 'completed: processed 4');
cmp_ok($ds->{progress}, '==', 100, 'completed: progress 100');
is($ds->{total_messages_pending}, 0, 'completed: nothing pending');
is($ds->{leads_by_status}{$_}, 0, "completed: 0 $_") for qw(pending processing sending failed cancelled);
cmp_ok($ds->{success_rate} // -1, '==', 100, 'completed: success_rate 100');
is($ds->{waiting}, undef, 'completed: not waiting');
is($ds->{rate}{current}, undef, 'completed: no current rate (not running)');
my $span = psql_json(q{SELECT json_build_object('n', count(*),
                              'span', extract(epoch FROM max(processed_at) - min(processed_at)))
                         FROM campaign_leads WHERE campaign_id = :'c' AND sms_sent}, c => $d->{id});
if ($span->{n} >= 3 && $span->{span} >= 5) {
    cmp_ok(abs(($ds->{rate}{average} // -1) - ($span->{n} - 1) / $span->{span}), '<', 0.011,
           "completed: $span->{n} sends over $span->{span} s: rate.average = (sends - 1) / seconds");
} else {
    is($ds->{rate}{average}, undef,
       sprintf('completed: %d sends within %.3f s (< 5 s): rate.average null', $span->{n}, $span->{span}));
}
my $dl = campaign_leads($d->{id});
my ($segs, $cost) = (0, 0);
for my $cl (@{ $dl->{items} }) {
    $segs += $cl->{sms_segments} // 0;
    $cost += $cl->{sms_cost} // 0;
}
is($ds->{total_segments}, $segs, 'completed: total_segments = the sum over its leads');
cmp_ok(abs($ds->{total_cost} - $cost), '<', 0.00005, 'completed: total_cost = the sum over its leads');
my %by_lead = map { ($_->{lead_id} // 0) => $_ } @{ $dl->{items} };
for my $i (0 .. $#people) {
    like($by_lead{ $dleads[$i]{id} }{sms_message} // '', qr/^Hi $people[$i], see you Saturday\./,
         "$people[$i]: the template, filled in");
}

# ================================================================ delete a lead after it was sent
my $victim = $dleads[1];
my $vcl = $by_lead{ $victim->{id} };
my $vlogs = api(GET => "/api/campaigns/$d->{id}/logs?campaign_lead_id=$vcl->{id}&limit=500")->{json};
cmp_ok($vlogs->{total} // 0, '>=', 3, 'the sent lead has its logs');
is_deeply([sort { $a cmp $b } keys %{ { map { (($_->{lead_name} // 'null') => 1) } @{ $vlogs->{items} } } }],
          [$victim->{name}], '... with lead_name its name');
my $before = campaign($d->{id})->{stats};
$res = api(DELETE => "/api/leads/$victim->{id}");
is($res->{status}, 204, 'DELETE /api/leads/{id} of a sent lead: 204') or diag res_summary($res);
is(api(GET => "/api/leads/$victim->{id}")->{status}, 404, 'the lead is gone');
my $after = campaign($d->{id})->{stats};
for my $k (qw(total_leads total_messages_sent total_messages_failed total_segments total_cost processed progress success_rate)) {
    is($after->{$k}, $before->{$k}, "the campaign's $k is unchanged (" . ($before->{$k} // 'null') . ')');
}
is_deeply($after->{leads_by_status}, $before->{leads_by_status}, 'the campaign\'s counts by status are unchanged');
$dl = campaign_leads($d->{id});
is($dl->{total}, 4, 'GET /leads: still 4 campaign leads');
my ($kept) = grep { $_->{id} == $vcl->{id} } @{ $dl->{items} };
ok($kept, 'GET /leads lists the deleted lead\'s campaign lead') or die('the sent campaign lead is gone');
ok($kept->{lead_deleted} && JSON::PP::is_bool($kept->{lead_deleted}), '... lead_deleted true');
is($kept->{lead_id}, undef, '... lead_id null');
is($kept->{name}, $victim->{name}, '... the name it was messaged at');
is($kept->{phone}, $victim->{phone}, '... the phone it was messaged at');
is($kept->{sms_message}, $vcl->{sms_message}, '... its message');
is($kept->{status}, 'sent', '... still sent');
ok($kept->{sms_sent}, '... sms_sent');
is($kept->{sms_cost}, $vcl->{sms_cost}, '... its cost');
is($kept->{processed_at}, $vcl->{processed_at}, '... its processed_at');
is(scalar(grep { !$_->{lead_deleted} && defined $_->{lead_id} } @{ $dl->{items} }), 3,
   'the other 3 are not deleted and keep their lead_id');
$res = api(GET => "/api/campaigns/$d->{id}/logs?campaign_lead_id=$vcl->{id}&limit=500");
is($res->{status}, 200, 'GET /logs?campaign_lead_id= of the deleted lead: 200') or diag res_summary($res);
is($res->{json}{total}, $vlogs->{total}, '... the same number of logs');
is_deeply([map { $_->{id} } @{ $res->{json}{items} }], [map { $_->{id} } @{ $vlogs->{items} }], '... the same logs');
is(scalar(grep { ($_->{lead_name} // '') eq $victim->{name} } @{ $res->{json}{items} }), $vlogs->{total},
   "... each with lead_name the old name ($victim->{name})");
is_deeply([map { $_->{node_name} } grep { $_->{node_name} =~ /^(validate_lead|finalize)$/ } @{ $res->{json}{items} }],
          ['validate_lead', 'finalize'], '... validate_lead then finalize');

# ================================================================ pause while running
my $ptok = unique_token();
my $N = 150;
my $imp = api(POST => '/api/leads/import', [map { { name => "Pia$_ Pause $ptok", phone => unique_phone() } } 1 .. $N]);
is($imp->{status}, 200, "import $N leads: 200") or diag res_summary($imp);
is($imp->{json}{inserted}, $N, "... $N inserted");
my $p = create_campaign_http(name => "Pause $ptok", send_window => undef, messages_per_second => 5,
                             lead_filter => $ptok);
is($p->{stats}{total_leads}, $N, "the paused campaign has $N leads");
start($p->{id});
$t0 = time;
my $running = poll(40, sub {
    my $c = campaign($p->{id}) or return;
    return unless $c->{status} eq 'processing' && $c->{stats}{total_messages_sent} >= 35;
    return defined $c->{stats}{rate}{current} ? $c : undef;
});
ok($running, sprintf('at 5 msg/s it is still processing after %.1f s, with a current rate', time - $t0))
    or diag explain campaign($p->{id});
if ($running) {
    my $r = $running->{stats}{rate};
    cmp_ok($r->{current}, '>', 0, "rate.current $r->{current} msg/s (over $r->{window_seconds} s)");
    cmp_ok($r->{current}, '<=', 10, '... not above twice the limit of 5 msg/s');
    cmp_ok($r->{window_seconds}, '>=', 5, '... over at least 5 s');
    cmp_ok($running->{stats}{total_messages_sent}, '<', $N, 'not all sent yet');
}
$res = api(POST => "/api/campaigns/$p->{id}/pause");
is($res->{status}, 200, 'POST /pause: 200') or diag res_summary($res);
is($res->{json}{status}, 'paused', '... the answer is the campaign, paused');
# The leads the workers hold go back to pending as their send-rate slots come
# due (no faster than the campaign's rate): wait for as long as that takes.
my $at_pause = campaign($p->{id})->{stats};
my $held = $at_pause->{leads_by_status}{processing} + $at_pause->{leads_by_status}{sending};
my $settle = 15 + 1.5 * $held / 5;
my $t_pause = time;
my $pc = poll($settle, sub {
    my $c = campaign($p->{id}) or return;
    my $b = $c->{stats}{leads_by_status};
    return $c->{status} eq 'paused' && $b->{processing} + $b->{sending} == 0 ? $c : undef;
});
ok($pc, sprintf('paused, and the workers gave back the %d leads they held (processing + sending 0) in %.1f s',
               $held, time - $t_pause))
    or diag explain campaign($p->{id});
$pc //= campaign($p->{id});
my $ps = $pc->{stats};
my $pb = $ps->{leads_by_status};
is($pc->{status}, 'paused', 'status paused');
cmp_ok($pb->{pending}, '>', 0, "paused: $pb->{pending} pending");
is($pb->{processing}, 0, 'paused: none processing');
is($pb->{sending}, 0, 'paused: none sending');
is($pb->{pending} + $pb->{sent}, $N, 'paused: pending + sent = all the leads');
is($ps->{processed}, $pb->{sent}, "paused: processed = sent ($pb->{sent})");
is($ps->{total_messages_pending}, $pb->{pending}, 'paused: total_messages_pending = pending');
cmp_ok(abs($ps->{progress} - 100 * $pb->{sent} / $N), '<=', 0.05, "paused: progress $ps->{progress} (sent of $N, percent)");
is($ps->{waiting}, undef, 'paused: not waiting');
is($ps->{rate}{current}, undef, 'paused: no current rate');
ok(defined $ps->{rate}{average}, 'paused: rate.average (sends over 5 s and more)');
cmp_ok($ps->{rate}{average} // 99, '<=', 10, "... $ps->{rate}{average} msg/s, not above twice the limit");
cmp_ok($ps->{success_rate} // -1, '==', 100, 'paused: success_rate 100');
cmp_ok($ps->{total_messages_sent} - $at_pause->{total_messages_sent}, '<=', 5,
       'the leads held at the pause were given back, not sent (at most a second\'s worth sent meanwhile)');
my $proc = campaign_leads($p->{id}, 'status=processing');
is($proc->{total}, 0, 'GET /leads?status=processing: none');
is(campaign_leads($p->{id}, 'status=pending&limit=1')->{total}, $pb->{pending}, 'GET /leads?status=pending: the pending count');
is(psql(q{SELECT count(*) FROM campaign_leads WHERE campaign_id = :'c' AND claimed_by IS NOT NULL
            AND status IN ('processing', 'sending')}, c => $p->{id}), 0, 'no lead is held by a worker');
sleep 2;
my $later = campaign($p->{id})->{stats};
is($later->{total_messages_sent}, $ps->{total_messages_sent}, 'nothing is sent while paused (2 s later)');
is(pending_share($p->{id}), $pb->{pending}, 'dashboard: the paused campaign\'s pending leads are in total_messages_pending');

$res = api(POST => "/api/campaigns/$p->{id}/cancel");
is($res->{status}, 200, 'cancel the paused campaign: 200') or diag res_summary($res);
delete $active{ $p->{id} };
my $pcs = campaign($p->{id})->{stats};
is($pcs->{leads_by_status}{cancelled}, $pb->{pending}, 'cancelled: the pending leads are cancelled');
is($pcs->{total_messages_sent}, $ps->{total_messages_sent}, 'cancelled: the sent ones stay sent');
is($pcs->{processed}, $ps->{processed}, 'cancelled: processed unchanged (cancelled is not processed)');
is($pcs->{progress}, $ps->{progress}, 'cancelled: progress unchanged');
is($pcs->{rate}{average}, $ps->{rate}{average}, 'cancelled: the average rate is kept');
is(pending_share($p->{id}), 0, 'dashboard: not in total_messages_pending once cancelled');

done_testing;
