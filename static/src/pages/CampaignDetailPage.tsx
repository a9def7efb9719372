import { useEffect, useId, useRef, useState, type FormEvent } from 'react';
import { keepPreviousData, useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { Link, useLocation, useNavigate, useParams } from 'react-router';
import { api, ApiError, errorMessage, LEAD_STATUSES, type Campaign, type CampaignLead } from '../api';
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
  LeadStatusBadge,
  LoadingState,
  Modal,
  Pagination,
  ProgressBar,
  Select,
  TextInput,
  cx,
  toneDot,
} from '../components/ui';
import { AGENT_LABELS } from '../components/campaign';
import PreviewPanel from '../components/PreviewPanel';
import { CampaignLogs, LeadLog } from '../components/logs';
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
import { allowedActions, campaignProgress, campaignTotals, leadStatusMeta, type CampaignAction } from '../lib/status';
import { fmtCost, fmtDateTime, fmtDuration, fmtInt, fmtTemperature } from '../lib/format';

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

/** The lifecycle buttons a campaign shows in its current status, and only those. */
export function CampaignActionButtons({
  status,
  onAction,
  busy,
}: {
  status: string;
  onAction: (a: CampaignAction) => void;
  busy?: CampaignAction | null;
}) {
  const actions = allowedActions(status);
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

/** Messages per second, from the change in processed leads between refreshes. */
function useRate(done: number, active: boolean): number | null {
  const samples = useRef<{ t: number; done: number }[]>([]);
  const now = Date.now();
  const s = samples.current;
  if (!active) {
    samples.current = [];
    return null;
  }
  if (s.length === 0 || s[s.length - 1].done !== done || now - s[s.length - 1].t > 1500) s.push({ t: now, done });
  while (s.length > 2 && now - s[0].t > 20_000) s.shift();
  if (s.length < 2) return null;
  const dt = (s[s.length - 1].t - s[0].t) / 1000;
  return dt > 0 ? Math.max(0, (s[s.length - 1].done - s[0].done) / dt) : null;
}

function ProgressCard({ campaign }: { campaign: Campaign }) {
  const p = campaignProgress(campaign);
  const active = campaign.status === 'processing' || campaign.status === 'pending';
  const rate = useRate(p.done, active);
  const started = campaign.started_at ? new Date(campaign.started_at).getTime() : null;
  const ended = campaign.completed_at ? new Date(campaign.completed_at).getTime() : null;
  const avg = started && ended && ended > started ? p.done / ((ended - started) / 1000) : null;
  const shown = LEAD_STATUSES.filter((s) => p.counts[s] > 0 || ['pending', 'sent', 'failed'].includes(s));
  const t = campaignTotals(campaign.stats);
  return (
    <Card className="lg:col-span-2" aria-labelledby="progress-title">
      <CardHeader
        id="progress-title"
        title="Progress"
        subtitle={active ? 'Live: refreshes every 2 seconds' : undefined}
      >
        {active && (
          <span className="text-sm tabular-nums text-slate-600" data-testid="rate">
            {rate === null ? 'measuring…' : `${rate.toFixed(rate < 10 ? 1 : 0)} msg/s`}
          </span>
        )}
        {!active && avg !== null && <span className="text-sm tabular-nums text-slate-500">avg {avg.toFixed(avg < 10 ? 1 : 0)} msg/s</span>}
      </CardHeader>
      <div className="space-y-4 p-4 sm:p-5">
        <div>
          <div className="mb-1.5 flex items-baseline justify-between text-sm">
            <span className="font-medium text-slate-900" data-testid="progress-text">
              {fmtInt(p.done)} of {fmtInt(p.total)} processed
            </span>
            <span className="tabular-nums text-slate-500">{p.percent.toFixed(0)}%</span>
          </div>
          <ProgressBar value={p.done} max={p.total} label="Campaign progress" tone={campaign.status === 'completed' ? 'green' : 'indigo'} className="h-3" />
        </div>
        <ul className="grid grid-cols-2 gap-2 sm:grid-cols-4 lg:grid-cols-5" aria-label="Leads by status" data-testid="status-counts">
          {shown.map((s) => {
            const m = leadStatusMeta(s);
            return (
              <li key={s} className="rounded-lg border border-slate-100 bg-slate-50/60 px-3 py-2" title={m.help}>
                <span className="flex items-center gap-1.5 text-xs text-slate-500">
                  <span className={cx('h-1.5 w-1.5 rounded-full', toneDot(m.tone))} aria-hidden="true" />
                  {m.label}
                </span>
                <span className="block text-lg font-semibold tabular-nums text-slate-900">{fmtInt(p.counts[s])}</span>
              </li>
            );
          })}
        </ul>
        <dl className="grid grid-cols-2 gap-x-4 gap-y-2 border-t border-slate-100 pt-4 text-sm sm:grid-cols-4">
          <div>
            <dt className="text-xs text-slate-500">Messages sent</dt>
            <dd className="font-semibold tabular-nums text-emerald-700">{fmtInt(t.sent)}</dd>
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
      </div>
    </Card>
  );
}

function DetailsCard({ campaign, onEdit }: { campaign: Campaign; onEdit?: () => void }) {
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
          <dd className="font-mono">{fmtTemperature(campaign.sms_temperature)}</dd>
        </div>
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
        <div>
          <dt className="mb-1 text-slate-500">Instructions for the writer</dt>
          <dd className="max-h-40 overflow-y-auto whitespace-pre-wrap rounded-lg bg-slate-50 p-2.5 text-xs leading-relaxed text-slate-700">
            {campaign.sms_system_prompt || <span className="text-slate-500">None: the built-in writer's defaults.</span>}
          </dd>
        </div>
      </dl>
    </Card>
  );
}

const LEADS_PAGE = 25;

function CampaignLeadsCard({ campaign, live }: { campaign: Campaign; live: boolean }) {
  const [status, setStatus] = useState('');
  const [offset, setOffset] = useState(0);
  const [open, setOpen] = useState<CampaignLead | null>(null);
  const statusId = useId();
  const leads = useQuery({
    queryKey: ['campaigns', campaign.id, 'leads', { status, offset, limit: LEADS_PAGE }],
    queryFn: ({ signal }) => api.listCampaignLeads(campaign.id, { status: status || undefined, limit: LEADS_PAGE, offset }, signal),
    refetchInterval: live ? 3_000 : false,
    placeholderData: keepPreviousData,
  });
  // keep the open lead's row fresh while the campaign runs
  const openFresh = open ? (leads.data?.items.find((l) => l.id === open.id) ?? open) : null;
  return (
    <Card aria-labelledby="leads-title">
      <CardHeader id="leads-title" title="Leads" subtitle={leads.data ? `${fmtInt(leads.data.total)} ${status ? leadStatusMeta(status).label.toLowerCase() : 'in this campaign'}` : undefined}>
        <label htmlFor={statusId} className="sr-only">
          Filter leads by status
        </label>
        <Select id={statusId} value={status} onChange={(e) => { setStatus(e.target.value); setOffset(0); }} className="w-40 !py-1.5">
          <option value="">All statuses</option>
          {LEAD_STATUSES.map((s) => (
            <option key={s} value={s}>
              {leadStatusMeta(s).label}
            </option>
          ))}
        </Select>
      </CardHeader>
      {leads.isLoading ? (
        <LoadingState label="Loading leads…" />
      ) : leads.error ? (
        <ErrorState error={leads.error} onRetry={() => void leads.refetch()} feature="Campaign leads" path={`/api/campaigns/${campaign.id}/leads`} />
      ) : leads.data && leads.data.items.length === 0 ? (
        <EmptyState title={status ? `No ${leadStatusMeta(status).label.toLowerCase()} leads` : 'No leads in this campaign'}>
          {!status && campaign.status === 'draft' ? 'Use “Add leads” to assign some.' : null}
        </EmptyState>
      ) : leads.data ? (
        <>
          <div className="overflow-x-auto">
            <table className="min-w-full text-left text-sm" data-testid="campaign-leads-table">
              <caption className="sr-only">Leads of this campaign</caption>
              <thead className="bg-slate-50 text-xs uppercase tracking-wide text-slate-500">
                <tr>
                  <th scope="col" className="px-4 py-2.5 font-medium sm:px-5">Lead</th>
                  <th scope="col" className="px-4 py-2.5 font-medium">Status</th>
                  <th scope="col" className="hidden px-4 py-2.5 font-medium md:table-cell">Message</th>
                  <th scope="col" className="hidden px-4 py-2.5 text-right font-medium sm:table-cell">Seg.</th>
                  <th scope="col" className="hidden px-4 py-2.5 text-right font-medium sm:table-cell">Cost</th>
                  <th scope="col" className="px-4 py-2.5 text-right font-medium sm:px-5">
                    <span className="sr-only">Log</span>
                  </th>
                </tr>
              </thead>
              <tbody className="divide-y divide-slate-100">
                {leads.data.items.map((l) => (
                  <tr key={l.id} className="align-top hover:bg-slate-50/60">
                    <td className="px-4 py-3 sm:px-5">
                      <div className="font-medium text-slate-900">{l.name}</div>
                      <div className="font-mono text-xs text-slate-500">{l.phone}</div>
                    </td>
                    <td className="px-4 py-3">
                      <LeadStatusBadge status={l.status} />
                    </td>
                    <td className="hidden max-w-md px-4 py-3 md:table-cell">
                      {l.sms_message ? (
                        <p className="line-clamp-2 text-slate-700" title={l.sms_message}>
                          {l.sms_message}
                        </p>
                      ) : l.error_message ? (
                        <p className="line-clamp-2 text-red-600" title={l.error_message}>
                          {l.error_message}
                        </p>
                      ) : (
                        <span className="text-slate-500">—</span>
                      )}
                    </td>
                    <td className="hidden px-4 py-3 text-right tabular-nums sm:table-cell">{l.sms_segments ?? '—'}</td>
                    <td className="hidden px-4 py-3 text-right tabular-nums sm:table-cell">{l.sms_cost != null ? fmtCost(l.sms_cost) : '—'}</td>
                    <td className="whitespace-nowrap px-4 py-3 text-right sm:px-5">
                      <Button size="sm" onClick={() => setOpen(l)} aria-label={`Open the log of ${l.name}`}>
                        Log
                      </Button>
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
          <Pagination total={leads.data.total} limit={LEADS_PAGE} offset={offset} onChange={setOffset} label="leads" />
        </>
      ) : null}
      {openFresh && (
        <Modal title={openFresh.name} description={openFresh.phone} onClose={() => setOpen(null)} size="lg">
          <LeadLog campaignId={campaign.id} lead={openFresh} live={live} />
        </Modal>
      )}
    </Card>
  );
}

function EditDialog({ campaign, onClose }: { campaign: Campaign; onClose: () => void }) {
  const qc = useQueryClient();
  const toast = useToast();
  const [values, setValues] = useState<SettingsValues>(() => settingsFromCampaign(campaign));
  const [errors, setErrors] = useState<Record<string, string>>({});
  const save = useMutation({
    mutationFn: () => api.updateCampaign(campaign.id, settingsToInput(values)),
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
        <div className="flex justify-end gap-2">
          <Button onClick={onClose}>Cancel</Button>
          <Button type="submit" variant="primary" busy={save.isPending}>
            Save
          </Button>
        </div>
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
        <div className="flex justify-end gap-2">
          <Button onClick={onClose}>Cancel</Button>
          <Button type="submit" variant="primary" busy={schedule.isPending}>
            Schedule
          </Button>
        </div>
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
      return s === 'processing' || s === 'pending' ? 2_000 : s === 'scheduled' ? 10_000 : 30_000;
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

  const back = (
    <nav aria-label="Breadcrumb" className="mb-2 text-sm">
      <Link to="/campaigns" className="text-slate-500 hover:text-slate-800">
        ← Campaigns
      </Link>
    </nav>
  );

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
        {c.agent_type === 'voice' && c.status === 'draft' && (
          <Alert tone="amber">Voice calls are not available yet, so this campaign can't be started. Edit it to use SMS.</Alert>
        )}
        {c.status === 'scheduled' && c.scheduled_at && <Alert tone="blue">Starts automatically on {fmtDateTime(c.scheduled_at)}.</Alert>}
        {c.status === 'paused' && <Alert tone="amber">Paused: unsent leads stay pending until you resume.</Alert>}
        {c.status === 'failed' && typeof c.error_message === 'string' && c.error_message && <Alert title="The campaign failed">{c.error_message}</Alert>}

        <div className="grid gap-6 lg:grid-cols-3 lg:items-start">
          <ProgressCard campaign={c} />
          <DetailsCard campaign={c} />
        </div>

        {c.status === 'draft' && (
          <Card aria-labelledby="preview-title">
            <CardHeader id="preview-title" title="Message preview" subtitle="What the writer produces for one lead, with its segments and cost. Nothing is sent." />
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
