// Senders (GET /api/senders): the numbers (and Twilio Messaging Services) campaigns send from,
// each at the pace its carrier allows (segments per second). Operator and admin keys add, edit,
// deactivate and delete them; a viewer key reads the list. Without any sender, campaigns send
// from the server's default number (smscamp.sms_from).
import { useEffect, useId, useRef, useState, type FormEvent } from 'react';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import {
  api,
  ApiError,
  errorMessage,
  num,
  SENDER_DEFAULT_RATES,
  type Sender,
  type SenderInput,
  type SenderKind,
} from '../api';
import { Alert, Badge, Button, Card, ConfirmDialog, EmptyState, ErrorState, Field, FormActions, LoadingState, Modal, PageHeader, Select, TextInput, cx } from '../components/ui';
import { DataTable, Th } from '../components/list';
import { useToast } from '../components/toast';
import { fmtInt, fmtSegmentsPerSecond, plural } from '../lib/format';
import { senderKindMeta, SENDER_KIND_META } from '../lib/status';
import { useCanEdit } from '../lib/useMe';

/** The kinds of a sender with a phone (a Messaging Service has a SID instead). */
export type PhoneKind = Exclude<SenderKind, 'messaging_service'>;
export const PHONE_KINDS: PhoneKind[] = ['long_code', 'toll_free', 'short_code', 'alphanumeric'];

/** What the phone field is called and what it takes, by kind. */
const PHONE_FIELD: Record<PhoneKind, { label: string; hint: string; placeholder: string; empty: string }> = {
  long_code: { label: 'Phone number', hint: 'With the country code, e.g. +1 212 555 0100.', placeholder: '+12125550100', empty: 'Enter the phone number.' },
  toll_free: { label: 'Phone number', hint: 'With the country code, e.g. +1 888 555 0100.', placeholder: '+18885550100', empty: 'Enter the phone number.' },
  short_code: { label: 'Short code', hint: '3 to 8 digits, e.g. 12345.', placeholder: '12345', empty: 'Enter the short code.' },
  alphanumeric: {
    label: 'Sender ID',
    hint: 'What recipients see instead of a number: 1 to 11 letters, digits or spaces, at least one letter.',
    placeholder: 'Acme',
    empty: 'Enter the sender ID.',
  },
};

/** "a long code", "an alphanumeric sender ID": a kind in a sentence. */
const KIND_NOUNS: Record<SenderKind, string> = {
  long_code: 'a long code',
  toll_free: 'a toll-free number',
  short_code: 'a short code',
  alphanumeric: 'an alphanumeric sender ID',
  messaging_service: 'a Messaging Service',
};

const SID_RE = /^MG[0-9a-fA-F]{32}$/;

type Source = 'phone' | 'service';

export interface SenderValues {
  /** a phone (any kind but messaging_service) or a Twilio Messaging Service */
  source: Source;
  kind: PhoneKind;
  phone: string;
  sid: string;
  /** segments per second, as typed */
  rate: string;
  name: string;
  active: boolean;
}

export function senderValues(s?: Sender | null): SenderValues {
  if (!s) return { source: 'phone', kind: 'long_code', phone: '', sid: '', rate: String(SENDER_DEFAULT_RATES.long_code), name: '', active: true };
  const service = s.kind === 'messaging_service';
  return {
    source: service ? 'service' : 'phone',
    kind: service ? 'long_code' : (s.kind as PhoneKind),
    phone: s.phone ?? '',
    sid: s.messaging_service_sid ?? '',
    rate: String(num(s.segments_per_second)),
    name: s.name ?? '',
    active: s.active,
  };
}

/** The kind the values describe. */
function kindOf(v: SenderValues): SenderKind {
  return v.source === 'service' ? 'messaging_service' : v.kind;
}

/**
 * The body of POST /api/senders (a new sender: `from` absent) or of PUT /api/senders/{id}: then
 * only what differs from `from` (an empty object when nothing changed).
 */
export function senderInput(v: SenderValues, from?: Sender | null): SenderInput {
  const name = v.name.trim() === '' ? null : v.name.trim();
  const rate = v.rate.trim() === '' ? undefined : Number(v.rate);
  if (!from) {
    const out: SenderInput = v.source === 'service' ? { messaging_service_sid: v.sid.trim() } : { phone: v.phone.trim(), kind: v.kind };
    if (rate !== undefined) out.segments_per_second = rate;
    if (name !== null) out.name = name;
    out.active = v.active;
    return out;
  }
  const was = senderValues(from);
  const out: SenderInput = {};
  if (v.source === 'phone') {
    if (v.phone.trim() !== was.phone) out.phone = v.phone.trim();
    if (v.kind !== was.kind) out.kind = v.kind;
  } else if (v.sid.trim() !== was.sid) out.messaging_service_sid = v.sid.trim();
  if (rate !== undefined && rate !== num(from.segments_per_second)) out.segments_per_second = rate;
  if (name !== (from.name ?? null)) out.name = name;
  if (v.active !== from.active) out.active = v.active;
  return out;
}

/** What is wrong with the values before anything is sent, by field. */
function localErrors(v: SenderValues): Record<string, string> {
  const e: Record<string, string> = {};
  if (v.source === 'phone' && v.phone.trim() === '') e.phone = PHONE_FIELD[v.kind].empty;
  if (v.source === 'service') {
    if (v.sid.trim() === '') e.messaging_service_sid = 'Enter the Messaging Service SID.';
    else if (!SID_RE.test(v.sid.trim())) e.messaging_service_sid = 'A Messaging Service SID is MG followed by 32 hexadecimal characters.';
  }
  const r = Number(v.rate);
  if (v.rate.trim() === '' || !Number.isFinite(r) || r <= 0) e.segments_per_second = 'A number of segments per second above 0.';
  return e;
}

const FIELDS = ['phone', 'messaging_service_sid', 'kind', 'segments_per_second', 'name', 'active'];

/** Add a sender (no `sender`) or edit one: the same form, POST or PUT. */
function SenderDialog({ sender, onClose, onSaved }: { sender: Sender | null; onClose: () => void; onSaved: (s: Sender, created: boolean) => void }) {
  const [values, setValues] = useState<SenderValues>(() => senderValues(sender));
  const [errors, setErrors] = useState<Record<string, string>>({});
  const [general, setGeneral] = useState<string | null>(null);
  const formRef = useRef<HTMLFormElement>(null);
  const sourceName = useId();
  const helpId = useId();
  const save = useMutation({
    mutationFn: (input: SenderInput) => (sender ? api.updateSender(sender.id, input) : api.createSender(input)),
    onSuccess: (s) => onSaved(s, !sender),
    onError: (e) => {
      const fe: Record<string, string> = {};
      let other: string | null = null;
      if (e instanceof ApiError && e.status === 409) {
        // the phone or the Messaging Service is there already
        fe[values.source === 'service' ? 'messaging_service_sid' : 'phone'] = e.detail;
      } else if (e instanceof ApiError && e.errors.length > 0) {
        const unknown: string[] = [];
        for (const [k, msg] of Object.entries(e.fieldErrors)) {
          if (FIELDS.includes(k)) fe[k] = msg;
          else unknown.push(`${k}: ${msg}`);
        }
        if (unknown.length || Object.keys(e.fieldErrors).length === 0) other = e.errors.map((x) => x.msg).join('; ');
      } else other = errorMessage(e);
      setErrors(fe);
      setGeneral(other);
    },
  });

  // after a refusal, the focus goes to the first field with a problem
  useEffect(() => {
    const first = FIELDS.find((f) => errors[f]);
    if (first) formRef.current?.querySelector<HTMLElement>(`[name="${first}"]`)?.focus();
  }, [errors]);

  const set = (patch: Partial<SenderValues>) => {
    setValues((v) => ({ ...v, ...patch }));
    setErrors((e) => {
      const next = { ...e };
      for (const k of Object.keys(patch)) delete next[k === 'sid' ? 'messaging_service_sid' : k === 'rate' ? 'segments_per_second' : k];
      return next;
    });
  };
  // a kind (or a Messaging Service) chosen: its default rate
  const setKind = (kind: PhoneKind) => set({ kind, rate: String(SENDER_DEFAULT_RATES[kind]) });
  const setSource = (source: Source) => set({ source, rate: String(SENDER_DEFAULT_RATES[source === 'service' ? 'messaging_service' : values.kind]) });

  const submit = (e: FormEvent) => {
    e.preventDefault();
    setGeneral(null);
    const local = localErrors(values);
    setErrors(local);
    if (Object.keys(local).length > 0) return;
    const input = senderInput(values, sender);
    if (sender && Object.keys(input).length === 0) {
      onClose(); // nothing changed
      return;
    }
    save.mutate(input);
  };

  const kind = kindOf(values);
  const field = PHONE_FIELD[values.kind];
  const sources: { value: Source; label: string; help: string }[] = [
    { value: 'phone', label: 'A number', help: 'A long code, toll-free number, short code or alphanumeric sender ID of your account.' },
    { value: 'service', label: 'A Messaging Service', help: 'A Twilio Messaging Service: Twilio picks a number of its pool for each message.' },
  ];
  return (
    <Modal
      title={sender ? `Edit ${sender.label}` : 'Add sender'}
      description="Campaigns send from it at the pace its carrier allows."
      onClose={onClose}
    >
      <form ref={formRef} onSubmit={submit} noValidate className="space-y-4" aria-label={sender ? 'Edit sender' : 'New sender'}>
        {general && <Alert>{general}</Alert>}
        <fieldset disabled={!!sender} aria-describedby={sender ? `${helpId}-locked` : undefined}>
          <legend className="mb-1 text-sm font-medium text-slate-700">Sends from</legend>
          <div className="grid gap-2 sm:grid-cols-2">
            {sources.map((s) => (
              <div
                key={s.value}
                className={cx(
                  'rounded-lg border p-3 text-sm focus-within:ring-2 focus-within:ring-indigo-500',
                  values.source === s.value ? 'border-indigo-500 bg-indigo-50/60' : 'border-slate-200',
                )}
              >
                <label className={cx('flex items-center gap-2 font-medium text-slate-900', sender ? 'cursor-not-allowed' : 'cursor-pointer')}>
                  <input
                    type="radio"
                    name={sourceName}
                    value={s.value}
                    checked={values.source === s.value}
                    onChange={() => setSource(s.value)}
                    aria-describedby={`${helpId}-${s.value}`}
                    className="accent-indigo-600"
                    data-autofocus={!sender && values.source === s.value ? true : undefined}
                  />
                  {s.label}
                </label>
                <p id={`${helpId}-${s.value}`} className="mt-1 text-xs text-slate-600">
                  {s.help}
                </p>
              </div>
            ))}
          </div>
          {sender && (
            <p id={`${helpId}-locked`} className="mt-1 text-xs text-slate-500">
              To send from {values.source === 'service' ? 'a number' : 'a Messaging Service'} instead, add another sender.
            </p>
          )}
        </fieldset>

        {values.source === 'phone' ? (
          <div className="grid gap-4 sm:grid-cols-2">
            <Field label="Kind" error={errors.kind} hint={SENDER_KIND_META[values.kind].help}>
              {({ id, describedBy, invalid }) => (
                <Select id={id} name="kind" value={values.kind} onChange={(e) => setKind(e.target.value as PhoneKind)} aria-describedby={describedBy} invalid={invalid} data-autofocus={sender ? true : undefined}>
                  {PHONE_KINDS.map((k) => (
                    <option key={k} value={k}>
                      {SENDER_KIND_META[k].label}
                    </option>
                  ))}
                </Select>
              )}
            </Field>
            <Field label={field.label} required error={errors.phone} hint={field.hint}>
              {({ id, describedBy, invalid }) => (
                <TextInput
                  id={id}
                  name="phone"
                  type={values.kind === 'alphanumeric' ? 'text' : 'tel'}
                  inputMode={values.kind === 'short_code' ? 'numeric' : undefined}
                  maxLength={values.kind === 'alphanumeric' ? 11 : undefined}
                  autoComplete="off"
                  spellCheck={false}
                  placeholder={field.placeholder}
                  value={values.phone}
                  onChange={(e) => set({ phone: e.target.value })}
                  aria-describedby={describedBy}
                  aria-required
                  invalid={invalid}
                />
              )}
            </Field>
          </div>
        ) : (
          <Field label="Messaging Service SID" required error={errors.messaging_service_sid} hint="MG and 32 hexadecimal characters, from the Twilio console (Messaging › Services).">
            {({ id, describedBy, invalid }) => (
              <TextInput
                id={id}
                name="messaging_service_sid"
                autoComplete="off"
                spellCheck={false}
                placeholder="MG0123456789abcdef0123456789abcdef"
                value={values.sid}
                onChange={(e) => set({ sid: e.target.value })}
                aria-describedby={describedBy}
                aria-required
                invalid={invalid}
                className="font-mono"
                data-autofocus={sender ? true : undefined}
              />
            )}
          </Field>
        )}

        <div className="grid gap-4 sm:grid-cols-2">
          <Field
            label="Segments per second"
            required
            error={errors.segments_per_second}
            hint={`The most it may send. Default for ${KIND_NOUNS[kind]}: ${SENDER_DEFAULT_RATES[kind]}.`}
          >
            {({ id, describedBy, invalid }) => (
              <TextInput
                id={id}
                name="segments_per_second"
                type="number"
                min={0}
                step="any"
                inputMode="decimal"
                value={values.rate}
                onChange={(e) => set({ rate: e.target.value })}
                aria-describedby={describedBy}
                aria-required
                invalid={invalid}
              />
            )}
          </Field>
          <Field label="Name (optional)" error={errors.name} hint="For your team, e.g. “New York line”. Without one, it is listed by its number.">
            {({ id, describedBy, invalid }) => (
              <TextInput id={id} name="name" maxLength={100} autoComplete="off" value={values.name} onChange={(e) => set({ name: e.target.value })} aria-describedby={describedBy} invalid={invalid} />
            )}
          </Field>
        </div>

        <div>
          <label className="flex cursor-pointer items-start gap-2 text-sm">
            <input
              type="checkbox"
              name="active"
              checked={values.active}
              onChange={(e) => set({ active: e.target.checked })}
              aria-describedby={`${helpId}-active`}
              className="mt-0.5 h-4 w-4 accent-indigo-600"
            />
            <span className="font-medium text-slate-800">Active</span>
          </label>
          <p id={`${helpId}-active`} className="mt-1 pl-6 text-xs text-slate-600">
            Campaigns send only from active senders. Deactivate a number to stop using it for a while and keep its settings.
          </p>
          {errors.active && <p className="mt-1 pl-6 text-xs font-medium text-red-600">{errors.active}</p>}
        </div>

        <FormActions onCancel={onClose} submitLabel={sender ? 'Save changes' : 'Add sender'} busy={save.isPending} />
      </form>
    </Modal>
  );
}

function DeleteDialog({ sender, onClose, onDeleted }: { sender: Sender; onClose: () => void; onDeleted: () => void }) {
  const del = useMutation({ mutationFn: () => api.deleteSender(sender.id), onSuccess: onDeleted });
  const address = sender.phone ?? sender.messaging_service_sid;
  return (
    <ConfirmDialog title={`Delete ${sender.label}?`} confirmLabel="Delete sender" onConfirm={() => del.mutate()} onClose={onClose} busy={del.isPending} error={del.error}>
      <p>
        <span className="font-medium text-slate-800">{sender.label}</span>
        {address && address !== sender.label ? <span className="font-mono text-xs"> ({address})</span> : null} is removed: no campaign sends from it any more.
      </p>
      <p>To stop using it for a while and keep its settings, deactivate it instead.</p>
    </ConfirmDialog>
  );
}

/** The number (or Messaging Service SID) of a sender, in monospace. */
export function SenderAddress({ sender, className }: { sender: Pick<Sender, 'phone' | 'messaging_service_sid'>; className?: string }) {
  const text = sender.phone ?? sender.messaging_service_sid;
  if (!text) return <span className={cx('text-slate-500', className)}>—</span>;
  return <span className={cx('font-mono text-xs text-slate-700 [overflow-wrap:anywhere]', className)}>{text}</span>;
}

export default function SendersPage() {
  const qc = useQueryClient();
  const toast = useToast();
  const canEdit = useCanEdit();
  const [editing, setEditing] = useState<Sender | 'new' | null>(null);
  const [deleting, setDeleting] = useState<Sender | null>(null);

  const list = useQuery({ queryKey: ['senders', 'list'], queryFn: ({ signal }) => api.listSenders(signal) });
  const toggle = useMutation({
    mutationFn: (s: Sender) => api.updateSender(s.id, { active: !s.active }),
    onSuccess: (s) => {
      toast(s.active ? `${s.label} is active: campaigns send from it` : `${s.label} is inactive: campaigns no longer send from it`);
      refresh();
    },
    onError: (e, s) => toast(`Could not ${s.active ? 'deactivate' : 'activate'} ${s.label}: ${errorMessage(e)}`, 'error'),
  });

  const refresh = () => {
    void qc.invalidateQueries({ queryKey: ['senders'] });
    // a campaign's pool and rate come from the senders
    void qc.invalidateQueries({ queryKey: ['campaigns'] });
  };

  const data = list.data;
  const active = data?.items.filter((s) => s.active) ?? [];
  const total = active.reduce((a, s) => a + num(s.segments_per_second), 0);

  let body;
  if (list.isLoading) body = <LoadingState label="Loading senders…" />;
  else if (list.error) body = <ErrorState error={list.error} onRetry={() => void list.refetch()} feature="Senders" path="/api/senders" />;
  else if (!data) body = null;
  else if (data.items.length === 0)
    body = (
      <EmptyState
        title="No senders yet"
        action={
          canEdit ? (
            <Button size="sm" variant="primary" onClick={() => setEditing('new')}>
              Add sender
            </Button>
          ) : undefined
        }
      >
        <p>
          Until there is one, campaigns send from the server's default number (<code className="font-mono text-xs text-slate-700">smscamp.sms_from</code>).
        </p>
        <p className="mt-2">
          Add the numbers you send from and campaigns share out their messages between them, each at its own pace: carriers filter a number that sends faster than
          it may. A US long code sends about 1 segment per second, a toll-free number about 3, a short code 100 or more.
        </p>
      </EmptyState>
    );
  else
    body = (
      <DataTable
        testId="senders-table"
        caption="Senders"
        head={
          <>
            <Th className="px-4 sm:px-5">Sender</Th>
            <Th className="hidden px-4 sm:table-cell">Number or service</Th>
            <Th className="hidden px-4 md:table-cell">Kind</Th>
            <Th className="hidden px-4 text-right sm:table-cell">Rate</Th>
            <Th className="hidden px-4 sm:table-cell">Status</Th>
            {canEdit && (
              <Th className="pl-1 pr-3 text-right sm:px-5" srOnly>
                Actions
              </Th>
            )}
          </>
        }
      >
        {data.items.map((s) => {
          const kind = senderKindMeta(s.kind);
          const busy = toggle.isPending && toggle.variables?.id === s.id;
          return (
            <tr key={s.id} className={cx('hover:bg-slate-50/60', s.active ? 'text-slate-700' : 'text-slate-500')} data-testid="sender-row" data-sender-id={s.id}>
              <td className="px-4 py-3 sm:px-5">
                <div className="max-w-[14rem] font-medium text-slate-900 [overflow-wrap:anywhere] sm:max-w-xs">{s.label}</div>
                {/* at phone width: the number (when the label is not it), kind, rate and state under the label */}
                {(s.phone ?? s.messaging_service_sid) !== s.label && (
                  <div className="sm:hidden">
                    <SenderAddress sender={s} />
                  </div>
                )}
                <div className="text-xs text-slate-500 md:hidden">
                  {kind.label}
                  <span className="sm:hidden"> · {fmtSegmentsPerSecond(s.segments_per_second)}</span>
                </div>
                <div className="mt-1 sm:hidden">{s.active ? <Badge tone="green">Active</Badge> : <Badge tone="slate">Inactive</Badge>}</div>
              </td>
              <td className="hidden px-4 py-3 sm:table-cell">
                <SenderAddress sender={s} />
              </td>
              <td className="hidden px-4 py-3 md:table-cell" title={kind.help || undefined}>
                {kind.label}
              </td>
              <td className="hidden whitespace-nowrap px-4 py-3 text-right tabular-nums sm:table-cell" data-testid="sender-rate">
                {fmtSegmentsPerSecond(s.segments_per_second)}
              </td>
              <td className="hidden px-4 py-3 sm:table-cell">{s.active ? <Badge tone="green">Active</Badge> : <Badge tone="slate">Inactive</Badge>}</td>
              {canEdit && (
                <td className="whitespace-nowrap py-3 pl-1 pr-3 text-right sm:px-5">
                  <div className="flex flex-col items-end gap-1 sm:inline-flex sm:flex-row">
                    <Button size="sm" variant="ghost" className="!px-2 sm:!px-2.5" onClick={() => setEditing(s)} aria-label={`Edit ${s.label}`}>
                      Edit
                    </Button>
                    <Button size="sm" variant="ghost" className="!px-2 sm:!px-2.5" busy={busy} onClick={() => toggle.mutate(s)} aria-label={`${s.active ? 'Deactivate' : 'Activate'} ${s.label}`}>
                      {s.active ? 'Deactivate' : 'Activate'}
                    </Button>
                    <Button size="sm" variant="ghost" className="!px-2 !text-red-600 hover:!bg-red-50 sm:!px-2.5" onClick={() => setDeleting(s)} aria-label={`Delete ${s.label}`}>
                      Delete
                    </Button>
                  </div>
                </td>
              )}
            </tr>
          );
        })}
      </DataTable>
    );

  return (
    <>
      <PageHeader
        title="Senders"
        description="The numbers campaigns send from, each at the pace its carrier allows. A campaign sends from every active sender unless it names its own."
        actions={
          canEdit ? (
            <Button variant="primary" className="whitespace-nowrap" onClick={() => setEditing('new')}>
              Add sender
            </Button>
          ) : undefined
        }
      />

      <Card>
        {data && data.items.length > 0 && (
          <div className="flex flex-wrap items-center gap-x-4 gap-y-1 border-b border-slate-100 px-4 py-3 text-sm text-slate-600 sm:px-5">
            <p data-testid="senders-total">
              {plural(data.total, 'sender')}, {fmtInt(active.length)} active
              {active.length > 0 && (
                <>
                  {' '}
                  · together <span className="font-medium text-slate-900">{fmtSegmentsPerSecond(total)}</span>
                </>
              )}
            </p>
            {!canEdit && <p className="text-xs text-slate-500">Read only: this browser's key is a viewer key.</p>}
          </div>
        )}
        {body}
      </Card>

      {editing && (
        <SenderDialog
          sender={editing === 'new' ? null : editing}
          onClose={() => setEditing(null)}
          onSaved={(s, created) => {
            toast(created ? `Added ${s.label}` : `Saved ${s.label}`);
            setEditing(null);
            refresh();
          }}
        />
      )}
      {deleting && (
        <DeleteDialog
          sender={deleting}
          onClose={() => setDeleting(null)}
          onDeleted={() => {
            toast(`Deleted ${deleting.label}`);
            setDeleting(null);
            refresh();
          }}
        />
      )}
    </>
  );
}
