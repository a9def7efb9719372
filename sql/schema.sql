-- smscamp schema: every table, column, constraint and index, the roles, and
-- schema api (the route functions of sql/api/, what smscamp_api may execute).
-- The other files hold functions and triggers only (sql/README.md).
--
-- Idempotent: loaded on every start, on a new or an existing database.  It
-- only ever creates what is missing (IF NOT EXISTS) and replaces functions;
-- it never drops or rewrites data.  To change a table later, append an
-- `ALTER TABLE ... ADD COLUMN IF NOT EXISTS` (or a DO block for a constraint)
-- below its CREATE TABLE.

-- "already exists, skipping" notices on every start are noise
SET client_min_messages = warning;

CREATE EXTENSION IF NOT EXISTS pg_trgm;
-- hmac() for the provider webhooks' signatures (sql/api/webhooks.sql)
CREATE EXTENSION IF NOT EXISTS pgcrypto;

------------------------------------------------------------------------------
-- Roles
------------------------------------------------------------------------------

-- smscamp_api: the role nginx logs in as.  It owns nothing and has no table
-- privileges: it can only EXECUTE the functions of schema api (SECURITY
-- DEFINER), which smscamp_secure_api() (helpers.sql) grants at the end of each
-- sql/api file.
DO $$
BEGIN
    IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'smscamp_api') THEN
        CREATE ROLE smscamp_api LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE;
    END IF;
END
$$;

-- an import of 100,000 rows takes 5-10 s on 2 cores; leave room on a busy machine
ALTER ROLE smscamp_api SET statement_timeout = '60s';
-- route functions report errors by raising them: the API's 4xx answers (which
-- carry phones and names) stay out of the server log; nginx logs the 5xx ones
ALTER ROLE smscamp_api SET log_min_messages = 'fatal';
ALTER ROLE smscamp_api SET log_min_error_statement = 'panic';

REVOKE CREATE ON SCHEMA public FROM PUBLIC;

-- The API, as PostgREST advises: a schema of functions (one per route of
-- routes.conf); smscamp_api may use it and nothing else.  The tables and the
-- private functions stay in public, where smscamp_api has no privileges.
CREATE SCHEMA IF NOT EXISTS api;
REVOKE ALL ON SCHEMA api FROM PUBLIC;
GRANT USAGE ON SCHEMA api TO smscamp_api;

------------------------------------------------------------------------------
-- Small immutable helpers used by constraints
------------------------------------------------------------------------------

-- A deliberately simple e-mail check: something@domain.tld, no spaces, no
-- empty domain labels.  Used by the leads.email CHECK and by the API.
CREATE OR REPLACE FUNCTION email_is_valid(email text) RETURNS boolean
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
RETURN email ~ '^[^@\s]+@[^@\s.]+(\.[^@\s.]+)+$';

-- Keeps updated_at current on every row that actually changes.
CREATE OR REPLACE FUNCTION smscamp_touch_updated_at() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    -- *= compares the rows' binary images: works for every column type,
    -- and a no-op UPDATE keeps its updated_at.
    IF NOT (NEW *= OLD) THEN
        NEW.updated_at := now();
    END IF;
    RETURN NEW;
END
$$;

------------------------------------------------------------------------------
-- Tables (the seed's four, with its column names)
------------------------------------------------------------------------------

CREATE TABLE IF NOT EXISTS leads (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    name        text NOT NULL
                CONSTRAINT leads_name_check
                CHECK (btrim(name) <> '' AND char_length(name) <= 255),
    phone       text NOT NULL
                CONSTRAINT leads_phone_e164 CHECK (phone ~ '^\+[1-9][0-9]{6,14}$')
                CONSTRAINT leads_phone_key UNIQUE,
    email       text
                CONSTRAINT leads_email_check
                CHECK (char_length(email) <= 255 AND email_is_valid(email)),
    company     text
                CONSTRAINT leads_company_check CHECK (char_length(company) <= 255),
    notes       text
                CONSTRAINT leads_notes_check CHECK (char_length(notes) <= 10000),
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now()
);

-- Adds a column to leads on a database that has none, fills the rows there are with
-- p_fill (an SQL expression of the row, from this file) without touching their
-- updated_at (not a change of the leads), then makes it NOT NULL; answers whether it
-- added it.  In steps, not ADD COLUMN ... DEFAULT ... NOT NULL at once: functions of
-- the api files take a leads row, and PostgreSQL refuses to rewrite a table whose row
-- type they use ("function ... uses its row type").
CREATE OR REPLACE FUNCTION smscamp_leads_add_filled_column(p_column text, p_type text,
                                                           p_fill text)
RETURNS boolean
LANGUAGE plpgsql AS $$
DECLARE
    v_touch boolean := EXISTS (SELECT FROM pg_trigger WHERE tgrelid = 'leads'::regclass
                                                        AND tgname = 'leads_touch_updated_at');
BEGIN
    IF EXISTS (SELECT FROM pg_attribute
                WHERE attrelid = 'leads'::regclass AND attname = p_column
                  AND NOT attisdropped) THEN
        RETURN false;
    END IF;
    EXECUTE format('ALTER TABLE leads ADD COLUMN %I %s', p_column, p_type);
    IF v_touch THEN
        ALTER TABLE leads DISABLE TRIGGER leads_touch_updated_at;
    END IF;
    EXECUTE format('UPDATE leads SET %I = %s', p_column, p_fill);
    IF v_touch THEN
        ALTER TABLE leads ENABLE TRIGGER leads_touch_updated_at;
    END IF;
    EXECUTE format('ALTER TABLE leads ALTER COLUMN %I SET NOT NULL', p_column);
    RETURN true;
END
$$;

-- custom fields ({"city": "Leeds", "plan": "Pro"}): a JSON object of strings, numbers
-- and booleans, for templates ({attributes.city}) and filters
DO $$
BEGIN
    IF smscamp_leads_add_filled_column('attributes', 'jsonb', '''{}''') THEN
        ALTER TABLE leads ALTER COLUMN attributes SET DEFAULT '{}';
        ALTER TABLE leads ADD CONSTRAINT leads_attributes_check
            CHECK (jsonb_typeof(attributes) = 'object');
    END IF;
END
$$;

-- the lead's IANA time zone for quiet hours, when set by hand; NULL: the phone's
-- (smscamp_lead_timezone in workflow.sql: by area code in North America)
ALTER TABLE leads ADD COLUMN IF NOT EXISTS timezone text;
DO $$
BEGIN
    IF NOT EXISTS (SELECT FROM pg_constraint WHERE conrelid = 'leads'::regclass
                                              AND conname = 'leads_timezone_check') THEN
        ALTER TABLE leads ADD CONSTRAINT leads_timezone_check
            CHECK (char_length(timezone) <= 64);
    END IF;
END
$$;

-- consent to be texted, as the sender recorded it: when, how (web_form, paper,
-- import, ...) and the words agreed to; a campaign with require_consent skips
-- the leads without consent_at
ALTER TABLE leads ADD COLUMN IF NOT EXISTS consent_at timestamptz;
ALTER TABLE leads ADD COLUMN IF NOT EXISTS consent_source text;
ALTER TABLE leads ADD COLUMN IF NOT EXISTS consent_text text;
DO $$
BEGIN
    IF NOT EXISTS (SELECT FROM pg_constraint WHERE conrelid = 'leads'::regclass
                                              AND conname = 'leads_consent_check') THEN
        ALTER TABLE leads ADD CONSTRAINT leads_consent_check
            CHECK (char_length(consent_source) <= 50 AND char_length(consent_text) <= 2000);
    END IF;
END
$$;

-- what the SMS provider said of the phone: invalid (Twilio error 21211) or
-- not_mobile (21614); NULL: nothing against it.  Later campaigns skip such a
-- lead with the reason; a new phone clears it (leads_phone_status_reset in
-- campaign_lifecycle.sql).
ALTER TABLE leads ADD COLUMN IF NOT EXISTS phone_status text;
ALTER TABLE leads ADD COLUMN IF NOT EXISTS phone_status_at timestamptz;
DO $$
BEGIN
    IF NOT EXISTS (SELECT FROM pg_constraint WHERE conrelid = 'leads'::regclass
                                              AND conname = 'leads_phone_status_check') THEN
        ALTER TABLE leads ADD CONSTRAINT leads_phone_status_check
            CHECK (phone_status IN ('invalid', 'not_mobile'));
    END IF;
END
$$;

-- What GET /api/leads?q= searches (the phone apart, see leads_phone_digits_trgm_idx):
-- lower(name), lower(email) and lower(company) in one string, joined by U+001F
-- (the unit separator, which a search text cannot hold: api_search_like), so that
-- one trigram index serves the search and a row's recheck is one LIKE on stored
-- text instead of three lower()s (10 times cheaper a row, make bench).  Kept by
-- the trigger leads_search_text (below, at the triggers).  A plain column, not a
-- generated one: adding a generated column rewrites the table (see
-- smscamp_leads_add_filled_column).
CREATE OR REPLACE FUNCTION smscamp_lead_search_text(p_name text, p_email text, p_company text)
RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE
RETURN lower(p_name) || E'\x1f' || coalesce(lower(p_email), '') || E'\x1f'
       || coalesce(lower(p_company), '');
DO $$
BEGIN
    PERFORM smscamp_leads_add_filled_column('search_text', 'text',
                                            'smscamp_lead_search_text(name, email, company)');
END
$$;

-- What the search of the leads (api_leads_search_page in api/leads.sql) knows of
-- them, refreshed together by smscamp_search_stats_refresh() (api/leads.sql:
-- every 5 minutes from pg_cron, and after an import), each replaced as a whole:
--
-- lead_search_sample: about 1,000 leads drawn at random (each lead alike, not
-- whole pages: leads imported together sit together), whose matches estimate
-- how many leads a search matches before it chooses how to find them.
CREATE TABLE IF NOT EXISTS lead_search_sample (
    search_text text NOT NULL,
    phone       text NOT NULL
);
-- phone_digit_trigrams: how common each trigram of phone digits is, the share of
-- the phones (digits without the '+') that hold it, from about 10,000 leads.
-- Phones share their first digits (the country code, the area codes of a
-- region): a trigram index lookup with such a trigram reads the posting list of
-- nearly every lead (7 ms for 100,000 leads), so the search looks up only the
-- stretch of the digits without them (api_phone_digits_index_like).  1,000 rows
-- at most.
CREATE TABLE IF NOT EXISTS phone_digit_trigrams (
    trigram text PRIMARY KEY,
    share   real NOT NULL
);

-- The zone names a lead's timezone may take: PostgreSQL's own (pg_timezone_names),
-- by region, refreshed on every load (a tzdata update adds zones).  Looked up by
-- lower(name): "america/chicago" is stored as America/Chicago.
CREATE TABLE IF NOT EXISTS time_zones (
    name text PRIMARY KEY
);
CREATE UNIQUE INDEX IF NOT EXISTS time_zones_lower_key ON time_zones (lower(name));
INSERT INTO time_zones (name)
SELECT z.name FROM pg_timezone_names z
 WHERE z.name ~ '^(Africa|America|Antarctica|Arctic|Asia|Atlantic|Australia|Europe|Indian|Pacific)/[A-Za-z0-9_/+-]+$'
    OR z.name = 'UTC'
ON CONFLICT DO NOTHING;

CREATE TABLE IF NOT EXISTS campaigns (
    id                 bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    name               text NOT NULL
                       CONSTRAINT campaigns_name_check
                       CHECK (btrim(name) <> '' AND char_length(name) <= 255),
    description        text
                       CONSTRAINT campaigns_description_check
                       CHECK (char_length(description) <= 10000),
    agent_type         text NOT NULL DEFAULT 'sms'
                       CONSTRAINT campaigns_agent_type_check
                       CHECK (agent_type IN ('sms', 'voice', 'both')),
    status             text NOT NULL DEFAULT 'draft'
                       CONSTRAINT campaigns_status_check
                       CHECK (status IN ('draft', 'scheduled', 'pending', 'processing',
                                         'paused', 'completed', 'failed', 'cancelled')),
    sms_system_prompt  text
                       CONSTRAINT campaigns_sms_system_prompt_check
                       CHECK (char_length(sms_system_prompt) <= 4000),
    -- hundredths: 70 means a temperature of 0.70
    sms_temperature    integer NOT NULL DEFAULT 70
                       CONSTRAINT campaigns_sms_temperature_check
                       CHECK (sms_temperature BETWEEN 0 AND 200),
    stats              jsonb NOT NULL DEFAULT '{}',
    created_at         timestamptz NOT NULL DEFAULT now(),
    updated_at         timestamptz NOT NULL DEFAULT now(),
    started_at         timestamptz,
    completed_at       timestamptz
);

ALTER TABLE campaigns
    ADD COLUMN IF NOT EXISTS scheduled_at            timestamptz,
    -- 0 = unlimited; set it to the provider's messages-per-second limit
    ADD COLUMN IF NOT EXISTS messages_per_second     numeric(8,3) NOT NULL DEFAULT 0
        CONSTRAINT campaigns_mps_check CHECK (messages_per_second >= 0),
    -- quiet hours in the recipient's time zone; NULL = send at any hour
    ADD COLUMN IF NOT EXISTS send_window             text DEFAULT '08:00-21:00'
        CONSTRAINT campaigns_send_window_check
        CHECK (send_window ~ '^([01][0-9]|2[0-3]):[0-5][0-9]-([01][0-9]|2[0-4]):[0-5][0-9]$'),
    ADD COLUMN IF NOT EXISTS max_send_errors         integer NOT NULL DEFAULT 10
        CONSTRAINT campaigns_max_send_errors_check CHECK (max_send_errors >= 1),
    ADD COLUMN IF NOT EXISTS consecutive_send_errors integer NOT NULL DEFAULT 0;

-- what the messages say, besides sms_system_prompt (after the columns above, so that new
-- and upgraded databases have the same column order): the message with placeholders
-- ({first_name}, {company|your team}, ...), sent as written when there is no AI model and
-- the model's starting point when there is one; and who the messages are from ("Sam from
-- Acme"), for {sender_name} and the writers
ALTER TABLE campaigns
    ADD COLUMN IF NOT EXISTS sms_template text
        CONSTRAINT campaigns_sms_template_check CHECK (char_length(sms_template) <= 1600),
    ADD COLUMN IF NOT EXISTS sender_name text
        CONSTRAINT campaigns_sender_name_check CHECK (char_length(sender_name) <= 100);

-- the reply agent (sql/reply_agent.sql): off = classify the replies only, draft =
-- suggest an answer for a person to approve, auto = answer; reply_prompt says what
-- the business offers, how to answer and when to hand over
ALTER TABLE campaigns
    ADD COLUMN IF NOT EXISTS reply_mode text NOT NULL DEFAULT 'off'
        CONSTRAINT campaigns_reply_mode_check CHECK (reply_mode IN ('off', 'draft', 'auto')),
    ADD COLUMN IF NOT EXISTS reply_prompt text
        CONSTRAINT campaigns_reply_prompt_check CHECK (char_length(reply_prompt) <= 4000);

-- skip the leads without consent on record (leads.consent_at), with the reason logged
ALTER TABLE campaigns ADD COLUMN IF NOT EXISTS require_consent boolean NOT NULL DEFAULT false;

-- the senders a campaign sends from (senders.id; NULL: every active sender),
-- the carrier-filtered messages (error 30007) after which it pauses itself,
-- why it paused itself (NULL once resumed), and the frequency cap: skip the
-- leads any campaign messaged in the last N hours
ALTER TABLE campaigns
    ADD COLUMN IF NOT EXISTS sender_ids bigint[],
    ADD COLUMN IF NOT EXISTS max_filtered integer NOT NULL DEFAULT 20
        CONSTRAINT campaigns_max_filtered_check CHECK (max_filtered >= 1),
    ADD COLUMN IF NOT EXISTS filtered_count integer NOT NULL DEFAULT 0,
    ADD COLUMN IF NOT EXISTS paused_reason text,
    ADD COLUMN IF NOT EXISTS exclude_messaged_within_hours integer
        CONSTRAINT campaigns_exclude_messaged_check
        CHECK (exclude_messaged_within_hours BETWEEN 1 AND 8760);

-- voice (agent_type voice): what the call script is written from, the
-- writer's temperature (hundredths), and the calls a second the campaign
-- places (held across the workers, like messages_per_second)
ALTER TABLE campaigns
    ADD COLUMN IF NOT EXISTS voice_system_prompt text
        CONSTRAINT campaigns_voice_system_prompt_check CHECK (char_length(voice_system_prompt) <= 4000),
    ADD COLUMN IF NOT EXISTS voice_temperature integer NOT NULL DEFAULT 70
        CONSTRAINT campaigns_voice_temperature_check CHECK (voice_temperature BETWEEN 0 AND 200),
    ADD COLUMN IF NOT EXISTS calls_per_second numeric(8,3) NOT NULL DEFAULT 1
        CONSTRAINT campaigns_calls_per_second_check
        CHECK (calls_per_second > 0 AND calls_per_second <= 10000);

-- agent_type both: the call after the SMS, call_delay_seconds later, or only
-- when the SMS was not answered by then (call_if_no_reply); call_slot_at: the
-- next free moment of its calls_per_second (sql/calls.sql claims the calls)
ALTER TABLE campaigns
    ADD COLUMN IF NOT EXISTS call_delay_seconds integer NOT NULL DEFAULT 0
        CONSTRAINT campaigns_call_delay_seconds_check
        CHECK (call_delay_seconds BETWEEN 0 AND 604800),
    ADD COLUMN IF NOT EXISTS call_if_no_reply boolean NOT NULL DEFAULT false,
    ADD COLUMN IF NOT EXISTS call_slot_at timestamptz;

CREATE TABLE IF NOT EXISTS campaign_leads (
    id               bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    campaign_id      bigint NOT NULL REFERENCES campaigns (id) ON DELETE CASCADE,
    -- NULL once the lead is deleted (see below): the row keeps what was sent
    lead_id          bigint CONSTRAINT campaign_leads_lead_id_fkey
                     REFERENCES leads (id) ON DELETE SET NULL,
    status           text NOT NULL DEFAULT 'pending'
                     CONSTRAINT campaign_leads_status_check
                     CHECK (status IN ('pending', 'processing', 'sending', 'sent',
                                       'delivered', 'undelivered', 'failed', 'skipped',
                                       'cancelled', 'unknown')),
    sms_sent         boolean NOT NULL DEFAULT false,
    sms_message      text,
    sms_response     text,
    voice_call_made  boolean NOT NULL DEFAULT false,
    trace_id         text,
    error_message    text,
    sms_segments     integer CONSTRAINT campaign_leads_sms_segments_check
                     CHECK (sms_segments >= 0),
    sms_cost         numeric(12,4) CONSTRAINT campaign_leads_sms_cost_check
                     CHECK (sms_cost >= 0),
    attempts         integer NOT NULL DEFAULT 0
                     CONSTRAINT campaign_leads_attempts_check CHECK (attempts >= 0),
    next_attempt_at  timestamptz,
    created_at       timestamptz NOT NULL DEFAULT now(),
    updated_at       timestamptz NOT NULL DEFAULT now(),
    processed_at     timestamptz,
    CONSTRAINT campaign_leads_campaign_lead_key UNIQUE (campaign_id, lead_id)
);

-- Deleting a lead keeps what was sent to it (senders must keep records of what they
-- sent): its campaign leads that never started (pending, no attempt, no message) go
-- with it, the others stay with lead_id NULL and the name and phone they were messaged
-- at in lead_name and lead_phone (columns added below, after the workers' own, so that
-- new and upgraded databases have the same column order; written when the lead is
-- deleted, by the trigger leads_delete_campaign_leads in campaign_lifecycle.sql, which
-- also cancels those still waiting).
-- Databases from before: lead_id was NOT NULL, its foreign key ON DELETE CASCADE.
ALTER TABLE campaign_leads ALTER COLUMN lead_id DROP NOT NULL;
DO $$
DECLARE
    r record;
BEGIN
    IF NOT EXISTS (SELECT FROM pg_constraint k
                    WHERE k.conrelid = 'campaign_leads'::regclass
                      AND k.conname = 'campaign_leads_lead_id_fkey'
                      AND k.contype = 'f' AND k.confrelid = 'leads'::regclass
                      AND k.confdeltype = 'n') THEN
        -- any other foreign key to leads (another name) goes too
        FOR r IN SELECT k.conname FROM pg_constraint k
                  WHERE k.conrelid = 'campaign_leads'::regclass AND k.contype = 'f'
                    AND k.confrelid = 'leads'::regclass
                    AND k.conname <> 'campaign_leads_lead_id_fkey'
        LOOP
            EXECUTE format('ALTER TABLE campaign_leads DROP CONSTRAINT %I', r.conname);
        END LOOP;
        ALTER TABLE campaign_leads
            DROP CONSTRAINT IF EXISTS campaign_leads_lead_id_fkey,
            ADD CONSTRAINT campaign_leads_lead_id_fkey FOREIGN KEY (lead_id)
                REFERENCES leads (id) ON DELETE SET NULL;
    END IF;
END
$$;

-- the workers' columns (claim, send, delivery), added to the seed's table
ALTER TABLE campaign_leads
    ADD COLUMN IF NOT EXISTS claimed_by          integer,
    ADD COLUMN IF NOT EXISTS claimed_at          timestamptz,
    ADD COLUMN IF NOT EXISTS sending_at          timestamptz,
    ADD COLUMN IF NOT EXISTS sms_sid             text,
    ADD COLUMN IF NOT EXISTS sms_provider_status text,
    ADD COLUMN IF NOT EXISTS sms_encoding        text,
    ADD COLUMN IF NOT EXISTS validation_errors   jsonb,
    ADD COLUMN IF NOT EXISTS delivered_at        timestamptz,
    -- a deleted lead's name and phone, as messaged (see above)
    ADD COLUMN IF NOT EXISTS lead_name           text,
    ADD COLUMN IF NOT EXISTS lead_phone          text,
    -- why a pending lead waits until next_attempt_at: written with it by the
    -- claim's deferral (quiet_hours) and by the retries (retry)
    ADD COLUMN IF NOT EXISTS wait_reason         text
        CONSTRAINT campaign_leads_wait_reason_check
        CHECK (wait_reason IN ('quiet_hours', 'retry'));

-- the sender the claim chose (senders.id, kept when the sender is deleted: no
-- foreign key) and the provider's error code of a failed send or delivery
ALTER TABLE campaign_leads
    ADD COLUMN IF NOT EXISTS sender_id  bigint,
    ADD COLUMN IF NOT EXISTS error_code integer;

-- a voice campaign's call (sql/calls.sql): the script, its words, the call's
-- SID and status (calling: committed before the Calls request, as sending is
-- for an SMS), its duration in seconds, who answered (Twilio's AnsweredBy:
-- human, machine_start, machine_end_beep, ...) and its price
ALTER TABLE campaign_leads
    ADD COLUMN IF NOT EXISTS call_script      text,
    ADD COLUMN IF NOT EXISTS call_words       integer,
    ADD COLUMN IF NOT EXISTS call_sid         text,
    ADD COLUMN IF NOT EXISTS call_status      text,
    ADD COLUMN IF NOT EXISTS call_duration    integer,
    ADD COLUMN IF NOT EXISTS call_answered_by text,
    ADD COLUMN IF NOT EXISTS call_cost        numeric(12,4),
    -- agent_type both: when the call after the SMS is due, the worker placing
    -- it (pid), its attempts
    ADD COLUMN IF NOT EXISTS call_due_at      timestamptz,
    ADD COLUMN IF NOT EXISTS call_claimed_by  integer,
    -- (no default, nullable: a column with one cannot be added to a table whose
    -- row type a function of the baseline uses; NULL reads as 0)
    ADD COLUMN IF NOT EXISTS call_attempts    integer;
-- (the call statuses of before the calls after an SMS: scheduled, writing and skipped)
DO $$
BEGIN
    IF EXISTS (SELECT FROM pg_constraint WHERE conrelid = 'campaign_leads'::regclass
                                          AND conname = 'campaign_leads_call_status_check'
                                          AND pg_get_constraintdef(oid) NOT LIKE '%writing%') THEN
        ALTER TABLE campaign_leads DROP CONSTRAINT campaign_leads_call_status_check;
    END IF;
END
$$;
DO $$
BEGIN
    IF NOT EXISTS (SELECT FROM pg_constraint WHERE conrelid = 'campaign_leads'::regclass
                                              AND conname = 'campaign_leads_call_status_check') THEN
        ALTER TABLE campaign_leads ADD CONSTRAINT campaign_leads_call_status_check
            CHECK (call_status IN ('scheduled', 'writing', 'skipped', 'calling', 'logged', 'queued',
                                   'initiated', 'ringing',
                                   'in-progress', 'completed', 'busy', 'no-answer', 'failed',
                                   'canceled', 'unknown')
                   AND char_length(call_answered_by) <= 50 AND call_duration >= 0);
    END IF;
END
$$;

-- a campaign lead always says whom it is for: its lead, or the phone it was messaged at
DO $$
BEGIN
    IF NOT EXISTS (SELECT FROM pg_constraint k
                    WHERE k.conrelid = 'campaign_leads'::regclass
                      AND k.conname = 'campaign_leads_deleted_lead_check') THEN
        ALTER TABLE campaign_leads ADD CONSTRAINT campaign_leads_deleted_lead_check
            CHECK (lead_id IS NOT NULL OR lead_phone IS NOT NULL);
    END IF;
END
$$;

ALTER TABLE campaign_leads ALTER COLUMN trace_id SET DEFAULT gen_random_uuid()::text;
ALTER TABLE campaign_leads ALTER COLUMN next_attempt_at SET DEFAULT now();

DO $$
BEGIN
    IF EXISTS (SELECT FROM information_schema.columns
                WHERE table_name = 'campaign_leads' AND column_name = 'next_attempt_at'
                  AND is_nullable = 'YES') THEN
        UPDATE campaign_leads SET next_attempt_at = created_at WHERE next_attempt_at IS NULL;
        UPDATE campaign_leads SET trace_id = gen_random_uuid()::text WHERE trace_id IS NULL;
        ALTER TABLE campaign_leads ALTER COLUMN next_attempt_at SET NOT NULL;
    END IF;
END
$$;

CREATE TABLE IF NOT EXISTS processing_logs (
    id                bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    campaign_lead_id  bigint REFERENCES campaign_leads (id) ON DELETE CASCADE,
    level             text NOT NULL
                      CONSTRAINT processing_logs_level_check
                      CHECK (level IN ('debug', 'info', 'warning', 'error')),
    node_name         text CONSTRAINT processing_logs_node_name_check
                      CHECK (char_length(node_name) <= 100),
    message           text NOT NULL,
    metadata          jsonb,
    created_at        timestamptz NOT NULL DEFAULT now()
);

-- opted-out phones (STOP replies, the API): never messaged
CREATE TABLE IF NOT EXISTS opt_outs (
    phone       text PRIMARY KEY CHECK (phone ~ '^\+[1-9][0-9]{6,14}$'),
    keyword     text,
    source      text NOT NULL DEFAULT 'sms',
    created_at  timestamptz NOT NULL DEFAULT now()
);

-- What the API did to the suppression list, and who (the API key's name):
-- phones added (POST /api/opt-outs) and removed (DELETE /api/opt-outs/{phone},
-- an admin's).  The keywords' and the classifier's opt-outs are in opt_outs
-- itself (source, keyword, created_at).
CREATE TABLE IF NOT EXISTS opt_out_events (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    phone       text NOT NULL,
    action      text NOT NULL CONSTRAINT opt_out_events_action_check
                CHECK (action IN ('added', 'removed')),
    source      text,
    by_key      text,
    created_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX IF NOT EXISTS opt_out_events_phone_idx ON opt_out_events (phone, id);

-- the "log" SMS provider: messages recorded here instead of sent
CREATE TABLE IF NOT EXISTS sms_outbox (
    id                bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    campaign_lead_id  bigint REFERENCES campaign_leads (id) ON DELETE SET NULL,
    to_phone          text NOT NULL,
    from_phone        text,
    body              text NOT NULL,
    segments          integer NOT NULL,
    created_at        timestamptz NOT NULL DEFAULT now()
);

-- the "log" provider's calls: recorded here instead of placed
CREATE TABLE IF NOT EXISTS call_outbox (
    id                bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    campaign_lead_id  bigint REFERENCES campaign_leads (id) ON DELETE SET NULL,
    to_phone          text NOT NULL,
    from_phone        text,
    script            text NOT NULL,
    created_at        timestamptz NOT NULL DEFAULT now()
);

-- Provider status callbacks that came before their SID was recorded (sql/callbacks.sql):
-- Twilio may call back within milliseconds of accepting a request, before the
-- worker has committed the SID it answered.  Kept a while (only when a send or
-- a call is in flight), applied by the workers' housekeeping once the SID is
-- known, dropped after 10 minutes.  form: the callback's fields, as signed.
CREATE TABLE IF NOT EXISTS early_callbacks (
    id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    kind         text NOT NULL CHECK (kind IN ('sms', 'call')),
    sid          text NOT NULL CHECK (char_length(sid) BETWEEN 1 AND 64),
    form         jsonb NOT NULL,
    received_at  timestamptz NOT NULL DEFAULT now()
);

-- The node whose workers hold the claims (campaign_leads.claimed_by and
-- call_claimed_by, messages.claimed_by: a worker's pid): one row, the life of
-- the server the workers last ran on (system identifier, port, postmaster
-- start).  A claim is a pid in that life.  When the workers start on another
-- server (a standby promoted by a failover) or after a restart, no pid in the
-- tables is one of theirs, whatever it is: smscamp_live_workers (workflow.sql)
-- then counts none of them as live, and the housekeeping recovers them all.
CREATE TABLE IF NOT EXISTS engine_node (
    one         boolean PRIMARY KEY DEFAULT true CHECK (one),
    life        text NOT NULL,
    since       timestamptz NOT NULL DEFAULT now()
);

-- Every SMS in or out of a lead's thread (sql/messages.sql).  Outbound: a
-- campaign's send (kind campaign, one row when the campaign lead's SMS is
-- handed to the provider, its status following the campaign lead's), a
-- reply written by a person (reply) or by the reply agent (auto).  Inbound:
-- what the lead sent (kind reply, no status), stored by the inbound
-- webhook, once per provider_sid (Twilio retries a webhook).  phone is the
-- lead's side of the conversation: an inbound message from an unknown number
-- has no lead_id, and a deleted lead's messages keep theirs.
CREATE TABLE IF NOT EXISTS messages (
    id                bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    lead_id           bigint REFERENCES leads (id) ON DELETE SET NULL,
    campaign_id       bigint REFERENCES campaigns (id) ON DELETE SET NULL,
    campaign_lead_id  bigint REFERENCES campaign_leads (id) ON DELETE SET NULL,
    phone             text NOT NULL,
    direction         text NOT NULL
                      CONSTRAINT messages_direction_check
                      CHECK (direction IN ('inbound', 'outbound')),
    body              text NOT NULL,
    kind              text NOT NULL
                      CONSTRAINT messages_kind_check
                      CHECK (kind IN ('campaign', 'reply', 'auto')),
    status            text
                      CONSTRAINT messages_status_check
                      CHECK ((direction = 'inbound') = (status IS NULL)
                             AND (status IS NULL OR status IN ('draft', 'queued', 'sending',
                                  'sent', 'delivered', 'undelivered', 'failed', 'unknown'))),
    provider_sid      text,
    -- inbound: what the lead means (sql/reply_agent.sql)
    intent            text
                      CONSTRAINT messages_intent_check
                      CHECK (intent IN ('interested', 'question', 'not_interested', 'opt_out',
                                        'wrong_number', 'other')),
    created_at        timestamptz NOT NULL DEFAULT now(),
    sent_at           timestamptz,
    -- inbound: when someone read it (POST /api/conversations/{lead_id}/read)
    read_at           timestamptz,
    -- outbound: the inbound message it answers (the reply agent answers one once)
    reply_to_id       bigint REFERENCES messages (id) ON DELETE SET NULL,
    -- outbound, queued: not before (quiet hours, a retry's backoff)
    send_after        timestamptz,
    -- the worker (pid) that holds it: sending it, or the reply agent's model call
    claimed_by        integer,
    attempts          integer NOT NULL DEFAULT 0,
    segments          integer,
    cost              numeric(10,4),
    -- outbound: why it failed, or why its fate is unknown
    error             text,
    -- inbound: what the reply agent has left to do (classify it, then answer
    -- it); NULL once done
    agent_state       text
                      CONSTRAINT messages_agent_state_check
                      CHECK (agent_state IN ('classify', 'answer')),
    -- who sent an outbound reply: a person (the API key's name) or the agent
    sent_by           text
);

-- outbound, kind auto: an automatic answer to a keyword (sql/keywords.sql): the
-- HELP answer, or the one confirmation of an opt-out or an opt-in.  Quiet hours
-- never hold them, and an opt-out's confirmation is the one message an
-- opted-out phone still gets.
ALTER TABLE messages ADD COLUMN IF NOT EXISTS purpose text;
DO $$
BEGIN
    IF NOT EXISTS (SELECT FROM pg_constraint WHERE conrelid = 'messages'::regclass
                                              AND conname = 'messages_purpose_check') THEN
        ALTER TABLE messages ADD CONSTRAINT messages_purpose_check
            CHECK (purpose IS NULL
                   OR (purpose IN ('help', 'opt_out_confirmation', 'opt_in_confirmation')
                       AND kind = 'auto' AND direction = 'outbound'));
    END IF;
END
$$;

-- the sender of an outbound message, the one an inbound message was sent to
-- (senders.id, no foreign key: a deleted sender's messages keep it) and the
-- number or messaging service it went from; an outbound message's provider
-- error code (Twilio's code of a failed send or delivery)
ALTER TABLE messages
    ADD COLUMN IF NOT EXISTS sender_id  bigint,
    ADD COLUMN IF NOT EXISTS from_phone text,
    ADD COLUMN IF NOT EXISTS error_code integer;

-- The numbers (and Twilio Messaging Services) the messages go from
-- (sql/senders.sql, sql/api/senders.sql).  phone: E.164 for a long code or a
-- toll-free number, 3-8 digits for a short code, the ID for an alphanumeric
-- sender (1-11 letters, digits or spaces, one letter at least); a messaging
-- service has its MG... SID instead.  segments_per_second: the carrier's rate
-- for it, which the workers keep across all of them (pg_extension/shmem.c).
CREATE TABLE IF NOT EXISTS senders (
    id                    bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    name                  text CONSTRAINT senders_name_check
                          CHECK (char_length(name) BETWEEN 1 AND 100),
    phone                 text UNIQUE,
    messaging_service_sid text UNIQUE
                          CONSTRAINT senders_messaging_service_sid_check
                          CHECK (messaging_service_sid ~ '^MG[0-9a-f]{32}$'),
    kind                  text NOT NULL
                          CONSTRAINT senders_kind_check
                          CHECK (kind IN ('long_code', 'toll_free', 'short_code',
                                          'alphanumeric', 'messaging_service')),
    segments_per_second   numeric(9,3) NOT NULL
                          CONSTRAINT senders_segments_per_second_check
                          CHECK (segments_per_second > 0 AND segments_per_second <= 10000),
    active                boolean NOT NULL DEFAULT true,
    created_at            timestamptz NOT NULL DEFAULT now(),
    updated_at            timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT senders_address_check CHECK (
        CASE kind
            WHEN 'messaging_service' THEN phone IS NULL AND messaging_service_sid IS NOT NULL
            WHEN 'alphanumeric' THEN messaging_service_sid IS NULL
                 AND phone ~ '^[A-Za-z0-9 ]{1,11}$' AND phone ~ '[A-Za-z]'
            WHEN 'short_code' THEN messaging_service_sid IS NULL AND phone ~ '^[0-9]{3,8}$'
            ELSE messaging_service_sid IS NULL AND phone ~ '^\+[1-9][0-9]{6,14}$'
        END)
);
-- new leads are spread over a campaign's senders in turn (smscamp_pick_sender)
CREATE SEQUENCE IF NOT EXISTS senders_rotation;

-- the allowed changes of a campaign's status (rows: campaign_rules.sql)
CREATE TABLE IF NOT EXISTS campaign_status_transitions (
    from_status text NOT NULL,
    to_status   text NOT NULL,
    PRIMARY KEY (from_status, to_status),
    CONSTRAINT campaign_status_transitions_check CHECK (
        from_status IN ('draft', 'scheduled', 'pending', 'processing', 'paused',
                        'completed', 'failed', 'cancelled')
        AND to_status IN ('draft', 'scheduled', 'pending', 'processing', 'paused',
                          'completed', 'failed', 'cancelled')
        AND from_status <> to_status)
);

------------------------------------------------------------------------------
-- Statistics tables (kept by the triggers of campaign_stats.sql)
------------------------------------------------------------------------------


-- Per campaign: the leads not finished yet (pending, processing or
-- sending: how many of those are processing or sending right now is counted
-- when read, from the few rows the workers hold, so that claiming a lead and
-- marking it sending write no counter), one counter per final status, and
-- the segments and cost of the SMS handed to the provider (sms_sent).  The
-- sum over shards is the truth; shard 0 holds what compaction folded in.
CREATE TABLE IF NOT EXISTS campaign_stats (
    campaign_id   bigint  NOT NULL,
    shard         integer NOT NULL DEFAULT 0,
    total_leads   bigint  NOT NULL DEFAULT 0,
    unfinished    bigint  NOT NULL DEFAULT 0,   -- pending, processing or sending
    sent          bigint  NOT NULL DEFAULT 0,
    delivered     bigint  NOT NULL DEFAULT 0,
    undelivered   bigint  NOT NULL DEFAULT 0,
    failed        bigint  NOT NULL DEFAULT 0,
    skipped       bigint  NOT NULL DEFAULT 0,
    cancelled     bigint  NOT NULL DEFAULT 0,
    unknown       bigint  NOT NULL DEFAULT 0,
    sms_segments  bigint  NOT NULL DEFAULT 0,
    sms_cost      numeric NOT NULL DEFAULT 0,
    PRIMARY KEY (campaign_id, shard)
);

-- the first and the last send of the campaign (processed_at of its sms_sent
-- leads): readers take min/max over the shards.  Existing databases: filled
-- from campaign_leads when the columns are added.
DO $$
BEGIN
    IF NOT EXISTS (SELECT FROM pg_attribute a
                    WHERE a.attrelid = 'campaign_stats'::regclass
                      AND a.attname = 'first_sent_at' AND NOT a.attisdropped) THEN
        ALTER TABLE campaign_stats
            ADD COLUMN first_sent_at timestamptz,
            ADD COLUMN last_sent_at  timestamptz;
        UPDATE campaign_stats s
           SET first_sent_at = x.first_sent_at, last_sent_at = x.last_sent_at
          FROM (SELECT cl.campaign_id, min(cl.processed_at) AS first_sent_at,
                       max(cl.processed_at) AS last_sent_at
                  FROM campaign_leads cl WHERE cl.sms_sent
                 GROUP BY cl.campaign_id) AS x
         WHERE s.campaign_id = x.campaign_id;
    END IF;
END
$$;

-- Per hour (UTC-aligned) of processed_at: messages that ended sent/delivered
-- ("sent") or failed/undelivered ("failed"), segments and cost of the SMS
-- handed to the provider.
CREATE TABLE IF NOT EXISTS message_stats_hourly (
    hour      timestamptz NOT NULL,
    shard     integer     NOT NULL DEFAULT 0,
    sent      bigint      NOT NULL DEFAULT 0,
    failed    bigint      NOT NULL DEFAULT 0,
    segments  bigint      NOT NULL DEFAULT 0,
    cost      numeric     NOT NULL DEFAULT 0,
    PRIMARY KEY (hour, shard)
);

-- Row counts the dashboard needs: 'leads', 'campaigns.<status>'.
CREATE TABLE IF NOT EXISTS smscamp_counters (
    name   text    NOT NULL,
    shard  integer NOT NULL DEFAULT 0,
    n      bigint  NOT NULL DEFAULT 0,
    PRIMARY KEY (name, shard)
);

-- The sum of campaign_stats over every campaign, per writing backend (shard),
-- kept by statement triggers on campaign_stats itself: whatever writes it (the
-- campaign_leads triggers, a deleted campaign, compaction, a rebuild), the
-- grand totals follow, and the dashboard reads a few rows instead of adding up
-- every campaign's.
CREATE TABLE IF NOT EXISTS campaign_stats_total (
    shard         integer PRIMARY KEY,
    total_leads   bigint  NOT NULL DEFAULT 0,
    unfinished    bigint  NOT NULL DEFAULT 0,
    sent          bigint  NOT NULL DEFAULT 0,
    delivered     bigint  NOT NULL DEFAULT 0,
    undelivered   bigint  NOT NULL DEFAULT 0,
    failed        bigint  NOT NULL DEFAULT 0,
    skipped       bigint  NOT NULL DEFAULT 0,
    cancelled     bigint  NOT NULL DEFAULT 0,
    unknown       bigint  NOT NULL DEFAULT 0,
    sms_segments  bigint  NOT NULL DEFAULT 0,
    sms_cost      numeric NOT NULL DEFAULT 0
);

------------------------------------------------------------------------------
-- API keys (Authorization: Bearer <key>); only their SHA-256 is stored
------------------------------------------------------------------------------

CREATE TABLE IF NOT EXISTS api_keys (
    id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    name          text NOT NULL
                  CONSTRAINT api_keys_name_check
                  CHECK (btrim(name) <> '' AND char_length(name) <= 255),
    role          text NOT NULL
                  CONSTRAINT api_keys_role_check
                  CHECK (role IN ('viewer', 'operator', 'admin')),
    key_hash      text NOT NULL CONSTRAINT api_keys_key_hash_key UNIQUE
                  CONSTRAINT api_keys_key_hash_check CHECK (key_hash ~ '^[0-9a-f]{64}$'),
    key_prefix    text NOT NULL,
    created_at    timestamptz NOT NULL DEFAULT now(),
    last_used_at  timestamptz,
    expires_at    timestamptz,
    revoked_at    timestamptz
);

-- requests per second this key may make (burst: twice as many); NULL: the
-- nginx default (smscamp_rate_limit_key)
ALTER TABLE api_keys ADD COLUMN IF NOT EXISTS rate_limit integer
    CONSTRAINT api_keys_rate_limit_check CHECK (rate_limit BETWEEN 1 AND 1000000);

------------------------------------------------------------------------------
-- Indexes
------------------------------------------------------------------------------

-- GET /api/leads?q=: case-insensitive substring search (LIKE '%q%') over
-- search_text (name, email and company) and the phone's digits.  The phone
-- index is on ltrim(phone, '+'), not on phone: gin_trgm_ops also serves
-- "=", and the planner must never pick it over leads_phone_key for
-- phone = $1 (it is far slower, above all with a long GIN pending list).
-- (search_text's one index replaced one a field: two GIN indexes fewer to
-- write on every insert.)
CREATE INDEX IF NOT EXISTS leads_search_trgm_idx
    ON leads USING gin (search_text gin_trgm_ops);
DROP INDEX IF EXISTS leads_name_trgm_idx;
DROP INDEX IF EXISTS leads_email_trgm_idx;
DROP INDEX IF EXISTS leads_company_trgm_idx;
CREATE INDEX IF NOT EXISTS leads_phone_digits_trgm_idx
    ON leads USING gin (ltrim(phone, '+') gin_trgm_ops);
-- attributes @> '{"city": "Leeds"}'
CREATE INDEX IF NOT EXISTS leads_attributes_idx
    ON leads USING gin (attributes jsonb_path_ops);

CREATE INDEX IF NOT EXISTS campaigns_status_idx
    ON campaigns (status, id);

-- (campaign_id, status, id) below serves what (campaign_id, status) did
DROP INDEX IF EXISTS campaign_leads_campaign_status_idx;
-- deleting a lead finds its campaign_leads rows (leads_delete_campaign_leads)
CREATE INDEX IF NOT EXISTS campaign_leads_lead_idx
    ON campaign_leads (lead_id);

CREATE INDEX IF NOT EXISTS processing_logs_campaign_lead_idx
    ON processing_logs (campaign_lead_id, id);

-- the campaign's pages (GET /api/campaigns/{id}/leads, /logs): a page of a campaign's
-- leads in id order, all or of one status, without sorting the campaign's rows; the
-- second also serves counts per status

CREATE INDEX IF NOT EXISTS campaign_leads_campaign_id_idx
    ON campaign_leads (campaign_id, id);
CREATE INDEX IF NOT EXISTS campaign_leads_campaign_status_id_idx
    ON campaign_leads (campaign_id, status, id);
-- a running campaign's current send rate: its sends of the last minute
-- (smscamp_campaign_rate), an index range
CREATE INDEX IF NOT EXISTS campaign_leads_sent_at_idx
    ON campaign_leads (campaign_id, processed_at) WHERE sms_sent;

-- claim: pending leads of a campaign whose retry time has come
CREATE INDEX IF NOT EXISTS campaign_leads_claim_idx
    ON campaign_leads (campaign_id, next_attempt_at) WHERE status = 'pending';
-- recovery: leads a worker holds
CREATE INDEX IF NOT EXISTS campaign_leads_claimed_idx
    ON campaign_leads (claimed_by) WHERE status IN ('processing', 'sending');
CREATE INDEX IF NOT EXISTS campaign_leads_sid_idx
    ON campaign_leads (sms_sid) WHERE sms_sid IS NOT NULL;
CREATE INDEX IF NOT EXISTS campaigns_scheduled_idx
    ON campaigns (scheduled_at) WHERE status = 'scheduled';
CREATE INDEX IF NOT EXISTS sms_outbox_campaign_lead_idx
    ON sms_outbox (campaign_lead_id);
-- a lead's thread in order (keyset pages), a provider's message once
CREATE INDEX IF NOT EXISTS messages_lead_idx ON messages (lead_id, id);
-- the inbox: a conversation is a phone's messages
CREATE INDEX IF NOT EXISTS messages_phone_idx ON messages (phone, id);
CREATE UNIQUE INDEX IF NOT EXISTS messages_provider_sid_key
    ON messages (provider_sid) WHERE provider_sid IS NOT NULL;
CREATE INDEX IF NOT EXISTS messages_campaign_lead_idx
    ON messages (campaign_lead_id) WHERE campaign_lead_id IS NOT NULL;
-- replies per campaign (campaign stats) and per hour (the dashboard)
CREATE INDEX IF NOT EXISTS messages_campaign_inbound_idx
    ON messages (campaign_id, campaign_lead_id) WHERE direction = 'inbound';
CREATE INDEX IF NOT EXISTS messages_inbound_created_idx
    ON messages (created_at) WHERE direction = 'inbound';
-- a voice status callback finds its campaign lead; a campaign's calls (its stats)
CREATE INDEX IF NOT EXISTS campaign_leads_call_sid_idx
    ON campaign_leads (call_sid) WHERE call_sid IS NOT NULL;
CREATE INDEX IF NOT EXISTS campaign_leads_calls_idx
    ON campaign_leads (campaign_id) WHERE voice_call_made;
-- the calls after an SMS that are due, being written or being placed (sql/calls.sql)
DROP INDEX IF EXISTS campaign_leads_call_legs_idx;
CREATE INDEX IF NOT EXISTS campaign_leads_call_steps_idx
    ON campaign_leads (campaign_id, call_due_at)
    WHERE call_status IN ('scheduled', 'writing', 'calling');
CREATE INDEX IF NOT EXISTS call_outbox_campaign_lead_idx
    ON call_outbox (campaign_lead_id);
-- a campaign's provider error codes (its stats)
CREATE INDEX IF NOT EXISTS campaign_leads_error_code_idx
    ON campaign_leads (campaign_id, error_code) WHERE error_code IS NOT NULL;
-- the workers' queues: outbound messages to send, inbound ones for the reply agent
CREATE INDEX IF NOT EXISTS messages_queued_idx
    ON messages (send_after NULLS FIRST, id) WHERE status = 'queued';
CREATE INDEX IF NOT EXISTS messages_agent_idx
    ON messages (id) WHERE agent_state IS NOT NULL;
CREATE INDEX IF NOT EXISTS messages_claimed_idx
    ON messages (claimed_by) WHERE claimed_by IS NOT NULL;
-- the reply agent answers an inbound message at most once
CREATE UNIQUE INDEX IF NOT EXISTS messages_auto_reply_key
    ON messages (reply_to_id) WHERE kind = 'auto' AND reply_to_id IS NOT NULL;

-- Databases from before messages: the campaigns' sends so far, once (the
-- table is empty only until then: every send adds its row from now on)
DO $$
BEGIN
    IF NOT EXISTS (SELECT FROM messages) THEN
        INSERT INTO messages (lead_id, campaign_id, campaign_lead_id, phone, direction, body,
                              kind, status, provider_sid, created_at, sent_at)
        SELECT cl.lead_id, cl.campaign_id, cl.id, coalesce(l.phone, cl.lead_phone), 'outbound',
               cl.sms_message, 'campaign',
               CASE WHEN cl.status IN ('sent', 'delivered', 'undelivered', 'failed', 'unknown')
                    THEN cl.status ELSE 'sent' END,
               cl.sms_sid, coalesce(cl.sending_at, cl.processed_at, cl.created_at),
               cl.processed_at
          FROM campaign_leads cl LEFT JOIN leads l ON l.id = cl.lead_id
         WHERE cl.sms_sent AND cl.sms_message IS NOT NULL
           AND coalesce(l.phone, cl.lead_phone) IS NOT NULL
         ORDER BY cl.processed_at, cl.id
        ON CONFLICT (provider_sid) WHERE provider_sid IS NOT NULL DO NOTHING;
    END IF;
END
$$;

------------------------------------------------------------------------------
-- Triggers
------------------------------------------------------------------------------

CREATE OR REPLACE TRIGGER leads_touch_updated_at
    BEFORE UPDATE ON leads
    FOR EACH ROW EXECUTE FUNCTION smscamp_touch_updated_at();
-- search_text follows name, email and company
CREATE OR REPLACE FUNCTION smscamp_lead_search_text_set() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    NEW.search_text := smscamp_lead_search_text(NEW.name, NEW.email, NEW.company);
    RETURN NEW;
END
$$;
CREATE OR REPLACE TRIGGER leads_search_text
    BEFORE INSERT OR UPDATE OF name, email, company ON leads
    FOR EACH ROW EXECUTE FUNCTION smscamp_lead_search_text_set();
CREATE OR REPLACE TRIGGER campaigns_touch_updated_at
    BEFORE UPDATE ON campaigns
    FOR EACH ROW EXECUTE FUNCTION smscamp_touch_updated_at();
CREATE OR REPLACE TRIGGER senders_touch_updated_at
    BEFORE UPDATE ON senders
    FOR EACH ROW EXECUTE FUNCTION smscamp_touch_updated_at();
CREATE OR REPLACE TRIGGER campaign_leads_touch_updated_at
    BEFORE UPDATE ON campaign_leads
    FOR EACH ROW EXECUTE FUNCTION smscamp_touch_updated_at();

------------------------------------------------------------------------------
-- Privileges on tables: nobody but the owner (the route functions run as it)
------------------------------------------------------------------------------

REVOKE ALL ON ALL TABLES IN SCHEMA public FROM PUBLIC, smscamp_api;
REVOKE ALL ON ALL SEQUENCES IN SCHEMA public FROM PUBLIC, smscamp_api;
