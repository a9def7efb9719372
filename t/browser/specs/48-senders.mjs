// Senders in the browser: a long code and a toll-free number added on the Senders page (choosing
// the kind fills its default rate: 1 and 3 segments per second), offered by the new-campaign
// form; a campaign made through the API that sends from both shows them on its page, each with
// its rate, their total (4 segments/s) and an estimated time to finish. Clean-up: the campaign,
// then the two senders (one deleted on the page, after its confirmation), so the specs after this
// one send from the server's default number as before.

import { TAG, a11y, apiGet, apiSend, assert, goto, page, phone, settle, shot, step } from '../lib.mjs';

const NUMBERS = [
  // `via`: a kind chosen first, so that choosing `kind` afterwards has to change the rate
  { phone: '+12125550181', kind: 'long_code', via: 'short_code', kindLabel: 'Long code', rate: 1, rateText: '1 segment/s' },
  { phone: '+18885550182', kind: 'toll_free', via: null, kindLabel: 'Toll-free', rate: 3, rateText: '3 segments/s' },
];
const CAMPAIGN = `Senders ${TAG}`;

/** Every campaign, page by page (GET /api/campaigns). */
async function allCampaigns() {
  const out = [];
  for (let offset = 0; ; offset += 100) {
    const r = await apiGet(`/api/campaigns?limit=100&offset=${offset}`);
    assert(r.status === 200, `GET /api/campaigns answered ${r.status}`);
    out.push(...r.body.items);
    if (r.body.items.length < 100) return out;
  }
}

/** Delete a sender an earlier run left behind (and, if the server refuses, that run's draft campaigns naming it first). */
async function removeSender(s) {
  let r = await apiSend('DELETE', `/api/senders/${s.id}`);
  if (r.status === 409) {
    for (const c of await allCampaigns()) {
      if (c.name.startsWith('Senders e2e') && (c.sender_ids ?? []).includes(s.id)) await apiSend('DELETE', `/api/campaigns/${c.id}`);
    }
    r = await apiSend('DELETE', `/api/senders/${s.id}`);
  }
  assert(r.status === 204, `DELETE /api/senders/${s.id} (${s.label}, left by an earlier run) answered ${r.status} ${JSON.stringify(r.body)}`);
}

export default async function () {
  const ids = []; // the two senders, in NUMBERS order
  let campaignId = null;

  await step('senders: add a long code and a toll-free number on the Senders page; the kind fills its default rate', async () => {
    const before = await apiGet('/api/senders');
    assert(before.status === 200, `GET /api/senders answered ${before.status}`);
    for (const s of before.body.items) if (NUMBERS.some((n) => n.phone === s.phone)) await removeSender(s);

    await goto('/senders');
    await page.getByRole('heading', { name: 'Senders', level: 1 }).waitFor();
    for (const [i, n] of NUMBERS.entries()) {
      await page.getByRole('button', { name: 'Add sender', exact: true }).first().click();
      const dialog = page.getByRole('dialog', { name: 'Add sender' });
      await dialog.waitFor();
      assert(await dialog.getByRole('radio', { name: 'A number', exact: true }).isChecked(), 'a number is the default choice');
      const kind = dialog.getByLabel('Kind', { exact: true });
      const rate = dialog.getByLabel('Segments per second');
      if (n.via) {
        await kind.selectOption(n.via);
        const shown = await rate.inputValue();
        assert(shown !== String(n.rate), `after ${n.via} the rate is that kind's (${shown})`);
      }
      await kind.selectOption(n.kind);
      const shown = await rate.inputValue();
      assert(shown === String(n.rate), `choosing ${n.kindLabel} fills the rate ${n.rate} (it shows ${shown})`);
      await dialog.getByLabel('Phone number').fill(n.phone);
      if (i === 0) {
        await shot('48-senders-add', { full: false });
        await a11y('the add-sender dialog');
      }
      const [res] = await Promise.all([
        page.waitForResponse((r) => r.url().endsWith('/api/senders') && r.request().method() === 'POST'),
        dialog.getByRole('button', { name: 'Add sender', exact: true }).click(),
      ]);
      const body = await res.json().catch(() => null);
      assert(res.status() === 201, `POST /api/senders answered ${res.status()} ${JSON.stringify(body)}`);
      assert(body.phone === n.phone && body.kind === n.kind && Number(body.segments_per_second) === n.rate && body.active === true,
        `the sender made: ${JSON.stringify(body)}`);
      ids.push(body.id);
      await dialog.waitFor({ state: 'detached' });
      const row = page.locator(`[data-testid=sender-row][data-sender-id="${body.id}"]`);
      await row.waitFor();
      const rowRate = ((await row.getByTestId('sender-rate').textContent()) || '').trim();
      assert(rowRate === n.rateText, `the row shows ${n.rateText} (${rowRate})`);
      const text = (await row.textContent()) || '';
      assert(text.includes(n.phone) && text.includes(n.kindLabel) && text.includes('Active'), `the row: ${text}`);
    }
    await settle();
    await shot('48-senders');
    await a11y('the senders page');
  });

  await step('senders: the new-campaign form offers both as checkboxes', async () => {
    assert(ids.length === 2, 'the two senders were made');
    await goto('/campaigns/new');
    const box = page.getByTestId('campaign-form-senders');
    for (const n of NUMBERS) await box.getByRole('checkbox', { name: n.phone, exact: true }).waitFor();
    const choice = (await box.getByTestId('sender-choice').textContent()) || '';
    assert(choice.startsWith('None checked: all '), `none is checked: every active sender (${choice})`);
    await settle();
    await a11y('the new campaign form with senders');
  });

  await step('senders: a campaign sending from both lists them with their rates, the total and an estimated time', async () => {
    assert(ids.length === 2, 'the two senders were made');
    const leadIds = [];
    for (let i = 1; i <= 3; i += 1) {
      const l = await apiSend('POST', '/api/leads', { name: `Sam${i} Senders ${TAG}`, phone: phone() });
      assert(l.status === 201, `POST /api/leads answered ${l.status} ${JSON.stringify(l.body)}`);
      leadIds.push(l.body.id);
    }
    const c = await apiSend('POST', '/api/campaigns', {
      name: CAMPAIGN,
      sms_template: 'Hi {first_name}, see you Saturday.',
      send_window: null,
      sender_ids: ids,
      lead_ids: leadIds,
    });
    assert(c.status === 201, `POST /api/campaigns answered ${c.status} ${JSON.stringify(c.body)}`);
    campaignId = c.body.id;
    assert(JSON.stringify([...(c.body.sender_ids ?? [])].sort((a, b) => a - b)) === JSON.stringify([...ids].sort((a, b) => a - b)),
      `the campaign names both senders: ${JSON.stringify(c.body.sender_ids)}`);
    const api = (await apiGet(`/api/campaigns/${campaignId}`)).body;
    assert(Number(api.send_rate?.segments_per_second) === 4, `send_rate: ${JSON.stringify(api.send_rate)}`);
    assert(api.eta_seconds !== null && api.eta_seconds !== undefined, `eta_seconds with 3 leads left at 4 segments/s: ${api.eta_seconds}`);

    await goto(`/campaigns/${campaignId}`);
    await page.getByRole('heading', { name: CAMPAIGN, level: 1 }).waitFor();
    const card = page.getByTestId('campaign-senders');
    await card.waitFor();
    const items = card.getByTestId('campaign-sender');
    await items.nth(1).waitFor();
    assert((await items.count()) === 2, `the card lists ${await items.count()} senders`);
    for (const n of NUMBERS) {
      const item = items.filter({ hasText: n.phone });
      assert((await item.count()) === 1, `the card lists ${n.phone}`);
      const r = ((await item.getByTestId('campaign-sender-rate').textContent()) || '').trim();
      assert(r === n.rateText, `${n.phone} at ${n.rateText} (${r})`);
      assert(((await item.textContent()) || '').includes(n.kindLabel), `${n.phone} is a ${n.kindLabel}`);
    }
    const total = ((await card.getByTestId('campaign-send-rate').textContent()) || '').trim();
    assert(total === '4 segments/s', `the total rate is 4 segments/s (${total})`);
    const eta = ((await card.getByTestId('campaign-eta').textContent()) || '').trim();
    assert(/^about \d+ (s|min|h( \d+ min)?|d( \d+ h)?)$/.test(eta), `an estimated time to finish is shown (${eta})`);
    await settle();
    await shot('48-campaign-senders');
    await a11y('a campaign with its senders');
  });

  await step('senders: clean-up (the campaign, then the senders: one on the page, after its confirmation)', async () => {
    if (campaignId) {
      const d = await apiSend('DELETE', `/api/campaigns/${campaignId}`);
      assert(d.status === 204, `DELETE /api/campaigns/${campaignId} answered ${d.status}`);
    }
    if (ids.length < 2) {
      for (const id of ids) await apiSend('DELETE', `/api/senders/${id}`);
      return;
    }
    await goto('/senders');
    const n = NUMBERS[1];
    const row = page.locator(`[data-testid=sender-row][data-sender-id="${ids[1]}"]`);
    await row.getByRole('button', { name: `Delete ${n.phone}`, exact: true }).click();
    const dialog = page.getByRole('dialog', { name: `Delete ${n.phone}?` });
    await dialog.waitFor();
    await a11y('the delete-sender dialog');
    const [res] = await Promise.all([
      page.waitForResponse((r) => r.url().endsWith(`/api/senders/${ids[1]}`) && r.request().method() === 'DELETE'),
      dialog.getByRole('button', { name: 'Delete sender', exact: true }).click(),
    ]);
    assert(res.status() === 204, `DELETE /api/senders/${ids[1]} answered ${res.status()}`);
    await dialog.waitFor({ state: 'detached' });
    await row.waitFor({ state: 'detached' });
    const d = await apiSend('DELETE', `/api/senders/${ids[0]}`);
    assert(d.status === 204, `DELETE /api/senders/${ids[0]} answered ${d.status}`);
  });
}
