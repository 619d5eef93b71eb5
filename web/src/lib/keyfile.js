// lib/keyfile.js — a qualified key from a file, used in this page only: PKCS#8 (PEM or DER),
// unencrypted or encrypted with PBES2 (PBKDF2 with HMAC-SHA-1/256/384/512, AES-128/192/256-CBC),
// imported into WebCrypto as a non-extractable signing key (ECDSA P-256 / P-384, RSASSA-PKCS1-v1_5),
// checked against the certificate by verifying a signature locally, then used to sign the login
// challenge. The key and its password are never sent anywhere and never stored; only the
// certificate and the signature go to the server.
//
// Errors are KeyFileError with a stable code (texts under login.key_err.<code>).
import { read, children, bytes, oid, smallInt, pemBlocks } from './der.js';
import { parseCertificate } from './x509.js';

export class KeyFileError extends Error {
  constructor(code, detail) { super(detail || code); this.code = code; }
}

const OID = {
  ec: '1.2.840.10045.2.1', rsa: '1.2.840.113549.1.1.1',
  p256: '1.2.840.10045.3.1.7', p384: '1.3.132.0.34',
  pbes2: '1.2.840.113549.1.5.13', pbkdf2: '1.2.840.113549.1.5.12',
};
const PRF = { '1.2.840.113549.2.7': 'SHA-1', '1.2.840.113549.2.9': 'SHA-256', '1.2.840.113549.2.10': 'SHA-384', '1.2.840.113549.2.11': 'SHA-512' };
const AES_CBC = { '2.16.840.1.101.3.4.1.2': 128, '2.16.840.1.101.3.4.1.22': 192, '2.16.840.1.101.3.4.1.42': 256 };
const MAX_ITERATIONS = 10_000_000;  // a key file from elsewhere must not hang the page
const MAX_FILE = 64 * 1024;

export function webCryptoAvailable() {
  return typeof crypto !== 'undefined' && !!crypto.subtle;
}

function need(cond, code) { if (!cond) throw new KeyFileError(code); }

// The bytes of a file the user picked (<input type=file>).
export async function fileBytes(file) {
  return new Uint8Array(await file.arrayBuffer());
}

// Bytes of a picked file → { key: { encrypted, der }, certDer? } (a PEM bundle may hold both).
export function readKeyFile(buf) {
  const b = buf instanceof Uint8Array ? buf : new Uint8Array(buf);
  need(b.length > 0 && b.length <= MAX_FILE, 'key_unreadable');
  const text = new TextDecoder('utf-8', { fatal: false }).decode(b);
  if (text.includes('-----BEGIN')) {
    const blocks = pemBlocks(text);
    const out = {};
    for (const blk of blocks) {
      if (blk.label === 'PRIVATE KEY' && blk.der) out.key = { encrypted: false, der: blk.der };
      else if (blk.label === 'ENCRYPTED PRIVATE KEY' && blk.der) out.key = { encrypted: true, der: blk.der };
      else if (blk.label === 'CERTIFICATE' && blk.der && !out.certDer) out.certDer = blk.der;
      else if (/^(EC|RSA) PRIVATE KEY$/.test(blk.label)) throw new KeyFileError(blk.headers ? 'key_legacy_encrypted' : 'key_not_pkcs8');
    }
    need(out.key, blocks.some((x) => x.label === 'CERTIFICATE') ? 'key_missing' : 'key_unreadable');
    return out;
  }
  // Binary: a DER PrivateKeyInfo (starts with INTEGER 0) or EncryptedPrivateKeyInfo (a SEQUENCE).
  try {
    const top = read(b, 0);
    need(top.tag === 0x30 && top.end === b.length, 'key_unreadable');
    const first = children(b, top)[0];
    return { key: { encrypted: first.tag === 0x30, der: b } };
  } catch (e) {
    if (e instanceof KeyFileError) throw e;
    throw new KeyFileError('key_unreadable');
  }
}

// A certificate file (PEM or DER) → its DER.
export function readCertificateFile(buf) {
  const b = buf instanceof Uint8Array ? buf : new Uint8Array(buf);
  need(b.length > 0 && b.length <= MAX_FILE, 'cert_unreadable');
  const text = new TextDecoder('utf-8', { fatal: false }).decode(b);
  let der = b;
  if (text.includes('-----BEGIN')) {
    const blk = pemBlocks(text).find((x) => x.label === 'CERTIFICATE' && x.der);
    need(blk, 'cert_unreadable');
    der = blk.der;
  }
  try { parseCertificate(der); } catch { throw new KeyFileError('cert_unreadable'); }
  return der;
}

// EncryptedPrivateKeyInfo (PBES2) + password → PrivateKeyInfo DER.
export async function decryptPkcs8(der, password) {
  need(webCryptoAvailable(), 'no_webcrypto');
  let salt, iterations, keyBits, prf, iv, data;
  try {
    const top = read(der, 0);
    const [algId, enc] = children(der, top);
    const [algOid, params] = children(der, algId);
    need(oid(bytes(der, algOid)) === OID.pbes2, 'key_cipher_unsupported');
    const [kdf, scheme] = children(der, params);
    const [kdfOid, kdfParams] = children(der, kdf);
    need(oid(bytes(der, kdfOid)) === OID.pbkdf2, 'key_cipher_unsupported');
    const kp = children(der, kdfParams);
    need(kp[0].tag === 0x04, 'key_cipher_unsupported');   // salt "otherSource" is not in use anywhere
    salt = bytes(der, kp[0]).slice();
    iterations = smallInt(bytes(der, kp[1]));
    prf = 'SHA-1';                                         // the DEFAULT of PBKDF2-params
    for (const x of kp.slice(2)) {
      if (x.tag === 0x02) continue;                        // keyLength: the cipher says it anyway
      if (x.tag === 0x30) {
        const p = PRF[oid(bytes(der, children(der, x)[0]))];
        need(p, 'key_cipher_unsupported');
        prf = p;
      }
    }
    const [schemeOid, ivNode] = children(der, scheme);
    keyBits = AES_CBC[oid(bytes(der, schemeOid))];
    need(keyBits && ivNode && ivNode.tag === 0x04 && ivNode.len === 16, 'key_cipher_unsupported');
    iv = bytes(der, ivNode).slice();
    need(enc.tag === 0x04, 'key_unreadable');
    data = bytes(der, enc).slice();
  } catch (e) {
    if (e instanceof KeyFileError) throw e;
    throw new KeyFileError('key_unreadable');
  }
  need(iterations >= 1 && iterations <= MAX_ITERATIONS, 'key_cipher_unsupported');
  const pw = await crypto.subtle.importKey('raw', new TextEncoder().encode(password), 'PBKDF2', false, ['deriveKey']);
  const aes = await crypto.subtle.deriveKey({ name: 'PBKDF2', salt, iterations, hash: prf }, pw,
    { name: 'AES-CBC', length: keyBits }, false, ['decrypt']);
  let plain;
  try {
    plain = new Uint8Array(await crypto.subtle.decrypt({ name: 'AES-CBC', iv }, aes, data));
  } catch {
    throw new KeyFileError('key_password_wrong');   // the padding did not check out
  }
  try { keyAlgorithm(plain); } catch { throw new KeyFileError('key_password_wrong'); }
  return plain;
}

// PrivateKeyInfo DER → { type: 'EC', curve: 'P-256' } | { type: 'RSA' }.
export function keyAlgorithm(der) {
  let algOid, param;
  try {
    const top = read(der, 0);
    const [version, algId] = children(der, top);
    need(version.tag === 0x02 && algId.tag === 0x30, 'key_unreadable');
    const a = children(der, algId);
    algOid = oid(bytes(der, a[0]));
    param = a[1] && a[1].tag === 0x06 ? oid(bytes(der, a[1])) : null;
  } catch (e) {
    if (e instanceof KeyFileError) throw e;
    throw new KeyFileError('key_unreadable');
  }
  if (algOid === OID.rsa) return { type: 'RSA' };
  if (algOid === OID.ec && param === OID.p256) return { type: 'EC', curve: 'P-256' };
  if (algOid === OID.ec && param === OID.p384) return { type: 'EC', curve: 'P-384' };
  throw new KeyFileError('key_alg_unsupported');
}

// A WebCrypto algorithm, and the API's name for the raw signature it makes.
function algorithms(alg) {
  if (alg.type === 'RSA') {
    return { imp: { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256' }, sign: { name: 'RSASSA-PKCS1-v1_5' }, api: 'rsa-pkcs1-sha256' };
  }
  return { imp: { name: 'ECDSA', namedCurve: alg.curve }, sign: { name: 'ECDSA', hash: 'SHA-256' }, api: 'ecdsa-sha256' };
}

// A signer over a key file and its certificate: { algorithm, certDer, cert, sign(bytes) }.
// Checks before any network use that the key is the certificate's (a local signature verified
// with the certificate's public key) — a wrong pair is 'key_cert_mismatch', not a server refusal.
export async function makeSigner(pkcs8Der, certDer) {
  need(webCryptoAvailable(), 'no_webcrypto');
  const alg = keyAlgorithm(pkcs8Der);
  const a = algorithms(alg);
  let key;
  try {
    key = await crypto.subtle.importKey('pkcs8', pkcs8Der, a.imp, false, ['sign']);
  } catch {
    throw new KeyFileError('key_unreadable');
  }
  const cert = parseCertificate(certDer);
  let pub;
  try {
    pub = await crypto.subtle.importKey('spki', cert.spki, a.imp, false, ['verify']);
  } catch {
    throw new KeyFileError('key_cert_mismatch');
  }
  const probe = crypto.getRandomValues(new Uint8Array(32));
  const sig = await crypto.subtle.sign(a.sign, key, probe);
  if (!(await crypto.subtle.verify(a.sign, pub, sig, probe))) throw new KeyFileError('key_cert_mismatch');
  return {
    algorithm: a.api,
    certDer,
    cert,
    sign: async (data) => new Uint8Array(await crypto.subtle.sign(a.sign, key, data)),
  };
}
