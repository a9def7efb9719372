-- The campaign route functions (sql/api/campaigns.sql), called as the nginx
-- module calls them: create with each way of selecting leads, validation,
-- update rules, delete, adding leads, lists, logs, schedule, dashboard.
BEGIN;
SET client_min_messages = warning;
SELECT plan(82);

\ir lib/err.sql
\ir lib/route.sql
-- The locs of a 422's detail list.
CREATE FUNCTION pg_temp.locs(e jsonb) RETURNS text[]
LANGUAGE sql AS $$
    SELECT array_agg(d ->> 'loc' ORDER BY o)
      FROM jsonb_array_elements(e -> 'body' -> 'detail') WITH ORDINALITY AS x(d, o)
$$;

DELETE FROM leads WHERE phone LIKE '+4477009003%';
INSERT INTO leads (name, phone, email, company)
SELECT 'Api Lead ' || i, '+4477009003' || lpad(i::text, 2, '0'),
       'api' || i || '@example.com', CASE WHEN i < 5 THEN 'Zyxwv Corp' END
  FROM generate_series(0, 19) AS i;
CREATE TEMP TABLE l AS
SELECT array_agg(id ORDER BY id) AS ids FROM leads WHERE phone LIKE '+4477009003%';

------------------------------------------------------------------------------
-- create
------------------------------------------------------------------------------
CREATE TEMP TABLE c1 AS SELECT pg_temp.route(format(
    $$SELECT * FROM api.campaigns_create('{"name": "  Spring sale  ", "description": "d",
        "agent_type": "both", "sms_system_prompt": "Be brief", "sms_temperature": 120,
        "messages_per_second": 2.5, "send_window": null, "max_send_errors": 3,
        "lead_ids": [%s, %s, %s, %s]}')$$,
    (SELECT ids[1] FROM l), (SELECT ids[2] FROM l), (SELECT ids[3] FROM l),
    (SELECT ids[2] FROM l))) AS j;
SELECT is((SELECT (j ->> '_status')::int FROM c1), 201, 'create with lead_ids: 201');
SELECT is((SELECT j - '_status' - 'id' - 'created_at' - 'updated_at' FROM c1),
    jsonb_build_object('name', 'Spring sale', 'description', 'd', 'agent_type', 'both',
        'status', 'draft', 'sms_system_prompt', 'Be brief', 'sms_template', NULL,
        'sender_name', NULL, 'sms_temperature', 120,
        'messages_per_second', 2.5, 'send_window', NULL, 'max_send_errors', 3,
        'reply_mode', 'off', 'reply_prompt', NULL, 'require_consent', false,
        'scheduled_at', NULL, 'started_at', NULL, 'completed_at', NULL,
        'max_filtered', 20, 'paused_reason', NULL, 'exclude_messaged_within_hours', NULL,
        'voice_system_prompt', NULL, 'voice_temperature', 70, 'calls_per_second', 1,
        'call_delay_seconds', 0, 'call_if_no_reply', false,
        'sender_ids', NULL, 'senders', '[]'::jsonb,
        -- no senders: paced by the campaign's own 2.5/s, 3 leads in 2 s
        'send_rate', '{"segments_per_second": null, "messages_per_second": 2.5,
                       "effective_messages_per_second": 2.500, "limited_by": "campaign"}'::jsonb,
        'eta_seconds', 2,
        'stats', (SELECT j -> 'stats' FROM c1)),
    'create: the fields as given (name trimmed, send_window null = no quiet hours)');
SELECT is((SELECT (j #>> '{stats,total_leads}')::int FROM c1), 3,
          'create: duplicate lead ids counted once');
SELECT is((SELECT array_agg(cl.status || ':' || cl.lead_id ORDER BY cl.lead_id)
             FROM campaign_leads cl WHERE cl.campaign_id = (SELECT (j ->> 'id')::bigint FROM c1)),
          (SELECT ARRAY['pending:' || ids[1], 'pending:' || ids[2], 'pending:' || ids[3]] FROM l),
          'create: one pending campaign lead per lead');

CREATE TEMP TABLE c2 AS SELECT pg_temp.route(
    $$SELECT * FROM api.campaigns_create('{"name": "Filter", "lead_filter": "zyxwv", "sms_template": "Hi {first_name}, our sale starts Monday."}')$$) AS j;
SELECT is((SELECT (j #>> '{stats,total_leads}')::int FROM c2), 5,
          'create with lead_filter: the leads the search finds');
SELECT is((SELECT j ->> 'send_window' FROM c2), '08:00-21:00',
          'create: send_window defaults to 08:00-21:00');
SELECT is((SELECT (j ->> 'sms_temperature')::int FROM c2), 70, 'create: temperature defaults to 70');
SELECT is((SELECT j ->> 'agent_type' FROM c2), 'sms', 'create: agent_type defaults to sms');
SELECT is((SELECT (j ->> 'messages_per_second')::numeric FROM c2), 0::numeric,
          'create: messages_per_second defaults to 0 (unlimited)');
SELECT is((SELECT (j ->> 'max_send_errors')::int FROM c2), 10, 'create: max_send_errors defaults to 10');

CREATE TEMP TABLE c3 AS SELECT pg_temp.route(
    $$SELECT * FROM api.campaigns_create('{"name": "Count", "lead_count": 7, "sms_template": "Hi {first_name}, our sale starts Monday."}')$$) AS j;
SELECT is((SELECT (j #>> '{stats,total_leads}')::int FROM c3), 7, 'create with lead_count: N leads');
SELECT is((SELECT array_agg(cl.lead_id ORDER BY cl.lead_id)
             FROM campaign_leads cl WHERE cl.campaign_id = (SELECT (j ->> 'id')::bigint FROM c3)),
          (SELECT array_agg(x.id ORDER BY x.id) FROM
                (SELECT id FROM leads ORDER BY created_at, id LIMIT 7) AS x),
          'lead_count takes the N oldest leads');

CREATE TEMP TABLE c4 AS SELECT pg_temp.route(
    $$SELECT * FROM api.campaigns_create('{"name": "Empty", "lead_ids": []}')$$) AS j;
SELECT is((SELECT (j #>> '{stats,total_leads}')::int FROM c4), 0, 'create with no leads');

------------------------------------------------------------------------------
-- create: validation (422, FastAPI lists, nothing stored)
------------------------------------------------------------------------------
CREATE TEMP TABLE n_before AS SELECT count(*) AS n FROM campaigns;
SELECT is(pg_temp.err($$SELECT * FROM api.campaigns_create('{"name": "", "agent_type": "fax",
        "sms_temperature": 201, "sms_system_prompt": 5, "description": 7,
        "messages_per_second": -1, "send_window": "8-21", "max_send_errors": 0}')$$) -> 'state',
          '"SC422"', 'invalid fields: 422');
SELECT is(pg_temp.locs(pg_temp.err($$SELECT * FROM api.campaigns_create('{"name": "", "agent_type": "fax",
        "sms_temperature": 201, "sms_system_prompt": 5, "description": 7,
        "messages_per_second": -1, "send_window": "8-21", "max_send_errors": 0}')$$)),
          ARRAY['["body", "name"]', '["body", "description"]', '["body", "agent_type"]',
                '["body", "sms_system_prompt"]', '["body", "sms_temperature"]',
                '["body", "messages_per_second"]', '["body", "send_window"]',
                '["body", "max_send_errors"]'],
          '... every error is reported, each at its field');
SELECT is(pg_temp.err($$SELECT * FROM api.campaigns_create('{"name": "x", "agent_type": "fax"}')$$)
            #> '{body,detail,0}',
          '{"loc": ["body", "agent_type"], "msg": "Input should be ''sms'', ''voice'' or ''both''",
            "type": "enum", "ctx": {"expected": "''sms'', ''voice'' or ''both''"}}'::jsonb,
          'wrong agent_type: an enum error');
SELECT is(pg_temp.err($$SELECT * FROM api.campaigns_create('{"name": "x", "sms_temperature": -1}')$$)
            #>> '{body,detail,0,type}', 'greater_than_equal', 'temperature below 0');
SELECT is(pg_temp.err($$SELECT * FROM api.campaigns_create('{"name": "x", "sms_temperature": 0.5}')$$)
            #>> '{body,detail,0,type}', 'int_from_float', 'temperature not an integer');
SELECT is(pg_temp.err(format($$SELECT * FROM api.campaigns_create('{"name": "x", "sms_system_prompt": "%s"}')$$,
                             repeat('p', 4001)))
            #> '{body,detail,0}',
          '{"loc": ["body", "sms_system_prompt"], "msg": "String should have at most 4000 characters",
            "type": "string_too_long", "ctx": {"max_length": 4000}}'::jsonb,
          'a prompt over 4000 characters');
SELECT lives_ok(format($$SELECT * FROM api.campaigns_create('{"name": "x", "sms_system_prompt": "%s"}')$$,
                       repeat('p', 4000)),
                'a prompt of 4000 characters is fine');
SELECT is(pg_temp.err($$SELECT * FROM api.campaigns_create('{"description": "no name"}')$$)
            #> '{body,detail,0}',
          '{"loc": ["body", "name"], "msg": "Field required", "type": "missing"}'::jsonb,
          'no name: missing');
SELECT is(pg_temp.err($$SELECT * FROM api.campaigns_create('{"name": "   "}')$$)
            #>> '{body,detail,0,type}', 'value_error', 'a blank name: value_error');
SELECT is(pg_temp.err($$SELECT * FROM api.campaigns_create('[1, 2]')$$) #>> '{body,detail,0,type}',
          'dict_type', 'a body that is not an object: dict_type');
SELECT is(pg_temp.err($$SELECT * FROM api.campaigns_create(NULL)$$) #>> '{body,detail,0,type}',
          'missing', 'no body: missing');
SELECT is(pg_temp.locs(pg_temp.err($$SELECT * FROM api.campaigns_create('{"name": "x",
             "lead_ids": [1, "abc", 0, -4, 2.5, true, null, 99999999999999999999]}')$$)),
          ARRAY['["body", "lead_ids", 1]', '["body", "lead_ids", 2]', '["body", "lead_ids", 3]',
                '["body", "lead_ids", 4]', '["body", "lead_ids", 5]', '["body", "lead_ids", 6]',
                '["body", "lead_ids", 7]'],
          'lead_ids that are not positive integers: an error at each');
SELECT is(pg_temp.err($$SELECT * FROM api.campaigns_create('{"name": "x", "lead_ids": "1,2"}')$$)
            #>> '{body,detail,0,type}', 'list_type', 'lead_ids not an array: list_type');
SELECT is(pg_temp.err(format($$SELECT * FROM api.campaigns_create('{"name": "x", "lead_ids": [%s, 987654321, 987654322]}')$$,
                             (SELECT ids[1] FROM l)))
            #> '{body,detail,0}',
          '{"loc": ["body", "lead_ids"], "msg": "Unknown lead ids: 987654321, 987654322",
            "type": "value_error", "ctx": {"unknown_ids": [987654321, 987654322]}}'::jsonb,
          'unknown lead ids: 422 naming them');
SELECT is(pg_temp.err($$SELECT * FROM api.campaigns_create('{"name": "x", "lead_ids": [1], "lead_count": 2}')$$)
            #> '{body,detail,0}',
          '{"loc": ["body"], "msg": "Give only one of lead_ids, lead_filter and lead_count (got lead_ids, lead_count)",
            "type": "value_error"}'::jsonb,
          'two ways of selecting leads: 422');
SELECT is(pg_temp.err($$SELECT * FROM api.campaigns_create('{"name": "x", "lead_count": 0}')$$)
            #>> '{body,detail,0,loc}', '["body", "lead_count"]', 'lead_count 0: 422');
SELECT is(pg_temp.err($$SELECT * FROM api.campaigns_create('{"name": "x", "lead_filter": 5}')$$)
            #>> '{body,detail,0,type}', 'string_type', 'lead_filter not a string: 422');
SELECT is(pg_temp.err($$SELECT * FROM api.campaigns_create('{"name": "x", "send_window": "09:00-09:00"}')$$)
            #>> '{body,detail,0,type}', 'string_pattern_mismatch', 'an empty send window: 422');
SELECT is((SELECT count(*) FROM campaigns) - (SELECT n FROM n_before), 1::bigint,
          'nothing was stored by the refused requests (only the 4000-character one)');

------------------------------------------------------------------------------
-- get, list
------------------------------------------------------------------------------
SELECT is(pg_temp.route(format('SELECT * FROM api.campaigns_get(%L)', (SELECT j ->> 'id' FROM c1))) - '_status',
          (SELECT j - '_status' FROM c1), 'get answers what create answered');
SELECT is(pg_temp.err('SELECT * FROM api.campaigns_get(''987654321'')') -> 'body',
          '{"detail": "Campaign 987654321 not found"}', 'get of a missing campaign: 404');
SELECT is(pg_temp.err('SELECT * FROM api.campaigns_get(''987654321'')') ->> 'state', 'SC404', '... SC404');
SELECT is(pg_temp.err('SELECT * FROM api.campaigns_get(''abc'')') #>> '{body,detail,0,loc}',
          '["path", "id"]', 'get with a bad id: 422 at path id');

CREATE TEMP TABLE lst AS SELECT pg_temp.route(
    $$SELECT * FROM api.campaigns_list('{"q": "spring SALE", "limit": "10"}')$$) AS j;
SELECT is((SELECT j ->> 'total' FROM lst), '1', 'list ?q= finds by name, case-insensitively');
SELECT is((SELECT j #>> '{items,0,id}' FROM lst), (SELECT j ->> 'id' FROM c1), '... the right one');
SELECT ok((SELECT j #> '{items,0,stats}' IS NOT NULL FROM lst), '... with its stats');
SELECT is((SELECT array_agg(x ORDER BY x) FROM jsonb_object_keys(
              pg_temp.route($$SELECT * FROM api.campaigns_list('{}')$$)) AS x),
          ARRAY['_status', 'has_more', 'items', 'limit', 'next_after', 'offset', 'total'],
          'list answers the envelope');
SELECT is((SELECT jsonb_agg(x -> 'id') FROM jsonb_array_elements(pg_temp.route(
              $$SELECT * FROM api.campaigns_list('{"limit": "3"}')$$) -> 'items') AS x),
          (SELECT jsonb_agg(id ORDER BY id DESC) FROM (SELECT id FROM campaigns ORDER BY id DESC LIMIT 3) AS x),
          'list: newest first');
-- keyset pages, newest first: after = next_after, the smaller ids
SELECT is((SELECT jsonb_agg(x -> 'id') FROM jsonb_array_elements(pg_temp.route(format(
              $$SELECT * FROM api.campaigns_list('{"limit": "2", "after": "%s"}')$$,
              pg_temp.route($$SELECT * FROM api.campaigns_list('{"limit": "2"}')$$) ->> 'next_after'))
              -> 'items') AS x),
          (SELECT jsonb_agg(id ORDER BY id DESC) FROM (SELECT id FROM campaigns ORDER BY id DESC
                                                       LIMIT 2 OFFSET 2) AS x),
          'list: the page after next_after is the next two, newest first');
SELECT ok((SELECT bool_and(x ->> 'status' = 'draft') FROM jsonb_array_elements(pg_temp.route(
              $$SELECT * FROM api.campaigns_list('{"status": "draft", "limit": "500"}')$$) -> 'items') AS x),
          'list ?status=draft: only drafts');
SELECT is(pg_temp.err($$SELECT * FROM api.campaigns_list('{"status": "running"}')$$) #>> '{body,detail,0,loc}',
          '["query", "status"]', 'list with an unknown status: 422');

------------------------------------------------------------------------------
-- update
------------------------------------------------------------------------------
CREATE TEMP TABLE u AS SELECT pg_temp.route(format(
    $$SELECT * FROM api.campaigns_update(%L, '{"name": "Renamed", "sms_temperature": 50,
        "send_window": "09:00-17:30", "description": null}')$$, (SELECT j ->> 'id' FROM c1))) AS j;
SELECT is((SELECT j ->> 'name' FROM u), 'Renamed', 'update: name changed');
SELECT is((SELECT (j ->> 'sms_temperature')::int FROM u), 50, 'update: temperature changed (draft)');
SELECT is((SELECT j ->> 'send_window' FROM u), '09:00-17:30', 'update: send_window changed');
SELECT is((SELECT j ->> 'description' FROM u), NULL, 'update: null clears description');
SELECT is((SELECT j ->> 'sms_system_prompt' FROM u), 'Be brief', 'update: absent fields unchanged');

UPDATE campaigns SET status = 'pending' WHERE id = (SELECT (j ->> 'id')::bigint FROM c1);
SELECT is(pg_temp.err(format($$SELECT * FROM api.campaigns_update(%L, '{"sms_system_prompt": "New", "agent_type": "sms"}')$$,
                             (SELECT j ->> 'id' FROM c1))) -> 'body',
          format('{"detail": "Cannot change agent_type, sms_system_prompt of campaign %s: it is pending (what the messages say - the prompt, template, sender, temperature and agent type - can only change while the campaign is a draft)"}',
                 (SELECT j ->> 'id' FROM c1))::jsonb,
          'update of the prompt of a pending campaign: 409');
SELECT is((pg_temp.route(format($$SELECT * FROM api.campaigns_update(%L, '{"name": "Still fine", "sms_temperature": 50, "messages_per_second": 1}')$$,
                                (SELECT j ->> 'id' FROM c1))) ->> '_status')::int, 200,
          'update of the name (and an unchanged temperature) of a pending campaign: 200');
SELECT is(pg_temp.err($$SELECT * FROM api.campaigns_update('987654321', '{"name": "x"}')$$) ->> 'state',
          'SC404', 'update of a missing campaign: 404');
SELECT is(pg_temp.err(format($$SELECT * FROM api.campaigns_update(%L, '{"name": null}')$$,
                             (SELECT j ->> 'id' FROM c2))) #>> '{body,detail,0,type}',
          'missing', 'update name to null: 422');
SELECT is(pg_temp.err(format($$SELECT * FROM api.campaigns_update(%L, '{"agent_type": null}')$$,
                             (SELECT j ->> 'id' FROM c2))) #>> '{body,detail,0,type}',
          'enum', 'update agent_type to null: 422');

------------------------------------------------------------------------------
-- leads of a campaign: add, list
------------------------------------------------------------------------------
CREATE TEMP TABLE added AS SELECT pg_temp.route(format(
    $$SELECT * FROM api.campaigns_add_leads(%L, '{"lead_ids": [%s, %s]}')$$,
    (SELECT j ->> 'id' FROM c3),
    (SELECT min(lead_id) FROM campaign_leads WHERE campaign_id = (SELECT (j ->> 'id')::bigint FROM c3)),
    (SELECT ids[20] FROM l))) AS j;
SELECT is((SELECT j - 'campaign_id' FROM added),
          '{"matched": 2, "added": 1, "duplicates": 1, "total_leads": 8, "_status": 200}',
          'add leads: counts (one was already there)');
SELECT is((pg_temp.route(format($$SELECT * FROM api.campaigns_add_leads(%L, '{"lead_count": 3}')$$,
                                (SELECT j ->> 'id' FROM c3))) ->> 'added')::int, 3,
          'add lead_count N: N leads not in the campaign yet');
SELECT is(pg_temp.err(format($$SELECT * FROM api.campaigns_add_leads(%L, '{}')$$,
                             (SELECT j ->> 'id' FROM c3))) #>> '{body,detail,0,type}',
          'missing', 'add leads without a selection: 422');
SELECT is(pg_temp.err(format($$SELECT * FROM api.campaigns_add_leads(%L, '{"lead_count": 1}')$$,
                             (SELECT j ->> 'id' FROM c1))) ->> 'state',
          'SC409', 'add leads to a pending campaign: 409');

CREATE TEMP TABLE cl AS SELECT pg_temp.route(format(
    $$SELECT * FROM api.campaigns_leads(%L, '{"limit": "2", "offset": "1"}')$$,
    (SELECT j ->> 'id' FROM c3))) AS j;
SELECT is((SELECT (j ->> 'total')::int FROM cl), 11, 'campaign leads: total');
SELECT is((SELECT jsonb_array_length(j -> 'items') FROM cl), 2, 'campaign leads: limit');
SELECT ok((SELECT j #> '{items,0}' ?& ARRAY['id', 'lead_id', 'name', 'phone', 'email', 'status',
             'sms_sent', 'sms_message', 'sms_segments', 'sms_cost', 'error_message', 'trace_id',
             'processed_at'] FROM cl),
          'a campaign lead has the lead fields and its processing fields');
UPDATE campaign_leads SET status = 'skipped'
 WHERE id = (SELECT (j #>> '{items,0,id}')::bigint FROM cl);
SELECT is(pg_temp.route(format($$SELECT * FROM api.campaigns_leads(%L, '{"status": "skipped"}')$$,
                               (SELECT j ->> 'id' FROM c3))) #>> '{items,0,id}',
          (SELECT j #>> '{items,0,id}' FROM cl), 'campaign leads ?status= filters');
SELECT is(pg_temp.err(format($$SELECT * FROM api.campaigns_leads(%L, '{"status": "done"}')$$,
                             (SELECT j ->> 'id' FROM c3))) #>> '{body,detail,0,loc}',
          '["query", "status"]', 'campaign leads with an unknown status: 422');
-- keyset pages: after = next_after walks every campaign lead once, in id order
CREATE FUNCTION pg_temp.cl_pages(p_campaign text, p_limit int) RETURNS bigint[]
LANGUAGE plpgsql AS $$
DECLARE
    v_page jsonb;
    v_after bigint := 0;
    v_ids bigint[] := '{}';
BEGIN
    LOOP
        v_page := pg_temp.route(format('SELECT * FROM api.campaigns_leads(%L, %L)', p_campaign,
                                       jsonb_build_object('limit', p_limit::text,
                                                          'after', v_after::text)));
        v_ids := v_ids || ARRAY(SELECT (i ->> 'id')::bigint
                                  FROM jsonb_array_elements(v_page -> 'items') AS i);
        EXIT WHEN NOT (v_page ->> 'has_more')::boolean;
        v_after := (v_page ->> 'next_after')::bigint;
    END LOOP;
    RETURN v_ids;
END
$$;
SELECT is(pg_temp.cl_pages((SELECT j ->> 'id' FROM c3), 3),
          ARRAY(SELECT id FROM campaign_leads WHERE campaign_id = (SELECT (j ->> 'id')::bigint FROM c3)
                 ORDER BY id),
          'campaign leads: keyset pages of 3 return every lead once, in order');
SELECT is((SELECT j -> 'has_more' FROM cl), 'true', 'campaign leads: has_more on a page with more after it');
SELECT is(pg_temp.err(format($$SELECT * FROM api.campaigns_leads(%L, '{"offset": "10001"}')$$,
                             (SELECT j ->> 'id' FROM c3))) #>> '{body,detail,0,loc}',
          '["query", "offset"]', 'campaign leads: offset past 10,000: 422');
SELECT is(pg_temp.err(format($$SELECT * FROM api.campaigns_leads(%L, '{"after": "1", "offset": "2"}')$$,
                             (SELECT j ->> 'id' FROM c3))) #>> '{body,detail,0,loc}',
          '["query", "after"]', 'campaign leads: after and offset together: 422');

------------------------------------------------------------------------------
-- logs
------------------------------------------------------------------------------
INSERT INTO processing_logs (campaign_lead_id, level, node_name, message, metadata)
SELECT cl.id, x.level, x.node, x.msg, jsonb_build_object('n', x.o)
  FROM (SELECT id FROM campaign_leads WHERE campaign_id = (SELECT (j ->> 'id')::bigint FROM c3)
         ORDER BY id LIMIT 2) AS cl,
       (VALUES (1, 'info', 'validate_lead', 'Lead validated'),
               (2, 'info', 'sms_agent', 'Message generated'),
               (3, 'error', 'finalize', 'Lead finished: failed')) AS x(o, level, node, msg)
 ORDER BY cl.id, x.o;
CREATE TEMP TABLE lg AS SELECT pg_temp.route(format(
    $$SELECT * FROM api.campaigns_logs(%L, '{}')$$, (SELECT j ->> 'id' FROM c3))) AS j;
SELECT is((SELECT (j ->> 'total')::int FROM lg), 6, 'logs: every log of the campaign');
SELECT is((SELECT array_agg(x ->> 'node_name' ORDER BY o) FROM lg,
                  jsonb_array_elements(j -> 'items') WITH ORDINALITY AS e(x, o) WHERE o <= 3),
          ARRAY['validate_lead', 'sms_agent', 'finalize'], 'logs: oldest first');
SELECT ok((SELECT j #> '{items,0}' ?& ARRAY['id', 'campaign_lead_id', 'lead_id', 'node_name', 'level',
                                            'message', 'metadata', 'created_at'] FROM lg),
          'a log has node_name, level, message, metadata');
SELECT is(ARRAY(SELECT (i ->> 'id')::bigint FROM jsonb_array_elements(pg_temp.route(format(
              $$SELECT * FROM api.campaigns_logs(%L, %L)$$, (SELECT j ->> 'id' FROM c3),
              jsonb_build_object('after', (SELECT j #>> '{items,0,id}' FROM lg))))-> 'items') AS i),
          ARRAY(SELECT (i ->> 'id')::bigint FROM jsonb_array_elements((SELECT j -> 'items' FROM lg)) AS i
                 OFFSET 1),
          'logs: after the first entry, the others');
SELECT is((pg_temp.route(format($$SELECT * FROM api.campaigns_logs(%L, '{"level": "error"}')$$,
                                (SELECT j ->> 'id' FROM c3))) ->> 'total')::int, 2, 'logs ?level=');
SELECT is((pg_temp.route(format($$SELECT * FROM api.campaigns_logs(%L, '{"node": "sms_agent", "campaign_lead_id": "%s"}')$$,
                                (SELECT j ->> 'id' FROM c3), (SELECT j #>> '{items,0,campaign_lead_id}' FROM lg)))
           ->> 'total')::int, 1, 'logs ?node=&campaign_lead_id=');
SELECT is(pg_temp.locs(pg_temp.err(format($$SELECT * FROM api.campaigns_logs(%L, '{"level": "loud", "campaign_lead_id": "x", "limit": "-1"}')$$,
                                          (SELECT j ->> 'id' FROM c3)))),
          ARRAY['["query", "limit"]', '["query", "level"]', '["query", "campaign_lead_id"]'],
          'logs with bad parameters: 422 at each');

------------------------------------------------------------------------------
-- schedule route, delete
------------------------------------------------------------------------------
SELECT is(pg_temp.route(format($$SELECT * FROM api.campaigns_schedule(%L, '{"scheduled_at": "2999-01-31T09:00:00Z"}')$$,
                               (SELECT j ->> 'id' FROM c2))) ->> 'scheduled_at',
          '2999-01-31T09:00:00+00:00', 'schedule: 200 with scheduled_at');
SELECT is(pg_temp.err(format($$SELECT * FROM api.campaigns_schedule(%L, '{"scheduled_at": "tomorrow"}')$$,
                             (SELECT j ->> 'id' FROM c3))) #>> '{body,detail,0,type}',
          'datetime_parsing', 'schedule with a bad datetime: 422');
SELECT is(pg_temp.err(format($$SELECT * FROM api.campaigns_schedule(%L, '{"scheduled_at": "2001-01-01T00:00:00Z"}')$$,
                             (SELECT j ->> 'id' FROM c3))) #>> '{body,detail,0,loc}',
          '["body", "scheduled_at"]', 'schedule in the past: 422');
SELECT is(pg_temp.err(format($$SELECT * FROM api.campaigns_schedule(%L, '{}')$$,
                             (SELECT j ->> 'id' FROM c3))) #>> '{body,detail,0,type}',
          'missing', 'schedule without scheduled_at: 422');

UPDATE campaigns SET status = 'processing' WHERE id = (SELECT (j ->> 'id')::bigint FROM c1);
SELECT is(pg_temp.err(format('SELECT * FROM api.campaigns_delete(%L)', (SELECT j ->> 'id' FROM c1))) -> 'body',
          format('{"detail": "Cannot delete campaign %s while it is processing: pause or cancel it first"}',
                 (SELECT j ->> 'id' FROM c1))::jsonb,
          'delete of a processing campaign: 409');
SELECT is(pg_temp.route(format('SELECT * FROM api.campaigns_delete(%L)', (SELECT j ->> 'id' FROM c3))),
          '{"_status": 204}', 'delete: 204, no body');
SELECT is((SELECT count(*)::int FROM campaign_leads WHERE campaign_id = (SELECT (j ->> 'id')::bigint FROM c3)),
          0, 'delete: its campaign leads are gone');
SELECT is(pg_temp.err(format('SELECT * FROM api.campaigns_delete(%L)', (SELECT j ->> 'id' FROM c3))) ->> 'state',
          'SC404', 'delete again: 404');

SELECT * FROM finish();
ROLLBACK;
