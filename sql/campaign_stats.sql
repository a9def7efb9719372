-- smscamp campaign statistics: the counters behind the campaign pages and the
-- dashboard, kept by triggers, and the tools to check, rebuild and compact
-- them.  The tables (campaign_stats, message_stats_hourly, smscamp_counters,
-- campaign_stats_total) are defined in schema.sql; compaction is scheduled in
-- jobs.sql.
--
-- Idempotent: loaded on every start after campaign_rules.sql.
--
-- Statistics
-- ----------
-- Kept incrementally by statement-level triggers with transition tables, so
-- that reading them never counts campaign_leads rows.  Each backend adds its
-- deltas to rows of its own (shard = its pid): concurrent workers never wait
-- for each other's counter rows and cannot deadlock on them.  Readers sum the
-- shards; smscamp_stats_compact() (pg_cron, every minute) folds the shards
-- into shard 0; smscamp_stats_rebuild() recounts everything from scratch and
-- smscamp_stats_diff() lists where the counters and a recount disagree.
-- With the counters, campaign_stats keeps each campaign's first and last send
-- (first_sent_at, last_sent_at: the processed_at of the SMS handed to the
-- provider), for its send rate; they only ever widen (not compared by
-- smscamp_stats_diff, recomputed by smscamp_stats_rebuild).

SET client_min_messages = warning;

-- The hour bucket of a time (independent of the session's TimeZone).
CREATE OR REPLACE FUNCTION smscamp_hour(t timestamptz) RETURNS timestamptz
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
RETURN date_bin('1 hour', t, timestamptz '2000-01-01 00:00:00+00');

------------------------------------------------------------------------------
-- Statistics triggers
------------------------------------------------------------------------------

-- The statement triggers that keep counters: for each operation op of p_ops
-- (insert, update, delete, truncate), trigger <p_name>_<op> on p_table runs
-- smscamp_<p_name>_<op>() once per statement, with its transition tables
-- (new_rows, old_rows).
CREATE OR REPLACE PROCEDURE smscamp_statement_triggers(p_table regclass, p_name text,
                                                       p_ops text[])
LANGUAGE plpgsql AS $$
DECLARE
    op text;
BEGIN
    FOREACH op IN ARRAY p_ops LOOP
        EXECUTE format('CREATE OR REPLACE TRIGGER %I AFTER %s ON %s %s '
                       'FOR EACH STATEMENT EXECUTE FUNCTION %I()',
                       p_name || '_' || op, upper(op), p_table,
                       CASE op WHEN 'insert' THEN 'REFERENCING NEW TABLE AS new_rows'
                               WHEN 'update' THEN 'REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows'
                               WHEN 'delete' THEN 'REFERENCING OLD TABLE AS old_rows'
                               ELSE '' END,
                       'smscamp_' || p_name || '_' || op);
    END LOOP;
END
$$;

-- The counters of campaign_stats (and campaign_stats_total), in column order.
-- The statements that add counters up are generated from this list (the
-- triggers and compaction below), so that it is written once.
CREATE OR REPLACE FUNCTION smscamp_stats_counters() RETURNS text[]
LANGUAGE sql IMMUTABLE PARALLEL SAFE
RETURN ARRAY['total_leads', 'unfinished', 'sent', 'delivered', 'undelivered', 'failed',
             'skipped', 'cancelled', 'unknown', 'sms_segments', 'sms_cost'];

-- The counters as a list of SQL pieces: p_format for each counter (%1$I the
-- counter, %2$I p_alias), joined by p_sep: "sum(d.total_leads), sum(d.unfinished), ...".
CREATE OR REPLACE FUNCTION smscamp_stats_list(p_format text, p_alias text,
                                              p_sep text DEFAULT ', ')
RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE
RETURN (SELECT string_agg(format(p_format, c, p_alias), p_sep)
          FROM unnest(smscamp_stats_counters()) AS c);

-- An upsert's SET list adding the new counters to a campaign_stats row (alias
-- p_alias): "total_leads = s.total_leads + excluded.total_leads, ...", and the
-- send window widened (first_sent_at, last_sent_at).
CREATE OR REPLACE FUNCTION smscamp_stats_adds(p_alias text) RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE
RETURN smscamp_stats_list('%1$I = %2$I.%1$I + excluded.%1$I', p_alias)
       || format(', first_sent_at = least(%1$I.first_sent_at, excluded.first_sent_at)'
                 ', last_sent_at = greatest(%1$I.last_sent_at, excluded.last_sent_at)', p_alias);

-- "p.total_leads <> 0 OR p.unfinished <> 0 OR ...": a row of counters that changes something.
CREATE OR REPLACE FUNCTION smscamp_stats_nonzero(p_alias text) RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE
RETURN smscamp_stats_list('%2$I.%1$I <> 0', p_alias, ' OR ');

-- campaign_leads: one statement trigger per operation (INSERT: the new rows
-- count +1; DELETE: the old rows -1; UPDATE: both).  A row contributes to
--   campaign_stats        of its campaign: total_leads, its status' counter
--                         (unfinished for pending, processing and sending),
--                         and when sms_sent its segments and cost (and its
--                         processed_at widens first_sent_at..last_sent_at);
--   message_stats_hourly  of the hour of its processed_at: sent (status sent
--                         or delivered), failed (failed or undelivered), and
--                         when sms_sent its segments and cost.
-- Deltas are summed per campaign and per hour and written in key order, into
-- this backend's shard, only when not zero (an UPDATE of other columns, e.g.
-- next_attempt_at, writes nothing).  Campaigns that no longer exist (a
-- cascaded delete) are left out: the campaigns trigger removes their rows.
-- The three functions come from one template, so that each has static SQL
-- (a cached plan).
DO $do$
DECLARE
    template constant text := $tpl$
CREATE OR REPLACE FUNCTION smscamp_campaign_leads_stats_%1$s() RETURNS trigger
LANGUAGE plpgsql AS $fn$
DECLARE
    r record;
BEGIN
    %3$s
    WITH d AS MATERIALIZED (
        %2$s
    ), per_campaign AS (
        SELECT d.campaign_id,
               sum(d.k) AS total_leads,
               coalesce(sum(d.k) FILTER (WHERE d.status IN ('pending', 'processing', 'sending')),
                        0) AS unfinished,
               coalesce(sum(d.k) FILTER (WHERE d.status = 'sent'), 0) AS sent,
               coalesce(sum(d.k) FILTER (WHERE d.status = 'delivered'), 0) AS delivered,
               coalesce(sum(d.k) FILTER (WHERE d.status = 'undelivered'), 0) AS undelivered,
               coalesce(sum(d.k) FILTER (WHERE d.status = 'failed'), 0) AS failed,
               coalesce(sum(d.k) FILTER (WHERE d.status = 'skipped'), 0) AS skipped,
               coalesce(sum(d.k) FILTER (WHERE d.status = 'cancelled'), 0) AS cancelled,
               coalesce(sum(d.k) FILTER (WHERE d.status = 'unknown'), 0) AS unknown,
               coalesce(sum(d.k * d.sms_segments) FILTER (WHERE d.sms_sent), 0) AS sms_segments,
               coalesce(sum(d.k * d.sms_cost) FILTER (WHERE d.sms_sent), 0) AS sms_cost,
               min(d.processed_at) FILTER (WHERE d.k > 0 AND d.sms_sent) AS first_sent_at,
               max(d.processed_at) FILTER (WHERE d.k > 0 AND d.sms_sent) AS last_sent_at
          FROM d
         GROUP BY d.campaign_id
    ), campaign_written AS (
        INSERT INTO campaign_stats AS s
               (campaign_id, shard, total_leads, unfinished, sent,
                delivered, undelivered, failed, skipped, cancelled, unknown,
                sms_segments, sms_cost, first_sent_at, last_sent_at)
        SELECT p.campaign_id, pg_backend_pid(), p.total_leads, p.unfinished, p.sent,
               p.delivered, p.undelivered, p.failed, p.skipped,
               p.cancelled, p.unknown, p.sms_segments, p.sms_cost,
               p.first_sent_at, p.last_sent_at
          FROM per_campaign p
         WHERE (%5$s)
           AND EXISTS (SELECT FROM campaigns c WHERE c.id = p.campaign_id)
         ORDER BY p.campaign_id
        ON CONFLICT (campaign_id, shard) DO UPDATE SET %4$s
    ), per_hour AS (
        SELECT smscamp_hour(d.processed_at) AS hour,
               coalesce(sum(d.k) FILTER (WHERE d.status IN ('sent', 'delivered')), 0) AS sent,
               coalesce(sum(d.k) FILTER (WHERE d.status IN ('failed', 'undelivered')), 0) AS failed,
               coalesce(sum(d.k * d.sms_segments) FILTER (WHERE d.sms_sent), 0) AS segments,
               coalesce(sum(d.k * d.sms_cost) FILTER (WHERE d.sms_sent), 0) AS cost
          FROM d
         WHERE d.processed_at IS NOT NULL
           AND (d.sms_sent OR d.status IN ('sent', 'delivered', 'failed', 'undelivered'))
         GROUP BY 1
    )
    INSERT INTO message_stats_hourly AS h (hour, shard, sent, failed, segments, cost)
    SELECT p.hour, pg_backend_pid(), p.sent, p.failed, p.segments, p.cost
      FROM per_hour p
     WHERE p.sent <> 0 OR p.failed <> 0 OR p.segments <> 0 OR p.cost <> 0
     ORDER BY p.hour
    ON CONFLICT (hour, shard) DO UPDATE SET
        sent     = h.sent     + excluded.sent,
        failed   = h.failed   + excluded.failed,
        segments = h.segments + excluded.segments,
        cost     = h.cost     + excluded.cost;
    RETURN NULL;
END
$fn$;
$tpl$;
    cols constant text :=
        'campaign_id, status, sms_sent, coalesce(sms_segments, 0) AS sms_segments, '
        'coalesce(sms_cost, 0) AS sms_cost, processed_at';
    -- UPDATE of one row (what the workers do, many times per lead): one
    -- read of the old and new row; nothing more unless a counted column
    -- changed, then one small upsert per table.
    fast_update constant text := $fast$
    SELECT o.campaign_id AS cid, n.campaign_id AS ncid,
           CASE WHEN o.status IN ('pending', 'processing', 'sending') THEN 'unfinished'
                ELSE o.status END AS os,
           CASE WHEN n.status IN ('pending', 'processing', 'sending') THEN 'unfinished'
                ELSE n.status END AS ns,
           CASE WHEN o.sms_sent THEN coalesce(o.sms_segments, 0) ELSE 0 END AS oseg,
           CASE WHEN n.sms_sent THEN coalesce(n.sms_segments, 0) ELSE 0 END AS nseg,
           CASE WHEN o.sms_sent THEN coalesce(o.sms_cost, 0) ELSE 0 END AS ocost,
           CASE WHEN n.sms_sent THEN coalesce(n.sms_cost, 0) ELSE 0 END AS ncost,
           CASE WHEN o.processed_at IS NOT NULL
                     AND (o.sms_sent OR o.status IN ('sent', 'delivered', 'failed', 'undelivered'))
                THEN smscamp_hour(o.processed_at) END AS ohour,
           CASE WHEN n.processed_at IS NOT NULL
                     AND (n.sms_sent OR n.status IN ('sent', 'delivered', 'failed', 'undelivered'))
                THEN smscamp_hour(n.processed_at) END AS nhour,
           CASE WHEN n.sms_sent THEN n.processed_at END AS nsent_at,
           (SELECT count(*) FROM new_rows) AS n_rows
      INTO r
      FROM old_rows o JOIN new_rows n ON n.id = o.id
     LIMIT 1;
    IF r.n_rows = 1 AND r.cid = r.ncid THEN
        IF r.os IS DISTINCT FROM r.ns OR r.oseg <> r.nseg OR r.ocost <> r.ncost THEN
            INSERT INTO campaign_stats AS s
                   (campaign_id, shard, total_leads, unfinished, sent,
                    delivered, undelivered, failed, skipped, cancelled, unknown,
                    sms_segments, sms_cost, first_sent_at, last_sent_at)
            VALUES (r.cid, pg_backend_pid(), 0,
                    (r.ns = 'unfinished')::int - (r.os = 'unfinished')::int,
                    (r.ns = 'sent')::int - (r.os = 'sent')::int,
                    (r.ns = 'delivered')::int - (r.os = 'delivered')::int,
                    (r.ns = 'undelivered')::int - (r.os = 'undelivered')::int,
                    (r.ns = 'failed')::int - (r.os = 'failed')::int,
                    (r.ns = 'skipped')::int - (r.os = 'skipped')::int,
                    (r.ns = 'cancelled')::int - (r.os = 'cancelled')::int,
                    (r.ns = 'unknown')::int - (r.os = 'unknown')::int,
                    r.nseg - r.oseg, r.ncost - r.ocost, r.nsent_at, r.nsent_at)
            ON CONFLICT (campaign_id, shard) DO UPDATE SET %1$s;
        END IF;
        IF (r.ohour IS NOT NULL OR r.nhour IS NOT NULL)
           AND (r.ohour IS DISTINCT FROM r.nhour OR r.os IS DISTINCT FROM r.ns
                OR r.oseg <> r.nseg OR r.ocost <> r.ncost) THEN
            INSERT INTO message_stats_hourly AS h (hour, shard, sent, failed, segments, cost)
            SELECT x.hour, pg_backend_pid(), sum(x.sent), sum(x.failed), sum(x.segments),
                   sum(x.cost)
              FROM (VALUES (r.ohour, -(r.os IN ('sent', 'delivered'))::int,
                            -(r.os IN ('failed', 'undelivered'))::int, -r.oseg, -r.ocost),
                           (r.nhour, (r.ns IN ('sent', 'delivered'))::int,
                            (r.ns IN ('failed', 'undelivered'))::int, r.nseg, r.ncost))
                   AS x(hour, sent, failed, segments, cost)
             WHERE x.hour IS NOT NULL
             GROUP BY x.hour
            HAVING sum(x.sent) <> 0 OR sum(x.failed) <> 0 OR sum(x.segments) <> 0
                OR sum(x.cost) <> 0
             ORDER BY x.hour
            ON CONFLICT (hour, shard) DO UPDATE SET
                sent     = h.sent     + excluded.sent,
                failed   = h.failed   + excluded.failed,
                segments = h.segments + excluded.segments,
                cost     = h.cost     + excluded.cost;
        END IF;
        RETURN NULL;
    END IF;
    $fast$;
    adds constant text := smscamp_stats_adds('s');
    nonzero constant text := smscamp_stats_nonzero('p');
BEGIN
    EXECUTE format(template, 'insert',
        format('SELECT %s, 1 AS k FROM new_rows', cols), '', adds, nonzero);
    EXECUTE format(template, 'delete',
        format('SELECT %s, -1 AS k FROM old_rows', cols), '', adds, nonzero);
    EXECUTE format(template, 'update',
        format('SELECT %1$s, 1 AS k FROM new_rows UNION ALL SELECT %1$s, -1 AS k FROM old_rows',
               cols), format(fast_update, adds), adds, nonzero);
END
$do$;

CALL smscamp_statement_triggers('campaign_leads', 'campaign_leads_stats',
                                 ARRAY['insert', 'update', 'delete']);

-- campaign_stats_total is written by five functions from one template, so the
-- column list is written once (and each has static SQL, so a cached plan):
--   smscamp_campaign_stats_total_insert/delete/update()  statement triggers on
--       campaign_stats: the rows' change (new minus old) into this backend's shard;
--   smscamp_campaign_stats_total_fold()  folds the other shards into shard 0
--       (smscamp_stats_compact; rows being written are skipped);
--   smscamp_campaign_stats_total_seed()  shard 0 = the sum of campaign_stats (an
--       existing database, once, when the table is new).
DO $do$
DECLARE
    cols constant text[] := smscamp_stats_counters();
    -- %1$s name, %2$s trigger|void, %3$s the rows to add, %4$s the shard, %5$s NULL|''
    template constant text := $tpl$
CREATE OR REPLACE FUNCTION smscamp_campaign_stats_total_%1$s() RETURNS %2$s
LANGUAGE plpgsql AS $fn$
BEGIN
    WITH d AS (%3$s)
    INSERT INTO campaign_stats_total AS t (shard, %6$s)
    SELECT %4$s, %7$s FROM d
    HAVING count(*) > 0
    ON CONFLICT (shard) DO UPDATE SET %8$s;
    RETURN %5$s;
END
$fn$;
$tpl$;
    col_list text := array_to_string(cols, ', ');
    sums text := smscamp_stats_list('sum(%2$I.%1$I)', 'd');
    negated text := smscamp_stats_list('-%1$I AS %1$I', NULL);
    adds text := smscamp_stats_list('%1$I = %2$I.%1$I + excluded.%1$I', 't');
BEGIN
    EXECUTE format(template, 'insert', 'trigger',
                   format('SELECT %s FROM new_rows', col_list),
                   'pg_backend_pid()', 'NULL', col_list, sums, adds);
    EXECUTE format(template, 'delete', 'trigger',
                   format('SELECT %s FROM old_rows', negated),
                   'pg_backend_pid()', 'NULL', col_list, sums, adds);
    EXECUTE format(template, 'update', 'trigger',
                   format('SELECT %s FROM new_rows UNION ALL SELECT %s FROM old_rows',
                          col_list, negated),
                   'pg_backend_pid()', 'NULL', col_list, sums, adds);
    EXECUTE format(template, 'fold', 'void',
                   format('DELETE FROM campaign_stats_total x
                            WHERE x.shard IN (SELECT y.shard FROM campaign_stats_total y
                                               WHERE y.shard <> 0 FOR UPDATE SKIP LOCKED)
                           RETURNING %s', col_list),
                   '0', '', col_list, sums, adds);
    EXECUTE format(template, 'seed', 'void',
                   format('SELECT %s FROM campaign_stats', col_list),
                   '0', '', col_list, sums, adds);
END
$do$;

-- Existing databases: the totals start as the sum of what is kept already
-- (once, when the table is new and empty; campaign_stats is locked meanwhile).
DO $$
BEGIN
    LOCK TABLE campaign_stats IN SHARE MODE;
    IF NOT EXISTS (SELECT FROM campaign_stats_total) THEN
        PERFORM smscamp_campaign_stats_total_seed();
    END IF;
END
$$;

CALL smscamp_statement_triggers('campaign_stats', 'campaign_stats_total',
                                 ARRAY['insert', 'update', 'delete']);

CREATE OR REPLACE FUNCTION smscamp_campaign_leads_stats_truncate() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    DELETE FROM campaign_stats;
    DELETE FROM message_stats_hourly;
    RETURN NULL;
END
$$;

CALL smscamp_statement_triggers('campaign_leads', 'campaign_leads_stats', ARRAY['truncate']);

-- leads: the number of rows ('leads').
CREATE OR REPLACE FUNCTION smscamp_leads_count_insert() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO smscamp_counters AS c (name, shard, n)
    SELECT 'leads', pg_backend_pid(), count(*) FROM new_rows HAVING count(*) <> 0
    ON CONFLICT (name, shard) DO UPDATE SET n = c.n + excluded.n;
    RETURN NULL;
END
$$;

CREATE OR REPLACE FUNCTION smscamp_leads_count_delete() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO smscamp_counters AS c (name, shard, n)
    SELECT 'leads', pg_backend_pid(), -count(*) FROM old_rows HAVING count(*) <> 0
    ON CONFLICT (name, shard) DO UPDATE SET n = c.n + excluded.n;
    RETURN NULL;
END
$$;

CREATE OR REPLACE FUNCTION smscamp_leads_count_truncate() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    DELETE FROM smscamp_counters WHERE name = 'leads';
    RETURN NULL;
END
$$;

CALL smscamp_statement_triggers('leads', 'leads_count', ARRAY['insert', 'delete', 'truncate']);

-- campaigns: the number per status ('campaigns.draft', ...); a deleted
-- campaign's statistics rows go with it.
CREATE OR REPLACE FUNCTION smscamp_campaigns_count_insert() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO smscamp_counters AS c (name, shard, n)
    SELECT 'campaigns.' || r.status, pg_backend_pid(), count(*)
      FROM new_rows r GROUP BY r.status ORDER BY 1
    ON CONFLICT (name, shard) DO UPDATE SET n = c.n + excluded.n;
    RETURN NULL;
END
$$;

CREATE OR REPLACE FUNCTION smscamp_campaigns_count_update() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO smscamp_counters AS c (name, shard, n)
    SELECT 'campaigns.' || d.status, pg_backend_pid(), sum(d.k)
      FROM (SELECT r.status, 1 AS k FROM new_rows r
            UNION ALL SELECT r.status, -1 AS k FROM old_rows r) AS d
     GROUP BY d.status HAVING sum(d.k) <> 0 ORDER BY 1
    ON CONFLICT (name, shard) DO UPDATE SET n = c.n + excluded.n;
    RETURN NULL;
END
$$;

CREATE OR REPLACE FUNCTION smscamp_campaigns_count_delete() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO smscamp_counters AS c (name, shard, n)
    SELECT 'campaigns.' || r.status, pg_backend_pid(), -count(*)
      FROM old_rows r GROUP BY r.status ORDER BY 1
    ON CONFLICT (name, shard) DO UPDATE SET n = c.n + excluded.n;
    DELETE FROM campaign_stats s USING old_rows r WHERE s.campaign_id = r.id;
    RETURN NULL;
END
$$;

CREATE OR REPLACE FUNCTION smscamp_campaigns_count_truncate() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    DELETE FROM smscamp_counters WHERE name LIKE 'campaigns.%';
    DELETE FROM campaign_stats;
    RETURN NULL;
END
$$;

CALL smscamp_statement_triggers('campaigns', 'campaigns_count',
                                 ARRAY['insert', 'update', 'delete', 'truncate']);

------------------------------------------------------------------------------
-- Statistics: recount, compare, rebuild, compact
------------------------------------------------------------------------------

-- What the counters must be, counted from the tables (slow: for checks).
CREATE OR REPLACE FUNCTION smscamp_campaign_stats_recount() RETURNS SETOF campaign_stats
LANGUAGE sql STABLE AS $$
SELECT cl.campaign_id, 0, count(*),
       count(*) FILTER (WHERE cl.status IN ('pending', 'processing', 'sending')),
       count(*) FILTER (WHERE cl.status = 'sent'),
       count(*) FILTER (WHERE cl.status = 'delivered'),
       count(*) FILTER (WHERE cl.status = 'undelivered'),
       count(*) FILTER (WHERE cl.status = 'failed'),
       count(*) FILTER (WHERE cl.status = 'skipped'),
       count(*) FILTER (WHERE cl.status = 'cancelled'),
       count(*) FILTER (WHERE cl.status = 'unknown'),
       coalesce(sum(coalesce(cl.sms_segments, 0)) FILTER (WHERE cl.sms_sent), 0),
       coalesce(sum(coalesce(cl.sms_cost, 0)) FILTER (WHERE cl.sms_sent), 0),
       min(cl.processed_at) FILTER (WHERE cl.sms_sent),
       max(cl.processed_at) FILTER (WHERE cl.sms_sent)
  FROM campaign_leads cl
 GROUP BY cl.campaign_id
$$;

-- The counters as they are: the sum of the shards, per campaign.
CREATE OR REPLACE FUNCTION smscamp_campaign_stats_current() RETURNS SETOF campaign_stats
LANGUAGE sql STABLE AS $$
SELECT s.campaign_id, 0, sum(s.total_leads)::bigint, sum(s.unfinished)::bigint,
       sum(s.sent)::bigint,
       sum(s.delivered)::bigint, sum(s.undelivered)::bigint, sum(s.failed)::bigint,
       sum(s.skipped)::bigint, sum(s.cancelled)::bigint, sum(s.unknown)::bigint,
       sum(s.sms_segments)::bigint, sum(s.sms_cost), min(s.first_sent_at), max(s.last_sent_at)
  FROM campaign_stats s
 GROUP BY s.campaign_id
$$;

CREATE OR REPLACE FUNCTION smscamp_hourly_stats_recount() RETURNS SETOF message_stats_hourly
LANGUAGE sql STABLE AS $$
SELECT smscamp_hour(cl.processed_at), 0,
       count(*) FILTER (WHERE cl.status IN ('sent', 'delivered')),
       count(*) FILTER (WHERE cl.status IN ('failed', 'undelivered')),
       coalesce(sum(coalesce(cl.sms_segments, 0)) FILTER (WHERE cl.sms_sent), 0),
       coalesce(sum(coalesce(cl.sms_cost, 0)) FILTER (WHERE cl.sms_sent), 0)
  FROM campaign_leads cl
 WHERE cl.processed_at IS NOT NULL
   AND (cl.sms_sent OR cl.status IN ('sent', 'delivered', 'failed', 'undelivered'))
 GROUP BY 1
$$;

CREATE OR REPLACE FUNCTION smscamp_hourly_stats_current() RETURNS SETOF message_stats_hourly
LANGUAGE sql STABLE AS $$
SELECT h.hour, 0, sum(h.sent)::bigint, sum(h.failed)::bigint, sum(h.segments)::bigint,
       sum(h.cost)
  FROM message_stats_hourly h
 GROUP BY h.hour
$$;

CREATE OR REPLACE FUNCTION smscamp_counters_recount() RETURNS SETOF smscamp_counters
LANGUAGE sql STABLE AS $$
SELECT 'leads', 0, count(*) FROM leads
UNION ALL
SELECT 'campaigns.' || c.status, 0, count(*) FROM campaigns c GROUP BY c.status
$$;

CREATE OR REPLACE FUNCTION smscamp_counters_current() RETURNS SETOF smscamp_counters
LANGUAGE sql STABLE AS $$
SELECT c.name, 0, sum(c.n)::bigint FROM smscamp_counters c GROUP BY c.name
$$;

-- Where the incrementally kept statistics and a recount disagree (no rows:
-- they agree).  Rows whose numbers are all zero count as absent; the send
-- times (first_sent_at, last_sent_at) are not compared: they only widen.
-- The per-key sums of an array of JSON objects of numbers, without "shard"
-- and without the keys that sum to zero.
CREATE OR REPLACE FUNCTION smscamp_json_sums(p_rows jsonb) RETURNS jsonb
LANGUAGE sql IMMUTABLE
RETURN (SELECT coalesce(jsonb_object_agg(e.key, e.total ORDER BY e.key), '{}')
          FROM (SELECT x.key, sum(x.value::numeric) AS total
                  FROM jsonb_array_elements(p_rows) AS r(o),
                       jsonb_each_text(r.o - 'shard') AS x
                 GROUP BY x.key) AS e
         WHERE e.total <> 0);

CREATE OR REPLACE FUNCTION smscamp_stats_diff()
RETURNS TABLE (kind text, key text, kept jsonb, recounted jsonb)
LANGUAGE sql STABLE AS $$
WITH kept_c AS (
    SELECT s.campaign_id, s.shard, s.total_leads, s.unfinished, s.sent, s.delivered,
           s.undelivered, s.failed, s.skipped, s.cancelled, s.unknown, s.sms_segments,
           s.sms_cost
      FROM smscamp_campaign_stats_current() s
     WHERE (s.total_leads, s.unfinished, s.sent, s.delivered, s.undelivered, s.failed,
            s.skipped, s.cancelled, s.unknown, s.sms_segments)
           IS DISTINCT FROM (0::bigint, 0::bigint, 0::bigint, 0::bigint, 0::bigint,
                             0::bigint, 0::bigint, 0::bigint, 0::bigint, 0::bigint)
        OR s.sms_cost <> 0
), recount_c AS (
    SELECT r.campaign_id, r.shard, r.total_leads, r.unfinished, r.sent, r.delivered,
           r.undelivered, r.failed, r.skipped, r.cancelled, r.unknown, r.sms_segments,
           r.sms_cost
      FROM smscamp_campaign_stats_recount() r
), kept_h AS (
    SELECT * FROM smscamp_hourly_stats_current() h
     WHERE h.sent <> 0 OR h.failed <> 0 OR h.segments <> 0 OR h.cost <> 0
), recount_h AS (
    SELECT * FROM smscamp_hourly_stats_recount()
), kept_n AS (
    SELECT * FROM smscamp_counters_current() c WHERE c.n <> 0
), recount_n AS (
    SELECT * FROM smscamp_counters_recount() c WHERE c.n <> 0
)
SELECT 'campaign', coalesce(k.campaign_id, r.campaign_id)::text,
       to_jsonb(k) - 'shard', to_jsonb(r) - 'shard'
  FROM kept_c k FULL JOIN recount_c r ON r.campaign_id = k.campaign_id
 WHERE k IS DISTINCT FROM r
UNION ALL
SELECT 'hour', coalesce(k.hour, r.hour)::text, to_jsonb(k) - 'shard', to_jsonb(r) - 'shard'
  FROM kept_h k FULL JOIN recount_h r ON r.hour = k.hour
 WHERE k IS DISTINCT FROM r
UNION ALL
SELECT 'counter', coalesce(k.name, r.name), to_jsonb(k) - 'shard', to_jsonb(r) - 'shard'
  FROM kept_n k FULL JOIN recount_n r ON r.name = k.name
 WHERE k IS DISTINCT FROM r
UNION ALL
-- the grand totals against the campaigns' kept rows (which the lines above
-- check against a recount)
SELECT 'total', 'all campaigns', k.v, c.v
  FROM (SELECT smscamp_json_sums(coalesce(jsonb_agg(to_jsonb(t)), '[]')) AS v
          FROM campaign_stats_total t) AS k,
       (SELECT smscamp_json_sums(coalesce(jsonb_agg(to_jsonb(s) - 'campaign_id'
                                                    - 'first_sent_at' - 'last_sent_at'), '[]')) AS v
          FROM campaign_stats s) AS c
 WHERE k.v IS DISTINCT FROM c.v
$$;

-- Recount every statistic from scratch (an operator's repair tool; blocks
-- writers of leads, campaigns and campaign_leads while it runs).
CREATE OR REPLACE FUNCTION smscamp_stats_rebuild() RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_advisory_xact_lock(727002);
    LOCK TABLE leads, campaigns, campaign_leads IN SHARE MODE;
    DELETE FROM campaign_stats;
    DELETE FROM campaign_stats_total;   -- the INSERT below adds it up again
    INSERT INTO campaign_stats SELECT * FROM smscamp_campaign_stats_recount();
    DELETE FROM message_stats_hourly;
    INSERT INTO message_stats_hourly SELECT * FROM smscamp_hourly_stats_recount();
    DELETE FROM smscamp_counters;
    INSERT INTO smscamp_counters SELECT * FROM smscamp_counters_recount();
END
$$;

-- smscamp_stats_compact's part for campaign_stats: its shards (but the rows
-- being written: SKIP LOCKED) folded into shard 0; the number of rows folded.
DO $do$
BEGIN
    EXECUTE format($fn$
CREATE OR REPLACE FUNCTION smscamp_campaign_stats_fold() RETURNS bigint
LANGUAGE sql AS $f$
WITH moved AS (
    DELETE FROM campaign_stats s
     WHERE (s.campaign_id, s.shard) IN (SELECT x.campaign_id, x.shard
                                          FROM campaign_stats x
                                         WHERE x.shard <> 0
                                           FOR UPDATE SKIP LOCKED)
    RETURNING s.*
), folded AS (
    INSERT INTO campaign_stats AS t
    SELECT m.campaign_id, 0, %1$s, min(m.first_sent_at), max(m.last_sent_at)
      FROM moved m
     WHERE EXISTS (SELECT FROM campaigns c WHERE c.id = m.campaign_id)
     GROUP BY m.campaign_id
     ORDER BY m.campaign_id
    ON CONFLICT (campaign_id, shard) DO UPDATE SET %2$s
)
SELECT count(*) FROM moved
$f$;
$fn$, smscamp_stats_list('sum(%2$I.%1$I)', 'm'),
      smscamp_stats_adds('t'));
END
$do$;

-- Fold the per-backend shards into shard 0.  Rows a transaction is writing
-- right now are skipped (SKIP LOCKED), so this never waits for a worker and
-- a worker waits for it at most for its own short transaction.  Returns the
-- number of rows folded.
CREATE OR REPLACE FUNCTION smscamp_stats_compact() RETURNS bigint
LANGUAGE plpgsql AS $$
DECLARE
    n bigint := 0;
    k bigint;
BEGIN
    IF NOT pg_try_advisory_xact_lock(727002) THEN
        RETURN 0;               -- another compaction or a rebuild is running
    END IF;

    n := n + smscamp_campaign_stats_fold();

    -- shard-0 rows of campaigns deleted meanwhile
    DELETE FROM campaign_stats s
     WHERE s.shard = 0 AND NOT EXISTS (SELECT FROM campaigns c WHERE c.id = s.campaign_id);

    -- the grand totals' shards (folding them writes no campaign_stats row)
    PERFORM smscamp_campaign_stats_total_fold();

    WITH moved AS (
        DELETE FROM message_stats_hourly h
         WHERE (h.hour, h.shard) IN (SELECT x.hour, x.shard FROM message_stats_hourly x
                                      WHERE x.shard <> 0 FOR UPDATE SKIP LOCKED)
        RETURNING h.*
    ), folded AS (
        INSERT INTO message_stats_hourly AS t
        SELECT m.hour, 0, sum(m.sent), sum(m.failed), sum(m.segments), sum(m.cost)
          FROM moved m GROUP BY m.hour ORDER BY m.hour
        ON CONFLICT (hour, shard) DO UPDATE SET
            sent     = t.sent     + excluded.sent,
            failed   = t.failed   + excluded.failed,
            segments = t.segments + excluded.segments,
            cost     = t.cost     + excluded.cost
    )
    SELECT count(*) INTO k FROM moved;
    n := n + k;

    WITH moved AS (
        DELETE FROM smscamp_counters c
         WHERE (c.name, c.shard) IN (SELECT x.name, x.shard FROM smscamp_counters x
                                      WHERE x.shard <> 0 FOR UPDATE SKIP LOCKED)
        RETURNING c.*
    ), folded AS (
        INSERT INTO smscamp_counters AS t
        SELECT m.name, 0, sum(m.n) FROM moved m GROUP BY m.name ORDER BY m.name
        ON CONFLICT (name, shard) DO UPDATE SET n = t.n + excluded.n
    )
    SELECT count(*) INTO k FROM moved;
    RETURN n + k;
END
$$;

-- Statistics of a database that had data before these triggers existed.
DO $$
BEGIN
    IF NOT EXISTS (SELECT FROM smscamp_counters)
       AND (EXISTS (SELECT FROM leads) OR EXISTS (SELECT FROM campaigns)) THEN
        PERFORM smscamp_stats_rebuild();
    END IF;
END
$$;

