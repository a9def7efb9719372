-- pg_temp.err(sql): what a statement raised, {"state": SQLSTATE, "body": the message as JSON
-- (NULL when it is not JSON), "message": the message as text}; NULL when it did not raise.
-- For the api_error of a route (SQLSTATE 'SCnnn', its detail JSON as the message, see
-- sql/README.md).  Included by the tests with \ir lib/err.sql.
CREATE FUNCTION pg_temp.err(p_sql text) RETURNS jsonb
LANGUAGE plpgsql AS $$
BEGIN
    EXECUTE p_sql;
    RETURN NULL;
EXCEPTION WHEN OTHERS THEN
    RETURN jsonb_build_object('state', SQLSTATE,
                              'body', CASE WHEN SQLERRM ~ '^\{' THEN SQLERRM::jsonb END,
                              'message', SQLERRM);
END
$$;
