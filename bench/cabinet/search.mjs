// How long the cabinet's certificate search takes to render, measured by the page itself:
// a capture-phase submit listener takes performance.now() when the search form is
// submitted, a MutationObserver takes it again when the results table holds the row
// searched for (and no spinner is left). Chromium (Debian's), headless, loopback.
// Usage: node bench/cabinet/search.mjs URL TOKEN_FILE VALUES_FILE [ATTR]
//   VALUES_FILE: one expected value per line: "<value>\t<text the result row must show>"
// Prints one line per search and the median and p95 in milliseconds (JSON on the last line).
import { createRequire } from 'node:module';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const require = createRequire(path.join(here, '..', '..', 'web', 'package.json'));
const { chromium } = require('@playwright/test');

const [url, tokenFile, valuesFile, attr = 'serial_number'] = process.argv.slice(2);
if (!url || !tokenFile || !valuesFile) {
  console.error('usage: search.mjs URL TOKEN_FILE VALUES_FILE [ATTR]');
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
await form.locator('select').first().selectOption(attr);

// Installs the probes for one search; resolves in the page with the elapsed milliseconds.
async function measure(value, expect) {
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

// One warm-up search (caches, JIT), not counted.
await measure(values[0][0], values[0][1]);
const times = [];
for (const [value, expect] of values.slice(1)) {
  const ms = await measure(value, expect);
  times.push(ms);
  console.log(`${value}\t${ms.toFixed(1)} ms`);
}
await browser.close();
const sorted = [...times].sort((a, b) => a - b);
const q = (p) => sorted[Math.min(sorted.length - 1, Math.ceil(p * sorted.length) - 1)];
const n = sorted.length;
const median = n % 2 ? sorted[(n - 1) / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2;
const result = { searches: times.length, median_ms: +median.toFixed(1), p95_ms: +q(0.95).toFixed(1), max_ms: +sorted[sorted.length - 1].toFixed(1) };
console.log(`median ${result.median_ms} ms, p95 ${result.p95_ms} ms, max ${result.max_ms} ms over ${result.searches} searches`);
console.log(JSON.stringify(result));
