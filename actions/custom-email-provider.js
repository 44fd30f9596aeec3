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

/**
 * Idempotency key: identical notifications give identical ids, so Auth0's retries of one
 * event reuse the key. The fields are joined as a JSON array, which cannot be ambiguous.
 */
function webhookId(body) {
  const fields = [body.tenant, body.message_type, body.to, body.subject, body.html, body.text]
    .map((v) => (v === undefined ? null : v));
  const digest = crypto.createHash('sha256').update(JSON.stringify(fields), 'utf8').digest('base64url');
  return `msg_${digest}`;
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

async function problemDetail(response) {
  try {
    const text = await response.text();
    try {
      const problem = JSON.parse(text);
      return problem.detail || problem.title || '';
    } catch {
      return text.slice(0, 200);
    }
  } catch {
    return '';
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
  const id = webhookId(body);
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
