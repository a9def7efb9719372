-- smscamp_cancel and a worker recording a batch (smscamp_record_batch) lock
-- the same campaign leads: both take them in id order, so they wait for
-- each other but never deadlock.  Deterministic: three other sessions
-- (dblink), each step waited for.
--   A holds lead 2 (as any writer may);
--   B cancels the campaign: locks lead 1, then waits for lead 2;
--   C records a batch naming lead 3 then lead 1: in id order it waits for
--     lead 1 without holding lead 3 (taking lead 3 first would deadlock:
--     B needs it next, C waits for B);
--   A commits: B finishes, then C.
BEGIN;
SET client_min_messages = warning;
SELECT plan(8);
CREATE EXTENSION IF NOT EXISTS dblink;

CREATE FUNCTION pg_temp.connstr() RETURNS text
LANGUAGE sql AS $$
    SELECT format('dbname=%s port=%s host=%s user=%s', current_database(),
                  current_setting('port'),
                  split_part(current_setting('unix_socket_directories'), ',', 1),
                  current_user)
$$;
-- true once session p_conn waits for a row lock (at most ~10 s)
CREATE FUNCTION pg_temp.waits_for_lock(p_conn text) RETURNS boolean
LANGUAGE plpgsql AS $$
DECLARE
    pid integer := (SELECT p FROM dblink('lock-test-s', format(
        'SELECT pid FROM pg_stat_activity WHERE application_name = %L', p_conn)) AS t(p integer));
BEGIN
    FOR i IN 1 .. 200 LOOP
        IF (SELECT w FROM dblink('lock-test-s', format(
                'SELECT wait_event_type = ''Lock'' FROM pg_stat_activity WHERE pid = %s', pid))
                AS t(w boolean)) THEN
            RETURN true;
        END IF;
        PERFORM pg_sleep(0.05);
    END LOOP;
    RETURN false;
END
$$;
-- the error of session p_conn's query, '' when it succeeded
CREATE FUNCTION pg_temp.outcome(p_conn text) RETURNS text
LANGUAGE plpgsql AS $$
DECLARE
    r record;
BEGIN
    FOR r IN SELECT * FROM dblink_get_result(p_conn, false) AS t(x text) LOOP
    END LOOP;
    PERFORM * FROM dblink_get_result(p_conn, false) AS t(x text);
    RETURN CASE WHEN dblink_error_message(p_conn) = 'OK' THEN ''
                ELSE dblink_error_message(p_conn) END;
END
$$;

SELECT dblink_connect('lock-test-s', pg_temp.connstr());
SELECT dblink_connect(c, pg_temp.connstr() || ' application_name=' || c)
  FROM unnest(ARRAY['lock-test-a', 'lock-test-b', 'lock-test-c']) AS c;

-- committed data (the other sessions must see it): a paused campaign (no
-- worker claims it) with three pending leads
SELECT dblink_exec('lock-test-s', $$
    DELETE FROM leads WHERE phone LIKE '+4477009027%';
    INSERT INTO leads (name, phone)
    SELECT 'Lock order ' || i, '+44770090270' || i FROM generate_series(1, 3) AS i;
    INSERT INTO campaigns (name, status) VALUES ('lock order test', 'paused');
    INSERT INTO campaign_leads (campaign_id, lead_id)
    SELECT (SELECT max(id) FROM campaigns WHERE name = 'lock order test'), l.id
      FROM leads l WHERE l.phone LIKE '+4477009027%' ORDER BY l.id$$);
CREATE TEMP TABLE t AS
SELECT x.cid, x.l1, x.l2, x.l3
  FROM dblink('lock-test-s', $$
    SELECT c.id, min(cl.id), min(cl.id) + 1, max(cl.id)
      FROM campaigns c JOIN campaign_leads cl ON cl.campaign_id = c.id
     WHERE c.name = 'lock order test' GROUP BY c.id$$)
       AS x(cid bigint, l1 bigint, l2 bigint, l3 bigint);

SELECT dblink_exec('lock-test-a', 'BEGIN');
SELECT is((SELECT count(*)::int FROM dblink('lock-test-a', format(
              'SELECT 1 FROM campaign_leads WHERE id = %s FOR UPDATE', (SELECT l2 FROM t)))
              AS x(one int)), 1, 'another session holds lead 2');
SELECT dblink_send_query('lock-test-b', format('SELECT smscamp_cancel(%s)::text', (SELECT cid FROM t)));
SELECT ok(pg_temp.waits_for_lock('lock-test-b'), 'cancel waits for the lead another session holds');

SELECT dblink_send_query('lock-test-c', format(
    'SELECT ok::text FROM smscamp_record_batch(%L)',
    jsonb_build_array(
        jsonb_build_object('i', 1, 'k', 'gen', 'id', (SELECT l3 FROM t), 'message', 'Hi 3',
                           'segments', 1, 'cost', 0.0079, 'encoding', 'GSM-7',
                           'level', 'info', 'msg', 'Message generated'),
        jsonb_build_object('i', 2, 'k', 'gen', 'id', (SELECT l1 FROM t), 'message', 'Hi 1',
                           'segments', 1, 'cost', 0.0079, 'encoding', 'GSM-7',
                           'level', 'info', 'msg', 'Message generated'))));
SELECT ok(pg_temp.waits_for_lock('lock-test-c'), 'a batch naming lead 3 then lead 1 waits for lead 1');
SELECT is((SELECT count(*)::int FROM dblink('lock-test-s', format(
              'SELECT 1 FROM campaign_leads WHERE id = %s FOR UPDATE SKIP LOCKED', (SELECT l3 FROM t)))
              AS x(one int)), 1,
          '... without holding lead 3 (the lock order is the lead id)');

SELECT dblink_exec('lock-test-a', 'COMMIT');
SELECT is(pg_temp.outcome('lock-test-b'), '', 'the cancel finishes (no deadlock)');
SELECT is(pg_temp.outcome('lock-test-c'), '', 'the batch finishes (no deadlock)');
SELECT is((SELECT x FROM dblink('lock-test-s', format(
              'SELECT string_agg(status || '':'' || coalesce(sms_message, ''-''), '','' ORDER BY id)
                 FROM campaign_leads WHERE campaign_id = %s', (SELECT cid FROM t))) AS x(x text)),
          'cancelled:Hi 1,cancelled:-,cancelled:Hi 3',
          'every lead cancelled; the batch recorded its messages after the cancel');
SELECT is((SELECT x FROM dblink('lock-test-s', format(
              'SELECT status FROM campaigns WHERE id = %s', (SELECT cid FROM t))) AS x(x text)),
          'cancelled', 'the campaign is cancelled');

SELECT dblink_exec('lock-test-s', $$
    DELETE FROM campaigns WHERE name = 'lock order test';
    DELETE FROM leads WHERE phone LIKE '+4477009027%'$$);
SELECT dblink_disconnect(c)
  FROM unnest(ARRAY['lock-test-s', 'lock-test-a', 'lock-test-b', 'lock-test-c']) AS c;

SELECT * FROM finish();
ROLLBACK;
