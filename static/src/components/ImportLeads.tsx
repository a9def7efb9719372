import { useId, useRef, useState, type DragEvent } from 'react';
import { useMutation } from '@tanstack/react-query';
import { api, fieldOf, type ImportRejected, type ImportResult } from '../api';
import { Alert, Button, cx } from './ui';
import { errorMessage } from '../api';
import { fmtInt, plural } from '../lib/format';

const MAX_BYTES = 64 * 1024 * 1024;
const TEMPLATE = 'name,phone,email,company,notes\nAda Lovelace,+44 20 7946 0958,ada@example.com,Analytical Engines,VIP\n';

interface Picked {
  name: string;
  size: number;
  text: string;
  rows: number;
  header: string;
}

function splitLines(text: string): string[] {
  return text.split(/\r\n|\n|\r/);
}

function rejectionProblems(r: ImportRejected): { field: string | null; msg: string }[] {
  if (typeof r.detail === 'string') return [{ field: null, msg: r.detail }];
  if (!Array.isArray(r.detail)) return [{ field: null, msg: 'Rejected' }];
  return r.detail.map((d) => ({ field: fieldOf(d.loc), msg: d.msg }));
}

const SHOW_REJECTED = 200;

/** The answer of POST /api/leads/import: counts and the rejected rows with their reasons. */
export function ImportResultView({ result, lines }: { result: ImportResult; lines?: string[] }) {
  const rejected = result.rejected ?? [];
  return (
    <div className="space-y-4" data-testid="import-result">
      <dl className="grid grid-cols-3 gap-3 text-center">
        <div className="rounded-lg bg-emerald-50 p-3">
          <dt className="text-xs font-medium text-emerald-700">Inserted</dt>
          <dd className="text-2xl font-semibold tabular-nums text-emerald-700" data-testid="import-inserted">
            {fmtInt(result.inserted)}
          </dd>
        </div>
        <div className="rounded-lg bg-blue-50 p-3">
          <dt className="text-xs font-medium text-blue-700">Updated</dt>
          <dd className="text-2xl font-semibold tabular-nums text-blue-700" data-testid="import-updated">
            {fmtInt(result.updated)}
          </dd>
        </div>
        <div className={cx('rounded-lg p-3', rejected.length ? 'bg-red-50' : 'bg-slate-50')}>
          <dt className={cx('text-xs font-medium', rejected.length ? 'text-red-700' : 'text-slate-500')}>Rejected</dt>
          <dd className={cx('text-2xl font-semibold tabular-nums', rejected.length ? 'text-red-700' : 'text-slate-500')} data-testid="import-rejected">
            {fmtInt(rejected.length)}
          </dd>
        </div>
      </dl>
      {rejected.length > 0 ? (
        <div>
          <h3 className="mb-2 text-sm font-semibold text-slate-800">Rejected rows</h3>
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
                        <code className="mt-1 block truncate font-mono text-xs text-slate-500" title={lines[r.row]}>
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
          <p className="mt-2 text-xs text-slate-500">Rows are numbered from 1, the first line after the header. The valid rows were imported.</p>
        </div>
      ) : (
        <Alert tone="green">Every row was imported.</Alert>
      )}
    </div>
  );
}

/** Drag-and-drop (or pick) a CSV file, see what is in it, import it and show the outcome. */
export default function ImportLeads({ onImported, onClose }: { onImported: (r: ImportResult) => void; onClose: () => void }) {
  const inputId = useId();
  const hintId = useId();
  const inputRef = useRef<HTMLInputElement>(null);
  const [picked, setPicked] = useState<Picked | null>(null);
  const [pickError, setPickError] = useState<string | null>(null);
  const [dragging, setDragging] = useState(false);

  const imp = useMutation({
    mutationFn: (csv: string) => api.importLeadsCsv(csv),
    onSuccess: (r) => onImported(r),
  });

  async function take(file: File | undefined | null) {
    setPickError(null);
    imp.reset();
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
    setPicked({ name: file.name, size: file.size, text, rows, header: lines[0] ?? '' });
  }

  const onDrop = (e: DragEvent) => {
    e.preventDefault();
    setDragging(false);
    void take(e.dataTransfer.files?.[0]);
  };

  const lines = picked ? splitLines(picked.text) : undefined;

  if (imp.data) {
    return (
      <div className="space-y-4">
        <p className="text-sm text-slate-600">
          Imported <span className="font-medium text-slate-900">{picked?.name}</span>.
        </p>
        <ImportResultView result={imp.data} lines={lines} />
        <div className="flex justify-end gap-2">
          <Button
            onClick={() => {
              setPicked(null);
              imp.reset();
            }}
          >
            Import another file
          </Button>
          <Button variant="primary" onClick={onClose}>
            Done
          </Button>
        </div>
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
          Header row with <code className="font-mono">name,phone,email,company,notes</code>; up to 100,000 rows. A phone that already exists updates that lead.
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
          <p className="font-medium text-slate-900">{picked.name}</p>
          <p className="text-slate-500">
            {plural(picked.rows, 'row')} · {(picked.size / 1024).toFixed(1)} KB
          </p>
          <code className="mt-1 block truncate font-mono text-xs text-slate-500" title="Header row">
            {picked.header || '(empty file)'}
          </code>
        </div>
      )}

      {imp.error && <Alert title="Import failed">{errorMessage(imp.error)}</Alert>}

      <div className="flex justify-end gap-2">
        <Button onClick={onClose}>Cancel</Button>
        <Button variant="primary" disabled={!picked || picked.rows === 0} busy={imp.isPending} onClick={() => picked && imp.mutate(picked.text)}>
          {picked ? `Import ${plural(picked.rows, 'row')}` : 'Import'}
        </Button>
      </div>
    </div>
  );
}
