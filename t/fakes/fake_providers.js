#!/usr/bin/env node
'use strict';
// fake_providers.js — one loopback HTTP server faking both paid services smscamp talks to:
//
//   POST /v1/chat/completions                                   OpenAI-compatible chat completions
//   POST /2010-04-01/Accounts/{AccountSid}/Messages.json        Twilio-compatible Messages API
//   GET  /2010-04-01/Accounts/{AccountSid}/Messages/{Sid}.json  fetch one message (reconciliation)
//   GET  /2010-04-01/Accounts/{AccountSid}/Messages.json?To=…   list messages
//   POST /2010-04-01/Accounts/{AccountSid}/Calls.json           Twilio-compatible Calls API (voice)
//   GET  /2010-04-01/Accounts/{AccountSid}/Calls/{Sid}.json     fetch one call
//   GET  /2010-04-01/Accounts/{AccountSid}/Calls.json?To=…      list calls
//
// plus a control plane under /_fake/ (config, reset, records, stats, status callbacks).
// Node.js ≥ 18, core modules only. See t/fakes/README.md for knobs and examples.
//
//   node t/fakes/fake_providers.js --port 0 --portfile /tmp/fake.port --llm-latency-ms 300

const http = require('http');
const crypto = require('crypto');
const fs = require('fs');
const { URL } = require('url');

// the configuration (defaults, checks, command line) and the texts it writes and measures
const { LLM_STYLES, CALL_OUTCOMES, CALL_STATUSES, CALL_FINAL_STATUSES, ANSWERED_BY, checkConfig, parseArgs } = require('./fake_config.js');
const { contentText, segmentInfo, generate, approxTokens } = require('./fake_text.js');

// ------------------------------------------------------------------ state

const OPTS = parseArgs(process.argv.slice(2));
const STARTUP_CONFIG = Object.freeze(OPTS.config);   // what /_fake/reset restores
let cfg = Object.assign({}, STARTUP_CONFIG);

// mulberry32: small, fast, repeatable. One stream per purpose, so LLM traffic never shifts
// the SMS fault sequence (nor calls either), and latency jitter never shifts any of them.
function mulberry32(seed) {
    let a = seed >>> 0;
    return function () {
        a = (a + 0x6D2B79F5) >>> 0;
        let t = a;
        t = Math.imul(t ^ (t >>> 15), t | 1);
        t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
        return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
    };
}
let rng;
function reseed() {
    const s = Math.floor(Number(cfg.seed)) >>> 0;
    rng = {
        llm: mulberry32(s ^ 0x1f123bb5),
        sms: mulberry32(s ^ 0x5bd1e995),
        llmJitter: mulberry32(s ^ 0x27d4eb2f),
        smsJitter: mulberry32(s ^ 0x165667b1),
        replies: mulberry32(s ^ 0x2545f491),
        calls: mulberry32(s ^ 0x61c88647),
        callsJitter: mulberry32(s ^ 0x7feb352d),
    };
}
reseed();

function newStats() {
    const svc = () => ({ requests: 0, inflight: 0, max_inflight: 0, outcomes: {} });
    return { llm: svc(), sms: svc(), calls: svc(), callbacks: { sent: 0, failed: 0, outcomes: {} },
             call_callbacks: { sent: 0, failed: 0, outcomes: {} },
             replies: { sent: 0, failed: 0, outcomes: {} }, fake: 0, not_found: 0 };
}

let records, stats, ruleHits;
let generation = 0;              // bumped on reset: a call's progress chain started before stops
const startedAt = Date.now();
const held = new Set();          // responses deliberately never answered (timeouts)
const timers = new Set();        // pending latency / callback timers
const internCache = new Map();   // identical system prompts share one string in the records

function resetState() {
    records = { messages: [], messagesBySid: new Map(), smsRequests: [], llmRequests: [],
                calls: [], callsBySid: new Map(), callRequests: [],
                dropped: { messages: 0, sms_requests: 0, llm_requests: 0, calls: 0, call_requests: 0 } };
    stats = newStats();
    ruleHits = { llm: new Map(), sms: new Map(), calls: new Map() };
    generation++;
    internCache.clear();
    for (const res of held) res.destroy();
    held.clear();
    for (const t of timers) clearTimeout(t);
    timers.clear();
}
resetState();

function later(ms, fn) {
    if (!(ms > 0)) { fn(); return; }
    const t = setTimeout(() => { timers.delete(t); fn(); }, ms);
    timers.add(t);
}

function keep(list, droppedKey, rec) {
    if (list.length < cfg.max_records) { list.push(rec); return true; }
    records.dropped[droppedKey]++;
    return false;
}

function intern(s) {
    if (typeof s !== 'string' || s.length < 32) return s;
    const hit = internCache.get(s);
    if (hit !== undefined) return hit;
    if (internCache.size < 4096) internCache.set(s, s);
    return s;
}

function bump(svc, outcome) {
    const o = stats[svc].outcomes;
    o[outcome] = (o[outcome] || 0) + 1;
}

// ------------------------------------------------------------------ HTTP helpers

function send(res, status, body, headers) {
    if (res.destroyed || res.writableEnded) return;
    const isStr = typeof body === 'string';
    const payload = isStr ? body : JSON.stringify(body);
    const h = Object.assign({
        'Content-Type': isStr ? 'text/plain; charset=utf-8' : 'application/json; charset=utf-8',
        'Content-Length': Buffer.byteLength(payload),
    }, headers || {});
    res.writeHead(status, h);
    res.end(payload);
}

// Query parser that keeps '+' literal (phone numbers), decoding %XX only.
function parseQuery(search) {
    const q = {};
    if (!search) return q;
    for (const part of search.replace(/^\?/, '').split('&')) {
        if (!part) continue;
        const eq = part.indexOf('=');
        const k = eq < 0 ? part : part.slice(0, eq);
        const v = eq < 0 ? '' : part.slice(eq + 1);
        try { q[decodeURIComponent(k)] = decodeURIComponent(v); } catch (e) { q[k] = v; }
    }
    return q;
}

const MAX_BODY = 1 << 20;

function readBody(req, cb) {
    const chunks = [];
    let size = 0, tooBig = false;
    req.on('data', (c) => {
        if (tooBig) return;
        size += c.length;
        if (size > MAX_BODY) { tooBig = true; return; }
        chunks.push(c);
    });
    req.on('end', () => cb(tooBig ? null : Buffer.concat(chunks).toString('utf8'), tooBig));
    req.on('error', () => {});
}

function rfc2822(d) {
    return d.toUTCString().replace(/GMT$/, '+0000');
}

// ------------------------------------------------------------------ rules

// Resolve a rule (string or object) into {behaviour, style, content, latency_ms, retry_after_s}
// and count it against `times`. Returns null when the rule is spent.
function applyRule(kind, key, rule) {
    const r = typeof rule === 'string'
        ? (kind === 'llm' && LLM_STYLES.includes(rule) ? { style: rule }
            : kind === 'calls' && CALL_OUTCOMES.includes(rule) ? { outcome: rule } : { behaviour: rule })
        : rule;
    const hits = ruleHits[kind].get(key) || 0;
    if (r.times !== undefined && hits >= r.times) return null;
    ruleHits[kind].set(key, hits + 1);
    return r;
}

// kind 'sms' (cfg.sms_rules) or 'calls' (cfg.call_rules)
function matchSuffixRule(kind, rules, to) {
    // longest matching suffix wins (a spent `times` rule falls through to the next one)
    const keys = Object.keys(rules).filter((k) => to.endsWith(k)).sort((a, b) => b.length - a.length);
    for (const key of keys) {
        const r = applyRule(kind, key, rules[key]);
        if (r) return r;
    }
    return null;
}
const matchSmsRule = (to) => matchSuffixRule('sms', cfg.sms_rules, to);
const matchCallRule = (to) => matchSuffixRule('calls', cfg.call_rules, to);

function matchLlmRule(userText) {
    // first matching key in insertion order
    for (const key of Object.keys(cfg.llm_rules)) {
        if (userText.includes(key)) {
            const r = applyRule('llm', key, cfg.llm_rules[key]);
            if (r) return r;
        }
    }
    return null;
}

// the config prefix of a provider kind's knobs (call_error_rate, call_latency_ms, …)
const KNOB_PREFIX = { llm: 'llm', sms: 'sms', calls: 'call' };

// One PRNG draw per request, mapped onto the cumulative fault rates in a fixed order.
function drawFault(kind) {
    const u = rng[kind]();
    const p = KNOB_PREFIX[kind];
    const table = kind === 'llm'
        ? [['timeout', cfg.llm_timeout_rate], ['429', cfg.llm_429_rate], ['500', cfg.llm_error_rate], ['garbage', cfg.llm_garbage_rate]]
        : [['timeout', cfg[`${p}_timeout_rate`]], ['429', cfg[`${p}_429_rate`]], ['500', cfg[`${p}_error_rate`]], ['garbage', cfg[`${p}_garbage_rate`]],
           ['accept_then_500', cfg[`${p}_accept_then_500_rate`]], ['accept_then_timeout', cfg[`${p}_accept_then_timeout_rate`]]];
    let acc = 0;
    for (const [name, rate] of table) {
        acc += rate;
        if (u < acc) return name;
    }
    return 'ok';
}

function latencyFor(kind, rule) {
    if (rule && rule.latency_ms !== undefined) return rule.latency_ms;
    const p = KNOB_PREFIX[kind];
    const base = cfg[`${p}_latency_ms`];
    const jitter = cfg[`${p}_latency_jitter_ms`];
    return base + (jitter > 0 ? rng[`${kind}Jitter`]() * jitter : 0);
}

function hold(res) {
    held.add(res);
    res.on('close', () => held.delete(res));
}

// ------------------------------------------------------------------ OpenAI fake

function openaiError(status, message, type, param, code) {
    return [status, { error: { message, type, param: param === undefined ? null : param, code: code === undefined ? null : code } }];
}
const OAI_401 = () => openaiError(401, 'Incorrect API key provided', 'invalid_request_error', null, 'invalid_api_key');
const OAI_429 = (model) => openaiError(429,
    `Rate limit reached for ${model || 'gpt-4o-mini'} in organization org-fake on requests per min (RPM): Limit 500, Used 500, Requested 1. Please try again in ${cfg.retry_after_s}s.`,
    'requests', null, 'rate_limit_exceeded');
const OAI_500 = () => openaiError(500, 'The server had an error while processing your request. Sorry about that!', 'server_error');

function validateChat(body) {
    let j;
    try { j = JSON.parse(body); } catch (e) {
        return { err: openaiError(400, "We could not parse the JSON body of your request. (HINT: This likely means you aren't using your HTTP library correctly. The OpenAI API expects a JSON payload, but what was sent was not valid JSON.)", 'invalid_request_error') };
    }
    if (!j || typeof j !== 'object' || Array.isArray(j))
        return { err: openaiError(400, 'The request body must be a JSON object.', 'invalid_request_error') };
    if (typeof j.model !== 'string' || j.model === '')
        return { j, err: openaiError(400, 'you must provide a model parameter', 'invalid_request_error', 'model') };
    if (!Array.isArray(j.messages))
        return { j, err: openaiError(400, "Missing required parameter: 'messages'.", 'invalid_request_error', 'messages', 'missing_required_parameter') };
    if (j.messages.length === 0)
        return { j, err: openaiError(400, "Invalid 'messages': empty array. Expected an array with minimum length 1, but got an empty array instead.", 'invalid_request_error', 'messages', 'empty_array') };
    const roles = ['system', 'developer', 'user', 'assistant', 'tool', 'function'];
    for (let i = 0; i < j.messages.length; i++) {
        const m = j.messages[i];
        if (!m || typeof m !== 'object' || !roles.includes(m.role))
            return { j, err: openaiError(400, `Invalid value for 'messages[${i}].role': expected one of ${roles.join(', ')}.`, 'invalid_request_error', `messages[${i}].role`, 'invalid_value') };
        if (typeof m.content !== 'string' && !Array.isArray(m.content) && !(m.role === 'assistant' && m.content === null))
            return { j, err: openaiError(400, `Invalid type for 'messages[${i}].content': expected a string or an array of content parts.`, 'invalid_request_error', `messages[${i}].content`, 'invalid_type') };
    }
    if (j.temperature !== undefined && j.temperature !== null &&
        (typeof j.temperature !== 'number' || j.temperature < 0 || j.temperature > 2))
        return { j, err: openaiError(400, `Invalid 'temperature': decimal above maximum value. Expected a value <= 2, but got ${JSON.stringify(j.temperature)} instead.`, 'invalid_request_error', 'temperature', 'decimal_above_max_value') };
    for (const k of ['max_tokens', 'max_completion_tokens']) {
        if (j[k] !== undefined && j[k] !== null && !(Number.isInteger(j[k]) && j[k] >= 1))
            return { j, err: openaiError(400, `Invalid '${k}': integer below minimum value. Expected a value >= 1, but got ${JSON.stringify(j[k])} instead.`, 'invalid_request_error', k, 'integer_below_min_value') };
    }
    return { j };
}


// A request to a fake provider ('llm', 'sms' or 'calls'): counted in stats[kind] (requests, inflight
// while its response is open, max_inflight). Once its body is read, its record (n, time, ts,
// outcome and the kind's fields) is made, answer(body, tooBig, rec, now) fills it in and returns
// { outcome, status, payload, headers, rule }; the record is kept, the outcome counted, and the
// answer sent after the kind's (or the rule's) latency, or never (status null: a timeout).
const REQUEST_KINDS = {
    llm: { list: () => records.llmRequests, dropped: 'llm_requests', log: (rec) => rec.model },
    sms: { list: () => records.smsRequests, dropped: 'sms_requests', log: (rec) => rec.to },
    calls: { list: () => records.callRequests, dropped: 'call_requests', log: (rec) => rec.to },
};
function providerRequest(kind, req, res, fields, answer) {
    const st = stats[kind];
    st.requests++;
    st.inflight++;
    if (st.inflight > st.max_inflight) st.max_inflight = st.inflight;
    let done = false;
    const finish = () => { if (!done) { done = true; st.inflight--; } };
    res.on('close', finish);

    readBody(req, (body, tooBig) => {
        const now = Date.now();
        const rec = { n: st.requests, time: new Date(now).toISOString(), ts: now, outcome: null, ...fields };
        const { outcome, status, payload, headers, rule } = answer(body, tooBig, rec, now);
        const k = REQUEST_KINDS[kind];
        rec.outcome = outcome;
        bump(kind, outcome);
        keep(k.list(), k.dropped, rec);
        if (cfg.log_requests) process.stderr.write(`${kind} ${outcome} ${k.log(rec)}\n`);
        if (status === null) { hold(res); return; }
        later(latencyFor(kind, rule), () => send(res, status, payload, headers));
    });
}

function handleChat(req, res) {
    const fields = { model: null, temperature: null, max_tokens: null, messages: null };
    providerRequest('llm', req, res, fields, (body, tooBig, rec, now) => {
        let outcome, status, payload, headers = null, rule = null;

        const auth = req.headers.authorization || '';
        const m = /^Bearer\s+(.+)$/i.exec(auth);
        if (!m || m[1].trim() !== cfg.openai_api_key) {
            outcome = '401'; [status, payload] = OAI_401();
        } else if (tooBig) {
            outcome = '400'; [status, payload] = openaiError(413, 'Request body too large.', 'invalid_request_error');
        } else {
            const v = validateChat(body);
            if (v.j && typeof v.j === 'object') {
                rec.model = typeof v.j.model === 'string' ? v.j.model : null;
                rec.temperature = v.j.temperature === undefined ? null : v.j.temperature;
                rec.max_tokens = v.j.max_tokens === undefined ? (v.j.max_completion_tokens === undefined ? null : v.j.max_completion_tokens) : v.j.max_tokens;
                if (cfg.record_llm_messages && Array.isArray(v.j.messages))
                    rec.messages = v.j.messages.map((mm) => (mm && typeof mm === 'object'
                        ? { role: mm.role, content: mm.role === 'system' ? intern(mm.content) : mm.content } : mm));
            }
            if (v.err) {
                outcome = '400'; [status, payload] = v.err;
            } else {
                const j = v.j;
                const userText = j.messages.filter((mm) => mm.role === 'user').map((mm) => contentText(mm.content)).join('\n');
                rule = matchLlmRule(userText);
                let fault = rule && rule.behaviour ? rule.behaviour : null;
                if (fault === null) fault = drawFault('llm');
                outcome = fault;
                if (fault === '400') {
                    [status, payload] = openaiError(400, 'Invalid request (fake_providers rule).', 'invalid_request_error');
                } else if (fault === '401') {
                    [status, payload] = OAI_401();
                } else if (fault === '429') {
                    const ra = rule && rule.retry_after_s !== undefined ? rule.retry_after_s : cfg.retry_after_s;
                    [status, payload] = OAI_429(j.model);
                    headers = { 'Retry-After': String(ra), 'x-ratelimit-reset-requests': `${ra}s` };
                } else if (fault === '500') {
                    [status, payload] = OAI_500();
                } else if (fault === 'garbage') {
                    status = 200; payload = '<html>oops'; headers = { 'Content-Type': 'application/json' };
                } else if (fault === 'timeout') {
                    status = null;
                } else {
                    const style = rule && rule.style ? rule.style : cfg.llm_style;
                    let content = rule && rule.content !== undefined ? rule.content : generate(j, style);
                    let finish_reason = 'stop';
                    const maxTok = j.max_tokens || j.max_completion_tokens;
                    if (maxTok && approxTokens(content) > maxTok) {
                        content = content.slice(0, maxTok * 4);
                        finish_reason = 'length';
                    }
                    if (rule && rule.finish_reason !== undefined) finish_reason = rule.finish_reason;
                    const refusal = rule && rule.refusal !== undefined ? rule.refusal : null;
                    const prompt = j.messages.reduce((a, mm) => a + 4 + approxTokens(contentText(mm.content)), 3);
                    const completion = approxTokens(content);
                    status = 200;
                    if (style === 'openapi_mock' && !(rule && rule.content !== undefined)) {
                        // a schema-driven mock: every string "string", every number 0
                        content = 'string';
                        payload = {
                            id: 'string', object: 'chat.completion', created: 0, model: 'string',
                            choices: [{ index: 0, message: { role: 'assistant', content: 'string', refusal: 'string',
                                                             annotations: [] }, logprobs: null, finish_reason: 'stop' }],
                            usage: { prompt_tokens: 0, completion_tokens: 0, total_tokens: 0 },
                            system_fingerprint: 'string',
                        };
                    } else {
                        payload = {
                            id: 'chatcmpl-' + crypto.randomBytes(15).toString('base64url').slice(0, 20),
                            object: 'chat.completion',
                            created: Math.floor(now / 1000),
                            model: j.model,
                            choices: [{ index: 0, message: { role: 'assistant', content, refusal }, logprobs: null, finish_reason }],
                            usage: { prompt_tokens: prompt, completion_tokens: completion, total_tokens: prompt + completion },
                            system_fingerprint: 'fp_fake',
                        };
                    }
                    rec.content = content;
                    rec.id = payload.id;
                }
            }
        }
        return { outcome, status, payload, headers, rule };
    });
}

// ------------------------------------------------------------------ Twilio fake

function twilioError(status, code, message) {
    return [status, { code, message, more_info: `https://www.twilio.com/docs/errors/${code}`, status }];
}
const TW_401 = () => twilioError(401, 20003, 'Authenticate');

function twilioAuthOk(req, sid) {
    const h = req.headers.authorization || '';
    const m = /^Basic\s+(\S+)$/i.exec(h);
    if (!m) return false;
    const dec = Buffer.from(m[1], 'base64').toString('utf8');
    const c = dec.indexOf(':');
    if (c < 0) return false;
    const user = dec.slice(0, c), pass = dec.slice(c + 1);
    return user === cfg.twilio_account_sid && pass === cfg.twilio_auth_token && sid === user;
}

function messageResource(m) {
    const base = `/2010-04-01/Accounts/${m.account_sid}/Messages/${m.sid}`;
    return {
        sid: m.sid,
        account_sid: m.account_sid,
        messaging_service_sid: m.messaging_service_sid,
        to: m.to,
        from: m.from,
        body: m.body,
        status: m.status,
        num_segments: String(m.num_segments),
        num_media: '0',
        direction: 'outbound-api',
        price: null,
        price_unit: 'USD',
        error_code: m.error_code,
        error_message: m.error_message,
        date_created: m.date_created,
        date_updated: m.date_updated,
        date_sent: m.date_sent,
        api_version: '2010-04-01',
        uri: `${base}.json`,
        subresource_uris: { media: `${base}/Media.json` },
    };
}

const E164 = /^\+[1-9]\d{6,14}$/;

function handleSendSms(req, res, sid) {
    const fields = { to: null, from: null, body: null, sid: null };
    providerRequest('sms', req, res, fields, (body, tooBig, rec, now) => {
        let outcome, status, payload, headers = null, rule = null;

        if (!twilioAuthOk(req, sid)) {
            outcome = '401'; [status, payload] = TW_401();
        } else if (tooBig) {
            outcome = '400'; [status, payload] = twilioError(400, 21617, 'The concatenated message body exceeds the 1600 character limit.');
        } else {
            const p = new URLSearchParams(body);
            const to = p.get('To'), from = p.get('From'), text = p.get('Body'), msid = p.get('MessagingServiceSid');
            rec.to = to; rec.from = from; rec.body = text;
            if (!to) {
                outcome = '400'; [status, payload] = twilioError(400, 21604, "A 'To' phone number is required.");
            } else if (!E164.test(to)) {
                outcome = '400'; [status, payload] = twilioError(400, 21211, `The 'To' number ${to} is not a valid phone number.`);
            } else if (!from && !msid) {
                outcome = '400'; [status, payload] = twilioError(400, 21603, "A 'From' phone number is required.");
            } else if (text === null || text === '') {
                outcome = '400'; [status, payload] = twilioError(400, 21602, 'Message body is required.');
            } else if (text.length > 1600) {
                outcome = '400'; [status, payload] = twilioError(400, 21617, 'The concatenated message body exceeds the 1600 character limit.');
            } else {
                rule = matchSmsRule(to);
                let fault = rule && rule.behaviour ? rule.behaviour : null;
                if (fault === null) fault = drawFault('sms');
                outcome = fault;
                const accepted = fault === 'ok' || fault.startsWith('accept_then_');
                if (accepted) {
                    const seg = segmentInfo(text);
                    const d = rfc2822(new Date(now));
                    const m = {
                        sid: 'SM' + crypto.randomBytes(16).toString('hex'),
                        account_sid: sid, messaging_service_sid: msid || null,
                        to, from: from || null, body: text,
                        status: 'queued', num_segments: seg.segments, encoding: seg.encoding,
                        status_callback: p.get('StatusCallback') || null,
                        error_code: null, error_message: null,
                        date_created: d, date_updated: d, date_sent: null,
                        time: rec.time, ts: now, outcome: fault, status_history: ['queued'],
                    };
                    if (keep(records.messages, 'messages', m)) records.messagesBySid.set(m.sid, m);
                    rec.sid = m.sid;
                    if (fault === 'ok') { status = 201; payload = messageResource(m); }
                    maybeReply(m);
                    if (cfg.sms_auto_status && m.status_callback) {
                        const s = cfg.sms_auto_status;
                        later(cfg.sms_auto_status_delay_ms, () => deliver(m, s, null, null, () => {}));
                    }
                }
                if (fault === '400' || fault === '21610') {
                    [status, payload] = twilioError(400, 21610, 'Attempt to send to unsubscribed recipient');
                } else if (fault === '21211') {
                    [status, payload] = twilioError(400, 21211, `The 'To' number ${to} is not a valid phone number.`);
                } else if (fault === '21614') {
                    [status, payload] = twilioError(400, 21614, `'To' number ${to} is not a valid mobile number`);
                } else if (fault === '401') {
                    [status, payload] = TW_401();
                } else if (fault === '429') {
                    const ra = rule && rule.retry_after_s !== undefined ? rule.retry_after_s : cfg.retry_after_s;
                    [status, payload] = twilioError(429, 20429, 'Too Many Requests');
                    headers = { 'Retry-After': String(ra) };
                } else if (fault === '500' || fault === 'accept_then_500') {
                    [status, payload] = twilioError(500, 20500, 'Internal Server Error');
                } else if (fault === 'garbage' || fault === 'accept_then_garbage') {
                    status = 200; payload = '<html>oops'; headers = { 'Content-Type': 'application/json' };
                } else if (fault === 'timeout' || fault === 'accept_then_timeout') {
                    status = null;
                }
            }
        }
        return { outcome, status, payload, headers, rule };
    });
}

function handleGetSms(req, res, sid, msgSid) {
    if (!twilioAuthOk(req, sid)) return send(res, ...TW_401());
    const m = records.messagesBySid.get(msgSid);
    if (!m || m.account_sid !== sid)
        return send(res, ...twilioError(404, 20404, `The requested resource /2010-04-01/Accounts/${sid}/Messages/${msgSid}.json was not found`));
    send(res, 200, messageResource(m));
}

function handleListSms(req, res, sid, q) {
    if (!twilioAuthOk(req, sid)) return send(res, ...TW_401());
    let list = records.messages.filter((m) => m.account_sid === sid);
    if (q.To) list = list.filter((m) => m.to === q.To);
    if (q.From) list = list.filter((m) => m.from === q.From);
    const pageSize = Math.min(Math.max(parseInt(q.PageSize, 10) || 50, 1), 1000);
    const page = list.slice().reverse().slice(0, pageSize);   // newest first, like Twilio
    const uri = `/2010-04-01/Accounts/${sid}/Messages.json?PageSize=${pageSize}&Page=0`;
    send(res, 200, {
        messages: page.map(messageResource), page: 0, page_size: pageSize, start: 0, end: Math.max(page.length - 1, 0),
        first_page_uri: uri, next_page_uri: null, previous_page_uri: null, uri,
    });
}

// ------------------------------------------------------------------ Twilio Calls fake

const XML_ENTITIES = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" };
const isXmlWs = (c) => c === ' ' || c === '\t' || c === '\n' || c === '\r';

// The character data of XML with its entity references decoded; null when one is malformed (a
// bare '&', an unknown entity, a character reference to a character XML does not allow).
function xmlDecode(s) {
    if (s.indexOf('&') < 0) return s;
    let out = '', i = 0;
    for (;;) {
        const a = s.indexOf('&', i);
        if (a < 0) return out + s.slice(i);
        out += s.slice(i, a);
        const b = s.indexOf(';', a);
        if (b < 0) return null;
        const name = s.slice(a + 1, b);
        i = b + 1;
        if (Object.prototype.hasOwnProperty.call(XML_ENTITIES, name)) { out += XML_ENTITIES[name]; continue; }
        let ch;
        if (/^#[0-9]{1,7}$/.test(name)) ch = Number(name.slice(1));
        else if (/^#x[0-9a-fA-F]{1,6}$/.test(name)) ch = parseInt(name.slice(2), 16);
        else return null;
        if (!(ch === 0x9 || ch === 0xA || ch === 0xD || (ch >= 0x20 && ch <= 0xD7FF) ||
              (ch >= 0xE000 && ch <= 0x10FFFF && ch !== 0xFFFE && ch !== 0xFFFF))) return null;
        out += String.fromCodePoint(ch);
    }
}

const XML_NAME = /[A-Za-z_:][-A-Za-z0-9_:.]*/y;
const XML_BAD_CHARS = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]/;

// A small well-formedness check of a TwiML document — one <Response> root element, balanced
// tags, quoted attributes (no duplicates, no '<'), valid entity references, only whitespace,
// comments and processing instructions outside the root, an <?xml …?> declaration only first;
// comments and CDATA inside; no control character but tab, CR, LF — that also collects its
// <Say> verbs: [{text, voice, language}] (text: the character data inside <Say>…</Say>, SSML
// tags dropped, entities decoded, trimmed). null when it does not parse (Twilio: 12100
// Document parse failure).
function parseTwiml(doc) {
    if (XML_BAD_CHARS.test(doc)) return null;   // control characters XML 1.0 does not allow
    const n = doc.length;
    const start = doc.charCodeAt(0) === 0xFEFF ? 1 : 0;
    let i = start;
    const stack = [], says = [];
    let cur = null;          // the <Say> being read: {text, voice, language, depth}
    let rootSeen = false;
    const nameAt = (pos) => { XML_NAME.lastIndex = pos; const m = XML_NAME.exec(doc); return m ? m[0] : null; };
    const skipWs = () => { while (i < n && isXmlWs(doc[i])) i++; };
    while (i < n) {
        const lt = doc.indexOf('<', i);
        const text = doc.slice(i, lt < 0 ? n : lt);
        if (text) {
            if (stack.length === 0) {
                for (const ch of text) if (!isXmlWs(ch)) return null;
            } else {
                const t = xmlDecode(text);
                if (t === null || text.includes(']]>')) return null;
                if (cur) cur.text += t;
            }
        }
        if (lt < 0) break;
        i = lt;
        if (doc.startsWith('<!--', i)) {
            const e = doc.indexOf('-->', i + 4);
            if (e < 0) return null;
            i = e + 3;
        } else if (doc.startsWith('<![CDATA[', i)) {
            const e = doc.indexOf(']]>', i + 9);
            if (stack.length === 0 || e < 0) return null;
            if (cur) cur.text += doc.slice(i + 9, e);
            i = e + 3;
        } else if (doc.startsWith('<?', i)) {
            const e = doc.indexOf('?>', i + 2);
            if (e < 0) return null;
            if (/^<\?xml[ \t\r\n?]/i.test(doc.slice(i, i + 6)) && i !== start) return null;
            i = e + 2;
        } else if (doc.startsWith('</', i)) {
            const name = nameAt(i + 2);
            if (!name || stack[stack.length - 1] !== name) return null;
            i += 2 + name.length;
            skipWs();
            if (doc[i] !== '>') return null;
            i++;
            stack.pop();
            if (cur && stack.length < cur.depth) { says.push(cur); cur = null; }
        } else {
            const name = nameAt(i + 1);
            if (!name) return null;            // <!DOCTYPE …>, a stray '<'
            i += 1 + name.length;
            const attrs = {};
            for (;;) {
                const before = i;
                skipWs();
                if (doc[i] === '>' || doc.startsWith('/>', i)) break;
                if (i === before || i >= n) return null;   // attributes need whitespace before them
                const an = nameAt(i);
                if (!an || Object.prototype.hasOwnProperty.call(attrs, an)) return null;
                i += an.length;
                skipWs();
                if (doc[i] !== '=') return null;
                i++;
                skipWs();
                const q = doc[i];
                if (q !== '"' && q !== "'") return null;
                const e = doc.indexOf(q, i + 1);
                if (e < 0) return null;
                const raw = doc.slice(i + 1, e);
                const v = raw.includes('<') ? null : xmlDecode(raw);
                if (v === null) return null;
                attrs[an] = v;
                i = e + 1;
            }
            const selfClosing = doc[i] === '/';
            i += selfClosing ? 2 : 1;
            if (stack.length === 0) {
                if (rootSeen || name !== 'Response') return null;
                rootSeen = true;
            }
            if (name === 'Say' && !cur) {
                const say = { text: '', voice: attrs.voice === undefined ? null : attrs.voice,
                              language: attrs.language === undefined ? null : attrs.language, depth: stack.length + 1 };
                if (selfClosing) says.push(say); else cur = say;
            }
            if (!selfClosing) stack.push(name);
        }
    }
    if (!rootSeen || stack.length) return null;
    return says.map((s) => ({ text: s.text.trim(), voice: s.voice, language: s.language }));
}

function formatNumber(n) {
    const m = /^\+1(\d{3})(\d{3})(\d{4})$/.exec(n || '');
    return m ? `(${m[1]}) ${m[2]}-${m[3]}` : n;
}

function callResource(c) {
    const base = `/2010-04-01/Accounts/${c.account_sid}/Calls/${c.sid}`;
    const sub = {};
    for (const [k, p] of [['events', 'Events'], ['notifications', 'Notifications'], ['payments', 'Payments'],
                          ['recordings', 'Recordings'], ['siprec', 'Siprec'], ['streams', 'Streams'],
                          ['transcriptions', 'Transcriptions'],
                          ['user_defined_message_subscriptions', 'UserDefinedMessageSubscriptions'],
                          ['user_defined_messages', 'UserDefinedMessages']]) sub[k] = `${base}/${p}.json`;
    return {
        sid: c.sid,
        date_created: c.date_created,
        date_updated: c.date_updated,
        parent_call_sid: null,
        account_sid: c.account_sid,
        to: c.to,
        to_formatted: formatNumber(c.to),
        from: c.from,
        from_formatted: formatNumber(c.from),
        phone_number_sid: null,
        status: c.status,
        start_time: c.start_time,
        end_time: c.end_time,
        duration: c.duration,
        price: c.price,
        price_unit: c.price_unit,
        direction: 'outbound-api',
        answered_by: c.answered_by,
        annotation: null,
        api_version: '2010-04-01',
        forwarded_from: null,
        group_sid: null,
        caller_name: null,
        queue_time: '0',
        trunk_sid: null,
        uri: `${base}.json`,
        subresource_uris: sub,
    };
}

const MACHINE_DETECTION = ['Enable', 'DetectMessageEnd'];
const TWIML_MAX = 4000;

function isHttpUrl(s) {
    try { const u = new URL(s); return u.protocol === 'http:' || u.protocol === 'https:'; } catch (e) { return false; }
}

function handleCreateCall(req, res, sid) {
    const fields = { to: null, from: null, url: null, twiml: null, status_callback: null,
                     status_callback_events: null, machine_detection: null, sid: null };
    providerRequest('calls', req, res, fields, (body, tooBig, rec, now) => {
        let outcome, status, payload, headers = null, rule = null;

        if (!twilioAuthOk(req, sid)) {
            outcome = '401'; [status, payload] = TW_401();
        } else if (tooBig) {
            outcome = '400'; [status, payload] = twilioError(400, 21218, `The Twiml parameter must be at most ${TWIML_MAX} characters long.`);
        } else {
            const p = new URLSearchParams(body);
            const to = p.get('To'), from = p.get('From'), twiml = p.get('Twiml') || null, url = p.get('Url') || null;
            const cb = p.get('StatusCallback') || null, md = p.get('MachineDetection') || null;
            // repeated (StatusCallbackEvent=ringing&StatusCallbackEvent=answered) or space-separated
            const events = p.getAll('StatusCallbackEvent').flatMap((v) => v.split(/[\s,]+/)).filter(Boolean);
            Object.assign(rec, { to, from, url, twiml, status_callback: cb, status_callback_events: events, machine_detection: md });
            let says = [];
            if (!to) {
                outcome = '400'; [status, payload] = twilioError(400, 21201, "No 'To' number is specified");
            } else if (!E164.test(to)) {
                outcome = '400'; [status, payload] = twilioError(400, 21211, `The phone number you are attempting to call, ${to}, is not valid.`);
            } else if (!from) {
                outcome = '400'; [status, payload] = twilioError(400, 21213, "No 'From' number is specified");
            } else if (!twiml && !url) {
                outcome = '400'; [status, payload] = twilioError(400, 21205, 'Url parameter is required');
            } else if (twiml && twiml.length > TWIML_MAX) {
                outcome = '400'; [status, payload] = twilioError(400, 21218, `The Twiml parameter must be at most ${TWIML_MAX} characters long (got ${twiml.length}).`);
            } else if (twiml && (says = parseTwiml(twiml)) === null) {
                outcome = '400'; [status, payload] = twilioError(400, 12100, 'Document parse failure');
            } else if (!twiml && !isHttpUrl(url)) {
                outcome = '400'; [status, payload] = twilioError(400, 21205, `Url is not a valid URL: ${url}`);
            } else if (cb && !isHttpUrl(cb)) {
                outcome = '400'; [status, payload] = twilioError(400, 21609, `The StatusCallback URL ${cb} is not a valid URL.`);
            } else if (md && !MACHINE_DETECTION.includes(md)) {
                outcome = '400'; [status, payload] = twilioError(400, 21219, 'MachineDetection must be Enable or DetectMessageEnd');
            } else {
                rule = matchCallRule(to);
                let fault = rule && rule.behaviour ? rule.behaviour : null;
                if (fault === null) fault = drawFault('calls');
                outcome = fault;
                const accepted = fault === 'ok' || fault.startsWith('accept_then_');
                if (accepted) {
                    const d = rfc2822(new Date(now));
                    const c = {
                        sid: 'CA' + crypto.randomBytes(16).toString('hex'),
                        account_sid: sid, to, from, url, twiml,
                        say_text: says.length ? says.map((s) => s.text).join(' ') : null, says,
                        voice: says.length ? says[0].voice : null, language: says.length ? says[0].language : null,
                        status_callback: cb, status_callback_events: events, machine_detection: md,
                        status: 'queued', answered_by: null, duration: null, price: null, price_unit: 'USD',
                        date_created: d, date_updated: d, start_time: null, end_time: null,
                        time: rec.time, ts: now, outcome: fault, auto_status: null, status_history: ['queued'],
                        callback_seq: 0,
                    };
                    if (keep(records.calls, 'calls', c)) records.callsBySid.set(c.sid, c);
                    rec.sid = c.sid;
                    if (fault === 'ok') { status = 201; payload = callResource(c); }
                    const auto = rule && rule.outcome ? rule.outcome : cfg.call_auto_status;
                    if (auto) progressCall(c, auto, rule);
                }
                if (fault === '400' || fault === '21211') {
                    [status, payload] = twilioError(400, 21211, `The phone number you are attempting to call, ${to}, is not valid.`);
                } else if (fault === '21215') {
                    [status, payload] = twilioError(400, 21215, `Account not authorized to call ${to}. Perhaps you need to enable some international permissions: https://www.twilio.com/console/voice/calls/geo-permissions/low-risk`);
                } else if (fault === '401') {
                    [status, payload] = TW_401();
                } else if (fault === '429') {
                    const ra = rule && rule.retry_after_s !== undefined ? rule.retry_after_s : cfg.retry_after_s;
                    [status, payload] = twilioError(429, 20429, 'Too Many Requests');
                    headers = { 'Retry-After': String(ra) };
                } else if (fault === '500' || fault === 'accept_then_500') {
                    [status, payload] = twilioError(500, 20500, 'Internal Server Error');
                } else if (fault === 'garbage' || fault === 'accept_then_garbage') {
                    status = 200; payload = '<html>oops'; headers = { 'Content-Type': 'application/json' };
                } else if (fault === 'timeout' || fault === 'accept_then_timeout') {
                    status = null;
                }
            }
        }
        return { outcome, status, payload, headers, rule };
    });
}

function handleGetCall(req, res, sid, callSid) {
    if (!twilioAuthOk(req, sid)) return send(res, ...TW_401());
    const c = records.callsBySid.get(callSid);
    if (!c || c.account_sid !== sid)
        return send(res, ...twilioError(404, 20404, `The requested resource /2010-04-01/Accounts/${sid}/Calls/${callSid}.json was not found`));
    send(res, 200, callResource(c));
}

function handleListCalls(req, res, sid, q) {
    if (!twilioAuthOk(req, sid)) return send(res, ...TW_401());
    let list = records.calls.filter((c) => c.account_sid === sid);
    if (q.To) list = list.filter((c) => c.to === q.To);
    if (q.From) list = list.filter((c) => c.from === q.From);
    if (q.Status) list = list.filter((c) => c.status === q.Status);
    const pageSize = Math.min(Math.max(parseInt(q.PageSize, 10) || 50, 1), 1000);
    const page = list.slice().reverse().slice(0, pageSize);   // newest first, like Twilio
    const uri = `/2010-04-01/Accounts/${sid}/Calls.json?PageSize=${pageSize}&Page=0`;
    send(res, 200, {
        calls: page.map(callResource), page: 0, page_size: pageSize, start: 0, end: Math.max(page.length - 1, 0),
        first_page_uri: uri, next_page_uri: null, previous_page_uri: null, uri,
    });
}

// ------------------------------------------------------------------ status callbacks

// Twilio's request signature: base64(HMAC-SHA1(auth_token, url + Σ sorted(name + value))).
function twilioSignature(token, url, params) {
    let data = url;
    for (const k of Object.keys(params).sort()) data += k + params[k];
    return crypto.createHmac('sha1', token).update(data, 'utf8').digest('base64');
}

const DEFAULT_ERROR_CODES = { undelivered: '30003', failed: '30008' };

// POST a form to url signed as Twilio signs its webhooks; counter: the stats it is counted in.
// cb(null, {delivered, url, params, signature, callback_status, callback_body | reason})
function postSigned(url, params, counter, cb) {
    const signature = twilioSignature(cfg.twilio_auth_token, url, params);
    const form = new URLSearchParams(params).toString();
    let u;
    try { u = new URL(url); } catch (e) { return cb(null, { delivered: false, reason: `bad webhook URL: ${url}` }); }
    if (u.protocol !== 'http:') return cb(null, { delivered: false, reason: 'only http:// webhooks are supported' });
    const creq = http.request({
        host: u.hostname.replace(/^\[|\]$/g, ''), port: u.port || 80, path: u.pathname + u.search, method: 'POST',
        headers: {
            'Content-Type': 'application/x-www-form-urlencoded',
            'Content-Length': Buffer.byteLength(form),
            'X-Twilio-Signature': signature,
            'I-Twilio-Idempotency-Token': crypto.randomUUID(),
            'User-Agent': 'TwilioProxy/1.1',
        },
        timeout: 15000,
    }, (cres) => {
        let text = '';
        cres.setEncoding('utf8');
        cres.on('data', (c) => { if (text.length < 4096) text += c; });
        cres.on('end', () => {
            counter.sent++;
            const k = String(cres.statusCode);
            counter.outcomes[k] = (counter.outcomes[k] || 0) + 1;
            cb(null, { delivered: true, url, params, signature, callback_status: cres.statusCode, callback_body: text });
        });
    });
    creq.on('timeout', () => creq.destroy(new Error('webhook timed out')));
    creq.on('error', (e) => {
        counter.failed++;
        cb(null, { delivered: false, url, params, signature, reason: e.message });
    });
    creq.end(form);
}

function deliver(m, status, errorCode, urlOverride, cb) {
    const url = urlOverride || m.status_callback;
    const d = rfc2822(new Date());
    m.status = status;
    m.date_updated = d;
    if (['sent', 'delivered', 'undelivered'].includes(status) && !m.date_sent) m.date_sent = d;
    m.status_history.push(status);
    if (errorCode === null || errorCode === undefined) errorCode = DEFAULT_ERROR_CODES[status] || null;
    if (errorCode !== null) { m.error_code = Number(errorCode); m.error_message = null; }
    if (!url) return cb(null, { delivered: false, reason: 'no StatusCallback for this message' });
    const params = {
        AccountSid: m.account_sid, ApiVersion: '2010-04-01', From: m.from || '', MessageSid: m.sid,
        MessageStatus: status, SmsSid: m.sid, SmsStatus: status, To: m.to,
    };
    if (errorCode !== null) params.ErrorCode = String(errorCode);
    postSigned(url, params, stats.callbacks, cb);
}

// The recipient of an accepted message answers it (sms_reply_rate of them, drawn from the PRNG):
// an inbound webhook to sms_reply_url, From the recipient, sms_reply_delay_ms later, with one
// of sms_reply_bodies.
function maybeReply(m) {
    if (!cfg.sms_reply_url || !(cfg.sms_reply_rate > 0) || rng.replies() >= cfg.sms_reply_rate) return;
    const bodies = cfg.sms_reply_bodies;
    const body = bodies[Math.floor(rng.replies() * bodies.length)];
    later(cfg.sms_reply_delay_ms, () => {
        const sid = 'SM' + crypto.randomBytes(16).toString('hex');
        const params = {
            AccountSid: m.account_sid, ApiVersion: '2010-04-01', Body: body, From: m.to,
            MessageSid: sid, NumMedia: '0', NumSegments: '1', SmsMessageSid: sid, SmsSid: sid,
            SmsStatus: 'received', To: m.from || '',
        };
        postSigned(cfg.sms_reply_url, params, stats.replies, () => {});
    });
}

// Move call c to `status` and, when `post`, send its signed status callback to urlOverride or its
// StatusCallback, with Twilio's voice callback params; extra: {duration (s), answered_by, price,
// price_unit}, each sent (CallDuration, AnsweredBy, Price/PriceUnit) when not null.
// 'initiated' is a callback status only: the resource stays 'queued' (status_history has it).
// cb(null, {delivered, url, params, signature, callback_status, callback_body | reason})
function callStatus(c, status, extra, urlOverride, post, cb) {
    const now = Date.now();
    const d = rfc2822(new Date(now));
    c.date_updated = d;
    c.status_history.push(status);
    if (status !== 'initiated') c.status = status;
    const hasDuration = extra.duration !== undefined && extra.duration !== null;
    if (status === 'in-progress' && !c.start_time) c.start_time = d;
    if (status === 'completed' && !c.start_time) c.start_time = rfc2822(new Date(now - (hasDuration ? extra.duration : 0) * 1000));
    if (CALL_FINAL_STATUSES.includes(status) && !c.end_time) c.end_time = d;
    if (hasDuration) c.duration = String(extra.duration);
    if (extra.answered_by) c.answered_by = extra.answered_by;
    if (extra.price !== undefined && extra.price !== null) { c.price = String(extra.price); c.price_unit = extra.price_unit || 'USD'; }
    if (!post) return cb(null, { delivered: false, reason: 'not subscribed to this event' });
    const url = urlOverride || c.status_callback;
    if (!url) return cb(null, { delivered: false, reason: 'no StatusCallback for this call' });
    const params = {
        AccountSid: c.account_sid, ApiVersion: '2010-04-01', CallSid: c.sid, CallStatus: status,
        Called: c.to, Caller: c.from, Direction: 'outbound-api', From: c.from, To: c.to,
        Timestamp: d, SequenceNumber: String(c.callback_seq++), CallbackSource: 'call-progress-events',
    };
    if (hasDuration) params.CallDuration = String(extra.duration);
    if (extra.answered_by) params.AnsweredBy = extra.answered_by;
    if (extra.price !== undefined && extra.price !== null) { params.Price = String(extra.price); params.PriceUnit = extra.price_unit || 'USD'; }
    postSigned(url, params, stats.call_callbacks, cb);
}

// An outcome's progress: [StatusCallbackEvent, CallStatus] in order, the last one the final.
function callSteps(outcome) {
    if (outcome === 'completed' || outcome === 'machine')
        return [['initiated', 'initiated'], ['ringing', 'ringing'], ['answered', 'in-progress'], ['completed', 'completed']];
    if (outcome === 'failed') return [['initiated', 'initiated'], ['completed', 'failed']];
    return [['initiated', 'initiated'], ['ringing', 'ringing'], ['completed', outcome]];   // busy, no-answer, canceled
}

// call_auto_status / a call_rules outcome: the call goes through its outcome's statuses, the first
// call_auto_status_delay_ms after acceptance, each next one call_status_step_ms after the previous
// callback was answered (so they arrive in order); a callback is sent for the events in its
// StatusCallbackEvent and always for the final one. An answered call lasts call_duration_s (or the
// rule's duration_s) and, with MachineDetection, is answered by a human (completed) or a machine
// (machine: machine_end_beep with DetectMessageEnd, machine_start with Enable), or the rule's
// answered_by. A reset stops it.
function progressCall(c, outcome, rule) {
    const gen = generation;
    c.auto_status = outcome;
    const answered = outcome === 'completed' || outcome === 'machine';
    const duration = answered ? Math.round(rule && rule.duration_s !== undefined ? rule.duration_s : cfg.call_duration_s) : 0;
    let answeredBy = null;
    if (answered && c.machine_detection) {
        answeredBy = rule && rule.answered_by ? rule.answered_by
            : outcome === 'completed' ? 'human'
            : c.machine_detection === 'DetectMessageEnd' ? 'machine_end_beep' : 'machine_start';
    }
    const steps = callSteps(outcome);
    const step = (k) => {
        if (gen !== generation) return;
        const [event, status] = steps[k];
        const final = k === steps.length - 1;
        const post = final || c.status_callback_events.includes(event);
        callStatus(c, status, final ? { duration, answered_by: answeredBy } : {}, null, post, () => {
            if (!final && gen === generation) later(cfg.call_status_step_ms, () => step(k + 1));
        });
    };
    later(cfg.call_auto_status_delay_ms, () => step(0));
}

// ------------------------------------------------------------------ control plane

function jsonBody(body, res) {
    if (body === null) { send(res, 413, { error: 'body too large' }); return undefined; }
    if (body.trim() === '') return {};
    try { return JSON.parse(body); } catch (e) { send(res, 400, { error: `not JSON: ${e.message}` }); return undefined; }
}

function page(list, q) {
    const offset = Math.max(parseInt(q.offset, 10) || 0, 0);
    const limit = q.limit !== undefined ? Math.max(parseInt(q.limit, 10) || 0, 0) : Infinity;
    return list.slice(offset, limit === Infinity ? undefined : offset + limit);
}

function publicMessage(m) {
    return {
        sid: m.sid, to: m.to, from: m.from, messaging_service_sid: m.messaging_service_sid,
        body: m.body, status: m.status, num_segments: m.num_segments,
        encoding: m.encoding, status_callback: m.status_callback, outcome: m.outcome,
        status_history: m.status_history, time: m.time, ts: m.ts,
    };
}

function publicCall(c) {
    return {
        sid: c.sid, to: c.to, from: c.from, url: c.url, twiml: c.twiml,
        say_text: c.say_text, says: c.says, voice: c.voice, language: c.language,
        machine_detection: c.machine_detection, status_callback: c.status_callback,
        status_callback_events: c.status_callback_events, status: c.status, outcome: c.outcome,
        auto_status: c.auto_status, answered_by: c.answered_by, duration: c.duration,
        status_history: c.status_history, time: c.time, ts: c.ts,
    };
}

const CALL_STATUS_USAGE = 'need {"sid": "CA…", "status": "completed"} (optional "duration", "answered_by", "price", "price_unit", "url")';

function handleFake(req, res, path, q) {
    stats.fake++;
    const M = req.method;
    if (path === '/_fake/health' && M === 'GET') {
        return send(res, 200, { ok: true, pid: process.pid, port: server.address().port, uptime_s: (Date.now() - startedAt) / 1000 });
    }
    if (path === '/_fake/config' && M === 'GET') return send(res, 200, cfg);
    if (path === '/_fake/config' && M === 'POST') {
        return readBody(req, (body) => {
            const patch = jsonBody(body, res);
            if (patch === undefined) return;
            let clean;
            try { clean = checkConfig(patch); } catch (e) { return send(res, 400, { error: e.message }); }
            Object.assign(cfg, clean);
            if ('seed' in clean) reseed();
            if ('sms_rules' in clean) ruleHits.sms.clear();
            if ('llm_rules' in clean) ruleHits.llm.clear();
            if ('call_rules' in clean) ruleHits.calls.clear();
            send(res, 200, cfg);
        });
    }
    if (path === '/_fake/reset' && M === 'POST') {
        return readBody(req, () => {
            cfg = Object.assign({}, STARTUP_CONFIG);
            resetState();
            reseed();
            send(res, 200, { ok: true, config: cfg });
        });
    }
    if (path === '/_fake/messages' && M === 'GET') {
        let list = records.messages;
        if (q.to !== undefined) list = list.filter((m) => m.to === q.to);
        if (q.from !== undefined) list = list.filter((m) => m.from === q.from);
        if (q.sid !== undefined) list = list.filter((m) => m.sid === q.sid);
        if (q.outcome !== undefined) list = list.filter((m) => m.outcome === q.outcome);
        return send(res, 200, { count: list.length, dropped: records.dropped.messages, messages: page(list, q).map(publicMessage) });
    }
    if (path === '/_fake/sms-requests' && M === 'GET') {
        let list = records.smsRequests;
        if (q.to !== undefined) list = list.filter((r) => r.to === q.to);
        if (q.outcome !== undefined) list = list.filter((r) => r.outcome === q.outcome);
        return send(res, 200, { count: list.length, dropped: records.dropped.sms_requests, requests: page(list, q) });
    }
    if (path === '/_fake/calls' && M === 'GET') {
        let list = records.calls;
        if (q.to !== undefined) list = list.filter((c) => c.to === q.to);
        if (q.from !== undefined) list = list.filter((c) => c.from === q.from);
        if (q.sid !== undefined) list = list.filter((c) => c.sid === q.sid);
        if (q.outcome !== undefined) list = list.filter((c) => c.outcome === q.outcome);
        if (q.status !== undefined) list = list.filter((c) => c.status === q.status);
        return send(res, 200, { count: list.length, dropped: records.dropped.calls, calls: page(list, q).map(publicCall) });
    }
    if (path === '/_fake/call-requests' && M === 'GET') {
        let list = records.callRequests;
        if (q.to !== undefined) list = list.filter((r) => r.to === q.to);
        if (q.outcome !== undefined) list = list.filter((r) => r.outcome === q.outcome);
        return send(res, 200, { count: list.length, dropped: records.dropped.call_requests, requests: page(list, q) });
    }
    if (path === '/_fake/llm-requests' && M === 'GET') {
        let list = records.llmRequests;
        if (q.outcome !== undefined) list = list.filter((r) => r.outcome === q.outcome);
        if (q.contains !== undefined) list = list.filter((r) => Array.isArray(r.messages) &&
            r.messages.some((mm) => mm && mm.role === 'user' && contentText(mm.content).includes(q.contains)));
        return send(res, 200, { count: list.length, dropped: records.dropped.llm_requests, requests: page(list, q) });
    }
    if (path === '/_fake/stats' && M === 'GET') {
        return send(res, 200, Object.assign({}, stats, {
            messages: records.messages.length + records.dropped.messages,
            accepted_calls: records.calls.length + records.dropped.calls,
            held_connections: held.size,
            uptime_s: (Date.now() - startedAt) / 1000,
        }));
    }
    if (path === '/_fake/deliver' && M === 'POST') {
        return readBody(req, (body) => {
            const j = jsonBody(body, res);
            if (j === undefined) return;
            if (!j || typeof j.sid !== 'string') return send(res, 400, { error: 'need {"sid": "SM…", "status": "delivered"}' });
            const m = records.messagesBySid.get(j.sid);
            if (!m) return send(res, 404, { error: `no message ${j.sid}` });
            const status = typeof j.status === 'string' && j.status ? j.status : 'delivered';
            const ec = j.error_code !== undefined ? j.error_code : (j.ErrorCode !== undefined ? j.ErrorCode : null);
            deliver(m, status, ec, typeof j.url === 'string' ? j.url : null, (err, r) => {
                send(res, r.delivered ? 200 : 502, Object.assign({ sid: m.sid, status }, r));
            });
        });
    }
    if (path === '/_fake/call-status' && M === 'POST') {
        return readBody(req, (body) => {
            const j = jsonBody(body, res);
            if (j === undefined) return;
            if (!j || typeof j !== 'object' || Array.isArray(j) || typeof j.sid !== 'string') return send(res, 400, { error: CALL_STATUS_USAGE });
            const status = j.status === undefined || j.status === null ? 'completed' : j.status;
            if (!CALL_STATUSES.includes(status))
                return send(res, 400, { error: `status must be one of ${CALL_STATUSES.join(', ')}` });
            let duration = j.duration === undefined ? null : j.duration;
            if (typeof duration === 'string' && duration.trim() !== '') duration = Number(duration);
            if (duration !== null && !(Number.isFinite(duration) && duration >= 0))
                return send(res, 400, { error: 'duration must be a number of seconds >= 0' });
            if (duration !== null) duration = Math.round(duration);
            const answeredBy = j.answered_by === undefined ? null : j.answered_by;
            if (answeredBy !== null && !ANSWERED_BY.includes(answeredBy))
                return send(res, 400, { error: `answered_by must be one of ${ANSWERED_BY.join(', ')}` });
            const price = j.price === undefined ? null : j.price;
            if (price !== null && typeof price !== 'string' && typeof price !== 'number')
                return send(res, 400, { error: 'price must be a string (e.g. "-0.0130") or a number' });
            if (j.price_unit !== undefined && typeof j.price_unit !== 'string') return send(res, 400, { error: 'price_unit must be a string' });
            if (j.url !== undefined && j.url !== null && typeof j.url !== 'string') return send(res, 400, { error: 'url must be a string' });
            const c = records.callsBySid.get(j.sid);
            if (!c) return send(res, 404, { error: `no call ${j.sid}` });
            // the final callback always carries CallDuration: the call's (or call_duration_s) when
            // completed, 0 otherwise
            if (duration === null && CALL_FINAL_STATUSES.includes(status))
                duration = status === 'completed' ? (c.duration !== null ? Number(c.duration) : Math.round(cfg.call_duration_s)) : 0;
            callStatus(c, status, { duration, answered_by: answeredBy, price, price_unit: j.price_unit },
                typeof j.url === 'string' && j.url ? j.url : null, true, (err, r) => {
                    send(res, r.delivered ? 200 : 502, Object.assign({ sid: c.sid, status }, r));
                });
        });
    }
    if (path === '/_fake/signature' && M === 'POST') {
        // helper for tests: {"url": "...", "params": {...}} → the X-Twilio-Signature value
        return readBody(req, (body) => {
            const j = jsonBody(body, res);
            if (j === undefined) return;
            if (!j || typeof j.url !== 'string' || typeof j.params !== 'object')
                return send(res, 400, { error: 'need {"url": "...", "params": {...}}' });
            send(res, 200, { signature: twilioSignature(cfg.twilio_auth_token, j.url, j.params) });
        });
    }
    if (path === '/_fake/segments' && M === 'POST') {
        // helper for tests: {"text": "..."} → {encoding, units, segments}
        return readBody(req, (body) => {
            const j = jsonBody(body, res);
            if (j === undefined) return;
            if (!j || typeof j.text !== 'string') return send(res, 400, { error: 'need {"text": "..."}' });
            send(res, 200, segmentInfo(j.text));
        });
    }
    send(res, 404, { error: `no such fake endpoint: ${M} ${path}` });
}

// ------------------------------------------------------------------ router

const RE_SEND = /^\/2010-04-01\/Accounts\/([^/]+)\/Messages\.json$/;
const RE_GET = /^\/2010-04-01\/Accounts\/([^/]+)\/Messages\/([^/]+)\.json$/;
const RE_CALLS = /^\/2010-04-01\/Accounts\/([^/]+)\/Calls\.json$/;
const RE_CALL = /^\/2010-04-01\/Accounts\/([^/]+)\/Calls\/([^/]+)\.json$/;

function route(req, res) {
    const raw = req.url || '/';
    const qi = raw.indexOf('?');
    const path = qi < 0 ? raw : raw.slice(0, qi);
    const q = qi < 0 ? {} : parseQuery(raw.slice(qi + 1));
    let m;
    if (path === '/v1/chat/completions' || path === '/chat/completions') {
        if (req.method === 'POST') return handleChat(req, res);
        return send(res, 405, { error: { message: `Invalid method for URL (${req.method} ${path})`, type: 'invalid_request_error', param: null, code: null } }, { Allow: 'POST' });
    }
    if (path === '/v1/models' && req.method === 'GET') {
        return send(res, 200, { object: 'list', data: ['gpt-4o-mini', 'gpt-4o'].map((id) => ({ id, object: 'model', created: 1700000000, owned_by: 'system' })) });
    }
    if ((m = RE_SEND.exec(path))) {
        const sid = decodeURIComponent(m[1]);
        if (req.method === 'POST') return handleSendSms(req, res, sid);
        if (req.method === 'GET') return handleListSms(req, res, sid, q);
    }
    if ((m = RE_GET.exec(path)) && req.method === 'GET') return handleGetSms(req, res, decodeURIComponent(m[1]), decodeURIComponent(m[2]));
    if ((m = RE_CALLS.exec(path))) {
        const sid = decodeURIComponent(m[1]);
        if (req.method === 'POST') return handleCreateCall(req, res, sid);
        if (req.method === 'GET') return handleListCalls(req, res, sid, q);
    }
    if ((m = RE_CALL.exec(path)) && req.method === 'GET') return handleGetCall(req, res, decodeURIComponent(m[1]), decodeURIComponent(m[2]));
    if (path.startsWith('/_fake/')) return handleFake(req, res, path, q);
    stats.not_found++;
    if (path.startsWith('/2010-04-01/'))
        return send(res, ...twilioError(404, 20404, `The requested resource ${path} was not found`));
    send(res, 404, { error: { message: `Invalid URL (${req.method} ${path})`, type: 'invalid_request_error', param: null, code: null } });
}

// ------------------------------------------------------------------ server

const server = http.createServer({ keepAlive: true }, (req, res) => {
    try {
        route(req, res);
    } catch (e) {
        process.stderr.write(`fake_providers: internal error: ${e.stack}\n`);
        send(res, 500, { error: `fake internal error: ${e.message}` });
    }
});
server.keepAliveTimeout = 65000;   // longer than typical client pools: the client closes first
server.headersTimeout = 66000;
server.requestTimeout = 0;         // held ("timeout") requests stay open until the client gives up
server.timeout = 0;
server.maxRequestsPerSocket = 0;
server.on('clientError', (err, socket) => {
    if (socket.writable && !socket.destroyed) socket.end('HTTP/1.1 400 Bad Request\r\nConnection: close\r\n\r\n');
    else socket.destroy();
});

let shuttingDown = false;
function shutdown(sig) {
    if (shuttingDown) return;
    shuttingDown = true;
    for (const t of timers) clearTimeout(t);
    for (const r of held) r.destroy();
    server.close(() => {
        if (OPTS.portfile) {
            try {
                if (fs.readFileSync(OPTS.portfile, 'utf8').trim() === String(boundPort)) fs.unlinkSync(OPTS.portfile);
            } catch (e) { /* already gone */ }
        }
        process.exit(0);
    });
    server.closeAllConnections();
    setTimeout(() => process.exit(0), 2000).unref();
}
let boundPort = null;
process.on('SIGTERM', () => shutdown('SIGTERM'));
process.on('SIGINT', () => shutdown('SIGINT'));
process.on('SIGPIPE', () => {});

server.on('error', (e) => {
    process.stderr.write(`fake_providers: ${e.message}\n`);
    process.exit(1);
});

server.listen({ host: '127.0.0.1', port: OPTS.port, backlog: 4096 }, () => {
    boundPort = server.address().port;
    if (OPTS.portfile) {
        const tmp = `${OPTS.portfile}.${process.pid}.tmp`;
        fs.writeFileSync(tmp, `${boundPort}\n`);
        fs.renameSync(tmp, OPTS.portfile);   // atomic: readers never see a half-written file
    }
    if (!OPTS.quiet) process.stdout.write(`listening on 127.0.0.1:${boundPort}\n`);
});
