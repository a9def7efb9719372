#!/usr/bin/perl
# Leads API: create, read, update, delete, list, search and paging.
use strict;
use warnings;
use FindBin;
use lib ($ENV{SMSCAMP_ROOT} ? "$ENV{SMSCAMP_ROOT}/t/lib" : "$FindBin::Bin/../lib");
use Test::More;
use Smscamp::Test;

my $ISO = qr/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?(?:Z|[+-]\d\d(?::?\d\d)?)$/;
my @FIELDS = qw(id name phone email company notes created_at updated_at);

sub ts_before {    # is timestamp $a strictly before $b (compared by PostgreSQL)?
    my ($a, $b) = @_;
    return 0 unless defined $a && defined $b && $a =~ $ISO && $b =~ $ISO;
    return psql(q{SELECT (:'a')::timestamptz < (:'b')::timestamptz}, a => $a, b => $b) eq 't';
}

# ---------------------------------------------------------------- create
my ($npa, $nxx, $line) = unique_phone_parts();
my $e164 = "+1$npa$nxx$line";
my $tok = unique_token();
my %new = (
    name    => "Ada $tok Lovelace",
    phone   => "+1 ($npa) $nxx-$line",
    email   => "ada.$tok\@example.com",
    company => "Analytical $tok Engines",
    notes   => "Prefers SMS after 5pm.\nSecond line, with \"quotes\" and unicode: caf\x{e9} \x{2603}",
);
my $res = api(POST => '/api/leads', \%new);
is_json_response($res, 201, 'POST /api/leads creates a lead: 201 JSON');
my $lead = $res->{json};
is(ref $lead, 'HASH', 'created lead is a JSON object') or die('cannot create leads: ' . res_summary($res) . "\n");
ok(defined $lead->{id} && $lead->{id} =~ /^[1-9]\d*$/, 'created lead has a positive integer id')
    or diag explain $lead;
ok(exists $lead->{$_}, "created lead has '$_'") for @FIELDS;
is($lead->{name},    $new{name},    'name returned as sent');
is($lead->{phone},   $e164,         "phone '$new{phone}' normalised to E.164 $e164");
is($lead->{email},   $new{email},   'email returned as sent');
is($lead->{company}, $new{company}, 'company returned as sent');
is($lead->{notes},   $new{notes},   'notes returned as sent (newline, quotes, non-ASCII intact)');
like($lead->{created_at} // '', $ISO, 'created_at is an ISO 8601 timestamp with offset');
ok(!defined $lead->{updated_at} || $lead->{updated_at} =~ $ISO,
   'updated_at is null or an ISO 8601 timestamp') or diag $lead->{updated_at};
is(psql(q{SELECT abs(extract(epoch FROM now() - (:'t')::timestamptz)) < 300}, t => $lead->{created_at} // 'epoch'),
   't', 'created_at is the time of creation (within 5 minutes of now)');

my $row = db_lead($lead->{id});
ok($row, 'the lead is stored in the database');
is($row->{phone}, $e164, 'stored phone is E.164');
is($row->{name}, $new{name}, 'stored name is what was sent');
is($row->{notes}, $new{notes}, 'stored notes are what was sent');

# Optional fields may be omitted: they come back null.
my $min = api(POST => '/api/leads', { name => 'Minimal ' . unique_token(), phone => unique_phone() });
is($min->{status}, 201, 'a lead with only name and phone is created') or diag res_summary($min);
is($min->{json}{$_}, undef, "omitted $_ is null") for qw(email company notes);

# Optional fields may be null explicitly.
my $nul = api(POST => '/api/leads', { name => 'Nulls ' . unique_token(), phone => unique_phone(),
                                      email => undef, company => undef, notes => undef });
is($nul->{status}, 201, 'a lead with null optional fields is created') or diag res_summary($nul);
is($nul->{json}{$_}, undef, "explicit null $_ stays null") for qw(email company notes);

# Other phone spellings.
{
    # "0044 20 7946 0xxx" -> +44207946 0xxx (a free number in that range)
    my $uk;
    for (1 .. 200) {
        my $n = sprintf '%03d', int rand 1000;
        $uk = $n, last unless phone_in_db("+442079460$n");
    }
    SKIP: {
        skip 'no free +44 20 7946 0xxx number', 2 unless defined $uk;
        my $r = api(POST => '/api/leads', { name => 'UK ' . unique_token(), phone => "0044 20 7946 0$uk" });
        is($r->{status}, 201, "'0044 20 7946 0$uk' is accepted") or diag res_summary($r);
        is($r->{json}{phone}, "+442079460$uk", 'leading 00 becomes +, spaces removed');
    }
    my ($a, $b, $c) = unique_phone_parts();
    my $r = api(POST => '/api/leads', { name => 'Dashes ' . unique_token(), phone => "+1-$a-$b-$c" });
    is($r->{status}, 201, "'+1-$a-$b-$c' is accepted") or diag res_summary($r);
    is($r->{json}{phone}, "+1$a$b$c", 'dashes removed');
    ($a, $b, $c) = unique_phone_parts();
    $r = api(POST => '/api/leads', { name => 'Spaces ' . unique_token(), phone => " +1 $a $b $c " });
    is($r->{status}, 201, "' +1 $a $b $c ' (surrounding spaces) is accepted") or diag res_summary($r);
    is($r->{json}{phone}, "+1$a$b$c", 'spaces removed');
}

# ---------------------------------------------------------------- get
$res = api(GET => "/api/leads/$lead->{id}");
is_json_response($res, 200, 'GET /api/leads/{id} answers 200 JSON');
is_deeply($res->{json}, $lead, 'GET returns exactly the created lead');

my $missing = missing_lead_id();
$res = api(GET => "/api/leads/$missing");
is_json_error($res, 404, "GET /api/leads/$missing (no such lead) is a 404 JSON error");
is_deeply($res->{json}, { detail => "Lead $missing not found" }, '404 body is {"detail":"Lead N not found"}');

# ---------------------------------------------------------------- update
my $before = $lead;
$res = api(PUT => "/api/leads/$lead->{id}", { company => "Difference $tok Engine Co" });
is_json_response($res, 200, 'PUT /api/leads/{id} with one field answers 200 JSON');
my $upd = $res->{json} || {};
is($upd->{company}, "Difference $tok Engine Co", 'the given field changed');
is($upd->{$_}, $before->{$_}, "PUT of company leaves $_ unchanged") for qw(id name phone email notes created_at);
like($upd->{updated_at} // '', $ISO, 'updated_at is a timestamp after an update');
ok(ts_before($before->{created_at}, $upd->{updated_at}), 'updated_at is later than created_at')
    or diag "created_at=$before->{created_at} updated_at=" . ($upd->{updated_at} // 'null');
ok(!defined $before->{updated_at} || ts_before($before->{updated_at}, $upd->{updated_at}),
   'updated_at moved forward');
is(db_lead($lead->{id})->{company}, "Difference $tok Engine Co", 'the change is stored');
is_deeply(api(GET => "/api/leads/$lead->{id}")->{json}, $upd, 'GET after PUT returns the updated lead');

# null clears an optional field; other fields stay.
my $prev = $upd;
$res = api(PUT => "/api/leads/$lead->{id}", { notes => undef });
is($res->{status}, 200, 'PUT {"notes":null} answers 200') or diag res_summary($res);
$upd = $res->{json} || {};
ok(exists $upd->{notes} && !defined $upd->{notes}, 'notes cleared by null');
is($upd->{$_}, $prev->{$_}, "clearing notes leaves $_ unchanged") for qw(id name phone email company created_at);
ok(ts_before($prev->{updated_at}, $upd->{updated_at}), 'updated_at moved forward again')
    or diag "before=" . ($prev->{updated_at} // 'null') . ' after=' . ($upd->{updated_at} // 'null');
is(psql(q{SELECT notes IS NULL FROM leads WHERE id = (:'id')::bigint}, id => $lead->{id}), 't',
   'notes is NULL in the database');

# Several fields at once, phone normalised on update too.
($npa, $nxx, $line) = unique_phone_parts();
$prev = $upd;
$res = api(PUT => "/api/leads/$lead->{id}",
           { name => "Augusta $tok King", phone => "+1 ($npa) $nxx $line", email => "augusta.$tok\@example.org" });
is($res->{status}, 200, 'PUT with name, phone, email answers 200') or diag res_summary($res);
$upd = $res->{json} || {};
is($upd->{name},  "Augusta $tok King", 'name updated');
is($upd->{phone}, "+1$npa$nxx$line", 'phone updated and normalised to E.164');
is($upd->{email}, "augusta.$tok\@example.org", 'email updated');
is($upd->{company}, $prev->{company}, 'company kept');
is(db_lead($lead->{id})->{phone}, "+1$npa$nxx$line", 'the new phone is stored');
is(phone_in_db($e164), 0, 'the old phone no longer belongs to any lead');

# A lead may be "updated" to its own phone without a conflict.
$res = api(PUT => "/api/leads/$lead->{id}", { phone => $upd->{phone} });
is($res->{status}, 200, 'PUT with the lead\'s own phone is not a conflict') or diag res_summary($res);

$res = api(PUT => "/api/leads/$missing", { name => 'Nobody' });
is_json_error($res, 404, 'PUT on a missing lead is a 404 JSON error');
is_deeply($res->{json}, { detail => "Lead $missing not found" }, 'PUT 404 says "Lead N not found"');
is(db_lead($missing), undef, 'PUT on a missing lead did not create it');

# ---------------------------------------------------------------- delete
my $victim = create_lead(notes => 'to be deleted');
my $count = lead_count();
$res = api(DELETE => "/api/leads/$victim->{id}");
is($res->{status}, 204, 'DELETE /api/leads/{id} answers 204') or diag res_summary($res);
is($res->{body}, '', '204 has an empty body');
is(lead_count(), $count - 1, 'one lead fewer in the database');
is(db_lead($victim->{id}), undef, 'the deleted lead is gone from the database');
$res = api(GET => "/api/leads/$victim->{id}");
is_json_error($res, 404, 'GET after DELETE is 404');
is_deeply($res->{json}, { detail => "Lead $victim->{id} not found" }, 'and says which lead');
$res = api(DELETE => "/api/leads/$victim->{id}");
is_json_error($res, 404, 'DELETE again is 404');
is_deeply($res->{json}, { detail => "Lead $victim->{id} not found" }, 'DELETE 404 says "Lead N not found"');
is(lead_count(), $count - 1, 'the second DELETE removed nothing');
ok(db_lead($lead->{id}), 'other leads are untouched by the delete');

# ---------------------------------------------------------------- list
$res = api(GET => '/api/leads');
is_json_response($res, 200, 'GET /api/leads answers 200 JSON');
my $list = $res->{json} || {};
is_deeply([sort keys %$list], [qw(has_more items limit next_after offset total total_is_estimate)],
          'list envelope is {items,total,total_is_estimate,limit,offset,has_more,next_after}');
is(ref $list->{items}, 'ARRAY', 'items is a list');
is($list->{limit}, 50, 'default limit is 50');
is($list->{offset}, 0, 'default offset is 0');
is($list->{total}, lead_count(), 'total is the number of leads in the database');
cmp_ok(scalar @{ $list->{items} || [] }, '<=', 50, 'no more than limit items');
is(scalar @{ $list->{items} || [] }, ($list->{total} // 0) < 50 ? $list->{total} : 50,
   'a full page when there are enough leads');
{
    my @ids = map { $_->{id} } @{ $list->{items} || [] };
    ok(!grep({ $ids[$_] >= $ids[$_ + 1] } 0 .. $#ids - 1), 'items are ordered by id ascending')
        or diag "@ids";
    my ($first) = @{ $list->{items} || [] };
    ok($first && !grep({ !exists $first->{$_} } @FIELDS), 'list items are full leads')
        or diag explain $first;
}

# search
my $s = unique_token();
my ($snpa, $snxx, $sline) = unique_phone_parts();
my $target = create_lead(name => "Grace ${s}Name Hopper", phone => "+1$snpa$snxx$sline",
                         email => "g${s}mail\@example.com", company => "${s}Corp Navy");
my $other  = create_lead(name => "Someone Else $s", company => 'Other');
for my $case (["${s}Name", 'name'], ["${s}Corp", 'company'], ["g${s}mail", 'email'],
              ["$snpa$snxx$sline", 'phone digits']) {
    my ($q, $what) = @$case;
    my $r = api(GET => "/api/leads?q=$q");
    is($r->{status}, 200, "search by $what answers 200") or diag res_summary($r);
    is($r->{json}{total}, 1, "q=$q (by $what) finds exactly one lead");
    is_deeply([map { $_->{id} } @{ $r->{json}{items} || [] }], [$target->{id}], "q=$q finds the right lead");
}
$res = api(GET => "/api/leads?q=$s");
is_deeply([map { $_->{id} } @{ $res->{json}{items} || [] }], [sort { $a <=> $b } $target->{id}, $other->{id}],
          'a term in two leads finds both, ordered by id');
$res = api(GET => "/api/leads?q=${s}nothing");
is($res->{status}, 200, 'a search without hits answers 200');
is($res->{json}{total}, 0, 'a search without hits has total 0');
is_deeply($res->{json}{items}, [], 'a search without hits has no items');
$res = api(GET => '/api/leads?q=' . "Grace%20${s}Name");
is_deeply([map { $_->{id} } @{ $res->{json}{items} || [] }], [$target->{id}], 'q is URL-decoded (%20 is a space)');

# limit clamp
$res = api(GET => '/api/leads?limit=100000');
is($res->{status}, 200, 'limit=100000 is not an error') or diag res_summary($res);
is($res->{json}{limit}, 500, 'limit=100000 is clamped to 500 in the answer');
my $total = $res->{json}{total} // 0;
is(scalar @{ $res->{json}{items} || [] }, $total < 500 ? $total : 500, 'at most 500 items returned');
$res = api(GET => '/api/leads?limit=1');
is($res->{json}{limit}, 1, 'limit=1 echoed');
is(scalar @{ $res->{json}{items} || [] }, 1, 'limit=1 returns one item');

# paging over a known set
my $p = unique_token();
my @mine = map { create_lead(name => "Pager $p $_")->{id} } 1 .. 5;
my (@seen, %seen);
for my $off (0, 2, 4) {
    my $r = api(GET => "/api/leads?q=$p&limit=2&offset=$off");
    is($r->{status}, 200, "page offset=$off answers 200") or diag res_summary($r);
    is($r->{json}{total}, 5, "page offset=$off: total counts all matches");
    is($r->{json}{limit}, 2, "page offset=$off: limit echoed");
    is($r->{json}{offset}, $off, "page offset=$off: offset echoed");
    my @ids = map { $_->{id} } @{ $r->{json}{items} || [] };
    is(scalar @ids, $off == 4 ? 1 : 2, "page offset=$off has the right number of items");
    ok(!grep({ $seen{$_}++ } @ids), "page offset=$off does not overlap earlier pages");
    push @seen, @ids;
}
is_deeply(\@seen, [sort { $a <=> $b } @mine], 'the pages together are all matches, in id order');
$res = api(GET => "/api/leads?q=$p&offset=10");
is($res->{status}, 200, 'offset past the end answers 200');
is_deeply($res->{json}{items}, [], 'offset past the end has no items');
is($res->{json}{total}, 5, 'offset past the end still reports the total');

# paging over the whole table: consecutive pages are disjoint and ordered
my $p1 = api(GET => '/api/leads?limit=3&offset=0')->{json}{items} || [];
my $p2 = api(GET => '/api/leads?limit=3&offset=3')->{json}{items} || [];
ok(@$p1 == 3 && @$p2 >= 1, 'two pages of the whole table');
ok(@$p1 && @$p2 && $p1->[-1]{id} < $p2->[0]{id}, 'page 2 starts after page 1 ends (stable order by id)');

done_testing;
