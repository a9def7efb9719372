-- bench/seed.sql: set-based test data for the API benchmark (bench/run.sh).
--   psql -v leads=100000 -v campaigns=1000 -v per_campaign=1000 -f bench/seed.sql
-- leads:      names from 50 x 50 first/last names, phones +1555xxxxxxx (unique, valid),
--             e-mails, 50 companies, notes on one lead in five
-- campaigns:  mostly completed, some draft/processing/paused/cancelled
-- campaign leads: per_campaign rows per campaign (campaigns x per_campaign in all),
--             final statuses spread over the last 24 hours, so that the counters
--             (campaign_stats, message_stats_hourly) behind the dashboard have data.
\set ON_ERROR_STOP 1
SET client_min_messages = warning;
SET synchronous_commit = off;
SET maintenance_work_mem = '256MB';
SET work_mem = '64MB';

-- The million campaign leads go in without per-row triggers (foreign-key checks, the
-- statistics triggers): 3x faster; the rows are consistent by construction, and the
-- statistics are recounted afterwards with smscamp_stats_rebuild(). Without that
-- function (an older tree), the triggers stay on.
SELECT to_regproc('smscamp_stats_rebuild') IS NOT NULL AS have_rebuild \gset

BEGIN;
INSERT INTO leads (name, phone, email, company, notes)
SELECT f.n || ' ' || s.n,
       '+1555' || lpad(i::text, 7, '0'),
       lower(f.n) || '.' || lower(s.n) || i || '@example.com',
       c.n || ' ' || (ARRAY['Solar', 'Labs', 'Logistics', 'Foods', 'Capital'])[1 + (i / 10) % 5],
       CASE WHEN i % 5 = 0 THEN 'Asked to be called back after ' || (i % 12 + 1) || ' pm' END
  FROM generate_series(1, :leads) AS i,
       LATERAL (SELECT (ARRAY['Ada', 'Alan', 'Grace', 'Linus', 'Ken', 'Dennis', 'Barbara',
                              'Edsger', 'Donald', 'John', 'Margaret', 'Frances', 'Tim',
                              'Vint', 'Radia', 'Niklaus', 'Bjarne', 'Guido', 'James',
                              'Larry', 'Sophie', 'Hedy', 'Katherine', 'Dorothy', 'Mary',
                              'Jean', 'Betty', 'Ruth', 'Adele', 'Shafi', 'Leslie', 'Butler',
                              'Robert', 'Michael', 'Andrew', 'Peter', 'Paul', 'Joan',
                              'Karen', 'Lynn', 'Carol', 'Susan', 'Anita', 'Evelyn', 'Marissa',
                              'Sheryl', 'Fei', 'Yann', 'Geoffrey', 'Yoshua'])[1 + i % 50] AS n) AS f,
       LATERAL (SELECT (ARRAY['Lovelace', 'Turing', 'Hopper', 'Torvalds', 'Thompson',
                              'Ritchie', 'Liskov', 'Dijkstra', 'Knuth', 'McCarthy',
                              'Hamilton', 'Allen', 'Berners', 'Cerf', 'Perlman', 'Wirth',
                              'Stroustrup', 'Rossum', 'Gosling', 'Wall', 'Wilson', 'Lamarr',
                              'Johnson', 'Vaughan', 'Jackson', 'Bartik', 'Holberton',
                              'Teitelbaum', 'Goldberg', 'Goldwasser', 'Lamport', 'Lampson',
                              'Tarjan', 'Stonebraker', 'Tanenbaum', 'Norvig', 'Graham',
                              'Clarke', 'Jones', 'Conway', 'Shaw', 'Kare', 'Borg', 'Boyd',
                              'Mayer', 'Sandberg', 'Li', 'LeCun', 'Hinton', 'Bengio'])[1 + (i / 50) % 50] AS n) AS s,
       LATERAL (SELECT (ARRAY['Acme', 'Globex', 'Initech', 'Umbrella', 'Hooli', 'Stark',
                              'Wayne', 'Tyrell', 'Cyberdyne', 'Soylent'])[1 + i % 10] AS n) AS c;

INSERT INTO campaigns (name, description, agent_type, status, sms_system_prompt,
                       send_window, started_at, completed_at)
SELECT 'Bench campaign ' || g,
       'Seeded by bench/seed.sql',
       'sms',
       CASE WHEN g % 20 = 0 THEN 'draft' WHEN g % 20 = 1 THEN 'paused'
            WHEN g % 20 = 2 THEN 'cancelled' ELSE 'completed' END,
       'You write short friendly SMS about Acme Solar panels for ' || g || ' leads.',
       NULL,
       now() - interval '1 day',
       CASE WHEN g % 20 >= 3 THEN now() - interval '1 hour' END
  FROM generate_series(1, :campaigns) AS g;

-- each campaign takes per_campaign consecutive leads (wrapping around)
\if :have_rebuild
SET LOCAL session_replication_role = replica;
\endif
INSERT INTO campaign_leads (campaign_id, lead_id, status, sms_sent, sms_message,
                            sms_segments, sms_cost, attempts, processed_at)
SELECT c.id, 1 + ((r.rn - 1) * :per_campaign + k) % :leads,
       st.s, st.s IN ('sent', 'delivered'),
       CASE WHEN st.s IN ('sent', 'delivered') THEN 'Hi there, thanks for your interest. Reply STOP to opt out' END,
       CASE WHEN st.s IN ('sent', 'delivered') THEN 1 END,
       CASE WHEN st.s IN ('sent', 'delivered') THEN 0.0079 END,
       1,
       now() - (k % 1440) * interval '1 minute'
  FROM (SELECT id, row_number() OVER (ORDER BY id) AS rn FROM campaigns
         WHERE name LIKE 'Bench campaign %') AS r
  JOIN campaigns c ON c.id = r.id
 CROSS JOIN generate_series(0, :per_campaign - 1) AS k
 CROSS JOIN LATERAL (SELECT CASE WHEN k % 20 < 16 THEN 'sent' WHEN k % 20 < 18 THEN 'delivered'
                                 WHEN k % 20 = 18 THEN 'failed' ELSE 'skipped' END AS s) AS st;
\if :have_rebuild
SET LOCAL session_replication_role = origin;
SELECT smscamp_stats_rebuild();
\endif
COMMIT;

VACUUM (ANALYZE) leads, campaigns, campaign_leads, campaign_stats, message_stats_hourly,
                 smscamp_counters;
