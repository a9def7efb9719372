import { useId, useState } from 'react';
import { keepPreviousData, useQuery } from '@tanstack/react-query';
import { Link } from 'react-router';
import { api, ApiError, errorMessage, num, type AgentType, type Campaign, type CampaignInput, type ReplyMode } from '../api';
import { Alert, Badge, Field, TextArea, TextInput, cx } from './ui';
import { useDebounced } from '../lib/useDebounced';
import { fmtInt, fmtSegmentsPerSecond, fmtTemperature, plural } from '../lib/format';
import { senderKindMeta } from '../lib/status';

export const PROMPT_MAX = 4000;
export const TEMPLATE_MAX = 1600;
/** Shown in the empty prompt: what good instructions look like (never sent: it is a placeholder). */
export const PROMPT_EXAMPLE =
  'e.g. You are Sam from Acme. Invite them to our product demo on Friday at 3pm and ask them to reply YES to save a seat.';
/** The empty call script's placeholder. */
export const VOICE_PROMPT_EXAMPLE = 'e.g. Invite them to our open day on Saturday at Acme Dental, and ask them to text YES to book a visit.';
/** What every call script ends with (smscamp.call_optout), and its length in words at most (smscamp.max_call_words). */
export const CALL_OPTOUT = 'To stop these calls, reply STOP to our text or say stop.';
export const CALL_MAX_WORDS = 80;
/** A voice campaign's calls_per_second when none is given: Twilio's default CPS. */
export const DEFAULT_CALLS_PER_SECOND = 1;
/** A both campaign's call_delay_seconds at most: a week. */
export const CALL_DELAY_MAX = 604800;
export const TEMPLATE_EXAMPLE = 'e.g. Hi {first_name}, it\'s {sender_name}. Our open day is Saturday 10-4 - reply YES to come along.';

/** The placeholders a template may use, with what they stand for. */
export const PLACEHOLDERS: { token: string; help: string }[] = [
  { token: '{first_name}', help: "the lead's first name" },
  { token: '{name}', help: 'the full name' },
  { token: '{company|your team}', help: 'the company, or "your team" when there is none' },
  { token: '{sender_name}', help: 'the sender below' },
  { token: '{notes}', help: "the lead's notes" },
  { token: '{attributes.city}', help: 'a custom field' },
];

export interface SettingsValues {
  name: string;
  description: string;
  agent_type: AgentType;
  sms_system_prompt: string;
  sms_template: string;
  sender_name: string;
  sms_temperature: number;
  /** a voice campaign's call script prompt ('' = none: the SMS prompt or template is used) */
  voice_system_prompt: string;
  voice_temperature: number;
  /** a voice campaign's calls per second, as typed */
  calls_per_second: string;
  /** a both campaign: seconds after the SMS its call is placed, as typed (0 = at once) */
  call_delay_seconds: string;
  /** a both campaign: call only the leads who have not answered the SMS by then */
  call_if_no_reply: boolean;
  /** messages per second, as typed; '' or 0 = unlimited */
  messages_per_second: string;
  /** quiet hours on: send only between window_start and window_end in the lead's zone */
  quiet_hours: boolean;
  window_start: string;
  window_end: string;
  max_send_errors: string;
  /** the reply agent: off (classify only), draft (for approval), auto */
  reply_mode: ReplyMode;
  reply_prompt: string;
  /** skip the leads without consent on record */
  require_consent: boolean;
  /** the senders it sends from; none: every active sender */
  sender_ids: number[];
  /** hours, as typed; '' = off */
  exclude_messaged_within_hours: string;
  /** carrier-filtered messages before it pauses itself, as typed */
  max_filtered: string;
}

/** A campaign's max_filtered when none is given. */
export const DEFAULT_MAX_FILTERED = 20;

export const defaultSettings: SettingsValues = {
  name: '',
  description: '',
  agent_type: 'sms',
  sms_system_prompt: '',
  sms_template: '',
  sender_name: '',
  sms_temperature: 70,
  voice_system_prompt: '',
  voice_temperature: 70,
  calls_per_second: String(DEFAULT_CALLS_PER_SECOND),
  call_delay_seconds: '0',
  call_if_no_reply: false,
  messages_per_second: '',
  quiet_hours: true,
  window_start: '08:00',
  window_end: '21:00',
  max_send_errors: '10',
  reply_mode: 'off',
  reply_prompt: '',
  require_consent: false,
  sender_ids: [],
  exclude_messaged_within_hours: '',
  max_filtered: String(DEFAULT_MAX_FILTERED),
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
    sms_template: c.sms_template ?? '',
    sender_name: c.sender_name ?? '',
    sms_temperature: c.sms_temperature ?? 70,
    voice_system_prompt: c.voice_system_prompt ?? '',
    voice_temperature: c.voice_temperature ?? 70,
    calls_per_second: c.calls_per_second != null && c.calls_per_second !== '' ? String(num(c.calls_per_second)) : String(DEFAULT_CALLS_PER_SECOND),
    call_delay_seconds: c.call_delay_seconds != null ? String(c.call_delay_seconds) : '0',
    call_if_no_reply: c.call_if_no_reply === true,
    messages_per_second: mps > 0 ? String(mps) : '',
    quiet_hours: c.send_window === undefined ? true : !!w,
    window_start: w?.[1] ?? '08:00',
    window_end: w?.[2] ?? '21:00',
    max_send_errors: c.max_send_errors != null ? String(c.max_send_errors) : '10',
    reply_mode: c.reply_mode ?? 'off',
    reply_prompt: c.reply_prompt ?? '',
    require_consent: c.require_consent === true,
    sender_ids: Array.isArray(c.sender_ids) ? [...c.sender_ids] : [],
    exclude_messaged_within_hours: c.exclude_messaged_within_hours != null ? String(c.exclude_messaged_within_hours) : '',
    max_filtered: c.max_filtered != null ? String(c.max_filtered) : String(DEFAULT_MAX_FILTERED),
  };
}

const sortedIds = (ids: number[]) => [...new Set(ids)].sort((a, b) => a - b);
const sameIds = (a: number[], b: number[]) => {
  const x = sortedIds(a);
  const y = sortedIds(b);
  return x.length === y.length && x.every((id, i) => id === y[i]);
};
/** Two typed numbers say the same ('' is none). */
const sameNumber = (a: string, b: string) => (a.trim() === '' || b.trim() === '' ? a.trim() === b.trim() : Number(a) === Number(b));

/**
 * The API body of the form's values. The senders, the frequency cap and max_filtered are sent
 * only when they differ from `from` (the campaign's values when it is edited, the defaults for a
 * new one): a server without them, or a campaign that relies on their defaults, is left alone.
 * So are a voice campaign's call script and voice temperature (and only for a voice campaign: the
 * form shows them for no other), the calls per second (a voice or both campaign), and a both
 * campaign's call delay and no-reply rule (only for a both campaign).
 */
export function settingsToInput(v: SettingsValues, from: SettingsValues = defaultSettings): CampaignInput {
  const out: CampaignInput = {
    name: v.name.trim(),
    description: v.description.trim() === '' ? null : v.description.trim(),
    agent_type: v.agent_type,
    sms_system_prompt: v.sms_system_prompt.trim() === '' ? null : v.sms_system_prompt,
    sms_template: v.sms_template.trim() === '' ? null : v.sms_template,
    sender_name: v.sender_name.trim() === '' ? null : v.sender_name.trim(),
    sms_temperature: v.sms_temperature,
    messages_per_second: v.messages_per_second.trim() === '' ? 0 : Number(v.messages_per_second),
    send_window: v.quiet_hours ? `${v.window_start}-${v.window_end}` : null,
    reply_mode: v.reply_mode,
    reply_prompt: v.reply_prompt.trim() === '' ? null : v.reply_prompt,
    require_consent: v.require_consent,
  };
  if (v.max_send_errors.trim() !== '') out.max_send_errors = Number(v.max_send_errors);
  // none checked: every active sender (null)
  if (!sameIds(v.sender_ids, from.sender_ids)) out.sender_ids = v.sender_ids.length > 0 ? sortedIds(v.sender_ids) : null;
  if (!sameNumber(v.exclude_messaged_within_hours, from.exclude_messaged_within_hours)) {
    out.exclude_messaged_within_hours = v.exclude_messaged_within_hours.trim() === '' ? null : Number(v.exclude_messaged_within_hours);
  }
  if (v.max_filtered.trim() !== '' && !sameNumber(v.max_filtered, from.max_filtered)) out.max_filtered = Number(v.max_filtered);
  if (v.agent_type === 'voice' || v.agent_type === 'both') {
    if (v.voice_system_prompt !== from.voice_system_prompt) out.voice_system_prompt = v.voice_system_prompt.trim() === '' ? null : v.voice_system_prompt;
    if (v.voice_temperature !== from.voice_temperature) out.voice_temperature = v.voice_temperature;
    if (v.calls_per_second.trim() !== '' && !sameNumber(v.calls_per_second, from.calls_per_second)) out.calls_per_second = Number(v.calls_per_second);
  }
  if (v.agent_type === 'both') {
    if (v.call_delay_seconds.trim() !== '' && !sameNumber(v.call_delay_seconds, from.call_delay_seconds)) out.call_delay_seconds = Number(v.call_delay_seconds);
    if (v.call_if_no_reply !== from.call_if_no_reply) out.call_if_no_reply = v.call_if_no_reply;
  }
  return out;
}

/** The senders a campaign sends from: checkboxes of the active ones (GET /api/senders); none checked is every active sender. */
export function SendersFieldset({ value, onChange, error, voice = false }: { value: number[]; onChange: (ids: number[]) => void; error?: string; voice?: boolean }) {
  const id = useId();
  const q = useQuery({ queryKey: ['senders', 'list'], queryFn: ({ signal }) => api.listSenders(signal), staleTime: 30_000 });
  const all = q.data?.items ?? [];
  // the active senders, and those this campaign names that are inactive now (to uncheck them)
  const shown = all.filter((s) => s.active || value.includes(s.id));
  const active = all.filter((s) => s.active);
  const known = new Set(all.map((s) => s.id));
  const chosen = shown.filter((s) => value.includes(s.id));
  const toggle = (sid: number) => {
    const ids = value.filter((x) => known.has(x));
    onChange(ids.includes(sid) ? ids.filter((x) => x !== sid) : [...ids, sid]);
  };
  const sum = (list: typeof all) => list.reduce((a, s) => a + num(s.segments_per_second), 0);
  const missing = q.error instanceof ApiError && q.error.notAvailable;

  let summary: string | null = null;
  if (q.data && active.length + chosen.length > 0) {
    summary =
      chosen.length > 0
        ? `${plural(chosen.length, 'sender')} checked, together ${fmtSegmentsPerSecond(sum(chosen))}.`
        : `None checked: all ${plural(active.length, 'active sender')}, together ${fmtSegmentsPerSecond(sum(active))}.`;
  }

  return (
    <fieldset className="rounded-lg border border-slate-200 p-3" aria-describedby={[error ? `${id}-err` : null, `${id}-hint`].filter(Boolean).join(' ')} data-testid="campaign-form-senders">
      <legend className="px-1 text-sm font-medium text-slate-700">Senders</legend>
      <p id={`${id}-hint`} className="text-xs text-slate-600">
        {voice
          ? "The numbers the calls go from; calls are paced by Calls per second, not by the senders' rates."
          : 'The numbers this campaign sends from, each at its own pace: more numbers send faster.'}{' '}
        None checked: every active sender, the ones added later too.
      </p>
      <div className="mt-2 text-sm">
        {q.isLoading ? (
          <p className="text-slate-500">Loading senders…</p>
        ) : missing ? (
          <p className="text-slate-600">This server has no senders yet: {voice ? 'calls' : 'messages'} go out from its default number.</p>
        ) : q.error ? (
          <p className="text-red-600">Could not load the senders: {errorMessage(q.error)}</p>
        ) : shown.length === 0 ? (
          <p className="text-slate-600" data-testid="no-senders">
            No active senders: {voice ? 'calls' : 'messages'} go out from the server's default number (<code className="font-mono text-xs">smscamp.sms_from</code>).{' '}
            <Link to="/senders" className="font-medium text-indigo-700 underline-offset-2 hover:underline">
              Add senders
            </Link>
          </p>
        ) : (
          <ul className="space-y-1.5">
            {shown.map((s) => {
              const detail = `${id}-${s.id}`;
              return (
                <li key={s.id} className="flex flex-wrap items-center gap-x-3 gap-y-0.5">
                  <label className="flex cursor-pointer items-center gap-2 font-medium text-slate-800">
                    <input type="checkbox" checked={value.includes(s.id)} onChange={() => toggle(s.id)} aria-describedby={detail} className="h-4 w-4 accent-indigo-600" />
                    <span className="[overflow-wrap:anywhere]">{s.label}</span>
                  </label>
                  <span id={detail} className="text-xs text-slate-600">
                    {s.phone && s.phone !== s.label ? (
                      <>
                        <span className="font-mono">{s.phone}</span>
                        {' · '}
                      </>
                    ) : null}
                    {senderKindMeta(s.kind).label} · {fmtSegmentsPerSecond(s.segments_per_second)}
                    {!s.active && ' · inactive'}
                  </span>
                </li>
              );
            })}
          </ul>
        )}
      </div>
      {summary && (
        <p className="mt-2 text-xs text-slate-600" aria-live="polite" data-testid="sender-choice">
          {summary}
        </p>
      )}
      {error && (
        <p id={`${id}-err`} className="mt-1 text-xs font-medium text-red-600">
          {error}
        </p>
      )}
    </fieldset>
  );
}

const REPLY_MODES: { value: ReplyMode; label: string; help: string }[] = [
  { value: 'off', label: 'Off', help: 'Replies are read and labelled (interested, question, opt-out…); you answer them.' },
  { value: 'draft', label: 'Draft', help: 'The AI suggests an answer to each reply; you approve, edit or reject it.' },
  { value: 'auto', label: 'Auto', help: 'The AI answers at once (a few times per lead at most); opt-outs and wrong numbers are never answered.' },
];

const AGENTS: { value: AgentType; label: string; help: string }[] = [
  { value: 'sms', label: 'SMS', help: 'Write and send one personalised SMS per lead.' },
  { value: 'voice', label: 'Voice call', help: 'Call each lead and speak a short personalised script.' },
  { value: 'both', label: 'Both', help: 'An SMS, then a call with its own script.' },
];

/** Who will write the messages (or a voice campaign's call scripts), as the server is configured (GET /api/settings). */
export function WriterBadge({ hasTemplate, what = 'Messages' }: { hasTemplate: boolean; what?: 'Messages' | 'Call scripts' }) {
  const q = useQuery({ queryKey: ['settings'], queryFn: ({ signal }) => api.settings(signal), staleTime: 60_000 });
  if (!q.data) return null;
  const w = q.data.writer;
  const label = w.kind === 'llm' ? w.label : hasTemplate ? 'Template (offline)' : 'Built-in writer (offline)';
  return (
    <p className="flex flex-wrap items-center gap-2 text-sm text-slate-600" data-testid="writer-badge">
      <span>{what} are written by</span>
      <Badge tone={w.kind === 'llm' ? 'blue' : 'slate'}>{label}</Badge>
    </p>
  );
}

/** A temperature slider, 0.00 to 2.00 (the value in hundredths). */
function TemperatureField({ name, label, value, onChange, error, hint, disabled }: { name: 'sms_temperature' | 'voice_temperature'; label: string; value: number; onChange: (v: number) => void; error?: string; hint: string; disabled?: boolean }) {
  return (
    <Field label={<>{label} <span className="ml-1 font-mono text-indigo-700">{fmtTemperature(value)}</span></>} error={error} hint={hint}>
      {({ id, describedBy }) => (
        <div className="flex items-center gap-3">
          <span className="text-xs text-slate-500" aria-hidden="true">0.00</span>
          <input
            id={id}
            name={name}
            type="range"
            min={0}
            max={200}
            step={5}
            value={value}
            onChange={(e) => onChange(Number(e.target.value))}
            aria-describedby={describedBy}
            aria-valuetext={fmtTemperature(value)}
            className="h-2 flex-1 cursor-pointer accent-indigo-600"
            disabled={disabled}
          />
          <span className="text-xs text-slate-500" aria-hidden="true">2.00</span>
        </div>
      )}
    </Field>
  );
}

/** Name, description, agent type, the writer's instructions (a voice campaign's call script) and its temperature. */
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
  const voice = values.agent_type === 'voice';
  const promptLen = values.sms_system_prompt.length;
  const templateLen = values.sms_template.length;
  const voicePromptLen = values.voice_system_prompt.length;
  const hasVoicePrompt = values.voice_system_prompt.trim() !== '';

  const templateField = (
    <Field
      label="Message template"
      error={errors.sms_template}
      hint={
        <span className={cx(templateLen > TEMPLATE_MAX && 'text-red-600')}>
          {voice
            ? 'Used for the call script only while the call script above is empty: filled in for each lead and spoken as written.'
            : 'The message itself, filled in for each lead and sent as written (with an AI model, the model personalises it).'}{' '}
          {fmtInt(templateLen)} / {fmtInt(TEMPLATE_MAX)}
        </span>
      }
    >
      {({ id, describedBy, invalid }) => (
        <>
          <TextArea id={id} name="sms_template" rows={3} value={values.sms_template} onChange={(e) => set('sms_template', e.target.value)} aria-describedby={describedBy} invalid={invalid} disabled={lockedWriter} placeholder={TEMPLATE_EXAMPLE} />
          <div className="mt-2 flex flex-wrap gap-1.5" aria-label="Insert a placeholder">
            {PLACEHOLDERS.map((p) => (
              <button
                key={p.token}
                type="button"
                title={p.help}
                disabled={lockedWriter}
                onClick={() => set('sms_template', `${values.sms_template}${values.sms_template && !values.sms_template.endsWith(' ') ? ' ' : ''}${p.token}`)}
                className="rounded-md border border-slate-200 bg-slate-50 px-2 py-0.5 font-mono text-xs text-slate-700 hover:bg-slate-100 disabled:opacity-50"
              >
                {p.token}
              </button>
            ))}
          </div>
        </>
      )}
    </Field>
  );
  const promptField = (
    <Field
      label="Instructions for the writer"
      error={errors.sms_system_prompt}
      hint={
        <span className={cx(promptLen > PROMPT_MAX && 'text-red-600')}>
          {voice
            ? 'Used for the call script only while the call script above is empty.'
            : values.sms_template.trim() !== ''
              ? 'Used by an AI model to personalise the template; without a model the template is sent.'
              : 'Who you are, what to offer, when, and what the lead should do. Without an AI model, the built-in writer turns plain instructions into a message (the preview shows what it understood) and refuses what it cannot understand; it uses the lead\'s first name and company. An AI model also gets the notes and custom fields.'}{' '}
          {fmtInt(promptLen)} / {fmtInt(PROMPT_MAX)}
        </span>
      }
    >
      {({ id, describedBy, invalid }) => (
        <TextArea id={id} name="sms_system_prompt" rows={4} value={values.sms_system_prompt} onChange={(e) => set('sms_system_prompt', e.target.value)} aria-describedby={describedBy} invalid={invalid} disabled={lockedWriter} placeholder={PROMPT_EXAMPLE} />
      )}
    </Field>
  );
  const senderField = (
    <Field
      label="Sender"
      error={errors.sender_name}
      hint={voice ? 'Who the calls are from; each script says so.' : 'Who the messages are from; each message says so. Also {sender_name} in the template.'}
    >
      {({ id, describedBy, invalid }) => (
        <TextInput id={id} name="sender_name" value={values.sender_name} maxLength={100} onChange={(e) => set('sender_name', e.target.value)} aria-describedby={describedBy} invalid={invalid} disabled={lockedWriter} placeholder="e.g. Sam from Acme" />
      )}
    </Field>
  );

  const callScriptField = (
    <Field
      label="Call script"
      error={errors.voice_system_prompt}
      hint={
        <span className={cx(voicePromptLen > PROMPT_MAX && 'text-red-600')}>
          What the call should say, in plain words: the writer makes a short spoken script of it that greets the lead by name, at most {CALL_MAX_WORDS} words.
          {voice ? '' : ' Empty: the script is written from the SMS instructions (or template).'} It always ends with “{CALL_OPTOUT}” {fmtInt(voicePromptLen)} / {fmtInt(PROMPT_MAX)}
        </span>
      }
    >
      {({ id, describedBy, invalid }) => (
        <TextArea id={id} name="voice_system_prompt" rows={4} value={values.voice_system_prompt} onChange={(e) => set('voice_system_prompt', e.target.value)} aria-describedby={describedBy} invalid={invalid} disabled={lockedWriter} placeholder={VOICE_PROMPT_EXAMPLE} />
      )}
    </Field>
  );
  const voiceTemperatureField = (
    <TemperatureField
      name="voice_temperature"
      label="Voice temperature"
      value={values.voice_temperature}
      onChange={(v) => set('voice_temperature', v)}
      error={errors.voice_temperature}
      hint="Lower gives predictable scripts; higher gives more varied ones."
      disabled={lockedWriter}
    />
  );
  const callsPerSecondField = (
    <Field
      label="Calls per second"
      error={errors.calls_per_second}
      hint="How many calls start each second. Twilio's default is 1 call per second (CPS) per account: raise it only once Twilio has raised yours."
    >
      {({ id, describedBy, invalid }) => (
        <TextInput id={id} name="calls_per_second" type="number" min={0.001} max={10000} step="any" inputMode="decimal" value={values.calls_per_second} onChange={(e) => set('calls_per_second', e.target.value)} aria-describedby={describedBy} invalid={invalid} />
      )}
    </Field>
  );

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

      {values.agent_type === 'both' && (
        <div className="space-y-4 rounded-lg border border-slate-200 p-3 sm:p-4" role="group" aria-labelledby={`${groupId}-both`} aria-describedby={`${groupId}-both-hint`} data-testid="both-call">
          <div>
            <h3 id={`${groupId}-both`} className="text-sm font-semibold text-slate-800">
              The call after the SMS
            </h3>
            <p id={`${groupId}-both-hint`} className="mt-1 text-xs text-slate-600">
              Each lead is called after their SMS. The call has its own script, written when the call is due: a lead who answered the SMS first costs no script.
            </p>
          </div>
          <div className="grid gap-4 sm:grid-cols-2">
            <Field label="Call after (seconds)" error={errors.call_delay_seconds} hint={`How long after the SMS the call is placed: 0 = at once, 3600 = an hour later (at most ${fmtInt(CALL_DELAY_MAX)}, a week).`}>
              {({ id, describedBy, invalid }) => (
                <TextInput id={id} name="call_delay_seconds" type="number" min={0} max={CALL_DELAY_MAX} step={1} inputMode="numeric" value={values.call_delay_seconds} onChange={(e) => set('call_delay_seconds', e.target.value)} aria-describedby={describedBy} invalid={invalid} />
              )}
            </Field>
            {callsPerSecondField}
          </div>
          {callScriptField}
          <div className="grid gap-4 sm:grid-cols-2">{voiceTemperatureField}</div>
          <div>
            <label className="flex cursor-pointer items-start gap-2 text-sm">
              <input
                type="checkbox"
                name="call_if_no_reply"
                checked={values.call_if_no_reply}
                onChange={(e) => set('call_if_no_reply', e.target.checked)}
                aria-describedby={`${groupId}-no-reply-hint`}
                className="mt-0.5 h-4 w-4 accent-indigo-600"
              />
              <span className="font-medium text-slate-800">Only call leads who have not answered the SMS by then</span>
            </label>
            <p id={`${groupId}-no-reply-hint`} className="mt-1 pl-6 text-xs text-slate-600">
              A lead who replied to the SMS before the call is due is not called. Leads who opt out are never called.
            </p>
            {errors.call_if_no_reply && <p className="mt-1 pl-6 text-xs font-medium text-red-600">{errors.call_if_no_reply}</p>}
          </div>
        </div>
      )}

      {voice ? (
        <div className="space-y-4 rounded-lg border border-slate-200 p-3 sm:p-4" role="group" aria-labelledby={`${groupId}-voice`} data-testid="campaign-form-voice">
          <div className="flex flex-wrap items-center justify-between gap-2">
            <h3 id={`${groupId}-voice`} className="text-sm font-semibold text-slate-800">
              What the calls say
            </h3>
            <WriterBadge what="Call scripts" hasTemplate={!hasVoicePrompt && values.sms_template.trim() !== ''} />
          </div>
          {errors.writer && <Alert>{errors.writer}</Alert>}
          {callScriptField}
          {senderField}
          <div className="grid gap-4 sm:grid-cols-2">
            {voiceTemperatureField}
            {callsPerSecondField}
          </div>
          <details className="rounded-lg border border-slate-200" open={!!(errors.sms_template || errors.sms_system_prompt) || (!hasVoicePrompt && (values.sms_template.trim() !== '' || values.sms_system_prompt.trim() !== ''))} data-testid="voice-sms-fallback">
            <summary className="cursor-pointer select-none rounded-lg px-3 py-2 text-sm font-medium text-slate-700 hover:bg-slate-50">
              Fallback: the SMS template and instructions
            </summary>
            <div className="space-y-4 border-t border-slate-100 p-3">
              <p className="text-xs text-slate-600">Without a call script, the script is written from these, as an SMS would be.</p>
              {templateField}
              {promptField}
            </div>
          </details>
        </div>
      ) : (
        <div className="space-y-4 rounded-lg border border-slate-200 p-3 sm:p-4" role="group" aria-labelledby={`${groupId}-writer`}>
          <div className="flex flex-wrap items-center justify-between gap-2">
            <h3 id={`${groupId}-writer`} className="text-sm font-semibold text-slate-800">
              What the messages say
            </h3>
            <WriterBadge hasTemplate={values.sms_template.trim() !== ''} />
          </div>
          {errors.writer && <Alert>{errors.writer}</Alert>}
          {templateField}
          {promptField}
          {senderField}
        </div>
      )}

      {!voice && (
        <TemperatureField
          name="sms_temperature"
          label="Temperature"
          value={values.sms_temperature}
          onChange={(v) => set('sms_temperature', v)}
          error={errors.sms_temperature}
          hint="Lower gives predictable wording; higher gives more varied messages."
          disabled={lockedWriter}
        />
      )}

      <fieldset className="rounded-lg border border-slate-200 p-3" aria-describedby={errors.reply_mode ? 'reply-mode-err' : undefined}>
        <legend className="px-1 text-sm font-medium text-slate-700">Replies</legend>
        <div className="grid gap-2 sm:grid-cols-3" role="radiogroup" aria-label="Reply mode">
          {REPLY_MODES.map((m) => (
            <label key={m.value} className={cx('flex cursor-pointer items-start gap-2 rounded-lg border p-2.5 text-sm', values.reply_mode === m.value ? 'border-indigo-500 bg-indigo-50' : 'border-slate-200')}>
              <input type="radio" name="reply_mode" value={m.value} checked={values.reply_mode === m.value} onChange={() => set('reply_mode', m.value)} className="mt-0.5 accent-indigo-600" />
              <span>
                <span className="font-medium text-slate-900">{m.label}</span>
                <span className="block text-xs text-slate-600">{m.help}</span>
              </span>
            </label>
          ))}
        </div>
        {errors.reply_mode && <p id="reply-mode-err" className="mt-1 text-xs font-medium text-red-600">{errors.reply_mode}</p>}
        {values.reply_mode !== 'off' && (
          <Field className="mt-3" label="How to answer" error={errors.reply_prompt} hint="What the business offers, how to answer, when to hand over to a person. Without an AI model, the answer says someone will get back to them.">
            {({ id, describedBy, invalid }) => (
              <TextArea id={id} name="reply_prompt" rows={3} maxLength={PROMPT_MAX} value={values.reply_prompt} onChange={(e) => set('reply_prompt', e.target.value)} aria-describedby={describedBy} invalid={invalid} placeholder="e.g. We are Acme Dental. Parking is free. Hand price questions over to a person." />
            )}
          </Field>
        )}
      </fieldset>

      <div className="rounded-lg border border-slate-200 p-3">
        <label className="flex cursor-pointer items-start gap-2 text-sm">
          <input
            type="checkbox"
            name="require_consent"
            checked={values.require_consent}
            onChange={(e) => set('require_consent', e.target.checked)}
            aria-describedby="require-consent-hint"
            className="mt-0.5 h-4 w-4 accent-indigo-600"
          />
          <span className="font-medium text-slate-800">Only leads with consent on record</span>
        </label>
        <p id="require-consent-hint" className="mt-1 pl-6 text-xs text-slate-600">
          Leads without a consent date are skipped, each with the reason in the log. Off: every lead is {voice ? 'called' : 'messaged'}; keeping the consent you need (for
          example under the TCPA for marketing {voice ? 'calls' : 'texts'} in the US) is then up to you.
        </p>
      </div>

      <SendersFieldset value={values.sender_ids} onChange={(ids) => set('sender_ids', ids)} error={errors.sender_ids} voice={voice} />

      <details
        className="group rounded-lg border border-slate-200"
        open={!!(errors.messages_per_second || errors.send_window || errors.max_send_errors || errors.max_filtered || errors.exclude_messaged_within_hours)}
      >
        <summary className="cursor-pointer select-none rounded-lg px-3 py-2 text-sm font-medium text-slate-700 hover:bg-slate-50">
          Delivery: speed, quiet hours and limits
        </summary>
        <div className="space-y-4 border-t border-slate-100 p-3">
          <div className="grid gap-4 sm:grid-cols-2">
            {/* a voice campaign is paced by its calls per second (above) */}
            {!voice && (
              <Field label="Messages per second" error={errors.messages_per_second} hint="Your SMS provider's limit; empty means unlimited.">
                {({ id, describedBy, invalid }) => (
                  <TextInput id={id} name="messages_per_second" type="number" min={0} step="any" inputMode="decimal" placeholder="unlimited" value={values.messages_per_second} onChange={(e) => set('messages_per_second', e.target.value)} aria-describedby={describedBy} invalid={invalid} />
                )}
              </Field>
            )}
            <Field label="Pause after errors" error={errors.max_send_errors} hint="Consecutive provider errors before the campaign pauses itself.">
              {({ id, describedBy, invalid }) => (
                <TextInput id={id} name="max_send_errors" type="number" min={1} inputMode="numeric" value={values.max_send_errors} onChange={(e) => set('max_send_errors', e.target.value)} aria-describedby={describedBy} invalid={invalid} />
              )}
            </Field>
            {/* carrier filtering (error 30007) is of texts only */}
            {!voice && (
              <Field
                label="Pause after N carrier-filtered messages"
                error={errors.max_filtered}
                hint="Carriers filter texts they take for spam (error 30007). After more than this many, the campaign pauses itself so you can change the wording or register the number."
              >
                {({ id, describedBy, invalid }) => (
                  <TextInput id={id} name="max_filtered" type="number" min={1} max={1000000} inputMode="numeric" value={values.max_filtered} onChange={(e) => set('max_filtered', e.target.value)} aria-describedby={describedBy} invalid={invalid} />
                )}
              </Field>
            )}
            <Field
              label="Skip leads messaged in the last N hours"
              error={errors.exclude_messaged_within_hours}
              hint="A frequency cap: leads any campaign texted within that many hours (1 to 8760) are skipped. Empty: off."
            >
              {({ id, describedBy, invalid }) => (
                <TextInput
                  id={id}
                  name="exclude_messaged_within_hours"
                  type="number"
                  min={1}
                  max={8760}
                  inputMode="numeric"
                  placeholder="off"
                  value={values.exclude_messaged_within_hours}
                  onChange={(e) => set('exclude_messaged_within_hours', e.target.value)}
                  aria-describedby={describedBy}
                  invalid={invalid}
                />
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
