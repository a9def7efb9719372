-- smscamp 0.5 -> 0.6: messages go from senders, each paced in segments per
-- second across the workers (pg_extension/shmem.c): the arithmetic of that
-- pacing, callable from SQL for tests and for planning; and voice campaigns:
-- the guardrails of a call's script (pg_extension/script.c) from SQL.
\echo Use "ALTER EXTENSION smscamp UPDATE" to load this file. \quit

CREATE FUNCTION smscamp_pacing_schedule(segments integer[], segments_per_second float8,
                                        messages_per_second float8 DEFAULT 0)
RETURNS float8[]
AS 'MODULE_PATHNAME', 'smscamp_pacing_schedule' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

COMMENT ON FUNCTION smscamp_pacing_schedule(integer[], float8, float8) IS
'When each message of a queue from one sender goes, in seconds from the first: a message of n segments takes its sender''s next n / segments_per_second seconds, and at most messages_per_second go (0: no such limit); the workers'' own arithmetic';

CREATE FUNCTION smscamp_call_script(text) RETURNS text
AS 'MODULE_PATHNAME', 'smscamp_call_script' LANGUAGE C STABLE STRICT PARALLEL SAFE;

COMMENT ON FUNCTION smscamp_call_script(text) IS
'A text as a call''s script: cleaned like an SMS, web addresses said as a person says them, the SMS opt-out line dropped, at most smscamp.max_call_words words ending with smscamp.call_optout';
