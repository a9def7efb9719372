-- smscamp sharded with PL/Proxy: the router's database (make test-shards; docs/SCALING.md).
--
-- The router keeps no data. nginx talks to it as to one smscamp: the routes call the same
-- api.<function>s, and here each one's body says where it runs (CLUSTER 'smscamp'; RUN ON
-- ...). The shards are full smscamp databases (sql/, the extension, their own workers):
--   * leads, their campaign leads, messages and counters live on the shard given by a hash
--     of the lead's phone in E.164 (shards.of_phone), so a phone's uniqueness and its
--     opt-out stay on one shard; a lead's id tells its shard (shard k of n numbers its
--     leads k+1, k+1+n, ...: sql/shard/shard.sql), so GET /api/leads/{id} goes to one;
--   * keys are global: they live on shard 0 (api.auth runs there);
--   * campaign definitions are global: created, started and read on every shard under
--     the same id, each shard with its own leads; the router sums what the shards count;
--   * each shard's workers claim and send its own leads.
-- A shard's error (SQLSTATE SCnnn, its message the JSON body) reaches the module with
-- PL/Proxy's prefix ("api.leads_create(1): [smscamp] REMOTE ERROR: "), which the module
-- strips (ngx_smscamp_response.c).
--
-- Only the routes of the proof are here: health, auth, leads create/get, campaigns
-- create/get/start, the dashboard's stats. psql variables: p0, p1 (the shards' connection strings).
\set ON_ERROR_STOP on
SET client_min_messages = warning;

CREATE EXTENSION IF NOT EXISTS plproxy;
CREATE EXTENSION IF NOT EXISTS smscamp;      -- smscamp_normalize_phone, for a phone's shard

DO $$
BEGIN
    IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'smscamp_api') THEN
        CREATE ROLE smscamp_api LOGIN;
    END IF;
END
$$;

DROP SERVER IF EXISTS smscamp CASCADE;
CREATE SERVER smscamp FOREIGN DATA WRAPPER plproxy
    OPTIONS (connection_lifetime '1800', p0 :'p0', p1 :'p1');
CREATE USER MAPPING FOR PUBLIC SERVER smscamp OPTIONS (user 'smscamp_api');
GRANT USAGE ON FOREIGN SERVER smscamp TO smscamp_api;

DROP SCHEMA IF EXISTS api CASCADE;
DROP SCHEMA IF EXISTS shards CASCADE;
CREATE SCHEMA api;
CREATE SCHEMA shards;
GRANT USAGE ON SCHEMA api, shards TO smscamp_api;

------------------------------------------------------------------------------
-- where a row lives
------------------------------------------------------------------------------

CREATE FUNCTION shards.count() RETURNS integer
LANGUAGE sql IMMUTABLE RETURN 2;

-- the shard of a lead's phone: its E.164 form hashed (PL/Proxy takes it modulo the
-- number of shards); a phone that does not parse goes where its text hashes, and that
-- shard's validation answers
CREATE FUNCTION shards.of_phone(p_body jsonb) RETURNS integer
LANGUAGE sql STABLE
RETURN hashtext(coalesce(smscamp_normalize_phone(p_body ->> 'phone'), p_body ->> 'phone', ''));

-- the shard of a lead id (shard k numbers its leads k+1, k+1+n, ...); not an id: shard 0,
-- whose validation answers
CREATE FUNCTION shards.of_id(p_id text) RETURNS integer
LANGUAGE sql IMMUTABLE
RETURN CASE WHEN p_id ~ '^[1-9][0-9]{0,17}$' THEN ((p_id::bigint - 1) % shards.count())::integer
            ELSE 0 END;

------------------------------------------------------------------------------
-- routes that run on one shard
------------------------------------------------------------------------------

CREATE FUNCTION api.health(OUT status integer, OUT body text)
LANGUAGE plproxy AS $$
    CLUSTER 'smscamp';
    RUN ON 0;
$$;

CREATE FUNCTION api.auth(p_hash text, OUT role text, OUT rate_limit integer)
LANGUAGE plproxy AS $$
    CLUSTER 'smscamp';
    RUN ON 0;
$$;

CREATE FUNCTION api.leads_create(p_body jsonb, OUT status integer, OUT body text)
LANGUAGE plproxy AS $$
    CLUSTER 'smscamp';
    RUN ON shards.of_phone(p_body);
$$;

CREATE FUNCTION api.leads_get(p_id text, OUT status integer, OUT body text)
LANGUAGE plproxy AS $$
    CLUSTER 'smscamp';
    RUN ON shards.of_id(p_id);
$$;

------------------------------------------------------------------------------
-- routes that run on every shard: the shards' answers, then one answer
------------------------------------------------------------------------------

-- the objects' numbers summed, key by key (nested objects too); any other value is the
-- first object's
CREATE FUNCTION shards.sum_numbers(objs jsonb[]) RETURNS jsonb
LANGUAGE sql IMMUTABLE AS $$
SELECT coalesce(jsonb_object_agg(k, v), '{}')
  FROM (SELECT k, CASE
                -- (an aggregate's argument is computed for every row, whatever the branch)
                WHEN bool_and(jsonb_typeof(v) = 'number')
                THEN to_jsonb(sum(CASE WHEN jsonb_typeof(v) = 'number' THEN (v #>> '{}')::numeric END))
                WHEN bool_and(jsonb_typeof(v) = 'object') THEN shards.sum_numbers(array_agg(v ORDER BY i))
                ELSE (array_agg(v ORDER BY i))[1] END AS v
          FROM unnest(objs) WITH ORDINALITY AS o(obj, i), jsonb_each(obj) AS e(k, v)
         WHERE jsonb_typeof(obj) = 'object'
         GROUP BY k) AS summed
$$;

-- the ratios of summed counters, as the shards compute them from their own:
-- success_rate and reply_rate from total_messages_sent, total_messages_failed and replies
CREATE FUNCTION shards.rates(c jsonb) RETURNS jsonb
LANGUAGE sql IMMUTABLE AS $$
SELECT jsonb_build_object(
    'success_rate', CASE WHEN sent + failed = 0 THEN NULL ELSE round(100.0 * sent / (sent + failed), 1) END,
    'reply_rate', CASE WHEN sent = 0 THEN NULL ELSE round(100.0 * replies / sent, 1) END)
  FROM (SELECT (c ->> 'total_messages_sent')::numeric AS sent,
               (c ->> 'total_messages_failed')::numeric AS failed,
               (c ->> 'replies')::numeric AS replies) AS n
$$;

-- the first shard's answer that is an error (status 300 or more), or NULLs
CREATE FUNCTION shards.error_answer(p_status integer[], p_body text[], OUT status integer, OUT body text)
LANGUAGE sql IMMUTABLE AS $$
SELECT p_status[i], p_body[i]
  FROM generate_subscripts(p_status, 1) AS i
 WHERE p_status[i] >= 300
 ORDER BY i LIMIT 1
$$;

-- One campaign from the shards' views of it (the same id on each): its counters summed,
-- the ratios computed again from the sums, its status the one of every shard, else the
-- least advanced one (a shard still processing keeps the campaign processing), and
-- completed_at the last shard's. An error answer of a shard is the answer.
CREATE FUNCTION shards.one_campaign(p_status integer[], p_body text[], OUT status integer, OUT body text)
LANGUAGE plpgsql IMMUTABLE AS $$
DECLARE
    b jsonb[] := p_body::jsonb[];
    s jsonb;
    v_status text;
BEGIN
    SELECT e.status, e.body INTO status, body FROM shards.error_answer(p_status, p_body) AS e;
    IF status IS NOT NULL THEN
        RETURN;
    END IF;
    IF (SELECT count(DISTINCT x ->> 'id') FROM unnest(b) AS x) <> 1 THEN
        RAISE EXCEPTION USING ERRCODE = 'SC500', MESSAGE = json_build_object('detail',
            'The shards hold different campaigns under one id')::text;
    END IF;
    s := shards.sum_numbers(ARRAY(SELECT x -> 'stats' FROM unnest(b) AS x));
    s := s || shards.rates(s) || jsonb_build_object(
        'progress', CASE WHEN (s ->> 'total_leads')::numeric = 0 THEN 0
                         ELSE round(100.0 * (s ->> 'processed')::numeric / (s ->> 'total_leads')::numeric, 1) END);
    SELECT CASE WHEN count(DISTINCT x ->> 'status') = 1 THEN min(x ->> 'status')
                ELSE (array_agg(x ->> 'status' ORDER BY array_position(
                          ARRAY['draft', 'scheduled', 'pending', 'processing', 'paused',
                                'failed', 'cancelled', 'completed'], x ->> 'status')))[1] END
      INTO v_status FROM unnest(b) AS x;
    status := p_status[1];
    body := (b[1] || jsonb_build_object(
        'status', v_status,
        'stats', s,
        'completed_at', CASE WHEN v_status = 'completed'
                             THEN (SELECT to_jsonb(max(x ->> 'completed_at')) FROM unnest(b) AS x) END))::text;
END
$$;

-- api.campaigns_<verb> (create, get, start): each shard's answer (shards.campaigns_<verb>,
-- RUN ON ALL), then one campaign of them (shards.one_campaign)
DO $do$
DECLARE
    r record;
BEGIN
    FOR r IN SELECT * FROM (VALUES ('create', 'p_body jsonb', 'p_body'),
                                   ('get', 'p_id text', 'p_id'),
                                   ('start', 'p_id text', 'p_id')) AS v(verb, params, args)
    LOOP
        EXECUTE format($fn$
CREATE FUNCTION shards.campaigns_%1$s(%2$s, OUT status integer, OUT body text)
RETURNS SETOF record
LANGUAGE plproxy AS $$
    CLUSTER 'smscamp';
    RUN ON ALL;
    SELECT status, body FROM api.campaigns_%1$s(%3$s);
$$
$fn$, r.verb, r.params, r.args);
        EXECUTE format($fn$
CREATE FUNCTION api.campaigns_%1$s(%2$s, OUT status integer, OUT body text)
LANGUAGE sql AS $$
SELECT (shards.one_campaign(array_agg(a.status), array_agg(a.body))).*
  FROM shards.campaigns_%1$s(%3$s) AS a
$$
$fn$, r.verb, r.params, r.args);
    END LOOP;
END
$do$;

------------------------------------------------------------------------------
-- the dashboard: every shard counts its own leads and sends; the campaigns are
-- the same on every shard, so they are counted once
------------------------------------------------------------------------------

CREATE FUNCTION shards.dashboard_stats(OUT status integer, OUT body text)
RETURNS SETOF record
LANGUAGE plproxy AS $$
    CLUSTER 'smscamp';
    RUN ON ALL;
    SELECT status, body FROM api.dashboard_stats();
$$;

-- arrays of numbers summed element by element (the hourly series)
CREATE FUNCTION shards.sum_arrays(arrs jsonb[]) RETURNS jsonb
LANGUAGE sql IMMUTABLE AS $$
SELECT coalesce(jsonb_agg(n ORDER BY i), '[]')
  FROM (SELECT i, sum((e #>> '{}')::numeric) AS n
          FROM unnest(arrs) AS a(arr), jsonb_array_elements(arr) WITH ORDINALITY AS x(e, i)
         GROUP BY i) AS summed
$$;

CREATE FUNCTION api.dashboard_stats(OUT status integer, OUT body text)
LANGUAGE plpgsql STABLE AS $$
DECLARE
    st integer[];
    t text[];
    b jsonb[];
    d jsonb;
BEGIN
    SELECT array_agg(a.status), array_agg(a.body) INTO st, t FROM shards.dashboard_stats() AS a;
    SELECT e.status, e.body INTO status, body FROM shards.error_answer(st, t) AS e;
    IF status IS NOT NULL THEN
        RETURN;
    END IF;
    b := t::jsonb[];
    d := shards.sum_numbers(b);
    d := d || jsonb_build_object(
        'total_campaigns', b[1] -> 'total_campaigns',
        'campaigns_by_status', b[1] -> 'campaigns_by_status',
        'messages_per_hour', shards.sum_arrays(ARRAY(SELECT x -> 'messages_per_hour' FROM unnest(b) AS x)),
        'replies_per_hour', shards.sum_arrays(ARRAY(SELECT x -> 'replies_per_hour' FROM unnest(b) AS x)))
         || shards.rates(d);
    status := 200;
    body := d::text;
END
$$;

GRANT EXECUTE ON ALL FUNCTIONS IN SCHEMA api, shards TO smscamp_api;
