-- Campaign and campaign-lead status rules, enforced by the database itself
-- (sql/campaign_rules.sql): every change is checked, whoever makes it.
BEGIN;
SET client_min_messages = warning;
SELECT plan(76);

-- The transition table holds exactly the transitions of issue 3.
SELECT set_eq(
    'SELECT from_status, to_status FROM campaign_status_transitions',
    $$VALUES ('draft', 'scheduled'), ('draft', 'pending'),
             ('scheduled', 'pending'), ('scheduled', 'cancelled'), ('scheduled', 'draft'),
             ('pending', 'processing'), ('pending', 'paused'), ('pending', 'cancelled'),
             ('processing', 'paused'), ('processing', 'completed'), ('processing', 'failed'),
             ('processing', 'cancelled'),
             ('paused', 'pending'), ('paused', 'cancelled')$$,
    'campaign_status_transitions holds exactly the allowed transitions');

SELECT has_trigger('campaigns', 'campaigns_status_transition', 'campaigns has the transition trigger');

-- A campaign in a given status (inserted directly: INSERT is not a transition).
CREATE FUNCTION pg_temp.campaign_in(p_status text) RETURNS bigint
LANGUAGE sql AS $$
    INSERT INTO campaigns (name, status) VALUES ('transition test ' || p_status, p_status)
    RETURNING id
$$;

-- Every ordered pair of different statuses: allowed ones succeed, the others
-- are refused with SQLSTATE SC409 (HTTP 409).
SELECT CASE WHEN EXISTS (SELECT FROM campaign_status_transitions t
                          WHERE t.from_status = f.s AND t.to_status = o.s)
            THEN lives_ok(format('UPDATE campaigns SET status = %L WHERE id = %s',
                                 o.s, pg_temp.campaign_in(f.s)),
                          format('%s -> %s is allowed', f.s, o.s))
            ELSE throws_ok(format('UPDATE campaigns SET status = %L WHERE id = %s',
                                  o.s, pg_temp.campaign_in(f.s)),
                           'SC409', NULL,
                           format('%s -> %s is refused with SC409', f.s, o.s))
       END
  FROM unnest(ARRAY['draft', 'scheduled', 'pending', 'processing', 'paused', 'completed',
                    'failed', 'cancelled']) AS f(s),
       unnest(ARRAY['draft', 'scheduled', 'pending', 'processing', 'paused', 'completed',
                    'failed', 'cancelled']) AS o(s)
 WHERE f.s <> o.s
 ORDER BY f.s, o.s;

-- The messages say what was refused.
SELECT throws_matching(
    format('UPDATE campaigns SET status = ''paused'' WHERE id = %s', pg_temp.campaign_in('draft')),
    '^\{"detail": "Cannot pause a campaign that is draft \(campaign \d+: a draft campaign can become pending, scheduled\)"\}$',
    'pausing a draft: "Cannot pause a campaign that is draft" (as JSON detail)');
SELECT throws_matching(
    format('UPDATE campaigns SET status = ''pending'' WHERE id = %s', pg_temp.campaign_in('completed')),
    'Cannot start a campaign that is completed \(campaign \d+: its status is final\)',
    'completed -> pending: "Cannot start a campaign that is completed ... its status is final"');
SELECT throws_matching(
    format('UPDATE campaigns SET status = ''completed'' WHERE id = %s', pg_temp.campaign_in('draft')),
    'Cannot complete a campaign that is draft',
    'draft -> completed is refused');

-- An UPDATE that does not change the status is not a transition.
SELECT lives_ok(
    format('UPDATE campaigns SET status = ''completed'', name = ''renamed'' WHERE id = %s',
           pg_temp.campaign_in('completed')),
    'setting the same status (with other changes) is fine');

-- A refused change leaves the row as it was (the statement fails as a whole).
CREATE TEMP TABLE two AS
SELECT pg_temp.campaign_in('pending') AS a, pg_temp.campaign_in('draft') AS b;
SELECT throws_ok(
    'UPDATE campaigns SET status = ''paused'' WHERE id IN (SELECT a FROM two UNION ALL SELECT b FROM two)',
    'SC409', NULL, 'a multi-row UPDATE with one refused row fails');
SELECT is((SELECT array_agg(c.status ORDER BY c.id) FROM campaigns c
            WHERE c.id IN (SELECT a FROM two UNION ALL SELECT b FROM two)),
          ARRAY['pending', 'draft'], '... and changes nothing');

------------------------------------------------------------------------------
-- Campaign leads: finished leads never go back
------------------------------------------------------------------------------

SELECT has_trigger('campaign_leads', 'campaign_leads_status_transition',
                   'campaign_leads has the status trigger');

DELETE FROM leads WHERE phone LIKE '+4477009000%';
INSERT INTO leads (name, phone) VALUES ('Transition Lead', '+447700900001');
CREATE TEMP TABLE cl (start_status text, id bigint);
WITH c AS MATERIALIZED (
    SELECT s.status, pg_temp.campaign_in('processing') AS campaign_id
      FROM unnest(ARRAY['pending', 'processing', 'sending', 'sent', 'delivered', 'undelivered',
                        'failed', 'skipped', 'cancelled', 'unknown']) AS s(status)
), ins AS (
    INSERT INTO campaign_leads (campaign_id, lead_id, status)
    SELECT c.campaign_id, l.id, c.status
      FROM c, leads l WHERE l.phone = '+447700900001'
    RETURNING id, status
)
INSERT INTO cl SELECT ins.status, ins.id FROM ins;

-- a helper: UPDATE the lead that started in status s to status t
CREATE FUNCTION pg_temp.move(s text, t text) RETURNS text
LANGUAGE sql AS $$
    SELECT format('UPDATE campaign_leads SET status = %L WHERE id = %s', t,
                  (SELECT id FROM cl WHERE start_status = s))
$$;

-- the engine's forward path
SELECT lives_ok(pg_temp.move('pending', 'processing'), 'lead pending -> processing');
SELECT lives_ok(pg_temp.move('processing', 'sending'), 'lead processing -> sending');
SELECT lives_ok(pg_temp.move('sending', 'sent'), 'lead sending -> sent');
SELECT lives_ok(pg_temp.move('sent', 'delivered'), 'lead sent -> delivered (status callback)');
SELECT lives_ok(pg_temp.move('unknown', 'sent'), 'lead unknown -> sent (resolved)');
-- at most once: what is finished stays finished
SELECT throws_ok(pg_temp.move('delivered', 'pending'), 'SC409', NULL,
                 'lead delivered -> pending is refused');
SELECT throws_matching(pg_temp.move('undelivered', 'sending'),
                       'Campaign lead \d+ is undelivered: it cannot become sending',
                       'lead undelivered -> sending is refused with a clear message');
SELECT throws_ok(pg_temp.move('failed', 'processing'), 'SC409', NULL,
                 'lead failed -> processing is refused');
SELECT throws_ok(pg_temp.move('skipped', 'pending'), 'SC409', NULL,
                 'lead skipped -> pending is refused');
SELECT throws_ok(pg_temp.move('cancelled', 'skipped'), 'SC409', NULL,
                 'lead cancelled -> skipped is refused');
SELECT throws_ok(
    format('UPDATE campaign_leads SET status = ''pending'' WHERE id = %s',
           (SELECT id FROM cl WHERE start_status = 'sending')),
    'SC409', NULL, 'lead sent (was sending) -> pending is refused: never resent');

SELECT * FROM finish();
ROLLBACK;
