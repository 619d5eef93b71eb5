// Public statistics (no login): the national aggregate of the 200 demo certificates as a
// chart and a table whose figures are the API's; the CSV links serve SDMX-CSV.
import { test, expect, settled } from './fixtures.mjs';

test('public statistics show the issued certificates as a chart and a table, with CSV links', async ({ page }) => {
  const api = await (await page.request.get('/stats/series?metric=certs_issued&freq=month')).json();
  const points = api.series.flatMap((s) => s.points);
  const total = points.reduce((n, p) => n + (p.value || 0), 0);
  expect(total).toBeGreaterThanOrEqual(197);   // the demo's 200 less the 3 held back for the watch test
  const busiest = points.reduce((a, b) => (b.value > a.value ? b : a));
  await page.goto('/#/stats');
  await settled(page);
  const block = page.getByTestId('stats-overview');
  await expect(block).toBeVisible();
  await expect(block.locator('canvas').first()).toBeVisible();
  await expect(block.getByRole('table')).toBeVisible();
  await expect(block.getByRole('table').locator('tbody tr').first()).toBeVisible();
  const row = block.getByRole('table').locator('tr', { hasText: busiest.period });
  await expect(row).toContainText(String(busiest.value));
  const csvHref = await block.getByRole('link').first().getAttribute('href');
  expect(csvHref).toContain('format=csv');
  const csv = await page.request.get(csvHref);
  expect(csv.status()).toBe(200);
  expect(csv.headers()['content-type']).toContain('csv');
});
