-- The record path: smscamp_claim_leads and smscamp_record_batch (one
-- statement for many leads), then the worker's fallback when a batch fails
-- (each item alone, through the same function).
--
-- Part 1 commits a campaign through another session (dblink) and lets the
-- workers run it (built-in writer, "log" provider) with one lead that a
-- trigger refuses to mark sent: that lead fails alone, the others are sent.
-- Part 2 runs in this file's transaction (the workers do not see it): the
-- batch items one kind after another, the rows, logs and counters they
-- leave.
BEGIN;
SET client_min_messages = warning;
SELECT plan(48);

------------------------------------------------------------------------------
-- Part 1: the workers, with a lead that cannot be sent
------------------------------------------------------------------------------
CREATE EXTENSION IF NOT EXISTS dblink;
SELECT dblink_connect('batch-s', format('dbname=%s port=%s host=%s user=%s', current_database(),
                      current_setting('port'),
                      split_part(current_setting('unix_socket_directories'), ',', 1),
                      current_user));
-- (no lock held here yet: the other session's CREATE TRIGGER would wait for
-- this transaction, which waits for it; lock_timeout turns such a mistake
-- into an error)
SELECT dblink_exec('batch-s', 'SET lock_timeout = ''10s''');
SELECT dblink_exec('batch-s', $setup$
    DROP TRIGGER IF EXISTS smscamp_test_refuse_sent ON campaign_leads;
    DELETE FROM campaigns WHERE name = 'batch fallback test';
    DELETE FROM leads WHERE phone LIKE '+4477009034%';
    INSERT INTO leads (name, phone)
    SELECT 'Fallback ' || i, '+44770090340' || i FROM generate_series(1, 5) AS i;
    INSERT INTO campaigns (name, send_window, sms_template)
    VALUES ('batch fallback test', NULL, 'Hi {first_name}, our spring sale starts Monday.');
    INSERT INTO campaign_leads (campaign_id, lead_id)
    SELECT (SELECT max(id) FROM campaigns WHERE name = 'batch fallback test'), l.id
      FROM leads l WHERE l.phone LIKE '+4477009034%' ORDER BY l.id;
    CREATE OR REPLACE FUNCTION smscamp_test_refuse_sent() RETURNS trigger
    LANGUAGE plpgsql AS $f$
    BEGIN
        RAISE EXCEPTION 'test: campaign lead % may not be sent', NEW.id;
    END
    $f$;
    DO $d$
    BEGIN
        EXECUTE format('CREATE TRIGGER smscamp_test_refuse_sent BEFORE UPDATE ON campaign_leads
                        FOR EACH ROW WHEN (NEW.status = ''sent'' AND NEW.lead_id = %s)
                        EXECUTE FUNCTION smscamp_test_refuse_sent()',
                       (SELECT id FROM leads WHERE phone = '+447700903403'));
    END
    $d$$setup$);
CREATE TEMP TABLE f AS
SELECT id FROM campaigns WHERE name = 'batch fallback test';
SELECT is((SELECT x FROM dblink('batch-s', format('SELECT smscamp_start(%s)::json ->> %L',
                                                  (SELECT id FROM f), 'status')) AS t(x text)),
          'pending', 'the campaign starts');
DO $$
BEGIN
    FOR i IN 1 .. 300 LOOP
        EXIT WHEN (SELECT status FROM campaigns WHERE id = (SELECT id FROM f)) = 'completed';
        PERFORM pg_sleep(0.1);
    END LOOP;
END
$$;
SELECT is((SELECT status FROM campaigns WHERE id = (SELECT id FROM f)), 'completed',
          'the workers complete the campaign');
SELECT is((SELECT string_agg(cl.status, ' ' ORDER BY l.phone)
             FROM campaign_leads cl JOIN leads l ON l.id = cl.lead_id
            WHERE cl.campaign_id = (SELECT id FROM f)),
          'sent sent failed sent sent', 'the lead that cannot be sent fails alone');
SELECT is((SELECT cl.error_message FROM campaign_leads cl JOIN leads l ON l.id = cl.lead_id
            WHERE l.phone = '+447700903403'),
          'internal error while processing this lead (see the server log)',
          '... with an explanation');
SELECT is((SELECT count(*)::int FROM sms_outbox b JOIN campaign_leads cl ON cl.id = b.campaign_lead_id
            WHERE cl.campaign_id = (SELECT id FROM f)), 4, 'four messages in the outbox');
SELECT is((SELECT count(DISTINCT pl.campaign_lead_id)::int FROM processing_logs pl
             JOIN campaign_leads cl ON cl.id = pl.campaign_lead_id
            WHERE cl.campaign_id = (SELECT id FROM f) AND pl.node_name = 'finalize'), 5,
          'every lead has its finalize row');
SELECT is_empty('SELECT * FROM smscamp_stats_diff()', 'after the workers: counters == recount');

-- (the trigger is dropped after this transaction: DROP TRIGGER would wait
-- for the locks it holds)
SELECT dblink_exec('batch-s', $$
    DELETE FROM campaigns WHERE name = 'batch fallback test';
    DELETE FROM leads WHERE phone LIKE '+4477009034%'$$);
SELECT dblink_disconnect('batch-s');


-- leads +44770090330x, a campaign in status p_status with them, the
-- campaign leads already claimed (processing, attempt 1)
DELETE FROM leads WHERE phone LIKE '+4477009033%';
INSERT INTO leads (name, phone)
SELECT 'Batch ' || i, '+44770090330' || i FROM generate_series(1, 9) AS i;
CREATE FUNCTION pg_temp.campaign(p_status text, p_leads integer[]) RETURNS bigint
LANGUAGE plpgsql AS $$
DECLARE
    v_id bigint;
BEGIN
    INSERT INTO campaigns (name, status, send_window, max_send_errors, sms_template)
    VALUES ('batch ' || p_status, p_status, NULL, 2, 'Hi {first_name}, our spring sale starts Monday.') RETURNING id INTO v_id;
    INSERT INTO campaign_leads (campaign_id, lead_id)
    SELECT v_id, l.id FROM leads l
     WHERE l.phone IN (SELECT '+44770090330' || n FROM unnest(p_leads) n) ORDER BY l.id;
    UPDATE campaign_leads SET status = 'processing', attempts = 1 WHERE campaign_id = v_id;
    RETURN v_id;
END
$$;
-- the id of the campaign lead of lead +44770090330<n>
CREATE FUNCTION pg_temp.cl(n integer) RETURNS bigint
LANGUAGE sql AS $$
SELECT cl.id FROM campaign_leads cl JOIN leads l ON l.id = cl.lead_id
 WHERE l.phone = '+44770090330' || n ORDER BY cl.id DESC LIMIT 1
$$;
CREATE FUNCTION pg_temp.item(i integer, k text, n integer, extra jsonb DEFAULT '{}')
RETURNS jsonb
LANGUAGE sql AS $$ SELECT jsonb_build_object('i', i, 'k', k, 'id', pg_temp.cl(n)) || extra $$;
CREATE FUNCTION pg_temp.gen(msg text) RETURNS jsonb
LANGUAGE sql AS $$
SELECT jsonb_build_object('message', msg, 'segments', 1, 'cost', 0.0079, 'encoding', 'GSM-7',
                          'level', 'info', 'msg', 'Message generated (1 segment, test)',
                          'meta', jsonb_build_object('segments', 1))
$$;
CREATE FUNCTION pg_temp.logs(n integer) RETURNS text
LANGUAGE sql AS $$
SELECT string_agg(node_name || '/' || level || ': ' || message, ' | ' ORDER BY id)
  FROM processing_logs WHERE campaign_lead_id = pg_temp.cl(n)
$$;
CREATE FUNCTION pg_temp.st(n integer) RETURNS text
LANGUAGE sql AS $$ SELECT status FROM campaign_leads WHERE id = pg_temp.cl(n) $$;

------------------------------------------------------------------------------
-- Part 2: the items
------------------------------------------------------------------------------
CREATE TEMP TABLE c AS SELECT pg_temp.campaign('processing', ARRAY[1, 2, 3, 4]) AS id;
UPDATE campaigns SET agent_type = 'both' WHERE id = (SELECT id FROM c);

-- validate_lead
SELECT results_eq(format('SELECT i, ok, status FROM smscamp_record_batch(%L)', jsonb_build_array(
    pg_temp.item(1, 'valid', 1, '{"phone": "+447700903301", "both": false}'),
    pg_temp.item(2, 'skip', 2, '{"errors": ["recipient has opted out", "name is missing"]}'),
    pg_temp.item(3, 'valid', 3, '{"phone": "+447700903303", "both": true}'),
    pg_temp.item(4, 'valid', 4, '{"phone": "+447700903304", "both": false}'))),
    $$VALUES (2, NULL::boolean, 'skipped')$$,
    'validation items: a row for the skipped lead (finished), none for the valid ones');
SELECT is(pg_temp.logs(1), 'validate_lead/info: Lead validated', 'valid: its log row');
SELECT is((SELECT metadata FROM processing_logs WHERE campaign_lead_id = pg_temp.cl(1)),
          '{"phone": "+447700903301"}'::jsonb, 'valid: the phone in the metadata');
SELECT is(pg_temp.logs(3), 'validate_lead/info: Lead validated',
          'valid, agent both: validated (its call is scheduled once its SMS is sent)');
SELECT is(pg_temp.st(2), 'skipped', 'skip: the lead is skipped');
SELECT is((SELECT error_message FROM campaign_leads WHERE id = pg_temp.cl(2)),
          'Validation failed: recipient has opted out; name is missing', 'skip: the reasons');
SELECT isnt((SELECT processed_at FROM campaign_leads WHERE id = pg_temp.cl(2)), NULL,
            'skip: processed_at');
SELECT is(pg_temp.logs(2), 'validate_lead/warning: Lead skipped: recipient has opted out | '
          'finalize/info: Lead finished: skipped', 'skip: validate_lead and finalize rows');

-- generation with the sending mark, the log provider, a failed generation
SELECT results_eq(format('SELECT i, ok, status FROM smscamp_record_batch(%L)', jsonb_build_array(
    pg_temp.item(1, 'mark', 1, pg_temp.gen('Hello one')),
    pg_temp.item(2, 'log', 3, pg_temp.gen('Hello three')
                              || '{"sfrom": "+15005550006", "body": "Hello three"}'),
    pg_temp.item(3, 'genfail', 4, '{"error": "LLM timed out", "retryable": true, "retry_after": 30}'))),
    $$VALUES (1, true, 'sending'), (2, true, 'sent'), (3, NULL::boolean, 'pending')$$,
    'mark and log items: marked; the failed generation finished its attempt');
SELECT is(pg_temp.st(1), 'sending', 'mark: sending');
SELECT is((SELECT sms_message || ' ' || sms_segments || ' ' || sms_cost || ' ' || sms_encoding
             FROM campaign_leads WHERE id = pg_temp.cl(1)), 'Hello one 1 0.0079 GSM-7',
          'mark with a message: the message recorded with the mark');
SELECT is(pg_temp.st(3), 'sent', 'log: sent');
SELECT is((SELECT count(*)::int FROM sms_outbox
            WHERE campaign_lead_id = pg_temp.cl(3) AND body = 'Hello three'
              AND from_phone = '+15005550006'), 1, 'log: one outbox row');
SELECT matches((SELECT sms_sid FROM campaign_leads WHERE id = pg_temp.cl(3)), '^LOG[0-9]+$',
               'log: the outbox row is the sid');
SELECT alike(pg_temp.logs(3), '%sms_agent/info: Message generated (1 segment, test) | '
            'sms_agent/info: SMS recorded in the outbox (log provider) | '
            'finalize/info: Lead finished: sent', 'log: generation, send and finalize rows');
SELECT is(pg_temp.st(4), 'pending', 'genfail, retryable: pending again');
SELECT cmp_ok((SELECT next_attempt_at FROM campaign_leads WHERE id = pg_temp.cl(4)), '>=',
              now() + interval '30 s', 'genfail: Retry-After honoured');
SELECT alike(pg_temp.logs(4), '%sms_agent/error: LLM timed out | '
            'finalize/warning: Attempt 1 failed; retry scheduled', 'genfail: error and finalize rows');

-- the provider's answer
SELECT results_eq(format('SELECT * FROM smscamp_record_batch(%L)', jsonb_build_array(
    pg_temp.item(1, 'send', 1, '{"outcome": "sent", "sid": "SMbatch1", "pstatus": "queued",
                                 "nseg": 1, "price": "-0.0079", "level": "info",
                                 "msg": "SMS accepted by the provider"}'))),
    $$VALUES (1, NULL::boolean, 'sent', 1, 0.0079)$$,
    'a send item: the lead, finished, with its segments and cost');
SELECT is((SELECT status || ' ' || sms_sid || ' ' || sms_sent FROM campaign_leads
            WHERE id = pg_temp.cl(1)), 'sent SMbatch1 true', 'send: sent, with the sid');
SELECT is((SELECT status FROM campaigns WHERE id = (SELECT id FROM c)), 'processing',
          'a lead still pending: the campaign goes on');

-- the last lead fails for good: the campaign completes
UPDATE campaign_leads SET status = 'processing' WHERE id = pg_temp.cl(4);
SELECT results_eq(format('SELECT i, ok, status FROM smscamp_record_batch(%L)', jsonb_build_array(
    pg_temp.item(1, 'genfail', 4, '{"error": "bad request", "retryable": false}'))),
    $$VALUES (1, NULL::boolean, 'failed')$$, 'a final generation failure');
SELECT is(pg_temp.st(4) || ' ' || ((SELECT processed_at FROM campaign_leads
                                     WHERE id = pg_temp.cl(4)) IS NOT NULL)::text,
          'failed true', 'genfail, not retryable: failed, processed_at');
SELECT is((SELECT status FROM campaigns WHERE id = (SELECT id FROM c)), 'processing',
          'no lead left, but this "both" campaign''s calls after the SMS are still due: it goes on');
UPDATE campaign_leads SET call_status = 'logged' WHERE campaign_id = (SELECT id FROM c)
                                                    AND call_status = 'scheduled';
SELECT smscamp_complete_campaign((SELECT id FROM c));
SELECT is((SELECT status FROM campaigns WHERE id = (SELECT id FROM c)), 'completed',
          'nothing left, the calls placed: the campaign completed');

-- a refused change fails the whole batch (the worker then goes lead by lead)
SELECT throws_ok(format('SELECT * FROM smscamp_record_batch(%L)', jsonb_build_array(
    pg_temp.item(1, 'send', 2, '{"outcome": "sent", "sid": "SMbad", "level": "info", "msg": "x"}'))),
    'SC409', NULL, 'a skipped lead cannot be sent: the batch fails');

-- consecutive provider errors pause the campaign (max_send_errors 2)
CREATE TEMP TABLE p AS SELECT pg_temp.campaign('processing', ARRAY[5, 6, 7, 8]) AS id;
UPDATE campaign_leads SET status = 'sending'
 WHERE campaign_id = (SELECT id FROM p) AND id <> pg_temp.cl(8);
SELECT results_eq(format('SELECT i, ok, status FROM smscamp_record_batch(%L)', jsonb_build_array(
    pg_temp.item(1, 'send', 5, '{"outcome": "failed", "error": "HTTP 400", "level": "error", "msg": "HTTP 400"}'),
    pg_temp.item(2, 'send', 6, '{"outcome": "sent", "sid": "SMok6", "level": "info", "msg": "ok"}'),
    pg_temp.item(3, 'send', 7, '{"outcome": "unknown", "error": "timeout", "level": "error", "msg": "timeout"}'))),
    $$VALUES (1, NULL::boolean, 'failed'), (2, NULL, 'sent'), (3, NULL, 'unknown')$$,
    'three answers: failed, sent, unknown');
SELECT is((SELECT consecutive_send_errors || ' ' || status FROM campaigns WHERE id = (SELECT id FROM p)),
          '1 processing', 'the errors after the last success count: 1');
SELECT is(pg_temp.st(5) || ' ' || pg_temp.st(6) || ' ' || pg_temp.st(7), 'failed sent unknown',
          'each lead its outcome');
UPDATE campaign_leads SET status = 'sending' WHERE id = pg_temp.cl(8);
SELECT results_eq(format('SELECT i, ok, status FROM smscamp_record_batch(%L)', jsonb_build_array(
    pg_temp.item(1, 'send', 8, '{"outcome": "retry", "error": "HTTP 429", "retry_after": 5,
                                 "level": "error", "msg": "HTTP 429"}'))),
    $$VALUES (1, NULL::boolean, 'pending')$$, 'a retry answer: its attempt finished');
SELECT is(pg_temp.st(8), 'pending', 'retry: pending again');
SELECT is((SELECT status FROM campaigns WHERE id = (SELECT id FROM p)), 'paused',
          'a second consecutive error: the campaign paused');
SELECT alike(pg_temp.logs(8), '%sms_agent/error: Campaign paused after 2 consecutive SMS provider errors%',
             'the pause is logged');

-- a node called from SQL: manual (the campaign need not be running), alone
-- (recorded, not finalized), final (finalize only); a worker's lead of a
-- paused campaign is not marked
INSERT INTO leads (name, phone) VALUES ('Batch 10', '+4477009033010');
CREATE TEMP TABLE q AS SELECT pg_temp.campaign('paused', ARRAY[9, 10]) AS id;
SELECT results_eq(format('SELECT i, ok, status FROM smscamp_record_batch(%L)', jsonb_build_array(
    pg_temp.item(1, 'mark', 9, pg_temp.gen('Hello nine') || '{"manual": true, "alone": true}'))),
    $$VALUES (1, true, 'sending')$$, 'manual: a paused campaign''s lead is marked all the same');
SELECT is(pg_temp.logs(9), 'sms_agent/info: Message generated (1 segment, test)',
          'manual mark: the message logged, nothing else');
SELECT is_empty(format('SELECT * FROM smscamp_record_batch(%L)', jsonb_build_array(
    pg_temp.item(1, 'send', 9, '{"outcome": "sent", "sid": "SMnine", "level": "info",
                                 "msg": "SMS accepted by the provider", "alone": true}'))),
    'alone: a send recorded, not finalized (no row)');
SELECT results_eq(format('SELECT i, ok, status FROM smscamp_record_batch(%L)', jsonb_build_array(
    pg_temp.item(1, 'final', 9))),
    $$VALUES (1, NULL::boolean, 'sent')$$, 'final: the lead finalized on its own');
SELECT is(pg_temp.logs(9), 'sms_agent/info: Message generated (1 segment, test) | '
          'sms_agent/info: SMS accepted by the provider | finalize/info: Lead finished: sent',
          'alone, then final: one finalize row, last');
SELECT results_eq(format('SELECT i, ok, status FROM smscamp_record_batch(%L)', jsonb_build_array(
    pg_temp.item(1, 'mark', 10))),
    $$VALUES (1, false, 'pending')$$, 'a worker''s lead of a paused campaign: not marked, pending again');
SELECT is(pg_temp.logs(10), 'sms_agent/info: Not sent: the campaign is no longer running',
          '... and logged as not sent');

SELECT is_empty('SELECT * FROM smscamp_stats_diff()', 'after the batches: counters == recount');

SELECT * FROM finish();
ROLLBACK;

DROP TRIGGER IF EXISTS smscamp_test_refuse_sent ON campaign_leads;
DROP FUNCTION IF EXISTS smscamp_test_refuse_sent();
