// ResponderTable: precomputation and validation at add(), sorted-prefix lookup at find().
#include "responder/ocsp/responder_keys.hpp"

#include <openssl/x509v3.h>

#include <algorithm>

#include "common/der.hpp"
#include "common/log.hpp"

namespace trustmon::ocsp {
namespace {

const EVP_MD* md_of(HashAlg a) {
  switch (a) {
    case HashAlg::sha1: return EVP_sha1();
    case HashAlg::sha256: return EVP_sha256();
    case HashAlg::sha384: return EVP_sha384();
    case HashAlg::sha512: return EVP_sha512();
    case HashAlg::unsupported: break;
  }
  return nullptr;
}

ByteView public_key_bits(const X509* cert) {
  const ASN1_BIT_STRING* bits = X509_get0_pubkey_bitstr(cert);
  if (bits == nullptr) return {};
  return ByteView(ASN1_STRING_get0_data(bits), static_cast<std::size_t>(ASN1_STRING_length(bits)));
}

std::uint64_t prefix_of(ByteView key_hash) noexcept { return get_be64(key_hash.data()); }

Status check_delegated(const pki::Issuer& issuer, X509* resp) {
  X509* ca = issuer.ca.get();
  if (X509_check_issued(ca, resp) != X509_V_OK)
    return make_error(ErrorKind::invalid, "responder_not_issued_by_ca",
                      "responder certificate of issuer " + issuer.name + " is not issued by its CA");
  EVP_PKEY* ca_key = X509_get0_pubkey(ca);
  if (ca_key == nullptr || X509_verify(resp, ca_key) != 1)
    return ossl_error(ErrorKind::invalid, "responder_not_issued_by_ca",
                      "responder certificate of issuer " + issuer.name + " is not signed by its CA");
  // RFC 6960 §4.2.2.2: a delegated responder certificate must carry id-kp-OCSPSigning.
  // X509_get_extended_key_usage() answers "everything" when the extension is absent,
  // so require the extension itself.
  if (!(X509_get_extension_flags(resp) & EXFLAG_XKUSAGE) || !(X509_get_extended_key_usage(resp) & XKU_OCSP_SIGN))
    return make_error(ErrorKind::invalid, "responder_not_ocsp_signing",
                      "responder certificate of issuer " + issuer.name + " lacks EKU id-kp-OCSPSigning");
  // Expiry is the operator's business (clients reject the responses), so warn, not refuse:
  // refusing would turn a renewal slip into a responder that does not start at all.
  if (X509_cmp_current_time(X509_get0_notAfter(resp)) <= 0)
    log().warn("ocsp: responder certificate of issuer {} has expired", issuer.name);
  if (X509_get_ext_by_NID(resp, NID_id_pkix_OCSP_noCheck, -1) < 0)
    log().warn("ocsp: responder certificate of issuer {} lacks id-pkix-ocsp-nocheck; clients may try to "
               "check its revocation status",
               issuer.name);
  return {};
}

}  // namespace

Status ResponderTable::add(const pki::Issuer& issuer, X509Ptr responder_cert, EvpPkeyPtr responder_key) {
  if (!issuer.ca)
    return make_error(ErrorKind::invalid, "issuer_invalid", "issuer " + issuer.name + " has no CA certificate");
  if (!responder_key)
    return make_error(ErrorKind::invalid, "issuer_invalid", "issuer " + issuer.name + " has no responder key");
  if (find_by_id(issuer.id) != nullptr)
    return make_error(ErrorKind::invalid, "issuer_duplicate",
                      "issuer id " + std::to_string(issuer.id) + " has a responder already");

  auto keys = std::make_unique<ResponderKeys>();
  X509* ca = issuer.ca.get();
  const bool delegated = responder_cert && X509_cmp(responder_cert.get(), ca) != 0;
  if (!delegated) {
    if (X509_up_ref(ca) != 1) return ossl_error(ErrorKind::internal, "internal_error", "X509_up_ref");
    responder_cert.reset(ca);
  }
  if (X509_check_private_key(responder_cert.get(), responder_key.get()) != 1)
    return ossl_error(ErrorKind::invalid, "responder_key_mismatch",
                      "responder key of issuer " + issuer.name + " does not match its certificate");
  if (delegated)
    if (auto st = check_delegated(issuer, responder_cert.get()); !st) return st;

  const ByteView subject = issuer.subject_der;
  const ByteView ca_key = public_key_bits(ca);
  const ByteView resp_key = public_key_bits(responder_cert.get());
  if (ca_key.empty() || resp_key.empty())
    return make_error(ErrorKind::invalid, "issuer_invalid", "certificate without a public key");

  for (HashAlg a : {HashAlg::sha1, HashAlg::sha256, HashAlg::sha384, HashAlg::sha512}) {
    unsigned int n = 0;
    const std::size_t i = hash_index(a);
    if (EVP_Digest(subject.data(), subject.size(), keys->name_hash[i].data(), &n, md_of(a), nullptr) != 1 ||
        EVP_Digest(ca_key.data(), ca_key.size(), keys->key_hash[i].data(), &n, md_of(a), nullptr) != 1)
      return ossl_error(ErrorKind::internal, "internal_error", "issuer hash");
  }
  unsigned int n = 0;
  if (EVP_Digest(resp_key.data(), resp_key.size(), keys->responder_key_hash.data(), &n, EVP_sha1(), nullptr) != 1)
    return ossl_error(ErrorKind::internal, "internal_error", "responder key hash");
  {
    der::BackWriter w(32);
    w.tlv(der::kOctetString, keys->responder_key_hash);
    w.wrap(der::context(2), 0);
    keys->responder_id_der = w.take();
  }

  auto signer = SigningKey::create(responder_key.get());
  if (!signer) return std::move(signer).error();
  keys->signer = std::move(*signer);

  if (delegated) {
    keys->responder_cert_der = x509_der(responder_cert.get());
    if (keys->responder_cert_der.empty())
      return ossl_error(ErrorKind::invalid, "issuer_invalid", "cannot encode responder certificate");
  }
  auto ca_not_before = asn1_time_to_unix(X509_get0_notBefore(ca));
  if (!ca_not_before)
    return make_error(ErrorKind::invalid, "issuer_invalid", "issuer " + issuer.name + ": unreadable CA notBefore");
  keys->id = issuer.id;
  keys->name = issuer.name;
  keys->ca_not_before = *ca_not_before;
  keys->responder_cert = std::move(responder_cert);
  keys->responder_key = std::move(responder_key);
  keys->delegated = delegated;

  const auto index = static_cast<std::uint32_t>(issuers_.size());
  for (HashAlg a : {HashAlg::sha1, HashAlg::sha256, HashAlg::sha384, HashAlg::sha512}) {
    auto& slots = by_key_[hash_index(a)];
    const Slot s{prefix_of(keys->key_hash_of(a)), index};
    slots.insert(std::upper_bound(slots.begin(), slots.end(), s,
                                  [](const Slot& x, const Slot& y) { return x.prefix < y.prefix; }),
                 s);
  }
  issuers_.push_back(std::move(keys));
  return {};
}

const ResponderKeys* ResponderTable::find(HashAlg alg, ByteView name_hash, ByteView key_hash) const noexcept {
  if (alg == HashAlg::unsupported) return nullptr;
  const std::size_t len = hash_length(alg);
  if (name_hash.size() != len || key_hash.size() != len) return nullptr;
  const auto& slots = by_key_[hash_index(alg)];
  const std::uint64_t prefix = prefix_of(key_hash);
  auto it = std::lower_bound(slots.begin(), slots.end(), prefix,
                             [](const Slot& s, std::uint64_t p) { return s.prefix < p; });
  // Several CAs may share a key (re-issued under another name): compare them all.
  for (; it != slots.end() && it->prefix == prefix; ++it) {
    const ResponderKeys& k = *issuers_[it->index];
    if (std::ranges::equal(k.key_hash_of(alg), key_hash) &&
        std::ranges::equal(k.name_hash_of(alg), name_hash))
      return &k;
  }
  return nullptr;
}

const ResponderKeys* ResponderTable::find_by_id(storage::IssuerId id) const noexcept {
  for (const auto& k : issuers_)
    if (k->id == id) return k.get();
  return nullptr;
}

std::vector<const ResponderKeys*> ResponderTable::all() const {
  std::vector<const ResponderKeys*> out;
  out.reserve(issuers_.size());
  for (const auto& k : issuers_) out.push_back(k.get());
  return out;
}

}  // namespace trustmon::ocsp
