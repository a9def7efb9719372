-- pg_temp.errs(answer): the FastAPI errors of a 422 answer of pg_temp.call (lib/call.sql),
-- {"status": 422, "body": {"detail": [...]}}, as "loc type" strings in their order, e.g.
-- '["body", "name"] missing'; NULL when the body has no detail list.
-- Included by the tests with \ir lib/errs.sql.
CREATE FUNCTION pg_temp.errs(a jsonb) RETURNS text[]
LANGUAGE sql AS $$
    SELECT array_agg((d ->> 'loc') || ' ' || (d ->> 'type') ORDER BY o)
      FROM jsonb_array_elements(a -> 'body' -> 'detail') WITH ORDINALITY AS x(d, o)
$$;
