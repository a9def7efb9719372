-- The phone functions of the smscamp extension (pg_extension/phone.c):
-- E.164 normalisation, error messages, country and time zone lookup,
-- smscamp.default_country.
BEGIN;
SET client_min_messages = warning;
SELECT plan(62);

-- normalisation: separators, international prefixes
SELECT is(smscamp_normalize_phone('+14155550123'), '+14155550123', 'E.164 stays E.164');
SELECT is(smscamp_normalize_phone('+1 (415) 555-0123'), '+14155550123', 'spaces, parentheses, dashes');
SELECT is(smscamp_normalize_phone('+1.415.555.0123'), '+14155550123', 'dots');
SELECT is(smscamp_normalize_phone(E'  +1 415\t555 0123  '), '+14155550123', 'leading/trailing blanks and tabs');
SELECT is(smscamp_normalize_phone('0044 20 7946 0958'), '+442079460958', '00 international prefix');
SELECT is(smscamp_normalize_phone('00442079460958'), '+442079460958', '00 without separators');
SELECT is(smscamp_normalize_phone('+44 (0)20 7946 0958'), '+442079460958', '"(0)" trunk prefix after the country code is dropped');
SELECT is(smscamp_normalize_phone('0044 (0)20 7946 0958'), '+442079460958', '"(0)" after a 00 prefix is dropped');
SELECT is(smscamp_normalize_phone('+49 30 1234567'), '+49301234567', 'Germany');
SELECT is(smscamp_normalize_phone('+33 1 23 45 67 89'), '+33123456789', 'France');
SELECT is(smscamp_normalize_phone('+7 495 123-45-67'), '+74951234567', 'Russia');
SELECT is(smscamp_normalize_phone('+86 138 0013 8000'), '+8613800138000', 'China, 13 digits');
SELECT is(smscamp_normalize_phone('+683 4002'), '+6834002', 'Niue: 7 digits are enough');
SELECT is(smscamp_normalize_phone('+ 1 415 555 0123'), '+14155550123', 'a blank after +');

-- invalid numbers give NULL, never an error
SELECT is(smscamp_normalize_phone('4155550123'), NULL, 'no country code, no default country: NULL');
SELECT is(smscamp_normalize_phone('+1 415 CALL NOW'), NULL, 'letters: NULL');
SELECT is(smscamp_normalize_phone('+1-415-555-0123 ext 7'), NULL, 'extension text: NULL');
SELECT is(smscamp_normalize_phone('+1 415 555 0123; DROP TABLE leads'), NULL, 'SQL-looking text: NULL');
SELECT is(smscamp_normalize_phone('+1 415 555'), NULL, 'too short for +1: NULL');
SELECT is(smscamp_normalize_phone('+44 20 79'), NULL, 'too short: NULL');
SELECT is(smscamp_normalize_phone('+44 2079 4609 5812 345'), NULL, 'more than 15 digits: NULL');
SELECT is(smscamp_normalize_phone('+999 1234 5678'), NULL, 'unknown calling code: NULL');
SELECT is(smscamp_normalize_phone('+0 123 456 789'), NULL, 'calling codes do not start with 0: NULL');
SELECT is(smscamp_normalize_phone('+1 415 +555 0123'), NULL, 'a second +: NULL');
SELECT is(smscamp_normalize_phone(''), NULL, 'empty: NULL');
SELECT is(smscamp_normalize_phone(' - ( ) '), NULL, 'separators only: NULL');
SELECT is(smscamp_normalize_phone(NULL), NULL, 'NULL: NULL (strict)');
SELECT is(smscamp_normalize_phone('+１ 415 555 0123'), NULL, 'full-width digits are not digits');

-- messages
SELECT is(smscamp_phone_error('+1 (415) 555-0123'), NULL, 'valid: no error');
SELECT is(smscamp_phone_error('4155550123'),
          'phone must include the country code (e.g. +14155550123)', 'no country code');
SELECT alike(smscamp_phone_error('+1 415 CALL NOW'), 'phone has invalid characters%', 'letters');
SELECT is(smscamp_phone_error('+1 415 555'), 'phone is too short', 'too short');
SELECT is(smscamp_phone_error('+12'), 'phone is too short', 'a few digits only');
SELECT is(smscamp_phone_error('+1 415 555 01234'), 'phone is too long', '+1 takes exactly 10 digits');
SELECT is(smscamp_phone_error('+44 2079 4609 5812 345'), 'phone is too long', 'over 15 digits');
SELECT is(smscamp_phone_error('+999 1234 5678'), 'unknown country calling code +999', 'unknown code');
SELECT is(smscamp_phone_error('+0 123 456 789'), 'unknown country calling code +0', 'code 0');
SELECT is(smscamp_phone_error(''), 'phone must not be empty', 'empty');
SELECT is(smscamp_phone_error('+'), 'phone must not be empty', 'a lone +');

-- country and time zone
SELECT is(smscamp_phone_country('+14155550123'), 'US', '+1 is US');
SELECT is(smscamp_phone_timezone('+14155550123'), 'America/Los_Angeles', '+1 zone: by area code (nanp_codes.c)');
SELECT is(smscamp_phone_country('+74951234567'), 'RU', '+7 is RU');
SELECT is(smscamp_phone_timezone('+74951234567'), 'Europe/Moscow', '+7 zone');
SELECT is(smscamp_phone_country('+77012345678'), 'KZ', '+7 7xx is Kazakhstan');
SELECT is(smscamp_phone_country('0044 20 7946 0958'), 'GB', '+44 is GB (input normalised first)');
SELECT is(smscamp_phone_timezone('+442079460958'), 'Europe/London', '+44 zone');
SELECT is(smscamp_phone_country('+33123456789'), 'FR', '+33 is FR');
SELECT is(smscamp_phone_timezone('+61491570110'), 'Australia/Sydney', '+61 zone');
SELECT is(smscamp_phone_country('+97141234567'), 'AE', '+971 is AE');
SELECT is(smscamp_phone_country('+999 1234 5678'), NULL, 'unknown code: no country');
SELECT is(smscamp_phone_timezone('garbage'), NULL, 'invalid: no zone');
SELECT is((SELECT count(*)::int FROM pg_timezone_names
            WHERE name IN (smscamp_phone_timezone('+14155550123'),
                           smscamp_phone_timezone('+380441234567'),
                           smscamp_phone_timezone('+2991234567'))), 3,
          'zones are names PostgreSQL knows');

-- smscamp.default_country
SET LOCAL smscamp.default_country = '44';
SELECT is(smscamp_normalize_phone('020 7946 0958'), '+442079460958', 'default 44: trunk 0 dropped');
SELECT is(smscamp_normalize_phone('07700 900123'), '+447700900123', 'default 44: mobile');
SELECT is(smscamp_normalize_phone('+1 415 555 0123'), '+14155550123', 'default does not touch +');
SELECT is(smscamp_phone_error('020 7946 0958'), NULL, 'default 44: no error');
SET LOCAL smscamp.default_country = '+1';
SELECT is(smscamp_normalize_phone('(415) 555-0123'), '+14155550123', 'default +1: national number');
SELECT is(smscamp_normalize_phone('1-415-555-0123'), '+14155550123', 'default 1: NANP trunk 1 dropped');
SELECT is(smscamp_normalize_phone('011 44 20 7946 0958'), '+442079460958', 'default 1: 011 is international');
SET LOCAL smscamp.default_country = '';
SELECT is(smscamp_normalize_phone('020 7946 0958'), NULL, 'default unset again: rejected');
SELECT throws_ok($$SET LOCAL smscamp.default_country = '999'$$, '22023', NULL,
                 'an unknown calling code is not a valid default');
SELECT throws_ok($$SET LOCAL smscamp.default_country = 'UK'$$, '22023', NULL,
                 'a country name is not a valid default');

SELECT * FROM finish();
ROLLBACK;
