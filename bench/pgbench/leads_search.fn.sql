-- leads_search (bench/lua/leads_search.lua): GET /api/leads?q=<term>, a term drawn from
-- the Lua script's 19 (same list, same order), as the module calls it. pgbench has no
-- string variables: the term is picked by index from an array constant (one subscript
-- per call, the same in leads_search.sql.sql).
\set t random(1, 19)
SELECT status, body FROM api.leads_list(jsonb_build_object('q', (ARRAY[
    'lovelace', 'turing', 'hopper', 'knuth', 'grace', 'dennis', 'hedy',
    'ada lovelace', 'alan turing', 'grace hopper',
    'globex', 'initech', 'acme solar',
    '5550012', '55500999', '5551234',
    'ada.lovelace1', 'knuth77',
    'nobody-matches-this'])[:t::integer]));
