'use strict';

const test = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const http = require('node:http');
const path = require('node:path');
const { Webhook } = require('standardwebhooks');

const action = require('./custom-email-provider.js');
const { deliver, webhookId, buildBody, readSecrets } = action.internals;

const FIXTURE = path.join(__dirname, '..', 'src', 'test', 'resources', 'auth0-event.json');
const SECRET = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw';

function event(overrides = {}) {
  const e = JSON.parse(fs.readFileSync(FIXTURE, 'utf8'));
  Object.assign(e.notification, overrides.notification || {});
  e.secrets = { ...e.secrets, ...(overrides.secrets || {}) };
  return e;
}

function recordingApi() {
  const calls = [];
  return {
    calls,
    notification: {
      retry: (reason) => calls.push({ kind: 'retry', reason }),
      drop: (reason) => calls.push({ kind: 'drop', reason }),
    },
  };
}

/** A loopback HTTP server standing in for the relay; `respond` scripts each answer. */
async function relay(respond) {
  const requests = [];
  const server = http.createServer((req, res) => {
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
      requests.push({ headers: req.headers, body: Buffer.concat(chunks).toString('utf8') });
      respond(req, res);
    });
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${server.address().port}/v1/notifications/email`;
  return {
    url,
    requests,
    close: () => new Promise((resolve) => { server.closeAllConnections(); server.close(resolve); }),
  };
}

function problem(status, detail) {
  return (req, res) => {
    res.writeHead(status, { 'content-type': 'application/problem+json' });
    res.end(JSON.stringify({ type: 'about:blank', title: 'x', status, detail, retryable: status >= 500 }));
  };
}

async function run(respond, options) {
  const server = await relay(respond);
  const api = recordingApi();
  try {
    await deliver(event({ secrets: { RELAY_URL: server.url } }), api, options);
  } finally {
    await server.close();
  }
  return { api, requests: server.requests };
}

test('returns without a call when the relay answers 200', async () => {
  const { api, requests } = await run((req, res) => {
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end('{"status":"sent","message_id":"<a@b>"}');
  });
  assert.deepEqual(api.calls, []);
  assert.equal(requests.length, 1);
});

test('returns without a call when the relay answers duplicate', async () => {
  const { api } = await run((req, res) => {
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end('{"status":"duplicate","message_id":"<a@b>"}');
  });
  assert.deepEqual(api.calls, []);
});

const table = [
  [400, 'drop'], [401, 'drop'], [403, 'drop'], [413, 'drop'], [422, 'drop'],
  [404, 'drop'], [409, 'retry'], [429, 'retry'],
  [500, 'retry'], [502, 'retry'], [503, 'retry'], [504, 'retry'],
];
for (const [status, kind] of table) {
  test(`${kind === 'drop' ? 'drops' : 'retries'} when the relay answers ${status}, naming status and detail`, async () => {
    const { api } = await run(problem(status, `detail for ${status}`));
    assert.deepEqual(api.calls, [{ kind, reason: `auth0-mail-relay answered ${status}: detail for ${status}` }]);
  });
}

test('drops on a redirect instead of following it', async () => {
  const { api, requests } = await run((req, res) => {
    res.writeHead(308, { location: 'http://127.0.0.1:1/elsewhere' });
    res.end();
  });
  assert.equal(requests.length, 1);
  assert.equal(api.calls[0].kind, 'drop');
  assert.match(api.calls[0].reason, /answered 308/);
});

test('keeps the reason short however long the detail', async () => {
  const { api } = await run(problem(422, 'x'.repeat(5000)));
  assert.equal(api.calls[0].kind, 'drop');
  assert.ok(api.calls[0].reason.length <= 1024);
  assert.match(api.calls[0].reason, /^auth0-mail-relay answered 422: x{500,}…$/);
});

test('reads a huge answer only in part and copies none of a non-JSON one into the log', async () => {
  let written = 0;
  const { api } = await run((req, res) => {
    res.writeHead(502, { 'content-type': 'text/html' });
    const chunk = `<p>${'secret-ish proxy page '.repeat(400)}</p>`;
    const pump = () => {
      while (written < 50 * 1024 * 1024) {
        written += chunk.length;
        if (!res.write(chunk)) return res.once('drain', pump);
      }
      res.end();
    };
    res.on('close', () => { written = Math.min(written, Number.MAX_SAFE_INTEGER); });
    pump();
  });
  assert.deepEqual(api.calls, [{ kind: 'retry', reason: 'auth0-mail-relay answered 502: not a problem+json answer (text/html)' }]);
  assert.ok(written < 50 * 1024 * 1024, `the relay stand-in wrote ${written} bytes`);
});

test('retries on a network error', async () => {
  const server = await relay(() => {});
  await server.close(); // the port is now closed: connection refused
  const api = recordingApi();
  await deliver(event({ secrets: { RELAY_URL: server.url } }), api);
  assert.equal(api.calls.length, 1);
  assert.equal(api.calls[0].kind, 'retry');
  assert.match(api.calls[0].reason, /network error: ECONNREFUSED/);
});

test('retries when the relay does not answer within its timeout', async () => {
  const { api } = await run(() => { /* never answers */ }, { timeoutMs: 200 });
  assert.deepEqual(api.calls, [{ kind: 'retry', reason: 'auth0-mail-relay: no answer within 200 ms' }]);
});

test('uses a 15 second timeout by default', () => {
  assert.equal(action.internals.RELAY_TIMEOUT_MS, 15_000);
});

for (const [secrets, expected] of [
  [{ RELAY_URL: '' }, 'RELAY_URL secret is missing'],
  [{ RELAY_URL: 'not a url' }, 'RELAY_URL secret is not a URL'],
  [{ RELAY_URL: 'http://relay.example.com/v1/notifications/email' }, 'RELAY_URL secret must be an https:// URL'],
  [{ RELAY_SECRET: '' }, 'RELAY_SECRET secret is missing'],
  [{ RELAY_SECRET: 'whsec_not base64!' }, 'RELAY_SECRET secret is not whsec_ followed by a base64 key of at least 16 bytes'],
  [{ RELAY_SECRET: 'whsec_c2hvcnQ=' }, 'RELAY_SECRET secret is not whsec_ followed by a base64 key of at least 16 bytes'],
]) {
  test(`drops without calling the relay when ${JSON.stringify(secrets)}`, async () => {
    const api = recordingApi();
    await deliver(event({ secrets }), api);
    assert.deepEqual(api.calls, [{ kind: 'drop', reason: `auth0-mail-relay: ${expected}` }]);
  });
}

test('accepts an http URL for a relay on localhost only', () => {
  assert.ok(readSecrets({ RELAY_URL: 'http://localhost:8080/v1/notifications/email', RELAY_SECRET: SECRET }).url);
  assert.ok(readSecrets({ RELAY_URL: 'http://127.0.0.1:8080/v1/notifications/email', RELAY_SECRET: SECRET }).url);
});

test('sends the body of the wire contract', async () => {
  const { requests } = await run((req, res) => { res.writeHead(200); res.end('{}'); });
  const body = JSON.parse(requests[0].body);
  const n = event().notification;
  assert.deepEqual(body, {
    to: n.to, from: n.from, subject: n.subject, html: n.html, text: n.text, locale: n.locale,
    message_type: n.message_type, tenant: 'example-tenant', client_id: '4Ez0aB1cD2eF3gH4',
    correlation_id: '9f1c2d3e-0000-4000-8000-000000000001',
  });
  assert.equal(requests[0].headers['content-type'], 'application/json');
});

test('leaves out optional fields that Auth0 did not send', () => {
  const e = event();
  delete e.notification.html;
  delete e.transaction;
  const body = buildBody(e);
  assert.equal('html' in body, false);
  assert.equal('correlation_id' in body, false);
});

test('signs so that the standardwebhooks reference library verifies', async () => {
  const { requests } = await run((req, res) => { res.writeHead(200); res.end('{}'); });
  const { headers, body } = requests[0];
  const verified = new Webhook(SECRET).verify(body, {
    'webhook-id': headers['webhook-id'],
    'webhook-timestamp': headers['webhook-timestamp'],
    'webhook-signature': headers['webhook-signature'],
  });
  assert.deepEqual(verified, JSON.parse(body));
  assert.match(headers['webhook-signature'], /^v1,[A-Za-z0-9+/]+=*$/);
  assert.ok(Math.abs(Number(headers['webhook-timestamp']) - Date.now() / 1000) < 5);
});

test('the reference library rejects the signature made with another secret', async () => {
  const { requests } = await run((req, res) => { res.writeHead(200); res.end('{}'); });
  const { headers, body } = requests[0];
  assert.throws(() => new Webhook('whsec_' + Buffer.from('another-secret-of-32-bytes-long!').toString('base64'))
    .verify(body, headers));
});

test('gives identical notifications the same webhook-id', async () => {
  const first = await run((req, res) => { res.writeHead(200); res.end('{}'); });
  const second = await run((req, res) => { res.writeHead(200); res.end('{}'); }, { now: () => Date.now() + 60_000 });
  assert.equal(first.requests[0].headers['webhook-id'], second.requests[0].headers['webhook-id']);
  assert.match(first.requests[0].headers['webhook-id'], /^msg_[A-Za-z0-9_-]{43}$/);
});

const KEY = readSecrets({ RELAY_URL: 'https://relay.example.com/', RELAY_SECRET: SECRET }).key;

test('gives a different webhook-id when any keyed field differs', () => {
  const base = buildBody(event());
  const id = webhookId(base, KEY);
  for (const field of ['tenant', 'message_type', 'to', 'subject', 'html', 'text']) {
    assert.notEqual(webhookId({ ...base, [field]: `${base[field]}x` }, KEY), id, field);
    assert.notEqual(webhookId({ ...base, [field]: undefined }, KEY), id, `${field} absent`);
  }
});

test('cannot be fooled by moving text between fields', () => {
  const a = { tenant: 't', message_type: 'm', to: 'a@b.c', subject: 'ab', html: 'c', text: '' };
  const b = { ...a, subject: 'a', html: 'bc' };
  assert.notEqual(webhookId(a, KEY), webhookId(b, KEY));
  assert.notEqual(webhookId({ ...a, html: '' }, KEY), webhookId({ ...a, html: undefined }, KEY));
});

test('derives the webhook-id under the secret, so it reveals nothing of a code without it', () => {
  const body = buildBody(event({ notification: { text: 'Your code is 123456' } }));
  const other = Buffer.from('another-secret-of-32-bytes-long!');
  assert.notEqual(webhookId(body, KEY), webhookId(body, other));
  // No unkeyed digest of the content, in any encoding the old id used.
  const crypto = require('node:crypto');
  const fields = [body.tenant, body.message_type, body.to, body.subject, body.html, body.text];
  for (const input of [JSON.stringify(fields), fields.map((v) => `${Buffer.byteLength(v)}:${v};`).join('')]) {
    assert.notEqual(webhookId(body, KEY), `msg_${crypto.createHash('sha256').update(input).digest('base64url')}`);
  }
});

test('matches the relay on the shared test vectors', () => {
  const vectors = JSON.parse(fs.readFileSync(path.join(__dirname, '..', 'src', 'test', 'resources', 'webhook-id-vectors.json'), 'utf8'));
  assert.ok(vectors.length >= 3);
  for (const v of vectors) {
    const { key } = readSecrets({ RELAY_URL: 'https://relay.example.com/', RELAY_SECRET: v.secret });
    assert.equal(webhookId(v.body, key), v.webhook_id, JSON.stringify(v.body).slice(0, 60));
  }
});

test('gives "Send Test Email" a fresh webhook-id each time, so pressing it twice sends twice', () => {
  const body = buildBody(event({ notification: { message_type: 'try_provider_configuration_email' } }));
  const first = webhookId(body, KEY);
  assert.notEqual(webhookId(body, KEY), first);
  assert.match(first, /^msg_[A-Za-z0-9_-]{43}$/);
});

test('is the handler Auth0 calls', async () => {
  const server = await relay((req, res) => { res.writeHead(503); res.end('{"detail":"try later"}'); });
  const api = recordingApi();
  try {
    await action.onExecuteCustomEmailProvider(event({ secrets: { RELAY_URL: server.url } }), api);
  } finally {
    await server.close();
  }
  assert.deepEqual(api.calls, [{ kind: 'retry', reason: 'auth0-mail-relay answered 503: try later' }]);
});
