-- pg_temp.route(sql): run a route function's call (one that answers, not raises); its body as
-- jsonb ('{}' when it has none), with its status in "_status".
-- Included by the tests with \ir lib/route.sql.
CREATE FUNCTION pg_temp.route(p_sql text) RETURNS jsonb
LANGUAGE plpgsql AS $$
DECLARE
    r record;
BEGIN
    EXECUTE p_sql INTO r;
    RETURN coalesce(r.body::jsonb, '{}') || jsonb_build_object('_status', r.status);
END
$$;
