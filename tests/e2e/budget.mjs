// The wizard's first-load budget, measured in Debian's headless Chromium on loopback against a real
// `pgconnect serve` (started here, on a temporary data directory, serving ../../dist):
//   - bytes transferred on a cold load (cache disabled), by kind (HTML, JS, wasm, CSS, API), as
//     the browser negotiated them, and each static file's brotli and raw size as served;
//   - time from navigation start to an interactive form (the Name field is in the page with its
//     handlers: Leptos mounts elements and listeners together), median and p95 over RUNS loads.
// Targets (issue 7): under 400 KB brotli, under 300 ms. Usage: npm run budget (scripts/budget-web.sh
// builds what it needs first). Env: PGCONNECT_BIN (default ../../target/release/pgconnect), RUNS (20).

import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import readline from 'node:readline';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, '../..');
const bin = process.env.PGCONNECT_BIN ?? path.join(root, 'target/release/pgconnect');
const runs = Number(process.env.RUNS ?? 20);
const BROTLI_TARGET = 400 * 1000;
const TIME_TARGET_MS = 300;

/** Starts the server; resolves with its URL and one-time login link. */
function serve(dataDir) {
  const child = spawn(bin, ['serve', '--addr', '127.0.0.1:0', '--data-dir', dataDir,
    '--web-dir', path.join(root, 'dist')], { stdio: ['ignore', 'pipe', 'inherit'],
    env: { ...process.env, RUST_LOG: 'warn' } });
  return new Promise((resolve, reject) => {
    let url;
    child.on('error', reject);
    child.on('exit', (code) => reject(new Error(`pgconnect serve exited (${code})`)));
    readline.createInterface({ input: child.stdout }).on('line', (line) => {
      for (const word of line.split(/\s+/)) {
        if (word.includes('/login?code=')) resolve({ child, url, login: word });
        else if (word.startsWith('http://') && !url) url = word.replace(/\/$/, '');
      }
    });
  });
}

/** The body size of `url` as served with `Accept-Encoding: encoding` (no decoding). */
function servedSize(url, encoding) {
  return new Promise((resolve, reject) => {
    http.get(url, { headers: { 'accept-encoding': encoding } }, (res) => {
      let n = 0;
      res.on('data', (c) => { n += c.length; });
      res.on('end', () => resolve({ bytes: n, encoding: res.headers['content-encoding'] ?? 'identity' }));
    }).on('error', reject);
  });
}

function kindOf(url, mime) {
  if (url.includes('/api/')) return 'api';
  if (url.endsWith('.wasm') || mime === 'application/wasm') return 'wasm';
  if (url.endsWith('.js') || mime?.includes('javascript')) return 'js';
  if (url.endsWith('.css') || mime === 'text/css') return 'css';
  if (mime === 'text/html') return 'html';
  return 'other';
}

const pct = (xs, p) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor((xs.length - 1) * p))];
const kb = (n) => `${(n / 1000).toFixed(1)} KB`;

const dataDir = mkdtempSync(path.join(os.tmpdir(), 'pgconnect-budget-'));
const { child, url, login } = await serve(dataDir);
const browser = await chromium.launch({
  executablePath: '/usr/bin/chromium',
  args: ['--no-sandbox', '--disable-background-networking', '--disable-component-update',
    '--disable-sync', '--no-first-run', '--disable-quic'],
});
let failed = false;
try {
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  const first = await context.newPage();
  await first.goto(login); // the session cookie: the form loads as a signed-in person sees it
  await first.waitForSelector('#src-name');
  await first.close();
  // when the Name field appears (a MutationObserver from the first script that runs)
  await context.addInitScript(() => {
    const seen = () => {
      if (document.getElementById('src-name') && window.__interactive === undefined) {
        window.__interactive = performance.now();
      }
    };
    new MutationObserver(seen).observe(document, { childList: true, subtree: true });
  });

  const times = [];
  let transfer;
  for (let i = 0; i < runs + 1; i += 1) {
    const page = await context.newPage();
    const cdp = await context.newCDPSession(page);
    await cdp.send('Network.enable');
    await cdp.send('Network.setCacheDisabled', { cacheDisabled: true });
    const seen = new Map();
    cdp.on('Network.responseReceived', (e) => seen.set(e.requestId, {
      url: e.response.url, mime: e.response.mimeType,
      encoding: e.response.headers['content-encoding'] ?? e.response.headers['Content-Encoding'] ?? 'identity',
    }));
    cdp.on('Network.loadingFinished', (e) => {
      const r = seen.get(e.requestId);
      if (r) r.transferred = e.encodedDataLength;
    });
    await page.goto(`${url}/`, { waitUntil: 'load' });
    await page.waitForFunction(() => window.__interactive !== undefined, null, { timeout: 10000 });
    const t = await page.evaluate(() => window.__interactive);
    await page.waitForLoadState('networkidle');
    if (i > 0) times.push(t); // the first load warms the server's file cache and Chromium's code
    transfer = [...seen.values()].filter((r) => r.transferred !== undefined);
    await page.close();
  }

  console.log(`cold first load of ${url}/ in headless Chromium (cache disabled), as negotiated:`);
  const byKind = {};
  for (const r of transfer) {
    const k = kindOf(r.url, r.mime);
    byKind[k] = (byKind[k] ?? 0) + r.transferred;
    console.log(`  ${k.padEnd(5)} ${String(r.transferred).padStart(8)} B  ${r.encoding.padEnd(8)} ${new URL(r.url).pathname}`);
  }
  const total = Object.values(byKind).reduce((a, b) => a + b, 0);
  console.log(`  total ${total} B transferred (${Object.entries(byKind).map(([k, v]) => `${k} ${v}`).join(', ')}; headers included)`);

  console.log('\nthe static files as served, brotli and raw:');
  let brTotal = 0;
  let rawTotal = 0;
  const rows = [];
  for (const r of transfer.filter((x) => ['html', 'js', 'wasm', 'css'].includes(kindOf(x.url, x.mime)))) {
    const br = await servedSize(r.url, 'br');
    const raw = await servedSize(r.url, 'identity');
    if (br.encoding !== 'br') throw new Error(`${r.url} is not served brotli-compressed`);
    brTotal += br.bytes;
    rawTotal += raw.bytes;
    rows.push({ file: new URL(r.url).pathname, kind: kindOf(r.url, r.mime), br: br.bytes, raw: raw.bytes });
  }
  rows.sort((a, b) => b.br - a.br);
  for (const x of rows) {
    console.log(`  ${x.kind.padEnd(5)} brotli ${String(x.br).padStart(8)}  raw ${String(x.raw).padStart(8)}  ${(100 * x.br / brTotal).toFixed(1).padStart(5)} %  ${x.file}`);
  }
  console.log(`  total brotli ${brTotal} B (${kb(brTotal)}), raw ${rawTotal} B (${kb(rawTotal)}); target < ${kb(BROTLI_TARGET)} brotli`);
  console.log(`  dominated by: ${rows[0].file} (${rows[0].kind}, ${(100 * rows[0].br / brTotal).toFixed(1)} % of the brotli bytes)`);

  const median = pct(times, 0.5);
  const p95 = pct(times, 0.95);
  console.log(`\nnavigation start → interactive form over ${times.length} cold loads: median ${median.toFixed(0)} ms, p95 ${p95.toFixed(0)} ms, min ${Math.min(...times).toFixed(0)} ms, max ${Math.max(...times).toFixed(0)} ms; target < ${TIME_TARGET_MS} ms`);
  console.log(`\nmachine: ${os.cpus().length} × ${os.cpus()[0]?.model ?? '?'}, Chromium ${browser.version()}`);
  if (brTotal >= BROTLI_TARGET) { console.log('OVER BUDGET: bytes'); failed = true; }
  if (median >= TIME_TARGET_MS) { console.log('OVER BUDGET: time'); failed = true; }
} finally {
  await browser.close();
  child.kill();
  rmSync(dataDir, { recursive: true, force: true });
}
process.exit(failed ? 1 : 0);
