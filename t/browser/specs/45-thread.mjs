// A lead's thread: a campaign (a template, the log provider) sends to a lead; from the leads
// page, "Messages" opens the thread with that message, on the right, with its status.

import { COMPLETE_TIMEOUT, TAG, a11y, apiGet, apiSend, assert, goto, page, phone, shot, step } from '../lib.mjs';

export default async function () {
  const name = `Thread ${TAG}`;
  let text = null;

  await step('thread: a campaign sends to a lead', async () => {
    const l = await apiSend('POST', '/api/leads', { name, phone: phone() });
    assert(l.status === 201, `POST /api/leads answered ${l.status}`);
    const c = await apiSend('POST', '/api/campaigns', {
      name: `Thread campaign ${TAG}`, send_window: null,
      sms_template: 'Hi {first_name}, our open day is on Saturday. Reply with any question.',
      lead_ids: [l.body.id],
    });
    assert(c.status === 201, `POST /api/campaigns answered ${c.status}`);
    const s = await apiSend('POST', `/api/campaigns/${c.body.id}/start`);
    assert(s.status === 202, `start answered ${s.status}`);
    const t0 = Date.now();
    let cur = null;
    while (Date.now() - t0 < COMPLETE_TIMEOUT) {
      cur = (await apiGet(`/api/campaigns/${c.body.id}`)).body;
      if (cur && ['completed', 'failed', 'cancelled', 'paused'].includes(cur.status)) break;
      await new Promise((r) => setTimeout(r, 250));
    }
    assert(cur?.status === 'completed', `the campaign is ${cur?.status}`);
    const leads = await apiGet(`/api/campaigns/${c.body.id}/leads`);
    text = leads.body.items[0].sms_message;
    assert(text && text.startsWith('Hi Thread,'), `the message is "${text}"`);
  });

  await step('thread: "Messages" on the lead shows the message sent, with its status', async () => {
    await goto(`/leads?q=${TAG}`);
    await page.getByRole('button', { name: `Messages with ${name}` }).click();
    const dialog = page.getByRole('dialog', { name: `Messages with ${name}` });
    await dialog.waitFor();
    const bubble = dialog.getByTestId('thread-message').filter({ hasText: text });
    await bubble.waitFor();
    assert((await bubble.getAttribute('data-direction')) === 'outbound', 'the send is outbound (right)');
    await bubble.getByText('Sent', { exact: true }).waitFor();
    await shot('45-thread', { full: false });
    await a11y('the thread');
  });
}
