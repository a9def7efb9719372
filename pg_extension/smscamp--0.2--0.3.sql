-- smscamp 0.2 -> 0.3: message templates and the built-in writer's reading of a
-- prompt (template.c, writer.c): the upgrade of a 0.2 database, and the second
-- step of every fresh install (after smscamp--0.2.sql; pg_extension/Makefile).
-- scripts/lib.sh runs ALTER EXTENSION smscamp UPDATE on every start.
\echo Use "ALTER EXTENSION smscamp UPDATE" to load this file. \quit

CREATE FUNCTION smscamp_template_problem(template text) RETURNS text
AS 'MODULE_PATHNAME', 'smscamp_template_problem' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

COMMENT ON FUNCTION smscamp_template_problem(text) IS
'what is wrong with an sms_template (an unknown placeholder, a brace left open), or NULL';

CREATE FUNCTION smscamp_writer_explain(prompt text, sender_name text DEFAULT NULL) RETURNS jsonb
AS 'MODULE_PATHNAME', 'smscamp_writer_explain' LANGUAGE C IMMUTABLE PARALLEL SAFE;

COMMENT ON FUNCTION smscamp_writer_explain(text, text) IS
'what the built-in writer understands of a prompt: {ok, error, sender, parts, style, not_used}';
