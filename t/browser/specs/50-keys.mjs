// The API keys page (admin keys): create a viewer key, see it once, check it works, revoke it
// with an overlap and see it "Revoking".

import { BASE, TAG, a11y, apiSend, assert, goto, page, settle, shot, step } from '../lib.mjs';

async function meWith(key) {
  const r = await fetch(`${BASE}/api/keys/me`, { headers: { Accept: 'application/json', Authorization: `Bearer ${key}` } });
  return { status: r.status, body: await r.json().catch(() => null) };
}

export default async function () {
  const name = `Viewer ${TAG}`;
  let created = null;

  await step('keys: the admin key sees "API keys" in the navigation and the list', async () => {
    await goto('/');
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'API keys' }).click();
    await page.getByRole('heading', { name: 'API keys', level: 1 }).waitFor();
    await page.getByTestId('keys-table').getByText('this browser').waitFor();
    assert(/\/keys$/.test(page.url()), `at ${page.url()}`);
  });

  await step('keys: create a viewer key; it is shown once, with a copy button', async () => {
    const form = page.getByRole('form', { name: 'New API key' });
    await form.getByLabel(/^Name/).fill(name);
    await form.getByLabel('Role').selectOption('viewer');
    const [res] = await Promise.all([
      page.waitForResponse((r) => r.url().endsWith('/api/keys') && r.request().method() === 'POST'),
      form.getByRole('button', { name: 'Create key' }).click(),
    ]);
    assert(res.status() === 201, `POST /api/keys answered ${res.status()}`);
    const shown = page.getByTestId('new-key');
    await shown.getByText('This is the only time it is shown').waitFor();
    await shown.getByRole('button', { name: 'Copy key' }).waitFor();
    const key = await shown.getByLabel('The new API key').inputValue();
    assert(/^smc_[0-9a-f]{64}$/.test(key), `the key shown is a key (${key.slice(0, 8)}…)`);
    created = { key, id: (await res.json()).id };
    await page.getByTestId('keys-table').getByRole('row', { name: new RegExp(name) }).waitFor();
    await shot('30-keys-created');
    await a11y('a new key, shown once');
    await shown.getByRole('button', { name: 'Done' }).click();
    await shown.waitFor({ state: 'detached' });
    assert(!(await page.content()).includes(key), 'the key is nowhere on the page any more');
    const me = await meWith(key);
    assert(me.status === 200 && me.body?.role === 'viewer' && me.body?.name === name, `the new key works: ${JSON.stringify(me)}`);
  });

  await step('keys: revoke it with an overlap (in 1 hour); it shows "Revoking"', async () => {
    assert(created, 'a key was created');
    await page.getByRole('button', { name: `Revoke: ${name}` }).click();
    const dialog = page.getByRole('dialog', { name: `Revoke “${name}”?` });
    await dialog.getByRole('radio', { name: 'In 1 hour' }).check();
    await shot('31-keys-revoke', { full: false });
    await a11y('the revoke dialog');
    const [res] = await Promise.all([
      page.waitForResponse((r) => r.url().includes(`/api/keys/${created.id}?after=3600`) && r.request().method() === 'DELETE'),
      dialog.getByRole('button', { name: 'Revoke key' }).click(),
    ]);
    assert(res.status() === 204, `DELETE /api/keys/${created.id} answered ${res.status()}`);
    await dialog.waitFor({ state: 'detached' });
    const row = page.getByTestId('keys-table').getByRole('row', { name: new RegExp(name) });
    await row.getByText('Revoking').first().waitFor();
    const me = await meWith(created.key);
    assert(me.status === 200 && me.body?.revoked_at, `during the overlap the key still works and says until when: ${JSON.stringify(me.body)}`);
    await settle();
    await shot('32-keys-revoking');
    await a11y('the keys page with a key being revoked');
  });

  await step('keys: clean-up (revoked now)', async () => {
    if (!created) return;
    const r = await apiSend('DELETE', `/api/keys/${created.id}`);
    assert(r.status === 204, `DELETE answered ${r.status}`);
  });
}
