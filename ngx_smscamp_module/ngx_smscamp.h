/*
 * ngx_smscamp_module: REST routes -> prepared statements on a pool of
 * non-blocking libpq connections, one pool per nginx worker. The types the
 * files share and what each file offers the others.
 */

#ifndef _NGX_SMSCAMP_H_INCLUDED_
#define _NGX_SMSCAMP_H_INCLUDED_


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>
#include <libpq-fe.h>


/* where a bound parameter of a route's SQL function comes from */
typedef enum {
    NGX_SMSCAMP_ARG_CAPTURE = 0,   /* a {name} path segment, text */
    NGX_SMSCAMP_ARG_ARGS,          /* the query string as a JSON object */
    NGX_SMSCAMP_ARG_JSON,          /* the body, checked to be JSON */
    NGX_SMSCAMP_ARG_BODY,          /* the raw body, text */
    NGX_SMSCAMP_ARG_CONTENT_TYPE,  /* the Content-Type header */
    NGX_SMSCAMP_ARG_HEADER,        /* header:Name, a request header, text */
    NGX_SMSCAMP_ARG_URL            /* the URL the client called (webhooks) */
} ngx_smscamp_arg_kind_e;


typedef struct {
    ngx_smscamp_arg_kind_e     kind;
    ngx_uint_t                 capture;    /* index into the captures */
    ngx_str_t                  header;     /* NGX_SMSCAMP_ARG_HEADER's name */
} ngx_smscamp_arg_t;


typedef struct {
    ngx_str_t                  text;       /* literal text or capture name */
    unsigned                   capture:1;
} ngx_smscamp_segment_t;


/* a prepared statement: a route's, or the key lookup */
typedef struct {
    char                      *name;
    char                      *sql;
    ngx_uint_t                 index;      /* into a connection's prepared[] */
    ngx_uint_t                 nparams;
} ngx_smscamp_stmt_t;


/* who may call a route */
typedef enum {
    NGX_SMSCAMP_ROLE_PUBLIC = 0,
    NGX_SMSCAMP_ROLE_VIEWER,
    NGX_SMSCAMP_ROLE_OPERATOR,
    NGX_SMSCAMP_ROLE_ADMIN,
    NGX_SMSCAMP_ROLE_NONE                  /* an unknown, revoked or expired key */
} ngx_smscamp_role_e;


typedef struct {
    ngx_str_t                  method;
    ngx_str_t                  pattern;
    ngx_str_t                  function;
    ngx_array_t                segments;   /* ngx_smscamp_segment_t */
    ngx_array_t                args;       /* ngx_smscamp_arg_t */
    ngx_uint_t                 ncaptures;
    ngx_uint_t                 index;
    ngx_smscamp_stmt_t         stmt;
    ngx_smscamp_role_e         role;
    ngx_str_t                  answer_type; /* answer:TYPE of a 2xx body */
    unsigned                   role_set:1;
    unsigned                   reads_body:1;
} ngx_smscamp_route_t;


/* a token bucket's settings, in thousandths of a request */
typedef struct {
    ngx_uint_t                 rate;       /* per second */
    ngx_uint_t                 burst;
} ngx_smscamp_limit_conf_t;


/* a connection's host when it cannot be told */
#define NGX_SMSCAMP_HOST_UNKNOWN  ((ngx_uint_t) -1)


/* one host of a multi-host dsn, as PQhost() and PQport() say it */
typedef struct {
    ngx_str_t                  host;       /* or its hostaddr */
    ngx_str_t                  port;       /* "": any */
} ngx_smscamp_host_t;


/*
 * The hosts of the dsn (_hosts.c's), in the pool: with several
 * (nhosts > 1), the dsn's options for PQconnectStartParams()
 */
typedef struct {
    ngx_uint_t                 nhosts;     /* 1: the dsn as it is */
    ngx_uint_t                 good;       /* the last one connected to */
    ngx_smscamp_host_t        *hosts;
    const char               **keywords;
    const char              ***values;     /* [i]: host i first */
} ngx_smscamp_hosts_t;


typedef struct ngx_smscamp_pool_s  ngx_smscamp_pool_t;    /* _pool.c's */
typedef struct ngx_smscamp_conn_s  ngx_smscamp_conn_t;
typedef struct ngx_smscamp_ctx_s   ngx_smscamp_ctx_t;


typedef struct {
    ngx_str_t                  dsn;
    ngx_str_t                  public_url; /* smscamp_public_url */
    ngx_uint_t                 pool_size;
    ngx_uint_t                 queue_size;
    ngx_msec_t                 queue_timeout;
    ngx_msec_t                 query_timeout;
    ngx_msec_t                 connect_timeout;
    ngx_flag_t                 auth;
    ngx_msec_t                 auth_cache_ttl;
    ngx_uint_t                 auth_cache_size;
    ngx_smscamp_stmt_t         auth_stmt;
    ngx_array_t                routes;     /* ngx_smscamp_route_t */
    ngx_int_t                  metrics_route; /* GET /metrics's index, or -1 */
    ngx_flag_t                 rate_limit;
    ngx_smscamp_limit_conf_t   limit_key;
    ngx_smscamp_limit_conf_t   limit_ip;
    size_t                     limit_zone_size;
    ngx_shm_zone_t            *limit_zone;
    ngx_array_t               *cors_origins; /* ngx_str_t */
    void                      *metrics;    /* ngx_smscamp_metrics.c's */
    ngx_smscamp_pool_t        *pool;       /* this worker's, or NULL */
} ngx_smscamp_main_conf_t;


typedef struct {
    ngx_flag_t                 pass;
    ngx_flag_t                 error_page;
} ngx_smscamp_loc_conf_t;


/*
 * What a step does with its statement's result (or with the error that
 * kept the statement from being prepared): NGX_DECLINED to go on, to the
 * next step or to the request's completion; anything else ends the request
 * as the rc for ngx_http_finalize_request() of the answer it has sent.
 * (Not NGX_OK for "go on": sending an answer can return NGX_OK.) It does
 * not keep res.
 */
typedef ngx_int_t (*ngx_smscamp_done_pt)(ngx_smscamp_ctx_t *ctx,
    PGresult *res);

/* the answer from the last step's result (takes res), and its rc */
typedef ngx_int_t (*ngx_smscamp_complete_pt)(ngx_smscamp_ctx_t *ctx,
    PGresult *res);


typedef struct {
    ngx_smscamp_stmt_t        *stmt;
    char                     **params;     /* stmt->nparams, NULL-able */
    ngx_smscamp_done_pt        done;       /* NULL: go on */
} ngx_smscamp_step_t;


/* at most: the key lookup, then the route */
#define NGX_SMSCAMP_MAX_STEPS  2


/* one request: what it runs on the pool, and who is asking */
struct ngx_smscamp_ctx_s {
    ngx_http_request_t        *request;
    ngx_smscamp_route_t       *route;
    ngx_str_t                 *captures;
    char                     **values;     /* NULL-able, NUL-terminated */

    ngx_smscamp_step_t         steps[NGX_SMSCAMP_MAX_STEPS];
    ngx_uint_t                 nsteps;
    ngx_uint_t                 step;       /* the one running */
    ngx_smscamp_complete_pt    complete;

    u_char                     key_digest[32]; /* SHA-256 of the API key */
    u_char                     key_hash[65];   /* the same in hex, for SQL */
    char                      *key_param[1];
    ngx_uint_t                 key_rate;   /* the key's own limit, r/s, or 0 */
    ngx_uint_t                 retry_after; /* seconds, when rate limited */
    unsigned                   key_lookup:1; /* the cache does not know it */
    unsigned                   key_known:1; /* a valid key */
    unsigned                   limited:2;  /* the bucket it counts in */
    unsigned                   unlimited:1; /* no rate limit (/metrics) */

    /* the pool's */
    ngx_queue_t                queue;      /* in the wait queue */
    ngx_event_t                wait_timer;
    ngx_smscamp_conn_t        *conn;
    ngx_msec_t                 submitted;  /* when it reached the pool */
    ngx_msec_t                 started;    /* when it stopped waiting */
    unsigned                   waited:1;   /* started is set */
    unsigned                   retried:1;  /* ran twice, or may not */
};


extern ngx_module_t  ngx_smscamp_module;


/* ngx_smscamp_module.c */
ngx_int_t ngx_smscamp_route_add(ngx_conf_t *cf,
    ngx_smscamp_main_conf_t *smcf, ngx_str_t *word, ngx_uint_t nwords,
    char *sql);
ngx_smscamp_route_t *ngx_smscamp_find_route(ngx_http_request_t *r,
    ngx_str_t *captures, ngx_str_t *allow);

/* ngx_smscamp_request.c */
ngx_int_t ngx_smscamp_handler(ngx_http_request_t *r);
ngx_int_t ngx_smscamp_error_page_handler(ngx_http_request_t *r);
ngx_smscamp_ctx_t *ngx_smscamp_ctx_create(ngx_http_request_t *r,
    ngx_smscamp_route_t *rt);
void ngx_smscamp_request_submit(ngx_smscamp_ctx_t *ctx);

/* ngx_smscamp_pool.c */
ngx_int_t ngx_smscamp_pool_init(ngx_cycle_t *cycle,
    ngx_smscamp_main_conf_t *smcf);
void ngx_smscamp_pool_done(ngx_smscamp_main_conf_t *smcf);
void ngx_smscamp_pool_submit(ngx_smscamp_pool_t *pool,
    ngx_smscamp_ctx_t *ctx);
void ngx_smscamp_pool_gauges(ngx_smscamp_pool_t *pool, ngx_uint_t *busy,
    ngx_uint_t *idle, ngx_uint_t *connecting, ngx_uint_t *waiting);

/* ngx_smscamp_hosts.c */
ngx_int_t ngx_smscamp_hosts_init(ngx_smscamp_hosts_t *hs, ngx_pool_t *cp,
    ngx_log_t *log, ngx_str_t *dsn);
ngx_uint_t ngx_smscamp_hosts_find(ngx_smscamp_hosts_t *hs, PGconn *pg,
    ngx_uint_t first);

/* ngx_smscamp_auth.c */
void ngx_smscamp_auth_conf(ngx_smscamp_main_conf_t *smcf);
ngx_int_t ngx_smscamp_auth_init_process(ngx_cycle_t *cycle,
    ngx_smscamp_main_conf_t *smcf);
ngx_uint_t ngx_smscamp_auth_check(ngx_http_request_t *r,
    ngx_smscamp_ctx_t *ctx);
ngx_uint_t ngx_smscamp_auth_result(ngx_smscamp_ctx_t *ctx, PGresult *res);
ngx_int_t ngx_smscamp_auth_deny(ngx_http_request_t *r, ngx_uint_t status);
char *ngx_smscamp_parse_role(ngx_str_t *word, ngx_smscamp_route_t *rt);

/* ngx_smscamp_limit.c */
ngx_int_t ngx_smscamp_limit_add_zone(ngx_conf_t *cf,
    ngx_smscamp_main_conf_t *smcf);
ngx_int_t ngx_smscamp_limit_check(ngx_http_request_t *r,
    ngx_smscamp_ctx_t *ctx);
ngx_int_t ngx_smscamp_limit_deny(ngx_http_request_t *r,
    ngx_uint_t retry_after);
ngx_int_t ngx_smscamp_retry_after(ngx_http_request_t *r, ngx_uint_t seconds);
char *ngx_smscamp_limit_set_rate(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);
void ngx_smscamp_limit_merge(ngx_smscamp_limit_conf_t *lc);

/* ngx_smscamp_cors.c */
char *ngx_smscamp_cors_set_origins(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);
ngx_int_t ngx_smscamp_cors_headers(ngx_http_request_t *r);
ngx_int_t ngx_smscamp_cors_is_preflight(ngx_http_request_t *r);
ngx_int_t ngx_smscamp_cors_preflight(ngx_http_request_t *r,
    ngx_str_t *allow);

/* ngx_smscamp_params.c */
ngx_uint_t ngx_smscamp_bind(ngx_smscamp_ctx_t *ctx, const char **detail);
ngx_int_t ngx_smscamp_find_header(ngx_http_request_t *r, ngx_str_t *name,
    ngx_str_t *value);
ngx_int_t ngx_smscamp_utf8_valid(u_char *p, size_t len);
ngx_int_t ngx_smscamp_args_to_json(ngx_http_request_t *r, ngx_str_t *args,
    ngx_str_t *json);
ngx_int_t ngx_smscamp_read_body(ngx_http_request_t *r, ngx_str_t *body);
ngx_int_t ngx_smscamp_check_json(ngx_http_request_t *r, ngx_str_t *body,
    ngx_str_t *error);

/* ngx_smscamp_response.c */
ngx_int_t ngx_smscamp_send_json(ngx_http_request_t *r, ngx_uint_t status,
    u_char *body, size_t len);
ngx_int_t ngx_smscamp_add_header(ngx_http_request_t *r, const char *key,
    ngx_str_t *value);
ngx_int_t ngx_smscamp_send_body(ngx_http_request_t *r, ngx_uint_t status,
    ngx_str_t *content_type, u_char *body, size_t len);
ngx_int_t ngx_smscamp_send_detail(ngx_http_request_t *r, ngx_uint_t status,
    const char *detail);
ngx_int_t ngx_smscamp_send_answer(ngx_smscamp_ctx_t *ctx, PGresult *res);
ngx_int_t ngx_smscamp_send_unavailable(ngx_http_request_t *r,
    const char *detail);
void ngx_smscamp_finalize(ngx_smscamp_ctx_t *ctx, ngx_int_t rc);

/* ngx_smscamp_metrics.c */
char *ngx_smscamp_metrics_directive(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);
ngx_int_t ngx_smscamp_metrics_init(ngx_conf_t *cf);
void ngx_smscamp_metrics_init_process(ngx_cycle_t *cycle,
    ngx_smscamp_main_conf_t *smcf);


#endif /* _NGX_SMSCAMP_H_INCLUDED_ */
