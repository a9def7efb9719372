// A lead's thread: a campaign (a template, the log provider) sends to a lead; from the leads
// page, "Messages" opens the thread with that message, on the right, with its status. The lead
// replies (a signed inbound webhook): the Inbox shows it as needing a reply, and opening it
// shows the reply on the left and marks it read.

import { createHmac } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { BASE, COMPLETE_TIMEOUT, TAG, a11y, apiGet, apiSend, assert, goto, page, phone, shot, step } from '../lib.mjs';

/** POST a form to a webhook as Twilio does, signed with the instance's auth token. */
async function webhook(path, fields) {
  const token = execFileSync('psql', ['-tAc', "SELECT current_setting('smscamp.twilio_auth_token')"]).toString().trim();
  const data = BASE + path + Object.keys(fields).sort().map((k) => k + fields[k]).join('');
  const sig = createHmac('sha1', token).update(data, 'utf8').digest('base64');
  const r = await fetch(BASE + path, {
    method: 'POST',
    headers: { 'Content-Type': 'application/x-www-form-urlencoded', 'X-Twilio-Signature': sig },
    body: new URLSearchParams(fields).toString(),
  });
  return r.status;
}

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
