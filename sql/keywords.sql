-- The SMS keywords every sender must honour (CTIA's guidelines, the FCC's 2024
-- consent-revocation rules), acted on by the inbound webhook
-- (api.webhooks_sms_inbound) before the reply agent sees a message:
--
--   opt_out   STOP, STOPALL, UNSUBSCRIBE, CANCEL, END, QUIT, REVOKE, OPTOUT,
--             OPT OUT: the phone is put on the suppression list (opt_outs,
--             source sms) and gets exactly one confirmation
--             (smscamp.optout_confirmation); a second STOP gets none
--   opt_in    START, UNSTOP, YES from an opted-out phone: it is taken off the
--             list and gets one welcome back (smscamp.optin_confirmation); from
--             any other phone they are ordinary replies
--   help      HELP, INFO: answered with smscamp.help_message (else built from
--             smscamp.business_name and smscamp.help_contact); an opted-out
--             phone gets nothing
--
-- A keyword counts alone or as the message's first word, in any case, with any
-- punctuation ("stop.", "Stop please", "OPT-OUT").  The answers are outbound
-- messages of kind auto with a purpose, sent by the workers like every reply
-- (sql/outbound.sql: at most once, 'sending' committed before the call); quiet
-- hours never hold them.  Plain-language opt-outs ("please stop texting me")
-- are the reply agent's classifier's (sql/reply_agent.sql), which confirms
-- them the same way (smscamp_confirm_opt_out).

-- The keyword a message is: opt_out, opt_in, help, or NULL for none.
CREATE OR REPLACE FUNCTION smscamp_keyword(p_body text) RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
SELECT CASE
    WHEN k.t ~ '^OPT[ -]?OUT\M' OR k.w IN ('STOP', 'STOPALL', 'UNSUBSCRIBE', 'CANCEL', 'END',
                                           'QUIT', 'REVOKE', 'OPTOUT') THEN 'opt_out'
    WHEN k.w IN ('START', 'UNSTOP', 'YES') THEN 'opt_in'
    WHEN k.w IN ('HELP', 'INFO') THEN 'help'
END
  FROM (SELECT t.t, substring(t.t FROM '^([A-Z]+)') AS w
          FROM (SELECT regexp_replace(upper(coalesce(p_body, '')),
                                      '^[^A-Z0-9]+', '') AS t) AS t) AS k
$$;

-- The answer to HELP and INFO.
CREATE OR REPLACE FUNCTION smscamp_help_text() RETURNS text
LANGUAGE sql STABLE AS $$
SELECT coalesce(
    nullif(btrim(current_setting('smscamp.help_message', true)), ''),
    concat_ws(' ',
              nullif(btrim(current_setting('smscamp.business_name', true)), '') || ':',
              'Reply STOP to opt out.',
              'Help: ' || nullif(btrim(current_setting('smscamp.help_contact', true)), '') || '.'))
$$;

-- Queue the automatic answer of purpose p_purpose to the inbound message m
-- (at most one answer per inbound message: smscamp_insert_outbound).  Returns
-- its id, NULL when m already has an answer or the setting was emptied.
CREATE OR REPLACE FUNCTION smscamp_queue_keyword_answer(m messages, p_purpose text)
RETURNS bigint
LANGUAGE plpgsql AS $$
DECLARE
    v_body text := CASE p_purpose
        WHEN 'help' THEN smscamp_help_text()
        WHEN 'opt_out_confirmation' THEN current_setting('smscamp.optout_confirmation')
        WHEN 'opt_in_confirmation' THEN current_setting('smscamp.optin_confirmation')
    END;
BEGIN
    IF coalesce(btrim(v_body), '') = '' THEN
        -- the setting was emptied: the sender chose to send nothing
        RETURN NULL;
    END IF;
    RETURN (smscamp_insert_outbound(m.lead_id, m.phone, v_body, 'auto', 'queued', m.id,
                                    'keyword', p_purpose)).id;
END
$$;

-- Put m's phone on the suppression list (opt_outs) for the reason given;
-- the first opt-out of the phone gets its one confirmation.  Returns whether
-- the phone was newly opted out.
CREATE OR REPLACE FUNCTION smscamp_confirm_opt_out(m messages, p_keyword text, p_source text)
RETURNS boolean
LANGUAGE plpgsql AS $$
DECLARE
    v_new boolean;
BEGIN
    INSERT INTO opt_outs AS o (phone, keyword, source)
    VALUES (m.phone, p_keyword, p_source)
    ON CONFLICT (phone) DO NOTHING
    RETURNING true INTO v_new;
    IF v_new THEN
        PERFORM smscamp_queue_keyword_answer(m, 'opt_out_confirmation');
    END IF;
    RETURN coalesce(v_new, false);
END
$$;

-- Act on the keyword of the inbound message m, if it is one: the action taken
-- (opt_out, opt_in, help) or 'none' (not a keyword, or an opt-in keyword from
-- a phone that never opted out: an ordinary reply, for the reply agent).
CREATE OR REPLACE FUNCTION smscamp_act_on_keyword(m messages) RETURNS text
LANGUAGE plpgsql AS $$
DECLARE
    v_keyword text := smscamp_keyword(m.body);
    -- (looked up only for a keyword that depends on it: most messages are none)
    v_opted_out boolean := v_keyword IN ('opt_in', 'help')
                           AND EXISTS (SELECT FROM opt_outs o WHERE o.phone = m.phone);
BEGIN
    IF v_keyword = 'opt_out' THEN
        PERFORM smscamp_confirm_opt_out(m, upper(left(btrim(m.body), 40)), 'sms');
    ELSIF v_keyword = 'opt_in' AND v_opted_out THEN
        DELETE FROM opt_outs WHERE phone = m.phone;
        PERFORM smscamp_queue_keyword_answer(m, 'opt_in_confirmation');
    ELSIF v_keyword = 'help' THEN
        IF NOT v_opted_out THEN
            PERFORM smscamp_queue_keyword_answer(m, 'help');
        END IF;
    ELSE
        RETURN 'none';
    END IF;
    -- a keyword needs no classifier
    UPDATE messages SET agent_state = NULL,
           intent = CASE v_keyword WHEN 'opt_out' THEN 'opt_out' ELSE 'other' END
     WHERE id = m.id;
    RETURN v_keyword;
END
$$;
