// lib/der.js — the cabinet's own small DER reader (ASN.1 distinguished encoding): enough to
// walk certificates (lib/x509.js) and PKCS#8 key files (lib/keyfile.js). Nothing here decides
// trust: the server verifies. Lengths are checked against the buffer; indefinite lengths and
// lengths over 4 octets are refused (DER has neither).

// read(buf, pos) → { tag, start, hstart, end, len } of the element at pos.
export function read(buf, pos) {
  if (pos + 2 > buf.length) throw new Error('DER: truncated');
  const tag = buf[pos];
  let len = buf[pos + 1];
  let hdr = 2;
  if (len & 0x80) {
    const n = len & 0x7f;
    if (n === 0 || n > 4) throw new Error('DER: bad length');
    len = 0;
    for (let i = 0; i < n; i++) len = len * 256 + buf[pos + 2 + i];
    hdr = 2 + n;
  }
  if (pos + hdr + len > buf.length) throw new Error('DER: truncated');
  return { tag, start: pos, hstart: pos + hdr, end: pos + hdr + len, len };
}

// The elements inside a constructed element.
export function children(buf, node) {
  const out = [];
  for (let p = node.hstart; p < node.end;) { const c = read(buf, p); out.push(c); p = c.end; }
  return out;
}

// The content octets of an element.
export const bytes = (buf, n) => buf.subarray(n.hstart, n.end);

export const hex = (b) => Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('').toUpperCase();

// An OBJECT IDENTIFIER's content octets → dotted text.
export function oid(b) {
  const parts = [Math.floor(b[0] / 40), b[0] % 40];
  let v = 0;
  for (let i = 1; i < b.length; i++) {
    v = v * 128 + (b[i] & 0x7f);
    if (!(b[i] & 0x80)) { parts.push(v); v = 0; }
  }
  if (parts[0] > 2) { parts[1] += (parts[0] - 2) * 40; parts[0] = 2; }
  return parts.join('.');
}

// An INTEGER's content octets → Number (small values only: iteration counts, key lengths).
export function smallInt(b) {
  if (b.length > 6) throw new Error('DER: integer too large');
  let v = 0;
  for (const x of b) v = v * 256 + x;
  return v;
}

// The blocks of a PEM text: [{ label, der }] in file order.
export function pemBlocks(text) {
  const out = [];
  const re = /-----BEGIN ([A-Z0-9 ]+)-----([\s\S]*?)-----END \1-----/g;
  let m;
  while ((m = re.exec(text))) {
    // Headers such as "Proc-Type:" (the old OpenSSL encryption) are not base64: refuse those blocks.
    if (/^[A-Za-z-]+:/m.test(m[2])) { out.push({ label: m[1], der: null, headers: true }); continue; }
    try { out.push({ label: m[1], der: b64ToBytes(m[2]) }); } catch { out.push({ label: m[1], der: null }); }
  }
  return out;
}

export function b64ToBytes(b64) {
  const s = atob(b64.replace(/\s+/g, ''));
  const out = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) out[i] = s.charCodeAt(i);
  return out;
}

export function bytesToB64(b) {
  let s = '';
  for (let i = 0; i < b.length; i += 0x8000) s += String.fromCharCode.apply(null, b.subarray(i, i + 0x8000));
  return btoa(s);
}
