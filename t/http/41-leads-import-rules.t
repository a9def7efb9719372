#!/usr/bin/perl
# POST /api/leads/import's rules through the server, CSV and JSON: re-importing a
# file with empty cells loses nothing (the reported defect), on_existing merge /
# skip / replace, duplicate phones in one file, the changes listed with from and
# to, dry runs that write nothing, attributes (custom fields) on leads and in
# imports, query argument errors, and all or nothing when a lead changes meanwhile.
use strict;
use warnings;
use FindBin;
use lib ($ENV{SMSCAMP_ROOT} ? "$ENV{SMSCAMP_ROOT}/t/lib" : "$FindBin::Bin/../lib");
use Test::More;
use Time::HiRes qw(sleep);
use Smscamp::Test;

sub import_csv {
    my ($csv, $query) = @_;
    return api(POST => '/api/leads/import' . ($query ? "?$query" : ''), $csv, 'Content-Type' => 'text/csv');
}
sub import_json {
    my ($rows, $query) = @_;
    return api(POST => '/api/leads/import' . ($query ? "?$query" : ''), $rows);
}

# the counts of an answer: "inserted/updated/unchanged/skipped/rejected rows"
sub counts {
    my ($res) = @_;
    my $j = ref $res->{json} eq 'HASH' ? $res->{json} : {};
    return join '/', (map { $j->{$_} // 'undef' } qw(inserted updated unchanged skipped)),
        '[' . join(',', map { ref $_ eq 'HASH' ? $_->{row} // '?' : '?' } @{ $j->{rejected} || [] }) . ']';
}
sub is_counts {
    my ($res, $want, $rows, $what) = @_;
    local $Test::Builder::Level = $Test::Builder::Level + 1;
    is_json_response($res, 200, "$what: 200 JSON");
    is(counts($res), $want, "$what: inserted/updated/unchanged/skipped/[rejected] = $want");
    my $j = ref $res->{json} eq 'HASH' ? $res->{json} : {};
    my $sum = 0;
    $sum += $j->{$_} // 0 for qw(inserted updated unchanged skipped);
    $sum += @{ $j->{rejected} || [] };
    is($sum, $rows, "$what: the counts add up to the $rows rows");
}
# one lead as stored: "name|email|company|notes|attributes"
sub stored {
    my ($phone) = @_;
    return psql(q{SELECT concat_ws('|', name, coalesce(email, '-'), coalesce(company, '-'), coalesce(notes, '-'),
                                   attributes::text) FROM leads WHERE phone = :'p'}, p => $phone);
}

my $log_start = error_log_size();

# ---------------------------------------------------------------- the reported defect
my $t = unique_token();
my $ada = create_lead(name => "Ada $t", email => "ada.$t\@example.com", company => 'Analytical',
                      notes => 'VIP, call after 5', attributes => { city => 'London', seats => 12 });
my $bob = create_lead(name => "Bob $t", email => "bob.$t\@example.com", company => 'Builders', notes => 'calls back');
is_deeply($ada->{attributes}, { city => 'London', seats => 12 }, 'POST /api/leads stores attributes');
my $ada_before = stored($ada->{phone});
{
    my $fp = db_fingerprint();
    my $csv = "name,phone,email,company,notes,city\r\n"
            . "Ada $t,$ada->{phone},,,,\r\n"
            . "Bob $t,$bob->{phone},,,,\r\n";
    my $res = import_csv($csv);
    is_counts($res, '0/0/2/0/[]', 2, 're-importing existing leads with empty cells');
    is(stored($ada->{phone}), $ada_before, 'the lead kept its email, company, notes and attributes');
    is(db_fingerprint(), $fp, 'nothing in the database changed');
    is_deeply($res->{json}{changes}, [], 'no changes listed');

    # the same with the second row repeating the first phone: rejected, not applied
    $res = import_csv("name,phone,email\r\nAda $t,$ada->{phone},\r\nSomeone Else,$ada->{phone},else\@example.com\r\n");
    is_counts($res, '0/0/1/0/[2]', 2, 'a phone twice in one file');
    is_deeply($res->{json}{rejected}, [{ row => 2, detail => [{ loc => ['body', 2, 'phone'],
              msg => 'duplicate of row 1', type => 'value_error' }] }], 'the second row is a "duplicate of row 1"');
    is(stored($ada->{phone}), $ada_before, 'and the lead keeps the first row\'s data');
    is(db_fingerprint(), $fp, 'still nothing changed');

    # JSON: nulls, "" and absent fields keep too
    $res = import_json([{ name => "Ada $t", phone => $ada->{phone}, email => undef, company => '', attributes => { city => '' } }]);
    is_counts($res, '0/0/1/0/[]', 1, 'JSON re-import with null, "" and absent fields');
    is(db_fingerprint(), $fp, 'JSON re-import: nothing changed');
}

# ---------------------------------------------------------------- merge, with the changes listed
{
    my $p_new = unique_phone();
    my $csv = "name,phone,email,company,notes,city,plan\r\n"
            . "Ada $t,$ada->{phone},,Analytical Engines,,,Pro\r\n"
            . "Cy $t,$p_new,cy.$t\@example.com,,,York,\r\n";
    my $fp = db_fingerprint();
    my $dry = import_csv($csv, 'dry_run=true');
    is_counts($dry, '1/1/0/0/[]', 2, 'merge, dry run');
    is($dry->{json}{dry_run}, JSON::PP::true, 'dry run: the answer says so');
    is(db_fingerprint(), $fp, 'dry run: nothing written');
    is(phone_in_db($p_new), 0, 'dry run: the new lead is not there');
    my $res = import_csv($csv, 'on_existing=merge');
    is_counts($res, '1/1/0/0/[]', 2, 'merge');
    my %d = %{ $dry->{json} };
    delete $d{dry_run};
    my %r = %{ $res->{json} };
    delete $r{dry_run};
    is_deeply(\%r, \%d, 'the import did exactly what the dry run said');
    is_deeply($res->{json}{changes}, [{ row => 1, lead_id => $ada->{id}, name => "Ada $t", phone => $ada->{phone},
              fields => { company => { from => 'Analytical', to => 'Analytical Engines' },
                          'attributes.plan' => { from => undef, to => 'Pro' } } }],
              'the changed fields are listed with from and to (the new lead is not)');
    is($res->{json}{changes_total}, 1, 'changes_total');
    is(stored($ada->{phone}), "Ada $t|ada.$t\@example.com|Analytical Engines|VIP, call after 5|"
       . '{"city": "London", "plan": "Pro", "seats": 12}', 'merge: the non-empty cells changed, the rest kept');
    is(stored($p_new), "Cy $t|cy.$t\@example.com|-|-|{\"city\": \"York\"}", 'the new lead, with its attribute');
    is_counts(import_csv($csv), '0/0/2/0/[]', 2, 'the same file again: unchanged');
}

# ---------------------------------------------------------------- skip
{
    my $p_new = unique_phone();
    my $bob_before = stored($bob->{phone});
    my $res = import_csv("name,phone,email\r\nRobert $t,$bob->{phone},robert\@example.com\r\nDee $t,$p_new,\r\n",
                         'on_existing=skip');
    is_counts($res, '1/0/0/1/[]', 2, 'skip');
    is(stored($bob->{phone}), $bob_before, 'skip: the existing lead is untouched');
    is(phone_in_db($p_new), 1, 'skip: the new phone is inserted');
}

# ---------------------------------------------------------------- replace
{
    my $csv = "name,phone,email,company,notes,plan\r\nAda $t,$ada->{phone},,Analytical Engines,,Max\r\n";
    my $fp = db_fingerprint();
    my $dry = import_csv($csv, 'on_existing=replace&dry_run=true');
    is_counts($dry, '0/1/0/0/[]', 1, 'replace, dry run');
    is_deeply($dry->{json}{changes}[0]{fields}, {
        email => { from => "ada.$t\@example.com", to => undef }, notes => { from => 'VIP, call after 5', to => undef },
        'attributes.city' => { from => 'London', to => undef }, 'attributes.seats' => { from => 12, to => undef },
        'attributes.plan' => { from => 'Pro', to => 'Max' } }, 'replace, dry run: what would be cleared');
    is(db_fingerprint(), $fp, 'replace, dry run: nothing written');
    my $res = import_csv($csv, 'on_existing=replace');
    is_counts($res, '0/1/0/0/[]', 1, 'replace');
    is(stored($ada->{phone}), "Ada $t|-|Analytical Engines|-|{\"plan\": \"Max\"}", 'replace: empty cells cleared, attributes replaced');
    $res = import_json([{ name => "Ada $t", phone => $ada->{phone} }], 'on_existing=replace');
    is_deeply($res->{json}{changes}[0]{fields}, { company => { from => 'Analytical Engines', to => undef },
              'attributes.plan' => { from => 'Max', to => undef } }, 'replace (JSON): absent fields are cleared');
}

# ---------------------------------------------------------------- a mixed file, CSV and JSON
{
    my ($p1, $p2) = (unique_phone(), unique_phone());
    my @rows = ({ name => "Bob $t", phone => $bob->{phone}, notes => 'new notes' },     # update
                { name => "E1 $t", phone => $p1, attributes => { tier => 1, vip => JSON::PP::true } }, # insert
                { name => "E1 again $t", phone => $p1 },                               # duplicate
                { name => "E2 $t", phone => $p2, attributes => { 'bad key' => 1 } },   # rejected
                { name => "Bob $t", phone => $bob->{phone} });                         # duplicate
    my $res = import_json(\@rows, 'dry_run=false');
    is_counts($res, '1/1/0/0/[3,4,5]', 5, 'a mixed JSON file');
    my %why = map { $_->{row} => $_->{detail}[0] } @{ $res->{json}{rejected} || [] };
    is($why{3}{msg}, 'duplicate of row 2', 'row 3 repeats row 2\'s phone');
    is($why{5}{msg}, 'duplicate of row 1', 'row 5 repeats row 1\'s phone');
    is_deeply($why{4}{loc}, ['body', 4, 'attributes', 'bad key'], 'row 4: the bad attribute name, at its loc');
    is(psql(q{SELECT attributes FROM leads WHERE phone = :'p'}, p => $p1), '{"vip": true, "tier": 1}',
       'attributes keep their JSON types');
    is(phone_in_db($p2), 0, 'the rejected row is not stored');
}

# ---------------------------------------------------------------- attributes on create and update
{
    my $res = api(PUT => "/api/leads/$bob->{id}", { attributes => { plan => 'Pro', seats => 3 } });
    is_json_response($res, 200, 'PUT attributes: 200');
    is_deeply($res->{json}{attributes}, { plan => 'Pro', seats => 3 }, 'PUT: the object replaces the attributes');
    is_deeply(api(PUT => "/api/leads/$bob->{id}", { notes => 'x' })->{json}{attributes}, { plan => 'Pro', seats => 3 },
              'PUT without attributes keeps them');
    is_deeply(api(PUT => "/api/leads/$bob->{id}", { attributes => undef })->{json}{attributes}, {}, 'PUT null clears them');
    my $fp = db_fingerprint();
    is_fastapi_422(api(PUT => "/api/leads/$bob->{id}", { attributes => { city => { a => 1 } } }),
                   ['body', 'attributes', 'city'], 'PUT: an object as a value is a 422 at its key', type => 'value_error');
    is_fastapi_422(api(POST => '/api/leads', { name => 'x', phone => unique_phone(), attributes => { long => 'x' x 1001 } }),
                   ['body', 'attributes', 'long'], 'POST: a value over 1,000 characters', type => 'string_too_long');
    is_fastapi_422(api(POST => '/api/leads', { name => 'x', phone => unique_phone(), attributes => { '1st' => 'x' } }),
                   ['body', 'attributes', '1st'], 'POST: a key that is no attribute name', type => 'value_error');
    is_fastapi_422(api(POST => '/api/leads', { name => 'x', phone => unique_phone(),
                                                attributes => { map { ("k$_" => $_) } 1 .. 51 } }),
                   ['body', 'attributes'], 'POST: 51 attributes', type => 'too_long');
    is_fastapi_422(api(POST => '/api/leads', { name => 'x', phone => unique_phone(), attributes => 'city' }),
                   ['body', 'attributes'], 'POST: attributes that are no object', type => 'dict_type');
    is(db_fingerprint(), $fp, 'the refused requests changed nothing');
}

# ---------------------------------------------------------------- whole-request errors
{
    my $fp = db_fingerprint();
    my $csv = "name,phone\r\nZed $t," . unique_phone() . "\r\n";
    is_fastapi_422(import_csv($csv, 'on_existing=overwrite'), ['query', 'on_existing'], 'on_existing=overwrite: 422',
                   type => 'enum');
    is_fastapi_422(import_csv($csv, 'on_existing='), ['query', 'on_existing'], 'an empty on_existing: 422');
    is_fastapi_422(import_json([], 'dry_run=1'), ['query', 'dry_run'], 'dry_run=1: 422 (true or false)');
    is_fastapi_422(import_csv("name,phone,my city\r\nZed,+14155550100,x\r\n"), ['body'],
                   'a CSV header that is no attribute name: 422', msg_like => qr/"my city"/);
    is_fastapi_422(import_csv("name,phone,city,City,city\r\n"), ['body'], 'a CSV column twice: 422',
                   msg_like => qr/"city" more than once/);
    is(db_fingerprint(), $fp, 'the refused imports changed nothing');
}

# ---------------------------------------------------------------- all or nothing
# Another session changes Ada while the import waits for her row: the import
# updates nobody and inserts nobody (409), and the other session's change stays.
{
    my $p_new = unique_phone();
    my $pid = fork // die "fork: $!";
    if (!$pid) {
        $ENV{PGDATABASE} //= 'smscamp';
        open STDOUT, '>', '/dev/null';
        exec 'psql', '-X', '-q', '-v', 'ON_ERROR_STOP=1', '-c',
             "BEGIN; UPDATE leads SET notes = 'changed meanwhile' WHERE id = $ada->{id}; "
             . "SELECT pg_sleep(3) /* import-rules-meanwhile */; COMMIT;";
        exit 127;
    }
    # until the other session holds Ada's row (it is in its pg_sleep)
    for (1 .. 100) {
        last if psql(q{SELECT count(*) FROM pg_stat_activity
                        WHERE query LIKE '%import-rules-meanwhile%' AND wait_event = 'PgSleep'
                          AND pid <> pg_backend_pid()});
        sleep 0.1;
    }
    my $res = import_csv("name,phone,notes\r\nNew $t,$p_new,\r\nAda $t,$ada->{phone},imported notes\r\n");
    waitpid $pid, 0;
    is($? >> 8, 0, 'the other session committed');
    is_json_error($res, 409, 'a lead changed during the import: 409');
    like($res->{json}{detail} // '', qr/nothing was imported/, '... saying nothing was imported');
    is(phone_in_db($p_new), 0, 'the new lead of the file was not stored');
    is(psql(q{SELECT notes FROM leads WHERE id = :'id'}, id => $ada->{id}), 'changed meanwhile',
       'and the other session\'s change is kept');
    is_counts(import_csv("name,phone,notes\r\nNew $t,$p_new,\r\nAda $t,$ada->{phone},imported notes\r\n"),
              '1/1/0/0/[]', 2, 'sent again, it goes through');
}

my $h = api(GET => '/api/health');
is($h->{status}, 200, 'the server is healthy after the imports') or diag res_summary($h);
unlike(error_log_tail($log_start), qr/exited on signal|\[emerg\]|\[alert\]/, 'no nginx worker crashed (error log)');

done_testing;
