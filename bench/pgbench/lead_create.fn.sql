-- lead_create (bench/lua/lead_create.lua): POST /api/leads with the Lua script's body and
-- a unique phone, as the module calls it (the body as jsonb). The phone is
-- +1 <area> <client digit> <6-digit counter>: area is given per pgbench run (-D area=,
-- bench/run.sh: 702 and up; wrk has 700 and 701), client_id is pgbench's (0..7), n a
-- per-client counter (-D n=0; pgbench keeps a client's variables from one transaction
-- to the next). So no two calls of a bench run share a phone: no 409s.
\set n :n + 1
\set phone :area * 10000000 + (:client_id % 10) * 1000000 + :n % 1000000
SELECT status, body FROM api.leads_create(format(
    '{"name":"Bench Lead %s-%s","phone":"+1%s","email":"bench%s.%s@example.com","company":"Bench Co"}',
    :client_id::integer, :n::integer, :phone::bigint, :client_id::integer, :n::integer)::jsonb);
