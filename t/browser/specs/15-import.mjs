// Importing over existing leads: the dry-run preview (what changes, what stays unchanged), the
// Replace confirmation (cancelled), then an import with Merge that keeps the values of empty cells.

import { RUN, TAG, a11y, apiGet, apiSend, assert, goto, page, phone, settle, shot, step } from '../lib.mjs';

export default async function () {
  const [p1, p2, p3] = [phone(), phone(), phone()];
  const one = { name: `Imp One ${TAG}`, phone: p1, email: `one.${RUN}@example.com`, company: 'One Co', notes: 'VIP', attributes: { city: 'London' } };
  const two = { name: `Imp Two ${TAG}`, phone: p2, email: `two.${RUN}@example.com`, company: 'Two Co' };
  const ids = {};
  // the file re-imports both with empty cells (and a new company for the second), plus a new lead
  const csv = [
    'name,phone,email,company,notes,city',
    `${one.name},${p1},,,,`,
    `${two.name},${p2},,Two Co New,,`,
    `Imp Three ${TAG},${p3},three.${RUN}@example.com,,,Leeds`,
  ].join('\n');
  const commits = [];
  const onRequest = (r) => {
    if (r.url().includes('/api/leads/import?') && r.url().includes('dry_run=false')) commits.push(r.url());
  };

  await step('import: two existing leads (set up through the API)', async () => {
    for (const [k, body] of Object.entries({ one, two })) {
      const r = await apiSend('POST', '/api/leads', body);
      assert(r.status === 201, `POST /api/leads answered ${r.status}: ${JSON.stringify(r.body)}`);
      ids[k] = r.body.id;
    }
  });

  const dialog = page.getByRole('dialog', { name: 'Import leads from CSV' });
  await step('import: picking a file shows a dry-run preview of the changes and what stays unchanged', async () => {
    page.on('request', onRequest);
    await goto('/leads');
    await page.getByRole('button', { name: 'Import CSV' }).first().click();
    await dialog.locator('input[type=file]').setInputFiles({ name: 'again.csv', mimeType: 'text/csv', buffer: Buffer.from(csv) });
    await dialog.getByTestId('import-picked').filter({ hasText: '3 rows' }).waitFor();
    const preview = dialog.getByTestId('import-preview');
    await dialog.getByTestId('import-preview-status').filter({ hasText: 'nothing has been imported yet' }).waitFor();
    const count = async (k) => Number(await preview.getByTestId(`preview-${k}`).textContent());
    assert((await count('inserted')) === 1, `new: ${await count('inserted')}`);
    assert((await count('updated')) === 1, `updated: ${await count('updated')}`);
    assert((await count('unchanged')) === 1, `unchanged: ${await count('unchanged')}`);
    assert((await count('rejected')) === 0, `rejected: ${await count('rejected')}`);
    const changes = preview.getByRole('table', { name: /Changes to existing leads/ });
    const row = changes.getByRole('row').filter({ hasText: 'Company' });
    await row.waitFor();
    const text = (await row.textContent()).replace(/\s+/g, ' ');
    assert(text.includes('Two Co') && text.includes('Two Co New'), `the change row reads "${text}"`);
    assert((await changes.textContent()).includes(two.name), 'the change names the lead');
    assert(!(await changes.textContent()).includes(one.name), 'the unchanged lead is not listed as a change');
    assert(await dialog.getByRole('radio', { name: 'Merge (keep existing values where a cell is empty)' }).isChecked(), 'merge is the default');
    await shot('06-import-preview', { full: false });
    await a11y('the import preview');
  });

  await step('import: the preview fits a 390 px wide screen', async () => {
    await page.setViewportSize({ width: 390, height: 844 });
    try {
      await settle();
      const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
      assert(overflow <= 0, `the page scrolls sideways by ${overflow} px`);
      const wide = await dialog.evaluate((d) =>
        [d, ...d.querySelectorAll('section, fieldset, dl, [data-testid=import-picked]')]
          .filter((el) => el.getBoundingClientRect().right > window.innerWidth + 0.5)
          .map((el) => `${el.tagName.toLowerCase()}${el.dataset.testid ? `[${el.dataset.testid}]` : ''}`),
      );
      assert(wide.length === 0, `wider than the screen: ${wide.join(', ')}`);
      await shot('06b-import-preview-390', { full: false });
      await a11y('the import preview at 390 px');
    } finally {
      await page.setViewportSize({ width: 1360, height: 900 });
    }
  });

  await step('import: Replace re-runs the preview and asks first, saying how many leads lose fields; cancel', async () => {
    await dialog.getByRole('radio', { name: 'Replace (clear fields left empty)' }).check();
    await dialog.getByTestId('import-preview').getByRole('row').filter({ hasText: 'One Co' }).waitFor();
    await dialog.getByRole('button', { name: 'Import 3 rows' }).click();
    const confirm = page.getByRole('dialog', { name: 'Clear fields of 2 leads?' });
    await confirm.waitFor();
    assert((await confirm.textContent()).includes('2 leads will have fields or attributes cleared'), 'the confirmation says how many');
    await shot('07-import-replace-confirm', { full: false });
    await a11y('the replace confirmation');
    await confirm.getByRole('button', { name: 'Keep it' }).click();
    await confirm.waitFor({ state: 'detached' });
    await dialog.waitFor(); // the import dialog stays open
    await settle();
    assert(commits.length === 0, `nothing was imported (${commits.join(', ')})`);
    const r = await apiGet(`/api/leads/${ids.one}`);
    assert(r.body?.email === one.email, `the lead still has its email (${r.body?.email})`);
  });

  await step('import: Merge imports; the lead keeps the email its row left empty', async () => {
    await dialog.getByRole('radio', { name: 'Merge (keep existing values where a cell is empty)' }).check();
    await dialog.getByTestId('import-preview').getByRole('row').filter({ hasText: 'Two Co New' }).waitFor();
    await dialog.getByTestId('import-preview-status').filter({ hasText: 'nothing has been imported yet' }).waitFor();
    const [res] = await Promise.all([
      page.waitForResponse((r) => r.url().includes('/api/leads/import?') && r.url().includes('dry_run=false')),
      dialog.getByRole('button', { name: 'Import 3 rows' }).click(),
    ]);
    assert(res.status() === 200, `import answered ${res.status()}`);
    assert(res.url().includes('on_existing=merge'), `the import was a merge (${res.url()})`);
    const result = dialog.getByTestId('import-result');
    await result.waitFor();
    assert(Number(await result.getByTestId('import-updated').textContent()) === 1, 'one lead updated');
    assert(Number(await result.getByTestId('import-unchanged').textContent()) === 1, 'one unchanged');
    await shot('08-import-merged', { full: false });
    await dialog.getByRole('button', { name: 'Done' }).click();
    await dialog.waitFor({ state: 'detached' });
    page.off('request', onRequest);
    const a = (await apiGet(`/api/leads/${ids.one}`)).body;
    assert(a.email === one.email && a.company === one.company && a.notes === one.notes, `lead one kept its fields: ${JSON.stringify(a)}`);
    assert(a.attributes?.city === 'London', `lead one kept its attribute: ${JSON.stringify(a.attributes)}`);
    const b = (await apiGet(`/api/leads/${ids.two}`)).body;
    assert(b.email === two.email && b.company === 'Two Co New', `lead two: new company, same email: ${JSON.stringify(b)}`);
  });

  await step('leads: the lead form shows and edits attributes', async () => {
    await goto('/leads');
    await page.getByLabel('Search leads').fill(one.name);
    await page.getByRole('button', { name: `Edit ${one.name}` }).click();
    const form = page.getByRole('dialog', { name: `Edit ${one.name}` });
    const attrs = form.getByTestId('lead-attributes');
    assert((await attrs.getByLabel('Attribute 1 name').inputValue()) === 'city', 'the attribute is shown');
    await attrs.getByRole('button', { name: 'Add attribute' }).click();
    await attrs.getByLabel('Attribute 2 name').fill('plan');
    await attrs.getByLabel('Attribute 2 value').fill('Pro');
    await a11y('the lead form with attributes');
    await form.getByRole('button', { name: 'Save changes' }).click();
    await form.waitFor({ state: 'detached' });
    const a = (await apiGet(`/api/leads/${ids.one}`)).body;
    assert(a.attributes?.plan === 'Pro' && a.attributes?.city === 'London', `attributes saved: ${JSON.stringify(a.attributes)}`);
  });
}
