// The wizard in Debian's headless Chromium (playwright-core with executablePath /usr/bin/chromium,
// never a downloaded browser), against the real pgconnect serve, PostgreSQL and OpenBao that
// crates/cli/tests/wizard.rs starts and describes in the environment. Each step's screenshot goes
// to $OUTPUT_DIR; every step is scanned with axe-core (no serious or critical violation).

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createRequire } from 'node:module';
import net from 'node:net';
import path from 'node:path';
import { readFileSync } from 'node:fs';
import { chromium } from 'playwright-core';
import { watch } from './watch.mjs';

const require = createRequire(import.meta.url);
// axe-core goes in through DevTools (evaluate), which the page's CSP does not govern: the page
// itself may run only its own scripts
const AXE = readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');
const env = process.env;
const URL_ = env.PGCONNECT_URL;
const OUT = env.OUTPUT_DIR;

let browser, context, page;
let refused = []; // what the page's Content-Security-Policy refused (watch.mjs)
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
  refused = watch(page);
  // the one-time login link sets the session cookie and lands on the wizard
  await page.goto(env.PGCONNECT_LOGIN);
  await page.waitForSelector('#src-name');
});

after(async () => { await browser?.close(); });

async function snap(name, on = page) {
  shot += 1;
  await on.screenshot({ path: path.join(OUT, `${String(shot).padStart(2, '0')}-${name}.png`), fullPage: true });
}

/** axe-core over the page as it is: no serious or critical violation. */
async function axe(name, on = page) {
  await on.evaluate(AXE);
  const result = await on.evaluate(async () => await window.axe.run(document, { resultTypes: ['violations'] }));
  const bad = result.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
  assert.deepEqual(bad.map((v) => `${v.id}: ${v.help} (${v.nodes.map((n) => n.target.join(' ')).join(', ')})`), [],
    `axe found serious/critical violations at ${name}`);
}

/** Every id on the page is used once (labels and aria-describedby point at one element). */
async function uniqueIds(name, on = page) {
  const dupes = await on.evaluate(() => {
    const seen = new Map();
    document.querySelectorAll('[id]').forEach((e) => seen.set(e.id, (seen.get(e.id) ?? 0) + 1));
    return [...seen].filter(([, n]) => n > 1).map(([id]) => id);
  });
  assert.deepEqual(dupes, [], `duplicate ids at ${name}`);
}

/** A screenshot, axe-core and the unique-id check, of `on` (default: the page in use), and
 * nothing refused by the page's Content-Security-Policy so far. */
async function step(name, on = page) {
  await snap(name, on); await axe(name, on); await uniqueIds(name, on);
  assert.deepEqual(refused, [], `the page's Content-Security-Policy refused something by ${name}`);
}

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

// Runs `body` with `page` a new page signed in as someone else — by a session token's cookie, or
// by opening a login link as a colleague would — then gives the admin's page back.
async function signedInAs({ token, link }, body) {
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  if (token) await context.addCookies([{ name: 'pgconnect_session', value: token, url: URL_ }]);
  const [admin, adminRefused] = [page, refused];
  page = await context.newPage();
  refused = watch(page);
  try {
    if (link) {
      await page.goto(URL_ + link);
      assert.equal(new globalThis.URL(page.url()).pathname, '/', 'the link leads to the wizard');
    }
    await body();
  } finally {
    await context.close();
    // the admin's page back first: an assertion here must not leave later tests on a closed page
    const theirs = refused;
    [page, refused] = [admin, adminRefused];
    assert.deepEqual(theirs, [], 'the Content-Security-Policy refused something signed in as someone else');
  }
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
  assert.match(page.url(), /#\/datastores\/[0-9]+$/, 'the page has its own address');
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
  // the copy button puts exactly that script on the clipboard
  await page.click('#src-result .missing button:has-text("Copy GRANT SQL")');
  await page.waitForSelector('#src-result .missing .status:has-text("Copied.")');
  assert.equal((await page.evaluate(() => navigator.clipboard.readText())).trim(), sql);
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

/** A TCP server that accepts and never answers: a check against it waits in its startup stage. */
async function silentServer() {
  const sockets = [];
  const server = net.createServer((s) => { sockets.push(s); s.on('error', () => {}); });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: String(server.address().port),
    close: () => { sockets.forEach((s) => s.destroy()); server.close(); },
  };
}

/** The form's typed values, to show nothing was lost. */
async function typed(ids) {
  const out = {};
  for (const id of ids) out[id] = await page.inputValue(`#${id}`);
  return out;
}

const SOURCE_FIELDS = ['src-name', 'src-connection-host', 'src-connection-port', 'src-connection-username',
  'src-connection-password', 'src-database', 'src-schema'];

test('an enrichment datastore added with its own test, then linked', async () => {
  await fresh();
  await fillSource({ name: 'orders' });
  assert.match(await testConnection(), /Connected/);
  await page.click('#next');
  await page.waitForSelector('#step-enrichment');
  assert.equal(await page.locator('#src-enrichment_prefix').count(), 0, 'no prefix without an enrichment datastore');
  await page.check('#enr-new');
  await page.waitForSelector('#enr-name');
  // the prefix is checked as it is typed, under its field; Finish goes to it while it is wrong
  await page.fill('#src-enrichment_prefix', 'Orders');
  await page.locator('#src-enrichment_prefix').blur();
  assert.equal(await page.getAttribute('#src-enrichment_prefix', 'aria-invalid'), 'true');
  assert.match(await page.textContent('#src-enrichment_prefix-msg'), /upper-case letters.*use "orders"/);
  // (aria-disabled, not disabled: a click still says why, so force past playwright's check)
  await page.click('#finish', { force: true });
  await page.waitForFunction(() => document.activeElement?.id === 'src-enrichment_prefix', null, { timeout: 2000 });
  // and steps 1–3 are not held back by it: Back, then Next, comes here again
  await page.getByRole('button', { name: 'Back', exact: true }).click();
  await page.click('#next');
  await page.waitForSelector('#step-enrichment');
  await page.fill('#src-enrichment_prefix', 'orders_');
  assert.equal(await page.getAttribute('#src-enrichment_prefix', 'aria-invalid'), 'false');
  // Finish is blocked while the new enrichment datastore's form has errors
  assert.equal(await page.getAttribute('#finish', 'aria-disabled'), 'true');
  await page.fill('#enr-name', 'orders-results');
  await page.fill('#enr-connection-host', env.PG_HOST);
  await page.fill('#enr-connection-port', env.PG_PORT);
  await page.fill('#enr-connection-username', env.PG_WRITER);
  await page.fill('#enr-connection-password', env.PG_PASSWORD);
  await page.selectOption('#enr-connection-ssl_mode', 'disable');
  await page.fill('#enr-database', env.PG_DB);
  await page.fill('#enr-schema', env.PG_RESULTS);
  assert.match(await testConnection('enr'), /^Connected to PostgreSQL [0-9.]+$/);
  assert.match(await page.textContent('#enr-result'), /privileges/);
  await step('enrichment-new-tested');
  await page.click('#finish');
  await page.waitForSelector('[role=dialog]');
  await page.click('#done-open');
  await page.waitForSelector('#page-enrichment');
  const linked = await page.textContent('#page-enrichment');
  assert.match(linked, /orders-results/);
  assert.match(linked, new RegExp(`Schema${env.PG_RESULTS}`));
  assert.match(linked, /Prefixorders_/);
  await step('enrichment-linked-page');

  const list = await api('/api/datastores');
  const source = list.find((d) => d.name === 'orders');
  const enrichment = list.find((d) => d.name === 'orders-results');
  assert.equal(enrichment.enrich_only, true);
  assert.equal(source.enrichment_datastore.id, enrichment.id);
  assert.equal(source.enrichment_prefix, 'orders_');
  assert.ok(!JSON.stringify(list).includes(env.PG_PASSWORD), 'no password in the registry answers');
});

test('an existing connection reused, with an existing enrichment datastore', async () => {
  await fresh();
  const connections = await api('/api/connections');
  const orders = connections.find((c) => c.name === 'orders');
  assert.ok(orders, JSON.stringify(connections));
  await page.fill('#src-name', 'orders-archive');
  await page.check('#src-use-existing');
  await page.selectOption('#src-connection_id', String(orders.id));
  // only database, schema, teams and initiate sync are editable with a stored connection
  assert.equal(await page.locator('#src-connection-host').count(), 0);
  assert.equal(await page.locator('#src-connection-password').count(), 0);
  // a ${key} needs the stored connection's secrets management, which only the server can see:
  // its 422 is shown in words with each problem, and the form stays as typed
  await page.fill('#src-database', '${db}');
  await page.fill('#src-schema', env.PG_SCHEMA);
  await page.click('#src-test');
  await page.waitForSelector('#src-result .banner.error');
  const refused = await page.textContent('#src-result');
  assert.match(refused, /The server refused what would be sent: 1 error\(s\)/);
  assert.match(refused, /\/database \$\{db\} cannot be filled in: secrets management is off/);
  assert.doesNotMatch(refused, /loopback/, 'warnings refused nothing: they are not listed');
  // and it is on the database field
  assert.equal(await page.getAttribute('#src-database', 'aria-invalid'), 'true');
  assert.match(await page.textContent('#src-database-msg'), /Server: \$\{db\} cannot be filled in/);
  await step('existing-connection-422');
  assert.equal(await page.inputValue('#src-database'), '${db}');
  await page.fill('#src-database', env.PG_DB);
  assert.match(await testConnection(), /^Connected to PostgreSQL [0-9.]+$/);
  await step('existing-connection-tested');
  await page.click('#next');
  await page.waitForSelector('#step-enrichment');
  await page.check('#enr-existing');
  const results = (await api('/api/datastores')).find((d) => d.name === 'orders-results');
  await page.selectOption('#enr-existing-select', String(results.id));
  // the chosen enrichment datastore's team, host, database and schema are shown
  const detail = await page.textContent('#enr-existing-select ~ dl.summary');
  assert.match(detail, /TeamsPublic/);
  assert.match(detail, new RegExp(`Host${env.PG_HOST}:${env.PG_PORT}`));
  assert.match(detail, new RegExp(`Schema${env.PG_RESULTS}`));
  await step('existing-enrichment-chosen');
  await page.click('#finish');
  await page.waitForSelector('[role=dialog]');
  await page.click('#done-open');
  await page.waitForSelector('#page-enrichment');
  assert.match(await page.textContent('#page-enrichment'), /orders-results/);

  const list = await api('/api/datastores');
  const archive = list.find((d) => d.name === 'orders-archive');
  assert.equal(archive.connection.id, orders.id, 'the stored connection is reused, not copied');
  assert.equal(archive.enrichment_datastore.id, results.id);
  assert.equal((await api('/api/connections')).length, connections.length, 'no new connection');
});

test('vault-backed credentials: keys resolved, never values', async () => {
  await fresh();
  await fillSource({ name: 'vaulted', user: '${username}', password: '${password}' });
  await page.check('#src-vault');
  await page.waitForSelector('#src-connection-secrets_management-login_url');
  assert.match(await page.textContent('#src-vault-keys'), /\$\{key\}/);
  await page.fill('#src-connection-secrets_management-login_url',
    `${env.VAULT_ADDR}/v1/auth/userpass/login/${env.VAULT_USER}`);
  await page.fill('#src-connection-secrets_management-credentials_payload',
    JSON.stringify({ password: env.VAULT_PASSWORD }));
  await page.fill('#src-connection-secrets_management-secret_url', `${env.VAULT_ADDR}/v1/secret/data/shop`);
  // a key the secret does not hold is named, and the check stops before connecting
  await page.fill('#src-database', '${dbname}');
  await testConnection();
  assert.match(await page.textContent('#src-result .secrets'), /Missing from the secret: dbname/);
  await step('vault-missing-key');
  await page.fill('#src-database', env.PG_DB);
  assert.match(await testConnection(), /^Connected to PostgreSQL [0-9.]+$/);
  const result = await page.textContent('#src-result');
  assert.match(result, /Resolved: password, username/);
  assert.match(result, /\$\{username\}/, 'the role is shown as its key');
  assert.ok(!result.includes(env.PG_READER) && !result.includes(env.PG_PASSWORD), 'no value from the vault');
  // the request preview masks the vault login's password too
  assert.ok(!(await page.textContent('#preview-json')).includes(env.VAULT_PASSWORD));
  await step('vault-tested');
  await page.click('#next');
  await page.waitForSelector('#step-enrichment');
  await page.click('#finish');
  await page.waitForSelector('[role=dialog]');
  await page.click('#done-open');
  await page.waitForSelector('#page-connection');
  const all = JSON.stringify(await api('/api/datastores')) + JSON.stringify(await api('/api/connections'));
  assert.ok(!all.includes(env.VAULT_PASSWORD), 'the vault login password is never returned');
  assert.match(all, /secrets_management/);
  // moving it: retyping the ${password} key is not enough, as the vault's secret would go to the
  // new address with the stored vault login; the credentials field says so
  await page.click('#conn-open');
  await page.waitForSelector('#edit-connection-secrets_management-credentials_payload');
  await page.fill('#edit-connection-port', '1');
  await page.fill('#edit-connection-password', '${password}');
  const credentials = '#edit-connection-secrets_management-credentials_payload';
  assert.equal(await page.getAttribute(credentials, 'aria-invalid'), 'true');
  assert.match(await page.textContent(`${credentials}-msg`),
    /the secrets the stored credentials read from the vault are never sent to a new address — send credentials_payload again/);
  await step('vault-move-asks-credentials');
  await page.fill(credentials, JSON.stringify({ password: env.VAULT_PASSWORD }));
  assert.equal(await page.getAttribute(credentials, 'aria-invalid'), 'false');
  await page.click('#conn-cancel');
});

/** The datastore page's title, once loaded. */
async function pageTitle(want) {
  await page.waitForFunction((w) => document.getElementById('page-title')?.textContent.trim() === w, want,
    { timeout: 5000 });
}

test('the list of datastores, a page by its address, Back, test again, discover again, delete', async () => {
  await fresh();
  // what is typed in the wizard stays while the list is looked at
  await page.fill('#src-name', 'half-typed');
  await page.click('#nav-list');
  await page.waitForSelector('#list table');
  assert.equal(await page.getAttribute('#nav-list', 'aria-current'), 'page');
  assert.equal(await page.locator('ol.steps').count(), 0, 'the wizard\'s steps are not shown on the list');
  const all = await api('/api/datastores');
  assert.equal(await page.locator('#list tbody tr').count(), all.length);
  const orders = all.find((d) => d.name === 'orders');
  const results = all.find((d) => d.name === 'orders-results');
  const row = page.locator(`#list tr[data-id="${orders.id}"]`);
  const cells = await row.locator('td').allTextContents();
  assert.deepEqual(cells, ['orders', 'source', `${env.PG_HOST}:${env.PG_PORT}`, `${env.PG_DB}.${env.PG_SCHEMA}`,
    'Public', 'orders-results', 'done']);
  assert.equal((await page.locator(`#list tr[data-id="${results.id}"] td`).nth(1).textContent()), 'enrichment');
  await step('datastore-list');
  await page.click('#nav-add');
  await page.waitForSelector('#src-name');
  assert.equal(await page.inputValue('#src-name'), 'half-typed');

  // the filter narrows the rows as one types: every word counts, in any column, case ignored
  await page.goBack();
  await page.waitForSelector('#list table');
  const shown = async () => (await page.locator('#list tbody tr td:first-child').allTextContents()).sort();
  await page.fill('#list-filter', 'ARCHIVE');
  assert.deepEqual(await shown(), ['orders-archive']);
  assert.equal(await page.textContent('#list-count'), `1 of ${all.length} datastore(s) match.`);
  await page.fill('#list-filter', 'orders source');
  assert.deepEqual(await shown(), ['orders', 'orders-archive']);
  await page.fill('#list-filter', 'orders no-such-word');
  await page.waitForSelector('#list-none');
  assert.equal(await page.locator('#list table').count(), 0);
  assert.match(await page.textContent('#list-none'), /No datastore matches “orders no-such-word”/);
  await step('datastore-list-filtered');

  // a row's link opens the datastore's page, at an address that survives a reload; Back finds
  // the list as it was left, filter included
  await page.fill('#list-filter', 'orders');
  await row.locator('a', { hasText: /^orders$/ }).click();
  await pageTitle('orders');
  await page.goBack();
  await page.waitForSelector('#list table');
  assert.equal(await page.inputValue('#list-filter'), 'orders');
  assert.equal(await page.locator('#list tbody tr').count(), 3);
  await page.goForward();
  await pageTitle('orders');
  assert.ok(page.url().endsWith(`#/datastores/${orders.id}`), page.url());
  await page.reload();
  await pageTitle('orders');
  assert.match(await page.textContent('#page-connection'), /Passwordset/);
  // when and by whom, in local time, the exact instant in the element
  assert.match(await page.textContent('#page-created'), /^\d{4}-\d\d-\d\d \d\d:\d\d by admin$/);
  assert.equal(await page.getAttribute('#page-created time', 'datetime'), orders.created);
  // the linked enrichment datastore's name opens its page; Back returns
  await page.click('#page-enrichment a');
  await pageTitle('orders-results');
  assert.match(await page.textContent('.card .muted'), /Enrichment datastore/);
  await page.goBack();
  await pageTitle('orders');

  // test the stored connection again, live, and discover the catalog again
  await page.click('#page-test');
  await page.waitForSelector('#page-result .headline', { timeout: 20000 });
  assert.match(await page.textContent('#page-result .headline'), /^Connected to PostgreSQL [0-9.]+$/);
  assert.match(await page.textContent('#page-result'), /privileges/);
  assert.equal((await page.textContent('#page-discover')).trim(), 'Discover again');
  const before = (await api(`/api/datastores/${orders.id}/catalog`)).finished;
  await page.click('#page-discover');
  for (let i = 0; ; i += 1) {
    const c = await api(`/api/datastores/${orders.id}/catalog`);
    if (c.status === 'done' && c.finished !== before) break;
    assert.ok(i < 80, `discovery did not run again: ${JSON.stringify(c)}`);
    await page.waitForTimeout(250);
  }
  await page.waitForSelector('#catalog table', { timeout: 20000 });
  assert.match(await page.textContent('#catalog'), /orders/);
  await step('datastore-page-actions');

  // an enrichment datastore's deletion says what it unlinks
  await page.goto(`${URL_}/#/datastores/${results.id}`);
  await pageTitle('orders-results');
  await page.click('#page-delete');
  assert.match(await page.textContent('[role=dialog]'), /Datastores that write their results here are unlinked/);
  await page.click('#delete-keep');

  // delete: asked first, and Keep it keeps it
  const archive = all.find((d) => d.name === 'orders-archive');
  await page.goto(`${URL_}/#/datastores/${archive.id}`);
  await pageTitle('orders-archive');
  await page.click('#page-delete');
  await page.waitForSelector('[role=dialog]');
  await page.waitForFunction(() => document.activeElement?.id === 'delete-keep', null, { timeout: 2000 });
  assert.match(await page.textContent('[role=dialog]'), /Delete orders-archive\?.*connection stays/s);
  assert.doesNotMatch(await page.textContent('[role=dialog]'), /unlinked/, 'a source datastore unlinks nothing');
  await step('delete-asked');
  await page.click('#delete-keep');
  assert.equal(await page.locator('[role=dialog]').count(), 0);
  await api(`/api/datastores/${archive.id}`);
  await page.click('#page-delete');
  await page.click('#delete-confirm');
  await page.waitForSelector('#list table');
  assert.ok(page.url().endsWith('#/datastores'), page.url());
  assert.equal(await page.locator(`#list tr[data-id="${archive.id}"]`).count(), 0);
  assert.equal((await page.request.get(`${URL_}/api/datastores/${archive.id}`)).status(), 404);
  // its connection stays, for the datastores that share it
  assert.ok((await api('/api/connections')).some((c) => c.id === archive.connection.id));

  // an address of a datastore that is not there says so
  await page.goto(`${URL_}/#/datastores/${archive.id}`);
  await pageTitle('The datastore could not be loaded');
  assert.match(await page.textContent('.card .banner.error'), /There is no datastore [0-9]+: it was deleted, or only another team sees it/);
});

test('a source datastore\'s page links an enrichment datastore later, changes the link, unlinks it', async () => {
  const all = await api('/api/datastores');
  const sales = all.find((d) => d.name === 'sales');
  const results = all.find((d) => d.name === 'orders-results');
  assert.equal(sales.enrichment_datastore, null, 'sales was finished without one');
  await page.goto(`${URL_}/#/datastores/${sales.id}`);
  await pageTitle('sales');
  assert.match(await page.textContent('#page-enrichment'), /No enrichment datastore linked/);
  assert.equal((await page.textContent('#link-open')).trim(), 'Link an enrichment datastore…');
  assert.equal(await page.locator('#link-unlink').count(), 0, 'nothing to unlink');
  await page.click('#link-open');
  await page.waitForFunction(() => document.activeElement?.id === 'link-prefix', null, { timeout: 2000 });
  // the prefix: the core's rule as it is typed, with the fix
  await page.fill('#link-prefix', 'Sales Results');
  await page.locator('#link-prefix').blur();
  assert.equal(await page.getAttribute('#link-prefix', 'aria-invalid'), 'true');
  assert.match(await page.textContent('#link-prefix-msg'), /does not make valid unquoted table names.*"sales_results"/);
  await page.click('#link-save');
  await page.waitForFunction(() => document.activeElement?.id === 'link-prefix', null, { timeout: 2000 });
  await page.fill('#link-prefix', 'sales_');
  assert.equal(await page.textContent('#link-prefix-msg'), '');
  // no enrichment datastore chosen: said at the choice, nothing sent
  await page.click('#link-save');
  await page.waitForFunction(() => document.activeElement?.id === 'link-select', null, { timeout: 2000 });
  assert.match(await page.textContent('#link-select-msg'), /Choose the enrichment datastore to write to/);
  assert.equal((await api(`/api/datastores/${sales.id}`)).enrichment_datastore, null);
  await page.selectOption('#link-select', String(results.id));
  const detail = await page.textContent('#link-select ~ dl.summary');
  assert.match(detail, new RegExp(`Schema${env.PG_RESULTS}`));
  await step('link-from-page');
  await page.click('#link-save');
  await page.waitForSelector('#page-enrichment a');
  assert.match(await page.textContent('#page-enrichment'), /orders-results.*Prefixsales_/s);
  assert.equal((await page.textContent('#link-status')).trim(),
    'Linked: results go to orders-results, in tables prefixed sales_.');
  assert.equal((await page.textContent('#link-open')).trim(), 'Change the link…');
  let stored = await api(`/api/datastores/${sales.id}`);
  assert.equal(stored.enrichment_datastore.id, results.id);
  assert.equal(stored.enrichment_prefix, 'sales_');
  await step('linked-from-page');

  // Change: the form opens with what is stored; Cancel changes nothing
  await page.click('#link-open');
  assert.equal(await page.inputValue('#link-prefix'), 'sales_');
  await page.waitForFunction((id) => document.getElementById('link-select')?.value === id, String(results.id));
  await page.fill('#link-prefix', 'other_');
  await page.click('#link-cancel');
  assert.ok(!(await page.isVisible('#link-prefix')));
  assert.equal((await api(`/api/datastores/${sales.id}`)).enrichment_prefix, 'sales_');
  // a new prefix through Change
  await page.click('#link-open');
  await page.fill('#link-prefix', 'sales_v2_');
  await page.click('#link-save');
  await page.waitForFunction(() => /Prefixsales_v2_/.test(document.getElementById('page-enrichment')?.textContent ?? ''));
  assert.equal((await api(`/api/datastores/${sales.id}`)).enrichment_prefix, 'sales_v2_');

  // Unlink: the link goes, the prefix stays for the next one
  await page.click('#link-unlink');
  await page.waitForFunction(() => /No enrichment datastore linked/.test(document.getElementById('page-enrichment')?.textContent ?? ''));
  assert.match(await page.textContent('#link-status'), /Unlinked.*the prefix is kept for the next link/);
  stored = await api(`/api/datastores/${sales.id}`);
  assert.equal(stored.enrichment_datastore, null);
  assert.equal(stored.enrichment_prefix, 'sales_v2_');
  await page.click('#link-open');
  assert.equal(await page.inputValue('#link-prefix'), 'sales_v2_');
  assert.equal(await page.inputValue('#link-select'), '');
  await step('unlinked-form-again');
  await page.click('#link-cancel');
});

/** Runs SQL as the superuser. */
function psql(sql) {
  execFileSync('psql', [env.PG_SUPERUSER_CONNINFO, '-v', 'ON_ERROR_STOP=1', '-q', '-c', sql]);
}

test('a rotated password is changed on the datastore\'s page: tested before it is saved, only it is sent', async () => {
  // a datastore whose role's password is then rotated in PostgreSQL
  psql(`CREATE ROLE rotating LOGIN PASSWORD 'old-secret-1' IN ROLE ${env.PG_READER}`);
  const created = await page.request.post(`${URL_}/api/datastores`, {
    data: {
      name: 'rotated', teams: ['Public'], database: env.PG_DB, schema: env.PG_SCHEMA, trigger_catalog: false,
      connection: { name: 'rotating-conn', type: 'postgresql', host: env.PG_HOST, port: Number(env.PG_PORT),
        username: 'rotating', password: 'old-secret-1', ssl_mode: 'disable' },
    },
  });
  assert.equal(created.status(), 201, await created.text());
  const ds = await created.json();
  psql("ALTER ROLE rotating PASSWORD 'new-secret-2'");
  await page.goto(`${URL_}/#/datastores/${ds.id}`);
  await pageTitle('rotated');
  await page.click('#page-test');
  await page.waitForSelector('#page-result .headline', { timeout: 20000 });
  assert.match(await page.textContent('#page-result .headline'), /password/i);

  // the form opens with what is stored, the password empty: empty keeps it
  await page.click('#conn-open');
  await page.waitForFunction(() => document.activeElement?.id === 'conn-edit-legend', null, { timeout: 2000 });
  assert.equal(await page.inputValue('#edit-connection-host'), env.PG_HOST);
  assert.equal(await page.inputValue('#edit-connection-port'), env.PG_PORT);
  assert.equal(await page.inputValue('#edit-connection-username'), 'rotating');
  assert.equal(await page.inputValue('#edit-connection-name'), 'rotating-conn');
  assert.equal(await page.inputValue('#edit-connection-password'), '');
  assert.equal(await page.inputValue('#edit-connection-ssl_mode'), 'disable');
  assert.match(await page.textContent('#edit-connection-password-hint'), /Stored, never shown: leave it empty to keep it/);
  assert.equal(await page.locator('#edit-paste').count(), 0, 'no paste box when changing');
  // Save with nothing changed sends nothing, and closes the form
  await page.click('#conn-save');
  await page.waitForSelector('#conn-open');
  assert.equal((await page.textContent('#conn-status')).trim(), 'Nothing changed: the connection is as stored.');
  assert.equal((await api(`/api/connections/${ds.connection.id}`)).updated, ds.connection.updated);
  await page.click('#conn-open');
  // a new address without the password: the server's rule, on the field, as it is typed
  await page.fill('#edit-connection-port', '1');
  assert.equal(await page.getAttribute('#edit-connection-password', 'aria-invalid'), 'true');
  assert.match(await page.textContent('#edit-connection-password-msg'),
    /the stored password is never sent to a new address — send the password again/);
  await page.click('#edit-test');
  await page.waitForFunction(() => document.activeElement?.id === 'edit-connection-password', null, { timeout: 2000 });
  assert.equal(await page.locator('#edit-result .headline').count(), 0, 'nothing is tested');
  await page.fill('#edit-connection-port', env.PG_PORT);
  assert.equal(await page.getAttribute('#edit-connection-password', 'aria-invalid'), 'false');

  // the new password, tested before it is saved; the store still has the old one
  await page.fill('#edit-connection-password', 'new-secret-2');
  // (the role inherits the reader's grants, not its default privileges: the audit says so)
  assert.match(await testConnection('edit'), /^Connected to PostgreSQL [0-9.]+/);
  const before = await api(`/api/connections/${ds.connection.id}`);
  assert.equal(before.updated, ds.connection.updated, 'a test saves nothing');
  await step('connection-change-tested');
  // Save sends only what changed
  const [request] = await Promise.all([
    page.waitForRequest((r) => r.method() === 'PATCH'),
    page.click('#conn-save'),
  ]);
  assert.deepEqual(request.postDataJSON(), { password: 'new-secret-2' });
  await page.waitForSelector('#conn-open');
  assert.match(await page.textContent('#conn-status'),
    new RegExp(`^Saved: connection rotating-conn now reaches ${env.PG_HOST}:${env.PG_PORT} as rotating\\.`));
  assert.equal(await page.locator('#edit-connection-password').count(), 0, 'the form is closed');
  assert.doesNotMatch(await page.content(), /new-secret-2/, 'the password is gone from the page');
  assert.equal(await page.locator('#page-result .headline').count(), 0, 'the failed test before the change is cleared');
  await page.click('#page-test');
  await page.waitForFunction(() => /^Connected to PostgreSQL/.test(
    document.querySelector('#page-result .headline')?.textContent ?? ''), null, { timeout: 20000 });
  await step('connection-changed');

  // another user name, tested as typed, and the TLS mode: only they are sent, the password kept
  await page.click('#conn-open');
  await page.fill('#edit-connection-username', 'nobody-here');
  assert.match(await testConnection('edit'), /password|role/i);
  await page.fill('#edit-connection-username', 'rotating');
  await page.selectOption('#edit-connection-ssl_mode', 'prefer');
  const [second] = await Promise.all([
    page.waitForRequest((r) => r.method() === 'PATCH'),
    page.click('#conn-save'),
  ]);
  assert.deepEqual(second.postDataJSON(), { ssl_mode: 'prefer' });
  await page.waitForSelector('#conn-open');
  const stored = await api(`/api/connections/${ds.connection.id}`);
  assert.equal(stored.ssl_mode, 'prefer');
  assert.equal(stored.password_set, true);
  assert.match(await page.textContent('#page-connection'), /SSL modeprefer/);
  // Cancel changes nothing
  await page.click('#conn-open');
  await page.fill('#edit-connection-host', 'elsewhere.invalid');
  await page.click('#conn-cancel');
  await page.waitForFunction(() => document.activeElement?.id === 'conn-open', null, { timeout: 2000 });
  assert.equal((await api(`/api/connections/${ds.connection.id}`)).host, env.PG_HOST);
});

test('a datastore\'s details are edited on its page: checked as typed, the new schema tested, the stale catalog dropped', async () => {
  const created = await page.request.post(`${URL_}/api/datastores`, {
    data: {
      name: 'details', teams: ['Public'], database: env.PG_DB, schema: env.PG_SCHEMA, trigger_catalog: true,
      connection: { name: 'details-conn', type: 'postgresql', host: env.PG_HOST, port: Number(env.PG_PORT),
        username: env.PG_READER, password: env.PG_PASSWORD, ssl_mode: 'disable' },
    },
  });
  assert.equal(created.status(), 201, await created.text());
  const ds = await created.json();
  await page.goto(`${URL_}/#/datastores/${ds.id}`);
  await pageTitle('details');
  await page.waitForFunction(() => /table\(s\)/.test(document.getElementById('catalog')?.textContent ?? ''),
    null, { timeout: 20000 });

  // the form opens with what is stored; Save with nothing changed sends nothing
  await page.click('#details-open');
  await page.waitForFunction(() => document.activeElement?.id === 'details-legend', null, { timeout: 2000 });
  assert.equal(await page.inputValue('#details-name'), 'details');
  assert.equal(await page.inputValue('#details-database'), env.PG_DB);
  assert.equal(await page.inputValue('#details-schema'), env.PG_SCHEMA);
  assert.equal(await page.isChecked(`#details-teams-${(await api('/api/teams')).indexOf('Public')}`), true);
  assert.equal(await page.isChecked('#details-trigger-catalog'), false);
  let patches = 0;
  const count = (r) => { if (r.method() === 'PATCH') patches += 1; };
  page.on('request', count);
  await page.click('#details-save');
  await page.waitForSelector('#details-open');
  assert.equal((await page.textContent('#details-status')).trim(), 'Nothing changed: the datastore is as stored.');

  // the core's rules as typed: an empty name, no team; Save focuses the first and sends nothing
  await page.click('#details-open');
  await page.fill('#details-name', '');
  assert.equal(await page.getAttribute('#details-name', 'aria-invalid'), 'true');
  assert.match(await page.textContent('#details-name-msg'), /Name is empty — fill in the name/);
  await page.fill('#details-schema', 'x'.repeat(64));
  assert.match(await page.textContent('#details-schema-msg'), /at most 63 bytes/);
  await page.uncheck(`#details-teams-${(await api('/api/teams')).indexOf('Public')}`);
  assert.match(await page.textContent('#details-teams'), /a datastore belongs to at least one team/);
  await step('details-invalid');
  await page.click('#details-save');
  await page.waitForFunction(() => document.activeElement?.id === 'details-name', null, { timeout: 2000 });
  assert.equal(patches, 0, 'nothing was sent');
  await page.check(`#details-teams-${(await api('/api/teams')).indexOf('Public')}`);

  // the new schema, tested on the stored connection before anything is saved
  await page.fill('#details-name', 'details-moved');
  await page.fill('#details-schema', env.PG_RESULTS);
  const [tested] = await Promise.all([
    page.waitForRequest((r) => r.url().endsWith(`/api/connections/${ds.connection.id}/test`)),
    page.click('#details-test'),
  ]);
  assert.deepEqual(tested.postDataJSON(), { database: env.PG_DB, schema: env.PG_RESULTS, kind: 'source' });
  await page.waitForSelector('#details-result .headline', { timeout: 20000 });
  // the reader has no USAGE on that schema: the test says so, with the GRANT that fixes it
  assert.equal((await page.textContent('#details-result .headline')).trim(), 'Connected, but: No access to the schema');
  const result = await page.textContent('#details-result');
  assert.match(result, new RegExp(`lacks USAGE on schema "${env.PG_RESULTS}"`));
  assert.match(result, new RegExp(`GRANT USAGE ON SCHEMA ${env.PG_RESULTS} TO ${env.PG_READER}`));
  assert.equal((await api(`/api/datastores/${ds.id}`)).schema, env.PG_SCHEMA, 'a test saves nothing');
  await step('details-tested');

  // Save sends only what changed; the page follows, the old catalog and test are gone
  const [request] = await Promise.all([
    page.waitForRequest((r) => r.method() === 'PATCH'),
    page.click('#details-save'),
  ]);
  assert.deepEqual(request.postDataJSON(), { name: 'details-moved', schema: env.PG_RESULTS });
  await page.waitForSelector('#details-open');
  assert.equal((await page.textContent('#details-status')).trim(),
    `Saved: details-moved reads ${env.PG_DB}.${env.PG_RESULTS}, seen by Public. The old catalog was dropped: `
    + "its tables are not this datastore's any more. Discover the catalog below when you are ready.");
  await pageTitle('details-moved');
  assert.match(await page.textContent('#page-details'),
    new RegExp(`^Database${env.PG_DB}Schema${env.PG_RESULTS}TeamsPublicCreated.* by adminChanged.* by admin$`),
    'the datastore section shows what was saved, and who changed it');
  assert.match(await page.textContent('#page-connection'), /Used bythis datastore only/);
  assert.match(await page.textContent('#catalog'), /Not discovered yet/);
  const gone = await page.request.get(`${URL_}/api/datastores/${ds.id}/catalog`);
  assert.equal(gone.status(), 404);
  await step('details-moved');

  // back to the first schema with Initiate sync: the catalog is discovered again
  await page.click('#details-open');
  await page.fill('#details-schema', env.PG_SCHEMA);
  await page.check('#details-trigger-catalog');
  const [again] = await Promise.all([
    page.waitForRequest((r) => r.method() === 'PATCH'),
    page.click('#details-save'),
  ]);
  assert.deepEqual(again.postDataJSON(), { schema: env.PG_SCHEMA, trigger_catalog: true });
  await page.waitForSelector('#details-open');
  assert.match(await page.textContent('#details-status'), /The catalog is being discovered\.$/);
  await page.waitForFunction(
    (s) => new RegExp(`3 table\\(s\\), 8 column\\(s\\) in [a-z]+\\.${s}`).test(document.getElementById('catalog')?.textContent ?? ''),
    env.PG_SCHEMA, { timeout: 20000 });
  // Cancel changes nothing
  await page.click('#details-open');
  await page.fill('#details-database', 'elsewhere');
  await page.click('#details-cancel');
  await page.waitForFunction(() => document.activeElement?.id === 'details-open', null, { timeout: 2000 });
  assert.equal((await api(`/api/datastores/${ds.id}`)).database, env.PG_DB);
  page.off('request', count);
});

test('a developer signs in by a login link made for them and edits teams within the team rules: another team\'s stays, one of theirs remains', async () => {
  const created = await page.request.post(`${URL_}/api/datastores`, {
    data: {
      name: 'shared-teams', teams: ['Ops', 'Finance'], database: env.PG_DB, schema: env.PG_SCHEMA,
      connection: { name: 'teams-conn', type: 'postgresql', host: env.PG_HOST, port: Number(env.PG_PORT),
        username: env.PG_READER, password: env.PG_PASSWORD, ssl_mode: 'disable' },
    },
  });
  assert.equal(created.status(), 201, await created.text());
  const ds = await created.json();
  await signedInAs({ link: env.PGCONNECT_DEVELOPER_LOGIN }, async () => {
    await page.goto(`${URL_}/#/datastores/${ds.id}`);
    await pageTitle('shared-teams');
    assert.match(await page.textContent('#who'), /Signed in as alice \(developer\)/);
    await page.click('#details-open');
    // the developer's teams (Finance, and Public), then the datastore's other one, locked
    assert.deepEqual(await page.locator('#details-teams .chip').allTextContents(), ['Finance', 'Public', 'Ops']);
    assert.equal(await page.isChecked('#details-teams-2'), true);
    assert.equal(await page.isDisabled('#details-teams-2'), true);
    assert.equal(await page.isDisabled('#details-teams-0'), false);
    assert.equal((await page.textContent('#details-teams-locked')).trim(),
      'Ops stays: you are not in that team, so only its members or an admin can take the datastore away from it.');
    // unticking Finance would leave only Ops: said as it happens, and Save sends nothing
    await page.uncheck('#details-teams-0');
    assert.match(await page.textContent('#details-teams-msg'),
      /You would no longer see this datastore: none of the ticked teams is yours — keep one of your teams ticked: Finance, Public/);
    await step('teams-lock-out');
    let sent = 0;
    const count = (r) => { if (r.method() === 'PATCH') sent += 1; };
    page.on('request', count);
    await page.click('#details-save');
    await page.waitForTimeout(300);
    assert.equal(sent, 0, 'a change the server would refuse is not sent');
    page.off('request', count);
    // with Public ticked the developer still sees it: saved
    await page.check('#details-teams-1');
    assert.doesNotMatch(await page.textContent('#details-teams-msg'), /no longer see/);
    const [request] = await Promise.all([
      page.waitForRequest((r) => r.method() === 'PATCH'),
      page.click('#details-save'),
    ]);
    assert.deepEqual(request.postDataJSON(), { teams: ['Ops', 'Public'] });
    await page.waitForSelector('#details-open');
    assert.match(await page.textContent('#page-details'), /Teams(Ops, Public|Public, Ops)Created/);
    // the change is hers: the page says so
    assert.match(await page.textContent('#page-updated'), / by alice$/);
  });
});

test('an admin invites a colleague from Access: the link signs them in once, and revoking ends the session', async () => {
  await page.goto(`${URL_}/#/access`);
  await page.waitForFunction(() => document.activeElement?.id === 'access-title', null, { timeout: 5000 });
  assert.equal(await page.getAttribute('#nav-access', 'aria-current'), 'page');
  // a fault is named at its field
  await page.click('#access-make');
  await page.waitForSelector('#access-refused');
  assert.match(await page.textContent('#access-refused'), /\/subject.*`subject` must be the name of who the link is for/s);
  // bob, a viewer of Sales
  await page.fill('#access-subject', 'bob');
  await page.selectOption('#access-role', 'viewer');
  await page.locator('#access-teams label', { hasText: 'Ops' }).locator('input').check();
  await page.click('#access-make');
  await page.waitForSelector('#access-link');
  assert.match(await page.textContent('#access-link'), /^For bob \(viewer, teams Ops\), until /);
  assert.equal(await page.inputValue('#access-subject'), '', 'the name is cleared for the next link');
  const link = (await page.textContent('#access-url')).trim();
  assert.ok(link.startsWith(`${URL_}/login?code=`), link);
  await step('access-invite');
  const admin = page;
  await signedInAs({ link: link.slice(URL_.length) }, async () => {
    await page.waitForSelector('#who');
    assert.match(await page.textContent('#who'), /Signed in as bob \(viewer\)/);
    assert.equal(await page.locator('#nav-access').count(), 0, 'Access is for admins');
    // the admin revokes bob's session on the Access page: bob's next request is refused
    await admin.reload();
    await admin.waitForSelector('#access-tokens table');
    const row = admin.locator('#access-tokens tr', { hasText: 'bob' }).first();
    assert.match(await row.textContent(), /bobsessionviewerOps.*active/);
    // asked first; Escape keeps it and gives the focus back to the button
    await row.locator('button').click();
    await admin.waitForSelector('[role=dialog]');
    await admin.waitForFunction(() => document.activeElement?.id === 'revoke-keep', null, { timeout: 2000 });
    assert.match(await admin.textContent('[role=dialog]'), /Revoke bob's session\?.*every server sharing the store.*bob needs a new login link/s);
    await step('access-revoke-asked', admin);
    // the focus stays in the dialog
    await admin.keyboard.press('Tab');
    assert.equal(await admin.evaluate(() => document.activeElement?.id), 'revoke-confirm');
    await admin.keyboard.press('Tab');
    assert.equal(await admin.evaluate(() => document.activeElement?.id), 'revoke-keep');
    await admin.keyboard.press('Shift+Tab');
    assert.equal(await admin.evaluate(() => document.activeElement?.id), 'revoke-confirm');
    await admin.keyboard.press('Escape');
    assert.equal(await admin.locator('[role=dialog]').count(), 0);
    await admin.waitForFunction(() => document.activeElement?.id?.startsWith('revoke-'), null, { timeout: 2000 });
    assert.match(await row.textContent(), /bobsessionviewerOps.*active/, 'kept');
    assert.equal((await page.request.get(`${URL_}/api/datastores`)).status(), 200, 'bob is still signed in');
    // revoking one's own session says it signs you out
    await admin.locator('#access-tokens tr', { hasText: 'this session' }).locator('button').click();
    assert.match(await admin.textContent('[role=dialog]'), /your own session: you are signed out at once/);
    await admin.click('#revoke-keep');
    await row.locator('button').click();
    await admin.click('#revoke-confirm');
    await admin.waitForFunction(() => /bobsessionviewerOps.*revoked/.test(document.getElementById('access-tokens')?.textContent ?? ''));
    assert.match(await admin.textContent('#access-tokens'), /adminsessionadminPublic[^a-z]*active \(this session\)Revoke \(signs you out\)/);
    assert.match(await admin.textContent('#access-tokens'), /clicliviewernone \(Public only\)/, 'a token without teams says what it sees');
    const refused = await page.request.get(`${URL_}/api/datastores`);
    assert.equal(refused.status(), 401);
  });
  // the link was spent
  const again = await page.request.get(link, { maxRedirects: 0 });
  assert.equal(again.status(), 401);
  // a link sent to the wrong person is withdrawn before it is used
  assert.equal(await page.locator('#access-links').count(), 0, 'no link is waiting');
  await page.fill('#access-subject', 'carol');
  await page.click('#access-make');
  await page.waitForSelector('#access-links');
  const carol = (await page.textContent('#access-url')).trim();
  assert.match(await page.textContent('#access-links'), /caroldevelopernone \(Public only\)/);
  // times in the browser's local time, to the minute; the exact instant in UTC on the element
  const made = page.locator('#access-links time').first();
  assert.match(await made.textContent(), /^\d{4}-\d\d-\d\d \d\d:\d\d$/);
  assert.match(await made.getAttribute('datetime'), /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
  await step('access-revoked');
  await page.locator('#access-links tr', { hasText: 'carol' }).locator('button').click();
  await page.waitForSelector('#access-links', { state: 'detached' });
  assert.equal(await page.locator('#access-link').count(), 0, 'the withdrawn link is no longer shown');
  const withdrawn = await page.request.get(carol, { maxRedirects: 0 });
  assert.equal(withdrawn.status(), 401);
});

test('a viewer tests connections and is spared the buttons the server would refuse', async () => {
  const orders = (await api('/api/datastores')).find((d) => d.name === 'orders');
  await signedInAs({ token: env.PGCONNECT_VIEWER_TOKEN }, async () => {
    await fresh();
    await page.waitForSelector('#viewer-note');
    assert.match(await page.textContent('#who'), /viewer/);
    assert.match(await page.textContent('#viewer-note'), /saving a datastore takes the developer role/);
    // what a viewer may do works: fill in, validate, test live
    await fillSource({ name: 'viewer-try' });
    assert.match(await testConnection(), /^Connected to PostgreSQL [0-9.]+$/);
    await page.click('#next');
    await page.waitForSelector('#step-enrichment');
    assert.equal(await page.getAttribute('#finish', 'aria-disabled'), 'true');
    assert.equal(await page.getAttribute('#finish', 'aria-describedby'), 'finish-why');
    assert.match(await page.textContent('#finish-why'), /Saving takes the developer role/);
    await page.click('#finish', { force: true });
    await page.waitForTimeout(300);
    assert.equal(await page.locator('[role=dialog]').count(), 0, 'nothing is sent');
    assert.ok(!(await api('/api/datastores')).some((d) => d.name === 'viewer-try'));
    await step('viewer-wizard');
    // a page: Test Connection works; discover, link and delete are not offered
    await page.goto(`${URL_}/#/datastores/${orders.id}`);
    await pageTitle('orders');
    assert.match(await page.textContent('#page-viewer'),
      /editing the details, changing the connection, discovering, linking and deleting take the developer role/);
    assert.equal(await page.locator('#page-delete').count(), 0);
    assert.equal(await page.locator('#link-open').count(), 0);
    assert.equal(await page.locator('#conn-open').count(), 0);
    assert.equal(await page.locator('#details-open').count(), 0);
    assert.ok(!(await page.isVisible('#page-discover')));
    await page.click('#page-test');
    await page.waitForSelector('#page-result .headline', { timeout: 20000 });
    assert.match(await page.textContent('#page-result .headline'), /^Connected to PostgreSQL [0-9.]+$/);
    await step('viewer-page');
    // the server is the rule: the same session's write is refused there
    const refused = await page.request.delete(`${URL_}/api/datastores/${orders.id}`);
    assert.equal(refused.status(), 403);
  });
});

/** Presses Tab until the element with `id` has focus: it is reachable with the keyboard. */
async function tabTo(id, { back = false } = {}) {
  for (let i = 0; i < 120; i += 1) {
    if (await page.evaluate((want) => document.activeElement?.id === want, id)) return;
    await page.keyboard.press(back ? 'Shift+Tab' : 'Tab');
  }
  assert.fail(`#${id} cannot be reached with Tab`);
}

test('keyboard alone: fill, test, next, finish, open', async () => {
  await fresh();
  await page.evaluate(() => document.activeElement?.blur());
  const type = async (id, text) => { await tabTo(id); await page.keyboard.type(text); };
  await type('src-name', 'keyboard');
  await type('src-connection-host', env.PG_HOST);
  await type('src-connection-port', env.PG_PORT);
  await type('src-connection-username', env.PG_READER);
  await type('src-connection-password', env.PG_PASSWORD);
  await tabTo('src-connection-ssl_mode');
  await page.keyboard.type('disable');
  assert.equal(await page.inputValue('#src-connection-ssl_mode'), 'disable');
  await type('src-database', env.PG_DB);
  await type('src-schema', env.PG_SCHEMA);
  await tabTo('src-test');
  await page.keyboard.press('Enter');
  await page.waitForSelector('#src-result .headline', { timeout: 20000 });
  assert.match(await page.textContent('#src-result .headline'), /^Connected/);
  // focus is visible where it is
  await tabTo('next');
  const ring = await page.evaluate(() => getComputedStyle(document.activeElement).boxShadow);
  assert.match(ring, /rgba\(36, 87, 197/, 'the focused button shows a focus ring');
  await snap('keyboard-focus-next');
  await page.keyboard.press('Enter');
  await page.waitForSelector('#step-enrichment');
  await tabTo('finish');
  await page.keyboard.press('Enter');
  await page.waitForSelector('[role=dialog]');
  await page.waitForFunction(() => document.activeElement?.id === 'done-open', null, { timeout: 2000 });
  await page.keyboard.press('Enter');
  await page.waitForSelector('#page-connection');
  assert.ok((await api('/api/datastores')).some((d) => d.name === 'keyboard'));
});

test('360 px wide: nothing overflows sideways', async () => {
  await page.setViewportSize({ width: 360, height: 800 });
  try {
    await fresh();
    await fillSource({ name: 'narrow' });
    assert.match(await testConnection(), /Connected/);
    const wide = await page.evaluate(() => document.documentElement.scrollWidth);
    assert.ok(wide <= 360, `the page is ${wide} px wide at a 360 px viewport`);
    // each stage's time stays on its name's line (it wrapped under the mark once)
    const misplaced = await page.$$eval('#src-result .stage', (rows) => rows.filter((r) => {
      const name = r.querySelector('.name').getBoundingClientRect();
      const ms = r.querySelector('.ms').getBoundingClientRect();
      return Math.abs(ms.top - name.top) > 4 || ms.height > name.height * 1.5;
    }).map((r) => r.querySelector('.name').textContent));
    assert.deepEqual(misplaced, []);
    await step('narrow-360');
  } finally {
    await page.setViewportSize({ width: 1280, height: 900 });
  }
});

test('the page runs only its own code, and no other site can frame it (Content-Security-Policy)', async () => {
  // everything the tests above did ran under the policy, and it refused nothing
  assert.deepEqual(refused, []);
  const response = await page.goto(URL_ + '/');
  await page.waitForSelector('#src-name');
  const policy = response.headers()['content-security-policy'];
  assert.match(policy, /script-src 'self' 'wasm-unsafe-eval' 'sha256-[A-Za-z0-9+/]+=*';/);
  assert.match(policy, /frame-ancestors 'none'/);
  // a script injected into the page (as an XSS would) does not run, and the refusal is seen
  const ran = await page.evaluate(async () => {
    const s = document.createElement('script');
    s.textContent = 'window.injected = true';
    document.head.append(s);
    await new Promise((r) => setTimeout(r, 100));
    return window.injected === true;
  });
  assert.equal(ran, false, 'an injected inline script ran');
  await page.waitForTimeout(100);
  assert.equal(refused.length, 1, refused.join('\n'));
  assert.match(refused[0], /inline script/);
  refused.length = 0;
  // a page elsewhere (a blank page, with no policy of its own) frames the wizard: the browser
  // refuses, by the wizard's frame-ancestors
  const other = await context.newPage();
  try {
    const blocked = [];
    other.on('console', (m) => blocked.push(m.text()));
    await other.setContent(`<iframe id="f" src="${URL_}/"></iframe>`);
    await other.waitForTimeout(1000);
    const frame = other.frames().find((f) => f !== other.mainFrame());
    assert.ok(frame, 'the frame is there');
    assert.equal(await frame.$('#src-name').catch(() => null), null, 'the wizard rendered inside a frame');
    assert.ok(blocked.some((t) => t.includes("frame-ancestors 'none'")), blocked.join('\n'));
  } finally {
    await other.close();
  }
});

test('stages show as they complete; the check can be cancelled', async () => {
  const silent = await silentServer();
  try {
    await fresh();
    await fillSource({ name: 'silent', port: silent.port });
    await page.click('#src-test');
    // connect is done and shown while the next stage still runs, with its spinner
    await page.waitForSelector('#src-result .stage.ok:has-text("connect")', { timeout: 5000 });
    await page.waitForSelector('#src-result .stage.running .spinner');
    assert.equal(await page.isDisabled('#src-test'), true, 'Test is disabled while a check runs');
    assert.match(await page.textContent('#src-test'), /Testing/);
    await step('stages-live');
    await page.click('#src-cancel');
    await page.waitForSelector('#src-result .banner.note');
    assert.match(await page.textContent('#src-result'), /Cancelled/);
    assert.equal(await page.isDisabled('#src-test'), false);
    assert.equal(await page.inputValue('#src-connection-port'), silent.port);
  } finally {
    silent.close();
  }
});

test('server errors are told in words, and nothing typed is lost', async () => {
  await fresh();
  await fillSource({ name: 'errors' });
  const before = await typed(SOURCE_FIELDS);

  // network down
  await context.setOffline(true);
  await page.click('#src-test');
  await page.waitForSelector('#src-result .banner.error');
  assert.match(await page.textContent('#src-result'), /did not answer.*nothing you typed is lost/);
  await step('network-down');
  await context.setOffline(false);
  assert.deepEqual(await typed(SOURCE_FIELDS), before);

  // 401: the session is gone
  const cookies = await context.cookies(URL_);
  await context.clearCookies();
  await page.click('#src-test');
  await page.waitForSelector('#src-result .banner.error');
  assert.match(await page.textContent('#src-result'), /not signed in.*login link.*pgconnect token login-link/);
  // any call's 401 raises the page's banner (api.rs sets it, wherever the call was made)
  assert.match(await page.textContent('#signed-out'), /You are not signed in/);
  await step('signed-out');
  assert.deepEqual(await typed(SOURCE_FIELDS), before);
  await context.addCookies(cookies);

  // 429: every check the server allows is taken (by checks against a silent server)
  const silent = await silentServer();
  const cookie = cookies.map((c) => `${c.name}=${c.value}`).join('; ');
  const holders = [];
  try {
    const body = JSON.stringify({
      name: 'hold', type: 'postgresql',
      config: { host: '127.0.0.1', port: Number(silent.port), database: 'x', schema: 'public', ssl_mode: 'disable' },
      credentials: { username: 'u', password: 'p' },
    });
    for (let i = 0; i < 64; i += 1) {
      const abort = new AbortController();
      const r = await fetch(`${URL_}/api/connections/test`, {
        method: 'POST', body, signal: abort.signal,
        headers: { cookie, 'content-type': 'application/json', accept: 'application/x-ndjson' },
      });
      holders.push(abort);
      if (r.status === 429) break;
      assert.equal(r.status, 200);
    }
    await page.click('#src-test');
    await page.waitForSelector('#src-result .banner.error');
    assert.match(await page.textContent('#src-result'), /as many checks as it allows.*Try again/);
    await step('busy-429');
    assert.deepEqual(await typed(SOURCE_FIELDS), before);
  } finally {
    holders.forEach((a) => a.abort());
    silent.close();
  }
  // once the holders are gone, the same form tests fine
  await page.waitForTimeout(300);
  assert.match(await testConnection(), /^Connected/);
});

test('the Permissions panel and the Request preview follow the form', async () => {
  await fresh();
  await fillSource({ name: 'panels' });
  // source role: read-only grants for the form's role and schema, plus any more schemas
  await page.fill('#perm-schemas', 'staging');
  await page.fill('#perm-owner', 'etl');
  await page.fill('#perm-cidr', '10.20.0.0/16');
  const grant = await page.textContent('#perm-grant');
  assert.match(grant, new RegExp(`GRANT USAGE ON SCHEMA ${env.PG_SCHEMA} TO ${env.PG_READER};`));
  assert.match(grant, new RegExp(`GRANT USAGE ON SCHEMA staging TO ${env.PG_READER};`));
  assert.match(grant, /ALTER DEFAULT PRIVILEGES FOR ROLE etl IN SCHEMA/);
  assert.doesNotMatch(grant, /GRANT CREATE/);
  assert.match(await page.textContent('#perm-hba'), new RegExp(`^host\\s+${env.PG_DB}\\s+${env.PG_READER}\\s+10\\.20\\.0\\.0/16\\s+scram-sha-256`));
  assert.match(await page.textContent('#perm-revoke'), new RegExp(`REVOKE USAGE ON SCHEMA ${env.PG_SCHEMA} FROM ${env.PG_READER};`));
  // enrichment role: it also creates
  await page.selectOption('#perm-kind', 'enrichment');
  assert.match(await page.textContent('#perm-grant'), new RegExp(`GRANT CREATE, USAGE ON SCHEMA ${env.PG_SCHEMA} TO ${env.PG_READER};|GRANT USAGE, CREATE ON SCHEMA ${env.PG_SCHEMA} TO ${env.PG_READER};`));
  // the preview: the body, the CLI and curl, the password masked in all three
  for (const id of ['preview-json', 'preview-cli', 'preview-curl']) {
    const text = await page.textContent(`#${id}`);
    assert.ok(!text.includes(env.PG_PASSWORD), `${id} shows the password`);
  }
  const body = JSON.parse((await page.textContent('#preview-json')).trim());
  assert.equal(body.name, 'panels');
  assert.equal(body.connection.password, '********');
  assert.match(await page.textContent('#preview-cli'), /pgconnect datastores create/);
  assert.match(await page.textContent('#preview-curl'), /curl .*\/api\/datastores/s);
  await step('panels');
});

// last: it ends the session
test('sign out: the session token is revoked, so a copy of the cookie is refused too', async () => {
  await fresh();
  await page.fill('#src-name', 'typed before signing out');
  const cookie = (await context.cookies(URL_)).map((c) => `${c.name}=${c.value}`).join('; ');
  assert.match(cookie, /pgconnect_session=/);
  // who is signed in, and until when (the session's 12 hours, in the browser's time)
  const until = await page.evaluate(async () => {
    const { expires } = await (await fetch('/api/session')).json();
    const d = new Date(expires * 1000);
    return `${String(d.getHours()).padStart(2, '0')}:${String(d.getMinutes()).padStart(2, '0')}`;
  });
  assert.equal((await page.textContent('#who')).trim(), `Signed in as admin, until ${until}`);
  await page.click('#sign-out');
  await page.waitForSelector('#signed-out');
  assert.match(await page.textContent('#signed-out'), /You signed out.*token is revoked.*pgconnect token login-link/);
  assert.equal(await page.locator('#sign-out').count(), 0);
  assert.equal(await page.inputValue('#src-name'), 'typed before signing out');
  await step('signed-out-by-user');
  // the browser dropped the cookie, and the copy taken before is refused by the server
  assert.deepEqual((await context.cookies(URL_)).filter((c) => c.name === 'pgconnect_session'), []);
  const r = await fetch(`${URL_}/api/session`, { headers: { cookie } });
  assert.equal(r.status, 401);
  assert.equal((await r.json()).error.code, 'auth/token-revoked');
  // a reload says how to sign in again
  await page.reload();
  await page.waitForSelector('#signed-out');
  assert.match(await page.textContent('#signed-out'), /not signed in.*pgconnect token login-link/);
});
