-- The inbox (sql/api/conversations.sql): one conversation per phone, newest
-- activity first, open / needs_reply / all, unread counts, the campaign and q
-- filters, and marking a conversation read.
BEGIN;
SET client_min_messages = warning;
SELECT plan(23);

\ir lib/call.sql
\ir lib/free_phone.sql
\ir lib/campaign_in.sql

CREATE TEMP TABLE ids (name text PRIMARY KEY, id bigint, phone text) ON COMMIT DROP;
CREATE FUNCTION pg_temp.id(p_name text) RETURNS bigint
LANGUAGE sql AS $$ SELECT id FROM ids WHERE name = p_name $$;
CREATE FUNCTION pg_temp.phone(p_name text) RETURNS text
LANGUAGE sql AS $$ SELECT phone FROM ids WHERE name = p_name $$;
CREATE FUNCTION pg_temp.lead(p_name text) RETURNS void
LANGUAGE sql AS $$
WITH l AS (INSERT INTO leads (name, phone) VALUES (p_name || ' Zq37', pg_temp.free_phone('+1415557'))
           RETURNING id, phone)
INSERT INTO ids SELECT p_name, l.id, l.phone FROM l
$$;
-- a message of the thread of p_name (a lead, or a phone in ids without a lead)
CREATE FUNCTION pg_temp.msg(p_name text, p_direction text, p_body text, p_campaign bigint DEFAULT NULL)
RETURNS void
LANGUAGE sql AS $$
INSERT INTO messages (lead_id, campaign_id, phone, direction, body, kind, status)
VALUES (pg_temp.id(p_name), p_campaign, pg_temp.phone(p_name), p_direction, p_body,
        CASE WHEN p_campaign IS NULL THEN 'reply' ELSE 'campaign' END,
        CASE WHEN p_direction = 'outbound' THEN 'sent' END)
$$;
-- the inbox (only the conversations of this test), as names in order
CREATE FUNCTION pg_temp.inbox(p_args jsonb) RETURNS text[]
LANGUAGE sql AS $$
SELECT coalesce(array_agg(n.name ORDER BY e.o), '{}')
  FROM jsonb_array_elements(pg_temp.call(format('SELECT * FROM api.conversations_list(%L)', p_args))
                            #> '{body,items}') WITH ORDINALITY AS e(c, o)
  JOIN ids n ON n.phone = e.c ->> 'phone'
$$;
CREATE FUNCTION pg_temp.item(p_name text) RETURNS jsonb
LANGUAGE sql AS $$
SELECT c FROM jsonb_array_elements(pg_temp.call('SELECT * FROM api.conversations_list(''{"state": "all", "limit": "200"}'')')
                                   #> '{body,items}') AS e(c)
 WHERE c ->> 'phone' = pg_temp.phone(p_name)
$$;

INSERT INTO ids VALUES ('c1', pg_temp.campaign_in('draft', 'pgTAP inbox', 'Hello', NULL), NULL);
SELECT pg_temp.lead('Ada');
SELECT pg_temp.lead('Bob');
SELECT pg_temp.lead('Cy');
INSERT INTO ids VALUES ('stranger', NULL, pg_temp.free_phone('+1415558'));

SELECT pg_temp.msg('Ada', 'outbound', 'Hi Ada, our sale starts Monday.', pg_temp.id('c1'));
SELECT pg_temp.msg('Bob', 'outbound', 'Hi Bob, our sale starts Monday.', pg_temp.id('c1'));
SELECT pg_temp.msg('Cy', 'inbound', 'Do you deliver?');
SELECT pg_temp.msg('Cy', 'outbound', 'Yes, anywhere in town.');
SELECT pg_temp.msg('stranger', 'inbound', 'who is this?');
SELECT pg_temp.msg('Ada', 'inbound', 'Yes please, what time?');
SELECT pg_temp.msg('Ada', 'inbound', 'And where?');

SELECT is(pg_temp.call('SELECT * FROM api.conversations_list(''{}'')') -> 'status', '200', 'the inbox: 200');
SELECT is(pg_temp.inbox('{}'), ARRAY['Ada', 'stranger', 'Cy'],
          'open (default): the conversations where the lead wrote, newest activity first');
SELECT is(pg_temp.inbox('{"state": "needs_reply"}'), ARRAY['Ada', 'stranger'],
          'needs_reply: the last message is the lead''s (Cy was answered)');
SELECT is(pg_temp.inbox('{"state": "all"}'), ARRAY['Ada', 'stranger', 'Cy', 'Bob'],
          'all: also the threads only sent to');
-- keyset pages: after = next_after (the last message of the page's last conversation)
CREATE FUNCTION pg_temp.inbox_phones(p_args jsonb) RETURNS text[]
LANGUAGE sql AS $$
SELECT coalesce(array_agg(e.c ->> 'phone' ORDER BY e.o), '{}')
  FROM jsonb_array_elements(pg_temp.call(format('SELECT * FROM api.conversations_list(%L)', p_args))
                            #> '{body,items}') WITH ORDINALITY AS e(c, o)
$$;
SELECT is(pg_temp.inbox_phones(jsonb_build_object('state', 'all', 'limit', '2', 'after',
              pg_temp.call('SELECT * FROM api.conversations_list(''{"state": "all", "limit": "2"}'')')
              #>> '{body,next_after}')),
          (pg_temp.inbox_phones('{"state": "all", "limit": "4"}'))[3:4],
          'keyset: the page after next_after is the next two');
SELECT is(pg_temp.inbox(jsonb_build_object('state', 'all', 'campaign_id', pg_temp.id('c1')::text)),
          ARRAY['Ada', 'Bob'], 'campaign_id: the conversations with a message of that campaign');
SELECT is(pg_temp.inbox('{"q": "cy zq37"}'), ARRAY['Cy'], 'q: part of the lead''s name');
SELECT is(pg_temp.inbox(jsonb_build_object('q', substr(pg_temp.phone('stranger'), 3))),
          ARRAY['stranger'], 'q: the phone''s digits (an unknown sender too)');

SELECT is((pg_temp.item('Ada') ->> 'unread')::int, 2, 'unread: Ada''s two replies');
SELECT is((pg_temp.item('Ada') ->> 'message_count')::int, 3, 'message_count');
SELECT is(pg_temp.item('Ada') #>> '{last_message,body}', 'And where?', 'last_message');
SELECT is(pg_temp.item('Ada') -> 'needs_reply', 'true', 'needs_reply true');
SELECT is(pg_temp.item('Cy') -> 'needs_reply', 'false', 'answered: needs_reply false');
SELECT is((pg_temp.item('Ada') ->> 'lead_id')::bigint, pg_temp.id('Ada'), 'the lead''s id');
SELECT is(pg_temp.item('stranger') -> 'lead_id', 'null', 'an unknown sender: no lead');

-- read
SELECT is(pg_temp.call(format('SELECT * FROM api.conversations_read(%L)', pg_temp.id('Ada'))) -> 'body',
          jsonb_build_object('lead_id', pg_temp.id('Ada'), 'marked', 2), 'read: two messages marked');
SELECT is((pg_temp.item('Ada') ->> 'unread')::int, 0, '... unread 0');
SELECT is(pg_temp.call(format('SELECT * FROM api.conversations_read(%L)', pg_temp.id('Ada'))) #>> '{body,marked}',
          '0', 'read again: nothing more to mark');
SELECT is(pg_temp.inbox('{"state": "needs_reply"}'), ARRAY['Ada', 'stranger'],
          'read is not answered: Ada still needs a reply');
SELECT is(pg_temp.call('SELECT * FROM api.conversations_read(''9223372036854775807'')') -> 'status',
          '404', 'read of a missing lead: 404');
SELECT is(pg_temp.call('SELECT * FROM api.conversations_read(''x'')') #> '{body,detail,0,loc}',
          '["path", "lead_id"]', 'read of lead x: 422 at path lead_id');

-- errors
SELECT is(pg_temp.call('SELECT * FROM api.conversations_list(''{"state": "closed"}'')') #> '{body,detail,0,loc}',
          '["query", "state"]', 'a bad state: 422');
SELECT is(pg_temp.call('SELECT * FROM api.conversations_list(''{"campaign_id": "x"}'')') -> 'status',
          '422', 'a bad campaign_id: 422');

SELECT * FROM finish();
ROLLBACK;
