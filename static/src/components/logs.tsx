import { useState } from 'react';
import { keepPreviousData, useQuery } from '@tanstack/react-query';
import { api, type CampaignLead, type ProcessingLog } from '../api';
import { Badge, CallStatusBadge, ErrorState, LeadStatusBadge, LoadingState, cx } from './ui';
import { FilterBar, FilterSelect, PagedList } from './list';
import { leadWaitText, type Tone } from '../lib/status';
import { fmtCallDuration, fmtCost, fmtDateTime, fmtDuration, fmtTime, plural } from '../lib/format';
import { useLocalKeyset } from '../lib/useListParams';

export const GRAPH_NODES = ['validate_lead', 'sms_agent', 'voice_agent', 'finalize'] as const;
const NODE_LABELS: Record<string, string> = {
  validate_lead: 'Validate lead',
  sms_agent: 'SMS agent',
  voice_agent: 'Voice agent',
  generate_sms: 'Write message',
  send_sms: 'Send SMS',
  finalize: 'Finalize',
};
const LEVELS = ['debug', 'info', 'warning', 'error'] as const;

export function levelTone(level: string): Tone {
  switch (level.toLowerCase()) {
    case 'error':
    case 'critical':
      return 'red';
    case 'warning':
    case 'warn':
      return 'amber';
    case 'info':
      return 'blue';
    default:
      return 'slate';
  }
}

const DURATION_KEYS = ['duration_ms', 'elapsed_ms', 'took_ms', 'latency_ms', 'timing_ms', 'ms'];

/** A node's timing from its log metadata, in milliseconds (several spellings accepted). */
export function durationOf(meta: Record<string, unknown> | null | undefined): number | null {
  if (!meta || typeof meta !== 'object') return null;
  for (const k of DURATION_KEYS) {
    const v = meta[k];
    if (typeof v === 'number' && Number.isFinite(v)) return v;
    if (typeof v === 'string' && v !== '' && Number.isFinite(Number(v))) return Number(v);
  }
  const timings = meta.timings;
  if (timings && typeof timings === 'object') {
    const t = timings as Record<string, unknown>;
    const total = t.total_ms ?? t.total;
    if (typeof total === 'number') return total;
  }
  for (const k of ['seconds', 'duration_s', 'elapsed_s', 'elapsed_seconds']) {
    const v = meta[k];
    if (typeof v === 'number' && Number.isFinite(v)) return v * 1000;
  }
  return null;
}

function nodeLabel(n: string | null): string {
  if (!n) return 'campaign';
  return NODE_LABELS[n] ?? n;
}

const ISO_TIME = /^\d{4}-\d\d-\d\dT\d\d:\d\d/;

/** "next_attempt_at" → "Next attempt at". */
function keyLabel(k: string): string {
  const t = k.replace(/_/g, ' ').trim();
  return t ? t[0].toUpperCase() + t.slice(1) : k;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** One metadata value, readable: times in the viewer's zone, nested objects as tables. */
function MetaValue({ value }: { value: unknown }) {
  if (value === null || value === undefined) return <span className="text-slate-500">—</span>;
  if (typeof value === 'boolean') return <>{value ? 'yes' : 'no'}</>;
  if (typeof value === 'number') return <span className="tabular-nums">{String(value)}</span>;
  if (typeof value === 'string') {
    if (ISO_TIME.test(value)) return <time dateTime={value}>{fmtDateTime(value)}</time>;
    return <span className="whitespace-pre-wrap [overflow-wrap:anywhere]">{value}</span>;
  }
  if (Array.isArray(value)) {
    if (value.length === 0) return <span className="text-slate-500">none</span>;
    return (
      <ul className="list-inside list-disc space-y-0.5">
        {value.map((v, i) => (
          <li key={i}>
            <MetaValue value={v} />
          </li>
        ))}
      </ul>
    );
  }
  if (isObject(value)) return <MetadataTable metadata={value} nested />;
  return <>{String(value)}</>;
}

/** Log metadata as a table of key → value (nested values as tables of their own). */
export function MetadataTable({ metadata, nested }: { metadata: Record<string, unknown>; nested?: boolean }) {
  const entries = Object.entries(metadata);
  if (entries.length === 0) return <span className="text-slate-500">none</span>;
  return (
    <table className={cx('w-full text-left text-[11px] leading-relaxed', nested ? '' : 'rounded bg-slate-50')} data-testid={nested ? undefined : 'log-metadata'}>
      {!nested && <caption className="sr-only">Details of this step</caption>}
      <tbody className="divide-y divide-slate-100">
        {entries.map(([k, v]) => (
          <tr key={k} className="align-top">
            <th scope="row" className="w-1/3 px-2 py-1 font-medium text-slate-600">
              {keyLabel(k)}
            </th>
            <td className="px-2 py-1 text-slate-800">
              <MetaValue value={v} />
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

/** Who a log row is about: the lead's name, or "Deleted lead" once it is gone. */
function leadLabel(log: ProcessingLog): string {
  if (log.lead_name) return log.lead_name;
  if (log.lead_name === null) return 'Deleted lead';
  return `lead #${log.campaign_lead_id}`; // a server without lead_name
}

function LogRow({ log, showLead = true, openMeta = false }: { log: ProcessingLog; showLead?: boolean; openMeta?: boolean }) {
  const d = durationOf(log.metadata);
  const hasMeta = log.metadata && Object.keys(log.metadata).length > 0;
  return (
    <li className="px-4 py-2 sm:px-5" data-testid="log-row">
      <div className="flex flex-wrap items-baseline gap-x-2 gap-y-1 text-xs sm:flex-nowrap">
        <time dateTime={log.created_at} className="shrink-0 font-mono tabular-nums text-slate-500" title={fmtDateTime(log.created_at)}>
          {fmtTime(log.created_at)}
        </time>
        <span className="w-16 shrink-0">
          <Badge tone={levelTone(log.level)}>{log.level}</Badge>
        </span>
        <span className="w-28 shrink-0 truncate font-mono text-[11px] text-slate-600" title={log.node_name ?? undefined}>
          {log.node_name ?? '—'}
        </span>
        <span className={cx('min-w-0 basis-full text-sm sm:basis-auto sm:flex-1', log.level === 'error' ? 'text-red-700' : 'text-slate-800')}>
          {log.message}
          {showLead && log.campaign_lead_id != null && (
            <span className={cx('ml-2 text-xs text-slate-500', log.lead_name === null && 'italic')} data-testid="log-lead">
              {leadLabel(log)}
            </span>
          )}
        </span>
        {d !== null && <span className="ml-auto shrink-0 font-mono tabular-nums text-slate-500">{fmtDuration(d)}</span>}
      </div>
      {hasMeta && (
        <details className="mt-0.5 sm:ml-[16.1rem]" open={openMeta}>
          <summary className="cursor-pointer text-[11px] text-slate-500 hover:text-slate-700">Details</summary>
          {/* focusable: a long table scrolls with the keyboard too */}
          <div className="mt-1 max-h-64 overflow-auto" tabIndex={0}>
            <MetadataTable metadata={log.metadata as Record<string, unknown>} />
          </div>
        </details>
      )}
    </li>
  );
}

const PAGE = 20;

/** The campaign's processing log, oldest first, filterable by level and node. */
export function CampaignLogs({ campaignId, live }: { campaignId: number; live: boolean }) {
  const [level, setLevel] = useState('');
  const [node, setNode] = useState('');
  // keyset pages (after = the last entry of the page): the same cost however deep
  const keyset = useLocalKeyset();
  const after = keyset.after ? Number(keyset.after) : undefined;
  const logs = useQuery({
    queryKey: ['campaigns', campaignId, 'logs', { level, node, after }],
    queryFn: ({ signal }) => api.campaignLogs(campaignId, { level: level || undefined, node: node || undefined, limit: PAGE, after }, signal),
    refetchInterval: live ? 3_000 : false,
    placeholderData: keepPreviousData,
  });
  // the two filters, each resetting the page when it changes
  const filters = [
    { label: 'Level', value: level, set: setLevel, allLabel: 'All levels', options: LEVELS, className: 'w-36' },
    { label: 'Node', value: node, set: setNode, allLabel: 'All nodes', options: GRAPH_NODES, className: 'w-44' },
  ];
  return (
    <div>
      <FilterBar className="flex flex-wrap items-end gap-3">
        {filters.map((f) => (
          <div key={f.label}>
            <FilterSelect
              label={f.label}
              labelClassName="mb-1 block text-xs font-medium text-slate-600"
              value={f.value}
              onChange={(v) => { f.set(v); keyset.reset(); }}
              allLabel={f.allLabel}
              options={f.options}
              className={f.className}
            />
          </div>
        ))}
      </FilterBar>
      <PagedList
        query={logs}
        loadingLabel="Loading log…"
        feature="Processing logs"
        path={`/api/campaigns/${campaignId}/logs`}
        paging={{ limit: PAGE, offset: 0, onOffset: () => undefined }}
        keyset={keyset}
        label="entries"
        empty={<p className="px-4 py-8 text-center text-sm text-slate-500 sm:px-5">{level || node ? 'No log entries match these filters.' : 'Nothing logged yet: entries appear as leads are processed.'}</p>}
      >
        {(page) => (
          <ol className="divide-y divide-slate-100" aria-label="Log entries">
            {page.items.map((l) => (
              <LogRow key={l.id} log={l} />
            ))}
          </ol>
        )}
      </PagedList>
    </div>
  );
}

interface NodeSummary {
  node: string;
  state: 'ok' | 'warning' | 'error' | 'waiting';
  ms: number | null;
  count: number;
}

export function summarizeNodes(logs: ProcessingLog[]): NodeSummary[] {
  const order: string[] = [...GRAPH_NODES];
  for (const l of logs) if (l.node_name && !order.includes(l.node_name)) order.splice(order.length - 1, 0, l.node_name);
  return order.map((node) => {
    const mine = logs.filter((l) => l.node_name === node);
    let ms: number | null = null;
    for (const l of mine) {
      const d = durationOf(l.metadata);
      if (d !== null) ms = (ms ?? 0) + d;
    }
    const lv = mine.map((l) => l.level.toLowerCase());
    const state: NodeSummary['state'] =
      mine.length === 0 ? 'waiting' : lv.includes('error') ? 'error' : lv.includes('warning') || lv.includes('warn') ? 'warning' : 'ok';
    return { node, state, ms, count: mine.length };
  });
}

function NodeTimeline({ logs }: { logs: ProcessingLog[] }) {
  const nodes = summarizeNodes(logs);
  const color = { ok: 'bg-emerald-500 text-white', warning: 'bg-amber-500 text-white', error: 'bg-red-500 text-white', waiting: 'bg-slate-200 text-slate-500' };
  const sym = { ok: '✓', warning: '!', error: '✕', waiting: '·' };
  return (
    <ol className="flex flex-wrap items-center gap-2" aria-label="Workflow nodes" data-testid="node-timeline">
      {nodes.map((n, i) => (
        <li key={n.node} className="flex items-center gap-2">
          {i > 0 && <span className="text-slate-500" aria-hidden="true">→</span>}
          <span className="flex items-center gap-2 rounded-lg border border-slate-200 bg-white px-2.5 py-1.5">
            <span className={cx('flex h-5 w-5 items-center justify-center rounded-full text-xs font-bold', color[n.state])} aria-hidden="true">
              {sym[n.state]}
            </span>
            <span className="text-sm">
              <span className="font-medium text-slate-800">{nodeLabel(n.node)}</span>
              <span className="sr-only">: {n.state === 'waiting' ? 'not run' : n.state}</span>
              {n.ms !== null && <span className="ml-1.5 font-mono text-xs text-slate-500">{fmtDuration(n.ms)}</span>}
            </span>
          </span>
        </li>
      ))}
    </ol>
  );
}

/** Everything about one campaign lead: its message (a voice campaign's: its call and script), status, and its log node by node. */
export function LeadLog({ campaignId, lead, live, campaignStatus, voice = false }: { campaignId: number; lead: CampaignLead; live: boolean; campaignStatus?: string; voice?: boolean }) {
  const [level, setLevel] = useState('');
  const logs = useQuery({
    queryKey: ['campaigns', campaignId, 'logs', { campaign_lead_id: lead.id }],
    queryFn: ({ signal }) => api.campaignLogs(campaignId, { campaign_lead_id: lead.id, limit: 500 }, signal),
    refetchInterval: live ? 2_000 : false,
  });
  const items = logs.data?.items ?? [];
  const shown = level ? items.filter((l) => l.level.toLowerCase() === level) : items;
  const waiting = leadWaitText(lead, campaignStatus);
  return (
    <div className="space-y-4" data-testid="lead-log">
      {lead.lead_deleted && (
        <p className="rounded-lg bg-slate-100 px-3 py-2 text-sm text-slate-700" role="note">
          This lead was deleted. What was sent to {lead.phone} is kept for the campaign's records.
        </p>
      )}
      {waiting && (
        <p className="rounded-lg bg-blue-50 px-3 py-2 text-sm text-blue-800" role="note" data-testid="lead-wait">
          {waiting}
        </p>
      )}
      {voice ? (
        <dl className="grid grid-cols-2 gap-x-4 gap-y-2 text-sm sm:grid-cols-5" data-testid="lead-call">
          <div>
            <dt className="text-xs text-slate-500">Status</dt>
            <dd>
              <LeadStatusBadge status={lead.status} />
            </dd>
          </div>
          <div>
            <dt className="text-xs text-slate-500">Call</dt>
            <dd>{lead.call_status ? <CallStatusBadge status={lead.call_status} answeredBy={lead.call_answered_by} /> : <span className="text-slate-500">Not placed</span>}</dd>
          </div>
          <div>
            <dt className="text-xs text-slate-500">Duration</dt>
            <dd className="tabular-nums" data-testid="call-duration">{fmtCallDuration(lead.call_duration)}</dd>
          </div>
          <div>
            <dt className="text-xs text-slate-500">Cost</dt>
            <dd className="tabular-nums">{lead.call_cost != null ? fmtCost(lead.call_cost) : '—'}</dd>
          </div>
          <div>
            <dt className="text-xs text-slate-500">Processed</dt>
            <dd className="text-xs">{fmtDateTime(lead.processed_at)}</dd>
          </div>
        </dl>
      ) : (
        <dl className="grid grid-cols-2 gap-x-4 gap-y-2 text-sm sm:grid-cols-4">
          <div>
            <dt className="text-xs text-slate-500">Status</dt>
            <dd>
              <LeadStatusBadge status={lead.status} />
            </dd>
          </div>
          <div>
            <dt className="text-xs text-slate-500">Segments</dt>
            <dd className="tabular-nums">{lead.sms_segments ?? '—'}</dd>
          </div>
          <div>
            <dt className="text-xs text-slate-500">Cost</dt>
            <dd className="tabular-nums">{lead.sms_cost != null ? fmtCost(lead.sms_cost) : '—'}</dd>
          </div>
          <div>
            <dt className="text-xs text-slate-500">Processed</dt>
            <dd className="text-xs">{fmtDateTime(lead.processed_at)}</dd>
          </div>
        </dl>
      )}
      {lead.call_script && (
        <div>
          <p className="mb-1 text-xs font-medium text-slate-500">
            Call script{lead.call_words != null && <span className="font-normal"> · {plural(lead.call_words, 'word')}</span>}
          </p>
          <p className="whitespace-pre-wrap rounded-lg border-l-4 border-indigo-300 bg-slate-50 px-4 py-2.5 text-sm text-slate-800 [overflow-wrap:anywhere]" data-testid="call-script">
            {lead.call_script}
          </p>
        </div>
      )}
      {lead.sms_message && (
        <div>
          <p className="mb-1 text-xs font-medium text-slate-500">Message</p>
          <p className="whitespace-pre-wrap rounded-2xl rounded-bl-sm bg-indigo-600 px-4 py-2.5 text-sm text-white">{lead.sms_message}</p>
        </div>
      )}
      {lead.error_message && (
        <p className="rounded-lg bg-red-50 px-3 py-2 text-sm text-red-700" role="note">
          {lead.error_message}
        </p>
      )}
      {(lead.trace_id || lead.call_sid) && (
        <p className="flex flex-wrap gap-x-4 text-xs text-slate-500">
          {lead.trace_id && (
            <span>
              Trace <code className="font-mono">{lead.trace_id}</code>
            </span>
          )}
          {lead.call_sid && (
            <span>
              Call SID <code className="font-mono">{lead.call_sid}</code>
            </span>
          )}
        </p>
      )}

      <div>
        <div className="mb-2 flex flex-wrap items-end justify-between gap-2">
          <h3 className="text-sm font-semibold text-slate-800">Processing log</h3>
          <div className="flex items-center gap-2">
            <FilterSelect label="Level" labelClassName="text-xs font-medium text-slate-600" value={level} onChange={setLevel} allLabel="All" options={LEVELS} className="w-32 !py-1" />
          </div>
        </div>
        {logs.isLoading ? (
          <LoadingState label="Loading log…" />
        ) : logs.error ? (
          <ErrorState error={logs.error} onRetry={() => void logs.refetch()} feature="Processing logs" path={`/api/campaigns/${campaignId}/logs`} />
        ) : (
          <>
            <NodeTimeline logs={items} />
            {shown.length === 0 ? (
              <p className="py-6 text-center text-sm text-slate-500">
                {items.length ? 'No entries at this level.' : 'Nothing logged for this lead yet.'}
              </p>
            ) : (
              <ol className="mt-3 divide-y divide-slate-100 rounded-lg border border-slate-200" aria-label="Log entries">
                {shown.map((l) => (
                  <LogRow key={l.id} log={l} showLead={false} openMeta />
                ))}
              </ol>
            )}
          </>
        )}
      </div>
    </div>
  );
}
