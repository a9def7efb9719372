// Replies and the reply agent in the browser: a campaign in reply_mode draft sends to a lead;
// the lead asks a question (a signed inbound webhook). In the Inbox the conversation needs a
// reply; its thread shows the question labelled "Question" and the agent's suggested reply;
// Approve sends it (the log provider: Sent). Then a reply typed in the reply box, with its
// segment counter, is sent too; the campaign's lead row opens the same thread.

import { a11y, apiSend, assert, campaignFinished, goto, page, phone, shot, step, TAG, webhook } from '../lib.mjs';

const WAIT = 15_000;

export default async function () {
  const name = `Replies ${TAG}`;
  let leadPhone = null;
  let campaignId = null;

  await step('replies: a campaign in reply_mode draft sends to a lead', async () => {
    const l = await apiSend('POST', '/api/leads', { name, phone: phone() });
    assert(l.status === 201, `POST /api/leads answered ${l.status}`);
    leadPhone = l.body.phone;
    const c = await apiSend('POST', '/api/campaigns', {
      name: `Replies campaign ${TAG}`, send_window: null, reply_mode: 'draft', sender_name: 'Acme Dental',
      sms_template: 'Hi {first_name}, our open day is on Saturday. Any question? Just reply.',
      lead_ids: [l.body.id],
    });
    assert(c.status === 201, `POST /api/campaigns answered ${c.status}`);
    assert(c.body.reply_mode === 'draft', `reply_mode is ${c.body.reply_mode}`);
    campaignId = c.body.id;
    assert((await apiSend('POST', `/api/campaigns/${c.body.id}/start`)).status === 202, 'started');
    const cur = await campaignFinished(c.body.id);
    assert(cur?.status === 'completed', `the campaign is ${cur?.status}`);
  });

  await step('replies: the question is labelled and a draft is suggested; Approve sends it', async () => {
    const st = await webhook('/api/webhooks/sms/inbound', { From: leadPhone, To: '+15005550006', Body: 'Sounds good, is there parking?', MessageSid: `SM${TAG}q` });
    assert(st === 200, `the inbound webhook answered ${st}`);
    await goto('/inbox?state=needs_reply');
    const row = page.getByTestId('inbox').getByRole('button', { name: new RegExp(name) });
    await row.waitFor({ timeout: WAIT });
    await row.getByText('Question').waitFor({ timeout: WAIT });
    await row.click();
    const dialog = page.getByRole('dialog', { name: `Messages with ${name}` });
    const question = dialog.getByTestId('thread-message').filter({ hasText: 'is there parking?' });
    await question.getByTestId('message-intent').getByText('Question').waitFor({ timeout: WAIT });
    const draft = dialog.locator('[data-testid="thread-message"][data-status="draft"]');
    await draft.getByText(/Thanks for your question/).waitFor({ timeout: WAIT });
    await shot('47-draft', { full: false });
    await a11y('a thread with a draft');
    await draft.getByRole('button', { name: 'Approve' }).click();
    const sent = dialog.getByTestId('thread-message').filter({ hasText: 'Thanks for your question' });
    await sent.getByTestId('message-status').getByText(/^(Sent|Delivered)$/).waitFor({ timeout: WAIT });
    assert((await sent.getAttribute('data-direction')) === 'outbound', 'the approved answer is outbound (right)');
  });

  await step('replies: a reply typed in the reply box is sent', async () => {
    const dialog = page.getByRole('dialog', { name: `Messages with ${name}` });
    const box = dialog.getByLabel(`Reply to ${name}`);
    await box.fill('Yes, free parking behind the clinic.');
    await dialog.getByTestId('reply-counter').getByText(/^1 segment/).waitFor();
    await dialog.getByRole('button', { name: 'Send' }).click();
    const mine = dialog.getByTestId('thread-message').filter({ hasText: 'free parking behind the clinic' });
    await mine.getByTestId('message-status').getByText(/^(Sent|Delivered)$/).waitFor({ timeout: WAIT });
    await shot('48-reply', { full: false });
    await a11y('the thread after a reply');
  });

  await step('replies: the campaign\'s lead row opens the thread, and the campaign counts the reply', async () => {
    await goto(`/campaigns/${campaignId}`);
    await page.getByTestId('campaign-replies').getByText(/^1 \(100(\.0)?%\)/).waitFor({ timeout: WAIT });
    await page.getByTestId('campaign-leads-table').getByRole('button', { name: `Messages with ${name}` }).click();
    const dialog = page.getByRole('dialog', { name: `Messages with ${name}` });
    await dialog.getByTestId('thread-message').filter({ hasText: 'free parking behind the clinic' }).waitFor({ timeout: WAIT });
    await a11y('the thread from the campaign');
    await page.keyboard.press('Escape');
  });
}
