/*
 * What the nginx-side harnesses share: pools from t/fuzz/ngx_stubs.c and a
 * minimal ngx_http_request_t, with only the fields the module's parsers read.
 */

#ifndef FUZZ_NGX_H
#define FUZZ_NGX_H

#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

extern ngx_log_t  *fuzz_log;

ngx_pool_t *fuzz_pool_create(void);
void fuzz_pool_destroy(ngx_pool_t *pool);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv);

/* a property of the production code does not hold: report as a crash */
#define FUZZ_CHECK(cond)                                                      \
    do {                                                                      \
        if (!(cond)) {                                                        \
            fprintf(stderr, "fuzz: property failed at %s:%d: %s\n",           \
                    __FILE__, __LINE__, #cond);                               \
            abort();                                                          \
        }                                                                     \
    } while (0)


/* a request with a pool, a connection (for its log), and no more */

typedef struct {
    ngx_http_request_t        r;
    ngx_connection_t          c;
    ngx_http_request_body_t   rb;
    ngx_table_elt_t           content_type;
} fuzz_request_t;


static inline ngx_http_request_t *
fuzz_request_init(fuzz_request_t *fr, ngx_pool_t *pool)
{
    ngx_memzero(fr, sizeof(fuzz_request_t));

    fr->c.log = fuzz_log;
    fr->r.connection = &fr->c;
    fr->r.pool = pool;
    fr->r.main = &fr->r;

    return &fr->r;
}


/* the body as nbufs memory buffers, each a copy of its own (ASan sees ends) */

static inline void
fuzz_request_body(fuzz_request_t *fr, const u_char *data, size_t len,
    ngx_uint_t nbufs)
{
    size_t        part, n;
    ngx_uint_t    i;
    ngx_buf_t    *b;
    ngx_chain_t **ll, *cl;

    fr->r.request_body = &fr->rb;
    ll = &fr->rb.bufs;

    if (nbufs == 0) {
        nbufs = 1;
    }

    part = len / nbufs;

    for (i = 0; i < nbufs; i++) {
        n = (i == nbufs - 1) ? len : part;

        b = ngx_pcalloc(fr->r.pool, sizeof(ngx_buf_t));
        cl = ngx_pcalloc(fr->r.pool, sizeof(ngx_chain_t));
        b->pos = ngx_pnalloc(fr->r.pool, n);
        ngx_memcpy(b->pos, data, n);
        b->last = b->pos + n;
        b->memory = 1;

        cl->buf = b;
        *ll = cl;
        ll = &cl->next;

        data += n;
        len -= n;
    }
}

#endif /* FUZZ_NGX_H */
