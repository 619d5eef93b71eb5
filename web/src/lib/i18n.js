// lib/i18n.js — translations: t('section.key', {vars}) over ONE file per language
// (src/i18n/uk.json, src/i18n/en.json). Ukrainian by default; the choice lives in
// localStorage 'tm.lang' (a preference, not a secret).
import uk from '../i18n/uk.json';
import en from '../i18n/en.json';

export const LANGS = { uk, en };
const listeners = new Set();
let lang = 'uk';
try {
  const saved = localStorage.getItem('tm.lang');
  if (saved && LANGS[saved]) lang = saved;
} catch { /* storage unavailable */ }
if (typeof document !== 'undefined') document.documentElement.lang = lang;

export function getLang() { return lang; }

export function setLang(l) {
  if (!LANGS[l] || l === lang) return;
  lang = l;
  try { localStorage.setItem('tm.lang', l); } catch { /* ignore */ }
  document.documentElement.lang = l;
  listeners.forEach((f) => f(l));
}

export function onLang(f) { listeners.add(f); return () => listeners.delete(f); }

function lookup(dict, key) {
  let v = dict;
  for (const part of key.split('.')) {
    if (v == null || typeof v !== 'object') return undefined;
    v = v[part];
  }
  return typeof v === 'string' ? v : undefined;
}

// t('certificates.found', {n: 3}) → text with {n} replaced; falls back to Ukrainian, then the key.
export function t(key, vars) {
  let s = lookup(LANGS[lang], key);
  if (s === undefined) s = lookup(uk, key);
  if (s === undefined) return key;
  if (vars) s = s.replace(/\{(\w+)\}/g, (m, k) => (vars[k] !== undefined && vars[k] !== null ? String(vars[k]) : m));
  return s;
}

// tOr('status.value.' + x, x): the translation if there is one, else the fallback text.
export function tOr(key, fallback) {
  const s = lookup(LANGS[lang], key) ?? lookup(uk, key);
  return s === undefined ? fallback : s;
}

// An API error for people: the translation of its stable code (section `errors`) when there
// is one, else the server's own (English) message. `detail`: the server's message when the
// text shown is a translation (it may carry a reason, e.g. why a participant was blocked).
export function errorText(code, message) {
  const translated = code ? tOr('errors.' + code, null) : null;
  return translated ? { text: translated, detail: message || '' } : { text: message || code || '', detail: '' };
}

export function locale() { return lang === 'uk' ? 'uk-UA' : 'en-GB'; }
