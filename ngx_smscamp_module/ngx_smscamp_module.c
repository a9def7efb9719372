/*
 * ngx_smscamp_module: the module, its directives and configuration, and
 * the routes: built from the smscamp_route directive (and for GET /metrics
 * by ngx_smscamp_route_add(), the same builder) and matched against a
 * request. A route maps METHOD + path pattern to a SQL function:
 *
 *     smscamp_route GET /api/leads/:id api.leads_get :id;
 *
 * and becomes the prepared statement "SELECT status, body FROM
 * api.leads_get($1)". The function answers the HTTP status and JSON body.
 * The content handler that runs a route is in ngx_smscamp_request.c.
 */


#include "ngx_smscamp.h"


static ngx_int_t ngx_smscamp_match(ngx_smscamp_route_t *rt, ngx_str_t *uri,
    ngx_str_t *captures);
static char *ngx_smscamp_set_public_url(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);

static void *ngx_smscamp_create_main_conf(ngx_conf_t *cf);
static char *ngx_smscamp_init_main_conf(ngx_conf_t *cf, void *conf);
static void *ngx_smscamp_create_loc_conf(ngx_conf_t *cf);
static char *ngx_smscamp_merge_loc_conf(ngx_conf_t *cf, void *parent,
    void *child);
static ngx_int_t ngx_smscamp_function_name_valid(ngx_str_t *name);
static char *ngx_smscamp_route(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);
static char *ngx_smscamp_parse_pattern(ngx_conf_t *cf,
    ngx_smscamp_route_t *rt);
static char *ngx_smscamp_parse_arg(ngx_conf_t *cf, ngx_smscamp_route_t *rt,
    ngx_str_t *word);
static char *ngx_smscamp_build_sql(ngx_conf_t *cf, ngx_smscamp_route_t *rt,
    char *sql);
static char *ngx_smscamp_set_handler(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);
static ngx_int_t ngx_smscamp_init_process(ngx_cycle_t *cycle);
static void ngx_smscamp_exit_process(ngx_cycle_t *cycle);


static ngx_command_t  ngx_smscamp_commands[] = {

    { ngx_string("smscamp_database"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_TAKE1,
      ngx_conf_set_str_slot,
      NGX_HTTP_MAIN_CONF_OFFSET,
      offsetof(ngx_smscamp_main_conf_t, dsn),
      NULL },

    { ngx_string("smscamp_pool_size"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_TAKE1,
      ngx_conf_set_num_slot,
      NGX_HTTP_MAIN_CONF_OFFSET,
      offsetof(ngx_smscamp_main_conf_t, pool_size),
      NULL },

    { ngx_string("smscamp_queue_size"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_TAKE1,
      ngx_conf_set_num_slot,
      NGX_HTTP_MAIN_CONF_OFFSET,
      offsetof(ngx_smscamp_main_conf_t, queue_size),
      NULL },

    { ngx_string("smscamp_queue_timeout"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_TAKE1,
      ngx_conf_set_msec_slot,
      NGX_HTTP_MAIN_CONF_OFFSET,
      offsetof(ngx_smscamp_main_conf_t, queue_timeout),
      NULL },

    { ngx_string("smscamp_query_timeout"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_TAKE1,
      ngx_conf_set_msec_slot,
      NGX_HTTP_MAIN_CONF_OFFSET,
      offsetof(ngx_smscamp_main_conf_t, query_timeout),
      NULL },

    { ngx_string("smscamp_connect_timeout"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_TAKE1,
      ngx_conf_set_msec_slot,
      NGX_HTTP_MAIN_CONF_OFFSET,
      offsetof(ngx_smscamp_main_conf_t, connect_timeout),
      NULL },

    { ngx_string("smscamp_auth"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_FLAG,
      ngx_conf_set_flag_slot,
      NGX_HTTP_MAIN_CONF_OFFSET,
      offsetof(ngx_smscamp_main_conf_t, auth),
      NULL },

    { ngx_string("smscamp_auth_cache_ttl"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_TAKE1,
      ngx_conf_set_msec_slot,
      NGX_HTTP_MAIN_CONF_OFFSET,
      offsetof(ngx_smscamp_main_conf_t, auth_cache_ttl),
      NULL },

    { ngx_string("smscamp_auth_cache_size"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_TAKE1,
      ngx_conf_set_num_slot,
      NGX_HTTP_MAIN_CONF_OFFSET,
      offsetof(ngx_smscamp_main_conf_t, auth_cache_size),
      NULL },

    { ngx_string("smscamp_rate_limit"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_FLAG,
      ngx_conf_set_flag_slot,
      NGX_HTTP_MAIN_CONF_OFFSET,
      offsetof(ngx_smscamp_main_conf_t, rate_limit),
      NULL },

    { ngx_string("smscamp_rate_limit_key"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_TAKE12,
      ngx_smscamp_limit_set_rate,
      NGX_HTTP_MAIN_CONF_OFFSET,
      offsetof(ngx_smscamp_main_conf_t, limit_key),
      NULL },

    { ngx_string("smscamp_rate_limit_ip"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_TAKE12,
      ngx_smscamp_limit_set_rate,
      NGX_HTTP_MAIN_CONF_OFFSET,
      offsetof(ngx_smscamp_main_conf_t, limit_ip),
      NULL },

    { ngx_string("smscamp_rate_limit_zone"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_TAKE1,
      ngx_conf_set_size_slot,
      NGX_HTTP_MAIN_CONF_OFFSET,
      offsetof(ngx_smscamp_main_conf_t, limit_zone_size),
      NULL },

    { ngx_string("smscamp_cors_origins"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_1MORE,
      ngx_smscamp_cors_set_origins,
      NGX_HTTP_MAIN_CONF_OFFSET,
      0,
      NULL },

    { ngx_string("smscamp_public_url"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_TAKE1,
      ngx_smscamp_set_public_url,
      NGX_HTTP_MAIN_CONF_OFFSET,
      offsetof(ngx_smscamp_main_conf_t, public_url),
      NULL },

    { ngx_string("smscamp_route"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_2MORE,
      ngx_smscamp_route,
      NGX_HTTP_MAIN_CONF_OFFSET,
      0,
      NULL },

    { ngx_string("smscamp_pass"),
      NGX_HTTP_LOC_CONF|NGX_CONF_NOARGS,
      ngx_smscamp_set_handler,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_smscamp_loc_conf_t, pass),
      (void *) ngx_smscamp_handler },

    { ngx_string("smscamp_error_page"),
      NGX_HTTP_LOC_CONF|NGX_CONF_NOARGS,
      ngx_smscamp_set_handler,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_smscamp_loc_conf_t, error_page),
      (void *) ngx_smscamp_error_page_handler },

    { ngx_string("smscamp_metrics"),
      NGX_HTTP_LOC_CONF|NGX_CONF_NOARGS,
      ngx_smscamp_metrics_directive,
      NGX_HTTP_LOC_CONF_OFFSET,
      0,
      NULL },

      ngx_null_command
};


static ngx_http_module_t  ngx_smscamp_module_ctx = {
    NULL,                                  /* preconfiguration */
    ngx_smscamp_metrics_init,              /* postconfiguration */

    ngx_smscamp_create_main_conf,          /* create main configuration */
    ngx_smscamp_init_main_conf,            /* init main configuration */

    NULL,                                  /* create server configuration */
    NULL,                                  /* merge server configuration */

    ngx_smscamp_create_loc_conf,           /* create location configuration */
    ngx_smscamp_merge_loc_conf             /* merge location configuration */
};


ngx_module_t  ngx_smscamp_module = {
    NGX_MODULE_V1,
    &ngx_smscamp_module_ctx,               /* module context */
    ngx_smscamp_commands,                  /* module directives */
    NGX_HTTP_MODULE,                       /* module type */
    NULL,                                  /* init master */
    NULL,                                  /* init module */
    ngx_smscamp_init_process,              /* init process */
    NULL,                                  /* init thread */
    NULL,                                  /* exit thread */
    ngx_smscamp_exit_process,              /* exit process */
    NULL,                                  /* exit master */
    NGX_MODULE_V1_PADDING
};


/* the route of a request: NULL, with the methods of its path in *allow */

ngx_smscamp_route_t *
ngx_smscamp_find_route(ngx_http_request_t *r, ngx_str_t *captures,
    ngx_str_t *allow)
{
    u_char                   *p;
    ngx_str_t                 uri, method;
    ngx_uint_t                i;
    ngx_smscamp_route_t      *rt;
    ngx_smscamp_main_conf_t  *smcf;

    smcf = ngx_http_get_module_main_conf(r, ngx_smscamp_module);

    uri = r->uri;
    if (uri.len > 1 && uri.data[uri.len - 1] == '/') {
        uri.len--;
    }

    method = r->method_name;
    if (r->method == NGX_HTTP_HEAD) {
        ngx_str_set(&method, "GET");
    }

    allow->len = 0;
    allow->data = ngx_pnalloc(r->pool, 128);
    p = allow->data;

    rt = smcf->routes.elts;

    for (i = 0; i < smcf->routes.nelts; i++) {

        if (ngx_smscamp_match(&rt[i], &uri, captures) != NGX_OK) {
            continue;
        }

        if (rt[i].method.len == method.len
            && ngx_strncmp(rt[i].method.data, method.data, method.len) == 0)
        {
            return &rt[i];
        }

        if (p != NULL && p + rt[i].method.len + 2 < allow->data + 128) {
            if (p != allow->data) {
                *p++ = ',';
                *p++ = ' ';
            }
            p = ngx_cpymem(p, rt[i].method.data, rt[i].method.len);
        }
    }

    if (p != NULL) {
        allow->len = p - allow->data;
    }

    return NULL;
}


static ngx_int_t
ngx_smscamp_match(ngx_smscamp_route_t *rt, ngx_str_t *uri,
    ngx_str_t *captures)
{
    u_char                 *p, *end, *s;
    size_t                  len;
    ngx_uint_t              i, n;
    ngx_smscamp_segment_t  *seg;

    if (uri->len == 0 || uri->data[0] != '/') {
        return NGX_DECLINED;
    }

    p = uri->data + 1;
    end = uri->data + uri->len;
    seg = rt->segments.elts;
    n = 0;

    for (i = 0; i < rt->segments.nelts; i++) {

        if (p > end) {
            return NGX_DECLINED;
        }

        s = ngx_strlchr(p, end, '/');
        if (s == NULL) {
            s = end;
        }

        len = s - p;

        if (seg[i].capture) {
            if (len == 0) {
                return NGX_DECLINED;
            }

            captures[n].data = p;
            captures[n].len = len;
            n++;

        } else if (len != seg[i].text.len
                   || ngx_strncmp(p, seg[i].text.data, len) != 0)
        {
            return NGX_DECLINED;
        }

        p = s + 1;
    }

    return (p > end) ? NGX_OK : NGX_DECLINED;
}


/* configuration */


static void *
ngx_smscamp_create_main_conf(ngx_conf_t *cf)
{
    ngx_smscamp_main_conf_t  *smcf;

    smcf = ngx_pcalloc(cf->pool, sizeof(ngx_smscamp_main_conf_t));
    if (smcf == NULL) {
        return NULL;
    }

    smcf->pool_size = NGX_CONF_UNSET_UINT;
    smcf->queue_size = NGX_CONF_UNSET_UINT;
    smcf->queue_timeout = NGX_CONF_UNSET_MSEC;
    smcf->query_timeout = NGX_CONF_UNSET_MSEC;
    smcf->connect_timeout = NGX_CONF_UNSET_MSEC;
    smcf->auth = NGX_CONF_UNSET;
    smcf->auth_cache_ttl = NGX_CONF_UNSET_MSEC;
    smcf->auth_cache_size = NGX_CONF_UNSET_UINT;
    smcf->rate_limit = NGX_CONF_UNSET;
    smcf->limit_key.rate = NGX_CONF_UNSET_UINT;
    smcf->limit_key.burst = NGX_CONF_UNSET_UINT;
    smcf->limit_ip.rate = NGX_CONF_UNSET_UINT;
    smcf->limit_ip.burst = NGX_CONF_UNSET_UINT;
    smcf->limit_zone_size = NGX_CONF_UNSET_SIZE;
    smcf->metrics_route = -1;

    if (ngx_array_init(&smcf->routes, cf->pool, 32,
                       sizeof(ngx_smscamp_route_t))
        != NGX_OK)
    {
        return NULL;
    }

    return smcf;
}


static char *
ngx_smscamp_init_main_conf(ngx_conf_t *cf, void *conf)
{
    ngx_smscamp_main_conf_t *smcf = conf;

    ngx_conf_init_uint_value(smcf->pool_size, 16);
    ngx_conf_init_uint_value(smcf->queue_size, 4096);
    ngx_conf_init_msec_value(smcf->queue_timeout, 10000);
    ngx_conf_init_msec_value(smcf->query_timeout, 60000);
    ngx_conf_init_msec_value(smcf->connect_timeout, 5000);

    ngx_conf_init_value(smcf->auth, 1);
    ngx_conf_init_msec_value(smcf->auth_cache_ttl, 5000);
    ngx_conf_init_uint_value(smcf->auth_cache_size, 10000);

    ngx_conf_init_value(smcf->rate_limit, 1);
    ngx_smscamp_limit_merge(&smcf->limit_key);
    ngx_smscamp_limit_merge(&smcf->limit_ip);
    ngx_conf_init_size_value(smcf->limit_zone_size, 10 * 1024 * 1024);

    if (smcf->rate_limit && smcf->dsn.len
        && ngx_smscamp_limit_add_zone(cf, smcf) != NGX_OK)
    {
        return NGX_CONF_ERROR;
    }

    /* the key lookup runs on the pool's connections like a route */
    ngx_smscamp_auth_conf(smcf);

    if (smcf->pool_size == 0 || smcf->pool_size > 1024) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "smscamp_pool_size must be between 1 and 1024");
        return NGX_CONF_ERROR;
    }

    return NGX_CONF_OK;
}


static void *
ngx_smscamp_create_loc_conf(ngx_conf_t *cf)
{
    ngx_smscamp_loc_conf_t  *slcf;

    slcf = ngx_pcalloc(cf->pool, sizeof(ngx_smscamp_loc_conf_t));
    if (slcf == NULL) {
        return NULL;
    }

    slcf->pass = NGX_CONF_UNSET;
    slcf->error_page = NGX_CONF_UNSET;

    return slcf;
}


static char *
ngx_smscamp_merge_loc_conf(ngx_conf_t *cf, void *parent, void *child)
{
    ngx_smscamp_loc_conf_t *prev = parent;
    ngx_smscamp_loc_conf_t *conf = child;

    ngx_conf_merge_value(conf->pass, prev->pass, 0);
    ngx_conf_merge_value(conf->error_page, prev->error_page, 0);

    return NGX_CONF_OK;
}


/* smscamp_route METHOD PATTERN FUNCTION [ARG ...]; */

static char *
ngx_smscamp_route(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    ngx_smscamp_main_conf_t *smcf = conf;

    if (cf->args->nelts < 4) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "smscamp_route needs METHOD PATTERN FUNCTION");
        return NGX_CONF_ERROR;
    }

    if (ngx_smscamp_route_add(cf, smcf, (ngx_str_t *) cf->args->elts + 1,
                              cf->args->nelts - 1, NULL)
        == NGX_ERROR)
    {
        return NGX_CONF_ERROR;
    }

    return NGX_CONF_OK;
}


/*
 * A route from the words of a smscamp_route directive, METHOD PATTERN
 * FUNCTION ARG...; with sql, METHOD PATTERN ARG... and sql is its
 * statement (GET /metrics). Returns the route's index (the routes array
 * may move), or NGX_ERROR.
 */

ngx_int_t
ngx_smscamp_route_add(ngx_conf_t *cf, ngx_smscamp_main_conf_t *smcf,
    ngx_str_t *word, ngx_uint_t nwords, char *sql)
{
    ngx_uint_t            i;
    ngx_smscamp_route_t  *rt;

    rt = ngx_array_push(&smcf->routes);
    if (rt == NULL) {
        return NGX_ERROR;
    }

    ngx_memzero(rt, sizeof(ngx_smscamp_route_t));

    rt->method = word[0];
    rt->pattern = word[1];
    rt->index = smcf->routes.nelts - 1;
    i = 2;

    if (sql == NULL) {
        rt->function = word[i++];

        if (ngx_smscamp_function_name_valid(&rt->function) != NGX_OK) {
            ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                               "invalid SQL function name \"%V\"",
                               &rt->function);
            return NGX_ERROR;
        }
    }

    if (ngx_array_init(&rt->segments, cf->pool, 8,
                       sizeof(ngx_smscamp_segment_t))
        != NGX_OK
        || ngx_array_init(&rt->args, cf->pool, 4, sizeof(ngx_smscamp_arg_t))
           != NGX_OK)
    {
        return NGX_ERROR;
    }

    if (ngx_smscamp_parse_pattern(cf, rt) != NGX_CONF_OK) {
        return NGX_ERROR;
    }

    for ( /* void */ ; i < nwords; i++) {
        if (ngx_smscamp_parse_arg(cf, rt, &word[i]) != NGX_CONF_OK) {
            return NGX_ERROR;
        }
    }

    /* reading is for viewers, changing for operators, unless the route says */
    if (!rt->role_set) {
        rt->role = (rt->method.len == 3
                    && ngx_strncmp(rt->method.data, "GET", 3) == 0)
                   ? NGX_SMSCAMP_ROLE_VIEWER : NGX_SMSCAMP_ROLE_OPERATOR;
    }

    if (ngx_smscamp_build_sql(cf, rt, sql) != NGX_CONF_OK) {
        return NGX_ERROR;
    }

    return rt->index;
}


/*
 * A route's SQL function: an identifier (lower case letters, digits, "_",
 * not starting with a digit), optionally schema-qualified once: "api.leads_get".
 */

static ngx_int_t
ngx_smscamp_function_name_valid(ngx_str_t *name)
{
    u_char      *p, *start, *end;
    ngx_uint_t   dots;

    start = name->data;
    end = name->data + name->len;
    dots = 0;

    for (p = start; p < end; p++) {

        if (*p == '.') {
            if (++dots > 1 || p == start || p + 1 == end) {
                return NGX_ERROR;
            }

            start = p + 1;
            continue;
        }

        if (!((*p >= 'a' && *p <= 'z') || *p == '_'
              || (*p >= '0' && *p <= '9' && p != start)))
        {
            return NGX_ERROR;
        }
    }

    return name->len ? NGX_OK : NGX_ERROR;
}


static char *
ngx_smscamp_parse_pattern(ngx_conf_t *cf, ngx_smscamp_route_t *rt)
{
    u_char                 *p, *end, *s;
    ngx_smscamp_segment_t  *seg;

    if (rt->pattern.len < 2 || rt->pattern.data[0] != '/') {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "route pattern \"%V\" must start with \"/\"",
                           &rt->pattern);
        return NGX_CONF_ERROR;
    }

    p = rt->pattern.data + 1;
    end = rt->pattern.data + rt->pattern.len;

    while (p < end) {
        s = ngx_strlchr(p, end, '/');
        if (s == NULL) {
            s = end;
        }

        if (s == p) {
            ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                               "empty segment in route pattern \"%V\"",
                               &rt->pattern);
            return NGX_CONF_ERROR;
        }

        seg = ngx_array_push(&rt->segments);
        if (seg == NULL) {
            return NGX_CONF_ERROR;
        }

        seg->capture = (*p == ':' && s - p > 1);

        if (seg->capture) {
            seg->text.data = p + 1;
            seg->text.len = s - p - 1;
            rt->ncaptures++;

        } else {
            seg->text.data = p;
            seg->text.len = s - p;
        }

        p = s + 1;
    }

    if (rt->ncaptures > 16) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "too many captures in \"%V\"", &rt->pattern);
        return NGX_CONF_ERROR;
    }

    return NGX_CONF_OK;
}


static char *
ngx_smscamp_parse_arg(ngx_conf_t *cf, ngx_smscamp_route_t *rt,
    ngx_str_t *word)
{
    ngx_str_t               name;
    ngx_uint_t              i, n;
    ngx_smscamp_arg_t      *arg;
    ngx_smscamp_segment_t  *seg;

    if (ngx_smscamp_parse_role(word, rt) == NGX_CONF_OK) {
        return NGX_CONF_OK;
    }

    if (word->len > sizeof("answer:") - 1
        && ngx_strncmp(word->data, "answer:", sizeof("answer:") - 1) == 0)
    {
        rt->answer_type.data = word->data + sizeof("answer:") - 1;
        rt->answer_type.len = word->len - (sizeof("answer:") - 1);
        return NGX_CONF_OK;
    }

    arg = ngx_array_push(&rt->args);
    if (arg == NULL) {
        return NGX_CONF_ERROR;
    }

    arg->capture = 0;

    if (word->len > 1 && word->data[0] == ':') {
        name.data = word->data + 1;
        name.len = word->len - 1;
        seg = rt->segments.elts;

        for (i = 0, n = 0; i < rt->segments.nelts; i++) {
            if (!seg[i].capture) {
                continue;
            }

            if (seg[i].text.len == name.len
                && ngx_strncmp(seg[i].text.data, name.data, name.len) == 0)
            {
                arg->kind = NGX_SMSCAMP_ARG_CAPTURE;
                arg->capture = n;
                return NGX_CONF_OK;
            }

            n++;
        }

        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "route \"%V\" has no capture \"%V\"",
                           &rt->pattern, word);
        return NGX_CONF_ERROR;
    }

    if (ngx_strcmp(word->data, "args") == 0) {
        arg->kind = NGX_SMSCAMP_ARG_ARGS;

    } else if (ngx_strcmp(word->data, "json") == 0) {
        arg->kind = NGX_SMSCAMP_ARG_JSON;
        rt->reads_body = 1;

    } else if (ngx_strcmp(word->data, "body") == 0) {
        arg->kind = NGX_SMSCAMP_ARG_BODY;
        rt->reads_body = 1;

    } else if (ngx_strcmp(word->data, "content_type") == 0) {
        arg->kind = NGX_SMSCAMP_ARG_CONTENT_TYPE;

    } else if (ngx_strcmp(word->data, "url") == 0) {
        arg->kind = NGX_SMSCAMP_ARG_URL;

    } else if (word->len > sizeof("header:") - 1
               && ngx_strncmp(word->data, "header:", sizeof("header:") - 1)
                  == 0)
    {
        arg->kind = NGX_SMSCAMP_ARG_HEADER;
        arg->header.data = word->data + sizeof("header:") - 1;
        arg->header.len = word->len - (sizeof("header:") - 1);

    } else {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "unknown route argument \"%V\"", word);
        return NGX_CONF_ERROR;
    }

    return NGX_CONF_OK;
}


/* "SELECT status, body FROM function($1, ...)", or sql; and its name */

static char *
ngx_smscamp_build_sql(ngx_conf_t *cf, ngx_smscamp_route_t *rt, char *sql)
{
    u_char      *p;
    size_t       len;
    ngx_uint_t   i;

    rt->stmt.name = ngx_pnalloc(cf->pool, sizeof("smscamp_r") + NGX_INT_T_LEN);
    rt->stmt.index = rt->index;
    rt->stmt.nparams = rt->args.nelts;
    rt->stmt.sql = sql;

    if (rt->stmt.name == NULL) {
        return NGX_CONF_ERROR;
    }

    *ngx_sprintf((u_char *) rt->stmt.name, "smscamp_r%ui", rt->index) = '\0';

    if (sql != NULL) {
        return NGX_CONF_OK;
    }

    len = sizeof("SELECT status, body FROM ()") + rt->function.len
          + rt->args.nelts * sizeof(", $NNNN");

    rt->stmt.sql = ngx_pnalloc(cf->pool, len);
    if (rt->stmt.sql == NULL) {
        return NGX_CONF_ERROR;
    }

    p = ngx_sprintf((u_char *) rt->stmt.sql, "SELECT status, body FROM %V(",
                    &rt->function);

    for (i = 0; i < rt->args.nelts; i++) {
        p = ngx_sprintf(p, "%s$%ui", i ? ", " : "", i + 1);
    }

    *p++ = ')';
    *p = '\0';

    return NGX_CONF_OK;
}


/* smscamp_public_url https://sms.example.com; (scheme and host, maybe a path) */

static char *
ngx_smscamp_set_public_url(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    char       *rv;
    ngx_str_t  *url;

    rv = ngx_conf_set_str_slot(cf, cmd, conf);
    if (rv != NGX_CONF_OK) {
        return rv;
    }

    url = (ngx_str_t *) ((char *) conf + cmd->offset);

    if (!(url->len > sizeof("http://") - 1
          && ngx_strncasecmp(url->data, (u_char *) "http://",
                             sizeof("http://") - 1) == 0)
        && !(url->len > sizeof("https://") - 1
             && ngx_strncasecmp(url->data, (u_char *) "https://",
                                sizeof("https://") - 1) == 0))
    {
        return "must start with http:// or https://";
    }

    /* the request URI starts with "/" */
    while (url->len && url->data[url->len - 1] == '/') {
        url->len--;
    }

    return NGX_CONF_OK;
}


/* smscamp_pass; smscamp_error_page; : the location's content handler */

static char *
ngx_smscamp_set_handler(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    ngx_flag_t                *flag;
    ngx_http_core_loc_conf_t  *clcf;

    flag = (ngx_flag_t *) ((char *) conf + cmd->offset);

    if (*flag != NGX_CONF_UNSET) {
        return "is duplicate";
    }

    *flag = 1;

    clcf = ngx_http_conf_get_module_loc_conf(cf, ngx_http_core_module);
    clcf->handler = (ngx_http_handler_pt) cmd->post;

    return NGX_CONF_OK;
}


static ngx_int_t
ngx_smscamp_init_process(ngx_cycle_t *cycle)
{
    ngx_smscamp_main_conf_t  *smcf;

    smcf = ngx_http_cycle_get_module_main_conf(cycle, ngx_smscamp_module);

    if (smcf == NULL || smcf->dsn.len == 0) {
        return NGX_OK;
    }

    if (ngx_smscamp_auth_init_process(cycle, smcf) != NGX_OK
        || ngx_smscamp_pool_init(cycle, smcf) != NGX_OK)
    {
        return NGX_ERROR;
    }

    ngx_smscamp_metrics_init_process(cycle, smcf);

    return NGX_OK;
}


static void
ngx_smscamp_exit_process(ngx_cycle_t *cycle)
{
    ngx_smscamp_main_conf_t  *smcf;

    smcf = ngx_http_cycle_get_module_main_conf(cycle, ngx_smscamp_module);

    if (smcf != NULL) {
        ngx_smscamp_pool_done(smcf);
    }
}
