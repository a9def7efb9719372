import { useEffect, useRef, useState, type FormEvent } from 'react';
import { keepPreviousData, useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { Link, useLocation, useNavigate, useParams } from 'react-router';
import { api, ApiError, errorMessage, LEAD_STATUSES, num, type Campaign, type CampaignLead, type CampaignSendRate } from '../api';
import {
  Alert,
  Button,
  Card,
  CardHeader,
  CampaignStatusBadge,
  ConfirmDialog,
  EmptyState,
  ErrorState,
  Field,
  FormActions,
  CallStatusBadge,
  LeadStatusBadge,
  LoadingState,
  Modal,
  ProgressBar,
  TextInput,
  cx,
  toneDot,
} from '../components/ui';
import { AGENT_LABELS, BackToCampaigns } from '../components/campaign';
import { DataTable, FilterSelect, PagedList, Th } from '../components/list';
import PreviewPanel from '../components/PreviewPanel';
import { CampaignLogs, LeadLog } from '../components/logs';
import { Thread } from '../components/thread';
import {
  CampaignSettingsFields,
  LeadSelector,
  defaultSelection,
  selectionToInput,
  settingsFromCampaign,
  settingsToInput,
  type LeadSelection,
  type SettingsValues,
} from '../components/CampaignForm';
import { useToast } from '../components/toast';
import {
  allowedActions,
  callOutcomes,
  campaignProgress,
  campaignTotals,
  countTiles,
  leadStatusMeta,
  progressText,
  senderKindMeta,
  waitingText,
  type CampaignAction,
} from '../lib/status';
import { useLocalKeyset } from '../lib/useListParams';
import {
  fmtCallDuration,
  fmtCallDelay,
  fmtCallsPerSecond,
  fmtCost,
  fmtDateTime,
  fmtDuration,
  fmtEta,
  fmtInt,
  fmtMinutes,
  fmtPercent,
  fmtRate,
  fmtSegmentsPerSecond,
  fmtTemperature,
  plural,
} from '../lib/format';

const REPLY_MODE_LABELS = { off: 'Off (replies labelled only)', draft: 'Drafts answers for approval', auto: 'Answers automatically' } as const;

type LifecycleAction = 'start' | 'pause' | 'resume' | 'cancel';

const ACTION_LABELS: Record<CampaignAction, string> = {
  start: 'Start',
  schedule: 'Schedule',
  pause: 'Pause',
  resume: 'Resume',
  cancel: 'Cancel campaign',
  edit: 'Edit',
  delete: 'Delete',
};

/**
 * The lifecycle buttons a campaign shows in its current status, and only those.
 * `cannotSend` (a campaign of an agent the server cannot run) takes away Start and Schedule.
 */
export function CampaignActionButtons({
  status,
  onAction,
  busy,
  cannotSend = false,
}: {
  status: string;
  onAction: (a: CampaignAction) => void;
  busy?: CampaignAction | null;
  cannotSend?: boolean;
}) {
  const actions = allowedActions(status).filter((a) => !(cannotSend && (a === 'start' || a === 'schedule')));
  const variant = (a: CampaignAction) => (a === 'start' || a === 'resume' ? 'success' : a === 'cancel' || a === 'delete' ? 'danger' : 'secondary');
  return (
    <div className="flex flex-wrap gap-2" role="group" aria-label="Campaign actions">
      {actions.map((a) => (
        <Button key={a} variant={variant(a)} onClick={() => onAction(a)} busy={busy === a} disabled={!!busy && busy !== a}>
          {ACTION_LABELS[a]}
        </Button>
      ))}
    </div>
  );
}

/** Send rates from the server (from the send timestamps): the current one while running, the average. */
function RateText({ campaign }: { campaign: Campaign }) {
  const rate = campaign.stats?.rate ?? null;
  const running = campaign.status === 'processing';
  const current = rate?.current ?? null;
  const average = rate?.average ?? null;
  if (!running && average === null) return null;
  const voice = campaign.agent_type === 'voice';
  const fmt = voice ? fmtCallsPerSecond : fmtRate;
  const what = voice ? 'Calls placed' : 'Messages sent';
  return (
    <span className="text-sm tabular-nums text-slate-600" data-testid="rate">
      {running && (
        <span title={`${what} per second over the last minute`}>
          now {current === null ? '—' : fmt(current)}
        </span>
      )}
      {running && average !== null && <span aria-hidden="true"> · </span>}
      {average !== null && <span title={`${what} per second from the first to the last ${voice ? 'call' : 'send'}`}>avg {fmt(average)}</span>}
    </span>
  );
}

function ProgressCard({ campaign }: { campaign: Campaign }) {
  const p = campaignProgress(campaign);
  const active = campaign.status === 'processing' || campaign.status === 'pending';
  const tiles = countTiles(campaign);
  const t = campaignTotals(campaign.stats);
  return (
    <Card aria-labelledby="progress-title">
      <CardHeader
        id="progress-title"
        title="Progress"
        subtitle={active ? 'Live: refreshes every 2 seconds' : undefined}
      >
        <RateText campaign={campaign} />
      </CardHeader>
      <div className="space-y-4 p-4 sm:p-5">
        <div>
          <div className="mb-1.5 flex items-baseline justify-between gap-3 text-sm">
            <span className="font-medium text-slate-900" data-testid="progress-text">
              {progressText(campaign)}
            </span>
            <span className="tabular-nums text-slate-500">{p.percent.toFixed(0)}%</span>
          </div>
          <ProgressBar
            value={p.done}
            max={p.total}
            label="Campaign progress: leads processed"
            tone={campaign.status === 'completed' ? 'green' : campaign.status === 'paused' ? 'amber' : 'indigo'}
            className="h-3"
          />
        </div>
        <ul className="grid grid-cols-2 gap-2 sm:grid-cols-4 lg:grid-cols-5" aria-label="Leads by status" data-testid="status-counts">
          {tiles.map((m) => (
            <li key={m.key} className="rounded-lg border border-slate-100 bg-slate-50/60 px-3 py-2" title={m.help} data-status={m.key}>
              <span className="flex items-center gap-1.5 text-xs text-slate-500">
                <span className={cx('h-1.5 w-1.5 rounded-full', toneDot(m.tone))} aria-hidden="true" />
                {m.label}
              </span>
              <span className="block text-lg font-semibold tabular-nums text-slate-900">{fmtInt(m.n)}</span>
            </li>
          ))}
        </ul>
        {/* a voice campaign's calls, minutes and cost: the Calls card */}
        {campaign.agent_type !== 'voice' && (
          <dl className="grid grid-cols-2 gap-x-4 gap-y-2 border-t border-slate-100 pt-4 text-sm sm:grid-cols-4">
            <div>
              <dt className="text-xs text-slate-500">Messages sent</dt>
              <dd className="font-semibold tabular-nums text-emerald-700" data-testid="sent-count">{fmtInt(t.sent)}</dd>
            </div>
            <div>
              <dt className="text-xs text-slate-500">Failed</dt>
              <dd className={cx('font-semibold tabular-nums', t.failed > 0 ? 'text-red-600' : 'text-slate-900')}>
                {fmtInt(t.failed)}
              </dd>
            </div>
            <div>
              <dt className="text-xs text-slate-500">Segments</dt>
              <dd className="font-semibold tabular-nums">{fmtInt(t.segments)}</dd>
            </div>
            <div>
              <dt className="text-xs text-slate-500">Total cost</dt>
              <dd className="font-semibold tabular-nums">{fmtCost(t.cost)}</dd>
            </div>
          </dl>
        )}
      </div>
    </Card>
  );
}

/** A voice campaign's calls: how many were placed, their outcomes (counts and a bar chart of them), minutes and cost. */
function CallsCard({ campaign }: { campaign: Campaign }) {
  const calls = campaign.stats?.calls;
  // an SMS campaign has none (null); a voice or both campaign has its card
  if (!calls) return null;
  const both = campaign.agent_type === 'both';
  const placed = num(calls.placed);
  const scheduled = num(calls.scheduled ?? 0);
  const outcomes = callOutcomes(calls);
  const pct = (n: number) => (placed > 0 ? (n / placed) * 100 : 0);
  const tiles: { key: string; label: string; value: string; tone?: string }[] = [
    { key: 'placed', label: 'Placed', value: fmtInt(placed) },
    { key: 'answered', label: 'Answered', value: fmtInt(calls.answered), tone: num(calls.answered) > 0 ? 'text-emerald-700' : undefined },
    { key: 'voicemail', label: 'Voicemail', value: fmtInt(calls.voicemail) },
    { key: 'no_answer', label: 'No answer', value: fmtInt(calls.no_answer) },
    { key: 'busy', label: 'Busy', value: fmtInt(calls.busy) },
    { key: 'failed', label: 'Failed', value: fmtInt(calls.failed), tone: num(calls.failed) > 0 ? 'text-red-600' : undefined },
    { key: 'in_progress', label: 'In progress', value: fmtInt(calls.in_progress) },
    ...(both || calls.scheduled != null ? [{ key: 'scheduled', label: 'Scheduled', value: fmtInt(scheduled) }] : []),
    { key: 'minutes', label: 'Minutes', value: fmtMinutes(calls.minutes) },
    { key: 'cost', label: 'Cost', value: fmtCost(calls.cost) },
  ];
  return (
    <Card aria-labelledby="calls-title" data-testid="campaign-calls">
      <CardHeader
        id="calls-title"
        title="Calls"
        subtitle={`${placed > 0 ? `${plural(placed, 'call')} placed` : 'No call placed yet'}${scheduled > 0 ? ` · ${fmtInt(scheduled)} scheduled after the SMS` : both ? ' · each placed after its SMS' : ''}`}
      />
      <div className="space-y-4 p-4 sm:p-5">
        <dl className="grid grid-cols-2 gap-2 sm:grid-cols-3 lg:grid-cols-5">
          {tiles.map((t) => (
            <div key={t.key} className="rounded-lg border border-slate-100 bg-slate-50/60 px-3 py-2" data-testid={`calls-${t.key.replace('_', '-')}`}>
              <dt className="text-xs text-slate-500">{t.label}</dt>
              <dd className={cx('text-lg font-semibold tabular-nums', t.tone ?? 'text-slate-900')}>{t.value}</dd>
            </div>
          ))}
        </dl>
        {placed > 0 ? (
          <figure aria-labelledby="calls-chart-caption" className="border-t border-slate-100 pt-4">
            <figcaption id="calls-chart-caption" className="mb-2 text-xs font-medium text-slate-600">
              Outcomes of the {plural(placed, 'call')} placed
            </figcaption>
            <div className="space-y-1.5" aria-hidden="true" data-testid="calls-chart">
              {outcomes.map((o) => (
                <div key={o.key} className="flex items-center gap-3 text-xs" title={`${o.label}: ${fmtInt(o.n)} (${fmtPercent(pct(o.n))}). ${o.help}`}>
                  <span className="w-32 shrink-0 text-slate-600">{o.label}</span>
                  <span className="h-2.5 min-w-0 flex-1 overflow-hidden rounded-full bg-slate-100">
                    <span className={cx('block h-full rounded-full', toneDot(o.tone))} style={{ width: `${pct(o.n)}%` }} data-call-bar={o.key} />
                  </span>
                  <span className="w-20 shrink-0 text-right tabular-nums text-slate-700">
                    {fmtInt(o.n)} · {pct(o.n).toFixed(0)}%
                  </span>
                </div>
              ))}
            </div>
            <div className="sr-only">
              <table>
                <caption>Call outcomes</caption>
                <thead>
                  <tr>
                    <th scope="col">Outcome</th>
                    <th scope="col">Calls</th>
                    <th scope="col">Of the calls placed</th>
                  </tr>
                </thead>
                <tbody>
                  {outcomes.map((o) => (
                    <tr key={o.key}>
                      <th scope="row">{o.label}</th>
                      <td>{fmtInt(o.n)}</td>
                      <td>{fmtPercent(pct(o.n))}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
          </figure>
        ) : (
          <p className="text-sm text-slate-600">The outcomes appear here as the calls are placed.</p>
        )}
      </div>
    </Card>
  );
}

/** What holds a campaign's send rate back (send_rate.limited_by), in words. */
export function limitedByText(r: CampaignSendRate | null | undefined, voice = false): string | null {
  switch (r?.limited_by) {
    case 'senders':
      return "Limited by the senders' own pace.";
    case 'campaign':
      return voice
        ? "Limited by this campaign's calls per second (Twilio's default is 1)."
        : `Limited by this campaign's cap of ${rateLimitText(r.messages_per_second)}.`;
    case 'global':
      return "Limited by the server's overall send rate.";
    default:
      return null;
  }
}

/** The pool the campaign sends from (Campaign.senders), their total rate and the time it will take to send the rest. */
function SendersCard({ campaign }: { campaign: Campaign }) {
  // a server without senders says nothing of them: nothing to show
  if (!Array.isArray(campaign.senders)) return null;
  const pool = campaign.senders;
  const rate = campaign.send_rate ?? null;
  const all = campaign.sender_ids == null;
  const p = campaignProgress(campaign);
  const left = p.inFlight;
  const voice = campaign.agent_type === 'voice';
  const limit = limitedByText(rate, voice);
  const ended = campaign.status === 'completed' || campaign.status === 'cancelled' || campaign.status === 'failed';
  const callRate = rate?.effective_messages_per_second ?? campaign.calls_per_second ?? null;
  return (
    <Card aria-labelledby="senders-title" data-testid="campaign-senders">
      <CardHeader
        id="senders-title"
        title="Senders"
        subtitle={`${all ? 'Every active sender' : 'The senders chosen for this campaign'}${voice ? ': the numbers the calls go from' : ''}`}
      >
        <Link to="/senders" className="text-xs font-medium text-indigo-700 underline-offset-2 hover:underline">
          Manage senders
        </Link>
      </CardHeader>
      <div className="space-y-4 p-4 sm:p-5">
        {pool.length === 0 ? (
          <p className="text-sm text-slate-600" data-testid="campaign-default-sender">
            {all ? 'There is no active sender' : 'None of the senders chosen for it is active'}, so {voice ? 'calls' : 'messages'} go out from the server's default number (
            <code className="font-mono text-xs text-slate-700">smscamp.sms_from</code>).
          </p>
        ) : (
          <ul className="divide-y divide-slate-100 rounded-lg border border-slate-100" aria-label="Senders of this campaign">
            {pool.map((s) => {
              const address = s.phone ?? s.messaging_service_sid;
              return (
                <li key={s.id} className="flex flex-wrap items-center justify-between gap-x-4 gap-y-1 px-3 py-2 text-sm" data-testid="campaign-sender">
                  <span className="min-w-0">
                    <span className="font-medium text-slate-900 [overflow-wrap:anywhere]">{s.label}</span>
                    {address && address !== s.label && <span className="ml-2 font-mono text-xs text-slate-600 [overflow-wrap:anywhere]">{address}</span>}
                    <span className="block text-xs text-slate-500">
                      {senderKindMeta(s.kind).label}
                      {!s.active && ' · inactive'}
                    </span>
                  </span>
                  {/* calls are paced by the campaign's calls per second, not by the senders' rates */}
                  {!voice && (
                    <span className="whitespace-nowrap tabular-nums text-slate-700" data-testid="campaign-sender-rate">
                      {fmtSegmentsPerSecond(s.segments_per_second)}
                    </span>
                  )}
                </li>
              );
            })}
          </ul>
        )}
        <dl className="grid gap-x-4 gap-y-3 text-sm sm:grid-cols-2">
          <div>
            <dt className="text-xs text-slate-500">Send rate</dt>
            <dd className="font-semibold tabular-nums text-slate-900" data-testid="campaign-send-rate">
              {voice ? (callRate != null ? fmtCallsPerSecond(callRate) : 'Unpaced') : rate?.segments_per_second != null ? fmtSegmentsPerSecond(rate.segments_per_second) : 'Unpaced'}
            </dd>
            {(limit || (!voice && rate?.segments_per_second == null)) && (
              <dd className="text-xs text-slate-500" data-testid="campaign-limited-by">
                {limit ?? 'No pace is set: messages go out as fast as the provider takes them.'}
              </dd>
            )}
          </div>
          <div>
            <dt className="text-xs text-slate-500">Time to finish</dt>
            <dd className="font-semibold tabular-nums text-slate-900" data-testid="campaign-eta">
              {campaign.eta_seconds != null ? fmtEta(campaign.eta_seconds) : left === 0 || ended ? (voice ? 'Nothing left to call' : 'Nothing left to send') : 'Not known'}
            </dd>
            {campaign.eta_seconds != null && left > 0 && (
              <dd className="text-xs text-slate-500">
                {plural(left, 'lead')} left{campaign.status === 'draft' || campaign.status === 'scheduled' ? ', once it starts' : campaign.status === 'paused' ? ', once it resumes' : ''}; an estimate from the send rate
              </dd>
            )}
          </div>
        </dl>
      </div>
    </Card>
  );
}

/** The SMS provider's error codes of the campaign's failed messages: code, what it means, how many. */
function ErrorCodesCard({ campaign }: { campaign: Campaign }) {
  const codes = campaign.stats?.error_codes ?? {};
  const descriptions = campaign.stats?.error_code_descriptions ?? {};
  const rows = Object.entries(codes)
    .map(([code, n]) => [code, num(n)] as const)
    .filter(([, n]) => n > 0)
    .sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]));
  if (rows.length === 0) return null;
  return (
    <Card aria-labelledby="error-codes-title" data-testid="error-codes">
      <CardHeader id="error-codes-title" title="Provider errors" subtitle="The SMS provider's error codes of this campaign's messages, most frequent first." />
      <DataTable
        testId="error-codes-table"
        caption="Provider errors by code"
        head={
          <>
            <Th className="px-4 sm:px-5">Code</Th>
            <Th className="px-4">What it means</Th>
            <Th className="px-4 text-right sm:px-5">Messages</Th>
          </>
        }
      >
        {rows.map(([code, n]) => (
          <tr key={code} className="text-slate-700" data-testid="error-code-row" data-code={code}>
            <td className="whitespace-nowrap px-4 py-2.5 font-mono text-xs text-slate-900 sm:px-5">{code}</td>
            <td className="px-4 py-2.5 [overflow-wrap:anywhere]">{descriptions[code] || <span className="text-slate-500">No description</span>}</td>
            <td className="whitespace-nowrap px-4 py-2.5 text-right tabular-nums sm:px-5">{fmtInt(n)}</td>
          </tr>
        ))}
      </DataTable>
    </Card>
  );
}

/** The campaign's messages_per_second: 0 is no limit. */
function rateLimitText(mps: Campaign['messages_per_second']): string {
  const n = num(mps ?? 0);
  return n === 0 ? 'unlimited' : `${n.toLocaleString('en-US', { maximumFractionDigits: 3 })} msg/s`;
}

function DetailsCard({ campaign, onEdit }: { campaign: Campaign; onEdit?: () => void }) {
  const voice = campaign.agent_type === 'voice';
  const both = campaign.agent_type === 'both';
  const started = campaign.started_at ? new Date(campaign.started_at).getTime() : null;
  const ended = campaign.completed_at ? new Date(campaign.completed_at).getTime() : null;
  return (
    <Card aria-labelledby="details-title">
      <CardHeader id="details-title" title="Details">
        {onEdit && (
          <Button size="sm" onClick={onEdit}>
            Edit
          </Button>
        )}
      </CardHeader>
      <dl className="space-y-3 p-4 text-sm sm:p-5">
        <div className="flex justify-between gap-3">
          <dt className="text-slate-500">Agent</dt>
          <dd className="font-medium">{AGENT_LABELS[campaign.agent_type] ?? campaign.agent_type}</dd>
        </div>
        <div className="flex justify-between gap-3">
          <dt className="text-slate-500">Temperature</dt>
          <dd className="font-mono" data-testid="temperature">{fmtTemperature(voice ? (campaign.voice_temperature ?? 70) : campaign.sms_temperature)}</dd>
        </div>
        <div className="flex justify-between gap-3">
          <dt className="text-slate-500">Send window</dt>
          <dd className="text-right" data-testid="send-window">
            {campaign.send_window ? (
              <>
                <span className="font-mono">{campaign.send_window}</span>
                <span className="block text-xs text-slate-500">in the recipient's time zone</span>
              </>
            ) : (
              'Any hour (no quiet hours)'
            )}
          </dd>
        </div>
        {both && (
          <>
            <div className="flex justify-between gap-3">
              <dt className="text-slate-500">Call after the SMS</dt>
              <dd className="text-right" data-testid="call-delay">
                {num(campaign.call_delay_seconds ?? 0) > 0 ? `${fmtCallDelay(campaign.call_delay_seconds)} later` : 'At once'}
              </dd>
            </div>
            <div className="flex justify-between gap-3">
              <dt className="text-slate-500">Who is called</dt>
              <dd className="text-right" data-testid="call-if-no-reply">
                {campaign.call_if_no_reply ? 'Only leads who have not answered the SMS' : 'Every lead sent the SMS'}
              </dd>
            </div>
            <div className="flex justify-between gap-3">
              <dt className="text-slate-500">Calls per second</dt>
              <dd data-testid="calls-per-second">{fmtCallsPerSecond(campaign.calls_per_second ?? 1)}</dd>
            </div>
          </>
        )}
        {voice ? (
          <div className="flex justify-between gap-3">
            <dt className="text-slate-500">Calls per second</dt>
            <dd data-testid="calls-per-second">{fmtCallsPerSecond(campaign.calls_per_second ?? 1)}</dd>
          </div>
        ) : (
          <div className="flex justify-between gap-3">
            <dt className="text-slate-500">Rate limit</dt>
            <dd data-testid="rate-limit">{rateLimitText(campaign.messages_per_second)}</dd>
          </div>
        )}
        {campaign.exclude_messaged_within_hours !== undefined && (
          <div className="flex justify-between gap-3">
            <dt className="text-slate-500">Frequency cap</dt>
            <dd className="text-right" data-testid="frequency-cap">
              {campaign.exclude_messaged_within_hours ? `Skips leads messaged in the last ${plural(campaign.exclude_messaged_within_hours, 'hour')}` : 'Off'}
            </dd>
          </div>
        )}
        {campaign.max_filtered != null && !voice && (
          <div className="flex justify-between gap-3">
            <dt className="text-slate-500">Carrier filtering</dt>
            <dd className="text-right" data-testid="max-filtered">
              Pauses after {plural(campaign.max_filtered, 'filtered message')}
              {num(campaign.stats?.filtered) > 0 && (
                <span className="block text-xs text-slate-500">{fmtInt(num(campaign.stats?.filtered))} since it was started or resumed</span>
              )}
            </dd>
          </div>
        )}
        <div className="flex justify-between gap-3">
          <dt className="text-slate-500">Created</dt>
          <dd>{fmtDateTime(campaign.created_at)}</dd>
        </div>
        {campaign.scheduled_at && (
          <div className="flex justify-between gap-3">
            <dt className="text-slate-500">Scheduled for</dt>
            <dd>{fmtDateTime(campaign.scheduled_at)}</dd>
          </div>
        )}
        <div className="flex justify-between gap-3">
          <dt className="text-slate-500">Started</dt>
          <dd>{fmtDateTime(campaign.started_at)}</dd>
        </div>
        <div className="flex justify-between gap-3">
          <dt className="text-slate-500">Finished</dt>
          <dd>{fmtDateTime(campaign.completed_at)}</dd>
        </div>
        {started && ended && ended >= started && (
          <div className="flex justify-between gap-3">
            <dt className="text-slate-500">Took</dt>
            <dd>{fmtDuration(ended - started)}</dd>
          </div>
        )}
        <div className="flex justify-between gap-3">
          <dt className="text-slate-500">Replies</dt>
          <dd className="text-right" data-testid="campaign-replies">
            {fmtInt(campaign.stats?.replies ?? 0)}
            {campaign.stats?.reply_rate != null && ` (${fmtPercent(campaign.stats.reply_rate)})`}
            {(campaign.stats?.opt_outs ?? 0) > 0 && `, ${fmtInt(campaign.stats?.opt_outs ?? 0)} opted out`}
          </dd>
        </div>
        <div className="flex justify-between gap-3">
          <dt className="text-slate-500">Reply agent</dt>
          <dd className="text-right" data-testid="reply-mode" title={campaign.reply_prompt ?? undefined}>
            {REPLY_MODE_LABELS[campaign.reply_mode ?? 'off']}
          </dd>
        </div>
        <div className="flex justify-between gap-3">
          <dt className="text-slate-500">Sender</dt>
          <dd className="text-right" data-testid="sender-name">
            {campaign.sender_name || <span className="text-slate-500">Not set</span>}
          </dd>
        </div>
        {voice && (
          <div>
            <dt className="mb-1 text-slate-500">Call script</dt>
            <dd className="max-h-40 overflow-y-auto whitespace-pre-wrap rounded-lg bg-slate-50 p-2.5 text-xs leading-relaxed text-slate-700 [overflow-wrap:anywhere]" data-testid="voice-prompt">
              {campaign.voice_system_prompt || <span className="text-slate-500">None: the script is written from the SMS template or instructions below.</span>}
            </dd>
          </div>
        )}
        {!(voice && campaign.voice_system_prompt) && (
          <>
            <div>
              <dt className="mb-1 text-slate-500">Message template</dt>
              <dd
                className="max-h-40 overflow-y-auto whitespace-pre-wrap rounded-lg bg-slate-50 p-2.5 font-mono text-xs leading-relaxed text-slate-700 [overflow-wrap:anywhere]"
                data-testid="sms-template"
              >
                {campaign.sms_template || <span className="font-sans text-slate-500">None</span>}
              </dd>
            </div>
            <div>
              <dt className="mb-1 text-slate-500">Instructions for the writer</dt>
              <dd className="max-h-40 overflow-y-auto whitespace-pre-wrap rounded-lg bg-slate-50 p-2.5 text-xs leading-relaxed text-slate-700 [overflow-wrap:anywhere]">
                {campaign.sms_system_prompt || (
                  <span className="text-slate-500">{campaign.sms_template ? 'None: the template is sent as written.' : 'None.'}</span>
                )}
              </dd>
            </div>
          </>
        )}
      </dl>
    </Card>
  );
}

const LEADS_PAGE = 25;
const leadStatusLabel = (s: string) => leadStatusMeta(s).label;

/** The message sent (or written) to a campaign lead, whole, or why there is none. */
function LeadMessage({ lead, className }: { lead: CampaignLead; className?: string }) {
  if (lead.sms_message)
    return (
      <p className={cx('whitespace-pre-wrap text-slate-700 [overflow-wrap:anywhere]', className)} data-testid="lead-message">
        {lead.sms_message}
      </p>
    );
  if (lead.error_message)
    return <p className={cx('text-red-600 [overflow-wrap:anywhere]', className)}>{lead.error_message}</p>;
  return null;
}

/** A voice campaign's lead: the words its call says (or said), whole, and why it did not connect. */
function LeadCallScript({ lead, className }: { lead: CampaignLead; className?: string }) {
  if (!lead.call_script && !lead.error_message) return null;
  return (
    <div className={cx('space-y-1', className)}>
      {lead.call_script && (
        <p className="whitespace-pre-wrap text-slate-700 [overflow-wrap:anywhere]" data-testid="call-script">
          {lead.call_script}
        </p>
      )}
      {lead.error_message && <p className="text-red-600 [overflow-wrap:anywhere]">{lead.error_message}</p>}
    </div>
  );
}

/** A voice lead's call: its status in words and, once it ended, how long it took ("0:42"). */
function LeadCall({ lead }: { lead: CampaignLead }) {
  if (!lead.call_status) return null;
  return (
    <div className="mt-1 flex flex-wrap items-center gap-x-2 gap-y-1">
      <span className="sr-only">Call:</span>
      <CallStatusBadge status={lead.call_status} answeredBy={lead.call_answered_by} />
      {lead.call_duration != null && (
        <span className="text-xs tabular-nums text-slate-600" data-testid="call-duration" title="How long the call took">
          <span className="sr-only">Duration </span>
          {fmtCallDuration(lead.call_duration)}
        </span>
      )}
    </div>
  );
}

function CampaignLeadsCard({ campaign, live }: { campaign: Campaign; live: boolean }) {
  const [status, setStatus] = useState('');
  // keyset pages (after = the last campaign lead of the page): the same cost however deep
  const keyset = useLocalKeyset();
  const after = keyset.after ? Number(keyset.after) : undefined;
  const [open, setOpen] = useState<CampaignLead | null>(null);
  const [threadOf, setThreadOf] = useState<CampaignLead | null>(null);
  const leads = useQuery({
    queryKey: ['campaigns', campaign.id, 'leads', { status, after, limit: LEADS_PAGE }],
    queryFn: ({ signal }) => api.listCampaignLeads(campaign.id, { status: status || undefined, limit: LEADS_PAGE, after }, signal),
    refetchInterval: live ? 3_000 : false,
    placeholderData: keepPreviousData,
  });
  const voice = campaign.agent_type === 'voice';
  // a both campaign's lead: its SMS, with its call's status under the lead's
  const both = campaign.agent_type === 'both';
  // keep the open lead's row fresh while the campaign runs
  const openFresh = open ? (leads.data?.items.find((l) => l.id === open.id) ?? open) : null;
  return (
    <Card aria-labelledby="leads-title">
      <CardHeader id="leads-title" title="Leads" subtitle={leads.data ? `${fmtInt(leads.data.total)} ${status ? leadStatusLabel(status).toLowerCase() : 'in this campaign'}` : undefined}>
        <FilterSelect
          label="Filter leads by status"
          value={status}
          onChange={(v) => { setStatus(v); keyset.reset(); }}
          allLabel="All statuses"
          options={LEAD_STATUSES}
          optionLabel={leadStatusLabel}
          className="w-40 !py-1.5"
        />
      </CardHeader>
      <PagedList
        query={leads}
        feature="Campaign leads"
        path={`/api/campaigns/${campaign.id}/leads`}
        paging={{ limit: LEADS_PAGE, offset: 0, onOffset: () => undefined }}
        keyset={keyset}
        label="leads"
        empty={
          <EmptyState title={status ? `No ${leadStatusLabel(status).toLowerCase()} leads` : 'No leads in this campaign'}>
            {!status && campaign.status === 'draft' ? 'Use “Add leads” to assign some.' : null}
          </EmptyState>
        }
      >
        {(page) => (
          <DataTable
            testId="campaign-leads-table"
            caption="Leads of this campaign"
            head={
              <>
                <Th className="px-4 sm:px-5">{voice ? 'Lead and call script' : 'Lead and message'}</Th>
                <Th className="px-4">Status</Th>
                {!voice && <Th className="hidden px-4 text-right sm:table-cell">Seg.</Th>}
                <Th className="hidden px-4 text-right sm:table-cell">Cost</Th>
                <Th className="px-4 text-right sm:px-5" srOnly>
                  Log
                </Th>
              </>
            }
          >
            {page.items.map((l) => (
              <tr key={l.id} className="align-top hover:bg-slate-50/60" data-testid="campaign-lead-row" data-deleted={l.lead_deleted ? 'true' : undefined}>
                <td className="max-w-xl px-4 py-3 sm:px-5">
                  {l.lead_deleted ? (
                    <div className="font-medium italic text-slate-600" title="The lead was deleted; what was sent to it is kept">
                      Deleted lead
                    </div>
                  ) : (
                    <div className="font-medium text-slate-900">{l.name}</div>
                  )}
                  <div className="font-mono text-xs text-slate-500">{l.phone}</div>
                  {/* the message under the lead, whole, at every width (never cut off) */}
                  {voice || (!both && l.call_script) ? <LeadCallScript lead={l} className="mt-1.5" /> : <LeadMessage lead={l} className="mt-1.5" />}
                  {both && l.call_script && (
                    <div className="mt-2 border-l-2 border-indigo-200 pl-2">
                      <p className="text-xs font-medium text-slate-500">The call says</p>
                      <p className="whitespace-pre-wrap text-slate-700 [overflow-wrap:anywhere]" data-testid="call-script">
                        {l.call_script}
                      </p>
                    </div>
                  )}
                </td>
                <td className="px-4 py-3">
                  <LeadStatusBadge status={l.status} />
                  <LeadCall lead={l} />
                  {l.status === 'pending' && l.wait_reason && l.next_attempt_at && (
                    <p className="mt-1 text-xs text-slate-500">
                      {l.wait_reason === 'quiet_hours' ? 'Quiet hours' : 'Retry'} until{' '}
                      <time dateTime={l.next_attempt_at}>{fmtDateTime(l.next_attempt_at)}</time>
                    </p>
                  )}
                </td>
                {!voice && <td className="hidden px-4 py-3 text-right tabular-nums sm:table-cell">{l.sms_segments ?? '—'}</td>}
                <td className="hidden px-4 py-3 text-right tabular-nums sm:table-cell">
                  {voice ? (l.call_cost != null ? fmtCost(l.call_cost) : '—') : l.sms_cost != null ? fmtCost(l.sms_cost) : '—'}
                  {both && l.call_cost != null && (
                    <span className="block text-xs text-slate-500" title="The call's cost">
                      call {fmtCost(l.call_cost)}
                    </span>
                  )}
                </td>
                <td className="whitespace-nowrap px-4 py-3 text-right sm:px-5">
                  <div className="flex flex-col items-end gap-1">
                    <Button size="sm" onClick={() => setOpen(l)} aria-label={`Open the log of ${l.lead_deleted ? `the deleted lead ${l.phone}` : l.name}`}>
                      Log
                    </Button>
                    {l.lead_id != null && (
                      <Button size="sm" onClick={() => setThreadOf(l)} aria-label={`Messages with ${l.name}`}>
                        Messages
                      </Button>
                    )}
                  </div>
                </td>
              </tr>
            ))}
          </DataTable>
        )}
      </PagedList>
      {openFresh && (
        <Modal title={openFresh.lead_deleted ? 'Deleted lead' : openFresh.name} description={openFresh.phone} onClose={() => setOpen(null)} size="lg">
          <LeadLog campaignId={campaign.id} lead={openFresh} live={live} campaignStatus={campaign.status} voice={voice} />
        </Modal>
      )}
      {threadOf && threadOf.lead_id != null && (
        <Modal title={`Messages with ${threadOf.name}`} onClose={() => setThreadOf(null)} size="lg">
          <Thread lead={{ id: threadOf.lead_id, name: threadOf.name, phone: threadOf.phone }} canReply />
        </Modal>
      )}
    </Card>
  );
}

function EditDialog({ campaign, onClose }: { campaign: Campaign; onClose: () => void }) {
  const qc = useQueryClient();
  const toast = useToast();
  // what the campaign had when the dialog opened: the fields sent only when changed are compared with it
  const [initial] = useState<SettingsValues>(() => settingsFromCampaign(campaign));
  const [values, setValues] = useState<SettingsValues>(initial);
  const [errors, setErrors] = useState<Record<string, string>>({});
  const save = useMutation({
    mutationFn: () => api.updateCampaign(campaign.id, settingsToInput(values, initial)),
    onSuccess: () => {
      toast('Campaign saved');
      void qc.invalidateQueries({ queryKey: ['campaigns'] });
      onClose();
    },
    onError: (e) => setErrors(e instanceof ApiError ? e.fieldErrors : {}),
  });
  const submit = (e: FormEvent) => {
    e.preventDefault();
    save.mutate();
  };
  return (
    <Modal title="Edit campaign" onClose={onClose} size="lg">
      <form onSubmit={submit} noValidate className="space-y-5">
        {save.error && <Alert>{errorMessage(save.error)}</Alert>}
        <CampaignSettingsFields values={values} onChange={setValues} errors={errors} lockedWriter={campaign.status !== 'draft'} />
        <FormActions onCancel={onClose} submitLabel="Save" busy={save.isPending} />
      </form>
    </Modal>
  );
}

function AddLeadsDialog({ campaign, onClose }: { campaign: Campaign; onClose: () => void }) {
  const qc = useQueryClient();
  const toast = useToast();
  const [sel, setSel] = useState<LeadSelection>(defaultSelection);
  const [errors, setErrors] = useState<Record<string, string>>({});
  const add = useMutation({
    mutationFn: () => api.addCampaignLeads(campaign.id, selectionToInput(sel)),
    onSuccess: (r) => {
      const added = typeof r.added === 'number' ? r.added : typeof r.inserted === 'number' ? r.inserted : null;
      toast(added !== null ? `Added ${fmtInt(added)} leads` : 'Leads added');
      void qc.invalidateQueries({ queryKey: ['campaigns'] });
      onClose();
    },
    onError: (e) => setErrors(e instanceof ApiError ? e.fieldErrors : {}),
  });
  return (
    <Modal
      title="Add leads"
      description="Leads already in the campaign are skipped."
      onClose={onClose}
      size="lg"
      footer={
        <>
          <Button onClick={onClose}>Cancel</Button>
          <Button variant="primary" busy={add.isPending} onClick={() => add.mutate()} disabled={sel.mode === 'ids' && sel.ids.length === 0}>
            Add leads
          </Button>
        </>
      }
    >
      <div className="space-y-3">
        {add.error && !(add.error instanceof ApiError && Object.keys(add.error.fieldErrors).length) ? <Alert>{errorMessage(add.error)}</Alert> : null}
        <LeadSelector value={sel} onChange={setSel} errors={errors} />
      </div>
    </Modal>
  );
}

function toLocalInput(d: Date): string {
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}T${pad(d.getHours())}:${pad(d.getMinutes())}`;
}

function ScheduleDialog({ campaign, onClose }: { campaign: Campaign; onClose: () => void }) {
  const qc = useQueryClient();
  const toast = useToast();
  const [when, setWhen] = useState(() => toLocalInput(new Date(Date.now() + 3600_000)));
  const [localError, setLocalError] = useState<string | null>(null);
  const schedule = useMutation({
    mutationFn: (iso: string) => api.scheduleCampaign(campaign.id, iso),
    onSuccess: () => {
      toast(`Scheduled for ${fmtDateTime(new Date(when).toISOString())}`);
      void qc.invalidateQueries({ queryKey: ['campaigns'] });
      onClose();
    },
  });
  const submit = (e: FormEvent) => {
    e.preventDefault();
    const d = new Date(when);
    if (!when || Number.isNaN(d.getTime())) return setLocalError('Pick a date and time.');
    if (d.getTime() <= Date.now()) return setLocalError('Pick a time in the future.');
    setLocalError(null);
    schedule.mutate(d.toISOString());
  };
  const fieldErr = localError ?? (schedule.error instanceof ApiError ? schedule.error.fieldErrors.scheduled_at : undefined);
  return (
    <Modal title="Schedule campaign" description={`It starts by itself at that time (${Intl.DateTimeFormat().resolvedOptions().timeZone}).`} onClose={onClose} size="sm">
      <form onSubmit={submit} noValidate className="space-y-4">
        <Field label="Start at" required error={fieldErr}>
          {({ id, describedBy, invalid }) => (
            <TextInput id={id} type="datetime-local" value={when} onChange={(e) => setWhen(e.target.value)} aria-describedby={describedBy} invalid={invalid} data-autofocus />
          )}
        </Field>
        {schedule.error && !fieldErr ? <Alert>{errorMessage(schedule.error)}</Alert> : null}
        <FormActions onCancel={onClose} submitLabel="Schedule" busy={schedule.isPending} />
      </form>
    </Modal>
  );
}

export default function CampaignDetailPage() {
  const { id: rawId } = useParams();
  const id = Number(rawId);
  const validId = Number.isInteger(id) && id > 0;
  const navigate = useNavigate();
  const location = useLocation();
  const qc = useQueryClient();
  const toast = useToast();
  const [dialog, setDialog] = useState<'edit' | 'delete' | 'cancel' | 'schedule' | 'add' | null>(null);
  const [actionError, setActionError] = useState<unknown>(null);
  const autoPreview = !!(location.state as { preview?: boolean } | null)?.preview;

  const campaign = useQuery({
    queryKey: ['campaigns', id],
    queryFn: ({ signal }) => api.getCampaign(id, signal),
    enabled: validId,
    refetchInterval: (q) => {
      const s = q.state.data?.status;
      const held = q.state.data ? campaignProgress(q.state.data).counts : null;
      // paused while workers still hand back the leads they held: soon, to show them paused
      const settling = s === 'paused' && !!held && held.processing + held.sending > 0;
      return s === 'processing' || s === 'pending' || settling ? 2_000 : s === 'scheduled' ? 10_000 : 30_000;
    },
  });

  const c = campaign.data;
  useEffect(() => {
    if (c) document.title = `${c.name} · smscamp`;
  }, [c?.name]); // eslint-disable-line react-hooks/exhaustive-deps

  // refresh the lists when a campaign finishes
  const prevStatus = useRef<string | undefined>(undefined);
  useEffect(() => {
    if (prevStatus.current && c && prevStatus.current !== c.status) {
      void qc.invalidateQueries({ queryKey: ['campaigns', id, 'leads'] });
      void qc.invalidateQueries({ queryKey: ['campaigns', id, 'logs'] });
      void qc.invalidateQueries({ queryKey: ['dashboard'] });
    }
    prevStatus.current = c?.status;
  }, [c?.status]); // eslint-disable-line react-hooks/exhaustive-deps

  const act = useMutation({
    mutationFn: (a: LifecycleAction) => api.campaignAction(id, a),
    onMutate: () => setActionError(null),
    onSuccess: (_r, a) => {
      toast({ start: 'Campaign started', pause: 'Campaign paused', resume: 'Campaign resumed', cancel: 'Campaign cancelled' }[a]);
      setDialog(null);
      void qc.invalidateQueries({ queryKey: ['campaigns'] });
      void qc.invalidateQueries({ queryKey: ['dashboard'] });
    },
    onError: (e) => {
      setActionError(e);
      void qc.invalidateQueries({ queryKey: ['campaigns', id] });
    },
  });
  const del = useMutation({
    mutationFn: () => api.deleteCampaign(id),
    onSuccess: () => {
      toast('Campaign deleted');
      void qc.invalidateQueries({ queryKey: ['campaigns'] });
      void qc.invalidateQueries({ queryKey: ['dashboard'] });
      navigate('/campaigns');
    },
  });

  const onAction = (a: CampaignAction) => {
    if (a === 'edit' || a === 'delete' || a === 'schedule' || a === 'cancel') {
      del.reset();
      act.reset();
      setDialog(a);
    } else act.mutate(a);
  };

  const back = <BackToCampaigns />;

  if (!validId) {
    return (
      <>
        {back}
        <Card>
          <EmptyState title="No such campaign">“{rawId}” is not a campaign number.</EmptyState>
        </Card>
      </>
    );
  }
  if (campaign.isLoading) return <>{back}<LoadingState label="Loading campaign…" /></>;
  if (campaign.error) {
    const e = campaign.error;
    return (
      <>
        {back}
        <Card>
          {e instanceof ApiError && e.status === 404 && !e.notAvailable ? (
            <EmptyState title="Campaign not found">{e.detail}. It may have been deleted.</EmptyState>
          ) : (
            <ErrorState error={e} onRetry={() => void campaign.refetch()} feature="Campaigns" path={`/api/campaigns/${id}`} />
          )}
        </Card>
      </>
    );
  }
  if (!c) return null;

  const live = c.status === 'processing' || c.status === 'pending';
  const busy: CampaignAction | null = act.isPending ? (act.variables as CampaignAction) : null;

  return (
    <>
      {back}
      <div className="mb-6 flex flex-col gap-4 lg:flex-row lg:items-start lg:justify-between">
        <div className="min-w-0">
          <div className="flex flex-wrap items-center gap-3">
            <h1 className="text-2xl font-semibold tracking-tight text-slate-900">{c.name}</h1>
            <span data-testid="campaign-status" data-status={c.status}>
              <CampaignStatusBadge status={c.status} />
            </span>
          </div>
          {c.description && <p className="mt-1 max-w-2xl text-sm text-slate-500">{c.description}</p>}
        </div>
        <div className="flex flex-wrap gap-2">
          {c.status === 'draft' && <Button onClick={() => setDialog('add')}>Add leads</Button>}
          <CampaignActionButtons status={c.status} onAction={onAction} busy={busy} />
        </div>
      </div>

      <div className="space-y-6">
        {actionError && !dialog ? <Alert title="That didn't work">{errorMessage(actionError)}</Alert> : null}
        {c.status === 'scheduled' && c.scheduled_at && <Alert tone="blue">Starts automatically on {fmtDateTime(c.scheduled_at)}.</Alert>}
        {c.paused_reason ? (
          <div data-testid="paused-reason">
            <Alert tone="amber" title={c.status === 'paused' ? 'The campaign paused itself' : 'The campaign paused itself earlier'}>
              {c.paused_reason}
              {c.status === 'paused' && <span className="block">Unsent leads stay pending until you resume.</span>}
            </Alert>
          </div>
        ) : (
          c.status === 'paused' && <Alert tone="amber">Paused: unsent leads stay pending until you resume.</Alert>
        )}
        {c.status === 'processing' && c.stats?.waiting && (
          <div data-testid="waiting-banner">
            <Alert tone="blue">{waitingText(c.stats.waiting)}</Alert>
          </div>
        )}
        {c.status === 'failed' && typeof c.error_message === 'string' && c.error_message && <Alert title="The campaign failed">{c.error_message}</Alert>}

        <div className="grid gap-6 lg:grid-cols-3 lg:items-start">
          <div className="space-y-6 lg:col-span-2">
            <ProgressCard campaign={c} />
            <CallsCard campaign={c} />
            <SendersCard campaign={c} />
            <ErrorCodesCard campaign={c} />
          </div>
          <DetailsCard campaign={c} />
        </div>

        {c.status === 'draft' && (
          <Card aria-labelledby="preview-title">
            {c.agent_type === 'voice' ? (
              <CardHeader id="preview-title" title="Call script preview" subtitle="The script the writer produces for one lead, with its words and how long it takes to say. Nobody is called." />
            ) : (
              <CardHeader id="preview-title" title="Message preview" subtitle="What the writer produces for one lead, with its segments and cost. Nothing is sent." />
            )}
            <PreviewPanel campaign={c} autoRun={autoPreview} />
          </Card>
        )}

        <CampaignLeadsCard campaign={c} live={live} />

        <Card aria-labelledby="log-title">
          <CardHeader id="log-title" title="Processing log" subtitle="Node by node: validate_lead → sms_agent → finalize" />
          <CampaignLogs campaignId={c.id} live={live} />
        </Card>
      </div>

      {dialog === 'edit' && <EditDialog campaign={c} onClose={() => setDialog(null)} />}
      {dialog === 'add' && <AddLeadsDialog campaign={c} onClose={() => setDialog(null)} />}
      {dialog === 'schedule' && <ScheduleDialog campaign={c} onClose={() => setDialog(null)} />}
      {dialog === 'cancel' && (
        <ConfirmDialog
          title="Cancel this campaign?"
          confirmLabel="Cancel campaign"
          onConfirm={() => act.mutate('cancel')}
          onClose={() => setDialog(null)}
          busy={act.isPending}
          error={act.error}
        >
          <p>Leads that haven't been messaged yet are marked cancelled and won't be sent. Messages already sent stay sent. This can't be undone.</p>
        </ConfirmDialog>
      )}
      {dialog === 'delete' && (
        <ConfirmDialog
          title={`Delete ${c.name}?`}
          confirmLabel="Delete campaign"
          onConfirm={() => del.mutate()}
          onClose={() => setDialog(null)}
          busy={del.isPending}
          error={del.error}
        >
          <p>The campaign, its lead assignments and its logs are removed. The leads themselves stay.</p>
        </ConfirmDialog>
      )}
    </>
  );
}
