#!/usr/bin/env perl
# API keys and roles: 401 without a valid key, 403 for a role that may not,
# keys shown once and stored hashed, revocation within the cache TTL.
use strict;
use warnings;
use FindBin;
use lib ($ENV{SMSCAMP_ROOT} ? "$ENV{SMSCAMP_ROOT}/t/lib" : "$FindBin::Bin/../lib");
use Test::More;
use Time::HiRes qw(sleep time);
use Smscamp::Test;

my $admin = $ENV{SMSCAMP_API_KEY};
plan skip_all => 'no SMSCAMP_API_KEY: auth is off for this run' unless $admin;

sub as {
    my ($key, $method, $path, $body) = @_;
    return api($method, $path, $body, Authorization => defined $key ? "Bearer $key" : undef);
}

sub new_key {
    my ($role, %extra) = @_;
    my $res = as($admin, POST => '/api/keys', { name => "test $role " . unique_token(), role => $role, %extra });
    is($res->{status}, 201, "admin creates a $role key") or diag res_summary($res);
    return $res->{json};
}

# ---------------------------------------------------------------- 401
for my $route (['GET', '/api/leads'], ['POST', '/api/leads'], ['GET', '/api/campaigns'],
               ['GET', '/api/dashboard/stats'], ['GET', '/api/keys'], ['DELETE', '/api/leads/1']) {
    my ($m, $p) = @$route;
    my $res = as(undef, $m, $p, $m eq 'POST' ? { name => 'x' } : undef);
    is_json_error($res, 401);
    like($res->{headers}{'www-authenticate'} // '', qr/^Bearer\b/, "$m $p: 401 says WWW-Authenticate: Bearer");
}
for my $bad ('Bearer', 'Bearer ', 'Basic YWRtaW46YWRtaW4=', 'Bearer smc_' . ('0' x 64),
             "Bearer ${admin}x", 'Bearer ' . ('a' x 300), 'Bearer short', "Bearer $admin;drop") {
    my $res = api(GET => '/api/leads', undef, Authorization => $bad);
    is($res->{status}, 401, "Authorization '" . substr($bad, 0, 30) . "…' is refused") or diag res_summary($res);
}

# public routes need no key
is(as(undef, GET => '/api/health')->{status}, 200, 'GET /api/health needs no key');
is(webhook('/api/webhooks/sms/inbound', 'From=%2B14155550100&Body=hello')->{status},
   200, 'the provider webhook is not behind an API key (it is signed instead)');
for my $key (undef, $admin) {
    is(api(POST => '/api/webhooks/sms/inbound', 'From=%2B14155550100&Body=hello',
           'Content-Type' => 'application/x-www-form-urlencoded',
           Authorization => defined $key ? "Bearer $key" : undef)->{status},
       403, '... and refused unsigned, ' . (defined $key ? 'even with an admin key' : 'without a key'));
}

# ---------------------------------------------------------------- roles
my $viewer = new_key('viewer');
my $operator = new_key('operator');
like($viewer->{key} // '', qr/^smc_[0-9a-f]{64}$/, 'a key is smc_ + 64 hex digits (>= 128 random bits)');
is($viewer->{role}, 'viewer', 'the key has its role');
is(length($viewer->{key_prefix} // ''), 12, 'the key prefix is shown, not the key');

is(as($viewer->{key}, GET => '/api/leads?limit=1')->{status}, 200, 'viewer reads leads');
is(as($viewer->{key}, GET => '/api/dashboard/stats')->{status}, 200, 'viewer reads the dashboard');
is_json_error(as($viewer->{key}, POST => '/api/leads', { name => 'V', phone => unique_phone() }), 403);
is_json_error(as($viewer->{key}, POST => '/api/campaigns', { name => 'V' }), 403);
is_json_error(as($viewer->{key}, GET => '/api/keys'), 403);

my $lead = as($operator->{key}, POST => '/api/leads', { name => 'Op Erator', phone => unique_phone() });
is($lead->{status}, 201, 'operator creates a lead') or diag res_summary($lead);
is(as($operator->{key}, DELETE => "/api/leads/$lead->{json}{id}")->{status}, 204, 'operator deletes it');
is_json_error(as($operator->{key}, GET => '/api/keys'), 403);
is_json_error(as($operator->{key}, POST => '/api/keys', { name => 'x', role => 'admin' }), 403);

# ---------------------------------------------------------------- stored as hashes
my $list = as($admin, GET => '/api/keys?limit=500');
is($list->{status}, 200, 'admin lists keys');
ok(!grep({ exists $_->{key} || exists $_->{key_hash} } @{ $list->{json}{items} || [] }),
   'the list shows neither keys nor hashes');
is(psql("SELECT count(*) FROM api_keys WHERE key_hash = encode(sha256(convert_to(:'k', 'UTF8')), 'hex')",
        k => $viewer->{key}), 1, 'the table holds the SHA-256 of the key');
is(psql("SELECT count(*) FROM api_keys WHERE key_hash = :'k' OR key_prefix = :'k' OR name = :'k'",
        k => $viewer->{key}), 0, 'and not the key itself');
ok(psql("SELECT last_used_at IS NOT NULL FROM api_keys WHERE id = :'id'", id => $viewer->{id}) eq 't',
   'last_used_at is recorded');
is(psql("SELECT has_table_privilege('smscamp_api', 'api_keys', 'SELECT')"), 'f',
   'the API role cannot read the keys table');

# ---------------------------------------------------------------- bad input
is_fastapi_422(as($admin, POST => '/api/keys', { name => 'x', role => 'root' }), ['body', 'role']);
is_fastapi_422(as($admin, POST => '/api/keys', { role => 'viewer' }), ['body', 'name']);
is_fastapi_422(as($admin, POST => '/api/keys', { name => 'x', role => 'viewer', expires_at => '2001-01-01T00:00:00Z' }),
               ['body', 'expires_at']);
is_json_error(as($admin, DELETE => '/api/keys/999999999'), 404);
is_fastapi_422(as($admin, DELETE => '/api/keys/abc'), ['path', 'id']);
is_fastapi_422(as($admin, DELETE => "/api/keys/$viewer->{id}?after=-5"), ['query', 'after']);

# ---------------------------------------------------------------- expiry, revocation, rotation
my $expired = new_key('viewer', expires_at => '2999-01-01T00:00:00Z');
psql("UPDATE api_keys SET expires_at = now() - interval '1 second' WHERE id = :'id'", id => $expired->{id});
is(as($expired->{key}, GET => '/api/leads?limit=1')->{status}, 401, 'an expired key is refused');

my $rotating = new_key('viewer');
is(as($admin, DELETE => "/api/keys/$rotating->{id}?after=60")->{status}, 204, 'revoke with a 60 s overlap');
is(as($rotating->{key}, GET => '/api/leads?limit=1')->{status}, 200, 'the old key still works during the overlap');

is(as($viewer->{key}, GET => '/api/leads?limit=1')->{status}, 200, 'the viewer key works (and is cached)');
is(as($admin, DELETE => "/api/keys/$viewer->{id}")->{status}, 204, 'admin revokes the viewer key');
my ($t0, $status) = (time, 200);
while (time - $t0 < 10) {
    $status = as($viewer->{key}, GET => '/api/leads?limit=1')->{status};
    last if $status == 401;
    sleep 0.25;
}
is($status, 401, 'a revoked key stops working within seconds');
cmp_ok(time - $t0, '<', 8, 'within the cache TTL (5 s) and a margin');

done_testing;
