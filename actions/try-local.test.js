'use strict';

const test = require('node:test');
const assert = require('node:assert/strict');
const { execFile } = require('node:child_process');
const net = require('node:net');
const path = require('node:path');

const TRY_LOCAL = path.join(__dirname, 'try-local.js');

/** A loopback port nobody listens on: bound, then closed. */
async function closedPort() {
  const server = net.createServer();
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address();
  await new Promise((resolve) => server.close(resolve));
  return port;
}

function tryLocal(args, env) {
  return new Promise((resolve) => {
    execFile(process.execPath, [TRY_LOCAL, ...args], { env: { PATH: process.env.PATH, ...env } },
      (err, stdout) => resolve({ code: err ? err.code : 0, stdout }));
  });
}

test('with no relay running, says how to start one instead of only the retry', async () => {
  const url = `http://127.0.0.1:${await closedPort()}/v1/notifications/email`;
  const { code, stdout } = await tryLocal(['verify_email'], { RELAY_URL: url });
  assert.equal(code, 1);
  assert.match(stdout, /^retry: auth0-mail-relay: network error: ECONNREFUSED/);
  assert.match(stdout, new RegExp(`No relay answers at ${url.replace(/[.?]/g, '\\$&')}`));
  assert.match(stdout, /RELAY_URL/);
});

test('the hint names ./mvnw quarkus:dev when no RELAY_URL is set', () => {
  const saved = process.env.RELAY_URL;
  delete process.env.RELAY_URL;
  try {
    const hint = require('./try-local.js').startHint('http://localhost:8080/v1/notifications/email');
    assert.match(hint, /\.\/mvnw quarkus:dev/);
    assert.match(hint, /RELAY_URL=https:/);
  } finally {
    if (saved !== undefined) process.env.RELAY_URL = saved;
  }
});

test('diagnostics with no relay running says how to start one', async () => {
  const url = `http://127.0.0.1:${await closedPort()}/v1/notifications/email`;
  const { code, stdout } = await tryLocal(['--diagnostics'], { RELAY_URL: url });
  assert.equal(code, 1);
  assert.match(stdout, /network error: ECONNREFUSED/);
  assert.match(stdout, /No relay answers at /);
});
