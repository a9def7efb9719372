// The dashboard's Database card (GET /api/cluster): which database node the server is on and
// whether it replicates. The test instance is one PostgreSQL: "Single node", its port, and the
// grey "One node: no replication" badge. (Against a formation, make run-ha, the single-node step
// is skipped and the card must say "Formation" with the badge the API's answer calls for.)

import { a11y, apiGet, assert, goto, page, settle, shot, step } from '../lib.mjs';

export default async function () {
  const cluster = await apiGet('/api/cluster');
  const c = cluster.body;
  const single = cluster.status === 200 && c?.mode === 'single';

  await step('cluster: GET /api/cluster answers the node and its replication', async () => {
    assert(cluster.status === 200, `GET /api/cluster answered ${cluster.status}`);
    assert(['single', 'formation'].includes(c?.mode), `mode is single or formation: ${JSON.stringify(c?.mode)}`);
    assert(Number.isInteger(c?.node?.port) && Array.isArray(c?.standbys), `node.port and standbys: ${JSON.stringify(c)}`);
  });

  await step('cluster: the dashboard shows "Single node" and the grey "One node: no replication" badge', async () => {
    await goto('/');
    await page.getByRole('heading', { name: 'Dashboard', level: 1 }).waitFor();
    const card = page.getByTestId('cluster-card');
    await card.getByRole('heading', { name: 'Database' }).waitFor();
    await card.getByText('Single node', { exact: true }).waitFor();
    const badge = card.getByTestId('cluster-badge');
    await badge.filter({ hasText: 'One node: no replication' }).waitFor();
    assert((await badge.getAttribute('data-cluster-state')) === 'single', 'the badge is the single-node one');
    const tone = await badge.locator('span').first().getAttribute('class');
    assert(/\bbg-slate-100\b/.test(tone ?? ''), `the badge is grey (${tone})`);
    assert((await card.getByTestId('cluster-node').innerText()).trim() === 'Primary', 'the node is a primary');
    assert((await card.innerText()).includes(String(c.node.port)), `the card shows the port ${c.node.port}`);
    assert((await card.getByTestId('cluster-standbys').count()) === 0, 'no standby table on one node');
    await card.scrollIntoViewIfNeeded();
    await settle();
    await shot('13-dashboard-database');
    await a11y('the dashboard with the Database card');
  }, { skip: cluster.status === 200 && !single ? `the server runs on a formation (mode ${c?.mode})` : undefined });

  await step('cluster: on a formation the card says "Formation", its standbys and the badge of marks_durable', async () => {
    await goto('/');
    const card = page.getByTestId('cluster-card');
    await card.getByText('Formation', { exact: true }).waitFor();
    const state = c.durable_marks ? (c.marks_durable ? 'durable' : 'held') : 'unchecked';
    const badge = card.getByTestId('cluster-badge');
    await badge.waitFor();
    assert((await badge.getAttribute('data-cluster-state')) === state, `the badge is "${state}"`);
    if (c.standbys.length > 0) {
      const rows = card.getByTestId('cluster-standby');
      await rows.first().waitFor();
      assert((await rows.count()) === c.standbys.length, `one row per standby (${c.standbys.length})`);
    }
    await settle();
    await a11y('the dashboard with the Database card of a formation');
  }, { skip: single ? 'the server runs on one node' : cluster.status !== 200 ? 'no answer from GET /api/cluster' : undefined });
}
