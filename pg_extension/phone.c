/*-------------------------------------------------------------------------
 *
 * phone.c
 *	  E.164 phone number parser and its SQL functions.
 *
 * One parser (smscamp_parse_phone) returns either the normalised number or
 * an error code; smscamp_normalize_phone, smscamp_phone_error,
 * smscamp_phone_country and smscamp_phone_timezone are thin wrappers.  The
 * country and time zone are the calling code's (phone_codes.c), for +1 the
 * area code's (nanp_codes.c) when it is listed.
 *
 * Accepted input: digits with spaces, tabs, dashes, dots and parentheses in
 * between; a leading '+' or "00" means the country code follows.  "(0)"
 * after the country code ("+44 (0)20 ...") is the national trunk prefix
 * and is dropped.  Without a country code, smscamp.default_country is
 * prefixed (dropping one leading trunk '0'; for +1, a leading '1'; "011" is
 * the international prefix there), else the number is rejected.
 *
 *-------------------------------------------------------------------------
 */
#include "smscamp.h"

#include <string.h>

#include "fmgr.h"
#include "lib/stringinfo.h"
#include "utils/builtins.h"

#define E164_MAX_DIGITS 15
#define E164_MIN_DIGITS 8		/* generic rule; tiny plans say less */

static bool
is_separator(char c)
{
	return c == ' ' || c == '\t' || c == '-' || c == '.' || c == '(' || c == ')';
}

/*
 * Collect the digits of the input into *digits, dropping separators.
 * Sets *plus when the number starts with '+'.  Returns PHONE_OK or
 * PHONE_INVALID_CHARS.
 */
static PhoneError
collect_digits(const char *input, int len, StringInfo digits, bool *plus)
{
	int			i = 0;

	*plus = false;
	while (i < len && (input[i] == ' ' || input[i] == '\t'))
		i++;
	if (i < len && input[i] == '+')
	{
		*plus = true;
		i++;
	}

	for (; i < len; i++)
	{
		char		c = input[i];

		if (c >= '0' && c <= '9')
			appendStringInfoChar(digits, c);
		else if (c == '(' && i + 2 < len && input[i + 1] == '0' &&
				 input[i + 2] == ')' && digits->len > 0 &&
				 (*plus || (digits->len > 2 && strncmp(digits->data, "00", 2) == 0)))
			i += 2;				/* "+44 (0)20": trunk prefix, not dialled */
		else if (!is_separator(c))
			return PHONE_INVALID_CHARS;
	}
	return PHONE_OK;
}

/*
 * Turn the collected digits into the E.164 digits (without '+') in *e164,
 * using the default country when the number has no country code.
 */
static PhoneError
apply_country_code(const StringInfo digits, bool plus,
				   const char *default_country, StringInfo e164)
{
	const char *d = digits->data;
	const char *cc = default_country;

	if (plus)
	{
		appendStringInfoString(e164, d);
		return PHONE_OK;
	}
	if (strncmp(d, "00", 2) == 0)
	{
		appendStringInfoString(e164, d + 2);
		return PHONE_OK;
	}
	if (cc == NULL || cc[0] == '\0')
		return PHONE_NO_COUNTRY_CODE;
	if (cc[0] == '+')
		cc++;

	if (strcmp(cc, "1") == 0)
	{
		if (strncmp(d, "011", 3) == 0)
		{
			appendStringInfoString(e164, d + 3);	/* NANP international prefix */
			return PHONE_OK;
		}
		if (digits->len == 11 && d[0] == '1')
			d++;				/* NANP trunk prefix */
	}
	else if (d[0] == '0')
		d++;					/* one national trunk prefix */

	appendStringInfoString(e164, cc);
	appendStringInfoString(e164, d);
	return PHONE_OK;
}

/* Check the E.164 digits against the calling code table and lengths. */
static PhoneError
check_e164(const char *d, int n, const CallingCode **code)
{
	int			nsn;

	*code = NULL;
	if (n > E164_MAX_DIGITS)
		return PHONE_TOO_LONG;
	*code = smscamp_lookup_calling_code(d, n);
	if (*code == NULL)
		return n <= 3 ? PHONE_TOO_SHORT : PHONE_UNKNOWN_CODE;

	nsn = n - (*code)->cc_len;
	if ((*code)->min_nsn > 0)
	{
		if (nsn < (*code)->min_nsn)
			return PHONE_TOO_SHORT;
		if (nsn > (*code)->max_nsn)
			return PHONE_TOO_LONG;
	}
	else if (n < E164_MIN_DIGITS)
		return PHONE_TOO_SHORT;
	return PHONE_OK;
}

/*
 * Parse a phone number.  On success result->error is PHONE_OK and
 * result->digits holds the E.164 digits (palloc'd, without '+').  On a
 * PHONE_UNKNOWN_CODE error, result->digits holds the digits that were taken
 * for the calling code (for the message).
 */
void
smscamp_parse_phone(const char *input, int len, const char *default_country,
					PhoneResult *result)
{
	StringInfoData digits;
	StringInfoData e164;
	bool		plus;

	memset(result, 0, sizeof(*result));
	initStringInfo(&digits);
	result->error = collect_digits(input, len, &digits, &plus);
	if (result->error != PHONE_OK)
		return;
	if (digits.len == 0)
	{
		result->error = PHONE_EMPTY;
		return;
	}

	initStringInfo(&e164);
	result->error = apply_country_code(&digits, plus, default_country, &e164);
	if (result->error != PHONE_OK)
		return;

	result->digits = e164.data;
	result->ndigits = e164.len;
	if (e164.len == 0)
		result->error = PHONE_TOO_SHORT;
	else if (e164.data[0] == '0')
		result->error = PHONE_UNKNOWN_CODE;
	else
		result->error = check_e164(e164.data, e164.len, &result->code);
}

/* Is this a usable value for smscamp.default_country? */
bool
smscamp_valid_default_country(const char *value)
{
	const CallingCode *code;
	size_t		len;

	if (value[0] == '+')
		value++;
	len = strlen(value);
	if (len < 1 || len > 3 || strspn(value, "0123456789") != len)
		return false;
	code = smscamp_lookup_calling_code(value, (int) len);
	return code != NULL && (size_t) code->cc_len == len &&
		strlen(code->prefix) == len;
}

static void
parse_text_phone(text *t, PhoneResult *result)
{
	smscamp_parse_phone(VARDATA_ANY(t), VARSIZE_ANY_EXHDR(t),
						smscamp_default_country, result);
}

static char *
phone_error_message(const PhoneResult *r)
{
	switch (r->error)
	{
		case PHONE_OK:
			return NULL;
		case PHONE_EMPTY:
			return pstrdup("phone must not be empty");
		case PHONE_INVALID_CHARS:
			return pstrdup("phone has invalid characters (use digits, spaces, dashes, dots, parentheses and a leading +)");
		case PHONE_NO_COUNTRY_CODE:
			return pstrdup("phone must include the country code (e.g. +14155550123)");
		case PHONE_TOO_SHORT:
			return pstrdup("phone is too short");
		case PHONE_TOO_LONG:
			return pstrdup("phone is too long");
		case PHONE_UNKNOWN_CODE:
			/* no calling code starts with 0: show just that digit */
			return psprintf("unknown country calling code +%.*s",
							r->digits[0] == '0' ? 1 : Min(r->ndigits, 3),
							r->digits);
	}
	return pstrdup("phone is invalid");
}

/* what one of the SQL functions below answers about a phone */
typedef enum PhoneAnswer
{
	PHONE_ANSWER_E164,
	PHONE_ANSWER_ERROR,
	PHONE_ANSWER_COUNTRY,
	PHONE_ANSWER_TIMEZONE,
} PhoneAnswer;

/*
 * Parse the text argument and answer what: the error message (NULL when the
 * phone is valid), else NULL when the phone is invalid.  A +1 number's
 * country and zone are its area code's (r.digits + 1) when nanp_codes.c
 * lists it, else the +1 entry's.
 */
static Datum
phone_answer(FunctionCallInfo fcinfo, PhoneAnswer what)
{
	PhoneResult r;
	const char *answer = NULL;

	parse_text_phone(PG_GETARG_TEXT_PP(0), &r);
	if (what == PHONE_ANSWER_ERROR)
		answer = phone_error_message(&r);
	else if (r.error == PHONE_OK)
	{
		const NanpAreaCode *npa = NULL;

		if (strcmp(r.code->prefix, "1") == 0)
			npa = smscamp_lookup_nanp(r.digits + 1);

		switch (what)
		{
			case PHONE_ANSWER_E164:
				answer = psprintf("+%s", r.digits);
				break;
			case PHONE_ANSWER_COUNTRY:
				answer = npa ? npa->country : r.code->country;
				break;
			case PHONE_ANSWER_TIMEZONE:
				answer = npa ? npa->timezone : r.code->timezone;
				break;
			case PHONE_ANSWER_ERROR:
				break;
		}
	}
	if (answer == NULL)
		PG_RETURN_NULL();
	PG_RETURN_TEXT_P(cstring_to_text(answer));
}

/*
 * The SQL functions, each phone_answer of one kind:
 *	 smscamp_normalize_phone(text) -> E.164, or NULL when invalid
 *	 smscamp_phone_error(text)	   -> NULL when valid, else why not
 *	 smscamp_phone_country(text)   -> ISO 3166-1 alpha-2, NULL when invalid
 *	 smscamp_phone_timezone(text)  -> IANA zone name, NULL when invalid
 *	 (both by area code for +1)
 */
#define PHONE_SQL_FUNCTION(name, what) \
	PG_FUNCTION_INFO_V1(name); \
	Datum \
	name(PG_FUNCTION_ARGS) \
	{ \
		return phone_answer(fcinfo, what); \
	}

PHONE_SQL_FUNCTION(smscamp_normalize_phone, PHONE_ANSWER_E164)
PHONE_SQL_FUNCTION(smscamp_phone_error, PHONE_ANSWER_ERROR)
PHONE_SQL_FUNCTION(smscamp_phone_country, PHONE_ANSWER_COUNTRY)
PHONE_SQL_FUNCTION(smscamp_phone_timezone, PHONE_ANSWER_TIMEZONE)
