// Watches: the QTSP's operator creates a stream watch for one person's identifier; a
// certificate of that person imported with `trustmonctl import` appears in the live panel
// without a reload, while another imported certificate (not matching) does not. A viewer
// is not offered to create watches.
import { test, expect, login, settled, trustmonctl, shot } from './fixtures.mjs';

test('a certificate imported by trustmonctl appears live in the watch panel', async ({ page, tm }, testInfo) => {
  const [wanted, other] = tm.certs.heldBack;
  await login(page, tm.tokens.operator);
  await page.goto('/#/watches');
  await settled(page);
  await page.getByRole('button', { name: 'Нова підписка' }).click();
  const form = page.getByRole('form', { name: 'Нова підписка' });
  await form.getByLabel('Назва').fill('Сертифікати особи (e2e)');
  await form.getByLabel('ЦСК').selectOption('demo-ec');
  await form.getByLabel('Атрибути (по одному в рядку)').fill(`serial_number=${wanted.serialNumber}`);
  await expect(form.getByRole('checkbox', { name: 'видача сертифіката' })).toBeChecked();
  await form.getByRole('radio', { name: 'у потоці подій кабінету' }).check();
  await form.getByRole('button', { name: 'Створити підписку' }).click();

  await expect(page.getByRole('heading', { name: 'Сертифікати особи (e2e)' })).toBeVisible();
  await expect(page.getByRole('table', { name: 'Ваші підписки' })).toContainText(wanted.serialNumber);
  const panel = page.getByTestId('watch-live-panel');
  await expect(panel).toHaveAttribute('data-state', 'open', { timeout: 10_000 });
  await expect(panel).toContainText('Нових подій ще немає.');
  await page.evaluate(() => { window.__noReload = true; });

  const first = await trustmonctl(tm, ['import', other.file], tm.tokenFiles.operator);
  expect(first.code, first.stderr).toBe(0);
  const second = await trustmonctl(tm, ['import', wanted.file], tm.tokenFiles.operator);
  expect(second.code, second.stderr).toBe(0);
  expect(JSON.parse(second.stdout).stored).toBe(1);

  const item = panel.getByRole('listitem').filter({ hasText: wanted.cn });
  await expect(item).toBeVisible({ timeout: 10_000 });
  await expect(item).toContainText('Видано');
  await expect(item).toContainText(wanted.serialNumber);
  await expect(item.getByRole('link', { name: wanted.cn })).toHaveAttribute('href', `#/certificates/${wanted.sha256}`);
  await expect(panel).not.toContainText(other.cn);
  expect(await page.evaluate(() => window.__noReload)).toBe(true);
  await shot(page, testInfo, 'live panel');

  // The link opens the newly ingested certificate.
  await item.getByRole('link', { name: wanted.cn }).click();
  await expect(page.getByRole('heading', { level: 1 })).toHaveText(wanted.cn);
  await expect(page.getByTestId('cert-status')).toHaveAttribute('data-status', 'valid');
});

test('a viewer sees watches but is not offered to create one', async ({ page, tm }) => {
  await login(page, tm.tokens.viewer);
  await page.goto('/#/watches');
  await settled(page);
  await expect(page.getByRole('heading', { name: 'Підписки на події', level: 1 })).toBeVisible();
  await expect(page.getByRole('button', { name: 'Нова підписка' })).toHaveCount(0);
});
