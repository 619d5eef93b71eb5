// lib/format.js — dates, sizes, ETSI URIs, distinguished names and identifiers for display.
import { locale, tOr } from './i18n.js';

export function fmtTime(v, withSeconds = false) {
  if (!v) return '';
  const d = typeof v === 'number' ? new Date(v * 1000) : new Date(v);
  if (isNaN(d)) return String(v);
  return d.toLocaleString(locale(), {
    year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit',
    second: withSeconds ? '2-digit' : undefined, timeZone: 'UTC', timeZoneName: 'short',
  });
}

export function fmtDate(v) {
  if (!v) return '';
  const d = new Date(v);
  if (isNaN(d)) return String(v);
  return d.toLocaleDateString(locale(), { year: 'numeric', month: '2-digit', day: '2-digit', timeZone: 'UTC' });
}

export function fmtNumber(n) {
  if (n === undefined || n === null || n === '') return '';
  return Number(n).toLocaleString(locale());
}

export function fmtBytes(n) {
  if (n < 1024) return n + ' B';
  if (n < 1024 * 1024) return (n / 1024).toFixed(1) + ' KiB';
  return (n / 1024 / 1024).toFixed(1) + ' MiB';
}

// The last path segment of an ETSI URI, translated under `trustedlist.uri.<segment>` when known.
export function uriTail(uri) {
  if (!uri) return '';
  const s = String(uri).replace(/\/+$/, '');
  return s.slice(s.lastIndexOf('/') + 1);
}
// Service types are told apart by more than the last segment (…/Svctype/CA/QC vs
// …/Svctype/Certstatus/OCSP/QC): the key is the path after Svctype/ or Svcstatus/, '/' → '_'.
export function etsiLabel(uri) {
  const tail = uriTail(uri);
  const m = /\/(?:Svctype|Svcstatus)\/(.+)$/.exec(String(uri || '').replace(/\/+$/, ''));
  const key = (m ? m[1] : tail).replace(/[/.]/g, '_');
  return tOr('trustedlist.uri.' + key, tail);
}

// Pick an attribute out of a DN string such as "CN=Іван, O=ТОВ, C=UA" (or "/CN=…/O=…").
export function dnAttr(dn, attr) {
  if (!dn) return '';
  const re = new RegExp('(?:^|[,/+]\\s*)' + attr + '=((?:\\\\.|[^,/+])*)', 'i');
  const m = String(dn).match(re);
  return m ? m[1].replace(/\\(.)/g, '$1').trim() : '';
}
export function dnCN(dn) { return dnAttr(dn, 'CN') || dn || ''; }

export function shortHex(h, n = 12) {
  if (!h) return '';
  return h.length > n ? h.slice(0, n) + '…' : h;
}

// The server writes absolute URLs with its configured base (which may not be the address the
// browser used); links inside the cabinet go to the same origin's path.
export function localPath(url) {
  if (!url) return '';
  try { const u = new URL(url, location.href); return u.pathname + u.search; } catch { return url; }
}
