import { useId, useState } from 'react';
import { keepPreviousData, useQuery } from '@tanstack/react-query';
import { api, num, type AgentType, type Campaign, type CampaignInput } from '../api';
import { Alert, Field, TextArea, TextInput, cx } from './ui';
import { useDebounced } from '../lib/useDebounced';
import { fmtInt, fmtTemperature } from '../lib/format';

export const PROMPT_MAX = 4000;
export const DEFAULT_PROMPT =
  'You write short, friendly SMS messages for our sales team. Greet the lead by first name, mention their company when you know it, ' +
  'and invite them to reply to book a 15-minute call. Plain text, no emojis, one message.';

export interface SettingsValues {
  name: string;
  description: string;
  agent_type: AgentType;
  sms_system_prompt: string;
  sms_temperature: number;
  /** messages per second, as typed; '' or 0 = unlimited */
  messages_per_second: string;
  /** quiet hours on: send only between window_start and window_end in the lead's zone */
  quiet_hours: boolean;
  window_start: string;
  window_end: string;
  max_send_errors: string;
}

export const defaultSettings: SettingsValues = {
  name: '',
  description: '',
  agent_type: 'sms',
  sms_system_prompt: DEFAULT_PROMPT,
  sms_temperature: 70,
  messages_per_second: '',
  quiet_hours: true,
  window_start: '08:00',
  window_end: '21:00',
  max_send_errors: '10',
};

/** The form's values for an existing campaign. */
export function settingsFromCampaign(c: Campaign): SettingsValues {
  const w = typeof c.send_window === 'string' ? /^(\d\d:\d\d)-(\d\d:\d\d)$/.exec(c.send_window) : null;
  const mps = num(c.messages_per_second ?? 0);
  return {
    name: c.name,
    description: c.description ?? '',
    agent_type: c.agent_type,
    sms_system_prompt: c.sms_system_prompt ?? '',
    sms_temperature: c.sms_temperature ?? 70,
    messages_per_second: mps > 0 ? String(mps) : '',
    quiet_hours: c.send_window === undefined ? true : !!w,
    window_start: w?.[1] ?? '08:00',
    window_end: w?.[2] ?? '21:00',
    max_send_errors: c.max_send_errors != null ? String(c.max_send_errors) : '10',
  };
}

export function settingsToInput(v: SettingsValues): CampaignInput {
  const out: CampaignInput = {
    name: v.name.trim(),
    description: v.description.trim() === '' ? null : v.description.trim(),
    agent_type: v.agent_type,
    sms_system_prompt: v.sms_system_prompt.trim() === '' ? null : v.sms_system_prompt,
    sms_temperature: v.sms_temperature,
    messages_per_second: v.messages_per_second.trim() === '' ? 0 : Number(v.messages_per_second),
    send_window: v.quiet_hours ? `${v.window_start}-${v.window_end}` : null,
  };
  if (v.max_send_errors.trim() !== '') out.max_send_errors = Number(v.max_send_errors);
  return out;
}

const AGENTS: { value: AgentType; label: string; help: string }[] = [
  { value: 'sms', label: 'SMS', help: 'Write and send one personalised SMS per lead.' },
  { value: 'voice', label: 'Voice', help: 'Phone calls: not available yet, such a campaign cannot be started.' },
  { value: 'both', label: 'SMS + voice', help: 'Sends the SMS; the voice step is logged as not available yet.' },
];

/** Name, description, agent type, the writer's instructions and its temperature. */
export function CampaignSettingsFields({
  values,
  onChange,
  errors,
  lockedWriter,
}: {
  values: SettingsValues;
  onChange: (v: SettingsValues) => void;
  errors: Record<string, string>;
  lockedWriter?: boolean;
}) {
  const set = <K extends keyof SettingsValues>(k: K, v: SettingsValues[K]) => onChange({ ...values, [k]: v });
  const groupId = useId();
  const promptLen = values.sms_system_prompt.length;
  return (
    <div className="space-y-5">
      <Field label="Name" required error={errors.name}>
        {({ id, describedBy, invalid }) => (
          <TextInput id={id} name="name" value={values.name} onChange={(e) => set('name', e.target.value)} aria-describedby={describedBy} aria-required invalid={invalid} placeholder="Spring promo — West coast" data-autofocus />
        )}
      </Field>
      <Field label="Description" error={errors.description} hint="For your team; not sent to leads.">
        {({ id, describedBy, invalid }) => (
          <TextArea id={id} name="description" rows={2} value={values.description} onChange={(e) => set('description', e.target.value)} aria-describedby={describedBy} invalid={invalid} />
        )}
      </Field>

      <fieldset aria-describedby={errors.agent_type ? `${groupId}-err` : undefined} disabled={lockedWriter}>
        <legend className="mb-1 text-sm font-medium text-slate-700">Agent type</legend>
        <div className="grid gap-2 sm:grid-cols-3">
          {AGENTS.map((a) => (
            <label
              key={a.value}
              className={cx(
                'flex cursor-pointer flex-col rounded-lg border p-3 text-sm focus-within:ring-2 focus-within:ring-indigo-500',
                values.agent_type === a.value ? 'border-indigo-500 bg-indigo-50/60' : 'border-slate-200 hover:border-slate-300',
              )}
            >
              <span className="flex items-center gap-2 font-medium text-slate-900">
                <input type="radio" name="agent_type" value={a.value} checked={values.agent_type === a.value} onChange={() => set('agent_type', a.value)} className="accent-indigo-600" />
                {a.label}
              </span>
              <span className="mt-1 text-xs text-slate-600">{a.help}</span>
            </label>
          ))}
        </div>
        {errors.agent_type && (
          <p id={`${groupId}-err`} className="mt-1 text-xs font-medium text-red-600">
            {errors.agent_type}
          </p>
        )}
      </fieldset>

      <Field
        label="Instructions for the message writer"
        error={errors.sms_system_prompt}
        hint={
          <span className={cx(promptLen > PROMPT_MAX && 'text-red-600')}>
            The system prompt: who you are, what to offer, the tone. The lead's name, company and notes are added for each message. {fmtInt(promptLen)} / {fmtInt(PROMPT_MAX)}
          </span>
        }
      >
        {({ id, describedBy, invalid }) => (
          <TextArea id={id} name="sms_system_prompt" rows={5} value={values.sms_system_prompt} onChange={(e) => set('sms_system_prompt', e.target.value)} aria-describedby={describedBy} invalid={invalid} disabled={lockedWriter} />
        )}
      </Field>

      <Field label={<>Temperature <span className="ml-1 font-mono text-indigo-700">{fmtTemperature(values.sms_temperature)}</span></>} error={errors.sms_temperature} hint="Lower gives predictable wording; higher gives more varied messages.">
        {({ id, describedBy }) => (
          <div className="flex items-center gap-3">
            <span className="text-xs text-slate-500" aria-hidden="true">0.00</span>
            <input
              id={id}
              name="sms_temperature"
              type="range"
              min={0}
              max={200}
              step={5}
              value={values.sms_temperature}
              onChange={(e) => set('sms_temperature', Number(e.target.value))}
              aria-describedby={describedBy}
              aria-valuetext={fmtTemperature(values.sms_temperature)}
              className="h-2 flex-1 cursor-pointer accent-indigo-600"
              disabled={lockedWriter}
            />
            <span className="text-xs text-slate-500" aria-hidden="true">2.00</span>
          </div>
        )}
      </Field>

      <details className="group rounded-lg border border-slate-200" open={!!(errors.messages_per_second || errors.send_window || errors.max_send_errors)}>
        <summary className="cursor-pointer select-none rounded-lg px-3 py-2 text-sm font-medium text-slate-700 hover:bg-slate-50">
          Delivery: speed and quiet hours
        </summary>
        <div className="space-y-4 border-t border-slate-100 p-3">
          <div className="grid gap-4 sm:grid-cols-2">
            <Field label="Messages per second" error={errors.messages_per_second} hint="Your SMS provider's limit; empty means unlimited.">
              {({ id, describedBy, invalid }) => (
                <TextInput id={id} name="messages_per_second" type="number" min={0} step="any" inputMode="decimal" placeholder="unlimited" value={values.messages_per_second} onChange={(e) => set('messages_per_second', e.target.value)} aria-describedby={describedBy} invalid={invalid} />
              )}
            </Field>
            <Field label="Pause after errors" error={errors.max_send_errors} hint="Consecutive provider errors before the campaign pauses itself.">
              {({ id, describedBy, invalid }) => (
                <TextInput id={id} name="max_send_errors" type="number" min={1} inputMode="numeric" value={values.max_send_errors} onChange={(e) => set('max_send_errors', e.target.value)} aria-describedby={describedBy} invalid={invalid} />
              )}
            </Field>
          </div>
          <div>
            <label className="flex items-start gap-2 text-sm text-slate-700">
              <input type="checkbox" name="quiet_hours" checked={values.quiet_hours} onChange={(e) => set('quiet_hours', e.target.checked)} className="mt-0.5 h-4 w-4 accent-indigo-600" />
              <span>
                Quiet hours: send only between these times in each lead's own time zone
                <span className="block text-xs text-slate-500">Leads outside the window wait until it opens.</span>
              </span>
            </label>
            {values.quiet_hours && (
              <div className="mt-2 flex flex-wrap items-end gap-3 pl-6">
                <Field label="From" className="w-32">
                  {({ id }) => <TextInput id={id} name="window_start" type="time" value={values.window_start} onChange={(e) => set('window_start', e.target.value)} invalid={!!errors.send_window} />}
                </Field>
                <Field label="Until" className="w-32">
                  {({ id }) => <TextInput id={id} name="window_end" type="time" value={values.window_end} onChange={(e) => set('window_end', e.target.value)} invalid={!!errors.send_window} />}
                </Field>
              </div>
            )}
            {errors.send_window && <p className="mt-1 pl-6 text-xs font-medium text-red-600">{errors.send_window}</p>}
          </div>
        </div>
      </details>
    </div>
  );
}

// ---------------------------------------------------------------- lead selection

export type LeadMode = 'filter' | 'ids' | 'count';

export interface LeadSelection {
  mode: LeadMode;
  filter: string;
  ids: number[];
  count: number;
}

export const defaultSelection: LeadSelection = { mode: 'filter', filter: '', ids: [], count: 10 };

export function selectionToInput(s: LeadSelection): Pick<CampaignInput, 'lead_ids' | 'lead_filter' | 'lead_count'> {
  if (s.mode === 'ids') return { lead_ids: s.ids };
  if (s.mode === 'count') return { lead_count: s.count };
  return { lead_filter: s.filter.trim() };
}

const MODES: { value: LeadMode; label: string }[] = [
  { value: 'filter', label: 'By search' },
  { value: 'ids', label: 'Pick leads' },
  { value: 'count', label: 'First N leads' },
];

/** Choose the leads: a search (lead_filter), hand-picked ids (lead_ids) or the N oldest (lead_count). */
export function LeadSelector({ value, onChange, errors }: { value: LeadSelection; onChange: (s: LeadSelection) => void; errors: Record<string, string> }) {
  const set = (patch: Partial<LeadSelection>) => onChange({ ...value, ...patch });
  const [pickSearch, setPickSearch] = useState('');
  const filterQ = useDebounced(value.filter, 300);
  const pickQ = useDebounced(pickSearch, 300);
  const ids = useId();

  const matching = useQuery({
    queryKey: ['leads', 'list', { q: filterQ, offset: 0, limit: 3 }],
    queryFn: ({ signal }) => api.listLeads({ q: filterQ || undefined, limit: 3 }, signal),
    enabled: value.mode === 'filter',
    placeholderData: keepPreviousData,
  });
  const all = useQuery({
    queryKey: ['leads', 'count'],
    queryFn: ({ signal }) => api.listLeads({ limit: 1 }, signal),
    enabled: value.mode === 'count',
  });
  const pickable = useQuery({
    queryKey: ['leads', 'list', { q: pickQ, offset: 0, limit: 50 }],
    queryFn: ({ signal }) => api.listLeads({ q: pickQ || undefined, limit: 50 }, signal),
    enabled: value.mode === 'ids',
    placeholderData: keepPreviousData,
  });

  const err = errors.lead_ids || errors.leads;
  const toggle = (id: number) => set({ ids: value.ids.includes(id) ? value.ids.filter((x) => x !== id) : [...value.ids, id] });

  return (
    <fieldset>
      <legend className="mb-2 text-sm font-medium text-slate-700">Leads</legend>
      <div className="inline-flex rounded-lg bg-slate-100 p-1" role="radiogroup" aria-label="How to choose leads">
        {MODES.map((m) => (
          <label key={m.value} className={cx('cursor-pointer rounded-md px-3 py-1.5 text-sm font-medium focus-within:ring-2 focus-within:ring-indigo-500', value.mode === m.value ? 'bg-white text-slate-900 shadow-sm' : 'text-slate-600 hover:text-slate-900')}>
            <input type="radio" className="sr-only" name={`${ids}-mode`} value={m.value} checked={value.mode === m.value} onChange={() => set({ mode: m.value })} />
            {m.label}
          </label>
        ))}
      </div>

      <div className="mt-3">
        {value.mode === 'filter' && (
          <Field label="Leads matching" error={errors.lead_filter} hint="Searches name, phone, email and company, like the Leads page. Empty means every lead.">
            {({ id, describedBy, invalid }) => (
              <>
                <TextInput id={id} name="lead_filter" type="search" value={value.filter} onChange={(e) => set({ filter: e.target.value })} placeholder="e.g. Acme" aria-describedby={describedBy} invalid={invalid} />
                <div className="mt-2 text-sm text-slate-600" aria-live="polite" data-testid="lead-filter-count">
                  {matching.isLoading ? (
                    'Counting…'
                  ) : matching.error ? (
                    <span className="text-red-600">Could not count the matching leads.</span>
                  ) : matching.data ? (
                    <>
                      <span className="font-medium text-slate-900">{fmtInt(matching.data.total)}</span> {matching.data.total === 1 ? 'lead matches' : 'leads match'}
                      {matching.data.items.length > 0 && (
                        <span className="text-slate-500">
                          {' '}· {matching.data.items.map((l) => l.name).join(', ')}
                          {matching.data.total > matching.data.items.length ? ', …' : ''}
                        </span>
                      )}
                    </>
                  ) : null}
                </div>
              </>
            )}
          </Field>
        )}

        {value.mode === 'count' && (
          <Field label="Number of leads" error={errors.lead_count} hint={all.data ? `The oldest leads first; ${fmtInt(all.data.total)} leads exist.` : 'The oldest leads first.'}>
            {({ id, describedBy, invalid }) => (
              <TextInput id={id} name="lead_count" type="number" min={1} inputMode="numeric" value={Number.isFinite(value.count) ? value.count : ''} onChange={(e) => set({ count: e.target.value === '' ? NaN : Number(e.target.value) })} aria-describedby={describedBy} invalid={invalid} className="max-w-[10rem]" />
            )}
          </Field>
        )}

        {value.mode === 'ids' && (
          <div>
            <label htmlFor={`${ids}-pick`} className="mb-1 block text-sm font-medium text-slate-700">
              Find leads
            </label>
            <TextInput id={`${ids}-pick`} type="search" value={pickSearch} onChange={(e) => setPickSearch(e.target.value)} placeholder="Search by name, phone, email, company" />
            <p className="mt-2 text-sm text-slate-600" aria-live="polite">
              <span className="font-medium text-slate-900">{fmtInt(value.ids.length)}</span> selected
              {value.ids.length > 0 && (
                <button type="button" className="ml-2 text-xs font-medium text-indigo-600 hover:underline" onClick={() => set({ ids: [] })}>
                  Clear
                </button>
              )}
            </p>
            <div className="mt-2 max-h-64 overflow-y-auto rounded-lg border border-slate-200">
              {pickable.isLoading ? (
                <p className="p-3 text-sm text-slate-500">Loading…</p>
              ) : pickable.error ? (
                <p className="p-3 text-sm text-red-600">Could not load leads.</p>
              ) : pickable.data && pickable.data.items.length === 0 ? (
                <p className="p-3 text-sm text-slate-500">No leads found.</p>
              ) : (
                <ul className="divide-y divide-slate-100">
                  {pickable.data?.items.map((l) => (
                    <li key={l.id}>
                      <label className="flex cursor-pointer items-center gap-3 px-3 py-2 text-sm hover:bg-slate-50">
                        <input type="checkbox" checked={value.ids.includes(l.id)} onChange={() => toggle(l.id)} className="h-4 w-4 accent-indigo-600" />
                        <span className="flex-1 font-medium text-slate-800">{l.name}</span>
                        <span className="font-mono text-xs text-slate-500">{l.phone}</span>
                      </label>
                    </li>
                  ))}
                </ul>
              )}
            </div>
            {pickable.data && pickable.data.total > pickable.data.items.length && (
              <p className="mt-1 text-xs text-slate-500">Showing {pickable.data.items.length} of {fmtInt(pickable.data.total)}; search to narrow down.</p>
            )}
          </div>
        )}
      </div>
      {err && (
        <div className="mt-3">
          <Alert>{err}</Alert>
        </div>
      )}
    </fieldset>
  );
}
