// The test bed's RFC 3161 time-stamping authority: owns the TSA's signing key, certificate
// and chain, their prepared signing key and pre-encoded token parts, its pool of OpenSSL
// TS_RESP_CTX contexts (for rejections), and the throw-away "untrusted" key and self-signed
// certificate made at construction for the untrusted_tsa fault. respond() turns a
// DER TimeStampReq into a DER TimeStampResp: a granted token, or a rejection with the
// PKIFailureInfo RFC 3161 §2.4.2 names (badAlg, badRequest, badDataFormat, unacceptedPolicy).
//
// Policy:
//  * imprints SHA-256, SHA-384 and SHA-512 only; the token is signed with SHA-256,
//    the signed attributes carry ESSCertIDv2 (SHA-256) over the TSA certificate, the
//    tsa field names the TSA, accuracy is configurable (default 1 s), the nonce is echoed,
//    certReq adds the TSA certificate and its chain to the token;
//  * the default policy is the project's test TSA policy (kTestTsaPolicy, under the trustmon
//    arc test_pki.hpp's kArcOid); a query's reqPolicy may also name the Ukrainian TSP policy
//    (kUaTspPolicy), and the token then carries that one;
//  * serial numbers are 128-bit random (positive, 16 octets): unique across worker threads,
//    processes and restarts without shared or persisted state (a counter would need both),
//    and they do not reveal how many tokens were issued;
//  * genTime comes from the Clock (whole seconds), or from TsaOptions::at (time travel),
//    shifted by TsaOptions::time_skew_seconds;
//  * queries over kMaxQueryBytes are refused (badRequest) before any parsing.
//
// Granted tokens are written by hand (der::BackWriter, as the OCSP signer does) and signed with
// a prepared ocsp::SigningKey: every fixed part (SignerIdentifier, AlgorithmIdentifiers, the
// ESSCertIDv2 and SHA-1 ESSCertID attributes, the tsa name, the certificates for certReq) is
// encoded once at construction, for the TSA and for the throw-away one. A query the fast path
// does not accept as it stands (not strict DER, another version, an imprint algorithm or
// length OpenSSL would refuse, an unknown reqPolicy, extensions) goes to OpenSSL's
// TS_RESP_CTX, which rejects it with the PKIFailureInfo it always did (or grants it, for a
// BER query it reads). The signed attributes' signingTime is the token's genTime. A key whose
// SigningKey digest is not SHA-256 (P-384, P-521, EdDSA) has no fast path: OpenSSL builds all
// its tokens, with signingTime from the system clock.
//
// Threads: respond() may be called from any number of threads at once. The SigningKey pools
// its own contexts. A TS_RESP_CTX is not thread-safe, so each call that needs one takes one
// from a small pool (a mutex-guarded free list, filled on demand) and gives it back (or builds
// one per call when reuse_contexts is false).
#pragma once

#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/bytes.hpp"
#include "common/clock.hpp"
#include "common/ossl.hpp"
#include "common/result.hpp"

struct TS_resp_ctx;

namespace trustmon::testbed {

// The test TSA's policy (the default policy of its tokens): test_pki.hpp's kTestTsaPolicyOid,
// under trustmon's arc kArcOid (tsa.cpp checks that the two agree).
inline constexpr std::string_view kTestTsaPolicy = "2.25.241553061130575410602958452044829710487.1.2";
// ua-pki-TSPpolicyDSTU(PB): accepted as a query's reqPolicy.
inline constexpr std::string_view kUaTspPolicy = "1.2.804.2.1.1.1.2.3.1";
// Larger queries are refused before parsing (a real one is under 200 bytes).
inline constexpr std::size_t kMaxQueryBytes = 4096;

// PKIStatus values of a TimeStampResp (RFC 3161 §2.4.2).
enum class TsaStatus : std::uint8_t { granted = 0, granted_with_mods = 1, rejection = 2, waiting = 3,
                                      revocation_warning = 4, revocation_notification = 5 };

// Per request: time travel and the test bed's TSA faults.
struct TsaOptions {
  std::optional<UnixTime> at{};        // genTime = this time instead of the clock's
  bool wrong_imprint = false;          // the token's messageImprint differs from the query's
  std::int64_t time_skew_seconds = 0;  // genTime shifted by this much
  bool no_ess_cert_id_v2 = false;      // signed attributes carry SHA-1 ESSCertID, not ESSCertIDv2
  bool untrusted_tsa = false;          // signed by the throw-away self-signed TSA

  bool any_fault() const noexcept {
    return wrong_imprint || time_skew_seconds != 0 || no_ess_cert_id_v2 || untrusted_tsa;
  }
};

struct TsaConfig {
  X509Ptr certificate;          // EKU id-kp-timeStamping, critical
  EvpPkeyPtr key;               // EC or RSA, the certificate's
  std::vector<X509Ptr> chain;   // above the certificate: issuing CA, ..., root
  std::string policy = std::string(kTestTsaPolicy);               // default policy
  std::vector<std::string> accepted_policies{std::string(kUaTspPolicy)};  // also accepted in reqPolicy
  std::uint32_t accuracy_seconds = 1;
  std::uint32_t accuracy_millis = 0;
  // Keep TS_RESP_CTX contexts (used for rejections) for reuse (the default); false builds
  // one per call.
  bool reuse_contexts = true;
  // Write granted tokens by hand (the default); false lets OpenSSL's TS_RESP_CTX build every
  // response, kept for the benchmark and the tests that compare the two.
  bool fast_tokens = true;
};

class Tsa {
 public:
  // Checks the certificate (timeStamping EKU, critical) and that the key is its key, builds
  // the untrusted TSA's key and certificate. Errors: "tsa_certificate_invalid",
  // "tsa_key_mismatch", "tsa_policy_invalid", "tsa_setup_failed".
  static Result<std::unique_ptr<Tsa>> create(TsaConfig config, const Clock& clock);
  ~Tsa();
  Tsa(const Tsa&) = delete;
  Tsa& operator=(const Tsa&) = delete;

  // The DER TimeStampResp for a DER TimeStampReq. A bad query is a rejection response, not
  // an Error; an Error ("tsa_failed") means OpenSSL itself failed (out of memory).
  Result<Bytes> respond(ByteView query, const TsaOptions& options = {}) const;

  const X509* certificate() const noexcept { return config_.certificate.get(); }
  // The TSA certificate followed by its chain, PEM.
  const std::string& chain_pem() const noexcept { return chain_pem_; }
  // The throw-away TSA's self-signed certificate (the untrusted_tsa fault signs with it).
  const X509* untrusted_certificate() const noexcept { return untrusted_cert_.get(); }
  const std::string& policy() const noexcept { return config_.policy; }

 private:
  struct CtxDeleter {
    void operator()(TS_resp_ctx* ctx) const noexcept;
  };
  using CtxPtr = std::unique_ptr<TS_resp_ctx, CtxDeleter>;
  struct Signer {
    X509* cert;
    EVP_PKEY* key;
    bool with_chain;
    bool ess_v2;
  };

  // The fixed parts of a token for one signer (the TSA, or the throw-away one), DER.
  struct TokenParts;
  // A query the fast path accepts (views into the query).
  struct FastQuery;

  Tsa(TsaConfig config, const Clock& clock);
  Result<CtxPtr> make_context(const Signer& signer) const;
  Result<Bytes> respond_openssl(ByteView query, const TsaOptions& options) const;
  bool parse_fast(ByteView query, FastQuery& out) const noexcept;
  Result<Bytes> respond_fast(ByteView query, const FastQuery& q, const TsaOptions& options) const;
  static Result<std::unique_ptr<TokenParts>> make_parts(X509* cert, EVP_PKEY* key, const std::vector<X509Ptr>* chain,
                                                        const EVP_MD* sha1, const EVP_MD* sha256);
  CtxPtr take_pooled() const;
  void give_back(CtxPtr ctx) const;

  TsaConfig config_;
  const Clock& clock_;
  // Digests fetched once (EVP_MD_fetch): OpenSSL's EVP_sha256() & co. are fetched again on
  // every use. The contexts borrow them, so they are declared before the pool.
  EvpMdPtr sha1_, sha256_, sha384_, sha512_;
  std::string chain_pem_;
  X509StackPtr chain_stack_;
  EvpPkeyPtr untrusted_key_;
  X509Ptr untrusted_cert_;
  std::vector<Asn1ObjectPtr> policies_;  // [0] the default, then the accepted ones
  std::vector<Bytes> policy_der_;        // the same, OBJECT IDENTIFIER TLVs
  std::unique_ptr<TokenParts> parts_, untrusted_parts_;  // null: no fast path (key not SHA-256)
  mutable std::mutex pool_mu_;
  mutable std::vector<CtxPtr> pool_;
};

// The options for a fault drawn from the fault board (faults.hpp): wrong_imprint,
// time_skew (its seconds), no_ess_cert_id_v2 or untrusted_tsa; none for TsaFault::none.
struct TsaDraw;
TsaOptions tsa_options(const TsaDraw& draw) noexcept;

// The PKIStatus of a DER TimeStampResp, or nullopt when it cannot be read.
std::optional<TsaStatus> tsa_status(ByteView response) noexcept;

}  // namespace trustmon::testbed
