#!/usr/bin/env perl
# The suppression list over HTTP (sql/api/opt_outs.sql): phones added as JSON
# and as CSV (every valid one added, every other rejected with why, nothing
# half-written), listed by phone with search and keyset pages, exported as
# text/csv (the module's answer:text/csv) and imported back, removed by an
# admin only (logged with the key's name); the leads list filtered by
# opted_out; a listed phone is never messaged.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/../lib";
use Test::More;
use Smscamp::Test;

my $tok = unique_token();
my @p = map { unique_phone() } 1 .. 6;
(my $p0_spaced = $p[0]) =~ s/^(\+1)(\d{3})(\d{3})(\d{4})$/$1 ($2) $3-$4/;

# JSON: one phone, then a list with a bad one and a repeat
my $res = api(POST => '/api/opt-outs', { phone => $p0_spaced });
is_json_response($res, 200, 'POST /api/opt-outs {"phone"}: 200');
is_deeply([@{ $res->{json} }{qw(added already source)}], [1, 0, 'manual'], '... added, source manual');
$res = api(POST => '/api/opt-outs', { phones => [$p[0], $p[1], 'not a phone', 7, $p[1]], source => 'import' });
is_json_response($res, 200, 'a list: 200');
is($res->{json}{added}, 1, '... one new phone added');
is($res->{json}{already}, 1, '... one already listed');
is_deeply([map { $_->{index} } @{ $res->{json}{rejected} }], [2, 3], '... the bad ones rejected by index');
like($res->{json}{rejected}[0]{detail}, qr/\S/, '... with why');
is_fastapi_422(api(POST => '/api/opt-outs', { phones => [$p[2]], source => 'carrier' }), ['body', 'source'],
               'a source other than manual or import: 422');
is_fastapi_422(api(POST => '/api/opt-outs', { phones => 'x' }), ['body', 'phones'], 'phones not a list: 422');
is_fastapi_422(api(POST => '/api/opt-outs', {}), ['body', 'phone'], 'neither phone nor phones: 422');
is(psql(q{SELECT count(*) FROM opt_outs WHERE phone = :'p'}, p => $p[2]), 0, 'the refused requests wrote nothing');
is(api(POST => '/api/opt-outs', 'phone', 'Content-Type' => 'text/plain')->{status}, 415, 'text/plain: 415');

# CSV
my $csv = "name,Phone\nA,$p[2]\nB,$p[3]\nC,12\n";
$res = api(POST => '/api/opt-outs', $csv, 'Content-Type' => 'text/csv');
is_json_response($res, 200, 'CSV: 200');
is_deeply([@{ $res->{json} }{qw(added already source)}], [2, 0, 'import'], '... two added, source import');
is_deeply([map { $_->{row} } @{ $res->{json}{rejected} }], [3], '... row 3 rejected');
is_fastapi_422(api(POST => '/api/opt-outs', "name\nA\n", 'Content-Type' => 'text/csv'), ['body'],
               'CSV without a phone column: 422');

# the list
$res = api(GET => "/api/opt-outs?q=" . substr($p[2], 1));
is_json_response($res, 200, 'GET /api/opt-outs?q=<digits>: 200');
is_deeply([map { $_->{phone} } @{ $res->{json}{items} }], [$p[2]], '... finds the phone');
is_deeply([@{ $res->{json}{items}[0] }{qw(source keyword lead_id)}], ['import', undef, undef],
          '... with its source; no lead');
$res = api(GET => '/api/opt-outs?limit=2');
is(scalar @{ $res->{json}{items} }, 2, 'limit 2: two');
ok($res->{json}{next_after}, '... and next_after');
my $next = api(GET => "/api/opt-outs?limit=2&after=" . uri_escape($res->{json}{next_after}));
ok($next->{json}{items}[0]{phone} gt $res->{json}{items}[1]{phone}, 'after: the next page, by phone');

# export, and import it back after removing
$res = api(GET => '/api/opt-outs/export');
is($res->{status}, 200, 'GET /api/opt-outs/export: 200');
like($res->{headers}{'content-type'}, qr{^text/csv}, '... text/csv');
my @lines = split /\n/, $res->{body};
is($lines[0], 'phone,source,keyword,created_at', '... with its header');
my @mine = grep { my $l = $_; grep { index($l, "$_,") == 0 } @p[0 .. 3] } @lines;
is(scalar @mine, 4, '... and our four phones');

my $admin = $ENV{SMSCAMP_API_KEY};
SKIP: {
    skip 'auth is off for this run', 3 unless $admin;
    my $op = api(POST => '/api/keys', { name => "op $tok", role => 'operator' })->{json}{key};
    is(api(DELETE => '/api/opt-outs/' . uri_escape($p[3]), undef, Authorization => "Bearer $op")->{status},
       403, 'an operator may not remove a phone: 403');
    is(psql(q{SELECT count(*) FROM opt_outs WHERE phone = :'p'}, p => $p[3]), 1, '... it stays listed');
    ok(api(POST => '/api/opt-outs', { phone => $p[4] }, Authorization => "Bearer $op")->{status} == 200,
       'an operator may add one');
}
is(api(DELETE => '/api/opt-outs/' . uri_escape($p[3]))->{status}, 204, 'DELETE /api/opt-outs/{phone}: 204');
is(api(DELETE => '/api/opt-outs/' . uri_escape($p[3]))->{status}, 404, '... again: 404');
is_fastapi_422(api(DELETE => '/api/opt-outs/abc'), ['path', 'phone'], 'not a phone: 422');
is(psql(q{SELECT action || ' ' || source || ' ' || coalesce(by_key, '-') FROM opt_out_events
           WHERE phone = :'p' ORDER BY id DESC LIMIT 1}, p => $p[3]),
   'removed import ' . ($admin ? psql(q{SELECT name FROM api_keys WHERE key_hash =
                                         encode(sha256(convert_to(:'k', 'UTF8')), 'hex')}, k => $admin) : '-'),
   'the removal is logged with the key\'s name');
my $back = "phone,source,keyword,created_at\n" . join("\n", grep { index($_, "$p[3],") == 0 } @mine) . "\n";
$res = api(POST => '/api/opt-outs', $back, 'Content-Type' => 'text/csv');
is_deeply([@{ $res->{json} }{qw(added already)}], [1, 0], 'the exported CSV imports back');

# leads: the opted_out filter; a listed phone gets no campaign message
my $lead = create_lead(phone => $p[5], name => "Listed $tok");
api(POST => '/api/opt-outs', { phone => $p[5] });
my $got = api(GET => "/api/leads?opted_out=true&q=" . uri_escape("Listed $tok"));
is_deeply([map { $_->{id} } @{ $got->{json}{items} }], [$lead->{id}], 'GET /api/leads?opted_out=true: the lead');
is($got->{json}{total}, 1, '... total 1');
ok($got->{json}{items}[0]{opted_out}, '... shown opted_out');
is(api(GET => "/api/leads?opted_out=false&q=" . uri_escape("Listed $tok"))->{json}{total}, 0,
   'opted_out=false: not it');
is_fastapi_422(api(GET => '/api/leads?opted_out=maybe'), ['query', 'opted_out'], 'opted_out=maybe: 422');
is(api(POST => "/api/leads/$lead->{id}/messages", { body => 'Hi' })->{status}, 409, 'a reply to it: 409');

sub uri_escape { (my $s = shift) =~ s/([^A-Za-z0-9._~-])/sprintf('%%%02X', ord $1)/ge; return $s }
done_testing();
