-- smscamp 0.4 -> 0.5: US, Canadian and Caribbean phones get the country and
-- the time zone of their area code (pg_extension/nanp_codes.c), no longer US
-- and America/New_York for every +1 number.  Only the descriptions change here;
-- the functions are the same C symbols.
\echo Use "ALTER EXTENSION smscamp UPDATE" to load this file. \quit

COMMENT ON FUNCTION smscamp_phone_country(text) IS
'ISO 3166-1 alpha-2 country of a phone number (+1: by area code, US when unknown), NULL when invalid';

COMMENT ON FUNCTION smscamp_phone_timezone(text) IS
'IANA time zone of a phone number: its area code''s for +1 (America/New_York when unknown), else its country''s main zone; NULL when invalid';
