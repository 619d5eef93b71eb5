// Certificate DER walk and verification without d2i_X509 (see cert_view.hpp).
#include "responder/registry/cert_view.hpp"

#include <openssl/objects.h>

#include <array>
#include <mutex>

namespace trustmon::registry {

std::optional<DerTlv> read_der_tlv(ByteView& in) {
  if (in.size() < 2) return std::nullopt;
  DerTlv t;
  t.tag = in[0];
  if ((t.tag & 0x1f) == 0x1f) return std::nullopt;
  std::size_t pos = 1;
  std::size_t len = in[pos++];
  if (len & 0x80) {
    const std::size_t n = len & 0x7f;
    if (n == 0 || n > 4 || in.size() - pos < n) return std::nullopt;
    len = 0;
    for (std::size_t i = 0; i < n; ++i) len = (len << 8) | in[pos++];
  }
  if (in.size() - pos < len) return std::nullopt;
  t.content = in.subspan(pos, len);
  t.whole = in.first(pos + len);
  in = in.subspan(pos + len);
  return t;
}

std::optional<CertView> parse_cert_view(ByteView der) {
  ByteView in = der;
  auto cert = read_der_tlv(in);
  if (!cert || cert->tag != 0x30 || !in.empty()) return std::nullopt;
  ByteView body = cert->content;
  auto tbs = read_der_tlv(body);
  auto sig_alg = read_der_tlv(body);
  auto sig = read_der_tlv(body);
  if (!tbs || tbs->tag != 0x30 || !sig_alg || sig_alg->tag != 0x30 || !sig || sig->tag != 0x03 ||
      sig->content.empty() || sig->content[0] != 0 || !body.empty())
    return std::nullopt;
  CertView v;
  v.tbs = tbs->whole;
  v.sig_alg = sig_alg->whole;
  v.signature = sig->content.subspan(1);
  ByteView t = tbs->content;
  auto field = read_der_tlv(t);
  if (field && field->tag == 0xa0) field = read_der_tlv(t);  // [0] version
  if (!field || field->tag != 0x02) return std::nullopt;
  v.serial = field->content;
  auto alg = read_der_tlv(t);
  auto issuer = read_der_tlv(t);
  auto validity = read_der_tlv(t);
  auto subject = read_der_tlv(t);
  auto spki = read_der_tlv(t);
  if (!alg || alg->tag != 0x30 || !issuer || issuer->tag != 0x30 || !validity || validity->tag != 0x30 || !subject ||
      subject->tag != 0x30 || !spki || spki->tag != 0x30)
    return std::nullopt;
  v.tbs_sig_alg = alg->whole;
  v.issuer = issuer->whole;
  v.subject = subject->whole;
  v.spki = spki->whole;
  ByteView times = validity->content;
  auto nb = read_der_tlv(times);
  auto na = read_der_tlv(times);
  if (!nb || !na || !times.empty()) return std::nullopt;
  v.not_before = nb->whole;
  v.not_after = na->whole;
  while (!t.empty()) {  // [1] issuerUniqueID, [2] subjectUniqueID, [3] extensions
    auto opt = read_der_tlv(t);
    if (!opt) return std::nullopt;
    if (opt->tag == 0xa3) {
      ByteView ext = opt->content;
      auto seq = read_der_tlv(ext);
      if (!seq || seq->tag != 0x30 || !ext.empty()) return std::nullopt;
      v.extensions = seq->whole;
    }
  }
  return v;
}

Bytes view_serial(const CertView& v) {
  if (v.serial.empty() || (v.serial[0] & 0x80)) return {};
  std::size_t skip = 0;
  while (skip + 1 < v.serial.size() && v.serial[skip] == 0) ++skip;
  return to_bytes(v.serial.subspan(skip));
}

OwnedName decode_name(ByteView name_tlv) {
  const unsigned char* p = name_tlv.data();
  OwnedName n(d2i_X509_NAME(nullptr, &p, static_cast<long>(name_tlv.size())));
  if (!n) ossl_errors();
  return n;
}

OwnedExtensions decode_extensions(ByteView extensions_tlv) {
  if (extensions_tlv.empty()) return nullptr;
  const unsigned char* p = extensions_tlv.data();
  OwnedExtensions e(d2i_X509_EXTENSIONS(nullptr, &p, static_cast<long>(extensions_tlv.size())));
  if (!e) ossl_errors();
  return e;
}

namespace {

struct MdDeleter {
  void operator()(EVP_MD* md) const noexcept { EVP_MD_free(md); }
};

// Digests fetched once per process (EVP_MD_fetch per signature is a large part of
// X509_verify's overhead in OpenSSL 3.0).
const EVP_MD* fetched_digest(int nid) {
  struct Entry {
    int nid;
    std::unique_ptr<EVP_MD, MdDeleter> md;
  };
  static std::mutex mu;
  static std::array<Entry, 8> cache{};
  std::lock_guard lock(mu);
  for (auto& e : cache)
    if (e.md && e.nid == nid) return e.md.get();
  for (auto& e : cache) {
    if (!e.md) {
      e.md.reset(EVP_MD_fetch(nullptr, OBJ_nid2sn(nid), nullptr));
      if (!e.md) {
        ossl_errors();
        return nullptr;
      }
      e.nid = nid;
      return e.md.get();
    }
  }
  return nullptr;
}

// The AlgorithmIdentifier's OID NID and whether its parameters are absent or NULL.
std::optional<std::pair<int, bool>> algorithm(ByteView alg_tlv) {
  ByteView in = alg_tlv;
  auto seq = read_der_tlv(in);
  if (!seq) return std::nullopt;
  ByteView body = seq->content;
  auto oid = read_der_tlv(body);
  if (!oid || oid->tag != 0x06) return std::nullopt;
  const bool simple = body.empty() || (body.size() == 2 && body[0] == 0x05 && body[1] == 0x00);
  const unsigned char* p = oid->whole.data();
  Asn1ObjectPtr obj(d2i_ASN1_OBJECT(nullptr, &p, static_cast<long>(oid->whole.size())));
  if (!obj) {
    ossl_errors();
    return std::nullopt;
  }
  return std::make_pair(OBJ_obj2nid(obj.get()), simple);
}

SignatureCheck slow_verify(ByteView der, EVP_PKEY* ca_key) {
  auto cert = x509_from_der(der);
  if (!cert) return SignatureCheck::invalid;
  const int rc = X509_verify(cert->get(), ca_key);
  ossl_errors();
  return rc == 1 ? SignatureCheck::valid : SignatureCheck::invalid;
}

}  // namespace

SignatureCheck verify_signature(ByteView der, const CertView& v, EVP_PKEY* ca_key) {
  if (ca_key == nullptr) return SignatureCheck::unverifiable;
  auto alg = algorithm(v.sig_alg);
  if (!alg) return SignatureCheck::invalid;
  int md_nid = NID_undef, pk_nid = NID_undef;
  if (alg->first == NID_undef || OBJ_find_sigid_algs(alg->first, &md_nid, &pk_nid) != 1)
    return SignatureCheck::unverifiable;
  // RFC 5280 §4.1.1.2: the signed and the outer algorithm must be the same.
  if (v.sig_alg.size() != v.tbs_sig_alg.size() ||
      !std::equal(v.sig_alg.begin(), v.sig_alg.end(), v.tbs_sig_alg.begin()))
    return SignatureCheck::invalid;
  if (!alg->second || pk_nid == NID_rsassaPss) return slow_verify(der, ca_key);
  const int key_type = EVP_PKEY_get_base_id(ca_key);
  const bool key_fits = (pk_nid == NID_rsaEncryption && key_type == EVP_PKEY_RSA) ||
                        (pk_nid == NID_X9_62_id_ecPublicKey && key_type == EVP_PKEY_EC) ||
                        (pk_nid == NID_ED25519 && key_type == EVP_PKEY_ED25519) ||
                        (pk_nid == NID_ED448 && key_type == EVP_PKEY_ED448);
  if (!key_fits) return slow_verify(der, ca_key);  // let OpenSSL decide the unusual pairs
  const EVP_MD* md = nullptr;
  if (md_nid != NID_undef) {
    md = fetched_digest(md_nid);
    if (md == nullptr) return slow_verify(der, ca_key);
  }
  EvpMdCtxPtr ctx(EVP_MD_CTX_new());
  if (!ctx || EVP_DigestVerifyInit(ctx.get(), nullptr, md, nullptr, ca_key) != 1) {
    ossl_errors();
    return SignatureCheck::invalid;
  }
  const int rc = EVP_DigestVerify(ctx.get(), v.signature.data(), v.signature.size(), v.tbs.data(), v.tbs.size());
  if (rc != 1) ossl_errors();
  return rc == 1 ? SignatureCheck::valid : SignatureCheck::invalid;
}

}  // namespace trustmon::registry
