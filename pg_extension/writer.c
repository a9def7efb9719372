/*-------------------------------------------------------------------------
 *
 * writer.c
 *	  The built-in message writer (used when no LLM API key is set) and the
 *	  guardrails every generated message goes through.
 *
 * Built-in writer: a prompt with placeholders ({first_name}, {name},
 * {company}, {email}) is a template; otherwise the writer greets the lead
 * by first name and says the prompt's message, the sentences that are not
 * instructions to the writer ("You are...", "Keep it short...").
 *
 * Guardrails: trim, strip wrapping quotes and markdown, collapse
 * whitespace, fit smscamp.max_segments (truncating at a word boundary) and
 * append the opt-out footer when the text has none.
 *
 *-------------------------------------------------------------------------
 */
#include "smscamp.h"
#include "engine.h"

#include "lib/stringinfo.h"

/* sentences that instruct the writer rather than speak to the lead */
static const char *const instruction_starts[] = {
	"you are", "you're", "act as", "as an", "as a ", "write", "keep",
	"be ", "use ", "do not", "don't", "never", "always", "respond",
	"reply with", "make it", "make sure", "include", "mention", "sign",
	"the message", "messages", "your task", "generate", "personali",
	"avoid", "limit", "only", "return", "output", "format", "tone",
	NULL
};

static bool
starts_with_ci(const char *s, const char *prefix)
{
	return pg_strncasecmp(s, prefix, strlen(prefix)) == 0;
}

static bool
is_instruction(const char *sentence)
{
	int			i;

	for (i = 0; instruction_starts[i] != NULL; i++)
		if (starts_with_ci(sentence, instruction_starts[i]))
			return true;
	return false;
}

/* first word of a name, or the whole trimmed name */
char *
smscamp_first_name(const char *name)
{
	const char *p = name;
	int			len = 0;

	if (name == NULL)
		return pstrdup("there");
	while (*p == ' ')
		p++;
	while (p[len] != '\0' && p[len] != ' ')
		len++;
	return len > 0 ? pnstrdup(p, len) : pstrdup("there");
}

static void
append_field(StringInfo out, const char *value, const char *fallback)
{
	appendStringInfoString(out, value && value[0] ? value : fallback);
}

/* substitute {first_name} {name} {company} {email}; false if none found */
static bool
fill_template(const char *prompt, const SmsLead *lead, StringInfo out)
{
	const char *p = prompt;
	bool		found = false;

	while (*p)
	{
		if (*p == '{')
		{
			if (starts_with_ci(p, "{first_name}"))
			{
				append_field(out, smscamp_first_name(lead->name), "there");
				p += strlen("{first_name}");
				found = true;
				continue;
			}
			if (starts_with_ci(p, "{name}"))
			{
				append_field(out, lead->name, "there");
				p += strlen("{name}");
				found = true;
				continue;
			}
			if (starts_with_ci(p, "{company}"))
			{
				append_field(out, lead->company, "your team");
				p += strlen("{company}");
				found = true;
				continue;
			}
			if (starts_with_ci(p, "{email}"))
			{
				append_field(out, lead->email, "");
				p += strlen("{email}");
				found = true;
				continue;
			}
		}
		appendStringInfoChar(out, *p++);
	}
	return found;
}

/* an instruction about the lead, turned into words to the lead */
typedef struct Rewrite
{
	const char *verb;			/* sentence start, lower case */
	const char *joiner;			/* expected after the object, or "" */
	const char *replacement;	/* what the message says instead */
	const char *ending;			/* appended at the end ("" or "?") */
	bool		needs_object;	/* "offer them ..." yes, "Offer 1 is ..." no */
} Rewrite;

static const Rewrite rewrites[] = {
	{"invite", "to ", "You're invited to ", "", false},
	{"ask", "to ", "Would you like to ", "?", true},
	{"offer", "", "We'd like to offer you ", "", true},
	{"thank", "for ", "Thank you for ", "", false},
	{"let", "know that ", "", "", true},
	{"let", "know ", "", "", true},
	{"tell", "that ", "", "", true},
	{"tell", "about ", "News about ", "", true},
	{"tell", "", "", "", true},
	{"remind", "that ", "A reminder: ", "", true},
	{"remind", "about ", "A reminder about ", "", true},
	{"remind", "", "A reminder: ", "", true},
	{"inform", "that ", "", "", true},
	{"announce", "", "Introducing ", "", false},
	{"promote", "", "Introducing ", "", false},
	{"introduce", "", "Introducing ", "", false},
	{NULL, NULL, NULL, NULL, false}
};

static const char *const objects[] = {
	"the lead ", "the leads ", "the customer ", "the customers ", "customers ",
	"the recipient ", "them ", "him ", "her ", "people ", "leads ", NULL
};

/* "their" -> "your", "them" -> "you", "they" -> "you" */
static void
append_second_person(StringInfo out, const char *p, int len)
{
	static const char *const from[] = {"their ", "them", "they ", NULL};
	static const char *const to[] = {"your ", "you", "you ", NULL};
	int			i = 0, k;

	while (i < len)
	{
		bool		word_start = (i == 0 || p[i - 1] == ' ');

		for (k = 0; word_start && from[k]; k++)
		{
			int			n = strlen(from[k]);

			if (i + n <= len && pg_strncasecmp(p + i, from[k], n) == 0
				&& (i + n == len || from[k][n - 1] == ' ' || p[i + n] == ' '
					|| p[i + n] == '.' || p[i + n] == ','))
			{
				appendStringInfoString(out, to[k]);
				i += n;
				break;
			}
		}
		if (!word_start || from[k] == NULL)
			appendStringInfoChar(out, p[i++]);
	}
}

/* a sentence to the writer ("Invite them to ...") as one to the lead */
static bool
rewrite_instruction(const char *s, int len, StringInfo out)
{
	int			r, o;

	for (r = 0; rewrites[r].verb; r++)
	{
		int			vlen = strlen(rewrites[r].verb);
		const char *p = s + vlen;
		int			jlen = strlen(rewrites[r].joiner);

		if (len <= vlen || pg_strncasecmp(s, rewrites[r].verb, vlen) != 0 || *p != ' ')
			continue;
		p++;
		for (o = 0; objects[o]; o++)
			if (pg_strncasecmp(p, objects[o], strlen(objects[o])) == 0)
			{
				p += strlen(objects[o]);
				break;
			}
		if (rewrites[r].needs_object && objects[o] == NULL)
			continue;
		if (jlen > 0 && pg_strncasecmp(p, rewrites[r].joiner, jlen) != 0)
			continue;
		p += jlen;
		if (p >= s + len)
			continue;
		{
			int			rest = s + len - p;
			int			at;

			/* a final '.' gives way to the rewrite's own ending */
			if (rewrites[r].ending[0] && rest > 0 && p[rest - 1] == '.')
				rest--;
			appendStringInfoString(out, rewrites[r].replacement);
			at = out->len;
			append_second_person(out, p, rest);
			if (rewrites[r].replacement[0] == '\0' && out->len > at)
				out->data[at] = pg_toupper((unsigned char) out->data[at]);
		}
		appendStringInfoString(out, rewrites[r].ending);
		return true;
	}
	return false;
}

/*
 * The length of a sentence without a trailing manner clause meant for the
 * writer: "... on Friday in a short, friendly SMS." -> "... on Friday."
 * (the final punctuation is kept by the caller).
 */
static int
without_manner_clause(const char *s, int len)
{
	static const char *const starts[] = {" in a ", " in an ", " in one ", " as a ", NULL};
	static const char *const nouns[] = {"sms", "message", "text", "tone", "sentence", NULL};
	int			i, k, n;

	for (i = len - 1; i > 0; i--)
	{
		for (k = 0; starts[k]; k++)
		{
			int			sl = strlen(starts[k]);

			if (i + sl > len || pg_strncasecmp(s + i, starts[k], sl) != 0)
				continue;
			for (n = 0; nouns[n]; n++)
			{
				int			nl = strlen(nouns[n]);
				int			end = len;

				while (end > i && (s[end - 1] == '.' || s[end - 1] == '!'))
					end--;
				if (end - nl > i && pg_strncasecmp(s + end - nl, nouns[n], nl) == 0)
					return i;
			}
		}
	}
	return len;
}

/*
 * "Write a short SMS inviting the lead to our demo." asks for words to the
 * lead in its gerund: rewrite from the gerund as if it were the imperative.
 */
static bool
rewrite_gerund(const char *s, int len, StringInfo out)
{
	static const char *const gerunds[][2] = {
		{" inviting ", "invite "}, {" telling ", "tell "}, {" reminding ", "remind "},
		{" asking ", "ask "}, {" offering ", "offer "}, {" announcing ", "announce "},
		{" promoting ", "promote "}, {" thanking ", "thank "}, {" letting ", "let "},
		{" informing ", "inform "}, {NULL, NULL}
	};
	int			i, g;

	for (i = 0; i < len; i++)
		for (g = 0; gerunds[g][0]; g++)
		{
			int			gl = strlen(gerunds[g][0]);
			char	   *imperative;

			if (i + gl > len || pg_strncasecmp(s + i, gerunds[g][0], gl) != 0)
				continue;
			imperative = psprintf("%s%.*s", gerunds[g][1], len - i - gl, s + i + gl);
			if (rewrite_instruction(imperative, strlen(imperative), out))
				return true;
		}
	return false;
}

/* the prompt's sentences that speak to the lead, joined */
static void
message_sentences(const char *prompt, StringInfo out)
{
	const char *p = prompt;

	while (*p)
	{
		const char *start, *end;

		while (*p == ' ' || *p == '\n' || *p == '\r' || *p == '\t')
			p++;
		start = p;
		while (*p && *p != '.' && *p != '!' && *p != '?' && *p != '\n')
			p++;
		end = p;
		if (*p && *p != '\n')
			end = ++p;
		if (end > start && is_instruction(start))
		{
			int			at = out->len;

			if (out->len > 0)
				appendStringInfoChar(out, ' ');
			if (!rewrite_gerund(start, without_manner_clause(start, end - start), out))
			{
				out->len = at;
				out->data[at] = '\0';
			}
			else if ((end[-1] == '.' || end[-1] == '!')
					 && !strchr(".!?", out->data[out->len - 1]))
				appendStringInfoChar(out, end[-1]);
		}
		else if (end > start)
		{
			int			len = end - start;
			int			keep = without_manner_clause(start, len);
			char	   *sentence = pnstrdup(start, keep);

			/* the final punctuation survives a cut clause */
			if (keep < len && (start[len - 1] == '.' || start[len - 1] == '!'))
				sentence = psprintf("%s%c", sentence, start[len - 1]);
			if (out->len > 0)
				appendStringInfoChar(out, ' ');
			if (!rewrite_instruction(sentence, strlen(sentence), out))
				appendStringInfoString(out, sentence);
		}
	}
}

char *
smscamp_builtin_message(const SmsLead *lead, const char *prompt,
						int temperature)
{
	StringInfoData out;
	StringInfoData body;
	static const char *const greetings[] = {"Hi", "Hello", "Hey"};
	int			g = 0;

	initStringInfo(&out);
	if (prompt && fill_template(prompt, lead, &out))
		return out.data;
	resetStringInfo(&out);

	/* a warmer temperature varies the greeting, still deterministically */
	if (temperature > 70 && lead->name)
		g = (int) (strlen(lead->name) % lengthof(greetings));

	initStringInfo(&body);
	if (prompt)
		message_sentences(prompt, &body);

	appendStringInfo(&out, "%s %s, ", greetings[g],
					 smscamp_first_name(lead->name));
	if (body.len > 0)
		appendStringInfoString(&out, body.data);
	else if (lead->company && lead->company[0])
		appendStringInfo(&out, "we have news we think %s will like. "
						 "Reply to hear more.", lead->company);
	else
		appendStringInfoString(&out, "we have news we think you will like. "
							   "Reply to hear more.");
	pfree(body.data);
	return out.data;
}

/* strip wrapping quotes, markdown marks, and collapse whitespace */
char *
smscamp_sanitize_message(const char *raw)
{
	StringInfoData out;
	const char *p = raw;
	const char *end = raw + strlen(raw);
	bool		space = false;

	while (p < end && (*p == ' ' || *p == '\n' || *p == '\r' || *p == '\t'))
		p++;
	while (end > p && (end[-1] == ' ' || end[-1] == '\n' || end[-1] == '\r'
					   || end[-1] == '\t'))
		end--;

	/* wrapping quotes: "…", '…', “…” */
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
		if (*p == '*' || *p == '`' || (*p == '_' && p + 1 < end && p[1] == '_'))
		{
			p += (*p == '_') ? 2 : 1;
			continue;
		}
		if (*p == '#' && (out.len == 0 || space))
		{
			p++;
			continue;
		}
		if (*p == ' ' || *p == '\n' || *p == '\r' || *p == '\t')
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

static bool
has_optout(const char *text)
{
	const char *p;

	for (p = text; *p; p++)
		if (pg_strncasecmp(p, "stop", 4) == 0)
			return true;
	return false;
}

static char *
with_footer(const char *text, int len, const char *footer, bool ellipsis)
{
	StringInfoData out;

	initStringInfo(&out);
	appendBinaryStringInfo(&out, text, len);
	if (ellipsis)
		appendStringInfoString(&out, "...");
	if (footer && footer[0] && !has_optout(out.data))
	{
		if (out.len > 0)
			appendStringInfoChar(&out, ' ');
		appendStringInfoString(&out, footer);
	}
	return out.data;
}

static int
segments_of(const char *text)
{
	SmsCount	count;

	smscamp_count_sms(text, strlen(text), &count);
	return count.segments;
}

/*
 * The final message: text + footer when it fits in max_segments; otherwise
 * (and *fits = false) the longest word-boundary prefix that fits with "..."
 * and the footer.
 */
char *
smscamp_fit_message(const char *text, int max_segments, const char *footer,
					bool *fits)
{
	char	   *full = with_footer(text, strlen(text), footer, false);
	int			cut;

	*fits = (max_segments <= 0 || segments_of(full) <= max_segments);
	if (*fits)
		return full;

	for (cut = strlen(text); cut > 0; cut--)
	{
		char	   *candidate;

		if (text[cut] != ' ' && text[cut] != '\0')
			continue;
		while (cut > 0 && (text[cut - 1] == ' ' || text[cut - 1] == ','))
			cut--;
		candidate = with_footer(text, cut, footer, true);
		if (segments_of(candidate) <= max_segments)
			return candidate;
		pfree(candidate);
	}
	return with_footer("", 0, footer, false);
}
