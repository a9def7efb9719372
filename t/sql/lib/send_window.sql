-- Send windows computed from now(), so that a window is open or closed whatever the hour the
-- test runs.  Included by the tests with \ir lib/send_window.sql.
--   pg_temp.win(zone, a, b): 'HH:MM-HH:MM' of local time now + a .. now + b in the zone;
--   pg_temp.opens(zone, a): when a window that starts at local now + a next opens.
CREATE FUNCTION pg_temp.win(p_tz text, a interval, b interval) RETURNS text
LANGUAGE sql STABLE AS $$
SELECT to_char((now() AT TIME ZONE p_tz) + a, 'HH24:MI') || '-'
    || to_char((now() AT TIME ZONE p_tz) + b, 'HH24:MI')
$$;
CREATE FUNCTION pg_temp.opens(p_tz text, a interval) RETURNS timestamptz
LANGUAGE sql STABLE AS $$
SELECT date_trunc('minute', (now() AT TIME ZONE p_tz) + a) AT TIME ZONE p_tz
$$;
