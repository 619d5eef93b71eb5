#include "test_csr.hpp"

#include "tests/support/ocsp_client.hpp"

#include <openssl/core_names.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/rsa.h>

#include <future>
#include <map>
#include <mutex>
#include <stdexcept>

namespace trustmon::csr::testing {
namespace {

[[noreturn]] void fail(const std::string& what) { throw std::runtime_error(what + ": " + ossl_errors()); }

// DER building: the OCSP test kit's forward writer.
using trustmon::testing::cat;
using trustmon::testing::tlv;

template <typename T>
T wait(std::function<void(std::function<void(T)>)> start) {
  auto promise = std::make_shared<std::promise<T>>();
  auto future = promise->get_future();
  start([promise](T v) { promise->set_value(std::move(v)); });
  return future.get();
}

}  // namespace

EvpPkeyPtr make_key(KeyKind kind) {
  EVP_PKEY* key = nullptr;
  switch (kind) {
    case KeyKind::rsa: key = EVP_PKEY_Q_keygen(nullptr, nullptr, "RSA", size_t{2048}); break;
    case KeyKind::rsa_pss: {
      EvpPkeyCtxPtr ctx(EVP_PKEY_CTX_new_from_name(nullptr, "RSA-PSS", nullptr));
      if (!ctx || EVP_PKEY_keygen_init(ctx.get()) != 1 || EVP_PKEY_CTX_set_rsa_keygen_bits(ctx.get(), 2048) != 1 ||
          EVP_PKEY_keygen(ctx.get(), &key) != 1)
        fail("RSA-PSS key generation");
      break;
    }
    case KeyKind::p256: key = EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-256"); break;
    case KeyKind::ed25519: key = EVP_PKEY_Q_keygen(nullptr, nullptr, "ED25519"); break;
  }
  if (key == nullptr) fail("key generation");
  return EvpPkeyPtr(key);
}

Bytes spki_der(EVP_PKEY* key) {
  const int n = i2d_PUBKEY(key, nullptr);
  Bytes out(static_cast<std::size_t>(n));
  unsigned char* p = out.data();
  i2d_PUBKEY(key, &p);
  return out;
}

EVP_PKEY* shared_key(KeyKind kind) {
  static std::mutex mu;
  static std::map<KeyKind, EvpPkeyPtr> keys;
  std::lock_guard<std::mutex> lock(mu);
  auto& slot = keys[kind];
  if (!slot) slot = make_key(kind);
  return slot.get();
}

Bytes make_csr(EVP_PKEY* key, const CsrOptions& options) {
  X509ReqPtr req(X509_REQ_new());
  if (!req) fail("X509_REQ_new");
  X509_REQ_set_version(req.get(), X509_REQ_VERSION_1);
  X509_NAME* name = X509_REQ_get_subject_name(req.get());
  if (X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_UTF8,
                                 reinterpret_cast<const unsigned char*>(options.common_name.c_str()), -1, -1,
                                 0) != 1)
    fail("subject");
  if (!options.challenge.empty() &&
      X509_REQ_add1_attr_by_NID(req.get(), NID_pkcs9_challengePassword, MBSTRING_UTF8,
                                reinterpret_cast<const unsigned char*>(options.challenge.c_str()), -1) != 1)
    fail("challengePassword");
  if (X509_REQ_set_pubkey(req.get(), key) != 1) fail("set_pubkey");

  const bool no_digest = EVP_PKEY_is_a(key, "ED25519");
  EvpMdCtxPtr ctx(EVP_MD_CTX_new());
  EVP_PKEY_CTX* pctx = nullptr;
  if (!ctx || EVP_DigestSignInit(ctx.get(), &pctx, no_digest ? nullptr : EVP_sha256(), nullptr, key) != 1)
    fail("DigestSignInit");
  if (options.pss_padding) {
    if (EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PSS_PADDING) != 1 ||
        EVP_PKEY_CTX_set_rsa_pss_saltlen(pctx, RSA_PSS_SALTLEN_DIGEST) != 1)
      fail("PSS padding");
  }
  if (X509_REQ_sign_ctx(req.get(), ctx.get()) <= 0) fail("X509_REQ_sign_ctx");
  const int n = i2d_X509_REQ(req.get(), nullptr);
  if (n <= 0) fail("i2d_X509_REQ");
  Bytes der(static_cast<std::size_t>(n));
  unsigned char* p = der.data();
  i2d_X509_REQ(req.get(), &p);
  return der;
}

std::string csr_pem(const Bytes& der) {
  std::string b64 = base64_encode(der);
  std::string out = "-----BEGIN CERTIFICATE REQUEST-----\n";
  for (std::size_t i = 0; i < b64.size(); i += 64) out += b64.substr(i, 64) + "\n";
  return out + "-----END CERTIFICATE REQUEST-----\n";
}

Bytes oid_content(const std::string& dotted) {
  std::vector<std::uint64_t> arcs;
  std::size_t pos = 0;
  while (pos <= dotted.size()) {
    const std::size_t dot = dotted.find('.', pos);
    arcs.push_back(std::stoull(dotted.substr(pos, dot - pos)));
    if (dot == std::string::npos) break;
    pos = dot + 1;
  }
  Bytes out;
  auto base128 = [&out](std::uint64_t v) {
    Bytes tmp{static_cast<std::uint8_t>(v & 0x7f)};
    for (v >>= 7; v != 0; v >>= 7) tmp.insert(tmp.begin(), static_cast<std::uint8_t>(0x80 | (v & 0x7f)));
    out.insert(out.end(), tmp.begin(), tmp.end());
  };
  base128(arcs.at(0) * 40 + arcs.at(1));
  for (std::size_t i = 2; i < arcs.size(); ++i) base128(arcs[i]);
  return out;
}

Bytes make_dstu_csr(const std::string& common_name, const Bytes& key_bytes) {
  const std::string kDstu = "1.2.804.2.1.1.1.1.3.1.1";
  const Bytes name = tlv(0x30, tlv(0x31, tlv(0x30, cat({tlv(0x06, oid_content("2.5.4.3")),
                                                         tlv(0x0c, Bytes(common_name.begin(), common_name.end()))}))));
  // DSTU 4145 key: AlgorithmIdentifier { dstu4145le, { named curve M257 } }, key as an OCTET STRING.
  const Bytes key_alg = tlv(0x30, cat({tlv(0x06, oid_content(kDstu)),
                                       tlv(0x30, tlv(0x06, oid_content("1.2.804.2.1.1.1.1.3.1.1.2.6")))}));
  const Bytes spki = tlv(0x30, cat({key_alg, tlv(0x03, cat({Bytes{0}, tlv(0x04, key_bytes)}))}));
  const Bytes info = tlv(0x30, cat({tlv(0x02, Bytes{0}), name, spki, Bytes{0xa0, 0x00}}));
  // Signature: dstu4145 with GOST 34311 (the hash OID as the parameter's only element).
  const Bytes sig_alg = tlv(0x30, cat({tlv(0x06, oid_content(kDstu)),
                                       tlv(0x30, tlv(0x06, oid_content("1.2.804.2.1.1.1.1.2.1")))}));
  Bytes signature(66);
  RAND_bytes(signature.data(), static_cast<int>(signature.size()));
  const Bytes sig = tlv(0x03, cat({Bytes{0}, tlv(0x04, signature)}));
  return tlv(0x30, cat({info, sig_alg, sig}));
}

ParsedCsr parsed(const Bytes& der) {
  auto p = parse_csr(der);
  if (!p) throw std::runtime_error("parse_csr: " + p.error().code + ": " + p.error().message);
  return std::move(p).value();
}

Result<ReserveOutcome> reserve_sync(CsrService& s, const ParsedCsr& csr, const Actor& actor, std::uint32_t issuer,
                                    UnixTime ttl) {
  return wait<Result<ReserveOutcome>>(
      [&](auto done) { s.reserve(csr, actor, issuer, ttl, std::move(done)); });
}

Result<Reservation> commit_sync(CsrService& s, ReservationId id, const Sha256& cert, std::optional<Sha256> spki,
                                const Actor& actor) {
  return wait<Result<Reservation>>([&](auto done) { s.commit(id, cert, spki, actor, std::move(done)); });
}

Result<Reservation> release_sync(CsrService& s, ReservationId id, const Actor& actor) {
  return wait<Result<Reservation>>([&](auto done) { s.release(id, actor, std::move(done)); });
}

Result<std::size_t> sweep_sync(CsrService& s) {
  return wait<Result<std::size_t>>([&](auto done) { s.sweep_expired(std::move(done)); });
}

Actor participant(std::uint32_t id) {
  Actor a;
  a.participant = id;
  a.representative = id * 10;
  a.credential = id * 100;
  return a;
}

}  // namespace trustmon::csr::testing
