// See cms_build.hpp.
//   ContentInfo ::= SEQUENCE { contentType id-signedData, content [0] EXPLICIT SignedData }
//   SignedData  ::= SEQUENCE { version 1, digestAlgorithms SET { sha256 },
//                              encapContentInfo SEQUENCE { id-data, [0] EXPLICIT OCTET STRING },
//                              certificates [0] IMPLICIT SET OF Certificate,
//                              signerInfos SET { SignerInfo } }
//   SignerInfo  ::= SEQUENCE { version 1, sid IssuerAndSerialNumber, digestAlgorithm sha256,
//                              signedAttrs [0] IMPLICIT SET OF Attribute,
//                              signatureAlgorithm, signature OCTET STRING }
#include "responder/pki/cms_build.hpp"

#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/x509.h>

#include <algorithm>
#include <array>
#include <cstring>

#include "common/der.hpp"

namespace trustmon::pki {
namespace {

constexpr std::uint8_t kOidSignedData[] = {0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x07, 0x02};
constexpr std::uint8_t kOidData[] = {0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x07, 0x01};
constexpr std::uint8_t kOidContentType[] = {0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x09, 0x03};
constexpr std::uint8_t kOidMessageDigest[] = {0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x09, 0x04};
constexpr std::uint8_t kOidSigningTime[] = {0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x09, 0x05};
constexpr std::uint8_t kSha256AlgId[] = {0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01,
                                         0x65, 0x03, 0x04, 0x02, 0x01, 0x05, 0x00};
constexpr std::uint8_t kEcdsaSha256AlgId[] = {0x30, 0x0a, 0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x04, 0x03, 0x02};
constexpr std::uint8_t kRsaEncryptionAlgId[] = {0x30, 0x0d, 0x06, 0x09, 0x2a, 0x86, 0x48, 0x86,
                                                0xf7, 0x0d, 0x01, 0x01, 0x01, 0x05, 0x00};

Error malformed(const char* what) { return make_error(ErrorKind::invalid, "signature_malformed", what); }

Bytes attribute(ByteView type, ByteView value) {
  der::BackWriter w(value.size() + type.size() + 16);
  w.bytes(value);
  w.wrap(der::kSet, 0);
  w.tlv(der::kOid, type);
  w.wrap(der::kSequence, 0);
  return w.take();
}

bool der_less(const Bytes& a, const Bytes& b) {
  const int c = std::memcmp(a.data(), b.data(), std::min(a.size(), b.size()));
  return c != 0 ? c < 0 : a.size() < b.size();
}

template <typename T, int (*Encode)(const T*, unsigned char**)>
Bytes der_of(const T* value) {
  unsigned char* out = nullptr;
  const int n = Encode(value, &out);
  if (n <= 0) return {};
  OsslBytesPtr owned(out);
  return Bytes(out, out + n);
}

}  // namespace

Bytes cms_signed_attributes(ByteView content, UnixTime signing_time) {
  std::array<Bytes, 3> attrs;
  der::BackWriter w(64);
  w.tlv(der::kOid, kOidData);
  attrs[0] = attribute(kOidContentType, w.view());
  w.clear();
  // signingTime ::= Time: UTCTime for 1950..2049, GeneralizedTime otherwise (RFC 5652 §11.3)
  char text[15];
  if (!der::format_generalized_time(signing_time, text)) der::format_generalized_time(0, text);
  const int year = (text[0] - '0') * 1000 + (text[1] - '0') * 100 + (text[2] - '0') * 10 + (text[3] - '0');
  if (year >= 1950 && year < 2050)
    w.tlv(der::kUtcTime, ByteView(reinterpret_cast<const std::uint8_t*>(text) + 2, sizeof text - 2));
  else
    w.tlv(der::kGeneralizedTime, ByteView(reinterpret_cast<const std::uint8_t*>(text), sizeof text));
  attrs[1] = attribute(kOidSigningTime, w.view());
  w.clear();
  const Sha256 digest = sha256(content);
  w.tlv(der::kOctetString, ByteView(digest.data(), digest.size()));
  attrs[2] = attribute(kOidMessageDigest, w.view());
  std::sort(attrs.begin(), attrs.end(), der_less);
  der::BackWriter set(256);
  for (std::size_t i = attrs.size(); i-- > 0;) set.bytes(attrs[i]);
  set.wrap(der::kSet, 0);
  return set.take();
}

Result<Bytes> ecdsa_signature_der(ByteView sig, EVP_PKEY* key) {
  const int bits = EVP_PKEY_get_bits(key);
  const std::size_t half = static_cast<std::size_t>((bits + 7) / 8);
  {
    const unsigned char* in = sig.data();
    ECDSA_SIG* parsed = d2i_ECDSA_SIG(nullptr, &in, static_cast<long>(sig.size()));
    const bool whole = parsed != nullptr && in == sig.data() + sig.size();
    ECDSA_SIG_free(parsed);
    ossl_errors();
    if (whole || sig.size() != 2 * half) return Bytes(sig.begin(), sig.end());
  }
  ECDSA_SIG* raw = ECDSA_SIG_new();
  if (raw == nullptr) return malformed("out of memory");
  BIGNUM* r = BN_bin2bn(sig.data(), static_cast<int>(half), nullptr);
  BIGNUM* s = BN_bin2bn(sig.data() + half, static_cast<int>(half), nullptr);
  if (r == nullptr || s == nullptr || ECDSA_SIG_set0(raw, r, s) != 1) {
    BN_free(r);
    BN_free(s);
    ECDSA_SIG_free(raw);
    return malformed("the ECDSA signature is not r||s");
  }
  unsigned char* out = nullptr;
  const int n = i2d_ECDSA_SIG(raw, &out);
  ECDSA_SIG_free(raw);
  if (n <= 0) return malformed("the ECDSA signature is not r||s");
  OsslBytesPtr owned(out);
  return Bytes(out, out + n);
}

Result<Bytes> cms_assemble(ByteView content, ByteView signed_attributes, X509* signer, ByteView signature) {
  EVP_PKEY* key = X509_get0_pubkey(signer);
  if (key == nullptr) return malformed("the certificate's key cannot be read");
  Bytes sig;
  ByteView alg;
  if (EVP_PKEY_is_a(key, "EC") == 1) {
    auto der = ecdsa_signature_der(signature, key);
    if (!der) return std::move(der).error();
    sig = std::move(*der);
    alg = kEcdsaSha256AlgId;
  } else if (EVP_PKEY_is_a(key, "RSA") == 1) {
    sig.assign(signature.begin(), signature.end());
    alg = kRsaEncryptionAlgId;
  } else {
    return malformed("only EC and RSA keys sign applications");
  }
  if (signed_attributes.empty() || signed_attributes[0] != der::kSet) return malformed("the signed attributes are not a SET");
  const Bytes cert = x509_der(signer);
  const Bytes issuer = der_of<X509_NAME, i2d_X509_NAME>(X509_get_issuer_name(signer));
  const Bytes serial = der_of<ASN1_INTEGER, i2d_ASN1_INTEGER>(X509_get0_serialNumber(signer));
  if (cert.empty() || issuer.empty() || serial.empty()) return malformed("the certificate does not encode");

  der::BackWriter w(content.size() + signed_attributes.size() + sig.size() + cert.size() + issuer.size() + 256);
  constexpr std::uint8_t kOne = 1;
  // signerInfos SET { SignerInfo }
  const std::size_t m_si = w.size();
  w.tlv(der::kOctetString, sig);
  w.bytes(alg);
  w.bytes(signed_attributes.subspan(1));  // the SET's length and contents...
  w.byte(der::context(0));                // ...under [0] IMPLICIT
  w.bytes(kSha256AlgId);
  const std::size_t m_sid = w.size();
  w.bytes(serial);
  w.bytes(issuer);
  w.wrap(der::kSequence, m_sid);
  w.tlv(der::kInteger, ByteView(&kOne, 1));
  w.wrap(der::kSequence, m_si);
  w.wrap(der::kSet, m_si);
  // certificates [0] IMPLICIT SET OF Certificate
  const std::size_t m_certs = w.size();
  w.bytes(cert);
  w.wrap(der::context(0), m_certs);
  // encapContentInfo
  const std::size_t m_eci = w.size();
  w.tlv(der::kOctetString, content);
  w.wrap(der::context(0), m_eci);
  w.tlv(der::kOid, kOidData);
  w.wrap(der::kSequence, m_eci);
  // digestAlgorithms SET { sha256 }
  const std::size_t m_da = w.size();
  w.bytes(kSha256AlgId);
  w.wrap(der::kSet, m_da);
  w.tlv(der::kInteger, ByteView(&kOne, 1));
  w.wrap(der::kSequence, 0);
  w.wrap(der::context(0), 0);
  w.tlv(der::kOid, kOidSignedData);
  w.wrap(der::kSequence, 0);
  return w.take();
}

}  // namespace trustmon::pki
