-- Settings API: what the web UI needs to know about this server's configuration
-- (contract: sql/README.md).  Secrets are never part of it; which writer is in use
-- comes from smscamp_writer_info() (workflow.sql).
--
--   GET /api/settings   api.settings_get()

-- GET /api/settings
CREATE OR REPLACE FUNCTION api.settings_get(OUT status integer, OUT body text)
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
SELECT 200,
       jsonb_build_object(
           'writer', smscamp_writer_info(),
           'sms_provider', current_setting('smscamp.sms_provider', true),
           'default_country', nullif(current_setting('smscamp.default_country', true), ''),
           'max_segments', current_setting('smscamp.max_segments', true)::integer,
           'price_per_segment', current_setting('smscamp.price_per_segment', true)::numeric,
           'optout_footer', current_setting('smscamp.optout_footer', true))::text
$$;

CALL smscamp_secure_api();
