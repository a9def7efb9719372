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
    WHEN 'calling' THEN 0 WHEN 'unknown' THEN 0 WHEN 'logged' THEN 1 WHEN 'queued' THEN 1
    WHEN 'initiated' THEN 2 WHEN 'ringing' THEN 3 WHEN 'in-progress' THEN 4
    WHEN 'completed' THEN 5 WHEN 'busy' THEN 5 WHEN 'no-answer' THEN 5 WHEN 'failed' THEN 5
    WHEN 'canceled' THEN 5 END;

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
    v_new := CASE WHEN v_forward THEN smscamp_call_lead_status(cl.status, v_state) END;
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
     WHERE cl.campaign_id = c.id AND cl.voice_call_made) END
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
