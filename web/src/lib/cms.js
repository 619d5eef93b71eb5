// lib/cms.js — a signed request file made in this page: CMS SignedData (RFC 5652) that
// ENCAPSULATES its content (id-data), signed with a key file's signer (lib/keyfile.js), the
// signer's certificate included and named by issuer and serial number, with the signed
// attributes contentType, signingTime and messageDigest — what `openssl cms -sign -binary
// -nodetach -outform DER` makes. The server verifies it as it verifies that command's output.
import { read, children } from './der.js';

// --- a minimal DER writer -------------------------------------------------------------------

function lenBytes(n) {
  if (n < 0x80) return [n];
  const out = [];
  for (let v = n; v > 0; v = Math.floor(v / 256)) out.unshift(v & 0xff);
  return [0x80 | out.length, ...out];
}

function concat(parts) {
  let n = 0;
  for (const p of parts) n += p.length;
  const out = new Uint8Array(n);
  let o = 0;
  for (const p of parts) { out.set(p, o); o += p.length; }
  return out;
}

export function tlv(tag, ...content) {
  const body = concat(content);
  return concat([new Uint8Array([tag, ...lenBytes(body.length)]), body]);
}

const seq = (...c) => tlv(0x30, ...c);
const octets = (b) => tlv(0x04, b);

export function oidDer(dotted) {
  const p = dotted.split('.').map(Number);
  const out = [p[0] * 40 + p[1]];
  for (const v of p.slice(2)) {
    const b = [v & 0x7f];
    for (let x = Math.floor(v / 128); x > 0; x = Math.floor(x / 128)) b.unshift(0x80 | (x & 0x7f));
    out.push(...b);
  }
  return tlv(0x06, new Uint8Array(out));
}

function intDer(bytes) {
  let i = 0;
  while (i < bytes.length - 1 && bytes[i] === 0) i++;
  let b = bytes.subarray(i);
  if (b[0] & 0x80) b = concat([new Uint8Array([0]), b]);
  return tlv(0x02, b);
}

function smallIntDer(n) { return tlv(0x02, new Uint8Array([n])); }

function utcTime(d) {
  const p = (x) => String(x).padStart(2, '0');
  const s = p(d.getUTCFullYear() % 100) + p(d.getUTCMonth() + 1) + p(d.getUTCDate()) + p(d.getUTCHours()) + p(d.getUTCMinutes()) + p(d.getUTCSeconds()) + 'Z';
  return tlv(0x17, new TextEncoder().encode(s));
}

// DER's SET OF: the elements in ascending order of their encodings.
function setOf(elements, tag = 0x31) {
  const sorted = [...elements].sort((a, b) => {
    const n = Math.max(a.length, b.length);
    for (let i = 0; i < n; i++) { const x = a[i] || 0, y = b[i] || 0; if (x !== y) return x - y; }
    return 0;
  });
  return tlv(tag, ...sorted);
}

// --- CMS ------------------------------------------------------------------------------------

const OID = {
  data: '1.2.840.113549.1.7.1', signedData: '1.2.840.113549.1.7.2', sha256: '2.16.840.1.101.3.4.2.1',
  contentType: '1.2.840.113549.1.9.3', messageDigest: '1.2.840.113549.1.9.4', signingTime: '1.2.840.113549.1.9.5',
  ecdsaSha256: '1.2.840.10045.4.3.2', rsaSha256: '1.2.840.113549.1.1.11',
};

// WebCrypto's ECDSA signature (r||s) → the DER Ecdsa-Sig-Value CMS carries.
export function ecdsaRawToDer(raw) {
  const h = raw.length / 2;
  return seq(intDer(raw.subarray(0, h)), intDer(raw.subarray(h)));
}

// The certificate's issuer Name and serialNumber INTEGER, as encoded in it.
function issuerAndSerial(certDer) {
  const cert = read(certDer, 0);
  const [tbs] = children(certDer, cert);
  let f = children(certDer, tbs);
  if (f[0].tag === 0xa0) f = f.slice(1);
  const [serial, , issuer] = f;
  return seq(certDer.subarray(issuer.start, issuer.end), certDer.subarray(serial.start, serial.end));
}

// content (bytes) + signer (lib/keyfile.js makeSigner) → DER of a ContentInfo with SignedData.
export async function signEncapsulated(content, signer, when = new Date()) {
  const digest = new Uint8Array(await crypto.subtle.digest('SHA-256', content));
  const sha256Alg = seq(oidDer(OID.sha256));
  const attrs = [
    seq(oidDer(OID.contentType), tlv(0x31, oidDer(OID.data))),
    seq(oidDer(OID.signingTime), tlv(0x31, utcTime(when))),
    seq(oidDer(OID.messageDigest), tlv(0x31, octets(digest))),
  ];
  const signedAttrs = setOf(attrs);                       // what is signed: the SET OF, tag 0x31
  const raw = await signer.sign(signedAttrs);
  const ec = signer.algorithm.startsWith('ecdsa');
  const sigAlg = ec ? seq(oidDer(OID.ecdsaSha256)) : seq(oidDer(OID.rsaSha256), new Uint8Array([0x05, 0x00]));
  const signature = ec ? ecdsaRawToDer(raw) : raw;
  const signerInfo = seq(
    smallIntDer(1),
    issuerAndSerial(signer.certDer),
    sha256Alg,
    concat([new Uint8Array([0xa0]), signedAttrs.subarray(1)]),   // [0] IMPLICIT: the same octets, tag changed
    sigAlg,
    octets(signature),
  );
  const signedData = seq(
    smallIntDer(1),
    tlv(0x31, sha256Alg),
    seq(oidDer(OID.data), tlv(0xa0, octets(content))),
    tlv(0xa0, signer.certDer),
    tlv(0x31, signerInfo),
  );
  return seq(oidDer(OID.signedData), tlv(0xa0, signedData));
}
