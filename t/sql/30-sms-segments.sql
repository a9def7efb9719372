-- smscamp_sms_segments / smscamp_sms_encoding / smscamp_sms_cost on a table of
-- tricky texts.  The rules (issue 4, "Details that scripts rely on"):
--   * GSM-7 unless one character is outside GSM 03.38; then the whole message
--     is UCS-2;
--   * GSM-7: 160 septets in one segment, 153 per part when concatenated; the
--     extension characters ^ { } \ [ ~ ] | EURO and form feed take 2 septets,
--     and an escape pair is never split across parts;
--   * UCS-2: 70 UTF-16 code units in one segment, 67 per part; a character
--     outside the BMP (an emoji) is a surrogate pair (2 units) that is never
--     split across parts;
--   * cost = segments x smscamp.price_per_segment.
-- The expected counts agree with the fake provider's reference
-- (t/fakes/selftest.sh, POST /_fake/segments).
BEGIN;

CREATE TEMP TABLE sms_cases (
    n        serial,
    label    text NOT NULL,
    body     text NOT NULL,
    segments integer NOT NULL,
    encoding text NOT NULL
) ON COMMIT DROP;

INSERT INTO sms_cases (label, body, segments, encoding) VALUES
    ('empty text',                           '',                                    0, 'GSM-7'),
    ('one character',                        'a',                                   1, 'GSM-7'),
    ('a sentence',                           'Hi Jane, our sale starts Monday!',    1, 'GSM-7'),
    ('160 GSM chars',                        repeat('a', 160),                      1, 'GSM-7'),
    ('161 GSM chars',                        repeat('a', 161),                      2, 'GSM-7'),
    ('306 GSM chars (2 x 153)',              repeat('a', 306),                      2, 'GSM-7'),
    ('307 GSM chars',                        repeat('a', 307),                      3, 'GSM-7'),
    ('459 GSM chars (3 x 153)',              repeat('a', 459),                      3, 'GSM-7'),
    ('460 GSM chars',                        repeat('a', 460),                      4, 'GSM-7'),
    ('newline and CR are GSM basic',         repeat(E'a\r\n', 53) || 'a',           1, 'GSM-7'),
    ('GSM basic symbols @£$¥ÄÖÑÜ§¿äöñüà',   '@£$¥ÄÖÑÜ§¿äöñüàèéùìòØøÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ¡', 1, 'GSM-7'),
    ('{ alone',                              '{',                                   1, 'GSM-7'),
    ('EURO alone is GSM-7, not UCS-2',       '€',                                   1, 'GSM-7'),
    ('every extension char',                 E'^{}\\[~]|€\f',                       1, 'GSM-7'),
    ('80 EURO = 160 septets',                repeat('€', 80),                       1, 'GSM-7'),
    ('81 EURO = 162 septets',                repeat('€', 81),                       2, 'GSM-7'),
    ('81 { = 162 septets',                   repeat('{', 81),                       2, 'GSM-7'),
    ('158 a + { = 160 septets',              repeat('a', 158) || '{',               1, 'GSM-7'),
    ('159 a + { = 161 septets',              repeat('a', 159) || '{',               2, 'GSM-7'),
    ('escape pair never split: 152 + {{ + 152', repeat('a', 152) || '{' || repeat('a', 152), 3, 'GSM-7'),
    ('escape pair at the end of part 1: 151 + { + 153', repeat('a', 151) || '{' || repeat('a', 153), 2, 'GSM-7'),
    ('e-acute is GSM basic',                 'Café é',                              1, 'GSM-7'),
    ('e-circumflex is not GSM',              'ê',                                   1, 'UCS-2'),
    ('one e-circumflex switches 100 chars to UCS-2', repeat('a', 99) || 'ê',        2, 'UCS-2'),
    ('curly apostrophe is not GSM',          'We’re open',                          1, 'UCS-2'),
    ('backtick is not GSM',                  'a`b',                                 1, 'UCS-2'),
    ('70 UCS-2 chars',                       repeat('ж', 70),                       1, 'UCS-2'),
    ('71 UCS-2 chars',                       repeat('ж', 71),                       2, 'UCS-2'),
    ('134 UCS-2 chars (2 x 67)',             repeat('ж', 134),                      2, 'UCS-2'),
    ('135 UCS-2 chars',                      repeat('ж', 135),                      3, 'UCS-2'),
    ('ê + 69 GSM chars = 70 units',          'ê' || repeat('a', 69),                1, 'UCS-2'),
    ('ê + 70 GSM chars = 71 units',          'ê' || repeat('a', 70),                2, 'UCS-2'),
    ('one emoji',                            '😀',                                  1, 'UCS-2'),
    ('35 emoji = 70 units',                  repeat('😀', 35),                      1, 'UCS-2'),
    ('36 emoji = 72 units',                  repeat('😀', 36),                      2, 'UCS-2'),
    ('Hi 😀 + 64 = 70 units',                'Hi 😀 ' || repeat('a', 64),           1, 'UCS-2'),
    ('Hi 😀 + 65 = 71 units',                'Hi 😀 ' || repeat('a', 65),           2, 'UCS-2'),
    ('surrogate pair never split: 66 + 😀 + 66', repeat('ж', 66) || '😀' || repeat('ж', 66), 3, 'UCS-2'),
    ('surrogate pair ending part 1: 65 + 😀 + 67', repeat('ж', 65) || '😀' || repeat('ж', 67), 2, 'UCS-2'),
    ('67 emoji = 134 units, 66 per part',    repeat('😀', 67),                      3, 'UCS-2'),
    ('skin-tone emoji = 4 units',            repeat('👍🏽', 17) || 'ab',            1, 'UCS-2'),
    ('skin-tone emoji x 18 = 72 units',      repeat('👍🏽', 18),                    2, 'UCS-2'),
    ('ZWJ family = 8 units',                 repeat('👨‍👩‍👧', 8) || 'abcdef',        1, 'UCS-2'),
    ('ZWJ family x 9 = 72 units',            repeat('👨‍👩‍👧', 9),                   2, 'UCS-2'),
    ('musical symbol outside the BMP',       repeat('𝄞', 35),                      1, 'UCS-2'),
    ('EURO + e-circumflex: EURO is 1 unit in UCS-2', repeat('€', 69) || 'ê',        1, 'UCS-2');

SELECT plan((SELECT count(*)::int * 3 FROM sms_cases) + 12);

-- a price that makes the arithmetic visible
SET LOCAL smscamp.price_per_segment = '0.05';

SELECT is(smscamp_sms_segments(body), segments, 'segments: ' || label)
  FROM sms_cases ORDER BY n;
SELECT is(smscamp_sms_encoding(body), encoding, 'encoding: ' || label)
  FROM sms_cases ORDER BY n;
SELECT is(smscamp_sms_cost(body), segments * 0.05, 'cost at 0.05/segment: ' || label)
  FROM sms_cases ORDER BY n;

-- NULL in, NULL out (STRICT)
SELECT is(smscamp_sms_segments(NULL), NULL, 'segments of NULL is NULL');
SELECT is(smscamp_sms_encoding(NULL), NULL, 'encoding of NULL is NULL');
SELECT is(smscamp_sms_cost(NULL), NULL, 'cost of NULL is NULL');

-- the price is read at call time, in the session
SET LOCAL smscamp.price_per_segment = '0.0079';
SELECT is(smscamp_sms_cost(repeat('a', 307)), 0.0237, 'cost: 3 segments x 0.0079 = 0.0237');
SELECT is(smscamp_sms_cost(repeat('😀', 36)), 0.0158, 'cost: 2 UCS-2 segments x 0.0079 = 0.0158');
SET LOCAL smscamp.price_per_segment = '0';
SELECT is(smscamp_sms_cost(repeat('a', 500)), 0::numeric, 'cost is 0 when the price is 0');
SET LOCAL smscamp.price_per_segment = '1.25';
SELECT is(smscamp_sms_cost(repeat('a', 161)), 2.5, 'cost: 2 segments x 1.25 = 2.5');
SELECT is(smscamp_sms_cost(''), 0::numeric, 'an empty text costs nothing');

-- the setting is validated (a negative price is refused)
SELECT throws_ok($$SET LOCAL smscamp.price_per_segment = '-1'$$, '22023', NULL,
                 'a negative smscamp.price_per_segment is refused');
RESET smscamp.price_per_segment;
SELECT is(current_setting('smscamp.price_per_segment'), '0.0079',
          'smscamp.price_per_segment defaults to 0.0079');

-- large texts: a 1,600-character message (Twilio's limit) is counted, not refused
SELECT is(smscamp_sms_segments(repeat('a', 1600)), 11, '1600 GSM chars = 11 segments (ceil(1600/153))');
SELECT is(smscamp_sms_segments(repeat('ж', 1600)), 24, '1600 UCS-2 chars = 24 segments (ceil(1600/67))');

SELECT * FROM finish();
ROLLBACK;
