import { useEffect, useId, useRef, useState } from 'react';
import { useMutation, useQuery } from '@tanstack/react-query';
import { api, ApiError, errorMessage, type Campaign, type CampaignLead, type Preview } from '../api';
import { Alert, Button, NotAvailable, Select } from './ui';
import { fmtCost, fmtInt } from '../lib/format';

function PreviewResult({ p, leads }: { p: Preview; leads: CampaignLead[] }) {
  const errors = Array.isArray(p.validation_errors) ? (p.validation_errors as unknown[]).map(String) : [];
  const lead =
    p.lead && typeof p.lead === 'object'
      ? (p.lead as { name?: string; phone?: string })
      : (leads.find((l) => l.lead_id === p.lead_id) ?? null);
  return (
    <div className="space-y-3" data-testid="preview-result">
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
      {p.message ? (
        <p className="max-w-md whitespace-pre-wrap rounded-2xl rounded-bl-sm bg-slate-100 px-4 py-3 text-sm text-slate-900" data-testid="preview-message">
          {p.message}
        </p>
      ) : null}
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
    </div>
  );
}

/** What the writer produces for one sample lead: nothing is sent or changed. */
export default function PreviewPanel({ campaign, autoRun }: { campaign: Campaign; autoRun?: boolean }) {
  const [leadId, setLeadId] = useState<string>('');
  const selectId = useId();
  const leads = useQuery({
    queryKey: ['campaigns', campaign.id, 'leads', { status: '', offset: 0, limit: 50 }],
    queryFn: ({ signal }) => api.listCampaignLeads(campaign.id, { limit: 50 }, signal),
  });
  const preview = useMutation({ mutationFn: (id?: number) => api.previewCampaign(campaign.id, id) });
  const ran = useRef(false);
  const hasLeads = (leads.data?.total ?? 0) > 0;

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
        <div className="min-w-0 flex-1 sm:max-w-xs">
          <label htmlFor={selectId} className="mb-1 block text-sm font-medium text-slate-700">
            Sample lead
          </label>
          <Select id={selectId} value={leadId} onChange={(e) => setLeadId(e.target.value)} disabled={!hasLeads}>
            <option value="">The campaign's first lead</option>
            {leads.data?.items.map((l) => (
              <option key={l.id} value={l.lead_id}>
                {l.name} ({l.phone})
              </option>
            ))}
          </Select>
        </div>
        <Button variant="primary" onClick={() => preview.mutate(leadId ? Number(leadId) : undefined)} busy={preview.isPending} disabled={!hasLeads}>
          {preview.data ? 'Preview again' : 'Preview message'}
        </Button>
      </div>
      {leads.data && !hasLeads && <Alert tone="amber">This campaign has no leads yet: add some to preview a message.</Alert>}
      {preview.error ? <Alert title="Preview failed">{errorMessage(preview.error)}</Alert> : null}
      {preview.isPending && !preview.data && <p className="text-sm text-slate-500" role="status">Writing a message…</p>}
      {preview.data && <PreviewResult p={preview.data} leads={leads.data?.items ?? []} />}
    </div>
  );
}
