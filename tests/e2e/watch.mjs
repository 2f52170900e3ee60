// What both browser tests watch on every page they open: an uncaught error fails the test, and
// each refusal by the page's Content-Security-Policy (Chromium logs one to the console per
// blocked script, style, request or frame) is kept, so a test can assert there were none.

/** Watches `page`; returns the list the policy's refusals are added to. */
export function watch(page) {
  const refused = [];
  page.on('pageerror', (e) => { throw e; });
  page.on('console', (m) => {
    if (m.type() === 'error' && m.text().includes('Content Security Policy')) refused.push(m.text());
  });
  return refused;
}
