#!/usr/bin/perl
# At most 256 requests in progress per client address (limit_conn in nginx.conf.in):
# 300 uploads from one address that send their headers and then stall their bodies
# hold 256 requests; the others are refused at once with 429 JSON (Retry-After),
# while another address is served as usual. The stalled ones end by the body timeout,
# or here when the test closes them. Connections come from 127.0.0.4 (a loopback
# address of their own) so that other tests are not limited.
use strict;
use warnings;
use FindBin;
use lib ($ENV{SMSCAMP_ROOT} ? "$ENV{SMSCAMP_ROOT}/t/lib" : "$FindBin::Bin/../lib");
use Test::More;
use Time::HiRes qw(time sleep);
use Smscamp::Test;

my $N = 300;
my $LIMIT = 256;

# file descriptors: 300 connections and the test's own
my $soft = `sh -c 'ulimit -n'`;
chomp $soft;
if ($soft ne 'unlimited' && $soft < $N + 100 && !$ENV{SMSCAMP_ULIMIT_RAISED}) {
    $ENV{SMSCAMP_ULIMIT_RAISED} = 1;
    exec 'bash', '-c', 'ulimit -n 4096 2>/dev/null || ulimit -n "$(ulimit -Hn)"; exec "$0" "$@"', $^X,
        (map { "-I$_" } @INC), $0;
}

my $host = base_url() =~ s{^http://}{}r;
my $auth = auth_line();
my $head = "POST /api/leads HTTP/1.1\r\nHost: $host\r\n${auth}Content-Type: application/json\r\n"
         . "Content-Length: 100\r\n\r\n{\"name\":";       # the rest of the body never comes

# the key's lookup is cached first (for 5 s): requests whose key is still being
# looked up count against the address's rate limit, which is not what this tests
is(api(GET => '/api/leads?limit=1')->{status}, 200, 'the API key is known to the server');

my @conns;
for (1 .. $N) {
    my $c = eval { http_conn(local_addr => '127.0.0.4') } or last;
    $c->send($head);
    push @conns, $c;
}
is(scalar @conns, $N, "$N connections from 127.0.0.4, each with a stalled upload");

# the refused ones are answered at once; the held ones wait for their body
my $deadline = time + 5;
my @refused;
my %seen;
while (time < $deadline && @refused < $N - $LIMIT) {
    for my $i (0 .. $#conns) {
        next if $seen{$i};
        next unless $conns[$i]->readable(0);
        my $r = $conns[$i]->read_response(timeout => 1) or next;
        $seen{$i} = 1;
        push @refused, $r;
    }
    sleep 0.05;
}
is(scalar @refused, $N - $LIMIT, ($N - $LIMIT) . " of them are answered at once, $LIMIT are held")
    or diag join "\n", map { "$_->{status} " . ($_->{json}{detail} // '') } grep { defined } @refused[0 .. 2];
my @bad = grep { !($_->{status} == 429 && $_->{json} && ($_->{json}{detail} // '') =~ /Too many requests in progress/
                   && ($_->{headers}{'retry-after'} // '') =~ /^[1-9][0-9]*$/) } @refused;
is(scalar @bad, 0, 'each with 429 JSON and Retry-After') or diag res_summary($bad[0]);

my $r = api(GET => '/api/leads?limit=1');
is($r->{status}, 200, 'meanwhile 127.0.0.1 is served') or diag res_summary($r);

$_->close for @conns;
@conns = ();

# once they are gone, the address may make requests again
my $ok;
for (1 .. 50) {
    my $c = http_conn(local_addr => '127.0.0.4');
    $c->send("GET /api/health HTTP/1.1\r\nHost: $host\r\nConnection: close\r\n\r\n");
    my $res = $c->read_response(timeout => 5);
    $c->close;
    last if ($ok = $res && $res->{status} == 200);
    sleep 0.1;
}
ok($ok, '127.0.0.4 is served again once its uploads are closed');

done_testing();
