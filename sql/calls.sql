-- Calls: a voice campaign's (agent_type voice) campaign leads are called
-- instead of texted.  The workers run the same graph: validate_lead, the
-- script written (pg_extension/script.c: the word limit, the call's opt-out
-- line), "sending" with call_status calling committed before the Calls
-- request, the provider's answer recorded by smscamp_record_batch
-- (workflow.sql).  Here:
--   the words          smscamp_words, smscamp_call_language (the <Say> language)
--   call statuses      Twilio's CallStatus, forward only (smscamp_call_status_rank),
--                      and what each makes of the campaign lead: completed
--                      delivered; busy, no-answer, failed, canceled undelivered
--   the callback       smscamp_record_call_status (POST /api/webhooks/voice/status)
--   the figures        smscamp_campaign_calls (a campaign's), smscamp_calls_totals
--                      (the dashboard's)
--   psql               smscamp_generate_call_script(cl), smscamp_place_call(cl)
--   agent_type both    the call after the SMS: scheduled when the SMS is handed to
--                      the provider (a trigger on campaign_leads), call_delay_seconds
--                      later; claimed by the workers' conversation tasks
--                      (smscamp_claim_calls: opt-outs, call_if_no_reply, quiet
--                      hours), its script written from the voice prompt
--                      ("writing", smscamp_record_call_script), then placed at
--                      calls_per_second, "calling" committed before the request,
--                      the answer recorded (smscamp_record_call_leg), recovered when
--                      the worker died (smscamp_recover_calls); the campaign lead
--                      keeps its SMS's status, the call its own (call_status)
-- Its columns: campaign_leads.call_* and call_outbox (schema.sql).

SET client_min_messages = warning;

-- How many words a script has (the C writer counts the same way).
CREATE OR REPLACE FUNCTION smscamp_words(p_text text) RETURNS integer
LANGUAGE sql IMMUTABLE PARALLEL SAFE
RETURN coalesce(array_length(regexp_split_to_array(btrim(p_text, E' \n\r\t'), E'[ \n\r\t]+'), 1),
                0) - CASE WHEN btrim(p_text, E' \n\r\t') = '' THEN 1 ELSE 0 END;

-- The language a call is spoken in (TwiML <Say language>), by the phone's country.
CREATE OR REPLACE FUNCTION smscamp_call_language(p_phone text) RETURNS text
LANGUAGE sql STABLE PARALLEL SAFE
RETURN CASE smscamp_phone_country(p_phone)
    WHEN 'GB' THEN 'en-GB' WHEN 'IE' THEN 'en-IE' WHEN 'AU' THEN 'en-AU'
    WHEN 'NZ' THEN 'en-NZ' WHEN 'IN' THEN 'en-IN' WHEN 'ZA' THEN 'en-ZA'
    ELSE 'en-US' END;

-- A provider's call status as stored (lower case, Twilio's names), NULL when it is none.
CREATE OR REPLACE FUNCTION smscamp_call_status(p_status text) RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE
RETURN CASE WHEN lower(p_status) IN ('queued', 'initiated', 'ringing', 'in-progress', 'completed',
                                     'busy', 'no-answer', 'failed', 'canceled')
            THEN lower(p_status) END;

-- The order of a call's statuses: a callback never moves a call back.
CREATE OR REPLACE FUNCTION smscamp_call_status_rank(p_status text) RETURNS integer
LANGUAGE sql IMMUTABLE PARALLEL SAFE
RETURN CASE p_status
    WHEN 'scheduled' THEN 0 WHEN 'writing' THEN 0 WHEN 'calling' THEN 0 WHEN 'unknown' THEN 0
    WHEN 'logged' THEN 1 WHEN 'queued' THEN 1
    WHEN 'initiated' THEN 2 WHEN 'ringing' THEN 3 WHEN 'in-progress' THEN 4
    WHEN 'completed' THEN 5 WHEN 'busy' THEN 5 WHEN 'no-answer' THEN 5 WHEN 'failed' THEN 5
    WHEN 'canceled' THEN 5 WHEN 'skipped' THEN 5 END;

-- The campaign lead's status a call status makes (NULL: it keeps its own),
-- as an SMS's delivery callback does (smscamp_status_after_callback): only a
-- sent or unknown lead moves; a call that connected is delivered, one that
-- did not is undelivered, and an unknown one the provider has is sent.
CREATE OR REPLACE FUNCTION smscamp_call_lead_status(p_current text, p_call_status text)
RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE
RETURN CASE
    WHEN p_current NOT IN ('sent', 'unknown') THEN NULL
    WHEN p_call_status = 'completed' THEN 'delivered'
    WHEN p_call_status IN ('busy', 'no-answer', 'failed', 'canceled') THEN 'undelivered'
    WHEN p_call_status IN ('queued', 'initiated', 'ringing', 'in-progress')
         AND p_current = 'unknown' THEN 'sent'
END;

-- Why a call did not connect, for its campaign lead's error_message.
CREATE OR REPLACE FUNCTION smscamp_call_error(p_call_status text) RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE
RETURN CASE p_call_status
    WHEN 'busy' THEN 'Call not connected: the line was busy'
    WHEN 'no-answer' THEN 'Call not connected: nobody answered'
    WHEN 'failed' THEN 'Call failed (the provider could not place it)'
    WHEN 'canceled' THEN 'Call canceled before it connected' END;

-- A voice status callback (Twilio's CallSid, CallStatus, CallDuration,
-- AnsweredBy, Price: f, the form as JSON).  The call moves forward only; its
-- campaign lead follows (smscamp_call_lead_status); every matched callback is
-- logged.  Answers {"matched", "campaign_lead_id", "status", "call_status"};
-- matched false for a SID no campaign lead has (200 all the same: Twilio
-- would retry; kept for later while a call is in flight, sql/callbacks.sql).
CREATE OR REPLACE FUNCTION smscamp_record_call_status(f jsonb) RETURNS jsonb
LANGUAGE plpgsql AS $$
DECLARE
    v_sid text := nullif(btrim(f ->> 'CallSid'), '');
    v_state text := smscamp_call_status(f ->> 'CallStatus');
    v_duration integer := CASE WHEN f ->> 'CallDuration' ~ '^[0-9]{1,7}$'
                               THEN (f ->> 'CallDuration')::integer END;
    v_answered text := CASE WHEN f ->> 'AnsweredBy' ~ '^[a-z_]{1,50}$' THEN f ->> 'AnsweredBy' END;
    v_price numeric := CASE WHEN f ->> 'Price' ~ '^-?[0-9]{1,8}(\.[0-9]{1,6})?$'
                            THEN abs((f ->> 'Price')::numeric) END;
    cl campaign_leads;
    v_forward boolean;
    v_new text;
BEGIN
    SELECT * INTO cl FROM campaign_leads WHERE call_sid = v_sid ORDER BY id LIMIT 1 FOR UPDATE;
    IF NOT FOUND THEN
        -- kept a while when a call is in flight: its SID may not be recorded yet
        -- (sql/callbacks.sql)
        PERFORM smscamp_keep_early_callback('call', v_sid, f);
        RETURN jsonb_build_object('matched', false);
    END IF;
    v_forward := v_state IS NOT NULL
                 AND (cl.call_status IS NULL
                      OR smscamp_call_status_rank(v_state) > smscamp_call_status_rank(cl.call_status));
    -- a voice campaign's lead follows its call; a "both" lead keeps its SMS's status
    v_new := CASE WHEN v_forward AND (SELECT c.agent_type FROM campaigns c
                                       WHERE c.id = cl.campaign_id) = 'voice'
                  THEN smscamp_call_lead_status(cl.status, v_state) END;
    UPDATE campaign_leads SET
        call_status = CASE WHEN v_forward THEN v_state ELSE call_status END,
        call_duration = coalesce(v_duration, call_duration),
        call_answered_by = coalesce(v_answered, call_answered_by),
        call_cost = coalesce(v_price, call_cost),
        voice_call_made = true,
        status = coalesce(v_new, status),
        delivered_at = CASE WHEN v_new = 'delivered' THEN now() ELSE delivered_at END,
        error_message = CASE WHEN v_new = 'undelivered' THEN smscamp_call_error(v_state)
                             WHEN v_new IS NOT NULL AND cl.status = 'unknown' THEN NULL
                             ELSE error_message END,
        processed_at = coalesce(processed_at, now())
     WHERE id = cl.id
    RETURNING * INTO cl;
    PERFORM smscamp_log(cl.id,
        CASE WHEN v_state IN ('busy', 'no-answer', 'failed', 'canceled') THEN 'warning' ELSE 'info' END,
        'status_callback',
        format('Call status: %s%s%s', coalesce(v_state, f ->> 'CallStatus', '?'),
               ' (' || v_duration || ' s)', ', answered by ' || v_answered),
        jsonb_strip_nulls(jsonb_build_object('sid', v_sid, 'call_status', v_state,
                                             'duration', v_duration, 'answered_by', v_answered,
                                             'price', v_price, 'status', cl.status,
                                             'applied', v_forward)));
    RETURN jsonb_build_object('matched', true, 'campaign_lead_id', cl.id, 'status', cl.status,
                              'call_status', cl.call_status);
END
$$;

-- A campaign's calls: placed (the provider took them), answered (by a
-- person, or answered without answering-machine detection), voicemail (an
-- answering machine), not connected (busy, no-answer, failed, canceled),
-- minutes and cost.  An index range of its calls; NULL for an SMS campaign.
CREATE OR REPLACE FUNCTION smscamp_campaign_calls(c campaigns) RETURNS jsonb
LANGUAGE sql STABLE AS $$
SELECT CASE WHEN c.agent_type = 'sms' THEN NULL ELSE (
    SELECT jsonb_build_object(
        'placed', count(*),
        'answered', count(*) FILTER (WHERE cl.call_status = 'completed'
                                       AND coalesce(cl.call_answered_by, 'human') IN ('human', 'unknown')),
        'voicemail', count(*) FILTER (WHERE cl.call_status = 'completed'
                                        AND cl.call_answered_by LIKE 'machine%'),
        'no_answer', count(*) FILTER (WHERE cl.call_status = 'no-answer'),
        'busy', count(*) FILTER (WHERE cl.call_status = 'busy'),
        'failed', count(*) FILTER (WHERE cl.call_status IN ('failed', 'canceled')),
        'in_progress', count(*) FILTER (WHERE smscamp_call_status_rank(cl.call_status) < 5
                                          AND cl.call_status NOT IN ('logged', 'unknown')),
        'minutes', round(coalesce(sum(cl.call_duration), 0) / 60.0, 1),
        'cost', round(coalesce(sum(cl.call_cost), 0), 4))
      FROM campaign_leads cl
     WHERE cl.campaign_id = c.id AND cl.voice_call_made)
    -- "both": the calls still to place
    || jsonb_build_object('scheduled', CASE WHEN c.agent_type = 'both' THEN
           (SELECT count(*) FROM campaign_leads cl
             WHERE cl.campaign_id = c.id AND cl.call_status IN ('scheduled', 'writing', 'calling')) ELSE 0 END)
    END
$$;

-- The dashboard's calls over every campaign.
CREATE OR REPLACE FUNCTION smscamp_calls_totals() RETURNS jsonb
LANGUAGE sql STABLE AS $$
SELECT jsonb_build_object(
    'placed', count(*),
    'answered', count(*) FILTER (WHERE cl.call_status = 'completed'
                                   AND coalesce(cl.call_answered_by, 'human') IN ('human', 'unknown')),
    'voicemail', count(*) FILTER (WHERE cl.call_status = 'completed'
                                    AND cl.call_answered_by LIKE 'machine%'),
    'not_connected', count(*) FILTER (WHERE cl.call_status IN ('busy', 'no-answer', 'failed',
                                                                'canceled')),
    'minutes', round(coalesce(sum(cl.call_duration), 0) / 60.0, 1),
    'cost', round(coalesce(sum(cl.call_cost), 0), 4))
  FROM campaign_leads cl
 WHERE cl.voice_call_made
$$;

-- The lead context of a "both" campaign's call (campaign lead p_id): the
-- lead's, as a voice campaign's (smscamp_writer_context), for the writer of
-- its script (the workers' script task, psql, as the preview does).
CREATE OR REPLACE FUNCTION smscamp_call_leg_context(p_id bigint) RETURNS jsonb
LANGUAGE plpgsql STABLE AS $$
BEGIN
RETURN (SELECT x.context || smscamp_writer_context(c, true, l.phone)
          FROM campaign_leads cl
          JOIN leads l ON l.id = cl.lead_id
          JOIN campaigns c ON c.id = cl.campaign_id
         CROSS JOIN LATERAL smscamp_build_context(c, l, cl) x
         WHERE cl.id = p_id);
END
$$;

-- psql: the voice_agent node of a campaign lead.  A voice campaign's lead
-- runs the workflow's own nodes, smscamp_generate_sms and smscamp_send_sms
-- (they write the script and place the call when the campaign is a voice
-- one).  A "both" campaign's lead has the call after its SMS: its script is
-- written now (blocking, by the writer the workers use, from the voice
-- prompt) and its call made due now (the workers place it, paced); it
-- answers the call's state.
CREATE OR REPLACE FUNCTION smscamp_call_agent_type(p_id bigint) RETURNS text
LANGUAGE plpgsql STABLE AS $$
DECLARE
    v_type text := (SELECT c.agent_type FROM campaign_leads cl JOIN campaigns c ON c.id = cl.campaign_id
                     WHERE cl.id = p_id);
BEGIN
    IF v_type IS NULL THEN
        RAISE EXCEPTION 'campaign lead % not found', p_id USING ERRCODE = 'no_data_found';
    END IF;
    IF v_type NOT IN ('voice', 'both') THEN
        RAISE EXCEPTION 'campaign lead % is not a lead of a voice or both campaign', p_id
            USING ERRCODE = 'object_not_in_prerequisite_state';
    END IF;
    RETURN v_type;
END
$$;

-- the call of a "both" campaign's lead, for psql
CREATE OR REPLACE FUNCTION smscamp_call_leg_state(p_id bigint) RETURNS jsonb
LANGUAGE sql STABLE AS $$
SELECT jsonb_build_object('id', id, 'call_status', call_status, 'call_due_at', call_due_at,
                          'call_script', call_script, 'call_words', call_words,
                          'call_sid', call_sid, 'voice_call_made', voice_call_made)
  FROM campaign_leads WHERE id = p_id
$$;

CREATE OR REPLACE FUNCTION smscamp_generate_call_script(p_id bigint) RETURNS jsonb
LANGUAGE plpgsql AS $$
DECLARE
    v_written jsonb;
BEGIN
    IF smscamp_call_agent_type(p_id) = 'voice' THEN
        RETURN smscamp_generate_sms(p_id);
    END IF;
    IF NOT EXISTS (SELECT FROM campaign_leads WHERE id = p_id AND call_status = 'scheduled') THEN
        RAISE EXCEPTION 'campaign lead % has no call to write (call_status %)', p_id,
            coalesce((SELECT call_status FROM campaign_leads WHERE id = p_id), 'none: its SMS has not gone')
            USING ERRCODE = 'object_not_in_prerequisite_state';
    END IF;
    v_written := smscamp_preview(smscamp_call_leg_context(p_id));
    IF NOT coalesce((v_written ->> 'ok')::boolean, false) THEN
        RAISE EXCEPTION 'the call script of campaign lead % could not be written: %', p_id,
            v_written ->> 'error' USING ERRCODE = 'object_not_in_prerequisite_state';
    END IF;
    UPDATE campaign_leads SET call_status = 'writing' WHERE id = p_id;
    PERFORM smscamp_record_call_script(jsonb_build_object(
        'id', p_id, 'script', v_written ->> 'message',
        'log', format('Call script written (%s words, %s)', smscamp_words(v_written ->> 'message'),
                      CASE v_written ->> 'writer' WHEN 'llm' THEN v_written ->> 'model'
                           WHEN 'template' THEN 'template' ELSE 'built-in writer' END),
        'meta', jsonb_build_object('writer', v_written ->> 'writer', 'model', v_written ->> 'model',
                                   'manual', true)));
    RETURN smscamp_call_leg_state(p_id);
END
$$;

CREATE OR REPLACE FUNCTION smscamp_place_call(p_id bigint) RETURNS jsonb
LANGUAGE plpgsql AS $$
BEGIN
    IF smscamp_call_agent_type(p_id) = 'voice' THEN
        RETURN smscamp_send_sms(p_id);
    END IF;
    UPDATE campaign_leads SET call_due_at = now() WHERE id = p_id AND call_status = 'scheduled';
    IF NOT FOUND THEN
        RAISE EXCEPTION 'campaign lead % has no call waiting to be placed (call_status %)', p_id,
            coalesce((SELECT call_status FROM campaign_leads WHERE id = p_id), 'none: its SMS has not gone')
            USING ERRCODE = 'object_not_in_prerequisite_state';
    END IF;
    PERFORM smscamp_wake();
    RETURN smscamp_call_leg_state(p_id);
END
$$;

------------------------------------------------------------------------------
-- agent_type both: the call after the SMS
------------------------------------------------------------------------------

-- campaign_leads, after each UPDATE statement: the leads of "both" campaigns
-- whose SMS was just handed to the provider get their call scheduled,
-- call_delay_seconds later, without a script yet (written when it is due:
-- smscamp_claim_calls).
CREATE OR REPLACE FUNCTION smscamp_campaign_leads_call_legs_update() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF NOT EXISTS (SELECT FROM new_rows n JOIN old_rows o ON o.id = n.id
                    WHERE n.sms_sent AND NOT o.sms_sent AND n.call_status IS NULL) THEN
        RETURN NULL;
    END IF;
    UPDATE campaign_leads cl
       SET call_status = 'scheduled',
           call_due_at = now() + make_interval(secs => c.call_delay_seconds)
      FROM new_rows n
      JOIN old_rows o ON o.id = n.id
      JOIN campaigns c ON c.id = n.campaign_id
     WHERE cl.id = n.id AND n.sms_sent AND NOT o.sms_sent AND n.call_status IS NULL
       AND c.agent_type = 'both' AND n.sms_message IS NOT NULL;
    RETURN NULL;
END
$$;

-- (as smscamp_statement_triggers in campaign_stats.sql makes them: this file loads before it)
CREATE OR REPLACE TRIGGER campaign_leads_call_legs_update
    AFTER UPDATE ON campaign_leads REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION smscamp_campaign_leads_call_legs_update();

-- Whether a due call of campaign c (its lead's phone and zone, and when its
-- SMS went) waits or is not placed at all: an opted-out phone, and with
-- call_if_no_reply a lead who answered the SMS, are skipped (logged); a call
-- outside its lead's send window is due when the window opens.  False: it
-- can be worked on now.
CREATE OR REPLACE FUNCTION smscamp_call_leg_held(c campaigns, p_id bigint, p_phone text,
                                                 p_timezone text, p_sms_at timestamptz)
RETURNS boolean
LANGUAGE plpgsql AS $$
DECLARE
    v_opens timestamptz;
BEGIN
    IF EXISTS (SELECT FROM opt_outs o WHERE o.phone = p_phone) THEN
        UPDATE campaign_leads SET call_status = 'skipped', call_claimed_by = NULL WHERE id = p_id;
        PERFORM smscamp_log(p_id, 'info', 'voice_agent', 'Call not placed: the phone opted out', NULL);
        RETURN true;
    END IF;
    IF c.call_if_no_reply
       AND EXISTS (SELECT FROM messages m
                    WHERE m.phone = p_phone AND m.direction = 'inbound' AND m.created_at >= p_sms_at) THEN
        UPDATE campaign_leads SET call_status = 'skipped', call_claimed_by = NULL WHERE id = p_id;
        PERFORM smscamp_log(p_id, 'info', 'voice_agent',
                            'Call not placed: the lead answered the SMS (call_if_no_reply)', NULL);
        RETURN true;
    END IF;
    v_opens := smscamp_window_opens(c.send_window, smscamp_lead_timezone(p_timezone, p_phone));
    IF v_opens > now() THEN
        UPDATE campaign_leads SET call_due_at = v_opens WHERE id = p_id;
        RETURN true;
    END IF;
    RETURN false;
END
$$;

-- Claim the due calls after an SMS for worker p_worker (its pid), up to
-- p_limit tasks, per running "both" campaign (one whose row another worker
-- holds is left to it).  A call is two tasks:
--   script  its script written (the voice_agent's writer, from the campaign's
--           voice prompt: pg_extension/conversation.c), "writing", not paced;
--           recorded by smscamp_record_call_script, due again at once;
--   call    placed, as many as its calls_per_second allows since its last
--           call (call_slot_at; a claim every 250 ms places about a quarter
--           second's calls), "calling"; p_log: the log provider
--           (call_outbox, here).
-- smscamp_call_leg_held first: opt-outs, call_if_no_reply, quiet hours.
-- Returns {"script": [{"id", "context"}], "call": [{"id", "to", "script",
-- "language", "sender"}]}, held by the worker: committed before the requests.
CREATE OR REPLACE FUNCTION smscamp_claim_calls(p_worker integer, p_limit integer, p_log boolean)
RETURNS jsonb
LANGUAGE plpgsql AS $$
DECLARE
    c campaigns;
    r record;
    v_calls jsonb := '[]';
    v_scripts jsonb := '[]';
    v_slot timestamptz;
    v_room integer;
    v_taken integer;
    v_from text := nullif(current_setting('smscamp.sms_from', true), '');
BEGIN
    IF NOT EXISTS (SELECT FROM campaign_leads cl
                    WHERE cl.call_status = 'scheduled' AND cl.call_due_at <= now()) THEN
        RETURN jsonb_build_object('script', v_scripts, 'call', v_calls);
    END IF;
    FOR c IN
        SELECT x.* FROM campaigns x
         WHERE x.status = 'processing' AND x.agent_type = 'both'
           AND EXISTS (SELECT FROM campaign_leads cl
                        WHERE cl.campaign_id = x.id AND cl.call_status = 'scheduled'
                          AND cl.call_due_at <= now())
         ORDER BY x.id
           FOR UPDATE SKIP LOCKED
    LOOP
        EXIT WHEN p_limit <= 0;
        -- the scripts to write
        FOR r IN
            SELECT cl.id, cl.processed_at, l.phone, l.timezone
              FROM campaign_leads cl JOIN leads l ON l.id = cl.lead_id
             WHERE cl.campaign_id = c.id AND cl.call_status = 'scheduled' AND cl.call_due_at <= now()
               AND cl.call_script IS NULL
             ORDER BY cl.call_due_at, cl.id
             LIMIT p_limit
               FOR UPDATE OF cl SKIP LOCKED
        LOOP
            CONTINUE WHEN smscamp_call_leg_held(c, r.id, r.phone, r.timezone, r.processed_at);
            UPDATE campaign_leads SET call_status = 'writing', call_claimed_by = p_worker
             WHERE id = r.id;
            v_scripts := v_scripts || jsonb_build_object('id', r.id,
                                                         'context', smscamp_call_leg_context(r.id));
            p_limit := p_limit - 1;
        END LOOP;
        -- the calls to place
        v_slot := greatest(coalesce(c.call_slot_at, now()),
                           now() - make_interval(secs => 1 / c.calls_per_second));
        v_room := least(p_limit, floor(extract(epoch FROM now() - v_slot) * c.calls_per_second)::integer + 1);
        v_taken := 0;
        FOR r IN
            SELECT cl.id, cl.call_script, cl.processed_at, l.phone, l.timezone, cl.sender_id
              FROM campaign_leads cl JOIN leads l ON l.id = cl.lead_id
             WHERE cl.campaign_id = c.id AND cl.call_status = 'scheduled' AND cl.call_due_at <= now()
               AND cl.call_script IS NOT NULL
             ORDER BY cl.call_due_at, cl.id
             LIMIT greatest(v_room, 0) * 2
               FOR UPDATE OF cl SKIP LOCKED
        LOOP
            EXIT WHEN v_taken >= v_room;
            CONTINUE WHEN smscamp_call_leg_held(c, r.id, r.phone, r.timezone, r.processed_at);
            v_taken := v_taken + 1;
            IF p_log THEN
                WITH box AS (
                    INSERT INTO call_outbox (campaign_lead_id, to_phone, from_phone, script)
                    VALUES (r.id, r.phone,
                            coalesce((SELECT smscamp_sender_address(s) FROM senders s
                                       WHERE s.id = r.sender_id), v_from),
                            r.call_script)
                    RETURNING id)
                UPDATE campaign_leads cl
                   SET call_status = 'logged', voice_call_made = true, call_sid = 'LOG' || box.id,
                       call_attempts = coalesce(cl.call_attempts, 0) + 1
                  FROM box WHERE cl.id = r.id;
                PERFORM smscamp_log(r.id, 'info', 'voice_agent',
                                    'Call recorded in the outbox (log provider)', '{"provider": "log"}');
            ELSE
                UPDATE campaign_leads
                   SET call_status = 'calling', call_claimed_by = p_worker,
                       call_attempts = coalesce(call_attempts, 0) + 1
                 WHERE id = r.id;
                v_calls := v_calls || jsonb_build_object(
                    'id', r.id, 'to', r.phone, 'script', r.call_script,
                    'language', smscamp_call_language(r.phone),
                    'sender', smscamp_sender_context(r.sender_id));
            END IF;
        END LOOP;
        IF v_taken > 0 THEN
            UPDATE campaigns
               SET call_slot_at = v_slot + make_interval(secs => v_taken / c.calls_per_second)
             WHERE id = c.id;
        END IF;
        p_limit := p_limit - v_taken;
    END LOOP;
    RETURN jsonb_build_object('script', v_scripts, 'call', v_calls);
END
$$;

-- A call's script as a worker wrote it: {"id", "script", "log" (what the
-- processing log says), "meta" (the writer, its tokens and seconds)}, or
-- {"id", "error", "retryable", "retry_after"}.  Only a call still "writing"
-- changes.  Written: due again at once (placed as its pace allows).  Not
-- written: a model that could not be reached is asked again with the SMS's
-- backoff, up to smscamp.max_attempts; after that, or when the answer is
-- final, the call says the SMS instead (smscamp_call_script), with a
-- warning in the log.
CREATE OR REPLACE FUNCTION smscamp_record_call_script(p_item jsonb) RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
    v_id bigint := (p_item ->> 'id')::bigint;
    v_max integer := coalesce(nullif(current_setting('smscamp.max_attempts', true), '')::integer, 5);
    v_script text := nullif(btrim(p_item ->> 'script'), '');
    v_error text := coalesce(p_item ->> 'error', 'the script could not be written');
    cl campaign_leads;
BEGIN
    SELECT * INTO cl FROM campaign_leads WHERE id = v_id AND call_status = 'writing' FOR UPDATE;
    IF NOT FOUND THEN
        RETURN;
    END IF;
    IF v_script IS NULL AND coalesce((p_item ->> 'retryable')::boolean, false)
       AND coalesce(cl.call_attempts, 0) + 1 < v_max THEN
        UPDATE campaign_leads
           SET call_status = 'scheduled', call_claimed_by = NULL,
               call_attempts = coalesce(call_attempts, 0) + 1,
               call_due_at = now() + smscamp_backoff(coalesce(cl.call_attempts, 0),
                                                     nullif(p_item ->> 'retry_after', '')::integer)
         WHERE id = v_id;
        PERFORM smscamp_log(v_id, 'warning', 'voice_agent',
                            'Call script not written yet: ' || v_error || ' (asked again later)', NULL);
        RETURN;
    END IF;
    IF v_script IS NULL THEN
        v_script := smscamp_call_script(cl.sms_message);
        PERFORM smscamp_log(v_id, 'warning', 'voice_agent',
                            'Call script not written (' || v_error || '): the call says the SMS instead',
                            NULL);
    ELSE
        PERFORM smscamp_log(v_id, 'info', 'voice_agent',
                            coalesce(p_item ->> 'log', 'Call script written'), p_item -> 'meta');
    END IF;
    UPDATE campaign_leads
       SET call_status = 'scheduled', call_claimed_by = NULL, call_attempts = NULL,
           call_script = v_script, call_words = smscamp_words(v_script)
     WHERE id = v_id;
END
$$;

-- A call after an SMS, as the provider answered: {"id", "outcome" (sent |
-- failed | retry | unknown), "sid", "pstatus", "price", "error",
-- "retry_after"}.  Only a call still "calling" changes; a retry is scheduled
-- again with the SMS's backoff, up to smscamp.max_attempts.
CREATE OR REPLACE FUNCTION smscamp_record_call_leg(p_item jsonb) RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
    v_id bigint := (p_item ->> 'id')::bigint;
    v_outcome text := p_item ->> 'outcome';
    v_max integer := coalesce(nullif(current_setting('smscamp.max_attempts', true), '')::integer, 5);
    cl campaign_leads;
BEGIN
    SELECT * INTO cl FROM campaign_leads WHERE id = v_id AND call_status = 'calling' FOR UPDATE;
    IF NOT FOUND THEN
        RETURN;
    END IF;
    IF v_outcome = 'retry' AND coalesce(cl.call_attempts, 0) >= v_max THEN
        v_outcome := 'failed';
    END IF;
    UPDATE campaign_leads SET
        call_claimed_by = NULL,
        call_status = CASE v_outcome
                          WHEN 'sent' THEN coalesce(smscamp_call_status(p_item ->> 'pstatus'), 'queued')
                          WHEN 'retry' THEN 'scheduled' WHEN 'unknown' THEN 'unknown'
                          ELSE 'failed' END,
        voice_call_made = (v_outcome = 'sent'),
        call_sid = CASE WHEN v_outcome = 'sent' THEN nullif(p_item ->> 'sid', '') END,
        call_cost = CASE WHEN p_item ->> 'price' ~ '^-?[0-9]+(\.[0-9]+)?$'
                         THEN abs((p_item ->> 'price')::numeric) END,
        call_due_at = CASE WHEN v_outcome = 'retry'
                           THEN now() + smscamp_backoff(coalesce(cl.call_attempts, 0),
                                                        nullif(p_item ->> 'retry_after', '')::integer)
                           ELSE call_due_at END
     WHERE id = v_id;
    PERFORM smscamp_log(v_id, CASE WHEN v_outcome = 'sent' THEN 'info' ELSE 'error' END, 'voice_agent',
                        CASE WHEN v_outcome = 'sent' THEN 'Call accepted by the provider'
                             ELSE coalesce(p_item ->> 'error', 'Call ' || v_outcome) END,
                        jsonb_strip_nulls(jsonb_build_object('sid', p_item ->> 'sid',
                                                             'outcome', v_outcome)));
END
$$;

-- Housekeeping: calls after an SMS held by workers that are gone (p_live:
-- the live workers' pids).  One left calling may have been placed: unknown,
-- never placed again; one whose script was being written is due again.
CREATE OR REPLACE FUNCTION smscamp_recover_calls(p_live integer[]) RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
    -- a script being written: nothing was placed, it is written again
    UPDATE campaign_leads SET call_status = 'scheduled', call_claimed_by = NULL
     WHERE call_status = 'writing' AND call_claimed_by IS NOT NULL
       AND call_claimed_by <> ALL (p_live);
    UPDATE campaign_leads SET call_status = 'unknown', call_claimed_by = NULL
     WHERE call_status = 'calling' AND call_claimed_by IS NOT NULL
       AND call_claimed_by <> ALL (p_live);
END
$$;
