-- Calls: a voice campaign's (agent_type voice) campaign leads are called
-- instead of texted.  The workers run the same graph: validate_lead, the
-- script written (pg_extension/script.c: the word limit, the call's opt-out
-- line), "sending" with call_status calling committed before the Calls
-- request, the provider's answer recorded by smscamp_record_batch
-- (workflow.sql).  Here:
--   the words          smscamp_words, smscamp_call_language (the <Say> language)
--   call statuses      Twilio's CallStatus, forward only (smscamp_call_status_after),
--                      and what each makes of the campaign lead: completed
--                      delivered; busy, no-answer, failed, canceled undelivered
--   the callback       smscamp_record_call_status (POST /api/webhooks/voice/status)
--   the figures        smscamp_campaign_calls (a campaign's), smscamp_calls_totals
--                      (the dashboard's)
--   psql               smscamp_generate_call_script(cl), smscamp_place_call(cl)
--   agent_type both    the call after the SMS: scheduled when the SMS is handed to
--                      the provider (a trigger on campaign_leads), call_delay_seconds
--                      later; claimed by the workers' conversation tasks
--                      (smscamp_claim_calls: calls_per_second, quiet hours, opt-outs,
--                      call_if_no_reply), "calling" committed before the request,
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
    WHEN 'scheduled' THEN 0 WHEN 'calling' THEN 0 WHEN 'unknown' THEN 0
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
-- would retry).
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
             WHERE cl.campaign_id = c.id AND cl.call_status IN ('scheduled', 'calling')) ELSE 0 END)
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

-- psql: the nodes of a voice campaign's lead by their voice names (the
-- workflow's own nodes, smscamp_generate_sms and smscamp_send_sms, write the
-- script and place the call when the campaign is a voice one).
CREATE OR REPLACE FUNCTION smscamp_voice_lead_check(p_id bigint) RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
    IF NOT EXISTS (SELECT FROM campaign_leads cl JOIN campaigns c ON c.id = cl.campaign_id
                    WHERE cl.id = p_id AND c.agent_type = 'voice') THEN
        RAISE EXCEPTION 'campaign lead % is not a lead of a voice campaign', p_id
            USING ERRCODE = 'object_not_in_prerequisite_state';
    END IF;
END
$$;

CREATE OR REPLACE FUNCTION smscamp_generate_call_script(p_id bigint) RETURNS jsonb
LANGUAGE plpgsql AS $$
BEGIN
    PERFORM smscamp_voice_lead_check(p_id);
    RETURN smscamp_generate_sms(p_id);
END
$$;

CREATE OR REPLACE FUNCTION smscamp_place_call(p_id bigint) RETURNS jsonb
LANGUAGE plpgsql AS $$
BEGIN
    PERFORM smscamp_voice_lead_check(p_id);
    RETURN smscamp_send_sms(p_id);
END
$$;

------------------------------------------------------------------------------
-- agent_type both: the call after the SMS
------------------------------------------------------------------------------

-- campaign_leads, after each UPDATE statement: the leads of "both" campaigns
-- whose SMS was just handed to the provider get their call scheduled,
-- call_delay_seconds later, its script the SMS as spoken (smscamp_call_script).
CREATE OR REPLACE FUNCTION smscamp_campaign_leads_call_legs_update() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF NOT EXISTS (SELECT FROM new_rows n JOIN old_rows o ON o.id = n.id
                    WHERE n.sms_sent AND NOT o.sms_sent AND n.call_status IS NULL) THEN
        RETURN NULL;
    END IF;
    UPDATE campaign_leads cl
       SET call_status = 'scheduled',
           call_due_at = now() + make_interval(secs => c.call_delay_seconds),
           call_script = smscamp_call_script(cl.sms_message),
           call_words = smscamp_words(smscamp_call_script(cl.sms_message))
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

-- Claim the due calls after an SMS for worker p_worker (its pid), up to
-- p_limit: per running "both" campaign (one whose row another worker holds is
-- left to it), as many as its calls_per_second allows since its last call
-- (call_slot_at; a claim every 250 ms places about a quarter second's calls).
-- A call outside its lead's send window waits for it; an opted-out phone, and
-- with call_if_no_reply a lead who answered the SMS, are not called (skipped).
-- p_log: the log provider (call_outbox, here).  Returns the calls to place:
-- [{"id", "to", "script", "language", "sender"}], marked "calling" and held by
-- the worker: committed before the requests.
CREATE OR REPLACE FUNCTION smscamp_claim_calls(p_worker integer, p_limit integer, p_log boolean)
RETURNS jsonb
LANGUAGE plpgsql AS $$
DECLARE
    c record;
    r record;
    v_tasks jsonb := '[]';
    v_slot timestamptz;
    v_room integer;
    v_taken integer;
    v_opens timestamptz;
    v_from text := nullif(current_setting('smscamp.sms_from', true), '');
BEGIN
    IF NOT EXISTS (SELECT FROM campaign_leads cl
                    WHERE cl.call_status = 'scheduled' AND cl.call_due_at <= now()) THEN
        RETURN v_tasks;
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
        v_slot := greatest(coalesce(c.call_slot_at, now()),
                           now() - make_interval(secs => 1 / c.calls_per_second));
        v_room := least(p_limit, floor(extract(epoch FROM now() - v_slot) * c.calls_per_second)::integer + 1);
        v_taken := 0;
        FOR r IN
            SELECT cl.id, cl.call_script, cl.processed_at, l.phone, l.timezone, cl.sender_id
              FROM campaign_leads cl JOIN leads l ON l.id = cl.lead_id
             WHERE cl.campaign_id = c.id AND cl.call_status = 'scheduled' AND cl.call_due_at <= now()
             ORDER BY cl.call_due_at
             LIMIT greatest(v_room, 0) * 2
               FOR UPDATE OF cl SKIP LOCKED
        LOOP
            EXIT WHEN v_taken >= v_room;
            v_opens := smscamp_window_opens(c.send_window, smscamp_lead_timezone(r.timezone, r.phone));
            IF EXISTS (SELECT FROM opt_outs o WHERE o.phone = r.phone) THEN
                UPDATE campaign_leads SET call_status = 'skipped' WHERE id = r.id;
                PERFORM smscamp_log(r.id, 'info', 'voice_agent', 'Call not placed: the phone opted out', NULL);
            ELSIF c.call_if_no_reply
                  AND EXISTS (SELECT FROM messages m
                               WHERE m.phone = r.phone AND m.direction = 'inbound'
                                 AND m.created_at >= r.processed_at) THEN
                UPDATE campaign_leads SET call_status = 'skipped' WHERE id = r.id;
                PERFORM smscamp_log(r.id, 'info', 'voice_agent',
                                    'Call not placed: the lead answered the SMS (call_if_no_reply)', NULL);
            ELSIF v_opens > now() THEN
                UPDATE campaign_leads SET call_due_at = v_opens WHERE id = r.id;
            ELSIF p_log THEN
                v_taken := v_taken + 1;
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
                v_taken := v_taken + 1;
                UPDATE campaign_leads
                   SET call_status = 'calling', call_claimed_by = p_worker,
                       call_attempts = coalesce(call_attempts, 0) + 1
                 WHERE id = r.id;
                v_tasks := v_tasks || jsonb_build_object(
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
    RETURN v_tasks;
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
-- never placed again.
CREATE OR REPLACE FUNCTION smscamp_recover_calls(p_live integer[]) RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
    UPDATE campaign_leads SET call_status = 'unknown', call_claimed_by = NULL
     WHERE call_status = 'calling' AND call_claimed_by IS NOT NULL
       AND call_claimed_by <> ALL (p_live);
END
$$;
