/* t/fuzz/pg_stubs.c: what the PostgreSQL-side harnesses share */
#ifndef FUZZ_PG_STUBS_H
#define FUZZ_PG_STUBS_H

#include "postgres.h"

#include <setjmp.h>

#include "fmgr.h"

/* where ereport(ERROR) jumps; NULL: abort */
extern sigjmp_buf *fuzz_pg_error_jmp;

extern void fuzz_pg_reset(void);
extern char *fuzz_guarded_copy(const uint8_t *data, size_t size, void **map,
							   size_t *maplen);
extern Datum fuzz_call1(PGFunction fn, Datum arg, bool *isnull);

int			LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FUZZ_CHECK(cond) \
	do { \
		if (!(cond)) \
		{ \
			fprintf(stderr, "fuzz: property failed at %s:%d: %s\n", \
					__FILE__, __LINE__, #cond); \
			abort(); \
		} \
	} while (0)

#endif
