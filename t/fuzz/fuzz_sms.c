/*
 * Target "sms": the GSM-7 / UCS-2 segment counter of pg_extension/sms.c
 * (included, not copied): smscamp_count_sms and the SQL functions
 * smscamp_sms_segments / smscamp_sms_encoding over it.
 *
 * Input: the message text. PostgreSQL hands these functions valid UTF-8
 * (the database is UTF8), so the properties are checked on valid UTF-8;
 * other bytes are counted too and must only not crash.
 *
 * Properties: no text, no segment; any text, at least one segment, and no
 * more segments than units; the units are the code points (GSM-7: 1 or 2
 * each; UCS-2: 2 for a code point above U+FFFF); a message that fits one
 * segment (160 septets / 70 UTF-16 units) is one, a longer one needs at
 * least ceil(units / 153 or 67) and, since a character never splits and is
 * at most two units, at most ceil(units / 152 or 66); the SQL functions
 * agree with the C one.
 */

#include "../../pg_extension/sms.c"

#include "pg_stubs.h"

#include <stdio.h>
#include <sys/mman.h>


int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char	   *buf;
	void	   *map;
	size_t		maplen;
	text	   *t;
	bool		isnull, valid;
	int			i, ncodes, nastral, single, per;
	Datum		d;
	SmsCount	count;
	sigjmp_buf	jmp;

	if (size > 65536)
		return 0;

	/* a buffer that ends at an unreadable page: a read past it faults */
	buf = fuzz_guarded_copy(data, size, &map, &maplen);

	fuzz_pg_error_jmp = &jmp;
	if (sigsetjmp(jmp, 0) != 0)
	{
		fprintf(stderr, "fuzz: smscamp_count_sms raised an ERROR\n");
		abort();
	}

	memset(&count, 0x7f, sizeof(count));
	smscamp_count_sms(buf, (int) size, &count);

	valid = (memchr(buf, 0, size) == NULL &&
			 pg_encoding_verifymbstr(PG_UTF8, buf, (int) size) == (int) size);

	if (valid)
	{
		ncodes = 0;
		nastral = 0;
		for (i = 0; i < (int) size; i++)
		{
			unsigned char c = (unsigned char) buf[i];

			if ((c & 0xc0) != 0x80)
				ncodes++;
			if (c >= 0xf0)
				nastral++;
		}

		FUZZ_CHECK(count.units >= 0 && count.segments >= 0);
		FUZZ_CHECK((size == 0) == (count.segments == 0));
		FUZZ_CHECK((size == 0) == (count.units == 0));
		FUZZ_CHECK(count.segments <= count.units);

		if (count.ucs2)
			FUZZ_CHECK(count.units == ncodes + nastral);
		else
		{
			FUZZ_CHECK(nastral == 0);
			FUZZ_CHECK(count.units >= ncodes && count.units <= 2 * ncodes);
		}

		single = count.ucs2 ? 70 : 160;
		per = count.ucs2 ? 67 : 153;

		if (count.units > 0 && count.units <= single)
			FUZZ_CHECK(count.segments == 1);
		if (count.units > single)
		{
			FUZZ_CHECK(count.segments >= (count.units + per - 1) / per);
			FUZZ_CHECK(count.segments <= (count.units + per - 2) / (per - 1));
		}

		/* the SQL functions, on a text datum as the executor passes it */
		t = palloc(size + VARHDRSZ);
		SET_VARSIZE(t, size + VARHDRSZ);
		memcpy(VARDATA(t), buf, size);

		d = fuzz_call1(smscamp_sms_segments, PointerGetDatum(t), &isnull);
		FUZZ_CHECK(!isnull && DatumGetInt32(d) == count.segments);

		d = fuzz_call1(smscamp_sms_encoding, PointerGetDatum(t), &isnull);
		FUZZ_CHECK(!isnull);
		FUZZ_CHECK(strcmp(text_to_cstring(DatumGetTextPP(d)),
						  count.ucs2 ? "UCS-2" : "GSM-7") == 0);
	}

	fuzz_pg_error_jmp = NULL;
	fuzz_pg_reset();
	munmap(map, maplen);

	return 0;
}
