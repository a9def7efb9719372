-- Leads API: route functions for /api/leads (contract: sql/README.md).
--
--   GET    /api/leads?limit=&offset=&q=   api_leads_list(args jsonb)
--   POST   /api/leads                     api_leads_create(json jsonb)
--   GET    /api/leads/{id}                api_leads_get(id text)
--   PUT    /api/leads/{id}                api_leads_update(id text, json jsonb)
--   DELETE /api/leads/{id}                api_leads_delete(id text)
--   POST   /api/leads/import              api_leads_import(content_type text, body text)
--
-- One lead object is validated by api_lead_validate() only, for create,
-- update and import alike.

------------------------------------------------------------------------------
-- Helpers (private)
------------------------------------------------------------------------------

-- The lead as the API shows it.
CREATE OR REPLACE FUNCTION api_lead_json(l leads) RETURNS json
LANGUAGE sql STABLE PARALLEL SAFE
RETURN json_build_object(
    'id', l.id,
    'name', l.name,
    'phone', l.phone,
    'email', l.email,
    'company', l.company,
    'notes', l.notes,
    'created_at', l.created_at,
    'updated_at', l.updated_at);


-- Errors ('[]' when none) of one string field of a JSON object:
--   value     the field's JSON value (NULL when absent)
--   str       api_json_string(value)
--   present   whether the object has the key
--   required  whether create needs it (absent or null -> "missing")
--   partial   an update: an absent field is simply left unchanged
--   max_len   longest accepted string (NULL: no limit here)
-- An empty string is fine for an optional field (it means NULL) and an
-- error for a required one.
CREATE OR REPLACE FUNCTION api_string_field_errors(
    value jsonb, str text, present boolean, required boolean, partial boolean,
    max_len integer, loc jsonb)
RETURNS jsonb
LANGUAGE sql STABLE PARALLEL SAFE
RETURN CASE
    WHEN value IS NULL OR jsonb_typeof(value) = 'null' THEN
        CASE WHEN required AND (present OR NOT partial)
             THEN jsonb_build_array(api_error_item(loc, 'Field required', 'missing'))
             ELSE '[]'::jsonb
        END
    WHEN str IS NULL THEN
        jsonb_build_array(api_error_item(loc, 'Input should be a valid string', 'string_type'))
    WHEN str = '' AND required THEN
        jsonb_build_array(api_error_item(loc,
            (loc ->> -1) || ' must not be empty', 'value_error'))
    WHEN char_length(str) > max_len THEN
        jsonb_build_array(api_error_item(loc,
            format('String should have at most %s characters', max_len),
            'string_too_long', jsonb_build_object('max_length', max_len)))
    ELSE '[]'::jsonb
END;

-- Validate one lead object (a request body or one element of an import).
--   j        the object
--   partial  true for an update: absent fields are not required
--   loc      where the object is: ["body"] or ["body", 3]
-- Returns the normalised fields (name and strings trimmed, phone in E.164,
-- '' -> NULL for optional fields; NULL for a field with an error) and
-- errors: every FastAPI error of the object, '[]' when it is valid.
-- A single SELECT in SQL, so that an import of 100,000 rows inlines it.
CREATE OR REPLACE FUNCTION api_lead_validate(j jsonb, partial boolean, loc jsonb)
RETURNS TABLE (name text, phone text, email text, company text, notes text,
               errors jsonb)
LANGUAGE sql STABLE PARALLEL SAFE AS $$
SELECT
    CASE WHEN c.e_name = '[]' THEN c.s_name END,
    CASE WHEN c.e_phone = '[]' THEN smscamp_normalize_phone(c.s_phone) END,
    CASE WHEN c.e_email = '[]' THEN nullif(c.s_email, '') END,
    CASE WHEN c.e_company = '[]' THEN nullif(c.s_company, '') END,
    CASE WHEN c.e_notes = '[]' THEN nullif(c.s_notes, '') END,
    CASE
        WHEN j IS NULL THEN
            jsonb_build_array(api_error_item(loc, 'Field required', 'missing'))
        WHEN jsonb_typeof(j) <> 'object' THEN
            jsonb_build_array(api_error_item(loc,
                'Input should be a valid dictionary or object to extract fields from',
                'dict_type'))
        ELSE c.e_name || c.e_phone || c.e_email || c.e_company || c.e_notes
    END
FROM (
    SELECT b.*,
        api_string_field_errors(b.v_name, b.s_name, b.p_name, true, partial, 255,
                                loc || '"name"') AS e_name,
        CASE WHEN b.t_phone <> '[]' OR b.phone_error IS NULL THEN b.t_phone
             ELSE jsonb_build_array(api_error_item(loc || '"phone"',
                      b.phone_error, 'value_error'))
        END AS e_phone,
        CASE WHEN b.t_email <> '[]' OR coalesce(b.s_email, '') = '' THEN b.t_email
             WHEN NOT email_is_valid(b.s_email) THEN
                 jsonb_build_array(api_error_item(loc || '"email"',
                     'value is not a valid email address', 'value_error'))
             ELSE '[]'
        END AS e_email,
        api_string_field_errors(b.v_company, b.s_company, b.p_company, false, partial,
                                255, loc || '"company"') AS e_company,
        api_string_field_errors(b.v_notes, b.s_notes, b.p_notes, false, partial,
                                10000, loc || '"notes"') AS e_notes
    FROM (
        SELECT a.*,
            api_json_string(a.v_name) AS s_name,
            api_json_string(a.v_phone) AS s_phone,
            api_json_string(a.v_email) AS s_email,
            api_json_string(a.v_company) AS s_company,
            api_json_string(a.v_notes) AS s_notes,
            api_string_field_errors(a.v_phone, api_json_string(a.v_phone), a.p_phone,
                                    true, partial, NULL, loc || '"phone"') AS t_phone,
            smscamp_phone_error(api_json_string(a.v_phone)) AS phone_error,
            api_string_field_errors(a.v_email, api_json_string(a.v_email), a.p_email,
                                    false, partial, 255, loc || '"email"') AS t_email
        FROM (
            SELECT j -> 'name' AS v_name, j ? 'name' AS p_name,
                   j -> 'phone' AS v_phone, j ? 'phone' AS p_phone,
                   j -> 'email' AS v_email, j ? 'email' AS p_email,
                   j -> 'company' AS v_company, j ? 'company' AS p_company,
                   j -> 'notes' AS v_notes, j ? 'notes' AS p_notes
            OFFSET 0
        ) AS a
        OFFSET 0
    ) AS b
    OFFSET 0
) AS c
$$;

-- LIKE pattern for the digits of a q that looks like a phone number, NULL
-- for any other q (phones hold nothing but '+' and digits).
CREATE OR REPLACE FUNCTION api_phone_digits_like(q text) RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE
RETURN CASE WHEN q ~ '^[-0-9 +().]+$' AND q ~ '[0-9]'
            THEN api_like_contains(regexp_replace(q, '[^0-9]', '', 'g'))
       END;

-- The leads matching a search text q (not blank), as GET /api/leads?q=
-- does: case-insensitive substring of name, email or company; a q that
-- looks like a phone ("415555", "(415) 555-01", "+1 415") also matches the
-- phone's digits.  Inlined into the caller's query, so the trigram indexes
-- serve it (see schema.sql).  Any other route that selects leads by q
-- (campaigns' lead_filter) should call it, so that the searches stay one.
CREATE OR REPLACE FUNCTION api_leads_search(q text) RETURNS SETOF leads
LANGUAGE sql STABLE PARALLEL SAFE AS $$
SELECT l.*
  FROM leads AS l
 WHERE lower(l.name) LIKE api_like_contains(lower(btrim(q)))
    OR ltrim(l.phone, '+') LIKE api_phone_digits_like(q)
    OR lower(l.email) LIKE api_like_contains(lower(btrim(q)))
    OR lower(l.company) LIKE api_like_contains(lower(btrim(q)))
$$;

-- 409 for a phone that belongs to another lead.
CREATE OR REPLACE FUNCTION api_lead_phone_conflict(p_phone text) RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
    v_other bigint;
BEGIN
    SELECT l.id INTO v_other FROM leads AS l WHERE l.phone = p_phone;
    PERFORM api_error(409, to_jsonb(format('A lead with phone %s already exists%s',
        p_phone, ' (lead ' || v_other || ')')));
END
$$;

-- The rows of an import body: a JSON array of lead objects, or CSV with a
-- header row (name, phone, email, company, notes; case-insensitive, other
-- columns ignored).  Rows are numbered from 1.  Errors of the body as a
-- whole are raised here: 400 malformed JSON, 413 too many rows, 415
-- unsupported content type, 422 not an array / no name or phone column /
-- unterminated CSV quote.
CREATE OR REPLACE FUNCTION api_leads_import_rows(p_content_type text, p_body text,
                                                 max_rows integer DEFAULT 100000)
RETURNS TABLE (row_no integer, obj jsonb)
LANGUAGE plpgsql STABLE AS $$
DECLARE
    v_type text := lower(btrim(split_part(coalesce(p_content_type, ''), ';', 1)));
    v_json jsonb;
    v_header text[];
    v_col record;
    v_missing jsonb;
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
        SELECT min(h.i) FILTER (WHERE h.col = 'name') AS name,
               min(h.i) FILTER (WHERE h.col = 'phone') AS phone,
               min(h.i) FILTER (WHERE h.col = 'email') AS email,
               min(h.i) FILTER (WHERE h.col = 'company') AS company,
               min(h.i) FILTER (WHERE h.col = 'notes') AS notes
          INTO v_col
          FROM (SELECT lower(btrim(u.c, E' \t')) AS col, u.i::integer AS i
                  FROM unnest(v_header) WITH ORDINALITY AS u(c, i)) AS h;

        SELECT coalesce(jsonb_agg(api_error_item('["body"]',
                   format('CSV header has no "%s" column (it has: %s)', m.col,
                          array_to_string(v_header, ', ')),
                   'missing')), '[]')
          INTO v_missing
          FROM (VALUES (1, 'name', v_col.name), (2, 'phone', v_col.phone)) AS m(o, col, i)
         WHERE m.i IS NULL;
        IF v_missing <> '[]' THEN
            PERFORM api_validation_error(v_missing);
        END IF;

        RETURN QUERY
            SELECT r.row_no, jsonb_strip_nulls(jsonb_build_object(
                       'name', r.fields[v_col.name],
                       'phone', r.fields[v_col.phone],
                       'email', r.fields[v_col.email],
                       'company', r.fields[v_col.company],
                       'notes', r.fields[v_col.notes]))
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
-- Routes
------------------------------------------------------------------------------

-- GET /api/leads?limit=&offset=&q=
CREATE OR REPLACE FUNCTION api_leads_list(p_args jsonb, OUT status integer, OUT body text)
LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
    p record;
    v_q text := nullif(btrim(p_args ->> 'q'), '');
    v_after_text text := p_args ->> 'after';
    v_after bigint;
    v_errors jsonb;
    v_total bigint;
    v_items json;
    v_count integer;
    v_last bigint;      -- the last id of the page
BEGIN
    SELECT * INTO p FROM api_list_params(coalesce(p_args, '{}'));
    v_errors := p.errors;
    IF char_length(v_q) > 255 THEN
        v_errors := v_errors || jsonb_build_array(api_error_item('["query","q"]',
            'String should have at most 255 characters', 'string_too_long',
            '{"max_length":255}'));
    END IF;
    -- keyset pagination: ?after=<the last id of the previous page>, flat in cost
    -- however deep the page (offset pages cost their offset)
    IF v_after_text IS NOT NULL THEN
        v_errors := v_errors || api_count_param_errors(v_after_text, '["query","after"]');
        IF p_args ? 'offset' THEN
            v_errors := v_errors || jsonb_build_array(api_error_item('["query","after"]',
                'Use either after or offset, not both', 'value_error'));
        END IF;
    END IF;
    IF v_errors <> '[]' THEN
        PERFORM api_validation_error(v_errors);
    END IF;
    v_after := coalesce(api_count_param_value(v_after_text, 9223372036854775807), 0);

    -- (with after, offset is 0: both at once were refused above)
    IF v_q IS NULL THEN
        -- the total from the counters campaigns.sql keeps, never a count of
        -- the table
        SELECT coalesce(sum(n), 0) INTO v_total FROM smscamp_counters WHERE name = 'leads';
        SELECT coalesce(json_agg(api_lead_json(l) ORDER BY l.id), '[]'), count(*), max(l.id)
          INTO v_items, v_count, v_last
          FROM (SELECT * FROM leads WHERE id > v_after
                 ORDER BY id LIMIT p.lim OFFSET p.off) AS l;
    ELSE
        SELECT count(*) INTO v_total FROM api_leads_search(v_q);
        SELECT coalesce(json_agg(api_lead_json(l) ORDER BY l.id), '[]'), count(*), max(l.id)
          INTO v_items, v_count, v_last
          FROM (SELECT * FROM api_leads_search(v_q) AS s
                 WHERE s.id > v_after
                 ORDER BY s.id LIMIT p.lim OFFSET p.off) AS l;
    END IF;

    status := 200;
    body := json_build_object('items', v_items, 'total', v_total,
                              'limit', p.lim, 'offset', p.off,
                              'next_after', CASE WHEN v_count = p.lim AND v_count > 0
                                                 THEN v_last END)::text;
END
$$;

-- GET /api/leads/{id}
CREATE OR REPLACE FUNCTION api_leads_get(p_id text, OUT status integer, OUT body text)
LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
    v_id bigint := api_parse_id(p_id);
BEGIN
    SELECT api_lead_json(l)::text INTO body FROM leads AS l WHERE l.id = v_id;
    IF body IS NULL THEN
        PERFORM api_error(404, to_jsonb(format('Lead %s not found', v_id)));
    END IF;
    status := 200;
END
$$;

-- POST /api/leads
CREATE OR REPLACE FUNCTION api_leads_create(p_body jsonb, OUT status integer, OUT body text)
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
    v record;
BEGIN
    SELECT * INTO v FROM api_lead_validate(p_body, false, '["body"]');
    IF v.errors <> '[]' THEN
        PERFORM api_validation_error(v.errors);
    END IF;

    -- ON CONFLICT instead of catching unique_violation: no subtransaction,
    -- and a concurrent insert of the same phone is a clean 409 too.
    INSERT INTO leads AS l (name, phone, email, company, notes)
    VALUES (v.name, v.phone, v.email, v.company, v.notes)
    ON CONFLICT (phone) DO NOTHING
    RETURNING api_lead_json(l)::text INTO body;
    IF body IS NULL THEN
        PERFORM api_lead_phone_conflict(v.phone);
    END IF;
    status := 201;
END
$$;

-- PUT /api/leads/{id}: the fields present are changed; null clears an
-- optional field.
CREATE OR REPLACE FUNCTION api_leads_update(p_id text, p_body jsonb,
                                            OUT status integer, OUT body text)
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
    v record;
    v_errors jsonb := api_id_errors(p_id);
    v_id bigint;
    v_constraint text;
BEGIN
    SELECT * INTO v FROM api_lead_validate(p_body, true, '["body"]');
    v_errors := v_errors || v.errors;
    IF v_errors <> '[]' THEN
        PERFORM api_validation_error(v_errors);
    END IF;
    v_id := api_parse_id(p_id);

    BEGIN
        UPDATE leads AS l SET
            name    = CASE WHEN p_body ? 'name'    THEN v.name    ELSE l.name    END,
            phone   = CASE WHEN p_body ? 'phone'   THEN v.phone   ELSE l.phone   END,
            email   = CASE WHEN p_body ? 'email'   THEN v.email   ELSE l.email   END,
            company = CASE WHEN p_body ? 'company' THEN v.company ELSE l.company END,
            notes   = CASE WHEN p_body ? 'notes'   THEN v.notes   ELSE l.notes   END
         WHERE l.id = v_id
        RETURNING api_lead_json(l)::text INTO body;
    EXCEPTION WHEN unique_violation THEN
        GET STACKED DIAGNOSTICS v_constraint = CONSTRAINT_NAME;
        IF v_constraint IS DISTINCT FROM 'leads_phone_key' THEN
            RAISE;
        END IF;
        PERFORM api_lead_phone_conflict(v.phone);
    END;
    IF body IS NULL THEN
        PERFORM api_error(404, to_jsonb(format('Lead %s not found', v_id)));
    END IF;
    status := 200;
END
$$;

-- DELETE /api/leads/{id}
CREATE OR REPLACE FUNCTION api_leads_delete(p_id text, OUT status integer, OUT body text)
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
    v_id bigint := api_parse_id(p_id);
BEGIN
    DELETE FROM leads AS l WHERE l.id = v_id;
    IF NOT FOUND THEN
        PERFORM api_error(404, to_jsonb(format('Lead %s not found', v_id)));
    END IF;
    status := 204;
    body := NULL;
END
$$;

-- POST /api/leads/import: a JSON array of leads or CSV with a header row.
-- Valid rows are stored (a known phone updates its lead: the fields the row
-- has are changed), invalid rows are reported; rows with the same phone are
-- applied in file order, the last one wins.  inserted + updated + the
-- number of rejected rows = the number of rows.
CREATE OR REPLACE FUNCTION api_leads_import(p_content_type text, p_body text,
                                            OUT status integer, OUT body text)
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp
SET work_mem = '64MB'           -- sorts 100,000 rows in memory
AS $$
DECLARE
    v_inserted bigint;
    v_updated bigint;
    v_rejected jsonb;
BEGIN
    WITH src AS MATERIALIZED (
        SELECT r.row_no, v.*,
               r.obj ? 'email' AS has_email,
               r.obj ? 'company' AS has_company,
               r.obj ? 'notes' AS has_notes
          FROM api_leads_import_rows(p_content_type, p_body) AS r
         CROSS JOIN LATERAL api_lead_validate(r.obj, false,
                                              jsonb_build_array('body', r.row_no)) AS v
    ),
    -- one row per phone: the last row's name, the last given value of each
    -- optional field
    merged AS MATERIALIZED (
        SELECT m.phone, m.name, m.n, m.first_row,
               m.has_email, m.emails[cardinality(m.emails)] AS email,
               m.has_company, m.companies[cardinality(m.companies)] AS company,
               m.has_notes, m.notes_list[cardinality(m.notes_list)] AS notes
          FROM (SELECT s.phone, s.row_no, s.name,
                       count(*) OVER w AS n,
                       min(s.row_no) OVER w AS first_row,
                       max(s.row_no) OVER w AS last_row,
                       bool_or(s.has_email) OVER w AS has_email,
                       array_agg(s.email) FILTER (WHERE s.has_email) OVER w AS emails,
                       bool_or(s.has_company) OVER w AS has_company,
                       array_agg(s.company) FILTER (WHERE s.has_company) OVER w AS companies,
                       bool_or(s.has_notes) OVER w AS has_notes,
                       array_agg(s.notes) FILTER (WHERE s.has_notes) OVER w AS notes_list
                  FROM src AS s
                 WHERE s.errors = '[]'
                WINDOW w AS (PARTITION BY s.phone ORDER BY s.row_no
                             ROWS BETWEEN UNBOUNDED PRECEDING AND UNBOUNDED FOLLOWING)
               ) AS m
         WHERE m.row_no = m.last_row
    ),
    upd AS (
        UPDATE leads AS l SET
            name    = m.name,
            email   = CASE WHEN m.has_email   THEN m.email   ELSE l.email   END,
            company = CASE WHEN m.has_company THEN m.company ELSE l.company END,
            notes   = CASE WHEN m.has_notes   THEN m.notes   ELSE l.notes   END
          FROM merged AS m
         WHERE l.phone = m.phone
           -- rewrite only what changes: re-importing a file is cheap
           AND (l.name IS DISTINCT FROM m.name
                OR m.has_email AND l.email IS DISTINCT FROM m.email
                OR m.has_company AND l.company IS DISTINCT FROM m.company
                OR m.has_notes AND l.notes IS DISTINCT FROM m.notes)
        RETURNING l.id
    ),
    ins AS (
        -- new leads get their ids in file order; ON CONFLICT covers a phone
        -- inserted concurrently since this statement's snapshot
        INSERT INTO leads AS l (name, phone, email, company, notes)
        SELECT m.name, m.phone, m.email, m.company, m.notes
          FROM merged AS m
         WHERE NOT EXISTS (SELECT FROM leads AS x WHERE x.phone = m.phone)
         ORDER BY m.first_row
        ON CONFLICT (phone) DO UPDATE SET
            name    = excluded.name,
            email   = coalesce(excluded.email, l.email),
            company = coalesce(excluded.company, l.company),
            notes   = coalesce(excluded.notes, l.notes)
        RETURNING l.phone, (l.xmax = 0) AS fresh
    )
    -- every valid row either inserted a new phone or updated a lead
    SELECT (SELECT count(*) FROM ins WHERE ins.fresh),
           (SELECT count(*) FROM src WHERE src.errors = '[]')
             - (SELECT count(*) FROM ins WHERE ins.fresh),
           (SELECT coalesce(jsonb_agg(jsonb_build_object('row', s.row_no,
                                                         'detail', s.errors)
                                      ORDER BY s.row_no), '[]')
              FROM src AS s
             WHERE s.errors <> '[]')
      INTO v_inserted, v_updated, v_rejected;

    status := 200;
    body := json_build_object('inserted', v_inserted, 'updated', v_updated,
                              'rejected', v_rejected)::text;
END
$$;

CALL api_secure_functions();
