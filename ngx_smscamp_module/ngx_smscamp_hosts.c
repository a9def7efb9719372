/*
 * The hosts of a multi-host dsn, for the pool (ngx_smscamp_pool.c): parsed
 * once, lists rotated so that a chosen host comes first, and which host a
 * PGconn is at.
 *
 * The dsn may name several hosts (a multi-host conninfo, URI or keywords:
 * a pg_auto_failover formation, target_session_attrs=read-write), which
 * libpq tries in turn. ngx_smscamp_hosts_init() parses such a dsn once and
 * keeps, for each host, the dsn's options for PQconnectStartParams() with
 * the host lists (host, hostaddr, port) rotated so that this host comes
 * first. The pool opens each connection with the last good host (hs->good,
 * the one the last new connection reached) first: a dead first host costs
 * the connection that finds it dead, not every one. A dsn of one host goes
 * to PQconnectStart() as it is.
 *
 * ngx_smscamp_hosts_find() tells which of the hosts a connection is at
 * (connected, or trying), as PQhost() and PQport() say it: for the pool,
 * the host a new connection reached, or the one that did not answer in
 * time.
 */


#include "ngx_smscamp.h"


static ngx_int_t ngx_smscamp_hosts_rotate(ngx_smscamp_hosts_t *hs,
    ngx_pool_t *cp, ngx_log_t *log, PQconninfoOption *opts);
static char *ngx_smscamp_strdup(ngx_pool_t *cp, const char *s);
static ngx_uint_t ngx_smscamp_list_count(const char *list);
static ngx_str_t *ngx_smscamp_list_split(ngx_pool_t *cp, const char *list,
    ngx_uint_t n);
static const char *ngx_smscamp_list_rotate(ngx_pool_t *cp, ngx_str_t *elts,
    ngx_uint_t n, ngx_uint_t first, size_t len);


/*
 * The dsn, parsed once (URI or keywords), into hs (its strings in cp):
 * with more than one host, its options for PQconnectStartParams(), the
 * host lists rotated for each host to come first. Any other dsn, or one
 * that libpq would refuse, leaves hs->nhosts 1: the pool keeps
 * PQconnectStart(dsn), which says what is wrong for every connection.
 */

ngx_int_t
ngx_smscamp_hosts_init(ngx_smscamp_hosts_t *hs, ngx_pool_t *cp,
    ngx_log_t *log, ngx_str_t *dsn)
{
    char              *err;
    ngx_int_t          rc;
    PQconninfoOption  *opts;

    ngx_memzero(hs, sizeof(ngx_smscamp_hosts_t));

    hs->nhosts = 1;

    err = NULL;
    opts = PQconninfoParse((char *) dsn->data, &err);

    if (opts == NULL) {
        /* err may quote the dsn, with its password: not logged */
        ngx_log_debug0(NGX_LOG_DEBUG_HTTP, log, 0,
                       "smscamp: the dsn does not parse, "
                       "connecting with it as it is");

        if (err != NULL) {
            PQfreemem(err);
        }

        return NGX_OK;
    }

    rc = ngx_smscamp_hosts_rotate(hs, cp, log, opts);

    PQconninfoFree(opts);

    return rc;
}


/*
 * As libpq counts hosts: the elements of hostaddr, else of host; host (when
 * hostaddr is set too) as many, port one or as many. The strings are
 * copied into cp (opts is freed after).
 */

static ngx_int_t
ngx_smscamp_hosts_rotate(ngx_smscamp_hosts_t *hs, ngx_pool_t *cp,
    ngx_log_t *log, PQconninfoOption *opts)
{
    char                *val;
    size_t               len;
    ngx_uint_t           i, j, k, n, nkeys, count[3];
    ngx_str_t           *elts[3];
    PQconninfoOption    *o, *list[3];
    ngx_smscamp_host_t  *h;

    /* the options with one value per host */
    static const char   *per_host[] = { "host", "hostaddr", "port" };

    for (i = 0; i < 3; i++) {
        list[i] = NULL;
        count[i] = 0;
        elts[i] = NULL;
    }

    nkeys = 0;

    for (o = opts; o->keyword != NULL; o++) {
        if (o->val == NULL) {
            continue;
        }

        nkeys++;

        /* libpq takes an empty value as none */

        for (i = 0; i < 3 && o->val[0] != '\0'; i++) {
            if (ngx_strcmp(o->keyword, per_host[i]) == 0) {
                list[i] = o;
                count[i] = ngx_smscamp_list_count(o->val);
            }
        }
    }

    n = list[1] ? count[1] : (list[0] ? count[0] : 1);

    if (n < 2
        || (list[0] && count[0] != n)
        || (list[2] && count[2] != 1 && count[2] != n))
    {
        return NGX_OK;
    }

    for (i = 0; i < 3; i++) {
        if (list[i] == NULL) {
            continue;
        }

        elts[i] = ngx_smscamp_list_split(cp, list[i]->val, count[i]);
        if (elts[i] == NULL) {
            return NGX_ERROR;
        }
    }

    /* what PQhost() and PQport() will say of each */

    hs->hosts = ngx_pcalloc(cp, n * sizeof(ngx_smscamp_host_t));
    if (hs->hosts == NULL) {
        return NGX_ERROR;
    }

    for (i = 0; i < n; i++) {
        h = &hs->hosts[i];

        if (list[0] && elts[0][i].len) {
            h->host = elts[0][i];

        } else if (list[1]) {
            h->host = elts[1][i];
        }

        if (list[2]) {
            h->port = elts[2][(count[2] == n) ? i : 0];
        }
    }

    hs->keywords = ngx_palloc(cp, (nkeys + 1) * sizeof(char *));
    hs->values = ngx_palloc(cp, n * sizeof(char **));

    if (hs->keywords == NULL || hs->values == NULL) {
        return NGX_ERROR;
    }

    for (k = 0; k < n; k++) {
        hs->values[k] = ngx_palloc(cp, (nkeys + 1) * sizeof(char *));
        if (hs->values[k] == NULL) {
            return NGX_ERROR;
        }
    }

    j = 0;

    for (o = opts; o->keyword != NULL; o++) {
        if (o->val == NULL) {
            continue;
        }

        hs->keywords[j] = ngx_smscamp_strdup(cp, o->keyword);
        if (hs->keywords[j] == NULL) {
            return NGX_ERROR;
        }

        for (i = 0; i < 3; i++) {
            if (o == list[i] && count[i] == n) {
                break;
            }
        }

        len = ngx_strlen(o->val);
        val = NULL;

        if (i == 3) {
            /* the same for every host first */
            val = ngx_smscamp_strdup(cp, o->val);
            if (val == NULL) {
                return NGX_ERROR;
            }
        }

        for (k = 0; k < n; k++) {
            hs->values[k][j] = val ? val
                                   : ngx_smscamp_list_rotate(cp, elts[i],
                                                             n, k, len);
            if (hs->values[k][j] == NULL) {
                return NGX_ERROR;
            }
        }

        j++;
    }

    hs->keywords[j] = NULL;

    for (k = 0; k < n; k++) {
        hs->values[k][j] = NULL;
    }

    hs->nhosts = n;
    hs->good = 0;

    ngx_log_debug1(NGX_LOG_DEBUG_HTTP, log, 0,
                   "smscamp: the dsn has %ui hosts, the last good one "
                   "is tried first", n);

    return NGX_OK;
}


/* a copy of s in cp; NULL: no memory */

static char *
ngx_smscamp_strdup(ngx_pool_t *cp, const char *s)
{
    size_t   len;
    u_char  *p;

    len = ngx_strlen(s);

    p = ngx_pnalloc(cp, len + 1);
    if (p == NULL) {
        return NULL;
    }

    ngx_memcpy(p, s, len + 1);

    return (char *) p;
}


/* the elements of a comma-separated list, as libpq counts them */

static ngx_uint_t
ngx_smscamp_list_count(const char *list)
{
    ngx_uint_t  n;

    for (n = 1; *list != '\0'; list++) {
        if (*list == ',') {
            n++;
        }
    }

    return n;
}


/* the n elements of a list, in a copy of it in cp; NULL: no memory */

static ngx_str_t *
ngx_smscamp_list_split(ngx_pool_t *cp, const char *list, ngx_uint_t n)
{
    u_char      *p, *end, *comma;
    ngx_str_t   *elts;
    ngx_uint_t   i;

    p = (u_char *) ngx_smscamp_strdup(cp, list);
    elts = ngx_palloc(cp, n * sizeof(ngx_str_t));

    if (p == NULL || elts == NULL) {
        return NULL;
    }

    end = p + ngx_strlen(p);

    for (i = 0; i < n; i++) {
        comma = ngx_strlchr(p, end, ',');
        if (comma == NULL) {
            comma = end;
        }

        elts[i].data = p;
        elts[i].len = comma - p;

        p = comma + 1;
    }

    return elts;
}


/* the list again (len characters), from element first on, in cp */

static const char *
ngx_smscamp_list_rotate(ngx_pool_t *cp, ngx_str_t *elts, ngx_uint_t n,
    ngx_uint_t first, size_t len)
{
    u_char      *s, *p;
    ngx_uint_t   i, k;

    s = ngx_pnalloc(cp, len + 1);
    if (s == NULL) {
        return NULL;
    }

    p = s;

    for (i = 0; i < n; i++) {
        k = (first + i) % n;

        if (i) {
            *p++ = ',';
        }

        p = ngx_cpymem(p, elts[k].data, elts[k].len);
    }

    *p = '\0';

    return (const char *) s;
}


/*
 * The host pg is at (connected, or trying), as PQhost() and PQport() say,
 * looked for in the order libpq tried them (from first on): its index, or
 * NGX_SMSCAMP_HOST_UNKNOWN.
 */

ngx_uint_t
ngx_smscamp_hosts_find(ngx_smscamp_hosts_t *hs, PGconn *pg, ngx_uint_t first)
{
    char                *host, *port;
    size_t               hlen, plen;
    ngx_uint_t           i, k;
    ngx_smscamp_host_t  *h;

    host = PQhost(pg);
    port = PQport(pg);

    if (host == NULL || port == NULL) {
        return NGX_SMSCAMP_HOST_UNKNOWN;
    }

    hlen = ngx_strlen(host);
    plen = ngx_strlen(port);

    for (k = 0; k < hs->nhosts; k++) {
        i = (first + k) % hs->nhosts;
        h = &hs->hosts[i];

        if (h->host.len == hlen
            && ngx_strncmp(h->host.data, host, hlen) == 0
            && (h->port.len == 0
                || (h->port.len == plen
                    && ngx_strncmp(h->port.data, port, plen) == 0)))
        {
            return i;
        }
    }

    return NGX_SMSCAMP_HOST_UNKNOWN;
}
