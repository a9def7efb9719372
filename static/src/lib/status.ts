import {
  LEAD_STATUSES,
  num,
  type Campaign,
  type CampaignCalls,
  type CampaignLead,
  type CampaignLeadStatus,
  type CampaignStats,
  type CampaignStatus,
  type CampaignWaiting,
  type Intent,
  type OptOutSource,
  type PhoneStatus,
  type SenderKind,
} from '../api';
import { fmtDateTime, fmtInt } from './format';

export type Tone = 'slate' | 'blue' | 'indigo' | 'amber' | 'green' | 'red' | 'violet' | 'zinc' | 'orange';

export const CAMPAIGN_STATUS_META: Record<CampaignStatus, { label: string; tone: Tone; help: string }> = {
  draft: { label: 'Draft', tone: 'slate', help: 'Being prepared; not sending.' },
  scheduled: { label: 'Scheduled', tone: 'violet', help: 'Starts automatically at its scheduled time.' },
  pending: { label: 'Pending', tone: 'amber', help: 'Queued; a worker picks it up shortly.' },
  processing: { label: 'Processing', tone: 'blue', help: 'Messages are being written and sent.' },
  paused: { label: 'Paused', tone: 'orange', help: 'Stopped for now; unsent leads stay pending.' },
  completed: { label: 'Completed', tone: 'green', help: 'Every lead has been processed.' },
  failed: { label: 'Failed', tone: 'red', help: 'Stopped because of an error.' },
  cancelled: { label: 'Cancelled', tone: 'zinc', help: 'Stopped for good; unsent leads were cancelled.' },
};

export const LEAD_STATUS_META: Record<CampaignLeadStatus, { label: string; tone: Tone; help: string }> = {
  pending: { label: 'Pending', tone: 'slate', help: 'Waiting to be processed.' },
  processing: { label: 'Processing', tone: 'blue', help: 'Being validated and written.' },
  sending: { label: 'Sending', tone: 'indigo', help: 'Handed to the SMS provider.' },
  sent: { label: 'Sent', tone: 'green', help: 'Accepted by the SMS provider.' },
  delivered: { label: 'Delivered', tone: 'green', help: 'The carrier confirmed delivery.' },
  undelivered: { label: 'Undelivered', tone: 'orange', help: 'The carrier could not deliver it.' },
  failed: { label: 'Failed', tone: 'red', help: 'Could not be sent; see the error.' },
  skipped: { label: 'Skipped', tone: 'amber', help: 'Did not pass validation (e.g. opted out).' },
  cancelled: { label: 'Cancelled', tone: 'zinc', help: 'The campaign was cancelled before sending.' },
  unknown: { label: 'Unknown', tone: 'violet', help: 'The provider may or may not have sent it; needs an operator.' },
};

/** A message's status where it differs from a campaign lead's: the reply agent's drafts, replies queued. */
const MESSAGE_STATUS_META: Record<string, { label: string; tone: Tone; help: string }> = {
  draft: { label: 'Draft', tone: 'amber', help: 'Written by the reply agent: approve, edit or reject it.' },
  queued: { label: 'Queued', tone: 'slate', help: 'The workers send it shortly.' },
};

export function messageStatusMeta(s: string) {
  return MESSAGE_STATUS_META[s] ?? leadStatusMeta(s);
}

export const INTENT_META: Record<Intent, { label: string; tone: Tone }> = {
  interested: { label: 'Interested', tone: 'green' },
  question: { label: 'Question', tone: 'blue' },
  not_interested: { label: 'Not interested', tone: 'zinc' },
  opt_out: { label: 'Opt-out', tone: 'red' },
  wrong_number: { label: 'Wrong number', tone: 'orange' },
  other: { label: 'Other', tone: 'slate' },
};

/** How a phone came onto the suppression list; a source the UI does not know shows as it is. */
export const OPT_OUT_SOURCE_META: Record<OptOutSource, { label: string; tone: Tone; help: string }> = {
  sms: { label: 'Replied STOP', tone: 'red', help: 'Replied a stop keyword (STOP, UNSUBSCRIBE, …).' },
  reply: { label: 'Asked to stop', tone: 'orange', help: 'Asked in other words not to be texted again.' },
  manual: { label: 'By hand', tone: 'slate', help: 'Added to the list by someone using smscamp.' },
  import: { label: 'Imported', tone: 'blue', help: 'Added from a CSV file.' },
  carrier: { label: 'Carrier', tone: 'violet', help: 'The carrier reported the number as opted out or not reachable.' },
};

/** A sender's kind in words, with the pace carriers allow it (the default rate). */
export const SENDER_KIND_META: Record<SenderKind, { label: string; help: string }> = {
  long_code: { label: 'Long code', help: 'An ordinary 10-digit number: about 1 segment per second in the US.' },
  toll_free: { label: 'Toll-free', help: 'An 8XX number: about 3 segments per second once verified.' },
  short_code: { label: 'Short code', help: 'A 5- or 6-digit number: 100 segments per second or more.' },
  alphanumeric: { label: 'Alphanumeric sender ID', help: 'A name instead of a number (not in the US or Canada); recipients cannot reply.' },
  messaging_service: { label: 'Messaging Service', help: 'A Twilio Messaging Service: Twilio picks a number of its pool for each message.' },
};

export function senderKindMeta(k: string) {
  return SENDER_KIND_META[k as SenderKind] ?? { label: k, help: '' };
}

/** Lead.phone_status in words: the provider found the phone not textable. */
export const PHONE_STATUS_META: Record<PhoneStatus, { label: string; tone: Tone; help: string }> = {
  invalid: { label: 'Invalid number', tone: 'red', help: 'The SMS provider reported the number as not valid (error 21211): later campaigns skip this lead.' },
  not_mobile: { label: 'Not a mobile', tone: 'orange', help: 'The SMS provider reported the number as a landline or otherwise unable to get texts (error 21614): later campaigns skip this lead.' },
};

export function phoneStatusMeta(s: string) {
  return PHONE_STATUS_META[s as PhoneStatus] ?? { label: s, tone: 'zinc' as Tone, help: '' };
}

export function optOutSourceMeta(s: string) {
  return OPT_OUT_SOURCE_META[s as OptOutSource] ?? { label: s, tone: 'zinc' as Tone, help: '' };
}

export function campaignStatusMeta(s: string) {
  return CAMPAIGN_STATUS_META[s as CampaignStatus] ?? { label: s, tone: 'slate' as Tone, help: '' };
}

export function leadStatusMeta(s: string) {
  return LEAD_STATUS_META[s as CampaignLeadStatus] ?? { label: s, tone: 'slate' as Tone, help: '' };
}

export type CampaignAction = 'start' | 'schedule' | 'pause' | 'resume' | 'cancel' | 'edit' | 'delete';

/** Which buttons a campaign in a given status shows (the server enforces the same rules). */
export function allowedActions(status: CampaignStatus | string): CampaignAction[] {
  switch (status) {
    case 'draft':
      return ['start', 'schedule', 'edit', 'delete'];
    case 'scheduled':
      return ['cancel'];
    case 'pending':
    case 'processing':
      return ['pause', 'cancel'];
    case 'paused':
      return ['resume', 'cancel'];
    case 'completed':
    case 'failed':
    case 'cancelled':
      return ['delete'];
    default:
      return [];
  }
}

export const ACTIVE_STATUSES: ReadonlySet<string> = new Set(['pending', 'processing', 'scheduled']);

const IN_FLIGHT: CampaignLeadStatus[] = ['pending', 'processing', 'sending'];
/** Finished after an attempt: what "processed" means (cancelled and waiting leads are not). */
const PROCESSED: CampaignLeadStatus[] = ['sent', 'delivered', 'undelivered', 'failed', 'skipped', 'unknown'];

/** Counts per campaign-lead status, whichever way the server nests them. */
export function statusCounts(stats: CampaignStats | null | undefined): Record<CampaignLeadStatus, number> {
  const out = Object.fromEntries(LEAD_STATUSES.map((s) => [s, 0])) as Record<CampaignLeadStatus, number>;
  if (!stats) return out;
  const nested =
    (stats.leads_by_status as Record<string, unknown> | undefined) ??
    (stats.by_status as Record<string, unknown> | undefined) ??
    (stats.counts as Record<string, unknown> | undefined) ??
    (stats.status_counts as Record<string, unknown> | undefined);
  const src: Record<string, unknown> = nested && typeof nested === 'object' ? nested : stats;
  for (const s of LEAD_STATUSES) out[s] = num(src[s] as number | string | undefined);
  return out;
}

export interface Progress {
  total: number;
  /** Processed: finished after an attempt (sent, delivered, undelivered, failed, skipped, unknown). */
  done: number;
  /** Not finished yet: pending, processing, sending. */
  inFlight: number;
  cancelled: number;
  /** done of total, percent (cancelled leads are not progress). */
  percent: number;
  counts: Record<CampaignLeadStatus, number>;
}

export function campaignProgress(c: Pick<Campaign, 'stats'>): Progress {
  const counts = statusCounts(c.stats);
  const sum = LEAD_STATUSES.reduce((a, s) => a + counts[s], 0);
  const stats = c.stats ?? {};
  const total = Math.max(num((stats.total as number) ?? (stats.total_leads as number) ?? 0), sum);
  const inFlight = IN_FLIGHT.reduce((a, s) => a + counts[s], 0);
  const done =
    stats.processed !== undefined && stats.processed !== null
      ? num(stats.processed)
      : PROCESSED.reduce((a, s) => a + counts[s], 0);
  return {
    total,
    done,
    inFlight,
    cancelled: counts.cancelled,
    percent: total > 0 ? Math.min(100, (done / total) * 100) : 0,
    counts,
  };
}

/** The one-line progress of a campaign, true to its status. */
export function progressText(c: Pick<Campaign, 'stats' | 'status'>): string {
  const p = campaignProgress(c);
  if (p.total === 0) return 'No leads';
  const sent = p.counts.sent + p.counts.delivered;
  if (c.status === 'cancelled') {
    const parts = [`${fmtInt(sent)} sent`];
    if (p.counts.failed + p.counts.undelivered > 0) parts.push(`${fmtInt(p.counts.failed + p.counts.undelivered)} failed`);
    if (p.counts.skipped > 0) parts.push(`${fmtInt(p.counts.skipped)} skipped`);
    parts.push(`${fmtInt(p.cancelled)} cancelled`);
    return parts.join(' · ');
  }
  const base = `${fmtInt(p.done)} of ${fmtInt(p.total)} processed`;
  if (c.status === 'paused') {
    const waiting = p.counts.pending + p.counts.processing;
    return `Paused: ${base} · ${fmtInt(waiting)} waiting to resume`;
  }
  return p.cancelled > 0 ? `${base} · ${fmtInt(p.cancelled)} cancelled` : base;
}

export interface CountTile {
  key: string;
  label: string;
  tone: Tone;
  help: string;
  n: number;
}

/**
 * The per-status tiles of a campaign: while it is paused, its pending leads and those a worker
 * is giving back are shown as one "Paused" tile (nothing is being processed).
 */
export function countTiles(c: Pick<Campaign, 'stats' | 'status'>): CountTile[] {
  const { counts } = campaignProgress(c);
  const paused = c.status === 'paused';
  const tiles: CountTile[] = [];
  for (const s of LEAD_STATUSES) {
    if (paused && s === 'processing') continue;
    const m = leadStatusMeta(s);
    if (paused && s === 'pending') {
      tiles.push({ key: 'paused', label: 'Paused', tone: 'orange', help: 'Not sent yet: they are sent when you resume.', n: counts.pending + counts.processing });
      continue;
    }
    if (counts[s] > 0 || ['pending', 'sent', 'failed'].includes(s)) tiles.push({ key: s, label: m.label, tone: m.tone, help: m.help, n: counts[s] });
  }
  return tiles;
}

/** "08:00" of "08:00-21:00". */
export function windowStart(window: string | null | undefined): string | null {
  const m = /^(\d\d:\d\d)-/.exec(window ?? '');
  return m ? m[1] : null;
}

/** What a waiting campaign's banner says: why nothing is sent now, and when it will be. */
export function waitingText(w: CampaignWaiting | null | undefined): string | null {
  if (!w) return null;
  const when = fmtDateTime(w.next_send_at);
  if (w.reason === 'quiet_hours') {
    const start = windowStart(w.window);
    return start
      ? `Waiting for quiet hours to end — next send ${start} in the recipient's time zone${w.time_zone ? ` (${w.time_zone})` : ''}, ${when} your time.`
      : `Waiting for quiet hours to end — next send ${when} your time.`;
  }
  return `Waiting to retry after an error — next attempt ${when} your time.`;
}

/** When and why a campaign lead that has not been sent will be tried (null once it is done). */
export function leadWaitText(l: Pick<CampaignLead, 'status' | 'next_attempt_at' | 'wait_reason'>, campaignStatus?: string): string | null {
  if (l.status !== 'pending') return null;
  if (campaignStatus === 'draft' || campaignStatus === 'scheduled') return 'Waiting for the campaign to start.';
  if (campaignStatus === 'paused') return 'Waiting: the campaign is paused.';
  if (campaignStatus === 'cancelled' || campaignStatus === 'completed' || campaignStatus === 'failed') return 'Not sent.';
  const when = l.next_attempt_at ? fmtDateTime(l.next_attempt_at) : null;
  if (l.wait_reason === 'quiet_hours') return `Waiting for quiet hours to end: it will be tried at ${when} (your time).`;
  if (l.wait_reason === 'retry') return `Retry after an error: it will be tried at ${when} (your time).`;
  return 'Queued: it will be tried shortly.';
}

export interface CampaignTotals {
  sent: number;
  failed: number;
  segments: number;
  cost: number;
}

/** Sent/failed/segments/cost of a campaign, whichever of the documented names the server uses. */
export function campaignTotals(stats: CampaignStats | null | undefined): CampaignTotals {
  const s = (stats ?? {}) as Record<string, unknown>;
  const counts = statusCounts(stats);
  const pick = (...keys: string[]): number | null => {
    for (const k of keys) if (s[k] !== undefined && s[k] !== null) return num(s[k] as number | string);
    return null;
  };
  return {
    sent: pick('total_messages_sent', 'messages_sent', 'sms_sent') ?? counts.sent + counts.delivered + counts.undelivered,
    failed: pick('total_messages_failed', 'messages_failed') ?? counts.failed,
    segments: pick('total_segments', 'sms_segments', 'segments') ?? 0,
    cost: pick('total_cost', 'sms_cost', 'cost') ?? 0,
  };
}

/** A campaign lead's call in words; a completed call reads by who answered (a person, voicemail, a fax). */
const CALL_STATUS_META: Record<string, { label: string; tone: Tone; help: string }> = {
  calling: { label: 'Calling', tone: 'indigo', help: 'The call is being placed.' },
  logged: { label: 'Logged (offline)', tone: 'slate', help: 'The offline log provider recorded the call and its script; no phone rang.' },
  queued: { label: 'Queued', tone: 'slate', help: 'The provider took the call and dials it shortly.' },
  initiated: { label: 'Dialing', tone: 'blue', help: 'The provider is dialing the number.' },
  ringing: { label: 'Ringing', tone: 'blue', help: 'The phone is ringing.' },
  'in-progress': { label: 'In progress', tone: 'blue', help: 'The call is connected: the script is being spoken.' },
  completed: { label: 'Answered', tone: 'green', help: 'A person answered and heard the script.' },
  busy: { label: 'Busy', tone: 'orange', help: 'The line was busy.' },
  'no-answer': { label: 'No answer', tone: 'amber', help: 'Nobody answered.' },
  failed: { label: 'Failed', tone: 'red', help: 'The call could not be placed; see the error.' },
  canceled: { label: 'Cancelled', tone: 'zinc', help: 'The call was cancelled before it connected.' },
  unknown: { label: 'Unknown', tone: 'violet', help: 'The worker stopped while calling: the call may have been placed, so it is not placed again automatically.' },
  scheduled: { label: 'Call scheduled', tone: 'slate', help: 'The call after the SMS is placed later, once its delay has passed.' },
  writing: { label: 'Writing the call', tone: 'slate', help: 'The call after the SMS is due: its script is being written from the call script instructions.' },
  skipped: { label: 'Call skipped', tone: 'zinc', help: 'The call after the SMS was not placed: the phone opted out, the lead answered the SMS, or the campaign was cancelled.' },
};

export function callStatusMeta(status: string, answeredBy?: string | null): { label: string; tone: Tone; help: string } {
  if (status === 'completed' && answeredBy) {
    if (answeredBy.startsWith('machine')) return { label: 'Voicemail', tone: 'violet', help: 'An answering machine took the call: the script was left after the beep.' };
    if (answeredBy === 'fax') return { label: 'Fax', tone: 'orange', help: 'A fax machine answered.' };
  }
  return CALL_STATUS_META[status] ?? { label: status, tone: 'slate', help: '' };
}

export interface CallOutcome {
  key: 'answered' | 'voicemail' | 'no_answer' | 'busy' | 'failed' | 'in_progress' | 'other';
  label: string;
  tone: Tone;
  help: string;
  n: number;
}

/**
 * The outcomes of a campaign's calls placed, in the order the chart shows them. "other" is what
 * the counts leave of the calls placed: those the offline log provider recorded, or unknown.
 */
export function callOutcomes(calls: CampaignCalls): CallOutcome[] {
  const rows: CallOutcome[] = [
    { key: 'answered', label: 'Answered', tone: 'green', help: 'A person answered.', n: num(calls.answered) },
    { key: 'voicemail', label: 'Voicemail', tone: 'violet', help: 'An answering machine took the call: the script was left after the beep.', n: num(calls.voicemail) },
    { key: 'no_answer', label: 'No answer', tone: 'amber', help: 'Nobody answered.', n: num(calls.no_answer) },
    { key: 'busy', label: 'Busy', tone: 'orange', help: 'The line was busy.', n: num(calls.busy) },
    { key: 'failed', label: 'Failed', tone: 'red', help: 'Failed or cancelled before it connected.', n: num(calls.failed) },
    { key: 'in_progress', label: 'In progress', tone: 'blue', help: 'Queued, ringing or connected: no outcome yet.', n: num(calls.in_progress) },
  ];
  const other = num(calls.placed) - rows.reduce((a, r) => a + r.n, 0);
  if (other > 0) rows.push({ key: 'other', label: 'Logged or unknown', tone: 'slate', help: 'Recorded by the offline log provider (no phone rang), or with no outcome known.', n: other });
  return rows;
}
