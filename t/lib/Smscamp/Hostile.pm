package Smscamp::Hostile;

# Helpers for the hostile-input suite (t/http/82-hostile-*.t):
#   routes()          every smscamp_route of ngx_smscamp_module/routes.conf
#   Prober            a forked client that calls /api/health and an authenticated GET
#                     all along, so "the server keeps serving others" is checked *during*
#                     each attack, not only after it
#   alive(WHAT)       the same two calls, now, as tests
#   snapshot()        what is stored (through the API, and fingerprints from the database)
#   server_state()    nginx master + worker pids and PostgreSQL's start time: a crashed
#                     worker is respawned with a new pid, a restarted postmaster has a new time
#   url_escape, SQLI  attack helpers
# Core modules only.

use strict;
use warnings;

use Exporter 'import';
use File::Temp ();
use HTTP::Tiny;
use POSIX ();
use Test::More ();
use Time::HiRes ();
use Smscamp::Test;

our @EXPORT = qw(routes route_path alive snapshot server_state state_unchanged url_escape
                 timed @SQLI start_prober nginx_conf_value nginx_worker_peak_kb);

# SQL injection strings: quotes, comments, stacked statements, UNION, casts, dollar quoting,
# backslashes, and pg_sleep so that an injection that ran would show as a slow answer.
our @SQLI = (
    q{' OR '1'='1},
    q{' OR 1=1 --},
    q{1 OR 1=1},
    q{1; DROP TABLE leads; --},
    q{'; DROP TABLE leads; --},
    q{1' UNION SELECT key_hash, null FROM api_keys --},
    q{1); SELECT pg_sleep(3); --},
    q{'||pg_sleep(3)||'},
    q{$$; DELETE FROM leads; $$},
    q{\\'; TRUNCATE campaigns CASCADE; --},
    q{1::text; COPY leads TO '/tmp/x'},
    q{" OR ""="},
    q{%' OR name LIKE '%},
    q{admin'/*},
);

my $ROOT = $ENV{SMSCAMP_ROOT} // '.';
my $INST = $ENV{SMSCAMP_INSTANCE} // '';

# routes(): [{ method, pattern, fn, params => {args=>1, json=>1, …}, captures => [names] }]
sub routes {
    my $file = "$ROOT/ngx_smscamp_module/routes.conf";
    open(my $fh, '<', $file) or die "cannot read $file: $!\n";
    my @r;
    while (my $l = <$fh>) {
        $l =~ s/#.*//;
        next unless $l =~ /^\s*smscamp_route\s+(\S+)\s+(\S+)\s+(\S+)([^;]*);/;
        my ($m, $p, $fn, $rest) = ($1, $2, $3, $4);
        my %params = map { $_ => 1 } split ' ', $rest;
        push @r, { method => $m, pattern => $p, fn => $fn, params => \%params,
                   captures => [ $p =~ /:(\w+)/g ] };
    }
    return @r;
}

# route_path($route, $id): the pattern with every capture replaced by $id (already escaped)
sub route_path {
    my ($route, $id) = @_;
    (my $p = $route->{pattern}) =~ s/:\w+/$id/g;
    return $p;
}

sub url_escape {
    my ($s) = @_;
    $s =~ s/([^A-Za-z0-9\-._~])/sprintf('%%%02X', ord $1)/ge;
    return $s;
}

# timed(CODE): (result, seconds)
sub timed {
    my ($code) = @_;
    my $t0 = Time::HiRes::time();
    my $r = $code->();
    return ($r, Time::HiRes::time() - $t0);
}

# alive($what): the server answers a health check and an authenticated GET, quickly.
sub alive {
    my ($what) = @_;
    local $Test::Builder::Level = $Test::Builder::Level + 1;
    local $Smscamp::Test::TIMEOUT = 10;
    my $tb = Test::More->builder;
    my ($h, $t1) = timed(sub { api(GET => '/api/health', undef, Authorization => undef) });
    $tb->ok($h->{status} == 200 && ($h->{json}{database} // '') eq 'ok' && $t1 < 5,
            "after $what: GET /api/health is 200, database ok")
        or $tb->diag(sprintf('%.2fs ', $t1) . res_summary($h));
    my ($g, $t2) = timed(sub { api(GET => '/api/leads?limit=1') });
    $tb->ok($g->{status} == 200 && ref $g->{json} eq 'HASH' && $t2 < 5,
            "after $what: an authenticated GET /api/leads is 200")
        or $tb->diag(sprintf('%.2fs ', $t2) . res_summary($g));
}

# ---------------------------------------------------------------- what is stored

sub _strip {
    my ($v, @keys) = @_;
    return $v unless ref $v eq 'HASH';
    my %c = %$v;
    delete @c{@keys};
    return \%c;
}

# snapshot(%refs): lead_id, campaign_id of fixtures to read back whole.
sub snapshot {
    my (%ref) = @_;
    my %s;
    my $l = api(GET => '/api/leads?limit=1');
    $s{api_leads_total} = $l->{json}{total};
    my $c = api(GET => '/api/campaigns?limit=1');
    $s{api_campaigns_total} = $c->{json}{total};
    my $k = api(GET => '/api/keys?limit=500');
    # (active: a key revoked with an overlap or expiring becomes inactive by itself;
    # its revoked_at and expires_at are still compared)
    $s{api_keys} = [ map { _strip($_, qw(last_used_at active)) } @{ $k->{json}{items} || [] } ];
    $s{api_lead} = api(GET => "/api/leads/$ref{lead_id}")->{json} if $ref{lead_id};
    $s{api_campaign} = _strip(api(GET => "/api/campaigns/$ref{campaign_id}")->{json}, qw(stats))
        if $ref{campaign_id};
    $s{db_leads} = db_fingerprint();
    # draft campaigns and their leads (the workers change nothing there; an attack
    # that started, edited or deleted one would)
    $s{db_drafts} = psql(q{SELECT count(*) || ' ' || coalesce(md5(string_agg(c::text, E'\n' ORDER BY c.id)), '-')
                           FROM campaigns c WHERE c.status = 'draft'});
    $s{db_draft_leads} = psql(q{SELECT count(*) FROM campaign_leads cl JOIN campaigns c ON c.id = cl.campaign_id
                                WHERE c.status = 'draft'});
    $s{db_keys} = psql(q{SELECT count(*) || ' ' || coalesce(md5(string_agg(concat_ws(',', k.id, k.name, k.role,
                             k.revoked_at, k.expires_at), E'\n' ORDER BY k.id)), '-') FROM api_keys k});
    $s{db_tables} = psql(q{SELECT string_agg(relname, ',' ORDER BY relname) FROM pg_class
                           WHERE relkind = 'r' AND relnamespace = 'public'::regnamespace});
    return \%s;
}

# ---------------------------------------------------------------- servers

sub nginx_conf_value {
    my ($directive) = @_;
    open(my $fh, '<', "$INST/nginx/nginx.conf") or return undef;
    while (<$fh>) {
        return $1 if /^\s*\Q$directive\E\s+([^;]+);/;
    }
    return undef;
}

sub _nginx_master {
    open(my $fh, '<', "$INST/run/nginx.pid") or return undef;
    my $pid = <$fh> // '';
    $pid =~ s/\D//g;
    return $pid || undef;
}

# server_state(): { nginx_master, nginx_workers => 'pid,pid', pg_started }
sub server_state {
    my %s;
    my $m = _nginx_master();
    $s{nginx_master} = $m;
    my @w;
    if ($m && opendir(my $d, '/proc')) {
        for my $p (grep { /^\d+$/ } readdir $d) {
            open(my $fh, '<', "/proc/$p/stat") or next;
            my $st = <$fh> // '';
            my ($ppid) = $st =~ /^\d+ \(.*\) \S (\d+)/ or next;
            next unless $ppid == $m;
            open(my $cf, '<', "/proc/$p/cmdline") or next;
            my $cmd = <$cf> // '';
            push @w, $p if $cmd =~ /worker process/;
        }
    }
    $s{nginx_workers} = join ',', sort { $a <=> $b } @w;
    $s{pg_started} = eval { psql('SELECT pg_postmaster_start_time()') } // 'unreachable';
    return \%s;
}

# peak resident memory (kB) of the nginx workers: VmHWM
sub nginx_worker_peak_kb {
    my $st = server_state();
    my $max = 0;
    for my $p (split /,/, $st->{nginx_workers}) {
        open(my $fh, '<', "/proc/$p/status") or next;
        while (<$fh>) { $max = $1 if /^VmHWM:\s+(\d+)/ && $1 > $max }
    }
    return $max;
}

sub state_unchanged {
    my ($before, $what) = @_;
    local $Test::Builder::Level = $Test::Builder::Level + 1;
    Test::More::is_deeply(server_state(), $before,
        "$what: nginx master and workers and PostgreSQL are the same processes (nothing crashed or restarted)");
}

# ---------------------------------------------------------------- the prober

# start_prober(interval): a child process calls GET /api/health (no key) and GET
# /api/leads?limit=1 (the run's key) every `interval` seconds until ->stop, which
# returns { calls, failures => [text], max_latency }.
sub start_prober {
    my ($interval) = @_;
    $interval //= 0.1;
    my $log = File::Temp->new(SUFFIX => '.prober');
    my $path = $log->filename;
    my $pid = fork // die "fork: $!\n";
    if (!$pid) {
        my $stop = 0;
        $SIG{TERM} = sub { $stop = 1 };
        open(my $out, '>>', $path) or POSIX::_exit(1);
        $out->autoflush(1);
        my $ua = HTTP::Tiny->new(timeout => 10, keep_alive => 0, agent => 'smscamp-prober/1');
        my $url = base_url();
        my %auth = defined $ENV{SMSCAMP_API_KEY} ? (authorization => "Bearer $ENV{SMSCAMP_API_KEY}") : ();
        while (!$stop) {
            for my $c (['health', '/api/health', {}], ['leads', '/api/leads?limit=1', \%auth]) {
                my $t0 = Time::HiRes::time();
                my $r = $ua->get("$url$c->[1]", { headers => $c->[2] });
                my $dt = Time::HiRes::time() - $t0;
                my $body = substr($r->{content} // '', 0, 120);
                $body =~ s/\s+/ /g;
                printf $out "%.3f %s %d %.3f %s\n", $t0, $c->[0], $r->{status}, $dt, $body;
            }
            Time::HiRes::sleep($interval) unless $stop;
        }
        close $out;
        POSIX::_exit(0);
    }
    return bless { pid => $pid, log => $log, path => $path }, 'Smscamp::Hostile::Prober';
}

{
    package Smscamp::Hostile::Prober;

    # stop(): end the child, read its log
    sub stop {
        my ($self) = @_;
        return $self->{report} if $self->{report};
        kill 'TERM', $self->{pid};
        waitpid $self->{pid}, 0;
        my %rep = (calls => 0, failures => [], max_latency => 0, slowest => '');
        open(my $fh, '<', $self->{path}) or return \%rep;
        while (my $l = <$fh>) {
            chomp $l;
            my ($t, $kind, $status, $dt, $body) = split / /, $l, 5;
            next unless defined $dt;
            $rep{calls}++;
            push @{ $rep{failures} }, "$kind: HTTP $status after ${dt}s: " . ($body // '')
                unless $status == 200;
            if ($dt > $rep{max_latency}) { $rep{max_latency} = $dt; $rep{slowest} = $kind }
        }
        return $self->{report} = \%rep;
    }

    # check($what, $max_latency): tests on the report
    sub check {
        my ($self, $what, $max) = @_;
        local $Test::Builder::Level = $Test::Builder::Level + 1;
        my $rep = $self->stop;
        Test::More::cmp_ok($rep->{calls}, '>', 0, "$what: the background client made calls ($rep->{calls})");
        Test::More::is(scalar @{ $rep->{failures} }, 0,
                       "$what: every background health check and authenticated GET was a 200")
            or Test::More::diag(join "\n", @{ $rep->{failures} }[0 .. ($#{ $rep->{failures} } < 9 ? $#{ $rep->{failures} } : 9)]);
        Test::More::cmp_ok($rep->{max_latency}, '<', $max // 5,
                           sprintf('%s: and each answered within %ss (slowest %.2fs, %s)',
                                   $what, $max // 5, $rep->{max_latency}, $rep->{slowest}));
        return $rep;
    }

    sub DESTROY {
        my ($self) = @_;
        return if $self->{report} || !$self->{pid};
        kill 'TERM', $self->{pid};
        waitpid $self->{pid}, 0;
    }
}

1;
