-- smscamp schema: tables, constraints, indexes, roles and the helpers shared by
-- the api_*.sql route functions (contract: sql/README.md).
--
-- Idempotent: loaded on every start, on a new or an existing database.  It
-- only ever creates what is missing (IF NOT EXISTS) and replaces functions;
-- it never drops or rewrites data.  To change a table later, append an
-- `ALTER TABLE ... ADD COLUMN IF NOT EXISTS` (or a DO block for a constraint)
-- below its CREATE TABLE.

-- "already exists, skipping" notices on every start are noise
SET client_min_messages = warning;

CREATE EXTENSION IF NOT EXISTS pg_trgm;
-- hmac() for the provider webhooks' signatures (api_webhooks.sql)
CREATE EXTENSION IF NOT EXISTS pgcrypto;

------------------------------------------------------------------------------
-- Roles
------------------------------------------------------------------------------

-- smscamp_api: the role nginx logs in as.  It owns nothing and has no table
-- privileges: it can only EXECUTE the api_* route functions (SECURITY
-- DEFINER), which api_secure_functions() grants at the end of each api file.
DO $$
BEGIN
    IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'smscamp_api') THEN
        CREATE ROLE smscamp_api LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE;
    END IF;
END
$$;

-- an import of 100,000 rows takes 5-10 s on 2 cores; leave room on a busy machine
ALTER ROLE smscamp_api SET statement_timeout = '60s';
-- route functions report errors by raising them: the API's 4xx answers (which
-- carry phones and names) stay out of the server log; nginx logs the 5xx ones
ALTER ROLE smscamp_api SET log_min_messages = 'fatal';
ALTER ROLE smscamp_api SET log_min_error_statement = 'panic';

REVOKE CREATE ON SCHEMA public FROM PUBLIC;

------------------------------------------------------------------------------
-- Small immutable helpers used by constraints
------------------------------------------------------------------------------

-- A deliberately simple e-mail check: something@domain.tld, no spaces, no
-- empty domain labels.  Used by the leads.email CHECK and by the API.
CREATE OR REPLACE FUNCTION email_is_valid(email text) RETURNS boolean
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
RETURN email ~ '^[^@\s]+@[^@\s.]+(\.[^@\s.]+)+$';

-- Keeps updated_at current on every row that actually changes.
CREATE OR REPLACE FUNCTION smscamp_touch_updated_at() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    -- *= compares the rows' binary images: works for every column type,
    -- and a no-op UPDATE keeps its updated_at.
    IF NOT (NEW *= OLD) THEN
        NEW.updated_at := now();
    END IF;
    RETURN NEW;
END
$$;

------------------------------------------------------------------------------
-- Tables (the seed's four, with its column names)
------------------------------------------------------------------------------

CREATE TABLE IF NOT EXISTS leads (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    name        text NOT NULL
                CONSTRAINT leads_name_check
                CHECK (btrim(name) <> '' AND char_length(name) <= 255),
    phone       text NOT NULL
                CONSTRAINT leads_phone_e164 CHECK (phone ~ '^\+[1-9][0-9]{6,14}$')
                CONSTRAINT leads_phone_key UNIQUE,
    email       text
                CONSTRAINT leads_email_check
                CHECK (char_length(email) <= 255 AND email_is_valid(email)),
    company     text
                CONSTRAINT leads_company_check CHECK (char_length(company) <= 255),
    notes       text
                CONSTRAINT leads_notes_check CHECK (char_length(notes) <= 10000),
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE IF NOT EXISTS campaigns (
    id                 bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    name               text NOT NULL
                       CONSTRAINT campaigns_name_check
                       CHECK (btrim(name) <> '' AND char_length(name) <= 255),
    description        text
                       CONSTRAINT campaigns_description_check
                       CHECK (char_length(description) <= 10000),
    agent_type         text NOT NULL DEFAULT 'sms'
                       CONSTRAINT campaigns_agent_type_check
                       CHECK (agent_type IN ('sms', 'voice', 'both')),
    status             text NOT NULL DEFAULT 'draft'
                       CONSTRAINT campaigns_status_check
                       CHECK (status IN ('draft', 'scheduled', 'pending', 'processing',
                                         'paused', 'completed', 'failed', 'cancelled')),
    sms_system_prompt  text
                       CONSTRAINT campaigns_sms_system_prompt_check
                       CHECK (char_length(sms_system_prompt) <= 4000),
    -- hundredths: 70 means a temperature of 0.70
    sms_temperature    integer NOT NULL DEFAULT 70
                       CONSTRAINT campaigns_sms_temperature_check
                       CHECK (sms_temperature BETWEEN 0 AND 200),
    stats              jsonb NOT NULL DEFAULT '{}',
    created_at         timestamptz NOT NULL DEFAULT now(),
    updated_at         timestamptz NOT NULL DEFAULT now(),
    started_at         timestamptz,
    completed_at       timestamptz
);

CREATE TABLE IF NOT EXISTS campaign_leads (
    id               bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    campaign_id      bigint NOT NULL REFERENCES campaigns (id) ON DELETE CASCADE,
    lead_id          bigint NOT NULL REFERENCES leads (id) ON DELETE CASCADE,
    status           text NOT NULL DEFAULT 'pending'
                     CONSTRAINT campaign_leads_status_check
                     CHECK (status IN ('pending', 'processing', 'sending', 'sent',
                                       'delivered', 'undelivered', 'failed', 'skipped',
                                       'cancelled', 'unknown')),
    sms_sent         boolean NOT NULL DEFAULT false,
    sms_message      text,
    sms_response     text,
    voice_call_made  boolean NOT NULL DEFAULT false,
    trace_id         text,
    error_message    text,
    sms_segments     integer CONSTRAINT campaign_leads_sms_segments_check
                     CHECK (sms_segments >= 0),
    sms_cost         numeric(12,4) CONSTRAINT campaign_leads_sms_cost_check
                     CHECK (sms_cost >= 0),
    attempts         integer NOT NULL DEFAULT 0
                     CONSTRAINT campaign_leads_attempts_check CHECK (attempts >= 0),
    next_attempt_at  timestamptz,
    created_at       timestamptz NOT NULL DEFAULT now(),
    updated_at       timestamptz NOT NULL DEFAULT now(),
    processed_at     timestamptz,
    CONSTRAINT campaign_leads_campaign_lead_key UNIQUE (campaign_id, lead_id)
);

CREATE TABLE IF NOT EXISTS processing_logs (
    id                bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    campaign_lead_id  bigint REFERENCES campaign_leads (id) ON DELETE CASCADE,
    level             text NOT NULL
                      CONSTRAINT processing_logs_level_check
                      CHECK (level IN ('debug', 'info', 'warning', 'error')),
    node_name         text CONSTRAINT processing_logs_node_name_check
                      CHECK (char_length(node_name) <= 100),
    message           text NOT NULL,
    metadata          jsonb,
    created_at        timestamptz NOT NULL DEFAULT now()
);

------------------------------------------------------------------------------
-- Indexes
------------------------------------------------------------------------------

-- GET /api/leads?q=: case-insensitive substring search (LIKE '%q%') over
-- lower(name), the phone's digits, lower(email), lower(company).  The phone
-- index is on ltrim(phone, '+'), not on phone: gin_trgm_ops also serves
-- "=", and the planner must never pick it over leads_phone_key for
-- phone = $1 (it is far slower, above all with a long GIN pending list).
CREATE INDEX IF NOT EXISTS leads_name_trgm_idx
    ON leads USING gin (lower(name) gin_trgm_ops);
CREATE INDEX IF NOT EXISTS leads_phone_digits_trgm_idx
    ON leads USING gin (ltrim(phone, '+') gin_trgm_ops);
CREATE INDEX IF NOT EXISTS leads_email_trgm_idx
    ON leads USING gin (lower(email) gin_trgm_ops);
CREATE INDEX IF NOT EXISTS leads_company_trgm_idx
    ON leads USING gin (lower(company) gin_trgm_ops);

CREATE INDEX IF NOT EXISTS campaigns_status_idx
    ON campaigns (status, id);

-- (campaign_id, status, id) in campaigns.sql serves what (campaign_id, status) did
DROP INDEX IF EXISTS campaign_leads_campaign_status_idx;
-- deleting a lead cascades to its campaign_leads rows
CREATE INDEX IF NOT EXISTS campaign_leads_lead_idx
    ON campaign_leads (lead_id);

CREATE INDEX IF NOT EXISTS processing_logs_campaign_lead_idx
    ON processing_logs (campaign_lead_id, id);

------------------------------------------------------------------------------
-- Triggers
------------------------------------------------------------------------------

CREATE OR REPLACE TRIGGER leads_touch_updated_at
    BEFORE UPDATE ON leads
    FOR EACH ROW EXECUTE FUNCTION smscamp_touch_updated_at();
CREATE OR REPLACE TRIGGER campaigns_touch_updated_at
    BEFORE UPDATE ON campaigns
    FOR EACH ROW EXECUTE FUNCTION smscamp_touch_updated_at();
CREATE OR REPLACE TRIGGER campaign_leads_touch_updated_at
    BEFORE UPDATE ON campaign_leads
    FOR EACH ROW EXECUTE FUNCTION smscamp_touch_updated_at();

------------------------------------------------------------------------------
-- Privileges on tables: nobody but the owner (the route functions run as it)
------------------------------------------------------------------------------

REVOKE ALL ON ALL TABLES IN SCHEMA public FROM PUBLIC, smscamp_api;
REVOKE ALL ON ALL SEQUENCES IN SCHEMA public FROM PUBLIC, smscamp_api;

------------------------------------------------------------------------------
-- API helpers (private: only the SECURITY DEFINER route functions call them)
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

-- 422 with a FastAPI list of errors: [{"loc":[...],"msg":"...","type":"..."}]
CREATE OR REPLACE FUNCTION api_validation_error(errors jsonb) RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
    PERFORM api_error(422, errors);
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
    IF errors <> '[]' THEN
        PERFORM api_validation_error(errors);
    END IF;
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
--   IF p.errors <> '[]' THEN PERFORM api_validation_error(p.errors); END IF;
CREATE OR REPLACE FUNCTION api_list_params(args jsonb,
                                           default_limit integer DEFAULT 50,
                                           max_limit integer DEFAULT 500,
                                           OUT lim integer, OUT off bigint,
                                           OUT errors jsonb)
LANGUAGE sql STABLE PARALLEL SAFE AS $$
SELECT
    CASE WHEN e.l = '[]' THEN coalesce(api_count_param_value(a.l, max_limit),
                                       default_limit)::integer END,
    CASE WHEN e.o = '[]' THEN coalesce(api_count_param_value(a.o, 9223372036854775807), 0) END,
    e.l || e.o
FROM (SELECT args ->> 'limit' AS l, args ->> 'offset' AS o) AS a,
     LATERAL (SELECT api_count_param_errors(a.l, '["query","limit"]') AS l,
                     api_count_param_errors(a.o, '["query","offset"]') AS o) AS e
$$;

-- The text of a JSON string, trimmed of white space; NULL for any other JSON
-- value.  (E'\v' is no escape in PostgreSQL: the vertical tab is \x0B.)
CREATE OR REPLACE FUNCTION api_json_string(value jsonb) RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE
RETURN CASE WHEN jsonb_typeof(value) = 'string'
            THEN btrim(value #>> '{}', E' \t\r\n\f\x0B')
       END;

-- A LIKE pattern matching the text anywhere ('%' and '_' taken literally).
CREATE OR REPLACE FUNCTION api_like_contains(value text) RETURNS text
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
RETURN '%' || replace(replace(replace(value, '\', '\\'), '%', '\%'), '_', '\_') || '%';

-- Secure the api_* functions, whichever file defined them: nobody may
-- execute them by default; route functions (those returning exactly
-- status integer, body text) are granted to smscamp_api and must be
-- SECURITY DEFINER with a fixed search_path.  Every api_*.sql file ends with
-- CALL api_secure_functions();
CREATE OR REPLACE PROCEDURE api_secure_functions()
LANGUAGE plpgsql AS $$
DECLARE
    f record;
BEGIN
    FOR f IN
        SELECT p.oid::regprocedure AS signature,
               p.prosecdef AS security_definer,
               coalesce(p.proconfig::text, '') ~ 'search_path=' AS fixed_path,
               (SELECT array_agg(a.name || ' ' || format_type(a.type, NULL)
                                 ORDER BY a.ord)
                  FROM unnest(p.proallargtypes, p.proargmodes, p.proargnames)
                       WITH ORDINALITY AS a(type, mode, name, ord)
                 WHERE a.mode IN ('o', 'b', 't'))
                   = ARRAY['status integer', 'body text'] AS is_route
          FROM pg_proc AS p
         WHERE p.pronamespace = 'public'::regnamespace
           AND p.proname LIKE 'api\_%'
    LOOP
        EXECUTE format('REVOKE ALL ON ROUTINE %s FROM PUBLIC', f.signature);
        IF f.is_route THEN
            IF NOT (f.security_definer AND f.fixed_path) THEN
                RAISE EXCEPTION 'route function % must be SECURITY DEFINER SET search_path = public, pg_temp',
                    f.signature;
            END IF;
            EXECUTE format('GRANT EXECUTE ON ROUTINE %s TO smscamp_api', f.signature);
        ELSE
            EXECUTE format('REVOKE ALL ON ROUTINE %s FROM smscamp_api', f.signature);
        END IF;
    END LOOP;
    -- the workflow's and campaigns' smscamp_* functions are internal too
    -- (grants to smscamp_api made on purpose, like smscamp_auth, stay)
    FOR f IN
        SELECT p.oid::regprocedure AS signature
          FROM pg_proc AS p
         WHERE p.pronamespace = 'public'::regnamespace
           AND p.proname LIKE 'smscamp\_%'
    LOOP
        EXECUTE format('REVOKE ALL ON ROUTINE %s FROM PUBLIC', f.signature);
    END LOOP;
END
$$;

CALL api_secure_functions();

------------------------------------------------------------------------------
-- API keys (Authorization: Bearer <key>); only their SHA-256 is stored
------------------------------------------------------------------------------

CREATE TABLE IF NOT EXISTS api_keys (
    id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    name          text NOT NULL
                  CONSTRAINT api_keys_name_check
                  CHECK (btrim(name) <> '' AND char_length(name) <= 255),
    role          text NOT NULL
                  CONSTRAINT api_keys_role_check
                  CHECK (role IN ('viewer', 'operator', 'admin')),
    key_hash      text NOT NULL CONSTRAINT api_keys_key_hash_key UNIQUE
                  CONSTRAINT api_keys_key_hash_check CHECK (key_hash ~ '^[0-9a-f]{64}$'),
    key_prefix    text NOT NULL,
    created_at    timestamptz NOT NULL DEFAULT now(),
    last_used_at  timestamptz,
    expires_at    timestamptz,
    revoked_at    timestamptz
);

-- requests per second this key may make (burst: twice as many); NULL: the
-- nginx default (smscamp_rate_limit_key)
ALTER TABLE api_keys ADD COLUMN IF NOT EXISTS rate_limit integer
    CONSTRAINT api_keys_rate_limit_check CHECK (rate_limit BETWEEN 1 AND 1000000);

REVOKE ALL ON api_keys FROM PUBLIC, smscamp_api;
