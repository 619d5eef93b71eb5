// The certificate holder's screens (docs/login.md "The holder's pages"), logged in with a key
// file from the test CA:
//  - "Мої сертифікати" lists the login certificate; one click watches the holder's identifiers
//    and a new certificate for them appears in the live panel; the CSV export has it;
//  - a renewal without changes in the data, signed in the page with the key file, gets its
//    number; the QTSP's operator accepts it on "Запити власників"; the new certificate issued for
//    the renewal's CSR makes it "issued" and the old one "replaced";
//  - a revocation request (the document shown by the page, signed by openssl cms -nodetach and
//    uploaded) gets its number; the operator revokes the certificate and the request is done;
//  - axe-core on the holder's screens, in Ukrainian and English.
import fs from 'node:fs';
import {
  test, expect, uk, api, login, settled, runProcess, issueTestCert, loginWithKey, expectAccessible, shot,
} from './fixtures.mjs';

const normSerial = (s) => String(s || '').toUpperCase().replace(/^0+/, '');

test('my certificates lists the login certificate; watching my identifiers shows a new certificate live', async ({ page, tm }, testInfo) => {
  const c = await issueTestCert(tm, testInfo, { name: 'mine' });
  await loginWithKey(page, c);
  await page.goto('/#/my/certificates');
  await settled(page);
  const valid = page.getByTestId('holder-group-valid');
  await expect(valid).toContainText(normSerial(c.serial), { ignoreCase: true });
  await expect(valid).toContainText('test-ecdsa');

  await page.getByTestId('holder-watch-create').click();
  const made = page.getByTestId('holder-watch-made');
  await expect(made).toBeVisible();
  const watches = await (await page.request.get('/api/v1/holder/watches')).json();
  const id = Number(await made.getAttribute('data-id'));
  const w = (watches.watches || []).find((x) => Number(x.id) === id);
  expect(w, JSON.stringify(watches)).toBeTruthy();
  expect(JSON.stringify(w.values)).toContain(c.rnokpp);

  const panel = page.getByTestId('holder-live-panel');
  await expect(panel).toHaveAttribute('data-state', 'open', { timeout: 10_000 });
  const second = await issueTestCert(tm, testInfo, { rnokpp: c.rnokpp, name: 'mine-second' });
  await expect(panel).toContainText(normSerial(second.serial), { ignoreCase: true, timeout: 15_000 });
  await shot(page, testInfo, 'live panel');

  const csv = await page.request.get('/api/v1/holder/certificates?format=csv');
  expect(csv.status()).toBe(200);
  const text = (await csv.text()).toUpperCase();
  expect(text).toContain(normSerial(c.serial));
});

test('a renewal signed in the page gets its number, the provider accepts it, and issuance closes it', async ({ browser, page, tm }, testInfo) => {
  const c = await issueTestCert(tm, testInfo, { name: 'renew' });
  const newKey = testInfo.outputPath('renew-new.key');
  const csrPem = testInfo.outputPath('renew-new.csr.pem');
  for (const args of [['genpkey', '-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256', '-out', newKey],
    ['x509', '-x509toreq', '-in', c.cert, '-key', newKey, '-out', csrPem]]) {
    const r = await runProcess('openssl', args);
    expect(r.code, r.stderr).toBe(0);
  }
  await loginWithKey(page, c);
  await page.goto('/#/my/renewals');
  await settled(page);
  await page.getByTestId('renewal-csr').setInputFiles(csrPem);
  await page.getByTestId('renewal-key').setInputFiles(c.key);
  await page.getByTestId('renewal-cert').setInputFiles(c.cert);
  await page.getByTestId('renewal-submit').click();
  const made = page.getByTestId('renewal-made');
  await expect(made).toBeVisible({ timeout: 15_000 });
  const number = await made.getAttribute('data-number');
  expect(number).toMatch(/^RN-\d+$/);
  await expect(page.getByTestId('renewal-list')).toContainText(number);
  await expectAccessible(page, 'holder renewals');

  // The provider's operator sees it among the holders' requests and accepts it.
  const ctx = await browser.newContext();
  try {
    const op = await ctx.newPage();
    await login(op, tm.tokens.operator);
    await op.goto('/#/requests?tab=renewals');
    await settled(op);
    await expect(op.getByTestId('provider-renewals')).toContainText(number);
    await op.getByTestId('provider-renewals').getByRole('link', { name: number }).click();
    await expect(op.getByTestId('request-state')).toHaveAttribute('data-status', 'submitted');
    await expectAccessible(op, 'operator renewal page');
    await op.getByTestId('request-accept').click();
    await expectAccessible(op, 'operator accept dialog');
    await op.getByRole('dialog').getByRole('button', { name: uk.holder.accept }).click();
    await expect(op.getByTestId('request-state')).toHaveAttribute('data-status', 'accepted');
    await shot(op, testInfo, 'operator accepted');
  } finally {
    await ctx.close();
  }

  // The provider issues the new certificate for the renewal's CSR: the renewal becomes issued.
  const issued = await api(tm, 'POST', '/api/v1/testca/certificates', { token: tm.tokens.operator,
    body: { ca: 'test-ecdsa', profile: 'ua-qes-natural', ids: { rnokpp: c.rnokpp }, subject: { cn: c.cn }, key: { csr: fs.readFileSync(csrPem, 'utf8') } } });
  expect(issued.status, issued.text).toBe(201);
  await page.goto('/#/renewals/' + number);
  await expect.poll(async () => {
    await page.reload();
    return page.getByTestId('request-state').getAttribute('data-status');
  }, { timeout: 15_000 }).toBe('issued');
  await page.goto('/#/my/certificates');
  await settled(page);
  await expect(page.getByTestId('lineage-replaced-by').first()).toBeVisible();
});

test('a revocation request from a signed file gets its number; the provider revokes and it is done', async ({ browser, page, tm }, testInfo) => {
  const c = await issueTestCert(tm, testInfo, { name: 'revoke-me' });
  await loginWithKey(page, c);
  await page.goto('/#/my/revocations');
  await settled(page);
  await page.getByTestId('revocation-reason').selectOption('keyCompromise');
  await page.getByTestId('revocation-how-file').check();
  const doc = JSON.parse(await page.getByTestId('revocation-doc').textContent());
  expect(doc).toEqual({ issuer: 'test-ecdsa', serial: expect.any(String), reason: 'keyCompromise' });
  expect(normSerial(doc.serial)).toBe(normSerial(c.serial));
  const docFile = testInfo.outputPath('revocation-request.json');
  const signed = testInfo.outputPath('revocation-request.p7s');
  fs.writeFileSync(docFile, JSON.stringify(doc));
  const r = await runProcess('openssl', ['cms', '-sign', '-binary', '-nodetach', '-outform', 'DER', '-in', docFile, '-signer', c.cert,
    '-inkey', c.key, '-out', signed]);
  expect(r.code, r.stderr).toBe(0);
  await page.getByTestId('revocation-file').setInputFiles(signed);
  await page.getByTestId('revocation-submit').click();
  const made = page.getByTestId('revocation-made');
  await expect(made).toBeVisible({ timeout: 15_000 });
  const number = await made.getAttribute('data-number');
  expect(number).toMatch(/^RR-\d+$/);
  await expect(page.getByTestId('revocation-list')).toContainText(number);
  await expectAccessible(page, 'holder revocation requests');

  const ctx = await browser.newContext();
  try {
    const op = await ctx.newPage();
    await login(op, tm.tokens.operator);
    await op.goto('/#/requests?tab=revocations');
    await settled(op);
    await op.getByTestId('provider-revocations').getByRole('link', { name: number }).click();
    await expect(op.getByTestId('request-state')).toHaveAttribute('data-status', 'submitted');
    await op.getByTestId('request-revoke').click();
    await op.getByRole('dialog').getByRole('button', { name: uk.holder.revoke_cert_now }).click();
    await expect.poll(async () => {
      await op.reload();
      return op.getByTestId('request-state').getAttribute('data-status');
    }, { timeout: 15_000 }).toBe('done');
  } finally {
    await ctx.close();
  }
  // The holder's session stood on that certificate: it has ended.
  await expect(page.getByTestId('session-ended')).toBeVisible({ timeout: 10_000 });
});

test('the holder\'s screens have no serious accessibility violations, in Ukrainian and English', async ({ page, tm }, testInfo) => {
  const c = await issueTestCert(tm, testInfo, { name: 'a11y' });
  await loginWithKey(page, c);
  const routes = await page.locator('nav#main-nav a').evaluateAll((as) => as.map((a) => a.getAttribute('href')));
  expect(routes).toEqual(expect.arrayContaining(['#/my/certificates', '#/my/renewals', '#/my/revocations']));
  for (const route of routes) {
    await page.goto('/' + route);
    await settled(page);
    await expectAccessible(page, `holder ${route}`);
    await shot(page, testInfo, `holder ${route}`);
  }
  await page.goto('/#/my/certificates');
  await page.getByRole('button', { name: 'ENG' }).click();
  await settled(page);
  await expect(page.getByRole('heading', { level: 1 })).toHaveText('My certificates');
  await expectAccessible(page, 'holder my certificates (en)');
  await page.getByRole('button', { name: 'УКР' }).click();
});
