// lib/holder.js — what the holder's screens and the providers' request screens share: reading
// the lists of GET /api/v1/holder/certificates, /api/v1/renewals and /api/v1/revocation-requests
// (docs/login.md), the group a certificate belongs to, lineage references, and signed request
// files (DER, base64 or PEM) as the API takes them (base64 DER).
import { pemBlocks, bytesToB64, b64ToBytes, read } from './der.js';

export const GROUPS = ['valid', 'held', 'revoked', 'expired'];

// RFC 5280 CRLReason names a holder may ask for (certificateHold is the provider's, removeFromCRL no reason).
export const REVOCATION_REASONS = ['unspecified', 'keyCompromise', 'affiliationChanged', 'superseded', 'cessationOfOperation', 'privilegeWithdrawn'];

// The group of one certificate row: the server's own when given, else from its status.
export function groupOf(c) {
  if (c.group && GROUPS.includes(c.group)) return c.group;
  const s = c.status || '';
  const reason = c.revocation && c.revocation.reason;
  if (s === 'held' || s === 'on_hold' || (s === 'revoked' && reason === 'certificateHold')) return 'held';
  if (s === 'revoked') return 'revoked';
  if (s === 'expired') return 'expired';
  if (c.not_after && Date.parse(c.not_after) < Date.now()) return 'expired';
  return 'valid';
}

// The rows of a holder certificate answer, whichever of the shapes {certificates:[…]} or
// {groups:{valid:[…],…}} it has, each with its group.
export function holderRows(r) {
  if (!r) return [];
  if (Array.isArray(r.certificates)) return r.certificates.map((c) => ({ ...c, group: groupOf(c) }));
  if (r.groups && typeof r.groups === 'object') {
    const out = [];
    for (const g of Object.keys(r.groups)) for (const c of r.groups[g] || []) out.push({ ...c, group: GROUPS.includes(g) ? g : groupOf(c) });
    return out;
  }
  return [];
}

// A lineage reference (replaces / replaced_by): an object {issuer, serial, sha256?}, a sha256
// text, or a list of those → [{ text, sha256 }].
export function refs(v) {
  if (!v) return [];
  const list = Array.isArray(v) ? v : [v];
  return list.filter(Boolean).map((x) => {
    if (typeof x === 'string') return { text: x.length > 20 ? x.slice(0, 16) + '…' : x, sha256: /^[0-9a-f]{64}$/i.test(x) ? x : '' };
    const text = [x.issuer, x.serial].filter(Boolean).join(' · ') || x.sha256 || x.number || '';
    return { text, sha256: x.sha256 || '', number: x.number || x.renewal || '' };
  });
}

// Lists of the request endpoints, whatever the collection is named.
export function items(r, ...names) {
  if (!r) return [];
  for (const n of [...names, 'items']) if (Array.isArray(r[n])) return r[n];
  return [];
}

// The subject's CN of a row (subject text or cn field).
export function rowName(c) {
  if (c.common_name) return c.common_name;
  if (c.cn) return c.cn;
  if (c.subject_cn) return c.subject_cn;
  const m = /(?:^|[,/]\s*)CN=((?:\\.|[^,/+])*)/i.exec(c.subject || '');
  return m ? m[1].trim() : (c.subject || '');
}

// A picked signed-request file → base64 of its DER: binary DER as is, PEM (CMS / PKCS7) decoded,
// a text file of base64 taken as base64. Throws Error('request_unreadable').
export function signedFileToB64(buf) {
  const b = buf instanceof Uint8Array ? buf : new Uint8Array(buf);
  if (!b.length) throw new Error('request_unreadable');
  if (b[0] === 0x30) {
    try { const top = read(b, 0); if (top.end === b.length) return bytesToB64(b); } catch { /* not DER */ }
  }
  const text = new TextDecoder('utf-8', { fatal: false }).decode(b);
  if (text.includes('-----BEGIN')) {
    const blk = pemBlocks(text).find((x) => /^(CMS|PKCS7|PKCS #7 SIGNED DATA)$/.test(x.label) && x.der);
    if (!blk) throw new Error('request_unreadable');
    return bytesToB64(blk.der);
  }
  const t = text.replace(/\s+/g, '');
  if (/^[A-Za-z0-9+/]+=*$/.test(t)) {
    try { const der = b64ToBytes(t); read(der, 0); return bytesToB64(der); } catch { /* fall through */ }
  }
  throw new Error('request_unreadable');
}
