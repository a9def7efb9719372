/*
 * A bounded pool of non-blocking libpq connections per nginx worker. The
 * libpq sockets live in nginx's event loop (level-triggered reads, writes
 * only while libpq has something to flush); requests wait in a bounded
 * queue with a timeout when every connection is busy.
 */


#include "ngx_smscamp.h"


static ngx_smscamp_pool_t  *ngx_smscamp_pool;


static ngx_int_t ngx_smscamp_conn_open(ngx_smscamp_pool_t *pool,
    ngx_smscamp_conn_t *sc);
static ngx_int_t ngx_smscamp_conn_watch(ngx_smscamp_conn_t *sc);
static void ngx_smscamp_conn_unwatch(ngx_smscamp_conn_t *sc);
static void ngx_smscamp_conn_close(ngx_smscamp_conn_t *sc,
    const char *reason);
static void ngx_smscamp_conn_event(ngx_event_t *ev);
static void ngx_smscamp_conn_connect(ngx_smscamp_conn_t *sc);
static void ngx_smscamp_conn_poll(ngx_smscamp_conn_t *sc, ngx_event_t *ev);
static void ngx_smscamp_conn_ready(ngx_smscamp_conn_t *sc);
static void ngx_smscamp_conn_run(ngx_smscamp_conn_t *sc,
    ngx_smscamp_ctx_t *ctx);
static ngx_int_t ngx_smscamp_conn_send(ngx_smscamp_conn_t *sc);
static ngx_int_t ngx_smscamp_conn_flush(ngx_smscamp_conn_t *sc);
static void ngx_smscamp_conn_complete(ngx_smscamp_conn_t *sc);
static void ngx_smscamp_conn_fail(ngx_smscamp_conn_t *sc,
    const char *reason);
static ngx_int_t ngx_smscamp_write_event(ngx_smscamp_conn_t *sc,
    ngx_uint_t on);
static void ngx_smscamp_wait_timeout(ngx_event_t *ev);
static void ngx_smscamp_fail_waiting(ngx_smscamp_pool_t *pool);
static ngx_uint_t ngx_smscamp_pool_busy(ngx_smscamp_pool_t *pool);
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

    ngx_smscamp_pool = pool;
    ngx_smscamp_metrics_attach(pool);

    return NGX_OK;
}


void
ngx_smscamp_pool_done(ngx_cycle_t *cycle)
{
    ngx_uint_t           i;
    ngx_smscamp_pool_t  *pool;

    pool = ngx_smscamp_pool;
    if (pool == NULL) {
        return;
    }

    for (i = 0; i < pool->conf->pool_size; i++) {
        if (pool->conns[i].state != NGX_SMSCAMP_CONN_FREE) {
            ngx_smscamp_conn_close(&pool->conns[i], NULL);
        }
    }

    ngx_smscamp_pool = NULL;
}


/* serve ctx now on an idle connection, or queue it */

void
ngx_smscamp_pool_submit(ngx_smscamp_ctx_t *ctx)
{
    ngx_queue_t         *q;
    ngx_smscamp_conn_t  *sc;
    ngx_smscamp_pool_t  *pool;

    pool = ngx_smscamp_pool;
    ctx->submitted = ngx_current_msec;

    if (pool == NULL) {
        ngx_smscamp_finalize(ctx, ngx_smscamp_send_unavailable(ctx->request,
                                 "No database configured"));
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
        ngx_smscamp_finalize(ctx, ngx_smscamp_send_unavailable(ctx->request,
                                 "Server busy, try again"));
        return;
    }

    ngx_queue_insert_tail(&pool->waiting, &ctx->queue);
    pool->nwaiting++;
    ngx_smscamp_metrics_gauges(pool);

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
    ngx_uint_t           i;
    ngx_smscamp_conn_t  *sc, *free;

    if (ngx_queue_empty(&pool->waiting)) {
        return;
    }

    free = NULL;

    for (i = 0; i < pool->conf->pool_size; i++) {
        sc = &pool->conns[i];

        if (sc->state == NGX_SMSCAMP_CONN_CONNECTING) {
            /* one connection attempt at a time is enough */
            return;
        }

        if (sc->state == NGX_SMSCAMP_CONN_FREE && free == NULL) {
            free = sc;
        }
    }

    if (free == NULL) {
        return;
    }

    if (ngx_smscamp_conn_open(pool, free) != NGX_OK
        && !ngx_smscamp_pool_busy(pool))
    {
        ngx_smscamp_fail_waiting(pool);
    }
}


static ngx_uint_t
ngx_smscamp_pool_busy(ngx_smscamp_pool_t *pool)
{
    ngx_uint_t  i;

    for (i = 0; i < pool->conf->pool_size; i++) {
        if (pool->conns[i].state != NGX_SMSCAMP_CONN_FREE) {
            return 1;
        }
    }

    return 0;
}


static void
ngx_smscamp_wait_timeout(ngx_event_t *ev)
{
    ngx_smscamp_ctx_t  *ctx;

    ctx = ev->data;

    ngx_queue_remove(&ctx->queue);
    ngx_smscamp_pool->nwaiting--;
    ngx_smscamp_metrics_wait(ngx_smscamp_pool, ctx);

    ngx_log_error(NGX_LOG_WARN, ctx->request->connection->log, 0,
                  "smscamp: no database connection within the queue timeout");

    ngx_smscamp_finalize(ctx, ngx_smscamp_send_unavailable(ctx->request,
                             "No database connection available in time"));
}


static void
ngx_smscamp_fail_waiting(ngx_smscamp_pool_t *pool)
{
    ngx_queue_t        *q;
    ngx_smscamp_ctx_t  *ctx;

    while (!ngx_queue_empty(&pool->waiting)) {
        q = ngx_queue_head(&pool->waiting);
        ngx_queue_remove(q);
        pool->nwaiting--;

        ctx = ngx_queue_data(q, ngx_smscamp_ctx_t, queue);

        if (ctx->wait_timer.timer_set) {
            ngx_del_timer(&ctx->wait_timer);
        }

        ngx_smscamp_finalize(ctx, ngx_smscamp_send_unavailable(ctx->request,
                                 "Database unreachable"));
    }
}


/* connection lifecycle */


static ngx_int_t
ngx_smscamp_conn_open(ngx_smscamp_pool_t *pool, ngx_smscamp_conn_t *sc)
{
    ngx_memzero(sc->prepared, pool->conf->routes.nelts + 1);

    sc->pg = PQconnectStart((char *) pool->conf->dsn.data);

    if (sc->pg == NULL) {
        ngx_log_error(NGX_LOG_ERR, pool->log, 0,
                      "smscamp: out of memory starting a connection");
        return NGX_ERROR;
    }

    sc->state = NGX_SMSCAMP_CONN_CONNECTING;

    if (PQstatus(sc->pg) == CONNECTION_BAD) {
        ngx_smscamp_conn_close(sc, PQerrorMessage(sc->pg));
        return NGX_ERROR;
    }

    if (ngx_smscamp_conn_watch(sc) != NGX_OK) {
        ngx_smscamp_conn_close(sc, "cannot watch its socket");
        return NGX_ERROR;
    }

    /* libpq: behave as if PQconnectPoll last returned PGRES_POLLING_WRITING */

    if (ngx_smscamp_write_event(sc, 1) != NGX_OK) {
        ngx_smscamp_conn_close(sc, "cannot watch its socket");
        return NGX_ERROR;
    }

    ngx_add_timer(sc->connection->read, pool->conf->connect_timeout);

    return NGX_OK;
}


/* wrap the libpq socket in an nginx connection with a read event */

static ngx_int_t
ngx_smscamp_conn_watch(ngx_smscamp_conn_t *sc)
{
    int                fd;
    ngx_connection_t  *c;

    fd = PQsocket(sc->pg);
    if (fd < 0) {
        return NGX_ERROR;
    }

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
    size_t  len;

    if (reason) {
        len = ngx_strlen(reason);
        while (len && (reason[len - 1] == '\n' || reason[len - 1] == ' ')) {
            len--;
        }

        ngx_log_error(NGX_LOG_ERR, sc->pool->log, 0,
                      "smscamp: database connection closed: %*s", len, reason);
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

    sc->state = NGX_SMSCAMP_CONN_FREE;
    sc->ctx = NULL;
    ngx_smscamp_metrics_gauges(sc->pool);
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
        ngx_smscamp_conn_fail(sc, sc->state == NGX_SMSCAMP_CONN_CONNECTING
                                  ? "connect timed out"
                                  : "query timed out");
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
    int                    fd;
    PostgresPollingStatusType  st;

    st = PQconnectPoll(sc->pg);

    fd = PQsocket(sc->pg);

    if (st != PGRES_POLLING_FAILED && fd != sc->connection->fd) {
        /* libpq moved to another socket (another host or address) */
        ngx_smscamp_conn_unwatch(sc);

        if (ngx_smscamp_conn_watch(sc) != NGX_OK) {
            ngx_smscamp_conn_fail(sc, "cannot watch its socket");
            return;
        }

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

        ngx_log_error(NGX_LOG_INFO, sc->pool->log, 0,
                      "smscamp: database connection %p ready", sc);

        ngx_smscamp_conn_ready(sc);
        ngx_smscamp_pool_grow(sc->pool);
        return;

    default:
        ngx_smscamp_conn_fail(sc, PQerrorMessage(sc->pg));
        return;
    }
}


/* the connection is free: serve the first waiting request or go idle */

static void
ngx_smscamp_conn_ready(ngx_smscamp_conn_t *sc)
{
    ngx_queue_t         *q;
    ngx_smscamp_ctx_t   *ctx;
    ngx_smscamp_pool_t  *pool;

    pool = sc->pool;

    if (ngx_queue_empty(&pool->waiting)) {
        sc->state = NGX_SMSCAMP_CONN_IDLE;
        ngx_queue_insert_head(&pool->idle, &sc->queue);
        return;
    }

    q = ngx_queue_head(&pool->waiting);
    ngx_queue_remove(q);
    pool->nwaiting--;

    ctx = ngx_queue_data(q, ngx_smscamp_ctx_t, queue);

    if (ctx->wait_timer.timer_set) {
        ngx_del_timer(&ctx->wait_timer);
    }

    ngx_smscamp_conn_run(sc, ctx);
}


static void
ngx_smscamp_conn_run(ngx_smscamp_conn_t *sc, ngx_smscamp_ctx_t *ctx)
{
    sc->ctx = ctx;
    ctx->conn = sc;

    sc->state = sc->prepared[ctx->stmt->index] ? NGX_SMSCAMP_CONN_QUERYING
                                               : NGX_SMSCAMP_CONN_PREPARING;

    if (ngx_smscamp_conn_send(sc) != NGX_OK) {
        ngx_smscamp_conn_fail(sc, PQerrorMessage(sc->pg));
        return;
    }

    ngx_add_timer(sc->connection->read, sc->pool->conf->query_timeout);
    ngx_smscamp_metrics_wait(sc->pool, ctx);
}


static ngx_int_t
ngx_smscamp_conn_send(ngx_smscamp_conn_t *sc)
{
    int                  ok;
    ngx_smscamp_stmt_t  *st;

    st = sc->ctx->stmt;

    if (sc->state == NGX_SMSCAMP_CONN_PREPARING) {
        ok = PQsendPrepare(sc->pg, st->name, st->sql, 0, NULL);

    } else {
        ok = PQsendQueryPrepared(sc->pg, st->name, st->nparams,
                                 (const char * const *) sc->ctx->params,
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


/* one command finished: answer the request, or execute after a prepare */

static void
ngx_smscamp_conn_complete(ngx_smscamp_conn_t *sc)
{
    ngx_int_t           rc, denied;
    PGresult           *res;
    ngx_smscamp_ctx_t  *ctx;

    res = sc->result;
    sc->result = NULL;
    ctx = sc->ctx;

    if (res == NULL) {
        ngx_smscamp_conn_fail(sc, "no result");
        return;
    }

    if (sc->state == NGX_SMSCAMP_CONN_PREPARING
        && PQresultStatus(res) == PGRES_COMMAND_OK)
    {
        PQclear(res);
        sc->prepared[ctx->stmt->index] = 1;
        sc->state = NGX_SMSCAMP_CONN_QUERYING;

        if (ngx_smscamp_conn_send(sc) != NGX_OK) {
            ngx_smscamp_conn_fail(sc, PQerrorMessage(sc->pg));
        }
        return;
    }

    denied = 0;

    if (ctx->auth_pending && sc->state == NGX_SMSCAMP_CONN_QUERYING) {
        /* the key is known now: go on with the route, or refuse */
        denied = ngx_smscamp_auth_result(ctx, res);
        PQclear(res);

        if (!denied) {
            ngx_smscamp_stmt_use_route(ctx);
            sc->state = sc->prepared[ctx->stmt->index]
                        ? NGX_SMSCAMP_CONN_QUERYING : NGX_SMSCAMP_CONN_PREPARING;

            if (ngx_smscamp_conn_send(sc) != NGX_OK) {
                ngx_smscamp_conn_fail(sc, PQerrorMessage(sc->pg));
            }
            return;
        }
    }

    if (sc->connection->read->timer_set) {
        ngx_del_timer(sc->connection->read);
    }

    sc->ctx = NULL;
    ctx->conn = NULL;

    if (denied) {
        rc = ngx_smscamp_auth_deny(ctx->request, denied);

    } else if (ctx->send_result) {
        rc = ctx->send_result(ctx->request, res);

    } else if (PQresultStatus(res) == PGRES_TUPLES_OK) {
        rc = ngx_smscamp_send_result(ctx->request, res);

    } else {
        rc = ngx_smscamp_send_pg_error(ctx->request, res);
    }

    if (PQstatus(sc->pg) == CONNECTION_BAD) {
        ngx_smscamp_conn_close(sc, "lost");

    } else {
        ngx_smscamp_conn_ready(sc);
    }

    ngx_smscamp_finalize(ctx, rc);
}


/* the connection is unusable: answer its request with 503 and close it */

static void
ngx_smscamp_conn_fail(ngx_smscamp_conn_t *sc, const char *reason)
{
    ngx_uint_t          connecting;
    ngx_smscamp_ctx_t  *ctx;
    ngx_smscamp_pool_t *pool;

    ctx = sc->ctx;
    pool = sc->pool;
    connecting = (sc->state == NGX_SMSCAMP_CONN_CONNECTING);

    ngx_smscamp_conn_close(sc, reason);

    if (ctx) {
        ctx->conn = NULL;
        ngx_smscamp_finalize(ctx, ngx_smscamp_send_unavailable(ctx->request,
                                 "Database connection lost"));
    }

    if (connecting && !ngx_smscamp_pool_busy(pool)) {
        ngx_smscamp_fail_waiting(pool);
    }
}
