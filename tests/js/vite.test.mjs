// The package in a browser app built by Vite, exactly as its README shows: `vite build` bundles it
// (the .wasm as an asset), and the built page runs in headless Chromium (Debian's, driven by
// playwright-core) under the strict Content-Security-Policy the README names: scripts from the
// app's origin, WebAssembly compiled, requests to the origin — no eval, no inline code.
import { test } from "node:test";
import assert from "node:assert/strict";
import { createServer } from "node:http";
import { readFile } from "node:fs/promises";
import { extname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { build } from "vite";
import { chromium } from "playwright-core";

const app = fileURLToPath(new URL("./vite-app/", import.meta.url));
const types = { ".html": "text/html", ".js": "text/javascript", ".wasm": "application/wasm" };
// what crates/wasm/README.md says the package needs
const POLICY = "default-src 'none'; script-src 'self' 'wasm-unsafe-eval'; connect-src 'self'";

test("a Vite-built page imports pgconnect and validates in Chromium", async () => {
  await build({ configFile: join(app, "vite.config.js") });
  const dist = join(app, "dist");
  const server = createServer(async (req, res) => {
    const path = join(dist, req.url === "/" ? "index.html" : decodeURIComponent(req.url.split("?")[0]));
    try {
      const body = await readFile(path);
      res.writeHead(200, {
        "content-type": types[extname(path)] ?? "application/octet-stream",
        "content-security-policy": POLICY,
      });
      res.end(body);
    } catch {
      res.writeHead(404).end();
    }
  });
  await new Promise((r) => server.listen(0, "127.0.0.1", r));
  const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM ?? "/usr/bin/chromium",
    args: ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
      "--disable-sync", "--no-first-run", "--disable-quic"],
  });
  try {
    const page = await browser.newPage();
    const errors = [];
    page.on("pageerror", (e) => errors.push(e.message));
    page.on("console", (m) => { if (m.type() === "error") errors.push(m.text()); });
    await page.goto(`http://127.0.0.1:${server.address().port}/`);
    const result = await page.waitForFunction(() => window.result, null, { timeout: 20000 }).then((h) => h.jsonValue());
    assert.deepEqual(errors, []);
    assert.deepEqual(result, { codes: ["connection/host-has-port", "connection/ssl-mode-default"], host: "db.example.com", scram: true });
  } finally {
    await browser.close();
    server.close();
  }
});
