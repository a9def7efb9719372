package Smscamp::Engine;

# Helpers for the workflow engine's end-to-end tests (t/http/7*.t):
#
#   * the fake OpenAI + Twilio server (t/fakes/fake_providers.js): the harness
#     starts it and sets SMSCAMP_FAKE_URL; when that is not set (a test run by
#     hand with prove) the first fake_url() call starts a private one;
#   * engine settings (ALTER SYSTEM SET smscamp.* + pg_reload_conf()), always
#     restored at exit, because the next test files run on the same instance;
#   * leads and campaigns made in SQL, starting and waiting for campaigns;
#   * the worker processes, SIGKILL, PostgreSQL restarts.
#
# Core modules only. Uses Smscamp::Test for psql().

use strict;
use warnings;

use Carp qw(croak);
use Cwd ();
use Exporter 'import';
use File::Basename ();
use File::Temp ();
use HTTP::Tiny;
use JSON::PP;
use POSIX ();
use Test::More ();
use Time::HiRes ();

use Smscamp::Test qw(psql psql_json api json_encode);

our @EXPORT = qw(
    fake_url fake_get fake_post fake_reset fake_config
    fake_messages fake_recipients fake_recipients_twice fake_sms_requests fake_llm_requests
    set_engine reset_engine use_fake_providers
    make_leads free_phone_prefix create_campaign add_leads start_campaign cancel_campaign
    wait_for wait_campaign campaign_row lead_counts leads_of
    worker_pids pg_log_size pg_log_since pg_restart wait_health
);

my $JSON = JSON::PP->new->utf8->canonical->allow_nonref;
my $ROOT = $ENV{SMSCAMP_ROOT}
    // Cwd::abs_path(File::Basename::dirname(__FILE__) . '/../../..');
my $OWNER = $$;

# ---------------------------------------------------------------------------
# The fake providers

my ($FAKE_URL, $FAKE_PID, $FAKE_DIR);

sub fake_url {
    return $FAKE_URL if defined $FAKE_URL;
    if ($ENV{SMSCAMP_FAKE_URL}) {
        ($FAKE_URL = $ENV{SMSCAMP_FAKE_URL}) =~ s{/+\z}{};
        return $FAKE_URL;
    }
    # not under the harness: start our own on a free port
    $FAKE_DIR = File::Temp->newdir('smscamp-fake-XXXXXX', TMPDIR => 1);
    my $portfile = "$FAKE_DIR/port";
    my $pid = fork // die "fork: $!\n";
    if (!$pid) {
        open STDIN, '<', '/dev/null';
        open STDOUT, '>', "$FAKE_DIR/log";
        open STDERR, '>&', \*STDOUT;
        exec 'node', "$ROOT/t/fakes/fake_providers.js", '--port', 0, '--portfile', $portfile
            or POSIX::_exit(127);
    }
    $FAKE_PID = $pid;
    for (1 .. 100) {
        last if -s $portfile;
        Time::HiRes::sleep(0.1);
    }
    open(my $fh, '<', $portfile) or die "the fake providers did not start (node t/fakes/fake_providers.js)\n";
    my $port = <$fh>;
    close $fh;
    chomp $port;
    $FAKE_URL = "http://127.0.0.1:$port";
    Test::More::note("started the fake providers on $FAKE_URL (pid $pid)");
    return $FAKE_URL;
}

END {
    if ($FAKE_PID && $$ == $OWNER) {
        kill 'TERM', $FAKE_PID;
        waitpid $FAKE_PID, 0;
    }
}

sub _fake_request {
    my ($method, $path, $body) = @_;
    my $http = HTTP::Tiny->new(timeout => 30, keep_alive => 0);
    my %opt;
    if (defined $body) {
        $opt{content} = $JSON->encode($body);
        $opt{headers} = { 'content-type' => 'application/json' };
    }
    my $r = $http->request($method, fake_url() . $path, \%opt);
    my $json = eval { $JSON->decode($r->{content} // '') };
    croak "fake $method $path: HTTP $r->{status} " . substr($r->{content} // '', 0, 300)
        unless $r->{status} =~ /^2/ && defined $json;
    return $json;
}

sub fake_get  { _fake_request(GET => @_) }
sub fake_post { _fake_request(POST => @_) }

# records, counters and rule counters cleared; the startup config restored
sub fake_reset { fake_post('/_fake/reset') }

# merge knobs into the live config (a rules map is replaced as a whole)
sub fake_config { fake_post('/_fake/config', $_[0]) }

sub _query {
    my (%q) = @_;
    return '' unless %q;
    return '?' . join('&', map {
        my $v = $q{$_};
        $v =~ s/([^A-Za-z0-9_.~-])/sprintf('%%%02X', ord $1)/ge;
        "$_=$v";
    } sort keys %q);
}

# the accepted messages (arrayref of hashes: sid, to, body, num_segments, ...)
sub fake_messages { fake_get('/_fake/messages' . _query(@_))->{messages} }

# { phone => how many messages the fake SMS provider received for it }
sub fake_recipients {
    my %n;
    $n{ $_->{to} }++ for @{ fake_messages(@_) };
    return \%n;
}

# the recipients the fake SMS provider received more than one message for
sub fake_recipients_twice {
    my $n = fake_recipients(@_);
    return grep { $n->{$_} > 1 } sort keys %$n;
}

# every SMS request with its outcome (ok, 400, 429, 500, timeout, ...)
sub fake_sms_requests { fake_get('/_fake/sms-requests' . _query(@_))->{requests} }

# every LLM request (messages, content, outcome)
sub fake_llm_requests { fake_get('/_fake/llm-requests' . _query(@_))->{requests} }

# ---------------------------------------------------------------------------
# Engine settings

my %SET;    # names this process changed with ALTER SYSTEM

# set_engine(name => value, ...): ALTER SYSTEM SET smscamp.<name>, reload, and
# wait until a new session sees the values (the workers reload on SIGHUP
# within milliseconds; the extra pause covers a worker busy in a transaction).
sub set_engine {
    my (%kv) = @_;
    my (@sql, %vars, $i);
    for my $k (sort keys %kv) {
        croak "bad setting name '$k'" unless $k =~ /^[a-z_]+$/;
        $i++;
        $SET{$k} = 1;
        push @sql, "ALTER SYSTEM SET smscamp.$k = :'v$i';";
        $vars{"v$i"} = $kv{$k};
    }
    psql(join("\n", @sql, 'SELECT pg_reload_conf();'), %vars);
    my %visible = map { $_ => $kv{$_} } grep { !/api_key|auth_token/ } keys %kv;
    _wait_settings(\%visible);
    return;
}

# reset_engine(): ALTER SYSTEM RESET of everything set_engine changed, reload.
sub reset_engine {
    return unless %SET;
    my @names = sort keys %SET;
    psql(join("\n", (map { "ALTER SYSTEM RESET smscamp.$_;" } @names), 'SELECT pg_reload_conf();'));
    %SET = ();
    _wait_settings({});
    return;
}

sub _wait_settings {
    my ($want) = @_;
    my $deadline = Time::HiRes::time() + 10;
    while (%$want) {
        my $ok = 1;
        for my $k (keys %$want) {
            my $v = eval { psql("SHOW smscamp.$k") } // '';
            $ok = 0 unless $v eq $want->{$k};
        }
        last if $ok;
        croak 'settings not visible after 10 s: ' . join(', ', %$want)
            if Time::HiRes::time() > $deadline;
        Time::HiRes::sleep(0.1);
    }
    Time::HiRes::sleep(1);
}

# Point the engine at the fake: LLM (OpenAI-compatible) and SMS (Twilio).
# %extra: more settings (e.g. max_attempts => 2).
sub use_fake_providers {
    my (%extra) = @_;
    my $url = fake_url();
    set_engine(
        openai_base_url    => "$url/v1",
        openai_api_key     => 'sk-test',
        sms_provider       => 'twilio',
        twilio_base_url    => $url,
        twilio_account_sid => 'ACtest',
        twilio_auth_token  => 'tok-test',
        sms_from           => '+15005550006',
        %extra,
    );
}

# Settings are restored even when a test dies.
END {
    if (%SET && $$ == $OWNER) {
        my $rc = $?;
        eval { reset_engine(); 1 } or Test::More::diag("could not restore the engine settings: $@");
        $? = $rc;
    }
}

# ---------------------------------------------------------------------------
# Leads and campaigns (SQL, so the tests do not depend on the campaign routes)

my @NPA = qw(206 212 213 303 305 310 312 404 408 415 503 510 512 602 617
             646 650 702 718 720 805 858 916 925 949);
my %prefix_used;

# '+1NPANXX' of a block of 10,000 numbers no lead and no opt-out has, in area
# code $npa when given (its time zone matters for quiet hours), else any of @NPA
sub free_phone_prefix {
    my ($npa) = @_;
    for (1 .. 500) {
        my $prefix = '+1' . ($npa // $NPA[int rand @NPA]) . (200 + int rand 800);
        next if $prefix =~ /11\z/ || $prefix_used{$prefix}++;
        my $n = psql(q{SELECT (SELECT count(*) FROM leads WHERE phone LIKE :'p' || '%')
                            + (SELECT count(*) FROM opt_outs WHERE phone LIKE :'p' || '%')},
                     p => $prefix);
        return $prefix if $n == 0;
    }
    die "no free phone block\n";
}

my $lead_run = 0;

# make_leads($n, %opt): $n leads inserted in SQL; returns an arrayref of
# { id, name, first, phone, company } in insertion order.
#   company => sub { my $i = shift; ... } or a string (default none)
#   phones  => [ ... ] (exact phones instead of a fresh block)
#   npa     => '212' (the fresh block's area code: its time zone)
#   notes   => string
sub make_leads {
    my ($n, %o) = @_;
    $lead_run++;
    my $tag = sprintf 'r%x%d', $$ % 65536, $lead_run;
    my $prefix = $o{phones} ? undef : free_phone_prefix($o{npa});
    my @leads;
    for my $i (0 .. $n - 1) {
        my $first = 'Ann' . _letters($i) . $tag;     # unique, alphabetic + tag
        my $company = ref $o{company} eq 'CODE' ? $o{company}->($i) : $o{company};
        push @leads, {
            name    => "$first Doe",
            first   => $first,
            phone   => $o{phones} ? $o{phones}[$i] : $prefix . sprintf('%04d', $i),
            company => $company,
        };
    }
    my $rows = $JSON->encode([ map { [ $_->{name}, $_->{phone}, $_->{company}, $o{notes} ] } @leads ]);
    my $ids = psql(<<'SQL', rows => $rows);
WITH input AS (
    SELECT r->>0 AS name, r->>1 AS phone, r->>2 AS company, r->>3 AS notes, ord
      FROM jsonb_array_elements(:'rows'::jsonb) WITH ORDINALITY AS t(r, ord)
), ins AS (
    INSERT INTO leads (name, phone, company, notes)
    SELECT name, phone, company, notes FROM input ORDER BY ord
    RETURNING id, phone
)
SELECT string_agg(ins.id::text, ',' ORDER BY input.ord)
  FROM ins JOIN input ON input.phone = ins.phone
SQL
    my @ids = split /,/, $ids;
    croak "make_leads: inserted " . scalar(@ids) . " of $n" unless @ids == $n;
    $leads[$_]{id} = $ids[$_] for 0 .. $#ids;
    return \@leads;
}

sub _letters {
    my ($i) = @_;
    my $s = '';
    do { $s = chr(ord('a') + $i % 26) . $s; $i = int($i / 26) } while ($i > 0);
    return $s;
}

# create_campaign(%o): a draft campaign; returns its id.
#   prompt, send_window (undef = NULL, the default here: tests are not about
#   quiet hours unless they say so), max_send_errors, messages_per_second,
#   agent_type, temperature (hundredths), name
sub create_campaign {
    my (%o) = @_;
    my %v = (
        name => $o{name} // ('e2e ' . ($0 =~ s{.*/}{}r) . ' ' . time),
        prompt => $o{prompt} // 'You are a friendly rep for Sunny Roofs. Our spring sale on solar panels starts Monday!',
        window => $o{send_window} // '',
        mse => $o{max_send_errors} // 10,
        mps => $o{messages_per_second} // 0,
        agent => $o{agent_type} // 'sms',
        temp => $o{temperature} // 70,
    );
    return psql(<<'SQL', %v) + 0;
INSERT INTO campaigns (name, sms_system_prompt, send_window, max_send_errors,
                       messages_per_second, agent_type, sms_temperature)
VALUES (:'name', :'prompt', nullif(:'window', ''), (:'mse')::int,
        (:'mps')::numeric, :'agent', (:'temp')::int)
RETURNING id
SQL
}

# add_leads($campaign_id, \@leads or \@ids)
sub add_leads {
    my ($cid, $leads) = @_;
    my $ids = join ',', map { ref $_ ? $_->{id} : $_ } @$leads;
    psql(q{INSERT INTO campaign_leads (campaign_id, lead_id)
           SELECT (:'c')::bigint, unnest(string_to_array(:'ids', ',')::bigint[])},
         c => $cid, ids => $ids);
}

# start: smscamp_start() when it exists, else draft -> pending + wake.
sub start_campaign {
    my ($cid) = @_;
    my $has = psql(q{SELECT EXISTS (SELECT FROM pg_proc WHERE proname = 'smscamp_start')});
    if ($has eq 't') {
        psql(q{SELECT smscamp_start((:'c')::bigint)}, c => $cid);
    } else {
        psql(q{UPDATE campaigns SET status = 'pending' WHERE id = (:'c')::bigint; SELECT smscamp_wake();},
             c => $cid);
    }
}

# cancel (leftovers of a test must not keep the workers busy)
sub cancel_campaign {
    my ($cid) = @_;
    eval {
        if (psql(q{SELECT EXISTS (SELECT FROM pg_proc WHERE proname = 'smscamp_cancel')}) eq 't') {
            psql(q{SELECT smscamp_cancel((:'c')::bigint)
                    FROM campaigns WHERE id = (:'c')::bigint
                     AND status IN ('scheduled', 'pending', 'processing', 'paused')}, c => $cid);
        } else {
            psql(q{UPDATE campaigns SET status = 'cancelled'
                    WHERE id = (:'c')::bigint AND status IN ('pending', 'processing', 'paused')}, c => $cid);
        }
        1;
    } or Test::More::diag("cancel_campaign($cid): $@");
}

# wait_for($timeout_s, $code, $interval): poll until $code returns true
# (errors, e.g. while PostgreSQL restarts, count as false; psql's complaints
# meanwhile are kept out of the test output, and shown on a timeout).
# Returns the last true value, or undef on timeout.
sub wait_for {
    my ($timeout, $code, $interval) = @_;
    my $deadline = Time::HiRes::time() + $timeout;
    my $errors = File::Temp->new;
    open(my $saved, '>&', \*STDERR) or die "dup STDERR: $!\n";
    open(STDERR, '>&', $errors) or die "redirect STDERR: $!\n";
    my ($v, $last_error);
    while (1) {
        $v = eval { $code->() };
        $last_error = $@ if $@;
        last if $v;
        if (Time::HiRes::time() > $deadline) { $v = undef; last }
        Time::HiRes::sleep($interval // 0.2);
    }
    open(STDERR, '>&', $saved) or die "restore STDERR: $!\n";
    if (!$v) {
        seek $errors, 0, 0;
        my @tail = grep { defined } (<$errors>)[-5 .. -1];
        Test::More::diag("wait_for: timed out after ${timeout} s"
                         . ($last_error ? "; last error: $last_error" : '')
                         . (@tail ? "; stderr:\n" . join('', @tail) : ''));
    }
    return $v;
}

sub campaign_row {
    my ($cid) = @_;
    return psql_json(q{SELECT row_to_json(c) FROM campaigns c WHERE id = (:'c')::bigint}, c => $cid);
}

# wait_campaign($cid, $timeout_s, @statuses): until the campaign's status is
# one of @statuses (default completed); returns the final status (or the
# status at the timeout).
sub wait_campaign {
    my ($cid, $timeout, @want) = @_;
    @want = ('completed') unless @want;
    my %want = map { $_ => 1 } @want;
    my $last = '';
    wait_for($timeout, sub {
        $last = psql(q{SELECT status FROM campaigns WHERE id = (:'c')::bigint}, c => $cid);
        return $want{$last};
    }, 0.25);
    return $last;
}

# { status => count } of a campaign's leads
sub lead_counts {
    my ($cid) = @_;
    my $j = psql_json(q{SELECT coalesce(json_object_agg(status, n), '{}') FROM
                        (SELECT status, count(*) AS n FROM campaign_leads
                          WHERE campaign_id = (:'c')::bigint GROUP BY status) s}, c => $cid);
    return $j;
}

# the campaign's leads: arrayref of hashes (campaign_leads columns + phone, name)
sub leads_of {
    my ($cid) = @_;
    return psql_json(q{SELECT coalesce(json_agg(x ORDER BY x.id), '[]') FROM
                        (SELECT cl.*, l.phone, l.name, l.company FROM campaign_leads cl
                           JOIN leads l ON l.id = cl.lead_id
                          WHERE cl.campaign_id = (:'c')::bigint) x}, c => $cid);
}

# ---------------------------------------------------------------------------
# Processes

sub worker_pids {
    my $out = psql(q{SELECT string_agg(pid::text, ' ' ORDER BY pid) FROM pg_stat_activity
                      WHERE backend_type = 'smscamp worker'});
    return grep { /^\d+$/ } split ' ', $out;
}

sub _pg_log { ($ENV{SMSCAMP_INSTANCE} // '') . '/log/postgresql.log' }

sub pg_log_size { my $f = _pg_log(); return -e $f ? -s $f : 0 }

# what the PostgreSQL log got after byte offset $from
sub pg_log_since {
    my ($from) = @_;
    open(my $fh, '<:raw', _pg_log()) or return '';
    seek $fh, $from // 0, 0;
    local $/;
    my $t = <$fh> // '';
    close $fh;
    return $t;
}

# pg_restart(@mode): pg_ctl restart -m fast (as the postgres OS user when we
# are root), keeping the instance's log file. Returns pg_ctl's exit status.
sub pg_restart {
    my ($mode) = @_;
    my $inst = $ENV{SMSCAMP_INSTANCE} or croak 'SMSCAMP_INSTANCE is not set';
    my $pgbin = $ENV{PGBIN} // '/usr/lib/postgresql/15/bin';
    my @cmd = ("$pgbin/pg_ctl", '-D', "$inst/pg", '-l', "$inst/log/postgresql.log",
               '-m', $mode // 'fast', '-w', '-t', '60', 'restart');
    unshift @cmd, 'runuser', '-u', 'postgres', '--' if $> == 0;
    my $pid = fork // die "fork: $!\n";
    if (!$pid) {
        chdir '/';
        open STDIN, '<', '/dev/null';
        open STDOUT, '>', '/dev/null';
        open STDERR, '>', '/dev/null';
        exec @cmd or POSIX::_exit(127);
    }
    waitpid $pid, 0;
    return $? >> 8;
}

# until GET /api/health answers 200 (true) or $timeout s pass (false)
sub wait_health {
    my ($timeout) = @_;
    return wait_for($timeout // 10, sub {
        local $Smscamp::Test::TIMEOUT = 3;
        api(GET => '/api/health')->{status} == 200;
    }, 0.2);
}

1;
