/*-------------------------------------------------------------------------
 *
 * writer_instruction.c
 *	  The instructions the writer knows, each starting with its verb: invite,
 *	  remind, thank, tell, announce, introduce, share, mention, offer, ask,
 *	  confirm, welcome, wish, congratulate, apologise, follow up, check in,
 *	  encourage, request feedback, include a link, a number or a code. Also the
 *	  calls to action a prompt may address to the lead ("Reply YES to save a
 *	  seat").
 *
 *-------------------------------------------------------------------------
 */
#include "smscamp.h"
#include "engine.h"
#include "writer_internal.h"

#include <ctype.h>

/* verbs that start a clause: where "and" and commas cut a sentence */
const char *const instruction_verbs[] = {
	"invite", "remind", "ask", "offer", "tell", "let", "inform", "notify",
	"thank", "mention", "include", "add", "encourage", "urge", "get", "give",
	"say", "confirm", "wish", "apologise", "apologize", "welcome", "share",
	"announce", "promote", "introduce", "suggest", "follow up", "check in",
	"request", "keep", "be", "use", "avoid", "greet", "address", "sign",
	"end", "close", "make", "provide", "point", "direct", "send", "highlight",
	"emphasise", "emphasize", "stress", "note", "warn", "congratulate",
	"explain", "describe", "update", "prompt", "push", "drive", "nudge",
	"reassure", "assure", "present", "pitch", "sell", "convince", "persuade",
	"stay", "limit", "don't", "do not", "never", "always", "finish",
	"personalise", "personalize", "write", "put", "refer", "reference",
	"tell", "then", "also", "please", NULL
};

/* modal verbs: "they can rebook" is something to tell the lead */
const char *const modals[] = {
	"can", "could", "will", "'ll", "should", "may", "might", "must", "need",
	"needs", "have to", "has to", "are welcome", "is welcome", "are invited",
	"is invited", "can't", "cannot", "won't", "don't need", "get", "gets",
	"qualify", "qualifies", "are eligible", "is eligible", "still have",
	"still has", "now have", "now has", NULL
};

/* ---------------------------------------------------------------- calls to action */

const char *const cta_verbs[] = {
	"reply", "text", "call", "ring", "visit", "book", "click", "tap", "join",
	"come", "pop", "drop", "stop by", "swing by", "shop", "order", "claim",
	"grab", "register", "sign up", "rsvp", "schedule", "check out", "learn",
	"see", "hurry", "save", "enjoy", "get", "bring", "use code", "use the code",
	"use promo code", "use discount code", "use coupon", "show this", "try",
	"treat yourself", "start", "upgrade", "renew", "pay", "download",
	"follow us", "find out", "discover", "explore", "meet", "reserve",
	"secure", "lock in", "act now", "respond", "confirm", "tell us", "let us",
	"head to", "head over", "go to", "stop in", "don't miss", "do not miss",
	"don't forget", "do not forget", "don't wait", "don't hesitate",
	"feel free to reply", "feel free to call", "remember to bring",
	"message us", "contact us", "email us", "chat with us", "speak to us",
	"talk to us", "ask us", "ask for", "make sure to bring", "take advantage",
	"refer", "share", "donate", "give", "vote", "apply", "subscribe",
	"upgrade", "activate", "complete", "fill in", "fill out", "log in",
	"sign in", "pick up", "collect", "arrive", "please reply", "please call",
	"please arrive", "please bring", "please confirm", "please visit",
	"please text", "please book", "please let us", "please pay", "track",
	"take", "leave", "view", "watch", "listen", "read", "check", "shop now",
	"browse", "come along", "come in", "pop in", "drop in", "stop in", "walk in",
	"bring along", "invite your", "tell your", "forward", "redeem", "show",
	"present", "keep an eye", "look out", "save the date", "mark your",
	"text back", "reply back", "tap here", "click here", "sign", NULL
};

/* an imperative addressed to the lead: "Reply YES to save a seat" */
bool
is_lead_cta(const char *s)
{
	bool		poss;
	const char *rest;

	if (starts_any(s, cta_verbs, &rest) < 0)
		return false;
	/* "call them", "text the lead": the writer is being told what to do */
	if ((lead_phrase(rest, &poss) > 0 && !poss) || starts(rest, "they", NULL))
		return false;
	return slot_is_sendable(s);
}

/* ---------------------------------------------------------------- instructions */

/* an object named "call", "demo", "chat"...: offered as a question */
static bool
is_meeting(const char *np)
{
	static const char *const meetings[] = {
		"call", "calls", "chat", "demo", "meeting", "consultation", "tour",
		"visit", "trial", "quote", "callback", "appointment", "session",
		"walkthrough", "walk-through", "viewing", "test drive", "estimate",
		"assessment", "check-up", "checkup", "coffee", "catch-up", "lesson",
		"class", "review", "audit", "survey", "fitting", "tasting", NULL
	};

	return has_any_word(np, meetings);
}

/* a list of words, for starts_any() and has_any_word() */
#define WORDS(...) ((const char *const[]) {__VA_ARGS__, NULL})

/* s names the lead ("them", "the customer", not "their"): *after follows it */
static bool
lead_object(const char *s, const char **after)
{
	bool		poss;
	int			n = lead_phrase(s, &poss);

	if (n <= 0 || poss)
		return false;
	*after = s + n + strspn(s + n, " ,");
	return true;
}

/* s past the lead it may start with: "them about X" -> "about X" */
static const char *
past_lead(const char *s)
{
	const char *after;

	return lead_object(s, &after) ? after : s;
}

/* s is "them <prep> ...": *after is what follows prep */
static bool
lead_then(const char *s, const char *prep, const char **after)
{
	const char *obj;

	return lead_object(s, &obj) && starts(obj, prep, after);
}

/* s past "<prep> them" when it starts so: "with them on X" -> "on X" */
static const char *
past_prep_lead(const char *s, const char *prep)
{
	const char *obj;

	return starts(s, prep, &obj) && lead_object(obj, &obj) ? obj : s;
}

/* "that CL" or an NP, each in its frame */
static bool
add_np_or_that(WriterPlan *plan, const char *s, Frame np, Frame that, const char *clause)
{
	if (starts(s, "that", &s))
		return add_slot_part(plan, that, s, true, clause);
	return add_slot_part(plan, np, s, true, clause);
}

/*
 * What follows "reply" ("", "to book a call", "YES to save a seat") as its
 * part. to_this_message: "reply to this message/text" is a plain reply (an
 * invitation "to reply to ..." takes what follows as what to reply for).
 */
static bool
add_reply(WriterPlan *plan, const char *s, bool to_this_message, const char *clause)
{
	if (*s == '\0')
		return add_part(plan, F_REPLY, NULL, clause);
	if (starts(s, "to", &s))
	{
		if (to_this_message && (starts(s, "this message", NULL) || starts(s, "this text", NULL)))
			return add_part(plan, F_REPLY, NULL, clause);
		return add_slot_part(plan, F_REPLY_TO_VP, s, true, clause);
	}
	return add_slot_part(plan, F_CTA, psprintf("reply %s", s), true, clause);
}

/* what follows "feedback": (one of ons) NP, or nothing ("on your experience") */
static bool
add_feedback(WriterPlan *plan, const char *s, const char *const *ons, const char *clause)
{
	const char *rest;

	if (starts_any(s, ons, &rest) >= 0)
		return add_slot_part(plan, F_FEEDBACK, rest, true, clause);
	if (*s == '\0')
		return add_slot_part(plan, F_FEEDBACK, "your experience with us", false, clause);
	return false;
}

/*
 * A question to the lead: before (when not NULL) and the prompt's words
 * turned to the lead ("they'd like a call" -> "would you like" "a call").
 * strip: without a final "." or "?" (its frame ends it).
 */
static bool
add_question(WriterPlan *plan, const char *before, const char *words, bool strip,
			 const char *clause)
{
	char	   *q = to_lead(words, true);
	int			n;

	if (!slot_is_sendable(q))
		return false;
	if (before)
		q = psprintf("%s %s", before, q);
	n = strlen(q);
	while (strip && n > 0 && (q[n - 1] == '.' || q[n - 1] == '?'))
		q[--n] = '\0';
	return add_part(plan, F_QUESTION, q, clause);
}

/*
 * The verb families. Each parser gets the whole instruction (s) and what
 * follows its verb (rest); true when understood: its part is in the plan.
 */

/* invite [them] (to NP | to VP | for NP | back | to reply ...) */
static bool
parse_invite(WriterPlan *plan, const char *s, const char *rest, const char *clause)
{
	static const char *const vp_starts[] = {
		"join", "come", "attend", "visit", "try", "see", "meet", "book",
		"schedule", "register", "sign up", "celebrate", "explore",
		"discover", "experience", "take part", "participate", "enjoy",
		"stop by", "drop in", "pop in", "learn", "hear", "tour",
		"check out", "watch", "taste", "sample", NULL
	};
	const char *obj = past_lead(rest);

	if (starts(obj, "back", NULL))
		return add_slot_part(plan, F_ENCOURAGE, "come back and see us", false, clause);
	if (starts_any(obj, WORDS("to reply", "to respond", "to text back", "to text us"), &rest) >= 0)
		return add_reply(plan, rest, false, clause);
	if (starts_any(obj, WORDS("to", "for", "along to"), &rest) < 0)
		return false;
	if (starts_any(rest, vp_starts, NULL) < 0)
		return add_slot_part(plan, F_INVITE_NP, rest, true, clause);
	if (starts(rest, "book", NULL) || starts(rest, "schedule", NULL))
		return add_slot_part(plan, F_WOULD_LIKE_VP, rest, true, clause);
	return add_slot_part(plan, F_INVITE_VP, rest, true, clause);
}

/* remind [them] (about/of NP | that CL | to VP | CL) */
static bool
parse_remind(WriterPlan *plan, const char *s, const char *rest, const char *clause)
{
	static const char *const clause_verbs[] = {
		"is", "are", "was", "were", "will", "ends", "starts", "expires",
		"renews", "opens", "closes", "begins", "runs", "arrives", "ships",
		"has", "have", "needs", "need", "due", "is due", "are due", "can",
		"should", "must", "finishes", "launches", "happens", "takes",
		"comes", "goes", "gets", "lapses", "ran", "ended", "expired", NULL
	};
	const char *obj;

	if (!lead_object(rest, &obj))
		return false;
	if (starts(obj, "about", &rest) || starts(obj, "of", &rest))
		return add_slot_part(plan, F_REMIND_NP, rest, true, clause);
	if (starts(obj, "that", &rest))
		return add_slot_part(plan, F_REMIND_CL, rest, true, clause);
	if (starts(obj, "to", &rest))
		return add_slot_part(plan, F_REMIND_VP, rest, true, clause);
	if (has_any_word(obj, clause_verbs))
		return add_slot_part(plan, F_REMIND_CL, obj, true, clause);
	return add_slot_part(plan, F_REMIND_NP, obj, true, clause);
}

/* thank [them] (for NP); "thank customers who ordered a cake" */
static bool
parse_thank(WriterPlan *plan, const char *s, const char *rest, const char *clause)
{
	static const char *const adverbs[] = {
		"sincerely", "warmly", "so much", "very much", "again", "kindly",
		"personally", "properly", "genuinely", "once again", "a lot",
		"heartily", "profusely", NULL
	};
	char	   *org,
			   *verb,
			   *object;
	const char *obj;

	if (starts(rest, "to", &obj))
		rest = obj;				/* "say thank you to ..." */
	if (audience(rest, &org, &verb, &object) > 0 && verb && gerund_of(verb))
	{
		if (org && !plan->sender_org)
			plan->sender_org = org;
		return add_slot_part(plan, F_THANK_FOR, psprintf("%s %s", gerund_of(verb), object),
							 true, clause);
	}
	rest = past_lead(rest);
	while (starts_any(rest, adverbs, &obj) >= 0)
		rest = obj;
	if (starts(rest, "for", &rest))
		return add_slot_part(plan, F_THANK_FOR, rest, true, clause);
	return *rest == '\0' && add_part(plan, F_THANK, NULL, clause);
}

/* tell / inform / notify / warn ... [them] (about/of NP | that CL | CL) */
static bool
parse_tell(WriterPlan *plan, const char *s, const char *rest, const char *clause)
{
	rest = past_lead(rest);
	if (starts(rest, "about", &rest) || starts(rest, "of", &rest))
		return add_slot_part(plan, F_TELL_ABOUT, rest, true, clause);
	if (starts(rest, "that", &rest))
		return add_slot_part(plan, F_STATEMENT, rest, true, clause);
	if (starts(rest, "to", NULL))
		return false;			/* "tell them to ..." */
	return *rest && add_slot_part(plan, F_STATEMENT, rest, true, clause);
}

/* update them (on/about NP) */
static bool
parse_update(WriterPlan *plan, const char *s, const char *rest, const char *clause)
{
	return (lead_then(rest, "on", &rest) || lead_then(rest, "about", &rest))
		&& add_slot_part(plan, F_UPDATE_ON, rest, true, clause);
}

/* announce (NP | that CL) */
static bool
parse_announce(WriterPlan *plan, const char *s, const char *rest, const char *clause)
{
	return add_np_or_that(plan, rest, F_ANNOUNCE_NP, F_ANNOUNCE_CL, clause);
}

/* promote / introduce / present / showcase NP (to them) */
static bool
parse_introduce(WriterPlan *plan, const char *s, const char *rest, const char *clause)
{
	/* "introduce them to our app"; the sender introduces itself anyway */
	if (!lead_then(rest, "to", &rest)
		&& (starts(rest, "yourself", NULL) || starts(rest, "us", NULL)))
		return true;
	return add_slot_part(plan, F_INTRODUCE, rest, true, clause);
}

/* share (with them) NP */
static bool
parse_share(WriterPlan *plan, const char *s, const char *rest, const char *clause)
{
	(void) lead_then(rest, "with", &rest);	/* "them with X" -> "X" */
	if (starts(rest, "with", NULL))
		return false;
	return add_slot_part(plan, F_SHARE, rest, true, clause);
}

/* mention / highlight / note / say / add (that CL | NP | a link) */
static bool
parse_mention(WriterPlan *plan, const char *s, const char *rest, const char *clause)
{
	static const char *const clause_marks[] = {
		"is", "are", "was", "will", "there'll", "there's", "it's", "we're",
		"we'll", "we've", "can", "has", "have", "ends", "starts", "opens",
		"closes", "runs", "includes", "costs", "needs", "need", "comes",
		"'s", "they'll", "you'll", NULL
	};
	char	   *url;

	if (starts(rest, "that", &rest))
		return add_slot_part(plan, F_STATEMENT, rest, true, clause);
	if (!starts(s, "say", NULL) && !starts(s, "add", NULL) && !starts(s, "explain", NULL)
		&& find_url(rest) == NULL && *rest)
	{
		/* "mention there'll be coffee", "mention the free first month" */
		if (has_any_word(rest, clause_marks) || strstr(rest, "'ll ") || strstr(rest, "'s "))
			return add_slot_part(plan, F_STATEMENT, rest, true, clause);
		return add_slot_part(plan, F_ALSO, rest, true, clause);
	}
	if ((url = find_url(rest)) != NULL && strlen(url) + 20 > strlen(rest))
		return add_part(plan, F_LINK, url, clause);
	if (starts(s, "say", NULL) && (starts(rest, "hi", NULL) || starts(rest, "hello", NULL)))
		return true;			/* the greeting is there */
	return false;
}

/* offer / give / suggest [them] (NP | to VP) */
static bool
parse_offer(WriterPlan *plan, const char *s, const char *rest, const char *clause)
{
	bool		give = starts(s, "give", NULL);
	bool		suggest = starts(s, "suggest", NULL) || starts(s, "propose", NULL);
	const char *obj;

	rest = past_lead(rest);
	if (starts(rest, "to", &obj))
		return add_slot_part(plan, F_OFFER_VP, obj, true, clause);
	if (starts(rest, "that", NULL))
		return false;
	if (*rest == '\0')
		return false;
	if (is_meeting(rest) || suggest)
		return add_slot_part(plan, F_OFFER_Q, rest, true, clause);
	if (give && !has_word(rest, "off") && !has_word(rest, "free")
		&& !has_word(rest, "discount") && !strchr(rest, '%'))
		return false;
	return add_slot_part(plan, F_OFFER_NP, rest, true, clause);
}

/* ask if/whether: "they want X", "they'd like to X", "they are free on Tuesday" */
static bool
parse_ask_if(WriterPlan *plan, const char *obj, const char *clause)
{
	static const char *const want[] = {
		"they want", "they would like", "they'd like", "they need",
		"they are interested in", "they're interested in", "they fancy",
		"he or she wants", "she wants", "he wants", "she would like",
		"he would like", "he'd like", "she'd like", NULL
	};
	static const char *const be[] = {
		"they are", "they're", "he is", "she is", "he's", "she's",
		"they were", "they will be", "they'll be", "they can",
		"they could", "they would", "they will", "they have",
		"they've", "they plan", "they still", "they might", "they'd", NULL
	};
	const char *x;
	int			k;

	if ((k = starts_any(obj, want, &x)) >= 0)
	{
		if (starts(x, "to", &x))
			return add_slot_part(plan, F_WOULD_LIKE_VP, x, true, clause);
		if (starts(x, "any", NULL) || starts(x, "a", NULL) || starts(x, "an", NULL)
			|| starts(x, "some", NULL) || starts(x, "our", NULL)
			|| starts(x, "the", NULL) || starts(x, "more", NULL)
			|| starts(x, "another", NULL) || starts(x, "help", NULL)
			|| isdigit((unsigned char) *x))
			return add_slot_part(plan, F_WOULD_LIKE, x, true, clause);
		/* "they'd like us to hold one" */
		if (starts(x, "us to", NULL) || starts(x, "me to", NULL)
			|| starts(x, "someone to", NULL))
		{
			static const char *const asked[] = {
				"do you want", "would you like", "would you like", "do you need",
				"are you interested in", "are you interested in", "do you fancy",
				"do you want", "do you want", "do you want", "would you like",
				"would you like", "would you like", "would you like", NULL
			};

			return add_question(plan, asked[k], x, false, clause);
		}
		return false;
	}
	if ((k = starts_any(obj, be, &x)) >= 0)
	{
		static const char *const aux[] = {
			"are", "are", "were", "are", "are", "are", "were", "will",
			"will", "can", "could", "would", "will", "have", "have", "do",
			"are", "might", "would", NULL
		};
		static const char *const tail[] = {
			"", "", "", "", "", "", "", " be", " be", "", "", "", "", "",
			"", " plan", " still", "", "", NULL
		};

		return add_question(plan, psprintf("%s you%s", aux[k], tail[k]), x, true, clause);
	}
	/* "they know anyone who ...": do you know ... */
	if (starts(obj, "they", &x) && islower((unsigned char) *x)
		&& !starts_any(x, modals, NULL))
		return add_question(plan, "do you", x, true, clause);
	return false;
}

/* ask what / when / which ...: "ask when they'd like to come in" */
static bool
parse_ask_wh(WriterPlan *plan, const char *rest, const char *clause)
{
	static const char *const inv_from[] = {
		"they'd like", "they would like", "they want", "they are",
		"they're", "they can", "they could", "they will", "they'd",
		"they have", "they need", NULL
	};
	static const char *const inv_to[] = {
		"would you like", "would you like", "do you want", "are you",
		"are you", "can you", "could you", "will you", "would you",
		"do you have", "do you need", NULL
	};
	const char *obj;
	const char *after;
	char	   *lead_words;
	int			j;

	if (starts_any(rest, WORDS("what", "when", "which", "how", "where", "who"), &obj) < 0)
		return false;
	lead_words = pnstrdup(rest, obj - rest);
	/* "what time suits them" keeps its order */
	if ((j = starts_any(obj, inv_from, &after)) >= 0)
		return add_question(plan,
							psprintf("%s %s", trimmed(lead_words, strlen(lead_words)), inv_to[j]),
							after, false, clause);
	if (!has_word(obj, "they") && !has_word(obj, "he") && !has_word(obj, "she"))
		return add_question(plan, NULL, rest, true, clause);
	return false;
}

/* ask [them] (if/whether CL | to VP | for feedback | about NP | for a review | wh-) */
static bool
parse_ask(WriterPlan *plan, const char *s, const char *rest, const char *clause)
{
	const char *obj;
	const char *x;
	const char *and_q;
	int			cut = 13;

	if (!starts(s, "ask", NULL))
		rest = psprintf("if %s", rest);	/* "check whether", "see if" */
	else
		rest = past_lead(rest);
	/* "ask if they're free and whether they'd like a call": two questions */
	if ((and_q = strstr(rest, " and whether ")) == NULL)
	{
		and_q = strstr(rest, " and if ");
		cut = 8;
	}
	if (and_q && (starts(rest, "if", NULL) || starts(rest, "whether", NULL)))
		return parse_instruction(plan, psprintf("ask %.*s", (int) (and_q - rest), rest), clause)
			&& parse_instruction(plan, psprintf("ask whether %s", and_q + cut), clause);
	if (starts(rest, "if", &obj) || starts(rest, "whether", &obj))
		return parse_ask_if(plan, obj, clause);
	if (starts(rest, "to", &obj))
	{
		if (starts_any(obj, WORDS("reply", "respond", "text back", "text us"), &x) >= 0)
			return add_reply(plan, x, true, clause);
		if (is_lead_cta(to_lead(obj, true)))
			return add_slot_part(plan, F_CTA, obj, true, clause);
		return add_slot_part(plan, F_PLEASE_VP, obj, true, clause);
	}
	if (starts_any(rest, WORDS("for feedback", "for their feedback", "for a review",
							   "for their opinion", "for their thoughts", "for a rating"),
				   &obj) >= 0)
		return add_feedback(plan, obj, WORDS("on", "about", "of"), clause);
	if (starts(rest, "about", &obj))
		return add_slot_part(plan, F_FEEDBACK, obj, true, clause);
	/* "ask for a quick Google review: https://..." */
	if (starts(rest, "for", &obj) && has_any_word(obj, WORDS("review", "rating", "testimonial")))
	{
		char	   *url = find_url(obj);
		const char *end = url ? strstr(obj, url) : obj + strlen(obj);

		while (end > obj && (end[-1] == ' ' || end[-1] == ':' || end[-1] == '-'
							 || end[-1] == ','))
			end--;
		if (!add_slot_part(plan, F_REVIEW, pnstrdup(obj, end - obj), true, clause))
			return false;
		return url == NULL || add_part(plan, F_LINK, url, clause);
	}
	return parse_ask_wh(plan, rest, clause);
}

/* confirm NP | that CL */
static bool
parse_confirm(WriterPlan *plan, const char *s, const char *rest, const char *clause)
{
	return add_np_or_that(plan, past_lead(rest), F_CONFIRM_NP, F_CONFIRM_CL, clause);
}

/* welcome [them] (to NP | aboard | back) */
static bool
parse_welcome(WriterPlan *plan, const char *s, const char *rest, const char *clause)
{
	rest = past_lead(rest);
	if (starts(rest, "back", NULL))
		return add_slot_part(plan, F_LITERAL, "welcome back!", false, clause);
	if (starts(rest, "to", &rest) || starts(rest, "aboard", NULL))
		return *rest ? add_slot_part(plan, F_WELCOME_NP, rest, true, clause)
			: add_part(plan, F_WELCOME, NULL, clause);
	return *rest == '\0' && add_part(plan, F_WELCOME, NULL, clause);
}

/* wish [them] NP */
static bool
parse_wish(WriterPlan *plan, const char *s, const char *rest, const char *clause)
{
	rest = past_lead(rest);
	return *rest && add_slot_part(plan, F_WISH, rest, true, clause);
}

/* congratulate [them] on NP */
static bool
parse_congratulate(WriterPlan *plan, const char *s, const char *rest, const char *clause)
{
	rest = past_lead(rest);
	return (starts(rest, "on", &rest) || starts(rest, "for", &rest))
		&& add_slot_part(plan, F_CONGRATS, rest, true, clause);
}

/* apologise (to them) for NP */
static bool
parse_apologise(WriterPlan *plan, const char *s, const char *rest, const char *clause)
{
	rest = past_prep_lead(rest, "to");
	return starts(rest, "for", &rest) && add_slot_part(plan, F_APOLOGY, rest, true, clause);
}

/* follow up (with them) (on/about NP); "follow up with leads who ..." */
static bool
parse_follow_up(WriterPlan *plan, const char *s, const char *rest, const char *clause)
{
	char	   *org,
			   *verb,
			   *object;
	const char *obj;

	/* "Follow up with leads who downloaded our pricing guide" */
	if (starts(rest, "with", &obj) && audience(obj, &org, &verb, &object) > 0 && verb
		&& object[0])
	{
		if (org && !plan->sender_org)
			plan->sender_org = org;
		return add_slot_part(plan, F_FOLLOW_UP, object, true, clause);
	}
	rest = past_prep_lead(rest, "with");
	return (starts(rest, "on", &rest) || starts(rest, "about", &rest)
			|| starts(rest, "regarding", &rest))
		&& add_slot_part(plan, F_FOLLOW_UP, rest, true, clause);
}

/* check in (with them) (on/about NP) */
static bool
parse_check_in(WriterPlan *plan, const char *s, const char *rest, const char *clause)
{
	rest = past_prep_lead(rest, "with");
	if (*rest == '\0' || starts(rest, "to see how", NULL))
		return add_part(plan, F_CHECK_IN, NULL, clause);
	return (starts(rest, "on", &rest) || starts(rest, "about", &rest))
		&& add_slot_part(plan, F_FOLLOW_UP, rest, true, clause);
}

/* encourage / urge / get / nudge ... them to VP */
static bool
parse_encourage(WriterPlan *plan, const char *s, const char *rest, const char *clause)
{
	if (!lead_then(rest, "to", &rest))
		return false;
	if (starts(rest, "reply", NULL) || starts(rest, "respond", NULL))
		return parse_instruction(plan, psprintf("ask them to %s", rest), clause);
	if (is_lead_cta(to_lead(rest, true)))
		return add_slot_part(plan, F_CTA, rest, true, clause);
	return add_slot_part(plan, F_ENCOURAGE, rest, true, clause);
}

/* request / gather feedback (on NP) */
static bool
parse_request(WriterPlan *plan, const char *s, const char *rest, const char *clause)
{
	const char *obj;

	return starts_any(rest, WORDS("feedback", "their feedback", "a review", "reviews"), &obj) >= 0
		&& add_feedback(plan, obj, WORDS("on", "about"), clause);
}

/* include / provide / point them to a link, a phone number, a code */
static bool
parse_include(WriterPlan *plan, const char *s, const char *rest, const char *clause)
{
	static const char *const codes[] = {
		"the code", "code", "the promo code", "promo code", "the discount code",
		"discount code", "the coupon code", "coupon code", NULL
	};
	const char *obj;
	const char *p;
	char	   *url;
	int			n;

	if ((url = find_url(rest)) != NULL)
		return add_part(plan, F_LINK, url, clause);
	if (starts_any(rest, codes, &obj) >= 0
		&& (n = strspn(obj, "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_")) >= 3
		&& !is_word_char(obj[n]))
		return add_part(plan, F_CODE, pnstrdup(obj, n), clause);
	/* "our number 0113 496 0000", "the phone number +44 ..." */
	for (p = rest; *p && !isdigit((unsigned char) *p) && *p != '+'; p++)
		;
	if (*p && (has_word(rest, "number") || has_word(rest, "phone")))
	{
		int			len = strspn(p, "+0123456789 ()-");

		while (len > 0 && p[len - 1] == ' ')
			len--;
		if (len >= 7)
			return add_part(plan, F_CALL_US, pnstrdup(p, len), clause);
	}
	return false;
}

/*
 * The verbs, in the order they are tried: the first family whose verb
 * starts the instruction parses it (so "say sorry" is a "say", "ask for" an
 * "ask", "add" a "mention" and "give" an "offer").
 */
typedef bool (*VerbParser) (WriterPlan *plan, const char *s, const char *rest,
							const char *clause);

static const struct
{
	const char *const *verbs;
	VerbParser	parse;
}			verb_families[] =
{
	{WORDS("invite"), parse_invite},
	{WORDS("remind"), parse_remind},
	{WORDS("thank", "say thank you", "say thanks"), parse_thank},
	{WORDS("tell", "inform", "notify", "warn", "advise", "assure", "reassure"), parse_tell},
	{WORDS("update"), parse_update},
	{WORDS("announce"), parse_announce},
	{WORDS("promote", "introduce", "present", "showcase"), parse_introduce},
	{WORDS("share"), parse_share},
	{WORDS("highlight", "emphasise", "emphasize", "stress", "point out", "note", "mention",
		   "explain", "say", "add"), parse_mention},
	{WORDS("offer", "give", "suggest", "propose", "extend"), parse_offer},
	{WORDS("ask", "check whether", "check if", "find out whether", "find out if", "see if",
		   "see whether"), parse_ask},
	{WORDS("confirm"), parse_confirm},
	{WORDS("welcome"), parse_welcome},
	{WORDS("wish"), parse_wish},
	{WORDS("congratulate"), parse_congratulate},
	{WORDS("apologise", "apologize", "say sorry"), parse_apologise},
	{WORDS("follow up", "follow-up"), parse_follow_up},
	{WORDS("check in", "check-in"), parse_check_in},
	{WORDS("encourage", "urge", "get", "prompt", "nudge", "push", "motivate", "convince",
		   "persuade"), parse_encourage},
	{WORDS("request", "ask for", "gather", "collect", "get feedback"), parse_request},
	{WORDS("include", "add", "provide", "point", "direct", "send", "drive", "link", "put",
		   "give"), parse_include},
};

/*
 * An instruction starting with its verb ("invite them to our demo on
 * Friday"). true when understood: its part is in the plan.
 */
bool
parse_instruction(WriterPlan *plan, const char *s, const char *clause)
{
	const char *rest;
	int			i;

	/* "let them know ..." is "tell them ..." */
	if (starts(s, "let", &rest) && lead_then(rest, "know", &rest))
		s = psprintf("tell them %s", rest);
	for (i = 0; i < (int) lengthof(verb_families); i++)
		if (starts_any(s, verb_families[i].verbs, &rest) >= 0)
			return verb_families[i].parse(plan, s, rest, clause);
	return false;
}
