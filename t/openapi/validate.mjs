// Holds the running server to openapi/openapi.yaml (run by t/openapi/run.sh, suite "openapi"
// of make test). Env: SMSCAMP_URL (the server), SMSCAMP_API_KEY (an admin key).
//
//  1. The document: clean YAML, Redocly CLI lint (recommended-strict) with no problem, every
//     schema compiles in Ajv (JSON Schema 2020-12, strict).
//  2. The document and ngx_smscamp_module/routes.conf describe the same routes: one operation
//     per route and one route per operation, with the route's SQL function
//     (x-smscamp-function), role (x-smscamp-role, security, 401/403), path parameters and
//     request body. A route added without its operation fails here.
//  3. The served copies: GET /api/openapi.json is the document, GET /api/docs is the docs page,
//     both without a key, and the page loads only its own files.
//  4. Every operation is called on the real server: its happy path and its errors (the data it
//     needs is made through the API: leads, campaigns that run to completion, keys). Every
//     answer's status must be documented for that operation, its body must match the
//     documented schema (Ajv, with formats) and its documented headers must be there. Where the
//     document can tell (parameters and bodies), it must predict the server's verdict: a
//     request the server accepts is valid by the document, one it rejects with a 422 is not.
//  Then 401 without a key on every protected operation, 403 with a viewer key on every
//  operator/admin one, 405 with the Allow header on every path.
// Output: TAP-like lines, then "openapi: N passed, N failed".
import fs from 'node:fs';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import crypto from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { isDeepStrictEqual } from 'node:util';
import YAML from 'yaml';
import Ajv2020 from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const ROOT = process.env.SMSCAMP_ROOT || path.resolve(HERE, '..', '..');
const DOC_FILE = path.join(ROOT, 'openapi', 'openapi.yaml');
const ROUTES_FILE = path.join(ROOT, 'ngx_smscamp_module', 'routes.conf');
const BASE = (process.env.SMSCAMP_URL || 'http://127.0.0.1:8080').replace(/\/+$/, '');
const KEY = process.env.SMSCAMP_API_KEY || '';
const METHODS = ['get', 'put', 'post', 'delete', 'patch', 'head', 'options', 'trace'];
const ROLES = ['viewer', 'operator', 'admin'];

// ------------------------------------------------------------------ output

// each passing check is printed with -v (or OPENAPI_VERBOSE=1); failures always are
const VERBOSE = process.argv.includes('-v') || process.env.OPENAPI_VERBOSE === '1';
let passed = 0;
let failed = 0;
const failures = [];
let sectionName = null;
let sectionStart = 0;
function section(name) {
    if (sectionName !== null) console.log(`# ${sectionName}: ${passed + failed - sectionStart} checks`);
    sectionName = name;
    sectionStart = passed + failed;
}

function diag(text) {
    for (const line of String(text).split('\n')) console.log(`# ${line}`);
}
function ok(cond, name, detail) {
    const n = passed + failed + 1;
    if (cond) {
        passed++;
        if (VERBOSE) console.log(`ok ${n} - ${name}`);
    } else {
        failed++;
        failures.push(name);
        console.log(`not ok ${n} - ${name}`);
        if (detail !== undefined) diag(typeof detail === 'string' ? detail : JSON.stringify(detail, null, 2));
    }
    return !!cond;
}
function finish() {
    section(null);
    if (failures.length) {
        diag(`failed:\n  ${failures.join('\n  ')}`);
    }
    console.log(`openapi: ${passed} passed, ${failed} failed`);
    process.exit(failed ? 1 : 0);
}
function bail(msg) {
    ok(false, msg);
    finish();
}
const short = (s, n = 600) => (s.length > n ? `${s.slice(0, n)}…` : s);

section('the document: YAML, Redocly lint, schemas');

let doc;
{
    const parsed = YAML.parseDocument(fs.readFileSync(DOC_FILE, 'utf8'), { uniqueKeys: true, prettyErrors: true });
    const problems = [...parsed.errors, ...parsed.warnings].map(String);
    ok(!problems.length, 'openapi.yaml is clean YAML (no errors, no duplicate keys)', problems.join('\n'));
    if (parsed.errors.length) bail('cannot go on without the document');
    doc = parsed.toJS();
    ok(doc.openapi?.startsWith('3.1.'), `OpenAPI 3.1 (${doc.openapi})`);
}

{
    const redocly = path.join(HERE, 'node_modules', '.bin', 'redocly');
    const t0 = Date.now();
    const r = spawnSync(redocly, ['lint', '--config', path.join(ROOT, 'openapi', 'redocly.yaml'), '--format', 'stylish', DOC_FILE], {
        encoding: 'utf8',
        timeout: 180_000,
        env: { ...process.env, REDOCLY_TELEMETRY: 'off', REDOCLY_SUPPRESS_UPDATE_NOTICE: 'true', NO_COLOR: '1', FORCE_COLOR: '0' },
    });
    const out = `${r.stdout ?? ''}${r.stderr ?? ''}`.replace(/^.*[║╔╚].*\n/gm, '');
    ok(r.status === 0 && !/\b\d+ (errors?|warnings?)\b/.test(out.replace(/ 0 (errors|warnings)/g, '')),
        `redocly lint (recommended-strict): no problems (${((Date.now() - t0) / 1000).toFixed(1)} s)`,
        r.error ? String(r.error) : out.trim());
}

// $ref resolution for the parts of the document that are not schemas
function deref(obj) {
    let o = obj;
    const seen = new Set();
    while (o && typeof o.$ref === 'string') {
        if (seen.has(o.$ref)) throw new Error(`$ref loop at ${o.$ref}`);
        seen.add(o.$ref);
        o = pointer(o.$ref);
    }
    return o;
}
function pointer(ref) {
    if (!ref.startsWith('#/')) throw new Error(`external $ref ${ref}`);
    let o = doc;
    for (const raw of ref.slice(2).split('/')) {
        const k = raw.replace(/~1/g, '/').replace(/~0/g, '~');
        o = o?.[k];
        if (o === undefined) throw new Error(`unresolvable $ref ${ref}`);
    }
    return o;
}

// Ajv: the document's components.schemas become $defs of one schema; refs are rewritten.
const SCHEMAS_ID = 'urn:smscamp:openapi';
function rewriteRefs(v) {
    if (Array.isArray(v)) return v.map(rewriteRefs);
    if (v && typeof v === 'object') {
        const o = {};
        for (const [k, x] of Object.entries(v)) {
            if (k === '$ref' && typeof x === 'string') {
                if (!x.startsWith('#/components/schemas/')) throw new Error(`schema $ref outside components.schemas: ${x}`);
                o.$ref = `${SCHEMAS_ID}#/$defs/${x.slice('#/components/schemas/'.length)}`;
            } else {
                o[k] = rewriteRefs(x);
            }
        }
        return o;
    }
    return v;
}
const ajv = new Ajv2020({ allErrors: true, strict: true, strictTypes: false, strictRequired: false, allowUnionTypes: true });
addFormats(ajv);
{
    let err = null;
    try {
        ajv.addSchema({ $id: SCHEMAS_ID, $defs: rewriteRefs(doc.components?.schemas ?? {}) });
        for (const name of Object.keys(doc.components?.schemas ?? {})) ajv.getSchema(`${SCHEMAS_ID}#/$defs/${name}`);
    } catch (e) {
        err = e;
    }
    ok(!err, 'every components.schemas entry compiles (Ajv, JSON Schema 2020-12, strict)', err && String(err.message));
    if (err) bail('cannot go on without the schemas');
}
const compiled = new Map();
function validator(schema) {
    const k = JSON.stringify(schema);
    if (!compiled.has(k)) compiled.set(k, ajv.compile(rewriteRefs(schema)));
    return compiled.get(k);
}
function schemaErrors(schema, value) {
    const v = validator(schema);
    return v(value) ? null : ajv.errorsText(v.errors, { separator: '\n', dataVar: 'body' });
}

section('routes.conf and the document describe the same routes');

const routes = [];
{
    const text = fs.readFileSync(ROUTES_FILE, 'utf8').replace(/#.*$/gm, '');
    for (const m of text.matchAll(/\bsmscamp_route\s+([^;]*);/g)) {
        const [method, pattern, fn, ...args] = m[1].trim().split(/\s+/);
        const role = args.find((a) => a === 'public' || ROLES.includes(a)) ?? (method === 'GET' ? 'viewer' : 'operator');
        const docPath = pattern.replace(/:([A-Za-z_][A-Za-z0-9_]*)/g, '{$1}');
        routes.push({
            method, pattern, fn, role, docPath,
            key: `${method} ${docPath}`,
            captures: args.filter((a) => a.startsWith(':')).map((a) => a.slice(1)),
            json: args.includes('json'),
            body: args.includes('body'),
            contentType: args.includes('content_type'),
            args: args.includes('args'),
            headers: args.filter((a) => a.startsWith('header:')).map((a) => a.slice(7).toLowerCase()),
        });
    }
    ok(routes.length > 0, `routes.conf declares ${routes.length} routes`);
}

const ops = new Map();  // "GET /api/leads/{id}" -> { method, path, op, params }
for (const [p, item] of Object.entries(doc.paths ?? {})) {
    for (const m of METHODS) {
        if (!item[m]) continue;
        const params = [...(item.parameters ?? []), ...(item[m].parameters ?? [])].map(deref);
        ops.set(`${m.toUpperCase()} ${p}`, { method: m.toUpperCase(), path: p, op: item[m], params });
    }
}

for (const r of routes) {
    const o = ops.get(r.key);
    if (!ok(o, `routes.conf ${r.method} ${r.pattern} (${r.fn}) is documented as ${r.key}`)) continue;
    const { op, params } = o;
    const problems = [];
    if (op['x-smscamp-function'] !== r.fn) problems.push(`x-smscamp-function is ${op['x-smscamp-function']}, routes.conf says ${r.fn}`);
    if (op['x-smscamp-role'] !== r.role) problems.push(`x-smscamp-role is ${op['x-smscamp-role']}, routes.conf says ${r.role}`);
    const security = op.security ?? doc.security ?? [];
    const isPublic = security.length === 0 || security.some((s) => Object.keys(s).length === 0);
    if (isPublic !== (r.role === 'public')) problems.push(`security ${JSON.stringify(op.security)} does not fit role ${r.role}`);
    const statuses = Object.keys(op.responses ?? {});
    const has = (s) => statuses.includes(s);
    if (has('401') !== (r.role !== 'public')) problems.push(`401 ${has('401') ? 'documented on a public route' : 'missing'}`);
    // 403: a key whose role is too low, or a webhook whose signature (a header) is wrong
    const signed = r.headers.some((h) => h.endsWith('-signature'));
    if (has('403') !== (r.role === 'operator' || r.role === 'admin' || signed)) problems.push(`403 ${has('403') ? 'documented, but nothing can be refused here' : 'missing'}`);
    const headerParams = params.filter((x) => x.in === 'header').map((x) => x.name.toLowerCase()).sort();
    if (!isDeepStrictEqual(headerParams, [...r.headers].sort())) problems.push(`header parameters ${headerParams} vs header: args ${r.headers}`);
    const pathParams = params.filter((x) => x.in === 'path').map((x) => x.name).sort();
    if (!isDeepStrictEqual(pathParams, [...r.captures].sort())) problems.push(`path parameters ${pathParams} vs captures ${r.captures}`);
    if (params.some((x) => x.in === 'query') && !r.args) problems.push('query parameters documented, but the route gets no args');
    const body = op.requestBody && deref(op.requestBody);
    if (!!body !== (r.json || r.body)) problems.push(body ? 'requestBody documented, but the route reads no body' : 'the route reads a body: requestBody missing');
    if (r.json && !body?.content?.['application/json']) problems.push('a json route: application/json request body missing');
    for (const s of ['400', '413', '415', '422']) {
        if ((r.json || r.body) && !has(s)) problems.push(`reads a body: ${s} missing`);
    }
    if ((r.captures.length || r.args) && !has('400')) problems.push('takes path or query input: 400 missing');
    if ((r.captures.length || r.args) && !has('422')) problems.push('takes path or query input: 422 missing');
    if (r.captures.length && !has('404')) problems.push('has a path id: 404 missing');
    for (const s of ['429', '500', '503', '504']) if (!has(s)) problems.push(`${s} missing`);
    ok(!problems.length, `${r.key}: matches its route (function, role, security, parameters, body, statuses)`, problems.join('\n'));
}
for (const k of ops.keys()) {
    ok(routes.some((r) => r.key === k), `${k} (documented) is a route in routes.conf`);
}

// ------------------------------------------------------------------ HTTP

async function call(method, url, { key = KEY, json, body, type, headers = {}, redirect = 'manual' } = {}) {
    const h = { ...headers };
    if (key) h.authorization = `Bearer ${key}`;
    let payload;
    if (json !== undefined) {
        payload = typeof json === 'string' ? json : JSON.stringify(json);
        h['content-type'] = type ?? 'application/json';
    } else if (body !== undefined) {
        payload = body;
        if (type) h['content-type'] = type;
    }
    let res;
    for (let attempt = 0; ; attempt++) {
        try {
            res = await fetch(BASE + url, { method, headers: h, body: payload, redirect, signal: AbortSignal.timeout(60_000) });
            break;
        } catch (e) {
            if (attempt >= 2) throw new Error(`${method} ${url}: ${e.cause?.code ?? e.message}`);
            await sleep(200);
        }
    }
    const text = await res.text();
    let parsed;
    try {
        parsed = text.length ? JSON.parse(text) : undefined;
    } catch {
        parsed = undefined;
    }
    return { status: res.status, headers: res.headers, text, json: parsed };
}
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

// what the document says of a request: null when valid, else why not
function requestProblems(o, { pathParams = {}, query = {}, headers = {}, json, form, body, type, noBody }) {
    const problems = [];
    for (const p of o.params) {
        const v = p.in === 'path' ? pathParams[p.name] : p.in === 'query' ? query[p.name]
            : p.in === 'header' ? headers[p.name.toLowerCase()] : undefined;
        if (v === undefined) {
            if (p.required) problems.push(`${p.in} parameter ${p.name} missing`);
            continue;
        }
        const schema = p.schema?.$ref ? deref(p.schema) : p.schema;
        // query strings are text: an integer parameter is read as one when it looks like one
        const value = schema?.type === 'integer' && /^\s*[+-]?\d+\s*$/.test(v) ? Number(v) : v;
        const e = schemaErrors(p.schema, value);
        if (e) problems.push(`${p.in} ${p.name}: ${e}`);
    }
    for (const k of Object.keys(query)) {
        if (!o.params.some((p) => p.in === 'query' && p.name === k)) problems.push(`query parameter ${k} is not documented`);
    }
    const rb = o.op.requestBody && deref(o.op.requestBody);
    if (noBody) {
        if (rb?.required) problems.push('request body missing');
    } else if (rb) {
        const media = json !== undefined ? 'application/json'
            : form !== undefined ? 'application/x-www-form-urlencoded' : String(type ?? '').split(';')[0].trim();
        const mt = rb.content?.[media];
        if (!mt) problems.push(`${media || 'a body without a Content-Type'} is not documented`);
        else {
            const e = schemaErrors(mt.schema, json !== undefined ? json : form !== undefined ? form : body);
            if (e) problems.push(`body: ${e}`);
        }
    }
    return problems.length ? problems.join('\n') : null;
}

// ------------------------------------------------------------------ checking answers

const exercised = new Map();  // op key -> Set of statuses seen
let requests = 0;

// check(method, template, options): call the route, then hold the answer to the document.
//   params: path parameters ({id: ...}); query: query parameters; json / form / body+type: the body
//   expect: the status the test wants; predict: false when the document cannot tell (a row-level
//   import error, an id that does not exist, a time in the past)
// The provider's auth token (the instance's smscamp.twilio_auth_token, read with psql as the
// superuser, like the Perl tests) and Twilio's signature of a webhook request with it.
let twilioToken;
function twilioSignature(url, formBody) {
    if (twilioToken === undefined) {
        const r = spawnSync('psql', ['-X', '-At', '-c', "SELECT current_setting('smscamp.twilio_auth_token')"], { encoding: 'utf8' });
        twilioToken = (r.stdout ?? '').trim();
    }
    const fields = [...new URLSearchParams(formBody ?? '')].sort(([a, x], [b, y]) =>
        Buffer.compare(Buffer.from(a), Buffer.from(b)) || Buffer.compare(Buffer.from(x), Buffer.from(y)));
    const data = url + fields.map(([k, v]) => k + v).join('');
    return crypto.createHmac('sha1', twilioToken).update(Buffer.from(data, 'utf8')).digest('base64');
}

async function check(method, template, opts = {}) {
    const { params = {}, query = {}, json, form, body, type, key = KEY, expect, predict = true, label } = opts;
    const o = ops.get(`${method} ${template}`);
    const name = `${method} ${template}${label ? ` [${label}]` : ''}`;
    if (!o) {
        ok(false, `${name}: documented`);
        return { status: 0 };
    }
    let url = template.replace(/\{(\w+)\}/g, (_, p) => encodeURIComponentLoose(String(params[p])));
    const qs = Object.entries(query).map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponentLoose(String(v))}`).join('&');
    if (qs) url += `?${qs}`;
    const sendBody = form !== undefined ? new URLSearchParams(form).toString() : body;
    const sendType = form !== undefined ? 'application/x-www-form-urlencoded' : type;
    const headers = {};
    if (template.startsWith('/api/webhooks/') && opts.signed !== false) {
        headers['x-twilio-signature'] = twilioSignature(BASE + url, typeof sendBody === 'string' ? sendBody : '');
    }
    const res = await call(method, url, { key, json, body: sendBody, type: sendType, headers });
    requests++;
    const statusOk = expect === undefined ? res.status < 300 : res.status === expect;
    ok(statusOk, `${name}: ${expect ?? '2xx'} (got ${res.status})`, short(res.text));
    validateAnswer(o, res, name);
    if (predict && res.status !== 401 && res.status !== 403) {
        const text = (obj) => Object.fromEntries(Object.entries(obj).map(([k, v]) => [k, String(v)]));
        const why = requestProblems(o, {
            pathParams: text(params), query: text(query), headers, json, form, body, type,
            noBody: json === undefined && form === undefined && body === undefined,
        });
        if (res.status < 300) ok(!why, `${name}: the request is valid by the document, as the server found`, why ?? undefined);
        else if (res.status === 422) ok(why, `${name}: the document too says this request is invalid`, `the server answered ${short(res.text)}`);
        else if ([404, 409].includes(res.status)) ok(!why, `${name}: the request is valid by the document (the ${res.status} is about the data)`, why ?? undefined);
    }
    return res;
}
// percent-encode, but keep "%XX" already there (tests send raw bytes such as %FF on purpose)
function encodeURIComponentLoose(s) {
    return s.split(/(%[0-9A-Fa-f]{2})/).map((part, i) => (i % 2 ? part : encodeURIComponent(part))).join('');
}

function validateAnswer(o, res, name) {
    const k = `${o.method} ${o.path}`;
    if (!exercised.has(k)) exercised.set(k, new Set());
    exercised.get(k).add(res.status);
    const r = o.op.responses?.[String(res.status)];
    if (!ok(r, `${name}: status ${res.status} is documented`, `documented: ${Object.keys(o.op.responses ?? {}).join(', ')}; body ${short(res.text)}`)) return;
    checkResponse(deref(r), res, name);
}

function checkResponse(r, res, name) {
    for (const [h, spec0] of Object.entries(r.headers ?? {})) {
        const spec = deref(spec0);
        const v = res.headers.get(h);
        if (spec.required) ok(v !== null, `${name}: header ${h} is there`);
        if (v !== null && spec.schema) {
            const e = schemaErrors(spec.schema, v);
            ok(!e, `${name}: header ${h} matches its schema`, `${h}: ${v}\n${e}`);
        }
    }
    if (!r.content) {
        ok(res.text === '', `${name}: no body, as documented`, short(res.text));
        return;
    }
    const ct = (res.headers.get('content-type') ?? '').split(';')[0].trim().toLowerCase();
    const mt = r.content[ct];
    if (!ok(mt, `${name}: Content-Type ${ct || '(none)'} is documented`, `documented: ${Object.keys(r.content).join(', ')}`)) return;
    if (ct === 'application/json' || ct.endsWith('+json')) {
        if (!ok(res.json !== undefined, `${name}: the body is JSON`, short(res.text))) return;
        const e = mt.schema ? schemaErrors(mt.schema, res.json) : null;
        ok(!e, `${name}: the body matches the documented schema`, e ? `${e}\nbody: ${short(res.text, 1500)}` : undefined);
    }
}

function checkWithSchema(schemaRef, res, name) {
    if (!ok(res.json !== undefined, `${name}: the body is JSON`, short(res.text))) return;
    const e = schemaErrors({ $ref: schemaRef }, res.json);
    ok(!e, `${name}: the body matches ${schemaRef.split('/').pop()}`, e ? `${e}\nbody: ${short(res.text)}` : undefined);
}

// ------------------------------------------------------------------ test data helpers

const tok = `oa${process.pid.toString(36)}${Math.floor(Math.random() * 1e6).toString(36)}`;
const NPAS = [206, 212, 213, 303, 305, 310, 312, 404, 408, 415, 503, 510, 512, 602, 617, 646, 650, 702, 718, 720, 805, 858, 916, 925, 949];
function randomPhone() {
    const npa = NPAS[Math.floor(Math.random() * NPAS.length)];
    let nxx;
    do nxx = 200 + Math.floor(Math.random() * 800); while (nxx % 100 === 11);
    return `+1${npa}${nxx}${String(Math.floor(Math.random() * 10000)).padStart(4, '0')}`;
}
const MISSING_ID = '9000000000000000000';  // well formed, no row will ever have it

// a lead with a phone nobody has (a taken phone is a 409: try another)
async function newLead(fields, label) {
    for (let i = 0; i < 20; i++) {
        const phone = randomPhone();
        const taken = await call('GET', `/api/leads?q=${encodeURIComponent(phone.slice(2))}&limit=1`);
        if (taken.json?.total) continue;
        const res = await check('POST', '/api/leads', { json: { phone, ...fields }, expect: 201, label });
        if (res.status === 201) return res.json;
        if (res.status !== 409) break;
    }
    bail(`cannot create a lead (${label})`);
}

async function waitCampaign(id, statuses, seconds) {
    const deadline = Date.now() + seconds * 1000;
    let c;
    while (Date.now() < deadline) {
        c = (await call('GET', `/api/campaigns/${id}`)).json;
        if (c && statuses.includes(c.status)) return c;
        await sleep(200);
    }
    return c;
}

// "HH:MM-HH:MM", 2 to 3 hours from now in a time zone: a send window that is closed now
function closedWindow(timeZone) {
    const f = new Intl.DateTimeFormat('en-GB', { timeZone, hour: '2-digit', minute: '2-digit', hourCycle: 'h23' });
    const now = Date.now();
    return `${f.format(new Date(now + 2 * 3600e3))}-${f.format(new Date(now + 3 * 3600e3))}`;
}

section('GET /api/openapi.json and the docs page /api/docs');

if (!KEY) bail('SMSCAMP_API_KEY is not set (an admin key)');
{
    const h = await call('GET', '/api/health', { key: '' });
    if (h.status !== 200) bail(`the server at ${BASE} does not answer GET /api/health (${h.status})`);
}

{
    const res = await call('GET', '/api/openapi.json', { key: '' });
    ok(res.status === 200, 'GET /api/openapi.json without a key: 200', short(res.text));
    ok(/^application\/json\b/.test(res.headers.get('content-type') ?? ''), `/api/openapi.json: Content-Type application/json (${res.headers.get('content-type')})`);
    ok(isDeepStrictEqual(res.json, doc), '/api/openapi.json is openapi.yaml as it is now (run make static after changing it)');
    const docs = await call('GET', '/api/docs', { key: '' });
    ok([301, 302, 307, 308].includes(docs.status) && /\/api\/docs\/$/.test(docs.headers.get('location') ?? ''),
        `GET /api/docs redirects to /api/docs/ (${docs.status} ${docs.headers.get('location')})`);
    const page = await call('GET', '/api/docs/', { key: '' });
    ok(page.status === 200 && /^text\/html\b/.test(page.headers.get('content-type') ?? ''), `GET /api/docs/ without a key: 200 text/html (${page.status})`);
    const csp = page.headers.get('content-security-policy') ?? '';
    ok(/default-src '(none|self)'/.test(csp) && /script-src 'self'(;|$)/.test(csp),
        `the docs page has a CSP allowing its own scripts only (${csp || 'none'})`);
    const refs = [...page.text.matchAll(/\b(?:src|href)\s*=\s*["']([^"']+)["']/gi)].map((m) => m[1]);
    ok(refs.length >= 3, `the docs page references its assets (${refs.join(', ')})`);
    const external = refs.filter((u) => /^([a-z][a-z0-9+.-]*:|\/\/)/i.test(u));
    ok(!external.length, 'the docs page references only local files (nothing from the internet)', external.join('\n'));
    ok(!/@import|https?:\/\//i.test(page.text.replace(/<a [^>]*>/g, '')), 'no URL of another site in the docs page');
    for (const u of refs.filter((x) => !external.includes(x))) {
        const a = await call('GET', new URL(u, `${BASE}/api/docs/`).pathname, { key: '' });
        ok(a.status === 200 && a.text.length > 0, `docs asset ${u}: 200`, `${a.status} ${short(a.text, 200)}`);
        if (u.endsWith('docs.js')) {
            ok(/url:\s*'\.\/openapi\.json'/.test(a.text) && /validatorUrl:\s*null/.test(a.text),
                'the docs page loads ./openapi.json and no online validator');
        }
        if (u.endsWith('.css')) {
            const urls = [...a.text.matchAll(/url\(\s*["']?([^"')]+)/g)].map((m) => m[1]).filter((x) => !/^data:/.test(x));
            const away = urls.filter((x) => /^([a-z][a-z0-9+.-]*:|\/\/)/i.test(x));
            ok(!away.length && !/@import\s/.test(a.text), `${u} loads nothing from elsewhere (no @import, url() data: or local)`, away.join('\n'));
        }
    }
    const js = await call('GET', '/api/docs/openapi.json', { key: '' });
    ok(js.status === 200 && isDeepStrictEqual(js.json, doc), 'GET /api/docs/openapi.json (what the page loads) is the document');
}

section('every operation on the real server: happy paths and errors');

// health
await check('GET', '/api/health', { key: '', expect: 200 });
await check('GET', '/api/settings', { expect: 200 });
await check('GET', '/api/cluster', { expect: 200 });

// ---- leads
const L1 = await newLead({ name: `OA Ada ${tok}`, email: `ada.${tok}@example.com`, company: 'Analytical', notes: 'first' }, 'Ada');
const L2 = await newLead({ name: `OA Grace ${tok}`, company: 'Navy' }, 'Grace');
const L3 = await newLead({ name: `OA Optout ${tok}` }, 'opts out');
await check('POST', '/api/leads', { json: { name: '', phone: 'abc', email: 'not-an-email' }, expect: 422, label: 'invalid fields' });
await check('POST', '/api/leads', { json: { name: `OA dup ${tok}`, phone: L1.phone }, expect: 409, label: 'phone taken' });
await check('POST', '/api/leads', { json: '{"name": "x", "phone":', expect: 400, predict: false, label: 'malformed JSON' });
await check('POST', '/api/leads', { body: 'name=x', type: 'text/plain', expect: 415, predict: false, label: 'not JSON' });

await check('GET', '/api/leads', { query: { q: tok, limit: 10 }, expect: 200 });
await check('GET', '/api/leads', { expect: 200, label: 'no parameters' });
await check('GET', '/api/leads', { query: { limit: -1, offset: 'x' }, expect: 422, label: 'bad limit/offset' });
await check('GET', '/api/leads', { query: { q: 'x'.repeat(256) }, expect: 422, label: 'q too long' });
{
    const first = await check('GET', '/api/leads', { query: { limit: 2 }, expect: 200, label: 'first page of 2' });
    const after = first.json?.next_after ?? 0;
    await check('GET', '/api/leads', { query: { limit: 2, after }, expect: 200, label: 'after (keyset)' });
    await check('GET', '/api/leads', { query: { after: 'x' }, expect: 422, label: 'after x' });
    await check('GET', '/api/leads', { query: { after: 1, offset: 2 }, expect: 422, predict: false, label: 'after and offset' });
}
await check('GET', '/api/leads', { query: { q: '%FF' }, expect: 400, predict: false, label: 'query not UTF-8' });

await check('GET', '/api/leads/{id}', { params: { id: L1.id }, expect: 200 });
await check('GET', '/api/leads/{id}', { params: { id: MISSING_ID }, expect: 404, label: 'no such lead' });
await check('GET', '/api/leads/{id}', { params: { id: 'abc' }, expect: 422, label: 'id not a number' });
await check('GET', '/api/leads/{id}', { params: { id: '0' }, expect: 422, label: 'id 0' });
await check('GET', '/api/leads/{id}', { params: { id: '%FF' }, expect: 400, predict: false, label: 'path not UTF-8' });
await check('GET', '/api/leads/{id}/messages', { params: { id: L1.id }, query: { limit: '10', after: '0' }, expect: 200 });
await check('GET', '/api/leads/{id}/messages', { params: { id: MISSING_ID }, expect: 404, label: 'no such lead' });
await check('GET', '/api/leads/{id}/messages', { params: { id: L1.id }, query: { offset: '5' }, expect: 422, label: 'offset (keyset pages only)' });
await check('GET', '/api/conversations', { query: { state: 'all', limit: '5' }, expect: 200 });
await check('GET', '/api/conversations', { query: { state: 'closed' }, expect: 422, label: 'unknown state' });
await check('POST', '/api/conversations/{lead_id}/read', { params: { lead_id: L1.id }, expect: 200 });
await check('POST', '/api/conversations/{lead_id}/read', { params: { lead_id: MISSING_ID }, expect: 404, label: 'no such lead' });
{
    const m = (await check('POST', '/api/leads/{id}/messages', { params: { id: L1.id }, json: { body: 'Thanks, see you then!' }, expect: 202 })).json;
    await check('POST', '/api/leads/{id}/messages', { params: { id: L1.id }, json: { body: ' ' }, expect: 422, predict: false, label: 'empty body' });
    await check('POST', '/api/leads/{id}/messages', { params: { id: L1.id }, json: { body: 'x'.repeat(1000) }, expect: 422, predict: false, label: 'too many segments' });
    await check('POST', '/api/leads/{id}/messages', { params: { id: MISSING_ID }, json: { body: 'Hi' }, expect: 404, label: 'no such lead' });
    await check('POST', '/api/messages/{id}/approve', { params: { id: m.id }, expect: 409, label: 'not a draft' });
    await check('POST', '/api/messages/{id}/approve', { params: { id: MISSING_ID }, json: { body: 'Hi' }, expect: 404, label: 'no such message' });
    // two drafts of the reply agent (as it writes them), one approved edited, one rejected
    const draft = () => Number(spawnSync('psql', ['-X', '-At', '-c',
        `INSERT INTO messages (lead_id, phone, direction, body, kind, status) SELECT id, phone, 'outbound', 'Thanks! Someone will call you.', 'auto', 'draft' FROM leads WHERE id = ${Number(L1.id)} RETURNING id`],
        { encoding: 'utf8' }).stdout.trim().split('\n')[0]);
    const d1 = draft(), d2 = draft();
    await check('POST', '/api/messages/{id}/approve', { params: { id: d1 }, json: { body: 5 }, expect: 422, label: 'body not a string' });
    await check('POST', '/api/messages/{id}/approve', { params: { id: d1 }, json: { body: 'Thanks! Sam will call you at 4pm.' }, expect: 202, label: 'edited' });
    await check('POST', '/api/messages/{id}/reject', { params: { id: d2 }, expect: 204 });
    await check('POST', '/api/messages/{id}/reject', { params: { id: m.id }, expect: 409, label: 'not a draft' });
    await check('POST', '/api/messages/{id}/reject', { params: { id: MISSING_ID }, expect: 404, label: 'no such message' });
    await check('GET', '/api/conversations', { query: { intent: 'question' }, expect: 200, label: 'by intent' });
    await check('GET', '/api/conversations', { query: { intent: 'maybe' }, expect: 422, label: 'unknown intent' });
}

await check('PUT', '/api/leads/{id}', { params: { id: L1.id }, json: { company: 'Analytical Engines', notes: null }, expect: 200 });
await check('PUT', '/api/leads/{id}', { params: { id: L1.id }, json: { phone: L2.phone }, expect: 409, label: 'phone of another lead' });
await check('PUT', '/api/leads/{id}', { params: { id: L1.id }, json: { name: 5, notes: 'n'.repeat(10001) }, expect: 422, label: 'invalid fields' });
await check('PUT', '/api/leads/{id}', { params: { id: MISSING_ID }, json: { name: 'x' }, expect: 404, label: 'no such lead' });

{
    const L4 = await newLead({ name: `OA Delete ${tok}` }, 'to delete');
    await check('DELETE', '/api/leads/{id}', { params: { id: L4.id }, expect: 204 });
    await check('DELETE', '/api/leads/{id}', { params: { id: L4.id }, expect: 404, label: 'already deleted' });
    await check('DELETE', '/api/leads/{id}', { params: { id: '-1' }, expect: 422, label: 'negative id' });
}

// sort, and POST /api/leads/bulk
await check('GET', '/api/leads', { query: { q: tok, sort: 'name', limit: 2, offset: 1 }, expect: 200, label: 'sort=name, offset' });
await check('GET', '/api/leads', { query: { sort: '-created_at' }, expect: 200, label: 'sort=-created_at' });
await check('GET', '/api/leads', { query: { sort: 'email' }, expect: 422, label: 'bad sort' });
await check('GET', '/api/leads', { query: { sort: 'name', after: 1 }, expect: 422, predict: false, label: 'after with sort=name' });
{
    const B1 = await newLead({ name: `OA Bulk one ${tok}` }, 'bulk 1');
    const B2 = await newLead({ name: `OA Bulk two ${tok}` }, 'bulk 2');
    const o = await check('POST', '/api/leads/bulk', { json: { action: 'opt_out', lead_ids: [B1.id, B2.id, Number(MISSING_ID)] }, expect: 200, label: 'opt_out' });
    ok(o.json?.matched === 2 && o.json?.changed === 2 && o.json?.unknown_ids?.length === 1, 'bulk opt_out: 2 matched, 2 changed, 1 unknown id', o.text);
    const b = await check('GET', '/api/leads/{id}', { params: { id: B1.id }, expect: 200, label: 'opted out in bulk' });
    ok(b.json?.opted_out === true && b.json?.opt_out_source === 'manual', 'a lead opted out in bulk shows it (source manual)', b.text);
    const d = await check('POST', '/api/leads/bulk', { json: { action: 'delete', lead_ids: [B1.id, B2.id] }, expect: 200, label: 'delete' });
    ok(d.json?.changed === 2, 'bulk delete: 2 deleted', d.text);
    await check('POST', '/api/leads/bulk', { json: { action: 'archive', lead_ids: [1] }, expect: 422, label: 'bad action' });
    await check('POST', '/api/leads/bulk', { json: { action: 'delete', lead_ids: [] }, expect: 422, label: 'no ids' });
    await check('POST', '/api/leads/bulk', { json: { action: 'delete', lead_ids: [1, 'x', 0] }, expect: 422, label: 'bad ids' });
    await check('POST', '/api/leads/bulk', { json: { action: 'delete', lead_ids: Array.from({ length: 10001 }, (_, i) => i + 1) }, expect: 422, label: '10,001 ids' });
    await check('POST', '/api/leads/bulk', { json: '{"action": "delete", "lead_ids": [1', expect: 400, predict: false, label: 'malformed JSON' });
}

// the senders (deleted at the end: a sender paces every campaign after it)
{
    const digits = String(Date.now() % 10000).padStart(4, '0');
    const a = await check('POST', '/api/senders', { json: { phone: `+1212555${digits}`, kind: 'long_code', name: `OA ${tok}` }, expect: 201, label: 'long code' });
    ok(a.json?.segments_per_second === 1 && a.json?.kind === 'long_code', 'a long code: 1 segment/s by default', a.text);
    const m = await check('POST', '/api/senders', { json: { messaging_service_sid: 'MG' + digits.repeat(8), segments_per_second: 20 }, expect: 201, label: 'messaging service' });
    ok(m.json?.kind === 'messaging_service' && m.json?.phone === null, 'a messaging service: kind messaging_service, no phone', m.text);
    await check('POST', '/api/senders', { json: { phone: `+1212555${digits}`, kind: 'long_code' }, expect: 409, label: 'the same number' });
    await check('POST', '/api/senders', { json: { phone: 'nope', kind: 'toll_free' }, expect: 422, predict: false, label: 'bad phone' });
    await check('POST', '/api/senders', { json: '{"phone":', expect: 400, predict: false, label: 'malformed JSON' });
    await check('GET', '/api/senders', { expect: 200, label: 'list' });
    await check('GET', '/api/senders/{id}', { params: { id: a.json.id }, expect: 200, label: 'one' });
    await check('GET', '/api/senders/{id}', { params: { id: MISSING_ID }, expect: 404, label: 'missing' });
    const u = await check('PUT', '/api/senders/{id}', { params: { id: a.json.id }, json: { kind: 'toll_free' }, expect: 200, label: 'new kind' });
    ok(u.json?.segments_per_second === 3, 'a new kind without a rate: the kind\'s rate', u.text);
    await check('PUT', '/api/senders/{id}', { params: { id: a.json.id }, json: { segments_per_second: 0 }, expect: 422, label: 'rate 0' });
    const c = await check('POST', '/api/campaigns', { json: { name: `OA senders ${tok}`, sender_ids: [a.json.id, m.json.id] }, expect: 201, label: 'with sender_ids' });
    ok(c.json?.senders?.length === 2 && c.json?.send_rate?.segments_per_second === 23, 'a campaign shows its senders and their 23 segments/s', c.text);
    await check('POST', '/api/campaigns', { json: { name: 'x', sender_ids: [Number(MISSING_ID)] }, expect: 422, predict: false, label: 'unknown sender id' });
    await check('DELETE', '/api/campaigns/{id}', { params: { id: c.json.id }, expect: 204, label: 'with senders' });
    await check('DELETE', '/api/senders/{id}', { params: { id: a.json.id }, expect: 204, label: 'long code' });
    await check('DELETE', '/api/senders/{id}', { params: { id: m.json.id }, expect: 204, label: 'messaging service' });
    await check('DELETE', '/api/senders/{id}', { params: { id: m.json.id }, expect: 404, label: 'gone' });
}

// the suppression list
{
    const p1 = randomPhone();
    const a = await check('POST', '/api/opt-outs', { json: { phones: [p1, 'nope'], source: 'manual' }, expect: 200, label: 'one good, one bad' });
    ok(a.json?.added === 1 && a.json?.rejected?.length === 1 && a.json.rejected[0].index === 1, 'opt-outs: 1 added, index 1 rejected', a.text);
    await check('POST', '/api/opt-outs', { body: `phone\n${p1}\n`, type: 'text/csv', expect: 200, label: 'CSV' });
    await check('POST', '/api/opt-outs', { json: { phones: [p1], source: 'carrier' }, expect: 422, label: 'bad source' });
    await check('POST', '/api/opt-outs', { body: 'name\nx\n', type: 'text/csv', expect: 422, predict: false, label: 'CSV without a phone column' });
    const l = await check('GET', '/api/opt-outs', { query: { q: p1.slice(1), limit: 5 }, expect: 200, label: 'search' });
    ok(l.json?.items?.[0]?.phone === p1, 'opt-outs: the search finds the phone', l.text);
    await check('GET', '/api/opt-outs', { query: { limit: 'x' }, expect: 422, label: 'bad limit' });
    const e = await check('GET', '/api/opt-outs/export', { expect: 200, label: 'export' });
    ok(e.text.startsWith('phone,source,keyword,created_at\n') && e.text.includes(`${p1},`), 'the export is CSV with the phone', short(e.text));
    await check('GET', '/api/leads', { query: { opted_out: 'true', limit: 1 }, expect: 200, label: 'opted_out=true' });
    await check('GET', '/api/leads', { query: { opted_out: 'maybe' }, expect: 422, label: 'opted_out=maybe' });
    await check('DELETE', '/api/opt-outs/{phone}', { params: { phone: p1 }, expect: 204, label: 'remove' });
    await check('DELETE', '/api/opt-outs/{phone}', { params: { phone: p1 }, expect: 404, label: 'not listed' });
}

{
    const p1 = randomPhone();
    const p2 = randomPhone();
    const r = await check('POST', '/api/leads/import', {
        json: [{ name: `OA Import ${tok}`, phone: p1 }, { name: '', phone: 'nope' }], expect: 200, predict: false, label: 'JSON, one bad row',
    });
    ok(r.json?.rejected?.length === 1 && r.json.rejected[0].row === 2, 'import: the bad row is reported as row 2', r.text);
    await check('POST', '/api/leads/import', { body: `name,phone\nOA Csv ${tok},${p2}\n`, type: 'text/csv', expect: 200, label: 'CSV' });
    await check('POST', '/api/leads/import', { body: 'hello', type: 'text/plain', expect: 415, label: 'text/plain' });
    await check('POST', '/api/leads/import', { json: { name: 'x' }, expect: 422, label: 'not an array' });
    await check('POST', '/api/leads/import', { body: 'email\nx@example.com\n', type: 'text/csv', expect: 422, predict: false, label: 'CSV without name/phone' });
    await check('POST', '/api/leads/import', { json: '[{"name":', expect: 400, predict: false, label: 'malformed JSON' });

    // on_existing, dry_run, attributes: a file that re-imports p2's lead with an empty cell
    const csv = `name,phone,email,city\nOA Csv ${tok},${p2},csv.${tok}@example.com,Leeds\nOA New ${tok},${randomPhone()},,\n`;
    const dry = await check('POST', '/api/leads/import', { query: { dry_run: 'true' }, body: csv, type: 'text/csv', expect: 200, label: 'dry run' });
    ok(dry.json?.dry_run === true && dry.json.updated === 1 && dry.json.inserted === 1 && dry.json.changes?.[0]?.fields?.['attributes.city']?.to === 'Leeds',
        'import dry run: one update (with its fields) and one insert foreseen', dry.text);
    const merged = await check('POST', '/api/leads/import', { query: { on_existing: 'merge', dry_run: 'false' }, body: csv, type: 'text/csv', expect: 200, label: 'merge' });
    ok(merged.json?.dry_run === false && merged.json.updated === 1 && merged.json.changes_total === 1, 'import merge: what the dry run said', merged.text);
    await check('POST', '/api/leads/import', { query: { on_existing: 'skip' }, body: csv, type: 'text/csv', expect: 200, label: 'skip' });
    const replaced = await check('POST', '/api/leads/import', {
        query: { on_existing: 'replace', dry_run: 'true' },
        json: [{ name: `OA Csv ${tok}`, phone: p2, attributes: { city: 'York', seats: 3, vip: true } }, { name: `OA Csv ${tok}`, phone: p2 }],
        expect: 200, label: 'replace (dry run), a duplicate row',
    });
    ok(replaced.json?.rejected?.[0]?.detail?.[0]?.msg === 'duplicate of row 1', 'import: a phone twice is rejected as a duplicate of row 1', replaced.text);
    await check('POST', '/api/leads/import', { query: { on_existing: 'overwrite' }, body: csv, type: 'text/csv', expect: 422, label: 'bad on_existing' });
    await check('POST', '/api/leads/import', { query: { dry_run: 'yes' }, json: [], expect: 422, label: 'bad dry_run' });
    await check('POST', '/api/leads/import', { body: 'name,phone,my city\n', type: 'text/csv', expect: 422, predict: false, label: 'CSV header not an attribute name' });
}
{
    const A = await newLead({ name: `OA Attr ${tok}`, attributes: { city: 'Leeds', seats: 12, trial: false } }, 'with attributes');
    await check('PUT', '/api/leads/{id}', { params: { id: A.id }, json: { attributes: { plan: 'Pro' } }, expect: 200, label: 'attributes' });
    await check('PUT', '/api/leads/{id}', { params: { id: A.id }, json: { attributes: null }, expect: 200, label: 'attributes null' });
    await check('PUT', '/api/leads/{id}', { params: { id: A.id }, json: { attributes: { 'bad key': 1, nested: { a: 1 } } }, expect: 422, label: 'bad attributes' });
    await check('POST', '/api/leads', { json: { name: 'x', phone: randomPhone(), attributes: ['city'] }, expect: 422, label: 'attributes not an object' });
}

// ---- campaigns: C1 runs to completion (no quiet hours)
const C1 = (await check('POST', '/api/campaigns', {
    json: {
        name: `OA Main ${tok}`, description: 'OpenAPI check', agent_type: 'sms',
        sms_system_prompt: 'Invite them to the open day on Saturday.', sms_temperature: 70,
        send_window: null, lead_ids: [L1.id, L2.id],
    },
    expect: 201,
})).json;
if (!C1?.id) bail('cannot create a campaign');
await check('POST', '/api/campaigns', { json: { name: ' ', agent_type: 'fax', sms_temperature: 300, sms_system_prompt: 'p'.repeat(4001) }, expect: 422, label: 'invalid fields' });
await check('POST', '/api/campaigns', { json: { name: 'x', lead_ids: [1], lead_count: 2 }, expect: 422, label: 'two lead selections' });
await check('POST', '/api/campaigns', { json: { name: 'x', send_window: '9-5' }, expect: 422, label: 'bad send_window' });
await check('POST', '/api/campaigns', { json: { name: `OA x ${tok}`, lead_ids: [Number(MISSING_ID)] }, expect: 422, predict: false, label: 'unknown lead id' });
await check('POST', '/api/campaigns', { json: ['x'], expect: 422, label: 'not an object' });

await check('GET', '/api/campaigns', { query: { q: tok, status: 'draft', limit: 5 }, expect: 200 });
await check('GET', '/api/campaigns', { query: { status: 'bogus' }, expect: 422, label: 'bad status' });
await check('GET', '/api/campaigns/{id}', { params: { id: C1.id }, expect: 200 });
await check('GET', '/api/campaigns/{id}', { params: { id: MISSING_ID }, expect: 404, label: 'no such campaign' });
await check('GET', '/api/campaigns/{id}', { params: { id: '1.5' }, expect: 422, label: 'id 1.5' });

await check('PUT', '/api/campaigns/{id}', { params: { id: C1.id }, json: { sms_temperature: 80, description: 'updated', messages_per_second: null }, expect: 200 });
await check('PUT', '/api/campaigns/{id}', { params: { id: C1.id }, json: { sms_temperature: 'hot', max_send_errors: 0 }, expect: 422, label: 'invalid fields' });
await check('PUT', '/api/campaigns/{id}', { params: { id: MISSING_ID }, json: { name: 'x' }, expect: 404, label: 'no such campaign' });

await check('POST', '/api/campaigns/{id}/leads', { params: { id: C1.id }, json: { lead_ids: [L3.id, L1.id] }, expect: 200 });
await check('POST', '/api/campaigns/{id}/leads', { params: { id: C1.id }, json: {}, expect: 422, label: 'no selection' });
await check('POST', '/api/campaigns/{id}/leads', { params: { id: C1.id }, json: { lead_count: 0 }, expect: 422, label: 'lead_count 0' });
await check('POST', '/api/campaigns/{id}/leads', { params: { id: MISSING_ID }, json: { lead_ids: [L1.id] }, expect: 404, label: 'no such campaign' });

await check('GET', '/api/campaigns/{id}/leads', { params: { id: C1.id }, query: { status: 'pending' }, expect: 200 });
await check('GET', '/api/campaigns/{id}/leads', { params: { id: C1.id }, query: { status: 'lost' }, expect: 422, label: 'bad status' });
await check('GET', '/api/campaigns/{id}/leads', { params: { id: MISSING_ID }, expect: 404, label: 'no such campaign' });

await check('POST', '/api/campaigns/{id}/preview', { params: { id: C1.id }, expect: 200, label: 'no body' });
await check('POST', '/api/campaigns/{id}/preview', { params: { id: C1.id }, json: { lead_id: L2.id }, expect: 200, label: 'lead_id' });
await check('POST', '/api/campaigns/{id}/preview', { params: { id: C1.id }, json: { lead_id: Number(MISSING_ID) }, expect: 404, label: 'no such lead' });
await check('POST', '/api/campaigns/{id}/preview', { params: { id: C1.id }, json: { lead_id: 0 }, expect: 422, label: 'lead_id 0' });

// L3 texts STOP: it is skipped, with validation_errors
await check('POST', '/api/webhooks/sms/inbound', { key: '', form: { From: L3.phone, To: '+15005550006', Body: 'STOP', MessageSid: `SM${tok}` }, expect: 200, label: 'STOP' });
await check('POST', '/api/leads/{id}/messages', { params: { id: L3.id }, json: { body: 'Still there?' }, expect: 409, label: 'opted out' });
await check('POST', '/api/webhooks/sms/inbound', { key: '', form: { Body: 'hello' }, expect: 422, label: 'no From' });
await check('POST', '/api/webhooks/sms/inbound', { key: '', body: 'From=%ZZ', type: 'application/x-www-form-urlencoded', expect: 400, predict: false, label: 'malformed form' });
await check('POST', '/api/webhooks/sms/inbound', { key: '', body: 'From: me', type: 'text/plain', expect: 415, predict: false, label: 'not a form' });
await check('POST', '/api/webhooks/sms/inbound', { key: '', form: { From: L3.phone, Body: 'START' }, signed: false, expect: 403, predict: false, label: 'unsigned' });

await check('POST', '/api/campaigns/{id}/start', { params: { id: C1.id }, expect: 202 });
await check('POST', '/api/campaigns/{id}/start', { params: { id: MISSING_ID }, expect: 404, label: 'no such campaign' });
await check('POST', '/api/campaigns/{id}/start', { params: { id: 'x' }, expect: 422, label: 'id x' });
{
    const done = await waitCampaign(C1.id, ['completed', 'failed', 'cancelled', 'paused'], 120);
    ok(done?.status === 'completed', `the campaign completes (${done?.status})`, done);
}
await check('GET', '/api/campaigns/{id}', { params: { id: C1.id }, expect: 200, label: 'completed' });
await check('POST', '/api/campaigns/{id}/start', { params: { id: C1.id }, expect: 409, label: 'completed' });
await check('POST', '/api/campaigns/{id}/pause', { params: { id: C1.id }, expect: 409, label: 'completed' });
await check('POST', '/api/campaigns/{id}/resume', { params: { id: C1.id }, expect: 409, label: 'completed' });
await check('POST', '/api/campaigns/{id}/cancel', { params: { id: C1.id }, expect: 409, label: 'completed' });
await check('POST', '/api/campaigns/{id}/schedule', { params: { id: C1.id }, json: { scheduled_at: '2999-01-01T00:00:00Z' }, expect: 409, label: 'completed' });
await check('PUT', '/api/campaigns/{id}', { params: { id: C1.id }, json: { sms_system_prompt: 'changed' }, expect: 409, label: 'prompt of a completed campaign' });
await check('POST', '/api/campaigns/{id}/leads', { params: { id: C1.id }, json: { lead_ids: [L1.id] }, expect: 409, label: 'not a draft' });

let sentSid;
{
    const r = await check('GET', '/api/campaigns/{id}/leads', { params: { id: C1.id }, query: { limit: 500 }, expect: 200, label: 'after the run' });
    const items = r.json?.items ?? [];
    const st = Object.fromEntries(items.map((i) => [i.lead_id, i.status]));
    ok(st[L1.id] === 'sent' && st[L2.id] === 'sent' && st[L3.id] === 'skipped', `two leads sent, the opted-out one skipped (${JSON.stringify(st)})`);
    const skipped = items.find((i) => i.lead_id === L3.id);
    ok(Array.isArray(skipped?.validation_errors) && skipped.validation_errors.length > 0, 'the skipped lead has validation_errors');
    sentSid = items.find((i) => i.lead_id === L1.id)?.sms_sid;
    ok(typeof sentSid === 'string' && sentSid.length > 0, `the sent lead has the provider's sid (${sentSid})`);
    const logs = await check('GET', '/api/campaigns/{id}/logs', { params: { id: C1.id }, query: { limit: 500 }, expect: 200 });
    ok((logs.json?.items ?? []).length >= 3 && logs.json.items.some((i) => i.metadata !== null), `the logs have items (${logs.json?.items?.length})`);
    const cl = items.find((i) => i.lead_id === L3.id)?.id;
    await check('GET', '/api/campaigns/{id}/logs', { params: { id: C1.id }, query: { level: 'info', node: 'validate_lead', campaign_lead_id: cl ?? 1 }, expect: 200, label: 'filters' });
}
await check('GET', '/api/campaigns/{id}/logs', { params: { id: C1.id }, query: { level: 'loud', campaign_lead_id: 'abc' }, expect: 422, label: 'bad level and campaign_lead_id' });
await check('GET', '/api/campaigns/{id}/logs', { params: { id: C1.id }, query: { node: 'n'.repeat(101) }, expect: 422, label: 'node too long' });
await check('GET', '/api/campaigns/{id}/logs', { params: { id: MISSING_ID }, expect: 404, label: 'no such campaign' });

await check('POST', '/api/webhooks/sms/status', { key: '', form: { MessageSid: sentSid ?? 'SMnone', MessageStatus: 'delivered' }, expect: 200, label: 'delivered' });
await check('POST', '/api/webhooks/sms/status', { key: '', form: { MessageSid: `SM${tok}none`, MessageStatus: 'delivered' }, expect: 200, label: 'unknown sid' });
await check('POST', '/api/webhooks/sms/status', { key: '', form: { ErrorCode: '30003' }, expect: 422, label: 'no sid, no status' });
await check('POST', '/api/webhooks/sms/status', { key: '', json: { MessageSid: 'x' }, expect: 415, predict: false, label: 'JSON' });
await check('POST', '/api/webhooks/sms/status', { key: '', form: { MessageSid: `SM${tok}none`, MessageStatus: 'failed' }, signed: false, expect: 403, predict: false, label: 'unsigned' });
await check('POST', '/api/webhooks/voice/status', { key: '', form: { CallSid: `CA${tok}none`, CallStatus: 'completed', CallDuration: '12' }, expect: 200, label: 'unknown call' });
await check('POST', '/api/webhooks/voice/status', { key: '', form: { CallDuration: '3' }, expect: 422, label: 'no sid, no status' });
await check('POST', '/api/webhooks/voice/status', { key: '', form: { CallSid: `CA${tok}none`, CallStatus: 'completed' }, signed: false, expect: 403, predict: false, label: 'unsigned' });

await check('GET', '/api/dashboard/stats', { expect: 200 });
await check('GET', '/api/dashboard/recent-campaigns', { expect: 200 });
await check('GET', '/api/dashboard/recent-campaigns', { query: { limit: 1000, offset: 0 }, expect: 200, label: 'clamped limit' });
await check('GET', '/api/dashboard/recent-campaigns', { query: { limit: 'abc' }, expect: 422, label: 'bad limit' });

// ---- C2: the lifecycle, with a send window closed now (nothing is sent; the states stay put)
{
    // closed in New York now, and so in every US zone (the leads' zones are their area codes')
    const win = closedWindow('America/New_York');
    const C2 = (await check('POST', '/api/campaigns', { json: { name: `OA Life ${tok}`, sms_template: 'Hi {first_name}, see you soon.', send_window: win, lead_ids: [L1.id, L2.id] }, expect: 201, label: `send_window ${win}` })).json;
    await check('POST', '/api/campaigns/{id}/start', { params: { id: C2.id }, expect: 202, label: 'closed window' });
    let c = await waitCampaign(C2.id, ['processing'], 30);
    ok(c?.status === 'processing', `a worker takes it: processing (${c?.status})`);
    await check('DELETE', '/api/campaigns/{id}', { params: { id: C2.id }, expect: 409, label: 'processing' });
    await check('POST', '/api/campaigns/{id}/resume', { params: { id: C2.id }, expect: 409, label: 'not paused' });
    await check('POST', '/api/campaigns/{id}/pause', { params: { id: C2.id }, expect: 200 });
    await check('POST', '/api/campaigns/{id}/pause', { params: { id: C2.id }, expect: 409, label: 'already paused' });
    await check('POST', '/api/campaigns/{id}/resume', { params: { id: C2.id }, expect: 202 });
    c = await waitCampaign(C2.id, ['processing'], 30);
    await check('POST', '/api/campaigns/{id}/cancel', { params: { id: C2.id }, expect: 200 });
    const leads = await check('GET', '/api/campaigns/{id}/leads', { params: { id: C2.id }, query: { status: 'cancelled' }, expect: 200, label: 'cancelled' });
    ok(leads.json?.total === 2, `cancel marks the unsent leads cancelled (${leads.json?.total})`);
    await check('DELETE', '/api/campaigns/{id}', { params: { id: C2.id }, expect: 204 });
    await check('GET', '/api/campaigns/{id}', { params: { id: C2.id }, expect: 404, label: 'deleted' });
    await check('DELETE', '/api/campaigns/{id}', { params: { id: C2.id }, expect: 404, label: 'already deleted' });
    await check('POST', '/api/campaigns/{id}/pause', { params: { id: MISSING_ID }, expect: 404, label: 'no such campaign' });
    await check('POST', '/api/campaigns/{id}/resume', { params: { id: MISSING_ID }, expect: 404, label: 'no such campaign' });
    await check('POST', '/api/campaigns/{id}/cancel', { params: { id: MISSING_ID }, expect: 404, label: 'no such campaign' });
    await check('POST', '/api/campaigns/{id}/pause', { params: { id: '00' }, expect: 422, label: 'id 00' });
    await check('POST', '/api/campaigns/{id}/cancel', { params: { id: 'one' }, expect: 422, label: 'id one' });
    await check('POST', '/api/campaigns/{id}/resume', { params: { id: '-5' }, expect: 422, label: 'id -5' });
}

// ---- C3: schedule / unschedule; C4: no leads
{
    const C3 = (await check('POST', '/api/campaigns', { json: { name: `OA Sched ${tok}`, sms_system_prompt: 'Invite them to our open day on Saturday.', lead_filter: tok, agent_type: null, sms_temperature: null }, expect: 201, label: 'lead_filter' })).json;
    await check('POST', '/api/campaigns/{id}/schedule', { params: { id: C3.id }, json: { scheduled_at: '2999-01-01T09:00:00Z' }, expect: 200 });
    await check('POST', '/api/campaigns/{id}/schedule', { params: { id: C3.id }, json: { scheduled_at: null }, expect: 200, label: 'back to draft' });
    await check('POST', '/api/campaigns/{id}/schedule', { params: { id: C3.id }, json: { scheduled_at: '2001-01-01T00:00:00Z' }, expect: 422, predict: false, label: 'in the past' });
    await check('POST', '/api/campaigns/{id}/schedule', { params: { id: C3.id }, json: { scheduled_at: 'tomorrow' }, expect: 422, label: 'not a time' });
    await check('POST', '/api/campaigns/{id}/schedule', { params: { id: C3.id }, json: {}, expect: 422, label: 'no scheduled_at' });
    await check('POST', '/api/campaigns/{id}/schedule', { params: { id: C3.id }, json: { scheduled_at: null }, expect: 409, label: 'unschedule a draft' });
    await check('POST', '/api/campaigns/{id}/schedule', { params: { id: MISSING_ID }, json: { scheduled_at: '2999-01-01T09:00:00Z' }, expect: 404, label: 'no such campaign' });
    await check('POST', '/api/campaigns/{id}/cancel', { params: { id: C3.id }, expect: 409, label: 'a draft' });
    await check('DELETE', '/api/campaigns/{id}', { params: { id: C3.id }, expect: 204, label: 'a draft' });

    const C4 = (await check('POST', '/api/campaigns', { json: { name: `OA Empty ${tok}`, agent_type: 'both', messages_per_second: 2.5, max_send_errors: 3 }, expect: 201, label: 'no leads' })).json;
    await check('POST', '/api/campaigns/{id}/preview', { params: { id: C4.id }, json: null, expect: 409, label: 'no leads' });
    await check('POST', '/api/campaigns/{id}/preview', { params: { id: MISSING_ID }, expect: 404, label: 'no such campaign' });
    await check('POST', '/api/campaigns/{id}/start', { params: { id: C4.id }, expect: 409, label: 'no leads' });
    await check('POST', '/api/campaigns/{id}/leads', { params: { id: C4.id }, json: { lead_count: 1 }, expect: 200, label: 'lead_count' });
    await check('DELETE', '/api/campaigns/{id}', { params: { id: C4.id }, expect: 204, label: 'draft with leads' });
}

// ---- API keys
let viewerKey;
let viewerId;
let operatorKey;
{
    const v = await check('POST', '/api/keys', { json: { name: `OA viewer ${tok}`, role: 'viewer' }, expect: 201 });
    viewerKey = v.json?.key;
    viewerId = v.json?.id;
    const o = await check('POST', '/api/keys', { json: { name: `OA operator ${tok}`, role: 'operator', expires_at: '2999-01-01T00:00:00Z' }, expect: 201, label: 'expires_at' });
    operatorKey = o.json?.key;
    const me = await check('GET', '/api/keys/me', { expect: 200, label: 'the admin key' });
    ok(me.json?.role === 'admin' && me.json?.auth === true, 'GET /api/keys/me: the run\'s key is an admin key', me.text);
    const vme = await check('GET', '/api/keys/me', { key: viewerKey, expect: 200, label: 'a viewer key' });
    ok(vme.json?.id === viewerId && vme.json?.role === 'viewer', 'GET /api/keys/me with the viewer key: that key', vme.text);
    await check('POST', '/api/keys', { json: { name: '', role: 'boss' }, expect: 422, label: 'invalid fields' });
    await check('POST', '/api/keys', { json: { name: 'x', role: 'viewer', expires_at: '2001-01-01T00:00:00Z' }, expect: 422, predict: false, label: 'expires in the past' });
    await check('GET', '/api/keys', { query: { limit: 500 }, expect: 200 });
    await check('GET', '/api/keys', { query: { offset: '-1' }, expect: 422, label: 'negative offset' });
    await check('DELETE', '/api/keys/{id}', { params: { id: MISSING_ID }, expect: 404, label: 'no such key' });
    await check('DELETE', '/api/keys/{id}', { params: { id: o.json?.id ?? 1 }, query: { after: 604801 }, expect: 422, label: 'after too large' });
    await check('DELETE', '/api/keys/{id}', { params: { id: 'key' }, expect: 422, label: 'id key' });
    // a key of its own allowed 1 request/s (bursts of 2): the third request at once is a 429
    const slow = await check('POST', '/api/keys', { json: { name: `OA slow ${tok}`, role: 'viewer', rate_limit: 1 }, expect: 201, label: 'rate_limit' });
    ok(slow.json?.rate_limit === 1, 'the new key shows its rate_limit');
    await check('GET', '/api/dashboard/stats', { key: slow.json?.key, expect: 200, label: 'rate_limit 1, 1st' });
    await check('GET', '/api/dashboard/stats', { key: slow.json?.key, expect: 200, label: 'rate_limit 1, 2nd' });
    await check('GET', '/api/dashboard/stats', { key: slow.json?.key, expect: 429, label: 'rate_limit 1, 3rd at once' });
}

section('400, 413, 415 and 422 from the module on every operation that reads input');
// ---- what the nginx module answers before the SQL function runs, on every operation that can:
// 400 (path, query or body not UTF-8; malformed JSON), 413 (body over the limit), 415 (not JSON),
// and 422 for an id that is no number
for (const [k, o] of ops) {
    const r = routes.find((x) => x.key === k);
    if (!r) continue;
    const key = r.role === 'public' ? '' : KEY;
    const at = o.path.replace(/\{\w+\}/g, MISSING_ID);
    const send = async (url, opts, expect, label) => {
        let res;
        try {
            res = await call(o.method, url, { key, ...opts });
        } catch (e) {
            ok(false, `${k} [${label}]: ${expect}`, String(e.message));
            return;
        }
        ok(res.status === expect, `${k} [${label}]: ${expect} (got ${res.status})`, short(res.text));
        validateAnswer(o, res, `${k} [${label}]`);
    };
    if (r.captures.length) {
        await send(o.path.replace(/\{\w+\}/g, '%FF'), {}, 400, 'path not UTF-8');
        await send(o.path.replace(/\{\w+\}/g, 'abc'), r.json ? { json: {} } : {}, 422, 'id abc');
    }
    if (r.args) await send(`${at}?limit=%FF`, {}, 400, 'query not UTF-8');
    if (r.json) {
        await send(at, { json: '{"name": ' }, 400, 'malformed JSON');
        await send(at, { json: '[1, 2, 3', type: 'application/merge-patch+json' }, 400, 'malformed JSON (+json type)');
        await send(at, { body: 'name=x', type: 'text/plain' }, 415, 'text/plain body');
        await send(at, { json: `"${'x'.repeat(1100 * 1024)}"` }, 413, 'body over 1 MB');
    }
    if (r.body) {
        const type = r.key.includes('/webhooks/') ? 'application/x-www-form-urlencoded' : 'text/csv';
        await send(at, { body: Buffer.from([0x46, 0x3d, 0xff, 0x0a]), type }, 400, 'body not UTF-8');
        if (type === 'text/csv') {
            await send(at, { json: `[${'{},'.repeat(100000)}{}]` }, 413, '100,001 rows');
        } else {
            await send(at, { body: `Body=${'x'.repeat(1100 * 1024)}`, type }, 413, 'body over 1 MB');
        }
    }
}

section('401 without a key, 403 with too low a role');
// ---- 401 without a key, 403 with too low a role
for (const [k, o] of ops) {
    const role = o.op['x-smscamp-role'];
    const url = o.path.replace(/\{\w+\}/g, '1');
    if (role === 'public') continue;
    const res = await call(o.method, url, { key: '' });
    ok(res.status === 401, `${k} without a key: 401 (got ${res.status})`, short(res.text));
    validateAnswer(o, res, `${k} [no key]`);
    const bad = await call(o.method, url, { key: 'smc_' + '0'.repeat(64) });
    ok(bad.status === 401, `${k} with an unknown key: 401 (got ${bad.status})`, short(bad.text));
    if (role === 'operator' || role === 'admin') {
        const res3 = await call(o.method, url, { key: viewerKey });
        ok(res3.status === 403, `${k} with a viewer key: 403 (got ${res3.status})`, short(res3.text));
        validateAnswer(o, res3, `${k} [viewer key]`);
    }
    if (role === 'admin') {
        const res4 = await call(o.method, url, { key: operatorKey });
        ok(res4.status === 403, `${k} with an operator key: 403 (got ${res4.status})`, short(res4.text));
        validateAnswer(o, res4, `${k} [operator key]`);
    }
    if (role === 'viewer') {
        const res5 = await call(o.method, o.path.replace(/\{\w+\}/g, MISSING_ID), { key: viewerKey });
        ok(res5.status !== 401 && res5.status !== 403, `${k} with a viewer key: allowed (got ${res5.status})`, short(res5.text));
        validateAnswer(o, res5, `${k} [viewer key]`);
    }
}
await check('DELETE', '/api/keys/{id}', { params: { id: viewerId }, query: { after: 0 }, expect: 204 });

section('405 on every path, 404 off the routes');
// ---- 405 on every path (with Allow: the documented methods), 404 on a path that is no route
const templateRe = (p) => new RegExp(`^${p.replace(/[.*+?^$()|[\]\\]/g, '\\$&').replace(/\\?\{\w+\\?\}/g, '[^/]+')}$`);
for (const p of Object.keys(doc.paths)) {
    const url = p.replace(/\{\w+\}/g, '1');
    // every documented path that this URL matches (/api/leads/import is also /api/leads/{id})
    const methods = [...new Set(Object.entries(doc.paths).filter(([q]) => templateRe(q).test(url))
        .flatMap(([, item]) => METHODS.filter((m) => item[m]).map((m) => m.toUpperCase())))];
    const res = await call('PATCH', url);
    const name = `PATCH ${p}`;
    ok(res.status === 405, `${name}: 405 (got ${res.status})`, short(res.text));
    const allow = (res.headers.get('allow') ?? '').split(/\s*,\s*/).filter(Boolean).sort();
    ok(isDeepStrictEqual(allow, [...methods].sort()), `${name}: Allow lists the documented methods (${allow.join(', ')})`, `documented: ${methods.join(', ')}`);
    checkWithSchema('#/components/schemas/Error', res, name);
}
{
    const res = await call('GET', `/api/no-such-route-${tok}`);
    ok(res.status === 404, `GET /api/no-such-route: 404 (got ${res.status})`);
    checkWithSchema('#/components/schemas/Error', res, 'GET /api/no-such-route');
}

section('clean-up: what this test made is deleted (or revoked)');
{
    await check('DELETE', '/api/campaigns/{id}', { params: { id: C1.id }, expect: 204, label: 'clean-up' });
    const mine = await check('GET', '/api/leads', { query: { q: tok, limit: 500 }, expect: 200, label: 'clean-up' });
    for (const l of mine.json?.items ?? []) {
        await check('DELETE', '/api/leads/{id}', { params: { id: l.id }, expect: 204, label: 'clean-up' });
    }
    const keys = await check('GET', '/api/keys', { query: { limit: 500 }, expect: 200, label: 'clean-up' });
    for (const k of (keys.json?.items ?? []).filter((x) => x.name.includes(tok) && x.revoked_at === null)) {
        await check('DELETE', '/api/keys/{id}', { params: { id: k.id }, expect: 204, label: 'clean-up' });
    }
}

section('coverage: a success and an error of every operation');

{
    const lines = [];
    for (const [k, o] of ops) {
        const seen = exercised.get(k) ?? new Set();
        const documented = Object.keys(o.op.responses ?? {});
        const success = [...seen].filter((s) => s >= 200 && s < 300);
        const errorsOwn = documented.filter((s) => /^4/.test(s) && !['401', '403', '429'].includes(s));
        const seenOwnError = [...seen].some((s) => s >= 400 && ![401, 403, 429].includes(s));
        ok(success.length > 0, `${k}: a success was checked (${success.join(', ') || 'none'})`);
        if (errorsOwn.length) ok(seenOwnError, `${k}: at least one of its own errors was checked`, `documented: ${errorsOwn.join(', ')}`);
        const notSeen = documented.filter((s) => !seen.has(Number(s)));
        lines.push(`${k.padEnd(48)} checked ${[...seen].sort().join(' ')}${notSeen.length ? `   (not provoked: ${notSeen.join(' ')})` : ''}`);
    }
    diag(`statuses checked per operation (${ops.size} operations, ${requests} requests through check()):`);
    diag(lines.join('\n'));
}

finish();
