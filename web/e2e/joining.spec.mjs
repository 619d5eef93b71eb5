// Joining by signed applications (docs/joining.md) in the browser. Every test has organisations
// and people of its own (EDRPOU 3NNNNNNN, RNOKPP 32NNNNNNNN, unique within the run); the heads'
// certificates come from the test CA with profile ua-qes-representative (organizationIdentifier
// NTRUA-<EDRPOU>, serialNumber TINUA-<RNOKPP>), the representatives' with ua-qes-natural.
//  - join + grant filed on "Приєднання" without an account (reached from the login screen),
//    signed in the page with the head's key file: the number and the secret shown once; the status
//    by number and secret is pending; the central body's admin approves it in "Заявки на
//    приєднання"; the status is approved; each representative logs in with their own key file by
//    signature as a representative of the new participant (by the identifier credential, and by
//    the bound certificate);
//  - the same document signed by the head of another organisation (openssl cms -nodetach, the
//    .p7s uploaded) is refused with the text of signer_not_of_organisation;
//  - a wrong secret and an unknown number are "not found"; a central-body viewer sees the queue
//    without the decision buttons, a QTSP's operator not at all; a rejection's reason shows in the
//    status;
//  - a grant (the organisation named by its code only) and then a block for a participant that
//    exists, both filed in the page: the representative logs in, and the block's approval ends
//    that session at once;
//  - a QTSP's CA certificates from PEM and DER files, each shown by subject, go into the document;
//  - a cloud key through a QR link (the test key store, the test plays the phone with fetch):
//    a join of the test organisation (EDRPOU 55500012) signed on the phone by its head
//    (5550000012) is filed → the number and the secret, the status pending (filed only, never
//    approved: a later join of that code would be participant_exists); the same signed on the
//    phone by 5550000001, a person of no organisation → the text of signer_not_of_organisation;
//  - axe-core on the joining screen (form, review, status; Ukrainian and English), the secret
//    panel, the QR panel, the queue and an application's page.
import fs from 'node:fs';
import path from 'node:path';
import {
  test, expect, uk, api, login, logout, settled, runProcess, issueTestCert, loginWithKey, expectAccessible, shot,
  uniqueEdrpou, uniqueRnokpp, phoneOpens, phoneDecides,
} from './fixtures.mjs';

// The document's canonical form, written independently of the page (Python's json.dumps with
// sort_keys and compact separators, as docs/joining.md has it).
function canonical(v) {
  if (Array.isArray(v)) return '[' + v.map(canonical).join(',') + ']';
  if (v && typeof v === 'object') {
    return '{' + Object.keys(v).sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)))
      .map((k) => JSON.stringify(k) + ':' + canonical(v[k])).join(',') + '}';
  }
  return JSON.stringify(v);
}

// A head of an organisation: a qualified certificate naming the organisation's code.
function issueHead(tm, testInfo, code, label) {
  return issueTestCert(tm, testInfo, { profile: 'ua-qes-representative', edrpou: code, rnokpp: uniqueRnokpp(),
    o: `ТОВ «${label} ${code}»`, cn: `Керівник ${label} ${code.slice(-4)}`, name: `head-${code}` });
}

// Fills the application form on #/joining and prepares the document; returns its text and object.
async function prepare(page, { action, code, name, kind, reps = [], block }) {
  await page.goto('/#/joining');
  await settled(page);
  // After a filing the page shows its number and secret until another application is begun.
  if (await page.getByTestId('joining-another').count()) await page.getByTestId('joining-another').click();
  await page.getByTestId('joining-action-' + action).check();
  if (name !== undefined) await page.getByTestId('joining-org-name').fill(name);
  await page.getByTestId('joining-org-code').fill(code);
  if (kind) await page.getByTestId('joining-org-kind').selectOption(kind);
  for (let i = 0; i < reps.length; i++) {
    if (i > 0) await page.getByTestId('joining-rep-add').click();
    const row = page.getByTestId('joining-rep').nth(i);
    await row.getByTestId('joining-rep-name').fill(reps[i].name);
    await row.getByTestId('joining-rep-tin').fill(reps[i].tin);
    await row.getByTestId('joining-rep-role').selectOption(reps[i].role);
    if (reps[i].cert) {
      await row.getByTestId('joining-rep-cert').setInputFiles(reps[i].cert.cert);
      await expect(row.getByTestId('joining-rep-cert-subject')).toContainText(reps[i].cert.cn);
      await expect(row.getByTestId('joining-rep-cert-mismatch')).toHaveCount(0);
    }
  }
  if (block) {
    await page.getByTestId('joining-block-tin').fill(block.tin);
    await page.getByTestId('joining-block-reason').fill(block.reason);
  }
  await page.getByTestId('joining-prepare').click();
  await expect(page.getByTestId('joining-review')).toBeVisible();
  const text = await page.getByTestId('joining-doc').textContent();
  return { text, doc: JSON.parse(text) };
}

// Signs the prepared document in the page with a key file and files it.
async function signAndFile(page, c) {
  await page.getByTestId('joining-how-here').check();
  await page.getByTestId('joining-key').setInputFiles(c.key);
  await page.getByTestId('joining-cert').setInputFiles(c.cert);
  await expect(page.getByTestId('joining-signer-cert')).toContainText(c.cn);
  await page.getByTestId('joining-submit').click();
}

// The test key store's organisation (docs/testbed.md): its head's cloud key (5550000012) carries
// NTRUA-55500012; 5550000001 is a person of no organisation.
const KSP_ORG = '55500012';
const KSP_HEAD = '5550000012';
const KSP_PERSON = '5550000001';

// Starts signing the prepared document with a cloud key ("Хмарний ключ (QR)"): the provider, the
// optional hint, the QR panel; returns the page's verification code and current link.
async function startQrSign(page, { provider = 'testksp', hint } = {}) {
  await page.getByTestId('joining-how-qr').check();
  await page.getByTestId('joining-qr-provider').selectOption(provider);
  if (hint) await page.getByTestId('joining-qr-hint').fill(hint);
  await expect(page.getByTestId('joining-submit')).toHaveText(uk.joining.qr_start);
  await page.getByTestId('joining-submit').click();
  await expect(page.getByTestId('joining-qr-code')).toBeVisible();
  const vc = (await page.getByTestId('joining-qr-vc').textContent()).trim();
  const link = await page.getByTestId('joining-qr-box').getAttribute('data-link');
  return { vc, link };
}

// The phone opens the page's current link as `phone`, sees the same code and approves.
async function phoneSigns(page, tm, phone, vc) {
  const link = await page.getByTestId('joining-qr-box').getAttribute('data-link');
  const opened = await phoneOpens(link, phone);
  expect(opened.status, opened.text).toBe(200);
  expect(opened.json && opened.json.pending, opened.text).toBeTruthy();
  expect(opened.json.vc).toBe(vc);
  const decided = await phoneDecides(tm, opened.json.pending, { action: 'approve', vc });
  expect(decided.status, decided.text).toBe(200);
  return decided;
}

// The number and the secret the page shows once.
async function filed(page) {
  const made = page.getByTestId('joining-made');
  await expect(made).toBeVisible({ timeout: 15_000 });
  const number = (await page.getByTestId('joining-number').textContent()).trim();
  const secret = (await page.getByTestId('joining-secret').textContent()).trim();
  expect(number).toMatch(/^JA-\d+$/);
  expect(secret.length).toBeGreaterThanOrEqual(16);
  return { number, secret };
}

// "Стан заявки" by number and secret; returns the status panel (or the error box when refused).
async function status(page, number, secret) {
  await page.goto('/#/joining?tab=status');
  await page.getByTestId('joining-status-number').fill(number);
  await page.getByTestId('joining-status-secret').fill(secret);
  await page.getByTestId('joining-status-submit').click();
  const panel = page.getByTestId('joining-status').or(page.getByTestId('joining-status-error'));
  await expect(panel).toBeVisible({ timeout: 10_000 });
  return panel;
}

// A second browser as the central body's administrator (a token session).
async function asCentral(browser, tm, token = tm.tokens.central) {
  const ctx = await browser.newContext();
  const page = await ctx.newPage();
  await login(page, token);
  return { ctx, page };
}

test('join + grant signed in the page is approved by the central body; the representatives log in by signature', async ({ browser, page, tm }, testInfo) => {
  test.setTimeout(120_000);
  const code = uniqueEdrpou();
  const orgName = `ТОВ «Приєднання ${code}»`;
  const head = await issueHead(tm, testInfo, code, 'Приєднання');
  const repA = await issueTestCert(tm, testInfo, { rnokpp: uniqueRnokpp(), cn: `Операторенко Анна ${code.slice(-3)}`, name: 'rep-a' });
  const repB = await issueTestCert(tm, testInfo, { rnokpp: uniqueRnokpp(), cn: `Переглядач Богдан ${code.slice(-3)}`, name: 'rep-b' });

  // Without an account: from the login screen's link (and the public menu).
  await page.goto('/#/login');
  await expect(page.locator('nav#main-nav a[href="#/joining"]')).toHaveCount(1);
  await page.getByTestId('login-joining-link').click();
  await expect(page.locator('main[data-screen="joining"]')).toBeVisible();
  await expect(page.getByRole('heading', { level: 1 })).toHaveText(uk.joining.title);
  await expectAccessible(page, 'joining form');

  const { text, doc } = await prepare(page, {
    action: 'join_grant', code, name: orgName, kind: 'system_owner',
    reps: [{ name: repA.cn, tin: repA.rnokpp, role: 'operator', cert: repA }, { name: repB.cn, tin: repB.rnokpp, role: 'viewer' }],
  });
  expect(doc).toEqual({
    date: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/), format: 'trustmon-joining/1', kinds: ['join', 'grant'],
    organisation: { code, kind: 'system_owner', name: orgName },
    representatives: [
      { certificate: repA.der.toString('base64'), name: repA.cn, role: 'operator', tin: repA.rnokpp },
      { name: repB.cn, role: 'viewer', tin: repB.rnokpp },
    ],
  });
  expect(text).toBe(canonical(doc));
  await expectAccessible(page, 'joining review');
  await shot(page, testInfo, 'review');

  await signAndFile(page, head);
  const { number, secret } = await filed(page);
  await expect(page.getByTestId('joining-secret-warning')).toContainText(uk.joining.secret_once);
  await expect(page.getByTestId('joining-copy-number')).toBeVisible();
  await expect(page.getByTestId('joining-copy-secret')).toBeVisible();
  await expectAccessible(page, 'joining secret panel');
  await shot(page, testInfo, 'number and secret');

  // The status by number and secret (the page carries them over to the status tab).
  await page.getByTestId('joining-to-status').click();
  await expect(page.getByTestId('joining-status-number')).toHaveValue(number);
  await page.getByTestId('joining-status-submit').click();
  await expect(page.getByTestId('joining-status')).toHaveAttribute('data-state', 'pending');
  await expectAccessible(page, 'joining status pending');

  // The central body's admin: the queue (pending by default), the application, approve.
  const central = await asCentral(browser, tm);
  let participant;
  try {
    const op = central.page;
    await expect(op.locator('nav#main-nav a[href="#/joining-applications"]')).toHaveCount(1);
    await op.goto('/#/joining-applications');
    await settled(op);
    const queue = op.getByTestId('joining-queue-table');
    await expect(queue).toContainText(number);
    await expect(queue).toContainText(orgName);
    await expectAccessible(op, 'joining queue');
    await queue.getByRole('link', { name: number, exact: true }).click();
    await settled(op);
    await expect(op.getByTestId('joining-detail-state')).toHaveAttribute('data-status', 'pending');
    await expect(op.getByTestId('joining-detail-org')).toHaveText(orgName);
    await expect(op.getByTestId('joining-signer-org')).toHaveText('NTRUA-' + code);
    await expect(op.getByTestId('joining-signer-name')).toContainText(head.cn);
    await expect(op.getByTestId('joining-detail-reps')).toContainText(repA.rnokpp);
    await expect(op.getByTestId('joining-detail-reps')).toContainText(repA.cn);
    await expect(op.getByTestId('joining-check-filed')).toHaveAttribute('data-ok', 'true');
    await expect(op.getByTestId('joining-check-now')).toHaveAttribute('data-ok', 'true');
    await expectAccessible(op, 'joining application');
    // The signed bytes as filed: the CMS that encapsulates exactly the reviewed document.
    const href = await op.getByTestId('joining-signed').getAttribute('href');
    const signed = await op.request.get(href);
    expect(signed.status()).toBe(200);
    expect(signed.headers()['content-type']).toContain('pkcs7');
    const p7s = testInfo.outputPath(number + '.p7s');
    fs.writeFileSync(p7s, await signed.body());
    const content = await runProcess('openssl', ['cms', '-verify', '-noverify', '-inform', 'DER', '-in', p7s, '-binary']);
    expect(content.code, content.stderr).toBe(0);
    expect(content.stdout).toBe(text);

    await op.getByTestId('joining-approve').click();
    await expect(op.getByRole('dialog')).toBeVisible();
    await expectAccessible(op, 'joining approve dialog');
    await op.getByRole('dialog').getByRole('button', { name: uk.joining.approve }).click();
    await expect(op.getByTestId('joining-detail-state')).toHaveAttribute('data-status', 'approved', { timeout: 15_000 });
    await expect(op.getByTestId('joining-approve')).toHaveCount(0);
    const created = op.getByTestId('joining-detail-created');
    await expect(created).toContainText(repA.cn);
    await expect(created).toContainText(repB.cn);
    const link = op.getByTestId('joining-detail-participant');
    await expect(link).toHaveAttribute('href', /#\/admin\?p=\d+$/);
    participant = Number((await link.getAttribute('href')).replace(/.*p=/, ''));
    await shot(op, testInfo, 'approved');
    await link.click();
    await expect(op.getByTestId('participant-detail')).toContainText(orgName);
  } finally {
    await central.ctx.close();
  }

  // The applicant sees it approved, with what was created.
  const st = await status(page, number, secret);
  await expect(st).toHaveAttribute('data-state', 'approved');
  await expect(page.getByTestId('joining-status-participant')).toContainText(String(participant));
  await expect(page.getByTestId('joining-status-reps')).toContainText(repB.cn);

  // A representative with no certificate in the application logs in with their own key file by
  // the identifier credential (TINUA-<RNOKPP>); one with a certificate, by its binding.
  for (const rep of [repB, repA]) {
    await loginWithKey(page, rep);
    const who = page.getByTestId('whoami');
    await expect(who).toContainText(orgName);
    await expect(who).toContainText(rep.cn);
    const me = await (await page.request.get('/api/v1/me')).json();
    expect(me.as).toBe('representative');
    expect(me.participant).toBe(participant);
    await logout(page);
  }
});

test('the same document signed by the head of another organisation is refused: signer_not_of_organisation', async ({ page, tm }, testInfo) => {
  const code = uniqueEdrpou();
  const other = await issueHead(tm, testInfo, uniqueEdrpou(), 'Інша');
  const { text } = await prepare(page, { action: 'join', code, name: `ТОВ «Чужий підпис ${code}»`, kind: 'tool_developer' });
  // In the page the other head's certificate is flagged before anything is sent…
  await page.getByTestId('joining-how-here').check();
  await page.getByTestId('joining-cert').setInputFiles(other.cert);
  await expect(page.getByTestId('joining-signer-mismatch')).toContainText('NTRUA-' + code);
  // …and the server refuses the document signed with openssl by that head.
  const docFile = testInfo.outputPath('joining-application.json');
  const p7s = testInfo.outputPath('joining-application.p7s');
  fs.writeFileSync(docFile, text);
  const r = await runProcess('openssl', ['cms', '-sign', '-nodetach', '-binary', '-outform', 'DER', '-in', docFile,
    '-signer', other.cert, '-inkey', other.key, '-out', p7s]);
  expect(r.code, r.stderr).toBe(0);
  await page.getByTestId('joining-how-file').check();
  await page.getByTestId('joining-file').setInputFiles(p7s);
  await page.getByTestId('joining-submit').click();
  const error = page.getByTestId('joining-error');
  await expect(error).toContainText(uk.errors.signer_not_of_organisation, { timeout: 15_000 });
  await expect(error).toContainText('signer_not_of_organisation');
  await expect(page.getByTestId('joining-made')).toHaveCount(0);
  await expectAccessible(page, 'joining refused');
});

test('a wrong secret is not found; only the central body\'s admin decides, and a rejection\'s reason shows in the status', async ({ browser, page, tm }, testInfo) => {
  test.setTimeout(90_000);
  const code = uniqueEdrpou();
  const head = await issueHead(tm, testInfo, code, 'Відмова');
  await prepare(page, { action: 'join', code, name: `ТОВ «Відмова ${code}»`, kind: 'system_owner' });
  await signAndFile(page, head);
  const { number, secret } = await filed(page);

  const wrong = await status(page, number, secret.slice(0, -2) + (secret.endsWith('AA') ? 'BB' : 'AA'));
  await expect(wrong).toContainText(uk.errors.application_not_found);
  const unknown = await status(page, 'JA-999999', secret);
  await expect(unknown).toContainText(uk.errors.application_not_found);
  await expectAccessible(page, 'joining status not found');

  // A QTSP's operator has no queue; a central-body viewer sees it but cannot decide.
  const qtsp = await asCentral(browser, tm, tm.tokens.operator);
  try {
    await expect(qtsp.page.locator('nav#main-nav a[href="#/joining-applications"]')).toHaveCount(0);
    await qtsp.page.goto('/#/joining-applications/' + number);
    await expect(qtsp.page.getByText(uk.shell.not_allowed)).toBeVisible();
  } finally {
    await qtsp.ctx.close();
  }
  const rep = await api(tm, 'POST', `/api/v1/admin/participants/${tm.participants.central.id}/representatives`,
    { body: { name: `Переглядачка ЦЗО ${code.slice(-3)}`, role: 'viewer' } });
  expect(rep.status, rep.text).toBeLessThan(300);
  const tok = await api(tm, 'POST', `/api/v1/admin/representatives/${rep.json.id}/tokens`, { body: { label: 'e2e joining' } });
  expect(tok.status, tok.text).toBeLessThan(300);
  const viewer = await asCentral(browser, tm, tok.json.token);
  try {
    await viewer.page.goto('/#/joining-applications/' + number);
    await settled(viewer.page);
    await expect(viewer.page.getByTestId('joining-detail-state')).toHaveAttribute('data-status', 'pending');
    await expect(viewer.page.getByTestId('joining-approve')).toHaveCount(0);
    await expect(viewer.page.getByTestId('joining-reject')).toHaveCount(0);
  } finally {
    await viewer.ctx.close();
  }

  const reason = `Немає довіреності керівника (${code})`;
  const central = await asCentral(browser, tm);
  try {
    const op = central.page;
    await op.goto('/#/joining-applications/' + number);
    await settled(op);
    await op.getByTestId('joining-reject').click();
    const dialog = op.getByRole('dialog');
    await expect(dialog).toBeVisible();
    await expectAccessible(op, 'joining reject dialog');
    await dialog.getByRole('textbox').fill(reason);
    await dialog.getByRole('button', { name: uk.joining.reject }).click();
    await expect(op.getByTestId('joining-detail-state')).toHaveAttribute('data-status', 'rejected', { timeout: 15_000 });
    await expect(op.getByTestId('joining-detail-reason')).toHaveText(reason);
    // The rejected one is under "rejected", not in the pending queue.
    await op.goto('/#/joining-applications');
    await settled(op);
    await expect(op.getByTestId('joining-queue-table').or(op.locator('main .empty'))).not.toContainText(number);
    await op.getByTestId('joining-queue-state').selectOption('rejected');
    await settled(op);
    await expect(op.getByTestId('joining-queue-table')).toContainText(number);
  } finally {
    await central.ctx.close();
  }

  const st = await status(page, number, secret);
  await expect(st).toHaveAttribute('data-state', 'rejected');
  await expect(page.getByTestId('joining-status-reason')).toHaveText(reason);
  await expectAccessible(page, 'joining status rejected');
});

test('a grant and then a block for a participant that exists: the representative gets access, then loses it at once', async ({ browser, page, tm }, testInfo) => {
  test.setTimeout(90_000);
  const code = uniqueEdrpou();
  const orgName = `ТОВ «Розробник ${code}»`;
  const made = await api(tm, 'POST', '/api/v1/admin/participants', { body: { kind: 'tool_developer', name: orgName, code } });
  expect(made.status, made.text).toBeLessThan(300);
  const head = await issueHead(tm, testInfo, code, 'Розробник');
  const rep = await issueTestCert(tm, testInfo, { rnokpp: uniqueRnokpp(), cn: `Розробниця Ганна ${code.slice(-3)}`, name: 'rep' });
  const approve = async (number) => {
    const r = await api(tm, 'POST', `/api/v1/joining/applications/${number}/decision`, { token: tm.tokens.central, body: { decision: 'approve' } });
    expect(r.status, r.text).toBe(200);
    expect(r.json.state).toBe('approved');
    return r.json;
  };

  // A grant names only the organisation's code.
  const anon = await browser.newContext();
  try {
    const applicant = await anon.newPage();
    const grant = await prepare(applicant, { action: 'grant', code, reps: [{ name: rep.cn, tin: rep.rnokpp, role: 'operator' }] });
    expect(grant.doc).toEqual({ date: expect.any(String), format: 'trustmon-joining/1', kinds: ['grant'], organisation: { code },
      representatives: [{ name: rep.cn, role: 'operator', tin: rep.rnokpp }] });
    await signAndFile(applicant, head);
    const granted = await approve((await filed(applicant)).number);
    expect(granted.participant).toBe(made.json.id);

    // The representative logs in by signature and keeps the session open…
    await loginWithKey(page, rep);
    await expect(page.getByTestId('whoami')).toContainText(orgName);

    // …until the head's block application is approved: the session ends within a second.
    const block = await prepare(applicant, { action: 'block', code, block: { tin: rep.rnokpp, reason: 'Звільнено з посади' } });
    expect(block.doc).toEqual({ date: expect.any(String), format: 'trustmon-joining/1', kinds: ['block'], organisation: { code },
      block: { reason: 'Звільнено з посади', tin: rep.rnokpp } });
    await signAndFile(applicant, head);
    const blocked = await approve((await filed(applicant)).number);
    expect(blocked.blocked_representative).toBeTruthy();
  } finally {
    await anon.close();
  }
  await expect(page.getByTestId('session-ended')).toBeVisible({ timeout: 10_000 });
});

test('a QTSP\'s CA certificates from PEM and DER files are shown by subject and go into the document', async ({ page, tm }, testInfo) => {
  const pemFile = path.join(tm.pki, 'demo-ec', 'ca.pem');
  const pem = fs.readFileSync(pemFile, 'utf8');
  const { X509Certificate } = await import('node:crypto');
  const rsa = new X509Certificate(fs.readFileSync(path.join(tm.pki, 'demo-rsa', 'ca.pem')));
  const derFile = testInfo.outputPath('demo-rsa-ca.der');
  fs.mkdirSync(path.dirname(derFile), { recursive: true });
  fs.writeFileSync(derFile, rsa.raw);
  const ec = new X509Certificate(pem);
  const cnOf = (x) => x.subject.split('\n').find((l) => l.startsWith('CN=')).slice(3);

  await page.goto('/#/joining');
  await settled(page);
  await page.getByTestId('joining-action-join').check();
  await page.getByTestId('joining-org-kind').selectOption('qtsp');
  await page.getByTestId('joining-issuers-file').setInputFiles([pemFile, derFile]);
  const subjects = page.getByTestId('joining-issuer-subject');
  await expect(subjects).toHaveCount(2);
  await expect(subjects.nth(0)).toContainText(cnOf(ec));
  await expect(subjects.nth(1)).toContainText(cnOf(rsa));
  // Nothing is prepared while the data are incomplete: the problems are listed.
  await page.getByTestId('joining-prepare').click();
  await expect(page.getByTestId('joining-problems')).toContainText(uk.joining.err.code_invalid);
  await expect(page.getByTestId('joining-problems')).toContainText(uk.joining.err.name_missing);
  await expectAccessible(page, 'joining form with problems');

  const code = uniqueEdrpou();
  await page.getByTestId('joining-org-name').fill(`ТОВ «Надавач ${code}»`);
  await page.getByTestId('joining-org-code').fill(code);
  await page.getByTestId('joining-prepare').click();
  const doc = JSON.parse(await page.getByTestId('joining-doc').textContent());
  expect(doc.kinds).toEqual(['join']);
  expect(doc.organisation).toEqual({ code, kind: 'qtsp', name: `ТОВ «Надавач ${code}»` });
  expect(doc.issuers).toEqual([ec.raw.toString('base64'), rsa.raw.toString('base64')]);
  expect(doc.representatives).toBeUndefined();

  // The screen in English too.
  await page.getByTestId('joining-edit').click();
  await page.getByRole('button', { name: 'ENG' }).click();
  await expect(page.getByRole('heading', { level: 1 })).toHaveText('Joining trustmon');
  await expectAccessible(page, 'joining form (en)');
  await page.goto('/#/joining?tab=status');
  await expectAccessible(page, 'joining status (en)');
  await page.getByRole('button', { name: 'УКР' }).click();
});

test('a join of the test organisation signed with its head\'s cloud key through the QR link is filed: number, secret, pending', async ({ page, tm }, testInfo) => {
  test.setTimeout(90_000);
  const orgName = `ТОВ «Хмарний підпис ${Date.now()}»`;
  const { text, doc } = await prepare(page, { action: 'join', code: KSP_ORG, name: orgName, kind: 'system_owner' });
  expect(doc.organisation).toEqual({ code: KSP_ORG, kind: 'system_owner', name: orgName });
  await page.getByTestId('joining-how-qr').check();
  await expect(page.getByTestId('joining-qr-form')).toContainText(uk.joining.qr_lead);
  await expectAccessible(page, 'joining QR start');
  const sent = page.waitForRequest((r) => r.method() === 'POST' && r.url().endsWith('/api/v1/auth/qr'));
  const { vc, link } = await startQrSign(page, { hint: KSP_HEAD });
  // The page asked to sign exactly the reviewed bytes.
  const body = JSON.parse((await sent).postData());
  expect(body).toEqual({ provider: 'testksp', hint: KSP_HEAD, sign: { purpose: 'joining', document: Buffer.from(text, 'utf8').toString('base64') } });
  expect(vc).toMatch(/^\d{4}$/);
  expect(link).toContain('/api/v1/auth/qr/');
  await expect(page.getByTestId('joining-qr-link')).toHaveAttribute('href', /\/scan\?/);
  await expect(page.getByTestId('joining-qr-remaining')).toContainText(/\d:\d\d/);
  await expect(page.getByTestId('joining-qr-state')).toHaveText(uk.login.qr_waiting);
  // While the phone is asked, the way to sign and the document stay as they are.
  await expect(page.getByTestId('joining-how-file')).toBeDisabled();
  await expect(page.getByTestId('joining-edit')).toBeDisabled();
  await expect(page.getByTestId('joining-submit')).toHaveCount(0);
  await expectAccessible(page, 'joining QR panel');
  await shot(page, testInfo, 'joining qr shown');
  // The link changes every second.
  await expect.poll(async () => page.getByTestId('joining-qr-box').getAttribute('data-link'), { timeout: 5_000 }).not.toBe(link);

  const decided = await phoneSigns(page, tm, KSP_HEAD, vc);
  expect(decided.callback, decided.callbackText).toBe(200);
  const { number, secret } = await filed(page);
  await expect(page.getByTestId('joining-made')).toContainText(uk.joining.kind.join);
  await expectAccessible(page, 'joining secret panel after QR');
  await shot(page, testInfo, 'joining qr filed');

  await page.getByTestId('joining-to-status').click();
  await expect(page.getByTestId('joining-status-number')).toHaveValue(number);
  await page.getByTestId('joining-status-submit').click();
  await expect(page.getByTestId('joining-status')).toHaveAttribute('data-state', 'pending');
  await expect(page.getByTestId('joining-status')).toContainText(orgName);
  const st = await api(tm, 'POST', '/api/v1/joining/status', { token: null, body: { number, secret } });
  expect(st.status, st.text).toBe(200);
  expect(st.json.state).toBe('pending');

  // The central body sees the head of the test organisation as the signer, and the CMS trustmon
  // assembled from the key store's signature encapsulates exactly the reviewed document.
  const rec = await api(tm, 'GET', `/api/v1/joining/applications/${number}`, { token: tm.tokens.central });
  expect(rec.status, rec.text).toBe(200);
  expect(rec.json.signer.organisation).toBe('NTRUA-' + KSP_ORG);
  expect(JSON.stringify(rec.json.signer.identifiers)).toContain(KSP_HEAD);
  const signed = await fetch(`${tm.url}/api/v1/joining/applications/${number}/signed`, { headers: { Authorization: `Bearer ${tm.tokens.central}` } });
  expect(signed.status).toBe(200);
  const p7s = testInfo.outputPath(number + '.p7s');
  fs.mkdirSync(path.dirname(p7s), { recursive: true });
  fs.writeFileSync(p7s, Buffer.from(await signed.arrayBuffer()));
  const content = await runProcess('openssl', ['cms', '-verify', '-noverify', '-inform', 'DER', '-in', p7s, '-binary']);
  expect(content.code, content.stderr).toBe(0);
  expect(content.stdout).toBe(text);
});

test('the same signed on the phone by a person of no organisation is refused: signer_not_of_organisation', async ({ page, tm }) => {
  test.setTimeout(60_000);
  await prepare(page, { action: 'join', code: KSP_ORG, name: `ТОВ «Чужий хмарний підпис ${Date.now()}»`, kind: 'tool_developer' });
  const { vc } = await startQrSign(page);
  const decided = await phoneSigns(page, tm, KSP_PERSON, vc);
  expect(decided.callback, decided.callbackText).toBe(403);
  const error = page.getByTestId('joining-error');
  await expect(error).toContainText(uk.errors.signer_not_of_organisation, { timeout: 30_000 });
  await expect(error).toContainText(uk.joining.refused);
  await expect(error).toContainText('signer_not_of_organisation');
  await expect(page.getByTestId('joining-made')).toHaveCount(0);
  // The QR panel is gone; the page offers to start again.
  await expect(page.getByTestId('joining-qr-flow')).toHaveCount(0);
  await expect(page.getByTestId('joining-qr-form')).toContainText(uk.login.qr_again);
  await expect(page.getByTestId('joining-submit')).toBeVisible();
  await expectAccessible(page, 'joining QR refused');
});
