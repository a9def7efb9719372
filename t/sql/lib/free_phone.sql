-- pg_temp.free_phone(prefix): the first phone prefix || 4 digits (0000 to 9999) that no lead
-- has and no opt-out holds.  Included by the tests with \ir lib/free_phone.sql.
CREATE FUNCTION pg_temp.free_phone(p_prefix text) RETURNS text
LANGUAGE sql AS $$
SELECT s.p
  FROM (SELECT g, p_prefix || lpad(g::text, 4, '0') AS p FROM generate_series(0, 9999) g) s
 WHERE NOT EXISTS (SELECT FROM leads l WHERE l.phone = s.p)
   AND NOT EXISTS (SELECT FROM opt_outs o WHERE o.phone = s.p)
 ORDER BY s.g LIMIT 1
$$;
