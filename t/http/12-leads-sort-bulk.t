#!/usr/bin/perl
# Leads through the server: GET /api/leads?sort= (and its 422s), search by a
# national number, POST /api/leads/bulk (delete, opt_out; roles), and
# GET /api/keys/me for each role.
use strict;
use warnings;
use FindBin;
use lib ($ENV{SMSCAMP_ROOT} ? "$ENV{SMSCAMP_ROOT}/t/lib" : "$FindBin::Bin/../lib");
use Test::More;
use Smscamp::Test;

my $admin = $ENV{SMSCAMP_API_KEY};

sub as {
    my ($key, $method, $path, $body) = @_;
    return api($method, $path, $body, Authorization => defined $key ? "Bearer $key" : undef);
}

sub names { [map { $_->{name} } @{ ($_[0]{json} // {})->{items} // [] }] }

# ---------------------------------------------------------------- data
# four leads sharing a token; names differ in case, one has no company
my $tok = unique_token();
my %L;
for my $l (["b", "bravo $tok", "Acme $tok"], ["A", "Alpha $tok", undef],
           ["c", "charlie $tok", "beta $tok"], ["a", "alpha $tok", "acme $tok"]) {
    my ($k, $name, $company) = @$l;
    $L{$k} = create_lead(name => $name, (defined $company ? (company => $company) : ()));
}

# ---------------------------------------------------------------- sort
my %want = (
    'id'      => ["bravo $tok", "Alpha $tok", "charlie $tok", "alpha $tok"],
    '-id'     => ["alpha $tok", "charlie $tok", "Alpha $tok", "bravo $tok"],
    'name'    => ["Alpha $tok", "alpha $tok", "bravo $tok", "charlie $tok"],
    '-name'   => ["charlie $tok", "bravo $tok", "alpha $tok", "Alpha $tok"],
    'company' => ["bravo $tok", "alpha $tok", "charlie $tok", "Alpha $tok"],
    '-company' => ["charlie $tok", "alpha $tok", "bravo $tok", "Alpha $tok"],
    'created_at'  => ["bravo $tok", "Alpha $tok", "charlie $tok", "alpha $tok"],
    '-created_at' => ["alpha $tok", "charlie $tok", "Alpha $tok", "bravo $tok"],
);
for my $sort (sort keys %want) {
    my $res = api(GET => "/api/leads?q=$tok&sort=$sort");
    is_json_response($res, 200, "GET /api/leads?sort=$sort: 200");
    is_deeply(names($res), $want{$sort}, "sort=$sort orders the leads") or diag res_summary($res);
}
{
    my @phones = sort map { $_->{phone} } values %L;
    my $res = api(GET => "/api/leads?q=$tok&sort=-phone");
    is_deeply([map { $_->{phone} } @{ $res->{json}{items} }], [reverse @phones], 'sort=-phone');
    $res = api(GET => "/api/leads?q=$tok&sort=name&limit=2&offset=2");
    is_deeply(names($res), ["bravo $tok", "charlie $tok"], 'sort=name with limit and offset: the second page');
    is($res->{json}{next_after}, undef, 'no next_after outside the default order');
    is($res->{json}{total}, 4, 'total counts every match');
}
for my $bad ('bogus', 'NAME', '', 'name%20', 'email', "name'%3B--") {
    is_fastapi_422(api(GET => "/api/leads?sort=$bad"), ['query', 'sort'], "sort=$bad: 422 at query.sort",
                   type => 'enum');
}
is_fastapi_422(api(GET => '/api/leads?sort=name&after=5'), ['query', 'after'],
               'after with sort=name: 422 at query.after', msg_like => qr/only in the default order/);
is_fastapi_422(api(GET => '/api/leads?sort=-id&after=5'), ['query', 'after'], 'after with sort=-id: 422');
is(api(GET => '/api/leads?sort=id&after=0&limit=1')->{status}, 200, 'after with sort=id: fine');

# ---------------------------------------------------------------- national numbers
SKIP: {
    my $free;
    for (1 .. 300) {
        my $n = sprintf '%03d', int rand 1000;
        $free = $n, last unless phone_in_db("+447700900$n");
    }
    skip 'no free +44 7700 900xxx number', 4 unless defined $free;
    my $uk = create_lead(name => "UK $tok", phone => "+447700900$free");
    for my $q ("07700 900$free", "07700900$free", "0044 7700 900$free", "+44 (0)7700 900$free") {
        (my $enc = $q) =~ s/([^A-Za-z0-9])/sprintf '%%%02X', ord $1/ge;
        my $res = api(GET => "/api/leads?q=$enc");
        ok(scalar(grep { $_->{id} == $uk->{id} } @{ $res->{json}{items} // [] }),
           "q='$q' finds +447700900$free") or diag res_summary($res);
    }
    $L{uk} = $uk;
}

# ---------------------------------------------------------------- bulk: roles
my (%key, %id);
if ($admin) {
    for my $role (qw(viewer operator admin)) {
        my $res = as($admin, POST => '/api/keys', { name => "bulk $role $tok", role => $role });
        is($res->{status}, 201, "an $role key") or diag res_summary($res);
        $key{$role} = $res->{json}{key};
        $id{$role} = $res->{json}{id};
    }
    my $before = db_fingerprint();
    is_json_error(as($key{viewer}, POST => '/api/leads/bulk', { action => 'delete', lead_ids => [$L{b}{id}] }),
                  403, 'POST /api/leads/bulk with a viewer key: 403');
    is_json_error(as(undef, POST => '/api/leads/bulk', { action => 'delete', lead_ids => [$L{b}{id}] }),
                  401, 'POST /api/leads/bulk without a key: 401');
    is(db_fingerprint(), $before, '... and nothing changed');
}

# ---------------------------------------------------------------- bulk: opt_out
{
    my $missing = missing_lead_id();
    my $res = as($admin ? $key{operator} : undef, POST => '/api/leads/bulk',
                 { action => 'opt_out', lead_ids => [$L{b}{id}, $L{c}{id}, $missing, $L{b}{id}] });
    is_json_response($res, 200, 'bulk opt_out (an operator key): 200');
    is_deeply($res->{json}, { action => 'opt_out', matched => 2, changed => 2, unknown_ids => [$missing + 0] },
              'bulk opt_out: matched, changed, the unknown id') or diag res_summary($res);
    my $lead = api(GET => "/api/leads/$L{b}{id}")->{json};
    is($lead->{opted_out}, JSON::PP::true, 'the lead shows opted_out');
    is($lead->{opt_out_source}, 'manual', 'opt_out_source is manual');
    like($lead->{opted_out_at} // '', qr/^\d{4}-\d\d-\d\dT/, 'opted_out_at is a timestamp');
    is(psql(q{SELECT source FROM opt_outs WHERE phone = :'p'}, p => $L{b}{phone}), 'manual',
       'opt_outs holds the phone');
    $res = api(POST => '/api/leads/bulk', { action => 'opt_out', lead_ids => [$L{b}{id}, $L{A}{id}] });
    is_deeply($res->{json}, { action => 'opt_out', matched => 2, changed => 1, unknown_ids => [] },
              'bulk opt_out again: the opted-out lead matched, not changed') or diag res_summary($res);
}

# ---------------------------------------------------------------- bulk: delete
{
    my $res = api(POST => '/api/leads/bulk', { action => 'delete', lead_ids => [$L{a}{id}, $L{b}{id}] });
    is_json_response($res, 200, 'bulk delete: 200');
    is_deeply($res->{json}, { action => 'delete', matched => 2, changed => 2, unknown_ids => [] },
              'bulk delete: two deleted') or diag res_summary($res);
    is(api(GET => "/api/leads/$L{a}{id}")->{status}, 404, 'the deleted lead is gone');
    is(api(GET => "/api/leads/$L{c}{id}")->{status}, 200, 'the others stay');
    $res = api(POST => '/api/leads/bulk', { action => 'delete', lead_ids => [$L{a}{id}] });
    is_deeply($res->{json}, { action => 'delete', matched => 0, changed => 0, unknown_ids => [$L{a}{id}] },
              'bulk delete of a deleted lead: reported unknown, not an error');
    is_deeply(names(api(GET => "/api/leads?q=$tok&sort=name")),
              ["Alpha $tok", "charlie $tok", ($L{uk} ? ("UK $tok") : ())], 'the list shows what is left');
}

# ---------------------------------------------------------------- bulk: bad input
is_fastapi_422(api(POST => '/api/leads/bulk', { action => 'purge', lead_ids => [1] }), ['body', 'action'],
               'bulk: an unknown action', type => 'enum');
is_fastapi_422(api(POST => '/api/leads/bulk', { lead_ids => [1] }), ['body', 'action'], 'bulk: no action',
               type => 'missing');
is_fastapi_422(api(POST => '/api/leads/bulk', { action => 'delete', lead_ids => [] }), ['body', 'lead_ids'],
               'bulk: no ids', type => 'too_short');
is_fastapi_422(api(POST => '/api/leads/bulk', { action => 'delete', lead_ids => '1,2' }), ['body', 'lead_ids'],
               'bulk: ids not a list', type => 'list_type');
is_fastapi_422(api(POST => '/api/leads/bulk', { action => 'delete', lead_ids => [$L{c}{id}, 'x', -1] }),
               ['body', 'lead_ids', 1], 'bulk: a bad id, by its index', type => 'int_type');
is(api(GET => "/api/leads/$L{c}{id}")->{status}, 200, '... and nothing was deleted');
is_fastapi_422(api(POST => '/api/leads/bulk', { action => 'delete', lead_ids => [1 .. 10001] }),
               ['body', 'lead_ids'], 'bulk: 10,001 ids are too many', type => 'too_long');
is_json_error(api(POST => '/api/leads/bulk', '{"action":', 'Content-Type' => 'application/json'), 400,
              'bulk: malformed JSON is a 400');
is_fastapi_422(api(POST => '/api/leads/bulk', [1, 2]), ['body'], 'bulk: body not an object', type => 'dict_type');
{
    my $res = api(POST => '/api/leads/bulk', { action => 'delete', lead_ids => [9e18 + 0, 8999999999999999999] });
    is($res->{status}, 200, 'bulk: ids up to bigint are fine') or diag res_summary($res);
}

# ---------------------------------------------------------------- GET /api/keys/me
SKIP: {
    skip 'no SMSCAMP_API_KEY: auth is off for this run', 12 unless $admin;
    for my $role (qw(viewer operator admin)) {
        my $res = as($key{$role}, GET => '/api/keys/me');
        is_json_response($res, 200, "GET /api/keys/me with the $role key: 200");
        is_deeply({ map { $_ => $res->{json}{$_} } qw(id name role auth) },
                  { id => $id{$role}, name => "bulk $role $tok", role => $role, auth => JSON::PP::true },
                  "... it is that key") or diag res_summary($res);
        is($res->{json}{key_prefix}, substr($key{$role}, 0, 12), '... with its prefix, never the key');
    }
    is_json_error(as(undef, GET => '/api/keys/me'), 401, 'GET /api/keys/me without a key: 401');
    is_json_error(as('smc_' . ('0' x 64), GET => '/api/keys/me'), 401, 'GET /api/keys/me with an unknown key: 401');
    is(as($admin, DELETE => "/api/keys/$id{operator}?after=3600")->{status}, 204, 'revoke the operator key in an hour');
    like(as($key{operator}, GET => '/api/keys/me')->{json}{revoked_at} // '', qr/^\d{4}-/,
         'GET /api/keys/me: the key says when it stops working');
    for my $role (qw(viewer operator admin)) {
        as($admin, DELETE => "/api/keys/$id{$role}");
    }
}

# clean up what is left
api(POST => '/api/leads/bulk', { action => 'delete', lead_ids => [map { $_->{id} } values %L] });
psql(q{DELETE FROM opt_outs WHERE phone = ANY (string_to_array(:'p', ','))},
     p => join(',', map { $_->{phone} } values %L));

done_testing;
