-- smscamp helpers: what the route functions (sql/api/) and the smscamp_*
-- operations share: HTTP errors (api_error), ids, list and query parameters,
-- JSON strings and fields; and who may execute what (smscamp_secure_api).
--
-- Idempotent: loaded on every start, right after schema.sql.

SET client_min_messages = warning;

------------------------------------------------------------------------------
-- Errors and parameters (private: the route functions of schema api and the
-- smscamp_* operations call them; smscamp_api cannot)
------------------------------------------------------------------------------

-- Raise an HTTP error: SQLSTATE 'SC' || status, MESSAGE {"detail": detail}.
-- The nginx module answers with that status and the message as the body.
--   PERFORM api_error(404, to_jsonb('Lead 7 not found'::text));
CREATE OR REPLACE FUNCTION api_error(status integer, detail jsonb) RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
    IF status IS NULL OR status NOT BETWEEN 100 AND 599 THEN
        RAISE EXCEPTION 'api_error: % is not an HTTP status', status;
    END IF;
    RAISE EXCEPTION USING
        ERRCODE = 'SC' || status::text,
        MESSAGE = jsonb_build_object('detail', detail)::text;
END
$$;

-- 404 "<What> <id> not found" (e.g. 'Lead', 7: "Lead 7 not found").
CREATE OR REPLACE FUNCTION api_not_found(what text, id bigint) RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
    PERFORM api_error(404, to_jsonb(format('%s %s not found', what, id)));
END
$$;

-- A DELETE route's answer: 204 without a body when done (the statement
-- found its row: FOUND), else 404 "<What> <id> not found".
CREATE OR REPLACE FUNCTION api_no_content(done boolean, what text, id bigint,
                                          OUT status integer, OUT body text)
LANGUAGE plpgsql AS $$
BEGIN
    IF NOT done THEN
        PERFORM api_not_found(what, id);
    END IF;
    status := 204;
    body := NULL;
END
$$;

-- row_json, or 404 "<What> <id> not found" when it is NULL (no such row).
CREATE OR REPLACE FUNCTION api_found(row_json text, what text, id bigint) RETURNS text
LANGUAGE plpgsql AS $$
BEGIN
    IF row_json IS NULL THEN
        PERFORM api_not_found(what, id);
    END IF;
    RETURN row_json;
END
$$;

-- 422 with a FastAPI list of errors: [{"loc":[...],"msg":"...","type":"..."}]
CREATE OR REPLACE FUNCTION api_validation_error(errors jsonb) RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
    PERFORM api_error(422, errors);
END
$$;

-- 422 with these errors, unless there are none ('[]').
CREATE OR REPLACE FUNCTION api_check(errors jsonb) RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
    IF errors <> '[]' THEN
        PERFORM api_error(422, errors);
    END IF;
END
$$;

-- One FastAPI error object.
CREATE OR REPLACE FUNCTION api_error_item(loc jsonb, msg text, type text,
                                          ctx jsonb DEFAULT NULL)
RETURNS jsonb
LANGUAGE sql STABLE PARALLEL SAFE
RETURN CASE WHEN ctx IS NULL
            THEN jsonb_build_object('loc', loc, 'msg', msg, 'type', type)
            ELSE jsonb_build_object('loc', loc, 'msg', msg, 'type', type, 'ctx', ctx)
       END;

-- Errors ('[]' when none) of a path id: a positive integer that fits bigint.
CREATE OR REPLACE FUNCTION api_id_errors(id text, loc jsonb DEFAULT '["path","id"]')
RETURNS jsonb
LANGUAGE sql STABLE PARALLEL SAFE
RETURN CASE
    WHEN id IS NULL THEN
        jsonb_build_array(api_error_item(loc, 'Field required', 'missing'))
    WHEN id ~ '^0+$' OR id ~ '^-[0-9]+$' THEN
        jsonb_build_array(api_error_item(loc,
            'Input should be greater than or equal to 1',
            'greater_than_equal', '{"ge":1}'))
    WHEN id ~ '^[0-9]+$' THEN
        CASE
            WHEN length(ltrim(id, '0')) < 19 THEN '[]'::jsonb
            WHEN length(ltrim(id, '0')) = 19
                 AND ltrim(id, '0') <= '9223372036854775807' THEN '[]'::jsonb
            ELSE jsonb_build_array(api_error_item(loc,
                     'Input should be a valid integer, the number is too large',
                     'int_parsing'))
        END
    ELSE
        jsonb_build_array(api_error_item(loc,
            'Input should be a valid integer, unable to parse string as an integer',
            'int_parsing'))
END;

-- A path id as bigint, or a 422 (loc ["path","id"] by default).
CREATE OR REPLACE FUNCTION api_parse_id(id text, loc jsonb DEFAULT '["path","id"]')
RETURNS bigint
LANGUAGE plpgsql STABLE PARALLEL SAFE AS $$
DECLARE
    errors jsonb;
BEGIN
    IF id ~ '^[1-9][0-9]{0,17}$' THEN       -- the common case, always fits
        RETURN id::bigint;
    END IF;
    errors := api_id_errors(id, loc);
    PERFORM api_check(errors);
    RETURN ltrim(id, '0')::bigint;
END
$$;

-- Errors of a non-negative integer query parameter (NULL = absent = fine).
CREATE OR REPLACE FUNCTION api_count_param_errors(value text, loc jsonb)
RETURNS jsonb
LANGUAGE sql STABLE PARALLEL SAFE
RETURN CASE
    WHEN value IS NULL OR value ~ '^\s*\+?[0-9]+\s*$' THEN '[]'::jsonb
    WHEN value ~ '^\s*-[0-9]+\s*$' THEN
        jsonb_build_array(api_error_item(loc,
            'Input should be greater than or equal to 0',
            'greater_than_equal', '{"ge":0}'))
    ELSE
        jsonb_build_array(api_error_item(loc,
            'Input should be a valid integer, unable to parse string as an integer',
            'int_parsing'))
END;

-- A valid non-negative integer query parameter, clamped to [0, max].
CREATE OR REPLACE FUNCTION api_count_param_value(value text, max bigint)
RETURNS bigint
LANGUAGE sql IMMUTABLE PARALLEL SAFE
RETURN CASE
    WHEN value IS NULL THEN NULL
    WHEN length(ltrim(btrim(value), '+0')) > 18 THEN max
    ELSE least(coalesce(nullif(ltrim(btrim(value), '+0'), ''), '0')::bigint, max)
END;

-- limit/offset of a list route from its query arguments (a JSON object of
-- strings).  limit: default 50, clamped to max_limit; offset: default 0.
-- Negative or non-integer values are errors (returned, not raised, so the
-- caller can add its own before raising them all):
--   SELECT * INTO p FROM api_list_params(args);
--   PERFORM api_check(p.errors);
CREATE OR REPLACE FUNCTION api_list_params(args jsonb,
                                           default_limit integer DEFAULT 50,
                                           max_limit integer DEFAULT 500,
                                           OUT lim integer, OUT off bigint,
                                           OUT errors jsonb)
-- plpgsql, not sql: a sql function with a FROM is not inlined, and was parsed and
-- planned again on every call (a fifth of a keyset page's time, make bench)
LANGUAGE plpgsql STABLE PARALLEL SAFE AS $$
DECLARE
    l text := args ->> 'limit';
    o text := args ->> 'offset';
    el jsonb := api_count_param_errors(l, '["query","limit"]');
    eo jsonb := api_count_param_errors(o, '["query","offset"]');
BEGIN
    IF el = '[]' THEN
        lim := coalesce(api_count_param_value(l, max_limit), default_limit);
    END IF;
    IF eo = '[]' THEN
        off := coalesce(api_count_param_value(o, 9223372036854775807), 0);
    END IF;
    errors := el || eo;
END
$$;

-- The errors of a keyset list's ?after= (the last id of the previous page, a
-- non-negative integer; not with ?offset=) and of an offset past 10,000 (an
-- offset page costs its offset: deep pages go by after), '[]' when none.
-- p_hint ends the offset's message: where else to page.
CREATE OR REPLACE FUNCTION api_keyset_errors(p_args jsonb, p_off bigint,
                                             p_hint text DEFAULT '')
RETURNS jsonb
LANGUAGE plpgsql STABLE PARALLEL SAFE AS $$
DECLARE
    v_errors jsonb := '[]';
BEGIN
    IF p_args ? 'after' THEN
        v_errors := api_count_param_errors(p_args ->> 'after', '["query","after"]');
        IF p_args ? 'offset' THEN
            v_errors := v_errors || jsonb_build_array(api_error_item('["query","after"]',
                'Use either after or offset, not both', 'value_error'));
        END IF;
    END IF;
    IF p_off > 10000 THEN
        v_errors := v_errors || jsonb_build_array(api_error_item('["query","offset"]',
            'Offset pages end at 10000: page further with after (the next_after of the '
            'previous page)' || p_hint,
            'less_than_equal', '{"le":10000}'));
    END IF;
    RETURN v_errors;
END
$$;

-- The first n elements of a JSON array (a keyset list reads one row more than
-- its page: that it exists says more follow).
CREATE OR REPLACE FUNCTION api_json_head(items json, n integer) RETURNS json
LANGUAGE sql IMMUTABLE PARALLEL SAFE
RETURN CASE WHEN json_array_length(items) <= n THEN items
            ELSE (SELECT coalesce(json_agg(e ORDER BY i), '[]')
                    FROM json_array_elements(items) WITH ORDINALITY AS t (e, i)
                   WHERE i <= n) END;

-- A page of a list as the routes answer it: {"items": [...], "total": N,
-- "limit": L, "offset": O}.
CREATE OR REPLACE FUNCTION api_page(items json, total bigint, lim integer, off bigint)
RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE
RETURN json_build_object('items', items, 'total', total, 'limit', lim, 'offset', off)::text;

-- A page of a keyset list (?after=, the next_after of the previous page): {"items": [...], "total": N, "limit": L, "offset": O,
-- "has_more": B, "next_after": the last id of the page while more follow}.
CREATE OR REPLACE FUNCTION api_keyset_page(items json, total bigint, lim integer, off bigint,
                                           more boolean, last_id bigint)
RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE
RETURN json_build_object('items', items, 'total', total, 'limit', lim, 'offset', off,
                         'has_more', more,
                         'next_after', CASE WHEN more THEN last_id END)::text;

-- The text of a JSON string, trimmed of white space; NULL for any other JSON
-- value.  (E'\v' is no escape in PostgreSQL: the vertical tab is \x0B.)
CREATE OR REPLACE FUNCTION api_json_string(value jsonb) RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE
RETURN CASE WHEN jsonb_typeof(value) = 'string'
            THEN btrim(value #>> '{}', E' \t\r\n\f\x0B')
       END;

-- An ISO 8601 date-time ('2030-01-31T09:00:00Z', '2030-01-31 09:00+01:00', or a
-- date alone: its midnight in UTC), NULL for anything else.
CREATE OR REPLACE FUNCTION api_datetime(v text) RETURNS timestamptz
LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE AS $$
BEGIN
    IF v !~ '^\d{4}-\d\d-\d\d([T ]\d\d:\d\d(:\d\d(\.\d+)?)?(Z|z|[+-]\d\d(:?\d\d)?)?)?$' THEN
        RETURN NULL;
    END IF;
    RETURN CASE WHEN v ~ '^\d{4}-\d\d-\d\d$' THEN (v || 'T00:00:00Z')::timestamptz
                ELSE v::timestamptz END;
EXCEPTION WHEN data_exception THEN
    RETURN NULL;
END
$$;

-- The errors of a list's search box ?q= (at most 255 characters; '[]' when fine).
CREATE OR REPLACE FUNCTION api_search_errors(q text) RETURNS jsonb
LANGUAGE sql STABLE PARALLEL SAFE       -- as api_error_item: so it is inlined
RETURN CASE WHEN char_length(q) > 255
            THEN jsonb_build_array(api_error_item('["query","q"]',
                     'String should have at most 255 characters', 'string_too_long',
                     '{"max_length":255}'))
            ELSE '[]'::jsonb END;

-- Who calls: the name of the API key in an Authorization header ("Bearer
-- <key>"), NULL without one (smscamp_auth off) or for an unknown key.
CREATE OR REPLACE FUNCTION api_caller_name(p_authorization text) RETURNS text
LANGUAGE sql STABLE
RETURN (SELECT a.name FROM api_keys a
         WHERE a.key_hash = encode(sha256(convert_to(
                   substring(p_authorization FROM '^[Bb][Ee][Aa][Rr][Ee][Rr] +([0-9A-Za-z_.~-]+)$'),
                   'UTF8')), 'hex'));

-- A LIKE pattern matching the text anywhere ('%' and '_' taken literally).
CREATE OR REPLACE FUNCTION api_like_contains(value text) RETURNS text
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
RETURN '%' || replace(replace(replace(value, '\', '\\'), '%', '\%'), '_', '\_') || '%';

------------------------------------------------------------------------------
-- Fields of a JSON body (FastAPI's checks and messages)
------------------------------------------------------------------------------

-- The error of a number outside [lo, hi] ('[]' when inside).
CREATE OR REPLACE FUNCTION api_range_errors(n numeric, loc jsonb, lo numeric, hi numeric)
RETURNS jsonb
LANGUAGE sql IMMUTABLE PARALLEL SAFE
RETURN CASE
    WHEN n < lo THEN
        jsonb_build_array(api_error_item(loc,
            format('Input should be greater than or equal to %s', lo),
            'greater_than_equal', jsonb_build_object('ge', lo)))
    WHEN n > hi THEN
        jsonb_build_array(api_error_item(loc,
            format('Input should be less than or equal to %s', hi),
            'less_than_equal', jsonb_build_object('le', hi)))
    ELSE '[]'::jsonb
END;

-- A JSON value as a number: n, and kind 'ok' (a number, or a string
-- matching p_pattern once trimmed), 'string' (another string) or 'type'.
CREATE OR REPLACE FUNCTION api_json_number(v jsonb, p_pattern text, OUT n numeric,
                                           OUT kind text)
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
SELECT CASE WHEN x.kind = 'ok' THEN coalesce(x.num, btrim(v #>> '{}')::numeric) END, x.kind
  FROM (SELECT CASE WHEN jsonb_typeof(v) = 'number' THEN (v #>> '{}')::numeric END AS num,
               CASE WHEN jsonb_typeof(v) = 'number' THEN 'ok'
                    WHEN jsonb_typeof(v) = 'string' AND btrim(v #>> '{}') ~ p_pattern THEN 'ok'
                    WHEN jsonb_typeof(v) = 'string' THEN 'string'
                    ELSE 'type' END AS kind) AS x
$$;

-- A number in [lo, hi] from a JSON value (a number, or a numeric string, as
-- FastAPI accepts); whole: it must be an integer (a string of digits).  value
-- is NULL when there are errors.  The caller decides what an absent or null
-- value means.  api_int_field and api_number_field are its two kinds.
CREATE OR REPLACE FUNCTION api_numeric_field(v jsonb, loc jsonb, lo numeric, hi numeric,
                                             whole boolean,
                                             OUT value numeric, OUT errors jsonb)
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
SELECT CASE WHEN b.e = '[]' THEN b.n END, b.e
FROM (
    SELECT a.n, CASE
        WHEN a.kind = 'type' THEN
            jsonb_build_array(api_error_item(loc, 'Input should be a valid ' || k.noun,
                                             k.code || '_type'))
        WHEN a.kind = 'string' THEN
            jsonb_build_array(api_error_item(loc,
                format('Input should be a valid %s, unable to parse string as %s %s',
                       k.noun, k.article, k.noun),
                k.code || '_parsing'))
        WHEN whole AND a.n <> trunc(a.n) THEN
            jsonb_build_array(api_error_item(loc,
                'Input should be a valid integer, got a number with a fractional part',
                'int_from_float'))
        ELSE api_range_errors(a.n, loc, lo, hi)
    END AS e
    FROM (SELECT CASE WHEN whole THEN 'integer' ELSE 'number' END AS noun,
                 CASE WHEN whole THEN 'an' ELSE 'a' END AS article,
                 CASE WHEN whole THEN 'int' ELSE 'float' END AS code,
                 CASE WHEN whole THEN '^[+-]?[0-9]{1,30}$'
                      ELSE '^[+-]?([0-9]{1,20}(\.[0-9]{0,20})?|\.[0-9]{1,20})$' END AS pattern) AS k,
         LATERAL api_json_number(v, k.pattern) AS a
) AS b
$$;

CREATE OR REPLACE FUNCTION api_int_field(v jsonb, loc jsonb, lo numeric, hi numeric,
                                         OUT value bigint, OUT errors jsonb)
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
SELECT f.value::bigint, f.errors FROM api_numeric_field(v, loc, lo, hi, true) AS f
$$;

CREATE OR REPLACE FUNCTION api_number_field(v jsonb, loc jsonb, lo numeric, hi numeric,
                                            OUT value numeric, OUT errors jsonb)
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
SELECT f.value, f.errors FROM api_numeric_field(v, loc, lo, hi, false) AS f
$$;

-- A boolean field of a request body that may be left out: value NULL when
-- absent or null (the caller says what that means), problems ('[]' when none).
CREATE OR REPLACE FUNCTION api_optional_bool(body jsonb, field text,
                                             OUT value boolean, OUT problems jsonb)
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
SELECT CASE WHEN jsonb_typeof(body -> field) = 'boolean' THEN (body ->> field)::boolean END,
       CASE WHEN coalesce(jsonb_typeof(body -> field), 'null') IN ('null', 'boolean') THEN '[]'::jsonb
            ELSE jsonb_build_array(api_error_item(jsonb_build_array('body', field),
                                                  'Input should be a valid boolean', 'bool_type'))
       END
$$;

-- A whole-number field of a request body that may be left out: value NULL and no
-- problems ('[]') when absent (or null, except in an update, where null is one).
CREATE OR REPLACE FUNCTION api_optional_int(body jsonb, field text, lo numeric, hi numeric,
                                            partial boolean,
                                            OUT value bigint, OUT problems jsonb)
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
SELECT f.value, coalesce(f.errors, '[]')
  FROM (SELECT body -> field AS v) AS x
  LEFT JOIN LATERAL api_int_field(x.v, jsonb_build_array('body', field), lo, hi) AS f
    ON NOT (x.v IS NULL OR (jsonb_typeof(x.v) = 'null' AND NOT partial))
$$;

-- The errors of a request body that must be a JSON object: '[]' when it is
-- one (or, when not required, when there is none: NULL or JSON null).
CREATE OR REPLACE FUNCTION api_body_errors(body jsonb, required boolean DEFAULT true)
RETURNS jsonb
LANGUAGE sql IMMUTABLE PARALLEL SAFE
RETURN CASE
    WHEN jsonb_typeof(body) = 'object' THEN '[]'::jsonb
    WHEN coalesce(jsonb_typeof(body), 'null') = 'null' THEN
        CASE WHEN required
             THEN jsonb_build_array(api_error_item('["body"]', 'Field required', 'missing'))
             ELSE '[]'::jsonb END
    ELSE jsonb_build_array(api_error_item('["body"]',
        'Input should be a valid dictionary or object to extract fields from', 'dict_type'))
END;

-- An optional string field of a request body: value is its text ('' and
-- NULL/absent are NULL: none), problems its errors ('[]' when it is fine:
-- a string of at most max_len characters, or nothing).
DROP FUNCTION IF EXISTS api_optional_string_errors(jsonb, jsonb, integer);
CREATE OR REPLACE FUNCTION api_optional_string(body jsonb, field text, max_len integer,
                                               OUT value text, OUT problems jsonb)
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
SELECT nullif(api_json_string(v), ''), CASE
    WHEN v IS NULL OR jsonb_typeof(v) = 'null' THEN '[]'::jsonb
    WHEN jsonb_typeof(v) <> 'string' THEN
        jsonb_build_array(api_error_item(loc, 'Input should be a valid string', 'string_type'))
    WHEN char_length(api_json_string(v)) > max_len THEN
        jsonb_build_array(api_error_item(loc,
            format('String should have at most %s characters', max_len),
            'string_too_long', jsonb_build_object('max_length', max_len)))
    ELSE '[]'::jsonb
END
FROM (SELECT body -> field AS v, jsonb_build_array('body', field) AS loc) AS f
$$;

-- 'a', 'b' or 'c'
CREATE OR REPLACE FUNCTION api_enum_list(allowed text[]) RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE
RETURN CASE WHEN cardinality(allowed) = 1 THEN quote_literal(allowed[1])
            ELSE array_to_string((SELECT array_agg(quote_literal(a))
                                    FROM unnest(allowed[1:cardinality(allowed) - 1]) AS a),
                                 ', ')
                 || ' or ' || quote_literal(allowed[cardinality(allowed)])
       END;

-- Errors of a query parameter that must be one of a list of values.
CREATE OR REPLACE FUNCTION api_enum_errors(value text, allowed text[], loc jsonb)
RETURNS jsonb
LANGUAGE sql IMMUTABLE PARALLEL SAFE
RETURN CASE
    WHEN value IS NULL OR value = ANY (allowed) THEN '[]'::jsonb
    ELSE jsonb_build_array(api_error_item(loc,
        'Input should be ' || api_enum_list(allowed), 'enum',
        jsonb_build_object('expected', api_enum_list(allowed))))
END;

-- One of allowed, the field of a JSON body: its value (NULL when absent, or
-- null on create: the column default) and its problems ('[]' when fine).
-- On an update (partial), null is an error like any other non-member.
CREATE OR REPLACE FUNCTION api_enum_field(body jsonb, field text, allowed text[], partial boolean,
                                          OUT value text, OUT problems jsonb)
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
SELECT CASE WHEN f.s = ANY (allowed) THEN f.s END,
       CASE WHEN f.v IS NULL OR (jsonb_typeof(f.v) = 'null' AND NOT partial) THEN '[]'::jsonb
            ELSE api_enum_errors(coalesce(f.s, ''), allowed, jsonb_build_array('body', field)) END
  FROM (SELECT body -> field AS v,
               CASE WHEN jsonb_typeof(body -> field) = 'string' THEN body ->> field END AS s) AS f
$$;

------------------------------------------------------------------------------
-- Who may execute what
------------------------------------------------------------------------------

-- Schema api is the API: every function in it (the routes of routes.conf, the
-- module's key lookup api.auth and api.metrics) must be SECURITY DEFINER with a
-- fixed search_path, and only smscamp_api (the role nginx logs in as) may
-- execute it.  Everything else (schema public: tables, the api_* helpers, the
-- smscamp_* engine and operations) is the owner's: PUBLIC may not execute the
-- api_* and smscamp_* functions.  Every sql/api file ends with
-- CALL smscamp_secure_api();
CREATE OR REPLACE PROCEDURE smscamp_secure_api()
LANGUAGE plpgsql AS $$
DECLARE
    f record;
BEGIN
    FOR f IN
        SELECT p.oid::regprocedure AS signature, p.prosecdef AS security_definer,
               coalesce(p.proconfig::text, '') ~ 'search_path=' AS fixed_path
          FROM pg_proc AS p
         WHERE p.pronamespace = 'api'::regnamespace
    LOOP
        IF NOT (f.security_definer AND f.fixed_path) THEN
            RAISE EXCEPTION 'API function % must be SECURITY DEFINER SET search_path = public, pg_temp',
                f.signature;
        END IF;
        EXECUTE format('REVOKE ALL ON ROUTINE %s FROM PUBLIC', f.signature);
        EXECUTE format('GRANT EXECUTE ON ROUTINE %s TO smscamp_api', f.signature);
    END LOOP;
    FOR f IN
        SELECT p.oid::regprocedure AS signature, p.proname LIKE 'api\_%' AS helper
          FROM pg_proc AS p
         WHERE p.pronamespace = 'public'::regnamespace
           AND (p.proname LIKE 'api\_%' OR p.proname LIKE 'smscamp\_%')
    LOOP
        EXECUTE format('REVOKE ALL ON ROUTINE %s FROM PUBLIC', f.signature);
        IF f.helper THEN
            EXECUTE format('REVOKE ALL ON ROUTINE %s FROM smscamp_api', f.signature);
        END IF;
    END LOOP;
END
$$;

-- Databases from before schema api: the routes were public.api_<route> (now
-- api.<route>), secured by api_secure_functions().
DO $$
DECLARE
    f regprocedure;
BEGIN
    FOR f IN
        SELECT p.oid::regprocedure FROM pg_proc AS p
         WHERE p.pronamespace = 'public'::regnamespace
           AND p.proname = ANY (ARRAY[
        'api_campaigns_add_leads', 'api_campaigns_cancel', 'api_campaigns_create',
        'api_campaigns_delete', 'api_campaigns_get', 'api_campaigns_leads',
        'api_campaigns_list', 'api_campaigns_logs', 'api_campaigns_pause',
        'api_campaigns_preview', 'api_campaigns_resume', 'api_campaigns_schedule',
        'api_campaigns_start', 'api_campaigns_update', 'api_dashboard_recent_campaigns',
        'api_dashboard_stats', 'api_health', 'api_keys_create', 'api_keys_delete',
        'api_keys_list', 'api_keys_me', 'api_leads_bulk', 'api_leads_create',
        'api_leads_delete', 'api_leads_get', 'api_leads_import', 'api_leads_list',
        'api_leads_update', 'api_settings_get', 'api_webhooks_sms_inbound',
        'api_webhooks_sms_status', 'api_metrics'])
    LOOP
        EXECUTE format('DROP FUNCTION %s', f);
    END LOOP;
END
$$;
DROP PROCEDURE IF EXISTS api_secure_functions();

CALL smscamp_secure_api();
