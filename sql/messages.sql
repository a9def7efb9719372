-- Messages: every SMS of a lead's thread (the table: sql/schema.sql).
--
--   the campaigns' sends      kept by a statement trigger on campaign_leads,
--                             whoever records the send (the workers' record
--                             path, the log provider, a status callback that
--                             finds an 'unknown' send went through): one
--                             outbound row when the campaign lead's SMS is
--                             handed to the provider (sms_sent becomes true),
--                             its status following the campaign lead's after
--                             that (delivered, undelivered, failed)
--   inbound messages          smscamp_store_inbound, from the inbound webhook
--                             (api/webhooks.sql): once per provider SID, left
--                             for the reply agent to classify (reply_agent.sql)
--   other outbound messages   replies and the agent's answers: outbound.sql
--   the JSON                  smscamp_message_json, as the routes answer it

-- A message as the API shows it.
CREATE OR REPLACE FUNCTION smscamp_message_json(m messages) RETURNS json
LANGUAGE sql STABLE PARALLEL SAFE
RETURN json_build_object(
    'id', m.id, 'lead_id', m.lead_id, 'campaign_id', m.campaign_id,
    'campaign_lead_id', m.campaign_lead_id, 'phone', m.phone, 'direction', m.direction,
    'body', m.body, 'kind', m.kind, 'status', m.status, 'provider_sid', m.provider_sid,
    'intent', m.intent, 'created_at', m.created_at, 'sent_at', m.sent_at, 'read_at', m.read_at,
    'reply_to_id', m.reply_to_id, 'send_after', m.send_after, 'segments', m.segments,
    'cost', m.cost, 'error', m.error, 'error_code', m.error_code, 'sent_by', m.sent_by,
    'purpose', m.purpose, 'sender_id', m.sender_id, 'from', m.from_phone,
    'agent_pending', m.agent_state IS NOT NULL);

-- campaign_leads, after each UPDATE statement (transition tables): the sends
-- that happened in it become messages, and the sent messages follow their
-- campaign lead's status.
CREATE OR REPLACE FUNCTION smscamp_campaign_leads_messages_update() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO messages (lead_id, campaign_id, campaign_lead_id, phone, direction, body, kind,
                          status, provider_sid, created_at, sent_at, sender_id, from_phone)
    SELECT n.lead_id, n.campaign_id, n.id, coalesce(l.phone, n.lead_phone), 'outbound',
           n.sms_message, 'campaign',
           CASE WHEN n.status IN ('sent', 'delivered', 'undelivered', 'failed', 'unknown')
                THEN n.status ELSE 'sent' END,
           n.sms_sid, coalesce(n.sending_at, now()), coalesce(n.processed_at, now()),
           n.sender_id,
           coalesce(smscamp_sender_address(s), nullif(current_setting('smscamp.sms_from', true), ''))
      FROM new_rows n
      JOIN old_rows o ON o.id = n.id
      LEFT JOIN leads l ON l.id = n.lead_id
      LEFT JOIN senders s ON s.id = n.sender_id
     WHERE n.sms_sent AND NOT o.sms_sent AND n.sms_message IS NOT NULL
       AND coalesce(l.phone, n.lead_phone) IS NOT NULL
     ORDER BY n.id
    ON CONFLICT (provider_sid) WHERE provider_sid IS NOT NULL DO NOTHING;

    UPDATE messages m
       SET status = n.status, error_code = coalesce(n.error_code, m.error_code)
      FROM new_rows n
      JOIN old_rows o ON o.id = n.id
     WHERE o.sms_sent AND n.sms_sent AND n.status IS DISTINCT FROM o.status
       AND n.status IN ('sent', 'delivered', 'undelivered', 'failed', 'unknown')
       AND m.campaign_lead_id = n.id AND m.kind = 'campaign' AND m.direction = 'outbound';
    RETURN NULL;
END
$$;

CALL smscamp_statement_triggers('campaign_leads', 'campaign_leads_messages', ARRAY['update']);

-- (before the sender it was sent to)
DROP FUNCTION IF EXISTS smscamp_store_inbound(text, text, text);

-- An inbound SMS from p_phone (E.164) to p_to (the webhook's To), stored once
-- per provider SID (a SID already stored answers that message, duplicate
-- true: Twilio retries its webhooks).  It belongs to the lead with that
-- phone, if any, to the campaign lead that last messaged that lead, if any,
-- and to the sender p_to is, if any (the thread's answers go from it).
CREATE OR REPLACE FUNCTION smscamp_store_inbound(p_phone text, p_body text, p_sid text,
                                                 p_to text,
                                                 OUT message_id bigint, OUT duplicate boolean)
LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO messages AS m (lead_id, campaign_id, campaign_lead_id, phone, direction, body,
                               kind, provider_sid, agent_state, sender_id)
    SELECT l.id, last.campaign_id, last.campaign_lead_id, p_phone, 'inbound',
           coalesce(p_body, ''), 'reply', nullif(p_sid, ''), 'classify',
           (SELECT s.id FROM senders s WHERE s.phone = p_to)
      FROM (SELECT 1) AS one
      LEFT JOIN leads l ON l.phone = p_phone
      LEFT JOIN LATERAL (
            SELECT o.campaign_id, o.campaign_lead_id
              FROM messages o
             WHERE o.lead_id = l.id AND o.direction = 'outbound'
               AND o.campaign_lead_id IS NOT NULL
             ORDER BY o.id DESC LIMIT 1) AS last ON true
    ON CONFLICT (provider_sid) WHERE provider_sid IS NOT NULL DO NOTHING
    RETURNING m.id INTO message_id;
    duplicate := message_id IS NULL;
    IF duplicate THEN
        SELECT m.id INTO message_id FROM messages m WHERE m.provider_sid = p_sid;
    END IF;
END
$$;
