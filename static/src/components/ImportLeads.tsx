import { useId, useRef, useState, type DragEvent, type KeyboardEvent } from 'react';
import { keepPreviousData, useMutation, useQuery } from '@tanstack/react-query';
import { api, fieldOf, type ImportChange, type ImportRejected, type ImportResult, type ImportValue, type OnExisting } from '../api';
import { AgainOrDone, Alert, Button, ConfirmDialog, cx, wrapTab } from './ui';
import { errorMessage } from '../api';
import { fmtInt, plural } from '../lib/format';

const MAX_BYTES = 64 * 1024 * 1024;
const TEMPLATE = 'name,phone,email,company,notes,city\nAda Lovelace,+44 20 7946 0958,ada@example.com,Analytical Engines,VIP,London\n';

interface Picked {
  id: number;
  name: string;
  size: number;
  text: string;
  rows: number;
  header: string;
}

/** What to do with a row whose phone a lead already has (the API's `on_existing`). */
export const ON_EXISTING: { value: OnExisting; label: string }[] = [
  { value: 'merge', label: 'Merge (keep existing values where a cell is empty)' },
  { value: 'skip', label: 'Skip existing leads' },
  { value: 'replace', label: 'Replace (clear fields left empty)' },
];

const DONE: Record<OnExisting, string> = {
  merge: 'existing leads merged',
  skip: 'existing leads skipped',
  replace: 'existing leads replaced',
};

function splitLines(text: string): string[] {
  return text.split(/\r\n|\n|\r/);
}

function rejectionProblems(r: ImportRejected): { field: string | null; msg: string }[] {
  if (typeof r.detail === 'string') return [{ field: null, msg: r.detail }];
  if (!Array.isArray(r.detail)) return [{ field: null, msg: 'Rejected' }];
  return r.detail.map((d) => ({ field: fieldOf(d.loc), msg: d.msg }));
}

/** How many of the listed leads lose a value (a field or an attribute that becomes empty). */
export function leadsWithFieldsCleared(r: ImportResult): number {
  return (r.changes ?? []).filter((c) => Object.values(c.fields).some((f) => f.from !== null && f.to === null)).length;
}

const FIELD_ORDER = ['name', 'email', 'company', 'notes'];
const FIELD_LABELS: Record<string, string> = { name: 'Name', email: 'Email', company: 'Company', notes: 'Notes' };

/** The fields of a change in form order, then the attributes by name. */
function orderedFields(c: ImportChange): [string, { from: ImportValue; to: ImportValue }][] {
  const rank = (k: string) => (FIELD_ORDER.includes(k) ? FIELD_ORDER.indexOf(k) : FIELD_ORDER.length);
  return Object.entries(c.fields).sort(([a], [b]) => rank(a) - rank(b) || a.localeCompare(b));
}

function FieldName({ name }: { name: string }) {
  if (name.startsWith('attributes.')) {
    return (
      <>
        <span className="font-mono text-xs">{name.slice('attributes.'.length)}</span>{' '}
        <span className="text-xs text-slate-500">(attribute)</span>
      </>
    );
  }
  return <>{FIELD_LABELS[name] ?? name}</>;
}

function Value({ v }: { v: ImportValue }) {
  if (v === null || v === '') return <span className="italic text-slate-500">empty</span>;
  return <span className="break-words">{String(v)}</span>;
}

const SHOW_REJECTED = 200;
const SHOW_CHANGES = 200;

/**
 * The answer of POST /api/leads/import, or of its dry run (`preview`): the counts, the rejected
 * rows with their reasons, and the changes to existing leads (lead, field, from → to).
 */
export function ImportResultView({ result, lines, preview = false }: { result: ImportResult; lines?: string[]; preview?: boolean }) {
  const rejected = result.rejected ?? [];
  const changes = result.changes ?? [];
  const changesTotal = result.changes_total ?? changes.length;
  const idp = preview ? 'preview' : 'import';
  const rejectedId = useId();
  const changesId = useId();
  const counts: { key: string; label: string; value: number; cls: string }[] = [
    { key: 'inserted', label: preview ? 'New' : 'Inserted', value: result.inserted, cls: 'bg-emerald-50 text-emerald-700' },
    { key: 'updated', label: 'Updated', value: result.updated, cls: 'bg-blue-50 text-blue-700' },
    { key: 'unchanged', label: 'Unchanged', value: result.unchanged ?? 0, cls: 'bg-slate-50 text-slate-600' },
    { key: 'skipped', label: 'Skipped', value: result.skipped ?? 0, cls: 'bg-slate-50 text-slate-600' },
    { key: 'rejected', label: 'Rejected', value: rejected.length, cls: rejected.length ? 'bg-red-50 text-red-700' : 'bg-slate-50 text-slate-600' },
  ];
  return (
    <div className="space-y-4" data-testid={preview ? 'import-preview' : 'import-result'}>
      <dl className="grid grid-cols-3 gap-2 text-center sm:grid-cols-5">
        {counts.map((c) => (
          <div key={c.key} className={cx('rounded-lg p-2', c.cls)}>
            <dt className="text-xs font-medium">{c.label}</dt>
            <dd className="text-xl font-semibold tabular-nums" data-testid={`${idp}-${c.key}`}>
              {fmtInt(c.value)}
            </dd>
          </div>
        ))}
      </dl>

      {rejected.length > 0 ? (
        <section aria-labelledby={rejectedId}>
          <h3 id={rejectedId} className="mb-2 text-sm font-semibold text-slate-800">
            Rejected rows
          </h3>
          <div className="max-h-72 overflow-auto rounded-lg border border-slate-200">
            <table className="min-w-full text-left text-sm">
              <thead className="sticky top-0 bg-slate-50 text-xs uppercase tracking-wide text-slate-500">
                <tr>
                  <th scope="col" className="px-3 py-2">Row</th>
                  <th scope="col" className="px-3 py-2">Problem</th>
                </tr>
              </thead>
              <tbody className="divide-y divide-slate-100">
                {rejected.slice(0, SHOW_REJECTED).map((r) => (
                  <tr key={r.row} className="align-top">
                    <th scope="row" className="whitespace-nowrap px-3 py-2 font-medium tabular-nums text-slate-700">
                      {r.row}
                    </th>
                    <td className="px-3 py-2">
                      <ul className="space-y-0.5">
                        {rejectionProblems(r).map((p, i) => (
                          <li key={i} className="text-red-700">
                            {p.field && <span className="mr-1 rounded bg-red-100 px-1 font-mono text-xs">{p.field}</span>}
                            {p.msg}
                          </li>
                        ))}
                      </ul>
                      {lines?.[r.row] !== undefined && (
                        <code className="mt-1 block max-w-[16rem] truncate font-mono text-xs text-slate-500 sm:max-w-md" title={lines[r.row]}>
                          {lines[r.row]}
                        </code>
                      )}
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
          {rejected.length > SHOW_REJECTED && (
            <p className="mt-2 text-xs text-slate-500">…and {fmtInt(rejected.length - SHOW_REJECTED)} more rejected rows.</p>
          )}
          <p className="mt-2 text-xs text-slate-500">
            Rows are numbered from 1, the first line after the header.{' '}
            {preview ? 'The other rows can be imported.' : 'The valid rows were imported.'}
          </p>
        </section>
      ) : (
        <Alert tone="green">{preview ? 'Every row can be imported.' : 'Every row was imported.'}</Alert>
      )}

      {changes.length > 0 && (
        <section aria-labelledby={changesId}>
          <h3 id={changesId} className="mb-2 text-sm font-semibold text-slate-800">
            {preview ? 'Changes to existing leads' : 'Changed leads'} ({fmtInt(changesTotal)})
          </h3>
          <div className="max-h-80 overflow-auto rounded-lg border border-slate-200">
            <table className="min-w-full text-left text-sm" data-testid={`${idp}-changes`} aria-labelledby={changesId}>
              <thead className="sticky top-0 bg-slate-50 text-xs uppercase tracking-wide text-slate-500">
                <tr>
                  <th scope="col" className="px-3 py-2">Lead</th>
                  <th scope="col" className="px-3 py-2">Field</th>
                  <th scope="col" className="px-3 py-2">From → to</th>
                </tr>
              </thead>
              {changes.slice(0, SHOW_CHANGES).map((c) => {
                const fields = orderedFields(c);
                return (
                  <tbody key={c.row} className="border-t border-slate-200">
                    {fields.map(([k, f], i) => (
                      <tr key={k} className="align-top">
                        {i === 0 && (
                          <th scope="rowgroup" rowSpan={fields.length} className="px-3 py-2 font-medium text-slate-800">
                            <span className="block break-words">{c.name}</span>
                            <span className="block whitespace-nowrap text-xs font-normal text-slate-500">
                              {c.phone} · row {c.row}
                            </span>
                          </th>
                        )}
                        <td className="px-3 py-2 text-slate-700">
                          <FieldName name={k} />
                        </td>
                        <td className="px-3 py-2 text-slate-700">
                          <span className="sr-only">from </span>
                          <span className={cx(f.to === null && f.from !== null && 'line-through decoration-red-400')}>
                            <Value v={f.from} />
                          </span>
                          <span aria-hidden="true"> → </span>
                          <span className="sr-only"> to </span>
                          <Value v={f.to} />
                        </td>
                      </tr>
                    ))}
                  </tbody>
                );
              })}
            </table>
          </div>
          {changesTotal > Math.min(changes.length, SHOW_CHANGES) && (
            <p className="mt-2 text-xs text-slate-500">
              …and {fmtInt(changesTotal - Math.min(changes.length, SHOW_CHANGES))} more changed leads.
            </p>
          )}
        </section>
      )}
    </div>
  );
}

const FOCUSABLE = 'button:not([disabled]), input:not([disabled]), [href], [tabindex]:not([tabindex="-1"])';

/**
 * Keyboard for a dialog opened over the import dialog: Escape closes only the inner one, Tab stays
 * in it (the outer dialog's own handlers never see these keys).
 */
function onInnerDialogKeys(e: KeyboardEvent<HTMLDivElement>, close: () => void) {
  if (e.key === 'Escape') {
    e.stopPropagation();
    close();
  } else if (e.key === 'Tab') {
    e.stopPropagation();
    wrapTab(e, Array.from(e.currentTarget.querySelectorAll<HTMLElement>(FOCUSABLE)));
  }
}

/**
 * Drag-and-drop (or pick) a CSV file and see what is in it; a dry run shows what importing it
 * would do (with the chosen handling of existing leads), then Import commits it and shows the
 * outcome.
 */
export default function ImportLeads({ onImported, onClose }: { onImported: (r: ImportResult) => void; onClose: () => void }) {
  const inputId = useId();
  const hintId = useId();
  const modeName = useId();
  const inputRef = useRef<HTMLInputElement>(null);
  const picks = useRef(0);
  const [picked, setPicked] = useState<Picked | null>(null);
  const [pickError, setPickError] = useState<string | null>(null);
  const [dragging, setDragging] = useState(false);
  const [mode, setMode] = useState<OnExisting>('merge');
  const [confirming, setConfirming] = useState(false);

  const imp = useMutation({
    mutationFn: ({ text, onExisting }: { text: string; onExisting: OnExisting }) =>
      api.importLeadsCsv(text, { onExisting, dryRun: false }),
    onSuccess: (r) => {
      setConfirming(false);
      onImported(r);
    },
  });

  // the dry run: nothing is written; again whenever the file or the choice changes
  const preview = useQuery({
    queryKey: ['leads-import-dry-run', picked?.id, mode],
    queryFn: ({ signal }) => api.importLeadsCsv(picked!.text, { onExisting: mode, dryRun: true, signal }),
    enabled: !!picked && picked.rows > 0 && !imp.data,
    placeholderData: keepPreviousData,
    staleTime: Infinity,
    retry: false,
    refetchOnWindowFocus: false,
  });
  const ready = !!preview.data && !preview.isPlaceholderData && !preview.isFetching && !preview.isError;
  const cleared = ready && preview.data ? leadsWithFieldsCleared(preview.data) : 0;
  const clearedAtLeast = !!preview.data && preview.data.changes_total > preview.data.changes.length;

  async function take(file: File | undefined | null) {
    setPickError(null);
    imp.reset();
    setConfirming(false);
    if (!file) return;
    if (file.size > MAX_BYTES) {
      setPicked(null);
      setPickError(`${file.name} is larger than 64 MB; split it into smaller files.`);
      return;
    }
    if (!/\.(csv|txt)$/i.test(file.name) && file.type && !/csv|text/.test(file.type)) {
      setPicked(null);
      setPickError(`${file.name} does not look like a CSV file.`);
      return;
    }
    const text = await file.text();
    const lines = splitLines(text);
    const rows = lines.slice(1).filter((l) => l.trim() !== '').length;
    picks.current += 1;
    setPicked({ id: picks.current, name: file.name, size: file.size, text, rows, header: lines[0] ?? '' });
  }

  const onDrop = (e: DragEvent) => {
    e.preventDefault();
    setDragging(false);
    void take(e.dataTransfer.files?.[0]);
  };

  const commit = () => {
    if (!picked || !ready) return;
    if (mode === 'replace' && cleared > 0 && !confirming) {
      setConfirming(true);
      return;
    }
    imp.mutate({ text: picked.text, onExisting: mode });
  };

  const lines = picked ? splitLines(picked.text) : undefined;

  if (imp.data) {
    return (
      <div className="space-y-4">
        <p className="text-sm text-slate-600">
          Imported <span className="font-medium text-slate-900">{picked?.name}</span> ({DONE[mode]}).
        </p>
        <ImportResultView result={imp.data} lines={lines} />
        <AgainOrDone
          again="Import another file"
          onAgain={() => {
            setPicked(null);
            imp.reset();
          }}
          onDone={onClose}
        />
      </div>
    );
  }

  return (
    <div className="space-y-4">
      <div
        onDragOver={(e) => {
          e.preventDefault();
          setDragging(true);
        }}
        onDragLeave={() => setDragging(false)}
        onDrop={onDrop}
        className={cx(
          'relative flex flex-col items-center justify-center gap-2 rounded-xl border-2 border-dashed px-4 py-8 text-center transition-colors focus-within:border-indigo-500 focus-within:bg-indigo-50/50',
          dragging ? 'border-indigo-500 bg-indigo-50' : 'border-slate-300 bg-slate-50',
        )}
        data-testid="dropzone"
      >
        <svg className="h-8 w-8 text-slate-500" viewBox="0 0 24 24" fill="none" stroke="currentColor" strokeWidth="1.5" aria-hidden="true">
          <path d="M12 16V4m0 0-4 4m4-4 4 4M4 16v2a2 2 0 0 0 2 2h12a2 2 0 0 0 2-2v-2" strokeLinecap="round" strokeLinejoin="round" />
        </svg>
        <p className="text-sm text-slate-700">
          Drag and drop a CSV file here, or{' '}
          <label htmlFor={inputId} className="cursor-pointer font-medium text-indigo-600 underline-offset-2 hover:underline">
            choose a file
          </label>
        </p>
        <input
          ref={inputRef}
          id={inputId}
          type="file"
          accept=".csv,text/csv,text/plain"
          className="sr-only"
          aria-describedby={hintId}
          onChange={(e) => void take(e.target.files?.[0])}
        />
        <p id={hintId} className="text-xs text-slate-500">
          Header row with <code className="font-mono">name,phone,email,company,notes</code>; other columns become attributes
          (custom fields) named by their header. Up to 100,000 rows. You see what the import will do before anything changes.
        </p>
        <a
          className="text-xs font-medium text-indigo-600 hover:underline"
          href={`data:text/csv;charset=utf-8,${encodeURIComponent(TEMPLATE)}`}
          download="leads-template.csv"
        >
          Download a template
        </a>
      </div>

      {pickError && <Alert>{pickError}</Alert>}

      {picked && (
        <div className="rounded-lg border border-slate-200 p-3 text-sm" data-testid="import-picked">
          <p className="break-words font-medium text-slate-900">{picked.name}</p>
          <p className="text-slate-500">
            {plural(picked.rows, 'row')} · {(picked.size / 1024).toFixed(1)} KB
          </p>
          <code className="mt-1 block truncate font-mono text-xs text-slate-500" title="Header row">
            {picked.header || '(empty file)'}
          </code>
        </div>
      )}

      {picked && picked.rows > 0 && (
        <fieldset className="space-y-1.5" data-testid="import-on-existing">
          <legend className="mb-1 text-sm font-medium text-slate-700">Leads that already exist (same phone)</legend>
          {ON_EXISTING.map((m) => (
            <label key={m.value} className="flex items-start gap-2 text-sm text-slate-700">
              <input
                type="radio"
                name={modeName}
                value={m.value}
                checked={mode === m.value}
                onChange={() => {
                  setMode(m.value);
                  setConfirming(false);
                  imp.reset();
                }}
                className="mt-0.5 h-4 w-4 shrink-0 accent-indigo-600"
              />
              <span>{m.label}</span>
            </label>
          ))}
        </fieldset>
      )}

      {picked && picked.rows > 0 && (
        <section aria-label="Preview of the import" aria-busy={preview.isFetching || undefined} className="space-y-3">
          <p role="status" className="text-sm text-slate-600" data-testid="import-preview-status">
            {preview.isError
              ? 'The file cannot be imported as it is.'
              : !ready
                ? 'Checking what the import would do…'
                : 'Preview: nothing has been imported yet.'}
          </p>
          {preview.isError ? (
            <div className="space-y-2">
              <Alert title="Cannot import this file">{errorMessage(preview.error)}</Alert>
              <Button size="sm" onClick={() => void preview.refetch()}>
                Check again
              </Button>
            </div>
          ) : (
            preview.data && (
              <div className={cx(!ready && 'opacity-60')}>
                <ImportResultView result={preview.data} lines={lines} preview />
              </div>
            )
          )}
        </section>
      )}

      {imp.error && !confirming && <Alert title="Import failed">{errorMessage(imp.error)}</Alert>}

      <div className="flex flex-wrap justify-end gap-2">
        <Button onClick={onClose}>Cancel</Button>
        <Button variant="primary" disabled={!picked || picked.rows === 0 || !ready} busy={imp.isPending} onClick={commit}>
          {picked ? `Import ${plural(picked.rows, 'row')}` : 'Import'}
        </Button>
      </div>

      {confirming && (
        <div onKeyDown={(e) => onInnerDialogKeys(e, () => setConfirming(false))}>
          <ConfirmDialog
            title={`Clear fields of ${clearedAtLeast ? 'at least ' : ''}${plural(cleared, 'lead')}?`}
            confirmLabel="Replace and clear fields"
            onConfirm={() => picked && imp.mutate({ text: picked.text, onExisting: 'replace' })}
            onClose={() => setConfirming(false)}
            busy={imp.isPending}
            error={imp.error}
          >
            <p data-testid="import-replace-confirm">
              Replacing makes each existing lead what its row says: {clearedAtLeast ? 'at least ' : ''}
              <strong className="font-semibold text-slate-900">{plural(cleared, 'lead')}</strong> will have fields or attributes
              cleared where the file has empty cells. This cannot be undone.
            </p>
            <p>Choose Merge instead to keep existing values where a cell is empty.</p>
          </ConfirmDialog>
        </div>
      )}
    </div>
  );
}
