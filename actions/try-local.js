#!/usr/bin/env node
/**
 * Runs the real Action with a realistic Auth0 event against a relay (by default the one that
 * `./mvnw quarkus:dev` serves) and prints what Auth0 would record.
 *
 *   node actions/try-local.js [message_type] [--to address] [--json]
 *   node actions/try-local.js --diagnostics      walks DNS, TCP, TLS, EHLO, AUTH to the relay's SMTP server
 *
 * RELAY_URL and RELAY_SECRET in the environment override the dev-mode defaults, so the same
 * commands work against a deployed relay.
 */
'use strict';

const crypto = require('node:crypto');
const fs = require('node:fs');
const path = require('node:path');
const action = require('./custom-email-provider.js');

const DEV_URL = 'http://localhost:8080/v1/notifications/email';
// The dev profile's documented secret (src/main/resources/application.properties); never valid in prod.
const DEV_SECRET = 'whsec_YXV0aDAtbWFpbC1yZWxheS1kZXYtb25seS1zZWNyZXQ=';
const FIXTURE = path.join(__dirname, '..', 'src', 'test', 'resources', 'auth0-event.json');

function parseArgs(argv) {
  const args = { messageType: 'verify_email', json: false, to: undefined, diagnostics: false };
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '--json') args.json = true;
    else if (argv[i] === '--diagnostics') args.diagnostics = true;
    else if (argv[i] === '--to') args.to = argv[++i];
    else args.messageType = argv[i];
  }
  return args;
}

/** Signs {} like a notification and posts it to /v1/diagnostics/smtp next to RELAY_URL. */
async function diagnostics(url, secret) {
  const { sign } = action.internals;
  const target = new URL('../diagnostics/smtp', url.replace(/\/+$/, '')).toString();
  const payload = '{}';
  // The relay opens diagnostics only to ids that start with diag_, and runs each id once.
  const id = `diag_${Date.now()}_${crypto.randomBytes(8).toString('hex')}`;
  const timestamp = Math.floor(Date.now() / 1000).toString();
  const key = Buffer.from(secret.replace(/^whsec_/, ''), 'base64');
  let response;
  try {
    response = await fetch(target, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'webhook-id': id, 'webhook-timestamp': timestamp,
        'webhook-signature': sign(key, id, timestamp, payload) },
      body: payload,
      signal: AbortSignal.timeout(30_000),
    });
  } catch (err) {
    console.log(`diagnostics: network error: ${(err.cause && err.cause.code) || err.message}`);
    console.log(startHint(url));
    return false;
  }
  const report = await response.json();
  if (response.status !== 200) {
    console.log(`diagnostics answered ${response.status}: ${report.detail}`);
    return false;
  }
  console.log(report.host ? `${report.host}:${report.port} (${report.tls})`
    : 'no SMTP server configured (SMTP_HOST is not set: dev mode logs mail instead of sending it)');
  for (const stage of report.stages) {
    console.log(`  ${stage.ok ? 'ok  ' : 'FAIL'} ${stage.stage.padEnd(9)} ${stage.detail}`);
    if (stage.serverSays) console.log(`       server: ${stage.serverSays.replace(/\n/g, '\n               ')}`);
  }
  return report.ok;
}

async function main() {
  const args = parseArgs(process.argv.slice(2));
  if (args.diagnostics) {
    const ok = await diagnostics(process.env.RELAY_URL || DEV_URL, process.env.RELAY_SECRET || DEV_SECRET);
    process.exitCode = ok ? 0 : 1;
    return;
  }
  const event = JSON.parse(fs.readFileSync(FIXTURE, 'utf8'));
  event.notification.message_type = args.messageType;
  if (args.to) event.notification.to = args.to;
  event.secrets = {
    RELAY_URL: process.env.RELAY_URL || DEV_URL,
    RELAY_SECRET: process.env.RELAY_SECRET || DEV_SECRET,
  };

  const result = { outcome: 'delivered', reason: null };
  const api = {
    notification: {
      retry: (reason) => Object.assign(result, { outcome: 'retry', reason }),
      drop: (reason) => Object.assign(result, { outcome: 'drop', reason }),
    },
  };
  await action.onExecuteCustomEmailProvider(event, api);

  if (args.json) console.log(JSON.stringify(result));
  else console.log(result.reason ? `${result.outcome}: ${result.reason}` : result.outcome);
  if (!args.json && nobodyAnswered(result.reason)) console.log(startHint(event.secrets.RELAY_URL));
  process.exitCode = result.outcome === 'delivered' ? 0 : 1;
}

/** The Action's own words for a relay that is not there, which is what a first run usually meets. */
function nobodyAnswered(reason) {
  return /: network error: /.test(reason || '');
}

function startHint(url) {
  return [
    `No relay answers at ${url}.`,
    process.env.RELAY_URL
      ? '  RELAY_URL is set: check that it is the deployed relay\'s RelayUrl (sam deploy prints it).'
      : '  Start one first, in another terminal:  ./mvnw quarkus:dev   (it listens on http://localhost:8080),',
    '  or point this at a deployed relay:      RELAY_URL=https://… RELAY_SECRET=whsec_… node actions/try-local.js',
  ].join('\n');
}

if (require.main === module) main();

module.exports = { startHint };
