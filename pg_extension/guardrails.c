/*-------------------------------------------------------------------------
 *
 * guardrails.c
 *	  What every message goes through before it may be sent, whoever wrote
 *	  it (a model, a template, the built-in writer):
 *
 *	  smscamp_sanitize_message	 trim, strip wrapping quotes, markdown marks
 *								 (a "#" heading mark, not "#48213")
 *								 and a leading "SMS:" label, collapse blanks,
 *								 typographic quotes and dashes as GSM-7 ones
 *	  smscamp_model_text_problem why a model's text is not a message (empty,
 *								 one word, placeholders left for someone to
 *								 fill, talk about the task: "Sure! Here is")
 *	  smscamp_fit_message		 the opt-out footer added unless the text
 *								 already tells how to opt out, and whether it
 *								 fits smscamp.max_segments. Nothing is ever
 *								 cut: a message that does not fit is written
 *								 again (a model) or not sent.
 *	  smscamp_reply_problem		 the reply agent's answers: a model's text
 *								 problems, and no secret (an API key)
 *
 *-------------------------------------------------------------------------
 */
#include "smscamp.h"
#include "engine.h"

#include <ctype.h>

#include "lib/stringinfo.h"

/* typographic punctuation and its GSM-7 equivalent */
static const char *const gsm_twins[][2] = {
	{"\xE2\x80\x98", "'"}, {"\xE2\x80\x99", "'"}, {"\xE2\x80\x9A", "'"},
	{"\xE2\x80\xB2", "'"}, {"\xE2\x80\x9C", "\""}, {"\xE2\x80\x9D", "\""},
	{"\xE2\x80\x9E", "\""}, {"\xC2\xAB", "\""}, {"\xC2\xBB", "\""},
	{"\xE2\x80\x93", "-"}, {"\xE2\x80\x94", "-"}, {"\xE2\x88\x92", "-"},
	{"\xE2\x80\x90", "-"}, {"\xE2\x80\x91", "-"}, {"\xE2\x80\xA6", "..."},
	{"\xE2\x80\xA2", "-"}, {"\xC2\xA0", " "}, {"\xE2\x80\x89", " "},
	{"\xE2\x80\xAF", " "}, {"\xE2\x80\x8B", " "}, {NULL, NULL}
};

static bool
blank(char c)
{
	return c == ' ' || c == '\n' || c == '\r' || c == '\t';
}

/* strip wrapping quotes, markdown marks, a leading label; collapse blanks */
char *
smscamp_sanitize_message(const char *raw)
{
	StringInfoData out;
	const char *p = raw;
	const char *end = raw + strlen(raw);
	bool		space = false;
	static const char *const labels[] = {
		"SMS:", "Message:", "Text:", "SMS message:", "Text message:", "Draft:", NULL
	};
	int			i;

	while (p < end && blank(*p))
		p++;
	while (end > p && blank(end[-1]))
		end--;
	for (i = 0; labels[i]; i++)
		if ((size_t) (end - p) > strlen(labels[i])
			&& pg_strncasecmp(p, labels[i], strlen(labels[i])) == 0)
		{
			p += strlen(labels[i]);
			while (p < end && blank(*p))
				p++;
			break;
		}

	/* wrapping quotes: "...", '...', and typographic ones */
	if (end - p >= 2 && ((*p == '"' && end[-1] == '"')
						 || (*p == '\'' && end[-1] == '\'')))
	{
		p++;
		end--;
	}
	else if (end - p >= 6 && strncmp(p, "\xE2\x80\x9C", 3) == 0
			 && strncmp(end - 3, "\xE2\x80\x9D", 3) == 0)
	{
		p += 3;
		end -= 3;
	}

	initStringInfo(&out);
	while (p < end)
	{
		int			k;

		/* typographic punctuation as its GSM-7 twin: one character no longer
		 * turns the whole message into UCS-2 (a third of the length) */
		for (k = 0; gsm_twins[k][0]; k++)
			if ((size_t) (end - p) >= strlen(gsm_twins[k][0])
				&& strncmp(p, gsm_twins[k][0], strlen(gsm_twins[k][0])) == 0)
				break;
		if (gsm_twins[k][0])
		{
			if (blank(gsm_twins[k][1][0]))
				space = true;
			else
			{
				if (space && out.len > 0)
					appendStringInfoChar(&out, ' ');
				space = false;
				appendStringInfoString(&out, gsm_twins[k][1]);
			}
			p += strlen(gsm_twins[k][0]);
			continue;
		}
		if (*p == '*' || *p == '`' || (*p == '_' && p + 1 < end && p[1] == '_'))
		{
			p += (*p == '_') ? 2 : 1;
			continue;
		}
		if (*p == '#' && (out.len == 0 || space) && !(p + 1 < end && isdigit((unsigned char) p[1])))
		{
			p++;
			continue;
		}
		if (blank(*p))
		{
			space = true;
			p++;
			continue;
		}
		if (space && out.len > 0)
			appendStringInfoChar(&out, ' ');
		space = false;
		appendStringInfoChar(&out, *p++);
	}
	return out.data;
}

/*
 * Why a model's (sanitized) text cannot be sent as it is, or NULL. The
 * answer is outside input: an OpenAPI mock answers "string", a model may
 * answer "Sure! Here's a message:" or leave "[First Name]" to be filled.
 */
char *
smscamp_model_text_problem(const char *text)
{
	static const char *const meta[] = {
		"sure", "certainly", "of course", "here is", "here's", "here are",
		"as an ai", "as a language model", "i'm sorry", "i am sorry", "sorry, i",
		"i cannot", "i can't", "i can not", "i'm unable", "i am unable",
		"i won't", "i will not", "unfortunately, i", "i apologize",
		"i apologise", "absolutely!", "okay, here", "ok, here", NULL
	};
	static const char *const fill_me[] = {
		"[name]", "[first name]", "[first_name]", "[your name]", "[company]",
		"[link]", "[date]", "[time]", "{first_name}", "{name}", "{company}",
		"{{", "<name>", "<first name>", "<link>", "xxx", "lorem ipsum",
		"insert ", "[insert", "(insert", NULL
	};
	const char *p;
	int			words = 0;
	int			i;

	if (text == NULL || text[0] == '\0')
		return pstrdup("the model's answer is empty");
	for (p = text; *p; p++)
		if ((p == text || blank(p[-1])) && !blank(*p))
			words++;
	if (words < 3)
		return psprintf("the model's answer \"%.40s\" is not a message", text);
	for (i = 0; meta[i]; i++)
		if (pg_strncasecmp(text, meta[i], strlen(meta[i])) == 0)
			return psprintf("the model answered about the task instead of with a message (\"%.60s\")",
							text);
	for (p = text; *p; p++)
		for (i = 0; fill_me[i]; i++)
			if (pg_strncasecmp(p, fill_me[i], strlen(fill_me[i])) == 0)
				return psprintf("the model's message has a placeholder left to fill (\"%s\")",
								fill_me[i]);
	return NULL;
}

/*
 * Whether the text already tells how to opt out: STOP as a keyword ("Reply
 * STOP", "text STOP", "STOP to opt out"), "opt out", "unsubscribe". A word
 * like "stop by" is not one.
 */
static bool
has_optout(const char *text)
{
	const char *p;

	for (p = text; *p; p++)
	{
		bool		start = (p == text || !isalnum((unsigned char) p[-1]));

		if (!start)
			continue;
		if (strncmp(p, "STOP", 4) == 0 && !isalnum((unsigned char) p[4]))
			return true;
		if ((pg_strncasecmp(p, "reply stop", 10) == 0 || pg_strncasecmp(p, "text stop", 9) == 0
			 || pg_strncasecmp(p, "send stop", 9) == 0)
			&& !isalnum((unsigned char) p[p[0] == 'r' || p[0] == 'R' ? 10 : 9]))
			return true;
		if (pg_strncasecmp(p, "opt out", 7) == 0 || pg_strncasecmp(p, "opt-out", 7) == 0
			|| pg_strncasecmp(p, "unsubscribe", 11) == 0)
			return true;
	}
	return false;
}

static int
segments_of(const char *text)
{
	SmsCount	count;

	smscamp_count_sms(text, strlen(text), &count);
	return count.segments;
}

/*
 * The final message: the text and the footer (unless the text tells how to
 * opt out). *fits says whether it is within max_segments (0: no limit).
 */
char *
smscamp_fit_message(const char *text, int max_segments, const char *footer,
					bool *fits)
{
	StringInfoData out;

	initStringInfo(&out);
	appendStringInfoString(&out, text);
	if (footer && footer[0] && !has_optout(text))
	{
		if (out.len > 0 && !blank(out.data[out.len - 1]))
			appendStringInfoChar(&out, ' ');
		appendStringInfoString(&out, footer);
	}
	*fits = (max_segments <= 0 || segments_of(out.data) <= max_segments);
	return out.data;
}

/* whether text holds secret (a configured key, at least 8 characters long) */
static bool
holds(const char *text, const char *secret)
{
	return secret != NULL && strlen(secret) >= 8 && strstr(text, secret) != NULL;
}

/* an "sk-..." API key of 16 characters or more */
static bool
holds_api_key(const char *text)
{
	const char *p;

	for (p = strstr(text, "sk-"); p; p = strstr(p + 1, "sk-"))
	{
		int			n = 0;

		while (isalnum((unsigned char) p[3 + n]) || p[3 + n] == '_' || p[3 + n] == '-')
			n++;
		if (n >= 16)
			return true;
	}
	return false;
}

/*
 * Why a (sanitized) answer of the reply agent cannot be sent, or NULL: what
 * a model's message may not be, or a secret in it.
 */
char *
smscamp_reply_problem(const char *text)
{
	char	   *problem = smscamp_model_text_problem(text);

	if (problem)
		return problem;
	if (holds(text, smscamp_openai_api_key) || holds(text, smscamp_twilio_auth_token)
		|| holds_api_key(text))
		return pstrdup("the answer holds a secret (an API key)");
	return NULL;
}
