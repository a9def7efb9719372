/*
 * GET /metrics in Prometheus text format:
 *
 *     location = /metrics { smscamp_metrics; }
 *
 * The module's counters live in a shared memory zone ("smscamp_metrics"),
 * so one scrape sees every worker: requests by route pattern and status, a
 * latency histogram per route and the queue wait histogram (the time from
 * ngx_smscamp_pool_submit() to a connection or the queue timeout: the
 * request's submitted and started), all counted in the log phase.
 *
 * The pool's gauges (busy, idle, connecting connections, waiting requests)
 * are plain counters of each worker's pool, read with
 * ngx_smscamp_pool_gauges(). A scrape is served by one worker and cannot
 * read the others' pools, so each worker copies its gauges into its slot of
 * the zone: in the log phase of each request it answered, when it answers
 * a scrape (its own are then exact), and once a second from a timer (for
 * changes no request sees: an idle connection lost). The pool itself never
 * calls in here.
 *
 * The engine's part (the extension's shared memory counters) is appended
 * from one query, NGX_SMSCAMP_METRICS_SQL (api.metrics()), on the pool like
 * any route: GET /metrics is a route made by the routes' builder, its
 * request built like theirs, its completion ngx_smscamp_metrics_send().
 *
 * Who may scrape: a client on a loopback address (127.0.0.0/8, ::1, a unix
 * socket), or anyone with an admin API key. Without a key: 403; a viewer or
 * operator key: 403; an unknown or revoked key: 401.
 */


#include "ngx_smscamp.h"


#define NGX_SMSCAMP_METRICS_WORKERS   128
#define NGX_SMSCAMP_METRICS_STATUSES  600   /* 0-599; other values count as 0 */
#define NGX_SMSCAMP_METRICS_BUCKETS   14    /* the last one is +Inf */
#define NGX_SMSCAMP_METRICS_SQL       "SELECT status, body FROM api.metrics()"
#define NGX_SMSCAMP_METRICS_PUBLISH   1000  /* ms between a worker's copies */

/* room for the longest line, its label aside */
#define NGX_SMSCAMP_METRICS_LINE                                              \
    (sizeof("smscamp_http_request_duration_seconds_bucket"                    \
            "{route=\"\",le=\"0.0025\"} \n") + 2 * NGX_ATOMIC_T_LEN)


typedef struct {
    ngx_atomic_t                   buckets[NGX_SMSCAMP_METRICS_BUCKETS];
    ngx_atomic_t                   sum_us;
} ngx_smscamp_hist_t;


typedef struct {
    ngx_atomic_t                   status[NGX_SMSCAMP_METRICS_STATUSES];
    ngx_smscamp_hist_t             latency;
} ngx_smscamp_route_metrics_t;


typedef struct {
    ngx_atomic_t                   pid;
    ngx_atomic_t                   busy;
    ngx_atomic_t                   idle;
    ngx_atomic_t                   connecting;
    ngx_atomic_t                   waiting;
} ngx_smscamp_worker_metrics_t;


/* the shared memory; routes[] has one entry per route, then "other" */
typedef struct {
    uint32_t                       signature;
    ngx_smscamp_hist_t             queue_wait;
    ngx_smscamp_worker_metrics_t   workers[NGX_SMSCAMP_METRICS_WORKERS];
    ngx_smscamp_route_metrics_t    routes[1];
} ngx_smscamp_metrics_sh_t;


/* per configuration: what the zone holds and how to name it */
typedef struct {
    ngx_smscamp_metrics_sh_t      *sh;
    size_t                         size;
    ngx_uint_t                     nroutes;    /* routes[] entries, "other" included */
    ngx_str_t                     *labels;     /* escaped route labels */
    ngx_int_t                      route;      /* index of GET /metrics, or -1 */
    uint32_t                       signature;  /* of the labels */
} ngx_smscamp_metrics_t;


static ngx_int_t ngx_smscamp_metrics_init_zone(ngx_shm_zone_t *shm_zone,
    void *data);
static ngx_int_t ngx_smscamp_metrics_labels(ngx_conf_t *cf,
    ngx_smscamp_metrics_t *mt, ngx_smscamp_main_conf_t *smcf);
static ngx_int_t ngx_smscamp_metrics_log_handler(ngx_http_request_t *r);
static void ngx_smscamp_metrics_observe(ngx_smscamp_hist_t *h,
    ngx_msec_int_t ms);
static void ngx_smscamp_metrics_publish(ngx_smscamp_main_conf_t *smcf);
static void ngx_smscamp_metrics_timer(ngx_event_t *ev);
static ngx_int_t ngx_smscamp_metrics_handler(ngx_http_request_t *r);
static ngx_uint_t ngx_smscamp_metrics_local(ngx_http_request_t *r);
static ngx_int_t ngx_smscamp_metrics_send(ngx_smscamp_ctx_t *ctx,
    PGresult *res);
static size_t ngx_smscamp_metrics_size(ngx_smscamp_metrics_t *mt,
    ngx_smscamp_metrics_sh_t *snap);
static u_char *ngx_smscamp_metrics_write(u_char *p, u_char *end,
    ngx_smscamp_metrics_t *mt, ngx_smscamp_metrics_sh_t *snap);
static u_char *ngx_smscamp_metrics_write_routes(u_char *p, u_char *end,
    ngx_smscamp_metrics_t *mt, ngx_smscamp_metrics_sh_t *snap);
static u_char *ngx_smscamp_metrics_write_pool(u_char *p, u_char *end,
    ngx_smscamp_metrics_sh_t *snap);
static u_char *ngx_smscamp_metrics_write_hist(u_char *p, u_char *end,
    const char *name, ngx_str_t *label, ngx_smscamp_hist_t *h);


static ngx_str_t  ngx_smscamp_metrics_type =
    ngx_string("text/plain; version=0.0.4; charset=utf-8");
static ngx_str_t  ngx_smscamp_metrics_zone_name =
    ngx_string("smscamp_metrics");

/* bucket bounds in microseconds, and as Prometheus writes them */
static ngx_msec_int_t  ngx_smscamp_metrics_bounds[] = {
    1000, 2500, 5000, 10000, 25000, 50000, 100000, 250000, 500000,
    1000000, 2500000, 5000000, 10000000
};

static char  *ngx_smscamp_metrics_le[] = {
    "0.001", "0.0025", "0.005", "0.01", "0.025", "0.05", "0.1", "0.25",
    "0.5", "1", "2.5", "5", "10", "+Inf"
};

/* this worker's zone, once it has its slot, and its timer */
static ngx_smscamp_metrics_t  *ngx_smscamp_metrics_proc;
static ngx_event_t             ngx_smscamp_metrics_publish_ev;


/* smscamp_metrics; : serve GET /metrics here (a route of its own, admin) */

char *
ngx_smscamp_metrics_directive(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    ngx_http_core_loc_conf_t  *clcf;
    ngx_smscamp_main_conf_t   *smcf;

    static ngx_str_t  route[] = {
        ngx_string("GET"), ngx_string("/metrics"), ngx_string("admin")
    };

    clcf = ngx_http_conf_get_module_loc_conf(cf, ngx_http_core_module);
    clcf->handler = ngx_smscamp_metrics_handler;

    smcf = ngx_http_conf_get_module_main_conf(cf, ngx_smscamp_module);

    if (smcf->metrics_route >= 0) {
        return NGX_CONF_OK;
    }

    /* through the routes' builder: a prepared statement on the pool */
    smcf->metrics_route = ngx_smscamp_route_add(cf, smcf, route, 3,
                                                NGX_SMSCAMP_METRICS_SQL);

    return (smcf->metrics_route == NGX_ERROR) ? NGX_CONF_ERROR : NGX_CONF_OK;
}


/* postconfiguration: the zone, sized for the routes, and the log handler */

ngx_int_t
ngx_smscamp_metrics_init(ngx_conf_t *cf)
{
    ngx_shm_zone_t             *zone;
    ngx_http_handler_pt        *h;
    ngx_smscamp_metrics_t      *mt;
    ngx_smscamp_main_conf_t    *smcf;
    ngx_http_core_main_conf_t  *cmcf;

    smcf = ngx_http_conf_get_module_main_conf(cf, ngx_smscamp_module);

    if (smcf->dsn.len == 0) {
        return NGX_OK;
    }

    mt = ngx_pcalloc(cf->pool, sizeof(ngx_smscamp_metrics_t));
    if (mt == NULL) {
        return NGX_ERROR;
    }

    if (ngx_smscamp_metrics_labels(cf, mt, smcf) != NGX_OK) {
        return NGX_ERROR;
    }

    mt->size = offsetof(ngx_smscamp_metrics_sh_t, routes)
               + mt->nroutes * sizeof(ngx_smscamp_route_metrics_t);

    zone = ngx_shared_memory_add(cf, &ngx_smscamp_metrics_zone_name,
                                 ngx_align(mt->size, ngx_pagesize)
                                 + 8 * ngx_pagesize,
                                 &ngx_smscamp_module);
    if (zone == NULL) {
        return NGX_ERROR;
    }

    zone->init = ngx_smscamp_metrics_init_zone;
    zone->data = mt;

    cmcf = ngx_http_conf_get_module_main_conf(cf, ngx_http_core_module);

    h = ngx_array_push(&cmcf->phases[NGX_HTTP_LOG_PHASE].handlers);
    if (h == NULL) {
        return NGX_ERROR;
    }

    *h = ngx_smscamp_metrics_log_handler;

    smcf->metrics = mt;

    return NGX_OK;
}


/* "METHOD /pattern" per route, escaped for a label value, then "other" */

static ngx_int_t
ngx_smscamp_metrics_labels(ngx_conf_t *cf, ngx_smscamp_metrics_t *mt,
    ngx_smscamp_main_conf_t *smcf)
{
    u_char               *p, *s, *end;
    size_t                len;
    ngx_uint_t            i;
    ngx_smscamp_route_t  *rt;

    rt = smcf->routes.elts;
    mt->nroutes = smcf->routes.nelts + 1;
    mt->route = smcf->metrics_route;

    mt->labels = ngx_pcalloc(cf->pool, mt->nroutes * sizeof(ngx_str_t));
    if (mt->labels == NULL) {
        return NGX_ERROR;
    }

    ngx_crc32_init(mt->signature);

    for (i = 0; i < smcf->routes.nelts; i++) {
        len = 2 * (rt[i].method.len + 1 + rt[i].pattern.len);

        p = ngx_pnalloc(cf->pool, len);
        if (p == NULL) {
            return NGX_ERROR;
        }

        mt->labels[i].data = p;

        s = rt[i].method.data;
        end = s + rt[i].method.len;

        while (s < end) {
            *p++ = *s++;
        }

        *p++ = ' ';

        for (s = rt[i].pattern.data, end = s + rt[i].pattern.len;
             s < end; s++)
        {
            if (*s == '"' || *s == '\\' || *s == '\n') {
                *p++ = '\\';
                *p++ = (*s == '\n') ? 'n' : *s;
                continue;
            }

            *p++ = *s;
        }

        mt->labels[i].len = p - mt->labels[i].data;

        /* each label and a separator (the byte after a label is not ours) */
        ngx_crc32_update(&mt->signature, mt->labels[i].data,
                         mt->labels[i].len);
        ngx_crc32_update(&mt->signature, (u_char *) "\n", 1);
    }

    ngx_str_set(&mt->labels[i], "other");
    ngx_crc32_final(mt->signature);

    return NGX_OK;
}


static ngx_int_t
ngx_smscamp_metrics_init_zone(ngx_shm_zone_t *shm_zone, void *data)
{
    ngx_smscamp_metrics_t  *omt = data;

    ngx_slab_pool_t        *shpool;
    ngx_smscamp_metrics_t  *mt;

    mt = shm_zone->data;

    if (omt) {
        /* a reload with the same zone size: keep counting, unless the routes changed */
        if (omt->size != mt->size) {
            ngx_log_error(NGX_LOG_EMERG, shm_zone->shm.log, 0,
                          "smscamp: metrics zone layout changed");
            return NGX_ERROR;
        }

        mt->sh = omt->sh;

        if (mt->sh->signature != mt->signature) {
            ngx_memzero(mt->sh, mt->size);
            mt->sh->signature = mt->signature;
        }

        return NGX_OK;
    }

    shpool = (ngx_slab_pool_t *) shm_zone->shm.addr;

    if (shm_zone->shm.exists) {
        mt->sh = shpool->data;
        return NGX_OK;
    }

    mt->sh = ngx_slab_calloc(shpool, mt->size);
    if (mt->sh == NULL) {
        return NGX_ERROR;
    }

    mt->sh->signature = mt->signature;
    shpool->data = mt->sh;

    return NGX_OK;
}


/* the log phase: count every request the module answered */

static ngx_int_t
ngx_smscamp_metrics_log_handler(ngx_http_request_t *r)
{
    ngx_uint_t                    i, status;
    ngx_time_t                   *tp;
    ngx_msec_int_t                ms;
    ngx_smscamp_ctx_t            *ctx;
    ngx_smscamp_metrics_t        *mt;
    ngx_smscamp_loc_conf_t       *slcf;
    ngx_smscamp_main_conf_t      *smcf;
    ngx_smscamp_route_metrics_t  *rm;

    smcf = ngx_http_get_module_main_conf(r, ngx_smscamp_module);
    mt = smcf->metrics;

    if (mt == NULL || mt->sh == NULL) {
        return NGX_OK;
    }

    ctx = ngx_http_get_module_ctx(r, ngx_smscamp_module);

    if (ctx != NULL && ctx->route != NULL) {
        i = ctx->route->index;

    } else {
        slcf = ngx_http_get_module_loc_conf(r, ngx_smscamp_module);

        if (!slcf->pass && !slcf->error_page) {
            return NGX_OK;
        }

        i = mt->nroutes - 1;
    }

    if (i >= mt->nroutes) {
        return NGX_OK;
    }

    status = r->err_status ? r->err_status : r->headers_out.status;
    if (status >= NGX_SMSCAMP_METRICS_STATUSES) {
        status = 0;
    }

    tp = ngx_timeofday();
    ms = (ngx_msec_int_t) ((tp->sec - r->start_sec) * 1000
                           + (tp->msec - r->start_msec));

    rm = &mt->sh->routes[i];
    (void) ngx_atomic_fetch_add(&rm->status[status], 1);
    ngx_smscamp_metrics_observe(&rm->latency, ms);

    if (ctx != NULL && ctx->waited) {
        ngx_smscamp_metrics_observe(&mt->sh->queue_wait,
                                    (ngx_msec_int_t) (ctx->started
                                                      - ctx->submitted));
    }

    if (ngx_smscamp_metrics_proc == mt) {
        ngx_smscamp_metrics_publish(smcf);
    }

    return NGX_OK;
}


static void
ngx_smscamp_metrics_observe(ngx_smscamp_hist_t *h, ngx_msec_int_t ms)
{
    ngx_uint_t      i;
    ngx_msec_int_t  us;

    us = (ms > 0) ? ms * 1000 : 0;

    for (i = 0; i < NGX_SMSCAMP_METRICS_BUCKETS - 1; i++) {
        if (us <= ngx_smscamp_metrics_bounds[i]) {
            break;
        }
    }

    (void) ngx_atomic_fetch_add(&h->buckets[i], 1);
    (void) ngx_atomic_fetch_add(&h->sum_us, us);
}


/* a worker's slot in the zone, and a timer that keeps it fresh */

void
ngx_smscamp_metrics_init_process(ngx_cycle_t *cycle,
    ngx_smscamp_main_conf_t *smcf)
{
    ngx_event_t            *ev;
    ngx_smscamp_metrics_t  *mt;

    mt = smcf->metrics;

    if (mt == NULL || mt->sh == NULL
        || ngx_worker >= NGX_SMSCAMP_METRICS_WORKERS)
    {
        return;
    }

    ngx_smscamp_metrics_proc = mt;
    mt->sh->workers[ngx_worker].pid = ngx_pid;

    ev = &ngx_smscamp_metrics_publish_ev;
    ev->handler = ngx_smscamp_metrics_timer;
    ev->data = smcf;
    ev->log = cycle->log;
    ev->cancelable = 1;

    ngx_smscamp_metrics_timer(ev);
}


static void
ngx_smscamp_metrics_timer(ngx_event_t *ev)
{
    ngx_smscamp_metrics_publish(ev->data);

    if (!ngx_exiting) {
        ngx_add_timer(ev, NGX_SMSCAMP_METRICS_PUBLISH);
    }
}


/* copy this worker's pool gauges into its slot */

static void
ngx_smscamp_metrics_publish(ngx_smscamp_main_conf_t *smcf)
{
    ngx_uint_t                     busy, idle, connecting, waiting;
    ngx_smscamp_worker_metrics_t  *w;

    if (ngx_smscamp_metrics_proc == NULL) {
        return;
    }

    w = &ngx_smscamp_metrics_proc->sh->workers[ngx_worker];

    /* after a reload, the new worker of this number owns the slot */
    if ((ngx_pid_t) w->pid != ngx_pid) {
        return;
    }

    ngx_smscamp_pool_gauges(smcf->pool, &busy, &idle, &connecting, &waiting);

    w->busy = busy;
    w->idle = idle;
    w->connecting = connecting;
    w->waiting = waiting;
}


/* GET /metrics: a loopback client, or an admin key; no rate limit */

static ngx_int_t
ngx_smscamp_metrics_handler(ngx_http_request_t *r)
{
    ngx_uint_t                status;
    ngx_smscamp_ctx_t        *ctx;
    ngx_smscamp_metrics_t    *mt;
    ngx_smscamp_route_t      *rt;
    ngx_smscamp_main_conf_t  *smcf;

    if (ngx_http_discard_request_body(r) != NGX_OK) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    smcf = ngx_http_get_module_main_conf(r, ngx_smscamp_module);
    mt = smcf->metrics;

    if (mt == NULL || mt->sh == NULL || mt->route < 0) {
        return ngx_smscamp_send_detail(r, NGX_HTTP_NOT_FOUND, "Not Found");
    }

    rt = smcf->routes.elts;

    ctx = ngx_smscamp_ctx_create(r, &rt[mt->route]);
    if (ctx == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    ctx->complete = ngx_smscamp_metrics_send;
    ctx->unlimited = 1;

    if (!(r->method & (NGX_HTTP_GET|NGX_HTTP_HEAD))) {
        return ngx_smscamp_send_detail(r, NGX_HTTP_NOT_ALLOWED,
                                       "Method Not Allowed");
    }

    if (!ngx_smscamp_metrics_local(r)) {
        if (r->headers_in.authorization == NULL) {
            return ngx_smscamp_send_detail(r, NGX_HTTP_FORBIDDEN,
                       "Metrics are for loopback clients or an admin API key");
        }

        status = ngx_smscamp_auth_check(r, ctx);
        if (status) {
            return ngx_smscamp_auth_deny(r, status);
        }
    }

    r->main->count++;
    ngx_smscamp_request_submit(ctx);

    return NGX_DONE;
}


static ngx_uint_t
ngx_smscamp_metrics_local(ngx_http_request_t *r)
{
    struct sockaddr_in   *sin;
#if (NGX_HAVE_INET6)
    u_char               *a;
    struct sockaddr_in6  *sin6;
#endif

    switch (r->connection->sockaddr->sa_family) {

    case AF_INET:
        sin = (struct sockaddr_in *) r->connection->sockaddr;
        return (ntohl(sin->sin_addr.s_addr) >> 24) == 127;

#if (NGX_HAVE_INET6)
    case AF_INET6:
        sin6 = (struct sockaddr_in6 *) r->connection->sockaddr;
        a = sin6->sin6_addr.s6_addr;

        if (IN6_IS_ADDR_LOOPBACK(&sin6->sin6_addr)) {
            return 1;
        }

        return IN6_IS_ADDR_V4MAPPED(&sin6->sin6_addr) && a[12] == 127;
#endif

#if (NGX_HAVE_UNIX_DOMAIN)
    case AF_UNIX:
        return 1;
#endif

    default:
        return 0;
    }
}


/* the completion: ours, then the engine's answer (api.metrics()); takes res */

static ngx_int_t
ngx_smscamp_metrics_send(ngx_smscamp_ctx_t *ctx, PGresult *res)
{
    u_char                    *p, *end, *body;
    size_t                     len, engine_len;
    ngx_http_request_t        *r;
    ngx_smscamp_metrics_t     *mt;
    ngx_smscamp_main_conf_t   *smcf;
    ngx_smscamp_metrics_sh_t  *snap;

    static u_char  engine_down[] =
        "# HELP smscamp_engine_metrics_up 1 when the engine's metrics could "
        "be read.\n"
        "# TYPE smscamp_engine_metrics_up gauge\n"
        "smscamp_engine_metrics_up 0\n";

    r = ctx->request;
    smcf = ngx_http_get_module_main_conf(r, ngx_smscamp_module);
    mt = smcf->metrics;

    engine_len = 0;

    if (PQresultStatus(res) == PGRES_TUPLES_OK && PQntuples(res) == 1
        && PQnfields(res) == 2 && !PQgetisnull(res, 0, 1))
    {
        engine_len = PQgetlength(res, 0, 1);

    } else {
        ngx_log_error(NGX_LOG_ERR, r->connection->log, 0,
                      "smscamp: api.metrics() failed: %s",
                      PQresultErrorMessage(res));
    }

    /*
     * this worker's gauges as they are now; then a copy of the counters, so
     * that the size computed is the size written
     */

    ngx_smscamp_metrics_publish(smcf);

    snap = ngx_palloc(r->pool, mt->size);
    if (snap == NULL) {
        PQclear(res);
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    ngx_memcpy(snap, mt->sh, mt->size);

    len = ngx_smscamp_metrics_size(mt, snap);

    body = ngx_pnalloc(r->pool, len + (engine_len ? engine_len
                                                   : sizeof(engine_down) - 1));
    if (body == NULL) {
        PQclear(res);
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    end = body + len;
    p = ngx_smscamp_metrics_write(body, end, mt, snap);

    if (engine_len) {
        p = ngx_cpymem(p, PQgetvalue(res, 0, 1), engine_len);

    } else {
        p = ngx_cpymem(p, engine_down, sizeof(engine_down) - 1);
    }

    PQclear(res);

    return ngx_smscamp_send_body(r, NGX_HTTP_OK, &ngx_smscamp_metrics_type,
                                 body, p - body);
}


/* an upper bound of what ngx_smscamp_metrics_write() writes from snap */

static size_t
ngx_smscamp_metrics_size(ngx_smscamp_metrics_t *mt,
    ngx_smscamp_metrics_sh_t *snap)
{
    size_t      size, lines;
    ngx_uint_t  i, s;

    /* HELP and TYPE lines, the pool's gauges, the queue wait histogram */
    size = 4096 + (NGX_SMSCAMP_METRICS_BUCKETS + 2) * NGX_SMSCAMP_METRICS_LINE;

    for (i = 0; i < mt->nroutes; i++) {
        lines = NGX_SMSCAMP_METRICS_BUCKETS + 2;

        for (s = 0; s < NGX_SMSCAMP_METRICS_STATUSES; s++) {
            lines += (snap->routes[i].status[s] != 0);
        }

        size += lines * (NGX_SMSCAMP_METRICS_LINE + mt->labels[i].len);
    }

    return size;
}


/* the module's metrics from snap, truncated (never) at end */

static u_char *
ngx_smscamp_metrics_write(u_char *p, u_char *end, ngx_smscamp_metrics_t *mt,
    ngx_smscamp_metrics_sh_t *snap)
{
    p = ngx_smscamp_metrics_write_routes(p, end, mt, snap);
    p = ngx_smscamp_metrics_write_pool(p, end, snap);

    return ngx_smscamp_metrics_write_hist(p, end,
               "smscamp_db_queue_wait_seconds", NULL, &snap->queue_wait);
}


static u_char *
ngx_smscamp_metrics_write_routes(u_char *p, u_char *end,
    ngx_smscamp_metrics_t *mt, ngx_smscamp_metrics_sh_t *snap)
{
    ngx_uint_t                    i, s;
    ngx_str_t                    *label;
    ngx_smscamp_route_metrics_t  *rm;

    p = ngx_slprintf(p, end,
            "# HELP smscamp_http_requests_total HTTP requests the module "
            "answered, by route pattern and status.\n"
            "# TYPE smscamp_http_requests_total counter\n");

    for (i = 0; i < mt->nroutes; i++) {
        rm = &snap->routes[i];
        label = &mt->labels[i];

        for (s = 0; s < NGX_SMSCAMP_METRICS_STATUSES; s++) {
            if (rm->status[s] == 0) {
                continue;
            }

            p = ngx_slprintf(p, end,
                    "smscamp_http_requests_total{route=\"%V\",status=\"%ui\"}"
                    " %uA\n", label, s, rm->status[s]);
        }
    }

    p = ngx_slprintf(p, end,
            "# HELP smscamp_http_request_duration_seconds Time from the "
            "request's first byte to its log, by route pattern.\n"
            "# TYPE smscamp_http_request_duration_seconds histogram\n");

    for (i = 0; i < mt->nroutes; i++) {
        p = ngx_smscamp_metrics_write_hist(p, end,
                "smscamp_http_request_duration_seconds", &mt->labels[i],
                &snap->routes[i].latency);
    }

    return p;
}


static u_char *
ngx_smscamp_metrics_write_pool(u_char *p, u_char *end,
    ngx_smscamp_metrics_sh_t *snap)
{
    ngx_uint_t                     i, busy, idle, connecting, waiting, n;
    ngx_smscamp_worker_metrics_t  *w;

    busy = idle = connecting = waiting = n = 0;

    for (i = 0; i < NGX_SMSCAMP_METRICS_WORKERS; i++) {
        w = &snap->workers[i];

        /* a worker that is gone (crashed, or replaced by a reload) */
        if (w->pid == 0 || (kill((ngx_pid_t) w->pid, 0) == -1
                            && ngx_errno == NGX_ESRCH))
        {
            continue;
        }

        n++;
        busy += w->busy;
        idle += w->idle;
        connecting += w->connecting;
        waiting += w->waiting;
    }

    return ngx_slprintf(p, end,
        "# HELP smscamp_nginx_workers nginx workers publishing their pool.\n"
        "# TYPE smscamp_nginx_workers gauge\n"
        "smscamp_nginx_workers %ui\n"
        "# HELP smscamp_db_pool_connections Database connections of the "
        "nginx workers' pools, by state.\n"
        "# TYPE smscamp_db_pool_connections gauge\n"
        "smscamp_db_pool_connections{state=\"busy\"} %ui\n"
        "smscamp_db_pool_connections{state=\"idle\"} %ui\n"
        "smscamp_db_pool_connections{state=\"connecting\"} %ui\n"
        "# HELP smscamp_db_pool_waiting_requests Requests waiting for a "
        "database connection.\n"
        "# TYPE smscamp_db_pool_waiting_requests gauge\n"
        "smscamp_db_pool_waiting_requests %ui\n"
        "# HELP smscamp_db_queue_wait_seconds Time requests waited for a "
        "database connection (timeouts included).\n"
        "# TYPE smscamp_db_queue_wait_seconds histogram\n",
        n, busy, idle, connecting, waiting);
}


/* the buckets (cumulative), _sum and _count; label: a route, or none */

static u_char *
ngx_smscamp_metrics_write_hist(u_char *p, u_char *end, const char *name,
    ngx_str_t *label, ngx_smscamp_hist_t *h)
{
    ngx_str_t            route, sep;
    ngx_uint_t           i;
    ngx_atomic_uint_t    n;

    static ngx_str_t  none = ngx_null_string;

    if (label) {
        route = *label;
        ngx_str_set(&sep, "route=\"");

    } else {
        route = none;
        ngx_str_null(&sep);
    }

    n = 0;

    for (i = 0; i < NGX_SMSCAMP_METRICS_BUCKETS; i++) {
        n += h->buckets[i];
        p = ngx_slprintf(p, end,
                "%s_bucket{%V%V%sle=\"%s\"} %uA\n", name, &sep, &route,
                label ? "\"," : "", ngx_smscamp_metrics_le[i], n);
    }

    if (label) {
        p = ngx_slprintf(p, end,
                "%s_sum{route=\"%V\"} %uA.%06uA\n"
                "%s_count{route=\"%V\"} %uA\n",
                name, &route, h->sum_us / 1000000, h->sum_us % 1000000,
                name, &route, n);

    } else {
        p = ngx_slprintf(p, end,
                "%s_sum %uA.%06uA\n%s_count %uA\n",
                name, h->sum_us / 1000000, h->sum_us % 1000000, name, n);
    }

    return p;
}
