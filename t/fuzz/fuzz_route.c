/*
 * Target "route": a request line, a Content-Type and a body go through the
 * module's route matching (ngx_smscamp_find_route / ngx_smscamp_match, with
 * the routes of ngx_smscamp_module/routes.conf loaded by the module's own
 * smscamp_route directive handler) and, when a route matches, through
 * ngx_smscamp_bind: captures, the query string as JSON, Content-Type, the
 * body read, UTF-8 checked and JSON checked.
 *
 * Input: "METHOD URI[?ARGS]\nName: value\n...\n\nBODY", like HTTP/1.1 with
 * "\n" for CRLF (missing parts are empty; Content-Type and Host also fill
 * headers_in.content_type / host / server, as nginx does). The first byte
 * of BODY, if it is 0x01..0x04, is the number of buffers it arrives in.
 *
 * The module's .c file is included, not copied: its static functions are
 * what is tested, whatever their current text.
 */

#include "../../ngx_smscamp_module/ngx_smscamp_module.c"

#include "fuzz_ngx.h"

#include <jansson.h>
#include <string.h>

#ifndef FUZZ_ROUTES_CONF
#define FUZZ_ROUTES_CONF "ngx_smscamp_module/routes.conf"
#endif


static ngx_smscamp_main_conf_t  *fuzz_smcf;
static void                     *fuzz_main_conf[64];


static ngx_command_t *
fuzz_command(ngx_str_t *name)
{
    ngx_command_t  *cmd;

    for (cmd = ngx_smscamp_commands; cmd->name.len; cmd++) {
        if (cmd->name.len == name->len
            && ngx_strncmp(cmd->name.data, name->data, name->len) == 0)
        {
            return cmd;
        }
    }

    return NULL;
}


/* routes.conf through the module's directive handler, one statement a time */

static void
fuzz_load_routes(const char *path)
{
    int            ch, in_comment;
    FILE          *f;
    char          *rv;
    u_char         word[1024];
    size_t         wlen;
    ngx_str_t     *arg;
    ngx_pool_t    *pool;
    ngx_conf_t     cf;
    ngx_uint_t     nroutes;
    ngx_command_t *cmd;

    f = fopen(path, "r");
    if (f == NULL) {
        fprintf(stderr, "fuzz: cannot open %s (set SMSCAMP_ROUTES_CONF)\n",
                path);
        exit(1);
    }

    pool = fuzz_pool_create();              /* kept for the whole run */

    ngx_memzero(&cf, sizeof(ngx_conf_t));
    cf.pool = pool;
    cf.temp_pool = pool;
    cf.log = fuzz_log;
    cf.args = ngx_array_create(pool, 16, sizeof(ngx_str_t));

    fuzz_smcf = ngx_smscamp_module_ctx.create_main_conf(&cf);
    if (fuzz_smcf == NULL) {
        abort();
    }

    wlen = 0;
    in_comment = 0;
    nroutes = 0;

    for ( ;; ) {
        ch = fgetc(f);

        if (in_comment) {
            in_comment = (ch != '\n' && ch != EOF);
            continue;
        }

        if (ch == '#' && wlen == 0) {
            in_comment = 1;
            continue;
        }

        if (ch == EOF || ch == ' ' || ch == '\t' || ch == '\n' || ch == '\r'
            || ch == ';')
        {
            if (wlen) {
                arg = ngx_array_push(cf.args);
                arg->len = wlen;
                arg->data = ngx_pnalloc(pool, wlen + 1);
                ngx_memcpy(arg->data, word, wlen);
                arg->data[wlen] = '\0';      /* nginx's tokens end in NUL */
                wlen = 0;
            }

            if (ch == ';' && cf.args->nelts) {
                arg = cf.args->elts;
                cmd = fuzz_command(&arg[0]);

                if (cmd == NULL || cmd->set != ngx_smscamp_route) {
                    fprintf(stderr, "fuzz: %s: skipping \"%.*s\"\n", path,
                            (int) arg[0].len, arg[0].data);

                } else {
                    rv = cmd->set(&cf, cmd, fuzz_smcf);
                    if (rv != NGX_CONF_OK) {
                        fprintf(stderr, "fuzz: %s: the module rejected a "
                                "route\n", path);
                        exit(1);
                    }
                    nroutes++;
                }

                cf.args->nelts = 0;
            }

            if (ch == EOF) {
                break;
            }

            continue;
        }

        if (wlen < sizeof(word)) {
            word[wlen++] = (u_char) ch;
        }
    }

    fclose(f);

    /*
     * Not init_main_conf: it sets up what matching and binding do not use
     * (timeouts, rate limit zones in shared memory, the key lookup).
     */
    if (nroutes == 0) {
        fprintf(stderr, "fuzz: no routes from %s\n", path);
        exit(1);
    }

    ngx_smscamp_module.ctx_index = 0;
    fuzz_main_conf[0] = fuzz_smcf;
}


int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
    const char  *path;

    path = getenv("SMSCAMP_ROUTES_CONF");
    fuzz_load_routes(path ? path : FUZZ_ROUTES_CONF);

    return 0;
}


static const u_char *
fuzz_line(const u_char **p, const u_char *end, size_t *len)
{
    const u_char  *start, *nl;

    start = *p;
    nl = memchr(start, '\n', end - start);

    if (nl == NULL) {
        *len = end - start;
        *p = end;

    } else {
        *len = nl - start;
        *p = nl + 1;
    }

    return start;
}


/* copy into a buffer of its own so that ASan sees reads past its end */

static u_char *
fuzz_dup(ngx_pool_t *pool, const u_char *s, size_t len)
{
    u_char  *p;

    p = ngx_pnalloc(pool, len);
    ngx_memcpy(p, s, len);

    return p;
}


/* the pattern with the captures put back in must give the URI again */

static void
fuzz_check_match(ngx_smscamp_route_t *rt, ngx_str_t *uri, ngx_str_t *caps)
{
    u_char                 *p, *end;
    ngx_uint_t              i, n;
    ngx_smscamp_segment_t  *seg;

    p = uri->data;
    end = uri->data + uri->len;

    if (uri->len > 1 && end[-1] == '/') {
        end--;
    }

    seg = rt->segments.elts;
    n = 0;

    for (i = 0; i < rt->segments.nelts; i++) {
        FUZZ_CHECK(p < end && *p == '/');
        p++;

        if (seg[i].capture) {
            FUZZ_CHECK(n < rt->ncaptures);
            FUZZ_CHECK(caps[n].len > 0 && caps[n].data == p);
            FUZZ_CHECK(memchr(caps[n].data, '/', caps[n].len) == NULL);
            FUZZ_CHECK((size_t) (end - p) >= caps[n].len);
            p += caps[n].len;
            n++;

        } else {
            FUZZ_CHECK((size_t) (end - p) >= seg[i].text.len);
            FUZZ_CHECK(memcmp(p, seg[i].text.data, seg[i].text.len) == 0);
            p += seg[i].text.len;
        }
    }

    FUZZ_CHECK(n == rt->ncaptures);
    FUZZ_CHECK(p == end);
}


static void
fuzz_check_bound(ngx_smscamp_ctx_t *ctx)
{
    json_t             *doc;
    ngx_uint_t          i;
    ngx_smscamp_arg_t  *arg;

    arg = ctx->route->args.elts;

    for (i = 0; i < ctx->route->args.nelts; i++) {
        if (ctx->values[i] == NULL) {
            FUZZ_CHECK(arg[i].kind != NGX_SMSCAMP_ARG_CAPTURE
                       && arg[i].kind != NGX_SMSCAMP_ARG_ARGS);
            continue;
        }

        FUZZ_CHECK(ngx_smscamp_utf8_valid((u_char *) ctx->values[i],
                                          strlen(ctx->values[i]))
                   == NGX_OK);

        switch (arg[i].kind) {

        case NGX_SMSCAMP_ARG_CAPTURE:
            FUZZ_CHECK(strlen(ctx->values[i])
                       == ctx->captures[arg[i].capture].len);
            break;

        case NGX_SMSCAMP_ARG_ARGS:
            doc = json_loads(ctx->values[i], 0, NULL);
            FUZZ_CHECK(doc != NULL && json_is_object(doc));
            json_decref(doc);
            break;

        case NGX_SMSCAMP_ARG_JSON:
            /* as the module checks it: any JSON value, big integers too */
            doc = json_loads(ctx->values[i],
                             JSON_DECODE_ANY | JSON_DECODE_INT_AS_REAL, NULL);
            FUZZ_CHECK(doc != NULL);
            json_decref(doc);
            break;

        default:
            break;
        }
    }
}


int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    u_char               *sp, *q;
    size_t                len;
    ngx_str_t             allow, *captures, uri;
    ngx_uint_t            status, nbufs;
    const char           *detail;
    const u_char         *p, *end, *line, *colon;
    ngx_table_elt_t      *h;
    ngx_pool_t           *pool;
    fuzz_request_t        fr;
    ngx_http_request_t   *r;
    ngx_smscamp_ctx_t    *ctx;
    ngx_smscamp_route_t  *rt;

    pool = fuzz_pool_create();
    r = fuzz_request_init(&fr, pool);
    r->main_conf = fuzz_main_conf;

    p = data;
    end = data + size;

    /* request line: METHOD SP URI [? ARGS] */

    line = fuzz_line(&p, end, &len);
    sp = memchr(line, ' ', len);

    r->request_line.data = fuzz_dup(pool, line, len);
    r->request_line.len = len;
    r->http_version = NGX_HTTP_VERSION_11;
    r->http_protocol.data = NULL;

    if (sp == NULL) {
        ngx_str_set(&r->method_name, "GET");
        r->uri.data = fuzz_dup(pool, line, len);
        r->uri.len = len;

    } else {
        r->method_name.data = fuzz_dup(pool, line, sp - line);
        r->method_name.len = sp - line;
        r->uri.data = fuzz_dup(pool, sp + 1, len - (sp + 1 - line));
        r->uri.len = len - (sp + 1 - line);
    }

    r->unparsed_uri = r->uri;
    q = memchr(r->uri.data, '?', r->uri.len);
    if (q) {
        r->args.data = fuzz_dup(pool, q + 1, r->uri.len - (q + 1 - r->uri.data));
        r->args.len = r->uri.len - (q + 1 - r->uri.data);
        r->uri.len = q - r->uri.data;
    }

    r->method = NGX_HTTP_UNKNOWN;
#define FUZZ_METHOD(m, name)                                                  \
    if (r->method_name.len == sizeof(name) - 1                                \
        && ngx_strncmp(r->method_name.data, name, sizeof(name) - 1) == 0)     \
    {                                                                         \
        r->method = m;                                                        \
    }
    FUZZ_METHOD(NGX_HTTP_GET, "GET")
    FUZZ_METHOD(NGX_HTTP_HEAD, "HEAD")
    FUZZ_METHOD(NGX_HTTP_POST, "POST")
    FUZZ_METHOD(NGX_HTTP_PUT, "PUT")
    FUZZ_METHOD(NGX_HTTP_DELETE, "DELETE")
    FUZZ_METHOD(NGX_HTTP_PATCH, "PATCH")
    FUZZ_METHOD(NGX_HTTP_OPTIONS, "OPTIONS")

    /* headers, up to an empty line */

    if (ngx_list_init(&r->headers_in.headers, pool, 2, sizeof(ngx_table_elt_t))
        != NGX_OK)
    {
        abort();
    }

    while (p < end) {
        line = fuzz_line(&p, end, &len);
        if (len == 0) {
            break;
        }

        colon = memchr(line, ':', len);
        if (colon == NULL) {
            continue;                   /* nginx answers 400 to that */
        }

        h = ngx_list_push(&r->headers_in.headers);
        h->hash = 1;
        h->key.len = colon - line;
        h->key.data = fuzz_dup(pool, line, h->key.len);
        h->lowcase_key = h->key.data;

        colon++;
        while (colon < line + len && *colon == ' ') {
            colon++;
        }
        h->value.len = line + len - colon;
        h->value.data = fuzz_dup(pool, colon, h->value.len);

        if (h->key.len == 12
            && ngx_strncasecmp(h->key.data, (u_char *) "Content-Type", 12) == 0)
        {
            r->headers_in.content_type = h;

        } else if (h->key.len == 4
                   && ngx_strncasecmp(h->key.data, (u_char *) "Host", 4) == 0)
        {
            r->headers_in.host = h;
            r->headers_in.server = h->value;
        }
    }

    /* body */

    nbufs = 1;
    if (p < end && *p >= 1 && *p <= 4) {
        nbufs = *p++;
    }

    if (p < end) {
        fuzz_request_body(&fr, p, end - p, nbufs);
    }

    /* route matching, as ngx_smscamp_handler does it */

    captures = ngx_palloc(pool, 16 * sizeof(ngx_str_t));
    rt = ngx_smscamp_find_route(r, captures, &allow);

    FUZZ_CHECK(allow.len <= 128);

    if (rt == NULL) {
        goto done;
    }

    FUZZ_CHECK(rt >= (ngx_smscamp_route_t *) fuzz_smcf->routes.elts
               && rt < (ngx_smscamp_route_t *) fuzz_smcf->routes.elts
                       + fuzz_smcf->routes.nelts);

    if (r->method == NGX_HTTP_HEAD) {
        FUZZ_CHECK(rt->method.len == 3
                   && ngx_strncmp(rt->method.data, "GET", 3) == 0);
    } else {
        FUZZ_CHECK(rt->method.len == r->method_name.len
                   && ngx_strncmp(rt->method.data, r->method_name.data,
                                  rt->method.len) == 0);
    }

    uri = r->uri;
    fuzz_check_match(rt, &uri, captures);

    /* the parameters, as ngx_smscamp_body_handler binds them */

    ctx = ngx_pcalloc(pool, sizeof(ngx_smscamp_ctx_t));
    ctx->request = r;
    ctx->route = rt;
    ctx->captures = captures;

    detail = NULL;
    status = ngx_smscamp_bind(ctx, &detail);

    if (status == NGX_OK) {
        fuzz_check_bound(ctx);

    } else {
        FUZZ_CHECK(status >= 400 && status <= 599);
        FUZZ_CHECK(detail != NULL && strlen(detail) < 256);
    }

done:

    fuzz_pool_destroy(pool);

    return 0;
}
