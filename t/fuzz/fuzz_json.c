/*
 * Target "json": a request body as the module takes it in for a "json" or
 * "body" route argument: ngx_smscamp_read_body (the body's buffers joined
 * into one NUL-terminated string), ngx_smscamp_utf8_valid and
 * ngx_smscamp_check_json with its error message, from
 * ngx_smscamp_module/ngx_smscamp_params.c (included, not copied).
 *
 * Input: the first byte picks how many buffers (1 + byte % 4) the rest, the
 * body, arrives in.
 */

#include "../../ngx_smscamp_module/ngx_smscamp_params.c"

#include "fuzz_ngx.h"

#include <string.h>


int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    json_t              *doc;
    ngx_int_t            rc;
    ngx_str_t            body, error;
    ngx_uint_t           nbufs;
    ngx_pool_t          *pool;
    fuzz_request_t       fr;
    ngx_http_request_t  *r;

    if (size == 0) {
        return 0;
    }

    nbufs = 1 + data[0] % 4;
    data++;
    size--;

    pool = fuzz_pool_create();
    r = fuzz_request_init(&fr, pool);
    fuzz_request_body(&fr, data, size, nbufs);

    rc = ngx_smscamp_read_body(r, &body);
    FUZZ_CHECK(rc == NGX_OK);
    FUZZ_CHECK(body.len == size);
    FUZZ_CHECK(size == 0 || memcmp(body.data, data, size) == 0);
    FUZZ_CHECK(body.data[body.len] == '\0');

    if (size == 0 || ngx_smscamp_utf8_valid(body.data, body.len) != NGX_OK) {
        goto done;
    }

    error.data = NULL;
    error.len = 0;

    rc = ngx_smscamp_check_json(r, &body, &error);

    doc = json_loadb((char *) body.data, body.len,
                     JSON_DECODE_ANY | JSON_DECODE_INT_AS_REAL, NULL);

    if (rc == NGX_OK) {
        FUZZ_CHECK(doc != NULL);

    } else {
        FUZZ_CHECK(doc == NULL);
        FUZZ_CHECK(error.data != NULL && error.len > 0 && error.len < 128);
        FUZZ_CHECK(error.data[error.len] == '\0');
        FUZZ_CHECK(strlen((char *) error.data) == error.len);
    }

    json_decref(doc);

done:

    fuzz_pool_destroy(pool);

    return 0;
}
