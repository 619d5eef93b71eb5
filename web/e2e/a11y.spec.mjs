// axe-core on every screen: the public ones logged out, and every screen the navigation
// offers to each role (QTSP operator, QTSP viewer, central-body admin), plus the login
// screen and a certificate's detail. No violation of impact serious or critical.
import { test, expect, login, logout, expectAccessible, settled, shot } from './fixtures.mjs';

async function navRoutes(page) {
  const hrefs = await page.locator('nav#main-nav a').evaluateAll((as) => as.map((a) => a.getAttribute('href')));
  expect(hrefs.length, 'navigation links').toBeGreaterThan(0);
  return [...new Set(hrefs)];
}

async function scanAll(page, testInfo, who, routes) {
  for (const route of routes) {
    await page.goto('/' + route);
    await settled(page);
    await expectAccessible(page, `${who} ${route}`);
    await shot(page, testInfo, `${who} ${route}`);
  }
}

test('public screens and the login screen have no serious accessibility violations', async ({ page }, testInfo) => {
  await page.goto('/');
  await settled(page);
  const routes = await navRoutes(page);
  expect(routes).toEqual(expect.arrayContaining(['#/status']));
  await scanAll(page, testInfo, 'public', [...routes, '#/login']);
});

for (const role of ['operator', 'viewer', 'central']) {
  test(`every screen of the ${role} has no serious accessibility violations`, async ({ page, tm }, testInfo) => {
    await login(page, tm.tokens[role]);
    const routes = await navRoutes(page);
    const detail = `#/certificates/${tm.certs.goodEc[5].sha256}`;
    await scanAll(page, testInfo, role, [...routes, detail]);
    // The English labels too, on the first logged-in screen.
    await page.goto('/#/certificates');
    await page.getByRole('button', { name: 'ENG' }).click();
    await settled(page);
    await expectAccessible(page, `${role} certificates (en)`);
    await page.getByRole('button', { name: 'УКР' }).click();
  });
}

test('open dialogs (revoke, block) have no serious accessibility violations', async ({ page, tm }, testInfo) => {
  await login(page, tm.tokens.operator);
  await page.goto(`/#/certificates/${tm.certs.goodEc[5].sha256}`);
  await settled(page);
  await page.getByTestId('revoke-button').click();
  await expect(page.getByRole('dialog')).toBeVisible();
  await expectAccessible(page, 'operator revoke dialog');
  await shot(page, testInfo, 'revoke dialog');
  await page.getByRole('dialog').getByRole('button').first().click();   // cancel: nothing is revoked
  await expect(page.getByRole('dialog')).toHaveCount(0);
  await expect(page.getByTestId('cert-status')).toHaveAttribute('data-status', 'valid');

  await logout(page);
  await login(page, tm.tokens.central);
  await page.goto(`/#/admin?p=${tm.participants.second.id}`);
  await settled(page);
  await page.getByTestId('participant-block').click();
  await expect(page.getByRole('dialog')).toBeVisible();
  await expectAccessible(page, 'central block dialog');
  await shot(page, testInfo, 'block dialog');
  await page.keyboard.press('Escape');
  await expect(page.getByRole('dialog')).toHaveCount(0);
  await expect(page.getByTestId('participant-status')).toHaveAttribute('data-status', 'active');
});
