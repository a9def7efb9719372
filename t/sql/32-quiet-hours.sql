-- Quiet hours: a campaign's send_window ('HH:MM-HH:MM', default 08:00-21:00)
-- is read in the recipient's time zone: the lead's timezone when set, else
-- its phone's (by area code for +1: 310 -> America/Los_Angeles; else the
-- main zone of the country: +44 -> Europe/London).  A lead whose
-- window is closed is not claimed: it is deferred to when the window opens
-- (next_attempt_at), without counting an attempt.  NULL = no quiet hours.
--
-- The windows are computed from now(), so that they are open or closed
-- whatever the hour the test runs.  One transaction, rolled back.
BEGIN;

SELECT plan(34);

SELECT is(smscamp_phone_timezone('+12125550123'), 'America/New_York', '+1 -> America/New_York');
SELECT is(smscamp_phone_timezone('+447911123456'), 'Europe/London', '+44 -> Europe/London');

-- pg_temp.win(zone, a, b): 'HH:MM-HH:MM' of local time now + a .. now + b in a zone;
-- pg_temp.opens(zone, a): when a window that starts at local now + a next opens
\ir lib/send_window.sql

------------------------------------------------------------------------------
-- smscamp_window_opens
------------------------------------------------------------------------------

SELECT is(smscamp_window_opens(NULL, 'America/New_York'), now(), 'no window: open now');
SELECT is(smscamp_window_opens('08:00-21:00', NULL), now(), 'no zone: open now');
SELECT is(smscamp_window_opens('00:00-24:00', 'America/New_York'), now(), '00:00-24:00 is always open');
SELECT is(smscamp_window_opens(pg_temp.win('America/New_York', '-1 hour', '1 hour'), 'America/New_York'),
          now(), 'open window (now-1h .. now+1h in New York): now');
SELECT is(smscamp_window_opens(pg_temp.win('America/New_York', '2 hours', '3 hours'), 'America/New_York'),
          pg_temp.opens('America/New_York', '2 hours'),
          'closed window (now+2h .. now+3h in New York): opens at its start, '
          || pg_temp.win('America/New_York', '2 hours', '3 hours'));
SELECT is(smscamp_window_opens(pg_temp.win('America/New_York', '2 hours', '-1 hour'), 'America/New_York'),
          pg_temp.opens('America/New_York', '2 hours'),
          'closed window crossing midnight or not (now+2h .. now-1h): opens at its start');
SELECT is(smscamp_window_opens(pg_temp.win('America/New_York', '-2 hours', '-3 hours'), 'America/New_York'),
          now(), 'open 23-hour window (now-2h .. now-3h): now');
SELECT is(smscamp_window_opens(pg_temp.win('Europe/London', '-1 hour', '1 hour'), 'America/New_York'),
          pg_temp.opens('America/New_York',
                        ((now() AT TIME ZONE 'Europe/London') - (now() AT TIME ZONE 'America/New_York'))
                        - interval '1 hour'),
          'a window open in London is closed in New York: it opens later there');

------------------------------------------------------------------------------
-- smscamp_claim defers leads outside their window
------------------------------------------------------------------------------

\ir lib/free_phone.sql
\ir lib/campaign_in.sql

CREATE FUNCTION pg_temp.campaign(p_window text) RETURNS bigint
LANGUAGE sql RETURN pg_temp.campaign_in('processing', 'pgTAP quiet hours', 'Spring sale Monday!', p_window);

CREATE FUNCTION pg_temp.lead_in(p_campaign bigint, p_name text, p_prefix text) RETURNS bigint
LANGUAGE sql AS $$
WITH l AS (INSERT INTO leads (name, phone) VALUES (p_name, pg_temp.free_phone(p_prefix)) RETURNING id)
INSERT INTO campaign_leads (campaign_id, lead_id) SELECT p_campaign, l.id FROM l RETURNING id
$$;

CREATE TEMP TABLE q (name text PRIMARY KEY, id bigint) ON COMMIT DROP;
-- closed in New York now
INSERT INTO q VALUES ('closed', pg_temp.campaign(pg_temp.win('America/New_York', '2 hours', '3 hours')));
-- no quiet hours
INSERT INTO q VALUES ('always', pg_temp.campaign(NULL));
-- open in London now, closed in New York (5 hours behind, 4 for a few weeks a year)
INSERT INTO q VALUES ('london', pg_temp.campaign(pg_temp.win('Europe/London', '-1 hour', '1 hour')));

INSERT INTO q SELECT 'ny_closed', pg_temp.lead_in((SELECT id FROM q WHERE name = 'closed'), 'Nora Night', '+1212555');
INSERT INTO q SELECT 'ny_always', pg_temp.lead_in((SELECT id FROM q WHERE name = 'always'), 'Dan Day', '+1212555');
INSERT INTO q SELECT 'uk_london', pg_temp.lead_in((SELECT id FROM q WHERE name = 'london'), 'Liz London', '+44791112');
INSERT INTO q SELECT 'ny_london', pg_temp.lead_in((SELECT id FROM q WHERE name = 'london'), 'Ned York', '+1212555');

SELECT is(smscamp_window_opens(c.send_window, smscamp_phone_timezone(l.phone)) > now(), true,
          'the New York lead''s window is closed now (' || c.send_window || ')')
  FROM campaign_leads cl JOIN leads l ON l.id = cl.lead_id JOIN campaigns c ON c.id = cl.campaign_id
 WHERE cl.id = (SELECT id FROM q WHERE name = 'ny_closed');

CREATE TEMP TABLE claimed ON COMMIT DROP AS
SELECT id FROM smscamp_claim(pg_backend_pid(), 100000);

SELECT ok(NOT EXISTS (SELECT FROM claimed WHERE id = (SELECT id FROM q WHERE name = 'ny_closed')),
          'a lead outside its window is not claimed');
SELECT is(status, 'pending', 'it stays pending') FROM campaign_leads WHERE id = (SELECT id FROM q WHERE name = 'ny_closed');
SELECT is(attempts, 0, 'no attempt is counted') FROM campaign_leads WHERE id = (SELECT id FROM q WHERE name = 'ny_closed');
SELECT is(next_attempt_at, pg_temp.opens('America/New_York', '2 hours'),
          'next_attempt_at = the window''s start in New York')
  FROM campaign_leads WHERE id = (SELECT id FROM q WHERE name = 'ny_closed');
SELECT is(claimed_by, NULL, 'it is not held by anyone') FROM campaign_leads WHERE id = (SELECT id FROM q WHERE name = 'ny_closed');
SELECT is((SELECT count(*) FROM sms_outbox WHERE campaign_lead_id = (SELECT id FROM q WHERE name = 'ny_closed')),
          0::bigint, 'nothing is sent to it');

SELECT ok(EXISTS (SELECT FROM claimed WHERE id = (SELECT id FROM q WHERE name = 'ny_always')),
          'a lead of a campaign without quiet hours is claimed');
SELECT is(status || '/' || attempts, 'processing/1', 'claimed: processing, attempt 1')
  FROM campaign_leads WHERE id = (SELECT id FROM q WHERE name = 'ny_always');
SELECT is(claimed_by, pg_backend_pid(), 'claimed by the claimer')
  FROM campaign_leads WHERE id = (SELECT id FROM q WHERE name = 'ny_always');

SELECT ok(EXISTS (SELECT FROM claimed WHERE id = (SELECT id FROM q WHERE name = 'uk_london')),
          'the window is read in the recipient''s zone: open in London, the UK lead is claimed');
SELECT ok(NOT EXISTS (SELECT FROM claimed WHERE id = (SELECT id FROM q WHERE name = 'ny_london')),
          'same campaign, closed in New York: the US lead is not claimed');
SELECT is(status || '/' || attempts, 'pending/0', 'the US lead waits without an attempt')
  FROM campaign_leads WHERE id = (SELECT id FROM q WHERE name = 'ny_london');
SELECT ok(next_attempt_at > now(), 'the US lead''s next attempt is in the future')
  FROM campaign_leads WHERE id = (SELECT id FROM q WHERE name = 'ny_london');

-- North America by area code: a window open in New York now is closed in Los Angeles
INSERT INTO q VALUES ('ny_open', pg_temp.campaign(pg_temp.win('America/New_York', '-1 hour', '1 hour')));
INSERT INTO q SELECT 'la', pg_temp.lead_in((SELECT id FROM q WHERE name = 'ny_open'), 'Lou Angel', '+1310555');
INSERT INTO q SELECT 'ny', pg_temp.lead_in((SELECT id FROM q WHERE name = 'ny_open'), 'Nat York', '+1212555');
-- a +1 310 phone whose lead lives in New York (timezone set on the lead)
INSERT INTO q SELECT 'la_phone_ny_lead', pg_temp.lead_in((SELECT id FROM q WHERE name = 'ny_open'),
                                                        'Moe Ved', '+1310555');
UPDATE leads SET timezone = 'America/New_York'
 WHERE id = (SELECT lead_id FROM campaign_leads WHERE id = (SELECT id FROM q WHERE name = 'la_phone_ny_lead'));

CREATE TEMP TABLE claimed_na ON COMMIT DROP AS
SELECT id FROM smscamp_claim(pg_backend_pid(), 100000);
SELECT ok(EXISTS (SELECT FROM claimed_na WHERE id = (SELECT id FROM q WHERE name = 'ny')),
          'open in New York: the +1 212 lead is claimed');
SELECT ok(NOT EXISTS (SELECT FROM claimed_na WHERE id = (SELECT id FROM q WHERE name = 'la')),
          'same campaign, closed in Los Angeles: the +1 310 lead is not claimed');
SELECT is(next_attempt_at, pg_temp.opens('America/Los_Angeles',
                                         ((now() AT TIME ZONE 'America/New_York')
                                          - (now() AT TIME ZONE 'America/Los_Angeles'))
                                         - interval '1 hour'),
          'the +1 310 lead waits for the window to open in Los Angeles')
  FROM campaign_leads WHERE id = (SELECT id FROM q WHERE name = 'la');
SELECT is(wait_reason, 'quiet_hours', 'its wait reason is quiet_hours')
  FROM campaign_leads WHERE id = (SELECT id FROM q WHERE name = 'la');
SELECT ok(EXISTS (SELECT FROM claimed_na WHERE id = (SELECT id FROM q WHERE name = 'la_phone_ny_lead')),
          'a +1 310 phone whose lead''s timezone is America/New_York is claimed: the lead''s zone wins');
SELECT is(smscamp_campaign_waiting((SELECT id FROM q WHERE name = 'ny_open'),
                                   (SELECT send_window FROM campaigns WHERE id = (SELECT id FROM q WHERE name = 'ny_open')))
          ->> 'time_zone', 'America/Los_Angeles',
          'the campaign says it waits for quiet hours in America/Los_Angeles');

-- claiming again does not touch a deferred lead
CREATE TEMP TABLE claimed2 ON COMMIT DROP AS
SELECT id FROM smscamp_claim(pg_backend_pid(), 100000);
SELECT ok(NOT EXISTS (SELECT FROM claimed2 WHERE id = (SELECT id FROM q WHERE name = 'ny_closed')),
          'a second claim does not take the deferred lead either');
SELECT is(attempts, 0, 'still no attempt counted') FROM campaign_leads WHERE id = (SELECT id FROM q WHERE name = 'ny_closed');

-- the default window is 08:00-21:00
SELECT is((SELECT column_default FROM information_schema.columns
            WHERE table_name = 'campaigns' AND column_name = 'send_window'),
          '''08:00-21:00''::text', 'campaigns.send_window defaults to 08:00-21:00');
SELECT throws_ok($$UPDATE campaigns SET send_window = '8-21' WHERE id = (SELECT id FROM q WHERE name = 'always')$$,
                 '23514', NULL, 'a malformed send_window is refused');

SELECT * FROM finish();
ROLLBACK;
