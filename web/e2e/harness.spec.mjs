// The harness itself: the server of the global setup answers, with the participants made.
import { test, expect, api } from './fixtures.mjs';

test('the test server is up with its participants', async ({ tm }) => {
  const health = await api(tm, 'GET', '/healthz', { token: null });
  expect(health.status).toBe(200);
  const list = await api(tm, 'GET', '/api/v1/admin/participants');
  expect(list.status).toBe(200);
  const codes = list.json.participants.map((p) => p.code);
  expect(codes).toEqual(expect.arrayContaining(['00015622', '43395033', '22991050']));
  const found = await api(tm, 'GET', `/api/v1/certificates?sha256=${tm.certs.goodRsa[0].sha256}`, { token: tm.tokens.operator });
  expect(found.status).toBe(200);
  expect(found.json.certificates).toHaveLength(1);
});
