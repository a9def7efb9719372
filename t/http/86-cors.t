#!/usr/bin/perl
# CORS (issue 6): only the origins in smscamp_cors_origins (the test instance allows
# https://app.smscamp.test, SMSCAMP_CORS_ORIGINS in scripts/test.sh) may call the API
# from a browser; preflights from any other origin are refused with 403 JSON.
use strict;
use warnings;
use FindBin;
use lib ($ENV{SMSCAMP_ROOT} ? "$ENV{SMSCAMP_ROOT}/t/lib" : "$FindBin::Bin/../lib");
use Test::More;
use Smscamp::Test;

my $ALLOWED = 'https://app.smscamp.test';
my $EVIL = 'https://evil.example';

sub preflight {
    my ($path, $origin, $method, %h) = @_;
    return api(OPTIONS => $path, undef, Authorization => undef,
               (defined $origin ? (Origin => $origin) : ()),
               (defined $method ? ('Access-Control-Request-Method' => $method) : ()), %h);
}

# ---------------------------------------------------------------- preflight
my $res = preflight('/api/leads', $ALLOWED, 'POST', 'Access-Control-Request-Headers' => 'authorization, content-type');
is($res->{status}, 204, 'a preflight from the allowed origin: 204') or diag res_summary($res);
is($res->{headers}{'access-control-allow-origin'}, $ALLOWED, '... Access-Control-Allow-Origin is that origin');
is_deeply([sort split /,\s*/, $res->{headers}{'access-control-allow-methods'} // ''], [qw(GET POST)],
          "... Access-Control-Allow-Methods: the path's methods");
like($res->{headers}{'access-control-allow-headers'} // '', qr/\bAuthorization\b/i, '... Authorization may be sent');
like($res->{headers}{'access-control-allow-headers'} // '', qr/\bContent-Type\b/i, '... and Content-Type');
like($res->{headers}{'access-control-max-age'} // '', qr/^[1-9][0-9]*$/, '... with a max age');
like($res->{headers}{vary} // '', qr/\bOrigin\b/, '... Vary: Origin');
is($res->{headers}{'access-control-allow-credentials'}, undef, '... no credentials (keys are not cookies)');

$res = preflight('/api/leads/17', $ALLOWED, 'DELETE');
is($res->{status}, 204, 'a preflight for /api/leads/17: 204');
is_deeply([sort split /,\s*/, $res->{headers}{'access-control-allow-methods'} // ''], [qw(DELETE GET PUT)],
          '... GET, PUT, DELETE');

for my $origin ($EVIL, 'https://app.smscamp.test.evil.example', 'http://app.smscamp.test',
                'https://app.smscamp.test:8443', 'null', base_url()) {
    $res = preflight('/api/leads', $origin, 'POST');
    is_json_error($res, 403, "a preflight from $origin: 403 JSON");
    is($res->{headers}{'access-control-allow-origin'}, undef, '... without Access-Control-Allow-Origin');
}

is_json_error(preflight('/api/nothing-here', $ALLOWED, 'GET'), 404, 'a preflight for a path that is no route: 404');
$res = preflight('/api/leads', undef, undef);
is_json_error($res, 405, 'OPTIONS without Origin is no preflight: 405');
like($res->{headers}{allow} // '', qr/\bGET\b.*\bPOST\b/, '... with Allow');
is_json_error(preflight('/api/leads', $ALLOWED, undef), 405, 'OPTIONS without Access-Control-Request-Method: 405');

# ---------------------------------------------------------------- actual requests
$res = api(GET => '/api/leads?limit=1', undef, Origin => $ALLOWED);
is($res->{status}, 200, 'a GET from the allowed origin: 200');
is($res->{headers}{'access-control-allow-origin'}, $ALLOWED, '... with Access-Control-Allow-Origin');
like($res->{headers}{vary} // '', qr/\bOrigin\b/, '... and Vary: Origin');
like($res->{headers}{'access-control-expose-headers'} // '', qr/\bRetry-After\b/,
     '... and Retry-After exposed to the script');

$res = api(GET => '/api/leads?limit=1', undef, Origin => $EVIL);
is($res->{status}, 200, 'a GET from another origin is served (the browser keeps the answer from the page)');
is($res->{headers}{'access-control-allow-origin'}, undef, '... without Access-Control-Allow-Origin');

$res = api(GET => '/api/leads?limit=1', undef, Origin => $ALLOWED, Authorization => undef);
is_json_error($res, 401, 'a 401 to the allowed origin');
is($res->{headers}{'access-control-allow-origin'}, $ALLOWED, '... carries CORS headers, so the page can read it');

$res = api(GET => '/api/leads?limit=1', undef, Origin => base_url());
is($res->{status}, 200, 'the web UI (same origin) is served');
is($res->{headers}{'access-control-allow-origin'}, undef, '... and needs no CORS headers');

$res = api(GET => '/api/health', undef, Origin => $ALLOWED);
is($res->{headers}{'access-control-allow-origin'}, $ALLOWED, 'public routes answer the allowed origin too');

done_testing();
