-- The reply agent: every inbound message is classified, and answered when
-- its campaign's reply_mode asks for it (run by the workers,
-- pg_extension/conversation.c, never inside the webhook request).
--
--   agent_state   an inbound message's work left: classify, then answer
--                 (messages.agent_state; NULL when done)
--   intent        interested | question | not_interested | opt_out |
--                 wrong_number | other: by the model when there is an LLM key
--                 (asked for JSON; an answer it cannot read is other), else by
--                 smscamp_builtin_intent from words and phrases
--   opt-outs      an opt_out intent is recorded as an opt-out (source reply),
--                 whatever the reply_mode
--   reply_mode    off: classify only; draft: the answer waits for a person
--                 (status draft: POST /api/messages/{id}/approve or reject);
--                 auto: queued at once.  Never answered: opt_out,
--                 wrong_number, not_interested (the conversation is closed:
--                 it no longer needs a reply), an inbound message answered
--                 already (messages_auto_reply_key), and a lead past
--                 smscamp.max_auto_replies answers in its campaign
--   the answer    by the model from the campaign's reply_prompt and the
--                 thread's last 10 messages, through the guardrails
--                 (smscamp_reply_guard); without a model, a short handover
--                 ("someone will get back to you") that says nothing it
--                 does not know
--
-- The workers call smscamp_conversation_claim and smscamp_conversation_record
-- (sent messages too: sql/outbound.sql); psql has smscamp_classify_message
-- and smscamp_draft_reply.  Each step is logged (node classify_reply,
-- reply_agent) on the campaign lead the message belongs to.

------------------------------------------------------------------------------
-- The built-in classifier
------------------------------------------------------------------------------

CREATE OR REPLACE FUNCTION smscamp_builtin_intent(p_body text) RETURNS text
LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE AS $$
DECLARE
    t text := lower(coalesce(p_body, ''));
    w text;
BEGIN
    t := translate(t, E'\u2019\u2018\u201c\u201d', '''''""');
    t := btrim(regexp_replace(t, '\s+', ' ', 'g'));
    -- the first word, without punctuation
    w := substring(t from '^[^a-z0-9]*([a-z0-9]+)');

    IF w IN ('stop', 'stopall', 'unsubscribe', 'cancel', 'end', 'quit', 'revoke', 'optout')
       OR t ~ '\mopt[ -]?out\M'
       OR t ~ '\munsubscribe'
       OR t ~ '\m(remove|delete|take) (me|my number|this number)\M'
       OR t ~ '\moff (of )?(your|the|this) (list|database|system)'
       OR t ~ '\m(do not|don''?t|dont|never|please don''?t) (ever )?(text|message|contact|sms|call|email|bother)'
       OR t ~ '\mstop (texting|messaging|sending|contacting|calling|bothering|spamming|txting)'
       OR t ~ '\mno more (texts|messages|sms)'
       OR t ~ '\m(leave me alone|lose my number|quit texting|spam)\M' THEN
        RETURN 'opt_out';
    END IF;

    IF t ~ '\mwrong (number|person|guy|girl|phone|#)'
       OR t ~ '\m(you have|you''ve got|u have) the wrong'
       OR t ~ '\mno (one|body|1) (here )?(by|named|with|called) (that|this)'
       OR t ~ '\mnobody (here )?(by|named|called) that'
       OR t ~ '\m(this is not|this isn''?t|that''?s not|thats not|not) my (name|number)'
       OR t ~ '\m(i''?m|i am) not [a-z]+[.!]*$'
       OR t ~ '\m(don''?t|do not) know (any|anyone|a|who)\M.*\m(named|called|by that)'
       OR t ~ '\m(new|changed) (number|phone)\M.*\mnot\M' THEN
        RETURN 'wrong_number';
    END IF;

    IF t ~ '\mnot (really )?interested'
       OR t ~ '\mno,? (thanks|thank you|thx|ty)\M'
       OR w IN ('no', 'nope', 'nah', 'pass')
       OR t ~ '\mnot (now|for me|for us|looking|right now|at this time|this time)\M'
       OR t ~ '\m(don''?t|do not|dont) (need|want)\M'
       OR t ~ '\m(we''?re|we are|i''?m|i am) (good|all set|fine|covered|set)\M'
       OR t ~ '\malready (have|got|use|using|signed)\M'
       OR t ~ '\mno need\M'
       OR t ~ '\mmaybe (later|another time|next)' THEN
        RETURN 'not_interested';
    END IF;

    IF strpos(t, '?') > 0
       OR w IN ('what', 'when', 'where', 'how', 'who', 'why', 'which', 'whats', 'hows')
       OR t ~ '^(can|could|do|does|did|is|are|will|would|should) (you|i|we|it|this|that|there)\M'
       OR t ~ '\m(how much|what time|what day|more info|more information|details)\M'
       OR t ~ '\m(price|pricing|cost|costs)\M' THEN
        RETURN 'question';
    END IF;

    IF w IN ('yes', 'yeah', 'yea', 'yep', 'yup', 'ya', 'sure', 'ok', 'okay', 'k', 'absolutely',
             'definitely', 'certainly', 'great', 'perfect', 'deal', 'interested', 'sounds',
             'please', 'cool', 'awesome', 'count', 'sign', 'y')
       OR t ~ '\minterested\M'
       OR t ~ '\m(tell me more|sign me up|count me in|sounds (good|great|interesting)|go ahead|let''?s (do|talk|book|go|chat|set))'
       OR t ~ '\m(i''?d|i would) (like|love)\M'
       OR t ~ '\m(call|email|text) me\M'
       OR t ~ '\m(book|schedule|reserve) (me|it|a|an)\M'
       OR t ~ '\mi (want|need) (it|one|this|that|to)\M' THEN
        RETURN 'interested';
    END IF;

    RETURN 'other';
END
$$;

COMMENT ON FUNCTION smscamp_builtin_intent(text) IS
'the built-in classifier: interested, question, not_interested, opt_out, wrong_number or other';

-- A model's answer to the classification request, hostile: {"intent": "x"}
-- (or the bare label); anything else is other.
CREATE OR REPLACE FUNCTION smscamp_intent_from_model(p_content text) RETURNS text
LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE AS $$
DECLARE
    c_labels constant text[] := ARRAY['interested', 'question', 'not_interested', 'opt_out',
                                      'wrong_number', 'other'];
    v text := btrim(coalesce(p_content, ''));
    j jsonb;
BEGIN
    -- a fenced block: its inside
    v := btrim(regexp_replace(v, '^```[a-z]*\s*|\s*```$', '', 'g'));
    IF left(v, 1) = '{' AND char_length(v) <= 2000 THEN
        BEGIN
            j := v::jsonb;
            v := CASE WHEN jsonb_typeof(j -> 'intent') = 'string' THEN j ->> 'intent' END;
        EXCEPTION WHEN others THEN
            v := NULL;
        END;
    END IF;
    v := lower(btrim(coalesce(v, ''), E' \t\r\n."'''));
    RETURN CASE WHEN v = ANY (c_labels) THEN v ELSE 'other' END;
END
$$;

------------------------------------------------------------------------------
-- What the model is asked
------------------------------------------------------------------------------

-- The thread before and including inbound message m: its last p_n messages,
-- oldest first, as chat messages (the lead's as user, ours as assistant).
CREATE OR REPLACE FUNCTION smscamp_thread_chat(m messages, p_n integer DEFAULT 10) RETURNS jsonb
LANGUAGE sql STABLE AS $$
    SELECT coalesce(jsonb_agg(jsonb_build_object(
               'role', CASE t.direction WHEN 'inbound' THEN 'user' ELSE 'assistant' END,
               'content', t.body) ORDER BY t.id), '[]')
      FROM (SELECT x.id, x.direction, x.body FROM messages x
             WHERE x.phone = m.phone AND x.id <= m.id AND coalesce(x.status, '') <> 'draft'
             ORDER BY x.id DESC LIMIT p_n) t
$$;

CREATE OR REPLACE FUNCTION smscamp_classify_request(m messages) RETURNS jsonb
LANGUAGE sql STABLE AS $$
    SELECT jsonb_build_object('temperature', 0, 'messages', jsonb_build_array(
        jsonb_build_object('role', 'system', 'content',
            'Classify the intent of the last SMS the lead sent, in a conversation with a '
            || 'business that texted them. Answer with JSON only: {"intent": "<label>"}, the '
            || 'label one of interested, question, not_interested, opt_out, wrong_number, '
            || 'other. opt_out is any way of asking not to be messaged again; wrong_number '
            || 'is the message reaching someone it was not meant for.'),
        jsonb_build_object('role', 'user', 'content',
            coalesce((SELECT string_agg(CASE WHEN e ->> 'role' = 'user' THEN 'Lead: '
                                             ELSE 'Business: ' END || (e ->> 'content'), E'\n')
                        FROM jsonb_array_elements(smscamp_thread_chat(m, 6)) e), '')
            || E'\n\nClassify the last message from the Lead.')))
$$;

-- The chat request writing the answer to inbound message m of campaign c.
CREATE OR REPLACE FUNCTION smscamp_answer_request(m messages, c campaigns) RETURNS jsonb
LANGUAGE sql STABLE AS $$
    SELECT jsonb_build_object('temperature', coalesce(c.sms_temperature, 70),
        'messages', jsonb_build_array(jsonb_build_object('role', 'system', 'content',
            coalesce(nullif(btrim(c.reply_prompt), ''),
                     'You answer SMS replies to a business''s campaign.')
            || E'\n\nYou are writing for ' || coalesce(nullif(c.sender_name, ''), 'the business')
            || '. Answer the last message of the lead with one short, friendly SMS, at most '
            || (CASE WHEN coalesce(nullif(current_setting('smscamp.max_segments', true), '')::integer, 2) > 1
                     THEN coalesce(nullif(current_setting('smscamp.max_segments', true), '')::integer, 2) * 153
                     ELSE 160 END)
            || ' characters. Answer with the message text only: no quotes, no markdown, no '
            || 'placeholders. Never invent prices, dates or promises the instructions do not '
            || 'give: when you cannot answer, say that a person will get back to them.'))
        || smscamp_thread_chat(m, 10))
$$;

-- A lead's first name (NULL when it has none).
CREATE OR REPLACE FUNCTION smscamp_lead_first_name(p_name text) RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE
RETURN nullif(substring(btrim(coalesce(p_name, '')) from '^([^\s,]+)'), '');

-- Without a model: a handover that says nothing it does not know.
CREATE OR REPLACE FUNCTION smscamp_builtin_answer(m messages, c campaigns, l leads) RETURNS text
LANGUAGE sql STABLE AS $$
    SELECT CASE m.intent
               WHEN 'interested' THEN 'Great to hear' || coalesce(', ' || smscamp_lead_first_name(l.name), '')
                   || '! Someone from ' || coalesce(nullif(c.sender_name, ''), 'our team')
                   || ' will be in touch shortly.'
               WHEN 'question' THEN 'Thanks for your question' || coalesce(', ' || smscamp_lead_first_name(l.name), '')
                   || '. Someone from ' || coalesce(nullif(c.sender_name, ''), 'our team')
                   || ' will get back to you shortly.'
               ELSE 'Thanks for your message' || coalesce(', ' || smscamp_lead_first_name(l.name), '')
                   || '. Someone from ' || coalesce(nullif(c.sender_name, ''), 'our team')
                   || ' will get back to you shortly.'
           END
$$;

------------------------------------------------------------------------------
-- The steps
------------------------------------------------------------------------------

-- The campaign whose reply_mode applies to inbound message m (NULL when none).
CREATE OR REPLACE FUNCTION smscamp_message_campaign(m messages) RETURNS campaigns
LANGUAGE sql STABLE
RETURN (SELECT c FROM campaigns c WHERE c.id = m.campaign_id);

-- m's intent is known (p_by: the classifier): record it, the opt-out, and
-- what is left to do: answer, or nothing.
CREATE OR REPLACE FUNCTION smscamp_set_intent(m messages, p_intent text, p_by text,
                                              p_note text DEFAULT NULL)
RETURNS text
LANGUAGE plpgsql AS $$
DECLARE
    c campaigns := smscamp_message_campaign(m);
    v_next text;
    v_why text;
    v_auto integer;
BEGIN
    IF p_intent = 'opt_out' THEN
        -- the suppression list, and the opt-out's one confirmation (sql/keywords.sql)
        PERFORM smscamp_confirm_opt_out(m, NULL, 'reply');
    END IF;
    IF c.id IS NULL OR m.lead_id IS NULL THEN
        v_why := 'no campaign to answer for';
    ELSIF c.reply_mode = 'off' THEN
        v_why := 'reply_mode off';
    ELSIF p_intent IN ('opt_out', 'wrong_number', 'not_interested') THEN
        v_why := format('never answered (%s): the conversation is closed', p_intent);
    ELSE
        SELECT count(*) INTO v_auto FROM messages a
         WHERE a.lead_id = m.lead_id AND a.campaign_id = c.id AND a.kind = 'auto';
        IF v_auto >= current_setting('smscamp.max_auto_replies')::integer THEN
            v_why := format('%s automatic replies already (smscamp.max_auto_replies)', v_auto);
        ELSE
            v_next := 'answer';
        END IF;
    END IF;
    UPDATE messages SET intent = p_intent, agent_state = v_next, claimed_by = NULL,
                        attempts = 0, send_after = NULL
     WHERE id = m.id;
    IF m.campaign_lead_id IS NOT NULL THEN
        PERFORM smscamp_log(m.campaign_lead_id,
            CASE WHEN p_note IS NULL THEN 'info' ELSE 'warning' END, 'classify_reply',
            format('Reply classified as %s by %s%s', p_intent, p_by, '; ' || p_note),
            jsonb_strip_nulls(jsonb_build_object('message_id', m.id, 'intent', p_intent,
                'classifier', p_by, 'opt_out', p_intent = 'opt_out', 'next', coalesce(v_next, 'none'),
                'why', v_why, 'trace_id', (SELECT cl.trace_id FROM campaign_leads cl
                                            WHERE cl.id = m.campaign_lead_id))));
    END IF;
    RETURN v_next;
END
$$;

-- The agent's answer to m: a draft or queued message (kind auto,
-- reply_to_id m), unless the guardrails refuse it, the lead opted out
-- meanwhile, or m was answered already.  Returns the message, NULL when none.
CREATE OR REPLACE FUNCTION smscamp_take_answer(m messages, p_text text, p_writer text)
RETURNS messages
LANGUAGE plpgsql AS $$
DECLARE
    c campaigns := smscamp_message_campaign(m);
    g jsonb := smscamp_reply_guard(p_text);
    v_body_problem jsonb := CASE WHEN (g ->> 'ok')::boolean
                                 THEN smscamp_reply_body_problem(g ->> 'text') END;
    v_problem text;
    a messages;
BEGIN
    UPDATE messages SET agent_state = NULL, claimed_by = NULL WHERE id = m.id;
    IF NOT (g ->> 'ok')::boolean THEN
        v_problem := 'the answer was refused: ' || (g ->> 'problem');
    ELSIF EXISTS (SELECT FROM opt_outs o WHERE o.phone = m.phone) THEN
        v_problem := 'the phone opted out';
    ELSIF v_body_problem IS NOT NULL THEN
        v_problem := v_body_problem ->> 'msg';
    ELSE
        INSERT INTO messages (lead_id, campaign_id, campaign_lead_id, phone, direction, body,
                              kind, status, reply_to_id, segments, cost, sent_by)
        VALUES (m.lead_id, m.campaign_id, m.campaign_lead_id, m.phone, 'outbound', g ->> 'text',
                'auto', CASE c.reply_mode WHEN 'auto' THEN 'queued' ELSE 'draft' END, m.id,
                smscamp_sms_segments(g ->> 'text'), smscamp_sms_cost(g ->> 'text'), p_writer)
        ON CONFLICT (reply_to_id) WHERE kind = 'auto' AND reply_to_id IS NOT NULL DO NOTHING
        RETURNING * INTO a;
        IF a.id IS NULL THEN
            v_problem := 'answered already';
        END IF;
    END IF;
    IF m.campaign_lead_id IS NOT NULL THEN
        PERFORM smscamp_log(m.campaign_lead_id,
            CASE WHEN a.id IS NULL THEN 'warning' ELSE 'info' END, 'reply_agent',
            CASE WHEN a.id IS NULL THEN 'No answer sent: ' || v_problem
                 WHEN a.status = 'draft' THEN 'Answer drafted for approval'
                 ELSE 'Answer queued' END,
            jsonb_strip_nulls(jsonb_build_object('message_id', m.id, 'reply_id', a.id,
                'writer', p_writer, 'status', a.status, 'body', a.body,
                'trace_id', (SELECT cl.trace_id FROM campaign_leads cl
                              WHERE cl.id = m.campaign_lead_id))));
    END IF;
    IF a.status = 'queued' THEN
        PERFORM smscamp_wake();
    END IF;
    RETURN a;
END
$$;

-- The offline steps of m (no model): classify, then answer.
CREATE OR REPLACE FUNCTION smscamp_agent_offline(m messages) RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
    v_next text := m.agent_state;
BEGIN
    IF v_next = 'classify' THEN
        v_next := smscamp_set_intent(m, smscamp_builtin_intent(m.body), 'the built-in classifier');
        SELECT * INTO m FROM messages WHERE id = m.id;
    END IF;
    IF v_next = 'answer' THEN
        PERFORM smscamp_take_answer(m, smscamp_builtin_answer(m, smscamp_message_campaign(m),
                                       (SELECT l FROM leads l WHERE l.id = m.lead_id)),
                                    'the built-in reply');
    END IF;
END
$$;

-- Up to p_limit inbound messages with agent work, for worker p_worker: done
-- here without a model (p_llm false); with one, claimed and returned as chat
-- requests [{"id", "task" (classify | answer), "request"}].
CREATE OR REPLACE FUNCTION smscamp_claim_agent(p_worker integer, p_limit integer, p_llm boolean)
RETURNS jsonb
LANGUAGE plpgsql AS $$
DECLARE
    m messages;
    v_tasks jsonb := '[]';
BEGIN
    FOR m IN
        SELECT * FROM messages x
         WHERE x.agent_state IS NOT NULL AND x.claimed_by IS NULL
           AND (x.send_after IS NULL OR x.send_after <= now())
         ORDER BY x.id
         LIMIT p_limit
           FOR UPDATE SKIP LOCKED
    LOOP
        IF NOT p_llm THEN
            PERFORM smscamp_agent_offline(m);
        ELSE
            UPDATE messages SET claimed_by = p_worker, attempts = attempts + 1 WHERE id = m.id;
            v_tasks := v_tasks || jsonb_build_object('id', m.id, 'task', m.agent_state,
                'request', CASE m.agent_state
                               WHEN 'classify' THEN smscamp_classify_request(m)
                               ELSE smscamp_answer_request(m, smscamp_message_campaign(m)) END);
        END IF;
    END LOOP;
    RETURN v_tasks;
END
$$;

-- The model's answer for a claimed message: {"id", "task", "content",
-- "error", "retryable", "retry_after", "model"}.  A failed call is tried
-- again (up to 3 times, with backoff); then a classification falls back to
-- the built-in classifier and an answer is given up.
CREATE OR REPLACE FUNCTION smscamp_record_agent(p_item jsonb) RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
    m messages;
    v_model text := coalesce(p_item ->> 'model', 'the model');
    v_error text := p_item ->> 'error';
BEGIN
    SELECT * INTO m FROM messages
     WHERE id = (p_item ->> 'id')::bigint AND agent_state = p_item ->> 'task' FOR UPDATE;
    IF NOT FOUND THEN
        RETURN;
    END IF;
    IF v_error IS NOT NULL AND coalesce((p_item ->> 'retryable')::boolean, false)
       AND m.attempts < 3 THEN
        UPDATE messages SET claimed_by = NULL,
               send_after = now() + make_interval(secs => coalesce(
                   greatest(nullif(p_item ->> 'retry_after', '')::integer, 1),
                   power(2, m.attempts)::integer))
         WHERE id = m.id;
        RETURN;
    END IF;
    IF m.agent_state = 'classify' THEN
        IF v_error IS NULL THEN
            PERFORM smscamp_set_intent(m, smscamp_intent_from_model(p_item ->> 'content'), v_model,
                CASE WHEN smscamp_intent_from_model(p_item ->> 'content') = 'other'
                      AND lower(btrim(coalesce(p_item ->> 'content', ''))) NOT LIKE '%other%'
                     THEN 'the model''s answer was not a label: taken as other' END);
        ELSE
            PERFORM smscamp_set_intent(m, smscamp_builtin_intent(m.body), 'the built-in classifier',
                                       'the model failed (' || v_error || ')');
        END IF;
    ELSIF v_error IS NULL THEN
        PERFORM smscamp_take_answer(m, p_item ->> 'content', v_model);
    ELSE
        UPDATE messages SET agent_state = NULL, claimed_by = NULL WHERE id = m.id;
        IF m.campaign_lead_id IS NOT NULL THEN
            PERFORM smscamp_log(m.campaign_lead_id, 'error', 'reply_agent',
                'No answer: the model failed (' || v_error || ')',
                jsonb_build_object('message_id', m.id));
        END IF;
    END IF;
END
$$;

------------------------------------------------------------------------------
-- The workers' two calls
------------------------------------------------------------------------------

-- One claim of a worker's pass: the agent's work first (an answer queued
-- offline goes out in the same claim), then the messages to send, then the
-- calls after an SMS (sql/calls.sql): their scripts to write and the calls
-- to place.  {"chat": [...], "send": [...], "script": [...], "call": [...]}.
CREATE OR REPLACE FUNCTION smscamp_conversation_claim(p_worker integer, p_limit integer,
                                                      p_llm boolean, p_log boolean)
RETURNS jsonb
LANGUAGE plpgsql AS $$
DECLARE
    v_chat jsonb := smscamp_claim_agent(p_worker, p_limit, p_llm);
BEGIN
    RETURN jsonb_build_object('chat', v_chat,
                              'send', smscamp_claim_outbound(p_worker, p_limit, p_log))
           || smscamp_claim_calls(p_worker, p_limit, p_log);
END
$$;

-- The results of a worker's calls: [{"kind": "send" | "chat" | "script" | "call",
-- ...}], each recorded alone (one that fails cannot lose the others).  A send
-- or a call whose record fails is left unknown: it may have gone; a script is
-- written again.
CREATE OR REPLACE FUNCTION smscamp_conversation_record(p_items jsonb) RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
    it jsonb;
BEGIN
    FOR it IN SELECT e FROM jsonb_array_elements(p_items) e LOOP
        BEGIN
            IF it ->> 'kind' = 'send' THEN
                PERFORM smscamp_record_outbound(it);
            ELSIF it ->> 'kind' = 'call' THEN
                PERFORM smscamp_record_call_leg(it);
            ELSIF it ->> 'kind' = 'script' THEN
                PERFORM smscamp_record_call_script(it);
            ELSE
                PERFORM smscamp_record_agent(it);
            END IF;
        EXCEPTION WHEN others THEN
            RAISE WARNING 'smscamp: recording message %: %', it ->> 'id', SQLERRM;
            IF it ->> 'kind' = 'send' THEN
                UPDATE messages SET status = 'unknown', claimed_by = NULL,
                       error = 'Its provider answer could not be recorded: it may have been sent'
                 WHERE id = (it ->> 'id')::bigint AND status = 'sending';
            ELSIF it ->> 'kind' = 'call' THEN
                UPDATE campaign_leads SET call_status = 'unknown', call_claimed_by = NULL
                 WHERE id = (it ->> 'id')::bigint AND call_status = 'calling';
            ELSIF it ->> 'kind' = 'script' THEN
                UPDATE campaign_leads SET call_status = 'scheduled', call_claimed_by = NULL
                 WHERE id = (it ->> 'id')::bigint AND call_status = 'writing';
            ELSE
                UPDATE messages SET agent_state = NULL, claimed_by = NULL
                 WHERE id = (it ->> 'id')::bigint;
            END IF;
        END;
    END LOOP;
END
$$;

------------------------------------------------------------------------------
-- From psql
------------------------------------------------------------------------------

-- Classify inbound message p_id now (the model when there is an LLM key,
-- blocking; else the built-in classifier) and record it as the workers do.
CREATE OR REPLACE FUNCTION smscamp_classify_message(p_id bigint) RETURNS text
LANGUAGE plpgsql AS $$
DECLARE
    m messages;
    a jsonb;
BEGIN
    SELECT * INTO m FROM messages WHERE id = p_id AND direction = 'inbound' FOR UPDATE;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'no inbound message %', p_id;
    END IF;
    IF nullif(current_setting('smscamp.openai_api_key', true), '') IS NULL THEN
        PERFORM smscamp_set_intent(m, smscamp_builtin_intent(m.body), 'the built-in classifier');
    ELSE
        a := smscamp_llm_chat(smscamp_classify_request(m));
        PERFORM smscamp_record_agent(jsonb_build_object('id', m.id, 'task', 'classify',
                                                        'retryable', false) || a);
    END IF;
    RETURN (SELECT intent FROM messages WHERE id = p_id);
END
$$;

-- Draft an answer to inbound message p_id now (whatever its campaign's
-- reply_mode: a draft, for a person to approve), as the agent would.
-- Returns the draft, NULL when none was written (the log says why).
CREATE OR REPLACE FUNCTION smscamp_draft_reply(p_id bigint) RETURNS json
LANGUAGE plpgsql AS $$
DECLARE
    m messages;
    c campaigns;
    a jsonb;
    d messages;
BEGIN
    SELECT * INTO m FROM messages WHERE id = p_id AND direction = 'inbound' FOR UPDATE;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'no inbound message %', p_id;
    END IF;
    IF m.intent IS NULL THEN
        PERFORM smscamp_classify_message(p_id);
        SELECT * INTO m FROM messages WHERE id = p_id;
    END IF;
    c := smscamp_message_campaign(m);
    IF nullif(current_setting('smscamp.openai_api_key', true), '') IS NULL THEN
        d := smscamp_take_answer(m, smscamp_builtin_answer(m, c,
                                     (SELECT l FROM leads l WHERE l.id = m.lead_id)),
                                 'the built-in reply');
    ELSE
        a := smscamp_llm_chat(smscamp_answer_request(m, c));
        IF a ->> 'error' IS NOT NULL THEN
            RAISE EXCEPTION 'the model failed: %', a ->> 'error';
        END IF;
        d := smscamp_take_answer(m, a ->> 'content', coalesce(a ->> 'model', 'the model'));
    END IF;
    -- a draft whatever the campaign's mode (smscamp_take_answer queued it in auto)
    IF d.status = 'queued' THEN
        UPDATE messages SET status = 'draft' WHERE id = d.id AND status = 'queued'
        RETURNING * INTO d;
    END IF;
    RETURN CASE WHEN d.id IS NOT NULL THEN smscamp_message_json(d) END;
END
$$;
