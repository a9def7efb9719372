-- Provider status callbacks: an SMS's delivery (POST /api/webhooks/sms/status)
-- and, when one comes before its SID is recorded, keeping it for later.
--   smscamp_record_sms_status    an SMS status callback applied: a campaign
--                                lead's, else a reply's (sql/outbound.sql)
--   early callbacks              Twilio may call back within milliseconds of
--                                accepting a request, before the worker has
--                                committed the SID it answered.  A callback
--                                that matches nothing while a send or a call
--                                is in flight is kept (early_callbacks,
--                                schema.sql); the workers' housekeeping
--                                applies it once its SID is recorded
--                                (smscamp_apply_early_callbacks), or drops it
--                                after 10 minutes.
-- A call's status callback: smscamp_record_call_status (sql/calls.sql).

SET client_min_messages = warning;

-- An SMS status callback (Twilio's MessageSid, MessageStatus, ErrorCode: f,
-- the form as JSON):
--   delivered              -> delivered, delivered_at
--   undelivered / failed   -> undelivered / failed, error_message and error_code
--                             from ErrorCode, which is acted on
--                             (smscamp_delivery_error_effects: 21610 an opt-out,
--                             30007 counted towards max_filtered)
--   queued/accepted/sending/sent on an 'unknown' lead -> sent (the provider
--                             has it: the send went through)
-- Only a lead that is sent or unknown changes status (a late or repeated
-- callback never moves a lead backwards); every matched callback is logged.
-- Answers {"matched", "campaign_lead_id", "status", "provider_status"}, or for
-- a reply {"matched", "message_id"}.
CREATE OR REPLACE FUNCTION smscamp_record_sms_status(f jsonb) RETURNS jsonb
LANGUAGE plpgsql AS $$
DECLARE
    v_sid text := api_form_required(f, 'MessageSid', 'SmsSid');
    v_state text := lower(api_form_required(f, 'MessageStatus', 'SmsStatus'));
    v_code text := api_form_required(f, 'ErrorCode');
    cl campaign_leads;
    v_new text;
    v_error text;
    v_message bigint;
BEGIN
    SELECT * INTO cl FROM campaign_leads WHERE sms_sid = v_sid ORDER BY id LIMIT 1 FOR UPDATE;
    IF NOT FOUND THEN
        -- a reply's (sql/outbound.sql), or one whose SID is not recorded yet
        v_message := smscamp_outbound_status(v_sid, v_state, v_code);
        IF v_message IS NULL THEN
            PERFORM smscamp_keep_early_callback('sms', v_sid, f);
        END IF;
        RETURN jsonb_strip_nulls(jsonb_build_object('matched', v_message IS NOT NULL,
                                                    'message_id', v_message));
    END IF;

    v_new := smscamp_status_after_callback(cl.status, v_state);
    IF v_state IN ('undelivered', 'failed') THEN
        v_error := smscamp_delivery_error(v_state, smscamp_error_code(v_code));
    END IF;

    IF v_new IS NOT NULL THEN
        UPDATE campaign_leads SET
            status = v_new,
            sms_sent = sms_sent OR v_new IN ('sent', 'delivered', 'undelivered'),
            sms_provider_status = v_state,
            delivered_at = CASE WHEN v_new = 'delivered' THEN now() ELSE delivered_at END,
            error_message = CASE WHEN v_new IN ('undelivered', 'failed') THEN v_error
                                 WHEN cl.status = 'unknown' THEN NULL
                                 ELSE error_message END,
            error_code = CASE WHEN v_new IN ('undelivered', 'failed')
                              THEN smscamp_error_code(v_code) ELSE error_code END,
            processed_at = coalesce(processed_at, now())
         WHERE id = cl.id
        RETURNING * INTO cl;
        IF v_new IN ('undelivered', 'failed') AND smscamp_error_code(v_code) IS NOT NULL THEN
            PERFORM smscamp_delivery_error_effects(
                cl, coalesce((SELECT l.phone FROM leads l WHERE l.id = cl.lead_id), cl.lead_phone),
                smscamp_error_code(v_code));
        END IF;
    ELSIF cl.status IN ('sent', 'unknown') THEN
        UPDATE campaign_leads SET sms_provider_status = v_state WHERE id = cl.id
        RETURNING * INTO cl;
    END IF;

    PERFORM smscamp_log(cl.id,
        CASE WHEN v_state IN ('undelivered', 'failed') THEN 'warning' ELSE 'info' END,
        'status_callback',
        format('Provider status: %s%s', v_state, ' (error code ' || v_code || ')'),
        jsonb_strip_nulls(jsonb_build_object('sid', v_sid, 'provider_status', v_state,
                                             'error_code', v_code, 'status', cl.status,
                                             'applied', v_new IS NOT NULL)));
    RETURN jsonb_build_object('matched', true, 'campaign_lead_id', cl.id, 'status', cl.status,
                              'provider_status', v_state);
END
$$;

-- A callback (p_kind sms | call) whose SID p_sid nobody has: kept when a send
-- or a call is in flight (its SID may be committed in a moment), at most
-- 10,000 of them; else dropped (nothing we sent, or long gone).
CREATE OR REPLACE FUNCTION smscamp_keep_early_callback(p_kind text, p_sid text, f jsonb)
RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
    IF p_sid IS NULL OR char_length(p_sid) > 64 THEN
        RETURN;
    END IF;
    IF NOT (EXISTS (SELECT FROM campaign_leads WHERE status = 'sending')
            OR EXISTS (SELECT FROM campaign_leads WHERE call_status = 'calling')
            OR EXISTS (SELECT FROM messages WHERE claimed_by IS NOT NULL AND status = 'sending')) THEN
        RETURN;
    END IF;
    IF (SELECT count(*) FROM (SELECT FROM early_callbacks LIMIT 10000) x) >= 10000 THEN
        RETURN;
    END IF;
    INSERT INTO early_callbacks (kind, sid, form) VALUES (p_kind, p_sid, f);
END
$$;

-- Housekeeping: the kept callbacks whose SID is now recorded, applied in the
-- order they came (a status only moves forward); those older than 10 minutes
-- dropped.  Returns how many were applied.
CREATE OR REPLACE FUNCTION smscamp_apply_early_callbacks() RETURNS integer
LANGUAGE plpgsql AS $$
DECLARE
    r early_callbacks;
    n integer := 0;
BEGIN
    FOR r IN
        SELECT e.* FROM early_callbacks e
         WHERE CASE e.kind
                   WHEN 'call' THEN EXISTS (SELECT FROM campaign_leads cl WHERE cl.call_sid = e.sid)
                   ELSE EXISTS (SELECT FROM campaign_leads cl WHERE cl.sms_sid = e.sid)
                        OR EXISTS (SELECT FROM messages m
                                    WHERE m.provider_sid = e.sid AND m.direction = 'outbound')
               END
         ORDER BY e.id
           FOR UPDATE SKIP LOCKED
    LOOP
        IF r.kind = 'call' THEN
            PERFORM smscamp_record_call_status(r.form);
        ELSE
            PERFORM smscamp_record_sms_status(r.form);
        END IF;
        DELETE FROM early_callbacks WHERE id = r.id;
        n := n + 1;
    END LOOP;
    DELETE FROM early_callbacks WHERE received_at < now() - interval '10 minutes';
    RETURN n;
END
$$;
