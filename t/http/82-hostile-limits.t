#!/usr/bin/env perl
# Sizes and floods (issue #6, "Hostile input" and "Limits"): 100 MB bodies on every route
# (streamed: a 413 JSON comes fast, long before the body is sent, and nginx does not hold
# it in memory; the import route allows 64 MB, the others 1 MB), header floods (thousands
# of headers, a 1 MB header, very long URIs: 400 / 414 JSON), request smuggling shapes, and
# path traversal in static paths (nothing outside static/dist is ever served).
# A background client keeps calling /api/health and an authenticated GET all along;
# nothing stored changes; no server process crashes or restarts.
use strict;
use warnings;
use FindBin;
use lib ($ENV{SMSCAMP_ROOT} ? "$ENV{SMSCAMP_ROOT}/t/lib" : "$FindBin::Bin/../lib");
use Test::More;
use Digest::MD5 qw(md5_hex);
use File::Find ();
use IO::Select;
use POSIX qw(EAGAIN EWOULDBLOCK EINTR);
use Time::HiRes qw(time sleep);
use Smscamp::Test;
use Smscamp::Hostile;

plan skip_all => 'no SMSCAMP_API_KEY: auth is off for this run' unless $ENV{SMSCAMP_API_KEY};
local $Smscamp::Test::TIMEOUT = 20;

my $MB = 1024 * 1024;
my $MISSING = 999999999;
my $ROOT = $ENV{SMSCAMP_ROOT} // "$FindBin::Bin/../..";
my $INST = $ENV{SMSCAMP_INSTANCE} // '';

my $log0 = error_log_size();
my $state0 = server_state();
my $prober = start_prober(0.1);
my $lead = create_lead(notes => 'limits reference');
my %SNAP = (lead_id => $lead->{id});
my $snap0 = snapshot(%SNAP);

sub unchanged {
    my ($what) = @_;
    local $Test::Builder::Level = $Test::Builder::Level + 1;
    my $now = snapshot(%SNAP);
    is_deeply($now, $snap0, "$what: stored data unchanged") or diag explain { before => $snap0, after => $now };
}

my @ROUTES = routes();
sub route_target {    # a real path for the route; mutating routes get a missing id
    my ($r) = @_;
    my ($res) = $r->{pattern} =~ m{^/api/([\w-]+)/:};
    return route_path($r, $r->{method} eq 'GET' && ($res // '') eq 'leads' ? $lead->{id} : $MISSING);
}

# stream(%o): send a request whose body is produced on the fly, 256 KB at a time, and stop
# as soon as the server answers (or closes). o: method, path, length (Content-Length) or
# chunked => total, headers => [pairs], auth (default 1), deadline (s), mid => sub called
# once halfway. Returns { res, written (body bytes), seconds (to the answer) }.
sub stream {
    my (%o) = @_;
    my $total = $o{chunked} // $o{length};
    my $head = "$o{method} $o{path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n"
             . (($o{auth} // 1) ? auth_line() : '')
             . 'Content-Type: ' . ($o{type} // 'application/json') . "\r\n"
             . ($o{chunked} ? "Transfer-Encoding: chunked\r\n" : "Content-Length: $o{length}\r\n");
    my @h = @{ $o{headers} || [] };
    while (my ($k, $v) = splice @h, 0, 2) { $head .= "$k: $v\r\n" }
    $head .= "\r\n";
    my $c = http_conn();
    my $t0 = time;
    my $deadline = $t0 + ($o{deadline} // 30);
    $c->send($head);
    my $piece = '[' . ('"aaaaaaa",' x 26214) . '"a"]';    # 256 KB of JSON-ish bytes
    $piece = substr($piece, 0, 262144);
    my $written = 0;
    my $mid_done = !$o{mid};
    my $sel = IO::Select->new($c->sock);
    my $buf = '';
    while ($written < $total && time < $deadline) {
        last if $c->readable(0);
        if (!$mid_done && $written >= $total / 2) { $o{mid}->(); $mid_done = 1 }
        my $n = $total - $written < length $piece ? $total - $written : length $piece;
        if (!length $buf) {
            $buf = $o{chunked} ? sprintf("%x\r\n", $n) . substr($piece, 0, $n) . "\r\n" : substr($piece, 0, $n);
        }
        my (undef, $w) = IO::Select->select(undef, $sel, undef, 0.2);
        next unless $w && @$w;
        my $k = syswrite($c->sock, $buf);
        if (!defined $k) {
            next if $! == EAGAIN || $! == EWOULDBLOCK || $! == EINTR;
            last;    # the server closed or reset: read what it said
        }
        substr($buf, 0, $k) = '';
        $written += $n if !length $buf;
    }
    $c->send("0\r\n\r\n") if $o{chunked} && $written >= $total;
    my $res = $c->read_response(timeout => $deadline - time > 1 ? $deadline - time : 1);
    my $dt = time - $t0;
    $c->close;
    $res //= { status => 0, headers => {}, body => '', content_type => '', reason => 'no response' };
    return { res => $res, written => $written, seconds => $dt };
}

# ================================================================ 100 MB bodies
my $peak0 = Smscamp::Hostile::nginx_worker_peak_kb();
{
    my $during = 0;
    for my $r (@ROUTES) {
        my $path = route_target($r);
        my $s = stream(method => $r->{method}, path => $path, length => 100 * $MB, deadline => 15,
                       auth => !$r->{params}{public});
        is_json_error($s->{res}, 413, "$r->{method} $r->{pattern} with Content-Length 100 MB: 413 JSON");
        cmp_ok($s->{seconds}, '<', 3, sprintf('... within %.2fs', $s->{seconds}));
        cmp_ok($s->{written}, '<', 32 * $MB, "... after " . int($s->{written} / 1024) . ' KB of the body (it was not read)');
    }
    for my $p ('/', '/index.html', '/assets/x.js', '/api/docs/', '/api/openapi.json', '/api/nope') {
        my $s = stream(method => 'POST', path => $p, length => 100 * $MB, deadline => 15);
        is_json_error($s->{res}, [405, 413], "POST $p with Content-Length 100 MB: 413 (or 405) JSON");
        cmp_ok($s->{seconds}, '<', 3, sprintf('... within %.2fs', $s->{seconds}));
    }
    for my $len ('99999999999999999999', '9223372036854775807', '-100', '1e9', '0x100000') {
        my $res = raw_request("POST /api/leads HTTP/1.1\r\nHost: x\r\nConnection: close\r\n" . auth_line()
                              . "Content-Type: application/json\r\nContent-Length: $len\r\n\r\n{}");
        is_json_error($res, [400, 413], "Content-Length: $len: 400 / 413 JSON");
    }
    # chunked (no length to check up front: the limit applies while reading)
    for my $c (['POST', '/api/leads', 1], ['PUT', "/api/leads/$lead->{id}", 1], ['POST', '/api/campaigns', 1],
               ['POST', '/api/webhooks/sms/inbound', 1], ['POST', '/api/leads/import', 64]) {
        my ($m, $p, $limit) = @$c;
        my %mid = $limit > 1 ? (mid => sub {
            my ($h, $dt) = timed(sub { api(GET => '/api/health') });
            ok($h->{status} == 200 && $dt < 2, sprintf('while %s receives a chunked 100 MB body: /api/health 200 in %.2fs', $p, $dt));
            $during++;
        }) : ();
        my $s = stream(method => $m, path => $p, chunked => 100 * $MB, deadline => 30, %mid,
                       auth => $p !~ /webhooks/);
        is_json_error($s->{res}, 413, "$m $p with a chunked 100 MB body: 413 JSON");
        cmp_ok($s->{written}, '<', ($limit + 16) * $MB,
               "... stopped after " . int($s->{written} / $MB) . " MB (limit $limit MB)");
        cmp_ok($s->{seconds}, '<', 10, sprintf('... within %.2fs', $s->{seconds}));
    }
    ok($during, 'a client was served during a large upload');
    my $peak = Smscamp::Hostile::nginx_worker_peak_kb();
    cmp_ok($peak - $peak0, '<', 40 * 1024,
           sprintf('the nginx workers did not hold the bodies in memory (peak RSS %d MB -> %d MB)', $peak0 / 1024, $peak / 1024));
    unchanged('100 MB bodies');
    alive('100 MB bodies');
}

# ================================================================ header floods, long URIs
{
    my $auth = auth_line();
    my $req = sub { my ($line, $hdrs) = @_; "$line HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n$auth$hdrs\r\n" };
    my @cases = (
        ['10,000 headers', $req->('GET /api/leads?limit=1', join('', map { sprintf "X-Flood-%05d: %s\r\n", $_, 'v' x 20 } 1 .. 10000)),
         [400]],
        ['50,000 tiny headers', $req->('GET /api/health', "A: b\r\n" x 50000), [400]],
        ['a 1 MB header', $req->('GET /api/leads?limit=1', 'X-Big: ' . ('a' x $MB) . "\r\n"), [400]],
        ['a 1 MB Authorization header', "GET /api/leads HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " . ('a' x $MB) . "\r\n\r\n", [400]],
        ['a 1 MB cookie', $req->('GET /', 'Cookie: a=' . ('b' x $MB) . "\r\n"), [400]],
        ['a 17 KB header', $req->('GET /api/health', 'X-Big: ' . ('a' x (17 * 1024)) . "\r\n"), [400]],
        ['a 100 KB path', $req->('GET /api/leads/' . ('1' x (100 * 1024)), ''), [414]],
        ['a 1 MB query string', $req->('GET /api/leads?q=' . ('a' x $MB), ''), [414]],
        ['a 1 MB URI to a static file', $req->('GET /assets/' . ('a' x $MB), ''), [414]],
        ['a 1 MB method', ('G' x $MB) . " / HTTP/1.1\r\nHost: x\r\n\r\n", [400, 414]],
        ['a 1 MB header name', $req->('GET /api/health', ('X' x $MB) . ": v\r\n"), [400]],
        ['a 1 MB Host', "GET /api/health HTTP/1.1\r\nHost: " . ('h' x $MB) . "\r\n\r\n", [400]],
        ['headers without an end', $req->('GET /api/health', "X-A: b\r\n" x 20000) =~ s/\r\n\r\n\z/\r\n/r, [400]],
    );
    for my $c (@cases) {
        my ($what, $bytes, $ok) = @$c;
        my ($res, $dt) = timed(sub { raw_request($bytes, timeout => 15) });
        is_json_error($res, $ok, "$what: " . join('/', @$ok) . ' JSON');
        cmp_ok($dt, '<', 3, sprintf('... within %.2fs', $dt));
    }
    # large but within the limits: answered normally. (Debian's nginx also refuses more
    # than about 1,000 header lines: "client sent too many header lines", a 400.)
    my $res = raw_request($req->('GET /api/leads?limit=1', join('', map { "X-N$_: v\r\n" } 1 .. 900)));
    is($res->{status}, 200, '900 small headers (within the header buffers): 200') or diag res_summary($res);
    $res = raw_request($req->('GET /api/leads?limit=1', join('', map { "X-N$_: v\r\n" } 1 .. 2000)));
    is_json_error($res, [400], '2,000 small headers: 400 JSON');
    $res = raw_request($req->('GET /api/leads?limit=1&' . join('&', map { "a$_=1" } 1 .. 1500), ''));
    ok($res->{status} == 200 || ($res->{status} == 422 && $res->{json}), '1,500 query arguments: 200 or 422 JSON')
        or diag res_summary($res);
    $res = raw_request($req->('GET /api/leads?q=' . ('a' x (15 * 1024)), ''));
    is_fastapi_422($res, ['query', 'q'], 'a 15 KB q (within the URI limit): 422 at query.q');
    # framing that smuggles
    $res = raw_request("POST /api/leads HTTP/1.1\r\nHost: x\r\n${auth}Content-Type: application/json\r\n"
                       . "Content-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\nGET /api/keys HTTP/1.1\r\nHost: x\r\n\r\n");
    is_json_error($res, 400, 'Content-Length together with Transfer-Encoding: 400 JSON');
    $res = raw_request("POST /api/leads HTTP/1.1\r\nHost: x\r\n${auth}Content-Type: application/json\r\n"
                       . "Transfer-Encoding: gzip, chunked\r\n\r\n0\r\n\r\n");
    is_json_error($res, [400, 501], 'Transfer-Encoding other than chunked: 400 / 501 JSON');
    $res = raw_request("GET /api/health HTTP/9.9\r\nHost: x\r\n\r\n");
    is_json_error($res, [400, 505], 'HTTP/9.9: 400 / 505 JSON');
    ok($res->{status} == 400 || $res->{status} == 505, 'HTTP/9.9 is refused (400 / 505)');
    $res = raw_request("GET /api/health HTTP/1.1\r\nHost: x\r\nX-A: b\r\n continued\r\n\r\n");
    is_json_error($res, [400], 'an obsolete folded header line: 400 JSON');
    $res = raw_request("GET /api/health HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n");
    is_json_error($res, [400], 'two Host headers: 400 JSON');
    $res = raw_request("GET /api/leads?limit=1 HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer nope\r\n$auth\r\n");
    is_json_error($res, [400, 401], 'two Authorization headers (a bad one first): 400 / 401 JSON, never the second key');
    $res = raw_request("GET /api/leads?limit=1 HTTP/1.1\r\nHost: x\r\n${auth}Authorization: Bearer nope\r\n\r\n");
    is_json_error($res, [400, 401], 'two Authorization headers (the good one first): 400 / 401 JSON');
    unchanged('header floods and long URIs');
    alive('header floods and long URIs');
}

# ================================================================ path traversal
{
    my $dist = "$ROOT/static/dist";
    my %dist_md5;
    File::Find::find({ no_chdir => 1, wanted => sub {
        return unless -f $_;
        open(my $fh, '<:raw', $_) or return;
        local $/;
        $dist_md5{ md5_hex(<$fh> // '') } = $_;
    } }, $dist);
    ok(scalar keys %dist_md5, 'static/dist has files (' . scalar(keys %dist_md5) . ')');

    # what must never come back: files outside static/dist, by a piece of their content
    my %secret;
    my $read = sub { open(my $fh, '<:raw', $_[0]) or return undef; local $/; my $t = <$fh>; $t };
    $secret{'/etc/passwd'} = 'root:x:0:0';
    for my $f ("$ROOT/README.md", "$ROOT/ngx_smscamp_module/nginx.conf.in", "$ROOT/scripts/lib.sh",
               "$INST/admin.key", "$INST/tls/key.pem", "$INST/nginx/nginx.conf") {
        my $t = $read->($f) // next;
        $secret{$f} = substr($t, 0, 64);
    }
    (my $inst_rel = $INST) =~ s{^\Q$ROOT\E/}{};
    my @paths = (
        '/../etc/passwd', '/../../../../../../etc/passwd', '/%2e%2e/%2e%2e/%2e%2e/etc/passwd',
        '/%2E%2E/%2E%2E/%2E%2E/etc/passwd', '/assets/../../etc/passwd', '/assets/../../../../../../../etc/passwd',
        '/assets/%2e%2e/%2e%2e/%2e%2e/%2e%2e/etc/passwd', '/assets/..%2f..%2f..%2f..%2f..%2fetc%2fpasswd',
        '/assets/%2e%2e%2f%2e%2e%2f%2e%2e%2f%2e%2e%2fetc%2fpasswd', '/assets/..%252f..%252f..%252fetc%252fpasswd',
        '/assets/..%5c..%5c..%5cetc%5cpasswd', '/assets/..\\..\\..\\etc\\passwd', '/..%c0%af..%c0%af..%c0%afetc/passwd',
        '/assets/%c0%ae%c0%ae/%c0%ae%c0%ae/etc/passwd', '//etc/passwd', '/assets//..//..//..//etc/passwd',
        '/assets/.%2e/.%2e/.%2e/etc/passwd', '/index.html/../../../etc/passwd', '/api/docs/../../../../../etc/passwd',
        '/api/docs/..%2f..%2f..%2f..%2f..%2fetc%2fpasswd', '/api/docs/%2e%2e/%2e%2e/%2e%2e/README.md',
        '/api/docs/../../README.md', '/api/docs..%2f..%2f..%2fREADME.md', '/api/openapi.json/../../../README.md',
        '/assets/../../README.md', '/../README.md', '/assets/../../ngx_smscamp_module/nginx.conf.in',
        '/assets/%2e%2e/%2e%2e/scripts/lib.sh', '/../scripts/lib.sh', "/../../$inst_rel/admin.key",
        "/assets/../../../$inst_rel/admin.key", "/assets/..%2f..%2f..%2f$inst_rel/tls/key.pem",
        "/%2e%2e/%2e%2e/$inst_rel/nginx/nginx.conf", '/assets/../../../../../../proc/self/environ',
        '/etc/passwd', '/assets/x%00.js', '/%00../etc/passwd', '/api/docs/%00/../../../etc/passwd',
        '/assets/../../var/admin.key', '/.git/config', '/assets/../../.git/config', '/api/docs/../../.git/HEAD',
        '/assets/%u002e%u002e/etc/passwd', '/assets/....//....//etc/passwd', '/assets/..;/..;/etc/passwd',
    );
    my %seen_status;
    for my $p (@paths) {
        for my $target ($p, "http://127.0.0.1$p") {
            my $res = raw_request("GET $target HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n");
            $seen_status{ $res->{status} }++;
            my @leak = grep { index($res->{body}, $secret{$_}) >= 0 } keys %secret;
            ok(!@leak, "GET $target: serves nothing from outside static/dist") or diag "leaked: @leak";
            if ($res->{status} == 200) {
                ok(exists $dist_md5{ md5_hex($res->{body}) }, "GET $target: a 200 is a file of static/dist")
                    or diag res_summary($res);
            } elsif ($res->{status} >= 300 && $res->{status} < 400) {
                like($res->{headers}{location} // '', qr{^(?:/|http://127\.0\.0\.1(?::\d+)?/)}, "GET $target: a redirect stays here");
            } else {
                is_json_error($res, [400, 403, 404], "GET $target: 4xx JSON");
            }
        }
    }
    # other ways to name a file
    for my $t ('file:///etc/passwd', 'http://127.0.0.1/..%2f..%2fetc/passwd', '../../etc/passwd', '*') {
        my $res = raw_request("GET $t HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n");
        ok(index($res->{body}, 'root:x:0:0') < 0, "GET $t: not /etc/passwd");
        ok($res->{status} == 200 ? exists $dist_md5{ md5_hex($res->{body}) } : $res->{status} >= 400 && defined $res->{json},
           "GET $t: a file of static/dist or a JSON error ($res->{status})") or diag res_summary($res);
    }
    diag 'traversal answers: ' . join(', ', map { "$_ x$seen_status{$_}" } sort keys %seen_status);
    alive('path traversal');
}

# ================================================================ the end
$prober->check('while bodies, floods and traversals were sent', 5);
unchanged('the whole limits run');
state_unchanged($state0, 'after all the limits');
unlike(error_log_tail($log0), qr/exited on signal|\[emerg\]|\[alert\]/, 'no nginx worker crashed or raised an alert');
api(DELETE => "/api/leads/$lead->{id}");

done_testing;
