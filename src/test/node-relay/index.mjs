// A minimal Node.js 20 relay doing the Java relay's job, for the benchmark's side-by-side figures
// (NodeRelayBenchmark); not part of the product. A Lambda custom-runtime loop in plain Node (no
// aws-lambda-ric): it polls the Runtime API for Function URL (API Gateway payload v2) events,
// verifies the Standard Webhooks signature, checks the notification and sends it with nodemailer.
//
// What it leaves out, compared with the Java relay (README): idempotency records, retries and
// fallback server, circuit breaker, the Lambda deadline as a time budget, Secrets Manager, OAuth,
// the RSET liveness check on a reused connection (see below), full RFC 5322 address checks.
//
// Environment, as the Java function gets it: AWS_LAMBDA_RUNTIME_API, SMTP_HOST, SMTP_PORT,
// SMTP_USERNAME, SMTP_PASSWORD, SMTP_CA_FILE, RELAY_SECRET (whsec_<base64>, comma-separated during a
// rotation), RELAY_ALLOWED_FROM (addresses or @domains, comma-separated).
import crypto from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import nodemailer from 'nodemailer';

const API = `http://${process.env.AWS_LAMBDA_RUNTIME_API}/2018-06-01/runtime`;
const WINDOW_SECONDS = 5 * 60;

const secrets = (process.env.RELAY_SECRET ?? '').split(',').map(s => s.trim()).filter(Boolean).map(s => {
    if (!s.startsWith('whsec_')) {
        throw new Error('RELAY_SECRET: each secret must start with whsec_');
    }
    return Buffer.from(s.slice('whsec_'.length), 'base64');
});
if (secrets.length === 0) {
    throw new Error('RELAY_SECRET is not set');
}
const allowedFrom = (process.env.RELAY_ALLOWED_FROM ?? '').split(',').map(s => s.trim().toLowerCase()).filter(Boolean);
// EHLO name: the domain of the first RELAY_ALLOWED_FROM entry ("@mail.example.com" → mail.example.com), as the Java relay.
const heloName = allowedFrom.length > 0 ? allowedFrom[0].slice(allowedFrom[0].lastIndexOf('@') + 1) : undefined;

// Created once, in init; nodemailer connects on the first send. Settings as close to the Java
// relay's (SmtpConfig defaults, SmtpRoute) as nodemailer allows:
// - one pooled, authenticated STARTTLS connection reused across invocations (Java: Vert.x mail pool);
// - maxMessages: nodemailer's pool would otherwise reconnect after every 100 messages, Java never does;
// - keep-alive: Java closes a connection idle for SMTP_KEEP_ALIVE (15 s) with QUIT. nodemailer's pool
//   has no idle setting; socketTimeout 15 s closes an idle connection after 15 s of silence, without
//   QUIT (and also bounds any single wait for a reply to 15 s, where Java uses its time budget);
// - Java checks a reused connection with RSET before MAIL FROM; nodemailer's pool does not (it sends
//   MAIL FROM straight away), so each warm send here has one round trip fewer;
// - TCP_NODELAY: Vert.x (Netty) sets it on the Java relay's SMTP socket; nodemailer leaves Nagle on,
//   and then the message's last small write waits for the server's delayed ACK (about 40 ms per
//   message on Linux, measured here: warm p50 50 ms instead of 10 ms). getSocket, nodemailer's hook
//   for proxies, hands it a TCP connection opened here with TCP_NODELAY (and the 3 s connect
//   timeout); nodemailer does the rest (greeting, EHLO, STARTTLS with host name check, AUTH);
// - timeouts: connect 3 s (SMTP_CONNECT_TIMEOUT), greeting 5 s (SMTP_COMMAND_TIMEOUT); TLS 1.2+ with
//   host name verification against SMTP_CA_FILE (Java: SMTP_CA_FILE on top of the JVM's CAs; here
//   the file replaces Node's CA list, which is all the loopback test server needs).
const transport = nodemailer.createTransport({
    pool: true,
    maxConnections: 1,
    maxMessages: Infinity,
    host: process.env.SMTP_HOST,
    port: Number(process.env.SMTP_PORT ?? 587),
    secure: false,
    requireTLS: true,
    auth: { user: process.env.SMTP_USERNAME, pass: process.env.SMTP_PASSWORD },
    tls: {
        ca: process.env.SMTP_CA_FILE ? fs.readFileSync(process.env.SMTP_CA_FILE) : undefined,
        minVersion: 'TLSv1.2'
    },
    name: heloName,
    connectionTimeout: 3_000,
    greetingTimeout: 5_000,
    socketTimeout: 15_000,
    getSocket: connectWithoutNagle
});

function connectWithoutNagle(options, callback) {
    const socket = net.connect({ host: options.host, port: options.port, noDelay: true });
    const timer = setTimeout(() => {
        socket.destroy();
        callback(Object.assign(new Error('Connection timeout'), { code: 'ETIMEDOUT', command: 'CONN' }));
    }, options.connectionTimeout);
    const failed = err => {
        clearTimeout(timer);
        callback(Object.assign(err, { command: 'CONN' }));
    };
    socket.once('error', failed);
    socket.once('connect', () => {
        clearTimeout(timer);
        socket.removeListener('error', failed);
        callback(null, { connection: socket });
    });
}

// The Runtime API on one kept-alive connection, as the Lambda runtime clients use it.
const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });

function call(method, path, body) {
    return new Promise((resolve, reject) => {
        const req = http.request(`${API}${path}`, {
            method,
            agent,
            headers: body === undefined ? {} : { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) }
        }, res => {
            const chunks = [];
            res.on('data', c => chunks.push(c));
            res.on('end', () => resolve({ status: res.statusCode, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') }));
            res.on('error', reject);
        });
        req.on('error', reject);
        req.end(body);
    });
}

function answer(statusCode, body, extraHeaders = {}) {
    const json = statusCode === 200;
    return {
        statusCode,
        headers: { 'content-type': json ? 'application/json' : 'application/problem+json', ...extraHeaders },
        body: JSON.stringify(json ? body : { title: body.title, status: statusCode, detail: body.detail })
    };
}

const problem = (status, title, detail, headers) => answer(status, { title, detail }, headers);

class Refusal extends Error {
    constructor(status, title, detail) {
        super(detail);
        this.status = status;
        this.title = title;
    }
}

/** Standard Webhooks: webhook-signature is a space-separated list of "v1,<base64 HMAC-SHA256(secret, id.timestamp.body)>". */
function verify(headers, body) {
    const id = headers['webhook-id'];
    const timestamp = headers['webhook-timestamp'];
    const signature = headers['webhook-signature'];
    if (!id || !timestamp || !signature) {
        throw new Refusal(401, 'Unauthorized', 'webhook-id, webhook-timestamp and webhook-signature are required');
    }
    if (!/^\d{1,12}$/.test(timestamp) || Math.abs(Date.now() / 1000 - Number(timestamp)) > WINDOW_SECONDS) {
        throw new Refusal(401, 'Unauthorized', 'webhook-timestamp is outside the ±5 min window');
    }
    const signed = Buffer.concat([Buffer.from(`${id}.${timestamp}.`, 'utf8'), body]);
    const offered = signature.split(' ').filter(s => s.startsWith('v1,')).map(s => Buffer.from(s.slice(3), 'base64'));
    let match = false;
    for (const secret of secrets) {
        const expected = crypto.createHmac('sha256', secret).update(signed).digest();
        for (const candidate of offered) {
            // Every candidate is compared (no early exit), each in constant time.
            if (candidate.length === expected.length && crypto.timingSafeEqual(candidate, expected)) {
                match = true;
            }
        }
    }
    if (!match) {
        throw new Refusal(401, 'Unauthorized', 'the signature does not match any configured secret');
    }
}

const ONE_LINE = /^[^\r\n\0]*$/;
// A plain addr-spec; the Java relay parses RFC 5322 fully, this is the minimal relay's check.
const ADDRESS = /^[^\s@<>()[\]",;:\\]+@[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)+$/;

/** The address of "addr" or "Display Name <addr>". */
function addrSpec(value) {
    const angle = /<([^<>]*)>\s*$/.exec(value);
    return (angle ? angle[1] : value).trim();
}

function parse(body) {
    let n;
    try {
        n = JSON.parse(body.toString('utf8'));
    } catch (e) {
        throw new Refusal(400, 'Bad Request', 'the body is not JSON');
    }
    if (n === null || typeof n !== 'object' || Array.isArray(n)) {
        throw new Refusal(400, 'Bad Request', 'the body is not a JSON object');
    }
    for (const field of ['to', 'from', 'subject']) {
        if (typeof n[field] !== 'string' || (field !== 'subject' && n[field].trim() === '')) {
            throw new Refusal(400, 'Bad Request', `field '${field}' is missing or not a string`);
        }
        if (!ONE_LINE.test(n[field])) {
            throw new Refusal(400, 'Bad Request', `field '${field}' must not contain CR, LF or NUL`);
        }
    }
    for (const field of ['html', 'text']) {
        if (n[field] !== undefined && n[field] !== null && typeof n[field] !== 'string') {
            throw new Refusal(400, 'Bad Request', `field '${field}' is not a string`);
        }
    }
    if (!n.html && !n.text) {
        throw new Refusal(400, 'Bad Request', 'html or text must be present');
    }
    if (!ADDRESS.test(n.to)) {
        throw new Refusal(400, 'Bad Request', "field 'to' is not an email address");
    }
    if (!ADDRESS.test(addrSpec(n.from))) {
        throw new Refusal(400, 'Bad Request', "field 'from' is not an email address");
    }
    return n;
}

function isAllowed(from) {
    const address = addrSpec(from).toLowerCase();
    const domain = address.slice(address.lastIndexOf('@'));
    return allowedFrom.some(entry => entry === address || (entry.startsWith('@') && entry === domain));
}

/** The Java relay's classes (README): refused sign-in 502, other permanent reply 422, the rest 503 with Retry-After. */
function smtpFailure(err) {
    const code = err.responseCode;
    if (err.code === 'EAUTH' || [530, 534, 535, 538].includes(code)) {
        return problem(502, 'Bad Gateway', `SMTP authentication failed: ${err.response ?? err.message}`);
    }
    if (code >= 500 && code < 600) {
        return problem(422, 'Unprocessable Content', `the SMTP server refused the message: ${err.response}`);
    }
    return problem(503, 'Service Unavailable', `SMTP server unavailable: ${err.response ?? err.message}`, { 'retry-after': '30' });
}

async function handle(event) {
    const headers = {};
    for (const [name, value] of Object.entries(event.headers ?? {})) {
        headers[name.toLowerCase()] = value;
    }
    const body = event.body == null ? Buffer.alloc(0)
        : Buffer.from(event.body, event.isBase64Encoded ? 'base64' : 'utf8');
    let n;
    try {
        verify(headers, body);
        n = parse(body);
        if (!isAllowed(n.from)) {
            throw new Refusal(403, 'Forbidden', `from ${addrSpec(n.from)} is not in RELAY_ALLOWED_FROM`);
        }
    } catch (e) {
        if (e instanceof Refusal) {
            return problem(e.status, e.title, e.message);
        }
        throw e;
    }
    try {
        const info = await transport.sendMail({ from: n.from, to: n.to, subject: n.subject, html: n.html || undefined, text: n.text || undefined });
        return answer(200, { status: 'sent', message_id: info.messageId });
    } catch (err) {
        console.error(`answered SMTP failure: ${err.code ?? ''} ${err.responseCode ?? ''} ${err.message}`);
        return smtpFailure(err);
    }
}

for (;;) {
    const next = await call('GET', '/invocation/next');
    if (next.status !== 200) {
        throw new Error(`invocation/next answered ${next.status}: ${next.body}`);
    }
    const requestId = next.headers['lambda-runtime-aws-request-id'];
    let result;
    try {
        result = await handle(JSON.parse(next.body));
    } catch (e) {
        console.error('unexpected failure', e);
        result = problem(500, 'Internal Server Error', 'unexpected failure');
    }
    await call('POST', `/invocation/${requestId}/response`, JSON.stringify(result));
}
