/*-------------------------------------------------------------------------
 *
 * writer_persona.c
 *	  Who the message is from and how to write it: the sender ("Sam from
 *	  Acme"), the writer's persona ("You are Sam, a sales rep at Acme"), a
 *	  signature ("- Hillcrest Academy"), who the messages go to ("customers
 *	  who haven't visited in 2 months"), the style wishes ("Keep it short",
 *	  "no emojis") and what a "Write a short SMS ..." goes on to ask for.
 *
 *-------------------------------------------------------------------------
 */
#include "smscamp.h"
#include "engine.h"
#include "writer_internal.h"

#include <ctype.h>

#include "nodes/pg_list.h"

/* ---------------------------------------------------------------- the sender */

/* roles a persona may name: "a sales rep", "the receptionist" */
static const char *const role_words[] = {
	"assistant", "rep", "representative", "agent", "copywriter", "marketer",
	"manager", "receptionist", "coordinator", "consultant", "advisor",
	"adviser", "specialist", "writer", "helper", "bot", "chatbot", "expert",
	"associate", "owner", "founder", "director", "team", "person", "member",
	"recruiter", "organiser", "organizer", "host", "concierge", "ai",
	"salesperson", "account", "executive", "officer", "volunteer", "nurse",
	"doctor", "dentist", "stylist", "trainer", "coach", "teacher", NULL
};

/* the words that link a person or a role to the business: "Sam from Acme" */
static const char *const org_links[] = {
	"from", "at", "with", "for", "of", "on behalf of", "representing",
	"working for", "working at", "who works at", "who works for", NULL
};

/* s from its first word that links to the business ("rep at Acme" -> "at Acme") */
static const char *
at_org_link(const char *s)
{
	while (*s && starts_any(s, org_links, NULL) < 0)
	{
		while (*s && *s != ' ')
			s++;
		while (*s == ' ')
			s++;
	}
	return s;
}

/*
 * "Sam from Acme", "Priya, the receptionist at BrightSmile Dental", "a sales
 * rep for Acme", "the Riverside team", "Acme": sets the plan's sender. false
 * when s does not name one.
 */
bool
parse_sender(WriterPlan *plan, const char *s)
{
	const char *p = s;
	const char *rest;
	int			n;
	char	   *person = NULL;
	char	   *org = NULL;
	static const char *const articles[] = {"a", "an", "the", "our", "their", NULL};

	/* "the Riverside team", "the team at Acme" */
	if (starts(p, "the", &rest) && (n = proper_name_len(rest)) > 0)
	{
		const char *after = rest + n;

		if (starts(after + (*after == ' '), "team", NULL))
		{
			plan->sender_org = psprintf("the %.*s team", n, rest);
			return true;
		}
	}
	if ((n = proper_name_len(p)) > 0)
	{
		char	   *name = pnstrdup(p, n);

		p += n;
		while (*p == ' ' || *p == ',')
			p++;
		/* ", a sales rep at Acme" / ", the receptionist at" / ", manager at" */
		if (starts_any(p, articles, &rest) >= 0
			|| (p[-1] == ' ' && p[-2] == ',' && islower((unsigned char) *p) && (rest = p)))
			p = at_org_link(rest);
		if (starts_any(p, org_links, &rest) >= 0 && (n = proper_name_len(rest)) > 0)
		{
			person = name;
			org = pnstrdup(rest, n);
		}
		else if (*p && (n = proper_name_len(p)) > 0 && p[n] == '\0' && strchr(name, ' ') == NULL)
		{
			person = name;		/* "Maya, LedgerLite" */
			org = pnstrdup(p, n);
		}
		else if (has_word(name, "team") || strchr(name, ' ') != NULL
				 || has_any_word(p, role_words))
			org = name;			/* "Acme Dental", "Zen Yoga" */
		else
			person = name;		/* "Sam" */
	}
	else if (starts_any(p, articles, &rest) >= 0)
	{
		/* "a friendly assistant for Zen Yoga", "the team at Acme" */
		const char *q = at_org_link(rest);

		if (starts_any(q, org_links, &rest) >= 0 && (n = proper_name_len(rest)) > 0)
			org = pnstrdup(rest, n);
		else
			return has_any_word(s, role_words);	/* a persona without a name */
	}
	else if (starts_any(p, org_links, &rest) >= 0 && (n = proper_name_len(rest)) > 0)
		org = pnstrdup(rest, n);
	else
		return false;

	if (person && !plan->sender_person)
		plan->sender_person = person;
	if (org && !plan->sender_org)
		plan->sender_org = org;
	return true;
}

/* the prompt's "you write short SMS for Acme", "You are Sam", ... */
bool
understand_persona(WriterPlan *plan, const char *s, const char **goes_on)
{
	const char *rest;
	static const char *const persona[] = {
		"you are writing as", "you are writing for", "you're writing as",
		"you're writing for", "you are writing on behalf of",
		"you're writing on behalf of", "you are texting on behalf of",
		"you're texting on behalf of", "you're texting for", "you're messaging for",
		"you are messaging on behalf of", "you're messaging on behalf of",
		"you're sending on behalf of", "you are sending on behalf of",
		"you're sending for", "you are sending for",
		"you are texting for", "you are texting as", "you are messaging for",
		"write on behalf of", "writing on behalf of", "on behalf of",
		"write as", "writing as", "you're texting as",
		"you are", "you're", "act as", "acting as", "pretend to be",
		"pretend you are", "pretend you're", "imagine you are",
		"imagine you're", "play the role of", "take the role of",
		"role:", "persona:", "you work for", "you work at", "you represent",
		"this is", "i am", "i'm", "my name is", "your name is", "we are",
		"we're", "our company is", "our business is", "our name is",
		"the company is", "the business is", "the sender is", "sender is",
		"it's", "it is", NULL
	};
	static const char *const job[] = {
		"you write", "you send", "you compose", "you draft", "you craft",
		"you create", "you help", "you text", "you message", "you will write",
		"you'll write", "you will be writing", "you'll be writing",
		"you are going to write", "you're going to write", "you will send",
		"you'll send", "you are a", "you're a", "you are an", "you're an",
		NULL
	};
	int			k;

	*goes_on = NULL;
	k = starts_any(s, persona, &rest);
	if (k >= 0)
	{
		/* "We're a barbershop (Fade Factory)": who the business is */
		if ((starts(s, "we are", NULL) || starts(s, "we're", NULL))
			&& (starts(rest, "a", NULL) || starts(rest, "an", NULL)))
		{
			const char *paren = strchr(rest, '(');

			if (paren && proper_name_len(paren + 1) > 0 && !plan->sender_org)
				plan->sender_org = pnstrdup(paren + 1, proper_name_len(paren + 1));
			else
			{
				/* "We're a small bakery called Crumbs" */
				const char *called = strstr(rest, " called ");

				if (called == NULL)
					called = strstr(rest, " named ");
				if (called && proper_name_len(called + 8 - (called[1] == 'n')) > 0 && !plan->sender_org)
					plan->sender_org = pnstrdup(called + 8 - (called[1] == 'n'),
												proper_name_len(called + 8 - (called[1] == 'n')));
			}
			plan->context = lappend(plan->context, pstrdup(s));
			return true;
		}
		/* "We are opening a store", "It's our birthday": not a persona */
		if ((starts(s, "we are", NULL) || starts(s, "we're", NULL)
			 || starts(s, "it's", NULL) || starts(s, "it is", NULL)
			 || starts(s, "this is", NULL))
			&& proper_name_len(rest) == 0)
			return false;
		if (starts(s, "i am", NULL) || starts(s, "i'm", NULL))
		{
			if (proper_name_len(rest) == 0)
				return false;
		}
		if (parse_sender(plan, rest))
		{
			/* "You are Sam from Acme, inviting customers to ..." */
			const char *p;

			for (p = rest; *p; p++)
				if (p[0] == ',' || (p[0] == ' ' && (starts(p + 1, "and", NULL)
													 || starts(p + 1, "who", NULL))))
				{
					const char *q = p + 1;

					while (*q == ' ')
						q++;
					if (starts(q, "and", &q) || starts(q, "who", &q) || true)
					{
						char	   *then = after_message_noun(plan, q, "");

						if (then)
						{
							*goes_on = then;
							break;
						}
						if (starts_any(q, instruction_verbs, NULL) >= 0
							&& !starts(q, "the", NULL))
						{
							*goes_on = pstrdup(q);
							break;
						}
					}
				}
			return true;
		}
		/* "You are a helpful assistant." */
		if (starts(s, "you are", NULL) || starts(s, "you're", NULL)
			|| starts(s, "act as", NULL) || starts(s, "acting as", NULL)
			|| starts(s, "pretend", NULL) || starts(s, "imagine", NULL)
			|| starts(s, "play the role", NULL) || starts(s, "take the role", NULL)
			|| starts(s, "role:", NULL) || starts(s, "persona:", NULL))
		{
			if (has_any_word(rest, role_words) || has_word(rest, "sms")
				|| has_word(rest, "friendly") || has_word(rest, "helpful"))
				return true;
		}
		return false;
	}
	k = starts_any(s, job, &rest);
	if (k >= 0)
	{
		/* "You write short friendly SMS messages for Acme inviting ..." */
		const char *p = rest;
		int			i;

		for (; *p; p++)
		{
			if (p != rest && p[-1] != ' ')
				continue;
			for (i = 0; message_nouns[i]; i++)
			{
				const char *after;

				if (starts(p, message_nouns[i], &after))
				{
					char	   *then;
					const char *org;

					if ((starts(after, "for", &org) || starts(after, "on behalf of", &org)
						 || starts(after, "from", &org))
						&& proper_name_len(org) > 0)
					{
						int			n = proper_name_len(org);

						if (!plan->sender_org)
							plan->sender_org = pnstrdup(org, n);
						after = org + n;
						while (*after == ' ' || *after == ',')
							after++;
					}
					then = after_message_noun(plan, after, message_nouns[i]);
					if (then)
						*goes_on = then;
					return true;
				}
			}
		}
		/* "You help Acme's customers book appointments." */
		return starts(s, "you help", NULL) ? false : true;
	}
	return false;
}

/* every word of s is a name's ("Flow & Breathe", "St Mary's Primary") */
static bool
all_capitalised(const char *s, int len)
{
	const char *p = s;
	const char *end = s + len;

	while (p < end)
	{
		while (p < end && (*p == ' ' || *p == ',' || *p == '&'))
			p++;
		if (p >= end)
			break;
		if (!(isupper((unsigned char) *p) || isdigit((unsigned char) *p)
			  || (unsigned char) *p >= 0x80))
			return false;
		while (p < end && *p != ' ' && *p != ',')
			p++;
	}
	return true;
}

/*
 * A clause that only signs the message: "Keystone Estates", "- Hillcrest
 * Academy", "From BoxHub HR", "Sarah, Flow & Breathe", "From Hannah at
 * Brightwave CRM", "the Riverside team". Nothing else may be in it: a
 * sentence that merely starts with a capital ("Plans start at $49") is not
 * one.
 */
bool
understand_signature(WriterPlan *plan, const char *s)
{
	const char *rest;
	int			n;
	int			len;
	char	   *body;
	const char *link;
	static const char *const lead_ins[] = {
		"from", "sent by", "signed", "regards", "kind regards", "best regards",
		"cheers", "thanks", "thank you", "many thanks", "best", "love", "yours",
		"warmly", NULL
	};
	static const char *const links[] = {" from ", " at ", " with ", " of ", NULL};
	int			k;
	bool		dashed = false;
	bool		signed_in = false;

	while (*s == '-' || *s == ' ' || strncmp(s, "\xE2\x80\x94", 3) == 0
		   || strncmp(s, "\xE2\x80\x93", 3) == 0)
	{
		dashed |= (*s != ' ');
		s += (*s == '-' || *s == ' ') ? 1 : 3;
	}
	if (starts_any(s, lead_ins, &rest) >= 0 && rest != s)
	{
		s = rest;
		signed_in = true;
	}
	while (*s == '-' || *s == ' ' || *s == ',')
		s++;
	len = strlen(s);
	while (len > 0 && (s[len - 1] == '.' || s[len - 1] == ' '))
		len--;
	if (len == 0 || len > 80)
		return false;
	body = pnstrdup(s, len);
	/* "Book Now", "Call Today" are calls to action */
	if (!signed_in && !dashed
		&& (starts_any(body, cta_verbs, NULL) >= 0 || in_list(first_word_lower(body), writer_verbs)))
		return false;
	/* "the Riverside team" */
	if (starts(body, "the", &rest) && (n = proper_name_len(rest)) > 0
		&& pg_strcasecmp(rest + n, " team") == 0)
	{
		if (!plan->sender_org)
			plan->sender_org = pstrdup(body);
		return true;
	}
	/* "Hannah at Brightwave CRM" */
	for (k = 0; links[k]; k++)
		if ((link = strstr(body, links[k])) != NULL
			&& all_capitalised(body, link - body)
			&& all_capitalised(link + strlen(links[k]), strlen(link + strlen(links[k]))))
		{
			if (!plan->sender_person)
				plan->sender_person = pnstrdup(body, link - body);
			if (!plan->sender_org)
				plan->sender_org = pstrdup(link + strlen(links[k]));
			return true;
		}
	if (!all_capitalised(body, len))
		return false;
	/* a single capitalised word is a name only when signed ("- Acme", "From Acme") */
	if (strchr(body, ' ') == NULL && strchr(body, ',') == NULL && !dashed && !signed_in)
		return false;
	/* "Sarah, Flow & Breathe" */
	if ((link = strchr(body, ',')) != NULL)
	{
		const char *org = link + 1;

		while (*org == ' ')
			org++;
		if (!plan->sender_person)
			plan->sender_person = pnstrdup(body, link - body);
		if (!plan->sender_org && *org)
			plan->sender_org = pstrdup(org);
		return true;
	}
	if (strchr(body, ' ') == NULL && plan->sender_org && !plan->sender_person)
		plan->sender_person = body;		/* "... BrightSmile Dental ... From Priya." */
	else if (!plan->sender_org)
		plan->sender_org = body;
	return true;
}

/* ---------------------------------------------------------------- the audience */

/*
 * Who the messages go to, and maybe a business: "customers who haven't
 * visited in 2 months", "BrightSmile Dental patients who are overdue".
 * Returns the length of the phrase (0 when s does not name the lead);
 * *org gets a business named before the lead's noun, *verb and *object the
 * relative clause's past verb and its object ("downloaded", "our guide").
 */
int
audience(const char *s, char **org, char **verb, char **object)
{
	bool		poss;
	int			n = 0;
	int			k;
	const char *p = s;
	const char *rest;

	*org = *verb = *object = NULL;
	if ((k = proper_name_len(p)) > 0 && p[k] == ' ' && lead_phrase(p + k + 1, &poss) > 0 && !poss)
	{
		*org = pnstrdup(p, k);
		p += k + 1;
	}
	if ((n = lead_phrase(p, &poss)) == 0 || poss)
	{
		/* "trial users", "small business owners": a word or two before the noun */
		const char *q = p;
		int			skip;

		for (skip = 0; skip < 2 && n == 0; skip++)
		{
			if (!islower((unsigned char) *q))
				return 0;
			while (*q && is_word_char(*q))
				q++;
			if (*q != ' ')
				return 0;
			q++;
			n = lead_phrase(q, &poss);
			if (n > 0 && (poss || q[n - 1] != 's'))
				n = 0;			/* only a plural noun: "business owners" */
		}
		if (n == 0)
			return 0;
		p = q;
	}
	p += n;
	while (*p == ' ')
		p++;
	if (starts(p, "who", &rest) || starts(p, "that", &rest))
	{
		char	   *w = first_word_lower(rest);
		const char *obj = rest + strlen(w);
		const char *end;

		while (*obj == ' ')
			obj++;
		*verb = w;
		/* "who haven't logged in yet, encouraging them to ...": the rest goes on */
		for (end = obj; *end; end++)
			if (end[0] == ',' && end[1] == ' ' && strlen(first_word_lower(end + 2)) > 4
				&& strcmp(first_word_lower(end + 2) + strlen(first_word_lower(end + 2)) - 3, "ing") == 0)
				break;
		*object = pnstrdup(obj, end - obj);
		p = end;
	}
	return p - s;
}

/* ---------------------------------------------------------------- style */

bool
is_style(WriterPlan *plan, const char *s)
{
	const char *rest;
	static const char *const style_starts[] = {
		"keep", "be", "sound", "make it", "make sure", "make the", "use a",
		"use an", "use simple", "use plain", "use friendly", "use casual",
		"use formal", "use short", "use proper", "use correct", "use british",
		"use american", "use us", "use uk", "use emoji", "use emojis",
		"use no", "use the lead", "use the customer", "use first names",
		"write in", "write it in", "respond in", "respond with", "reply with",
		"answer with", "answer in", "return", "output", "format", "tone",
		"avoid", "limit", "stay", "aim for", "try to", "feel free", "sign off",
		"sign it", "sign as", "sign with", "end with", "end the", "close with",
		"finish with", "start with", "open with", "begin with", "greet",
		"address", "personalise", "personalize", "always", "never", "plain text",
		"no ", "one message", "only one", "just one", "a single", "single",
		"under ", "less than", "fewer than", "at most", "max ", "maximum",
		"no more than", "don't", "do not", "dont", "please don't",
		"please do not", "remember to keep", "capitali", "spell", "short",
		"brief", "friendly", "warm", "professional", "casual", "polite",
		"upbeat", "cheerful", "concise", "punchy", "conversational", "relaxed",
		"formal", "informal", "simple", "clear", "human", "natural", "positive",
		"respectful", "empathetic", "enthusiastic", "energetic", "helpful",
		"include the opt", "include an opt", "include opt", "add the opt",
		"add an opt", "add opt", "include stop", "include \"reply stop",
		"include 'reply stop", "include reply stop", "add reply stop",
		"add \"reply stop", "mention their", "mention his", "mention her",
		"mention the lead", "mention the customer", "mention the company",
		"refer to their", "reference their", "include their", "use their",
		"use his", "use her", "call them by", "don't use", "do not use",
		"no need", "nothing else", "only the", "just the", "the tone",
		"tone:", "style:", "length:", "format:", "language:", "write like",
		"write as if", "write casually", "write politely", "write briefly",
		"write naturally", "write clearly", "write simply", "write warmly",
		"write professionally", "write in a", "write one", "write only",
		"it should be", "it must be", "messages should be", "the message should be",
		"the message must be", "the sms should be", "the text should be",
		"it should sound", "it should feel", "should be short", "lowercase",
		"write it as", "send it as", "sign it off as", "send as", "sign-off:",
		"not too", "not pushy", "not salesy", "not spammy", "nothing pushy",
		"nothing salesy", "sincerely", "heartfelt", "elegant", "motivational",
		"excited", "fun", "playful", "gentle", "calm", "reassuring", "urgent but",
		NULL
	};
	static const char *const never_style[] = {
		/* a don't with content: "Don't miss our sale" is to the lead */
		"don't miss", "do not miss", "don't forget", "do not forget",
		"don't wait", "do not wait", "don't hesitate", "do not hesitate",
		"never miss", "no need to book", NULL
	};

	if (starts_any(s, never_style, NULL) >= 0)
		return false;
	if (starts_any(s, style_starts, &rest) < 0)
	{
		/* "Elegant tone." "Motivational tone, 1 emoji max." "No ALL CAPS." */
		static const char *const style_nouns[] = {
			"tone", "emoji", "emojis", "characters", "chars", "hashtags",
			"hashtag", "caps", "punctuation", "exclamation", "spelling",
			"grammar", "jargon", "slang", "wording", "voice", NULL
		};
		const char *p;
		int			words = 1;

		for (p = s; *p; p++)
			if (*p == ' ')
				words++;
		return words <= 8 && has_any_word(s, style_nouns) && !has_word(s, "our");
	}
	/* the company: asked for, or not wanted */
	if (has_word(s, "company") || has_word(s, "business") || has_word(s, "organisation")
		|| has_word(s, "organization") || has_word(s, "employer") || has_word(s, "firm"))
	{
		if (starts(s, "don't", NULL) || starts(s, "do not", NULL) || starts(s, "never", NULL)
			|| starts(s, "avoid", NULL) || starts(s, "please don't", NULL)
			|| starts(s, "dont", NULL))
			plan->company = -1;
		else if (plan->company == 0)
			plan->company = 1;
	}
	/* "sign off as Sam from Acme", "sign it Sam", "end with Sam, Acme" */
	if (starts(s, "write it as", &rest) || starts(s, "send it as", &rest)
		|| starts(s, "sign it off as", &rest) || starts(s, "send as", &rest)
		|| starts(s, "sign-off:", &rest))
		(void) parse_sender(plan, rest);
	else if (starts(s, "sign off as", &rest) || starts(s, "sign off with", &rest)
		|| starts(s, "sign as", &rest) || starts(s, "sign with", &rest)
		|| starts(s, "sign it as", &rest) || starts(s, "sign it", &rest)
		|| starts(s, "sign off", &rest) || starts(s, "end with", &rest)
		|| starts(s, "close with", &rest) || starts(s, "finish with", &rest))
	{
		while (*rest == '-' || *rest == ' ' || *rest == ':')
			rest++;
		if (!understand_signature(plan, psprintf("- %s", rest)))
			(void) parse_sender(plan, rest);
	}
	return true;
}

/* adjectives a "write a ... message" may carry, and its nouns */
const char *const message_nouns[] = {
	"sms messages", "sms message", "text messages", "text message", "messages",
	"message", "sms", "texts", "text", "note", "notes", "reminders", "reminder",
	"invitations", "invitation", "invites", "invite", "nudge", "update",
	"announcement", "offer", "follow-up", "follow up", "thank-you note",
	"thank you note", "thank-you message", "thank you message", "thank-you",
	"thank you", "blast", "campaign", "outreach", "promo", "promotion",
	"confirmation", "alert", "notification", "line", "one-liner", NULL
};

/*
 * After "Write (them) a short friendly SMS": how the prompt goes on, as the
 * instruction it means ("inviting them to X" -> "invite them to X").
 */
char *
after_message_noun(WriterPlan *plan, const char *s, const char *noun)
{
	const char *rest;
	/* the verbs it may go on with, as "inviting them" and "that invites them" */
	static const char *const verbs[][3] = {
		{"invite", "inviting", "invites"}, {"remind", "reminding", "reminds"},
		{"ask", "asking", "asks"}, {"offer", "offering", "offers"},
		{"tell", "telling", "tells"}, {"announce", "announcing", "announces"},
		{"promote", "promoting", "promotes"}, {"thank", "thanking", "thanks"},
		{"let", "letting", "lets"}, {"inform", "informing", "informs"},
		{"introduce", "introducing", "introduces"},
		{"welcome", "welcoming", "welcomes"}, {"wish", "wishing", "wishes"},
		{"congratulate", "congratulating", "congratulates"},
		{"confirm", "confirming", "confirms"},
		{"encourage", "encouraging", "encourages"},
		{"follow up", "following up", "follows up"},
		{"check in", "checking in", "checks in"},
		{"apologise", "apologising", "apologises"},
		{"apologize", "apologizing", "apologizes"}, {"request", "requesting", NULL},
		{"share", "sharing", "shares"}, {"notify", "notifying", NULL},
		{"update", "updating", NULL}, {"urge", "urging", "urges"},
		{"give", "giving", "gives"}, {"say", "saying", "says"},
		{"highlight", "highlighting", "highlights"},
		{NULL, NULL, NULL}
	};
	int			i;

	/* "a reminder: the deposit is due Friday" */
	if (*s == ':' || (*s == '-' && s[1] == ' '))
	{
		rest = s + 1;
		while (*rest == ' ')
			rest++;
		return *rest ? psprintf("%s: %s", noun, rest) : NULL;
	}
	/* "a reminder from Ms Khan, Year 4 teacher, that ..." */
	if (starts(s, "from", &rest) && proper_name_len(rest) > 0)
	{
		const char *end = rest + proper_name_len(rest);
		char	   *who = pnstrdup(rest, end - rest);
		WriterPlan	probe;

		memset(&probe, 0, sizeof(probe));
		if (parse_sender(&probe, who))
		{
			/* the role after a comma is not said: ", Year 4 teacher," */
			while (*end == ' ')
				end++;
			if (*end == ',')
			{
				const char *close = strchr(end + 1, ',');

				end = close ? close + 1 : end + 1;
			}
			while (*end == ' ' || *end == ',')
				end++;
			(void) parse_sender(plan, who);
			return after_message_noun(plan, end, noun);
		}
	}
	/* "to the lead", "to our customers", "for people who signed up" */
	if (starts(s, "to", &rest) || starts(s, "for", &rest))
	{
		char	   *org, *verb, *object;
		int			n = audience(rest, &org, &verb, &object);

		if (n > 0)
		{
			if (org && !plan->sender_org)
				plan->sender_org = org;
			s = rest + n;
			while (*s == ' ' || *s == ',')
				s++;
			/* "a thank-you to customers who ordered a cake" */
			if (verb && strncmp(noun, "thank", 5) == 0 && gerund_of(verb) && *s == '\0')
				return psprintf("thank them for %s %s", gerund_of(verb), object);
			if (*s == '\0')
				return pstrdup("");	/* only who it is for */
		}
	}
	if (strncmp(noun, "remind", 6) == 0 && starts(s, "that", &rest))
		return psprintf("remind them that %s", rest);
	if (strncmp(noun, "invit", 5) == 0 && (starts(s, "to", &rest) || starts(s, "for", &rest))
		&& starts_any(rest, instruction_verbs, NULL) < 0)
		return psprintf("invite them to %s", rest);
	if (starts(s, "that", &rest) || starts(s, "which", &rest))
	{
		for (i = 0; verbs[i][0]; i++)
			if (verbs[i][2] && starts(rest, verbs[i][2], &rest))
				return psprintf("%s %s", verbs[i][0], rest);
		return NULL;
	}
	for (i = 0; verbs[i][0]; i++)
		if (starts(s, verbs[i][1], &rest))
			return psprintf("%s %s", verbs[i][0], rest);
	/* "to invite them to ..." (an instruction, not "to trial users") */
	if (starts(s, "to", &rest) && starts_any(rest, instruction_verbs, NULL) >= 0)
		return pstrdup(rest);
	/* "a reminder about their appointment", "an invitation to our gala" */
	if (starts(s, "about", &rest) || starts(s, "of", &rest) || starts(s, "for", &rest)
		|| starts(s, "on", &rest) || starts(s, "regarding", &rest))
	{
		static const char *const about[][2] = {
			{"remind", "remind them about"}, {"invit", "invite them to"},
			{"thank", "thank them for"}, {"confirm", "confirm"}, {"announce", "announce"},
			{"follow", "follow up on"}, {"update", "update them on"}, {NULL}
		};

		for (i = 0; about[i][0]; i++)
			if (strncmp(noun, about[i][0], strlen(about[i][0])) == 0)
				return psprintf("%s %s", about[i][1], rest);
		if (starts(s, "about", NULL))
			return psprintf("tell them about %s", rest);
		return NULL;
	}
	return NULL;
}
