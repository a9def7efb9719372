/*
 * Target "phone": the E.164 phone normaliser of pg_extension/phone.c
 * (included, not copied, with phone_codes.c and nanp_codes.c linked):
 * smscamp_parse_phone, its error messages, smscamp_valid_default_country
 * and the SQL functions smscamp_normalize_phone / smscamp_phone_error /
 * smscamp_phone_country / smscamp_phone_timezone (for +1: the area code's).
 *
 * Input: the first byte picks smscamp.default_country (unset, empty, or one
 * of a few countries; 7: the bytes up to the first '|' are tried with the
 * GUC's check, smscamp_valid_default_country, and used if it accepts
 * them); the rest is the phone number.
 *
 * Properties, when a number is accepted: it is +, a digit 1-9, then only
 * digits, 7 to 15 in all (8 to 15 unless its country plan says fewer), it
 * starts with its calling code, whose national number length it has; and
 * normalising the normalised number again, with any default country,
 * gives the same number and country (idempotent). A number is accepted
 * exactly when it has no error message.
 */

#include "../../pg_extension/phone.c"

#include "pg_stubs.h"

#include <stdio.h>
#include <sys/mman.h>


static const char *fuzz_countries[] = {NULL, "", "1", "+44", "33", "7", "683"};


static text *
fuzz_text(const char *s, int len)
{
	text	   *t = palloc(len + VARHDRSZ);

	SET_VARSIZE(t, len + VARHDRSZ);
	memcpy(VARDATA(t), s, len);
	return t;
}


static void
fuzz_check_accepted(const char *input, int len, const char *dc,
					PhoneResult *r)
{
	int			i;
	char	   *norm;
	PhoneResult again;
	const CallingCode *code = r->code;

	FUZZ_CHECK(r->digits != NULL && code != NULL);
	FUZZ_CHECK((int) strlen(r->digits) == r->ndigits);
	FUZZ_CHECK(r->digits[0] >= '1' && r->digits[0] <= '9');
	for (i = 0; i < r->ndigits; i++)
		FUZZ_CHECK(r->digits[i] >= '0' && r->digits[i] <= '9');
	FUZZ_CHECK(r->ndigits >= 7 && r->ndigits <= E164_MAX_DIGITS);

	FUZZ_CHECK(strncmp(r->digits, code->prefix, strlen(code->prefix)) == 0);
	FUZZ_CHECK(smscamp_lookup_calling_code(r->digits, r->ndigits) == code);
	if (code->min_nsn > 0)
	{
		FUZZ_CHECK(r->ndigits - code->cc_len >= code->min_nsn);
		FUZZ_CHECK(r->ndigits - code->cc_len <= code->max_nsn);
	}
	else
		FUZZ_CHECK(r->ndigits >= E164_MIN_DIGITS);

	FUZZ_CHECK(phone_error_message(r) == NULL);

	/* idempotent, whatever the default country */
	norm = psprintf("+%s", r->digits);
	for (i = 0; i < (int) lengthof(fuzz_countries); i++)
	{
		smscamp_parse_phone(norm, strlen(norm), fuzz_countries[i], &again);
		FUZZ_CHECK(again.error == PHONE_OK);
		FUZZ_CHECK(strcmp(again.digits, r->digits) == 0);
		FUZZ_CHECK(again.code == code);
	}
}


int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	int			len;
	char	   *input, *dc, *msg;
	void	   *map;
	size_t		maplen;
	bool		isnull;
	Datum		d;
	text	   *t;
	const char *bar;
	PhoneResult r;
	const NanpAreaCode *npa;
	sigjmp_buf	jmp;

	if (size == 0 || size > 4096)
		return 0;

	fuzz_pg_error_jmp = &jmp;
	if (sigsetjmp(jmp, 0) != 0)
	{
		fprintf(stderr, "fuzz: the phone parser raised an ERROR\n");
		abort();
	}

	dc = NULL;
	if (data[0] % 8 < lengthof(fuzz_countries))
		dc = (char *) fuzz_countries[data[0] % 8];
	else
	{
		bar = memchr(data + 1, '|', size - 1);
		if (bar != NULL)
		{
			dc = pnstrdup((const char *) data + 1, bar - (const char *) data - 1);
			if (strlen(dc) > 4 || !smscamp_valid_default_country(dc))
				dc = NULL;
			size -= bar - (const char *) data;
			data = (const uint8_t *) bar;
		}
	}
	data++;
	size--;

	/* the number in a buffer of its own, not NUL-terminated (a text's data) */
	len = (int) size;
	input = fuzz_guarded_copy(data, size, &map, &maplen);

	smscamp_parse_phone(input, len, dc, &r);
	FUZZ_CHECK(r.error >= PHONE_OK && r.error <= PHONE_UNKNOWN_CODE);

	if (r.error == PHONE_OK)
		fuzz_check_accepted(input, len, dc, &r);
	else
	{
		msg = phone_error_message(&r);
		FUZZ_CHECK(msg != NULL && strlen(msg) > 0 && strlen(msg) < 200);
	}

	/* the SQL functions, with the same smscamp.default_country */
	smscamp_default_country = dc;
	t = fuzz_text(input, len);

	d = fuzz_call1(smscamp_normalize_phone, PointerGetDatum(t), &isnull);
	FUZZ_CHECK(isnull == (r.error != PHONE_OK));
	if (!isnull)
	{
		FUZZ_CHECK(text_to_cstring(DatumGetTextPP(d))[0] == '+');
		FUZZ_CHECK(strcmp(text_to_cstring(DatumGetTextPP(d)) + 1, r.digits) == 0);
	}

	d = fuzz_call1(smscamp_phone_error, PointerGetDatum(t), &isnull);
	FUZZ_CHECK(isnull == (r.error == PHONE_OK));

	/* a +1 number's country and zone are its area code's when listed */
	npa = NULL;
	if (r.error == PHONE_OK && strcmp(r.code->prefix, "1") == 0)
		npa = smscamp_lookup_nanp(r.digits + 1);

	d = fuzz_call1(smscamp_phone_country, PointerGetDatum(t), &isnull);
	FUZZ_CHECK(isnull == (r.error != PHONE_OK));
	if (!isnull)
		FUZZ_CHECK(strcmp(text_to_cstring(DatumGetTextPP(d)),
						  npa ? npa->country : r.code->country) == 0);

	d = fuzz_call1(smscamp_phone_timezone, PointerGetDatum(t), &isnull);
	FUZZ_CHECK(isnull == (r.error != PHONE_OK));
	if (!isnull)
		FUZZ_CHECK(strcmp(text_to_cstring(DatumGetTextPP(d)),
						  npa ? npa->timezone : r.code->timezone) == 0);

	smscamp_default_country = NULL;
	fuzz_pg_error_jmp = NULL;
	fuzz_pg_reset();
	munmap(map, maplen);

	return 0;
}
