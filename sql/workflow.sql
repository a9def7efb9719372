-- smscamp workflow: the tables and SQL functions behind the graph's nodes
-- (validate_lead -> sms_agent -> finalize). The C code in pg_extension/
-- decides and talks HTTP; every table write of the workflow happens here.
-- Idempotent: loaded on every start after schema.sql.

SET client_min_messages = warning;

------------------------------------------------------------------------------
-- Columns and tables the workflow needs
------------------------------------------------------------------------------

ALTER TABLE campaign_leads
    ADD COLUMN IF NOT EXISTS claimed_by          integer,
    ADD COLUMN IF NOT EXISTS claimed_at          timestamptz,
    ADD COLUMN IF NOT EXISTS sending_at          timestamptz,
    ADD COLUMN IF NOT EXISTS sms_sid             text,
    ADD COLUMN IF NOT EXISTS sms_provider_status text,
    ADD COLUMN IF NOT EXISTS sms_encoding        text,
    ADD COLUMN IF NOT EXISTS validation_errors   jsonb,
    ADD COLUMN IF NOT EXISTS delivered_at        timestamptz;

ALTER TABLE campaign_leads ALTER COLUMN trace_id SET DEFAULT gen_random_uuid()::text;
ALTER TABLE campaign_leads ALTER COLUMN next_attempt_at SET DEFAULT now();

DO $$
BEGIN
    IF EXISTS (SELECT FROM information_schema.columns
                WHERE table_name = 'campaign_leads' AND column_name = 'next_attempt_at'
                  AND is_nullable = 'YES') THEN
        UPDATE campaign_leads SET next_attempt_at = created_at WHERE next_attempt_at IS NULL;
        UPDATE campaign_leads SET trace_id = gen_random_uuid()::text WHERE trace_id IS NULL;
        ALTER TABLE campaign_leads ALTER COLUMN next_attempt_at SET NOT NULL;
    END IF;
END
$$;

ALTER TABLE campaigns
    ADD COLUMN IF NOT EXISTS scheduled_at            timestamptz,
    -- 0 = unlimited; set it to the provider's messages-per-second limit
    ADD COLUMN IF NOT EXISTS messages_per_second     numeric(8,3) NOT NULL DEFAULT 0
        CONSTRAINT campaigns_mps_check CHECK (messages_per_second >= 0),
    -- quiet hours in the recipient's time zone; NULL = send at any hour
    ADD COLUMN IF NOT EXISTS send_window             text DEFAULT '08:00-21:00'
        CONSTRAINT campaigns_send_window_check
        CHECK (send_window ~ '^([01][0-9]|2[0-3]):[0-5][0-9]-([01][0-9]|2[0-4]):[0-5][0-9]$'),
    ADD COLUMN IF NOT EXISTS max_send_errors         integer NOT NULL DEFAULT 10
        CONSTRAINT campaigns_max_send_errors_check CHECK (max_send_errors >= 1),
    ADD COLUMN IF NOT EXISTS consecutive_send_errors integer NOT NULL DEFAULT 0;

CREATE TABLE IF NOT EXISTS opt_outs (
    phone       text PRIMARY KEY CHECK (phone ~ '^\+[1-9][0-9]{6,14}$'),
    keyword     text,
    source      text NOT NULL DEFAULT 'sms',
    created_at  timestamptz NOT NULL DEFAULT now()
);

-- the "log" SMS provider: messages recorded here instead of sent
CREATE TABLE IF NOT EXISTS sms_outbox (
    id                bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    campaign_lead_id  bigint REFERENCES campaign_leads (id) ON DELETE SET NULL,
    to_phone          text NOT NULL,
    from_phone        text,
    body              text NOT NULL,
    segments          integer NOT NULL,
    created_at        timestamptz NOT NULL DEFAULT now()
);

-- claim: pending leads of a campaign whose retry time has come
CREATE INDEX IF NOT EXISTS campaign_leads_claim_idx
    ON campaign_leads (campaign_id, next_attempt_at) WHERE status = 'pending';
-- recovery: leads a worker holds
CREATE INDEX IF NOT EXISTS campaign_leads_claimed_idx
    ON campaign_leads (claimed_by) WHERE status IN ('processing', 'sending');
CREATE INDEX IF NOT EXISTS campaign_leads_sid_idx
    ON campaign_leads (sms_sid) WHERE sms_sid IS NOT NULL;
CREATE INDEX IF NOT EXISTS campaigns_scheduled_idx
    ON campaigns (scheduled_at) WHERE status = 'scheduled';
CREATE INDEX IF NOT EXISTS sms_outbox_campaign_lead_idx
    ON sms_outbox (campaign_lead_id);

REVOKE ALL ON opt_outs, sms_outbox FROM PUBLIC, smscamp_api;

------------------------------------------------------------------------------
-- Reading a lead
------------------------------------------------------------------------------

-- Everything the nodes need about one campaign lead, as JSON.
CREATE OR REPLACE FUNCTION smscamp_lead_context(p_id bigint) RETURNS jsonb
LANGUAGE sql STABLE AS $$
SELECT jsonb_build_object(
    'id', cl.id, 'campaign_id', cl.campaign_id, 'lead_id', cl.lead_id,
    'trace_id', cl.trace_id, 'status', cl.status, 'attempts', cl.attempts,
    'name', l.name, 'phone', l.phone, 'email', l.email,
    'company', l.company, 'notes', l.notes,
    'sms_system_prompt', c.sms_system_prompt,
    'sms_temperature', c.sms_temperature, 'agent_type', c.agent_type,
    'campaign_status', c.status,
    'opted_out', EXISTS (SELECT FROM opt_outs o WHERE o.phone = l.phone),
    'already_sent', cl.sms_sent OR cl.sms_sid IS NOT NULL
                    OR EXISTS (SELECT FROM sms_outbox b WHERE b.campaign_lead_id = cl.id),
    'sms_message', cl.sms_message)
FROM campaign_leads cl
JOIN leads l ON l.id = cl.lead_id
JOIN campaigns c ON c.id = cl.campaign_id
WHERE cl.id = p_id
$$;

-- The same shape for a campaign and any lead, for previews (nothing stored).
CREATE OR REPLACE FUNCTION smscamp_preview_context(p_campaign bigint, p_lead bigint)
RETURNS jsonb
LANGUAGE sql STABLE AS $$
SELECT jsonb_build_object(
    'id', 0, 'campaign_id', c.id, 'lead_id', l.id,
    'name', l.name, 'phone', l.phone, 'email', l.email,
    'company', l.company, 'notes', l.notes,
    'sms_system_prompt', c.sms_system_prompt,
    'sms_temperature', c.sms_temperature, 'agent_type', c.agent_type,
    'campaign_status', c.status,
    'opted_out', EXISTS (SELECT FROM opt_outs o WHERE o.phone = l.phone),
    'already_sent', false)
FROM campaigns c, leads l
WHERE c.id = p_campaign AND l.id = p_lead
$$;

-- What a node function answers: the campaign lead's state after it.
CREATE OR REPLACE FUNCTION smscamp_lead_state(p_id bigint) RETURNS jsonb
LANGUAGE sql STABLE AS $$
SELECT jsonb_build_object(
    'id', id, 'status', status, 'attempts', attempts, 'trace_id', trace_id,
    'sms_sent', sms_sent, 'sms_message', sms_message,
    'sms_segments', sms_segments, 'sms_cost', sms_cost,
    'sms_encoding', sms_encoding, 'sms_sid', sms_sid,
    'validation_errors', validation_errors,
    'error_message', error_message, 'next_attempt_at', next_attempt_at,
    'processed_at', processed_at)
FROM campaign_leads WHERE id = p_id
$$;

------------------------------------------------------------------------------
-- Logs
------------------------------------------------------------------------------

CREATE OR REPLACE FUNCTION smscamp_log(p_id bigint, p_level text, p_node text,
                                       p_message text, p_metadata jsonb)
RETURNS void
LANGUAGE sql AS $$
INSERT INTO processing_logs (campaign_lead_id, level, node_name, message, metadata)
VALUES (p_id, p_level, p_node, p_message, p_metadata)
$$;

------------------------------------------------------------------------------
-- Quiet hours
------------------------------------------------------------------------------

-- When a send window ('08:00-21:00', local to tz) is next open: now() when
-- it is open now, NULL window or zone = always open.
CREATE OR REPLACE FUNCTION smscamp_window_opens(p_window text, p_tz text)
RETURNS timestamptz
LANGUAGE plpgsql STABLE AS $$
DECLARE
    local_now timestamp;
    t time;
    w_start time;
    w_end time;
    open_day date;
BEGIN
    IF p_window IS NULL OR p_tz IS NULL THEN
        RETURN now();
    END IF;
    local_now := now() AT TIME ZONE p_tz;
    t := local_now::time;
    w_start := split_part(p_window, '-', 1)::time;
    w_end := CASE split_part(p_window, '-', 2) WHEN '24:00' THEN '23:59:59.999999'::time
                  ELSE split_part(p_window, '-', 2)::time END;
    IF (w_start <= w_end AND t >= w_start AND t < w_end)
       OR (w_start > w_end AND (t >= w_start OR t < w_end)) THEN
        RETURN now();
    END IF;
    open_day := CASE WHEN t < w_start THEN local_now::date ELSE local_now::date + 1 END;
    RETURN (open_day + w_start) AT TIME ZONE p_tz;
END
$$;

------------------------------------------------------------------------------
-- The queue
------------------------------------------------------------------------------

-- Claim up to p_limit pending leads of processing campaigns for worker
-- p_worker (its pid). Leads outside their send window are deferred to when
-- it opens, without counting an attempt. Returns the claimed ids and their
-- campaign's messages_per_second x 1000.
CREATE OR REPLACE FUNCTION smscamp_claim(p_worker integer, p_limit integer)
RETURNS TABLE (id bigint, mps bigint)
LANGUAGE plpgsql AS $$
BEGIN
    -- recovery (smscamp_housekeeping) takes this lock exclusively
    PERFORM pg_advisory_xact_lock_shared(727001);

    IF EXISTS (SELECT FROM campaigns c WHERE c.status = 'pending') THEN
        UPDATE campaigns c SET status = 'processing', started_at = coalesce(c.started_at, now())
         WHERE c.status = 'pending';
    END IF;

    RETURN QUERY
    WITH cand AS (
        SELECT cl.id, c.messages_per_second, c.send_window, l.phone
          FROM campaigns c
          JOIN campaign_leads cl ON cl.campaign_id = c.id
          JOIN leads l ON l.id = cl.lead_id
         WHERE c.status = 'processing'
           AND cl.status = 'pending'
           AND cl.next_attempt_at <= now()
         LIMIT p_limit
           FOR UPDATE OF cl SKIP LOCKED
    ), decided AS (
        SELECT cand.*, smscamp_window_opens(cand.send_window,
                                            smscamp_phone_timezone(cand.phone)) AS opens_at
          FROM cand
    ), deferred AS (
        UPDATE campaign_leads cl SET next_attempt_at = d.opens_at
          FROM decided d
         WHERE cl.id = d.id AND d.opens_at > now()
    ), claimed AS (
        UPDATE campaign_leads cl
           SET status = 'processing', attempts = cl.attempts + 1,
               claimed_by = p_worker, claimed_at = now()
          FROM decided d
         WHERE cl.id = d.id AND d.opens_at <= now()
        RETURNING cl.id, d.messages_per_second
    )
    SELECT claimed.id, (claimed.messages_per_second * 1000)::bigint FROM claimed;
END
$$;

-- A stopping worker gives back leads it had not sent.
CREATE OR REPLACE FUNCTION smscamp_release(p_ids bigint[]) RETURNS void
LANGUAGE sql AS $$
UPDATE campaign_leads
   SET status = 'pending', attempts = greatest(attempts - 1, 0), claimed_by = NULL
 WHERE id = ANY (p_ids) AND status = 'processing'
$$;

------------------------------------------------------------------------------
-- Node writes
------------------------------------------------------------------------------

CREATE OR REPLACE FUNCTION smscamp_mark_skipped(p_id bigint, p_errors jsonb)
RETURNS void
LANGUAGE sql AS $$
UPDATE campaign_leads
   SET status = 'skipped', validation_errors = p_errors,
       error_message = 'Validation failed: ' ||
           (SELECT string_agg(e, '; ') FROM jsonb_array_elements_text(p_errors) e),
       processed_at = now(), claimed_by = NULL
 WHERE id = p_id AND status IN ('pending', 'processing')
$$;

CREATE OR REPLACE FUNCTION smscamp_record_message(p_id bigint, p_message text,
                                                  p_segments integer, p_cost numeric,
                                                  p_encoding text)
RETURNS void
LANGUAGE sql AS $$
UPDATE campaign_leads
   SET sms_message = p_message, sms_segments = p_segments,
       sms_cost = p_cost, sms_encoding = p_encoding
 WHERE id = p_id
$$;

-- Delay before attempt n+1: Retry-After when given, else exponential
-- (2^n s, at most 5 min) with +-50% jitter.
CREATE OR REPLACE FUNCTION smscamp_backoff(p_attempts integer, p_retry_after integer)
RETURNS interval
LANGUAGE sql VOLATILE AS $$
SELECT CASE WHEN p_retry_after > 0 THEN make_interval(secs => p_retry_after)
            ELSE make_interval(secs => least(300, 2 ^ least(p_attempts, 20))
                                       * (0.5 + random()))
       END
$$;

-- An attempt failed before anything was sent: retry later, or fail for good.
CREATE OR REPLACE FUNCTION smscamp_record_retry(p_id bigint, p_error text,
                                                p_retry_after integer,
                                                p_retryable boolean)
RETURNS void
LANGUAGE sql AS $$
UPDATE campaign_leads
   SET status = CASE WHEN p_retryable
                          AND attempts < current_setting('smscamp.max_attempts')::int
                     THEN 'pending' ELSE 'failed' END,
       next_attempt_at = now() + smscamp_backoff(attempts, p_retry_after),
       error_message = p_error, claimed_by = NULL
 WHERE id = p_id AND status IN ('processing', 'sending')
$$;

-- The SQL-callable nodes (psql, tests) take a pending lead like a worker.
CREATE OR REPLACE FUNCTION smscamp_claim_one(p_id bigint) RETURNS void
LANGUAGE sql AS $$
UPDATE campaign_leads SET status = 'processing', attempts = attempts + 1,
       claimed_by = NULL, claimed_at = now()
 WHERE id = p_id AND status = 'pending'
$$;

-- "sending" is committed before the provider is called. False when the
-- campaign stopped meanwhile (a worker's lead goes back to pending), or the
-- lead is not being processed.
DROP FUNCTION IF EXISTS smscamp_mark_sending(bigint);
CREATE OR REPLACE FUNCTION smscamp_mark_sending(p_id bigint,
                                                p_require_running boolean DEFAULT true)
RETURNS boolean
LANGUAGE plpgsql AS $$
DECLARE
    campaign_status text;
BEGIN
    SELECT c.status INTO campaign_status
      FROM campaign_leads cl JOIN campaigns c ON c.id = cl.campaign_id
     WHERE cl.id = p_id;
    IF p_require_running AND campaign_status IS DISTINCT FROM 'processing' THEN
        UPDATE campaign_leads SET status = 'pending', claimed_by = NULL,
               attempts = greatest(attempts - 1, 0)
         WHERE id = p_id AND status = 'processing';
        RETURN false;
    END IF;
    UPDATE campaign_leads SET status = 'sending', sending_at = now()
     WHERE id = p_id AND status = 'processing';
    RETURN FOUND;
END
$$;

-- The "log" provider: record in the outbox and mark sent, atomically.
DROP FUNCTION IF EXISTS smscamp_send_log(bigint, text, text);
CREATE OR REPLACE FUNCTION smscamp_send_log(p_id bigint, p_from text, p_body text,
                                            p_require_running boolean DEFAULT true)
RETURNS boolean
LANGUAGE plpgsql AS $$
DECLARE
    box_id bigint;
BEGIN
    IF NOT smscamp_mark_sending(p_id, p_require_running) THEN
        RETURN false;
    END IF;
    INSERT INTO sms_outbox (campaign_lead_id, to_phone, from_phone, body, segments)
    SELECT cl.id, l.phone, p_from, p_body, smscamp_sms_segments(p_body)
      FROM campaign_leads cl JOIN leads l ON l.id = cl.lead_id
     WHERE cl.id = p_id
    RETURNING id INTO box_id;
    UPDATE campaign_leads
       SET status = 'sent', sms_sent = true, sms_sid = 'LOG' || box_id,
           sms_provider_status = 'logged', error_message = NULL,
           processed_at = now(), claimed_by = NULL
     WHERE id = p_id;
    RETURN true;
END
$$;

-- The provider's answer. p_outcome: sent | failed | retry | unknown.
CREATE OR REPLACE FUNCTION smscamp_record_send(p_id bigint, p_outcome text,
                                               p_sid text, p_provider_status text,
                                               p_num_segments integer, p_price text,
                                               p_error text, p_retry_after integer)
RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
    cid bigint;
    errors integer;
    max_errors integer;
BEGIN
    IF p_outcome = 'sent' THEN
        UPDATE campaign_leads
           SET status = 'sent', sms_sent = true, sms_sid = p_sid,
               sms_provider_status = p_provider_status,
               sms_segments = coalesce(nullif(p_num_segments, 0), sms_segments),
               sms_response = jsonb_build_object('sid', p_sid, 'status', p_provider_status,
                                                 'num_segments', p_num_segments,
                                                 'price', p_price)::text,
               error_message = NULL, processed_at = now(), claimed_by = NULL
         WHERE id = p_id
        RETURNING campaign_id INTO cid;
        UPDATE campaigns SET consecutive_send_errors = 0
         WHERE id = cid AND consecutive_send_errors <> 0;
        RETURN;
    END IF;

    IF p_outcome = 'retry' THEN
        PERFORM smscamp_record_retry(p_id, p_error, p_retry_after, true);
    ELSE
        UPDATE campaign_leads
           SET status = CASE p_outcome WHEN 'unknown' THEN 'unknown' ELSE 'failed' END,
               error_message = p_error, processed_at = now(), claimed_by = NULL
         WHERE id = p_id;
    END IF;

    -- consecutive provider errors pause the campaign
    UPDATE campaigns c
       SET consecutive_send_errors = c.consecutive_send_errors + 1
      FROM campaign_leads cl
     WHERE cl.id = p_id AND c.id = cl.campaign_id
    RETURNING c.id, c.consecutive_send_errors, c.max_send_errors
      INTO cid, errors, max_errors;
    IF errors >= max_errors THEN
        UPDATE campaigns SET status = 'paused' WHERE id = cid AND status = 'processing';
        IF FOUND THEN
            PERFORM smscamp_log(p_id, 'error', 'sms_agent',
                format('Campaign paused after %s consecutive SMS provider errors', errors),
                jsonb_build_object('campaign_id', cid, 'consecutive_send_errors', errors));
        END IF;
    END IF;
END
$$;

------------------------------------------------------------------------------
-- finalize
------------------------------------------------------------------------------

-- Completes a processing campaign that has nothing left to send.
CREATE OR REPLACE FUNCTION smscamp_complete_campaign(p_campaign bigint) RETURNS boolean
LANGUAGE plpgsql AS $$
BEGIN
    IF EXISTS (SELECT FROM campaign_leads
                WHERE campaign_id = p_campaign
                  AND status IN ('pending', 'processing', 'sending')) THEN
        RETURN false;
    END IF;
    -- lock, then look again: two workers finishing the last two leads
    PERFORM FROM campaigns WHERE id = p_campaign AND status = 'processing' FOR UPDATE;
    IF NOT FOUND OR EXISTS (SELECT FROM campaign_leads
                             WHERE campaign_id = p_campaign
                               AND status IN ('pending', 'processing', 'sending')) THEN
        RETURN false;
    END IF;
    UPDATE campaigns SET status = 'completed', completed_at = now() WHERE id = p_campaign;
    RETURN true;
END
$$;

CREATE OR REPLACE FUNCTION smscamp_finalize_lead(p_id bigint) RETURNS jsonb
LANGUAGE plpgsql AS $$
DECLARE
    cl campaign_leads;
BEGIN
    SELECT * INTO cl FROM campaign_leads WHERE id = p_id;
    IF NOT FOUND THEN
        RETURN NULL;
    END IF;
    IF cl.status IN ('pending') THEN
        PERFORM smscamp_log(p_id, 'warning', 'finalize',
            format('Attempt %s failed; retry scheduled', cl.attempts),
            jsonb_build_object('status', cl.status, 'attempts', cl.attempts,
                               'next_attempt_at', cl.next_attempt_at,
                               'error', cl.error_message));
    ELSE
        IF cl.processed_at IS NULL AND cl.status NOT IN ('processing', 'sending') THEN
            UPDATE campaign_leads SET processed_at = now() WHERE id = p_id;
        END IF;
        PERFORM smscamp_log(p_id,
            CASE WHEN cl.status IN ('sent', 'delivered', 'skipped') THEN 'info' ELSE 'error' END,
            'finalize', format('Lead finished: %s', cl.status),
            jsonb_build_object('status', cl.status, 'attempts', cl.attempts,
                               'sms_segments', cl.sms_segments, 'sms_cost', cl.sms_cost,
                               'error', cl.error_message));
        PERFORM smscamp_complete_campaign(cl.campaign_id);
    END IF;
    RETURN smscamp_lead_state(p_id);
END
$$;

------------------------------------------------------------------------------
-- Housekeeping: workers run it every second, pg_cron every minute
------------------------------------------------------------------------------

CREATE OR REPLACE FUNCTION smscamp_housekeeping() RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
    live integer[];
    r record;
BEGIN
    -- scheduled campaigns whose time has come
    UPDATE campaigns SET status = 'pending'
     WHERE status = 'scheduled' AND scheduled_at <= now();
    IF FOUND THEN
        PERFORM smscamp_wake();
    END IF;

    -- leads held by workers that are gone
    live := ARRAY(SELECT pid FROM pg_stat_activity WHERE backend_type = 'smscamp worker');
    IF EXISTS (SELECT FROM campaign_leads
                WHERE status IN ('processing', 'sending')
                  AND (claimed_by IS NULL OR claimed_by <> ALL (live))) THEN
        PERFORM pg_advisory_xact_lock(727001);
        live := ARRAY(SELECT pid FROM pg_stat_activity WHERE backend_type = 'smscamp worker');
        UPDATE campaign_leads SET status = 'pending', claimed_by = NULL
         WHERE status = 'processing' AND (claimed_by IS NULL OR claimed_by <> ALL (live));
        FOR r IN
            UPDATE campaign_leads
               SET status = 'unknown', processed_at = now(), claimed_by = NULL,
                   error_message = 'The worker stopped while sending: the SMS may '
                                   || 'have been sent, so it is not resent automatically'
             WHERE status = 'sending' AND (claimed_by IS NULL OR claimed_by <> ALL (live))
            RETURNING id
        LOOP
            PERFORM smscamp_finalize_lead(r.id);
        END LOOP;
    END IF;

    -- campaigns with nothing left to do
    UPDATE campaigns c SET status = 'completed', completed_at = now()
     WHERE c.status = 'processing'
       AND NOT EXISTS (SELECT FROM campaign_leads cl
                        WHERE cl.campaign_id = c.id
                          AND cl.status IN ('pending', 'processing', 'sending'));
END
$$;

DO $$
BEGIN
    -- nested: cron.job cannot even be planned where pg_cron is missing
    IF EXISTS (SELECT FROM pg_extension WHERE extname = 'pg_cron') THEN
        IF NOT EXISTS (SELECT FROM cron.job WHERE jobname = 'smscamp-housekeeping') THEN
            PERFORM cron.schedule('smscamp-housekeeping', '* * * * *',
                                  'SELECT smscamp_housekeeping()');
        END IF;
    END IF;
END
$$;

-- (the api files' CALL api_secure_functions() revokes these from PUBLIC)
