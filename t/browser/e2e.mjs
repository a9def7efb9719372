#!/usr/bin/env node
// End-to-end tests of the smscamp web UI in Debian's Chromium (playwright-core; never a
// downloaded browser), against a real running server.
//
//   SMSCAMP_URL=http://127.0.0.1:8080 node t/browser/e2e.mjs
//
// Env: SMSCAMP_URL (base URL, default http://127.0.0.1:8080), SMSCAMP_ARTIFACTS (screenshots,
// default build/artifacts/browser under the repository root), SMSCAMP_CHROMIUM (default
// /usr/bin/chromium), SMSCAMP_E2E_TIMEOUT (seconds to wait for a campaign to complete, 180).
// Prints TAP-ish `ok N - …` / `not ok N - …` lines and a final `N passed, N failed, N skipped`;
// exits non-zero on any failure. Any console error, page error, failed request, or HTTP
// answer >= 400 that the step did not expect fails that step.

import { chromium } from 'playwright-core';
import { mkdtempSync, mkdirSync, readdirSync, readFileSync, rmSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { randomInt } from 'node:crypto';
import { createRequire } from 'node:module';

const AXE = createRequire(import.meta.url).resolve('axe-core/axe.min.js');
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const HERE = dirname(fileURLToPath(import.meta.url));
const ROOT = resolve(HERE, '..', '..');
const BASE = (process.env.SMSCAMP_URL || 'http://127.0.0.1:8080').replace(/\/+$/, '');
const ART = resolve(ROOT, process.env.SMSCAMP_ARTIFACTS || 'build/artifacts/browser');
const CHROMIUM = process.env.SMSCAMP_CHROMIUM || '/usr/bin/chromium';
const COMPLETE_TIMEOUT = Number(process.env.SMSCAMP_E2E_TIMEOUT || 180) * 1000;
const RUN = Date.now().toString(36);
const TAG = `e2e${RUN}z`; // one word (the search is by words), a fixed last letter

// ---------------------------------------------------------------- tiny harness

let n = 0;
let passed = 0;
let failed = 0;
let skipped = 0;
const events = []; // problems seen in the browser: {kind, text, method?, url?, status?}
let allowed = []; // what the current step expects: {method, re, status}

function log(line) {
  process.stdout.write(`${line}\n`);
}

function expectHttp(method, re, status) {
  allowed.push({ method, re, status });
}

function isAllowed(e) {
  return allowed.some(
    (a) => (!a.method || a.method === e.method) && a.re.test(e.path) && (a.status === undefined || a.status === e.status),
  );
}

async function step(name, fn, { skip } = {}) {
  n += 1;
  if (skip) {
    skipped += 1;
    log(`ok ${n} - ${name} # SKIP ${skip}`);
    return false;
  }
  allowed = [];
  const mark = events.length;
  let error = null;
  try {
    await fn();
    await settle();
  } catch (e) {
    error = e;
  }
  const unexpected = events.slice(mark).filter((e) => !e.allowedNow && !isAllowed(e));
  if (!error && unexpected.length === 0) {
    passed += 1;
    log(`ok ${n} - ${name}`);
    return true;
  }
  failed += 1;
  log(`not ok ${n} - ${name}`);
  if (error) for (const l of String(error.stack || error).split('\n').slice(0, 8)) log(`  # ${l}`);
  for (const e of unexpected) log(`  # unexpected ${e.kind}: ${e.text}`);
  if (page) await shot(`FAILED-${String(n).padStart(2, '0')}`).catch(() => {});
  return false;
}

function assert(cond, msg) {
  if (!cond) throw new Error(`assertion failed: ${msg}`);
}

// ---------------------------------------------------------------- browser

let browser; // a persistent context (fresh user-data-dir)
let page;
const userDataDir = mkdtempSync(join(tmpdir(), 'smscamp-chromium-'));

async function settle() {
  // let in-flight requests and their console messages arrive before judging a step
  await page.waitForLoadState('networkidle', { timeout: 3000 }).catch(() => {});
  await page.waitForTimeout(150);
}

/** A picture of the page (the whole page, or what is on screen while a dialog is open). */
async function shot(name, { full = true } = {}) {
  const file = join(ART, `${name}.png`);
  // notifications come and go: leave them out of the pictures
  await page.screenshot({ path: file, fullPage: full, style: '[data-toast]{visibility:hidden !important}' });
  return file;
}

/** axe-core (WCAG 2 A/AA) on what is on screen now: serious and critical findings fail the step. */
async function a11y(what) {
  // evaluated through DevTools, not as an inline <script>: the app's CSP forbids those
  if (!(await page.evaluate(() => 'axe' in window))) await page.evaluate(readFileSync(AXE, 'utf8'));
  const found = await page.evaluate(async () => {
    const r = await window.axe.run(document, { runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'] }, resultTypes: ['violations'] });
    return r.violations
      .filter((v) => v.impact === 'serious' || v.impact === 'critical')
      .map((v) => `${v.id} (${v.impact}): ${v.help} — ${v.nodes.slice(0, 3).map((n) => n.target.join(' ')).join(', ')}`);
  });
  assert(found.length === 0, `accessibility problems on ${what}:\n    ${found.join('\n    ')}`);
}

function pathOf(url) {
  try {
    const u = new URL(url);
    return u.pathname + u.search;
  } catch {
    return url;
  }
}

function watch(p) {
  p.on('console', (msg) => {
    if (msg.type() !== 'error') return;
    const url = msg.location()?.url || '';
    const text = msg.text();
    // Chromium reports every 4xx/5xx answer as a console error; judge those as responses.
    if (/^Failed to load resource: the server responded with a status of \d+/.test(text)) return;
    events.push({ kind: 'console error', text: `${text}${url ? ` (${url})` : ''}`, path: pathOf(url) });
  });
  p.on('pageerror', (err) => events.push({ kind: 'page error', text: String(err.stack || err), path: '' }));
  p.on('requestfailed', (req) => {
    const f = req.failure()?.errorText || 'failed';
    // React Query cancels superseded GETs (a new search, a page left): not a failure.
    if (f.includes('ERR_ABORTED') && req.method() === 'GET') return;
    events.push({ kind: 'request failure', text: `${req.method()} ${req.url()}: ${f}`, method: req.method(), path: pathOf(req.url()) });
  });
  p.on('response', (res) => {
    const status = res.status();
    if (status < 400) return;
    const req = res.request();
    const e = { kind: 'HTTP error', text: `${req.method()} ${pathOf(res.url())} → ${status}`, method: req.method(), path: pathOf(res.url()), status };
    e.allowedNow = isAllowed(e); // judged by the allowances in force when it happened
    events.push(e);
  });
}

// ---------------------------------------------------------------- helpers

async function apiGet(path) {
  const headers = { Accept: 'application/json' };
  if (process.env.SMSCAMP_API_KEY) headers.Authorization = `Bearer ${process.env.SMSCAMP_API_KEY}`;
  const r = await fetch(BASE + path, { headers });
  let body = null;
  try {
    body = await r.json();
  } catch {
    /* not JSON */
  }
  return { status: r.status, body };
}

async function routeExists(path) {
  const r = await apiGet(path);
  return !(r.status === 404 && r.body && r.body.detail === 'Not Found');
}

/**
 * Phone numbers in a country where it is now daytime, so the campaign's quiet hours
 * (08:00–21:00 in the recipient's zone by default) do not hold the messages back.
 */
const COUNTRIES = [
  { tz: 'Europe/London', make: (d) => `+44 7700 9${d.slice(0, 5)}` },
  { tz: 'Europe/Berlin', make: (d) => `+49 151 ${d.slice(0, 8)}` },
  { tz: 'Asia/Kolkata', make: (d) => `+91 98${d.slice(0, 8)}` },
  { tz: 'Asia/Tokyo', make: (d) => `+81 90 ${d.slice(0, 8)}` },
  { tz: 'Australia/Sydney', make: (d) => `+61 4${d.slice(0, 8)}` },
  { tz: 'America/Sao_Paulo', make: (d) => `+55 11 9${d.slice(0, 8)}` },
  { tz: 'America/New_York', make: (d) => `+1 212 ${d.slice(0, 7)}` },
  { tz: 'America/Los_Angeles', make: (d) => `+1 415 ${d.slice(0, 7)}` },
];
function hourIn(tz) {
  return Number(new Intl.DateTimeFormat('en-GB', { hour: '2-digit', hour12: false, timeZone: tz }).format(new Date()));
}
const COUNTRY = COUNTRIES.find((c) => hourIn(c.tz) >= 9 && hourIn(c.tz) < 20) ?? COUNTRIES[0];
const usedPhones = new Set();
function phone() {
  for (;;) {
    const digits = String(randomInt(1e9, 1e10)); // 10 random digits, no leading 0
    const p = COUNTRY.make(digits);
    if (!usedPhones.has(p)) {
      usedPhones.add(p);
      return p;
    }
  }
}

async function goto(path) {
  await page.goto(BASE + path, { waitUntil: 'domcontentloaded' });
}

// ---------------------------------------------------------------- the flows

async function main() {
  mkdirSync(ART, { recursive: true });
  for (const f of readdirSync(ART)) if (f.endsWith('.png')) rmSync(join(ART, f)); // this run's pictures only
  if (!existsSync(CHROMIUM)) {
    log(`not ok 1 - chromium at ${CHROMIUM}\n  # install it: apt-get install -y chromium`);
    log('0 passed, 1 failed');
    process.exit(1);
  }
  log(`# smscamp web UI end-to-end: ${BASE}, screenshots in ${ART}`);
  log(`# phones in ${COUNTRY.tz} (daytime there now), run tag ${TAG}`);

  browser = await chromium.launchPersistentContext(userDataDir, {
    executablePath: CHROMIUM,
    headless: true,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--no-first-run',
      '--disable-quic',
      '--disable-sync',
    ],
    viewport: { width: 1360, height: 900 },
    deviceScaleFactor: 1,
  });
  page = browser.pages()[0] ?? (await browser.newPage());
  page.setDefaultTimeout(15_000);
  // the key a user types once per session: the UI keeps it in sessionStorage
  if (process.env.SMSCAMP_API_KEY) {
    await page.addInitScript((key) => sessionStorage.setItem('smscamp.apiKey', key),
                             process.env.SMSCAMP_API_KEY);
  }
  watch(page);

  const has = {
    campaigns: await routeExists('/api/campaigns?limit=1'),
    dashboard: await routeExists('/api/dashboard/stats'),
  };
  log(`# campaigns API: ${has.campaigns ? 'yes' : 'not yet'}; dashboard API: ${has.dashboard ? 'yes' : 'not yet'}`);
  const allowMissing = () => {
    if (!has.campaigns) expectHttp('GET', /^\/api\/campaigns/, 404);
    if (!has.dashboard) expectHttp('GET', /^\/api\/dashboard\//, 404);
  };

  await step('the dashboard loads with the API online', async () => {
    allowMissing();
    await goto('/');
    await page.getByRole('heading', { name: 'Dashboard', level: 1 }).waitFor();
    await page.getByTestId('health').filter({ hasText: 'API online' }).first().waitFor();
    if (has.dashboard) await page.getByTestId('dashboard-stats').waitFor();
    else await page.getByText("Dashboard statistics isn't available on this server yet.").waitFor();
    await shot('01-dashboard');
    await a11y('the dashboard');
  });

  await step('keyboard: the first Tab reaches "Skip to content"', async () => {
    allowMissing();
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
    const [res] = await Promise.all([
      page.waitForResponse((r) => r.url().endsWith('/api/leads/import')),
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

  if (!has.campaigns) {
    await step('campaigns: a clear "not available yet" state while the API is missing', async () => {
      allowMissing();
      await goto('/campaigns');
      await page.getByTestId('not-available').waitFor();
      await shot('06-campaigns-not-available');
      await a11y('the campaigns page');
    });
  }

  const why = has.campaigns ? undefined : 'the campaigns API is not available on this server yet';
  const campaignName = `Welcome ${TAG}`;
  let campaignPath = null;

  await step(
    'campaigns: create a campaign (search-selected leads) and see its message preview',
    async () => {
      await goto('/campaigns/new');
      await page.getByRole('heading', { name: 'New campaign' }).waitFor();
      const form = page.getByRole('form', { name: 'New campaign' });
      await form.getByLabel('Name').fill(campaignName);
      await form.getByLabel('Description').fill('Browser end-to-end test');
      await form.getByLabel('Instructions for the message writer').fill(
        'You are Sam from Acme. Write a short friendly SMS inviting the lead to a product demo next week.',
      );
      await form.getByLabel('Leads matching').fill(`Import ${TAG}`);
      await page.getByTestId('lead-filter-count').filter({ hasText: '5 leads match' }).waitFor();
      await shot('06-campaign-new');
      await a11y('the new campaign form');
      await form.getByRole('button', { name: /Create draft/ }).click();
      await page.waitForURL(/\/campaigns\/\d+$/);
      campaignPath = new URL(page.url()).pathname;
      await page.getByRole('heading', { name: campaignName }).waitFor();
      await page.locator('[data-testid=campaign-status][data-status=draft]').waitFor();
      await page.getByTestId('progress-text').filter({ hasText: 'of 5 processed' }).waitFor();
      // the preview runs by itself after creation
      const failedPreview = page.getByRole('alert').filter({ hasText: 'Preview failed' });
      const preview = page.getByTestId('preview-result').or(page.getByTestId('not-available')).or(failedPreview);
      await preview.first().waitFor({ timeout: 30_000 });
      if (await failedPreview.count()) throw new Error(`the preview failed: ${await failedPreview.textContent()}`);
      if (await page.getByTestId('preview-result').count()) {
        const text = (await page.getByTestId('preview-message').textContent()) || '';
        assert(text.length > 10, `preview message "${text}"`);
        assert(Number(await page.getByTestId('preview-segments').textContent()) >= 1, 'preview has segments');
      }
      await shot('07-campaign-draft-preview');
      await a11y('a draft campaign');
    },
    { skip: why },
  );

  await step(
    'campaigns: start it and watch it reach completed',
    async () => {
      assert(campaignPath, 'a campaign was created');
      await page.getByRole('group', { name: 'Campaign actions' }).getByRole('button', { name: 'Start' }).click();
      await page.locator('[data-testid=campaign-status]:not([data-status=draft])').waitFor();
      // the start button is gone once the campaign left draft
      assert((await page.getByRole('button', { name: 'Start', exact: true }).count()) === 0, 'no Start button after starting');
      await shot('08-campaign-running');
      await page.locator('[data-testid=campaign-status][data-status=completed]').waitFor({ timeout: COMPLETE_TIMEOUT });
      await page.getByTestId('progress-text').filter({ hasText: '5 of 5 processed' }).waitFor();
      const actions = await page.getByRole('group', { name: 'Campaign actions' }).getByRole('button').allTextContents();
      assert(JSON.stringify(actions) === '["Delete"]', `completed campaign shows ${JSON.stringify(actions)}`);
      await page.getByTestId('campaign-leads-table').getByText('Sent', { exact: true }).first().waitFor();
      await settle();
      await shot('09-campaign-completed');
      await a11y('a completed campaign');
    },
    { skip: why },
  );

  await step(
    "campaigns: open a lead's processing log (validate_lead → sms_agent → finalize)",
    async () => {
      assert(campaignPath, 'a campaign was created');
      await page.getByTestId('campaign-leads-table').getByRole('button', { name: /^Open the log of / }).first().click();
      const dialog = page.getByRole('dialog');
      await dialog.getByTestId('lead-log').waitFor();
      await dialog.getByTestId('log-row').first().waitFor();
      const timeline = await dialog.getByTestId('node-timeline').textContent();
      for (const node of ['Validate lead', 'SMS agent', 'Finalize']) assert(timeline.includes(node), `timeline shows ${node}`);
      const nodes = await dialog.getByTestId('log-row').allTextContents();
      for (const node of ['validate_lead', 'sms_agent', 'finalize']) assert(nodes.some((t) => t.includes(node)), `a log row of ${node}`);
      await shot('10-campaign-lead-log', { full: false });
      await a11y("a lead's log");
      await dialog.getByLabel('Level').selectOption('error');
      const after = await dialog.getByTestId('log-row').count();
      const errors = await dialog.getByTestId('log-row').filter({ hasText: 'error' }).count();
      assert(after === errors, 'the level filter leaves only error rows');
      await page.keyboard.press('Escape');
      await dialog.waitFor({ state: 'detached' });
      // the campaign-wide log, filtered by level
      await page.getByRole('heading', { name: 'Processing log' }).scrollIntoViewIfNeeded();
      await page.getByTestId('log-row').first().waitFor();
    },
    { skip: why },
  );

  await step(
    'campaigns: the list shows the campaign with its badge and progress',
    async () => {
      await goto('/campaigns');
      const row = page.getByTestId('campaigns-table').getByRole('row').filter({ hasText: campaignName });
      await row.waitFor();
      await row.getByText('Completed').waitFor();
      await page.getByRole('button', { name: 'Completed', exact: true }).click();
      await page.waitForURL(/status=completed/);
      await row.waitFor();
      await shot('11-campaigns');
      await a11y('the campaigns page');
    },
    { skip: why },
  );

  await step('the dashboard shows the totals after the run', async () => {
    allowMissing();
    await goto('/');
    if (has.dashboard) {
      await page.getByTestId('dashboard-stats').waitFor();
      await page.getByTestId('hourly-chart').waitFor();
    }
    if (has.campaigns) await page.getByRole('link', { name: campaignName }).first().waitFor();
    await settle();
    await shot('12-dashboard');
  });

  await step('phone width (390 px): pages fit without sideways scrolling', async () => {
    allowMissing();
    await page.setViewportSize({ width: 390, height: 844 });
    const pages = [
      ['/', 'mobile-dashboard'],
      ['/leads', 'mobile-leads'],
      ['/campaigns', 'mobile-campaigns'],
    ];
    if (campaignPath) pages.push([campaignPath, 'mobile-campaign-detail']);
    for (const [path, name] of pages) {
      await goto(path);
      await page.locator('main h1').first().waitFor();
      await settle();
      const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
      assert(overflow <= 1, `${path} is ${overflow}px wider than the screen`);
      await shot(name);
      await a11y(`${path} at phone width`);
    }
    await page.getByRole('button', { name: 'Open menu' }).click();
    await page.locator('#mobile-nav').getByRole('link', { name: 'Leads' }).click();
    await page.getByRole('heading', { name: 'Leads', level: 1 }).waitFor();
    await page.setViewportSize({ width: 1360, height: 900 });
  });

  await step('an unknown address shows the app\'s "Page not found"', async () => {
    await goto(`/no/such/page-${RUN}`);
    await page.getByRole('heading', { name: 'Page not found' }).waitFor();
  });
}

let crashed = null;
try {
  await main();
} catch (e) {
  crashed = e;
}
if (crashed) {
  failed += 1;
  n += 1;
  log(`not ok ${n} - the test run itself`);
  for (const l of String(crashed.stack || crashed).split('\n').slice(0, 10)) log(`  # ${l}`);
}
await browser?.close().catch(() => {});
rmSync(userDataDir, { recursive: true, force: true });
log(`1..${n}`);
log(`# screenshots: ${ART}`);
log(`${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ''}`);
process.exit(failed > 0 ? 1 : 0);
