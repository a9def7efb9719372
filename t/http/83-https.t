#!/usr/bin/env perl
# HTTPS (SMSCAMP_HTTPS=1; the test instance always has it): the API over TLS with the
# instance's self-signed certificate, HSTS on every HTTPS answer and never over plain HTTP,
# TLS 1.0 / 1.1 refused by the server, HTTP/2 offered, the key file private.
use strict;
use warnings;

# Our own OpenSSL configuration, read when Net::SSLeay loads: Debian's system file raises the
# client's minimum protocol to TLS 1.2, which would make "TLS 1.0 is refused" pass without
# ever asking the server. With an empty one, this client may offer TLS 1.0 (with
# @SECLEVEL=0 below), so a refusal can only come from nginx.
BEGIN { $ENV{OPENSSL_CONF} = '/dev/null' }

use FindBin;
use lib ($ENV{SMSCAMP_ROOT} ? "$ENV{SMSCAMP_ROOT}/t/lib" : "$FindBin::Bin/../lib");
use Test::More;
use HTTP::Tiny;
use Smscamp::Test;

my $https = $ENV{SMSCAMP_HTTPS_URL};
plan skip_all => 'no SMSCAMP_HTTPS_URL: HTTPS is off for this run' unless $https;
plan skip_all => 'IO::Socket::SSL is missing (Debian: libio-socket-ssl-perl; make deps installs it)'
    unless eval { require IO::Socket::SSL; IO::Socket::SSL->VERSION(1.968); 1 };
$https =~ s{/+\z}{};
my ($host, $port) = $https =~ m{^https://([^/:]+):(\d+)\z} or die "SMSCAMP_HTTPS_URL '$https' is not https://HOST:PORT\n";
my $cert = $ENV{SMSCAMP_TLS_CERT} // "$ENV{SMSCAMP_INSTANCE}/tls/cert.pem";
ok(-s $cert, "the instance has a certificate ($cert)") or BAIL_OUT('no certificate');

my $HSTS = 'max-age=31536000';
my $key = $ENV{SMSCAMP_API_KEY};

# over HTTPS, verifying the certificate (the self-signed one is its own CA) and the host
my $tls = HTTP::Tiny->new(timeout => 20, keep_alive => 0, verify_SSL => 1,
                          SSL_options => { SSL_ca_file => $cert }, agent => 'smscamp-tests/1');

sub req {
    my ($ua, $base, $method, $path, $body, %h) = @_;
    my %headers = (map({ lc($_) => $h{$_} } keys %h));
    $headers{authorization} = "Bearer $key" if $key && !exists $h{Authorization};
    delete $headers{authorization} unless defined $headers{authorization};
    my %opt = (headers => \%headers);
    if (defined $body) {
        $opt{content} = ref $body ? json_encode($body) : $body;
        $headers{'content-type'} //= 'application/json';
    }
    my $r = $ua->request($method, "$base$path", \%opt);
    my %hh;
    while (my ($k, $v) = each %{ $r->{headers} || {} }) { $hh{lc $k} = ref $v ? join(', ', @$v) : $v }
    my $res = { status => $r->{status}, headers => \%hh, body => $r->{content} // '',
                content_type => $hh{'content-type'} // '' };
    $res->{json} = json_decode($res->{body});
    $res->{reason} = $r->{reason};
    return $res;
}
sub tls_req { req($tls, $https, @_) }

# ---------------------------------------------------------------- the API over HTTPS
{
    my $res = tls_req(GET => '/api/health');
    is($res->{status}, 200, 'GET /api/health over HTTPS, certificate and host verified')
        or diag("$res->{status} $res->{reason}: " . substr($res->{body}, 0, 300));
    is($res->{json}{database}, 'ok', 'the database is ok');
    is($res->{headers}{'strict-transport-security'}, $HSTS, "HSTS: $HSTS");

    SKIP: {
        skip 'auth is off for this run', 9 unless $key;
        $res = tls_req(GET => '/api/leads?limit=1');
        is($res->{status}, 200, 'GET /api/leads over HTTPS with the API key');
        is(ref $res->{json}{items}, 'ARRAY', 'and it lists leads');
        $res = tls_req(GET => '/api/leads?limit=1', undef, Authorization => undef);
        is_json_error($res, 401, 'without the key: 401 JSON over HTTPS too');
        is($res->{headers}{'strict-transport-security'}, $HSTS, 'the 401 carries HSTS');

        my $phone = unique_phone();
        $res = tls_req(POST => '/api/leads', { name => 'Tls Lead', phone => $phone });
        is($res->{status}, 201, 'POST /api/leads over HTTPS creates a lead') or diag res_summary($res);
        my $id = $res->{json}{id} // 0;
        $res = tls_req(GET => "/api/leads/$id");
        is($res->{json}{phone}, $phone, 'and it reads back over HTTPS');
        is(api(GET => "/api/leads/$id")->{json}{phone}, $phone, 'and over plain HTTP (one server)');
        is(tls_req(DELETE => "/api/leads/$id")->{status}, 204, 'DELETE over HTTPS');
        is(phone_in_db($phone), 0, 'the lead is gone');
    }
}

# ---------------------------------------------------------------- HSTS over HTTPS only
{
    my $plain = HTTP::Tiny->new(timeout => 20, keep_alive => 0, agent => 'smscamp-tests/1');
    my $index = req($plain, base_url(), GET => '/');
    my ($asset) = $index->{body} =~ m{(/assets/[^"']+\.js)};
    # one of each kind of answer: the module, its errors, nginx's own errors, and the
    # locations with add_header lines of their own (the UI, assets, the API docs)
    my @paths = (['GET', '/api/health'], ['GET', '/api/leads?limit=1'], ['GET', '/api/nope'],
                 ['POST', '/api/leads', '{"name":'], ['GET', '/'], ['GET', '/campaigns'],
                 ['GET', '/api/openapi.json'], ['GET', '/api/docs/'], ['GET', '/api/docs']);
    push @paths, ['GET', $asset] if $asset;
    for my $p (@paths) {
        my ($m, $path, $body) = @$p;
        my $r = tls_req($m, $path, $body);
        ok($r->{status} >= 200 && $r->{status} < 500, "HTTPS $m $path answers ($r->{status})");
        is($r->{headers}{'strict-transport-security'}, $HSTS, "HTTPS $m $path: HSTS");
        $r = req($plain, base_url(), $m, $path, $body);
        ok(!exists $r->{headers}{'strict-transport-security'}, "plain HTTP $m $path: no HSTS")
            or diag "Strict-Transport-Security: $r->{headers}{'strict-transport-security'}";
    }
    # an error nginx answers while parsing (no location yet), over TLS
    my $s = IO::Socket::SSL->new(PeerHost => $host, PeerPort => $port, SSL_ca_file => $cert, Timeout => 10)
        or die "TLS connect: $IO::Socket::SSL::SSL_ERROR\n";
    print $s "GET /\x00 HTTP/1.1\r\nHost: $host\r\nConnection: close\r\n\r\n";
    local $/;
    my $raw = <$s> // '';
    close $s;
    my ($res) = parse_response($raw, 1);
    $res = Smscamp::Test::_finish_response($res) if $res;
    is_json_error($res // { status => 0, headers => {}, body => '', content_type => '' }, 400,
                  'a malformed request line over TLS: 400 JSON');
    is($res && $res->{headers}{'strict-transport-security'}, $HSTS, 'with HSTS');
}

# ---------------------------------------------------------------- plain HTTP to the TLS port
{
    my $c = http_conn(host => $host, port => $port);
    $c->send("GET /api/health HTTP/1.1\r\nHost: $host\r\nConnection: close\r\n\r\n");
    my $res = $c->read_response(timeout => 10);
    $c->close;
    ok($res, 'plain HTTP sent to the HTTPS port gets an answer');
    is_json_error($res, 400, 'a 400 JSON (not nginx\'s HTML page)') if $res;
}

# ---------------------------------------------------------------- protocols
{
    for my $v (['TLSv1', 'TLS 1.0'], ['TLSv1_1', 'TLS 1.1']) {
        my ($ver, $name) = @$v;
        my $s = IO::Socket::SSL->new(PeerHost => $host, PeerPort => $port, SSL_version => $ver,
                                     SSL_cipher_list => 'DEFAULT:@SECLEVEL=0',
                                     SSL_verify_mode => IO::Socket::SSL::SSL_VERIFY_NONE(), Timeout => 10);
        my $err = $IO::Socket::SSL::SSL_ERROR // '';
        ok(!$s, "$name is refused") or diag 'negotiated ' . $s->get_sslversion;
        # "tlsv1 alert ..." is an alert the server sent; a client-side refusal
        # ("no protocols available") would prove nothing
        like($err, qr/alert/i, "$name: refused by the server (a TLS alert)");
        close $s if $s;
    }
    for my $v (['TLSv1_2', 'TLSv1_2'], ['TLSv1_3', 'TLSv1_3']) {
        my ($ver, $want) = @$v;
        my $s = IO::Socket::SSL->new(PeerHost => $host, PeerPort => $port, SSL_version => $ver,
                                     SSL_ca_file => $cert, Timeout => 10);
        ok($s, "$want is accepted") or diag $IO::Socket::SSL::SSL_ERROR;
        next unless $s;
        is($s->get_sslversion, $want, "negotiated $want");
        my $cipher = $s->get_cipher // '';
        like($cipher, qr/GCM|CHACHA20/, "$want: an AEAD cipher ($cipher)");
        close $s;
    }
    # no CBC / RSA key exchange suites with TLS 1.2
    my $s = IO::Socket::SSL->new(PeerHost => $host, PeerPort => $port, SSL_version => 'TLSv1_2',
                                 SSL_cipher_list => 'AES128-SHA:AES256-SHA:ECDHE-ECDSA-AES128-SHA:DES-CBC3-SHA:@SECLEVEL=0',
                                 SSL_verify_mode => IO::Socket::SSL::SSL_VERIFY_NONE(), Timeout => 10);
    ok(!$s, 'TLS 1.2 with only CBC / non-forward-secret ciphers is refused');
    close $s if $s;

    SKIP: {
        skip 'this OpenSSL has no ALPN', 1 unless IO::Socket::SSL->can_alpn;
        $s = IO::Socket::SSL->new(PeerHost => $host, PeerPort => $port, SSL_ca_file => $cert,
                                  SSL_alpn_protocols => ['h2', 'http/1.1'], Timeout => 10);
        is($s && $s->alpn_selected, 'h2', 'HTTP/2 is offered (ALPN h2)');
        close $s if $s;
    }
}

# ---------------------------------------------------------------- the certificate and key
SKIP: {
    my $dir = $ENV{SMSCAMP_INSTANCE} or skip 'no SMSCAMP_INSTANCE', 4;
    my $keyfile = "$dir/tls/key.pem";
    ok(-f $keyfile, 'the key is in <instance>/tls/');
    is(sprintf('%04o', (stat $keyfile)[2] & 07777), '0600', 'the key file is mode 600');
    my $s = IO::Socket::SSL->new(PeerHost => $host, PeerPort => $port, SSL_ca_file => $cert,
                                 SSL_verifycn_name => 'localhost', SSL_verifycn_scheme => 'http', Timeout => 10);
    ok($s, 'the certificate is valid for the name localhost too') or diag $IO::Socket::SSL::SSL_ERROR;
    close $s if $s;
    $s = IO::Socket::SSL->new(PeerHost => $host, PeerPort => $port, SSL_ca_file => $cert,
                              SSL_verifycn_name => 'example.com', SSL_verifycn_scheme => 'http', Timeout => 10);
    ok(!$s, 'and not for another name');
    close $s if $s;
}

done_testing;
