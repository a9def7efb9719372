-- smscamp sharded with PL/Proxy: what a shard adds to a full smscamp database (make
-- test-shards; sql/shard/router.sql, docs/SCALING.md). Loaded after sql/ (db_load), with
-- the psql variables shard (k, from 0) and shards (n).
--
-- Shard k of n numbers its leads k+1, k+1+n, k+1+2n, ...: a lead id says its shard, so
-- the router sends GET /api/leads/{id} to one shard (shards.of_id). Campaign ids are the
-- same on every shard: the router creates each campaign on all of them, in the same order,
-- and checks that the ids agree.
\set ON_ERROR_STOP on
SET client_min_messages = warning;

SELECT format('ALTER TABLE leads ALTER COLUMN id SET INCREMENT BY %s RESTART WITH %s',
              :shards, (SELECT coalesce(max(id), 0) FROM leads) / :shards * :shards + :shard + 1 + :shards)
\gexec
