#!/usr/bin/env perl
# Slow clients (issue #6, "Hostile input" and "Limits"), loopback only and bounded in count
# and time: 1,000 slowloris connections that trickle header lines, plus idle connections,
# stalled bodies and idle keep-alive connections, all at once. Meanwhile a normal client is
# served quickly; nginx closes the slow ones after client_header_timeout /
# client_body_timeout / keepalive_timeout (10 s / 10 s / 15 s in nginx.conf.in), so the
# whole test waits at most ~20 s.
#
# The connections need ~1,200 file descriptors in this process: when the soft limit is
# lower, the test runs itself again under `ulimit -n 4096` (bash; as far as the hard limit
# allows) and, failing that, opens as many as the limit leaves room for and says so.
use strict;
use warnings;

my $SLOW = 1000;     # slowloris connections
my $IDLE = 50;       # connect, send nothing
my $BODY = 50;       # full header, then part of the body, then nothing
my $KEEP = 20;       # one request, then idle on keep-alive
my $NEED = $SLOW + $IDLE + $BODY + $KEEP + 100;

BEGIN {
    my $soft = `sh -c 'ulimit -n' 2>/dev/null` // '';
    chomp $soft;
    if ($soft =~ /^\d+$/ && $soft < 1300 && !$ENV{SMSCAMP_ULIMIT_RAISED}) {
        $ENV{SMSCAMP_ULIMIT_RAISED} = $soft;
        exec 'bash', '-c', 'ulimit -n 4096 2>/dev/null || ulimit -n "$(ulimit -Hn)" 2>/dev/null; exec "$@"',
             'bash', $^X, (map { "-I$_" } grep { !ref } @INC), $0, @ARGV;
    }
}

use FindBin;
use lib ($ENV{SMSCAMP_ROOT} ? "$ENV{SMSCAMP_ROOT}/t/lib" : "$FindBin::Bin/../lib");
use Test::More;
use IO::Socket::INET;
use POSIX qw(EAGAIN EWOULDBLOCK EINTR);
use Socket qw(IPPROTO_TCP TCP_NODELAY);
use Time::HiRes qw(time sleep);
use Smscamp::Test;
use Smscamp::Hostile;

plan skip_all => 'no SMSCAMP_API_KEY: auth is off for this run' unless $ENV{SMSCAMP_API_KEY};

my ($HOST, $PORT) = base_url() =~ m{^http://([^/:]+):(\d+)} or die 'SMSCAMP_URL has no host:port';
my $limit = `sh -c 'ulimit -n'`;
chomp $limit;
if ($limit =~ /^\d+$/ && $limit < $NEED) {
    my $room = $limit - $IDLE - $BODY - $KEEP - 100;
    diag "ulimit -n is $limit (hard limit too low to raise): $room slowloris connections instead of $SLOW";
    $SLOW = $room > 100 ? $room : 100;
}

sub secs {
    my ($v) = @_;
    return undef unless defined $v;
    return $1 * 60 if $v =~ /^(\d+)m$/;
    return $1 / 1000 if $v =~ /^(\d+)ms$/;
    return $1 if $v =~ /^(\d+)s?$/;
    return undef;
}
my $T_HEADER = secs(nginx_conf_value('client_header_timeout')) // 60;
my $T_BODY = secs(nginx_conf_value('client_body_timeout')) // 60;
my $T_KEEP = secs(nginx_conf_value('keepalive_timeout')) // 75;
cmp_ok($T_HEADER, '<=', 15, "client_header_timeout is short ($T_HEADER s)");
cmp_ok($T_BODY, '<=', 15, "client_body_timeout is short ($T_BODY s)");
cmp_ok($T_KEEP, '<=', 15, "keepalive_timeout is short ($T_KEEP s)");
my $WAIT = (sort { $b <=> $a } $T_HEADER, $T_BODY, $T_KEEP)[0] + 4;    # at most ~19 s
$WAIT = 20 if $WAIT > 20;

my $log0 = error_log_size();
my $state0 = server_state();
my $snap0 = snapshot();
my $prober = start_prober(0.25);

# ---------------------------------------------------------------- open them all
my @conns;    # { sock, kind, opened, closed (time), sent }
sub open_conn {
    my ($kind, $first) = @_;
    my $s = IO::Socket::INET->new(PeerAddr => $HOST, PeerPort => $PORT, Proto => 'tcp', Timeout => 5)
        or return undef;
    setsockopt($s, IPPROTO_TCP, TCP_NODELAY, 1);
    $s->blocking(0);
    my $c = { sock => $s, kind => $kind, opened => time, closed => undef };
    if (length $first) {
        my $n = syswrite($s, $first);
        $c->{closed} = time unless defined $n;
    }
    push @conns, $c;
    return $c;
}

my $t0 = time;
my $auth = auth_line();
my %opened;
for my $i (1 .. $SLOW) {
    open_conn(slowloris => "GET /api/leads?limit=1 HTTP/1.1\r\nHost: 127.0.0.1\r\n${auth}X-Slow-$i: 1\r\n") and $opened{slowloris}++;
}
for (1 .. $IDLE) { open_conn(idle => '') and $opened{idle}++ }
for (1 .. $BODY) {
    open_conn(body => "POST /api/leads HTTP/1.1\r\nHost: 127.0.0.1\r\n${auth}Content-Type: application/json\r\n"
                      . "Content-Length: 1000\r\n\r\n{\"name\":\"slow") and $opened{body}++;
}
for (1 .. $KEEP) {
    open_conn(keepalive => "GET /api/health HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n") and $opened{keepalive}++;
}
my $t_open = time - $t0;
is($opened{slowloris}, $SLOW, sprintf('%d slowloris connections opened (in %.1fs)', $SLOW, $t_open));
is($opened{idle}, $IDLE, "$IDLE idle connections opened");
is($opened{body}, $BODY, "$BODY connections with a stalled body opened");
is($opened{keepalive}, $KEEP, "$KEEP keep-alive connections opened");

# nginx holds them: established connections to its port (from /proc/net/tcp)
sub established {
    my $hexport = sprintf '%04X', $PORT;
    my $n = 0;
    for my $f ('/proc/net/tcp', '/proc/net/tcp6') {
        open(my $fh, '<', $f) or next;
        while (<$fh>) {
            my @x = split;
            $n++ if ($x[1] // '') =~ /:$hexport$/ && ($x[3] // '') eq '01';
        }
    }
    return $n;
}

# ---------------------------------------------------------------- trickle, watch, serve others
my (@lat, @fail, $max_est);
my %open_at_deadline;    # kind => still open just before its timeout
my $tick = 0;
my $keep_read = 0;
while (time - $t0 < $WAIT) {
    my $now = time;
    for my $c (@conns) {
        next if $c->{closed};
        my $n = sysread($c->{sock}, my $buf, 65536);
        if (defined $n && $n > 0) {
            $c->{got} .= $buf;
            next;
        }
        if (defined $n || ($! != EAGAIN && $! != EWOULDBLOCK && $! != EINTR)) {    # EOF or reset
            $c->{closed} = $now;
            close $c->{sock};
            next;
        }
        if ($c->{kind} eq 'slowloris' && $tick % 10 == 0) {    # a header line a second
            my $w = syswrite($c->{sock}, "X-Trickle-$tick: b\r\n");
            if (!defined $w && $! != EAGAIN && $! != EWOULDBLOCK) { $c->{closed} = $now; close $c->{sock} }
        }
    }
    if ($tick % 10 == 5) {    # a normal client, each second
        my ($h, $d1) = timed(sub { local $Smscamp::Test::TIMEOUT = 10; api(GET => '/api/health', undef, Authorization => undef) });
        my ($g, $d2) = timed(sub { local $Smscamp::Test::TIMEOUT = 10; api(GET => '/api/leads?limit=1') });
        push @lat, $d1, $d2;
        push @fail, sprintf('t=%.1fs health %s', $now - $t0, res_summary($h)) unless $h->{status} == 200;
        push @fail, sprintf('t=%.1fs leads %s', $now - $t0, res_summary($g)) unless $g->{status} == 200;
        my $e = established();
        $max_est = $e if !defined $max_est || $e > $max_est;
    }
    for my $k ([slowloris => $T_HEADER], [idle => $T_HEADER], [body => $T_BODY], [keepalive => $T_KEEP]) {
        my ($kind, $t) = @$k;
        next if exists $open_at_deadline{$kind} || $now - $t0 < $t - 1.5;
        $open_at_deadline{$kind} = grep { $_->{kind} eq $kind && !$_->{closed} } @conns;
    }
    last unless grep { !$_->{closed} } @conns;
    $tick++;
    sleep 0.1;
}
my $elapsed = time - $t0;

# ---------------------------------------------------------------- results
my ($max_lat) = sort { $b <=> $a } @lat;
ok(@lat >= 10, 'a normal client made requests all along (' . scalar(@lat) . ')');
is(scalar @fail, 0, 'and every one of them was a 200') or diag join "\n", @fail[0 .. ($#fail < 9 ? $#fail : 9)];
cmp_ok($max_lat // 99, '<', 2, sprintf('and quick: the slowest took %.2fs', $max_lat // 99));
cmp_ok($max_est // 0, '>=', $SLOW, "nginx held the slow connections (up to $max_est established)");

for my $k ([slowloris => $T_HEADER, $SLOW], [idle => $T_HEADER, $IDLE], [body => $T_BODY, $BODY],
           [keepalive => $T_KEEP, $KEEP]) {
    my ($kind, $t, $n) = @$k;
    my @c = grep { $_->{kind} eq $kind } @conns;
    my @open = grep { !$_->{closed} } @c;
    cmp_ok($open_at_deadline{$kind} // 0, '>=', $n * 0.95, "$kind: still open 1.5 s before the $t s timeout (" . ($open_at_deadline{$kind} // 0) . ')');
    is(scalar @open, 0, "$kind: nginx closed all $n after the $t s timeout");
    my ($last) = sort { $b <=> $a } map { $_->{closed} - $t0 } grep { $_->{closed} } @c;
    cmp_ok($last // 99, '<', $t + 4, sprintf('%s: the last one closed at %.1fs', $kind, $last // 99));
}
# the keep-alive connections got their answer first; the stalled bodies created nothing
my @ka = grep { $_->{kind} eq 'keepalive' } @conns;
is(scalar(grep { ($_->{got} // '') =~ m{^HTTP/1\.1 200 } } @ka), $KEEP, 'the keep-alive connections were answered before going idle');
cmp_ok($elapsed, '<=', 21, sprintf('the whole slow-client run took %.1fs', $elapsed));
close $_->{sock} for grep { !$_->{closed} } @conns;

$prober->check('while 1,000+ slow connections were open', 3);
alive('the slow clients');
is_deeply(snapshot(), $snap0, 'stored data unchanged (the stalled bodies created no lead)');
state_unchanged($state0, 'after the slow clients');
my $log = error_log_tail($log0);
unlike($log, qr/exited on signal|\[emerg\]|\[alert\]|worker_connections are not enough/,
       'no nginx worker crashed, raised an alert or ran out of connections');

done_testing;
