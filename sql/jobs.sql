-- smscamp's pg_cron jobs, in one list: each is scheduled when it is missing (an
-- operator's change of its schedule stays).  pg_cron lives only in the
-- instance's own database (cron.database_name): elsewhere nothing is scheduled.
--
-- Idempotent: loaded on every start after the functions the jobs call.

SET client_min_messages = warning;

DO $$
DECLARE
    j record;
BEGIN
    IF NOT EXISTS (SELECT FROM pg_extension WHERE extname = 'pg_cron') THEN
        RETURN;
    END IF;
    FOR j IN
        SELECT * FROM (VALUES
            -- the counters' per-backend shards folded into one (campaign_stats.sql)
            ('smscamp-stats-compact', '* * * * *', 'SELECT smscamp_stats_compact()'),
            -- what the search of the leads knows of them (api/leads.sql)
            ('smscamp-search-stats', '*/5 * * * *', 'SELECT smscamp_search_stats_refresh()')
        ) AS v(name, schedule, command)
    LOOP
        -- (planned only here, where pg_cron exists: cron.job is its table)
        IF NOT EXISTS (SELECT FROM cron.job WHERE jobname = j.name) THEN
            PERFORM cron.schedule(j.name, j.schedule, j.command);
        END IF;
    END LOOP;
    -- housekeeping (stuck sends, campaigns to complete, scheduled campaigns due) is
    -- the background workers' (pg_extension/worker.c): one owner, every second; older
    -- databases also ran it from pg_cron every minute
    IF EXISTS (SELECT FROM cron.job WHERE jobname = 'smscamp-housekeeping') THEN
        PERFORM cron.unschedule('smscamp-housekeeping');
    END IF;
END
$$;
