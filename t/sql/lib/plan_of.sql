-- pg_temp.plan_of(sql): the plan of a query (EXPLAIN), as text, a line a plan line, for
-- alike()/unalike() on the index names.  Included by the tests with \ir lib/plan_of.sql.
CREATE FUNCTION pg_temp.plan_of(p_sql text) RETURNS text
LANGUAGE plpgsql AS $$
DECLARE
    v_line text;
    v_plan text := '';
BEGIN
    FOR v_line IN EXECUTE 'EXPLAIN ' || p_sql LOOP
        v_plan := v_plan || v_line || E'\n';
    END LOOP;
    RETURN v_plan;
END
$$;
