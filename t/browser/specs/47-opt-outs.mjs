// The suppression list in the browser: phones added on the Opt-outs page (one bad line
// rejected with why), found by the search, exported as CSV; the lead with one of those phones
// shows the opted-out marker and the leads list filters to the opted-out leads; a STOP reply
// (a signed inbound webhook) puts a phone on the list too, shown as "Replied STOP".

import { a11y, apiSend, assert, goto, page, phone, settle, shot, step, TAG, webhook } from '../lib.mjs';

export default async function () {
  const leadName = `Listed ${TAG}`;
  const p1 = phone();
  const p2 = phone();
  let lead = null;

  await step('opt-outs: add two phones and a bad line on the Opt-outs page', async () => {
    const l = await apiSend('POST', '/api/leads', { name: leadName, phone: p1 });
    assert(l.status === 201, `POST /api/leads answered ${l.status}`);
    lead = l.body;
    await goto('/opt-outs');
    await page.getByRole('heading', { name: 'Opt-outs', level: 1 }).waitFor();
    await page.getByRole('button', { name: 'Add phones' }).click();
    const dialog = page.getByRole('dialog', { name: 'Add phones to the opt-outs' });
    await dialog.getByLabel('Phones, one per line').fill(`${p1}\n${p2}\nnot a phone`);
    await a11y('the add-phones dialog');
    const [res] = await Promise.all([
      page.waitForResponse((r) => r.url().endsWith('/api/opt-outs') && r.request().method() === 'POST'),
      dialog.getByRole('button', { name: /^Add 3 phones$/ }).click(),
    ]);
    assert(res.status() === 200, `POST /api/opt-outs answered ${res.status()}`);
    await dialog.getByTestId('optout-result').waitFor();
    const added = (await dialog.getByTestId('optout-added').textContent()).trim();
    assert(added === '2', `added ${added}`);
    const rejected = await dialog.getByTestId('optout-rejected-list').textContent();
    assert(rejected.includes('not a phone'), `the bad line is listed as rejected ("${rejected}")`);
    await shot('47-opt-outs-added', { full: false });
    await dialog.getByRole('button', { name: 'Done' }).click();
    await dialog.waitFor({ state: 'detached' });
  });

  await step('opt-outs: the search finds a phone and its lead', async () => {
    await page.getByLabel('Search opt-outs').fill(p1.replace(/\D/g, ''));
    const table = page.getByTestId('optouts-table');
    await page.waitForURL(/[?&]q=/);
    await table.locator('tbody tr').nth(1).waitFor({ state: 'detached' });
    await table.getByText(leadName).waitFor();
    await settle();
    const rows = await table.locator('tbody tr').count();
    assert(rows === 1, `the search shows ${rows} rows`);
    assert((await table.locator('tbody tr').first().textContent()).includes('By hand'), 'added by hand');
    await a11y('the opt-outs page');
    await shot('47-opt-outs-search');
  });

  await step('opt-outs: Export CSV downloads the list', async () => {
    const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: 'Export CSV' }).click()]);
    assert(download.suggestedFilename() === 'opt-outs.csv', `the file is ${download.suggestedFilename()}`);
  });

  await step('opt-outs: the lead shows the opted-out marker; the leads list filters to opted-out leads', async () => {
    await goto(`/leads?q=${encodeURIComponent(leadName)}`);
    const table = page.getByTestId('leads-table');
    const row = table.locator('tr', { hasText: leadName });
    await row.getByText('Opted out').waitFor();
    await page.getByRole('group', { name: 'Opted out' }).getByRole('button', { name: 'Opted out' }).click();
    await page.waitForURL(/[?&]opted_out=true/);
    await row.waitFor();
    await page.getByRole('group', { name: 'Opted out' }).getByRole('button', { name: 'Subscribed' }).click();
    await page.waitForURL(/[?&]opted_out=false/);
    await row.waitFor({ state: 'detached' });
    await a11y('the leads page filtered');
  });

  await step('opt-outs: a STOP reply is listed as "Replied STOP"', async () => {
    const p3 = phone();
    const status = await webhook('/api/webhooks/sms/inbound', { From: p3, To: '+15005550006', Body: 'STOP', MessageSid: `SM${TAG}47` });
    assert(status === 200, `the webhook answered ${status}`);
    await goto('/opt-outs');
    const e164 = `+${p3.replace(/\D/g, '')}`;
    await page.getByLabel('Search opt-outs').fill(e164.slice(1));
    await page.waitForURL(/[?&]q=/);
    const row = page.getByTestId('optouts-table').locator('tbody tr', { hasText: e164 });
    await row.getByText('Replied STOP').waitFor();
    assert(lead, 'the lead was made');
  });
}
