import { num, type Numeric } from '../api';

const intFmt = new Intl.NumberFormat('en-US');

export function fmtInt(v: Numeric | null | undefined): string {
  return intFmt.format(Math.round(num(v)));
}

/**
 * Money, in one format everywhere (every page uses this): US dollars with 4 decimals, the
 * precision the API keeps (a segment costs fractions of a cent): "$0.0079", "$1,234.5600".
 */
const costFmt = new Intl.NumberFormat('en-US', { minimumFractionDigits: 4, maximumFractionDigits: 4 });
export function fmtCost(v: Numeric | null | undefined): string {
  return `$${costFmt.format(num(v))}`;
}

/** A percentage as the API gives it (success_rate: 0–100); null (nothing to rate yet) is "—". */
export function fmtPercent(v: Numeric | null | undefined): string {
  if (v === null || v === undefined || v === '') return '—';
  return `${num(v).toFixed(1)}%`;
}

/** Messages per second; null (too few sends to tell) is "—". */
export function fmtRate(v: Numeric | null | undefined): string {
  if (v === null || v === undefined || v === '') return '—';
  const n = num(v);
  return `${n < 1 ? n.toFixed(2) : n < 10 ? n.toFixed(1) : fmtInt(n)} msg/s`;
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

const rateFmt = new Intl.NumberFormat('en-US', { maximumFractionDigits: 2 });

/** A sender's (or a pool's) pace: "1 segment/s", "3 segments/s", "0.5 segments/s"; null is "—". */
export function fmtSegmentsPerSecond(v: Numeric | null | undefined): string {
  if (v === null || v === undefined || v === '') return '—';
  const n = num(v);
  return `${rateFmt.format(n)} ${n === 1 ? 'segment' : 'segments'}/s`;
}

/** An estimated time left, rounded as estimates are: "about 20 s", "about 3 min", "about 2 h 5 min", "about 1 d 3 h" (never under "about 1 s"). */
export function fmtEta(seconds: Numeric | null | undefined): string {
  if (seconds === null || seconds === undefined || seconds === '') return '—';
  const s = num(seconds);
  if (s < 59.5) return `about ${Math.max(1, Math.round(s))} s`;
  const minutes = Math.round(s / 60);
  if (minutes < 60) return `about ${minutes} min`;
  if (minutes < 24 * 60) {
    const h = Math.floor(minutes / 60);
    const m = minutes % 60;
    return m ? `about ${h} h ${m} min` : `about ${h} h`;
  }
  const hours = Math.round(s / 3600);
  const d = Math.floor(hours / 24);
  const h = hours % 24;
  return h ? `about ${d} d ${h} h` : `about ${d} d`;
}

/** A call's length as a clock shows it: "0:42", "12:05", "1:02:03"; null is "—". */
export function fmtCallDuration(seconds: Numeric | null | undefined): string {
  if (seconds === null || seconds === undefined || seconds === '') return '—';
  const s = Math.max(0, Math.round(num(seconds)));
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const ss = String(s % 60).padStart(2, '0');
  return h > 0 ? `${h}:${String(m).padStart(2, '0')}:${ss}` : `${m}:${ss}`;
}

/** A both campaign's call delay after the SMS: "At once", "1 h 30 min", "2 d", "45 s". */
export function fmtCallDelay(seconds: Numeric | null | undefined): string {
  const s = Math.max(0, Math.round(num(seconds ?? 0)));
  if (s === 0) return 'At once';
  const parts: string[] = [];
  const d = Math.floor(s / 86400);
  const h = Math.floor((s % 86400) / 3600);
  const m = Math.floor((s % 3600) / 60);
  const ss = s % 60;
  if (d) parts.push(`${d} d`);
  if (h) parts.push(`${h} h`);
  if (m) parts.push(`${m} min`);
  if (ss) parts.push(`${ss} s`);
  return parts.join(' ');
}

/** How long a script takes to say: "about 17 s", "about 1 min 5 s". */
export function fmtSpoken(seconds: Numeric | null | undefined): string {
  const s = Math.max(0, Math.round(num(seconds)));
  if (s < 60) return `about ${s} s`;
  const rest = s % 60;
  return rest ? `about ${Math.floor(s / 60)} min ${rest} s` : `about ${Math.floor(s / 60)} min`;
}

/** Call minutes, one decimal as the API keeps them: "1.1 min". */
export function fmtMinutes(v: Numeric | null | undefined): string {
  return `${num(v).toLocaleString('en-US', { minimumFractionDigits: 1, maximumFractionDigits: 1 })} min`;
}

/** A voice campaign's pace: "1 call/s", "2.5 calls/s"; null is "—". */
export function fmtCallsPerSecond(v: Numeric | null | undefined): string {
  if (v === null || v === undefined || v === '') return '—';
  const n = num(v);
  return `${rateFmt.format(n)} ${n === 1 ? 'call' : 'calls'}/s`;
}

/** A list's total: "1,234", or "about 12,000" for an estimate (the answer's total_is_estimate). */
export function fmtTotal(total: number, estimate?: boolean): string {
  return estimate ? `about ${fmtInt(total)}` : fmtInt(total);
}
