// Public screens (no login): certificate status by a pasted PEM (good and revoked), by
// issuer and serial; the trusted list browser (signature check, providers, services); CA
// downloads whose links really serve the certificates.
import fs from 'node:fs';
import { X509Certificate } from 'node:crypto';
import { test, expect, settled, uk } from './fixtures.mjs';

async function checkPem(page, file) {
  await page.goto('/#/status');
  await page.getByRole('tab', { name: 'За сертифікатом' }).click();
  await page.getByLabel('Сертифікат у форматі PEM').fill(fs.readFileSync(file, 'utf8'));
  await page.getByRole('button', { name: 'Перевірити' }).click();
  return page.getByTestId('cert-status');
}

test('status of a good certificate by PEM paste names the holder, the issuer and what OCSP says', async ({ page, tm }) => {
  const cert = tm.certs.goodEc[1];
  const result = await checkPem(page, cert.file);
  await expect(result).toHaveAttribute('data-status', 'good');
  await expect(result).toContainText(cert.cn);
  await expect(result).toContainText(cert.serial);
  await expect(result).toContainText('demo-ec');
  await expect(result).toContainText(cert.sha256);
  await expect(result.getByText('чинний').first()).toBeVisible();
});

test('status of a revoked certificate by PEM paste shows the revocation and the reason', async ({ page, tm }) => {
  const cert = tm.certs.revokedRsa;
  const result = await checkPem(page, cert.file);
  await expect(result).toHaveAttribute('data-status', 'revoked');
  await expect(result).toContainText(cert.cn);
  await expect(result).toContainText('Причина');
  await expect(result).toContainText(uk.common.reason[cert.reason]);
});

test('status by issuer and serial; garbage instead of a certificate shows the API message', async ({ page, tm }) => {
  const cert = tm.certs.goodRsa[2];
  await page.goto('/#/status');
  await page.getByRole('tab', { name: 'За ЦСК і серійним номером' }).click();
  await page.getByLabel('ЦСК (видавець)').selectOption('demo-rsa');
  await page.getByLabel('Серійний номер').fill(cert.serial.match(/.{1,2}/g).join(':'));
  await page.getByRole('button', { name: 'Перевірити' }).click();
  await expect(page.getByTestId('cert-status')).toHaveAttribute('data-status', 'good');
  await expect(page.getByTestId('cert-status')).toContainText(cert.serial);

  const bad = await page.request.post('/api/v1/status', { data: 'not a certificate', headers: { 'Content-Type': 'application/x-pem-file' } });
  expect(bad.status()).toBe(400);
  const message = (await bad.json()).error.message;
  await page.getByRole('tab', { name: 'За сертифікатом' }).click();
  await page.getByLabel('Сертифікат у форматі PEM').fill('not a certificate');
  await page.getByRole('button', { name: 'Перевірити' }).click();
  await expect(page.getByRole('alert')).toContainText(message);
  await expect(page.getByTestId('cert-status')).toHaveCount(0);
});

test('trusted list browser shows the signed list, its providers and their services', async ({ page, tm }) => {
  const view = await (await page.request.get('/api/v1/tl/ua/view')).json();
  expect(view.signature.valid).toBe(true);
  await page.goto('/#/trusted-list');
  await settled(page);
  await expect(page.getByTestId('tl-signature')).toContainText('підпис чинний');
  await expect(page.getByTestId('tl-signature')).toContainText('TL signer');
  await expect(page.locator('main')).toContainText(String(view.sequence));
  const provider = view.providers.find((p) => p.trade_name === 'NTRUA-43395033') || view.providers[0];
  await page.getByLabel('Пошук надавача чи послуги').fill(provider.name.slice(0, 20));
  const entry = page.locator('details', { hasText: provider.name }).first();
  await entry.locator('summary').click();
  await expect(entry).toContainText(provider.services[0].name);
  await expect(page.getByRole('heading', { name: `Надавачі (${view.providers.length})` })).toBeVisible();
});

test('CA downloads serve the bundle, the JSON list and each issuer CA certificate', async ({ page, tm }) => {
  await page.goto('/#/downloads');
  await settled(page);
  const hrefs = await page.locator('main a[href]').evaluateAll((as) => as.map((a) => a.getAttribute('href')));
  expect(hrefs).toEqual(expect.arrayContaining(['/certs/CACertificates.p7b', '/certs/CAs.json']));
  const p7b = await page.request.get('/certs/CACertificates.p7b');
  expect(p7b.status()).toBe(200);
  const cas = await page.request.get('/certs/CAs.json');
  expect(cas.status()).toBe(200);
  for (const name of ['demo-rsa', 'demo-ec']) {
    const link = page.getByRole('link', { name: `Завантажити сертифікат ЦСК ${name}` });
    await expect(link).toBeVisible();
    const href = await link.getAttribute('href');
    const r = await page.request.get(href);
    expect(r.status(), href).toBe(200);
    const der = await r.body();
    const x = new X509Certificate(der);
    const expected = new X509Certificate(fs.readFileSync(`${tm.pki}/${name}/ca.pem`));
    expect(x.fingerprint256).toBe(expected.fingerprint256);
  }
});

test('status by an uploaded DER file', async ({ page, tm }) => {
  const cert = tm.certs.goodRsa[4];
  const der = new X509Certificate(fs.readFileSync(cert.file)).raw;
  await page.goto('/#/status');
  await page.getByRole('tab', { name: 'За сертифікатом' }).click();
  await page.getByLabel('Або файл сертифіката').setInputFiles({ name: `${cert.serial}.cer`, mimeType: 'application/pkix-cert', buffer: der });
  await page.getByRole('button', { name: 'Перевірити' }).click();
  const result = page.getByTestId('cert-status');
  await expect(result).toHaveAttribute('data-status', 'good');
  await expect(result).toContainText(cert.cn);
  await expect(result).toContainText(cert.sha256);
});

test('Ukrainian by default, English on request, and the choice is kept', async ({ page }) => {
  await page.goto('/#/status');
  await expect(page.getByRole('heading', { level: 1 })).toHaveText('Перевірка статусу сертифіката');
  await expect(page.locator('html')).toHaveAttribute('lang', 'uk');
  await page.getByRole('button', { name: 'ENG' }).click();
  await expect(page.getByRole('heading', { level: 1 })).toHaveText('Certificate status check');
  await expect(page.getByRole('navigation').getByRole('link', { name: 'Certificate status' })).toBeVisible();
  await expect(page.locator('html')).toHaveAttribute('lang', 'en');
  await page.reload();
  await expect(page.getByRole('heading', { level: 1 })).toHaveText('Certificate status check');
  await page.getByRole('button', { name: 'УКР' }).click();
  await expect(page.getByRole('heading', { level: 1 })).toHaveText('Перевірка статусу сертифіката');
});
