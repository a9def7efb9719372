#!/usr/bin/perl
# Multi-host database support (ngx_smscamp_pool.c, ngx_smscamp_hosts.c), each part on an
# nginx of its own (worker_processes 1: one pool) on this instance's database, with its
# own dsn and an application_name by which the test finds (and kills) its backends:
#  (a) host lists: a first host that refuses (a1) or never answers (a2: a port whose
#      backlog the test has filled, smscamp_connect_timeout 500ms) costs only the first
#      connection: the host it reached is tried first from then on;
#  (b) a GET whose connection dies (idle, or under the GET while it waits on a lock the
#      test holds) is answered 200 from a fresh connection, not 503;
#  (c) a POST is never run twice: 201, or 503 with Retry-After: 1 and nothing stored,
#      at once, never a 500 nor a hang; killed under it: 503 while the lock is still held;
#  (d) every host dead (refused, or never answering): 503 JSON with Retry-After, in bounded time.
# A failover (pg_auto_failover) is what this is for; its own tests are t/ha/.
use strict;
use warnings;
use FindBin;
use File::Temp qw(tempdir);
use IO::Select;
use IO::Socket::INET;
use Time::HiRes qw(time sleep);
use lib ($ENV{SMSCAMP_ROOT} ? "$ENV{SMSCAMP_ROOT}/t/lib" : "$FindBin::Bin/../lib");
use Test::More;
use Smscamp::Test;

my $root = $ENV{SMSCAMP_ROOT} // "$FindBin::Bin/../..";
my $module = "$root/build/nginx/ngx_smscamp_module.so";
my $nginx = $ENV{NGINX_BIN} // '/usr/sbin/nginx';
plan skip_all => "no $module (run make)" unless -f $module;
plan skip_all => "no $nginx" unless -x $nginx;
plan skip_all => 'no test instance (PGPORT, SMSCAMP_API_KEY)' unless $ENV{PGPORT} && $ENV{SMSCAMP_API_KEY};

my $PG = $ENV{PGPORT};
my $DB = $ENV{PGDATABASE} // 'smscamp';
my $DSN = "dbname=$DB user=smscamp_api";
my (@started, @keep, $locker);      # nginx instances, blackhole sockets, a psql holding a lock

END {
    local $?;
    unlock_leads();
    stop_nginx($_) for @started;
}

sub listener { IO::Socket::INET->new(LocalAddr => '127.0.0.1', LocalPort => 0, Listen => 1, ReuseAddr => 1)
                   // die "listen: $!" }

sub free_port { my $s = listener(); my $p = $s->sockport; close $s; $p }   # refused: nothing listens

# blackhole(): a port that listens but never answers: the test never accepts, and fills
# its backlog with its own connects, so that the SYNs of further ones are dropped. Returns
# (port, whether a probe connect indeed hangs).
sub blackhole {
    my $l = listener();
    my $port = $l->sockport;
    push @keep, $l, grep { defined } map {
        IO::Socket::INET->new(PeerAddr => '127.0.0.1', PeerPort => $port, Blocking => 0) } 1 .. 4;
    sleep 0.2;
    my $probe = IO::Socket::INET->new(PeerAddr => '127.0.0.1', PeerPort => $port, Blocking => 0)
        or return ($port, 0);
    push @keep, $probe;
    return ($port, !IO::Select->new($probe)->can_write(0.5));
}

# start_nginx($name, $dsn, @http_lines): an nginx (daemon) of its own, on a free port,
# error log at info in its directory; its backends are application_name t89-$name-$$
sub start_nginx {
    my ($name, $dsn, @lines) = @_;
    my $dir = tempdir("t89-$name-XXXXXX", TMPDIR => 1, CLEANUP => 1);
    chmod 0755, $dir;
    my $n = { name => $name, dir => $dir, conf => "$dir/nginx.conf", port => free_port(),
              app => "t89-$name-$$" };
    open my $fh, '>', $n->{conf} or die "$n->{conf}: $!";
    print $fh join "\n", "load_module $module;", ($> == 0 ? 'user www-data;' : ()),
        'worker_processes 1;', "pid $dir/nginx.pid;", "error_log $dir/error.log info;",
        'events { worker_connections 64; }', 'http {', 'access_log off;',
        (map { "${_}_temp_path $dir/$_;" } qw(client_body proxy fastcgi uwsgi scgi)),
        qq{smscamp_database "$dsn application_name=$n->{app}";},
        'smscamp_pool_size 4;', 'smscamp_queue_timeout 10s;', 'smscamp_query_timeout 30s;',
        'smscamp_auth on;', 'smscamp_rate_limit off;', @lines,
        "include $root/ngx_smscamp_module/routes.conf;",
        "server { listen 127.0.0.1:$n->{port}; location /api/ { smscamp_pass; } }", '}', '';
    close $fh;
    my $out = `'$nginx' -p '$dir' -c '$n->{conf}' 2>&1`;
    push @started, $n;
    ok($? == 0, "$name: an nginx on dsn \"$dsn\" starts") or diag $out;
    return $n;
}

sub slurp { open(my $fh, '<', $_[0]) or return ''; local $/; return <$fh> // '' }
sub log_of { slurp("$_[0]{dir}/error.log") }

sub stop_nginx {    # TERM to its master, and wait until it is gone
    my ($n) = @_;
    return if $n->{stopped}++;
    my ($pid) = slurp("$n->{dir}/nginx.pid") =~ /^(\d+)/ or return;
    kill 'TERM', $pid;
    for (1 .. 100) { last unless kill 0, $pid; sleep 0.05 }
}

# send_req($n, $method, $path, $body): a request (with the run's key) on a new
# connection to $n; the connection, to read the answer from (read_res)
sub send_req {
    my ($n, $method, $path, $body) = @_;
    my $c = http_conn(host => '127.0.0.1', port => $n->{port});
    my $head = "$method $path HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n" . auth_line();
    $head .= "Content-Type: application/json\r\nContent-Length: " . length($body) . "\r\n" if defined $body;
    $c->send("$head\r\n" . ($body // ''));
    return $c;
}

sub read_res {    # the answer on $c, or a status 0 one
    my ($c, $timeout) = @_;
    my $res = $c->read_response(timeout => $timeout);
    $c->close;
    return $res // { status => 0, reason => 'no response', headers => {}, body => '', content_type => '' };
}

sub req {    # (the answer, seconds it took)
    my ($n, $method, $path, $body, $timeout) = @_;
    my $t0 = time;
    my $res = read_res(send_req($n, $method, $path, $body), $timeout // 10);
    return ($res, time - $t0);
}

sub wait_until {    # whether $cond->() came true within $timeout seconds
    my ($cond, $timeout) = @_;
    my $end = time + $timeout;
    until ($cond->()) { return 0 if time > $end; sleep 0.05 }
    return 1;
}

# the pids of $n's backends (only those waiting on a lock: $waiting)
sub backends {
    my ($n, $waiting) = @_;
    my $out = psql(q{SELECT string_agg(pid::text, ',') FROM pg_stat_activity WHERE application_name = :'app'}
                   . ($waiting ? q{ AND wait_event_type = 'Lock'} : ''), app => $n->{app});
    return grep { length } split /,/, $out;
}

# pg_terminate_backend(@pids), and wait until they are gone (and nginx has seen it)
sub terminate {
    my (@pids) = @_;
    my $p = join ',', @pids;
    my $sql = q{FROM pg_stat_activity WHERE pid = ANY (string_to_array(:'p', ',')::int[])};
    psql("SELECT count(pg_terminate_backend(pid)) $sql", p => $p);
    wait_until(sub { psql("SELECT count(*) = 0 $sql", p => $p) eq 't' }, 10) or diag "backends $p still there";
    sleep 0.2;
}

# lock_leads($mode): a psql session holds LOCK TABLE leads IN $mode MODE until unlock_leads()
sub lock_leads {
    my ($mode) = @_;
    my $app = "t89-locker-$$";
    local $ENV{PGAPPNAME} = $app;
    local $ENV{PGDATABASE} = $DB;
    open($locker, '|-', 'sh', '-c', 'exec psql -X -q -v ON_ERROR_STOP=1 >/dev/null') or return 0;
    $locker->autoflush(1);
    print $locker "BEGIN; LOCK TABLE leads IN $mode MODE;\n";
    return 1 if wait_until(sub { psql(q{SELECT count(*) > 0 FROM pg_locks l JOIN pg_stat_activity a USING (pid)
                                        WHERE a.application_name = :'app' AND l.relation = 'leads'::regclass
                                          AND l.granted}, app => $app) eq 't' }, 15);
    # still waiting for the lock: give up
    psql(q{SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = :'app'}, app => $app);
    unlock_leads();
    return 0;
}

sub unlock_leads {
    return unless $locker;
    print $locker "COMMIT;\n";
    close $locker;
    undef $locker;
}

sub leads_named { psql(q{SELECT count(*) FROM leads WHERE name = :'n'}, n => $_[0]) + 0 }
sub new_lead { json_encode({ name => $_[0], phone => unique_phone() }) }

# ---------------------------------------------------------------- (a1) a refused first host
{
    my $dead = free_port();
    my $n = start_nginx('a1', "host=127.0.0.1,127.0.0.1 port=$dead,$PG $DSN");
    my ($res) = req($n, GET => '/api/health');
    is_json_response($res, 200, 'a1: first host refuses: GET /api/health 200, from the second');
    like(log_of($n), qr/ready on 127\.0\.0\.1:$PG \(host 2 of 2\)/, 'a1: ... the log says host 2 of 2');
    terminate(backends($n));
    ($res) = req($n, GET => '/api/health');
    is_json_response($res, 200, 'a1: its backend terminated, a new connection answers 200');
    my $hops = () = log_of($n) =~ /\(host 2 of 2\)/g;
    is($hops, 1, 'a1: ... having tried the good host first (host 2 of 2 reached once, by the first)');
    stop_nginx($n);
}

# ---------------------------------------------------------------- (a2) a first host that never answers
SKIP: {
    my ($black, $hangs) = blackhole();
    skip 'no port that never answers can be made here', 6 unless $hangs;
    my $n = start_nginx('a2', "host=127.0.0.1,127.0.0.1 port=$black,$PG $DSN", 'smscamp_connect_timeout 500ms;');
    my ($res, $t) = req($n, GET => '/api/health');
    is_json_response($res, 200, 'a2: first host never answers: GET /api/health 200, from the second');
    ok($t >= 0.4 && $t < 2, sprintf('a2: ... after one connect timeout of 500 ms (%.2f s)', $t));
    terminate(backends($n));
    ($res, $t) = req($n, GET => '/api/health');
    is_json_response($res, 200, 'a2: its backend terminated, a new connection answers 200');
    ok($t < 0.4, sprintf('a2: ... at once, the good host tried first (%.3f s)', $t));
    my $timeouts = () = log_of($n) =~ /connect to 127\.0\.0\.1:$black timed out, trying host 2 of 2/g;
    is($timeouts, 1, 'a2: the error log has one connect timeout, the first connection\'s');
    stop_nginx($n);
}

# ---------------------------------------------------------------- (b) GET retried, (c) POST not
{
    my $n = start_nginx('b', "host=127.0.0.1 port=$PG $DSN");
    my ($res, $t) = req($n, GET => '/api/leads?limit=1');
    is_json_response($res, 200, 'b: GET /api/leads 200');
    terminate(backends($n));
    ($res) = req($n, GET => '/api/leads?limit=1');
    is_json_response($res, 200, 'b: its idle backend terminated, the next GET 200 (not 503)');
    like(log_of($n), qr/terminating connection due to administrator command|database connection closed/,
         'b: ... the error log shows the connection lost');

    SKIP: {
        skip 'cannot lock the leads table', 4 unless lock_leads('ACCESS EXCLUSIVE');
        my $c = send_req($n, GET => '/api/leads?limit=1');
        my @first;
        ok(wait_until(sub { @first = backends($n, 1) }, 10), 'b2: a GET waits on the lock the test holds');
        terminate(@first);
        my %old = map { $_ => 1 } @first;
        ok(wait_until(sub { grep { !$old{$_} } backends($n, 1) }, 10),
           'b2: its backend terminated, the GET runs again on another connection (and waits again)');
        unlock_leads();
        is_json_response(read_res($c, 10), 200, 'b2: ... and answers 200 once the lock is released');
        like(log_of($n), qr{retrying GET /api/leads on another connection}, 'b2: the error log says it retried');
    }

    terminate(backends($n));
    my $name = 't89 post ' . unique_token();
    ($res, $t) = req($n, POST => '/api/leads', new_lead($name));
    ok($t < 5, sprintf('c1: a POST right after the idle backend was terminated answers at once (%.2f s)', $t));
    ok($res->{status} == 201 || $res->{status} == 503,
       'c1: ... 201 (the dead connection seen first) or 503, nothing else') or diag res_summary($res);
    if ($res->{status} == 503) {
        is($res->{headers}{'retry-after'}, '1', 'c1: the 503 says Retry-After: 1');
        is_json_error($res, 503, 'c1: ... in JSON');
        is(leads_named($name), 0, 'c1: ... and no lead was stored');
    } else {
        is(leads_named($name), 1, 'c1: the 201 stored the lead once');
    }

    SKIP: {
        skip 'cannot lock the leads table', 6 unless lock_leads('SHARE');
        $name = 't89 post ' . unique_token();
        my $c = send_req($n, POST => '/api/leads', new_lead($name));
        my @first;
        ok(wait_until(sub { @first = backends($n, 1) }, 10), 'c2: a POST waits on the lock the test holds');
        terminate(@first);
        $res = read_res($c, 5);
        is($res->{status}, 503, 'c2: its backend terminated, the POST answers 503 while the lock is held')
            or diag res_summary($res);
        is($res->{headers}{'retry-after'}, '1', 'c2: ... with Retry-After: 1');
        is_json_error($res, 503, 'c2: ... in JSON');
        is(scalar(backends($n, 1)), 0, 'c2: ... and is not run again (no backend waits on the lock)');
        unlock_leads();
        sleep 0.3;
        is(leads_named($name), 0, 'c2: no lead was stored');
    }
    stop_nginx($n);
}

# ---------------------------------------------------------------- (d) every host dead
{
    my ($p1, $p2) = (free_port(), free_port());
    my $n = start_nginx('d1', "host=127.0.0.1,127.0.0.1 port=$p1,$p2 $DSN", 'smscamp_connect_timeout 500ms;');
    my ($res, $t) = req($n, GET => '/api/health');
    is_json_error($res, 503, 'd1: both hosts refuse: GET /api/health 503 JSON');
    is($res->{headers}{'retry-after'}, '1', 'd1: ... with Retry-After: 1');
    ok($t < 3, sprintf('d1: ... at once (%.2f s)', $t));
    stop_nginx($n);
}
SKIP: {
    my ($b1, $h1) = blackhole();
    my ($b2, $h2) = blackhole();
    skip 'no port that never answers can be made here', 5 unless $h1 && $h2;
    my $n = start_nginx('d2', "host=127.0.0.1,127.0.0.1 port=$b1,$b2 $DSN", 'smscamp_connect_timeout 300ms;');
    my ($res, $t) = req($n, GET => '/api/health');
    is_json_error($res, 503, 'd2: neither host answers: GET /api/health 503 JSON');
    is($res->{headers}{'retry-after'}, '1', 'd2: ... with Retry-After: 1');
    ok($t >= 0.5 && $t < 3, sprintf('d2: ... after a connect timeout of 300 ms on each host (%.2f s)', $t));
    like(log_of($n), qr/connect timed out, on every host/, 'd2: the error log says every host timed out');
    stop_nginx($n);
}

done_testing();
