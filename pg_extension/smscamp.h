/*-------------------------------------------------------------------------
 *
 * smscamp.h
 *	  Declarations every file of the smscamp extension includes: the
 *	  phone parser and its calling codes. One C file per responsibility:
 *	  smscamp.c		 _PG_init and smscamp.default_country
 *	  phone.c		 E.164 phone parser and its SQL functions
 *	  phone_codes.c	 ITU country calling codes (country, main time zone)
 *	  nanp_codes.c	 +1 area codes (country, time zone)
 *	  csv.c			 RFC 4180 CSV parser and its SQL functions
 *	  the workflow engine's files are listed in engine.h, the metrics'
 *	  declarations are in metrics.h.
 *
 *-------------------------------------------------------------------------
 */
#ifndef SMSCAMP_H
#define SMSCAMP_H

#include "postgres.h"

/* smscamp.default_country (smscamp.c) */
extern char *smscamp_default_country;

/* Country calling codes (phone_codes.c) */
typedef struct CallingCode
{
	const char *prefix;			/* digits after '+' that select this entry */
	int			cc_len;			/* how many of them are the calling code */
	const char *country;		/* ISO 3166-1 alpha-2 */
	const char *timezone;		/* the country's main IANA time zone */
	int			min_nsn;		/* national number length, 0 = generic rule */
	int			max_nsn;
} CallingCode;

extern const CallingCode *smscamp_lookup_calling_code(const char *digits,
													  int ndigits);

/* North American Numbering Plan area codes (nanp_codes.c) */
typedef struct NanpAreaCode
{
	const char *npa;			/* the 3-digit area code */
	const char *country;		/* ISO 3166-1 alpha-2 */
	const char *timezone;		/* IANA zone of most of its subscribers */
} NanpAreaCode;

extern const NanpAreaCode *smscamp_lookup_nanp(const char *npa3);

/* Phone parser (phone.c) */
typedef enum PhoneError
{
	PHONE_OK = 0,
	PHONE_EMPTY,
	PHONE_INVALID_CHARS,
	PHONE_NO_COUNTRY_CODE,
	PHONE_TOO_SHORT,
	PHONE_TOO_LONG,
	PHONE_UNKNOWN_CODE
} PhoneError;

typedef struct PhoneResult
{
	PhoneError	error;
	char	   *digits;			/* E.164 digits without '+' (palloc'd) */
	int			ndigits;
	const CallingCode *code;	/* set when error == PHONE_OK */
} PhoneResult;

extern void smscamp_parse_phone(const char *input, int len,
								const char *default_country,
								PhoneResult *result);
extern bool smscamp_valid_default_country(const char *value);

#endif							/* SMSCAMP_H */
