// The leads table: sort by name from the column header, select leads and opt them out in bulk
// (the "Opted out" badge), bulk delete behind its confirmation, and a search by a national number.

import { TAG, a11y, apiGet, apiSend, assert, goto, page, phone, settle, shot, step } from '../lib.mjs';

const TABLE = () => page.getByTestId('leads-table');

async function names() {
  return (await TABLE().locator('tbody tr td:nth-child(2) > div:first-child').allTextContents()).map((t) => t.trim());
}

async function waitNames(want, what) {
  const deadline = Date.now() + 10_000;
  let got = [];
  while (Date.now() < deadline) {
    got = await names();
    if (JSON.stringify(got) === JSON.stringify(want)) return;
    await page.waitForTimeout(100);
  }
  throw new Error(`${what}: rows are ${JSON.stringify(got)}, expected ${JSON.stringify(want)}`);
}

export default async function () {
  const tag = `Tbl${TAG}`;
  const made = [];
  // a UK mobile number (+44 7700 900xxx, the range kept for drama) no lead has
  let uk = null;
  await step('leads table: set-up (three leads and a UK number, through the API)', async () => {
    for (const first of ['Mia', 'Zed', 'Amy']) {
      const r = await apiSend('POST', '/api/leads', { name: `${first} ${tag}`, phone: phone(), company: `Sortco ${tag}` });
      assert(r.status === 201, `POST /api/leads answered ${r.status}`);
      made.push(r.body);
    }
    for (let i = 0; i < 50 && !uk; i++) {
      const n = String(Math.floor(Math.random() * 1000)).padStart(3, '0');
      const taken = await apiGet(`/api/leads?q=${encodeURIComponent(`+44770090${n}`)}&limit=1`);
      if (taken.body?.total === 0) uk = n;
    }
    assert(uk, 'a free +44 7700 900xxx number');
    const r = await apiSend('POST', '/api/leads', { name: `Uk ${tag}`, phone: `+44 7700 900${uk}` });
    assert(r.status === 201, `POST /api/leads (UK) answered ${r.status}`);
    made.push(r.body);
  });

  await step('leads table: sort by name from the column header (ascending, then descending)', async () => {
    await goto(`/leads?q=${encodeURIComponent(`Sortco ${tag}`)}`);
    await waitNames([`Mia ${tag}`, `Zed ${tag}`, `Amy ${tag}`], 'in id order');
    const header = TABLE().getByRole('columnheader', { name: /Name/ });
    await header.getByRole('button').click();
    await page.waitForURL(/[?&]sort=name\b/);
    await waitNames([`Amy ${tag}`, `Mia ${tag}`, `Zed ${tag}`], 'sorted by name');
    assert((await header.getAttribute('aria-sort')) === 'ascending', 'aria-sort is ascending');
    await header.getByRole('button').click();
    await page.waitForURL(/[?&]sort=-name\b/);
    await waitNames([`Zed ${tag}`, `Mia ${tag}`, `Amy ${tag}`], 'sorted by name, descending');
    assert((await header.getAttribute('aria-sort')) === 'descending', 'aria-sort is descending');
    // the order is in the URL: a reload keeps it
    await page.reload({ waitUntil: 'domcontentloaded' });
    await waitNames([`Zed ${tag}`, `Mia ${tag}`, `Amy ${tag}`], 'after a reload');
    await settle();
    await shot('20-leads-sorted');
    await a11y('the leads table sorted by name');
  });

  await step('leads table: select two leads and opt them out; they show "Opted out"', async () => {
    await page.getByRole('checkbox', { name: `Select Amy ${tag}` }).check();
    await page.getByRole('checkbox', { name: `Select Mia ${tag}` }).check();
    const bar = page.getByRole('region', { name: 'Selected leads' });
    await bar.getByText('2 leads selected').waitFor();
    await shot('21-leads-selected');
    await a11y('the leads table with the bulk bar');
    await bar.getByRole('button', { name: 'Opt out' }).click();
    const dialog = page.getByRole('dialog', { name: 'Opt out 2 leads?' });
    await dialog.waitFor();
    const [res] = await Promise.all([
      page.waitForResponse((r) => r.url().endsWith('/api/leads/bulk') && r.request().method() === 'POST'),
      dialog.getByRole('button', { name: 'Opt out 2 leads' }).click(),
    ]);
    assert(res.status() === 200, `POST /api/leads/bulk answered ${res.status()}`);
    const body = await res.json();
    assert(body.action === 'opt_out' && body.changed === 2, `bulk answer ${JSON.stringify(body)}`);
    await dialog.waitFor({ state: 'detached' });
    for (const n of ['Amy', 'Mia']) {
      await TABLE().getByRole('row', { name: new RegExp(`${n} ${tag}`) }).getByText('Opted out').waitFor();
    }
    await TABLE().getByRole('row', { name: new RegExp(`Zed ${tag}`) }).getByText('Subscribed').waitFor();
    assert((await page.getByTestId('bulk-bar').count()) === 0, 'the bar is gone after the action');
    await shot('22-leads-opted-out');
  });

  await step('leads table: bulk delete asks first, then deletes', async () => {
    await page.getByRole('checkbox', { name: `Select Zed ${tag}` }).check();
    await page.getByRole('region', { name: 'Selected leads' }).getByRole('button', { name: 'Delete' }).click();
    const dialog = page.getByRole('dialog', { name: 'Delete 1 lead?' });
    await dialog.getByText(`Zed ${tag}`).waitFor();
    await shot('23-leads-bulk-delete', { full: false });
    await a11y('the bulk delete confirmation');
    await dialog.getByRole('button', { name: 'Keep it' }).click();
    await dialog.waitFor({ state: 'detached' });
    assert((await names()).includes(`Zed ${tag}`), 'kept after "Keep it"');
    await page.getByRole('region', { name: 'Selected leads' }).getByRole('button', { name: 'Delete' }).click();
    const [res] = await Promise.all([
      page.waitForResponse((r) => r.url().endsWith('/api/leads/bulk') && r.request().method() === 'POST'),
      page.getByRole('dialog', { name: 'Delete 1 lead?' }).getByRole('button', { name: 'Delete 1 lead' }).click(),
    ]);
    assert(res.status() === 200, `POST /api/leads/bulk answered ${res.status()}`);
    await waitNames([`Mia ${tag}`, `Amy ${tag}`], 'after the delete');
  });

  await step('leads table: a national number ("07700 900…") finds the +44 lead', async () => {
    await goto('/leads');
    await page.getByLabel('Search leads').fill(`07700 900${uk}`);
    await page.waitForURL(/[?&]q=07700/);
    await waitNames([`Uk ${tag}`], 'searching 07700 900…');
    await shot('24-leads-national-search');
    await a11y('a search by national number');
  });

  await step('leads table: clean-up', async () => {
    const r = await apiSend('POST', '/api/leads/bulk', { action: 'delete', lead_ids: made.map((l) => l.id) });
    assert(r.status === 200, `clean-up answered ${r.status}`);
  });
}
