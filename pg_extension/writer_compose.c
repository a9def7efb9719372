/*-------------------------------------------------------------------------
 *
 * writer_compose.c
 *	  The plan said: each frame's phrasings, the message for one lead
 *	  ("Hi Ada, it's Sam from Acme. ..."), the plan as JSON, and the SQL
 *	  function smscamp_writer_explain that shows it.
 *
 *-------------------------------------------------------------------------
 */
#include "smscamp.h"
#include "engine.h"
#include "writer_internal.h"

#include "common/hashfn.h"
#include "fmgr.h"
#include "lib/stringinfo.h"
#include "nodes/pg_list.h"
#include "utils/builtins.h"
#include "utils/json.h"
#include "utils/jsonb.h"

/* ---------------------------------------------------------------- frames */

/*
 * The phrasings of each frame, the first being the plain one. %s is the
 * slot. Lower case: the composer capitalises what starts a sentence. Every
 * phrasing is GSM-7 (no typographic quotes or dashes).
 */
static const char *const frame_texts[F_COUNT][3] = {
	[F_LITERAL] = {"%s"},
	[F_STATEMENT] = {"%s."},
	[F_INVITE_NP] = {"you're invited to %s.", "we'd love to see you at %s.",
	"join us for %s!"},
	[F_INVITE_VP] = {"you're invited to %s.", "we'd love for you to %s."},
	[F_REMIND_NP] = {"just a reminder about %s.", "a quick reminder about %s.",
	"don't forget %s."},
	[F_REMIND_CL] = {"just a reminder that %s.", "a quick reminder: %s."},
	[F_REMIND_VP] = {"just a reminder to %s.", "don't forget to %s."},
	[F_REMIND_COLON] = {"just a reminder: %s.", "a quick reminder: %s."},
	[F_THANK_FOR] = {"thank you for %s.", "thanks so much for %s."},
	[F_THANK] = {"thank you!", "thanks so much!"},
	[F_ANNOUNCE_NP] = {"we're excited to announce %s.", "big news: %s."},
	[F_ANNOUNCE_CL] = {"we're happy to let you know that %s.", "good news: %s."},
	[F_INTRODUCE] = {"we'd like to introduce %s.", "meet %s."},
	[F_TELL_ABOUT] = {"we wanted to tell you about %s.",
	"we'd love to tell you about %s."},
	[F_SHARE] = {"here's %s.", "we wanted to share %s with you."},
	[F_ALSO] = {"there's also %s.", "plus, there's %s."},
	[F_OFFER_NP] = {"we'd like to offer you %s.", "we can offer you %s."},
	[F_OFFER_Q] = {"would you like %s?", "would you be up for %s?"},
	[F_OFFER_VP] = {"we'd be happy to %s.", "we'd love to %s."},
	[F_WOULD_LIKE] = {"would you like %s?", "are you interested in %s?"},
	[F_WOULD_LIKE_VP] = {"would you like to %s?"},
	[F_QUESTION] = {"%s?"},
	[F_PLEASE_VP] = {"please %s.", "could you please %s?"},
	[F_CONFIRM_NP] = {"this is to confirm %s.", "just confirming %s."},
	[F_CONFIRM_CL] = {"just confirming that %s.", "this is to confirm that %s."},
	[F_WELCOME_NP] = {"welcome to %s!", "a warm welcome to %s!"},
	[F_WELCOME] = {"welcome!", "a warm welcome!"},
	[F_WISH] = {"wishing you %s!", "we wish you %s!"},
	[F_CONGRATS] = {"congratulations on %s!", "congrats on %s!"},
	[F_APOLOGY] = {"we're sorry for %s.", "apologies for %s."},
	[F_FOLLOW_UP] = {"just following up on %s.", "following up on %s."},
	[F_CHECK_IN] = {"just checking in to see how things are going.",
	"just checking in - how are things going?"},
	[F_ENCOURAGE] = {"we'd love for you to %s.", "why not %s?"},
	[F_REVIEW] = {"could you leave us %s?", "we'd be grateful for %s."},
	[F_FEEDBACK] = {"we'd love your feedback on %s.",
	"we'd love to hear what you think of %s."},
	[F_UPDATE_ON] = {"a quick update on %s.", "here's a quick update on %s."},
	[F_CTA] = {"%s."},
	[F_REPLY_TO_VP] = {"would you like to %s? Just reply to this message.",
	"want to %s? Just reply here."},
	[F_REPLY] = {"just reply to this message.", "simply reply to this text."},
	[F_LINK] = {"details: %s", "find out more at %s", "more at %s"},
	[F_CALL_US] = {"call us on %s.", "give us a call on %s."},
	[F_CODE] = {"use code %s.", "just use code %s."},
};

/* the frames of a sales message, where the lead's company fits */
#define FRAME_IS_SALES(f) ((f) == F_INVITE_NP || (f) == F_INVITE_VP \
						   || (f) == F_OFFER_NP || (f) == F_OFFER_Q \
						   || (f) == F_ANNOUNCE_NP || (f) == F_ANNOUNCE_CL \
						   || (f) == F_INTRODUCE || (f) == F_TELL_ABOUT \
						   || (f) == F_SHARE || (f) == F_REPLY_TO_VP)

static const char *const frame_names[F_COUNT] = {
	[F_LITERAL] = "literal", [F_STATEMENT] = "statement",
	[F_INVITE_NP] = "invite", [F_INVITE_VP] = "invite",
	[F_REMIND_NP] = "remind", [F_REMIND_CL] = "remind", [F_REMIND_VP] = "remind",
	[F_REMIND_COLON] = "remind",
	[F_THANK_FOR] = "thank", [F_THANK] = "thank",
	[F_ANNOUNCE_NP] = "announce", [F_ANNOUNCE_CL] = "announce",
	[F_INTRODUCE] = "introduce", [F_TELL_ABOUT] = "tell", [F_SHARE] = "share",
	[F_ALSO] = "also",
	[F_OFFER_NP] = "offer", [F_OFFER_Q] = "offer", [F_OFFER_VP] = "offer",
	[F_WOULD_LIKE] = "question", [F_WOULD_LIKE_VP] = "question",
	[F_QUESTION] = "question", [F_PLEASE_VP] = "request",
	[F_CONFIRM_NP] = "confirm", [F_CONFIRM_CL] = "confirm",
	[F_WELCOME_NP] = "welcome", [F_WELCOME] = "welcome", [F_WISH] = "wish",
	[F_CONGRATS] = "congratulate", [F_APOLOGY] = "apologise",
	[F_FOLLOW_UP] = "follow up", [F_CHECK_IN] = "check in",
	[F_ENCOURAGE] = "encourage", [F_FEEDBACK] = "feedback", [F_REVIEW] = "review",
	[F_UPDATE_ON] = "update", [F_CTA] = "call to action",
	[F_REPLY_TO_VP] = "call to action", [F_REPLY] = "call to action",
	[F_LINK] = "link", [F_CALL_US] = "phone number", [F_CODE] = "code",
};

/* the part in its k-th phrasing */
static char *
part_text(const WriterPart *part, int k)
{
	const char *frame = frame_texts[part->frame][k];

	return part->slot ? psprintf(frame, part->slot) : pstrdup(frame);
}

/* ---------------------------------------------------------------- the plan as JSON */

/* s as a JSON string, or null */
static void
append_json_string(StringInfo b, const char *s)
{
	if (s)
		escape_json(b, s);
	else
		appendStringInfoString(b, "null");
}

/* the strings (char *) of list as a JSON array */
static void
append_json_strings(StringInfo b, const List *list)
{
	ListCell   *lc;

	appendStringInfoChar(b, '[');
	foreach(lc, list)
	{
		if (lc != list_head(list))
			appendStringInfoString(b, ", ");
		escape_json(b, lfirst(lc));
	}
	appendStringInfoChar(b, ']');
}

/*
 * What the writer understood, as JSON text: {"ok", "error", "sender",
 * "parts": [{"kind", "text"}], "style": [...], "not_used": [...],
 * "company"}. "text" is the part in its plain phrasing, with the lead's
 * words in the second person.
 */
char *
smscamp_writer_plan_json(const WriterPlan *plan)
{
	StringInfoData b;
	ListCell   *lc;

	initStringInfo(&b);
	appendStringInfo(&b, "{\"ok\": %s, \"error\": ", plan->error ? "false" : "true");
	append_json_string(&b, plan->error);
	appendStringInfoString(&b, ", \"sender\": ");
	append_json_string(&b, smscamp_writer_plan_sender(plan));
	appendStringInfo(&b, ", \"company\": \"%s\", \"parts\": [",
					 plan->company > 0 ? "always" : plan->company < 0 ? "never" : "when it fits");
	foreach(lc, plan->parts)
	{
		WriterPart *part = lfirst(lc);

		if (lc != list_head(plan->parts))
			appendStringInfoString(&b, ", ");
		appendStringInfoString(&b, "{\"kind\": ");
		escape_json(&b, frame_names[part->frame]);
		appendStringInfoString(&b, ", \"text\": ");
		escape_json(&b, part_text(part, 0));
		appendStringInfoString(&b, ", \"from\": ");
		escape_json(&b, part->clause);
		appendStringInfoChar(&b, '}');
	}
	appendStringInfoString(&b, "], \"style\": ");
	append_json_strings(&b, plan->style);
	appendStringInfoString(&b, ", \"not_used\": ");
	append_json_strings(&b, plan->context);
	appendStringInfoChar(&b, '}');
	return b.data;
}

/* ---------------------------------------------------------------- composing */

/* first words that stay lower case after "Hi Ada," */
static bool
lowercase_after_greeting(const char *s)
{
	static const char *const ok[] = {
		"you're", "you", "your", "just", "a", "an", "the", "thank", "thanks",
		"we're", "we'd", "we", "we've", "we'll", "our", "would", "could",
		"please", "don't", "this", "welcome", "wishing", "congratulations",
		"congrats", "apologies", "meet", "big", "good", "there's", "there",
		"it's", "it", "want", "are", "can", "do", "will", "have", "what", "when",
		"which", "how", "where", "who", "why", "join", "details", "find",
		"more", "use", "call", "give", "reply", "simply", "here's", "following",
		"sorry", "hope", "happy", "great", "exciting", "only", "save", "see",
		"reminder", "quick", "book", "visit", "come", "don't", "one", "all",
		"every", "today", "tomorrow", "tonight", "new", "free", "last", NULL
	};
	char	   *w = first_word_lower(s);

	return in_list(w, ok);
}

/* deterministic choices per lead: 0 at temperature 0 */
static int
pick(const SmsLead *lead, int slot, int n, int temperature)
{
	uint32		h;
	uint64		key[3];

	if (n <= 1 || temperature <= 0)
		return 0;
	key[0] = (uint64) lead->lead_id;
	key[1] = (uint64) lead->campaign_id;
	key[2] = (uint64) slot;
	h = hash_bytes((const unsigned char *) key, sizeof(key));
	/* the warmer, the likelier a phrasing other than the first */
	if ((int) (h % 200) >= temperature)
		return 0;
	return (int) ((h >> 8) % (uint32) n);
}

static int
frame_variants(Frame f)
{
	int			n = 0;

	while (n < 3 && frame_texts[f][n])
		n++;
	return n;
}

static void
append_sentence(StringInfo out, const char *text, bool after_greeting)
{
	int			at;

	if (out->len > 0 && out->data[out->len - 1] != ' ')
		appendStringInfoChar(out, ' ');
	at = out->len;
	appendStringInfoString(out, text);
	if (after_greeting)
		out->data[at] = pg_tolower((unsigned char) out->data[at]);
	else
		out->data[at] = pg_toupper((unsigned char) out->data[at]);
}

/* the sentence about the lead's company, by what the message is for */
static const char *const company_invite[] = {
	"we'd love to see the team from %s there.",
	"feel free to bring colleagues from %s."
};
static const char *const company_meeting[] = {
	"we'd love to hear what's new at %s.",
	"it would be great to learn more about %s."
};
static const char *const company_news[] = {
	"we think it could be a great fit for %s.",
	"we thought it might interest the team at %s."
};
static const char *const company_general[] = {
	"we thought of you and the team at %s.",
	"we hope all is well at %s."
};

static const char *const *
company_sentences(Frame f)
{
	switch (f)
	{
		case F_INVITE_NP:
		case F_INVITE_VP:
			return company_invite;
		case F_OFFER_Q:
		case F_REPLY_TO_VP:
		case F_WOULD_LIKE_VP:
		case F_QUESTION:
			return company_meeting;
		case F_OFFER_NP:
		case F_ANNOUNCE_NP:
		case F_ANNOUNCE_CL:
		case F_INTRODUCE:
		case F_TELL_ABOUT:
		case F_SHARE:
			return company_news;
		default:
			return company_general;
	}
}

/* the company sentence (phrasing k) after a message that starts with frame f */
static char *
company_sentence(Frame f, int k, const char *company)
{
	return psprintf(company_sentences(f)[k], company);
}

/*
 * The message for one lead, or NULL when it does not fit smscamp.max_segments
 * even in its shortest form (*error says so). shortest: the intro and the
 * company sentence are left out and every frame takes its first phrasing.
 */
static char *
compose(const WriterPlan *plan, const SmsLead *lead, int temperature, bool shortest)
{
	StringInfoData out;
	ListCell   *lc;
	char	   *first = smscamp_first_name(lead->name);
	bool		after_greeting = true;
	bool		company_done = false;
	bool		want_company;
	Frame		first_frame = F_LITERAL;
	int			round;
	int			slotno = 0;

	initStringInfo(&out);
	appendStringInfo(&out, "%s %s,", pick(lead, slotno++, 2, temperature) ? "Hello" : "Hi", first);

	/* the sender: "it's Sam from Acme." (always: a message says who it is from) */
	if (plan->sender_person || plan->sender_org)
	{
		char	   *who = smscamp_writer_plan_sender(plan);
		static const char *const intros[] = {"it's %s.", "this is %s."};
		int			k = shortest ? 0 : pick(lead, slotno++, 2, temperature);

		append_sentence(&out, psprintf(intros[k], who), true);
		after_greeting = false;
	}

	if (plan->parts)
		first_frame = ((WriterPart *) linitial(plan->parts))->frame;
	want_company = !shortest && plan->company >= 0 && lead->company && lead->company[0]
		&& (plan->company > 0 || FRAME_IS_SALES(first_frame));

	/* the parts, then the calls to action */
	for (round = 0; round < 2; round++)
	{
		foreach(lc, plan->parts)
		{
			WriterPart *part = lfirst(lc);
			Frame		f = part->frame;
			int			k;
			char	   *text;

			if ((round == 0) == FRAME_IS_CTA(f))
				continue;
			/* the lead's company, once: before the calls to action ... */
			if (want_company && !company_done && round == 1)
			{
				company_done = true;
				append_sentence(&out,
								company_sentence(first_frame, pick(lead, slotno++, 2, temperature),
												 lead->company),
								after_greeting);
				after_greeting = false;
			}
			k = shortest ? 0 : pick(lead, slotno++, frame_variants(f), temperature);
			text = part_text(part, k);
			if (after_greeting && !lowercase_after_greeting(text))
			{
				/* "Hi Ada, Acme's sale ...": a name keeps its capital */
				out.data[out.len - 1] = '!';
				after_greeting = false;
			}
			append_sentence(&out, text, after_greeting);
			after_greeting = false;
			/* ... or after the first part */
			if (want_company && !company_done)
			{
				company_done = true;
				append_sentence(&out,
								company_sentence(first_frame, pick(lead, slotno++, 2, temperature),
												 lead->company),
								false);
			}
		}
	}
	return out.data;
}

/* the message, cleaned, when it fits smscamp.max_segments with the footer; or NULL */
static char *
composed_to_fit(const WriterPlan *plan, const SmsLead *lead, bool shortest)
{
	char	   *text = smscamp_sanitize_message(compose(plan, lead, lead->temperature, shortest));
	bool		fits;

	(void) smscamp_fit_message(text, smscamp_max_segments, smscamp_optout_footer, &fits);
	return fits ? text : NULL;
}

/*
 * The built-in writer's message for a lead from its campaign's prompt, or
 * NULL with *error when the prompt was not understood or the message cannot
 * fit smscamp.max_segments (with the opt-out footer).
 */
char *
smscamp_builtin_message(const SmsLead *lead, char **error)
{
	WriterPlan *plan = smscamp_writer_plan(lead->prompt, lead->sender_name);
	char	   *text;

	*error = NULL;
	if (plan->error)
	{
		*error = psprintf("The built-in writer could not write a message from the prompt: %s",
						  plan->error);
		return NULL;
	}
	if ((text = composed_to_fit(plan, lead, false)) != NULL)
		return text;
	/* shorter: no company sentence, the plainest phrasings */
	if ((text = composed_to_fit(plan, lead, true)) != NULL)
		return text;
	/* a name GSM-7 cannot write makes the message UCS-2, a third as long */
	if (lead->name && strcmp(smscamp_gsm_fold(lead->name), lead->name) != 0)
	{
		SmsLead		folded = *lead;

		folded.name = smscamp_gsm_fold(lead->name);
		if ((text = composed_to_fit(plan, &folded, true)) != NULL)
			return text;
	}
	*error = psprintf("The built-in writer's message would be longer than smscamp.max_segments (%d): "
					  "shorten the prompt or write a template", smscamp_max_segments);
	return NULL;
}

/* first word of a name, or "there" */
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

/* ---------------------------------------------------------------- SQL */

PG_FUNCTION_INFO_V1(smscamp_writer_explain);

/*
 * smscamp_writer_explain(prompt text, sender_name text) -> jsonb: what the
 * built-in writer understands of a prompt (smscamp_writer_plan_json).
 */
Datum
smscamp_writer_explain(PG_FUNCTION_ARGS)
{
	char	   *prompt = PG_ARGISNULL(0) ? NULL : text_to_cstring(PG_GETARG_TEXT_PP(0));
	char	   *sender = PG_ARGISNULL(1) ? NULL : text_to_cstring(PG_GETARG_TEXT_PP(1));
	WriterPlan *plan = smscamp_writer_plan(prompt, sender);

	PG_RETURN_DATUM(DirectFunctionCall1(jsonb_in,
										CStringGetDatum(smscamp_writer_plan_json(plan))));
}
