/*
 * API keys: "Authorization: Bearer <key>", and who may call a route. The
 * module keeps the SHA-256 of the keys it has seen in a small per-worker
 * cache (role, rate limit and expiry), so a known key costs no database
 * round trip. For a key the cache does not know, ngx_smscamp_auth_check()
 * asks for a key lookup: the request's first step (ngx_smscamp_request.c)
 * runs NGX_SMSCAMP_AUTH_SQL on the connection that then runs the route's
 * statement, and ngx_smscamp_auth_result() reads its answer. A revoked key
 * stops working when its cache entry expires (smscamp_auth_cache_ttl, 5 s
 * by default).
 */


#include "ngx_smscamp.h"
#include <openssl/sha.h>


#define NGX_SMSCAMP_AUTH_SQL     "SELECT role, rate_limit FROM api.auth($1)"


#define NGX_SMSCAMP_KEY_MIN      16
#define NGX_SMSCAMP_KEY_MAX      256
#define NGX_SMSCAMP_CACHE_PROBES 4


typedef struct {
    u_char                     hash[SHA256_DIGEST_LENGTH];
    ngx_msec_t                 expires;
    ngx_smscamp_role_e         role;
    ngx_uint_t                 rate;       /* its own rate limit, or 0 */
    unsigned                   used:1;
} ngx_smscamp_key_entry_t;


static ngx_smscamp_key_entry_t  *ngx_smscamp_keys;
static ngx_uint_t                ngx_smscamp_nkeys;
static ngx_msec_t                ngx_smscamp_keys_ttl;


static ngx_int_t ngx_smscamp_bearer_token(ngx_http_request_t *r,
    ngx_str_t *token);
static ngx_smscamp_key_entry_t *ngx_smscamp_key_find(u_char *hash);
static void ngx_smscamp_key_store(u_char *hash, ngx_smscamp_role_e role,
    ngx_uint_t rate);
static ngx_uint_t ngx_smscamp_decide(ngx_smscamp_route_t *rt,
    ngx_smscamp_role_e role);


static const char  *ngx_smscamp_role_names[] = {
    "public", "viewer", "operator", "admin", NULL
};


/* the key lookup: a statement on the pool's connections, after the routes' */

void
ngx_smscamp_auth_conf(ngx_smscamp_main_conf_t *smcf)
{
    smcf->auth_stmt.name = "smscamp_auth";
    smcf->auth_stmt.sql = NGX_SMSCAMP_AUTH_SQL;
    smcf->auth_stmt.index = smcf->routes.nelts;
    smcf->auth_stmt.nparams = 1;
}


ngx_int_t
ngx_smscamp_auth_init_process(ngx_cycle_t *cycle,
    ngx_smscamp_main_conf_t *smcf)
{
    ngx_smscamp_nkeys = smcf->auth_cache_size;
    ngx_smscamp_keys_ttl = smcf->auth_cache_ttl;
    ngx_smscamp_keys = ngx_pcalloc(cycle->pool,
                                   ngx_smscamp_nkeys
                                   * sizeof(ngx_smscamp_key_entry_t));

    return ngx_smscamp_keys ? NGX_OK : NGX_ERROR;
}


/*
 * 0 when the request may go on (maybe after a key lookup: ctx->key_lookup,
 * with ctx->key_param set), or the HTTP status that refuses it.
 */

ngx_uint_t
ngx_smscamp_auth_check(ngx_http_request_t *r, ngx_smscamp_ctx_t *ctx)
{
    ngx_str_t                 token;
    ngx_smscamp_key_entry_t  *e;
    ngx_smscamp_main_conf_t  *smcf;

    smcf = ngx_http_get_module_main_conf(r, ngx_smscamp_module);

    if (!smcf->auth || ctx->route->role == NGX_SMSCAMP_ROLE_PUBLIC) {
        return 0;
    }

    if (ngx_smscamp_bearer_token(r, &token) != NGX_OK) {
        return NGX_HTTP_UNAUTHORIZED;
    }

    SHA256(token.data, token.len, ctx->key_digest);
    *ngx_hex_dump(ctx->key_hash, ctx->key_digest, SHA256_DIGEST_LENGTH) = '\0';

    e = ngx_smscamp_key_find(ctx->key_digest);

    if (e == NULL) {
        ctx->key_lookup = 1;
        ctx->key_param[0] = (char *) ctx->key_hash;
        return 0;
    }

    ctx->key_known = (e->role != NGX_SMSCAMP_ROLE_NONE);
    ctx->key_rate = e->rate;

    return ngx_smscamp_decide(ctx->route, e->role);
}


static ngx_int_t
ngx_smscamp_bearer_token(ngx_http_request_t *r, ngx_str_t *token)
{
    u_char     *p, *end;
    ngx_str_t   v;

    if (r->headers_in.authorization == NULL) {
        return NGX_DECLINED;
    }

    v = r->headers_in.authorization->value;

    if (v.len < sizeof("Bearer ") - 1
        || ngx_strncasecmp(v.data, (u_char *) "Bearer ", sizeof("Bearer ") - 1)
           != 0)
    {
        return NGX_DECLINED;
    }

    p = v.data + sizeof("Bearer ") - 1;
    end = v.data + v.len;

    while (p < end && *p == ' ') {
        p++;
    }

    token->data = p;
    token->len = end - p;

    if (token->len < NGX_SMSCAMP_KEY_MIN || token->len > NGX_SMSCAMP_KEY_MAX) {
        return NGX_DECLINED;
    }

    for ( /* void */ ; p < end; p++) {
        if (!((*p >= '0' && *p <= '9') || (*p >= 'a' && *p <= 'z')
              || (*p >= 'A' && *p <= 'Z') || *p == '_' || *p == '-'
              || *p == '.' || *p == '~'))
        {
            return NGX_DECLINED;
        }
    }

    return NGX_OK;
}


static ngx_uint_t
ngx_smscamp_decide(ngx_smscamp_route_t *rt, ngx_smscamp_role_e role)
{
    if (role == NGX_SMSCAMP_ROLE_NONE) {
        return NGX_HTTP_UNAUTHORIZED;
    }

    return (role >= rt->role) ? 0 : NGX_HTTP_FORBIDDEN;
}


/*
 * The answer of the key lookup (the key's role and rate limit, or NULLs),
 * kept in the cache: 0 when the key may call the route, or the HTTP status
 * that refuses the request.
 */

ngx_uint_t
ngx_smscamp_auth_result(ngx_smscamp_ctx_t *ctx, PGresult *res)
{
    char                *name;
    ngx_int_t            n;
    ngx_uint_t           i, rate;
    ngx_smscamp_role_e   role;

    ctx->key_lookup = 0;

    if (PQresultStatus(res) != PGRES_TUPLES_OK || PQntuples(res) != 1
        || PQnfields(res) != 2)
    {
        ngx_log_error(NGX_LOG_ERR, ctx->request->connection->log, 0,
                      "smscamp: API key lookup failed: %s",
                      PQresultErrorMessage(res));
        return NGX_HTTP_SERVICE_UNAVAILABLE;
    }

    role = NGX_SMSCAMP_ROLE_NONE;

    if (!PQgetisnull(res, 0, 0)) {
        name = PQgetvalue(res, 0, 0);

        for (i = 1; ngx_smscamp_role_names[i]; i++) {
            if (ngx_strcmp(name, ngx_smscamp_role_names[i]) == 0) {
                role = (ngx_smscamp_role_e) i;
            }
        }
    }

    rate = 0;

    if (!PQgetisnull(res, 0, 1)) {
        n = ngx_atoi((u_char *) PQgetvalue(res, 0, 1),
                     ngx_strlen(PQgetvalue(res, 0, 1)));
        rate = (n > 0) ? (ngx_uint_t) n : 0;
    }

    ngx_smscamp_key_store(ctx->key_digest, role, rate);

    if (role == NGX_SMSCAMP_ROLE_NONE) {
        return NGX_HTTP_UNAUTHORIZED;
    }

    ctx->key_known = 1;
    ctx->key_rate = rate;

    return ngx_smscamp_decide(ctx->route, role);
}


/* the answer that refuses a request: 401, 403, or 503 (no key lookup) */

ngx_int_t
ngx_smscamp_auth_deny(ngx_http_request_t *r, ngx_uint_t status)
{
    static ngx_str_t  realm = ngx_string("Bearer realm=\"smscamp\"");

    if (status == NGX_HTTP_SERVICE_UNAVAILABLE) {
        return ngx_smscamp_send_unavailable(r, "Could not check the API key");
    }

    if (status == NGX_HTTP_FORBIDDEN) {
        return ngx_smscamp_send_detail(r, status,
                                       "The role of this API key does not "
                                       "allow this request");
    }

    if (ngx_smscamp_add_header(r, "WWW-Authenticate", &realm) != NGX_OK) {
        return NGX_ERROR;
    }

    return ngx_smscamp_send_detail(r, NGX_HTTP_UNAUTHORIZED,
                                   "Missing or invalid API key: send "
                                   "Authorization: Bearer <key>");
}


/* route arguments that name who may call it */

char *
ngx_smscamp_parse_role(ngx_str_t *word, ngx_smscamp_route_t *rt)
{
    ngx_uint_t  i;

    for (i = 0; ngx_smscamp_role_names[i]; i++) {
        if (ngx_strcmp(word->data, ngx_smscamp_role_names[i]) == 0) {
            rt->role = (ngx_smscamp_role_e) i;
            rt->role_set = 1;
            return NGX_CONF_OK;
        }
    }

    return NGX_CONF_ERROR;
}


/* the cache: open addressing, a few probes, the oldest entry gives way */

static ngx_smscamp_key_entry_t *
ngx_smscamp_key_find(u_char *hash)
{
    ngx_uint_t                i, h;
    ngx_smscamp_key_entry_t  *e;

    if (ngx_smscamp_nkeys == 0) {
        return NULL;
    }

    ngx_memcpy(&h, hash, sizeof(h));

    for (i = 0; i < NGX_SMSCAMP_CACHE_PROBES; i++) {
        e = &ngx_smscamp_keys[(h + i) % ngx_smscamp_nkeys];

        if (e->used && ngx_memcmp(e->hash, hash, SHA256_DIGEST_LENGTH) == 0) {
            return ((ngx_msec_int_t) (e->expires - ngx_current_msec) > 0)
                   ? e : NULL;
        }
    }

    return NULL;
}


static void
ngx_smscamp_key_store(u_char *hash, ngx_smscamp_role_e role, ngx_uint_t rate)
{
    ngx_uint_t                i, h;
    ngx_smscamp_key_entry_t  *e, *victim;

    if (ngx_smscamp_nkeys == 0) {
        return;
    }

    ngx_memcpy(&h, hash, sizeof(h));
    victim = NULL;

    for (i = 0; i < NGX_SMSCAMP_CACHE_PROBES; i++) {
        e = &ngx_smscamp_keys[(h + i) % ngx_smscamp_nkeys];

        if (!e->used
            || ngx_memcmp(e->hash, hash, SHA256_DIGEST_LENGTH) == 0)
        {
            victim = e;
            break;
        }

        if (victim == NULL
            || (ngx_msec_int_t) (e->expires - victim->expires) < 0)
        {
            victim = e;
        }
    }

    ngx_memcpy(victim->hash, hash, SHA256_DIGEST_LENGTH);
    victim->role = role;
    victim->rate = rate;
    victim->expires = ngx_current_msec + ngx_smscamp_keys_ttl;
    victim->used = 1;
}
