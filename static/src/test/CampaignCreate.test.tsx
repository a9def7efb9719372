import { describe, expect, it } from 'vitest';
import { screen, waitFor } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { Route, Routes } from 'react-router';
import CampaignCreatePage from '../pages/CampaignCreatePage';
import { defaultSettings, settingsToInput, selectionToInput } from '../components/CampaignForm';
import { lead, mockApi, page, renderWithProviders } from './helpers';

describe('campaign form values', () => {
  it('maps to the API body: temperature in hundredths, quiet hours, one way to pick leads', () => {
    const body = settingsToInput({ ...defaultSettings, name: ' Spring ', sms_temperature: 120, quiet_hours: false, messages_per_second: '5' });
    expect(body).toMatchObject({ name: 'Spring', sms_temperature: 120, send_window: null, messages_per_second: 5, max_send_errors: 10, agent_type: 'sms' });
    expect(settingsToInput(defaultSettings).send_window).toBe('08:00-21:00');
    expect(selectionToInput({ mode: 'count', count: 7, filter: 'x', ids: [1] })).toEqual({ lead_count: 7 });
    expect(selectionToInput({ mode: 'ids', count: 7, filter: 'x', ids: [1, 2] })).toEqual({ lead_ids: [1, 2] });
    expect(selectionToInput({ mode: 'filter', count: 7, filter: ' acme ', ids: [] })).toEqual({ lead_filter: 'acme' });
  });
});

describe('CampaignCreatePage', () => {
  it('shows the 422 field messages by their fields and creates with the chosen leads', async () => {
    let attempt = 0;
    const { calls } = mockApi((c) => {
      if (c.url.startsWith('/api/leads')) return { status: 200, json: page([lead(1), lead(2)], 2) };
      if (c.method === 'GET' && c.url.startsWith('/api/campaigns')) return { status: 200, json: page([]) };
      if (c.method === 'POST' && c.url === '/api/campaigns') {
        attempt += 1;
        if (attempt === 1)
          return {
            status: 422,
            json: {
              detail: [
                { loc: ['body', 'name'], msg: 'name must not be empty', type: 'value_error' },
                { loc: ['body', 'lead_ids', 0], msg: 'Lead 999 does not exist', type: 'value_error' },
              ],
            },
          };
        return { status: 201, json: { id: 5, name: 'Spring' } };
      }
      return undefined;
    });
    renderWithProviders(
      <Routes>
        <Route path="/campaigns/new" element={<CampaignCreatePage />} />
        <Route path="/campaigns/:id" element={<p>detail page</p>} />
      </Routes>,
      { route: '/campaigns/new' },
    );
    const user = userEvent.setup();
    await user.click(await screen.findByText('Pick leads'));
    await user.click(await screen.findByRole('checkbox', { name: /Lead 2/ }));
    // nothing to send: refused in the browser, nothing posted
    await user.click(screen.getByRole('button', { name: /Create draft/ }));
    expect(await screen.findByText(/Write the message as a template, or give the writer instructions/)).toBeInTheDocument();
    expect(calls.filter((c) => c.method === 'POST')).toHaveLength(0);
    await user.type(screen.getByLabelText(/^Message template/), 'Hi {{first_name}, sale Monday.');
    await user.type(screen.getByLabelText(/^Sender/), 'Sam from Acme');
    await user.click(screen.getByRole('button', { name: /Create draft/ }));
    const name = screen.getByLabelText(/^Name/);
    await waitFor(() => expect(name).toHaveAttribute('aria-invalid', 'true'));
    expect(name).toHaveAccessibleDescription('name must not be empty');
    expect(screen.getByText('Lead 999 does not exist')).toBeInTheDocument();
    const sent = JSON.parse(calls.find((c) => c.method === 'POST')!.body!);
    expect(sent.lead_ids).toEqual([2]);
    expect(sent).not.toHaveProperty('lead_filter');
    expect(sent.sms_template).toBe('Hi {first_name}, sale Monday.');
    expect(sent.sender_name).toBe('Sam from Acme');
    expect(sent.sms_system_prompt).toBeNull();

    await user.type(name, 'Spring');
    await user.click(screen.getByRole('button', { name: /Create draft/ }));
    expect(await screen.findByText('detail page')).toBeInTheDocument();
  });

  it('says who writes the messages, offers no prompt text to send, and offers the three agent types', async () => {
    mockApi((c) => {
      if (c.url.startsWith('/api/settings'))
        return { status: 200, json: { writer: { kind: 'builtin', model: null, host: null, label: 'Built-in writer (offline)' }, sms_provider: 'log', default_country: null, max_segments: 2, price_per_segment: 0.0079, optout_footer: 'Reply STOP to opt out' } };
      if (c.url.startsWith('/api/leads')) return { status: 200, json: page([]) };
      if (c.url.startsWith('/api/campaigns')) return { status: 200, json: page([]) };
      return undefined;
    });
    renderWithProviders(<CampaignCreatePage />, { route: '/campaigns/new' });
    expect(await screen.findByTestId('writer-badge')).toHaveTextContent('Built-in writer (offline)');
    const prompt = screen.getByLabelText(/^Instructions for the writer/) as HTMLTextAreaElement;
    expect(prompt.value).toBe('');
    expect(prompt.placeholder).toMatch(/^e\.g\. /);
    expect((screen.getByLabelText(/^Message template/) as HTMLTextAreaElement).value).toBe('');
    for (const name of [/^SMS/, /^Voice call/, /^Both/]) expect(screen.getByRole('radio', { name })).toBeEnabled();
    expect(screen.getByRole('radio', { name: /^SMS/ })).toBeChecked();
    expect(screen.queryByText('Coming soon')).toBeNull();
    const user = userEvent.setup();
    await user.type(screen.getByLabelText(/^Message template/), 'Hi');
    expect(screen.getByTestId('writer-badge')).toHaveTextContent('Template (offline)');
    await user.click(screen.getByRole('button', { name: '{first_name}' }));
    expect((screen.getByLabelText(/^Message template/) as HTMLTextAreaElement).value).toBe('Hi {first_name}');
  });

  it('names the model when one is configured', async () => {
    mockApi((c) => {
      if (c.url.startsWith('/api/settings'))
        return { status: 200, json: { writer: { kind: 'llm', model: 'gpt-4o-mini', host: 'api.openai.com', label: 'gpt-4o-mini at api.openai.com' }, sms_provider: 'twilio', default_country: '44', max_segments: 2, price_per_segment: 0.0079, optout_footer: 'Reply STOP to opt out' } };
      if (c.url.startsWith('/api/leads')) return { status: 200, json: page([]) };
      if (c.url.startsWith('/api/campaigns')) return { status: 200, json: page([]) };
      return undefined;
    });
    renderWithProviders(<CampaignCreatePage />, { route: '/campaigns/new' });
    expect(await screen.findByTestId('writer-badge')).toHaveTextContent('gpt-4o-mini at api.openai.com');
  });

  it('says creating campaigns is not available while the API is missing', async () => {
    mockApi((c) => (c.url.startsWith('/api/leads') ? { status: 200, json: page([]) } : undefined));
    renderWithProviders(<CampaignCreatePage />, { route: '/campaigns/new' });
    expect(await screen.findByTestId('not-available')).toHaveTextContent("Creating campaigns isn't available");
    expect(screen.queryByRole('button', { name: /Create draft/ })).toBeNull();
  });
});
