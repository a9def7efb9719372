// The message writer as a new user meets it: the form says who writes the messages and holds
// no text that would be sent, voice calls can be picked; a prompt the built-in writer cannot
// understand gets "No message can be written" with the two ways out, and Start refuses it; a
// template is then sent as written; a prompt it understands shows what it understood.

import { TAG, a11y, apiSend, assert, expectHttp, goto, page, phone, settle, shot, step } from '../lib.mjs';

export default async function (shared) {
  const leadName = `Ada Writer${TAG}`;
  let leadId = null;
  let campaignPath = null;

  await step('writer: the new campaign form says who writes, and sends nothing by default', async () => {
    const made = await apiSend('POST', '/api/leads', { name: leadName, phone: phone(), company: `Analytical ${TAG}` });
    assert(made.status === 201, `POST /api/leads answered ${made.status}`);
    leadId = made.body.id;
    await goto('/campaigns/new');
    const form = page.getByRole('form', { name: 'New campaign' });
    await form.getByTestId('writer-badge').filter({ hasText: 'Built-in writer (offline)' }).waitFor();
    const prompt = form.getByLabel('Instructions for the writer');
    assert((await prompt.inputValue()) === '', 'the prompt starts empty');
    assert((await prompt.getAttribute('placeholder')).startsWith('e.g. '), 'with an example as its placeholder');
    assert((await form.getByLabel('Message template').inputValue()) === '', 'the template starts empty');
    assert(!(await form.getByRole('radio', { name: /^Voice call/ }).isDisabled()), 'voice calls can be picked');
    await shot('20-writer-form');
    await a11y('the campaign form');
  });

  await step('writer: a prompt it cannot understand is refused, with the two ways out, and cannot start', async () => {
    expectHttp('POST', /^\/api\/campaigns\/\d+\/preview$/, 422);
    expectHttp('POST', /^\/api\/campaigns\/\d+\/start$/, 422);
    await goto('/campaigns/new');
    const form = page.getByRole('form', { name: 'New campaign' });
    await form.getByLabel('Name').fill(`Vague ${TAG}`);
    await form.getByLabel('Instructions for the writer').fill('Make them buy. Use your judgement based on their notes.');
    await form.getByText('Pick leads').click();
    await form.getByLabel('Find leads').fill(leadName);
    await form.getByRole('checkbox', { name: new RegExp(leadName) }).check();
    await form.getByRole('button', { name: /Create draft/ }).click();
    await page.waitForURL(/\/campaigns\/\d+$/);
    campaignPath = new URL(page.url()).pathname;
    await page.getByText('No message can be written').waitFor({ timeout: 30_000 });
    await page.getByText(/did not understand "Make them buy"/).first().waitFor();
    const ways = await page.getByTestId('preview-ways-out').textContent();
    assert(/template/.test(ways) && /AI model/.test(ways), `the ways out: ${ways}`);
    assert((await page.getByTestId('preview-message').count()) === 0, 'no message is shown');
    await shot('21-writer-refused');
    await a11y('a refused preview');
    await page.getByRole('group', { name: 'Campaign actions' }).getByRole('button', { name: 'Start' }).click();
    await page.getByText(/cannot write a message from this prompt/).first().waitFor();
    await page.locator('[data-testid=campaign-status][data-status=draft]').waitFor();
  });

  await step('writer: with a template instead, the preview is the template filled in', async () => {
    assert(campaignPath, 'the campaign was made');
    await page.getByRole('button', { name: 'Edit', exact: true }).click();
    const dialog = page.getByRole('dialog', { name: 'Edit campaign' });
    await dialog.getByLabel('Message template').fill('Hi {first_name}, {company|your team} is invited to our open day on Saturday - reply YES to come.');
    await dialog.getByLabel('Sender').fill('Sam from Acme');
    await dialog.getByRole('button', { name: /Save/ }).click();
    await dialog.waitFor({ state: 'detached' });
    await page.getByRole('button', { name: /Preview (message|again)/ }).click();
    const msg = page.getByTestId('preview-message');
    await msg.waitFor({ timeout: 30_000 });
    const text = await msg.textContent();
    assert(text.startsWith(`Hi Ada, Analytical ${TAG} is invited to our open day on Saturday`), `the template filled in: ${text}`);
    assert(text.endsWith('Reply STOP to opt out'), `the footer: ${text}`);
    await page.getByText('Template (offline)').first().waitFor();
    await settle();
    await shot('22-writer-template');
  });

  await step('writer: a prompt it understands shows the message and what it understood', async () => {
    await goto('/campaigns/new');
    const form = page.getByRole('form', { name: 'New campaign' });
    await form.getByLabel('Name').fill(`Demo ${TAG}`);
    await form.getByLabel('Instructions for the writer').fill(
      'You are Sam from Acme. Invite them to our product demo on Friday at 3pm and ask them to reply YES to save a seat. Keep it short.',
    );
    await form.getByText('Pick leads').click();
    await form.getByLabel('Find leads').fill(leadName);
    await form.getByRole('checkbox', { name: new RegExp(leadName) }).check();
    await form.getByRole('button', { name: /Create draft/ }).click();
    await page.waitForURL(/\/campaigns\/\d+$/);
    const msg = page.getByTestId('preview-message');
    await msg.waitFor({ timeout: 30_000 });
    const text = await msg.textContent();
    assert(/^(Hi|Hello) Ada, (it's|this is) Sam from Acme\. /.test(text), `greets and names the sender: ${text}`);
    assert(/product demo on Friday at 3pm/.test(text) && /Reply YES to save a seat/.test(text), `the offer and the call: ${text}`);
    assert(!/You are|Keep it|ask them/.test(text), `no instruction is sent: ${text}`);
    await page.getByTestId('writer-plan').click();
    await page.getByTestId('writer-plan').getByText('Keep it short').waitFor();
    await shot('23-writer-understood');
    await a11y('a preview with what the writer understood');
    shared.writerLeadId = leadId;
  });
}
