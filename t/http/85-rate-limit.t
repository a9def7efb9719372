#!/usr/bin/perl
# Rate limits (issue 6): 100 requests/s per API key with bursts of 200 by default, a key's
# own rate_limit instead when it has one, and the same per client address for requests
# without a known key. Over the limit: 429 JSON with Retry-After, and nothing changes.
#
# Requests are pipelined on one keep-alive connection, so that hundreds arrive within a
# fraction of a second; the checks allow for the bucket refilling while they are served
# (elapsed time × rate). The per-address checks connect from 127.0.0.2 and 127.0.0.3
# (loopback addresses of their own) so that other tests from 127.0.0.1 are not limited.
use strict;
use warnings;
use FindBin;
use lib ($ENV{SMSCAMP_ROOT} ? "$ENV{SMSCAMP_ROOT}/t/lib" : "$FindBin::Bin/../lib");
use Test::More;
use Time::HiRes qw(time sleep);
use Smscamp::Test;

my $HOSTPORT = base_url() =~ s{^http://}{}r;

sub new_key {
    my (%f) = @_;
    my $res = api(POST => '/api/keys', { name => 'rate ' . unique_token(), role => 'operator', %f });
    is($res->{status}, 201, 'a key' . (defined $f{rate_limit} ? " with rate_limit $f{rate_limit}" : ' with the default limit'))
        or diag res_summary($res);
    return $res->{json} || {};
}

# pipeline(\@requests, %conn_opts): send raw requests on one connection at once; returns
# (\@responses, seconds from the first byte sent to the last response read)
sub pipeline {
    my ($reqs, %o) = @_;
    my $c = http_conn(%o);
    my $t0 = time;
    $c->send(join '', @$reqs);
    my @res;
    for (1 .. @$reqs) {
        my $r = $c->read_response(timeout => 30) or last;
        push @res, $r;
    }
    my $dt = time - $t0;
    $c->close;
    return (\@res, $dt);
}

sub get_req {
    my ($path, $key) = @_;
    return "GET $path HTTP/1.1\r\nHost: $HOSTPORT\r\n"
         . (defined $key ? "Authorization: Bearer $key\r\n" : '') . "\r\n";
}

sub count_status { my ($res, $st) = @_; scalar grep { $_->{status} == $st } @$res }

# every 429 is JSON with a detail and Retry-After in whole seconds
sub check_429s {
    my ($res, $what, $max_wait) = @_;
    my @r429 = grep { $_->{status} == 429 } @$res;
    my @bad = grep {
        !(($_->{content_type} =~ m{^application/json}) && ref $_->{json} eq 'HASH'
          && ($_->{json}{detail} // '') =~ /Too many requests/
          && ($_->{headers}{'retry-after'} // '') =~ /^[1-9][0-9]*$/
          && $_->{headers}{'retry-after'} <= $max_wait)
    } @r429;
    is(scalar @bad, 0, "$what: every 429 is JSON with a detail and Retry-After (1..$max_wait s)")
        or diag res_summary($bad[0]);
}

# ---------------------------------------------------------------- the default: 100 r/s, burst 200
{
    my $k = new_key();
    is($k->{rate_limit}, undef, 'its rate_limit is null (the server default)');
    my ($res, $dt) = pipeline([map { get_req('/api/leads?limit=1', $k->{key}) } 1 .. 500]);
    is(scalar @$res, 500, '500 pipelined requests, 500 answers');
    my ($ok, $limited) = (count_status($res, 200), count_status($res, 429));
    is($ok + $limited, 500, 'each is a 200 or a 429');
    cmp_ok($ok, '>=', 200, "the burst of 200 goes through ($ok did in " . sprintf('%.2f', $dt) . ' s)');
    cmp_ok($ok, '<=', 200 + 100 * $dt + 2, '... and no more than the burst plus 100/s after it');
    cmp_ok($limited, '>=', 1, "the rest is refused with 429 ($limited)");
    my ($first) = grep { $res->[$_]{status} == 429 } 0 .. $#$res;
    is(count_status([@$res[0 .. $first - 1]], 200), $first, 'no 429 before the burst is used up');
    check_429s($res, 'default limit', 2);

    # another key has its own bucket; the run's admin key (its own high limit) too
    my $k2 = new_key();
    is(api(GET => '/api/leads?limit=1', undef, Authorization => "Bearer $k2->{key}")->{status}, 200,
       'another key is not limited by the first');
    is(api(GET => '/api/leads?limit=1')->{status}, 200, 'nor is the admin key of the tests');
}

# ---------------------------------------------------------------- a key's own limit
{
    my $k = new_key(rate_limit => 5);
    is($k->{rate_limit}, 5, 'rate_limit 5 is stored and shown');
    my ($res, $dt) = pipeline([map { get_req('/api/campaigns?limit=1', $k->{key}) } 1 .. 40]);
    my $ok = count_status($res, 200);
    cmp_ok($ok, '>=', 10, "rate_limit 5: a burst of 10 goes through ($ok)");
    cmp_ok($ok, '<=', 10 + 5 * $dt + 1, '... and little more');
    is($ok + count_status($res, 429), 40, '... the others get 429');
    check_429s($res, 'rate_limit 5', 1);
    my ($r429) = grep { $_->{status} == 429 } @$res;
    my $wait = $r429->{headers}{'retry-after'} // 1;
    sleep($wait + 0.05);
    my $again = api(GET => '/api/campaigns?limit=1', undef, Authorization => "Bearer $k->{key}");
    is($again->{status}, 200, "after Retry-After ($wait s) the key works again") or diag res_summary($again);

    # refused requests change nothing: 1 r/s (burst 2), five creates at once → two leads
    my $slow = new_key(rate_limit => 1);
    my $before = lead_count();
    my @posts = map {
        my $body = json_encode({ name => "Rate $_ " . unique_token(), phone => unique_phone() });
        "POST /api/leads HTTP/1.1\r\nHost: $HOSTPORT\r\nAuthorization: Bearer $slow->{key}\r\n"
        . "Content-Type: application/json\r\nContent-Length: " . length($body) . "\r\n\r\n$body"
    } 1 .. 5;
    ($res) = pipeline(\@posts);
    is(count_status($res, 201), 2, 'rate_limit 1: two of five creates go through (the burst of 2)');
    is(count_status($res, 429), 3, '... three are refused');
    is(lead_count(), $before + 2, '... and only two leads were written');
}

# ---------------------------------------------------------------- rate_limit validation
for my $bad (0, -1, 1.5, '10', 1000001, 'fast', JSON::PP::true) {
    my $res = api(POST => '/api/keys', { name => 'bad rate', role => 'viewer', rate_limit => $bad });
    is_fastapi_422($res, [qw(body rate_limit)], "rate_limit " . json_encode($bad) . ': 422');
}
is(api(POST => '/api/keys', { name => 'null rate ' . unique_token(), role => 'viewer', rate_limit => undef })->{status},
   201, 'rate_limit null: the default');

# ---------------------------------------------------------------- per client address
{
    # without a key (public routes): per address, 100 r/s burst 200
    my ($res, $dt) = pipeline([map { get_req('/api/health') } 1 .. 400], local_addr => '127.0.0.2');
    my $ok = count_status($res, 200);
    cmp_ok($ok, '>=', 200, "from 127.0.0.2 without a key: the burst of 200 goes through ($ok)");
    cmp_ok($ok, '<=', 200 + 100 * $dt + 2, '... and no more than 100/s after it');
    cmp_ok(count_status($res, 429), '>=', 1, '... then 429');
    check_429s($res, 'per address', 2);

    my $other = http_conn(local_addr => '127.0.0.1');
    $other->send(get_req('/api/health'));
    my $r = $other->read_response(timeout => 10);
    is($r && $r->{status}, 200, 'meanwhile another address is served');

    # guessing keys counts against the address: wrong keys are limited like no key
    ($res, $dt) = pipeline([map { get_req('/api/leads', 'smc_' . unique_token() . ('0' x 40)) } 1 .. 300],
                           local_addr => '127.0.0.3');
    my $denied = count_status($res, 401);
    cmp_ok($denied, '>=', 200, "wrong keys from 127.0.0.3: 401 for the first ones ($denied)");
    cmp_ok($denied, '<=', 200 + 100 * $dt + 2, '... and no more than the address may make');
    cmp_ok(count_status($res, 429), '>=', 1, '... then 429: keys cannot be guessed at speed');

    # a valid key from a limited address still works: it counts against the key
    ($res) = pipeline([get_req('/api/leads?limit=1', $ENV{SMSCAMP_API_KEY})], local_addr => '127.0.0.3');
    is($res->[0] && $res->[0]{status}, 200, 'a valid key from that address still works (its own bucket)');
}

done_testing();
