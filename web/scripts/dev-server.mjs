// scripts/dev-server.mjs — for development only: serves dist/ at / and forwards everything else
// to a running trustmond (TRUSTMON_URL, default http://127.0.0.1:8080). When the daemon has no
// cookie sessions yet (404 on /api/v1/auth/token), it stands in for them: the token given at login
// is kept server-side against a random cookie and sent on as Authorization: Bearer, and
// /api/v1/me/events sends the `session` event and keep-alives.
//   TRUSTMON_URL=http://127.0.0.1:18101 PORT=18111 node scripts/dev-server.mjs
import { createServer, request as httpRequest } from 'node:http';
import { readFileSync, existsSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { join, dirname, extname } from 'node:path';
import { fileURLToPath } from 'node:url';

const dist = join(dirname(fileURLToPath(import.meta.url)), '..', 'dist');
const upstream = new URL(process.env.TRUSTMON_URL || 'http://127.0.0.1:8080');
const port = Number(process.env.PORT || 18111);
const sessions = new Map(); // cookie → { token, csrf }
const types = { '.js': 'text/javascript', '.css': 'text/css', '.html': 'text/html; charset=utf-8' };
const csp = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; font-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

function cookieOf(req) {
  const m = /(?:^|;\s*)tm_session=([^;]+)/.exec(req.headers.cookie || '');
  return m ? sessions.get(m[1]) : undefined;
}

// PROXY_ONLY=1: the daemon has cookie sessions itself; only dist/ is served from here (fresh
// after each build — the daemon reads its web folder once, at start).
const proxyOnly = !!process.env.PROXY_ONLY;

function forward(req, res, body, extra = {}, onJson) {
  const headers = { ...req.headers, host: upstream.host, ...extra };
  if (!proxyOnly) delete headers.cookie;
  const u = httpRequest({ host: upstream.hostname, port: upstream.port, path: req.url, method: req.method, headers }, (r) => {
    if (onJson) {
      const parts = [];
      r.on('data', (c) => parts.push(c));
      r.on('end', () => onJson(r.statusCode, Buffer.concat(parts).toString()));
      return;
    }
    res.writeHead(r.statusCode, r.headers);
    r.pipe(res);
  });
  u.on('error', (e) => { res.writeHead(502); res.end(String(e)); });
  u.end(body);
}

createServer((req, res) => {
  const parts = [];
  req.on('data', (c) => parts.push(c));
  req.on('end', () => {
    const body = Buffer.concat(parts);
    const path = req.url.split('?')[0];
    if (req.method === 'GET' && (path === '/' || path.startsWith('/assets/'))) {
      const f = path === '/' ? join(dist, 'index.html') : join(dist, 'assets', path.slice(8).replace(/[^\w.-]/g, ''));
      if (!existsSync(f)) { res.writeHead(404); return res.end(); }
      res.writeHead(200, { 'Content-Type': types[extname(f)] || 'application/octet-stream', 'Content-Security-Policy': csp, 'Cache-Control': 'no-store' });
      return res.end(readFileSync(f));
    }
    if (proxyOnly) return forward(req, res, body);
    const s = cookieOf(req);
    if (path === '/api/v1/auth/token' && req.method === 'POST') {
      let token = '';
      try { token = JSON.parse(body.toString()).token; } catch { /* empty */ }
      return forward({ ...req, url: '/api/v1/me', method: 'GET' }, res, undefined, { authorization: 'Bearer ' + token }, (st, text) => {
        if (st !== 200) { res.writeHead(st, { 'Content-Type': 'application/json' }); return res.end(text); }
        const id = randomBytes(16).toString('hex');
        const csrf = randomBytes(16).toString('hex');
        sessions.set(id, { token, csrf });
        res.writeHead(200, { 'Content-Type': 'application/json', 'Set-Cookie': `tm_session=${id}; Path=/; HttpOnly; SameSite=Strict` });
        res.end(JSON.stringify({ as: JSON.parse(text), csrf, expires: new Date(Date.now() + 8 * 3600e3).toISOString() }));
      });
    }
    if (path === '/api/v1/auth/logout') {
      for (const [k, v] of sessions) if (v === s) sessions.delete(k);
      res.writeHead(204, { 'Set-Cookie': 'tm_session=; Path=/; Max-Age=0' });
      return res.end();
    }
    if (path === '/api/v1/me' && s) {
      return forward(req, res, undefined, { authorization: 'Bearer ' + s.token }, (st, text) => {
        res.writeHead(st, { 'Content-Type': 'application/json' });
        res.end(st === 200 ? JSON.stringify({ ...JSON.parse(text), csrf: s.csrf }) : text);
      });
    }
    if (path === '/api/v1/me/events') {
      if (!s) { res.writeHead(401, { 'Content-Type': 'application/json' }); return res.end('{"error":{"code":"unauthenticated","message":"no session"}}'); }
      res.writeHead(200, { 'Content-Type': 'text/event-stream', 'Cache-Control': 'no-store' });
      res.write('event: session\ndata: {}\n\n');
      const iv = setInterval(() => {
        if (!sessions.has([...sessions].find(([, v]) => v === s)?.[0])) {
          res.write('event: ended\ndata: {"code":"session_ended","message":"logged out"}\n\n'); res.end(); clearInterval(iv);
        } else res.write(': keep-alive\n\n');
      }, 1000);
      res.on('close', () => clearInterval(iv));
      return;
    }
    if (s && req.method !== 'GET' && req.headers['x-csrf-token'] !== s.csrf) {
      res.writeHead(403, { 'Content-Type': 'application/json' });
      return res.end('{"error":{"code":"csrf_failed","message":"missing or wrong X-CSRF-Token"}}');
    }
    forward(req, res, body, s ? { authorization: 'Bearer ' + s.token } : {});
  });
}).listen(port, '127.0.0.1', () => console.log(`cabinet dev server on http://127.0.0.1:${port} → ${upstream.href}`));
