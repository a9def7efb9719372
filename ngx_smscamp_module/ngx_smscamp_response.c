/*
 * Responses: a whole answer from memory, {"detail": ...} errors, the 503 of
 * an unavailable database, and a route's answer (its completion): the JSON
 * the route function answered, or an error mapped from a SQLSTATE. Every
 * 503 says Retry-After: 1 (the database may be a node failing over, or busy
 * for a moment). Nothing from PostgreSQL's error text reaches a client
 * except the bodies our own functions raise with SQLSTATE "SCnnn".
 */


#include "ngx_smscamp.h"


static ngx_int_t ngx_smscamp_send_result(ngx_http_request_t *r,
    ngx_smscamp_route_t *rt, PGresult *res);
static void ngx_smscamp_result_cleanup(void *data);
static ngx_int_t ngx_smscamp_send_pg_error(ngx_http_request_t *r,
    PGresult *res);
static char *ngx_smscamp_remote_message(char *message);
static ngx_uint_t ngx_smscamp_status_of_sqlstate(const char *state,
    const char **detail);


ngx_int_t
ngx_smscamp_send_json(ngx_http_request_t *r, ngx_uint_t status, u_char *body,
    size_t len)
{
    static ngx_str_t  json = ngx_string("application/json");

    return ngx_smscamp_send_body(r, status, &json, body, len);
}


/* one more response header; key is a string that outlives the request */

ngx_int_t
ngx_smscamp_add_header(ngx_http_request_t *r, const char *key,
    ngx_str_t *value)
{
    ngx_table_elt_t  *h;

    h = ngx_list_push(&r->headers_out.headers);
    if (h == NULL) {
        return NGX_ERROR;
    }

    h->hash = 1;
    h->key.data = (u_char *) key;
    h->key.len = ngx_strlen(key);
    h->value = *value;

    return NGX_OK;
}


/* a whole answer from memory the request's pool owns; len 0: headers only */

ngx_int_t
ngx_smscamp_send_body(ngx_http_request_t *r, ngx_uint_t status,
    ngx_str_t *content_type, u_char *body, size_t len)
{
    u_char       *semi;
    ngx_int_t     rc;
    ngx_buf_t    *b;
    ngx_chain_t   out;

    r->headers_out.status = status;

    /* nginx knows no reason phrase for these */
    if (status == 422) {
        ngx_str_set(&r->headers_out.status_line, "422 Unprocessable Entity");

    } else if (status == 429) {
        ngx_str_set(&r->headers_out.status_line, "429 Too Many Requests");
    }

    /* the media type without its parameters, as nginx's charset filter wants */
    r->headers_out.content_type = *content_type;
    semi = ngx_strlchr(content_type->data,
                       content_type->data + content_type->len, ';');
    r->headers_out.content_type_len = semi ? (size_t) (semi - content_type->data)
                                           : content_type->len;
    r->headers_out.content_type_lowcase = NULL;
    r->headers_out.content_length_n = len;

    if (len == 0) {
        r->header_only = 1;
    }

    rc = ngx_http_send_header(r);

    if (rc == NGX_ERROR || rc > NGX_OK || r->header_only) {
        return rc;
    }

    b = ngx_calloc_buf(r->pool);
    if (b == NULL) {
        return NGX_ERROR;
    }

    b->pos = body;
    b->last = body + len;
    b->memory = 1;
    b->last_buf = (r == r->main) ? 1 : 0;
    b->last_in_chain = 1;

    out.buf = b;
    out.next = NULL;

    return ngx_http_output_filter(r, &out);
}


/* {"detail": "<text>"} */

ngx_int_t
ngx_smscamp_send_detail(ngx_http_request_t *r, ngx_uint_t status,
    const char *detail)
{
    u_char  *body, *p;
    size_t   len;

    len = ngx_strlen(detail);

    body = ngx_pnalloc(r->pool, sizeof("{\"detail\":\"\"}") - 1 + len
                                + ngx_escape_json(NULL, (u_char *) detail, len));
    if (body == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    p = ngx_cpymem(body, "{\"detail\":\"", sizeof("{\"detail\":\"") - 1);
    p = (u_char *) ngx_escape_json(p, (u_char *) detail, len);
    p = ngx_cpymem(p, "\"}", 2);

    return ngx_smscamp_send_json(r, status, body, p - body);
}


ngx_int_t
ngx_smscamp_send_unavailable(ngx_http_request_t *r, const char *detail)
{
    u_char  *body, *p;
    size_t   len;

    static u_char  head[] = "{\"status\":\"error\",\"database\":\"unavailable\","
                            "\"detail\":\"";

    len = ngx_strlen(detail);

    body = ngx_pnalloc(r->pool, sizeof(head) + 2 + len
                                + ngx_escape_json(NULL, (u_char *) detail, len));
    if (body == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    if (ngx_smscamp_retry_after(r, 1) != NGX_OK) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    p = ngx_cpymem(body, head, sizeof(head) - 1);
    p = (u_char *) ngx_escape_json(p, (u_char *) detail, len);
    p = ngx_cpymem(p, "\"}", 2);

    return ngx_smscamp_send_json(r, NGX_HTTP_SERVICE_UNAVAILABLE, body,
                                 p - body);
}


/* a route's completion: the answer of its function, or of its error */

ngx_int_t
ngx_smscamp_send_answer(ngx_smscamp_ctx_t *ctx, PGresult *res)
{
    if (PQresultStatus(res) == PGRES_TUPLES_OK) {
        return ngx_smscamp_send_result(ctx->request, ctx->route, res);
    }

    return ngx_smscamp_send_pg_error(ctx->request, res);
}


/* takes ownership of res: it lives until the request's pool is destroyed */

static ngx_int_t
ngx_smscamp_send_result(ngx_http_request_t *r, ngx_smscamp_route_t *rt,
    PGresult *res)
{
    char                *status_text;
    ngx_int_t            status;
    ngx_pool_cleanup_t  *cln;

    cln = ngx_pool_cleanup_add(r->pool, 0);
    if (cln == NULL) {
        PQclear(res);
        return NGX_ERROR;
    }

    cln->handler = ngx_smscamp_result_cleanup;
    cln->data = res;

    if (PQntuples(res) != 1 || PQnfields(res) != 2 || PQgetisnull(res, 0, 0)) {
        ngx_log_error(NGX_LOG_ERR, r->connection->log, 0,
                      "smscamp: route function returned %d rows of %d "
                      "columns, expected one (status, body)",
                      PQntuples(res), PQnfields(res));
        return ngx_smscamp_send_detail(r, NGX_HTTP_INTERNAL_SERVER_ERROR,
                                       "Internal server error");
    }

    status_text = PQgetvalue(res, 0, 0);
    status = ngx_atoi((u_char *) status_text, ngx_strlen(status_text));

    if (status < 200 || status > 599) {
        ngx_log_error(NGX_LOG_ERR, r->connection->log, 0,
                      "smscamp: route function returned status \"%s\"",
                      status_text);
        return ngx_smscamp_send_detail(r, NGX_HTTP_INTERNAL_SERVER_ERROR,
                                       "Internal server error");
    }

    if (PQgetisnull(res, 0, 1)) {
        return ngx_smscamp_send_json(r, status, NULL, 0);
    }

    /* a route declared answer:TYPE (an export) answers its 2xx body as TYPE;
     * its errors stay JSON */
    if (rt != NULL && rt->answer_type.len && status < 300) {
        return ngx_smscamp_send_body(r, status, &rt->answer_type,
                                     (u_char *) PQgetvalue(res, 0, 1),
                                     PQgetlength(res, 0, 1));
    }

    return ngx_smscamp_send_json(r, status, (u_char *) PQgetvalue(res, 0, 1),
                                 PQgetlength(res, 0, 1));
}


static void
ngx_smscamp_result_cleanup(void *data)
{
    PQclear(data);
}


/* takes ownership of res */

static ngx_int_t
ngx_smscamp_send_pg_error(ngx_http_request_t *r, PGresult *res)
{
    char        *state, *message;
    size_t       len;
    u_char      *body;
    ngx_uint_t   status, level;
    const char  *detail;

    state = PQresultErrorField(res, PG_DIAG_SQLSTATE);
    message = PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY);

    if (state == NULL) {
        state = "XX000";
    }

    if (message == NULL) {
        message = "";
    }

    status = ngx_smscamp_status_of_sqlstate(state, &detail);

    if (status == NGX_HTTP_SERVICE_UNAVAILABLE
        && ngx_smscamp_retry_after(r, 1) != NGX_OK)
    {
        PQclear(res);
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    if (detail == NULL) {
        /* our own error: the message is the JSON body */
        message = ngx_smscamp_remote_message(message);
        len = ngx_strlen(message);
        body = ngx_pnalloc(r->pool, len);
        if (body == NULL) {
            PQclear(res);
            return NGX_HTTP_INTERNAL_SERVER_ERROR;
        }

        ngx_memcpy(body, message, len);
        PQclear(res);

        return ngx_smscamp_send_json(r, status, body, len);
    }

    level = (status >= 500) ? NGX_LOG_ERR : NGX_LOG_INFO;

    ngx_log_error(level, r->connection->log, 0,
                  "smscamp: \"%V\" failed: SQLSTATE %s: %s",
                  &r->uri, state, message);

    PQclear(res);

    return ngx_smscamp_send_detail(r, status, detail);
}


/*
 * A PL/Proxy router (docs/SCALING.md) raises a shard's error again with its
 * SQLSTATE and the message behind a prefix of its own,
 * "api.leads_create(1): [smscamp] REMOTE ERROR: {...}": the JSON body is
 * what follows the prefix.
 */

static char *
ngx_smscamp_remote_message(char *message)
{
    char  *p;

    static const char  remote[] = "REMOTE ERROR: ";

    if (message[0] == '{') {
        return message;
    }

    p = ngx_strstr(message, remote);
    if (p == NULL || p[sizeof(remote) - 1] != '{') {
        return message;
    }

    return p + sizeof(remote) - 1;
}


static ngx_uint_t
ngx_smscamp_status_of_sqlstate(const char *state, const char **detail)
{
    ngx_int_t  status;

    *detail = NULL;

    if (state[0] == 'S' && state[1] == 'C') {
        status = ngx_atoi((u_char *) state + 2, 3);
        if (status >= 400 && status <= 599) {
            return status;
        }
    }

    if (ngx_strncmp(state, "23505", 5) == 0) {
        *detail = "Conflict with an existing record";
        return NGX_HTTP_CONFLICT;
    }

    if (ngx_strncmp(state, "P0002", 5) == 0) {
        *detail = "Not Found";
        return NGX_HTTP_NOT_FOUND;
    }

    if (ngx_strncmp(state, "57014", 5) == 0) {
        *detail = "The database took too long to answer";
        return NGX_HTTP_GATEWAY_TIME_OUT;
    }

    if (ngx_strncmp(state, "22", 2) == 0 || ngx_strncmp(state, "23", 2) == 0) {
        *detail = "Invalid value";
        return 422;
    }

    /* 25006 read_only_sql_transaction: a standby, or a node being demoted */

    if (ngx_strncmp(state, "08", 2) == 0 || ngx_strncmp(state, "53", 2) == 0
        || ngx_strncmp(state, "57P", 3) == 0
        || ngx_strncmp(state, "40", 2) == 0
        || ngx_strncmp(state, "25006", 5) == 0)
    {
        *detail = "Database unavailable, try again";
        return NGX_HTTP_SERVICE_UNAVAILABLE;
    }

    *detail = "Internal server error";
    return NGX_HTTP_INTERNAL_SERVER_ERROR;
}


void
ngx_smscamp_finalize(ngx_smscamp_ctx_t *ctx, ngx_int_t rc)
{
    ngx_connection_t    *c;
    ngx_http_request_t  *r;

    r = ctx->request;
    c = r->connection;

    ngx_http_finalize_request(r, rc);
    ngx_http_run_posted_requests(c);
}
