import { describe, expect, it } from 'vitest';
import { screen, waitFor } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import PreviewPanel from '../components/PreviewPanel';
import { campaign, lead, mockApi, page, renderWithProviders } from './helpers';

const campaignLead = { id: 11, lead_id: 1, name: 'Ada Lovelace', phone: '+447700900001', status: 'pending' };

describe('PreviewPanel', () => {
  it('shows who wrote the message and what the built-in writer understood', async () => {
    mockApi((c) => {
      if (c.url.startsWith('/api/campaigns/3/leads')) return { status: 200, json: page([campaignLead]) };
      if (c.url === '/api/campaigns/3/preview')
        return {
          status: 200,
          json: {
            campaign_id: 3, lead_id: 1, message: "Hi Ada, it's Sam from Acme. You're invited to our demo on Friday. Reply STOP to opt out",
            encoding: 'GSM-7', segments: 1, characters: 90, cost: 0.0079, model: null, truncated: false, validation_errors: [], valid: true,
            writer: { kind: 'builtin', model: null, host: null, label: 'Built-in writer (offline)' }, empty_placeholders: [],
            plan: { ok: true, error: null, sender: 'Sam from Acme', company: 'when it fits', parts: [{ kind: 'invite', text: "you're invited to our demo on Friday.", from: 'Invite them to our demo on Friday' }], style: ['Keep it short'], not_used: [] },
          },
        };
      return undefined;
    });
    renderWithProviders(<PreviewPanel campaign={campaign(3) as never} autoRun />);
    expect(await screen.findByTestId('preview-message')).toHaveTextContent("it's Sam from Acme");
    expect(screen.getByText('Built-in writer (offline)')).toBeInTheDocument();
    const plan = screen.getByTestId('writer-plan');
    expect(plan).toHaveTextContent('Sam from Acme');
    expect(plan).toHaveTextContent('from "Invite them to our demo on Friday"');
    expect(plan).toHaveTextContent('Keep it short');
  });

  it('a prompt it cannot write from: the server says why, and the two ways out are shown', async () => {
    mockApi((c) => {
      if (c.url.startsWith('/api/campaigns/3/leads')) return { status: 200, json: page([campaignLead]) };
      if (c.url === '/api/campaigns/3/preview')
        return { status: 422, json: { detail: 'The built-in writer (no AI model is configured) cannot write a message from this prompt: it did not understand "Make them buy". Nothing was sent.' } };
      return undefined;
    });
    renderWithProviders(<PreviewPanel campaign={campaign(3) as never} autoRun />);
    expect(await screen.findByText('No message can be written')).toBeInTheDocument();
    expect(screen.getByText(/did not understand "Make them buy"/)).toBeInTheDocument();
    expect(screen.getByTestId('preview-ways-out')).toHaveTextContent(/template/);
    expect(screen.getByTestId('preview-ways-out')).toHaveTextContent(/AI model/);
    expect(screen.queryByTestId('preview-message')).toBeNull();
  });

  it('the sample lead is searched among all leads, not the first 50 of the campaign', async () => {
    const { calls } = mockApi((c) => {
      if (c.url.startsWith('/api/campaigns/3/leads')) return { status: 200, json: page([campaignLead], 1) };
      if (c.url.startsWith('/api/leads')) return { status: 200, json: page([lead(777, { name: 'Zed Far' })], 1) };
      if (c.url === '/api/campaigns/3/preview')
        return { status: 200, json: { campaign_id: 3, lead_id: 777, message: 'Hi Zed, hello. Reply STOP to opt out', encoding: 'GSM-7', segments: 1, characters: 30, cost: 0.0079, model: null, truncated: false, validation_errors: [], valid: true } };
      return undefined;
    });
    renderWithProviders(<PreviewPanel campaign={campaign(3) as never} />);
    const user = userEvent.setup();
    await user.type(await screen.findByLabelText('Sample lead'), 'Zed');
    await user.click(await screen.findByRole('button', { name: /Zed Far/ }));
    await user.click(screen.getByRole('button', { name: 'Preview message' }));
    expect(await screen.findByTestId('preview-message')).toHaveTextContent('Hi Zed');
    await waitFor(() => expect(calls.some((c) => c.url.startsWith('/api/leads') && c.url.includes('q=Zed'))).toBe(true));
    expect(JSON.parse(calls.find((c) => c.url === '/api/campaigns/3/preview')!.body!)).toEqual({ lead_id: 777 });
  });
});
