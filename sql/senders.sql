-- Senders: the numbers (and Twilio Messaging Services) the messages go from
-- (the table: schema.sql; the routes: api/senders.sql), and what the
-- provider's error codes mean and do.
--
--   a pool       the active senders a campaign sends from: those named in its
--                sender_ids, else every active one (smscamp_sender_pool); an
--                empty pool means smscamp.sms_from
--   the pick     which sender of a pool messages a phone (smscamp_pick_sender):
--                the one that last messaged it or that it wrote to, when still
--                in the pool (sticky: across campaigns and replies), else the
--                next in turn; never an alphanumeric ID to a +1 number
--   the sender   as the workers read it (smscamp_sender_context): id, from or
--                messaging_service_sid, segments_per_second (their pacing:
--                pg_extension/shmem.c)
--   error codes  Twilio's codes: what they mean (smscamp_provider_error_text)
--                and what they do to the phone (smscamp_provider_error):
--                21610 an opt-out (source carrier), 21211 / 21614 the lead's
--                phone_status

SET client_min_messages = warning;

-- The carriers' usual rate of a kind of sender, in segments per second: a US
-- long code 1, toll-free 3, a short code 100; an alphanumeric ID 10; a
-- messaging service 1 (it pools numbers: set its real rate).
CREATE OR REPLACE FUNCTION smscamp_sender_default_rate(p_kind text) RETURNS numeric
LANGUAGE sql IMMUTABLE PARALLEL SAFE
RETURN CASE p_kind WHEN 'long_code' THEN 1 WHEN 'toll_free' THEN 3 WHEN 'short_code' THEN 100
                   WHEN 'alphanumeric' THEN 10 WHEN 'messaging_service' THEN 1 END;

-- What the messages show as their sender: the number or ID, or the service.
CREATE OR REPLACE FUNCTION smscamp_sender_address(s senders) RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE
RETURN coalesce(s.phone, s.messaging_service_sid);

-- Whether a sender may message a phone: an alphanumeric ID cannot reach a
-- US or Canadian (+1) number.
CREATE OR REPLACE FUNCTION smscamp_sender_reaches(p_kind text, p_phone text) RETURNS boolean
LANGUAGE sql IMMUTABLE PARALLEL SAFE
RETURN NOT (p_kind = 'alphanumeric' AND p_phone LIKE '+1%');

-- The active senders of a campaign's sender_ids (NULL: every active one), id order.
CREATE OR REPLACE FUNCTION smscamp_sender_pool(p_sender_ids bigint[]) RETURNS bigint[]
LANGUAGE sql STABLE
RETURN ARRAY(SELECT s.id FROM senders s
              WHERE s.active AND (p_sender_ids IS NULL OR s.id = ANY (p_sender_ids))
              ORDER BY s.id);

-- The sender of p_pool that messages p_phone, NULL when none may (an empty
-- pool: smscamp.sms_from is used; or only alphanumeric IDs for a +1 number).
-- Sticky: the sender of the phone's last message in or out, when it is in the
-- pool; else the pool's senders in turn (one sequence for all workers, so
-- that new leads spread evenly).
CREATE OR REPLACE FUNCTION smscamp_pick_sender(p_pool bigint[], p_phone text) RETURNS bigint
LANGUAGE plpgsql AS $$
DECLARE
    usable bigint[];
    v_id bigint;
BEGIN
    IF coalesce(cardinality(p_pool), 0) = 0 THEN
        RETURN NULL;
    END IF;
    usable := ARRAY(SELECT s.id FROM senders s
                     WHERE s.id = ANY (p_pool) AND smscamp_sender_reaches(s.kind, p_phone)
                     ORDER BY s.id);
    IF cardinality(usable) <= 1 THEN
        RETURN usable[1];
    END IF;
    SELECT m.sender_id INTO v_id
      FROM messages m
     WHERE m.phone = p_phone AND m.sender_id = ANY (usable)
     ORDER BY m.id DESC
     LIMIT 1;
    RETURN coalesce(v_id, usable[1 + nextval('senders_rotation') % cardinality(usable)]);
END
$$;

-- Why a campaign cannot message a phone for want of a sender, NULL when it can:
-- its pool has senders, but none that may reach the phone.
CREATE OR REPLACE FUNCTION smscamp_no_sender_reason(p_sender_ids bigint[], p_phone text)
RETURNS text
LANGUAGE sql STABLE
RETURN CASE WHEN EXISTS (SELECT FROM senders s
                          WHERE s.active AND (p_sender_ids IS NULL OR s.id = ANY (p_sender_ids)))
                 AND NOT EXISTS (SELECT FROM senders s
                                  WHERE s.active
                                    AND (p_sender_ids IS NULL OR s.id = ANY (p_sender_ids))
                                    AND smscamp_sender_reaches(s.kind, p_phone))
            THEN 'no sender of the campaign can reach this number (an alphanumeric sender '
                 || 'cannot send to US or Canadian numbers)' END;

-- A sender as the workers read it (the lead context's and the outbound
-- tasks' "sender"; pg_extension/provider.c): NULL for none (smscamp.sms_from).
CREATE OR REPLACE FUNCTION smscamp_sender_context(p_id bigint) RETURNS jsonb
LANGUAGE sql STABLE
RETURN (SELECT jsonb_build_object('id', s.id, 'from', s.phone,
                                  'messaging_service_sid', s.messaging_service_sid,
                                  'segments_per_second', trim_scale(s.segments_per_second))
          FROM senders s WHERE s.id = p_id);

------------------------------------------------------------------------------
-- The provider's error codes
------------------------------------------------------------------------------

-- A provider's error code as given (a callback's ErrorCode: outside input),
-- NULL unless it is a number of 1-6 digits.
CREATE OR REPLACE FUNCTION smscamp_error_code(p_code text) RETURNS integer
LANGUAGE sql IMMUTABLE PARALLEL SAFE
RETURN CASE WHEN p_code ~ '^[0-9]{1,6}$' THEN p_code::integer END;

-- What a Twilio error code means (the campaign stats show it), NULL when not known.
CREATE OR REPLACE FUNCTION smscamp_provider_error_text(p_code integer) RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE
RETURN CASE p_code
    WHEN 21211 THEN 'Invalid ''To'' phone number'
    WHEN 21408 THEN 'Sending to this region is not enabled'
    WHEN 21610 THEN 'The recipient unsubscribed (replied STOP to the carrier)'
    WHEN 21612 THEN 'The sender cannot reach this number'
    WHEN 21614 THEN 'The ''To'' number is not a mobile number'
    WHEN 21617 THEN 'The message body is too long'
    WHEN 30001 THEN 'Queue overflow: sent faster than the sender''s rate'
    WHEN 30002 THEN 'Account suspended'
    WHEN 30003 THEN 'Unreachable destination handset'
    WHEN 30004 THEN 'Message blocked by the recipient or the carrier'
    WHEN 30005 THEN 'Unknown destination handset'
    WHEN 30006 THEN 'Landline or unreachable carrier'
    WHEN 30007 THEN 'Message filtered by the carrier'
    WHEN 30008 THEN 'Unknown delivery error'
    WHEN 30034 THEN 'The sender is not registered (US A2P 10DLC)'
END;

-- The delivery error stored on a message: the code with its meaning.
CREATE OR REPLACE FUNCTION smscamp_delivery_error(p_state text, p_code integer) RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE
RETURN format('SMS %s (provider status callback%s)', p_state,
              ', error code ' || p_code
              || coalesce(': ' || smscamp_provider_error_text(p_code), ''));

-- What a provider error code does to the phone it was sent to, and the
-- sentence saying so (NULL: nothing): 21610 puts the phone on the suppression
-- list (source carrier); 21211 and 21614 mark the leads with that phone
-- invalid or not_mobile, which later campaigns skip.
CREATE OR REPLACE FUNCTION smscamp_provider_error(p_phone text, p_code integer) RETURNS text
LANGUAGE plpgsql AS $$
BEGIN
    IF p_phone IS NULL OR p_code IS NULL THEN
        RETURN NULL;
    ELSIF p_code = 21610 THEN
        INSERT INTO opt_outs (phone, source) VALUES (p_phone, 'carrier')
        ON CONFLICT (phone) DO NOTHING;
        RETURN 'The carrier reports the recipient unsubscribed (error 21610): '
               || 'the phone is on the suppression list';
    ELSIF p_code IN (21211, 21614) THEN
        UPDATE leads
           SET phone_status = CASE p_code WHEN 21211 THEN 'invalid' ELSE 'not_mobile' END,
               phone_status_at = now()
         WHERE phone = p_phone
           AND phone_status IS DISTINCT FROM CASE p_code WHEN 21211 THEN 'invalid'
                                                 ELSE 'not_mobile' END;
        RETURN format('The provider says the phone is %s (error %s): later campaigns skip it',
                      CASE p_code WHEN 21211 THEN 'invalid' ELSE 'not a mobile' END, p_code);
    END IF;
    RETURN NULL;
END
$$;

-- Why the lead's phone is skipped, from its phone_status, NULL when it is not.
CREATE OR REPLACE FUNCTION smscamp_phone_status_reason(p_status text) RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE
RETURN CASE p_status
    WHEN 'invalid' THEN 'the provider reported the phone invalid (error 21211)'
    WHEN 'not_mobile' THEN 'the provider reported the phone is not a mobile (error 21614)'
END;

-- A delivery callback's error code on a campaign's send: its effect on the
-- phone (smscamp_provider_error), and carrier filtering (30007) counted: past
-- the campaign's max_filtered it pauses itself, for the carriers are blocking
-- its content.  Logged on the campaign lead.
CREATE OR REPLACE FUNCTION smscamp_delivery_error_effects(cl campaign_leads, p_phone text,
                                                          p_code integer)
RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
    v_effect text := smscamp_provider_error(p_phone, p_code);
    c record;
BEGIN
    IF v_effect IS NOT NULL THEN
        PERFORM smscamp_log(cl.id, 'warning', 'status_callback', v_effect,
                            jsonb_build_object('error_code', p_code));
    END IF;
    IF p_code = 30007 THEN
        UPDATE campaigns SET filtered_count = filtered_count + 1
         WHERE id = cl.campaign_id
        RETURNING id, filtered_count, max_filtered INTO c;
        IF c.filtered_count > c.max_filtered THEN
            PERFORM smscamp_pause_itself(c.id, format(
                'Campaign paused after %s messages were filtered by the carriers (error 30007), '
                'more than its max_filtered (%s): the carriers are blocking its content',
                c.filtered_count, c.max_filtered), cl.id);
        END IF;
    END IF;
END
$$;
