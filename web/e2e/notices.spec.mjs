// A change notice end to end: the QTSP's operator files a status change for its own
// service in the trusted list; it waits for review (no approve button for the QTSP); the
// central body's admin approves it, which publishes a new signed version of the list in
// which the service has the new status.
import { test, expect, login, settled, shot } from './fixtures.mjs';

const WITHDRAWN = 'http://uri.etsi.org/TrstSvc/TrustedList/Svcstatus/withdrawn';

test('a QTSP files a change notice and the central body approves it into a new list version', async ({ browser, page, tm }, testInfo) => {
  const before = await (await page.request.get('/api/v1/tl/ua/view')).json();
  // tl-ua.xml's provider of TSPTradeName NTRUA-43395033 (the QTSP's code) is the state enterprise "ДІЯ".
  const provider = before.providers.find((p) => p.name === 'Державне підприємство "ДІЯ"');
  expect(provider, 'the QTSP is a provider of tl-ua.xml').toBeTruthy();
  const service = provider.services.find((s) => s.certificate && !s.status.endsWith('/withdrawn'));
  expect(service).toBeTruthy();
  const comment = 'Ключ перенесено до нового HSM (e2e)';

  await login(page, tm.tokens.operator);
  await page.goto('/#/tl-work');
  await settled(page);
  await page.getByRole('button', { name: 'Подати повідомлення про зміни' }).click();
  const form = page.getByRole('form', { name: 'Подати повідомлення про зміни' });
  await expect(form.getByLabel('Надавач')).toHaveValue(`NTRUA-${tm.participants.qtsp.code}`);
  await form.getByLabel('Вид змін').selectOption('status_change');
  await form.getByLabel('Послуга (SHA-256 сертифіката)').fill(service.certificate.sha256);
  await form.getByLabel('Статус послуги').selectOption(WITHDRAWN);
  await form.getByLabel('Коментар').fill(comment);
  await page.getByTestId('notice-file').click();

  const detail = page.getByTestId('notice-detail');
  await expect(detail.getByTestId('notice-state')).toHaveAttribute('data-status', 'submitted');
  await expect(detail).toContainText(comment);
  await expect(detail).toContainText(service.certificate.sha256);
  const title = await detail.getByRole('heading', { level: 2 }).first().textContent();
  const id = Number(title.match(/№\s*(\d+)/)[1]);
  expect(id).toBeGreaterThan(0);
  await expect(page.getByTestId('notice-approve')).toHaveCount(0);
  await expect(detail).toContainText('Повідомлення чекає на розгляд центральним органом.');
  await shot(page, testInfo, 'filed by the QTSP');

  const ctx = await browser.newContext();
  try {
    const admin = await ctx.newPage();
    await login(admin, tm.tokens.central);
    await admin.goto('/#/tl-work');
    await settled(admin);
    await admin.getByTestId('notices-table').getByRole('link', { name: `№ ${id}` }).click();
    const d = admin.getByTestId('notice-detail');
    await expect(d).toContainText(comment);
    await expect(d.getByTestId('notice-state')).toHaveAttribute('data-status', 'submitted');
    await admin.getByTestId('notice-approve').click();
    await expect(d.getByTestId('notice-state')).toHaveAttribute('data-status', 'approved', { timeout: 20_000 });
    await expect(d).toContainText(/Схвалено\. Опубліковано версію \d+\./);
    await shot(admin, testInfo, 'approved by the central body');
  } finally {
    await ctx.close();
  }

  const after = await (await page.request.get('/api/v1/tl/ua/view')).json();
  expect(after.sequence).toBeGreaterThan(before.sequence);
  expect(after.signature.valid).toBe(true);
  const changed = after.providers.find((p) => p.name === provider.name)
    .services.find((s) => s.certificate && s.certificate.sha256 === service.certificate.sha256);
  expect(changed.status).toBe(WITHDRAWN);
  // The QTSP sees the outcome on its own screen (after a reload: the screen does not poll).
  await page.goto(`/#/tl-work?tab=notices&notice=${id}`);
  await page.reload();
  await expect(page.getByTestId('notice-detail').getByTestId('notice-state')).toHaveAttribute('data-status', 'approved');
  await expect(page.getByTestId('notice-detail')).toContainText(`версія ${after.sequence}`);
});
