// CSR uniqueness: the QTSP's operator checks a fresh CSR (unique), reserves it, and the same
// CSR checked again is no longer unique, with the server's reason and who holds it.
import fs from 'node:fs';
import path from 'node:path';
import { test, expect, login, settled, runProcess } from './fixtures.mjs';

test('a fresh CSR is unique; once reserved, checking it again says it is taken', async ({ page, tm }, testInfo) => {
  const dir = testInfo.outputPath('csr');
  fs.mkdirSync(dir, { recursive: true });
  const csrFile = path.join(dir, 'req.pem');
  const made = await runProcess('openssl', ['req', '-new', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes',
    '-keyout', path.join(dir, 'key.pem'), '-out', csrFile, '-subj', '/C=UA/CN=Тест Запит/serialNumber=TINUA-1234509876', '-utf8']);
  expect(made.code, made.stderr).toBe(0);
  const pem = fs.readFileSync(csrFile, 'utf8');

  await login(page, tm.tokens.operator);
  await page.goto('/#/csr');
  await settled(page);
  await page.getByLabel('Або запит у форматі PEM').fill(pem);
  await page.getByRole('button', { name: 'Перевірити запит', exact: true }).click();
  const result = page.getByTestId('csr-result');
  await expect(result).toHaveAttribute('data-unique', 'true');
  await expect(result).toContainText('унікальний');
  await expect(result).toContainText('перевірено');   // proof of possession verified (ECDSA)

  await page.getByRole('button', { name: 'Перевірити й зарезервувати' }).click();
  await expect(page.getByText(/Зарезервовано, №\d+/)).toBeVisible();
  await expect(page.getByRole('table', { name: 'Резервування вашого учасника' })).toContainText('зарезервовано');

  await page.getByRole('button', { name: 'Перевірити запит', exact: true }).click();
  await expect(result).toHaveAttribute('data-unique', 'false');
  await expect(result).toContainText('НЕ унікальний');
  await expect(result).toContainText(`учасник №${tm.participants.qtsp.id}`);
});
