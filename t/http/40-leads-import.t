#!/usr/bin/perl
# POST /api/leads/import: JSON arrays and CSV, good and bad rows side by side,
# updates by phone, CSV edge cases, and 100,000 rows in one request.  (Merge,
# skip, replace, dry runs, duplicates and attributes: 41-leads-import-rules.t.)
use strict;
use warnings;
use FindBin;
use lib ($ENV{SMSCAMP_ROOT} ? "$ENV{SMSCAMP_ROOT}/t/lib" : "$FindBin::Bin/../lib");
use Test::More;
use Time::HiRes qw(time);
use Smscamp::Test;

sub rejected_rows { [map { ref $_ eq 'HASH' ? $_->{row} : undef } @{ $_[0]{json}{rejected} || [] }] }

# the rejected entry for $row has a FastAPI-style detail naming $field
sub rejected_names {
    my ($res, $row, $field, $what) = @_;
    local $Test::Builder::Level = $Test::Builder::Level + 1;
    my ($r) = grep { ref $_ eq 'HASH' && defined $_->{row} && $_->{row} == $row } @{ $res->{json}{rejected} || [] };
    my $d = $r ? $r->{detail} : undef;
    my $ok = ref $d eq 'ARRAY' && @$d
        && !grep({ ref $_ ne 'HASH' || ref $_->{loc} ne 'ARRAY' || !defined $_->{msg} || !defined $_->{type} } @$d)
        && grep({ ref $_->{loc} eq 'ARRAY' && @{ $_->{loc} } && ($_->{loc}[-1] // '') eq $field } @$d);
    ok($ok, "$what: rejected row $row has a FastAPI-style detail naming '$field'")
        or diag explain $r;
}

sub is_import_result {
    my ($res, $inserted, $updated, $rows, $what) = @_;
    local $Test::Builder::Level = $Test::Builder::Level + 1;
    is_json_response($res, 200, "$what: 200 JSON");
    my $j = ref $res->{json} eq 'HASH' ? $res->{json} : {};
    is_deeply([sort keys %$j], [qw(changes changes_total dry_run inserted rejected skipped unchanged updated)],
              "$what: answer is {inserted,updated,unchanged,skipped,rejected,changes,changes_total,dry_run}");
    is($j->{inserted}, $inserted, "$what: inserted $inserted");
    is($j->{updated}, $updated, "$what: updated $updated");
    is_deeply(rejected_rows($res), $rows, "$what: rejected rows [@$rows]");
}

my $log_start = error_log_size();

# ---------------------------------------------------------------- JSON array
my $tok = unique_token();
my $existing = create_lead(name => "Existing $tok", company => 'Old Co', email => 'existing@example.com');
my ($ea, $eb, $ec) = $existing->{phone} =~ /^\+1(\d{3})(\d{3})(\d{4})$/;
my $p1 = unique_phone();
my ($a3, $b3, $c3) = unique_phone_parts();
my $pbad = unique_phone();
my $p7 = unique_phone();
my $count0 = lead_count();
my $res = api(POST => '/api/leads/import', [
    { name => "Imp One $tok", phone => $p1, email => 'one@example.com' },         # 1 insert
    { name => "No Phone $tok" },                                                  # 2 rejected
    { name => "Imp Three $tok", phone => "+1 ($a3) $b3-$c3", company => 'Three Co' }, # 3 insert, normalised
    { name => "Bad Email $tok", phone => $pbad, email => 'nope' },                # 4 rejected
    { name => "Updated $tok", phone => "+1 ($ea) $eb-$ec", company => 'New Co' }, # 5 update (other spelling)
    'junk',                                                                       # 6 rejected
    { name => '', phone => $p7 },                                                 # 7 rejected
]);
is_import_result($res, 2, 1, [2, 4, 6, 7], 'JSON import of 7 rows');
rejected_names($res, 2, 'phone', 'JSON import');
rejected_names($res, 4, 'email', 'JSON import');
rejected_names($res, 7, 'name',  'JSON import');
is(lead_count(), $count0 + 2, 'exactly two leads were added');
is(psql(q{SELECT name FROM leads WHERE phone = :'p'}, p => $p1), "Imp One $tok", 'row 1 is stored');
is(psql(q{SELECT company FROM leads WHERE phone = :'p'}, p => "+1$a3$b3$c3"), 'Three Co', 'row 3 is stored with its phone normalised');
is(phone_in_db($pbad), 0, 'row 4 (bad email) is not stored');
is(phone_in_db($p7), 0, 'row 7 (empty name) is not stored');
{
    my $row = db_lead($existing->{id}) || {};
    is($row->{name}, "Updated $tok", 'row 5 updated the existing lead\'s name');
    is($row->{company}, 'New Co', 'row 5 updated the existing lead\'s company');
    is($row->{phone}, $existing->{phone}, 'the existing lead keeps its phone');
    is(psql(q{SELECT count(*) FROM leads WHERE phone = :'p'}, p => $existing->{phone}), 1, 'and no second lead has it');
}

is_import_result(api(POST => '/api/leads/import', []), 0, 0, [], 'JSON import of []');
{
    my $fp = db_fingerprint();
    $res = api(POST => '/api/leads/import', { name => 'Not An Array', phone => unique_phone() });
    is_fastapi_422($res, undef, 'JSON import of an object (not an array): FastAPI-style 422');
    $res = api(POST => '/api/leads/import', '');
    is_json_error($res, 422, 'import with an empty body: 422 JSON');
    $res = api(POST => '/api/leads/import', "name,phone\n", 'Content-Type' => 'text/plain');
    is_json_error($res, [415, 422], 'import with Content-Type text/plain: 415 or 422 JSON');
    is(db_fingerprint(), $fp, 'bad imports changed nothing');
}

# ---------------------------------------------------------------- CSV
{
    my $t = unique_token();
    my ($a, $b, $c) = unique_phone_parts();
    my $pq = unique_phone();
    my $pe = unique_phone();
    my $pbad2 = unique_phone();
    my $csv = " Name ,PHONE,Email , company,Notes, favourite_colour \r\n"
            . "Csv One $t,+1 ($a) $b-$c,csv1\@example.com,\"Acme, Inc.\",\"line1\nline2\",blue\r\n"
            . "Csv Bad $t,12345,,,,red\r\n"
            . "\"Quote \"\"Q\"\" $t\",$pq,,,plain,green\r\n"
            . "Csv Empty $t,$pe,,,,\r\n"
            . "Csv Bad Email $t,$pbad2,not-an-email,,,\r\n";
    my $count = lead_count();
    $res = api(POST => '/api/leads/import', $csv, 'Content-Type' => 'text/csv; charset=utf-8');
    is_import_result($res, 3, 0, [2, 5], 'CSV import (CRLF, quoted fields, embedded newline, odd header)');
    rejected_names($res, 2, 'phone', 'CSV import');
    rejected_names($res, 5, 'email', 'CSV import');
    is(lead_count(), $count + 3, 'three CSV rows were added');
    my $one = psql_json(q{SELECT row_to_json(l) FROM leads l WHERE phone = :'p'}, p => "+1$a$b$c") || {};
    is($one->{name}, "Csv One $t", 'CSV row 1: name (header " Name " matched)');
    is($one->{email}, 'csv1@example.com', 'CSV row 1: email (header "Email " matched)');
    is($one->{company}, 'Acme, Inc.', 'CSV row 1: a quoted field with a comma');
    is($one->{notes}, "line1\nline2", 'CSV row 1: a quoted field with an embedded newline');
    is(psql(q{SELECT name FROM leads WHERE phone = :'p'}, p => $pq), qq{Quote "Q" $t}, 'CSV row 3: doubled quotes unescaped');
    is(psql(q{SELECT coalesce(email, '') || '|' || coalesce(company, '') FROM leads WHERE phone = :'p'}, p => $pe), '|',
       'CSV row 4: empty optional cells are stored empty (not rejected)');
    is(phone_in_db($pbad2), 0, 'CSV row 5 (bad email) is not stored');
    is(psql(q{SELECT count(*) FROM leads WHERE name LIKE :'n'}, n => "%$t%"), 3,
       'no lead was made from the other column or the embedded newline');
    is_deeply($one->{attributes}, { favourite_colour => 'blue' }, 'CSV row 1: the other column is an attribute');
    is(psql(q{SELECT attributes FROM leads WHERE phone = :'p'}, p => $pe), '{}', 'CSV row 4: an empty cell gives no attribute');
}
{
    # LF line endings, no trailing newline, an update by phone
    my $t = unique_token();
    my $p = unique_phone();
    $res = api(POST => '/api/leads/import', "phone,name\n$p,Lf One $t\n$existing->{phone},Csv Updated $t",
               'Content-Type' => 'text/csv');
    is_import_result($res, 1, 1, [], 'CSV import with LF endings and columns in another order');
    is(psql(q{SELECT name FROM leads WHERE phone = :'p'}, p => $p), "Lf One $t", 'the LF row is stored');
    is(db_lead($existing->{id})->{name}, "Csv Updated $t", 'a CSV row with an existing phone updates that lead');
}
{
    my $fp = db_fingerprint();
    my $p = unique_phone();
    $res = api(POST => '/api/leads/import', "name,email\r\nNo Phone Col,x\@example.com\r\n", 'Content-Type' => 'text/csv');
    is_fastapi_422($res, undef, 'CSV without a phone column: FastAPI-style 422');
    $res = api(POST => '/api/leads/import', "name,phone\r\nGood Before,$p\r\n\"Unterminated,+14155550100\r\n",
               'Content-Type' => 'text/csv');
    is_fastapi_422($res, undef, 'CSV with an unterminated quote: FastAPI-style 422');
    is(phone_in_db($p), 0, 'the good row before the unterminated quote was not stored either');
    $res = api(POST => '/api/leads/import', '', 'Content-Type' => 'text/csv');
    is_json_error($res, 422, 'an empty CSV body: 422 JSON');
    is(db_fingerprint(), $fp, 'the bad CSV imports changed nothing');
}

# ---------------------------------------------------------------- 100,000 rows
sub bulk_csv {
    my ($n, $company) = @_;
    my @rows = ("name,phone,email,company\n");
    for my $i (1 .. $n) {
        push @rows, "Bulk $i,", unique_phone(), ",b$i\@example.com,$company\n";
    }
    return join '', @rows;
}
{
    local $Smscamp::Test::TIMEOUT = 600;
    my $company = 'bulk' . unique_token();
    my $csv = bulk_csv(100_000, $company);
    my $count = lead_count();
    my $t0 = time;
    $res = api(POST => '/api/leads/import', $csv, 'Content-Type' => 'text/csv');
    my $took = time - $t0;
    diag sprintf('100,000-row CSV (%.1f MB): the import request took %.1f s', length($csv) / 1e6, $took);
    is_json_response($res, 200, '100,000-row CSV import: 200 JSON');
    is($res->{json}{inserted}, 100_000, '100,000 rows inserted');
    is($res->{json}{updated}, 0, 'none updated');
    is_deeply($res->{json}{rejected}, [], 'none rejected');
    is(psql(q{SELECT count(*) FROM leads WHERE company = :'c'}, c => $company), 100_000, 'the database has all 100,000');
    is(lead_count(), $count + 100_000, 'and no other leads appeared');
    my ($phone_77777) = $csv =~ /^Bulk 77777,([^,]+),/m;
    is(psql(q{SELECT name || ' ' || email FROM leads WHERE phone = :'p'}, p => $phone_77777),
       'Bulk 77777 b77777@example.com', 'a sample row is stored with its own fields');

    my $company2 = 'bulk' . unique_token();
    my $csv2 = bulk_csv(100_001, $company2);
    $count = lead_count();
    $res = api(POST => '/api/leads/import', $csv2, 'Content-Type' => 'text/csv');
    is_json_error($res, [413, 422], '100,001-row CSV import: 413 or 422 JSON');
    is(psql(q{SELECT count(*) FROM leads WHERE company = :'c'}, c => $company2), 0, 'none of the 100,001 rows was stored');
    is(lead_count(), $count, 'the lead count is unchanged');
}

my $h = api(GET => '/api/health');
is($h->{status}, 200, 'the server is healthy after the imports') or diag res_summary($h);
unlike(error_log_tail($log_start), qr/exited on signal|\[emerg\]|\[alert\]/, 'no nginx worker crashed (error log)');

done_testing;
