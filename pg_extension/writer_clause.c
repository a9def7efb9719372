/*-------------------------------------------------------------------------
 *
 * writer_clause.c
 *	  One clause of the prompt understood: understand_clause() tries, in turn,
 *	  a label, a quoted message, the persona, a heading, a style wish, "Write
 *	  (them) a short SMS ...", who it is for, an instruction, a question, a
 *	  signature, a call to action, context about the lead, and the business's
 *	  own sentence; a clause none of them takes makes the plan fail.
 *
 *-------------------------------------------------------------------------
 */
#include "smscamp.h"
#include "engine.h"
#include "writer_internal.h"

#include <ctype.h>

#include "nodes/pg_list.h"

static const char *const discourse[] = {
	"hi there", "hello there", "hey there", "hi", "hello", "hey", "pls", "plz",
	"thx", "thanks", "ok so", "ok", "okay", "so",
	"please", "also", "then", "and then", "and also", "and", "finally",
	"lastly", "kindly", "just", "additionally", "plus", "oh and", "next",
	"first", "firstly", "second", "secondly", "third", "thirdly", "after that",
	"afterwards", "and finally", "ps", "p.s.", "important:", "note:", NULL
};

/* "Your goal is to ...", "I want you to ...", "The message should ..." */
static const char *const request_wrappers[] = {
	"your goal is to", "your job is to", "your task is to", "your aim is to",
	"your role is to", "your mission is to", "the goal is to", "the aim is to",
	"the task is to", "the purpose is to", "the idea is to", "the point is to",
	"goal: to", "goal:", "task:", "purpose:", "objective:", "aim:",
	"i want you to", "i need you to", "i'd like you to", "i would like you to",
	"we want you to", "we need you to", "we'd like you to", "we would like you to",
	"can you", "could you", "would you", "will you", "help me", "help us",
	"you should", "you must", "you need to", "you will", "you'll", "you have to",
	"the message should", "the message must", "the message will",
	"the message needs to", "the text should", "the sms should", "messages should",
	"it should", "it must", "it needs to", "this message should",
	"each message should", "every message should", "make it", NULL
};

/* ---------------------------------------------------------------- sentences */

/*
 * A sentence whose subject is the lead and that describes it ("They are a
 * dentist." "The lead cancelled last month."): context for a model, not to
 * be said. "They can rebook online" is not context: it is news for them.
 */
static bool
is_context(const char *s)
{
	bool		poss;
	const char *rest;
	int			n;
	static const char *const subjects[] = {
		"they", "he", "she", NULL
	};
	static const char *const contractions[] = {
		"they're", "he's", "she's", "they've", NULL
	};

	if (starts_any(s, contractions, &rest) >= 0)
		return true;
	if (starts_any(s, subjects, &rest) < 0)
	{
		n = lead_phrase(s, &poss);
		if (n == 0 || poss)
			return false;
		rest = s + n;
		while (*rest == ' ')
			rest++;
	}
	/* "they who ...", "customers who ...": an audience */
	if (starts(rest, "who", NULL) || starts(rest, "that", NULL) || starts(rest, "with", NULL))
		return true;
	if (starts_any(rest, modals, NULL) >= 0)
		return false;
	/* "Parents evening is on Wed": a name, not the lead doing something */
	{
		char	   *w = first_word_lower(rest);
		size_t		m = strlen(w);
		static const char *const verbs[] = {
			"is", "are", "was", "were", "has", "have", "had", "like", "likes",
			"want", "wants", "live", "lives", "work", "works", "prefer",
			"prefers", "came", "went", "use", "uses", "love", "loves", "own",
			"owns", "run", "runs", "recently", "already", "never", "often",
			"usually", "just", "last", "previously", "once", "always", NULL
		};

		return in_list(w, verbs) || (m > 3 && strcmp(w + m - 2, "ed") == 0);
	}
}

/* verbs that start an instruction to the writer this writer does not know */
const char *const writer_verbs[] = {
	"write", "make", "create", "compose", "draft", "craft", "generate",
	"produce", "explain", "describe", "summarise", "summarize", "translate",
	"convert", "rewrite", "rephrase", "use", "focus", "target", "address",
	"greet", "mention", "include", "insert", "put", "list", "state",
	"emphasise", "emphasize", "highlight", "stress", "engage", "message",
	"ping", "nudge", "drive", "encourage", "convince", "persuade", "sell",
	"pitch", "push", "promote", "advertise", "market", "respond", "answer",
	"handle", "deal", "manage", "personalise", "personalize", "adapt",
	"tailor", "customise", "customize", "think", "consider", "figure",
	"decide", "choose", "pick", "select", "avoid", "keep", "be", "sound",
	"stay", "limit", "end", "begin", "close", "finish", "format", "structure",
	"provide", "offer", "invite", "remind", "ask", "thank", "follow",
	"request", "welcome", "wish", "congratulate", "apologise", "apologize",
	"announce", "introduce", "notify", "inform", "let", "warn", "update",
	"reassure", "assure", "showcase", "feature", "cover", "discuss",
	"outline", "detail", "elaborate", "expand", "shorten", "cut", "remove",
	"delete", "replace", "change", "improve", "optimise", "optimize", "do",
	"speak", "talk", "act", "pretend", "imagine", "refer", "reference",
	"cite", "quote", "direct", "point", "redirect", "steer", "guide", "help",
	"assist", "serve", "segment", "identify", "find", "tell", "say", "note",
	"add", "reach", "send", "text", "contact", "email", "draw", "hook",
	"grab their", "capture", "convey", "communicate", "express", "paraphrase",
	"imply", "suggest", "propose", "frame", "position", "phrase", "word",
	"craft", "aim", "ensure", "re-engage", "reengage", "win", "upsell",
	"cross-sell", "pls", "plz", NULL
};

/*
 * The business's own sentence to the lead: "Our sale starts Monday.",
 * "Walk-ins welcome until 6pm.", "Total is 184.50.", "If you need more
 * time, just reply." Not an instruction (no verb of the writer's first, no
 * writer's words, nothing a model is asked to judge).
 */
bool
is_literal(const char *s)
{
	char	   *w = first_word_lower(s);

	static const char *const about_lead[] = {
		"lead", "leads", "customer", "client", "recipient", "recipients",
		"prospect", "subscriber", NULL
	};

	if (has_any_word(s, about_lead))
		return false;
	if (in_list(w, writer_verbs) && !starts(s, "offer ends", NULL)
		&& !starts(s, "offer valid", NULL) && !starts(s, "offers", NULL))
		return false;
	/* "The message should ...", "Our goal is to get them ..." */
	if (has_word(s, "should") || has_word(s, "goal") || has_word(s, "task")
		|| has_word(s, "want you") || has_word(s, "need you") || has_word(s, "you should")
		|| has_word(s, "make sure") || has_word(s, "try to") || has_word(s, "you must")
		|| has_word(s, "you can mention") || has_word(s, "feel free to"))
		return false;
	return slot_is_sendable(s);
}

/* a whole quoted message in the prompt: 'Say "Doors open at 9."' */
static char *
quoted_message(const char *s)
{
	const char *open = NULL;
	const char *close = NULL;
	const char *p;
	int			words = 1;

	for (p = s; *p; p++)
	{
		if (*p == '"' || strncmp(p, "\xE2\x80\x9C", 3) == 0)
		{
			open = p + (*p == '"' ? 1 : 3);
			break;
		}
	}
	if (open == NULL)
		return NULL;
	for (p = open; *p; p++)
	{
		if (*p == '"' || strncmp(p, "\xE2\x80\x9D", 3) == 0)
		{
			close = p;
			break;
		}
		if (*p == ' ')
			words++;
	}
	if (close == NULL || words < 3)
		return NULL;
	return pnstrdup(open, close - open);
}

/*
 * The clause without a trailing manner for the writer: "... on Saturday in a
 * short, friendly SMS" -> "... on Saturday"; "..., in a warm tone".
 */
static char *
without_manner(const char *s)
{
	static const char *const opens[] = {
		" in a ", " in an ", " in one ", " as a ", " as an ", " via ", " by sms",
		", in a ", ", in an ", " using a ", " with a ", NULL
	};
	static const char *const nouns[] = {
		"sms", "message", "text", "tone", "way", "manner", "voice", "style",
		"note", "sentence", "sentences", "words", "texts", "messages", NULL
	};
	int			len = strlen(s);
	int			i;
	int			k;

	for (i = len - 1; i > 0; i--)
		for (k = 0; opens[k]; k++)
		{
			int			ol = strlen(opens[k]);
			int			n;

			if (i + ol > len || pg_strncasecmp(s + i, opens[k], ol) != 0)
				continue;
			for (n = 0; nouns[n]; n++)
			{
				int			nl = strlen(nouns[n]);

				if (len - nl > i && pg_strncasecmp(s + len - nl, nouns[n], nl) == 0
					&& !is_word_char(s[len - nl - 1]))
				{
					const char *p;
					int			words = 1;

					/* "Write in a casual tone" is all manner: kept for is_style */
					for (p = s; p < s + i; p++)
						if (*p == ' ')
							words++;
					return words >= 3 ? pnstrdup(s, i) : pstrdup(s);
				}
			}
			if (strcmp(opens[k], " by sms") == 0 && i + ol == len)
				return pnstrdup(s, i);
		}
	return pstrdup(s);
}

/* ---------------------------------------------------------------- the clause */

/*
 * One clause: true when understood (its part, style, sender or context is
 * in the plan); false leaves the plan unchanged but for a partial sender.
 */
bool
understand_clause(WriterPlan *plan, const char *clause)
{
	const char *s = clause;
	const char *rest;
	const char *goes_on;
	char	   *q;
	bool		understood;
	int			i;

	while (starts_any(s, discourse, &rest) >= 0 && rest != s)
		s = rest;
	if (*s == '\0')
		return true;
	if (strchr(s, ':') == NULL)
		s = without_manner(s);

	/* "Tone: warm", "Offer: 20% off" */
	if (understand_label(plan, s, &understood))
		return understood;

	/* 'Say "Doors open at 9am on Saturday."' */
	if ((q = quoted_message(s)) != NULL)
	{
		char	   *lit = to_lead(q, false);

		if (!slot_is_sendable(lit))
			return false;
		add_part(plan, F_LITERAL, psprintf("%s%s", lit,
										   strchr(".!?", lit[strlen(lit) - 1]) ? "" : "."),
				 clause);
		return true;
	}

	/* the writer's persona, maybe going on with what to write */
	if (understand_persona(plan, s, &goes_on))
		return goes_on == NULL || understand_clause(plan, goes_on);

	/* "Friendly reminder: ..." is a heading before it is a style */
	if (understand_heading(plan, s, clause))
		return true;

	if (is_style(plan, s))
	{
		plan->style = lappend(plan->style, pstrdup(clause));
		return true;
	}

	/* "Your goal is to invite ...", "I want you to remind ..." */
	if (starts_any(s, request_wrappers, &rest) >= 0 && *rest)
		return understand_clause(plan, rest);

	/* "Write (them) a short friendly SMS inviting them to ..." */
	{
		static const char *const write_verbs[] = {
			"write", "compose", "draft", "create", "craft", "generate", "send",
			"produce", "put together", "come up with", "text", "writing",
			"sending", "composing", "drafting", "need", "i need", "we need",
			"i want", "we want", "i'd like", "we'd like", "make", NULL
		};
		static const char *const fillers[] = {
			"a", "an", "one", "short", "quick", "brief", "friendly", "warm",
			"casual", "polite", "professional", "personal", "personalised",
			"personalized", "fun", "upbeat", "simple", "concise", "little",
			"nice", "gentle", "cheerful", "punchy", "engaging", "clear",
			"single", "courteous", "formal", "informal", "kind", "helpful",
			"positive", "sms-length", "2-line", "two-line", "one-line", "and",
			"but", "yet", "very", "really", "super", "sweet", "thoughtful",
			"respectful", "empathetic", "urgent", "exciting", "catchy",
			"follow-up", "plain", NULL
		};

		if (starts_any(s, write_verbs, &rest) >= 0)
		{
			bool		poss;
			int			n;
			const char *p = rest;

			if ((n = lead_phrase(p, &poss)) > 0 && !poss)
			{
				p += n;
				while (*p == ' ' || *p == ',')
					p++;
			}
			while (starts_any(p, fillers, &rest) >= 0)
				p = rest;
			/* "a last-chance reminder", "a heartfelt thank-you": up to 3 more words */
			{
				const char *q = p;
				int			skip;

				for (skip = 0; skip < 3; skip++)
				{
					int			m;

					for (m = 0; message_nouns[m]; m++)
						if (starts(q, message_nouns[m], NULL))
							break;
					if (message_nouns[m] || !islower((unsigned char) *q))
						break;
					while (*q && is_word_char(*q))
						q++;
					while (*q == ' ' || *q == ',')
						q++;
				}
				for (i = 0; message_nouns[i]; i++)
					if (starts(q, message_nouns[i], NULL))
					{
						p = q;
						break;
					}
			}
			for (i = 0; message_nouns[i]; i++)
				if (starts(p, message_nouns[i], &rest))
				{
					char	   *then = after_message_noun(plan, rest, message_nouns[i]);

					if (then)
						return understand_clause(plan, then);
					/* "Write a short friendly SMS." says how, not what */
					if (*rest == '\0')
					{
						plan->style = lappend(plan->style, pstrdup(clause));
						return true;
					}
					return false;
				}
			/* "text them about ..." */
			if (starts(s, "text", NULL) && (starts(p, "about", &rest)))
				return parse_instruction(plan, psprintf("tell them about %s", rest), clause);
			/* "write to our subscribers letting them know ..." */
			if (starts(p, "to", NULL) || starts(p, "for", NULL))
			{
				char	   *then = after_message_noun(plan, p, "message");

				if (then && then[0])
					return understand_clause(plan, then);
			}
		}
	}

	/* "Text customers who haven't visited in 2 months": who it is for */
	{
		static const char *const aims[] = {
			"text", "message", "contact", "reach out to", "send this to",
			"send it to", "send to", "write to", "target", "targeting", "for",
			"aimed at", "this is for", "this goes to", "sending to", "to",
			"audience:", "recipients:", "audience is", "the audience is", NULL
		};
		char	   *org, *verb, *object;
		int			n;

		if (starts_any(s, aims, &rest) >= 0 && (n = audience(rest, &org, &verb, &object)) > 0
			&& rest[n] == '\0')
		{
			if (org && !plan->sender_org)
				plan->sender_org = org;
			plan->context = lappend(plan->context, pstrdup(clause));
			return true;
		}
		/* "Reach out (to them) about a Senior React Developer role" */
		if (starts(s, "reach out", &rest) || starts(s, "get in touch", &rest))
		{
			bool		poss;

			if (starts(rest, "to", &rest) || starts(rest, "with", &rest))
			{
				n = lead_phrase(rest, &poss);
				rest += n;
				while (*rest == ' ')
					rest++;
			}
			if (starts(rest, "about", &rest) || starts(rest, "regarding", &rest))
				return add_slot_part(plan, F_TELL_ABOUT, rest, true, clause);
		}
	}

	/* "Politely remind the customer ..." */
	{
		static const char *const manners[] = {
			"politely", "gently", "kindly", "warmly", "briefly", "quickly",
			"nicely", "quietly", "subtly", "casually", "firmly", "professionally",
			"personally", "simply", "clearly", "softly", "tactfully", "cheerfully",
			"enthusiastically", "respectfully", "sincerely", "urgently", NULL
		};
		char	   *w = first_word_lower(s);
		size_t		n = strlen(w);

		if (in_list(w, manners) && s[n] == ' ' && starts_any(s + n + 1, instruction_verbs, NULL) >= 0)
			s += n + 1;
	}

	if (starts_any(s, instruction_verbs, NULL) >= 0 && parse_instruction(plan, s, clause))
		return true;

	/* "Would they be open to a 15-minute call next week?" */
	if (s[strlen(s) - 1] == '?')
	{
		static const char *const aux[] = {
			"would", "could", "can", "are", "do", "will", "have", "is", "does",
			"did", "were", "might", NULL
		};

		if (starts_any(s, aux, &rest) >= 0
			&& (starts(rest, "they", NULL) || starts(rest, "he", NULL) || starts(rest, "she", NULL)
				|| starts(rest, "the lead", NULL) || starts(rest, "the customer", NULL)))
			return add_slot_part(plan, F_QUESTION, s, false, clause);
		if (has_word(s, "you") && !has_word(s, "our"))
			return false;		/* "Can you make it friendlier?" */
	}

	if (understand_signature(plan, s))
		return true;

	/* "Reply YES to save a seat." "Visit acme.com/demo." */
	if (is_lead_cta(s))
	{
		char	   *url = find_url(s);

		if (url && strlen(url) + 3 >= strlen(s))
		{
			add_part(plan, F_LINK, url, clause);
			return true;
		}
		return add_slot_part(plan, F_CTA, s, false, clause);
	}

	if (is_context(s))
	{
		plan->context = lappend(plan->context, pstrdup(clause));
		return true;
	}

	/* "Our spring sale starts Monday." "Their order has shipped." */
	if (is_literal(s))
	{
		char	   *lit = to_lead(s, false);
		int			n = strlen(lit);

		if (!slot_is_sendable(lit) || (starts(s, "i", NULL) && !plan->sender_person)
			|| (starts(s, "i'm", NULL) && !plan->sender_person))
			return false;
		add_part(plan, F_LITERAL,
				 psprintf("%s%s", lit, strchr(".!?", lit[n - 1]) ? "" : "."), clause);
		return true;
	}
	return false;
}
