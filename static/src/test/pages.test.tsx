import { describe, expect, it } from 'vitest';
import { screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import CampaignsPage from '../pages/CampaignsPage';
import DashboardPage from '../pages/DashboardPage';
import LeadsPage from '../pages/LeadsPage';
import App from '../App';
import { makeQueryClient } from '../lib/queryClient';
import { campaign, lead, mockApi, mockCampaignDetail, page, renderCampaignDetail, renderWithProviders } from './helpers';
import { render } from '@testing-library/react';

describe('Campaigns page', () => {
  it('shows "not available yet" while the campaigns API is missing — never fake data', async () => {
    mockApi(() => undefined); // every route: 404 {"detail":"Not Found"}
    renderWithProviders(<CampaignsPage />, { route: '/campaigns' });
    const na = await screen.findByTestId('not-available');
    expect(na).toHaveTextContent("Campaigns isn't available on this server yet");
    expect(na).toHaveTextContent('/api/campaigns');
    expect(screen.queryByRole('table')).toBeNull();
    expect(screen.queryByRole('link', { name: 'New campaign' })).toBeNull();
  });

  it('lists campaigns with status badges and progress bars, and filters by status', async () => {
    const { calls } = mockApi((c) =>
      c.url.startsWith('/api/campaigns')
        ? { status: 200, json: page([campaign(1, { status: 'processing' }), campaign(2, { status: 'completed', stats: { sent: 4, total: 4 } })]) }
        : undefined,
    );
    renderWithProviders(<CampaignsPage />, { route: '/campaigns' });
    const table = await screen.findByTestId('campaigns-table');
    expect(within(table).getByRole('link', { name: 'Campaign 1' })).toHaveAttribute('href', '/campaigns/1');
    expect(within(table).getByText('Processing')).toBeInTheDocument();
    expect(within(table).getByText('Completed')).toBeInTheDocument();
    const bars = within(table).getAllByRole('progressbar', { name: 'Progress of Campaign 2' });
    expect(bars[0]).toHaveAttribute('aria-valuenow', '4');
    await userEvent.click(screen.getByRole('button', { name: 'Paused' }));
    await waitFor(() => expect(calls.some((c) => c.url.includes('status=paused'))).toBe(true));
    expect(screen.getByRole('button', { name: 'Paused' })).toHaveAttribute('aria-pressed', 'true');
  });
});

describe('Campaign detail page', () => {
  it('shows live counts and only the buttons the status allows', async () => {
    mockCampaignDetail(campaign(7, { status: 'processing', stats: { pending: 6, sent: 3, failed: 1, total: 10 } }), {
      leads: [{ ...lead(1), id: 11, lead_id: 1, status: 'sent', sms_sent: true, sms_message: 'Hi Lead 1!', sms_segments: 1, sms_cost: '0.0079', error_message: null, trace_id: 't1', processed_at: null }],
    });
    renderCampaignDetail(7);
    expect(await screen.findByRole('heading', { name: 'Campaign 7' })).toBeInTheDocument();
    expect(screen.getByTestId('progress-text')).toHaveTextContent('4 of 10 processed');
    const actions = screen.getByRole('group', { name: 'Campaign actions' });
    expect(within(actions).getAllByRole('button').map((b) => b.textContent)).toEqual(['Pause', 'Cancel campaign']);
    expect(await screen.findByText('Hi Lead 1!')).toBeInTheDocument();
  });

  it('shows a 409 from a lifecycle action clearly', async () => {
    mockCampaignDetail(campaign(8, { agent_type: 'sms' }), {
      first: (c) => (c.method === 'POST' && c.url === '/api/campaigns/8/start' ? { status: 409, json: { detail: 'Campaign 8 has no leads: add leads before starting it' } } : undefined),
    });
    renderCampaignDetail(8);
    await userEvent.click(await screen.findByRole('button', { name: 'Start' }));
    expect(await screen.findByText('Conflict: Campaign 8 has no leads: add leads before starting it')).toBeInTheDocument();
  });

  it('offers Start and Schedule for a voice draft, as for any draft', async () => {
    const calls: string[] = [];
    mockApi((c) => {
      calls.push(`${c.method} ${c.url}`);
      if (c.url === '/api/campaigns/8') return { status: 200, json: campaign(8, { agent_type: 'voice' }) };
      if (c.url.startsWith('/api/campaigns/8/')) return { status: 200, json: page([]) };
      return undefined;
    });
    renderCampaignDetail(8);
    const actions = await screen.findByRole('group', { name: 'Campaign actions' });
    expect(within(actions).getAllByRole('button').map((b) => b.textContent)).toEqual(['Start', 'Schedule', 'Edit', 'Delete']);
    expect(screen.queryByText(/coming soon/i)).toBeNull();
    expect(calls.filter((c) => c.startsWith('POST'))).toEqual([]);
  });

  it('says "Campaign not found" for a deleted campaign', async () => {
    mockApi((c) => (c.url === '/api/campaigns/9' ? { status: 404, json: { detail: 'Campaign 9 not found' } } : undefined));
    renderCampaignDetail(9);
    expect(await screen.findByText('Campaign not found')).toBeInTheDocument();
  });
});

describe('Dashboard', () => {
  it('renders totals, the hourly chart and recent campaigns', async () => {
    const hours = Array.from({ length: 24 }, (_, i) => (i === 23 ? 12 : 0));
    mockApi((c) => {
      if (c.url === '/api/dashboard/stats')
        return {
          status: 200,
          json: {
            total_leads: 1234, total_campaigns: 3, campaigns_by_status: { completed: 2, draft: 1 },
            total_messages_sent: 97, total_messages_failed: 3, total_messages_pending: 0, total_segments: 120,
            total_cost: '0.948', success_rate: 97, messages_per_hour: hours,
          },
        };
      if (c.url.startsWith('/api/dashboard/recent-campaigns')) return { status: 200, json: page([campaign(1, { status: 'completed' })]) };
      return undefined;
    });
    renderWithProviders(<DashboardPage />);
    const stats = await screen.findByTestId('dashboard-stats');
    expect(stats).toHaveTextContent('1,234');
    expect(stats).toHaveTextContent('97.0%');
    expect(stats).toHaveTextContent('$0.9480');
    expect(screen.getByTestId('hourly-chart').querySelectorAll('[data-bar]')).toHaveLength(24);
    expect(await screen.findByRole('link', { name: 'Campaign 1' })).toBeInTheDocument();
  });

  it('falls back to the real leads total while the dashboard API is missing', async () => {
    mockApi((c) => (c.url.startsWith('/api/leads') ? { status: 200, json: page([lead(1)], 42, 1) } : undefined));
    renderWithProviders(<DashboardPage />);
    expect(await screen.findByText("Dashboard statistics isn't available on this server yet.")).toBeInTheDocument();
    expect(await screen.findByText('42')).toBeInTheDocument();
    expect(await screen.findByText("Recent campaigns isn't available on this server yet.")).toBeInTheDocument();
  });
});

describe('Leads page', () => {
  it('lists leads and shows an empty state for a search without matches', async () => {
    mockApi((c) =>
      c.url.startsWith('/api/leads')
        ? c.url.includes('q=zzz')
          ? { status: 200, json: page([], 0, 25) }
          : { status: 200, json: page([lead(1, { opted_out: true }), lead(2, { opted_out: false })], 2, 25) }
        : undefined,
    );
    renderWithProviders(<LeadsPage />, { route: '/leads' });
    const table = await screen.findByTestId('leads-table');
    expect(within(table).getByText('Lead 1')).toBeInTheDocument();
    expect(within(table).getByText('Opted out')).toBeInTheDocument();
    expect(within(table).getByText('Subscribed')).toBeInTheDocument();
    await userEvent.type(screen.getByLabelText('Search leads'), 'zzz');
    expect(await screen.findByText('No leads match “zzz”')).toBeInTheDocument();
  });

  it('shows a 503 clearly with a retry button', async () => {
    mockApi(() => ({ status: 503, json: { detail: 'Database unavailable' } }));
    renderWithProviders(<LeadsPage />, { route: '/leads' });
    expect(await screen.findByText('Service unavailable: Database unavailable', {}, { timeout: 3000 })).toBeInTheDocument();
    expect(screen.getByRole('button', { name: 'Try again' })).toBeInTheDocument();
  });
});

describe('API key prompt', () => {
  it('asks for a key on 401 and sends it afterwards', async () => {
    const { calls } = mockApi((c) => (c.headers.Authorization === 'Bearer k-123' ? { status: 200, json: c.url.startsWith('/api/leads') ? page([], 0) : { status: 'ok' } } : { status: 401, json: { detail: 'API key required' } }));
    window.history.pushState({}, '', '/leads');
    render(<App queryClient={makeQueryClient()} />);
    const dialog = await screen.findByRole('dialog', { name: 'API key required' });
    await userEvent.type(within(dialog).getByLabelText(/API key/), 'k-123');
    await userEvent.click(within(dialog).getByRole('button', { name: 'Save key' }));
    expect(await screen.findByText('No leads yet')).toBeInTheDocument();
    expect(sessionStorage.getItem('smscamp.apiKey')).toBe('k-123');
    expect(calls.some((c) => c.headers.Authorization === 'Bearer k-123')).toBe(true);
    window.history.pushState({}, '', '/');
  });
});
