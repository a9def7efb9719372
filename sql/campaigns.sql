-- smscamp campaigns: status rules, incremental statistics and the lifecycle
-- functions (start, pause, resume, cancel, schedule) shared by the HTTP
-- routes (sql/api_campaigns.sql) and psql:  SELECT smscamp_start(3);
--
-- Idempotent: loaded on every start after schema.sql and workflow.sql.  It
-- creates what is missing and replaces functions and triggers; it never
-- drops data.
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

SET client_min_messages = warning;

------------------------------------------------------------------------------
-- Campaign status transitions
------------------------------------------------------------------------------

CREATE TABLE IF NOT EXISTS campaign_status_transitions (
    from_status text NOT NULL,
    to_status   text NOT NULL,
    PRIMARY KEY (from_status, to_status),
    CONSTRAINT campaign_status_transitions_check CHECK (
        from_status IN ('draft', 'scheduled', 'pending', 'processing', 'paused',
                        'completed', 'failed', 'cancelled')
        AND to_status IN ('draft', 'scheduled', 'pending', 'processing', 'paused',
                          'completed', 'failed', 'cancelled')
        AND from_status <> to_status)
);

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

------------------------------------------------------------------------------
-- Indexes for the campaign's pages (GET /api/campaigns/{id}/leads, /logs):
-- a page of a campaign's leads in id order, all or of one status, without
-- sorting the campaign's rows; the second also serves counts per status.
------------------------------------------------------------------------------

CREATE INDEX IF NOT EXISTS campaign_leads_campaign_id_idx
    ON campaign_leads (campaign_id, id);
CREATE INDEX IF NOT EXISTS campaign_leads_campaign_status_id_idx
    ON campaign_leads (campaign_id, status, id);

------------------------------------------------------------------------------
-- Statistics tables
------------------------------------------------------------------------------

-- Per campaign: the leads not finished yet (pending, processing or
-- sending: how many of those are processing or sending right now is counted
-- when read, from the few rows the workers hold, so that claiming a lead and
-- marking it sending write no counter), one counter per final status, and
-- the segments and cost of the SMS handed to the provider (sms_sent).  The
-- sum over shards is the truth; shard 0 holds what compaction folded in.
CREATE TABLE IF NOT EXISTS campaign_stats (
    campaign_id   bigint  NOT NULL,
    shard         integer NOT NULL DEFAULT 0,
    total_leads   bigint  NOT NULL DEFAULT 0,
    unfinished    bigint  NOT NULL DEFAULT 0,   -- pending, processing or sending
    sent          bigint  NOT NULL DEFAULT 0,
    delivered     bigint  NOT NULL DEFAULT 0,
    undelivered   bigint  NOT NULL DEFAULT 0,
    failed        bigint  NOT NULL DEFAULT 0,
    skipped       bigint  NOT NULL DEFAULT 0,
    cancelled     bigint  NOT NULL DEFAULT 0,
    unknown       bigint  NOT NULL DEFAULT 0,
    sms_segments  bigint  NOT NULL DEFAULT 0,
    sms_cost      numeric NOT NULL DEFAULT 0,
    PRIMARY KEY (campaign_id, shard)
);

-- Per hour (UTC-aligned) of processed_at: messages that ended sent/delivered
-- ("sent") or failed/undelivered ("failed"), segments and cost of the SMS
-- handed to the provider.
CREATE TABLE IF NOT EXISTS message_stats_hourly (
    hour      timestamptz NOT NULL,
    shard     integer     NOT NULL DEFAULT 0,
    sent      bigint      NOT NULL DEFAULT 0,
    failed    bigint      NOT NULL DEFAULT 0,
    segments  bigint      NOT NULL DEFAULT 0,
    cost      numeric     NOT NULL DEFAULT 0,
    PRIMARY KEY (hour, shard)
);

-- Row counts the dashboard needs: 'leads', 'campaigns.<status>'.
CREATE TABLE IF NOT EXISTS smscamp_counters (
    name   text    NOT NULL,
    shard  integer NOT NULL DEFAULT 0,
    n      bigint  NOT NULL DEFAULT 0,
    PRIMARY KEY (name, shard)
);

-- The sum of campaign_stats over every campaign, per writing backend (shard),
-- kept by statement triggers on campaign_stats itself: whatever writes it (the
-- campaign_leads triggers, a deleted campaign, compaction, a rebuild), the
-- grand totals follow, and the dashboard reads a few rows instead of adding up
-- every campaign's.
CREATE TABLE IF NOT EXISTS campaign_stats_total (
    shard         integer PRIMARY KEY,
    total_leads   bigint  NOT NULL DEFAULT 0,
    unfinished    bigint  NOT NULL DEFAULT 0,
    sent          bigint  NOT NULL DEFAULT 0,
    delivered     bigint  NOT NULL DEFAULT 0,
    undelivered   bigint  NOT NULL DEFAULT 0,
    failed        bigint  NOT NULL DEFAULT 0,
    skipped       bigint  NOT NULL DEFAULT 0,
    cancelled     bigint  NOT NULL DEFAULT 0,
    unknown       bigint  NOT NULL DEFAULT 0,
    sms_segments  bigint  NOT NULL DEFAULT 0,
    sms_cost      numeric NOT NULL DEFAULT 0
);

REVOKE ALL ON campaign_status_transitions, campaign_stats, message_stats_hourly,
              smscamp_counters, campaign_stats_total FROM PUBLIC, smscamp_api;

-- The hour bucket of a time (independent of the session's TimeZone).
CREATE OR REPLACE FUNCTION smscamp_hour(t timestamptz) RETURNS timestamptz
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
RETURN date_bin('1 hour', t, timestamptz '2000-01-01 00:00:00+00');

------------------------------------------------------------------------------
-- Statistics triggers
------------------------------------------------------------------------------

-- campaign_leads: one statement trigger per operation (INSERT: the new rows
-- count +1; DELETE: the old rows -1; UPDATE: both).  A row contributes to
--   campaign_stats        of its campaign: total_leads, its status' counter
--                         (unfinished for pending, processing and sending),
--                         and when sms_sent its segments and cost;
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
               coalesce(sum(d.k * d.sms_cost) FILTER (WHERE d.sms_sent), 0) AS sms_cost
          FROM d
         GROUP BY d.campaign_id
    ), campaign_written AS (
        INSERT INTO campaign_stats AS s
               (campaign_id, shard, total_leads, unfinished, sent,
                delivered, undelivered, failed, skipped, cancelled, unknown,
                sms_segments, sms_cost)
        SELECT p.campaign_id, pg_backend_pid(), p.total_leads, p.unfinished, p.sent,
               p.delivered, p.undelivered, p.failed, p.skipped,
               p.cancelled, p.unknown, p.sms_segments, p.sms_cost
          FROM per_campaign p
         WHERE (p.total_leads <> 0 OR p.unfinished <> 0 OR p.sent <> 0 OR p.delivered <> 0
                OR p.undelivered <> 0 OR p.failed <> 0 OR p.skipped <> 0
                OR p.cancelled <> 0 OR p.unknown <> 0 OR p.sms_segments <> 0
                OR p.sms_cost <> 0)
           AND EXISTS (SELECT FROM campaigns c WHERE c.id = p.campaign_id)
         ORDER BY p.campaign_id
        ON CONFLICT (campaign_id, shard) DO UPDATE SET
            total_leads  = s.total_leads  + excluded.total_leads,
            unfinished   = s.unfinished   + excluded.unfinished,
            sent         = s.sent         + excluded.sent,
            delivered    = s.delivered    + excluded.delivered,
            undelivered  = s.undelivered  + excluded.undelivered,
            failed       = s.failed       + excluded.failed,
            skipped      = s.skipped      + excluded.skipped,
            cancelled    = s.cancelled    + excluded.cancelled,
            unknown      = s.unknown      + excluded.unknown,
            sms_segments = s.sms_segments + excluded.sms_segments,
            sms_cost     = s.sms_cost     + excluded.sms_cost
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
           (SELECT count(*) FROM new_rows) AS n_rows
      INTO r
      FROM old_rows o JOIN new_rows n ON n.id = o.id
     LIMIT 1;
    IF r.n_rows = 1 AND r.cid = r.ncid THEN
        IF r.os IS DISTINCT FROM r.ns OR r.oseg <> r.nseg OR r.ocost <> r.ncost THEN
            INSERT INTO campaign_stats AS s
                   (campaign_id, shard, total_leads, unfinished, sent,
                    delivered, undelivered, failed, skipped, cancelled, unknown,
                    sms_segments, sms_cost)
            VALUES (r.cid, pg_backend_pid(), 0,
                    (r.ns = 'unfinished')::int - (r.os = 'unfinished')::int,
                    (r.ns = 'sent')::int - (r.os = 'sent')::int,
                    (r.ns = 'delivered')::int - (r.os = 'delivered')::int,
                    (r.ns = 'undelivered')::int - (r.os = 'undelivered')::int,
                    (r.ns = 'failed')::int - (r.os = 'failed')::int,
                    (r.ns = 'skipped')::int - (r.os = 'skipped')::int,
                    (r.ns = 'cancelled')::int - (r.os = 'cancelled')::int,
                    (r.ns = 'unknown')::int - (r.os = 'unknown')::int,
                    r.nseg - r.oseg, r.ncost - r.ocost)
            ON CONFLICT (campaign_id, shard) DO UPDATE SET
                unfinished   = s.unfinished   + excluded.unfinished,
                sent         = s.sent         + excluded.sent,
                delivered    = s.delivered    + excluded.delivered,
                undelivered  = s.undelivered  + excluded.undelivered,
                failed       = s.failed       + excluded.failed,
                skipped      = s.skipped      + excluded.skipped,
                cancelled    = s.cancelled    + excluded.cancelled,
                unknown      = s.unknown      + excluded.unknown,
                sms_segments = s.sms_segments + excluded.sms_segments,
                sms_cost     = s.sms_cost     + excluded.sms_cost;
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
BEGIN
    EXECUTE format(template, 'insert',
        format('SELECT %s, 1 AS k FROM new_rows', cols), '');
    EXECUTE format(template, 'delete',
        format('SELECT %s, -1 AS k FROM old_rows', cols), '');
    EXECUTE format(template, 'update',
        format('SELECT %1$s, 1 AS k FROM new_rows UNION ALL SELECT %1$s, -1 AS k FROM old_rows',
               cols), fast_update);
END
$do$;

CREATE OR REPLACE TRIGGER campaign_leads_stats_insert
    AFTER INSERT ON campaign_leads REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION smscamp_campaign_leads_stats_insert();
CREATE OR REPLACE TRIGGER campaign_leads_stats_update
    AFTER UPDATE ON campaign_leads REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION smscamp_campaign_leads_stats_update();
CREATE OR REPLACE TRIGGER campaign_leads_stats_delete
    AFTER DELETE ON campaign_leads REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION smscamp_campaign_leads_stats_delete();

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
    cols constant text[] := ARRAY['total_leads', 'unfinished', 'sent', 'delivered',
                                  'undelivered', 'failed', 'skipped', 'cancelled',
                                  'unknown', 'sms_segments', 'sms_cost'];
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
    sums text := (SELECT string_agg(format('sum(d.%I)', c), ', ') FROM unnest(cols) c);
    negated text := (SELECT string_agg(format('-%1$I AS %1$I', c), ', ') FROM unnest(cols) c);
    adds text := (SELECT string_agg(format('%1$I = t.%1$I + excluded.%1$I', c), ', ')
                    FROM unnest(cols) c);
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

CREATE OR REPLACE TRIGGER campaign_stats_total_insert
    AFTER INSERT ON campaign_stats REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION smscamp_campaign_stats_total_insert();
CREATE OR REPLACE TRIGGER campaign_stats_total_update
    AFTER UPDATE ON campaign_stats REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION smscamp_campaign_stats_total_update();
CREATE OR REPLACE TRIGGER campaign_stats_total_delete
    AFTER DELETE ON campaign_stats REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION smscamp_campaign_stats_total_delete();

CREATE OR REPLACE FUNCTION smscamp_campaign_leads_stats_truncate() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    DELETE FROM campaign_stats;
    DELETE FROM message_stats_hourly;
    RETURN NULL;
END
$$;

CREATE OR REPLACE TRIGGER campaign_leads_stats_truncate
    AFTER TRUNCATE ON campaign_leads
    FOR EACH STATEMENT EXECUTE FUNCTION smscamp_campaign_leads_stats_truncate();

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

CREATE OR REPLACE TRIGGER leads_count_insert
    AFTER INSERT ON leads REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION smscamp_leads_count_insert();
CREATE OR REPLACE TRIGGER leads_count_delete
    AFTER DELETE ON leads REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION smscamp_leads_count_delete();
CREATE OR REPLACE TRIGGER leads_count_truncate
    AFTER TRUNCATE ON leads
    FOR EACH STATEMENT EXECUTE FUNCTION smscamp_leads_count_truncate();

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

CREATE OR REPLACE TRIGGER campaigns_count_insert
    AFTER INSERT ON campaigns REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION smscamp_campaigns_count_insert();
CREATE OR REPLACE TRIGGER campaigns_count_update
    AFTER UPDATE ON campaigns REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION smscamp_campaigns_count_update();
CREATE OR REPLACE TRIGGER campaigns_count_delete
    AFTER DELETE ON campaigns REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION smscamp_campaigns_count_delete();
CREATE OR REPLACE TRIGGER campaigns_count_truncate
    AFTER TRUNCATE ON campaigns
    FOR EACH STATEMENT EXECUTE FUNCTION smscamp_campaigns_count_truncate();

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
       coalesce(sum(coalesce(cl.sms_cost, 0)) FILTER (WHERE cl.sms_sent), 0)
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
       sum(s.sms_segments)::bigint, sum(s.sms_cost)
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
-- they agree).  Rows whose numbers are all zero count as absent.
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
    SELECT * FROM smscamp_campaign_stats_current() s
     WHERE (s.total_leads, s.unfinished, s.sent, s.delivered, s.undelivered, s.failed,
            s.skipped, s.cancelled, s.unknown, s.sms_segments)
           IS DISTINCT FROM (0::bigint, 0::bigint, 0::bigint, 0::bigint, 0::bigint,
                             0::bigint, 0::bigint, 0::bigint, 0::bigint, 0::bigint)
        OR s.sms_cost <> 0
), recount_c AS (
    SELECT * FROM smscamp_campaign_stats_recount()
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
       (SELECT smscamp_json_sums(coalesce(jsonb_agg(to_jsonb(s) - 'campaign_id'), '[]')) AS v
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

    WITH moved AS (
        DELETE FROM campaign_stats s
         WHERE (s.campaign_id, s.shard) IN (SELECT x.campaign_id, x.shard
                                              FROM campaign_stats x
                                             WHERE x.shard <> 0
                                               FOR UPDATE SKIP LOCKED)
        RETURNING s.*
    ), folded AS (
        INSERT INTO campaign_stats AS t
        SELECT m.campaign_id, 0, sum(m.total_leads), sum(m.unfinished),
               sum(m.sent), sum(m.delivered), sum(m.undelivered),
               sum(m.failed), sum(m.skipped), sum(m.cancelled), sum(m.unknown),
               sum(m.sms_segments), sum(m.sms_cost)
          FROM moved m
         WHERE EXISTS (SELECT FROM campaigns c WHERE c.id = m.campaign_id)
         GROUP BY m.campaign_id
         ORDER BY m.campaign_id
        ON CONFLICT (campaign_id, shard) DO UPDATE SET
            total_leads  = t.total_leads  + excluded.total_leads,
            unfinished   = t.unfinished   + excluded.unfinished,
            sent         = t.sent         + excluded.sent,
            delivered    = t.delivered    + excluded.delivered,
            undelivered  = t.undelivered  + excluded.undelivered,
            failed       = t.failed       + excluded.failed,
            skipped      = t.skipped      + excluded.skipped,
            cancelled    = t.cancelled    + excluded.cancelled,
            unknown      = t.unknown      + excluded.unknown,
            sms_segments = t.sms_segments + excluded.sms_segments,
            sms_cost     = t.sms_cost     + excluded.sms_cost
    )
    SELECT count(*) INTO k FROM moved;
    n := n + k;

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

DO $$
BEGIN
    -- nested: cron.job cannot even be planned without pg_cron
    IF EXISTS (SELECT FROM pg_extension WHERE extname = 'pg_cron') THEN
        IF NOT EXISTS (SELECT FROM cron.job WHERE jobname = 'smscamp-stats-compact') THEN
            PERFORM cron.schedule('smscamp-stats-compact', '* * * * *',
                                  'SELECT smscamp_stats_compact()');
        END IF;
    END IF;
END
$$;

------------------------------------------------------------------------------
-- Reading a campaign
------------------------------------------------------------------------------

-- One campaign's counters (the sum of its shards; zeros when it has none).
CREATE OR REPLACE FUNCTION smscamp_campaign_counts(p_id bigint) RETURNS campaign_stats
LANGUAGE sql STABLE AS $$
SELECT p_id, 0,
       coalesce(sum(s.total_leads), 0)::bigint, coalesce(sum(s.unfinished), 0)::bigint,
       coalesce(sum(s.sent), 0)::bigint, coalesce(sum(s.delivered), 0)::bigint,
       coalesce(sum(s.undelivered), 0)::bigint, coalesce(sum(s.failed), 0)::bigint,
       coalesce(sum(s.skipped), 0)::bigint, coalesce(sum(s.cancelled), 0)::bigint,
       coalesce(sum(s.unknown), 0)::bigint, coalesce(sum(s.sms_segments), 0)::bigint,
       coalesce(sum(s.sms_cost), 0)
  FROM campaign_stats s
 WHERE s.campaign_id = p_id
$$;

-- Percentage of the messages with an outcome that were sent: 0..100, one
-- decimal; 0 when none has an outcome yet.
CREATE OR REPLACE FUNCTION smscamp_success_rate(p_sent numeric, p_failed numeric)
RETURNS numeric
LANGUAGE sql IMMUTABLE PARALLEL SAFE
RETURN CASE WHEN coalesce(p_sent, 0) + coalesce(p_failed, 0) = 0 THEN 0
            ELSE round(100.0 * p_sent / (p_sent + p_failed), 1) END;

-- How many of a campaign's unfinished leads the workers hold right now
-- (processing, sending): few rows, read through campaign_leads_campaign_status_id_idx.
CREATE OR REPLACE FUNCTION smscamp_campaign_in_flight(p_id bigint,
                                                      OUT processing bigint, OUT sending bigint)
LANGUAGE sql STABLE AS $$
SELECT count(*) FILTER (WHERE cl.status = 'processing'),
       count(*) FILTER (WHERE cl.status = 'sending')
  FROM campaign_leads cl
 WHERE cl.campaign_id = p_id AND cl.status IN ('processing', 'sending')
$$;

-- The number of a campaign's leads in each campaign-lead status (and
-- total_leads), as a JSON object.
CREATE OR REPLACE FUNCTION smscamp_campaign_lead_counts(p_id bigint) RETURNS json
LANGUAGE sql STABLE AS $$
SELECT json_build_object(
    'total_leads', s.total_leads,
    'pending', s.unfinished - f.processing - f.sending,
    'processing', f.processing, 'sending', f.sending,
    'sent', s.sent, 'delivered', s.delivered, 'undelivered', s.undelivered,
    'failed', s.failed, 'skipped', s.skipped, 'cancelled', s.cancelled,
    'unknown', s.unknown)
  FROM smscamp_campaign_counts(p_id) AS s, smscamp_campaign_in_flight(p_id) AS f
$$;

-- A campaign's "stats" object.  Names as the dashboard's where they apply.
CREATE OR REPLACE FUNCTION smscamp_campaign_stats_json(s campaign_stats, c campaigns)
RETURNS json
LANGUAGE sql STABLE AS $$
SELECT json_build_object(
    'total_leads', s.total_leads,
    'leads_by_status', json_build_object(
        'pending', s.unfinished - f.processing - f.sending,
        'processing', f.processing, 'sending', f.sending,
        'sent', s.sent, 'delivered', s.delivered, 'undelivered', s.undelivered,
        'failed', s.failed, 'skipped', s.skipped, 'cancelled', s.cancelled,
        'unknown', s.unknown),
    'total_messages_sent', s.sent + s.delivered,
    'total_messages_failed', s.failed + s.undelivered,
    'total_messages_pending', s.unfinished,
    'total_segments', s.sms_segments,
    'total_cost', round(s.sms_cost, 4),
    'success_rate', smscamp_success_rate(s.sent + s.delivered, s.failed + s.undelivered),
    'progress', CASE WHEN s.total_leads = 0 THEN 0
                     ELSE round(100.0 * (s.total_leads - s.unfinished) / s.total_leads, 1) END,
    'started_at', c.started_at,
    'completed_at', c.completed_at)
  FROM smscamp_campaign_in_flight(c.id) AS f
$$;

-- The campaign as the API (and the lifecycle functions) show it.
CREATE OR REPLACE FUNCTION smscamp_campaign_json(c campaigns) RETURNS json
LANGUAGE sql STABLE AS $$
SELECT json_build_object(
    'id', c.id,
    'name', c.name,
    'description', c.description,
    'agent_type', c.agent_type,
    'status', c.status,
    'sms_system_prompt', c.sms_system_prompt,
    'sms_temperature', c.sms_temperature,
    'messages_per_second', trim_scale(c.messages_per_second),
    'send_window', c.send_window,
    'max_send_errors', c.max_send_errors,
    'scheduled_at', c.scheduled_at,
    'stats', smscamp_campaign_stats_json(smscamp_campaign_counts(c.id), c),
    'created_at', c.created_at,
    'updated_at', c.updated_at,
    'started_at', c.started_at,
    'completed_at', c.completed_at)
$$;

CREATE OR REPLACE FUNCTION smscamp_campaign_json(p_id bigint) RETURNS json
LANGUAGE sql STABLE AS $$
SELECT smscamp_campaign_json(c) FROM campaigns c WHERE c.id = p_id
$$;

------------------------------------------------------------------------------
-- Lifecycle: one code path for the HTTP routes and psql
------------------------------------------------------------------------------

CREATE OR REPLACE FUNCTION smscamp_campaign_not_found(p_id bigint) RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
    PERFORM api_error(404, to_jsonb(format('Campaign %s not found', p_id)));
END
$$;

-- The campaign, locked for the rest of the transaction; 404 when missing.
CREATE OR REPLACE FUNCTION smscamp_campaign_lock(p_id bigint) RETURNS campaigns
LANGUAGE plpgsql AS $$
DECLARE
    c campaigns;
BEGIN
    SELECT * INTO c FROM campaigns WHERE id = p_id FOR UPDATE;
    IF NOT FOUND THEN
        PERFORM smscamp_campaign_not_found(p_id);
    END IF;
    RETURN c;
END
$$;

-- What a campaign needs before it may be queued: a supported agent, leads.
CREATE OR REPLACE FUNCTION smscamp_check_startable(c campaigns, p_verb text) RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
    IF c.agent_type = 'voice' THEN
        PERFORM api_error(409, to_jsonb(format(
            'Voice campaigns are not available yet: campaign %s has agent_type voice '
            '(change it to sms or both while it is a draft)', c.id)));
    END IF;
    IF NOT EXISTS (SELECT FROM campaign_leads cl WHERE cl.campaign_id = c.id) THEN
        PERFORM api_error(409, to_jsonb(format(
            'Cannot %s campaign %s: it has no leads (add leads with POST /api/campaigns/%s/leads)',
            p_verb, c.id, c.id)));
    END IF;
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

-- pending/processing -> paused.  Unsent leads stay pending; leads a worker
-- holds in 'processing' are put back by the worker.
CREATE OR REPLACE FUNCTION smscamp_pause(p_campaign_id bigint) RETURNS json
LANGUAGE plpgsql AS $$
DECLARE
    c campaigns := smscamp_campaign_lock(p_campaign_id);
BEGIN
    IF c.status NOT IN ('pending', 'processing') THEN
        PERFORM smscamp_refuse_transition(c.id, c.status, 'pause');
    END IF;
    UPDATE campaigns SET status = 'paused' WHERE id = c.id;
    RETURN smscamp_campaign_json(c.id);
END
$$;

-- paused -> pending, a fresh budget of consecutive send errors, workers woken.
CREATE OR REPLACE FUNCTION smscamp_resume(p_campaign_id bigint) RETURNS json
LANGUAGE plpgsql AS $$
DECLARE
    c campaigns := smscamp_campaign_lock(p_campaign_id);
BEGIN
    IF c.status <> 'paused' THEN
        PERFORM smscamp_refuse_transition(c.id, c.status, 'resume');
    END IF;
    UPDATE campaigns SET status = 'pending', consecutive_send_errors = 0 WHERE id = c.id;
    PERFORM smscamp_wake();
    RETURN smscamp_campaign_json(c.id);
END
$$;

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
        PERFORM smscamp_campaign_not_found(p_campaign_id);
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

-- (the api files' CALL api_secure_functions() revokes these from PUBLIC)
