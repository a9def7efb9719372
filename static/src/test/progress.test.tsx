// Progress that tells the truth: the texts of cancelled, paused and waiting campaigns, the
// send rates from the server, "—" for a success rate with nothing processed, one cost format,
// deleted leads and readable log metadata.
import { afterEach, describe, expect, it, vi } from 'vitest';
import { render, screen, within } from '@testing-library/react';
import DashboardPage from '../pages/DashboardPage';
import { MetadataTable } from '../components/logs';
import { countTiles, leadWaitText, progressText, waitingText } from '../lib/status';
import { fmtCost, fmtPercent, fmtRate } from '../lib/format';
import { campaign, lead, mockApi, mockCampaignDetail, page, renderCampaignDetail, renderWithProviders } from './helpers';

const counts = (over: Record<string, number>) => ({
  pending: 0, processing: 0, sending: 0, sent: 0, delivered: 0, undelivered: 0,
  failed: 0, skipped: 0, cancelled: 0, unknown: 0, ...over,
});

const stats = (over: Record<string, unknown>) => ({
  total_leads: 0, leads_by_status: counts({}), processed: 0, total_messages_sent: 0,
  total_messages_failed: 0, total_messages_pending: 0, total_segments: 0, total_cost: 0,
  success_rate: null, progress: 0, rate: { current: null, average: null, window_seconds: null },
  waiting: null, started_at: null, completed_at: null, ...over,
});

afterEach(() => vi.unstubAllGlobals());

describe('progress texts', () => {
  it('a cancelled campaign with nothing sent: 0 sent, N cancelled, not "N of N processed"', () => {
    const c = { status: 'cancelled' as const, stats: stats({ total_leads: 196, leads_by_status: counts({ cancelled: 196 }), processed: 0 }) };
    expect(progressText(c)).toBe('0 sent · 196 cancelled');
    expect(progressText(c)).not.toMatch(/processed/);
  });

  it('a cancelled campaign after some sends names each outcome', () => {
    const c = { status: 'cancelled' as const, stats: stats({ total_leads: 10, leads_by_status: counts({ sent: 3, failed: 1, cancelled: 6 }), processed: 4 }) };
    expect(progressText(c)).toBe('3 sent · 1 failed · 6 cancelled');
  });

  it('a paused campaign shows what waits, and no "Processing" tile', () => {
    const c = { status: 'paused' as const, stats: stats({ total_leads: 200, leads_by_status: counts({ pending: 40, processing: 151, sent: 9 }), processed: 9 }) };
    expect(progressText(c)).toBe('Paused: 9 of 200 processed · 191 waiting to resume');
    const tiles = countTiles(c);
    expect(tiles.find((t) => t.key === 'paused')?.n).toBe(191);
    expect(tiles.some((t) => t.label === 'Processing')).toBe(false);
    expect(tiles.some((t) => t.label === 'Pending')).toBe(false);
  });

  it('a running campaign still shows processing leads', () => {
    const c = { status: 'processing' as const, stats: stats({ total_leads: 10, leads_by_status: counts({ pending: 5, processing: 2, sent: 3 }), processed: 3 }) };
    expect(progressText(c)).toBe('3 of 10 processed');
    expect(countTiles(c).find((t) => t.key === 'processing')?.n).toBe(2);
  });

  it('a campaign held by quiet hours says until when, in both time zones', () => {
    const text = waitingText({ reason: 'quiet_hours', next_send_at: '2026-12-03T13:00:00Z', window: '08:00-21:00', time_zone: 'America/New_York' });
    expect(text).toMatch(/^Waiting for quiet hours to end — next send 08:00 in the recipient's time zone \(America\/New_York\)/);
    expect(text).toContain('2026'); // the absolute time, in the viewer's zone
    expect(waitingText({ reason: 'retry', next_send_at: '2026-12-03T13:00:00Z', window: null, time_zone: null })).toMatch(/^Waiting to retry after an error/);
    expect(waitingText(null)).toBeNull();
  });

  it("a waiting lead's log says when it will be tried, and why", () => {
    expect(leadWaitText({ status: 'pending', next_attempt_at: '2026-12-03T13:00:00Z', wait_reason: 'quiet_hours' }, 'processing')).toMatch(
      /^Waiting for quiet hours to end: it will be tried at .*2026/,
    );
    expect(leadWaitText({ status: 'pending', next_attempt_at: '2026-12-03T13:00:00Z', wait_reason: 'retry' }, 'processing')).toMatch(/^Retry after an error/);
    expect(leadWaitText({ status: 'pending', next_attempt_at: null, wait_reason: null }, 'draft')).toBe('Waiting for the campaign to start.');
    expect(leadWaitText({ status: 'sent', next_attempt_at: null, wait_reason: null }, 'processing')).toBeNull();
  });
});

describe('formats', () => {
  it('cost has one format: dollars with 4 decimals', () => {
    expect(fmtCost(0.0079)).toBe('$0.0079');
    expect(fmtCost('0.948')).toBe('$0.9480');
    expect(fmtCost(12.5)).toBe('$12.5000');
    expect(fmtCost(1234.56789)).toBe('$1,234.5679');
    expect(fmtCost(0)).toBe('$0.0000');
  });

  it('a success rate of nothing is "—", a percent is a percent', () => {
    expect(fmtPercent(null)).toBe('—');
    expect(fmtPercent(undefined)).toBe('—');
    expect(fmtPercent(97)).toBe('97.0%');
    expect(fmtPercent(1)).toBe('1.0%'); // 1 %, not 100 %
  });

  it('a rate of too few sends is "—"', () => {
    expect(fmtRate(null)).toBe('—');
    expect(fmtRate(0.08)).toBe('0.08 msg/s');
    expect(fmtRate('3.7')).toBe('3.7 msg/s');
    expect(fmtRate(1140)).toBe('1,140 msg/s');
  });
});

describe('log metadata', () => {
  it('is a readable table of key → value, nested values too', () => {
    render(<MetadataTable metadata={{ status: 'pending', next_attempt_at: '2026-12-03T13:00:00Z', sms_cost: 0.0158, ok: true, error: null, provider: { sid: 'SM1', segments: 2 }, errors: ['opted out'] }} />);
    const table = screen.getByTestId('log-metadata');
    const row = (name: string) => within(table).getByRole('rowheader', { name }).closest('tr') as HTMLElement;
    expect(row('Status')).toHaveTextContent('pending');
    expect(row('Next attempt at')).toHaveTextContent('2026');
    expect(row('Next attempt at')).not.toHaveTextContent('T13:00:00Z');
    expect(row('Sms cost')).toHaveTextContent('0.0158');
    expect(row('Ok')).toHaveTextContent('yes');
    expect(row('Error')).toHaveTextContent('—');
    expect(within(row('Provider')).getByRole('rowheader', { name: 'Sid' }).closest('tr')).toHaveTextContent('SM1');
    expect(row('Errors')).toHaveTextContent('opted out');
    expect(table.textContent).not.toContain('{');
  });
});

describe('campaign detail page', () => {
  it('waiting for quiet hours: the banner, the send window and rate limit in Details', async () => {
    mockCampaignDetail(
      campaign(5, {
        status: 'processing', send_window: '08:00-21:00', messages_per_second: 0,
        stats: stats({ total_leads: 2, leads_by_status: counts({ pending: 2 }), total_messages_pending: 2,
                       waiting: { reason: 'quiet_hours', next_send_at: '2026-12-03T13:00:00Z', window: '08:00-21:00', time_zone: 'America/New_York' } }),
      }),
      { leads: [{ ...lead(1), id: 51, lead_id: 1, lead_deleted: false, status: 'pending', next_attempt_at: '2026-12-03T13:00:00Z', wait_reason: 'quiet_hours', sms_sent: false, sms_message: null, sms_segments: null, sms_cost: null, error_message: null, trace_id: 't', processed_at: null }] },
    );
    renderCampaignDetail(5);
    const banner = await screen.findByTestId('waiting-banner');
    expect(banner).toHaveTextContent("Waiting for quiet hours to end — next send 08:00 in the recipient's time zone");
    expect(screen.getByTestId('send-window')).toHaveTextContent('08:00-21:00');
    expect(screen.getByTestId('rate-limit')).toHaveTextContent('unlimited');
    expect(screen.getByTestId('rate')).toHaveTextContent('now —');
    expect(await screen.findByText(/Quiet hours until/)).toBeInTheDocument();
  });

  it('cancelled with nothing sent: 0 sent, N cancelled, an empty bar, no rate', async () => {
    mockCampaignDetail(
      campaign(6, { status: 'cancelled', messages_per_second: 2.5, send_window: null,
                    stats: stats({ total_leads: 196, leads_by_status: counts({ cancelled: 196 }), processed: 0 }) }),
    );
    renderCampaignDetail(6);
    const text = await screen.findByTestId('progress-text');
    expect(text).toHaveTextContent('0 sent · 196 cancelled');
    expect(text).not.toHaveTextContent('196 of 196');
    expect(screen.getByRole('progressbar', { name: /Campaign progress/ })).toHaveAttribute('aria-valuenow', '0');
    expect(screen.queryByTestId('rate')).toBeNull();
    const progress = screen.getByRole('region', { name: 'Progress' });
    expect(progress).not.toHaveTextContent(/msg\/s/);
    expect(within(progress).getByTestId('status-counts')).toHaveTextContent('Cancelled196');
    expect(screen.getByTestId('rate-limit')).toHaveTextContent('2.5 msg/s');
    expect(screen.getByTestId('send-window')).toHaveTextContent('Any hour');
  });

  it('shows the rates the server measured, not a guess', async () => {
    mockCampaignDetail(campaign(4, { status: 'processing', stats: stats({ total_leads: 100, leads_by_status: counts({ pending: 50, sent: 50 }), processed: 50, rate: { current: 12.25, average: 9.44, window_seconds: 60 } }) }));
    renderCampaignDetail(4);
    expect(await screen.findByTestId('rate')).toHaveTextContent('now 12 msg/s · avg 9.4 msg/s');
  });

  it('a deleted lead stays in the table with its phone and message', async () => {
    mockCampaignDetail(campaign(3, { status: 'completed', stats: stats({ total_leads: 1, leads_by_status: counts({ sent: 1 }), processed: 1, success_rate: 100 }) }), {
      leads: [{ ...lead(9), id: 31, lead_id: null, lead_deleted: true, name: 'Ada Gone', phone: '+447700900123', status: 'sent', next_attempt_at: null, wait_reason: null, sms_sent: true, sms_message: 'Hi Ada, see you Monday', sms_segments: 1, sms_cost: '0.0079', error_message: null, trace_id: 't', processed_at: null }],
      logs: [{ id: 1, campaign_lead_id: 31, lead_id: null, lead_name: null, node_name: 'finalize', level: 'info', message: 'Lead finished: sent', metadata: { status: 'sent' }, created_at: '2026-12-02T10:00:00Z' }],
    });
    renderCampaignDetail(3);
    const table = await screen.findByTestId('campaign-leads-table');
    const row = within(table).getByText('Deleted lead').closest('tr') as HTMLElement;
    expect(row).toHaveTextContent('+447700900123');
    expect(row).not.toHaveTextContent('Ada Gone');
    // the message is in the row (under the lead on narrow screens, in its column on wide ones)
    expect(within(row).getByTestId('lead-message')).toHaveTextContent('Hi Ada, see you Monday');
    expect(within(row).getAllByText('$0.0079').length).toBe(1);
    expect(await screen.findByTestId('log-lead')).toHaveTextContent('Deleted lead');
  });
});

describe('dashboard', () => {
  it('success rate "—" until something is processed; pending is of running campaigns', async () => {
    mockApi((c) => {
      if (c.url === '/api/dashboard/stats')
        return {
          status: 200,
          json: {
            total_leads: 5, total_campaigns: 1, campaigns_by_status: { draft: 1 }, total_campaign_leads: 5,
            total_messages_sent: 0, total_messages_failed: 0, total_messages_pending: 0, total_segments: 0,
            total_cost: 0, success_rate: null, messages_per_hour: Array(24).fill(0),
          },
        };
      if (c.url.startsWith('/api/dashboard/recent-campaigns')) return { status: 200, json: page([]) };
      return undefined;
    });
    renderWithProviders(<DashboardPage />);
    const grid = await screen.findByTestId('dashboard-stats');
    const stat = (label: string) => within(grid).getByText(label).parentElement as HTMLElement;
    expect(stat('Success rate')).toHaveTextContent('—');
    expect(stat('Success rate')).not.toHaveTextContent('0.0%');
    expect(stat('Pending')).toHaveTextContent('in running or paused campaigns');
    expect(stat('Total cost')).toHaveTextContent('$0.0000');
  });
});
