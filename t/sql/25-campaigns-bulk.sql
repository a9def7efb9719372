-- Campaigns at scale: creating a campaign of 100,000 leads is set-based (each
-- way of selecting leads), and the reads the UI polls (dashboard, a campaign,
-- a page of its leads) do not count rows, so they stay fast with 300,000
-- campaign leads.  Time limits are generous (a loaded CI machine); the
-- typical figures on the 2-core dev machine are in the comments.
BEGIN;
SET client_min_messages = warning;
SELECT plan(15);

-- average milliseconds of n runs of a statement
CREATE FUNCTION pg_temp.ms(p_sql text, n integer DEFAULT 1) RETURNS numeric
LANGUAGE plpgsql AS $$
DECLARE
    t timestamptz := clock_timestamp();
BEGIN
    FOR i IN 1 .. n LOOP
        EXECUTE p_sql;
    END LOOP;
    RETURN round((extract(epoch FROM clock_timestamp() - t) * 1000 / n)::numeric, 2);
END
$$;
CREATE TEMP TABLE made (mode text, id bigint, ms numeric);
CREATE FUNCTION pg_temp.make(p_mode text, p_body jsonb) RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
    t timestamptz := clock_timestamp();
    r record;
BEGIN
    SELECT * INTO r FROM api.campaigns_create(p_body
        || '{"sms_template": "Hi {first_name}, our spring sale starts Monday."}');
    INSERT INTO made VALUES (p_mode, (r.body::jsonb ->> 'id')::bigint,
                             extract(epoch FROM clock_timestamp() - t) * 1000);
END
$$;

DELETE FROM leads WHERE phone LIKE '+1999%' OR name LIKE 'Qxbulkzz %';
INSERT INTO leads (name, phone, company)
SELECT 'Qxbulkzz Lead ' || i, '+1999' || lpad(i::text, 7, '0'), 'Bulkco ' || (i % 100)
  FROM generate_series(1, 100000) AS i;

-- ~1.4 s, ~2.0 s, ~2.7 s
SELECT pg_temp.make('lead_count', jsonb_build_object('name', 'bulk count', 'lead_count', 100000));
SELECT pg_temp.make('lead_filter', '{"name": "bulk filter", "lead_filter": "QXBULKZZ"}');
SELECT pg_temp.make('lead_ids', jsonb_build_object('name', 'bulk ids', 'lead_ids',
                    (SELECT jsonb_agg(id ORDER BY id DESC) FROM leads WHERE phone LIKE '+1999%')));

SELECT cmp_ok((SELECT ms FROM made WHERE mode = 'lead_count'), '<', 15000::numeric,
              'a campaign with lead_count 100000 is created in under 15 s');
SELECT cmp_ok((SELECT ms FROM made WHERE mode = 'lead_filter'), '<', 15000::numeric,
              'a campaign with a lead_filter matching 100000 leads is created in under 15 s');
SELECT cmp_ok((SELECT ms FROM made WHERE mode = 'lead_ids'), '<', 15000::numeric,
              'a campaign with 100000 lead_ids is created in under 15 s');
SELECT is((SELECT count(*)::int FROM campaign_leads WHERE campaign_id = (SELECT id FROM made WHERE mode = 'lead_filter')),
          100000, 'lead_filter assigned the 100000 matching leads');
SELECT is((SELECT count(*)::int FROM campaign_leads WHERE campaign_id = (SELECT id FROM made WHERE mode = 'lead_ids')),
          100000, 'lead_ids assigned the 100000 leads');
SELECT is((smscamp_campaign_lead_counts((SELECT id FROM made WHERE mode = 'lead_count')) ->> 'pending')::int, 100000,
          'lead_count: 100000 pending campaign leads counted');

-- reads: ~1.5 ms, ~0.5 ms, ~1 ms
SELECT cmp_ok(pg_temp.ms('SELECT * FROM api.dashboard_stats()', 20), '<', 5::numeric,
              'GET /api/dashboard/stats takes < 5 ms with 300,000 more campaign leads');
SELECT cmp_ok(pg_temp.ms(format('SELECT * FROM api.campaigns_get(%L)',
                                (SELECT id FROM made WHERE mode = 'lead_count')), 20),
              '<', 5::numeric, 'GET /api/campaigns/{id} of a 100,000-lead campaign takes < 5 ms');
SELECT cmp_ok(pg_temp.ms('SELECT * FROM api.campaigns_list(''{}'')', 5), '<', 50::numeric,
              'GET /api/campaigns takes < 50 ms');
SELECT cmp_ok(pg_temp.ms(format('SELECT * FROM api.campaigns_leads(%L, ''{}'')',
                                (SELECT id FROM made WHERE mode = 'lead_count')), 5),
              '<', 50::numeric, 'a page of a 100,000-lead campaign''s leads (with its total) takes < 50 ms');
SELECT cmp_ok(pg_temp.ms(format('SELECT * FROM api.campaigns_leads(%L, ''{"status": "pending", "offset": "500"}'')',
                                (SELECT id FROM made WHERE mode = 'lead_count')), 5),
              '<', 50::numeric, '... and a page of its pending leads');

-- a bulk cancel keeps the counters exact, in one statement
SELECT is(smscamp_start((SELECT id FROM made WHERE mode = 'lead_ids'))::jsonb ->> 'status', 'pending',
          'a 100,000-lead campaign starts');
SELECT cmp_ok(pg_temp.ms(format('SELECT smscamp_cancel(%s)', (SELECT id FROM made WHERE mode = 'lead_ids'))),
              '<', 30000::numeric, 'cancelling a 100,000-lead campaign takes < 30 s');
SELECT is((smscamp_campaign_counts((SELECT id FROM made WHERE mode = 'lead_ids'))).cancelled, 100000::bigint,
          '... and counts 100000 cancelled leads');
SELECT is_empty('SELECT * FROM smscamp_stats_diff()', 'counters == recount after the bulk work');

SELECT * FROM finish();
ROLLBACK;
