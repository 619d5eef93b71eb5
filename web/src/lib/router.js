// lib/router.js — hash routing (/#/certificates/<sha256>?q=…): the server serves only `/`.
// Route patterns are paths with :name segments, e.g. '/certificates/:sha256'.

export function parseHash(hash = location.hash) {
  let h = hash.replace(/^#/, '');
  if (!h.startsWith('/')) h = '/' + h;
  const qi = h.indexOf('?');
  const path = qi < 0 ? h : h.slice(0, qi);
  const query = Object.fromEntries(new URLSearchParams(qi < 0 ? '' : h.slice(qi + 1)));
  return { path: path.replace(/\/+$/, '') || '/', query };
}

// match('/certificates/:sha256', '/certificates/ab12') → { sha256: 'ab12' } or null
export function match(pattern, path) {
  const a = pattern.split('/').filter(Boolean);
  const b = path.split('/').filter(Boolean);
  if (a.length !== b.length) return null;
  const params = {};
  for (let i = 0; i < a.length; i++) {
    if (a[i].startsWith(':')) params[a[i].slice(1)] = decodeURIComponent(b[i]);
    else if (a[i] !== b[i]) return null;
  }
  return params;
}

// navigate('/certificates', {q: 'x'}) — query values that are empty are left out.
export function navigate(path, query) {
  let h = '#' + path;
  if (query) {
    const q = new URLSearchParams();
    for (const [k, v] of Object.entries(query)) if (v !== undefined && v !== null && v !== '') q.set(k, v);
    const s = q.toString();
    if (s) h += '?' + s;
  }
  if (location.hash !== h) location.hash = h;
}

export function href(path, query) {
  const q = query ? new URLSearchParams(Object.entries(query).filter(([, v]) => v !== undefined && v !== null && v !== '')).toString() : '';
  return '#' + path + (q ? '?' + q : '');
}
