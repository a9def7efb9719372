-- leads_search_name, leads_search_phone, leads_search_company (bench/lua/leads_search_terms.lua):
-- GET /api/leads?q=<term>, a term of bench_search_terms (bench/seed.sql) numbered tfirst..tlast
-- (-D: 1-100 name fragments, 101-200 phone-digit fragments, 201-300 company fragments),
-- as the module calls it.
\set t random(:tfirst, :tlast)
SELECT status, body
  FROM api.leads_list(jsonb_build_object('q', (SELECT term FROM bench_search_terms WHERE n = :t)));
