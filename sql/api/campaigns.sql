-- Campaigns API: route functions for /api/campaigns (contract: sql/README.md).
--
--   GET    /api/campaigns?status=&q=&limit=&offset=   api.campaigns_list(args)
--   POST   /api/campaigns                             api.campaigns_create(json)
--   GET    /api/campaigns/{id}                        api.campaigns_get(id)
--   PUT    /api/campaigns/{id}                        api.campaigns_update(id, json)
--   DELETE /api/campaigns/{id}                        api.campaigns_delete(id)
--   POST   /api/campaigns/{id}/leads                  api.campaigns_add_leads(id, json)
--   GET    /api/campaigns/{id}/leads?status=&limit=&offset=&after=
--                                                     api.campaigns_leads(id, args)
--   POST   /api/campaigns/{id}/start                  api.campaigns_start(id)     202
--   POST   /api/campaigns/{id}/pause                  api.campaigns_pause(id)
--   POST   /api/campaigns/{id}/resume                 api.campaigns_resume(id)    202
--   POST   /api/campaigns/{id}/cancel                 api.campaigns_cancel(id)
--   POST   /api/campaigns/{id}/schedule               api.campaigns_schedule(id, json)
--   POST   /api/campaigns/{id}/preview                api.campaigns_preview(id, json)
--   GET    /api/campaigns/{id}/logs?level=&node=&campaign_lead_id=&limit=&offset=&after=
--                                                     api.campaigns_logs(id, args)
--
-- The campaign JSON (sql/campaign_progress.sql) and the lifecycle (start,
-- pause, resume, cancel, schedule: sql/campaign_lifecycle.sql) are smscamp_*
-- functions: psql and HTTP share one code path; the JSON field checks
-- (api_int_field, api_enum_errors, ...) are helpers.sql's.  The small api_*
-- helpers below are also used by api/dashboard.sql and api/webhooks.sql
-- (loaded after this file).

------------------------------------------------------------------------------
-- Helpers (private)
------------------------------------------------------------------------------

CREATE OR REPLACE FUNCTION api_campaign_statuses() RETURNS text[]
LANGUAGE sql IMMUTABLE PARALLEL SAFE
RETURN ARRAY['draft', 'scheduled', 'pending', 'processing', 'paused', 'completed',
             'failed', 'cancelled'];

CREATE OR REPLACE FUNCTION api_campaign_lead_statuses() RETURNS text[]
LANGUAGE sql IMMUTABLE PARALLEL SAFE
RETURN ARRAY['pending', 'processing', 'sending', 'sent', 'delivered', 'undelivered',
             'failed', 'skipped', 'cancelled', 'unknown'];

-- Is a send window ("HH:MM-HH:MM", local time of the recipient) valid?
-- End may be 24:00; start and end must differ.
CREATE OR REPLACE FUNCTION api_send_window_valid(w text) RETURNS boolean
LANGUAGE sql IMMUTABLE PARALLEL SAFE
RETURN w ~ '^([01][0-9]|2[0-3]):[0-5][0-9]-(([01][0-9]|2[0-3]):[0-5][0-9]|24:00)$'
       AND split_part(w, '-', 1) <> split_part(w, '-', 2);

-- Validate the fields of a campaign body (create: partial = false; update:
-- partial = true, absent fields stay as they are).  Returns the normalised
-- values and every error ('[]' when valid).  For create, absent or null
-- agent_type / sms_temperature / max_send_errors / send_window take the
-- column defaults (send_window null = no quiet hours, only when given).
-- (its OUT columns grew: dropped first, as CREATE OR REPLACE cannot change them)
DROP FUNCTION IF EXISTS api_campaign_validate(jsonb, boolean);
-- (before sender_ids, max_filtered, exclude_messaged_within_hours and the voice fields)
DO $$
BEGIN
    IF EXISTS (SELECT FROM pg_proc p
                WHERE p.oid = to_regprocedure('api_campaign_validate(jsonb, boolean)')
                  AND NOT 'call_if_no_reply' = ANY (p.proargnames)) THEN
        DROP FUNCTION api_campaign_validate(jsonb, boolean);
    END IF;
END
$$;

-- STABLE: sender_ids must name senders that exist.
CREATE OR REPLACE FUNCTION api_campaign_validate(j jsonb, partial boolean,
    OUT name text, OUT description text, OUT agent_type text,
    OUT sms_system_prompt text, OUT sms_template text, OUT sender_name text,
    OUT sms_temperature integer,
    OUT messages_per_second numeric, OUT send_window text,
    OUT max_send_errors integer, OUT reply_mode text, OUT reply_prompt text,
    OUT require_consent boolean, OUT sender_ids bigint[], OUT max_filtered integer,
    OUT exclude_messaged_within_hours integer, OUT voice_system_prompt text,
    OUT voice_temperature integer, OUT calls_per_second numeric,
    OUT call_delay_seconds integer, OUT call_if_no_reply boolean, OUT errors jsonb)
LANGUAGE plpgsql STABLE AS $$
DECLARE
    v jsonb;
    r record;
    c_types constant text[] := ARRAY['sms', 'voice', 'both'];
    c_reply_modes constant text[] := ARRAY['off', 'draft', 'auto'];
BEGIN
    errors := api_body_errors(j);
    IF errors <> '[]' THEN
        RETURN;
    END IF;

    -- name: required, non-empty, at most 255 characters
    v := j -> 'name';
    IF v IS NULL OR jsonb_typeof(v) = 'null' THEN
        IF NOT partial OR j ? 'name' THEN
            errors := errors || api_error_item('["body","name"]', 'Field required', 'missing');
        END IF;
    ELSIF jsonb_typeof(v) <> 'string' THEN
        errors := errors || api_error_item('["body","name"]',
            'Input should be a valid string', 'string_type');
    ELSIF api_json_string(v) = '' THEN
        errors := errors || api_error_item('["body","name"]', 'name must not be empty',
            'value_error');
    ELSIF char_length(api_json_string(v)) > 255 THEN
        errors := errors || api_error_item('["body","name"]',
            'String should have at most 255 characters', 'string_too_long',
            '{"max_length":255}');
    ELSE
        name := api_json_string(v);
    END IF;

    -- description: optional, '' = none
    SELECT s.value, errors || s.problems INTO description, errors
      FROM api_optional_string(j, 'description', 10000) AS s;

    -- agent_type: sms | voice | both
    SELECT e.value, errors || e.problems INTO agent_type, errors
      FROM api_enum_field(j, 'agent_type', c_types, partial) AS e;

    -- sms_system_prompt: optional, at most 4000 characters, '' = none
    SELECT s.value, errors || s.problems INTO sms_system_prompt, errors
      FROM api_optional_string(j, 'sms_system_prompt', 4000) AS s;

    -- sms_template: the message with placeholders, '' = none; checked here so
    -- that a broken one is refused when saved, not when the campaign runs
    SELECT s.value, errors || s.problems INTO sms_template, errors
      FROM api_optional_string(j, 'sms_template', 1600) AS s;
    IF sms_template IS NOT NULL AND char_length(sms_template) <= 1600
       AND smscamp_template_problem(sms_template) IS NOT NULL THEN
        errors := errors || api_error_item('["body","sms_template"]',
            'Template: ' || smscamp_template_problem(sms_template), 'value_error');
    END IF;

    -- voice_system_prompt: what a voice campaign's call script says, '' = none
    SELECT s.value, errors || s.problems INTO voice_system_prompt, errors
      FROM api_optional_string(j, 'voice_system_prompt', 4000) AS s;

    -- voice_temperature: integer 0..200, as sms_temperature
    SELECT f.value, errors || f.problems INTO voice_temperature, errors
      FROM api_optional_int(j, 'voice_temperature', 0, 200, partial) AS f;

    -- calls_per_second: above 0, at most 10000 (Twilio's default is 1)
    v := j -> 'calls_per_second';
    IF v IS NOT NULL AND NOT (jsonb_typeof(v) = 'null' AND NOT partial) THEN
        r := api_number_field(v, '["body","calls_per_second"]', 0.001, 10000);
        errors := errors || r.errors;
        calls_per_second := round(r.value, 3);
    END IF;

    -- agent_type both: the call call_delay_seconds after the SMS (0..7 days),
    -- only when the SMS was not answered by then (call_if_no_reply)
    SELECT f.value, errors || f.problems INTO call_delay_seconds, errors
      FROM api_optional_int(j, 'call_delay_seconds', 0, 604800, partial) AS f;
    SELECT f.value, errors || f.problems INTO call_if_no_reply, errors
      FROM api_optional_bool(j, 'call_if_no_reply') AS f;

    -- sender_name: who the messages are from, '' = none
    SELECT s.value, errors || s.problems INTO sender_name, errors
      FROM api_optional_string(j, 'sender_name', 100) AS s;

    -- reply_mode: off | draft | auto (the reply agent, sql/reply_agent.sql)
    SELECT e.value, errors || e.problems INTO reply_mode, errors
      FROM api_enum_field(j, 'reply_mode', c_reply_modes, partial) AS e;

    -- reply_prompt: the reply agent's instructions, '' = none
    SELECT s.value, errors || s.problems INTO reply_prompt, errors
      FROM api_optional_string(j, 'reply_prompt', 4000) AS s;

    -- require_consent: true | false (null: false)
    SELECT CASE WHEN jsonb_typeof(j -> 'require_consent') = 'null' THEN false ELSE f.value END,
           errors || f.problems INTO require_consent, errors
      FROM api_optional_bool(j, 'require_consent') AS f;

    -- sms_temperature: integer 0..200 (hundredths: 70 = 0.70)
    SELECT f.value, errors || f.problems INTO sms_temperature, errors
      FROM api_optional_int(j, 'sms_temperature', 0, 200, partial) AS f;

    -- messages_per_second: 0 (or null) = unlimited, else at most 10000
    v := j -> 'messages_per_second';
    IF v IS NULL OR jsonb_typeof(v) = 'null' THEN
        messages_per_second := CASE WHEN v IS NULL THEN NULL ELSE 0 END;
    ELSE
        r := api_number_field(v, '["body","messages_per_second"]', 0, 10000);
        errors := errors || r.errors;
        messages_per_second := round(r.value, 3);
    END IF;

    -- send_window: "HH:MM-HH:MM" in the recipient's time zone; null = none
    v := j -> 'send_window';
    IF v IS NULL OR jsonb_typeof(v) = 'null' THEN
        NULL;
    ELSIF jsonb_typeof(v) <> 'string' THEN
        errors := errors || api_error_item('["body","send_window"]',
            'Input should be a valid string', 'string_type');
    ELSIF NOT api_send_window_valid(api_json_string(v)) THEN
        errors := errors || api_error_item('["body","send_window"]',
            'send_window should be "HH:MM-HH:MM" (24-hour clock, start and end different, '
            || 'end up to 24:00), e.g. "08:00-21:00", or null for no quiet hours',
            'string_pattern_mismatch',
            jsonb_build_object('pattern', '^HH:MM-HH:MM$'));
    ELSE
        send_window := api_json_string(v);
    END IF;

    -- max_send_errors: consecutive provider errors that pause the campaign
    SELECT f.value, errors || f.problems INTO max_send_errors, errors
      FROM api_optional_int(j, 'max_send_errors', 1, 1000000, partial) AS f;

    -- max_filtered: carrier-filtered messages (error 30007) past which it pauses
    SELECT f.value, errors || f.problems INTO max_filtered, errors
      FROM api_optional_int(j, 'max_filtered', 1, 1000000, partial) AS f;

    -- exclude_messaged_within_hours: 1..8760, null = off
    SELECT f.value, errors || f.problems INTO exclude_messaged_within_hours, errors
      FROM api_optional_int(j, 'exclude_messaged_within_hours', 1, 8760, false) AS f;

    -- sender_ids: ids of senders (sql/api/senders.sql), null = every active one
    v := j -> 'sender_ids';
    IF v IS NULL OR jsonb_typeof(v) = 'null' THEN
        NULL;
    ELSIF jsonb_typeof(v) <> 'array' THEN
        errors := errors || api_error_item('["body","sender_ids"]',
            'Input should be a valid list of sender ids, or null for every active sender',
            'list_type');
    ELSIF jsonb_array_length(v) = 0 OR jsonb_array_length(v) > 1000 THEN
        errors := errors || api_error_item('["body","sender_ids"]',
            'sender_ids should have 1 to 1000 sender ids (null: every active sender)',
            'value_error');
    ELSIF EXISTS (SELECT FROM jsonb_array_elements(v) e
                   WHERE jsonb_typeof(e) <> 'number' OR e::text !~ '^[1-9][0-9]{0,17}$') THEN
        errors := errors || api_error_item('["body","sender_ids"]',
            'sender_ids should be sender ids (positive whole numbers)', 'int_type');
    ELSE
        sender_ids := ARRAY(SELECT DISTINCT e::text::bigint FROM jsonb_array_elements(v) e
                             ORDER BY 1);
        IF EXISTS (SELECT FROM unnest(sender_ids) x
                    WHERE NOT EXISTS (SELECT FROM senders s WHERE s.id = x)) THEN
            errors := errors || api_error_item('["body","sender_ids"]',
                format('No sender with id %s (GET /api/senders lists them)',
                       (SELECT string_agg(x::text, ', ' ORDER BY x) FROM unnest(sender_ids) x
                         WHERE NOT EXISTS (SELECT FROM senders s WHERE s.id = x))),
                'value_error');
            sender_ids := NULL;
        END IF;
    END IF;
END
$$;

-- The leads a request selects: exactly one of lead_ids (an array of lead
-- ids), lead_filter (a search, as GET /api/leads?q=) or lead_count (the N
-- oldest leads).  required: whether one must be given.
CREATE OR REPLACE FUNCTION api_campaign_lead_selection(j jsonb, required boolean,
    OUT mode text, OUT ids bigint[], OUT filter text, OUT n bigint, OUT errors jsonb)
LANGUAGE plpgsql IMMUTABLE AS $$
DECLARE
    given text[];
    v jsonb;
    r record;
BEGIN
    errors := '[]';
    IF jsonb_typeof(j) IS DISTINCT FROM 'object' THEN
        RETURN;                 -- api_campaign_validate (or the caller) reports it
    END IF;
    given := ARRAY(SELECT k FROM unnest(ARRAY['lead_ids', 'lead_filter', 'lead_count']) AS k
                    WHERE jsonb_typeof(j -> k) IS DISTINCT FROM 'null' AND j ? k);
    IF cardinality(given) > 1 THEN
        errors := jsonb_build_array(api_error_item('["body"]',
            format('Give only one of lead_ids, lead_filter and lead_count (got %s)',
                   array_to_string(given, ', ')),
            'value_error'));
        RETURN;
    END IF;
    IF cardinality(given) = 0 THEN
        IF required THEN
            errors := jsonb_build_array(api_error_item('["body"]',
                'Give one of lead_ids (an array of lead ids), lead_filter (a search, as '
                || 'GET /api/leads?q=) or lead_count (the N oldest leads)', 'missing'));
        END IF;
        RETURN;
    END IF;
    mode := given[1];

    IF mode = 'lead_ids' THEN
        v := j -> 'lead_ids';
        IF jsonb_typeof(v) <> 'array' THEN
            errors := jsonb_build_array(api_error_item('["body","lead_ids"]',
                'Input should be a valid list', 'list_type'));
            RETURN;
        END IF;
        -- the common case, set-based: every element a plain positive integer
        IF NOT EXISTS (SELECT FROM jsonb_array_elements(v) AS e
                        WHERE jsonb_typeof(e) <> 'number' OR e::text !~ '^[1-9][0-9]{0,17}$') THEN
            ids := ARRAY(SELECT (e::text)::bigint FROM jsonb_array_elements(v) AS e);
            RETURN;
        END IF;
        -- else every element checked; the first 20 errors reported
        WITH x AS MATERIALIZED (
            SELECT e0.i, f.value, f.errors
              FROM jsonb_array_elements(v) WITH ORDINALITY AS e0(elem, i)
             CROSS JOIN LATERAL api_int_field(e0.elem,
                                              jsonb_build_array('body', 'lead_ids', e0.i - 1),
                                              1, 9223372036854775807) AS f
        )
        SELECT (SELECT coalesce(jsonb_agg(y.errors -> 0 ORDER BY y.i), '[]')
                  FROM (SELECT * FROM x WHERE x.errors <> '[]' ORDER BY x.i LIMIT 20) AS y),
               (SELECT array_agg(x.value ORDER BY x.i) FROM x)
          INTO errors, ids;
        ids := coalesce(ids, '{}');
    ELSIF mode = 'lead_filter' THEN
        v := j -> 'lead_filter';
        IF jsonb_typeof(v) <> 'string' THEN
            errors := jsonb_build_array(api_error_item('["body","lead_filter"]',
                'Input should be a valid string', 'string_type'));
        ELSIF char_length(api_json_string(v)) > 255 THEN
            errors := jsonb_build_array(api_error_item('["body","lead_filter"]',
                'String should have at most 255 characters', 'string_too_long',
                '{"max_length":255}'));
        ELSE
            filter := api_json_string(v);
        END IF;
    ELSE
        r := api_int_field(j -> 'lead_count', '["body","lead_count"]', 1, 1000000);
        errors := r.errors;
        n := r.value;
    END IF;
END
$$;

-- (The leads of a lead_filter: api_leads_matching(), in api/leads.sql next to
-- api_leads_search, the search of GET /api/leads?q= that it is.)

-- Assign the selected leads to a campaign (set-based; duplicates ignored).
-- Unknown lead ids are a 422 naming them.  matched: leads selected; added:
-- rows inserted (matched - added were already in the campaign).
CREATE OR REPLACE FUNCTION api_campaign_assign(p_campaign bigint, p_mode text,
    p_ids bigint[], p_filter text, p_n bigint, OUT matched bigint, OUT added bigint)
LANGUAGE plpgsql AS $$
DECLARE
    v_unknown bigint[];
    v_unknown_n bigint;
BEGIN
    matched := 0;
    added := 0;
    IF p_mode = 'lead_ids' THEN
        SELECT array_agg(u.id ORDER BY u.id) FILTER (WHERE u.rn <= 20), count(*)
          INTO v_unknown, v_unknown_n
          FROM (SELECT d.id, row_number() OVER (ORDER BY d.id) AS rn
                  FROM (SELECT DISTINCT x AS id FROM unnest(p_ids) AS x) AS d
                 WHERE NOT EXISTS (SELECT FROM leads l WHERE l.id = d.id)) AS u;
        IF v_unknown_n > 0 THEN
            PERFORM api_validation_error(jsonb_build_array(api_error_item(
                '["body","lead_ids"]',
                format('Unknown lead id%s: %s%s',
                       CASE WHEN v_unknown_n > 1 THEN 's' ELSE '' END,
                       array_to_string(v_unknown, ', '),
                       CASE WHEN v_unknown_n > 20
                            THEN format(' (and %s more)', v_unknown_n - 20) ELSE '' END),
                'value_error',
                jsonb_build_object('unknown_ids', to_jsonb(v_unknown)))));
        END IF;
        WITH src AS (SELECT DISTINCT x AS id FROM unnest(p_ids) AS x),
             ins AS (INSERT INTO campaign_leads (campaign_id, lead_id)
                     SELECT p_campaign, src.id FROM src ORDER BY src.id
                     ON CONFLICT (campaign_id, lead_id) DO NOTHING
                     RETURNING 1)
        SELECT (SELECT count(*) FROM src), (SELECT count(*) FROM ins) INTO matched, added;
    ELSIF p_mode = 'lead_filter' THEN
        WITH src AS MATERIALIZED (SELECT m AS id FROM api_leads_matching(p_filter) AS m),
             ins AS (INSERT INTO campaign_leads (campaign_id, lead_id)
                     SELECT p_campaign, src.id FROM src ORDER BY src.id
                     ON CONFLICT (campaign_id, lead_id) DO NOTHING
                     RETURNING 1)
        SELECT (SELECT count(*) FROM src), (SELECT count(*) FROM ins) INTO matched, added;
    ELSIF p_mode = 'lead_count' THEN
        -- the N oldest leads not in the campaign yet
        WITH src AS MATERIALIZED (
                 SELECT l.id FROM leads l
                  WHERE NOT EXISTS (SELECT FROM campaign_leads cl
                                     WHERE cl.campaign_id = p_campaign AND cl.lead_id = l.id)
                  ORDER BY l.created_at, l.id
                  LIMIT p_n),
             ins AS (INSERT INTO campaign_leads (campaign_id, lead_id)
                     SELECT p_campaign, src.id FROM src ORDER BY src.id
                     ON CONFLICT (campaign_id, lead_id) DO NOTHING
                     RETURNING 1)
        SELECT (SELECT count(*) FROM src), (SELECT count(*) FROM ins) INTO matched, added;
    END IF;
END
$$;

-- Write the validated fields the body has (create and update alike).
CREATE OR REPLACE FUNCTION api_campaign_apply(p_id bigint, j jsonb, v record) RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
    UPDATE campaigns AS c SET
        name = coalesce(v.name, c.name),
        description = CASE WHEN j ? 'description' THEN v.description ELSE c.description END,
        agent_type = coalesce(v.agent_type, c.agent_type),
        sms_system_prompt = CASE WHEN j ? 'sms_system_prompt' THEN v.sms_system_prompt
                                 ELSE c.sms_system_prompt END,
        sms_template = CASE WHEN j ? 'sms_template' THEN v.sms_template
                            ELSE c.sms_template END,
        sender_name = CASE WHEN j ? 'sender_name' THEN v.sender_name
                           ELSE c.sender_name END,
        sms_temperature = coalesce(v.sms_temperature, c.sms_temperature),
        messages_per_second = coalesce(v.messages_per_second, c.messages_per_second),
        send_window = CASE WHEN j ? 'send_window' THEN v.send_window ELSE c.send_window END,
        max_send_errors = coalesce(v.max_send_errors, c.max_send_errors),
        reply_mode = coalesce(v.reply_mode, c.reply_mode),
        reply_prompt = CASE WHEN j ? 'reply_prompt' THEN v.reply_prompt ELSE c.reply_prompt END,
        require_consent = coalesce(v.require_consent, c.require_consent),
        sender_ids = CASE WHEN j ? 'sender_ids' THEN v.sender_ids ELSE c.sender_ids END,
        max_filtered = coalesce(v.max_filtered, c.max_filtered),
        exclude_messaged_within_hours = CASE WHEN j ? 'exclude_messaged_within_hours'
                                             THEN v.exclude_messaged_within_hours
                                             ELSE c.exclude_messaged_within_hours END,
        voice_system_prompt = CASE WHEN j ? 'voice_system_prompt' THEN v.voice_system_prompt
                                   ELSE c.voice_system_prompt END,
        voice_temperature = coalesce(v.voice_temperature, c.voice_temperature),
        calls_per_second = coalesce(v.calls_per_second, c.calls_per_second),
        call_delay_seconds = coalesce(v.call_delay_seconds, c.call_delay_seconds),
        call_if_no_reply = coalesce(v.call_if_no_reply, c.call_if_no_reply)
     WHERE c.id = p_id;
END
$$;

-- A campaign id that exists, or 404.
CREATE OR REPLACE FUNCTION api_campaign_id(p_id text) RETURNS bigint
LANGUAGE plpgsql STABLE AS $$
DECLARE
    v_id bigint := api_parse_id(p_id);
BEGIN
    IF NOT EXISTS (SELECT FROM campaigns c WHERE c.id = v_id) THEN
        PERFORM api_not_found('Campaign', v_id);
    END IF;
    RETURN v_id;
END
$$;

-- One campaign lead as GET /api/campaigns/{id}/leads shows it.  l is NULL
-- for a deleted lead (lead_deleted): then lead_id is null and name and phone
-- are the ones it was messaged at.  next_attempt_at only while pending;
-- wait_reason (quiet_hours, retry) while pending and not due yet.
CREATE OR REPLACE FUNCTION api_campaign_lead_json(cl campaign_leads, l leads) RETURNS json
LANGUAGE sql STABLE PARALLEL SAFE
RETURN json_build_object(
    'id', cl.id,
    'campaign_id', cl.campaign_id,
    'lead_id', cl.lead_id,
    'lead_deleted', cl.lead_id IS NULL,
    'name', coalesce(l.name, cl.lead_name),
    'phone', coalesce(l.phone, cl.lead_phone),
    'email', l.email,
    'company', l.company,
    'notes', l.notes,
    'status', cl.status,
    'next_attempt_at', CASE WHEN cl.status = 'pending' THEN cl.next_attempt_at END,
    'wait_reason', CASE WHEN cl.status = 'pending' AND cl.next_attempt_at > now()
                        THEN coalesce(cl.wait_reason, CASE WHEN cl.attempts = 0
                                                           THEN 'quiet_hours'
                                                           ELSE 'retry' END) END,
    'sms_sent', cl.sms_sent,
    'sms_message', cl.sms_message,
    'sms_segments', cl.sms_segments,
    'sms_cost', cl.sms_cost,
    'sms_encoding', cl.sms_encoding,
    'sms_sid', cl.sms_sid,
    'sms_provider_status', cl.sms_provider_status,
    'error_message', cl.error_message,
    'error_code', cl.error_code,
    'sender_id', cl.sender_id,
    'voice_call_made', cl.voice_call_made,
    'call_status', cl.call_status,
    'call_sid', cl.call_sid,
    'call_script', cl.call_script,
    'call_words', cl.call_words,
    'call_duration', cl.call_duration,
    'call_answered_by', cl.call_answered_by,
    'call_cost', cl.call_cost,
    'validation_errors', cl.validation_errors,
    'trace_id', cl.trace_id,
    'attempts', cl.attempts,
    'created_at', cl.created_at,
    'updated_at', cl.updated_at,
    'processed_at', cl.processed_at,
    'delivered_at', cl.delivered_at);

------------------------------------------------------------------------------
-- Routes
------------------------------------------------------------------------------

-- GET /api/campaigns?status=&q=&limit=&offset=  (newest first)
CREATE OR REPLACE FUNCTION api.campaigns_list(p_args jsonb, OUT status integer, OUT body text)
LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
    p record;
    v_args jsonb := coalesce(p_args, '{}');
    v_status text := nullif(btrim(v_args ->> 'status'), '');
    v_q text := nullif(btrim(v_args ->> 'q'), '');
    v_like text;
    v_before bigint;
    v_errors jsonb;
    v_total bigint;
    v_items json;
    v_more boolean;
BEGIN
    SELECT * INTO p FROM api_list_params(v_args);
    v_errors := p.errors || api_keyset_errors(v_args, p.off)
        || api_enum_errors(v_status, api_campaign_statuses(), '["query","status"]');
    v_errors := v_errors || api_search_errors(v_q);
    PERFORM api_check(v_errors);
    v_like := api_like_contains(lower(v_q));
    -- keyset pages, newest first: after the last id of the previous page, the smaller ids
    v_before := coalesce(nullif(api_count_param_value(v_args ->> 'after', 9223372036854775807), 0),
                         9223372036854775807);

    SELECT count(*) INTO v_total
      FROM campaigns c
     WHERE (v_status IS NULL OR c.status = v_status)
       AND (v_q IS NULL OR lower(c.name) LIKE v_like OR lower(c.description) LIKE v_like);
    SELECT coalesce(json_agg(smscamp_campaign_json(c) ORDER BY c.id DESC), '[]')
      INTO v_items
      FROM (SELECT * FROM campaigns c
             WHERE (v_status IS NULL OR c.status = v_status)
               AND (v_q IS NULL OR lower(c.name) LIKE v_like
                    OR lower(c.description) LIKE v_like)
               AND c.id < v_before
             ORDER BY c.id DESC LIMIT p.lim + 1 OFFSET p.off) AS c;

    v_more := json_array_length(v_items) > p.lim;
    v_items := api_json_head(v_items, p.lim);
    status := 200;
    body := api_keyset_page(v_items, v_total, p.lim, p.off, v_more,
                            (v_items -> (p.lim - 1) ->> 'id')::bigint);
END
$$;

-- GET /api/campaigns/{id}
CREATE OR REPLACE FUNCTION api.campaigns_get(p_id text, OUT status integer, OUT body text)
LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
    v_id bigint := api_parse_id(p_id);
BEGIN
    body := api_found(smscamp_campaign_json(v_id)::text, 'Campaign', v_id);
    status := 200;
END
$$;

-- POST /api/campaigns: a draft, with the selected leads pending.
CREATE OR REPLACE FUNCTION api.campaigns_create(p_body jsonb, OUT status integer, OUT body text)
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
    v record;
    s record;
    a record;
    v_id bigint;
BEGIN
    SELECT * INTO v FROM api_campaign_validate(p_body, false);
    SELECT * INTO s FROM api_campaign_lead_selection(p_body, false);
    PERFORM api_check(v.errors || s.errors);

    INSERT INTO campaigns (name) VALUES (v.name) RETURNING id INTO v_id;
    PERFORM api_campaign_apply(v_id, p_body, v);
    IF s.mode IS NOT NULL THEN
        SELECT * INTO a FROM api_campaign_assign(v_id, s.mode, s.ids, s.filter, s.n);
    END IF;

    status := 201;
    body := smscamp_campaign_json(v_id)::text;
END
$$;

-- PUT /api/campaigns/{id}: the fields present change.  The prompt, the
-- temperature and the agent type only while the campaign is a draft.
CREATE OR REPLACE FUNCTION api.campaigns_update(p_id text, p_body jsonb,
                                                OUT status integer, OUT body text)
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
    v record;
    c campaigns;
    v_errors jsonb := api_id_errors(p_id);
    v_locked text[];
BEGIN
    SELECT * INTO v FROM api_campaign_validate(p_body, true);
    v_errors := v_errors || v.errors;
    PERFORM api_check(v_errors);
    c := smscamp_campaign_lock(api_parse_id(p_id));

    IF c.status <> 'draft' THEN
        v_locked := ARRAY(
            SELECT f FROM (VALUES
                (1, 'agent_type', v.agent_type IS NOT NULL
                                  AND v.agent_type IS DISTINCT FROM c.agent_type),
                (2, 'sms_system_prompt', p_body ? 'sms_system_prompt'
                                  AND v.sms_system_prompt IS DISTINCT FROM c.sms_system_prompt),
                (3, 'sms_template', p_body ? 'sms_template'
                                  AND v.sms_template IS DISTINCT FROM c.sms_template),
                (4, 'sender_name', p_body ? 'sender_name'
                                  AND v.sender_name IS DISTINCT FROM c.sender_name),
                (5, 'sms_temperature', v.sms_temperature IS NOT NULL
                                  AND v.sms_temperature IS DISTINCT FROM c.sms_temperature),
                (6, 'voice_system_prompt', p_body ? 'voice_system_prompt'
                                  AND v.voice_system_prompt IS DISTINCT FROM c.voice_system_prompt),
                (7, 'voice_temperature', v.voice_temperature IS NOT NULL
                                  AND v.voice_temperature IS DISTINCT FROM c.voice_temperature))
                AS x(o, f, changed)
             WHERE x.changed ORDER BY x.o);
        IF cardinality(v_locked) > 0 THEN
            PERFORM api_error(409, to_jsonb(format(
                'Cannot change %s of campaign %s: it is %s (what the messages say - the '
                'prompt, template, sender, temperature and agent type - can only change while '
                'the campaign is a draft)',
                array_to_string(v_locked, ', '), c.id, c.status)));
        END IF;
    END IF;

    PERFORM api_campaign_apply(c.id, p_body, v);
    status := 200;
    body := smscamp_campaign_json(c.id)::text;
END
$$;

-- DELETE /api/campaigns/{id}: 204; a processing campaign must be stopped first.
CREATE OR REPLACE FUNCTION api.campaigns_delete(p_id text, OUT status integer, OUT body text)
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
    c campaigns := smscamp_campaign_lock(api_parse_id(p_id));
BEGIN
    IF c.status = 'processing' THEN
        PERFORM api_error(409, to_jsonb(format(
            'Cannot delete campaign %s while it is processing: pause or cancel it first',
            c.id)));
    END IF;
    DELETE FROM campaigns WHERE id = c.id;
    status := 204;
    body := NULL;
END
$$;

-- POST /api/campaigns/{id}/leads: add leads to a draft campaign.
CREATE OR REPLACE FUNCTION api.campaigns_add_leads(p_id text, p_body jsonb,
                                                   OUT status integer, OUT body text)
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
    s record;
    a record;
    c campaigns;
    v_errors jsonb := api_id_errors(p_id);
BEGIN
    v_errors := v_errors || api_body_errors(p_body);
    IF jsonb_typeof(p_body) = 'object' THEN
        SELECT * INTO s FROM api_campaign_lead_selection(p_body, true);
        v_errors := v_errors || s.errors;
    END IF;
    PERFORM api_check(v_errors);
    c := smscamp_campaign_lock(api_parse_id(p_id));
    IF c.status <> 'draft' THEN
        PERFORM api_error(409, to_jsonb(format(
            'Cannot add leads to campaign %s: it is %s (leads can only be added to a draft)',
            c.id, c.status)));
    END IF;

    SELECT * INTO a FROM api_campaign_assign(c.id, s.mode, s.ids, s.filter, s.n);
    status := 200;
    body := json_build_object(
        'campaign_id', c.id,
        'matched', a.matched,
        'added', a.added,
        'duplicates', a.matched - a.added,
        'total_leads', (smscamp_campaign_counts(c.id)).total_leads)::text;
END
$$;

-- The paging of a campaign's sub-lists (/leads, /logs, in id order): limit and
-- offset (api_list_params, up to 10,000) or after (keyset pages: the last id of
-- the previous page, 0 when none), with the route's own filter errors
-- (p_errors) and the path id's in one 422; then the campaign's id (404 when it
-- has none).
DO $$
BEGIN
    -- (before after)
    IF EXISTS (SELECT FROM pg_proc WHERE oid = to_regprocedure('api_campaign_page_params(text,jsonb,jsonb)')
                                     AND cardinality(proallargtypes) < 7) THEN
        DROP FUNCTION api_campaign_page_params(text, jsonb, jsonb);
    END IF;
END
$$;
CREATE OR REPLACE FUNCTION api_campaign_page_params(p_id text, p_args jsonb, p_errors jsonb,
                                                    OUT id bigint, OUT lim integer,
                                                    OUT off bigint, OUT after bigint)
LANGUAGE plpgsql STABLE AS $$
DECLARE
    p record;
    v_errors jsonb;
BEGIN
    SELECT * INTO p FROM api_list_params(coalesce(p_args, '{}'));
    v_errors := api_id_errors(p_id) || p.errors
                || api_keyset_errors(coalesce(p_args, '{}'), p.off) || p_errors;
    PERFORM api_check(v_errors);
    id := api_campaign_id(p_id);
    lim := p.lim;
    off := p.off;
    after := coalesce(api_count_param_value(p_args ->> 'after', 9223372036854775807), 0);
END
$$;


-- GET /api/campaigns/{id}/leads?status=&limit=&offset=&after=  (in campaign-lead
-- id order, keyset pages with after; total from the kept statistics, not a count
-- of the rows)
CREATE OR REPLACE FUNCTION api.campaigns_leads(p_id text, p_args jsonb,
                                               OUT status integer, OUT body text)
LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
    v_status text := nullif(btrim(p_args ->> 'status'), '');
    p record := api_campaign_page_params(p_id, p_args,
        api_enum_errors(v_status, api_campaign_lead_statuses(), '["query","status"]'));
    v_id bigint := p.id;
    v_total bigint;
    v_ids bigint[];     -- the page's campaign leads (and one more when more follow)
    v_more boolean;
    v_items json;
BEGIN

    v_total := (smscamp_campaign_lead_counts(v_id) ->> coalesce(v_status, 'total_leads'))::bigint;
    -- (two statements: with "id > after" on the first page too, the planner walked
    -- the primary key through every campaign's leads, 135 ms for a page of a
    -- 100,000-lead campaign: t/sql/25)
    IF p.after = 0 THEN
        v_ids := ARRAY(SELECT c.id FROM campaign_leads c
                        WHERE c.campaign_id = v_id AND (v_status IS NULL OR c.status = v_status)
                        ORDER BY c.id LIMIT p.lim + 1 OFFSET p.off);
    ELSE
        v_ids := ARRAY(SELECT c.id FROM campaign_leads c
                        WHERE c.campaign_id = v_id AND (v_status IS NULL OR c.status = v_status)
                          AND c.id > p.after
                        ORDER BY c.id LIMIT p.lim + 1);
    END IF;
    v_more := cardinality(v_ids) > p.lim;
    v_ids := v_ids[1:p.lim];
    -- then each lead by id (OFFSET 0: not flattened, so the plan stays "50 index
    -- lookups" whatever the statistics say); a deleted lead's campaign lead has none
    SELECT coalesce(json_agg(api_campaign_lead_json(pg.c, x.l) ORDER BY (pg.c).id), '[]')
      INTO v_items
      FROM (SELECT c FROM campaign_leads c WHERE c.id = ANY (v_ids) OFFSET 0) AS pg
      LEFT JOIN LATERAL (SELECT l FROM leads l WHERE l.id = (pg.c).lead_id OFFSET 0) AS x
             ON true;

    status := 200;
    body := api_keyset_page(v_items, v_total, p.lim, p.off, v_more, v_ids[p.lim]);
END
$$;

-- POST /api/campaigns/{id}/start (draft -> pending; paused: resumed), /pause,
-- /resume and /cancel: the lifecycle functions of campaign_lifecycle.sql, which
-- psql calls too.  start and resume answer 202 (the work is queued for the
-- workers), pause and cancel 200.  One definition for the four routes:
-- api.campaigns_start, api.campaigns_pause, api.campaigns_resume, api.campaigns_cancel.
DO $do$
DECLARE
    r record;
BEGIN
    FOR r IN SELECT * FROM (VALUES ('start', 202), ('pause', 200), ('resume', 202),
                                   ('cancel', 200)) AS v(verb, status)
    LOOP
        EXECUTE format($fn$
CREATE OR REPLACE FUNCTION api.campaigns_%1$s(p_id text, OUT status integer, OUT body text)
LANGUAGE sql SECURITY DEFINER SET search_path = public, pg_temp
AS $$SELECT %2$s, smscamp_%1$s(api_parse_id(p_id))::text$$
$fn$, r.verb, r.status);
    END LOOP;
END
$do$;

-- POST /api/campaigns/{id}/schedule {"scheduled_at": "2030-01-01T09:00:00Z"}
-- (null: back to draft)
CREATE OR REPLACE FUNCTION api.campaigns_schedule(p_id text, p_body jsonb,
                                                  OUT status integer, OUT body text)
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
    v_errors jsonb := api_id_errors(p_id);
    v jsonb := p_body -> 'scheduled_at';
    v_at timestamptz;
BEGIN
    v_errors := v_errors || api_body_errors(p_body);
    IF jsonb_typeof(p_body) IS DISTINCT FROM 'object' THEN
        NULL;
    ELSIF NOT p_body ? 'scheduled_at' THEN
        v_errors := v_errors || api_error_item('["body","scheduled_at"]', 'Field required',
                                               'missing');
    ELSIF jsonb_typeof(v) = 'null' THEN
        NULL;
    ELSE
        -- (a date and a time: a date alone is no moment to start at)
        v_at := CASE WHEN api_json_string(v) ~ '[T ]\d\d:' THEN api_datetime(api_json_string(v)) END;
        IF v_at IS NULL THEN
            v_errors := v_errors || api_error_item('["body","scheduled_at"]',
                'Input should be a valid datetime (ISO 8601, e.g. 2030-01-31T09:00:00Z)',
                'datetime_parsing');
        END IF;
    END IF;
    PERFORM api_check(v_errors);

    body := smscamp_schedule(api_parse_id(p_id), v_at)::text;
    status := 200;
END
$$;

-- A preview's call after the SMS (agent_type both; NULL otherwise): its script
-- written as the workers will, from the voice prompt: {"message", "words",
-- "spoken_seconds", "error"}.  A script the writer cannot write is the SMS
-- (p_sms) as spoken, as the workers fall back to, with the reason.
CREATE OR REPLACE FUNCTION api_preview_call_script(p_campaign bigint, p_lead bigint, p_sms text)
RETURNS json
LANGUAGE plpgsql STABLE AS $$
DECLARE
    v_written jsonb;
    v_script text;
BEGIN
    IF (SELECT c.agent_type FROM campaigns c WHERE c.id = p_campaign) IS DISTINCT FROM 'both' THEN
        RETURN NULL;
    END IF;
    v_written := smscamp_preview(smscamp_preview_context(p_campaign, p_lead)
                                 || (SELECT smscamp_writer_context(c, true, l.phone)
                                       FROM campaigns c, leads l
                                      WHERE c.id = p_campaign AND l.id = p_lead));
    v_script := CASE WHEN coalesce((v_written ->> 'ok')::boolean, false) THEN v_written ->> 'message'
                     ELSE smscamp_call_script(p_sms) END;
    RETURN json_build_object('message', v_script, 'words', smscamp_words(v_script),
                             'spoken_seconds', round(smscamp_words(v_script) * 60 / 150.0),
                             'error', CASE WHEN NOT coalesce((v_written ->> 'ok')::boolean, false)
                                           THEN v_written ->> 'error' END);
END
$$;

-- POST /api/campaigns/{id}/preview {"lead_id": 7}: validation and the message
-- for one lead (default: the campaign's first lead), nothing sent or stored.
CREATE OR REPLACE FUNCTION api.campaigns_preview(p_id text, p_body jsonb,
                                                 OUT status integer, OUT body text)
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
    v_errors jsonb := api_id_errors(p_id);
    r record;
    v_id bigint;
    v_lead bigint;
    v_preview jsonb;
BEGIN
    v_errors := v_errors || api_body_errors(p_body, required => false);
    IF jsonb_typeof(p_body) IS DISTINCT FROM 'object' THEN
        NULL;
    ELSIF jsonb_typeof(p_body -> 'lead_id') IS DISTINCT FROM 'null' AND p_body ? 'lead_id' THEN
        r := api_int_field(p_body -> 'lead_id', '["body","lead_id"]', 1, 9223372036854775807);
        v_errors := v_errors || r.errors;
        v_lead := r.value;
    END IF;
    PERFORM api_check(v_errors);
    v_id := api_campaign_id(p_id);

    IF v_lead IS NULL THEN
        SELECT cl.lead_id INTO v_lead
          FROM campaign_leads cl WHERE cl.campaign_id = v_id ORDER BY cl.id LIMIT 1;
        IF NOT FOUND THEN
            PERFORM api_error(409, to_jsonb(format(
                'Campaign %s has no leads to preview a message for: add leads or give lead_id',
                v_id)));
        END IF;
    ELSIF NOT EXISTS (SELECT FROM leads l WHERE l.id = v_lead) THEN
        PERFORM api_not_found('Lead', v_lead);
    END IF;

    PERFORM smscamp_check_writer(c) FROM campaigns c WHERE c.id = v_id;
    v_preview := smscamp_preview(smscamp_preview_context(v_id, v_lead));
    IF NOT coalesce((v_preview ->> 'ok')::boolean, false) THEN
        -- final: the message cannot be written as things are (422); else the
        -- model could not be reached (502)
        IF coalesce((v_preview ->> 'final')::boolean, false) THEN
            PERFORM api_error(422, to_jsonb(smscamp_writer_way_out(v_preview ->> 'error')));
        END IF;
        PERFORM api_error(502, to_jsonb('Message generation failed: '
                                        || coalesce(v_preview ->> 'error', 'unknown error')));
    END IF;

    status := 200;
    body := json_build_object(
        'campaign_id', v_id,
        'lead_id', v_lead,
        'message', v_preview -> 'message',
        'encoding', v_preview -> 'encoding',
        'segments', v_preview -> 'segments',
        'characters', v_preview -> 'characters',
        'cost', (v_preview ->> 'cost')::numeric,
        'model', v_preview -> 'model',
        'truncated', coalesce(v_preview -> 'truncated', 'false'),
        'writer', smscamp_writer_info() || jsonb_build_object(
                      'kind', v_preview ->> 'writer',
                      'label', CASE v_preview ->> 'writer'
                                   WHEN 'template' THEN 'Template (offline)'
                                   WHEN 'builtin' THEN 'Built-in writer (offline)'
                                   ELSE smscamp_writer_info() ->> 'label' END),
        'empty_placeholders', coalesce(v_preview -> 'empty_placeholders', '[]'),
        'plan', v_preview -> 'plan',
        'validation_errors', coalesce(v_preview -> 'validation_errors', '[]'),
        'valid', coalesce(v_preview -> 'validation_errors', '[]') = '[]',
        -- a voice campaign: the message is the call's script, spoken at about
        -- 150 words a minute
        'kind', CASE WHEN (SELECT c.agent_type FROM campaigns c WHERE c.id = v_id) = 'voice'
                     THEN 'call_script' ELSE 'sms' END,
        'words', smscamp_words(v_preview ->> 'message'),
        'spoken_seconds', round(smscamp_words(v_preview ->> 'message') * 60 / 150.0),
        -- agent_type both: the call after the SMS, its script from the voice prompt
        'call_script', api_preview_call_script(v_id, v_lead, v_preview ->> 'message'))::text;
END
$$;

-- GET /api/campaigns/{id}/logs?level=&node=&campaign_lead_id=&limit=&offset=&after=
-- (oldest first; lead_name: the lead's name, or a deleted lead's as messaged)
CREATE OR REPLACE FUNCTION api.campaigns_logs(p_id text, p_args jsonb,
                                              OUT status integer, OUT body text)
LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
    v_level text := nullif(btrim(p_args ->> 'level'), '');
    v_node text := nullif(btrim(p_args ->> 'node'), '');
    v_cl_text text := nullif(btrim(p_args ->> 'campaign_lead_id'), '');
    p record := api_campaign_page_params(p_id, p_args,
        api_enum_errors(v_level, ARRAY['debug', 'info', 'warning', 'error'], '["query","level"]')
        || CASE WHEN char_length(v_node) > 100 THEN
               jsonb_build_array(api_error_item('["query","node"]',
                   'String should have at most 100 characters', 'string_too_long',
                   '{"max_length":100}'))
           ELSE '[]' END
        || CASE WHEN v_cl_text IS NOT NULL THEN
               api_id_errors(v_cl_text, '["query","campaign_lead_id"]')
           ELSE '[]' END);
    v_id bigint := p.id;
    v_cl bigint;
    v_total bigint;
    v_items json;
    v_more boolean;
    v_last bigint;
BEGIN
    IF v_cl_text IS NOT NULL THEN
        v_cl := api_parse_id(v_cl_text, '["query","campaign_lead_id"]');
    END IF;

    SELECT count(*) INTO v_total
      FROM processing_logs pl JOIN campaign_leads cl ON cl.id = pl.campaign_lead_id
     WHERE cl.campaign_id = v_id
       AND (v_cl IS NULL OR pl.campaign_lead_id = v_cl)
       AND (v_level IS NULL OR pl.level = v_level)
       AND (v_node IS NULL OR pl.node_name = v_node);
    SELECT coalesce(json_agg(json_build_object(
               'id', x.id,
               'campaign_lead_id', x.campaign_lead_id,
               'lead_id', x.lead_id,
               'lead_name', n.lead_name,
               'node_name', x.node_name,
               'level', x.level,
               'message', x.message,
               'metadata', x.metadata,
               'created_at', x.created_at) ORDER BY x.id), '[]')
      INTO v_items
      FROM (SELECT pl.*, cl.lead_id, cl.lead_name AS deleted_lead_name
              FROM processing_logs pl JOIN campaign_leads cl ON cl.id = pl.campaign_lead_id
             WHERE cl.campaign_id = v_id
               AND (v_cl IS NULL OR pl.campaign_lead_id = v_cl)
               AND (v_level IS NULL OR pl.level = v_level)
               AND (v_node IS NULL OR pl.node_name = v_node)
               AND pl.id > p.after
             ORDER BY pl.id LIMIT p.lim + 1 OFFSET p.off) AS x
      LEFT JOIN LATERAL (SELECT coalesce(l.name, x.deleted_lead_name) AS lead_name
                           FROM (SELECT) AS one LEFT JOIN leads l ON l.id = x.lead_id) AS n
             ON true;

    -- (one row more than the page: more follow)
    v_more := json_array_length(v_items) > p.lim;
    v_items := api_json_head(v_items, p.lim);
    v_last := (v_items -> (p.lim - 1) ->> 'id')::bigint;
    status := 200;
    body := api_keyset_page(v_items, v_total, p.lim, p.off, v_more, v_last);
END
$$;

CALL smscamp_secure_api();
