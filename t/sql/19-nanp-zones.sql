-- +1 (NANP) phones by area code (pg_extension/nanp_codes.c): the country and
-- time zone of smscamp_phone_country and smscamp_phone_timezone, the +1
-- entry (US, America/New_York) for area codes not listed (toll-free...).
BEGIN;
SET client_min_messages = warning;
SELECT plan(139);

-- the examples
SELECT is(smscamp_normalize_phone('+13105550123'), '+13105550123', 'a 555-01xx number is valid');
SELECT is(smscamp_phone_timezone('+12125550123'), 'America/New_York', '212 New York');
SELECT is(smscamp_phone_timezone('+13125550123'), 'America/Chicago', '312 Chicago');
SELECT is(smscamp_phone_timezone('+13035550123'), 'America/Denver', '303 Denver');
SELECT is(smscamp_phone_timezone('+16025550123'), 'America/Phoenix', '602 Phoenix (no DST)');
SELECT is(smscamp_phone_timezone('+13105550123'), 'America/Los_Angeles', '310 Los Angeles');
SELECT is(smscamp_phone_timezone('+19075550123'), 'America/Anchorage', '907 Alaska');
SELECT is(smscamp_phone_timezone('+18085550123'), 'Pacific/Honolulu', '808 Hawaii');
SELECT is(smscamp_phone_timezone('+16045550123'), 'America/Vancouver', '604 Vancouver');
SELECT is(smscamp_phone_timezone('+14165550123'), 'America/Toronto', '416 Toronto');
SELECT is(smscamp_phone_timezone('+17875550123'), 'America/Puerto_Rico', '787 Puerto Rico');
SELECT is(smscamp_phone_timezone('+1 (310) 555-0123'), 'America/Los_Angeles', 'input normalised first');

-- countries
SELECT is(smscamp_phone_country('+1 416 555 0123'), 'CA', '416 is Canada');
SELECT is(smscamp_phone_country('+1 787 555 0123'), 'PR', '787 is Puerto Rico');
SELECT is(smscamp_phone_country('+1 876 555 0123'), 'JM', '876 is Jamaica');
SELECT is(smscamp_phone_country('+1 310 555 0123'), 'US', '310 is the US');

-- one area code of each state and DC
SELECT is(smscamp_phone_timezone('+1' || npa || '5550123'), zone, st || ' ' || npa)
  FROM (VALUES ('AL', '205', 'America/Chicago'), ('AK', '907', 'America/Anchorage'),
               ('AZ', '520', 'America/Phoenix'), ('AR', '501', 'America/Chicago'),
               ('CA', '415', 'America/Los_Angeles'), ('CO', '719', 'America/Denver'),
               ('CT', '203', 'America/New_York'), ('DE', '302', 'America/New_York'),
               ('DC', '202', 'America/New_York'), ('FL', '305', 'America/New_York'),
               ('GA', '404', 'America/New_York'), ('HI', '808', 'Pacific/Honolulu'),
               ('ID', '208', 'America/Boise'), ('IL', '217', 'America/Chicago'),
               ('IN', '317', 'America/Indiana/Indianapolis'), ('IA', '515', 'America/Chicago'),
               ('KS', '316', 'America/Chicago'), ('KY', '502', 'America/Kentucky/Louisville'),
               ('LA', '504', 'America/Chicago'), ('ME', '207', 'America/New_York'),
               ('MD', '410', 'America/New_York'), ('MA', '617', 'America/New_York'),
               ('MI', '313', 'America/Detroit'), ('MN', '612', 'America/Chicago'),
               ('MS', '601', 'America/Chicago'), ('MO', '314', 'America/Chicago'),
               ('MT', '406', 'America/Denver'), ('NE', '402', 'America/Chicago'),
               ('NV', '702', 'America/Los_Angeles'), ('NH', '603', 'America/New_York'),
               ('NJ', '201', 'America/New_York'), ('NM', '505', 'America/Denver'),
               ('NY', '518', 'America/New_York'), ('NC', '919', 'America/New_York'),
               ('ND', '701', 'America/Chicago'), ('OH', '614', 'America/New_York'),
               ('OK', '405', 'America/Chicago'), ('OR', '503', 'America/Los_Angeles'),
               ('PA', '215', 'America/New_York'), ('RI', '401', 'America/New_York'),
               ('SC', '803', 'America/New_York'), ('SD', '605', 'America/Chicago'),
               ('TN', '615', 'America/Chicago'), ('TX', '214', 'America/Chicago'),
               ('UT', '801', 'America/Denver'), ('VT', '802', 'America/New_York'),
               ('VA', '804', 'America/New_York'), ('WA', '206', 'America/Los_Angeles'),
               ('WV', '304', 'America/New_York'), ('WI', '414', 'America/Chicago'),
               ('WY', '307', 'America/Denver')) AS v(st, npa, zone);

-- area codes split between zones: the zone of most subscribers
SELECT is(smscamp_phone_timezone('+1' || npa || '5550123'), zone, npa || ' ' || what)
  FROM (VALUES ('850', 'America/Chicago', 'Florida panhandle (Pensacola)'),
               ('915', 'America/Denver', 'El Paso'),
               ('423', 'America/New_York', 'east Tennessee (Chattanooga)'),
               ('901', 'America/Chicago', 'west Tennessee (Memphis)'),
               ('219', 'America/Chicago', 'northwest Indiana (Gary)'),
               ('812', 'America/Indiana/Indianapolis', 'southern Indiana'),
               ('270', 'America/Chicago', 'western Kentucky'),
               ('859', 'America/New_York', 'Lexington'),
               ('541', 'America/Los_Angeles', 'Oregon outside Portland'),
               ('308', 'America/Chicago', 'western Nebraska'),
               ('620', 'America/Chicago', 'southern Kansas'),
               ('906', 'America/Detroit', 'Upper Peninsula'),
               ('928', 'America/Phoenix', 'northern Arizona'),
               ('986', 'America/Boise', 'Idaho overlay'),
               ('807', 'America/Toronto', 'northwestern Ontario')) AS v(npa, zone, what);

-- Canada: each province, the territories, recent overlays
SELECT is(smscamp_phone_country(p) || ' ' || smscamp_phone_timezone(p), expected, what)
  FROM (VALUES ('+12505550123', 'CA America/Vancouver', 'BC 250'),
               ('+14035550123', 'CA America/Edmonton', 'AB 403'),
               ('+17805550123', 'CA America/Edmonton', 'AB 780'),
               ('+13065550123', 'CA America/Regina', 'SK 306 (CST all year)'),
               ('+12045550123', 'CA America/Winnipeg', 'MB 204'),
               ('+16135550123', 'CA America/Toronto', 'ON 613'),
               ('+15145550123', 'CA America/Toronto', 'QC 514'),
               ('+14185550123', 'CA America/Toronto', 'QC 418'),
               ('+15065550123', 'CA America/Moncton', 'NB 506'),
               ('+19025550123', 'CA America/Halifax', 'NS 902'),
               ('+17825550123', 'CA America/Halifax', 'PE 782'),
               ('+17095550123', 'CA America/St_Johns', 'NL 709'),
               ('+18675550123', 'CA America/Whitehorse', 'YT/NT/NU 867'),
               ('+13685550123', 'CA America/Edmonton', 'AB overlay 368'),
               ('+19425550123', 'CA America/Toronto', 'ON overlay 942'),
               ('+12635550123', 'CA America/Toronto', 'QC overlay 263'),
               ('+12575550123', 'CA America/Vancouver', 'BC overlay 257'),
               ('+14745550123', 'CA America/Regina', 'SK overlay 474'),
               ('+15845550123', 'CA America/Winnipeg', 'MB overlay 584'),
               ('+14285550123', 'CA America/Moncton', 'NB overlay 428'),
               ('+18795550123', 'CA America/St_Johns', 'NL overlay 879')) AS v(p, expected, what);
SELECT is((SELECT array_agg(npa ORDER BY npa) FROM unnest(ARRAY[
              204, 226, 236, 249, 250, 257, 263, 289, 306, 343, 354, 365, 367, 368,
              382, 403, 416, 418, 428, 431, 437, 438, 450, 468, 474, 506, 514, 519,
              548, 579, 581, 584, 587, 604, 613, 639, 647, 672, 683, 705, 709, 742,
              753, 778, 780, 782, 807, 819, 825, 867, 873, 879, 902, 905, 942]) AS npa
            WHERE smscamp_phone_country('+1' || npa || '5550123') IS DISTINCT FROM 'CA'),
          NULL, 'every Canadian area code is CA');

-- US territories and the Caribbean
SELECT is(smscamp_phone_country(p) || ' ' || smscamp_phone_timezone(p), expected, what)
  FROM (VALUES ('+13405550123', 'VI America/St_Thomas', 'US Virgin Islands'),
               ('+16705550123', 'MP Pacific/Saipan', 'Northern Marianas'),
               ('+16715550123', 'GU Pacific/Guam', 'Guam'),
               ('+16845550123', 'AS Pacific/Pago_Pago', 'American Samoa'),
               ('+19395550123', 'PR America/Puerto_Rico', 'Puerto Rico 939'),
               ('+12425550123', 'BS America/Nassau', 'Bahamas'),
               ('+12465550123', 'BB America/Barbados', 'Barbados'),
               ('+12645550123', 'AI America/Anguilla', 'Anguilla'),
               ('+12685550123', 'AG America/Antigua', 'Antigua and Barbuda'),
               ('+12845550123', 'VG America/Tortola', 'British Virgin Islands'),
               ('+13455550123', 'KY America/Cayman', 'Cayman Islands'),
               ('+14415550123', 'BM Atlantic/Bermuda', 'Bermuda'),
               ('+14735550123', 'GD America/Grenada', 'Grenada'),
               ('+16495550123', 'TC America/Grand_Turk', 'Turks and Caicos'),
               ('+16585550123', 'JM America/Jamaica', 'Jamaica 658'),
               ('+18765550123', 'JM America/Jamaica', 'Jamaica 876'),
               ('+16645550123', 'MS America/Montserrat', 'Montserrat'),
               ('+17215550123', 'SX America/Lower_Princes', 'Sint Maarten'),
               ('+17585550123', 'LC America/St_Lucia', 'Saint Lucia'),
               ('+17675550123', 'DM America/Dominica', 'Dominica'),
               ('+17845550123', 'VC America/St_Vincent', 'Saint Vincent'),
               ('+18095550123', 'DO America/Santo_Domingo', 'Dominican Republic 809'),
               ('+18295550123', 'DO America/Santo_Domingo', 'Dominican Republic 829'),
               ('+18495550123', 'DO America/Santo_Domingo', 'Dominican Republic 849'),
               ('+18685550123', 'TT America/Port_of_Spain', 'Trinidad and Tobago'),
               ('+18695550123', 'KN America/St_Kitts', 'Saint Kitts and Nevis')) AS v(p, expected, what);

-- not listed (toll-free, non-geographic): the +1 entry
SELECT is(smscamp_phone_timezone('+1 800 555 0123'), 'America/New_York', 'toll-free 800: the +1 zone');
SELECT is(smscamp_phone_country('+1 800 555 0123'), 'US', 'toll-free 800: US');
SELECT is(smscamp_phone_timezone('+1 900 555 0123'), 'America/New_York', '900: the +1 zone');

-- a national number with smscamp.default_country = 1
SET LOCAL smscamp.default_country = '1';
SELECT is(smscamp_phone_timezone('(310) 555-0123'), 'America/Los_Angeles', 'default country 1: by area code');
SELECT is(smscamp_phone_country('1 416 555 0123'), 'CA', 'default country 1, trunk 1: Canada');
SET LOCAL smscamp.default_country = '';

-- the whole table, through every area code 200-999
SELECT is((SELECT count(*) FROM generate_series(200, 999) g
            WHERE smscamp_phone_timezone('+1' || g || '5550123') IS NOT NULL
              AND NOT EXISTS (SELECT 1 FROM pg_timezone_names
                               WHERE name = smscamp_phone_timezone('+1' || g || '5550123'))),
          0::bigint, 'every zone exists');
-- Eastern US area codes answer what the +1 entry does: count the others
SELECT cmp_ok((SELECT count(*) FROM generate_series(200, 999) g
                WHERE (smscamp_phone_country('+1' || g || '5550123'),
                       smscamp_phone_timezone('+1' || g || '5550123'))
                      IS DISTINCT FROM ('US', 'America/New_York')),
              '>', 280::bigint, 'over 280 area codes answer other than the +1 entry');
SELECT is((SELECT count(DISTINCT smscamp_phone_country('+1' || g || '5550123'))
             FROM generate_series(200, 999) g), 25::bigint,
          '25 countries share +1');
SELECT is((SELECT count(*) FROM generate_series(200, 999) g
            WHERE smscamp_phone_timezone('+1' || g || '5550123') !~ '^(America|Pacific|Atlantic)/'),
          0::bigint, 'America/, Pacific/ or Atlantic/ zones only');

SELECT * FROM finish();
ROLLBACK;
