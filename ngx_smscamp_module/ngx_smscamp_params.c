/*
 * Request parts -> bound parameter text: a route's arguments bound from the
 * captures, the query string (as a JSON object), request headers, the URL
 * called and the body (in one NUL-terminated buffer, JSON well-formedness
 * checked), all checked to be UTF-8 without NUL. Nothing here trusts its
 * input.
 */


#include "ngx_smscamp.h"
#include <jansson.h>


static ngx_uint_t ngx_smscamp_bind_body(ngx_smscamp_ctx_t *ctx,
    ngx_smscamp_arg_t *arg, char **value, const char **detail);
static ngx_int_t ngx_smscamp_request_url(ngx_http_request_t *r,
    ngx_str_t *url);
static ngx_int_t ngx_smscamp_unescape_arg(ngx_pool_t *pool, u_char *p,
    size_t len, ngx_str_t *out);


/*
 * A route's arguments as its statement's parameters, in ctx->values: NGX_OK,
 * or the HTTP status of the error, with *detail set.
 */

ngx_uint_t
ngx_smscamp_bind(ngx_smscamp_ctx_t *ctx, const char **detail)
{
    ngx_str_t                 s, *cap, json;
    ngx_uint_t                i, status;
    ngx_http_request_t       *r;
    ngx_smscamp_arg_t        *arg;

    r = ctx->request;
    arg = ctx->route->args.elts;

    ctx->values = ngx_pcalloc(r->pool,
                              (ctx->route->args.nelts + 1) * sizeof(char *));
    if (ctx->values == NULL) {
        *detail = "Internal server error";
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    for (i = 0; i < ctx->route->args.nelts; i++) {

        switch (arg[i].kind) {

        case NGX_SMSCAMP_ARG_CAPTURE:
            cap = &ctx->captures[arg[i].capture];
            if (ngx_smscamp_utf8_valid(cap->data, cap->len) != NGX_OK) {
                *detail = "Path is not valid UTF-8 text";
                return NGX_HTTP_BAD_REQUEST;
            }
            s = *cap;
            break;

        case NGX_SMSCAMP_ARG_ARGS:
            if (ngx_smscamp_args_to_json(r, &r->args, &json) != NGX_OK) {
                *detail = "Query string is not valid UTF-8 text";
                return NGX_HTTP_BAD_REQUEST;
            }
            s = json;
            break;

        case NGX_SMSCAMP_ARG_CONTENT_TYPE:
            if (r->headers_in.content_type == NULL) {
                continue;
            }
            s = r->headers_in.content_type->value;
            if (ngx_smscamp_utf8_valid(s.data, s.len) != NGX_OK) {
                *detail = "Content-Type is not valid UTF-8 text";
                return NGX_HTTP_BAD_REQUEST;
            }
            break;

        case NGX_SMSCAMP_ARG_HEADER:
            if (ngx_smscamp_find_header(r, &arg[i].header, &s) != NGX_OK) {
                continue;
            }
            if (ngx_smscamp_utf8_valid(s.data, s.len) != NGX_OK) {
                *detail = "A request header is not valid UTF-8 text";
                return NGX_HTTP_BAD_REQUEST;
            }
            break;

        case NGX_SMSCAMP_ARG_URL:
            if (ngx_smscamp_request_url(r, &s) != NGX_OK) {
                *detail = "Internal server error";
                return NGX_HTTP_INTERNAL_SERVER_ERROR;
            }
            if (ngx_smscamp_utf8_valid(s.data, s.len) != NGX_OK) {
                *detail = "The request URL is not valid UTF-8 text";
                return NGX_HTTP_BAD_REQUEST;
            }
            break;

        default: /* NGX_SMSCAMP_ARG_JSON, NGX_SMSCAMP_ARG_BODY */
            status = ngx_smscamp_bind_body(ctx, &arg[i], &ctx->values[i],
                                           detail);
            if (status != NGX_OK) {
                return status;
            }
            continue;
        }

        ctx->values[i] = ngx_pnalloc(r->pool, s.len + 1);
        if (ctx->values[i] == NULL) {
            *detail = "Internal server error";
            return NGX_HTTP_INTERNAL_SERVER_ERROR;
        }

        *ngx_cpymem(ctx->values[i], s.data, s.len) = '\0';
    }

    return NGX_OK;
}


static ngx_uint_t
ngx_smscamp_bind_body(ngx_smscamp_ctx_t *ctx, ngx_smscamp_arg_t *arg,
    char **value, const char **detail)
{
    ngx_str_t            body, ct, error;
    ngx_uint_t           is_json;
    ngx_http_request_t  *r;

    r = ctx->request;

    if (ngx_smscamp_read_body(r, &body) != NGX_OK) {
        *detail = "Internal server error";
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    if (body.len == 0) {
        *value = NULL;
        return NGX_OK;
    }

    if (ngx_smscamp_utf8_valid(body.data, body.len) != NGX_OK) {
        *detail = "Request body is not valid UTF-8 text (or contains NUL)";
        return NGX_HTTP_BAD_REQUEST;
    }

    /* a "json" argument must be JSON; a raw "body" is checked when it says so */

    is_json = 1;

    if (r->headers_in.content_type) {
        ct = r->headers_in.content_type->value;
        is_json = (ngx_strlcasestrn(ct.data, ct.data + ct.len,
                                    (u_char *) "json", 4 - 1)
                   != NULL);
    }

    if (arg->kind == NGX_SMSCAMP_ARG_JSON && !is_json) {
        *detail = "Content-Type must be application/json";
        return NGX_HTTP_UNSUPPORTED_MEDIA_TYPE;
    }

    if (is_json && ngx_smscamp_check_json(r, &body, &error) != NGX_OK) {
        *detail = (const char *) error.data;
        return NGX_HTTP_BAD_REQUEST;
    }

    /* ngx_smscamp_read_body() leaves room for and sets the terminating NUL */
    *value = (char *) body.data;

    return NGX_OK;
}


/* the last request header of that name (case-insensitive) */

ngx_int_t
ngx_smscamp_find_header(ngx_http_request_t *r, ngx_str_t *name,
    ngx_str_t *value)
{
    ngx_uint_t        i;
    ngx_list_part_t  *part;
    ngx_table_elt_t  *h;
    ngx_int_t         rc;

    rc = NGX_DECLINED;
    part = &r->headers_in.headers.part;
    h = part->elts;

    for (i = 0; /* void */; i++) {

        if (i >= part->nelts) {
            if (part->next == NULL) {
                break;
            }

            part = part->next;
            h = part->elts;
            i = 0;
        }

        if (h[i].key.len == name->len
            && ngx_strncasecmp(h[i].key.data, name->data, name->len) == 0)
        {
            *value = h[i].value;
            rc = NGX_OK;
        }
    }

    return rc;
}


/*
 * The URL the client called, as a provider signs it: smscamp_public_url
 * followed by the request URI, or the request's own scheme, Host and URI.
 */

static ngx_int_t
ngx_smscamp_request_url(ngx_http_request_t *r, ngx_str_t *url)
{
    u_char                   *p;
    size_t                    len;
    ngx_str_t                 base, host;
    ngx_smscamp_main_conf_t  *smcf;

    smcf = ngx_http_get_module_main_conf(r, ngx_smscamp_module);

    if (smcf->public_url.len) {
        base = smcf->public_url;
        ngx_str_null(&host);

    } else {
#if (NGX_HTTP_SSL)
        if (r->connection->ssl) {
            ngx_str_set(&base, "https://");
        } else
#endif
        {
            ngx_str_set(&base, "http://");
        }

        if (r->headers_in.host) {
            host = r->headers_in.host->value;
        } else {
            host = r->headers_in.server;
        }
    }

    len = base.len + host.len + r->unparsed_uri.len;

    p = ngx_pnalloc(r->pool, len);
    if (p == NULL) {
        return NGX_ERROR;
    }

    url->data = p;
    p = ngx_cpymem(p, base.data, base.len);
    if (host.len) {
        p = ngx_cpymem(p, host.data, host.len);
    }

    p = ngx_cpymem(p, r->unparsed_uri.data, r->unparsed_uri.len);
    url->len = p - url->data;

    return NGX_OK;
}


/* valid UTF-8 (no overlongs, no surrogates, <= U+10FFFF) and no NUL byte */

ngx_int_t
ngx_smscamp_utf8_valid(u_char *p, size_t len)
{
    u_char    *end;
    uint32_t   c, min;
    ngx_uint_t n;

    if (len == 0) {
        return NGX_OK;          /* p may be NULL: an empty ngx_str_t */
    }

    end = p + len;

    while (p < end) {
        c = *p++;

        if (c < 0x80) {
            if (c == 0) {
                return NGX_ERROR;
            }
            continue;
        }

        if (c >= 0xf0 && c < 0xf5) {
            n = 3; c &= 0x07; min = 0x10000;

        } else if (c >= 0xe0 && c < 0xf0) {
            n = 2; c &= 0x0f; min = 0x800;

        } else if (c >= 0xc2 && c < 0xe0) {
            n = 1; c &= 0x1f; min = 0x80;

        } else {
            return NGX_ERROR;
        }

        if ((size_t) (end - p) < n) {
            return NGX_ERROR;
        }

        while (n--) {
            if ((*p & 0xc0) != 0x80) {
                return NGX_ERROR;
            }
            c = (c << 6) | (*p++ & 0x3f);
        }

        if (c < min || c > 0x10ffff || (c >= 0xd800 && c <= 0xdfff)) {
            return NGX_ERROR;
        }
    }

    return NGX_OK;
}


/* "a=1&b=x%20y" -> {"a":"1","b":"x y"}; a repeated key keeps its last value */

ngx_int_t
ngx_smscamp_args_to_json(ngx_http_request_t *r, ngx_str_t *args,
    ngx_str_t *json)
{
    u_char     *p, *end, *amp, *eq;
    char       *dump;
    json_t     *obj, *val;
    ngx_int_t   rc;
    ngx_str_t   key, value;

    obj = json_object();
    if (obj == NULL) {
        return NGX_ERROR;
    }

    rc = NGX_OK;
    /* no query string: r->args is {0, NULL}, and NULL + 0 is undefined */
    p = args->data;
    end = (p != NULL) ? p + args->len : p;

    while (p < end && rc == NGX_OK) {
        amp = ngx_strlchr(p, end, '&');
        if (amp == NULL) {
            amp = end;
        }

        eq = ngx_strlchr(p, amp, '=');
        if (eq == NULL) {
            eq = amp;
        }

        if (eq > p) {
            rc = ngx_smscamp_unescape_arg(r->pool, p, eq - p, &key);

            if (rc == NGX_OK) {
                rc = ngx_smscamp_unescape_arg(r->pool, eq < amp ? eq + 1 : eq,
                                              eq < amp ? amp - eq - 1 : 0,
                                              &value);
            }

            if (rc == NGX_OK) {
                val = json_stringn((char *) value.data, value.len);
                if (val == NULL
                    || json_object_setn_new(obj, (char *) key.data, key.len,
                                            val)
                       != 0)
                {
                    rc = NGX_ERROR;
                }
            }
        }

        p = amp + 1;
    }

    if (rc != NGX_OK) {
        json_decref(obj);
        return rc;
    }

    dump = json_dumps(obj, JSON_COMPACT);
    json_decref(obj);

    if (dump == NULL) {
        return NGX_ERROR;
    }

    json->len = ngx_strlen(dump);
    json->data = ngx_pnalloc(r->pool, json->len);

    if (json->data != NULL) {
        ngx_memcpy(json->data, dump, json->len);
    }

    free(dump);

    return json->data ? NGX_OK : NGX_ERROR;
}


static ngx_int_t
ngx_smscamp_unescape_arg(ngx_pool_t *pool, u_char *p, size_t len,
    ngx_str_t *out)
{
    u_char      *dst, *src;
    ngx_uint_t   i;

    out->data = ngx_pnalloc(pool, len + 1);
    if (out->data == NULL) {
        return NGX_ERROR;
    }

    for (i = 0; i < len; i++) {
        out->data[i] = (p[i] == '+') ? ' ' : p[i];
    }

    dst = out->data;
    src = out->data;
    ngx_unescape_uri(&dst, &src, len, 0);
    out->len = dst - out->data;

    return ngx_smscamp_utf8_valid(out->data, out->len);
}


/* the whole body in one buffer from the pool, NUL-terminated */

ngx_int_t
ngx_smscamp_read_body(ngx_http_request_t *r, ngx_str_t *body)
{
    u_char       *p;
    off_t         len;
    ssize_t       n;
    ngx_buf_t    *b;
    ngx_chain_t  *cl;

    body->len = 0;
    body->data = (u_char *) "";

    if (r->request_body == NULL) {
        return NGX_OK;
    }

    len = 0;

    for (cl = r->request_body->bufs; cl; cl = cl->next) {
        b = cl->buf;
        len += b->in_file ? b->file_last - b->file_pos : b->last - b->pos;
    }

    if (len == 0) {
        return NGX_OK;
    }

    p = ngx_pnalloc(r->pool, len + 1);
    if (p == NULL) {
        return NGX_ERROR;
    }

    body->data = p;

    for (cl = r->request_body->bufs; cl; cl = cl->next) {
        b = cl->buf;

        if (!b->in_file) {
            p = ngx_cpymem(p, b->pos, b->last - b->pos);
            continue;
        }

        n = ngx_read_file(b->file, p, b->file_last - b->file_pos,
                          b->file_pos);

        if (n != b->file_last - b->file_pos) {
            ngx_log_error(NGX_LOG_ERR, r->connection->log, 0,
                          "smscamp: short read of the request body file");
            return NGX_ERROR;
        }

        p += n;
    }

    *p = '\0';
    body->len = p - body->data;

    return NGX_OK;
}


/* well-formed JSON, or *error = a message naming where it breaks */

ngx_int_t
ngx_smscamp_check_json(ngx_http_request_t *r, ngx_str_t *body,
    ngx_str_t *error)
{
    json_t        *doc;
    json_error_t   err;

    doc = json_loadb((char *) body->data, body->len,
                     JSON_DECODE_ANY | JSON_DECODE_INT_AS_REAL, &err);

    if (doc != NULL) {
        json_decref(doc);
        return NGX_OK;
    }

    error->data = ngx_pnalloc(r->pool, 128);
    if (error->data == NULL) {
        ngx_str_set(error, "Request body is not valid JSON");
        return NGX_ERROR;
    }

    error->len = ngx_snprintf(error->data, 127,
                              "Request body is not valid JSON "
                              "(line %d, column %d)%Z",
                              err.line, err.column)
                 - error->data - 1;

    return NGX_ERROR;
}
