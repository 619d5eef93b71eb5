// Fixtures and helpers shared by the specs: `tm` (the server's state written by
// global-setup.mjs: url, tokens, token files, certificate files), baseURL pointed at that
// server, a screenshot of every test's page at its end (e2e/screenshots/), the axe-core
// scan, logging in through the login screen, and calls to the JSON API and trustmonctl.
import { test as base, expect } from '@playwright/test';
import AxeBuilder from '@axe-core/playwright';
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
export const screenshotDir = path.join(here, 'screenshots');
// The Ukrainian labels (the default language), for texts the tests look for.
export const uk = JSON.parse(fs.readFileSync(path.join(here, '..', 'src', 'i18n', 'uk.json'), 'utf8'));

function loadState() {
  const file = process.env.TM_E2E_STATE;
  if (!file || !fs.existsSync(file)) throw new Error('TM_E2E_STATE is not set: run through playwright.config.mjs (global setup)');
  return JSON.parse(fs.readFileSync(file, 'utf8'));
}

function slug(s) {
  return s.replace(/[^\p{L}\p{N}]+/gu, '-').replace(/^-|-$/g, '').toLowerCase().slice(0, 60);
}

export const test = base.extend({
  tm: [async ({}, use) => { await use(loadState()); }, { scope: 'worker' }],
  baseURL: async ({ tm }, use) => { await use(tm.url); },
  // Every test leaves a screenshot of its page.
  autoShot: [async ({ page }, use, testInfo) => {
    await use();
    fs.mkdirSync(screenshotDir, { recursive: true });
    const name = `${slug(path.basename(testInfo.file, '.spec.mjs'))}--${slug(testInfo.title)}.png`;
    await page.screenshot({ path: path.join(screenshotDir, name), fullPage: true }).catch(() => {});
  }, { auto: true }],
});
export { expect };

// A screenshot under a name of the test's own (for the second browser context of a test).
export async function shot(page, testInfo, label) {
  fs.mkdirSync(screenshotDir, { recursive: true });
  const name = `${slug(path.basename(testInfo.file, '.spec.mjs'))}--${slug(testInfo.title)}--${slug(label)}.png`;
  await page.screenshot({ path: path.join(screenshotDir, name), fullPage: true });
}

// axe-core on the page as it is: no violation of impact serious or critical.
export async function expectAccessible(page, label) {
  const results = await new AxeBuilder({ page }).analyze();
  const bad = results.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
  const text = bad.map((v) => `${v.impact} ${v.id}: ${v.help}\n` +
    v.nodes.slice(0, 5).map((n) => `    ${n.target.join(' ')} — ${n.failureSummary?.split('\n').slice(1).join('; ')}`).join('\n')).join('\n');
  expect(bad, `axe-core on ${label}:\n${text}`).toEqual([]);
}

// Logs in through the login screen with an API token; waits for "who am I".
export async function login(page, token) {
  await page.goto('/#/login');
  await page.getByTestId('login-token').fill(token);
  await page.getByTestId('login-submit').click();
  await expect(page.getByTestId('whoami')).toBeVisible();
}

// The JSON API with a bearer token (the test's own side channel, not the browser's).
export async function api(tm, method, p, { token = tm.bootstrap, body, headers = {} } = {}) {
  const r = await fetch(tm.url + p, {
    method,
    headers: { ...(token ? { Authorization: `Bearer ${token}` } : {}), ...(body !== undefined ? { 'Content-Type': 'application/json' } : {}), ...headers },
    body: body === undefined ? undefined : (typeof body === 'string' ? body : JSON.stringify(body)),
  });
  const text = await r.text();
  let json = null;
  try { json = text ? JSON.parse(text) : null; } catch { /* not JSON */ }
  return { status: r.status, headers: r.headers, text, json };
}

// A child process; resolves with {code, stdout, stderr} (never throws on a non-zero exit).
export function runProcess(file, args, opts = {}) {
  return new Promise((resolve) => {
    execFile(file, args, { encoding: 'utf8', timeout: 60_000, ...opts }, (err, stdout, stderr) => {
      resolve({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, stdout, stderr });
    });
  });
}

// trustmonctl against the test server with a token file (default: the bootstrap token).
export function trustmonctl(tm, args, tokenFile = tm.adminTokenFile) {
  return runProcess(tm.ctl, ['--server', tm.url, '--token-file', tokenFile, ...args]);
}

// Waits until the screen has rendered and nothing is loading any more (no spinner, no busy
// button). Not networkidle: the session's event stream stays open.
export async function settled(page) {
  await expect(page.locator('main[data-screen]')).toBeVisible();
  await expect(page.locator('main .spinner, main [aria-busy="true"]')).toHaveCount(0, { timeout: 15_000 });
}

// Logs out through the header button and waits until the cabinet is back on a public screen.
export async function logout(page) {
  await page.getByTestId('logout').click();
  await expect(page.getByTestId('whoami')).toHaveCount(0);
  await expect(page).toHaveURL(/#\/status/);
}

// ---- signature login (docs/login.md) --------------------------------------------------------

// A fresh 10-digit RNOKPP outside the test bed's deterministic tables (300000000N, 55500000NN).
export function freshRnokpp() {
  return '31' + String(Date.now() % 1e8).padStart(8, '0');
}

// Unique identifiers within a run (the server is fresh each run), outside the test bed's tables:
// an RNOKPP 32NNNNNNNN and an EDRPOU code 3NNNNNNN.
const idBase = Date.now();
let idSeq = 0;
export function uniqueRnokpp() { idSeq += 1; return '32' + String((idBase + idSeq) % 1e8).padStart(8, '0'); }
export function uniqueEdrpou() { idSeq += 1; return '3' + String((idBase + idSeq) % 1e7).padStart(7, '0'); }

// A certificate and its generated key from the test CA (POST /api/v1/testca/certificates, as the
// QTSP's operator), written to the test's output folder: { serial, cert, key, pem, keyPem, rnokpp, sha256 }.
// profile 'ua-qes-representative' with edrpou (and o): a person acting for a legal entity (a head):
// organizationIdentifier NTRUA-<edrpou> beside serialNumber TINUA-<rnokpp>.
export async function issueTestCert(tm, testInfo, { rnokpp = freshRnokpp(), scenario = 'valid', cn, ca = 'test-ecdsa', key = 'ec-p256', name,
  profile = 'ua-qes-natural', edrpou, o } = {}) {
  const body = { ca, profile, scenario, ids: { rnokpp }, subject: { cn: cn || `Тестенко Підписувач ${rnokpp.slice(-4)}` }, key: { generate: key } };
  if (edrpou) body.ids.edrpou = edrpou;
  if (o) body.subject.o = o;
  const r = await api(tm, 'POST', '/api/v1/testca/certificates', { token: tm.tokens.operator, body });
  expect(r.status, r.text).toBe(201);
  const base = name || `${scenario}-${rnokpp}`;
  const cert = testInfo.outputPath(`${base}.pem`);
  const keyFile = testInfo.outputPath(`${base}.key.pem`);
  fs.mkdirSync(path.dirname(cert), { recursive: true });
  fs.writeFileSync(cert, r.json.certificate);
  fs.writeFileSync(keyFile, r.json.private_key, { mode: 0o600 });
  const { X509Certificate } = await import('node:crypto');
  const x = new X509Certificate(r.json.certificate);
  return { serial: r.json.serial || x.serialNumber, cert, key: keyFile, pem: r.json.certificate, keyPem: r.json.private_key, rnokpp, edrpou,
    sha256: x.fingerprint256.replace(/:/g, '').toLowerCase(), cn: body.subject.cn, der: x.raw };
}

// Logs in on the login screen with a key file and its certificate (the "Файловий ключ" tab).
export async function loginWithKey(page, { key, cert, password }, { expectSuccess = true } = {}) {
  await page.goto('/#/login');
  await page.getByRole('tab', { name: uk.login.key_tab }).click();
  await page.getByTestId('login-key-file').setInputFiles(key);
  if (password !== undefined) await page.getByTestId('login-key-password').fill(password);
  if (cert) await page.getByTestId('login-cert-file').setInputFiles(cert);
  await page.getByTestId('login-key-submit').click();
  if (expectSuccess) await expect(page.getByTestId('whoami')).toBeVisible({ timeout: 15_000 });
}

// The scripted phone of the test cloud key store (docs/testbed.md): opens the QR link as the
// holder's phone (X-Testbed-Phone), following the redirects by hand to the key store's
// authorisation, which answers {"pending": id, "vc", …}.
export async function phoneOpens(link, phone) {
  let url = link;
  for (let hop = 0; hop < 8; hop++) {
    const r = await fetch(url, { redirect: 'manual', headers: { 'X-Testbed-Phone': phone } });
    if (r.status >= 300 && r.status < 400) { url = new URL(r.headers.get('location'), url).href; continue; }
    const text = await r.text();
    let json = null;
    try { json = JSON.parse(text); } catch { /* not JSON */ }
    return { status: r.status, json, text, url };
  }
  throw new Error('too many redirects from ' + link);
}

// The phone decides ({"action":"approve"|"refuse","vc"}) and follows the redirect back to trustmon.
export async function phoneDecides(tm, pendingId, body) {
  const r = await fetch(`${tm.url}/testbed/ksp/approvals/${encodeURIComponent(pendingId)}`, {
    method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body),
  });
  const text = await r.text();
  let json = null;
  try { json = JSON.parse(text); } catch { /* not JSON */ }
  if (!r.ok || !json || !json.redirect) return { status: r.status, json, text };
  let url = json.redirect;
  let back;
  for (let hop = 0; hop < 8; hop++) {
    back = await fetch(url, { redirect: 'manual' });
    if (back.status >= 300 && back.status < 400) { url = new URL(back.headers.get('location'), url).href; continue; }
    break;
  }
  return { status: r.status, json, callback: back ? back.status : 0, callbackText: back ? await back.text() : '' };
}

// Starts a cloud-key login on the login screen; returns the page's verification code and link.
export async function startQrLogin(page, { provider = 'testksp', hint } = {}) {
  await page.goto('/#/login');
  await page.getByRole('tab', { name: uk.login.qr_tab }).click();
  await page.getByTestId('qr-provider').selectOption(provider);
  if (hint) await page.getByTestId('qr-hint').fill(hint);
  await page.getByTestId('qr-start').click();
  await expect(page.getByTestId('qr-code')).toBeVisible();
  const vc = (await page.getByTestId('qr-vc').textContent()).trim();
  const link = await page.getByTestId('qr-box').getAttribute('data-link');
  return { vc, link };
}
