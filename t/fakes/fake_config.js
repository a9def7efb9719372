'use strict';
// fake_config.js — the fake providers' configuration (t/fakes/fake_providers.js): the defaults,
// the checks of a patch (the command line and POST /_fake/config), and the command line.

// ------------------------------------------------------------------ configuration

const DEFAULTS = Object.freeze({
    // credentials
    openai_api_key: 'sk-test',
    twilio_account_sid: 'ACtest',
    twilio_auth_token: 'tok-test',
    // latency (every answered request waits latency_ms + uniform[0, jitter_ms))
    llm_latency_ms: 0,
    sms_latency_ms: 0,
    call_latency_ms: 0,
    llm_latency_jitter_ms: 0,
    sms_latency_jitter_ms: 0,
    call_latency_jitter_ms: 0,
    // random faults (one PRNG draw per request, after auth/validation and rules)
    llm_error_rate: 0,           // 500
    sms_error_rate: 0,           // 500, message not accepted
    llm_429_rate: 0,
    sms_429_rate: 0,
    llm_garbage_rate: 0,         // 200 with body "<html>oops"
    sms_garbage_rate: 0,         // 200 with body "<html>oops", message not accepted
    llm_timeout_rate: 0,         // request read, never answered
    sms_timeout_rate: 0,         // request read, never answered, message not accepted
    sms_accept_then_500_rate: 0, // message recorded as accepted, answer 500
    sms_accept_then_timeout_rate: 0, // message recorded as accepted, never answered
    call_error_rate: 0,          // the same for the Calls API (500, call not accepted)…
    call_429_rate: 0,
    call_garbage_rate: 0,
    call_timeout_rate: 0,
    call_accept_then_500_rate: 0,     // …call recorded as accepted, answer 500
    call_accept_then_timeout_rate: 0, // call recorded as accepted, never answered
    retry_after_s: 1,            // Retry-After on 429s
    // deterministic rules (checked before the random faults)
    sms_rules: {},               // { "<To suffix>": behaviour | {behaviour, times, latency_ms, retry_after_s} }
    call_rules: {},              // { "<To suffix>": behaviour | outcome | {behaviour, outcome, duration_s, answered_by, times, latency_ms, retry_after_s} }
    llm_rules: {},               // { "<substring of a user message>": behaviour | style | {…, content, style} }
    // LLM answer style: plain | quoted | long | emoji
    llm_style: 'plain',
    // status callbacks: when set (e.g. "delivered"), every accepted message with a StatusCallback
    // gets that callback automatically, sms_auto_status_delay_ms after acceptance
    sms_auto_status: null,
    sms_auto_status_delay_ms: 50,
    // call progress: when set to an outcome (completed | machine | busy | no-answer | failed |
    // canceled), every accepted call with a StatusCallback gets that outcome's callbacks
    // (initiated, ringing, answered, the final one), the first call_auto_status_delay_ms after
    // acceptance, then call_status_step_ms apart; an answered call lasts call_duration_s
    call_auto_status: null,
    call_auto_status_delay_ms: 50,
    call_status_step_ms: 20,
    call_duration_s: 20,
    // replies: sms_reply_rate of the accepted messages are answered by their recipient, a signed
    // inbound webhook to sms_reply_url (e.g. http://127.0.0.1:8080/api/webhooks/sms/inbound),
    // sms_reply_delay_ms after acceptance, with one of sms_reply_bodies
    sms_reply_rate: 0,
    sms_reply_url: '',
    sms_reply_delay_ms: 200,
    sms_reply_bodies: ['Yes please!', 'What time?', 'Sounds good, how much is it?', 'Who is this?',
                       'Not interested', 'wrong number', 'Please remove me from your list',
                       'Tell me more', 'STOP', 'Thanks'],
    // PRNG seed (mulberry32); re-seeded on reset and whenever `seed` is configured
    seed: 1,
    // records
    max_records: 1000000,        // per list; beyond that records are counted but not kept
    record_llm_messages: true,   // false: keep model/temperature/time only (long benchmarks)
    log_requests: false,         // one line per provider request on stderr
});

const LLM_FAULTS = ['ok', '400', '401', '429', '500', 'garbage', 'timeout'];
// openapi_mock: what a schema-driven mock of OpenAI's published API document answers
// (Prism-style: every string is "string", the first enum value, so a refusal "string")
const LLM_STYLES = ['plain', 'quoted', 'long', 'emoji', 'openapi_mock'];
// 21211 / 21614 / 21610: a 400 with that Twilio error code (invalid number, not a mobile,
// unsubscribed); 400 is 21610 too
const SMS_BEHAVIOURS = ['ok', '400', '401', '429', '500', 'garbage', 'timeout',
    'accept_then_500', 'accept_then_timeout', 'accept_then_garbage', '21211', '21614', '21610'];
// Calls: 400 and 21211 are a 400 "not a valid phone number", 21215 a 400 "not authorized to call"
// (geo permissions)
const CALL_BEHAVIOURS = ['ok', '400', '401', '429', '500', 'garbage', 'timeout',
    'accept_then_500', 'accept_then_timeout', 'accept_then_garbage', '21211', '21215'];
// how an accepted call ends (call_auto_status, a call_rules outcome): its status callbacks
const CALL_OUTCOMES = ['completed', 'machine', 'busy', 'no-answer', 'failed', 'canceled'];
// a call's statuses (POST /_fake/call-status); 'initiated' is a callback status only
const CALL_STATUSES = ['queued', 'initiated', 'ringing', 'in-progress', 'completed', 'busy', 'no-answer', 'failed', 'canceled'];
const CALL_FINAL_STATUSES = ['completed', 'busy', 'no-answer', 'failed', 'canceled'];
// Twilio's AnsweredBy values (answering machine detection)
const ANSWERED_BY = ['human', 'machine_start', 'machine_end_beep', 'machine_end_silence', 'machine_end_other', 'fax', 'unknown'];

class ConfigError extends Error {}

// kind: llm | sms | call
function checkBehaviour(kind, key, v) {
    const behaviours = kind === 'llm' ? LLM_FAULTS : kind === 'call' ? CALL_BEHAVIOURS : SMS_BEHAVIOURS;
    const allowed = kind === 'llm' ? LLM_FAULTS.concat(LLM_STYLES) : kind === 'call' ? CALL_BEHAVIOURS.concat(CALL_OUTCOMES) : SMS_BEHAVIOURS;
    const bad = (msg) => { throw new ConfigError(`${kind}_rules["${key}"]: ${msg}`); };
    if (typeof v === 'string') {
        if (!allowed.includes(v)) bad(`unknown behaviour "${v}" (one of ${allowed.join(', ')})`);
        return;
    }
    if (!v || typeof v !== 'object' || Array.isArray(v)) bad('must be a string or an object');
    const fields = ['behaviour', 'times', 'latency_ms', 'retry_after_s']
        .concat(kind === 'llm' ? ['style', 'content', 'refusal', 'finish_reason'] : [])
        .concat(kind === 'call' ? ['outcome', 'duration_s', 'answered_by'] : []);
    for (const f of Object.keys(v)) if (!fields.includes(f)) bad(`unknown field "${f}" (one of ${fields.join(', ')})`);
    if (v.behaviour !== undefined && !behaviours.includes(v.behaviour))
        bad(`unknown behaviour "${v.behaviour}" (one of ${behaviours.join(', ')})`);
    if (v.outcome !== undefined && !CALL_OUTCOMES.includes(v.outcome))
        bad(`unknown outcome "${v.outcome}" (one of ${CALL_OUTCOMES.join(', ')})`);
    if (v.answered_by !== undefined && !ANSWERED_BY.includes(v.answered_by))
        bad(`unknown answered_by "${v.answered_by}" (one of ${ANSWERED_BY.join(', ')})`);
    if (v.duration_s !== undefined && !(Number.isFinite(v.duration_s) && v.duration_s >= 0)) bad('duration_s must be a number >= 0');
    if (v.style !== undefined && !LLM_STYLES.includes(v.style)) bad(`unknown style "${v.style}"`);
    if (v.content !== undefined && typeof v.content !== 'string') bad('content must be a string');
    if (v.refusal !== undefined && v.refusal !== null && typeof v.refusal !== 'string') bad('refusal must be a string or null');
    if (v.finish_reason !== undefined && !['stop', 'length', 'content_filter', 'tool_calls', 'function_call'].includes(v.finish_reason))
        bad('finish_reason must be stop, length, content_filter, tool_calls or function_call');
    for (const f of ['times', 'latency_ms', 'retry_after_s'])
        if (v[f] !== undefined && !(Number.isFinite(v[f]) && v[f] >= 0)) bad(`${f} must be a number >= 0`);
}

// Validate and normalise `patch` against DEFAULTS; returns a new object with only known keys.
function checkConfig(patch) {
    if (!patch || typeof patch !== 'object' || Array.isArray(patch)) throw new ConfigError('config must be a JSON object');
    const out = {};
    for (const [k, raw] of Object.entries(patch)) {
        if (!(k in DEFAULTS)) throw new ConfigError(`unknown config key "${k}"`);
        const def = DEFAULTS[k];
        let v = raw;
        if (k === 'sms_rules' || k === 'llm_rules' || k === 'call_rules') {
            if (v === null) v = {};
            if (typeof v !== 'object' || Array.isArray(v)) throw new ConfigError(`${k} must be an object`);
            for (const [rk, rv] of Object.entries(v)) checkBehaviour(k.replace(/_rules$/, ''), rk, rv);
        } else if (k === 'sms_reply_bodies') {
            if (!Array.isArray(v) || v.length === 0 || v.some((b) => typeof b !== 'string'))
                throw new ConfigError(`${k} must be a non-empty array of strings`);
        } else if (k === 'sms_auto_status') {
            if (v !== null && typeof v !== 'string') throw new ConfigError(`${k} must be a status string or null`);
        } else if (k === 'call_auto_status') {
            if (v === '') v = null;
            if (v !== null && !CALL_OUTCOMES.includes(v))
                throw new ConfigError(`${k} must be null or one of ${CALL_OUTCOMES.join(', ')}`);
        } else if (typeof def === 'number') {
            if (typeof v === 'string' && v.trim() !== '') v = Number(v);
            if (!Number.isFinite(v) || v < 0) throw new ConfigError(`${k} must be a number >= 0`);
            if (k.endsWith('_rate') && v > 1) throw new ConfigError(`${k} must be between 0 and 1`);
        } else if (typeof def === 'boolean') {
            if (v === 'true' || v === '1') v = true;
            else if (v === 'false' || v === '0') v = false;
            if (typeof v !== 'boolean') throw new ConfigError(`${k} must be a boolean`);
        } else if (typeof def === 'string') {
            if (typeof v !== 'string') throw new ConfigError(`${k} must be a string`);
            if (k === 'llm_style' && !LLM_STYLES.includes(v)) throw new ConfigError(`llm_style must be one of ${LLM_STYLES.join(', ')}`);
        }
        out[k] = v;
    }
    return out;
}

function usage(code) {
    const lines = [
        'usage: node fake_providers.js [--port N] [--portfile FILE] [--config JSON] [--<knob> VALUE]…',
        '',
        '  --port N        port on 127.0.0.1 (0 = pick a free one; default 0)',
        '  --portfile F    write the chosen port to F once listening',
        '  --config JSON   a JSON object of knobs (like FAKE_CONFIG, applied after it)',
        '  --quiet         do not print "listening on …"',
        '',
        'knobs (flag form: underscores become dashes, e.g. --llm-latency-ms 300):',
    ];
    for (const [k, v] of Object.entries(DEFAULTS)) lines.push(`  --${k.replace(/_/g, '-')}  (default ${JSON.stringify(v)})`);
    (code ? process.stderr : process.stdout).write(lines.join('\n') + '\n');
    process.exit(code);
}

function parseArgs(argv) {
    const opts = { port: 0, portfile: null, quiet: false, config: {} };
    const fail = (msg) => { process.stderr.write(`fake_providers: ${msg}\n`); usage(2); };
    const cli = {};
    for (let i = 0; i < argv.length; i++) {
        let a = argv[i];
        if (a === '-h' || a === '--help') usage(0);
        if (!a.startsWith('--')) fail(`unexpected argument "${a}"`);
        a = a.slice(2);
        let val;
        const eq = a.indexOf('=');
        if (eq >= 0) { val = a.slice(eq + 1); a = a.slice(0, eq); }
        const name = a.replace(/-/g, '_');
        if (name === 'quiet') { opts.quiet = true; continue; }
        if (val === undefined) {
            if (i + 1 >= argv.length) fail(`--${a} needs a value`);
            val = argv[++i];
        }
        if (name === 'port') {
            opts.port = Number(val);
            if (!Number.isInteger(opts.port) || opts.port < 0 || opts.port > 65535) fail(`bad --port "${val}"`);
        } else if (name === 'portfile') {
            opts.portfile = val;
        } else if (name === 'config') {
            try { Object.assign(cli, JSON.parse(val)); } catch (e) { fail(`--config: ${e.message}`); }
        } else if (name in DEFAULTS) {
            const def = DEFAULTS[name];
            if (def !== null && typeof def === 'object') {
                try { cli[name] = JSON.parse(val); } catch (e) { fail(`--${a}: not JSON: ${e.message}`); }
            } else if ((name === 'sms_auto_status' || name === 'call_auto_status') && (val === '' || val === 'null')) {
                cli[name] = null;
            } else {
                cli[name] = val;
            }
        } else {
            fail(`unknown option --${a}`);
        }
    }
    let env = {};
    if (process.env.FAKE_CONFIG) {
        try { env = JSON.parse(process.env.FAKE_CONFIG); } catch (e) { fail(`FAKE_CONFIG is not JSON: ${e.message}`); }
    }
    try {
        opts.config = Object.assign({}, DEFAULTS, checkConfig(env), checkConfig(cli));
    } catch (e) {
        fail(e.message);
    }
    return opts;
}


module.exports = { DEFAULTS, LLM_FAULTS, LLM_STYLES, SMS_BEHAVIOURS, CALL_BEHAVIOURS, CALL_OUTCOMES, CALL_STATUSES,
                   CALL_FINAL_STATUSES, ANSWERED_BY, checkBehaviour, checkConfig, usage, parseArgs };
