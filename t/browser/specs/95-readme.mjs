// The README's screenshots: the sample campaign of sql/seed.sql (the built-in writer, from plain
// instructions) sent to people with real-looking names, then its page and the dashboard.
// They are written as readme-campaign-detail.png and readme-dashboard.png in the artifacts
// folder; copy them to t/browser/screenshots/ to update the README.

import { COMPLETE_TIMEOUT, a11y, apiGet, apiSend, assert, goto, page, phone, settle, shot, step } from '../lib.mjs';

const PEOPLE = [
  ['Ada Lovelace', 'Analytical Engines', 'Met at the London meetup'],
  ['Grace Hopper', 'Compiler Works', 'Asked about volume pricing'],
  ['Alan Turing', 'Bletchley Labs', null],
  ['Katherine Johnson', 'Orbital Math', 'Prefers SMS to e-mail'],
  ['Margaret Hamilton', 'Apollo Software', null],
  ['Dennis Ritchie', null, 'Trial ends next week'],
];

export default async function (shared) {
  let path = null;

  await step('README: the sample campaign, written by the built-in writer, sent to six people', async () => {
    const ids = [];
    for (const [name, company, notes] of PEOPLE) {
      const r = await apiSend('POST', '/api/leads', { name, phone: phone(), company, notes });
      assert(r.status === 201, `lead ${name}: ${r.status} ${JSON.stringify(r.body)}`);
      ids.push(r.body.id);
    }
    const c = await apiSend('POST', '/api/campaigns', {
      name: 'Spring open day',
      description: 'The sample campaign of make seed: the built-in writer, from plain instructions',
      sms_system_prompt:
        'You are Sam from Acme. Invite the lead to our spring open day on Saturday at 10am in a short, ' +
        'friendly SMS. Ask them to reply YES to save a place.',
      sms_temperature: 70,
      send_window: null,
      messages_per_second: 2,
      lead_ids: ids,
    });
    assert(c.status === 201, `campaign: ${c.status} ${JSON.stringify(c.body)}`);
    shared.readmeCampaign = c.body.id;
    path = `/campaigns/${c.body.id}`;
    const s = await apiSend('POST', `/api/campaigns/${c.body.id}/start`);
    assert(s.status === 202, `start: ${s.status} ${JSON.stringify(s.body)}`);
    await goto(path);
    await page.locator('[data-testid=campaign-status][data-status=completed]').waitFor({ timeout: COMPLETE_TIMEOUT });
    await page.getByTestId('progress-text').filter({ hasText: '6 of 6 processed' }).waitFor();
    const messages = await page.getByTestId('lead-message').allTextContents();
    assert(messages.length === PEOPLE.length, `${messages.length} messages shown`);
    for (const [name] of PEOPLE) {
      const first = name.split(' ')[0];
      assert(messages.some((m) => (m.startsWith(`Hi ${first}, `) || m.startsWith(`Hello ${first}, `)) && /Sam from Acme/.test(m) && /Saturday at 10am/.test(m)),
        `a message greets ${first} (Hi or Hello: the temperature varies the words), names Sam from Acme and says when: ${JSON.stringify(messages)}`);
    }
    assert(!messages.some((m) => /\b(You are|Invite the lead|Ask them)\b/.test(m)), 'no instruction text was sent');
    const r = (await apiGet(`/api/campaigns/${c.body.id}`)).body;
    assert(r?.stats?.total_messages_sent === PEOPLE.length, `stats: ${JSON.stringify(r?.stats)}`);
    await settle();
    await shot('readme-campaign-detail');
    await a11y('the sample campaign, completed');
  });

  await step('README: the dashboard after the runs', async () => {
    await goto('/');
    await page.getByRole('heading', { name: 'Dashboard' }).waitFor();
    if (path) await page.getByText('Spring open day').first().waitFor();
    await settle();
    await shot('readme-dashboard');
    await a11y('the dashboard');
  });
}
