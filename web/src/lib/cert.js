// lib/cert.js — what a certificate summary says about its holder: the display name and the
// Ukrainian identifiers (TINUA-/NTRUA-/PASUA-… in the subject, DRFO/EDRPOU behind them).
import { dnAttr, dnCN } from './format.js';

// → [{ label, value }] for the identifiers the subject carries (and the attribute a search matched).
export function identifiers(c) {
  const out = [];
  const seen = new Set();
  const add = (label, value) => { if (value && !seen.has(label + value)) { seen.add(label + value); out.push({ label, value }); } };
  const sn = dnAttr(c.subject, 'serialNumber') || dnAttr(c.subject, '2.5.4.5');
  const oi = dnAttr(c.subject, 'organizationIdentifier') || dnAttr(c.subject, '2.5.4.97');
  if (sn) {
    add(sn.startsWith('TINUA-') ? 'TINUA' : 'serialNumber', sn);
    if (/^TINUA-\d{10}$/.test(sn)) add('DRFO', sn.slice(6));
  }
  if (oi) {
    add(oi.startsWith('NTRUA-') ? 'NTRUA' : 'organizationIdentifier', oi);
    if (/^NTRUA-\d{8}$/.test(oi)) add('EDRPOU', oi.slice(6));
  }
  if (c.matched) {
    const i = c.matched.indexOf('=');
    if (i > 0) {
      const k = c.matched.slice(0, i).toUpperCase();
      if (k === 'DRFO' || k === 'EDRPOU' || k === 'UNZR') add(k, c.matched.slice(i + 1));
    }
  }
  return out;
}

export function holderName(c) { return dnCN(c.subject) || c.subject || c.sha256; }
export function orgName(c) { return dnAttr(c.subject, 'O'); }

// The status to show: a hold is a revocation with reason certificateHold.
export function displayStatus(c) {
  if (c.status === 'revoked' && c.revocation && c.revocation.reason === 'certificateHold') return 'on_hold';
  return c.status;
}
