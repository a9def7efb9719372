#!/usr/bin/perl
# Keyset pagination of GET /api/leads (issue 7: lists flat in cost): ?after=<id> gives the
# leads with a greater id, and each page says the next page's after (next_after, null on the
# last page). Walking the pages visits every lead once, in id order, like offset pages do.
use strict;
use warnings;
use FindBin;
use lib ($ENV{SMSCAMP_ROOT} ? "$ENV{SMSCAMP_ROOT}/t/lib" : "$FindBin::Bin/../lib");
use Test::More;
use Smscamp::Test;

my $tok = unique_token();
my @made = map { create_lead(name => "Keyset $tok $_") } 1 .. 23;
my @want = sort { $a <=> $b } map { $_->{id} } @made;

# walk the search results (q = the token) 5 at a time, with after
my (@seen, $after, $pages);
while (1) {
    my $res = api(GET => "/api/leads?q=$tok&limit=5" . (defined $after ? "&after=$after" : ''));
    is($res->{status}, 200, 'page ' . ($pages // 0)) or diag res_summary($res), last;
    my @ids = map { $_->{id} } @{ $res->{json}{items} };
    push @seen, @ids;
    $pages++;
    is($res->{json}{total}, 23, '... total is every match, whatever the page');
    if (@ids == 5) {
        is($res->{json}{next_after}, $ids[-1], '... a full page: next_after is its last id');
    } else {
        is($res->{json}{next_after}, undef, '... the last page: next_after is null');
        last;
    }
    $after = $res->{json}{next_after};
    last if $pages > 10;
}
is_deeply(\@seen, \@want, 'the pages visit every matching lead once, in id order');
is($pages, 5, '23 leads, 5 a page: 5 pages');

# the same over every lead, from the middle of the table
my $mid = $want[10];
my $res = api(GET => "/api/leads?after=$mid&limit=3");
my @ids = map { $_->{id} } @{ $res->{json}{items} };
is(scalar @ids, 3, 'after over every lead: a page of 3');
ok(!grep({ $_ <= $mid } @ids), '... all with a greater id');
is($ids[0], $want[11], "... starting right after it (leads are made one at a time here)");
is($res->{json}{next_after}, $ids[-1], '... and next_after is the last of them');

my $past = api(GET => '/api/leads?after=9223372036854775807');
is_deeply($past->{json}{items}, [], 'after the largest id: no items');
is($past->{json}{next_after}, undef, '... and no next page');

is_fastapi_422(api(GET => '/api/leads?after=abc'), [qw(query after)], 'after=abc: 422');
is_fastapi_422(api(GET => '/api/leads?after=-1'), [qw(query after)], 'after=-1: 422');
is_fastapi_422(api(GET => '/api/leads?after=5&offset=5'), [qw(query after)], 'after and offset together: 422');

# offset pages end at 10,000 (an offset page costs its offset); the error points to after
my $deep = api(GET => '/api/leads?offset=10001');
is_fastapi_422($deep, [qw(query offset)], 'offset 10001: 422');
like($deep->{json}{detail}[0]{msg} // '', qr/\bafter\b/, '... which points to after');
is(api(GET => '/api/leads?offset=10000')->{status}, 200, 'offset 10000: 200');
is_fastapi_422(api(GET => '/api/leads?offset=20000&sort=name'), [qw(query offset)],
               'offset 20000 in another order: 422 too');

done_testing();
