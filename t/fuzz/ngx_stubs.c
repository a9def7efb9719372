/*
 * Stand-ins for the few nginx core functions that the module's parsers call.
 *
 * Debian's nginx-dev ships nginx's headers only, not its .c files, so the
 * harnesses cannot link nginx's own ngx_palloc.c / ngx_string.c. These
 * follow nginx 1.22's contracts (same signatures, same results for what
 * the module uses) and are written for finding bugs:
 *
 *   - every pool allocation is its own malloc of exactly the size asked
 *     for, so AddressSanitizer sees an overflow by one byte (nginx's real
 *     pool would hide it inside a 16 KB block);
 *   - ngx_unescape_uri never writes more than it reads, like nginx's;
 *   - anything not written here is linked as a stub that aborts when
 *     called (t/fuzz/link.sh), so a harness that wanders into I/O, events
 *     or libpq fails loudly instead of testing nothing.
 */

#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include "fuzz_ngx.h"


volatile ngx_msec_t  ngx_current_msec;

static ngx_log_t     fuzz_log_data;
ngx_log_t           *fuzz_log = &fuzz_log_data;


/* pools: one malloc per allocation, all freed by fuzz_pool_destroy() */

ngx_pool_t *
fuzz_pool_create(void)
{
    ngx_pool_t  *pool;

    pool = calloc(1, sizeof(ngx_pool_t));
    if (pool == NULL) {
        abort();
    }

    pool->log = fuzz_log;
    pool->current = pool;

    return pool;
}


void
fuzz_pool_destroy(ngx_pool_t *pool)
{
    ngx_pool_large_t    *l, *next;
    ngx_pool_cleanup_t  *c, *cnext;

    for (c = pool->cleanup; c; c = cnext) {
        cnext = c->next;
        if (c->handler) {
            c->handler(c->data);
        }
        free(c);
    }

    for (l = pool->large; l; l = next) {
        next = l->next;
        free(l->alloc);
        free(l);
    }

    free(pool);
}


void *
ngx_palloc(ngx_pool_t *pool, size_t size)
{
    void              *p;
    ngx_pool_large_t  *l;

    /* a huge size is an nginx allocation failure, not a harness abort */
    if (size > ((size_t) 1 << 30)) {
        return NULL;
    }

    p = malloc(size ? size : 1);
    l = malloc(sizeof(ngx_pool_large_t));

    if (p == NULL || l == NULL) {
        abort();
    }

    l->alloc = p;
    l->next = pool->large;
    pool->large = l;

    return p;
}


void *
ngx_pnalloc(ngx_pool_t *pool, size_t size)
{
    return ngx_palloc(pool, size);
}


void *
ngx_pcalloc(ngx_pool_t *pool, size_t size)
{
    void  *p;

    p = ngx_palloc(pool, size);
    if (p) {
        ngx_memzero(p, size);
    }

    return p;
}


ngx_pool_cleanup_t *
ngx_pool_cleanup_add(ngx_pool_t *p, size_t size)
{
    ngx_pool_cleanup_t  *c;

    c = calloc(1, sizeof(ngx_pool_cleanup_t));
    if (c == NULL) {
        abort();
    }

    if (size) {
        c->data = ngx_pcalloc(p, size);     /* freed with the pool */
        if (c->data == NULL) {
            abort();
        }
    }

    c->next = p->cleanup;
    p->cleanup = c;

    return c;
}


void *
ngx_array_push(ngx_array_t *a)
{
    void  *elt, *new;

    if (a->nelts == a->nalloc) {
        new = ngx_palloc(a->pool, 2 * a->size * (a->nalloc ? a->nalloc : 1));
        if (new == NULL) {
            return NULL;
        }

        ngx_memcpy(new, a->elts, a->size * a->nelts);
        a->elts = new;
        a->nalloc = a->nalloc ? 2 * a->nalloc : 1;
    }

    elt = (u_char *) a->elts + a->size * a->nelts;
    a->nelts++;

    return elt;
}


ngx_array_t *
ngx_array_create(ngx_pool_t *p, ngx_uint_t n, size_t size)
{
    ngx_array_t  *a;

    a = ngx_palloc(p, sizeof(ngx_array_t));
    if (a == NULL || ngx_array_init(a, p, n, size) != NGX_OK) {
        return NULL;
    }

    return a;
}


void *
ngx_list_push(ngx_list_t *l)
{
    void             *elt;
    ngx_list_part_t  *last;

    last = l->last;

    if (last->nelts == l->nalloc) {
        last = ngx_palloc(l->pool, sizeof(ngx_list_part_t));
        if (last == NULL) {
            return NULL;
        }

        last->elts = ngx_palloc(l->pool, l->nalloc * l->size);
        if (last->elts == NULL) {
            return NULL;
        }

        last->nelts = 0;
        last->next = NULL;
        l->last->next = last;
        l->last = last;
    }

    elt = (char *) last->elts + l->size * last->nelts;
    last->nelts++;

    return elt;
}


/* strings */

ngx_int_t
ngx_atoi(u_char *line, size_t n)
{
    ngx_int_t  value, cutoff, cutlim;

    if (n == 0) {
        return NGX_ERROR;
    }

    cutoff = NGX_MAX_INT_T_VALUE / 10;
    cutlim = NGX_MAX_INT_T_VALUE % 10;

    for (value = 0; n--; line++) {
        if (*line < '0' || *line > '9') {
            return NGX_ERROR;
        }

        if (value >= cutoff && (value > cutoff || *line - '0' > cutlim)) {
            return NGX_ERROR;
        }

        value = value * 10 + (*line - '0');
    }

    return value;
}


ngx_int_t
ngx_strncasecmp(u_char *s1, u_char *s2, size_t n)
{
    ngx_uint_t  c1, c2;

    while (n) {
        c1 = (ngx_uint_t) *s1++;
        c2 = (ngx_uint_t) *s2++;

        c1 = (c1 >= 'A' && c1 <= 'Z') ? (c1 | 0x20) : c1;
        c2 = (c2 >= 'A' && c2 <= 'Z') ? (c2 | 0x20) : c2;

        if (c1 == c2) {
            if (c1) {
                n--;
                continue;
            }
            return 0;
        }

        return c1 - c2;
    }

    return 0;
}


/* s1 in [s1, last); s2 is n + 1 bytes long (n is its length minus one) */

u_char *
ngx_strlcasestrn(u_char *s1, u_char *last, u_char *s2, size_t n)
{
    ngx_uint_t  c1, c2;

    c2 = (ngx_uint_t) *s2++;
    c2 = (c2 >= 'A' && c2 <= 'Z') ? (c2 | 0x20) : c2;
    last -= n;

    do {
        do {
            if (s1 >= last) {
                return NULL;
            }

            c1 = (ngx_uint_t) *s1++;
            c1 = (c1 >= 'A' && c1 <= 'Z') ? (c1 | 0x20) : c1;

        } while (c1 != c2);

    } while (ngx_strncasecmp(s1, s2, n) != 0);

    return --s1;
}


u_char *
ngx_hex_dump(u_char *dst, u_char *src, size_t len)
{
    static u_char  hex[] = "0123456789abcdef";

    while (len--) {
        *dst++ = hex[*src >> 4];
        *dst++ = hex[*src++ & 0xf];
    }

    return dst;
}


static ngx_int_t
fuzz_hex(u_char c)
{
    if (c >= '0' && c <= '9') {
        return c - '0';
    }

    c |= 0x20;

    if (c >= 'a' && c <= 'f') {
        return c - 'a' + 10;
    }

    return -1;
}


/*
 * nginx's semantics for the module's use (type 0): "%XX" decodes to one
 * byte; "%" followed by a non-hex character drops the "%"; "%X" followed
 * by a non-hex character drops both; a "%" or "%X" at the end is dropped.
 * URI/REDIRECT types stop at '?' as nginx does.
 */

void
ngx_unescape_uri(u_char **dst, u_char **src, size_t size, ngx_uint_t type)
{
    u_char     *d, *s, ch;
    ngx_int_t   h1, h2;

    d = *dst;
    s = *src;

    while (size) {
        ch = *s++;
        size--;

        if (ch == '?' && (type & (NGX_UNESCAPE_URI|NGX_UNESCAPE_REDIRECT))) {
            *d++ = ch;
            break;
        }

        if (ch != '%') {
            *d++ = ch;
            continue;
        }

        if (size == 0) {
            break;
        }

        ch = *s++;
        size--;
        h1 = fuzz_hex(ch);

        if (h1 < 0) {
            *d++ = ch;
            continue;
        }

        if (size == 0) {
            break;
        }

        ch = *s++;
        size--;
        h2 = fuzz_hex(ch);

        if (h2 < 0) {
            continue;
        }

        ch = (u_char) ((h1 << 4) + h2);

        if (type & NGX_UNESCAPE_URI) {
            if (ch == '?') {
                *d++ = ch;
                break;
            }
        }

        *d++ = ch;
    }

    *dst = d;
    *src = s;
}


uintptr_t
ngx_escape_json(u_char *dst, u_char *src, size_t size)
{
    u_char      ch;
    ngx_uint_t  len;

    static u_char  hex[] = "0123456789abcdef";

    if (dst == NULL) {
        len = 0;

        while (size) {
            ch = *src++;

            if (ch == '\\' || ch == '"') {
                len++;

            } else if (ch <= 0x1f) {
                switch (ch) {
                case '\n': case '\r': case '\t': case '\b': case '\f':
                    len++;
                    break;
                default:
                    len += sizeof("\\u001F") - 2;
                }
            }

            size--;
        }

        return (uintptr_t) len;
    }

    while (size) {
        ch = *src++;

        if (ch > 0x1f) {
            if (ch == '\\' || ch == '"') {
                *dst++ = '\\';
            }
            *dst++ = ch;

        } else {
            *dst++ = '\\';

            switch (ch) {
            case '\n': *dst++ = 'n'; break;
            case '\r': *dst++ = 'r'; break;
            case '\t': *dst++ = 't'; break;
            case '\b': *dst++ = 'b'; break;
            case '\f': *dst++ = 'f'; break;
            default:
                *dst++ = 'u'; *dst++ = '0'; *dst++ = '0';
                *dst++ = '0' + (ch >> 4);
                *dst++ = hex[ch & 0xf];
            }
        }

        size--;
    }

    return (uintptr_t) dst;
}


/*
 * ngx_vslprintf for the conversions the module uses: %V %s %*s %d %i %ui
 * %uD %D %l %ul %O %z %uz %p %c %Z %N %%, with optional 0-padding and
 * width. An unknown conversion is copied as nginx does.
 */

static u_char *
fuzz_num(u_char *buf, u_char *last, uint64_t ui64, u_char zero,
    ngx_uint_t hex, ngx_uint_t width)
{
    u_char      tmp[NGX_INT64_LEN + 1], *p;
    size_t      len;

    static u_char  hexd[] = "0123456789abcdef";

    p = tmp + NGX_INT64_LEN;

    do {
        *--p = hex ? hexd[ui64 & 0xf] : (u_char) (ui64 % 10 + '0');
        ui64 = hex ? ui64 >> 4 : ui64 / 10;
    } while (ui64);

    len = (tmp + NGX_INT64_LEN) - p;

    while (len < width++ && buf < last) {
        *buf++ = zero;
    }

    if ((size_t) (last - buf) < len) {
        len = last - buf;
    }

    return ngx_cpymem(buf, p, len);
}


u_char *
ngx_vslprintf(u_char *buf, u_char *last, const char *fmt, va_list args)
{
    u_char      *p, zero;
    size_t       len, slen;
    int64_t      i64;
    uint64_t     ui64;
    ngx_str_t   *v;
    ngx_uint_t   width, sign, hex;

    while (*fmt && buf < last) {

        if (*fmt != '%') {
            *buf++ = *fmt++;
            continue;
        }

        i64 = 0;
        ui64 = 0;
        zero = (u_char) ((*++fmt == '0') ? '0' : ' ');
        width = 0;
        sign = 1;
        hex = 0;
        slen = (size_t) -1;

        while (*fmt >= '0' && *fmt <= '9') {
            width = width * 10 + (*fmt++ - '0');
        }

        for ( ;; ) {
            switch (*fmt) {
            case 'u':
                sign = 0;
                fmt++;
                continue;
            case 'x':
                hex = 1;
                sign = 0;
                fmt++;
                continue;
            case '*':
                slen = va_arg(args, size_t);
                fmt++;
                continue;
            default:
                break;
            }
            break;
        }

        switch (*fmt) {

        case 'V':
            v = va_arg(args, ngx_str_t *);
            len = ngx_min((size_t) (last - buf), v->len);
            buf = ngx_cpymem(buf, v->data, len);
            fmt++;
            continue;

        case 's':
            p = va_arg(args, u_char *);
            if (slen == (size_t) -1) {
                slen = ngx_strlen(p);
            }
            len = ngx_min((size_t) (last - buf), slen);
            buf = ngx_cpymem(buf, p, len);
            fmt++;
            continue;

        case 'O':
            i64 = (int64_t) va_arg(args, off_t);
            sign = 1;
            break;

        case 'T':
            i64 = (int64_t) va_arg(args, time_t);
            sign = 1;
            break;

        case 'M':
            ui64 = (uint64_t) va_arg(args, ngx_msec_t);
            sign = 0;
            break;

        case 'z':
            if (sign) {
                i64 = (int64_t) va_arg(args, ssize_t);
            } else {
                ui64 = (uint64_t) va_arg(args, size_t);
            }
            break;

        case 'i':
            if (sign) {
                i64 = (int64_t) va_arg(args, ngx_int_t);
            } else {
                ui64 = (uint64_t) va_arg(args, ngx_uint_t);
            }
            break;

        case 'd':
            if (sign) {
                i64 = (int64_t) va_arg(args, int);
            } else {
                ui64 = (uint64_t) va_arg(args, u_int);
            }
            break;

        case 'l':
            if (sign) {
                i64 = (int64_t) va_arg(args, long);
            } else {
                ui64 = (uint64_t) va_arg(args, u_long);
            }
            break;

        case 'D':
            if (sign) {
                i64 = (int64_t) va_arg(args, int32_t);
            } else {
                ui64 = (uint64_t) va_arg(args, uint32_t);
            }
            break;

        case 'L':
            if (sign) {
                i64 = va_arg(args, int64_t);
            } else {
                ui64 = va_arg(args, uint64_t);
            }
            break;

        case 'p':
            ui64 = (uintptr_t) va_arg(args, void *);
            hex = 1;
            sign = 0;
            zero = '0';
            width = 2 * sizeof(void *);
            break;

        case 'c':
            *buf++ = (u_char) (va_arg(args, int) & 0xff);
            fmt++;
            continue;

        case 'Z':
            *buf++ = '\0';
            fmt++;
            continue;

        case 'N':
            *buf++ = LF;
            fmt++;
            continue;

        case '%':
            *buf++ = '%';
            fmt++;
            continue;

        default:
            *buf++ = *fmt++;
            continue;
        }

        if (sign) {
            if (i64 < 0) {
                *buf++ = '-';
                ui64 = (uint64_t) -(i64 + 1) + 1;
            } else {
                ui64 = (uint64_t) i64;
            }
        }

        buf = fuzz_num(buf, last, ui64, zero, hex, width);
        fmt++;
    }

    return buf;
}


u_char * ngx_cdecl
ngx_sprintf(u_char *buf, const char *fmt, ...)
{
    u_char   *p;
    va_list   args;

    va_start(args, fmt);
    p = ngx_vslprintf(buf, (void *) -1, fmt, args);
    va_end(args);

    return p;
}


u_char * ngx_cdecl
ngx_snprintf(u_char *buf, size_t max, const char *fmt, ...)
{
    u_char   *p;
    va_list   args;

    va_start(args, fmt);
    p = ngx_vslprintf(buf, buf + max, fmt, args);
    va_end(args);

    return p;
}


u_char * ngx_cdecl
ngx_slprintf(u_char *buf, u_char *last, const char *fmt, ...)
{
    u_char   *p;
    va_list   args;

    va_start(args, fmt);
    p = ngx_vslprintf(buf, last, fmt, args);
    va_end(args);

    return p;
}


/* logs: formatted (so bad arguments are caught) into a buffer, not kept */

void ngx_cdecl
ngx_log_error_core(ngx_uint_t level, ngx_log_t *log, ngx_err_t err,
    const char *fmt, ...)
{
    u_char   buf[NGX_MAX_ERROR_STR];
    va_list  args;

    va_start(args, fmt);
    (void) ngx_vslprintf(buf, buf + sizeof(buf), fmt, args);
    va_end(args);
}


void ngx_cdecl
ngx_conf_log_error(ngx_uint_t level, ngx_conf_t *cf, ngx_err_t err,
    const char *fmt, ...)
{
    u_char   buf[NGX_MAX_ERROR_STR], *p;
    va_list  args;

    va_start(args, fmt);
    p = ngx_vslprintf(buf, buf + sizeof(buf) - 1, fmt, args);
    va_end(args);

    fprintf(stderr, "fuzz: configuration: %.*s\n", (int) (p - buf), buf);
}
