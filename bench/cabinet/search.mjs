// How long the cabinet's certificate search takes to render, measured by the page itself:
// a capture-phase submit listener takes performance.now() when the search form is
// submitted, a MutationObserver takes it again when the results table holds the row
// searched for (and no spinner is left). Chromium (Debian's), headless, loopback.
// Usage: node bench/cabinet/search.mjs URL TOKEN_FILE VALUES_FILE
//   VALUES_FILE: one search per line: "<attribute>\t<value>\t<text a result row must show>"
// Per attribute: one warm-up search (not counted), then the rest; prints one line per
// search and the median and p95 in milliseconds (one JSON line per attribute at the end).
import { createRequire } from 'node:module';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const require = createRequire(path.join(here, '..', '..', 'web', 'package.json'));
const { chromium } = require('@playwright/test');

const [url, tokenFile, valuesFile] = process.argv.slice(2);
if (!url || !tokenFile || !valuesFile) {
  console.error('usage: search.mjs URL TOKEN_FILE VALUES_FILE');
  process.exit(2);
}
const token = fs.readFileSync(tokenFile, 'utf8').trim();
const values = fs.readFileSync(valuesFile, 'utf8').split('\n').filter(Boolean).map((l) => l.split('\t'));

const browser = await chromium.launch({
  executablePath: process.env.TRUSTMON_CHROMIUM || '/usr/bin/chromium',
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--disable-background-networking',
    '--disable-component-update', '--disable-sync', '--no-first-run'],
});
const page = await (await browser.newContext({ locale: 'uk-UA' })).newPage();
await page.goto(url + '/#/login');
await page.getByTestId('login-token').fill(token);
await page.getByTestId('login-submit').click();
await page.getByTestId('whoami').waitFor();
await page.goto(url + '/#/certificates');
const form = page.getByTestId('search-form');
await form.waitFor();

// Installs the probes for one search; resolves in the page with the elapsed milliseconds.
async function measure(attr, value, expect) {
  await form.locator('select').first().selectOption(attr);
  await page.evaluate(({ expect }) => {
    window.__bench = new Promise((resolve, reject) => {
      const f = document.querySelector('[data-testid="search-form"]');
      let start = null;
      f.addEventListener('submit', () => { start = performance.now(); }, { capture: true, once: true });
      const done = () => {
        if (start === null) return false;
        const r = document.querySelector('[data-testid="search-results"]');
        if (!r || document.querySelector('main .spinner')) return false;
        const rows = r.querySelectorAll('tbody tr');
        if (![...rows].some((tr) => tr.textContent.includes(expect))) return false;
        const ms = performance.now() - start;
        obs.disconnect();
        resolve(ms);
        return true;
      };
      const obs = new MutationObserver(done);
      obs.observe(document.querySelector('main'), { childList: true, subtree: true, characterData: true });
      setTimeout(() => { obs.disconnect(); reject(new Error('no results within 30 s')); }, 30_000);
    });
  }, { expect });
  const input = form.locator('input[type="search"]');
  await input.fill(value);
  await form.locator('button[type="submit"]').click();
  return page.evaluate(() => window.__bench);
}

const byAttr = new Map();
for (const [attr, value, expect] of values) {
  if (!byAttr.has(attr)) byAttr.set(attr, []);
  byAttr.get(attr).push([value, expect]);
}
const summary = [];
for (const [attr, list] of byAttr) {
  await measure(attr, list[0][0], list[0][1]);   // warm-up (caches, JIT), not counted
  const times = [];
  for (const [value, expect] of list.slice(1)) {
    const ms = await measure(attr, value, expect);
    times.push(ms);
    console.log(`${attr}=${value}\t${ms.toFixed(1)} ms`);
  }
  const sorted = [...times].sort((a, b) => a - b);
  const n = sorted.length;
  const median = n % 2 ? sorted[(n - 1) / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2;
  const p95 = sorted[Math.min(n - 1, Math.ceil(0.95 * n) - 1)];
  const r = { attribute: attr, searches: n, median_ms: +median.toFixed(1), p95_ms: +p95.toFixed(1), max_ms: +sorted[n - 1].toFixed(1) };
  console.log(`${attr}: median ${r.median_ms} ms, p95 ${r.p95_ms} ms, max ${r.max_ms} ms over ${n} searches`);
  summary.push(r);
}
await browser.close();
for (const r of summary) console.log(JSON.stringify(r));
