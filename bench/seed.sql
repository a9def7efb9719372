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

-- Search terms drawn at random from the data (bench/lua/leads_search_terms.lua and
-- bench/pgbench/leads_search_*.sql), 100 of each kind: a name fragment (3 to 6
-- characters of a lead's name), a phone-digit fragment (4 to 7 digits of a lead's
-- phone) and a company fragment (3 to 6 characters of a lead's company), none of them
-- starting or ending with a space.  setseed: the same terms in every run.
DROP TABLE IF EXISTS bench_search_terms;
-- (n: 1-100 names, 101-200 phones, 201-300 companies, 301-319 the fixed terms)
CREATE TABLE bench_search_terms (n integer PRIMARY KEY, kind text, term text);
SELECT setseed(0.17);
INSERT INTO bench_search_terms (kind, n, term)
SELECT k.kind, k.first + g.n, btrim(substr(v.s, 1 + floor(random() * (greatest(length(v.s) - v.len, 0) + 1))::int, v.len))
  FROM (VALUES ('name', 0, 3, 6), ('phone', 100, 4, 7), ('company', 200, 3, 6)) AS k (kind, first, lo, hi),
       generate_series(1, 100) AS g (n),
       LATERAL (SELECT 1 + floor(random() * (SELECT max(id) FROM leads))::bigint + 0 * g.n AS id) AS r,  -- (g.n: drawn again for every term)
       LATERAL (SELECT CASE k.kind WHEN 'name' THEN l.name
                                   WHEN 'phone' THEN ltrim(l.phone, '+')
                                   ELSE l.company END AS s,
                       k.lo + floor(random() * (k.hi - k.lo + 1))::int AS len
                  FROM leads AS l WHERE l.id >= r.id ORDER BY l.id LIMIT 1) AS v;
-- (a fragment that was all spaces at an end is shorter; one shorter than 3 is redrawn
-- as the first 3 characters)
UPDATE bench_search_terms SET term = left(btrim(term) || 'xyz', 3) WHERE char_length(term) < 3;
-- and the 19 fixed terms of the earlier benchmarks (301-319, scenario leads_search): names
-- (2% of the rows each), full names (rare pairs), companies (10% / 2%), phone digits,
-- e-mail parts, one that matches nothing
INSERT INTO bench_search_terms (kind, n, term)
SELECT 'fixed', 300 + t.n, t.term
  FROM unnest(ARRAY['lovelace', 'turing', 'hopper', 'knuth', 'grace', 'dennis', 'hedy',
                    'ada lovelace', 'alan turing', 'grace hopper',
                    'globex', 'initech', 'acme solar',
                    '5550012', '55500999', '5551234',
                    'ada.lovelace1', 'knuth77',
                    'nobody-matches-this']) WITH ORDINALITY AS t (term, n);

VACUUM (ANALYZE) leads, campaigns, campaign_leads, campaign_stats, message_stats_hourly,
                 smscamp_counters;
