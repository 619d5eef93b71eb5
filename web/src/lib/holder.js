// lib/holder.js — what the holder's screens and the providers' request screens share: the rows
// of GET /api/v1/holder/certificates ({"groups": {"valid": […], "held", "revoked", "expired"}}),
// lineage references ({"issuer","serial"}), and signed request files (DER, base64 or PEM) as the
// API takes them (base64 DER).
import { pemBlocks, bytesToB64, b64ToBytes, read } from './der.js';

export const GROUPS = ['valid', 'held', 'revoked', 'expired'];

// The RFC 5280 reasons a holder may give (docs/login.md "Revocation request").
export const REVOCATION_REASONS = ['unspecified', 'keyCompromise', 'affiliationChanged', 'superseded', 'cessationOfOperation', 'certificateHold',
  'privilegeWithdrawn'];

// The rows of a holder certificate answer, each with its group, in the order of GROUPS.
export function holderRows(r) {
  if (!r || !r.groups) return [];
  return GROUPS.flatMap((g) => (r.groups[g] || []).map((c) => ({ ...c, group: g })));
}

// A certificate named by issuer and serial (lineage, a request's certificate) as text.
export function certRef(c) {
  return c ? [c.issuer, c.serial].filter(Boolean).join(' · ') : '';
}

// The holder's name of a row: its CN, else the subject.
export function rowName(c) {
  return c.common_name || c.subject || '';
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
