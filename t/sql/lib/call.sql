-- pg_temp.call(sql): what the nginx module would answer for a route function's call,
-- {"status": n, "body": JSON or null}: its (status, body), or the status and JSON detail of an
-- api_error (SQLSTATE 'SCnnn', see sql/README.md).  Included by the tests with \ir lib/call.sql.
CREATE FUNCTION pg_temp.call(p_sql text) RETURNS jsonb
LANGUAGE plpgsql AS $$
DECLARE
    r record;
BEGIN
    EXECUTE p_sql INTO r;
    RETURN jsonb_build_object('status', r.status, 'body', r.body::jsonb);
EXCEPTION WHEN OTHERS THEN
    IF SQLSTATE !~ '^SC[0-9]{3}$' THEN
        RAISE;
    END IF;
    RETURN jsonb_build_object('status', substr(SQLSTATE, 3)::int, 'body', SQLERRM::jsonb);
END
$$;
