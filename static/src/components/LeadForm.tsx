import { useEffect, useId, useRef, useState, type FormEvent } from 'react';
import { useMutation, useQuery } from '@tanstack/react-query';
import { api, ApiError, errorMessage, type Lead, type LeadInput } from '../api';
import { Alert, Button, Field, FormActions, PhoneStatusBadge, TextArea, TextInput, cx, inputClass } from './ui';
import { phoneExample } from '../lib/phoneExample';
import { phoneStatusMeta } from '../lib/status';
import { fmtDateTime } from '../lib/format';

const FIELDS = ['name', 'phone', 'email', 'company', 'timezone', 'notes', 'consent_at', 'consent_source', 'consent_text'] as const;
type FieldName = (typeof FIELDS)[number];
type Values = Record<FieldName, string>;
type AttrValue = string | number | boolean;

/** One attribute (custom field) row of the form; `kind` is the type the value had when loaded. */
interface AttrRow {
  id: number;
  key: string;
  value: string;
  kind: 'string' | 'number' | 'boolean';
}

/** The two inputs of an attribute row: its name (the row's focus target, in monospace) and its value. */
const ATTR_INPUTS = [
  { part: 'key', word: 'name', name: true },
  { part: 'value', word: 'value', name: false },
] as const;

function initial(lead?: Lead | null): Values {
  return {
    name: lead?.name ?? '',
    phone: lead?.phone ?? '',
    email: lead?.email ?? '',
    company: lead?.company ?? '',
    notes: lead?.notes ?? '',
    // empty: the phone's zone (shown as the hint), not a zone of the lead's own
    timezone: lead?.timezone_source === 'lead' ? lead.timezone : '',
    // the date of the consent (a date input); its time stays as it is unless the date changes
    consent_at: lead?.consent_at ? lead.consent_at.slice(0, 10) : '',
    consent_source: lead?.consent_source ?? '',
    consent_text: lead?.consent_text ?? '',
  };
}

/** Suggestions for how consent was given. */
const CONSENT_SOURCES = ['web_form', 'paper', 'keyword', 'verbal', 'import'];

/** The IANA zones the browser knows, for the time zone field's suggestions. */
function zoneNames(): string[] {
  const intl = Intl as unknown as { supportedValuesOf?: (key: string) => string[] };
  try {
    return intl.supportedValuesOf?.('timeZone') ?? [];
  } catch {
    return [];
  }
}

let nextRowId = 1;
function initialAttrs(lead?: Lead | null): AttrRow[] {
  return Object.entries(lead?.attributes ?? {}).map(([key, v]) => ({
    id: nextRowId++,
    key,
    value: String(v),
    kind: typeof v === 'number' ? 'number' : typeof v === 'boolean' ? 'boolean' : 'string',
  }));
}

/** A row's value as sent: a number or boolean stays one while the text still reads as one. */
function attrValue(r: AttrRow): AttrValue {
  const t = r.value.trim();
  if (r.kind === 'number' && t !== '' && Number.isFinite(Number(t))) return Number(t);
  if (r.kind === 'boolean' && (t === 'true' || t === 'false')) return t === 'true';
  return r.value;
}

/** The attributes object of the rows (rows left entirely empty are ignored), or local problems by row id. */
function attrsOf(rows: AttrRow[]): { attributes: Record<string, AttrValue>; problems: Record<number, string> } {
  const attributes: Record<string, AttrValue> = {};
  const problems: Record<number, string> = {};
  const seen = new Set<string>();
  for (const r of rows) {
    const key = r.key.trim();
    if (key === '' && r.value.trim() === '') continue;
    if (key === '') {
      problems[r.id] = 'Give the attribute a name.';
      continue;
    }
    if (seen.has(key)) {
      problems[r.id] = `There is another attribute named ${key}.`;
      continue;
    }
    seen.add(key);
    attributes[key] = attrValue(r);
  }
  return { attributes, problems };
}

function sameAttrs(a: Record<string, AttrValue>, b: Record<string, AttrValue>): boolean {
  const ka = Object.keys(a);
  return ka.length === Object.keys(b).length && ka.every((k) => Object.prototype.hasOwnProperty.call(b, k) && b[k] === a[k]);
}

function toInput(v: Values, attributes: Record<string, AttrValue>, lead?: Lead | null): LeadInput {
  const opt = (s: string) => (s.trim() === '' ? null : s.trim());
  const out: LeadInput = {
    name: v.name.trim(),
    phone: v.phone.trim(),
    email: opt(v.email),
    company: opt(v.company),
    notes: v.notes.trim() === '' ? null : v.notes,
    timezone: opt(v.timezone),
    consent_at: opt(v.consent_at),
    consent_source: opt(v.consent_source),
    consent_text: v.consent_text.trim() === '' ? null : v.consent_text,
  };
  // an unchanged consent date is not sent: the date input would drop its time of day
  if (lead && v.consent_at === initial(lead).consent_at) delete out.consent_at;
  if (!lead) {
    // a new lead: leave out empty optional fields rather than sending nulls
    for (const k of ['email', 'company', 'notes', 'timezone', 'consent_at', 'consent_source', 'consent_text'] as const) if (out[k] === null) delete out[k];
    if (Object.keys(attributes).length > 0) out.attributes = attributes;
  } else if (!sameAttrs(attributes, lead.attributes ?? {})) {
    // PUT replaces the attributes: send them only when they were edited
    out.attributes = attributes;
  }
  return out;
}

/**
 * Create or edit a lead. Validation is the server's: its 422 `detail[].loc` messages appear
 * under the matching field (an attribute's under its row), anything else (409 duplicate phone,
 * 503, …) above the form.
 */
export default function LeadForm({
  lead,
  onSaved,
  onCancel,
}: {
  lead?: Lead | null;
  onSaved: (lead: Lead) => void;
  onCancel: () => void;
}) {
  const [values, setValues] = useState<Values>(() => initial(lead));
  const [attrs, setAttrs] = useState<AttrRow[]>(() => initialAttrs(lead));
  const [fieldErrors, setFieldErrors] = useState<Partial<Record<FieldName, string>>>({});
  // attribute problems: by row id, and for the attributes as a whole
  const [attrErrors, setAttrErrors] = useState<Record<number, string>>({});
  const [attrsError, setAttrsError] = useState<string | null>(null);
  const [formError, setFormError] = useState<string | null>(null);
  // where the focus goes after the attribute rows change (a CSS selector)
  const [focusNext, setFocusNext] = useState<string | null>(null);
  const formRef = useRef<HTMLFormElement>(null);
  const attrsId = useId();
  const zonesId = useId();
  const sourcesId = useId();
  const [zones] = useState(zoneNames);
  // the phone example: the server's default country when the page has loaded /api/settings
  // (the leads page does; this form sends no request of its own), else the browser's locale
  const settings = useQuery({ queryKey: ['settings'], queryFn: ({ signal }) => api.settings(signal), enabled: false }).data;
  const phoneHint = phoneExample(settings?.default_country, typeof navigator === 'undefined' ? null : navigator.language);

  const save = useMutation({
    mutationFn: (input: LeadInput) => (lead ? api.updateLead(lead.id, input) : api.createLead(input)),
    onSuccess: (saved) => onSaved(saved),
    onError: (e) => {
      const fe: Partial<Record<FieldName, string>> = {};
      const ae: Record<number, string> = {};
      let whole: string | null = null;
      let general: string | null = null;
      if (e instanceof ApiError) {
        const unknown: string[] = [];
        for (const item of e.errors) {
          // ["body", "attributes", "<key>"] or ["body", "attributes"]
          if (item.loc?.[0] === 'body' && item.loc[1] === 'attributes') {
            const key = item.loc[2];
            const row = attrs.find((r) => typeof key === 'string' && r.key.trim() === key);
            if (row) ae[row.id] = ae[row.id] ? `${ae[row.id]} ${item.msg}` : item.msg;
            else whole = whole ? `${whole} ${item.msg}` : item.msg;
          }
        }
        for (const [k, msg] of Object.entries(e.fieldErrors)) {
          if ((FIELDS as readonly string[]).includes(k)) fe[k as FieldName] = msg;
          else if (!e.errors.some((i) => i.loc?.[1] === 'attributes' && (i.loc[2] === k || (i.loc.length === 2 && k === 'attributes')))) {
            unknown.push(`${k}: ${msg}`);
          }
        }
        if (e.status === 409 && /phone/i.test(e.detail)) fe.phone = e.detail;
        if (e.errors.length === 0 || unknown.length > 0) {
          general = e.errors.length === 0 ? errorMessage(e) : unknown.join('; ');
        } else {
          general = 'Please correct the highlighted fields.';
        }
      } else {
        general = errorMessage(e);
      }
      setFieldErrors(fe);
      setAttrErrors(ae);
      setAttrsError(whole);
      setFormError(general);
    },
  });

  // After a failed save, move focus to the first field with a problem (then the attributes).
  useEffect(() => {
    const first = FIELDS.find((f) => fieldErrors[f]);
    if (first) {
      formRef.current?.querySelector<HTMLElement>(`[name="${first}"]`)?.focus();
      return;
    }
    const row = attrs.find((r) => attrErrors[r.id]);
    if (row) formRef.current?.querySelector<HTMLElement>(`[data-attr-key="${row.id}"]`)?.focus();
    // only when the errors change
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [fieldErrors, attrErrors]);

  // A row added or removed: the focus moves to where the change was.
  useEffect(() => {
    if (focusNext === null) return;
    formRef.current?.querySelector<HTMLElement>(focusNext)?.focus();
    setFocusNext(null);
  }, [focusNext]);

  const set = (k: FieldName) => (e: { target: { value: string } }) => {
    setValues((v) => ({ ...v, [k]: e.target.value }));
    if (fieldErrors[k]) setFieldErrors((fe) => ({ ...fe, [k]: undefined }));
  };

  const setAttr = (id: number, part: 'key' | 'value', value: string) => {
    setAttrs((rows) => rows.map((r) => (r.id === id ? { ...r, [part]: value } : r)));
    if (attrErrors[id]) setAttrErrors(({ [id]: _gone, ...rest }) => rest);
  };

  const addAttr = () => {
    const id = nextRowId++;
    setAttrs((rows) => [...rows, { id, key: '', value: '', kind: 'string' }]);
    setFocusNext(`[data-attr-key="${id}"]`);
  };

  const removeAttr = (index: number) => {
    const row = attrs[index];
    setAttrs((rows) => rows.filter((r) => r.id !== row.id));
    setAttrsError(null);
    // keep the focus in the list: the next row's remove button, else the previous one's, else "Add"
    const next = attrs[index + 1] ?? attrs[index - 1];
    setFocusNext(next ? `[data-attr-remove="${next.id}"]` : '[data-attr-add]');
  };

  const submit = (e: FormEvent) => {
    e.preventDefault();
    setFormError(null);
    setAttrsError(null);
    const { attributes, problems } = attrsOf(attrs);
    if (Object.keys(problems).length > 0) {
      setFieldErrors({});
      setAttrErrors(problems);
      setFormError('Please correct the highlighted fields.');
      return;
    }
    setAttrErrors({});
    save.mutate(toInput(values, attributes, lead));
  };

  return (
    <form ref={formRef} onSubmit={submit} noValidate className="space-y-4" aria-label={lead ? 'Edit lead' : 'New lead'}>
      {formError && <Alert>{formError}</Alert>}
      {lead?.phone_status && (
        <div className="flex flex-wrap items-start gap-2 rounded-lg border border-amber-200 bg-amber-50 px-3 py-2 text-sm text-amber-900" data-testid="lead-phone-status">
          <PhoneStatusBadge status={lead.phone_status} at={lead.phone_status_at} />
          <p className="min-w-0 flex-1">
            {phoneStatusMeta(lead.phone_status).help}
            {lead.phone_status_at && ` Reported ${fmtDateTime(lead.phone_status_at)}.`} A new phone clears it.
          </p>
        </div>
      )}
      <div className="grid gap-4 sm:grid-cols-2">
        <Field label="Name" required error={fieldErrors.name}>
          {({ id, describedBy, invalid }) => (
            <TextInput id={id} name="name" autoComplete="name" value={values.name} onChange={set('name')} aria-describedby={describedBy} aria-required invalid={invalid} data-autofocus />
          )}
        </Field>
        <Field label="Phone" required error={fieldErrors.phone} hint={phoneHint.hint}>
          {({ id, describedBy, invalid }) => (
            <TextInput id={id} name="phone" type="tel" autoComplete="tel" placeholder={phoneHint.placeholder} value={values.phone} onChange={set('phone')} aria-describedby={describedBy} aria-required invalid={invalid} />
          )}
        </Field>
        <Field label="Email" error={fieldErrors.email}>
          {({ id, describedBy, invalid }) => (
            <TextInput id={id} name="email" type="email" autoComplete="email" value={values.email} onChange={set('email')} aria-describedby={describedBy} invalid={invalid} />
          )}
        </Field>
        <Field label="Company" error={fieldErrors.company}>
          {({ id, describedBy, invalid }) => (
            <TextInput id={id} name="company" autoComplete="organization" value={values.company} onChange={set('company')} aria-describedby={describedBy} invalid={invalid} />
          )}
        </Field>
        <Field
          label="Time zone"
          error={fieldErrors.timezone}
          hint={
            lead && lead.timezone_source === 'phone'
              ? `Empty: the phone's, ${lead.timezone}. Quiet hours are read in this zone.`
              : "Empty: the phone's (by area code in North America). Quiet hours are read in this zone."
          }
        >
          {({ id, describedBy, invalid }) => (
            <TextInput id={id} name="timezone" list={zonesId} autoComplete="off" spellCheck={false} placeholder="e.g. America/Chicago" value={values.timezone} onChange={set('timezone')} aria-describedby={describedBy} invalid={invalid} />
          )}
        </Field>
        <datalist id={zonesId}>
          {zones.map((z) => (
            <option key={z} value={z} />
          ))}
        </datalist>
      </div>
      <Field label="Notes" error={fieldErrors.notes}>
        {({ id, describedBy, invalid }) => (
          <TextArea id={id} name="notes" rows={3} value={values.notes} onChange={set('notes')} aria-describedby={describedBy} invalid={invalid} />
        )}
      </Field>

      <fieldset className="space-y-2" data-testid="lead-consent">
        <legend className="text-sm font-medium text-slate-700">Consent</legend>
        <p className="text-xs text-slate-500">
          When and how this person agreed to get your texts, as you recorded it. A campaign that requires consent skips leads without a date.
        </p>
        <div className="grid gap-4 sm:grid-cols-2">
          <Field label="Consent date" error={fieldErrors.consent_at}>
            {({ id, describedBy, invalid }) => (
              <TextInput id={id} name="consent_at" type="date" value={values.consent_at} onChange={set('consent_at')} aria-describedby={describedBy} invalid={invalid} />
            )}
          </Field>
          <Field label="Consent source" error={fieldErrors.consent_source}>
            {({ id, describedBy, invalid }) => (
              <TextInput id={id} name="consent_source" list={sourcesId} autoComplete="off" placeholder="e.g. web_form" value={values.consent_source} onChange={set('consent_source')} aria-describedby={describedBy} invalid={invalid} />
            )}
          </Field>
          <datalist id={sourcesId}>
            {CONSENT_SOURCES.map((c) => (
              <option key={c} value={c} />
            ))}
          </datalist>
        </div>
        <Field label="Consent wording" error={fieldErrors.consent_text}>
          {({ id, describedBy, invalid }) => (
            <TextArea id={id} name="consent_text" rows={2} value={values.consent_text} onChange={set('consent_text')} aria-describedby={describedBy} invalid={invalid} />
          )}
        </Field>
      </fieldset>

      <fieldset className="space-y-2" aria-describedby={`${attrsId}-hint${attrsError ? ` ${attrsId}-error` : ''}`} data-testid="lead-attributes">
        <legend className="text-sm font-medium text-slate-700">Attributes</legend>
        <p id={`${attrsId}-hint`} className="text-xs text-slate-500">
          Custom fields for templates and filters (<code className="font-mono">{'{attributes.city}'}</code>): up to 50, named with
          letters, digits and _.
        </p>
        {attrsError && (
          <p id={`${attrsId}-error`} className="text-xs font-medium text-red-600" data-field-error>
            {attrsError}
          </p>
        )}
        {attrs.length > 0 && (
          <ul className="space-y-2">
            {attrs.map((r, i) => {
              const err = attrErrors[r.id];
              const errId = `${attrsId}-${r.id}-error`;
              const label = r.key.trim() || `attribute ${i + 1}`;
              return (
                <li key={r.id}>
                  <div className="flex items-start gap-2">
                    {ATTR_INPUTS.map(({ part, word, name }) => (
                      <input
                        key={part}
                        aria-label={`Attribute ${i + 1} ${word}`}
                        placeholder={word}
                        value={r[part]}
                        onChange={(e) => setAttr(r.id, part, e.target.value)}
                        aria-invalid={err ? true : undefined}
                        aria-describedby={err ? errId : undefined}
                        data-attr-key={name ? r.id : undefined}
                        autoComplete="off"
                        spellCheck={name ? false : undefined}
                        className={cx(inputClass(!!err), name ? 'min-w-0 flex-1 font-mono' : 'min-w-0 flex-1')}
                      />
                    ))}
                    <Button
                      variant="ghost"
                      className="shrink-0 !px-2"
                      aria-label={`Remove ${label}`}
                      data-attr-remove={r.id}
                      onClick={() => removeAttr(i)}
                    >
                      <svg className="h-4 w-4" viewBox="0 0 20 20" fill="currentColor" aria-hidden="true">
                        <path d="M6.28 5.22a.75.75 0 0 0-1.06 1.06L8.94 10l-3.72 3.72a.75.75 0 1 0 1.06 1.06L10 11.06l3.72 3.72a.75.75 0 1 0 1.06-1.06L11.06 10l3.72-3.72a.75.75 0 0 0-1.06-1.06L10 8.94 6.28 5.22z" />
                      </svg>
                    </Button>
                  </div>
                  {err && (
                    <p id={errId} className="mt-1 text-xs font-medium text-red-600" data-field-error>
                      {err}
                    </p>
                  )}
                </li>
              );
            })}
          </ul>
        )}
        <Button size="sm" onClick={addAttr} data-attr-add>
          Add attribute
        </Button>
      </fieldset>

      <FormActions onCancel={onCancel} submitLabel={lead ? 'Save changes' : 'Create lead'} busy={save.isPending} className="flex-wrap pt-2" />
    </form>
  );
}
