// The wizard served over HTTPS: `pgconnect serve --tls-cert --tls-key` with a test CA's
// certificate for localhost, started by crates/cli/tests/wizard.rs, in Debian's headless Chromium.
// A login link opens a session whose cookie is Secure (and HttpOnly, SameSite=Strict), the page
// is a secure context, and a live Test Connection streams its answer through TLS.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { chromium } from 'playwright-core';
import { watch } from './watch.mjs';

const env = process.env;
const URL_ = env.PGCONNECT_URL;

let browser, context, page, refused;

before(async () => {
  browser = await chromium.launch({
    executablePath: '/usr/bin/chromium',
    args: ['--no-sandbox', '--disable-background-networking', '--disable-component-update',
      '--disable-sync', '--no-first-run', '--disable-quic'],
  });
  // the test CA is not in Chromium's store: its errors are ignored, the connection is still TLS
  context = await browser.newContext({ viewport: { width: 1280, height: 900 }, ignoreHTTPSErrors: true });
  page = await context.newPage();
  refused = watch(page);
});

after(async () => { await browser?.close(); });

test('over HTTPS: the login link\'s cookie is Secure, and Test Connection streams through TLS', async () => {
  assert.ok(URL_.startsWith('https://localhost:'), URL_);
  await page.goto(env.PGCONNECT_LOGIN);
  await page.waitForSelector('#src-name');
  assert.equal(new globalThis.URL(page.url()).origin, URL_);
  assert.equal(await page.evaluate(() => window.isSecureContext), true);
  const cookie = (await context.cookies(URL_)).find((c) => c.name === 'pgconnect_session');
  assert.ok(cookie, 'the session cookie is set');
  assert.deepEqual([cookie.secure, cookie.httpOnly, cookie.sameSite], [true, true, 'Strict']);

  await page.fill('#src-name', 'over-tls');
  await page.fill('#src-connection-host', env.PG_HOST);
  await page.fill('#src-connection-port', env.PG_PORT);
  await page.fill('#src-connection-username', env.PG_READER);
  await page.fill('#src-connection-password', env.PG_PASSWORD);
  await page.selectOption('#src-connection-ssl_mode', 'disable');
  await page.fill('#src-database', env.PG_DB);
  await page.fill('#src-schema', env.PG_SCHEMA);
  await page.click('#src-test');
  await page.waitForSelector('#src-result .headline', { timeout: 20000 });
  assert.match((await page.textContent('#src-result .headline')).trim(), /^Connected to PostgreSQL [0-9.]+$/);
  await page.screenshot({ path: path.join(env.OUTPUT_DIR, 'https-tested.png'), fullPage: true });
  assert.deepEqual(refused, [], 'the page\'s Content-Security-Policy refused something');
});
