/* smscamp--0.3.sql */

-- complain if script is sourced in psql, rather than via CREATE EXTENSION
\echo Use "CREATE EXTENSION smscamp" to load this file. \quit

-- Phones.  STABLE, not IMMUTABLE: the result depends on
-- smscamp.default_country for numbers written without a country code.

CREATE FUNCTION smscamp_normalize_phone(text) RETURNS text
AS 'MODULE_PATHNAME', 'smscamp_normalize_phone'
LANGUAGE C STABLE STRICT PARALLEL SAFE;

COMMENT ON FUNCTION smscamp_normalize_phone(text) IS
'E.164 form (+14155550123) of a phone number, NULL when it is not a valid number';

CREATE FUNCTION smscamp_phone_error(text) RETURNS text
AS 'MODULE_PATHNAME', 'smscamp_phone_error'
LANGUAGE C STABLE STRICT PARALLEL SAFE;

COMMENT ON FUNCTION smscamp_phone_error(text) IS
'NULL when the phone number is valid, else a message saying what is wrong with it';

CREATE FUNCTION smscamp_phone_country(text) RETURNS text
AS 'MODULE_PATHNAME', 'smscamp_phone_country'
LANGUAGE C STABLE STRICT PARALLEL SAFE;

COMMENT ON FUNCTION smscamp_phone_country(text) IS
'ISO 3166-1 alpha-2 country of a phone number''s calling code (+1: US), NULL when invalid';

CREATE FUNCTION smscamp_phone_timezone(text) RETURNS text
AS 'MODULE_PATHNAME', 'smscamp_phone_timezone'
LANGUAGE C STABLE STRICT PARALLEL SAFE;

COMMENT ON FUNCTION smscamp_phone_timezone(text) IS
'Main IANA time zone of a phone number''s country (+1: America/New_York), NULL when invalid';

-- CSV

CREATE FUNCTION smscamp_parse_csv(text)
RETURNS TABLE (row_no int, fields text[])
AS 'MODULE_PATHNAME', 'smscamp_parse_csv'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE ROWS 1000;

COMMENT ON FUNCTION smscamp_parse_csv(text) IS
'RFC 4180 CSV records: row 0 is the header, data rows are numbered from 1';

CREATE FUNCTION smscamp_csv_header(text) RETURNS text[]
AS 'MODULE_PATHNAME', 'smscamp_csv_header'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

COMMENT ON FUNCTION smscamp_csv_header(text) IS
'The first CSV record (row 0 of smscamp_parse_csv) without parsing the rest';

-- SMS text: segments, encoding, cost

CREATE FUNCTION smscamp_sms_segments(text) RETURNS integer
AS 'MODULE_PATHNAME', 'smscamp_sms_segments'
LANGUAGE C STABLE STRICT PARALLEL SAFE;

COMMENT ON FUNCTION smscamp_sms_segments(text) IS
'SMS segments of a message: GSM-7 160/153 septets, UCS-2 70/67 UTF-16 units';

CREATE FUNCTION smscamp_sms_encoding(text) RETURNS text
AS 'MODULE_PATHNAME', 'smscamp_sms_encoding'
LANGUAGE C STABLE STRICT PARALLEL SAFE;

COMMENT ON FUNCTION smscamp_sms_encoding(text) IS
'GSM-7, or UCS-2 when one character is outside the GSM 03.38 alphabet';

CREATE FUNCTION smscamp_sms_cost(text) RETURNS numeric
AS 'MODULE_PATHNAME', 'smscamp_sms_cost'
LANGUAGE C STABLE STRICT PARALLEL SAFE;

COMMENT ON FUNCTION smscamp_sms_cost(text) IS
'segments x smscamp.price_per_segment';

-- The workflow nodes (each runs one step for one campaign lead)

CREATE FUNCTION smscamp_validate_lead(campaign_lead_id bigint) RETURNS jsonb
AS 'MODULE_PATHNAME', 'smscamp_validate_lead' LANGUAGE C STRICT;

CREATE FUNCTION smscamp_generate_sms(campaign_lead_id bigint) RETURNS jsonb
AS 'MODULE_PATHNAME', 'smscamp_generate_sms' LANGUAGE C STRICT;

CREATE FUNCTION smscamp_send_sms(campaign_lead_id bigint) RETURNS jsonb
AS 'MODULE_PATHNAME', 'smscamp_send_sms' LANGUAGE C STRICT;

CREATE FUNCTION smscamp_finalize(campaign_lead_id bigint) RETURNS jsonb
AS 'MODULE_PATHNAME', 'smscamp_finalize' LANGUAGE C STRICT;

CREATE FUNCTION smscamp_process_lead(campaign_lead_id bigint) RETURNS jsonb
AS 'MODULE_PATHNAME', 'smscamp_process_lead' LANGUAGE C STRICT;

CREATE FUNCTION smscamp_preview(lead_context jsonb) RETURNS jsonb
AS 'MODULE_PATHNAME', 'smscamp_preview' LANGUAGE C STRICT;

COMMENT ON FUNCTION smscamp_preview(jsonb) IS
'validation and generation for one lead context (smscamp_preview_context), writing nothing';

CREATE FUNCTION smscamp_wake() RETURNS void
AS 'MODULE_PATHNAME', 'smscamp_wake' LANGUAGE C;

COMMENT ON FUNCTION smscamp_wake() IS
'wake the background workers when the current transaction commits';

-- Metrics (pg_extension/metrics.c): nginx serves them at GET /metrics through
-- api_metrics() (sql/api_metrics.sql); here only superusers and pg_monitor.

CREATE FUNCTION smscamp_metrics_text() RETURNS text
AS 'MODULE_PATHNAME', 'smscamp_metrics_text' LANGUAGE C VOLATILE;

COMMENT ON FUNCTION smscamp_metrics_text() IS
'the engine''s counters from shared memory, in Prometheus text format';

REVOKE ALL ON FUNCTION smscamp_metrics_text() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION smscamp_metrics_text() TO pg_monitor;


CREATE FUNCTION smscamp_template_problem(template text) RETURNS text
AS 'MODULE_PATHNAME', 'smscamp_template_problem' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

COMMENT ON FUNCTION smscamp_template_problem(text) IS
'what is wrong with an sms_template (an unknown placeholder, a brace left open), or NULL';

CREATE FUNCTION smscamp_writer_explain(prompt text, sender_name text DEFAULT NULL) RETURNS jsonb
AS 'MODULE_PATHNAME', 'smscamp_writer_explain' LANGUAGE C IMMUTABLE PARALLEL SAFE;

COMMENT ON FUNCTION smscamp_writer_explain(text, text) IS
'what the built-in writer understands of a prompt: {ok, error, sender, parts, style, not_used}';
