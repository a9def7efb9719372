/*-------------------------------------------------------------------------
 *
 * template.c
 *	  Message templates: a campaign's sms_template is the message itself,
 *	  with placeholders filled in for each lead.
 *
 *	  {first_name} {name} {company} {notes} {email} {sender_name}
 *	  {attributes.city}		 a custom field of the lead
 *	  {company|your team}	 the words after | when the field is empty
 *	  {{ and }}				 literal braces
 *
 *	  A placeholder that is empty and has no fallback drops out, and the
 *	  spaces and punctuation around it are tidied ("Hi Ada , thanks" ->
 *	  "Hi Ada, thanks"). smscamp_template_error() says what is wrong with a
 *	  template (an unknown placeholder, a brace left open) before any lead
 *	  is written to.
 *
 *-------------------------------------------------------------------------
 */
#include "smscamp.h"
#include "engine.h"

#include <ctype.h>

#include "fmgr.h"
#include "lib/stringinfo.h"
#include "utils/builtins.h"

static const char *const fields[] = {
	"first_name", "name", "company", "notes", "email", "sender_name", NULL
};

#define ATTRIBUTES_PREFIX "attributes."

/* an attribute key: what the API accepts for leads.attributes */
static bool
valid_attribute_key(const char *k, int len)
{
	int			i;

	if (len < 1 || len > 64 || !(isalpha((unsigned char) k[0]) || k[0] == '_'))
		return false;
	for (i = 1; i < len; i++)
		if (!(isalnum((unsigned char) k[i]) || k[i] == '_'))
			return false;
	return true;
}

/*
 * One placeholder's text between the braces, split into its name (trimmed)
 * and fallback (NULL without a |). false when the name is not one we know.
 */
static bool
parse_placeholder(const char *p, int len, char **name, char **fallback)
{
	const char *bar = memchr(p, '|', len);
	int			nlen = bar ? bar - p : len;
	int			i;

	while (nlen > 0 && p[0] == ' ')
		p++, nlen--, len--;
	while (nlen > 0 && p[nlen - 1] == ' ')
		nlen--;
	*name = pnstrdup(p, nlen);
	*fallback = bar ? pnstrdup(bar + 1, len - (bar + 1 - p)) : NULL;
	for (i = 0; fields[i]; i++)
		if (strcmp(*name, fields[i]) == 0)
			return true;
	return strncmp(*name, ATTRIBUTES_PREFIX, strlen(ATTRIBUTES_PREFIX)) == 0
		&& valid_attribute_key(*name + strlen(ATTRIBUTES_PREFIX),
							   nlen - strlen(ATTRIBUTES_PREFIX));
}

/* what is wrong with a template, or NULL when it is fine */
char *
smscamp_template_error(const char *tpl)
{
	const char *p = tpl;
	bool		text = false;

	for (; *p; p++)
	{
		if (p[0] == '{' && p[1] == '{')
		{
			p++;
			text = true;
			continue;
		}
		if (p[0] == '}' && p[1] == '}')
		{
			p++;
			text = true;
			continue;
		}
		if (*p == '}')
			return psprintf("a } without its {: write }} for a brace in the message");
		if (*p == '{')
		{
			const char *close = strchr(p + 1, '}');
			const char *open = strchr(p + 1, '{');
			char	   *name;
			char	   *fallback;

			if (close == NULL || (open && open < close))
				return psprintf("the placeholder starting \"%.20s\" is not closed with }", p);
			if (!parse_placeholder(p + 1, close - p - 1, &name, &fallback))
				return psprintf("unknown placeholder {%s}: use {first_name}, {name}, {company}, "
								"{notes}, {email}, {sender_name} or {attributes.<field>}, "
								"and {field|words} for the words to use when it is empty",
								name);
			p = close;
			continue;
		}
		if (*p != ' ' && *p != '\n' && *p != '\r' && *p != '\t')
			text = true;
	}
	if (!text)
		return pstrdup("the template has no text of its own");
	return NULL;
}

static const char *
attribute_of(const SmsLead *lead, const char *key)
{
	ListCell   *k;
	ListCell   *v;

	forboth(k, lead->attribute_keys, v, lead->attribute_values)
		if (strcmp(lfirst(k), key) == 0)
			return lfirst(v);
	return NULL;
}

/* the value of a placeholder for a lead: "" when it has none */
static const char *
field_value(const SmsLead *lead, const char *name, const char *sender)
{
	const char *v = NULL;

	if (strcmp(name, "first_name") == 0)
		v = (lead->name && lead->name[0]) ? smscamp_first_name(lead->name) : NULL;
	else if (strcmp(name, "name") == 0)
		v = lead->name;
	else if (strcmp(name, "company") == 0)
		v = lead->company;
	else if (strcmp(name, "notes") == 0)
		v = lead->notes;
	else if (strcmp(name, "email") == 0)
		v = lead->email;
	else if (strcmp(name, "sender_name") == 0)
		v = sender;
	else
		v = attribute_of(lead, name + strlen(ATTRIBUTES_PREFIX));
	return v ? v : "";
}

/* runs of spaces as one, none before , . ! ? ; : and no ", ." left */
static char *
tidy(const char *s)
{
	StringInfoData out;
	const char *p;

	initStringInfo(&out);
	for (p = s; *p; p++)
	{
		char		c = *p;

		if (c == ' ' || c == '\t')
		{
			if (out.len == 0 || out.data[out.len - 1] == ' ' || out.data[out.len - 1] == '\n')
				continue;
			appendStringInfoChar(&out, ' ');
			continue;
		}
		if (strchr(",.!?;:", c) && c != '\0')
		{
			while (out.len > 0 && out.data[out.len - 1] == ' ')
				out.data[--out.len] = '\0';
			/* ", ." and ",," : the comma goes */
			if (out.len > 0 && out.data[out.len - 1] == ',' && c != ',')
				out.data[--out.len] = '\0';
			else if (out.len > 0 && out.data[out.len - 1] == ',' && c == ',')
				continue;
		}
		if (c == '\n')
			while (out.len > 0 && out.data[out.len - 1] == ' ')
				out.data[--out.len] = '\0';
		appendStringInfoChar(&out, c);
	}
	while (out.len > 0 && (out.data[out.len - 1] == ' ' || out.data[out.len - 1] == '\n'
						   || out.data[out.len - 1] == ','))
		out.data[--out.len] = '\0';
	p = out.data;
	while (*p == ' ' || *p == '\n' || *p == ',')
		p++;
	return pstrdup(p);
}

/*
 * The template filled in for one lead. *missing gets the names of the
 * placeholders that were empty and had no fallback (for the log). The
 * template must be valid (smscamp_template_error); an invalid one is filled
 * as well as it can be, never with raw braces.
 */
char *
smscamp_template_fill(const char *tpl, const SmsLead *lead, const char *sender,
					  List **missing)
{
	StringInfoData out;
	const char *p;

	*missing = NIL;
	initStringInfo(&out);
	for (p = tpl; *p; p++)
	{
		if ((p[0] == '{' && p[1] == '{') || (p[0] == '}' && p[1] == '}'))
		{
			appendStringInfoChar(&out, *p);
			p++;
			continue;
		}
		if (*p == '}')
			continue;
		if (*p == '{')
		{
			const char *close = strchr(p + 1, '}');
			char	   *name;
			char	   *fallback;
			const char *value;

			if (close == NULL)
				break;
			if (parse_placeholder(p + 1, close - p - 1, &name, &fallback))
			{
				value = field_value(lead, name, sender);
				if (value[0] == '\0' && fallback)
					value = fallback;
				else if (value[0] == '\0')
					*missing = lappend(*missing, name);
				appendStringInfoString(&out, value);
			}
			p = close;
			continue;
		}
		appendStringInfoChar(&out, *p);
	}
	return tidy(out.data);
}

/* ---------------------------------------------------------------- SQL */

PG_FUNCTION_INFO_V1(smscamp_template_problem);

/* smscamp_template_problem(template text) -> text: NULL when it is fine */
Datum
smscamp_template_problem(PG_FUNCTION_ARGS)
{
	char	   *problem = smscamp_template_error(text_to_cstring(PG_GETARG_TEXT_PP(0)));

	if (problem == NULL)
		PG_RETURN_NULL();
	PG_RETURN_TEXT_P(cstring_to_text(problem));
}
