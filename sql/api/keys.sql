-- API keys: creation (shown once), listing, revocation, and the lookup the
-- nginx module makes for a key it has not seen (then caches for seconds).
--
--   POST   /api/keys        api.keys_create(body jsonb)       admin
--   GET    /api/keys        api.keys_list(args jsonb)         admin
--   DELETE /api/keys/:id    api.keys_delete(id text, args)    admin
--   GET    /api/keys/me     api.keys_me(header Authorization) viewer
--   psql:  SELECT smscamp_create_key('name', 'admin');
--
-- A key is 'smc_' + 64 hex digits (two random UUIDs: 244 random bits); the
-- table keeps its SHA-256 and its first 12 characters, to tell keys apart.

SET client_min_messages = warning;

CREATE OR REPLACE FUNCTION smscamp_key_json(k api_keys) RETURNS jsonb
LANGUAGE sql STABLE
RETURN jsonb_build_object(
    'id', k.id, 'name', k.name, 'role', k.role, 'key_prefix', k.key_prefix,
    'created_at', k.created_at, 'last_used_at', k.last_used_at,
    'expires_at', k.expires_at, 'revoked_at', k.revoked_at,
    'rate_limit', k.rate_limit,
    'active', k.revoked_at IS NULL OR k.revoked_at > now());

-- Older signatures (before per-key rate limits; smscamp_auth, now api.auth).
-- (smscamp_create_key's SQL body depends on smscamp_new_key: it goes first)
DROP FUNCTION IF EXISTS smscamp_create_key(text, text, timestamptz);
DROP FUNCTION IF EXISTS smscamp_new_key(text, text, timestamptz);
DROP FUNCTION IF EXISTS smscamp_auth(text);

-- A new key: the row as JSON plus "key", the only time the key is shown.
-- p_rate_limit: requests per second (NULL: nginx's smscamp_rate_limit_key).
CREATE OR REPLACE FUNCTION smscamp_new_key(p_name text, p_role text,
                                           p_expires_at timestamptz DEFAULT NULL,
                                           p_rate_limit integer DEFAULT NULL)
RETURNS jsonb
LANGUAGE plpgsql AS $$
DECLARE
    v_key text := 'smc_' || replace(gen_random_uuid()::text, '-', '')
                         || replace(gen_random_uuid()::text, '-', '');
    k api_keys;
BEGIN
    INSERT INTO api_keys (name, role, key_hash, key_prefix, expires_at, rate_limit)
    VALUES (btrim(p_name), p_role, encode(sha256(convert_to(v_key, 'UTF8')), 'hex'),
            left(v_key, 12), p_expires_at, p_rate_limit)
    RETURNING * INTO k;
    RETURN smscamp_key_json(k) || jsonb_build_object('key', v_key);
END
$$;

-- From psql: SELECT smscamp_create_key('deploy bot', 'operator');
--            SELECT smscamp_create_key('importer', 'operator', p_rate_limit => 500);
CREATE OR REPLACE FUNCTION smscamp_create_key(p_name text, p_role text,
                                              p_expires_at timestamptz DEFAULT NULL,
                                              p_rate_limit integer DEFAULT NULL)
RETURNS text
LANGUAGE sql
RETURN smscamp_new_key(p_name, p_role, p_expires_at, p_rate_limit) ->> 'key';

-- The role and rate limit of an active key given its SHA-256 (hex); NULLs for
-- an unknown, revoked or expired key.  The nginx module's key lookup (not a route).
-- A read: last_used_at is written at most once a minute per key, and a node that
-- cannot be written (a standby, a primary being promoted) still answers, so the key
-- check never breaks a GET nor makes every request a write to replicate.
CREATE OR REPLACE FUNCTION api.auth(p_hash text, OUT role text, OUT rate_limit integer)
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
    v_id bigint;
    v_used timestamptz;
BEGIN
    SELECT k.id, k.role, k.rate_limit, k.last_used_at INTO v_id, role, rate_limit, v_used
      FROM api_keys AS k
     WHERE k.key_hash = p_hash
       AND (k.revoked_at IS NULL OR k.revoked_at > now())
       AND (k.expires_at IS NULL OR k.expires_at > now());
    IF v_id IS NULL OR v_used > now() - interval '60 seconds' THEN
        RETURN;
    END IF;
    BEGIN
        UPDATE api_keys SET last_used_at = now()
         WHERE id = v_id AND (last_used_at IS NULL OR last_used_at <= now() - interval '60 seconds');
    EXCEPTION WHEN read_only_sql_transaction OR lock_not_available THEN
        NULL;                           -- recorded by a later request
    END;
END
$$;

CREATE OR REPLACE FUNCTION api.keys_create(p_body jsonb, OUT status integer, OUT body text)
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
    errors jsonb := '[]';
    v_name text := api_json_string(p_body -> 'name');
    v_role text := api_json_string(p_body -> 'role');
    v_expires timestamptz;
    v_rate integer;
BEGIN
    IF p_body IS NULL OR jsonb_typeof(p_body) <> 'object' THEN
        PERFORM api_validation_error(jsonb_build_array(api_error_item('["body"]',
            'Input should be a valid dictionary or object to extract fields from',
            'dict_type')));
    END IF;
    IF coalesce(v_name, '') = '' OR char_length(v_name) > 255 THEN
        errors := errors || api_error_item('["body","name"]',
            'name is required (1 to 255 characters)', 'missing');
    END IF;
    IF v_role IS NULL OR v_role NOT IN ('viewer', 'operator', 'admin') THEN
        errors := errors || api_error_item('["body","role"]',
            'Input should be ''viewer'', ''operator'' or ''admin''', 'enum');
    END IF;
    IF jsonb_typeof(p_body -> 'expires_at') = 'string' THEN
        BEGIN
            v_expires := (p_body ->> 'expires_at')::timestamptz;
        EXCEPTION WHEN data_exception THEN
            errors := errors || api_error_item('["body","expires_at"]',
                'Input should be a valid datetime', 'datetime_parsing');
        END;
        IF v_expires <= now() THEN
            errors := errors || api_error_item('["body","expires_at"]',
                'expires_at must be in the future', 'value_error');
        END IF;
    ELSIF p_body ? 'expires_at' AND jsonb_typeof(p_body -> 'expires_at') <> 'null' THEN
        errors := errors || api_error_item('["body","expires_at"]',
            'Input should be a valid datetime', 'datetime_type');
    END IF;
    IF p_body ? 'rate_limit' AND jsonb_typeof(p_body -> 'rate_limit') <> 'null' THEN
        IF jsonb_typeof(p_body -> 'rate_limit') <> 'number'
           OR (p_body ->> 'rate_limit') !~ '^[0-9]{1,7}$'
           OR (p_body ->> 'rate_limit')::integer NOT BETWEEN 1 AND 1000000 THEN
            errors := errors || api_error_item('["body","rate_limit"]',
                'rate_limit must be a whole number of requests per second from 1 to 1000000',
                'value_error');
        ELSE
            v_rate := (p_body ->> 'rate_limit')::integer;
        END IF;
    END IF;
    PERFORM api_check(errors);
    status := 201;
    body := smscamp_new_key(v_name, v_role, v_expires, v_rate)::text;
END
$$;

CREATE OR REPLACE FUNCTION api.keys_list(p_args jsonb, OUT status integer, OUT body text)
LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
    p record;
    v_items json;
    v_more boolean;
BEGIN
    SELECT * INTO p FROM api_list_params(p_args);
    PERFORM api_check(p.errors || api_keyset_errors(coalesce(p_args, '{}'), p.off));
    v_items := (SELECT coalesce(json_agg(smscamp_key_json(k) ORDER BY k.id), '[]')
                  FROM (SELECT * FROM api_keys
                         WHERE id > coalesce(api_count_param_value(p_args ->> 'after',
                                                                   9223372036854775807), 0)
                         ORDER BY id LIMIT p.lim + 1 OFFSET p.off) k);
    v_more := json_array_length(v_items) > p.lim;
    v_items := api_json_head(v_items, p.lim);
    status := 200;
    body := api_keyset_page(v_items, (SELECT count(*) FROM api_keys), p.lim, p.off, v_more,
                            (v_items -> (p.lim - 1) ->> 'id')::bigint);
END
$$;

-- Revoke now, or ?after=SECONDS later (an overlap window for rotation).
CREATE OR REPLACE FUNCTION api.keys_delete(p_id text, p_args jsonb,
                                           OUT status integer, OUT body text)
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
    v_id bigint := api_parse_id(p_id);
    v_after text := p_args ->> 'after';
    v_delay integer := 0;
BEGIN
    IF v_after IS NOT NULL THEN
        IF v_after !~ '^[0-9]{1,7}$' OR v_after::integer > 604800 THEN
            PERFORM api_validation_error(jsonb_build_array(api_error_item(
                '["query","after"]',
                'after must be a number of seconds between 0 and 604800', 'value_error')));
        END IF;
        v_delay := v_after::integer;
    END IF;
    UPDATE api_keys
       SET revoked_at = least(coalesce(revoked_at, 'infinity'),
                              now() + make_interval(secs => v_delay))
     WHERE id = v_id;
    SELECT * INTO status, body FROM api_no_content(FOUND, 'API key', v_id);
END
$$;

-- GET /api/keys/me (any role): the key the request came with, read from its
-- Authorization header and looked up by SHA-256 as api.auth does.  With
-- smscamp_auth on, the nginx module lets no request without a valid key get
-- here (it answers 401 itself), so a key not found is one revoked in the
-- seconds the module caches keys: 401 too.  With smscamp_auth off the
-- module checks no key and every route is open: a request without a bearer
-- key gets {"auth": false, "role": "admin", the rest null}.  (With auth off
-- a key that is sent is still looked up: a known one answers itself, an
-- unknown one 401.)
CREATE OR REPLACE FUNCTION api.keys_me(p_authorization text, OUT status integer, OUT body text)
LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
    -- the module's syntax: "Bearer" (any case), spaces, the token
    v_token text := substring(p_authorization FROM '^[Bb][Ee][Aa][Rr][Ee][Rr] +([0-9A-Za-z_.~-]+)$');
    k api_keys;
BEGIN
    status := 200;
    IF v_token IS NULL THEN
        body := jsonb_build_object('id', NULL, 'name', NULL, 'role', 'admin',
                                   'key_prefix', NULL, 'expires_at', NULL,
                                   'revoked_at', NULL, 'auth', false)::text;
        RETURN;
    END IF;
    SELECT * INTO k
      FROM api_keys AS a
     WHERE a.key_hash = encode(sha256(convert_to(v_token, 'UTF8')), 'hex')
       AND (a.revoked_at IS NULL OR a.revoked_at > now())
       AND (a.expires_at IS NULL OR a.expires_at > now());
    IF NOT FOUND THEN
        PERFORM api_error(401, to_jsonb(
            'This API key is unknown, revoked or expired: send Authorization: Bearer <key>'::text));
    END IF;
    body := jsonb_build_object('id', k.id, 'name', k.name, 'role', k.role,
                               'key_prefix', k.key_prefix, 'expires_at', k.expires_at,
                               'revoked_at', k.revoked_at, 'auth', true)::text;
END
$$;

CALL smscamp_secure_api();
