#!/usr/bin/env perl
# Hostile input on every route of ngx_smscamp_module/routes.conf (issue #6, "Hostile input"):
# SQL injection in path captures, query strings, JSON keys and values and headers; JSON
# nested 10,000 deep; invalid UTF-8 and NUL bytes in the query, the path, headers and bodies.
# Each answer is a clear 4xx JSON error, or a 2xx where the input is only data (an SQL
# injection string stored as a lead's name reads back byte for byte). Meanwhile a background
# client keeps calling /api/health and an authenticated GET; afterwards nothing stored has
# changed and no server process crashed or restarted.
# The sizes and floods are in 82-hostile-limits.t, slow clients in 82-hostile-slowloris.t.
use strict;
use warnings;
use FindBin;
use lib ($ENV{SMSCAMP_ROOT} ? "$ENV{SMSCAMP_ROOT}/t/lib" : "$FindBin::Bin/../lib");
use Test::More;
use Time::HiRes qw(time);
use Smscamp::Test;
use Smscamp::Hostile;

plan skip_all => 'no SMSCAMP_API_KEY: auth is off for this run' unless $ENV{SMSCAMP_API_KEY};
local $Smscamp::Test::TIMEOUT = 15;

my $MISSING = 999999999;          # an id no row has (mutating routes never get a real one)
my $SLOW = 2.5;                   # seconds: slower than this, an injected pg_sleep(3) may have run

my $log0 = error_log_size();
my $state0 = server_state();
my $prober = start_prober(0.1);

# ---------------------------------------------------------------- fixtures
my $lead = create_lead(email => 'hostile.ref@example.com', company => 'Hostile Ref', notes => 'keep me');
my $camp = api(POST => '/api/campaigns', { name => 'Hostile ref ' . unique_token(), sms_system_prompt => 'Hello',
                                          lead_ids => [$lead->{id}], send_window => undef });
is($camp->{status}, 201, 'a draft campaign for reference') or diag res_summary($camp);
$camp = $camp->{json};
my ($admin_key) = grep { $_->{role} eq 'admin' } @{ api(GET => '/api/keys?limit=500')->{json}{items} || [] };
my %REF = (leads => $lead->{id}, campaigns => $camp->{id}, keys => $admin_key->{id});
my %SNAP = (lead_id => $lead->{id}, campaign_id => $camp->{id});
my $snap0 = snapshot(%SNAP);

sub unchanged {
    my ($what) = @_;
    local $Test::Builder::Level = $Test::Builder::Level + 1;
    my $now = snapshot(%SNAP);
    is_deeply($now, $snap0, "$what: stored data unchanged")
        or diag explain { before => $snap0, after => $now };
}

my @ROUTES = routes();
# the paths of the routes that answer CSV (answer:text/csv), for expect
my %EXPORTS = map { $_->{pattern} => 1 } grep { $_->{params}{'answer:text/csv'} } @ROUTES;
cmp_ok(scalar @ROUTES, '>=', 28, 'routes.conf lists the routes (' . scalar(@ROUTES) . ')');

# The id for a route's captures: the reference row for GET, a missing one for the others
# (a hostile query or header on DELETE /api/leads/<ref> must not get a chance to delete it).
sub id_for {
    my ($r) = @_;
    my ($res) = $r->{pattern} =~ m{^/api/([\w-]+)/:};
    return $r->{method} eq 'GET' && $res && $REF{$res} ? $REF{$res} : $MISSING;
}
sub rname { "$_[0]{method} $_[0]{pattern}" }
sub has_body { $_[0]{params}{json} || $_[0]{params}{body} }
sub is_public { $_[0]{params}{public} }
sub is_webhook { $_[0]{pattern} =~ m{/webhooks/} }

# A harmless body for the route: creates nothing (no required field is given).
sub default_body {
    my ($r) = @_;
    return undef unless has_body($r) || $r->{method} =~ /^(?:POST|PUT|PATCH)$/;
    return ('{}', 'application/json') if $r->{params}{json};
    return ('From=%2B1&Body=', 'application/x-www-form-urlencoded') if is_webhook($r);
    return ('[]', 'application/json') if $r->{params}{body};
    return ('', 'application/json');
}

# The parts of a harmless request to the route: its path (with the reference ids), its
# default body, and its Content-Type header (a list of none or one pair).
sub request_parts {
    my ($r) = @_;
    my ($b, $ct) = default_body($r);
    return (route_path($r, id_for($r)), $b, defined $ct ? ('Content-Type' => $ct) : ());
}

# expect($res, [statuses], $name): 4xx and 5xx must be JSON errors ({"detail":…}), 2xx JSON
# (204 empty; CSV with its header row from an export, a route declared answer:text/csv);
# and the status one of those allowed.
sub expect {
    my ($res, $ok, $name) = @_;
    local $Test::Builder::Level = $Test::Builder::Level + 1;
    if ($res->{status} >= 400 || !$res->{status}) { return is_json_error($res, $ok, $name) }
    if ($res->{status} == 204) {
        return ok((grep { $_ == 204 } @$ok) && !length $res->{body}, $name) || diag res_summary($res);
    }
    if (($res->{headers}{'content-type'} // '') =~ m{^text/csv\b}) {
        return ok((grep { $_ == $res->{status} } @$ok) && $EXPORTS{ ($name =~ m{^\S+ (/[^\s?:]+)})[0] // '' }
                  && $res->{body} =~ /\A[a-z_]+(,[a-z_]+)*\n/, "$name (CSV)") || diag res_summary($res);
    }
    return is_json_response($res, $ok, $name);
}

# A request by hand (bytes as they are). @h: header pairs; the run's key unless $o{noauth}.
sub raw {
    my ($method, $target, $body, @h) = @_;
    my $req = "$method $target HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n";
    my %o;
    %o = %{ pop @h } if @h % 2;
    $req .= auth_line() unless $o{noauth};
    while (my ($k, $v) = splice @h, 0, 2) { $req .= "$k: $v\r\n" }
    $req .= 'Content-Length: ' . length($body) . "\r\n" if defined $body;
    $req .= "\r\n" . ($body // '');
    return raw_request($req, timeout => 15);
}

my @ANY4 = (400, 401, 403, 404, 405, 409, 411, 413, 414, 415, 422, 429, 431);
my %BASE;    # each route's status with a harmless request: what a query it ignores must not change
for my $r (@ROUTES) {
    my $res = api($r->{method}, request_parts($r));
    $BASE{ rname($r) } = $res->{status};
    expect($res, [200, 201, 202, 204, @ANY4], rname($r) . ': a harmless request is answered ('
           . $res->{status} . ')');
}

# ================================================================ SQL injection
# ---- in path captures: never a 2xx, never slow
{
    my ($max, $slowest) = (0, '');
    for my $r (grep { @{ $_->{captures} } } @ROUTES) {
        my (undef, $b, @ct) = request_parts($r);
        for my $s (@SQLI, "$REF{leads} OR 1=1", "$REF{leads};DELETE FROM leads", '99999999999999999999999',
                   '-1', '0x10', '1e3', ' 1', '1.0', '+1', "${MISSING}'/*", "$MISSING\\") {
            my $path = route_path($r, url_escape($s));
            my ($res, $dt) = timed(sub { api($r->{method}, $path, $b, @ct) });
            ($max, $slowest) = ($dt, "$r->{method} $path") if $dt > $max;
            expect($res, [400, 404, 422], rname($r) . " with id '$s': 4xx JSON");
        }
        # the same, unescaped where the request line allows it
        for my $s (q{1'--}, q{1;DROP}, q{1'OR'1'='1}, q{(SELECT(1))}) {
            my $res = raw($r->{method}, route_path($r, $s), $b, @ct);
            expect($res, [400, 404, 422], rname($r) . " with a raw id $s: 4xx JSON");
        }
    }
    cmp_ok($max, '<', $SLOW, sprintf('SQL injection in paths: no answer was slow (slowest %.2fs: %s)', $max, $slowest));
    unchanged('SQL injection in path captures');
    alive('SQL injection in path captures');
}

# ---- in query strings: every route; the routes that read it get every known key
{
    my @KEYS = qw(q limit offset status level node campaign_lead_id after);
    my ($max, $slowest) = (0, '');
    for my $r (@ROUTES) {
        my ($p, $b, @ct) = request_parts($r);
        my @sqli = $r->{params}{args} ? @SQLI : @SQLI[0, 3, 6];
        for my $s (@sqli) {
            my $e = url_escape($s);
            my @qs = ("q=$e", join('&', map { "$_=$e" } @KEYS), "$e=1", "limit=10&$e");
            for my $qs (@qs) {
                my ($res, $dt) = timed(sub { api($r->{method}, "$p?$qs", $b, @ct) });
                ($max, $slowest) = ($dt, "$r->{method} $p?$qs") if $dt > $max;
                if ($r->{params}{args}) {
                    expect($res, [200, 400, 404, 422], rname($r) . "?$qs: 200 or 4xx JSON");
                } else {
                    expect($res, [$BASE{ rname($r) }], rname($r) . "?$qs: the query is ignored ($BASE{rname($r)})");
                }
            }
        }
    }
    cmp_ok($max, '<', $SLOW, sprintf('SQL injection in queries: no answer was slow (slowest %.2fs: %s)', $max, $slowest));
    # a search for an injection string finds nothing but literal matches
    for my $s (@SQLI) {
        my $res = api(GET => '/api/leads?limit=500&q=' . url_escape($s));
        is($res->{status}, 200, "GET /api/leads?q=$s: 200 (it is only a search text)");
        my $needle = lc($s =~ s/^\s+|\s+$//gr);
        my @bad = grep { index(lc(join "\n", map { $_ // '' } @$_{qw(name email company)}), $needle) < 0 }
                  @{ $res->{json}{items} || [] };
        is(scalar @bad, 0, "GET /api/leads?q=$s: every lead found contains the text literally");
    }
    unchanged('SQL injection in query strings');
    alive('SQL injection in query strings');
}

# ---- in JSON keys: unknown keys are not SQL (no route gets a required field here)
for my $r (grep { $_->{params}{json} } @ROUTES) {
    my $p = route_path($r, id_for($r));
    for my $s (@SQLI[0, 3, 5, 8]) {
        my $res = api($r->{method}, $p, json_encode({ $s => 1, "$s\"" => [$s] }));
        expect($res, [400, 404, 422], rname($r) . " with the JSON key '$s': 4xx JSON");
    }
}
unchanged('SQL injection in JSON keys');

# ---- in headers
{
    for my $r (@ROUTES) {
        my ($p, $b, @ct) = request_parts($r);
        for my $s (@SQLI[0, 4, 7]) {
            my $res = api($r->{method}, $p, $b, @ct, Authorization => "Bearer $s");
            if (is_public($r)) {
                expect($res, [$BASE{ rname($r) }], rname($r) . " (public) with Authorization: Bearer $s: the key is not looked at");
            } else {
                expect($res, [401], rname($r) . " with Authorization: Bearer $s: 401 JSON");
            }
            $res = api($r->{method}, $p, $b, @ct, 'X-Twilio-Signature' => $s, 'X-Forwarded-For' => $s,
                       'User-Agent' => $s, Referer => $s, Cookie => "session=$s");
            expect($res, [$BASE{ rname($r) }], rname($r) . " with $s in other headers: as without ($BASE{rname($r)})");
        }
    }
    unchanged('SQL injection in headers');
    alive('SQL injection in headers');
}

# ================================================================ SQL injection as data
# Strings are data: stored verbatim, read back byte for byte, found by a literal search;
# then removed, so the final snapshot equals the first.
{
    my (@leads, @camps);
    for my $s (@SQLI) {
        my $phone = unique_phone();
        my ($res, $dt) = timed(sub { api(POST => '/api/leads', { name => $s, phone => $phone, company => $s, notes => $s }) });
        is($res->{status}, 201, "POST /api/leads with the name '$s': 201") or diag res_summary($res);
        cmp_ok($dt, '<', $SLOW, '... and fast');
        next unless $res->{status} == 201;
        push @leads, $res->{json}{id};
        my $got = api(GET => "/api/leads/$res->{json}{id}")->{json};
        is($got->{name}, $s, "... name reads back byte for byte");
        is($got->{company}, $s, "... company too");
        is($got->{notes}, $s, "... notes too");
        is(psql(q{SELECT name FROM leads WHERE id = (:'id')::bigint}, id => $res->{json}{id}), $s,
           '... and that is what the table holds');
        my $found = api(GET => '/api/leads?limit=500&q=' . url_escape($s))->{json};
        ok(grep({ $_->{id} == $res->{json}{id} } @{ $found->{items} || [] }), '... and a search for it finds it');
        # invalid as a phone or an email, however it is quoted
        expect(api(POST => '/api/leads', { name => 'x', phone => $s }), [422], "the phone '$s': 422");
        expect(api(POST => '/api/leads', { name => 'x', phone => unique_phone(), email => $s }), [422],
               "the email '$s': 422");
    }
    # PUT: only the given field changes
    if (@leads) {
        my $id = $leads[0];
        my $before = api(GET => "/api/leads/$id")->{json};
        my $res = api(PUT => "/api/leads/$id", { name => $SQLI[3] });
        is($res->{status}, 200, 'PUT /api/leads/{id} with an injection string as the name: 200');
        my $after = api(GET => "/api/leads/$id")->{json};
        is($after->{name}, $SQLI[3], '... stored verbatim');
        is($after->{phone}, $before->{phone}, '... and nothing else changed');
    }
    # JSON and CSV import
    {
        my $phone = unique_phone();
        my $res = api(POST => '/api/leads/import', [{ name => $SQLI[4], phone => $phone, company => $SQLI[1] }]);
        is($res->{status}, 200, 'JSON import of a lead named with an injection: 200') or diag res_summary($res);
        is($res->{json}{inserted}, 1, '... one inserted');
        my $id = psql(q{SELECT id FROM leads WHERE phone = :'p'}, p => $phone);
        push @leads, $id if $id;
        is(api(GET => "/api/leads/$id")->{json}{name}, $SQLI[4], '... read back verbatim') if $id;
        $phone = unique_phone();
        (my $q = $SQLI[0]) =~ s/"/""/g;
        my $csv = qq{name,phone,company\r\n"$q",$phone,"a,b"";DROP TABLE leads;--"\r\n};
        $res = api(POST => '/api/leads/import', $csv, 'Content-Type' => 'text/csv');
        is($res->{status}, 200, 'CSV import with an injection in quoted fields: 200') or diag res_summary($res);
        is($res->{json}{inserted}, 1, '... one inserted');
        $id = psql(q{SELECT id FROM leads WHERE phone = :'p'}, p => $phone);
        push @leads, $id if $id;
        my $got = $id ? api(GET => "/api/leads/$id")->{json} : {};
        is($got->{name}, $SQLI[0], '... the name read back verbatim');
        is($got->{company}, 'a,b";DROP TABLE leads;--', '... the company too (CSV unquoted)');
    }
    # campaigns
    {
        my $res = api(POST => '/api/campaigns', { name => $SQLI[3], sms_system_prompt => $SQLI[8],
                                                 lead_filter => $SQLI[0], send_window => undef });
        ok($res->{status} == 201 || $res->{status} == 422,
           'POST /api/campaigns with injections in name, prompt and lead_filter: 201 or 422')
            or diag res_summary($res);
        if ($res->{status} == 201) {
            push @camps, $res->{json}{id};
            my $got = api(GET => "/api/campaigns/$res->{json}{id}")->{json};
            is($got->{name}, $SQLI[3], '... the name reads back verbatim');
            is($got->{sms_system_prompt}, $SQLI[8], '... and the prompt');
            my $n = api(GET => "/api/leads?limit=1&q=" . url_escape($SQLI[0]))->{json}{total};
            is($got->{stats}{total_leads}, $n, "... lead_filter '$SQLI[0]' took only the leads a search finds ($n)");
        }
        my $c = api(POST => '/api/campaigns', { name => 'Hostile data ' . unique_token(), sms_system_prompt => 'Hi',
                                               lead_count => 0, send_window => undef });
        $c = api(POST => '/api/campaigns', { name => 'Hostile data ' . unique_token(), sms_system_prompt => 'Hi',
                                            lead_ids => [$lead->{id}], send_window => undef })
            unless $c->{status} == 201;
        is($c->{status}, 201, 'a draft campaign to edit') or diag res_summary($c);
        my $cid = $c->{json}{id} // $MISSING;
        push @camps, $cid if $c->{status} == 201;
        $res = api(PUT => "/api/campaigns/$cid", { name => $SQLI[4], description => $SQLI[9] });
        is($res->{status}, 200, 'PUT /api/campaigns/{id} with injections as name and description: 200')
            or diag res_summary($res);
        is(api(GET => "/api/campaigns/$cid")->{json}{name}, $SQLI[4], '... stored verbatim');
        for my $b ({ lead_ids => [$SQLI[2]] }, { lead_ids => "1) OR (1=1" }, { lead_count => $SQLI[2] }) {
            expect(api(POST => "/api/campaigns/$cid/leads", $b), [422],
                   'POST /api/campaigns/{id}/leads with ' . json_encode($b) . ': 422');
        }
        for my $b ({ agent_type => $SQLI[0] }, { send_window => $SQLI[1] }, { sms_temperature => $SQLI[2] },
                   { messages_per_second => $SQLI[3] }) {
            expect(api(PUT => "/api/campaigns/$cid", $b), [409, 422], 'PUT /api/campaigns/{id} with ' . json_encode($b) . ': 4xx');
        }
        expect(api(POST => "/api/campaigns/$cid/schedule", { scheduled_at => $SQLI[1], at => $SQLI[1] }), [422],
               'schedule at an injection string: 422');
        expect(api(POST => "/api/campaigns/$cid/preview", { lead_id => $SQLI[2] }), [422],
               'preview for lead_id = an injection string: 422');
        is(api(GET => "/api/campaigns/$cid")->{json}{status}, 'draft', 'the campaign is still a draft');
    }
    # keys: the name is data, the role is not
    {
        my $res = api(POST => '/api/keys', { name => $SQLI[5], role => 'viewer' });
        is($res->{status}, 201, 'POST /api/keys named with an injection: 201') or diag res_summary($res);
        my $kid = $res->{json}{id};
        my ($k) = grep { $_->{id} == ($kid // 0) } @{ api(GET => '/api/keys?limit=500')->{json}{items} || [] };
        is($k && $k->{name}, $SQLI[5], '... listed verbatim');
        is(api(DELETE => "/api/keys/$kid")->{status}, 204, '... revoked again') if $kid;
        expect(api(POST => '/api/keys', { name => 'x', role => "admin' --" }), [422], 'a role with an injection: 422');
        expect(api(POST => '/api/keys', { name => 'x', role => 'viewer', expires_at => $SQLI[1] }), [422],
               'expires_at with an injection: 422');
    }
    # provider webhooks: unsigned (or wrongly signed) calls change nothing, whatever they carry
    for my $r (grep { is_webhook($_) } @ROUTES) {
        my $form = join '&', map { "$_=" . url_escape($SQLI[3]) } qw(From To Body MessageSid MessageStatus SmsSid AccountSid);
        my $res = api(POST => $r->{pattern}, $form, 'Content-Type' => 'application/x-www-form-urlencoded',
                      Authorization => undef, 'X-Twilio-Signature' => $SQLI[0]);
        expect($res, [200, 204, 400, 403, 422], "$r->{pattern} with injections in every field: 2xx or 4xx JSON");
    }
    # clean up, so that the data is as it was
    is(api(DELETE => "/api/leads/$_")->{status}, 204, "remove data lead $_") for @leads;
    is(api(DELETE => "/api/campaigns/$_")->{status}, 204, "remove data campaign $_") for @camps;
    # the revoked key stays in the table (revocation is not deletion): take it into the snapshot
    $snap0->{api_keys} = snapshot(%SNAP)->{api_keys};
    $snap0->{db_keys} = snapshot(%SNAP)->{db_keys};
    unchanged('SQL injection as data, after clean-up');
    alive('SQL injection as data');
}

# ================================================================ JSON nested 10,000 deep
{
    my $arr = ('[' x 10000) . (']' x 10000);
    my $obj = ('{"a":' x 10000) . '1' . ('}' x 10000);
    my $field = '{"name":' . $arr . ',"phone":"+14155550100","lead_ids":' . $arr . '}';
    for my $r (grep { has_body($_) } @ROUTES) {
        my $p = route_path($r, id_for($r));
        for my $c ([$arr, 'arrays'], [$obj, 'objects'], [$field, 'arrays inside fields']) {
            my ($body, $what) = @$c;
            my ($res, $dt) = timed(sub { api($r->{method}, $p, $body) });
            my @ok = $r->{params}{json} ? (400) : is_webhook($r) ? (400, 403, 415, 422) : (400, 413, 422);
            expect($res, \@ok, rname($r) . " with $what nested 10,000 deep: " . join('/', @ok) . ' JSON');
            cmp_ok($dt, '<', 5, '... answered in ' . sprintf('%.2fs', $dt));
        }
    }
    # deeper, for the route with the larger body limit
    my $deeper = ('[' x 200000) . (']' x 200000);
    expect(api(POST => '/api/leads/import', $deeper), [400, 422], 'import nested 200,000 deep: 400 JSON');
    unchanged('JSON nested 10,000 deep');
    alive('JSON nested 10,000 deep');
}

# ================================================================ invalid UTF-8 and NUL bytes
my @BAD_UTF8 = (["\xff\xfe", 'FF FE'], ["\xc0\xaf", 'an overlong /'], ["\xed\xa0\x80", 'a UTF-16 surrogate'],
                ["\xf4\x90\x80\x80", 'beyond U+10FFFF'], ["ab\xe2\x82", 'a truncated sequence'],
                ["\x80", 'a lone continuation byte'], ["\xf8\x88\x80\x80\x80", '5 bytes']);

# ---- bodies
for my $r (grep { has_body($_) } @ROUTES) {
    my $p = route_path($r, id_for($r));
    my @ok = $r->{params}{json} ? (400) : (400, 403, 415, 422);
    for my $c (@BAD_UTF8) {
        my ($bytes, $what) = @$c;
        my $res = api($r->{method}, $p, qq({"name":"x$bytes","phone":"+14155550100","lead_ids":[1]}));
        expect($res, \@ok, rname($r) . " with $what in a JSON body: " . join('/', @ok) . ' JSON');
    }
    my $res = api($r->{method}, $p, qq({"name":"a\0b"}));
    expect($res, \@ok, rname($r) . ' with a NUL byte in a JSON string: ' . join('/', @ok) . ' JSON');
    $res = api($r->{method}, $p, qq({"name":"ab"}\0\0));
    expect($res, \@ok, rname($r) . ' with NUL bytes after the JSON: ' . join('/', @ok) . ' JSON');
    $res = api($r->{method}, $p, qq({"name":"a\\u0000b","notes":"\\u0000","lead_filter":"\\u0000","\\u0000":1}));
    expect($res, [400, 404, 422], rname($r) . ' with \\u0000 escapes: 4xx JSON (not a 500)');
    $res = api($r->{method}, $p, qq({"name":"\\ud800","notes":"\\udfff\\ud800"}));
    expect($res, [400, 404, 422], rname($r) . ' with lone surrogate escapes: 4xx JSON');
    if ($r->{params}{body}) {
        for my $ct ('text/csv', 'application/x-www-form-urlencoded') {
            $res = api($r->{method}, $p, "name,phone\r\nA\xff\0B,+14155550100\r\n", 'Content-Type' => $ct);
            expect($res, [400, 403, 415, 422], rname($r) . " with invalid UTF-8 and NUL as $ct: 4xx JSON");
        }
    }
}
unchanged('invalid UTF-8 and NUL bytes in bodies');
alive('invalid UTF-8 and NUL bytes in bodies');

# ---- query strings and paths
for my $r (@ROUTES) {
    my ($p, $b, @ct) = request_parts($r);
    for my $qs ('q=%ff', 'q=%00', 'q=a%00b', 'limit=%c0%af', '%ff%fe=1', 'q=%ed%a0%80', '%00=1', 'q=%f4%90%80%80') {
        my $res = api($r->{method}, "$p?$qs", $b, @ct);
        my @ok = $r->{params}{args} ? (400, 422) : ($BASE{ rname($r) });
        expect($res, \@ok, rname($r) . "?$qs: " . join('/', @ok) . ' JSON');
    }
    my $res = raw($r->{method}, "$p?q=\xff\xfe\x80", $b, @ct);
    expect($res, $r->{params}{args} ? [400, 422] : [$BASE{ rname($r) }, 400], rname($r) . '?q=<raw FF FE 80>: JSON');
    $res = raw($r->{method}, "$p?q=a\0b", $b, @ct);
    expect($res, [400], rname($r) . '?q=<raw NUL>: 400 JSON (nginx)');
    next unless @{ $r->{captures} };
    for my $id ('%ff', '%00', "$REF{leads}%00", '%c0%af', '%e2%82', '1%00%27') {
        $res = api($r->{method}, route_path($r, $id), $b, @ct);
        expect($res, [400, 404, 422], rname($r) . " with the id $id: 4xx JSON");
    }
    $res = raw($r->{method}, route_path($r, "\xff\xfe"), $b, @ct);
    expect($res, [400, 404, 422], rname($r) . ' with a raw FF FE id: 4xx JSON');
    $res = raw($r->{method}, route_path($r, "1\0"), $b, @ct);
    expect($res, [400], rname($r) . ' with a raw NUL in the id: 400 JSON');
}
unchanged('invalid UTF-8 and NUL bytes in queries and paths');
alive('invalid UTF-8 and NUL bytes in queries and paths');

# ---- headers
for my $r (@ROUTES) {
    my ($p, $b, @ct) = request_parts($r);
    my $base = $BASE{ rname($r) };
    my $res = raw($r->{method}, $p, $b, @ct, 'X-Smscamp-Test' => "\xff\xfe\xc0\xaf", { noauth => 0 });
    expect($res, [$base], rname($r) . " with invalid UTF-8 in another header: as without ($base)");
    $res = raw($r->{method}, $p, $b, @ct, "X-\xff\xfe" => 'x');
    expect($res, [$base, 400], rname($r) . " with invalid UTF-8 in a header name: ignored or 400");
    $res = raw($r->{method}, $p, $b, @ct, 'X-Smscamp-Test' => "a\0b");
    expect($res, [400], rname($r) . ' with a NUL byte in a header value: 400 JSON');
    $res = raw($r->{method}, $p, $b, @ct, "X-A\0B" => 'x');
    expect($res, [400, $base], rname($r) . ' with a NUL byte in a header name: 400 JSON or ignored');
    $res = raw($r->{method}, $p, $b, @ct, Authorization => "Bearer $ENV{SMSCAMP_API_KEY}\xff", { noauth => 1 });
    expect($res, [is_public($r) ? $base : 401], rname($r) . ' with invalid UTF-8 after the key: ' . (is_public($r) ? $base : 401));
    $res = raw($r->{method}, $p, $b, @ct, Authorization => "Bearer \xff\xfe\xfd", { noauth => 1 });
    expect($res, [is_public($r) ? $base : 401], rname($r) . ' with an invalid UTF-8 key: ' . (is_public($r) ? $base : 401));
    $res = raw($r->{method}, $p, $b, @ct, Authorization => "Bearer $ENV{SMSCAMP_API_KEY}\0", { noauth => 1 });
    expect($res, [400, is_public($r) ? $base : 401], rname($r) . ' with a NUL byte after the key: 400 or 401');
    if (has_body($r)) {
        # the module takes any type that contains "json" as JSON (application/vnd.x+json), and
        # checks the body all the same
        $res = raw($r->{method}, $p, $b, 'Content-Type' => "application/json\xff");
        expect($res, [$base, 400, 403, 415, 422], rname($r) . ' with invalid UTF-8 in Content-Type: as usual or 4xx JSON');
        $res = raw($r->{method}, $p, $b, 'Content-Type' => "application/json; charset=\xff\xfe");
        expect($res, [$base, 400, 403, 415, 422], rname($r) . ' with invalid UTF-8 in the charset: 4xx JSON or as usual');
    }
    if (is_webhook($r)) {
        $res = raw($r->{method}, $p, $b, @ct, 'X-Twilio-Signature' => "\xff\xfe\x80", { noauth => 1 });
        expect($res, [$base, 400, 403], rname($r) . ' with an invalid UTF-8 signature: 4xx JSON');
    }
}
{
    my $res = raw(GET => '/api/leads?limit=1', undef, { noauth => 0 });
    is($res->{status}, 200, 'a hand-made request works as it should (control)');
    $res = raw_request("GET /api/health HTTP/1.1\r\nHost: \xff\xfe\r\nConnection: close\r\n\r\n");
    expect($res, [200, 400], 'invalid UTF-8 in Host: 200 or 400 JSON');
    $res = raw_request("GET /api/health HTTP/1.1\r\nHost: a\0b\r\nConnection: close\r\n\r\n");
    expect($res, [400], 'a NUL byte in Host: 400 JSON');
    $res = raw_request("GET /api/health\0 HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
    expect($res, [400], 'a NUL byte in the request line: 400 JSON');
    $res = raw_request("G\xffT /api/health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
    expect($res, [400, 405], 'invalid bytes in the method: 400 / 405 JSON');
}
unchanged('invalid UTF-8 and NUL bytes in headers');
alive('invalid UTF-8 and NUL bytes in headers');

# ================================================================ the end
$prober->check('while hostile input was sent', 5);
state_unchanged($state0, 'after all hostile input');
unlike(error_log_tail($log0), qr/exited on signal|\[emerg\]|\[alert\]/, 'no nginx worker crashed or raised an alert');
api(DELETE => "/api/campaigns/$camp->{id}");
api(DELETE => "/api/leads/$lead->{id}");

done_testing;
