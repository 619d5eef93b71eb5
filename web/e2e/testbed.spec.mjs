// The test bed: the QTSP's operator issues a test certificate for a typed identity; the
// private key is offered once as a download (and then gone from the page); the certificate
// downloaded from the same screen matches the key, and the test CA's OCSP (the URL in its
// AIA, this server) says good.
import fs from 'node:fs';
import path from 'node:path';
import { test, expect, login, settled, runProcess } from './fixtures.mjs';

test('issue a test certificate: identifiers shown, key downloadable once, OCSP says good', async ({ page, tm }, testInfo) => {
  await login(page, tm.tokens.operator);
  await page.goto('/#/testbed?tab=issue');
  await settled(page);
  const form = page.getByRole('form', { name: 'Видати тестовий сертифікат' });
  const ca = await form.getByLabel('ЦСК', { exact: true }).inputValue();
  expect(ca).toBeTruthy();
  await form.getByLabel('РНОКПП (ДРФО)').fill('3456789012');
  await form.getByLabel("Ім'я (CN)").fill('Тестенко Марія Іванівна');
  await page.getByTestId('testbed-issue').click();

  const issued = page.getByTestId('testbed-issued');
  await expect(issued).toBeVisible({ timeout: 20_000 });
  await expect(issued).toContainText('TINUA-3456789012');
  await expect(issued).toContainText('Тестенко Марія Іванівна');

  const keyPanel = page.getByTestId('testbed-key');
  await expect(keyPanel).toContainText('Закритий ключ видається лише один раз.');
  const [keyDl] = await Promise.all([page.waitForEvent('download'), page.getByTestId('testbed-key-download').click()]);
  const keyFile = testInfo.outputPath('test.key.pem');
  await keyDl.saveAs(keyFile);
  expect(fs.readFileSync(keyFile, 'utf8')).toContain('PRIVATE KEY-----');
  await expect(keyPanel).toHaveCount(0);
  await expect(page.getByText('Закритий ключ завантажено й прибрано зі сторінки.')).toBeVisible();

  const [certDl] = await Promise.all([page.waitForEvent('download'), issued.getByRole('button', { name: 'Завантажити сертифікат', exact: true }).click()]);
  const certFile = testInfo.outputPath('test.pem');
  await certDl.saveAs(certFile);
  const pubFromCert = await runProcess('openssl', ['x509', '-in', certFile, '-noout', '-pubkey']);
  const pubFromKey = await runProcess('openssl', ['pkey', '-in', keyFile, '-pubout']);
  expect(pubFromCert.code, pubFromCert.stderr).toBe(0);
  expect(pubFromCert.stdout).toBe(pubFromKey.stdout);

  const uri = (await runProcess('openssl', ['x509', '-in', certFile, '-noout', '-ocsp_uri'])).stdout.trim();
  expect(uri.startsWith(tm.url), `OCSP URL in the AIA: ${uri}`).toBe(true);
  const testbed = path.join(tm.dir, 'data', 'testbed');
  const ocsp = await runProcess('openssl', ['ocsp', '-url', uri, '-issuer', path.join(testbed, ca, 'ca.pem'), '-cert', certFile,
    '-CAfile', path.join(testbed, 'root.pem')]);
  expect(ocsp.code, ocsp.stderr).toBe(0);
  expect(ocsp.stdout).toContain(`${certFile}: good`);
});
