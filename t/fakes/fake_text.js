'use strict';
// fake_text.js — the texts of the fake providers (t/fakes/fake_providers.js): what the fake model
// writes (a short personalised answer, or a style to test the guardrails), the text of a chat
// message, and SMS segments as Twilio counts them.

// ------------------------------------------------------------------ SMS segments

// GSM 03.38 basic character set and extension table (extension characters cost two septets).
const GSM_BASIC = new Set(Array.from(
    '@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !"#¤%&\'()*+,-./0123456789:;<=>?' +
    '¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà'));
const GSM_EXT = new Set(Array.from('^{}\\[~]|€\f'));

// {encoding, units, segments}: GSM-7 (160 single / 153 per part) unless one character is outside
// GSM-7, then UCS-2 (70 / 67 UTF-16 code units). An escape pair or a surrogate pair is never split
// across parts.
function segmentInfo(text) {
    let gsm = true;
    for (const ch of text) if (!GSM_BASIC.has(ch) && !GSM_EXT.has(ch)) { gsm = false; break; }
    const single = gsm ? 160 : 70, part = gsm ? 153 : 67;
    let units = 0;
    const widths = [];
    for (const ch of text) {
        const w = gsm ? (GSM_EXT.has(ch) ? 2 : 1) : ch.length;
        widths.push(w);
        units += w;
    }
    if (units === 0) return { encoding: gsm ? 'GSM-7' : 'UCS-2', units, segments: 0 };
    if (units <= single) return { encoding: gsm ? 'GSM-7' : 'UCS-2', units, segments: 1 };
    let segments = 1, cur = 0;
    for (const w of widths) {
        if (cur + w > part) { segments++; cur = 0; }
        cur += w;
    }
    return { encoding: gsm ? 'GSM-7' : 'UCS-2', units, segments };
}

function contentText(c) {
    if (typeof c === 'string') return c;
    if (Array.isArray(c)) return c.map((p) => (p && typeof p.text === 'string' ? p.text : '')).join('');
    return '';
}

function fnv1a(s) {
    let h = 0x811c9dc5;
    for (let i = 0; i < s.length; i++) { h ^= s.charCodeAt(i); h = Math.imul(h, 0x01000193); }
    return h >>> 0;
}

// Keep only GSM-7 basic characters (plain answers must stay a single GSM-7 part).
function gsmClean(s) {
    let out = '';
    for (const ch of s) out += GSM_BASIC.has(ch) ? ch : ' ';
    return out.replace(/\s+/g, ' ').trim();
}

function firstName(userText) {
    const m = /^[ \t>*-]*(?:first[ _]?name|name)\s*[:=]\s*(.+)$/im.exec(userText);
    if (!m) return null;
    const tok = m[1].trim().split(/\s+/)[0].replace(/^["'*]+|["'*,;.]+$/g, '');
    return tok || null;
}

function topicFrom(system) {
    const s = system.replace(/\s+/g, ' ');
    const m = /\b(?:about|promoting|promote|for|regarding|on behalf of|selling|sell)\s+([^.!?;:\n]{3,80})/i.exec(s);
    let t = m ? m[1] : '';
    t = t.split(/\s+/).slice(0, 6).join(' ').replace(/[,\s]+$/, '');
    t = gsmClean(t);
    return t || 'our offer';
}

const TEMPLATES = [
    (n, t) => `Hi ${n}, we'd love to tell you more about ${t}. Would a quick chat this week work?`,
    (n, t) => `Hi ${n}, quick note about ${t}. Happy to share details if it's useful to you.`,
    (n, t) => `Hi ${n}, thanks for your interest in ${t}. Can we help you get started?`,
    (n, t) => `Hi ${n}, a short hello from us about ${t}. Reply if you'd like to hear more.`,
];

const LONG_FILLER = 'We work with teams like yours every week, and we would be glad to walk you ' +
    'through how it works, what it costs, and how quickly you could see results. There is no ' +
    'obligation at all, just a friendly conversation at a time that suits you. ';

function shortAnswer(name, system) {
    return TEMPLATES[fnv1a(system) % TEMPLATES.length](name || 'there', topicFrom(system));
}

// exactly `len` characters, ending in a full stop
function longAnswer(base, len) {
    let s = base + ' ';
    while (s.length < len) s += LONG_FILLER;
    s = s.slice(0, len - 1).replace(/\s+$/, '');
    while (s.length < len - 1) s += 'x';
    return s + '.';
}

function truncateWords(s, n) {
    if (s.length <= n) return s;
    const cut = s.slice(0, n);
    const sp = cut.lastIndexOf(' ');
    return (sp > n / 2 ? cut.slice(0, sp) : cut).replace(/[\s,;:]+$/, '');
}

// The reply agent's requests (sql/reply_agent.sql): a classification answers JSON, by a few words
// of the lead's last line (a fake model, not a classifier: the tests give it clear replies); an
// answer to a reply is a short, plain text.
function classifyLast(userText) {
    const lines = userText.split('\n').filter((l) => /^Lead: /.test(l));
    const t = (lines.length ? lines[lines.length - 1].slice(6) : userText).toLowerCase();
    if (/\b(stop|unsubscribe|remove me|take me off|don'?t text)\b/.test(t)) return 'opt_out';
    if (/wrong (number|person)/.test(t)) return 'wrong_number';
    if (/not interested|no thanks/.test(t)) return 'not_interested';
    if (/\?/.test(t)) return 'question';
    if (/\b(yes|sure|interested|sounds good|ok)\b/.test(t)) return 'interested';
    return 'other';
}

function replyAgent(j, system, lastUser) {
    if (/^Classify the intent/.test(system)) return JSON.stringify({ intent: classifyLast(lastUser) });
    if (/Answer the last message of the lead/.test(system)) {
        const q = gsmClean(lastUser).slice(0, 60);
        return `Thanks for your message! About "${q}": a member of our team will confirm the details today.`;
    }
    return null;
}

function generate(j, style) {
    let system = '', lastUser = '';
    const asks = [];
    for (const m of j.messages) {
        const t = contentText(m.content);
        if (m.role === 'system' || m.role === 'developer') { system += (system ? '\n' : '') + t; asks.push(t); }
        else if (m.role === 'user') { lastUser = t; asks.push(t); }
    }
    const agent = replyAgent(j, system, lastUser);
    if (agent !== null) return agent;
    const name = firstName(lastUser);
    let text = shortAnswer(name, system);
    if (style === 'quoted') {
        // → "**Hi Jane**, we'd love …" (quotes and markdown for the guardrails to strip)
        text = /^Hi [^,]+,/.test(text) ? text.replace(/^(Hi [^,]+),/, '**$1**,') : `**${text}**`;
        text = `"${text}"`;
    } else if (style === 'emoji') {
        text = text.replace(/([.?!])$/, ' \u{1F600}$1');
    } else if (style === 'long') {
        const all = asks.join('\n');
        const lim = /\bat most\s+(\d+)\s+(?:characters|chars)\b/i.exec(all);
        if (lim) text = truncateWords(text, Math.max(1, Number(lim[1])));
        else if (!/shorter/i.test(all)) text = longAnswer(text, 600);
    }
    return text;
}

function approxTokens(s) { return Math.max(1, Math.ceil(s.length / 4)); }

module.exports = { GSM_BASIC, GSM_EXT, segmentInfo, contentText, gsmClean, generate, approxTokens };
