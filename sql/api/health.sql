-- Health API (contract: sql/README.md).
--
--   GET /api/health   api.health()
--
-- 200 when PostgreSQL answers; the nginx module answers 503 itself when it
-- cannot reach the database.

CREATE OR REPLACE FUNCTION api.health(OUT status integer, OUT body text)
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
SELECT 200,
       json_build_object('status', 'ok',
                         'database', 'ok',
                         'version', '0.1.0',
                         'time', now())::text
$$;

CALL smscamp_secure_api();
