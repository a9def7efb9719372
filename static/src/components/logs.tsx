import { useId, useState } from 'react';
import { keepPreviousData, useQuery } from '@tanstack/react-query';
import { api, type CampaignLead, type ProcessingLog } from '../api';
import { Badge, ErrorState, LeadStatusBadge, LoadingState, Pagination, Select, cx } from './ui';
import type { Tone } from '../lib/status';
import { fmtCost, fmtDateTime, fmtDuration, fmtTime } from '../lib/format';

export const GRAPH_NODES = ['validate_lead', 'sms_agent', 'finalize'] as const;
const NODE_LABELS: Record<string, string> = {
  validate_lead: 'Validate lead',
  sms_agent: 'SMS agent',
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

function LogRow({ log, showLead = true }: { log: ProcessingLog; showLead?: boolean }) {
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
          {showLead && log.campaign_lead_id != null && <span className="ml-2 text-xs text-slate-500">lead #{log.campaign_lead_id}</span>}
        </span>
        {d !== null && <span className="ml-auto shrink-0 font-mono tabular-nums text-slate-500">{fmtDuration(d)}</span>}
      </div>
      {hasMeta && (
        <details className="mt-0.5 sm:ml-[16.1rem]">
          <summary className="cursor-pointer text-[11px] text-slate-500 hover:text-slate-700">metadata</summary>
          <pre className="mt-1 max-h-48 overflow-auto rounded bg-slate-50 p-2 text-[11px] leading-relaxed text-slate-700">{JSON.stringify(log.metadata, null, 2)}</pre>
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
  const [offset, setOffset] = useState(0);
  const lvlId = useId();
  const nodeId = useId();
  const logs = useQuery({
    queryKey: ['campaigns', campaignId, 'logs', { level, node, offset }],
    queryFn: ({ signal }) => api.campaignLogs(campaignId, { level: level || undefined, node: node || undefined, limit: PAGE, offset }, signal),
    refetchInterval: live ? 3_000 : false,
    placeholderData: keepPreviousData,
  });
  return (
    <div>
      <div className="flex flex-wrap items-end gap-3 border-b border-slate-100 px-4 py-3 sm:px-5">
        <div>
          <label htmlFor={lvlId} className="mb-1 block text-xs font-medium text-slate-600">
            Level
          </label>
          <Select id={lvlId} value={level} onChange={(e) => { setLevel(e.target.value); setOffset(0); }} className="w-36">
            <option value="">All levels</option>
            {LEVELS.map((l) => (
              <option key={l} value={l}>
                {l}
              </option>
            ))}
          </Select>
        </div>
        <div>
          <label htmlFor={nodeId} className="mb-1 block text-xs font-medium text-slate-600">
            Node
          </label>
          <Select id={nodeId} value={node} onChange={(e) => { setNode(e.target.value); setOffset(0); }} className="w-44">
            <option value="">All nodes</option>
            {GRAPH_NODES.map((n) => (
              <option key={n} value={n}>
                {n}
              </option>
            ))}
          </Select>
        </div>
      </div>
      {logs.isLoading ? (
        <LoadingState label="Loading log…" />
      ) : logs.error ? (
        <ErrorState error={logs.error} onRetry={() => void logs.refetch()} feature="Processing logs" path={`/api/campaigns/${campaignId}/logs`} />
      ) : logs.data && logs.data.items.length === 0 ? (
        <p className="px-4 py-8 text-center text-sm text-slate-500 sm:px-5">{level || node ? 'No log entries match these filters.' : 'Nothing logged yet: entries appear as leads are processed.'}</p>
      ) : logs.data ? (
        <>
          <ol className="divide-y divide-slate-100" aria-label="Log entries">
            {logs.data.items.map((l) => (
              <LogRow key={l.id} log={l} />
            ))}
          </ol>
          <Pagination total={logs.data.total} limit={PAGE} offset={offset} onChange={setOffset} label="entries" />
        </>
      ) : null}
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

/** Everything about one campaign lead: its message, status, and its log node by node. */
export function LeadLog({ campaignId, lead, live }: { campaignId: number; lead: CampaignLead; live: boolean }) {
  const [level, setLevel] = useState('');
  const lvlId = useId();
  const logs = useQuery({
    queryKey: ['campaigns', campaignId, 'logs', { campaign_lead_id: lead.id }],
    queryFn: ({ signal }) => api.campaignLogs(campaignId, { campaign_lead_id: lead.id, limit: 500 }, signal),
    refetchInterval: live ? 2_000 : false,
  });
  const items = logs.data?.items ?? [];
  const shown = level ? items.filter((l) => l.level.toLowerCase() === level) : items;
  return (
    <div className="space-y-4" data-testid="lead-log">
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
      {lead.trace_id && (
        <p className="text-xs text-slate-500">
          Trace <code className="font-mono">{lead.trace_id}</code>
        </p>
      )}

      <div>
        <div className="mb-2 flex flex-wrap items-end justify-between gap-2">
          <h3 className="text-sm font-semibold text-slate-800">Processing log</h3>
          <div className="flex items-center gap-2">
            <label htmlFor={lvlId} className="text-xs font-medium text-slate-600">
              Level
            </label>
            <Select id={lvlId} value={level} onChange={(e) => setLevel(e.target.value)} className="w-32 !py-1">
              <option value="">All</option>
              {LEVELS.map((l) => (
                <option key={l} value={l}>
                  {l}
                </option>
              ))}
            </Select>
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
              <p className="py-6 text-center text-sm text-slate-500">{items.length ? 'No entries at this level.' : 'Not processed yet.'}</p>
            ) : (
              <ol className="mt-3 divide-y divide-slate-100 rounded-lg border border-slate-200" aria-label="Log entries">
                {shown.map((l) => (
                  <LogRow key={l.id} log={l} showLead={false} />
                ))}
              </ol>
            )}
          </>
        )}
      </div>
    </div>
  );
}
