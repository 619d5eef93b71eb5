// The test bed's time-stamping authority (see tsa.hpp for the policy). Granted tokens are
// written here (respond_fast); OpenSSL's TS_RESP_CTX does the RFC 3161 checks of any other
// query (version, imprint algorithm and length, reqPolicy, extensions) and answers each with a
// rejection and its PKIFailureInfo; this file configures it, feeds it the Clock, keeps the
// contexts, and applies the faults.
//
//   TimeStampResp  ::= SEQUENCE { status PKIStatusInfo, timeStampToken ContentInfo OPTIONAL }
//   ContentInfo    ::= SEQUENCE { contentType OID (signedData), content [0] EXPLICIT SignedData }
//   SignedData     ::= SEQUENCE { version 3, digestAlgorithms SET OF AlgorithmIdentifier,
//                                 encapContentInfo SEQUENCE { eContentType OID (id-ct-TSTInfo),
//                                                             eContent [0] EXPLICIT OCTET STRING },
//                                 certificates [0] IMPLICIT SET OF Certificate OPTIONAL,
//                                 signerInfos SET OF SignerInfo }
//   SignerInfo     ::= SEQUENCE { version 1, sid IssuerAndSerialNumber, digestAlgorithm,
//                                 signedAttrs [0] IMPLICIT SET OF Attribute, signatureAlgorithm,
//                                 signature OCTET STRING }
//   TSTInfo        ::= SEQUENCE { version 1, policy OID, messageImprint, serialNumber INTEGER,
//                                 genTime GeneralizedTime, accuracy Accuracy OPTIONAL,
//                                 nonce INTEGER OPTIONAL, tsa [0] EXPLICIT GeneralName OPTIONAL }
//   Accuracy       ::= SEQUENCE { seconds INTEGER OPTIONAL, millis [0] IMPLICIT INTEGER OPTIONAL }
//   ESSCertIDv2    ::= SEQUENCE { certHash OCTET STRING (SHA-256, the default algorithm),
//                                 issuerSerial SEQUENCE { GeneralNames, serialNumber } }
//   ESSCertID      ::= SEQUENCE { certHash OCTET STRING (SHA-1), issuerSerial }
#include "responder/testbed/tsa.hpp"

#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/ts.h>

#include <algorithm>
#include <array>
#include <cstring>

#include "common/der.hpp"
#include "responder/ocsp/signing_key.hpp"
#include "responder/testbed/faults.hpp"
#include "responder/testbed/test_pki.hpp"

namespace trustmon::testbed {

static_assert(kTestTsaPolicy == std::string_view(kTestTsaPolicyOid), "one test TSA policy");

namespace {

struct TsRespDeleter {
  void operator()(TS_RESP* p) const noexcept { TS_RESP_free(p); }
};
using TsRespPtr = std::unique_ptr<TS_RESP, TsRespDeleter>;
struct TsReqDeleter {
  void operator()(TS_REQ* p) const noexcept { TS_REQ_free(p); }
};
using TsReqPtr = std::unique_ptr<TS_REQ, TsReqDeleter>;

// What the time callback reads for one call.
struct CallTime {
  UnixTime at;
};

int time_cb(TS_RESP_CTX* /*ctx*/, void* data, long* sec, long* usec) {
  const auto* t = static_cast<const CallTime*>(data);
  if (t == nullptr || t->at < 0) return 0;
  *sec = static_cast<long>(t->at);
  *usec = 0;
  return 1;
}

// 128-bit random serial: 16 octets, top bit clear (positive), second bit set (never zero,
// always 16 octets long).
ASN1_INTEGER* serial_cb(TS_RESP_CTX* /*ctx*/, void* /*data*/) {
  unsigned char raw[16];
  if (RAND_bytes(raw, sizeof raw) != 1) return nullptr;
  raw[0] = static_cast<unsigned char>((raw[0] & 0x7f) | 0x40);
  // An ASN1_INTEGER's content is the magnitude, big-endian (no BIGNUM round trip needed).
  Asn1IntegerPtr serial(ASN1_INTEGER_new());
  if (!serial || ASN1_STRING_set(serial.get(), raw, sizeof raw) != 1) return nullptr;
  return serial.release();
}

// A TimeStampResp { PKIStatusInfo { rejection, statusString, failInfo badRequest } } written
// here: for queries refused before OpenSSL sees them.
Bytes rejection_bad_request(std::string_view text) {
  der::BackWriter w(64 + text.size());
  constexpr std::uint8_t kBadRequestBits[] = {0x05, 0x20};  // 5 unused bits; bit 2 (badRequest) set
  w.tlv(der::kBitString, kBadRequestBits);
  const std::size_t m_text = w.size();
  w.tlv(0x0c /* UTF8String */, as_bytes(text));
  w.wrap(der::kSequence, m_text);
  constexpr std::uint8_t kRejection = 2;
  w.tlv(der::kInteger, ByteView(&kRejection, 1));
  w.wrap(der::kSequence, 0);
  w.wrap(der::kSequence, 0);
  return w.take();
}

// The query with one octet of its messageImprint's hashedMessage changed; the query itself
// when it cannot be read (OpenSSL then rejects it as it would have).
Bytes with_wrong_imprint(ByteView query) {
  const unsigned char* p = query.data();
  TsReqPtr req(d2i_TS_REQ(nullptr, &p, static_cast<long>(query.size())));
  if (!req) return to_bytes(query);
  TS_MSG_IMPRINT* imprint = TS_REQ_get_msg_imprint(req.get());
  ASN1_OCTET_STRING* msg = imprint != nullptr ? TS_MSG_IMPRINT_get_msg(imprint) : nullptr;
  if (msg == nullptr || ASN1_STRING_length(msg) <= 0) return to_bytes(query);
  Bytes changed(ASN1_STRING_get0_data(msg), ASN1_STRING_get0_data(msg) + ASN1_STRING_length(msg));
  changed[0] ^= 0x01;
  if (TS_MSG_IMPRINT_set_msg(imprint, changed.data(), static_cast<int>(changed.size())) != 1) return to_bytes(query);
  unsigned char* out = nullptr;
  const int len = i2d_TS_REQ(req.get(), &out);
  if (len <= 0) return to_bytes(query);
  OsslBytesPtr owned(out);
  return Bytes(out, out + len);
}

bool has_critical_time_stamping(X509* cert) {
  const int loc = X509_get_ext_by_NID(cert, NID_ext_key_usage, -1);
  if (loc < 0) return false;
  X509_EXTENSION* ext = X509_get_ext(cert, loc);
  return X509_EXTENSION_get_critical(ext) == 1 && (X509_get_extended_key_usage(cert) & XKU_TIMESTAMP) != 0;
}

// A throw-away P-256 key and a self-signed TSA certificate for the untrusted_tsa fault,
// valid around both the Clock's time and the real one (a verifier checks it at its own
// time, and a test clock may be far from it), so that the only thing wrong is the trust.
Status make_untrusted(EvpPkeyPtr& key, X509Ptr& cert, UnixTime now) {
  const UnixTime real_now = SystemClock::instance().now();
  key.reset(EVP_EC_gen("P-256"));
  if (!key) return ossl_error(ErrorKind::internal, "tsa_setup_failed", "untrusted TSA key");
  cert.reset(X509_new());
  if (!cert) return ossl_error(ErrorKind::internal, "tsa_setup_failed", "untrusted TSA certificate");
  X509* c = cert.get();
  unsigned char serial[16];
  if (RAND_bytes(serial, sizeof serial) != 1) return ossl_error(ErrorKind::internal, "tsa_setup_failed", "serial");
  serial[0] &= 0x7f;
  BignumPtr bn(BN_bin2bn(serial, sizeof serial, nullptr));
  X509NamePtr name(X509_NAME_new());
  X509ExtPtr eku(X509V3_EXT_conf_nid(nullptr, nullptr, NID_ext_key_usage, "critical,timeStamping"));
  X509ExtPtr ku(X509V3_EXT_conf_nid(nullptr, nullptr, NID_key_usage, "critical,digitalSignature"));
  const auto* cn = reinterpret_cast<const unsigned char*>("TEST untrusted TSA (throw-away)");
  if (!bn || !name || !eku || !ku || X509_set_version(c, X509_VERSION_3) != 1 ||
      BN_to_ASN1_INTEGER(bn.get(), X509_get_serialNumber(c)) == nullptr ||
      X509_NAME_add_entry_by_txt(name.get(), "CN", MBSTRING_UTF8, cn, -1, -1, 0) != 1 ||
      X509_set_subject_name(c, name.get()) != 1 || X509_set_issuer_name(c, name.get()) != 1 ||
      ASN1_TIME_set(X509_getm_notBefore(c), static_cast<time_t>(std::min(now, real_now) - 86400)) == nullptr ||
      ASN1_TIME_set(X509_getm_notAfter(c), static_cast<time_t>(std::max(now, real_now) + 10 * 365 * 86400L)) == nullptr ||
      X509_set_pubkey(c, key.get()) != 1 || X509_add_ext(c, eku.get(), -1) != 1 || X509_add_ext(c, ku.get(), -1) != 1 ||
      X509_sign(c, key.get(), EVP_sha256()) <= 0)
    return ossl_error(ErrorKind::internal, "tsa_setup_failed", "untrusted TSA certificate");
  return {};
}

std::string pem_of(const X509* cert) {
  BioPtr bio(BIO_new(BIO_s_mem()));
  if (!bio || PEM_write_bio_X509(bio.get(), cert) != 1) return {};
  char* data = nullptr;
  const long n = BIO_get_mem_data(bio.get(), &data);
  return n > 0 ? std::string(data, static_cast<std::size_t>(n)) : std::string();
}

constexpr std::size_t kPoolMax = 32;

// `cert` replaced by the same certificate read from its DER (which it then keeps).
Status reparse(X509Ptr& cert) {
  auto again = x509_from_der(x509_der(cert.get()));
  if (!again) return std::move(again).error();
  cert = std::move(*again);
  return {};
}


// OID value octets.
constexpr std::uint8_t kOidSignedData[] = {0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x07, 0x02};
constexpr std::uint8_t kOidTstInfo[] = {0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x09, 0x10, 0x01, 0x04};
constexpr std::uint8_t kOidContentType[] = {0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x09, 0x03};
constexpr std::uint8_t kOidMessageDigest[] = {0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x09, 0x04};
constexpr std::uint8_t kOidSigningTime[] = {0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x09, 0x05};
constexpr std::uint8_t kOidSigningCertificate[] = {0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x09, 0x10, 0x02, 0x0c};
constexpr std::uint8_t kOidSigningCertificateV2[] = {0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x09, 0x10, 0x02, 0x2f};
// AlgorithmIdentifier { id-sha256, NULL }, as OpenSSL's PKCS #7 code writes it.
constexpr std::uint8_t kSha256AlgId[] = {0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01,
                                         0x65, 0x03, 0x04, 0x02, 0x01, 0x05, 0x00};

// A non-negative INTEGER, minimal, with `tag` (kInteger, or an IMPLICIT one).
void put_uint(der::BackWriter& w, std::uint64_t v, std::uint8_t tag = der::kInteger) {
  const std::size_t m = w.size();
  do {
    w.byte(static_cast<std::uint8_t>(v & 0xff));
    v >>= 8;
  } while (v != 0);
  if (w.view()[0] & 0x80) w.byte(0);
  w.wrap(tag, m);
}

// Attribute ::= SEQUENCE { attrType OID, attrValues SET { value } }, `value` a complete TLV.
Bytes attribute(ByteView type, ByteView value) {
  der::BackWriter w(value.size() + type.size() + 16);
  w.bytes(value);
  w.wrap(der::kSet, 0);
  w.tlv(der::kOid, type);
  w.wrap(der::kSequence, 0);
  return w.take();
}

// The DER TLV of an OpenSSL object (i2d_*), or empty.
template <typename T, typename F>
Bytes der_of(const T* obj, F i2d) {
  unsigned char* out = nullptr;
  const int len = i2d(obj, &out);
  if (len <= 0) return {};
  OsslBytesPtr owned(out);
  return Bytes(out, out + len);
}

// SET OF in DER order: by encoding, a shorter one first when one is the other's prefix.
bool der_less(const Bytes& a, const Bytes& b) {
  const int c = std::memcmp(a.data(), b.data(), std::min(a.size(), b.size()));
  return c != 0 ? c < 0 : a.size() < b.size();
}

// A minimally encoded INTEGER's content (OpenSSL refuses padded ones).
bool minimal_integer(ByteView c) {
  if (c.empty()) return false;
  if (c.size() > 1 && ((c[0] == 0x00 && !(c[1] & 0x80)) || (c[0] == 0xff && (c[1] & 0x80)))) return false;
  return true;
}

}  // namespace

struct Tsa::TokenParts {
  std::unique_ptr<ocsp::SigningKey> key;
  Bytes sid;            // IssuerAndSerialNumber
  Bytes ess_v2;         // the signingCertificateV2 Attribute
  Bytes ess_v1;         // the signingCertificate Attribute (SHA-1 ESSCertID)
  Bytes tsa_name;       // [0] EXPLICIT GeneralName (directoryName)
  Bytes certificates;   // [0] IMPLICIT SET OF Certificate: the TSA certificate, then the chain
};

struct Tsa::FastQuery {
  ByteView imprint;        // the messageImprint TLV
  std::size_t hash_at = 0; // offset of the hashedMessage's first octet in `imprint`
  ByteView policy;         // the token's policy OID TLV
  ByteView nonce;          // INTEGER TLV, or empty
  bool cert_req = false;
};

// The fixed parts for `cert` (its DER as read back) signed by `key`; null when the key is
// not one the fast path signs like OpenSSL's TS code does (SHA-256).
Result<std::unique_ptr<Tsa::TokenParts>> Tsa::make_parts(X509* cert, EVP_PKEY* key, const std::vector<X509Ptr>* chain,
                                                         const EVP_MD* sha1, const EVP_MD* sha256) {
  auto signer = ocsp::SigningKey::create(key);
  if (!signer) {
    ERR_clear_error();
    return std::unique_ptr<Tsa::TokenParts>();
  }
  if ((*signer)->digest() == nullptr || EVP_MD_get_type((*signer)->digest()) != NID_sha256)
    return std::unique_ptr<Tsa::TokenParts>();
  auto p = std::make_unique<Tsa::TokenParts>();
  p->key = std::move(*signer);
  const Bytes cert_der = x509_der(cert);
  const Bytes issuer = der_of(X509_get_issuer_name(cert), i2d_X509_NAME);
  const Bytes subject = der_of(X509_get_subject_name(cert), i2d_X509_NAME);
  const Bytes serial = der_of(X509_get0_serialNumber(cert), i2d_ASN1_INTEGER);
  if (cert_der.empty() || issuer.empty() || subject.empty() || serial.empty())
    return ossl_error(ErrorKind::internal, "tsa_setup_failed", "TSA certificate fields");

  {  // IssuerAndSerialNumber ::= SEQUENCE { issuer Name, serialNumber }
    der::BackWriter w(issuer.size() + serial.size() + 8);
    w.bytes(serial);
    w.bytes(issuer);
    w.wrap(der::kSequence, 0);
    p->sid = w.take();
  }
  auto is = issuer_serial_der(cert);
  if (!is) return ossl_error(ErrorKind::internal, "tsa_setup_failed", "TSA certificate issuerSerial");
  const auto ess = [&](const EVP_MD* md, ByteView type) -> Bytes {
    unsigned char hash[EVP_MAX_MD_SIZE];
    unsigned int hash_len = 0;
    if (EVP_Digest(cert_der.data(), cert_der.size(), hash, &hash_len, md, nullptr) != 1) return {};
    // SigningCertificate(V2) ::= SEQUENCE { certs SEQUENCE OF ESSCertID(v2) { certHash, issuerSerial } }
    der::BackWriter w(is->size() + hash_len + 16);
    w.bytes(*is);
    w.tlv(der::kOctetString, ByteView(hash, hash_len));
    w.wrap(der::kSequence, 0);
    w.wrap(der::kSequence, 0);
    w.wrap(der::kSequence, 0);
    return attribute(type, w.view());
  };
  p->ess_v2 = ess(sha256, kOidSigningCertificateV2);
  p->ess_v1 = ess(sha1, kOidSigningCertificate);
  if (p->ess_v2.empty() || p->ess_v1.empty()) return ossl_error(ErrorKind::internal, "tsa_setup_failed", "ESSCertID");

  {  // tsa [0] EXPLICIT GeneralName { directoryName [4] EXPLICIT Name }
    der::BackWriter w(subject.size() + 16);
    w.bytes(subject);
    w.wrap(der::context(4), 0);
    w.wrap(der::context(0), 0);
    p->tsa_name = w.take();
  }
  {
    std::size_t total = cert_der.size() + 8;
    std::vector<Bytes> ders;
    if (chain != nullptr)
      for (const X509Ptr& c : *chain)
        if (c) {
          ders.push_back(x509_der(c.get()));
          if (ders.back().empty()) return ossl_error(ErrorKind::internal, "tsa_setup_failed", "chain DER");
          total += ders.back().size();
        }
    der::BackWriter w(total);
    for (std::size_t i = ders.size(); i-- > 0;) w.bytes(ders[i]);
    w.bytes(cert_der);
    w.wrap(der::context(0), 0);
    p->certificates = w.take();
  }
  return p;
}

void Tsa::CtxDeleter::operator()(TS_resp_ctx* ctx) const noexcept { TS_RESP_CTX_free(ctx); }

Tsa::Tsa(TsaConfig config, const Clock& clock) : config_(std::move(config)), clock_(clock) {}
Tsa::~Tsa() = default;

Result<std::unique_ptr<Tsa>> Tsa::create(TsaConfig config, const Clock& clock) {
  if (!config.certificate || !config.key)
    return make_error(ErrorKind::invalid, "tsa_certificate_invalid", "a TSA needs a certificate and its key");
  if (!has_critical_time_stamping(config.certificate.get()))
    return make_error(ErrorKind::invalid, "tsa_certificate_invalid",
                      "the TSA certificate needs a critical extendedKeyUsage with id-kp-timeStamping");
  if (X509_check_private_key(config.certificate.get(), config.key.get()) != 1) {
    ERR_clear_error();
    return make_error(ErrorKind::invalid, "tsa_key_mismatch", "the key is not the TSA certificate's");
  }
  // Certificates made in this process (X509_new, X509_sign) keep no DER of their own, and
  // OpenSSL then encodes every field again each time one goes into a token; a certificate
  // read from DER encodes by copying what it read. Read back, the token costs less to write
  // (bench/README.md, bench_tsa).
  if (Status s = reparse(config.certificate); !s) return std::move(s).error();
  for (X509Ptr& cert : config.chain)
    if (cert)
      if (Status s = reparse(cert); !s) return std::move(s).error();
  std::unique_ptr<Tsa> tsa(new Tsa(std::move(config), clock));
  TsaConfig& c = tsa->config_;
  tsa->sha1_.reset(EVP_MD_fetch(nullptr, "SHA1", nullptr));
  tsa->sha256_.reset(EVP_MD_fetch(nullptr, "SHA256", nullptr));
  tsa->sha384_.reset(EVP_MD_fetch(nullptr, "SHA384", nullptr));
  tsa->sha512_.reset(EVP_MD_fetch(nullptr, "SHA512", nullptr));
  if (!tsa->sha1_ || !tsa->sha256_ || !tsa->sha384_ || !tsa->sha512_)
    return ossl_error(ErrorKind::internal, "tsa_setup_failed", "digests");

  for (std::size_t i = 0; i <= c.accepted_policies.size(); ++i) {
    const std::string& text = i == 0 ? c.policy : c.accepted_policies[i - 1];
    Asn1ObjectPtr oid(OBJ_txt2obj(text.c_str(), 1));
    if (!oid) {
      ERR_clear_error();
      return make_error(ErrorKind::invalid, "tsa_policy_invalid", "not a dotted OID: " + text);
    }
    tsa->policies_.push_back(std::move(oid));
  }

  tsa->chain_stack_.reset(sk_X509_new_null());
  if (!tsa->chain_stack_) return ossl_error(ErrorKind::internal, "tsa_setup_failed", "chain");
  tsa->chain_pem_ = pem_of(c.certificate.get());
  for (const X509Ptr& cert : c.chain) {
    if (!cert) continue;
    if (X509_up_ref(cert.get()) != 1) return ossl_error(ErrorKind::internal, "tsa_setup_failed", "chain");
    if (sk_X509_push(tsa->chain_stack_.get(), cert.get()) <= 0) {
      X509_free(cert.get());
      return ossl_error(ErrorKind::internal, "tsa_setup_failed", "chain");
    }
    tsa->chain_pem_ += pem_of(cert.get());
  }

  if (Status s = make_untrusted(tsa->untrusted_key_, tsa->untrusted_cert_, clock.now()); !s) return std::move(s).error();
  if (Status s = reparse(tsa->untrusted_cert_); !s) return std::move(s).error();

  for (const Asn1ObjectPtr& oid : tsa->policies_) {
    tsa->policy_der_.push_back(der_of(oid.get(), i2d_ASN1_OBJECT));
    if (tsa->policy_der_.back().empty()) return ossl_error(ErrorKind::internal, "tsa_setup_failed", "policy");
  }
  if (c.fast_tokens) {
    auto parts = make_parts(c.certificate.get(), c.key.get(), &c.chain, tsa->sha1_.get(), tsa->sha256_.get());
    if (!parts) return std::move(parts).error();
    auto untrusted = make_parts(tsa->untrusted_cert_.get(), tsa->untrusted_key_.get(), nullptr, tsa->sha1_.get(),
                                tsa->sha256_.get());
    if (!untrusted) return std::move(untrusted).error();
    if (*parts && *untrusted) {
      tsa->parts_ = std::move(*parts);
      tsa->untrusted_parts_ = std::move(*untrusted);
    }
  }

  // One context now: a configuration OpenSSL refuses fails here, not on the first query.
  auto first = tsa->make_context(Signer{c.certificate.get(), c.key.get(), true, true});
  if (!first) return std::move(first).error();
  if (c.reuse_contexts) tsa->give_back(std::move(*first));
  return tsa;
}

Result<Tsa::CtxPtr> Tsa::make_context(const Signer& signer) const {
  CtxPtr ctx(TS_RESP_CTX_new());
  if (!ctx) return ossl_error(ErrorKind::internal, "tsa_setup_failed", "TS_RESP_CTX_new");
  TS_RESP_CTX* x = ctx.get();
  bool ok = TS_RESP_CTX_set_signer_cert(x, signer.cert) == 1 && TS_RESP_CTX_set_signer_key(x, signer.key) == 1 &&
            TS_RESP_CTX_set_signer_digest(x, sha256_.get()) == 1 &&
            TS_RESP_CTX_set_ess_cert_id_digest(x, signer.ess_v2 ? sha256_.get() : sha1_.get()) == 1 &&
            TS_RESP_CTX_set_def_policy(x, policies_[0].get()) == 1 &&
            TS_RESP_CTX_add_md(x, sha256_.get()) == 1 && TS_RESP_CTX_add_md(x, sha384_.get()) == 1 &&
            TS_RESP_CTX_add_md(x, sha512_.get()) == 1 &&
            TS_RESP_CTX_set_accuracy(x, static_cast<int>(config_.accuracy_seconds),
                                     static_cast<int>(config_.accuracy_millis), 0) == 1 &&
            TS_RESP_CTX_set_clock_precision_digits(x, 0) == 1;
  for (std::size_t i = 1; ok && i < policies_.size(); ++i) ok = TS_RESP_CTX_add_policy(x, policies_[i].get()) == 1;
  if (ok && signer.with_chain && sk_X509_num(chain_stack_.get()) > 0)
    ok = TS_RESP_CTX_set_certs(x, chain_stack_.get()) == 1;  // copies the stack, up-refs the certificates
  if (!ok) return ossl_error(ErrorKind::internal, "tsa_setup_failed", "TS_RESP_CTX configuration");
  TS_RESP_CTX_add_flags(x, TS_TSA_NAME);
  TS_RESP_CTX_set_serial_cb(x, serial_cb, nullptr);
  return ctx;
}

Tsa::CtxPtr Tsa::take_pooled() const {
  std::lock_guard lock(pool_mu_);
  if (pool_.empty()) return nullptr;
  CtxPtr ctx = std::move(pool_.back());
  pool_.pop_back();
  return ctx;
}

void Tsa::give_back(CtxPtr ctx) const {
  std::lock_guard lock(pool_mu_);
  if (pool_.size() < kPoolMax) pool_.push_back(std::move(ctx));
}

Result<Bytes> Tsa::respond(ByteView query, const TsaOptions& options) const {
  if (query.size() > kMaxQueryBytes) return rejection_bad_request("query over 4096 bytes");
  if (parts_) {
    FastQuery q;
    if (parse_fast(query, q)) return respond_fast(query, q, options);
  }
  return respond_openssl(query, options);
}

// What OpenSSL's TS_RESP_CTX would grant, read strictly; false sends the query to OpenSSL.
bool Tsa::parse_fast(ByteView query, FastQuery& out) const noexcept {
  der::Tlv req, t;
  if (!der::single(query, der::kSequence, req)) return false;
  der::Reader r(req.content);
  ByteView version;
  if (!r.expect(der::kInteger, version) || version.size() != 1 || version[0] != 1) return false;
  // MessageImprint ::= SEQUENCE { hashAlgorithm AlgorithmIdentifier, hashedMessage OCTET STRING }
  der::Tlv imprint, alg, hashed;
  if (!r.expect(der::kSequence, imprint)) return false;
  der::Reader ri(imprint.content);
  if (!ri.expect(der::kSequence, alg) || !ri.expect(der::kOctetString, hashed) || !ri.empty()) return false;
  der::Reader ra(alg.content);
  ByteView alg_oid;
  if (!ra.expect(der::kOid, alg_oid)) return false;
  if (!ra.empty()) {  // parameters: absent or NULL
    der::Tlv null;
    if (!ra.expect(der::kNull, null) || !null.content.empty() || !ra.empty()) return false;
  }
  const auto is = [&alg_oid](ByteView oid) {
    return alg_oid.size() == oid.size() && std::equal(oid.begin(), oid.end(), alg_oid.begin());
  };
  const std::size_t hash_len = is(der::oid::kSha256) ? 32 : is(der::oid::kSha384) ? 48 : is(der::oid::kSha512) ? 64 : 0;
  if (hash_len == 0 || hashed.content.size() != hash_len) return false;
  out.imprint = imprint.whole;
  out.hash_at = static_cast<std::size_t>(hashed.content.data() - imprint.whole.data());
  out.policy = policy_der_[0];
  if (r.peek() == der::kOid) {
    if (!r.next(t)) return false;
    const auto known = std::find_if(policy_der_.begin(), policy_der_.end(), [&t](const Bytes& p) {
      return p.size() == t.whole.size() && std::equal(p.begin(), p.end(), t.whole.begin());
    });
    if (known == policy_der_.end()) return false;
    out.policy = *known;
  }
  out.nonce = {};
  if (r.peek() == der::kInteger) {
    if (!r.next(t) || !minimal_integer(t.content)) return false;
    out.nonce = t.whole;
  }
  out.cert_req = false;
  if (r.peek() == der::kBoolean) {
    if (!r.next(t) || t.content.size() != 1) return false;
    out.cert_req = t.content[0] != 0;
  }
  return r.empty();  // extensions, or anything else: OpenSSL's answer
}

Result<Bytes> Tsa::respond_fast(ByteView query, const FastQuery& q, const TsaOptions& options) const {
  const TokenParts& p = options.untrusted_tsa ? *untrusted_parts_ : *parts_;
  const UnixTime gen_time = (options.at ? *options.at : clock_.now()) + options.time_skew_seconds;
  char time_text[15];
  // Before 1970 (the time callback refuses it) or a time GeneralizedTime cannot hold: OpenSSL's
  // answer (a rejection), as before.
  if (gen_time < 0 || !der::format_generalized_time(gen_time, time_text)) return respond_openssl(query, options);

  // TSTInfo
  der::BackWriter tst(q.imprint.size() + p.tsa_name.size() + q.nonce.size() + q.policy.size() + 96);
  tst.bytes(p.tsa_name);
  tst.bytes(q.nonce);
  if (config_.accuracy_seconds != 0 || config_.accuracy_millis != 0) {
    const std::size_t m = tst.size();
    if (config_.accuracy_millis != 0) put_uint(tst, config_.accuracy_millis, der::context_primitive(0));
    if (config_.accuracy_seconds != 0) put_uint(tst, config_.accuracy_seconds);
    tst.wrap(der::kSequence, m);
  }
  tst.tlv(der::kGeneralizedTime, ByteView(reinterpret_cast<const std::uint8_t*>(time_text), sizeof time_text));
  // serialNumber: 16 random octets, top bit clear (positive), second bit set (always 16 long)
  std::uint8_t serial[16];
  if (RAND_bytes(serial, sizeof serial) != 1) return ossl_error(ErrorKind::internal, "tsa_failed", "RAND_bytes");
  serial[0] = static_cast<std::uint8_t>((serial[0] & 0x7f) | 0x40);
  tst.tlv(der::kInteger, ByteView(serial, sizeof serial));
  if (options.wrong_imprint) {
    Bytes changed = to_bytes(q.imprint);
    changed[q.hash_at] ^= 0x01;
    tst.bytes(changed);
  } else {
    tst.bytes(q.imprint);
  }
  tst.bytes(q.policy);
  constexpr std::uint8_t kOne = 1;
  tst.tlv(der::kInteger, ByteView(&kOne, 1));
  tst.wrap(der::kSequence, 0);

  std::uint8_t digest[32];
  unsigned int digest_len = 0;
  if (EVP_Digest(tst.view().data(), tst.size(), digest, &digest_len, sha256_.get(), nullptr) != 1)
    return ossl_error(ErrorKind::internal, "tsa_failed", "TSTInfo digest");

  // SignedAttributes, in DER SET OF order.
  std::array<Bytes, 4> attrs;
  {
    der::BackWriter w(32);
    w.tlv(der::kOid, kOidTstInfo);
    attrs[0] = attribute(kOidContentType, w.view());
    w.clear();
    // signingTime ::= Time: UTCTime for 1950..2049, GeneralizedTime otherwise (RFC 5652 §11.3)
    const int year = (time_text[0] - '0') * 1000 + (time_text[1] - '0') * 100 + (time_text[2] - '0') * 10 +
                     (time_text[3] - '0');
    if (year >= 1950 && year < 2050)
      w.tlv(der::kUtcTime, ByteView(reinterpret_cast<const std::uint8_t*>(time_text) + 2, sizeof time_text - 2));
    else
      w.tlv(der::kGeneralizedTime, ByteView(reinterpret_cast<const std::uint8_t*>(time_text), sizeof time_text));
    attrs[1] = attribute(kOidSigningTime, w.view());
    w.clear();
    w.tlv(der::kOctetString, ByteView(digest, digest_len));
    attrs[2] = attribute(kOidMessageDigest, w.view());
    attrs[3] = options.no_ess_cert_id_v2 ? p.ess_v1 : p.ess_v2;
  }
  std::sort(attrs.begin(), attrs.end(), der_less);
  std::size_t attrs_len = 0;
  for (const Bytes& a : attrs) attrs_len += a.size();
  der::BackWriter sa(attrs_len + 8);
  for (std::size_t i = attrs.size(); i-- > 0;) sa.bytes(attrs[i]);
  sa.wrap(der::kSet, 0);

  Bytes sig(p.key->max_signature_size());
  auto sig_len = p.key->sign(sa.view(), sig.data());
  if (!sig_len) return std::move(sig_len).error();

  // TimeStampResp { PKIStatusInfo { granted }, ContentInfo { signedData, [0] SignedData } }
  const std::size_t sig_n = *sig_len;
  der::BackWriter w(tst.size() + sa.size() + sig_n + p.sid.size() + p.key->algorithm_der().size() +
                    (q.cert_req ? p.certificates.size() : 0) + 160);
  // signerInfos SET { SignerInfo }
  const std::size_t m_si = w.size();
  w.tlv(der::kOctetString, ByteView(sig.data(), sig_n));
  w.bytes(p.key->algorithm_der());
  w.bytes(sa.view().subspan(1));  // the SET's length and contents...
  w.byte(der::context(0));        // ...under [0] IMPLICIT
  w.bytes(kSha256AlgId);
  w.bytes(p.sid);
  w.tlv(der::kInteger, ByteView(&kOne, 1));
  w.wrap(der::kSequence, m_si);
  w.wrap(der::kSet, m_si);
  if (q.cert_req) w.bytes(p.certificates);
  // encapContentInfo
  const std::size_t m_eci = w.size();
  w.bytes(tst.view());
  w.wrap(der::kOctetString, m_eci);
  w.wrap(der::context(0), m_eci);
  w.tlv(der::kOid, kOidTstInfo);
  w.wrap(der::kSequence, m_eci);
  // digestAlgorithms SET { sha256 }
  const std::size_t m_da = w.size();
  w.bytes(kSha256AlgId);
  w.wrap(der::kSet, m_da);
  constexpr std::uint8_t kThree = 3;
  w.tlv(der::kInteger, ByteView(&kThree, 1));
  w.wrap(der::kSequence, 0);
  w.wrap(der::context(0), 0);
  w.tlv(der::kOid, kOidSignedData);
  w.wrap(der::kSequence, 0);
  // PKIStatusInfo { status granted }
  const std::size_t m_status = w.size();
  constexpr std::uint8_t kGranted = 0;
  w.tlv(der::kInteger, ByteView(&kGranted, 1));
  w.wrap(der::kSequence, m_status);
  w.wrap(der::kSequence, 0);
  return w.take();
}

Result<Bytes> Tsa::respond_openssl(ByteView query, const TsaOptions& options) const {

  const bool own_signer = options.untrusted_tsa || options.no_ess_cert_id_v2;
  const Signer signer = options.untrusted_tsa
                            ? Signer{untrusted_cert_.get(), untrusted_key_.get(), false, !options.no_ess_cert_id_v2}
                            : Signer{config_.certificate.get(), config_.key.get(), true, !options.no_ess_cert_id_v2};
  CtxPtr ctx;
  if (!own_signer && config_.reuse_contexts) ctx = take_pooled();
  if (!ctx) {
    auto made = make_context(signer);
    if (!made) return std::move(made).error();
    ctx = std::move(*made);
  }

  const UnixTime base = options.at ? *options.at : clock_.now();
  CallTime when{base + options.time_skew_seconds};
  TS_RESP_CTX_set_time_cb(ctx.get(), time_cb, &when);

  Bytes rewritten;
  ByteView input = query;
  if (options.wrong_imprint) {
    rewritten = with_wrong_imprint(query);
    input = rewritten;
  }
  static const std::uint8_t kNothing = 0;  // BIO_new_mem_buf refuses a null pointer, even for 0 bytes
  BioPtr bio(BIO_new_mem_buf(input.empty() ? &kNothing : input.data(), static_cast<int>(input.size())));
  if (!bio) return ossl_error(ErrorKind::internal, "tsa_failed", "BIO_new_mem_buf");
  TsRespPtr resp(TS_RESP_create_response(ctx.get(), bio.get()));
  TS_RESP_CTX_set_time_cb(ctx.get(), time_cb, nullptr);  // `when` dies with this call
  if (!resp) return ossl_error(ErrorKind::internal, "tsa_failed", "TS_RESP_create_response");
  // A rejected query leaves OpenSSL's reasons on the thread's error queue: not ours to keep.
  ERR_clear_error();

  unsigned char* out = nullptr;
  const int len = i2d_TS_RESP(resp.get(), &out);
  if (len <= 0) return ossl_error(ErrorKind::internal, "tsa_failed", "i2d_TS_RESP");
  OsslBytesPtr owned(out);
  Bytes der(out, out + len);
  if (!own_signer && config_.reuse_contexts) give_back(std::move(ctx));
  return der;
}

TsaOptions tsa_options(const TsaDraw& draw) noexcept {
  TsaOptions o;
  switch (draw.fault) {
    case TsaFault::none: break;
    case TsaFault::wrong_imprint: o.wrong_imprint = true; break;
    case TsaFault::time_skew: o.time_skew_seconds = draw.skew_seconds; break;
    case TsaFault::no_ess_cert_id_v2: o.no_ess_cert_id_v2 = true; break;
    case TsaFault::untrusted_tsa: o.untrusted_tsa = true; break;
  }
  return o;
}

std::optional<TsaStatus> tsa_status(ByteView response) noexcept {
  der::Reader r(response);
  ByteView resp, info, status;
  if (!r.expect(der::kSequence, resp)) return std::nullopt;
  der::Reader rr(resp);
  if (!rr.expect(der::kSequence, info)) return std::nullopt;
  der::Reader ri(info);
  if (!ri.expect(der::kInteger, status) || status.size() != 1 || status[0] > 5) return std::nullopt;
  return static_cast<TsaStatus>(status[0]);
}

}  // namespace trustmon::testbed
