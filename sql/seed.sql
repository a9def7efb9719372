-- Sample data for a first look (make seed): a dozen leads with fictional
-- numbers (Ofcom's drama range +44 7700 900xxx, the US 555-01xx range) and a
-- two draft campaigns over them, without quiet hours so they run at any hour:
-- one written by the built-in writer from plain instructions, one from a
-- message template.
-- Safe to load twice: nothing is duplicated.

INSERT INTO leads (name, phone, email, company, notes) VALUES
    ('Ada Lovelace',      '+447700900001', 'ada@example.com',      'Analytical Engines', 'Met at the London meetup'),
    ('Grace Hopper',      '+14155550101',  'grace@example.com',    'Compiler Works',     'Asked about volume pricing'),
    ('Alan Turing',       '+447700900002', 'alan@example.com',     'Bletchley Labs',     NULL),
    ('Katherine Johnson', '+14155550102',  'katherine@example.com','Orbital Math',       'Prefers SMS to e-mail'),
    ('Margaret Hamilton', '+14155550103',  'margaret@example.com', 'Apollo Software',    NULL),
    ('Dennis Ritchie',    '+14155550104',  'dennis@example.com',   'Bell Systems',       'Trial ends next week'),
    ('Barbara Liskov',    '+14155550105',  'barbara@example.com',  'Substitution Inc',   NULL),
    ('Tim Berners-Lee',   '+447700900003', 'tim@example.com',      'Hypertext Ltd',      NULL),
    ('Frances Allen',     '+14155550106',  'frances@example.com',  'Optimizing Co',      'Came from the webinar'),
    ('Edsger Dijkstra',   '+31612345678',  'edsger@example.com',   'Shortest Path BV',   NULL),
    ('Radia Perlman',     '+14155550107',  'radia@example.com',    'Spanning Tree LLC',  NULL),
    ('Linus Torvalds',    '+358401234567', 'linus@example.com',    'Kernel Oy',          NULL)
ON CONFLICT (phone) DO NOTHING;

INSERT INTO campaigns (name, description, sms_system_prompt, sms_temperature, send_window)
SELECT 'Spring open day', 'Sample campaign from sql/seed.sql: the built-in writer, from instructions',
       'You are Sam from Acme. Invite the lead to our spring open day on Saturday at 10am in a short, '
       'friendly SMS. Ask them to reply YES to save a place.',
       70, NULL
WHERE NOT EXISTS (SELECT FROM campaigns WHERE name = 'Spring open day');

INSERT INTO campaigns (name, description, sms_template, sender_name, send_window)
SELECT 'Trial ending', 'Sample campaign from sql/seed.sql: a message template',
       'Hi {first_name}, it''s {sender_name}. Your trial for {company|your team} ends next week - '
       'reply CALL and we''ll set up 15 minutes to get you started.',
       'Priya from Acme', NULL
WHERE NOT EXISTS (SELECT FROM campaigns WHERE name = 'Trial ending');

INSERT INTO campaign_leads (campaign_id, lead_id)
SELECT c.id, l.id
  FROM campaigns c
  JOIN leads l ON l.phone IN ('+447700900001', '+14155550101', '+447700900002', '+14155550102',
                              '+14155550103', '+14155550104', '+14155550105', '+447700900003',
                              '+14155550106', '+31612345678', '+14155550107', '+358401234567')
 WHERE c.name IN ('Spring open day', 'Trial ending') AND c.status = 'draft'
 -- in the leads' order, whatever plan the join gets (on a big table: the phone index, so
 -- Grace before Ada): a campaign's first lead is Ada, the one its preview shows
 ORDER BY c.id, l.id
ON CONFLICT (campaign_id, lead_id) DO NOTHING;

SELECT format('seeded: %s leads; campaigns %s are drafts: SELECT smscamp_start(id) sends one',
              (SELECT count(*) FROM leads),
              (SELECT string_agg(format('%s "%s"', id, name), ', ' ORDER BY id) FROM campaigns
                WHERE name IN ('Spring open day', 'Trial ending')));
