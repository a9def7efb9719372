-- The built-in writer against prompts that real users write (issue 11): for each prompt,
-- properties of what it writes, or a clear refusal.  Every prompt is written for two leads
-- (one with a company, one without) at temperatures 0 and 150; each message must
--   * send no instruction: no sentence starting "You write", "Greet", "Mention", "Keep",
--     "Plain text", "You are", "Write", "Use", "Be ", "Make sure", "Avoid", "Include", ...;
--   * speak to the lead: no "they/them/their", "the lead", "the customer";
--   * greet by first name without a capital after "Hi X," ("Hi Ada, it's ...");
--   * name the sender when the prompt gives one, and carry the offer and the time;
--   * fit smscamp.max_segments and carry the opt-out footer exactly once;
-- and a prompt it cannot turn into a message is refused, saying which words it did not
-- understand.  A larger held-out set is kept outside the repository: the writer must
-- generalise, not memorise this table.
BEGIN;
SET LOCAL smscamp.openai_api_key = '';
SET LOCAL smscamp.max_segments = 2;
SET LOCAL smscamp.optout_footer = 'Reply STOP to opt out';

CREATE TEMP TABLE prompts (
    n integer PRIMARY KEY,
    kind text NOT NULL,             -- what it is for
    prompt text NOT NULL,
    expect text NOT NULL CHECK (expect IN ('message', 'refuse')),
    sender text[],                  -- words that must appear (the sender)
    facts text[]                    -- words that must appear (offer, time, place, link)
);

INSERT INTO prompts VALUES
-- sales and demos
(1, 'sales', 'You write short, friendly SMS messages for our sales team. Greet the lead by first name, mention their company when you know it, and invite them to reply to book a 15-minute call. Plain text, no emojis, one message.', 'message', NULL, '{15-minute call}'),
(2, 'sales', 'You are Sam from Acme. Invite them to our product demo on Friday at 3pm.', 'message', '{Sam,Acme}', '{product demo,Friday,3pm}'),
(3, 'sales', 'You are Sam from Acme. Invite them to our product demo on Friday at 3pm and ask them to reply YES to save a seat.', 'message', '{Sam,Acme}', '{product demo,Friday,3pm,YES}'),
(4, 'sales', 'Introduce our new invoicing app to small business owners and offer a free 30-day trial. Sender: Priya, Ledgerly.', 'message', '{Priya,Ledgerly}', '{invoicing app,30-day trial}'),
(5, 'sales', 'I''m Marco from Brightline Solar. Ask if they would like a free quote for solar panels this month.', 'message', '{Marco,Brightline Solar}', '{free quote,solar panels}'),
(6, 'sales', 'Write a short friendly SMS inviting the lead to a live walkthrough of our scheduling tool next Tuesday at 11am.', 'message', NULL, '{walkthrough,next Tuesday,11am}'),
(7, 'sales', 'We help dental clinics cut no-shows by 40%. Ask whether they are free for a 10-minute chat this week. - Nadia, ChairFull', 'message', '{Nadia,ChairFull}', '{40%,10-minute chat}'),
(8, 'sales', 'Follow up with leads who downloaded our pricing guide and offer a quick call with an account manager.', 'message', NULL, '{pricing guide,call with an account manager}'),
(9, 'sales', 'You are a friendly assistant for Zen Yoga. Tell them our new beginner class starts Monday at 6pm and the first session is free.', 'message', '{Zen Yoga}', '{beginner class,Monday,6pm,free}'),
(10, 'sales', 'Tell them about our new brochure and ask if they want a copy.', 'message', NULL, '{brochure}'),
-- reminders and appointments
(11, 'reminder', 'Remind the lead their trial ends next week and offer a call.', 'message', NULL, '{trial ends next week,call}'),
(12, 'reminder', 'You are Priya from BrightSmile Dental. Remind the patient that their check-up is tomorrow at 10:30am. Ask them to call 020 7946 0321 if they need to reschedule. Be warm but professional.', 'message', '{Priya,BrightSmile Dental}', '{check-up,tomorrow,10:30am,020 7946 0321}'),
(13, 'reminder', 'Remind clients of their appointment on Saturday at 11am with Jess. Ask them to reply C to confirm.', 'message', NULL, '{appointment,Saturday,11am,Jess,reply C}'),
(14, 'reminder', 'Reminder: your car service is booked for Thursday 9am at QuickFit, 12 Mill Road. Reply Y to confirm.', 'message', NULL, '{car service,Thursday 9am,12 Mill Road}'),
(15, 'reminder', 'Politely remind the customer that invoice INV-2291 for £350 was due on 10 June. They can pay at pay.brightledger.com.', 'message', NULL, '{INV-2291,£350,10 June,pay.brightledger.com}'),
(16, 'reminder', 'Send a reminder that the farmers market returns to the town square this Sunday, 8am to 1pm.', 'message', NULL, '{farmers market,Sunday,8am to 1pm}'),
(17, 'reminder', 'Let them know their 14-day free trial of Pulse ends in 3 days. Upgrade at pulse.io/upgrade to keep their dashboards.', 'message', NULL, '{14-day free trial,3 days,pulse.io/upgrade}'),
(18, 'reminder', 'Appointment reminder for Bright Eyes Optometry
- Date: Thursday 9 Oct
- Time: 11:20am
- Bring your current glasses', 'message', '{Bright Eyes Optometry}', '{appointment,Thursday 9 Oct,11:20am,glasses}'),
(19, 'reminder', 'dental reminder - appt tomorrow 9am with Dr Patel. reply C to confirm or R to reschedule', 'message', NULL, '{tomorrow 9am,Dr Patel}'),
(20, 'reminder', 'Remind the customer that their home insurance renews on 1 April. They can review their cover by calling 0345 600 7000.', 'message', NULL, '{home insurance,1 April,0345 600 7000}'),
-- events
(21, 'event', 'Invite them to our spring open day on Saturday.', 'message', NULL, '{spring open day,Saturday}'),
(22, 'event', 'We are opening a new store in Leeds on 3 May! Invite them to the opening party at 6pm.', 'message', NULL, '{Leeds,3 May,opening party,6pm}'),
(23, 'event', 'Invite VIP customers to our launch party for the Aurora collection on Thursday at 7pm. RSVP by replying with the number of guests.', 'message', NULL, '{launch party,Aurora,Thursday,7pm,RSVP}'),
(24, 'event', 'Our charity fun run is on 21 September in Victoria Park. Sign up for £15 and get a free t-shirt. Sign off as the Sunbeam Hospice team.', 'message', '{Sunbeam Hospice}', '{fun run,21 September,Victoria Park,£15}'),
(25, 'event', 'Invite them to our free webinar on email marketing on Thursday 12 June at 1pm. Link: https://evt.example.com/em25', 'message', NULL, '{webinar,12 June,1pm,https://evt.example.com/em25}'),
(26, 'event', 'You are Kenji, manager at Sakura Sushi. Invite them to try our new omakase menu this weekend. £45 per person. Reply to book. Elegant tone.', 'message', '{Kenji,Sakura Sushi}', '{omakase menu,this weekend,£45}'),
(27, 'event', 'Parents evening is on Wed 12 Nov, 4-7pm. Book a slot with your child''s teacher on the school app. - Hillcrest Academy', 'message', '{Hillcrest Academy}', '{Parents evening,12 Nov,4-7pm}'),
(28, 'event', 'Event: tasting evening at Cellar Door Wines
When: 4 December
Where: our Bath shop', 'message', NULL, '{tasting evening,4 December,Bath shop}'),
-- win-back and offers
(29, 'winback', 'We miss you! Offer lapsed customers 25% off their next order with code COMEBACK25. From the team at Bean & Brew.', 'message', '{Bean & Brew}', '{25% off,COMEBACK25}'),
(30, 'winback', 'Tell them we''d love to have them back and they can get 3 months for the price of 1 if they rejoin by Sunday.', 'message', NULL, '{3 months for the price of 1,Sunday}'),
(31, 'winback', 'Its been a while since they shopped with us. Give them a free delivery voucher, code FREESHIP, on orders over $40.', 'message', NULL, '{free delivery,FREESHIP,$40}'),
(32, 'winback', 'Text customers who haven''t visited in 2 months and offer £5 off their next cut with code FRESH5.', 'message', NULL, '{£5 off,FRESH5}'),
(33, 'offer', 'Offer: 40% off all outdoor furniture this weekend only, in store and online at gardenworld.co.uk', 'message', NULL, '{40% off,outdoor furniture,this weekend,gardenworld.co.uk}'),
(34, 'offer', 'Happy hour is 5-7pm every weekday with half price cocktails. - The Anchor', 'message', '{The Anchor}', '{5-7pm,half price cocktails}'),
(35, 'offer', 'Mother''s Day is Sunday 30 March. We''ve got a set menu at £32 and still a few tables left. Ask if they''d like us to hold one.', 'message', NULL, '{Mother''s Day,30 March,£32}'),
-- appointments, deliveries, payments
(36, 'delivery', 'Let the customer know their order #48213 has shipped and should arrive Tuesday. Track it at track.parcelgo.com/48213.', 'message', NULL, '{#48213,Tuesday,track.parcelgo.com/48213}'),
(37, 'delivery', 'Delivery notice: driver arriving between 2pm and 4pm today. Someone needs to be home to sign. From FastFreight.', 'message', '{FastFreight}', '{2pm and 4pm}'),
(38, 'delivery', 'we couldn''t deliver their parcel today. they can rebook or pick it up from the depot at Unit 4, Mill Lane after 5pm tomorrow', 'message', NULL, '{parcel,Unit 4,Mill Lane,5pm tomorrow}'),
(39, 'payment', 'You are Gary from Westside Property Management. Rent of $1,250 is 3 days late. Ask them to pay today or contact the office.', 'message', '{Gary,Westside Property Management}', '{$1,250,3 days late}'),
(40, 'repair', 'You are Mike from QuickFit Auto. The customer''s car is ready for collection. Total is £184.50. We''re open until 5:30pm.', 'message', '{Mike,QuickFit Auto}', '{ready for collection,£184.50,5:30pm}'),
-- thank-yous and feedback
(41, 'thanks', 'Thank the customer for their order and let them know it ships on Monday.', 'message', NULL, '{order,Monday}'),
(42, 'thanks', 'Thank the customer for their purchase of the Nimbus running shoes and share a 10% code for next time: THANKS10.', 'message', NULL, '{Nimbus running shoes,THANKS10}'),
(43, 'thanks', 'You are Rosa, owner of Rosa''s Bakery. Write a heartfelt thank-you to customers who ordered a wedding cake from us. Ask them to leave a review at g.page/rosasbakery/review.', 'message', '{Rosa}', '{wedding cake,g.page/rosasbakery/review}'),
(44, 'thanks', 'Text donors: we hit our £50,000 target! Thank them sincerely, no ask this time.', 'message', NULL, '{£50,000}'),
(45, 'feedback', 'Feedback request after a plumbing job by Drip Doctors. Ask for a quick Google review: https://g.co/kgs/dripdoc. Keep it casual.', 'message', '{Drip Doctors}', '{review,https://g.co/kgs/dripdoc}'),
(46, 'feedback', 'We''d love to hear what you thought of your recent order. Take our 2-minute survey at survey.example.com/s/482.', 'message', NULL, '{2-minute survey,survey.example.com/s/482}'),
-- templates written as the prompt, quoted messages, headings
(47, 'quoted', 'Say "Doors open at 9am on Saturday for our summer sale."', 'message', NULL, '{9am,Saturday,summer sale}'),
(48, 'label', 'Sender: Tom, Oak Realty
Offer: a free valuation of your home this month
CTA: reply VALUE to book', 'message', '{Tom,Oak Realty}', '{free valuation,VALUE}'),
(49, 'heading', 'Interview confirmation: Monday 10am, 2nd floor, 45 Queen Street. Bring photo ID. - Harper Recruitment', 'message', '{Harper Recruitment}', '{interview,Monday 10am,45 Queen Street,photo ID}'),
(50, 'school', 'You are the office at St Mary''s Primary. Remind parents that school closes early at 1:30pm on Friday for staff training.', 'message', '{St Mary''s Primary}', '{1:30pm,Friday}'),
(51, 'charity', 'You are Tom from Hope Water. Thank supporters for their donation last year and ask if they''d consider giving £10 this month. Link: hopewater.org/give', 'message', '{Tom,Hope Water}', '{£10,hopewater.org/give}'),
(52, 'recruiting', 'You are Nina, a recruiter at TalentBridge. Reach out about a Senior React Developer role, fully remote. Ask if they''re open to a quick chat this week.', 'message', '{Nina,TalentBridge}', '{Senior React Developer,quick chat}'),
(53, 'gym', 'Write a text to trial users who haven''t logged in yet, encouraging them to try the import feature before the trial expires on Friday.', 'message', NULL, '{import feature,Friday}'),
(54, 'real estate', 'Let the homeowner know we''ve had an offer of $612,000 on their property and ask them to call Rachel at Summit Homes on 555-0143.', 'message', NULL, '{$612,000,555-0143}'),
(55, 'restaurant', 'We''re Luigi''s Trattoria. Tell them about our new Tuesday pasta night: any pasta and a glass of wine for £15. Book at luigis.co.uk.', 'message', '{Luigi''s Trattoria}', '{pasta night,£15,luigis.co.uk}'),
-- what it must refuse
(56, 'hopeless', 'Write something good', 'refuse', NULL, NULL),
(57, 'hopeless', 'Make them buy', 'refuse', NULL, NULL),
(58, 'hopeless', 'Use your judgement based on their notes.', 'refuse', NULL, NULL),
(59, 'hopeless', 'Personalise the message based on what you know about them.', 'refuse', NULL, NULL),
(60, 'hopeless', 'Be warm but professional and sound like a human, not a bot.', 'refuse', NULL, NULL),
(61, 'hopeless', 'Keep it short. No emojis. Under 160 characters.', 'refuse', NULL, NULL),
(62, 'hopeless', 'Translate our last newsletter into an SMS.', 'refuse', NULL, NULL),
(63, 'hopeless', 'Respond to their complaint appropriately.', 'refuse', NULL, NULL),
(64, 'hopeless', 'Envía un recordatorio amable a cada cliente sobre su cita de mañana a las 10.', 'refuse', NULL, NULL),
(65, 'hopeless', 'Greet {first_name} and mention {company} in a friendly way.', 'refuse', NULL, NULL),
(66, 'hopeless', 'Write an engaging, creative message that drives conversions for our Q3 campaign.', 'refuse', NULL, NULL),
(67, 'hopeless', '', 'refuse', NULL, NULL);

-- the leads: with a company, and without one (and an accented name)
CREATE TEMP TABLE eval_leads (li integer, name text, company text);
INSERT INTO eval_leads VALUES (1, 'Ada Lovelace', 'Analytical Engines'), (2, 'Bo Zhang', NULL);

CREATE TEMP TABLE written AS
SELECT p.n, p.kind, p.expect, p.sender, p.facts, l.li, t.temp,
       smscamp_preview(jsonb_build_object(
           'id', 0, 'campaign_id', 9000 + p.n, 'lead_id', l.li, 'name', l.name,
           'phone', '+447700900' || (100 + l.li), 'company', l.company,
           'sms_system_prompt', nullif(p.prompt, ''), 'sms_temperature', t.temp)) AS r
  FROM prompts p, eval_leads l, (VALUES (0), (150)) AS t(temp);

SELECT plan((SELECT count(*)::int FROM prompts) * 2 + 8);

-- what it must write, it writes, with every property; what it must refuse, it refuses
SELECT is(coalesce(string_agg(format('lead %s, temperature %s: %s', w.li, w.temp,
                                     coalesce(w.r ->> 'message', 'NOTHING: ' || (w.r ->> 'error'))),
                              '; ') FILTER (WHERE problem IS NOT NULL), ''),
          '', format('#%s %s: %s', p.n, p.kind, left(replace(p.prompt, E'\n', ' '), 70)))
  FROM prompts p
  JOIN written w ON w.n = p.n
  CROSS JOIN LATERAL (SELECT CASE
      WHEN p.expect = 'refuse' THEN
          CASE WHEN w.r ->> 'message' IS NOT NULL THEN 'sent a message it should have refused' END
      WHEN w.r ->> 'message' IS NULL THEN 'refused'
      WHEN EXISTS (SELECT FROM regexp_split_to_table(w.r ->> 'message', '(?<=[.!?])\s+') AS s
                    WHERE s ~* '^(you write|you are|greet|mention|keep|plain text|write|use (a|an|their|the|his|her)\M|be |make sure|avoid|include|personali[sz]e|sign off|do not|don''t use|no emojis)')
          THEN 'an instruction was sent'
      WHEN w.r ->> 'message' ~* '\m(they|them|their|theirs|the lead|the customer|the patient|the client)\M'
          THEN 'speaks of the lead, not to them'
      WHEN w.r ->> 'message' !~ ('^(Hi|Hello) ' || split_part((SELECT name FROM eval_leads WHERE li = w.li), ' ', 1) || '[,!] ')
          THEN 'not greeted by first name'
      WHEN w.r ->> 'message' ~ '^(Hi|Hello) [^,!]+, [A-Z]' AND w.r ->> 'message' !~ '^(Hi|Hello) [^,!]+, I\M'
          THEN 'a capital after "Hi X,"'
      WHEN EXISTS (SELECT FROM unnest(p.sender) AS x WHERE position(lower(x) IN lower(w.r ->> 'message')) = 0)
          THEN 'the sender is missing'
      WHEN EXISTS (SELECT FROM unnest(p.facts) AS x WHERE position(lower(x) IN lower(w.r ->> 'message')) = 0)
          THEN 'a fact is missing: ' || (SELECT string_agg(x, ', ') FROM unnest(p.facts) AS x
                                          WHERE position(lower(x) IN lower(w.r ->> 'message')) = 0)
      WHEN smscamp_sms_segments(w.r ->> 'message') > 2 THEN 'longer than smscamp.max_segments'
      WHEN (SELECT count(*) FROM regexp_matches(w.r ->> 'message', 'Reply STOP to opt out', 'g')) <> 1
           OR w.r ->> 'message' !~ 'Reply STOP to opt out$'
          THEN 'the footer is not there once, at the end'
      WHEN w.r ->> 'message' ~ '[{}\[\]<>]' THEN 'a placeholder is left'
  END AS problem) AS x
 GROUP BY p.n, p.kind, p.prompt
 ORDER BY p.n;

-- a refusal says which words it did not understand, or why there is nothing to say
SELECT ok(bool_and(w.r ->> 'error' ~ '^The built-in writer could not write a message from the prompt: ')
          AND bool_and((w.r ->> 'final')::boolean),
          format('#%s refused, saying why: %s', p.n, min(w.r ->> 'error')))
  FROM prompts p JOIN written w ON w.n = p.n
 WHERE p.expect = 'refuse'
 GROUP BY p.n ORDER BY p.n;
SELECT ok(true, format('#%s (a message: checked above)', p.n))
  FROM prompts p WHERE p.expect = 'message' ORDER BY p.n;

-- the refusal names the words
SELECT matches((SELECT w.r ->> 'error' FROM written w WHERE w.n = 57 AND w.li = 1 AND w.temp = 0),
               'did not understand "Make them buy"', 'a refusal quotes the words it did not understand');
SELECT matches((SELECT w.r ->> 'error' FROM written w WHERE w.n = 61 AND w.li = 1 AND w.temp = 0),
               'says how to write but not what', 'a prompt of style only: says it has nothing to say');
SELECT matches((SELECT w.r ->> 'error' FROM written w WHERE w.n = 64 AND w.li = 1 AND w.temp = 0),
               'does not read as English', 'a prompt in another language: says so');

-- temperature 0 always gives the same words; higher temperatures vary them, per lead
SELECT is((SELECT count(DISTINCT regexp_replace(w.r ->> 'message', '^Hi \S+,', ''))::int
             FROM written w JOIN prompts p ON p.n = w.n
            WHERE w.n = 21 AND w.temp = 0 AND w.li = 2), 1,
          'temperature 0: one wording');
SELECT is(smscamp_preview(jsonb_build_object('id', 0, 'campaign_id', 5, 'lead_id', 77, 'name', 'Ada Lovelace',
              'phone', '+447700900111', 'sms_system_prompt', 'Invite them to our spring open day on Saturday.',
              'sms_temperature', 150)) ->> 'message',
          smscamp_preview(jsonb_build_object('id', 0, 'campaign_id', 5, 'lead_id', 77, 'name', 'Ada Lovelace',
              'phone', '+447700900111', 'sms_system_prompt', 'Invite them to our spring open day on Saturday.',
              'sms_temperature', 150)) ->> 'message',
          'the same lead at the same temperature: the same message (a preview shows what is sent)');
SELECT cmp_ok((SELECT count(DISTINCT regexp_replace(
                   smscamp_preview(jsonb_build_object('id', 0, 'campaign_id', 5, 'lead_id', g, 'name', 'Ada Lovelace',
                       'phone', '+447700900111', 'company', 'Analytical Engines',
                       'sms_system_prompt', 'You are Sam from Acme. Invite them to our product demo on Friday at 3pm.',
                       'sms_temperature', 200)) ->> 'message', '^\S+ Ada,', ''))::int
                 FROM generate_series(1, 40) g), '>=', 3,
              'temperature 2.00: leads get different equivalent phrasings');
SELECT is((SELECT count(DISTINCT smscamp_preview(jsonb_build_object('id', 0, 'campaign_id', 5, 'lead_id', g,
                       'name', 'Ada Lovelace', 'phone', '+447700900111', 'company', 'Analytical Engines',
                       'sms_system_prompt', 'You are Sam from Acme. Invite them to our product demo on Friday at 3pm.',
                       'sms_temperature', 0)) ->> 'message')::int
             FROM generate_series(1, 40) g), 1,
          'temperature 0: every lead gets the same phrasing');

-- the company is used, and the lead's name folded only when the message would not fit
SELECT matches((SELECT w.r ->> 'message' FROM written w WHERE w.n = 2 AND w.li = 1 AND w.temp = 0),
               'Analytical Engines', 'a sales message mentions the lead''s company');

SELECT * FROM finish();
ROLLBACK;
