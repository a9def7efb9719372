-- Leads API: POST /api/leads/import (contract: sql/README.md), a JSON array of
-- leads or a CSV file; each row is validated as POST /api/leads validates one
-- lead (api_lead_validate, api/leads.sql, loaded before this file).
--
--   POST /api/leads/import?on_existing=merge|skip|replace&dry_run=   api.leads_import(args, content_type, body)

------------------------------------------------------------------------------
-- Helpers (private)
------------------------------------------------------------------------------

-- The columns of a CSV header row, numbered from 1: key (the header, trimmed),
-- col (lower-cased) and whether it is one of the leads' own columns (known);
-- the others are attributes.
CREATE OR REPLACE FUNCTION api_csv_header_columns(p_header text[])
RETURNS TABLE (key text, col text, i integer, known boolean)
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
SELECT btrim(u.c, E' \t'), lower(btrim(u.c, E' \t')), u.i::integer,
       lower(btrim(u.c, E' \t')) IN ('name', 'phone', 'email', 'company', 'notes', 'timezone',
                                       'consent_at', 'consent_source', 'consent_text')
  FROM unnest(p_header) WITH ORDINALITY AS u(c, i)
$$;

-- The rows of an import body: a JSON array of lead objects, or CSV with a
-- header row: name, phone, email, company, notes, timezone, consent_at,
-- consent_source, consent_text (case-insensitive); every
-- other column is an attribute named by its header (trimmed), its non-empty
-- cells the values (under a column without a header a value rejects its
-- row: there is no name to keep it under).  Rows are
-- numbered from 1.  Errors of the body as a whole are raised here: 400
-- malformed JSON, 413 too many rows, 415 unsupported content type, 422 not
-- an array / no name or phone column / a header that is no attribute name,
-- repeated, or more than 50 attribute columns / unterminated CSV quote.
CREATE OR REPLACE FUNCTION api_leads_import_rows(p_content_type text, p_body text,
                                                 max_rows integer DEFAULT 100000)
RETURNS TABLE (row_no integer, obj jsonb)
LANGUAGE plpgsql STABLE AS $$
DECLARE
    v_type text := lower(btrim(split_part(coalesce(p_content_type, ''), ';', 1)));
    v_json jsonb;
    v_header text[];
    v_col record;
    v_attr_keys text[];     -- the attribute columns' names...
    v_attr_cols integer[];  -- ...and positions (NULL: there are none)
    v_errors jsonb;
    v_rows bigint;
    v_detail text;
    v_context text;
    c_too_many constant text :=
        'Too many rows: an import takes at most %s rows (this one has %s)';
BEGIN
    IF p_body IS NULL OR btrim(p_body, E' \t\r\n') = '' THEN
        PERFORM api_validation_error(jsonb_build_array(
            api_error_item('["body"]', 'Field required', 'missing')));
    END IF;

    IF v_type IN ('', 'application/json') OR v_type LIKE 'application/%+json' THEN
        BEGIN
            v_json := p_body::jsonb;
        EXCEPTION WHEN data_exception THEN
            GET STACKED DIAGNOSTICS v_detail = PG_EXCEPTION_DETAIL,
                                    v_context = PG_EXCEPTION_CONTEXT;
            PERFORM api_error(400, to_jsonb(concat_ws(' ',
                'Request body is not valid JSON:', nullif(v_detail, ''),
                '(' || substring(v_context FROM 'JSON data, (line [0-9]+)') || ')')));
        END;
        IF jsonb_typeof(v_json) <> 'array' THEN
            PERFORM api_validation_error(jsonb_build_array(api_error_item('["body"]',
                'Input should be a valid list (a JSON array of leads)', 'list_type')));
        END IF;
        v_rows := jsonb_array_length(v_json);
        IF v_rows > max_rows THEN
            PERFORM api_error(413, to_jsonb(format(c_too_many, max_rows, v_rows)));
        END IF;
        RETURN QUERY
            SELECT e.n::integer, e.value
              FROM jsonb_array_elements(v_json) WITH ORDINALITY AS e(value, n);
        RETURN;
    END IF;

    IF v_type NOT IN ('text/csv', 'application/csv', 'text/comma-separated-values',
                      'application/vnd.ms-excel') THEN
        PERFORM api_error(415, to_jsonb(format(
            'Unsupported Content-Type %s: send application/json (an array of leads) '
            'or text/csv (with a header row)', coalesce(p_content_type, ''))));
    END IF;

    BEGIN
        v_header := smscamp_csv_header(p_body);
        WITH h AS (SELECT * FROM api_csv_header_columns(v_header))
        SELECT min(h.i) FILTER (WHERE h.col = 'name') AS name,
               min(h.i) FILTER (WHERE h.col = 'phone') AS phone,
               min(h.i) FILTER (WHERE h.col = 'email') AS email,
               min(h.i) FILTER (WHERE h.col = 'company') AS company,
               min(h.i) FILTER (WHERE h.col = 'notes') AS notes,
               min(h.i) FILTER (WHERE h.col = 'timezone') AS timezone,
               min(h.i) FILTER (WHERE h.col = 'consent_at') AS consent_at,
               min(h.i) FILTER (WHERE h.col = 'consent_source') AS consent_source,
               min(h.i) FILTER (WHERE h.col = 'consent_text') AS consent_text,
               array_agg(h.key ORDER BY h.i) FILTER (WHERE NOT h.known) AS attr_keys,
               array_agg(h.i ORDER BY h.i) FILTER (WHERE NOT h.known) AS attr_cols,
               count(*) FILTER (WHERE NOT h.known AND h.key <> '') AS attr_count
          INTO v_col
          FROM h;
        v_attr_keys := v_col.attr_keys;
        v_attr_cols := v_col.attr_cols;

        WITH h AS (SELECT * FROM api_csv_header_columns(v_header))
        SELECT coalesce(jsonb_agg(api_error_item('["body"]', e.msg, e.type)
                                  ORDER BY e.o, e.i), '[]')
          INTO v_errors
          FROM (SELECT 1 AS o, m.o AS i, 'missing' AS type,
                       format('CSV header has no "%s" column (it has: %s)', m.col,
                              array_to_string(v_header, ', ')) AS msg
                  FROM (VALUES (1, 'name', v_col.name), (2, 'phone', v_col.phone))
                       AS m(o, col, i)
                 WHERE m.i IS NULL
                UNION ALL
                SELECT 2, min(h.i), 'value_error',
                       format('CSV header has the column "%s" more than once',
                              (array_agg(h.key ORDER BY h.i))[1])
                  FROM h
                 WHERE h.key <> ''
                 GROUP BY CASE WHEN h.known THEN h.col ELSE h.key END
                HAVING count(*) > 1
                UNION ALL
                SELECT 3, h.i, 'value_error',
                       format('CSV header "%s" is not a valid attribute name: use letters, '
                              'digits and _, starting with a letter or _, at most 64 '
                              'characters', h.key)
                  FROM h
                 WHERE NOT h.known AND h.key <> ''
                   AND h.key !~ '^[A-Za-z_][A-Za-z0-9_]{0,63}$'
                UNION ALL
                SELECT 4, 0, 'too_long',
                       format('CSV header has %s attribute columns: a lead has at most 50 '
                              'attributes', v_col.attr_count)
                 WHERE v_col.attr_count > 50) AS e;
        PERFORM api_check(v_errors);

        -- a missing cell (a short row) leaves the field out; the attribute
        -- columns' non-empty cells make the row's attributes
        RETURN QUERY
            SELECT r.row_no, jsonb_strip_nulls(jsonb_build_object(
                       'name', r.fields[v_col.name],
                       'phone', r.fields[v_col.phone],
                       'email', r.fields[v_col.email],
                       'company', r.fields[v_col.company],
                       'notes', r.fields[v_col.notes],
                       'timezone', nullif(r.fields[v_col.timezone], ''),
                       'consent_at', nullif(r.fields[v_col.consent_at], ''),
                       'consent_source', nullif(r.fields[v_col.consent_source], ''),
                       'consent_text', nullif(r.fields[v_col.consent_text], ''),
                       'attributes', CASE WHEN v_attr_cols IS NOT NULL THEN
                           (SELECT jsonb_object_agg(a.key, r.fields[a.i])
                              FROM unnest(v_attr_keys, v_attr_cols) AS a(key, i)
                             WHERE r.fields[a.i] <> '')
                       END))
              FROM smscamp_parse_csv(p_body) AS r
             WHERE r.row_no > 0;
    EXCEPTION WHEN invalid_text_representation THEN
        PERFORM api_validation_error(jsonb_build_array(api_error_item('["body"]',
            'Invalid CSV: ' || SQLERRM, 'value_error')));
    END;
    GET DIAGNOSTICS v_rows = ROW_COUNT;
    IF v_rows > max_rows THEN
        PERFORM api_error(413, to_jsonb(format(c_too_many, max_rows, v_rows)));
    END IF;
END
$$;

------------------------------------------------------------------------------
-- Route
------------------------------------------------------------------------------

-- on_existing and dry_run of POST /api/leads/import from its query
-- arguments, and their errors ('[]' when none; returned, not raised).
CREATE OR REPLACE FUNCTION api_leads_import_options(args jsonb,
                                                    OUT on_existing text,
                                                    OUT dry_run boolean,
                                                    OUT errors jsonb)
LANGUAGE sql STABLE PARALLEL SAFE AS $$
SELECT
    CASE WHEN e.o = '[]' THEN coalesce(a.o, 'merge') END,
    CASE WHEN e.d = '[]' THEN coalesce(a.d = 'true', false) END,
    e.o || e.d
FROM (SELECT args ->> 'on_existing' AS o, args ->> 'dry_run' AS d) AS a,
     LATERAL (SELECT
        CASE WHEN a.o IS NULL OR a.o IN ('merge', 'skip', 'replace') THEN '[]'::jsonb
             ELSE jsonb_build_array(api_error_item('["query","on_existing"]',
                      'Input should be ''merge'', ''skip'' or ''replace''', 'enum',
                      jsonb_build_object('expected', '''merge'', ''skip'' or ''replace''')))
        END AS o,
        CASE WHEN a.d IS NULL OR a.d IN ('true', 'false') THEN '[]'::jsonb
             ELSE jsonb_build_array(api_error_item('["query","dry_run"]',
                      'Input should be a valid boolean: true or false', 'bool_parsing'))
        END AS d) AS e
$$;

-- POST /api/leads/import?on_existing=merge|skip|replace&dry_run=true|false:
-- a JSON array of leads or CSV with a header row.  Each row is validated
-- (api_lead_validate); a phone seen in an earlier row is rejected as a
-- "duplicate of row N"; a valid row with a new phone inserts a lead, one
-- with a lead's phone:
--   merge    (default) updates what the row has: empty cells, nulls and
--            absent fields keep the lead's values, attributes merge key by
--            key (an empty value keeps the old one)
--   skip     leaves the lead untouched (skipped)
--   replace  makes the lead what the row says: empty or absent optional
--            fields are cleared, attributes replaced
-- A lead the row would not change is unchanged (not rewritten).  The answer
-- says what happened -- or, with dry_run=true, what would happen, with
-- nothing written: inserted + updated + unchanged + skipped + the number of
-- rejected rows = the number of rows; changes (the first 1,000 updated
-- leads, in row order; changes_total counts them all) gives each changed
-- field's from and to ("attributes.city" for an attribute).  All or
-- nothing: a lead changed or created by someone else while the import ran
-- makes it a 409 with nothing written.
-- (The first version took no query arguments: it is dropped.)
DROP FUNCTION IF EXISTS api.leads_import(text, text);
CREATE OR REPLACE FUNCTION api.leads_import(p_args jsonb, p_content_type text,
                                            p_body text,
                                            OUT status integer, OUT body text)
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp
SET work_mem = '64MB'           -- joins and sorts 100,000 rows in memory
AS $$
DECLARE
    v_options record;
    v_mode text;
    v_dry boolean;
    v_result record;
BEGIN
    SELECT * INTO v_options FROM api_leads_import_options(coalesce(p_args, '{}'));
    PERFORM api_check(v_options.errors);
    v_mode := v_options.on_existing;
    v_dry := v_options.dry_run;

    WITH src AS MATERIALIZED (
        SELECT r.row_no, v.*
          FROM api_leads_import_rows(p_content_type, p_body) AS r
         CROSS JOIN LATERAL api_lead_validate(r.obj, false,
                                              jsonb_build_array('body', r.row_no)) AS v
    ),
    -- the phones of more than one row: the first row is the one used
    dups AS MATERIALIZED (
        SELECT s.phone, min(s.row_no) AS first_row
          FROM src AS s
         WHERE s.phone IS NOT NULL
         GROUP BY s.phone
        HAVING count(*) > 1
    ),
    -- each valid row with what it does: the lead it meets (as of now), the
    -- values it would leave, its action
    plan AS MATERIALIZED (
        SELECT q.*,
               CASE WHEN q.id IS NULL THEN 'insert'
                    WHEN v_mode = 'skip' THEN 'skip'
                    WHEN q.new_attributes IS NOT NULL AND v_mode = 'merge'
                         AND (SELECT count(*) FROM jsonb_object_keys(q.n_attributes)) > 50
                         THEN 'reject'
                    WHEN (q.o_name, q.o_email, q.o_company, q.o_notes, q.o_attributes,
                          q.o_timezone, q.o_consent_at, q.o_consent_source, q.o_consent_text)
                         IS NOT DISTINCT FROM
                         (q.n_name, q.n_email, q.n_company, q.n_notes, q.n_attributes,
                          q.n_timezone, q.n_consent_at, q.n_consent_source, q.n_consent_text)
                         THEN 'unchanged'
                    ELSE 'update'
               END AS action
          FROM (SELECT s.row_no, s.phone, s.attributes AS new_attributes,
                       l.id, l.xmin AS o_xmin,
                       l.name AS o_name, l.email AS o_email, l.company AS o_company,
                       l.notes AS o_notes, l.attributes AS o_attributes,
                       l.timezone AS o_timezone, l.consent_at AS o_consent_at,
                       l.consent_source AS o_consent_source, l.consent_text AS o_consent_text,
                       s.name AS n_name,
                       CASE WHEN l.id IS NULL OR v_mode = 'replace' THEN s.email
                            ELSE coalesce(s.email, l.email) END AS n_email,
                       CASE WHEN l.id IS NULL OR v_mode = 'replace' THEN s.company
                            ELSE coalesce(s.company, l.company) END AS n_company,
                       CASE WHEN l.id IS NULL OR v_mode = 'replace' THEN s.notes
                            ELSE coalesce(s.notes, l.notes) END AS n_notes,
                       CASE WHEN l.id IS NULL OR v_mode = 'replace' THEN s.timezone
                            ELSE coalesce(s.timezone, l.timezone) END AS n_timezone,
                       CASE WHEN l.id IS NULL OR v_mode = 'replace' THEN s.consent_at
                            ELSE coalesce(s.consent_at, l.consent_at) END AS n_consent_at,
                       CASE WHEN l.id IS NULL OR v_mode = 'replace' THEN s.consent_source
                            ELSE coalesce(s.consent_source, l.consent_source) END AS n_consent_source,
                       CASE WHEN l.id IS NULL OR v_mode = 'replace' THEN s.consent_text
                            ELSE coalesce(s.consent_text, l.consent_text) END AS n_consent_text,
                       CASE WHEN l.id IS NULL OR v_mode = 'replace'
                            THEN coalesce(s.attributes, '{}')
                            ELSE l.attributes || coalesce(s.attributes, '{}')
                       END AS n_attributes
                  FROM src AS s
                  LEFT JOIN dups AS d ON d.phone = s.phone
                  LEFT JOIN leads AS l ON l.phone = s.phone
                 WHERE s.errors = '[]'
                   AND (d.first_row IS NULL OR d.first_row = s.row_no)
                OFFSET 0) AS q
    ),
    -- only a lead still as it was read is updated (xmin: the same row
    -- version); one changed meanwhile is counted below and makes it a 409
    upd AS (
        UPDATE leads AS l SET
            name = p.n_name, email = p.n_email, company = p.n_company,
            notes = p.n_notes, attributes = p.n_attributes, timezone = p.n_timezone,
            consent_at = p.n_consent_at, consent_source = p.n_consent_source,
            consent_text = p.n_consent_text
          FROM plan AS p
         WHERE NOT v_dry AND p.action = 'update'
           AND l.id = p.id AND l.xmin = p.o_xmin
        RETURNING l.id
    ),
    -- new leads get their ids in file order; a phone inserted by someone
    -- else since this statement's snapshot is not (and makes it a 409)
    ins AS (
        INSERT INTO leads AS l (name, phone, email, company, notes, attributes, timezone,
                                consent_at, consent_source, consent_text)
        SELECT p.n_name, p.phone, p.n_email, p.n_company, p.n_notes, p.n_attributes,
               p.n_timezone, p.n_consent_at, p.n_consent_source, p.n_consent_text
          FROM plan AS p
         WHERE NOT v_dry AND p.action = 'insert'
         ORDER BY p.row_no
        ON CONFLICT (phone) DO NOTHING
        RETURNING l.id
    )
    SELECT c.*,
           (SELECT count(*) FROM upd) AS written_updates,
           (SELECT count(*) FROM ins) AS written_inserts,
           (SELECT coalesce(jsonb_agg(jsonb_build_object('row', x.row_no, 'detail', x.detail)
                                      ORDER BY x.row_no), '[]')
              FROM (SELECT s.row_no,
                           s.errors || CASE WHEN d.first_row < s.row_no THEN
                               jsonb_build_array(api_error_item(
                                   jsonb_build_array('body', s.row_no, 'phone'),
                                   format('duplicate of row %s', d.first_row),
                                   'value_error'))
                               ELSE '[]' END AS detail
                      FROM src AS s
                      LEFT JOIN dups AS d ON d.phone = s.phone
                     WHERE s.errors <> '[]' OR d.first_row < s.row_no
                    UNION ALL
                    SELECT p.row_no, jsonb_build_array(api_error_item(
                               jsonb_build_array('body', p.row_no, 'attributes'),
                               format('A lead has at most 50 attributes: this row would give '
                                      'lead %s %s', p.id,
                                      (SELECT count(*) FROM jsonb_object_keys(p.n_attributes))),
                               'too_long', '{"max_length":50}'))
                      FROM plan AS p
                     WHERE p.action = 'reject') AS x) AS rejected,
           (SELECT coalesce(jsonb_agg(jsonb_build_object(
                       'row', u.row_no, 'lead_id', u.id, 'name', u.n_name, 'phone', u.phone,
                       'fields', (SELECT jsonb_object_agg(f.k, jsonb_build_object('from', f.o,
                                                                                  'to', f.n))
                                    FROM (SELECT *
                                            FROM (VALUES ('name', to_jsonb(u.o_name), to_jsonb(u.n_name)),
                                                         ('email', to_jsonb(u.o_email), to_jsonb(u.n_email)),
                                                         ('company', to_jsonb(u.o_company), to_jsonb(u.n_company)),
                                                         ('notes', to_jsonb(u.o_notes), to_jsonb(u.n_notes)),
                                                         ('timezone', to_jsonb(u.o_timezone), to_jsonb(u.n_timezone)),
                                                         ('consent_at', to_jsonb(u.o_consent_at), to_jsonb(u.n_consent_at)),
                                                         ('consent_source', to_jsonb(u.o_consent_source), to_jsonb(u.n_consent_source)),
                                                         ('consent_text', to_jsonb(u.o_consent_text), to_jsonb(u.n_consent_text)))
                                                 AS v(k, o, n)
                                          UNION ALL
                                          SELECT 'attributes.' || a.k, u.o_attributes -> a.k,
                                                 u.n_attributes -> a.k
                                            FROM (SELECT jsonb_object_keys(u.o_attributes)
                                                  UNION
                                                  SELECT jsonb_object_keys(u.n_attributes))
                                                 AS a(k)) AS f
                                   WHERE f.o IS DISTINCT FROM f.n))
                       ORDER BY u.row_no), '[]')
              FROM (SELECT * FROM plan AS p WHERE p.action = 'update'
                     ORDER BY p.row_no LIMIT 1000) AS u) AS changes
      INTO v_result
      FROM (SELECT count(*) FILTER (WHERE p.action = 'insert') AS inserted,
                   count(*) FILTER (WHERE p.action = 'update') AS updated,
                   count(*) FILTER (WHERE p.action = 'unchanged') AS unchanged,
                   count(*) FILTER (WHERE p.action = 'skip') AS skipped
              FROM plan AS p) AS c;

    IF NOT v_dry AND (v_result.written_updates <> v_result.updated
                      OR v_result.written_inserts <> v_result.inserted) THEN
        PERFORM api_error(409, to_jsonb(
            'Some of these leads were changed or added by someone else while the file was '
            'imported; nothing was imported: try again'::text));
    END IF;
    -- a file of many new leads changes what the search knows of the leads (its
    -- sample, the phones' common digits): refreshed now, not in up to 5 minutes
    IF NOT v_dry AND v_result.inserted >= 1000 THEN
        PERFORM smscamp_search_stats_refresh();
    END IF;

    status := 200;
    body := json_build_object('inserted', v_result.inserted, 'updated', v_result.updated,
                              'unchanged', v_result.unchanged, 'skipped', v_result.skipped,
                              'rejected', v_result.rejected,
                              'changes', v_result.changes,
                              'changes_total', v_result.updated,
                              'dry_run', v_dry)::text;
END
$$;

CALL smscamp_secure_api();
