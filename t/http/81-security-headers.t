#!/usr/bin/env perl
# Security headers on every kind of response: the UI, its assets, API answers,
# API errors and the errors nginx answers itself.
use strict;
use warnings;
use FindBin;
use lib ($ENV{SMSCAMP_ROOT} ? "$ENV{SMSCAMP_ROOT}/t/lib" : "$FindBin::Bin/../lib");
use Test::More;
use Smscamp::Test;

my $index = api(GET => '/');
my ($asset) = ($index->{body} // '') =~ m{(/assets/[^"']+\.js)};

my @cases = (
    ['GET /', $index],
    ['GET /campaigns (client route)', api(GET => '/campaigns')],
    ['GET /api/health', api(GET => '/api/health')],
    ['GET /api/leads', api(GET => '/api/leads?limit=1')],
    ['GET /api/leads without a key (401)', api(GET => '/api/leads', undef, Authorization => undef)],
    ['GET /api/nope (404)', api(GET => '/api/nope')],
    ['POST /api/leads bad JSON (400)', api(POST => '/api/leads', '{"name":')],
    ['GET /api/openapi.json', api(GET => '/api/openapi.json')],
);
push @cases, ["GET $asset", api(GET => $asset)] if $asset;
ok($asset, 'the UI references a hashed asset');

for my $c (@cases) {
    my ($what, $res) = @$c;
    my $h = $res->{headers};
    is($h->{'x-content-type-options'}, 'nosniff', "$what: X-Content-Type-Options");
    is($h->{'x-frame-options'}, 'DENY', "$what: X-Frame-Options");
    is($h->{'referrer-policy'}, 'no-referrer', "$what: Referrer-Policy");
    like($h->{'content-security-policy'} // '', qr/default-src 'self'.*frame-ancestors 'none'/,
         "$what: Content-Security-Policy");
}
like($index->{headers}{'cache-control'} // '', qr/no-cache/, 'index.html is not cached');
like(api(GET => $asset)->{headers}{'cache-control'} // '', qr/immutable/, 'hashed assets are cached') if $asset;

done_testing;
