-- smscamp campaign lifecycle: start, pause, resume, cancel and schedule, one
-- code path for the HTTP routes (sql/api/campaigns.sql) and psql
-- (SELECT smscamp_start(3);), and what deleting a lead does to its campaigns.
--
-- Idempotent: loaded on every start after campaign_progress.sql.
--
-- Deleting a lead
-- ---------------
-- keeps what was sent: its campaign leads that never started (pending, no
-- attempt, no message) are deleted with it, the others stay with lead_id NULL
-- and the name and phone they were messaged at (lead_name, lead_phone); those
-- still waiting are cancelled first, so a deleted lead is never messaged
-- (smscamp_lead_deleted, a trigger on leads).

SET client_min_messages = warning;

------------------------------------------------------------------------------
-- Lifecycle: one code path for the HTTP routes and psql
------------------------------------------------------------------------------

-- (404s come from helpers.sql's api_not_found; the older helper goes)
DROP FUNCTION IF EXISTS smscamp_campaign_not_found(bigint);

-- The campaign, locked for the rest of the transaction; 404 when missing.
CREATE OR REPLACE FUNCTION smscamp_campaign_lock(p_id bigint) RETURNS campaigns
LANGUAGE plpgsql AS $$
DECLARE
    c campaigns;
BEGIN
    SELECT * INTO c FROM campaigns WHERE id = p_id FOR UPDATE;
    IF NOT FOUND THEN
        PERFORM api_not_found('Campaign', p_id);
    END IF;
    RETURN c;
END
$$;

-- A writer's refusal with the two ways out: a template, or a model.
CREATE OR REPLACE FUNCTION smscamp_writer_way_out(p_problem text) RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE
RETURN p_problem || CASE
    WHEN p_problem LIKE 'The built-in writer%' THEN
        '. Nothing was sent. Either write the message as a template (sms_template, e.g. '
        '"Hi {first_name}, ...": sent as written), or configure an AI model '
        '(smscamp.openai_api_key) to write from the prompt.'
    ELSE '. Nothing was sent.'
END;

-- Whether the campaign's messages can be written as things are: a template
-- that is valid, or a prompt the built-in writer understands (when no model
-- is configured), or a prompt or template for the model.  422 otherwise,
-- saying what to do.
CREATE OR REPLACE FUNCTION smscamp_check_writer(c campaigns) RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
    v_plan jsonb;
    v_model boolean := (smscamp_writer_info() ->> 'kind') = 'llm';
BEGIN
    -- a voice campaign's script: from its voice prompt, else as an SMS's
    IF c.agent_type = 'voice' AND c.voice_system_prompt IS NOT NULL THEN
        c.sms_system_prompt := c.voice_system_prompt;
        c.sms_template := NULL;
    END IF;
    IF c.sms_template IS NULL AND c.sms_system_prompt IS NULL THEN
        PERFORM api_error(422, to_jsonb(format(
            'Campaign %s has nothing to send: give it a message template (sms_template) or '
            'instructions for the writer (sms_system_prompt%s)', c.id,
            CASE WHEN c.agent_type = 'voice' THEN ', or voice_system_prompt for its calls' ELSE '' END)));
    END IF;
    IF c.sms_template IS NOT NULL AND smscamp_template_problem(c.sms_template) IS NOT NULL THEN
        PERFORM api_error(422, to_jsonb('The message template cannot be used: '
                                        || smscamp_template_problem(c.sms_template)));
    END IF;
    IF NOT v_model AND c.sms_template IS NULL THEN
        v_plan := smscamp_writer_explain(c.sms_system_prompt, c.sender_name);
        IF NOT (v_plan ->> 'ok')::boolean THEN
            PERFORM api_error(422, to_jsonb(smscamp_writer_way_out(
                'The built-in writer (no AI model is configured) cannot write a message from '
                'this prompt: ' || (v_plan ->> 'error'))));
        END IF;
    END IF;
END
$$;

-- What a campaign needs before it may be queued: leads, and messages (a
-- voice campaign's call scripts) that can be written.
CREATE OR REPLACE FUNCTION smscamp_check_startable(c campaigns, p_verb text) RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
    IF NOT EXISTS (SELECT FROM campaign_leads cl WHERE cl.campaign_id = c.id) THEN
        PERFORM api_error(409, to_jsonb(format(
            'Cannot %s campaign %s: it has no leads (add leads with POST /api/campaigns/%s/leads)',
            p_verb, c.id, c.id)));
    END IF;
    PERFORM smscamp_check_writer(c);
END
$$;

-- draft -> pending, and the workers are woken (at commit).  A paused
-- campaign is resumed.
CREATE OR REPLACE FUNCTION smscamp_start(p_campaign_id bigint) RETURNS json
LANGUAGE plpgsql AS $$
DECLARE
    c campaigns := smscamp_campaign_lock(p_campaign_id);
BEGIN
    IF c.status = 'paused' THEN
        RETURN smscamp_resume(p_campaign_id);
    END IF;
    IF c.status <> 'draft' THEN
        PERFORM smscamp_refuse_transition(c.id, c.status, 'start');
    END IF;
    PERFORM smscamp_check_startable(c, 'start');
    UPDATE campaigns
       SET status = 'pending', scheduled_at = NULL, consecutive_send_errors = 0
     WHERE id = c.id;
    PERFORM smscamp_wake();
    RETURN smscamp_campaign_json(c.id);
END
$$;

-- A campaign in one of p_from moved to p_to by p_action (a verb for the
-- refusal: 409 from any other status); to pending, with a fresh budget of
-- consecutive send errors and the workers woken (at commit).
CREATE OR REPLACE FUNCTION smscamp_move(p_campaign_id bigint, p_action text, p_from text[],
                                        p_to text) RETURNS json
LANGUAGE plpgsql AS $$
DECLARE
    c campaigns := smscamp_campaign_lock(p_campaign_id);
BEGIN
    IF NOT c.status = ANY (p_from) THEN
        PERFORM smscamp_refuse_transition(c.id, c.status, p_action);
    END IF;
    UPDATE campaigns
       SET status = p_to, paused_reason = NULL,
           consecutive_send_errors = CASE WHEN p_to = 'pending' THEN 0
                                          ELSE consecutive_send_errors END,
           filtered_count = CASE WHEN p_to = 'pending' THEN 0 ELSE filtered_count END
     WHERE id = c.id;
    IF p_to = 'pending' THEN
        PERFORM smscamp_wake();
    END IF;
    RETURN smscamp_campaign_json(c.id);
END
$$;

-- A campaign that pauses itself (provider errors, carrier filtering, no
-- active sender): pending/processing -> paused, with the reason shown on the
-- campaign (paused_reason, until it is resumed) and logged on the campaign
-- lead p_campaign_lead_id (NULL: none).  False when it was not running.
CREATE OR REPLACE FUNCTION smscamp_pause_itself(p_campaign_id bigint, p_reason text,
                                                p_campaign_lead_id bigint DEFAULT NULL)
RETURNS boolean
LANGUAGE plpgsql AS $$
BEGIN
    UPDATE campaigns SET status = 'paused', paused_reason = p_reason
     WHERE id = p_campaign_id AND status IN ('pending', 'processing');
    IF NOT FOUND THEN
        RETURN false;
    END IF;
    IF p_campaign_lead_id IS NOT NULL THEN
        PERFORM smscamp_log(p_campaign_lead_id, 'error', 'sms_agent', p_reason,
                            jsonb_build_object('campaign_id', p_campaign_id,
                                               'paused_reason', p_reason));
    END IF;
    RETURN true;
END
$$;

-- pending/processing -> paused.  Unsent leads stay pending; leads a worker
-- holds in 'processing' are put back by the worker.
CREATE OR REPLACE FUNCTION smscamp_pause(p_campaign_id bigint) RETURNS json
LANGUAGE sql
RETURN smscamp_move(p_campaign_id, 'pause', ARRAY['pending', 'processing'], 'paused');

-- paused -> pending, a fresh budget of consecutive send errors, workers woken.
CREATE OR REPLACE FUNCTION smscamp_resume(p_campaign_id bigint) RETURNS json
LANGUAGE sql
RETURN smscamp_move(p_campaign_id, 'resume', ARRAY['paused'], 'pending');

-- -> cancelled; its pending and processing leads become cancelled (leads
-- being sent are left to the worker, which records what the provider says).
-- Lock order, the same as the workers' (smscamp_record_batch): the campaign
-- leads first, in id order, then the campaign row.  A worker records a batch
-- by locking its leads in id order, then maybe its campaign (consecutive
-- errors, completion); claiming skips locked rows.  So this waits for
-- workers and workers wait for it, but never both at once.
CREATE OR REPLACE FUNCTION smscamp_cancel(p_campaign_id bigint) RETURNS json
LANGUAGE plpgsql AS $$
DECLARE
    v_status text;
BEGIN
    SELECT c.status INTO v_status FROM campaigns c WHERE c.id = p_campaign_id;
    IF NOT FOUND THEN
        PERFORM api_not_found('Campaign', p_campaign_id);
    END IF;
    IF NOT EXISTS (SELECT FROM campaign_status_transitions t
                    WHERE t.from_status = v_status AND t.to_status = 'cancelled') THEN
        PERFORM smscamp_refuse_transition(p_campaign_id, v_status, 'cancel');
    END IF;
    PERFORM FROM campaign_leads cl
     WHERE cl.campaign_id = p_campaign_id AND cl.status IN ('pending', 'processing')
     ORDER BY cl.id
       FOR UPDATE OF cl;
    UPDATE campaign_leads
       SET status = 'cancelled', claimed_by = NULL, processed_at = now(),
           error_message = 'Campaign cancelled before this lead was sent'
     WHERE campaign_id = p_campaign_id AND status IN ('pending', 'processing');
    -- agent_type both: the calls after the SMS not placed yet are not placed
    UPDATE campaign_leads SET call_status = 'skipped'
     WHERE campaign_id = p_campaign_id AND call_status = 'scheduled';
    -- the trigger refuses it if the campaign finished meanwhile
    UPDATE campaigns SET status = 'cancelled', completed_at = now()
     WHERE id = p_campaign_id;
    RETURN smscamp_campaign_json(p_campaign_id);
END
$$;

-- draft (or scheduled: a new time) -> scheduled at p_at, which must be in
-- the future; the pg_cron housekeeping starts it then.  p_at NULL takes a
-- scheduled campaign back to draft.
CREATE OR REPLACE FUNCTION smscamp_schedule(p_campaign_id bigint, p_at timestamptz)
RETURNS json
LANGUAGE plpgsql AS $$
DECLARE
    c campaigns := smscamp_campaign_lock(p_campaign_id);
BEGIN
    IF p_at IS NULL THEN
        IF c.status <> 'scheduled' THEN
            PERFORM smscamp_refuse_transition(c.id, c.status, 'unschedule');
        END IF;
        UPDATE campaigns SET status = 'draft', scheduled_at = NULL WHERE id = c.id;
        RETURN smscamp_campaign_json(c.id);
    END IF;
    IF c.status NOT IN ('draft', 'scheduled') THEN
        PERFORM smscamp_refuse_transition(c.id, c.status, 'schedule');
    END IF;
    IF p_at <= now() THEN
        PERFORM api_validation_error(jsonb_build_array(api_error_item(
            '["body","scheduled_at"]',
            format('scheduled_at must be in the future (it is %s, now is %s)', p_at, now()),
            'value_error')));
    END IF;
    PERFORM smscamp_check_startable(c, 'schedule');
    UPDATE campaigns SET status = 'scheduled', scheduled_at = p_at WHERE id = c.id;
    RETURN smscamp_campaign_json(c.id);
END
$$;

------------------------------------------------------------------------------
-- Deleting a lead keeps what was sent to it
------------------------------------------------------------------------------

-- Before a lead row goes (the foreign key then sets lead_id NULL on what is
-- left of its campaign leads): its campaign leads that never started
-- (pending, no attempt, no message) are deleted; the others keep the name
-- and phone they were messaged at (the outbox's to_phone when the log
-- provider recorded the message, else the lead's phone); those still waiting
-- (pending after an attempt, or held by a worker before it marked them
-- sending) are cancelled, so a deleted lead is never messaged: the worker's
-- mark finds them no longer processing.  Those being sent are left to the
-- worker, which records what the provider says.  The rows are locked in id
-- order, as every writer of many campaign leads does (smscamp_record_batch).
-- The statistics triggers count all of it like any other change.
CREATE OR REPLACE FUNCTION smscamp_lead_deleted() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    PERFORM FROM campaign_leads cl WHERE cl.lead_id = OLD.id ORDER BY cl.id FOR UPDATE OF cl;
    DELETE FROM campaign_leads cl
     WHERE cl.lead_id = OLD.id AND cl.status = 'pending' AND cl.attempts = 0
       AND cl.sms_message IS NULL AND NOT cl.sms_sent;
    UPDATE campaign_leads cl
       SET lead_name = OLD.name,
           lead_phone = coalesce((SELECT b.to_phone FROM sms_outbox b
                                   WHERE b.campaign_lead_id = cl.id
                                   ORDER BY b.id DESC LIMIT 1), OLD.phone),
           status = CASE WHEN cl.status IN ('pending', 'processing') THEN 'cancelled'
                         ELSE cl.status END,
           error_message = CASE WHEN cl.status IN ('pending', 'processing')
                                THEN 'Lead deleted before it was sent'
                                ELSE cl.error_message END,
           processed_at = CASE WHEN cl.status IN ('pending', 'processing') THEN now()
                               ELSE cl.processed_at END,
           claimed_by = CASE WHEN cl.status IN ('pending', 'processing') THEN NULL
                             ELSE cl.claimed_by END
     WHERE cl.lead_id = OLD.id;
    RETURN OLD;
END
$$;

CREATE OR REPLACE TRIGGER leads_delete_campaign_leads
    BEFORE DELETE ON leads
    FOR EACH ROW EXECUTE FUNCTION smscamp_lead_deleted();

-- (the api files' CALL smscamp_secure_api() revokes these from PUBLIC)


-- A lead's new phone starts clean: what the provider said of the old one
-- (phone_status, sql/senders.sql) goes.
CREATE OR REPLACE FUNCTION smscamp_lead_phone_changed() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    NEW.phone_status := NULL;
    NEW.phone_status_at := NULL;
    RETURN NEW;
END
$$;

CREATE OR REPLACE TRIGGER leads_phone_status_reset
    BEFORE UPDATE OF phone ON leads
    FOR EACH ROW WHEN (NEW.phone IS DISTINCT FROM OLD.phone AND OLD.phone_status IS NOT NULL)
    EXECUTE FUNCTION smscamp_lead_phone_changed();
