/*-------------------------------------------------------------------------
 *
 * writer_internal.h
 *	  What the files of the built-in writer share (writer.c lists them): the
 *	  plan and its parts, the frames, and the functions and word lists each
 *	  file lends the others. Only those files include it; the rest of the
 *	  extension sees the writer through engine.h.
 *
 *-------------------------------------------------------------------------
 */
#ifndef WRITER_INTERNAL_H
#define WRITER_INTERNAL_H

#include "engine.h"
#include "nodes/pg_list.h"

/*
 * None of this is exported from smscamp.so: the short names below must not
 * meet, or be taken for, another library's symbols of the same name.
 */
#pragma GCC visibility push(hidden)

/* ---------------------------------------------------------------- plans */

typedef enum Frame
{
	F_LITERAL,					/* the business's own sentence, as written */
	F_STATEMENT,				/* a clause told to the lead ("tell them ...") */
	F_INVITE_NP,
	F_INVITE_VP,
	F_REMIND_NP,
	F_REMIND_CL,
	F_REMIND_VP,
	F_REMIND_COLON,				/* "Reminder: webinar starts in 1 hour" */
	F_THANK_FOR,
	F_THANK,
	F_ANNOUNCE_NP,
	F_ANNOUNCE_CL,
	F_INTRODUCE,
	F_TELL_ABOUT,
	F_SHARE,
	F_ALSO,						/* "mention the free first month" */
	F_OFFER_NP,
	F_OFFER_Q,					/* "offer a call": a question */
	F_OFFER_VP,					/* "offer to call them back" */
	F_WOULD_LIKE,				/* "ask if they want a brochure" */
	F_WOULD_LIKE_VP,			/* "ask if they'd like to come in" */
	F_QUESTION,					/* a question already formed */
	F_PLEASE_VP,				/* "ask them to confirm" */
	F_CONFIRM_NP,
	F_CONFIRM_CL,
	F_WELCOME_NP,
	F_WELCOME,
	F_WISH,
	F_CONGRATS,
	F_APOLOGY,
	F_FOLLOW_UP,
	F_CHECK_IN,
	F_ENCOURAGE,
	F_FEEDBACK,
	F_REVIEW,					/* "ask for a quick Google review" */
	F_UPDATE_ON,
	F_CTA,						/* an imperative to the lead: last */
	F_REPLY_TO_VP,				/* "invite them to reply to book a call" */
	F_REPLY,					/* "ask them to reply" */
	F_LINK,
	F_CALL_US,
	F_CODE,
	F_COUNT
} Frame;

/* frames whose slot is said without a frame of its own words (for checks) */
#define FRAME_IS_CTA(f) ((f) == F_CTA || (f) == F_REPLY_TO_VP || (f) == F_REPLY \
						 || (f) == F_LINK || (f) == F_CALL_US || (f) == F_CODE)

typedef struct WriterPart
{
	Frame		frame;
	char	   *slot;			/* NULL for frames without one */
	char	   *clause;			/* the prompt's words it came from */
} WriterPart;

struct WriterPlan
{
	char	   *sender_person;	/* "Sam" */
	char	   *sender_org;		/* "Acme" */
	List	   *parts;			/* WriterPart *, in the prompt's order */
	List	   *style;			/* clauses understood as style (char *) */
	List	   *context;		/* clauses describing the lead, not used */
	int			company;		/* 1: mention it, 0: as fits, -1: never */
	char	   *error;			/* why the prompt was not understood */
};

/* ---------------------------------------------------------------- writer_words.c */

extern bool is_word_char(char c);
extern bool starts(const char *s, const char *p, const char **rest);
extern int	starts_any(const char *s, const char *const *list, const char **rest);
extern bool has_word(const char *s, const char *w);
extern bool has_any_word(const char *s, const char *const *words);
extern char *trimmed(const char *s, int len);
extern char *first_word_lower(const char *s);
extern bool in_list(const char *w, const char *const *list);
extern int	lead_phrase(const char *s, bool *possessive);

/* a word or the text between two words */
typedef struct Tok
{
	char	   *text;
	bool		word;
} Tok;

extern List *tokenize(const char *s);
extern char *to_lead(const char *text, bool writer_you);
extern bool slot_is_sendable(const char *slot);
extern bool add_part(WriterPlan *plan, Frame frame, const char *slot, const char *clause);
extern bool add_slot_part(WriterPlan *plan, Frame frame, const char *s, bool writer_you,
						  const char *clause);
extern int	proper_name_len(const char *s);
extern char *gerund_of(const char *past);
extern char *find_url(const char *s);

/* ---------------------------------------------------------------- writer_persona.c */

extern const char *const message_nouns[];

extern bool parse_sender(WriterPlan *plan, const char *s);
extern bool understand_persona(WriterPlan *plan, const char *s, const char **goes_on);
extern bool understand_signature(WriterPlan *plan, const char *s);
extern int	audience(const char *s, char **org, char **verb, char **object);
extern bool is_style(WriterPlan *plan, const char *s);
extern char *after_message_noun(WriterPlan *plan, const char *s, const char *noun);

/* ---------------------------------------------------------------- writer_clause.c */

extern const char *const writer_verbs[];

extern bool understand_clause(WriterPlan *plan, const char *clause);
extern bool is_literal(const char *s);

/* ---------------------------------------------------------------- writer_heading.c */

extern bool understand_label(WriterPlan *plan, const char *s, bool *understood);
extern bool understand_heading(WriterPlan *plan, const char *s, const char *clause);

/* ---------------------------------------------------------------- writer_instruction.c */

extern const char *const instruction_verbs[];
extern const char *const modals[];
extern const char *const cta_verbs[];

extern bool is_lead_cta(const char *s);
extern bool parse_instruction(WriterPlan *plan, const char *s, const char *clause);

#pragma GCC visibility pop

#endif							/* WRITER_INTERNAL_H */
