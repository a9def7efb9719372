import { useQuery } from '@tanstack/react-query';
import { Link } from 'react-router';
import { api, ApiError, num, type Cluster, type DashboardStats } from '../api';
import { Badge, Card, CardHeader, EmptyState, ErrorState, LoadingState, NotAvailable, PageHeader, Stat, cx } from '../components/ui';
import { CampaignSummaryRow, NewCampaignLink, StatusBreakdown } from '../components/campaign';
import { DataTable, Th } from '../components/list';
import type { Tone } from '../lib/status';
import { fmtCost, fmtInt, fmtMinutes, fmtPercent, plural } from '../lib/format';

const REFRESH_MS = 5_000;

/**
 * Messages (or, with what="Replies", inbound messages) per hour over the last 24 hours: one bar
 * per hour, oldest on the left.
 */
export function HourlyChart({ values, from, now = new Date(), what = 'Messages' }: { values: number[]; from?: string; now?: Date; what?: 'Messages' | 'Replies' }) {
  const replies = what === 'Replies';
  const captionId = replies ? 'rph-caption' : 'mph-caption';
  const data = values.slice(-24).map((v) => num(v));
  while (data.length < 24) data.unshift(0);
  const max = Math.max(1, ...data);
  const total = data.reduce((a, b) => a + b, 0);
  const start = from && !Number.isNaN(new Date(from).getTime()) ? new Date(from).getTime() : now.getTime() - 23 * 3600_000;
  const hourLabel = (i: number) => {
    const d = new Date(start + i * 3600_000);
    return `${String(d.getHours()).padStart(2, '0')}:00`;
  };
  const peak = data.indexOf(Math.max(...data));
  return (
    <figure aria-labelledby={captionId}>
      <figcaption id={captionId} className="sr-only">
        {what} per hour over the last 24 hours: {fmtInt(total)} in total
        {total > 0 ? `, busiest hour ${hourLabel(peak)} with ${fmtInt(data[peak])}` : ''}.
      </figcaption>
      <div className={cx('flex items-end gap-[3px]', replies ? 'h-20' : 'h-40')} aria-hidden="true" data-testid={replies ? 'replies-chart' : 'hourly-chart'}>
        {data.map((v, i) => (
          <div key={i} className="group relative flex h-full flex-1 items-end" title={`${hourLabel(i)}: ${fmtInt(v)} ${what.toLowerCase()}`}>
            <div
              className={cx('w-full rounded-t-sm transition-all', v > 0 ? (replies ? 'bg-emerald-500 group-hover:bg-emerald-600' : 'bg-indigo-500 group-hover:bg-indigo-600') : 'bg-slate-100')}
              style={{ height: v > 0 ? `${Math.max(3, (v / max) * 100)}%` : '3px' }}
              {...(replies ? { 'data-reply-bar': '' } : { 'data-bar': '' })}
            />
          </div>
        ))}
      </div>
      <div className="mt-2 flex justify-between text-[11px] tabular-nums text-slate-500" aria-hidden="true">
        <span>{hourLabel(0)}</span>
        <span>{hourLabel(6)}</span>
        <span>{hourLabel(12)}</span>
        <span>{hourLabel(18)}</span>
        <span>now</span>
      </div>
      <div className="sr-only">
      <table>
        <caption>{what} per hour</caption>
        <thead>
          <tr>
            <th scope="col">Hour</th>
            <th scope="col">{what}</th>
          </tr>
        </thead>
        <tbody>
          {data.map((v, i) => (
            <tr key={i}>
              <td>{hourLabel(i)}</td>
              <td>{v}</td>
            </tr>
          ))}
        </tbody>
      </table>
      </div>
    </figure>
  );
}

function StatsGrid({ s }: { s: DashboardStats }) {
  const byStatus = s.campaigns_by_status ?? {};
  const active = num(byStatus.processing) + num(byStatus.pending);
  return (
    <dl className="grid grid-cols-2 gap-3 sm:gap-4 lg:grid-cols-4" data-testid="dashboard-stats">
      <Stat label="Leads" value={fmtInt(s.total_leads)} />
      <Stat label="Campaigns" value={fmtInt(s.total_campaigns)} sub={active > 0 ? `${fmtInt(active)} running` : 'none running'} />
      <Stat label="Messages sent" value={fmtInt(s.total_messages_sent)} tone="green" sub={`${fmtInt(s.total_segments)} segments`} />
      <Stat label="Failed" value={fmtInt(s.total_messages_failed)} tone={num(s.total_messages_failed) > 0 ? 'red' : undefined} sub="not sent after retries" />
      <Stat label="Total cost" value={fmtCost(s.total_cost)} />
      <Stat
        label="Success rate"
        value={fmtPercent(s.success_rate)}
        sub={s.success_rate === null || s.success_rate === undefined ? 'nothing processed yet' : 'sent of sent + failed'}
      />
      <Stat
        label="Pending"
        value={fmtInt(s.total_messages_pending)}
        tone={num(s.total_messages_pending) > 0 ? 'amber' : undefined}
        sub="in running or paused campaigns"
      />
      <Stat label="Segments" value={fmtInt(s.total_segments)} />
      <Stat label="Replies" value={fmtInt(s.replies ?? 0)} sub="leads who answered a campaign" />
      <Stat
        label="Reply rate"
        value={fmtPercent(s.reply_rate ?? null)}
        tone={num(s.reply_rate ?? 0) > 0 ? 'green' : undefined}
        sub={s.reply_rate === null || s.reply_rate === undefined ? 'nothing sent yet' : 'of the leads sent'}
      />
      <Stat label="Opt-outs" value={fmtInt(s.opt_outs ?? 0)} sub="phones never messaged again" />
      {s.calls && num(s.calls.placed) > 0 && (
        <Stat
          label="Calls placed"
          testId="dashboard-calls"
          value={fmtInt(s.calls.placed)}
          sub={`${fmtInt(s.calls.answered)} answered · ${fmtInt(s.calls.voicemail)} voicemail · ${fmtInt(s.calls.not_connected)} not connected · ${fmtMinutes(s.calls.minutes)} · ${fmtCost(s.calls.cost)}`}
        />
      )}
    </dl>
  );
}

/**
 * Whether the "sending" marks are safe: on a standby (durable marks on, a synchronous standby
 * streaming), held (durable marks on, none streaming: the workers wait), or one node.
 */
export function clusterBadge(c: Cluster): { tone: Tone; label: string; state: string; help: string } {
  if (c.mode === 'single')
    return { tone: 'slate', label: 'One node: no replication', state: 'single', help: 'One PostgreSQL: nothing is copied to a standby.' };
  if (c.durable_marks && !c.marks_durable)
    return {
      tone: 'red',
      label: 'Sends held: no synchronous standby',
      state: 'held',
      help: 'smscamp.durable_marks is on and no synchronous standby is streaming: the workers hold each provider call until one flushes its "sending" mark.',
    };
  if (c.durable_marks)
    return { tone: 'green', label: 'Marks on a standby', state: 'durable', help: 'Each "sending" mark is flushed by a synchronous standby before the provider call.' };
  return {
    tone: 'amber',
    label: 'Marks not checked: durable marks off',
    state: 'unchecked',
    help: 'A formation with smscamp.durable_marks off: the workers do not wait for a standby before the provider call.',
  };
}

const fmtLag = (ms: number | null) => (ms === null ? '—' : ms.toLocaleString('en-US', { minimumFractionDigits: 1, maximumFractionDigits: 1 }));

/** The database node the server is on (port, primary or standby, timeline), its standbys and whether sends are safe. */
export function ClusterCard() {
  const q = useQuery({ queryKey: ['cluster'], queryFn: ({ signal }) => api.cluster(signal), refetchInterval: REFRESH_MS });
  const c = q.data;
  const badge = c ? clusterBadge(c) : null;
  return (
    <Card aria-labelledby="cluster-title" data-testid="cluster-card">
      <CardHeader id="cluster-title" title="Database" subtitle={c ? (c.mode === 'single' ? 'Single node' : 'Formation') : undefined}>
        {badge && (
          <span data-testid="cluster-badge" data-cluster-state={badge.state} className="inline-flex">
            <Badge tone={badge.tone} title={badge.help}>
              {badge.label}
            </Badge>
          </span>
        )}
      </CardHeader>
      {q.isLoading ? (
        <LoadingState label="Loading the database node…" />
      ) : q.error ? (
        <ErrorState error={q.error} onRetry={() => void q.refetch()} feature="The database node" path="/api/cluster" />
      ) : c ? (
        <>
          <dl className="grid grid-cols-2 gap-x-4 gap-y-2 p-4 text-sm sm:grid-cols-4 sm:p-5">
            <div>
              <dt className="text-xs text-slate-500">Node</dt>
              <dd className="font-semibold text-slate-900" data-testid="cluster-node">
                {c.node.in_recovery ? 'Standby' : 'Primary'}
                {c.node.read_only && !c.node.in_recovery ? ' (read-only)' : ''}
              </dd>
            </div>
            <div>
              <dt className="text-xs text-slate-500">Port</dt>
              <dd className="font-semibold tabular-nums text-slate-900">{c.node.port}</dd>
            </div>
            <div>
              <dt className="text-xs text-slate-500">Timeline</dt>
              <dd className="font-semibold tabular-nums text-slate-900">{c.node.timeline}</dd>
            </div>
            <div>
              <dt className="text-xs text-slate-500">Workers</dt>
              <dd className="font-semibold tabular-nums text-slate-900">{fmtInt(c.workers)}</dd>
            </div>
          </dl>
          {c.mode === 'formation' && c.standbys.length === 0 && (
            <p className="border-t border-slate-100 px-4 py-3 text-sm text-slate-500 sm:px-5">
              {c.node.in_recovery ? 'This node is a standby: it streams from the primary.' : 'No standby streams from this node.'}
            </p>
          )}
          {c.standbys.length > 0 && (
            <div className="border-t border-slate-100">
              <DataTable
                testId="cluster-standbys"
                caption={`${plural(c.standbys.length, 'standby', 'standbys')}, ${fmtInt(c.synchronous_standbys)} synchronous`}
                head={
                  <>
                    <Th className="px-4 sm:px-5">Standby</Th>
                    <Th className="px-4">State</Th>
                    <Th className="px-4">Sync state</Th>
                    <Th className="px-4 text-right sm:px-5">Flush lag (ms)</Th>
                  </>
                }
              >
                {c.standbys.map((s, i) => (
                  <tr key={`${s.application_name}-${i}`} className="text-slate-700" data-testid="cluster-standby">
                    <td className="px-4 py-2 font-medium text-slate-900 [overflow-wrap:anywhere] sm:px-5">{s.application_name || '(unnamed)'}</td>
                    <td className="px-4 py-2">{s.state}</td>
                    <td className="px-4 py-2">{s.sync_state}</td>
                    <td className="whitespace-nowrap px-4 py-2 text-right tabular-nums sm:px-5">{fmtLag(s.flush_lag_ms)}</td>
                  </tr>
                ))}
              </DataTable>
            </div>
          )}
        </>
      ) : null}
    </Card>
  );
}

/** Before the dashboard API exists: only the real numbers we can get (the leads total). */
function LeadsOnlyFallback() {
  const leads = useQuery({ queryKey: ['leads', 'count'], queryFn: ({ signal }) => api.listLeads({ limit: 1 }, signal) });
  return (
    <dl className="grid grid-cols-2 gap-3 sm:gap-4 lg:grid-cols-4">
      <Stat label="Leads" value={leads.data ? fmtInt(leads.data.total) : leads.isError ? '—' : '…'} sub={<Link className="text-indigo-600 hover:underline" to="/leads">Manage leads</Link>} />
    </dl>
  );
}

export default function DashboardPage() {
  const stats = useQuery({ queryKey: ['dashboard', 'stats'], queryFn: ({ signal }) => api.dashboardStats(signal), refetchInterval: REFRESH_MS });
  const recent = useQuery({ queryKey: ['dashboard', 'recent'], queryFn: ({ signal }) => api.recentCampaigns(5, signal), refetchInterval: REFRESH_MS });
  const statsMissing = stats.error instanceof ApiError && stats.error.notAvailable;

  return (
    <>
      <PageHeader
        title="Dashboard"
        description={
          <span className="inline-flex items-center gap-2">
            Campaign activity at a glance
            {stats.isFetching && !stats.isLoading && <span className="text-xs text-slate-500">· refreshing</span>}
          </span>
        }
        actions={
          <NewCampaignLink />
        }
      />

      <div className="space-y-6">
        {stats.isLoading ? (
          <LoadingState label="Loading statistics…" />
        ) : statsMissing ? (
          <>
            <LeadsOnlyFallback />
            <Card>
              <NotAvailable feature="Dashboard statistics" path="/api/dashboard/stats" />
            </Card>
          </>
        ) : stats.error ? (
          <Card>
            <ErrorState error={stats.error} onRetry={() => void stats.refetch()} />
          </Card>
        ) : stats.data ? (
          <StatsGrid s={stats.data} />
        ) : null}

        {stats.data && (
          <div className="grid gap-6 lg:grid-cols-3">
            <Card className="lg:col-span-2" aria-labelledby="mph-title">
              <CardHeader id="mph-title" title="Messages per hour" subtitle="Last 24 hours" />
              <div className="p-4 sm:p-5">
                <HourlyChart values={stats.data.messages_per_hour ?? []} from={stats.data.messages_per_hour_from} />
                {stats.data.replies_per_hour && (
                  <div className="mt-5">
                    <h3 className="mb-2 text-sm font-medium text-slate-700">Replies per hour</h3>
                    <HourlyChart values={stats.data.replies_per_hour} from={stats.data.messages_per_hour_from} what="Replies" />
                  </div>
                )}
              </div>
            </Card>
            <Card aria-labelledby="cbs-title">
              <CardHeader id="cbs-title" title="Campaigns by status" />
              <div className="p-4 sm:p-5">
                <StatusBreakdown counts={stats.data.campaigns_by_status ?? {}} />
              </div>
            </Card>
          </div>
        )}

        <Card aria-labelledby="recent-title">
          <CardHeader id="recent-title" title="Recent campaigns">
            <Link to="/campaigns" className="text-sm font-medium text-indigo-600 hover:underline">
              All campaigns →
            </Link>
          </CardHeader>
          {recent.isLoading ? (
            <LoadingState />
          ) : recent.error ? (
            <ErrorState error={recent.error} onRetry={() => void recent.refetch()} feature="Recent campaigns" path="/api/dashboard/recent-campaigns" />
          ) : recent.data && recent.data.length > 0 ? (
            <ul className="divide-y divide-slate-100">
              {recent.data.map((c) => (
                <CampaignSummaryRow key={c.id} campaign={c} />
              ))}
            </ul>
          ) : (
            <EmptyState
              title="No campaigns yet"
              action={
                <Link to="/campaigns/new" className="text-sm font-medium text-indigo-600 hover:underline">
                  Create your first campaign
                </Link>
              }
            >
              A campaign writes a personalised SMS for each of its leads and sends it.
            </EmptyState>
          )}
        </Card>

        <ClusterCard />
      </div>
    </>
  );
}
