/*
 * A request to a route, as one straight line: its route (or a CORS
 * preflight, 404 or 405), who is calling (the key, from the cache or to be
 * looked up) and the rate limit, its body bound to the route's arguments,
 * then its steps on the pool: the key lookup when the cache does not know
 * the key, then the route's statement; the route's answer is its
 * completion (ngx_smscamp_send_answer()). GET /metrics builds its request
 * with the same functions (ngx_smscamp_metrics.c). And the JSON error page.
 */


#include "ngx_smscamp.h"


static void ngx_smscamp_body_handler(ngx_http_request_t *r);
static ngx_int_t ngx_smscamp_no_route(ngx_http_request_t *r,
    ngx_str_t *allow);
static ngx_uint_t ngx_smscamp_admit(ngx_smscamp_ctx_t *ctx,
    ngx_uint_t status);
static ngx_int_t ngx_smscamp_refuse(ngx_smscamp_ctx_t *ctx,
    ngx_uint_t status);
static ngx_int_t ngx_smscamp_key_done(ngx_smscamp_ctx_t *ctx, PGresult *res);
static void ngx_smscamp_step_add(ngx_smscamp_ctx_t *ctx,
    ngx_smscamp_stmt_t *stmt, char **params, ngx_smscamp_done_pt done);


ngx_int_t
ngx_smscamp_handler(ngx_http_request_t *r)
{
    ngx_int_t             rc;
    ngx_str_t             allow, *captures;
    ngx_uint_t            preflight, status;
    ngx_smscamp_ctx_t    *ctx;
    ngx_smscamp_route_t  *rt;

    captures = ngx_palloc(r->pool, 16 * sizeof(ngx_str_t));
    if (captures == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    rt = ngx_smscamp_find_route(r, captures, &allow);
    preflight = ngx_smscamp_cors_is_preflight(r);

    ctx = NULL;
    status = 0;

    if (!preflight) {
        if (ngx_smscamp_cors_headers(r) != NGX_OK) {
            return NGX_HTTP_INTERNAL_SERVER_ERROR;
        }

        if (rt != NULL) {
            ctx = ngx_smscamp_ctx_create(r, rt);
            if (ctx == NULL) {
                return NGX_HTTP_INTERNAL_SERVER_ERROR;
            }

            ctx->captures = captures;
            status = ngx_smscamp_admit(ctx, ngx_smscamp_auth_check(r, ctx));
        }
    }

    if ((ctx == NULL || status || !rt->reads_body)
        && ngx_http_discard_request_body(r) != NGX_OK)
    {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    if (preflight) {
        return ngx_smscamp_cors_preflight(r, &allow);
    }

    if (rt == NULL) {
        return ngx_smscamp_no_route(r, &allow);
    }

    if (status) {
        return ngx_smscamp_refuse(ctx, status);
    }

    if (!rt->reads_body) {
        r->main->count++;
        ngx_smscamp_body_handler(r);
        return NGX_DONE;
    }

    rc = ngx_http_read_client_request_body(r, ngx_smscamp_body_handler);

    if (rc >= NGX_HTTP_SPECIAL_RESPONSE) {
        return rc;
    }

    return NGX_DONE;
}


static void
ngx_smscamp_body_handler(ngx_http_request_t *r)
{
    ngx_uint_t          status;
    const char         *detail;
    ngx_smscamp_ctx_t  *ctx;

    ctx = ngx_http_get_module_ctx(r, ngx_smscamp_module);

    detail = NULL;
    status = ngx_smscamp_bind(ctx, &detail);

    if (status != NGX_OK) {
        ngx_http_finalize_request(r,
                                  ngx_smscamp_send_detail(r, status, detail));
        return;
    }

    ngx_smscamp_request_submit(ctx);
}


/* no route for the method: 405 with the path's methods, or 404 */

static ngx_int_t
ngx_smscamp_no_route(ngx_http_request_t *r, ngx_str_t *allow)
{
    if (allow->len == 0) {
        return ngx_smscamp_send_detail(r, NGX_HTTP_NOT_FOUND, "Not Found");
    }

    if (ngx_smscamp_add_header(r, "Allow", allow) != NGX_OK) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    return ngx_smscamp_send_detail(r, NGX_HTTP_NOT_ALLOWED,
                                   "Method Not Allowed");
}


/* the request's context; its completion: the route's answer */

ngx_smscamp_ctx_t *
ngx_smscamp_ctx_create(ngx_http_request_t *r, ngx_smscamp_route_t *rt)
{
    ngx_smscamp_ctx_t  *ctx;

    ctx = ngx_pcalloc(r->pool, sizeof(ngx_smscamp_ctx_t));
    if (ctx == NULL) {
        return NULL;
    }

    ctx->request = r;
    ctx->route = rt;
    ctx->complete = ngx_smscamp_send_answer;
    ngx_http_set_ctx(r, ctx, ngx_smscamp_module);

    ngx_log_debug3(NGX_LOG_DEBUG_HTTP, r->connection->log, 0,
                   "smscamp ctx %p: route \"%V %V\"", ctx, &rt->method,
                   &rt->pattern);

    return ctx;
}


/*
 * The rate limit, counted against whom the request is known to be now,
 * then the key's verdict (status): 0, or the HTTP status that refuses it.
 */

static ngx_uint_t
ngx_smscamp_admit(ngx_smscamp_ctx_t *ctx, ngx_uint_t status)
{
    if (ngx_smscamp_limit_check(ctx->request, ctx) == NGX_BUSY) {
        return NGX_HTTP_TOO_MANY_REQUESTS;
    }

    return status;
}


static ngx_int_t
ngx_smscamp_refuse(ngx_smscamp_ctx_t *ctx, ngx_uint_t status)
{
    ngx_log_debug2(NGX_LOG_DEBUG_HTTP, ctx->request->connection->log, 0,
                   "smscamp ctx %p: refused: %ui", ctx, status);

    if (status == NGX_HTTP_TOO_MANY_REQUESTS) {
        return ngx_smscamp_limit_deny(ctx->request, ctx->retry_after);
    }

    return ngx_smscamp_auth_deny(ctx->request, status);
}


/* the steps, the key lookup first if the cache did not know the key */

void
ngx_smscamp_request_submit(ngx_smscamp_ctx_t *ctx)
{
    ngx_smscamp_main_conf_t  *smcf;

    smcf = ngx_http_get_module_main_conf(ctx->request, ngx_smscamp_module);

    if (ctx->key_lookup) {
        ngx_smscamp_step_add(ctx, &smcf->auth_stmt, ctx->key_param,
                             ngx_smscamp_key_done);
    }

    ngx_smscamp_step_add(ctx, &ctx->route->stmt, ctx->values, NULL);

    ngx_smscamp_pool_submit(smcf->pool, ctx);
}


static void
ngx_smscamp_step_add(ngx_smscamp_ctx_t *ctx, ngx_smscamp_stmt_t *stmt,
    char **params, ngx_smscamp_done_pt done)
{
    ngx_smscamp_step_t  *step;

    step = &ctx->steps[ctx->nsteps++];

    step->stmt = stmt;
    step->params = params;
    step->done = done;
}


/*
 * The key lookup's result: go on with the route, or refuse the request. It
 * may come twice for one request: the pool runs a GET once more from its
 * first step when its connection dies under it or its server is going away
 * (ngx_smscamp_pool.c). The second time is harmless: the cache is written
 * again, and the rate limit has counted the request already (ctx->limited).
 */

static ngx_int_t
ngx_smscamp_key_done(ngx_smscamp_ctx_t *ctx, PGresult *res)
{
    ngx_uint_t  status;

    status = ngx_smscamp_admit(ctx, ngx_smscamp_auth_result(ctx, res));

    return status ? ngx_smscamp_refuse(ctx, status) : NGX_DECLINED;
}


/* smscamp_error_page: the JSON answer of an error nginx itself found */

ngx_int_t
ngx_smscamp_error_page_handler(ngx_http_request_t *r)
{
    ngx_uint_t   status;
    const char  *detail;

    if (ngx_http_discard_request_body(r) != NGX_OK) {
        r->keepalive = 0;
    }

    status = r->err_status ? r->err_status : NGX_HTTP_INTERNAL_SERVER_ERROR;

    switch (status) {
    case NGX_HTTP_BAD_REQUEST:
        detail = "Bad request";
        break;
    case NGX_HTTP_FORBIDDEN:
        detail = "Forbidden";
        break;
    case NGX_HTTP_NOT_FOUND:
        detail = "Not Found";
        break;
    case NGX_HTTP_NOT_ALLOWED:
        detail = "Method Not Allowed";
        break;
    case NGX_HTTP_REQUEST_TIME_OUT:
        detail = "Request timeout";
        break;
    case NGX_HTTP_LENGTH_REQUIRED:
        detail = "Length required";
        break;
    case NGX_HTTP_REQUEST_ENTITY_TOO_LARGE:
        detail = "Request body too large";
        break;
    case NGX_HTTP_REQUEST_URI_TOO_LARGE:
        detail = "Request URI too long";
        break;
    case NGX_HTTP_REQUEST_HEADER_TOO_LARGE:
        detail = "Request header too large";
        break;
    case NGX_HTTP_TOO_MANY_REQUESTS:
        detail = "Too many requests in progress from this address: retry "
                 "after the number of seconds in Retry-After";
        break;
    case NGX_HTTP_NOT_IMPLEMENTED:
        detail = "Not implemented (only chunked transfer coding is)";
        break;
    case NGX_HTTP_SERVICE_UNAVAILABLE:
        detail = "Service unavailable";
        break;
    case NGX_HTTP_VERSION_NOT_SUPPORTED:
        detail = "HTTP version not supported";
        break;
    case NGX_HTTP_GATEWAY_TIME_OUT:
        detail = "Gateway timeout";
        break;
    default:
        detail = "Internal server error";
    }

    if (status == NGX_HTTP_REQUEST_HEADER_TOO_LARGE) {
        status = NGX_HTTP_BAD_REQUEST;
    }

    if (status == NGX_HTTP_TOO_MANY_REQUESTS
        && ngx_smscamp_retry_after(r, 1) != NGX_OK)
    {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    return ngx_smscamp_send_detail(r, status, detail);
}
