-- Sample data for a first look (make seed): a dozen leads with fictional
-- numbers (Ofcom's drama range +44 7700 900xxx, the US 555-01xx range) and a
-- draft campaign over them, without quiet hours so it runs at any hour.
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
SELECT 'Spring open day', 'Sample campaign from sql/seed.sql',
       'You are Sam from Acme. Invite the lead to our spring open day on Saturday at 10am in a short, friendly SMS.',
       70, NULL
WHERE NOT EXISTS (SELECT FROM campaigns WHERE name = 'Spring open day');

INSERT INTO campaign_leads (campaign_id, lead_id)
SELECT c.id, l.id
  FROM campaigns c
  JOIN leads l ON l.phone IN ('+447700900001', '+14155550101', '+447700900002', '+14155550102',
                              '+14155550103', '+14155550104', '+14155550105', '+447700900003',
                              '+14155550106', '+31612345678', '+14155550107', '+358401234567')
 WHERE c.name = 'Spring open day' AND c.status = 'draft'
ON CONFLICT (campaign_id, lead_id) DO NOTHING;

SELECT format('seeded: %s leads; campaign %s "Spring open day" is a draft: SELECT smscamp_start(%s) sends it',
              (SELECT count(*) FROM leads), id, id)
  FROM campaigns WHERE name = 'Spring open day';
