// lib/api.js — the one way screens talk to trustmond: same-origin fetch of the JSON API,
// X-CSRF-Token on every state-changing call, API errors thrown as ApiError, and a hook that
// sends the user back to the login screen when the server says the session is over.

export class ApiError extends Error {
  constructor(status, code, message) {
    super(message || code || `HTTP ${status}`);
    this.status = status;
    this.code = code || 'http_' + status;
  }
}

// Codes with which the server ends (or refuses) a cookie session.
export const SESSION_END_CODES = new Set([
  'unauthenticated', 'credential_revoked', 'credential_expired', 'participant_blocked',
  'representative_blocked', 'session_expired', 'session_ended',
]);

const hooks = { csrf: () => null, loggedIn: () => false, ended: () => {} };

// session.js registers how to read the CSRF token and what to do when the session ends.
export function setSessionHooks(h) { Object.assign(hooks, h); }

function withQuery(path, query) {
  if (!query) return path;
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(query)) {
    if (v === undefined || v === null || v === '') continue;
    if (Array.isArray(v)) v.forEach((x) => q.append(k, x)); else q.append(k, String(v));
  }
  const s = q.toString();
  return s ? path + (path.includes('?') ? '&' : '?') + s : path;
}

// request(method, path, {query, body, raw, contentType, accept, signal, public})
// body: object → JSON; string/Blob/ArrayBuffer → sent as is (contentType optional).
// Returns parsed JSON, text (for non-JSON answers), or the Response when raw is set.
export async function request(method, path, opts = {}) {
  const headers = { Accept: opts.accept || 'application/json' };
  let body;
  if (opts.body !== undefined && opts.body !== null) {
    const b = opts.body;
    if (typeof b === 'string' || b instanceof Blob || b instanceof ArrayBuffer || ArrayBuffer.isView(b)) {
      body = b;
      if (opts.contentType) headers['Content-Type'] = opts.contentType;
    } else {
      body = JSON.stringify(b);
      headers['Content-Type'] = 'application/json';
    }
  }
  if (method !== 'GET' && method !== 'HEAD') {
    const c = hooks.csrf();
    if (c) headers['X-CSRF-Token'] = c;
  }
  let res;
  try {
    res = await fetch(withQuery(path, opts.query), {
      method, headers, body, credentials: 'same-origin', signal: opts.signal, cache: 'no-store',
    });
  } catch (e) {
    if (e && e.name === 'AbortError') throw e;
    throw new ApiError(0, 'network', e && e.message);
  }
  if (!res.ok) {
    let code = '', message = '';
    try {
      const j = await res.json();
      if (j && j.error) { code = j.error.code; message = j.error.message; }
    } catch { /* not JSON */ }
    const err = new ApiError(res.status, code, message || res.statusText);
    if ((res.status === 401 || res.status === 403) && !opts.noSessionEnd && hooks.loggedIn() &&
        (res.status === 401 || SESSION_END_CODES.has(err.code))) {
      hooks.ended({ code: err.code, message: err.message });
    }
    throw err;
  }
  if (opts.raw) return res;
  if (res.status === 204) return null;
  const ct = res.headers.get('Content-Type') || '';
  if (ct.includes('json')) return res.json();
  return res.text();
}

export const api = {
  request,
  get: (path, query, opts) => request('GET', path, { ...opts, query }),
  post: (path, body, opts) => request('POST', path, { ...opts, body }),
  put: (path, body, opts) => request('PUT', path, { ...opts, body }),
  patch: (path, body, opts) => request('PATCH', path, { ...opts, body }),
  del: (path, opts) => request('DELETE', path, opts),
  url: withQuery,
};
