// Voice campaigns in the browser: three leads (made through the API), a campaign made through
// the form with Voice call chosen (the "Both" choice shows the call after the SMS: its delay
// and no-reply rule; the voice fields replace the SMS-only ones), its call script previewed (the script, its words and
// spoken length), started and run to completed with the offline log provider: the Calls card
// counts the three calls placed, each lead shows its script (greeting the lead by first name,
// ending with the calls' opt-out line) and its call status (Logged (offline)), in its row and in
// its log; the dashboard's calls tile. Clean-up: the campaign (deleted on its page, after its
// confirmation), then the three leads.

import { COMPLETE_TIMEOUT, TAG, a11y, apiGet, apiSend, assert, expectHttp, goto, page, phone, settle, shot, step } from '../lib.mjs';

const CAMPAIGN = `Open day call ${TAG}`;
const FIRST_NAMES = ['Vera', 'Victor', 'Viola'];
const SURNAME = `Voice ${TAG}`; // the form selects the leads by it
const PROMPT = 'Invite them to our open day on Saturday at Acme Dental.';
const OPTOUT = 'To stop these calls, reply STOP to our text or say stop.';

/** The page as it is: its screenshot (name), and its accessibility check (what it shows). */
async function look(name, what, opts) {
  await shot(name, opts);
  await a11y(what);
}

async function poll(what, timeoutMs, fn, everyMs = 500) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const r = await fn();
    if (r) return r;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs / 1000} s waiting for ${what}`);
    await new Promise((res) => setTimeout(res, everyMs));
  }
}

/** A lead through the API; another phone when the phone is taken. */
async function makeLead(name) {
  for (let i = 0; i < 5; i += 1) {
    const r = await apiSend('POST', '/api/leads', { name, phone: phone() });
    if (r.status === 201) return r.body;
    assert(r.status === 409, `lead ${name}: ${r.status} ${JSON.stringify(r.body)}`);
  }
  throw new Error(`lead ${name}: no free phone`);
}

const words = (text) => (text.trim() === '' ? 0 : text.trim().split(/\s+/).length);
/** A script as the writer makes it: greets one of `names` by first name, ends with the calls' opt-out line. */
function checkScript(text, names, where) {
  const first = names.find((n) => new RegExp(`^\\w+,? ${n}\\b`).test(text));
  assert(first, `${where}: the script greets the lead by first name (${names.join(', ')}): ${text}`);
  assert(text.endsWith(OPTOUT), `${where}: the script ends with "${OPTOUT}": ${text}`);
  assert(/open day/i.test(text) && /Saturday/.test(text), `${where}: the script says what the prompt asked: ${text}`);
  assert(words(text) <= 80, `${where}: at most 80 words (${words(text)}): ${text}`);
  return first;
}

export default async function () {
  const leads = []; // { id, name, first }
  let campaignId = null;
  let campaignPath = null;

  await step('voice: three leads for the calls', async () => {
    for (const first of FIRST_NAMES) {
      const l = await makeLead(`${first} ${SURNAME}`);
      leads.push({ id: l.id, name: l.name, first });
    }
  });

  await step('voice: the form offers Voice call (and Both its call after the SMS), with its own fields', async () => {
    assert(leads.length === 3, 'the three leads were made');
    await goto('/campaigns/new');
    await page.getByRole('heading', { name: 'New campaign' }).waitFor();
    const form = page.getByRole('form', { name: 'New campaign' });
    await form.getByLabel('Name').fill(CAMPAIGN);
    await form.getByLabel('Description').fill('Browser end-to-end test of a voice campaign');

    await form.getByRole('radio', { name: /^Both/ }).check();
    const both = form.getByTestId('both-call');
    await both.getByRole('heading', { name: 'The call after the SMS' }).waitFor();
    const delay = both.getByLabel(/^Call after/);
    assert((await delay.inputValue()) === '0', `the call after the SMS starts at once (${await delay.inputValue()})`);
    const noReply = both.getByRole('checkbox', { name: 'Only call leads who have not answered the SMS by then' });
    assert(!(await noReply.isChecked()), 'the no-reply rule starts off');
    // the call has a script of its own, from its own instructions
    await both.getByLabel('Call script').waitFor();
    assert((await both.getByLabel(/^Voice temperature/).count()) > 0, 'Both has its voice temperature');

    await form.getByRole('radio', { name: /^Voice call/ }).check();
    assert((await form.getByTestId('both-call').count()) === 0, 'the call after the SMS group is gone for Voice call');
    const voice = form.getByTestId('campaign-form-voice');
    await voice.getByRole('heading', { name: 'What the calls say' }).waitFor();
    await voice.getByTestId('writer-badge').filter({ hasText: 'Call scripts are written by' }).waitFor();
    const script = voice.getByLabel('Call script');
    assert((await script.inputValue()) === '', 'the call script starts empty');
    const hint = await script.evaluate((el) =>
      (el.getAttribute('aria-describedby') || '').split(/\s+/).map((id) => document.getElementById(id)?.textContent || '').join(' '));
    assert(hint.includes('at most 80 words') && hint.includes(OPTOUT), `the call script's hint: ${hint}`);
    const cps = voice.getByLabel('Calls per second');
    assert((await cps.inputValue()) === '1', `calls per second starts at 1 (${await cps.inputValue()})`);
    await voice.getByLabel('Voice temperature').waitFor();
    // the SMS-only fields are not offered for calls
    assert((await form.getByLabel('Messages per second').count()) === 0, 'no Messages per second for a voice campaign');
    assert((await form.getByLabel('Pause after N carrier-filtered messages').count()) === 0, 'no carrier filtering for a voice campaign');

    await script.fill(PROMPT);
    await voice.getByLabel('Sender').fill('Sam from Acme Dental');
    await form.getByLabel('Leads matching').fill(SURNAME);
    await page.getByTestId('lead-filter-count').filter({ hasText: '3 leads match' }).waitFor();
    await settle();
    await look('49-voice-form', 'the new campaign form, voice call chosen');
  });

  await step('voice: create it, and preview the call script (the script, its words and how long it takes to say)', async () => {
    const form = page.getByRole('form', { name: 'New campaign' });
    const [res] = await Promise.all([
      page.waitForResponse((r) => r.url().endsWith('/api/campaigns') && r.request().method() === 'POST'),
      form.getByRole('button', { name: /Create draft/ }).click(),
    ]);
    const body = await res.json().catch(() => null);
    assert(res.status() === 201, `POST /api/campaigns answered ${res.status()} ${JSON.stringify(body)}`);
    assert(body.agent_type === 'voice' && body.voice_system_prompt === PROMPT && Number(body.calls_per_second) === 1,
      `the campaign made: ${JSON.stringify({ agent_type: body.agent_type, voice_system_prompt: body.voice_system_prompt, calls_per_second: body.calls_per_second })}`);
    campaignId = body.id;
    await page.waitForURL(/\/campaigns\/\d+$/);
    campaignPath = new URL(page.url()).pathname;
    await page.getByRole('heading', { name: CAMPAIGN, level: 1 }).waitFor();
    await page.locator('[data-testid=campaign-status][data-status=draft]').waitFor();
    await page.getByRole('heading', { name: 'Call script preview' }).waitFor();
    // the preview runs by itself after creation
    const failed = page.getByRole('alert').filter({ hasText: /Preview failed|No call script can be written/ });
    await page.getByTestId('preview-result').or(failed).first().waitFor({ timeout: 30_000 });
    if (await failed.count()) throw new Error(`the preview failed: ${await failed.textContent()}`);
    const msg = page.getByTestId('preview-message');
    assert((await msg.getAttribute('data-kind')) === 'call_script', 'the preview is a call script');
    const text = ((await msg.textContent()) || '').trim();
    checkScript(text, FIRST_NAMES, 'the preview');
    const length = ((await page.getByTestId('preview-script-length').textContent()) || '').trim();
    const m = /^(\d+) words · about (\d+ s|\d+ min( \d+ s)?) spoken$/.exec(length);
    assert(m, `the preview gives the words and the spoken length: ${length}`);
    assert(Number(m[1]) === words(text), `the word count (${m[1]}) is the script's (${words(text)})`);
    assert((await page.getByTestId('preview-segments').count()) === 0, 'no segments for a call script');
    // the details: calls per second and the call script's prompt
    const cps = ((await page.getByTestId('calls-per-second').textContent()) || '').trim();
    assert(cps === '1 call/s', `Details shows 1 call/s (${cps})`);
    assert(((await page.getByTestId('voice-prompt').textContent()) || '').includes(PROMPT), 'Details shows the call script prompt');
    const calls = page.getByTestId('campaign-calls');
    await calls.filter({ hasText: 'No call placed yet' }).waitFor();
    await settle();
    await look('49-voice-draft', 'a draft voice campaign with its call script preview');
  });

  await step('voice: start it; it completes with every lead called (logged by the offline provider)', async () => {
    assert(campaignPath, 'the campaign was made');
    await page.getByRole('group', { name: 'Campaign actions' }).getByRole('button', { name: 'Start' }).click();
    await page.locator('[data-testid=campaign-status]:not([data-status=draft])').waitFor();
    await page.locator('[data-testid=campaign-status][data-status=completed]').waitFor({ timeout: COMPLETE_TIMEOUT });
    await page.getByTestId('progress-text').filter({ hasText: '3 of 3 processed' }).waitFor();

    const api = (await apiGet(`/api/campaigns/${campaignId}`)).body;
    assert(api.stats?.calls?.placed === 3, `stats.calls: ${JSON.stringify(api.stats?.calls)}`);
    const card = page.getByTestId('campaign-calls');
    await card.getByTestId('calls-placed').filter({ hasText: /^Placed\s*3$/ }).waitFor();
    assert(((await card.textContent()) || '').includes('3 calls placed'), 'the Calls card says 3 calls placed');
    // the chart names its outcomes for screen readers too: the three calls were logged offline
    await card.getByRole('figure', { name: 'Outcomes of the 3 calls placed' }).waitFor();
    const other = await card.getByRole('table', { name: 'Call outcomes' }).getByRole('row', { name: /Logged or unknown/ }).textContent();
    assert(/Logged or unknown\s*3\s*100\.0%/.test(other || ''), `the outcomes table: ${other}`);

    // each lead: its call status and its script, instead of an SMS
    const table = page.getByTestId('campaign-leads-table');
    await poll('the three leads to show their call', 15_000, async () =>
      (await table.locator('[data-testid=call-status][data-call-status=logged]').count()) === 3);
    const items = (await apiGet(`/api/campaigns/${campaignId}/leads?limit=50`)).body.items;
    for (const l of leads) {
      const row = table.getByTestId('campaign-lead-row').filter({ hasText: l.name });
      assert((await row.count()) === 1, `one row of ${l.name}`);
      const status = ((await row.getByTestId('call-status').textContent()) || '').trim();
      assert(status === 'Logged (offline)', `${l.name}'s call: ${status}`);
      const script = ((await row.getByTestId('call-script').textContent()) || '').trim();
      assert(checkScript(script, [l.first], `${l.name}'s row`) === l.first, `${l.name} is greeted`);
      const mine = items.find((x) => x.lead_id === l.id);
      assert(mine && mine.call_status === 'logged' && mine.voice_call_made === true && mine.sms_message === null && mine.call_script === script,
        `the API agrees on ${l.name}: ${JSON.stringify(mine && { call_status: mine.call_status, voice_call_made: mine.voice_call_made, sms_message: mine.sms_message })}`);
    }
    assert((await table.getByTestId('lead-message').count()) === 0, 'no SMS text in the rows');
    await settle();
    await look('49-voice-completed', 'a completed voice campaign');
  });

  await step("voice: a lead's log shows its call and its script", async () => {
    assert(campaignPath, 'the campaign was made');
    const l = leads[0];
    await page.getByTestId('campaign-leads-table').getByRole('button', { name: `Open the log of ${l.name}`, exact: true }).click();
    const dialog = page.getByRole('dialog', { name: l.name });
    await dialog.getByTestId('lead-log').waitFor();
    const call = dialog.getByTestId('lead-call');
    assert(((await call.getByTestId('call-status').textContent()) || '').trim() === 'Logged (offline)', 'the log shows the call logged');
    const script = ((await dialog.getByTestId('call-script').textContent()) || '').trim();
    checkScript(script, [l.first], `${l.name}'s log`);
    await dialog.getByTestId('log-row').first().waitFor();
    await look('49-voice-lead-log', "a voice lead's log", { full: false });
    await page.keyboard.press('Escape');
    await dialog.waitFor({ state: 'detached' });
  });

  await step('voice: the dashboard counts the calls placed', async () => {
    await goto('/');
    const tile = page.getByTestId('dashboard-calls');
    await tile.waitFor();
    const api = (await apiGet('/api/dashboard/stats')).body;
    assert(api.calls?.placed >= 3, `dashboard calls: ${JSON.stringify(api.calls)}`);
    const text = (await tile.textContent()) || '';
    assert(text.startsWith('Calls placed') && /answered · .* voicemail · .* not connected · [\d.,]+ min/.test(text), `the calls tile: ${text}`);
    await settle();
    await look('49-voice-dashboard', 'the dashboard with calls');
  });

  await step('voice: clean-up (the campaign on its page, after its confirmation; then the leads)', async () => {
    if (campaignPath) {
      // the page's own queries of the campaign may ask for it once more as it goes
      expectHttp('GET', /^\/api\/campaigns\/\d+(\/(leads|logs))?(\?.*)?$/, 404);
      await goto(campaignPath);
      await page.getByRole('heading', { name: CAMPAIGN, level: 1 }).waitFor();
      await page.getByRole('group', { name: 'Campaign actions' }).getByRole('button', { name: 'Delete' }).click();
      const dialog = page.getByRole('dialog', { name: `Delete ${CAMPAIGN}?` });
      await dialog.waitFor();
      await a11y('the delete-campaign dialog');
      const [res] = await Promise.all([
        page.waitForResponse((r) => r.url().endsWith(`/api/campaigns/${campaignId}`) && r.request().method() === 'DELETE'),
        dialog.getByRole('button', { name: 'Delete campaign', exact: true }).click(),
      ]);
      assert(res.status() === 204, `DELETE /api/campaigns/${campaignId} answered ${res.status()}`);
      await page.waitForURL(/\/campaigns$/);
      await page.getByRole('heading', { name: 'Campaigns', level: 1 }).waitFor();
      const gone = await apiGet(`/api/campaigns/${campaignId}`);
      assert(gone.status === 404, `the campaign is gone: GET answered ${gone.status}`);
    }
    for (const l of leads) {
      const d = await apiSend('DELETE', `/api/leads/${l.id}`);
      assert(d.status === 204, `DELETE /api/leads/${l.id} answered ${d.status}`);
    }
  });
}
