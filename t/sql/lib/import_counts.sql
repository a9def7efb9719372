-- pg_temp.counts(answer): the counts of a POST /api/leads/import answer of pg_temp.call
-- (lib/call.sql): {inserted, updated, unchanged, skipped, ..., rejected: [the rejected rows'
-- numbers]}, without the changes list and dry_run.  Included by the tests with
-- \ir lib/import_counts.sql.
CREATE FUNCTION pg_temp.counts(r jsonb) RETURNS jsonb
LANGUAGE sql AS $$
    SELECT (r -> 'body') - 'changes' - 'changes_total' - 'dry_run' - 'rejected'
           || jsonb_build_object('rejected', coalesce((SELECT jsonb_agg(e -> 'row')
                                                         FROM jsonb_array_elements(r #> '{body,rejected}') AS e), '[]'))
$$;
