/*-------------------------------------------------------------------------
 *
 * csv.c
 *	  RFC 4180 CSV parser and its SQL functions.
 *
 * Fields are separated by commas and records by CRLF, LF or a lone CR.  A
 * field in double quotes may hold commas, line breaks and doubled quotes
 * ("").  A UTF-8 byte order mark at the start is skipped, blank lines are
 * skipped, a trailing line break ends the last record.  Lenient where RFC
 * 4180 is strict and the intent is clear: text after a closing quote is
 * kept ("ab"c -> abc), a quote inside an unquoted field is a literal.  An
 * unterminated quoted field is an error naming the line it started on.
 *
 * The input is text in the server encoding; every server encoding is
 * ASCII-safe, so splitting at ',', '"', CR and LF never cuts a character.
 *
 *-------------------------------------------------------------------------
 */
#include "smscamp.h"

#include <string.h>

#include "catalog/pg_type.h"
#include "fmgr.h"
#include "funcapi.h"
#include "lib/stringinfo.h"
#include "miscadmin.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/memutils.h"
#include "utils/tuplestore.h"

PG_FUNCTION_INFO_V1(smscamp_parse_csv);
PG_FUNCTION_INFO_V1(smscamp_csv_header);

typedef struct CsvReader
{
	const char *pos;			/* next byte to read */
	const char *end;			/* end of input */
	int			line;			/* physical line of pos, from 1 */
	StringInfoData field;		/* the field being read */
	Datum	   *fields;			/* text datums of the current record */
	int			nfields;
	int			maxfields;
} CsvReader;

static void
csv_reader_init(CsvReader *r, const char *data, int len)
{
	r->pos = data;
	r->end = data + len;
	r->line = 1;
	if (len >= 3 && memcmp(data, "\xEF\xBB\xBF", 3) == 0)
		r->pos += 3;			/* UTF-8 byte order mark */
	initStringInfo(&r->field);
	r->maxfields = 16;
	r->fields = palloc(sizeof(Datum) * r->maxfields);
	r->nfields = 0;
}

static int
count_newlines(const char *start, const char *end)
{
	int			n = 0;

	while ((start = memchr(start, '\n', end - start)) != NULL)
	{
		n++;
		start++;
	}
	return n;
}

/* Read a quoted field's content; r->pos is at the opening quote. */
static void
csv_read_quoted(CsvReader *r)
{
	int			start_line = r->line;

	r->pos++;
	for (;;)
	{
		const char *quote = memchr(r->pos, '"', r->end - r->pos);

		if (quote == NULL)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_TEXT_REPRESENTATION),
					 errmsg("unterminated quoted field in CSV starting on line %d",
							start_line),
					 errhint("A quoted field must end with a double quote; a double quote inside it is written twice (\"\").")));

		r->line += count_newlines(r->pos, quote);
		appendBinaryStringInfo(&r->field, r->pos, quote - r->pos);
		if (quote + 1 < r->end && quote[1] == '"')
		{
			appendStringInfoChar(&r->field, '"');
			r->pos = quote + 2;
		}
		else
		{
			r->pos = quote + 1;
			return;
		}
	}
}

/*
 * Consume what ends a field.  Returns true when another field of the same
 * record follows (a comma), false at the end of the record.
 */
static bool
csv_read_terminator(CsvReader *r)
{
	if (r->pos >= r->end)
		return false;
	if (*r->pos == ',')
	{
		r->pos++;
		return true;
	}
	if (*r->pos == '\r')
	{
		r->pos++;
		if (r->pos < r->end && *r->pos == '\n')
			r->pos++;
	}
	else
		r->pos++;				/* '\n' */
	r->line++;
	return false;
}

/* Read one field into r->field; *quoted tells whether it was quoted. */
static bool
csv_read_field(CsvReader *r, bool *quoted)
{
	const char *start;

	resetStringInfo(&r->field);
	*quoted = (r->pos < r->end && *r->pos == '"');
	if (*quoted)
		csv_read_quoted(r);

	start = r->pos;
	while (r->pos < r->end && *r->pos != ',' && *r->pos != '\n' && *r->pos != '\r')
		r->pos++;
	appendBinaryStringInfo(&r->field, start, r->pos - start);
	return csv_read_terminator(r);
}

static void
csv_add_field(CsvReader *r, MemoryContext cxt)
{
	MemoryContext old;

	if (r->nfields == r->maxfields)
	{
		if (r->maxfields >= (int) (MaxAllocSize / sizeof(Datum) / 2))
			ereport(ERROR,
					(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
					 errmsg("too many fields in a CSV record")));
		r->maxfields *= 2;
		r->fields = repalloc(r->fields, sizeof(Datum) * r->maxfields);
	}
	old = MemoryContextSwitchTo(cxt);
	r->fields[r->nfields++] =
		PointerGetDatum(cstring_to_text_with_len(r->field.data, r->field.len));
	MemoryContextSwitchTo(old);
}

/*
 * Read the next non-blank record into r->fields (text datums allocated in
 * cxt).  Returns false at the end of the input.
 */
static bool
csv_read_record(CsvReader *r, MemoryContext cxt)
{
	while (r->pos < r->end)
	{
		bool		more;
		bool		quoted;

		r->nfields = 0;
		do
		{
			more = csv_read_field(r, &quoted);
			csv_add_field(r, cxt);
		} while (more);

		if (r->nfields > 1 || quoted || r->field.len > 0)
			return true;
		/* a blank line: skip it */
	}
	return false;
}

static ArrayType *
csv_record_array(CsvReader *r)
{
	return construct_array(r->fields, r->nfields, TEXTOID, -1, false,
						   TYPALIGN_INT);
}

/*
 * smscamp_parse_csv(text) RETURNS TABLE(row_no int, fields text[])
 *
 * Row 0 is the header row, data rows are numbered from 1.
 */
Datum
smscamp_parse_csv(PG_FUNCTION_ARGS)
{
	text	   *input = PG_GETARG_TEXT_PP(0);
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	MemoryContext rowcxt;
	CsvReader	r;
	int			row_no = 0;

	InitMaterializedSRF(fcinfo, 0);
	csv_reader_init(&r, VARDATA_ANY(input), VARSIZE_ANY_EXHDR(input));
	rowcxt = AllocSetContextCreate(CurrentMemoryContext,
								   "smscamp_parse_csv row",
								   ALLOCSET_DEFAULT_SIZES);

	while (csv_read_record(&r, rowcxt))
	{
		Datum		values[2];
		bool		nulls[2] = {false, false};
		MemoryContext old;

		CHECK_FOR_INTERRUPTS();
		old = MemoryContextSwitchTo(rowcxt);
		values[0] = Int32GetDatum(row_no);
		values[1] = PointerGetDatum(csv_record_array(&r));
		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
		MemoryContextSwitchTo(old);
		MemoryContextReset(rowcxt);

		if (row_no == PG_INT32_MAX)
			ereport(ERROR,
					(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
					 errmsg("too many rows in CSV")));
		row_no++;
	}

	MemoryContextDelete(rowcxt);
	return (Datum) 0;
}

/*
 * smscamp_csv_header(text) RETURNS text[]
 *
 * The first record only (what smscamp_parse_csv calls row 0), without
 * parsing the rest; NULL for an input without records.
 */
Datum
smscamp_csv_header(PG_FUNCTION_ARGS)
{
	text	   *input = PG_GETARG_TEXT_PP(0);
	CsvReader	r;

	csv_reader_init(&r, VARDATA_ANY(input), VARSIZE_ANY_EXHDR(input));
	if (!csv_read_record(&r, CurrentMemoryContext))
		PG_RETURN_NULL();
	PG_RETURN_ARRAYTYPE_P(csv_record_array(&r));
}
