// scripts/shot.mjs — development aid: opens cabinet pages in Debian's chromium and saves
// screenshots, printing console errors and axe-core's serious/critical findings.
//   BASE=http://127.0.0.1:18111 TOKEN=… OUT=/tmp/shots node scripts/shot.mjs '/#/status' '/#/certificates' …
import { chromium } from '@playwright/test';
import AxeBuilder from '@axe-core/playwright';

const base = process.env.BASE || 'http://127.0.0.1:18111';
const out = process.env.OUT || '/tmp/shots';
const browser = await chromium.launch({
  executablePath: '/usr/bin/chromium',
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
});
const ctx = await browser.newContext({ viewport: { width: Number(process.env.WIDTH || 1280), height: 900 }, locale: 'uk-UA' });
const page = await ctx.newPage();
page.on('console', (m) => { if (m.type() === 'error' || m.type() === 'warning') console.log('console:', m.type(), m.text()); });
page.on('pageerror', (e) => console.log('pageerror:', e.message));
if (process.env.LANG_EN) await page.addInitScript(() => localStorage.setItem('tm.lang', 'en'));
if (process.env.TOKEN) {
  await page.goto(base + '/#/login');
  await page.getByTestId('login-token').fill(process.env.TOKEN);
  await page.getByTestId('login-submit').click();
  await page.getByTestId('whoami').waitFor({ timeout: 5000 });
}
let i = 0;
for (const path of process.argv.slice(2)) {
  await page.goto(base + path);
  await page.waitForTimeout(Number(process.env.WAIT || 1200));
  const name = `${out}/${String(++i).padStart(2, '0')}-${path.replace(/[^a-z0-9]+/gi, '_').slice(0, 40)}.png`;
  await page.screenshot({ path: name, fullPage: !process.env.VIEWPORT_ONLY });
  const axe = await new AxeBuilder({ page }).analyze();
  const bad = axe.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
  console.log(name, bad.length ? 'AXE: ' + bad.map((v) => `${v.id} (${v.nodes.length}: ${v.nodes[0].target})`).join('; ') : 'axe ok');
}
await browser.close();
