/*
 * Target "args": ngx_smscamp_args_to_json (query string -> JSON object, with
 * its %XX/+ decoding) and ngx_smscamp_utf8_valid, from
 * ngx_smscamp_module/ngx_smscamp_params.c (included, not copied).
 *
 * Properties: utf8_valid agrees with an independent check written from
 * Unicode's table of well-formed UTF-8 byte sequences (plus "no NUL");
 * a query string that is accepted gives a JSON object that jansson parses
 * back; one with no '%' or '+' that is valid UTF-8 is always accepted and
 * every key of it is in the object.
 */

#include "../../ngx_smscamp_module/ngx_smscamp_params.c"

#include "fuzz_ngx.h"

#include <string.h>


/* Unicode 15, table 3-7: well-formed UTF-8 byte sequences */

static int
fuzz_utf8_reference(const u_char *p, size_t len)
{
    size_t   i, n;
    u_char   lo, hi;

    for (i = 0; i < len; ) {
        u_char c = p[i];

        if (c == 0) {
            return 0;
        }

        if (c <= 0x7f) {
            i++;
            continue;
        }

        lo = 0x80;
        hi = 0xbf;

        if (c >= 0xc2 && c <= 0xdf) {
            n = 1;
        } else if (c == 0xe0) {
            n = 2; lo = 0xa0;
        } else if ((c >= 0xe1 && c <= 0xec) || c == 0xee || c == 0xef) {
            n = 2;
        } else if (c == 0xed) {
            n = 2; hi = 0x9f;
        } else if (c == 0xf0) {
            n = 3; lo = 0x90;
        } else if (c >= 0xf1 && c <= 0xf3) {
            n = 3;
        } else if (c == 0xf4) {
            n = 3; hi = 0x8f;
        } else {
            return 0;
        }

        if (len - i - 1 < n) {
            return 0;
        }

        if (p[i + 1] < lo || p[i + 1] > hi) {
            return 0;
        }

        for (size_t k = 2; k <= n; k++) {
            if (p[i + k] < 0x80 || p[i + k] > 0xbf) {
                return 0;
            }
        }

        i += n + 1;
    }

    return 1;
}


int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    int                  plain;
    u_char              *copy, *p, *end, *amp, *eq;
    json_t              *doc;
    ngx_int_t            rc;
    ngx_str_t            args, json;
    ngx_pool_t          *pool;
    fuzz_request_t       fr;
    ngx_http_request_t  *r;

    pool = fuzz_pool_create();
    r = fuzz_request_init(&fr, pool);

    copy = ngx_pnalloc(pool, size);
    ngx_memcpy(copy, data, size);

    /* the UTF-8 check against the reference */

    rc = ngx_smscamp_utf8_valid(copy, size);
    FUZZ_CHECK((rc == NGX_OK) == fuzz_utf8_reference(copy, size));

    plain = (rc == NGX_OK && memchr(copy, '%', size) == NULL
             && memchr(copy, '+', size) == NULL);

    /* the query string as a JSON object */

    args.data = copy;
    args.len = size;
    json.data = NULL;
    json.len = 0;

    rc = ngx_smscamp_args_to_json(r, &args, &json);

    /* arguments are decoded in place into copies: the input is untouched */
    FUZZ_CHECK(memcmp(copy, data, size) == 0);

    if (plain) {
        FUZZ_CHECK(rc == NGX_OK);
    }

    if (rc == NGX_OK) {
        doc = json_loadb((char *) json.data, json.len, 0, NULL);
        FUZZ_CHECK(doc != NULL && json_is_object(doc));

        if (plain) {
            p = copy;
            end = copy + size;

            while (p < end) {
                amp = memchr(p, '&', end - p);
                if (amp == NULL) {
                    amp = end;
                }

                eq = memchr(p, '=', amp - p);
                if (eq == NULL) {
                    eq = amp;
                }

                if (eq > p) {
                    FUZZ_CHECK(json_object_getn(doc, (char *) p, eq - p)
                               != NULL);
                }

                p = amp + 1;
            }
        }

        json_decref(doc);
    }

    fuzz_pool_destroy(pool);

    return 0;
}
