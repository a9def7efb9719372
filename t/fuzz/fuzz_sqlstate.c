/*
 * Target "sqlstate": the SQLSTATE -> HTTP status mapping of
 * ngx_smscamp_module/ngx_smscamp_response.c (included, not copied), which
 * reads the SQLSTATE field of an error that PostgreSQL sent: our own
 * functions raise "SCnnn" to pick the status, anything else maps to a
 * fixed detail.
 *
 * Input: the SQLSTATE text (PostgreSQL sends five characters; any string
 * is tried).
 */

#include "../../ngx_smscamp_module/ngx_smscamp_response.c"

#include "fuzz_ngx.h"

#include <string.h>


int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char        *state;
    ngx_uint_t   status;
    const char  *detail;

    /* a NUL-terminated string of its own, as libpq hands it out */
    state = malloc(size + 1);
    memcpy(state, data, size);
    state[size] = '\0';

    detail = "unset";
    status = ngx_smscamp_status_of_sqlstate(state, &detail);

    FUZZ_CHECK(status >= 400 && status <= 599);

    if (detail == NULL) {
        /* the body of one of our own errors: only SC400..SC599 */
        FUZZ_CHECK(strncmp(state, "SC", 2) == 0);
        FUZZ_CHECK(strlen(state) >= 5);
        FUZZ_CHECK((ngx_uint_t) ((state[2] - '0') * 100 + (state[3] - '0') * 10
                                 + (state[4] - '0')) == status);
    } else {
        FUZZ_CHECK(strlen(detail) > 0);
    }

    free(state);

    return 0;
}
