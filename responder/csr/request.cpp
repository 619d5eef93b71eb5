// Certificate request parsing (see request.hpp).
#include "responder/csr/request.hpp"

#include <openssl/objects.h>
#include <openssl/x509.h>

#include <string_view>

#include "common/der.hpp"
#include "common/pem.hpp"
#include "responder/pki/csr_der.hpp"
#include "responder/pki/key_fingerprint.hpp"

namespace trustmon::csr {
namespace {

using pki::CsrParts;
using pki::openssl_knows_key_algorithm;
using pki::split_certification_request;

Error malformed(std::string message) { return make_error(ErrorKind::invalid, "csr_malformed", std::move(message)); }

bool looks_like_pem(ByteView input) {
  std::string_view text = as_chars(input);
  const std::size_t start = text.find_first_not_of(" \t\r\n");
  return start != std::string_view::npos && text.substr(start).starts_with("-----BEGIN ");
}

bool openssl_knows_signature_algorithm(const std::string& oid) {
  const int nid = OBJ_txt2nid(oid.c_str());
  if (nid == NID_undef) return false;
  int digest = NID_undef, key = NID_undef;
  return OBJ_find_sigid_algs(nid, &digest, &key) == 1;
}

}  // namespace

Result<ParsedCsr> parse_csr(ByteView input) {
  if (input.size() > kMaxCsrBytes) return malformed("the request is larger than 64 KiB");
  ParsedCsr out;
  if (looks_like_pem(input)) {
    auto block = pem::find_block(as_chars(input), {"CERTIFICATE REQUEST", "NEW CERTIFICATE REQUEST"});
    if (!block) return malformed("no base64 CERTIFICATE REQUEST block in the PEM text");
    out.der = to_bytes(block->der());
  } else {
    out.der = to_bytes(input);
  }

  CsrParts parts;
  if (!split_certification_request(out.der, parts)) return malformed("not a DER PKCS#10 certification request");
  out.csr_sha256 = sha256(out.der);
  out.subject_sha256 = sha256(parts.subject);
  out.key_algorithm = der::oid_text(parts.key_algorithm);
  out.signature_algorithm = der::oid_text(parts.signature_algorithm);

  const unsigned char* p = out.der.data();
  X509ReqPtr req(d2i_X509_REQ(nullptr, &p, static_cast<long>(out.der.size())));
  EVP_PKEY* key = req && p == out.der.data() + out.der.size() ? X509_REQ_get0_pubkey(req.get()) : nullptr;
  if (key == nullptr) {
    ossl_errors();
    if (openssl_knows_key_algorithm(out.key_algorithm))
      return malformed("OpenSSL cannot decode the request or its public key");
    // An algorithm OpenSSL does not implement: tracked by hash, possession unproven.
    out.spki_sha256 = sha256(parts.spki);
    return out;
  }
  // Re-encoding must give the same bytes: a request hashes the same however it travels.
  const int n = i2d_X509_REQ(req.get(), nullptr);
  Bytes again(n > 0 ? static_cast<std::size_t>(n) : 0);
  unsigned char* w = again.data();
  if (n <= 0 || i2d_X509_REQ(req.get(), &w) != n || again != out.der) {
    ossl_errors();
    return malformed("the request is not in distinguished encoding (DER)");
  }

  const int verified = X509_REQ_verify(req.get(), key);
  ossl_errors();
  if (verified == 1) {
    out.pop_verified = true;
  } else if (verified < 0 && !openssl_knows_signature_algorithm(out.signature_algorithm)) {
    // A key OpenSSL knows under a signature algorithm it does not: tracked, unproven.
    out.pop_verified = false;
  } else {
    return make_error(ErrorKind::invalid, "csr_signature_invalid", "the request's self-signature does not verify under its key");
  }

  auto fp = pki::key_fingerprint(parts.spki, key);
  if (!fp) return std::move(fp).error();
  out.spki_sha256 = *fp;
  return out;
}

}  // namespace trustmon::csr
