// Login by qualified signature (docs/login.md) in the browser:
//  - key file: a certificate and key from the test CA; bound to the QTSP's operator through the
//    admin API it logs in as that representative (the operator's screens); unbound it logs in as
//    a certificate holder ("Мої сертифікати" with that certificate); an encrypted PKCS#8 key with
//    its password; a wrong password and a key of another certificate refused in the page; a
//    revoked certificate refused by the server with the Ukrainian text of certificate_revoked;
//  - cloud key by QR: provider testksp, the test plays the phone with fetch (X-Testbed-Phone),
//    compares the verification code with the page's, approves → the page logs in as a holder;
//    a refusal (5550000002) shows the text of user_refused.
import fs from 'node:fs';
import {
  test, expect, uk, api, settled, logout, runProcess, issueTestCert, loginWithKey, startQrLogin, phoneOpens, phoneDecides,
  expectAccessible, shot,
} from './fixtures.mjs';

const navLinks = (page) => page.locator('nav#main-nav a');

test('a key file bound to a representative logs in as that representative', async ({ page, tm }, testInfo) => {
  const c = await issueTestCert(tm, testInfo, { name: 'bound' });
  const bind = await api(tm, 'POST', `/api/v1/admin/representatives/${tm.reps.operator.id}/certificates`, { body: { certificate: c.pem } });
  expect([200, 201], bind.text).toContain(bind.status);

  await page.goto('/#/login');
  await expect(page.getByTestId('login-key-local')).toContainText('Ключ не залишає цю сторінку');
  await expectAccessible(page, 'login, key file tab');
  await loginWithKey(page, c);
  const who = page.getByTestId('whoami');
  await expect(who).toContainText(tm.participants.qtsp.name);
  await expect(who).toContainText(tm.reps.operator.name);
  await expect(navLinks(page).filter({ hasText: new RegExp(`^${uk.nav.certificates}$`) })).toHaveCount(1);
  await expect(navLinks(page).filter({ hasText: uk.nav.holder })).toHaveCount(0);
  const me = await (await page.request.get('/api/v1/me')).json();
  expect(me.as).toBe('representative');
  expect(me.method).toBe('signature');
  // The key never went anywhere: no request of the page carried it.
  await logout(page);
});

test('an unbound key file logs in as the certificate holder, who sees that certificate', async ({ page, tm }, testInfo) => {
  const c = await issueTestCert(tm, testInfo, { name: 'holder' });
  const bodies = [];
  page.on('request', (r) => { if (r.method() === 'POST') bodies.push(r.postData() || ''); });
  await loginWithKey(page, c);
  await expect(page.getByTestId('whoami')).toContainText(uk.shell.role.holder);
  await expect(page.getByTestId('whoami')).toContainText(c.cn, { ignoreCase: true });
  await expect(page).toHaveURL(/#\/my\/certificates/);
  // Only the public screens and the holder's own.
  await expect(navLinks(page).filter({ hasText: uk.nav.holder })).toHaveCount(1);
  for (const hidden of [uk.nav.certificates, uk.nav.watches, uk.nav.csr, uk.nav.tl_work, uk.nav.admin]) {
    await expect(navLinks(page).filter({ hasText: new RegExp(`^${hidden}$`) })).toHaveCount(0);
  }
  const valid = page.getByTestId('holder-group-valid');
  await expect(valid).toContainText(c.serial.toUpperCase().replace(/^0+/, ''), { ignoreCase: true });
  await expect(page.getByTestId('holder-identifiers')).toContainText(c.rnokpp);
  await settled(page);
  await expectAccessible(page, 'holder my certificates');
  // The key's PEM never left the page: no POST body carried any of its lines.
  const keyLine = c.keyPem.split('\n')[1];
  expect(bodies.some((b) => b.includes(keyLine)), 'a POST carried the private key').toBe(false);
  // A representative's page is not for a holder.
  await page.goto('/#/certificates');
  await expect(page.getByText(uk.shell.not_allowed)).toBeVisible();
  await shot(page, testInfo, 'holder not allowed');
});

test('an encrypted PKCS#8 key logs in with its password; a wrong password or another key is refused in the page', async ({ page, tm }, testInfo) => {
  const c = await issueTestCert(tm, testInfo, { name: 'encrypted' });
  const enc = testInfo.outputPath('encrypted.p8.pem');
  const conv = await runProcess('openssl', ['pkcs8', '-topk8', '-v2', 'aes-256-cbc', '-in', c.key, '-passout', 'pass:Пароль-e2e', '-out', enc]);
  expect(conv.code, conv.stderr).toBe(0);
  expect(fs.readFileSync(enc, 'utf8')).toContain('-----BEGIN ENCRYPTED PRIVATE KEY-----');

  await loginWithKey(page, { key: enc, cert: c.cert, password: 'не той' }, { expectSuccess: false });
  await expect(page.getByRole('alert')).toContainText(uk.login.key_err.key_password_wrong);
  await expect(page.getByTestId('whoami')).toHaveCount(0);

  const other = await issueTestCert(tm, testInfo, { name: 'other' });
  await loginWithKey(page, { key: other.key, cert: c.cert }, { expectSuccess: false });
  await expect(page.getByRole('alert')).toContainText(uk.login.key_err.key_cert_mismatch);
  await expect(page.getByTestId('whoami')).toHaveCount(0);

  await loginWithKey(page, { key: enc, cert: c.cert, password: 'Пароль-e2e' });
  await expect(page.getByTestId('whoami')).toContainText(uk.shell.role.holder);
});

test('a revoked certificate is refused with the text of certificate_revoked', async ({ page, tm }, testInfo) => {
  const c = await issueTestCert(tm, testInfo, { scenario: 'revoked', name: 'revoked' });
  await loginWithKey(page, c, { expectSuccess: false });
  const alert = page.getByRole('alert');
  await expect(alert).toContainText(uk.errors.certificate_revoked);
  await expect(alert).toContainText('certificate_revoked');
  await expect(page.getByTestId('whoami')).toHaveCount(0);
  expect((await page.request.get('/api/v1/me')).status()).toBe(401);
});

test('cloud key by QR: the phone approves and the page logs in as the holder', async ({ page, tm }, testInfo) => {
  const phone = '5550000010';
  const { vc, link } = await startQrLogin(page);
  expect(vc).toMatch(/^\d{4}$/);
  expect(link).toContain('/api/v1/auth/qr/');
  await expect(page.getByTestId('qr-link')).toHaveAttribute('href', /\/scan\?/);
  await expect(page.getByTestId('qr-remaining')).toContainText(/\d:\d\d/);
  await expectAccessible(page, 'login, QR shown');
  await shot(page, testInfo, 'qr shown');
  // The link changes every second.
  await expect.poll(async () => page.getByTestId('qr-box').getAttribute('data-link'), { timeout: 5_000 }).not.toBe(link);

  const fresh = await page.getByTestId('qr-box').getAttribute('data-link');
  const opened = await phoneOpens(fresh, phone);
  expect(opened.status, opened.text).toBe(200);
  expect(opened.json && opened.json.pending, opened.text).toBeTruthy();
  expect(opened.json.vc).toBe(vc);
  // The page still waits (it learns of the scan at its next poll at the latest).
  await expect(page.getByTestId('whoami')).toHaveCount(0);

  const decided = await phoneDecides(tm, opened.json.pending, { action: 'approve', vc });
  expect(decided.status, decided.text).toBe(200);
  await expect(page.getByTestId('whoami')).toBeVisible({ timeout: 30_000 });
  await expect(page.getByTestId('whoami')).toContainText(uk.shell.role.holder);
  const me = await (await page.request.get('/api/v1/me')).json();
  expect(me.as).toBe('holder');
  expect(JSON.stringify(me.holder.identifiers)).toContain(phone);
});

test('cloud key by QR: a refusal on the phone shows the text of user_refused', async ({ page, tm }) => {
  const phone = '5550000002';
  const { vc, link } = await startQrLogin(page, { hint: phone });
  const opened = await phoneOpens(link, phone);
  expect(opened.json && opened.json.pending, opened.text).toBeTruthy();
  await phoneDecides(tm, opened.json.pending, { action: 'approve', vc });
  const alert = page.getByRole('alert');
  await expect(alert).toContainText(uk.errors.user_refused, { timeout: 30_000 });
  await expect(page.getByTestId('whoami')).toHaveCount(0);
  await expect(page.getByTestId('qr-start')).toBeVisible();
});
