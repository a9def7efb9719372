package Smscamp::Test;

# Helpers for the HTTP test suite (t/http/*.t).
#
# The harness (`make test`) starts nginx + PostgreSQL and sets:
#   SMSCAMP_URL       base URL of nginx, e.g. http://127.0.0.1:23456
#   PGHOST PGPORT PGUSER PGDATABASE   so that `psql` reaches the database
#   SMSCAMP_INSTANCE  instance directory (nginx error log in log/nginx-error.log)
#   SMSCAMP_ROOT      repository root
#
# Core modules only.

use strict;
use warnings;

use Carp qw(croak);
use Exporter 'import';
use File::Temp ();
use HTTP::Tiny;
use IO::Select;
use IO::Socket::INET;
use Digest::SHA ();
use JSON::PP;
use POSIX qw(EAGAIN EWOULDBLOCK EINTR);
use Test::More ();
use Time::HiRes ();

our @EXPORT = qw(
    api raw_request http_conn parse_response auth_line
    psql psql_json db_fingerprint leads_snapshot leads_unchanged lead_count db_lead phone_in_db missing_lead_id
    create_lead unique_phone unique_phone_parts unique_token
    is_fastapi_422 is_json_error is_json_response
    json_encode json_decode res_summary base_url error_log_tail error_log_size
    webhook sms_inbound twilio_signature campaign_finished
);

$SIG{PIPE} = 'IGNORE';

our $TIMEOUT = 60;      # seconds, for api() and raw_request(); local-ise to change

my $URL = $ENV{SMSCAMP_URL} // 'http://127.0.0.1:8080';
$URL =~ s{/+\z}{};
my ($HOST, $PORT) = $URL =~ m{^http://\[?([^/\]]+?)\]?(?::(\d+))?(?:/|\z)}
    or die "SMSCAMP_URL '$URL' is not an http:// URL\n";
$PORT //= 80;

my $JSON = JSON::PP->new->utf8->canonical->allow_nonref;

sub base_url { $URL }

sub json_encode { $JSON->encode($_[0]) }

# undef when the bytes are not JSON
sub json_decode {
    my ($bytes) = @_;
    return undef unless defined $bytes && length $bytes;
    my $v = eval { $JSON->decode($bytes) };
    return $@ ? undef : $v;
}

sub _finish_response {
    my ($res) = @_;
    $res->{body} //= '';
    $res->{json} = json_decode($res->{body});
    $res->{content_type} = $res->{headers}{'content-type'} // '';
    return $res;
}

# api($method, $path, $body, %headers)
#   $body: undef (no body), a reference (sent as JSON) or a byte string (sent as is).
#   Content-Type defaults to application/json when there is a body; pass
#   'Content-Type' => undef to send none.
# Returns { status, reason, headers (lower-case names), body (raw bytes),
#           json (decoded or undef), content_type }.
# Connection failures come back as status 599 (HTTP::Tiny's convention).
sub api {
    my ($method, $path, $body, %hdr) = @_;
    my %headers;
    my $ct_given = 0;
    for my $k (keys %hdr) {
        if (lc $k eq 'content-type') {
            $ct_given = 1;
            $headers{'content-type'} = $hdr{$k} if defined $hdr{$k};
        } else {
            $headers{lc $k} = $hdr{$k};
        }
    }
    # the run's API key, unless the caller sets Authorization (undef = none)
    my ($auth_given) = grep { lc $_ eq 'authorization' } keys %hdr;
    if ($auth_given) {
        delete $headers{authorization} unless defined $hdr{$auth_given};
    } elsif (defined $ENV{SMSCAMP_API_KEY}) {
        $headers{authorization} = "Bearer $ENV{SMSCAMP_API_KEY}";
    }
    my %opt = (headers => \%headers);
    if (defined $body) {
        my $bytes = ref $body ? $JSON->encode($body) : $body;
        croak "api(): body has wide characters; pass bytes" if $bytes =~ /[^\x00-\xff]/;
        $opt{content} = $bytes;
        $headers{'content-type'} = 'application/json' unless $ct_given;
    }
    my $http = HTTP::Tiny->new(timeout => $TIMEOUT, keep_alive => 0,
                               agent => 'smscamp-tests/1');
    my $r = $http->request($method, $URL . $path, \%opt);
    my %h;
    while (my ($k, $v) = each %{ $r->{headers} || {} }) {
        $h{lc $k} = ref $v eq 'ARRAY' ? join(', ', @$v) : $v;
    }
    return _finish_response({
        status  => $r->{status},
        reason  => $r->{reason},
        headers => \%h,
        body    => $r->{content},
    });
}

# twilio_signature($url, $form_body, $token): X-Twilio-Signature as Twilio computes it,
# base64(HMAC-SHA1(token, url . name1 . value1 ...)) over the decoded form fields sorted
# by name (then value). $token defaults to the instance's smscamp.twilio_auth_token.
sub twilio_signature {
    my ($url, $body, $token) = @_;
    $token //= psql(q{SELECT current_setting('smscamp.twilio_auth_token')});
    my @pairs;
    for my $pair (grep { length } split /&/, $body // '') {
        my ($k, $v) = split /=/, $pair, 2;
        for ($k, $v) { $_ //= ''; tr/+/ /; s/%([0-9A-Fa-f]{2})/chr hex $1/ge }
        push @pairs, [$k, $v];
    }
    my $data = $url . join '', map { $_->[0] . $_->[1] }
        sort { $a->[0] cmp $b->[0] or $a->[1] cmp $b->[1] } @pairs;
    utf8::encode($token) if utf8::is_utf8($token);
    my $sig = Digest::SHA::hmac_sha1_base64($data, $token);
    $sig .= '=' while length($sig) % 4;
    return $sig;
}

# webhook($path, $form_body, %headers): POST a provider webhook as Twilio would, form
# fields signed for this server's URL, without an API key. Pass 'X-Twilio-Signature'
# (undef: none) or 'Content-Type' to override.
sub webhook {
    my ($path, $body, %hdr) = @_;
    my %h = ('Content-Type' => 'application/x-www-form-urlencoded', Authorization => undef);
    $h{'X-Twilio-Signature'} = twilio_signature($URL . $path, $body)
        unless grep { lc $_ eq 'x-twilio-signature' } keys %hdr;
    for my $k (keys %hdr) {
        if (lc $k eq 'x-twilio-signature' && !defined $hdr{$k}) { next }
        $h{$k} = $hdr{$k};
    }
    return api(POST => $path, $body, %h);
}

# sms_inbound(phone, body, sid): the signed inbound SMS webhook Twilio sends when
# phone texts body (form-encoded; MessageSid sid when given).
sub sms_inbound {
    my ($phone, $body, $sid) = @_;
    my $enc = sub { (my $v = shift) =~ s/([^A-Za-z0-9])/sprintf('%%%02X', ord $1)/ge; $v };
    return webhook('/api/webhooks/sms/inbound',
                   'From=' . $enc->($phone) . '&To=%2B15005550006&Body=' . $enc->($body)
                   . (defined $sid ? '&MessageSid=' . $enc->($sid) : ''));
}

# campaign_finished(id, timeout seconds): GET /api/campaigns/{id} every 0.25 s until its status
# is completed, failed, cancelled or paused (or the time is up); the last campaign read.
sub campaign_finished {
    my ($id, $timeout) = @_;
    my $deadline = Time::HiRes::time() + $timeout;
    my $cur;
    while (1) {
        $cur = api(GET => "/api/campaigns/$id")->{json};
        last if $cur && ($cur->{status} // '') =~ /^(completed|failed|cancelled|paused)$/;
        last if Time::HiRes::time() > $deadline;
        Time::HiRes::sleep(0.25);
    }
    return $cur;
}

# "Authorization: Bearer <the run's key>\r\n" for hand-built requests ('' without a key).
sub auth_line {
    return defined $ENV{SMSCAMP_API_KEY} ? "Authorization: Bearer $ENV{SMSCAMP_API_KEY}\r\n" : '';
}

# A short human-readable summary of a response for diagnostics.
sub res_summary {
    my ($res) = @_;
    return 'no response' unless $res;
    my $b = $res->{body} // '';
    $b = substr($b, 0, 600) . '...(' . length($b) . ' bytes)' if length $b > 600;
    $b =~ s/([^\x20-\x7e])/sprintf('\\x%02x', ord $1)/ge;
    return "HTTP $res->{status} [" . ($res->{content_type} // '') . "] $b";
}

# ---------------------------------------------------------------------------
# Raw HTTP over a socket, for what HTTP::Tiny cannot send.

{
    package Smscamp::Test::Conn;

    use IO::Select;
    use IO::Socket::INET;
    use POSIX qw(EAGAIN EWOULDBLOCK EINTR);
    use Time::HiRes ();

    sub new {
        my ($class, %o) = @_;
        # local_addr: the client's own address, e.g. 127.0.0.2 (all of 127/8 is loopback),
        # for tests of what the server keys on the client address
        my $s = IO::Socket::INET->new(
            PeerAddr => $o{host} // $HOST,
            PeerPort => $o{port} // $PORT,
            Proto    => 'tcp',
            Timeout  => 10,
            ($o{local_addr} ? (LocalAddr => $o{local_addr}) : ()),
        ) or die "cannot connect to $HOST:$PORT: $!\n";
        binmode $s;
        $s->blocking(0);
        return bless { sock => $s, buf => '', eof => 0, error => undef }, $class;
    }

    sub sock { $_[0]{sock} }

    # Write all of $bytes. If $o{stop_on_read} and the server starts
    # answering before everything is written (e.g. 413), stop writing.
    # Returns the number of bytes written.
    sub send {
        my ($self, $bytes, %o) = @_;
        my $timeout  = $o{timeout} // $Smscamp::Test::TIMEOUT;
        my $deadline = Time::HiRes::time() + $timeout;
        my $off = 0;
        my $sel = IO::Select->new($self->{sock});
        while ($off < length $bytes) {
            my $left = $deadline - Time::HiRes::time();
            if ($left <= 0) { $self->{error} = 'write timeout'; last }
            if ($o{stop_on_read} && $sel->can_read(0)) { last }
            my (undef, $w) = IO::Select->select(
                $o{stop_on_read} ? $sel : undef, $sel, undef, $left > 0.2 ? 0.2 : $left);
            next unless $w && @$w;
            my $n = syswrite($self->{sock}, $bytes, 262144, $off);
            if (!defined $n) {
                next if $! == EAGAIN || $! == EWOULDBLOCK || $! == EINTR;
                $self->{error} = "write: $!";
                last;
            }
            $off += $n;
        }
        return $off;
    }

    # Is there something to read right now (or EOF)?
    sub readable {
        my ($self, $wait) = @_;
        return 1 if length $self->{buf} || $self->{eof};
        return scalar IO::Select->new($self->{sock})->can_read($wait // 0);
    }

    sub _fill {
        my ($self, $wait) = @_;
        return 0 if $self->{eof};
        my @r = IO::Select->new($self->{sock})->can_read($wait);
        return 0 unless @r;
        my $n = sysread($self->{sock}, my $chunk, 262144);
        if (!defined $n) {
            return 0 if $! == EAGAIN || $! == EWOULDBLOCK || $! == EINTR;
            $self->{error} = "read: $!";
            $self->{eof} = 1;
            return 0;
        }
        if ($n == 0) { $self->{eof} = 1; return 0 }
        $self->{buf} .= $chunk;
        return $n;
    }

    # Read one complete response (skipping 1xx). Returns undef on timeout
    # or when the connection closed before a full response arrived.
    # %o: timeout, head (1 for a HEAD request: no body).
    sub read_response {
        my ($self, %o) = @_;
        my $timeout  = $o{timeout} // $Smscamp::Test::TIMEOUT;
        my $deadline = Time::HiRes::time() + $timeout;
        while (1) {
            my ($res, $used) = Smscamp::Test::parse_response($self->{buf}, $self->{eof}, $o{head});
            if ($res) {
                substr($self->{buf}, 0, $used) = '';
                if ($res->{status} >= 100 && $res->{status} < 200) { next }
                return Smscamp::Test::_finish_response($res);
            }
            return undef if $self->{eof};
            my $left = $deadline - Time::HiRes::time();
            return undef if $left <= 0;
            $self->_fill($left > 0.5 ? 0.5 : $left);
        }
    }

    # Wait for the server to close the connection (returns true if it did).
    sub wait_closed {
        my ($self, $timeout) = @_;
        my $deadline = Time::HiRes::time() + ($timeout // 5);
        while (!$self->{eof}) {
            my $left = $deadline - Time::HiRes::time();
            return 0 if $left <= 0;
            $self->_fill($left > 0.5 ? 0.5 : $left);
        }
        return 1;
    }

    sub close {
        my ($self) = @_;
        close $self->{sock} if $self->{sock};
        $self->{sock} = undef;
    }
}

sub http_conn { Smscamp::Test::Conn->new(@_) }

# parse_response($buf, $at_eof, $head)
# Returns ($res, $bytes_used) for one complete response at the start of $buf,
# or () if more data is needed.
sub parse_response {
    my ($buf, $eof, $head) = @_;
    my $hend = index($buf, "\r\n\r\n");
    return () if $hend < 0;
    my $head_text = substr($buf, 0, $hend);
    my @lines = split /\r\n/, $head_text;
    my $sl = shift @lines;
    my ($status, $reason) = $sl =~ m{^HTTP/\d\.\d (\d{3})(?: (.*))?$}
        or return ({ status => 0, reason => "bad status line: $sl", headers => {},
                     body => $buf, status_line => $sl }, length $buf);
    my %h;
    for my $l (@lines) {
        my ($k, $v) = $l =~ /^([^:]+):\s*(.*?)\s*$/ or next;
        $k = lc $k;
        $h{$k} = exists $h{$k} ? "$h{$k}, $v" : $v;
    }
    my $pos = $hend + 4;
    my $res = { status => $status + 0, reason => $reason, headers => \%h };
    if ($head || $status == 204 || $status == 304 || $status < 200) {
        $res->{body} = '';
        return ($res, $pos);
    }
    if (($h{'transfer-encoding'} // '') =~ /chunked/i) {
        my $body = '';
        while (1) {
            my $le = index($buf, "\r\n", $pos);
            return () if $le < 0;
            my ($size) = substr($buf, $pos, $le - $pos) =~ /^([0-9a-fA-F]+)/;
            return ({ %$res, status => 0, reason => 'bad chunk', body => $buf }, length $buf)
                unless defined $size;
            $size = hex $size;
            $pos = $le + 2;
            if ($size == 0) {
                # trailers until an empty line
                while (1) {
                    my $te = index($buf, "\r\n", $pos);
                    return () if $te < 0;
                    my $empty = $te == $pos;
                    $pos = $te + 2;
                    last if $empty;
                }
                $res->{body} = $body;
                return ($res, $pos);
            }
            return () if length($buf) < $pos + $size + 2;
            $body .= substr($buf, $pos, $size);
            $pos += $size + 2;
        }
    }
    if (defined $h{'content-length'}) {
        my $len = $h{'content-length'} + 0;
        return () if length($buf) < $pos + $len;
        $res->{body} = substr($buf, $pos, $len);
        return ($res, $pos + $len);
    }
    # read until close
    return () unless $eof;
    $res->{body} = substr($buf, $pos);
    return ($res, length $buf);
}

# raw_request($bytes, %opt): send bytes as they are on a fresh connection,
# read one response. %opt: timeout, head. Stops writing early if the server
# answers first (e.g. 413 on a huge body). Returns the same hash as api(),
# plus {written}; status 0 when no (complete) response came back.
sub raw_request {
    my ($bytes, %opt) = @_;
    croak "raw_request(): wide characters; pass bytes" if $bytes =~ /[^\x00-\xff]/;
    my $c = Smscamp::Test::Conn->new;
    my $written = $c->send($bytes, stop_on_read => 1, timeout => $opt{timeout});
    my $res = $c->read_response(timeout => $opt{timeout}, head => $opt{head});
    my $err = $c->{error};
    $c->close;
    $res //= _finish_response({ status => 0, reason => 'no response' . ($err ? " ($err)" : ''),
                                headers => {}, body => '' });
    $res->{written} = $written;
    return $res;
}

# ---------------------------------------------------------------------------
# Database

# psql($sql, %vars): run SQL as the superuser; psql variables (:'name') are
# set from %vars, so values never need quoting. Returns the unaligned,
# tuples-only output, decoded from UTF-8, with surrounding whitespace trimmed.
# Dies if psql fails.
sub psql {
    my ($sql, %vars) = @_;
    my $tmp = File::Temp->new(SUFFIX => '.sql');
    binmode $tmp;
    my $bytes = $sql;
    utf8::encode($bytes) if utf8::is_utf8($bytes);
    print $tmp $bytes;
    close $tmp;
    my @cmd = ('psql', '-X', '-q', '-A', '-t', '-v', 'ON_ERROR_STOP=1');
    for my $k (sort keys %vars) {
        my $v = $vars{$k} // '';
        utf8::encode($v) if utf8::is_utf8($v);
        push @cmd, '-v', "$k=$v";
    }
    push @cmd, '-f', $tmp->filename;
    local $ENV{PGCLIENTENCODING} = 'UTF8';
    local $ENV{PGCONNECT_TIMEOUT} = $ENV{PGCONNECT_TIMEOUT} // 10;
    local $ENV{PGDATABASE} = $ENV{PGDATABASE} // 'smscamp';
    open(my $fh, '-|', @cmd) or die "cannot run psql: $!\n";
    binmode $fh;
    local $/;
    my $out = <$fh> // '';
    close $fh;
    die "psql failed (exit " . ($? >> 8) . ") running: $sql\n" if $?;
    utf8::decode($out);
    $out =~ s/\A\s+//;
    $out =~ s/\s+\z//;
    return $out;
}

# psql_json($sql, %vars): the single value the query returns, decoded as JSON
# (undef when the query returns no row or NULL).
sub psql_json {
    my $out = psql(@_);
    return undef unless length $out;
    my $bytes = $out;
    utf8::encode($bytes);
    return $JSON->decode($bytes);
}

# A fingerprint of the whole leads table: row count + md5 of every row.
sub db_fingerprint {
    return psql(q{SELECT count(*) || ' ' || coalesce(md5(string_agg(l::text, E'\n' ORDER BY l.id)), '-') FROM leads l});
}

# leads_snapshot(): the fingerprint of the leads table now, remembered for leads_unchanged.
my $leads_snapshot;
sub leads_snapshot { return $leads_snapshot = db_fingerprint() }

# leads_unchanged($what): one test, that the leads table is as it was at the last leads_snapshot().
sub leads_unchanged {
    my ($what) = @_;
    local $Test::Builder::Level = $Test::Builder::Level + 1;
    croak 'leads_unchanged before leads_snapshot' unless defined $leads_snapshot;
    return Test::More::is(db_fingerprint(), $leads_snapshot, "$what: stored leads unchanged");
}

sub lead_count { psql('SELECT count(*) FROM leads') + 0 }

# The stored row of a lead (row_to_json), or undef.
sub db_lead {
    my ($id) = @_;
    return psql_json(q{SELECT row_to_json(l) FROM leads l WHERE l.id = (:'id')::bigint}, id => $id);
}

sub phone_in_db {
    my ($phone) = @_;
    return psql(q{SELECT count(*) FROM leads WHERE phone = :'p'}, p => $phone) + 0;
}

# An id that no lead has.
sub missing_lead_id {
    return psql('SELECT coalesce(max(id), 0) + 1000000 FROM leads') + 0;
}

# ---------------------------------------------------------------------------
# Unique data

my $tok_n = 0;
my $tok_base = sprintf('%x%04x', $$, int rand 65536);

# A short alphanumeric token unique to this run (for names, search terms).
sub unique_token {
    $tok_n++;
    return "zq${tok_base}n${tok_n}x";    # no token is a prefix of another
}

# Phones: +1 NPA NXX LINE, from (NPA, NXX) blocks that hold no stored phone
# when this process first uses them; LINE counts up from 0000.
my @NPA = qw(206 212 213 303 305 310 312 404 408 415 503 510 512 602 617
             646 650 702 718 720 805 858 916 925 949);
my %blocks_used;
my ($blk_npa, $blk_nxx, $blk_line);

sub _new_block {
    for (1 .. 500) {
        my $npa = $NPA[int rand @NPA];
        my $nxx = 200 + int rand 800;
        next if $nxx =~ /11$/;
        my $prefix = "+1$npa$nxx";
        next if $blocks_used{$prefix}++;
        my $n = psql(q{SELECT count(*) FROM leads WHERE phone LIKE :'p'}, p => "$prefix%");
        next if $n;
        ($blk_npa, $blk_nxx, $blk_line) = ($npa, $nxx, 0);
        return;
    }
    die "could not find a free phone block\n";
}

# (npa, nxx, line) of a phone no lead has; E.164 is "+1$npa$nxx$line".
sub unique_phone_parts {
    _new_block() if !defined $blk_npa || $blk_line > 9999;
    my $line = sprintf '%04d', $blk_line++;
    return ($blk_npa, $blk_nxx, $line);
}

# A valid E.164 phone no lead has, e.g. +14155550123.
sub unique_phone {
    my ($npa, $nxx, $line) = unique_phone_parts();
    return "+1$npa$nxx$line";
}

# create_lead(%fields): POST /api/leads with a unique name and phone unless
# given; returns the decoded lead. Dies (failing the test) unless 201.
sub create_lead {
    my (%fields) = @_;
    my %body = (name => 'Test Lead ' . unique_token(), phone => unique_phone(), %fields);
    my $res = api(POST => '/api/leads', \%body);
    unless ($res->{status} == 201 && ref $res->{json} eq 'HASH' && $res->{json}{id}) {
        Test::More::diag('create_lead(' . $JSON->encode(\%body) . ') failed: ' . res_summary($res));
        croak "create_lead failed with HTTP $res->{status}";
    }
    return $res->{json};
}

# ---------------------------------------------------------------------------
# Assertions

my $LEAK_RE = qr/PL\/pgSQL function|SQL statement "|\bCONTEXT:|\bSQLSTATE\b|\bpg_catalog\b|\bERROR:\s/;

sub _json_problems {
    my ($res) = @_;
    my @p;
    push @p, "Content-Type is '$res->{content_type}', expected application/json"
        unless $res->{content_type} =~ m{^application/json\s*(?:;|\z)}i;
    push @p, 'body is not JSON' unless defined $res->{json};
    push @p, 'body leaks internals' if ($res->{body} // '') =~ $LEAK_RE;
    return @p;
}

# The status is not $status (a number or [list]): that problem, or none.
sub _status_problems {
    my ($res, $status) = @_;
    my @ok = ref $status ? @$status : ($status);
    return if grep { $res->{status} == $_ } @ok;
    return "status $res->{status}, expected " . join(' or ', @ok);
}

# One test named $name: it passes when there are no @problems; else they and the answer
# are its diagnostics. Returns whether it passed.
sub _ok_unless {
    my ($res, $name, @problems) = @_;
    local $Test::Builder::Level = $Test::Builder::Level + 1;
    my $tb = Test::More->builder;
    $tb->ok(!@problems, $name) or $tb->diag(join("\n", @problems, res_summary($res)));
    return !@problems;
}

# is_json_response($res, $status, $name): status (a number or [list]), JSON
# content type, body parses as JSON.
sub is_json_response {
    my ($res, $status, $name) = @_;
    local $Test::Builder::Level = $Test::Builder::Level + 1;
    return _ok_unless($res, $name, _status_problems($res, $status), _json_problems($res));
}

# is_json_error($res, $status, $name): status (a number or [list]), JSON content
# type, a JSON object with a non-empty "detail" (string or list), no leaks.
sub is_json_error {
    my ($res, $status, $name) = @_;
    local $Test::Builder::Level = $Test::Builder::Level + 1;
    my @p = (_status_problems($res, $status), _json_problems($res));
    my $j = $res->{json};
    if (ref $j ne 'HASH') {
        push @p, 'body is not a JSON object';
    } elsif (!exists $j->{detail}) {
        push @p, 'no "detail" key';
    } elsif (!(ref $j->{detail} eq 'ARRAY' && @{ $j->{detail} })
             && !(defined $j->{detail} && !ref $j->{detail} && length $j->{detail})) {
        push @p, '"detail" is neither a non-empty string nor a non-empty list';
    }
    return _ok_unless($res, $name, @p);
}

sub _loc_str { '[' . join(',', map { defined $_ ? $_ : 'null' } @{ $_[0] }) . ']' }

# is_fastapi_422($res, $loc, $name, %opt)
# 422, JSON, {"detail":[{"loc":[...],"msg":"...","type":"..."}, ...]} with every
# entry well-formed; if $loc (arrayref) is given, one entry has exactly that loc.
# %opt: type => expected type of that entry, msg_like => qr// for its msg.
# Returns the matching entry (or the first one when $loc is undef).
sub is_fastapi_422 {
    my ($res, $loc, $name, %opt) = @_;
    local $Test::Builder::Level = $Test::Builder::Level + 1;
    $name //= 'FastAPI-style 422' . ($loc ? ' at ' . _loc_str($loc) : '');
    my @p = (_status_problems($res, 422), _json_problems($res));
    my $d = ref $res->{json} eq 'HASH' ? $res->{json}{detail} : undef;
    my $match;
    if (ref $d ne 'ARRAY' || !@$d) {
        push @p, '"detail" is not a non-empty list';
    } else {
        for my $e (@$d) {
            if (ref $e ne 'HASH') { push @p, 'a detail entry is not an object'; next }
            push @p, 'a detail entry has no non-empty "loc" list'
                unless ref $e->{loc} eq 'ARRAY' && @{ $e->{loc} }
                    && !grep { !defined $_ || ref $_ } @{ $e->{loc} };
            push @p, 'a detail entry has no "msg" string'
                unless defined $e->{msg} && !ref $e->{msg} && length $e->{msg};
            push @p, 'a detail entry has no "type" string'
                unless defined $e->{type} && !ref $e->{type} && length $e->{type};
        }
        if ($loc) {
            my $want = _loc_str($loc);
            ($match) = grep { ref $_ eq 'HASH' && ref $_->{loc} eq 'ARRAY' && _loc_str($_->{loc}) eq $want } @$d;
            if (!$match) {
                push @p, "no error at loc $want; locs: "
                    . join(' ', map { ref $_ eq 'HASH' && ref $_->{loc} eq 'ARRAY' ? _loc_str($_->{loc}) : '?' } @$d);
            } else {
                push @p, "type at $want is '" . ($match->{type} // '') . "', expected '$opt{type}'"
                    if defined $opt{type} && ($match->{type} // '') ne $opt{type};
                push @p, "msg at $want '" . ($match->{msg} // '') . "' does not match $opt{msg_like}"
                    if defined $opt{msg_like} && ($match->{msg} // '') !~ $opt{msg_like};
            }
        } else {
            $match = $d->[0];
        }
    }
    _ok_unless($res, $name, @p);
    return $match;
}

# ---------------------------------------------------------------------------
# nginx error log

sub _error_log { ($ENV{SMSCAMP_INSTANCE} // '') . '/log/nginx-error.log' }

sub error_log_size { my $f = _error_log(); return -e $f ? -s $f : 0 }

# The part of the nginx error log written after byte offset $from ('' if none).
sub error_log_tail {
    my ($from) = @_;
    my $f = _error_log();
    open(my $fh, '<:raw', $f) or return '';
    seek $fh, $from // 0, 0;
    local $/;
    my $t = <$fh> // '';
    close $fh;
    return $t;
}

1;
