import { useEffect, useId, useRef, useState } from 'react';
import { keepPreviousData, useMutation, useQuery } from '@tanstack/react-query';
import { api, ApiError, errorMessage, type Campaign, type CampaignLead, type Lead, type Preview, type WriterPlan } from '../api';
import { Alert, Badge, Button, NotAvailable, TextInput } from './ui';
import { fmtCost, fmtInt, fmtSpoken, plural } from '../lib/format';
import { useDebounced } from '../lib/useDebounced';

/** What the built-in writer understood of the prompt, part by part. */
function PlanView({ plan }: { plan: WriterPlan }) {
  return (
    <details className="rounded-lg border border-slate-200 text-sm" data-testid="writer-plan">
      <summary className="cursor-pointer select-none px-3 py-2 font-medium text-slate-700 hover:bg-slate-50">What the built-in writer understood</summary>
      <dl className="space-y-2 border-t border-slate-100 px-3 py-2">
        <div className="flex flex-wrap gap-x-2">
          <dt className="text-slate-500">From</dt>
          <dd className="font-medium text-slate-800">{plan.sender ?? 'no sender named (set one in Sender)'}</dd>
        </div>
        <div>
          <dt className="text-slate-500">Says</dt>
          <dd>
            <ol className="mt-1 list-decimal space-y-1 pl-5">
              {plan.parts.map((p, i) => (
                <li key={i}>
                  <span className="text-slate-800">{p.text}</span> <span className="text-xs text-slate-500">({p.kind}, from "{p.from}")</span>
                </li>
              ))}
            </ol>
          </dd>
        </div>
        {plan.style.length > 0 && (
          <div>
            <dt className="text-slate-500">Style, not sent</dt>
            <dd className="text-slate-700">{plan.style.join(' · ')}</dd>
          </div>
        )}
        {plan.not_used.length > 0 && (
          <div>
            <dt className="text-slate-500">About the leads, not sent</dt>
            <dd className="text-slate-700">{plan.not_used.join(' · ')}</dd>
          </div>
        )}
        <div className="flex flex-wrap gap-x-2">
          <dt className="text-slate-500">Company</dt>
          <dd className="text-slate-700">mentioned {plan.company}</dd>
        </div>
      </dl>
    </details>
  );
}

/** The words of a text, counted as the server counts them (blanks of any length between). */
function countWords(text: string): number {
  const t = text.trim();
  return t === '' ? 0 : t.split(/\s+/).length;
}

/** "42 words · about 17 s spoken": a call script's length (the server's figures, else counted here at 150 words a minute). */
export function scriptLengthText(p: Pick<Preview, 'message' | 'words' | 'spoken_seconds'>): string {
  const words = typeof p.words === 'number' ? p.words : countWords(p.message ?? '');
  const seconds = typeof p.spoken_seconds === 'number' ? p.spoken_seconds : Math.round((words * 60) / 150);
  return `${plural(words, 'word')} · ${fmtSpoken(seconds)} spoken`;
}

function PreviewResult({ p, leads, sample, voice }: { p: Preview; leads: CampaignLead[]; sample: Lead | null; voice: boolean }) {
  const errors = Array.isArray(p.validation_errors) ? (p.validation_errors as unknown[]).map(String) : [];
  const lead =
    p.lead && typeof p.lead === 'object'
      ? (p.lead as { name?: string; phone?: string })
      : sample && sample.id === p.lead_id
        ? sample
        : (leads.find((l) => l.lead_id === p.lead_id) ?? null);
  const empty = Array.isArray(p.empty_placeholders) ? p.empty_placeholders : [];
  const script = p.kind ? p.kind === 'call_script' : voice;
  return (
    <div className="space-y-3" data-testid="preview-result">
      {p.writer && (
        <p className="flex flex-wrap items-center gap-2 text-xs text-slate-500">
          Written by <Badge tone={p.writer.kind === 'llm' ? 'blue' : 'slate'}>{p.writer.label}</Badge>
        </p>
      )}
      {lead?.name && (
        <p className="text-xs text-slate-500">
          To <span className="font-medium text-slate-700">{lead.name}</span> {lead.phone && <span className="font-mono">{lead.phone}</span>}
        </p>
      )}
      {(errors.length > 0 || p.valid === false) && (
        <Alert tone="amber" title="This lead would be skipped">
          <ul className="list-disc pl-5">
            {errors.map((e, i) => (
              <li key={i}>{e}</li>
            ))}
          </ul>
        </Alert>
      )}
      {p.message && script ? (
        <div className="max-w-xl" data-testid="preview-script">
          <p className="mb-1 text-xs font-medium text-slate-600">What the call says</p>
          <p className="whitespace-pre-wrap rounded-lg border-l-4 border-indigo-300 bg-slate-50 px-4 py-3 text-sm text-slate-900 [overflow-wrap:anywhere]" data-testid="preview-message" data-kind="call_script">
            {p.message}
          </p>
        </div>
      ) : p.message ? (
        <p className="max-w-md whitespace-pre-wrap rounded-2xl rounded-bl-sm bg-slate-100 px-4 py-3 text-sm text-slate-900" data-testid="preview-message">
          {p.message}
        </p>
      ) : null}
      {empty.length > 0 && (
        <Alert tone="amber" title="Empty for this lead">
          {empty.map((e) => `{${e}}`).join(', ')} had no value and no fallback, so it was left out. Give it a fallback like {'{company|your team}'}.
        </Alert>
      )}
      {script ? (
        <dl className="flex flex-wrap gap-x-6 gap-y-1 text-sm">
          <div className="flex gap-1.5">
            <dt className="text-slate-500">Length</dt>
            <dd className="font-medium tabular-nums" data-testid="preview-script-length">
              {scriptLengthText(p)}
            </dd>
          </div>
        </dl>
      ) : (
        <dl className="flex flex-wrap gap-x-6 gap-y-1 text-sm">
          <div className="flex gap-1.5">
            <dt className="text-slate-500">Characters</dt>
            <dd className="font-medium tabular-nums">{fmtInt(typeof p.characters === 'number' ? p.characters : [...(p.message ?? '')].length)}</dd>
          </div>
          <div className="flex gap-1.5">
            <dt className="text-slate-500">Encoding</dt>
            <dd className="font-medium">{p.encoding}</dd>
          </div>
          <div className="flex gap-1.5">
            <dt className="text-slate-500">Segments</dt>
            <dd className="font-medium tabular-nums" data-testid="preview-segments">{p.segments}</dd>
          </div>
          <div className="flex gap-1.5">
            <dt className="text-slate-500">Cost</dt>
            <dd className="font-medium tabular-nums">{fmtCost(p.cost)}</dd>
          </div>
        </dl>
      )}
      {p.call_script && (
        <div className="max-w-xl" data-testid="preview-call-script">
          <p className="mb-1 text-xs font-medium text-slate-600">Then the call says</p>
          <p className="whitespace-pre-wrap rounded-lg border-l-4 border-indigo-300 bg-slate-50 px-4 py-3 text-sm text-slate-900 [overflow-wrap:anywhere]" data-kind="call_script">
            {p.call_script.message}
          </p>
          <p className="mt-1 text-xs text-slate-500" data-testid="preview-call-script-length">
            {scriptLengthText(p.call_script)}
          </p>
          {p.call_script.error && (
            <p className="mt-1 text-xs text-amber-700">The call script could not be written ({p.call_script.error}): the call would say the SMS.</p>
          )}
        </div>
      )}
      {p.plan && <PlanView plan={p.plan} />}
    </div>
  );
}

/** Why the preview could not write a message, with what to do about it. */
function PreviewError({ error, voice }: { error: unknown; voice: boolean }) {
  const refused = error instanceof ApiError && error.status === 422;
  return (
    <Alert title={refused ? (voice ? 'No call script can be written' : 'No message can be written') : 'Preview failed'}>
      <p>{error instanceof ApiError ? error.detail : errorMessage(error)}</p>
      {refused && (
        <ul className="mt-2 list-disc pl-5" data-testid="preview-ways-out">
          {voice ? (
            <li>Say plainly in Call script what the call is about (who you are, what you invite them to, when), or write the script as a template (the fallback's Message template, with {'{first_name}'} and the other placeholders): it is spoken as written.</li>
          ) : (
            <li>Write the message as a template (Message template, with {'{first_name}'} and the other placeholders): it is sent as written.</li>
          )}
          <li>Or configure an AI model (smscamp.openai_api_key, see the README's Configuration) to write from the {voice ? 'call script' : 'instructions'}.</li>
        </ul>
      )}
    </Alert>
  );
}

/** Search all leads for the one to preview the message for (the preview does not need it in the campaign). */
function SampleLeadPicker({ value, onChange, disabled }: { value: Lead | null; onChange: (l: Lead | null) => void; disabled?: boolean }) {
  const id = useId();
  const [q, setQ] = useState('');
  const dq = useDebounced(q, 250);
  const found = useQuery({
    queryKey: ['leads', 'list', { q: dq, offset: 0, limit: 8 }],
    queryFn: ({ signal }) => api.listLeads({ q: dq, limit: 8 }, signal),
    enabled: dq.trim() !== '',
    placeholderData: keepPreviousData,
  });
  return (
    <div className="min-w-0 flex-1 sm:max-w-sm">
      <label htmlFor={id} className="mb-1 block text-sm font-medium text-slate-700">
        Sample lead
      </label>
      {value ? (
        <p className="flex items-center gap-2 text-sm">
          <span className="font-medium text-slate-800">{value.name}</span> <span className="font-mono text-xs text-slate-500">{value.phone}</span>
          <button type="button" className="text-xs font-medium text-indigo-600 hover:underline" onClick={() => onChange(null)}>
            Change
          </button>
        </p>
      ) : (
        <>
          <TextInput id={id} type="search" value={q} onChange={(e) => setQ(e.target.value)} disabled={disabled} placeholder="The campaign's first lead, or search any lead" autoComplete="off" />
          {dq.trim() !== '' && found.data && (
            <ul className="mt-1 max-h-48 overflow-y-auto rounded-lg border border-slate-200 bg-white text-sm shadow-sm" aria-label="Matching leads" data-testid="sample-lead-results">
              {found.data.items.length === 0 && <li className="px-3 py-2 text-slate-500">No lead matches.</li>}
              {found.data.items.map((l) => (
                <li key={l.id}>
                  <button type="button" className="flex w-full items-center justify-between gap-3 px-3 py-2 text-left hover:bg-slate-50" onClick={() => { onChange(l); setQ(''); }}>
                    <span className="font-medium text-slate-800">{l.name}</span>
                    <span className="font-mono text-xs text-slate-500">{l.phone}</span>
                  </button>
                </li>
              ))}
              {found.data.total > found.data.items.length && <li className="px-3 py-1.5 text-xs text-slate-500">{fmtInt(found.data.total)} match; type more to narrow down.</li>}
            </ul>
          )}
        </>
      )}
    </div>
  );
}

/** What the writer produces for one sample lead: nothing is sent or changed. */
export default function PreviewPanel({ campaign, autoRun }: { campaign: Campaign; autoRun?: boolean }) {
  const [sample, setSample] = useState<Lead | null>(null);
  const leads = useQuery({
    queryKey: ['campaigns', campaign.id, 'leads', { status: '', offset: 0, limit: 50 }],
    queryFn: ({ signal }) => api.listCampaignLeads(campaign.id, { limit: 50 }, signal),
  });
  const preview = useMutation({ mutationFn: (id?: number) => api.previewCampaign(campaign.id, id) });
  const ran = useRef(false);
  const hasLeads = (leads.data?.total ?? 0) > 0;
  const voice = campaign.agent_type === 'voice';

  useEffect(() => {
    if (autoRun && !ran.current && hasLeads) {
      ran.current = true;
      preview.mutate(undefined);
    }
  }, [autoRun, hasLeads]); // eslint-disable-line react-hooks/exhaustive-deps

  if (preview.error instanceof ApiError && preview.error.notAvailable) {
    return <NotAvailable feature="Message preview" path={`/api/campaigns/${campaign.id}/preview`} />;
  }

  return (
    <div className="space-y-4 p-4 sm:p-5">
      <div className="flex flex-wrap items-end gap-3">
        <SampleLeadPicker value={sample} onChange={setSample} />
        <Button variant="primary" onClick={() => preview.mutate(sample?.id)} busy={preview.isPending} disabled={!hasLeads && !sample}>
          {preview.data ? 'Preview again' : voice ? 'Preview call script' : 'Preview message'}
        </Button>
      </div>
      {leads.data && !hasLeads && !sample && <Alert tone="amber">This campaign has no leads yet: add some, or search a lead above, to preview {voice ? 'a call script' : 'a message'}.</Alert>}
      {preview.error ? <PreviewError error={preview.error} voice={voice} /> : null}
      {preview.isPending && !preview.data && <p className="text-sm text-slate-500" role="status">{voice ? 'Writing a call script…' : 'Writing a message…'}</p>}
      {preview.data && !preview.error && <PreviewResult p={preview.data} leads={leads.data?.items ?? []} sample={sample} voice={voice} />}
    </div>
  );
}
