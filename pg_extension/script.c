/*-------------------------------------------------------------------------
 *
 * script.c
 *	  What every call script goes through before it is spoken (the SMS
 *	  text's guardrails, guardrails.c, come first):
 *
 *	  smscamp_fit_script	 a web address said the way a person says it
 *							 ("acme.com/spring" -> "acme dot com"), an SMS
 *							 opt-out line dropped, the words kept to
 *							 smscamp.max_call_words with the call's opt-out
 *							 line (smscamp.call_optout) at the end: cut after
 *							 the last whole sentence that fits, else after the
 *							 last word that fits
 *	  smscamp_script_words	 how many words a script has
 *	  smscamp_xml_escape	 text for an XML element (the TwiML <Say>)
 *	  smscamp_call_script()	 the guardrails from SQL (pgTAP, psql)
 *
 *-------------------------------------------------------------------------
 */
#include "smscamp.h"
#include "engine.h"

#include <ctype.h>

#include "fmgr.h"
#include "lib/stringinfo.h"
#include "utils/builtins.h"

PG_FUNCTION_INFO_V1(smscamp_call_script);

static bool
is_blank(char c)
{
	return c == ' ' || c == '\n' || c == '\r' || c == '\t';
}

int
smscamp_script_words(const char *text)
{
	int			n = 0;
	bool		in_word = false;

	for (; *text; text++)
	{
		if (is_blank(*text))
			in_word = false;
		else if (!in_word)
		{
			in_word = true;
			n++;
		}
	}
	return n;
}

/* whether the token [p, end) is a web address: a scheme, www., or a name.tld */
static bool
is_address(const char *p, const char *end)
{
	const char *dot;
	int			tld = 0;

	if (end - p > 7 && (pg_strncasecmp(p, "http://", 7) == 0 || pg_strncasecmp(p, "https://", 8) == 0))
		return true;
	if (end - p > 4 && pg_strncasecmp(p, "www.", 4) == 0)
		return true;
	/* name.tld or name.tld/path: a dot followed by 2-6 letters, then / or the end */
	for (dot = p + 1; dot < end - 2; dot++)
	{
		const char *q;

		if (*dot != '.' || !isalnum((unsigned char) dot[-1]))
			continue;
		for (q = dot + 1, tld = 0; q < end && isalpha((unsigned char) *q); q++)
			tld++;
		if (tld >= 2 && tld <= 6 && (q == end || *q == '/'))
			return true;
	}
	return false;
}

/* an address as it is said: its host without the scheme and www, dots said */
static void
append_spoken_address(StringInfo out, const char *p, const char *end)
{
	const char *host;
	const char *host_end;

	host = p;
	if (pg_strncasecmp(host, "https://", 8) == 0)
		host += 8;
	else if (pg_strncasecmp(host, "http://", 7) == 0)
		host += 7;
	if (end - host > 4 && pg_strncasecmp(host, "www.", 4) == 0)
		host += 4;
	for (host_end = host; host_end < end && *host_end != '/' && *host_end != '?'
		 && *host_end != '#' && *host_end != ':'; host_end++)
		;
	/* trailing punctuation of the sentence stays out of the address */
	while (host_end > host && (host_end[-1] == '.' || host_end[-1] == ','))
		host_end--;
	for (; host < host_end; host++)
	{
		if (*host == '.')
			appendStringInfoString(out, " dot ");
		else
			appendStringInfoChar(out, *host);
	}
}

/* the text with every web address said the way a person says it */
static char *
speak_addresses(const char *text)
{
	StringInfoData out;
	const char *p = text;

	initStringInfo(&out);
	while (*p)
	{
		const char *end;
		const char *word_end;
		char		last;

		if (is_blank(*p))
		{
			appendStringInfoChar(&out, *p++);
			continue;
		}
		for (end = p; *end && !is_blank(*end); end++)
			;
		/* a sentence's last punctuation after an address is kept */
		word_end = end;
		last = word_end[-1];
		while (word_end > p + 1 && strchr(".,;:!?)\"'", word_end[-1]))
			word_end--;
		if (is_address(p, word_end))
		{
			append_spoken_address(&out, p, word_end);
			if (word_end < end && strchr(".,;:!?", last))
				appendStringInfoChar(&out, last);
		}
		else
			appendBinaryStringInfo(&out, p, end - p);
		p = end;
	}
	return out.data;
}

/* the text without an SMS opt-out sentence ("Reply STOP to opt out.") */
static char *
drop_sms_optout(const char *text, const char *footer)
{
	char	   *out = pstrdup(text);
	char	   *at;

	if (footer && footer[0] && (at = strstr(out, footer)) != NULL)
	{
		memmove(at, at + strlen(footer), strlen(at + strlen(footer)) + 1);
		if (*at == '.')
			memmove(at, at + 1, strlen(at));
	}
	return out;
}

/* the first n words of text, cut after its last whole sentence within them if any */
static char *
first_words(const char *text, int n)
{
	const char *p = text;
	const char *cut = NULL;
	const char *sentence = NULL;
	int			words = 0;
	bool		in_word = false;
	StringInfoData out;

	for (; *p; p++)
	{
		if (is_blank(*p))
		{
			if (in_word && words == n)
			{
				cut = p;
				break;
			}
			in_word = false;
		}
		else
		{
			if (!in_word)
			{
				in_word = true;
				words++;
				if (words > n)
					break;
			}
			if ((*p == '.' || *p == '!' || *p == '?') && (p[1] == '\0' || is_blank(p[1])))
				sentence = p + 1;
		}
	}
	if (cut == NULL)
		cut = p;
	initStringInfo(&out);
	if (*cut == '\0' && words <= n)
		appendStringInfoString(&out, text);
	else if (sentence != NULL)
		appendBinaryStringInfo(&out, text, sentence - text);
	else
	{
		appendBinaryStringInfo(&out, text, cut - text);
		while (out.len > 0 && strchr(",;: -", out.data[out.len - 1]))
			out.data[--out.len] = '\0';
		appendStringInfoChar(&out, '.');
	}
	return out.data;
}

/*
 * The script to speak, from a text the SMS guardrails cleaned: addresses
 * said, the SMS opt-out line out, at most max_words words with the call's
 * opt-out line (which always ends it).
 */
char *
smscamp_fit_script(const char *text, int max_words, const char *optout)
{
	char	   *spoken = speak_addresses(smscamp_sanitize_message(drop_sms_optout(text,
																				smscamp_optout_footer)));
	int			room = max_words - smscamp_script_words(optout ? optout : "");
	StringInfoData out;
	char	   *body;
	int			len;

	body = first_words(spoken, Max(room, 1));
	len = strlen(body);
	while (len > 0 && is_blank(body[len - 1]))
		body[--len] = '\0';
	initStringInfo(&out);
	appendStringInfoString(&out, body);
	if (out.len > 0 && !strchr(".!?", out.data[out.len - 1]))
		appendStringInfoChar(&out, '.');
	if (optout && optout[0])
	{
		if (out.len > 0)
			appendStringInfoChar(&out, ' ');
		appendStringInfoString(&out, optout);
	}
	return out.data;
}

/* text for an XML element or attribute: & < > " ' escaped */
char *
smscamp_xml_escape(const char *text)
{
	StringInfoData out;

	initStringInfo(&out);
	for (; *text; text++)
	{
		switch (*text)
		{
			case '&':
				appendStringInfoString(&out, "&amp;");
				break;
			case '<':
				appendStringInfoString(&out, "&lt;");
				break;
			case '>':
				appendStringInfoString(&out, "&gt;");
				break;
			case '"':
				appendStringInfoString(&out, "&quot;");
				break;
			case '\'':
				appendStringInfoString(&out, "&apos;");
				break;
			default:
				appendStringInfoChar(&out, *text);
		}
	}
	return out.data;
}

/*
 * smscamp_call_script(text): a text as a call's script, through the same
 * guardrails as a model's answer (cleaned, addresses said, at most
 * smscamp.max_call_words with smscamp.call_optout)
 */
Datum
smscamp_call_script(PG_FUNCTION_ARGS)
{
	char	   *input = text_to_cstring(PG_GETARG_TEXT_PP(0));

	PG_RETURN_TEXT_P(cstring_to_text(smscamp_fit_script(smscamp_sanitize_message(input),
														smscamp_max_call_words,
														smscamp_call_optout)));
}
