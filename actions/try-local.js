#!/usr/bin/env node
/**
 * Runs the real Action with a realistic Auth0 event against a relay (by default the one that
 * `./mvnw quarkus:dev` serves) and prints what Auth0 would record.
 *
 *   node actions/try-local.js [message_type] [--to address] [--json]
 *
 * RELAY_URL and RELAY_SECRET in the environment override the dev-mode defaults.
 */
'use strict';

const fs = require('node:fs');
const path = require('node:path');
const action = require('./custom-email-provider.js');

const DEV_URL = 'http://localhost:8080/v1/notifications/email';
// The dev profile's documented secret (src/main/resources/application.properties); never valid in prod.
const DEV_SECRET = 'whsec_YXV0aDAtbWFpbC1yZWxheS1kZXYtb25seS1zZWNyZXQ=';
const FIXTURE = path.join(__dirname, '..', 'src', 'test', 'resources', 'auth0-event.json');

function parseArgs(argv) {
  const args = { messageType: 'verify_email', json: false, to: undefined };
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '--json') args.json = true;
    else if (argv[i] === '--to') args.to = argv[++i];
    else args.messageType = argv[i];
  }
  return args;
}

async function main() {
  const args = parseArgs(process.argv.slice(2));
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
  process.exitCode = result.outcome === 'delivered' ? 0 : 1;
}

main();
