import { useEffect, useId, useState } from 'react';
import { keepPreviousData, useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useSearchParams } from 'react-router';
import { api, type Lead } from '../api';
import {
  Badge,
  Button,
  Card,
  ConfirmDialog,
  EmptyState,
  ErrorState,
  LoadingState,
  Modal,
  PageHeader,
  Pagination,
  TextInput,
} from '../components/ui';
import LeadForm from '../components/LeadForm';
import ImportLeads from '../components/ImportLeads';
import { useToast } from '../components/toast';
import { useDebounced } from '../lib/useDebounced';
import { fmtDateTime, fmtInt } from '../lib/format';

const PAGE_SIZE = 25;

export function OptOutBadge({ lead }: { lead: Lead }) {
  if (lead.opted_out === undefined || lead.opted_out === null) {
    if (lead.opted_out_at) return <Badge tone="red">Opted out</Badge>;
    return (
      <span className="text-xs text-slate-500" title="This server does not report opt-outs yet">
        —
      </span>
    );
  }
  return lead.opted_out ? (
    <Badge tone="red" title={lead.opted_out_at ? `Opted out ${fmtDateTime(lead.opted_out_at)}` : 'Replied STOP; never messaged'}>
      Opted out
    </Badge>
  ) : (
    <Badge tone="green">Subscribed</Badge>
  );
}

export default function LeadsPage() {
  const [params, setParams] = useSearchParams();
  const q = params.get('q') ?? '';
  const offset = Math.max(0, Number(params.get('offset') ?? 0) || 0);
  const [search, setSearch] = useState(q);
  const debounced = useDebounced(search, 300);
  const searchId = useId();
  const qc = useQueryClient();
  const toast = useToast();

  const [editing, setEditing] = useState<Lead | 'new' | null>(null);
  const [deleting, setDeleting] = useState<Lead | null>(null);
  const [importing, setImporting] = useState(false);

  // keep the URL in step with the search box (debounced), back to page 1 on a new search
  useEffect(() => {
    if (debounced === q) return;
    const next = new URLSearchParams(params);
    if (debounced) next.set('q', debounced);
    else next.delete('q');
    next.delete('offset');
    setParams(next, { replace: true });
  }, [debounced]); // eslint-disable-line react-hooks/exhaustive-deps

  const setOffset = (o: number) => {
    const next = new URLSearchParams(params);
    if (o > 0) next.set('offset', String(o));
    else next.delete('offset');
    setParams(next);
  };

  const leads = useQuery({
    queryKey: ['leads', 'list', { q, offset }],
    queryFn: ({ signal }) => api.listLeads({ q: q || undefined, limit: PAGE_SIZE, offset }, signal),
    placeholderData: keepPreviousData,
  });

  const del = useMutation({
    mutationFn: (id: number) => api.deleteLead(id),
    onSuccess: () => {
      toast(`Deleted ${deleting?.name ?? 'lead'}`);
      setDeleting(null);
      void qc.invalidateQueries({ queryKey: ['leads'] });
      void qc.invalidateQueries({ queryKey: ['dashboard'] });
    },
  });

  const data = leads.data;
  return (
    <>
      <PageHeader
        title="Leads"
        description={data ? `${fmtInt(data.total)} ${q ? 'matching' : 'in total'}` : 'The people your campaigns write to'}
        actions={
          <>
            <Button onClick={() => setImporting(true)}>Import CSV</Button>
            <Button variant="primary" onClick={() => setEditing('new')}>
              New lead
            </Button>
          </>
        }
      />

      <Card>
        <div className="flex flex-wrap items-center gap-3 border-b border-slate-100 px-4 py-3 sm:px-5">
          <label htmlFor={searchId} className="sr-only">
            Search leads
          </label>
          <div className="relative w-full sm:max-w-sm">
            <svg className="pointer-events-none absolute left-3 top-1/2 h-4 w-4 -translate-y-1/2 text-slate-500" viewBox="0 0 20 20" fill="currentColor" aria-hidden="true">
              <path fillRule="evenodd" d="M9 3.5a5.5 5.5 0 1 0 3.4 9.83l3.63 3.64a.75.75 0 1 0 1.06-1.06l-3.63-3.64A5.5 5.5 0 0 0 9 3.5zM5 9a4 4 0 1 1 8 0 4 4 0 0 1-8 0z" clipRule="evenodd" />
            </svg>
            <TextInput
              id={searchId}
              type="search"
              placeholder="Search name, phone, email, company"
              value={search}
              onChange={(e) => setSearch(e.target.value)}
              className="pl-9"
            />
          </div>
          {leads.isFetching && !leads.isLoading && <span className="text-xs text-slate-500" role="status">Updating…</span>}
        </div>

        {leads.isLoading ? (
          <LoadingState label="Loading leads…" />
        ) : leads.error ? (
          <ErrorState error={leads.error} onRetry={() => void leads.refetch()} feature="Leads" path="/api/leads" />
        ) : data && data.items.length === 0 ? (
          q ? (
            <EmptyState title={`No leads match “${q}”`} action={<Button size="sm" onClick={() => setSearch('')}>Clear search</Button>} />
          ) : (
            <EmptyState
              title="No leads yet"
              action={
                <div className="flex gap-2">
                  <Button size="sm" onClick={() => setImporting(true)}>
                    Import CSV
                  </Button>
                  <Button size="sm" variant="primary" onClick={() => setEditing('new')}>
                    Add a lead
                  </Button>
                </div>
              }
            >
              Add leads one by one or import a CSV file with thousands at once.
            </EmptyState>
          )
        ) : data ? (
          <>
            <div className="overflow-x-auto">
              <table className="min-w-full text-left text-sm" data-testid="leads-table">
                <caption className="sr-only">Leads</caption>
                <thead className="bg-slate-50 text-xs uppercase tracking-wide text-slate-500">
                  <tr>
                    <th scope="col" className="px-4 py-2.5 font-medium sm:px-5">Name</th>
                    <th scope="col" className="hidden px-4 py-2.5 font-medium sm:table-cell">Phone</th>
                    <th scope="col" className="hidden px-4 py-2.5 font-medium md:table-cell">Email</th>
                    <th scope="col" className="hidden px-4 py-2.5 font-medium lg:table-cell">Company</th>
                    <th scope="col" className="px-4 py-2.5 font-medium">SMS</th>
                    <th scope="col" className="hidden px-4 py-2.5 font-medium xl:table-cell">Added</th>
                    <th scope="col" className="px-4 py-2.5 text-right font-medium sm:px-5">
                      <span className="sr-only">Actions</span>
                    </th>
                  </tr>
                </thead>
                <tbody className="divide-y divide-slate-100">
                  {data.items.map((l) => (
                    <tr key={l.id} className="hover:bg-slate-50/60">
                      <td className="px-4 py-3 sm:px-5">
                        <div className="max-w-[14rem] font-medium text-slate-900 [overflow-wrap:anywhere] sm:max-w-xs">{l.name}</div>
                        <div className="text-xs tabular-nums text-slate-500 sm:hidden">{l.phone}</div>
                        {l.notes && <div className="max-w-xs truncate text-xs text-slate-500" title={l.notes}>{l.notes}</div>}
                      </td>
                      <td className="hidden whitespace-nowrap px-4 py-3 font-mono text-xs tabular-nums text-slate-700 sm:table-cell">{l.phone}</td>
                      <td className="hidden max-w-[16rem] px-4 py-3 text-slate-600 [overflow-wrap:anywhere] md:table-cell">{l.email ?? <span className="text-slate-500">—</span>}</td>
                      <td className="hidden max-w-[16rem] px-4 py-3 text-slate-600 [overflow-wrap:anywhere] lg:table-cell">{l.company ?? <span className="text-slate-500">—</span>}</td>
                      <td className="px-4 py-3">
                        <OptOutBadge lead={l} />
                      </td>
                      <td className="hidden whitespace-nowrap px-4 py-3 text-xs text-slate-500 xl:table-cell">{fmtDateTime(l.created_at)}</td>
                      <td className="whitespace-nowrap px-4 py-3 text-right sm:px-5">
                        <div className="inline-flex gap-1">
                          <Button size="sm" variant="ghost" onClick={() => setEditing(l)} aria-label={`Edit ${l.name}`}>
                            Edit
                          </Button>
                          <Button size="sm" variant="ghost" className="!text-red-600 hover:!bg-red-50" onClick={() => { del.reset(); setDeleting(l); }} aria-label={`Delete ${l.name}`}>
                            Delete
                          </Button>
                        </div>
                      </td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
            <Pagination total={data.total} limit={PAGE_SIZE} offset={offset} onChange={setOffset} label="leads" />
          </>
        ) : null}
      </Card>

      {editing && (
        <Modal title={editing === 'new' ? 'New lead' : `Edit ${editing.name}`} onClose={() => setEditing(null)} size="lg">
          <LeadForm
            lead={editing === 'new' ? null : editing}
            onCancel={() => setEditing(null)}
            onSaved={(l) => {
              toast(editing === 'new' ? `Created lead ${l.name}` : `Saved ${l.name}`);
              setEditing(null);
              void qc.invalidateQueries({ queryKey: ['leads'] });
              void qc.invalidateQueries({ queryKey: ['dashboard'] });
            }}
          />
        </Modal>
      )}

      {importing && (
        <Modal title="Import leads from CSV" onClose={() => setImporting(false)} size="lg">
          <ImportLeads
            onClose={() => setImporting(false)}
            onImported={(r) => {
              toast(`Imported: ${fmtInt(r.inserted)} new, ${fmtInt(r.updated)} updated, ${fmtInt(r.rejected.length)} rejected`, r.rejected.length ? 'info' : 'success');
              void qc.invalidateQueries({ queryKey: ['leads'] });
              void qc.invalidateQueries({ queryKey: ['dashboard'] });
            }}
          />
        </Modal>
      )}

      {deleting && (
        <ConfirmDialog
          title={`Delete ${deleting.name}?`}
          confirmLabel="Delete lead"
          onConfirm={() => del.mutate(deleting.id)}
          onClose={() => setDeleting(null)}
          busy={del.isPending}
          error={del.error}
        >
          <p>
            {deleting.name} ({deleting.phone}) will be removed, together with their messages in every campaign. This can't be undone.
          </p>
        </ConfirmDialog>
      )}
    </>
  );
}
