#!/usr/bin/perl
# One nginx worker keeps serving while a query waits in PostgreSQL; keep-alive,
# pipelining and concurrent requests on the pooled connections.
use strict;
use warnings;
use FindBin;
use lib ($ENV{SMSCAMP_ROOT} ? "$ENV{SMSCAMP_ROOT}/t/lib" : "$FindBin::Bin/../lib");
use Test::More;
use POSIX qw(WNOHANG);
use Time::HiRes qw(time sleep);
use Smscamp::Test;

my $log_start = error_log_size();
my $ref = create_lead(notes => 'nonblocking test');
my $HOLD = 3;    # seconds the lock is held

sub get_req { my ($path, $conn) = @_; "GET $path HTTP/1.1\r\nHost: 127.0.0.1\r\n" . auth_line() . ($conn ? "Connection: $conn\r\n" : '') . "\r\n" }

# ---------------------------------------------------------------- a query held by a lock
my $app = "smscamp_lock_test_$$";
my $lock_sql = "BEGIN; LOCK TABLE leads IN ACCESS EXCLUSIVE MODE; SELECT pg_sleep($HOLD); COMMIT;";
my $pid = fork;
die "fork: $!" unless defined $pid;
if (!$pid) {
    $ENV{PGAPPNAME} = $app;
    $ENV{PGDATABASE} //= 'smscamp';
    open STDOUT, '>', '/dev/null';
    exec('psql', '-X', '-q', '-v', 'ON_ERROR_STOP=1', '-c', $lock_sql) or POSIX::_exit(127);
}

my $lock_held_sql = q{SELECT count(*) FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid
    WHERE a.application_name = :'app' AND l.locktype = 'relation' AND l.relation = 'public.leads'::regclass
      AND l.mode = 'AccessExclusiveLock' AND l.granted};
my $t_lock;
for (1 .. 200) {
    if (psql($lock_held_sql, app => $app)) { $t_lock = time; last }
    last if waitpid($pid, WNOHANG) > 0;
    sleep 0.05;
}
ok($t_lock, 'a background transaction holds ACCESS EXCLUSIVE on leads');
if (!$t_lock) {
    kill 'TERM', $pid;
    waitpid($pid, 0);
    # the backend may still wait for the lock after psql is gone
    psql(q{SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE application_name = :'app'}, app => $app);
} else {
    # A request that needs the leads table: it must wait for the lock.
    my $held = http_conn();
    $held->send(get_req('/api/leads?limit=1', 'close'));
    my $waiting_sql = q{SELECT count(*) FROM pg_stat_activity
        WHERE wait_event_type = 'Lock' AND datname = current_database()
          AND application_name <> :'app' AND pid <> pg_backend_pid()};
    my $waiting = 0;
    for (1 .. 40) {
        $waiting = psql($waiting_sql, app => $app);
        last if $waiting;
        sleep 0.05;
    }
    ok($waiting >= 1, 'GET /api/leads reached PostgreSQL and waits for the lock');
    ok(!$held->readable(0), 'GET /api/leads has not been answered while the lock is held');

    # Meanwhile the same (single) worker answers other requests at once.
    my ($ok, $worst) = (0, 0);
    my $t0 = time;
    for my $i (1 .. 20) {
        my $t = time;
        my $r = api(GET => '/api/health');
        my $d = time - $t;
        $worst = $d if $d > $worst;
        $ok++ if $r->{status} == 200 && ($r->{json}{database} // '') eq 'ok';
        diag "health $i: " . res_summary($r) unless $r->{status} == 200;
    }
    my $elapsed = time - $t0;
    is($ok, 20, '20 GET /api/health answered 200 with the database ok while GET /api/leads waits');
    cmp_ok($elapsed, '<', 1, sprintf('the 20 health checks took %.3f s in total (< 1 s; slowest %.3f s)', $elapsed, $worst));
    cmp_ok(time - $t_lock, '<', $HOLD - 0.5, 'they all finished well before the lock is released');
    ok(!$held->readable(0), 'GET /api/leads is still waiting after them');
    is(psql($lock_held_sql, app => $app), 1, 'the lock is still held after the health checks');

    # A client that gives up while its query waits must not hurt the worker.
    {
        my $gone = http_conn();
        $gone->send(get_req('/api/leads?limit=2', 'close'));
        for (1 .. 20) { last if psql($waiting_sql, app => $app) >= 2; sleep 0.05 }
        $gone->close;
    }

    # After the lock is released the held request completes.
    my $res = $held->read_response(timeout => $HOLD + 10);
    my $t_done = time;
    $held->close;
    ok($res, 'the held GET /api/leads got an answer after the lock was released');
    $res //= { status => 0, body => '', json => undef, content_type => '' };
    is_json_response($res, 200, 'the held GET /api/leads answered 200 JSON');
    is(ref $res->{json}{items}, 'ARRAY', 'with a list of items');
    cmp_ok($t_done - $t_lock, '>', $HOLD - 0.5, 'and only once the lock was gone (it really waited)');
    my $kid = waitpid($pid, 0);
    is($? >> 8, 0, 'the lock-holding psql finished cleanly');

    $res = api(GET => '/api/health');
    is($res->{status}, 200, 'health is 200 after the abandoned request finished in PostgreSQL') or diag res_summary($res);
    $res = api(GET => "/api/leads/$ref->{id}");
    is($res->{status}, 200, 'leads are served again after the lock') or diag res_summary($res);
}

# ---------------------------------------------------------------- keep-alive
{
    my $c = http_conn();
    my $n = 0;
    for my $i (1 .. 5) {
        $c->send(get_req('/api/health'));
        my $r = $c->read_response(timeout => 10);
        $n++ if $r && $r->{status} == 200 && ($r->{json}{status} // '') eq 'ok';
        last unless $r;
        unlike($r->{headers}{connection} // '', qr/close/i, "keep-alive response $i does not close the connection");
    }
    is($n, 5, 'five requests answered 200 on one keep-alive connection');

    my $phone = unique_phone();
    my $body = json_encode({ name => 'Keepalive Lead', phone => $phone });
    $c->send("POST /api/leads HTTP/1.1\r\nHost: 127.0.0.1\r\n" . auth_line() . "Content-Type: application/json\r\n"
             . 'Content-Length: ' . length($body) . "\r\n\r\n$body");
    my $r = $c->read_response(timeout => 10);
    is($r && $r->{status}, 201, 'POST on the same keep-alive connection creates a lead') or diag res_summary($r);
    my $id = $r && $r->{json} ? $r->{json}{id} // 0 : 0;
    $c->send(get_req("/api/leads/$id"));
    $r = $c->read_response(timeout => 10);
    is($r && $r->{status}, 200, 'then GET of that lead on the same connection') or diag res_summary($r);
    is($r && $r->{json} && $r->{json}{phone}, $phone, 'returns the new lead');
    $c->send("DELETE /api/leads/$id HTTP/1.1\r\nHost: 127.0.0.1\r\n" . auth_line() . "\r\n");
    $r = $c->read_response(timeout => 10);
    is($r && $r->{status}, 204, 'then DELETE on the same connection: 204') or diag res_summary($r);
    $c->send(get_req("/api/leads/$id"));
    $r = $c->read_response(timeout => 10);
    is($r && $r->{status}, 404, 'then GET of the deleted lead on the same connection: 404') or diag res_summary($r);
    $c->send(get_req('/api/leads/abc'));
    $r = $c->read_response(timeout => 10);
    is($r && $r->{status}, 422, 'a 422 on the same connection') or diag res_summary($r);
    $c->send(get_req('/api/health'));
    $r = $c->read_response(timeout => 10);
    is($r && $r->{status}, 200, 'and the connection still works after error answers') or diag res_summary($r);

    # pipelining: several requests sent at once are answered in order
    $c->send(get_req('/api/health') . get_req("/api/leads/$ref->{id}") . get_req("/api/leads/$id") . get_req('/api/health'));
    my @got = map { my $x = $c->read_response(timeout => 10); $x ? $x->{status} : 0 } 1 .. 4;
    is_deeply(\@got, [200, 200, 404, 200], 'four pipelined requests are answered in order');

    $c->send(get_req('/api/health', 'close'));
    $r = $c->read_response(timeout => 10);
    is($r && $r->{status}, 200, 'a final request with Connection: close is answered');
    ok($c->wait_closed(5), 'and then the server closes the connection');
    $c->close;
}

# ---------------------------------------------------------------- concurrent requests
{
    my @conns = map { http_conn() } 1 .. 12;
    my $i = 0;
    for my $c (@conns) {
        $i++;
        $c->send($i % 2 ? get_req('/api/leads?limit=5', 'close') : get_req("/api/leads/$ref->{id}", 'close'));
    }
    my @status = map { my $r = $_->read_response(timeout => 15); $_->close; $r ? $r->{status} : 0 } @conns;
    is_deeply(\@status, [(200) x 12], '12 concurrent requests are all answered 200') or diag "@status";
}

unlike(error_log_tail($log_start), qr/exited on signal|\[emerg\]|\[alert\]/, 'no nginx worker crashed (error log)');

done_testing;
