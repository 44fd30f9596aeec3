/**
 * Auth0 Action for the `custom-email-provider` trigger: signs each notification per the
 * Standard Webhooks specification and posts it to the auth0-mail-relay, then turns the
 * relay's answer into Auth0's result (return = delivered, retry, or drop).
 *
 * Secrets: RELAY_URL (full endpoint URL), RELAY_SECRET (whsec_ + base64 key).
 * No dependencies: Node's crypto and the global fetch only.
 */
'use strict';

const crypto = require('node:crypto');

/** The relay answers within 12 s; Auth0 stops the whole execution at 20 s. */
const RELAY_TIMEOUT_MS = 15_000;
const MAX_REASON = 1024;
/** The relay's problems are a few hundred bytes; nothing longer is worth reading. */
const MAX_READ = 16 * 1024;
const MAX_DETAIL = 600;

/** HMAC(secret, label) keys the ids, apart from the signatures (the relay derives the same key). */
const ID_KEY_LABEL = 'auth0-mail-relay webhook-id v1';
const DASHBOARD_TEST = 'try_provider_configuration_email';

/**
 * Idempotency key: identical notifications give identical ids, so Auth0's retries of one event
 * reuse the key; keyed, so a logged id reveals nothing of the content (an unkeyed hash would let
 * a 6-digit code be brute-forced from it). Each field is written as `<UTF-8 byte length>:<value>;`
 * (`-;` when absent), which cannot be ambiguous. The dashboard's "Send Test Email" gets a fresh
 * id every time: pressing it twice should send two mails.
 */
function webhookId(body, key) {
  if (body.message_type === DASHBOARD_TEST) return `msg_${crypto.randomBytes(32).toString('base64url')}`;
  const idKey = crypto.createHmac('sha256', key).update(ID_KEY_LABEL, 'utf8').digest();
  const input = [body.tenant, body.message_type, body.to, body.subject, body.html, body.text]
    .map((v) => (v === undefined || v === null ? '-;' : `${Buffer.byteLength(String(v), 'utf8')}:${v};`))
    .join('');
  return `msg_${crypto.createHmac('sha256', idKey).update(input, 'utf8').digest('base64url')}`;
}

/** Standard Webhooks signature header value for one key. */
function sign(key, id, timestamp, payload) {
  const mac = crypto.createHmac('sha256', key).update(`${id}.${timestamp}.${payload}`, 'utf8').digest('base64');
  return `v1,${mac}`;
}

/** The wire body of SPEC §2; absent optional fields are left out rather than sent as null. */
function buildBody(event) {
  const n = event.notification || {};
  const body = {
    to: n.to,
    from: n.from,
    subject: n.subject,
    html: n.html,
    text: n.text,
    locale: n.locale,
    message_type: n.message_type,
    tenant: event.tenant && event.tenant.id,
    client_id: event.client && event.client.client_id,
    correlation_id: event.transaction && event.transaction.correlation_id,
  };
  for (const k of Object.keys(body)) if (body[k] === undefined || body[k] === null) delete body[k];
  return body;
}

/** Returns {url, key} or {problem} naming the secret that is missing or malformed. */
function readSecrets(secrets = {}) {
  const rawUrl = secrets.RELAY_URL;
  if (!rawUrl) return { problem: 'RELAY_URL secret is missing' };
  let url;
  try {
    url = new URL(rawUrl);
  } catch {
    return { problem: 'RELAY_URL secret is not a URL' };
  }
  const local = ['localhost', '127.0.0.1', '[::1]'].includes(url.hostname);
  if (url.protocol !== 'https:' && !(url.protocol === 'http:' && local)) {
    return { problem: 'RELAY_URL secret must be an https:// URL' };
  }
  const secret = secrets.RELAY_SECRET;
  if (!secret) return { problem: 'RELAY_SECRET secret is missing' };
  const encoded = secret.startsWith('whsec_') ? secret.slice('whsec_'.length) : secret;
  const key = Buffer.from(encoded, 'base64');
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(encoded) || key.length < 16) {
    return { problem: 'RELAY_SECRET secret is not whsec_ followed by a base64 key of at least 16 bytes' };
  }
  return { url: url.toString(), key };
}

function reason(text) {
  return text.length <= MAX_REASON ? text : `${text.slice(0, MAX_REASON - 1)}…`;
}

/** Reads at most `limit` bytes of the body and cancels the rest: a relay (or whatever answers) cannot make us buffer more. */
async function readCapped(response, limit) {
  if (!response.body) return '';
  const reader = response.body.getReader();
  const chunks = [];
  let size = 0;
  try {
    while (size < limit) {
      const { done, value } = await reader.read();
      if (done) break;
      chunks.push(value);
      size += value.length;
    }
  } finally {
    await reader.cancel().catch(() => {});
  }
  return Buffer.concat(chunks).subarray(0, limit).toString('utf8');
}

/**
 * The problem's detail, for the tenant log. Only the relay's own problem+json is quoted (cut to
 * MAX_DETAIL, control characters removed); anything else (a proxy's HTML page, say) is described,
 * never copied.
 */
async function problemDetail(response) {
  let text;
  try {
    text = await readCapped(response, MAX_READ);
  } catch {
    return '';
  }
  try {
    const problem = JSON.parse(text);
    const detail = String(problem.detail || problem.title || '').replace(/[\u0000-\u001f\u007f]/g, ' ');
    return detail.length <= MAX_DETAIL ? detail : `${detail.slice(0, MAX_DETAIL - 1)}…`;
  } catch {
    const type = (response.headers.get('content-type') || 'no content type').split(';')[0].slice(0, 60);
    return `not a problem+json answer (${type})`;
  }
}

/** The Action's logic with its timeout injectable, so the tests need not wait 15 s. */
async function deliver(event, api, { timeoutMs = RELAY_TIMEOUT_MS, now = () => Date.now() } = {}) {
  const secrets = readSecrets(event.secrets);
  if (secrets.problem) {
    api.notification.drop(reason(`auth0-mail-relay: ${secrets.problem}`));
    return;
  }
  const body = buildBody(event);
  const payload = JSON.stringify(body);
  const id = webhookId(body, secrets.key);
  const timestamp = Math.floor(now() / 1000).toString();

  let response;
  try {
    response = await fetch(secrets.url, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        'webhook-id': id,
        'webhook-timestamp': timestamp,
        'webhook-signature': sign(secrets.key, id, timestamp, payload),
      },
      body: payload,
      // A redirect means RELAY_URL is wrong; following it would re-post the mail elsewhere.
      redirect: 'manual',
      signal: AbortSignal.timeout(timeoutMs),
    });
  } catch (err) {
    const timedOut = err && (err.name === 'TimeoutError' || err.name === 'AbortError');
    const what = timedOut ? `no answer within ${timeoutMs} ms` : `network error: ${(err.cause && err.cause.code) || err.message}`;
    api.notification.retry(reason(`auth0-mail-relay: ${what}`));
    return;
  }

  const status = response.status;
  if (status >= 200 && status < 300) {
    await response.body?.cancel();
    return;
  }
  const detail = await problemDetail(response);
  const text = reason(`auth0-mail-relay answered ${status}${detail ? `: ${detail}` : ''}`);
  if (status >= 500 || status === 409 || status === 429) {
    api.notification.retry(text);
  } else {
    api.notification.drop(text);
  }
}

exports.onExecuteCustomEmailProvider = async (event, api) => deliver(event, api);

// Not used by Auth0; exported for the tests and for try-local.js.
exports.internals = { deliver, webhookId, sign, buildBody, readSecrets, RELAY_TIMEOUT_MS };
