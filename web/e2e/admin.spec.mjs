// Administration across two browsers: the central body's admin (context A) blocks a
// participant whose operator is logged in (context B); B's cabinet ends the session within
// a few seconds and says why; the token is refused while blocked and works again after
// the unblock.
import { test, expect, login, settled, shot } from './fixtures.mjs';

test('blocking a participant ends its open session within seconds, with the reason', async ({ browser, tm }, testInfo) => {
  const second = tm.participants.second;
  const reason = 'Ліцензію призупинено (e2e)';
  const ctxA = await browser.newContext();
  const ctxB = await browser.newContext();
  try {
    const a = await ctxA.newPage();
    const b = await ctxB.newPage();
    await login(b, tm.tokens.second);
    await expect(b.getByTestId('whoami')).toContainText(second.name);
    await b.goto('/#/certificates');
    await settled(b);

    await login(a, tm.tokens.central);
    await a.goto(`/#/admin?p=${second.id}`);
    const detail = a.getByTestId('participant-detail');
    await expect(detail.getByRole('heading', { name: second.name })).toBeVisible();
    await expect(a.getByTestId('participant-status')).toHaveAttribute('data-status', 'active');
    await a.getByTestId('participant-block').click();
    const dialog = a.getByRole('dialog', { name: `Заблокувати учасника «${second.name}»` });
    await dialog.getByLabel("Причина (обов'язково)").fill(reason);
    const blockedAt = Date.now();
    await dialog.getByRole('button', { name: 'Заблокувати' }).click();
    await expect(a.getByTestId('participant-status')).toHaveAttribute('data-status', 'blocked');
    await expect(detail).toContainText(reason);

    // B: the session ends by itself (the server's `ended` event), no click, no reload.
    const ended = b.getByTestId('session-ended');
    await expect(ended).toBeVisible({ timeout: 5_000 });
    const seconds = (Date.now() - blockedAt) / 1000;
    testInfo.annotations.push({ type: 'session ended after', description: `${seconds.toFixed(1)} s` });
    console.log(`e2e: B's session ended ${seconds.toFixed(2)} s after the click that blocked the participant`);
    await expect(ended).toContainText('Сеанс завершено');
    await expect(ended).toContainText(reason);
    await expect(b.getByTestId('whoami')).toHaveCount(0);
    // The old cookie no longer opens anything. (web-common.md says 401; the server answers
    // 403 participant_blocked with the reason, which the cabinet treats the same way.)
    const me = await b.request.get('/api/v1/me');
    expect([401, 403], `GET /api/v1/me after the block: ${await me.text()}`).toContain(me.status());
    if (me.status() === 403) expect((await me.json()).error.code).toBe('participant_blocked');
    expect((await b.request.get('/api/v1/certificates?cn=x')).status()).not.toBe(200);
    await shot(b, testInfo, 'B session ended');

    // The token is refused while the participant is blocked: the API's message is shown.
    await b.getByTestId('login-token').fill(tm.tokens.second);
    await b.getByTestId('login-submit').click();
    await expect(b.locator('.error-box')).toContainText('Учасника заблоковано.');
    await expect(b.getByTestId('whoami')).toHaveCount(0);

    // Unblock: the same token logs in again.
    await a.getByTestId('participant-unblock').click();
    await expect(a.getByTestId('participant-status')).toHaveAttribute('data-status', 'active');
    await shot(a, testInfo, 'A unblocked');
    await login(b, tm.tokens.second);
    await expect(b.getByTestId('whoami')).toContainText(second.name);
  } finally {
    await ctxA.close();
    await ctxB.close();
  }
});

test('the administration screen is not offered to a QTSP operator', async ({ page, tm }) => {
  await login(page, tm.tokens.operator);
  await expect(page.getByRole('navigation').getByRole('link', { name: 'Адміністрування' })).toHaveCount(0);
  await page.goto('/#/admin');
  await expect(page.getByText('Ця сторінка недоступна для вашої ролі.')).toBeVisible();
  await expect(page.getByTestId('participant-block')).toHaveCount(0);
});

test('revoking a credential ends the session opened with it', async ({ page, tm }) => {
  // A representative and token of its own, so that the other tests' tokens stay valid.
  const auth = { Authorization: `Bearer ${tm.bootstrap}` };
  const rep = await (await page.request.post(`/api/v1/admin/participants/${tm.participants.qtsp.id}/representatives`,
    { headers: auth, data: { name: 'Тимчасовий Оператор', role: 'operator' } })).json();
  const issued = await (await page.request.post(`/api/v1/admin/representatives/${rep.id}/tokens`, { headers: auth, data: { label: 'e2e revoke' } })).json();
  await login(page, issued.token);
  await expect(page.getByTestId('whoami')).toContainText('Тимчасовий Оператор');
  await page.goto('/#/watches');
  await settled(page);

  const revoked = await page.request.post(`/api/v1/admin/credentials/${issued.id}/revoke`, { headers: auth });
  expect(revoked.status()).toBe(200);
  const ended = page.getByTestId('session-ended');
  await expect(ended).toBeVisible({ timeout: 5_000 });
  await expect(page.getByTestId('whoami')).toHaveCount(0);
  await page.getByTestId('login-token').fill(issued.token);
  await page.getByTestId('login-submit').click();
  await expect(page.locator('.error-box')).toContainText('Токен відкликано.');
});
