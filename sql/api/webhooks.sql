-- SMS provider webhooks (Twilio's fields, application/x-www-form-urlencoded).
--
--   POST /api/webhooks/sms/inbound   api.webhooks_sms_inbound(content_type, body, url, signature)
--       From, Body, MessageSid: the message is kept in the lead's thread
--       (messages, sql/messages.sql), once per MessageSid: the same SID again
--       answers 200 with duplicate true and changes nothing.  A keyword
--       (alone or the first word, any case: sql/keywords.sql) is acted on:
--       STOP and its synonyms opt out (one confirmation), START/UNSTOP/YES
--       opt an opted-out phone back in, HELP/INFO are answered.
--       200 {"received":true,"action":"opt_out"|"opt_in"|"help"|"none","phone":...,
--            "message_id":...,"duplicate":false}
--   POST /api/webhooks/sms/status    api.webhooks_sms_status(content_type, body, url, signature)
--       MessageSid, MessageStatus, ErrorCode: the delivery outcome of the
--       campaign lead whose sms_sid it is, or of the reply (messages) whose
--       provider_sid it is.
--       200 {"received":true,"matched":true|false,...}
--
-- Both are public routes (no API key): the provider authenticates them with
-- X-Twilio-Signature, the base64 HMAC-SHA1 with smscamp.twilio_auth_token of
-- the URL it called (the module passes smscamp_public_url + the request URI,
-- or the request's own scheme, host and URI) followed by each form field's
-- name and value, sorted by name.  No token configured, no signature or a
-- wrong one: 403, and nothing changes.

------------------------------------------------------------------------------
-- Helpers (private)
------------------------------------------------------------------------------

-- Percent-decode one form component: '+' is a space, %XX a byte, and the
-- bytes must be UTF-8 without NUL.  Raises 22P02 on a malformed escape and
-- 22021 on bytes that are not UTF-8.
CREATE OR REPLACE FUNCTION api_form_component(s text) RETURNS text
LANGUAGE plpgsql IMMUTABLE STRICT PARALLEL SAFE AS $$
DECLARE
    b bytea;
BEGIN
    IF strpos(s, '%') = 0 THEN
        RETURN replace(s, '+', ' ');
    END IF;
    IF s ~ '%(?![0-9A-Fa-f]{2})' THEN
        RAISE EXCEPTION USING ERRCODE = 'invalid_text_representation',
            MESSAGE = 'a "%" is not followed by two hexadecimal digits';
    END IF;
    SELECT string_agg(CASE WHEN t.m[1] LIKE '\%%' THEN decode(substr(t.m[1], 2), 'hex')
                           ELSE convert_to(t.m[1], 'UTF8') END,
                      ''::bytea ORDER BY t.n)
      INTO b
      FROM regexp_matches(replace(s, '+', ' '), '%[0-9A-Fa-f]{2}|[^%]+', 'g')
           WITH ORDINALITY AS t(m, n);
    RETURN convert_from(coalesce(b, ''::bytea), 'UTF8');
END
$$;

-- The name=value pairs of an application/x-www-form-urlencoded body, decoded,
-- in order (a key without '=' has value "").  Raises like api_form_component.
CREATE OR REPLACE FUNCTION api_form_pairs(p_body text)
RETURNS TABLE (n bigint, key text, value text)
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT f.n, api_form_component(split_part(f.pair, '=', 1)),
           api_form_component(substr(f.pair, length(split_part(f.pair, '=', 1)) + 2))
      FROM regexp_split_to_table(coalesce(p_body, ''), '&') WITH ORDINALITY AS f(pair, n)
     WHERE f.pair <> ''
$$;

-- An application/x-www-form-urlencoded body as a JSON object of strings
-- (a repeated key keeps its last value).  Malformed escapes or bytes that
-- are not UTF-8: 400.
CREATE OR REPLACE FUNCTION api_form_decode(p_body text) RETURNS jsonb
LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE AS $$
DECLARE
    v jsonb;
BEGIN
    SELECT coalesce(jsonb_object_agg(f.key, f.value ORDER BY f.n), '{}')
      INTO v
      FROM api_form_pairs(p_body) f;
    RETURN v;
EXCEPTION
    WHEN invalid_text_representation OR character_not_in_repertoire
         OR untranslatable_character THEN
        PERFORM api_error(400, to_jsonb(
            'Request body is not valid application/x-www-form-urlencoded data: ' || SQLERRM));
        RETURN NULL;
END
$$;

-- Twilio's signature of a request: base64(HMAC-SHA1(token, url || name1 ||
-- value1 || name2 || value2 ...)), the fields sorted by name (byte order),
-- then by value for a repeated name.
CREATE OR REPLACE FUNCTION api_twilio_signature(p_url text, p_body text, p_token text)
RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE
RETURN encode(hmac(convert_to(p_url || coalesce(
                       (SELECT string_agg(f.key || f.value, ''
                                          ORDER BY f.key COLLATE "C", f.value COLLATE "C")
                          FROM api_form_pairs(p_body) f), ''), 'UTF8'),
                   convert_to(p_token, 'UTF8'), 'sha1'),
              'base64');

-- 403 unless p_signature is Twilio's signature of the request.  The body must
-- already be known to decode (api_webhook_form).  Runs as the route
-- function's owner, the only one who can read the token.
CREATE OR REPLACE FUNCTION api_webhook_verify(p_url text, p_signature text, p_body text)
RETURNS void
LANGUAGE plpgsql STABLE AS $$
DECLARE
    v_token text := nullif(current_setting('smscamp.twilio_auth_token', true), '');
BEGIN
    IF v_token IS NULL THEN
        PERFORM api_error(403, to_jsonb('Webhook signatures cannot be checked: the SMS '
            'provider''s auth token (smscamp.twilio_auth_token) is not configured'::text));
    END IF;
    -- compared as digests, so the time taken says nothing about the prefix
    IF p_url IS NULL OR p_signature IS NULL
       OR digest(api_twilio_signature(p_url, p_body, v_token), 'sha256')
          <> digest(btrim(p_signature), 'sha256') THEN
        PERFORM api_error(403, to_jsonb('Missing or invalid X-Twilio-Signature'::text));
    END IF;
END
$$;

-- The form fields of a signed webhook request: 403 without a signature (before
-- anything else is looked at), 415 unless the body is form data, 400 if it does
-- not decode, 403 unless the signature is right.
DROP FUNCTION IF EXISTS api_webhook_form(text, text);
CREATE OR REPLACE FUNCTION api_webhook_form(p_content_type text, p_body text,
                                            p_url text, p_signature text) RETURNS jsonb
LANGUAGE plpgsql STABLE AS $$
DECLARE
    v_type text := lower(btrim(split_part(coalesce(p_content_type, ''), ';', 1)));
    f jsonb;
BEGIN
    IF p_signature IS NULL THEN
        PERFORM api_webhook_verify(p_url, NULL, p_body);
    END IF;
    IF v_type <> 'application/x-www-form-urlencoded' AND NOT (v_type = '' AND p_body IS NULL) THEN
        PERFORM api_error(415, to_jsonb(format(
            'Unsupported Content-Type %s: send application/x-www-form-urlencoded form fields '
            '(as Twilio does)', coalesce(p_content_type, '(none)'))));
    END IF;
    f := api_form_decode(p_body);
    PERFORM api_webhook_verify(p_url, p_signature, p_body);
    RETURN f;
END
$$;

-- The first of the named form fields that is not empty (trimmed), or NULL.
CREATE OR REPLACE FUNCTION api_form_required(f jsonb, VARIADIC names text[]) RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE
RETURN (SELECT nullif(btrim(f ->> n.name), '')
          FROM unnest(names) WITH ORDINALITY AS n(name, o)
         WHERE nullif(btrim(f ->> n.name), '') IS NOT NULL
         ORDER BY n.o LIMIT 1);

------------------------------------------------------------------------------
-- Routes
------------------------------------------------------------------------------

-- the unsigned versions
DROP FUNCTION IF EXISTS api.webhooks_sms_inbound(text, text);
DROP FUNCTION IF EXISTS api.webhooks_sms_status(text, text);

-- POST /api/webhooks/sms/inbound
CREATE OR REPLACE FUNCTION api.webhooks_sms_inbound(p_content_type text, p_body text,
                                                    p_url text, p_signature text,
                                                    OUT status integer, OUT body text)
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
    f jsonb;
    v_from text;
    v_phone text;
    v_action text;
    m record;
BEGIN
    f := api_webhook_form(p_content_type, p_body, p_url, p_signature);
    v_from := api_form_required(f, 'From');
    IF v_from IS NULL THEN
        PERFORM api_validation_error(jsonb_build_array(
            api_error_item('["body","From"]', 'Field required', 'missing')));
    END IF;
    v_phone := smscamp_normalize_phone(v_from);
    IF v_phone IS NULL THEN
        PERFORM api_validation_error(jsonb_build_array(api_error_item('["body","From"]',
            format('From is not a valid phone number: %s',
                   coalesce(smscamp_phone_error(v_from), v_from)),
            'value_error')));
    END IF;

    -- every message is kept, once: a retried webhook (its MessageSid again)
    -- is answered, and acted on no more
    m := smscamp_store_inbound(v_phone, f ->> 'Body', api_form_required(f, 'MessageSid', 'SmsSid'),
                               api_form_required(f, 'To'));
    IF m.duplicate THEN
        status := 200;
        body := json_build_object('received', true, 'action', 'none', 'phone', v_phone,
                                  'message_id', m.message_id, 'duplicate', true)::text;
        RETURN;
    END IF;

    -- a keyword is acted on here (sql/keywords.sql); anything else is the
    -- reply agent's (the workers)
    v_action := smscamp_act_on_keyword((SELECT x FROM messages x WHERE x.id = m.message_id));
    IF v_action = 'none' THEN
        PERFORM smscamp_wake();
    END IF;

    status := 200;
    body := json_build_object('received', true, 'action', v_action, 'phone', v_phone,
                              'message_id', m.message_id, 'duplicate', false)::text;
END
$$;

-- POST /api/webhooks/sms/status: an SMS's delivery (sql/callbacks.sql:
-- smscamp_record_sms_status).  MessageSid and MessageStatus required (422); a
-- SID nobody has is answered 200, matched false (kept a while when a send is in
-- flight: its SID may not be recorded yet).
CREATE OR REPLACE FUNCTION api.webhooks_sms_status(p_content_type text, p_body text,
                                                   p_url text, p_signature text,
                                                   OUT status integer, OUT body text)
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
    f jsonb := api_webhook_form(p_content_type, p_body, p_url, p_signature);
    v_errors jsonb := '[]';
BEGIN
    IF api_form_required(f, 'MessageSid', 'SmsSid') IS NULL THEN
        v_errors := v_errors || api_error_item('["body","MessageSid"]', 'Field required',
                                               'missing');
    END IF;
    IF api_form_required(f, 'MessageStatus', 'SmsStatus') IS NULL THEN
        v_errors := v_errors || api_error_item('["body","MessageStatus"]', 'Field required',
                                               'missing');
    END IF;
    PERFORM api_check(v_errors);
    status := 200;
    body := (jsonb_build_object('received', true) || smscamp_record_sms_status(f))::text;
END
$$;

-- POST /api/webhooks/voice/status: a call's progress (sql/calls.sql), signed
-- like the SMS webhooks.  CallSid and CallStatus required (422); a SID no
-- campaign lead has is answered 200, matched false (Twilio retries otherwise).
CREATE OR REPLACE FUNCTION api.webhooks_voice_status(p_content_type text, p_body text,
                                                     p_url text, p_signature text,
                                                     OUT status integer, OUT body text)
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
    f jsonb := api_webhook_form(p_content_type, p_body, p_url, p_signature);
    v_errors jsonb := '[]';
BEGIN
    IF api_form_required(f, 'CallSid') IS NULL THEN
        v_errors := v_errors || api_error_item('["body","CallSid"]', 'Field required', 'missing');
    END IF;
    IF api_form_required(f, 'CallStatus') IS NULL THEN
        v_errors := v_errors || api_error_item('["body","CallStatus"]', 'Field required',
                                               'missing');
    ELSIF smscamp_call_status(f ->> 'CallStatus') IS NULL THEN
        v_errors := v_errors || api_error_item('["body","CallStatus"]',
            'CallStatus should be one of queued, initiated, ringing, in-progress, completed, '
            || 'busy, no-answer, failed, canceled', 'enum');
    END IF;
    PERFORM api_check(v_errors);
    status := 200;
    body := (jsonb_build_object('received', true) || smscamp_record_call_status(f))::text;
END
$$;

CALL smscamp_secure_api();
