/*-------------------------------------------------------------------------
 *
 * writer.c
 *	  The built-in writer: the offline path from a campaign's prompt (the
 *	  instructions meant for an AI model) to one message per lead. It never
 *	  sends text it did not understand.
 *
 * Vocabulary:
 *	  prompt	  the campaign's sms_system_prompt, written for an AI model
 *	  sentence	  a piece of the prompt ended by . ! ? ; or a new line
 *	  clause	  a sentence cut before each further instruction ("... and
 *				  offer a call" is two clauses)
 *	  plan		  what the writer understood of the whole prompt: the sender,
 *				  the parts of the message, the style wishes it honours, or
 *				  the clause it could not understand (then nothing is written)
 *	  part		  one sentence of the message: a frame and its slot
 *	  frame		  a way of saying one kind of thing ("you're invited to %s."),
 *				  with equivalent phrasings picked by the temperature
 *	  slot		  the prompt's words for that frame, turned from words about
 *				  the lead into words to the lead ("their trial" -> "your
 *				  trial", "call you back" -> "call us back")
 *	  style		  a clause for the writer only ("Keep it short", "no emojis",
 *				  "mention their company"): understood and not sent
 *	  context	  a clause describing the lead ("They are a dentist."): not
 *				  sent and not needed by this writer; the plan lists it
 *
 * A clause is understood when it is a sender ("You are Sam from Acme"), a
 * style wish, an instruction the writer knows (invite, remind, thank,
 * announce, offer, ask, tell, confirm, welcome, ...), a call to action
 * addressed to the lead ("Reply YES to save a seat"), or a plain sentence of
 * the business to the lead ("Our sale starts Monday."). Anything else makes
 * the whole plan fail with that clause quoted: the caller answers 422 (a
 * preview, a start) or fails the lead; never a guess.
 *
 * The message: "Hi <first name>, " + "it's <sender>. " + the parts in the
 * prompt's order, one sentence about the lead's company where it fits (a
 * sales message, or when the prompt asks for it), and the calls to action
 * last. At temperature 0 every frame uses its first phrasing; higher
 * temperatures pick among the others, deterministically per lead.
 *
 * The writer's files:
 *	  writer.c				the plan: the prompt cut into sentences and clauses
 *	  writer_clause.c		one clause understood, or not
 *	  writer_persona.c		the sender, the persona, the audience, the style
 *	  writer_heading.c		labels ("Offer: 20% off") and headings
 *	  writer_instruction.c	the instructions (invite, remind, ask, ...)
 *	  writer_words.c		words, the lead named, "their" -> "your", slots
 *	  writer_compose.c		the message, the frames' phrasings, the plan as JSON
 *	  writer_internal.h		what they share
 *
 *-------------------------------------------------------------------------
 */
#include "smscamp.h"
#include "engine.h"
#include "writer_internal.h"

#include <ctype.h>

#include "nodes/pg_list.h"

/* ---------------------------------------------------------------- splitting */

static bool
is_abbreviation_before(const char *start, const char *dot)
{
	static const char *const abbr[] = {
		"mr", "mrs", "ms", "dr", "st", "e.g", "i.e", "etc", "a.m", "p.m",
		"vs", "no", "approx", "inc", "ltd", "co", "jan", "feb", "mar", "apr",
		"jun", "jul", "aug", "sep", "sept", "oct", "nov", "dec", "mon", "tue",
		"tues", "wed", "thu", "thur", "thurs", "fri", "sat", "sun", "ave",
		"rd", "mt", "prof", "sr", "jr", "u.s", "u.k", NULL
	};
	const char *w = dot;
	int			i;

	while (w > start && (is_word_char(w[-1]) || w[-1] == '.'))
		w--;
	for (i = 0; abbr[i]; i++)
		if ((size_t) (dot - w) == strlen(abbr[i]) && pg_strncasecmp(w, abbr[i], dot - w) == 0)
			return true;
	/* a single initial: "J. Smith" */
	return dot - w == 1 && isupper((unsigned char) *w);
}

/* the prompt as sentences (char *), bullets and numbering removed */
static List *
split_sentences(const char *prompt)
{
	List	   *out = NIL;
	const char *p = prompt;

	while (*p)
	{
		const char *start;
		const char *end;

		while (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r')
			p++;
		/* "- ", "* ", "1. ", "2) ", bullets */
		if ((*p == '-' || *p == '*' || *p == '+') && p[1] == ' ')
			p += 2;
		else if (strncmp(p, "\xE2\x80\xA2", 3) == 0)
			p += 3;
		else if (isdigit((unsigned char) *p))
		{
			const char *d = p;

			while (isdigit((unsigned char) *d))
				d++;
			if ((*d == '.' || *d == ')') && d[1] == ' ')
				p = d + 2;
		}
		while (*p == ' ')
			p++;
		start = p;
		while (*p && *p != '\n')
		{
			if ((*p == '.' || *p == '!' || *p == '?' || *p == ';')
				&& (p[1] == '\0' || p[1] == ' ' || p[1] == '\n' || p[1] == '\r'
					|| p[1] == '"' || p[1] == '\'')
				&& !(*p == '.' && is_abbreviation_before(start, p)))
			{
				/* keep a closing quote with its sentence */
				if (p[1] == '"' || p[1] == '\'')
					p++;
				p++;
				break;
			}
			/* a quoted passage is one piece */
			if (*p == '"')
			{
				const char *close = strchr(p + 1, '"');

				if (close && !memchr(p, '\n', close - p))
				{
					p = close + 1;
					continue;
				}
			}
			p++;
		}
		end = p;
		while (end > start && (end[-1] == ' ' || end[-1] == '\r'))
			end--;
		if (end > start)
			out = lappend(out, pnstrdup(start, end - start));
	}
	return out;
}

/*
 * A sentence cut before each further instruction: "Greet them, mention
 * their company, and invite them to reply" -> three clauses.
 */
static List *
split_clauses(const char *sentence)
{
	/* where a sentence may be cut, and what the clause after it may start with */
	static const char *const joins[] = {
		", and then ", ", and also ", ", and ", " and then ", " and also ", " and ",
		", then ", " then ", ", also ", ", plus ", " - ", NULL
	};
	static const char *const not_after[] = {
		"get", "be", "use", "end", "close", "note", "put", "drive", "push", "present", NULL
	};
	static const char *const style_after[] = {
		"no emojis", "no emoji", "no hashtags", "no links", "plain text", "one message",
		"under ", "keep it", "be ", "use a ", "use their", "make it", "make sure", NULL
	};
	List	   *out = NIL;
	const char *start = sentence;
	const char *p;
	bool		in_quote = false;
	int			len = strlen(sentence);
	int			i;

	/* the final punctuation is not part of any clause */
	while (len > 0 && strchr(".!;", sentence[len - 1]))
		len--;
	for (p = sentence; p < sentence + len; p++)
	{
		const char *after = NULL;

		if (*p == '"')
			in_quote = !in_quote;
		if (in_quote)
			continue;
		for (i = 0; joins[i] && after == NULL; i++)
			if (pg_strncasecmp(p, joins[i], strlen(joins[i])) == 0)
				after = p + strlen(joins[i]);
		if (after == NULL && *p == ',' && p[1] == ' ')
			after = p + 2;
		else if (after == NULL && *p == ':' && p[1] == ' ' && p - start > 30)
			after = p + 2;
		if (after == NULL)
			continue;
		/* cut only where an instruction (or style, or a CTA) begins */
		if ((starts_any(after, instruction_verbs, NULL) >= 0
			 && starts_any(after, not_after, NULL) < 0)
			|| (*p == ',' && starts(after, "no", NULL))
			|| starts_any(after, style_after, NULL) >= 0
			|| (*p != ',' && starts(after, "reply", NULL))
			|| (*p != ',' && starts(after, "call us", NULL)))
		{
			out = lappend(out, trimmed(start, p - start));
			start = after;
			p = after - 1;
		}
	}
	out = lappend(out, trimmed(start, sentence + len - start));
	return out;
}

/* ---------------------------------------------------------------- the plan */

static WriterPlan *
plan_failure(WriterPlan *plan, const char *what)
{
	plan->error = pstrdup(what);
	return plan;
}

/* whether a text reads as English: enough of its words are common English ones */
static bool
looks_english(const char *text)
{
	static const char *const common[] = {
		"the", "to", "and", "our", "your", "you", "is", "are", "for", "on", "at",
		"with", "of", "this", "it", "be", "will", "can", "we", "they", "them",
		"their", "that", "in", "by", "from", "if", "or", "not", "please",
		"have", "has", "my", "me", "i", "an", "all", "any", "as", "do", "get",
		"just", "new", "now", "only", "out", "so", "up", "was", "what", "when",
		"who", "would", "about", "next", "us", "it's", "we're", "don't",
		"reply", "free", "book", "thanks", "thank", "week", "today", "tomorrow",
		"off", "invite", "remind", "ask", "tell", "let", "know", "message", NULL
	};
	List	   *toks = tokenize(text);
	ListCell   *lc;
	int			words = 0;
	int			hits = 0;

	foreach(lc, toks)
	{
		Tok		   *t = lfirst(lc);

		if (!t->word || !isalpha((unsigned char) t->text[0]))
			continue;
		words++;
		if (in_list(t->text, common))
			hits++;
	}
	if (words < 5)
		return true;
	/* "Envía un recordatorio a cada cliente", "Schreiben Sie eine Nachricht" */
	{
		static const char *const foreign[] = {
			"de", "la", "el", "los", "las", "un", "una", "y", "en", "con", "por",
			"para", "su", "sus", "der", "die", "das", "und", "mit", "für", "zu",
			"sie", "eine", "einen", "ein", "ist", "le", "les", "des", "et", "pour",
			"avec", "vous", "votre", "il", "che", "di", "per", "non", "een", "het",
			"van", "op", "je", "est", "du", "à", "para", "sobre", "não", "uma",
			"é", "com", NULL
		};
		int			foreign_hits = 0;

		foreach(lc, toks)
		{
			Tok		   *t = lfirst(lc);

			if (t->word && in_list(t->text, foreign))
				foreign_hits++;
		}
		if (foreign_hits >= 2 && foreign_hits > hits)
			return false;
	}
	/* fragments ("Interview confirmation: Monday 10am, 45 Queen Street") are English too */
	return true;
}

WriterPlan *
smscamp_writer_plan(const char *prompt, const char *sender_name)
{
	WriterPlan *plan = palloc0(sizeof(WriterPlan));
	ListCell   *lc;
	ListCell   *lc2;
	bool		content = false;

	if (sender_name && sender_name[0])
	{
		plan->sender_person = NULL;
		plan->sender_org = pstrdup(sender_name);	/* said as given */
	}
	if (prompt == NULL || strspn(prompt, " \t\r\n") == strlen(prompt))
		return plan_failure(plan,
							"there is no prompt: the built-in writer needs to be told what to say");

	if (!looks_english(prompt))
		return plan_failure(plan,
							"the prompt does not read as English, the only language it understands");
	foreach(lc, split_sentences(prompt))
	{
		char	   *sentence = lfirst(lc);

		foreach(lc2, split_clauses(sentence))
		{
			char	   *clause = lfirst(lc2);
			char	   *sender_person = plan->sender_person;
			char	   *sender_org = plan->sender_org;

			if (clause[0] == '\0')
				continue;
			if (!understand_clause(plan, clause))
			{
				plan->sender_person = sender_person;
				plan->sender_org = sender_org;
				return plan_failure(plan,
									psprintf("it did not understand \"%s\"", clause));
			}
		}
	}
	foreach(lc, plan->parts)
	{
		WriterPart *part = lfirst(lc);

		if (part->frame != F_REPLY && part->frame != F_THANK && part->frame != F_WELCOME)
			content = true;
	}
	if (!content)
		return plan_failure(plan,
							plan->parts
							? "the prompt asks for a reply but does not say what the message is about"
							: "the prompt says how to write but not what the message should say");
	/* the names in a sender given as the campaign's sender_name win */
	if (sender_name && sender_name[0])
	{
		plan->sender_person = NULL;
		plan->sender_org = pstrdup(sender_name);
	}
	return plan;
}

const char *
smscamp_writer_plan_error(const WriterPlan *plan)
{
	return plan->error;
}

/* "Sam from Acme", "Acme", or NULL */
char *
smscamp_writer_plan_sender(const WriterPlan *plan)
{
	if (plan->sender_person && plan->sender_org)
		return psprintf("%s from %s", plan->sender_person, plan->sender_org);
	if (plan->sender_person)
		return pstrdup(plan->sender_person);
	if (plan->sender_org)
		return pstrdup(plan->sender_org);
	return NULL;
}
