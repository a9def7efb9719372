-- Messages API: replies from people, and the reply agent's drafts
-- (contract: sql/README.md; the thread itself is GET /api/leads/{id}/messages,
-- api/leads.sql).
--
--   POST /api/leads/{id}/messages      api.leads_messages_create(id, json, authorization)
--       {"body": "..."}: 202 with the message, status queued; the workers
--       send it (sql/outbound.sql).  409 when the lead opted out, 422 for an
--       empty body or one over smscamp.max_segments.
--   POST /api/messages/{id}/approve    api.messages_approve(id, json, authorization)
--       a draft of the reply agent, queued (202), with an edited "body" when
--       one is given; 409 when it is no draft or the lead opted out
--   POST /api/messages/{id}/reject     api.messages_reject(id)
--       a draft discarded (204); 409 when it is no draft
--
-- sent_by is the caller's API key name (NULL with smscamp_auth off).

-- The "body" field of a reply's request: the text, or 422.
CREATE OR REPLACE FUNCTION api_reply_body(p_body jsonb, p_required boolean) RETURNS text
LANGUAGE plpgsql STABLE AS $$
DECLARE
    f record;
    v_errors jsonb := api_body_errors(p_body, p_required);
BEGIN
    PERFORM api_check(v_errors);
    IF p_body IS NULL OR jsonb_typeof(p_body) = 'null' THEN
        RETURN NULL;
    END IF;
    f := api_optional_string(p_body, 'body', 1600);
    v_errors := f.problems;
    IF f.value IS NULL AND p_required AND v_errors = '[]' THEN
        v_errors := jsonb_build_array(CASE WHEN p_body ? 'body'
            THEN api_error_item('["body","body"]', 'The message is empty', 'value_error')
            ELSE api_error_item('["body","body"]', 'Field required', 'missing') END);
    END IF;
    PERFORM api_check(v_errors);
    RETURN f.value;
END
$$;

-- POST /api/leads/{id}/messages
CREATE OR REPLACE FUNCTION api.leads_messages_create(p_id text, p_body jsonb, p_authorization text,
                                                     OUT status integer, OUT body text)
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
    v_id bigint := api_parse_id(p_id);
    v_text text := api_reply_body(p_body, true);
    m messages;
BEGIN
    m := smscamp_queue_reply(v_id, v_text, 'reply', NULL, 'queued',
                             api_caller_name(p_authorization));
    status := 202;
    body := smscamp_message_json(m)::text;
END
$$;

-- A draft of the reply agent, locked; 404 or 409 otherwise.
CREATE OR REPLACE FUNCTION api_draft_for_update(p_id text) RETURNS messages
LANGUAGE plpgsql AS $$
DECLARE
    v_id bigint := api_parse_id(p_id);
    m messages;
BEGIN
    SELECT * INTO m FROM messages WHERE id = v_id FOR UPDATE;
    IF NOT FOUND THEN
        PERFORM api_not_found('Message', v_id);
    END IF;
    IF m.status IS DISTINCT FROM 'draft' THEN
        PERFORM api_error(409, to_jsonb(format('Message %s is not a draft (it is %s)', m.id,
                                               coalesce(m.status, m.direction))));
    END IF;
    RETURN m;
END
$$;

-- POST /api/messages/{id}/approve
CREATE OR REPLACE FUNCTION api.messages_approve(p_id text, p_body jsonb, p_authorization text,
                                                OUT status integer, OUT body text)
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
    m messages := api_draft_for_update(p_id);
    v_text text := coalesce(api_reply_body(p_body, false), m.body);
    v_edited boolean := v_text IS DISTINCT FROM m.body;
BEGIN
    PERFORM smscamp_refuse_unsendable(m.phone, v_text, format(
        'The phone %s opted out: the draft cannot be sent', m.phone));
    UPDATE messages SET status = 'queued', body = v_text, created_at = now(),
           segments = smscamp_sms_segments(v_text), cost = smscamp_sms_cost(v_text),
           sent_by = coalesce(api_caller_name(p_authorization), sent_by)
     WHERE id = m.id
    RETURNING * INTO m;
    IF m.campaign_lead_id IS NOT NULL THEN
        PERFORM smscamp_log(m.campaign_lead_id, 'info', 'reply_agent',
            'Draft approved' || CASE WHEN v_edited THEN ' (edited)' ELSE '' END,
            jsonb_build_object('reply_id', m.id, 'approved_by', api_caller_name(p_authorization)));
    END IF;
    PERFORM smscamp_wake();
    status := 202;
    body := smscamp_message_json(m)::text;
END
$$;

-- POST /api/messages/{id}/reject
CREATE OR REPLACE FUNCTION api.messages_reject(p_id text, OUT status integer, OUT body text)
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
    m messages := api_draft_for_update(p_id);
BEGIN
    DELETE FROM messages WHERE id = m.id;
    IF m.campaign_lead_id IS NOT NULL THEN
        PERFORM smscamp_log(m.campaign_lead_id, 'info', 'reply_agent', 'Draft rejected',
                            jsonb_build_object('reply_id', m.id, 'body', m.body));
    END IF;
    status := 204;
    body := NULL;
END
$$;

CALL smscamp_secure_api();
