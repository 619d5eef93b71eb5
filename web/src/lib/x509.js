// lib/x509.js — a small DER reader for showing a certificate's fields (never for trusting it:
// the server verifies). parseCertificate(bytes) → { version, serial, sigAlg, issuer, subject,
// notBefore, notAfter, keyAlg, keyInfo, spki (bytes), extensions: [{oid, name, critical, value}] }.
import { read, children, bytes, hex, oid, b64ToBytes } from './der.js';

export { b64ToBytes };

const OIDS = {
  '2.5.4.3': 'CN', '2.5.4.4': 'SN', '2.5.4.5': 'serialNumber', '2.5.4.6': 'C', '2.5.4.7': 'L', '2.5.4.8': 'ST',
  '2.5.4.9': 'street', '2.5.4.10': 'O', '2.5.4.11': 'OU', '2.5.4.12': 'title', '2.5.4.42': 'GN', '2.5.4.97': 'organizationIdentifier',
  '1.2.840.113549.1.9.1': 'emailAddress', '2.5.4.43': 'initials', '2.5.4.65': 'pseudonym',
  '1.2.840.113549.1.1.1': 'RSA', '1.2.840.10045.2.1': 'EC', '1.3.101.112': 'Ed25519',
  '1.2.840.113549.1.1.11': 'sha256WithRSA', '1.2.840.113549.1.1.12': 'sha384WithRSA', '1.2.840.113549.1.1.13': 'sha512WithRSA',
  '1.2.840.113549.1.1.10': 'RSASSA-PSS', '1.2.840.10045.4.3.2': 'ecdsa-with-SHA256', '1.2.840.10045.4.3.3': 'ecdsa-with-SHA384',
  '1.2.840.10045.4.3.4': 'ecdsa-with-SHA512', '1.2.804.2.1.1.1.1.3.1.1': 'DSTU 4145',
  '1.2.840.10045.3.1.7': 'P-256', '1.3.132.0.34': 'P-384', '1.3.132.0.35': 'P-521',
  '2.5.29.14': 'subjectKeyIdentifier', '2.5.29.15': 'keyUsage', '2.5.29.17': 'subjectAltName', '2.5.29.19': 'basicConstraints',
  '2.5.29.31': 'cRLDistributionPoints', '2.5.29.32': 'certificatePolicies', '2.5.29.35': 'authorityKeyIdentifier',
  '2.5.29.37': 'extKeyUsage', '2.5.29.9': 'subjectDirectoryAttributes', '2.5.29.46': 'freshestCRL',
  '1.3.6.1.5.5.7.1.1': 'authorityInfoAccess', '1.3.6.1.5.5.7.1.3': 'qcStatements', '1.3.6.1.5.5.7.48.1': 'OCSP',
  '1.3.6.1.5.5.7.48.2': 'caIssuers', '1.3.6.1.5.5.7.3.1': 'serverAuth', '1.3.6.1.5.5.7.3.2': 'clientAuth',
  '1.3.6.1.5.5.7.3.4': 'emailProtection', '1.3.6.1.5.5.7.3.8': 'timeStamping', '1.3.6.1.5.5.7.3.9': 'OCSPSigning',
  '0.4.0.1862.1.1': 'QcCompliance', '0.4.0.1862.1.4': 'QcSSCD', '0.4.0.1862.1.6': 'QcType', '0.4.0.1862.1.5': 'QcPDS',
  '0.4.0.1862.1.6.1': 'esign', '0.4.0.1862.1.6.2': 'eseal', '0.4.0.1862.1.6.3': 'web',
  '1.2.804.2.1.1.1.11.1.4.1.1': 'DRFO', '1.2.804.2.1.1.1.11.1.4.2.1': 'EDRPOU', '1.2.804.2.1.1.1.11.1.4.7.1': 'UNZR',
  '1.2.804.2.1.1.1.11.1.4.3.1': 'passport', '1.2.804.2.1.1.1.11.1.4.11.1': 'ID card',
  '1.2.804.2.1.1.1.2.2': 'UA qualified (policy)', '0.4.0.194112.1.2': 'QCP-n-qscd', '0.4.0.194112.1.3': 'QCP-l-qscd',
  '0.4.0.194112.1.0': 'QCP-n', '0.4.0.194112.1.1': 'QCP-l', '0.4.0.194112.1.4': 'QCP-w',
};
export const oidName = (o) => OIDS[o] || o;

function str(buf, n) {
  const b = bytes(buf, n);
  if (n.tag === 0x1e) { let s = ''; for (let i = 0; i + 1 < b.length; i += 2) s += String.fromCharCode(b[i] << 8 | b[i + 1]); return s; }
  if (n.tag === 0x06) return oidName(oid(b));
  if (n.tag === 0x04 || n.tag === 0x03) return hex(b);
  return new TextDecoder().decode(b);
}

function time(buf, n) {
  const s = new TextDecoder().decode(bytes(buf, n));
  const full = n.tag === 0x17 ? (Number(s.slice(0, 2)) < 50 ? '20' : '19') + s : s;
  return `${full.slice(0, 4)}-${full.slice(4, 6)}-${full.slice(6, 8)}T${full.slice(8, 10)}:${full.slice(10, 12)}:${full.slice(12, 14)}Z`;
}

function name(buf, n) {
  const parts = [];
  for (const rdn of children(buf, n)) {
    for (const atv of children(buf, rdn)) {
      const [o, v] = children(buf, atv);
      parts.push(`${oidName(oid(bytes(buf, o)))}=${str(buf, v)}`);
    }
  }
  return parts.join(', ');
}

function generalNames(buf, n) {
  const out = [];
  for (const g of children(buf, n)) {
    const k = g.tag & 0x1f;
    if (k === 1) out.push('email: ' + new TextDecoder().decode(bytes(buf, g)));
    else if (k === 2) out.push('DNS: ' + new TextDecoder().decode(bytes(buf, g)));
    else if (k === 6) out.push('URI: ' + new TextDecoder().decode(bytes(buf, g)));
    else if (k === 7) out.push('IP: ' + Array.from(bytes(buf, g)).join('.'));
    else if (k === 4) out.push('DN: ' + name(buf, children(buf, g)[0]));
    else if (k === 0) {
      const [o] = children(buf, g);
      out.push(oidName(oid(bytes(buf, o))) + ': ' + hex(bytes(buf, g)).slice(0, 40));
    }
  }
  return out;
}

const KU = ['digitalSignature', 'nonRepudiation', 'keyEncipherment', 'dataEncipherment', 'keyAgreement', 'keyCertSign', 'cRLSign', 'encipherOnly', 'decipherOnly'];

function extValue(buf, o, inner) {
  const top = read(buf, inner.hstart);
  switch (o) {
    case '2.5.29.15': {
      const b = bytes(buf, top);
      const bits = [];
      for (let i = 0; i < KU.length; i++) { const byte = b[1 + (i >> 3)]; if (byte !== undefined && byte & (0x80 >> (i & 7))) bits.push(KU[i]); }
      return bits.join(', ');
    }
    case '2.5.29.37': return children(buf, top).map((c) => oidName(oid(bytes(buf, c)))).join(', ');
    case '2.5.29.19': {
      const c = children(buf, top);
      const ca = c.length && c[0].tag === 0x01 && buf[c[0].hstart] !== 0;
      const pl = c.find((x) => x.tag === 0x02);
      return 'CA: ' + (ca ? 'yes' : 'no') + (pl ? ', pathLen ' + bytes(buf, pl)[0] : '');
    }
    case '2.5.29.17': return generalNames(buf, top).join('; ');
    case '2.5.29.14': return hex(bytes(buf, top));
    case '2.5.29.35': { const k = children(buf, top).find((c) => (c.tag & 0x1f) === 0); return k ? hex(bytes(buf, k)) : ''; }
    case '2.5.29.32': return children(buf, top).map((p) => oidName(oid(bytes(buf, children(buf, p)[0])))).join(', ');
    case '2.5.29.31': case '2.5.29.46': {
      const out = [];
      for (const dp of children(buf, top)) for (const f of children(buf, dp)) if ((f.tag & 0x1f) === 0) for (const g of children(buf, f)) if ((g.tag & 0x1f) === 0) out.push(...generalNames(buf, g));
      return out.join('; ');
    }
    case '1.3.6.1.5.5.7.1.1': return children(buf, top).map((ad) => { const [m, loc] = children(buf, ad); return oidName(oid(bytes(buf, m))) + ' ' + new TextDecoder().decode(bytes(buf, loc)); }).join('; ');
    case '1.3.6.1.5.5.7.1.3': return children(buf, top).map((st) => {
      const [m, info] = children(buf, st);
      const nm = oidName(oid(bytes(buf, m)));
      if (info && info.tag === 0x30 && nm === 'QcType') return nm + ' ' + children(buf, info).map((c) => oidName(oid(bytes(buf, c)))).join('/');
      return nm;
    }).join(', ');
    case '2.5.29.9': return children(buf, top).map((attr) => {
      const [m, set] = children(buf, attr);
      return oidName(oid(bytes(buf, m))) + '=' + children(buf, set).map((v) => str(buf, v)).join('/');
    }).join('; ');
    default: return hex(bytes(buf, inner)).slice(0, 64) + (inner.len > 32 ? '…' : '');
  }
}

export function parseCertificate(der) {
  const buf = der instanceof Uint8Array ? der : new Uint8Array(der);
  const cert = read(buf, 0);
  const [tbs, sigAlg] = children(buf, cert);
  let f = children(buf, tbs);
  let version = 1;
  if (f[0].tag === 0xa0) { version = bytes(buf, children(buf, f[0])[0])[0] + 1; f = f.slice(1); }
  const [serial, , issuer, validity, subject, spki, ...rest] = f;
  const [nb, na] = children(buf, validity);
  const [keyAlgSeq, keyBits] = children(buf, spki);
  const ka = children(buf, keyAlgSeq);
  const keyAlg = oidName(oid(bytes(buf, ka[0])));
  let keyInfo = '';
  if (keyAlg === 'EC' && ka[1] && ka[1].tag === 0x06) keyInfo = oidName(oid(bytes(buf, ka[1])));
  else if (keyAlg === 'RSA') {
    try {
      const rsa = read(buf, keyBits.hstart + 1);
      const mod = bytes(buf, children(buf, rsa)[0]);
      keyInfo = ((mod.length - (mod[0] === 0 ? 1 : 0)) * 8) + ' bit';
    } catch { /* leave empty */ }
  }
  const extensions = [];
  const extWrap = rest.find((n) => n.tag === 0xa3);
  if (extWrap) {
    for (const e of children(buf, children(buf, extWrap)[0])) {
      const c = children(buf, e);
      const o = oid(bytes(buf, c[0]));
      const critical = c.length === 3 && buf[c[1].hstart] !== 0;
      const inner = c[c.length - 1];
      let value;
      try { value = extValue(buf, o, inner); } catch { value = hex(bytes(buf, inner)).slice(0, 64); }
      extensions.push({ oid: o, name: oidName(o), critical, value });
    }
  }
  return {
    version, serial: hex(bytes(buf, serial)).replace(/^(00)+(?=.)/, ''),
    sigAlg: oidName(oid(bytes(buf, children(buf, sigAlg)[0]))),
    issuer: name(buf, issuer), subject: name(buf, subject),
    notBefore: time(buf, nb), notAfter: time(buf, na), keyAlg, keyInfo,
    spki: buf.slice(spki.start, spki.end), extensions,
  };
}

export async function sha256Hex(b) {
  if (!crypto.subtle) return null; // not a secure context
  return hex(new Uint8Array(await crypto.subtle.digest('SHA-256', b))).toLowerCase();
}
