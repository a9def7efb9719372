/*
 * Target "writer": the built-in writer, templates and guardrails of
 * pg_extension/writer*.c, template.c and guardrails.c (included, not copied),
 * over sms.c's segment counter. A prompt or a template is what a user types
 * into a form: outside input, and the writer parses it word by word.
 *
 * Input: the first byte picks the lead's name (with or without a company,
 * an accented name) and the temperature; the rest is the text, used as the
 * campaign's prompt, as its template, and as a model's answer.
 *
 * Properties: nothing crashes or raises an ERROR; the plan either fails
 * with a reason or has parts; a message the built-in writer returns greets
 * the lead, fits smscamp.max_segments with the opt-out footer, and is valid
 * UTF-8 when the prompt is; the same input gives the same message (a
 * preview shows what is sent); a valid template's message keeps no
 * placeholder; a model answer's problem, when there is one, is a sentence.
 */

#include "../../pg_extension/sms.c"
#include "../../pg_extension/guardrails.c"
#include "../../pg_extension/template.c"
#include "../../pg_extension/writer.c"
#include "../../pg_extension/writer_words.c"
#include "../../pg_extension/writer_persona.c"
#include "../../pg_extension/writer_clause.c"
#include "../../pg_extension/writer_heading.c"
#include "../../pg_extension/writer_instruction.c"
#include "../../pg_extension/writer_compose.c"

#include "pg_stubs.h"

#include <stdio.h>
#include <sys/mman.h>

/* the GUCs of smscamp.c / settings.c these files read */
int			smscamp_max_segments = 2;
char	   *smscamp_optout_footer = "Reply STOP to opt out";

static bool
valid_utf8(const char *s)
{
	size_t		n = strlen(s);

	return pg_encoding_verifymbstr(PG_UTF8, s, (int) n) == (int) n;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const names[] = {"Ada Lovelace", "Bo", "María José García", ""};
	char	   *buf;
	void	   *map;
	size_t		maplen;
	sigjmp_buf	jmp;
	SmsLead		lead;
	WriterPlan *plan;
	char	   *error;
	char	   *message;
	char	   *again;
	bool		fits;
	bool		text_valid;

	if (size < 1 || size > 8192)
		return 0;
	buf = fuzz_guarded_copy(data + 1, size - 1, &map, &maplen);
	/* the text as a C string: up to its first NUL, as PostgreSQL's text would be */
	buf = pnstrdup(buf, size - 1);
	text_valid = valid_utf8(buf);

	fuzz_pg_error_jmp = &jmp;
	if (sigsetjmp(jmp, 0) != 0)
	{
		fprintf(stderr, "fuzz: the writer raised an ERROR\n");
		abort();
	}

	memset(&lead, 0, sizeof(lead));
	lead.id = 1;
	lead.campaign_id = 7;
	lead.lead_id = data[0];
	lead.name = (char *) names[data[0] & 3];
	lead.company = (data[0] & 4) ? "Analytical Engines" : NULL;
	lead.temperature = (data[0] >> 3) * 7;
	lead.prompt = buf;
	if (data[0] & 0x80)
	{
		lead.attribute_keys = lappend(NIL, "city");
		lead.attribute_values = lappend(NIL, "Leeds");
	}

	/* the built-in writer: a plan, then a message or a reason */
	plan = smscamp_writer_plan(buf, (data[0] & 0x40) ? "Sam from Acme" : NULL);
	(void) smscamp_writer_plan_json(plan);
	message = smscamp_builtin_message(&lead, &error);
	FUZZ_CHECK((message == NULL) != (error == NULL));
	if (message)
	{
		FUZZ_CHECK(strncmp(message, "Hi ", 3) == 0 || strncmp(message, "Hello ", 6) == 0);
		(void) smscamp_fit_message(message, smscamp_max_segments, smscamp_optout_footer, &fits);
		FUZZ_CHECK(fits);
		FUZZ_CHECK(!text_valid || valid_utf8(message));
		again = smscamp_builtin_message(&lead, &error);
		FUZZ_CHECK(again && strcmp(again, message) == 0);
	}

	/* the same text as a template */
	if (smscamp_template_error(buf) == NULL)
	{
		List	   *missing;
		char	   *filled = smscamp_template_fill(buf, &lead, "Sam from Acme", &missing);
		const char *p;

		/* no placeholder is left: every brace is a literal one ({{ or }}) */
		for (p = buf; *p; p++)
			if ((p[0] == '{' && p[1] == '{') || (p[0] == '}' && p[1] == '}'))
				break;
		if (*p == '\0')
			FUZZ_CHECK(strchr(filled, '{') == NULL && strchr(filled, '}') == NULL);
		FUZZ_CHECK(!text_valid || valid_utf8(filled));
		(void) smscamp_sanitize_message(filled);
	}

	/* and as a model's answer */
	{
		char	   *clean = smscamp_sanitize_message(buf);
		char	   *problem = smscamp_model_text_problem(clean);

		FUZZ_CHECK(problem == NULL || strlen(problem) > 10);
		FUZZ_CHECK(!text_valid || valid_utf8(clean));
		(void) smscamp_gsm_fold(buf);
	}

	fuzz_pg_error_jmp = NULL;
	munmap(map, maplen);
	fuzz_pg_reset();
	return 0;
}
