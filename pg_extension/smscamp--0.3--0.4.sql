-- smscamp 0.3 -> 0.4: the reply agent's C functions (sql/reply_agent.sql):
-- one blocking chat call, and the guardrails of its answers.
\echo Use "ALTER EXTENSION smscamp UPDATE" to load this file. \quit

CREATE FUNCTION smscamp_llm_chat(request jsonb) RETURNS jsonb
AS 'MODULE_PATHNAME', 'smscamp_llm_chat' LANGUAGE C STRICT;

COMMENT ON FUNCTION smscamp_llm_chat(jsonb) IS
'one chat completion (blocking): {"temperature", "messages"} -> {"content"} or {"error", "retryable"}';

CREATE FUNCTION smscamp_reply_guard(answer text) RETURNS jsonb
AS 'MODULE_PATHNAME', 'smscamp_reply_guard' LANGUAGE C IMMUTABLE PARALLEL SAFE;

COMMENT ON FUNCTION smscamp_reply_guard(text) IS
'the reply agent''s answer sanitized and checked: {"ok", "text", "problem"}';
