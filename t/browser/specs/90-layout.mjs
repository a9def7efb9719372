// Last, over what the specs before made: the dashboard's totals, every page at phone width, an unknown address.

import { RUN, TAG, a11y, apiGet, apiSend, assert, goto, page, phone, settle, shot, step } from '../lib.mjs';

export default async function (shared) {
  await step('the dashboard shows the totals after the run', async () => {
    await goto('/');
    await page.getByTestId('dashboard-stats').waitFor();
    await page.getByTestId('hourly-chart').waitFor();
    await page.getByRole('link', { name: shared.campaignName }).first().waitFor();
    await settle();
    await shot('12-dashboard');
  });

  await step('phone width (390 px): pages fit without sideways scrolling', async () => {
    await page.setViewportSize({ width: 390, height: 844 });
    const pages = [
      ['/', 'mobile-dashboard'],
      ['/leads', 'mobile-leads'],
      ['/campaigns', 'mobile-campaigns'],
    ];
    if (shared.campaignPath) pages.push([shared.campaignPath, 'mobile-campaign-detail']);
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

  await step('phone width (390 px): a lead row\'s Edit, Delete and checkbox and the bulk bar are on screen and work', async () => {
    await page.setViewportSize({ width: 390, height: 844 });
    let made = null;
    try {
      // (a lead to show, when the specs before left none)
      if (!(await apiGet('/api/leads?limit=1')).body?.total) {
        made = (await apiSend('POST', '/api/leads', { name: `Layout ${TAG}`, phone: phone() })).body;
      }
      await goto('/leads');
      const table = page.getByTestId('leads-table');
      await table.waitFor();
      await settle();
      const row = table.locator('tbody tr').first();
      const onScreen = async (loc, what) => {
        await loc.scrollIntoViewIfNeeded();
        assert(await loc.isVisible(), `${what} is visible`);
        const box = await loc.boundingBox();
        assert(box && box.x >= 0 && box.x + box.width <= 390 && box.width >= 16 && box.height >= 16,
          `${what} is on screen and big enough to tap (${JSON.stringify(box)})`);
      };
      const edit = row.getByRole('button', { name: /^Edit / });
      await onScreen(edit, 'Edit');
      await onScreen(row.getByRole('button', { name: /^Delete / }), 'Delete');
      const name = ((await edit.getAttribute('aria-label')) || '').replace(/^Edit /, '');
      await edit.click();
      const dialog = page.getByRole('dialog', { name: `Edit ${name}` });
      await dialog.waitFor();
      await page.keyboard.press('Escape');
      await dialog.waitFor({ state: 'detached' });
      const box = row.getByRole('checkbox', { name: /^Select / });
      await box.check();
      const bar = page.getByRole('region', { name: 'Selected leads' });
      for (const b of ['Add to campaign', 'Opt out', 'Delete', 'Clear selection']) await onScreen(bar.getByRole('button', { name: b }), `the bulk bar's ${b}`);
      const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
      assert(overflow <= 1, `with the bulk bar, /leads is ${overflow}px wider than the screen`);
      await shot('mobile-leads-selected', { full: false });
      await a11y('the leads page at phone width with a selection');
      await bar.getByRole('button', { name: 'Clear selection' }).click();
      await bar.waitFor({ state: 'detached' });
    } finally {
      await page.setViewportSize({ width: 1360, height: 900 });
      if (made?.id) await apiSend('DELETE', `/api/leads/${made.id}`);
    }
  });

  await step('phone width (390 px): the API keys page fits', async () => {
    await page.setViewportSize({ width: 390, height: 844 });
    try {
      await goto('/keys');
      await page.getByTestId('keys-table').waitFor();
      await settle();
      const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
      assert(overflow <= 1, `/keys is ${overflow}px wider than the screen`);
      await shot('mobile-keys');
      await a11y('/keys at phone width');
    } finally {
      await page.setViewportSize({ width: 1360, height: 900 });
    }
  });

  await step('an unknown address shows the app\'s "Page not found"', async () => {
    await goto(`/no/such/page-${RUN}`);
    await page.getByRole('heading', { name: 'Page not found' }).waitFor();
  });
}
