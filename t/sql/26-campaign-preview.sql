-- POST /api/campaigns/{id}/preview (api.campaigns_preview): validation and
-- the generated message for one lead, with nothing written.
BEGIN;
SET client_min_messages = warning;
SELECT plan(16);

\ir lib/err.sql

DELETE FROM leads WHERE phone LIKE '+4477009005%';
DELETE FROM opt_outs WHERE phone LIKE '+4477009005%';
INSERT INTO leads (name, phone, company) VALUES
    ('Ada Preview', '+447700900501', 'Analytical Engines'),
    ('Bob Optout', '+447700900502', NULL);
INSERT INTO opt_outs (phone, keyword) VALUES ('+447700900502', 'STOP');
INSERT INTO campaigns (name, sms_system_prompt) VALUES ('preview test', 'Invite them to our spring sale');
INSERT INTO campaigns (name) VALUES ('preview empty');
INSERT INTO campaign_leads (campaign_id, lead_id)
SELECT (SELECT c.id FROM campaigns c WHERE c.name = 'preview test'), l.id FROM leads l
 WHERE l.phone LIKE '+4477009005%' ORDER BY l.id;
CREATE TEMP TABLE ids AS
SELECT (SELECT id FROM campaigns WHERE name = 'preview test') AS c,
       (SELECT id FROM campaigns WHERE name = 'preview empty') AS e,
       (SELECT id FROM leads WHERE phone = '+447700900501') AS ada,
       (SELECT id FROM leads WHERE phone = '+447700900502') AS bob;
CREATE TEMP TABLE snapshot AS
SELECT md5(string_agg(cl::text, ',' ORDER BY cl.id)) AS h FROM campaign_leads cl
 WHERE cl.campaign_id = (SELECT c FROM ids);

CREATE TEMP TABLE p1 AS
SELECT status, body::jsonb AS j FROM api.campaigns_preview((SELECT c FROM ids)::text, NULL);
SELECT is((SELECT status FROM p1), 200, 'preview without a body: 200');
SELECT is((SELECT (j ->> 'lead_id')::bigint FROM p1), (SELECT ada FROM ids),
          '... for the campaign''s first lead');
SELECT ok((SELECT j ?& ARRAY['campaign_id', 'lead_id', 'message', 'encoding', 'segments', 'characters',
                             'cost', 'model', 'truncated', 'validation_errors', 'valid'] FROM p1),
          '... with message, encoding, segments, characters, cost, validation');
SELECT ok((SELECT length(j ->> 'message') > 0 FROM p1), '... a message is written');
SELECT ok((SELECT j ->> 'message' LIKE '%Ada%' FROM p1), '... personalised with the lead''s name');
SELECT is((SELECT (j ->> 'segments')::int FROM p1), (SELECT smscamp_sms_segments(j ->> 'message') FROM p1),
          '... segments as smscamp_sms_segments counts them');
SELECT is((SELECT (j ->> 'cost')::numeric FROM p1), (SELECT smscamp_sms_cost(j ->> 'message') FROM p1),
          '... cost as smscamp_sms_cost computes it');
SELECT is((SELECT j -> 'validation_errors' FROM p1), '[]'::jsonb, '... no validation errors');
SELECT is((SELECT (j ->> 'valid')::boolean FROM p1), true, '... valid');

CREATE TEMP TABLE p2 AS
SELECT status, body::jsonb AS j
  FROM api.campaigns_preview((SELECT c FROM ids)::text, jsonb_build_object('lead_id', (SELECT bob FROM ids)));
SELECT is((SELECT (j ->> 'lead_id')::bigint FROM p2), (SELECT bob FROM ids), 'preview for a given lead_id');
SELECT ok((SELECT j -> 'validation_errors' @> '["recipient has opted out"]' FROM p2),
          '... an opted-out lead shows the validation error');
SELECT is((SELECT (j ->> 'valid')::boolean FROM p2), false, '... and is not valid');

SELECT is((SELECT md5(string_agg(cl::text, ',' ORDER BY cl.id)) FROM campaign_leads cl
            WHERE cl.campaign_id = (SELECT c FROM ids)),
          (SELECT h FROM snapshot), 'a preview writes nothing');

SELECT is(pg_temp.err(format('SELECT * FROM api.campaigns_preview(%L, %L)', (SELECT c FROM ids), '{"lead_id": 987654321}'))
            -> 'body', '{"detail": "Lead 987654321 not found"}', 'preview for a missing lead: 404');
SELECT is(pg_temp.err(format('SELECT * FROM api.campaigns_preview(%L, %L)', (SELECT c FROM ids), '{"lead_id": "abc"}'))
            #>> '{body,detail,0,loc}', '["body", "lead_id"]', 'preview with a bad lead_id: 422');
SELECT is(pg_temp.err(format('SELECT * FROM api.campaigns_preview(%L, NULL)', (SELECT e FROM ids))) ->> 'state',
          'SC409', 'preview of a campaign without leads and no lead_id: 409');

SELECT * FROM finish();
ROLLBACK;
