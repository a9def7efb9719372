/*
 * The backend symbols that pg_extension/sms.c, phone.c and the writer's files use outside
 * PostgreSQL's libpgcommon, which the harnesses link for StringInfo,
 * psprintf, pg_utf_mblen, utf8_to_unicode and the UTF-8 verifier (the
 * server's own code, built for frontends).
 *
 * palloc and friends are malloc'd blocks, each exactly the size asked for
 * (so AddressSanitizer sees an overflow by one byte), kept on one list that
 * fuzz_pg_reset() frees after each input, as the end of a query frees its
 * memory context; more than MaxAllocSize is an ERROR, as in the server.
 * ereport(ERROR) longjmps back to the harness; anything else a harness
 * reaches is a stub that aborts (t/fuzz/link.sh).
 */

#include "postgres.h"

#include <setjmp.h>
#include <sys/mman.h>
#include <unistd.h>
#include <stdio.h>
#include <stdlib.h>

#include "fmgr.h"
#include "nodes/pg_list.h"
#include "utils/builtins.h"
#include "utils/json.h"
#include "utils/memutils.h"

#include "pg_stubs.h"

/* the GUCs of smscamp.c that sms.c and phone.c read */
char	   *smscamp_default_country = NULL;
double		smscamp_price_per_segment = 0.0075;

sigjmp_buf *fuzz_pg_error_jmp = NULL;

/* the memory context: every live palloc'd block */
typedef struct FuzzChunk
{
	struct FuzzChunk *prev;
	struct FuzzChunk *next;
	size_t		size;
	size_t		pad;			/* keeps the user part 16-byte aligned */
} FuzzChunk;

static FuzzChunk fuzz_chunks = {&fuzz_chunks, &fuzz_chunks, 0, 0};

void *
palloc_extended(Size size, int flags)
{
	FuzzChunk  *c;

	if (!((flags & MCXT_ALLOC_HUGE) ? AllocHugeSizeIsValid(size) : AllocSizeIsValid(size)))
		elog(ERROR, "invalid memory alloc request size %zu", size);

	c = malloc(sizeof(FuzzChunk) + size);
	if (c == NULL)
		abort();
	c->size = size;
	c->prev = &fuzz_chunks;
	c->next = fuzz_chunks.next;
	c->next->prev = c;
	fuzz_chunks.next = c;
	if (flags & MCXT_ALLOC_ZERO)
		memset(c + 1, 0, size);
	return c + 1;
}

void *
palloc(Size size)
{
	return palloc_extended(size, 0);
}

void *
palloc0(Size size)
{
	return palloc_extended(size, MCXT_ALLOC_ZERO);
}

void
pfree(void *pointer)
{
	FuzzChunk  *c = (FuzzChunk *) pointer - 1;

	c->prev->next = c->next;
	c->next->prev = c->prev;
	free(c);
}

void *
repalloc(void *pointer, Size size)
{
	FuzzChunk  *c = (FuzzChunk *) pointer - 1;
	void	   *p;

	p = palloc(size);
	memcpy(p, pointer, Min(size, c->size));
	pfree(pointer);
	return p;
}

char *
pstrdup(const char *in)
{
	size_t		len = strlen(in);
	char	   *p = palloc(len + 1);

	memcpy(p, in, len + 1);
	return p;
}

char *
pnstrdup(const char *in, Size size)
{
	size_t		len = strnlen(in, size);
	char	   *p = palloc(len + 1);

	memcpy(p, in, len);
	p[len] = '\0';
	return p;
}

/* the end of a query: its memory goes */
void
fuzz_pg_reset(void)
{
	while (fuzz_chunks.next != &fuzz_chunks)
		pfree(fuzz_chunks.next + 1);
}
static int	fuzz_pg_elevel;

bool
errstart(int elevel, const char *domain)
{
	fuzz_pg_elevel = elevel;
	return elevel >= ERROR;		/* NOTICE and below: not even formatted */
}

bool
errstart_cold(int elevel, const char *domain)
{
	return errstart(elevel, domain);
}

void
errfinish(const char *filename, int lineno, const char *funcname)
{
	if (fuzz_pg_elevel < ERROR)
		return;
	if (fuzz_pg_error_jmp == NULL)
	{
		fprintf(stderr, "fuzz: ereport(ERROR) outside a harness at %s:%d\n",
				filename, lineno);
		abort();
	}
	if (fuzz_pg_elevel > ERROR)
	{
		fprintf(stderr, "fuzz: ereport(FATAL/PANIC) at %s:%d\n", filename, lineno);
		abort();
	}
	siglongjmp(*fuzz_pg_error_jmp, 1);
}

int
errcode(int sqlerrcode)
{
	return 0;
}

int
errmsg(const char *fmt,...)
{
	return 0;
}

int
errmsg_internal(const char *fmt,...)
{
	return 0;
}

int
errdetail(const char *fmt,...)
{
	return 0;
}

int
errhint(const char *fmt,...)
{
	return 0;
}

/* varlena.c: a plain (4-byte header) text */
text *
cstring_to_text(const char *s)
{
	return cstring_to_text_with_len(s, strlen(s));
}

text *
cstring_to_text_with_len(const char *s, int len)
{
	text	   *t = palloc(len + VARHDRSZ);

	SET_VARSIZE(t, len + VARHDRSZ);
	memcpy(VARDATA(t), s, len);
	return t;
}

char *
text_to_cstring(const text *t)
{
	int			len = VARSIZE_ANY_EXHDR(t);
	char	   *p = palloc(len + 1);

	memcpy(p, VARDATA_ANY(t), len);
	p[len] = '\0';
	return p;
}

/* fmgr.c: the harnesses pass plain, untoasted texts */
struct varlena *
pg_detoast_datum_packed(struct varlena *datum)
{
	if (VARATT_IS_EXTENDED(datum))
	{
		fprintf(stderr, "fuzz: a toasted datum reached pg_detoast_datum_packed\n");
		abort();
	}
	return datum;
}

/* lappend (nodes/list.c): a List as PostgreSQL 15 lays it out */
List *
lappend(List *list, void *datum)
{
	if (list == NIL)
	{
		list = palloc(offsetof(List, initial_elements) + 4 * sizeof(ListCell));
		list->type = T_List;
		list->length = 0;
		list->max_length = 4;
		list->elements = list->initial_elements;
	}
	else if (list->length == list->max_length)
	{
		ListCell   *more = palloc(list->max_length * 2 * sizeof(ListCell));

		memcpy(more, list->elements, list->length * sizeof(ListCell));
		list->elements = more;
		list->max_length *= 2;
	}
	list->elements[list->length++].ptr_value = datum;
	return list;
}

/* escape_json (utils/adt/json.c): a JSON string literal of str */
void
escape_json(StringInfo buf, const char *str)
{
	const char *p;

	appendStringInfoCharMacro(buf, '"');
	for (p = str; *p; p++)
	{
		switch (*p)
		{
			case '\b':
				appendStringInfoString(buf, "\\b");
				break;
			case '\f':
				appendStringInfoString(buf, "\\f");
				break;
			case '\n':
				appendStringInfoString(buf, "\\n");
				break;
			case '\r':
				appendStringInfoString(buf, "\\r");
				break;
			case '\t':
				appendStringInfoString(buf, "\\t");
				break;
			case '"':
				appendStringInfoString(buf, "\\\"");
				break;
			case '\\':
				appendStringInfoString(buf, "\\\\");
				break;
			default:
				if ((unsigned char) *p < ' ')
					appendStringInfo(buf, "\\u%04x", (int) *p);
				else
					appendStringInfoCharMacro(buf, *p);
				break;
		}
	}
	appendStringInfoCharMacro(buf, '"');
}

/* call a V1 function with one argument, as the executor would */
Datum
fuzz_call1(PGFunction fn, Datum arg, bool *isnull)
{
	LOCAL_FCINFO(fcinfo, 1);

	InitFunctionCallInfoData(*fcinfo, NULL, 1, InvalidOid, NULL, NULL);
	fcinfo->args[0].value = arg;
	fcinfo->args[0].isnull = false;
	{
		Datum		result = fn(fcinfo);

		*isnull = fcinfo->isnull;
		return result;
	}
}

/*
 * A copy of the input that ends right where an unreadable page starts: a
 * read past its end faults at once, even from PostgreSQL's libpgcommon,
 * which AddressSanitizer does not instrument.
 */
char *
fuzz_guarded_copy(const uint8_t *data, size_t size, void **map, size_t *maplen)
{
	size_t		page = (size_t) sysconf(_SC_PAGESIZE);
	size_t		span = (size + page - 1) / page * page;
	char	   *base;

	*maplen = span + page;
	base = mmap(NULL, *maplen, PROT_READ | PROT_WRITE,
				MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (base == MAP_FAILED || mprotect(base + span, page, PROT_NONE) != 0)
		abort();
	*map = base;
	memcpy(base + span - size, data, size);
	return base + span - size;
}
