#!/usr/bin/env perl
# GET /metrics (Prometheus text format): the nginx module's counters (requests by
# route pattern and status, latency histograms, the pool's gauges, the queue wait)
# and the engine's (leads by final status, SMS sent/failed, segments, cost, LLM and
# SMS provider calls, worker calls in flight), then who may scrape.
#
# Scrape, make some requests and run a small campaign against the fake providers,
# scrape again: every counter must have moved by exactly what was done. The text
# must parse: HELP and TYPE before each family's samples, one sample per series,
# histogram buckets cumulative and ending with +Inf = _count, a _sum.
#
# Access: a loopback client may scrape without a key (so may one with any key); a
# client on another address needs an admin key: without one 403, a viewer key 403,
# an unknown key 401. The non-loopback part connects from one of this machine's own
# non-loopback addresses to 127.0.0.1 (skipped when it has none).
use strict;
use warnings;

use FindBin;
use lib "$FindBin::Bin/../lib";
use IO::Socket::INET;
use Test::More;

use Smscamp::Test;
use Smscamp::Engine;

my $ADMIN = $ENV{SMSCAMP_API_KEY};

# ---------------------------------------------------------------- parsing

# parse($text): { series => { 'name{l="v",...}' => value }, problems => [...] }
sub parse {
    my ($text) = @_;
    my (%type, %help, %series, %hist, @problems);
    my $line_no = 0;
    for my $line (split /\n/, $text) {
        $line_no++;
        if ($line =~ /^# HELP (\S+) (.+)$/) {
            push @problems, "line $line_no: second HELP for $1" if $help{$1}++;
            next;
        }
        if ($line =~ /^# TYPE (\S+) (counter|gauge|histogram|summary|untyped)$/) {
            push @problems, "line $line_no: second TYPE for $1" if $type{$1};
            push @problems, "line $line_no: TYPE for $1 after its HELP is missing" unless $help{$1};
            $type{$1} = $2;
            next;
        }
        if ($line =~ /^#/) { push @problems, "line $line_no: unknown comment: $line"; next }
        my ($name, $labels, $value) =
            $line =~ /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{[^}]*\})? (-?[0-9.]+(?:e[+-]?\d+)?|\+Inf|NaN)$/
            or do { push @problems, "line $line_no: not a sample: $line"; next };
        $labels //= '';
        my %l;
        if ($labels ne '') {
            my $inner = substr($labels, 1, -1);
            while ($inner =~ /\G([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"(,|\z)/gc) {
                $l{$1} = $2;
            }
            push @problems, "line $line_no: bad labels $labels"
                unless (pos($inner) // 0) == length $inner;
        }
        my $family = $name;
        $family =~ s/_(bucket|sum|count)\z// unless $type{$name};
        push @problems, "line $line_no: sample of $family before its TYPE" unless $type{$family};
        my $key = $name . $labels;
        push @problems, "line $line_no: duplicate series $key" if exists $series{$key};
        $series{$key} = $value;
        if (($type{$family} // '') eq 'histogram') {
            my $le = delete $l{le};
            my $set = join ',', map { "$_=$l{$_}" } sort keys %l;
            my $h = $hist{$family}{$set} //= { buckets => [] };
            if ($name eq "${family}_bucket") {
                push @{ $h->{buckets} }, [$le, $value];
            } elsif ($name eq "${family}_sum") {
                $h->{sum} = $value;
            } elsif ($name eq "${family}_count") {
                $h->{count} = $value;
            }
        }
    }
    for my $family (sort keys %hist) {
        for my $set (sort keys %{ $hist{$family} }) {
            my $h = $hist{$family}{$set};
            my $where = "$family\{$set}";
            my @b = @{ $h->{buckets} };
            push @problems, "$where: no buckets" unless @b;
            next unless @b;
            push @problems, "$where: the last bucket is not +Inf" unless $b[-1][0] eq '+Inf';
            for my $i (1 .. $#b) {
                push @problems, "$where: le not increasing at $b[$i][0]"
                    if $b[$i][0] ne '+Inf' && $b[$i][0] <= $b[$i - 1][0];
                push @problems, "$where: buckets not cumulative at le=$b[$i][0]"
                    if $b[$i][1] < $b[$i - 1][1];
            }
            push @problems, "$where: no _count" unless defined $h->{count};
            push @problems, "$where: no _sum" unless defined $h->{sum};
            push @problems, "$where: +Inf bucket $b[-1][1] != _count " . ($h->{count} // 'none')
                if defined $h->{count} && $b[-1][1] != $h->{count};
            push @problems, "$where: negative _sum" if ($h->{sum} // 0) < 0;
        }
    }
    return { series => \%series, problems => \@problems, types => \%type };
}

# scrape(%headers): GET /metrics, checked and parsed; without a key unless given
sub scrape {
    my (%hdr) = @_;
    my $res = api(GET => '/metrics', undef, Authorization => undef, %hdr);
    is($res->{status}, 200, 'GET /metrics: 200') or diag res_summary($res);
    like($res->{content_type}, qr{^text/plain; version=0\.0\.4}, 'Prometheus text content type');
    my $m = parse($res->{body});
    is_deeply($m->{problems}, [], 'the text format parses') or diag substr($res->{body}, 0, 3000);
    return $m;
}

sub v {
    my ($m, $key) = @_;
    return $m->{series}{$key} // 0;
}

sub delta {
    my ($before, $after, $key) = @_;
    return v($after, $key) - v($before, $key);
}

sub req_key { my ($route, $status) = @_; qq{smscamp_http_requests_total{route="$route",status="$status"}} }
sub count_key { my ($route) = @_; qq{smscamp_http_request_duration_seconds_count{route="$route"}} }

# ---------------------------------------------------------------- quiet engine

# leftovers of earlier test files would move the engine's counters
my $busy = q{SELECT count(*) FROM campaigns WHERE status IN ('pending', 'processing')};
if (!wait_for(30, sub { psql($busy) == 0 })) {
    diag('cancelling campaigns left running by earlier tests');
    cancel_campaign($_) for split /\n/, psql(q{SELECT id FROM campaigns WHERE status IN ('pending', 'processing')});
    wait_for(10, sub { psql(q{SELECT count(*) FROM campaign_leads WHERE status IN ('processing', 'sending')}) == 0 });
}
use_fake_providers();

# ---------------------------------------------------------------- before

my $m1 = scrape();
is(v($m1, 'smscamp_engine_metrics_up'), 1, 'the engine part is there (shared memory)');
for my $family (qw(smscamp_http_requests_total smscamp_http_request_duration_seconds
                   smscamp_db_pool_connections smscamp_db_pool_waiting_requests
                   smscamp_db_queue_wait_seconds smscamp_nginx_workers
                   smscamp_leads_processed_total smscamp_sms_sent_total smscamp_sms_failed_total
                   smscamp_sms_segments_total smscamp_sms_cost_total
                   smscamp_llm_requests_total smscamp_llm_request_duration_seconds
                   smscamp_sms_provider_requests_total smscamp_sms_provider_request_duration_seconds
                   smscamp_worker_http_inflight)) {
    ok($m1->{types}{$family}, "family $family is described");
}
ok(v($m1, 'smscamp_nginx_workers') >= 1, 'at least one nginx worker publishes its pool');

# ---------------------------------------------------------------- requests

my $missing = missing_lead_id();
is(api(GET => "/api/health")->{status}, 200, 'health') for 1 .. 3;
is(api(GET => "/api/leads/$missing")->{status}, 404, 'a missing lead: 404');
is(api(GET => '/api/leads/abc')->{status}, 422, 'a bad id: 422');
is(api(GET => "/api/leads/$missing", undef, Authorization => undef)->{status}, 401, 'no key: 401');
is(api(GET => '/api/no-such-thing')->{status}, 404, 'no route: 404');
is(api(POST => '/api/leads', '{"name":', 'Content-Type' => 'application/json')->{status}, 400,
   'a body that is not JSON: 400');

# ---------------------------------------------------------------- a campaign

my $leads = make_leads(6);
fake_reset();
fake_config({ sms_rules => { '0003' => '400' } });      # the 4th lead: refused
my $cid = create_campaign();
add_leads($cid, $leads);
start_campaign($cid);
is(wait_campaign($cid, 60, qw(completed failed paused cancelled)), 'completed', 'the campaign completed')
    or diag explain lead_counts($cid);
is_deeply(lead_counts($cid), { sent => 5, failed => 1 }, '5 sent, 1 refused by the provider');
my $db = psql_json(q{SELECT json_build_object(
        'segments', coalesce(sum(sms_segments) FILTER (WHERE status = 'sent'), 0),
        'cost', coalesce(sum(sms_cost) FILTER (WHERE status = 'sent'), 0))
      FROM campaign_leads WHERE campaign_id = (:'c')::bigint}, c => $cid);
my @llm = @{ fake_llm_requests() };
my $llm_ok = grep { ($_->{outcome} // '') eq 'ok' } @llm;
ok($llm_ok >= 6, "the fake LLM answered $llm_ok times");
is(scalar @{ fake_sms_requests() }, 6, 'six SMS requests');

# the workers' gauge goes back to 0 once nothing is in flight
my $m2;
wait_for(10, sub {
    my $r = api(GET => '/metrics', undef, Authorization => undef);
    $m2 = parse($r->{body});
    return defined $m2->{series}{smscamp_worker_http_inflight}
        && $m2->{series}{smscamp_worker_http_inflight} == 0;
}, 0.5);
my $polls = v($m2, req_key('GET /metrics', 200)) - v($m1, req_key('GET /metrics', 200));
$m2 = scrape();
note(join "\n", map { "$_ $m2->{series}{$_}" } grep { !/_bucket/ } sort keys %{ $m2->{series} });

# ---------------------------------------------------------------- HTTP side

is(delta($m1, $m2, req_key('GET /api/health', 200)), 3, 'GET /api/health 200: +3');
is(delta($m1, $m2, req_key('GET /api/leads/:id', 404)), 1, 'GET /api/leads/:id 404: +1 (the pattern, not the URI)');
is(delta($m1, $m2, req_key('GET /api/leads/:id', 422)), 1, 'GET /api/leads/:id 422: +1');
is(delta($m1, $m2, req_key('GET /api/leads/:id', 401)), 1, 'GET /api/leads/:id 401: +1');
is(delta($m1, $m2, req_key('POST /api/leads', 400)), 1, 'POST /api/leads 400: +1');
is(delta($m1, $m2, req_key('other', 404)), 1, 'no route: route="other" 404: +1');
ok(!grep({ /\Q$missing\E|no-such-thing/ } keys %{ $m2->{series} }), 'no raw URI in any label');
is(delta($m1, $m2, req_key('GET /metrics', 200)), $polls + 1,
   'GET /metrics 200: the scrapes before this one');
is(delta($m1, $m2, count_key('GET /api/health')), 3, 'the health latency histogram counted 3');
is(delta($m1, $m2, count_key('GET /api/leads/:id')), 3, 'the lead latency histogram counted 3');
ok(delta($m1, $m2, 'smscamp_db_queue_wait_seconds_count') >= 5,
   'the queue wait histogram counted every request that used the pool');
my $conns = v($m2, 'smscamp_db_pool_connections{state="busy"}') + v($m2, 'smscamp_db_pool_connections{state="idle"}')
          + v($m2, 'smscamp_db_pool_connections{state="connecting"}');
ok($conns >= 1, "the pools hold $conns connection(s)");
is(v($m2, 'smscamp_db_pool_waiting_requests'), 0, 'nothing waits for a connection now');

# ---------------------------------------------------------------- engine side

is(delta($m1, $m2, 'smscamp_leads_processed_total{status="sent"}'), 5, 'leads sent: +5');
is(delta($m1, $m2, 'smscamp_leads_processed_total{status="failed"}'), 1, 'leads failed: +1');
is(delta($m1, $m2, 'smscamp_leads_processed_total{status="skipped"}'), 0, 'leads skipped: +0');
is(delta($m1, $m2, 'smscamp_sms_sent_total'), 5, 'SMS sent: +5');
is(delta($m1, $m2, 'smscamp_sms_failed_total'), 1, 'SMS failed: +1');
is(delta($m1, $m2, 'smscamp_sms_segments_total'), $db->{segments}, "segments: +$db->{segments} (as in the table)");
ok(abs(delta($m1, $m2, 'smscamp_sms_cost_total') - $db->{cost}) < 1e-6, "cost: +$db->{cost} (as in the table)")
    or diag 'delta ' . delta($m1, $m2, 'smscamp_sms_cost_total');
is(delta($m1, $m2, 'smscamp_sms_provider_requests_total{outcome="accepted"}'), 5, 'provider accepted: +5');
is(delta($m1, $m2, 'smscamp_sms_provider_requests_total{outcome="rejected"}'), 1, 'provider rejected: +1');
is(delta($m1, $m2, 'smscamp_sms_provider_request_duration_seconds_count'), 6, 'SMS latency histogram: +6');
is(delta($m1, $m2, 'smscamp_llm_requests_total{outcome="ok"}'), $llm_ok, "LLM ok: +$llm_ok (as the fake saw)");
is(delta($m1, $m2, 'smscamp_llm_requests_total{outcome="error"}'), scalar(@llm) - $llm_ok, 'LLM errors: as the fake saw');
is(delta($m1, $m2, 'smscamp_llm_request_duration_seconds_count'), scalar @llm, 'LLM latency histogram: one per call');
ok(delta($m1, $m2, 'smscamp_llm_request_duration_seconds_sum') > 0, 'LLM latency sum grew');
is(v($m2, 'smscamp_worker_http_inflight'), 0, 'no HTTP call in flight after the campaign');

# ---------------------------------------------------------------- access

my $viewer = psql(q{SELECT smscamp_create_key('metrics test viewer', 'viewer')});
like($viewer, qr/^smc_/, 'a viewer key');
is(api(GET => '/metrics', undef, Authorization => "Bearer $viewer")->{status}, 200,
   'loopback: a viewer key does not matter, the address is enough');
is_json_error(api(POST => '/metrics', '{}'), 405);

# this machine's own non-loopback address (no packet is sent: UDP connect only)
my $probe = IO::Socket::INET->new(PeerAddr => '192.0.2.1', PeerPort => 9, Proto => 'udp');
my $other = $probe ? $probe->sockhost : undef;
SKIP: {
    skip 'no non-loopback address on this machine', 6
        unless $other && $other !~ /^(127\.|0\.)/;

    my $from_other = sub {
        my ($auth) = @_;
        my $c = eval { http_conn(local_addr => $other) } or return { status => 0, body => $@ };
        $c->send("GET /metrics HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n"
                 . ($auth ? "Authorization: Bearer $auth\r\n" : '') . "\r\n");
        my $res = $c->read_response // { status => 0, body => 'no response' };
        $c->close;
        return $res;
    };
    my $res = $from_other->(undef);
    is($res->{status}, 403, "from $other without a key: 403") or diag res_summary($res);
    is_json_error($res, 403);
    $res = $from_other->($viewer);
    is($res->{status}, 403, "from $other with a viewer key: 403") or diag res_summary($res);
    $res = $from_other->('smc_' . ('0' x 64));
    is($res->{status}, 401, "from $other with an unknown key: 401") or diag res_summary($res);
    $res = $from_other->($ADMIN);
    is($res->{status}, 200, "from $other with an admin key: 200") or diag res_summary($res);
    like($res->{body} // '', qr/^smscamp_leads_processed_total\{status="sent"\} \d+$/m,
         'and the engine part');
}

done_testing();
