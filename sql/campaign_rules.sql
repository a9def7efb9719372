-- smscamp campaign rules: which status changes a campaign and a campaign lead
-- may make, checked by triggers whoever makes them (the routes, psql, the
-- workers).  The table campaign_status_transitions is defined in schema.sql;
-- its rows are here.
--
-- Idempotent: loaded on every start after workflow.sql.
--
-- Statuses
-- --------
-- Campaign: draft -> scheduled/pending; scheduled -> pending/cancelled/draft;
-- pending -> processing/paused/cancelled; processing -> paused/completed/
-- failed/cancelled; paused -> pending/cancelled.  Every other change is
-- refused by a trigger (SQLSTATE SC409, i.e. HTTP 409), whoever makes it.
--
-- Campaign lead:
--   pending      waiting to be processed (also: the campaign is draft/paused)
--   processing   claimed by a worker: validating / writing the message
--   sending      the SMS is being handed to the provider (committed before
--                the provider call: never resent blindly)
--   sent         the provider accepted the SMS
--   delivered    the provider reported delivery (status callback)
--   undelivered  the provider reported the SMS could not be delivered
--   failed       not sent: provider refused it, or retries were exhausted
--   skipped      not sent: validation failed (opted out, bad phone, ...)
--   cancelled    not sent: the campaign was cancelled first
--   unknown      the worker stopped mid-send: the SMS may or may not have
--                gone out; an operator (or a status callback) resolves it
-- A lead that is sent, delivered, undelivered, failed, skipped or cancelled
-- never goes back to pending/processing/sending (at most once).

SET client_min_messages = warning;

------------------------------------------------------------------------------
-- Campaign status transitions
------------------------------------------------------------------------------

-- exactly these (a configuration table: rows that are not here are removed)
CREATE TEMP TABLE smscamp_wanted_transitions (from_status text, to_status text)
    ON COMMIT DROP;
INSERT INTO smscamp_wanted_transitions VALUES
    ('draft', 'scheduled'), ('draft', 'pending'),
    ('scheduled', 'pending'), ('scheduled', 'cancelled'), ('scheduled', 'draft'),
    ('pending', 'processing'), ('pending', 'paused'), ('pending', 'cancelled'),
    ('processing', 'paused'), ('processing', 'completed'), ('processing', 'failed'),
    ('processing', 'cancelled'),
    ('paused', 'pending'), ('paused', 'cancelled');
DELETE FROM campaign_status_transitions t
 WHERE NOT EXISTS (SELECT FROM smscamp_wanted_transitions w
                    WHERE w.from_status = t.from_status AND w.to_status = t.to_status);
INSERT INTO campaign_status_transitions (from_status, to_status)
SELECT from_status, to_status FROM smscamp_wanted_transitions
ON CONFLICT DO NOTHING;
DROP TABLE smscamp_wanted_transitions;

-- The verb of a change to a status, for messages: "Cannot pause a campaign
-- that is draft".
CREATE OR REPLACE FUNCTION smscamp_status_verb(p_from text, p_to text) RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE
RETURN CASE p_to
    WHEN 'scheduled'  THEN 'schedule'
    WHEN 'pending'    THEN CASE WHEN p_from = 'paused' THEN 'resume' ELSE 'start' END
    WHEN 'processing' THEN 'process'
    WHEN 'paused'     THEN 'pause'
    WHEN 'completed'  THEN 'complete'
    WHEN 'failed'     THEN 'fail'
    WHEN 'cancelled'  THEN 'cancel'
    WHEN 'draft'      THEN 'unschedule'
    ELSE 'change'
END;

-- 409 "Cannot <verb> a campaign that is <status>" (+ what is possible).
CREATE OR REPLACE FUNCTION smscamp_refuse_transition(p_id bigint, p_from text, p_verb text)
RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
    v_next text;
BEGIN
    SELECT string_agg(t.to_status, ', ' ORDER BY t.to_status) INTO v_next
      FROM campaign_status_transitions t WHERE t.from_status = p_from;
    PERFORM api_error(409, to_jsonb(format('Cannot %s a campaign that is %s (campaign %s%s)',
        p_verb, p_from, p_id,
        CASE WHEN v_next IS NULL THEN ': its status is final'
             ELSE ': a ' || p_from || ' campaign can become ' || v_next END)));
END
$$;

CREATE OR REPLACE FUNCTION smscamp_check_campaign_transition() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF NOT EXISTS (SELECT FROM campaign_status_transitions t
                    WHERE t.from_status = OLD.status AND t.to_status = NEW.status) THEN
        PERFORM smscamp_refuse_transition(OLD.id, OLD.status,
                                          smscamp_status_verb(OLD.status, NEW.status));
    END IF;
    RETURN NEW;
END
$$;

CREATE OR REPLACE TRIGGER campaigns_status_transition
    BEFORE UPDATE OF status ON campaigns
    FOR EACH ROW WHEN (OLD.status IS DISTINCT FROM NEW.status)
    EXECUTE FUNCTION smscamp_check_campaign_transition();

-- Campaign leads: a finished lead never becomes pending/processing/sending
-- again; sent ones may only learn their delivery outcome; unknown ones are
-- resolved by an operator or a status callback.  The WHEN clause keeps this
-- off the hot path (only rows leaving a final status call the function).
CREATE OR REPLACE FUNCTION smscamp_check_lead_transition() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF (OLD.status = 'sent' AND NEW.status IN ('delivered', 'undelivered', 'failed'))
       OR (OLD.status = 'unknown' AND NEW.status IN ('sent', 'delivered', 'undelivered',
                                                      'failed', 'cancelled', 'pending')) THEN
        RETURN NEW;
    END IF;
    PERFORM api_error(409, to_jsonb(format(
        'Campaign lead %s is %s: it cannot become %s', OLD.id, OLD.status, NEW.status)));
    RETURN NULL;
END
$$;

CREATE OR REPLACE TRIGGER campaign_leads_status_transition
    BEFORE UPDATE OF status ON campaign_leads
    FOR EACH ROW WHEN (OLD.status IS DISTINCT FROM NEW.status
                       AND OLD.status IN ('sent', 'delivered', 'undelivered', 'failed',
                                          'skipped', 'cancelled', 'unknown'))
    EXECUTE FUNCTION smscamp_check_lead_transition();

