// The harness and the server's side of the cabinet, without the UI: the test server is
// up with its participants; GET / carries a strict CSP; assets are cached for good and
// served compressed; /api/v1/auth/token refuses a wrong token with the API's error.
import { test, expect, api } from './fixtures.mjs';

test('the test server is up with its participants and certificates', async ({ tm }) => {
  expect((await api(tm, 'GET', '/healthz', { token: null })).status).toBe(200);
  const list = await api(tm, 'GET', '/api/v1/admin/participants');
  expect(list.status).toBe(200);
  expect(list.json.participants.map((p) => p.code)).toEqual(expect.arrayContaining(['00015622', '43395033', '22991050']));
  const found = await api(tm, 'GET', `/api/v1/certificates?sha256=${tm.certs.goodRsa[0].sha256}`, { token: tm.tokens.operator });
  expect(found.status).toBe(200);
  expect(found.json.certificates).toHaveLength(1);
});

test('GET / has a Content-Security-Policy without unsafe-inline', async ({ tm }) => {
  const r = await fetch(tm.url + '/');
  expect(r.status).toBe(200);
  expect(r.headers.get('content-type')).toContain('text/html');
  const csp = r.headers.get('content-security-policy');
  expect(csp, 'Content-Security-Policy header').toBeTruthy();
  expect(csp).not.toContain('unsafe-inline');
  expect(csp).not.toContain('unsafe-eval');
  expect(csp).toContain("default-src 'none'");
  expect(csp).toContain("script-src 'self'");
  expect(csp).toContain("frame-ancestors 'none'");
  const html = await r.text();
  expect(html).not.toMatch(/<script(?![^>]*\bsrc=)[^>]*>/i);   // no inline script
  expect(html).not.toMatch(/<style[\s>]/i);                     // no inline style
  expect(html).not.toMatch(/\sstyle=/i);
});

test('assets are content-hashed, cached immutably and served gzip-compressed', async ({ tm }) => {
  const html = await (await fetch(tm.url + '/')).text();
  const assets = [...html.matchAll(/(?:src|href)="(\/assets\/[^"]+)"/g)].map((m) => m[1]);
  expect(assets.some((a) => /\/assets\/app-[\w-]+\.js$/.test(a)), `scripts in index.html: ${assets}`).toBe(true);
  expect(assets.some((a) => /\/assets\/app-[\w-]+\.css$/.test(a)), `styles in index.html: ${assets}`).toBe(true);
  for (const a of assets) {
    const r = await fetch(tm.url + a, { headers: { 'Accept-Encoding': 'gzip' } });
    expect(r.status, a).toBe(200);
    const cc = r.headers.get('cache-control') || '';
    expect(cc, `Cache-Control of ${a}`).toContain('immutable');
    expect(cc).toMatch(/max-age=\d{6,}/);
    expect(r.headers.get('content-encoding'), `Content-Encoding of ${a}`).toBe('gzip');
    expect(r.headers.get('content-type')).toMatch(a.endsWith('.js') ? /javascript/ : /text\/css/);
  }
  expect((await fetch(tm.url + '/assets/app-0000000000.js')).status).toBe(404);
});

test('a wrong token is refused 401 with the API error shape', async ({ tm }) => {
  const r = await api(tm, 'POST', '/api/v1/auth/token', { token: null, body: { token: 'tmk_wrong' } });
  expect(r.status).toBe(401);
  expect(r.json.error.code).toBe('unauthenticated');
  expect(r.json.error.message).toBeTruthy();
});
