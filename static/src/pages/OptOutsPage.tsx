// The suppression list (GET /api/opt-outs): every phone that gets nothing, in any campaign, with
// the lead it belongs to, how it got there and when. Keyset pages ordered by phone, searched by
// phone digits or lead name. Phones are added by hand (one per line) or from a CSV file, the list
// is exported as CSV, and admin keys can remove a phone (it then receives messages again).
import { useEffect, useId, useRef, useState, type FormEvent } from 'react';
import { keepPreviousData, useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { Link } from 'react-router';
import { api, ApiError, errorMessage, fieldOf, type OptOut, type OptOutAddResult, type OptOutRejected } from '../api';
import { AgainOrDone, Alert, Badge, Button, Card, ConfirmDialog, EmptyState, ErrorState, Field, FormActions, LoadingState, Modal, PageHeader, TextArea, cx } from '../components/ui';
import { DataTable, FilterBar, KeysetPagination, SearchField, Th } from '../components/list';
import { useToast } from '../components/toast';
import { fmtDateTime, fmtInt, plural } from '../lib/format';
import { optOutSourceMeta } from '../lib/status';
import { useListParams } from '../lib/useListParams';
import { useIsAdmin } from '../lib/useMe';

const PAGE_SIZE = 50;
const EXPORT_NAME = 'opt-outs.csv';

/** The phones of the "one per line" box: each line trimmed, the empty ones left out. */
export function parsePhones(text: string): string[] {
  return text
    .split(/\r\n|\n|\r/)
    .map((l) => l.trim())
    .filter((l) => l !== '');
}

/** The header row of a CSV has a `phone` column (quotes, a byte-order mark and case aside). */
export function csvHasPhoneColumn(csv: string): boolean {
  const header = csv.replace(/^\uFEFF/, '').split(/\r\n|\n|\r/, 1)[0] ?? '';
  return header.split(',').some((h) => h.trim().replace(/^"(.*)"$/, '$1').trim().toLowerCase() === 'phone');
}

/** Offer `blob` as a file download named `name` (a Blob URL, let go of once the click is done). */
export function saveBlob(blob: Blob, name: string) {
  const url = URL.createObjectURL(blob);
  const a = document.createElement('a');
  a.href = url;
  a.download = name;
  a.rel = 'noopener';
  a.style.display = 'none';
  document.body.appendChild(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 0);
}

function SourceBadge({ o }: { o: OptOut }) {
  const m = optOutSourceMeta(o.source);
  return (
    <span className="inline-flex flex-wrap items-center gap-x-2 gap-y-1">
      <Badge tone={m.tone} title={m.help || undefined}>
        {m.label}
      </Badge>
      {o.keyword && (
        <span className="font-mono text-xs text-slate-600" data-testid="optout-keyword">
          <span className="sr-only">keyword </span>
          {o.keyword}
        </span>
      )}
    </span>
  );
}

function problems(r: OptOutRejected): string {
  if (typeof r.detail === 'string') return r.detail;
  if (Array.isArray(r.detail)) return r.detail.map((d) => d.msg).join('; ') || 'Rejected';
  return 'Rejected';
}

/** What POST /api/opt-outs did: the counts, then each rejected phone and why (by CSV row for an import). */
function AddResult({ result, phones, byRow }: { result: OptOutAddResult; phones?: string[]; byRow?: boolean }) {
  const headingRef = useRef<HTMLHeadingElement>(null);
  const headingId = useId();
  const rejectedId = useId();
  const rejected = result.rejected ?? [];
  // the outcome replaces the form: focus moves to it (and a screen reader reads it)
  useEffect(() => headingRef.current?.focus(), []);
  const counts = [
    { key: 'added', label: 'Added', value: result.added, cls: 'bg-emerald-50 text-emerald-800' },
    { key: 'already', label: 'Already on the list', value: result.already, cls: 'bg-slate-50 text-slate-700' },
    { key: 'rejected', label: 'Rejected', value: rejected.length, cls: rejected.length ? 'bg-red-50 text-red-800' : 'bg-slate-50 text-slate-700' },
  ];
  return (
    <section aria-labelledby={headingId} className="space-y-4" data-testid="optout-result">
      <h3 id={headingId} ref={headingRef} tabIndex={-1} className="text-sm font-semibold text-slate-800 focus:outline-none">
        {result.added > 0 ? `${plural(result.added, 'phone')} added to the opt-outs` : 'No phone was added'}
      </h3>
      <dl className="grid grid-cols-3 gap-2 text-center">
        {counts.map((c) => (
          <div key={c.key} className={cx('rounded-lg p-2', c.cls)}>
            <dt className="text-xs font-medium">{c.label}</dt>
            <dd className="text-xl font-semibold tabular-nums" data-testid={`optout-${c.key}`}>
              {fmtInt(c.value)}
            </dd>
          </div>
        ))}
      </dl>
      {rejected.length > 0 && (
        <div>
          <h4 id={rejectedId} className="mb-2 text-sm font-semibold text-slate-800">
            Rejected {byRow ? 'rows' : 'phones'}
          </h4>
          <div className="max-h-72 overflow-auto rounded-lg border border-slate-200">
            <table className="min-w-full text-left text-sm" aria-labelledby={rejectedId} data-testid="optout-rejected-list">
              <thead className="sticky top-0 bg-slate-50 text-xs uppercase tracking-wide text-slate-600">
                <tr>
                  {byRow && (
                    <th scope="col" className="px-3 py-2">
                      Row
                    </th>
                  )}
                  <th scope="col" className="px-3 py-2">
                    Phone
                  </th>
                  <th scope="col" className="px-3 py-2">
                    Problem
                  </th>
                </tr>
              </thead>
              <tbody className="divide-y divide-slate-100">
                {rejected.map((r, i) => {
                  const phone = r.phone ?? (r.index !== undefined ? phones?.[r.index] : undefined);
                  return (
                    <tr key={i} className="align-top">
                      {byRow && <td className="whitespace-nowrap px-3 py-2 tabular-nums text-slate-700">{r.row ?? '—'}</td>}
                      <td className="px-3 py-2 font-mono text-xs text-slate-800 [overflow-wrap:anywhere]">{phone || <span className="font-sans italic text-slate-600">empty</span>}</td>
                      <td className="px-3 py-2 text-red-700">{problems(r)}</td>
                    </tr>
                  );
                })}
              </tbody>
            </table>
          </div>
        </div>
      )}
    </section>
  );
}

/** A request's error for the form: the messages of `fields` under the control, anything else above it. */
function splitError(e: unknown, fields: string[]): { field: string | null; general: string | null } {
  if (!e) return { field: null, general: null };
  if (e instanceof ApiError && e.isValidation) {
    const mine = e.errors.filter((x) => fields.includes(fieldOf(x.loc) ?? ''));
    if (mine.length === e.errors.length && mine.length > 0) return { field: mine.map((x) => x.msg).join(' '), general: null };
  }
  return { field: null, general: errorMessage(e) };
}

function AddPhonesDialog({ onClose, onAdded }: { onClose: () => void; onAdded: (r: OptOutAddResult) => void }) {
  const [text, setText] = useState('');
  const [local, setLocal] = useState<string | null>(null);
  const [sent, setSent] = useState<string[]>([]);
  const add = useMutation({
    mutationFn: (phones: string[]) => api.addOptOuts(phones, 'manual'),
    onSuccess: onAdded,
  });
  const phones = parsePhones(text);
  const submit = (e: FormEvent) => {
    e.preventDefault();
    if (phones.length === 0) {
      setLocal('Enter at least one phone.');
      return;
    }
    setLocal(null);
    setSent(phones);
    add.mutate(phones);
  };
  const err = splitError(add.error, ['phones', 'phone']);
  return (
    <Modal title="Add phones to the opt-outs" description="Nothing is sent to these phones any more, in any campaign." onClose={onClose}>
      {add.data ? (
        <div className="space-y-4">
          <AddResult result={add.data} phones={sent} />
          <AgainOrDone
            again="Add more"
            onAgain={() => {
              add.reset();
              setText('');
            }}
            onDone={onClose}
          />
        </div>
      ) : (
        <form onSubmit={submit} noValidate className="space-y-4">
          {err.general && <Alert>{err.general}</Alert>}
          <Field
            label="Phones, one per line"
            error={local ?? err.field ?? undefined}
            hint={
              <>
                With the country code, e.g. <span className="font-mono">+1 415 555 0123</span>; spaces, dashes and brackets are fine.
                {phones.length > 0 && ` ${plural(phones.length, 'phone')}.`}
              </>
            }
          >
            {({ id, describedBy, invalid }) => (
              <TextArea
                id={id}
                rows={8}
                value={text}
                onChange={(e) => setText(e.target.value)}
                aria-describedby={describedBy}
                invalid={invalid}
                className="font-mono"
                spellCheck={false}
                autoComplete="off"
                autoFocus // also after "Add more"
                data-autofocus
              />
            )}
          </Field>
          <FormActions onCancel={onClose} submitLabel={phones.length > 1 ? `Add ${plural(phones.length, 'phone')}` : 'Add phone'} busy={add.isPending} />
        </form>
      )}
    </Modal>
  );
}

interface PickedCsv {
  name: string;
  text: string;
  rows: number;
}

function ImportCsvDialog({ onClose, onImported }: { onClose: () => void; onImported: (r: OptOutAddResult) => void }) {
  const inputId = useId();
  const hintId = useId();
  const errorId = useId();
  const [picked, setPicked] = useState<PickedCsv | null>(null);
  const [local, setLocal] = useState<string | null>(null);
  const imp = useMutation({
    mutationFn: (csv: string) => api.importOptOutsCsv(csv),
    onSuccess: onImported,
  });
  const take = async (file: File | undefined) => {
    imp.reset();
    setLocal(null);
    setPicked(null);
    if (!file) return;
    const text = await file.text();
    const rows = text.split(/\r\n|\n|\r/).slice(1).filter((l) => l.trim() !== '').length;
    if (!csvHasPhoneColumn(text)) setLocal(`${file.name} has no phone column: its first row must be a header with one, e.g. phone,name.`);
    else if (rows === 0) setLocal(`${file.name} has no rows under its header.`);
    setPicked({ name: file.name, text, rows });
  };
  const submit = (e: FormEvent) => {
    e.preventDefault();
    if (!picked) {
      setLocal('Choose a CSV file.');
      return;
    }
    if (!local) imp.mutate(picked.text);
  };
  const error = local ?? (imp.error ? errorMessage(imp.error) : null);
  return (
    <Modal title="Import opt-outs from CSV" description="Every phone of the file goes on the suppression list." onClose={onClose}>
      {imp.data ? (
        <div className="space-y-4">
          <p className="text-sm text-slate-600">
            Imported <span className="font-medium text-slate-900">{picked?.name}</span>.
          </p>
          <AddResult result={imp.data} byRow />
          <AgainOrDone
            again="Import another file"
            onAgain={() => {
              imp.reset();
              setPicked(null);
            }}
            onDone={onClose}
          />
        </div>
      ) : (
        <form onSubmit={submit} noValidate className="space-y-4">
          <div>
            <label htmlFor={inputId} className="mb-1 block text-sm font-medium text-slate-700">
              CSV file
            </label>
            <input
              id={inputId}
              type="file"
              accept=".csv,text/csv,text/plain"
              onChange={(e) => void take(e.target.files?.[0])}
              aria-describedby={[error ? errorId : null, hintId].filter(Boolean).join(' ')}
              aria-invalid={error ? true : undefined}
              className="block w-full text-sm text-slate-700 file:mr-3 file:cursor-pointer file:rounded-lg file:border-0 file:bg-indigo-50 file:px-3 file:py-2 file:text-sm file:font-medium file:text-indigo-700 hover:file:bg-indigo-100"
              autoFocus // also after "Import another file"
              data-autofocus
            />
            {error && (
              <p id={errorId} role="alert" className="mt-1 text-xs font-medium text-red-600">
                {error}
              </p>
            )}
            <p id={hintId} className="mt-1 text-xs text-slate-500">
              A header row with a <code className="font-mono">phone</code> column (other columns are ignored), then one phone a row, with its country code.
            </p>
          </div>
          {picked && !local && (
            <p className="text-sm text-slate-600" data-testid="optout-picked">
              <span className="font-medium text-slate-900">{picked.name}</span>: {plural(picked.rows, 'row')}
            </p>
          )}
          <FormActions onCancel={onClose} submitLabel={picked && !local ? `Import ${plural(picked.rows, 'row')}` : 'Import'} busy={imp.isPending} disabled={!picked || !!local} />
        </form>
      )}
    </Modal>
  );
}

function RemoveDialog({ o, onClose, onRemoved }: { o: OptOut; onClose: () => void; onRemoved: () => void }) {
  const remove = useMutation({ mutationFn: () => api.removeOptOut(o.phone), onSuccess: onRemoved });
  return (
    <ConfirmDialog
      title={`Remove ${o.phone} from the opt-outs?`}
      confirmLabel="Remove from the list"
      onConfirm={() => remove.mutate()}
      onClose={onClose}
      busy={remove.isPending}
      error={remove.error}
    >
      <p>
        <span className="font-mono font-medium text-slate-800">{o.phone}</span>
        {o.lead_name ? ` (${o.lead_name})` : ''} will receive messages again: campaigns and replies reach it like any other phone.
      </p>
      <p>Remove a phone only when its owner asked to be texted again.</p>
    </ConfirmDialog>
  );
}

export default function OptOutsPage() {
  const { q, search, setSearch, keyset } = useListParams();
  const { after } = keyset;
  const qc = useQueryClient();
  const toast = useToast();
  const isAdmin = useIsAdmin();
  const [dialog, setDialog] = useState<'add' | 'import' | null>(null);
  const [removing, setRemoving] = useState<OptOut | null>(null);
  const [exporting, setExporting] = useState(false);

  const list = useQuery({
    queryKey: ['opt-outs', 'list', { q, after }],
    queryFn: ({ signal }) => api.listOptOuts({ q: q || undefined, after: after || undefined, limit: PAGE_SIZE }, signal),
    placeholderData: keepPreviousData,
  });
  const data = list.data;

  // a page emptied by removing its phones: back to the one before it
  useEffect(() => {
    if (data && !list.isPlaceholderData && data.items.length === 0 && after) keyset.previous({ replace: true });
  }, [data]); // eslint-disable-line react-hooks/exhaustive-deps

  const refresh = () => {
    void qc.invalidateQueries({ queryKey: ['opt-outs'] });
    void qc.invalidateQueries({ queryKey: ['leads'] });
    void qc.invalidateQueries({ queryKey: ['dashboard'] });
  };

  const added = (r: OptOutAddResult) => {
    const rejected = r.rejected?.length ?? 0;
    toast(
      `Opt-outs: ${fmtInt(r.added)} added, ${fmtInt(r.already)} already on the list${rejected ? `, ${fmtInt(rejected)} rejected` : ''}`,
      rejected ? 'info' : 'success',
    );
    refresh();
  };

  const exportCsv = async () => {
    setExporting(true);
    try {
      saveBlob(await api.exportOptOuts(), EXPORT_NAME);
      toast(`Downloaded ${EXPORT_NAME}`);
    } catch (e) {
      toast(`Export failed: ${errorMessage(e)}`, 'error');
    } finally {
      setExporting(false);
    }
  };

  let body;
  if (list.isLoading) body = <LoadingState label="Loading opt-outs…" />;
  else if (list.error) body = <ErrorState error={list.error} onRetry={() => void list.refetch()} feature="Opt-outs" path="/api/opt-outs" />;
  else if (!data) body = null;
  else if (data.items.length === 0)
    body = q ? (
      <EmptyState title={`No opt-outs match “${q}”`} action={<Button size="sm" onClick={() => setSearch('')}>Clear search</Button>} />
    ) : (
      <EmptyState title="Nobody has opted out">Phones land here when someone replies STOP or asks not to be texted, or when you add them.</EmptyState>
    );
  else
    body = (
      <>
        <DataTable
          testId="optouts-table"
          caption={q ? `Opt-outs matching “${q}”` : 'Opt-outs'}
          head={
            <>
              <Th className="px-4 sm:px-5">Phone</Th>
              <Th className="px-4">Lead</Th>
              <Th className="px-4">How</Th>
              <Th className="px-4">When</Th>
              {isAdmin && (
                <Th className="pl-1 pr-3 text-right sm:px-5" srOnly>
                  Actions
                </Th>
              )}
            </>
          }
        >
          {data.items.map((o) => (
            <tr key={o.phone} className="text-slate-700 hover:bg-slate-50/60">
              <td className="whitespace-nowrap px-4 py-3 font-mono text-xs tabular-nums text-slate-900 sm:px-5">{o.phone}</td>
              <td className="px-4 py-3">
                {o.lead_id != null ? (
                  <Link to={`/leads?q=${encodeURIComponent(o.phone)}`} className="font-medium text-indigo-700 underline-offset-2 hover:underline [overflow-wrap:anywhere]">
                    {o.lead_name || `Lead #${o.lead_id}`}
                  </Link>
                ) : (
                  <span className="text-slate-500">
                    <span aria-hidden="true">—</span>
                    <span className="sr-only">No lead</span>
                  </span>
                )}
              </td>
              <td className="px-4 py-3">
                <SourceBadge o={o} />
              </td>
              <td className="whitespace-nowrap px-4 py-3 text-xs text-slate-600">
                <time dateTime={o.created_at}>{fmtDateTime(o.created_at)}</time>
              </td>
              {isAdmin && (
                <td className="whitespace-nowrap py-3 pl-1 pr-3 text-right sm:px-5">
                  <Button size="sm" variant="ghost" className="!text-red-600 hover:!bg-red-50" onClick={() => setRemoving(o)} aria-label={`Remove ${o.phone}`}>
                    Remove
                  </Button>
                </td>
              )}
            </tr>
          ))}
        </DataTable>
        <KeysetPagination keyset={keyset} total={data.total} count={data.items.length} limit={PAGE_SIZE} nextAfter={data.next_after} label="opt-outs" />
      </>
    );

  return (
    <>
      <PageHeader
        title="Opt-outs"
        description="Phones on the suppression list get nothing: no campaign, no reply. Opting out is global across campaigns."
        actions={
          <>
            <Button onClick={() => void exportCsv()} busy={exporting}>
              Export CSV
            </Button>
            <Button onClick={() => setDialog('import')}>Import CSV</Button>
            <Button variant="primary" onClick={() => setDialog('add')}>
              Add phones
            </Button>
          </>
        }
      />

      <Card>
        <FilterBar className="flex flex-wrap items-center gap-3">
          <SearchField label="Search opt-outs" placeholder="Phone digits or lead name" value={search} onChange={setSearch} icon className="sm:max-w-sm" />
          {data && (
            <p className="text-sm text-slate-600" data-testid="optouts-total">
              {plural(data.total, 'phone')} {q ? 'matching' : 'in total'}
            </p>
          )}
          {list.isFetching && !list.isLoading && (
            <span className="text-xs text-slate-500" role="status">
              Updating…
            </span>
          )}
        </FilterBar>
        {body}
      </Card>

      {dialog === 'add' && <AddPhonesDialog onClose={() => setDialog(null)} onAdded={added} />}
      {dialog === 'import' && <ImportCsvDialog onClose={() => setDialog(null)} onImported={added} />}
      {removing && (
        <RemoveDialog
          o={removing}
          onClose={() => setRemoving(null)}
          onRemoved={() => {
            toast(`Removed ${removing.phone}: it will receive messages again`);
            setRemoving(null);
            refresh();
          }}
        />
      )}
    </>
  );
}
