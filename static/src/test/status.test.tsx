import { describe, expect, it, vi } from 'vitest';
import { render, screen } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { CAMPAIGN_STATUSES } from '../api';
import { allowedActions, campaignProgress, statusCounts } from '../lib/status';
import { CampaignStatusBadge, LeadStatusBadge } from '../components/ui';
import { CampaignActionButtons } from '../pages/CampaignDetailPage';

describe('allowed actions by status', () => {
  it.each([
    ['draft', ['start', 'schedule', 'edit', 'delete']],
    ['scheduled', ['cancel']],
    ['pending', ['pause', 'cancel']],
    ['processing', ['pause', 'cancel']],
    ['paused', ['resume', 'cancel']],
    ['completed', ['delete']],
    ['failed', ['delete']],
    ['cancelled', ['delete']],
  ])('%s → %j', (status, actions) => {
    expect(allowedActions(status)).toEqual(actions);
  });

  it('renders only the allowed buttons', async () => {
    const onAction = vi.fn();
    const { rerender } = render(<CampaignActionButtons status="draft" onAction={onAction} />);
    expect(screen.getByRole('button', { name: 'Start' })).toBeEnabled();
    expect(screen.getByRole('button', { name: 'Schedule' })).toBeInTheDocument();
    expect(screen.queryByRole('button', { name: 'Pause' })).toBeNull();
    expect(screen.queryByRole('button', { name: 'Resume' })).toBeNull();

    rerender(<CampaignActionButtons status="processing" onAction={onAction} />);
    expect(screen.queryByRole('button', { name: 'Start' })).toBeNull();
    expect(screen.getByRole('button', { name: 'Pause' })).toBeInTheDocument();
    expect(screen.getByRole('button', { name: 'Cancel campaign' })).toBeInTheDocument();
    expect(screen.queryByRole('button', { name: 'Delete' })).toBeNull();

    rerender(<CampaignActionButtons status="paused" onAction={onAction} />);
    await userEvent.click(screen.getByRole('button', { name: 'Resume' }));
    expect(onAction).toHaveBeenCalledWith('resume');

    rerender(<CampaignActionButtons status="completed" onAction={onAction} />);
    expect(screen.getAllByRole('button').map((b) => b.textContent)).toEqual(['Delete']);
  });

  it('offers no Start or Schedule for a campaign that cannot send', () => {
    render(<CampaignActionButtons status="draft" onAction={() => {}} cannotSend />);
    expect(screen.getAllByRole('button').map((b) => b.textContent)).toEqual(['Edit', 'Delete']);
  });

  it('disables the other buttons while one action runs', () => {
    render(<CampaignActionButtons status="processing" onAction={() => {}} busy="pause" />);
    expect(screen.getByRole('button', { name: 'Cancel campaign' })).toBeDisabled();
    expect(screen.getByRole('button', { name: /Pause/ })).toHaveAttribute('aria-busy', 'true');
  });
});

describe('status badges', () => {
  it('labels every campaign status', () => {
    for (const s of CAMPAIGN_STATUSES) {
      const { unmount } = render(<CampaignStatusBadge status={s} />);
      expect(screen.getByText(s.charAt(0).toUpperCase() + s.slice(1))).toBeInTheDocument();
      unmount();
    }
  });
  it('labels lead statuses and falls back to the raw text', () => {
    render(
      <>
        <LeadStatusBadge status="undelivered" />
        <LeadStatusBadge status="mystery" />
      </>,
    );
    expect(screen.getByText('Undelivered')).toBeInTheDocument();
    expect(screen.getByText('mystery')).toBeInTheDocument();
  });
});

describe('campaign progress', () => {
  it('counts finished leads out of the total', () => {
    const p = campaignProgress({ stats: { pending: 2, processing: 1, sent: 5, failed: 1, skipped: 1, total: 10 } });
    expect(p).toMatchObject({ total: 10, done: 7, inFlight: 3, percent: 70 });
  });
  it('reads counts nested under by_status too', () => {
    expect(statusCounts({ by_status: { sent: 4 } }).sent).toBe(4);
    expect(campaignProgress({ stats: null }).total).toBe(0);
  });
});
