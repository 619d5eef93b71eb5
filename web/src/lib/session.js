// lib/session.js — who is logged in. ME and the CSRF token live in memory only (never in
// localStorage/sessionStorage); the session cookie is HttpOnly. While logged in, the
// /api/v1/me/events stream stays open; its `ended` event (or a session-ending API error)
// drops the cabinet back to the login screen with the server's message.
import { request, setSessionHooks } from './api.js';
import { b64ToBytes, bytesToB64 } from './der.js';

const state = { me: null, csrf: null, expires: null, ended: null, ready: false };
const listeners = new Set();
let es = null;

function emit() { const s = getSession(); listeners.forEach((f) => f(s)); }

export function getSession() { return { ...state }; }
export function onSession(f) { listeners.add(f); return () => listeners.delete(f); }

// ME as the contract has it; `may` is derived from kind/role when a server does not send it.
export function normaliseMe(me) {
  if (!me || me.may) return me;
  const admin = me.role === 'admin' || !!me.bootstrap || me.actor === 'bootstrap';
  const central = me.kind === 'central_body' || me.actor === 'bootstrap';
  return { ...me, bootstrap: me.bootstrap ?? me.actor === 'bootstrap',
    may: { write: admin || me.role === 'operator', admin: central && admin, central_body: central } };
}

function stripMe(j) {
  const { csrf, expires, ...me } = j;
  return { me: normaliseMe(me), csrf, expires };
}

function openEvents() {
  closeEvents();
  if (typeof EventSource === 'undefined') return;
  es = new EventSource('/api/v1/me/events', { withCredentials: true });
  es.addEventListener('session', (ev) => {
    try {
      const j = JSON.parse(ev.data);
      if (j && j.actor) { const { me } = stripMe(j); state.me = { ...state.me, ...me }; emit(); }
    } catch { /* ignore */ }
  });
  es.addEventListener('ended', (ev) => {
    let d = {};
    try { d = JSON.parse(ev.data); } catch { /* ignore */ }
    end({ code: d.code || 'session_ended', message: d.message || '' });
  });
  es.onerror = () => {
    // The stream closed (server restart, network): ask /me whether the session still stands.
    if (!es || es.readyState !== 2 || !state.me) return;
    setTimeout(() => { if (state.me) check(); }, 1000);
  };
}

function closeEvents() { if (es) { es.close(); es = null; } }

async function check() {
  try {
    const j = await request('GET', '/api/v1/me', { noSessionEnd: true });
    Object.assign(state, stripMe(j));
    if (!es || es.readyState === 2) openEvents();
    emit();
  } catch (e) {
    if (e.status === 401 || e.status === 403) end({ code: e.code, message: e.message });
  }
}

export function end(info) {
  if (!state.me) return;
  closeEvents();
  state.me = null; state.csrf = null; state.expires = null;
  state.ended = info || null;
  emit();
}

setSessionHooks({ csrf: () => state.csrf, loggedIn: () => !!state.me, ended: end });

// On page load: is there a session cookie already?
export async function init() {
  try {
    const j = await request('GET', '/api/v1/me', { noSessionEnd: true });
    Object.assign(state, stripMe(j));
    openEvents();
  } catch { /* not logged in */ }
  state.ready = true;
  emit();
}

// After any login answer {as, csrf, expires} (token, key file or cloud key): keep the CSRF
// token in memory, read the full ME, open the session's event stream.
export async function completeLogin(j) {
  state.csrf = j.csrf; state.expires = j.expires; state.ended = null;
  state.me = normaliseMe(j.as);
  try {
    const m = await request('GET', '/api/v1/me', { noSessionEnd: true });
    Object.assign(state, stripMe(m));
  } catch { /* keep what the login said */ }
  openEvents();
  emit();
}

// Exchange an API token for a cookie session. Throws ApiError on refusal.
export async function login(token) {
  const j = await request('POST', '/api/v1/auth/token', { body: { token }, noSessionEnd: true });
  await completeLogin(j);
}

// Signature login with a key in this page (lib/keyfile.js's signer): a one-time challenge
// (bound to this browser by the HttpOnly tm_login cookie), signed here, redeemed once with the
// certificate and the raw signature. Throws ApiError with the server's refusal code.
export async function loginWithSigner(signer) {
  const ch = await request('POST', '/api/v1/auth/challenges', { body: {}, noSessionEnd: true });
  const signature = await signer.sign(b64ToBytes(ch.challenge));
  const j = await request('POST', '/api/v1/auth/challenges/' + encodeURIComponent(ch.id), {
    body: { certificate: bytesToB64(signer.certDer), signature: bytesToB64(signature), algorithm: signer.algorithm },
    noSessionEnd: true,
  });
  await completeLogin(j);
}

export async function logout() {
  try { await request('POST', '/api/v1/auth/logout', { noSessionEnd: true }); } catch { /* ignore */ }
  closeEvents();
  state.me = null; state.csrf = null; state.expires = null; state.ended = null;
  emit();
}

export function clearEnded() { state.ended = null; emit(); }

// A certificate holder (signature login with a certificate bound to no representative): sees the
// public screens and their own (my certificates, renewals, revocation requests) only.
export function isHolder(me) {
  return !!me && (me.as === 'holder' || !!(me.may && me.may.holder));
}
