/*
 * CORS for the origins named by smscamp_cors_origins, and no other.
 *
 * A request whose Origin is one of them gets Access-Control-Allow-Origin
 * (that origin), Vary: Origin and the headers a script may read; a
 * preflight (OPTIONS with Access-Control-Request-Method) from one of them
 * gets 204 with the route's methods, Authorization and Content-Type, and a
 * max age. A preflight from any other origin gets 403 JSON; other requests
 * from other origins are served without CORS headers, so a browser keeps
 * their answer from the page. The web UI is same-origin and needs none.
 */


#include "ngx_smscamp.h"


static ngx_int_t ngx_smscamp_cors_allowed(ngx_http_request_t *r,
    ngx_str_t *origin);


/* smscamp_cors_origins https://app.example.com https://admin.example.com; */

char *
ngx_smscamp_cors_set_origins(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    ngx_smscamp_main_conf_t *smcf = conf;

    u_char      *p, *host;
    ngx_str_t   *value, *o;
    ngx_uint_t   i;

    if (smcf->cors_origins != NULL) {
        return "is duplicate";
    }

    smcf->cors_origins = ngx_array_create(cf->pool, cf->args->nelts,
                                          sizeof(ngx_str_t));
    if (smcf->cors_origins == NULL) {
        return NGX_CONF_ERROR;
    }

    value = cf->args->elts;

    for (i = 1; i < cf->args->nelts; i++) {

        /* scheme://host[:port], exactly as a browser sends it */
        host = ngx_strlcasestrn(value[i].data, value[i].data + value[i].len,
                                (u_char *) "://", 3 - 1);

        if (host == NULL
            || !((host - value[i].data == 4
                  && ngx_strncmp(value[i].data, "http", 4) == 0)
                 || (host - value[i].data == 5
                     && ngx_strncmp(value[i].data, "https", 5) == 0)))
        {
            ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                               "smscamp_cors_origins: \"%V\" is not an origin "
                               "(http:// or https:// and a host)", &value[i]);
            return NGX_CONF_ERROR;
        }

        host += 3;

        for (p = host; p < value[i].data + value[i].len; p++) {
            if (*p == '/' || *p == '*' || *p <= ' ' || *p >= 0x7f) {
                ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                                   "smscamp_cors_origins: \"%V\": an origin "
                                   "has no path and no wildcard", &value[i]);
                return NGX_CONF_ERROR;
            }
        }

        if (p == host) {
            return "needs a host in each origin";
        }

        o = ngx_array_push(smcf->cors_origins);
        if (o == NULL) {
            return NGX_CONF_ERROR;
        }

        *o = value[i];
    }

    return NGX_CONF_OK;
}


/* the CORS headers of an answer to an allowed origin; NGX_ERROR on no memory */

ngx_int_t
ngx_smscamp_cors_headers(ngx_http_request_t *r)
{
    ngx_str_t   origin, v;

    if (ngx_smscamp_cors_allowed(r, &origin) != NGX_OK) {
        return NGX_OK;
    }

    ngx_str_set(&v, "Origin");
    if (ngx_smscamp_add_header(r, "Vary", &v) != NGX_OK
        || ngx_smscamp_add_header(r, "Access-Control-Allow-Origin", &origin)
           != NGX_OK)
    {
        return NGX_ERROR;
    }

    ngx_str_set(&v, "Retry-After, WWW-Authenticate, Location");

    return ngx_smscamp_add_header(r, "Access-Control-Expose-Headers", &v);
}


ngx_int_t
ngx_smscamp_cors_is_preflight(ngx_http_request_t *r)
{
    ngx_str_t  name, value;

    if (r->method != NGX_HTTP_OPTIONS) {
        return 0;
    }

    ngx_str_set(&name, "Origin");

    if (ngx_smscamp_find_header(r, &name, &value) != NGX_OK) {
        return 0;
    }

    ngx_str_set(&name, "Access-Control-Request-Method");

    return ngx_smscamp_find_header(r, &name, &value) == NGX_OK;
}


/*
 * The answer to a preflight for a path whose routes allow the methods in
 * *allow (empty: no route has this path).
 */

ngx_int_t
ngx_smscamp_cors_preflight(ngx_http_request_t *r, ngx_str_t *allow)
{
    ngx_str_t  origin, v;

    if (allow->len == 0) {
        return ngx_smscamp_send_detail(r, NGX_HTTP_NOT_FOUND, "Not Found");
    }

    if (ngx_smscamp_cors_allowed(r, &origin) != NGX_OK) {
        return ngx_smscamp_send_detail(r, NGX_HTTP_FORBIDDEN,
                                       "Cross-origin requests from this "
                                       "origin are not allowed "
                                       "(smscamp_cors_origins)");
    }

    if (ngx_smscamp_cors_headers(r) != NGX_OK
        || ngx_smscamp_add_header(r, "Access-Control-Allow-Methods", allow)
           != NGX_OK)
    {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    ngx_str_set(&v, "Authorization, Content-Type");
    if (ngx_smscamp_add_header(r, "Access-Control-Allow-Headers", &v)
        != NGX_OK)
    {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    ngx_str_set(&v, "600");
    if (ngx_smscamp_add_header(r, "Access-Control-Max-Age", &v) != NGX_OK) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    return ngx_smscamp_send_json(r, NGX_HTTP_NO_CONTENT, NULL, 0);
}


static ngx_int_t
ngx_smscamp_cors_allowed(ngx_http_request_t *r, ngx_str_t *origin)
{
    ngx_str_t                *o, name;
    ngx_uint_t                i;
    ngx_smscamp_main_conf_t  *smcf;

    smcf = ngx_http_get_module_main_conf(r, ngx_smscamp_module);

    if (smcf->cors_origins == NULL) {
        return NGX_DECLINED;
    }

    ngx_str_set(&name, "Origin");

    if (ngx_smscamp_find_header(r, &name, origin) != NGX_OK) {
        return NGX_DECLINED;
    }

    o = smcf->cors_origins->elts;

    for (i = 0; i < smcf->cors_origins->nelts; i++) {
        if (o[i].len == origin->len
            && ngx_strncasecmp(o[i].data, origin->data, origin->len) == 0)
        {
            return NGX_OK;
        }
    }

    return NGX_DECLINED;
}

