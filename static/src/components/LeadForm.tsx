import { useEffect, useRef, useState, type FormEvent } from 'react';
import { useMutation } from '@tanstack/react-query';
import { api, ApiError, errorMessage, type Lead, type LeadInput } from '../api';
import { Alert, Button, Field, TextArea, TextInput } from './ui';

const FIELDS = ['name', 'phone', 'email', 'company', 'notes'] as const;
type FieldName = (typeof FIELDS)[number];
type Values = Record<FieldName, string>;

function initial(lead?: Lead | null): Values {
  return {
    name: lead?.name ?? '',
    phone: lead?.phone ?? '',
    email: lead?.email ?? '',
    company: lead?.company ?? '',
    notes: lead?.notes ?? '',
  };
}

function toInput(v: Values, lead?: Lead | null): LeadInput {
  const opt = (s: string) => (s.trim() === '' ? null : s.trim());
  const out: LeadInput = {
    name: v.name.trim(),
    phone: v.phone.trim(),
    email: opt(v.email),
    company: opt(v.company),
    notes: v.notes.trim() === '' ? null : v.notes,
  };
  if (!lead) {
    // a new lead: leave out empty optional fields rather than sending nulls
    for (const k of ['email', 'company', 'notes'] as const) if (out[k] === null) delete out[k];
  }
  return out;
}

/**
 * Create or edit a lead. Validation is the server's: its 422 `detail[].loc` messages appear
 * under the matching field, anything else (409 duplicate phone, 503, …) above the form.
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
  const [fieldErrors, setFieldErrors] = useState<Partial<Record<FieldName, string>>>({});
  const [formError, setFormError] = useState<string | null>(null);
  const formRef = useRef<HTMLFormElement>(null);

  const save = useMutation({
    mutationFn: (input: LeadInput) => (lead ? api.updateLead(lead.id, input) : api.createLead(input)),
    onSuccess: (saved) => onSaved(saved),
    onError: (e) => {
      const fe: Partial<Record<FieldName, string>> = {};
      let general: string | null = null;
      if (e instanceof ApiError) {
        const unknown: string[] = [];
        for (const [k, msg] of Object.entries(e.fieldErrors)) {
          if ((FIELDS as readonly string[]).includes(k)) fe[k as FieldName] = msg;
          else unknown.push(`${k}: ${msg}`);
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
      setFormError(general);
    },
  });

  // After a failed save, move focus to the first field with a problem.
  useEffect(() => {
    const first = FIELDS.find((f) => fieldErrors[f]);
    if (first) formRef.current?.querySelector<HTMLElement>(`[name="${first}"]`)?.focus();
  }, [fieldErrors]);

  const set = (k: FieldName) => (e: { target: { value: string } }) => {
    setValues((v) => ({ ...v, [k]: e.target.value }));
    if (fieldErrors[k]) setFieldErrors((fe) => ({ ...fe, [k]: undefined }));
  };

  const submit = (e: FormEvent) => {
    e.preventDefault();
    setFormError(null);
    save.mutate(toInput(values, lead));
  };

  return (
    <form ref={formRef} onSubmit={submit} noValidate className="space-y-4" aria-label={lead ? 'Edit lead' : 'New lead'}>
      {formError && <Alert>{formError}</Alert>}
      <div className="grid gap-4 sm:grid-cols-2">
        <Field label="Name" required error={fieldErrors.name}>
          {({ id, describedBy, invalid }) => (
            <TextInput id={id} name="name" autoComplete="name" value={values.name} onChange={set('name')} aria-describedby={describedBy} aria-required invalid={invalid} data-autofocus />
          )}
        </Field>
        <Field label="Phone" required error={fieldErrors.phone} hint="With country code, e.g. +1 415 555 0123">
          {({ id, describedBy, invalid }) => (
            <TextInput id={id} name="phone" type="tel" autoComplete="tel" value={values.phone} onChange={set('phone')} aria-describedby={describedBy} aria-required invalid={invalid} />
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
      </div>
      <Field label="Notes" error={fieldErrors.notes}>
        {({ id, describedBy, invalid }) => (
          <TextArea id={id} name="notes" rows={3} value={values.notes} onChange={set('notes')} aria-describedby={describedBy} invalid={invalid} />
        )}
      </Field>
      <div className="flex flex-wrap justify-end gap-2 pt-2">
        <Button onClick={onCancel}>Cancel</Button>
        <Button type="submit" variant="primary" busy={save.isPending}>
          {lead ? 'Save changes' : 'Create lead'}
        </Button>
      </div>
    </form>
  );
}
