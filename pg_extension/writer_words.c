/*-------------------------------------------------------------------------
 *
 * writer_words.c
 *	  The built-in writer's words: phrases matched at word boundaries, the
 *	  lead named ("them", "the customer", "our past customers"), the prompt's
 *	  words about the lead turned into words to the lead ("their trial" ->
 *	  "your trial"), what a slot may not say, and the slots added to the plan.
 *	  Also the names, gerunds and web addresses the other files look for.
 *
 *-------------------------------------------------------------------------
 */
#include "smscamp.h"
#include "engine.h"
#include "writer_internal.h"

#include <ctype.h>

#include "lib/stringinfo.h"
#include "nodes/pg_list.h"

/* ---------------------------------------------------------------- words */

bool
is_word_char(char c)
{
	return isalnum((unsigned char) c) || c == '\'' || c == '-'
		|| (unsigned char) c >= 0x80;
}

/*
 * s starts with the phrase p, case-insensitively, ending at a word boundary;
 * *rest is what follows, blanks skipped.
 */
bool
starts(const char *s, const char *p, const char **rest)
{
	size_t		n = strlen(p);

	if (pg_strncasecmp(s, p, n) != 0)
		return false;
	if (n > 0 && is_word_char(p[n - 1]) && is_word_char(s[n]))
		return false;
	s += n;
	while (*s == ' ' || *s == ',')
		s++;
	if (rest)
		*rest = s;
	return true;
}

/* the index of the first phrase of list that s starts with, or -1 */
int
starts_any(const char *s, const char *const *list, const char **rest)
{
	int			i;

	for (i = 0; list[i]; i++)
		if (starts(s, list[i], rest))
			return i;
	return -1;
}

/* s has the word w (case-insensitive, whole word) anywhere */
bool
has_word(const char *s, const char *w)
{
	size_t		n = strlen(w);
	const char *p;

	for (p = s; *p; p++)
		if ((p == s || !is_word_char(p[-1])) && pg_strncasecmp(p, w, n) == 0
			&& !is_word_char(p[n]))
			return true;
	return false;
}

bool
has_any_word(const char *s, const char *const *words)
{
	int			i;

	for (i = 0; words[i]; i++)
		if (has_word(s, words[i]))
			return true;
	return false;
}

/* a copy of s[0..len) without blanks and commas at either end */
char *
trimmed(const char *s, int len)
{
	while (len > 0 && (*s == ' ' || *s == ',' || *s == '\t'))
		s++, len--;
	while (len > 0 && (s[len - 1] == ' ' || s[len - 1] == ','
					   || s[len - 1] == '\t' || s[len - 1] == ':'))
		len--;
	return pnstrdup(s, len);
}

/* the first word of s, lower case */
char *
first_word_lower(const char *s)
{
	int			n = 0;
	char	   *w;
	int			i;

	while (s[n] && is_word_char(s[n]))
		n++;
	w = pnstrdup(s, n);
	for (i = 0; w[i]; i++)
		w[i] = pg_tolower((unsigned char) w[i]);
	return w;
}

bool
in_list(const char *w, const char *const *list)
{
	int			i;

	for (i = 0; list[i]; i++)
		if (pg_strcasecmp(w, list[i]) == 0)
			return true;
	return false;
}

/* ---------------------------------------------------------------- the lead */

/* nouns that name the lead (singular, then the plural is tried with s) */
static const char *const lead_nouns[] = {
	"lead", "customer", "client", "recipient", "contact", "prospect", "user",
	"member", "patient", "subscriber", "guest", "parent", "donor", "candidate",
	"tenant", "student", "buyer", "homeowner", "attendee", "reader", "shopper",
	"diner", "owner", "fan", "follower", "supporter", "volunteer", "applicant",
	"visitor", "traveller", "traveler", "driver", "rider", "player", "person",
	"homebuyer", "seller", "landlord", "renter", "caller", "registrant",
	"participant", "owner", "household", "family", NULL
};

static const char *const lead_determiners[] = {
	"the", "our", "each", "every", "this", "these", "those", "all", "all our",
	"all the", "any", NULL
};

static const char *const lead_adjectives[] = {
	"past", "existing", "new", "lapsed", "former", "old", "loyal", "inactive",
	"current", "previous", "potential", "prospective", "returning", "regular",
	"vip", "recent", "registered", "local", "interested", NULL
};

/*
 * The length of a phrase at s that names the lead ("them", "the lead",
 * "our past customers", "people"), 0 when there is none. *possessive is set
 * for "the lead's" / "customers'". strict (for the business's own
 * sentences, where "members" or "everyone" are just words): only "the" or
 * "this" with one singular noun ("the customer('s)").
 */
static int
lead_phrase_in(const char *s, bool *possessive, bool strict)
{
	static const char *const pronouns[] = {
		"them all", "them", "everyone", "everybody", "people", "folks",
		"him or her", "him", NULL
	};
	static const char *const strict_determiners[] = {"the", "this", "each", NULL};
	const char *p = s;
	const char *rest;
	int			i;
	int			extra;
	bool		det = false;

	*possessive = false;
	if (!strict && (i = starts_any(p, pronouns, &rest)) >= 0)
		return strlen(pronouns[i]);
	if (starts_any(p, strict ? strict_determiners : lead_determiners, &rest) >= 0)
	{
		det = true;
		p = rest;
	}
	else if (strict)
		return 0;
	while (!strict && starts_any(p, lead_adjectives, &rest) >= 0)
		p = rest;
	/* "our top customers", "our loyal newsletter subscribers" */
	for (extra = 0; extra <= (det && !strict ? 2 : 0); extra++)
	{
		for (i = 0; lead_nouns[i]; i++)
		{
			size_t		n = strlen(lead_nouns[i]);

			if (pg_strncasecmp(p, lead_nouns[i], n) != 0)
				continue;
			if (p[n] == 's' && p[n + 1] == '\'' && !is_word_char(p[n + 2]) && !strict)
			{
				*possessive = true;
				return (p - s) + n + 2;
			}
			if (p[n] == '\'' && p[n + 1] == 's' && !is_word_char(p[n + 2]))
			{
				*possessive = true;
				return (p - s) + n + 2;
			}
			if (p[n] == 's' && !is_word_char(p[n + 1]) && !strict)
				return (p - s) + n + 1;
			if (!is_word_char(p[n]))
			{
				/* a bare singular noun needs its determiner ("Lead 5 is ...") */
				if (!det && strcmp(lead_nouns[i], "person") != 0)
					return 0;
				return (p - s) + n;
			}
			if (!strict && strcmp(lead_nouns[i], "family") == 0
				&& pg_strncasecmp(p, "families", 8) == 0 && !is_word_char(p[8]))
				return (p - s) + 8;
		}
		/* skip one word and try again */
		while (*p && is_word_char(*p))
			p++;
		if (*p != ' ')
			return 0;
		p++;
	}
	return 0;
}

int
lead_phrase(const char *s, bool *possessive)
{
	return lead_phrase_in(s, possessive, false);
}

/* ---------------------------------------------------------------- tokens */

List *
tokenize(const char *s)
{
	List	   *toks = NIL;

	while (*s)
	{
		Tok		   *t = palloc(sizeof(Tok));
		int			n = 0;

		t->word = is_word_char(s[0]);
		while (s[n] && is_word_char(s[n]) == t->word)
			n++;
		t->text = pnstrdup(s, n);
		toks = lappend(toks, t);
		s += n;
	}
	return toks;
}

/* the text of the words from index i on, for phrase matching */
static char *
rest_text(List *toks, int i)
{
	StringInfoData b;

	initStringInfo(&b);
	for (; i < list_length(toks); i++)
		appendStringInfoString(&b, ((Tok *) list_nth(toks, i))->text);
	return b.data;
}

/* how many tokens the first len bytes of rest_text(toks, i) cover */
static int
tokens_spanning(List *toks, int i, int len)
{
	int			n = 0;

	while (len > 0 && i + n < list_length(toks))
	{
		len -= strlen(((Tok *) list_nth(toks, i + n))->text);
		n++;
	}
	return n;
}

static const char *
tok_text(List *toks, int i)
{
	return (i >= 0 && i < list_length(toks)) ? ((Tok *) list_nth(toks, i))->text : "";
}

/* the next word token after i, or -1 */
static int
next_word(List *toks, int i)
{
	for (i++; i < list_length(toks); i++)
		if (((Tok *) list_nth(toks, i))->word)
			return i;
	return -1;
}

static int
prev_word(List *toks, int i)
{
	for (i--; i >= 0; i--)
		if (((Tok *) list_nth(toks, i))->word)
			return i;
	return -1;
}

/* the word paired with w (case-insensitive) in pairs, ended by {NULL}; or NULL */
static const char *
paired(const char *w, const char *const (*pairs)[2])
{
	int			i;

	for (i = 0; pairs[i][0]; i++)
		if (pg_strcasecmp(w, pairs[i][0]) == 0)
			return pairs[i][1];
	return NULL;
}

/* verbs after a subject that became "you": "he is" -> "you are" */
static const char *
agree_with_you(const char *verb)
{
	static const char *const irregular[][2] = {
		{"is", "are"}, {"was", "were"}, {"has", "have"}, {"does", "do"},
		{"isn't", "aren't"}, {"wasn't", "weren't"}, {"hasn't", "haven't"},
		{"doesn't", "don't"}, {NULL}
	};
	const char *you = paired(verb, irregular);
	size_t		n;

	if (you)
		return you;
	/* a regular third-person verb: wants -> want, tries -> try */
	n = strlen(verb);
	if (n > 3 && verb[n - 1] == 's' && verb[n - 2] != 's' && verb[n - 2] != 'u'
		&& verb[n - 2] != 'i' && !in_list(verb, (const char *const[]) {
			"always", "perhaps", "sometimes", "across", "towards", "besides",
			"this", "thus", "plus", "bus", "news", "less", "unless", "yes",
		NULL}))
	{
		if (n > 4 && verb[n - 2] == 'e' && verb[n - 3] == 'i')
			return psprintf("%.*sy", (int) n - 3, verb);
		if (n > 4 && verb[n - 2] == 'e' && (verb[n - 3] == 's' || verb[n - 3] == 'x'
											|| verb[n - 3] == 'h' || verb[n - 3] == 'z'
											|| (verb[n - 3] == 'o' && n == 4)))
			return psprintf("%.*s", (int) n - 2, verb);
		return psprintf("%.*s", (int) n - 1, verb);
	}
	return NULL;
}

/* words that end a clause before a subject: "that", "and", ... */
static const char *const clause_openers[] = {
	"that", "and", "but", "if", "when", "because", "so", "or", "whether",
	"once", "while", "since", "until", "before", "after", "as", "where", NULL
};

/* the writer's "you" (the business) as "we", and the lead's words as "you" */
static const char *const writer_yours[][2] = {
	{"your", "our"}, {"yours", "ours"}, {"yourself", "ourselves"}, {"you're", "we're"},
	{"you'll", "we'll"}, {"you've", "we've"}, {"you'd", "we'd"}, {NULL}
};
static const char *const lead_yours[][2] = {
	{"them", "you"}, {"their", "your"}, {"theirs", "yours"}, {"themselves", "yourself"},
	{"themself", "yourself"}, {"himself", "yourself"}, {"herself", "yourself"},
	{"they're", "you're"}, {"they'll", "you'll"}, {"he'll", "you'll"}, {"she'll", "you'll"},
	{"they've", "you've"}, {"they'd", "you'd"}, {"he'd", "you'd"}, {"she'd", "you'd"},
	{"his", "your"}, {"hers", "yours"}, {"him", "you"}, {NULL}
};

/*
 * Words about the lead turned into words to the lead, in one pass over the
 * words: "their trial ends" -> "your trial ends", "the lead is" -> "you
 * are". With writer_you, the prompt's "you" (the writer, i.e. the business)
 * becomes "we"/"us": "tell them you'll call" -> "we'll call".
 */
char *
to_lead(const char *text, bool writer_you)
{
	List	   *toks = tokenize(text);
	StringInfoData out;
	int			i;
	bool		subject_became_you = false;		/* the last word was such a subject */
	bool		lead_is_subject = false;	/* in this clause: "they can return them" */

	initStringInfo(&out);
	for (i = 0; i < list_length(toks); i++)
	{
		Tok		   *t = list_nth(toks, i);
		const char *w = t->text;
		int			pw = prev_word(toks, i);
		const char *prev = pw >= 0 ? tok_text(toks, pw) : "";
		bool		at_clause_start = pw < 0 || in_list(prev, clause_openers);
		bool		singular_you = false;
		const char *repl = NULL;
		bool		poss;
		int			len;

		if (!t->word)
		{
			if (strchr(w, ',') || strchr(w, ';') || strchr(w, '.') || strchr(w, ':'))
				lead_is_subject = false;
			appendStringInfoString(&out, w);
			continue;
		}
		if (in_list(w, clause_openers))
			lead_is_subject = false;

		/* a subject made "you" on the word before: the verb agrees */
		if (subject_became_you)
		{
			subject_became_you = false;
			if ((repl = agree_with_you(w)) != NULL)
			{
				appendStringInfoString(&out, repl);
				continue;
			}
		}

		/* the writer's "you": the business */
		if (writer_you)
		{
			if (pg_strcasecmp(w, "you") == 0)
				repl = at_clause_start ? "we" : "us";
			else
				repl = paired(w, writer_yours);
			if (repl)
			{
				appendStringInfoString(&out, repl);
				continue;
			}
		}

		/* pronouns of the lead ("they can return them": the second is a thing) */
		if (pg_strcasecmp(w, "them") == 0 && lead_is_subject)
			repl = NULL;
		else if (pg_strcasecmp(w, "they") == 0)
		{
			repl = "you";
			lead_is_subject = true;
		}
		else if (pg_strcasecmp(w, "he's") == 0 || pg_strcasecmp(w, "she's") == 0)
			repl = pg_strcasecmp(tok_text(toks, next_word(toks, i)), "been") == 0
				? "you've" : "you're";
		else if (pg_strcasecmp(w, "he") == 0 || pg_strcasecmp(w, "she") == 0)
		{
			repl = "you";
			singular_you = true;
			lead_is_subject = true;
		}
		else if (pg_strcasecmp(w, "her") == 0)
		{
			/* "her order" (possessive) or "remind her about" (object) */
			int			nw = next_word(toks, i);
			const char *next = nw >= 0 ? tok_text(toks, nw) : "";
			static const char *const after_object[] = {
				"about", "of", "to", "that", "for", "know", "on", "with", "back",
				"in", "at", "by", "up", "if", "whether", "and", "or", NULL
			};

			repl = (nw < 0 || nw != i + 2 || in_list(next, after_object)) ? "you" : "your";
		}
		else
			repl = paired(w, lead_yours);
		if (repl)
		{
			appendStringInfoString(&out, repl);
			subject_became_you = singular_you;
			continue;
		}

		/* a phrase naming the lead: "the customer('s)", "our members" */
		{
			char	   *rest = rest_text(toks, i);

			len = lead_phrase_in(rest, &poss, !writer_you);
			if (len > 0)
			{
				bool		plural = rest[len - 1] == 's' && !poss;

				appendStringInfoString(&out, poss ? "your" : "you");
				i += tokens_spanning(toks, i, len) - 1;
				subject_became_you = !poss && !plural;
				if (!poss && at_clause_start)
					lead_is_subject = true;
				continue;
			}
		}
		appendStringInfoString(&out, w);
	}
	return out.data;
}

/* ---------------------------------------------------------------- checks */

/* words that only make sense to a writer: a slot with one is not sent */
static const char *const writer_words[] = {
	"sms", "message", "messages", "emoji", "emojis", "tone", "prompt",
	"characters", "chars", "personalise", "personalize", "personalised",
	"personalized", "greet", "greeting", "mention", "placeholder",
	"copywriter", "assistant", "chatbot", "write", "writing", "wording",
	"sentence", "sentences", "paragraph", "hashtag", "hashtags", "exclamation",
	"recipient", "recipients", "lead", "leads", "output", "respond", "concise",
	"formatting", "markdown", "instructions", "draft", "llm",
	"gpt", "model", "template", "reply-stop", "opt-out", "optout", "outreach", NULL
};

/* words that ask a model to judge or invent what to say */
static const char *const judgement_words[] = {
	"appropriate", "appropriately", "relevant", "judgement", "judgment",
	"whatever", "something", "anything", "based", "depending", "accordingly",
	"creative", "creatively", "compelling", "persuasive", "catchy", "engaging",
	"tailor", "tailored", "customise", "customize", "adapt", "translate",
	"summarise", "summarize", "paraphrase", "rewrite", "improve", "variation",
	"variations", "etc", NULL
};

bool
slot_is_sendable(const char *slot)
{
	const char *p;

	if (slot == NULL || slot[0] == '\0')
		return false;
	if (has_any_word(slot, writer_words) || has_any_word(slot, judgement_words))
		return false;
	/* placeholders for a model to fill ("[name]", "{company}", "<link>") */
	for (p = slot; *p; p++)
		if (*p == '[' || *p == '{' || *p == '<')
			return false;
	return true;
}

/* ---------------------------------------------------------------- slots */

/* a part for the plan; true, so that a parser can return it */
bool
add_part(WriterPlan *plan, Frame frame, const char *slot, const char *clause)
{
	WriterPart *part = palloc0(sizeof(WriterPart));

	part->frame = frame;
	part->slot = slot ? pstrdup(slot) : NULL;
	part->clause = pstrdup(clause);
	plan->parts = lappend(plan->parts, part);
	return true;
}

/*
 * s without a last " to/for <the leads>" ("... to small business owners",
 * "... for existing customers"): who the message is for is not said to them.
 */
static char *
without_audience_tail(const char *s)
{
	const char *p;
	const char *cut = NULL;

	for (p = s; *p; p++)
		if (pg_strncasecmp(p, " to ", 4) == 0 || pg_strncasecmp(p, " for ", 5) == 0)
			cut = p;
	if (cut)
	{
		const char *tail = cut + (cut[1] == 't' || cut[1] == 'T' ? 4 : 5);
		const char *last = tail + strlen(tail);
		int			words = 1;
		int			i;

		for (p = tail; *p; p++)
			if (*p == ' ')
				words++;
		while (last > tail && !is_word_char(last[-1]))
			last--;
		for (p = last; p > tail && is_word_char(p[-1]); p--)
			;
		if (words <= 4)
			for (i = 0; lead_nouns[i]; i++)
			{
				size_t		n = strlen(lead_nouns[i]);

				if ((size_t) (last - p) == n + 1 && pg_strncasecmp(p, lead_nouns[i], n) == 0
					&& p[n] == 's')
					return pnstrdup(s, cut - s);
			}
	}
	return pstrdup(s);
}

/* the slot made of s, without a final period; false when it cannot be sent */
bool
add_slot_part(WriterPlan *plan, Frame frame, const char *s, bool writer_you,
			  const char *clause)
{
	char	   *slot = to_lead(without_audience_tail(s), writer_you);
	int			n = strlen(slot);

	while (n > 0 && (slot[n - 1] == '.' || slot[n - 1] == ' ' || slot[n - 1] == '!'
					 || slot[n - 1] == '?' || slot[n - 1] == ','))
		slot[--n] = '\0';
	if (!slot_is_sendable(slot))
		return false;
	add_part(plan, frame, slot, clause);
	return true;
}

/* ---------------------------------------------------------------- names */

/* a name: capitalised words ("Sam", "Priya Patel", "BrightSmile Dental") */
int
proper_name_len(const char *s)
{
	const char *p = s;
	int			words = 0;
	const char *end = s;

	for (;;)
	{
		const char *w = p;

		if (!(isupper((unsigned char) *p) || isdigit((unsigned char) *p)
			  || (unsigned char) *p >= 0x80))
			break;
		while (is_word_char(*p) || *p == '&' || *p == '.')
			p++;
		if (p[-1] == '.')		/* "Acme." ends the sentence */
			p--;
		if (p == w)
			break;
		end = p;
		words++;
		/* "Sam at Acme": stop at a small word; "Smith & Co" goes on */
		if (pg_strncasecmp(p, " & ", 3) == 0)
			p += 3;
		else if (*p == ' ' && (isupper((unsigned char) p[1]) || (unsigned char) p[1] >= 0x80))
			p++;
		else if (pg_strncasecmp(p, " of ", 4) == 0 && isupper((unsigned char) p[4]))
			p += 4;
		else
			break;
	}
	return words ? end - s : 0;
}

/* past tense to the gerund: "ordered" -> "ordering", "made" -> "making" */
char *
gerund_of(const char *past)
{
	static const char *const irregular[][2] = {
		{"bought", "buying"}, {"made", "making"}, {"came", "coming"},
		{"gave", "giving"}, {"took", "taking"}, {"spent", "spending"},
		{"chose", "choosing"}, {"went", "going"}, {"got", "getting"},
		{"joined", "joining"}, {"left", "leaving"}, {"paid", "paying"},
		{"sent", "sending"}, {"signed", "signing"}, {"stayed", "staying"},
		{NULL, NULL}
	};
	int			n = strlen(past);
	int			i;

	for (i = 0; irregular[i][0]; i++)
		if (pg_strcasecmp(past, irregular[i][0]) == 0)
			return pstrdup(irregular[i][1]);
	if (n < 4 || strcmp(past + n - 2, "ed") != 0)
		return NULL;
	if (strcmp(past + n - 3, "ied") == 0)
		return psprintf("%.*sying", n - 3, past);	/* tried -> trying */
	/* ordered -> ordering, loved -> loving, shopped -> shopping */
	return psprintf("%.*sing", n - 2, past);
}

/* a web address: "https://...", "www...", or a bare "acme.co.uk/book" */
static int
url_len(const char *p)
{
	int			n = 0;
	int			dots = 0;
	int			label = 0;		/* letters in the last label */
	bool		alpha_label = true;

	if (pg_strncasecmp(p, "http://", 7) == 0 || pg_strncasecmp(p, "https://", 8) == 0
		|| pg_strncasecmp(p, "www.", 4) == 0)
	{
		while (p[n] && p[n] != ' ' && p[n] != ')' && p[n] != ',')
			n++;
	}
	else
	{
		/* host: labels of letters, digits and '-', the last of 2+ letters */
		while (isalnum((unsigned char) p[n]) || p[n] == '-' || p[n] == '.')
		{
			if (p[n] == '.')
			{
				dots++;
				label = 0;
				alpha_label = true;
			}
			else
			{
				label++;
				if (!isalpha((unsigned char) p[n]))
					alpha_label = false;
			}
			n++;
		}
		while (n > 0 && p[n - 1] == '.')
		{
			n--;
			dots--;
		}
		if (dots < 1 || label < 2 || !alpha_label || p[n - 1] == '.' || !isalpha((unsigned char) p[0]))
			return 0;
		if (p[n] == '/')
			while (p[n] && p[n] != ' ' && p[n] != ')' && p[n] != ',')
				n++;
	}
	while (n > 0 && (p[n - 1] == '.' || p[n - 1] == '!' || p[n - 1] == '?'))
		n--;
	return n;
}

/* the URL in s, or NULL */
char *
find_url(const char *s)
{
	const char *p;

	for (p = s; *p; p++)
	{
		int			n;

		if ((p == s || p[-1] == ' ' || p[-1] == '(' || p[-1] == ':')
			&& (n = url_len(p)) > 0)
			return pnstrdup(p, n);
	}
	return NULL;
}
