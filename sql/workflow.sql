-- smscamp workflow: the SQL functions behind the graph's nodes
-- (validate_lead -> sms_agent -> finalize). The C code in pg_extension/
-- decides and talks HTTP; every table write of the workflow happens here.
-- Its tables and columns are defined in schema.sql.
-- Idempotent: loaded on every start after schema.sql and helpers.sql.

SET client_min_messages = warning;

-- Functions of earlier versions: every write is smscamp_record_batch's now
-- (a lead of a node called from SQL is a batch of one item)
DROP FUNCTION IF EXISTS smscamp_mark_skipped(bigint, jsonb);
DROP FUNCTION IF EXISTS smscamp_record_message(bigint, text, integer, numeric, text);
DROP FUNCTION IF EXISTS smscamp_record_retry(bigint, text, integer, boolean);
DROP FUNCTION IF EXISTS smscamp_mark_sending(bigint);
DROP FUNCTION IF EXISTS smscamp_mark_sending(bigint, boolean);
DROP FUNCTION IF EXISTS smscamp_send_log(bigint, text, text);
DROP FUNCTION IF EXISTS smscamp_send_log(bigint, text, text, boolean);
DROP FUNCTION IF EXISTS smscamp_record_send(bigint, text, text, text, integer, text, text, integer);
DROP FUNCTION IF EXISTS smscamp_finalize_lead(bigint);
DROP FUNCTION IF EXISTS smscamp_batch_validation(smscamp_batch_item[]);
DROP FUNCTION IF EXISTS smscamp_batch_generation(smscamp_batch_item[]);
DROP FUNCTION IF EXISTS smscamp_batch_mark_sending(smscamp_batch_item[]);
DROP FUNCTION IF EXISTS smscamp_batch_send_results(smscamp_batch_item[]);
DROP TYPE IF EXISTS smscamp_batch_item;
-- 0.3's smscamp_record_batch(jsonb) answered (i, ok) only
DO $$
BEGIN
    IF EXISTS (SELECT FROM pg_proc p
                WHERE p.oid = to_regprocedure('smscamp_record_batch(jsonb)')
                  AND cardinality(p.proallargtypes) = 3) THEN
        DROP FUNCTION smscamp_record_batch(jsonb);
    END IF;
END
$$;

------------------------------------------------------------------------------
-- Reading a lead
-- A lead's time zone for quiet hours: the one set on the lead, else its phone's
-- (pg_extension/phone.c: by area code for +1 numbers, else the country's main zone).
CREATE OR REPLACE FUNCTION smscamp_lead_timezone(p_timezone text, p_phone text)
RETURNS text
LANGUAGE sql STABLE PARALLEL SAFE
RETURN coalesce(p_timezone, smscamp_phone_timezone(p_phone));

-- The frequency caps: smscamp.max_messages_per_lead_per_day (0: none), and
-- the campaign messages sent to a phone since a moment, counted up to p_upto
-- (an index range of the phone's messages: the cap is all that matters).
CREATE OR REPLACE FUNCTION smscamp_daily_cap() RETURNS integer
LANGUAGE sql STABLE
RETURN coalesce(nullif(current_setting('smscamp.max_messages_per_lead_per_day', true), '')::integer,
                0);

CREATE OR REPLACE FUNCTION smscamp_campaign_messages_since(p_phone text, p_since timestamptz,
                                                           p_upto integer)
RETURNS integer
LANGUAGE sql STABLE
RETURN (SELECT count(*)::integer
          FROM (SELECT FROM messages m
                 WHERE m.phone = p_phone AND m.direction = 'outbound' AND m.kind = 'campaign'
                   AND m.created_at > p_since
                 LIMIT p_upto) AS x);

------------------------------------------------------------------------------

-- What the writer needs of a campaign for a lead (part of a lead context): a
-- call's script (p_voice: a voice campaign's, or the call after a "both"
-- campaign's SMS) is written from the voice prompt (else the SMS prompt, or
-- the template when it has neither) at the voice temperature, in the
-- language of the phone's country.
CREATE OR REPLACE FUNCTION smscamp_writer_context(c campaigns, p_voice boolean, p_phone text)
RETURNS jsonb
LANGUAGE sql STABLE AS $$
SELECT jsonb_build_object(
    'sms_system_prompt', CASE WHEN p_voice THEN coalesce(c.voice_system_prompt, c.sms_system_prompt)
                              ELSE c.sms_system_prompt END,
    'sms_template', CASE WHEN p_voice AND c.voice_system_prompt IS NOT NULL
                         THEN NULL ELSE c.sms_template END,
    'sender_name', c.sender_name,
    'sms_temperature', CASE WHEN p_voice THEN c.voice_temperature ELSE c.sms_temperature END,
    'agent_type', CASE WHEN p_voice THEN 'voice' ELSE c.agent_type END,
    'call_language', CASE WHEN p_voice THEN smscamp_call_language(p_phone) END)
$$;

-- The one builder of a lead context: everything the nodes need about a lead of
-- a campaign, as JSON (smscamp_lead_from_json in pg_extension/nodes.c reads it).
-- cl is the campaign lead; NULL for a preview, where there is none yet (id 0,
-- nothing sent).  A set-returning LANGUAGE sql function, called in FROM: the
-- planner inlines it, so that the claim's query builds its contexts itself.
CREATE OR REPLACE FUNCTION smscamp_build_context(c campaigns, l leads, cl campaign_leads)
RETURNS TABLE (context jsonb)
LANGUAGE sql STABLE AS $$
SELECT smscamp_writer_context(c, c.agent_type = 'voice', l.phone) || jsonb_build_object(
    'id', coalesce(cl.id, 0), 'campaign_id', c.id, 'lead_id', l.id,
    'trace_id', cl.trace_id, 'status', cl.status, 'attempts', cl.attempts,
    'name', l.name, 'phone', l.phone, 'email', l.email,
    'company', l.company, 'notes', l.notes, 'attributes', l.attributes,
    'campaign_status', c.status,
    'opted_out', EXISTS (SELECT FROM opt_outs o WHERE o.phone = l.phone),
    -- why the campaign's rules skip this lead (validate_lead reports it), NULL: they do not
    'skip_reason', coalesce(
        smscamp_phone_status_reason(l.phone_status),
        CASE WHEN c.require_consent AND l.consent_at IS NULL
             THEN 'no consent on record (the campaign requires consent)' END,
        CASE WHEN c.exclude_messaged_within_hours IS NOT NULL
                  AND smscamp_campaign_messages_since(
                          l.phone, now() - make_interval(hours => c.exclude_messaged_within_hours),
                          1) > 0
             THEN format('messaged by a campaign in the last %s hours '
                         || '(the campaign''s exclude_messaged_within_hours)',
                         c.exclude_messaged_within_hours) END,
        CASE WHEN smscamp_daily_cap() > 0
                  AND smscamp_campaign_messages_since(l.phone, now() - interval '24 hours',
                                                      smscamp_daily_cap()) >= smscamp_daily_cap()
             THEN format('already sent %s campaign messages in the last 24 hours '
                         || '(smscamp.max_messages_per_lead_per_day)', smscamp_daily_cap()) END,
        CASE WHEN cl.sender_id IS NULL THEN smscamp_no_sender_reason(c.sender_ids, l.phone) END),
    -- who it goes from (sql/senders.sql), NULL: smscamp.sms_from
    'sender', smscamp_sender_context(cl.sender_id),
    'already_sent', coalesce(cl.sms_sent OR cl.sms_sid IS NOT NULL
                             OR cl.voice_call_made OR cl.call_sid IS NOT NULL
                             OR EXISTS (SELECT FROM sms_outbox b WHERE b.campaign_lead_id = cl.id)
                             OR (c.agent_type = 'voice'
                                 AND EXISTS (SELECT FROM call_outbox b
                                              WHERE b.campaign_lead_id = cl.id)),
                             false),
    'sms_message', CASE WHEN c.agent_type = 'voice' THEN cl.call_script ELSE cl.sms_message END)
$$;

-- A campaign lead's context (the SQL-callable nodes'), NULL when there is none.
CREATE OR REPLACE FUNCTION smscamp_lead_context(p_id bigint) RETURNS jsonb
LANGUAGE plpgsql STABLE AS $$
BEGIN
RETURN (SELECT x.context
          FROM campaign_leads cl
          JOIN leads l ON l.id = cl.lead_id
          JOIN campaigns c ON c.id = cl.campaign_id
         CROSS JOIN LATERAL smscamp_build_context(c, l, cl) x
         WHERE cl.id = p_id);
END
$$;

-- A campaign's context for any lead, for previews (nothing stored).
CREATE OR REPLACE FUNCTION smscamp_preview_context(p_campaign bigint, p_lead bigint)
RETURNS jsonb
LANGUAGE sql STABLE AS $$
SELECT x.context
  FROM campaigns c, leads l, smscamp_build_context(c, l, NULL) x
 WHERE c.id = p_campaign AND l.id = p_lead
$$;

-- Which writer composes the messages: an OpenAI-compatible model when its API key is
-- set, else the built-in writer.  label is what the UI shows ("gpt-4o-mini at
-- api.openai.com", "Built-in writer (offline)").
CREATE OR REPLACE FUNCTION smscamp_writer_info() RETURNS jsonb
LANGUAGE sql STABLE AS $$
SELECT CASE WHEN coalesce(current_setting('smscamp.openai_api_key', true), '') <> '' THEN
           jsonb_build_object(
               'kind', 'llm',
               'model', current_setting('smscamp.openai_model', true),
               'host', h.host,
               'label', format('%s at %s', current_setting('smscamp.openai_model', true),
                               coalesce(h.host, current_setting('smscamp.openai_base_url', true))))
       ELSE jsonb_build_object('kind', 'builtin', 'model', NULL, 'host', NULL,
                               'label', 'Built-in writer (offline)')
       END
  FROM (SELECT substring(current_setting('smscamp.openai_base_url', true)
                         FROM '^[A-Za-z][A-Za-z0-9+.-]*://(?:[^@/]*@)?([^/:?#]+)') AS host) AS h
$$;

-- What a node function answers: the campaign lead's state after it.
CREATE OR REPLACE FUNCTION smscamp_lead_state(p_id bigint) RETURNS jsonb
LANGUAGE plpgsql STABLE AS $$
BEGIN
RETURN (SELECT jsonb_build_object(
    'id', id, 'status', status, 'attempts', attempts, 'trace_id', trace_id,
    'sms_sent', sms_sent, 'sms_message', sms_message,
    'sms_segments', sms_segments, 'sms_cost', sms_cost,
    'sms_encoding', sms_encoding, 'sms_sid', sms_sid,
    'validation_errors', validation_errors,
    'error_message', error_message, 'next_attempt_at', next_attempt_at,
    'processed_at', processed_at)
FROM campaign_leads WHERE id = p_id);
END
$$;

------------------------------------------------------------------------------
-- Logs
------------------------------------------------------------------------------

-- plpgsql rather than sql here and below: a non-inlined LANGUAGE sql function
-- plans its body on every call, plpgsql keeps the plan for the session.
CREATE OR REPLACE FUNCTION smscamp_log(p_id bigint, p_level text, p_node text,
                                       p_message text, p_metadata jsonb)
RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO processing_logs (campaign_lead_id, level, node_name, message, metadata)
    VALUES (p_id, p_level, p_node, p_message, p_metadata);
END
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

-- How many more leads of a paced campaign may be claimed: about 10 seconds of
-- its rate (its senders' segments per second, its messages_per_second, the
-- slower; a voice campaign's calls_per_second) less those already claimed.  A campaign paced by one long code
-- would otherwise fill every worker's in-flight room with leads waiting
-- minutes for their slot, and starve the other campaigns.  p_limit when the
-- campaign is not paced.
CREATE OR REPLACE FUNCTION smscamp_claim_room(c campaigns, p_pool bigint[], p_limit integer)
RETURNS integer
LANGUAGE plpgsql STABLE AS $$
DECLARE
    v_rate numeric;
BEGIN
    IF c.agent_type = 'voice' THEN
        v_rate := c.calls_per_second;
    ELSIF cardinality(p_pool) > 0 THEN
        SELECT sum(s.segments_per_second) INTO v_rate FROM senders s WHERE s.id = ANY (p_pool);
    END IF;
    IF c.messages_per_second > 0 THEN
        v_rate := least(coalesce(v_rate, c.messages_per_second), c.messages_per_second);
    END IF;
    IF v_rate IS NULL THEN
        RETURN p_limit;
    END IF;
    RETURN least(p_limit, greatest(0, ceil(v_rate * 10)::integer
                                      - (SELECT count(*)::integer FROM campaign_leads cl
                                          WHERE cl.campaign_id = c.id
                                            AND cl.status IN ('processing', 'sending'))));
END
$$;

-- Claim up to p_limit pending leads of processing campaigns for worker
-- p_worker (its pid). Leads outside their send window are deferred to when
-- it opens (wait_reason quiet_hours), without counting an attempt. Returns
-- the claimed ids and their campaign's messages_per_second x 1000.  Leads
-- are joined to their lead: a campaign lead whose lead was deleted is never
-- claimed (none is left pending: see leads_delete_campaign_leads).
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
    -- a campaign that names its senders, none of them active now: paused, not
    -- sent from another number
    IF EXISTS (SELECT FROM campaigns c
                WHERE c.status = 'processing' AND c.sender_ids IS NOT NULL
                  AND cardinality(smscamp_sender_pool(c.sender_ids)) = 0) THEN
        PERFORM smscamp_pause_itself(c.id, 'None of the campaign''s senders is active')
           FROM campaigns c
          WHERE c.status = 'processing' AND c.sender_ids IS NOT NULL
            AND cardinality(smscamp_sender_pool(c.sender_ids)) = 0;
    END IF;

    -- per processing campaign, its leads that are due from the claim index
    -- (campaign_id, next_attempt_at) WHERE pending: the cost of a claim does
    -- not grow with the leads already done (a join left to the planner may
    -- walk every lead of the campaign instead)
    RETURN QUERY
    WITH cand AS (
        SELECT d.id,
               CASE WHEN c.agent_type = 'voice' THEN c.calls_per_second
                    ELSE c.messages_per_second END AS messages_per_second,
               c.send_window, l.phone, l.timezone, p.pool
          FROM campaigns c
         CROSS JOIN LATERAL (SELECT smscamp_sender_pool(c.sender_ids) AS pool) p
         CROSS JOIN LATERAL (SELECT smscamp_claim_room(c, p.pool, p_limit) AS room) r
         CROSS JOIN LATERAL (
                SELECT cl.id, cl.lead_id
                  FROM campaign_leads cl
                 WHERE cl.campaign_id = c.id
                   AND cl.status = 'pending'
                   AND cl.next_attempt_at <= now()
                 ORDER BY cl.next_attempt_at
                 LIMIT r.room
                   FOR UPDATE OF cl SKIP LOCKED) d
          JOIN leads l ON l.id = d.lead_id
         WHERE c.status = 'processing'
         LIMIT p_limit
    ), decided AS (
        SELECT cand.*, smscamp_window_opens(cand.send_window,
                                            smscamp_lead_timezone(cand.timezone, cand.phone))
                   AS opens_at
          FROM cand
    ), deferred AS (
        UPDATE campaign_leads cl SET next_attempt_at = d.opens_at, wait_reason = 'quiet_hours'
          FROM decided d
         WHERE cl.id = d.id AND d.opens_at > now()
    ), claimed AS (
        UPDATE campaign_leads cl
           SET status = 'processing', attempts = cl.attempts + 1,
               claimed_by = p_worker, claimed_at = now(),
               sender_id = smscamp_pick_sender(d.pool, d.phone)
          FROM decided d
         WHERE cl.id = d.id AND d.opens_at <= now()
        RETURNING cl.id, d.messages_per_second
    )
    SELECT claimed.id, (claimed.messages_per_second * 1000)::bigint FROM claimed;
END
$$;

-- A stopping worker gives back leads it had not sent.
CREATE OR REPLACE FUNCTION smscamp_release(p_ids bigint[]) RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
    UPDATE campaign_leads
       SET status = 'pending', attempts = greatest(attempts - 1, 0), claimed_by = NULL
     WHERE id = ANY (p_ids) AND status = 'processing';
END
$$;

-- The SQL-callable nodes (psql, tests) take a pending lead like a worker.
CREATE OR REPLACE FUNCTION smscamp_claim_one(p_id bigint) RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
    UPDATE campaign_leads cl SET status = 'processing', attempts = cl.attempts + 1,
           claimed_by = NULL, claimed_at = now(),
           sender_id = smscamp_pick_sender(
               smscamp_sender_pool((SELECT c.sender_ids FROM campaigns c
                                     WHERE c.id = cl.campaign_id)),
               (SELECT l.phone FROM leads l WHERE l.id = cl.lead_id))
     WHERE cl.id = p_id AND cl.status = 'pending';
END
$$;

-- Claim up to p_limit leads (smscamp_claim) and answer each with its
-- campaign's messages_per_second x 1000 and its context
-- (smscamp_build_context), in id order: one statement for the whole claim.
CREATE OR REPLACE FUNCTION smscamp_claim_leads(p_worker integer, p_limit integer)
RETURNS TABLE (id bigint, mps bigint, context text)
LANGUAGE plpgsql AS $$
DECLARE
    ids bigint[];
    mpss bigint[];
BEGIN
    SELECT array_agg(k.id ORDER BY k.id), array_agg(k.mps ORDER BY k.id)
      INTO ids, mpss
      FROM smscamp_claim(p_worker, p_limit) k;
    IF ids IS NULL THEN
        RETURN;
    END IF;
    -- a new statement: it sees the claim's changes (status, attempts)
    RETURN QUERY
    SELECT cl.id, x.mps, ctx.context::text
      FROM unnest(ids, mpss) AS x(id, mps)
      JOIN campaign_leads cl ON cl.id = x.id AND cl.id = ANY (ids)
      JOIN leads l ON l.id = cl.lead_id
      JOIN campaigns c ON c.id = cl.campaign_id
     CROSS JOIN LATERAL smscamp_build_context(c, l, cl) ctx
     ORDER BY cl.id;
END
$$;

------------------------------------------------------------------------------
-- Recording: one function for every write of the nodes
------------------------------------------------------------------------------

-- One item of a batch (the JSON objects given to smscamp_record_batch).
-- k, the kind, says which fields are set:
--   valid    validation passed: phone; both (agent_type both: its call is
--            scheduled once the SMS is sent, sql/calls.sql)
--   skip     validation failed: errors (a JSON array of reasons)
--   gen      message written: message, segments, cost, encoding; the
--            sms_agent log row: level, msg, meta
--   genfail  no message: error, retry_after, retryable (an LLM call that may
--            work later)
--   mark     mark "sending" (committed before the provider call)
--   log      the log provider: mark sending, outbox, sent: sfrom, body
--            (mark and log items may also carry a gen item's fields: the
--            message is recorded with the mark)
--   send     the provider's answer: outcome (sent | failed | retry |
--            unknown), sid, pstatus, nseg, price, error, retry_after; the
--            sms_agent log row: level, msg, meta
--   final    finalize only (smscamp_finalize)
-- and, on any kind:
--   manual   run by a SQL call (smscamp_send_sms, smscamp_process_lead), not
--            by a worker: a mark or log item does not need the campaign to be
--            running
--   alone    a node called on its own (smscamp_validate_lead,
--            smscamp_generate_sms, smscamp_send_sms): recorded, not finalized
--            (smscamp_finalize does that)
-- (a new field means a new type name: workers may run while this file loads)
DO $$
BEGIN
    IF to_regtype('smscamp_record_item') IS NULL THEN
        CREATE TYPE smscamp_record_item AS (
            i integer, k text, id bigint,
            level text, msg text, meta jsonb,
            phone text, "both" boolean, errors jsonb,
            message text, segments integer, cost numeric, encoding text,
            error text, retry_after integer, retryable boolean,
            outcome text, sid text, pstatus text, nseg integer, price text,
            sfrom text, body text, manual boolean, alone boolean);
    END IF;
END
$$;

-- The node an item's log rows are of: voice_agent for a voice campaign's lead
-- (its meta's channel, pg_extension/record.c), else sms_agent.
CREATE OR REPLACE FUNCTION smscamp_agent_node(p_meta jsonb) RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE
RETURN CASE WHEN p_meta ->> 'channel' = 'voice' THEN 'voice_agent' ELSE 'sms_agent' END;

-- 'Validation failed: a; b' from a JSON array of reasons.
CREATE OR REPLACE FUNCTION smscamp_validation_message(p_errors jsonb) RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE
RETURN 'Validation failed: ' ||
       (SELECT string_agg(e, '; ') FROM jsonb_array_elements_text(p_errors) e);

-- validate_lead's rows: log "validated" or mark skipped with the reasons.
CREATE OR REPLACE FUNCTION smscamp_batch_validation(it smscamp_record_item[]) RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
    ids bigint[] := ARRAY(SELECT x.id FROM unnest(it) x);
BEGIN
    IF EXISTS (SELECT FROM unnest(it) x WHERE x.k = 'skip') THEN
        UPDATE campaign_leads cl
           SET status = 'skipped', validation_errors = x.errors,
               error_message = smscamp_validation_message(x.errors),
               processed_at = now(), claimed_by = NULL
          FROM unnest(it) x
         WHERE x.k = 'skip' AND cl.id = x.id AND cl.id = ANY (ids) AND cl.status IN ('pending', 'processing');
    END IF;
    INSERT INTO processing_logs (campaign_lead_id, level, node_name, message, metadata)
    SELECT x.id,
           CASE x.k WHEN 'valid' THEN 'info' ELSE 'warning' END, 'validate_lead',
           CASE x.k WHEN 'valid' THEN 'Lead validated'
                ELSE 'Lead skipped: ' || (x.errors ->> 0) END,
           CASE x.k WHEN 'valid' THEN jsonb_build_object('phone', x.phone)
                ELSE jsonb_build_object('validation_errors', x.errors) END
      FROM unnest(it) x WHERE x.k IN ('valid', 'skip') ORDER BY x.i;
END
$$;

-- Delay before attempt n+1: Retry-After when given, else exponential
-- (2^n s, at most 5 min) with +-50% jitter.
CREATE OR REPLACE FUNCTION smscamp_backoff(p_attempts integer, p_retry_after integer)
RETURNS interval
LANGUAGE plpgsql VOLATILE AS $$
BEGIN
    RETURN CASE WHEN p_retry_after > 0 THEN make_interval(secs => p_retry_after)
                ELSE make_interval(secs => least(300, 2 ^ least(p_attempts, 20))
                                           * (0.5 + random()))
           END;
END
$$;

-- sms_agent's writes before sending: the messages, and failed generations
-- (retry later, or failed past smscamp.max_attempts) with provider
-- answers asking for a retry.
CREATE OR REPLACE FUNCTION smscamp_batch_generation(it smscamp_record_item[]) RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
    ids bigint[] := ARRAY(SELECT x.id FROM unnest(it) x);
BEGIN
    IF EXISTS (SELECT FROM unnest(it) x WHERE x.k = 'gen') THEN
        UPDATE campaign_leads cl
           SET sms_message = x.message, sms_segments = x.segments,
               sms_cost = x.cost, sms_encoding = x.encoding
          FROM unnest(it) x
         WHERE x.k = 'gen' AND cl.id = x.id AND cl.id = ANY (ids)
           AND x.meta ->> 'channel' IS DISTINCT FROM 'voice';
        -- a voice campaign's script
        UPDATE campaign_leads cl
           SET call_script = x.message, call_words = smscamp_words(x.message)
          FROM unnest(it) x
         WHERE x.k = 'gen' AND cl.id = x.id AND cl.id = ANY (ids)
           AND x.meta ->> 'channel' = 'voice';
    END IF;
    INSERT INTO processing_logs (campaign_lead_id, level, node_name, message, metadata)
    SELECT x.id, 'error', smscamp_agent_node(x.meta), x.error, NULL
      FROM unnest(it) x WHERE x.k = 'genfail' ORDER BY x.i;
    IF EXISTS (SELECT FROM unnest(it) x
                WHERE x.k = 'genfail' OR (x.k = 'send' AND x.outcome = 'retry')) THEN
        UPDATE campaign_leads cl
           SET status = CASE WHEN (x.k = 'send' OR x.retryable)
                                  AND cl.attempts < current_setting('smscamp.max_attempts')::int
                             THEN 'pending' ELSE 'failed' END,
               processed_at = CASE WHEN (x.k = 'send' OR x.retryable)
                                        AND cl.attempts < current_setting('smscamp.max_attempts')::int
                                   THEN cl.processed_at ELSE now() END,
               next_attempt_at = now() + smscamp_backoff(cl.attempts, x.retry_after),
               wait_reason = 'retry', error_message = x.error, claimed_by = NULL
          FROM unnest(it) x
         WHERE (x.k = 'genfail' OR (x.k = 'send' AND x.outcome = 'retry'))
           AND cl.id = x.id AND cl.id = ANY (ids) AND cl.status IN ('processing', 'sending');
    END IF;
END
$$;

-- "sending" before the provider call, only while the campaign runs (else a
-- worker's lead goes back to pending; a manual item is marked all the same);
-- the log provider's outbox rows are written and sent at once.  A lead not
-- marked is logged as not sent.  Returns the ids marked.
CREATE OR REPLACE FUNCTION smscamp_batch_mark_sending(it smscamp_record_item[])
RETURNS bigint[]
LANGUAGE plpgsql AS $$
DECLARE
    ids bigint[];
    marked bigint[];
BEGIN
    ids := ARRAY(SELECT x.id FROM unnest(it) x WHERE x.k IN ('mark', 'log'));
    IF cardinality(ids) = 0 THEN
        RETURN '{}';
    END IF;
    -- by id (the primary key), the campaign looked up per lead: a join
    -- with campaigns could walk the campaign's index entries instead
    IF EXISTS (SELECT FROM campaign_leads cl
                WHERE cl.id = ANY (ids)
                  AND (SELECT c.status FROM campaigns c WHERE c.id = cl.campaign_id)
                      IS DISTINCT FROM 'processing') THEN
        UPDATE campaign_leads cl
           SET status = 'pending', claimed_by = NULL, attempts = greatest(cl.attempts - 1, 0),
               sms_message = coalesce(x.message, cl.sms_message),
               sms_segments = CASE WHEN x.message IS NULL THEN cl.sms_segments ELSE x.segments END,
               sms_cost = CASE WHEN x.message IS NULL THEN cl.sms_cost ELSE x.cost END,
               sms_encoding = CASE WHEN x.message IS NULL THEN cl.sms_encoding ELSE x.encoding END
          FROM unnest(it) x
         WHERE cl.id = x.id AND cl.id = ANY (ids) AND cl.status = 'processing'
           AND NOT coalesce(x.manual, false)
           AND (SELECT c.status FROM campaigns c WHERE c.id = cl.campaign_id)
               IS DISTINCT FROM 'processing';
    END IF;
    -- a mark item may bring the message just written (gen and mark at once:
    -- one row version, one round trip less)
    WITH mk AS (
        UPDATE campaign_leads cl
           SET status = 'sending', sending_at = now(),
               sms_message = CASE WHEN v.voice THEN cl.sms_message
                                  ELSE coalesce(x.message, cl.sms_message) END,
               sms_segments = CASE WHEN x.message IS NULL OR v.voice THEN cl.sms_segments
                                   ELSE x.segments END,
               sms_cost = CASE WHEN x.message IS NULL OR v.voice THEN cl.sms_cost ELSE x.cost END,
               sms_encoding = CASE WHEN x.message IS NULL OR v.voice THEN cl.sms_encoding
                                   ELSE x.encoding END,
               -- a call: "calling", committed before the Calls request
               call_script = CASE WHEN v.voice THEN coalesce(x.message, cl.call_script)
                                  ELSE cl.call_script END,
               call_words = CASE WHEN v.voice AND x.message IS NOT NULL
                                 THEN smscamp_words(x.message) ELSE cl.call_words END,
               call_status = CASE WHEN v.voice THEN 'calling' ELSE cl.call_status END
          FROM unnest(it) x
          CROSS JOIN LATERAL (SELECT x.meta ->> 'channel' = 'voice' IS TRUE AS voice) v
         WHERE cl.id = x.id AND cl.id = ANY (ids) AND cl.status = 'processing'
           AND (coalesce(x.manual, false)
                OR (SELECT c.status FROM campaigns c WHERE c.id = cl.campaign_id) = 'processing')
        RETURNING cl.id
    )
    SELECT coalesce(array_agg(mk.id), '{}') INTO marked FROM mk;
    INSERT INTO processing_logs (campaign_lead_id, level, node_name, message, metadata)
    SELECT x.id, x.level, smscamp_agent_node(x.meta), x.msg, x.meta
      FROM unnest(it) x WHERE x.message IS NOT NULL AND x.msg IS NOT NULL ORDER BY x.i;

    IF EXISTS (SELECT FROM unnest(it) x WHERE x.k = 'log' AND x.id = ANY (marked)
                                           AND x.meta ->> 'channel' = 'voice') THEN
        -- the log provider's calls: call_outbox, placed at once
        WITH box AS (
            INSERT INTO call_outbox (campaign_lead_id, to_phone, from_phone, script)
            SELECT x.id, l.phone, x.sfrom, x.body
              FROM unnest(it) x
              JOIN campaign_leads cl ON cl.id = x.id AND cl.id = ANY (marked)
              JOIN leads l ON l.id = cl.lead_id
             WHERE x.k = 'log' AND x.id = ANY (marked) AND x.meta ->> 'channel' = 'voice'
             ORDER BY x.id
            RETURNING id AS box_id, campaign_lead_id
        )
        UPDATE campaign_leads cl
           SET status = 'sent', voice_call_made = true, call_sid = 'LOG' || box.box_id,
               call_status = 'logged', error_message = NULL,
               processed_at = now(), claimed_by = NULL
          FROM box WHERE cl.id = box.campaign_lead_id;
    END IF;
    IF EXISTS (SELECT FROM unnest(it) x WHERE x.k = 'log' AND x.id = ANY (marked)
                                           AND x.meta ->> 'channel' IS DISTINCT FROM 'voice') THEN
        WITH box AS (
            INSERT INTO sms_outbox (campaign_lead_id, to_phone, from_phone, body, segments)
            SELECT x.id, l.phone, x.sfrom, x.body, smscamp_sms_segments(x.body)
              FROM unnest(it) x
              JOIN campaign_leads cl ON cl.id = x.id AND cl.id = ANY (marked)
              JOIN leads l ON l.id = cl.lead_id
             WHERE x.k = 'log' AND x.id = ANY (marked)
               AND x.meta ->> 'channel' IS DISTINCT FROM 'voice'
             ORDER BY x.id
            RETURNING id AS box_id, campaign_lead_id
        )
        UPDATE campaign_leads cl
           SET status = 'sent', sms_sent = true, sms_sid = 'LOG' || box.box_id,
               sms_provider_status = 'logged', error_message = NULL,
               processed_at = now(), claimed_by = NULL
          FROM box WHERE cl.id = box.campaign_lead_id;
    END IF;
    INSERT INTO processing_logs (campaign_lead_id, level, node_name, message, metadata)
    SELECT x.id, 'info', smscamp_agent_node(x.meta),
           CASE WHEN x.id <> ALL (marked) THEN 'Not sent: the campaign is no longer running'
                WHEN x.meta ->> 'channel' = 'voice' THEN 'Call recorded in the outbox (log provider)'
                ELSE 'SMS recorded in the outbox (log provider)' END,
           CASE WHEN x.id = ANY (marked) THEN '{"provider": "log"}'::jsonb END
      FROM unnest(it) x WHERE x.k = 'log' OR x.id <> ALL (marked) ORDER BY x.i;
    RETURN marked;
END
$$;

-- The provider's answers (retries are written by smscamp_batch_generation),
-- and the campaigns' consecutive provider errors: the errors after the
-- batch's last success (or added to the count when none succeeded); past
-- max_send_errors the campaign pauses.
CREATE OR REPLACE FUNCTION smscamp_batch_send_results(it smscamp_record_item[]) RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
    ids bigint[] := ARRAY(SELECT x.id FROM unnest(it) x);
    r record;
BEGIN
    IF NOT EXISTS (SELECT FROM unnest(it) x WHERE x.k = 'send') THEN
        RETURN;
    END IF;
    UPDATE campaign_leads cl
       SET status = 'sent', sms_sent = true, sms_sid = x.sid,
           sms_provider_status = x.pstatus,
           sms_segments = coalesce(nullif(x.nseg, 0), cl.sms_segments),
           sms_response = jsonb_build_object('sid', x.sid, 'status', x.pstatus,
                                             'num_segments', x.nseg, 'price', x.price)::text,
           error_message = NULL, processed_at = now(), claimed_by = NULL
      FROM unnest(it) x
     WHERE x.k = 'send' AND x.outcome = 'sent' AND cl.id = x.id AND cl.id = ANY (ids)
       AND x.meta ->> 'channel' IS DISTINCT FROM 'voice';
    -- a call the provider took (sql/calls.sql: its status callbacks)
    IF EXISTS (SELECT FROM unnest(it) x WHERE x.k = 'send' AND x.meta ->> 'channel' = 'voice') THEN
        UPDATE campaign_leads cl
           SET status = x.outcome, voice_call_made = (x.outcome = 'sent'),
               call_sid = x.sid,
               call_status = CASE x.outcome WHEN 'sent' THEN coalesce(smscamp_call_status(x.pstatus),
                                                                       'queued')
                                            WHEN 'unknown' THEN 'unknown' ELSE 'failed' END,
               call_cost = CASE WHEN x.price ~ '^-?[0-9]+(\.[0-9]+)?$'
                                THEN abs(x.price::numeric) END,
               error_message = CASE WHEN x.outcome = 'sent' THEN NULL ELSE x.error END,
               error_code = (x.meta ->> 'error_code')::integer,
               processed_at = now(), claimed_by = NULL
          FROM unnest(it) x
         WHERE x.k = 'send' AND x.outcome IN ('sent', 'failed', 'unknown')
           AND x.meta ->> 'channel' = 'voice' AND cl.id = x.id AND cl.id = ANY (ids);
    END IF;
    IF EXISTS (SELECT FROM unnest(it) x WHERE x.k = 'send' AND x.outcome IN ('failed', 'unknown')) THEN
        UPDATE campaign_leads cl
           SET status = x.outcome, error_message = x.error,
               error_code = (x.meta ->> 'error_code')::integer,
               processed_at = now(), claimed_by = NULL
          FROM unnest(it) x
         WHERE x.k = 'send' AND x.outcome IN ('failed', 'unknown') AND cl.id = x.id AND cl.id = ANY (ids)
           AND x.meta ->> 'channel' IS DISTINCT FROM 'voice';
        -- what the provider's error codes do to the phones (sql/senders.sql)
        INSERT INTO processing_logs (campaign_lead_id, level, node_name, message, metadata)
        SELECT e.id, 'warning', 'sms_agent', e.effect,
               jsonb_build_object('error_code', e.code, 'phone', e.phone)
          FROM (SELECT x.i, x.id, l.phone, (x.meta ->> 'error_code')::integer AS code,
                       smscamp_provider_error(l.phone, (x.meta ->> 'error_code')::integer) AS effect
                  FROM unnest(it) x
                  JOIN campaign_leads cl ON cl.id = x.id AND cl.id = ANY (ids)
                  JOIN leads l ON l.id = cl.lead_id
                 WHERE x.k = 'send' AND x.outcome = 'failed'
                   AND x.meta ->> 'error_code' IS NOT NULL) AS e
         WHERE e.effect IS NOT NULL
         ORDER BY e.i;
    END IF;
    -- nothing to count: every answer a success, no campaign with errors
    IF NOT EXISTS (SELECT FROM unnest(it) x WHERE x.outcome IS DISTINCT FROM 'sent')
       AND NOT EXISTS (SELECT FROM campaign_leads cl
                         JOIN campaigns c ON c.id = cl.campaign_id
                        WHERE cl.id = ANY (ids) AND c.consecutive_send_errors <> 0) THEN
        RETURN;
    END IF;
    FOR r IN
        WITH s AS (
            SELECT cl.campaign_id, x.i, x.id, x.outcome = 'sent' AS good
              FROM unnest(it) x JOIN campaign_leads cl ON cl.id = x.id AND cl.id = ANY (ids)
             WHERE x.k = 'send'
        ), p AS (
            SELECT s.campaign_id, max(s.i) FILTER (WHERE s.good) AS last_good
              FROM s GROUP BY s.campaign_id
        ), e AS (
            SELECT p.campaign_id, p.last_good IS NOT NULL AS reset,
                   count(s.i) FILTER (WHERE NOT s.good AND s.i > coalesce(p.last_good, 0)) AS n,
                   (array_agg(s.id ORDER BY s.i DESC) FILTER (WHERE NOT s.good))[1] AS last_bad
              FROM p JOIN s ON s.campaign_id = p.campaign_id
             GROUP BY p.campaign_id, p.last_good
        )
        UPDATE campaigns c
           SET consecutive_send_errors = CASE WHEN e.reset THEN e.n
                                              ELSE c.consecutive_send_errors + e.n END
          FROM e
         WHERE c.id = e.campaign_id
           AND c.consecutive_send_errors IS DISTINCT FROM
               CASE WHEN e.reset THEN e.n ELSE c.consecutive_send_errors + e.n END
        RETURNING c.id, c.consecutive_send_errors AS errors, c.max_send_errors, e.n, e.last_bad
    LOOP
        IF r.n > 0 AND r.errors >= r.max_send_errors THEN
            PERFORM smscamp_pause_itself(r.id,
                format('Campaign paused after %s consecutive SMS provider errors', r.errors),
                r.last_bad);
        END IF;
    END LOOP;
END
$$;

-- Completes a processing campaign that has nothing left to send.  The
-- counters (campaign_stats, kept by triggers) answer first: reading them
-- costs the same at any point of the campaign, where a search of
-- campaign_leads walks the index entries of every lead already done.  Only
-- when they say "nothing left" is the campaign locked and campaign_leads
-- looked at (once per campaign, to be sure).  Two workers finishing the last
-- two leads at the same moment may each still see the other's lead: the
-- housekeeping (every second) completes the campaign then.
CREATE OR REPLACE FUNCTION smscamp_unfinished_count(p_campaign bigint) RETURNS bigint
LANGUAGE plpgsql STABLE AS $$
BEGIN
    RETURN (SELECT coalesce(sum(s.unfinished), 0)::bigint
              FROM campaign_stats s WHERE s.campaign_id = p_campaign);
END
$$;

CREATE OR REPLACE FUNCTION smscamp_complete_campaign(p_campaign bigint) RETURNS boolean
LANGUAGE plpgsql AS $$
BEGIN
    IF smscamp_unfinished_count(p_campaign) <> 0 THEN
        RETURN false;
    END IF;
    -- lock, then look again: two workers finishing the last two leads
    PERFORM FROM campaigns WHERE id = p_campaign AND status = 'processing' FOR UPDATE;
    IF NOT FOUND OR smscamp_unfinished_count(p_campaign) <> 0
       OR EXISTS (SELECT FROM campaign_leads
                   WHERE campaign_id = p_campaign
                     AND status IN ('pending', 'processing', 'sending'))
       -- agent_type both: the calls after the SMS too (sql/calls.sql)
       OR EXISTS (SELECT FROM campaign_leads
                   WHERE campaign_id = p_campaign
                     AND call_status IN ('scheduled', 'writing', 'calling')) THEN
        RETURN false;
    END IF;
    UPDATE campaigns SET status = 'completed', completed_at = now() WHERE id = p_campaign;
    RETURN true;
END
$$;

-- finalize for the leads of a batch that are done with this attempt: a log
-- row each, then the completion of their campaigns.
CREATE OR REPLACE FUNCTION smscamp_batch_finalize(p_ids bigint[]) RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
    cid bigint;
BEGIN
    IF cardinality(p_ids) = 0 THEN
        RETURN;
    END IF;
    INSERT INTO processing_logs (campaign_lead_id, level, node_name, message, metadata)
    SELECT cl.id,
           CASE WHEN cl.status = 'pending' THEN 'warning'
                WHEN cl.status IN ('sent', 'delivered', 'skipped') THEN 'info'
                ELSE 'error' END,
           'finalize',
           CASE WHEN cl.status = 'pending'
                THEN format('Attempt %s failed; retry scheduled', cl.attempts)
                ELSE format('Lead finished: %s', cl.status) END,
           CASE WHEN cl.status = 'pending'
                THEN jsonb_build_object('status', cl.status, 'attempts', cl.attempts,
                                        'next_attempt_at', cl.next_attempt_at,
                                        'error', cl.error_message)
                ELSE jsonb_build_object('status', cl.status, 'attempts', cl.attempts,
                                        'sms_segments', cl.sms_segments,
                                        'sms_cost', cl.sms_cost, 'error', cl.error_message)
           END
      FROM unnest(p_ids) WITH ORDINALITY AS f(id, n)
      JOIN campaign_leads cl ON cl.id = f.id AND cl.id = ANY (p_ids)
     ORDER BY f.n;
    FOR cid IN
        SELECT DISTINCT cl.campaign_id FROM campaign_leads cl
         WHERE cl.id = ANY (p_ids) AND cl.status <> 'pending'
         ORDER BY 1
    LOOP
        PERFORM smscamp_complete_campaign(cid);
    END LOOP;
END
$$;

-- Record a batch: p_items is a JSON array of smscamp_record_item objects, at
-- most one per lead: a worker's pass, or the one item of a node called from
-- SQL.  The only writer of a lead's progress.  Set-based: one statement per
-- kind of write for the whole batch, so the statistics triggers add one
-- delta per campaign per statement.  The rows are locked first, in id order:
-- every writer that locks many campaign leads (smscamp_cancel too) takes
-- them in that order, so none can deadlock with another.  An error fails the
-- whole batch: the worker then records each item alone, through this same
-- function.  Answers a row per mark or log item (ok: the lead was marked
-- sending) and per item that finished its lead (finalized), with the lead's
-- status, segments and cost after the batch (what the worker counts).
CREATE OR REPLACE FUNCTION smscamp_record_batch(p_items jsonb)
RETURNS TABLE (i integer, ok boolean, status text, segments integer, cost numeric)
LANGUAGE plpgsql AS $$
DECLARE
    ids bigint[];
    a smscamp_record_item[];     -- all
    v smscamp_record_item[];     -- valid, skip
    g smscamp_record_item[];     -- gen, genfail
    m smscamp_record_item[];     -- mark, log
    snd smscamp_record_item[];   -- send
    f smscamp_record_item[];     -- final
    marked bigint[] := '{}';
    done bigint[];
BEGIN
    -- one pass over the items: each statement below reads only its kinds
    SELECT array_agg(x.id ORDER BY x.id), array_agg(x ORDER BY x.i),
           array_agg(x ORDER BY x.i) FILTER (WHERE x.k IN ('valid', 'skip')),
           array_agg(x ORDER BY x.i) FILTER (WHERE x.k IN ('gen', 'genfail')),
           array_agg(x ORDER BY x.i) FILTER (WHERE x.k IN ('mark', 'log')),
           array_agg(x ORDER BY x.i) FILTER (WHERE x.k = 'send'),
           array_agg(x ORDER BY x.i) FILTER (WHERE x.k = 'final')
      INTO ids, a, v, g, m, snd, f
      FROM jsonb_populate_recordset(NULL::smscamp_record_item, p_items) x;
    IF ids IS NULL THEN
        RETURN;
    END IF;
    PERFORM FROM campaign_leads cl
     WHERE cl.id = ANY (ids)
     ORDER BY cl.id
       FOR UPDATE OF cl;

    IF v IS NOT NULL THEN
        PERFORM smscamp_batch_validation(v);
    END IF;
    IF g IS NOT NULL OR snd IS NOT NULL THEN
        PERFORM smscamp_batch_generation(coalesce(g, '{}') || coalesce(snd, '{}'));
    END IF;
    IF m IS NOT NULL THEN
        marked := smscamp_batch_mark_sending(m);
    END IF;
    IF snd IS NOT NULL THEN
        PERFORM smscamp_batch_send_results(snd);
    END IF;
    IF g IS NOT NULL OR snd IS NOT NULL THEN
        -- the sms_agent rows the nodes wrote (what was generated, what the
        -- provider said)
        INSERT INTO processing_logs (campaign_lead_id, level, node_name, message, metadata)
        SELECT x.id, x.level, smscamp_agent_node(x.meta), x.msg, x.meta
          FROM unnest(coalesce(g, '{}') || coalesce(snd, '{}')) x
         WHERE x.k IN ('gen', 'send') ORDER BY x.i;
    END IF;
    IF f IS NOT NULL THEN
        -- a lead finalized by hand that no node finished (cancelled, say)
        UPDATE campaign_leads cl SET processed_at = now()
         WHERE cl.id = ANY (ARRAY(SELECT x.id FROM unnest(f) x))
           AND cl.processed_at IS NULL
           AND cl.status NOT IN ('pending', 'processing', 'sending');
    END IF;
    -- finalize: the leads done with this attempt, but for a node called alone
    done := ARRAY(SELECT x.id FROM unnest(a) x
                   WHERE (x.k IN ('skip', 'genfail', 'send', 'final')
                          OR (x.k = 'log' AND x.id = ANY (marked)))
                     AND NOT coalesce(x.alone, false)
                   ORDER BY x.i);
    PERFORM smscamp_batch_finalize(done);

    RETURN QUERY
    SELECT x.i, CASE WHEN x.k IN ('mark', 'log') THEN x.id = ANY (marked) END,
           cl.status, cl.sms_segments, cl.sms_cost
      FROM unnest(a) x
      JOIN campaign_leads cl ON cl.id = x.id AND cl.id = ANY (ids)
     WHERE x.k IN ('mark', 'log') OR x.id = ANY (done)
     ORDER BY x.i;
END
$$;

------------------------------------------------------------------------------
-- Housekeeping: owned by the background workers (pg_extension/worker.c): each
-- runs it once when it starts, the first one every second after that
------------------------------------------------------------------------------

-- The pids of the workers alive on this node that hold claims: none when the
-- claims in the tables are of another server's life or an earlier one (a
-- promoted standby, a restart: engine_node in schema.sql), which this call
-- then records as over.  The first housekeeping of a worker runs before its
-- first claim, so a new life is recorded before any of its claims is made.
CREATE OR REPLACE FUNCTION smscamp_live_workers() RETURNS integer[]
LANGUAGE plpgsql AS $$
DECLARE
    v_life text := (SELECT system_identifier::text FROM pg_control_system())
                   || '/' || current_setting('port')
                   || '/' || pg_postmaster_start_time()::text;
    v_known text;
BEGIN
    SELECT life INTO v_known FROM engine_node;
    IF v_known IS DISTINCT FROM v_life THEN
        SELECT life INTO v_known FROM engine_node FOR UPDATE;
        IF NOT FOUND THEN
            -- the first time (a new or an upgraded database): the claims are this
            -- node's; its workers' pids say which are live
            INSERT INTO engine_node (life) VALUES (v_life) ON CONFLICT (one) DO NOTHING;
        ELSIF v_known <> v_life THEN
            UPDATE engine_node SET life = v_life, since = now();
            RAISE LOG 'smscamp: the workers run on a new server life (%, was %): every claim before it is recovered',
                v_life, v_known;
            RETURN '{}';
        END IF;
    END IF;
    RETURN ARRAY(SELECT pid FROM pg_stat_activity WHERE backend_type = 'smscamp worker');
END
$$;

CREATE OR REPLACE FUNCTION smscamp_housekeeping() RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
    live integer[];
    stuck bigint[];
    r record;
BEGIN
    -- scheduled campaigns whose time has come
    UPDATE campaigns SET status = 'pending'
     WHERE status = 'scheduled' AND scheduled_at <= now();
    IF FOUND THEN
        PERFORM smscamp_wake();
    END IF;

    -- leads held by workers that are gone (or of another server: smscamp_live_workers)
    live := smscamp_live_workers();
    IF EXISTS (SELECT FROM campaign_leads
                WHERE status IN ('processing', 'sending')
                  AND (claimed_by IS NULL OR claimed_by <> ALL (live))) THEN
        PERFORM pg_advisory_xact_lock(727001);
        IF live <> '{}' THEN
            live := smscamp_live_workers();
        END IF;
        UPDATE campaign_leads SET status = 'pending', claimed_by = NULL
         WHERE status = 'processing' AND (claimed_by IS NULL OR claimed_by <> ALL (live));
        WITH gone AS (
            UPDATE campaign_leads
               SET status = 'unknown', processed_at = now(), claimed_by = NULL,
                   error_message = CASE WHEN call_status = 'calling'
                       THEN 'The worker stopped while calling: the call may have been '
                            || 'placed, so it is not placed again automatically'
                       ELSE 'The worker stopped while sending: the SMS may '
                            || 'have been sent, so it is not resent automatically' END,
                   call_status = CASE WHEN call_status = 'calling' THEN 'unknown'
                                      ELSE call_status END
             WHERE status = 'sending' AND (claimed_by IS NULL OR claimed_by <> ALL (live))
            RETURNING id
        )
        SELECT array_agg(gone.id ORDER BY gone.id) INTO stuck FROM gone;
        PERFORM smscamp_batch_finalize(coalesce(stuck, '{}'));
    END IF;
    -- calls after an SMS held by workers that are gone (sql/calls.sql)
    IF EXISTS (SELECT FROM campaign_leads WHERE call_status IN ('writing', 'calling')
                                            AND call_claimed_by <> ALL (live)) THEN
        PERFORM smscamp_recover_calls(live);
    END IF;
    -- status callbacks that came before their SID was recorded (sql/callbacks.sql)
    IF EXISTS (SELECT FROM early_callbacks) THEN
        PERFORM smscamp_apply_early_callbacks();
    END IF;
    -- messages held by workers that are gone (sql/outbound.sql)
    IF EXISTS (SELECT FROM messages WHERE claimed_by IS NOT NULL AND claimed_by <> ALL (live)) THEN
        PERFORM smscamp_recover_outbound(live);
    END IF;

    -- campaigns with nothing left to do (the counters first, see above)
    FOR r IN SELECT c.id FROM campaigns c
              WHERE c.status = 'processing' AND smscamp_unfinished_count(c.id) = 0
              ORDER BY c.id
    LOOP
        PERFORM smscamp_complete_campaign(r.id);
    END LOOP;
END
$$;

-- (the api files' CALL smscamp_secure_api() revokes these from PUBLIC)
