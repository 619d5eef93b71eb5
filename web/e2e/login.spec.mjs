// Logging in with an API token, the refusal of a wrong one (the API's message on screen),
// the session cookie (HttpOnly, SameSite=Strict, invisible to scripts), CSRF protection of
// cookie-authenticated writes, and logout.
import { test, expect, api, login, logout } from './fixtures.mjs';

test('log in with a token: who is logged in is shown, the cookie is HttpOnly and SameSite=Strict', async ({ page, context, tm }) => {
  await login(page, tm.tokens.operator);
  const who = page.getByTestId('whoami');
  await expect(who).toContainText(tm.participants.qtsp.name);
  await expect(who).toContainText(tm.reps.operator.name);
  const cookies = await context.cookies(tm.url);
  const session = cookies.find((c) => c.name === 'tm_session');
  expect(session, `cookies: ${cookies.map((c) => c.name)}`).toBeTruthy();
  expect(session.httpOnly).toBe(true);
  expect(session.sameSite).toBe('Strict');
  expect(session.path).toBe('/');
  expect(await page.evaluate(() => document.cookie)).not.toContain('tm_session');
  // Nothing about the session in web storage.
  const stored = await page.evaluate(() => JSON.stringify({ ...localStorage }) + JSON.stringify({ ...sessionStorage }));
  expect(stored).not.toContain(tm.tokens.operator);
  const me = await page.request.get('/api/v1/me');
  expect(me.status()).toBe(200);
  expect((await me.json()).participant_code).toBe(tm.participants.qtsp.code);
});

test('a wrong token shows the API message and logs nobody in', async ({ page, tm }) => {
  const refusal = await api(tm, 'POST', '/api/v1/auth/token', { token: null, body: { token: 'tmk_not_a_real_token' } });
  expect(refusal.status).toBe(401);
  await page.goto('/#/login');
  await page.getByTestId('login-token').fill('tmk_not_a_real_token');
  await page.getByTestId('login-submit').click();
  await expect(page.getByText(refusal.json.error.message)).toBeVisible();
  await expect(page.getByTestId('whoami')).toHaveCount(0);
  expect((await page.request.get('/api/v1/me')).status()).toBe(401);
});

test('a cookie-authenticated POST without X-CSRF-Token is refused 403 csrf_failed', async ({ page, tm }) => {
  await login(page, tm.tokens.operator);
  const watch = { name: 'csrf probe', issuer: 'demo-ec', kinds: ['issued'], delivery: 'stream' };
  const refused = await page.request.post('/api/v1/watches', { data: watch });
  expect(refused.status()).toBe(403);
  expect((await refused.json()).error.code).toBe('csrf_failed');
  const wrong = await page.request.post('/api/v1/watches', { data: watch, headers: { 'X-CSRF-Token': 'not-the-token' } });
  expect(wrong.status()).toBe(403);
  expect((await wrong.json()).error.code).toBe('csrf_failed');
  // With the session's token the same request goes through (and is cleaned up).
  const csrf = (await (await page.request.get('/api/v1/me')).json()).csrf;
  const made = await page.request.post('/api/v1/watches', { data: watch, headers: { 'X-CSRF-Token': csrf } });
  expect(made.status()).toBe(201);
  const { id } = await made.json();
  expect((await page.request.delete(`/api/v1/watches/${id}`, { headers: { 'X-CSRF-Token': csrf } })).status()).toBe(200);
});

test('logout ends the session and shows the login entry again', async ({ page, context, tm }) => {
  await login(page, tm.tokens.viewer);
  await logout(page);
  await expect(page.getByRole('link', { name: /Увійти/ })).toBeVisible();
  expect((await page.request.get('/api/v1/me')).status()).toBe(401);
  // A logged-in screen asks for the login again.
  await page.goto('/#/certificates');
  await expect(page.getByTestId('login-token')).toBeVisible();
  const cookie = (await context.cookies(tm.url)).find((c) => c.name === 'tm_session');
  expect(!cookie || cookie.value === '').toBe(true);
});
