#!/usr/bin/env node
// End-to-end tests of the smscamp web UI in Debian's Chromium (playwright-core; never a
// downloaded browser), against a real running server.
//
//   SMSCAMP_URL=http://127.0.0.1:8080 node t/browser/e2e.mjs [spec-name-part ...]
//
// Runs every t/browser/specs/*.mjs in name order in one browser (each exports a default
// async function given an object the specs share), or only the specs whose file name contains
// one of the arguments. The harness is lib.mjs.
// Env: SMSCAMP_URL (base URL, default http://127.0.0.1:8080), SMSCAMP_ARTIFACTS (screenshots,
// default build/artifacts/browser under the repository root), SMSCAMP_CHROMIUM (default
// /usr/bin/chromium), SMSCAMP_E2E_TIMEOUT (seconds to wait for a campaign to complete, 180),
// SMSCAMP_API_KEY (an admin key). Prints TAP-ish `ok N - …` / `not ok N - …` lines and a final
// `N passed, N failed, N skipped`; exits non-zero on any failure. Any console error, page
// error, failed request, or HTTP answer >= 400 that the step did not expect fails that step.

import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { ART, BASE, CHROMIUM, COUNTRY, HERE, TAG, close, counts, launch, log, prepareArtifacts } from './lib.mjs';

const only = process.argv.slice(2);
const specs = readdirSync(join(HERE, 'specs'))
  .filter((f) => f.endsWith('.mjs'))
  .filter((f) => only.length === 0 || only.some((o) => f.includes(o)))
  .sort();

let crashed = null;
try {
  prepareArtifacts();
  if (!existsSync(CHROMIUM)) {
    log(`not ok 1 - chromium at ${CHROMIUM}\n  # install it: apt-get install -y chromium`);
    log('0 passed, 1 failed');
    process.exit(1);
  }
  log(`# smscamp web UI end-to-end: ${BASE}, screenshots in ${ART}`);
  log(`# phones in ${COUNTRY.tz} (daytime there now), run tag ${TAG}; specs: ${specs.join(' ')}`);
  await launch();
  const shared = {}; // what one spec leaves for the next (a campaign's path, ...)
  for (const f of specs) {
    log(`# ${f}`);
    const spec = await import(pathToFileURL(join(HERE, 'specs', f)).href);
    await spec.default(shared);
  }
} catch (e) {
  crashed = e;
}
if (crashed) {
  counts.failed += 1;
  counts.n += 1;
  log(`not ok ${counts.n} - the test run itself`);
  for (const l of String(crashed.stack || crashed).split('\n').slice(0, 10)) log(`  # ${l}`);
}
await close();
log(`1..${counts.n}`);
log(`# screenshots: ${ART}`);
log(`${counts.passed} passed, ${counts.failed} failed${counts.skipped ? `, ${counts.skipped} skipped` : ''}`);
process.exit(counts.failed > 0 ? 1 : 0);
