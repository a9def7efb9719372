-- Routes of the senders, the numbers the messages go from (the table:
-- schema.sql; pools, the sticky pick and pacing: sql/senders.sql,
-- pg_extension/shmem.c):
--   GET    /api/senders         api.senders_list()                 viewer
--   POST   /api/senders         api.senders_create(body jsonb)     operator
--   GET    /api/senders/{id}    api.senders_get(id text)           viewer
--   PUT    /api/senders/{id}    api.senders_update(id text, body)  operator
--   DELETE /api/senders/{id}    api.senders_delete(id text)        operator
--
-- A sender is a number of a kind, {"phone": "+12125550100", "kind":
-- "long_code" | "toll_free" | "short_code" | "alphanumeric"}, or a Twilio
-- Messaging Service, {"messaging_service_sid": "MG..."}; its
-- segments_per_second defaults to its kind's usual rate (1, 3, 100, 10; 1 for
-- a messaging service).  A deleted sender's messages keep its id and number.

SET client_min_messages = warning;

CREATE OR REPLACE FUNCTION api_sender_json(s senders) RETURNS jsonb
LANGUAGE sql STABLE
RETURN jsonb_build_object(
    'id', s.id, 'name', s.name, 'label', coalesce(s.name, smscamp_sender_address(s)),
    'phone', s.phone, 'messaging_service_sid', s.messaging_service_sid, 'kind', s.kind,
    'segments_per_second', trim_scale(s.segments_per_second), 'active', s.active,
    'created_at', s.created_at, 'updated_at', s.updated_at);

-- A sender object checked: the columns, or the errors ('[]' when none).  j is
-- the whole sender (an update merges the body into the stored sender first).
CREATE OR REPLACE FUNCTION api_sender_validate(j jsonb,
    OUT name text, OUT phone text, OUT messaging_service_sid text, OUT kind text,
    OUT segments_per_second numeric, OUT active boolean, OUT errors jsonb)
LANGUAGE plpgsql STABLE AS $$
DECLARE
    c_kinds constant text[] := ARRAY['long_code', 'toll_free', 'short_code', 'alphanumeric'];
    v jsonb;
    r record;
    v_phone text;
BEGIN
    errors := api_body_errors(j);
    IF errors <> '[]' THEN
        RETURN;
    END IF;

    SELECT s.value, errors || s.problems INTO name, errors
      FROM api_optional_string(j, 'name', 100) AS s;

    -- a number of a kind, or a messaging service: one of the two
    SELECT s.value, errors || s.problems INTO messaging_service_sid, errors
      FROM api_optional_string(j, 'messaging_service_sid', 34) AS s;
    SELECT s.value, errors || s.problems INTO v_phone, errors
      FROM api_optional_string(j, 'phone', 20) AS s;
    IF messaging_service_sid IS NOT NULL AND v_phone IS NOT NULL THEN
        errors := errors || api_error_item('["body"]',
            'Give either phone (with its kind) or messaging_service_sid, not both',
            'value_error');
    ELSIF messaging_service_sid IS NULL AND v_phone IS NULL AND errors = '[]' THEN
        errors := errors || api_error_item('["body","phone"]',
            'Field required: a phone number (with its kind) or a messaging_service_sid',
            'missing');
    END IF;

    IF messaging_service_sid IS NOT NULL THEN
        IF messaging_service_sid !~* '^MG[0-9a-f]{32}$' THEN
            errors := errors || api_error_item('["body","messaging_service_sid"]',
                'A Twilio Messaging Service SID is MG followed by 32 hexadecimal digits',
                'string_pattern_mismatch', '{"pattern": "^MG[0-9a-f]{32}$"}');
            messaging_service_sid := NULL;
        ELSE
            messaging_service_sid := 'MG' || lower(substr(messaging_service_sid, 3));
        END IF;
        IF j ? 'kind' AND jsonb_typeof(j -> 'kind') <> 'null'
           AND j ->> 'kind' IS DISTINCT FROM 'messaging_service' THEN
            errors := errors || api_error_item('["body","kind"]',
                'A messaging service is of kind messaging_service', 'value_error');
        END IF;
        kind := 'messaging_service';
    ELSIF v_phone IS NOT NULL THEN
        SELECT e.value, errors || e.problems INTO kind, errors
          FROM api_enum_field(j, 'kind', c_kinds, false) AS e;
        IF NOT j ? 'kind' OR jsonb_typeof(j -> 'kind') = 'null' THEN
            errors := errors || api_error_item('["body","kind"]',
                'Field required: long_code, toll_free, short_code or alphanumeric', 'missing');
        ELSIF kind = 'alphanumeric' THEN
            IF v_phone ~ '^[A-Za-z0-9 ]{1,11}$' AND v_phone ~ '[A-Za-z]' THEN
                phone := v_phone;
            ELSE
                errors := errors || api_error_item('["body","phone"]',
                    'An alphanumeric sender ID has 1 to 11 letters, digits or spaces, '
                    'at least one of them a letter', 'value_error');
            END IF;
        ELSIF kind = 'short_code' THEN
            IF v_phone ~ '^[0-9]{3,8}$' THEN
                phone := v_phone;
            ELSE
                errors := errors || api_error_item('["body","phone"]',
                    'A short code has 3 to 8 digits', 'value_error');
            END IF;
        ELSIF kind IS NOT NULL THEN
            phone := smscamp_normalize_phone(v_phone);
            IF phone IS NULL THEN
                errors := errors || api_error_item('["body","phone"]',
                    format('phone is not a valid phone number: %s',
                           coalesce(smscamp_phone_error(v_phone), v_phone)),
                    'value_error');
            END IF;
        END IF;
    END IF;

    -- segments_per_second: the carrier's rate, default the kind's
    v := j -> 'segments_per_second';
    IF v IS NULL OR jsonb_typeof(v) = 'null' THEN
        segments_per_second := smscamp_sender_default_rate(kind);
    ELSE
        r := api_number_field(v, '["body","segments_per_second"]', 0.001, 10000);
        errors := errors || r.errors;
        segments_per_second := round(r.value, 3);
        IF r.value IS NOT NULL AND round(r.value, 3) <= 0 THEN
            errors := errors || api_error_item('["body","segments_per_second"]',
                'segments_per_second should be above 0', 'greater_than', '{"gt": 0}');
        END IF;
    END IF;

    SELECT coalesce(f.value, true), errors || f.problems INTO active, errors
      FROM api_optional_bool(j, 'active') AS f;
END
$$;

-- The sender written, or 409 when its number or service is another sender's.
CREATE OR REPLACE FUNCTION api_sender_write(p_id bigint, v record) RETURNS bigint
LANGUAGE plpgsql AS $$
DECLARE
    v_id bigint;
BEGIN
    IF p_id IS NULL THEN
        INSERT INTO senders (name, phone, messaging_service_sid, kind, segments_per_second, active)
        VALUES (v.name, v.phone, v.messaging_service_sid, v.kind, v.segments_per_second, v.active)
        RETURNING id INTO v_id;
    ELSE
        UPDATE senders SET name = v.name, phone = v.phone,
               messaging_service_sid = v.messaging_service_sid, kind = v.kind,
               segments_per_second = v.segments_per_second, active = v.active
         WHERE id = p_id
        RETURNING id INTO v_id;
    END IF;
    RETURN v_id;
EXCEPTION WHEN unique_violation THEN
    PERFORM api_error(409, to_jsonb(format('A sender with %s %s already exists',
        CASE WHEN v.phone IS NOT NULL THEN 'phone' ELSE 'messaging_service_sid' END,
        coalesce(v.phone, v.messaging_service_sid))));
    RETURN NULL;
END
$$;

-- GET /api/senders: every sender, id order (a handful: no pages).
CREATE OR REPLACE FUNCTION api.senders_list(OUT status integer, OUT body text)
LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
BEGIN
    status := 200;
    body := jsonb_build_object(
        'items', coalesce((SELECT jsonb_agg(api_sender_json(s) ORDER BY s.id) FROM senders s),
                          '[]'),
        'total', (SELECT count(*) FROM senders))::text;
END
$$;

-- GET /api/senders/{id}
CREATE OR REPLACE FUNCTION api.senders_get(p_id text, OUT status integer, OUT body text)
LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
    v_id bigint := api_parse_id(p_id);
BEGIN
    body := (SELECT api_sender_json(s)::text FROM senders s WHERE s.id = v_id);
    IF body IS NULL THEN
        PERFORM api_not_found('Sender', v_id);
    END IF;
    status := 200;
END
$$;

-- POST /api/senders: 201 with the sender.
CREATE OR REPLACE FUNCTION api.senders_create(p_body jsonb, OUT status integer, OUT body text)
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
    v record;
    v_id bigint;
BEGIN
    SELECT * INTO v FROM api_sender_validate(p_body);
    PERFORM api_check(v.errors);
    v_id := api_sender_write(NULL, v);
    status := 201;
    body := (SELECT api_sender_json(s)::text FROM senders s WHERE s.id = v_id);
END
$$;

-- PUT /api/senders/{id}: the fields given change.  A new kind without a
-- rate takes the kind's rate; a number replaces a messaging service and the
-- other way round.
CREATE OR REPLACE FUNCTION api.senders_update(p_id text, p_body jsonb,
                                              OUT status integer, OUT body text)
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
    v_id bigint := api_parse_id(p_id);
    cur senders;
    merged jsonb;
    v record;
BEGIN
    PERFORM api_check(api_body_errors(p_body));
    SELECT * INTO cur FROM senders WHERE id = v_id FOR UPDATE;
    IF NOT FOUND THEN
        PERFORM api_not_found('Sender', v_id);
    END IF;
    merged := jsonb_build_object('name', cur.name, 'active', cur.active,
                                 'segments_per_second', cur.segments_per_second)
              || CASE WHEN p_body ? 'messaging_service_sid'
                           AND jsonb_typeof(p_body -> 'messaging_service_sid') <> 'null'
                      THEN '{}'::jsonb
                      WHEN cur.kind = 'messaging_service' AND NOT p_body ? 'phone'
                      THEN jsonb_build_object('messaging_service_sid', cur.messaging_service_sid)
                      WHEN cur.kind = 'messaging_service' THEN '{}'::jsonb
                      ELSE jsonb_build_object('phone', cur.phone, 'kind', cur.kind) END;
    IF (p_body ? 'kind' OR p_body ? 'messaging_service_sid' OR p_body ? 'phone')
       AND NOT p_body ? 'segments_per_second'
       AND coalesce(p_body ->> 'kind',
                    CASE WHEN p_body ? 'messaging_service_sid' THEN 'messaging_service' END,
                    cur.kind) IS DISTINCT FROM cur.kind THEN
        merged := merged - 'segments_per_second';
    END IF;
    merged := merged || p_body;
    SELECT * INTO v FROM api_sender_validate(merged);
    PERFORM api_check(v.errors);
    PERFORM api_sender_write(v_id, v);
    status := 200;
    body := (SELECT api_sender_json(s)::text FROM senders s WHERE s.id = v_id);
END
$$;

-- DELETE /api/senders/{id}: 204.  Campaigns that named it send from the
-- others they name (none left: they pause).
CREATE OR REPLACE FUNCTION api.senders_delete(p_id text, OUT status integer, OUT body text)
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
    v_id bigint := api_parse_id(p_id);
BEGIN
    DELETE FROM senders AS s WHERE s.id = v_id;
    SELECT * INTO status, body FROM api_no_content(FOUND, 'Sender', v_id);
END
$$;

CALL smscamp_secure_api();
