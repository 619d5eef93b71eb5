// lib/joining.js — the joining application's document (docs/joining.md "The document"): what the
// form on #/joining holds → the JSON document in canonical form (members sorted by key in byte
// order, recursively; no whitespace; strings as JSON.stringify writes them), the local checks
// before anything is signed, and CA / representative certificate files read for the document.
// The signing itself is lib/cms.js (an encapsulating CMS SignedData) with a key file's signer.
import { pemBlocks, bytesToB64, b64ToBytes } from './der.js';
import { parseCertificate } from './x509.js';
import { dnAttr } from './format.js';

export const FORMAT = 'trustmon-joining/1';
// What an application does (the form's choice) → its kinds.
export const ACTIONS = { join: ['join'], join_grant: ['join', 'grant'], grant: ['grant'], block: ['block'] };
export const ORG_KINDS = ['qtsp', 'tool_developer', 'system_owner'];
export const ROLES = ['operator', 'viewer'];
export const LIMITS = { name: 512, reason: 1024, issuers: 20, representatives: 50, document: 64 * 1024, cms: 256 * 1024 };

const utf8 = new TextEncoder();
export const byteLength = (s) => utf8.encode(s).length;

// Object member names compared as UTF-8 byte strings (what "byte order" means for nlohmann and
// Python's sort_keys on the server's side; for the ASCII names of the format it is plain order).
function byteOrder(a, b) {
  const x = utf8.encode(a), y = utf8.encode(b);
  const n = Math.min(x.length, y.length);
  for (let i = 0; i < n; i++) if (x[i] !== y[i]) return x[i] - y[i];
  return x.length - y.length;
}

// The canonical JSON text of a value: objects with their members sorted, arrays in order, no
// whitespace, strings and integers as JSON.stringify writes them. Written member by member (not
// through a sorted object) so that no name is ever reordered by the engine.
export function canonicalJSON(v) {
  if (v === null) return 'null';
  if (Array.isArray(v)) return '[' + v.map(canonicalJSON).join(',') + ']';
  if (typeof v === 'object') {
    return '{' + Object.keys(v).filter((k) => v[k] !== undefined).sort(byteOrder)
      .map((k) => JSON.stringify(k) + ':' + canonicalJSON(v[k])).join(',') + '}';
  }
  if (typeof v === 'number' && !Number.isInteger(v)) throw new Error('canonical JSON has integers only');
  return JSON.stringify(v);
}

// RFC 3339 in UTC without fractions of a second: 2026-12-07T10:00:00Z.
export function rfc3339(d = new Date()) {
  return d.toISOString().replace(/\.\d{3}Z$/, 'Z');
}

// An empty representative row of the form.
export const emptyRep = () => ({ name: '', tin: '', role: 'operator', cert: null });

// The form's values → the document object (not yet canonical). Form:
// { action, org: {name, code, kind}, issuers: [{der}], reps: [{name, tin, role, cert: {der}|null}],
//   block: {tin, reason} }.
export function buildDocument(form, when = new Date()) {
  const kinds = ACTIONS[form.action] || ['join'];
  const join = kinds.includes('join');
  const doc = { date: rfc3339(when), format: FORMAT, kinds: [...kinds], organisation: { code: form.org.code.trim() } };
  if (join) {
    doc.organisation.name = form.org.name.trim();
    doc.organisation.kind = form.org.kind;
    if (form.org.kind === 'qtsp') doc.issuers = form.issuers.map((i) => bytesToB64(i.der));
  }
  if (kinds.includes('grant')) {
    doc.representatives = form.reps.map((r) => {
      const o = { name: r.name.trim(), role: r.role, tin: r.tin.trim() };
      if (r.cert) o.certificate = bytesToB64(r.cert.der);
      return o;
    });
  }
  if (kinds.includes('block')) doc.block = { reason: form.block.reason.trim(), tin: form.block.tin.trim() };
  return doc;
}

// The checks the page makes before building the document (the server makes them all again):
// [] or [{ code, field }] with codes under joining.err.
export function checkForm(form) {
  const out = [];
  const kinds = ACTIONS[form.action] || [];
  const bad = (code, field) => out.push({ code, field });
  if (!kinds.length) bad('action_missing', 'action');
  if (!/^\d{8}$/.test(form.org.code.trim())) bad('code_invalid', 'code');
  if (kinds.includes('join')) {
    const n = form.org.name.trim();
    if (!n) bad('name_missing', 'name');
    else if (byteLength(n) > LIMITS.name) bad('name_too_long', 'name');
    if (!ORG_KINDS.includes(form.org.kind)) bad('kind_missing', 'kind');
    if (form.org.kind === 'qtsp') {
      if (!form.issuers.length) bad('issuers_missing', 'issuers');
      else if (form.issuers.length > LIMITS.issuers) bad('issuers_too_many', 'issuers');
    }
  }
  if (kinds.includes('grant')) {
    if (!form.reps.length) bad('reps_missing', 'reps');
    if (form.reps.length > LIMITS.representatives) bad('reps_too_many', 'reps');
    const seen = new Set();
    form.reps.forEach((r, i) => {
      if (!r.name.trim()) bad('rep_name_missing', 'rep-name-' + i);
      if (!/^\d{10}$/.test(r.tin.trim())) bad('tin_invalid', 'rep-tin-' + i);
      else if (seen.has(r.tin.trim())) bad('tin_repeated', 'rep-tin-' + i);
      seen.add(r.tin.trim());
      if (!ROLES.includes(r.role)) bad('role_invalid', 'rep-role-' + i);
    });
  }
  if (kinds.includes('block')) {
    if (!/^\d{10}$/.test(form.block.tin.trim())) bad('tin_invalid', 'block-tin');
    const reason = form.block.reason.trim();
    if (!reason) bad('reason_missing', 'block-reason');
    else if (byteLength(reason) > LIMITS.reason) bad('reason_too_long', 'block-reason');
  }
  return out;
}

// A certificate's DER → what the page shows of it: { der, subject, cn, serialNumber, orgId, issuer, serial }.
export function certView(der) {
  const c = parseCertificate(der);
  return { der, subject: c.subject, issuer: c.issuer, serial: c.serial, notAfter: c.notAfter,
    cn: dnAttr(c.subject, 'CN'), serialNumber: dnAttr(c.subject, 'serialNumber'), orgId: dnAttr(c.subject, 'organizationIdentifier') };
}

// A file of CA certificates (one DER, or PEM with one or more CERTIFICATE blocks) → [certView].
// Throws Error('cert_unreadable').
export function readCertificates(buf) {
  const b = buf instanceof Uint8Array ? buf : new Uint8Array(buf);
  const text = new TextDecoder('utf-8', { fatal: false }).decode(b);
  const ders = text.includes('-----BEGIN') ? pemBlocks(text).filter((x) => x.label === 'CERTIFICATE' && x.der).map((x) => x.der) : [b];
  if (!ders.length) throw new Error('cert_unreadable');
  try { return ders.map(certView); } catch { throw new Error('cert_unreadable'); }
}

// A base64 DER certificate out of a document → certView, or null when it does not parse.
export function certViewB64(b64) {
  try { return certView(b64ToBytes(b64)); } catch { return null; }
}

// Whether a representative's certificate names that RNOKPP (TINUA-<tin>): the server's rule.
export const certOfTin = (view, tin) => !!view && view.serialNumber === 'TINUA-' + tin.trim();
