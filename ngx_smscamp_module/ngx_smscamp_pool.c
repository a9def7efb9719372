/*
 * A bounded pool of non-blocking libpq connections per nginx worker, kept
 * in the main configuration (smcf->pool), as the upstream keepalive module
 * keeps its cache in its configuration. The pool runs a request's steps
 * (ngx_smscamp_ctx_t): each step's statement, prepared on a connection the
 * first time it runs there, with the step's parameters; the step's handler
 * reads the result and says whether to go on. The steps run one after the
 * other on one connection; the last result goes to the request's
 * completion, which answers. The pool knows nothing of what the statements
 * are for; when it cannot run them (no connection in time, the queue full,
 * the connection lost) it answers 503 itself (with Retry-After: 1).
 *
 * The libpq sockets live in nginx's event loop (level-triggered reads,
 * writes only while libpq has something to flush); requests wait in a
 * bounded queue with a timeout when every connection is busy. The pool
 * counts its connections by state and its waiting requests:
 * ngx_smscamp_pool_gauges(), which the metrics read.
 *
 * The dsn may name several hosts, which libpq tries in turn: each new
 * connection starts at the last good one, the one the last new connection
 * reached (the hosts and their rotated lists: ngx_smscamp_hosts.c).
 * smscamp_connect_timeout is for each host libpq tries: the timer starts
 * again when libpq moves to another socket, and when it expires the
 * connection starts over at the next host, until every host has had its
 * turn.
 *
 * A GET or HEAD runs once more, from its first step (the key lookup again)
 * on another connection, when its connection dies under it or a step's
 * result says the server is shutting down or read-only (SQLSTATE class 08,
 * 57P01, 57P02, 57P03, 25006; such a connection is closed, whatever the
 * method). The idle connections to that host are closed first, so that
 * the retry does not land on one of them. Other methods may have written
 * and are never retried; a retried request that fails again is answered
 * 503.
 *
 * A connection: free -> connecting -> idle <-> preparing <-> querying, and
 * back to free when it closes. A request: submitted, waiting (maybe), step
 * 1..n on one connection, completed (or submitted once more). Each change
 * is logged at debug level ("smscamp conn %p: idle -> querying",
 * "smscamp ctx %p: step 1 of 2").
 */


#include "ngx_smscamp.h"


typedef enum {
    NGX_SMSCAMP_CONN_FREE = 0,
    NGX_SMSCAMP_CONN_CONNECTING,
    NGX_SMSCAMP_CONN_IDLE,
    NGX_SMSCAMP_CONN_PREPARING,
    NGX_SMSCAMP_CONN_QUERYING,
    NGX_SMSCAMP_CONN_NSTATES
} ngx_smscamp_conn_state_e;


struct ngx_smscamp_conn_s {
    PGconn                    *pg;
    ngx_connection_t          *connection;
    ngx_smscamp_pool_t        *pool;
    ngx_smscamp_ctx_t         *ctx;
    PGresult                  *result;
    u_char                    *prepared;   /* one flag per statement */
    ngx_queue_t                queue;      /* in pool->idle */
    ngx_file_uniq_t            sock;       /* the socket watched (inode) */
    ngx_uint_t                 first;      /* the host libpq tries first */
    ngx_uint_t                 tried;      /* hosts given up on before */
    ngx_uint_t                 host;       /* the host it reached */
    ngx_smscamp_conn_state_e   state;
};


struct ngx_smscamp_pool_s {
    ngx_smscamp_main_conf_t   *conf;
    ngx_smscamp_conn_t        *conns;
    ngx_queue_t                idle;
    ngx_queue_t                waiting;
    ngx_uint_t                 nwaiting;
    ngx_uint_t                 nconns[NGX_SMSCAMP_CONN_NSTATES]; /* by state */
    ngx_log_t                 *log;
    ngx_smscamp_hosts_t        hosts;      /* the dsn's */
};


#if (NGX_DEBUG)
static const char  *ngx_smscamp_conn_states[] = {
    "free", "connecting", "idle", "preparing", "querying"
};
#endif


static void ngx_smscamp_conn_close_host(ngx_smscamp_conn_t *sc,
    const char *reason);
static void ngx_smscamp_pool_drop(ngx_smscamp_pool_t *pool,
    ngx_uint_t host);
static void ngx_smscamp_conn_state(ngx_smscamp_conn_t *sc,
    ngx_smscamp_conn_state_e state);
static ngx_int_t ngx_smscamp_conn_open(ngx_smscamp_pool_t *pool,
    ngx_smscamp_conn_t *sc);
static ngx_int_t ngx_smscamp_conn_start(ngx_smscamp_conn_t *sc,
    ngx_uint_t first, const char **reason);
static void ngx_smscamp_conn_notice(void *arg, const char *message);
static ngx_int_t ngx_smscamp_conn_watch(ngx_smscamp_conn_t *sc);
static ngx_uint_t ngx_smscamp_conn_moved(ngx_smscamp_conn_t *sc);
static void ngx_smscamp_conn_unwatch(ngx_smscamp_conn_t *sc);
static void ngx_smscamp_conn_close(ngx_smscamp_conn_t *sc,
    const char *reason);
static void ngx_smscamp_conn_event(ngx_event_t *ev);
static void ngx_smscamp_conn_connect(ngx_smscamp_conn_t *sc);
static void ngx_smscamp_conn_timedout(ngx_smscamp_conn_t *sc);
static void ngx_smscamp_conn_reached(ngx_smscamp_conn_t *sc);
static void ngx_smscamp_conn_poll(ngx_smscamp_conn_t *sc, ngx_event_t *ev);
static void ngx_smscamp_conn_ready(ngx_smscamp_conn_t *sc);
static void ngx_smscamp_conn_run(ngx_smscamp_conn_t *sc,
    ngx_smscamp_ctx_t *ctx);
static ngx_int_t ngx_smscamp_conn_step(ngx_smscamp_conn_t *sc);
static ngx_int_t ngx_smscamp_conn_send(ngx_smscamp_conn_t *sc);
static ngx_int_t ngx_smscamp_conn_flush(ngx_smscamp_conn_t *sc);
static void ngx_smscamp_conn_complete(ngx_smscamp_conn_t *sc);
static void ngx_smscamp_conn_fail(ngx_smscamp_conn_t *sc,
    const char *reason);
static char *ngx_smscamp_result_leaving(PGresult *res);
static ngx_uint_t ngx_smscamp_ctx_retry(ngx_smscamp_ctx_t *ctx,
    const char *reason);
static size_t ngx_smscamp_reason_len(const char *reason);
static ngx_int_t ngx_smscamp_write_event(ngx_smscamp_conn_t *sc,
    ngx_uint_t on);
static void ngx_smscamp_wait_timeout(ngx_event_t *ev);
static ngx_smscamp_ctx_t *ngx_smscamp_pool_next(ngx_smscamp_pool_t *pool);
static void ngx_smscamp_fail_waiting(ngx_smscamp_pool_t *pool);
static void ngx_smscamp_ctx_unavailable(ngx_smscamp_ctx_t *ctx,
    const char *detail);
static void ngx_smscamp_pool_grow(ngx_smscamp_pool_t *pool);


ngx_int_t
ngx_smscamp_pool_init(ngx_cycle_t *cycle, ngx_smscamp_main_conf_t *smcf)
{
    ngx_uint_t           i;
    ngx_smscamp_pool_t  *pool;

    pool = ngx_pcalloc(cycle->pool, sizeof(ngx_smscamp_pool_t));
    if (pool == NULL) {
        return NGX_ERROR;
    }

    pool->conf = smcf;
    pool->log = cycle->log;
    ngx_queue_init(&pool->idle);
    ngx_queue_init(&pool->waiting);

    pool->conns = ngx_pcalloc(cycle->pool,
                              smcf->pool_size * sizeof(ngx_smscamp_conn_t));
    if (pool->conns == NULL) {
        return NGX_ERROR;
    }

    for (i = 0; i < smcf->pool_size; i++) {
        pool->conns[i].pool = pool;
        pool->conns[i].prepared = ngx_pcalloc(cycle->pool,
                                              smcf->routes.nelts + 1);
        if (pool->conns[i].prepared == NULL) {
            return NGX_ERROR;
        }
    }

    pool->nconns[NGX_SMSCAMP_CONN_FREE] = smcf->pool_size;

    if (ngx_smscamp_hosts_init(&pool->hosts, cycle->pool, cycle->log,
                               &smcf->dsn)
        != NGX_OK)
    {
        return NGX_ERROR;
    }

    smcf->pool = pool;

    return NGX_OK;
}


/* close sc, whose server is gone or going away, and its other idle connections to it */

static void
ngx_smscamp_conn_close_host(ngx_smscamp_conn_t *sc, const char *reason)
{
    ngx_uint_t           host;
    ngx_smscamp_pool_t  *pool;

    host = sc->host;
    pool = sc->pool;

    ngx_smscamp_conn_close(sc, reason);
    ngx_smscamp_pool_drop(pool, host);
}


/*
 * The server at host is gone or going away: its idle connections go too
 * (all of them when the host cannot be told), before a request, a retry
 * first, picks one of them. One that was fine costs a new connection.
 */

static void
ngx_smscamp_pool_drop(ngx_smscamp_pool_t *pool, ngx_uint_t host)
{
    ngx_uint_t           n;
    ngx_queue_t         *q, *next;
    ngx_smscamp_conn_t  *sc;

    n = 0;

    for (q = ngx_queue_head(&pool->idle);
         q != ngx_queue_sentinel(&pool->idle);
         q = next)
    {
        next = ngx_queue_next(q);
        sc = ngx_queue_data(q, ngx_smscamp_conn_t, queue);

        if (sc->host == host
            || host == NGX_SMSCAMP_HOST_UNKNOWN
            || sc->host == NGX_SMSCAMP_HOST_UNKNOWN)
        {
            ngx_smscamp_conn_close(sc, NULL);
            n++;
        }
    }

    if (n) {
        ngx_log_error(NGX_LOG_WARN, pool->log, 0,
                      "smscamp: %ui idle database connections closed: "
                      "their server is going away", n);
    }
}


void
ngx_smscamp_pool_done(ngx_smscamp_main_conf_t *smcf)
{
    ngx_uint_t           i;
    ngx_smscamp_pool_t  *pool;

    pool = smcf->pool;
    if (pool == NULL) {
        return;
    }

    for (i = 0; i < smcf->pool_size; i++) {
        if (pool->conns[i].state != NGX_SMSCAMP_CONN_FREE) {
            ngx_smscamp_conn_close(&pool->conns[i], NULL);
        }
    }

    smcf->pool = NULL;
}


/* connections by state and waiting requests; pool NULL: none */

void
ngx_smscamp_pool_gauges(ngx_smscamp_pool_t *pool, ngx_uint_t *busy,
    ngx_uint_t *idle, ngx_uint_t *connecting, ngx_uint_t *waiting)
{
    if (pool == NULL) {
        *busy = *idle = *connecting = *waiting = 0;
        return;
    }

    *busy = pool->nconns[NGX_SMSCAMP_CONN_PREPARING]
            + pool->nconns[NGX_SMSCAMP_CONN_QUERYING];
    *idle = pool->nconns[NGX_SMSCAMP_CONN_IDLE];
    *connecting = pool->nconns[NGX_SMSCAMP_CONN_CONNECTING];
    *waiting = pool->nwaiting;
}


/* run ctx's steps now on an idle connection, or queue it */

void
ngx_smscamp_pool_submit(ngx_smscamp_pool_t *pool, ngx_smscamp_ctx_t *ctx)
{
    ngx_queue_t         *q;
    ngx_smscamp_conn_t  *sc;

    ctx->submitted = ngx_current_msec;
    ctx->step = 0;

    ngx_log_debug2(NGX_LOG_DEBUG_HTTP, ctx->request->connection->log, 0,
                   "smscamp ctx %p: submitted, %ui steps", ctx, ctx->nsteps);

    if (pool == NULL) {
        ngx_smscamp_ctx_unavailable(ctx, "No database configured");
        return;
    }

    if (!ngx_queue_empty(&pool->idle)) {
        q = ngx_queue_head(&pool->idle);
        ngx_queue_remove(q);
        sc = ngx_queue_data(q, ngx_smscamp_conn_t, queue);
        ngx_smscamp_conn_run(sc, ctx);
        return;
    }

    if (pool->nwaiting >= pool->conf->queue_size) {
        ngx_log_error(NGX_LOG_WARN, ctx->request->connection->log, 0,
                      "smscamp: wait queue is full (%ui requests)",
                      pool->nwaiting);
        ngx_smscamp_ctx_unavailable(ctx, "Server busy, try again");
        return;
    }

    ngx_queue_insert_tail(&pool->waiting, &ctx->queue);
    pool->nwaiting++;

    ngx_log_debug2(NGX_LOG_DEBUG_HTTP, ctx->request->connection->log, 0,
                   "smscamp ctx %p: waiting, %ui in the queue", ctx,
                   pool->nwaiting);

    ctx->wait_timer.handler = ngx_smscamp_wait_timeout;
    ctx->wait_timer.data = ctx;
    ctx->wait_timer.log = ctx->request->connection->log;
    ngx_add_timer(&ctx->wait_timer, pool->conf->queue_timeout);

    ngx_smscamp_pool_grow(pool);
}


/* open one more connection if requests wait and the pool has room */

static void
ngx_smscamp_pool_grow(ngx_smscamp_pool_t *pool)
{
    ngx_uint_t  i;

    /* one connection attempt at a time is enough */

    if (ngx_queue_empty(&pool->waiting)
        || pool->nconns[NGX_SMSCAMP_CONN_CONNECTING]
        || pool->nconns[NGX_SMSCAMP_CONN_FREE] == 0)
    {
        return;
    }

    for (i = 0; pool->conns[i].state != NGX_SMSCAMP_CONN_FREE; i++) {
        /* void */
    }

    if (ngx_smscamp_conn_open(pool, &pool->conns[i]) != NGX_OK
        && pool->nconns[NGX_SMSCAMP_CONN_FREE] == pool->conf->pool_size)
    {
        ngx_smscamp_fail_waiting(pool);
    }
}


static void
ngx_smscamp_wait_timeout(ngx_event_t *ev)
{
    ngx_smscamp_ctx_t        *ctx;
    ngx_smscamp_main_conf_t  *smcf;

    ctx = ev->data;
    smcf = ngx_http_get_module_main_conf(ctx->request, ngx_smscamp_module);

    ngx_queue_remove(&ctx->queue);
    smcf->pool->nwaiting--;

    ctx->started = ngx_current_msec;
    ctx->waited = 1;

    ngx_log_error(NGX_LOG_WARN, ctx->request->connection->log, 0,
                  "smscamp: no database connection within the queue timeout");

    ngx_smscamp_ctx_unavailable(ctx,
                                "No database connection available in time");
}


/* the first waiting request, out of the queue; NULL: none waits */

static ngx_smscamp_ctx_t *
ngx_smscamp_pool_next(ngx_smscamp_pool_t *pool)
{
    ngx_queue_t        *q;
    ngx_smscamp_ctx_t  *ctx;

    if (ngx_queue_empty(&pool->waiting)) {
        return NULL;
    }

    q = ngx_queue_head(&pool->waiting);
    ngx_queue_remove(q);
    pool->nwaiting--;

    ctx = ngx_queue_data(q, ngx_smscamp_ctx_t, queue);

    if (ctx->wait_timer.timer_set) {
        ngx_del_timer(&ctx->wait_timer);
    }

    return ctx;
}


static void
ngx_smscamp_fail_waiting(ngx_smscamp_pool_t *pool)
{
    ngx_smscamp_ctx_t  *ctx;

    while ((ctx = ngx_smscamp_pool_next(pool)) != NULL) {
        ngx_smscamp_ctx_unavailable(ctx, "Database unreachable");
    }
}


/* the pool cannot run the request's steps: 503 */

static void
ngx_smscamp_ctx_unavailable(ngx_smscamp_ctx_t *ctx, const char *detail)
{
    ngx_log_debug2(NGX_LOG_DEBUG_HTTP, ctx->request->connection->log, 0,
                   "smscamp ctx %p: failed: %s", ctx, detail);

    ngx_smscamp_finalize(ctx, ngx_smscamp_send_unavailable(ctx->request,
                                                           detail));
}


/* connection lifecycle */


static void
ngx_smscamp_conn_state(ngx_smscamp_conn_t *sc, ngx_smscamp_conn_state_e state)
{
    ngx_log_debug3(NGX_LOG_DEBUG_HTTP, sc->pool->log, 0,
                   "smscamp conn %p: %s -> %s", sc,
                   ngx_smscamp_conn_states[sc->state],
                   ngx_smscamp_conn_states[state]);

    sc->pool->nconns[sc->state]--;
    sc->pool->nconns[state]++;
    sc->state = state;
}


/* a new connection, the last good host first */

static ngx_int_t
ngx_smscamp_conn_open(ngx_smscamp_pool_t *pool, ngx_smscamp_conn_t *sc)
{
    const char  *reason;

    ngx_memzero(sc->prepared, pool->conf->routes.nelts + 1);
    sc->tried = 0;
    sc->host = NGX_SMSCAMP_HOST_UNKNOWN;

    ngx_smscamp_conn_state(sc, NGX_SMSCAMP_CONN_CONNECTING);

    if (ngx_smscamp_conn_start(sc, pool->hosts.good, &reason) != NGX_OK) {
        ngx_smscamp_conn_close(sc, reason);
        return NGX_ERROR;
    }

    return NGX_OK;
}


/*
 * Start connecting (sc is connecting): a multi-host dsn's hosts from host
 * first on. NGX_ERROR: why in *reason, for ngx_smscamp_conn_close() or
 * ngx_smscamp_conn_fail() (it may be libpq's text, in sc->pg).
 */

static ngx_int_t
ngx_smscamp_conn_start(ngx_smscamp_conn_t *sc, ngx_uint_t first,
    const char **reason)
{
    ngx_smscamp_pool_t  *pool;

    pool = sc->pool;
    sc->first = first;

    if (pool->hosts.nhosts > 1) {
        ngx_log_debug3(NGX_LOG_DEBUG_HTTP, pool->log, 0,
                       "smscamp conn %p: connecting, host %ui of %ui first",
                       sc, first + 1, pool->hosts.nhosts);

        sc->pg = PQconnectStartParams(pool->hosts.keywords,
                                      pool->hosts.values[first], 0);

    } else {
        sc->pg = PQconnectStart((char *) pool->conf->dsn.data);
    }

    if (sc->pg == NULL) {
        *reason = "out of memory starting a connection";
        return NGX_ERROR;
    }

    /* notices, and an error on an idle connection, to the error log */
    (void) PQsetNoticeProcessor(sc->pg, ngx_smscamp_conn_notice, sc);

    if (PQstatus(sc->pg) == CONNECTION_BAD) {
        *reason = PQerrorMessage(sc->pg);
        return NGX_ERROR;
    }

    if (ngx_smscamp_conn_watch(sc) != NGX_OK) {
        *reason = "cannot watch its socket";
        return NGX_ERROR;
    }

    /* libpq: behave as if PQconnectPoll last returned PGRES_POLLING_WRITING */

    if (ngx_smscamp_write_event(sc, 1) != NGX_OK) {
        *reason = "cannot watch its socket";
        return NGX_ERROR;
    }

    /*
     * smscamp_connect_timeout is for the host libpq tries now:
     * ngx_smscamp_conn_connect() sets it again when libpq moves to another
     * host (or another address of the host)
     */

    ngx_add_timer(sc->connection->read, pool->conf->connect_timeout);

    return NGX_OK;
}


/* wrap the libpq socket in an nginx connection with a read event */

/*
 * libpq's notices (a NOTICE or WARNING of a statement, the FATAL a server
 * sends to an idle connection it terminates), which it would print on
 * stderr: to the error log, with the connection they came on.
 */

static void
ngx_smscamp_conn_notice(void *arg, const char *message)
{
    ngx_smscamp_conn_t  *sc;

    sc = arg;

    ngx_log_error(NGX_LOG_NOTICE, sc->pool->log, 0,
                  "smscamp: database connection %p: %*s", sc,
                  ngx_smscamp_reason_len(message), message);
}


static ngx_int_t
ngx_smscamp_conn_watch(ngx_smscamp_conn_t *sc)
{
    int                fd;
    ngx_file_info_t    fi;
    ngx_connection_t  *c;

    fd = PQsocket(sc->pg);
    if (fd < 0) {
        return NGX_ERROR;
    }

    /* which socket: see ngx_smscamp_conn_moved() */

    if (ngx_fd_info(fd, &fi) == NGX_FILE_ERROR) {
        ngx_log_error(NGX_LOG_ALERT, sc->pool->log, ngx_errno,
                      ngx_fd_info_n " of a database socket failed");
        return NGX_ERROR;
    }

    sc->sock = ngx_file_uniq(&fi);

    c = ngx_get_connection(fd, sc->pool->log);
    if (c == NULL) {
        return NGX_ERROR;
    }

    c->data = sc;
    c->log = sc->pool->log;
    c->read->handler = ngx_smscamp_conn_event;
    c->write->handler = ngx_smscamp_conn_event;
    c->read->log = sc->pool->log;
    c->write->log = sc->pool->log;

    sc->connection = c;

    if (ngx_add_event(c->read, NGX_READ_EVENT, NGX_LEVEL_EVENT) != NGX_OK) {
        ngx_smscamp_conn_unwatch(sc);
        return NGX_ERROR;
    }

    return NGX_OK;
}


/*
 * Is libpq's socket another one than the one watched? It moves to the next
 * host or address by closing its socket and opening a new one, which then
 * often has the same number: the socket's inode tells them apart.
 */

static ngx_uint_t
ngx_smscamp_conn_moved(ngx_smscamp_conn_t *sc)
{
    int              fd;
    ngx_file_info_t  fi;

    fd = PQsocket(sc->pg);

    if (fd != sc->connection->fd) {
        return 1;
    }

    if (ngx_fd_info(fd, &fi) == NGX_FILE_ERROR) {
        return 1;       /* ngx_smscamp_conn_watch() fails and says why */
    }

    return ngx_file_uniq(&fi) != sc->sock;
}


/* forget the nginx side of the socket; libpq closes the socket itself */

static void
ngx_smscamp_conn_unwatch(ngx_smscamp_conn_t *sc)
{
    ngx_connection_t  *c;

    c = sc->connection;
    if (c == NULL) {
        return;
    }

    if (c->read->timer_set) {
        ngx_del_timer(c->read);
    }

    if (c->write->timer_set) {
        ngx_del_timer(c->write);
    }

    if (ngx_del_conn) {
        ngx_del_conn(c, NGX_CLOSE_EVENT);

    } else {
        if (c->read->active || c->read->disabled) {
            ngx_del_event(c->read, NGX_READ_EVENT, NGX_CLOSE_EVENT);
        }

        if (c->write->active || c->write->disabled) {
            ngx_del_event(c->write, NGX_WRITE_EVENT, NGX_CLOSE_EVENT);
        }
    }

    if (c->read->posted) {
        ngx_delete_posted_event(c->read);
    }

    if (c->write->posted) {
        ngx_delete_posted_event(c->write);
    }

    c->read->closed = 1;
    c->write->closed = 1;

    ngx_free_connection(c);
    c->fd = (ngx_socket_t) -1;

    sc->connection = NULL;
}


static void
ngx_smscamp_conn_close(ngx_smscamp_conn_t *sc, const char *reason)
{
    if (reason) {
        ngx_log_error(NGX_LOG_ERR, sc->pool->log, 0,
                      "smscamp: database connection closed: %*s",
                      ngx_smscamp_reason_len(reason), reason);
    }

    if (sc->state == NGX_SMSCAMP_CONN_IDLE) {
        ngx_queue_remove(&sc->queue);
    }

    ngx_smscamp_conn_unwatch(sc);

    if (sc->result) {
        PQclear(sc->result);
        sc->result = NULL;
    }

    if (sc->pg) {
        PQfinish(sc->pg);
        sc->pg = NULL;
    }

    ngx_smscamp_conn_state(sc, NGX_SMSCAMP_CONN_FREE);
    sc->ctx = NULL;
}


static ngx_int_t
ngx_smscamp_write_event(ngx_smscamp_conn_t *sc, ngx_uint_t on)
{
    ngx_event_t  *wev;

    wev = sc->connection->write;

    if (on && !wev->active) {
        return ngx_add_event(wev, NGX_WRITE_EVENT, NGX_LEVEL_EVENT);
    }

    if (!on && wev->active) {
        return ngx_del_event(wev, NGX_WRITE_EVENT, 0);
    }

    return NGX_OK;
}


static void
ngx_smscamp_conn_event(ngx_event_t *ev)
{
    ngx_connection_t    *c;
    ngx_smscamp_conn_t  *sc;

    c = ev->data;
    sc = c->data;

    if (ev->timedout) {
        ev->timedout = 0;

        if (sc->state == NGX_SMSCAMP_CONN_CONNECTING) {
            ngx_smscamp_conn_timedout(sc);
            return;
        }

        /* a slow statement, not a server gone: it would be as slow again */

        if (sc->ctx) {
            sc->ctx->retried = 1;
        }

        ngx_smscamp_conn_fail(sc, "query timed out");
        return;
    }

    switch (sc->state) {

    case NGX_SMSCAMP_CONN_CONNECTING:
        ngx_smscamp_conn_connect(sc);
        return;

    case NGX_SMSCAMP_CONN_IDLE:
        if (!PQconsumeInput(sc->pg) || PQstatus(sc->pg) == CONNECTION_BAD) {
            ngx_smscamp_conn_close(sc, PQerrorMessage(sc->pg));
            return;
        }

        while (PQnotifies(sc->pg) != NULL) { /* void */ }
        return;

    case NGX_SMSCAMP_CONN_PREPARING:
    case NGX_SMSCAMP_CONN_QUERYING:
        ngx_smscamp_conn_poll(sc, ev);
        return;

    default:
        return;
    }
}


static void
ngx_smscamp_conn_connect(ngx_smscamp_conn_t *sc)
{
    PostgresPollingStatusType  st;

    st = PQconnectPoll(sc->pg);

    if (st != PGRES_POLLING_FAILED && ngx_smscamp_conn_moved(sc)) {
        /* libpq moved to another socket (another host or address) */
        ngx_smscamp_conn_unwatch(sc);

        if (ngx_smscamp_conn_watch(sc) != NGX_OK) {
            ngx_smscamp_conn_fail(sc, "cannot watch its socket");
            return;
        }

        /* the connect timeout is for each host: it starts again */
        ngx_add_timer(sc->connection->read, sc->pool->conf->connect_timeout);
    }

    switch (st) {

    case PGRES_POLLING_READING:
        if (ngx_smscamp_write_event(sc, 0) != NGX_OK) {
            ngx_smscamp_conn_fail(sc, "cannot watch its socket");
        }
        return;

    case PGRES_POLLING_WRITING:
        if (ngx_smscamp_write_event(sc, 1) != NGX_OK) {
            ngx_smscamp_conn_fail(sc, "cannot watch its socket");
        }
        return;

    case PGRES_POLLING_OK:
        if (ngx_smscamp_write_event(sc, 0) != NGX_OK
            || PQsetnonblocking(sc->pg, 1) != 0)
        {
            ngx_smscamp_conn_fail(sc, "cannot make it non-blocking");
            return;
        }

        if (sc->connection->read->timer_set) {
            ngx_del_timer(sc->connection->read);
        }

        ngx_smscamp_conn_reached(sc);

        ngx_smscamp_conn_ready(sc);
        ngx_smscamp_pool_grow(sc->pool);
        return;

    default:
        ngx_smscamp_conn_fail(sc, PQerrorMessage(sc->pg));
        return;
    }
}


/*
 * The host libpq tries does not answer within the connect timeout. With
 * more hosts, start over at the next one, until each has had its turn
 * (sc->tried counts those given up on); then, or with one host, fail.
 */

static void
ngx_smscamp_conn_timedout(ngx_smscamp_conn_t *sc)
{
    const char          *reason;
    ngx_uint_t           n, host, next, tried;
    ngx_smscamp_pool_t  *pool;

    pool = sc->pool;
    n = pool->hosts.nhosts;

    host = (n > 1) ? ngx_smscamp_hosts_find(&pool->hosts, sc->pg, sc->first)
                   : NGX_SMSCAMP_HOST_UNKNOWN;

    if (host == NGX_SMSCAMP_HOST_UNKNOWN) {
        ngx_smscamp_conn_fail(sc, "connect timed out");
        return;
    }

    /* libpq went through the rotated list up to host */
    tried = sc->tried + (host + n - sc->first) % n + 1;

    if (tried >= n) {
        ngx_smscamp_conn_fail(sc, "connect timed out, on every host");
        return;
    }

    next = (host + 1) % n;

    ngx_log_error(NGX_LOG_WARN, pool->log, 0,
                  "smscamp: database connection %p: connect to %s:%s timed "
                  "out, trying host %ui of %ui", sc, PQhost(sc->pg),
                  PQport(sc->pg), next + 1, n);

    ngx_smscamp_conn_unwatch(sc);
    PQfinish(sc->pg);
    sc->pg = NULL;
    sc->tried = tried;

    if (ngx_smscamp_conn_start(sc, next, &reason) != NGX_OK) {
        ngx_smscamp_conn_fail(sc, reason);
    }
}


/* a new connection is ready: the host it reached comes first from now on */

static void
ngx_smscamp_conn_reached(ngx_smscamp_conn_t *sc)
{
    ngx_uint_t           host;
    ngx_smscamp_pool_t  *pool;

    pool = sc->pool;

    if (pool->hosts.nhosts < 2) {
        sc->host = 0;

        ngx_log_error(NGX_LOG_INFO, pool->log, 0,
                      "smscamp: database connection %p ready", sc);
        return;
    }

    host = ngx_smscamp_hosts_find(&pool->hosts, sc->pg, sc->first);
    sc->host = host;

    if (host == NGX_SMSCAMP_HOST_UNKNOWN) {
        ngx_log_error(NGX_LOG_INFO, pool->log, 0,
                      "smscamp: database connection %p ready on %s:%s "
                      "(host unknown)", sc, PQhost(sc->pg), PQport(sc->pg));
        return;
    }

    if (host != pool->hosts.good) {
        ngx_log_debug3(NGX_LOG_DEBUG_HTTP, pool->log, 0,
                       "smscamp: host %ui of %ui first from now on, "
                       "not %ui", host + 1, pool->hosts.nhosts,
                       pool->hosts.good + 1);

        pool->hosts.good = host;
    }

    if (host == sc->first && sc->tried == 0) {
        ngx_log_error(NGX_LOG_INFO, pool->log, 0,
                      "smscamp: database connection %p ready", sc);
        return;
    }

    ngx_log_error(NGX_LOG_INFO, pool->log, 0,
                  "smscamp: database connection %p ready on %s:%s "
                  "(host %ui of %ui)", sc, PQhost(sc->pg), PQport(sc->pg),
                  host + 1, pool->hosts.nhosts);
}


/* the connection is free: serve the first waiting request or go idle */

static void
ngx_smscamp_conn_ready(ngx_smscamp_conn_t *sc)
{
    ngx_smscamp_ctx_t  *ctx;

    ctx = ngx_smscamp_pool_next(sc->pool);

    if (ctx == NULL) {
        ngx_smscamp_conn_state(sc, NGX_SMSCAMP_CONN_IDLE);
        ngx_queue_insert_head(&sc->pool->idle, &sc->queue);
        return;
    }

    ngx_smscamp_conn_run(sc, ctx);
}


/* the request has a connection: its first step, and the query timeout */

static void
ngx_smscamp_conn_run(ngx_smscamp_conn_t *sc, ngx_smscamp_ctx_t *ctx)
{
    sc->ctx = ctx;
    ctx->conn = sc;
    ctx->started = ngx_current_msec;
    ctx->waited = 1;

    if (ngx_smscamp_conn_step(sc) != NGX_OK) {
        ngx_smscamp_conn_fail(sc, PQerrorMessage(sc->pg));
        return;
    }

    ngx_add_timer(sc->connection->read, sc->pool->conf->query_timeout);
}


/* send the current step's statement: prepare it first if it is new here */

static ngx_int_t
ngx_smscamp_conn_step(ngx_smscamp_conn_t *sc)
{
    ngx_smscamp_ctx_t   *ctx;
    ngx_smscamp_stmt_t  *st;

    ctx = sc->ctx;
    st = ctx->steps[ctx->step].stmt;

    ngx_log_debug5(NGX_LOG_DEBUG_HTTP, ctx->request->connection->log, 0,
                   "smscamp ctx %p: step %ui of %ui, \"%s\" on conn %p",
                   ctx, ctx->step + 1, ctx->nsteps, st->name, sc);

    ngx_smscamp_conn_state(sc, sc->prepared[st->index]
                               ? NGX_SMSCAMP_CONN_QUERYING
                               : NGX_SMSCAMP_CONN_PREPARING);

    return ngx_smscamp_conn_send(sc);
}


static ngx_int_t
ngx_smscamp_conn_send(ngx_smscamp_conn_t *sc)
{
    int                  ok;
    ngx_smscamp_step_t  *step;

    step = &sc->ctx->steps[sc->ctx->step];

    if (sc->state == NGX_SMSCAMP_CONN_PREPARING) {
        ok = PQsendPrepare(sc->pg, step->stmt->name, step->stmt->sql, 0,
                           NULL);

    } else {
        ok = PQsendQueryPrepared(sc->pg, step->stmt->name,
                                 step->stmt->nparams,
                                 (const char * const *) step->params,
                                 NULL, NULL, 0);
    }

    if (!ok) {
        return NGX_ERROR;
    }

    return ngx_smscamp_conn_flush(sc);
}


static ngx_int_t
ngx_smscamp_conn_flush(ngx_smscamp_conn_t *sc)
{
    int  rc;

    rc = PQflush(sc->pg);

    if (rc < 0) {
        return NGX_ERROR;
    }

    return ngx_smscamp_write_event(sc, rc == 1);
}


static void
ngx_smscamp_conn_poll(ngx_smscamp_conn_t *sc, ngx_event_t *ev)
{
    PGresult  *res;

    if (ev->write) {
        if (ngx_smscamp_conn_flush(sc) != NGX_OK) {
            ngx_smscamp_conn_fail(sc, PQerrorMessage(sc->pg));
        }
        return;
    }

    if (!PQconsumeInput(sc->pg)) {
        ngx_smscamp_conn_fail(sc, PQerrorMessage(sc->pg));
        return;
    }

    if (sc->connection->write->active
        && ngx_smscamp_conn_flush(sc) != NGX_OK)
    {
        ngx_smscamp_conn_fail(sc, PQerrorMessage(sc->pg));
        return;
    }

    while (!PQisBusy(sc->pg)) {
        res = PQgetResult(sc->pg);

        if (res == NULL) {
            ngx_smscamp_conn_complete(sc);
            return;
        }

        if (sc->result == NULL) {
            sc->result = res;

        } else {
            PQclear(res);
        }
    }
}


/*
 * One command finished: after a prepare, execute; after a step, its
 * handler says whether the next step runs here, or the request is over
 * (the completion answers from the last result, a handler that stopped
 * has answered itself). A result that says the server is going away
 * closes the connection (and its host's idle ones); a GET or HEAD then
 * runs once more elsewhere instead of seeing it.
 */

static void
ngx_smscamp_conn_complete(ngx_smscamp_conn_t *sc)
{
    char                *state;
    u_char               reason[64], *p;
    ngx_int_t            rc;
    PGresult            *res;
    ngx_smscamp_ctx_t   *ctx;
    ngx_smscamp_pool_t  *pool;
    ngx_smscamp_step_t  *step;

    res = sc->result;
    sc->result = NULL;
    ctx = sc->ctx;
    pool = sc->pool;

    if (res == NULL) {
        ngx_smscamp_conn_fail(sc, "no result");
        return;
    }

    step = &ctx->steps[ctx->step];

    if (sc->state == NGX_SMSCAMP_CONN_PREPARING
        && PQresultStatus(res) == PGRES_COMMAND_OK)
    {
        PQclear(res);
        sc->prepared[step->stmt->index] = 1;
        ngx_smscamp_conn_state(sc, NGX_SMSCAMP_CONN_QUERYING);

        if (ngx_smscamp_conn_send(sc) != NGX_OK) {
            ngx_smscamp_conn_fail(sc, PQerrorMessage(sc->pg));
        }
        return;
    }

    /* the step's result, or the error that kept it from being prepared */

    state = ngx_smscamp_result_leaving(res);

    if (state != NULL) {
        p = ngx_snprintf(reason, sizeof(reason) - 1,
                         "the server is going away or read-only "
                         "(SQLSTATE %s)", state);
        *p = '\0';

        if (ngx_smscamp_ctx_retry(ctx, (char *) reason)) {
            PQclear(res);

            ctx->conn = NULL;

            ngx_smscamp_conn_close_host(sc, (char *) reason);
            ngx_smscamp_pool_submit(pool, ctx);
            return;
        }
    }

    rc = step->done ? step->done(ctx, res) : NGX_DECLINED;

    ngx_log_debug3(NGX_LOG_DEBUG_HTTP, ctx->request->connection->log, 0,
                   "smscamp ctx %p: step %ui done: %i", ctx, ctx->step + 1,
                   rc);

    if (rc == NGX_DECLINED && ctx->step + 1 < ctx->nsteps) {
        PQclear(res);
        ctx->step++;

        if (ngx_smscamp_conn_step(sc) != NGX_OK) {
            ngx_smscamp_conn_fail(sc, PQerrorMessage(sc->pg));
        }
        return;
    }

    if (sc->connection->read->timer_set) {
        ngx_del_timer(sc->connection->read);
    }

    sc->ctx = NULL;
    ctx->conn = NULL;

    if (rc == NGX_DECLINED) {
        rc = ctx->complete(ctx, res);

    } else {
        PQclear(res);
    }

    ngx_log_debug2(NGX_LOG_DEBUG_HTTP, ctx->request->connection->log, 0,
                   "smscamp ctx %p: completed: %i", ctx, rc);

    if (state != NULL) {
        ngx_smscamp_conn_close_host(sc, (char *) reason);
        ngx_smscamp_pool_grow(pool);

    } else if (PQstatus(sc->pg) == CONNECTION_BAD) {
        ngx_smscamp_conn_close(sc, "lost");
        ngx_smscamp_pool_grow(pool);

    } else {
        ngx_smscamp_conn_ready(sc);
    }

    ngx_smscamp_finalize(ctx, rc);
}


/*
 * The connection is unusable: close it, and run its request once more on
 * another connection (ngx_smscamp_ctx_retry()) or answer it 503. When
 * libpq saw it die under a request, its host's idle connections go too.
 */

static void
ngx_smscamp_conn_fail(ngx_smscamp_conn_t *sc, const char *reason)
{
    ngx_uint_t           connecting, lost, retry;
    ngx_smscamp_ctx_t   *ctx;
    ngx_smscamp_pool_t  *pool;

    ctx = sc->ctx;
    pool = sc->pool;
    connecting = (sc->state == NGX_SMSCAMP_CONN_CONNECTING);
    lost = (ctx != NULL && PQstatus(sc->pg) == CONNECTION_BAD);

    /* before the close: reason may be libpq's text, in sc->pg */
    retry = (ctx != NULL && ngx_smscamp_ctx_retry(ctx, reason));

    if (lost) {
        ngx_smscamp_conn_close_host(sc, reason);

    } else {
        ngx_smscamp_conn_close(sc, reason);
    }

    if (ctx) {
        ctx->conn = NULL;

        if (retry) {
            ngx_smscamp_pool_submit(pool, ctx);

        } else {
            ngx_smscamp_ctx_unavailable(ctx, "Database connection lost");
        }
    }

    if (connecting
        && pool->nconns[NGX_SMSCAMP_CONN_FREE] == pool->conf->pool_size)
    {
        ngx_smscamp_fail_waiting(pool);
    }
}


/*
 * A result that says its server is shutting down or read-only (a standby,
 * or a primary being demoted, as during a failover): its SQLSTATE, or NULL.
 */

static char *
ngx_smscamp_result_leaving(PGresult *res)
{
    char  *state;

    if (PQresultStatus(res) != PGRES_FATAL_ERROR) {
        return NULL;
    }

    state = PQresultErrorField(res, PG_DIAG_SQLSTATE);

    if (state == NULL) {
        return NULL;
    }

    if (ngx_strncmp(state, "08", 2) == 0
        || ngx_strncmp(state, "57P01", 5) == 0
        || ngx_strncmp(state, "57P02", 5) == 0
        || ngx_strncmp(state, "57P03", 5) == 0
        || ngx_strncmp(state, "25006", 5) == 0)
    {
        return state;
    }

    return NULL;
}


/*
 * May ctx run once more, on another connection, after reason? A GET or
 * HEAD that has not yet (other methods may have written): 1, logged; or 0.
 * Its steps stay as they are, from the first on (ngx_smscamp_pool_submit()
 * starts over): the key lookup may run again, and counts once against the
 * rate limit (ctx->limited).
 */

static ngx_uint_t
ngx_smscamp_ctx_retry(ngx_smscamp_ctx_t *ctx, const char *reason)
{
    ngx_http_request_t  *r;

    r = ctx->request;

    if (ctx->retried || !(r->method & (NGX_HTTP_GET|NGX_HTTP_HEAD))) {
        return 0;
    }

    ctx->retried = 1;

    ngx_log_error(NGX_LOG_WARN, r->connection->log, 0,
                  "smscamp: retrying %V %V on another connection: %*s",
                  &r->method_name, &r->uri, ngx_smscamp_reason_len(reason),
                  reason);

    return 1;
}


/* the length of reason without libpq's final newline */

static size_t
ngx_smscamp_reason_len(const char *reason)
{
    size_t  len;

    len = ngx_strlen(reason);

    while (len && (reason[len - 1] == '\n' || reason[len - 1] == ' ')) {
        len--;
    }

    return len;
}
