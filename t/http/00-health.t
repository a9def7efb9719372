#!/usr/bin/perl
# GET /api/health: the service and its database answer.
use strict;
use warnings;
use FindBin;
use lib ($ENV{SMSCAMP_ROOT} ? "$ENV{SMSCAMP_ROOT}/t/lib" : "$FindBin::Bin/../lib");
use Test::More;
use Smscamp::Test;

my $res = api(GET => '/api/health');
is_json_response($res, 200, 'GET /api/health answers 200 with JSON');
is(ref $res->{json}, 'HASH', 'health body is a JSON object');
is($res->{json}{status},   'ok', 'health status is "ok"');
is($res->{json}{database}, 'ok', 'health reports the database "ok"');

# Repeated calls keep answering (pooled connections are reused correctly).
for my $i (1 .. 3) {
    my $r = api(GET => '/api/health');
    is($r->{status}, 200, "repeated health check $i answers 200")
        or diag res_summary($r);
}

# A query string does not confuse the route.
my $q = api(GET => '/api/health?x=1');
is($q->{status}, 200, 'GET /api/health?x=1 answers 200') or diag res_summary($q);

done_testing;
