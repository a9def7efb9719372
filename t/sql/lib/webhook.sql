-- Webhook requests as Twilio sends them, signed with smscamp.twilio_auth_token 'tok-sql-test'
-- (the including test sets it: SET LOCAL smscamp.twilio_auth_token = 'tok-sql-test').  Needs
-- lib/route.sql.  pg_temp.inbound(form), pg_temp.status_cb(form): the route's body, its status
-- in "_status".
-- a webhook request as Twilio sends it: the URL, and the form signed for it
CREATE FUNCTION pg_temp.url(p_route text) RETURNS text
LANGUAGE sql AS $$ SELECT 'https://sms.example.test/api/webhooks/sms/' || p_route $$;
CREATE FUNCTION pg_temp.sig(p_route text, p_form text) RETURNS text
LANGUAGE sql AS $$ SELECT api_twilio_signature(pg_temp.url(p_route), p_form, 'tok-sql-test') $$;
-- api.webhooks_sms_<route> called with the form, signed right: its body, its status in "_status"
CREATE FUNCTION pg_temp.webhook(p_route text, p_type text, p_form text) RETURNS jsonb
LANGUAGE sql AS $$
    SELECT pg_temp.route(format('SELECT * FROM api.webhooks_sms_%s(%L, %L, %L, %L)', p_route, p_type, p_form,
                                pg_temp.url(p_route), pg_temp.sig(p_route, p_form)))
$$;
CREATE FUNCTION pg_temp.inbound(p_form text) RETURNS jsonb
LANGUAGE sql AS $$ SELECT pg_temp.webhook('inbound', 'application/x-www-form-urlencoded; charset=UTF-8', p_form) $$;
CREATE FUNCTION pg_temp.status_cb(p_form text) RETURNS jsonb
LANGUAGE sql AS $$ SELECT pg_temp.webhook('status', 'application/x-www-form-urlencoded', p_form) $$;
