-- The suppression list (opt_outs: by phone, global across campaigns):
--
--   GET    /api/opt-outs?q=&after=&limit=   api.opt_outs_list: by phone, keyset
--          pages (after = the last phone of the previous page); q matches the
--          phone's digits or the lead's name
--   POST   /api/opt-outs                    api.opt_outs_add: {"phone": ...},
--          {"phones": [...]} (or a bare list) with "source" (manual | import,
--          default manual),
--          or a CSV with a phone column (?source=, default import); every
--          valid phone is added (one already listed keeps its first reason),
--          every other is listed in rejected; logged in opt_out_events
--   GET    /api/opt-outs/export             api.opt_outs_export: text/csv
--   DELETE /api/opt-outs/{phone}            api.opt_outs_delete: an admin's,
--          logged with the key's name
--
-- Phones are normalised as the leads' are (smscamp_normalize_phone).

-- The list's JSON item.
CREATE OR REPLACE FUNCTION api_opt_out_json(o opt_outs) RETURNS json
LANGUAGE sql STABLE PARALLEL SAFE
RETURN (SELECT json_build_object('phone', o.phone, 'source', o.source, 'keyword', o.keyword,
                                 'created_at', o.created_at, 'lead_id', l.id, 'lead_name', l.name)
          FROM (SELECT) AS one
          LEFT JOIN leads l ON l.phone = o.phone);

-- GET /api/opt-outs
CREATE OR REPLACE FUNCTION api.opt_outs_list(p_args jsonb, OUT status integer, OUT body text)
LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
    p record;
    v_q text := nullif(btrim(p_args ->> 'q'), '');
    v_after text := nullif(p_args ->> 'after', '');
    v_digits text;
    v_total bigint;
    v_items json;
    v_count integer;
    v_last text;
BEGIN
    SELECT * INTO p FROM api_list_params(coalesce(p_args, '{}') - 'offset');
    PERFORM api_check(p.errors || api_search_errors(v_q));
    v_digits := api_phone_digits_like(v_q);

    SELECT count(*) INTO v_total
      FROM opt_outs o LEFT JOIN leads l ON l.phone = o.phone
     WHERE v_q IS NULL OR o.phone LIKE v_digits OR l.name ILIKE api_like_contains(v_q);
    SELECT coalesce(json_agg(api_opt_out_json(o) ORDER BY o.phone), '[]'), count(*), max(o.phone)
      INTO v_items, v_count, v_last
      FROM (SELECT o.* FROM opt_outs o LEFT JOIN leads l ON l.phone = o.phone
             WHERE (v_q IS NULL OR o.phone LIKE v_digits OR l.name ILIKE api_like_contains(v_q))
               AND (v_after IS NULL OR o.phone > v_after)
             ORDER BY o.phone LIMIT p.lim) AS o;
    status := 200;
    body := json_build_object('items', v_items, 'total', v_total, 'limit', p.lim,
                              'next_after', CASE WHEN v_count = p.lim THEN v_last END)::text;
END
$$;

-- POST /api/opt-outs
CREATE OR REPLACE FUNCTION api.opt_outs_add(p_args jsonb, p_content_type text, p_body text,
                                            p_authorization text,
                                            OUT status integer, OUT body text)
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
    v_type text := lower(btrim(split_part(coalesce(p_content_type, ''), ';', 1)));
    v_csv boolean := v_type IN ('text/csv', 'application/csv');
    v_json jsonb;
    v_source text;
    v_header text[];
    v_col integer;
    v_items jsonb;      -- [{"n": index or row, "raw": the phone as sent}]
    v_errors jsonb := '[]';
    v_result record;
    c_max constant integer := 100000;
BEGIN
    IF v_csv THEN
        v_source := coalesce(nullif(p_args ->> 'source', ''), 'import');
        BEGIN
            v_header := smscamp_csv_header(coalesce(p_body, ''));
            SELECT min(u.i) INTO v_col FROM unnest(v_header) WITH ORDINALITY AS u(c, i)
             WHERE lower(btrim(u.c, E' \t')) = 'phone';
            IF v_col IS NULL THEN
                PERFORM api_validation_error(jsonb_build_array(api_error_item('["body"]',
                    'The CSV needs a header row with a phone column', 'value_error')));
            END IF;
            SELECT coalesce(jsonb_agg(jsonb_build_object('n', r.row_no, 'raw', r.fields[v_col])
                                      ORDER BY r.row_no), '[]')
              INTO v_items
              FROM smscamp_parse_csv(p_body) AS r
             WHERE r.row_no > 0;
        EXCEPTION WHEN invalid_text_representation THEN
            PERFORM api_validation_error(jsonb_build_array(api_error_item('["body"]',
                'Invalid CSV: ' || SQLERRM, 'value_error')));
        END;
        IF NOT v_source = ANY (ARRAY['manual', 'import']) THEN
            v_errors := v_errors || api_enum_errors(v_source, ARRAY['manual', 'import'],
                                                    '["query","source"]');
        END IF;
    ELSIF v_type IN ('application/json', '') THEN
        BEGIN
            v_json := p_body::jsonb;
        EXCEPTION WHEN invalid_text_representation THEN
            PERFORM api_error(400, '"The body is not valid JSON"');
        END;
        -- a bare list of phones is {"phones": [...]}
        IF jsonb_typeof(v_json) = 'array' THEN
            v_json := jsonb_build_object('phones', v_json);
        END IF;
        v_errors := api_body_errors(v_json);
        IF v_errors = '[]' THEN
            SELECT * INTO v_result
              FROM api_enum_field(v_json, 'source', ARRAY['manual', 'import'], false);
            v_errors := v_result.problems;
            v_source := coalesce(v_result.value, 'manual');
            IF jsonb_typeof(v_json -> 'phones') = 'array' THEN
                SELECT coalesce(jsonb_agg(jsonb_build_object('n', e.n - 1,
                                              'raw', CASE WHEN jsonb_typeof(e.v) = 'string'
                                                          THEN e.v #>> '{}' END)
                                          ORDER BY e.n), '[]')
                  INTO v_items
                  FROM jsonb_array_elements(v_json -> 'phones') WITH ORDINALITY AS e(v, n);
            ELSIF v_json ? 'phones' THEN
                v_errors := v_errors || jsonb_build_array(api_error_item('["body","phones"]',
                    'Input should be a valid list', 'list_type'));
            ELSIF jsonb_typeof(v_json -> 'phone') = 'string' THEN
                v_items := jsonb_build_array(jsonb_build_object('n', 0, 'raw', v_json ->> 'phone'));
            ELSE
                v_errors := v_errors || jsonb_build_array(api_error_item('["body","phone"]',
                    'Give a phone (a string) or phones (a list of strings)', 'missing'));
            END IF;
        END IF;
    ELSE
        PERFORM api_error(415, to_jsonb(format(
            'Unsupported Content-Type %s: send application/json or text/csv (with a phone column)',
            p_content_type)));
    END IF;
    PERFORM api_check(v_errors);
    IF jsonb_array_length(v_items) > c_max THEN
        PERFORM api_error(413, to_jsonb(format('At most %s phones at once (this has %s)',
                                               c_max, jsonb_array_length(v_items))));
    END IF;

    WITH items AS (
        SELECT (e ->> 'n')::integer AS n, e ->> 'raw' AS raw,
               smscamp_normalize_phone(e ->> 'raw') AS phone
          FROM jsonb_array_elements(v_items) AS e
    ), ins AS (
        INSERT INTO opt_outs (phone, keyword, source)
        SELECT DISTINCT i.phone, NULL::text, v_source FROM items i WHERE i.phone IS NOT NULL
        ON CONFLICT (phone) DO NOTHING
        RETURNING phone
    ), logged AS (
        INSERT INTO opt_out_events (phone, action, source, by_key)
        SELECT ins.phone, 'added', v_source, api_caller_name(p_authorization) FROM ins
    )
    SELECT (SELECT count(*) FROM ins) AS added,
           (SELECT count(DISTINCT i.phone) FROM items i WHERE i.phone IS NOT NULL)
             - (SELECT count(*) FROM ins) AS already,
           (SELECT coalesce(jsonb_agg(jsonb_build_object(
                       CASE WHEN v_csv THEN 'row' ELSE 'index' END, i.n, 'phone', i.raw,
                       'detail', coalesce(smscamp_phone_error(i.raw), 'phone must be a string'))
                       ORDER BY i.n), '[]')
              FROM items i WHERE i.phone IS NULL) AS rejected
      INTO v_result;
    status := 200;
    body := json_build_object('added', v_result.added, 'already', v_result.already,
                              'rejected', v_result.rejected, 'source', v_source)::text;
END
$$;

-- A CSV field: quoted, and a formula's first character neutralised (an SMS
-- keyword is the sender's text, and spreadsheets run =, +, - and @).
CREATE OR REPLACE FUNCTION api_csv_field(v text) RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE
RETURN CASE WHEN v IS NULL THEN ''
            ELSE '"' || replace(CASE WHEN v ~ '^[=+\-@\t\r]' THEN '''' || v ELSE v END,
                                '"', '""') || '"'
       END;

-- GET /api/opt-outs/export: the whole list as CSV (phone order).
CREATE OR REPLACE FUNCTION api.opt_outs_export(OUT status integer, OUT body text)
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
SELECT 200,
       E'phone,source,keyword,created_at\n'
       || coalesce(string_agg(concat_ws(',', o.phone, api_csv_field(o.source),
                                        api_csv_field(o.keyword),
                                        to_char(o.created_at AT TIME ZONE 'UTC',
                                                'YYYY-MM-DD"T"HH24:MI:SS"Z"')),
                              E'\n' ORDER BY o.phone) || E'\n', '')
  FROM opt_outs o
$$;

-- DELETE /api/opt-outs/{phone}: the phone may be messaged again.
CREATE OR REPLACE FUNCTION api.opt_outs_delete(p_phone text, p_authorization text,
                                               OUT status integer, OUT body text)
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
    v_phone text := smscamp_normalize_phone(p_phone);
    v_gone opt_outs;
BEGIN
    IF v_phone IS NULL THEN
        PERFORM api_validation_error(jsonb_build_array(api_error_item('["path","phone"]',
            coalesce(smscamp_phone_error(p_phone), 'not a phone number'), 'value_error')));
    END IF;
    DELETE FROM opt_outs WHERE phone = v_phone RETURNING * INTO v_gone;
    IF v_gone.phone IS NULL THEN
        PERFORM api_error(404, to_jsonb(format('%s is not on the suppression list', v_phone)));
    END IF;
    INSERT INTO opt_out_events (phone, action, source, by_key)
    VALUES (v_phone, 'removed', v_gone.source, api_caller_name(p_authorization));
    status := 204;
END
$$;

CALL smscamp_secure_api();
