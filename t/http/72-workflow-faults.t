#!/usr/bin/env perl
# Faults, against the fake providers (t/fakes):
#   (a) the SMS provider: 500 -> unknown (never resent), 400 -> failed with a
#       clear error, 429 twice -> sent after retries, no answer -> unknown,
#       accepted then 500 / garbage -> unknown;
#   (b) the LLM: garbage / 500 / 429 / timeout once -> retried, then sent;
#       Retry-After honoured; always 500 -> failed after smscamp.max_attempts;
#       a final 4xx -> failed without retry;
#   (c) a worker killed with SIGKILL mid-campaign (PostgreSQL restarts every
#       backend) -> the campaign completes, no recipient gets two messages,
#       no lead is lost;
#   (d) PostgreSQL restarted mid-campaign (pg_ctl restart -m fast) -> the
#       same, and nginx answers /api/health again;
#   (e) auto-pause after max_send_errors consecutive provider errors, and
#       nothing is sent after the pause.
# Settings are changed with ALTER SYSTEM and restored at exit.
use strict;
use warnings;

use FindBin;
use lib "$FindBin::Bin/../lib";
use Test::More;
use Time::HiRes qw(time sleep);

use Smscamp::Test;
use Smscamp::Engine;

# SMSCAMP_FAULTS=a,e runs only those parts (when working on one of them)
my %only = map { $_ => 1 } grep { length } split /[\s,]+/, $ENV{SMSCAMP_FAULTS} // '';
my @cleanup;
END { my $rc = $?; cancel_campaign($_) for @cleanup; $? = $rc }

# each part from the engine's own settings (none of the part before's timeouts and
# attempts), and its campaigns cancelled after it: a part that fails leaves no
# campaign running into the next
sub part {
    my ($p, $name, $code) = @_;
    return if %only && !$only{$p};
    reset_engine();
    subtest "($p) $name" => $code;
    cancel_campaign($_) for splice @cleanup;
}

sub digits { $_[0] =~ s/^\+//r }

sub requests_to { scalar @{ fake_sms_requests(to => $_[0]) } }
sub messages_to { scalar @{ fake_messages(to => $_[0]) } }

# A campaign of these leads (dropped at exit), not started; its id.
sub campaign_of {
    my ($leads, %fields) = @_;
    my $cid = create_campaign(max_send_errors => 1000, %fields);
    push @cleanup, $cid;
    add_leads($cid, $leads);
    return $cid;
}

# A campaign of these leads, run to its end: one test, that it completed within 40 s; its id.
sub run_to_completion {
    my ($leads) = @_;
    local $Test::Builder::Level = $Test::Builder::Level + 1;
    my $cid = campaign_of($leads);
    my $t0 = time;
    start_campaign($cid);
    my $status = wait_campaign($cid, 40, qw(completed failed paused cancelled));
    is($status, 'completed', sprintf('the campaign completed (%.1f s)', time - $t0))
        or diag explain lead_counts($cid);
    return $cid;
}

# ============================================================ (a) SMS faults

part a => 'SMS provider faults', sub {
    use_fake_providers(sms_timeout_ms => 1000);
    fake_reset();
    my $leads = make_leads(26);
    my %who = (
        s500     => $leads->[0],
        s400     => $leads->[1],
        s429     => $leads->[2],
        timeout  => $leads->[3],
        acc500   => $leads->[4],
        accgarb  => $leads->[5],
    );
    fake_config({ sms_rules => {
        digits($who{s500}{phone})    => '500',
        digits($who{s400}{phone})    => '400',
        digits($who{s429}{phone})    => { behaviour => '429', times => 2, retry_after_s => 1 },
        digits($who{timeout}{phone}) => 'timeout',
        digits($who{acc500}{phone})  => 'accept_then_500',
        digits($who{accgarb}{phone}) => 'accept_then_garbage',
    } });
    my $cid = run_to_completion($leads);

    my %row = map { $_->{lead_id} => $_ } @{ leads_of($cid) };
    my $r = sub { $row{ $who{ $_[0] }{id} } };

    is($r->('s500')->{status}, 'unknown', '500 after the request was sent: unknown');
    like($r->('s500')->{error_message} // '', qr/500/, '500: the error says HTTP 500');
    like($r->('s500')->{error_message} // '', qr/may have been sent/i, '500: the error says it may have been sent');
    is(requests_to($who{s500}{phone}), 1, '500: attempted exactly once (never resent)');

    is($r->('s400')->{status}, 'failed', '400: failed');
    like($r->('s400')->{error_message} // '', qr/refused.*400|400.*refused/i, '400: the error says the provider refused it (HTTP 400)');
    like($r->('s400')->{error_message} // '', qr/21610/, "400: the error carries the provider's code");
    is(requests_to($who{s400}{phone}), 1, '400: not retried');
    is($r->('s400')->{attempts}, 1, '400: one attempt');

    is($r->('s429')->{status}, 'sent', '429 twice: sent after retries');
    is(requests_to($who{s429}{phone}), 3, '429 twice: three requests (429, 429, accepted)');
    is(messages_to($who{s429}{phone}), 1, '429 twice: one message delivered');
    is($r->('s429')->{attempts}, 3, '429 twice: three attempts counted');
    my @t = map { $_->{ts} } @{ fake_sms_requests(to => $who{s429}{phone}) };
    ok(@t == 3 && $t[1] - $t[0] >= 900 && $t[2] - $t[1] >= 900,
       'Retry-After: 1 is honoured between the attempts (' . join(', ', map { $t[$_] - $t[$_ - 1] } 1 .. $#t) . ' ms)');

    is($r->('timeout')->{status}, 'unknown', 'no answer within smscamp.sms_timeout_ms: unknown');
    like($r->('timeout')->{error_message} // '', qr/did not answer|time/i, 'no answer: the error says so');
    is(requests_to($who{timeout}{phone}), 1, 'no answer: attempted exactly once');

    is($r->('acc500')->{status}, 'unknown', 'accepted then 500: unknown');
    is(messages_to($who{acc500}{phone}), 1, 'accepted then 500: the provider has it once');
    is(requests_to($who{acc500}{phone}), 1, 'accepted then 500: never resent');

    is($r->('accgarb')->{status}, 'unknown', '2xx without a sid (garbage): unknown');
    is(requests_to($who{accgarb}{phone}), 1, '2xx garbage: never resent');

    my @normal = @$leads[6 .. $#$leads];
    is(scalar(grep { $row{ $_->{id} }{status} ne 'sent' } @normal), 0, 'the 20 other leads are sent');
    is(scalar(grep { messages_to($_->{phone}) != 1 } @normal), 0, 'each of them got exactly one message');

    is(psql(q{SELECT count(*) FROM processing_logs p JOIN campaign_leads cl ON cl.id = p.campaign_lead_id
               WHERE cl.campaign_id = (:'c')::bigint AND p.node_name = 'sms_agent' AND p.level = 'error'}, c => $cid),
       5 + 2, 'sms_agent logs an error for each failed attempt (5 leads once, the 429 one twice)');
    is(psql(q{SELECT count(*) FROM processing_logs p JOIN campaign_leads cl ON cl.id = p.campaign_lead_id
               WHERE cl.campaign_id = (:'c')::bigint AND p.node_name = 'finalize'
                 AND cl.status IN ('unknown', 'failed') AND p.level = 'error'}, c => $cid),
       5, 'finalize logs the unknown and failed leads as errors');

    # nothing comes back later: housekeeping never resends an unknown lead
    my $n = scalar @{ fake_sms_requests() };
    sleep 2.5;
    is(scalar @{ fake_sms_requests() }, $n, 'no more SMS requests after the campaign completed');
    is(psql(q{SELECT status FROM campaigns WHERE id = (:'c')::bigint}, c => $cid), 'completed', 'it stays completed');
};

# ============================================================ (b) LLM faults

part b => 'LLM faults', sub {
    use_fake_providers(max_attempts => 2, llm_timeout_ms => 1000);
    fake_reset();
    my @special = qw(Initech Globex Hooli Soylent Umbrella Cyberdyne Acme);
    my $leads = make_leads(17, company => sub { $special[ $_[0] ] // "Normal $_[0]" });
    fake_config({ llm_rules => {
        Initech   => { behaviour => 'garbage', times => 1 },
        Globex    => { behaviour => '500', times => 1 },
        Hooli     => { behaviour => '429', times => 1, retry_after_s => 4 },
        Soylent   => { behaviour => 'timeout', times => 1 },
        Umbrella  => '500',
        Cyberdyne => 'garbage',
        Acme      => '400',
    } });
    my $cid = run_to_completion($leads);

    my %row = map { $_->{company} => $_ } @{ leads_of($cid) };
    my $llm = sub { fake_llm_requests(contains => "company: $_[0]") };

    for my $co (qw(Initech Globex Hooli Soylent)) {
        is($row{$co}{status}, 'sent', "$co: one LLM failure, retried, then sent");
        is($row{$co}{attempts}, 2, "$co: two attempts");
        is(scalar @{ $llm->($co) }, 2, "$co: two LLM requests");
        like($row{$co}{sms_message} // '', qr/^Hi Ann\w+, /, "$co: the message is the LLM's");
    }
    my @h = map { $_->{ts} } @{ $llm->('Hooli') };
    ok(@h == 2 && $h[1] - $h[0] >= 3900, 'Retry-After: 4 is honoured for the LLM ('
       . (@h == 2 ? $h[1] - $h[0] : '?') . ' ms between the attempts)');

    is($row{Umbrella}{status}, 'failed', 'LLM always 500: failed');
    is($row{Umbrella}{attempts}, 2, 'LLM always 500: after smscamp.max_attempts (2) attempts');
    is(scalar @{ $llm->('Umbrella') }, 2, 'LLM always 500: two LLM requests, no more');
    like($row{Umbrella}{error_message} // '', qr/LLM.*500/, 'LLM always 500: the error says so: '
         . ($row{Umbrella}{error_message} // 'NULL'));
    is(requests_to($row{Umbrella}{phone}), 0, 'LLM always 500: no SMS was sent');

    is($row{Cyberdyne}{status}, 'failed', 'LLM always garbage: failed');
    like($row{Cyberdyne}{error_message} // '', qr/LLM.*(JSON|content)/i, 'LLM always garbage: the error says so: '
         . ($row{Cyberdyne}{error_message} // 'NULL'));
    is(scalar @{ $llm->('Cyberdyne') }, 2, 'LLM always garbage: two LLM requests');

    is($row{Acme}{status}, 'failed', 'LLM 400: failed');
    is(scalar @{ $llm->('Acme') }, 1, 'LLM 400 (a final error): not retried');
    like($row{Acme}{error_message} // '', qr/LLM.*400/, 'LLM 400: the error says so');

    my @normal = grep { ($_->{company} // '') =~ /^Normal/ } values %row;
    is(scalar(grep { $_->{status} eq 'sent' } @normal), 10, 'the 10 other leads are sent');
    is(scalar(grep { $_->{attempts} != 1 } @normal), 0, 'the other leads took one attempt each');
    is(scalar @{ fake_messages() }, 14, 'the provider got 14 messages (17 leads - 3 failed)');
};

# ============================================================ (c), (d) crashes

# run 1,000 leads slowly enough to interrupt them; $interrupt->($cid) is
# called once 150 of them are sent
sub crash_run {
    my ($label, $interrupt) = @_;
    use_fake_providers(max_inflight => 32);
    fake_reset();
    fake_config({ sms_latency_ms => 200, llm_latency_ms => 20 });
    my $leads = make_leads(1000);
    my $cid = campaign_of($leads);
    my $t0 = time;
    start_campaign($cid);
    my $midway = wait_for(30, sub {
        psql(q{SELECT count(*) FROM campaign_leads WHERE campaign_id = (:'c')::bigint AND status = 'sent'},
             c => $cid) >= 150;
    }, 0.05);
    my $before = lead_counts($cid);
    ok($midway && ($before->{sent} // 0) < 900,
       "$label: interrupted mid-campaign (" . join(', ', map { "$_ $before->{$_}" } sort keys %$before) . ')')
        or diag explain { campaign => campaign_row($cid), workers => [ worker_pids() ],
                          fake => fake_get('/_fake/stats'),
                          settings => psql(q{SELECT string_agg(name || '=' || setting, ' ' ORDER BY name)
                                               FROM pg_settings WHERE name LIKE 'smscamp.%'
                                                AND name NOT LIKE '%key%' AND name NOT LIKE '%token%'}),
                          log => do { my $sz = pg_log_size(); pg_log_since($sz > 3000 ? $sz - 3000 : 0) } };
    $interrupt->($cid);
    my $status = wait_campaign($cid, 60, qw(completed failed paused cancelled));
    is($status, 'completed', sprintf('%s: the campaign completed (%.1f s in all)', $label, time - $t0))
        or diag explain lead_counts($cid);
    # let anything in flight land before counting
    sleep 1;

    my $counts = lead_counts($cid);
    my $total = 0;
    $total += $counts->{$_} // 0 for qw(sent unknown failed skipped);
    is($total, 1000, "$label: sent + unknown + failed + skipped = 1000 (" .
       join(', ', map { "$_ $counts->{$_}" } sort keys %$counts) . ')');
    is(($counts->{pending} // 0) + ($counts->{processing} // 0) + ($counts->{sending} // 0), 0,
       "$label: no lead left pending, processing or sending");
    is(($counts->{failed} // 0) + ($counts->{skipped} // 0), 0, "$label: none failed or skipped: none lost");
    cmp_ok($counts->{sent} // 0, '>=', 900, "$label: most were sent");

    my $msgs = fake_messages();
    my %n;
    $n{ $_->{to} }++ for @$msgs;
    my @twice = grep { $n{$_} > 1 } keys %n;
    is(scalar @twice, 0, "$label: no recipient got two messages") or diag "twice: @twice[0 .. 4]";
    my %req;
    $req{ $_->{to} }++ for @{ fake_sms_requests() };
    is(scalar(grep { $req{$_} > 1 } keys %req), 0, "$label: no recipient was even attempted twice");

    my $rows = leads_of($cid);
    my %sid = map { $_->{sid} => $_->{to} } @$msgs;
    my @sent = grep { $_->{status} eq 'sent' } @$rows;
    my @wrong_sid = grep { !defined $_->{sms_sid} || ($sid{ $_->{sms_sid} } // '') ne $_->{phone} } @sent;
    is(scalar @wrong_sid, 0, "$label: every sent lead has the sid of its message at the provider")
        or diag explain [ map {
            my $l = $_;
            { lead => $l->{id}, phone => $l->{phone}, sms_sid => $l->{sms_sid},
              provider_to_of_that_sid => $sid{ $l->{sms_sid} // '' },
              provider_messages_to_this_phone => [ map { $_->{sid} } grep { $_->{to} eq $l->{phone} } @$msgs ] }
          } @wrong_sid[0 .. ($#wrong_sid < 4 ? $#wrong_sid : 4)] ];
    my @unk = grep { $_->{status} eq 'unknown' } @$rows;
    note("$label: unknown leads: " . join('; ', map { "$_->{id}: " . ($_->{error_message} // '') } @unk[0 .. ($#unk < 4 ? $#unk : 4)]))
        if @unk;
    my %status_of = map { $_->{phone} => $_->{status} } @$rows;
    is(scalar(grep { ($status_of{$_} // '') !~ /^(?:sent|unknown)$/ } keys %n), 0,
       "$label: every message at the provider belongs to a sent or unknown lead");
    is(scalar(keys %n), scalar(@sent) + scalar(grep { $_->{status} eq 'unknown' && $n{ $_->{phone} } } @$rows),
       "$label: the provider has exactly the sent leads' messages (+ those of unknown leads it took)");
    is(scalar(grep { $_->{status} eq 'unknown' && ($_->{error_message} // '') eq '' } @$rows), 0,
       "$label: every unknown lead says why");
    is(psql(q{SELECT count(*) FROM campaign_leads WHERE campaign_id = (:'c')::bigint AND claimed_by IS NOT NULL},
            c => $cid), 0, "$label: no lead is left claimed");
    return $cid;
}

part c => 'SIGKILL of a worker mid-campaign', sub {
    my $log_from = pg_log_size();
    my @before = worker_pids();
    is(scalar @before, 2, 'two workers before');
    my $killed;
    crash_run('SIGKILL', sub {
        my ($cid) = @_;
        my %w = map { $_ => 1 } worker_pids();
        my @holders = grep { $w{$_} } split ' ', psql(q{SELECT string_agg(DISTINCT claimed_by::text, ' ')
              FROM campaign_leads WHERE campaign_id = (:'c')::bigint AND status IN ('processing', 'sending')},
              c => $cid);
        $killed = $holders[0] // (keys %w)[0];
        ok(kill('KILL', $killed), "SIGKILL to worker $killed (it holds leads)");
    });
    my @after = worker_pids();
    is(scalar @after, 2, 'two workers again after the crash');
    ok(!grep({ $_ == $killed } @after), 'the killed worker was replaced');
    like(pg_log_since($log_from), qr/\(PID $killed\) was terminated by signal 9/,
         'the PostgreSQL log shows the SIGKILL and the restart');
    ok(wait_health(10), 'nginx answers /api/health after the crash recovery');
};

part d => 'PostgreSQL restarted mid-campaign', sub {
    plan skip_all => 'SMSCAMP_INSTANCE is not set: cannot restart PostgreSQL' unless $ENV{SMSCAMP_INSTANCE};
    my $rc;
    my $cid = crash_run('restart', sub {
        my $t = time;
        $rc = pg_restart('fast');
        is($rc, 0, sprintf('pg_ctl restart -m fast succeeded (%.1f s)', time - $t));
        my $h = time;
        ok(wait_health(10), sprintf('nginx answers /api/health 200 again (%.1f s after the restart)', time - $h));
    });
    is(scalar(worker_pids()), 2, 'two workers after the restart');
};

# ============================================================ (e) auto-pause

part e => 'auto-pause after max_send_errors consecutive errors', sub {
    use_fake_providers();
    fake_reset();
    # 20 phones that all end in the same 4 digits, so one rule refuses them all
    my @phones;
    for (1 .. 50) {
        my $npa = substr(free_phone_prefix(), 2, 3);
        my $start = 200 + int rand 600;
        my @try = map { "+1$npa" . ($start + $_ * 9) . '4004' } 0 .. 19;
        next if grep { /^\+1\d{3}\d11/ } @try;
        my $taken = psql(q{SELECT count(*) FROM leads WHERE phone = ANY (string_to_array(:'p', ',')::text[])},
                         p => join(',', @try));
        if (!$taken) { @phones = @try; last }
    }
    die "no free phones ending in 4004\n" unless @phones;
    my $leads = make_leads(20, phones => \@phones);
    fake_config({ sms_rules => { '4004' => '400' } });
    # 4 per second: without the pause, 16 more would go out in the 4 s we watch
    my $cid = campaign_of($leads, max_send_errors => 3, messages_per_second => 4);
    start_campaign($cid);
    my $status = wait_campaign($cid, 20, qw(paused completed failed cancelled));
    is($status, 'paused', 'the campaign is paused after 3 consecutive provider errors');
    my $at_pause = scalar @{ fake_sms_requests() };
    my $row = campaign_row($cid);
    cmp_ok($row->{consecutive_send_errors}, '>=', 3, "consecutive_send_errors = $row->{consecutive_send_errors}");
    is(psql(q{SELECT count(*) FROM processing_logs p JOIN campaign_leads cl ON cl.id = p.campaign_lead_id
               WHERE cl.campaign_id = (:'c')::bigint AND p.message LIKE 'Campaign paused after%'}, c => $cid),
       1, 'the pause is logged once');
    cmp_ok($at_pause, '<=', 5, "few sends were tried before the pause ($at_pause)");

    my $paused_at = time;
    sleep 4;
    my $later = scalar @{ fake_sms_requests() };
    cmp_ok($later, '<=', $at_pause + 1, "nothing more is sent once paused ($at_pause at the pause, $later 4 s later)");
    # the leads the workers held go back to pending (they may wait for the
    # send slot they had; 20 leads at 4/s: within 5 s of the start)
    my $released = wait_for(15, sub {
        my $c = lead_counts($cid);
        ($c->{processing} // 0) + ($c->{sending} // 0) == 0;
    });
    ok($released, sprintf('the leads held by the workers are given back (%.1f s after the pause)', time - $paused_at))
        or diag explain lead_counts($cid);
    my $counts = lead_counts($cid);
    is($counts->{failed} // 0, $later, 'every attempted lead failed (400), no other: '
       . join(', ', map { "$_ $counts->{$_}" } sort keys %$counts));
    is($counts->{pending} // 0, 20 - ($counts->{failed} // 0), 'the other leads wait (pending) for a resume');
    is(scalar @{ fake_sms_requests() }, $later, 'still nothing more sent');
    is(campaign_row($cid)->{status}, 'paused', 'it stays paused');
    cancel_campaign($cid);
};

fake_reset();
reset_engine();
is(psql('SHOW smscamp.sms_provider'), 'log', 'settings restored');
is(psql('SHOW smscamp.max_attempts'), '5', 'max_attempts restored');

done_testing;
