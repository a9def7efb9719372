'use strict';
// bench/webhook_burst.js URL TOKEN N CONCURRENCY PREFIX: N signed inbound SMS webhooks (Twilio's
// form and X-Twilio-Signature, each with its own MessageSid, From PREFIX + 4 digits), CONCURRENCY
// at a time on keep-alive connections. Prints one line of JSON: {sent, ok, statuses, seconds,
// per_second, p50_ms, p99_ms}. Used by bench/replies.sh.
const http = require('node:http');
const crypto = require('node:crypto');

const [url, token, nArg, concArg, prefix] = process.argv.slice(2);
const N = Number(nArg), CONC = Number(concArg);
const u = new URL(url);
const agent = new http.Agent({ keepAlive: true, maxSockets: CONC });
const bodies = ['What time?', 'Yes please', 'Not interested', 'Who is this?', 'Tell me more'];

function signed(i) {
    const sid = 'SMburst' + crypto.randomBytes(12).toString('hex');
    const params = {
        AccountSid: 'ACtest', Body: bodies[i % bodies.length], From: prefix + String(i % 10000).padStart(4, '0'),
        MessageSid: sid, SmsSid: sid, To: '+15005550006',
    };
    let data = url;
    for (const k of Object.keys(params).sort()) data += k + params[k];
    return { form: new URLSearchParams(params).toString(),
             sig: crypto.createHmac('sha1', token).update(data, 'utf8').digest('base64') };
}

let next = 0, done = 0, ok = 0;
const statuses = {}, lat = [];
const t0 = process.hrtime.bigint();
function one() {
    if (next >= N) return;
    const i = next++;
    const { form, sig } = signed(i);
    const s = process.hrtime.bigint();
    const req = http.request({
        host: u.hostname, port: u.port, path: u.pathname, method: 'POST', agent,
        headers: { 'Content-Type': 'application/x-www-form-urlencoded', 'Content-Length': Buffer.byteLength(form),
                   'X-Twilio-Signature': sig },
    }, (res) => {
        res.resume();
        res.on('end', () => {
            lat.push(Number(process.hrtime.bigint() - s) / 1e6);
            statuses[res.statusCode] = (statuses[res.statusCode] || 0) + 1;
            if (res.statusCode === 200) ok++;
            finish();
        });
    });
    req.on('error', (e) => { statuses[e.code || 'error'] = (statuses[e.code || 'error'] || 0) + 1; finish(); });
    req.end(form);
}
function finish() {
    done++;
    if (done === N) {
        const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
        lat.sort((a, b) => a - b);
        const q = (p) => (lat.length ? lat[Math.min(lat.length - 1, Math.floor(p * lat.length))] : null);
        console.log(JSON.stringify({ sent: N, ok, statuses, seconds: +seconds.toFixed(3),
            per_second: Math.round(N / seconds), p50_ms: +q(0.5).toFixed(2), p99_ms: +q(0.99).toFixed(2) }));
        agent.destroy();
        return;
    }
    one();
}
for (let k = 0; k < Math.min(CONC, N); k++) one();
