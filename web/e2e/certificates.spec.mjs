// Certificates (logged in): search by an identifier and open the result (the detail names
// the holder, identifiers and issuer, not only a serial); revoke from the detail screen and
// see the status change there without a reload, then `openssl ocsp` says revoked; a viewer
// is not offered the action.
import fs from 'node:fs';
import path from 'node:path';
import { test, expect, login, settled, runProcess } from './fixtures.mjs';

async function search(page, attr, value) {
  await page.goto('/#/certificates');
  const form = page.getByTestId('search-form');
  await form.getByLabel('Шукати за').selectOption(attr);
  await form.getByLabel('Значення').fill(value);
  await form.getByRole('button', { name: 'Шукати' }).click();
  const results = page.getByTestId('search-results');
  await expect(results).toBeVisible();
  return results;
}

test('search by TINUA identifier and by name, then open the certificate', async ({ page, tm }) => {
  const cert = tm.certs.goodEc[2];
  expect(cert.serialNumber).toMatch(/^TINUA-\d{10}$/);
  await login(page, tm.tokens.operator);

  const byName = await search(page, 'cn', cert.cn);
  await expect(byName.getByRole('link', { name: cert.cn }).first()).toBeVisible();

  const results = await search(page, 'serial_number', cert.serialNumber);
  const rows = results.locator('tbody tr');
  await expect(rows).toHaveCount(1);
  await expect(rows).toContainText(cert.cn);
  await expect(rows).toContainText(cert.serialNumber);
  await expect(rows).toContainText(cert.serialNumber.slice(6));   // the DRFO behind TINUA
  await expect(rows).toContainText('demo-ec');
  await expect(rows).toContainText(cert.serial);
  await rows.getByRole('link', { name: cert.cn }).click();

  await expect(page).toHaveURL(new RegExp(`#/certificates/${cert.sha256}$`));
  await expect(page.getByRole('heading', { level: 1 })).toHaveText(cert.cn);
  await expect(page.getByTestId('cert-status')).toHaveAttribute('data-status', 'valid');
  const main = page.locator('main');
  await expect(main).toContainText(cert.serialNumber);
  await expect(main).toContainText('Trustmon Demo Issuing CA EC');
  await expect(main).toContainText(cert.sha256);
  await expect(main.getByRole('heading', { name: 'Поля сертифіката' })).toBeVisible();
  await expect(main.getByRole('table', { name: 'Розширення' })).toBeVisible();
});

test('a search with no match says what to do', async ({ page, tm }) => {
  await login(page, tm.tokens.operator);
  const results = await search(page, 'drfo', '0000000000');
  await expect(results).toContainText('Сертифікатів не знайдено.');
  await expect(results).toContainText('Перевірте значення');
});

test('revoke from the detail screen: the status changes in place and OCSP says revoked', async ({ page, tm }) => {
  const cert = tm.certs.goodRsa[0];
  await login(page, tm.tokens.operator);
  await page.goto(`/#/certificates/${cert.sha256}`);
  await settled(page);
  const status = page.getByTestId('cert-status');
  await expect(status).toHaveAttribute('data-status', 'valid');
  await page.evaluate(() => { window.__noReload = true; });

  await page.getByTestId('revoke-button').click();
  const dialog = page.getByRole('dialog', { name: 'Скасувати сертифікат?' });
  await expect(dialog).toBeVisible();
  await expect(dialog).toContainText(cert.cn);
  await dialog.getByLabel('Причина скасування').selectOption('keyCompromise');
  await dialog.locator('button.btn-danger').click();

  await expect(status).toHaveAttribute('data-status', 'revoked');
  await expect(status).toContainText('компрометація ключа');
  await expect(page.getByText('Сертифікат скасовано.')).toBeVisible();
  await expect(page.getByTestId('revoke-button')).toHaveCount(0);
  expect(await page.evaluate(() => window.__noReload)).toBe(true);

  const ocsp = await runProcess('openssl', ['ocsp', '-url', `${tm.url}/ocsp`, '-issuer', path.join(tm.pki, 'demo-rsa', 'ca.pem'),
    '-cert', cert.file, '-CAfile', tm.root, '-no_nonce']);
  expect(ocsp.code, ocsp.stderr).toBe(0);
  expect(ocsp.stdout).toContain(`${cert.file}: revoked`);
  expect(ocsp.stdout).toMatch(/Reason: keyCompromise/);
  expect(ocsp.stderr).toContain('Response verify OK');
});

test('a viewer sees the certificate but no status actions', async ({ page, tm }) => {
  const cert = tm.certs.goodRsa[3];
  await login(page, tm.tokens.viewer);
  await page.goto(`/#/certificates/${cert.sha256}`);
  await expect(page.getByTestId('cert-status')).toHaveAttribute('data-status', 'valid');
  await expect(page.getByRole('heading', { level: 1 })).toHaveText(cert.cn);
  await expect(page.getByTestId('revoke-button')).toHaveCount(0);
  await expect(page.getByRole('button', { name: 'Блокувати' })).toHaveCount(0);
});

test('CSV and JSON export of a result set hold every certificate of it', async ({ page, tm }) => {
  await login(page, tm.tokens.operator);
  // The demo-ec certificates the demo's revocation list revoked: a small, exact set (through the API).
  const all = [];
  let cursor = null;
  do {
    const r = await page.request.get(`/api/v1/certificates?issuer=demo-ec&status=revoked&limit=1000${cursor ? '&cursor=' + encodeURIComponent(cursor) : ''}`);
    expect(r.status()).toBe(200);
    const j = await r.json();
    all.push(...j.certificates);
    cursor = j.next_cursor;
  } while (cursor);
  expect(all.length).toBeGreaterThan(0);

  await page.goto('/#/certificates');
  const form = page.getByTestId('search-form');
  await form.getByLabel('Статус', { exact: true }).selectOption('revoked');
  await form.getByLabel('ЦСК', { exact: true }).selectOption('demo-ec');
  await form.getByRole('button', { name: 'Шукати' }).click();
  const results = page.getByTestId('search-results');
  await expect(results.locator('tbody tr')).toHaveCount(Math.min(all.length, 50));

  const [csv] = await Promise.all([page.waitForEvent('download'), results.getByRole('button', { name: 'Експорт CSV' }).click()]);
  expect(csv.suggestedFilename()).toMatch(/\.csv$/);
  const text = fs.readFileSync(await csv.path(), 'utf8');
  const lines = text.replace(/^\uFEFF/, '').trim().split(/\r?\n/);
  expect(lines.length).toBe(all.length + 1);   // a header, then one line per certificate
  for (const c of all.slice(0, 5)) expect(text).toContain(c.sha256);
  await expect(results.getByRole('status').filter({ hasText: `Експортовано ${all.length}` })).toBeVisible();

  const [json] = await Promise.all([page.waitForEvent('download'), results.getByRole('button', { name: 'Експорт JSON' }).click()]);
  const data = JSON.parse(fs.readFileSync(await json.path(), 'utf8'));
  expect(data.certificates.map((c) => c.sha256).sort()).toEqual(all.map((c) => c.sha256).sort());
});
