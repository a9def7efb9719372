import {
  Fragment,
  useEffect,
  useId,
  useRef,
  type ButtonHTMLAttributes,
  type InputHTMLAttributes,
  type ReactNode,
  type SelectHTMLAttributes,
  type TextareaHTMLAttributes,
} from 'react';
import { ApiError, errorMessage } from '../api';
import { callStatusMeta, campaignStatusMeta, leadStatusMeta, phoneStatusMeta, type Tone } from '../lib/status';
import { fmtDateTime, fmtInt, fmtTotal } from '../lib/format';

export function cx(...parts: (string | false | null | undefined)[]): string {
  return parts.filter(Boolean).join(' ');
}

// ---------------------------------------------------------------- buttons

type Variant = 'primary' | 'secondary' | 'danger' | 'ghost' | 'success';

const VARIANTS: Record<Variant, string> = {
  primary: 'bg-indigo-600 text-white hover:bg-indigo-700 shadow-sm disabled:bg-indigo-300',
  success: 'bg-emerald-700 text-white hover:bg-emerald-800 shadow-sm disabled:bg-emerald-300',
  secondary:
    'bg-white text-slate-700 ring-1 ring-inset ring-slate-300 hover:bg-slate-50 shadow-sm disabled:text-slate-500',
  danger: 'bg-white text-red-700 ring-1 ring-inset ring-red-300 hover:bg-red-50 shadow-sm disabled:text-red-300',
  ghost: 'text-slate-600 hover:bg-slate-100 hover:text-slate-900 disabled:text-slate-500',
};

export function Button({
  variant = 'secondary',
  size = 'md',
  busy = false,
  className,
  children,
  disabled,
  type = 'button',
  ...rest
}: ButtonHTMLAttributes<HTMLButtonElement> & { variant?: Variant; size?: 'sm' | 'md'; busy?: boolean }) {
  return (
    <button
      type={type}
      disabled={disabled || busy}
      aria-busy={busy || undefined}
      className={cx(
        'inline-flex items-center justify-center gap-1.5 rounded-lg font-medium transition-colors',
        'focus-visible:outline-2 focus-visible:outline-offset-2 focus-visible:outline-indigo-500 disabled:cursor-not-allowed',
        size === 'sm' ? 'px-2.5 py-1.5 text-xs' : 'px-3.5 py-2 text-sm',
        VARIANTS[variant],
        className,
      )}
      {...rest}
    >
      {busy && <Spinner className="h-3.5 w-3.5" />}
      {children}
    </button>
  );
}

// ---------------------------------------------------------------- badges & bars

const TONES: Record<Tone, string> = {
  slate: 'bg-slate-100 text-slate-700 ring-slate-500/20',
  zinc: 'bg-zinc-100 text-zinc-600 ring-zinc-500/20',
  blue: 'bg-blue-50 text-blue-700 ring-blue-600/20',
  indigo: 'bg-indigo-50 text-indigo-700 ring-indigo-600/20',
  violet: 'bg-violet-50 text-violet-700 ring-violet-600/20',
  amber: 'bg-amber-50 text-amber-800 ring-amber-600/20',
  orange: 'bg-orange-50 text-orange-700 ring-orange-600/20',
  green: 'bg-emerald-50 text-emerald-700 ring-emerald-600/20',
  red: 'bg-red-50 text-red-700 ring-red-600/20',
};

const DOTS: Record<Tone, string> = {
  slate: 'bg-slate-400',
  zinc: 'bg-zinc-400',
  blue: 'bg-blue-500',
  indigo: 'bg-indigo-500',
  violet: 'bg-violet-500',
  amber: 'bg-amber-500',
  orange: 'bg-orange-500',
  green: 'bg-emerald-500',
  red: 'bg-red-500',
};

export function toneDot(t: Tone): string {
  return DOTS[t];
}

export function Badge({ tone = 'slate', children, title, pulse }: { tone?: Tone; children: ReactNode; title?: string; pulse?: boolean }) {
  return (
    <span
      title={title}
      className={cx(
        'inline-flex items-center gap-1.5 whitespace-nowrap rounded-full px-2 py-0.5 text-xs font-medium ring-1 ring-inset',
        TONES[tone],
      )}
    >
      <span className={cx('h-1.5 w-1.5 rounded-full', DOTS[tone], pulse && 'animate-pulse')} aria-hidden="true" />
      {children}
    </span>
  );
}

export function CampaignStatusBadge({ status }: { status: string }) {
  const m = campaignStatusMeta(status);
  return (
    <Badge tone={m.tone} title={m.help} pulse={status === 'processing'}>
      {m.label}
    </Badge>
  );
}

export function LeadStatusBadge({ status }: { status: string }) {
  const m = leadStatusMeta(status);
  return (
    <Badge tone={m.tone} title={m.help}>
      {m.label}
    </Badge>
  );
}

/** A campaign lead's call in words ("Answered", "Voicemail", "No answer", "Logged (offline)"…); nothing before it is placed. */
export function CallStatusBadge({ status, answeredBy }: { status: string | null | undefined; answeredBy?: string | null }) {
  if (!status) return null;
  const m = callStatusMeta(status, answeredBy);
  return (
    <span data-testid="call-status" data-call-status={status} className="inline-flex">
      <Badge tone={m.tone} title={m.help || undefined} pulse={status === 'calling' || status === 'ringing' || status === 'in-progress'}>
        {m.label}
      </Badge>
    </span>
  );
}

/** A lead's phone the SMS provider found not textable ("Invalid number", "Not a mobile"); nothing when it is fine. */
export function PhoneStatusBadge({ status, at }: { status: string | null | undefined; at?: string | null }) {
  if (!status) return null;
  const m = phoneStatusMeta(status);
  return (
    <span data-testid="phone-status" data-phone-status={status} className="inline-flex">
      <Badge tone={m.tone} title={at ? `${m.help} Reported ${fmtDateTime(at)}.` : m.help || undefined}>
        {m.label}
      </Badge>
    </span>
  );
}

export function ProgressBar({
  value,
  max,
  label,
  tone = 'indigo',
  className,
}: {
  value: number;
  max: number;
  label: string;
  tone?: 'indigo' | 'green' | 'amber';
  className?: string;
}) {
  const pct = max > 0 ? Math.min(100, (value / max) * 100) : 0;
  const color = tone === 'green' ? 'bg-emerald-500' : tone === 'amber' ? 'bg-amber-500' : 'bg-indigo-500';
  return (
    <div
      role="progressbar"
      aria-label={label}
      aria-valuemin={0}
      aria-valuemax={max}
      aria-valuenow={value}
      aria-valuetext={`${fmtInt(value)} of ${fmtInt(max)} (${pct.toFixed(0)}%)`}
      className={cx('h-2 w-full overflow-hidden rounded-full bg-slate-200', className)}
    >
      <div className={cx('h-full rounded-full transition-[width] duration-500', color)} style={{ width: `${pct}%` }} />
    </div>
  );
}

// ---------------------------------------------------------------- layout bits

export function Card({
  children,
  className,
  as: As = 'section',
  ...rest
}: {
  children: ReactNode;
  className?: string;
  as?: 'section' | 'div' | 'article';
  'aria-labelledby'?: string;
  'data-testid'?: string;
}) {
  return (
    <As className={cx('rounded-xl border border-slate-200 bg-white shadow-sm', className)} {...rest}>
      {children}
    </As>
  );
}

export function CardHeader({ title, id, children, subtitle }: { title: ReactNode; id?: string; children?: ReactNode; subtitle?: ReactNode }) {
  return (
    <div className="flex flex-wrap items-center justify-between gap-3 border-b border-slate-100 px-4 py-3 sm:px-5">
      <div className="min-w-0">
        <h2 id={id} className="text-sm font-semibold text-slate-900">
          {title}
        </h2>
        {subtitle && <p className="mt-0.5 text-xs text-slate-500">{subtitle}</p>}
      </div>
      {children && <div className="flex flex-wrap items-center gap-2">{children}</div>}
    </div>
  );
}

export function PageHeader({ title, description, actions }: { title: ReactNode; description?: ReactNode; actions?: ReactNode }) {
  return (
    <div className="mb-6 flex flex-col gap-3 sm:flex-row sm:items-end sm:justify-between">
      <div className="min-w-0">
        <h1 className="truncate text-2xl font-semibold tracking-tight text-slate-900">{title}</h1>
        {description && <div className="mt-1 text-sm text-slate-500">{description}</div>}
      </div>
      {actions && <div className="flex flex-wrap gap-2">{actions}</div>}
    </div>
  );
}

export function Spinner({ className = 'h-5 w-5' }: { className?: string }) {
  return (
    <svg className={cx('animate-spin', className)} viewBox="0 0 24 24" fill="none" aria-hidden="true">
      <circle className="opacity-25" cx="12" cy="12" r="10" stroke="currentColor" strokeWidth="4" />
      <path className="opacity-75" fill="currentColor" d="M4 12a8 8 0 0 1 8-8v4a4 4 0 0 0-4 4H4z" />
    </svg>
  );
}

export function LoadingState({ label = 'Loading…', className }: { label?: string; className?: string }) {
  return (
    <div role="status" className={cx('flex items-center justify-center gap-2 py-10 text-sm text-slate-500', className)}>
      <Spinner className="h-4 w-4" />
      {label}
    </div>
  );
}

export function EmptyState({ title, children, action }: { title: string; children?: ReactNode; action?: ReactNode }) {
  return (
    <div className="flex flex-col items-center justify-center gap-2 px-4 py-12 text-center">
      <svg className="h-10 w-10 text-slate-300" viewBox="0 0 24 24" fill="none" stroke="currentColor" strokeWidth="1.5" aria-hidden="true">
        <path d="M3 7.5 12 3l9 4.5M3 7.5v9L12 21m-9-13.5L12 12m9-4.5v9L12 21m9-13.5L12 12m0 9v-9" strokeLinejoin="round" />
      </svg>
      <p className="text-sm font-medium text-slate-700">{title}</p>
      {children && <div className="max-w-md text-sm text-slate-500">{children}</div>}
      {action && <div className="mt-2">{action}</div>}
    </div>
  );
}

/** The "this server does not provide that API yet" state: honest, never fake data. */
export function NotAvailable({ feature, path }: { feature: string; path?: string }) {
  return (
    <div role="status" className="flex flex-col items-center gap-2 px-4 py-12 text-center" data-testid="not-available">
      <span className="rounded-full bg-slate-100 px-3 py-1 text-xs font-medium text-slate-600">Not available yet</span>
      <p className="text-sm font-medium text-slate-800">{feature} isn't available on this server yet.</p>
      <p className="max-w-md text-sm text-slate-500">
        The API answered <code className="rounded bg-slate-100 px-1 font-mono text-xs text-slate-700">404 Not Found</code>
        {path ? (
          <>
            {' '}for <code className="rounded bg-slate-100 px-1 font-mono text-xs text-slate-700">{path}</code>
          </>
        ) : null}
        . It will appear here as soon as the backend provides it.
      </p>
    </div>
  );
}

export function ErrorState({ error, onRetry, feature, path }: { error: unknown; onRetry?: () => void; feature?: string; path?: string }) {
  if (error instanceof ApiError && error.notAvailable && feature) return <NotAvailable feature={feature} path={path} />;
  return (
    <div role="alert" className="flex flex-col items-center gap-3 px-4 py-10 text-center">
      <p className="text-sm font-medium text-red-700">{errorMessage(error)}</p>
      {onRetry && (
        <Button size="sm" onClick={onRetry}>
          Try again
        </Button>
      )}
    </div>
  );
}

export function Alert({ tone = 'red', title, children }: { tone?: 'red' | 'amber' | 'green' | 'blue'; title?: string; children: ReactNode }) {
  const cls = {
    red: 'border-red-200 bg-red-50 text-red-800',
    amber: 'border-amber-200 bg-amber-50 text-amber-900',
    green: 'border-emerald-200 bg-emerald-50 text-emerald-800',
    blue: 'border-blue-200 bg-blue-50 text-blue-800',
  }[tone];
  return (
    <div role={tone === 'red' ? 'alert' : 'status'} className={cx('rounded-lg border px-3 py-2 text-sm', cls)}>
      {title && <p className="font-semibold">{title}</p>}
      <div>{children}</div>
    </div>
  );
}

// ---------------------------------------------------------------- form fields

const inputBase =
  'block w-full rounded-lg border-0 bg-white px-3 py-2 text-sm text-slate-900 shadow-sm ring-1 ring-inset placeholder:text-slate-500 focus:ring-2 focus:ring-inset focus:outline-none disabled:bg-slate-50 disabled:text-slate-500';

export function inputClass(invalid?: boolean): string {
  return cx(inputBase, invalid ? 'ring-red-400 focus:ring-red-500' : 'ring-slate-300 focus:ring-indigo-500');
}

interface FieldProps {
  label: ReactNode;
  error?: string;
  hint?: ReactNode;
  required?: boolean;
  children: (ids: { id: string; describedBy?: string; invalid: boolean }) => ReactNode;
  className?: string;
}

/** A label, the control (render prop), a hint and the field's error, wired with ids for screen readers. */
export function Field({ label, error, hint, required, children, className }: FieldProps) {
  const id = useId();
  const hintId = hint ? `${id}-hint` : undefined;
  const errId = error ? `${id}-error` : undefined;
  const describedBy = [errId, hintId].filter(Boolean).join(' ') || undefined;
  return (
    <div className={className}>
      <label htmlFor={id} className="mb-1 block text-sm font-medium text-slate-700">
        {label}
        {required && (
          <span className="ml-0.5 text-red-600" aria-hidden="true">
            *
          </span>
        )}
      </label>
      {children({ id, describedBy, invalid: !!error })}
      {error && (
        <p id={errId} className="mt-1 text-xs font-medium text-red-600" data-field-error>
          {error}
        </p>
      )}
      {hint && !error && (
        <p id={hintId} className="mt-1 text-xs text-slate-500">
          {hint}
        </p>
      )}
    </div>
  );
}

export function TextInput({ invalid, className, ...rest }: InputHTMLAttributes<HTMLInputElement> & { invalid?: boolean }) {
  return <input aria-invalid={invalid || undefined} className={cx(inputClass(invalid), className)} {...rest} />;
}

export function TextArea({ invalid, className, ...rest }: TextareaHTMLAttributes<HTMLTextAreaElement> & { invalid?: boolean }) {
  return <textarea aria-invalid={invalid || undefined} className={cx(inputClass(invalid), className)} {...rest} />;
}

export function Select({ invalid, className, children, ...rest }: SelectHTMLAttributes<HTMLSelectElement> & { invalid?: boolean }) {
  return (
    <select aria-invalid={invalid || undefined} className={cx(inputClass(invalid), 'pr-8', className)} {...rest}>
      {children}
    </select>
  );
}

/** A form's Cancel and submit buttons, on the right. */
export function FormActions({
  onCancel,
  submitLabel,
  busy,
  disabled,
  className,
}: {
  onCancel: () => void;
  submitLabel: ReactNode;
  busy?: boolean;
  disabled?: boolean;
  className?: string;
}) {
  return (
    <div className={cx('flex justify-end gap-2', className)}>
      <Button onClick={onCancel}>Cancel</Button>
      <Button type="submit" variant="primary" busy={busy} disabled={disabled}>
        {submitLabel}
      </Button>
    </div>
  );
}

// ---------------------------------------------------------------- modal

const FOCUSABLE = 'a[href], button:not([disabled]), input:not([disabled]), select:not([disabled]), textarea:not([disabled]), [tabindex]:not([tabindex="-1"])';

/** Tab on the last of `items` goes to the first, Shift+Tab on the first to the last (focus stays in a dialog). */
export function wrapTab(e: { shiftKey: boolean; preventDefault: () => void }, items: HTMLElement[]) {
  if (items.length === 0) return;
  const first = items[0];
  const last = items[items.length - 1];
  if (e.shiftKey && document.activeElement === first) {
    e.preventDefault();
    last.focus();
  } else if (!e.shiftKey && document.activeElement === last) {
    e.preventDefault();
    first.focus();
  }
}

/** An accessible modal dialog: focus moves in and is kept there, Escape closes, focus returns on close. */
export function Modal({
  title,
  onClose,
  children,
  footer,
  size = 'md',
  description,
}: {
  title: ReactNode;
  onClose: () => void;
  children: ReactNode;
  footer?: ReactNode;
  size?: 'sm' | 'md' | 'lg' | 'xl';
  description?: ReactNode;
}) {
  const ref = useRef<HTMLDivElement>(null);
  const titleId = useId();
  const descId = useId();
  const onCloseRef = useRef(onClose);
  onCloseRef.current = onClose;

  useEffect(() => {
    const previous = document.activeElement as HTMLElement | null;
    const node = ref.current;
    const first = node?.querySelector<HTMLElement>('[data-autofocus]') ?? node?.querySelector<HTMLElement>(FOCUSABLE);
    (first ?? node)?.focus();
    const onKey = (e: KeyboardEvent) => {
      if (e.key === 'Escape') {
        e.stopPropagation();
        onCloseRef.current();
      } else if (e.key === 'Tab' && node) {
        wrapTab(e, Array.from(node.querySelectorAll<HTMLElement>(FOCUSABLE)).filter((el) => el.offsetParent !== null || el === document.activeElement));
      }
    };
    document.addEventListener('keydown', onKey);
    const overflow = document.body.style.overflow;
    document.body.style.overflow = 'hidden';
    return () => {
      document.removeEventListener('keydown', onKey);
      document.body.style.overflow = overflow;
      previous?.focus?.();
    };
  }, []);

  const width = { sm: 'max-w-md', md: 'max-w-lg', lg: 'max-w-2xl', xl: 'max-w-4xl' }[size];
  return (
    <div className="fixed inset-0 z-50 flex items-end justify-center p-0 sm:items-center sm:p-4">
      <div className="absolute inset-0 bg-slate-900/40 backdrop-blur-[1px]" aria-hidden="true" onClick={onClose} />
      <div
        ref={ref}
        role="dialog"
        aria-modal="true"
        aria-labelledby={titleId}
        aria-describedby={description ? descId : undefined}
        tabIndex={-1}
        className={cx(
          'relative flex max-h-[92vh] w-full flex-col rounded-t-2xl bg-white shadow-xl sm:rounded-2xl',
          width,
        )}
      >
        <div className="flex items-start justify-between gap-4 border-b border-slate-100 px-5 py-4">
          <div className="min-w-0">
            <h2 id={titleId} className="text-base font-semibold text-slate-900">
              {title}
            </h2>
            {description && (
              <p id={descId} className="mt-0.5 text-sm text-slate-500">
                {description}
              </p>
            )}
          </div>
          <button
            type="button"
            onClick={onClose}
            className="-m-1 rounded-md p-1 text-slate-500 hover:bg-slate-100 hover:text-slate-600"
            aria-label="Close dialog"
          >
            <svg className="h-5 w-5" viewBox="0 0 20 20" fill="currentColor" aria-hidden="true">
              <path d="M6.28 5.22a.75.75 0 0 0-1.06 1.06L8.94 10l-3.72 3.72a.75.75 0 1 0 1.06 1.06L10 11.06l3.72 3.72a.75.75 0 1 0 1.06-1.06L11.06 10l3.72-3.72a.75.75 0 0 0-1.06-1.06L10 8.94 6.28 5.22z" />
            </svg>
          </button>
        </div>
        <div className="min-h-0 flex-1 overflow-y-auto px-5 py-4">{children}</div>
        {footer && <div className="flex flex-wrap justify-end gap-2 border-t border-slate-100 px-5 py-3">{footer}</div>}
      </div>
    </div>
  );
}

/**
 * A question with "Keep it" and the confirming button. With `form`, the body is a form
 * (choices the confirmation takes into account) that the confirming button submits.
 */
export function ConfirmDialog({
  title,
  children,
  confirmLabel,
  onConfirm,
  onClose,
  busy,
  error,
  tone = 'danger',
  form = false,
}: {
  title: string;
  children: ReactNode;
  confirmLabel: string;
  onConfirm: () => void;
  onClose: () => void;
  busy?: boolean;
  error?: unknown;
  tone?: 'danger' | 'primary';
  form?: boolean;
}) {
  const formId = useId();
  const body = (
    <>
      {children}
      {error ? <Alert>{errorMessage(error)}</Alert> : null}
    </>
  );
  return (
    <Modal
      title={title}
      onClose={onClose}
      size="sm"
      footer={
        <>
          <Button onClick={onClose} data-autofocus>
            Keep it
          </Button>
          <Button
            type={form ? 'submit' : 'button'}
            form={form ? formId : undefined}
            onClick={form ? undefined : onConfirm}
            variant="primary"
            className={tone === 'danger' ? '!bg-red-600 hover:!bg-red-700' : undefined}
            busy={busy}
          >
            {confirmLabel}
          </Button>
        </>
      }
    >
      {form ? (
        <form
          id={formId}
          className="space-y-3 text-sm text-slate-600"
          onSubmit={(e) => {
            e.preventDefault();
            onConfirm();
          }}
        >
          {body}
        </form>
      ) : (
        <div className="space-y-3 text-sm text-slate-600">{body}</div>
      )}
    </Modal>
  );
}

// ---------------------------------------------------------------- pagination

export function Pagination({
  total,
  estimate,
  hasMore,
  count,
  limit,
  offset,
  onChange,
  label = 'items',
}: {
  total: number;
  /** the total is an estimate (the page count is not known) */
  estimate?: boolean;
  /** whether a page follows (when the list says) */
  hasMore?: boolean;
  /** the items on this page (when the list says) */
  count?: number;
  limit: number;
  offset: number;
  onChange: (offset: number) => void;
  label?: string;
}) {
  if (total === 0) return null;
  const from = offset + 1;
  const to = count !== undefined ? offset + count : Math.min(offset + limit, total);
  const page = Math.floor(offset / limit) + 1;
  const pages = Math.max(1, Math.ceil(total / limit));
  const more = hasMore ?? offset + limit < total;
  return (
    <nav className="flex flex-wrap items-center justify-between gap-3 border-t border-slate-100 px-4 py-3 text-sm sm:px-5" aria-label="Pagination">
      <p className="text-slate-500" aria-live="polite">
        {fmtInt(from)}–{fmtInt(to)} of {fmtTotal(total, estimate)} {label}
      </p>
      <div className="flex items-center gap-2">
        <Button size="sm" onClick={() => onChange(Math.max(0, offset - limit))} disabled={offset <= 0}>
          <span aria-hidden="true">←</span> Previous
        </Button>
        <span className="text-xs text-slate-500">{estimate ? `Page ${page}` : `Page ${page} of ${pages}`}</span>
        <Button size="sm" onClick={() => onChange(offset + limit)} disabled={!more}>
          Next <span aria-hidden="true">→</span>
        </Button>
      </div>
    </nav>
  );
}

export function Stat({ label, value, sub, tone, testId }: { label: string; value: ReactNode; sub?: ReactNode; tone?: 'green' | 'red' | 'amber'; testId?: string }) {
  const color = tone === 'green' ? 'text-emerald-600' : tone === 'red' ? 'text-red-600' : tone === 'amber' ? 'text-amber-600' : 'text-slate-900';
  return (
    <div className="rounded-xl border border-slate-200 bg-white p-4 shadow-sm" data-testid={testId}>
      <dt className="truncate text-xs font-medium uppercase tracking-wide text-slate-500">{label}</dt>
      <dd className={cx('mt-1 text-2xl font-semibold tabular-nums', color)}>{value}</dd>
      {sub && <dd className="mt-0.5 text-xs text-slate-500">{sub}</dd>}
    </div>
  );
}

// ---------------------------------------------------------------- e-mail addresses

/**
 * An e-mail address that wraps only before an "@" or a "." (never in the middle of a word,
 * unless one part alone is wider than the space), the whole address in its title.
 */
export function EmailAddress({ email, className }: { email: string; className?: string }) {
  const parts = email.split(/(?=[@.])/);
  return (
    <span title={email} className={cx('[overflow-wrap:break-word]', className)}>
      {parts.map((p, i) => (
        <Fragment key={i}>
          {i > 0 && <wbr />}
          {p}
        </Fragment>
      ))}
    </span>
  );
}

/** The buttons under a finished action's result (an import, phones added): do it again, or close. */
export function AgainOrDone({ again, onAgain, onDone }: { again: string; onAgain: () => void; onDone: () => void }) {
  return (
    <div className="flex flex-wrap justify-end gap-2">
      <Button onClick={onAgain}>{again}</Button>
      <Button variant="primary" onClick={onDone}>
        Done
      </Button>
    </div>
  );
}
