-- Leads API: route functions for /api/leads (contract: sql/README.md).
--
--   GET    /api/leads?limit=&offset=&after=&q=&sort=
--                                         api.leads_list(args jsonb)
--   POST   /api/leads                     api.leads_create(json jsonb)
--   POST   /api/leads/bulk                api.leads_bulk(json jsonb)
--   GET    /api/leads/{id}                api.leads_get(id text)
--   PUT    /api/leads/{id}                api.leads_update(id text, json jsonb)
--   DELETE /api/leads/{id}                api.leads_delete(id text)
--   GET    /api/leads/{id}/messages?after=&limit=
--                                         api.leads_messages(id text, args jsonb)
--   (POST /api/leads/import: api/leads_import.sql)
--
-- One lead object is validated by api_lead_validate() only, for create,
-- update and import alike, attributes (custom fields) included.
--
-- Imports never lose data by accident: a row with a lead's phone updates only
-- what it has (on_existing=merge, the default; skip leaves the lead alone,
-- replace makes the row the lead), a phone twice in one file is rejected after
-- its first row, dry_run=true answers what would happen and writes nothing,
-- the answer lists every changed field (from/to), and an import that fails
-- writes nothing.

------------------------------------------------------------------------------
-- Helpers (private)
------------------------------------------------------------------------------

-- The lead as the API shows it, with its opt-out (opt_outs: global, by phone):
-- one row a lead, whose columns are the JSON's keys (row_to_json(v), json_agg(v)).
-- A view and not a function of a leads row: the planner joins the opt-outs once
-- for a whole page, and row_to_json of a row costs a fifth of json_build_object
-- over the fields of a leads row with a sub-select for its opt-out (4 us against
-- 18 us a lead, make bench).  Single leads: api_lead_text(id).
DROP FUNCTION IF EXISTS api_lead_json(leads);
CREATE OR REPLACE VIEW api_lead_view AS
SELECT l.id, l.name, l.phone, l.email, l.company, l.notes, l.attributes,
       smscamp_lead_timezone(l.timezone, l.phone) AS timezone,
       CASE WHEN l.timezone IS NULL THEN 'phone' ELSE 'lead' END AS timezone_source,
       l.consent_at, l.consent_source, l.consent_text,
       o.phone IS NOT NULL AS opted_out,
       o.created_at AS opted_out_at,
       o.source AS opt_out_source,
       l.phone_status, l.phone_status_at, l.created_at, l.updated_at
  FROM leads AS l
  LEFT JOIN opt_outs AS o ON o.phone = l.phone;

-- One lead's JSON (NULL when there is none).  plpgsql, not sql: a sql function
-- whose body is a sub-select is not inlined, and is parsed and planned again
-- on every call (a lead read twice as slow).
CREATE OR REPLACE FUNCTION api_lead_text(p_id bigint) RETURNS text
LANGUAGE plpgsql STABLE PARALLEL SAFE AS $$
BEGIN
    RETURN (SELECT row_to_json(v)::text FROM api_lead_view AS v WHERE v.id = p_id);
END
$$;


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
-- attributes (custom fields): NULL when absent, '{}' for null, else the
-- object with string values trimmed and empty ones left out; at most 50
-- keys matching ^[A-Za-z_][A-Za-z0-9_]{0,63}$, each a string (<= 1,000
-- characters), a number or a boolean.
-- A single SELECT in SQL, so that an import of 100,000 rows inlines it (the
-- attribute checks cost nothing for a row without attributes).
-- (A changed result row type needs a DROP: attributes came later.)
DROP FUNCTION IF EXISTS api_lead_validate(jsonb, boolean, jsonb);
CREATE FUNCTION api_lead_validate(j jsonb, partial boolean, loc jsonb)
RETURNS TABLE (name text, phone text, email text, company text, notes text,
               attributes jsonb, timezone text, consent_at timestamptz, consent_source text,
               consent_text text, errors jsonb)
LANGUAGE sql STABLE PARALLEL SAFE AS $$
SELECT
    CASE WHEN c.e_name = '[]' THEN c.s_name END,
    CASE WHEN c.e_phone = '[]' THEN smscamp_normalize_phone(c.s_phone) END,
    CASE WHEN c.e_email = '[]' THEN nullif(c.s_email, '') END,
    CASE WHEN c.e_company = '[]' THEN nullif(c.s_company, '') END,
    CASE WHEN c.e_notes = '[]' THEN nullif(c.s_notes, '') END,
    CASE WHEN c.e_attributes = '[]' THEN c.s_attributes END,
    c.z_timezone,
    CASE WHEN c.e_consent_at = '[]' THEN c.d_consent_at END,
    CASE WHEN c.e_consent_source = '[]' THEN nullif(c.s_consent_source, '') END,
    CASE WHEN c.e_consent_text = '[]' THEN nullif(c.s_consent_text, '') END,
    CASE
        WHEN j IS NULL THEN
            jsonb_build_array(api_error_item(loc, 'Field required', 'missing'))
        WHEN jsonb_typeof(j) <> 'object' THEN
            jsonb_build_array(api_error_item(loc,
                'Input should be a valid dictionary or object to extract fields from',
                'dict_type'))
        ELSE c.e_name || c.e_phone || c.e_email || c.e_company || c.e_notes
             || c.e_attributes || c.e_timezone || c.e_consent_at || c.e_consent_source
             || c.e_consent_text
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
                                10000, loc || '"notes"') AS e_notes,
        CASE WHEN b.t_attributes <> '[]' OR b.s_attributes IS NULL THEN b.t_attributes
             WHEN (SELECT count(*) FROM jsonb_object_keys(b.s_attributes)) > 50 THEN
                 jsonb_build_array(api_error_item(loc || '"attributes"',
                     format('A lead has at most 50 attributes (this one has %s)',
                            (SELECT count(*) FROM jsonb_object_keys(b.s_attributes))),
                     'too_long', '{"max_length":50}'))
             ELSE '[]'
        END AS e_attributes,
        CASE WHEN b.t_timezone <> '[]' OR coalesce(b.s_timezone, '') = ''
                  OR b.z_timezone IS NOT NULL THEN b.t_timezone
             ELSE jsonb_build_array(api_error_item(loc || '"timezone"',
                      'timezone must be an IANA time zone name, such as America/Chicago '
                      '(or null: the phone''s)', 'value_error'))
        END AS e_timezone,
        CASE WHEN b.v_consent_at IS NULL OR jsonb_typeof(b.v_consent_at) = 'null'
                  OR b.d_consent_at IS NOT NULL THEN '[]'
             ELSE jsonb_build_array(api_error_item(loc || '"consent_at"',
                      'Input should be a valid datetime (ISO 8601, e.g. 2026-05-01T09:30:00Z, '
                      'or a date)', 'datetime_parsing'))
        END AS e_consent_at,
        api_string_field_errors(b.v_consent_source, b.s_consent_source, b.p_consent_source, false,
                                partial, 50, loc || '"consent_source"') AS e_consent_source,
        api_string_field_errors(b.v_consent_text, b.s_consent_text, b.p_consent_text, false,
                                partial, 2000, loc || '"consent_text"') AS e_consent_text
    FROM (
        SELECT a.*,
            api_json_string(a.v_name) AS s_name,
            api_json_string(a.v_phone) AS s_phone,
            api_json_string(a.v_email) AS s_email,
            api_json_string(a.v_company) AS s_company,
            api_json_string(a.v_notes) AS s_notes,
            api_json_string(a.v_timezone) AS s_timezone,
            api_json_string(a.v_consent_source) AS s_consent_source,
            api_json_string(a.v_consent_text) AS s_consent_text,
            CASE WHEN jsonb_typeof(a.v_consent_at) = 'string'
                 THEN api_datetime(api_json_string(a.v_consent_at)) END AS d_consent_at,
            api_string_field_errors(a.v_timezone, api_json_string(a.v_timezone), a.p_timezone,
                                    false, partial, 64, loc || '"timezone"') AS t_timezone,
            -- the zone's canonical name (time_zones, by lower(name))
            CASE WHEN jsonb_typeof(a.v_timezone) = 'string' THEN
                (SELECT z.name FROM time_zones z
                  WHERE lower(z.name) = lower(btrim(a.v_timezone ->> 0))) END AS z_timezone,
            api_string_field_errors(a.v_phone, api_json_string(a.v_phone), a.p_phone,
                                    true, partial, NULL, loc || '"phone"') AS t_phone,
            smscamp_phone_error(api_json_string(a.v_phone)) AS phone_error,
            api_string_field_errors(a.v_email, api_json_string(a.v_email), a.p_email,
                                    false, partial, 255, loc || '"email"') AS t_email,
            -- the errors of the attributes' keys and values (in jsonb's key order)
            CASE
                WHEN a.v_attributes IS NULL OR jsonb_typeof(a.v_attributes) = 'null' THEN '[]'
                WHEN jsonb_typeof(a.v_attributes) <> 'object' THEN
                    jsonb_build_array(api_error_item(loc || '"attributes"',
                        'Input should be a valid dictionary', 'dict_type'))
                ELSE (SELECT coalesce(jsonb_agg(x.item ORDER BY x.n), '[]')
                        FROM (SELECT e.n, CASE
                                  WHEN e.k !~ '^[A-Za-z_][A-Za-z0-9_]{0,63}$' THEN
                                      api_error_item(loc || jsonb_build_array('attributes', e.k),
                                          'Attribute names are letters, digits and _, start with '
                                          'a letter or _ and have at most 64 characters',
                                          'value_error')
                                  WHEN jsonb_typeof(e.v) NOT IN ('string', 'number', 'boolean') THEN
                                      api_error_item(loc || jsonb_build_array('attributes', e.k),
                                          'Input should be a string, a number or a boolean',
                                          'value_error')
                                  WHEN char_length(api_json_string(e.v)) > 1000 THEN
                                      api_error_item(loc || jsonb_build_array('attributes', e.k),
                                          'String should have at most 1000 characters',
                                          'string_too_long', '{"max_length":1000}')
                              END AS item
                                FROM jsonb_each(a.v_attributes) WITH ORDINALITY AS e(k, v, n)) AS x
                       WHERE x.item IS NOT NULL)
            END AS t_attributes,
            CASE
                WHEN jsonb_typeof(a.v_attributes) = 'null' THEN '{}'
                WHEN jsonb_typeof(a.v_attributes) = 'object' THEN
                    (SELECT coalesce(jsonb_object_agg(e.k, CASE WHEN jsonb_typeof(e.v) = 'string'
                                                             THEN to_jsonb(api_json_string(e.v))
                                                             ELSE e.v END), '{}')
                       FROM jsonb_each(a.v_attributes) AS e(k, v)
                      WHERE coalesce(api_json_string(e.v), '-') <> '')
            END AS s_attributes
        FROM (
            SELECT j -> 'name' AS v_name, j ? 'name' AS p_name,
                   j -> 'phone' AS v_phone, j ? 'phone' AS p_phone,
                   j -> 'email' AS v_email, j ? 'email' AS p_email,
                   j -> 'company' AS v_company, j ? 'company' AS p_company,
                   j -> 'notes' AS v_notes, j ? 'notes' AS p_notes,
                   j -> 'attributes' AS v_attributes,
                   j -> 'timezone' AS v_timezone, j ? 'timezone' AS p_timezone,
                   j -> 'consent_at' AS v_consent_at,
                   j -> 'consent_source' AS v_consent_source, j ? 'consent_source' AS p_consent_source,
                   j -> 'consent_text' AS v_consent_text, j ? 'consent_text' AS p_consent_text
            OFFSET 0
        ) AS a
        OFFSET 0
    ) AS b
    OFFSET 0
) AS c
$$;

-- The digits of a q that looks like a phone number, NULL for any other q
-- (phones hold nothing but '+' and digits).  A number written the national
-- way ("07700 900105") is searched without its leading trunk 0, which is not
-- part of the E.164 number (+447700900105), and one written with the
-- international prefix 00 ("0044 7700") without the 00.  A q starting with
-- '+' is taken as it is.
CREATE OR REPLACE FUNCTION api_phone_digits(q text) RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE
RETURN CASE WHEN q ~ '^[-0-9 +().]+$' AND q ~ '[0-9]'
            THEN CASE WHEN ltrim(q) LIKE '+%' THEN regexp_replace(q, '[^0-9]', '', 'g')
                      ELSE regexp_replace(regexp_replace(q, '[^0-9]', '', 'g'),
                                          '^0{1,2}(?=[0-9])', '')
                 END
       END;

-- LIKE pattern for the digits of a q that looks like a phone number (the
-- suppression list's search), NULL for any other q.
CREATE OR REPLACE FUNCTION api_phone_digits_like(q text) RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE
RETURN api_like_contains(api_phone_digits(q));

-- Refreshes what the search knows of the leads (lead_search_sample and
-- phone_digit_trigrams, schema.sql): every 5 minutes (jobs.sql) and after an
-- import.  Answers the number of leads sampled.
CREATE OR REPLACE FUNCTION smscamp_search_stats_refresh() RETURNS integer
LANGUAGE plpgsql SET search_path = public, pg_temp AS $$
DECLARE
    v_leads bigint := (SELECT coalesce(sum(n), 0) FROM smscamp_counters WHERE name = 'leads');
    v_n integer;
BEGIN
    DELETE FROM lead_search_sample;
    INSERT INTO lead_search_sample (search_text, phone)
    SELECT l.search_text, l.phone
      FROM leads AS l TABLESAMPLE BERNOULLI (least(100, 100.0 * 1000 / greatest(v_leads, 1)));
    GET DIAGNOSTICS v_n = ROW_COUNT;

    DELETE FROM phone_digit_trigrams;
    WITH s AS MATERIALIZED (
        SELECT ltrim(l.phone, '+') AS d
          FROM leads AS l TABLESAMPLE SYSTEM (least(100, 100.0 * 10000 / greatest(v_leads, 1))))
    INSERT INTO phone_digit_trigrams (trigram, share)
    SELECT t.trigram, count(*)::real / (SELECT count(*) FROM s)
      FROM s,
           LATERAL (SELECT DISTINCT substr(s.d, i, 3) AS trigram
                      FROM generate_series(1, length(s.d) - 2) AS i) AS t
     GROUP BY t.trigram;
    RETURN v_n;
END
$$;

-- The LIKE pattern a trigram index lookup of phone digits uses: the longest
-- stretch of the digits none of whose trigrams is in 5 % of the phones or
-- more (phone_digit_trigrams; the last such stretch of the longest: a
-- number's last digits vary most), or the digits' least common trigram when
-- each is that common (all the digits before the first refresh, or when there
-- are fewer than three).  Its matches hold the stretch, not always the digits:
-- the search checks those too (api_lead_matches).
CREATE OR REPLACE FUNCTION api_phone_digits_index_like(p_digits text) RETURNS text
LANGUAGE plpgsql STABLE STRICT PARALLEL SAFE AS $$
DECLARE
    v_shares real[];        -- of the trigram at each position (0: not seen)
    v_run integer := 0;     -- the length of the stretch of rare trigrams ending here
    v_best integer := 0;    -- the longest such stretch, ending at v_end
    v_end integer;
    v_rarest integer;       -- the position of the least common trigram
BEGIN
    IF char_length(p_digits) < 3 THEN
        RETURN api_like_contains(p_digits);
    END IF;
    SELECT array_agg(coalesce(t.share, 0) ORDER BY i) INTO v_shares
      FROM generate_series(1, char_length(p_digits) - 2) AS i
      LEFT JOIN phone_digit_trigrams AS t ON t.trigram = substr(p_digits, i, 3);
    FOR i IN 1 .. cardinality(v_shares) LOOP
        v_run := CASE WHEN v_shares[i] < 0.05 THEN v_run + 1 ELSE 0 END;
        IF v_run > 0 AND v_run >= v_best THEN
            v_best := v_run;
            v_end := i;
        END IF;
        IF v_rarest IS NULL OR v_shares[i] < v_shares[v_rarest] THEN
            v_rarest := i;
        END IF;
    END LOOP;
    IF v_best > 0 THEN
        RETURN api_like_contains(substr(p_digits, v_end - v_best + 1, v_best + 2));
    END IF;
    RETURN api_like_contains(substr(p_digits, v_rarest, 3));
END
$$;

-- What a search text q (trimmed, not blank) looks for: q lowered, as
-- search_text is, and its LIKE pattern; for a q that looks like a phone,
-- its digits and the pattern that finds them through the trigram index
-- (api_phone_digits_index_like); for a q that is a whole phone number, that
-- number, normalised as leads' phones are (smscamp_normalize_phone: with
-- smscamp.default_country set, "020 7946 0958" is +442079460958).  Computed
-- once a search: an expression of q in a query's condition is evaluated again
-- for every row a scan filters or rechecks.
CREATE OR REPLACE FUNCTION api_search_terms(q text,
                                            OUT text_lower text, OUT text_like text,
                                            OUT digits text, OUT digits_like text,
                                            OUT phone text)
LANGUAGE plpgsql STABLE PARALLEL SAFE AS $$
BEGIN
    text_lower := lower(q);
    text_like := api_like_contains(text_lower);
    digits := api_phone_digits(q);
    IF digits IS NOT NULL THEN
        digits_like := api_phone_digits_index_like(digits);
    END IF;
    phone := smscamp_normalize_phone(q);
END
$$;

-- Whether a lead matches a search (api_search_terms): case-insensitive
-- substring of name, email or company (search_text); for a q that looks like
-- a phone ("415555", "(415) 555-01", "+1 415", "07700 900105"), its digits in
-- the phone's; for a whole phone number, the lead with that number.  Inlined
-- into the caller's query, so that leads_search_trgm_idx,
-- leads_phone_digits_trgm_idx (digits_like; strpos checks the digits: a phone
-- is '+' and digits) and
-- leads_phone_key serve it.  The phone first: a lead whose phone matches is
-- then not read as far as search_text, its last column (the rows a lookup
-- rechecks cost a third less).
CREATE OR REPLACE FUNCTION api_lead_matches(p_search_text text, p_phone text,
                                            p_text_like text, p_digits text,
                                            p_digits_like text, p_normalized text)
RETURNS boolean
LANGUAGE sql IMMUTABLE PARALLEL SAFE
RETURN (strpos(p_phone, p_digits) > 0 AND ltrim(p_phone, '+') LIKE p_digits_like)
    OR p_phone = p_normalized
    OR p_search_text LIKE p_text_like;

-- The same test for a scan that reads the leads one by one (a sample, a walk
-- in id order), which no index serves: strpos, faster than LIKE '%...%' by a
-- quarter of a walk's time.
CREATE OR REPLACE FUNCTION api_lead_contains(p_search_text text, p_phone text,
                                             p_text_lower text, p_digits text,
                                             p_normalized text)
RETURNS boolean
LANGUAGE sql IMMUTABLE PARALLEL SAFE
RETURN strpos(p_phone, p_digits) > 0
    OR p_phone = p_normalized
    OR strpos(p_search_text, p_text_lower) > 0;

-- Whether a search text q has nothing the trigram indexes can look up: one
-- word of one or two letters or digits ("ab"; pg_trgm makes its trigrams of
-- words, padding a word's ends next to a space: "ld ka" has "ld " and " ka"),
-- or, for a q that looks like a phone, fewer than three digits.  Such a
-- lookup would read all of an index: the leads are read instead.
CREATE OR REPLACE FUNCTION api_search_weak(p_text_lower text, p_digits text) RETURNS boolean
LANGUAGE sql IMMUTABLE PARALLEL SAFE
RETURN (p_text_lower !~ '[[:alnum:]]{3}'
        AND p_text_lower !~ '[[:alnum:]][^[:alnum:]]+[[:alnum:]]')
    OR coalesce(char_length(p_digits) < 3, false);

-- The ids of the leads matching a search text q (not blank), as GET
-- /api/leads?q= finds them (api_lead_matches), through the indexes; p_limit
-- of them at most (any, not the first).  Any other route that selects leads
-- by q (the other orders of the list, campaigns' lead_filter through
-- api_leads_matching) calls it, so that the searches stay one.
DO $$
BEGIN
    -- (it answered leads rows before)
    IF EXISTS (SELECT FROM pg_proc WHERE oid = to_regprocedure('api_leads_search(text)')
                                     AND prorettype <> 'bigint'::regtype) THEN
        DROP FUNCTION api_leads_search(text);
    END IF;
END
$$;
-- api_leads_search of a search's terms (api_search_terms): a lookup through the
-- trigram indexes, or for a q they cannot look up (api_search_weak) a scan of the
-- leads (|| '' keeps leads_phone_key out: its bitmap would have to be ORed with
-- a whole index's).  SQL, inlined into the caller's query: t/sql/13-leads-api.sql
-- checks its plan.
DO $$
BEGIN
    -- (plpgsql before)
    IF EXISTS (SELECT FROM pg_proc WHERE proname = 'api_leads_lookup' AND prolang <> (
                   SELECT oid FROM pg_language WHERE lanname = 'sql')) THEN
        DROP FUNCTION api_leads_lookup(text, text, text, text, text, bigint) CASCADE;
    END IF;
END
$$;
CREATE OR REPLACE FUNCTION api_leads_lookup(p_text_lower text, p_text_like text, p_digits text,
                                            p_digits_like text, p_phone text, p_limit bigint)
RETURNS SETOF bigint
LANGUAGE sql STABLE PARALLEL SAFE ROWS 1000 AS $$
SELECT m.id
  FROM (SELECT l.id FROM leads AS l
         WHERE api_search_weak(p_text_lower, p_digits)
           AND api_lead_contains(l.search_text, l.phone || '', p_text_lower, p_digits, p_phone)
        UNION ALL
        SELECT l.id FROM leads AS l
         WHERE NOT api_search_weak(p_text_lower, p_digits)
           AND api_lead_matches(l.search_text, l.phone, p_text_like, p_digits, p_digits_like,
                                p_phone)) AS m
 LIMIT p_limit
$$;

-- The walk of a search in id order (api_leads_search_page): the ids of the
-- matches after p_after among the next p_walk_max leads (NULL: all), p_offset
-- of them skipped, p_limit at most: leads_pkey in order.  SQL, inlined:
-- t/sql/13-leads-api.sql checks its plan.
CREATE OR REPLACE FUNCTION api_leads_walk(p_text_lower text, p_digits text, p_phone text,
                                          p_after bigint, p_walk_max bigint,
                                          p_limit bigint, p_offset bigint)
RETURNS SETOF bigint
LANGUAGE sql STABLE PARALLEL SAFE AS $$
SELECT w.id
  FROM (SELECT l.id, l.search_text, l.phone
          FROM leads AS l
         WHERE l.id > p_after
         ORDER BY l.id
         LIMIT p_walk_max) AS w
 WHERE api_lead_contains(w.search_text, w.phone, p_text_lower, p_digits, p_phone)
 ORDER BY w.id
 LIMIT p_limit OFFSET p_offset
$$;

CREATE OR REPLACE FUNCTION api_leads_search(p_q text, p_limit bigint DEFAULT NULL)
RETURNS SETOF bigint
LANGUAGE sql STABLE PARALLEL SAFE ROWS 1000 AS $$
SELECT i FROM api_search_terms(btrim(p_q)) AS t,
              api_leads_lookup(t.text_lower, t.text_like, t.digits, t.digits_like, t.phone,
                               p_limit) AS i
$$;

-- A page of the leads matching a search, in id order after p_after (keyset
-- pages) or from p_offset: the page's ids (up to p_limit + 1: one more says
-- there are more), how many leads match (total) and whether that is an
-- estimate.  How many leads match decides how they are found, and it is
-- estimated first from lead_search_sample (1,000 leads at random, a tenth of
-- a millisecond):
--   few (at most exact_max, sqrt((limit + 1) * leads / 10), and at least
--   500: 714 of 100,000 leads): every match through the trigram indexes
--   (api_leads_search: a millisecond and a half a thousand matches), which
--   gives the exact total and the page;
--   more: the page walks the leads in id order (api_leads_walk: a fifth of a
--   millisecond a thousand leads) until it has its rows, and the total is the
--   estimate, to two significant digits (total_is_estimate).
-- Each way gives way to the other when the estimate was wrong: a walk that
-- has not found its page in four times the leads the estimate expected (the
-- matches sit together, after the first ones: leads imported together), a
-- lookup that finds more than lookup_max (four times exact_max, and an eighth
-- of the leads) matches.  A q the indexes cannot look up (api_search_weak)
-- walks, through all of the leads if need be.
CREATE OR REPLACE FUNCTION api_leads_search_page(p_q text, p_after bigint, p_offset bigint,
                                                 p_limit integer,
                                                 OUT ids bigint[], OUT total bigint,
                                                 OUT total_is_estimate boolean)
LANGUAGE plpgsql STABLE PARALLEL SAFE AS $$
DECLARE
    t record := api_search_terms(p_q);
    v_leads bigint := (SELECT coalesce(sum(n), 0) FROM smscamp_counters WHERE name = 'leads');
    v_exact_max bigint;
    v_lookup_max bigint;    -- the most matches a lookup reads
    v_sampled bigint;
    v_hits bigint;
    v_estimate bigint;
    v_walk boolean;
    v_walk_max bigint;      -- the most leads the walk reads (NULL: all)
BEGIN
    v_exact_max := greatest(500, sqrt((p_limit + 1)::numeric * v_leads / 10));
    v_lookup_max := greatest(4 * v_exact_max, v_leads / 8);
    SELECT count(*), count(*) FILTER (WHERE api_lead_contains(s.search_text, s.phone, t.text_lower,
                                                              t.digits, t.phone))
      INTO v_sampled, v_hits
      FROM lead_search_sample AS s;
    IF v_sampled > 0 THEN
        v_estimate := round(v_hits::numeric / v_sampled * v_leads);
    END IF;
    v_walk := api_search_weak(t.text_lower, t.digits)
              OR coalesce(v_leads > v_exact_max AND v_estimate > v_exact_max, false);

    FOR attempt IN 1 .. 2 LOOP
        IF v_walk THEN
            IF v_hits > 0 AND NOT api_search_weak(t.text_lower, t.digits) THEN
                v_walk_max := ceil(4 * (p_offset + p_limit + 1)::numeric * v_sampled / v_hits);
            END IF;
            ids := ARRAY(SELECT api_leads_walk(t.text_lower, t.digits, t.phone, p_after,
                                               v_walk_max, p_limit + 1, p_offset));
            IF cardinality(ids) > p_limit THEN
                total := greatest(v_estimate, p_offset + p_limit + 1);
                total := round(total, 2 - length(total::text));    -- two significant digits
                total_is_estimate := true;
                RETURN;
            ELSIF v_walk_max IS NULL
                  OR NOT EXISTS (SELECT FROM leads AS l WHERE l.id > p_after
                                  ORDER BY l.id OFFSET v_walk_max LIMIT 1) THEN
                -- the walk read every lead after p_after: the last page
                total_is_estimate := p_after > 0 OR (cardinality(ids) = 0 AND p_offset > 0);
                total := CASE WHEN total_is_estimate THEN greatest(v_estimate, cardinality(ids))
                              ELSE p_offset + cardinality(ids) END;
                RETURN;
            END IF;
        ELSE
            ids := ARRAY(SELECT i FROM api_leads_lookup(t.text_lower, t.text_like, t.digits,
                                                        t.digits_like, t.phone, v_lookup_max) AS i
                          ORDER BY i);
            IF cardinality(ids) < v_lookup_max THEN
                total := cardinality(ids);
                total_is_estimate := false;
                ids := ARRAY(SELECT i FROM unnest(ids) AS i WHERE i > p_after
                              ORDER BY i LIMIT p_limit + 1 OFFSET p_offset);
                RETURN;
            END IF;
            v_estimate := greatest(v_estimate, v_lookup_max);
        END IF;
        v_walk := NOT v_walk;
        v_hits := 0;        -- (the estimate was wrong: no bound on the walk)
    END LOOP;
    -- the walk gave way after the lookup did: read every lead
    ids := ARRAY(SELECT api_leads_walk(t.text_lower, t.digits, t.phone, p_after, NULL,
                                       p_limit + 1, p_offset));
    total := greatest(v_estimate, p_offset + cardinality(ids));
    total := round(total, 2 - length(total::text));
    total_is_estimate := true;
END
$$;

-- The ids of the leads a campaign's lead_filter selects (api_campaign_assign
-- in api/campaigns.sql): api_leads_search, so that the filter finds what the
-- leads page's search shows; every lead for a blank filter.
CREATE OR REPLACE FUNCTION api_leads_matching(p_q text) RETURNS SETOF bigint
LANGUAGE sql STABLE PARALLEL SAFE AS $$
SELECT l.id FROM leads AS l WHERE nullif(btrim(p_q), '') IS NULL
UNION ALL
SELECT s FROM api_leads_search(p_q) AS s WHERE nullif(btrim(p_q), '') IS NOT NULL
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

------------------------------------------------------------------------------
-- Routes
------------------------------------------------------------------------------

-- GET /api/leads?limit=&offset=&after=&q=&sort=&opted_out=
--   opted_out: true (only the leads on the suppression list) or false (the others).
--   sort: id (the default), name, created_at, company or phone, ascending,
--   or descending with a leading '-' (-created_at: newest first); names and
--   companies case-insensitively, leads without a company last either way,
--   ties in id order (descending for a descending sort).  Keyset pages
--   (after) only in the default order; every order pages with offset, up to
--   10,000 (past it: 422, use after).
CREATE OR REPLACE FUNCTION api.leads_list(p_args jsonb, OUT status integer, OUT body text)
LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
    p record;
    v_q text := nullif(btrim(p_args ->> 'q'), '');
    v_after_text text := p_args ->> 'after';
    v_sort text := coalesce(p_args ->> 'sort', 'id');
    v_opted boolean := CASE lower(p_args ->> 'opted_out') WHEN 'true' THEN true
                                                          WHEN 'false' THEN false END;
    v_after bigint;
    v_errors jsonb;
    v_page record;
    v_ids bigint[];     -- the page's leads, in order (and one more when there are more)
    v_total bigint;
    v_estimate boolean := false;
    v_more boolean;
    v_items json;
    c_sorts constant text[] := ARRAY['id', '-id', 'name', '-name', 'created_at',
                                     '-created_at', 'company', '-company', 'phone', '-phone'];
BEGIN
    SELECT * INTO p FROM api_list_params(coalesce(p_args, '{}'));
    v_errors := p.errors;
    v_errors := v_errors || api_search_errors(v_q);
    v_errors := v_errors || api_keyset_errors(p_args, p.off,
        ', in the default order sort=id, or narrow the list with q');
    IF p_args ? 'opted_out' AND v_opted IS NULL THEN
        v_errors := v_errors || jsonb_build_array(api_error_item('["query","opted_out"]',
            'Input should be a valid boolean (true or false)', 'bool_parsing'));
    END IF;
    IF v_sort <> ALL (c_sorts) THEN
        v_errors := v_errors || jsonb_build_array(api_error_item('["query","sort"]',
            'Input should be ''id'', ''-id'', ''name'', ''-name'', ''created_at'', '
            '''-created_at'', ''company'', ''-company'', ''phone'' or ''-phone''',
            'enum', jsonb_build_object('expected', array_to_string(c_sorts, ', '))));
    END IF;
    -- keyset pagination: ?after=<the last id of the previous page>, flat in cost
    -- however deep the page (offset pages cost their offset), in id order only
    IF v_after_text IS NOT NULL AND v_sort <> 'id' AND v_sort = ANY (c_sorts) THEN
        v_errors := v_errors || jsonb_build_array(api_error_item('["query","after"]',
            format('after (keyset pages) works only in the default order (sort=id); '
                   'with sort=%s, page with offset instead', v_sort),
            'value_error'));
    END IF;
    PERFORM api_check(v_errors);
    v_after := coalesce(api_count_param_value(v_after_text, 9223372036854775807), 0);

    IF v_q IS NOT NULL AND v_sort = 'id' AND v_opted IS NULL THEN
        -- a search in id order: api_leads_search_page
        SELECT * INTO v_page FROM api_leads_search_page(v_q, v_after, p.off, p.lim);
        v_ids := v_page.ids;
        v_total := v_page.total;
        v_estimate := v_page.total_is_estimate;
    ELSIF v_sort = 'id' AND v_q IS NULL AND v_opted IS NULL THEN
        -- the total from the counters campaign_stats.sql keeps, never a count of
        -- the table
        SELECT coalesce(sum(n), 0) INTO v_total FROM smscamp_counters WHERE name = 'leads';
        v_ids := ARRAY(SELECT l.id FROM leads AS l WHERE l.id > v_after
                        ORDER BY l.id LIMIT p.lim + 1 OFFSET p.off);
    ELSE
        -- one static query for every other order and the opted_out filter (no
        -- dynamic SQL): each key is NULL but the one sorted by; every lead for a
        -- blank q, else the search's
        SELECT count(*) INTO v_total
          FROM leads AS s
         WHERE (v_q IS NULL OR s.id IN (SELECT api_leads_search(v_q)))
           AND (v_opted IS NULL
                OR EXISTS (SELECT FROM opt_outs o WHERE o.phone = s.phone) = v_opted);
        v_ids := ARRAY(
            SELECT k.id
              FROM (SELECT s.id,
                           CASE v_sort WHEN 'name' THEN lower(s.name)
                                       WHEN 'company' THEN lower(s.company)
                                       WHEN 'phone' THEN s.phone END AS t_asc,
                           CASE v_sort WHEN '-name' THEN lower(s.name)
                                       WHEN '-company' THEN lower(s.company)
                                       WHEN '-phone' THEN s.phone END AS t_desc,
                           CASE WHEN v_sort = 'created_at' THEN s.created_at END AS ts_asc,
                           CASE WHEN v_sort = '-created_at' THEN s.created_at END AS ts_desc,
                           CASE WHEN v_sort LIKE '-%' THEN -s.id ELSE s.id END AS id_key
                      FROM leads AS s
                     WHERE (v_q IS NULL OR s.id IN (SELECT api_leads_search(v_q)))
                       AND s.id > v_after
                       AND (v_opted IS NULL
                            OR EXISTS (SELECT FROM opt_outs o WHERE o.phone = s.phone) = v_opted)
                     ORDER BY t_asc NULLS LAST, t_desc DESC NULLS LAST,
                              ts_asc, ts_desc DESC NULLS LAST, id_key
                     LIMIT p.lim + 1 OFFSET p.off) AS k);
    END IF;

    -- (one row more than the page was asked for: there are more)
    v_more := cardinality(v_ids) > p.lim;
    v_ids := v_ids[1:p.lim];
    SELECT coalesce(json_agg(v ORDER BY i.n), '[]') INTO v_items
      FROM unnest(v_ids) WITH ORDINALITY AS i (id, n)
      JOIN api_lead_view AS v ON v.id = i.id;

    status := 200;
    body := json_build_object('items', v_items, 'total', v_total,
                              'total_is_estimate', v_estimate,
                              'limit', p.lim, 'offset', p.off,
                              'has_more', v_more,
                              'next_after', CASE WHEN v_sort = 'id' AND v_more
                                                 THEN v_ids[p.lim] END)::text;
END
$$;

-- GET /api/leads/{id}
CREATE OR REPLACE FUNCTION api.leads_get(p_id text, OUT status integer, OUT body text)
LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
    v_id bigint := api_parse_id(p_id);
BEGIN
    body := api_found(api_lead_text(v_id), 'Lead', v_id);
    status := 200;
END
$$;

-- POST /api/leads
CREATE OR REPLACE FUNCTION api.leads_create(p_body jsonb, OUT status integer, OUT body text)
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
    v record;
    v_id bigint;
BEGIN
    SELECT * INTO v FROM api_lead_validate(p_body, false, '["body"]');
    PERFORM api_check(v.errors);

    -- ON CONFLICT instead of catching unique_violation: no subtransaction,
    -- and a concurrent insert of the same phone is a clean 409 too.
    INSERT INTO leads AS l (name, phone, email, company, notes, attributes, timezone,
                            consent_at, consent_source, consent_text)
    VALUES (v.name, v.phone, v.email, v.company, v.notes, coalesce(v.attributes, '{}'),
            v.timezone, v.consent_at, v.consent_source, v.consent_text)
    ON CONFLICT (phone) DO NOTHING
    RETURNING l.id INTO v_id;
    IF v_id IS NULL THEN
        PERFORM api_lead_phone_conflict(v.phone);
    END IF;
    body := api_lead_text(v_id);
    status := 201;
END
$$;

-- PUT /api/leads/{id}: the fields present are changed; null clears an
-- optional field.  attributes, when present, replace the lead's (null: {}).
CREATE OR REPLACE FUNCTION api.leads_update(p_id text, p_body jsonb,
                                            OUT status integer, OUT body text)
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
    v record;
    v_errors jsonb := api_id_errors(p_id);
    v_id bigint;
    v_updated bigint;
    v_constraint text;
BEGIN
    SELECT * INTO v FROM api_lead_validate(p_body, true, '["body"]');
    v_errors := v_errors || v.errors;
    PERFORM api_check(v_errors);
    v_id := api_parse_id(p_id);

    BEGIN
        UPDATE leads AS l SET
            name    = CASE WHEN p_body ? 'name'    THEN v.name    ELSE l.name    END,
            phone   = CASE WHEN p_body ? 'phone'   THEN v.phone   ELSE l.phone   END,
            email   = CASE WHEN p_body ? 'email'   THEN v.email   ELSE l.email   END,
            company = CASE WHEN p_body ? 'company' THEN v.company ELSE l.company END,
            notes   = CASE WHEN p_body ? 'notes'   THEN v.notes   ELSE l.notes   END,
            attributes = coalesce(v.attributes, l.attributes),
            timezone = CASE WHEN p_body ? 'timezone' THEN v.timezone ELSE l.timezone END,
            consent_at = CASE WHEN p_body ? 'consent_at' THEN v.consent_at ELSE l.consent_at END,
            consent_source = CASE WHEN p_body ? 'consent_source' THEN v.consent_source
                                  ELSE l.consent_source END,
            consent_text = CASE WHEN p_body ? 'consent_text' THEN v.consent_text
                                ELSE l.consent_text END
         WHERE l.id = v_id
        RETURNING l.id INTO v_updated;
    EXCEPTION WHEN unique_violation THEN
        GET STACKED DIAGNOSTICS v_constraint = CONSTRAINT_NAME;
        IF v_constraint IS DISTINCT FROM 'leads_phone_key' THEN
            RAISE;
        END IF;
        PERFORM api_lead_phone_conflict(v.phone);
    END;
    -- (a statement of its own: the UPDATE's snapshot would show the lead before it)
    body := api_found(api_lead_text(v_updated), 'Lead', v_id);
    status := 200;
END
$$;

-- DELETE /api/leads/{id}
CREATE OR REPLACE FUNCTION api.leads_delete(p_id text, OUT status integer, OUT body text)
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
    v_id bigint := api_parse_id(p_id);
BEGIN
    DELETE FROM leads AS l WHERE l.id = v_id;
    SELECT * INTO status, body FROM api_no_content(FOUND, 'Lead', v_id);
END
$$;

-- GET /api/leads/{id}/messages?after=&limit=: the lead's thread (every SMS in
-- or out, sql/messages.sql), oldest first, in keyset pages: after is the
-- last id of the previous page, next_after the last id of this one while
-- there may be more (else null).  limit: default 50, at most 200.  404 when
-- there is no such lead.
CREATE OR REPLACE FUNCTION api.leads_messages(p_id text, p_args jsonb,
                                              OUT status integer, OUT body text)
LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
    p record;
    v_errors jsonb := api_id_errors(p_id);
    v_after_text text := p_args ->> 'after';
    v_id bigint;
    v_items json;
    v_count integer;
    v_last bigint;
BEGIN
    SELECT * INTO p FROM api_list_params(coalesce(p_args, '{}'), 50, 200);
    v_errors := v_errors || p.errors || api_count_param_errors(v_after_text, '["query","after"]');
    IF p_args ? 'offset' THEN
        v_errors := v_errors || jsonb_build_array(api_error_item('["query","offset"]',
            'The thread pages with after (the last id of the previous page), not offset',
            'value_error'));
    END IF;
    PERFORM api_check(v_errors);
    v_id := api_parse_id(p_id);
    IF NOT EXISTS (SELECT FROM leads WHERE id = v_id) THEN
        PERFORM api_not_found('Lead', v_id);
    END IF;

    SELECT coalesce(json_agg(smscamp_message_json(m) ORDER BY m.id), '[]'), count(*), max(m.id)
      INTO v_items, v_count, v_last
      FROM (SELECT * FROM messages
             WHERE lead_id = v_id
               AND id > coalesce(api_count_param_value(v_after_text, 9223372036854775807), 0)
             ORDER BY id LIMIT p.lim) AS m;
    status := 200;
    body := json_build_object('items', v_items,
                              'total', (SELECT count(*) FROM messages WHERE lead_id = v_id),
                              'limit', p.lim,
                              'next_after', CASE WHEN v_count = p.lim THEN v_last END)::text;
END
$$;

-- POST /api/leads/bulk {"action": "delete" | "opt_out", "lead_ids": [1, 2, ...]}
-- One action over up to 10,000 leads, in one statement.  Ids that are no
-- lead are reported (unknown_ids, ascending), not an error; an id given
-- twice counts once.  matched: the leads found; changed: the leads deleted,
-- or the phones put on the opt-out list (opt_outs, source 'manual': the
-- lead shows opted_out and campaigns skip it; one already opted out is
-- matched, not changed).  Answers {"action", "matched", "changed",
-- "unknown_ids"}; 422 for a bad action or bad ids.
CREATE OR REPLACE FUNCTION api.leads_bulk(p_body jsonb, OUT status integer, OUT body text)
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
    c_max constant integer := 10000;
    v_action text;
    v_list jsonb;
    v_n integer;
    v_ids bigint[];
    v_errors jsonb := '[]';
    v_matched bigint;
    v_changed bigint;
    v_unknown jsonb;
BEGIN
    v_errors := api_body_errors(p_body);
    PERFORM api_check(v_errors);

    v_action := api_json_string(p_body -> 'action');
    IF coalesce(jsonb_typeof(p_body -> 'action'), 'null') = 'null' THEN
        v_errors := v_errors || api_error_item('["body","action"]', 'Field required', 'missing');
    ELSIF v_action IS NULL THEN
        v_errors := v_errors || api_error_item('["body","action"]',
            'Input should be a valid string', 'string_type');
    ELSIF v_action NOT IN ('delete', 'opt_out') THEN
        v_errors := v_errors || api_error_item('["body","action"]',
            'Input should be ''delete'' or ''opt_out''', 'enum',
            '{"expected":"''delete'' or ''opt_out''"}');
    END IF;

    v_list := p_body -> 'lead_ids';
    IF coalesce(jsonb_typeof(v_list), 'null') = 'null' THEN
        v_errors := v_errors || api_error_item('["body","lead_ids"]', 'Field required', 'missing');
    ELSIF jsonb_typeof(v_list) <> 'array' THEN
        v_errors := v_errors || api_error_item('["body","lead_ids"]',
            'Input should be a valid list', 'list_type');
    ELSE
        v_n := jsonb_array_length(v_list);
        IF v_n = 0 THEN
            v_errors := v_errors || api_error_item('["body","lead_ids"]',
                'List should have at least 1 item after validation, not 0', 'too_short',
                '{"field_type":"List","min_length":1,"actual_length":0}');
        ELSIF v_n > c_max THEN
            v_errors := v_errors || api_error_item('["body","lead_ids"]',
                format('List should have at most %s items after validation, not %s', c_max, v_n),
                'too_long', jsonb_build_object('field_type', 'List', 'max_length', c_max,
                                               'actual_length', v_n));
        ELSE
            -- each element a positive integer (a JSON number; 1e3 is 1000)
            SELECT v_errors || coalesce(jsonb_agg(x.err ORDER BY x.i), '[]')
              INTO v_errors
              FROM (SELECT e.i,
                           CASE WHEN jsonb_typeof(e.v) <> 'number' THEN
                                    api_error_item(jsonb_build_array('body', 'lead_ids', e.i - 1),
                                                   'Input should be a valid integer', 'int_type')
                                ELSE api_id_errors(e.v::text,
                                                   jsonb_build_array('body', 'lead_ids', e.i - 1)) -> 0
                           END AS err
                      FROM jsonb_array_elements(v_list) WITH ORDINALITY AS e(v, i)) AS x
             WHERE x.err IS NOT NULL;
        END IF;
    END IF;
    PERFORM api_check(v_errors);
    v_ids := ARRAY(SELECT DISTINCT (e.v::text)::bigint
                     FROM jsonb_array_elements(v_list) AS e(v));

    IF v_action = 'delete' THEN
        WITH del AS (
            DELETE FROM leads AS l
             WHERE l.id = ANY (v_ids)
            RETURNING l.id
        )
        SELECT count(*), count(*),
               (SELECT coalesce(jsonb_agg(u.id ORDER BY u.id), '[]')
                  FROM unnest(v_ids) AS u(id)
                 WHERE u.id NOT IN (SELECT d.id FROM del AS d))
          INTO v_matched, v_changed, v_unknown
          FROM del;
    ELSE
        WITH found AS MATERIALIZED (
            SELECT l.id, l.phone FROM leads AS l WHERE l.id = ANY (v_ids)
        ),
        ins AS (
            INSERT INTO opt_outs AS o (phone, keyword, source)
            SELECT f.phone, NULL, 'manual' FROM found AS f ORDER BY f.phone
            ON CONFLICT (phone) DO NOTHING
            RETURNING o.phone
        )
        SELECT (SELECT count(*) FROM found), (SELECT count(*) FROM ins),
               (SELECT coalesce(jsonb_agg(u.id ORDER BY u.id), '[]')
                  FROM unnest(v_ids) AS u(id)
                 WHERE u.id NOT IN (SELECT f.id FROM found AS f))
          INTO v_matched, v_changed, v_unknown;
    END IF;

    status := 200;
    body := jsonb_build_object('action', v_action, 'matched', v_matched,
                               'changed', v_changed, 'unknown_ids', v_unknown)::text;
END
$$;

CALL smscamp_secure_api();
