// The dashboard's first screen, keyboard entry, and the leads page: create, a server error on a field, CSV import, edit.

import { RUN, TAG, a11y, assert, expectHttp, goto, page, phone, settle, shot, step } from '../lib.mjs';

export default async function (shared) {
  await step('the dashboard loads with the API online', async () => {
    await goto('/');
    await page.getByRole('heading', { name: 'Dashboard', level: 1 }).waitFor();
    await page.getByTestId('health').filter({ hasText: 'API online' }).first().waitFor();
    await page.getByTestId('dashboard-stats').waitFor();
    await shot('01-dashboard');
    await a11y('the dashboard');
  });

  await step('keyboard: the first Tab reaches "Skip to content"', async () => {
    await page.keyboard.press('Tab');
    const focused = await page.evaluate(() => document.activeElement?.textContent?.trim());
    assert(focused === 'Skip to content', `first focus is "${focused}"`);
  });

  const leadName = `Ada ${TAG}`;
  const leadPhone = phone();
  await step('leads: create a lead through the form', async () => {
    await goto('/leads');
    await page.getByRole('heading', { name: 'Leads', level: 1 }).waitFor();
    await page.getByRole('button', { name: 'New lead' }).click();
    const dialog = page.getByRole('dialog', { name: 'New lead' });
    await dialog.waitFor();
    await dialog.getByLabel('Name').fill(leadName);
    await dialog.getByLabel('Phone').fill(leadPhone);
    await dialog.getByLabel('Email').fill(`ada.${RUN}@example.com`);
    await dialog.getByLabel('Company').fill(`Analytical ${TAG}`);
    // quiet hours are read in this zone; typed in any case, stored by its canonical name
    await dialog.getByLabel('Time zone').fill('america/chicago');
    await shot('02-lead-form', { full: false });
    await a11y('the lead form');
    const [res] = await Promise.all([
      page.waitForResponse((r) => r.url().endsWith('/api/leads') && r.request().method() === 'POST'),
      dialog.getByRole('button', { name: 'Create lead' }).click(),
    ]);
    assert(res.status() === 201, `POST /api/leads answered ${res.status()}`);
    await dialog.waitFor({ state: 'detached' });
    await page.getByLabel('Search leads').fill(TAG);
    await page.getByTestId('leads-table').getByText(leadName).waitFor();
    const zone = await page.getByTestId('leads-table').locator('tr', { hasText: leadName }).locator('[data-lead-timezone]').textContent();
    assert(/America\/Chicago$/.test(zone.trim()), `the lead's row shows its zone and local time ("${zone}")`);
  });

  await step('leads: a bad phone shows the server message next to the phone field', async () => {
    expectHttp('POST', /^\/api\/leads$/, 422);
    await goto('/leads');
    await page.getByRole('button', { name: 'New lead' }).click();
    const dialog = page.getByRole('dialog', { name: 'New lead' });
    await dialog.getByLabel('Name').fill('Bad Phone');
    await dialog.getByLabel('Phone').fill('12345');
    const [res] = await Promise.all([
      page.waitForResponse((r) => r.url().endsWith('/api/leads') && r.request().method() === 'POST'),
      dialog.getByRole('button', { name: 'Create lead' }).click(),
    ]);
    assert(res.status() === 422, `expected 422, got ${res.status()}`);
    const body = await res.json();
    const msg = body.detail.find((d) => d.loc.at(-1) === 'phone')?.msg;
    assert(msg, 'the 422 names the phone field');
    const phoneInput = dialog.getByLabel('Phone');
    await page.waitForFunction((el) => el?.getAttribute('aria-invalid') === 'true', await phoneInput.elementHandle());
    const described = await phoneInput.evaluate((el) =>
      (el.getAttribute('aria-describedby') || '').split(' ').map((id) => document.getElementById(id)?.textContent).join(' '),
    );
    assert(described.includes(msg), `phone field described by "${described}", expected "${msg}"`);
    const focused = await page.evaluate(() => document.activeElement?.getAttribute('name'));
    assert(focused === 'phone', `focus moved to the phone field (it is on "${focused}")`);
    assert(!(await dialog.getByLabel('Name').getAttribute('aria-invalid')), 'name is not marked invalid');
    await shot('03-lead-validation-error', { full: false });
    await a11y('the lead form with an error');
    await page.keyboard.press('Escape');
    await dialog.waitFor({ state: 'detached' });
  });

  const csvPhones = [phone(), phone(), phone(), phone(), phone()];
  const csv = [
    'name,phone,email,company,notes',
    ...csvPhones.map((p, i) => `Lead ${i + 1} ${TAG},${p},lead${i + 1}.${RUN}@example.com,Import ${TAG},"row ${i + 1}, from the CSV"`),
    `No Country ${TAG},5550123,,Import ${TAG},`,
  ].join('\n');
  await step('leads: import a CSV file (5 valid rows, 1 rejected)', async () => {
    await goto('/leads');
    await page.getByRole('button', { name: 'Import CSV' }).first().click();
    const dialog = page.getByRole('dialog', { name: 'Import leads from CSV' });
    await dialog.locator('input[type=file]').setInputFiles({ name: 'leads.csv', mimeType: 'text/csv', buffer: Buffer.from(csv) });
    await dialog.getByTestId('import-picked').filter({ hasText: '6 rows' }).waitFor();
    // (a dry run previews the file first: the Import button commits, dry_run=false)
    const [res] = await Promise.all([
      page.waitForResponse((r) => r.url().includes('/api/leads/import?') && r.url().includes('dry_run=false')),
      dialog.getByRole('button', { name: 'Import 6 rows' }).click(),
    ]);
    assert(res.status() === 200, `import answered ${res.status()}`);
    await dialog.getByTestId('import-result').waitFor();
    const inserted = Number(await dialog.getByTestId('import-inserted').textContent());
    const rejected = Number(await dialog.getByTestId('import-rejected').textContent());
    assert(inserted === 5, `inserted ${inserted}`);
    assert(rejected === 1, `rejected ${rejected}`);
    const row = dialog.getByRole('row').filter({ hasText: 'country code' });
    await row.waitFor();
    assert((await row.getByRole('rowheader').textContent()).trim() === '6', 'the rejected row is row 6');
    await shot('04-leads-import-result', { full: false });
    await a11y('the import result');
    await dialog.getByRole('button', { name: 'Done' }).click();
    await dialog.waitFor({ state: 'detached' });
    await page.getByLabel('Search leads').fill(`Import ${TAG}`);
    await page.waitForURL(/[?&]q=Import/);
    await page.getByTestId('leads-table').getByText(`Lead 5 ${TAG}`).waitFor();
    await settle();
    const rows = await page.getByTestId('leads-table').locator('tbody tr').count();
    assert(rows === 5, `search shows ${rows} imported leads`);
    await page.getByLabel('Search leads').fill('');
    await page.getByTestId('leads-table').waitFor();
    await settle();
    await shot('05-leads');
    await a11y('the leads page');
  });

  await step('leads: edit a lead', async () => {
    await goto('/leads');
    await page.getByLabel('Search leads').fill(leadName);
    await page.getByRole('button', { name: `Edit ${leadName}` }).click();
    const dialog = page.getByRole('dialog', { name: `Edit ${leadName}` });
    await dialog.getByLabel('Notes').fill('Prefers mornings');
    await dialog.getByRole('button', { name: 'Save changes' }).click();
    await dialog.waitFor({ state: 'detached' });
    await page.getByTestId('leads-table').getByRole('row').filter({ hasText: leadName }).getByText('Prefers mornings').waitFor();
  });
}
