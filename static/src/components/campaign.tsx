import { Link } from 'react-router';
import type { Campaign } from '../api';
import { campaignProgress, progressText, CAMPAIGN_STATUS_META } from '../lib/status';
import { fmtInt } from '../lib/format';
import { CampaignStatusBadge, ProgressBar, cx, toneDot } from './ui';

export const AGENT_LABELS: Record<string, string> = { sms: 'SMS', voice: 'Voice call', both: 'Both (SMS, then a call)' };

/** A campaign's progress: processed of all its leads (cancelled ones are not progress). */
export function CampaignProgress({ campaign, compact }: { campaign: Campaign; compact?: boolean }) {
  const p = campaignProgress(campaign);
  return (
    <div className={cx('min-w-[8rem]', compact ? 'space-y-1' : 'space-y-1.5')}>
      <ProgressBar
        value={p.done}
        max={p.total}
        label={`Progress of ${campaign.name}`}
        tone={campaign.status === 'completed' ? 'green' : campaign.status === 'paused' ? 'amber' : 'indigo'}
      />
      <p className="text-xs tabular-nums text-slate-500">{progressText(campaign)}</p>
    </div>
  );
}

/** The "New campaign" button of the dashboard and the campaigns page. */
export function NewCampaignLink() {
  return (
    <Link to="/campaigns/new" className="inline-flex items-center rounded-lg bg-indigo-600 px-3.5 py-2 text-sm font-medium text-white shadow-sm hover:bg-indigo-700">
      New campaign
    </Link>
  );
}

/** The breadcrumb back to the campaigns list, above a campaign's pages. */
export function BackToCampaigns() {
  return (
    <nav aria-label="Breadcrumb" className="mb-2 text-sm">
      <Link to="/campaigns" className="text-slate-500 hover:text-slate-800">
        ← Campaigns
      </Link>
    </nav>
  );
}

export function CampaignLink({ campaign }: { campaign: Campaign }) {
  return (
    <Link to={`/campaigns/${campaign.id}`} className="font-medium text-slate-900 hover:text-indigo-700 hover:underline">
      {campaign.name}
    </Link>
  );
}

/** A stacked horizontal bar: how many campaigns are in each status. */
export function StatusBreakdown({ counts }: { counts: Partial<Record<string, number>> }) {
  const entries = Object.entries(CAMPAIGN_STATUS_META)
    .map(([s, m]) => ({ s, m, n: counts[s] ?? 0 }))
    .filter((e) => e.n > 0);
  const total = entries.reduce((a, e) => a + e.n, 0);
  if (total === 0) return <p className="text-sm text-slate-500">No campaigns yet.</p>;
  return (
    <div>
      <div className="flex h-3 w-full overflow-hidden rounded-full bg-slate-100" aria-hidden="true">
        {entries.map((e) => (
          <div key={e.s} className={toneDot(e.m.tone)} style={{ width: `${(e.n / total) * 100}%` }} />
        ))}
      </div>
      <ul className="mt-3 space-y-1.5 text-sm">
        {entries.map((e) => (
          <li key={e.s} className="flex items-center justify-between gap-2">
            <span className="flex items-center gap-2 text-slate-600">
              <span className={cx('h-2 w-2 rounded-full', toneDot(e.m.tone))} aria-hidden="true" />
              {e.m.label}
            </span>
            <span className="font-medium tabular-nums text-slate-900">{fmtInt(e.n)}</span>
          </li>
        ))}
      </ul>
    </div>
  );
}

export function CampaignSummaryRow({ campaign }: { campaign: Campaign }) {
  return (
    <li className="flex flex-col gap-2 px-4 py-3 sm:flex-row sm:items-center sm:gap-4 sm:px-5">
      <div className="min-w-0 flex-1">
        <div className="flex flex-wrap items-center gap-2">
          <CampaignLink campaign={campaign} />
          <CampaignStatusBadge status={campaign.status} />
        </div>
        <p className="mt-0.5 truncate text-xs text-slate-500">
          {AGENT_LABELS[campaign.agent_type] ?? campaign.agent_type}
          {campaign.description ? ` · ${campaign.description}` : ''}
        </p>
      </div>
      <div className="sm:w-56">
        <CampaignProgress campaign={campaign} compact />
      </div>
    </li>
  );
}
