-- Outbound messages besides the campaigns' own sends: the replies a person
-- writes (kind reply) and the reply agent's (kind auto), sent by the workers
-- (pg_extension/conversation.c) with the campaigns' at-most-once rule.
--
--   queue      smscamp_queue_reply: a message of a lead's thread, queued (or a
--              draft): 409 when the lead opted out, 422 when the body is empty
--              or longer than smscamp.max_segments
--   claim      smscamp_claim_outbound, in a worker's transaction: the queued
--              messages that are due.  An opted-out phone's message fails;
--              one held by quiet hours waits (send_after); the log provider
--              sends in the claim (sms_outbox); otherwise the message is
--              marked sending, claimed_by the worker, and committed before
--              the provider call
--   record     smscamp_record_outbound: the provider's answers (sent, failed,
--              retry with backoff, unknown: never resent)
--   recovery   smscamp_recover_outbound (housekeeping): a message left
--              sending by a worker that is gone becomes unknown
--
-- An opted-out phone gets nothing but its opt-out's one confirmation
-- (sql/keywords.sql).  Quiet hours hold everything except a keyword's answer
-- and a direct reply: a message to a phone that wrote in the last 24 hours
-- goes at once.  The window is the one of the
-- lead's last campaign (08:00-21:00 when none), in the phone's time zone.

-- The body's problems for a reply (NULL when fine): empty, or more SMS
-- segments than smscamp.max_segments.
CREATE OR REPLACE FUNCTION smscamp_reply_body_problem(p_body text) RETURNS jsonb
LANGUAGE plpgsql STABLE AS $$
DECLARE
    v_max integer := coalesce(nullif(current_setting('smscamp.max_segments', true), '')::integer, 2);
    v_segments integer;
BEGIN
    IF p_body IS NULL OR btrim(p_body, E' \t\r\n\f\x0B') = '' THEN
        RETURN api_error_item('["body","body"]', 'The message is empty', 'value_error');
    END IF;
    IF char_length(p_body) > 1600 THEN
        RETURN api_error_item('["body","body"]', 'String should have at most 1600 characters',
                              'string_too_long', '{"max_length":1600}');
    END IF;
    v_segments := smscamp_sms_segments(p_body);
    IF v_segments > v_max THEN
        RETURN api_error_item('["body","body"]',
            format('The message is %s SMS segments; at most %s are allowed (smscamp.max_segments)',
                   v_segments, v_max),
            'value_error', jsonb_build_object('segments', v_segments, 'max_segments', v_max));
    END IF;
    RETURN NULL;
END
$$;

-- Raise the API's 409 when p_phone opted out (p_opted_out: the detail) and its
-- 422 when p_body cannot be sent (smscamp_reply_body_problem): a reply queued,
-- a draft approved.
CREATE OR REPLACE FUNCTION smscamp_refuse_unsendable(p_phone text, p_body text,
                                                     p_opted_out text)
RETURNS void
LANGUAGE plpgsql STABLE AS $$
DECLARE
    v_problem jsonb;
BEGIN
    IF EXISTS (SELECT FROM opt_outs o WHERE o.phone = p_phone) THEN
        PERFORM api_error(409, to_jsonb(p_opted_out));
    END IF;
    v_problem := smscamp_reply_body_problem(p_body);
    IF v_problem IS NOT NULL THEN
        PERFORM api_validation_error(jsonb_build_array(v_problem));
    END IF;
END
$$;

-- The campaign a new message to a lead belongs to: the one of its last
-- campaign message (NULL when none).
CREATE OR REPLACE FUNCTION smscamp_lead_last_campaign_message(p_phone text)
RETURNS TABLE (campaign_id bigint, campaign_lead_id bigint)
LANGUAGE sql STABLE AS $$
    SELECT m.campaign_id, m.campaign_lead_id FROM messages m
     WHERE m.phone = p_phone AND m.campaign_lead_id IS NOT NULL
     ORDER BY m.id DESC LIMIT 1
$$;

-- Insert an outbound message to p_phone (of lead p_lead_id, NULL for a number
-- that is no lead) in the thread of its last campaign message, and wake the
-- workers when it is queued.  An automatic answer (kind auto) answers its
-- p_reply_to once (messages_auto_reply_key): returns NULL when it has one.
CREATE OR REPLACE FUNCTION smscamp_insert_outbound(p_lead_id bigint, p_phone text, p_body text,
                                                   p_kind text, p_status text,
                                                   p_reply_to bigint, p_sent_by text,
                                                   p_purpose text DEFAULT NULL)
RETURNS messages
LANGUAGE plpgsql AS $$
DECLARE
    last record;
    m messages;
BEGIN
    SELECT * INTO last FROM smscamp_lead_last_campaign_message(p_phone);
    INSERT INTO messages (lead_id, campaign_id, campaign_lead_id, phone, direction, body, kind,
                          status, reply_to_id, segments, cost, sent_by, purpose)
    VALUES (p_lead_id, last.campaign_id, last.campaign_lead_id, p_phone, 'outbound', p_body,
            p_kind, p_status, p_reply_to, smscamp_sms_segments(p_body), smscamp_sms_cost(p_body),
            p_sent_by, p_purpose)
    ON CONFLICT (reply_to_id) WHERE kind = 'auto' AND reply_to_id IS NOT NULL DO NOTHING
    RETURNING * INTO m;
    IF m.id IS NOT NULL AND p_status = 'queued' THEN
        PERFORM smscamp_wake();
    END IF;
    RETURN m;
END
$$;

-- Queue a message of a lead's thread (p_status queued, or draft for the reply
-- agent's suggestions) and wake the workers.  Raises the API's 404 (no such
-- lead), 409 (opted out) and 422 (the body).
CREATE OR REPLACE FUNCTION smscamp_queue_reply(p_lead_id bigint, p_body text,
                                               p_kind text DEFAULT 'reply',
                                               p_reply_to bigint DEFAULT NULL,
                                               p_status text DEFAULT 'queued',
                                               p_sent_by text DEFAULT NULL)
RETURNS messages
LANGUAGE plpgsql AS $$
DECLARE
    l leads;
BEGIN
    SELECT * INTO l FROM leads WHERE id = p_lead_id;
    IF NOT FOUND THEN
        PERFORM api_not_found('Lead', p_lead_id);
    END IF;
    PERFORM smscamp_refuse_unsendable(l.phone, p_body, format(
        'Lead %s opted out: nothing more is sent to %s', l.id, l.phone));
    RETURN smscamp_insert_outbound(l.id, l.phone, p_body, p_kind, p_status, p_reply_to,
                                   p_sent_by);
END
$$;

-- When a queued message to p_phone may go: now for a direct reply (the phone
-- wrote in the last 24 hours), else when the send window opens.
CREATE OR REPLACE FUNCTION smscamp_outbound_opens(p_phone text, p_campaign_id bigint)
RETURNS timestamptz
LANGUAGE sql STABLE AS $$
    SELECT CASE
        WHEN EXISTS (SELECT FROM messages i
                      WHERE i.phone = p_phone AND i.direction = 'inbound'
                        AND i.created_at > now() - interval '24 hours')
        THEN now()
        ELSE smscamp_window_opens(
                 coalesce((SELECT c.send_window FROM campaigns c WHERE c.id = p_campaign_id),
                          CASE WHEN p_campaign_id IS NULL THEN '08:00-21:00' END),
                 smscamp_lead_timezone((SELECT l.timezone FROM leads l
                                         WHERE l.phone = p_phone), p_phone))
    END
$$;

-- Claim up to p_limit queued messages that are due, for worker p_worker (its
-- pid).  p_log: the log provider (sent here, into sms_outbox).  Each goes from
-- the sender of its thread (sql/senders.sql: the number the lead last heard
-- from or wrote to, of its campaign's pool, else of every active sender; none:
-- smscamp.sms_from).  Returns the messages to hand to the provider: [{"id",
-- "to", "body", "sender"}], id order.
CREATE OR REPLACE FUNCTION smscamp_claim_outbound(p_worker integer, p_limit integer,
                                                  p_log boolean)
RETURNS jsonb
LANGUAGE plpgsql AS $$
DECLARE
    r record;
    v_tasks jsonb := '[]';
    v_default_from text := nullif(current_setting('smscamp.sms_from', true), '');
    v_sender bigint;
    v_from text;
BEGIN
    FOR r IN
        SELECT m.id, m.phone, m.body, m.campaign_lead_id, m.purpose, m.campaign_id,
               o.phone IS NOT NULL AS opted_out,
               -- a keyword's answer is never held (sql/keywords.sql)
               CASE WHEN m.purpose IS NULL
                    THEN smscamp_outbound_opens(m.phone, m.campaign_id) END AS opens_at
          FROM messages m
          LEFT JOIN opt_outs o ON o.phone = m.phone
         WHERE m.status = 'queued' AND (m.send_after IS NULL OR m.send_after <= now())
         ORDER BY m.send_after NULLS FIRST, m.id
         LIMIT p_limit
           FOR UPDATE OF m SKIP LOCKED
    LOOP
        IF r.opted_out AND r.purpose IS DISTINCT FROM 'opt_out_confirmation' THEN
            UPDATE messages SET status = 'failed', error = 'The phone opted out: not sent'
             WHERE id = r.id;
            CONTINUE;
        ELSIF r.opens_at > now() THEN
            UPDATE messages SET send_after = r.opens_at WHERE id = r.id;
            CONTINUE;
        END IF;
        v_sender := smscamp_pick_sender(
            smscamp_sender_pool((SELECT c.sender_ids FROM campaigns c WHERE c.id = r.campaign_id)),
            r.phone);
        IF v_sender IS NULL AND r.campaign_id IS NOT NULL THEN
            v_sender := smscamp_pick_sender(smscamp_sender_pool(NULL), r.phone);
        END IF;
        v_from := coalesce((SELECT smscamp_sender_address(s) FROM senders s WHERE s.id = v_sender),
                           v_default_from);
        IF p_log THEN
            INSERT INTO sms_outbox (campaign_lead_id, to_phone, from_phone, body, segments)
            VALUES (r.campaign_lead_id, r.phone, v_from, r.body, smscamp_sms_segments(r.body));
            UPDATE messages SET status = 'sent', sent_at = now(), attempts = attempts + 1,
                                send_after = NULL, sender_id = v_sender, from_phone = v_from
             WHERE id = r.id;
        ELSE
            UPDATE messages SET status = 'sending', claimed_by = p_worker,
                                attempts = attempts + 1, send_after = NULL,
                                sender_id = v_sender, from_phone = v_from
             WHERE id = r.id;
            v_tasks := v_tasks || jsonb_build_object('id', r.id, 'to', r.phone, 'body', r.body,
                                                     'sender', smscamp_sender_context(v_sender));
        END IF;
    END LOOP;
    RETURN v_tasks;
END
$$;

-- The provider's answer for one claimed message: {"id", "outcome" (sent |
-- failed | retry | unknown), "sid", "pstatus", "nseg", "price", "error",
-- "retry_after"}.  Only a message still sending changes.
CREATE OR REPLACE FUNCTION smscamp_record_outbound(p_item jsonb) RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
    v_id bigint := (p_item ->> 'id')::bigint;
    v_outcome text := p_item ->> 'outcome';
    v_max integer := coalesce(nullif(current_setting('smscamp.max_attempts', true), '')::integer, 5);
    v_retry_after integer := nullif(p_item ->> 'retry_after', '')::integer;
    m messages;
BEGIN
    SELECT * INTO m FROM messages WHERE id = v_id AND status = 'sending' FOR UPDATE;
    IF NOT FOUND THEN
        RETURN;
    END IF;
    IF v_outcome = 'retry' AND m.attempts >= v_max THEN
        v_outcome := 'failed';
    END IF;
    UPDATE messages SET
        status = CASE v_outcome WHEN 'retry' THEN 'queued' ELSE v_outcome END,
        claimed_by = NULL,
        provider_sid = CASE WHEN v_outcome = 'sent' THEN nullif(p_item ->> 'sid', '')
                            ELSE provider_sid END,
        sent_at = CASE WHEN v_outcome = 'sent' THEN now() ELSE sent_at END,
        segments = coalesce(nullif((p_item ->> 'nseg')::integer, 0), segments),
        cost = CASE WHEN v_outcome = 'sent' AND p_item ->> 'price' ~ '^-?[0-9]+(\.[0-9]+)?$'
                    THEN abs((p_item ->> 'price')::numeric) ELSE cost END,
        send_after = CASE WHEN v_outcome = 'retry'
                          THEN now() + make_interval(secs => coalesce(
                                   greatest(v_retry_after, 1), power(2, m.attempts)::integer))
                     END,
        error = CASE WHEN v_outcome = 'sent' THEN NULL ELSE p_item ->> 'error' END,
        error_code = CASE WHEN v_outcome = 'failed'
                          THEN smscamp_error_code(p_item ->> 'error_code') END
     WHERE id = v_id;
    IF v_outcome = 'failed' THEN
        PERFORM smscamp_provider_error(m.phone, smscamp_error_code(p_item ->> 'error_code'));
    END IF;
END
$$;

-- Housekeeping: messages held by workers that are gone (p_live: the live
-- workers' pids).  One left sending may have reached the provider: unknown,
-- never resent.
CREATE OR REPLACE FUNCTION smscamp_recover_outbound(p_live integer[]) RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
    UPDATE messages
       SET status = 'unknown', claimed_by = NULL,
           error = 'The worker stopped while sending: the SMS may have been sent, '
                   || 'so it is not resent automatically'
     WHERE claimed_by IS NOT NULL AND status = 'sending' AND claimed_by <> ALL (p_live);
    -- the reply agent's model calls of a gone worker: to be made again
    UPDATE messages SET claimed_by = NULL
     WHERE claimed_by IS NOT NULL AND direction = 'inbound' AND claimed_by <> ALL (p_live);
END
$$;

-- The status a sent message takes on a delivery callback reporting p_state,
-- NULL when it keeps its own: only a sent or unknown message moves, and only
-- forward (delivered, undelivered, failed; an unknown one the provider has is
-- sent).  Campaign leads (api/webhooks.sql) and replies alike.
CREATE OR REPLACE FUNCTION smscamp_status_after_callback(p_current text, p_state text)
RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE
RETURN CASE
    WHEN p_current NOT IN ('sent', 'unknown') THEN NULL
    WHEN p_state IN ('delivered', 'undelivered', 'failed') THEN p_state
    WHEN p_state IN ('accepted', 'queued', 'sending', 'sent', 'scheduled')
         AND p_current = 'unknown' THEN 'sent'
END;

-- A status callback for a message that is not a campaign's send: its status
-- follows (delivered, undelivered, failed; an unknown one the provider has
-- is sent).  Returns the message id, NULL when no message has that SID.
CREATE OR REPLACE FUNCTION smscamp_outbound_status(p_sid text, p_state text, p_code text)
RETURNS bigint
LANGUAGE plpgsql AS $$
DECLARE
    m messages;
    v_new text;
BEGIN
    SELECT * INTO m FROM messages
     WHERE provider_sid = p_sid AND direction = 'outbound' AND kind <> 'campaign' FOR UPDATE;
    IF NOT FOUND THEN
        RETURN NULL;
    END IF;
    v_new := smscamp_status_after_callback(m.status, p_state);
    IF v_new IS NOT NULL THEN
        UPDATE messages SET status = v_new,
               error = CASE WHEN v_new IN ('undelivered', 'failed')
                            THEN smscamp_delivery_error(v_new, smscamp_error_code(p_code)) END,
               error_code = CASE WHEN v_new IN ('undelivered', 'failed')
                                 THEN smscamp_error_code(p_code) END
         WHERE id = m.id;
        IF v_new IN ('undelivered', 'failed') THEN
            PERFORM smscamp_provider_error(m.phone, smscamp_error_code(p_code));
        END IF;
    END IF;
    RETURN m.id;
END
$$;
