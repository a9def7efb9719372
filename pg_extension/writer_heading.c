/*-------------------------------------------------------------------------
 *
 * writer_heading.c
 *	  Clauses shaped like a form: a label and its value ("Sender: Sam from
 *	  Acme", "Offer: 20% off", "CTA: reply YES") and a heading that names the
 *	  kind of message, with or without what it says ("Reminder: webinar starts
 *	  in 1 hour", "Appointment reminder for Bright Eyes Optometry").
 *
 *-------------------------------------------------------------------------
 */
#include "smscamp.h"
#include "engine.h"
#include "writer_internal.h"

#include "nodes/pg_list.h"

/* ---------------------------------------------------------------- labels */

/* "Sender: Sam from Acme", "Offer: 20% off", "CTA: reply YES" */
bool
understand_label(WriterPlan *plan, const char *s, bool *understood)
{
	const char *colon = strchr(s, ':');
	char	   *label;
	const char *value;
	static const char *const style_labels[] = {
		"tone", "style", "length", "format", "language", "voice", "audience",
		"notes", "note", "context", "background", "constraints", "rules",
		"guidelines", "emojis", "emoji", "channel", "platform", "persona",
		"do not", "don't", "avoid", "max length", "characters", NULL
	};

	if (colon == NULL || colon - s > 24 || colon[1] != ' ')
		return false;
	/* "Question to ask: ...", "Things to mention: ...": what follows is the content */
	{
		char	   *head = pnstrdup(s, colon - s);
		static const char *const asks[] = {
			"ask", "question", "questions", "mention", "say", "tell", "include",
			"cover", "points", "key points", "include", "content", NULL
		};

		if (has_any_word(head, asks) && strlen(head) < 30)
		{
			const char *v = colon + 1;

			while (*v == ' ')
				v++;
			if (has_word(head, "ask") || has_word(head, "question") || has_word(head, "questions"))
			{
				if (v[strlen(v) - 1] == '?' || starts(v, "would", NULL) || starts(v, "are", NULL)
					|| starts(v, "do", NULL) || starts(v, "can", NULL) || starts(v, "is", NULL))
					*understood = add_slot_part(plan, F_QUESTION, v, false, s);
				else
					*understood = parse_instruction(plan, psprintf("ask %s", v), s);
			}
			else
				*understood = understand_clause(plan, v);
			return true;
		}
	}
	label = first_word_lower(s);
	if ((size_t) (colon - s) > strlen(label) + 12)
		return false;
	value = colon + 1;
	while (*value == ' ')
		value++;
	if (in_list(label, (const char *const[]) {"sender", "from", "signed", "signature",
			"sign-off", "signoff", "brand", "business", "company", "org",
		"organisation", "organization", "who", NULL}))
	{
		*understood = parse_sender(plan, value);
		return true;
	}
	if (starts_any(s, style_labels, NULL) >= 0)
	{
		*understood = true;
		plan->style = lappend(plan->style, pstrdup(s));
		return true;
	}
	if (in_list(label, (const char *const[]) {"offer", "promo", "promotion", "deal",
		"discount", NULL}))
	{
		*understood = add_slot_part(plan, F_OFFER_NP, value, true, s);
		return true;
	}
	if (in_list(label, (const char *const[]) {"event", "invite", "invitation", NULL}))
	{
		*understood = add_slot_part(plan, F_INVITE_NP, value, true, s);
		return true;
	}
	if (in_list(label, (const char *const[]) {"cta", "call", "action", NULL}))
	{
		*understood = is_lead_cta(value) && add_slot_part(plan, F_CTA, value, false, s);
		return true;
	}
	if (in_list(label, (const char *const[]) {"link", "url", "website", "web", NULL}))
	{
		char	   *url = find_url(value);

		*understood = url != NULL;
		if (url)
			add_part(plan, F_LINK, url, s);
		return true;
	}
	if (in_list(label, (const char *const[]) {"message", "text", "sms", "say", NULL}))
	{
		*understood = slot_is_sendable(value)
			&& add_slot_part(plan, F_LITERAL, psprintf("%s%s", value,
													   strchr(".!?", value[strlen(value) - 1]) ? "" : "."),
							 false, s);
		return true;
	}
	if (in_list(label, (const char *const[]) {"goal", "task", "purpose", "objective",
		"aim", "instructions", "instruction", "ask", NULL}))
	{
		*understood = understand_clause(plan, value);
		return true;
	}
	if (in_list(label, (const char *const[]) {"when", "date", "time", "where", "location",
		"venue", "place", NULL}))
	{
		/* a detail of the part before it */
		WriterPart *last = plan->parts ? llast(plan->parts) : NULL;

		if (last && last->slot && !FRAME_IS_CTA(last->frame) && slot_is_sendable(value))
		{
			const char *prep = in_list(label, (const char *const[]) {"where", "location",
				"venue", "place", NULL}) ? " at " : " on ";
			char	   *v = pstrdup(value);
			int			n = strlen(v);

			while (n > 0 && strchr(".!", v[n - 1]))
				v[--n] = '\0';
			if (starts(v, "on", NULL) || starts(v, "at", NULL) || starts(v, "in", NULL)
				|| starts(v, "this", NULL) || starts(v, "next", NULL)
				|| starts(v, "tomorrow", NULL) || starts(v, "today", NULL)
				|| starts(v, "tonight", NULL) || starts(v, "from", NULL))
				prep = " ";
			last->slot = psprintf("%s%s%s", last->slot, prep, v);
			*understood = true;
		}
		else
			*understood = false;
		return true;
	}
	return false;
}

/* ---------------------------------------------------------------- headings */

/* kinds of message a prompt may name as a heading */
static const char *const heading_kinds[] = {
	"reminder", "reminders", "confirmation", "invite", "invitation",
	"thank you note", "thank-you note", "thank you message", "thank-you message",
	"thank you", "thank-you", "thanks", "feedback request", "review request",
	"promo", "promotion", "offer", "deal", "sale", "notice", "update", "alert",
	"announcement", "news", "outreach", "renewal", "follow-up", "follow up",
	"welcome", "survey", "info", "details", "message", "text", "sms", "blast",
	"campaign", "newsletter", "nudge", "heads up", "heads-up", "notification",
	"upsell", "cross-sell", "win-back", "winback", "re-engagement", NULL
};

/*
 * "Appointment reminder for Bright Eyes Optometry", "Reminder: webinar starts
 * in 1 hour", "Delivery notice: driver arriving 2-4pm", "thank you note
 * after purchase": a heading naming the kind of message, with or without
 * what it says.
 */
bool
understand_heading(WriterPlan *plan, const char *s, const char *clause)
{
	const char *sep = NULL;
	const char *value = NULL;
	char	   *head;
	const char *kind = NULL;
	const char *kind_at = NULL;	/* where in head the kind is */
	const char *p;
	int			k;
	int			words = 0;

	/* the head: up to a ':' or ' - ' in the first few words */
	for (p = s; *p && words < 7; p++)
	{
		if (*p == ' ')
			words++;
		if ((*p == ':' && p[1] == ' ') || (*p == ':' && p[1] == '\0'))
		{
			sep = p;
			value = p + 1;
			break;
		}
		if (pg_strncasecmp(p, " - ", 3) == 0 || strncmp(p, " \xE2\x80\x93 ", 5) == 0
			|| strncmp(p, " \xE2\x80\x94 ", 5) == 0)
		{
			sep = p;
			value = p + (p[1] == '-' ? 3 : 5);
			break;
		}
	}
	/* an instruction or a call to action is not a heading ("thank you note" is) */
	if ((starts_any(s, instruction_verbs, NULL) >= 0 || starts_any(s, cta_verbs, NULL) >= 0
		 || in_list(first_word_lower(s), writer_verbs))
		&& !starts(s, "thank you note", NULL) && !starts(s, "thank-you note", NULL)
		&& !starts(s, "thank you message", NULL) && !starts(s, "thank-you message", NULL)
		&& !starts(s, "thank you text", NULL) && !starts(s, "welcome message", NULL))
		return false;
	head = sep ? pnstrdup(s, sep - s) : pstrdup(s);
	if (!sep && strlen(s) > 90)
		return false;
	/* the kind is the head's last word(s), or the word before "for/after/about" */
	for (p = head; *p; p++)
	{
		if (p != head && p[-1] != ' ' && p[-1] != '-')
			continue;
		if ((k = starts_any(p, heading_kinds, NULL)) >= 0)
		{
			const char *after = p + strlen(heading_kinds[k]);

			if (*after == '\0' || *after == ' ')
			{
				/* at most three words before it, none a verb ("... is up for renewal") */
				static const char *const verbs[] = {
					"is", "are", "was", "were", "has", "have", "will", "can", "we've",
					"we're", "it's", "get", "gets", "need", "needs", NULL
				};
				int			before = 0;
				const char *b;
				char	   *lead_in = pnstrdup(head, p - head);

				for (b = head; b < p; b++)
					if (*b == ' ')
						before++;
				if (before > 3 || has_any_word(lead_in, verbs))
					break;
				/* with a value, the kind ends the head ("Delivery notice:", "Promo details:") */
				if (sep && *after == ' ' && starts_any(after + 1, heading_kinds, NULL) < 0)
					continue;
				kind = heading_kinds[k];
				kind_at = p;
				/* "Appointment reminder for X": the words before name it */
				if (*after == ' ')
				{
					const char *tail = after + 1;

					if (!sep && !(starts(tail, "for", NULL) || starts(tail, "after", NULL)
								  || starts(tail, "that", NULL)
								  || starts(tail, "about", NULL) || starts(tail, "of", NULL)
								  || starts(tail, "from", NULL) || starts(tail, "to", NULL)
								  || starts(tail, "on", NULL) || starts(tail, "regarding", NULL)))
					{
						kind = NULL;
						continue;
					}
					if (sep)
						continue;
					value = NULL;
				}
				break;
			}
		}
	}
	if (kind == NULL)
		return false;
	while (value && *value == ' ')
		value++;

	/* with what it says: "Reminder: ...", "Delivery notice: ..." */
	if (value && *value)
	{
		char	   *what = pnstrdup(head, kind_at - head);
		char	   *noun = trimmed(what, strlen(what));

		if (strncmp(kind, "reminder", 8) == 0)
			return add_slot_part(plan, F_REMIND_COLON, value, false, clause);
		if (strcmp(kind, "confirmation") == 0)
			return add_slot_part(plan, F_CONFIRM_NP,
								 noun[0] ? psprintf("your %s: %s", noun, value) : value,
								 true, clause);
		if (strstr(kind, "thank"))
			return add_slot_part(plan, F_THANK_FOR, value, false, clause);
		if (strncmp(kind, "invit", 5) == 0)
			return add_slot_part(plan, F_INVITE_NP, value, false, clause);
		if (strstr(kind, "feedback") || strstr(kind, "review") || strcmp(kind, "survey") == 0)
			return add_slot_part(plan, F_FEEDBACK, value, false, clause);
		if (is_literal(value) || starts(value, "their", NULL))
			return understand_clause(plan, value);
		return false;
	}

	/* a heading alone: "Appointment reminder for Bright Eyes Optometry" */
	{
		char	   *before = pnstrdup(head, kind_at - head);
		const char *tail = kind_at + strlen(kind);
		char	   *noun = trimmed(before, strlen(before));
		const char *obj = tail;
		char	   *prep = "";
		char	   *slot;
		int			n;
		static const char *const preps[] = {
			"for", "after", "about", "of", "regarding", "on", "from", "to", NULL
		};

		while (*obj == ' ')
			obj++;
		/* "friendly nudge that their direct debit failed" */
		if (starts(obj, "that", &tail) && *tail)
			return add_slot_part(plan, strncmp(kind, "reminder", 8) == 0 ? F_REMIND_CL : F_STATEMENT,
								 tail, false, clause);
		if ((n = starts_any(obj, preps, &obj)) >= 0)
			prep = pstrdup(preps[n]);
		/* a business named in it: "... for Bright Eyes Optometry", "... by Drip Doctors" */
		if ((n = proper_name_len(obj)) > 0 && obj[n] == '\0')
		{
			if (!plan->sender_org)
				plan->sender_org = pnstrdup(obj, n);
			obj = "";
		}
		else
		{
			const char *by = strstr(obj, " by ");

			if (by && (n = proper_name_len(by + 4)) > 0 && by[4 + n] == '\0')
			{
				if (!plan->sender_org)
					plan->sender_org = pnstrdup(by + 4, n);
				obj = pnstrdup(obj, by - obj);
			}
		}
		/* "after a plumbing job" -> "your plumbing job" */
		if (starts(obj, "a", &tail) || starts(obj, "an", &tail))
			obj = psprintf("your %s", tail);
		if (noun[0] && *obj)
			slot = psprintf("your %s %s %s", noun, prep, obj);
		else if (noun[0])
			slot = psprintf("your %s", noun);
		else
			slot = pstrdup(obj);
		if (strncmp(kind, "reminder", 8) == 0 && slot[0])
			return add_slot_part(plan, F_REMIND_NP, slot, false, clause);
		if (strcmp(kind, "confirmation") == 0 && slot[0])
			return add_slot_part(plan, F_CONFIRM_NP, slot, false, clause);
		if (strstr(kind, "thank"))
		{
			if (*obj)
				return add_slot_part(plan, F_THANK_FOR, obj, false, clause);
			add_part(plan, F_THANK, NULL, clause);
			return true;
		}
		if ((strstr(kind, "feedback") || strstr(kind, "review")) && *obj)
			return add_slot_part(plan, F_FEEDBACK, obj, false, clause);
		if (strncmp(kind, "invit", 5) == 0 && *obj)
			return add_slot_part(plan, F_INVITE_NP, obj, false, clause);
		/* "cold outreach for our agency", "Promo details": how, not what */
		{
			static const char *const meta[] = {
				"outreach", "campaign", "blast", "message", "text", "sms",
				"newsletter", "details", "info", NULL
			};
			const char *w;
			int			words = 1;

			for (w = s; *w; w++)
				if (*w == ' ')
					words++;
			if (in_list(kind, meta) || words <= 3)
			{
				plan->style = lappend(plan->style, pstrdup(clause));
				return true;
			}
		}
		/* "Our spring sale on solar panels starts Monday" is not a heading */
		return false;
	}
}
