// Typed client for the smscamp JSON API (served by nginx under /api/).
//
// Errors come back as {"detail": "text"} or FastAPI's
// {"detail": [{"loc": ["body", "phone"], "msg": "…", "type": "…"}]}; every failure is
// thrown as an ApiError that knows its HTTP status, a human message and the messages
// per form field.

// ---------------------------------------------------------------- shapes

export interface Page<T> {
  items: T[];
  /** how many there are; an estimate when total_is_estimate (a frequent search term) */
  total: number;
  total_is_estimate?: boolean;
  limit: number;
  offset: number;
  /** whether a page follows this one (lists that know) */
  has_more?: boolean;
}

/** A list whose pages also go by keyset: pass next_after as after for the next one. */
export interface KeysetPage<T> extends Page<T> {
  next_after: number | null;
}

export interface ValidationItem {
  loc: (string | number)[];
  msg: string;
  type: string;
}

export interface Lead {
  id: number;
  name: string;
  phone: string;
  email: string | null;
  company: string | null;
  notes: string | null;
  created_at: string;
  updated_at: string | null;
  /** Custom fields: strings, numbers, booleans. */
  attributes: Record<string, string | number | boolean>;
  /** On the suppression list: nothing is sent to this phone. */
  opted_out: boolean;
  opted_out_at: string | null;
  opt_out_source: string | null;
  /** IANA zone quiet hours are read in: the lead's own (timezone_source lead) or its phone's. */
  timezone: string;
  timezone_source: 'lead' | 'phone';
  /** Consent to be texted, as the sender recorded it. */
  consent_at: string | null;
  consent_source: string | null;
  consent_text: string | null;
  /** The SMS provider found the phone not textable: invalid (error 21211) or not a mobile (21614); later campaigns skip the lead. */
  phone_status?: PhoneStatus | null;
  /** When the provider said so. */
  phone_status_at?: string | null;
}

/** Lead.phone_status: what the SMS provider reported of the phone (null: nothing wrong known). */
export const PHONE_STATUSES = ['invalid', 'not_mobile'] as const;
export type PhoneStatus = (typeof PHONE_STATUSES)[number];

/** What the classifier found an inbound message to say. */
export const INTENTS = ['interested', 'question', 'not_interested', 'opt_out', 'wrong_number', 'other'] as const;
export type Intent = (typeof INTENTS)[number];

/** An outbound message's state: a draft waits for approval; queued ones are sent by the workers. */
export type MessageStatus = 'draft' | 'queued' | 'sending' | 'sent' | 'delivered' | 'undelivered' | 'failed' | 'unknown';

/** One SMS of a lead's thread (GET /api/leads/{id}/messages). */
export interface Message {
  id: number;
  lead_id: number | null;
  campaign_id: number | null;
  campaign_lead_id: number | null;
  /** The lead's side of the conversation. */
  phone: string;
  direction: 'inbound' | 'outbound';
  body: string;
  /** campaign: the campaign's send; reply: written by a person; auto: by the reply agent. */
  kind: 'campaign' | 'reply' | 'auto';
  /** Outbound only. */
  status: MessageStatus | null;
  provider_sid: string | null;
  /** Inbound only; null while it is not classified yet. */
  intent: Intent | null;
  created_at: string;
  sent_at: string | null;
  /** Inbound only: when it was read. */
  read_at: string | null;
  /** The inbound message this one answers. */
  reply_to_id: number | null;
  /** Queued: not sent before this time (quiet hours). */
  send_after: string | null;
  segments: number | null;
  cost: Numeric | null;
  /** Why it failed, or why its outcome is unknown. */
  error: string | null;
  /** The API key name of the person who sent it, or the reply agent's writer ("the built-in reply", a model). */
  sent_by: string | null;
  /** A keyword's automatic answer: to HELP/INFO, or the one confirmation of an opt-out or an opt-in. */
  purpose: 'help' | 'opt_out_confirmation' | 'opt_in_confirmation' | null;
  /** Inbound: the reply agent still has work on it (classify, then maybe answer). */
  agent_pending: boolean;
}

/** One conversation of the inbox: a phone's messages (GET /api/conversations). */
export interface Conversation {
  phone: string;
  /** The lead with that phone; null for a number that is no lead. */
  lead_id: number | null;
  name: string | null;
  last_message: Message;
  message_count: number;
  unread: number;
  /** The last message is the lead's and needs an answer (not an opt-out, wrong number or no). */
  needs_reply: boolean;
  /** The intent of the last inbound message. */
  intent?: Intent | null;
  /** The reply agent's drafts waiting for approval. */
  drafts?: number;
}

export type ConversationState = 'needs_reply' | 'open' | 'all';

/** A keyset page of a thread: pass next_after as after for the next one. */
export interface MessagePage {
  items: Message[];
  total: number;
  limit: number;
  next_after: number | null;
}

export interface LeadInput {
  name?: string;
  phone?: string;
  email?: string | null;
  company?: string | null;
  notes?: string | null;
  /** null: the phone's zone. */
  timezone?: string | null;
  /** ISO date-time or date. */
  consent_at?: string | null;
  consent_source?: string | null;
  consent_text?: string | null;
  attributes?: Record<string, string | number | boolean>;
}

export interface ImportRejected {
  row: number;
  detail: ValidationItem[] | string;
}

/** What POST /api/leads/import does to a lead that already has the row's phone. */
export type OnExisting = 'merge' | 'skip' | 'replace';

/** A value before or after an import (`null`: none). */
export type ImportValue = string | number | boolean | null;

/** One updated lead and the fields that change: `name`, `email`, `company`, `notes`, `attributes.<key>`. */
export interface ImportChange {
  row: number;
  lead_id: number | null;
  name: string;
  phone: string;
  fields: Record<string, { from: ImportValue; to: ImportValue }>;
}

export interface ImportResult {
  inserted: number;
  updated: number;
  unchanged: number;
  skipped: number;
  rejected: ImportRejected[];
  /** The first 1,000 updated leads; `changes_total` counts them all. */
  changes: ImportChange[];
  changes_total: number;
  /** True: nothing was written, the answer says what the import would do. */
  dry_run: boolean;
}

export interface ImportOptions {
  onExisting?: OnExisting;
  dryRun?: boolean;
  signal?: AbortSignal;
}

function importQuery(o: ImportOptions = {}): Query {
  return { on_existing: o.onExisting, dry_run: o.dryRun === undefined ? undefined : String(o.dryRun) };
}

export const CAMPAIGN_STATUSES = [
  'draft',
  'scheduled',
  'pending',
  'processing',
  'paused',
  'completed',
  'failed',
  'cancelled',
] as const;
export type CampaignStatus = (typeof CAMPAIGN_STATUSES)[number];

export const LEAD_STATUSES = [
  'pending',
  'processing',
  'sending',
  'sent',
  'delivered',
  'undelivered',
  'failed',
  'skipped',
  'cancelled',
  'unknown',
] as const;
export type CampaignLeadStatus = (typeof LEAD_STATUSES)[number];

export type AgentType = 'sms' | 'voice' | 'both';

/** Numbers from PostgreSQL `numeric` may arrive as strings; use `num()` to read them. */
export type Numeric = number | string;

/** Messages per second from the send timestamps; null until 3 sends over 5 s. */
export interface CampaignRate {
  /** While processing: over the last `window_seconds` (about a minute). */
  current: Numeric | null;
  /** From the first to the last send. */
  average: Numeric | null;
  window_seconds: Numeric | null;
}

/** Why a processing campaign sends nothing right now. */
export interface CampaignWaiting {
  reason: 'quiet_hours' | 'retry';
  /** When the first waiting lead is tried. */
  next_send_at: string;
  /** The send window, "HH:MM-HH:MM" in the recipient's time zone. */
  window: string | null;
  time_zone: string | null;
}

export interface CampaignStats {
  total?: number;
  total_leads?: number;
  /** Leads finished after an attempt (not pending, not cancelled). */
  processed?: number;
  total_messages_sent?: number;
  total_messages_failed?: number;
  total_messages_pending?: number;
  total_segments?: number;
  total_cost?: Numeric;
  /** Percent; null until a message has an outcome. */
  success_rate?: Numeric | null;
  leads_by_status?: Partial<Record<CampaignLeadStatus, number>>;
  by_status?: Partial<Record<CampaignLeadStatus, number>>;
  progress?: Numeric;
  /** Leads who answered; of the leads sent, percent; leads who answered with an opt-out. */
  replies?: number;
  reply_rate?: Numeric | null;
  opt_outs?: number;
  rate?: CampaignRate | null;
  waiting?: CampaignWaiting | null;
  /** The SMS provider's error codes of the campaign's failed messages, code → count ({"30007": 3}). */
  error_codes?: Record<string, number>;
  /** What each of those codes means, code → text ("30007": "Message filtered by the carrier"). */
  error_code_descriptions?: Record<string, string>;
  /** Messages the carriers filtered (error 30007) since it was started or resumed; past max_filtered it pauses itself. */
  filtered?: number;
  /** The calls of a voice (or both) campaign; null for an SMS campaign. */
  calls?: CampaignCalls | null;
  [key: string]: unknown;
}

/** CampaignStats.calls: the campaign's calls by outcome (every call placed, the offline log provider's too). */
export interface CampaignCalls {
  placed: number;
  /** Completed, answered by a person. */
  answered: number;
  /** Completed, answered by a machine: the script was left after the beep. */
  voicemail: number;
  no_answer: number;
  busy: number;
  /** Failed or canceled. */
  failed: number;
  /** Queued, ringing or in progress: no outcome yet. */
  in_progress: number;
  /** A both campaign's calls after the SMS not placed yet (due later). */
  scheduled?: number;
  /** Call minutes, one decimal. */
  minutes: Numeric;
  cost: Numeric;
}

/** A campaign lead's call (CampaignLead.call_status): "logged" is the offline log provider's, the others Twilio's. */
export const CALL_STATUSES = [
  'calling',
  'logged',
  'queued',
  'initiated',
  'ringing',
  'in-progress',
  'completed',
  'busy',
  'no-answer',
  'failed',
  'canceled',
  'unknown',
  'scheduled',
  'writing',
  'skipped',
] as const;
export type CallStatus = (typeof CALL_STATUSES)[number];

/** Who answered a completed call (Twilio's answering machine detection). */
export type CallAnsweredBy = 'human' | 'machine_start' | 'machine_end_beep' | 'machine_end_silence' | 'machine_end_other' | 'fax' | 'unknown';

/** What the reply agent does with a campaign's replies: classify only, draft answers to approve, or answer. */
export const REPLY_MODES = ['off', 'draft', 'auto'] as const;
export type ReplyMode = (typeof REPLY_MODES)[number];

export interface Campaign {
  id: number;
  name: string;
  description: string | null;
  agent_type: AgentType;
  status: CampaignStatus;
  sms_system_prompt: string | null;
  sms_template: string | null;
  sender_name: string | null;
  /** The reply agent: off (classify only), draft (for approval), auto (answers). */
  reply_mode?: ReplyMode;
  reply_prompt?: string | null;
  /** Skip the leads without consent on record. */
  require_consent?: boolean;
  sms_temperature: number;
  /** What a voice campaign's call script says (else it is written from the SMS prompt or template). */
  voice_system_prompt?: string | null;
  /** The script writer's temperature, in hundredths (default 70). */
  voice_temperature?: number;
  /** A voice campaign's pace: calls started per second (default 1, Twilio's default CPS). */
  calls_per_second?: Numeric;
  /** A both campaign: seconds after the SMS its call is placed (0..604800, default 0: at once). */
  call_delay_seconds?: number;
  /** A both campaign: call only the leads who have not answered the SMS by then (default false). */
  call_if_no_reply?: boolean;
  stats: CampaignStats | null;
  created_at: string;
  updated_at: string | null;
  started_at: string | null;
  completed_at: string | null;
  scheduled_at: string | null;
  /** Throughput and quiet hours (issue 4): 0 = unlimited; "HH:MM-HH:MM" or null = none. */
  messages_per_second?: Numeric | null;
  send_window?: string | null;
  max_send_errors?: number | null;
  /** The senders it may send from; null: every active sender. */
  sender_ids?: number[] | null;
  /** The pool it sends from now (empty: the server's default number, smscamp.sms_from). */
  senders?: CampaignSender[];
  send_rate?: CampaignSendRate | null;
  /** Estimated seconds to send the leads left; null when nothing is left or no rate is known. */
  eta_seconds?: Numeric | null;
  /** Carrier-filtered (error 30007) messages after which the campaign pauses itself (default 20). */
  max_filtered?: number;
  /** Why the campaign paused itself, or null. */
  paused_reason?: string | null;
  /** Skip the leads any campaign messaged within this many hours; null: off. */
  exclude_messaged_within_hours?: number | null;
  [key: string]: unknown;
}

/** One sender of a campaign's pool (Campaign.senders). */
export type CampaignSender = Pick<Sender, 'id' | 'label' | 'phone' | 'messaging_service_sid' | 'kind' | 'segments_per_second' | 'active'>;

/** How fast a campaign sends: its pool's total, its own cap, and which of the limits holds it back. */
export interface CampaignSendRate {
  /** The pool's rates added up; null when unpaced. */
  segments_per_second: Numeric | null;
  /** The campaign's own messages_per_second cap, or null. */
  messages_per_second: Numeric | null;
  /** The rate it sends at: the slowest of the limits (a voice campaign: its calls_per_second). */
  effective_messages_per_second?: Numeric | null;
  limited_by: 'senders' | 'campaign' | 'global' | null;
}

export interface CampaignInput {
  name?: string;
  description?: string | null;
  agent_type?: AgentType;
  sms_system_prompt?: string | null;
  sms_template?: string | null;
  sender_name?: string | null;
  reply_mode?: ReplyMode;
  reply_prompt?: string | null;
  require_consent?: boolean;
  sms_temperature?: number;
  voice_system_prompt?: string | null;
  voice_temperature?: number;
  calls_per_second?: number;
  call_delay_seconds?: number;
  call_if_no_reply?: boolean;
  messages_per_second?: number;
  send_window?: string | null;
  max_send_errors?: number;
  /** null: every active sender. */
  sender_ids?: number[] | null;
  max_filtered?: number;
  exclude_messaged_within_hours?: number | null;
  lead_ids?: number[];
  lead_filter?: string;
  lead_count?: number;
}

export interface CampaignLead {
  id: number; // the campaign-lead id
  /** Null once the lead is deleted (`lead_deleted`): name and phone are then the ones messaged. */
  lead_id: number | null;
  lead_deleted?: boolean;
  name: string;
  phone: string;
  email: string | null;
  company: string | null;
  status: CampaignLeadStatus;
  /** While pending: when it will be tried, and why it waits (null when due). */
  next_attempt_at?: string | null;
  wait_reason?: 'quiet_hours' | 'retry' | null;
  sms_sent: boolean;
  sms_message: string | null;
  sms_segments: number | null;
  sms_cost: Numeric | null;
  /** A voice campaign's lead: the call was placed (or recorded by the log provider). */
  voice_call_made?: boolean;
  call_status?: CallStatus | null;
  call_sid?: string | null;
  /** The words spoken (a voice campaign's lead has no sms_message). */
  call_script?: string | null;
  call_words?: number | null;
  /** Seconds, once the call ended. */
  call_duration?: number | null;
  call_answered_by?: CallAnsweredBy | null;
  call_cost?: Numeric | null;
  error_message: string | null;
  trace_id: string | null;
  processed_at: string | null;
  [key: string]: unknown;
}

export type LogLevel = 'debug' | 'info' | 'warning' | 'error' | string;

export interface ProcessingLog {
  id: number;
  campaign_lead_id: number | null;
  lead_id?: number | null;
  /** The lead's name; null once the lead is deleted. */
  lead_name?: string | null;
  level: LogLevel;
  node_name: string | null;
  message: string;
  metadata: Record<string, unknown> | null;
  created_at: string;
}

/** Who writes the messages: a model, the built-in writer, or (in a preview) the template. */
export interface Writer {
  kind: 'llm' | 'builtin' | 'template';
  model: string | null;
  host: string | null;
  /** "gpt-4o-mini at api.openai.com", "Built-in writer (offline)", "Template (offline)" */
  label: string;
}

/** What the built-in writer understood of a prompt. */
export interface WriterPlan {
  ok: boolean;
  error: string | null;
  sender: string | null;
  company: 'always' | 'never' | 'when it fits';
  parts: { kind: string; text: string; from: string }[];
  style: string[];
  not_used: string[];
}

/** A both campaign's preview: the call after the SMS, its script from the voice prompt (error: why the call would say the SMS instead). */
export interface PreviewCallScript {
  message: string;
  words: number;
  spoken_seconds: number;
  error: string | null;
}

export interface Preview {
  /** sms: the message; call_script: the words a voice campaign's call says (segments, encoding and cost mean nothing then). */
  kind?: 'sms' | 'call_script';
  /** agent_type both: the call after the SMS (null otherwise). */
  call_script?: PreviewCallScript | null;
  message: string;
  /** Words of the message, and how long it takes to say at about 150 words a minute. */
  words?: number;
  spoken_seconds?: number;
  encoding: string;
  segments: number;
  cost: Numeric;
  writer?: Writer;
  empty_placeholders?: string[];
  plan?: WriterPlan | null;
  [key: string]: unknown;
}

/** GET /api/leads?sort=: a column, descending with a leading "-". */
export const LEAD_SORTS = ['id', 'name', 'created_at', 'company', 'phone'] as const;
export type LeadSortKey = (typeof LEAD_SORTS)[number];
export type LeadSort = LeadSortKey | `-${LeadSortKey}`;

/** POST /api/leads/bulk: what to do to the leads. */
export type BulkAction = 'delete' | 'opt_out';

export interface BulkResult {
  action: BulkAction;
  /** The leads found. */
  matched: number;
  /** The leads deleted, or newly opted out. */
  changed: number;
  /** The ids that are no lead (any more). */
  unknown_ids: number[];
}

/** How a phone came onto the suppression list (the server may add others: show those as they are). */
export const OPT_OUT_SOURCES = ['sms', 'reply', 'manual', 'import', 'carrier'] as const;
export type OptOutSource = (typeof OPT_OUT_SOURCES)[number];

/** A phone on the suppression list (GET /api/opt-outs): nothing is sent to it, in any campaign. */
export interface OptOut {
  /** E.164, "+14155550123". */
  phone: string;
  /** sms: replied a STOP keyword; reply: asked to stop in other words; manual, import, carrier. */
  source: OptOutSource | (string & {});
  /** The keyword that opted it out ("STOP"), or null. */
  keyword: string | null;
  created_at: string;
  /** The lead with that phone, if there is one. */
  lead_id: number | null;
  lead_name: string | null;
}

/** A keyset page of the suppression list, ordered by phone: pass next_after as after for the next one. */
export interface OptOutPage {
  items: OptOut[];
  total: number;
  limit: number;
  /** The last phone of this page, or null on the last page. */
  next_after: string | null;
}

/** A phone POST /api/opt-outs did not take: `index` into the JSON phones, or the CSV `row` (from 1). */
export interface OptOutRejected {
  index?: number;
  row?: number;
  phone?: string | null;
  detail: string | ValidationItem[];
}

/** The answer of POST /api/opt-outs: phones newly on the list, those already on it, those refused. */
export interface OptOutAddResult {
  added: number;
  already: number;
  rejected: OptOutRejected[];
}

/** What a sender is: a US long code, a toll-free number, a short code, an alphanumeric sender ID, or a Twilio Messaging Service. */
export const SENDER_KINDS = ['long_code', 'toll_free', 'short_code', 'alphanumeric', 'messaging_service'] as const;
export type SenderKind = (typeof SENDER_KINDS)[number];

/** The segments per second a sender of each kind gets when none is given (the server's defaults). */
export const SENDER_DEFAULT_RATES: Record<SenderKind, number> = {
  long_code: 1,
  toll_free: 3,
  short_code: 100,
  alphanumeric: 10,
  messaging_service: 1,
};

/** A number (or Messaging Service) campaigns send from, at its own pace (GET /api/senders). */
export interface Sender {
  id: number;
  name: string | null;
  /** The name, else the phone, else the Messaging Service SID. */
  label: string;
  /** E.164; the digits of a short code; the text of an alphanumeric sender ID. Null for a Messaging Service. */
  phone: string | null;
  /** "MG" and 32 hex digits, or null. */
  messaging_service_sid: string | null;
  kind: SenderKind;
  segments_per_second: Numeric;
  active: boolean;
  created_at: string;
  updated_at: string | null;
}

/** POST /api/senders (a phone, or a messaging_service_sid) and PUT /api/senders/{id} (any of the fields). */
export interface SenderInput {
  phone?: string;
  /** Not for a Messaging Service (its kind is messaging_service). */
  kind?: Exclude<SenderKind, 'messaging_service'>;
  messaging_service_sid?: string;
  /** Default: the kind's (SENDER_DEFAULT_RATES). */
  segments_per_second?: number;
  name?: string | null;
  active?: boolean;
}

/** GET /api/senders: every sender, in id order. */
export interface SenderList {
  items: Sender[];
  total: number;
}

export type ApiKeyRole = 'viewer' | 'operator' | 'admin';

/** An API key as GET /api/keys lists it (never the key itself). */
export interface ApiKey {
  id: number;
  name: string;
  role: ApiKeyRole;
  key_prefix: string;
  created_at: string;
  last_used_at: string | null;
  expires_at: string | null;
  /** When it was, or will be, revoked. */
  revoked_at: string | null;
  /** Not revoked yet (expiry aside). */
  active: boolean;
  rate_limit: number | null;
}

/** POST /api/keys: the new key, with `key` shown this once. */
export interface ApiKeyCreated extends ApiKey {
  key: string;
}

export interface ApiKeyInput {
  name: string;
  role: ApiKeyRole;
  expires_at?: string | null;
  rate_limit?: number | null;
}

/** GET /api/keys/me: the key this browser sends; `auth: false` when the server checks no keys. */
export interface ApiKeyMe {
  id: number | null;
  name: string | null;
  role: ApiKeyRole;
  key_prefix: string | null;
  expires_at: string | null;
  revoked_at: string | null;
  auth: boolean;
}

/** GET /api/settings: this server's configuration, as the UI needs it. */
export interface Settings {
  writer: Writer;
  sms_provider: string;
  /** The calling code assumed for numbers without one ("44"), or null. */
  default_country: string | null;
  max_segments: number;
  price_per_segment: Numeric;
  optout_footer: string;
}

export interface DashboardStats {
  total_leads: number;
  total_campaigns: number;
  campaigns_by_status: Partial<Record<CampaignStatus, number>>;
  total_messages_sent: number;
  total_messages_failed: number;
  total_messages_pending: number;
  total_segments: number;
  total_cost: Numeric;
  /** Percent; null until a message has an outcome. */
  success_rate: Numeric | null;
  messages_per_hour: number[];
  /** The start of the first hour of messages_per_hour. */
  messages_per_hour_from?: string;
  /** Campaign leads who answered, and of those sent, percent (null while none was sent). */
  replies?: number;
  reply_rate?: Numeric | null;
  opt_outs?: number;
  /** Inbound messages in each of the hours of messages_per_hour. */
  replies_per_hour?: number[];
  /** Every campaign's calls. */
  calls?: DashboardCalls;
}

/** DashboardStats.calls: busy, no answer, failed and canceled calls are not_connected. */
export interface DashboardCalls {
  placed: number;
  answered: number;
  voicemail: number;
  not_connected: number;
  minutes: Numeric;
  cost: Numeric;
}

/** One standby streaming from the node (Cluster.standbys, from pg_stat_replication). */
export interface ClusterStandby {
  application_name: string;
  /** Null over a Unix socket. */
  client_addr: string | null;
  state: 'startup' | 'catchup' | 'streaming' | 'backup' | 'stopping';
  sync_state: 'async' | 'potential' | 'sync' | 'quorum';
  sent_lsn: string | null;
  flush_lsn: string | null;
  replay_lsn: string | null;
  /** Milliseconds, one decimal; null when idle. */
  flush_lag_ms: number | null;
  replay_lag_ms: number | null;
}

/** GET /api/cluster: the database node the server is on, and whether it replicates. */
export interface Cluster {
  /** formation: a pg_auto_failover formation (make run-ha); single: one PostgreSQL. */
  mode: 'single' | 'formation';
  node: {
    /** The same on every node of a formation (64 bits, as a string). */
    system_identifier: string;
    port: number;
    /** A standby. */
    in_recovery: boolean;
    read_only: boolean;
    started_at: string;
    timeline: number;
  };
  /** smscamp.durable_marks: a "sending" mark must be on a synchronous standby before the provider call. */
  durable_marks: boolean;
  synchronous_standby_names: string;
  standbys: ClusterStandby[];
  /** Standbys whose sync_state is sync or quorum. */
  synchronous_standbys: number;
  /** Durable marks off, or a sync/quorum standby is streaming: false means the workers hold their sends. */
  marks_durable: boolean;
  /** smscamp workers running on the node. */
  workers: number;
}

export interface Health {
  status: string;
  database?: string;
  [key: string]: unknown;
}

export function num(v: Numeric | null | undefined): number {
  if (v === null || v === undefined || v === '') return 0;
  const n = typeof v === 'number' ? v : Number(v);
  return Number.isFinite(n) ? n : 0;
}

// ---------------------------------------------------------------- errors

const STATUS_TITLES: Record<number, string> = {
  0: 'Cannot reach the server',
  400: 'Bad request',
  401: 'API key required',
  403: 'Not allowed',
  404: 'Not found',
  405: 'Not supported',
  409: 'Conflict',
  413: 'Too large',
  422: 'Invalid input',
  429: 'Too many requests',
  500: 'Server error',
  502: 'Bad gateway',
  503: 'Service unavailable',
  504: 'Timed out',
};

const LOC_PREFIXES = new Set(['body', 'query', 'path', 'header']);

/** The form field a FastAPI `loc` points at: ["body","phone"] → "phone", ["query","limit"] → "limit". */
export function fieldOf(loc: (string | number)[] | undefined): string | null {
  if (!Array.isArray(loc) || loc.length === 0) return null;
  const rest = loc.filter((p, i) => !(i === 0 && typeof p === 'string' && LOC_PREFIXES.has(p)));
  for (let i = rest.length - 1; i >= 0; i--) {
    if (typeof rest[i] === 'string') return rest[i] as string;
  }
  return null;
}

function isValidationList(d: unknown): d is ValidationItem[] {
  return Array.isArray(d) && d.every((x) => x && typeof x === 'object' && 'msg' in x);
}

export class ApiError extends Error {
  readonly status: number;
  /** A one-line explanation for a person. */
  readonly detail: string;
  /** FastAPI validation items, when the server sent them. */
  readonly errors: ValidationItem[];
  /** Validation messages per field name (the last string of `loc`). */
  readonly fieldErrors: Record<string, string>;
  readonly body: unknown;
  /** Seconds the server asked to wait (Retry-After of a 429), or null. */
  retryAfter: number | null = null;

  constructor(status: number, body: unknown, fallback?: string) {
    const title = STATUS_TITLES[status] ?? `HTTP ${status}`;
    let detail = fallback ?? title;
    let errors: ValidationItem[] = [];
    const fieldErrors: Record<string, string> = {};
    const d = body && typeof body === 'object' ? (body as { detail?: unknown }).detail : undefined;
    if (typeof d === 'string' && d.trim() !== '') {
      detail = d;
    } else if (isValidationList(d)) {
      errors = d;
      for (const e of d) {
        const f = fieldOf(e.loc);
        if (f) fieldErrors[f] = fieldErrors[f] ? `${fieldErrors[f]} ${e.msg}` : e.msg;
      }
      detail = d
        .map((e) => {
          const f = fieldOf(e.loc);
          return f ? `${f}: ${e.msg}` : e.msg;
        })
        .join('; ');
    }
    super(detail);
    this.name = 'ApiError';
    this.status = status;
    this.detail = detail;
    this.errors = errors;
    this.fieldErrors = fieldErrors;
    this.body = body;
  }

  get title(): string {
    return STATUS_TITLES[this.status] ?? `HTTP ${this.status}`;
  }

  /** The route itself does not exist on this server (feature not built yet). */
  get notAvailable(): boolean {
    return this.status === 404 && this.detail === 'Not Found';
  }

  get isValidation(): boolean {
    return this.status === 422;
  }
}

export function isApiError(e: unknown): e is ApiError {
  return e instanceof ApiError;
}

/** A person-readable message for any error thrown by the client or elsewhere. */
export function errorMessage(e: unknown): string {
  if (e instanceof ApiError) {
    if (e.status === 0) return `${e.title}: ${e.detail === e.title ? 'check that smscamp is running.' : e.detail}`;
    if (e.detail === e.title) return e.title;
    return `${e.title}: ${e.detail}`;
  }
  if (e instanceof Error) return e.message;
  return String(e);
}

// ---------------------------------------------------------------- API key (issue 6)

const KEY_STORAGE = 'smscamp.apiKey';

export function getApiKey(): string | null {
  try {
    return sessionStorage.getItem(KEY_STORAGE);
  } catch {
    return null;
  }
}

export function setApiKey(key: string | null): void {
  try {
    if (key) sessionStorage.setItem(KEY_STORAGE, key);
    else sessionStorage.removeItem(KEY_STORAGE);
  } catch {
    /* storage unavailable: the key lives only as long as this call */
  }
}

type UnauthorizedListener = (e: ApiError) => void;
const unauthorizedListeners = new Set<UnauthorizedListener>();

/** Called on every 401 answer (the app shows the key prompt). Returns an unsubscribe function. */
export function onUnauthorized(fn: UnauthorizedListener): () => void {
  unauthorizedListeners.add(fn);
  return () => unauthorizedListeners.delete(fn);
}

// ---------------------------------------------------------------- transport

export type Query = Record<string, string | number | boolean | null | undefined>;

export interface RequestOptions {
  query?: Query;
  json?: unknown;
  body?: string;
  contentType?: string;
  signal?: AbortSignal;
}

export function buildUrl(path: string, query?: Query): string {
  const params = new URLSearchParams();
  if (query) {
    for (const [k, v] of Object.entries(query)) {
      if (v === undefined || v === null || v === '') continue;
      params.set(k, String(v));
    }
  }
  const qs = params.toString();
  return qs ? `${path}?${qs}` : path;
}

/** The headers every request sends: what it accepts, and the API key of this tab if there is one. */
function baseHeaders(accept: string): Record<string, string> {
  const headers: Record<string, string> = { Accept: accept };
  const key = getApiKey();
  if (key) headers.Authorization = `Bearer ${key}`;
  return headers;
}

async function send(url: string, init: RequestInit): Promise<Response> {
  try {
    return await fetch(url, init);
  } catch (e) {
    if (e instanceof DOMException && e.name === 'AbortError') throw e;
    throw new ApiError(0, null, 'Cannot reach the server');
  }
}

function parseJson(text: string): unknown {
  if (!text) return undefined;
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/** The ApiError of a failed answer (its Retry-After read; a 401 tells the key prompt). */
function failure(res: Response, parsed: unknown): ApiError {
  const err = new ApiError(res.status, parsed);
  const wait = Number(res.headers.get('Retry-After'));
  if (Number.isFinite(wait) && wait > 0) err.retryAfter = wait;
  if (res.status === 401) unauthorizedListeners.forEach((fn) => fn(err));
  return err;
}

export async function request<T>(method: string, path: string, opts: RequestOptions = {}): Promise<T> {
  const headers = baseHeaders('application/json');
  let body: string | undefined;
  if (opts.json !== undefined) {
    headers['Content-Type'] = 'application/json';
    body = JSON.stringify(opts.json);
  } else if (opts.body !== undefined) {
    headers['Content-Type'] = opts.contentType ?? 'text/plain';
    body = opts.body;
  }

  const res = await send(buildUrl(path, opts.query), { method, headers, body, signal: opts.signal });
  const text = res.status === 204 ? '' : await res.text();
  const parsed = parseJson(text);
  if (!res.ok) throw failure(res, parsed);
  if (text && parsed === undefined) {
    throw new ApiError(res.status, null, 'The server answered something that is not JSON');
  }
  return parsed as T;
}

/** GET a file (CSV): its body as a Blob; failures are ApiErrors as for `request`. */
export async function download(path: string, { accept = 'text/csv', query, signal }: { accept?: string; query?: Query; signal?: AbortSignal } = {}): Promise<Blob> {
  const res = await send(buildUrl(path, query), { method: 'GET', headers: baseHeaders(`${accept}, application/json`), signal });
  const text = await res.text();
  if (!res.ok) throw failure(res, parseJson(text));
  return new Blob([text], { type: res.headers.get('Content-Type') ?? accept });
}

// ---------------------------------------------------------------- endpoints

export interface ListParams {
  limit?: number;
  offset?: number;
  q?: string;
}

export const api = {
  health: (signal?: AbortSignal) => request<Health>('GET', '/api/health', { signal }),
  settings: (signal?: AbortSignal) => request<Settings>('GET', '/api/settings', { signal }),
  cluster: (signal?: AbortSignal) => request<Cluster>('GET', '/api/cluster', { signal }),

  // leads
  /** `opted_out`: only the leads on the suppression list (true) or only the others (false). */
  listLeads: (p: ListParams & { sort?: LeadSort; opted_out?: boolean; after?: number } = {}, signal?: AbortSignal) =>
    request<KeysetPage<Lead>>('GET', '/api/leads', { query: { ...p }, signal }),
  bulkLeads: (action: BulkAction, leadIds: number[]) =>
    request<BulkResult>('POST', '/api/leads/bulk', { json: { action, lead_ids: leadIds } }),
  getLead: (id: number, signal?: AbortSignal) => request<Lead>('GET', `/api/leads/${id}`, { signal }),
  createLead: (input: LeadInput) => request<Lead>('POST', '/api/leads', { json: input }),
  updateLead: (id: number, input: LeadInput) => request<Lead>('PUT', `/api/leads/${id}`, { json: input }),
  deleteLead: (id: number) => request<void>('DELETE', `/api/leads/${id}`),
  conversations: (p: { state?: ConversationState; campaign_id?: number; intent?: Intent; q?: string; limit?: number; offset?: number; after?: number } = {}, signal?: AbortSignal) =>
    request<KeysetPage<Conversation>>('GET', '/api/conversations', { query: { ...p }, signal }),
  readConversation: (leadId: number) =>
    request<{ lead_id: number; marked: number }>('POST', `/api/conversations/${leadId}/read`),
  leadMessages: (id: number, p: { after?: number; limit?: number } = {}, signal?: AbortSignal) =>
    request<MessagePage>('GET', `/api/leads/${id}/messages`, { query: { ...p }, signal }),
  sendMessage: (leadId: number, body: string) =>
    request<Message>('POST', `/api/leads/${leadId}/messages`, { json: { body } }),
  approveMessage: (id: number, body?: string) =>
    request<Message>('POST', `/api/messages/${id}/approve`, body === undefined ? {} : { json: { body } }),
  rejectMessage: (id: number) => request<void>('POST', `/api/messages/${id}/reject`),
  importLeadsCsv: (csv: string, o: ImportOptions = {}) =>
    request<ImportResult>('POST', '/api/leads/import', { body: csv, contentType: 'text/csv', query: importQuery(o), signal: o.signal }),
  importLeadsJson: (rows: LeadInput[], o: ImportOptions = {}) =>
    request<ImportResult>('POST', '/api/leads/import', { json: rows, query: importQuery(o), signal: o.signal }),

  // the suppression list (opt-outs): keyset pages ordered by phone; removing a phone is for admin keys
  listOptOuts: (p: { q?: string; after?: string; limit?: number } = {}, signal?: AbortSignal) =>
    request<OptOutPage>('GET', '/api/opt-outs', { query: { ...p }, signal }),
  addOptOuts: (phones: string[], source: 'manual' | 'import' = 'manual') =>
    request<OptOutAddResult>('POST', '/api/opt-outs', { json: { phones, source } }),
  /** A CSV with a header row that has a `phone` column; rejected phones come back by `row`. */
  importOptOutsCsv: (csv: string, signal?: AbortSignal) =>
    request<OptOutAddResult>('POST', '/api/opt-outs', { body: csv, contentType: 'text/csv', query: { source: 'import' }, signal }),
  removeOptOut: (phone: string) => request<void>('DELETE', `/api/opt-outs/${encodeURIComponent(phone)}`),
  /** The whole list as CSV: phone,source,keyword,created_at. */
  exportOptOuts: (signal?: AbortSignal) => download('/api/opt-outs/export', { signal }),

  // campaigns
  listCampaigns: (p: ListParams & { status?: string; after?: number } = {}, signal?: AbortSignal) =>
    request<KeysetPage<Campaign>>('GET', '/api/campaigns', { query: { ...p }, signal }),
  getCampaign: (id: number, signal?: AbortSignal) => request<Campaign>('GET', `/api/campaigns/${id}`, { signal }),
  createCampaign: (input: CampaignInput) => request<Campaign>('POST', '/api/campaigns', { json: input }),
  updateCampaign: (id: number, input: CampaignInput) =>
    request<Campaign>('PUT', `/api/campaigns/${id}`, { json: input }),
  deleteCampaign: (id: number) => request<void>('DELETE', `/api/campaigns/${id}`),
  addCampaignLeads: (id: number, input: Pick<CampaignInput, 'lead_ids' | 'lead_filter' | 'lead_count'>) =>
    request<Record<string, unknown>>('POST', `/api/campaigns/${id}/leads`, { json: input }),
  listCampaignLeads: (id: number, p: { status?: string; limit?: number; offset?: number; after?: number } = {}, signal?: AbortSignal) =>
    request<KeysetPage<CampaignLead>>('GET', `/api/campaigns/${id}/leads`, { query: { ...p }, signal }),
  campaignAction: (id: number, action: 'start' | 'pause' | 'resume' | 'cancel') =>
    request<Campaign | Record<string, unknown>>('POST', `/api/campaigns/${id}/${action}`, { json: {} }),
  scheduleCampaign: (id: number, scheduledAt: string) =>
    request<Campaign | Record<string, unknown>>('POST', `/api/campaigns/${id}/schedule`, {
      json: { scheduled_at: scheduledAt },
    }),
  previewCampaign: (id: number, leadId?: number) =>
    request<Preview>('POST', `/api/campaigns/${id}/preview`, { json: leadId ? { lead_id: leadId } : {} }),
  campaignLogs: (
    id: number,
    p: { level?: string; node?: string; campaign_lead_id?: number; limit?: number; offset?: number; after?: number } = {},
    signal?: AbortSignal,
  ) => request<KeysetPage<ProcessingLog>>('GET', `/api/campaigns/${id}/logs`, { query: { ...p }, signal }),

  // senders: the numbers campaigns send from (any key reads; operator and admin keys change them)
  listSenders: (signal?: AbortSignal) => request<SenderList>('GET', '/api/senders', { signal }),
  getSender: (id: number, signal?: AbortSignal) => request<Sender>('GET', `/api/senders/${id}`, { signal }),
  createSender: (input: SenderInput) => request<Sender>('POST', '/api/senders', { json: input }),
  /** A partial update: only the fields given change. */
  updateSender: (id: number, input: SenderInput) => request<Sender>('PUT', `/api/senders/${id}`, { json: input }),
  deleteSender: (id: number) => request<void>('DELETE', `/api/senders/${id}`),

  // API keys (admin; keysMe: any key)
  keys: (p: { limit?: number; offset?: number; after?: number } = {}, signal?: AbortSignal) =>
    request<KeysetPage<ApiKey>>('GET', '/api/keys', { query: { ...p }, signal }),
  keysMe: (signal?: AbortSignal) => request<ApiKeyMe>('GET', '/api/keys/me', { signal }),
  keysCreate: (input: ApiKeyInput) => request<ApiKeyCreated>('POST', '/api/keys', { json: input }),
  /** Revoke now, or after `afterSeconds` (an overlap while clients switch keys). */
  keysRevoke: (id: number, afterSeconds?: number) =>
    request<void>('DELETE', `/api/keys/${id}`, { query: { after: afterSeconds } }),

  // dashboard
  dashboardStats: (signal?: AbortSignal) => request<DashboardStats>('GET', '/api/dashboard/stats', { signal }),
  recentCampaigns: (limit = 5, signal?: AbortSignal) =>
    request<Page<Campaign> | Campaign[]>('GET', '/api/dashboard/recent-campaigns', { query: { limit }, signal }).then(
      (r) => (Array.isArray(r) ? r : r.items),
    ),
};
