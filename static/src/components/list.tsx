// The pieces the list pages share: the filter bar above a list (a search box, "All …" selects),
// the table shell, a paged list's states (loading, error, empty, the rows and Pagination), and
// the Previous / Next page bar of a keyset list.
import { useId, type ReactNode, type ThHTMLAttributes } from 'react';
import type { KeysetPage, Page } from '../api';
import { fmtInt, fmtTotal } from '../lib/format';
import type { Keyset } from '../lib/useListParams';
import { Button, ErrorState, LoadingState, Pagination, Select, TextInput, cx } from './ui';

/** The bar above a list that holds its search box and filters; `className` lays them out. */
export function FilterBar({ className, children }: { className?: string; children: ReactNode }) {
  return <div className={cx(className, 'border-b border-slate-100 px-4 py-3 sm:px-5')}>{children}</div>;
}

/** A search box with a label for screen readers, optionally with a magnifier icon. */
export function SearchField({
  label,
  placeholder,
  value,
  onChange,
  icon = false,
  className,
}: {
  label: string;
  placeholder: string;
  value: string;
  onChange: (value: string) => void;
  icon?: boolean;
  className?: string;
}) {
  const id = useId();
  return (
    <div className={cx(icon && 'relative', 'w-full', className)}>
      <label htmlFor={id} className="sr-only">
        {label}
      </label>
      {icon && (
        <svg className="pointer-events-none absolute left-3 top-1/2 h-4 w-4 -translate-y-1/2 text-slate-500" viewBox="0 0 20 20" fill="currentColor" aria-hidden="true">
          <path fillRule="evenodd" d="M9 3.5a5.5 5.5 0 1 0 3.4 9.83l3.63 3.64a.75.75 0 1 0 1.06-1.06l-3.63-3.64A5.5 5.5 0 0 0 9 3.5zM5 9a4 4 0 1 1 8 0 4 4 0 0 1-8 0z" clipRule="evenodd" />
        </svg>
      )}
      <TextInput id={id} type="search" placeholder={placeholder} value={value} onChange={(e) => onChange(e.target.value)} className={icon ? 'pl-9' : undefined} />
    </div>
  );
}

/**
 * A filter: its label (for screen readers only unless `labelClassName` says otherwise) and a
 * select of "All …" ('') and the options. The caller places the two (they are siblings).
 */
export function FilterSelect({
  label,
  labelClassName = 'sr-only',
  value,
  onChange,
  allLabel,
  options,
  optionLabel = (o) => o,
  className,
}: {
  label: string;
  labelClassName?: string;
  value: string;
  onChange: (value: string) => void;
  allLabel: string;
  options: readonly string[];
  optionLabel?: (option: string) => string;
  className?: string;
}) {
  const id = useId();
  return (
    <>
      <label htmlFor={id} className={labelClassName}>
        {label}
      </label>
      <Select id={id} value={value} onChange={(e) => onChange(e.target.value)} className={className}>
        <option value="">{allLabel}</option>
        {options.map((o) => (
          <option key={o} value={o}>
            {optionLabel(o)}
          </option>
        ))}
      </Select>
    </>
  );
}

/** One filter as a row of toggle chips (aria-pressed): the value is one of `options`. */
export function FilterChips({
  label,
  value,
  options,
  onChange,
  className = 'flex flex-wrap gap-1.5',
}: {
  label: string;
  value: string;
  options: readonly { value: string; label: string }[];
  onChange: (value: string) => void;
  className?: string;
}) {
  return (
    <div className={className} role="group" aria-label={label}>
      {options.map((o) => (
        <button
          key={o.value || 'all'}
          type="button"
          aria-pressed={value === o.value}
          onClick={() => onChange(o.value)}
          className={cx(
            'rounded-full px-3 py-1 text-xs font-medium ring-1 ring-inset',
            value === o.value ? 'bg-indigo-600 text-white ring-indigo-600' : 'bg-white text-slate-600 ring-slate-200 hover:bg-slate-50',
          )}
        >
          {o.label}
        </button>
      ))}
    </div>
  );
}

/** A column header; with `srOnly`, its text is for screen readers only (an actions column). */
export function Th({ className, children, srOnly, ...rest }: ThHTMLAttributes<HTMLTableCellElement> & { srOnly?: boolean }) {
  return (
    <th scope="col" className={cx('py-2.5 font-medium', className)} {...rest}>
      {srOnly ? <span className="sr-only">{children}</span> : children}
    </th>
  );
}

/** A list's table: it scrolls sideways when narrow, a caption for screen readers, the header row (`head`), the rows. */
export function DataTable({ testId, caption, head, children }: { testId: string; caption: ReactNode; head: ReactNode; children: ReactNode }) {
  return (
    <div className="overflow-x-auto">
      <table className="min-w-full text-left text-sm" data-testid={testId}>
        <caption className="sr-only">{caption}</caption>
        <thead className="bg-slate-50 text-xs uppercase tracking-wide text-slate-500">
          <tr>{head}</tr>
        </thead>
        <tbody className="divide-y divide-slate-100">{children}</tbody>
      </table>
    </div>
  );
}

/** What PagedList needs of a list query (a TanStack Query result of a Page). */
export interface PageQuery<T> {
  isLoading: boolean;
  error: unknown;
  data: Page<T> | undefined;
  refetch: () => unknown;
}

/** Where a paged list is: the page size, the first item's offset and how to move. */
export interface Paging {
  limit: number;
  offset: number;
  onOffset: (offset: number) => void;
}

/**
 * A paged list (offset pagination, ?limit=&offset=; or keyset pagination, ?after=, when `keyset`
 * is given and the list answers next_after): loading, the error (or "not available yet" for
 * `feature` at `path`), `empty` when the page has no items, else the items (`children`) and the
 * Pagination under them.
 */
export function PagedList<T>({
  query,
  loading,
  loadingLabel,
  feature,
  path,
  empty,
  paging: { limit, offset, onOffset },
  keyset,
  label,
  children,
}: {
  query: PageQuery<T>;
  /** instead of the query's own isLoading */
  loading?: boolean;
  /** default: "Loading <label>…" */
  loadingLabel?: string;
  feature?: string;
  path?: string;
  empty: ReactNode;
  paging: Paging;
  /** page by keyset instead (the answer's next_after) */
  keyset?: Keyset;
  /** what the items are called in "1–20 of 57 …" */
  label: string;
  children: (page: Page<T>) => ReactNode;
}) {
  if (loading ?? query.isLoading) return <LoadingState label={loadingLabel ?? `Loading ${label}…`} />;
  if (query.error) return <ErrorState error={query.error} onRetry={() => void query.refetch()} feature={feature} path={path} />;
  const data = query.data;
  if (!data) return null;
  if (data.items.length === 0) return <>{empty}</>;
  return (
    <>
      {children(data)}
      {keyset && 'next_after' in data ? (
        <KeysetPagination
          keyset={keyset}
          total={data.total}
          estimate={data.total_is_estimate}
          count={data.items.length}
          limit={limit}
          nextAfter={(data as KeysetPage<T>).next_after === null ? null : String((data as KeysetPage<T>).next_after)}
          label={label}
        />
      ) : (
        <Pagination
          total={data.total}
          estimate={data.total_is_estimate}
          hasMore={data.has_more}
          count={data.items.length}
          limit={limit}
          offset={offset}
          onChange={onOffset}
          label={label}
        />
      )}
    </>
  );
}

/**
 * The paging of a keyset list (?after=, the answer's next_after): where this page is ("51–100 of
 * 123 opt-outs", or "50 of 123" when the page number is not known), Previous and Next page.
 */
export function KeysetPagination({
  keyset,
  total,
  estimate,
  count,
  limit,
  nextAfter,
  label = 'items',
}: {
  keyset: Keyset;
  total: number;
  /** the total is an estimate (a frequent search term) */
  estimate?: boolean;
  /** the items on this page */
  count: number;
  limit: number;
  nextAfter: string | null;
  label?: string;
}) {
  if (total === 0) return null;
  const from = keyset.page === null ? null : (keyset.page - 1) * limit + 1;
  const of = `of ${fmtTotal(total, estimate)} ${label}`;
  return (
    <nav className="flex flex-wrap items-center justify-between gap-3 border-t border-slate-100 px-4 py-3 text-sm sm:px-5" aria-label="Pagination">
      <p className="text-slate-500" aria-live="polite">
        {from === null ? `${fmtInt(count)} ${of}` : `${fmtInt(from)}–${fmtInt(from + count - 1)} ${of}`}
      </p>
      <div className="flex items-center gap-2">
        <Button size="sm" onClick={() => keyset.previous()} disabled={!keyset.hasPrevious}>
          <span aria-hidden="true">←</span> Previous
        </Button>
        <Button size="sm" onClick={() => nextAfter && keyset.next(nextAfter)} disabled={!nextAfter}>
          Next page <span aria-hidden="true">→</span>
        </Button>
      </div>
    </nav>
  );
}
