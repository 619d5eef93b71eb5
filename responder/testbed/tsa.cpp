// The test bed's time-stamping authority over OpenSSL's TS_RESP_CTX (see tsa.hpp for the
// policy). OpenSSL does the RFC 3161 checks of a query (version, imprint algorithm and
// length, reqPolicy, extensions) and answers each with a rejection and its PKIFailureInfo;
// this file configures it, feeds it the Clock, keeps the contexts, and applies the faults.
#include "responder/testbed/tsa.hpp"

#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/ts.h>

#include <algorithm>

#include "common/der.hpp"
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

}  // namespace

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
