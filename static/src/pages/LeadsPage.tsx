import { useEffect, useId, useRef, useState } from 'react';
import { keepPreviousData, useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { Link } from 'react-router';
import { api, errorMessage, LEAD_SORTS, num, type BulkAction, type BulkResult, type Campaign, type Lead, type LeadSort, type LeadSortKey } from '../api';
import {
  Alert,
  Badge,
  Button,
  Card,
  ConfirmDialog,
  EmailAddress,
  EmptyState,
  ErrorState,
  LoadingState,
  Modal,
  PageHeader,
  PhoneStatusBadge,
  cx,
} from '../components/ui';
import { DataTable, FilterBar, FilterChips, PagedList, SearchField, Th } from '../components/list';
import LeadForm from '../components/LeadForm';
import { Thread } from '../components/thread';
import ImportLeads from '../components/ImportLeads';
import { useToast } from '../components/toast';
import { useListParams } from '../lib/useListParams';
import { fmtDateTime, fmtInt, fmtTotal, plural } from '../lib/format';

const PAGE_SIZE = 25;
/** The time now in an IANA zone ("14:05"), '' when the browser does not know the zone. */
function localTime(zone: string): string {
  try {
    return new Intl.DateTimeFormat(undefined, { hour: '2-digit', minute: '2-digit', timeZone: zone }).format(new Date());
  } catch {
    return '';
  }
}

/** The opted-out filter (?opted_out=, the API's opted_out): every lead, only the others, only those on the suppression list. */
export const OPTED_OUT_FILTERS = [
  { value: '', label: 'All leads' },
  { value: 'false', label: 'Subscribed' },
  { value: 'true', label: 'Opted out' },
] as const;

/** The ?opted_out= of the URL: 'true', 'false', or '' (no filter) for anything else. */
export function parseOptedOut(v: string | null): '' | 'true' | 'false' {
  return v === 'true' || v === 'false' ? v : '';
}

const SORT_LABELS: Record<LeadSortKey, string> = { id: 'id', name: 'name', created_at: 'date added', company: 'company', phone: 'phone' };

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
    <Badge
      tone="red"
      title={
        lead.opted_out_at
          ? `Opted out ${fmtDateTime(lead.opted_out_at)}${lead.opt_out_source === 'manual' ? ' (by hand)' : lead.opt_out_source === 'sms' ? ' (replied STOP)' : ''}`
          : 'On the suppression list: never messaged'
      }
    >
      Opted out
    </Badge>
  ) : (
    <Badge tone="green">Subscribed</Badge>
  );
}

/** The ?sort= of the URL, or the default (id) for anything the API would refuse. */
export function parseSort(v: string | null): LeadSort {
  if (!v) return 'id';
  const key = v.startsWith('-') ? v.slice(1) : v;
  return (LEAD_SORTS as readonly string[]).includes(key) ? (v as LeadSort) : 'id';
}

/** The order after pressing a column's header: ascending, then descending, then the default again. */
export function nextSort(current: LeadSort, key: LeadSortKey): LeadSort {
  if (current === key) return `-${key}`;
  if (current === `-${key}`) return 'id';
  return key;
}

function SortHeader({
  label,
  sortKey,
  sort,
  onSort,
  className,
}: {
  label: string;
  sortKey: LeadSortKey;
  sort: LeadSort;
  onSort: (s: LeadSort) => void;
  className?: string;
}) {
  const dir = sort === sortKey ? 'ascending' : sort === `-${sortKey}` ? 'descending' : 'none';
  const next = dir === 'none' ? 'sort ascending' : dir === 'ascending' ? 'sort descending' : 'remove sorting';
  return (
    <Th aria-sort={dir} className={className}>
      <button
        type="button"
        onClick={() => onSort(nextSort(sort, sortKey))}
        className={cx(
          '-mx-1 inline-flex items-center gap-1 rounded px-1 py-0.5 font-medium uppercase tracking-wide hover:text-slate-900',
          'focus-visible:outline-2 focus-visible:outline-offset-1 focus-visible:outline-indigo-500',
          dir !== 'none' && 'text-slate-900',
        )}
      >
        {label}
        <svg className="h-3.5 w-3.5" viewBox="0 0 20 20" fill="currentColor" aria-hidden="true">
          {dir === 'ascending' ? (
            <path d="M10 5l5 6H5l5-6z" />
          ) : dir === 'descending' ? (
            <path d="M10 15l-5-6h10l-5 6z" />
          ) : (
            <path d="M10 3l4 5H6l4-5zm0 14l-4-5h8l-4 5z" opacity="0.45" />
          )}
        </svg>
        <span className="sr-only">, {next}</span>
      </button>
    </Th>
  );
}

function PageCheckbox({ leads, selected, onChange }: { leads: Lead[]; selected: Map<number, Lead>; onChange: (all: boolean) => void }) {
  const ref = useRef<HTMLInputElement>(null);
  const n = leads.filter((l) => selected.has(l.id)).length;
  const all = n > 0 && n === leads.length;
  useEffect(() => {
    if (ref.current) ref.current.indeterminate = n > 0 && !all;
  });
  return (
    <input
      ref={ref}
      type="checkbox"
      checked={all}
      onChange={() => onChange(!all)}
      aria-label="Select all on this page"
      className="h-4 w-4 cursor-pointer rounded border-slate-300 accent-indigo-600"
    />
  );
}

function bulkMessage(r: BulkResult): string {
  const gone = r.unknown_ids.length ? `; ${plural(r.unknown_ids.length, 'lead was', 'leads were')} already gone` : '';
  if (r.action === 'delete') return `Deleted ${plural(r.changed, 'lead')}${gone}`;
  const already = r.matched - r.changed;
  return `Opted out ${plural(r.changed, 'lead')}${already > 0 ? ` (${plural(already, 'was', 'were')} already)` : ''}${gone}`;
}

/** Pick a draft campaign and add the selected leads to it (POST /api/campaigns/{id}/leads). */
function AddToCampaignDialog({
  leads,
  onClose,
  onAdded,
}: {
  leads: Lead[];
  onClose: () => void;
  onAdded: (campaign: Campaign, added: number, duplicates: number) => void;
}) {
  const formId = useId();
  const radioName = useId();
  const [choice, setChoice] = useState<number | null>(null);
  const drafts = useQuery({
    queryKey: ['campaigns', 'list', { status: 'draft', limit: 100 }],
    queryFn: ({ signal }) => api.listCampaigns({ status: 'draft', limit: 100 }, signal),
  });
  const add = useMutation({
    mutationFn: (c: Campaign) => api.addCampaignLeads(c.id, { lead_ids: leads.map((l) => l.id) }),
    onSuccess: (r, c) => onAdded(c, num(r.added as number), num(r.duplicates as number)),
  });
  const items = drafts.data?.items ?? [];
  const optedOut = leads.filter((l) => l.opted_out).length;
  return (
    <Modal
      title={`Add ${plural(leads.length, 'lead')} to a campaign`}
      onClose={onClose}
      size="md"
      footer={
        <>
          <Button onClick={onClose}>Cancel</Button>
          <Button type="submit" form={formId} variant="primary" busy={add.isPending} disabled={choice === null}>
            Add to campaign
          </Button>
        </>
      }
    >
      {drafts.isLoading ? (
        <LoadingState label="Loading draft campaigns…" />
      ) : drafts.error ? (
        <ErrorState error={drafts.error} onRetry={() => void drafts.refetch()} />
      ) : items.length === 0 ? (
        <EmptyState title="No draft campaigns" action={<Link to="/campaigns/new" className="text-sm font-medium text-indigo-700 hover:underline">Create a campaign</Link>}>
          Leads can be added to a campaign only while it is a draft.
        </EmptyState>
      ) : (
        <form
          id={formId}
          className="space-y-3"
          onSubmit={(e) => {
            e.preventDefault();
            const c = items.find((x) => x.id === choice);
            if (c) add.mutate(c);
          }}
        >
          <fieldset>
            <legend className="text-sm font-medium text-slate-700">Draft campaign</legend>
            <p className="mt-0.5 text-xs text-slate-500">Leads already in the campaign stay as they are.</p>
            <ul className="mt-2 max-h-72 space-y-1.5 overflow-y-auto p-0.5" data-testid="draft-campaigns">
              {items.map((c) => (
                <li key={c.id}>
                  <label
                    className={cx(
                      'flex cursor-pointer items-center gap-3 rounded-lg px-3 py-2 ring-1 ring-inset',
                      choice === c.id ? 'bg-indigo-50 ring-indigo-500' : 'ring-slate-200 hover:bg-slate-50',
                    )}
                  >
                    <input
                      type="radio"
                      name={radioName}
                      value={c.id}
                      checked={choice === c.id}
                      onChange={() => setChoice(c.id)}
                      className="h-4 w-4 accent-indigo-600"
                    />
                    <span className="min-w-0 flex-1 text-sm font-medium text-slate-900 [overflow-wrap:anywhere]">{c.name}</span>
                    <span className="whitespace-nowrap text-xs text-slate-500">
                      {plural(num(c.stats?.total_leads ?? c.stats?.total), 'lead')}
                    </span>
                  </label>
                </li>
              ))}
            </ul>
          </fieldset>
          {optedOut > 0 && (
            <Alert tone="amber">
              {plural(optedOut, 'selected lead has', 'selected leads have')} opted out: the campaign will skip {optedOut === 1 ? 'it' : 'them'}.
            </Alert>
          )}
          {add.error ? <Alert>{errorMessage(add.error)}</Alert> : null}
        </form>
      )}
    </Modal>
  );
}

export default function LeadsPage() {
  const { params, q, offset, search, setSearch, update, keyset } = useListParams();
  const sort = parseSort(params.get('sort'));
  // the default order pages by keyset (?after=: every page costs the same, however deep); the
  // other orders by offset
  const byKeyset = sort === 'id';
  const after = byKeyset && /^\d+$/.test(keyset.after) ? Number(keyset.after) : undefined;
  const optedOut = parseOptedOut(params.get('opted_out'));
  const qc = useQueryClient();
  const toast = useToast();

  const [editing, setEditing] = useState<Lead | 'new' | null>(null);
  const [messaging, setMessaging] = useState<Lead | null>(null);
  const [deleting, setDeleting] = useState<Lead | null>(null);
  const [importing, setImporting] = useState(false);
  // the selected leads (kept across pages); a new search, order or filter starts over
  const [selected, setSelected] = useState<Map<number, Lead>>(() => new Map());
  const [bulkDialog, setBulkDialog] = useState<BulkAction | 'campaign' | null>(null);
  useEffect(() => setSelected(new Map()), [q, sort, optedOut]);

  // the server's settings (its default country, for the lead form's phone example)
  useQuery({ queryKey: ['settings'], queryFn: ({ signal }) => api.settings(signal), staleTime: 60_000, retry: false });

  // pages and orders are history entries (Back returns to them)
  const setOffset = (o: number) => update({ offset: o > 0 ? String(o) : null }, { push: true });
  const setSort = (s: LeadSort) => update({ sort: s === 'id' ? null : s, offset: null, after: null }, { push: true });
  const setOptedOut = (v: string) => update({ opted_out: v || null, offset: null, after: null }, { push: true });

  const leads = useQuery({
    queryKey: ['leads', 'list', { q, offset: byKeyset ? 0 : offset, after, sort, optedOut }],
    queryFn: ({ signal }) =>
      api.listLeads(
        {
          q: q || undefined,
          limit: PAGE_SIZE,
          ...(byKeyset ? { after } : { offset }),
          sort: sort === 'id' ? undefined : sort,
          opted_out: optedOut === '' ? undefined : optedOut === 'true',
        },
        signal,
      ),
    placeholderData: keepPreviousData,
  });

  const refresh = () => {
    void qc.invalidateQueries({ queryKey: ['leads'] });
    void qc.invalidateQueries({ queryKey: ['dashboard'] });
  };

  const del = useMutation({
    mutationFn: (id: number) => api.deleteLead(id),
    onSuccess: (_r, id) => {
      toast(`Deleted ${deleting?.name ?? 'lead'}`);
      setDeleting(null);
      setSelected((s) => {
        if (!s.has(id)) return s;
        const n = new Map(s);
        n.delete(id);
        return n;
      });
      refresh();
    },
  });

  const bulk = useMutation({
    mutationFn: (action: BulkAction) => api.bulkLeads(action, [...selected.keys()]),
    onSuccess: (r) => {
      toast(bulkMessage(r));
      setBulkDialog(null);
      setSelected(new Map());
      refresh();
    },
  });

  const data = leads.data;
  // a page emptied by deleting its leads: show the last page that has some
  useEffect(() => {
    if (!data || data.items.length > 0 || data.total === 0) return;
    if (byKeyset && keyset.hasPrevious) keyset.previous({ replace: true });
    else if (!byKeyset && offset > 0) setOffset(Math.max(0, Math.floor((data.total - 1) / PAGE_SIZE) * PAGE_SIZE));
  }, [data]); // eslint-disable-line react-hooks/exhaustive-deps

  const toggle = (l: Lead) =>
    setSelected((s) => {
      const n = new Map(s);
      if (n.has(l.id)) n.delete(l.id);
      else n.set(l.id, l);
      return n;
    });
  const togglePage = (items: Lead[], on: boolean) =>
    setSelected((s) => {
      const n = new Map(s);
      for (const l of items) {
        if (on) n.set(l.id, l);
        else n.delete(l.id);
      }
      return n;
    });

  const openBulk = (d: BulkAction | 'campaign') => {
    bulk.reset();
    setBulkDialog(d);
  };
  const chosen = [...selected.values()];
  const names = chosen.slice(0, 5).map((l) => l.name).join(', ') + (chosen.length > 5 ? ` and ${fmtInt(chosen.length - 5)} more` : '');

  return (
    <>
      <PageHeader
        title="Leads"
        description={data ? `${fmtTotal(data.total, data.total_is_estimate)} ${q || optedOut ? 'matching' : 'in total'}` : 'The people your campaigns write to'}
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
        <FilterBar className="flex flex-wrap items-center gap-3">
          <SearchField label="Search leads" placeholder="Search name, phone, email, company" value={search} onChange={setSearch} icon className="sm:max-w-sm" />
          <FilterChips label="Opted out" value={optedOut} options={OPTED_OUT_FILTERS} onChange={setOptedOut} />
          {leads.isFetching && !leads.isLoading && <span className="text-xs text-slate-500" role="status">Updating…</span>}
        </FilterBar>
        <p className="sr-only" aria-live="polite">
          {selected.size > 0 ? `${plural(selected.size, 'lead')} selected` : ''}
        </p>

        <PagedList
          query={leads}
          feature="Leads"
          path="/api/leads"
          paging={{ limit: PAGE_SIZE, offset, onOffset: setOffset }}
          keyset={byKeyset ? keyset : undefined}
          label="leads"
          empty={
            optedOut && !q ? (
              <EmptyState
                title={optedOut === 'true' ? 'No lead has opted out' : 'Every lead has opted out'}
                action={<Button size="sm" onClick={() => setOptedOut('')}>Show all leads</Button>}
              />
            ) : q ? (
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
          }
        >
          {(page) => (
            <>
              <DataTable
                testId="leads-table"
                caption={`Leads${sort !== 'id' ? `, sorted by ${SORT_LABELS[sort.replace(/^-/, '') as LeadSortKey]}${sort.startsWith('-') ? ', descending' : ''}` : ''}`}
                head={
                  <>
                    <th scope="col" className="w-8 py-2.5 pl-3 pr-1 sm:pl-5">
                      <PageCheckbox leads={page.items} selected={selected} onChange={(on) => togglePage(page.items, on)} />
                    </th>
                    <SortHeader label="Name" sortKey="name" sort={sort} onSort={setSort} className="px-2 sm:px-4" />
                    <SortHeader label="Phone" sortKey="phone" sort={sort} onSort={setSort} className="hidden px-4 sm:table-cell" />
                    <Th className="hidden px-4 md:table-cell">Email</Th>
                    <SortHeader label="Company" sortKey="company" sort={sort} onSort={setSort} className="hidden px-4 lg:table-cell" />
                    <Th className="px-2 sm:px-4">SMS</Th>
                    <SortHeader label="Added" sortKey="created_at" sort={sort} onSort={setSort} className="hidden px-4 xl:table-cell" />
                    <Th className="pl-1 pr-3 text-right sm:px-5" srOnly>
                      Actions
                    </Th>
                  </>
                }
              >
                {page.items.map((l) => {
                  const isSelected = selected.has(l.id);
                  return (
                    <tr
                      key={l.id}
                      className={cx('hover:bg-slate-50/60', isSelected && 'shadow-[inset_3px_0_0_0_var(--color-indigo-500)]')}
                    >
                      <td className="w-8 py-3 pl-3 pr-1 align-top sm:pl-5">
                        <input
                          type="checkbox"
                          checked={isSelected}
                          onChange={() => toggle(l)}
                          aria-label={`Select ${l.name}`}
                          className="mt-0.5 h-4 w-4 cursor-pointer rounded border-slate-300 accent-indigo-600"
                        />
                      </td>
                      <td className="px-2 py-3 sm:px-4">
                        <div className="max-w-[14rem] font-medium text-slate-900 [overflow-wrap:anywhere] sm:max-w-xs">{l.name}</div>
                        <div className="text-xs tabular-nums text-slate-500 sm:hidden">
                          {l.phone}
                          {l.phone_status && (
                            <span className="ml-1.5 align-middle">
                              <PhoneStatusBadge status={l.phone_status} at={l.phone_status_at} />
                            </span>
                          )}
                        </div>
                        {l.notes && <div className="max-w-[10rem] truncate text-xs text-slate-500 sm:max-w-xs" title={l.notes}>{l.notes}</div>}
                      </td>
                      <td className="hidden whitespace-nowrap px-4 py-3 font-mono text-xs tabular-nums text-slate-700 sm:table-cell">
                        {l.phone}
                        {l.phone_status && (
                          <span className="ml-2 align-middle font-sans">
                            <PhoneStatusBadge status={l.phone_status} at={l.phone_status_at} />
                          </span>
                        )}
                        {l.timezone && (
                          <div className="font-sans text-xs text-slate-500" data-lead-timezone title={l.timezone_source === 'lead' ? 'Time zone set on the lead' : "The phone's time zone"}>
                            {localTime(l.timezone)} · {l.timezone.replace(/_/g, ' ')}
                          </div>
                        )}
                      </td>
                      <td className="hidden max-w-[16rem] px-4 py-3 text-slate-600 md:table-cell">
                        {l.email ? <EmailAddress email={l.email} /> : <span className="text-slate-500">—</span>}
                      </td>
                      <td className="hidden max-w-[16rem] px-4 py-3 text-slate-600 [overflow-wrap:anywhere] lg:table-cell">{l.company ?? <span className="text-slate-500">—</span>}</td>
                      <td className="px-2 py-3 sm:px-4">
                        <OptOutBadge lead={l} />
                      </td>
                      <td className="hidden whitespace-nowrap px-4 py-3 text-xs text-slate-500 xl:table-cell">{fmtDateTime(l.created_at)}</td>
                      <td className="whitespace-nowrap py-3 pl-1 pr-3 text-right sm:px-5">
                        <div className="inline-flex gap-1">
                          <Button size="sm" variant="ghost" className="!px-2 sm:!px-2.5" onClick={() => setMessaging(l)} aria-label={`Messages with ${l.name}`}>
                            Messages
                          </Button>
                          <Button size="sm" variant="ghost" className="!px-2 sm:!px-2.5" onClick={() => setEditing(l)} aria-label={`Edit ${l.name}`}>
                            Edit
                          </Button>
                          <Button size="sm" variant="ghost" className="!px-2 !text-red-600 hover:!bg-red-50 sm:!px-2.5" onClick={() => { del.reset(); setDeleting(l); }} aria-label={`Delete ${l.name}`}>
                            Delete
                          </Button>
                        </div>
                      </td>
                    </tr>
                  );
                })}
              </DataTable>
              {selected.size > 0 && (
                <div
                  role="region"
                  aria-label="Selected leads"
                  data-testid="bulk-bar"
                  className="sticky bottom-3 z-20 mx-3 my-3 flex flex-wrap items-center gap-2 rounded-xl bg-slate-900 px-4 py-3 text-sm text-white shadow-lg sm:mx-5"
                >
                  <p className="mr-auto font-medium" data-testid="bulk-count">
                    {plural(selected.size, 'lead')} selected
                  </p>
                  <div className="flex flex-wrap gap-2">
                    <Button size="sm" onClick={() => openBulk('campaign')}>
                      Add to campaign
                    </Button>
                    <Button size="sm" onClick={() => openBulk('opt_out')}>
                      Opt out
                    </Button>
                    <Button size="sm" variant="danger" onClick={() => openBulk('delete')}>
                      Delete
                    </Button>
                    <Button size="sm" variant="ghost" className="!text-slate-200 hover:!bg-white/10 hover:!text-white" onClick={() => setSelected(new Map())}>
                      Clear selection
                    </Button>
                  </div>
                </div>
              )}
            </>
          )}
        </PagedList>
      </Card>

      {messaging && (
        <Modal title={`Messages with ${messaging.name}`} onClose={() => setMessaging(null)} size="lg">
          <Thread lead={messaging} canReply />
        </Modal>
      )}
      {editing && (
        <Modal title={editing === 'new' ? 'New lead' : `Edit ${editing.name}`} onClose={() => setEditing(null)} size="lg">
          <LeadForm
            lead={editing === 'new' ? null : editing}
            onCancel={() => setEditing(null)}
            onSaved={(l) => {
              toast(editing === 'new' ? `Created lead ${l.name}` : `Saved ${l.name}`);
              setEditing(null);
              refresh();
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
              refresh();
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

      {bulkDialog === 'delete' && (
        <ConfirmDialog
          title={`Delete ${plural(selected.size, 'lead')}?`}
          confirmLabel={`Delete ${plural(selected.size, 'lead')}`}
          onConfirm={() => bulk.mutate('delete')}
          onClose={() => setBulkDialog(null)}
          busy={bulk.isPending}
          error={bulk.error}
        >
          <p>
            <span className="font-medium text-slate-800">{names}</span> will be deleted. This can't be undone.
          </p>
        </ConfirmDialog>
      )}

      {bulkDialog === 'opt_out' && (
        <ConfirmDialog
          title={`Opt out ${plural(selected.size, 'lead')}?`}
          confirmLabel={`Opt out ${plural(selected.size, 'lead')}`}
          onConfirm={() => bulk.mutate('opt_out')}
          onClose={() => setBulkDialog(null)}
          busy={bulk.isPending}
          error={bulk.error}
          tone="primary"
        >
          <p>
            <span className="font-medium text-slate-800">{names}</span> will be put on the suppression list: no campaign texts them again (unless they reply START). They stay in your leads, marked
            “Opted out”.
          </p>
        </ConfirmDialog>
      )}

      {bulkDialog === 'campaign' && (
        <AddToCampaignDialog
          leads={chosen}
          onClose={() => setBulkDialog(null)}
          onAdded={(c, added, duplicates) => {
            toast(`Added ${plural(added, 'lead')} to ${c.name}${duplicates > 0 ? ` (${plural(duplicates, 'was', 'were')} in it already)` : ''}`);
            setBulkDialog(null);
            setSelected(new Map());
            void qc.invalidateQueries({ queryKey: ['campaigns'] });
            void qc.invalidateQueries({ queryKey: ['dashboard'] });
          }}
        />
      )}
    </>
  );
}
