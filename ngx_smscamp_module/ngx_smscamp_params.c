/*
 * Request parts -> bound parameter text: UTF-8 checks, the query string as
 * a JSON object, the request body in one NUL-terminated buffer, JSON
 * well-formedness. Nothing here trusts its input.
 */


#include "ngx_smscamp.h"
#include <jansson.h>


static ngx_int_t ngx_smscamp_unescape_arg(ngx_pool_t *pool, u_char *p,
    size_t len, ngx_str_t *out);


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
