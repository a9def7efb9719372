import { num, type Numeric } from '../api';

const intFmt = new Intl.NumberFormat('en-US');

export function fmtInt(v: Numeric | null | undefined): string {
  return intFmt.format(Math.round(num(v)));
}

/** Money: costs are small (fractions of a cent per segment), so show up to 4 decimals. */
export function fmtCost(v: Numeric | null | undefined): string {
  const n = num(v);
  const digits = n !== 0 && Math.abs(n) < 1 ? 4 : 2;
  return `$${n.toLocaleString('en-US', { minimumFractionDigits: 2, maximumFractionDigits: digits })}`;
}

/** success_rate may be a fraction (0.97) or a percentage (97); show "97.0%". */
export function fmtPercent(v: Numeric | null | undefined): string {
  let n = num(v);
  if (n > 0 && n <= 1) n *= 100;
  return `${n.toFixed(1)}%`;
}

export function fmtTemperature(t: number | null | undefined): string {
  return (num(t) / 100).toFixed(2);
}

export function fmtDateTime(iso: string | null | undefined): string {
  if (!iso) return '—';
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  return d.toLocaleString('en-US', { dateStyle: 'medium', timeStyle: 'short' });
}

export function fmtTime(iso: string | null | undefined): string {
  if (!iso) return '—';
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  return d.toLocaleTimeString('en-US', { hour12: false, hour: '2-digit', minute: '2-digit', second: '2-digit' });
}

export function fmtRelative(iso: string | null | undefined, now = Date.now()): string {
  if (!iso) return '—';
  const t = new Date(iso).getTime();
  if (Number.isNaN(t)) return iso;
  const s = Math.round((now - t) / 1000);
  const abs = Math.abs(s);
  const rtf = new Intl.RelativeTimeFormat('en', { numeric: 'auto' });
  if (abs < 45) return rtf.format(-s, 'second');
  if (abs < 45 * 60) return rtf.format(-Math.round(s / 60), 'minute');
  if (abs < 22 * 3600) return rtf.format(-Math.round(s / 3600), 'hour');
  return rtf.format(-Math.round(s / 86400), 'day');
}

export function fmtDuration(ms: number): string {
  if (!Number.isFinite(ms)) return '—';
  if (ms < 1) return '<1 ms';
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(ms < 10_000 ? 2 : 1)} s`;
  const m = Math.floor(ms / 60_000);
  return `${m} min ${Math.round((ms % 60_000) / 1000)} s`;
}

export function plural(n: number, one: string, many = `${one}s`): string {
  return `${fmtInt(n)} ${n === 1 ? one : many}`;
}
