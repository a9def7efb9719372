#!/usr/bin/perl
# Bad input at the HTTP level: malformed JSON, huge bodies, NUL bytes, invalid
# UTF-8, deep nesting, unknown routes, wrong methods, wrong content types, bad
# framing. Each gets a 4xx JSON answer; nothing stored changes; the server stays up.
use strict;
use warnings;
use FindBin;
use lib ($ENV{SMSCAMP_ROOT} ? "$ENV{SMSCAMP_ROOT}/t/lib" : "$FindBin::Bin/../lib");
use Test::More;
use Smscamp::Test;

my $log_start = error_log_size();
my $ref = create_lead(email => 'bad.input@example.com', company => 'Bad Input Ref', notes => 'keep me');
my $ref_row = db_lead($ref->{id});
leads_snapshot();

# Build a request by hand. $body undef = no body and no Content-Length.
# %h: extra headers in order given as a list of pairs; Content-Length is added
# unless one of them is Content-Length or Transfer-Encoding.
sub raw {
    my ($method, $path, $body, @h) = @_;
    my $req = "$method $path HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n" . auth_line();
    my $has_len = 0;
    while (my ($k, $v) = splice @h, 0, 2) {
        $has_len = 1 if $k =~ /^(?:content-length|transfer-encoding)$/i;
        $req .= "$k: $v\r\n";
    }
    $req .= 'Content-Length: ' . length($body) . "\r\n" if defined $body && !$has_len;
    $req .= "\r\n";
    $req .= $body if defined $body;
    return raw_request($req);
}

sub lead_json {    # a valid lead body (bytes) with $name spliced in raw
    my ($name_bytes, $phone) = @_;
    return qq({"name":"$name_bytes","phone":"$phone"});
}

# ---------------------------------------------------------------- malformed JSON
for my $case (['{"name":', 'truncated'], ['{"name":"x",}', 'trailing comma'], [q({'name':'x'}), 'single quotes'],
              ['{"name":"x","phone":"+14155550123"} trailing', 'garbage after the document'],
              ['{name:"x"}', 'unquoted key'], ['{"name":"x"', 'unclosed object'], ['{"a":01}', 'leading zero'],
              ['{"name":"a\\qb"}', 'bad escape']) {
    my ($body, $what) = @$case;
    my $res = api(POST => '/api/leads', $body);
    is_json_error($res, 400, "POST /api/leads with malformed JSON ($what): 400 JSON");
}
{
    my $res = api(PUT => "/api/leads/$ref->{id}", '{"name":"Changed"');
    is_json_error($res, 400, 'PUT with malformed JSON: 400 JSON');
    $res = api(POST => '/api/leads/import', '[{"name":"x","phone":"+14155550123"},');
    is_json_error($res, 400, 'POST /api/leads/import with malformed JSON: 400 JSON');
    leads_unchanged('malformed JSON');
}

# ---------------------------------------------------------------- empty bodies
{
    my $res = api(POST => '/api/leads', '');
    my $e = is_fastapi_422($res, undef, 'POST /api/leads with an empty body: FastAPI-style 422');
    ok(ref $res->{json}{detail} eq 'ARRAY' && grep({ ref $_ eq 'HASH' && ref $_->{loc} eq 'ARRAY' && ($_->{loc}[0] // '') eq 'body' } @{ $res->{json}{detail} }),
       'the empty-body 422 points at the body');
    $res = raw(POST => '/api/leads', undef, 'Content-Type' => 'application/json');
    is_json_error($res, [411, 422], 'POST /api/leads with no body and no Content-Length: 411 or 422 JSON');
    $res = api(PUT => "/api/leads/$ref->{id}", '');
    is_json_error($res, 422, 'PUT with an empty body: 422 JSON');
    leads_unchanged('empty bodies');
}

# ---------------------------------------------------------------- 10 MB body
{
    my $phone = unique_phone();
    my $big = '{"name":"Big","phone":"' . $phone . '","notes":"' . ('a' x (10 * 1024 * 1024)) . '"}';
    my $res = raw(POST => '/api/leads', $big, 'Content-Type' => 'application/json');
    is_json_error($res, 413, 'POST /api/leads with a 10 MB body: 413 JSON');
    # the same, chunked (no Content-Length: the limit must apply while reading)
    my $chunked = '';
    for (my $i = 0; $i < length $big; $i += 65536) {
        my $c = substr($big, $i, 65536);
        $chunked .= sprintf("%x\r\n%s\r\n", length $c, $c);
    }
    $chunked .= "0\r\n\r\n";
    $res = raw(POST => '/api/leads', $chunked, 'Content-Type' => 'application/json', 'Transfer-Encoding' => 'chunked');
    is_json_error($res, 413, 'POST /api/leads with a 10 MB chunked body: 413 JSON');
    $res = raw(PUT => "/api/leads/$ref->{id}", $big, 'Content-Type' => 'application/json');
    is_json_error($res, 413, 'PUT with a 10 MB body: 413 JSON');
    is(phone_in_db($phone), 0, 'the 10 MB lead was not stored');
    leads_unchanged('10 MB bodies');
}

# ---------------------------------------------------------------- NUL bytes
{
    my $phone = unique_phone();
    my $res = api(POST => '/api/leads', lead_json('A\\u0000B', $phone));
    is_json_error($res, [400, 422], 'a \\u0000 escape in the name: 400 or 422 JSON');
    $res = api(POST => '/api/leads', qq({"name":"NUL notes","phone":"$phone","notes":"x\\u0000y"}));
    is_json_error($res, [400, 422], 'a \\u0000 escape in the notes: 400 or 422 JSON');
    $res = api(POST => '/api/leads', qq({"name":"NUL key","phone":"$phone","\\u0000":"x"}));
    ok($res->{status} != 500 && $res->{status} >= 200 && $res->{status} < 500,
       'a \\u0000 escape in an unknown key is not a server error') or diag res_summary($res);
    if ($res->{status} == 201) {    # accepted (unknown keys ignored): fine, but remove it again
        api(DELETE => "/api/leads/$res->{json}{id}");
        $phone = unique_phone();
    }
    $res = api(POST => '/api/leads', lead_json("A\0B", $phone));
    is_json_error($res, 400, 'a raw NUL byte inside a JSON string: 400 JSON');
    $res = api(POST => '/api/leads', lead_json('A', $phone) . "\0");
    is_json_error($res, 400, 'a raw NUL byte after the JSON document: 400 JSON');
    $res = api(PUT => "/api/leads/$ref->{id}", '{"name":"A\\u0000B"}');
    is_json_error($res, [400, 422], 'PUT with a \\u0000 escape: 400 or 422 JSON');
    is(phone_in_db($phone), 0, 'nothing with a NUL was stored');
    leads_unchanged('NUL bytes');
}

# ---------------------------------------------------------------- invalid UTF-8 in the body
{
    my $phone = unique_phone();
    for my $case (["\xff\xfe", 'bytes FF FE'], ["\xc0\xaf", 'overlong encoding'], ["\xed\xa0\x80", 'UTF-16 surrogate'],
                  ["\xf4\x90\x80\x80", 'beyond U+10FFFF'], ["abc\xe2\x82", 'truncated sequence'], ["\x80", 'lone continuation byte']) {
        my ($bytes, $what) = @$case;
        my $res = api(POST => '/api/leads', lead_json("Bad $bytes UTF8", $phone));
        is_json_error($res, 400, "invalid UTF-8 in the body ($what): 400 JSON");
    }
    my $res = api(POST => '/api/leads', lead_json('lone \\ud800 surrogate', $phone));
    is_json_error($res, [400, 422], 'a lone surrogate escape \\ud800: 400 or 422 JSON');
    $res = api(PUT => "/api/leads/$ref->{id}", "{\"name\":\"\xff\"}");
    is_json_error($res, 400, 'PUT with invalid UTF-8: 400 JSON');
    $res = api(POST => '/api/leads/import', "name,phone\r\nBad \xff,$phone\r\n", 'Content-Type' => 'text/csv');
    is_json_error($res, [400, 422], 'CSV import with invalid UTF-8: 400 or 422 JSON');
    is(phone_in_db($phone), 0, 'nothing with invalid UTF-8 was stored');
    # valid multi-byte UTF-8 still works, including 4-byte sequences
    my $name = "Z\xc3\xbcrich \xf0\x9f\x93\xb1 \xe6\x9d\xb1\xe4\xba\xac";
    $res = api(POST => '/api/leads', lead_json($name, unique_phone()));
    is($res->{status}, 201, 'valid multi-byte UTF-8 (incl. 4-byte emoji) is accepted') or diag res_summary($res);
    my $want = $name;
    utf8::decode($want);
    is($res->{json}{name}, $want, 'and returned intact');
    leads_snapshot();
}

# ---------------------------------------------------------------- bad bytes in the query string and path
{
    for my $qs ('q=%ff', 'q=%00', 'q=a%00b', 'q=%e2%82', 'q=%c0%af', 'limit=%00', '%ff=1', 'q=%ed%a0%80') {
        my $res = api(GET => "/api/leads?$qs");
        is_json_error($res, [400, 422], "GET /api/leads?$qs: 400 or 422 JSON");
    }
    my $res = raw(GET => "/api/leads?q=\xff\xfe");
    is_json_error($res, [400, 422], 'GET /api/leads?q=<raw FF FE>: 400 or 422 JSON');
    for my $p ('%ff', '%00', '1%00', '%c0%af', '%e2%82') {
        $res = api(GET => "/api/leads/$p");
        is_json_error($res, [400, 422], "GET /api/leads/$p: 400 or 422 JSON");
        $res = api(DELETE => "/api/leads/$p");
        is_json_error($res, [400, 422], "DELETE /api/leads/$p: 400 or 422 JSON");
    }
    $res = raw(GET => "/api/leads/\xff");
    is_json_error($res, [400, 422], 'GET /api/leads/<raw FF>: 400 or 422 JSON');
    $res = raw(PUT => "/api/leads/\xff", '{"name":"x"}', 'Content-Type' => 'application/json');
    is_json_error($res, [400, 422], 'PUT /api/leads/<raw FF>: 400 or 422 JSON');
    # a long but harmless search term
    $res = api(GET => '/api/leads?q=' . ('a' x 2000));
    ok($res->{status} == 200 || $res->{status} == 422, 'a 2000-character q is answered 200 or 422, not an error')
        or diag res_summary($res);
    leads_unchanged('bad bytes in query and path');
}

# ---------------------------------------------------------------- deep nesting
{
    my $deep = ('[' x 10000) . (']' x 10000);
    my $res = api(POST => '/api/leads', $deep);
    is_json_error($res, 400, 'POST /api/leads with arrays nested 10,000 deep: 400 JSON');
    my $phone = unique_phone();
    my $deep_obj = qq({"name":"Deep","phone":"$phone","notes":) . ('{"a":' x 10000) . '1' . ('}' x 10000) . '}';
    $res = api(POST => '/api/leads', $deep_obj);
    is_json_error($res, 400, 'POST /api/leads with objects nested 10,000 deep: 400 JSON');
    $res = api(POST => '/api/leads/import', $deep);
    is_json_error($res, 400, 'POST /api/leads/import with nesting 10,000 deep: 400 JSON');
    my $deeper = ('[' x 100000) . (']' x 100000);    # 200 KB, well inside the import size limit
    $res = api(POST => '/api/leads/import', $deeper);
    is_json_error($res, 400, 'POST /api/leads/import with nesting 100,000 deep: 400 JSON (not a 500)');
    $res = api(PUT => "/api/leads/$ref->{id}", $deep);
    is_json_error($res, 400, 'PUT with nesting 10,000 deep: 400 JSON');
    is(phone_in_db($phone), 0, 'the deeply nested lead was not stored');
    leads_unchanged('deep nesting');
}

# ---------------------------------------------------------------- unknown routes
for my $case ([GET => '/api/nope'], [POST => '/api/nope'], [GET => '/api/'], [GET => '/api/leadsx'],
              [GET => "/api/leads/$ref->{id}/extra"], [GET => '/api/leads/1/2/3']) {
    my ($m, $p) = @$case;
    my $res = api($m, $p, $m eq 'POST' ? {} : undef);
    is_json_error($res, 404, "$m $p: 404 JSON");
}

# ---------------------------------------------------------------- wrong methods
sub allow_set { my %a = map { (uc(s/^\s+|\s+$//gr) => 1) } split /,/, ($_[0]{headers}{allow} // ''); \%a }
for my $case ([PATCH => '/api/leads', [qw(GET POST)], [qw(PATCH DELETE PUT)]],
              [DELETE => '/api/leads', [qw(GET POST)], [qw(PATCH DELETE PUT)]],
              [PUT => '/api/leads', [qw(GET POST)], [qw(PATCH DELETE PUT)]],
              [PATCH => "/api/leads/$ref->{id}", [qw(GET PUT DELETE)], [qw(POST PATCH)]],
              [POST => "/api/leads/$ref->{id}", [qw(GET PUT DELETE)], [qw(POST PATCH)]],
              [POST => '/api/health', [qw(GET)], [qw(POST PUT DELETE PATCH)]]) {
    my ($m, $p, $must, $mustnot) = @$case;
    my $res = api($m, $p, $m =~ /^(?:POST|PUT|PATCH)$/ ? { name => 'x' } : undef);
    is_json_error($res, 405, "$m $p: 405 JSON");
    my $allow = allow_set($res);
    ok(defined $res->{headers}{allow}, "$m $p: has an Allow header");
    ok(!grep({ !$allow->{$_} } @$must), "$m $p: Allow lists @$must")
        or diag 'Allow: ' . ($res->{headers}{allow} // '(none)');
    ok(!grep({ $allow->{$_} } @$mustnot), "$m $p: Allow does not list @$mustnot")
        or diag 'Allow: ' . ($res->{headers}{allow} // '(none)');
}
leads_unchanged('wrong methods (DELETE /api/leads deleted nothing)');

# ---------------------------------------------------------------- content types
{
    my $phone = unique_phone();
    my %lead = (name => 'Plain Text', phone => $phone);
    my $res = api(POST => '/api/leads', \%lead, 'Content-Type' => 'text/plain');
    is_json_error($res, [415, 422], 'POST /api/leads with Content-Type text/plain: 415 or 422 JSON');
    $res = api(POST => '/api/leads', "name=Form&phone=%2B14155550123",
               'Content-Type' => 'application/x-www-form-urlencoded');
    is_json_error($res, [415, 422], 'POST /api/leads with a form body: 415 or 422 JSON');
    $res = api(PUT => "/api/leads/$ref->{id}", { name => 'Plain' }, 'Content-Type' => 'text/plain');
    is_json_error($res, [415, 422], 'PUT with Content-Type text/plain: 415 or 422 JSON');
    is(phone_in_db($phone), 0, 'nothing was stored from a text/plain body');
    leads_unchanged('wrong content types');
    $res = api(POST => '/api/leads', \%lead, 'Content-Type' => 'application/json; charset=utf-8');
    is($res->{status}, 201, 'Content-Type "application/json; charset=utf-8" is accepted') or diag res_summary($res);
    leads_snapshot();
}

# ---------------------------------------------------------------- HTTP framing
{
    my $phone = unique_phone();
    my $body = lead_json('Framing', $phone);
    my $res = raw(POST => '/api/leads', $body, 'Content-Type' => 'application/json', 'Content-Length' => 'abc');
    is_json_error($res, 400, 'Content-Length: abc is a 400 JSON');
    $res = raw(POST => '/api/leads', $body, 'Content-Type' => 'application/json', 'Content-Length' => '-1');
    is_json_error($res, 400, 'Content-Length: -1 is a 400 JSON');
    $res = raw(POST => '/api/leads', $body, 'Content-Type' => 'application/json',
               'Content-Length' => length($body), 'Content-Length' => length($body) + 5);
    is_json_error($res, 400, 'two different Content-Length headers are a 400 JSON');
    $res = raw(POST => '/api/leads', "zz\r\n$body\r\n0\r\n\r\n", 'Content-Type' => 'application/json',
               'Transfer-Encoding' => 'chunked');
    is_json_error($res, 400, 'a bad chunk size is a 400 JSON');
    is(phone_in_db($phone), 0, 'nothing was stored from badly framed requests');
    leads_unchanged('bad framing');

    # a well-formed chunked body works
    my $chunked = '';
    $chunked .= sprintf("%x\r\n%s\r\n", length $_, $_) for substr($body, 0, 7), substr($body, 7);
    $chunked .= "0\r\n\r\n";
    $res = raw(POST => '/api/leads', $chunked, 'Content-Type' => 'application/json', 'Transfer-Encoding' => 'chunked');
    is($res->{status}, 201, 'a chunked JSON body creates the lead') or diag res_summary($res);
    is($res->{json}{phone}, $phone, 'and the whole chunked body was read');
    leads_snapshot();
}

# ---------------------------------------------------------------- still alive, nothing lost
{
    my $res = api(GET => '/api/health');
    is($res->{status}, 200, 'GET /api/health is still 200 after all the bad input') or diag res_summary($res);
    is($res->{json}{database}, 'ok', 'and the database is still ok');
    leads_unchanged('the whole bad-input run');
    is_deeply(db_lead($ref->{id}), $ref_row, 'the reference lead is exactly as it was');
    is_deeply(api(GET => "/api/leads/$ref->{id}")->{json}, $ref, 'and reads back as created');
    unlike(error_log_tail($log_start), qr/exited on signal|\[emerg\]|\[alert\]/,
           'no nginx worker crashed or raised an alert (error log)');
}

done_testing;
