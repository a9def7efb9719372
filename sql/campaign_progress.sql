-- smscamp campaign progress: a campaign as the API and psql show it (its
-- counters, in-flight leads, send rate, why it waits, and its JSON), read from
-- the counters campaign_stats.sql keeps, never by counting campaign_leads.
--
-- Idempotent: loaded on every start after campaign_stats.sql.

SET client_min_messages = warning;

------------------------------------------------------------------------------
-- Reading a campaign
------------------------------------------------------------------------------

-- One campaign's counters (the sum of its shards; zeros when it has none).
CREATE OR REPLACE FUNCTION smscamp_campaign_counts(p_id bigint) RETURNS campaign_stats
LANGUAGE sql STABLE AS $$
SELECT p_id, 0,
       coalesce(sum(s.total_leads), 0)::bigint, coalesce(sum(s.unfinished), 0)::bigint,
       coalesce(sum(s.sent), 0)::bigint, coalesce(sum(s.delivered), 0)::bigint,
       coalesce(sum(s.undelivered), 0)::bigint, coalesce(sum(s.failed), 0)::bigint,
       coalesce(sum(s.skipped), 0)::bigint, coalesce(sum(s.cancelled), 0)::bigint,
       coalesce(sum(s.unknown), 0)::bigint, coalesce(sum(s.sms_segments), 0)::bigint,
       coalesce(sum(s.sms_cost), 0), min(s.first_sent_at), max(s.last_sent_at)
  FROM campaign_stats s
 WHERE s.campaign_id = p_id
$$;

-- Percentage of the messages with an outcome that were sent: 0..100, one
-- decimal; NULL while none has an outcome (nothing to rate yet).
CREATE OR REPLACE FUNCTION smscamp_success_rate(p_sent numeric, p_failed numeric)
RETURNS numeric
LANGUAGE sql IMMUTABLE PARALLEL SAFE
RETURN CASE WHEN coalesce(p_sent, 0) + coalesce(p_failed, 0) = 0 THEN NULL
            ELSE round(100.0 * p_sent / (p_sent + p_failed), 1) END;

-- How many of a campaign's unfinished leads the workers hold right now
-- (processing, sending): few rows, read through campaign_leads_campaign_status_id_idx.
CREATE OR REPLACE FUNCTION smscamp_campaign_in_flight(p_id bigint,
                                                      OUT processing bigint, OUT sending bigint)
LANGUAGE sql STABLE AS $$
SELECT count(*) FILTER (WHERE cl.status = 'processing'),
       count(*) FILTER (WHERE cl.status = 'sending')
  FROM campaign_leads cl
 WHERE cl.campaign_id = p_id AND cl.status IN ('processing', 'sending')
$$;

-- The number of a campaign's leads in each campaign-lead status (and
-- total_leads), as a JSON object.
CREATE OR REPLACE FUNCTION smscamp_campaign_lead_counts(p_id bigint) RETURNS json
LANGUAGE sql STABLE AS $$
SELECT json_build_object(
    'total_leads', s.total_leads,
    'pending', s.unfinished - f.processing - f.sending,
    'processing', f.processing, 'sending', f.sending,
    'sent', s.sent, 'delivered', s.delivered, 'undelivered', s.undelivered,
    'failed', s.failed, 'skipped', s.skipped, 'cancelled', s.cancelled,
    'unknown', s.unknown)
  FROM smscamp_campaign_counts(p_id) AS s, smscamp_campaign_in_flight(p_id) AS f
$$;

-- A campaign's send rate, in messages per second, from the send timestamps
-- (processed_at of its sms_sent leads):
--   average         from its first to its last send (kept in campaign_stats:
--                   no scan), (sends - 1) / seconds between them;
--   current         while it is processing: its sends of the last minute (or
--                   since its first send, when that is more recent) over that
--                   window, an index range of at most 5,000 entries (when
--                   there are more, the window is the span they cover);
--   window_seconds  that window.
-- A rate needs at least 3 sends over at least 5 seconds (or 5,000 sends), so
-- that four sends in 11 ms are no rate at all: NULL until then.
CREATE OR REPLACE FUNCTION smscamp_campaign_rate(s campaign_stats, p_status text)
RETURNS json
LANGUAGE plpgsql STABLE AS $$
DECLARE
    v_sends bigint := s.sent + s.delivered + s.undelivered;
    v_span numeric := extract(epoch FROM s.last_sent_at - s.first_sent_at);
    v_cap constant integer := 5000;
    v_n bigint;
    v_oldest timestamptz;
    v_window numeric;
    v_current numeric;
BEGIN
    IF p_status = 'processing' THEN
        v_window := extract(epoch FROM now() - greatest(now() - interval '60 seconds',
                                                        s.first_sent_at));
        IF s.last_sent_at > now() - interval '60 seconds' THEN
            SELECT count(*), min(x.processed_at) INTO v_n, v_oldest
              FROM (SELECT cl.processed_at FROM campaign_leads cl
                     WHERE cl.campaign_id = s.campaign_id AND cl.sms_sent
                       AND cl.processed_at > now() - interval '60 seconds'
                     ORDER BY cl.processed_at DESC
                     LIMIT v_cap) AS x;
            IF v_n = v_cap THEN
                v_window := extract(epoch FROM now() - v_oldest);
            END IF;
            IF v_n >= 3 AND v_window > 0 AND (v_window >= 5 OR v_n = v_cap) THEN
                v_current := round(v_n / v_window, 2);
            END IF;
        END IF;
    END IF;
    RETURN json_build_object(
        'current', v_current,
        'average', CASE WHEN v_sends >= 3 AND v_span >= 5
                        THEN round((v_sends - 1) / v_span, 2) END,
        'window_seconds', round(v_window, 1));
END
$$;

-- Why a processing campaign with nothing in flight sends nothing now: its
-- first pending lead (the claim index, one entry) is not due yet.  reason:
-- quiet_hours (outside the send window in the recipient's time zone) or
-- retry (after an error); next_send_at: when it is due; window: the send
-- window; time_zone: the recipient's.  NULL when it is not waiting.
CREATE OR REPLACE FUNCTION smscamp_campaign_waiting(p_id bigint, p_window text)
RETURNS json
LANGUAGE plpgsql STABLE AS $$
DECLARE
    w record;
BEGIN
    SELECT d.next_attempt_at, d.wait_reason, d.attempts, l.phone, l.timezone INTO w
      FROM (SELECT cl.next_attempt_at, cl.wait_reason, cl.attempts, cl.lead_id
              FROM campaign_leads cl
             WHERE cl.campaign_id = p_id AND cl.status = 'pending'
             ORDER BY cl.next_attempt_at
             LIMIT 1) AS d
      LEFT JOIN leads l ON l.id = d.lead_id;
    IF NOT FOUND OR w.next_attempt_at <= now() THEN
        RETURN NULL;
    END IF;
    RETURN json_build_object(
        -- (a lead deferred before wait_reason existed: never attempted = quiet hours)
        'reason', coalesce(w.wait_reason,
                           CASE WHEN w.attempts = 0 THEN 'quiet_hours' ELSE 'retry' END),
        'next_send_at', w.next_attempt_at,
        'window', p_window,
        'time_zone', smscamp_lead_timezone(w.timezone, w.phone));
END
$$;

-- A campaign's replies: the campaign leads that answered (replies), and
-- those whose answer was an opt-out (opt_outs).  An index range of the
-- campaign's inbound messages.
CREATE OR REPLACE FUNCTION smscamp_campaign_replies(p_campaign_id bigint,
                                                    OUT replies bigint, OUT opt_outs bigint)
LANGUAGE sql STABLE AS $$
    SELECT count(DISTINCT m.campaign_lead_id),
           count(DISTINCT m.campaign_lead_id) FILTER (WHERE m.intent = 'opt_out')
      FROM messages m
     WHERE m.campaign_id = p_campaign_id AND m.direction = 'inbound'
       AND m.campaign_lead_id IS NOT NULL
$$;

-- replies of leads sent, percent with one decimal; NULL until one was sent
CREATE OR REPLACE FUNCTION smscamp_reply_rate(p_replies numeric, p_sent numeric)
RETURNS numeric
LANGUAGE sql IMMUTABLE PARALLEL SAFE
RETURN CASE WHEN coalesce(p_sent, 0) = 0 THEN NULL
            ELSE round(100.0 * p_replies / p_sent, 1) END;

-- A campaign's provider error codes: {"30007": 3, ...} (the failed and
-- undelivered leads' codes, an index range), and what they mean.
CREATE OR REPLACE FUNCTION smscamp_campaign_error_codes(p_id bigint,
                                                        OUT counts json, OUT descriptions json)
LANGUAGE sql STABLE AS $$
    SELECT coalesce(json_object_agg(e.error_code, e.n ORDER BY e.error_code), '{}'),
           coalesce(json_object_agg(e.error_code, smscamp_provider_error_text(e.error_code)
                                    ORDER BY e.error_code)
                        FILTER (WHERE smscamp_provider_error_text(e.error_code) IS NOT NULL),
                    '{}')
      FROM (SELECT cl.error_code, count(*) AS n FROM campaign_leads cl
             WHERE cl.campaign_id = p_id AND cl.error_code IS NOT NULL
             GROUP BY cl.error_code) AS e
$$;

-- How fast a campaign can send and when it should be done, from its senders:
--   senders          its pool now (smscamp_sender_pool): [] = smscamp.sms_from
--   send_rate        segments_per_second: the pool's (NULL: not paced; a voice
--                    campaign is paced by its calls_per_second);
--                    messages_per_second: the campaign's own cap (NULL: none);
--                    effective_messages_per_second: the slowest of the pool (at
--                    the campaign's segments per message so far, else 1), the
--                    cap and smscamp.global_mps; limited_by: which it is
--   eta_seconds      the leads left at that rate (NULL: none left, or no rate
--                    is known; quiet hours not counted)
CREATE OR REPLACE FUNCTION smscamp_campaign_sending(c campaigns, s campaign_stats) RETURNS jsonb
LANGUAGE plpgsql STABLE AS $$
DECLARE
    v_pool bigint[] := smscamp_sender_pool(c.sender_ids);
    v_sps numeric;
    v_sent bigint := s.sent + s.delivered + s.undelivered;
    v_per_message numeric := CASE WHEN v_sent > 0 AND s.sms_segments > 0
                                  THEN s.sms_segments::numeric / v_sent ELSE 1 END;
    v_global numeric := nullif(coalesce(nullif(current_setting('smscamp.global_mps', true), ''),
                                        '0')::numeric, 0);
    v_rate numeric;
    v_by text;
BEGIN
    IF c.agent_type <> 'voice' THEN
        SELECT sum(x.segments_per_second) INTO v_sps FROM senders x WHERE x.id = ANY (v_pool);
    ELSE
        -- calls: paced by calls_per_second only
        v_rate := c.calls_per_second;
        v_by := 'campaign';
    END IF;
    IF v_sps IS NOT NULL THEN
        v_rate := v_sps / v_per_message;
        v_by := 'senders';
    END IF;
    IF c.messages_per_second > 0 AND (v_rate IS NULL OR c.messages_per_second < v_rate) THEN
        v_rate := c.messages_per_second;
        v_by := 'campaign';
    END IF;
    IF v_global IS NOT NULL AND (v_rate IS NULL OR v_global < v_rate) THEN
        v_rate := v_global;
        v_by := 'global';
    END IF;
    RETURN jsonb_build_object(
        'senders', coalesce((SELECT jsonb_agg(jsonb_build_object(
                                 'id', x.id, 'label', coalesce(x.name, smscamp_sender_address(x)),
                                 'phone', x.phone, 'messaging_service_sid', x.messaging_service_sid,
                                 'kind', x.kind, 'segments_per_second', trim_scale(x.segments_per_second),
                                 'active', x.active) ORDER BY x.id)
                               FROM senders x WHERE x.id = ANY (v_pool)), '[]'),
        'send_rate', jsonb_build_object(
            'segments_per_second', trim_scale(v_sps),
            'messages_per_second', trim_scale(nullif(c.messages_per_second, 0)),
            'effective_messages_per_second', round(v_rate, 3),
            'limited_by', v_by),
        'eta_seconds', CASE WHEN s.unfinished > 0 AND v_rate > 0
                                 AND c.status NOT IN ('completed', 'failed', 'cancelled')
                            THEN ceil(s.unfinished / v_rate)::bigint END);
END
$$;

-- A campaign's "stats" object.  Names as the dashboard's where they apply.
--   processed     leads finished after an attempt: sent, delivered,
--                 undelivered, failed, skipped or unknown (not pending, not
--                 cancelled);  progress: processed of total_leads, percent
--   success_rate  NULL until a message has an outcome
--   rate          smscamp_campaign_rate;  waiting: smscamp_campaign_waiting
--                 (only read for a processing campaign with nothing in flight)
--   replies       leads who answered; reply_rate: of the leads sent, percent;
--                 opt_outs: leads who answered with an opt-out
CREATE OR REPLACE FUNCTION smscamp_campaign_stats_json(s campaign_stats, c campaigns)
RETURNS json
LANGUAGE sql STABLE AS $$
SELECT json_build_object(
    'total_leads', s.total_leads,
    'leads_by_status', json_build_object(
        'pending', s.unfinished - f.processing - f.sending,
        'processing', f.processing, 'sending', f.sending,
        'sent', s.sent, 'delivered', s.delivered, 'undelivered', s.undelivered,
        'failed', s.failed, 'skipped', s.skipped, 'cancelled', s.cancelled,
        'unknown', s.unknown),
    'processed', p.processed,
    'total_messages_sent', s.sent + s.delivered,
    'total_messages_failed', s.failed + s.undelivered,
    'total_messages_pending', s.unfinished,
    'total_segments', s.sms_segments,
    'total_cost', round(s.sms_cost, 4),
    'success_rate', smscamp_success_rate(s.sent + s.delivered, s.failed + s.undelivered),
    'progress', CASE WHEN s.total_leads = 0 THEN 0
                     ELSE round(100.0 * p.processed / s.total_leads, 1) END,
    'rate', smscamp_campaign_rate(s, c.status),
    'waiting', CASE WHEN c.status = 'processing' AND f.processing + f.sending = 0
                         AND s.unfinished > 0
                    THEN smscamp_campaign_waiting(c.id, c.send_window) END,
    'replies', r.replies,
    'reply_rate', smscamp_reply_rate(r.replies, s.sent + s.delivered + s.undelivered),
    'opt_outs', r.opt_outs,
    'error_codes', e.counts,
    'error_code_descriptions', e.descriptions,
    'filtered', c.filtered_count,
    'calls', smscamp_campaign_calls(c),
    'started_at', c.started_at,
    'completed_at', c.completed_at)
  FROM smscamp_campaign_in_flight(c.id) AS f,
       smscamp_campaign_replies(c.id) AS r,
       smscamp_campaign_error_codes(c.id) AS e,
       LATERAL (SELECT s.sent + s.delivered + s.undelivered + s.failed + s.skipped
                       + s.unknown AS processed) AS p
$$;

-- The campaign as the API (and the lifecycle functions) show it.
CREATE OR REPLACE FUNCTION smscamp_campaign_json(c campaigns) RETURNS json
LANGUAGE sql STABLE AS $$
SELECT json_build_object(
    'id', c.id,
    'name', c.name,
    'description', c.description,
    'agent_type', c.agent_type,
    'status', c.status,
    'sms_system_prompt', c.sms_system_prompt,
    'sms_template', c.sms_template,
    'sender_name', c.sender_name,
    'reply_mode', c.reply_mode, 'reply_prompt', c.reply_prompt,
    'voice_system_prompt', c.voice_system_prompt, 'voice_temperature', c.voice_temperature,
    'calls_per_second', trim_scale(c.calls_per_second),
    'call_delay_seconds', c.call_delay_seconds, 'call_if_no_reply', c.call_if_no_reply,
    'require_consent', c.require_consent,
    'sms_temperature', c.sms_temperature,
    'messages_per_second', trim_scale(c.messages_per_second),
    'send_window', c.send_window,
    'max_send_errors', c.max_send_errors,
    'max_filtered', c.max_filtered,
    'paused_reason', c.paused_reason,
    'exclude_messaged_within_hours', c.exclude_messaged_within_hours,
    'scheduled_at', c.scheduled_at,
    'sender_ids', c.sender_ids,
    'senders', g.sending -> 'senders',
    'send_rate', g.sending -> 'send_rate',
    'eta_seconds', g.sending -> 'eta_seconds',
    'stats', smscamp_campaign_stats_json(k, c),
    'created_at', c.created_at,
    'updated_at', c.updated_at,
    'started_at', c.started_at,
    'completed_at', c.completed_at)
  FROM smscamp_campaign_counts(c.id) AS k,
       LATERAL (SELECT smscamp_campaign_sending(c, k) AS sending) AS g
$$;

CREATE OR REPLACE FUNCTION smscamp_campaign_json(p_id bigint) RETURNS json
LANGUAGE sql STABLE AS $$
SELECT smscamp_campaign_json(c) FROM campaigns c WHERE c.id = p_id
$$;

