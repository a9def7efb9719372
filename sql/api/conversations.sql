-- Conversations API: the inbox (contract: sql/README.md).
--
--   GET  /api/conversations?state=&campaign_id=&intent=&q=&limit=&offset=
--                                          api.conversations_list(args)
--   POST /api/conversations/{lead_id}/read api.conversations_read(lead_id)
--
-- A conversation is a phone's messages (sql/messages.sql): a lead's thread,
-- or the messages of a number that is no lead (an unknown sender).  Newest
-- activity first.  state: open (default: the lead has written at least
-- once), needs_reply (the last message is the lead's: nobody answered it,
-- and it does not close the conversation: an opt_out, wrong_number or
-- not_interested needs no answer), all (every thread, also those only sent
-- to).  campaign_id: conversations with a message of that campaign; intent:
-- those whose last inbound message has that intent; q: part of the lead's
-- name, or of the phone's digits.
--
-- Each item: {"phone", "lead_id", "name", "last_message", "message_count",
-- "unread" (inbound messages not read), "needs_reply", "intent" (of the last
-- inbound message), "drafts" (the reply agent's, waiting for approval)}.

-- GET /api/conversations
CREATE OR REPLACE FUNCTION api.conversations_list(p_args jsonb, OUT status integer, OUT body text)
LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
    p record;
    c_states constant text[] := ARRAY['needs_reply', 'open', 'all'];
    c_intents constant text[] := ARRAY['interested', 'question', 'not_interested', 'opt_out',
                                       'wrong_number', 'other'];
    v_intent text := nullif(btrim(p_args ->> 'intent'), '');
    v_state text := coalesce(nullif(btrim(p_args ->> 'state'), ''), 'open');
    v_campaign_text text := p_args ->> 'campaign_id';
    v_q text := nullif(btrim(p_args ->> 'q'), '');
    v_digits text;
    v_campaign bigint;
    v_before bigint;
    v_errors jsonb;
    v_items json;
    v_total bigint;
    v_more boolean;
BEGIN
    SELECT * INTO p FROM api_list_params(coalesce(p_args, '{}'), 50, 200);
    v_errors := p.errors || api_keyset_errors(coalesce(p_args, '{}'), p.off)
        || api_enum_errors(v_state, c_states, '["query","state"]')
        || api_count_param_errors(v_campaign_text, '["query","campaign_id"]')
        || CASE WHEN v_intent IS NULL THEN '[]'::jsonb
                ELSE api_enum_errors(v_intent, c_intents, '["query","intent"]') END;
    v_errors := v_errors || api_search_errors(v_q);
    PERFORM api_check(v_errors);
    v_campaign := api_count_param_value(v_campaign_text, 9223372036854775807);
    v_digits := nullif(regexp_replace(coalesce(v_q, ''), '[^0-9]', '', 'g'), '');
    -- keyset pages, latest first: after the last message id of the previous page
    v_before := coalesce(nullif(api_count_param_value(p_args ->> 'after', 9223372036854775807), 0),
                         9223372036854775807);

    WITH t AS (
        -- a draft waits for approval: it answers nothing yet
        SELECT m.phone, max(m.id) FILTER (WHERE m.status IS DISTINCT FROM 'draft') AS last_id,
               count(*) AS message_count,
               count(*) FILTER (WHERE m.direction = 'inbound') AS inbound,
               count(*) FILTER (WHERE m.direction = 'inbound' AND m.read_at IS NULL) AS unread,
               max(m.id) FILTER (WHERE m.direction = 'inbound') AS last_inbound_id,
               count(*) FILTER (WHERE m.status = 'draft') AS drafts
          FROM messages m
         WHERE v_campaign IS NULL
            OR m.phone IN (SELECT c.phone FROM messages c WHERE c.campaign_id = v_campaign)
         GROUP BY m.phone
    ), f AS (
        SELECT t.*, last, l.id AS lead_id, l.name, li.intent,
               last.direction = 'inbound'
               AND coalesce(last.intent, '') NOT IN ('opt_out', 'wrong_number', 'not_interested')
               AS needs_reply
          FROM t
          JOIN messages last ON last.id = t.last_id
          LEFT JOIN messages li ON li.id = t.last_inbound_id
          LEFT JOIN leads l ON l.phone = t.phone
         WHERE (v_state = 'all' OR t.inbound > 0)
           AND (v_intent IS NULL OR li.intent = v_intent)
           AND (v_q IS NULL OR l.name ILIKE api_like_contains(v_q)
                OR (v_digits IS NOT NULL AND t.phone LIKE api_like_contains(v_digits)))
    ), g AS (
        SELECT * FROM f WHERE v_state <> 'needs_reply' OR f.needs_reply
    )
    SELECT (SELECT count(*) FROM g),
           coalesce((SELECT json_agg(json_build_object(
                        'phone', x.phone, 'lead_id', x.lead_id, 'name', x.name,
                        'last_message', smscamp_message_json(x.last),
                        'message_count', x.message_count, 'unread', x.unread,
                        'needs_reply', x.needs_reply, 'intent', x.intent,
                        'drafts', x.drafts, 'last_id', x.last_id) ORDER BY x.last_id DESC)
                       FROM (SELECT * FROM g WHERE g.last_id < v_before ORDER BY g.last_id DESC
                             LIMIT p.lim + 1 OFFSET p.off) AS x), '[]')
      INTO v_total, v_items;

    v_more := json_array_length(v_items) > p.lim;
    v_items := api_json_head(v_items, p.lim);
    status := 200;
    -- (next_after: the last message id of the page's last conversation)
    body := api_keyset_page((SELECT coalesce(json_agg(e::jsonb - 'last_id' ORDER BY i), '[]')
                               FROM json_array_elements(v_items) WITH ORDINALITY AS t (e, i)),
                            v_total, p.lim, p.off, v_more,
                            (v_items -> (p.lim - 1) ->> 'last_id')::bigint);
END
$$;

-- POST /api/conversations/{lead_id}/read: the lead's inbound messages are
-- read (unread 0).  {"lead_id", "marked": messages newly marked}; 404 when
-- there is no such lead.
CREATE OR REPLACE FUNCTION api.conversations_read(p_lead_id text, OUT status integer, OUT body text)
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
    v_id bigint := api_parse_id(p_lead_id, '["path","lead_id"]');
    v_phone text := (SELECT l.phone FROM leads l WHERE l.id = v_id);
    v_marked bigint;
BEGIN
    IF v_phone IS NULL THEN
        PERFORM api_not_found('Lead', v_id);
    END IF;
    UPDATE messages SET read_at = now()
     WHERE phone = v_phone AND direction = 'inbound' AND read_at IS NULL;
    GET DIAGNOSTICS v_marked = ROW_COUNT;
    status := 200;
    body := json_build_object('lead_id', v_id, 'marked', v_marked)::text;
END
$$;

CALL smscamp_secure_api();
