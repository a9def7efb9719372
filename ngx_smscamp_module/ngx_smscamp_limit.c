/*
 * Rate limits: a token bucket per API key and one per client address, kept
 * in a shared memory zone so that every nginx worker counts together.
 *
 * A request counts once, against its key when it has a valid one:
 * smscamp_rate_limit_key (100 r/s, burst 200) or the key's own rate_limit
 * (burst: twice as many); every other request (public routes, no key, a
 * refused key) against its address: smscamp_rate_limit_ip. Over the limit:
 * 429 JSON with Retry-After. "smscamp_rate_limit off" turns both off.
 *
 * ngx_smscamp_limit_check() is asked when a request arrives, and again
 * when a key lookup has said whose the request is. A key the worker does
 * not know yet counts against the address until then, so guessing keys is
 * limited per address before any lookup is made; when the lookup finds a
 * valid key, the request's count moves to the key's bucket (refused there
 * when the key is over its limit; the address keeps it then).
 *
 * The state of a bucket is its "excess", in thousandths of a request: each
 * request adds 1000, time takes rate/1000 per millisecond away, and a
 * request that would take it over the burst is refused (and not counted).
 */


#include "ngx_smscamp.h"


#define NGX_SMSCAMP_LIMIT_KEY    1
#define NGX_SMSCAMP_LIMIT_ADDR   2
#define NGX_SMSCAMP_LIMIT_IDLE   60000     /* ms: a bucket this old is full */


typedef struct {
    ngx_queue_t                queue;      /* in sh->queue, newest first */
    ngx_msec_t                 last;
    ngx_uint_t                 excess;
    u_char                     kind;
    u_char                     len;
    u_char                     data[1];
} ngx_smscamp_limit_node_t;


typedef struct {
    ngx_rbtree_t               rbtree;
    ngx_rbtree_node_t          sentinel;
    ngx_queue_t                queue;
} ngx_smscamp_limit_shctx_t;


typedef struct {
    ngx_smscamp_limit_shctx_t  *sh;
    ngx_slab_pool_t            *shpool;
} ngx_smscamp_limit_ctx_t;


static ngx_int_t ngx_smscamp_limit_init_zone(ngx_shm_zone_t *shm_zone,
    void *data);
static void ngx_smscamp_limit_insert_value(ngx_rbtree_node_t *temp,
    ngx_rbtree_node_t *node, ngx_rbtree_node_t *sentinel);
static ngx_smscamp_limit_node_t *ngx_smscamp_limit_node(
    ngx_smscamp_limit_ctx_t *lctx, ngx_http_request_t *r,
    ngx_smscamp_ctx_t *ctx, ngx_uint_t kind, ngx_uint_t create);
static void ngx_smscamp_limit_id(ngx_http_request_t *r,
    ngx_smscamp_ctx_t *ctx, ngx_uint_t kind, u_char **data, size_t *len);
static ngx_smscamp_limit_node_t *ngx_smscamp_limit_lookup(
    ngx_smscamp_limit_ctx_t *lctx, ngx_uint_t kind, u_char *data, size_t len,
    uint32_t hash);
static ngx_smscamp_limit_node_t *ngx_smscamp_limit_create(
    ngx_smscamp_limit_ctx_t *lctx, ngx_uint_t kind, u_char *data, size_t len,
    uint32_t hash);
static void ngx_smscamp_limit_expire(ngx_smscamp_limit_ctx_t *lctx,
    ngx_uint_t force);
static ngx_uint_t ngx_smscamp_limit_take(ngx_smscamp_limit_node_t *ln,
    ngx_smscamp_limit_conf_t *lc);


static ngx_str_t  ngx_smscamp_limit_zone_name = ngx_string("smscamp_rate_limit");


ngx_int_t
ngx_smscamp_limit_add_zone(ngx_conf_t *cf, ngx_smscamp_main_conf_t *smcf)
{
    ngx_smscamp_limit_ctx_t  *lctx;

    lctx = ngx_pcalloc(cf->pool, sizeof(ngx_smscamp_limit_ctx_t));
    if (lctx == NULL) {
        return NGX_ERROR;
    }

    smcf->limit_zone = ngx_shared_memory_add(cf, &ngx_smscamp_limit_zone_name,
                                             smcf->limit_zone_size,
                                             &ngx_smscamp_module);
    if (smcf->limit_zone == NULL) {
        return NGX_ERROR;
    }

    smcf->limit_zone->init = ngx_smscamp_limit_init_zone;
    smcf->limit_zone->data = lctx;

    return NGX_OK;
}


static ngx_int_t
ngx_smscamp_limit_init_zone(ngx_shm_zone_t *shm_zone, void *data)
{
    ngx_smscamp_limit_ctx_t  *octx = data;

    size_t                    len;
    ngx_smscamp_limit_ctx_t  *lctx;

    lctx = shm_zone->data;

    if (octx) {
        lctx->sh = octx->sh;
        lctx->shpool = octx->shpool;
        return NGX_OK;
    }

    lctx->shpool = (ngx_slab_pool_t *) shm_zone->shm.addr;

    if (shm_zone->shm.exists) {
        lctx->sh = lctx->shpool->data;
        return NGX_OK;
    }

    lctx->sh = ngx_slab_alloc(lctx->shpool, sizeof(ngx_smscamp_limit_shctx_t));
    if (lctx->sh == NULL) {
        return NGX_ERROR;
    }

    lctx->shpool->data = lctx->sh;

    ngx_rbtree_init(&lctx->sh->rbtree, &lctx->sh->sentinel,
                    ngx_smscamp_limit_insert_value);
    ngx_queue_init(&lctx->sh->queue);

    len = sizeof(" in smscamp rate limit zone \"\"") + shm_zone->shm.name.len;

    lctx->shpool->log_ctx = ngx_slab_alloc(lctx->shpool, len);
    if (lctx->shpool->log_ctx == NULL) {
        return NGX_ERROR;
    }

    ngx_sprintf(lctx->shpool->log_ctx, " in smscamp rate limit zone \"%V\"%Z",
                &shm_zone->shm.name);

    lctx->shpool->log_nomem = 0;

    return NGX_OK;
}


/*
 * Count the request against whom it is known to be now: NGX_OK, or
 * NGX_BUSY with the seconds to wait in ctx->retry_after.
 */

ngx_int_t
ngx_smscamp_limit_check(ngx_http_request_t *r, ngx_smscamp_ctx_t *ctx)
{
    ngx_uint_t                 kind, wait;
    ngx_smscamp_limit_conf_t   lc;
    ngx_smscamp_limit_ctx_t   *lctx;
    ngx_smscamp_limit_node_t  *ln, *addr;
    ngx_smscamp_main_conf_t   *smcf;

    smcf = ngx_http_get_module_main_conf(r, ngx_smscamp_module);

    if (!smcf->rate_limit || smcf->limit_zone == NULL || ctx->unlimited) {
        return NGX_OK;
    }

    kind = ctx->key_known ? NGX_SMSCAMP_LIMIT_KEY : NGX_SMSCAMP_LIMIT_ADDR;

    if (ctx->limited == kind) {
        return NGX_OK;                      /* counted against it already */
    }

    if (kind == NGX_SMSCAMP_LIMIT_KEY) {
        lc = smcf->limit_key;

        if (ctx->key_rate) {
            lc.rate = ctx->key_rate * 1000;
            lc.burst = ctx->key_rate * 2000;
        }

    } else {
        lc = smcf->limit_ip;
    }

    lctx = smcf->limit_zone->data;

    ngx_shmtx_lock(&lctx->shpool->mutex);

    ngx_smscamp_limit_expire(lctx, 0);

    ln = ngx_smscamp_limit_node(lctx, r, ctx, kind, 1);
    wait = (ln == NULL) ? 0 : ngx_smscamp_limit_take(ln, &lc);

    if (ln != NULL && wait == 0 && ctx->limited == NGX_SMSCAMP_LIMIT_ADDR) {
        /* it counted against its address until its key was known */
        addr = ngx_smscamp_limit_node(lctx, r, ctx, NGX_SMSCAMP_LIMIT_ADDR,
                                      0);

        if (addr != NULL) {
            addr->excess = (addr->excess > 1000) ? addr->excess - 1000 : 0;
        }
    }

    ngx_shmtx_unlock(&lctx->shpool->mutex);

    if (ln == NULL) {
        /* the zone is full even after expiring: let the request through */
        ngx_log_error(NGX_LOG_WARN, r->connection->log, 0,
                      "smscamp: rate limit zone is full");
        return NGX_OK;
    }

    if (wait) {
        ngx_log_debug2(NGX_LOG_DEBUG_HTTP, r->connection->log, 0,
                       "smscamp ctx %p: rate limited for %ui s", ctx, wait);
        ctx->retry_after = wait;
        return NGX_BUSY;
    }

    ctx->limited = kind;

    return NGX_OK;
}


/* the bucket of the key or the address, found (or made); NULL: none */

static ngx_smscamp_limit_node_t *
ngx_smscamp_limit_node(ngx_smscamp_limit_ctx_t *lctx, ngx_http_request_t *r,
    ngx_smscamp_ctx_t *ctx, ngx_uint_t kind, ngx_uint_t create)
{
    u_char                    *data;
    size_t                     len;
    uint32_t                   hash;
    ngx_smscamp_limit_node_t  *ln;

    ngx_smscamp_limit_id(r, ctx, kind, &data, &len);
    hash = ngx_crc32_short(data, len) ^ (uint32_t) kind;

    ln = ngx_smscamp_limit_lookup(lctx, kind, data, len, hash);

    if (ln == NULL && create) {
        ln = ngx_smscamp_limit_create(lctx, kind, data, len, hash);
    }

    return ln;
}


/* the key's digest, or the client's address */

static void
ngx_smscamp_limit_id(ngx_http_request_t *r, ngx_smscamp_ctx_t *ctx,
    ngx_uint_t kind, u_char **data, size_t *len)
{
    struct sockaddr_in   *sin;
#if (NGX_HAVE_INET6)
    struct sockaddr_in6  *sin6;
#endif

    if (kind == NGX_SMSCAMP_LIMIT_KEY) {
        *data = ctx->key_digest;
        *len = sizeof(ctx->key_digest);
        return;
    }

    switch (r->connection->sockaddr->sa_family) {

    case AF_INET:
        sin = (struct sockaddr_in *) r->connection->sockaddr;
        *data = (u_char *) &sin->sin_addr;
        *len = sizeof(sin->sin_addr);
        break;

#if (NGX_HAVE_INET6)
    case AF_INET6:
        sin6 = (struct sockaddr_in6 *) r->connection->sockaddr;
        *data = sin6->sin6_addr.s6_addr;
        *len = sizeof(sin6->sin6_addr.s6_addr);
        break;
#endif

    default: /* a unix socket: one bucket for all */
        *data = (u_char *) "unix";
        *len = sizeof("unix") - 1;
    }
}


/* 0 if the request may go (counted), else the seconds until it may */

static ngx_uint_t
ngx_smscamp_limit_take(ngx_smscamp_limit_node_t *ln,
    ngx_smscamp_limit_conf_t *lc)
{
    ngx_int_t       excess;
    ngx_msec_int_t  ms;

    ms = (ngx_msec_int_t) (ngx_current_msec - ln->last);

    if (ms < 0) {
        ms = 0;
    }

    if (ms > NGX_SMSCAMP_LIMIT_IDLE) {
        ms = NGX_SMSCAMP_LIMIT_IDLE;
    }

    excess = (ngx_int_t) ln->excess - (ngx_int_t) (lc->rate * ms / 1000);

    if (excess < 0) {
        excess = 0;
    }

    if ((ngx_uint_t) excess + 1000 > lc->burst) {
        /* until the excess has drained to burst - 1000, rounded up */
        return ((ngx_uint_t) excess + 1000 - lc->burst) * 1000 / lc->rate
               / 1000 + 1;
    }

    ln->excess = excess + 1000;
    ln->last = ngx_current_msec;

    return 0;
}


static ngx_smscamp_limit_node_t *
ngx_smscamp_limit_lookup(ngx_smscamp_limit_ctx_t *lctx, ngx_uint_t kind,
    u_char *data, size_t len, uint32_t hash)
{
    ngx_int_t                  rc;
    ngx_rbtree_node_t         *node, *sentinel;
    ngx_smscamp_limit_node_t  *ln;

    node = lctx->sh->rbtree.root;
    sentinel = lctx->sh->rbtree.sentinel;

    while (node != sentinel) {

        if (hash != node->key) {
            node = (hash < node->key) ? node->left : node->right;
            continue;
        }

        ln = (ngx_smscamp_limit_node_t *) (node + 1);

        rc = (ngx_int_t) kind - (ngx_int_t) ln->kind;

        if (rc == 0) {
            rc = ngx_memn2cmp(data, ln->data, len, (size_t) ln->len);
        }

        if (rc == 0) {
            ngx_queue_remove(&ln->queue);
            ngx_queue_insert_head(&lctx->sh->queue, &ln->queue);
            return ln;
        }

        node = (rc < 0) ? node->left : node->right;
    }

    return NULL;
}


static ngx_smscamp_limit_node_t *
ngx_smscamp_limit_create(ngx_smscamp_limit_ctx_t *lctx, ngx_uint_t kind,
    u_char *data, size_t len, uint32_t hash)
{
    size_t                     size;
    ngx_rbtree_node_t         *node;
    ngx_smscamp_limit_node_t  *ln;

    size = sizeof(ngx_rbtree_node_t)
           + offsetof(ngx_smscamp_limit_node_t, data) + len;

    node = ngx_slab_alloc_locked(lctx->shpool, size);

    if (node == NULL) {
        ngx_smscamp_limit_expire(lctx, 1);

        node = ngx_slab_alloc_locked(lctx->shpool, size);
        if (node == NULL) {
            return NULL;
        }
    }

    node->key = hash;

    ln = (ngx_smscamp_limit_node_t *) (node + 1);
    ln->kind = (u_char) kind;
    ln->len = (u_char) len;
    ln->excess = 0;
    ln->last = ngx_current_msec;
    ngx_memcpy(ln->data, data, len);

    ngx_rbtree_insert(&lctx->sh->rbtree, node);
    ngx_queue_insert_head(&lctx->sh->queue, &ln->queue);

    return ln;
}


/*
 * Free the oldest buckets: those idle long enough to be full again (two at
 * most per request), or, when the zone is full, three regardless.
 */

static void
ngx_smscamp_limit_expire(ngx_smscamp_limit_ctx_t *lctx, ngx_uint_t force)
{
    ngx_uint_t                 n;
    ngx_queue_t               *q;
    ngx_rbtree_node_t         *node;
    ngx_smscamp_limit_node_t  *ln;

    for (n = 0; n < 3; n++) {

        if (ngx_queue_empty(&lctx->sh->queue)) {
            return;
        }

        q = ngx_queue_last(&lctx->sh->queue);
        ln = ngx_queue_data(q, ngx_smscamp_limit_node_t, queue);

        if (!force) {
            if (n == 2
                || (ngx_msec_int_t) (ngx_current_msec - ln->last)
                   < NGX_SMSCAMP_LIMIT_IDLE)
            {
                return;
            }
        }

        ngx_queue_remove(q);

        node = (ngx_rbtree_node_t *) ln - 1;
        ngx_rbtree_delete(&lctx->sh->rbtree, node);
        ngx_slab_free_locked(lctx->shpool, node);
    }
}


static void
ngx_smscamp_limit_insert_value(ngx_rbtree_node_t *temp,
    ngx_rbtree_node_t *node, ngx_rbtree_node_t *sentinel)
{
    ngx_int_t                  rc;
    ngx_rbtree_node_t        **p;
    ngx_smscamp_limit_node_t  *ln, *lnt;

    ln = (ngx_smscamp_limit_node_t *) (node + 1);

    for ( ;; ) {

        if (node->key != temp->key) {
            p = (node->key < temp->key) ? &temp->left : &temp->right;

        } else {
            lnt = (ngx_smscamp_limit_node_t *) (temp + 1);

            rc = (ngx_int_t) ln->kind - (ngx_int_t) lnt->kind;

            if (rc == 0) {
                rc = ngx_memn2cmp(ln->data, lnt->data, (size_t) ln->len,
                                  (size_t) lnt->len);
            }

            p = (rc < 0) ? &temp->left : &temp->right;
        }

        if (*p == sentinel) {
            break;
        }

        temp = *p;
    }

    *p = node;
    node->parent = temp;
    node->left = sentinel;
    node->right = sentinel;
    ngx_rbt_red(node);
}


/* the Retry-After header of an answer, in seconds */

ngx_int_t
ngx_smscamp_retry_after(ngx_http_request_t *r, ngx_uint_t seconds)
{
    ngx_str_t  v;

    v.data = ngx_pnalloc(r->pool, NGX_INT_T_LEN);
    if (v.data == NULL) {
        return NGX_ERROR;
    }

    v.len = ngx_sprintf(v.data, "%ui", seconds) - v.data;

    return ngx_smscamp_add_header(r, "Retry-After", &v);
}


ngx_int_t
ngx_smscamp_limit_deny(ngx_http_request_t *r, ngx_uint_t retry_after)
{
    if (ngx_smscamp_retry_after(r, retry_after) != NGX_OK) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    return ngx_smscamp_send_detail(r, NGX_HTTP_TOO_MANY_REQUESTS,
                                   "Too many requests: slow down and retry "
                                   "after the number of seconds in "
                                   "Retry-After");
}


/* smscamp_rate_limit_key|ip RATE [burst=N]; RATE is Nr/s or Nr/m */

char *
ngx_smscamp_limit_set_rate(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    u_char                    *p;
    size_t                     len;
    ngx_int_t                  n, scale;
    ngx_str_t                 *value;
    ngx_uint_t                 i;
    ngx_smscamp_limit_conf_t  *lc;

    lc = (ngx_smscamp_limit_conf_t *) ((char *) conf + cmd->offset);

    if (lc->rate != NGX_CONF_UNSET_UINT) {
        return "is duplicate";
    }

    value = cf->args->elts;

    for (i = 1; i < cf->args->nelts; i++) {

        if (ngx_strncmp(value[i].data, "burst=", 6) == 0) {
            n = ngx_atoi(value[i].data + 6, value[i].len - 6);
            if (n <= 0 || n > 10000000) {
                return "has an invalid burst";
            }

            lc->burst = n * 1000;
            continue;
        }

        len = value[i].len;

        if (len <= 3) {
            return "has an invalid rate: use Nr/s or Nr/m";
        }

        len -= 3;
        p = value[i].data + len;

        if (ngx_strncmp(p, "r/s", 3) == 0) {
            scale = 1;

        } else if (ngx_strncmp(p, "r/m", 3) == 0) {
            scale = 60;

        } else {
            return "has an invalid rate: use Nr/s or Nr/m";
        }

        n = ngx_atoi(value[i].data, len);
        if (n <= 0 || n > 10000000) {
            return "has an invalid rate: use Nr/s or Nr/m";
        }

        lc->rate = n * 1000 / scale;

        if (lc->rate == 0) {
            lc->rate = 1;
        }
    }

    if (lc->rate == NGX_CONF_UNSET_UINT) {
        return "needs a rate";
    }

    return NGX_CONF_OK;
}


/* defaults: RATE 100r/s, burst twice the rate per second (at least 1) */

void
ngx_smscamp_limit_merge(ngx_smscamp_limit_conf_t *lc)
{
    if (lc->rate == NGX_CONF_UNSET_UINT) {
        lc->rate = 100000;
    }

    if (lc->burst == NGX_CONF_UNSET_UINT) {
        lc->burst = ngx_max(lc->rate * 2 / 1000, 1) * 1000;
    }
}
