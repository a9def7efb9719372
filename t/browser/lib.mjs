// The browser tests' harness: steps, assertions, the allowances for expected HTTP errors,
// screenshots, axe-core checks, the Chromium it drives and small helpers shared by the specs
// (t/browser/specs/*.mjs, run in name order by e2e.mjs).
//
// Env: SMSCAMP_URL (base URL, default http://127.0.0.1:8080), SMSCAMP_ARTIFACTS (screenshots,
// default build/artifacts/browser under the repository root), SMSCAMP_CHROMIUM (default
// /usr/bin/chromium), SMSCAMP_E2E_TIMEOUT (seconds to wait for a campaign to complete, 180).
// Prints TAP-ish `ok N - …` / `not ok N - …` lines and a final `N passed, N failed, N skipped`;
// exits non-zero on any failure. Any console error, page error, failed request, or HTTP
// answer >= 400 that the step did not expect fails that step.

import { chromium } from 'playwright-core';
import { mkdtempSync, mkdirSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { createHmac, randomInt } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { createRequire } from 'node:module';

const AXE = createRequire(import.meta.url).resolve('axe-core/axe.min.js');
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const HERE = dirname(fileURLToPath(import.meta.url));
export const ROOT = resolve(HERE, '..', '..');
export const BASE = (process.env.SMSCAMP_URL || 'http://127.0.0.1:8080').replace(/\/+$/, '');
export const ART = resolve(ROOT, process.env.SMSCAMP_ARTIFACTS || 'build/artifacts/browser');
export const CHROMIUM = process.env.SMSCAMP_CHROMIUM || '/usr/bin/chromium';
export const COMPLETE_TIMEOUT = Number(process.env.SMSCAMP_E2E_TIMEOUT || 180) * 1000;
export const RUN = Date.now().toString(36);
export const TAG = `e2e${RUN}z`; // one word (the search is by words), a fixed last letter

// ---------------------------------------------------------------- tiny harness

export const counts = { n: 0, passed: 0, failed: 0, skipped: 0 };
const events = []; // problems seen in the browser: {kind, text, method?, url?, status?}
let allowed = []; // what the current step expects: {method, re, status}

export function log(line) {
  process.stdout.write(`${line}\n`);
}

export function expectHttp(method, re, status) {
  allowed.push({ method, re, status });
}

function isAllowed(e) {
  return allowed.some(
    (a) => (!a.method || a.method === e.method) && a.re.test(e.path) && (a.status === undefined || a.status === e.status),
  );
}

export async function step(name, fn, { skip } = {}) {
  counts.n += 1;
  if (skip) {
    counts.skipped += 1;
    log(`ok ${counts.n} - ${name} # SKIP ${skip}`);
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
    counts.passed += 1;
    log(`ok ${counts.n} - ${name}`);
    return true;
  }
  counts.failed += 1;
  log(`not ok ${counts.n} - ${name}`);
  if (error) for (const l of String(error.stack || error).split('\n').slice(0, 8)) log(`  # ${l}`);
  for (const e of unexpected) log(`  # unexpected ${e.kind}: ${e.text}`);
  if (page) await shot(`FAILED-${String(counts.n).padStart(2, '0')}`).catch(() => {});
  return false;
}

export function assert(cond, msg) {
  if (!cond) throw new Error(`assertion failed: ${msg}`);
}

// ---------------------------------------------------------------- browser

export let browser; // a persistent context (fresh user-data-dir)
export let page;
export const userDataDir = mkdtempSync(join(tmpdir(), 'smscamp-chromium-'));

export async function settle() {
  // let in-flight requests and their console messages arrive before judging a step
  await page.waitForLoadState('networkidle', { timeout: 3000 }).catch(() => {});
  await page.waitForTimeout(150);
}

/** A picture of the page (the whole page, or what is on screen while a dialog is open). */
export async function shot(name, { full = true } = {}) {
  const file = join(ART, `${name}.png`);
  // notifications come and go: leave them out of the pictures
  await page.screenshot({ path: file, fullPage: full, style: '[data-toast]{visibility:hidden !important}' });
  return file;
}

/** axe-core (WCAG 2 A/AA) on what is on screen now: serious and critical findings fail the step. */
export async function a11y(what) {
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

export function watch(p) {
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

export async function apiGet(path) {
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

/** A JSON request with the run's API key, for a spec's own set-up (not what the page does). */
export async function apiSend(method, path, json) {
  const headers = { Accept: 'application/json', 'Content-Type': 'application/json' };
  if (process.env.SMSCAMP_API_KEY) headers.Authorization = `Bearer ${process.env.SMSCAMP_API_KEY}`;
  const r = await fetch(BASE + path, { method, headers, body: json === undefined ? undefined : JSON.stringify(json) });
  let body = null;
  try {
    body = await r.json();
  } catch {
    /* not JSON (204) */
  }
  return { status: r.status, body };
}

/** POST a form to a webhook as Twilio does, signed with the instance's auth token; its status. */
export async function webhook(path, fields) {
  const token = execFileSync('psql', ['-tAc', "SELECT current_setting('smscamp.twilio_auth_token')"]).toString().trim();
  const data = BASE + path + Object.keys(fields).sort().map((k) => k + fields[k]).join('');
  const sig = createHmac('sha1', token).update(data, 'utf8').digest('base64');
  const r = await fetch(BASE + path, {
    method: 'POST',
    headers: { 'Content-Type': 'application/x-www-form-urlencoded', 'X-Twilio-Signature': sig },
    body: new URLSearchParams(fields).toString(),
  });
  return r.status;
}

/** Wait for a campaign to finish (completed, failed, cancelled or paused); the campaign. */
export async function campaignFinished(id) {
  const t0 = Date.now();
  let cur = null;
  while (Date.now() - t0 < COMPLETE_TIMEOUT) {
    cur = (await apiGet(`/api/campaigns/${id}`)).body;
    if (cur && ['completed', 'failed', 'cancelled', 'paused'].includes(cur.status)) break;
    await new Promise((r) => setTimeout(r, 250));
  }
  return cur;
}

export async function routeExists(path) {
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
export const COUNTRY = COUNTRIES.find((c) => hourIn(c.tz) >= 9 && hourIn(c.tz) < 20) ?? COUNTRIES[0];
const usedPhones = new Set();
export function phone() {
  for (;;) {
    const digits = String(randomInt(1e9, 1e10)); // 10 random digits, no leading 0
    const p = COUNTRY.make(digits);
    if (!usedPhones.has(p)) {
      usedPhones.add(p);
      return p;
    }
  }
}

export async function goto(path) {
  await page.goto(BASE + path, { waitUntil: 'domcontentloaded' });
}


/** Start Chromium (headless, a fresh profile) with the run's API key in the tab's session storage. */
export async function launch() {
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
    await page.addInitScript((key) => sessionStorage.setItem('smscamp.apiKey', key), process.env.SMSCAMP_API_KEY);
  }
  watch(page);
}

export async function close() {
  await browser?.close().catch(() => {});
  rmSync(userDataDir, { recursive: true, force: true });
}

/** This run's screenshots folder, emptied of earlier pictures. */
export function prepareArtifacts() {
  mkdirSync(ART, { recursive: true });
  for (const f of readdirSync(ART)) if (f.endsWith('.png')) rmSync(join(ART, f));
}
