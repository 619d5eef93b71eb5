// IssuerSet: the issuers, their lookups, and the one "which issuer signed this" loop.
#include "responder/pki/issuer_set.hpp"

#include <openssl/x509v3.h>

#include <algorithm>

#include "common/log.hpp"

namespace trustmon::pki {
namespace {

Result<Bytes> subject_der(const X509* cert) {
  unsigned char* buf = nullptr;
  const int len = i2d_X509_NAME(X509_get_subject_name(cert), &buf);
  if (len <= 0) return ossl_error(ErrorKind::invalid, "issuer_invalid", "cannot encode the CA subject");
  Bytes out(buf, buf + len);
  OPENSSL_free(buf);
  return out;
}

ByteView octets(const ASN1_STRING* s) {
  return {ASN1_STRING_get0_data(s), static_cast<std::size_t>(ASN1_STRING_length(s))};
}

// The one loop (see issuer_set.hpp). `name` is the object's issuer name, `akid` its
// authority key identifier; `verify` checks the object's signature under a candidate's key.
template <typename Verify>
IssuerMatch match(const std::vector<std::unique_ptr<Issuer>>& issuers, const X509_NAME* name,
                  std::optional<ByteView> akid, std::span<const storage::IssuerId> prefer_unverifiable,
                  const Verify& verify) {
  const auto preferred = [prefer_unverifiable](const Issuer* i) {
    return std::ranges::find(prefer_unverifiable, i->id) != prefer_unverifiable.end();
  };
  const Issuer* verified = nullptr;
  const Issuer* unverifiable = nullptr;
  bool name_matched = false;
  for (const auto& candidate : issuers) {
    const X509_NAME* subject = candidate->subject();
    if (subject != name && X509_NAME_cmp(name, subject) != 0) continue;
    if (akid && candidate->ski && !std::ranges::equal(*akid, *candidate->ski)) continue;
    name_matched = true;
    const SignatureCheck check = verify(*candidate);
    if (check == SignatureCheck::valid) {
      verified = candidate.get();
      break;
    }
    if (check == SignatureCheck::unverifiable &&
        (unverifiable == nullptr || (preferred(candidate.get()) && !preferred(unverifiable))))
      unverifiable = candidate.get();
  }
  ossl_errors();  // failed verifications leave entries in the error queue
  if (verified != nullptr) return {IssuerFound::verified, verified};
  if (unverifiable != nullptr) return {IssuerFound::unverifiable, unverifiable};
  return {name_matched ? IssuerFound::signature_invalid : IssuerFound::unknown, nullptr};
}

}  // namespace

Result<Sha256> issuer_identity(const X509* ca) {
  auto subject = subject_der(ca);
  if (!subject) return std::move(subject).error();
  unsigned char* spki = nullptr;
  const int len = i2d_X509_PUBKEY(X509_get_X509_PUBKEY(ca), &spki);
  if (len <= 0) return ossl_error(ErrorKind::invalid, "issuer_invalid", "cannot encode the CA public key");
  Bytes data = std::move(*subject);
  data.insert(data.end(), spki, spki + len);
  OPENSSL_free(spki);
  return sha256(data);
}

Result<const Issuer*> IssuerSet::add(storage::IssuerId id, std::string name, X509Ptr ca, bool test) {
  if (!ca)
    return make_error(ErrorKind::invalid, "issuer_invalid", "issuer " + name + " has no CA certificate");
  if (find_by_id(id) != nullptr)
    return make_error(ErrorKind::invalid, "issuer_duplicate",
                      "issuer id " + std::to_string(id) + " is already present");
  if (find_by_name(name) != nullptr)
    return make_error(ErrorKind::invalid, "issuer_duplicate", "issuer " + name + " is already present");
  if (X509_check_ca(ca.get()) == 0) log().warn("pki: certificate of issuer {} is not marked as a CA", name);

  auto issuer = std::make_unique<Issuer>();
  auto subject = subject_der(ca.get());
  if (!subject) return std::move(subject).error();
  auto identity = issuer_identity(ca.get());
  if (!identity) return std::move(identity).error();
  issuer->subject_der = std::move(*subject);
  issuer->identity = *identity;
  if (const ASN1_OCTET_STRING* ski = X509_get0_subject_key_id(ca.get())) issuer->ski = to_bytes(octets(ski));
  ossl_errors();  // the extension cache may leave decoding errors of other extensions
  issuer->id = id;
  issuer->name = std::move(name);
  issuer->ca = std::move(ca);
  issuer->test = test;
  if (test) test_ids_.push_back(id);
  issuers_.push_back(std::move(issuer));
  return issuers_.back().get();
}

const Issuer* IssuerSet::find_by_id(storage::IssuerId id) const noexcept {
  for (const auto& i : issuers_)
    if (i->id == id) return i.get();
  return nullptr;
}

const Issuer* IssuerSet::find_by_name(std::string_view name) const noexcept {
  for (const auto& i : issuers_)
    if (i->name == name) return i.get();
  return nullptr;
}

std::vector<const Issuer*> IssuerSet::all() const {
  std::vector<const Issuer*> out;
  out.reserve(issuers_.size());
  for (const auto& i : issuers_) out.push_back(i.get());
  return out;
}

IssuerMatch IssuerSet::issuer_of(ByteView der, const CertParts& cert,
                                 std::span<const storage::IssuerId> prefer_unverifiable) const {
  std::optional<ByteView> akid;
  if (const ExtensionView* aki = unique_extension(cert.extensions, kOidAuthorityKeyId))
    akid = authority_key_id(aki->value);
  const auto verify = [der, &cert](const Issuer& i) {
    return verify_signature(der, cert.view, i.public_key());
  };
  // In the common case the issuer name is byte for byte a CA's subject: that CA's decoded
  // subject then stands in for it (same octets, same canonical form), and nothing is
  // decoded. Otherwise the name is decoded and compared canonically.
  for (const auto& i : issuers_)
    if (std::ranges::equal(i->subject_der, cert.view.issuer))
      return match(issuers_, i->subject(), akid, prefer_unverifiable, verify);
  auto decoded = decode_name(cert.view.issuer);
  if (!decoded) return {IssuerFound::malformed, nullptr};
  return match(issuers_, decoded.get(), akid, prefer_unverifiable, verify);
}

IssuerMatch IssuerSet::issuer_of(X509_CRL* crl) const {
  AuthorityKeyIdPtr aki(static_cast<AUTHORITY_KEYID*>(
      X509_CRL_get_ext_d2i(crl, NID_authority_key_identifier, nullptr, nullptr)));
  std::optional<ByteView> akid;
  if (aki && aki->keyid) akid = octets(aki->keyid);
  return match(issuers_, X509_CRL_get_issuer(crl), akid, {}, [crl](const Issuer& i) {
    EVP_PKEY* key = i.public_key();
    return key != nullptr && X509_CRL_verify(crl, key) == 1 ? SignatureCheck::valid : SignatureCheck::invalid;
  });
}

IssuerMatch IssuerSet::issuer_of(X509* cert) const {
  std::optional<ByteView> akid;
  if (const ASN1_OCTET_STRING* keyid = X509_get0_authority_key_id(cert)) akid = octets(keyid);
  return match(issuers_, X509_get_issuer_name(cert), akid, {}, [cert](const Issuer& i) {
    EVP_PKEY* key = i.public_key();
    return key != nullptr && X509_verify(cert, key) == 1 ? SignatureCheck::valid : SignatureCheck::invalid;
  });
}

}  // namespace trustmon::pki
