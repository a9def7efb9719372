// A lead's thread: a campaign (a template, the log provider) sends to a lead; from the leads
// page, "Messages" opens the thread with that message, on the right, with its status. The lead
// replies (a signed inbound webhook): the Inbox shows it as needing a reply, and opening it
// shows the reply on the left and marks it read.

import { a11y, apiGet, apiSend, assert, campaignFinished, goto, page, phone, shot, step, TAG, webhook } from '../lib.mjs';

export default async function () {
  const name = `Thread ${TAG}`;
  let text = null;
  let leadPhone = null;

  await step('thread: a campaign sends to a lead', async () => {
    const l = await apiSend('POST', '/api/leads', { name, phone: phone() });
    assert(l.status === 201, `POST /api/leads answered ${l.status}`);
    leadPhone = l.body.phone;
    const c = await apiSend('POST', '/api/campaigns', {
      name: `Thread campaign ${TAG}`, send_window: null,
      sms_template: 'Hi {first_name}, our open day is on Saturday. Reply with any question.',
      lead_ids: [l.body.id],
    });
    assert(c.status === 201, `POST /api/campaigns answered ${c.status}`);
    const s = await apiSend('POST', `/api/campaigns/${c.body.id}/start`);
    assert(s.status === 202, `start answered ${s.status}`);
    const cur = await campaignFinished(c.body.id);
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

  await step('inbox: the lead\'s reply needs a reply; opening it shows the reply and marks it read', async () => {
    const st = await webhook('/api/webhooks/sms/inbound', { From: leadPhone, To: '+15005550006', Body: 'Yes please, what time?', MessageSid: `SM${TAG}` });
    assert(st === 200, `the inbound webhook answered ${st}`);
    await goto('/inbox?state=needs_reply');
    const row = page.getByTestId("inbox").getByRole("button", { name: new RegExp(name) });
    await row.waitFor();
    await row.getByText('1 unread').waitFor();
    await shot('46-inbox', { full: false });
    await a11y('the inbox');
    await row.click();
    const dialog = page.getByRole('dialog', { name: `Messages with ${name}` });
    const reply = dialog.getByTestId('thread-message').filter({ hasText: 'Yes please, what time?' });
    await reply.waitFor();
    assert((await reply.getAttribute('data-direction')) === 'inbound', 'the reply is inbound (left)');
    await page.keyboard.press('Escape');
    await row.getByText('1 unread').waitFor({ state: 'detached' });
  });
}
