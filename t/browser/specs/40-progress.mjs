// Progress that tells the truth: a campaign waiting for quiet hours (the banner, the next send
// time, a waiting lead's log), cancelled from the page (0 sent, N cancelled, no rate), a sent
// lead deleted (its row stays, "Deleted lead", with its message), the messages at phone width,
// and the dashboard's Pending and Success rate tiles against GET /api/dashboard/stats.
// Its own leads and campaigns, made through the API.

import { randomInt } from 'node:crypto';
import { COMPLETE_TIMEOUT, TAG, a11y, apiGet, apiSend, assert, goto, page, phone, settle, shot, step } from '../lib.mjs';

const TEMPLATE = 'Hi {first_name}, see you Saturday.';
// the spec's leads have New York (212) numbers: quiet hours are read in the phone's zone
const QUIET_TZ = 'America/New_York';

/** 'HH:MM-HH:MM' from 2 to 3 hours from now in a time zone: closed now (t/openapi/validate.mjs). */
function closedWindow(timeZone) {
  const f = new Intl.DateTimeFormat('en-GB', { timeZone, hour: '2-digit', minute: '2-digit', hourCycle: 'h23' });
  const now = Date.now();
  return `${f.format(new Date(now + 2 * 3600e3))}-${f.format(new Date(now + 3 * 3600e3))}`;
}

async function poll(what, timeoutMs, fn, everyMs = 500) {
  const deadline = Date.now() + timeoutMs;
  let last;
  for (;;) {
    last = await fn();
    if (last) return last;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs / 1000} s waiting for ${what}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

/** A lead through the API; makePhone() again when the phone is taken. */
async function lead(name, makePhone) {
  for (let i = 0; i < 5; i += 1) {
    const r = await apiSend('POST', '/api/leads', { name, phone: makePhone() });
    if (r.status === 201) return r.body;
    assert(r.status === 409, `lead ${name}: ${r.status} ${JSON.stringify(r.body)}`);
  }
  throw new Error(`lead ${name}: no free phone`);
}

const newYorkPhone = () => `+1 212 ${200 + randomInt(800)} ${String(randomInt(10000)).padStart(4, '0')}`;

/** The page as it is: its screenshot (name), and its accessibility check (what it shows). */
async function look(name, what, opts) {
  await shot(name, opts);
  await a11y(what);
}

/** Close a dialog with Escape; wait until it is gone. */
async function closeDialog(dialog) {
  await page.keyboard.press('Escape');
  await dialog.waitFor({ state: 'detached' });
}

/** What the page shows for a time (lib/format.ts's fmtDateTime), computed in the page itself. */
const pageDateTime = (iso) =>
  page.evaluate((t) => new Date(t).toLocaleString('en-US', { dateStyle: 'medium', timeStyle: 'short' }), iso);

export default async function (shared) {
  let quiet = null; // the waiting campaign
  let done = null; // the campaign run to the end: { id, path, victim, message, sent }

  await step('progress: a campaign waiting for quiet hours says so, and when it will send', async () => {
    const ids = [];
    for (let i = 1; i <= 3; i += 1) ids.push((await lead(`Quinn${i} Wait ${TAG}`, newYorkPhone)).id);
    const window = closedWindow(QUIET_TZ);
    const c = await apiSend('POST', '/api/campaigns', {
      name: `Waiting ${TAG}`,
      sms_template: TEMPLATE,
      send_window: window,
      messages_per_second: 2,
      lead_ids: ids,
    });
    assert(c.status === 201, `campaign: ${c.status} ${JSON.stringify(c.body)}`);
    quiet = { id: c.body.id, window };
    const s = await apiSend('POST', `/api/campaigns/${c.body.id}/start`);
    assert(s.status === 202, `start: ${s.status} ${JSON.stringify(s.body)}`);
    // a worker takes it and defers its leads until the window opens
    const camp = await poll('the campaign to wait for quiet hours', 30_000, async () => {
      const r = (await apiGet(`/api/campaigns/${c.body.id}`)).body;
      const l = (await apiGet(`/api/campaigns/${c.body.id}/leads?limit=50`)).body;
      const deferred = (l?.items ?? []).filter((x) => x.wait_reason === 'quiet_hours').length;
      return r?.status === 'processing' && r.stats?.waiting && deferred === 3 ? r : null;
    });
    const w = camp.stats.waiting;
    assert(w.reason === 'quiet_hours' && w.window === window && w.time_zone === QUIET_TZ, `waiting: ${JSON.stringify(w)}`);
    quiet.nextSendAt = w.next_send_at;

    await goto(`/campaigns/${c.body.id}`);
    await page.getByRole('heading', { name: `Waiting ${TAG}` }).waitFor();
    await page.locator('[data-testid=campaign-status][data-status=processing]').waitFor();
    const banner = page.getByTestId('waiting-banner');
    await banner.waitFor();
    const when = await pageDateTime(w.next_send_at);
    const text = (await banner.textContent()) || '';
    assert(text.includes('Waiting for quiet hours'), `the banner says why: ${text}`);
    assert(text.includes(`next send ${window.slice(0, 5)}`), `the banner says when the window opens (${window.slice(0, 5)}): ${text}`);
    assert(text.includes(QUIET_TZ), `the banner names the recipients' time zone: ${text}`);
    assert(text.includes(when), `the banner shows the next send time (${when}): ${text}`);
    const sendWindow = (await page.getByTestId('send-window').textContent()) || '';
    assert(sendWindow.includes(window), `Details shows the send window ${window}: ${sendWindow}`);
    const limit = (await page.getByTestId('rate-limit').textContent()) || '';
    assert(limit.trim() === '2 msg/s', `Details shows the rate limit: ${limit}`);
    assert((await page.getByTestId('progress-text').textContent()) === '0 of 3 processed', 'progress: 0 of 3 processed');
    // the lead table says until when each lead waits
    const rows = page.getByTestId('campaign-lead-row');
    assert((await rows.count()) === 3, 'three lead rows');
    for (const t of await rows.allTextContents()) assert(t.includes(`Quiet hours until ${when}`), `a lead row says it waits until ${when}: ${t}`);
    // a waiting lead's log says when it will be tried
    await page.getByTestId('campaign-leads-table').getByRole('button', { name: /^Open the log of Quinn/ }).first().click();
    const dialog = page.getByRole('dialog');
    await dialog.getByTestId('lead-log').waitFor();
    const wait = (await dialog.getByTestId('lead-wait').textContent()) || '';
    assert(wait.includes('quiet hours') && wait.includes(`will be tried at ${when}`), `the lead's log says when it will be tried: ${wait}`);
    const all = (await dialog.textContent()) || '';
    assert(!all.includes('Not processed yet'), `the lead's log does not say "Not processed yet": ${all}`);
    await look('campaign-waiting-lead-log', "a waiting lead's log", { full: false });
    await closeDialog(dialog);
    await settle();
    await look('campaign-waiting', 'a campaign waiting for quiet hours');
  });

  await step('progress: cancelled from the page, it reads 0 sent and 3 cancelled, with no rate', async () => {
    assert(quiet, 'the waiting campaign was made');
    await page.getByRole('group', { name: 'Campaign actions' }).getByRole('button', { name: 'Cancel campaign' }).click();
    const dialog = page.getByRole('dialog', { name: 'Cancel this campaign?' });
    await dialog.waitFor();
    await dialog.getByRole('button', { name: 'Cancel campaign' }).click();
    await dialog.waitFor({ state: 'detached' });
    await page.locator('[data-testid=campaign-status][data-status=cancelled]').waitFor();
    await page.getByTestId('progress-text').filter({ hasText: /^0 sent · 3 cancelled$/ }).waitFor();
    const bar = page.getByRole('progressbar', { name: 'Campaign progress: leads processed' });
    const [now, max] = [await bar.getAttribute('aria-valuenow'), await bar.getAttribute('aria-valuemax')];
    assert(now === '0' && max === '3', `the bar is at 0 of 3 (${now} of ${max})`);
    const width = await bar.locator('div').first().evaluate((el) => el.style.width);
    assert(width === '0%', `the bar is empty, not full (width ${width})`);
    const progress = page.locator('section[aria-labelledby=progress-title]');
    assert((await progress.getByTestId('rate').count()) === 0, 'no rate shown');
    const ptext = (await progress.textContent()) || '';
    assert(!ptext.includes('msg/s'), `no "msg/s" in the progress card: ${ptext}`);
    assert((await page.getByTestId('waiting-banner').count()) === 0, 'the waiting banner is gone');
    const tile = page.locator('[data-testid=status-counts] [data-status=cancelled]');
    assert(((await tile.textContent()) || '').includes('3'), `the Cancelled tile counts 3: ${await tile.textContent()}`);
    const sent = page.locator('[data-testid=status-counts] [data-status=sent]');
    assert(((await sent.textContent()) || '').includes('0'), `the Sent tile counts 0: ${await sent.textContent()}`);
    const r = (await apiGet(`/api/campaigns/${quiet.id}`)).body;
    assert(r.status === 'cancelled' && r.stats.processed === 0 && r.stats.success_rate === null && r.stats.rate.average === null,
      `the API agrees: ${JSON.stringify(r.stats)}`);
    await settle();
    await look('campaign-cancelled', 'a campaign cancelled before sending');
  });

  await step('progress: a sent lead, deleted, keeps its row ("Deleted lead") and its message', async () => {
    const ids = [];
    for (let i = 1; i <= 3; i += 1) ids.push((await lead(`Dana${i} Done ${TAG}`, phone)).id);
    const c = await apiSend('POST', '/api/campaigns', { name: `Done ${TAG}`, sms_template: TEMPLATE, send_window: null, lead_ids: ids });
    assert(c.status === 201, `campaign: ${c.status} ${JSON.stringify(c.body)}`);
    const s = await apiSend('POST', `/api/campaigns/${c.body.id}/start`);
    assert(s.status === 202, `start: ${s.status} ${JSON.stringify(s.body)}`);
    const camp = await poll('the campaign to complete', COMPLETE_TIMEOUT, async () => {
      const r = (await apiGet(`/api/campaigns/${c.body.id}`)).body;
      assert(!['failed', 'cancelled', 'paused'].includes(r?.status), `the campaign ended ${r?.status}`);
      return r?.status === 'completed' ? r : null;
    });
    assert(camp.stats.total_messages_sent === 3, `3 sent: ${JSON.stringify(camp.stats)}`);
    const items = (await apiGet(`/api/campaigns/${c.body.id}/leads?limit=50`)).body.items;
    const victim = items.find((x) => x.lead_id === ids[1]);
    assert(victim?.sms_message?.startsWith('Hi Dana2, see you Saturday.'), `the lead's message: ${victim?.sms_message}`);
    done = { id: c.body.id, path: `/campaigns/${c.body.id}`, victim, sent: 3 };
    shared.progressCampaignPath = done.path;
    const d = await apiSend('DELETE', `/api/leads/${ids[1]}`);
    assert(d.status === 204, `DELETE the lead: ${d.status}`);

    await goto(done.path);
    await page.getByRole('heading', { name: `Done ${TAG}` }).waitFor();
    await page.locator('[data-testid=campaign-status][data-status=completed]').waitFor();
    const row = page.locator('[data-testid=campaign-lead-row][data-deleted=true]');
    await row.waitFor();
    assert((await row.count()) === 1, 'one row of a deleted lead');
    const rowText = (await row.textContent()) || '';
    assert(rowText.includes('Deleted lead'), `the row says "Deleted lead": ${rowText}`);
    const who = ((await row.locator('td').first().locator('div').first().textContent()) || '').trim();
    assert(who === 'Deleted lead', `the row names it "Deleted lead", not by its name: ${who}`);
    assert(!rowText.includes(`Dana2 Done ${TAG}`), `the row does not show the lead's name: ${rowText}`);
    assert(rowText.includes(victim.phone), `the row shows the phone it was sent to (${victim.phone}): ${rowText}`);
    const msg = (await row.getByTestId('lead-message').textContent()) || '';
    assert(msg === victim.sms_message, `its message is still shown: ${msg}`);
    await row.getByText('Sent', { exact: true }).waitFor();
    assert((await page.locator('[data-testid=campaign-lead-row]:not([data-deleted])').count()) === 2, 'the two other rows are not deleted');
    const sent = (await page.getByTestId('sent-count').textContent()) || '';
    assert(sent === '3', `Messages sent unchanged: ${sent}`);
    assert(await page.getByTestId('progress-text').filter({ hasText: /^3 of 3 processed$/ }).count(), 'progress: 3 of 3 processed');
    const after = (await apiGet(`/api/campaigns/${done.id}`)).body;
    assert(after.stats.total_messages_sent === 3 && after.stats.total_cost === camp.stats.total_cost,
      `the API's numbers are unchanged: ${JSON.stringify(after.stats)}`);
    // its log says it was deleted
    await row.getByRole('button', { name: `Open the log of the deleted lead ${victim.phone}` }).click();
    const dialog = page.getByRole('dialog', { name: 'Deleted lead' });
    await dialog.getByTestId('lead-log').waitFor();
    await dialog.getByText('This lead was deleted.', { exact: false }).waitFor();
    await dialog.getByTestId('log-row').first().waitFor();
    await closeDialog(dialog);
    await settle();
    await look('campaign-deleted-lead', 'a campaign with a deleted lead');
  });

  await step("phone width (390 px): the campaign's lead table shows each message on screen", async () => {
    assert(done, 'the completed campaign was made');
    await page.setViewportSize({ width: 390, height: 844 });
    try {
      await goto(done.path);
      const table = page.getByTestId('campaign-leads-table');
      await table.waitFor();
      await settle();
      const messages = table.getByTestId('lead-message');
      assert((await messages.count()) === 3, `three messages in the table (${await messages.count()})`);
      for (let i = 0; i < 3; i += 1) {
        const m = messages.nth(i);
        await m.scrollIntoViewIfNeeded();
        assert(await m.isVisible(), `message ${i + 1} is visible`);
        const box = await m.boundingBox();
        assert(box && box.x >= 0 && box.x + box.width <= 390 && box.width > 50,
          `message ${i + 1} is within the screen's width (${JSON.stringify(box)})`);
        const t = (await m.textContent()) || '';
        assert(/^Hi Dana\d, see you Saturday\./.test(t), `message ${i + 1}: ${t}`);
      }
      const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
      assert(overflow <= 1, `the campaign page is ${overflow}px wider than the screen`);
      await look('mobile-campaign-messages', 'a campaign at phone width');
    } finally {
      await page.setViewportSize({ width: 1360, height: 900 });
    }
  });

  await step('dashboard: Pending and Success rate are the API\'s numbers ("—" only while nothing has an outcome)', async () => {
    await goto('/');
    const stats = page.getByTestId('dashboard-stats');
    await stats.waitFor();
    const tile = (label) => stats.locator('div').filter({ has: page.locator('dt', { hasText: new RegExp(`^${label}$`) }) }).locator('dd').first();
    // the page refreshes every 5 s: wait for a reading where the API held still and the page agrees
    let seen = '';
    await poll('the dashboard tiles to match GET /api/dashboard/stats', 30_000, async () => {
      const a = (await apiGet('/api/dashboard/stats')).body;
      const pending = ((await tile('Pending').textContent()) || '').trim();
      const rate = ((await tile('Success rate').textContent()) || '').trim();
      const b = (await apiGet('/api/dashboard/stats')).body;
      seen = `page Pending ${pending}, Success rate ${rate}; API ${JSON.stringify([a?.total_messages_pending, a?.success_rate])}`;
      if (a?.total_messages_pending !== b?.total_messages_pending || a?.success_rate !== b?.success_rate) return false;
      const wantRate = a.success_rate === null ? '—' : `${Number(a.success_rate).toFixed(1)}%`;
      return Number(pending.replace(/,/g, '')) === a.total_messages_pending && rate === wantRate;
    }).catch((e) => {
      throw new Error(`${e.message}: ${seen}`);
    });
    // the specs before this one sent messages: there are outcomes, so no "—"
    const api = (await apiGet('/api/dashboard/stats')).body;
    if (api.total_messages_sent + api.total_messages_failed > 0) {
      assert(api.success_rate !== null, `messages have outcomes, so success_rate is a number: ${JSON.stringify(api)}`);
      const rate = ((await tile('Success rate').textContent()) || '').trim();
      assert(rate !== '—', `the Success rate tile is not "—" once messages have outcomes: ${rate}`);
    }
    await settle();
    await look('dashboard-progress', 'the dashboard');
  });
}
