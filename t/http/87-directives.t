#!/usr/bin/perl
# The module's security directives are checked when nginx reads its configuration:
# `nginx -t` on small configurations with good and bad values of smscamp_rate_limit*,
# smscamp_cors_origins and smscamp_public_url. A mistake must stop nginx from starting,
# with a message naming the directive, rather than run with a limit or an origin that
# is not what the operator wrote.
use strict;
use warnings;
use FindBin;
use File::Temp qw(tempdir);
use lib ($ENV{SMSCAMP_ROOT} ? "$ENV{SMSCAMP_ROOT}/t/lib" : "$FindBin::Bin/../lib");
use Test::More;

my $root = $ENV{SMSCAMP_ROOT} // "$FindBin::Bin/../..";
my $module = "$root/build/nginx/ngx_smscamp_module.so";
my $nginx = $ENV{NGINX_BIN} // '/usr/sbin/nginx';
plan skip_all => "no $module (run make)" unless -f $module;
plan skip_all => "no $nginx" unless -x $nginx;

my $dir = tempdir(CLEANUP => 1);

# write_conf($dir, \@main_lines, \@http_lines): $dir/nginx.conf, loading the module, with
# everything nginx writes kept in $dir; returns its path
sub write_conf {
    my ($d, $main, $http) = @_;
    my $conf = "$d/nginx.conf";
    open my $fh, '>', $conf or die "$conf: $!";
    print $fh join "\n", "load_module $module;", "error_log $d/error.log;", "pid $d/nginx.pid;",
        @$main, 'events { worker_connections 64; }', 'http {', '    access_log off;',
        (map { "    ${_}_temp_path $d/$_;" } qw(client_body proxy fastcgi uwsgi scgi)),
        (map { "    $_" } @$http), '}', '';
    close $fh;
    return $conf;
}

# nginx_t(@http_lines): (exit status, output) of nginx -t on a configuration with those lines
sub nginx_t {
    my (@lines) = @_;
    my $conf = write_conf($dir, [], [
        'smscamp_database "host=/nonexistent dbname=smscamp";',
        'smscamp_route GET /api/health api.health public;',
        @lines,
        'server { listen 127.0.0.1:1; location /api/ { smscamp_pass; } }',
    ]);
    my $out = `'$nginx' -t -q -p '$dir' -c '$conf' 2>&1`;
    return ($? >> 8, $out);
}

my ($rc, $out) = nginx_t();
is($rc, 0, 'the defaults are a valid configuration') or diag $out;

for my $good (
    ['smscamp_rate_limit off;'],
    ['smscamp_rate_limit on;', 'smscamp_rate_limit_key 5r/s burst=10;', 'smscamp_rate_limit_ip 30r/m;'],
    ['smscamp_rate_limit_zone 1m;'],
    ['smscamp_cors_origins https://app.example.com http://localhost:5173 https://[::1]:8443;'],
    ['smscamp_public_url https://sms.example.com/;'],
    ['smscamp_public_url http://10.0.0.5:8080/prefix;'],
) {
    ($rc, $out) = nginx_t(@$good);
    is($rc, 0, "valid: @$good") or diag $out;
}

for my $bad (
    ['smscamp_rate_limit_key 100;', qr/invalid rate/],
    ['smscamp_rate_limit_key 0r/s;', qr/invalid rate/],
    ['smscamp_rate_limit_key -5r/s;', qr/invalid rate/],
    ['smscamp_rate_limit_key 10r/h;', qr/invalid rate/],
    ['smscamp_rate_limit_ip 10r/s burst=0;', qr/invalid burst/],
    ['smscamp_rate_limit_ip 10r/s burst=x;', qr/invalid burst/],
    ['smscamp_rate_limit_key 10r/s burst=20 extra=1;', qr/smscamp_rate_limit_key/],
    ['smscamp_rate_limit_key 1r/s;', 'smscamp_rate_limit_key 2r/s;', qr/duplicate/],
    ['smscamp_rate_limit maybe;', qr/smscamp_rate_limit/],
    ['smscamp_cors_origins *;', qr/not an origin/],
    ['smscamp_cors_origins https://*.example.com;', qr/no path and no wildcard/],
    ['smscamp_cors_origins https://app.example.com/;', qr/no path/],
    ['smscamp_cors_origins app.example.com;', qr/not an origin/],
    ['smscamp_cors_origins ftp://app.example.com;', qr/not an origin/],
    ['smscamp_cors_origins https://;', qr/needs a host/],
    ['smscamp_public_url sms.example.com;', qr/must start with http/],
    ['smscamp_public_url javascript:alert(1);', qr/must start with http/],
) {
    my @lines = @$bad;
    my $why = pop @lines;
    ($rc, $out) = nginx_t(@lines);
    isnt($rc, 0, "refused: @lines");
    like($out, $why, '... saying why') or diag $out;
}

# ---------------------------------------------------------------- smscamp_public_url at work
# A second nginx, on this instance's database, with smscamp_public_url set: webhook
# signatures are checked against that URL (followed by the request URI), not against the
# address the request came to (as behind a proxy that terminates TLS).
SKIP: {
    skip 'no test instance (PGHOST/PGPORT)', 4 unless $ENV{PGHOST} && $ENV{PGPORT} && $ENV{SMSCAMP_URL};
    require Smscamp::Test;
    Smscamp::Test->import(qw(twilio_signature));
    require IO::Socket::INET;
    require HTTP::Tiny;
    my $port = do {
        my $s = IO::Socket::INET->new(LocalAddr => '127.0.0.1', LocalPort => 0, Listen => 1, ReuseAddr => 1);
        my $p = $s->sockport; close $s; $p;
    };
    my $wdir = tempdir(CLEANUP => 1);
    chmod 0755, $wdir;
    my $conf = write_conf($wdir, ['user www-data;', 'worker_processes 1;'], [
        qq{smscamp_database "host=$ENV{PGHOST} port=$ENV{PGPORT} dbname=smscamp user=smscamp_api";},
        'smscamp_public_url https://sms.example.test/;',
        "include $root/ngx_smscamp_module/routes.conf;",
        "server { listen 127.0.0.1:$port; location /api/ { smscamp_pass; } }",
    ]);
    my $start = `'$nginx' -p '$wdir' -c '$conf' 2>&1`;
    is($?, 0, 'a second nginx with smscamp_public_url starts') or diag $start;
    my $url = "http://127.0.0.1:$port";
    my $body = 'From=%2B14155550123&Body=hello';
    my $post = sub {
        my ($sig) = @_;
        my $r;
        for (1 .. 50) {
            $r = HTTP::Tiny->new(timeout => 10)->request(POST => "$url/api/webhooks/sms/inbound", {
                content => $body,
                headers => { 'Content-Type' => 'application/x-www-form-urlencoded', 'X-Twilio-Signature' => $sig },
            });
            last unless $r->{status} == 599 || $r->{status} == 503;
            select undef, undef, undef, 0.1;
        }
        return $r;
    };
    my $r = $post->(twilio_signature('https://sms.example.test/api/webhooks/sms/inbound', $body));
    is($r->{status}, 200, 'signed for the public URL + the URI: 200') or diag "$r->{status} $r->{content}";
    $r = $post->(twilio_signature("$url/api/webhooks/sms/inbound", $body));
    is($r->{status}, 403, 'signed for the address it came to instead: 403') or diag "$r->{status} $r->{content}";
    $r = $post->(twilio_signature('https://sms.example.test//api/webhooks/sms/inbound', $body));
    is($r->{status}, 403, 'the trailing slash of smscamp_public_url is not doubled') or diag "$r->{status} $r->{content}";
    system($nginx, '-p', $wdir, '-c', $conf, '-s', 'stop');
}

done_testing();
