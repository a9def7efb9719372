/*-------------------------------------------------------------------------
 *
 * sms.c
 *	  SMS segment counting: GSM-7 or UCS-2, segments and cost; and the
 *	  accented letters GSM-7 lacks written without their accents, for names.
 *
 * One character outside the GSM 03.38 alphabet switches the whole message
 * to UCS-2. GSM-7: 160 septets in one segment, 153 per segment when
 * concatenated; an extension character takes two septets and its escape
 * pair is never split. UCS-2: 70 UTF-16 code units, 67 when concatenated;
 * a surrogate pair is never split.
 *
 *-------------------------------------------------------------------------
 */
#include "smscamp.h"
#include "engine.h"

#include "fmgr.h"
#include "lib/stringinfo.h"
#include "mb/pg_wchar.h"
#include "utils/builtins.h"
#include "utils/numeric.h"

PG_FUNCTION_INFO_V1(smscamp_sms_segments);
PG_FUNCTION_INFO_V1(smscamp_sms_encoding);
PG_FUNCTION_INFO_V1(smscamp_sms_cost);

/* GSM 03.38 basic character set, as Unicode code points */
static const pg_wchar gsm_basic[] = {
	'@', 0xA3, '$', 0xA5, 0xE8, 0xE9, 0xF9, 0xEC, 0xF2, 0xC7, '\n', 0xD8,
	0xF8, '\r', 0xC5, 0xE5, 0x394, '_', 0x3A6, 0x393, 0x39B, 0x3A9, 0x3A0,
	0x3A8, 0x3A3, 0x398, 0x39E, 0xC6, 0xE6, 0xDF, 0xC9, ' ', '!', '"', '#',
	0xA4, '%', '&', '\'', '(', ')', '*', '+', ',', '-', '.', '/', '0', '1',
	'2', '3', '4', '5', '6', '7', '8', '9', ':', ';', '<', '=', '>', '?',
	0xA1, 'A', 'B', 'C', 'D', 'E', 'F', 'G', 'H', 'I', 'J', 'K', 'L', 'M',
	'N', 'O', 'P', 'Q', 'R', 'S', 'T', 'U', 'V', 'W', 'X', 'Y', 'Z', 0xC4,
	0xD6, 0xD1, 0xDC, 0xA7, 0xBF, 'a', 'b', 'c', 'd', 'e', 'f', 'g', 'h',
	'i', 'j', 'k', 'l', 'm', 'n', 'o', 'p', 'q', 'r', 's', 't', 'u', 'v',
	'w', 'x', 'y', 'z', 0xE4, 0xF6, 0xF1, 0xFC, 0xE0
};

/* GSM 03.38 extension table: ESC + char, two septets each */
static const pg_wchar gsm_extension[] = {
	'\f', '^', '{', '}', '\\', '[', '~', ']', '|', 0x20AC
};

static bool
wchar_in(pg_wchar c, const pg_wchar *set, int n)
{
	int			i;

	for (i = 0; i < n; i++)
		if (set[i] == c)
			return true;
	return false;
}

/* septets of c in GSM-7 (1 or 2), or 0 when c is not in the alphabet */
static int
gsm_septets(pg_wchar c)
{
	if (wchar_in(c, gsm_basic, lengthof(gsm_basic)))
		return 1;
	if (wchar_in(c, gsm_extension, lengthof(gsm_extension)))
		return 2;
	return 0;
}

/* decode UTF-8 text into code points; returns how many */
static int
decode_text(const char *s, int len, pg_wchar **out)
{
	pg_wchar   *w = palloc((len + 1) * sizeof(pg_wchar));
	const unsigned char *p = (const unsigned char *) s;
	const unsigned char *end = p + len;
	int			n = 0;

	while (p < end)
	{
		int			l = pg_utf_mblen(p);

		if (l < 1 || p + l > end)
		{
			/* a sequence cut short: not decoded, it would read past end */
			w[n++] = 0xFFFD;
			p++;
			continue;
		}
		w[n++] = utf8_to_unicode(p);
		p += l;
	}
	*out = w;
	return n;
}

/*
 * Pack units of the given sizes into segments of seg_units each, never
 * splitting one character; single_units is the capacity of a lone segment.
 */
static int
pack_segments(const int *sizes, int n, int single_units, int seg_units)
{
	int			total = 0;
	int			i, segments, used;

	for (i = 0; i < n; i++)
		total += sizes[i];
	if (total == 0)
		return 0;
	if (total <= single_units)
		return 1;

	segments = 1;
	used = 0;
	for (i = 0; i < n; i++)
	{
		if (used + sizes[i] > seg_units)
		{
			segments++;
			used = 0;
		}
		used += sizes[i];
	}
	return segments;
}

void
smscamp_count_sms(const char *text, int len, SmsCount *count)
{
	pg_wchar   *w;
	int		   *sizes;
	int			n, i;
	bool		gsm = true;

	n = decode_text(text, len, &w);
	sizes = palloc((n + 1) * sizeof(int));

	for (i = 0; i < n && gsm; i++)
		gsm = (gsm_septets(w[i]) > 0);

	count->units = 0;
	for (i = 0; i < n; i++)
	{
		if (gsm)
			sizes[i] = gsm_septets(w[i]);
		else
			sizes[i] = (w[i] > 0xFFFF) ? 2 : 1;
		count->units += sizes[i];
	}

	count->ucs2 = !gsm;
	count->segments = gsm ? pack_segments(sizes, n, 160, 153)
		: pack_segments(sizes, n, 70, 67);

	pfree(sizes);
	pfree(w);
}

Datum
smscamp_sms_segments(PG_FUNCTION_ARGS)
{
	text	   *t = PG_GETARG_TEXT_PP(0);
	SmsCount	count;

	smscamp_count_sms(VARDATA_ANY(t), VARSIZE_ANY_EXHDR(t), &count);
	PG_RETURN_INT32(count.segments);
}

Datum
smscamp_sms_encoding(PG_FUNCTION_ARGS)
{
	text	   *t = PG_GETARG_TEXT_PP(0);
	SmsCount	count;

	smscamp_count_sms(VARDATA_ANY(t), VARSIZE_ANY_EXHDR(t), &count);
	PG_RETURN_TEXT_P(cstring_to_text(count.ucs2 ? "UCS-2" : "GSM-7"));
}

/* segments x smscamp.price_per_segment, as numeric rounded to 4 places */
Numeric
smscamp_cost_of_segments(int segments)
{
	char		buf[64];

	snprintf(buf, sizeof(buf), "%.4f", segments * smscamp_price_per_segment);
	return DatumGetNumeric(DirectFunctionCall3(numeric_in,
											   CStringGetDatum(buf),
											   ObjectIdGetDatum(InvalidOid),
											   Int32GetDatum(-1)));
}

Datum
smscamp_sms_cost(PG_FUNCTION_ARGS)
{
	text	   *t = PG_GETARG_TEXT_PP(0);
	SmsCount	count;

	smscamp_count_sms(VARDATA_ANY(t), VARSIZE_ANY_EXHDR(t), &count);
	PG_RETURN_NUMERIC(smscamp_cost_of_segments(count.segments));
}

/* base letters of U+00C0..U+00FF and U+0100..U+017F; 0: none (or GSM-7 has it) */
static const char latin1_base[64] = {
	'A', 'A', 'A', 'A', 0, 0, 0, 0, 'E', 0, 'E', 'E', 'I', 'I', 'I', 'I',
	'D', 0, 'O', 'O', 'O', 'O', 0, 0, 0, 'U', 'U', 'U', 0, 'Y', 'T', 0,
	0, 'a', 'a', 'a', 0, 0, 0, 'c', 0, 0, 'e', 'e', 0, 'i', 'i', 'i',
	'd', 0, 0, 'o', 'o', 'o', 0, 0, 0, 0, 'u', 'u', 0, 'y', 't', 'y'
};
static const char latin_ext_a_base[] =
	"AaAaAaCcCcCcCcDdDdEeEeEeEeEeGgGgGgGgHhHhIiIiIiIiIi\0\0JjKkkLlLlLlLlLlNnNnNnnNnOoOoOo"
	"\0\0RrRrRrSsSsSsSsTtTtTtUuUuUuUuUuUuWwYyYZzZzZzs";

/*
 * The text with the accented Latin letters GSM-7 lacks written without
 * their accents ("María" -> "Maria"; "é", "ñ", "ü" are GSM-7 and stay), so
 * that a name does not make its whole message UCS-2. Anything else stays.
 */
char *
smscamp_gsm_fold(const char *text)
{
	StringInfoData out;
	const unsigned char *p = (const unsigned char *) text;

	initStringInfo(&out);
	while (*p)
	{
		int			l = pg_utf_mblen(p);
		pg_wchar	c;
		char		base = '\0';

		if (l < 1 || (int) strnlen((const char *) p, l) < l)
		{
			appendStringInfoChar(&out, (char) *p++);
			continue;
		}
		c = utf8_to_unicode(p);
		if (gsm_septets(c) == 0)
		{
			if (c >= 0xC0 && c <= 0xFF)
				base = latin1_base[c - 0xC0];
			else if (c >= 0x100 && c <= 0x17F)
				base = latin_ext_a_base[c - 0x100];
		}
		if (base)
			appendStringInfoChar(&out, base);
		else
			appendBinaryStringInfo(&out, (const char *) p, l);
		p += l;
	}
	return out.data;
}
