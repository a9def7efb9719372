// A campaign from the form to completed: preview, start, progress, a lead's log, the list.

import { COMPLETE_TIMEOUT, TAG, a11y, assert, goto, page, settle, shot, step } from '../lib.mjs';

/** The page as it is: its screenshot (name), and its accessibility check (what it shows). */
async function look(name, what, opts) {
  await shot(name, opts);
  await a11y(what);
}

export default async function (shared) {
  const campaignName = `Welcome ${TAG}`;
  shared.campaignName = campaignName;
  /** A step on the campaign the first step created (and left open on its page). */
  const stepOnTheCampaign = (name, fn) =>
    step(name, async () => {
      assert(shared.campaignPath, 'a campaign was created');
      await fn();
    });

  await step(
    'campaigns: create a campaign (search-selected leads) and see its message preview',
    async () => {
      await goto('/campaigns/new');
      await page.getByRole('heading', { name: 'New campaign' }).waitFor();
      const form = page.getByRole('form', { name: 'New campaign' });
      await form.getByLabel('Name').fill(campaignName);
      await form.getByLabel('Description').fill('Browser end-to-end test');
      await form.getByLabel('Instructions for the writer').fill(
        'You are Sam from Acme. Write a short friendly SMS inviting the lead to a product demo next week.',
      );
      await form.getByLabel('Leads matching').fill(`Import ${TAG}`);
      await page.getByTestId('lead-filter-count').filter({ hasText: '5 leads match' }).waitFor();
      await look('06-campaign-new', 'the new campaign form');
      await form.getByRole('button', { name: /Create draft/ }).click();
      await page.waitForURL(/\/campaigns\/\d+$/);
      shared.campaignPath = new URL(page.url()).pathname;
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
      await look('07-campaign-draft-preview', 'a draft campaign');
    },
  );

  await stepOnTheCampaign(
    'campaigns: start it and watch it reach completed',
    async () => {
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
      await look('09-campaign-completed', 'a completed campaign');
    },
  );

  await stepOnTheCampaign(
    "campaigns: open a lead's processing log (validate_lead → sms_agent → finalize)",
    async () => {
      await page.getByTestId('campaign-leads-table').getByRole('button', { name: /^Open the log of / }).first().click();
      const dialog = page.getByRole('dialog');
      await dialog.getByTestId('lead-log').waitFor();
      await dialog.getByTestId('log-row').first().waitFor();
      const timeline = await dialog.getByTestId('node-timeline').textContent();
      for (const node of ['Validate lead', 'SMS agent', 'Finalize']) assert(timeline.includes(node), `timeline shows ${node}`);
      const nodes = await dialog.getByTestId('log-row').allTextContents();
      for (const node of ['validate_lead', 'sms_agent', 'finalize']) assert(nodes.some((t) => t.includes(node)), `a log row of ${node}`);
      await look('10-campaign-lead-log', "a lead's log", { full: false });
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
      await look('11-campaigns', 'the campaigns page');
    },
  );
}
