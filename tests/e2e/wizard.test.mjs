// The wizard in Debian's headless Chromium (playwright-core with executablePath /usr/bin/chromium,
// never a downloaded browser), against the real pgconnect serve, PostgreSQL and OpenBao that
// crates/cli/tests/wizard.rs starts and describes in the environment. Each step's screenshot goes
// to $OUTPUT_DIR; every step is scanned with axe-core (no serious or critical violation).

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createRequire } from 'node:module';
import path from 'node:path';
import { chromium } from 'playwright-core';

const require = createRequire(import.meta.url);
const env = process.env;
const URL_ = env.PGCONNECT_URL;
const OUT = env.OUTPUT_DIR;

let browser, context, page;
let shot = 0;

before(async () => {
  browser = await chromium.launch({
    executablePath: '/usr/bin/chromium',
    args: ['--no-sandbox', '--disable-background-networking', '--disable-component-update',
      '--disable-sync', '--no-first-run', '--disable-quic'],
  });
  context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: URL_ });
  page = await context.newPage();
  page.on('pageerror', (e) => { throw e; });
  // the one-time login link sets the session cookie and lands on the wizard
  await page.goto(env.PGCONNECT_LOGIN);
  await page.waitForSelector('#src-name');
});

after(async () => { await browser?.close(); });

async function snap(name) {
  shot += 1;
  await page.screenshot({ path: path.join(OUT, `${String(shot).padStart(2, '0')}-${name}.png`), fullPage: true });
}

/** axe-core over the page as it is: no serious or critical violation. */
async function axe(name) {
  await page.addScriptTag({ path: require.resolve('axe-core/axe.min.js') });
  const result = await page.evaluate(async () => await window.axe.run(document, { resultTypes: ['violations'] }));
  const bad = result.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
  assert.deepEqual(bad.map((v) => `${v.id}: ${v.help} (${v.nodes.map((n) => n.target.join(' ')).join(', ')})`), [],
    `axe found serious/critical violations at ${name}`);
}

async function step(name) { await snap(name); await axe(name); }

async function fresh() {
  await page.goto(URL_ + '/');
  await page.waitForSelector('#src-name');
}

async function fillSource({ name, host = env.PG_HOST, port = env.PG_PORT, user = env.PG_READER,
  password = env.PG_PASSWORD, database = env.PG_DB, schema = env.PG_SCHEMA, ssl = 'disable' }) {
  await page.fill('#src-name', name);
  await page.fill('#src-connection-host', host);
  await page.fill('#src-connection-port', port);
  await page.fill('#src-connection-username', user);
  await page.fill('#src-connection-password', password);
  await page.selectOption('#src-connection-ssl_mode', ssl);
  await page.fill('#src-database', database);
  await page.fill('#src-schema', schema);
}

/** Clicks Test Connection for `scope` and waits for the answer's headline. */
async function testConnection(scope = 'src') {
  await page.click(`#${scope}-test`);
  await page.waitForSelector(`#${scope}-result .headline`, { timeout: 20000 });
  return (await page.textContent(`#${scope}-result .headline`)).trim();
}

async function api(pathname) {
  const r = await page.request.get(URL_ + pathname);
  assert.equal(r.status(), 200, `${pathname}: ${await r.text()}`);
  return r.json();
}

test('a source datastore with a new connection: validated, tested, finished, listed', async () => {
  await fresh();
  await step('empty-form');
  // as you type: a bad port is an error under the port field
  await page.fill('#src-connection-port', '99999');
  await page.locator('#src-connection-port').blur();
  assert.equal(await page.getAttribute('#src-connection-port', 'aria-invalid'), 'true');
  assert.match(await page.textContent('#src-connection-port-msg'), /outside 1–65535/);
  const described = await page.getAttribute('#src-connection-port', 'aria-describedby');
  assert.ok(described.split(' ').includes('src-connection-port-msg'));
  // a blocked Next focuses the first error
  await page.click('#next', { force: true });
  // (focus moves on the next animation frame)
  await page.waitForFunction(() => document.activeElement?.id === 'src-name', null, { timeout: 2000 });
  await step('blocked-next');

  await fillSource({ name: 'sales' });
  assert.equal(await page.getAttribute('#src-connection-port', 'aria-invalid'), 'false');
  // warnings look different from errors (loopback host)
  assert.ok(await page.locator('#src-connection-host-msg .msg.warning').count() >= 1);
  const headline = await testConnection();
  assert.match(headline, /Connected to PostgreSQL/);
  const result = await page.textContent('#src-result');
  for (const stage of ['validate', 'connect', 'authenticate', 'privileges']) assert.ok(result.includes(stage), stage);
  assert.match(result, /Latency/);
  assert.match(result, /Tables3/);
  await step('tested');

  // the preview masks the password
  const preview = await page.textContent('#preview-json');
  assert.ok(!preview.includes(env.PG_PASSWORD));
  assert.ok(preview.includes('********'));

  await page.click('#next');
  await page.waitForSelector('#step-enrichment');
  await step('enrichment-step');
  await page.click('#finish');
  await page.waitForSelector('[role=dialog]');
  await step('saved-dialog');
  await page.click('#done-open');
  await page.waitForSelector('#page-connection');
  const summary = await page.textContent('#page-connection');
  assert.match(summary, /Passwordset/);
  assert.ok(!summary.includes(env.PG_PASSWORD));
  await page.waitForSelector('#catalog table', { timeout: 20000 });
  assert.match(await page.textContent('#catalog'), /orders/);
  await step('datastore-page');

  const list = await api('/api/datastores');
  assert.ok(list.some((d) => d.name === 'sales' && d.enrich_only === false));
});

test('a wrong password: the explanation is on the password field', async () => {
  await fresh();
  await fillSource({ name: 'wrong-pw', password: 'not-the-password' });
  const headline = await testConnection();
  assert.match(headline, /password/i);
  assert.equal(await page.getAttribute('#src-connection-password', 'aria-invalid'), 'true');
  assert.match(await page.textContent('#src-connection-password-msg'), /Test Connection:.*password/i);
  await step('wrong-password');
});

test('a role missing USAGE: the fix SQL is shown, and once run the retest passes', async () => {
  await fresh();
  await fillSource({ name: 'no-usage', user: env.PG_NO_USAGE, password: env.PG_NO_USAGE_PASSWORD });
  const headline = await testConnection();
  assert.match(headline, /No access to the schema/);
  // the explanation is on the schema field, with the SQL that fixes it
  assert.equal(await page.getAttribute('#src-schema', 'aria-invalid'), 'true');
  // one script grants everything the role lacks (USAGE, then SELECT)
  assert.equal(await page.locator('#src-result .explanation pre.sql').count(), 0);
  const sql = (await page.textContent('#src-result .missing pre.sql')).trim();
  assert.match(sql, /GRANT USAGE ON SCHEMA sales TO no_usage;/);
  assert.match(sql, /GRANT SELECT ON ALL TABLES IN SCHEMA sales TO no_usage;/);
  await step('missing-usage');
  execFileSync('psql', [env.PG_SUPERUSER_CONNINFO, '-v', 'ON_ERROR_STOP=1', '-c', sql]);
  const again = await testConnection();
  assert.match(again, /^Connected to PostgreSQL [0-9.]+$/);
  assert.equal(await page.locator('#src-result .missing').count(), 0);
  await step('missing-usage-fixed');
});

test('a pasted URI fills the fields, the password into the password field', async () => {
  await fresh();
  await page.click('summary:has-text("Paste a connection string")');
  const uri = `postgresql://${env.PG_READER}:${encodeURIComponent(env.PG_PASSWORD)}@${env.PG_HOST}:${env.PG_PORT}/${env.PG_DB}?sslmode=disable`;
  await page.fill('#src-paste', uri);
  await page.press('#src-paste', 'Enter');
  assert.match(await page.textContent('#src-paste-status'), /Filled in: host, port, username, password, ssl_mode, database/);
  assert.equal(await page.inputValue('#src-connection-host'), env.PG_HOST);
  assert.equal(await page.inputValue('#src-connection-port'), env.PG_PORT);
  assert.equal(await page.inputValue('#src-connection-password'), env.PG_PASSWORD);
  assert.equal(await page.inputValue('#src-database'), env.PG_DB);
  await page.fill('#src-name', 'pasted');
  await page.fill('#src-schema', env.PG_SCHEMA);
  assert.match(await testConnection(), /Connected/);
  await step('pasted-uri');
});
